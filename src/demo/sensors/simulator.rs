//! The sensor simulator: readings for N sensors at a chosen rate (or as fast as the broker takes
//! them), keyed by sensor id, with every send counted — produced, acknowledged or failed.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use super::signal::{Anomaly, Sensor};
use crate::kafka::partitioner::Partitioner;
use crate::kafka::{Compression, KafkaClient, ProduceRecord, Result};

pub const DEFAULT_TOPIC: &str = "sensors";
pub const PARTITIONS: i32 = 4;

#[derive(Debug, Clone)]
pub struct SimOptions {
    pub topic: String,
    pub sensors: usize,
    /// Readings per second over all sensors; 0 means as fast as the broker takes them.
    pub rate: f64,
    pub duration: Option<Duration>,
    /// Stop after this many readings.
    pub count: Option<u64>,
    /// Chance per reading that a random anomaly starts.
    pub anomaly_probability: f64,
    pub seed: u64,
}

/// Counts shared with whoever watches the simulator (the dashboard, the command's summary).
#[derive(Debug, Default)]
pub struct SimCounters {
    pub produced: AtomicU64,
    pub acknowledged: AtomicU64,
    pub failed: AtomicU64,
}

impl SimCounters {
    pub fn snapshot(&self) -> (u64, u64, u64) {
        (
            self.produced.load(Ordering::Relaxed),
            self.acknowledged.load(Ordering::Relaxed),
            self.failed.load(Ordering::Relaxed),
        )
    }
}

/// Steering a running simulator: its rate, anomalies to inject, stop.
#[derive(Debug, Default)]
pub struct SimControl {
    rate_bits: AtomicU64,
    injections: Mutex<Vec<(usize, Anomaly)>>,
    stop: AtomicBool,
}

impl SimControl {
    pub fn new(rate: f64) -> Self {
        let control = SimControl::default();
        control.set_rate(rate);
        control
    }

    pub fn rate(&self) -> f64 {
        f64::from_bits(self.rate_bits.load(Ordering::Relaxed))
    }

    pub fn set_rate(&self, rate: f64) {
        self.rate_bits
            .store(rate.max(0.0).to_bits(), Ordering::Relaxed);
    }

    pub fn inject(&self, sensor: usize, anomaly: Anomaly) {
        self.injections
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push((sensor, anomaly));
    }

    pub fn stop(&self) {
        self.stop.store(true, Ordering::Relaxed);
    }

    fn take_injections(&self) -> Vec<(usize, Anomaly)> {
        std::mem::take(&mut *self.injections.lock().unwrap_or_else(|p| p.into_inner()))
    }
}

/// Runs until the duration or count is reached, or `control.stop()`.
pub async fn simulate(
    client: &KafkaClient,
    options: &SimOptions,
    counters: &SimCounters,
    control: &SimControl,
) -> Result<()> {
    client.ensure_topic(&options.topic, PARTITIONS).await?;
    let partitions = client.topic(&options.topic).await?.partitions.len();
    let partitioner = Partitioner::default();
    // Sequence numbers start at the run's start time in µs, so runs never collide.
    let run_start = chrono::Utc::now().timestamp_micros().max(0) as u64;
    let mut sensors: Vec<Sensor> = (0..options.sensors.max(1))
        .map(|i| Sensor::starting_at(i, options.seed, run_start))
        .collect();
    let started = tokio::time::Instant::now();
    let mut ticker = tokio::time::interval(Duration::from_millis(100));
    let mut owed = 0.0;
    let mut next_sensor = 0;
    let sensor_count = sensors.len();
    tracing::info!(
        "simulating {} sensors into {}",
        sensors.len(),
        options.topic
    );
    loop {
        if control.stop.load(Ordering::Relaxed)
            || options.duration.is_some_and(|d| started.elapsed() >= d)
            || options
                .count
                .is_some_and(|c| counters.produced.load(Ordering::Relaxed) >= c)
        {
            break;
        }
        let rate = control.rate();
        let due = if rate > 0.0 {
            ticker.tick().await;
            owed += rate / 10.0;
            let n = owed.floor();
            owed -= n;
            n as u64
        } else {
            5_000
        };
        let due = match options.count {
            Some(c) => due.min(c - counters.produced.load(Ordering::Relaxed)),
            None => due,
        };
        for (sensor, anomaly) in control.take_injections() {
            if let Some(s) = sensors.get_mut(sensor) {
                tracing::info!("injecting {} into {}", anomaly.phrase(), s.id);
                s.inject(anomaly);
            }
        }
        let now = chrono::Utc::now().timestamp_millis();
        let mut by_partition: BTreeMap<i32, Vec<ProduceRecord>> = BTreeMap::new();
        for _ in 0..due {
            let sensor = &mut sensors[next_sensor];
            next_sensor = (next_sensor + 1) % sensor_count;
            let reading = sensor.read(now, options.anomaly_probability);
            let key = reading.sensor.as_bytes().to_vec();
            let partition = partitioner.partition(Some(&key), partitions);
            by_partition.entry(partition).or_default().push(
                ProduceRecord::value(serde_json::to_vec(&reading).expect("readings serialize"))
                    .with_key(Some(key)),
            );
        }
        counters.produced.fetch_add(due, Ordering::Relaxed);
        let sizes: BTreeMap<i32, u64> = by_partition
            .iter()
            .map(|(p, records)| (*p, records.len() as u64))
            .collect();
        let written = client
            .produce_partitions(
                &options.topic,
                by_partition.into_iter().collect(),
                Compression::None,
            )
            .await;
        for w in written {
            let n = sizes.get(&w.partition).copied().unwrap_or_default();
            let acknowledged = w.offsets.len() as u64;
            counters
                .acknowledged
                .fetch_add(acknowledged, Ordering::Relaxed);
            if let Some(e) = w.error {
                // Counted and reported: a reading that was not written is never hidden.
                let lost = n - acknowledged;
                tracing::warn!("{lost} readings not written: {e}");
                counters.failed.fetch_add(lost, Ordering::Relaxed);
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_carries_rate_and_injections() {
        let c = SimControl::new(100.0);
        assert_eq!(c.rate(), 100.0);
        c.set_rate(-5.0);
        assert_eq!(c.rate(), 0.0);
        c.inject(2, Anomaly::Spike);
        assert_eq!(c.take_injections(), vec![(2, Anomaly::Spike)]);
        assert!(c.take_injections().is_empty());
    }
}
