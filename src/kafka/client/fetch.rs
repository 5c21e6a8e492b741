//! Reading records: Fetch through kafka-protocol, one request per leader, decoded by kview's own
//! record decoder (`records.rs`), which keeps null header values and repeated header names.

use std::collections::hash_map::Entry;
use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use bytes::Bytes;
use futures::future::join_all;
use kafka_protocol::messages::{
    BrokerId, FetchRequest, TopicName,
    fetch_request::{FetchPartition, FetchTopic},
};
use kafka_protocol::protocol::StrBytes;

use super::KafkaClient;
use crate::kafka::error::{KafkaError, Result};
use crate::kafka::pool::{FetchLane, Lane};
use crate::kafka::records::{self, AbortedTransaction, Isolation, Marker, Message, ReadCommitted};

/// Where to fetch from in one partition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchPosition {
    pub topic: String,
    pub partition: i32,
    pub offset: i64,
}

/// What one partition returned in a fetch.
#[derive(Debug)]
pub struct PartitionFetch {
    pub topic: String,
    pub partition: i32,
    pub messages: Vec<Message>,
    /// Where the next fetch of this partition starts.
    pub next_offset: i64,
    pub high_watermark: i64,
    /// The last stable offset: below it every transaction has ended (−1 when not told).
    pub last_stable_offset: i64,
    pub log_start_offset: i64,
    /// Transaction markers passed in this fetch, for a read-uncommitted reader to settle the
    /// records it marked open.
    pub markers: Vec<Marker>,
    /// Bytes of the largest record batch in the answer, complete or cut off.
    pub largest_batch: usize,
    /// A partition-level failure; the others in the same fetch are unaffected.
    pub error: Option<KafkaError>,
}

impl PartitionFetch {
    fn failed(p: &FetchPosition, error: KafkaError) -> Self {
        PartitionFetch {
            topic: p.topic.clone(),
            partition: p.partition,
            messages: Vec::new(),
            next_offset: p.offset,
            high_watermark: -1,
            last_stable_offset: -1,
            log_start_offset: -1,
            markers: Vec::new(),
            largest_batch: 0,
            error: Some(error),
        }
    }
}

/// Error codes after which a fetch or produce should look the leader up again.
const STALE_LEADER_CODES: [i16; 5] = [3, 5, 6, 74, 76];
/// Offsets whose timestamps one look-up asks for at most: with 64 KiB a partition, a response
/// of at most a few megabytes.
const LOOKUPS_A_REQUEST: usize = 64;
/// Record timestamps remembered by (topic, partition, offset) before the memory is cleared.
const TIMESTAMP_CACHE: usize = 100_000;

/// Bytes of one fetch response at most, over all its partitions (Kafka's own consumer asks
/// for 50 MiB). Without it, 100 partitions of 4 MiB each would make a response larger than a
/// connection accepts. The broker fills partitions in the order asked, so readers rotate it.
const FETCH_MAX_BYTES: i32 = 64 * 1024 * 1024;

/// Capped so requests name topics rather than topic ids (Fetch v13+ needs ids).
const FETCH_VERSION_CAP: i16 = 12;

impl KafkaClient {
    /// Reads from many partitions at once: one Fetch per leader, leaders asked concurrently.
    /// The broker holds the request up to `max_wait` when there is nothing new. Read committed,
    /// the broker sends records up to the last stable offset and lists the aborted
    /// transactions among them, whose records are dropped here.
    pub async fn fetch(
        &self,
        lane: &FetchLane,
        positions: &[FetchPosition],
        max_wait: Duration,
        partition_max_bytes: i32,
        isolation: Isolation,
    ) -> Result<Vec<PartitionFetch>> {
        self.fetch_on(
            lane.lane(),
            positions,
            max_wait,
            partition_max_bytes,
            isolation,
        )
        .await
    }

