//! Kafka records as kview holds them, and a faithful decoder for v2 record batches.
//!
//! Both Rust Kafka crates lose information here: rskafka keeps headers in a map of non-null
//! values (a null header fails the whole fetch, repeated names collapse) and kafka-protocol keeps
//! them in an IndexMap (repeated names collapse). Kafka allows both, and an inspector must show
//! what is really in the log, so kview walks the batch itself and keeps headers as an ordered
//! list. Decompression is kafka-protocol's.

use bytes::Bytes;

mod decode;
mod encode;

pub use decode::{DecodeError, Decoded, ReadCommitted, decode_batches};
pub use encode::encode_batch;

/// One record header; Kafka allows a null value and repeated names. The name is bytes as
/// stored: Kafka's clients write UTF-8, but the log holds whatever was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    pub name: Bytes,
    pub value: Option<Bytes>,
}

impl Header {
    /// Parses `name=value` (split at the first `=`; the value may be empty) or a bare `name`,
    /// which gives a null value. The name is trimmed and must not be empty.
    pub fn parse(text: &str) -> Result<Header, String> {
        let (name, value) = match text.split_once('=') {
            Some((name, value)) => (name.trim(), Some(Bytes::copy_from_slice(value.as_bytes()))),
            None => (text.trim(), None),
        };
        if name.is_empty() {
            return Err(format!("header {text:?} has an empty name"));
        }
        Ok(Header {
            name: Bytes::copy_from_slice(name.as_bytes()),
            value,
        })
    }

    /// The name as text, when it is UTF-8.
    pub fn name_str(&self) -> Option<&str> {
        std::str::from_utf8(&self.name).ok()
    }
}

/// A record to write: kview's own type, so no caller depends on the client crate underneath.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProduceRecord {
    pub key: Option<Bytes>,
    pub value: Option<Bytes>,
    /// In order; Kafka allows repeated names and null values.
    pub headers: Vec<Header>,
    /// Milliseconds since the Unix epoch.
    pub timestamp_ms: i64,
}

impl ProduceRecord {
    /// A record with only a value, stamped now.
    pub fn value(value: impl Into<Bytes>) -> Self {
        ProduceRecord {
            key: None,
            value: Some(value.into()),
            headers: Vec::new(),
            timestamp_ms: chrono::Utc::now().timestamp_millis(),
        }
    }

    pub fn with_key(mut self, key: Option<impl Into<Bytes>>) -> Self {
        self.key = key.map(Into::into);
        self
    }

    /// Bytes of key, value and headers.
    pub fn payload_size(&self) -> usize {
        payload_size(self.key.as_ref(), self.value.as_ref(), &self.headers)
    }
}

/// A record's framing in a batch on top of key, value and headers, roughly.
pub const RECORD_OVERHEAD: usize = 32;

/// Bytes of a record's key, value and headers.
fn payload_size(key: Option<&Bytes>, value: Option<&Bytes>, headers: &[Header]) -> usize {
    key.map_or(0, Bytes::len)
        + value.map_or(0, Bytes::len)
        + headers
            .iter()
            .map(|h| h.name.len() + h.value.as_ref().map_or(0, Bytes::len))
            .sum::<usize>()
}

/// How a produced batch is compressed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Compression {
    #[default]
    None,
    Gzip,
    Snappy,
    Lz4,
    Zstd,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimestampType {
    CreateTime,
    LogAppendTime,
}

/// Which records a reader sees, as Kafka's own consumer's `isolation.level` says.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Isolation {
    /// Only what transactions committed, and records written outside transactions (the Java
    /// consumer's choice with transactions, and librdkafka's default).
    #[default]
    ReadCommitted,
    /// Everything in the log; records of transactions are marked with how they ended.
    ReadUncommitted,
}

/// How the transaction a record was written in ended, as far as the reader knows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum TxnMark {
    /// Written outside a transaction, or read committed (only committed ones are read then).
    #[default]
    None,
    /// Read uncommitted: its transaction committed.
    Committed,
    /// Read uncommitted: its transaction was aborted; a committed reader never sees it.
    Aborted,
    /// Read uncommitted: its transaction had not ended when it was read.
    Open,
}

impl TxnMark {
    /// "aborted", "committed", "open"; None outside transactions.
    pub fn label(self) -> Option<&'static str> {
        match self {
            TxnMark::None => None,
            TxnMark::Committed => Some("committed"),
            TxnMark::Aborted => Some("aborted"),
            TxnMark::Open => Some("open"),
        }
    }
}

