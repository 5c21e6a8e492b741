//! kcat's `-f` format strings for `kview consume -f`, so scripts written for kcat keep working:
//! `%t` topic, `%p` partition, `%o` offset, `%k` key, `%K` key length, `%s` value, `%S` value
//! length (−1 for null), `%T` timestamp (ms), `%h` headers (`name=value,…`, `NULL` for a null
//! value), `%%`; escapes `\n`, `\r`, `\t`, `\\` and `\xHH`.

use crate::kafka::Message;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece {
    Literal(Vec<u8>),
    Topic,
    Partition,
    Offset,
    Key,
    KeyLength,
    Value,
    ValueLength,
    Timestamp,
    Headers,
}

/// A parsed format string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KcatFormat(Vec<Piece>);

impl std::str::FromStr for KcatFormat {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let mut pieces = Vec::new();
        let mut literal = Vec::new();
        let bytes = text.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'%' => {
                    let Some(&c) = bytes.get(i + 1) else {
                        return Err("the format ends in a lone %".into());
                    };
                    let piece = match c {
                        b'%' => {
                            literal.push(b'%');
                            i += 2;
                            continue;
                        }
                        b't' => Piece::Topic,
                        b'p' => Piece::Partition,
                        b'o' => Piece::Offset,
                        b'k' => Piece::Key,
                        b'K' => Piece::KeyLength,
                        b's' => Piece::Value,
                        b'S' => Piece::ValueLength,
                        b'T' => Piece::Timestamp,
                        b'h' => Piece::Headers,
                        other => {
                            return Err(format!(
                                "%{} is not a format kview knows (%t %p %o %k %K %s %S %T %h %%)",
                                other as char
                            ));
                        }
                    };
                    if !literal.is_empty() {
                        pieces.push(Piece::Literal(std::mem::take(&mut literal)));
                    }
                    pieces.push(piece);
                    i += 2;
                }
                b'\\' => {
                    let (byte, used) = match bytes.get(i + 1) {
                        Some(b'n') => (b'\n', 2),
                        Some(b'r') => (b'\r', 2),
                        Some(b't') => (b'\t', 2),
                        Some(b'\\') => (b'\\', 2),
                        Some(b'x') => {
                            let hex = text.get(i + 2..i + 4).unwrap_or_default();
                            let byte = u8::from_str_radix(hex, 16)
                                .map_err(|_| format!("\\x{hex} is not two hex digits"))?;
                            (byte, 4)
                        }
                        _ => (b'\\', 1),
                    };
                    literal.push(byte);
                    i += used;
                }
                b => {
                    literal.push(b);
                    i += 1;
                }
            }
        }
        if !literal.is_empty() {
            pieces.push(Piece::Literal(literal));
        }
        Ok(KcatFormat(pieces))
    }
}

impl KcatFormat {
    /// Writes one record; `key` and `value` are what to print for them (the bytes, or the JSON
    /// a schema decoded).
    pub fn write(
        &self,
        out: &mut impl std::io::Write,
        topic: &str,
        m: &Message,
        key: Option<&[u8]>,
        value: Option<&[u8]>,
    ) -> std::io::Result<()> {
        let length = |b: Option<&[u8]>| b.map_or(-1, |b| b.len() as i64).to_string();
        for piece in &self.0 {
            match piece {
                Piece::Literal(bytes) => out.write_all(bytes)?,
                Piece::Topic => out.write_all(topic.as_bytes())?,
                Piece::Partition => write!(out, "{}", m.partition)?,
                Piece::Offset => write!(out, "{}", m.offset)?,
                Piece::Key => out.write_all(key.unwrap_or_default())?,
                Piece::KeyLength => out.write_all(length(key).as_bytes())?,
                Piece::Value => out.write_all(value.unwrap_or_default())?,
                Piece::ValueLength => out.write_all(length(value).as_bytes())?,
                Piece::Timestamp => write!(out, "{}", m.timestamp_ms)?,
                Piece::Headers => {
                    for (i, h) in m.headers.iter().enumerate() {
                        if i > 0 {
                            out.write_all(b",")?;
                        }
                        out.write_all(&h.name)?;
                        out.write_all(b"=")?;
                        out.write_all(h.value.as_deref().unwrap_or(b"NULL"))?;
                    }
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kafka::{Header, TimestampType};
    use bytes::Bytes;

    #[test]
    fn writes_what_kcat_writes() {
        let m = Message {
            partition: 2,
            offset: 41,
            timestamp_ms: 1_700_000_000_000,
            timestamp_type: TimestampType::CreateTime,
            key: Some(Bytes::from_static(b"k")),
            value: None,
            headers: vec![
                Header {
                    name: "a".into(),
                    value: Some(Bytes::from_static(b"1")),
                },
                Header {
                    name: "b".into(),
                    value: None,
                },
            ],
            producer_id: -1,
            txn: Default::default(),
        };
        let format: KcatFormat = "%t/%p@%o %K:%k %S:%s %T [%h] 100%%\\n\\x41"
            .parse()
            .unwrap();
        let mut out = Vec::new();
        format
            .write(&mut out, "orders", &m, m.key.as_deref(), None)
            .unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "orders/2@41 1:k -1: 1700000000000 [a=1,b=NULL] 100%\nA"
        );
        assert!("%q".parse::<KcatFormat>().unwrap_err().contains("%q"));
        assert!("50%".parse::<KcatFormat>().is_err());
    }
}
