//! The v2 record batch decoder: CRC-checked, decompressed with kafka-protocol's codecs, headers
//! kept in order with their nulls and repeats, and Kafka's read-committed rule applied.

use bytes::{Buf, Bytes};
use kafka_protocol::compression::{Decompressor, Gzip, Lz4, Snappy, Zstd};

use super::{AbortedTransaction, Header, Marker, Message, TimestampType, TxnMark};

/// The smallest record a batch can hold (length, attributes, three varints, two empty
/// fields and no headers): seven bytes.
const MIN_RECORD_BYTES: usize = 7;

/// What a read-committed reader drops, done as Kafka's Java consumer does it (CompletedFetch):
/// the fetch's aborted transactions by first offset; before each batch of a producer, those
/// that started at or before its last offset make the producer aborted; a transactional batch
/// of an aborted producer is skipped whole; the producer's ABORT marker ends it.
#[derive(Debug, Default)]
pub struct ReadCommitted {
    aborted: std::collections::BinaryHeap<std::cmp::Reverse<(i64, i64)>>,
    aborted_producers: std::collections::HashSet<i64>,
}

impl ReadCommitted {
    pub fn new(aborted: impl IntoIterator<Item = AbortedTransaction>) -> Self {
        ReadCommitted {
            aborted: aborted
                .into_iter()
                .map(|a| std::cmp::Reverse((a.first_offset, a.producer_id)))
                .collect(),
            aborted_producers: Default::default(),
        }
    }

    /// Whether a data batch is dropped.
    fn skips(&mut self, producer_id: i64, transactional: bool, last_offset: i64) -> bool {
        while let Some(std::cmp::Reverse((first, producer))) = self.aborted.peek().copied() {
            if first > last_offset {
                break;
            }
            self.aborted.pop();
            self.aborted_producers.insert(producer);
        }
        transactional && self.aborted_producers.contains(&producer_id)
    }

