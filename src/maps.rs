//! Maps keyed by name, reached by a borrowed `&str`: the per-poll paths update an entry per
//! partition of every group, and an owned key copied the names each time. Within a topic,
//! partitions are a vector indexed by id (Kafka's ids are dense from 0): a hash map of ten
//! partitions kept room for sixteen, and a key each.

use std::collections::HashMap;
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

/// Partition ids are below this: a topic's figures are a vector indexed by id.
pub const MAX_PARTITION_ID: usize = 1 << 20;

/// The entry of partition `id`, the vector grown to hold it (filled with defaults); None for an
/// id no broker would give (negative, or past any real partition count).
pub fn partition_mut<V: Default>(by_id: &mut Vec<V>, id: i32) -> Option<&mut V> {
    let id = usize::try_from(id).ok().filter(|&id| id < MAX_PARTITION_ID)?;
    if by_id.len() <= id {
        by_id.resize_with(id + 1, V::default);
    }
    Some(&mut by_id[id])
}

/// The entry of partition `id`, if there is one.
pub fn partition<V>(by_id: &[V], id: i32) -> Option<&V> {
    by_id.get(usize::try_from(id).ok()?)
}

#[cfg(test)]
mod tests {
    use super::*;

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
    }
}
