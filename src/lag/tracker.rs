//! What kview remembers about groups between polls — each partition's last commits and the
//! high-watermark history of the partitions they read — and the report built from it: lag in
//! messages and in time, status, rates and time to catch up.

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::sync::Arc;

use serde::Serialize;

use crate::maps::{make_room, named_mut, partition as partition_of, partition_mut};

use super::history::{CatchUp, TimeQuality, WatermarkHistory, catch_up};
use super::status::{
    Evidence, GroupStatus, Observation, PartitionStatus, Rules, evaluate, group_status,
};
use crate::kafka::{CommittedOffset, GroupDescription, GroupKind, GroupMember, ShareStartOffset};

/// Burrow's default window: the last ten commits of each partition.
pub const DEFAULT_WINDOW: usize = 10;

/// How far back high-watermark samples count as recent for Burrow's "caught up lately" rule
/// (its broker offsets: a window of samples, minutes at most).
pub const RECENT_MS: i64 = 30_000;

/// A commit the tracker is told about; `high_watermark` is the partition's high watermark when
/// it was made, if the sender knows it (otherwise the tracker's history is asked).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Commit {
    pub group: String,
    pub topic: String,
    pub partition: i32,
    pub offset: i64,
    pub commit_ms: i64,
    pub high_watermark: Option<i64>,
}

#[derive(Debug, Clone)]
pub struct LagTracker {
    window: usize,
    rules: Rules,
    /// By topic, then partition id: a sample of every partition each second is looked up by
    /// `&str` without allocating a key, with a fast hash.
    watermarks: foldhash::HashMap<String, Vec<WatermarkHistory>>,
    /// Commit windows by group, topic and partition (looked up by borrowed names: every
    /// partition of every group is read each poll).
    commits: HashMap<String, HashMap<String, HashMap<i32, VecDeque<Observation>>>>,
}

impl Default for LagTracker {
    fn default() -> Self {
        Self::new(DEFAULT_WINDOW)
    }
}

/// Who owns a partition in the group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Owner {
    pub member_id: String,
    pub client_id: String,
    pub host: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PartitionReport {
    pub topic: String,
    pub partition: i32,
    /// None when the group has never committed on this partition.
    pub committed: Option<i64>,
    pub high_watermark: i64,
    pub lag: Option<i64>,
    /// Age of the oldest unconsumed message, milliseconds.
    pub lag_ms: Option<i64>,
    pub lag_time_quality: Option<TimeQuality>,
    pub owner: Option<Arc<Owner>>,
    /// Offsets committed per second over the window.
    pub commit_rate: Option<f64>,
    /// Messages produced per second over the window.
    pub produce_rate: Option<f64>,
    pub status: PartitionStatus,
    /// Commits in this partition's window so far.
    pub window: usize,
    /// A share group's start offset: records before it are delivered and acknowledged.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_offset: Option<i64>,
    /// A share group's high watermark minus its start offset: records not yet acknowledged
    /// (in flight or waiting). Not lag: Kafka 4.1 reports none for share groups (KIP-1226
    /// brings it in 4.2).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_trails_by: Option<i64>,
    /// The last stable offset, where open transactions hold it below the high watermark.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_stable_offset: Option<i64>,
    /// Of the lag, the records a committed reader cannot read yet: the group is at the last
    /// stable offset and open transactions hold the rest. The status is judged without them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub held_by_open_transactions: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroupReport {
    pub group: String,
    /// classic, consumer (KIP-848), share (KIP-932) or streams (KIP-1071).
    pub kind: GroupKind,
    pub state: String,
    pub protocol: String,
    /// How many members; None when kview cannot know (a streams group).
    pub members: Option<usize>,
    /// Consumer and share groups: the group's epoch and its target assignment's.
    pub group_epoch: Option<i32>,
    pub assignment_epoch: Option<i32>,
    /// Members still taking or giving up partitions the coordinator moved.
    pub reconciling: usize,
    pub member_details: Vec<GroupMember>,
    pub topics: Vec<String>,
    /// Lag over the partitions with a committed offset; None when there are none.
    pub total_lag: Option<i64>,
    pub status: GroupStatus,
    /// What kview cannot tell about this group, and why.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Commits observed over commits the full windows hold.
    pub window_fill: (usize, usize),
    pub catch_up: CatchUp,
    pub partitions: Vec<PartitionReport>,
}

