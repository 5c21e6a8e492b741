//! `KafkaClient`: the one handle on a cluster that the headless commands and the dashboard share.
//!
//! Two planes under one roof:
//! - data plane through rskafka: produce, list offsets (watermarks, offsets for a time),
//!   create and delete topics;
//! - everything rskafka lacks through kafka-protocol over pooled `BrokerConn`s: metadata with
//!   leaders/replicas/ISR, groups, committed offsets, configs, log dirs, partitions — and fetch,
//!   because kview must show null header values and repeated header names exactly as stored
//!   (see `records.rs`), and one Fetch can serve every partition a broker leads.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use bytes::Bytes;
use futures::future::join_all;
use kafka_protocol::messages::{
    BrokerId, ConsumerProtocolAssignment, CreatePartitionsRequest, DescribeConfigsRequest,
    DescribeGroupsRequest, DescribeLogDirsRequest, FetchRequest, FindCoordinatorRequest, GroupId,
    ListGroupsRequest, MetadataRequest, OffsetCommitRequest, OffsetFetchRequest, TopicName,
    create_partitions_request::CreatePartitionsTopic,
    describe_configs_request::DescribeConfigsResource,
    fetch_request::{FetchPartition, FetchTopic},
    metadata_request::MetadataRequestTopic,
    offset_commit_request::{OffsetCommitRequestPartition, OffsetCommitRequestTopic},
};
use kafka_protocol::protocol::{Decodable, Request, StrBytes};
use rskafka::client::partition::{OffsetAt, PartitionClient, UnknownTopicHandling};
use tokio::sync::{Mutex, OnceCell};

use super::conn::{BrokerConn, ConnSettings};
use super::error::{KafkaError, Result, screaming_snake};
use super::records::{self, Message};
use super::types::*;

/// Which connection to a broker a request rides on: long-polling fetches must not hold up the
/// admin requests behind them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Lane {
    Admin,
    Fetch,
}

type Slot = Arc<Mutex<Option<BrokerConn>>>;

/// Broker connections by address and lane, opened on first use and reopened after a failure.
struct Pool {
    settings: ConnSettings,
    slots: std::sync::Mutex<HashMap<(String, Lane), Slot>>,
}

impl Pool {
    fn slot(&self, addr: &str, lane: Lane) -> Slot {
        let mut slots = self.slots.lock().unwrap_or_else(|p| p.into_inner());
        slots
            .entry((addr.to_owned(), lane))
            .or_insert_with(|| Arc::new(Mutex::new(None)))
            .clone()
    }

    async fn call<R: Request + Clone>(
        &self,
        addr: &str,
        lane: Lane,
        request: &R,
        cap: Option<i16>,
        broker_wait: Duration,
    ) -> Result<(i16, R::Response)> {
        self.call_built(addr, lane, cap, broker_wait, |_| request.clone())
            .await
    }

    /// Sends the request `build` makes for the negotiated version: some requests change shape
    /// between versions (FindCoordinator v4 batches keys, for one).
    async fn call_built<R: Request>(
        &self,
        addr: &str,
        lane: Lane,
        cap: Option<i16>,
        broker_wait: Duration,
        build: impl Fn(i16) -> R,
    ) -> Result<(i16, R::Response)> {
        let slot = self.slot(addr, lane);
        let mut guard = slot.lock().await;
        // A pooled connection may have died since its last use (broker restart): one retry on a
        // fresh connection tells that apart from a broker that is really gone.
        let reused = guard.is_some();
        for attempt in 0..2 {
            if guard.is_none() {
                *guard = Some(BrokerConn::connect(addr, &self.settings).await?);
            }
            let conn = guard.as_mut().expect("connection just set");
            let version = conn.version_for::<R>(cap)?;
            match conn
                .send_versioned(&build(version), version, Some(broker_wait))
                .await
            {
                Ok(response) => return Ok((version, response)),
                Err(e) if e.is_transport() => {
                    *guard = None;
                    if !(reused && attempt == 0) {
                        return Err(e);
                    }
                }
                Err(e) => return Err(e),
            }
        }
        unreachable!("the loop returns on its second attempt")
    }
}

impl KafkaError {
    /// Errors after which the connection is in an unknown state and another broker may answer.
    pub fn is_transport(&self) -> bool {
        matches!(
            self,
            KafkaError::Unreachable { .. }
                | KafkaError::ConnectionLost { .. }
                | KafkaError::Timeout { .. }
                | KafkaError::Protocol { .. }
        )
    }
}

