//! The sensor processors as their consumer group shows them: each member (numbered in the order
//! it first appeared), its partitions and its rate from the group's commits, and the moments a
//! rebalance moved work ("processor 2 left; partitions 1, 3 moved to processor 1 in 11.2 s").
//! Built from what any watcher can see (a describe and the commits), so processors on other
//! machines show as well as the dashboard's own.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use crate::kafka::GroupDescription;

/// Moments kept for the view.
const MOMENTS: usize = 4;

#[derive(Debug, Clone, PartialEq)]
pub struct ProcessorRow {
    pub number: usize,
    pub member_id: String,
    pub host: String,
    pub partitions: Vec<i32>,
    /// Readings a second its partitions' commits moved on by since the last look; None until
    /// there are two looks.
    pub rate: Option<f64>,
}

/// One look at the group: when, who owned which partition, and the commits.
#[derive(Debug, Clone, Default)]
struct Look {
    at_ms: i64,
    owner: BTreeMap<i32, String>,
    committed: BTreeMap<i32, i64>,
}

#[derive(Debug, Clone, Default)]
pub struct ProcessorsPanel {
    pub rows: Vec<ProcessorRow>,
    /// Newest last.
    pub moments: VecDeque<String>,
    /// Why the group could not be read, when it could not.
    pub error: Option<String>,
    numbers: BTreeMap<String, usize>,
    last: Option<Look>,
    /// When each partition's commit last moved on.
    advanced_at: BTreeMap<i32, i64>,
}

impl ProcessorsPanel {
    /// Takes in one look at the group: its description and its commits on the sensors topic.
    pub fn apply(
        &mut self,
        at_ms: i64,
        group: &GroupDescription,
        topic: &str,
        committed: BTreeMap<i32, i64>,
    ) {
        self.error = None;
        let mut owner: BTreeMap<i32, String> = BTreeMap::new();
        for m in &group.members {
            if !self.numbers.contains_key(&m.member_id) {
                let next = self.numbers.len() + 1;
                self.numbers.insert(m.member_id.clone(), next);
            }
            for (t, p) in &m.assignment {
                if t == topic {
                    owner.insert(*p, m.member_id.clone());
                }
            }
        }
        let last = self.last.take().unwrap_or_default();
        for (p, offset) in &committed {
            if last.committed.get(p).is_none_or(|before| before != offset) {
                self.advanced_at.insert(*p, at_ms);
            }
        }
        if !last.owner.is_empty() || last.at_ms > 0 {
            self.note_moves(at_ms, &last, &owner, group);
        }
        let seconds = (at_ms - last.at_ms) as f64 / 1000.0;
        self.rows = group
            .members
            .iter()
            .map(|m| {
                let partitions: Vec<i32> = owner
                    .iter()
                    .filter(|(_, o)| **o == m.member_id)
                    .map(|(p, _)| *p)
                    .collect();
                let rate = (last.at_ms > 0 && seconds > 0.0).then(|| {
                    let moved: i64 = partitions
                        .iter()
                        .map(|p| {
                            let now = committed.get(p).copied().unwrap_or(0);
                            (now - last.committed.get(p).copied().unwrap_or(now)).max(0)
                        })
                        .sum();
                    moved as f64 / seconds
                });
                ProcessorRow {
                    number: self.numbers[&m.member_id],
                    member_id: m.member_id.clone(),
                    host: m.host.clone(),
                    partitions,
                    rate,
                }
            })
            .collect();
        self.rows.sort_by_key(|r| r.number);
        self.last = Some(Look {
            at_ms,
            owner,
            committed,
        });
    }

    pub fn failed(&mut self, error: String) {
        self.error = Some(error);
    }

