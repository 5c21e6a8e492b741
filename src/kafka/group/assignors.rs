//! The assignors of the classic group protocol, where the group's leader decides who reads
//! what: Kafka's `range` and `cooperative-sticky`, as pure functions over member ids, their
//! subscriptions and (for sticky) what each owns now.

use std::collections::{BTreeMap, BTreeSet};

use super::TopicPartition;

/// A member's subscription and what it owns now (empty for a new member).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MemberState {
    pub topics: BTreeSet<String>,
    pub owned: Vec<TopicPartition>,
}

pub type Assignment = BTreeMap<String, Vec<TopicPartition>>;

/// Kafka's RangeAssignor: per topic, its partitions in order cut into ranges, one a member in
/// member-id order; the first `partitions % members` get one more.
pub fn range(
    members: &BTreeMap<String, MemberState>,
    partitions: &BTreeMap<String, i32>,
) -> Assignment {
    let mut out: Assignment = members.keys().map(|m| (m.clone(), Vec::new())).collect();
    for (topic, &count) in partitions {
        let readers: Vec<&String> = members
            .iter()
            .filter(|(_, s)| s.topics.contains(topic))
            .map(|(m, _)| m)
            .collect();
        if readers.is_empty() {
            continue;
        }
        let (each, extra) = (
            count as usize / readers.len(),
            count as usize % readers.len(),
        );
        let mut next = 0i32;
        for (i, member) in readers.into_iter().enumerate() {
            let take = each + usize::from(i < extra);
            let list = out.get_mut(member).expect("every member has a list");
            list.extend((next..next + take as i32).map(|p| (topic.clone(), p)));
            next += take as i32;
        }
    }
    out
}

/// The balanced assignment that keeps as much as it can of what members own: each keeps its
/// owned partitions (still subscribed, not claimed twice) up to its share, and what is left
/// goes to the members with the fewest. Shares differ by one at most among members of the
/// same subscription.
pub fn sticky(
    members: &BTreeMap<String, MemberState>,
    partitions: &BTreeMap<String, i32>,
) -> Assignment {
    let all: BTreeSet<TopicPartition> = partitions
        .iter()
        .flat_map(|(t, &n)| (0..n).map(move |p| (t.clone(), p)))
        .filter(|(t, _)| members.values().any(|s| s.topics.contains(t)))
        .collect();
    let wanted = all.len();
    let count = members.len().max(1);
    // The first `wanted % count` members (by how much they own, then id) may hold one more.
    let mut order: Vec<&String> = members.keys().collect();
    order.sort_by_key(|m| std::cmp::Reverse(members[*m].owned.len()));
    let quota: BTreeMap<&String, usize> = order
        .iter()
        .enumerate()
        .map(|(i, m)| (*m, wanted / count + usize::from(i < wanted % count)))
        .collect();
    let mut out: Assignment = members.keys().map(|m| (m.clone(), Vec::new())).collect();
    let mut taken: BTreeSet<TopicPartition> = BTreeSet::new();
    for (member, state) in members {
        let list = out.get_mut(member).expect("every member has a list");
        for tp in &state.owned {
            if list.len() >= quota[member] {
                break;
            }
            if all.contains(tp) && state.topics.contains(&tp.0) && taken.insert(tp.clone()) {
                list.push(tp.clone());
            }
        }
    }
    for tp in all.difference(&taken.clone()) {
        let least = out
            .iter()
            .filter(|(m, _)| members[*m].topics.contains(&tp.0))
            .min_by_key(|(m, list)| (list.len() >= quota[m], list.len()))
            .map(|(m, _)| m.clone());
        if let Some(m) = least {
            out.get_mut(&m).expect("known member").push(tp.clone());
            taken.insert(tp.clone());
        }
    }
    for list in out.values_mut() {
        list.sort();
    }
    out
}