    async fn fetch_on(
        &self,
        lane: Lane,
        positions: &[FetchPosition],
        max_wait: Duration,
        partition_max_bytes: i32,
        isolation: Isolation,
    ) -> Result<Vec<PartitionFetch>> {
        if positions
            .iter()
            .any(|p| self.leader_of(&p.topic, p.partition).is_none())
        {
            let mut topics: Vec<String> = positions.iter().map(|p| p.topic.clone()).collect();
            topics.sort();
            topics.dedup();
            self.metadata(Some(&topics)).await?;
        }
        let mut by_leader: BTreeMap<i32, Vec<&FetchPosition>> = BTreeMap::new();
        let mut results = Vec::new();
        for p in positions {
            match self.leader_of(&p.topic, p.partition) {
                Some(leader) => by_leader.entry(leader).or_default().push(p),
                None => results.push(PartitionFetch::failed(
                    p,
                    KafkaError::Client(format!("{}/{} has no leader", p.topic, p.partition)),
                )),
            }
        }
        let fetches = by_leader.into_iter().map(|(leader, wanted)| async move {
            self.fetch_from(
                lane,
                leader,
                &wanted,
                max_wait,
                partition_max_bytes,
                isolation,
            )
            .await
            .unwrap_or_else(|e| {
                // Each partition gets the same failure, of the same kind: a broker that went
                // away stays a transport failure the reader waits out.
                wanted
                    .iter()
                    .map(|p| PartitionFetch::failed(p, e.duplicate()))
                    .collect()
            })
        });
        for batch in join_all(fetches).await {
            results.extend(batch);
        }
        if results.iter().any(|r| {
            r.error.as_ref().is_some_and(|e| {
                e.is_transport()
                    || e.broker_code()
                        .is_some_and(|c| STALE_LEADER_CODES.contains(&c))
            })
        }) {
            self.forget_leaders();
        }
        Ok(results)
    }

    async fn fetch_from(
        &self,
        lane: Lane,
        leader: i32,
        wanted: &[&FetchPosition],
        max_wait: Duration,
        partition_max_bytes: i32,
        isolation: Isolation,
    ) -> Result<Vec<PartitionFetch>> {
        let addr = self.broker_addr(leader)?;
        let mut topics: Vec<FetchTopic> = Vec::new();
        for p in wanted {
            let partition = FetchPartition::default()
                .with_partition(p.partition)
                .with_current_leader_epoch(-1)
                .with_fetch_offset(p.offset)
                .with_last_fetched_epoch(-1)
                .with_log_start_offset(-1)
                .with_partition_max_bytes(partition_max_bytes);
            match topics.iter_mut().find(|t| t.topic.0.as_str() == p.topic) {
                Some(t) => t.partitions.push(partition),
                None => topics.push(
                    FetchTopic::default()
                        .with_topic(TopicName(StrBytes::from_string(p.topic.clone())))
                        .with_partitions(vec![partition]),
                ),
            }
        }
        let request = FetchRequest::default()
            .with_replica_id(BrokerId(-1))
            .with_max_wait_ms(max_wait.as_millis() as i32)
            .with_min_bytes(1)
            .with_max_bytes(FETCH_MAX_BYTES)
            .with_isolation_level(match isolation {
                Isolation::ReadCommitted => 1,
                Isolation::ReadUncommitted => 0,
            })
            .with_session_id(0)
            .with_session_epoch(-1)
            .with_topics(topics);
        let (_, response) = self
            .pool
            .call(&addr, lane, &request, Some(FETCH_VERSION_CAP), max_wait)
            .await?;
        KafkaError::check(response.error_code, None, || format!("fetch from {addr}"))?;

        let mut out = Vec::with_capacity(wanted.len());
        for topic in response.responses {
            let name = topic.topic.0.to_string();
            for pd in topic.partitions {
                let requested = wanted
                    .iter()
                    .find(|w| w.topic == name && w.partition == pd.partition_index)
                    .map_or(0, |w| w.offset);
                let mut result = PartitionFetch {
                    topic: name.clone(),
                    partition: pd.partition_index,
                    messages: Vec::new(),
                    next_offset: requested,
                    high_watermark: pd.high_watermark,
                    last_stable_offset: pd.last_stable_offset,
                    log_start_offset: pd.log_start_offset,
                    markers: Vec::new(),
                    largest_batch: 0,
                    error: None,
                };
                if pd.error_code != 0 {
                    result.error = KafkaError::check(pd.error_code, None, || {
                        format!("fetch {name}/{} at offset {requested}", pd.partition_index)
                    })
                    .err()
                    .map(|e| e.denied_to(&self.principal(), "Read", || format!("topic {name}")));
                    out.push(result);
                    continue;
                }
                let data = pd.records.unwrap_or_else(Bytes::new);
                let mut committed = (isolation == Isolation::ReadCommitted).then(|| {
                    ReadCommitted::new(pd.aborted_transactions.iter().flatten().map(|a| {
                        AbortedTransaction {
                            producer_id: a.producer_id.0,
                            first_offset: a.first_offset,
                        }
                    }))
                });
                match records::decode_batches(
                    data,
                    pd.partition_index,
                    requested,
                    committed.as_mut(),
                    &mut result.messages,
                ) {
                    Ok(decoded) => {
                        result.next_offset =
                            decoded.next_offset.unwrap_or(requested).max(requested);
                        result.markers = decoded.markers;
                        result.largest_batch = decoded.largest_batch;
                    }
                    Err(e) => {
                        result.error = Some(KafkaError::Client(format!(
                            "{name}/{}: {e}",
                            pd.partition_index
                        )))
                    }
                }
                out.push(result);
            }
        }
        Ok(out)
    }

