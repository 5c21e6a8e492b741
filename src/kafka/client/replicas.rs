//! Replicas and leaders: AlterPartitionReassignments, ListPartitionReassignments,
//! ElectLeaders, DeleteRecords, and the KRaft quorum (DescribeQuorum) — kafka-protocol, which
//! rskafka lacks. Brokers forward the controller's requests to it.

use std::collections::BTreeMap;

use futures::future::join_all;
use kafka_protocol::messages::{
    AlterPartitionReassignmentsRequest, ApiVersionsRequest, BrokerId, DeleteRecordsRequest,
    DescribeQuorumRequest, ElectLeadersRequest, ListPartitionReassignmentsRequest, TopicName,
    alter_partition_reassignments_request::{ReassignablePartition, ReassignableTopic},
    delete_records_request::{DeleteRecordsPartition, DeleteRecordsTopic},
    describe_quorum_request::{PartitionData, TopicData},
    elect_leaders_request::TopicPartitions,
};
use kafka_protocol::protocol::StrBytes;
use serde::Serialize;

use super::KafkaClient;
use crate::kafka::error::{KafkaError, Result};
use crate::kafka::pool::Lane;

/// A partition's reassignment in progress.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reassignment {
    pub topic: String,
    pub partition: i32,
    /// Every replica while it moves: the target ones and those still to go.
    pub replicas: Vec<i32>,
    pub adding: Vec<i32>,
    pub removing: Vec<i32>,
}

/// What an election did to one partition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Elected {
    pub topic: String,
    pub partition: i32,
    /// None when elected; else why not (ELECTION_NOT_NEEDED when it already leads).
    pub error: Option<String>,
}

/// One member of the KRaft quorum and how far it trails the leader.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct QuorumMember {
    pub id: i32,
    pub voter: bool,
    /// None until the leader has heard from this member.
    pub log_end_offset: Option<i64>,
    /// Milliseconds since the Unix epoch; None when the leader does not know.
    pub last_fetch_ms: Option<i64>,
    pub last_caught_up_ms: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Quorum {
    pub leader: i32,
    pub leader_epoch: i32,
    /// None while a newly elected leader has not yet committed an offset of its epoch.
    pub high_watermark: Option<i64>,
    pub members: Vec<QuorumMember>,
}

impl Quorum {
    /// How many committed records a member has yet to fetch; None when either end is unknown.
    pub fn behind(&self, member: &QuorumMember) -> Option<i64> {
        Some((self.high_watermark? - member.log_end_offset?).max(0))
    }
}

impl KafkaClient {
    /// Moves partitions to these replicas (the first the preferred leader); `None` cancels a
    /// partition's reassignment in progress.
    pub async fn reassign(&self, topic: &str, plan: &[(i32, Option<Vec<i32>>)]) -> Result<()> {
        self.check_writable("reassign replicas")?;
        let request = AlterPartitionReassignmentsRequest::default()
            .with_timeout_ms(self.settings().request_timeout.as_millis() as i32)
            .with_allow_replication_factor_change(true)
            .with_topics(vec![
                ReassignableTopic::default()
                    .with_name(TopicName(text(topic)))
                    .with_partitions(
                        plan.iter()
                            .map(|(p, replicas)| {
                                ReassignablePartition::default()
                                    .with_partition_index(*p)
                                    .with_replicas(
                                        replicas
                                            .as_ref()
                                            .map(|r| r.iter().copied().map(BrokerId).collect()),
                                    )
                            })
                            .collect(),
                    ),
            ]);
        let response = self.call_any(&request, None).await?;
        KafkaError::check(
            response.error_code,
            response.error_message.as_deref(),
            || format!("reassign {topic}"),
        )
        .map_err(|e| self.denied(e, "Alter"))?;
        for t in &response.responses {
            for p in &t.partitions {
                KafkaError::check(p.error_code, p.error_message.as_deref(), || {
                    format!("reassign {topic}/{}", p.partition_index)
                })?;
            }
        }
        Ok(())
    }

    /// Every reassignment in progress.
    pub async fn reassignments(&self) -> Result<Vec<Reassignment>> {
        let request = ListPartitionReassignmentsRequest::default()
            .with_timeout_ms(self.settings().request_timeout.as_millis() as i32)
            .with_topics(None);
        let response = self.call_any(&request, None).await?;
        KafkaError::check(
            response.error_code,
            response.error_message.as_deref(),
            || "list reassignments".into(),
        )
        .map_err(|e| self.denied(e, "Describe"))?;
        let ids = |v: &[BrokerId]| v.iter().map(|b| b.0).collect::<Vec<_>>();
        let mut out: Vec<Reassignment> = response
            .topics
            .iter()
            .flat_map(|t| {
                t.partitions.iter().map(|p| Reassignment {
                    topic: t.name.0.to_string(),
                    partition: p.partition_index,
                    replicas: ids(&p.replicas),
                    adding: ids(&p.adding_replicas),
                    removing: ids(&p.removing_replicas),
                })
            })
            .collect();
        out.sort_by(|a, b| (&a.topic, a.partition).cmp(&(&b.topic, b.partition)));
        Ok(out)
    }