/// Kafka's CooperativeStickyAssignor: the sticky assignment, except that a partition moving
/// between members is left out this round, so its owner gives it up first; the rebalance that
/// follows hands it to its new member. Nobody ever owns a partition another still reads.
pub fn cooperative_sticky(
    members: &BTreeMap<String, MemberState>,
    partitions: &BTreeMap<String, i32>,
) -> Assignment {
    let target = sticky(members, partitions);
    let owner: BTreeMap<&TopicPartition, &String> = members
        .iter()
        .flat_map(|(m, s)| s.owned.iter().map(move |tp| (tp, m)))
        .collect();
    target
        .into_iter()
        .map(|(member, list)| {
            let kept = list
                .into_iter()
                .filter(|tp| owner.get(tp).is_none_or(|o| **o == member))
                .collect();
            (member, kept)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn members_of(n: usize, topics: &[&str]) -> BTreeMap<String, MemberState> {
        (0..n)
            .map(|i| {
                (
                    format!("m{i:02}"),
                    MemberState {
                        topics: topics.iter().map(|t| t.to_string()).collect(),
                        owned: Vec::new(),
                    },
                )
            })
            .collect()
    }

    fn counts(a: &Assignment) -> Vec<usize> {
        a.values().map(Vec::len).collect()
    }

    #[test]
    fn range_cuts_each_topic_in_order_as_kafka_does() {
        let members = members_of(2, &["t"]);
        let a = range(&members, &BTreeMap::from([("t".to_string(), 5)]));
        let parts = |m: &str| a[m].iter().map(|(_, p)| *p).collect::<Vec<_>>();
        assert_eq!(parts("m00"), [0, 1, 2]);
        assert_eq!(parts("m01"), [3, 4]);
    }

    /// Every partition of a subscribed topic exactly once.
    fn each_once(a: &Assignment, partitions: &BTreeMap<String, i32>) -> bool {
        let mut seen = BTreeSet::new();
        a.values().flatten().all(|tp| seen.insert(tp.clone()))
            && seen.len() == partitions.values().map(|n| *n as usize).sum::<usize>()
    }

    proptest! {
        #[test]
        fn range_and_sticky_assign_every_partition_once_balanced_within_one(
            members in 1usize..9,
            topics in prop::collection::btree_map("[a-c]", 1i32..13, 1..3),
        ) {
            let names: Vec<&str> = topics.keys().map(String::as_str).collect();
            let group = members_of(members, &names);
            let s = sticky(&group, &topics);
            prop_assert!(each_once(&s, &topics));
            let c = counts(&s);
            prop_assert!(c.iter().max().unwrap() - c.iter().min().unwrap() <= 1, "{:?}", c);
            let r = range(&group, &topics);
            prop_assert!(each_once(&r, &topics));
        }

        #[test]
        fn sticky_moves_only_what_balance_needs(
            before in 1usize..7,
            after in 1usize..7,
            count in 1i32..30,
        ) {
            let topics = BTreeMap::from([("t".to_string(), count)]);
            let first = sticky(&members_of(before, &["t"]), &topics);
            // The members that stay keep what they owned; new ones own nothing yet.
            let mut group = members_of(after, &["t"]);
            for (m, s) in group.iter_mut() {
                s.owned = first.get(m).cloned().unwrap_or_default();
            }
            let second = sticky(&group, &topics);
            prop_assert!(each_once(&second, &topics));
            let quota_high = (count as usize).div_ceil(after);
            // A member keeps everything it owned, up to its share.
            for (m, s) in &group {
                let kept = s.owned.iter().filter(|tp| second[m].contains(tp)).count();
                prop_assert!(kept >= s.owned.len().min(count as usize / after), "{} kept {}", m, kept);
                prop_assert!(second[m].len() <= quota_high);
            }
        }

        #[test]
        fn cooperative_never_hands_out_what_another_member_still_owns(
            before in 1usize..7,
            after in 1usize..7,
            count in 1i32..30,
        ) {
            let topics = BTreeMap::from([("t".to_string(), count)]);
            let first = cooperative_sticky(&members_of(before, &["t"]), &topics);
            prop_assert!(each_once(&first, &topics), "a first assignment moves nothing");
            let mut group = members_of(after, &["t"]);
            for (m, s) in group.iter_mut() {
                s.owned = first.get(m).cloned().unwrap_or_default();
            }
            let second = cooperative_sticky(&group, &topics);
            for (m, list) in &second {
                for tp in list {
                    let other = group.iter().any(|(o, s)| o != m && s.owned.contains(tp));
                    prop_assert!(!other, "{:?} given to {} while another owns it", tp, m);
                }
            }
            // The round after: everyone owns what it was given, and all is assigned, balanced.
            for (m, s) in group.iter_mut() {
                s.owned = second[m].clone();
            }
            let third = cooperative_sticky(&group, &topics);
            prop_assert!(each_once(&third, &topics));
            let c = counts(&third);
            prop_assert!(c.iter().max().unwrap() - c.iter().min().unwrap() <= 1, "{:?}", c);
        }
    }
}
