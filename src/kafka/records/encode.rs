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
    let mut body =
        BytesMut::with_capacity(records.iter().map(|r| r.payload_size() + 24).sum::<usize>() + 64);
    let mut records_bytes = BytesMut::new();
    for (i, r) in records.iter().enumerate() {
        write_record(
            &mut records_bytes,
            r,
            i as i32,
            r.timestamp_ms - base_timestamp,
        );
    }
    let compressed: Bytes = match codec {
        Compression::None => records_bytes.freeze(),
        other => {
            let mut out = BytesMut::with_capacity(records_bytes.len() / 2 + 64);
            let take = |tmp: &mut BytesMut| {
                tmp.extend_from_slice(&records_bytes);
                Ok(())
            };
            let done = match other {
                Compression::Gzip => Gzip::compress(&mut out, take),
                Compression::Snappy => Snappy::compress(&mut out, take),
                Compression::Lz4 => Lz4::compress(&mut out, take),
                Compression::Zstd => Zstd::compress(&mut out, take),
                Compression::None => unreachable!("handled above"),
            };
            done.map_err(|e| format!("compressing a batch: {e}"))?;
            out.freeze()
        }
    };
    let attributes: i16 = match codec {
        Compression::None => 0,
        Compression::Gzip => 1,
        Compression::Snappy => 2,
        Compression::Lz4 => 3,
        Compression::Zstd => 4,
    };
    // From the attributes on: what the CRC covers.
    body.put_i16(attributes);
    body.put_i32(records.len() as i32 - 1); // last offset delta
    body.put_i64(base_timestamp);
    body.put_i64(max_timestamp);
    body.put_i64(producer_id);
    body.put_i16(producer_epoch);
    body.put_i32(base_sequence);
    body.put_i32(records.len() as i32);
    body.put_slice(&compressed);
    let crc = crc32c::crc32c(&body);
    let mut batch = BytesMut::with_capacity(body.len() + 21);
    batch.put_i64(0); // base offset
    batch.put_i32((body.len() + 9) as i32); // length: leader epoch, magic, crc and the body
    batch.put_i32(-1); // partition leader epoch
    batch.put_i8(2); // magic
    batch.put_u32(crc);
    batch.put_slice(&body);
    Ok(batch.freeze())
}

fn write_record(out: &mut BytesMut, r: &ProduceRecord, offset_delta: i32, timestamp_delta: i64) {
    let mut rec = BytesMut::with_capacity(r.payload_size() + 16);
    rec.put_i8(0); // attributes
    put_varlong(&mut rec, timestamp_delta);
    put_varlong(&mut rec, i64::from(offset_delta));
    put_nullable(&mut rec, r.key.as_deref());
    put_nullable(&mut rec, r.value.as_deref());
    put_varlong(&mut rec, r.headers.len() as i64);
    for h in &r.headers {
        put_nullable(&mut rec, Some(&h.name));
        put_nullable(&mut rec, h.value.as_deref());
    }
    put_varlong(out, rec.len() as i64);
    out.put_slice(&rec);
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
}