    /// Elects leaders of these partitions (all when `None`): preferred, or unclean.
    pub async fn elect_leaders(
        &self,
        partitions: Option<&[(String, i32)]>,
        unclean: bool,
    ) -> Result<Vec<Elected>> {
        self.check_writable("elect leaders")?;
        let topics = partitions.map(|ps| {
            let mut by_topic: BTreeMap<&str, Vec<i32>> = BTreeMap::new();
            for (t, p) in ps {
                by_topic.entry(t).or_default().push(*p);
            }
            by_topic
                .into_iter()
                .map(|(t, ps)| {
                    TopicPartitions::default()
                        .with_topic(TopicName(text(t)))
                        .with_partitions(ps)
                })
                .collect()
        });
        let request = ElectLeadersRequest::default()
            .with_election_type(if unclean { 1 } else { 0 })
            .with_topic_partitions(topics)
            .with_timeout_ms(self.settings().request_timeout.as_millis() as i32);
        let response = self.call_any(&request, None).await?;
        KafkaError::check(response.error_code, None, || "elect leaders".into())
            .map_err(|e| self.denied(e, "Alter"))?;
        let mut out: Vec<Elected> = response
            .replica_election_results
            .iter()
            .flat_map(|r| {
                r.partition_result.iter().map(|p| Elected {
                    topic: r.topic.0.to_string(),
                    partition: p.partition_id,
                    error: (p.error_code != 0).then(|| {
                        let name = crate::kafka::error::error_name(p.error_code);
                        match p.error_message.as_deref() {
                            Some(m) if !m.is_empty() => format!("{name} ({m})"),
                            _ => name,
                        }
                    }),
                })
            })
            .collect();
        out.sort_by(|a, b| (&a.topic, a.partition).cmp(&(&b.topic, b.partition)));
        Ok(out)
    }

    /// Deletes records before each offset (a partition's leader does it); returns each
    /// partition's new low watermark.
    pub async fn delete_records(
        &self,
        topic: &str,
        before: &[(i32, i64)],
    ) -> Result<Vec<(i32, Result<i64>)>> {
        self.check_writable("delete records")?;
        let info = self.topic(topic).await?;
        let mut by_leader: BTreeMap<i32, Vec<(i32, i64)>> = BTreeMap::new();
        for &(p, offset) in before {
            let leader = info.partition(p)?.leader;
            by_leader.entry(leader).or_default().push((p, offset));
        }
        let timeout = self.settings().request_timeout;
        let asks = by_leader.into_iter().map(|(leader, parts)| async move {
            let request = DeleteRecordsRequest::default()
                .with_timeout_ms(timeout.as_millis() as i32)
                .with_topics(vec![
                    DeleteRecordsTopic::default()
                        .with_name(TopicName(text(topic)))
                        .with_partitions(
                            parts
                                .iter()
                                .map(|(p, o)| {
                                    DeleteRecordsPartition::default()
                                        .with_partition_index(*p)
                                        .with_offset(*o)
                                })
                                .collect(),
                        ),
                ]);
            let answer = match self.broker_addr(leader) {
                Ok(addr) => {
                    self.pool
                        .call(&addr, Lane::Admin, &request, None, timeout)
                        .await
                }
                Err(e) => Err(e),
            };
            (parts, answer)
        });
        let mut out = Vec::new();
        for (parts, answer) in join_all(asks).await {
            match answer {
                Ok((_, response)) => {
                    for t in &response.topics {
                        for p in &t.partitions {
                            let result = KafkaError::check(p.error_code, None, || {
                                format!("delete records of {topic}/{}", p.partition_index)
                            })
                            .map_err(|e| {
                                e.denied_to(&self.principal(), "Delete", || {
                                    format!("topic {topic}")
                                })
                            })
                            .map(|()| p.low_watermark);
                            out.push((p.partition_index, result));
                        }
                    }
                }
                Err(e) => {
                    let text = e.to_string();
                    for (p, _) in parts {
                        out.push((p, Err(KafkaError::Client(text.clone()))));
                    }
                }
            }
        }
        out.sort_by_key(|(p, _)| *p);
        Ok(out)
    }

