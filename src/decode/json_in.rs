//! The JSON-lines shape read back: what `kview consume --format json` writes, `kview produce
//! --format json` reads, so records leave a topic and come back exactly — text or base64 keys
//! and values (null, empty and binary kept apart), headers in order with repeats and nulls,
//! timestamps and partitions; data a schema decoded is encoded again with that schema.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use bytes::Bytes;
use serde_json::{Map, Value};

use crate::kafka::Header;

/// A key or value as a line gives it.
#[derive(Debug, Clone, PartialEq)]
pub enum Side {
    /// The bytes themselves (None: null).
    Bytes(Option<Bytes>),
    /// Data a schema decoded, to be encoded again with the schema of this id.
    Data {
        json: Value,
        schema_id: u32,
        /// The Protobuf message type.
        message: Option<String>,
    },
}

/// One record read from a JSON line.
#[derive(Debug, Clone, PartialEq)]
pub struct JsonRecord {
    pub partition: Option<i32>,
    /// Milliseconds since the Unix epoch.
    pub timestamp_ms: Option<i64>,
    pub key: Side,
    pub value: Side,
    pub headers: Vec<Header>,
}

fn base64_field(object: &Map<String, Value>, name: &str) -> Result<Option<Bytes>, String> {
    match object.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => BASE64
            .decode(s)
            .map(|b| Some(Bytes::from(b)))
            .map_err(|e| format!("{name} is not base64 ({e})")),
        Some(other) => Err(format!("{name} must be a string of base64, not {other}")),
    }
}

/// `key`/`value` with their `_base64` and `_schema` beside them.
fn side(object: &Map<String, Value>, name: &str) -> Result<Side, String> {
    let base64_name = format!("{name}_base64");
    let schema_name = format!("{name}_schema");
    if let Some(bytes) = base64_field(object, &base64_name)? {
        return Ok(Side::Bytes(Some(bytes)));
    }
    match (object.get(name), object.get(&schema_name)) {
        (None | Some(Value::Null), _) => Ok(Side::Bytes(None)),
        (Some(json), Some(Value::Object(schema))) => {
            let schema_id = schema
                .get("schema_id")
                .and_then(Value::as_u64)
                .and_then(|id| u32::try_from(id).ok())
                .ok_or_else(|| format!("{schema_name} has no schema_id"))?;
            Ok(Side::Data {
                json: json.clone(),
                schema_id,
                message: schema
                    .get("message")
                    .and_then(Value::as_str)
                    .map(str::to_owned),
            })
        }
        (Some(Value::String(text)), _) => Ok(Side::Bytes(Some(Bytes::from(text.clone())))),
        (Some(other), _) => Err(format!(
            "{name} is JSON data ({}) with no {schema_name} to encode it with: give it as a string",
            kind(other)
        )),
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn text_or_base64(object: &Map<String, Value>, name: &str) -> Result<Option<Bytes>, String> {
    if let Some(bytes) = base64_field(object, &format!("{name}_base64"))? {
        return Ok(Some(bytes));
    }
    match object.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(Bytes::from(s.clone()))),
        Some(other) => Err(format!(
            "header {name} must be a string, not {}",
            kind(other)
        )),
    }
}

