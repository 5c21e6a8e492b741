//! Reading records: Fetch through kafka-protocol, one request per leader, decoded by kview's own
//! record decoder (`records.rs`), which keeps null header values and repeated header names.

use std::collections::BTreeMap;
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
            error: Some(error),
        }
    }
}

/// Error codes after which a fetch or produce should look the leader up again.
const STALE_LEADER_CODES: [i16; 5] = [3, 5, 6, 74, 76];
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
                lane.lane(),
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

    /// The timestamp of the record at `offset` read uncommitted: the first record of an open
    /// transaction, which a committed read cannot see yet.
    pub async fn uncommitted_timestamp_at(
        &self,
        topic: &str,
        partition: i32,
        offset: i64,
    ) -> Result<Option<i64>> {
        let position = FetchPosition {
            topic: topic.to_owned(),
            partition,
            offset,
        };
        let lane = self.fetch_lane();
        let mut results = self
            .fetch(
                &lane,
                &[position],
                Duration::ZERO,
                64 * 1024,
                Isolation::ReadUncommitted,
            )
            .await?;
        match results.pop() {
            Some(PartitionFetch { error: Some(e), .. }) => Err(e),
            Some(r) => Ok(r.messages.first().map(|m| m.timestamp_ms)),
            None => Ok(None),
        }
    }

    /// The timestamp of the record at `offset` (or the next one after it, if compacted away).
    pub async fn timestamp_at(
        &self,
        topic: &str,
        partition: i32,
        offset: i64,
    ) -> Result<Option<i64>> {
        let key = (topic.to_owned(), partition, offset);
        if let Some(known) = self
            .timestamps
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&key)
        {
            return Ok(Some(*known));
        }
        let position = FetchPosition {
            topic: topic.to_owned(),
            partition,
            offset,
        };
        let lane = self.fetch_lane();
        let mut results = self
            .fetch(
                &lane,
                &[position],
                Duration::ZERO,
                64 * 1024,
                Isolation::ReadCommitted,
            )
            .await?;
        let Some(mut result) = results.pop() else {
            return Ok(None);
        };
        if let Some(e) = result.error.take() {
            return Err(e);
        }
        let found = result.messages.first().map(|m| m.timestamp_ms);
        if let Some(ts) = found {
            // A written record's timestamp never changes: a group that stays behind at the same
            // offset costs one fetch, not one per poll.
            let mut cache = self.timestamps.lock().unwrap_or_else(|p| p.into_inner());
            if cache.len() >= TIMESTAMP_CACHE {
                cache.clear();
            }
            cache.insert(key, ts);
        }
        Ok(found)
    }
}