    /// The KRaft quorum of the cluster's metadata log.
    pub async fn quorum(&self) -> Result<Quorum> {
        let request = DescribeQuorumRequest::default().with_topics(vec![
            TopicData::default()
                .with_topic_name(TopicName(text("__cluster_metadata")))
                .with_partitions(vec![PartitionData::default().with_partition_index(0)]),
        ]);
        let response = self.call_any(&request, None).await?;
        KafkaError::check(
            response.error_code,
            response.error_message.as_deref(),
            || "describe the quorum".into(),
        )
        .map_err(|e| self.denied(e, "Describe"))?;
        let partition = response
            .topics
            .first()
            .and_then(|t| t.partitions.first())
            .ok_or_else(|| KafkaError::Client("the quorum's answer names no partition".into()))?;
        KafkaError::check(
            partition.error_code,
            partition.error_message.as_deref(),
            || "describe the quorum".into(),
        )?;
        let known = |ms: i64| (ms >= 0).then_some(ms);
        let member = |voter: bool| {
            move |r: &kafka_protocol::messages::describe_quorum_response::ReplicaState| {
                QuorumMember {
                    id: r.replica_id.0,
                    voter,
                    log_end_offset: known(r.log_end_offset),
                    last_fetch_ms: known(r.last_fetch_timestamp),
                    last_caught_up_ms: known(r.last_caught_up_timestamp),
                }
            }
        };
        let mut members: Vec<QuorumMember> = partition
            .current_voters
            .iter()
            .map(member(true))
            .chain(partition.observers.iter().map(member(false)))
            .collect();
        members.sort_by_key(|m| (!m.voter, m.id));
        Ok(Quorum {
            leader: partition.leader_id.0,
            leader_epoch: partition.leader_epoch,
            high_watermark: known(partition.high_watermark),
            members,
        })
    }

    /// The cluster's finalized features and their levels (`metadata.version`,
    /// `kraft.version`, `share.version`, ...), as ApiVersions reports them.
    pub async fn finalized_features(&self) -> Result<Vec<(String, i16)>> {
        let request = ApiVersionsRequest::default()
            .with_client_software_name(text("kview"))
            .with_client_software_version(text(env!("CARGO_PKG_VERSION")));
        let response = self.call_any(&request, None).await?;
        KafkaError::check(response.error_code, None, || "ApiVersions".into())?;
        let mut out: Vec<(String, i16)> = response
            .finalized_features
            .iter()
            .map(|f| (f.name.to_string(), f.max_version_level))
            .collect();
        out.sort();
        Ok(out)
    }
}

fn text(s: &str) -> StrBytes {
    StrBytes::from_string(s.to_owned())
}

/// A new replica list for each partition so that each has `factor` replicas: the current ones
/// kept in order (the preferred leader first) and brokers added where the fewest replicas
/// are, or the last ones dropped. Partitions already at `factor` are left out.
pub fn replication_plan(
    partitions: &[(i32, Vec<i32>)],
    brokers: &[i32],
    load: &BTreeMap<i32, usize>,
    factor: usize,
) -> std::result::Result<Vec<(i32, Vec<i32>)>, String> {
    if factor == 0 {
        return Err("a replication factor of 0 keeps nothing".into());
    }
    if factor > brokers.len() {
        return Err(format!(
            "a replication factor of {factor} needs {factor} brokers; the cluster has {}",
            brokers.len()
        ));
    }
    let mut load: BTreeMap<i32, usize> = brokers
        .iter()
        .map(|b| (*b, load.get(b).copied().unwrap_or(0)))
        .collect();
    let mut plan = Vec::new();
    for (partition, current) in partitions {
        let mut replicas = current.clone();
        if replicas.len() == factor {
            continue;
        }
        while replicas.len() > factor {
            if let Some(gone) = replicas.pop()
                && let Some(n) = load.get_mut(&gone)
            {
                *n = n.saturating_sub(1);
            }
        }
        while replicas.len() < factor {
            let Some((&broker, _)) = load
                .iter()
                .filter(|(b, _)| !replicas.contains(b))
                .min_by_key(|(b, n)| (**n, **b))
            else {
                break;
            };
            replicas.push(broker);
            *load.entry(broker).or_default() += 1;
        }
        plan.push((*partition, replicas));
    }
    Ok(plan)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_higher_factor_adds_the_least_loaded_brokers_and_keeps_the_leader_first() {
        let partitions = vec![(0, vec![1]), (1, vec![2]), (2, vec![3]), (3, vec![1, 2, 3])];
        let load = BTreeMap::from([(1, 5), (2, 1), (3, 1)]);
        let plan = replication_plan(&partitions, &[1, 2, 3], &load, 3).unwrap();
        assert_eq!(
            plan,
            vec![(0, vec![1, 2, 3]), (1, vec![2, 3, 1]), (2, vec![3, 2, 1])]
        );
        for (_, replicas) in &plan {
            let mut sorted = replicas.clone();
            sorted.sort();
            sorted.dedup();
            assert_eq!(sorted.len(), 3, "no broker twice: {replicas:?}");
        }
    }

    #[test]
    fn a_lower_factor_drops_the_last_replicas_and_a_factor_too_high_is_refused() {
        let partitions = vec![(0, vec![3, 1, 2])];
        let plan = replication_plan(&partitions, &[1, 2, 3], &BTreeMap::new(), 1).unwrap();
        assert_eq!(plan, vec![(0, vec![3])]);
        let e = replication_plan(&partitions, &[1, 2, 3], &BTreeMap::new(), 4).unwrap_err();
        assert!(e.contains("needs 4 brokers; the cluster has 3"), "{e}");
    }
}
