//! The JSON-lines shape of a message, shared by `kview consume --format json` and the
//! dashboard's "write to file". Text stays text; anything that is not UTF-8 goes to a
//! `*_base64` field instead, so binary data survives a round trip exactly.

use std::borrow::Cow;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use bytes::Bytes;
use serde::Serialize;

use crate::kafka::{Message, TimestampType};
use crate::schema::Shown;

/// A key or value in JSON: its text, or the data a schema decoded.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum Field<'a> {
    Text(Cow<'a, str>),
    Data(serde_json::Value),
}

/// How a key or value was read with a schema; absent for plain data.
#[derive(Debug, Default, Serialize)]
pub struct SchemaInfo {
    pub schema_id: u32,
    /// avro, protobuf or json-schema
    pub format: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<i32>,
    /// The Protobuf message type.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct JsonMessage<'a> {
    pub topic: &'a str,
    pub partition: i32,
    pub offset: i64,
    /// Milliseconds since the Unix epoch.
    pub timestamp: i64,
    pub timestamp_type: &'static str,
    /// The key as text, or as data when a schema decoded it; null when the key is null or not
    /// UTF-8 (then see `key_base64`).
    pub key: Option<Field<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_base64: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_schema: Option<SchemaInfo>,
    /// Why the key could not be read with its schema (it is shown as bytes instead).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_error: Option<String>,
    pub value: Option<Field<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value_base64: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value_schema: Option<SchemaInfo>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value_error: Option<String>,
    /// In record order; names may repeat and values may be null, as Kafka allows.
    pub headers: Vec<JsonHeader<'a>>,
    /// Read uncommitted: how the record's transaction ended (committed, aborted, open);
    /// absent outside transactions and when reading committed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transaction: Option<&'static str>,
}

#[derive(Debug, Serialize)]
pub struct JsonHeader<'a> {
    /// The name as text; null with `name_base64` when it is not UTF-8.
    pub name: Option<Cow<'a, str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name_base64: Option<String>,
    pub value: Option<Cow<'a, str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value_base64: Option<String>,
}

/// Text when the bytes are UTF-8, base64 otherwise; (None, None) for null.
fn text_or_base64(bytes: Option<&Bytes>) -> (Option<Cow<'_, str>>, Option<String>) {
    match bytes {
        None => (None, None),
        Some(b) => match std::str::from_utf8(b) {
            Ok(text) => (Some(Cow::Borrowed(text)), None),
            Err(_) => (None, Some(BASE64.encode(b))),
        },
    }
}

impl<'a> JsonMessage<'a> {
    pub fn new(topic: &'a str, m: &'a Message) -> Self {
        let (key, key_base64) = text_or_base64(m.key.as_ref());
        let (value, value_base64) = text_or_base64(m.value.as_ref());
        JsonMessage {
            topic,
            partition: m.partition,
            offset: m.offset,
            timestamp: m.timestamp_ms,
            timestamp_type: match m.timestamp_type {
                TimestampType::CreateTime => "create",
                TimestampType::LogAppendTime => "log_append",
            },
            key: key.map(Field::Text),
            key_base64,
            key_schema: None,
            key_error: None,
            value: value.map(Field::Text),
            value_base64,
            value_schema: None,
            value_error: None,
            transaction: m.txn.label(),
            headers: m
                .headers
                .iter()
                .map(|h| {
                    let (value, value_base64) = text_or_base64(h.value.as_ref());
                    let (name, name_base64) = text_or_base64(Some(&h.name));
                    JsonHeader {
                        name,
                        name_base64,
                        value,
                        value_base64,
                    }
                })
                .collect(),
        }
    }
}

