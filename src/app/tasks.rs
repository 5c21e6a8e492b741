//! Background tasks: they own all I/O with the cluster and send what they learn as events.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use tokio::sync::mpsc::Sender;
use tokio::time::Instant;

use super::event::{BrowseRequest, ConnState, Event, ProduceRequest, Produced};
use futures::future::join_all;

use std::collections::HashMap;
use std::sync::atomic::AtomicBool;

use super::event::TaskStatus;
use super::sensors::Conservation;
use crate::collect::groups as collect_groups;
use crate::demo::ml::pipeline::{
    MetricRecord, ProducerOptions, Topics, TrainerOptions, new_run_id, produce as produce_ml,
    train as train_ml,
};
use crate::demo::sensors::processor::{BatchOutcome, ProcessorCounters, ProcessorOptions, process};
use crate::demo::sensors::simulator::{
    DEFAULT_TOPIC as SENSOR_TOPIC, SimControl, SimCounters, SimOptions, simulate,
};
use crate::kafka::StartAt;
use crate::kafka::commits::{CommitRecord, CommitTail};
use crate::kafka::partitioner::Partitioner;
use crate::kafka::reader::Reader;
use crate::kafka::{ClusterMetadata, Compression, ConnSettings, KafkaClient, ProduceRecord};
use crate::lag::reset::{ResetPlan, ResetTarget};
use crate::lag::tracker::{Commit, DEFAULT_WINDOW};

/// The client, once the poller has connected; shared with the tasks that need it.
pub type ClientCell = Arc<OnceLock<Arc<KafkaClient>>>;

const METADATA_EVERY: Duration = Duration::from_secs(5);
const WATERMARKS_EVERY: Duration = Duration::from_secs(1);
const SIZES_EVERY: Duration = Duration::from_secs(30);
const GROUPS_EVERY: Duration = Duration::from_secs(5);
/// Records read back per `__consumer_offsets` partition when the dashboard starts.
const COMMITS_BACK: i64 = 500;