/// Inputs of one report that come from the cluster right now.
pub struct GroupSnapshot<'a> {
    pub group: &'a str,
    pub kind: &'a GroupKind,
    pub description: Option<&'a GroupDescription>,
    pub committed: &'a [CommittedOffset],
    /// A share group's start offsets (it commits none).
    pub share_starts: &'a [ShareStartOffset],
    pub high_watermarks: &'a HashMap<(String, i32), i64>,
    /// Timestamps of the records at the committed offsets, where they were read.
    pub exact_times: &'a HashMap<(String, i32), i64>,
    /// Last stable offsets below the high watermark (open transactions hold them back).
    pub stable_offsets: &'a HashMap<(String, i32), i64>,
}

impl LagTracker {
    pub fn new(window: usize) -> Self {
        LagTracker {
            window: window.max(2),
            rules: Rules::default(),
            watermarks: Default::default(),
            commits: HashMap::new(),
        }
    }

    pub fn window(&self) -> usize {
        self.window
    }

    pub fn with_rules(mut self, rules: Rules) -> Self {
        self.rules = rules;
        self
    }

    pub fn rules(&self) -> Rules {
        self.rules
    }

    pub fn observe_watermark(
        &mut self,
        topic: &str,
        partition: i32,
        at_ms: i64,
        high_watermark: i64,
    ) {
        if let Some(history) = partition_mut(named_mut(&mut self.watermarks, topic), partition) {
            history.push(at_ms, high_watermark);
        }
    }

    pub fn watermark_history(&self, topic: &str, partition: i32) -> Option<&WatermarkHistory> {
        partition_of(self.watermarks.get(topic)?, partition).filter(|h| !h.is_empty())
    }

    /// Adds a commit to its partition's window; replays of a commit already seen are ignored.
    /// A commit whose time's high watermark is unknown still counts (its lag is unknown), as
    /// in Burrow: it still says when the consumer last committed and where.
    pub fn observe_commit(&mut self, commit: &Commit) {
        let high = commit.high_watermark.or_else(|| {
            self.watermark_history(&commit.topic, commit.partition)
                .and_then(|h| h.high_watermark_at(commit.commit_ms))
        });
        let topics = named_mut(&mut self.commits, &commit.group);
        let window = named_mut(topics, &commit.topic)
            .entry(commit.partition)
            .or_default();
        if window
            .iter()
            .any(|o| o.at_ms == commit.commit_ms && o.offset == commit.offset)
        {
            return;
        }
        let observation = Observation {
            offset: commit.offset,
            lag: high.map(|h| (h - commit.offset).max(0)),
            at_ms: commit.commit_ms,
        };
        let mut at = window.partition_point(|o| o.at_ms <= observation.at_ms);
        // Full: the oldest commit makes room, unless this one is older still.
        if window.len() >= self.window {
            if at == 0 {
                return;
            }
            window.pop_front();
            at -= 1;
        }
        make_room(window, self.window);
        window.insert(at, observation);
    }

    pub fn commits(&self, group: &str, topic: &str, partition: i32) -> Vec<Observation> {
        self.commits
            .get(group)
            .and_then(|topics| topics.get(topic)?.get(&partition))
            .map(|w| w.iter().copied().collect())
            .unwrap_or_default()
    }

    /// Forgets a group's windows (after an offset reset they describe another history).
    pub fn forget_group(&mut self, group: &str) {
        self.commits.remove(group);
    }

