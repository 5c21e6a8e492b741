//! JSON Schema values: the payload is the JSON itself. Writing validates it against the schema
//! first, so nothing that does not fit is sent.

use serde_json::Value as Json;

/// A compiled JSON Schema.
pub struct JsonSchema {
    validator: jsonschema::Validator,
}

impl std::fmt::Debug for JsonSchema {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("JsonSchema")
    }
}

impl JsonSchema {
    pub fn compile(text: &str) -> Result<Self, String> {
        let schema: Json =
            serde_json::from_str(text).map_err(|e| format!("the JSON Schema is not JSON: {e}"))?;
        let validator = jsonschema::validator_for(&schema)
            .map_err(|e| format!("not a usable JSON Schema: {e}"))?;
        Ok(JsonSchema { validator })
    }

    /// The payload as JSON (not validated: a reader shows what was written).
    pub fn decode(payload: &[u8]) -> Result<Json, String> {
        serde_json::from_slice(payload).map_err(|e| format!("not JSON ({e})"))
    }

    /// Validates, then writes the JSON compactly; the error names the field.
    pub fn encode(&self, json: &Json) -> Result<Vec<u8>, String> {
        if let Some(error) = self.validator.iter_errors(json).next() {
            let path = error.instance_path().to_string();
            let field = path.trim_start_matches('/').replace('/', ".");
            return Err(if field.is_empty() {
                format!("the value: {error}")
            } else {
                format!("field {field}: {error}")
            });
        }
        serde_json::to_vec(json).map_err(|e| e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn validates_before_writing_and_names_the_field() {
        let schema = JsonSchema::compile(
            r#"{"type": "object", "properties": {"temp": {"type": "number"},
                "place": {"type": "object", "properties": {"floor": {"type": "integer"}}}},
                "required": ["temp"]}"#,
        )
        .unwrap();
        let bytes = schema.encode(&json!({"temp": 21.5})).unwrap();
        assert_eq!(JsonSchema::decode(&bytes).unwrap(), json!({"temp": 21.5}));
        let e = schema.encode(&json!({"temp": "hot"})).unwrap_err();
        assert!(e.starts_with("field temp: "), "{e}");
        let e = schema
            .encode(&json!({"temp": 1, "place": {"floor": 1.5}}))
            .unwrap_err();
        assert!(e.starts_with("field place.floor: "), "{e}");
        assert!(
            schema
                .encode(&json!({}))
                .unwrap_err()
                .starts_with("the value: ")
        );
        assert!(JsonSchema::compile("{").is_err());
        assert!(JsonSchema::decode(b"{nope").is_err());
    }
}
