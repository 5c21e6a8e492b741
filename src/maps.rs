//! Maps keyed by name, reached by a borrowed `&str`: the per-poll paths update an entry per
//! partition of every group, and an owned key copied the names each time. Within a topic,
//! partitions are a vector indexed by id (Kafka's ids are dense from 0): a hash map of ten
//! partitions kept room for sixteen, and a key each. And deques kept one a partition grow
//! from one element, not four.

use std::collections::{HashMap, VecDeque};
use std::hash::BuildHasher;

/// The entry for `name`, made when missing; the name is copied only then.
pub fn named_mut<'a, V: Default, S: BuildHasher>(
    map: &'a mut HashMap<String, V, S>,
    name: &str,
) -> &'a mut V {
    if !map.contains_key(name) {
        map.insert(name.to_owned(), V::default());
    }
    map.get_mut(name).expect("just made")
}

/// Whether two names are the same; first by address, as the per-partition paths compare names
/// borrowed from one metadata (the same bytes), a sample of 39,000 partitions a few times each.
pub fn same_name(a: &str, b: &str) -> bool {
    a.len() == b.len() && (std::ptr::eq(a.as_ptr(), b.as_ptr()) || a == b)
}

/// Partition ids are below this: a topic's figures are a vector indexed by id.
const MAX_PARTITION_ID: usize = 1 << 20;

/// The entry of partition `id`, the vector grown to hold it (filled with defaults); None for an
/// id no broker would give (negative, or past any real partition count). Ids come in order, one
/// at a time: the vector grows by a quarter, not double, so a topic of ten holds room for ten,
/// not sixteen.
pub fn partition_mut<V: Default>(by_id: &mut Vec<V>, id: i32) -> Option<&mut V> {
    let id = usize::try_from(id)
        .ok()
        .filter(|&id| id < MAX_PARTITION_ID)?;
    if by_id.len() <= id {
        if by_id.capacity() <= id {
            let missing = id + 1 - by_id.len();
            by_id.reserve_exact(missing.max(by_id.len() / 4));
        }
        by_id.resize_with(id + 1, V::default);
    }
    Some(&mut by_id[id])
}

/// The entry of partition `id`, if there is one.
pub fn partition<V>(by_id: &[V], id: i32) -> Option<&V> {
    by_id.get(usize::try_from(id).ok()?)
}

/// Makes room for one more element in a deque that holds at most `most`, doubling from one:
/// `VecDeque`'s own growth starts at four and ends at the power of two above `most`, and a
/// large cluster keeps one of these a partition (39,000 idle partitions hold two points each).
pub fn make_room<T>(deque: &mut VecDeque<T>, most: usize) {
    if deque.len() == deque.capacity() {
        deque.reserve_exact(
            deque
                .len()
                .clamp(1, most.saturating_sub(deque.len()).max(1)),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_the_same_by_address_or_by_bytes_never_by_a_shared_start() {
        let metadata = String::from("orders-eu");
        let copy = metadata.clone();
        assert!(same_name(&metadata, &metadata));
        assert!(same_name(&metadata, &copy));
        // A prefix starts at the same address: its length tells it apart.
        assert!(!same_name(&metadata[..6], &metadata));
        assert!(!same_name(&metadata, "orders-us"));
        assert!(same_name("", &metadata[..0]));
    }

    #[test]
    fn makes_an_entry_once_and_finds_it_after() {
        let mut map: HashMap<String, Vec<i32>> = HashMap::new();
        named_mut(&mut map, "a").push(1);
        named_mut(&mut map, "a").push(2);
        named_mut(&mut map, "b").push(3);
        assert_eq!(map["a"], vec![1, 2]);
        assert_eq!(map.len(), 2);
    }

    #[test]
    fn partitions_are_found_by_id_and_impossible_ids_refused() {
        let mut by_id: Vec<i64> = Vec::new();
        *partition_mut(&mut by_id, 3).unwrap() = 7;
        assert_eq!(by_id, [0, 0, 0, 7], "the gap below is filled with defaults");
        assert_eq!(partition(&by_id, 3), Some(&7));
        assert_eq!(partition(&by_id, 4), None);
        assert_eq!(partition(&by_id, -1), None);
        assert!(partition_mut(&mut by_id, -1).is_none());
        assert!(partition_mut(&mut by_id, MAX_PARTITION_ID as i32).is_none());
        assert_eq!(by_id.len(), 4, "a refused id grows nothing");
        let mut ten: Vec<u64> = Vec::new();
        for id in 0..10 {
            partition_mut(&mut ten, id);
        }
        assert_eq!(ten.capacity(), 10, "ids one at a time leave no spare room");
    }

    #[test]
    fn a_deque_grows_from_one_and_never_past_its_most() {
        let mut deque: VecDeque<u64> = VecDeque::new();
        let mut capacities = Vec::new();
        for i in 0..10 {
            make_room(&mut deque, 10);
            deque.push_back(i);
            capacities.push(deque.capacity());
        }
        assert_eq!(capacities, [1, 2, 4, 4, 8, 8, 8, 8, 10, 10]);
    }
}
