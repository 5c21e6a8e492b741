//! Avro values to JSON and back, walked together with their schema so that unions, decimals and
//! named references read naturally: a union shows as the value it holds, a decimal as its digits,
//! bytes as Avro's JSON encoding (one character per byte). Writing takes the same shape and says
//! which field does not fit.

use std::collections::HashMap;

use apache_avro::schema::{DecimalSchema, RecordSchema, Schema};
use apache_avro::types::Value;
use serde_json::{Map, Value as Json};

/// A parsed writer schema with the named types it and its references define.
#[derive(Debug)]
pub struct AvroSchema {
    schema: Schema,
    /// Schemas of the references, in the order they were given.
    references: Vec<Schema>,
    /// Named types by full name, for `Schema::Ref`.
    names: HashMap<String, Schema>,
}

impl AvroSchema {
    /// Parses `text`; `references` are the texts of the schemas it refers to by name.
    pub fn parse(text: &str, references: &[String]) -> Result<Self, String> {
        let (schema, references) = if references.is_empty() {
            (
                Schema::parse_str(text).map_err(|e| e.to_string())?,
                Vec::new(),
            )
        } else {
            Schema::parse_str_with_list(text, references).map_err(|e| e.to_string())?
        };
        let mut names = HashMap::new();
        for s in references.iter().chain(std::iter::once(&schema)) {
            collect_names(s, &mut names);
        }
        Ok(AvroSchema {
            schema,
            references,
            names,
        })
    }

    /// Decodes one Avro datum into JSON; bytes left over mean the schema does not fit.
    pub fn decode(&self, payload: &[u8]) -> Result<Json, String> {
        let mut reader = payload;
        let value = apache_avro::from_avro_datum_schemata(
            &self.schema,
            self.all_schemas(),
            &mut reader,
            None,
        )
        .map_err(|e| format!("not an Avro value of this schema ({e})"))?;
        if !reader.is_empty() {
            return Err(format!(
                "{} bytes left after the Avro value: written with another schema",
                reader.len()
            ));
        }
        Ok(self.json_of(&value, &self.schema))
    }

    /// Encodes JSON as an Avro datum of this schema; the error names the field that does not fit.
    pub fn encode(&self, json: &Json) -> Result<Vec<u8>, String> {
        let value = self.value_of(json, &self.schema, &mut Vec::new())?;
        apache_avro::to_avro_datum_schemata(&self.schema, self.all_schemas(), value)
            .map_err(|e| format!("does not fit the schema: {e}"))
    }

    /// The schema and its references: where named types are looked up.
    fn all_schemas(&self) -> Vec<&Schema> {
        self.references
            .iter()
            .chain(std::iter::once(&self.schema))
            .collect()
    }

    fn resolve<'s>(&'s self, schema: &'s Schema) -> &'s Schema {
        match schema {
            Schema::Ref { name } => self.names.get(&name.fullname(None)).unwrap_or(schema),
            other => other,
        }
    }

