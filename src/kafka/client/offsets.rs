//! ListOffsets by leader: every partition a broker leads in one request, brokers in parallel.
//!
//! Asking per partition (rskafka's partition clients) costs two requests per partition per
//! watermark sample — 20,000 a second on a cluster of 10,000 partitions. One request per leader
//! carries them all, so a sample costs two requests per broker whatever the partition count.

use std::collections::BTreeMap;

use foldhash::{HashMap, HashMapExt};

use futures::future::join_all;
use kafka_protocol::messages::list_offsets_request::{ListOffsetsPartition, ListOffsetsTopic};
use kafka_protocol::messages::{BrokerId, ListOffsetsRequest, TopicName};
use kafka_protocol::protocol::StrBytes;

use super::KafkaClient;
use crate::kafka::error::{KafkaError, Result};
use crate::kafka::pool::Lane;
use crate::kafka::retry::RetryPolicy;
use crate::kafka::types::Watermarks;
use crate::maps::same_name;

/// ListOffsets' special timestamps.
const LATEST: i64 = -1;
const EARLIEST: i64 = -2;

/// How long look-ups wait in all for leaders to settle.
const LEADER_SETTLE: std::time::Duration = std::time::Duration::from_secs(3);

/// Error codes after which the leader map is stale.
const STALE_LEADER_CODES: [i16; 5] = [3, 5, 6, 74, 76];

/// One offset to look up: a partition and a ListOffsets timestamp (`LATEST`, `EARLIEST` or a
/// time in Unix milliseconds).
type Ask<'a> = (&'a str, i32, i64);

impl KafkaClient {
    /// Low and high watermarks, one result per requested partition: two requests per leader.
    pub async fn watermarks(&self, partitions: &[(String, i32)]) -> Vec<Result<Watermarks>> {
        let asks: Vec<Ask> = partitions
            .iter()
            .flat_map(|(t, p)| [(t.as_str(), *p, EARLIEST), (t.as_str(), *p, LATEST)])
            .collect();
        let mut answers = self.answer(&asks, 0).await;
        (0..partitions.len())
            .map(|n| {
                Ok(Watermarks {
                    low: answers.take(2 * n)?,
                    high: answers.take(2 * n + 1)?,
                })
            })
            .collect()
    }

    /// Last stable offsets (ListOffsets read committed): below each, every transaction has
    /// ended; equal to the high watermark where none is open. One request per leader.
    /// Partitions are named by anything that reads as a topic name (the dashboard's poller
    /// passes names it borrows from its last sample rather than copies of every one).
    pub async fn stable_offsets<T: AsRef<str> + Sync>(
        &self,
        partitions: &[(T, i32)],
    ) -> Vec<Result<i64>> {
        let asks: Vec<Ask> = partitions
            .iter()
            .map(|(t, p)| (t.as_ref(), *p, LATEST))
            .collect();
        self.list_offsets_isolated(&asks, 1).await
    }

    /// High watermarks only: one request per leader.
    pub async fn high_watermarks<T: AsRef<str> + Sync>(
        &self,
        partitions: &[(T, i32)],
    ) -> Vec<Result<i64>> {
        let asks: Vec<Ask> = partitions
            .iter()
            .map(|(t, p)| (t.as_ref(), *p, LATEST))
            .collect();
        self.list_offsets(&asks).await
    }

    /// For each (partition, Unix ms): the first offset whose timestamp is at or after the time,
    /// or the high watermark when there is none. Batched by leader like the watermarks.
    pub async fn offsets_for_times(&self, asks: &[(String, i32, i64)]) -> Vec<Result<i64>> {
        let asked: Vec<Ask> = asks
            .iter()
            .map(|(t, p, at)| (t.as_str(), *p, *at))
            .collect();
        let mut answers = self.list_offsets(&asked).await;
        // Where no record is that late, the broker answers -1: the end of the log, then.
        let past_end: Vec<usize> = answers
            .iter()
            .enumerate()
            .filter(|(_, a)| matches!(a, Ok(-1)))
            .map(|(i, _)| i)
            .collect();
        if !past_end.is_empty() {
            let latest: Vec<Ask> = past_end
                .iter()
                .map(|&i| (asks[i].0.as_str(), asks[i].1, LATEST))
                .collect();
            for (i, high) in past_end.into_iter().zip(self.list_offsets(&latest).await) {
                answers[i] = high;
            }
        }
        answers
    }

