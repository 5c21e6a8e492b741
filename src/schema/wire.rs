//! The Confluent wire format: a zero magic byte, the schema id (4 bytes, big-endian), then the
//! payload; Protobuf payloads start with the list of message indexes that names the message type
//! inside the schema's file.

/// The first byte of every framed value.
pub const MAGIC: u8 = 0;
/// Magic byte and schema id.
pub const HEADER_LEN: usize = 5;

/// A framed value split into its schema id and what follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Framed<'a> {
    pub schema_id: u32,
    pub payload: &'a [u8],
}

/// The schema id and payload, when the bytes start like a framed value.
pub fn unframe(bytes: &[u8]) -> Option<Framed<'_>> {
    if bytes.len() < HEADER_LEN || bytes[0] != MAGIC {
        return None;
    }
    let id = u32::from_be_bytes([bytes[1], bytes[2], bytes[3], bytes[4]]);
    Some(Framed {
        schema_id: id,
        payload: &bytes[HEADER_LEN..],
    })
}

/// Why a framed value could not be read.
pub fn why_not_framed(bytes: &[u8]) -> String {
    match bytes.first() {
        None => "empty, not in the schema registry's wire format".to_owned(),
        Some(&MAGIC) => format!(
            "{} bytes, too short for the schema registry's wire format (magic byte and 4-byte schema id)",
            bytes.len()
        ),
        Some(b) => format!(
            "magic byte {b:#04x}, not the schema registry's 0x00: not written with a schema"
        ),
    }
}

/// Magic byte, schema id, then `payload` (which for Protobuf starts with the indexes).
pub fn frame(schema_id: u32, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER_LEN + payload.len());
    out.push(MAGIC);
    out.extend_from_slice(&schema_id.to_be_bytes());
    out.extend_from_slice(payload);
    out
}

/// Reads the Protobuf message-index list (zig-zag varints: a count, then the indexes; a count of
/// zero stands for `[0]`, the first message), returning it and the message bytes after it.
pub fn read_message_indexes(payload: &[u8]) -> Result<(Vec<i32>, &[u8]), String> {
    let mut rest = payload;
    let count = read_zigzag(&mut rest)?;
    if count == 0 {
        return Ok((vec![0], rest));
    }
    if !(1..=100).contains(&count) {
        return Err(format!(
            "message index list of {count} entries is not plausible"
        ));
    }
    let mut indexes = Vec::with_capacity(count as usize);
    for _ in 0..count {
        let index = read_zigzag(&mut rest)?;
        let index =
            i32::try_from(index).map_err(|_| format!("message index {index} is out of range"))?;
        if index < 0 {
            return Err(format!("message index {index} is negative"));
        }
        indexes.push(index);
    }
    Ok((indexes, rest))
}

/// Writes the message-index list as Confluent's serializers do (`[0]` as a single zero byte).
pub fn write_message_indexes(indexes: &[i32], out: &mut Vec<u8>) {
    if indexes == [0] {
        out.push(0);
        return;
    }
    write_zigzag(indexes.len() as i64, out);
    for index in indexes {
        write_zigzag(i64::from(*index), out);
    }
}

fn read_zigzag(bytes: &mut &[u8]) -> Result<i64, String> {
    let mut value: u64 = 0;
    for shift in (0..64).step_by(7) {
        let Some((&byte, rest)) = bytes.split_first() else {
            return Err("the message index list is cut short".to_owned());
        };
        *bytes = rest;
        value |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return Ok((value >> 1) as i64 ^ -((value & 1) as i64));
        }
    }
    Err("a message index is longer than a varint can be".to_owned())
}

fn write_zigzag(value: i64, out: &mut Vec<u8>) {
    let mut v = ((value << 1) ^ (value >> 63)) as u64;
    loop {
        let byte = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn frames_and_unframes() {
        let framed = frame(258, b"abc");
        assert_eq!(framed, [0, 0, 0, 1, 2, b'a', b'b', b'c']);
        let f = unframe(&framed).unwrap();
        assert_eq!((f.schema_id, f.payload), (258, &b"abc"[..]));
        assert_eq!(unframe(&[0, 0, 0, 1]), None, "too short");
        assert_eq!(unframe(&[1, 0, 0, 0, 1]), None, "wrong magic byte");
        assert!(why_not_framed(b"{\"a\":1}").contains("magic byte 0x7b"));
        assert!(why_not_framed(&[0, 1]).contains("too short"));
    }

    #[test]
    fn the_first_message_is_a_single_zero() {
        let mut out = Vec::new();
        write_message_indexes(&[0], &mut out);
        assert_eq!(out, [0]);
        assert_eq!(
            read_message_indexes(&[0, 8, 1]).unwrap(),
            (vec![0], &[8u8, 1][..])
        );
        // [1, 0]: count 2 → 4, 1 → 2, 0 → 0 in zig-zag.
        let mut out = Vec::new();
        write_message_indexes(&[1, 0], &mut out);
        assert_eq!(out, [4, 2, 0]);
    }

    #[test]
    fn bad_index_lists_are_errors() {
        assert!(read_message_indexes(&[]).is_err());
        assert!(read_message_indexes(&[4, 2]).is_err(), "cut short");
        assert!(read_message_indexes(&[2, 1]).is_err(), "negative");
        assert!(read_message_indexes(&[0xff; 12]).is_err());
    }

    proptest! {
        #[test]
        fn index_lists_round_trip(indexes in proptest::collection::vec(0i32..100_000, 1..6), tail in any::<Vec<u8>>()) {
            let mut out = Vec::new();
            write_message_indexes(&indexes, &mut out);
            out.extend_from_slice(&tail);
            let (read, rest) = read_message_indexes(&out).unwrap();
            prop_assert_eq!(read, indexes);
            prop_assert_eq!(rest, &tail[..]);
        }

        #[test]
        fn reading_never_panics(bytes in any::<Vec<u8>>()) {
            let _ = read_message_indexes(&bytes);
            let _ = unframe(&bytes);
        }
    }
}
