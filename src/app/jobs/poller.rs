//! The cluster poller: connects (retrying with backoff), then keeps the dashboard's picture of
//! the cluster fresh — metadata, watermarks, log-dir sizes, groups, offset commits and the ML
//! metrics topic — until it is stopped.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use tokio::sync::mpsc::Sender;
use tokio::time::Instant;

use super::group_poll::{self, GROUPS_EVERY, Highs, OpenGroup};
use super::now_ms;
use crate::app::event::{ConnState, Event};
use crate::collect::groups::KnownHighs;
use crate::config::ClusterConfig;
use crate::demo::DemoNames;
use crate::demo::ml::records::MetricRecord;
use crate::kafka::commits::{CommitRecord, CommitTail};
use crate::kafka::reader::Reader;
use crate::kafka::retry::RetryPolicy;
use crate::kafka::{ClusterMetadata, ConnSettings, KafkaClient, StartAt};
use crate::lag::tracker::{Commit, DEFAULT_WINDOW};

/// The client, once the poller has connected; shared with the jobs that need it.
pub type ClientCell = Arc<OnceLock<Arc<KafkaClient>>>;

const METADATA_EVERY: Duration = Duration::from_secs(5);
/// How often watermarks and groups are asked for unless the cluster's profile says otherwise.
const WATERMARKS_EVERY: Duration = Duration::from_secs(1);
const SIZES_EVERY: Duration = Duration::from_secs(30);
/// Records read back per `__consumer_offsets` partition when the dashboard starts.
const COMMITS_BACK: i64 = 500;

/// How often the poller asks.
#[derive(Debug, Clone, Copy)]
pub struct Intervals {
    /// None: by the cluster's size (see [`watermark_interval`]).
    pub watermarks: Option<Duration>,
    /// None: by the groups' size (see [`group_poll::group_interval`]).
    pub groups: Option<Duration>,
}

/// Partitions sampled per second by default: a second between samples up to 2,000 partitions,
/// then longer (five seconds at 10,000), so a big cluster costs the dashboard no more than a
/// small one. A profile's `refresh` sets the interval outright.
const PARTITIONS_PER_SECOND: usize = 2_000;

pub fn watermark_interval(configured: Option<Duration>, partitions: usize) -> Duration {
    configured.unwrap_or_else(|| {
        let secs = partitions.div_ceil(PARTITIONS_PER_SECOND).max(1) as u64;
        WATERMARKS_EVERY.max(Duration::from_secs(secs))
    })
}

/// Reads the cluster's TLS files and secrets, then connects and polls (see [`poll_cluster`]).
/// A secret or file that cannot be read stops here with the reason in the header.
pub async fn connect_and_poll(
    cluster: ClusterConfig,
    timeout: Duration,
    read_only: bool,
    tx: Sender<Event>,
    cell: ClientCell,
    names: DemoNames,
    open: OpenGroup,
) {
    let intervals = Intervals {
        watermarks: cluster.refresh,
        groups: cluster.group_refresh,
    };
    match cluster.conn_settings(timeout, read_only).await {
        Ok(settings) => {
            poll_cluster(cluster.brokers, settings, intervals, tx, cell, names, open).await;
        }
        Err(e) => {
            tracing::warn!("cannot connect: {e}");
            let _ = tx.send(Event::Connection(ConnState::Failed(e))).await;
        }
    }
}