    fn json_of(&self, value: &Value, schema: &Schema) -> Json {
        let schema = self.resolve(schema);
        match (value, schema) {
            (Value::Null, _) => Json::Null,
            (Value::Boolean(b), _) => Json::Bool(*b),
            (Value::Int(n) | Value::Date(n) | Value::TimeMillis(n), _) => Json::from(*n),
            (
                Value::Long(n)
                | Value::TimeMicros(n)
                | Value::TimestampMillis(n)
                | Value::TimestampMicros(n)
                | Value::TimestampNanos(n)
                | Value::LocalTimestampMillis(n)
                | Value::LocalTimestampMicros(n)
                | Value::LocalTimestampNanos(n),
                _,
            ) => Json::from(*n),
            (Value::Float(f), _) => float(f64::from(*f)),
            (Value::Double(f), _) => float(*f),
            (Value::Bytes(b) | Value::Fixed(_, b), _) => Json::String(bytes_as_text(b)),
            (Value::String(s), _) => Json::String(s.clone()),
            (Value::Enum(_, symbol), _) => Json::String(symbol.clone()),
            (Value::Uuid(u), _) => Json::String(u.to_string()),
            (Value::BigDecimal(d), _) => Json::String(d.to_string()),
            (Value::Decimal(d), Schema::Decimal(DecimalSchema { scale, .. })) => {
                match <Vec<u8>>::try_from(d) {
                    Ok(bytes) => Json::String(decimal_text(&bytes, *scale)),
                    Err(_) => Json::Null,
                }
            }
            (Value::Decimal(d), _) => {
                Json::String(bytes_as_text(&<Vec<u8>>::try_from(d).unwrap_or_default()))
            }
            (Value::Duration(d), _) => {
                let raw: [u8; 12] = (*d).into();
                let part =
                    |i: usize| u32::from_le_bytes([raw[i], raw[i + 1], raw[i + 2], raw[i + 3]]);
                serde_json::json!({"months": part(0), "days": part(4), "millis": part(8)})
            }
            (Value::Union(index, inner), Schema::Union(union)) => {
                let variant = union.variants().get(*index as usize).unwrap_or(schema);
                self.json_of(inner, variant)
            }
            (Value::Union(_, inner), _) => self.json_of(inner, schema),
            (Value::Array(items), Schema::Array(array)) => Json::Array(
                items
                    .iter()
                    .map(|v| self.json_of(v, &array.items))
                    .collect(),
            ),
            (Value::Map(entries), Schema::Map(map)) => {
                let mut keys: Vec<&String> = entries.keys().collect();
                keys.sort();
                Json::Object(
                    keys.into_iter()
                        .map(|k| (k.clone(), self.json_of(&entries[k], &map.types)))
                        .collect(),
                )
            }
            (Value::Record(fields), Schema::Record(RecordSchema { fields: shape, .. })) => {
                Json::Object(
                    fields
                        .iter()
                        .zip(shape)
                        .map(|((name, v), field)| (name.clone(), self.json_of(v, &field.schema)))
                        .collect(),
                )
            }
            // Shapes the decoder does not produce with this schema; shown without it.
            (Value::Array(items), _) => Json::Array(
                items
                    .iter()
                    .map(|v| self.json_of(v, &Schema::Null))
                    .collect(),
            ),
            (Value::Map(entries), _) => Json::Object(
                entries
                    .iter()
                    .map(|(k, v)| (k.clone(), self.json_of(v, &Schema::Null)))
                    .collect(),
            ),
            (Value::Record(fields), _) => Json::Object(
                fields
                    .iter()
                    .map(|(k, v)| (k.clone(), self.json_of(v, &Schema::Null)))
                    .collect(),
            ),
        }
    }

