//! Maps keyed by name, reached by a borrowed `&str`: the per-poll paths update an entry per
//! partition of every group, and an owned key copied the names each time.

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
}