    /// Says which partitions changed hands since the last look, and why (who left or joined).
    fn note_moves(
        &mut self,
        at_ms: i64,
        last: &Look,
        owner: &BTreeMap<i32, String>,
        group: &GroupDescription,
    ) {
        let before: BTreeSet<&String> = last.owner.values().collect();
        let present: BTreeSet<&String> = group.members.iter().map(|m| &m.member_id).collect();
        // (from, to) → partitions
        let mut moves: BTreeMap<(Option<&String>, &String), Vec<i32>> = BTreeMap::new();
        for (p, to) in owner {
            let from = last.owner.get(p);
            if from != Some(to) {
                moves.entry((from, to)).or_default().push(*p);
            }
        }
        for ((from, to), partitions) in moves {
            let list = partitions
                .iter()
                .map(i32::to_string)
                .collect::<Vec<_>>()
                .join(", ");
            let noun = if partitions.len() == 1 {
                "partition"
            } else {
                "partitions"
            };
            let to_name = self.name(to);
            let moment = match from {
                Some(from) if !present.contains(from) => {
                    // From the gone member's last progress on them to now.
                    let since = partitions
                        .iter()
                        .filter_map(|p| self.advanced_at_before(*p, last.at_ms))
                        .min()
                        .unwrap_or(last.at_ms);
                    let seconds = (at_ms - since).max(0) as f64 / 1000.0;
                    format!(
                        "{} left; {noun} {list} moved to {to_name} in {seconds:.1} s",
                        self.name(from)
                    )
                }
                Some(from) => {
                    let joined = if before.contains(to) { "" } else { " (joined)" };
                    format!(
                        "{noun} {list} moved from {} to {to_name}{joined}",
                        self.name(from)
                    )
                }
                None => format!("{noun} {list} assigned to {to_name}"),
            };
            self.moments.push_back(moment);
            while self.moments.len() > MOMENTS {
                self.moments.pop_front();
            }
        }
    }

    /// When partition `p`'s commit last moved on, as of a look at `at_ms` or before.
    fn advanced_at_before(&self, p: i32, at_ms: i64) -> Option<i64> {
        self.advanced_at.get(&p).copied().filter(|t| *t <= at_ms)
    }

    fn name(&self, member_id: &str) -> String {
        self.numbers
            .get(member_id)
            .map_or_else(|| "a processor".to_owned(), |n| format!("processor {n}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kafka::{GroupKind, GroupMember};

    fn member(id: &str, partitions: &[i32]) -> GroupMember {
        GroupMember {
            member_id: id.into(),
            host: "/127.0.0.1".into(),
            assignment: partitions.iter().map(|p| ("sensors".into(), *p)).collect(),
            ..GroupMember::default()
        }
    }

    fn group(members: Vec<GroupMember>) -> GroupDescription {
        GroupDescription {
            group_id: "kview-sensor-processor".into(),
            kind: GroupKind::Consumer,
            state: "Stable".into(),
            protocol_type: "consumer".into(),
            protocol: "uniform".into(),
            coordinator: 1,
            group_epoch: None,
            assignment_epoch: None,
            members,
            note: None,
        }
    }

    fn commits(pairs: &[(i32, i64)]) -> BTreeMap<i32, i64> {
        pairs.iter().copied().collect()
    }

    #[test]
    fn rates_come_from_the_commits_of_each_members_partitions() {
        let mut panel = ProcessorsPanel::default();
        let two = group(vec![member("a", &[0, 1]), member("b", &[2, 3])]);
        panel.apply(1_000, &two, "sensors", commits(&[(0, 10), (1, 10), (2, 0)]));
        assert_eq!(panel.rows[0].rate, None, "one look gives no rate");
        panel.apply(
            3_000,
            &two,
            "sensors",
            commits(&[(0, 30), (1, 50), (2, 100), (3, 4)]),
        );
        assert_eq!(panel.rows[0].rate, Some(30.0));
        // Partition 3's first commit counts from itself: no jump from nothing.
        assert_eq!(panel.rows[1].rate, Some(50.0));
        assert_eq!(
            panel.rows.iter().map(|r| r.number).collect::<Vec<_>>(),
            [1, 2]
        );
        assert!(panel.moments.iter().all(|m| !m.contains("moved")));
    }

    #[test]
    fn a_member_that_left_is_named_with_how_long_its_partitions_waited() {
        let mut panel = ProcessorsPanel::default();
        let before = group(vec![member("a", &[0, 2]), member("b", &[1, 3])]);
        panel.apply(0, &before, "sensors", commits(&[(1, 5), (3, 5)]));
        // b stops making progress at 1 s.
        panel.apply(1_000, &before, "sensors", commits(&[(1, 9), (3, 9)]));
        panel.apply(5_000, &before, "sensors", commits(&[(1, 9), (3, 9)]));
        let after = group(vec![member("a", &[0, 1, 2, 3])]);
        panel.apply(12_200, &after, "sensors", commits(&[(1, 9), (3, 9)]));
        assert_eq!(
            panel.moments.back().unwrap(),
            "processor 2 left; partitions 1, 3 moved to processor 1 in 11.2 s"
        );
        // A newcomer takes some back.
        let spread = group(vec![member("a", &[0, 2]), member("c", &[1, 3])]);
        panel.apply(14_000, &spread, "sensors", commits(&[]));
        assert_eq!(
            panel.moments.back().unwrap(),
            "partitions 1, 3 moved from processor 1 to processor 3 (joined)"
        );
        assert_eq!(panel.rows[1].number, 3);
    }
}
