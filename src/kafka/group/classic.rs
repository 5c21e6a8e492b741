//! The classic group protocol: JoinGroup, SyncGroup, Heartbeat, LeaveGroup. Every member joins
//! with its subscription (Kafka's ConsumerProtocol encoding, so Java members read it); the
//! coordinator picks a leader, which assigns with the group's assignor and hands the assignment
//! in at SyncGroup. A heartbeat answered REBALANCE_IN_PROGRESS means join again.
//!
//! Range is eager: a member gives everything up before it joins. Cooperative-sticky is not: a
//! member keeps reading what it keeps, gives up what the assignment leaves out and joins again
//! at once, so the partitions it gave up go to their new members in the next round.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use bytes::{Buf, BufMut, Bytes, BytesMut};
use kafka_protocol::messages::consumer_protocol_assignment::TopicPartition as AssignedPartitions;
use kafka_protocol::messages::consumer_protocol_subscription::TopicPartition as OwnedPartitions;
use kafka_protocol::messages::{
    ConsumerProtocolAssignment, ConsumerProtocolSubscription, TopicName,
};
use kafka_protocol::protocol::{Decodable, Encodable, StrBytes};
use tokio::sync::{mpsc, watch};

use super::assignors::{self, MemberState};
use super::{
    Assignor, Change, MemberIdentity, MemberSettings, Subscription, TopicPartition, change,
    stopping,
};
use crate::kafka::client::membership::{ClassicJoin, ClassicMember, membership_error};
use crate::kafka::pool::FetchLane;
use crate::kafka::{KafkaClient, KafkaError, Result};

/// The ConsumerProtocol versions kview writes; readers take any version up to theirs.
const SUBSCRIPTION_VERSION: i16 = 3;
const ASSIGNMENT_VERSION: i16 = 3;

const ILLEGAL_GENERATION: i16 = 22;
const UNKNOWN_MEMBER_ID: i16 = 25;
const REBALANCE_IN_PROGRESS: i16 = 27;
const MEMBER_ID_REQUIRED: i16 = 79;

/// Where a member stands between requests.
struct Member<'a> {
    client: &'a KafkaClient,
    settings: &'a MemberSettings,
    lane: FetchLane,
    member_id: String,
    generation: i32,
    owned: BTreeSet<TopicPartition>,
}

impl Member<'_> {
    fn me(&self) -> ClassicMember<'_> {
        ClassicMember {
            group: &self.settings.group,
            member_id: &self.member_id,
            generation: self.generation,
            instance_id: self.settings.instance_id.as_deref(),
        }
    }

    /// Leaves the group (a static member stays, to come back to its partitions).
    async fn leave(&self) -> Result<()> {
        if !self.member_id.is_empty() && self.settings.instance_id.is_none() {
            self.client.leave_group(&self.lane, self.me()).await?;
        }
        tracing::info!("left group {:?}", self.settings.group);
        Ok(())
    }

    /// The group forgot this member or moved on without it: what it owned may be someone
    /// else's already, so it is dropped without a commit.
    async fn lose_all(&mut self, changes: &mpsc::Sender<Change>) -> bool {
        if self.owned.is_empty() {
            return true;
        }
        let revoked: Vec<_> = std::mem::take(&mut self.owned).into_iter().collect();
        let (lost, handed) = change(BTreeSet::new(), revoked, Vec::new(), true);
        changes.send(lost).await.is_ok() && handed.await.is_ok()
    }

    /// Moves to owning `target`: what it leaves out is given up (committed by the consumer
    /// first), `assigned` is new. False when the consumer has stopped.
    async fn move_to(
        &mut self,
        changes: &mpsc::Sender<Change>,
        target: BTreeSet<TopicPartition>,
        assigned: Vec<TopicPartition>,
    ) -> bool {
        let revoked: Vec<_> = self.owned.difference(&target).cloned().collect();
        let (moved, handed) = change(target.clone(), revoked, assigned, false);
        self.owned = target;
        changes.send(moved).await.is_ok() && handed.await.is_ok()
    }
}

/// What a join ended with.
enum Joined {
    /// In the group with this assignment.
    Assigned(BTreeSet<TopicPartition>),
    /// Join again (a rebalance began, the member id was given or forgotten).
    Again,
}

