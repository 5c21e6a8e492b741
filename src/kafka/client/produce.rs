//! Writing records: an idempotent producer through kafka-protocol, several requests in flight
//! per broker connection, every partition a broker leads in one request.
//!
//! rskafka sends a partition's batches one request at a time and has no producer id, so a
//! second request in flight could be written before the first when the first is retried.
//! Kafka's idempotent producer is what makes more in flight safe: InitProducerId gives kview a
//! producer id, each batch carries the sequence number of its first record, and a partition
//! leader appends a batch only when its sequence follows the last one it appended (a retried
//! batch it already holds is answered with its offsets, not written twice). So a request that
//! fails is sent again with the same sequence, after a new leader is found, and order and
//! exactly-once-per-producer hold — the Java client and librdkafka work the same way, with at
//! most five requests in flight (the broker remembers the last five batches of a producer).
//! When a cluster refuses a producer id (an ACL), writes go through rskafka one request at a
//! time per partition instead.

use std::collections::{HashMap, VecDeque};
use std::time::Duration;

use bytes::Bytes;
use futures::future::join_all;
use kafka_protocol::messages::produce_request::{PartitionProduceData, TopicProduceData};
use kafka_protocol::messages::{InitProducerIdRequest, ProduceRequest, ProducerId, TopicName};
use kafka_protocol::protocol::StrBytes;

use super::KafkaClient;
use super::data::{MAX_BATCH_BYTES, request_batches};
use crate::kafka::conn::BrokerConn;
use crate::kafka::error::{KafkaError, Result};
use crate::kafka::pool::Pool;
use crate::kafka::records::{Compression, ProduceRecord};
use crate::kafka::retry::RetryPolicy;

/// Requests in flight on one connection: the broker keeps the metadata of a producer's last
/// five batches per partition, which is how far back it can recognise a retried batch.
const MAX_IN_FLIGHT: usize = 5;
/// Bytes of batches in one request (one batch per partition, as many partitions as fit).
const REQUEST_BYTES: usize = 4 * 1024 * 1024;
/// Produce v13 names topics by id; kview names them.
const PRODUCE_VERSION_CAP: i16 = 12;
/// Error codes a partition leader gives while leadership moves or replicas catch up: the
/// batch is sent again (to the new leader) with the same sequence.
const RETRIABLE: [i16; 10] = [3, 5, 6, 7, 13, 19, 20, 56, 74, 76];
/// How long the pauses between tries add up to at least while a partition has no leader.
const LEADER_MOVE: Duration = Duration::from_secs(30);
/// OUT_OF_ORDER_SEQUENCE_NUMBER: an earlier batch of the partition was not appended.
const OUT_OF_ORDER_SEQUENCE: i16 = 45;

/// What one partition's write came to: the offsets of the records acknowledged, in order (a
/// prefix of those given), and the error that stopped the rest.
#[derive(Debug)]
pub struct PartitionWritten {
    pub partition: i32,
    pub offsets: Vec<i64>,
    pub error: Option<KafkaError>,
}

/// The producer id the cluster gave kview, and the next sequence of each partition.
#[derive(Debug, Default)]
pub(super) struct ProducerState {
    identity: Option<(i64, i16)>,
    /// The cluster refused a producer id: writes go one request at a time through rskafka.
    one_at_a_time: bool,
    next_sequence: HashMap<(String, i32), i32>,
    /// One connection per broker for produce requests, kept between calls.
    conns: HashMap<String, BrokerConn>,
}

/// A batch on its way: encoded once, sent again unchanged when a try fails.
#[derive(Debug)]
struct Chunk {
    base_sequence: i32,
    count: usize,
    bytes: Bytes,
}

/// One partition's part of a call.
#[derive(Debug)]
struct PartitionWrite {
    partition: i32,
    /// Batches not yet acknowledged, oldest first.
    chunks: VecDeque<Chunk>,
    offsets: Vec<i64>,
    /// Chunks (from the front) sent and not yet answered on the current connection.
    in_flight: usize,
    /// A try failed in a way that passes: the rest waits for the next round.
    retry: Option<KafkaError>,
    error: Option<KafkaError>,
}

