//! The stream processor's logic: tumbling-window statistics per sensor and online anomaly
//! detection. How it is run as a member of a group, and stored, is `runner`'s.
//!
//! Detection, per sensor, online:
//! - spike: an exponentially weighted mean and variance (α = 0.05, after 20 readings of warm-up;
//!   a deviation beyond 3 σ moves the mean by at most 3 σ and not the variance, so drifts cannot
//!   widen the band) give a z-score; a reading more than 6 σ off is held for one reading: if the next one is back
//!   to normal it was a spike (alert); if the next is off the same way the level moved
//!   (a machine starting up) and the average restarts there (no alert);
//! - stuck: five identical values in a row (real sensors never repeat exactly);
//! - dropout: a reading without a value.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};

use super::signal::Reading;
use super::store::{Alert, WindowStats};
use crate::kafka::{Compression, KafkaClient, Message, ProduceRecord, Result};

const ALPHA: f64 = 0.05;
const WARMUP: u64 = 20;
const Z_LIMIT: f64 = 6.0;
const STUCK_RUN: u32 = 5;

#[derive(Debug, Clone, Copy)]
struct Pending {
    seq: u64,
    timestamp: i64,
    value: f64,
    z: f64,
}

/// One sensor's online detector.
#[derive(Debug, Default, Clone)]
pub struct Detector {
    mean: f64,
    var: f64,
    n: u64,
    pending: Option<Pending>,
    last_value: Option<f64>,
    repeats: u32,
}

impl Detector {
    fn update(&mut self, x: f64) {
        if self.n == 0 {
            self.mean = x;
            self.var = 0.0;
            self.n = 1;
            return;
        }
        let diff = x - self.mean;
        let limit = 3.0 * self.var.sqrt();
        if self.n >= WARMUP && diff.abs() > limit {
            // A deviation beyond 3 σ moves the mean by at most 3 σ and leaves the variance
            // alone: a drift or a burst cannot widen the band enough to hide the next spike.
            self.mean += ALPHA * diff.clamp(-limit, limit);
        } else {
            self.mean += ALPHA * diff;
            self.var = (1.0 - ALPHA) * (self.var + ALPHA * diff * diff);
        }
        self.n += 1;
    }

    fn spike(sensor: &str, p: Pending) -> Alert {
        Alert {
            sensor: sensor.to_owned(),
            seq: p.seq,
            kind: "spike".into(),
            timestamp: p.timestamp,
            value: Some(p.value),
            score: p.z,
        }
    }

    /// Feeds one reading; returns the alerts it settles (a spike is reported one reading late).
    pub fn observe(&mut self, r: &Reading) -> Vec<Alert> {
        let mut alerts = Vec::new();
        let Some(x) = r.value else {
            alerts.push(Alert {
                sensor: r.sensor.clone(),
                seq: r.seq,
                kind: "dropout".into(),
                timestamp: r.timestamp,
                value: None,
                score: 1.0,
            });
            return alerts;
        };
        if self.last_value == Some(x) {
            self.repeats += 1;
            if self.repeats + 1 == STUCK_RUN {
                alerts.push(Alert {
                    sensor: r.sensor.clone(),
                    seq: r.seq,
                    kind: "stuck".into(),
                    timestamp: r.timestamp,
                    value: Some(x),
                    score: f64::from(STUCK_RUN),
                });
            }
        } else {
            self.repeats = 0;
        }
        self.last_value = Some(x);

        if self.n < WARMUP {
            self.update(x);
            return alerts;
        }
        let z = (x - self.mean) / self.var.max(1e-12).sqrt();
        match self.pending.take() {
            Some(p) if z.abs() > Z_LIMIT && z.signum() == p.z.signum() => {
                // Two off the same way: the level moved. Restart the average there.
                self.mean = x;
            }
            Some(p) => {
                alerts.push(Self::spike(&r.sensor, p));
                if z.abs() > Z_LIMIT {
                    self.pending = Some(Pending {
                        seq: r.seq,
                        timestamp: r.timestamp,
                        value: x,
                        z,
                    });
                } else {
                    self.update(x);
                }
            }
            None if z.abs() > Z_LIMIT => {
                self.pending = Some(Pending {
                    seq: r.seq,
                    timestamp: r.timestamp,
                    value: x,
                    z,
                })
            }
            None => self.update(x),
        }
        alerts
    }