pub(super) async fn run(
    client: &KafkaClient,
    settings: &MemberSettings,
    changes: &mpsc::Sender<Change>,
    identity: &watch::Sender<MemberIdentity>,
    stop: &mut watch::Receiver<bool>,
) -> Result<()> {
    let mut member = Member {
        client,
        settings,
        lane: client.fetch_lane(),
        member_id: String::new(),
        generation: -1,
        owned: BTreeSet::new(),
    };
    let interval = (settings.session_timeout / 3).min(Duration::from_secs(3));
    let mut said_joined = false;
    'join: loop {
        if stopping(stop) {
            return member.leave().await;
        }
        if settings.assignor == Assignor::Range
            && !member.owned.is_empty()
            && !member.move_to(changes, BTreeSet::new(), Vec::new()).await
        {
            return member.leave().await;
        }
        // Not given up half-way when asked to stop: a request dropped mid-answer would leave
        // its reply on the member's connection for the next one to read. The coordinator
        // answers within the rebalance timeout.
        let topics = subscribed_topics(client, &settings.subscription).await?;
        let mut rechecked = Instant::now();
        let target = match join(&mut member, &topics).await? {
            Joined::Again => continue 'join,
            Joined::Assigned(target) => target,
        };
        identity.send_replace(MemberIdentity {
            member_id: member.member_id.clone(),
            epoch: member.generation,
            protocol: "classic",
        });
        if !said_joined {
            said_joined = true;
            tracing::info!(
                "joined group {:?} (classic protocol, {}, generation {})",
                settings.group,
                settings.assignor.name(),
                member.generation
            );
        }
        let assigned: Vec<_> = target.difference(&member.owned).cloned().collect();
        let gave_up = !member.owned.is_subset(&target);
        if (gave_up || !assigned.is_empty()) && !member.move_to(changes, target, assigned).await {
            return member.leave().await;
        }
        if gave_up && settings.assignor == Assignor::CooperativeSticky {
            // What this member gave up goes to its new owner in the next round.
            continue 'join;
        }
        loop {
            tokio::select! {
                _ = tokio::time::sleep(interval) => {}
                _ = stop.changed() => {}
            }
            if stopping(stop) {
                return member.leave().await;
            }
            if matches!(settings.subscription, Subscription::Regex(_))
                && rechecked.elapsed() >= REGEX_RECHECK
            {
                rechecked = Instant::now();
                if subscribed_topics(client, &settings.subscription).await? != topics {
                    // Joining with the new subscription starts a rebalance that takes it in.
                    continue 'join;
                }
            }
            match client.group_heartbeat(&member.lane, member.me()).await? {
                0 => {}
                REBALANCE_IN_PROGRESS => continue 'join,
                code @ (ILLEGAL_GENERATION | UNKNOWN_MEMBER_ID) => {
                    tracing::warn!(
                        "group {:?}: this member was dropped ({}); joining again",
                        settings.group,
                        crate::kafka::error::error_name(code)
                    );
                    if code == UNKNOWN_MEMBER_ID {
                        member.member_id.clear();
                    }
                    if !member.lose_all(changes).await {
                        return Ok(());
                    }
                    continue 'join;
                }
                code => return Err(fatal(code, &settings.group)),
            }
        }
    }
}

/// How often a regex subscription looks again for topics it matches: the classic protocol's
/// members resolve their regex themselves (the coordinator of Kafka 4's protocol does it for
/// them), and a topic created later is read from the next look.
const REGEX_RECHECK: Duration = Duration::from_secs(10);

/// The topics a subscription names now. A regex matches whole names (as Kafka's consumers
/// match), and leaves the cluster's internal topics out as they do by default.
async fn subscribed_topics(
    client: &KafkaClient,
    subscription: &Subscription,
) -> Result<Vec<String>> {
    match subscription {
        Subscription::Topics(topics) => Ok(topics.clone()),
        Subscription::Regex(pattern) => {
            let whole = regex::Regex::new(&format!("^(?:{pattern})$"))
                .map_err(|e| KafkaError::Client(format!("{pattern}: not a regex: {e}")))?;
            let metadata = client.metadata(None).await?;
            Ok(metadata
                .topics
                .into_iter()
                .filter(|t| !t.internal && whole.is_match(&t.name))
                .map(|t| t.name)
                .collect())
        }
    }
}

fn fatal(code: i16, group: &str) -> KafkaError {
    membership_error(code, None, group)
        .unwrap_or_else(|| KafkaError::Client(format!("group {group:?}: error code {code}")))
}