/// Reads one line of `consume --format json`'s shape.
pub fn parse_record(line: &[u8]) -> Result<JsonRecord, String> {
    let value: Value = serde_json::from_slice(line).map_err(|e| format!("not JSON ({e})"))?;
    let Value::Object(object) = value else {
        return Err(format!("a record is a JSON object, not {}", kind(&value)));
    };
    let number = |name: &str| -> Result<Option<i64>, String> {
        match object.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => v
                .as_i64()
                .map(Some)
                .ok_or_else(|| format!("{name} must be a whole number, not {v}")),
        }
    };
    let partition = number("partition")?
        .map(|p| i32::try_from(p).map_err(|_| format!("partition {p} is out of range")))
        .transpose()?;
    let mut headers = Vec::new();
    match object.get("headers") {
        None | Some(Value::Null) => {}
        Some(Value::Array(list)) => {
            for (i, h) in list.iter().enumerate() {
                let Value::Object(h) = h else {
                    return Err(format!(
                        "headers[{i}] must be an object with name and value"
                    ));
                };
                let name = text_or_base64(h, "name")
                    .map_err(|e| format!("headers[{i}]: {e}"))?
                    .ok_or_else(|| format!("headers[{i}] has no name"))?;
                let value = text_or_base64(h, "value").map_err(|e| format!("headers[{i}]: {e}"))?;
                headers.push(Header { name, value });
            }
        }
        Some(other) => return Err(format!("headers must be a list, not {}", kind(other))),
    }
    Ok(JsonRecord {
        partition,
        timestamp_ms: number("timestamp")?,
        key: side(&object, "key")?,
        value: side(&object, "value")?,
        headers,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::json::JsonMessage;
    use crate::kafka::{Message, TimestampType};
    use proptest::prelude::*;

    fn bytes_or_null() -> impl Strategy<Value = Option<Vec<u8>>> {
        prop::option::of(prop::collection::vec(any::<u8>(), 0..40))
    }

    proptest! {
        #[test]
        fn what_consume_writes_produce_reads_back_byte_for_byte(
            key in bytes_or_null(),
            value in bytes_or_null(),
            headers in prop::collection::vec(
                (prop::collection::vec(any::<u8>(), 1..12), bytes_or_null()),
                0..5,
            ),
            partition in 0i32..1000,
            timestamp in 0i64..4_000_000_000_000,
        ) {
            let m = Message {
                partition,
                offset: 7,
                timestamp_ms: timestamp,
                timestamp_type: TimestampType::CreateTime,
                key: key.clone().map(Bytes::from),
                value: value.clone().map(Bytes::from),
                headers: headers
                    .iter()
                    .map(|(n, v)| Header { name: Bytes::from(n.clone()), value: v.clone().map(Bytes::from) })
                    .collect(),
                producer_id: -1,
                txn: Default::default(),
            };
            let line = serde_json::to_vec(&JsonMessage::new("t", &m)).unwrap();
            let back = parse_record(&line).unwrap();
            prop_assert_eq!(back.key, Side::Bytes(m.key.clone()));
            prop_assert_eq!(back.value, Side::Bytes(m.value.clone()));
            prop_assert_eq!(back.headers, m.headers.clone());
            prop_assert_eq!(back.partition, Some(partition));
            prop_assert_eq!(back.timestamp_ms, Some(timestamp));
        }
    }

    #[test]
    fn null_empty_and_binary_stay_apart_and_bad_fields_are_named() {
        let r = parse_record(br#"{"key":null,"value":"","headers":[{"name":"h","value":null}]}"#)
            .unwrap();
        assert_eq!(r.key, Side::Bytes(None));
        assert_eq!(r.value, Side::Bytes(Some(Bytes::new())));
        assert_eq!(r.headers[0].value, None);
        let r = parse_record(br#"{"key":null,"key_base64":"AP8=","value":"v"}"#).unwrap();
        assert_eq!(r.key, Side::Bytes(Some(Bytes::from_static(&[0, 255]))));
        let r = parse_record(
            br#"{"value":{"item":"book"},"value_schema":{"schema_id":3,"format":"avro"}}"#,
        )
        .unwrap();
        assert!(matches!(r.value, Side::Data { schema_id: 3, .. }));
        let e = parse_record(br#"{"value":{"item":"book"}}"#).unwrap_err();
        assert!(e.contains("value is JSON data"), "{e}");
        let e = parse_record(br#"{"key_base64":"!!"}"#).unwrap_err();
        assert!(e.contains("key_base64 is not base64"), "{e}");
        let e = parse_record(br#"{"partition":"one"}"#).unwrap_err();
        assert!(e.contains("partition must be a whole number"), "{e}");
        assert!(parse_record(b"[1]").unwrap_err().contains("JSON object"));
    }
}
