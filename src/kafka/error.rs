//! Errors of the connection layer, worded for the one line a user sees.

use std::time::Duration;

use kafka_protocol::error::ResponseError;
use thiserror::Error;

pub type Result<T, E = KafkaError> = std::result::Result<T, E>;

#[derive(Debug, Error)]
pub enum KafkaError {
    #[error("cannot reach {addr}: {reason}")]
    Unreachable { addr: String, reason: String },

    #[error("connection to {addr} lost: {reason}")]
    ConnectionLost { addr: String, reason: String },

    #[error("timed out after {}s waiting for {what}", .after.as_secs_f32())]
    Timeout { what: String, after: Duration },

    /// A port that took the connection and never answered Kafka's first request: a hung
    /// broker, or not a Kafka listener at all (an HTTP server waits for a request line).
    #[error("no Kafka answer from {addr}: timed out after {}s waiting for ApiVersions; is this a Kafka listener?", .after.as_secs_f32())]
    NoKafkaAnswer { addr: String, after: Duration },

    #[error("unknown topic {0:?}")]
    UnknownTopic(String),

    #[error("topic {0:?} already exists")]
    TopicExists(String),

    #[error("topic {topic:?} has no partition {partition} ({})", partition_range(*.count))]
    UnknownPartition {
        topic: String,
        partition: i32,
        count: usize,
    },

    #[error("invalid topic name {name:?}: {why}")]
    InvalidTopicName { name: String, why: &'static str },

    #[error("{context}: {error}")]
    Broker {
        context: String,
        error: BrokerErrorText,
    },

    #[error("broker does not support {api} (needs a version in {wanted}, broker offers {offered})")]
    Unsupported {
        api: &'static str,
        wanted: String,
        offered: String,
    },

    #[error("unexpected answer from {addr}: {detail}")]
    Protocol { addr: String, detail: String },

    #[error("{addr} does not speak Kafka (it answered like {answered}){}", if *.answered == "TLS" { ": its security protocol is SSL or SASL_SSL" } else { "" })]
    NotKafka {
        addr: String,
        answered: &'static str,
    },

    #[error("TLS with {addr} failed: {reason}")]
    Tls { addr: String, reason: String },

    #[error("authentication failed for {user} at {addr} ({mechanism})")]
    AuthFailed {
        user: String,
        addr: String,
        mechanism: &'static str,
    },

    #[error("read-only mode: refusing to {0}")]
    ReadOnly(String),

    /// An ACL refused a request: who was refused what, as the missing ACL would be written.
    #[error("{who} may not {operation} {resource} ({code})")]
    Denied {
        who: String,
        operation: &'static str,
        resource: String,
        code: String,
    },

    #[error("{0}")]
    Client(String),
}

/// "partitions 0–2", "partition 0": a topic's partitions as people read a range.
fn partition_range(count: usize) -> String {
    match count {
        0 => "it has no partitions".to_owned(),
        1 => "its only partition is 0".to_owned(),
        n => format!("partitions 0–{}", n - 1),
    }
}

/// A broker's error code with its name and, when the broker sent one, its message.
#[derive(Debug, Clone)]
pub struct BrokerErrorText {
    pub code: i16,
    pub name: String,
    pub message: Option<String>,
}

impl std::fmt::Display for BrokerErrorText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.message {
            Some(m) if !m.is_empty() => write!(f, "{} ({m})", self.name),
            _ => write!(f, "{}", self.name),
        }
    }
}

impl KafkaError {
    /// Turns a non-zero error code into an error; zero is success.
    pub fn check(code: i16, message: Option<&str>, context: impl FnOnce() -> String) -> Result<()> {
        if code == 0 {
            return Ok(());
        }
        Err(KafkaError::Broker {
            context: context(),
            error: BrokerErrorText {
                code,
                name: error_name(code),
                message: message.map(str::to_owned),
            },
        })
    }

    /// The broker error code behind this error, if it is one.
    pub fn broker_code(&self) -> Option<i16> {
        match self {
            KafkaError::Broker { error, .. } => Some(error.code),
            KafkaError::Denied { code, .. } => AUTHORIZATION_CODES
                .iter()
                .find(|(_, name, _)| name == code)
                .map(|(c, ..)| *c),
            _ => None,
        }
    }