    /// At the end of input, a held outlier counts as a spike.
    pub fn flush(&mut self, sensor: &str) -> Option<Alert> {
        self.pending.take().map(|p| Self::spike(sensor, p))
    }
}

#[derive(Debug, Default)]
pub struct ProcessorCounters {
    pub processed: AtomicU64,
    /// Readings newly written (replays excluded).
    pub stored: AtomicU64,
    pub duplicates: AtomicU64,
    pub alerts: AtomicU64,
    /// Records that were not readings (bad JSON); skipped and counted.
    pub invalid: AtomicU64,
    /// Batches the store refused: the partition had been claimed by another processor.
    pub refused: AtomicU64,
}

/// What one batch produced, for whoever watches (the dashboard).
#[derive(Debug, Default, Clone)]
pub struct BatchOutcome {
    pub readings: Vec<Reading>,
    pub alerts: Vec<Alert>,
    pub windows: Vec<WindowStats>,
}

/// What a processor keeps in memory between batches: a detector and the open window of each
/// sensor it has seen, and the partition each sensor came from (so that a partition given up
/// takes its sensors' state along).
#[derive(Debug)]
pub struct Processor {
    detectors: HashMap<String, Detector>,
    /// Open window start per sensor.
    windows: HashMap<String, i64>,
    partition_of: HashMap<String, i32>,
    pub window_ms: i64,
}

/// A batch's effect before it is stored: the windows it closes, (sensor, start), and its alerts.
pub type Prepared = (Vec<(String, i64)>, Vec<Alert>);

impl Processor {
    pub fn new(window_ms: i64) -> Self {
        Processor {
            detectors: HashMap::new(),
            windows: HashMap::new(),
            partition_of: HashMap::new(),
            window_ms: window_ms.max(1),
        }
    }

    /// Runs the readings of one partition through windows and detectors.
    pub fn prepare(&mut self, partition: i32, readings: &[Reading]) -> Prepared {
        let (mut closed, mut alerts) = (Vec::new(), Vec::new());
        for r in readings {
            self.partition_of.insert(r.sensor.clone(), partition);
            let start = r.timestamp - r.timestamp.rem_euclid(self.window_ms);
            match self.windows.get(&r.sensor).copied() {
                Some(open) if start > open => {
                    closed.push((r.sensor.clone(), open));
                    self.windows.insert(r.sensor.clone(), start);
                }
                Some(_) => {}
                None => {
                    self.windows.insert(r.sensor.clone(), start);
                }
            }
            alerts.extend(
                self.detectors
                    .entry(r.sensor.clone())
                    .or_default()
                    .observe(r),
            );
        }
        (closed, alerts)
    }

    /// Forgets the sensors of partitions given up: their next owner starts them afresh.
    pub fn forget(&mut self, partitions: &[i32]) {
        let gone: Vec<String> = self
            .partition_of
            .iter()
            .filter(|(_, p)| partitions.contains(p))
            .map(|(s, _)| s.clone())
            .collect();
        for sensor in gone {
            self.partition_of.remove(&sensor);
            self.windows.remove(&sensor);
            self.detectors.remove(&sensor);
        }
    }

    /// End of input for one partition: closes its open windows and settles held outliers.
    pub fn finish(&mut self, partition: i32) -> Prepared {
        let sensors: Vec<String> = self
            .partition_of
            .iter()
            .filter(|(_, p)| **p == partition)
            .map(|(s, _)| s.clone())
            .collect();
        let (mut closed, mut alerts) = (Vec::new(), Vec::new());
        for sensor in sensors {
            if let Some(start) = self.windows.remove(&sensor) {
                closed.push((sensor.clone(), start));
            }
            if let Some(alert) = self
                .detectors
                .get_mut(&sensor)
                .and_then(|d| d.flush(&sensor))
            {
                alerts.push(alert);
            }
        }
        (closed, alerts)
    }
}