impl PartitionWrite {
    fn waiting(&self) -> bool {
        self.error.is_none() && !self.chunks.is_empty()
    }
}

/// Encodes records as one v2 batch of producer `identity` starting at `base_sequence`, headers
/// as given (repeated names and null values kept: `records::encode_batch`).
fn encode_batch(
    records: &[ProduceRecord],
    identity: (i64, i16),
    base_sequence: i32,
    codec: Compression,
) -> Result<Bytes> {
    crate::kafka::records::encode_batch(records, identity, base_sequence, codec)
        .map_err(KafkaError::Client)
}

/// Every partition's records cut into batches and encoded, with the partition's next sequences.
fn plan_writes(
    state: &mut ProducerState,
    topic: &str,
    parts: Vec<(i32, Vec<ProduceRecord>)>,
    identity: (i64, i16),
    codec: Compression,
) -> Vec<PartitionWrite> {
    parts
        .into_iter()
        .map(|(partition, records)| {
            let sequence = state
                .next_sequence
                .entry((topic.to_owned(), partition))
                .or_insert(0);
            let mut write = PartitionWrite {
                partition,
                chunks: VecDeque::new(),
                offsets: Vec::with_capacity(records.len()),
                in_flight: 0,
                retry: None,
                error: None,
            };
            for batch in request_batches(records, MAX_BATCH_BYTES) {
                match encode_batch(&batch, identity, *sequence, codec) {
                    Ok(bytes) => {
                        write.chunks.push_back(Chunk {
                            base_sequence: *sequence,
                            count: batch.len(),
                            bytes,
                        });
                        *sequence = sequence.wrapping_add(batch.len() as i32);
                    }
                    Err(e) => {
                        // Nothing of this partition's part is sent: its later batches would
                        // have to skip the refused one's sequence numbers.
                        *sequence = write.chunks.front().map_or(*sequence, |c| c.base_sequence);
                        write.chunks.clear();
                        write.error = Some(e);
                        break;
                    }
                }
            }
            write
        })
        .collect()
}

/// A write stopped by its connection: a broker out of reach is tried again; a refusal that
/// trying again cannot change (credentials, TLS, an API the broker lacks) ends it.
fn stopped(w: &mut PartitionWrite, e: &KafkaError) {
    if e.is_transport() {
        w.retry = Some(e.duplicate());
    } else {
        w.error = Some(e.duplicate());
    }
}

/// The same failure for every partition of a call that sent nothing.
fn none_written(parts: &[(i32, Vec<ProduceRecord>)], e: &KafkaError) -> Vec<PartitionWritten> {
    parts
        .iter()
        .map(|(partition, _)| PartitionWritten {
            partition: *partition,
            offsets: Vec::new(),
            error: Some(e.duplicate()),
        })
        .collect()
}

