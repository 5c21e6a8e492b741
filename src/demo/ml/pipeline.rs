//! The pipeline's first half over Kafka: the producer streams a run, the held-out test samples
//! to `ml.test`, then the training samples to `ml.train`, shuffled each epoch, each topic closed
//! by an end record. The trainer (`trainer`) reads them.

use std::time::Duration;

use serde::Serialize;

use super::dataset::{Dataset, Rng, stratified_split};
use super::records::{StreamRecord, Topics};
use crate::kafka::{Compression, KafkaClient, KafkaError, ProduceRecord, Result};

pub(super) fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

pub(super) fn json_record(value: &impl Serialize) -> ProduceRecord {
    ProduceRecord::value(serde_json::to_vec(value).expect("records serialize"))
}

#[derive(Debug, Clone)]
pub struct ProducerOptions {
    pub topics: Topics,
    pub dataset: String,
    pub epochs: u32,
    /// Training samples per second; 0 sends as fast as the broker takes them.
    pub rate: f64,
    pub seed: u64,
    pub test_fraction: f64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProduceSummary {
    pub run: String,
    pub train_sent: usize,
    pub test_sent: usize,
}

pub fn new_run_id() -> String {
    format!("run-{}", chrono::Utc::now().format("%Y%m%d-%H%M%S%.3f"))
}

/// Streams one run; returns what it sent.
pub async fn produce(
    client: &KafkaClient,
    options: &ProducerOptions,
    run: &str,
) -> Result<ProduceSummary> {
    let dataset = Dataset::by_name(&options.dataset).map_err(KafkaError::Client)?;
    for topic in [
        &options.topics.train,
        &options.topics.test,
        &options.topics.metrics,
    ] {
        // One partition keeps the stream in order.
        client.ensure_topic(topic, 1).await?;
    }
    let (train, test) = stratified_split(
        &dataset.labels,
        dataset.classes,
        options.test_fraction,
        options.seed,
    );
    tracing::info!(
        "run {run}: {} samples of {} ({} train, {} test), {} epochs",
        dataset.len(),
        dataset.name,
        train.len(),
        test.len(),
        options.epochs
    );

    let sample = |i: usize, epoch: u32| StreamRecord::Sample {
        run: run.to_owned(),
        id: i,
        epoch,
        features: dataset.features[i].clone(),
        label: dataset.labels[i],
    };
    let end = |samples| StreamRecord::End {
        run: run.to_owned(),
        dataset: dataset.name.to_owned(),
        samples,
    };
    let mut records: Vec<ProduceRecord> =
        test.iter().map(|&i| json_record(&sample(i, 0))).collect();
    records.push(json_record(&end(test.len())));
    client
        .produce(&options.topics.test, 0, records, Compression::None)
        .await?;

    let mut sent = 0;
    let mut order = train.clone();
    // A ticker, not a sleep after each send, so the time a send takes does not slow the rate.
    let mut pace = (options.rate > 0.0).then(|| tokio::time::interval(Duration::from_millis(100)));
    let per_tick = (options.rate / 10.0).max(1.0);
    let mut owed = 0.0;
    for epoch in 1..=options.epochs {
        Rng::new(options.seed.wrapping_add(u64::from(epoch))).shuffle(&mut order);
        let mut pending = order.iter();
        loop {
            if let Some(ticker) = pace.as_mut() {
                ticker.tick().await;
            }
            let take = match pace {
                Some(_) => {
                    owed += per_tick;
                    let n = owed.floor() as usize;
                    owed -= n as f64;
                    n
                }
                None => 500,
            };
            let batch: Vec<ProduceRecord> = pending
                .by_ref()
                .take(take)
                .map(|&i| json_record(&sample(i, epoch)))
                .collect();
            if batch.is_empty() && take > 0 {
                break;
            }
            sent += batch.len();
            client
                .produce(&options.topics.train, 0, batch, Compression::None)
                .await?;
        }
        tracing::info!("run {run}: epoch {epoch} sent");
    }
    client
        .produce(
            &options.topics.train,
            0,
            vec![json_record(&end(sent))],
            Compression::None,
        )
        .await?;
    Ok(ProduceSummary {
        run: run.to_owned(),
        train_sent: sent,
        test_sent: test.len(),
    })
}

pub use super::trainer::{TrainSummary, TrainerOptions, train};
