//! Kafka 4's consumer protocol (KIP-848): the member names itself (a UUID), heartbeats at the
//! interval the coordinator gives, and the coordinator assigns. A fenced or forgotten member
//! drops what it owned without committing and joins again.

use std::collections::{BTreeSet, HashMap};
use std::time::Duration;

use kafka_protocol::messages::consumer_group_heartbeat_request::TopicPartitions;
use kafka_protocol::messages::{ConsumerGroupHeartbeatRequest, GroupId, TopicName};
use kafka_protocol::protocol::StrBytes;
use tokio::sync::{mpsc, oneshot, watch};
use uuid::Uuid;

use super::{
    Change, MemberIdentity, MemberSettings, Subscription, TopicPartition, change, stopping,
};
use crate::kafka::client::membership::membership_error;
use crate::kafka::{KafkaClient, Result};

/// Heartbeats until `stop` turns true, then leaves the group (see `run_member`).
pub(super) async fn run(
    client: &KafkaClient,
    settings: &MemberSettings,
    changes: &mpsc::Sender<Change>,
    identity: &watch::Sender<MemberIdentity>,
    stop: &mut watch::Receiver<bool>,
) -> Result<()> {
    let member_id = Uuid::new_v4().to_string();
    let mut epoch = 0;
    let mut owned: BTreeSet<TopicPartition> = BTreeSet::new();
    let mut ids: HashMap<Uuid, String> = HashMap::new();
    let mut interval = Duration::from_secs(3);
    let mut said_joined = false;
    loop {
        let leaving = stopping(stop);
        // Leaving: -1, or -2 for a static member, whose partitions wait for it to come back.
        let epoch_sent = match (leaving, &settings.instance_id) {
            (false, _) => epoch,
            (true, None) => -1,
            (true, Some(_)) => -2,
        };
        let request = heartbeat(settings, &member_id, epoch_sent, &owned, &ids);
        let response = client.consumer_heartbeat(&request).await?;
        if leaving {
            tracing::info!("left group {:?}", settings.group);
            return Ok(());
        }
        let message = response.error_message.as_ref().map(|m| m.to_string());
        if let Some(e) = membership_error(response.error_code, message.as_deref(), &settings.group)
        {
            return Err(e);
        }
        if response.error_code != 0 {
            // FENCED_MEMBER_EPOCH or UNKNOWN_MEMBER_ID: what was owned may be someone else's
            // already; drop it without committing and join again.
            tracing::warn!(
                "group {:?}: this member was fenced ({}); joining again",
                settings.group,
                crate::kafka::error::error_name(response.error_code)
            );
            epoch = 0;
            if !owned.is_empty() {
                let revoked: Vec<_> = std::mem::take(&mut owned).into_iter().collect();
                let (lost, handed) = change(BTreeSet::new(), revoked, Vec::new(), true);
                // Nothing is owned any more: the consumer may take its time.
                if changes.send(lost).await.is_err() || handed.await.is_err() {
                    return Ok(());
                }
            }
            continue;
        }
        epoch = response.member_epoch;
        if response.heartbeat_interval_ms > 0 {
            interval = Duration::from_millis(response.heartbeat_interval_ms as u64);
        }
        identity.send_replace(MemberIdentity {
            member_id: member_id.clone(),
            epoch,
            protocol: "consumer",
        });
        if !said_joined {
            said_joined = true;
            tracing::info!("joined group {:?} (epoch {epoch})", settings.group);
        }
        let mut acknowledge_now = false;
        if let Some(assignment) = response.assignment {
            let missing = assignment
                .topic_partitions
                .iter()
                .any(|t| !ids.contains_key(&t.topic_id));
            if missing {
                ids = client.topic_ids(None).await?;
            }
            let target: BTreeSet<TopicPartition> = assignment
                .topic_partitions
                .iter()
                .filter_map(|t| ids.get(&t.topic_id).map(|name| (name, &t.partitions)))
                .flat_map(|(name, ps)| ps.iter().map(|p| (name.clone(), *p)))
                .collect();
            if target != owned {
                let revoked: Vec<_> = owned.difference(&target).cloned().collect();
                let assigned: Vec<_> = target.difference(&owned).cloned().collect();
                let (moved, handed) = change(target.clone(), revoked, assigned, false);
                let keep_alive = KeepAlive {
                    client,
                    settings,
                    member_id: &member_id,
                    epoch,
                    owned: &owned,
                    ids: &ids,
                    interval,
                };
                if !hand_over(changes, moved, handed, keep_alive).await? {
                    // The consumer is gone: leave rather than hold partitions no one reads.
                    let request = heartbeat(settings, &member_id, -1, &target, &ids);
                    client.consumer_heartbeat(&request).await?;
                    return Ok(());
                }
                owned = target;
                // The coordinator waits to hear what this member owns before it moves on.
                acknowledge_now = true;
            }
        }
        if !acknowledge_now {
            tokio::select! {
                _ = tokio::time::sleep(interval) => {}
                _ = stop.changed() => {}
            }
        }
    }
}

