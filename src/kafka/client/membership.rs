//! The requests a member of a consumer group sends: heartbeats of Kafka 4's consumer protocol
//! (KIP-848) and the topic ids its assignments name; JoinGroup, SyncGroup, Heartbeat and
//! LeaveGroup of the classic protocol, each on the member's own connection (a JoinGroup is held
//! by the broker for a whole rebalance, and must not hold up anyone's other requests).

use std::collections::HashMap;
use std::time::Duration;

use bytes::Bytes;
use kafka_protocol::messages::join_group_request::JoinGroupRequestProtocol;
use kafka_protocol::messages::leave_group_request::MemberIdentity;
use kafka_protocol::messages::sync_group_request::SyncGroupRequestAssignment;
use kafka_protocol::messages::{
    ConsumerGroupHeartbeatRequest, ConsumerGroupHeartbeatResponse, GroupId, HeartbeatRequest,
    JoinGroupRequest, JoinGroupResponse, LeaveGroupRequest, SyncGroupRequest, SyncGroupResponse,
};
use kafka_protocol::protocol::StrBytes;
use uuid::Uuid;

use super::KafkaClient;
use super::groups::CoordinatorCall;
use crate::kafka::error::{KafkaError, Result};
use crate::kafka::pool::FetchLane;

impl KafkaClient {
    /// Topic ids by name (`names` None: every topic), as assignments of the consumer protocol
    /// name topics by id.
    pub async fn topic_ids(&self, names: Option<&[String]>) -> Result<HashMap<Uuid, String>> {
        let response = self
            .call_any(&super::metadata_request(names), Some(12))
            .await?;
        Ok(response
            .topics
            .into_iter()
            .filter(|t| t.error_code == 0 && !t.topic_id.is_nil())
            .filter_map(|t| Some((t.topic_id, t.name?.0.to_string())))
            .collect())
    }

    /// One ConsumerGroupHeartbeat to the group's coordinator (found again when it moves). The
    /// answer's error code is the caller's to read: fenced and unknown members rejoin.
    pub async fn consumer_heartbeat(
        &self,
        request: &ConsumerGroupHeartbeatRequest,
    ) -> Result<ConsumerGroupHeartbeatResponse> {
        self.check_writable("join a consumer group")?;
        let group = request.group_id.0.to_string();
        let (_, response) = self
            .call_coordinator(&group, request, None, |r| r.error_code)
            .await?;
        Ok(response)
    }
}

/// The consumer protocol's errors that end a membership: rejoining would not help.
pub fn membership_error(code: i16, message: Option<&str>, group: &str) -> Option<KafkaError> {
    match code {
        0 | 25 | 110 => None,
        _ => KafkaError::check(code, message, || format!("join group {group:?}")).err(),
    }
}

/// A classic-protocol member's identity in its requests.
#[derive(Debug, Clone, Copy)]
pub struct ClassicMember<'a> {
    pub group: &'a str,
    pub member_id: &'a str,
    pub generation: i32,
    pub instance_id: Option<&'a str>,
}

/// What a classic member joins with: its timeouts and the protocols (assignor name, its
/// subscription) it offers, preferred first.
#[derive(Debug, Clone)]
pub struct ClassicJoin {
    pub session_timeout: Duration,
    pub rebalance_timeout: Duration,
    pub protocols: Vec<(String, Bytes)>,
}

fn text(s: &str) -> StrBytes {
    StrBytes::from_string(s.to_owned())
}

