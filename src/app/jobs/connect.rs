//! Kafka Connect's side of the dashboard: the cluster's Connect clusters, their clients made
//! on first use (one may run a password command), and the reads and actions that answer with
//! events. The REST client blocks, so every call runs off the async threads.

use std::sync::Arc;

use tokio::sync::OnceCell;

use crate::app::event::Event;
use crate::app::views::connect::{ConnectClusterRead, ConnectorRef};
use crate::config::connect::ConnectConfig;
use crate::connect::{ConnectAction, ConnectClient};

type Clients = Vec<(String, Result<ConnectClient, String>)>;

/// The session's Connect clusters, shared by the requests that need them.
#[derive(Clone, Default)]
pub struct ConnectCell {
    configs: Arc<Vec<ConnectConfig>>,
    clients: Arc<OnceCell<Clients>>,
}

impl ConnectCell {
    pub fn new(configs: Vec<ConnectConfig>) -> Self {
        ConnectCell {
            configs: Arc::new(configs),
            clients: Arc::default(),
        }
    }

    async fn clients(&self) -> &Clients {
        self.clients
            .get_or_init(|| async {
                let mut clients = Vec::new();
                for config in self.configs.iter() {
                    clients.push((config.name.clone(), config.client().await));
                }
                clients
            })
            .await
    }
}

/// Every connector of every Connect cluster, with its topics.
pub async fn load_connectors(cell: ConnectCell) -> Event {
    let mut reads = Vec::new();
    for (cluster, client) in cell.clients().await {
        let connectors = match client.clone() {
            Ok(c) => tokio::task::spawn_blocking(move || c.connectors_with_topics())
                .await
                .unwrap_or_else(|e| Err(format!("the connectors look-up failed: {e}"))),
            Err(e) => Err(e),
        };
        reads.push(ConnectClusterRead {
            cluster: cluster.clone(),
            connectors,
        });
    }
    Event::Connectors(reads)
}

/// Pauses, resumes, stops, restarts or deletes one connector.
pub async fn act(cell: ConnectCell, connector: ConnectorRef, action: ConnectAction) -> Event {
    let client = cell
        .clients()
        .await
        .iter()
        .find(|(name, _)| *name == connector.cluster)
        .map(|(_, c)| c.clone())
        .unwrap_or_else(|| Err(format!("no Connect cluster named {}", connector.cluster)));
    let name = connector.name.clone();
    let result = match client {
        Ok(c) => tokio::task::spawn_blocking(move || action.run(&c, &name))
            .await
            .unwrap_or_else(|e| Err(format!("the request failed: {e}"))),
        Err(e) => Err(e),
    };
    Event::ConnectActed {
        connector,
        action,
        result,
    }
}
