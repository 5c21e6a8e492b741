//! Transactions: which are open and where (ListTransactions on every broker, DescribeTransactions
//! at each transaction coordinator), which producers hold a partition's last stable offset back
//! (DescribeProducers at the leader), the hanging ones, and aborting one (WriteTxnMarkers), as
//! Kafka's own `kafka-transactions.sh` does.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use futures::future::join_all;
use kafka_protocol::messages::describe_producers_request::TopicRequest;
use kafka_protocol::messages::write_txn_markers_request::{
    WritableTxnMarker, WritableTxnMarkerTopic,
};
use kafka_protocol::messages::{
    DescribeProducersRequest, DescribeTransactionsRequest, ListTransactionsRequest, ProducerId,
    TopicName, TransactionalId, WriteTxnMarkersRequest,
};
use kafka_protocol::protocol::StrBytes;
use serde::Serialize;

use super::KafkaClient;
use crate::kafka::error::{KafkaError, Result};
use crate::kafka::pool::Lane;

/// A transactional id as a coordinator lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TransactionListing {
    pub transactional_id: String,
    pub producer_id: i64,
    /// Ongoing, PrepareCommit, PrepareAbort, CompleteCommit, CompleteAbort, Empty, Dead…
    pub state: String,
    pub coordinator: i32,
}

/// A transaction as its coordinator describes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TransactionDescription {
    pub transactional_id: String,
    pub state: String,
    pub producer_id: i64,
    pub producer_epoch: i16,
    pub timeout_ms: i32,
    /// When the ongoing transaction started (Unix ms); None without one.
    pub started_ms: Option<i64>,
    /// The partitions it writes to.
    pub partitions: Vec<(String, i32)>,
    pub coordinator: i32,
}

/// A producer a partition's leader knows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProducerState {
    pub topic: String,
    pub partition: i32,
    pub producer_id: i64,
    pub producer_epoch: i32,
    pub last_sequence: i32,
    /// When it last wrote (Unix ms).
    pub last_timestamp: i64,
    pub coordinator_epoch: i32,
    /// Where its open transaction starts on this partition; None without one.
    pub open_transaction_from: Option<i64>,
}

/// Kafka's rule (TransactionsCommand's `find-hanging`): an open transaction is hanging when no
/// transactional id is listed for its producer, its coordinator does not describe it, or the
/// description does not name the partition (the coordinator will write no marker there).
fn hanging_among(
    candidates: Vec<ProducerState>,
    ids: &HashMap<i64, String>,
    described: &HashMap<String, TransactionDescription>,
) -> Vec<ProducerState> {
    candidates
        .into_iter()
        .filter(|c| {
            let description = ids.get(&c.producer_id).and_then(|id| described.get(id));
            description.is_none_or(|d| {
                !d.partitions
                    .iter()
                    .any(|(t, p)| *t == c.topic && *p == c.partition)
            })
        })
        .collect()
}

impl TransactionDescription {
    /// Under way: records written, no marker yet (Ongoing, or its end being written).
    pub fn is_open(&self) -> bool {
        matches!(
            self.state.as_str(),
            "Ongoing" | "PrepareCommit" | "PrepareAbort" | "PrepareEpochFence"
        )
    }
}

impl KafkaClient {
    /// Every transactional id every broker coordinates (ListTransactions goes to each broker).
    pub async fn list_transactions(&self) -> Result<Vec<TransactionListing>> {
        let meta = self.metadata(Some(&[])).await?;
        let request = ListTransactionsRequest::default();
        let answers = join_all(meta.brokers.iter().map(|b| {
            let request = &request;
            async move {
                let answer = self
                    .pool
                    .call(&b.addr(), Lane::Admin, request, None, Duration::ZERO)
                    .await;
                (b.id, answer)
            }
        }))
        .await;
        let mut out = Vec::new();
        for (broker, answer) in answers {
            let (_, response) = answer?;
            KafkaError::check(response.error_code, None, || "list transactions".into())?;
            out.extend(
                response
                    .transaction_states
                    .into_iter()
                    .map(|t| TransactionListing {
                        transactional_id: t.transactional_id.0.to_string(),
                        producer_id: t.producer_id.0,
                        state: t.transaction_state.to_string(),
                        coordinator: broker,
                    }),
            );
        }
        out.sort_by(|a, b| a.transactional_id.cmp(&b.transactional_id));
        Ok(out)
    }