impl KafkaClient {
    /// JoinGroup of the classic protocol, on the member's own lane: the coordinator holds it
    /// until the group's members have all joined (up to the rebalance timeout).
    pub async fn join_group(
        &self,
        lane: &FetchLane,
        member: ClassicMember<'_>,
        join: &ClassicJoin,
    ) -> Result<JoinGroupResponse> {
        self.check_writable("join a consumer group")?;
        let call = CoordinatorCall {
            lane: lane.lane(),
            cap: None,
            broker_wait: join.rebalance_timeout,
        };
        let build = |version: i16| {
            let protocols = join
                .protocols
                .iter()
                .map(|(name, metadata)| {
                    JoinGroupRequestProtocol::default()
                        .with_name(text(name))
                        .with_metadata(metadata.clone())
                })
                .collect();
            let mut request = JoinGroupRequest::default()
                .with_group_id(GroupId(text(member.group)))
                .with_session_timeout_ms(join.session_timeout.as_millis() as i32)
                .with_member_id(text(member.member_id))
                .with_protocol_type(text("consumer"))
                .with_protocols(protocols);
            if version >= 1 {
                request.rebalance_timeout_ms = join.rebalance_timeout.as_millis() as i32;
            }
            if version >= 5 {
                request.group_instance_id = member.instance_id.map(text);
            }
            request
        };
        let (_, _, response) = self
            .call_coordinator_with(member.group, call, build, |r| r.error_code)
            .await?;
        Ok(response)
    }

    /// SyncGroup: the leader hands in everyone's assignment, each member gets its own.
    pub async fn sync_group(
        &self,
        lane: &FetchLane,
        member: ClassicMember<'_>,
        protocol: &str,
        assignments: &[(String, Bytes)],
        wait: Duration,
    ) -> Result<SyncGroupResponse> {
        let call = CoordinatorCall {
            lane: lane.lane(),
            cap: None,
            broker_wait: wait,
        };
        let build = |version: i16| {
            let mut request = SyncGroupRequest::default()
                .with_group_id(GroupId(text(member.group)))
                .with_generation_id(member.generation)
                .with_member_id(text(member.member_id))
                .with_assignments(
                    assignments
                        .iter()
                        .map(|(id, bytes)| {
                            SyncGroupRequestAssignment::default()
                                .with_member_id(text(id))
                                .with_assignment(bytes.clone())
                        })
                        .collect(),
                );
            if version >= 3 {
                request.group_instance_id = member.instance_id.map(text);
            }
            if version >= 5 {
                request.protocol_type = Some(text("consumer"));
                request.protocol_name = Some(text(protocol));
            }
            request
        };
        let (_, _, response) = self
            .call_coordinator_with(member.group, call, build, |r| r.error_code)
            .await?;
        Ok(response)
    }

    /// Heartbeat of the classic protocol; the answer's error code is the caller's to read
    /// (REBALANCE_IN_PROGRESS means join again).
    pub async fn group_heartbeat(
        &self,
        lane: &FetchLane,
        member: ClassicMember<'_>,
    ) -> Result<i16> {
        let call = CoordinatorCall {
            lane: lane.lane(),
            cap: None,
            broker_wait: Duration::ZERO,
        };
        let build = |version: i16| {
            let mut request = HeartbeatRequest::default()
                .with_group_id(GroupId(text(member.group)))
                .with_generation_id(member.generation)
                .with_member_id(text(member.member_id));
            if version >= 3 {
                request.group_instance_id = member.instance_id.map(text);
            }
            request
        };
        let (_, _, response) = self
            .call_coordinator_with(member.group, call, build, |r| r.error_code)
            .await?;
        Ok(response.error_code)
    }

    /// LeaveGroup: the member's partitions go to the others at once, not at its session timeout.
    pub async fn leave_group(&self, lane: &FetchLane, member: ClassicMember<'_>) -> Result<()> {
        let call = CoordinatorCall {
            lane: lane.lane(),
            cap: None,
            broker_wait: Duration::ZERO,
        };
        let build = |version: i16| {
            let request = LeaveGroupRequest::default().with_group_id(GroupId(text(member.group)));
            if version >= 3 {
                request.with_members(vec![
                    MemberIdentity::default()
                        .with_member_id(text(member.member_id))
                        .with_group_instance_id(member.instance_id.map(text)),
                ])
            } else {
                request.with_member_id(text(member.member_id))
            }
        };
        let (_, _, response) = self
            .call_coordinator_with(member.group, call, build, |r| r.error_code)
            .await?;
        // UNKNOWN_MEMBER_ID: the group had let it go already.
        if response.error_code != 25 {
            KafkaError::check(response.error_code, None, || {
                format!("leave group {:?}", member.group)
            })?;
        }
        Ok(())
    }
}