fn backoff(attempt: u32) -> Duration {
    Duration::from_secs(1u64 << attempt.min(5).saturating_sub(1)).min(Duration::from_secs(30))
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// Connects (retrying with backoff) and then polls metadata, watermarks and log-dir sizes until
/// the receiver goes away.
pub async fn poll_cluster(
    brokers: Vec<String>,
    settings: ConnSettings,
    tx: Sender<Event>,
    cell: ClientCell,
) {
    let mut attempt = 0;
    let client = loop {
        match KafkaClient::connect(brokers.clone(), settings.clone()).await {
            Ok(client) => break Arc::new(client),
            Err(e) => {
                attempt += 1;
                let wait = backoff(attempt);
                tracing::warn!("cannot connect (attempt {attempt}): {e}");
                let state = ConnState::Retrying {
                    error: e.to_string(),
                    attempt,
                    retry_in_secs: wait.as_secs(),
                };
                if tx.send(Event::Connection(state)).await.is_err() {
                    return;
                }
                tokio::time::sleep(wait).await;
            }
        }
    };
    let _ = cell.set(client.clone());
    tracing::info!("connected to {}", brokers.join(","));
    if tx
        .send(Event::Connection(ConnState::Connected))
        .await
        .is_err()
    {
        return;
    }
    // One task, three loops: aborting the poller stops them all.
    tokio::join!(
        poll_metadata(&client, &tx),
        poll_groups(&client, &tx),
        tail_commits(&client, &tx),
        tail_metrics(&client, &tx)
    );
}

async fn poll_metadata(client: &KafkaClient, tx: &Sender<Event>) {
    let mut metadata: Option<ClusterMetadata> = None;
    let mut metadata_due = Instant::now();
    let mut sizes_due = Instant::now();
    let mut failures = 0;
    loop {
        let started = Instant::now();
        if started >= metadata_due || metadata.is_none() {
            match client.metadata(None).await {
                Ok(m) => {
                    metadata = Some(m.clone());
                    metadata_due = started + METADATA_EVERY;
                    if failures > 0 {
                        failures = 0;
                        tracing::info!("cluster reachable again");
                        if tx
                            .send(Event::Connection(ConnState::Connected))
                            .await
                            .is_err()
                        {
                            return;
                        }
                    }
                    if tx.send(Event::Metadata(m)).await.is_err() {
                        return;
                    }
                }
                Err(e) => {
                    failures += 1;
                    let wait = backoff(failures);
                    tracing::warn!("metadata poll failed: {e}");
                    let state = ConnState::Retrying {
                        error: e.to_string(),
                        attempt: failures,
                        retry_in_secs: wait.as_secs(),
                    };
                    if tx.send(Event::Connection(state)).await.is_err() {
                        return;
                    }
                    tokio::time::sleep(wait).await;
                    continue;
                }
            }
        }
        if let Some(meta) = &metadata {
            let keys: Vec<(String, i32)> = meta
                .topics
                .iter()
                .flat_map(|t| t.partitions.iter().map(|p| (t.name.clone(), p.id)))
                .collect();
            let at_ms = now_ms();
            let results = client.watermarks(&keys).await;
            let marks: Vec<_> = keys
                .into_iter()
                .zip(results)
                .filter_map(|(k, r)| r.ok().map(|m| (k, m)))
                .collect();
            if tx.send(Event::Watermarks { at_ms, marks }).await.is_err() {
                return;
            }
        }
        if started >= sizes_due {
            sizes_due = started + SIZES_EVERY;
            if let Ok(sizes) = client.replica_sizes().await
                && tx.send(Event::ReplicaSizes(sizes)).await.is_err()
            {
                return;
            }
        }
        tokio::time::sleep(WATERMARKS_EVERY.saturating_sub(started.elapsed())).await;
    }
}

/// Every consumer group's snapshot, every few seconds.
async fn poll_groups(client: &KafkaClient, tx: &Sender<Event>) {
    loop {
        match client.list_groups().await {
            Ok(groups) => {
                let consumer_groups: Vec<_> = groups
                    .into_iter()
                    .filter(|g| g.protocol_type.is_empty() || g.protocol_type == "consumer")
                    .collect();
                let snapshots = join_all(
                    consumer_groups
                        .iter()
                        .map(|g| collect_groups::snapshot(client, &g.group_id)),
                )
                .await;
                let event = Event::Groups {
                    at_ms: now_ms(),
                    snapshots: snapshots.into_iter().filter_map(|s| s.ok()).collect(),
                };
                if tx.send(event).await.is_err() {
                    return;
                }
            }
            Err(e) => tracing::warn!("listing groups failed: {e}"),
        }
        tokio::time::sleep(GROUPS_EVERY).await;
    }
}

/// Follows `__consumer_offsets`: every commit of every group, for the status windows. Commits
/// made before the dashboard started get the high watermark of their time from the broker
/// (ListOffsets by time); later ones are placed against the polled watermark history.
async fn tail_commits(client: &KafkaClient, tx: &Sender<Event>) {
    let started_ms = now_ms();
    let mut tail = loop {
        match CommitTail::open(client, COMMITS_BACK).await {
            Ok(t) => break t,
            Err(e) => {
                tracing::warn!("cannot follow offset commits (group status needs them): {e}");
                tokio::time::sleep(Duration::from_secs(30)).await;
            }
        }
    };
    loop {
        let records = match tail.next(client).await {
            Ok(r) => r,
            Err(e) => {
                tracing::warn!("following offset commits: {e}");
                tokio::time::sleep(Duration::from_secs(5)).await;
                continue;
            }
        };
        if records.is_empty() {
            continue;
        }
        let records = last_per_partition(records, DEFAULT_WINDOW);
        let highs = join_all(records.iter().map(|r| async move {
            if r.commit_ms < started_ms {
                client
                    .offset_for_time(&r.topic, r.partition, r.commit_ms)
                    .await
                    .ok()
            } else {
                None
            }
        }))
        .await;
        let commits = records
            .into_iter()
            .zip(highs)
            .map(|(r, high_watermark)| Commit {
                group: r.group,
                topic: r.topic,
                partition: r.partition,
                offset: r.offset,
                commit_ms: r.commit_ms,
                high_watermark,
            })
            .collect();
        if tx.send(Event::Commits(commits)).await.is_err() {
            return;
        }
    }
}

/// The last `keep` commits of each group partition, in their order: older ones would leave the
/// status window anyway, and each backlog commit costs a ListOffsets request.
fn last_per_partition(records: Vec<CommitRecord>, keep: usize) -> Vec<CommitRecord> {
    let mut seen: HashMap<(String, String, i32), usize> = HashMap::new();
    let mut kept: Vec<CommitRecord> = records
        .into_iter()
        .rev()
        .filter(|r| {
            let n = seen
                .entry((r.group.clone(), r.topic.clone(), r.partition))
                .or_default();
            *n += 1;
            *n <= keep
        })
        .collect();
    kept.reverse();
    kept
}

/// Reads messages for the browser until the range is done (or forever when following).
/// Sending waits while the UI is behind, which bounds what is in flight.
pub async fn browse(client: Arc<KafkaClient>, request: BrowseRequest, tx: Sender<Event>) {
    let fail = |error: String| Event::BrowseFailed {
        browse_id: request.id,
        error,
    };
    let mut reader = match Reader::open(
        &client,
        &request.topic,
        request.partition,
        request.start,
        !request.follow,
    )
    .await
    {
        Ok(r) => r,
        Err(e) => {
            let _ = tx.send(fail(e.to_string())).await;
            return;
        }
    };
    let mut first = true;
    loop {
        let mut batch = Vec::new();
        if let Err(e) = reader.next_batch(&client, &mut batch).await {
            let _ = tx.send(fail(e.to_string())).await;
            return;
        }
        let done = reader.is_done();
        if !batch.is_empty() || done || first {
            first = false;
            let event = Event::Messages {
                browse_id: request.id,
                messages: batch,
                progress: reader.progress(),
                done,
            };
            if tx.send(event).await.is_err() {
                return;
            }
        }
        if done {
            return;
        }
    }
}

pub async fn produce(
    client: Arc<KafkaClient>,
    request: ProduceRequest,
    partitioner: Arc<Partitioner>,
) -> Event {
    let result = async {
        let topic = client.topic(&request.topic).await?;
        let partition = match request.partition {
            Some(p) => topic.partition(p)?.id,
            None => partitioner.partition(request.key.as_deref(), topic.partitions.len()),
        };
        let record = ProduceRecord {
            key: request.key.map(Into::into),
            value: Some(request.value.into()),
            headers: request.headers,
            timestamp_ms: chrono::Utc::now().timestamp_millis(),
        };
        let offsets = client
            .produce(&topic.name, partition, vec![record], Compression::None)
            .await?;
        Ok::<_, crate::kafka::KafkaError>(Produced {
            topic: topic.name,
            partition,
            offset: offsets.first().copied().unwrap_or(-1),
        })
    }
    .await;
    match &result {
        Ok(p) => tracing::info!(
            "produced to {}/{} at offset {}",
            p.topic,
            p.partition,
            p.offset
        ),
        Err(e) => tracing::warn!("produce failed: {e}"),
    }
    Event::Produced(result.map_err(|e| e.to_string()))
}

pub async fn load_configs(client: Arc<KafkaClient>, topic: String) -> Event {
    let result = client
        .topic_configs(&topic)
        .await
        .map_err(|e| e.to_string());
    Event::Configs { topic, result }
}

pub async fn plan_reset(client: Arc<KafkaClient>, group: String, target: ResetTarget) -> Event {
    let result = collect_groups::plan_reset(&client, &group, None, target)
        .await
        .map_err(|e| e.to_string());
    Event::ResetPlanned { group, result }
}

pub async fn apply_reset(client: Arc<KafkaClient>, group: String, plans: Vec<ResetPlan>) -> Event {
    let result = collect_groups::apply_reset(&client, &group, &plans)
        .await
        .map_err(|e| e.to_string());
    match &result {
        Ok(()) => tracing::info!("offsets of group {group} reset"),
        Err(e) => tracing::warn!("offset reset of {group} failed: {e}"),
    }
    Event::ResetApplied { group, result }
}

/// Follows `ml.metrics` from its beginning once it exists; any job that writes the metric shape
/// there is drawn.
async fn tail_metrics(client: &KafkaClient, tx: &Sender<Event>) {
    let topic = Topics::with_prefix("").metrics;
    let mut reader = loop {
        match Reader::open(client, &topic, None, StartAt::Beginning, false).await {
            Ok(r) => break r,
            Err(_) => tokio::time::sleep(Duration::from_secs(5)).await,
        }
    };
    let mut batch = Vec::new();
    loop {
        batch.clear();
        if let Err(e) = reader.next_batch(client, &mut batch).await {
            tracing::warn!("following {topic}: {e}");
            tokio::time::sleep(Duration::from_secs(5)).await;
            continue;
        }
        let metrics: Vec<MetricRecord> = batch
            .iter()
            .filter_map(|m| serde_json::from_slice(m.value.as_deref()?).ok())
            .collect();
        if !metrics.is_empty() && tx.send(Event::Metrics(metrics)).await.is_err() {
            return;
        }
    }
}

/// Training samples per second of a run started from the dashboard: slow enough to watch the
/// curves climb (about 20 s for three epochs of digits).
const DASHBOARD_ML_RATE: f64 = 200.0;

pub async fn ml_producer(client: Arc<KafkaClient>, tx: Sender<Event>) {
    let options = ProducerOptions {
        topics: Topics::with_prefix(""),
        dataset: "digits".into(),
        epochs: 3,
        rate: DASHBOARD_ML_RATE,
        seed: 42,
        test_fraction: 0.2,
    };
    let run = new_run_id();
    let status = |s| Event::MlTask {
        producer: true,
        status: s,
    };
    let _ = tx.send(status(TaskStatus::Running(run.clone()))).await;
    let end = match produce_ml(&client, &options, &run).await {
        Ok(s) => TaskStatus::Done(format!(
            "{}: {} train, {} test samples sent",
            s.run, s.train_sent, s.test_sent
        )),
        Err(e) => {
            tracing::warn!("ML producer: {e}");
            TaskStatus::Failed(e.to_string())
        }
    };
    let _ = tx.send(status(end)).await;
}

pub async fn ml_trainer(client: Arc<KafkaClient>, tx: Sender<Event>) {
    let options = TrainerOptions {
        topics: Topics::with_prefix(""),
        group: "kview-ml-trainer".into(),
        eval_every: 100,
        db: Some(crate::demo::data_file("kview-ml.db")),
        exit_when_done: false,
        seed: 42,
    };
    let status = |s| Event::MlTask {
        producer: false,
        status: s,
    };
    let _ = tx
        .send(status(TaskStatus::Running("waiting for samples".into())))
        .await;
    let end = match train_ml(&client, &options).await {
        Ok(_) => TaskStatus::Done("stopped".into()),
        Err(e) => {
            tracing::warn!("ML trainer: {e}");
            TaskStatus::Failed(e.to_string())
        }
    };
    let _ = tx.send(status(end)).await;
}

/// What the dashboard's sensor pipeline shares with the runtime.
pub struct SensorPipeline {
    pub control: Arc<SimControl>,
    /// Set to let the processor stop once it has caught up.
    pub drain: Arc<AtomicBool>,
    pub sim_counters: Arc<SimCounters>,
    pub proc_counters: Arc<ProcessorCounters>,
}

impl SensorPipeline {
    pub fn new(rate: f64) -> Self {
        SensorPipeline {
            control: Arc::new(SimControl::new(rate)),
            drain: Arc::default(),
            sim_counters: Arc::default(),
            proc_counters: Arc::default(),
        }
    }

    pub fn counts(&self) -> Conservation {
        let (produced, acknowledged, failed) = self.sim_counters.snapshot();
        let get = |c: &std::sync::atomic::AtomicU64| c.load(std::sync::atomic::Ordering::Relaxed);
        Conservation {
            produced,
            acknowledged,
            failed,
            processed: get(&self.proc_counters.processed),
            stored: get(&self.proc_counters.stored),
            replayed: get(&self.proc_counters.duplicates),
            alerts: get(&self.proc_counters.alerts),
        }
    }
}

/// Sends the pipeline's counts twice a second, for the conservation line.
pub async fn report_sensor_counts(
    sim: Arc<SimCounters>,
    proc: Arc<ProcessorCounters>,
    tx: Sender<Event>,
) {
    let pipeline = SensorPipeline {
        control: Arc::default(),
        drain: Arc::default(),
        sim_counters: sim,
        proc_counters: proc,
    };
    loop {
        if tx
            .send(Event::SensorCounts(pipeline.counts()))
            .await
            .is_err()
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

pub async fn sensor_simulator(
    client: Arc<KafkaClient>,
    control: Arc<SimControl>,
    counters: Arc<SimCounters>,
    tx: Sender<Event>,
) {
    let options = SimOptions {
        topic: SENSOR_TOPIC.into(),
        sensors: 8,
        rate: control.rate(),
        duration: None,
        count: None,
        anomaly_probability: 0.002,
        seed: 7,
    };
    let status = |s| Event::SensorTask {
        simulator: true,
        status: s,
    };
    let _ = tx
        .send(status(TaskStatus::Running(format!(
            "{} sensors",
            options.sensors
        ))))
        .await;
    let end = match simulate(&client, &options, &counters, &control).await {
        Ok(()) => TaskStatus::Done("stopped".into()),
        Err(e) => TaskStatus::Failed(e.to_string()),
    };
    let _ = tx.send(status(end)).await;
}

/// Readings forwarded to the view per sensor per batch: enough for the charts, bounded however
/// fast the stream runs (the counts stay exact).
const READINGS_PER_SENSOR_SHOWN: usize = 20;

pub async fn sensor_processor(
    client: Arc<KafkaClient>,
    counters: Arc<ProcessorCounters>,
    drain: Arc<AtomicBool>,
    tx: Sender<Event>,
) {
    let options = ProcessorOptions {
        topic: SENSOR_TOPIC.into(),
        alerts_topic: format!("{SENSOR_TOPIC}.alerts"),
        group: "kview-sensor-processor".into(),
        db: crate::demo::data_file("kview-sensors.db"),
        window_ms: 10_000,
        exit_when_idle: false,
    };
    let status = |s| Event::SensorTask {
        simulator: false,
        status: s,
    };
    let _ = tx
        .send(status(TaskStatus::Running(
            options.db.display().to_string(),
        )))
        .await;
    let forward = |outcome: &BatchOutcome| {
        let mut per_sensor: HashMap<&str, usize> = HashMap::new();
        let mut readings = Vec::new();
        for r in outcome.readings.iter().rev() {
            let n = per_sensor.entry(&r.sensor).or_default();
            if *n < READINGS_PER_SENSOR_SHOWN {
                *n += 1;
                readings.push(r.clone());
            }
        }
        readings.reverse();
        // A full channel drops chart points, never data: the pipeline itself is unaffected.
        let _ = tx.try_send(Event::SensorBatch {
            readings,
            alerts: outcome.alerts.clone(),
        });
    };
    let end = match process(&client, &options, &counters, &drain, forward).await {
        Ok(()) => TaskStatus::Done(format!("stopped, all caught up ({})", options.db.display())),
        Err(e) => TaskStatus::Failed(e.to_string()),
    };
    let _ = tx.send(status(end)).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_last_commits_of_each_partition_in_order() {
        let commit = |group: &str, partition: i32, offset: i64| CommitRecord {
            group: group.into(),
            topic: "t".into(),
            partition,
            offset,
            commit_ms: offset,
        };
        let records = vec![
            commit("a", 0, 1),
            commit("a", 0, 2),
            commit("b", 0, 3),
            commit("a", 1, 4),
            commit("a", 0, 5),
        ];
        let kept: Vec<i64> = last_per_partition(records, 2)
            .iter()
            .map(|c| c.offset)
            .collect();
        assert_eq!(kept, vec![2, 3, 4, 5]);
    }
}
