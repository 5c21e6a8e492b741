//! Describing groups of every kind, batched per coordinator: classic groups with DescribeGroups,
//! groups of Kafka 4's consumer protocol (KIP-848) with ConsumerGroupDescribe, share groups
//! (KIP-932) with ShareGroupDescribe and their start offsets with DescribeShareGroupOffsets.
//! Streams groups (KIP-1071) have no describe API kview speaks; they are listed only.
//!
//! A consumer-protocol group answers DescribeGroups with GROUP_ID_NOT_FOUND or state Dead, so a
//! group of unknown kind is asked as Kafka's Java Admin asks it: ConsumerGroupDescribe first,
//! DescribeGroups when that does not know it (or the broker predates it), then ShareGroupDescribe.

use std::collections::BTreeMap;
use std::time::Duration;

use bytes::Bytes;
use futures::future::join_all;
use kafka_protocol::messages::{
    ConsumerGroupDescribeRequest, ConsumerProtocolAssignment, DescribeGroupsRequest,
    DescribeShareGroupOffsetsRequest, GroupId, ShareGroupDescribeRequest,
    describe_share_group_offsets_request::DescribeShareGroupOffsetsRequestGroup,
};
use kafka_protocol::protocol::{Decodable, StrBytes};

use super::KafkaClient;
use crate::kafka::error::{KafkaError, Result};
use crate::kafka::pool::Lane;
use crate::kafka::types::*;

/// GROUP_ID_NOT_FOUND: no such group, or not one of the kind the API describes.
const GROUP_ID_NOT_FOUND: i16 = 69;

/// What a describe API said of one group in a batch.
enum Answer {
    Described(Result<GroupDescription>),
    /// Not a group of this kind (or none at all): try the other kinds.
    NotThisKind,
    /// Moved, loading, or the request failed: ask again alone.
    AskAgain,
}

fn group_ids(groups: &[&str]) -> Vec<GroupId> {
    groups
        .iter()
        .map(|g| GroupId(StrBytes::from_string((*g).to_owned())))
        .collect()
}

/// Coordinator codes after which the group is asked again alone (its coordinator is found
/// anew): COORDINATOR_LOAD_IN_PROGRESS, COORDINATOR_NOT_AVAILABLE, NOT_COORDINATOR.
fn settling(code: i16) -> bool {
    matches!(code, 14..=16)
}

fn partitions<'a>(
    topics: impl Iterator<Item = (&'a StrBytes, String, &'a [i32])>,
) -> Vec<(String, i32)> {
    let mut out: Vec<(String, i32)> = topics
        .flat_map(|(name, id, ps)| {
            // A topic deleted since the assignment has no name any more: its id says which.
            let topic = if name.is_empty() {
                id
            } else {
                name.to_string()
            };
            ps.iter().map(move |p| (topic.clone(), *p))
        })
        .collect();
    out.sort();
    out
}

fn classic(
    g: kafka_protocol::messages::describe_groups_response::DescribedGroup,
    coordinator: i32,
) -> Answer {
    let group = g.group_id.0.to_string();
    if g.error_code == GROUP_ID_NOT_FOUND || g.group_state.as_str() == "Dead" {
        return Answer::NotThisKind;
    }
    if settling(g.error_code) {
        return Answer::AskAgain;
    }
    if let Err(e) = KafkaError::check(g.error_code, g.error_message.as_deref(), || {
        format!("describe group {group:?}")
    }) {
        return Answer::Described(Err(e));
    }
    let consumer = g.protocol_type.as_str() == "consumer";
    let members = g
        .members
        .iter()
        .map(|m| GroupMember {
            member_id: m.member_id.to_string(),
            instance_id: m.group_instance_id.as_ref().map(|i| i.to_string()),
            client_id: m.client_id.to_string(),
            host: m.client_host.to_string(),
            assignment: if consumer {
                decode_assignment(&m.member_assignment)
            } else {
                Vec::new()
            },
            ..GroupMember::default()
        })
        .collect();
    Answer::Described(Ok(GroupDescription {
        group_id: group,
        kind: GroupKind::Classic,
        state: g.group_state.to_string(),
        protocol_type: g.protocol_type.to_string(),
        protocol: g.protocol_data.to_string(),
        coordinator,
        group_epoch: None,
        assignment_epoch: None,
        members,
        note: None,
    }))
}