impl KafkaClient {
    /// Writes each partition's records, in order, to `topic`; partitions led by one broker
    /// share its requests. Says per partition what was acknowledged before any failure.
    pub async fn produce_partitions(
        &self,
        topic: &str,
        parts: Vec<(i32, Vec<ProduceRecord>)>,
        codec: Compression,
    ) -> Vec<PartitionWritten> {
        if let Err(e) = self.check_writable("produce") {
            return none_written(&parts, &e);
        }
        let mut state = self.producer.lock().await;
        let identity = match self.producer_identity(&mut state).await {
            Ok(Some(identity)) => identity,
            Ok(None) => {
                drop(state);
                let writes = parts.into_iter().map(|(partition, records)| async move {
                    let (offsets, error) = self
                        .produce_one_at_a_time(topic, partition, records, codec)
                        .await;
                    PartitionWritten {
                        partition,
                        offsets,
                        error,
                    }
                });
                return join_all(writes).await;
            }
            Err(e) => return none_written(&parts, &e),
        };
        let mut writes = plan_writes(&mut state, topic, parts, identity, codec);

        // Leadership moves within seconds (a KRaft controller fences a stopped broker in about
        // nine): rounds go on while writes wait, pausing up to 30 s (or the request timeout).
        let within = self.settings().request_timeout.max(LEADER_MOVE);
        let mut pauses = RetryPolicy::quick(within).pauses();
        while writes.iter().any(PartitionWrite::waiting) {
            self.produce_round(topic, &mut writes, &mut state).await;
            let waiting: Vec<&mut PartitionWrite> =
                writes.iter_mut().filter(|w| w.waiting()).collect();
            if waiting.is_empty() {
                break;
            }
            match pauses.next_pause() {
                Some(pause) => {
                    if let Some(e) = waiting.iter().find_map(|w| w.retry.as_ref()) {
                        tracing::warn!("produce to {topic} will be retried: {e}");
                    }
                    tokio::time::sleep(pause).await;
                }
                None => {
                    for w in waiting {
                        w.error = Some(w.retry.take().unwrap_or_else(|| {
                            KafkaError::Client(format!(
                                "produce to {topic}/{}: no leader answered",
                                w.partition
                            ))
                        }));
                    }
                }
            }
        }

        if writes.iter().any(|w| w.error.is_some()) {
            // Batches that will never be sent leave gaps in the sequences: the next call starts
            // over with a new producer id.
            state.identity = None;
            state.next_sequence.clear();
        }
        writes
            .into_iter()
            .map(|w| PartitionWritten {
                partition: w.partition,
                offsets: w.offsets,
                error: w.error.map(|e| match e.broker_code() {
                    Some(3) => KafkaError::UnknownTopic(topic.to_owned()),
                    _ => e,
                }),
            })
            .collect()
    }

    /// The producer id, asked for once; `None` when the cluster refuses one (kview then writes
    /// one request at a time).
    async fn producer_identity(&self, state: &mut ProducerState) -> Result<Option<(i64, i16)>> {
        if state.one_at_a_time {
            return Ok(None);
        }
        if let Some(identity) = state.identity {
            return Ok(Some(identity));
        }
        let request = InitProducerIdRequest::default()
            .with_transactional_id(None)
            .with_transaction_timeout_ms(60_000)
            .with_producer_id(ProducerId(-1))
            .with_producer_epoch(-1);
        let mut pauses = RetryPolicy::quick(self.settings().request_timeout).pauses();
        loop {
            let response = match self.call_any(&request, None).await {
                Ok(r) => r,
                Err(KafkaError::Unsupported { .. }) => {
                    tracing::info!(
                        "the cluster has no InitProducerId: one produce request at a time"
                    );
                    state.one_at_a_time = true;
                    return Ok(None);
                }
                Err(e) => return Err(e),
            };
            match response.error_code {
                0 => {
                    let identity = (response.producer_id.0, response.producer_epoch);
                    tracing::debug!("producer id {} epoch {}", identity.0, identity.1);
                    state.identity = Some(identity);
                    return Ok(Some(identity));
                }
                // Authorization refused (TOPIC_, CLUSTER_ or TRANSACTIONAL_ID_AUTHORIZATION_FAILED):
                // rskafka writes instead.
                29 | 31 | 53 => {
                    tracing::info!(
                        "the cluster refused a producer id ({}): one produce request at a time",
                        crate::kafka::error::error_name(response.error_code)
                    );
                    state.one_at_a_time = true;
                    return Ok(None);
                }
                code => {
                    let e = KafkaError::check(code, None, || "InitProducerId".into())
                        .expect_err("a non-zero code is an error");
                    // The transaction coordinator loading or moving: worth waiting for.
                    match (matches!(code, 14 | 15 | 16 | 51), pauses.next_pause()) {
                        (true, Some(pause)) => tokio::time::sleep(pause).await,
                        _ => return Err(e),
                    }
                }
            }
        }
    }

