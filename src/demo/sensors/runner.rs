//! A sensor processor as a member of its consumer group: start several (on one machine or
//! many) and the group spreads the partitions; kill one and the others take its partitions.
//!
//! Exactly once, whoever owns what: a partition given to this processor is claimed in the store
//! (see `store`), which says where its stored results end; reading starts there, not at the
//! group's commits. Each partition's batch is stored in one transaction with its new end, under
//! the claim's fence, so a processor that lost a partition and writes late is refused. Kafka's
//! commits follow the store (for lag monitoring), every second and when partitions are given up.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tokio::sync::watch;

use super::processor::{self, BatchOutcome, Processor, ProcessorCounters};
use super::simulator::PARTITIONS;
use super::store::{BatchWrite, SensorStore, StoreTarget, Written};
use crate::cli::GroupProtocolArgs;
use crate::kafka::group::reading::{Committer, TopicRecords, consume_assigned, resolve_starts};
use crate::kafka::group::{MemberSettings, TopicPartition};
use crate::kafka::records::Isolation;
use crate::kafka::{KafkaClient, KafkaError, Message, Result, StartAt};

#[derive(Debug, Clone)]
pub struct ProcessorOptions {
    pub topic: String,
    pub alerts_topic: String,
    pub group: String,
    pub store: StoreTarget,
    pub window_ms: i64,
    /// Stop once caught up with what the group assigned (scripts, tests); else run until stopped.
    pub exit_when_idle: bool,
    /// How long the group waits for this processor to give partitions up in a rebalance.
    pub rebalance_timeout: Duration,
    /// The group protocol and the classic protocol's settings.
    pub membership: GroupProtocolArgs,
}

/// How a processor is asked to stop: `drain` once it has caught up (the dashboard, so the
/// counts close), `now` after the batch in hand (Ctrl-C, SIGTERM). Either way it commits and
/// leaves its group.
#[derive(Debug, Clone)]
pub struct Stopping<'a> {
    pub drain: &'a AtomicBool,
    pub now: watch::Receiver<bool>,
}

const FETCH_BYTES: usize = 4 * 1024 * 1024;
const COMMIT_EVERY: Duration = Duration::from_secs(1);

fn store_error(e: super::store::StoreError) -> KafkaError {
    KafkaError::Client(e.to_string())
}

/// A partition this processor owns: the fence it claimed it under and the next offset to store.
#[derive(Debug, Clone, Copy)]
struct Owned {
    fence: i64,
    next: i64,
}