fn consumer(
    g: kafka_protocol::messages::consumer_group_describe_response::DescribedGroup,
    coordinator: i32,
) -> Answer {
    use kafka_protocol::messages::consumer_group_describe_response::Assignment;
    let group = g.group_id.0.to_string();
    if g.error_code == GROUP_ID_NOT_FOUND {
        return Answer::NotThisKind;
    }
    if settling(g.error_code) {
        return Answer::AskAgain;
    }
    if let Err(e) = KafkaError::check(g.error_code, g.error_message.as_deref(), || {
        format!("describe group {group:?}")
    }) {
        return Answer::Described(Err(e));
    }
    let assigned = |a: &Assignment| {
        partitions(
            a.topic_partitions
                .iter()
                .map(|t| (&t.topic_name.0, t.topic_id.to_string(), &t.partitions[..])),
        )
    };
    let members = g
        .members
        .iter()
        .map(|m| GroupMember {
            member_id: m.member_id.to_string(),
            instance_id: m.instance_id.as_ref().map(|i| i.to_string()),
            client_id: m.client_id.to_string(),
            host: m.client_host.to_string(),
            member_epoch: Some(m.member_epoch),
            member_type: match m.member_type {
                0 => Some("classic".into()),
                1 => Some("consumer".into()),
                _ => None,
            },
            subscribed_topics: m
                .subscribed_topic_names
                .iter()
                .map(|t| t.0.to_string())
                .collect(),
            subscribed_regex: m
                .subscribed_topic_regex
                .as_ref()
                .filter(|r| !r.is_empty())
                .map(|r| r.to_string()),
            assignment: assigned(&m.assignment),
            target_assignment: Some(assigned(&m.target_assignment)),
        })
        .collect();
    Answer::Described(Ok(GroupDescription {
        group_id: group,
        kind: GroupKind::Consumer,
        // The consumer protocol's states are lower case (`stable`); kview shows every kind's
        // state as the classic protocol writes it.
        state: title_case(&g.group_state),
        protocol_type: "consumer".into(),
        protocol: g.assignor_name.to_string(),
        coordinator,
        group_epoch: Some(g.group_epoch),
        assignment_epoch: Some(g.assignment_epoch),
        members,
        note: None,
    }))
}

fn share(
    g: kafka_protocol::messages::share_group_describe_response::DescribedGroup,
    coordinator: i32,
) -> Answer {
    let group = g.group_id.0.to_string();
    if g.error_code == GROUP_ID_NOT_FOUND {
        return Answer::NotThisKind;
    }
    if settling(g.error_code) {
        return Answer::AskAgain;
    }
    if let Err(e) = KafkaError::check(g.error_code, g.error_message.as_deref(), || {
        format!("describe group {group:?}")
    }) {
        return Answer::Described(Err(e));
    }
    let members = g
        .members
        .iter()
        .map(|m| GroupMember {
            member_id: m.member_id.to_string(),
            client_id: m.client_id.to_string(),
            host: m.client_host.to_string(),
            member_epoch: Some(m.member_epoch),
            subscribed_topics: m
                .subscribed_topic_names
                .iter()
                .map(|t| t.0.to_string())
                .collect(),
            assignment: partitions(
                m.assignment
                    .topic_partitions
                    .iter()
                    .map(|t| (&t.topic_name.0, t.topic_id.to_string(), &t.partitions[..])),
            ),
            ..GroupMember::default()
        })
        .collect();
    Answer::Described(Ok(GroupDescription {
        group_id: group,
        kind: GroupKind::Share,
        state: title_case(&g.group_state),
        protocol_type: "share".into(),
        protocol: g.assignor_name.to_string(),
        coordinator,
        group_epoch: Some(g.group_epoch),
        assignment_epoch: Some(g.assignment_epoch),
        members,
        note: None,
    }))
}

/// `stable` → `Stable`, `not_ready` → `NotReady`.
fn title_case(state: &str) -> String {
    state
        .split('_')
        .map(|w| {
            let mut c = w.chars();
            c.next().map_or_else(String::new, |f| {
                f.to_uppercase()
                    .chain(c.flat_map(char::to_lowercase))
                    .collect()
            })
        })
        .collect()
}

/// A streams group: kafka-protocol has no StreamsGroupDescribe, so kview says what it knows.
fn streams(listing: &GroupListing) -> GroupDescription {
    GroupDescription {
        note: Some(
            "a streams group (KIP-1071): describing it needs StreamsGroupDescribe, which kview does not speak yet"
                .into(),
        ),
        state: listing.state.clone(),
        protocol_type: listing.protocol_type.clone(),
        ..GroupDescription::dead(&listing.group_id, listing.kind.clone(), -1)
    }
}

