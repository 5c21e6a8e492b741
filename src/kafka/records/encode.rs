//! The v2 record batch encoder, the decoder's other half: headers are written as given — in
//! order, repeated names and null values kept — which kafka-protocol's encoder (headers in a
//! map) cannot do. Compression is kafka-protocol's.

use bytes::{BufMut, Bytes, BytesMut};
use kafka_protocol::compression::{Compressor, Gzip, Lz4, Snappy, Zstd};

use super::{Compression, ProduceRecord};

/// Encodes `records` as one v2 batch of a producer (`producer_id` −1 for none) starting at
/// `base_sequence`, offsets from 0 (the broker assigns the real ones).
pub fn encode_batch(
    records: &[ProduceRecord],
    (producer_id, producer_epoch): (i64, i16),
    base_sequence: i32,
    codec: Compression,
) -> Result<Bytes, String> {
    let base_timestamp = records.first().map_or(0, |r| r.timestamp_ms);
    let max_timestamp = records
        .iter()
        .map(|r| r.timestamp_ms)
        .max()
        .unwrap_or(base_timestamp);
    // Records are written once, straight into the batch (a buffer per record and a growing one
    // for all copied each record three times: a third of a produce).
    let records_size: usize = records
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let size = record_size(r, i as i32, r.timestamp_ms - base_timestamp);
            varlong_size(size as i64) + size
        })
        .sum();
    let mut batch = BytesMut::with_capacity(BATCH_HEADER + records_size);
    batch.put_i64(0); // base offset
    batch.put_i32(0); // length, filled in below
    batch.put_i32(-1); // partition leader epoch
    batch.put_i8(2); // magic
    batch.put_u32(0); // crc, filled in below
    let attributes: i16 = match codec {
        Compression::None => 0,
        Compression::Gzip => 1,
        Compression::Snappy => 2,
        Compression::Lz4 => 3,
        Compression::Zstd => 4,
    };
    // From the attributes on: what the CRC covers.
    batch.put_i16(attributes);
    batch.put_i32(records.len() as i32 - 1); // last offset delta
    batch.put_i64(base_timestamp);
    batch.put_i64(max_timestamp);
    batch.put_i64(producer_id);
    batch.put_i16(producer_epoch);
    batch.put_i32(base_sequence);
    batch.put_i32(records.len() as i32);
    let write_all = |out: &mut BytesMut| {
        for (i, r) in records.iter().enumerate() {
            write_record(out, r, i as i32, r.timestamp_ms - base_timestamp);
        }
    };
    match codec {
        Compression::None => write_all(&mut batch),
        other => {
            let mut plain = BytesMut::with_capacity(records_size);
            write_all(&mut plain);
            let take = |tmp: &mut BytesMut| {
                tmp.extend_from_slice(&plain);
                Ok(())
            };
            let done = match other {
                Compression::Gzip => Gzip::compress(&mut batch, take),
                Compression::Snappy => Snappy::compress(&mut batch, take),
                Compression::Lz4 => Lz4::compress(&mut batch, take),
                Compression::Zstd => Zstd::compress(&mut batch, take),
                Compression::None => unreachable!("handled above"),
            };
            done.map_err(|e| format!("compressing a batch: {e}"))?;
        }
    }
    let length = (batch.len() - 12) as i32; // after base offset and length
    batch[8..12].copy_from_slice(&length.to_be_bytes());
    let crc = crc32c::crc32c(&batch[CRC_FROM..]);
    batch[17..21].copy_from_slice(&crc.to_be_bytes());
    Ok(batch.freeze())
}

/// Bytes before the records: base offset 8, length 4, leader epoch 4, magic 1, crc 4,
/// attributes 2, last offset delta 4, two timestamps 16, producer id 8, epoch 2, sequence 4,
/// record count 4.
const BATCH_HEADER: usize = 61;
/// The CRC covers everything from the attributes on.
const CRC_FROM: usize = 21;