/// One JoinGroup and SyncGroup: the assignment, or a reason to join again.
async fn join(member: &mut Member<'_>, topics: &[String]) -> Result<Joined> {
    let settings = member.settings;
    let offer = ClassicJoin {
        session_timeout: settings.session_timeout,
        rebalance_timeout: settings.rebalance_timeout,
        protocols: vec![(
            settings.assignor.name().to_owned(),
            encode_subscription(topics, &member.owned, member.generation),
        )],
    };
    let joined = member
        .client
        .join_group(&member.lane, member.me(), &offer)
        .await?;
    match joined.error_code {
        0 => {}
        // A first join learns its member id, and joins again with it.
        MEMBER_ID_REQUIRED => {
            member.member_id = joined.member_id.to_string();
            return Ok(Joined::Again);
        }
        UNKNOWN_MEMBER_ID => {
            member.member_id.clear();
            return Ok(Joined::Again);
        }
        REBALANCE_IN_PROGRESS | ILLEGAL_GENERATION => return Ok(Joined::Again),
        code => return Err(fatal(code, &settings.group)),
    }
    member.member_id = joined.member_id.to_string();
    member.generation = joined.generation_id;
    let protocol = joined
        .protocol_name
        .map(|p| p.to_string())
        .unwrap_or_else(|| settings.assignor.name().to_owned());
    let assignments = if joined.leader.as_str() == member.member_id {
        let members = joined
            .members
            .iter()
            .map(|m| Ok((m.member_id.to_string(), decode_subscription(&m.metadata)?)))
            .collect::<Result<BTreeMap<_, _>>>()?;
        lead(member.client, &protocol, &members).await?
    } else {
        Vec::new()
    };
    let synced = member
        .client
        .sync_group(
            &member.lane,
            member.me(),
            &protocol,
            &assignments,
            settings.rebalance_timeout,
        )
        .await?;
    match synced.error_code {
        0 => {}
        UNKNOWN_MEMBER_ID => {
            member.member_id.clear();
            return Ok(Joined::Again);
        }
        REBALANCE_IN_PROGRESS | ILLEGAL_GENERATION => return Ok(Joined::Again),
        code => return Err(fatal(code, &settings.group)),
    }
    let mine = decode_assignment(&synced.assignment)?;
    Ok(Joined::Assigned(
        mine.into_iter()
            .filter(|(t, _)| topics.contains(t))
            .collect(),
    ))
}

/// The leader's work: every member's partitions by the group's assignor, encoded.
async fn lead(
    client: &KafkaClient,
    protocol: &str,
    members: &BTreeMap<String, MemberState>,
) -> Result<Vec<(String, Bytes)>> {
    let wanted: BTreeSet<&String> = members.values().flat_map(|m| &m.topics).collect();
    let mut partitions: BTreeMap<String, i32> = BTreeMap::new();
    for topic in wanted {
        match client.topic(topic).await {
            Ok(info) => {
                partitions.insert(topic.clone(), info.partitions.len() as i32);
            }
            // A topic that does not exist (yet) is assigned to no one.
            Err(e) => tracing::warn!("group leader: topic {topic:?}: {e}"),
        }
    }
    let assignment = match protocol {
        "range" => assignors::range(members, &partitions),
        "cooperative-sticky" => assignors::cooperative_sticky(members, &partitions),
        other => {
            return Err(KafkaError::Client(format!(
                "the group chose assignor {other:?}, which kview does not run"
            )));
        }
    };
    Ok(assignment
        .into_iter()
        .map(|(member, list)| (member, encode_assignment(&list)))
        .collect())
}

fn by_topic(list: &[TopicPartition]) -> BTreeMap<&str, Vec<i32>> {
    let mut out: BTreeMap<&str, Vec<i32>> = BTreeMap::new();
    for (topic, partition) in list {
        out.entry(topic.as_str()).or_default().push(*partition);
    }
    out
}

fn name(topic: &str) -> TopicName {
    TopicName(StrBytes::from_string(topic.to_owned()))
}

/// Kafka's ConsumerProtocol: a version (i16), then the message in that version.
fn encode_versioned(version: i16, message: &impl Encodable) -> Bytes {
    let mut buf = BytesMut::new();
    buf.put_i16(version);
    message
        .encode(&mut buf, version)
        .expect("kview's own subscriptions and assignments encode");
    buf.freeze()
}