impl KafkaClient {
    /// One group of any kind, asked as Kafka's Java Admin asks it (see the module notes). A
    /// group that no API knows is described as Kafka describes it: state Dead, no members.
    pub async fn describe_group(&self, group: &str) -> Result<GroupDescription> {
        let mut coordinator = -1;
        for kind in [GroupKind::Consumer, GroupKind::Classic, GroupKind::Share] {
            match self.describe_alone(group, &kind).await {
                Ok((_, Answer::Described(d))) => return d,
                Ok((node, _)) => coordinator = node,
                // A broker before Kafka 4 has no ConsumerGroupDescribe, nor a preview's share
                // groups: the kinds it can have are asked.
                Err(KafkaError::Unsupported { .. }) if kind != GroupKind::Classic => {}
                Err(e) => return Err(e),
            }
        }
        Ok(GroupDescription::dead(
            group,
            GroupKind::Classic,
            coordinator,
        ))
    }

    /// One group asked with one kind's API at its coordinator (found anew while it moves).
    async fn describe_alone(&self, group: &str, kind: &GroupKind) -> Result<(i32, Answer)> {
        let ids = group_ids(&[group]);
        macro_rules! ask {
            ($request:expr, $read:ident) => {{
                let (node, response) = self
                    .call_coordinator(group, &$request, None, |r| {
                        r.groups.first().map_or(0, |g| g.error_code)
                    })
                    .await?;
                let answer = response.groups.into_iter().next();
                Ok((node, answer.map_or(Answer::NotThisKind, |g| $read(g, node))))
            }};
        }
        match kind {
            GroupKind::Consumer => ask!(
                ConsumerGroupDescribeRequest::default().with_group_ids(ids),
                consumer
            ),
            GroupKind::Share => ask!(
                ShareGroupDescribeRequest::default().with_group_ids(ids),
                share
            ),
            _ => ask!(DescribeGroupsRequest::default().with_groups(ids), classic),
        }
    }

    /// Many groups of the kinds ListGroups gave, one request per coordinator and kind: a poll
    /// of hundreds of groups costs a few requests per broker. A group whose coordinator moved,
    /// or whose kind changed since it was listed (a classic group upgraded by its first
    /// consumer-protocol member), is asked again on its own.
    pub async fn describe_groups(&self, groups: &[GroupListing]) -> Vec<Result<GroupDescription>> {
        let mut batches: BTreeMap<(i32, String, GroupKind), Vec<usize>> = BTreeMap::new();
        let mut answers: Vec<Option<Result<GroupDescription>>> =
            groups.iter().map(|_| None).collect();
        for (i, listing) in groups.iter().enumerate() {
            if matches!(listing.kind, GroupKind::Streams | GroupKind::Other(_)) {
                answers[i] = Some(Ok(streams(listing)));
                continue;
            }
            match self.coordinator(&listing.group_id).await {
                Ok((node, addr)) => batches
                    .entry((node, addr, listing.kind.clone()))
                    .or_default()
                    .push(i),
                Err(e) => answers[i] = Some(Err(e)),
            }
        }
        let requests = batches
            .into_iter()
            .map(|((node, addr, kind), wanted)| async move {
                let ids: Vec<&str> = wanted
                    .iter()
                    .map(|&i| groups[i].group_id.as_str())
                    .collect();
                let by_id = self.describe_batch(node, &addr, &kind, &ids).await;
                (wanted, by_id)
            });
        for (wanted, mut by_id) in join_all(requests).await {
            for i in wanted {
                if let Some(Answer::Described(d)) = by_id.remove(&groups[i].group_id) {
                    answers[i] = Some(d);
                }
            }
        }
        let mut out = Vec::with_capacity(groups.len());
        for (listing, answer) in groups.iter().zip(answers) {
            out.push(match answer {
                Some(a) => a,
                None => {
                    self.forget_coordinator(&listing.group_id);
                    self.describe_group(&listing.group_id).await
                }
            });
        }
        out
    }

