//! `KafkaClient`: the one handle on a cluster that the headless commands and the dashboard share.
//!
//! Split by plane, each an `impl KafkaClient` block of its own:
//! - [`data`]: produce through rskafka;
//! - [`offsets`]: watermarks and offsets for times, one ListOffsets per leader;
//! - [`fetch`]: reading records through kafka-protocol and kview's own decoder (see
//!   `records.rs` for why);
//! - [`groups`]: group listing, descriptions, committed offsets and commits;
//! - [`admin`]: topics, partitions, configs, log dirs.
//!
//! This file holds what they share: the pool, the broker and leader maps, and metadata.

mod acls;
mod admin;
mod data;
mod describe;
mod disks;
mod fetch;
mod groups;
pub mod membership;
mod offsets;
mod produce;
mod replicas;
mod transactions;
mod users;

pub use admin::{ConfigTarget, ReplicaSize};
pub use disks::LogDir;
pub use fetch::{FetchPosition, PartitionFetch};
pub use produce::PartitionWritten;
pub use replicas::{Elected, Quorum, QuorumMember, Reassignment, replication_plan};
pub use transactions::{ProducerState, TransactionDescription, TransactionListing};
pub use users::{QuotaEntity, Quotas, ScramMechanism, ScramUser};

use std::collections::{BTreeMap, HashMap};
use std::sync::RwLock;

use kafka_protocol::messages::{
    MetadataRequest, TopicName, metadata_request::MetadataRequestTopic,
};
use kafka_protocol::protocol::{Request, StrBytes};
use tokio::sync::{Mutex, OnceCell};

use super::conn::ConnSettings;
use super::error::{KafkaError, Result};
use super::pool::{Lane, Pool};
use super::types::*;

impl KafkaError {
    /// Errors after which the connection is in an unknown state and another broker may answer.
    pub fn is_transport(&self) -> bool {
        matches!(
            self,
            KafkaError::Unreachable { .. }
                | KafkaError::ConnectionLost { .. }
                | KafkaError::Timeout { .. }
                | KafkaError::NoKafkaAnswer { .. }
                | KafkaError::Protocol { .. }
        )
    }

    /// The same error again, for each of the partitions one failed request served.
    pub fn duplicate(&self) -> KafkaError {
        match self {
            KafkaError::Unreachable { addr, reason } => KafkaError::Unreachable {
                addr: addr.clone(),
                reason: reason.clone(),
            },
            KafkaError::ConnectionLost { addr, reason } => KafkaError::ConnectionLost {
                addr: addr.clone(),
                reason: reason.clone(),
            },
            KafkaError::Timeout { what, after } => KafkaError::Timeout {
                what: what.clone(),
                after: *after,
            },
            KafkaError::NoKafkaAnswer { addr, after } => KafkaError::NoKafkaAnswer {
                addr: addr.clone(),
                after: *after,
            },
            KafkaError::Protocol { addr, detail } => KafkaError::Protocol {
                addr: addr.clone(),
                detail: detail.clone(),
            },
            KafkaError::Broker { context, error } => KafkaError::Broker {
                context: context.clone(),
                error: error.clone(),
            },
            KafkaError::ReadOnly(what) => KafkaError::ReadOnly(what.clone()),
            other => KafkaError::Client(other.to_string()),
        }
    }

    /// Errors that trying again will not fix: the settings must change (credentials, CA, the
    /// port). Reconnect loops stop on these instead of knocking on the broker.
    pub fn needs_new_settings(&self) -> bool {
        matches!(
            self,
            KafkaError::AuthFailed { .. } | KafkaError::Tls { .. } | KafkaError::NotKafka { .. }
        )
    }
}

/// Looked up for every partition of the cluster each watermark sample: a fast hash.
type Leaders = foldhash::HashMap<String, foldhash::HashMap<i32, i32>>;

pub struct KafkaClient {
    bootstrap: Vec<String>,
    pool: Pool,
    brokers: RwLock<BTreeMap<i32, String>>,
    /// Leader broker by topic, then partition: looked up by `&str` for every partition of
    /// every watermark sample, so no key is allocated.
    leaders: RwLock<Leaders>,
    /// Timestamps of records at offsets, once read (see `timestamps_at`).
    timestamps: std::sync::Mutex<HashMap<(String, i32, i64), i64>>,
    /// Group coordinators found so far, by group: forgotten when one says it no longer is.
    coordinators: std::sync::Mutex<HashMap<String, (i32, String)>>,
    /// Leaders forgotten after a failure, to say "leader moved" when metadata names another.
    forgotten_leaders: std::sync::Mutex<Leaders>,
    data_plane: OnceCell<rskafka::client::Client>,
    partition_clients: Mutex<HashMap<(String, i32), std::sync::Arc<data::PartitionClient>>>,
    /// The idempotent producer: one call at a time, so sequences follow the order of calls.
    producer: Mutex<produce::ProducerState>,
}