    /// Transactions by id, one DescribeTransactions per coordinator.
    pub async fn describe_transactions(
        &self,
        ids: &[String],
    ) -> Vec<Result<TransactionDescription>> {
        let mut by_coordinator: BTreeMap<(i32, String), Vec<usize>> = BTreeMap::new();
        let mut answers: Vec<Option<Result<TransactionDescription>>> =
            ids.iter().map(|_| None).collect();
        for (i, id) in ids.iter().enumerate() {
            match self.find_coordinator(id, 1).await {
                Ok(c) => by_coordinator.entry(c).or_default().push(i),
                Err(e) => answers[i] = Some(Err(e)),
            }
        }
        let requests = by_coordinator
            .into_iter()
            .map(|((node, addr), wanted)| async move {
                let request = DescribeTransactionsRequest::default().with_transactional_ids(
                    wanted
                        .iter()
                        .map(|&i| TransactionalId(StrBytes::from_string(ids[i].clone())))
                        .collect(),
                );
                let answer = self
                    .pool
                    .call(&addr, Lane::Admin, &request, None, Duration::ZERO)
                    .await;
                (node, wanted, answer)
            });
        for (node, wanted, answer) in join_all(requests).await {
            let response = match answer {
                Ok((_, r)) => r,
                Err(e) => {
                    for &i in &wanted {
                        answers[i] = Some(Err(e.duplicate()));
                    }
                    continue;
                }
            };
            for t in response.transaction_states {
                let id = t.transactional_id.0.to_string();
                let Some(&i) = wanted.iter().find(|&&i| ids[i] == id) else {
                    continue;
                };
                let described = KafkaError::check(t.error_code, None, || {
                    format!("describe transaction {id:?}")
                })
                .map(|()| {
                    let mut partitions: Vec<(String, i32)> = t
                        .topics
                        .iter()
                        .flat_map(|topic| {
                            topic
                                .partitions
                                .iter()
                                .map(|p| (topic.topic.0.to_string(), *p))
                        })
                        .collect();
                    partitions.sort();
                    TransactionDescription {
                        transactional_id: id.clone(),
                        state: t.transaction_state.to_string(),
                        producer_id: t.producer_id.0,
                        producer_epoch: t.producer_epoch,
                        timeout_ms: t.transaction_timeout_ms,
                        started_ms: (t.transaction_start_time_ms >= 0)
                            .then_some(t.transaction_start_time_ms),
                        partitions,
                        coordinator: node,
                    }
                });
                answers[i] = Some(described);
            }
        }
        answers
            .into_iter()
            .zip(ids)
            .map(|(a, id)| {
                a.unwrap_or_else(|| {
                    Err(KafkaError::Client(format!(
                        "no description of transaction {id:?}"
                    )))
                })
            })
            .collect()
    }

    /// The producers each partition's leader knows, one DescribeProducers per leader.
    pub async fn describe_producers(
        &self,
        partitions: &[(String, i32)],
    ) -> Result<Vec<ProducerState>> {
        let mut topics: Vec<String> = partitions.iter().map(|(t, _)| t.clone()).collect();
        topics.sort();
        topics.dedup();
        self.metadata(Some(&topics)).await?;
        let mut by_leader: BTreeMap<i32, BTreeMap<String, Vec<i32>>> = BTreeMap::new();
        for (topic, partition) in partitions {
            let leader = self
                .leader_of(topic, *partition)
                .ok_or_else(|| KafkaError::Client(format!("{topic}/{partition} has no leader")))?;
            by_leader
                .entry(leader)
                .or_default()
                .entry(topic.clone())
                .or_default()
                .push(*partition);
        }
        let requests = by_leader.into_iter().map(|(leader, topics)| async move {
            let addr = self.broker_addr(leader)?;
            let request = DescribeProducersRequest::default().with_topics(
                topics
                    .into_iter()
                    .map(|(name, partitions)| {
                        TopicRequest::default()
                            .with_name(TopicName(StrBytes::from_string(name)))
                            .with_partition_indexes(partitions)
                    })
                    .collect(),
            );
            let (_, response) = self
                .pool
                .call(&addr, Lane::Admin, &request, None, Duration::ZERO)
                .await?;
            let mut out = Vec::new();
            for t in response.topics {
                let topic = t.name.0.to_string();
                for p in t.partitions {
                    KafkaError::check(p.error_code, p.error_message.as_deref(), || {
                        format!("producers of {topic}/{}", p.partition_index)
                    })?;
                    out.extend(p.active_producers.into_iter().map(|s| ProducerState {
                        topic: topic.clone(),
                        partition: p.partition_index,
                        producer_id: s.producer_id.0,
                        producer_epoch: s.producer_epoch,
                        last_sequence: s.last_sequence,
                        last_timestamp: s.last_timestamp,
                        coordinator_epoch: s.coordinator_epoch,
                        open_transaction_from:
                            (s.current_txn_start_offset >= 0).then_some(s.current_txn_start_offset),
                    }));
                }
            }
            Ok::<_, KafkaError>(out)
        });
        let mut out = Vec::new();
        for answer in join_all(requests).await {
            out.extend(answer?);
        }
        out.sort_by(|a, b| {
            (&a.topic, a.partition, a.producer_id).cmp(&(&b.topic, b.partition, b.producer_id))
        });
        Ok(out)
    }