    /// One describe request of one kind to one coordinator; a failed request leaves every
    /// group unanswered (asked again alone).
    async fn describe_batch(
        &self,
        node: i32,
        addr: &str,
        kind: &GroupKind,
        ids: &[&str],
    ) -> BTreeMap<String, Answer> {
        let wait = Duration::ZERO;
        let answers: Option<Vec<(String, Answer)>> = match kind {
            GroupKind::Consumer => {
                let request =
                    ConsumerGroupDescribeRequest::default().with_group_ids(group_ids(ids));
                self.pool
                    .call(addr, Lane::Admin, &request, None, wait)
                    .await
                    .ok()
                    .map(|(_, r)| {
                        r.groups
                            .into_iter()
                            .map(|g| (g.group_id.0.to_string(), consumer(g, node)))
                            .collect()
                    })
            }
            GroupKind::Share => {
                let request = ShareGroupDescribeRequest::default().with_group_ids(group_ids(ids));
                self.pool
                    .call(addr, Lane::Admin, &request, None, wait)
                    .await
                    .ok()
                    .map(|(_, r)| {
                        r.groups
                            .into_iter()
                            .map(|g| (g.group_id.0.to_string(), share(g, node)))
                            .collect()
                    })
            }
            _ => {
                let request = DescribeGroupsRequest::default().with_groups(group_ids(ids));
                self.pool
                    .call(addr, Lane::Admin, &request, None, wait)
                    .await
                    .ok()
                    .map(|(_, r)| {
                        r.groups
                            .into_iter()
                            .map(|g| (g.group_id.0.to_string(), classic(g, node)))
                            .collect()
                    })
            }
        };
        answers.unwrap_or_default().into_iter().collect()
    }

    /// Start offsets of share groups, one DescribeShareGroupOffsets per coordinator (every
    /// topic the group has read).
    pub async fn share_start_offsets(
        &self,
        groups: &[String],
    ) -> Vec<Result<Vec<ShareStartOffset>>> {
        let mut by_coordinator: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        let mut answers: Vec<Option<Result<Vec<ShareStartOffset>>>> =
            groups.iter().map(|_| None).collect();
        for (i, group) in groups.iter().enumerate() {
            match self.coordinator(group).await {
                Ok((_, addr)) => by_coordinator.entry(addr).or_default().push(i),
                Err(e) => answers[i] = Some(Err(e)),
            }
        }
        let requests = by_coordinator.into_iter().map(|(addr, wanted)| async move {
            let request = DescribeShareGroupOffsetsRequest::default().with_groups(
                wanted
                    .iter()
                    .map(|&i| {
                        DescribeShareGroupOffsetsRequestGroup::default()
                            .with_group_id(GroupId(StrBytes::from_string(groups[i].clone())))
                            .with_topics(None)
                    })
                    .collect(),
            );
            let answer = self
                .pool
                .call(&addr, Lane::Admin, &request, None, Duration::ZERO)
                .await;
            (wanted, answer)
        });
        for (wanted, answer) in join_all(requests).await {
            let response = match answer {
                Ok((_, r)) => r,
                Err(e) => {
                    for &i in &wanted {
                        answers[i] = Some(Err(e.duplicate()));
                    }
                    continue;
                }
            };
            for g in response.groups {
                let id = g.group_id.0.to_string();
                let Some(&i) = wanted.iter().find(|&&i| groups[i] == id) else {
                    continue;
                };
                let ctx = || format!("start offsets of share group {id:?}");
                let result =
                    KafkaError::check(g.error_code, g.error_message.as_deref(), ctx).map(|()| {
                        let mut offsets: Vec<ShareStartOffset> = g
                            .topics
                            .iter()
                            .flat_map(|t| {
                                t.partitions.iter().filter(|p| p.error_code == 0).map(|p| {
                                    ShareStartOffset {
                                        topic: t.topic_name.0.to_string(),
                                        partition: p.partition_index,
                                        start_offset: p.start_offset,
                                    }
                                })
                            })
                            .collect();
                        offsets
                            .sort_by(|a, b| (&a.topic, a.partition).cmp(&(&b.topic, b.partition)));
                        offsets
                    });
                answers[i] = Some(result);
            }
        }
        answers
            .into_iter()
            .zip(groups)
            .map(|(a, g)| {
                a.unwrap_or_else(|| {
                    Err(KafkaError::Client(format!(
                        "no start offsets of share group {g:?} in the answer"
                    )))
                })
            })
            .collect()
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_read_as_the_classic_protocol_writes_them() {
        assert_eq!(title_case("stable"), "Stable");
        assert_eq!(title_case("not_ready"), "NotReady");
        assert_eq!(title_case("Empty"), "Empty");
    }

    #[test]
    fn a_member_reconciles_until_its_assignment_is_its_target() {
        let mut m = GroupMember {
            assignment: vec![("t".into(), 0), ("t".into(), 1)],
            target_assignment: Some(vec![("t".into(), 1), ("t".into(), 0)]),
            ..GroupMember::default()
        };
        assert!(!m.reconciling(), "same partitions in another order");
        m.target_assignment = Some(vec![("t".into(), 0)]);
        assert!(m.reconciling());
        m.target_assignment = None;
        assert!(!m.reconciling(), "classic members have no target");
    }
}