/// Tells the consumer what it owns now and waits until it has let go of what it lost; false
/// when the consumer has stopped. The member keeps heartbeating meanwhile (as what it owned
/// before), so a consumer slow to let go is not taken for dead.
async fn hand_over(
    changes: &mpsc::Sender<Change>,
    change: Change,
    handed: oneshot::Receiver<()>,
    keep_alive: KeepAlive<'_>,
) -> Result<bool> {
    let offer = async { changes.send(change).await.is_ok() && handed.await.is_ok() };
    tokio::pin!(offer);
    loop {
        tokio::select! {
            handed = &mut offer => return Ok(handed),
            _ = tokio::time::sleep(keep_alive.interval) => {
                let request = heartbeat(
                    keep_alive.settings,
                    keep_alive.member_id,
                    keep_alive.epoch,
                    keep_alive.owned,
                    keep_alive.ids,
                );
                // What it says (a new target, a fence) is heard again at the next heartbeat
                // after the hand-over: every heartbeat names what the member owns, so the
                // coordinator answers each with the whole assignment.
                keep_alive.client.consumer_heartbeat(&request).await?;
            }
        }
    }
}

/// What a member heartbeats with while its consumer takes a change in.
struct KeepAlive<'a> {
    client: &'a KafkaClient,
    settings: &'a MemberSettings,
    member_id: &'a str,
    epoch: i32,
    owned: &'a BTreeSet<TopicPartition>,
    ids: &'a HashMap<Uuid, String>,
    interval: Duration,
}

fn heartbeat(
    settings: &MemberSettings,
    member_id: &str,
    epoch: i32,
    owned: &BTreeSet<TopicPartition>,
    ids: &HashMap<Uuid, String>,
) -> ConsumerGroupHeartbeatRequest {
    let names: HashMap<&str, Uuid> = ids.iter().map(|(id, n)| (n.as_str(), *id)).collect();
    let mut by_topic: HashMap<Uuid, Vec<i32>> = HashMap::new();
    for (topic, partition) in owned {
        if let Some(id) = names.get(topic.as_str()) {
            by_topic.entry(*id).or_default().push(*partition);
        }
    }
    let mut request = ConsumerGroupHeartbeatRequest::default()
        .with_group_id(GroupId(StrBytes::from_string(settings.group.clone())))
        .with_member_id(StrBytes::from_string(member_id.to_owned()))
        .with_member_epoch(epoch)
        .with_instance_id(settings.instance_id.clone().map(StrBytes::from_string))
        .with_rebalance_timeout_ms(settings.rebalance_timeout.as_millis() as i32)
        .with_topic_partitions(Some(
            by_topic
                .into_iter()
                .map(|(id, partitions)| {
                    TopicPartitions::default()
                        .with_topic_id(id)
                        .with_partitions(partitions)
                })
                .collect(),
        ));
    request = match &settings.subscription {
        Subscription::Topics(topics) => request.with_subscribed_topic_names(Some(
            topics
                .iter()
                .map(|t| TopicName(StrBytes::from_string(t.clone())))
                .collect(),
        )),
        Subscription::Regex(regex) => {
            request.with_subscribed_topic_regex(Some(StrBytes::from_string(regex.clone())))
        }
    };
    request
}
