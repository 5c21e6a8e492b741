//! The stream processor: consumes readings, keeps tumbling-window statistics per sensor,
//! detects anomalies online, publishes alerts and stores everything in SQLite.
//!
//! At-least-once with idempotent writes: a batch is written in one database transaction, and
//! only after it commits are the Kafka offsets committed. A crash between the two replays the
//! batch, which the primary keys make harmless; after `kill -9` and a restart every produced
//! reading is in the database exactly once.
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
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

use super::signal::Reading;
use super::simulator::PARTITIONS;
use super::store::{self, Alert, SensorStore, WindowStats};
use crate::kafka::reader::Reader;
use crate::kafka::{Compression, KafkaClient, KafkaError, Message, ProduceRecord, Result, StartAt};

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

#[derive(Debug, Clone)]
pub struct ProcessorOptions {
    pub topic: String,
    pub alerts_topic: String,
    pub group: String,
    pub db: PathBuf,
    pub window_ms: i64,
    /// Stop once caught up with the topic (scripts, tests); otherwise run until stopped.
    pub exit_when_idle: bool,
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
}

/// What one batch produced, for whoever watches (the dashboard).
#[derive(Debug, Default, Clone)]
pub struct BatchOutcome {
    pub readings: Vec<Reading>,
    pub alerts: Vec<Alert>,
    pub windows: Vec<WindowStats>,
}

struct Processor {
    store: SensorStore,
    detectors: HashMap<String, Detector>,
    /// Open window start per sensor.
    windows: HashMap<String, i64>,
    window_ms: i64,
}

impl Processor {
    /// Writes a batch in one transaction; returns what it produced.
    fn write(
        &mut self,
        readings: Vec<Reading>,
        counters: &ProcessorCounters,
    ) -> rusqlite::Result<BatchOutcome> {
        let mut outcome = BatchOutcome::default();
        let tx = self.store.transaction()?;
        for r in &readings {
            if store::insert_reading(&tx, r)? {
                counters.stored.fetch_add(1, Ordering::Relaxed);
            } else {
                counters.duplicates.fetch_add(1, Ordering::Relaxed);
            }
            let start = r.timestamp - r.timestamp.rem_euclid(self.window_ms);
            match self.windows.get(&r.sensor).copied() {
                Some(open) if start > open => {
                    outcome.windows.push(store::close_window(
                        &tx,
                        &r.sensor,
                        open,
                        self.window_ms,
                    )?);
                    self.windows.insert(r.sensor.clone(), start);
                }
                Some(_) => {}
                None => {
                    self.windows.insert(r.sensor.clone(), start);
                }
            }
            outcome.alerts.extend(
                self.detectors
                    .entry(r.sensor.clone())
                    .or_default()
                    .observe(r),
            );
        }
        for a in &outcome.alerts {
            store::insert_alert(&tx, a)?;
        }
        tx.commit()?;
        counters
            .processed
            .fetch_add(readings.len() as u64, Ordering::Relaxed);
        counters
            .alerts
            .fetch_add(outcome.alerts.len() as u64, Ordering::Relaxed);
        outcome.readings = readings;
        Ok(outcome)
    }

    /// Closes every open window and settles held outliers (end of input).
    fn finish(&mut self, counters: &ProcessorCounters) -> rusqlite::Result<BatchOutcome> {
        let mut outcome = BatchOutcome::default();
        let tx = self.store.transaction()?;
        for (sensor, start) in self.windows.drain() {
            outcome
                .windows
                .push(store::close_window(&tx, &sensor, start, self.window_ms)?);
        }
        for (sensor, detector) in &mut self.detectors {
            if let Some(alert) = detector.flush(sensor) {
                store::insert_alert(&tx, &alert)?;
                outcome.alerts.push(alert);
            }
        }
        tx.commit()?;
        counters
            .alerts
            .fetch_add(outcome.alerts.len() as u64, Ordering::Relaxed);
        Ok(outcome)
    }
}

fn db_error(e: rusqlite::Error) -> KafkaError {
    KafkaError::Client(format!("sensor database: {e}"))
}

fn parse(batch: &[Message], counters: &ProcessorCounters) -> Vec<Reading> {
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

/// Runs the processor; `watch` sees every batch's outcome. Once `drain` is set it stops at the
/// first moment it has caught up (how the dashboard stops it without leaving readings behind).
pub async fn process(
    client: &KafkaClient,
    options: &ProcessorOptions,
    counters: &ProcessorCounters,
    drain: &std::sync::atomic::AtomicBool,
    mut watch: impl FnMut(&BatchOutcome),
) -> Result<()> {
    client.ensure_topic(&options.topic, PARTITIONS).await?;
    client.ensure_topic(&options.alerts_topic, 1).await?;
    let mut processor = Processor {
        store: SensorStore::open(&options.db).map_err(db_error)?,
        detectors: HashMap::new(),
        windows: HashMap::new(),
        window_ms: options.window_ms.max(1),
    };
    let committed: HashMap<i32, i64> = client
        .committed_offsets(&options.group)
        .await?
        .into_iter()
        .filter(|c| c.topic == options.topic)
        .map(|c| (c.partition, c.offset))
        .collect();
    let start_for = |p: i32| {
        committed
            .get(&p)
            .map_or(StartAt::Beginning, |o| StartAt::Offset(*o))
    };
    let mut reader = Reader::open_each(
        client,
        &options.topic,
        None,
        start_for,
        options.exit_when_idle,
    )
    .await?;
    tracing::info!("processing {} into {}", options.topic, options.db.display());

    let mut batch = Vec::new();
    while !reader.is_done() {
        batch.clear();
        reader.next_batch(client, &mut batch).await?;
        if batch.is_empty() {
            if drain.load(Ordering::Relaxed) {
                break;
            }
            continue;
        }
        let mut next_offsets: HashMap<i32, i64> = HashMap::new();
        for m in &batch {
            next_offsets.insert(m.partition, m.offset + 1);
        }
        let readings = parse(&batch, counters);
        let outcome = processor.write(readings, counters).map_err(db_error)?;
        // Only now, with the batch durable, may the offsets move on.
        publish_alerts(client, &options.alerts_topic, &outcome.alerts).await?;
        let offsets: Vec<(String, i32, i64)> = next_offsets
            .into_iter()
            .map(|(p, o)| (options.topic.clone(), p, o))
            .collect();
        client.commit_offsets(&options.group, &offsets).await?;
        watch(&outcome);
    }
    let outcome = processor.finish(counters).map_err(db_error)?;
    publish_alerts(client, &options.alerts_topic, &outcome.alerts).await?;
    watch(&outcome);
    Ok(())
}

async fn publish_alerts(client: &KafkaClient, topic: &str, alerts: &[Alert]) -> Result<()> {
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