    /// One round: every waiting partition's batches to its leader, pipelined per leader.
    /// Failures that pass are left in `retry` for the next round.
    async fn produce_round(
        &self,
        topic: &str,
        writes: &mut [PartitionWrite],
        state: &mut ProducerState,
    ) {
        let stale = writes
            .iter()
            .filter(|w| w.waiting())
            .any(|w| self.leader_of(topic, w.partition).is_none());
        if stale && let Err(e) = self.metadata(Some(&[topic.to_owned()])).await {
            for w in writes.iter_mut().filter(|w| w.waiting()) {
                w.retry = Some(e.duplicate());
            }
            return;
        }
        let mut by_leader: HashMap<String, Vec<&mut PartitionWrite>> = HashMap::new();
        for w in writes.iter_mut().filter(|w| w.waiting()) {
            w.retry = None;
            w.in_flight = 0;
            let addr = match self.leader_of(topic, w.partition) {
                Some(leader) => self.broker_addr(leader),
                None => Err(KafkaError::Client(format!(
                    "{topic}/{} has no leader",
                    w.partition
                ))),
            };
            match addr {
                Ok(addr) => by_leader.entry(addr).or_default().push(w),
                Err(e) => w.retry = Some(e),
            }
        }
        let settings = self.settings();
        let pipelines = by_leader.into_iter().map(|(addr, mut group)| {
            let conn = state.conns.remove(&addr);
            async move {
                let mut conn = match conn {
                    Some(conn) => conn,
                    None => match BrokerConn::connect(&addr, settings).await {
                        Ok(conn) => conn,
                        Err(e) => {
                            for w in group.iter_mut() {
                                stopped(w, &e);
                            }
                            return None;
                        }
                    },
                };
                let pool = &self.pool;
                match pipeline(&mut conn, pool, topic, &mut group, settings.request_timeout).await {
                    Ok(()) => {
                        for w in group.iter_mut() {
                            w.error = w.error.take().map(|e| {
                                e.denied_to(&self.principal(), "Write", || format!("topic {topic}"))
                            });
                        }
                        Some((addr, conn))
                    }
                    Err(e) => {
                        // The connection is gone with whatever was in flight on it; those
                        // batches go again, and a leader that already has them says so.
                        for w in group.iter_mut().filter(|w| w.waiting()) {
                            if w.retry.is_none() {
                                stopped(w, &e);
                            }
                        }
                        None
                    }
                }
            }
        });
        let results = join_all(pipelines).await;
        let mut moved = false;
        for (addr, conn) in results.into_iter().flatten() {
            state.conns.insert(addr, conn);
        }
        for w in writes.iter().filter(|w| w.retry.is_some()) {
            moved |= w.retry.as_ref().is_some_and(|e| {
                e.is_transport() || e.broker_code().is_some_and(|c| RETRIABLE.contains(&c))
            });
        }
        if moved {
            self.forget_leaders();
        }
    }
}