    pub fn report(&self, snapshot: &GroupSnapshot, now_ms: i64) -> GroupReport {
        // Names borrowed from the snapshot: a poll of 2,200 groups reports 22,000 partitions,
        // and each name is copied once, into its report.
        let mut keys: BTreeSet<(&str, i32)> = snapshot
            .committed
            .iter()
            .map(|c| (c.topic.as_str(), c.partition))
            .chain(
                snapshot
                    .share_starts
                    .iter()
                    .map(|s| (s.topic.as_str(), s.partition)),
            )
            .collect();
        // One owner a member, shared by the partitions it holds.
        let mut owners: HashMap<(&str, i32), Arc<Owner>> = HashMap::new();
        if let Some(d) = snapshot.description {
            for m in &d.members {
                let owner = Arc::new(Owner {
                    member_id: m.member_id.clone(),
                    client_id: m.client_id.clone(),
                    host: m.host.clone(),
                });
                for (topic, partition) in &m.assignment {
                    keys.insert((topic.as_str(), *partition));
                    owners.insert((topic.as_str(), *partition), owner.clone());
                }
            }
        }
        let committed_at: HashMap<(&str, i32), i64> = snapshot
            .committed
            .iter()
            .map(|c| ((c.topic.as_str(), c.partition), c.offset))
            .collect();
        let mut partitions = Vec::with_capacity(keys.len());
        let (mut consume_sum, mut produce_sum, mut rates_known) = (0.0, 0.0, true);
        for (topic, partition) in keys {
            // The snapshot's maps are keyed by owned names; this key's name becomes the report's.
            let key = (topic.to_owned(), partition);
            let committed = committed_at.get(&(topic, partition)).copied();
            let high = snapshot.high_watermarks.get(&key).copied().unwrap_or(0);
            if *snapshot.kind == GroupKind::Share {
                let start = snapshot
                    .share_starts
                    .iter()
                    .find(|s| s.topic == topic && s.partition == partition)
                    .map(|s| s.start_offset)
                    .filter(|o| *o >= 0);
                partitions.push(PartitionReport {
                    owner: owners.remove(&(topic, partition)),
                    topic: key.0,
                    partition,
                    committed: None,
                    high_watermark: high,
                    lag: None,
                    lag_ms: None,
                    lag_time_quality: None,
                    commit_rate: None,
                    produce_rate: None,
                    status: PartitionStatus::NotJudged,
                    window: 0,
                    start_offset: start,
                    start_trails_by: start.map(|s| (high - s).max(0)),
                    last_stable_offset: None,
                    held_by_open_transactions: None,
                });
                continue;
            }
            // A commit can arrive before the next watermark sample: the log holds at least
            // what was committed, so the older sample never shows an impossible pair.
            let high = high.max(committed.unwrap_or(0));
            let lag = super::lag(committed, high);
            // Open transactions hold records back from committed readers: a consumer at the
            // last stable offset has read all it can, whatever is above it.
            let stable = snapshot
                .stable_offsets
                .get(&key)
                .copied()
                .filter(|s| *s < high);
            let held = match (stable, committed) {
                (Some(s), Some(c)) if c >= s => Some(high - c),
                _ => None,
            };
            let window = self.commits(snapshot.group, topic, partition);
            let (commit_rate, produce_rate) = rates(&window);
            match (lag, commit_rate, produce_rate) {
                // Caught up, or never committed: nothing to catch up on that rates could tell.
                (Some(0) | None, _, _) => {}
                (_, Some(c), Some(p)) => {
                    consume_sum += c;
                    produce_sum += p;
                }
                _ => rates_known = false,
            }
            let (lag_ms, lag_time_quality) = match (lag, committed) {
                (Some(0), _) => (Some(0), Some(TimeQuality::Exact)),
                (Some(_), Some(offset)) => match snapshot.exact_times.get(&key) {
                    Some(ts) => (Some((now_ms - ts).max(0)), Some(TimeQuality::Exact)),
                    None => self
                        .watermark_history(topic, partition)
                        .and_then(|h| h.produce_time(offset))
                        .map_or((None, None), |(at, q)| {
                            (Some((now_ms - at).max(0)), Some(q))
                        }),
                },
                _ => (None, None),
            };
            let status = match lag {
                None => PartitionStatus::NoCommits,
                Some(l) => {
                    let mut recent: Vec<i64> = self
                        .watermark_history(topic, partition)
                        .map(|h| h.since(now_ms - RECENT_MS).collect())
                        .unwrap_or_default();
                    recent.push(high);
                    let evidence = Evidence {
                        window: &window,
                        recent_high_watermarks: &recent,
                        current_lag: l - held.unwrap_or(0),
                        now_ms,
                        has_members: described_members(snapshot.description)
                            .map(|members| members > 0),
                    };
                    evaluate(&evidence, &self.rules)
                }
            };
            partitions.push(PartitionReport {
                owner: owners.remove(&(topic, partition)),
                topic: key.0,
                partition,
                committed,
                high_watermark: high,
                lag,
                lag_ms,
                lag_time_quality,
                commit_rate,
                produce_rate,
                status,
                window: window.len(),
                start_offset: None,
                start_trails_by: None,
                last_stable_offset: stable,
                held_by_open_transactions: held,
            });
        }
        let lags: Vec<i64> = partitions.iter().filter_map(|p| p.lag).collect();
        let total_lag = (!lags.is_empty()).then(|| lags.iter().sum());
        let mut topics: Vec<String> = partitions.iter().map(|p| p.topic.clone()).collect();
        topics.dedup();
        let described = snapshot.description;
        let status = if !snapshot.kind.commits_offsets() {
            GroupStatus::NotJudged
        } else if total_lag.is_none() {
            GroupStatus::NoCommits
        } else {
            group_status(partitions.iter().map(|p| p.status)).unwrap_or(GroupStatus::Unknown)
        };
        GroupReport {
            group: snapshot.group.to_owned(),
            kind: snapshot.kind.clone(),
            state: described.map_or_else(|| "Unknown".into(), |d| d.state.clone()),
            protocol: described.map_or_else(String::new, |d| d.protocol.clone()),
            members: described_members(described),
            group_epoch: described.and_then(|d| d.group_epoch),
            assignment_epoch: described.and_then(|d| d.assignment_epoch),
            reconciling: described.map_or(0, GroupDescription::reconciling),
            member_details: described.map(|d| d.members.clone()).unwrap_or_default(),
            note: described.and_then(|d| d.note.clone()),
            topics,
            total_lag,
            status,
            window_fill: (
                partitions.iter().map(|p| p.window.min(self.window)).sum(),
                partitions.len() * self.window,
            ),
            catch_up: total_lag.map_or(CatchUp::Unknown, |lag| {
                catch_up(lag, rates_known.then_some(consume_sum), produce_sum)
            }),
            partitions,
        }
    }
}