    fn marker(&mut self, marker: &Marker) {
        if !marker.commit {
            self.aborted_producers.remove(&marker.producer_id);
        }
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum DecodeError {
    #[error("record batch with magic {0} is not supported (only v2)")]
    Magic(i8),
    #[error("corrupt record batch at offset {0}: {1}")]
    Corrupt(i64, &'static str),
    #[error("cannot decompress batch at offset {0}: {1}")]
    Decompress(i64, String),
    #[error(
        "record batch at offset {0} fails its CRC-32C check (stored {1:08x}, computed {2:08x}): the data is corrupt"
    )]
    Checksum(i64, u32, u32),
}

/// What one fetch response's record bytes held.
#[derive(Debug, Default)]
pub struct Decoded {
    /// The offset after the last complete batch seen, control batches included; the next fetch
    /// starts here even when every record was filtered out.
    pub next_offset: Option<i64>,
    /// The transaction markers passed, in log order.
    pub markers: Vec<Marker>,
    /// Bytes of the largest batch met, the one cut at the end included: a partition asked for
    /// less than a batch gets nothing when it is not the fetch's first.
    pub largest_batch: usize,
}

pub(super) const BATCH_HEADER_LEN: usize = 61;
pub(super) const LOG_OVERHEAD: usize = 12; // base offset + batch length

/// Decodes every complete batch in `data`, appending records with `offset >= min_offset` to
/// `out`. A truncated batch at the end (the broker cuts at max bytes) is ignored. Control
/// batches (transaction markers) are never records; with `committed`, the batches of aborted
/// transactions are dropped, and without it records of transactions are marked `Open` for the
/// reader to settle by the markers that follow.
pub fn decode_batches(
    mut data: Bytes,
    partition: i32,
    min_offset: i64,
    mut committed: Option<&mut ReadCommitted>,
    out: &mut Vec<Message>,
) -> Result<Decoded, DecodeError> {
    let mut decoded = Decoded::default();
    while data.remaining() >= LOG_OVERHEAD {
        let base_offset = i64::from_be_bytes(data[0..8].try_into().expect("8 bytes"));
        let batch_len = i32::from_be_bytes(data[8..12].try_into().expect("4 bytes"));
        if batch_len < 0 {
            return Err(DecodeError::Corrupt(base_offset, "negative batch length"));
        }
        let total = LOG_OVERHEAD + batch_len as usize;
        decoded.largest_batch = decoded.largest_batch.max(total);
        if data.remaining() < total {
            break; // partial batch at the end of the response
        }
        let mut batch = data.split_to(total);
        if batch.len() < BATCH_HEADER_LEN {
            return Err(DecodeError::Corrupt(
                base_offset,
                "batch shorter than its header",
            ));
        }
        let magic = batch[16] as i8;
        if magic != 2 {
            return Err(DecodeError::Magic(magic));
        }
        // The CRC covers everything from the attributes to the end of the batch.
        let stored = u32::from_be_bytes(batch[17..21].try_into().expect("4 bytes"));
        let checksum = batch.slice(21..);
        batch.advance(21); // base offset, length, leader epoch, magic, crc
        let attributes = batch.get_i16();
        let last_offset_delta = batch.get_i32();
        let base_timestamp = batch.get_i64();
        let max_timestamp = batch.get_i64();
        let producer_id = batch.get_i64();
        batch.advance(2 + 4); // producer epoch, base sequence
        let record_count = batch.get_i32();

        let last_offset = base_offset + i64::from(last_offset_delta);
        decoded.next_offset = Some(last_offset + 1);
        let transactional = attributes & 0x10 != 0;
        let control = attributes & 0x20 != 0;
        // A data batch wholly before the first offset wanted is passed over unread (a tail
        // that skipped ahead starts inside the broker's first batch); its transaction is
        // still counted below.
        let wanted = control || last_offset >= min_offset;
        if wanted {
            let computed = crc32c::crc32c(&checksum);
            if stored != computed {
                return Err(DecodeError::Checksum(base_offset, stored, computed));
            }
        }
        if control {
            // A control batch: one record whose key says COMMIT (1) or ABORT (0).
            let marker = Marker {
                producer_id,
                offset: base_offset,
                commit: control_type(&batch) == Some(1),
            };
            if let Some(c) = committed.as_deref_mut() {
                c.marker(&marker);
            }
            decoded.markers.push(marker);
            continue;
        }
        if producer_id >= 0
            && let Some(c) = committed.as_deref_mut()
            && c.skips(producer_id, transactional, last_offset)
        {
            continue;
        }
        if !wanted {
            continue;
        }
        let txn = if transactional && committed.is_none() {
            TxnMark::Open
        } else {
            TxnMark::None
        };
        let timestamp_type = if attributes & 0x08 != 0 {
            TimestampType::LogAppendTime
        } else {
            TimestampType::CreateTime
        };
        let mut records = match attributes & 0x07 {
            0 => batch,
            codec => decompress(codec, batch, base_offset)?,
        };
        let ctx = BatchContext {
            partition,
            base_offset,
            base_timestamp,
            log_append_time: (timestamp_type == TimestampType::LogAppendTime)
                .then_some(max_timestamp),
            timestamp_type,
            producer_id,
            txn,
        };
        // The count is the batch's own claim: bounded by what its bytes could hold at all,
        // less the records before `min_offset` (a tail that skipped ahead keeps a batch's end).
        let passed_over = min_offset
            .saturating_sub(base_offset)
            .clamp(0, i64::from(i32::MAX)) as i32;
        let kept = record_count.saturating_sub(passed_over).max(0) as usize;
        out.reserve(kept.min(records.len() / MIN_RECORD_BYTES));
        for _ in 0..record_count.max(0) {
            if let Some(message) = ctx.decode_record(&mut records, min_offset)? {
                out.push(message);
            }
        }
    }
    Ok(decoded)
}

/// The type in a control batch's record key (version, then type: 0 ABORT, 1 COMMIT).
fn control_type(records: &Bytes) -> Option<i16> {
    let mut buf = records.clone();
    let _length = varint(&mut buf)?;
    if !buf.has_remaining() {
        return None;
    }
    buf.advance(1); // attributes
    varlong(&mut buf)?; // timestamp delta
    varint(&mut buf)?; // offset delta
    let key = nullable_bytes(&mut buf)??;
    (key.len() >= 4).then(|| i16::from_be_bytes([key[2], key[3]]))
}

fn decompress(codec: i16, mut batch: Bytes, base_offset: i64) -> Result<Bytes, DecodeError> {
    let take = |b: &mut Bytes| Ok(b.split_to(b.len()));
    let result = match codec {
        1 => Gzip::decompress(&mut batch, take),
        2 => Snappy::decompress(&mut batch, take),
        3 => Lz4::decompress(&mut batch, take),
        4 => Zstd::decompress(&mut batch, take),
        other => {
            return Err(DecodeError::Decompress(
                base_offset,
                format!("unknown codec {other}"),
            ));
        }
    };
    result.map_err(|e| DecodeError::Decompress(base_offset, e.to_string()))
}

struct BatchContext {
    partition: i32,
    base_offset: i64,
    base_timestamp: i64,
    log_append_time: Option<i64>,
    timestamp_type: TimestampType,
    producer_id: i64,
    txn: TxnMark,
}

impl BatchContext {
    /// The next record of `buf`, or `None` when its offset is before `min_offset` (passed over
    /// without slicing its fields out).
    fn decode_record(
        &self,
        buf: &mut Bytes,
        min_offset: i64,
    ) -> Result<Option<Message>, DecodeError> {
        let corrupt = |why| DecodeError::Corrupt(self.base_offset, why);
        let length = varint(buf).ok_or_else(|| corrupt("record length"))?;
        if length < 0 || buf.remaining() < length as usize {
            return Err(corrupt("record longer than its batch"));
        }
        let length = length as usize;
        let mut head: &[u8] = &buf[..length];
        if !head.has_remaining() {
            return Err(corrupt("empty record"));
        }
        head.advance(1); // record attributes, unused by Kafka
        let timestamp_delta = varlong(&mut head).ok_or_else(|| corrupt("timestamp"))?;
        let offset_delta = varint(&mut head).ok_or_else(|| corrupt("offset delta"))?;
        let offset = self.base_offset + i64::from(offset_delta);
        let head_len = length - head.remaining();
        if offset < min_offset {
            buf.advance(length);
            return Ok(None);
        }
        let mut rec = buf.split_to(length);
        rec.advance(head_len);
        let key = nullable_bytes(&mut rec).ok_or_else(|| corrupt("key"))?;
        let value = nullable_bytes(&mut rec).ok_or_else(|| corrupt("value"))?;
        let header_count = varint(&mut rec).ok_or_else(|| corrupt("header count"))?;
        let mut headers = Vec::with_capacity(header_count.clamp(0, 64) as usize);
        for _ in 0..header_count.max(0) {
            let name = nullable_bytes(&mut rec)
                .ok_or_else(|| corrupt("header name"))?
                .ok_or_else(|| corrupt("null header name"))?;
            let value = nullable_bytes(&mut rec).ok_or_else(|| corrupt("header value"))?;
            headers.push(Header { name, value });
        }
        Ok(Some(Message {
            partition: self.partition,
            offset,
            timestamp_ms: self
                .log_append_time
                .unwrap_or(self.base_timestamp + timestamp_delta),
            timestamp_type: self.timestamp_type,
            key,
            value,
            headers,
            producer_id: self.producer_id,
            txn: self.txn,
        }))
    }
}

/// Zigzag varint (32-bit) as Kafka writes them in records.
fn varint(buf: &mut impl Buf) -> Option<i32> {
    let raw = unsigned_varint(buf, 5)?;
    Some(((raw >> 1) as i32) ^ -((raw & 1) as i32))
}

fn varlong(buf: &mut impl Buf) -> Option<i64> {
    let raw = unsigned_varint(buf, 10)?;
    Some(((raw >> 1) as i64) ^ -((raw & 1) as i64))
}

fn unsigned_varint(buf: &mut impl Buf, max_bytes: usize) -> Option<u64> {
    let mut value = 0u64;
    for i in 0..max_bytes {
        if !buf.has_remaining() {
            return None;
        }
        let b = buf.get_u8();
        value |= u64::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            return Some(value);
        }
    }
    None
}