    /// JSON to an Avro value of `schema`; `path` names where in the input we are, for errors.
    fn value_of(
        &self,
        json: &Json,
        schema: &Schema,
        path: &mut Vec<String>,
    ) -> Result<Value, String> {
        let schema = self.resolve(schema);
        let wrong = |expected: &str, path: &Vec<String>| {
            format!(
                "{}: expected {expected}, got {}",
                where_(path),
                json_kind(json)
            )
        };
        let int = |path: &Vec<String>| -> Result<i32, String> {
            match json.as_i64().map(i32::try_from) {
                Some(Ok(n)) => Ok(n),
                Some(Err(_)) => Err(format!("{}: {json} does not fit an int", where_(path))),
                None => Err(wrong("an int", path)),
            }
        };
        let long = |path: &Vec<String>| json.as_i64().ok_or_else(|| wrong("a long", path));
        Ok(match schema {
            Schema::Null => match json {
                Json::Null => Value::Null,
                _ => return Err(wrong("null", path)),
            },
            Schema::Boolean => match json {
                Json::Bool(b) => Value::Boolean(*b),
                _ => return Err(wrong("a boolean", path)),
            },
            Schema::Int => Value::Int(int(path)?),
            Schema::Date => Value::Date(int(path)?),
            Schema::TimeMillis => Value::TimeMillis(int(path)?),
            Schema::Long => Value::Long(long(path)?),
            Schema::TimeMicros => Value::TimeMicros(long(path)?),
            Schema::TimestampMillis => Value::TimestampMillis(long(path)?),
            Schema::TimestampMicros => Value::TimestampMicros(long(path)?),
            Schema::TimestampNanos => Value::TimestampNanos(long(path)?),
            Schema::LocalTimestampMillis => Value::LocalTimestampMillis(long(path)?),
            Schema::LocalTimestampMicros => Value::LocalTimestampMicros(long(path)?),
            Schema::LocalTimestampNanos => Value::LocalTimestampNanos(long(path)?),
            Schema::Float => match json.as_f64() {
                Some(f) => Value::Float(f as f32),
                None => return Err(wrong("a float", path)),
            },
            Schema::Double => match json.as_f64() {
                Some(f) => Value::Double(f),
                None => return Err(wrong("a double", path)),
            },
            Schema::String => match json {
                Json::String(s) => Value::String(s.clone()),
                _ => return Err(wrong("a string", path)),
            },
            Schema::Uuid => match json.as_str().map(apache_avro::Uuid::parse_str) {
                Some(Ok(u)) => Value::Uuid(u),
                _ => return Err(wrong("a UUID string", path)),
            },
            Schema::Bytes => Value::Bytes(text_as_bytes(json, path)?),
            Schema::Fixed(fixed) => {
                let bytes = text_as_bytes(json, path)?;
                if bytes.len() != fixed.size {
                    return Err(format!(
                        "{}: expected {} bytes, got {}",
                        where_(path),
                        fixed.size,
                        bytes.len()
                    ));
                }
                Value::Fixed(fixed.size, bytes)
            }
            Schema::Decimal(decimal) => {
                let digits = match json {
                    Json::String(s) => s.clone(),
                    Json::Number(n) => n.to_string(),
                    _ => return Err(wrong("a decimal number", path)),
                };
                let unscaled = unscaled(&digits, decimal.scale)
                    .map_err(|e| format!("{}: {e}", where_(path)))?;
                let size = match self.resolve(&decimal.inner) {
                    Schema::Fixed(f) => Some(f.size),
                    _ => None,
                };
                Value::Decimal(apache_avro::Decimal::from(twos_complement(unscaled, size)))
            }
            Schema::Enum(e) => match json.as_str() {
                Some(s) => match e.symbols.iter().position(|x| x == s) {
                    Some(i) => Value::Enum(i as u32, s.to_owned()),
                    None => {
                        return Err(format!(
                            "{}: \"{s}\" is not one of {}",
                            where_(path),
                            e.symbols.join(", ")
                        ));
                    }
                },
                None => return Err(wrong("an enum symbol", path)),
            },
            Schema::Array(array) => match json {
                Json::Array(items) => {
                    let mut values = Vec::with_capacity(items.len());
                    for (i, item) in items.iter().enumerate() {
                        path.push(format!("[{i}]"));
                        values.push(self.value_of(item, &array.items, path)?);
                        path.pop();
                    }
                    Value::Array(values)
                }
                _ => return Err(wrong("an array", path)),
            },
            Schema::Map(map) => match json {
                Json::Object(entries) => {
                    let mut values = HashMap::with_capacity(entries.len());
                    for (k, v) in entries {
                        path.push(k.clone());
                        values.insert(k.clone(), self.value_of(v, &map.types, path)?);
                        path.pop();
                    }
                    Value::Map(values)
                }
                _ => return Err(wrong("an object (a map)", path)),
            },
            Schema::Record(record) => match json {
                Json::Object(given) => self.record_from_json(record, given, path)?,
                _ => {
                    return Err(wrong(
                        &format!("an object ({})", record.name.fullname(None)),
                        path,
                    ));
                }
            },
            Schema::Union(union) => self.union_from_json(json, union.variants(), path)?,
            Schema::BigDecimal | Schema::Duration => {
                return Err(format!(
                    "{}: writing {schema:?} values is not supported",
                    where_(path)
                ));
            }
            Schema::Ref { name } => {
                return Err(format!(
                    "{}: the schema names an unknown type {}",
                    where_(path),
                    name.fullname(None)
                ));
            }
        })
    }

    fn record_from_json(
        &self,
        record: &RecordSchema,
        given: &Map<String, Json>,
        path: &mut Vec<String>,
    ) -> Result<Value, String> {
        if let Some(unknown) = given.keys().find(|k| !record.lookup.contains_key(*k)) {
            path.push(unknown.clone());
            let names: Vec<&str> = record.fields.iter().map(|f| f.name.as_str()).collect();
            return Err(format!(
                "{}: no such field in {} (fields: {})",
                where_(path),
                record.name.fullname(None),
                names.join(", ")
            ));
        }
        let mut fields = Vec::with_capacity(record.fields.len());
        for field in &record.fields {
            path.push(field.name.clone());
            let value = match (given.get(&field.name), &field.default) {
                (Some(v), _) => self.value_of(v, &field.schema, path)?,
                (None, Some(default)) => self.default_value(default, &field.schema, path)?,
                (None, None) => {
                    return Err(format!(
                        "{}: missing (the field has no default)",
                        where_(path)
                    ));
                }
            };
            path.pop();
            fields.push((field.name.clone(), value));
        }
        Ok(Value::Record(fields))
    }

