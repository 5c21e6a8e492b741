//! A consumer group as it stands now, and its recent commit history.

use std::collections::{BTreeSet, HashMap};

use crate::kafka::commits::recent_commits;
use crate::kafka::records::Isolation;
use crate::kafka::{
    CommittedOffset, FetchPosition, GroupDescription, GroupKind, GroupListing, KafkaClient,
    KafkaError, Result, ShareStartOffset,
};
use crate::lag::reset::{self, ResetPlan, ResetTarget};
use crate::lag::status::Rules;
use crate::lag::tracker::{Commit, GroupReport, GroupSnapshot, LagTracker};

/// Records read back from the end of the group's `__consumer_offsets` partition for history.
const COMMIT_RECORDS_BACK: i64 = 20_000;

/// High watermarks a caller already has (the dashboard's last sample), by topic, then by
/// partition id. Every partition of the cluster is here: 39,000 of them keyed by
/// `(String, i32)` pairs held 3 MB, and the group poll copied them each time.
#[derive(Debug, Default)]
pub struct KnownHighs(foldhash::HashMap<String, Vec<Sampled>>);

/// A sampled high watermark; -1 for a partition id the sample did not name.
#[derive(Debug, Clone, Copy)]
struct Sampled(i64);

impl Default for Sampled {
    fn default() -> Self {
        Sampled(-1)
    }
}

impl KnownHighs {
    pub fn from_sample<'a>(sample: impl IntoIterator<Item = (&'a str, i32, i64)>) -> Self {
        let mut known: foldhash::HashMap<String, Vec<Sampled>> = Default::default();
        for (topic, partition, high) in sample {
            let highs = crate::maps::named_mut(&mut known, topic);
            if let Some(slot) = crate::maps::partition_mut(highs, partition) {
                *slot = Sampled(high);
            }
        }
        KnownHighs(known)
    }

    pub fn get(&self, topic: &str, partition: i32) -> Option<i64> {
        let Sampled(high) = *crate::maps::partition(self.0.get(topic)?, partition)?;
        (high >= 0).then_some(high)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Everything a report needs from the cluster right now, owned (it crosses task boundaries).
#[derive(Debug, Clone)]
pub struct OwnedGroupSnapshot {
    pub group: String,
    pub kind: GroupKind,
    pub description: Option<GroupDescription>,
    pub committed: Vec<CommittedOffset>,
    pub share_starts: Vec<ShareStartOffset>,
    pub high_watermarks: HashMap<(String, i32), i64>,
    pub exact_times: HashMap<(String, i32), i64>,
    /// Last stable offsets below the high watermark, where known.
    pub stable_offsets: HashMap<(String, i32), i64>,
}

impl OwnedGroupSnapshot {
    pub fn borrow(&self) -> GroupSnapshot<'_> {
        GroupSnapshot {
            group: &self.group,
            kind: &self.kind,
            description: self.description.as_ref(),
            committed: &self.committed,
            share_starts: &self.share_starts,
            high_watermarks: &self.high_watermarks,
            exact_times: &self.exact_times,
            stable_offsets: &self.stable_offsets,
        }
    }
}

/// Committed offsets (a share group's start offsets), members and high watermarks of a group,
/// and the timestamps of the records at its committed offsets where it lags (exact lag in time,
/// one small fetch each).
pub async fn snapshot(
    client: &KafkaClient,
    group: &str,
    kind: Option<GroupKind>,
) -> Result<OwnedGroupSnapshot> {
    // A group kview may not describe (an ACL) can still have offsets it may read.
    let description = match kind {
        // Of a kind ListGroups gave: its own API, one request.
        Some(kind) => {
            let listing = GroupListing {
                group_id: group.to_owned(),
                protocol_type: String::new(),
                state: String::new(),
                kind,
            };
            client.describe_groups(&[listing]).await.pop()
        }
        None => Some(client.describe_group(group).await),
    }
    .and_then(|d| d.ok());
    let kind = description
        .as_ref()
        .map_or(GroupKind::Classic, |d| d.kind.clone());
    let prefetched = Prefetched {
        description,
        ..Prefetched::default()
    };
    snapshot_with(client, group, kind, &KnownHighs::default(), prefetched).await
}

/// What a caller asked for many groups at once (`KafkaClient::describe_groups`,
/// `committed_offsets_of`, `share_start_offsets`), so a snapshot need not ask again.
#[derive(Debug, Default)]
pub struct Prefetched {
    pub description: Option<GroupDescription>,
    pub committed: Option<Vec<CommittedOffset>>,
    pub share_starts: Option<Vec<ShareStartOffset>>,
}

