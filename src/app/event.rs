//! What flows into and out of the update step: events from background tasks (owned data, by
//! value) and commands for the runtime to carry out.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use crate::collect::groups::OwnedGroupSnapshot;
use crate::demo::ml::records::MetricRecord;
use crate::demo::sensors::Conservation;
use crate::demo::sensors::signal::{Anomaly, Reading};
use crate::demo::sensors::store::Alert;
use crate::kafka::reader::Progress;
use crate::kafka::{
    ClusterMetadata, ConfigEntry, GroupDescription, Header, Message, ReplicaSize, StartAt,
    Watermarks,
};
use crate::lag::reset::{ResetPlan, ResetTarget};
use crate::lag::tracker::Commit;
use crate::schema::{LoadedSchema, SchemaChoice, SubjectDetail, SubjectSummary};

/// How the dashboard's link to the cluster stands; always shown in the header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConnState {
    Connecting,
    Connected,
    /// The last attempt failed; another follows after a backoff.
    Retrying {
        error: String,
        attempt: u32,
        retry_in_secs: u64,
    },
    /// Trying again cannot help (credentials, certificates, not a Kafka port): the settings
    /// must change.
    Failed(String),
}

/// What a demo task (ML producer or trainer, sensor simulator or processor) is doing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TaskStatus {
    Idle,
    Running(String),
    Done(String),
    Failed(String),
}

/// The two halves of the sensor demo.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SensorTask {
    Simulator,
    Processor,
}

/// The two halves of the ML demo.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MlTask {
    Producer,
    Trainer,
}

/// Travels with a batch of records and is released when the update step drops the event: the
/// browser's reader sends its next batch only then, so one batch at a time is in flight.
#[derive(Debug, Default)]
pub struct BatchPermit {
    /// Never read: holding it is the point.
    _held: Option<tokio::sync::OwnedSemaphorePermit>,
}

impl BatchPermit {
    pub fn new(permit: tokio::sync::OwnedSemaphorePermit) -> Self {
        BatchPermit {
            _held: Some(permit),
        }
    }
}