    /// A field's default: for a union, it is a value of the first branch.
    fn default_value(
        &self,
        default: &Json,
        schema: &Schema,
        path: &mut Vec<String>,
    ) -> Result<Value, String> {
        match self.resolve(schema) {
            Schema::Union(union) => {
                let first = union
                    .variants()
                    .first()
                    .ok_or_else(|| format!("{}: empty union", where_(path)))?;
                Ok(Value::Union(
                    0,
                    Box::new(self.value_of(default, first, path)?),
                ))
            }
            other => self.value_of(default, other, path),
        }
    }

    fn union_from_json(
        &self,
        json: &Json,
        variants: &[Schema],
        path: &mut Vec<String>,
    ) -> Result<Value, String> {
        // Avro's own JSON encoding wraps a branch as {"type name": value}; accept it too.
        if let Json::Object(o) = json
            && o.len() == 1
        {
            let (key, inner) = o.iter().next().expect("one entry");
            if let Some(i) = variants
                .iter()
                .position(|v| branch_name(self.resolve(v)).as_deref() == Some(key.as_str()))
            {
                let value = self.value_of(inner, &variants[i], path)?;
                return Ok(Value::Union(i as u32, Box::new(value)));
            }
        }
        let mut first_error = None;
        for (i, variant) in variants.iter().enumerate() {
            match self.value_of(json, variant, path) {
                Ok(value) => return Ok(Value::Union(i as u32, Box::new(value))),
                Err(e) => {
                    first_error.get_or_insert(e);
                }
            }
        }
        let names: Vec<String> = variants
            .iter()
            .map(|v| branch_name(self.resolve(v)).unwrap_or_else(|| "?".into()))
            .collect();
        Err(match (variants.len(), first_error) {
            (1, Some(e)) => e,
            _ => format!(
                "{}: expected one of {}, got {}",
                where_(path),
                names.join(", "),
                json_kind(json)
            ),
        })
    }
}

fn collect_names(schema: &Schema, names: &mut HashMap<String, Schema>) {
    match schema {
        Schema::Record(r) => {
            names.insert(r.name.fullname(None), schema.clone());
            for f in &r.fields {
                collect_names(&f.schema, names);
            }
        }
        Schema::Enum(e) => {
            names.insert(e.name.fullname(None), schema.clone());
        }
        Schema::Fixed(f) => {
            names.insert(f.name.fullname(None), schema.clone());
        }
        Schema::Decimal(d) => collect_names(&d.inner, names),
        Schema::Array(a) => collect_names(&a.items, names),
        Schema::Map(m) => collect_names(&m.types, names),
        Schema::Union(u) => u.variants().iter().for_each(|v| collect_names(v, names)),
        _ => {}
    }
}

/// The name a union branch goes by in Avro's JSON encoding.
fn branch_name(schema: &Schema) -> Option<String> {
    Some(match schema {
        Schema::Null => "null".into(),
        Schema::Boolean => "boolean".into(),
        Schema::Int => "int".into(),
        Schema::Long => "long".into(),
        Schema::Float => "float".into(),
        Schema::Double => "double".into(),
        Schema::Bytes => "bytes".into(),
        Schema::String => "string".into(),
        Schema::Array(_) => "array".into(),
        Schema::Map(_) => "map".into(),
        Schema::Record(r) => r.name.fullname(None),
        Schema::Enum(e) => e.name.fullname(None),
        Schema::Fixed(f) => f.name.fullname(None),
        _ => return None,
    })
}

fn where_(path: &[String]) -> String {
    if path.is_empty() {
        return "the value".to_owned();
    }
    let mut out = String::from("field ");
    for (i, part) in path.iter().enumerate() {
        if i > 0 && !part.starts_with('[') {
            out.push('.');
        }
        out.push_str(part);
    }
    out
}

fn json_kind(json: &Json) -> String {
    match json {
        Json::Null => "null".into(),
        Json::Bool(b) => b.to_string(),
        Json::Number(n) => n.to_string(),
        Json::String(s) if s.chars().count() <= 40 => format!("\"{s}\""),
        Json::String(_) => "a string".into(),
        Json::Array(_) => "an array".into(),
        Json::Object(_) => "an object".into(),
    }
}