/// Runs one processor until it is stopped; `watch` sees every stored batch's outcome.
pub async fn process(
    client: &KafkaClient,
    options: &ProcessorOptions,
    counters: &ProcessorCounters,
    stopping: Stopping<'_>,
    mut watch: impl FnMut(&BatchOutcome),
) -> Result<()> {
    client.ensure_topic(&options.topic, PARTITIONS).await?;
    client.ensure_topic(&options.alerts_topic, 1).await?;
    let mut store = SensorStore::open(&options.store)
        .await
        .map_err(store_error)?;
    tracing::info!(
        "processing {} into {} as a member of group {:?}",
        options.topic,
        options.store,
        options.group
    );
    let mut settings = MemberSettings::new(&options.group, vec![options.topic.clone()]);
    settings.rebalance_timeout = options.rebalance_timeout;
    options.membership.apply(&mut settings);
    let (member, read, assigned) =
        consume_assigned(client, &settings, Isolation::ReadCommitted, FETCH_BYTES);

    let work = async {
        // Owned here, so that however this ends the membership leaves and the reader stops.
        let (mut assigned, mut now) = (assigned, stopping.now);
        let mut processor = Processor::new(options.window_ms);
        let mut owned: BTreeMap<i32, Owned> = BTreeMap::new();
        let mut generation = 0u64;
        let mut ticks = tokio::time::interval(COMMIT_EVERY);
        let committer = Committer {
            client,
            group: &options.group,
            identity: &assigned.identity,
        };
        let next_offsets = |owned: &BTreeMap<i32, Owned>| -> BTreeMap<i32, i64> {
            owned.iter().map(|(p, o)| (*p, o.next)).collect()
        };
        let positions = |owned: &BTreeMap<i32, Owned>| -> Vec<(TopicPartition, i64)> {
            owned
                .iter()
                .map(|(p, o)| ((options.topic.clone(), *p), o.next))
                .collect()
        };
        let mut finished = false;
        let mut unstoppable = false;
        loop {
            tokio::select! {
                change = assigned.changes.recv() => {
                    let Some(change) = change else { break };
                    let revoked: Vec<i32> = change.revoked.iter().map(|(_, p)| *p).collect();
                    if !change.lost {
                        let given_up = next_offsets(&owned)
                            .into_iter()
                            .filter(|(p, _)| revoked.contains(p))
                            .collect();
                        committer.commit_topic(&options.topic, &given_up).await?;
                    }
                    processor.forget(&revoked);
                    owned.retain(|p, _| !revoked.contains(p));
                    let given: Vec<i32> = change.assigned.iter().map(|(_, p)| *p).collect();
                    let member_id = assigned.identity.borrow().member_id.clone();
                    let claimed = claim(client, &mut store, options, &given, &member_id).await?;
                    owned.extend(claimed);
                    generation += 1;
                    assigned.positions.send_replace((generation, positions(&owned)));
                    tracing::info!(
                        "processor {member_id}: partitions {:?} of {}",
                        owned.keys().collect::<Vec<_>>(),
                        options.topic
                    );
                    let _ = change.done.send(());
                }
                batch = assigned.batches.recv() => {
                    let Some((read_for, fetched)) = batch else { break };
                    let fetched = fetched?;
                    if read_for != generation {
                        continue;
                    }
                    if fetched.is_empty() {
                        if options.exit_when_idle || stopping.drain.load(Ordering::Relaxed) {
                            finished = true;
                            break;
                        }
                        continue;
                    }
                    let mut outcome = BatchOutcome::default();
                    for (partition, records) in by_partition(&fetched, &owned) {
                        let readings = processor::parse(records, counters);
                        let prepared = processor.prepare(partition, &readings);
                        let next = records.last().map_or(0, |m| m.offset + 1);
                        let stored = store_batch(
                            client, &mut store, options, counters, &owned[&partition],
                            (partition, next), readings, prepared, &mut outcome,
                        ).await?;
                        if stored {
                            owned.entry(partition).and_modify(|o| o.next = next);
                            continue;
                        }
                        // Claimed by another processor since: this one lost it without
                        // hearing yet. Stop reading it; the rest of the batch is read again.
                        processor.forget(&[partition]);
                        owned.remove(&partition);
                        generation += 1;
                        assigned.positions.send_replace((generation, positions(&owned)));
                        break;
                    }
                    watch(&outcome);
                }
                _ = ticks.tick() => committer.commit_topic(&options.topic, &next_offsets(&owned)).await?,
                changed = now.changed(), if !unstoppable => match changed {
                    Ok(()) if *now.borrow() => break,
                    Ok(()) => {}
                    // No one can ask any more: only draining or the group ends it.
                    Err(_) => unstoppable = true,
                },
            }
        }
        if finished {
            // End of input: the open windows close and held outliers count.
            let mut outcome = BatchOutcome::default();
            for (&partition, claim) in &owned {
                let prepared = processor.finish(partition);
                store_batch(
                    client,
                    &mut store,
                    options,
                    counters,
                    claim,
                    (partition, claim.next),
                    Vec::new(),
                    prepared,
                    &mut outcome,
                )
                .await?;
            }
            watch(&outcome);
        }
        committer
            .commit_topic(&options.topic, &next_offsets(&owned))
            .await?;
        assigned.leave();
        Ok(())
    };
    let (member, (), worked) = tokio::join!(member, read, work);
    worked?;
    member
}