/// Connects (retrying with backoff, unless the settings themselves are wrong) and then polls
/// until the job is stopped or the receiver goes away.
pub async fn poll_cluster(
    brokers: Vec<String>,
    settings: ConnSettings,
    intervals: Intervals,
    tx: Sender<Event>,
    cell: ClientCell,
    names: DemoNames,
    open: OpenGroup,
) {
    let mut attempt = 0;
    let mut pauses = RetryPolicy::reconnect().pauses();
    let client = loop {
        match KafkaClient::connect(brokers.clone(), settings.clone()).await {
            Ok(client) => break Arc::new(client),
            Err(e) if e.needs_new_settings() => {
                tracing::warn!("cannot connect: {e}");
                let _ = tx
                    .send(Event::Connection(ConnState::Failed(e.to_string())))
                    .await;
                return;
            }
            Err(e) => {
                attempt += 1;
                let wait = pauses.next_pause().unwrap_or(Duration::from_secs(30));
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
    // The latest high watermarks, shared so the group poll need not ask for them again; the
    // group poll waits for the first sample (else each of thousands of groups asks its own).
    let latest = std::sync::RwLock::new(Arc::default());
    let sampled = tokio::sync::Notify::new();
    // One job, four loops: stopping the poller stops them all.
    tokio::join!(
        poll_metadata(&client, &tx, intervals.watermarks, &latest, &sampled),
        group_poll::poll_groups(&client, &tx, intervals.groups, &latest, &sampled, open),
        tail_commits(&client, &tx),
        tail_metrics(&client, &tx, &names)
    );
}

async fn poll_metadata(
    client: &KafkaClient,
    tx: &Sender<Event>,
    configured: Option<Duration>,
    latest: &Highs,
    sampled: &tokio::sync::Notify,
) {
    let mut every = watermark_interval(configured, 0);
    let mut metadata: Option<Arc<ClusterMetadata>> = None;
    let mut metadata_due = Instant::now();
    let mut sizes_due = Instant::now();
    let mut shared_due = Instant::now();
    let mut failures = 0;
    let mut pauses = RetryPolicy::reconnect().pauses();
    loop {
        let started = Instant::now();
        if started >= metadata_due || metadata.is_none() {
            match client.metadata(None).await {
                Ok(m) => {
                    let m = Arc::new(m);
                    metadata = Some(m.clone());
                    metadata_due = started + METADATA_EVERY;
                    if failures > 0 {
                        failures = 0;
                        pauses = RetryPolicy::reconnect().pauses();
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
                    let wait = pauses.next_pause().unwrap_or(Duration::from_secs(30));
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
            every = watermark_interval(
                configured,
                meta.topics.iter().map(|t| t.partitions.len()).sum(),
            );
            let keys: Vec<(String, i32)> = meta
                .topics
                .iter()
                .flat_map(|t| t.partitions.iter().map(|p| (t.name.clone(), p.id)))
                .collect();
            let at_ms = now_ms();
            let results = client.watermarks(&keys).await;
            let mut marks = Vec::with_capacity(keys.len());
            let mut missing = Vec::new();
            for (key, result) in keys.into_iter().zip(results) {
                match result {
                    Ok(m) => marks.push((key, m)),
                    Err(_) => missing.push(key),
                }
            }
            let mut stable_due = false;
            if started >= shared_due {
                // For the group poll, as often as it runs.
                shared_due = started + GROUPS_EVERY;
                let known = KnownHighs::from_sample(
                    marks.iter().map(|((t, p), m)| (t.as_str(), *p, m.high)),
                );
                *latest.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(known);
                sampled.notify_one();
                stable_due = true;
            }
            // Where open transactions hold the last stable offset below the high watermark,
            // as often as groups are polled: one ListOffsets per leader.
            let held: Option<Vec<((String, i32), i64)>> = if stable_due {
                let keys: Vec<(&str, i32)> =
                    marks.iter().map(|((t, p), _)| (t.as_str(), *p)).collect();
                let stable = client.stable_offsets(&keys).await;
                Some(
                    marks
                        .iter()
                        .zip(stable)
                        .filter_map(|((key, m), s)| {
                            let s = s.ok()?;
                            (s < m.high).then(|| (key.clone(), s))
                        })
                        .collect(),
                )
            } else {
                None
            };
            let event = Event::Watermarks {
                at_ms,
                marks,
                missing,
            };
            if tx.send(event).await.is_err() {
                return;
            }
            if let Some(held) = held
                && tx.send(Event::StableOffsets(held)).await.is_err()
            {
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
        tokio::time::sleep(every.saturating_sub(started.elapsed())).await;
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
        // Commits from before the dashboard started have no samples of their time: the broker
        // says (by leader, in a few requests); later ones are placed in the samples.
        let older: Vec<(String, i32, i64)> = records
            .iter()
            .filter(|r| r.commit_ms < started_ms)
            .map(|r| (r.topic.clone(), r.partition, r.commit_ms))
            .collect();
        let mut looked_up = client.offsets_for_times(&older).await.into_iter();
        let highs: Vec<Option<i64>> = records
            .iter()
            .map(|r| {
                if r.commit_ms < started_ms {
                    looked_up.next().and_then(Result::ok)
                } else {
                    None
                }
            })
            .collect();
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

/// Follows `ml.metrics` from its beginning once it exists; any job that writes the metric shape
/// there is drawn.
async fn tail_metrics(client: &KafkaClient, tx: &Sender<Event>, names: &DemoNames) {
    let topic = names.ml_topics().metrics;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn big_clusters_are_sampled_less_often_unless_a_profile_says() {
        assert_eq!(watermark_interval(None, 300), Duration::from_secs(1));
        assert_eq!(watermark_interval(None, 2_000), Duration::from_secs(1));
        assert_eq!(watermark_interval(None, 10_000), Duration::from_secs(5));
        assert_eq!(
            watermark_interval(Some(Duration::from_millis(500)), 10_000),
            Duration::from_millis(500)
        );
    }

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