fn float(f: f64) -> Json {
    serde_json::Number::from_f64(f).map_or_else(|| Json::String(f.to_string()), Json::Number)
}

/// Avro's JSON encoding of bytes: each byte as the character of that code point.
fn bytes_as_text(bytes: &[u8]) -> String {
    bytes.iter().map(|b| char::from(*b)).collect()
}

fn text_as_bytes(json: &Json, path: &[String]) -> Result<Vec<u8>, String> {
    let Some(text) = json.as_str() else {
        return Err(format!(
            "{}: expected bytes as a string (one character per byte), got {}",
            where_(path),
            json_kind(json)
        ));
    };
    text.chars()
        .map(|c| {
            u8::try_from(u32::from(c))
                .map_err(|_| format!("{}: {c:?} is not a byte (U+0000–U+00FF)", where_(path)))
        })
        .collect()
}

/// A decimal's unscaled two's-complement bytes as digits with `scale` places.
fn decimal_text(bytes: &[u8], scale: usize) -> String {
    if bytes.is_empty() || bytes.len() > 16 {
        return format!(
            "0x{}",
            bytes.iter().map(|b| format!("{b:02x}")).collect::<String>()
        );
    }
    let fill = if bytes[0] & 0x80 != 0 { 0xff } else { 0 };
    let mut wide = [fill; 16];
    wide[16 - bytes.len()..].copy_from_slice(bytes);
    let n = i128::from_be_bytes(wide);
    let digits = n.unsigned_abs().to_string();
    let sign = if n < 0 { "-" } else { "" };
    if scale == 0 {
        return format!("{sign}{digits}");
    }
    let padded = format!("{digits:0>width$}", width = scale + 1);
    let (whole, fraction) = padded.split_at(padded.len() - scale);
    format!("{sign}{whole}.{fraction}")
}

/// "12.5" with scale 2 → 1250; more places than the scale are refused rather than rounded.
fn unscaled(text: &str, scale: usize) -> Result<i128, String> {
    let (negative, text) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    if whole.is_empty() && fraction.is_empty()
        || !whole
            .chars()
            .chain(fraction.chars())
            .all(|c| c.is_ascii_digit())
    {
        return Err(format!("\"{text}\" is not a decimal number"));
    }
    if fraction.len() > scale {
        return Err(format!("{text} has more than {scale} decimal places"));
    }
    let digits = format!("{whole}{fraction:0<scale$}");
    let n: i128 = digits
        .trim_start_matches('0')
        .parse()
        .or_else(|e| {
            if digits.chars().all(|c| c == '0') {
                Ok(0)
            } else {
                Err(e)
            }
        })
        .map_err(|_| format!("{text} is too large"))?;
    Ok(if negative { -n } else { n })
}