    /// The timestamp of the record at each offset (or the next one after it, if compacted
    /// away); None where there is none or the fetch failed, and the lag in time falls back to
    /// the watermark history. One fetch per leader for up to `LOOKUPS_A_REQUEST` offsets, on
    /// the shared look-up lane. Read committed timestamps are remembered: a written record's
    /// timestamp never changes, so a group that stays behind at the same offset costs one
    /// look-up, not one per poll. Read uncommitted (the first record of an open transaction,
    /// which a committed read cannot see yet) they are not: it may still be aborted.
    pub async fn timestamps_at(
        &self,
        wanted: &[FetchPosition],
        isolation: Isolation,
    ) -> Vec<Option<i64>> {
        let remember = isolation == Isolation::ReadCommitted;
        let mut found: Vec<Option<i64>> = vec![None; wanted.len()];
        let mut unknown: Vec<usize> = Vec::new();
        {
            let cache = self.timestamps.lock().unwrap_or_else(|p| p.into_inner());
            for (i, p) in wanted.iter().enumerate() {
                match cache.get(&(p.topic.clone(), p.partition, p.offset)) {
                    Some(known) if remember => found[i] = Some(*known),
                    _ => unknown.push(i),
                }
            }
        }
        for chunk in unknown.chunks(LOOKUPS_A_REQUEST) {
            // A partition appears once in a fetch: the same partition at another offset waits
            // for the next chunk.
            let mut asked: HashMap<(&str, i32), usize> = HashMap::new();
            let mut positions = Vec::with_capacity(chunk.len());
            let mut later = Vec::new();
            for &i in chunk {
                let p = &wanted[i];
                match asked.entry((p.topic.as_str(), p.partition)) {
                    Entry::Occupied(_) => later.push(i),
                    Entry::Vacant(slot) => {
                        slot.insert(i);
                        positions.push(p.clone());
                    }
                }
            }
            // A failed fetch leaves these unknown; the partitions asked twice still get their
            // round below.
            let results = self
                .fetch_on(
                    Lane::Lookup,
                    &positions,
                    Duration::ZERO,
                    64 * 1024,
                    isolation,
                )
                .await
                .unwrap_or_default();
            {
                let mut cache = self.timestamps.lock().unwrap_or_else(|p| p.into_inner());
                for r in results {
                    let Some(&i) = asked.get(&(r.topic.as_str(), r.partition)) else {
                        continue;
                    };
                    if r.error.is_some() {
                        continue;
                    }
                    found[i] = r.messages.first().map(|m| m.timestamp_ms);
                    if remember && let Some(ts) = found[i] {
                        if cache.len() >= TIMESTAMP_CACHE {
                            cache.clear();
                        }
                        let p = &wanted[i];
                        cache.insert((p.topic.clone(), p.partition, p.offset), ts);
                    }
                }
            }
            if !later.is_empty() {
                let rest: Vec<FetchPosition> = later.iter().map(|&i| wanted[i].clone()).collect();
                let more = Box::pin(self.timestamps_at(&rest, isolation)).await;
                for (i, ts) in later.into_iter().zip(more) {
                    found[i] = ts;
                }
            }
        }
        found
    }
}