impl std::fmt::Debug for KafkaClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KafkaClient")
            .field("bootstrap", &self.bootstrap)
            .finish()
    }
}

impl KafkaClient {
    /// Connects to the first bootstrap broker that answers.
    pub async fn connect(bootstrap: Vec<String>, settings: ConnSettings) -> Result<Self> {
        if bootstrap.is_empty() {
            return Err(KafkaError::Client("no bootstrap brokers given".into()));
        }
        let client = KafkaClient {
            bootstrap,
            pool: Pool::new(settings),
            brokers: Default::default(),
            leaders: Default::default(),
            forgotten_leaders: Default::default(),
            coordinators: Default::default(),
            timestamps: Default::default(),
            data_plane: OnceCell::new(),
            partition_clients: Default::default(),
            producer: Default::default(),
        };
        client.metadata(Some(&[])).await?;
        Ok(client)
    }

    fn settings(&self) -> &ConnSettings {
        self.pool.settings()
    }

    /// Who the brokers take this client for, as an ACL refusal names it: the SASL user, the
    /// client certificate's subject, or ANONYMOUS.
    pub fn principal(&self) -> String {
        let security = &self.settings().security;
        match (&security.sasl, &security.tls) {
            (Some(sasl), _) if !sasl.username.is_empty() => sasl.username.clone(),
            (Some(_), _) => "this client's OAUTHBEARER principal".into(),
            (None, Some(tls)) if tls.client_cert() => "this client's certificate principal".into(),
            _ => "ANONYMOUS".into(),
        }
    }

    /// The one gate every write request passes (produce, topics, partitions, offset commits,
    /// configs): refused with one line in read-only mode. Commands call it early too, to fail
    /// before doing any work.
    pub fn check_writable(&self, what: &str) -> Result<()> {
        if self.settings().read_only {
            return Err(KafkaError::ReadOnly(what.to_owned()));
        }
        Ok(())
    }

    pub fn read_only(&self) -> bool {
        self.settings().read_only
    }

    /// How the connection is protected and as whom ("TLS · SCRAM-SHA-512 as alice").
    pub fn security(&self) -> String {
        self.settings().security.describe()
    }

    /// Known broker addresses first (they answered before), then the bootstrap list.
    fn candidate_addrs(&self) -> Vec<String> {
        let mut addrs: Vec<String> = self
            .brokers
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .values()
            .cloned()
            .collect();
        for b in &self.bootstrap {
            if !addrs.contains(b) {
                addrs.push(b.clone());
            }
        }
        addrs
    }

    /// Sends a request to whichever broker answers; only transport failures move on.
    async fn call_any<R: Request + Clone>(
        &self,
        request: &R,
        cap: Option<i16>,
    ) -> Result<R::Response> {
        self.call_any_built(cap, |_| request.clone()).await
    }

    async fn call_any_built<R: Request>(
        &self,
        cap: Option<i16>,
        build: impl Fn(i16) -> R,
    ) -> Result<R::Response> {
        let mut first_error = None;
        for addr in self.candidate_addrs() {
            match self
                .pool
                .call_built(&addr, Lane::Admin, cap, std::time::Duration::ZERO, &build)
                .await
            {
                Ok((_, response)) => return Ok(response),
                Err(e) if e.is_transport() => {
                    tracing::debug!("{addr}: {e}");
                    first_error.get_or_insert(e);
                }
                Err(e) => return Err(e),
            }
        }
        Err(first_error.unwrap_or_else(|| KafkaError::Client("no broker to ask".into())))
    }

    fn broker_addr(&self, id: i32) -> Result<String> {
        self.brokers
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(&id)
            .cloned()
            .ok_or_else(|| {
                KafkaError::Client(format!("broker {id} is not in the cluster metadata"))
            })
    }

    fn leader_of(&self, topic: &str, partition: i32) -> Option<i32> {
        self.leaders
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(topic)?
            .get(&partition)
            .copied()
            .filter(|l| *l >= 0)
    }