/// From background tasks to the update step.
#[derive(Debug)]
pub enum Event {
    /// Whether a profile of the config file answered: its broker count, or why not.
    ClusterAnswer {
        name: String,
        answer: Result<usize, String>,
    },
    Connection(ConnState),
    /// Shared with the poller, which keeps it to sample every partition: one copy, not two.
    Metadata(Arc<ClusterMetadata>),
    /// Watermarks of every partition, sampled at `at_ms` (Unix milliseconds); `missing` were
    /// asked for but did not answer this time.
    Watermarks {
        at_ms: i64,
        marks: Vec<((String, i32), Watermarks)>,
        missing: Vec<(String, i32)>,
    },
    ReplicaSizes(Vec<ReplicaSize>),
    /// The partitions whose last stable offset is below the high watermark (open
    /// transactions hold them back), with that offset; every other partition is stable.
    StableOffsets(Vec<((String, i32), i64)>),
    /// Every transaction and the hanging ones.
    Transactions(Result<crate::app::views::transactions::TxnSnapshot, String>),
    /// The cluster's ACLs, for `:acls` (None inside: no authorizer).
    Acls(crate::app::views::acls::AclsRead),
    /// The ACLs that apply to one topic or group.
    Access {
        kind: crate::kafka::acl::ResourceKind,
        name: String,
        result: crate::app::views::acls::AclsRead,
    },
    Reassignments(Result<Vec<crate::kafka::client::Reassignment>, String>),
    ClusterHealth(crate::app::views::operate::ClusterHealth),
    /// Every Connect cluster's connectors, for `:connect` and the topic and group views.
    Connectors(Vec<crate::app::views::connect::ConnectClusterRead>),
    /// A connector paused, resumed, stopped, restarted or deleted (or why not).
    ConnectActed {
        connector: crate::app::views::connect::ConnectorRef,
        action: crate::connect::ConnectAction,
        result: Result<(), String>,
    },
    /// What holds a topic's last stable offsets back: its open transactions.
    TopicTransactions {
        topic: String,
        result: Result<Vec<crate::collect::transactions::Unstable>, String>,
    },
    /// Offset commits read from `__consumer_offsets`.
    Commits(Vec<Commit>),
    /// Every consumer group as it stands at `at_ms`.
    Groups {
        at_ms: i64,
        snapshots: Vec<OwnedGroupSnapshot>,
        /// How often every group is polled, when less often than the ordinary 5 s (many
        /// groups, or a profile's `group_refresh`).
        every_when_slower: Option<std::time::Duration>,
    },
    /// The group the user has open, polled on its own between polls of every group.
    OpenGroup {
        at_ms: i64,
        snapshot: Box<OwnedGroupSnapshot>,
    },
    /// What the in-dashboard sensor processor just handled (readings may be sampled).
    SensorBatch {
        readings: Vec<Reading>,
        alerts: Vec<Alert>,
    },
    SensorCounts(Conservation),
    /// A look at the sensor processors' group: its description and its commits on the
    /// sensors topic, or why it could not be read.
    ProcessorGroup {
        at_ms: i64,
        topic: String,
        look: Result<(GroupDescription, BTreeMap<i32, i64>), String>,
    },
    /// The in-dashboard simulator or processor changed state.
    SensorTask {
        task: SensorTask,
        status: TaskStatus,
    },
    /// Evaluations read from `ml.metrics`.
    Metrics(Vec<MetricRecord>),
    /// The in-dashboard ML producer or trainer changed state.
    MlTask {
        task: MlTask,
        status: TaskStatus,
    },
    ResetPlanned {
        group: String,
        result: Result<Vec<ResetPlan>, String>,
    },
    ResetApplied {
        group: String,
        result: Result<(), String>,
    },
    Configs {
        topic: String,
        result: Result<Vec<ConfigEntry>, String>,
    },
    Messages {
        browse_id: u64,
        messages: Vec<Message>,
        progress: Progress,
        done: bool,
        /// Offsets a live tail passed over to keep up (a firehose).
        skipped: u64,
        permit: BatchPermit,
    },
    BrowseFailed {
        browse_id: u64,
        error: String,
    },
    Produced(Result<Produced, String>),
    /// What sending records from the browser came to, as one line.
    Sent(Result<String, String>),
    BrokerConfigs {
        broker: i32,
        result: Result<Vec<ConfigEntry>, String>,
    },
    /// The answer to an `AdminChange`.
    Admin {
        change: AdminChange,
        result: Result<(), String>,
        /// The cluster's metadata read right after a change to its topics, so the lists show
        /// it at once rather than at the next poll.
        metadata: Option<crate::kafka::ClusterMetadata>,
    },
    /// The registry's compatibility level and subjects, for `:schemas`.
    Subjects(Result<(String, Vec<SubjectSummary>), String>),
    Subject {
        name: String,
        result: Result<SubjectDetail, String>,
    },
    /// A schema of the registry, fetched by id and compiled (or why not).
    Schema {
        id: u32,
        result: Result<Arc<LoadedSchema>, String>,
    },
    Wrote {
        path: PathBuf,
        result: Result<usize, String>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Produced {
    pub topic: String,
    pub partition: i32,
    pub offset: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrowseRequest {
    pub id: u64,
    pub topic: String,
    pub partition: Option<i32>,
    pub start: StartAt,
    /// Keep reading new messages as they arrive, instead of stopping at the end.
    pub follow: bool,
    /// Scan the range and send only the records this matches (text or `/regex/`), at most
    /// `SEARCH_MATCHES` of them.
    pub search: Option<String>,
    pub isolation: crate::kafka::records::Isolation,
    /// What the profile hides of this topic's records: a search matches what is shown.
    pub mask: crate::decode::mask::TopicMask,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProduceRequest {
    pub topic: String,
    pub partition: Option<i32>,
    pub key: Option<Vec<u8>>,
    pub value: Vec<u8>,
    pub headers: Vec<Header>,
    /// Encode the value (JSON) with this schema in the registry's wire format.
    pub value_schema: Option<SchemaChoice>,
}

/// A change to the cluster asked for from the dashboard.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AdminChange {
    CreateTopic {
        name: String,
        partitions: i32,
        replication: i16,
    },
    DeleteTopic(String),
    AddPartitions {
        topic: String,
        count: i32,
    },
    /// `None` removes the topic's own value (the default applies again).
    SetConfig {
        topic: String,
        key: String,
        value: Option<String>,
    },
    DeleteGroup(String),
    /// A broker's dynamic config; `None` removes it.
    SetBrokerConfig {
        broker: i32,
        key: String,
        value: Option<String>,
    },
    /// Leaders of every partition of the topic back on their preferred replicas.
    ElectLeaders {
        topic: String,
    },
    /// Write the ABORT marker of the open transaction starting at an offset.
    AbortTransaction {
        topic: String,
        partition: i32,
        start_offset: i64,
    },
}

/// From the update step to the runtime, which owns every side effect.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    LoadConfigs(String),
    /// The open transactions that hold a topic's last stable offsets back.
    LoadTopicTransactions(String),
    /// Every transaction and the hanging ones, for `:transactions`.
    LoadTransactions,
    /// Every ACL, for `:acls`.
    LoadAcls,
    /// The ACLs that apply to a topic or group.
    LoadAccess(crate::kafka::acl::ResourceKind, String),
    LoadReassignments,
    /// The KRaft quorum and every broker's disks, for `:brokers`.
    LoadClusterHealth,
    /// Every connector of the profile's Connect clusters.
    LoadConnectors,
    /// An action on one connector.
    Connect {
        connector: crate::app::views::connect::ConnectorRef,
        action: crate::connect::ConnectAction,
    },
    Browse(BrowseRequest),
    StopBrowse,
    Produce(ProduceRequest),
    /// Records read in the browser, sent to a topic (a dead-letter replay).
    SendRecords {
        topic: String,
        records: Vec<crate::kafka::ProduceRecord>,
    },
    /// Put bytes on the user's clipboard (OSC 52, which works over SSH).
    Copy(Vec<u8>),
    WriteFile {
        path: PathBuf,
        lines: Vec<String>,
    },
    PlanReset {
        group: String,
        target: ResetTarget,
        /// Only this topic and partition (None: every partition the group committed on).
        only: Option<(String, Option<i32>)>,
    },
    /// Start the ML pipeline's producer (a new run) and/or trainer inside the dashboard.
    StartMl {
        producer: bool,
        trainer: bool,
    },
    StopMl {
        producer: bool,
        trainer: bool,
    },
    StartSensors {
        simulator: bool,
        processor: bool,
    },
    StopSensors,
    SetSensorRate(f64),
    InjectAnomaly {
        sensor: usize,
        anomaly: Anomaly,
    },
    ApplyReset {
        group: String,
        plans: Vec<ResetPlan>,
    },
    LoadBrokerConfigs(i32),
    /// Change the cluster: topics, partitions, configs, groups.
    Admin(AdminChange),
    LoadSubjects,
    LoadSubject(String),
    /// Fetch and compile the registry's schema with this id.
    LoadSchema(u32),
    /// Leave the cluster for the config file's profile of this name.
    SwitchCluster(String),
    /// Ask every profile of the config file whether it answers (for `:ctx`).
    ProbeClusters,
    /// The group the user now has open (None: none), which the poller keeps fresh.
    WatchGroup(Option<String>),
    Quit,
}
