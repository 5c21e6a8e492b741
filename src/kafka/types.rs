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

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PartitionInfo {
    pub id: i32,
    /// −1 when the partition has no leader (offline).
    pub leader: i32,
    pub replicas: Vec<i32>,
    pub isr: Vec<i32>,
    pub offline_replicas: Vec<i32>,
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

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GroupListing {
    pub group_id: String,
    pub protocol_type: String,
    pub state: String,
    pub group_type: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GroupMember {
    pub member_id: String,
    pub client_id: String,
    pub host: String,
    /// Partitions assigned to this member, when its assignment is a consumer assignment.
    pub assignment: Vec<(String, i32)>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GroupDescription {
    pub group_id: String,
    pub state: String,
    pub protocol_type: String,
    pub protocol: String,
    pub coordinator: i32,
    pub members: Vec<GroupMember>,
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
            StartAt::FromEnd(n) => write!(f, "{n} before the end"),
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