/// Valid JSON without the whitespace between tokens; strings (and numbers) stay exactly as typed.
pub fn compact(text: &str) -> String {
    // Byte by byte: JSON's quotes, backslashes and whitespace are ASCII, and no byte of a
    // multi-byte UTF-8 character is, so the kept bytes are whole characters.
    let mut out = Vec::with_capacity(text.len());
    let (mut in_string, mut escaped) = (false, false);
    for &b in text.as_bytes() {
        if in_string {
            out.push(b);
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
        } else if b == b'"' {
            in_string = true;
            out.push(b);
        } else if !b.is_ascii_whitespace() {
            out.push(b);
        }
    }
    String::from_utf8(out).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

impl JsonMessage<'_> {
    /// The key and value as their schemas read them: decoded data replaces the text or base64,
    /// and a failure is said beside the bytes.
    pub fn with_schemas(mut self, key: Shown, value: Shown) -> Self {
        (self.key, self.key_base64, self.key_schema, self.key_error) =
            apply(key, self.key.take(), self.key_base64.take());
        (
            self.value,
            self.value_base64,
            self.value_schema,
            self.value_error,
        ) = apply(value, self.value.take(), self.value_base64.take());
        self
    }
}

type Applied<'a> = (
    Option<Field<'a>>,
    Option<String>,
    Option<SchemaInfo>,
    Option<String>,
);

fn apply<'a>(shown: Shown, field: Option<Field<'a>>, base64: Option<String>) -> Applied<'a> {
    match shown {
        Shown::Plain => (field, base64, None, None),
        Shown::Decoded(d) => {
            let (subject, version) = d.subject.map_or((None, None), |(s, v)| (Some(s), Some(v)));
            let info = SchemaInfo {
                schema_id: d.schema_id,
                format: d.kind.name(),
                subject,
                version,
                message: d.message,
            };
            (Some(Field::Data(d.json)), None, Some(info), None)
        }
        Shown::Pending { schema_id } => (
            field,
            base64,
            None,
            Some(format!("schema id {schema_id} not loaded")),
        ),
        Shown::Failed { reason, .. } => (field, base64, None, Some(reason)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compact_json_keeps_strings_and_numbers_exact() {
        let typed =
            "{\n  \"a b\": \"x  \\\" y\",\n  \"n\": 12345678901234567890123,\n  \"l\": [1, 2]\n}";
        assert_eq!(
            compact(typed),
            "{\"a b\":\"x  \\\" y\",\"n\":12345678901234567890123,\"l\":[1,2]}"
        );
    }
    use crate::kafka::Header;

    #[test]
    fn text_stays_text_and_binary_becomes_base64() {
        let m = Message {
            partition: 2,
            offset: 9,
            timestamp_ms: 1_700_000_000_000,
            timestamp_type: TimestampType::CreateTime,
            key: Some(Bytes::from_static(b"k\x1b")),
            value: Some(Bytes::from_static(&[0xff, 0x00, 0x41])),
            headers: vec![
                Header {
                    name: "h".into(),
                    value: None,
                },
                Header {
                    name: "h".into(),
                    value: Some(Bytes::from_static(b"x")),
                },
            ],
            producer_id: -1,
            txn: crate::kafka::records::TxnMark::None,
        };
        let line = serde_json::to_string(&JsonMessage::new("t", &m)).unwrap();
        assert_eq!(
            line,
            r#"{"topic":"t","partition":2,"offset":9,"timestamp":1700000000000,"timestamp_type":"create","key":"k\u001b","value":null,"value_base64":"/wBB","headers":[{"name":"h","value":null},{"name":"h","value":"x"}]}"#
        );
    }

    #[test]
    fn null_value_is_null_without_base64() {
        let m = Message {
            partition: 0,
            offset: 0,
            timestamp_ms: 0,
            timestamp_type: TimestampType::LogAppendTime,
            key: None,
            value: None,
            headers: vec![],
            producer_id: -1,
            txn: crate::kafka::records::TxnMark::None,
        };
        let v: serde_json::Value = serde_json::to_value(JsonMessage::new("t", &m)).unwrap();
        assert!(v["value"].is_null());
        assert!(v.get("value_base64").is_none());
        assert_eq!(v["timestamp_type"], "log_append");
    }
}