/// Like [`snapshot`] for a group of a known kind, taking high watermarks from `known_highs`
/// (the dashboard's last sample) and asking the cluster only for the partitions it lacks, and
/// whatever was `prefetched`.
pub async fn snapshot_with(
    client: &KafkaClient,
    group: &str,
    kind: GroupKind,
    known_highs: &KnownHighs,
    prefetched: Prefetched,
) -> Result<OwnedGroupSnapshot> {
    let (committed, share_starts) = if kind == GroupKind::Share {
        let starts = match prefetched.share_starts {
            Some(s) => s,
            None => client
                .share_start_offsets(&[group.to_owned()])
                .await
                .pop()
                .unwrap_or_else(|| Ok(Vec::new()))?,
        };
        (Vec::new(), starts)
    } else {
        let committed = match prefetched.committed {
            Some(c) => c,
            None => client.committed_offsets(group).await?,
        };
        (committed, Vec::new())
    };
    let description = match prefetched.description {
        Some(d) => Some(d),
        None => client.describe_group(group).await.ok(),
    };
    let known = !committed.is_empty()
        || !share_starts.is_empty()
        || description.as_ref().is_some_and(|d| d.state != "Dead");
    if !known {
        return Err(KafkaError::Client(format!("unknown group {group:?}")));
    }
    let mut keys: BTreeSet<(String, i32)> = committed
        .iter()
        .map(|c| (c.topic.clone(), c.partition))
        .chain(share_starts.iter().map(|s| (s.topic.clone(), s.partition)))
        .collect();
    if let Some(d) = &description {
        for m in &d.members {
            keys.extend(m.assignment.iter().cloned());
        }
    }
    let mut high_watermarks = HashMap::with_capacity(keys.len());
    let asked: Vec<(String, i32)> = keys
        .into_iter()
        .filter(|key| match known_highs.get(&key.0, key.1) {
            Some(high) => {
                high_watermarks.insert(key.clone(), high);
                false
            }
            None => true,
        })
        .collect();
    let highs = client.high_watermarks(&asked).await;
    // Asked on their own (the dashboard's come from its poller's samples): where open
    // transactions hold records back from committed readers.
    let stable_offsets: HashMap<(String, i32), i64> = if known_highs.is_empty() {
        asked
            .iter()
            .cloned()
            .zip(client.stable_offsets(&asked).await)
            .filter_map(|(key, s)| Some((key, s.ok()?)))
            .collect()
    } else {
        HashMap::new()
    };
    let mut deleted = Vec::new();
    for (key, high) in asked.iter().zip(highs) {
        match high {
            Ok(high) => {
                high_watermarks.insert(key.clone(), high);
            }
            // Commits can outlive their topic; such partitions are no lag of anyone's.
            Err(KafkaError::UnknownTopic(_)) => deleted.push(key.clone()),
            Err(e) => return Err(e),
        }
    }
    let committed: Vec<CommittedOffset> = committed
        .into_iter()
        .filter(|c| !deleted.contains(&(c.topic.clone(), c.partition)))
        .collect();
    let lagging: Vec<&CommittedOffset> = committed
        .iter()
        .filter(|c| {
            high_watermarks
                .get(&(c.topic.clone(), c.partition))
                .is_some_and(|h| *h > c.offset)
        })
        .collect();
    // The record at each lagging committed offset (remembered by the client).
    let wanted: Vec<FetchPosition> = lagging
        .iter()
        .map(|c| FetchPosition {
            topic: c.topic.clone(),
            partition: c.partition,
            offset: c.offset,
        })
        .collect();
    let times = client
        .timestamps_at(&wanted, Isolation::ReadCommitted)
        .await;
    let exact_times = lagging
        .iter()
        .zip(times)
        .filter_map(|(c, t)| Some(((c.topic.clone(), c.partition), t?)))
        .collect();
    let share_starts = share_starts
        .into_iter()
        .filter(|s| !deleted.contains(&(s.topic.clone(), s.partition)))
        .collect();
    Ok(OwnedGroupSnapshot {
        group: group.to_owned(),
        kind,
        description,
        committed,
        share_starts,
        high_watermarks,
        exact_times,
        stable_offsets,
    })
}

