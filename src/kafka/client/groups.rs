//! Consumer groups through kafka-protocol: listing (every broker), and what each group's
//! coordinator knows (description, committed offsets, standalone commits).

use std::collections::BTreeMap;
use std::time::Duration;

use futures::future::join_all;
use kafka_protocol::messages::{
    DeleteGroupsRequest, FindCoordinatorRequest, GroupId, ListGroupsRequest, OffsetCommitRequest,
    OffsetFetchRequest, TopicName,
    offset_commit_request::{OffsetCommitRequestPartition, OffsetCommitRequestTopic},
    offset_fetch_request::OffsetFetchRequestGroup,
};
use kafka_protocol::protocol::{Request, StrBytes};

use super::KafkaClient;
use crate::kafka::error::{KafkaError, Result};
use crate::kafka::pool::Lane;
use crate::kafka::retry::RetryPolicy;
use crate::kafka::types::*;

/// Committed offsets from an OffsetFetch answer (either shape): topic, then per partition
/// (index, offset, metadata, error code); partitions without a commit are left out.
fn committed<P>(
    topics: impl Iterator<Item = (String, P)>,
    ctx: impl Fn() -> String,
) -> Result<Vec<CommittedOffset>>
where
    P: Iterator<Item = (i32, i64, Option<StrBytes>, i16)>,
{
    let mut out = Vec::new();
    for (topic, partitions) in topics {
        for (partition, offset, metadata, code) in partitions {
            KafkaError::check(code, None, &ctx)?;
            if offset >= 0 {
                out.push(CommittedOffset {
                    topic: topic.clone(),
                    partition,
                    offset,
                    metadata: metadata.map(|m| m.to_string()),
                });
            }
        }
    }
    out.sort_by(|a, b| (&a.topic, a.partition).cmp(&(&b.topic, b.partition)));
    Ok(out)
}

/// COORDINATOR_LOAD_IN_PROGRESS and COORDINATOR_NOT_AVAILABLE: a fresh broker settles soon.
fn coordinator_settling(code: i16) -> bool {
    matches!(code, 14 | 15)
}

impl KafkaClient {
    /// Every group on every broker.
    pub async fn list_groups(&self) -> Result<Vec<GroupListing>> {
        let mut pauses = RetryPolicy::quick(self.settings().request_timeout).pauses();
        loop {
            match self.list_groups_once().await? {
                Ok(groups) => return Ok(groups),
                // A broker that just started loads its groups first: ask again shortly.
                Err(code) if pauses.wait().await => {
                    tracing::debug!("list groups: coordinator settling (code {code})")
                }
                Err(code) => {
                    KafkaError::check(code, None, || "list groups".into())?;
                }
            }
        }
    }