/// Where to fetch from in one partition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchPosition {
    pub topic: String,
    pub partition: i32,
    pub offset: i64,
}

/// What one partition returned in a fetch.
#[derive(Debug)]
pub struct PartitionFetch {
    pub topic: String,
    pub partition: i32,
    pub messages: Vec<Message>,
    /// Where the next fetch of this partition starts.
    pub next_offset: i64,
    pub high_watermark: i64,
    pub log_start_offset: i64,
    /// A partition-level failure; the others in the same fetch are unaffected.
    pub error: Option<KafkaError>,
}

/// Size on disk of one replica of one partition.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ReplicaSize {
    pub broker: i32,
    pub topic: String,
    pub partition: i32,
    pub bytes: i64,
}

/// Bytes of records per produce request: under the broker's default `message.max.bytes`
/// (1 MiB with overhead), so a batch is never refused for its size (a single larger record
/// still is, with MESSAGE_TOO_LARGE).
const MAX_BATCH_BYTES: usize = 900 * 1024;
/// Per-record framing on top of key, value and headers, roughly.
const RECORD_OVERHEAD: usize = 32;

/// Splits records, in order, into batches of at most `max_bytes` (a lone larger record forms
/// its own batch).
fn request_batches(
    records: Vec<rskafka::record::Record>,
    max_bytes: usize,
) -> Vec<Vec<rskafka::record::Record>> {
    let mut batches = Vec::new();
    let mut current = Vec::new();
    let mut size = 0;
    for record in records {
        let bytes = record.approximate_size() + RECORD_OVERHEAD;
        if !current.is_empty() && size + bytes > max_bytes {
            batches.push(std::mem::take(&mut current));
            size = 0;
        }
        size += bytes;
        current.push(record);
    }
    if !current.is_empty() {
        batches.push(current);
    }
    batches
}

/// Error codes after which a fetch or produce should look the leader up again.
const STALE_LEADER_CODES: [i16; 5] = [3, 5, 6, 74, 76];
/// Capped so requests name topics rather than topic ids (Fetch v13+ needs ids).
const FETCH_VERSION_CAP: i16 = 12;