/// Claims newly assigned partitions in the store; each resumes where its stored results end,
/// else (a store that never saw it) at the group's commit, else at the beginning.
async fn claim(
    client: &KafkaClient,
    store: &mut SensorStore,
    options: &ProcessorOptions,
    partitions: &[i32],
    member_id: &str,
) -> Result<Vec<(i32, Owned)>> {
    if partitions.is_empty() {
        return Ok(Vec::new());
    }
    let mut claims = Vec::new();
    for &p in partitions {
        let claim = store
            .claim(&options.topic, p, member_id)
            .await
            .map_err(store_error)?;
        claims.push(claim);
    }
    let unknown: Vec<i32> = claims
        .iter()
        .filter(|c| c.next_offset.is_none())
        .map(|c| c.partition)
        .collect();
    let mut starts: BTreeMap<i32, i64> = BTreeMap::new();
    if !unknown.is_empty() {
        for c in client.committed_offsets(&options.group).await? {
            if c.topic == options.topic && c.offset >= 0 && unknown.contains(&c.partition) {
                starts.insert(c.partition, c.offset);
            }
        }
        let fresh: Vec<i32> = unknown
            .into_iter()
            .filter(|p| !starts.contains_key(p))
            .collect();
        let isolation = Isolation::ReadCommitted;
        starts.extend(
            resolve_starts(
                client,
                &options.topic,
                &fresh,
                StartAt::Beginning,
                isolation,
            )
            .await?,
        );
    }
    Ok(claims
        .into_iter()
        .map(|c| {
            let next = c
                .next_offset
                .or_else(|| starts.get(&c.partition).copied())
                .unwrap_or(0);
            (
                c.partition,
                Owned {
                    fence: c.fence,
                    next,
                },
            )
        })
        .collect())
}

/// Each owned partition's records in a batch that this processor has not stored yet.
fn by_partition<'a>(
    batch: &'a [TopicRecords],
    owned: &BTreeMap<i32, Owned>,
) -> Vec<(i32, &'a [Message])> {
    batch
        .iter()
        .filter_map(|(_, run)| {
            let partition = run.first()?.partition;
            let o = owned.get(&partition)?;
            let fresh = run.partition_point(|m| m.offset < o.next);
            (fresh < run.len()).then(|| (partition, &run[fresh..]))
        })
        .collect()
}

/// Stores one partition's batch under its claim, then publishes its alerts. False when the
/// store refused it (the partition was claimed by another processor).
#[allow(clippy::too_many_arguments)]
async fn store_batch(
    client: &KafkaClient,
    store: &mut SensorStore,
    options: &ProcessorOptions,
    counters: &ProcessorCounters,
    claim: &Owned,
    (partition, next): (i32, i64),
    readings: Vec<super::signal::Reading>,
    (windows, alerts): processor::Prepared,
    outcome: &mut BatchOutcome,
) -> Result<bool> {
    let batch = BatchWrite {
        topic: &options.topic,
        offsets: vec![(partition, claim.fence, next)],
        readings: &readings,
        windows,
        window_ms: options.window_ms.max(1),
        alerts: &alerts,
    };
    match store.write(&batch).await.map_err(store_error)? {
        Written::Stored { new, windows } => {
            let n = readings.len() as u64;
            counters.processed.fetch_add(n, Ordering::Relaxed);
            counters.stored.fetch_add(new, Ordering::Relaxed);
            counters.duplicates.fetch_add(n - new, Ordering::Relaxed);
            counters
                .alerts
                .fetch_add(alerts.len() as u64, Ordering::Relaxed);
            // Only now, with the batch durable, do its alerts go out.
            processor::publish_alerts(client, &options.alerts_topic, &alerts).await?;
            // Moved, not copied: the watcher (the dashboard's charts) takes them from here.
            outcome.readings.extend(readings);
            outcome.alerts.extend(alerts);
            outcome.windows.extend(windows);
            Ok(true)
        }
        Written::Refused { partition } => {
            counters.refused.fetch_add(1, Ordering::Relaxed);
            tracing::warn!(
                "{}/{partition} was claimed by another processor: this processor's late batch \
                 was refused by the store, and it stops reading the partition",
                options.topic
            );
            Ok(false)
        }
    }
}