/// The readings of a batch; records that are not readings are skipped and counted.
pub fn parse(batch: &[Message], counters: &ProcessorCounters) -> Vec<Reading> {
    batch
        .iter()
        .filter_map(|m| {
            let reading = m
                .value
                .as_deref()
                .and_then(|v| serde_json::from_slice::<Reading>(v).ok());
            if reading.is_none() {
                counters.invalid.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(
                    "skipping a record that is not a reading at {}/{}",
                    m.partition,
                    m.offset
                );
            }
            reading
        })
        .collect()
}

pub async fn publish_alerts(client: &KafkaClient, topic: &str, alerts: &[Alert]) -> Result<()> {
    if alerts.is_empty() {
        return Ok(());
    }
    let records = alerts
        .iter()
        .map(|a| {
            ProduceRecord::value(
                serde_json::to_vec(&serde_json::json!({
                    "sensor": a.sensor, "seq": a.seq, "kind": a.kind,
                    "timestamp": a.timestamp, "value": a.value, "score": a.score,
                }))
                .expect("alerts serialize"),
            )
            .with_key(Some(a.sensor.clone().into_bytes()))
        })
        .collect();
    client.produce(topic, 0, records, Compression::None).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo::sensors::signal::{Anomaly, Sensor};

    #[test]
    fn detects_spikes_stuck_values_and_dropouts_but_not_level_shifts() {
        let mut sensor = Sensor::new(0, 5);
        let mut detector = Detector::default();
        let mut alerts = Vec::new();
        let mut labels = Vec::new();
        for t in 0..4000i64 {
            if t > 100 && t % 97 == 0 {
                sensor.inject(
                    [Anomaly::Spike, Anomaly::Stuck, Anomaly::Dropout][(t / 97 % 3) as usize],
                );
            }
            let r = sensor.read(t * 1000, 0.0);
            if let Some(a) = r.anomaly {
                labels.push((r.seq, a));
            }
            alerts.extend(detector.observe(&r));
        }
        alerts.extend(detector.flush("x"));
        let labelled = |seq: u64, a: Anomaly| labels.contains(&(seq, a));
        for kind in [Anomaly::Spike, Anomaly::Dropout] {
            let injected = labels.iter().filter(|(_, a)| *a == kind).count();
            let caught = alerts
                .iter()
                .filter(|al| al.kind == kind.name() && labelled(al.seq, kind))
                .count();
            assert_eq!(caught, injected, "{kind:?}");
        }
        let stuck_runs = labels.iter().filter(|(_, a)| *a == Anomaly::Stuck).count() / 6;
        let stuck_alerts = alerts
            .iter()
            .filter(|a| a.kind == "stuck" && labelled(a.seq, Anomaly::Stuck))
            .count();
        assert_eq!(stuck_alerts, stuck_runs);
        let false_alerts = alerts
            .iter()
            .filter(|a| !labels.iter().any(|(s, _)| *s == a.seq))
            .count();
        assert_eq!(false_alerts, 0, "{alerts:?}");
    }

    #[test]
    fn a_level_shift_is_not_a_spike() {
        let mut d = Detector::default();
        let reading = |seq: u64, value: f64| Reading {
            sensor: "vib-003".into(),
            site: "s".into(),
            kind: crate::demo::sensors::signal::Kind::Vibration,
            unit: "mm/s".into(),
            timestamp: seq as i64,
            seq,
            value: Some(value),
            anomaly: None,
        };
        let mut alerts = Vec::new();
        for i in 0..100u64 {
            let noise = if i % 2 == 0 { 0.01 } else { -0.01 };
            let level = if i < 50 { 0.5 } else { 1.5 };
            alerts.extend(d.observe(&reading(i, level + noise)));
        }
        assert!(alerts.is_empty(), "{alerts:?}");
    }
}