/// How many members a description lists, when it can list them.
fn described_members(d: Option<&GroupDescription>) -> Option<usize> {
    d.filter(|d| d.note.is_none()).map(|d| d.members.len())
}

/// Consume and produce rates over a window of commits (each commit knows the high watermark
/// of its time: offset + lag).
fn rates(window: &[Observation]) -> (Option<f64>, Option<f64>) {
    let (Some(first), Some(last)) = (window.first(), window.last()) else {
        return (None, None);
    };
    let seconds = (last.at_ms - first.at_ms) as f64 / 1000.0;
    if window.len() < 2 || seconds <= 0.0 {
        return (None, None);
    }
    let consumed = (last.offset - first.offset).max(0) as f64 / seconds;
    // The high watermark of a commit's time is offset + lag, where the lag is known.
    let known: Vec<(i64, i64)> = window
        .iter()
        .filter_map(|o| o.lag.map(|lag| (o.at_ms, o.offset + lag)))
        .collect();
    let produced = match (known.first().copied(), known.last().copied()) {
        (Some((t0, h0)), Some((t1, h1))) if t1 > t0 => {
            Some((h1 - h0).max(0) as f64 / ((t1 - t0) as f64 / 1000.0))
        }
        _ => None,
    };
    (Some(consumed), produced)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kafka::GroupMember;

    fn commit(offset: i64, commit_ms: i64, high: Option<i64>) -> Commit {
        Commit {
            group: "g".into(),
            topic: "t".into(),
            partition: 0,
            offset,
            commit_ms,
            high_watermark: high,
        }
    }

    fn snapshot_inputs(
        committed: i64,
        high: i64,
    ) -> (Vec<CommittedOffset>, HashMap<(String, i32), i64>) {
        (
            vec![CommittedOffset {
                topic: "t".into(),
                partition: 0,
                offset: committed,
                metadata: None,
            }],
            HashMap::from([(("t".to_string(), 0), high)]),
        )
    }

    #[test]
    fn windows_are_bounded_ordered_and_ignore_replays() {
        let mut t = LagTracker::new(3);
        for (i, offset) in [10, 20, 30, 40].iter().enumerate() {
            t.observe_commit(&commit(*offset, i as i64 * 1000, Some(100)));
        }
        t.observe_commit(&commit(40, 3000, Some(100)));
        t.observe_commit(&commit(25, 2500, Some(100))); // late arrival
        let w = t.commits("g", "t", 0);
        assert_eq!(
            w.iter().map(|o| o.offset).collect::<Vec<_>>(),
            vec![30, 25, 40]
        );
        assert_eq!(w[2].lag, Some(60));
        t.observe_commit(&commit(5, 0, Some(100))); // older than the whole full window
        assert_eq!(t.commits("g", "t", 0), w);
    }

    #[test]
    fn lag_at_commit_comes_from_the_watermark_history_when_not_given() {
        let mut t = LagTracker::default();
        t.observe_commit(&commit(5, 500, None)); // no history yet: kept, its lag unknown
        assert_eq!(t.commits("g", "t", 0)[0].lag, None);
        t.observe_watermark("t", 0, 0, 100);
        t.observe_watermark("t", 0, 1000, 200);
        t.observe_commit(&commit(120, 500, None));
        assert_eq!(t.commits("g", "t", 0)[1].lag, Some(30));
    }

    #[test]
    fn reports_lag_status_rates_and_catch_up() {
        let mut t = LagTracker::default();
        // Consuming 20/s while 10/s are produced: lag shrinks from 100 by 10 each second.
        for i in 0..5 {
            let offset = 1000 + i * 20;
            let high = 1100 + i * 10;
            t.observe_commit(&commit(offset, i * 1000, Some(high)));
        }
        let (committed, highs) = snapshot_inputs(1080, 1140);
        let description = GroupDescription {
            group_id: "g".into(),
            kind: GroupKind::Classic,
            group_epoch: None,
            assignment_epoch: None,
            note: None,
            state: "Stable".into(),
            protocol_type: "consumer".into(),
            protocol: "range".into(),
            coordinator: 1,
            members: vec![GroupMember {
                member_id: "m-1".into(),
                client_id: "c".into(),
                host: "/127.0.0.1".into(),
                assignment: vec![("t".into(), 0), ("t".into(), 1)],
                ..GroupMember::default()
            }],
        };
        let exact = HashMap::new();
        let report = t.report(
            &GroupSnapshot {
                group: "g",
                kind: &GroupKind::Classic,
                share_starts: &[],
                description: Some(&description),
                committed: &committed,
                high_watermarks: &highs,
                exact_times: &exact,
                stable_offsets: &HashMap::new(),
            },
            4_500,
        );
        assert_eq!(report.total_lag, Some(60));
        assert_eq!(
            report.partitions.len(),
            2,
            "assigned partition without commits is listed"
        );
        let p0 = &report.partitions[0];
        assert_eq!(p0.lag, Some(60));
        assert_eq!(p0.status, PartitionStatus::Ok);
        assert_eq!(p0.commit_rate, Some(20.0));
        assert_eq!(p0.produce_rate, Some(10.0));
        assert_eq!(p0.owner.as_ref().unwrap().member_id, "m-1");
        let p1 = &report.partitions[1];
        assert_eq!(p1.status, PartitionStatus::NoCommits);
        assert_eq!(p1.lag, None);
        assert_eq!(report.status, GroupStatus::Ok);
        assert_eq!(report.window_fill, (5, 20));
        // p1 never committed: it does not keep the estimate from p0's rates.
        assert_eq!(report.catch_up, CatchUp::Seconds(6.0));
    }

    #[test]
    fn a_commit_newer_than_the_watermark_sample_never_shows_above_it() {
        let t = LagTracker::default();
        let (committed, highs) = snapshot_inputs(752, 750);
        let exact = HashMap::new();
        let report = t.report(
            &GroupSnapshot {
                group: "g",
                kind: &GroupKind::Classic,
                share_starts: &[],
                description: None,
                committed: &committed,
                high_watermarks: &highs,
                exact_times: &exact,
                stable_offsets: &HashMap::new(),
            },
            1_000,
        );
        let p = &report.partitions[0];
        assert_eq!(
            (p.committed, p.high_watermark, p.lag),
            (Some(752), 752, Some(0))
        );
    }

    #[test]
    fn records_held_by_open_transactions_are_lag_but_not_judged_against_the_group() {
        let mut t = LagTracker::default();
        // Commits every second, caught up to the last stable offset (380) each time, while an
        // open transaction holds 20 records above it.
        for i in 0..5 {
            t.observe_commit(&commit(380, i * 1_000, Some(400)));
        }
        let (committed, highs) = snapshot_inputs(380, 400);
        let exact = HashMap::new();
        let stable = HashMap::from([(("t".to_string(), 0), 380)]);
        let report = t.report(
            &GroupSnapshot {
                group: "g",
                kind: &GroupKind::Classic,
                share_starts: &[],
                description: None,
                committed: &committed,
                high_watermarks: &highs,
                exact_times: &exact,
                stable_offsets: &stable,
            },
            5_000,
        );
        let p = &report.partitions[0];
        assert_eq!(p.lag, Some(20), "lag as Kafka's tools count it");
        assert_eq!(p.held_by_open_transactions, Some(20));
        assert_eq!(p.last_stable_offset, Some(380));
        assert_eq!(
            p.status,
            PartitionStatus::Ok,
            "not STALL: it read all it can"
        );
        // Without the stable offset, the same commits look stalled.
        let blind = t.report(
            &GroupSnapshot {
                group: "g",
                kind: &GroupKind::Classic,
                share_starts: &[],
                description: None,
                committed: &committed,
                high_watermarks: &highs,
                exact_times: &exact,
                stable_offsets: &HashMap::new(),
            },
            5_000,
        );
        assert_eq!(blind.partitions[0].status, PartitionStatus::Stall);
    }

    #[test]
    fn catch_up_from_window_rates() {
        let mut t = LagTracker::default();
        for i in 0..5 {
            t.observe_commit(&commit(1000 + i * 20, i * 1000, Some(1100 + i * 10)));
        }
        let (committed, highs) = snapshot_inputs(1080, 1140);
        let exact = HashMap::from([(("t".to_string(), 0), 1_500)]);
        let report = t.report(
            &GroupSnapshot {
                group: "g",
                kind: &GroupKind::Classic,
                share_starts: &[],
                description: None,
                committed: &committed,
                high_watermarks: &highs,
                exact_times: &exact,
                stable_offsets: &HashMap::new(),
            },
            4_500,
        );
        assert_eq!(report.catch_up, CatchUp::Seconds(6.0));
        assert_eq!(report.partitions[0].lag_ms, Some(3_000));
        assert_eq!(
            report.partitions[0].lag_time_quality,
            Some(TimeQuality::Exact)
        );
    }

    #[test]
    fn a_stopped_consumer_turns_stop_and_errs_the_group() {
        let mut t = LagTracker::default();
        for i in 0..4 {
            t.observe_commit(&commit(100 + i, i * 5_000, Some(200 + i * 10)));
        }
        let (committed, highs) = snapshot_inputs(103, 400);
        let exact = HashMap::new();
        let snapshot = GroupSnapshot {
            group: "g",
            kind: &GroupKind::Classic,
            share_starts: &[],
            description: None,
            committed: &committed,
            high_watermarks: &highs,
            exact_times: &exact,
            stable_offsets: &HashMap::new(),
        };
        assert_eq!(t.report(&snapshot, 16_000).status, GroupStatus::Warn);
        let stopped = t.report(&snapshot, 15_000 + 16_000);
        assert_eq!(stopped.partitions[0].status, PartitionStatus::Stop);
        assert_eq!(stopped.status, GroupStatus::Err);
    }
}