/// The group's last commits from `__consumer_offsets`, each with the high watermark of its
/// time (the first offset produced at or after the commit, from ListOffsets by timestamp).
pub async fn commit_history(
    client: &KafkaClient,
    group: &str,
    window: usize,
) -> Result<Vec<Commit>> {
    let records = recent_commits(client, group, COMMIT_RECORDS_BACK).await?;
    let mut per_partition: HashMap<(String, i32), Vec<_>> = HashMap::new();
    for r in records {
        per_partition
            .entry((r.topic.clone(), r.partition))
            .or_default()
            .push(r);
    }
    let mut recent = Vec::new();
    for (_, mut commits) in per_partition {
        let keep = commits.len().saturating_sub(window);
        recent.extend(commits.drain(keep..));
    }
    let asks: Vec<(String, i32, i64)> = recent
        .iter()
        .map(|c| (c.topic.clone(), c.partition, c.commit_ms))
        .collect();
    let highs = client.offsets_for_times(&asks).await;
    Ok(recent
        .into_iter()
        .zip(highs)
        .map(|(c, high)| Commit {
            group: c.group,
            topic: c.topic,
            partition: c.partition,
            offset: c.offset,
            commit_ms: c.commit_ms,
            high_watermark: high.ok(),
        })
        .collect())
}

/// A full report in one go, for the headless commands: snapshot plus commit history.
pub async fn report(
    client: &KafkaClient,
    group: &str,
    kind: Option<GroupKind>,
    window: usize,
    rules: Rules,
) -> Result<GroupReport> {
    let snapshot = snapshot(client, group, kind).await?;
    let mut tracker = LagTracker::new(window).with_rules(rules);
    if !snapshot.kind.commits_offsets() {
        // Share and streams groups have no commit history kview judges.
        let now_ms = chrono::Utc::now().timestamp_millis();
        return Ok(tracker.report(&snapshot.borrow(), now_ms));
    }
    // Reading __consumer_offsets may be denied by ACLs: the report is then without windows.
    match commit_history(client, group, window).await {
        Ok(commits) => commits.iter().for_each(|c| tracker.observe_commit(c)),
        Err(e) => tracing::warn!("no commit history for {group}: {e}"),
    }
    let now_ms = chrono::Utc::now().timestamp_millis();
    Ok(tracker.report(&snapshot.borrow(), now_ms))
}

/// What a reset would do to each partition: every partition of `topic`, or every partition
/// the group has committed on.
pub async fn plan_reset(
    client: &KafkaClient,
    group: &str,
    topic: Option<&str>,
    target: ResetTarget,
) -> Result<Vec<ResetPlan>> {
    let committed = client.committed_offsets(group).await?;
    let keys: Vec<(String, i32)> = match topic {
        Some(t) => client
            .topic(t)
            .await?
            .partitions
            .iter()
            .map(|p| (t.to_owned(), p.id))
            .collect(),
        None => committed
            .iter()
            .map(|c| (c.topic.clone(), c.partition))
            .collect(),
    };
    if keys.is_empty() {
        return Err(KafkaError::Client(format!(
            "group {group:?} has no committed offsets; name a topic with -t"
        )));
    }
    let marks = client.watermarks(&keys).await;
    let mut plans = Vec::with_capacity(keys.len());
    for ((topic, partition), marks) in keys.into_iter().zip(marks) {
        let marks = marks?;
        let old = committed
            .iter()
            .find(|c| c.topic == topic && c.partition == partition)
            .map(|c| c.offset);
        let at_time = match target {
            ResetTarget::Timestamp(ms) => {
                Some(client.offset_for_time(&topic, partition, ms).await?)
            }
            _ => None,
        };
        plans.push(reset::plan(&topic, partition, target, old, marks, at_time));
    }
    Ok(plans)
}

/// Commits a planned reset; refused while the group has active members, whose own commits
/// would overwrite it (and the broker rejects commits outside their generation).
pub async fn apply_reset(client: &KafkaClient, group: &str, plans: &[ResetPlan]) -> Result<()> {
    if let Ok(d) = client.describe_group(group).await
        && !d.members.is_empty()
    {
        return Err(KafkaError::Client(format!(
            "group {group:?} has {} (state {}); the broker takes offsets only from a group without members: stop them first",
            crate::human::plural(d.members.len() as i64, "active member"),
            d.state
        )));
    }
    let offsets: Vec<(String, i32, i64)> = plans
        .iter()
        .map(|p| (p.topic.clone(), p.partition, p.new_offset))
        .collect();
    client.commit_offsets(group, &offsets).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_highs_say_only_what_the_sample_named() {
        let known = KnownHighs::from_sample([("a", 0, 0), ("a", 2, 7), ("b", 1, 3), ("b", -1, 9)]);
        assert_eq!(
            known.get("a", 0),
            Some(0),
            "an empty partition's 0 is known"
        );
        assert_eq!(known.get("a", 1), None, "a gap is not a 0");
        assert_eq!(known.get("a", 2), Some(7));
        assert_eq!(known.get("a", 3), None);
        assert_eq!(known.get("b", 1), Some(3));
        assert_eq!(known.get("b", -1), None, "an impossible id is not kept");
        assert_eq!(known.get("c", 0), None);
        assert!(!known.is_empty());
        assert!(KnownHighs::default().is_empty());
    }
}