fn encode_subscription(
    topics: &[String],
    owned: &BTreeSet<TopicPartition>,
    generation: i32,
) -> Bytes {
    let owned: Vec<TopicPartition> = owned.iter().cloned().collect();
    let subscription = ConsumerProtocolSubscription::default()
        .with_topics(
            topics
                .iter()
                .map(|t| StrBytes::from_string(t.clone()))
                .collect(),
        )
        .with_owned_partitions(
            by_topic(&owned)
                .into_iter()
                .map(|(t, ps)| {
                    OwnedPartitions::default()
                        .with_topic(name(t))
                        .with_partitions(ps)
                })
                .collect(),
        )
        .with_generation_id(generation);
    encode_versioned(SUBSCRIPTION_VERSION, &subscription)
}

fn encode_assignment(list: &[TopicPartition]) -> Bytes {
    let assignment = ConsumerProtocolAssignment::default().with_assigned_partitions(
        by_topic(list)
            .into_iter()
            .map(|(t, ps)| {
                AssignedPartitions::default()
                    .with_topic(name(t))
                    .with_partitions(ps)
            })
            .collect(),
    );
    encode_versioned(ASSIGNMENT_VERSION, &assignment)
}

/// Reads a version header and the message; a newer version than kview knows is read as the
/// newest it knows (the protocol only ever adds fields at the end).
fn decode_versioned<M: Decodable>(bytes: &[u8], newest: i16, what: &str) -> Result<M> {
    let mut buf = Bytes::copy_from_slice(bytes);
    if buf.remaining() < 2 {
        return Err(KafkaError::Client(format!("a member's {what} is empty")));
    }
    let version = buf.get_i16().min(newest);
    M::decode(&mut buf, version)
        .map_err(|e| KafkaError::Client(format!("a member's {what} does not decode: {e}")))
}

fn decode_subscription(bytes: &[u8]) -> Result<MemberState> {
    let s: ConsumerProtocolSubscription =
        decode_versioned(bytes, SUBSCRIPTION_VERSION, "subscription")?;
    Ok(MemberState {
        topics: s.topics.iter().map(|t| t.to_string()).collect(),
        owned: s
            .owned_partitions
            .iter()
            .flat_map(|t| t.partitions.iter().map(|p| (t.topic.0.to_string(), *p)))
            .collect(),
    })
}

fn decode_assignment(bytes: &[u8]) -> Result<Vec<TopicPartition>> {
    // A member left out of this round's assignment gets nothing at all.
    if bytes.is_empty() {
        return Ok(Vec::new());
    }
    let a: ConsumerProtocolAssignment = decode_versioned(bytes, ASSIGNMENT_VERSION, "assignment")?;
    Ok(a.assigned_partitions
        .iter()
        .flat_map(|t| t.partitions.iter().map(|p| (t.topic.0.to_string(), *p)))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subscriptions_and_assignments_read_back_as_written() {
        let owned: BTreeSet<TopicPartition> = [
            ("a".to_owned(), 2),
            ("a".to_owned(), 0),
            ("b".to_owned(), 1),
        ]
        .into();
        let bytes = encode_subscription(&["a".into(), "b".into()], &owned, 7);
        assert_eq!(&bytes[..2], &[0, 3], "the version comes first");
        let read = decode_subscription(&bytes).unwrap();
        assert_eq!(read.topics, ["a".to_owned(), "b".to_owned()].into());
        let mut read_owned = read.owned.clone();
        read_owned.sort();
        assert_eq!(read_owned, owned.into_iter().collect::<Vec<_>>());

        let list = vec![
            ("a".to_owned(), 0),
            ("a".to_owned(), 3),
            ("c".to_owned(), 9),
        ];
        assert_eq!(decode_assignment(&encode_assignment(&list)).unwrap(), list);
        assert_eq!(decode_assignment(&[]).unwrap(), Vec::new());
    }

    #[test]
    fn a_java_members_version_0_subscription_reads() {
        // Version 0 as Kafka's ConsumerProtocol writes it: topics ["t"], no user data.
        let bytes = [0, 0, 0, 0, 0, 1, 0, 1, b't', 0xff, 0xff, 0xff, 0xff];
        let read = decode_subscription(&bytes).unwrap();
        assert_eq!(read.topics, ["t".to_owned()].into());
        assert!(read.owned.is_empty());
        assert!(decode_subscription(&[0]).is_err());
    }
}
