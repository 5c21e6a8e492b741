//! The pipeline's two halves over Kafka. The producer streams a run: the held-out test samples
//! to `ml.test`, then the training samples to `ml.train`, shuffled each epoch, each topic closed
//! by an end record. The trainer reads them, learns online, evaluates every N samples and
//! publishes each evaluation to `ml.metrics` (and SQLite), committing its offsets as it goes so
//! its lag shows in the groups view.

use std::path::PathBuf;
use std::time::Duration;

use serde::Serialize;

use super::dataset::{Dataset, Rng, stratified_split};
use super::model::{OnlineModel, evaluate, models};
use super::records::{MetricRecord, StreamRecord, Topics};
use super::store::MlStore;
use crate::kafka::reader::Reader;
use crate::kafka::{Compression, KafkaClient, KafkaError, ProduceRecord, Result, StartAt};

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

fn json_record(value: &impl Serialize) -> ProduceRecord {
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

#[derive(Debug, Clone)]
pub struct TrainerOptions {
    pub topics: Topics,
    pub group: String,
    pub eval_every: u64,
    pub db: Option<PathBuf>,
    /// Return once a run's end record is read (headless use); otherwise wait for more runs.
    pub exit_when_done: bool,
    pub seed: u64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TrainSummary {
    pub run: String,
    pub samples_seen: u64,
    pub final_metrics: Vec<MetricRecord>,
}

struct RunState {
    run: String,
    models: Vec<Box<dyn OnlineModel>>,
    test_x: Vec<Vec<f32>>,
    test_y: Vec<usize>,
    classes: usize,
    samples_seen: u64,
    epoch: u32,
    evaluated_at: u64,
}

/// The held-out samples of a run, read from the start of the test topic up to its end record.
async fn load_test_set(
    client: &KafkaClient,
    topic: &str,
    run: &str,
) -> Result<(Vec<Vec<f32>>, Vec<usize>, String)> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let mut reader = Reader::open(client, topic, Some(0), StartAt::Beginning, true).await?;
        let (mut xs, mut ys) = (Vec::new(), Vec::new());
        let mut batch = Vec::new();
        while !reader.is_done() {
            batch.clear();
            reader.next_batch(client, &mut batch).await?;
            for m in &batch {
                match m
                    .value
                    .as_deref()
                    .and_then(|v| serde_json::from_slice::<StreamRecord>(v).ok())
                {
                    Some(StreamRecord::Sample {
                        run: r,
                        features,
                        label,
                        ..
                    }) if r == run => {
                        xs.push(features);
                        ys.push(label);
                    }
                    Some(StreamRecord::End {
                        run: r, dataset, ..
                    }) if r == run => return Ok((xs, ys, dataset)),
                    _ => {}
                }
            }
        }
        if tokio::time::Instant::now() > deadline {
            return Err(KafkaError::Client(format!(
                "no complete test set for run {run} in {topic}"
            )));
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// Learns from the train topic until a run ends (with `exit_when_done`) or forever.
pub async fn train(client: &KafkaClient, options: &TrainerOptions) -> Result<Option<TrainSummary>> {
    for topic in [
        &options.topics.train,
        &options.topics.test,
        &options.topics.metrics,
    ] {
        // One partition keeps the stream in order.
        client.ensure_topic(topic, 1).await?;
    }
    let store = match &options.db {
        Some(path) => Some(
            MlStore::open(path)
                .map_err(|e| KafkaError::Client(format!("cannot open {}: {e}", path.display())))?,
        ),
        None => None,
    };
    let committed = client
        .committed_offsets(&options.group)
        .await?
        .into_iter()
        .find(|c| c.topic == options.topics.train && c.partition == 0)
        .map(|c| c.offset);
    let start = committed.map_or(StartAt::Beginning, StartAt::Offset);
    let mut reader = Reader::open(client, &options.topics.train, Some(0), start, false).await?;
    tracing::info!("trainer reading {} from {start}", options.topics.train);

    let mut state: Option<RunState> = None;
    let mut batch = Vec::new();
    loop {
        batch.clear();
        reader.next_batch(client, &mut batch).await?;
        let Some(last_offset) = batch.last().map(|m| m.offset) else {
            continue;
        };
        let mut finished = None;
        for m in &batch {
            let Some(record) = m
                .value
                .as_deref()
                .and_then(|v| serde_json::from_slice::<StreamRecord>(v).ok())
            else {
                tracing::warn!(
                    "skipping a record that is not a sample at offset {}",
                    m.offset
                );
                continue;
            };
            match record {
                StreamRecord::Sample {
                    run,
                    features,
                    label,
                    epoch,
                    ..
                } => {
                    if state.as_ref().is_none_or(|s| s.run != run) {
                        let (test_x, test_y, dataset) =
                            load_test_set(client, &options.topics.test, &run).await?;
                        let data = Dataset::by_name(&dataset).map_err(KafkaError::Client)?;
                        tracing::info!(
                            "run {run}: training on {dataset}, {} held-out samples",
                            test_x.len()
                        );
                        if let Some(store) = &store {
                            store
                                .start_run(&run, &dataset, now_ms(), test_x.len())
                                .map_err(db_error)?;
                        }
                        state = Some(RunState {
                            run: run.clone(),
                            models: models(data.dim(), data.classes, options.seed),
                            test_x,
                            test_y,
                            classes: data.classes,
                            samples_seen: 0,
                            epoch,
                            evaluated_at: 0,
                        });
                    }
                    let s = state.as_mut().expect("run state set above");
                    if label >= s.classes {
                        tracing::warn!("skipping sample with label {label} at offset {}", m.offset);
                        continue;
                    }
                    for model in &mut s.models {
                        model.learn(&features, label);
                    }
                    s.samples_seen += 1;
                    if epoch != s.epoch {
                        tracing::info!("run {}: epoch {epoch} begins", s.run);
                        s.epoch = epoch;
                    }
                    if s.samples_seen.is_multiple_of(options.eval_every.max(1)) {
                        publish_evaluation(client, &options.topics, store.as_ref(), s).await?;
                    }
                }
                StreamRecord::End { run, .. } => {
                    if let Some(s) = state.as_mut().filter(|s| s.run == run) {
                        let metrics = if s.evaluated_at == s.samples_seen {
                            Vec::new()
                        } else {
                            publish_evaluation(client, &options.topics, store.as_ref(), s).await?
                        };
                        if let Some(store) = &store {
                            store.finish_run(&run, now_ms()).map_err(db_error)?;
                        }
                        tracing::info!("run {run} done after {} samples", s.samples_seen);
                        finished = Some((s.samples_seen, metrics));
                    }
                }
            }
        }
        client
            .commit_offsets(
                &options.group,
                &[(options.topics.train.clone(), 0, last_offset + 1)],
            )
            .await?;
        if let Some((samples_seen, final_metrics)) = finished
            && options.exit_when_done
        {
            let run = state.map(|s| s.run).unwrap_or_default();
            return Ok(Some(TrainSummary {
                run,
                samples_seen,
                final_metrics,
            }));
        }
    }
}

fn db_error(e: rusqlite::Error) -> KafkaError {
    KafkaError::Client(format!("storing the run: {e}"))
}

async fn publish_evaluation(
    client: &KafkaClient,
    topics: &Topics,
    store: Option<&MlStore>,
    s: &mut RunState,
) -> Result<Vec<MetricRecord>> {
    s.evaluated_at = s.samples_seen;
    let mut out = Vec::with_capacity(s.models.len());
    for model in &s.models {
        let e = evaluate(model.as_ref(), &s.test_x, &s.test_y, s.classes);
        let record = MetricRecord {
            run: s.run.clone(),
            model: model.name().to_owned(),
            samples_seen: s.samples_seen,
            epoch: s.epoch,
            accuracy: e.accuracy,
            loss: e.loss,
            per_class_accuracy: e.per_class_accuracy,
            confusion: e.confusion,
            timestamp: now_ms(),
        };
        tracing::info!(
            "run {} {} after {} samples (epoch {}): accuracy {:.3}, loss {:.3}",
            record.run,
            record.model,
            record.samples_seen,
            record.epoch,
            record.accuracy,
            record.loss
        );
        if let Some(store) = store {
            store.record(&record).map_err(db_error)?;
        }
        out.push(record);
    }
    let records = out.iter().map(json_record).collect();
    client
        .produce(&topics.metrics, 0, records, Compression::None)
        .await?;
    Ok(out)
}
