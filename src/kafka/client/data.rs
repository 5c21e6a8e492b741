//! The data plane through rskafka: topic creation and deletion (through its controller
//! client), and produce when a cluster refuses kview a producer id (`produce.rs` writes
//! otherwise). rskafka has no request timeout, so every call is wrapped in one; its retry loop
//! gets a deadline. Its types stay inside this file: callers speak kview's `ProduceRecord`.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use rskafka::client::partition::UnknownTopicHandling;

use super::KafkaClient;
use crate::kafka::error::{KafkaError, Result, screaming_snake};
use crate::kafka::records::{Compression, ProduceRecord, RECORD_OVERHEAD};

pub(super) use rskafka::client::partition::PartitionClient;

/// Bytes of records per produce request: under the broker's default `message.max.bytes`
/// (1 MiB with overhead), so a batch is never refused for its size (a single larger record
/// still is, with MESSAGE_TOO_LARGE).
pub(super) const MAX_BATCH_BYTES: usize = 900 * 1024;

/// Splits records, in order, into batches of at most `max_bytes` (a lone larger record forms
/// its own batch).
pub(super) fn request_batches(
    records: Vec<ProduceRecord>,
    max_bytes: usize,
) -> Vec<Vec<ProduceRecord>> {
    let mut batches = Vec::new();
    let mut current = Vec::new();
    let mut size = 0;
    for record in records {
        let bytes = record.payload_size() + RECORD_OVERHEAD;
        if !current.is_empty() && size + bytes > max_bytes {
            batches.push(std::mem::take(&mut current));
            size = 0;
        }
        size += bytes;
        current.push(record);
    }
    if !current.is_empty() {
        batches.push(current);
    }
    batches
}

/// rskafka's record keeps one non-null value per header name; what it cannot hold is refused
/// rather than changed.
fn to_rskafka(record: ProduceRecord) -> Result<rskafka::record::Record> {
    let mut headers = BTreeMap::new();
    for h in record.headers {
        let Ok(name) = String::from_utf8(h.name.to_vec()) else {
            return Err(KafkaError::Client(
                "a header name is not UTF-8, which kview cannot write to a cluster that refuses it a producer id".into(),
            ));
        };
        let Some(value) = h.value else {
            return Err(KafkaError::Client(format!(
                "header {:?} has no value, which kview cannot write to a cluster that refuses it a producer id",
                h.name
            )));
        };
        if headers.insert(name.clone(), value.to_vec()).is_some() {
            return Err(KafkaError::Client(format!(
                "header {name:?} is given twice, which kview cannot write to a cluster that refuses it a producer id"
            )));
        }
    }
    let timestamp =
        chrono::DateTime::from_timestamp_millis(record.timestamp_ms).ok_or_else(|| {
            KafkaError::Client(format!("timestamp {} is out of range", record.timestamp_ms))
        })?;
    Ok(rskafka::record::Record {
        key: record.key.map(|k| k.to_vec()),
        value: record.value.map(|v| v.to_vec()),
        headers,
        timestamp,
    })
}

fn compression(c: Compression) -> rskafka::client::partition::Compression {
    use rskafka::client::partition::Compression as R;
    match c {
        Compression::None => R::NoCompression,
        Compression::Gzip => R::Gzip,
        Compression::Snappy => R::Snappy,
        Compression::Lz4 => R::Lz4,
        Compression::Zstd => R::Zstd,
    }
}

impl KafkaClient {
    pub(super) async fn data_plane(&self) -> Result<&rskafka::client::Client> {
        self.data_plane
            .get_or_try_init(|| async {
                let settings = self.settings();
                let backoff = rskafka::BackoffConfig {
                    init_backoff: Duration::from_millis(100),
                    max_backoff: Duration::from_secs(2),
                    base: 2.0,
                    deadline: Some(settings.connect_timeout),
                };
                let mut builder = rskafka::client::ClientBuilder::new(self.bootstrap.clone())
                    .client_id(settings.client_id.clone())
                    .backoff_config(backoff);
                // The same TLS and SASL as kview's own connections: nothing connects around them.
                if let Some(tls) = &settings.security.tls {
                    builder = builder.tls_config(tls.config());
                }
                if let Some(sasl) = &settings.security.sasl {
                    builder = builder.sasl_config(sasl.for_rskafka());
                }
                let build = builder.build();
                match tokio::time::timeout(settings.connect_timeout * 2, build).await {
                    Ok(Ok(client)) => Ok(client),
                    Ok(Err(e)) => Err(data_error(e, "connecting", None)),
                    Err(_) => Err(KafkaError::Timeout {
                        what: "the data-plane connection".into(),
                        after: settings.connect_timeout * 2,
                    }),
                }
            })
            .await
    }

    async fn partition_client(&self, topic: &str, partition: i32) -> Result<Arc<PartitionClient>> {
        let key = (topic.to_owned(), partition);
        if let Some(pc) = self.partition_clients.lock().await.get(&key) {
            return Ok(pc.clone());
        }
        let client = self.data_plane().await?;
        let pc = self
            .timed(
                "a partition leader",
                client.partition_client(topic, partition, UnknownTopicHandling::Error),
            )
            .await?
            .map_err(|e| data_error(e, &format!("{topic}/{partition}"), Some(topic)))?;
        let pc = Arc::new(pc);
        self.partition_clients.lock().await.insert(key, pc.clone());
        Ok(pc)
    }

    /// Drops cached partition clients of a topic (deleted, or its partitions changed).
    pub(super) async fn forget_partition_clients(&self, topic: &str) {
        self.partition_clients
            .lock()
            .await
            .retain(|(t, _), _| t != topic);
    }