    /// An authorization failure worded as what was denied: `bob may not Read topic orders
    /// (TOPIC_AUTHORIZATION_FAILED)`. `resource` starts with its kind (`topic orders`, `group
    /// g`, `cluster`, `transactional-id t`); a refusal of another kind (a group member refused
    /// a topic) and other errors pass unchanged.
    pub fn denied_to(
        self,
        who: &str,
        operation: &'static str,
        resource: impl FnOnce() -> String,
    ) -> KafkaError {
        let Some(code) = self.broker_code() else {
            return self;
        };
        let Some((_, _, kind)) = AUTHORIZATION_CODES.iter().find(|(c, ..)| *c == code) else {
            return self;
        };
        if matches!(self, KafkaError::Denied { .. }) {
            return self;
        }
        let resource = resource();
        if resource.split(' ').next() != Some(*kind) {
            return self;
        }
        KafkaError::Denied {
            who: who.to_owned(),
            operation,
            resource,
            code: error_name(code),
        }
    }
}

/// The codes of ACL refusals, and the kind of resource each is about.
const AUTHORIZATION_CODES: [(i16, &str, &str); 4] = [
    (29, "TOPIC_AUTHORIZATION_FAILED", "topic"),
    (30, "GROUP_AUTHORIZATION_FAILED", "group"),
    (31, "CLUSTER_AUTHORIZATION_FAILED", "cluster"),
    (
        53,
        "TRANSACTIONAL_ID_AUTHORIZATION_FAILED",
        "transactional-id",
    ),
];

/// Whether a broker error code is an ACL's refusal.
pub fn is_authorization(code: i16) -> bool {
    AUTHORIZATION_CODES.iter().any(|(c, ..)| *c == code)
}

/// Kafka's name for an error code, e.g. `UNKNOWN_TOPIC_OR_PARTITION`.
pub fn error_name(code: i16) -> String {
    match ResponseError::try_from_code(code) {
        Some(ResponseError::Unknown(_)) | None => format!("error code {code}"),
        Some(e) => screaming_snake(&format!("{e:?}")),
    }
}

pub(crate) fn screaming_snake(camel: &str) -> String {
    let mut out = String::with_capacity(camel.len() + 8);
    for (i, c) in camel.chars().enumerate() {
        if c.is_uppercase() && i > 0 {
            out.push('_');
        }
        out.push(c.to_ascii_uppercase());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_error_codes_like_kafka_does() {
        assert_eq!(error_name(3), "UNKNOWN_TOPIC_OR_PARTITION");
        assert_eq!(error_name(1), "OFFSET_OUT_OF_RANGE");
        assert_eq!(error_name(9999), "error code 9999");
    }

    #[test]
    fn an_acl_refusal_says_who_may_not_do_what() {
        let e = KafkaError::check(29, None, || "fetch".into()).unwrap_err();
        let e = e.denied_to("bob", "Read", || "topic orders".into());
        assert_eq!(
            e.to_string(),
            "bob may not Read topic orders (TOPIC_AUTHORIZATION_FAILED)"
        );
        assert_eq!(e.broker_code(), Some(29));
        // Worded once: the innermost site knows best.
        let e = e.denied_to("bob", "Describe", || "cluster".into());
        assert!(e.to_string().contains("Read topic orders"));
        // A group's member refused a topic is not worded as the group's refusal.
        let topic = KafkaError::check(29, None, || "join".into()).unwrap_err();
        let topic = topic.denied_to("bob", "Read", || "group g".into());
        assert!(matches!(topic, KafkaError::Broker { .. }));
        let other = KafkaError::check(3, None, || "fetch".into()).unwrap_err();
        assert!(matches!(
            other.denied_to("bob", "Read", || unreachable!()),
            KafkaError::Broker { .. }
        ));
    }

    #[test]
    fn check_passes_zero_and_words_the_rest() {
        assert!(KafkaError::check(0, None, || unreachable!()).is_ok());
        let e = KafkaError::check(36, Some("exists"), || "create topic t".into()).unwrap_err();
        assert_eq!(
            e.to_string(),
            "create topic t: TOPIC_ALREADY_EXISTS (exists)"
        );
        assert_eq!(e.broker_code(), Some(36));
    }
}