    /// The first offset whose timestamp is at or after `unix_ms`; the high watermark if none.
    pub async fn offset_for_time(&self, topic: &str, partition: i32, unix_ms: i64) -> Result<i64> {
        if chrono::DateTime::from_timestamp_millis(unix_ms).is_none() || unix_ms < 0 {
            return Err(KafkaError::Client(format!(
                "timestamp {unix_ms} is out of range"
            )));
        }
        self.offsets_for_times(&[(topic.to_owned(), partition, unix_ms)])
            .await
            .pop()
            .expect("one answer")
    }

    /// Answers every ask, in order. Leaders come from the metadata kview keeps (asked for when
    /// unknown); after a stale-leader answer or a broker that went away, metadata is asked again
    /// and the failed asks are tried again after a short pause (a leader being elected, a new
    /// topic's leaders taking over), for a few seconds at most.
    async fn list_offsets(&self, asks: &[Ask<'_>]) -> Vec<Result<i64>> {
        self.list_offsets_isolated(asks, 0).await
    }

    /// `list_offsets` with ListOffsets' isolation level (1: read committed, whose latest offset
    /// is the last stable offset).
    async fn list_offsets_isolated(&self, asks: &[Ask<'_>], isolation: i8) -> Vec<Result<i64>> {
        let mut answers = self.answer(asks, isolation).await;
        (0..asks.len()).map(|i| answers.take(i)).collect()
    }

    async fn answer(&self, asks: &[Ask<'_>], isolation: i8) -> Answers {
        let mut answers = Answers::new(asks.len());
        let mut pauses = RetryPolicy::quick(LEADER_SETTLE).pauses();
        for attempt in 0.. {
            let pending: Vec<usize> = (0..asks.len())
                .filter(|&i| match answers.failed.get(&i) {
                    Some(e) => attempt > 0 && retryable(e),
                    None => answers.offsets[i] == UNANSWERED,
                })
                .collect();
            if pending.is_empty() {
                break;
            }
            if let Err(e) = self.know_leaders(pending.iter().map(|&i| &asks[i])).await {
                for &i in &pending {
                    answers.failed.entry(i).or_insert_with(|| e.duplicate());
                }
                break;
            }
            // By leader, then in rounds: a partition appears at most once per request, so its
            // n-th ask goes in round n.
            let mut by_leader: BTreeMap<i32, Vec<Vec<usize>>> = BTreeMap::new();
            let mut seen: HashMap<(&str, i32), usize> = HashMap::with_capacity(pending.len());
            let leaders = self.leaders_of(pending.iter().map(|&i| (asks[i].0, asks[i].1)));
            for (&i, leader) in pending.iter().zip(leaders) {
                let (topic, partition, _) = &asks[i];
                let Some(leader) = leader else {
                    answers.fail(
                        i,
                        KafkaError::Client(format!("{topic}/{partition} has no leader")),
                    );
                    continue;
                };
                let n = seen.entry((*topic, *partition)).or_default();
                let rounds = by_leader.entry(leader).or_default();
                while rounds.len() <= *n {
                    rounds.push(Vec::new());
                }
                rounds[*n].push(i);
                *n += 1;
            }
            drop(seen);
            // A leader's rounds go out together on two connections (a broker answers one
            // connection's requests in turn): low and high watermarks in the time of one.
            let requests = by_leader.into_iter().map(|(leader, rounds)| async move {
                join_all(rounds.into_iter().enumerate().map(|(n, round)| async move {
                    let lane = if n % 2 == 0 {
                        Lane::Admin
                    } else {
                        Lane::Lookup
                    };
                    let result = self
                        .list_offsets_from(lane, leader, asks, &round, isolation)
                        .await;
                    (round, result)
                }))
                .await
            });
            let mut stale = false;
            for per_leader in join_all(requests).await {
                for (round, result) in per_leader {
                    match result {
                        Ok(answered) => {
                            for (&i, offset) in round.iter().zip(answered.offsets) {
                                answers.settle(i, offset);
                            }
                            for (at, e) in answered.failed {
                                stale |= retryable(&e);
                                answers.fail(round[at], e);
                            }
                        }
                        Err(e) => {
                            stale |= retryable(&e);
                            for i in round {
                                answers.fail(i, e.duplicate());
                            }
                        }
                    }
                }
            }
            if !stale {
                break;
            }
            self.forget_leaders();
            match pauses.next_pause() {
                Some(pause) => tokio::time::sleep(pause).await,
                None => break,
            }
        }
        answers
    }

    /// Makes sure the leader map covers the asks' partitions.
    async fn know_leaders<'a>(&self, asks: impl Iterator<Item = &'a Ask<'a>>) -> Result<()> {
        let asks: Vec<&Ask> = asks.collect();
        let leaders = self.leaders_of(asks.iter().map(|(t, p, _)| (*t, *p)));
        let mut missing: Vec<String> = asks
            .iter()
            .zip(leaders)
            .filter(|(_, leader)| leader.is_none())
            .map(|((t, _, _), _)| t.to_string())
            .collect();
        if missing.is_empty() {
            return Ok(());
        }
        missing.sort();
        missing.dedup();
        self.metadata(Some(&missing)).await.map(|_| ())
    }

    /// One ListOffsets to one leader; an answer per ask of the round, in its order.
    async fn list_offsets_from(
        &self,
        lane: Lane,
        leader: i32,
        asks: &[Ask<'_>],
        round: &[usize],
        isolation: i8,
    ) -> Result<Answers> {
        let addr = self.broker_addr(leader)?;
        // A topic's asks are usually next to each other: the last topic is tried before the
        // index (this runs for every partition of the cluster each sample).
        let mut topics: Vec<ListOffsetsTopic> = Vec::new();
        let mut index: HashMap<&str, usize> = HashMap::new();
        let mut last: Option<(&str, usize)> = None;
        for (n, &i) in round.iter().enumerate() {
            let (topic, partition, timestamp) = asks[i];
            let at = match last {
                Some((name, at)) if same_name(name, topic) => at,
                _ => {
                    let at = *index.entry(topic).or_insert_with(|| {
                        topics.push(
                            ListOffsetsTopic::default()
                                .with_name(TopicName(StrBytes::from_string(topic.to_owned()))),
                        );
                        topics.len() - 1
                    });
                    // Room for the topic's asks that follow, at once: grown by doubling, a
                    // sample of 39,000 partitions held half as much again.
                    let run = round[n..]
                        .iter()
                        .take_while(|&&j| same_name(asks[j].0, topic))
                        .count();
                    topics[at].partitions.reserve_exact(run);
                    last = Some((topic, at));
                    at
                }
            };
            topics[at].partitions.push(
                ListOffsetsPartition::default()
                    .with_partition_index(partition)
                    .with_current_leader_epoch(-1)
                    .with_timestamp(timestamp),
            );
        }
        drop(index);
        let request = ListOffsetsRequest::default()
            .with_replica_id(BrokerId(-1))
            .with_isolation_level(isolation)
            .with_topics(topics);
        let wait = self.settings().request_timeout;
        let (_, response) = self.pool.call(&addr, lane, &request, None, wait).await?;
        // Freed before the answers are built: a sample's peak is what stays resident.
        drop(request);
        // Brokers answer in an order of their own (a hash map's): the answers are numbered by
        // topic, sorted once and searched by number, which takes a fifth of the room of a hash
        // index of every partition and compares no names (this runs for every partition of
        // the cluster each sample).
        let mut topic_ids: HashMap<&str, u32> = HashMap::with_capacity(response.topics.len());
        let mut answered: Vec<((u32, i32), (i16, i64))> = Vec::with_capacity(round.len());
        for t in &response.topics {
            let next = topic_ids.len() as u32;
            let id = *topic_ids.entry(t.name.0.as_str()).or_insert(next);
            answered.extend(
                t.partitions
                    .iter()
                    .map(|p| ((id, p.partition_index), (p.error_code, p.offset))),
            );
        }
        answered.sort_unstable_by_key(|(key, _)| *key);
        let mut answers = Answers::new(round.len());
        let mut last_topic: Option<(&str, Option<u32>)> = None;
        for (at, &i) in round.iter().enumerate() {
            let (topic, partition, _) = asks[i];
            let id = match last_topic {
                Some((name, id)) if same_name(name, topic) => id,
                _ => {
                    let id = topic_ids.get(topic).copied();
                    last_topic = Some((topic, id));
                    id
                }
            };
            let found = id
                .and_then(|id| {
                    answered
                        .binary_search_by_key(&(id, partition), |(key, _)| *key)
                        .ok()
                })
                .map(|n| answered[n].1);
            match found {
                Some((0, offset)) => answers.settle(at, offset),
                Some((3, _)) => answers.fail(at, KafkaError::UnknownTopic(topic.to_string())),
                Some((code, _)) => {
                    if let Err(e) =
                        KafkaError::check(code, None, || format!("offsets of {topic}/{partition}"))
                    {
                        let e =
                            e.denied_to(&self.principal(), "Describe", || format!("topic {topic}"));
                        answers.fail(at, e);
                    } else {
                        answers.settle(at, -1);
                    }
                }
                None => answers.fail(
                    at,
                    KafkaError::Client(format!("{addr} did not answer for {topic}/{partition}")),
                ),
            }
        }
        Ok(answers)
    }
}

/// Not yet answered (no offset is this low).
const UNANSWERED: i64 = i64::MIN;

/// The answers of a look-up: an offset an ask, and the few failures beside them. A sample of
/// 10,000 partitions asks 20,000 offsets; eight bytes each instead of room for an error each.
struct Answers {
    offsets: Vec<i64>,
    failed: HashMap<usize, KafkaError>,
}

impl Answers {
    fn new(asks: usize) -> Self {
        Answers {
            offsets: vec![UNANSWERED; asks],
            failed: HashMap::new(),
        }
    }

    fn settle(&mut self, i: usize, offset: i64) {
        self.offsets[i] = offset;
        if !self.failed.is_empty() {
            self.failed.remove(&i);
        }
    }

    fn fail(&mut self, i: usize, e: KafkaError) {
        self.offsets[i] = UNANSWERED;
        self.failed.insert(i, e);
    }

    fn take(&mut self, i: usize) -> Result<i64> {
        if let Some(e) = self.failed.remove(&i) {
            return Err(e);
        }
        match self.offsets[i] {
            UNANSWERED => Err(KafkaError::Client("no answer".into())),
            offset => Ok(offset),
        }
    }
}

/// A leader that moved or a broker that went away: worth one more try after new metadata.
fn retryable(e: &KafkaError) -> bool {
    e.is_transport()
        || e.broker_code()
            .is_some_and(|c| STALE_LEADER_CODES.contains(&c) && c != 3)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_answer_settles_a_failure_and_the_unanswered_say_so() {
        let mut answers = Answers::new(3);
        answers.fail(0, KafkaError::Client("not yet".into()));
        answers.settle(0, 42);
        answers.settle(1, -1);
        assert_eq!(answers.take(0).ok(), Some(42));
        assert_eq!(
            answers.take(1).ok(),
            Some(-1),
            "-1 is an answer (no such time)"
        );
        assert_eq!(
            answers.take(2).map_err(|e| e.to_string()),
            Err("no answer".to_string())
        );
        answers.fail(1, KafkaError::UnknownTopic("t".into()));
        assert!(matches!(answers.take(1), Err(KafkaError::UnknownTopic(_))));
    }
}
