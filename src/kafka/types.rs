//! Plain data the connection layer hands out: owned, serializable, free of protocol types.

use serde::Serialize;

use super::error::{KafkaError, Result};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BrokerInfo {
    pub id: i32,
    pub host: String,
    pub port: i32,
    pub rack: Option<String>,
}

impl BrokerInfo {
    pub fn addr(&self) -> String {
        format!("{}:{}", self.host, self.port)
    }
}

/// Broker ids of a partition's replicas: three or four live inline (a large cluster's metadata
/// held two allocations a partition for a few bytes each).
pub type BrokerIds = smallvec::SmallVec<[i32; 4]>;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PartitionInfo {
    pub id: i32,
    /// −1 when the partition has no leader (offline).
    pub leader: i32,
    pub replicas: BrokerIds,
    pub isr: BrokerIds,
    pub offline_replicas: BrokerIds,
}

impl PartitionInfo {
    pub fn is_under_replicated(&self) -> bool {
        self.isr.len() < self.replicas.len()
    }
    pub fn is_offline(&self) -> bool {
        self.leader < 0
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TopicInfo {
    pub name: String,
    pub internal: bool,
    pub partitions: Vec<PartitionInfo>,
}

impl TopicInfo {
    pub fn replication_factor(&self) -> usize {
        self.partitions
            .iter()
            .map(|p| p.replicas.len())
            .max()
            .unwrap_or(0)
    }

    pub fn partition(&self, id: i32) -> Result<&PartitionInfo> {
        self.partitions
            .iter()
            .find(|p| p.id == id)
            .ok_or_else(|| KafkaError::UnknownPartition {
                topic: self.name.clone(),
                partition: id,
                count: self.partitions.len(),
            })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ClusterMetadata {
    pub cluster_id: Option<String>,
    pub controller_id: i32,
    pub brokers: Vec<BrokerInfo>,
    pub topics: Vec<TopicInfo>,
}

impl ClusterMetadata {
    pub fn topic(&self, name: &str) -> Result<&TopicInfo> {
        self.topics
            .iter()
            .find(|t| t.name == name)
            .ok_or_else(|| KafkaError::UnknownTopic(name.to_owned()))
    }
}

/// Low and high watermark of one partition.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Watermarks {
    pub low: i64,
    pub high: i64,
}

impl Watermarks {
    pub fn messages(&self) -> i64 {
        (self.high - self.low).max(0)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConfigEntry {
    pub name: String,
    /// None for sensitive values, which the broker does not reveal.
    pub value: Option<String>,
    pub is_default: bool,
    pub is_sensitive: bool,
    pub read_only: bool,
    pub source: &'static str,
}

/// What kind of group, as Kafka 4's ListGroups names them: the classic protocol, the consumer
/// protocol of KIP-848, share groups (KIP-932) and streams groups (KIP-1071).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum GroupKind {
    Classic,
    Consumer,
    Share,
    Streams,
    Other(String),
}

impl GroupKind {
    /// From ListGroups' group type; brokers before v5 name none, and all their groups are
    /// classic.
    pub fn from_type(group_type: &str) -> Self {
        match group_type.to_ascii_lowercase().as_str() {
            "" | "classic" => GroupKind::Classic,
            "consumer" => GroupKind::Consumer,
            "share" => GroupKind::Share,
            "streams" => GroupKind::Streams,
            other => GroupKind::Other(other.to_owned()),
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            GroupKind::Classic => "classic",
            GroupKind::Consumer => "consumer",
            GroupKind::Share => "share",
            GroupKind::Streams => "streams",
            GroupKind::Other(s) => s,
        }
    }

    /// Groups that keep committed offsets, which kview's lag and status rules read.
    pub fn commits_offsets(&self) -> bool {
        matches!(self, GroupKind::Classic | GroupKind::Consumer)
    }
}

impl std::fmt::Display for GroupKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for GroupKind {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GroupListing {
    pub group_id: String,
    pub protocol_type: String,
    pub state: String,
    pub kind: GroupKind,
}

impl GroupListing {
    /// Groups whose members read topics: consumer, share and streams groups, and classic
    /// groups of the consumer protocol type (or of none: offsets committed by tools). Connect's
    /// workers and schema registries form classic groups of their own protocols.
    pub fn reads_topics(&self) -> bool {
        self.kind != GroupKind::Classic
            || self.protocol_type.is_empty()
            || self.protocol_type == "consumer"
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct GroupMember {
    pub member_id: String,
    /// The static member's `group.instance.id`.
    pub instance_id: Option<String>,
    pub client_id: String,
    pub host: String,
    /// The member's epoch (consumer and share groups).
    pub member_epoch: Option<i32>,
    /// In a consumer group: `classic` for a member that joined with the classic protocol,
    /// `consumer` for one of KIP-848's (known from ConsumerGroupDescribe v1).
    pub member_type: Option<String>,
    /// Topics it subscribed to by name (consumer and share groups).
    pub subscribed_topics: Vec<String>,
    /// Its subscription as a regular expression, when it subscribed by one.
    pub subscribed_regex: Option<String>,
    /// Partitions assigned to this member, when its assignment is a consumer assignment.
    #[serde(serialize_with = "topic_partitions")]
    pub assignment: Vec<(String, i32)>,
    /// In a consumer group: what the group coordinator is moving its assignment to.
    #[serde(serialize_with = "some_topic_partitions")]
    pub target_assignment: Option<Vec<(String, i32)>>,
}

/// `[{"topic": "t", "partition": 0}, …]`: partitions as scripts read them.
fn topic_partitions<S: serde::Serializer>(
    partitions: &[(String, i32)],
    s: S,
) -> std::result::Result<S::Ok, S::Error> {
    use serde::ser::SerializeSeq;
    let mut seq = s.serialize_seq(Some(partitions.len()))?;
    for (topic, partition) in partitions {
        seq.serialize_element(&serde_json::json!({"topic": topic, "partition": partition}))?;
    }
    seq.end()
}

fn some_topic_partitions<S: serde::Serializer>(
    partitions: &Option<Vec<(String, i32)>>,
    s: S,
) -> std::result::Result<S::Ok, S::Error> {
    match partitions {
        Some(p) => topic_partitions(p, s),
        None => s.serialize_none(),
    }
}

impl GroupMember {
    /// The member has not yet taken (or given up) what the coordinator assigned it.
    pub fn reconciling(&self) -> bool {
        self.target_assignment.as_ref().is_some_and(|target| {
            let mut now = self.assignment.clone();
            let mut target = target.clone();
            now.sort();
            target.sort();
            now != target
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GroupDescription {
    pub group_id: String,
    pub kind: GroupKind,
    pub state: String,
    pub protocol_type: String,
    /// The assignor: the classic protocol's chosen one, or the consumer protocol's server-side
    /// assignor (`uniform`, `range`).
    pub protocol: String,
    pub coordinator: i32,
    /// Consumer and share groups: the group's epoch and the epoch of its target assignment.
    pub group_epoch: Option<i32>,
    pub assignment_epoch: Option<i32>,
    pub members: Vec<GroupMember>,
    /// Why kview cannot say more (a streams group: no describe API it speaks).
    pub note: Option<String>,
}

impl GroupDescription {
    /// Kafka's own answer for a group that does not exist: state Dead, nobody in it.
    pub fn dead(group: &str, kind: GroupKind, coordinator: i32) -> Self {
        GroupDescription {
            group_id: group.to_owned(),
            kind,
            state: "Dead".into(),
            protocol_type: String::new(),
            protocol: String::new(),
            coordinator,
            group_epoch: None,
            assignment_epoch: None,
            members: Vec::new(),
            note: None,
        }
    }

    /// Members that have not yet taken what the coordinator assigned them.
    pub fn reconciling(&self) -> usize {
        self.members.iter().filter(|m| m.reconciling()).count()
    }
}

/// Where a share group starts on a partition (DescribeShareGroupOffsets): records before it
/// are delivered and acknowledged; −1 before the group has read the partition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ShareStartOffset {
    pub topic: String,
    pub partition: i32,
    pub start_offset: i64,
}

/// A committed offset of a group on one partition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CommittedOffset {
    pub topic: String,
    pub partition: i32,
    pub offset: i64,
    pub metadata: Option<String>,
}

/// Where a consumer starts reading a partition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StartAt {
    Beginning,
    End,
    Offset(i64),
    /// N records before the end.
    FromEnd(i64),
    /// The first record at or after this time, in Unix milliseconds.
    Timestamp(i64),
}

/// "the beginning", "offset 7093", "100 before the end", "time 1700000000000 (Unix ms)": for logs.
impl std::fmt::Display for StartAt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StartAt::Beginning => f.write_str("the beginning"),
            StartAt::End => f.write_str("the end"),
            StartAt::Offset(o) => write!(f, "offset {o}"),
            StartAt::FromEnd(n) => write!(f, "{n} before the end of each partition"),
            StartAt::Timestamp(ms) => write!(f, "time {ms} (Unix ms)"),
        }
    }
}

impl std::str::FromStr for StartAt {
    type Err = String;

    /// `beginning`/`end`, an offset, `-N` (N before the end), `@UNIX_MS` or an RFC 3339 time.
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        let bad = || {
            format!(
                "invalid offset {s:?}: use beginning, end, a number, -N (N before the end), @UNIX_MS or an RFC 3339 time"
            )
        };
        if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
            return Ok(StartAt::Timestamp(t.timestamp_millis()));
        }
        match s {
            "beginning" | "earliest" | "start" => Ok(StartAt::Beginning),
            "end" | "latest" => Ok(StartAt::End),
            _ => {
                if let Some(ms) = s.strip_prefix('@') {
                    ms.parse::<i64>()
                        .ok()
                        .filter(|ms| *ms >= 0)
                        .map(StartAt::Timestamp)
                        .ok_or_else(bad)
                } else if let Some(n) = s.strip_prefix('-') {
                    n.parse::<i64>().ok().map(StartAt::FromEnd).ok_or_else(bad)
                } else {
                    s.parse::<i64>().ok().map(StartAt::Offset).ok_or_else(bad)
                }
            }
        }
    }
}

/// Checks a topic name against Kafka's rules before a broker sees it.
pub fn validate_topic_name(name: &str) -> Result<()> {
    let why = if name.is_empty() {
        Some("it is empty")
    } else if name == "." || name == ".." {
        Some("'.' and '..' are not allowed")
    } else if name.len() > 249 {
        Some("it is longer than 249 characters")
    } else if !name
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'_' || b == b'-')
    {
        Some("only ASCII letters, digits, '.', '_' and '-' are allowed")
    } else {
        None
    };
    match why {
        Some(why) => Err(KafkaError::InvalidTopicName {
            name: name.to_owned(),
            why,
        }),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_start_positions() {
        assert_eq!("beginning".parse(), Ok(StartAt::Beginning));
        assert_eq!("end".parse(), Ok(StartAt::End));
        assert_eq!("42".parse(), Ok(StartAt::Offset(42)));
        assert_eq!("-10".parse(), Ok(StartAt::FromEnd(10)));
        assert_eq!(
            "@1700000000000".parse(),
            Ok(StartAt::Timestamp(1_700_000_000_000))
        );
        assert!(
            "soon"
                .parse::<StartAt>()
                .unwrap_err()
                .contains("invalid offset")
        );
        assert!("@x".parse::<StartAt>().is_err());
        assert!("@-5".parse::<StartAt>().is_err());
        assert_eq!(
            "2023-11-14T22:13:20Z".parse(),
            Ok(StartAt::Timestamp(1_700_000_000_000))
        );
    }

    #[test]
    fn validates_topic_names_like_kafka() {
        assert!(validate_topic_name("orders.v1_eu-west").is_ok());
        for bad in ["", ".", "..", "has space", "ümlaut", "a/b"] {
            assert!(validate_topic_name(bad).is_err(), "{bad:?}");
        }
        assert!(validate_topic_name(&"x".repeat(250)).is_err());
        assert!(validate_topic_name(&"x".repeat(249)).is_ok());
    }
}
