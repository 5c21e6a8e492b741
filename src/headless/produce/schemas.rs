//! The schemas the producer encodes with: a key's and a value's (`--key-subject`,
//! `--value-subject`, or by id), and the ones JSON input names by id, fetched once each.

use std::collections::HashMap;
use std::sync::Arc;

use anyhow::{Result, bail};

use crate::cli::ProduceArgs;
use crate::schema::{LoadedSchema, Registry, SchemaChoice};

pub struct Encoders {
    registry: Option<Registry>,
    pub key: Option<Arc<LoadedSchema>>,
    pub value: Option<Arc<LoadedSchema>>,
    by_id: HashMap<u32, Arc<LoadedSchema>>,
}

async fn load(registry: &Registry, choice: SchemaChoice) -> Result<Arc<LoadedSchema>> {
    let registry = registry.clone();
    let loaded =
        tokio::task::spawn_blocking(move || crate::schema::load_choice(&registry, &choice))
            .await?
            .map_err(anyhow::Error::msg)?;
    Ok(Arc::new(loaded))
}

fn needs_registry() -> anyhow::Error {
    anyhow::anyhow!(
        "encoding with a schema needs a schema registry (--schema-registry URL, or schema_registry in the profile)"
    )
}

impl Encoders {
    pub async fn load(registry: Option<Registry>, args: &ProduceArgs) -> Result<Self> {
        let choice =
            |subject: &Option<String>, version: Option<i32>, id: Option<u32>| match (subject, id) {
                (Some(name), _) => Some(SchemaChoice::Subject {
                    name: name.clone(),
                    version,
                }),
                (None, Some(id)) => Some(SchemaChoice::Id(id)),
                (None, None) => None,
            };
        let value_choice = choice(
            &args.value_subject,
            args.value_schema_version,
            args.value_schema_id,
        );
        let key_choice = choice(
            &args.key_subject,
            args.key_schema_version,
            args.key_schema_id,
        );
        if value_choice.is_none() && args.value_message.is_some() {
            bail!("--value-message needs --value-subject or --value-schema-id");
        }
        let mut encoders = Encoders {
            registry,
            key: None,
            value: None,
            by_id: HashMap::new(),
        };
        if value_choice.is_some() || key_choice.is_some() {
            let registry = encoders.registry.as_ref().ok_or_else(needs_registry)?;
            if let Some(c) = value_choice {
                encoders.value = Some(load(registry, c).await?);
            }
            if let Some(c) = key_choice {
                encoders.key = Some(load(registry, c).await?);
            }
        }
        Ok(encoders)
    }

    /// The schema of an id JSON input names (data a schema decoded, to encode again).
    pub async fn by_id(&mut self, id: u32) -> Result<Arc<LoadedSchema>> {
        if let Some(known) = self.by_id.get(&id) {
            return Ok(known.clone());
        }
        let registry = self.registry.as_ref().ok_or_else(needs_registry)?;
        let loaded = load(registry, SchemaChoice::Id(id)).await?;
        self.by_id.insert(id, loaded.clone());
        Ok(loaded)
    }
}

/// JSON text encoded in the wire format of `schema`.
pub fn encode_json(
    schema: &LoadedSchema,
    text: &[u8],
    message: Option<&str>,
) -> Result<Vec<u8>, String> {
    let json: serde_json::Value =
        serde_json::from_slice(text).map_err(|e| format!("not JSON ({e})"))?;
    encode_value(schema, &json, message)
}

pub fn encode_value(
    schema: &LoadedSchema,
    json: &serde_json::Value,
    message: Option<&str>,
) -> Result<Vec<u8>, String> {
    schema
        .encode(json, message)
        .map_err(|e| format!("{e} (schema {})", schema.describe("")))
}