    /// `leader_of` for many partitions under one look at the map; a topic's partitions
    /// usually come one after another.
    fn leaders_of<'a>(&self, partitions: impl Iterator<Item = (&'a str, i32)>) -> Vec<Option<i32>> {
        let leaders = self.leaders.read().unwrap_or_else(|p| p.into_inner());
        let mut last: Option<(&str, Option<&foldhash::HashMap<i32, i32>>)> = None;
        partitions
            .map(|(topic, partition)| {
                let of_topic = match last {
                    Some((name, known)) if crate::maps::same_name(name, topic) => known,
                    _ => {
                        let known = leaders.get(topic);
                        last = Some((topic, known));
                        known
                    }
                };
                of_topic?.get(&partition).copied().filter(|l| *l >= 0)
            })
            .collect()
    }

    /// A fetch lane for one reader: its own connection to each broker it reads from.
    pub(crate) fn fetch_lane(&self) -> crate::kafka::pool::FetchLane {
        self.pool.fetch_lane()
    }

    /// Requests sent on kview's own connections so far (the producer's included, rskafka's
    /// not): what tests count to hold the request budget of a poll or a produce.
    pub fn requests_sent(&self) -> u64 {
        self.pool.requests_sent()
    }

    /// Forgets every leader, so the next request looks them up again.
    fn forget_leaders(&self) {
        let old = std::mem::take(&mut *self.leaders.write().unwrap_or_else(|p| p.into_inner()));
        self.forgotten_leaders
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .extend(old);
    }

    /// Cluster metadata; `topics` None means every topic, Some(&[]) brokers only.
    pub async fn metadata(&self, topics: Option<&[String]>) -> Result<ClusterMetadata> {
        let response = self.call_any(&metadata_request(topics), Some(12)).await?;

        let brokers: Vec<BrokerInfo> = response
            .brokers
            .iter()
            .map(|b| BrokerInfo {
                id: b.node_id.0,
                host: b.host.to_string(),
                port: b.port,
                rack: b.rack.as_ref().map(|r| r.to_string()),
            })
            .collect();
        {
            let mut known = self.brokers.write().unwrap_or_else(|p| p.into_inner());
            known.clear();
            known.extend(brokers.iter().map(|b| (b.id, b.addr())));
        }

        let mut out_topics = Vec::with_capacity(response.topics.len());
        let mut leaders = self.leaders.write().unwrap_or_else(|p| p.into_inner());
        for t in &response.topics {
            let name = t.name.as_ref().map(|n| n.0.to_string()).unwrap_or_default();
            if t.error_code == 3 {
                return Err(KafkaError::UnknownTopic(name));
            }
            if t.error_code != 0 && t.partitions.is_empty() {
                KafkaError::check(t.error_code, None, || format!("metadata of topic {name:?}"))
                    .map_err(|e| {
                        e.denied_to(&self.principal(), "Describe", || format!("topic {name}"))
                    })?;
            }
            let mut partitions: Vec<PartitionInfo> = t
                .partitions
                .iter()
                .map(|p| PartitionInfo {
                    id: p.partition_index,
                    leader: p.leader_id.0,
                    replicas: p.replica_nodes.iter().map(|b| b.0).collect(),
                    isr: p.isr_nodes.iter().map(|b| b.0).collect(),
                    offline_replicas: p.offline_replicas.iter().map(|b| b.0).collect(),
                })
                .collect();
            partitions.sort_by_key(|p| p.id);
            let mut forgotten = self
                .forgotten_leaders
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .remove(&name)
                .unwrap_or_default();
            let topic_leaders = leaders.entry(name.clone()).or_default();
            for p in &partitions {
                if let Some(old) = forgotten.remove(&p.id)
                    && old != p.leader
                    && p.leader >= 0
                {
                    // A fact, not an error: readers and writers follow the new leader.
                    tracing::info!(
                        "{name}/{}: leader moved from broker {old} to {}",
                        p.id,
                        p.leader
                    );
                }
                topic_leaders.insert(p.id, p.leader);
            }
            out_topics.push(TopicInfo {
                name,
                internal: t.is_internal,
                partitions,
            });
        }
        out_topics.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(ClusterMetadata {
            cluster_id: response.cluster_id.as_ref().map(|c| c.to_string()),
            controller_id: response.controller_id.0,
            brokers,
            topics: out_topics,
        })
    }

    /// Metadata of one topic; `UnknownTopic` when it does not exist.
    pub async fn topic(&self, name: &str) -> Result<TopicInfo> {
        validate_topic_name(name)?;
        let meta = self.metadata(Some(&[name.to_owned()])).await?;
        meta.topic(name).cloned()
    }
}

/// A Metadata request for these topics (None: every topic), never creating one.
pub(super) fn metadata_request(topics: Option<&[String]>) -> MetadataRequest {
    MetadataRequest::default()
        .with_topics(topics.map(|names| {
            names
                .iter()
                .map(|n| {
                    MetadataRequestTopic::default()
                        .with_name(Some(TopicName(StrBytes::from_string(n.clone()))))
                })
                .collect()
        }))
        .with_allow_auto_topic_creation(false)
}
