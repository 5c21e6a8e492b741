//! Being a member of a consumer group. The membership runs beside its consumer and speaks the
//! protocol; the consumer only hears what it owns now ([`Change`]) and answers when it has let
//! go of what it lost (after committing it), so a partition is never read by two members.
//!
//! Two protocols are spoken: Kafka 4's consumer protocol (KIP-848, `kip848`), where the
//! coordinator assigns, and the classic one (`classic`), where the group's leader does, for
//! brokers before 4.0 or by choice. With `GroupProtocol::Auto` the consumer protocol is tried
//! first and the classic one used when the broker does not offer it.

use std::collections::BTreeSet;
use std::time::Duration;

use tokio::sync::{mpsc, oneshot, watch};

pub mod assignors;
mod classic;
mod kip848;
pub mod reading;

use super::{KafkaClient, KafkaError, Result};

/// A topic and partition.
pub type TopicPartition = (String, i32);

/// What a member reads: topics by name, or every topic a regex matches (the broker's RE2J).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subscription {
    Topics(Vec<String>),
    Regex(String),
}

/// Which group protocol a member speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum GroupProtocol {
    /// The consumer protocol when the broker offers it, else the classic one.
    #[default]
    Auto,
    Consumer,
    Classic,
}

/// The classic protocol's assignor this member offers (and runs when it leads the group).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Assignor {
    /// Partitions move one rebalance after their owner gave them up; the others keep reading.
    #[default]
    CooperativeSticky,
    /// Ranges per topic; every member gives everything up before each rebalance (eager).
    Range,
}

impl Assignor {
    pub fn name(self) -> &'static str {
        match self {
            Assignor::CooperativeSticky => "cooperative-sticky",
            Assignor::Range => "range",
        }
    }
}

#[derive(Debug, Clone)]
pub struct MemberSettings {
    pub group: String,
    pub subscription: Subscription,
    pub protocol: GroupProtocol,
    /// How long the group waits for this member to give partitions up in a rebalance.
    pub rebalance_timeout: Duration,
    /// Static membership: a member that comes back under the same id keeps its partitions.
    pub instance_id: Option<String>,
    /// The classic protocol's session timeout (the consumer protocol's is the group's config,
    /// `consumer.session.timeout.ms`).
    pub session_timeout: Duration,
    pub assignor: Assignor,
}

impl MemberSettings {
    /// A member of `group` reading `topics`, with Kafka's defaults.
    pub fn new(group: &str, topics: Vec<String>) -> Self {
        MemberSettings {
            group: group.to_owned(),
            subscription: Subscription::Topics(topics),
            protocol: GroupProtocol::Auto,
            rebalance_timeout: Duration::from_secs(60),
            instance_id: None,
            session_timeout: Duration::from_secs(45),
            assignor: Assignor::CooperativeSticky,
        }
    }
}

/// Who the member is now: commits carry its id and epoch (the classic protocol's generation).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MemberIdentity {
    pub member_id: String,
    pub epoch: i32,
    /// The protocol in use, once joined: `consumer` or `classic`.
    pub protocol: &'static str,
}

/// The partitions a member owns from now on. `lost` ones were taken without a chance to
/// commit (the member was fenced); `revoked` ones are to be committed and given up. The
/// consumer answers on `done` once it no longer reads what it gave up.
#[derive(Debug)]
pub struct Change {
    pub owned: BTreeSet<TopicPartition>,
    pub revoked: Vec<TopicPartition>,
    pub assigned: Vec<TopicPartition>,
    pub lost: bool,
    pub done: oneshot::Sender<()>,
}

/// Runs a member of `settings.group` until `stop` turns true (or the consumer is gone), then
/// leaves the group. Changes go to `changes`; the member's identity to `identity`. Ends with
/// an error when the group cannot have this member (an authorization failure, a full group).
pub async fn run_member(
    client: &KafkaClient,
    settings: &MemberSettings,
    changes: mpsc::Sender<Change>,
    identity: watch::Sender<MemberIdentity>,
    mut stop: watch::Receiver<bool>,
) -> Result<()> {
    member(client, settings, changes, identity, &mut stop)
        .await
        .map_err(|e| {
            e.denied_to(&client.principal(), "Read", || {
                format!("group {}", settings.group)
            })
        })
}

async fn member(
    client: &KafkaClient,
    settings: &MemberSettings,
    changes: mpsc::Sender<Change>,
    identity: watch::Sender<MemberIdentity>,
    stop: &mut watch::Receiver<bool>,
) -> Result<()> {
    match settings.protocol {
        GroupProtocol::Consumer => kip848::run(client, settings, &changes, &identity, stop).await,
        GroupProtocol::Classic => classic::run(client, settings, &changes, &identity, stop).await,
        GroupProtocol::Auto => {
            match kip848::run(client, settings, &changes, &identity, stop).await {
                Err(e) if offers_no_consumer_protocol(&e) => {
                    tracing::info!(
                        "group {:?}: the broker does not offer Kafka 4's consumer protocol; \
                         joining with the classic one",
                        settings.group
                    );
                    classic::run(client, settings, &changes, &identity, stop).await
                }
                other => other,
            }
        }
    }
}

/// A broker before 4.0 has no ConsumerGroupHeartbeat; one with the protocol switched off
/// answers UNSUPPORTED_VERSION.
fn offers_no_consumer_protocol(e: &KafkaError) -> bool {
    matches!(e, KafkaError::Unsupported { .. }) || e.broker_code() == Some(35)
}

/// A change and the receiver its consumer answers on.
fn change(
    owned: BTreeSet<TopicPartition>,
    revoked: Vec<TopicPartition>,
    assigned: Vec<TopicPartition>,
    lost: bool,
) -> (Change, oneshot::Receiver<()>) {
    let (done, handed) = oneshot::channel();
    let change = Change {
        owned,
        revoked,
        assigned,
        lost,
        done,
    };
    (change, handed)
}

/// Whether the member is to leave: asked to, or its consumer ended (even on an error, without
/// a word), which takes the member along.
fn stopping(stop: &watch::Receiver<bool>) -> bool {
    *stop.borrow() || stop.has_changed().is_err()
}