pub struct KafkaClient {
    bootstrap: Vec<String>,
    pool: Pool,
    brokers: RwLock<BTreeMap<i32, String>>,
    leaders: RwLock<HashMap<(String, i32), i32>>,
    data_plane: OnceCell<rskafka::client::Client>,
    partition_clients: Mutex<HashMap<(String, i32), Arc<PartitionClient>>>,
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
            pool: Pool {
                settings,
                slots: Default::default(),
            },
            brokers: Default::default(),
            leaders: Default::default(),
            data_plane: OnceCell::new(),
            partition_clients: Default::default(),
        };
        client.metadata(Some(&[])).await?;
        Ok(client)
    }

    pub fn bootstrap(&self) -> &[String] {
        &self.bootstrap
    }

    fn settings(&self) -> &ConnSettings {
        &self.pool.settings
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
                .call_built(&addr, Lane::Admin, cap, Duration::ZERO, &build)
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

    /// Cluster metadata; `topics` None means every topic, Some(&[]) brokers only.
    pub async fn metadata(&self, topics: Option<&[String]>) -> Result<ClusterMetadata> {
        let request = MetadataRequest::default()
            .with_topics(topics.map(|names| {
                names
                    .iter()
                    .map(|n| {
                        MetadataRequestTopic::default()
                            .with_name(Some(TopicName(StrBytes::from_string(n.clone()))))
                    })
                    .collect()
            }))
            .with_allow_auto_topic_creation(false);
        let response = self.call_any(&request, Some(12)).await?;

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
                KafkaError::check(t.error_code, None, || format!("metadata of topic {name:?}"))?;
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
            for p in &partitions {
                leaders.insert((name.clone(), p.id), p.leader);
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

    // ---- data plane (rskafka) ----

    async fn data_plane(&self) -> Result<&rskafka::client::Client> {
        self.data_plane
            .get_or_try_init(|| async {
                let settings = self.settings();
                let backoff = rskafka::BackoffConfig {
                    init_backoff: Duration::from_millis(100),
                    max_backoff: Duration::from_secs(2),
                    base: 2.0,
                    deadline: Some(settings.connect_timeout),
                };
                let build = rskafka::client::ClientBuilder::new(self.bootstrap.clone())
                    .client_id(settings.client_id.clone())
                    .backoff_config(backoff)
                    .build();
                match tokio::time::timeout(settings.connect_timeout * 2, build).await {
                    Ok(Ok(client)) => Ok(client),
                    Ok(Err(e)) => Err(data_error(e, "connecting", None)),
                    Err(_) => Err(KafkaError::Timeout {
                        what: "the data-plane connection".into(),
                        after: settings.connect_timeout * 2,
                    }),
                }
            })
            .await
    }

    async fn partition_client(&self, topic: &str, partition: i32) -> Result<Arc<PartitionClient>> {
        let key = (topic.to_owned(), partition);
        if let Some(pc) = self.partition_clients.lock().await.get(&key) {
            return Ok(pc.clone());
        }
        let client = self.data_plane().await?;
        let pc = self
            .timed(
                "a partition leader",
                client.partition_client(topic, partition, UnknownTopicHandling::Error),
            )
            .await?
            .map_err(|e| data_error(e, &format!("{topic}/{partition}"), Some(topic)))?;
        let pc = Arc::new(pc);
        self.partition_clients.lock().await.insert(key, pc.clone());
        Ok(pc)
    }

    async fn timed<F: std::future::Future>(&self, what: &str, f: F) -> Result<F::Output> {
        let after = self.settings().request_timeout;
        tokio::time::timeout(after, f)
            .await
            .map_err(|_| KafkaError::Timeout {
                what: what.to_owned(),
                after,
            })
    }

    /// Low and high watermarks, one result per requested partition, asked concurrently.
    pub async fn watermarks(&self, partitions: &[(String, i32)]) -> Vec<Result<Watermarks>> {
        join_all(partitions.iter().map(|(topic, partition)| async move {
            let pc = self.partition_client(topic, *partition).await?;
            let ctx = format!("offsets of {topic}/{partition}");
            let (low, high) = self
                .timed(&ctx, async {
                    futures::join!(
                        pc.get_offset(OffsetAt::Earliest),
                        pc.get_offset(OffsetAt::Latest)
                    )
                })
                .await?;
            Ok(Watermarks {
                low: low.map_err(|e| data_error(e, &ctx, Some(topic)))?,
                high: high.map_err(|e| data_error(e, &ctx, Some(topic)))?,
            })
        }))
        .await
    }

    /// The first offset whose timestamp is at or after `unix_ms`; the high watermark if none.
    pub async fn offset_for_time(&self, topic: &str, partition: i32, unix_ms: i64) -> Result<i64> {
        let pc = self.partition_client(topic, partition).await?;
        let at = chrono::DateTime::from_timestamp_millis(unix_ms)
            .ok_or_else(|| KafkaError::Client(format!("timestamp {unix_ms} is out of range")))?;
        let ctx = format!("offset for time in {topic}/{partition}");
        let offset = self
            .timed(&ctx, pc.get_offset(OffsetAt::Timestamp(at)))
            .await?
            .map_err(|e| data_error(e, &ctx, Some(topic)))?;
        if offset >= 0 {
            return Ok(offset);
        }
        self.timed(&ctx, pc.get_offset(OffsetAt::Latest))
            .await?
            .map_err(|e| data_error(e, &ctx, Some(topic)))
    }

    /// The timestamp of the record at `offset` (or the next one after it, if compacted away).
    pub async fn timestamp_at(
        &self,
        topic: &str,
        partition: i32,
        offset: i64,
    ) -> Result<Option<i64>> {
        let position = FetchPosition {
            topic: topic.to_owned(),
            partition,
            offset,
        };
        let mut results = self.fetch(&[position], Duration::ZERO, 64 * 1024).await?;
        let Some(mut result) = results.pop() else {
            return Ok(None);
        };
        if let Some(e) = result.error.take() {
            return Err(e);
        }
        Ok(result.messages.first().map(|m| m.timestamp_ms))
    }

    /// Writes records to one partition, in order; returns their offsets. Records go out in
    /// batches that fit the broker's default size limit, so callers need not count bytes.
    pub async fn produce(
        &self,
        topic: &str,
        partition: i32,
        records: Vec<rskafka::record::Record>,
        compression: rskafka::client::partition::Compression,
    ) -> Result<Vec<i64>> {
        let pc = self.partition_client(topic, partition).await?;
        let ctx = format!("produce to {topic}/{partition}");
        let mut offsets = Vec::with_capacity(records.len());
        for batch in request_batches(records, MAX_BATCH_BYTES) {
            let written = self
                .timed(&ctx, pc.produce(batch, compression))
                .await?
                .map_err(|e| data_error(e, &ctx, Some(topic)))?;
            offsets.extend(written);
        }
        Ok(offsets)
    }

    async fn controller(&self) -> Result<rskafka::client::controller::ControllerClient> {
        self.data_plane()
            .await?
            .controller_client()
            .map_err(|e| data_error(e, "controller", None))
    }

    /// Creates a topic and waits until every partition has a leader.
    pub async fn create_topic(&self, name: &str, partitions: i32, replication: i16) -> Result<()> {
        validate_topic_name(name)?;
        let controller = self.controller().await?;
        let ctx = format!("create topic {name:?}");
        let timeout_ms = self.settings().request_timeout.as_millis() as i32;
        self.timed(
            &ctx,
            controller.create_topic(name, partitions, replication, timeout_ms),
        )
        .await?
        .map_err(|e| match e {
            rskafka::client::error::Error::ServerError {
                protocol_error: rskafka::client::error::ProtocolError::TopicAlreadyExists,
                ..
            } => KafkaError::TopicExists(name.to_owned()),
            e => data_error(e, &ctx, None),
        })?;
        self.wait_for_leaders(name, partitions as usize).await
    }

    /// Creates a topic unless it exists (the demos call this on start; two may race).
    pub async fn ensure_topic(&self, name: &str, partitions: i32) -> Result<()> {
        match self.topic(name).await {
            Err(KafkaError::UnknownTopic(_)) => {
                match self.create_topic(name, partitions, 1).await {
                    Err(KafkaError::TopicExists(_)) => Ok(()),
                    other => other,
                }
            }
            other => other.map(|_| ()),
        }
    }

    async fn wait_for_leaders(&self, name: &str, partitions: usize) -> Result<()> {
        let deadline = tokio::time::Instant::now() + self.settings().request_timeout;
        loop {
            if let Ok(t) = self.topic(name).await
                && t.partitions.len() >= partitions
                && t.partitions.iter().all(|p| p.leader >= 0)
            {
                return Ok(());
            }
            if tokio::time::Instant::now() >= deadline {
                return Err(KafkaError::Timeout {
                    what: format!("leaders of new topic {name:?}"),
                    after: self.settings().request_timeout,
                });
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub async fn delete_topic(&self, name: &str) -> Result<()> {
        validate_topic_name(name)?;
        let controller = self.controller().await?;
        let ctx = format!("delete topic {name:?}");
        let timeout_ms = self.settings().request_timeout.as_millis() as i32;
        self.timed(&ctx, controller.delete_topic(name, timeout_ms))
            .await?
            .map_err(|e| data_error(e, &ctx, Some(name)))?;
        let mut clients = self.partition_clients.lock().await;
        clients.retain(|(t, _), _| t != name);
        Ok(())
    }

    // ---- fetch (kafka-protocol, faithful record decoding) ----

    fn leader_of(&self, topic: &str, partition: i32) -> Option<i32> {
        self.leaders
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(&(topic.to_owned(), partition))
            .copied()
            .filter(|l| *l >= 0)
    }

    /// Reads from many partitions at once: one Fetch per leader, leaders asked concurrently.
    /// The broker holds the request up to `max_wait` when there is nothing new.
    pub async fn fetch(
        &self,
        positions: &[FetchPosition],
        max_wait: Duration,
        partition_max_bytes: i32,
    ) -> Result<Vec<PartitionFetch>> {
        if positions
            .iter()
            .any(|p| self.leader_of(&p.topic, p.partition).is_none())
        {
            let mut topics: Vec<String> = positions.iter().map(|p| p.topic.clone()).collect();
            topics.sort();
            topics.dedup();
            self.metadata(Some(&topics)).await?;
        }
        let mut by_leader: BTreeMap<i32, Vec<&FetchPosition>> = BTreeMap::new();
        let mut results = Vec::new();
        for p in positions {
            match self.leader_of(&p.topic, p.partition) {
                Some(leader) => by_leader.entry(leader).or_default().push(p),
                None => results.push(PartitionFetch::failed(
                    p,
                    KafkaError::Client(format!("{}/{} has no leader", p.topic, p.partition)),
                )),
            }
        }
        let fetches = by_leader.into_iter().map(|(leader, wanted)| async move {
            self.fetch_from(leader, &wanted, max_wait, partition_max_bytes)
                .await
                .unwrap_or_else(|e| {
                    let text = e.to_string();
                    wanted
                        .iter()
                        .map(|p| PartitionFetch::failed(p, KafkaError::Client(text.clone())))
                        .collect()
                })
        });
        for batch in join_all(fetches).await {
            results.extend(batch);
        }
        if results.iter().any(|r| {
            r.error
                .as_ref()
                .and_then(KafkaError::broker_code)
                .is_some_and(|c| STALE_LEADER_CODES.contains(&c))
        }) {
            self.leaders
                .write()
                .unwrap_or_else(|p| p.into_inner())
                .clear();
        }
        Ok(results)
    }

    async fn fetch_from(
        &self,
        leader: i32,
        wanted: &[&FetchPosition],
        max_wait: Duration,
        partition_max_bytes: i32,
    ) -> Result<Vec<PartitionFetch>> {
        let addr = self.broker_addr(leader)?;
        let mut topics: Vec<FetchTopic> = Vec::new();
        for p in wanted {
            let partition = FetchPartition::default()
                .with_partition(p.partition)
                .with_current_leader_epoch(-1)
                .with_fetch_offset(p.offset)
                .with_last_fetched_epoch(-1)
                .with_log_start_offset(-1)
                .with_partition_max_bytes(partition_max_bytes);
            match topics.iter_mut().find(|t| t.topic.0.as_str() == p.topic) {
                Some(t) => t.partitions.push(partition),
                None => topics.push(
                    FetchTopic::default()
                        .with_topic(TopicName(StrBytes::from_string(p.topic.clone())))
                        .with_partitions(vec![partition]),
                ),
            }
        }
        let request = FetchRequest::default()
            .with_replica_id(BrokerId(-1))
            .with_max_wait_ms(max_wait.as_millis() as i32)
            .with_min_bytes(1)
            .with_max_bytes(i32::MAX)
            .with_isolation_level(0)
            .with_session_id(0)
            .with_session_epoch(-1)
            .with_topics(topics);
        let (_, response) = self
            .pool
            .call(
                &addr,
                Lane::Fetch,
                &request,
                Some(FETCH_VERSION_CAP),
                max_wait,
            )
            .await?;
        KafkaError::check(response.error_code, None, || format!("fetch from {addr}"))?;

        let mut out = Vec::with_capacity(wanted.len());
        for topic in response.responses {
            let name = topic.topic.0.to_string();
            for pd in topic.partitions {
                let requested = wanted
                    .iter()
                    .find(|w| w.topic == name && w.partition == pd.partition_index)
                    .map_or(0, |w| w.offset);
                let mut result = PartitionFetch {
                    topic: name.clone(),
                    partition: pd.partition_index,
                    messages: Vec::new(),
                    next_offset: requested,
                    high_watermark: pd.high_watermark,
                    log_start_offset: pd.log_start_offset,
                    error: None,
                };
                if pd.error_code != 0 {
                    result.error = KafkaError::check(pd.error_code, None, || {
                        format!("fetch {name}/{} at offset {requested}", pd.partition_index)
                    })
                    .err();
                    out.push(result);
                    continue;
                }
                let data = pd.records.unwrap_or_else(Bytes::new);
                match records::decode_batches(
                    data,
                    pd.partition_index,
                    requested,
                    &mut result.messages,
                ) {
                    Ok(decoded) => {
                        result.next_offset =
                            decoded.next_offset.unwrap_or(requested).max(requested);
                    }
                    Err(e) => result.error = Some(KafkaError::Client(e.to_string())),
                }
                out.push(result);
            }
        }
        Ok(out)
    }

    // ---- groups (kafka-protocol) ----

    /// Every group on every broker.
    pub async fn list_groups(&self) -> Result<Vec<GroupListing>> {
        self.list_groups_attempt(0).await
    }

    async fn list_groups_attempt(&self, attempt: u32) -> Result<Vec<GroupListing>> {
        let meta = self.metadata(Some(&[])).await?;
        let request = ListGroupsRequest::default();
        let answers = join_all(meta.brokers.iter().map(|b| {
            let request = &request;
            async move {
                self.pool
                    .call(&b.addr(), Lane::Admin, request, None, Duration::ZERO)
                    .await
            }
        }))
        .await;
        let mut groups = BTreeMap::new();
        for answer in answers {
            let (_, response) = answer?;
            // A broker that just started loads its groups first: ask again shortly.
            if matches!(response.error_code, 14 | 15) && attempt < 20 {
                tokio::time::sleep(Duration::from_millis(250)).await;
                return Box::pin(self.list_groups_attempt(attempt + 1)).await;
            }
            KafkaError::check(response.error_code, None, || "list groups".into())?;
            for g in response.groups {
                let id = g.group_id.0.to_string();
                groups.insert(
                    id.clone(),
                    GroupListing {
                        group_id: id,
                        protocol_type: g.protocol_type.to_string(),
                        state: g.group_state.to_string(),
                        group_type: g.group_type.to_string(),
                    },
                );
            }
        }
        Ok(groups.into_values().collect())
    }

    /// The address of the broker that coordinates a group, retried while coordinators load.
    async fn coordinator(&self, group: &str) -> Result<(i32, String)> {
        let key = StrBytes::from_string(group.to_owned());
        let build = |version: i16| {
            let request = FindCoordinatorRequest::default().with_key_type(0);
            if version >= 4 {
                request.with_coordinator_keys(vec![key.clone()])
            } else {
                request.with_key(key.clone())
            }
        };
        let mut delay = Duration::from_millis(100);
        let deadline = tokio::time::Instant::now() + self.settings().request_timeout;
        loop {
            let response = self.call_any_built(None, build).await?;
            let (code, message, node, host, port) = match response.coordinators.first() {
                Some(c) => (
                    c.error_code,
                    c.error_message.clone(),
                    c.node_id.0,
                    c.host.clone(),
                    c.port,
                ),
                None => (
                    response.error_code,
                    response.error_message.clone(),
                    response.node_id.0,
                    response.host.clone(),
                    response.port,
                ),
            };
            // COORDINATOR_LOAD_IN_PROGRESS, COORDINATOR_NOT_AVAILABLE: a fresh broker settles soon.
            if (code == 14 || code == 15) && tokio::time::Instant::now() < deadline {
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_secs(1));
                continue;
            }
            KafkaError::check(code, message.as_deref(), || {
                format!("find coordinator of group {group:?}")
            })?;
            return Ok((node, format!("{host}:{port}")));
        }
    }

    /// Sends a group request to the group's coordinator, finding it again while it moves or
    /// loads (after a broker restart); `coordinator_code` reads the response's group-level code.
    async fn call_coordinator<R: Request + Clone>(
        &self,
        group: &str,
        request: &R,
        cap: Option<i16>,
        coordinator_code: impl Fn(&R::Response) -> i16,
    ) -> Result<(i32, R::Response)> {
        let deadline = tokio::time::Instant::now() + self.settings().request_timeout;
        let mut delay = Duration::from_millis(100);
        loop {
            let (node, addr) = self.coordinator(group).await?;
            let (_, response) = self
                .pool
                .call(&addr, Lane::Admin, request, cap, Duration::ZERO)
                .await?;
            // COORDINATOR_LOAD_IN_PROGRESS, COORDINATOR_NOT_AVAILABLE, NOT_COORDINATOR
            if matches!(coordinator_code(&response), 14..=16)
                && tokio::time::Instant::now() < deadline
            {
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_secs(1));
                continue;
            }
            return Ok((node, response));
        }
    }

    pub async fn describe_group(&self, group: &str) -> Result<GroupDescription> {
        let request = DescribeGroupsRequest::default()
            .with_groups(vec![GroupId(StrBytes::from_string(group.to_owned()))]);
        let (coordinator, response) = self
            .call_coordinator(group, &request, None, |r| {
                r.groups.first().map_or(0, |g| g.error_code)
            })
            .await?;
        let g = response
            .groups
            .into_iter()
            .next()
            .ok_or_else(|| KafkaError::Client(format!("no description of group {group:?}")))?;
        KafkaError::check(g.error_code, g.error_message.as_deref(), || {
            format!("describe group {group:?}")
        })?;
        let members = g
            .members
            .iter()
            .map(|m| GroupMember {
                member_id: m.member_id.to_string(),
                client_id: m.client_id.to_string(),
                host: m.client_host.to_string(),
                assignment: if g.protocol_type.as_str() == "consumer" {
                    decode_assignment(&m.member_assignment)
                } else {
                    Vec::new()
                },
            })
            .collect();
        Ok(GroupDescription {
            group_id: g.group_id.0.to_string(),
            state: g.group_state.to_string(),
            protocol_type: g.protocol_type.to_string(),
            protocol: g.protocol_data.to_string(),
            coordinator,
            members,
        })
    }

    /// Every committed offset of a group (partitions without a commit are left out).
    pub async fn committed_offsets(&self, group: &str) -> Result<Vec<CommittedOffset>> {
        // v7 is the last version with one group per request; v8+ batches groups in another
        // shape, which kview does not need.
        let request = OffsetFetchRequest::default()
            .with_group_id(GroupId(StrBytes::from_string(group.to_owned())))
            .with_topics(None);
        let (_, response) = self
            .call_coordinator(group, &request, Some(7), |r| r.error_code)
            .await?;
        let ctx = || format!("committed offsets of group {group:?}");
        KafkaError::check(response.error_code, None, ctx)?;
        let mut out = Vec::new();
        for t in response.topics {
            for p in t.partitions {
                KafkaError::check(p.error_code, None, ctx)?;
                if p.committed_offset >= 0 {
                    out.push(CommittedOffset {
                        topic: t.name.0.to_string(),
                        partition: p.partition_index,
                        offset: p.committed_offset,
                        metadata: p.metadata.map(|m| m.to_string()),
                    });
                }
            }
        }
        out.sort_by(|a, b| (&a.topic, a.partition).cmp(&(&b.topic, b.partition)));
        Ok(out)
    }

    /// Commits offsets for a group outside any generation (a "standalone" commit), as
    /// kview's own demo consumers and offset resets do. The group must have no active members.
    pub async fn commit_offsets(&self, group: &str, offsets: &[(String, i32, i64)]) -> Result<()> {
        let mut topics: Vec<OffsetCommitRequestTopic> = Vec::new();
        for (topic, partition, offset) in offsets {
            let p = OffsetCommitRequestPartition::default()
                .with_partition_index(*partition)
                .with_committed_offset(*offset)
                .with_committed_leader_epoch(-1);
            match topics.iter_mut().find(|t| t.name.0.as_str() == topic) {
                Some(t) => t.partitions.push(p),
                None => topics.push(
                    OffsetCommitRequestTopic::default()
                        .with_name(TopicName(StrBytes::from_string(topic.clone())))
                        .with_partitions(vec![p]),
                ),
            }
        }
        let request = OffsetCommitRequest::default()
            .with_group_id(GroupId(StrBytes::from_string(group.to_owned())))
            .with_generation_id_or_member_epoch(-1)
            .with_member_id(StrBytes::from_static_str(""))
            .with_retention_time_ms(-1)
            .with_topics(topics);
        let (_, response) = self
            .call_coordinator(group, &request, None, |r| {
                r.topics
                    .first()
                    .and_then(|t| t.partitions.first())
                    .map_or(0, |p| p.error_code)
            })
            .await?;
        for t in response.topics {
            for p in t.partitions {
                KafkaError::check(p.error_code, None, || {
                    format!(
                        "commit offset of group {group:?} on {}/{}",
                        t.name.0, p.partition_index
                    )
                })?;
            }
        }
        Ok(())
    }

    // ---- configs, log dirs, partitions (kafka-protocol) ----

    pub async fn topic_configs(&self, topic: &str) -> Result<Vec<ConfigEntry>> {
        validate_topic_name(topic)?;
        let request = DescribeConfigsRequest::default().with_resources(vec![
            DescribeConfigsResource::default()
                .with_resource_type(2)
                .with_resource_name(StrBytes::from_string(topic.to_owned()))
                .with_configuration_keys(None),
        ]);
        let response = self.call_any(&request, None).await?;
        let mut out = Vec::new();
        for r in response.results {
            if r.error_code == 3 {
                return Err(KafkaError::UnknownTopic(topic.to_owned()));
            }
            KafkaError::check(r.error_code, r.error_message.as_deref(), || {
                format!("configs of topic {topic:?}")
            })?;
            for c in r.configs {
                out.push(ConfigEntry {
                    name: c.name.to_string(),
                    value: c.value.map(|v| v.to_string()),
                    is_default: c.config_source == 5,
                    is_sensitive: c.is_sensitive,
                    read_only: c.read_only,
                    source: config_source(c.config_source),
                });
            }
        }
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }

    /// Size on disk of every replica, asking every broker; brokers that fail are skipped.
    pub async fn replica_sizes(&self) -> Result<Vec<ReplicaSize>> {
        let meta = self.metadata(Some(&[])).await?;
        let request = DescribeLogDirsRequest::default().with_topics(None);
        let answers = join_all(meta.brokers.iter().map(|b| {
            let request = &request;
            async move {
                (
                    b.id,
                    self.pool
                        .call(&b.addr(), Lane::Admin, request, None, Duration::ZERO)
                        .await,
                )
            }
        }))
        .await;
        let mut out = Vec::new();
        for (broker, answer) in answers {
            let Ok((_, response)) = answer else { continue };
            for dir in response.results.iter().filter(|d| d.error_code == 0) {
                for t in &dir.topics {
                    for p in t.partitions.iter().filter(|p| !p.is_future_key) {
                        out.push(ReplicaSize {
                            broker,
                            topic: t.name.0.to_string(),
                            partition: p.partition_index,
                            bytes: p.partition_size,
                        });
                    }
                }
            }
        }
        Ok(out)
    }

    /// Raises a topic's partition count to `count`.
    pub async fn create_partitions(&self, topic: &str, count: i32) -> Result<()> {
        validate_topic_name(topic)?;
        let request = CreatePartitionsRequest::default()
            .with_topics(vec![
                CreatePartitionsTopic::default()
                    .with_name(TopicName(StrBytes::from_string(topic.to_owned())))
                    .with_count(count)
                    .with_assignments(None),
            ])
            .with_timeout_ms(self.settings().request_timeout.as_millis() as i32);
        let response = self.call_any(&request, None).await?;
        for r in response.results {
            KafkaError::check(r.error_code, r.error_message.as_deref(), || {
                format!("create partitions of {topic:?}")
            })?;
        }
        self.partition_clients
            .lock()
            .await
            .retain(|(t, _), _| t != topic);
        self.wait_for_leaders(topic, count as usize).await
    }
}

impl PartitionFetch {
    fn failed(p: &FetchPosition, error: KafkaError) -> Self {
        PartitionFetch {
            topic: p.topic.clone(),
            partition: p.partition,
            messages: Vec::new(),
            next_offset: p.offset,
            high_watermark: -1,
            log_start_offset: -1,
            error: Some(error),
        }
    }
}

/// The partitions in a consumer-protocol assignment; empty when it is not one.
fn decode_assignment(bytes: &Bytes) -> Vec<(String, i32)> {
    if bytes.len() < 2 {
        return Vec::new();
    }
    let mut buf = bytes.clone();
    let version = i16::from_be_bytes([buf[0], buf[1]]);
    let _ = bytes::Buf::get_i16(&mut buf);
    match ConsumerProtocolAssignment::decode(&mut buf, version.clamp(0, 3)) {
        Ok(a) => a
            .assigned_partitions
            .iter()
            .flat_map(|tp| tp.partitions.iter().map(|p| (tp.topic.0.to_string(), *p)))
            .collect(),
        Err(_) => Vec::new(),
    }
}

fn config_source(code: i8) -> &'static str {
    match code {
        1 => "topic",
        2 => "broker",
        3 => "cluster default",
        4 => "broker file",
        5 => "default",
        6 => "broker logger",
        _ => "unknown",
    }
}

/// Words an rskafka error for one line; an unknown topic becomes `UnknownTopic`.
fn data_error(e: rskafka::client::error::Error, context: &str, topic: Option<&str>) -> KafkaError {
    use rskafka::client::error::{Error, ProtocolError};
    match e {
        Error::ServerError {
            protocol_error: ProtocolError::UnknownTopicOrPartition,
            ..
        } if topic.is_some() => KafkaError::UnknownTopic(topic.unwrap_or_default().to_owned()),
        Error::ServerError {
            protocol_error,
            error_message,
            ..
        } => {
            let name = screaming_snake(&format!("{protocol_error:?}"));
            match error_message {
                Some(m) if !m.is_empty() => KafkaError::Client(format!("{context}: {name} ({m})")),
                _ => KafkaError::Client(format!("{context}: {name}")),
            }
        }
        other => KafkaError::Client(format!("{context}: {other}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(value_len: usize) -> rskafka::record::Record {
        rskafka::record::Record {
            key: None,
            value: Some(vec![b'x'; value_len]),
            headers: Default::default(),
            timestamp: chrono::Utc::now(),
        }
    }

    #[test]
    fn produce_batches_respect_the_size_limit_and_keep_order() {
        let records: Vec<_> = (0..100).map(|i| record(60 + i)).collect();
        let batches = request_batches(records, 1_000);
        assert!(batches.len() > 5);
        let mut expected = 60;
        for b in &batches {
            let size: usize = b
                .iter()
                .map(|r| r.approximate_size() + RECORD_OVERHEAD)
                .sum();
            assert!(size <= 1_000 || b.len() == 1);
            for r in b {
                assert_eq!(r.value.as_ref().unwrap().len(), expected);
                expected += 1;
            }
        }
        let huge = request_batches(vec![record(10), record(5_000), record(10)], 1_000);
        assert_eq!(huge.iter().map(Vec::len).collect::<Vec<_>>(), vec![1, 1, 1]);
        assert!(request_batches(vec![], 1_000).is_empty());
    }
}
