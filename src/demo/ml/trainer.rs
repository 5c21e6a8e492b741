//! The trainer: reads a run's samples from `ml.train` as a member of the trainers' group,
//! learns online, evaluates every N samples on the held-out set and publishes each evaluation
//! to `ml.metrics` (and SQLite), committing as it goes so its lag shows in the groups view.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use super::dataset::Dataset;
use super::model::{OnlineModel, evaluate, models};
use super::pipeline::{json_record, now_ms};
use super::records::{MetricRecord, StreamRecord, Topics};
use super::store::MlStore;
use crate::kafka::group::MemberSettings;
use crate::kafka::group::reading::{Committer, consume_assigned, resolve_starts};
use crate::kafka::reader::Reader;
use crate::kafka::records::Isolation;
use crate::kafka::{Compression, KafkaClient, KafkaError, Message, Result, StartAt};

const FETCH_BYTES: usize = 4 * 1024 * 1024;

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

/// Learns from the train topic as a member of the trainers' group until a run ends (with
/// `exit_when_done`) or forever. The topic has one partition, so one trainer of the group
/// learns and the others stand by; when it dies, one of them takes over from the group's
/// commit with models of its own (the run's evaluations start again from there).
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
    let topic = &options.topics.train;
    let settings = MemberSettings::new(&options.group, vec![topic.clone()]);
    let isolation = Isolation::ReadCommitted;
    let (member, read, assigned) = consume_assigned(client, &settings, isolation, FETCH_BYTES);

    let work = async {
        // Owned here, so that however this ends the membership leaves and the reader stops.
        let mut assigned = assigned;
        let committer = Committer {
            client,
            group: &options.group,
            identity: &assigned.identity,
        };
        let mut state: Option<RunState> = None;
        // The next offset of partition 0, while this trainer owns it.
        let mut next: Option<i64> = None;
        let mut generation = 0u64;
        let mut summary = None;
        let commit_next =
            |next: Option<i64>| next.map(|n| BTreeMap::from([(0, n)])).unwrap_or_default();
        loop {
            tokio::select! {
                change = assigned.changes.recv() => {
                    let Some(change) = change else { break };
                    let owns = change.owned.iter().any(|(t, p)| t == topic && *p == 0);
                    if !owns {
                        if !change.lost {
                            committer.commit_topic(topic, &commit_next(next)).await?;
                        }
                        // Another trainer goes on from the commit; these models are stale.
                        next = None;
                        state = None;
                    } else if next.is_none() {
                        let committed = client
                            .committed_offsets(&options.group)
                            .await?
                            .into_iter()
                            .find(|c| c.topic == *topic && c.partition == 0 && c.offset >= 0)
                            .map(|c| c.offset);
                        let start = match committed {
                            Some(offset) => offset,
                            None => resolve_starts(client, topic, &[0], StartAt::Beginning, isolation)
                                .await?
                                .get(&0)
                                .copied()
                                .unwrap_or(0),
                        };
                        tracing::info!("trainer reading {topic} from offset {start}");
                        next = Some(start);
                    }
                    generation += 1;
                    let at: Vec<_> = next.map(|n| vec![((topic.clone(), 0), n)]).unwrap_or_default();
                    assigned.positions.send_replace((generation, at));
                    let _ = change.done.send(());
                }
                batch = assigned.batches.recv() => {
                    let Some((read_for, fetched)) = batch else { break };
                    // The train topic's only partition, when it had records.
                    let Some((_, batch)) = fetched?.pop() else { continue };
                    if read_for != generation || next.is_none() {
                        continue;
                    }
                    let Some(last_offset) = batch.last().map(|m| m.offset) else {
                        continue;
                    };
                    let finished = learn(client, options, store.as_ref(), &mut state, &batch).await?;
                    next = Some(last_offset + 1);
                    committer.commit_topic(topic, &commit_next(next)).await?;
                    if let Some((samples_seen, final_metrics)) = finished
                        && options.exit_when_done
                    {
                        let run = state.take().map(|s| s.run).unwrap_or_default();
                        summary = Some(TrainSummary { run, samples_seen, final_metrics });
                        break;
                    }
                }
            }
        }
        committer.commit_topic(topic, &commit_next(next)).await?;
        assigned.leave();
        Ok(summary)
    };
    let (member, (), worked) = tokio::join!(member, read, work);
    let summary = worked?;
    member?;
    Ok(summary)
}

/// Learns from one batch of the train topic; the run's end, when the batch holds it: the
/// samples seen and the last evaluation.
async fn learn(
    client: &KafkaClient,
    options: &TrainerOptions,
    store: Option<&MlStore>,
    state: &mut Option<RunState>,
    batch: &[Message],
) -> Result<Option<(u64, Vec<MetricRecord>)>> {
    let mut finished = None;
    for m in batch {
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
                    if let Some(store) = store {
                        store
                            .start_run(&run, &dataset, now_ms(), test_x.len())
                            .map_err(db_error)?;
                    }
                    *state = Some(RunState {
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
                    publish_evaluation(client, &options.topics, store, s).await?;
                }
            }
            StreamRecord::End { run, .. } => {
                if let Some(s) = state.as_mut().filter(|s| s.run == run) {
                    let metrics = if s.evaluated_at == s.samples_seen {
                        Vec::new()
                    } else {
                        publish_evaluation(client, &options.topics, store, s).await?
                    };
                    if let Some(store) = store {
                        store.finish_run(&run, now_ms()).map_err(db_error)?;
                    }
                    tracing::info!("run {run} done after {} samples", s.samples_seen);
                    finished = Some((s.samples_seen, metrics));
                }
            }
        }
    }
    Ok(finished)
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