    pub(super) async fn timed<F: std::future::Future>(
        &self,
        what: &str,
        f: F,
    ) -> Result<F::Output> {
        let after = self.settings().request_timeout;
        tokio::time::timeout(after, f)
            .await
            .map_err(|_| KafkaError::Timeout {
                what: what.to_owned(),
                after,
            })
    }

    /// Writes records to one partition, in order; returns their offsets. Records go out in
    /// batches that fit the broker's default size limit, so callers need not count bytes.
    /// Callers writing to several partitions at once use `produce_partitions`, which shares
    /// requests between partitions of one leader.
    pub async fn produce(
        &self,
        topic: &str,
        partition: i32,
        records: Vec<ProduceRecord>,
        codec: Compression,
    ) -> Result<Vec<i64>> {
        match self
            .produce_acknowledged(topic, partition, records, codec)
            .await
        {
            (offsets, None) => Ok(offsets),
            (_, Some(e)) => Err(e),
        }
    }

    /// Like [`produce`](Self::produce), but also says what was acknowledged before a failure:
    /// the offsets of the first records, in order, and the error that stopped the rest.
    pub async fn produce_acknowledged(
        &self,
        topic: &str,
        partition: i32,
        records: Vec<ProduceRecord>,
        codec: Compression,
    ) -> (Vec<i64>, Option<KafkaError>) {
        let written = self
            .produce_partitions(topic, vec![(partition, records)], codec)
            .await;
        match written.into_iter().next() {
            Some(w) => (w.offsets, w.error),
            None => (Vec::new(), None),
        }
    }

    /// Writes through rskafka, one request at a time, in order (no producer id needed).
    pub(super) async fn produce_one_at_a_time(
        &self,
        topic: &str,
        partition: i32,
        records: Vec<ProduceRecord>,
        codec: Compression,
    ) -> (Vec<i64>, Option<KafkaError>) {
        let mut offsets = Vec::with_capacity(records.len());
        if let Err(e) = self.check_writable("produce") {
            return (offsets, Some(e));
        }
        let pc = match self.partition_client(topic, partition).await {
            Ok(pc) => pc,
            Err(e) => return (offsets, Some(e)),
        };
        let ctx = format!("produce to {topic}/{partition}");
        for batch in request_batches(records, MAX_BATCH_BYTES) {
            let batch = match batch
                .into_iter()
                .map(to_rskafka)
                .collect::<Result<Vec<_>>>()
            {
                Ok(b) => b,
                Err(e) => return (offsets, Some(e)),
            };
            let written = match self
                .timed(&ctx, pc.produce(batch, compression(codec)))
                .await
            {
                Ok(Ok(written)) => written,
                Ok(Err(e)) => return (offsets, Some(data_error(e, &ctx, Some(topic)))),
                Err(e) => return (offsets, Some(e)),
            };
            offsets.extend(written);
        }
        (offsets, None)
    }

    pub(super) async fn controller(&self) -> Result<rskafka::client::controller::ControllerClient> {
        self.data_plane()
            .await?
            .controller_client()
            .map_err(|e| data_error(e, "controller", None))
    }
}

/// Words an rskafka error for one line; an unknown topic becomes `UnknownTopic`.
pub(super) fn data_error(
    e: rskafka::client::error::Error,
    context: &str,
    topic: Option<&str>,
) -> KafkaError {
    use rskafka::client::error::{Error, ProtocolError};
    match e {
        Error::ServerError {
            protocol_error: ProtocolError::UnknownTopicOrPartition,
            ..
        } if topic.is_some() => KafkaError::UnknownTopic(topic.unwrap_or_default().to_owned()),
        Error::ServerError {
            protocol_error,
            error_message,
            ..
        } => {
            let name = screaming_snake(&format!("{protocol_error:?}"));
            match error_message {
                Some(m) if !m.is_empty() => KafkaError::Client(format!("{context}: {name} ({m})")),
                _ => KafkaError::Client(format!("{context}: {name}")),
            }
        }
        other => KafkaError::Client(format!("{context}: {other}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    fn record(value_len: usize) -> ProduceRecord {
        ProduceRecord::value(vec![b'x'; value_len])
    }

    #[test]
    fn produce_batches_respect_the_size_limit_and_keep_order() {
        let records: Vec<_> = (0..100).map(|i| record(60 + i)).collect();
        let batches = request_batches(records, 1_000);
        assert!(batches.len() > 5);
        let mut expected = 60;
        for b in &batches {
            let size: usize = b.iter().map(|r| r.payload_size() + RECORD_OVERHEAD).sum();
            assert!(size <= 1_000 || b.len() == 1);
            for r in b {
                assert_eq!(r.value.as_ref().unwrap().len(), expected);
                expected += 1;
            }
        }
        let huge = request_batches(vec![record(10), record(5_000), record(10)], 1_000);
        assert_eq!(huge.iter().map(Vec::len).collect::<Vec<_>>(), vec![1, 1, 1]);
        assert!(request_batches(vec![], 1_000).is_empty());
    }

    #[test]
    fn headers_rskafka_cannot_hold_are_refused_not_changed() {
        use crate::kafka::records::Header;
        let header = |name: &'static str, value: Option<&'static [u8]>| Header {
            name: Bytes::from_static(name.as_bytes()),
            value: value.map(Bytes::from_static),
        };
        let mut r = record(1);
        r.headers = vec![header("a", Some(b"1")), header("b", Some(b"2"))];
        assert_eq!(to_rskafka(r.clone()).unwrap().headers.len(), 2);
        r.headers.push(header("a", Some(b"3")));
        assert!(
            to_rskafka(r.clone())
                .unwrap_err()
                .to_string()
                .contains("given twice")
        );
        r.headers = vec![header("n", None)];
        assert!(
            to_rskafka(r)
                .unwrap_err()
                .to_string()
                .contains("has no value")
        );
    }
}