/// Sends the batches of the partitions one broker leads, up to `MAX_IN_FLIGHT` requests ahead
/// of the answers, and reads the answers in order. Returns early only when the connection
/// fails.
async fn pipeline(
    conn: &mut BrokerConn,
    pool: &Pool,
    topic: &str,
    writes: &mut [&mut PartitionWrite],
    timeout: Duration,
) -> Result<()> {
    let version = conn.version_for::<ProduceRequest>(Some(PRODUCE_VERSION_CAP))?;
    let name = TopicName(StrBytes::from_string(topic.to_owned()));
    // For each request in flight: which writes it carried a batch for (by index), and the
    // batch's first sequence.
    let mut in_flight: VecDeque<(i32, Vec<(usize, i32)>)> = VecDeque::new();
    loop {
        while in_flight.len() < MAX_IN_FLIGHT {
            let mut carried = Vec::new();
            let mut partitions = Vec::new();
            let mut bytes = 0;
            for (i, w) in writes.iter_mut().enumerate() {
                if w.retry.is_some() || w.error.is_some() || bytes >= REQUEST_BYTES {
                    continue;
                }
                let Some(chunk) = w.chunks.get(w.in_flight) else {
                    continue;
                };
                bytes += chunk.bytes.len();
                carried.push((i, chunk.base_sequence));
                partitions.push(
                    PartitionProduceData::default()
                        .with_index(w.partition)
                        .with_records(Some(chunk.bytes.clone())),
                );
                w.in_flight += 1;
            }
            if carried.is_empty() {
                break;
            }
            let request = ProduceRequest::default()
                .with_transactional_id(None)
                .with_acks(-1)
                .with_timeout_ms(timeout.as_millis().min(i32::MAX as u128) as i32)
                .with_topic_data(vec![
                    TopicProduceData::default()
                        .with_name(name.clone())
                        .with_partition_data(partitions),
                ]);
            let correlation_id = conn.send(&request, version).await?;
            pool.note_sent();
            in_flight.push_back((correlation_id, carried));
        }
        let Some((correlation_id, carried)) = in_flight.pop_front() else {
            return Ok(());
        };
        let response = conn
            .receive::<ProduceRequest>(correlation_id, version, timeout)
            .await?;
        let answers = response
            .responses
            .into_iter()
            .flat_map(|t| t.partition_responses);
        for answer in answers {
            let Some(&(i, base_sequence)) = carried
                .iter()
                .find(|(i, _)| writes[*i].partition == answer.index)
            else {
                continue;
            };
            let w = &mut *writes[i];
            w.in_flight = w.in_flight.saturating_sub(1);
            // Only the oldest unacknowledged batch can be appended next; an answer for a later
            // one after a failure is the broker refusing it for that reason.
            let front = w
                .chunks
                .front()
                .is_some_and(|c| c.base_sequence == base_sequence);
            match answer.error_code {
                0 if front => {
                    let chunk = w.chunks.pop_front().expect("front exists");
                    w.offsets
                        .extend((0..chunk.count as i64).map(|k| answer.base_offset + k));
                }
                0 => {}
                code if RETRIABLE.contains(&code) || (code == OUT_OF_ORDER_SEQUENCE && !front) => {
                    if w.retry.is_none() {
                        w.retry = KafkaError::check(code, answer.error_message.as_deref(), || {
                            format!("produce to {topic}/{}", w.partition)
                        })
                        .err();
                    }
                }
                code => {
                    w.error = KafkaError::check(code, answer.error_message.as_deref(), || {
                        format!("produce to {topic}/{}", w.partition)
                    })
                    .err();
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kafka::records::decode_batches;

    #[test]
    fn batches_carry_the_producer_and_consecutive_sequences() {
        let records: Vec<ProduceRecord> = (0..3)
            .map(|i| ProduceRecord::value(format!("v{i}")).with_key(Some(format!("k{i}"))))
            .collect();
        let bytes = encode_batch(&records, (42, 3), 7, Compression::None).unwrap();
        // The v2 batch header: producer id at byte 43, epoch at 51, base sequence at 53.
        assert_eq!(i64::from_be_bytes(bytes[43..51].try_into().unwrap()), 42);
        assert_eq!(i16::from_be_bytes(bytes[51..53].try_into().unwrap()), 3);
        assert_eq!(i32::from_be_bytes(bytes[53..57].try_into().unwrap()), 7);
        assert_eq!(i32::from_be_bytes(bytes[57..61].try_into().unwrap()), 3);
        let mut out = Vec::new();
        decode_batches(bytes, 0, 0, None, &mut out).unwrap();
        let values: Vec<_> = out.iter().map(|m| m.value.clone().unwrap()).collect();
        assert_eq!(values, ["v0", "v1", "v2"]);
        assert_eq!(out[2].offset, 2);
    }

    #[test]
    fn repeated_header_names_and_null_values_are_written_as_given() {
        use crate::kafka::records::Header;
        let mut r = ProduceRecord::value("v");
        r.headers = vec![
            Header::parse("a=2").unwrap(),
            Header::parse("n").unwrap(),
            Header::parse("a=1").unwrap(),
        ];
        let bytes = encode_batch(&[r.clone()], (1, 0), 0, Compression::None).unwrap();
        let mut out = Vec::new();
        decode_batches(bytes, 0, 0, None, &mut out).unwrap();
        assert_eq!(
            out[0].headers, r.headers,
            "in order, the repeat and the null kept"
        );
    }
}