fn record_size(r: &ProduceRecord, offset_delta: i32, timestamp_delta: i64) -> usize {
    let nullable = |b: Option<&[u8]>| b.map_or(1, |b| varlong_size(b.len() as i64) + b.len());
    1 + varlong_size(timestamp_delta)
        + varlong_size(i64::from(offset_delta))
        + nullable(r.key.as_deref())
        + nullable(r.value.as_deref())
        + varlong_size(r.headers.len() as i64)
        + r.headers
            .iter()
            .map(|h| nullable(Some(&h.name)) + nullable(h.value.as_deref()))
            .sum::<usize>()
}

fn write_record(out: &mut BytesMut, r: &ProduceRecord, offset_delta: i32, timestamp_delta: i64) {
    put_varlong(out, record_size(r, offset_delta, timestamp_delta) as i64);
    out.put_i8(0); // attributes
    put_varlong(out, timestamp_delta);
    put_varlong(out, i64::from(offset_delta));
    put_nullable(out, r.key.as_deref());
    put_nullable(out, r.value.as_deref());
    put_varlong(out, r.headers.len() as i64);
    for h in &r.headers {
        put_nullable(out, Some(&h.name));
        put_nullable(out, h.value.as_deref());
    }
}

/// Bytes of `v` as a zigzag varint.
fn varlong_size(v: i64) -> usize {
    let z = ((v << 1) ^ (v >> 63)) as u64;
    (64 - z.max(1).leading_zeros() as usize).div_ceil(7)
}

/// Zigzag varint, as Kafka writes lengths and deltas in records.
fn put_varlong(out: &mut BytesMut, v: i64) {
    let mut z = ((v << 1) ^ (v >> 63)) as u64;
    while z >= 0x80 {
        out.put_u8((z as u8) | 0x80);
        z >>= 7;
    }
    out.put_u8(z as u8);
}

fn put_nullable(out: &mut BytesMut, bytes: Option<&[u8]>) {
    match bytes {
        None => put_varlong(out, -1),
        Some(b) => {
            put_varlong(out, b.len() as i64);
            out.put_slice(b);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kafka::records::{Header, decode_batches};

    fn record(i: usize) -> ProduceRecord {
        ProduceRecord {
            key: (!i.is_multiple_of(3)).then(|| Bytes::from(format!("k{i}"))),
            value: match i % 4 {
                0 => None,
                1 => Some(Bytes::new()),
                _ => Some(Bytes::from(vec![0u8, 159, 146, 150, i as u8])),
            },
            headers: vec![
                Header {
                    name: "trace".into(),
                    value: Some(Bytes::from_static(b"a")),
                },
                Header {
                    name: "trace".into(),
                    value: None,
                },
                Header {
                    name: Bytes::from_static(b"\xff-binary"),
                    value: Some(Bytes::from_static(b"\x00")),
                },
            ],
            timestamp_ms: 1_700_000_000_000 + (i as i64 * 37) % 1000 - 500,
        }
    }

    #[test]
    fn what_is_encoded_decodes_to_the_same_records_in_every_codec() {
        let records: Vec<ProduceRecord> = (0..40).map(record).collect();
        for codec in [
            Compression::None,
            Compression::Gzip,
            Compression::Snappy,
            Compression::Lz4,
            Compression::Zstd,
        ] {
            let batch = encode_batch(&records, (7, 0), 100, codec).unwrap();
            let mut out = Vec::new();
            let decoded = decode_batches(batch, 0, 0, None, &mut out).unwrap();
            assert_eq!(decoded.next_offset, Some(40), "{codec:?}");
            assert_eq!(out.len(), 40);
            for (m, r) in out.iter().zip(&records) {
                assert_eq!(m.key, r.key, "{codec:?}");
                assert_eq!(m.value, r.value, "{codec:?}: null and empty kept apart");
                assert_eq!(m.headers, r.headers, "{codec:?}: repeats, nulls, bytes");
                assert_eq!(m.timestamp_ms, r.timestamp_ms, "{codec:?}");
                assert_eq!(m.producer_id, 7);
            }
        }
    }

    #[test]
    fn a_varint_takes_the_bytes_its_size_says() {
        for v in [
            0,
            1,
            -1,
            63,
            64,
            -64,
            -65,
            127,
            128,
            8191,
            8192,
            i64::MAX,
            i64::MIN,
        ] {
            let mut out = BytesMut::new();
            put_varlong(&mut out, v);
            assert_eq!(varlong_size(v), out.len(), "{v}");
        }
    }
}