    /// Open transactions older than `max_age` that their coordinator no longer knows, or no
    /// longer lists on the partition: Kafka's `find-hanging` (its markers will never come, and
    /// the partition's last stable offset is stuck until someone aborts it).
    pub async fn hanging_transactions(
        &self,
        partitions: &[(String, i32)],
        max_age: Duration,
    ) -> Result<Vec<ProducerState>> {
        let now = chrono::Utc::now().timestamp_millis();
        let candidates: Vec<ProducerState> = self
            .describe_producers(partitions)
            .await?
            .into_iter()
            .filter(|p| {
                p.open_transaction_from.is_some()
                    && now - p.last_timestamp > max_age.as_millis() as i64
            })
            .collect();
        if candidates.is_empty() {
            return Ok(Vec::new());
        }
        // Which transactional id each producer is (ListTransactions), and where its
        // coordinator says it writes.
        let listed = self.list_transactions().await?;
        let ids: HashMap<i64, String> = listed
            .into_iter()
            .filter(|l| candidates.iter().any(|c| c.producer_id == l.producer_id))
            .map(|l| (l.producer_id, l.transactional_id))
            .collect();
        let wanted: Vec<String> = {
            let mut v: Vec<String> = ids.values().cloned().collect();
            v.sort();
            v.dedup();
            v
        };
        let described: HashMap<String, TransactionDescription> = wanted
            .iter()
            .cloned()
            .zip(self.describe_transactions(&wanted).await)
            .filter_map(|(id, d)| Some((id, d.ok()?)))
            .collect();
        Ok(hanging_among(candidates, &ids, &described))
    }

    /// Aborts the open transaction that starts at `start_offset` on a partition, writing its
    /// ABORT marker at the leader as the coordinator would (`kafka-transactions.sh abort`).
    pub async fn abort_transaction(
        &self,
        topic: &str,
        partition: i32,
        start_offset: i64,
    ) -> Result<ProducerState> {
        self.check_writable("abort a transaction")?;
        let producers = self
            .describe_producers(&[(topic.to_owned(), partition)])
            .await?;
        let open: Vec<String> = producers
            .iter()
            .filter_map(|p| p.open_transaction_from)
            .map(|o| o.to_string())
            .collect();
        let producer = producers
            .into_iter()
            .find(|p| p.open_transaction_from == Some(start_offset))
            .ok_or_else(|| {
                KafkaError::Client(format!(
                    "no open transaction starts at offset {start_offset} of {topic}/{partition} (open ones start at: {})",
                    if open.is_empty() { "none".to_owned() } else { open.join(", ") }
                ))
            })?;
        let leader = self
            .leader_of(topic, partition)
            .ok_or_else(|| KafkaError::Client(format!("{topic}/{partition} has no leader")))?;
        let addr = self.broker_addr(leader)?;
        let request = WriteTxnMarkersRequest::default().with_markers(vec![
            WritableTxnMarker::default()
                .with_producer_id(ProducerId(producer.producer_id))
                .with_producer_epoch(producer.producer_epoch as i16)
                .with_transaction_result(false)
                .with_coordinator_epoch(producer.coordinator_epoch)
                .with_topics(vec![
                    WritableTxnMarkerTopic::default()
                        .with_name(TopicName(StrBytes::from_string(topic.to_owned())))
                        .with_partition_indexes(vec![partition]),
                ]),
        ]);
        let (_, response) = self
            .pool
            .call(&addr, Lane::Admin, &request, None, Duration::ZERO)
            .await?;
        for marker in response.markers {
            for t in marker.topics {
                for p in t.partitions {
                    KafkaError::check(p.error_code, None, || {
                        format!(
                            "abort the transaction of producer {} on {topic}/{partition}",
                            marker.producer_id.0
                        )
                    })?;
                }
            }
        }
        Ok(producer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn open(producer_id: i64, partition: i32) -> ProducerState {
        ProducerState {
            topic: "t".into(),
            partition,
            producer_id,
            producer_epoch: 0,
            last_sequence: 0,
            last_timestamp: 0,
            coordinator_epoch: 0,
            open_transaction_from: Some(10),
        }
    }

    #[test]
    fn hanging_is_what_no_coordinator_will_end() {
        let ids = HashMap::from([(1, "known".to_string()), (2, "gone".to_string())]);
        let described = HashMap::from([(
            "known".to_string(),
            TransactionDescription {
                transactional_id: "known".into(),
                state: "Ongoing".into(),
                producer_id: 1,
                producer_epoch: 0,
                timeout_ms: 60_000,
                started_ms: Some(0),
                partitions: vec![("t".into(), 0)],
                coordinator: 1,
            },
        )]);
        let candidates = vec![open(1, 0), open(1, 1), open(2, 0), open(3, 0)];
        let hanging = hanging_among(candidates, &ids, &described);
        let found: Vec<(i64, i32)> = hanging
            .iter()
            .map(|h| (h.producer_id, h.partition))
            .collect();
        assert_eq!(
            found,
            [(1, 1), (2, 0), (3, 0)],
            "a partition its coordinator does not list, an id it does not describe, a producer no id is listed for"
        );
    }
}