/// Length-prefixed bytes where length −1 means null. Zero-copy: slices the fetch buffer.
fn nullable_bytes(buf: &mut Bytes) -> Option<Option<Bytes>> {
    let len = varint(buf)?;
    if len < 0 {
        return Some(None);
    }
    let len = len as usize;
    if buf.remaining() < len {
        return None;
    }
    Some(Some(buf.split_to(len)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::BytesMut;
    use kafka_protocol::indexmap::IndexMap;
    use kafka_protocol::protocol::StrBytes;
    use kafka_protocol::records::{
        Compression, Record, RecordBatchEncoder, RecordEncodeOptions,
        TimestampType as KpTimestampType,
    };

    fn record(offset: i64, key: Option<&str>, value: Option<&[u8]>) -> Record {
        let mut headers = IndexMap::new();
        headers.insert(
            StrBytes::from_static_str("trace"),
            Some(Bytes::from_static(b"t1")),
        );
        headers.insert(StrBytes::from_static_str("empty"), None);
        Record {
            transactional: false,
            control: false,
            delete_horizon: false,
            partition_leader_epoch: 0,
            producer_id: -1,
            producer_epoch: -1,
            timestamp_type: KpTimestampType::Creation,
            offset,
            sequence: -1,
            timestamp: 1_700_000_000_000 + offset,
            key: key.map(|k| Bytes::copy_from_slice(k.as_bytes())),
            value: value.map(Bytes::copy_from_slice),
            headers,
        }
    }

    fn encode(records: &[Record], compression: Compression) -> Bytes {
        let mut buf = BytesMut::new();
        let options = RecordEncodeOptions {
            version: 2,
            compression,
        };
        RecordBatchEncoder::encode(&mut buf, records, &options).unwrap();
        buf.freeze()
    }

    #[test]
    fn decodes_keys_nulls_headers_and_binary_in_every_codec() {
        let records = vec![
            record(10, Some("k"), Some(b"hello")),
            record(11, None, None),
            record(12, Some("bin"), Some(&[0, 159, 146, 150, 0x1b])),
        ];
        for codec in [
            Compression::None,
            Compression::Gzip,
            Compression::Snappy,
            Compression::Lz4,
            Compression::Zstd,
        ] {
            let mut out = Vec::new();
            let decoded = decode_batches(encode(&records, codec), 3, 0, None, &mut out).unwrap();
            assert_eq!(out.len(), 3, "{codec:?}");
            assert_eq!(decoded.next_offset, Some(13));
            assert_eq!(out[0].key.as_deref(), Some(&b"k"[..]));
            assert_eq!(out[0].value.as_deref(), Some(&b"hello"[..]));
            assert_eq!(out[1].key, None);
            assert_eq!(out[1].value, None);
            assert_eq!(
                out[2].value.as_deref(),
                Some(&[0u8, 159, 146, 150, 0x1b][..])
            );
            assert_eq!(out[2].timestamp_ms, 1_700_000_000_012);
            assert_eq!(out[2].partition, 3);
            assert_eq!(
                out[0].headers,
                vec![
                    Header {
                        name: "trace".into(),
                        value: Some(Bytes::from_static(b"t1"))
                    },
                    Header {
                        name: "empty".into(),
                        value: None
                    },
                ]
            );
        }
    }

    #[test]
    fn skips_records_before_the_requested_offset_and_truncated_tails() {
        let records: Vec<_> = (0..5).map(|o| record(o, None, Some(b"v"))).collect();
        let full = encode(&records, Compression::None);
        let mut out = Vec::new();
        decode_batches(full.clone(), 0, 3, None, &mut out).unwrap();
        assert_eq!(out.iter().map(|m| m.offset).collect::<Vec<_>>(), vec![3, 4]);

        // The broker cuts responses mid-batch: what is complete is read, the rest next time.
        let truncated = full.slice(..full.len() - 5);
        out.clear();
        let decoded = decode_batches(truncated, 0, 0, None, &mut out).unwrap();
        // Five batches of one record each, the last cut: its whole size is still known.
        assert_eq!(
            decoded.largest_batch,
            full.len() / 5,
            "the cut batch's size"
        );
        assert!(out.len() < 5);
        let offsets: Vec<i64> = out.iter().map(|m| m.offset).collect();
        assert_eq!(offsets, (0..out.len() as i64).collect::<Vec<_>>());
        assert_eq!(decoded.next_offset, out.last().map(|m| m.offset + 1));
    }

    #[test]
    fn a_batch_wholly_before_the_requested_offset_is_passed_over_unread() {
        let mut first = BytesMut::from(&txn_batch(0, 3, -1, false, None)[..]);
        let last = first.len() - 1;
        first[last] ^= 0xff; // not read, so its checksum is never computed
        let mut log = first;
        log.extend_from_slice(&txn_batch(3, 2, -1, false, None));
        let mut out = Vec::new();
        let decoded = decode_batches(log.clone().freeze(), 0, 4, None, &mut out).unwrap();
        assert_eq!(out.iter().map(|m| m.offset).collect::<Vec<_>>(), [4]);
        assert_eq!(decoded.next_offset, Some(5));
        // From its own first offset the same batch is read, and its damage said.
        assert!(decode_batches(log.freeze(), 0, 2, None, &mut out).is_err());

        // Read committed, an aborted transaction begun before the offset still drops its
        // later records.
        let mut committed = ReadCommitted::new([AbortedTransaction {
            producer_id: 1,
            first_offset: 0,
        }]);
        let mut log = BytesMut::new();
        log.extend_from_slice(&txn_batch(0, 2, 1, true, None));
        log.extend_from_slice(&txn_batch(2, 2, 1, true, None));
        log.extend_from_slice(&txn_batch(4, 1, 1, true, Some(false)));
        log.extend_from_slice(&txn_batch(5, 1, 1, true, None));
        let mut out = Vec::new();
        decode_batches(log.freeze(), 0, 3, Some(&mut committed), &mut out).unwrap();
        assert_eq!(out.iter().map(|m| m.offset).collect::<Vec<_>>(), [5]);
    }

    #[test]
    fn headers_parse_from_name_equals_value() {
        let h = Header::parse("a=x=y").unwrap();
        assert_eq!(
            (h.name_str().unwrap(), h.value.as_deref()),
            ("a", Some(&b"x=y"[..]))
        );
        assert_eq!(
            Header::parse(" b =").unwrap().value.as_deref(),
            Some(&b""[..])
        );
        assert_eq!(Header::parse("bare").unwrap().value, None);
        assert!(Header::parse("=v").unwrap_err().contains("empty name"));
    }

    /// A hand-built batch at offset 7 of one record with two headers, `first_name`=`1` and
    /// `h`=null: encoders that keep headers in maps cannot make repeated names.
    fn two_header_batch(first_name: &[u8]) -> BytesMut {
        let mut rec = BytesMut::new();
        let zz = |v: i64| ((v << 1) ^ (v >> 63)) as u8; // small values fit in one byte
        rec.extend_from_slice(&[0, zz(0), zz(0), zz(-1), zz(1), b'v', zz(2)]);
        rec.extend_from_slice(&[zz(first_name.len() as i64)]);
        rec.extend_from_slice(first_name);
        rec.extend_from_slice(&[zz(1), b'1', zz(1), b'h', zz(-1)]);
        let mut records = BytesMut::new();
        records.extend_from_slice(&[zz(rec.len() as i64)]);
        records.extend_from_slice(&rec);

        let mut batch = BytesMut::new();
        batch.extend_from_slice(&7i64.to_be_bytes());
        let len = (BATCH_HEADER_LEN - LOG_OVERHEAD + records.len()) as i32;
        batch.extend_from_slice(&len.to_be_bytes());
        batch.extend_from_slice(&0i32.to_be_bytes()); // leader epoch
        batch.extend_from_slice(&[2]); // magic
        batch.extend_from_slice(&0u32.to_be_bytes()); // crc, below
        batch.extend_from_slice(&0i16.to_be_bytes()); // attributes
        batch.extend_from_slice(&0i32.to_be_bytes()); // last offset delta
        batch.extend_from_slice(&5i64.to_be_bytes()); // base timestamp
        batch.extend_from_slice(&5i64.to_be_bytes()); // max timestamp
        batch.extend_from_slice(&(-1i64).to_be_bytes());
        batch.extend_from_slice(&(-1i16).to_be_bytes());
        batch.extend_from_slice(&(-1i32).to_be_bytes());
        batch.extend_from_slice(&1i32.to_be_bytes()); // record count
        batch.extend_from_slice(&records);
        let crc = crc32c::crc32c(&batch[21..]);
        batch[17..21].copy_from_slice(&crc.to_be_bytes());
        batch
    }

    #[test]
    fn repeated_header_names_survive() {
        let batch = two_header_batch(b"h");
        let mut out = Vec::new();
        decode_batches(batch.freeze(), 0, 0, None, &mut out).unwrap();
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].offset, 7);
        let names: Vec<_> = out[0].headers.iter().filter_map(Header::name_str).collect();
        assert_eq!(names, ["h", "h"]);
        assert_eq!(out[0].headers[1].value, None);
    }

    #[test]
    fn header_names_keep_their_bytes() {
        let batch = two_header_batch(b"\xff\x1b[31m");
        let mut out = Vec::new();
        decode_batches(batch.freeze(), 0, 0, None, &mut out).unwrap();
        assert_eq!(
            &out[0].headers[0].name[..],
            b"\xff\x1b[31m",
            "not made lossy"
        );
        assert_eq!(out[0].headers[0].name_str(), None);
    }

    #[test]
    fn a_corrupt_batch_fails_its_checksum_and_says_where() {
        let mut batch = two_header_batch(b"h");
        let last = batch.len() - 1;
        batch[last] ^= 0x01; // one bit of the record flipped in flight or on disk
        let mut out = Vec::new();
        let e = decode_batches(batch.freeze(), 0, 0, None, &mut out).unwrap_err();
        assert!(matches!(e, DecodeError::Checksum(7, _, _)), "{e}");
        assert!(
            e.to_string()
                .starts_with("record batch at offset 7 fails its CRC-32C check")
        );
        assert!(out.is_empty(), "never garbage data");
    }

    /// One batch of `count` records from `offset`, by a producer, in a transaction or not;
    /// `control` makes it a transaction marker (COMMIT or ABORT).
    fn txn_batch(
        offset: i64,
        count: i64,
        producer: i64,
        transactional: bool,
        control: Option<bool>,
    ) -> Bytes {
        let records: Vec<Record> = (0..count)
            .map(|i| {
                let mut r = record(offset + i, None, Some(b"v"));
                r.transactional = transactional;
                r.producer_id = producer;
                r.producer_epoch = 0;
                r.sequence = (offset + i) as i32;
                r.headers = IndexMap::new();
                if let Some(commit) = control {
                    r.control = true;
                    r.key = Some(Bytes::from(vec![0, 0, 0, u8::from(commit)]));
                    r.value = Some(Bytes::from_static(&[0, 0, 0, 0, 0, 0]));
                }
                r
            })
            .collect();
        encode(&records, Compression::None)
    }

    /// Producer 1 aborts offsets 0–2, producer 2 commits 3–4, then a record outside any
    /// transaction at 7; the markers at 5 (ABORT of 1) and 6 (COMMIT of 2).
    fn log_with_an_aborted_transaction() -> Bytes {
        let mut log = BytesMut::new();
        log.extend_from_slice(&txn_batch(0, 3, 1, true, None));
        log.extend_from_slice(&txn_batch(3, 2, 2, true, None));
        log.extend_from_slice(&txn_batch(5, 1, 1, true, Some(false)));
        log.extend_from_slice(&txn_batch(6, 1, 2, true, Some(true)));
        log.extend_from_slice(&txn_batch(7, 1, -1, false, None));
        log.freeze()
    }

    #[test]
    fn read_committed_drops_aborted_transactions_and_steps_over_markers() {
        let mut committed = ReadCommitted::new([AbortedTransaction {
            producer_id: 1,
            first_offset: 0,
        }]);
        let mut out = Vec::new();
        let decoded = decode_batches(
            log_with_an_aborted_transaction(),
            0,
            0,
            Some(&mut committed),
            &mut out,
        )
        .unwrap();
        let offsets: Vec<i64> = out.iter().map(|m| m.offset).collect();
        assert_eq!(
            offsets,
            [3, 4, 7],
            "the aborted records and the markers are not data"
        );
        assert!(out.iter().all(|m| m.txn == TxnMark::None));
        assert_eq!(decoded.next_offset, Some(8), "past the markers");
        // A producer aborted in one transaction and committing the next: only the first goes.
        let mut later = BytesMut::new();
        later.extend_from_slice(&log_with_an_aborted_transaction());
        later.extend_from_slice(&txn_batch(8, 2, 1, true, None));
        let mut committed = ReadCommitted::new([AbortedTransaction {
            producer_id: 1,
            first_offset: 0,
        }]);
        let mut out = Vec::new();
        decode_batches(later.freeze(), 0, 0, Some(&mut committed), &mut out).unwrap();
        assert_eq!(
            out.iter().map(|m| m.offset).collect::<Vec<_>>(),
            [3, 4, 7, 8, 9]
        );
    }

    #[test]
    fn read_uncommitted_marks_transactional_records_open_and_reports_the_markers() {
        let mut out = Vec::new();
        let decoded =
            decode_batches(log_with_an_aborted_transaction(), 0, 0, None, &mut out).unwrap();
        assert_eq!(
            out.iter().map(|m| (m.offset, m.txn)).collect::<Vec<_>>(),
            [
                (0, TxnMark::Open),
                (1, TxnMark::Open),
                (2, TxnMark::Open),
                (3, TxnMark::Open),
                (4, TxnMark::Open),
                (7, TxnMark::None)
            ]
        );
        assert_eq!(
            decoded.markers,
            [
                Marker {
                    producer_id: 1,
                    offset: 5,
                    commit: false
                },
                Marker {
                    producer_id: 2,
                    offset: 6,
                    commit: true
                }
            ]
        );
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            #[test]
            fn arbitrary_bytes_never_panic(data in prop::collection::vec(any::<u8>(), 0..4096)) {
                let mut out = Vec::new();
                let _ = decode_batches(Bytes::from(data), 0, 0, None, &mut out);
            }

            #[test]
            fn arbitrary_records_inside_a_valid_checksum_never_panic(
                body in prop::collection::vec(any::<u8>(), 0..2048),
                count in -5i32..100_000,
                attributes in 0i16..64,
            ) {
                // A batch whose header and CRC are right but whose records are noise: the
                // decoder must refuse it, not trust the count or lengths inside.
                let mut batch = BytesMut::new();
                batch.extend_from_slice(&0i64.to_be_bytes());
                let len = (BATCH_HEADER_LEN - LOG_OVERHEAD + body.len()) as i32;
                batch.extend_from_slice(&len.to_be_bytes());
                batch.extend_from_slice(&0i32.to_be_bytes());
                batch.extend_from_slice(&[2]);
                batch.extend_from_slice(&0u32.to_be_bytes());
                batch.extend_from_slice(&attributes.to_be_bytes());
                batch.extend_from_slice(&0i32.to_be_bytes());
                batch.extend_from_slice(&0i64.to_be_bytes());
                batch.extend_from_slice(&0i64.to_be_bytes());
                batch.extend_from_slice(&(-1i64).to_be_bytes());
                batch.extend_from_slice(&(-1i16).to_be_bytes());
                batch.extend_from_slice(&(-1i32).to_be_bytes());
                batch.extend_from_slice(&count.to_be_bytes());
                batch.extend_from_slice(&body);
                let crc = crc32c::crc32c(&batch[21..]);
                batch[17..21].copy_from_slice(&crc.to_be_bytes());
                let mut out = Vec::new();
                let _ = decode_batches(batch.freeze(), 0, 0, None, &mut out);
                prop_assert!(out.len() <= body.len(), "no more records than bytes");
            }
        }
    }
}