    /// The groups, or the error code of a broker whose coordinator is still settling.
    async fn list_groups_once(&self) -> Result<std::result::Result<Vec<GroupListing>, i16>> {
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
            if coordinator_settling(response.error_code) {
                return Ok(Err(response.error_code));
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
                        kind: GroupKind::from_type(&g.group_type),
                    },
                );
            }
        }
        Ok(Ok(groups.into_values().collect()))
    }

    /// The address of the broker that coordinates a group, retried while coordinators load;
    /// remembered, so a poll of many groups does not ask again each time.
    pub(super) async fn coordinator(&self, group: &str) -> Result<(i32, String)> {
        if let Some(known) = self
            .coordinators
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(group)
        {
            return Ok(known.clone());
        }
        let found = self.find_coordinator(group, 0).await?;
        self.coordinators
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(group.to_owned(), found.clone());
        Ok(found)
    }

    /// Finds the coordinators of the groups not known yet, many groups a request
    /// (FindCoordinator v4 takes a list of keys), so the first poll of thousands of groups is a
    /// few requests rather than one a group. A group whose coordinator cannot be told yet (it
    /// loads) is left to [`coordinator`](Self::coordinator), which waits for it.
    pub async fn know_coordinators(&self, groups: &[String]) {
        const KEYS_PER_REQUEST: usize = 500;
        let unknown: Vec<&String> = {
            let known = self.coordinators.lock().unwrap_or_else(|p| p.into_inner());
            groups.iter().filter(|g| !known.contains_key(*g)).collect()
        };
        for chunk in unknown.chunks(KEYS_PER_REQUEST) {
            let keys: Vec<StrBytes> = chunk
                .iter()
                .map(|g| StrBytes::from_string((*g).clone()))
                .collect();
            let build = |_version: i16| {
                FindCoordinatorRequest::default()
                    .with_key_type(0)
                    .with_coordinator_keys(keys.clone())
            };
            // Brokers older than v4 take one key a request: the groups are found one by one.
            let Ok(response) = self.call_any_built(None, build).await else {
                return;
            };
            let mut known = self.coordinators.lock().unwrap_or_else(|p| p.into_inner());
            for c in response.coordinators.iter().filter(|c| c.error_code == 0) {
                known.insert(
                    c.key.to_string(),
                    (c.node_id.0, format!("{}:{}", c.host, c.port)),
                );
            }
        }
    }

    pub(super) fn forget_coordinator(&self, group: &str) {
        self.coordinators
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(group);
    }

    /// The coordinator of a group (`key_type` 0) or of a transactional id (1).
    pub(super) async fn find_coordinator(
        &self,
        group: &str,
        key_type: i8,
    ) -> Result<(i32, String)> {
        let key = StrBytes::from_string(group.to_owned());
        let build = |version: i16| {
            let request = FindCoordinatorRequest::default().with_key_type(key_type);
            if version >= 4 {
                request.with_coordinator_keys(vec![key.clone()])
            } else {
                request.with_key(key.clone())
            }
        };
        let mut pauses = RetryPolicy::quick(self.settings().request_timeout).pauses();
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
            if coordinator_settling(code) && pauses.wait().await {
                continue;
            }
            KafkaError::check(code, message.as_deref(), || {
                let what = if key_type == 1 {
                    "transaction"
                } else {
                    "group"
                };
                format!("find coordinator of {what} {group:?}")
            })
            // Finding a group's coordinator needs Describe on it (a transaction's, on its id).
            .map_err(|e| {
                let kind = if key_type == 1 {
                    "transactional-id"
                } else {
                    "group"
                };
                e.denied_to(&self.principal(), "Describe", || format!("{kind} {group}"))
            })?;
            return Ok((node, format!("{host}:{port}")));
        }
    }

    /// Sends a group request to the group's coordinator, finding it again while it moves or
    /// loads (after a broker restart); `coordinator_code` reads the response's group-level code.
    pub(super) async fn call_coordinator<R: Request + Clone>(
        &self,
        group: &str,
        request: &R,
        cap: Option<i16>,
        coordinator_code: impl Fn(&R::Response) -> i16,
    ) -> Result<(i32, R::Response)> {
        let call = CoordinatorCall {
            lane: Lane::Admin,
            cap,
            broker_wait: Duration::ZERO,
        };
        self.call_coordinator_with(group, call, |_| request.clone(), coordinator_code)
            .await
            .map(|(node, _, response)| (node, response))
    }

    /// As `call_coordinator`, on a lane of the caller's, for a request the broker may hold for
    /// `broker_wait` (a JoinGroup waits for the rebalance), built for the negotiated version.
    pub(super) async fn call_coordinator_with<R: Request>(
        &self,
        group: &str,
        call: CoordinatorCall,
        build: impl Fn(i16) -> R,
        coordinator_code: impl Fn(&R::Response) -> i16,
    ) -> Result<(i32, i16, R::Response)> {
        let mut pauses = RetryPolicy::quick(self.settings().request_timeout).pauses();
        loop {
            let (node, addr) = self.coordinator(group).await?;
            let (version, response) = match self
                .pool
                .call_built(&addr, call.lane, call.cap, call.broker_wait, &build)
                .await
            {
                Ok(answer) => answer,
                // The coordinator's broker went away: another takes the group over.
                Err(e) if e.is_transport() => {
                    self.forget_coordinator(group);
                    if pauses.wait().await {
                        continue;
                    }
                    return Err(e);
                }
                Err(e) => return Err(e),
            };
            // COORDINATOR_LOAD_IN_PROGRESS, COORDINATOR_NOT_AVAILABLE, NOT_COORDINATOR
            if matches!(coordinator_code(&response), 14..=16) {
                self.forget_coordinator(group);
                if pauses.wait().await {
                    continue;
                }
            }
            return Ok((node, version, response));
        }
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
        KafkaError::check(response.error_code, None, ctx)
            .map_err(|e| e.denied_to(&self.principal(), "Describe", || format!("group {group}")))?;
        committed(
            response.topics.into_iter().map(|t| {
                (
                    t.name.0.to_string(),
                    t.partitions.into_iter().map(|p| {
                        (
                            p.partition_index,
                            p.committed_offset,
                            p.metadata,
                            p.error_code,
                        )
                    }),
                )
            }),
            ctx,
        )
    }

    /// Committed offsets of many groups, one OffsetFetch (v8+) per coordinator. A group whose
    /// coordinator moved, or a broker without v8, is asked on its own.
    pub async fn committed_offsets_of(
        &self,
        groups: &[String],
    ) -> Vec<Result<Vec<CommittedOffset>>> {
        let mut by_coordinator: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        let mut answers: Vec<Option<Result<Vec<CommittedOffset>>>> =
            groups.iter().map(|_| None).collect();
        for (i, group) in groups.iter().enumerate() {
            match self.coordinator(group).await {
                Ok((_, addr)) => by_coordinator.entry(addr).or_default().push(i),
                Err(e) => answers[i] = Some(Err(e)),
            }
        }
        let requests = by_coordinator.into_iter().map(|(addr, wanted)| async move {
            let request = OffsetFetchRequest::default().with_groups(
                wanted
                    .iter()
                    .map(|&i| {
                        OffsetFetchRequestGroup::default()
                            .with_group_id(GroupId(StrBytes::from_string(groups[i].clone())))
                            .with_topics(None)
                    })
                    .collect(),
            );
            // Older versions name one group per request and cannot carry this shape: the
            // encoder refuses it, and each group is asked alone below.
            let answer = self
                .pool
                .call(&addr, Lane::Admin, &request, Some(9), Duration::ZERO)
                .await;
            (wanted, answer)
        });
        for (wanted, answer) in join_all(requests).await {
            let mut by_id: BTreeMap<String, _> = match answer {
                Ok((version, response)) if version >= 8 => response
                    .groups
                    .into_iter()
                    .map(|g| (g.group_id.0.to_string(), g))
                    .collect(),
                _ => BTreeMap::new(),
            };
            for i in wanted {
                answers[i] = match by_id.remove(&groups[i]) {
                    Some(g) if !matches!(g.error_code, 14..=16) => {
                        let group = &groups[i];
                        let ctx = || format!("committed offsets of group {group:?}");
                        Some(KafkaError::check(g.error_code, None, ctx).and_then(|()| {
                            committed(
                                g.topics.into_iter().map(|t| {
                                    (
                                        t.name.0.to_string(),
                                        t.partitions.into_iter().map(|p| {
                                            (
                                                p.partition_index,
                                                p.committed_offset,
                                                p.metadata,
                                                p.error_code,
                                            )
                                        }),
                                    )
                                }),
                                ctx,
                            )
                        }))
                    }
                    _ => None,
                };
            }
        }
        let mut out = Vec::with_capacity(groups.len());
        for (group, answer) in groups.iter().zip(answers) {
            out.push(match answer {
                Some(a) => a,
                None => {
                    self.forget_coordinator(group);
                    self.committed_offsets(group).await
                }
            });
        }
        out
    }

    /// Commits offsets for a group outside any generation (a "standalone" commit), as
    /// kview's own demo consumers and offset resets do. The group must have no active members.
    /// Deletes a consumer group (its committed offsets); the broker refuses while it has
    /// members.
    pub async fn delete_group(&self, group: &str) -> Result<()> {
        self.check_writable("delete a consumer group")?;
        let request = DeleteGroupsRequest::default()
            .with_groups_names(vec![GroupId(StrBytes::from_string(group.to_owned()))]);
        let (_, response) = self
            .call_coordinator(group, &request, None, |r| {
                r.results.first().map_or(0, |g| g.error_code)
            })
            .await?;
        for r in response.results {
            match r.error_code {
                // GROUP_ID_NOT_FOUND
                69 => {
                    return Err(KafkaError::Client(format!(
                        "no consumer group named {group:?}"
                    )));
                }
                // NON_EMPTY_GROUP
                68 => {
                    return Err(KafkaError::Client(format!(
                        "group {group:?} has active members; stop them before deleting it"
                    )));
                }
                code => KafkaError::check(code, None, || format!("delete group {group:?}"))?,
            }
        }
        self.forget_coordinator(group);
        Ok(())
    }

    pub async fn commit_offsets(&self, group: &str, offsets: &[(String, i32, i64)]) -> Result<()> {
        self.commit_offsets_as(group, None, offsets).await
    }

    /// Commits offsets as a member of the group (its id and member epoch), or standalone.
    pub async fn commit_offsets_as(
        &self,
        group: &str,
        member: Option<(&str, i32)>,
        offsets: &[(String, i32, i64)],
    ) -> Result<()> {
        self.check_writable("commit offsets")?;
        let (member_id, epoch) = member.unwrap_or(("", -1));
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
            .with_generation_id_or_member_epoch(epoch)
            .with_member_id(StrBytes::from_string(member_id.to_owned()))
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
                })
                .map_err(|e| {
                    let who = self.principal();
                    match e.denied_to(&who, "Read", || format!("group {group}")) {
                        e @ KafkaError::Denied { .. } => e,
                        e => e.denied_to(&who, "Read", || format!("topic {}", t.name.0)),
                    }
                })?;
            }
        }
        Ok(())
    }
}

/// How a request goes to a coordinator: on which lane, up to which version, and how long the
/// broker may hold it beyond the request timeout.
#[derive(Debug, Clone, Copy)]
pub(crate) struct CoordinatorCall {
    pub lane: Lane,
    pub cap: Option<i16>,
    pub broker_wait: Duration,
}