/// Big-endian two's complement, minimal or padded to `size` bytes.
fn twos_complement(n: i128, size: Option<usize>) -> Vec<u8> {
    let bytes = n.to_be_bytes();
    let fill = if n < 0 { 0xff } else { 0 };
    let mut start = 0;
    while start < 15 && bytes[start] == fill && (bytes[start + 1] & 0x80 == fill & 0x80) {
        start += 1;
    }
    let minimal = &bytes[start..];
    match size {
        Some(size) if size > minimal.len() => {
            let mut out = vec![fill; size - minimal.len()];
            out.extend_from_slice(minimal);
            out
        }
        _ => minimal.to_vec(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const READING: &str = r#"{
      "type": "record", "name": "Reading", "namespace": "kview.test",
      "fields": [
        {"name": "sensor", "type": "string"},
        {"name": "value", "type": "double"},
        {"name": "count", "type": "long"},
        {"name": "unit", "type": ["null", "string"], "default": null},
        {"name": "kind", "type": {"type": "enum", "name": "Kind", "symbols": ["TEMP", "HUMIDITY"]}},
        {"name": "tags", "type": {"type": "array", "items": "string"}},
        {"name": "extra", "type": {"type": "map", "values": "int"}},
        {"name": "price", "type": {"type": "bytes", "logicalType": "decimal", "precision": 9, "scale": 2}},
        {"name": "raw", "type": "bytes"},
        {"name": "next", "type": ["null", "Reading"], "default": null}
      ]
    }"#;

    fn sample() -> Json {
        json!({
            "sensor": "s-1", "value": 21.5, "count": 7, "unit": "C", "kind": "TEMP",
            "tags": ["a", "b"], "extra": {"x": 1}, "price": "-12.05", "raw": "\u{0}\u{ff}A",
            "next": {"sensor": "s-2", "value": 1.0, "count": 1, "unit": null, "kind": "HUMIDITY",
                      "tags": [], "extra": {}, "price": "0.00", "raw": "", "next": null}
        })
    }

    #[test]
    fn round_trips_records_unions_enums_decimals_and_recursion() {
        let schema = AvroSchema::parse(READING, &[]).unwrap();
        let bytes = schema.encode(&sample()).unwrap();
        assert_eq!(schema.decode(&bytes).unwrap(), sample());
    }

    #[test]
    fn defaults_fill_missing_fields_and_wrapped_unions_are_accepted() {
        let schema = AvroSchema::parse(READING, &[]).unwrap();
        let mut input = sample();
        let o = input.as_object_mut().unwrap();
        o.remove("unit");
        o.insert("next".into(), Json::Null);
        let decoded = schema.decode(&schema.encode(&input).unwrap()).unwrap();
        assert_eq!(decoded["unit"], Json::Null);
        input["unit"] = json!({"string": "K"});
        let decoded = schema.decode(&schema.encode(&input).unwrap()).unwrap();
        assert_eq!(decoded["unit"], "K");
    }

    #[test]
    fn errors_name_the_field() {
        let schema = AvroSchema::parse(READING, &[]).unwrap();
        let mut input = sample();
        input["value"] = json!("hot");
        assert_eq!(
            schema.encode(&input).unwrap_err(),
            "field value: expected a double, got \"hot\""
        );
        let mut input = sample();
        input["next"]["kind"] = json!("PRESSURE");
        let e = schema.encode(&input).unwrap_err();
        assert!(
            e.contains("expected one of null, kview.test.Reading"),
            "{e}"
        );
        let mut input = sample();
        input.as_object_mut().unwrap().remove("sensor");
        assert_eq!(
            schema.encode(&input).unwrap_err(),
            "field sensor: missing (the field has no default)"
        );
        let mut input = sample();
        input["senser"] = json!("x");
        assert!(
            schema
                .encode(&input)
                .unwrap_err()
                .starts_with("field senser: no such field")
        );
        let mut input = sample();
        input["tags"] = json!(["a", 3]);
        assert_eq!(
            schema.encode(&input).unwrap_err(),
            "field tags[1]: expected a string, got 3"
        );
    }

    #[test]
    fn truncated_and_foreign_payloads_are_errors() {
        let schema = AvroSchema::parse(READING, &[]).unwrap();
        let bytes = schema.encode(&sample()).unwrap();
        assert!(schema.decode(&bytes[..bytes.len() - 3]).is_err());
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(schema.decode(&longer).unwrap_err().contains("1 bytes left"));
    }

    #[test]
    fn references_resolve_named_types() {
        let kind =
            r#"{"type": "enum", "name": "Kind", "namespace": "shared", "symbols": ["A", "B"]}"#;
        let main =
            r#"{"type": "record", "name": "R", "fields": [{"name": "k", "type": "shared.Kind"}]}"#;
        let schema = AvroSchema::parse(main, &[kind.to_owned()]).unwrap();
        let bytes = schema.encode(&json!({"k": "B"})).unwrap();
        assert_eq!(bytes, [2]);
        assert_eq!(schema.decode(&bytes).unwrap(), json!({"k": "B"}));
    }

    #[test]
    fn decimals_read_as_digits() {
        assert_eq!(decimal_text(&[0x04, 0xd2], 2), "12.34");
        assert_eq!(decimal_text(&[0xff], 0), "-1");
        assert_eq!(decimal_text(&[0x05], 3), "0.005");
        assert_eq!(unscaled("-0.5", 2).unwrap(), -50);
        assert!(unscaled("1.234", 2).is_err());
        assert!(unscaled("abc", 2).is_err());
        for n in [-129i128, -128, -1, 0, 1, 127, 128, 1 << 70] {
            let bytes = twos_complement(n, None);
            assert_eq!(decimal_text(&bytes, 0), n.to_string());
        }
        assert_eq!(twos_complement(1, Some(4)), [0, 0, 0, 1]);
    }
}