/// A record read from a partition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub partition: i32,
    pub offset: i64,
    /// Milliseconds since the Unix epoch.
    pub timestamp_ms: i64,
    pub timestamp_type: TimestampType,
    pub key: Option<Bytes>,
    pub value: Option<Bytes>,
    pub headers: Vec<Header>,
    /// The producer that wrote it (-1 without one: not idempotent).
    pub producer_id: i64,
    pub txn: TxnMark,
}

/// Copies the messages' bytes out of the fetch response they point into, into one buffer of
/// their own. Records kept long (the message browser's ring) otherwise keep the whole response
/// alive, and the connection reads the next response into fresh memory instead of reusing its
/// buffer.
pub fn detach(messages: &mut [Message]) {
    fn fields(m: &mut Message) -> impl Iterator<Item = &mut Bytes> {
        let (key, value, headers) = (&mut m.key, &mut m.value, &mut m.headers);
        key.iter_mut().chain(value.iter_mut()).chain(
            headers
                .iter_mut()
                .flat_map(|h| std::iter::once(&mut h.name).chain(h.value.iter_mut())),
        )
    }
    let mut total = 0;
    for m in messages.iter_mut() {
        total += fields(m).map(|b| b.len()).sum::<usize>();
    }
    let mut own = bytes::BytesMut::with_capacity(total);
    for m in messages.iter_mut() {
        for b in fields(m) {
            own.extend_from_slice(b);
        }
    }
    let own = own.freeze();
    let mut at = 0;
    for m in messages.iter_mut() {
        for b in fields(m) {
            let len = b.len();
            *b = own.slice(at..at + len);
            at += len;
        }
    }
}

/// An aborted transaction the broker lists in a read-committed fetch: its producer, and the
/// offset of its first record in the partition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AbortedTransaction {
    pub producer_id: i64,
    pub first_offset: i64,
}

/// A transaction's end as written in the log (a control batch).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Marker {
    pub producer_id: i64,
    pub offset: i64,
    pub commit: bool,
}

impl From<&Message> for ProduceRecord {
    /// The record as read, to be written again: key, value, headers and timestamp kept.
    fn from(m: &Message) -> Self {
        ProduceRecord {
            key: m.key.clone(),
            value: m.value.clone(),
            headers: m.headers.clone(),
            timestamp_ms: m.timestamp_ms,
        }
    }
}

impl Message {
    /// Bytes of key, value and headers: what the record costs in memory, roughly.
    pub fn payload_size(&self) -> usize {
        payload_size(self.key.as_ref(), self.value.as_ref(), &self.headers)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detached_messages_keep_their_bytes_and_let_the_response_go() {
        let response = Bytes::copy_from_slice(b"key-avalue-aname-hvalue-h");
        let message = |key: Option<Bytes>, value: Option<Bytes>, headers: Vec<Header>| Message {
            partition: 0,
            offset: 0,
            timestamp_ms: 0,
            timestamp_type: TimestampType::CreateTime,
            key,
            value,
            headers,
            producer_id: -1,
            txn: TxnMark::None,
        };
        let mut messages = vec![
            message(
                Some(response.slice(0..5)),
                Some(response.slice(5..12)),
                vec![Header {
                    name: response.slice(12..18),
                    value: Some(response.slice(18..25)),
                }],
            ),
            message(None, Some(response.slice(5..12)), vec![]),
        ];
        let range = response.as_ptr() as usize..response.as_ptr() as usize + response.len();
        detach(&mut messages);
        assert_eq!(messages[0].key.as_deref(), Some(&b"key-a"[..]));
        assert_eq!(messages[0].value.as_deref(), Some(&b"value-a"[..]));
        assert_eq!(&messages[0].headers[0].name[..], b"name-h");
        assert_eq!(
            messages[0].headers[0].value.as_deref(),
            Some(&b"value-h"[..])
        );
        assert_eq!(messages[1].key, None);
        assert_eq!(messages[1].value.as_deref(), Some(&b"value-a"[..]));
        let points_into_response = |b: &Bytes| range.contains(&(b.as_ptr() as usize));
        for m in &messages {
            assert!(!m.value.iter().any(points_into_response));
            assert!(!m.key.iter().any(points_into_response));
        }
        assert!(
            response.is_unique(),
            "nothing points into the response any more"
        );
    }
}
