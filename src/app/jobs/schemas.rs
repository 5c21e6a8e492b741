//! The schema registry's side of the dashboard: one client per cluster, made on first use (it
//! may run a password command), and the look-ups that answer with events.

use std::sync::Arc;

use tokio::sync::OnceCell;

use crate::app::event::Event;
use crate::config::cluster::SchemaRegistryConfig;
use crate::schema::Registry;

/// The cluster's registry client, shared by the requests that need it.
#[derive(Clone, Default)]
pub struct RegistryCell {
    config: Option<Arc<SchemaRegistryConfig>>,
    client: Arc<OnceCell<Result<Registry, String>>>,
}

impl RegistryCell {
    pub fn new(config: Option<SchemaRegistryConfig>) -> Self {
        RegistryCell {
            config: config.map(Arc::new),
            client: Arc::default(),
        }
    }

    pub async fn get(&self) -> Result<Registry, String> {
        let Some(config) = &self.config else {
            return Err(
                "no schema registry configured (--schema-registry URL, or schema_registry in the profile)"
                    .into(),
            );
        };
        self.client
            .get_or_init(|| async { config.connect().await })
            .await
            .clone()
    }
}

/// Fetches and compiles the schema with this id.
pub async fn load_schema(registry: RegistryCell, id: u32) -> Event {
    let result = match registry.get().await {
        Ok(registry) => {
            tokio::task::spawn_blocking(move || crate::schema::load(&registry, id).map(Arc::new))
                .await
                .unwrap_or_else(|e| Err(format!("schema look-up failed: {e}")))
        }
        Err(e) => Err(e),
    };
    Event::Schema { id, result }
}

/// The subjects with their latest versions, for `:schemas`.
pub async fn load_subjects(registry: RegistryCell) -> Event {
    let result = match registry.get().await {
        Ok(registry) => tokio::task::spawn_blocking(move || crate::schema::subjects(&registry))
            .await
            .unwrap_or_else(|e| Err(format!("subjects look-up failed: {e}"))),
        Err(e) => Err(e),
    };
    Event::Subjects(result)
}

/// A subject's versions with their texts.
pub async fn load_subject(registry: RegistryCell, name: String) -> Event {
    let subject = name.clone();
    let result = match registry.get().await {
        Ok(registry) => {
            tokio::task::spawn_blocking(move || crate::schema::subject_detail(&registry, &subject))
                .await
                .unwrap_or_else(|e| Err(format!("subject look-up failed: {e}")))
        }
        Err(e) => Err(e),
    };
    Event::Subject { name, result }
}
