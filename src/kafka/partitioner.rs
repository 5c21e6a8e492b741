//! Picks a partition for a record the way Kafka's Java producer does, so that records kview
//! writes land beside those of the applications that share the topic.

use std::sync::atomic::{AtomicUsize, Ordering};

/// Murmur2 as in `org.apache.kafka.common.utils.Utils.murmur2`.
pub fn murmur2(data: &[u8]) -> i32 {
    const SEED: u32 = 0x9747_b28c;
    const M: u32 = 0x5bd1_e995;
    const R: u32 = 24;
    let length = data.len();
    let mut h: u32 = SEED ^ (length as u32);
    let chunks = data.chunks_exact(4);
    let tail = chunks.remainder();
    for chunk in chunks {
        let mut k = u32::from_le_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
        k = k.wrapping_mul(M);
        k ^= k >> R;
        k = k.wrapping_mul(M);
        h = h.wrapping_mul(M);
        h ^= k;
    }
    match tail.len() {
        3 => {
            h ^= u32::from(tail[2]) << 16;
            h ^= u32::from(tail[1]) << 8;
            h ^= u32::from(tail[0]);
            h = h.wrapping_mul(M);
        }
        2 => {
            h ^= u32::from(tail[1]) << 8;
            h ^= u32::from(tail[0]);
            h = h.wrapping_mul(M);
        }
        1 => {
            h ^= u32::from(tail[0]);
            h = h.wrapping_mul(M);
        }
        _ => {}
    }
    h ^= h >> 13;
    h = h.wrapping_mul(M);
    h ^= h >> 15;
    h as i32
}

/// Keyed records go to `toPositive(murmur2(key)) % partitions`; unkeyed ones rotate.
#[derive(Debug, Default)]
pub struct Partitioner {
    next: AtomicUsize,
}

impl Partitioner {
    pub fn partition(&self, key: Option<&[u8]>, partitions: usize) -> i32 {
        let partitions = partitions.max(1);
        match key {
            Some(k) => ((murmur2(k) & 0x7fff_ffff) as usize % partitions) as i32,
            None => (self.next.fetch_add(1, Ordering::Relaxed) % partitions) as i32,
        }
    }
}

/// Where records taken from one topic go in another.
#[derive(Debug)]
pub enum Placement {
    /// To the partition of the same number: each partition's order is kept.
    Same,
    /// By key, as Kafka's Java producer places them (the target has fewer partitions).
    ByKey(Partitioner, usize),
}

impl Placement {
    /// The same partitions when the target has every partition named, else by key.
    pub fn for_target(source_partitions: &[i32], target_partitions: usize) -> Self {
        if source_partitions
            .iter()
            .all(|&p| p >= 0 && (p as usize) < target_partitions)
        {
            Placement::Same
        } else {
            Placement::ByKey(Partitioner::default(), target_partitions)
        }
    }

    pub fn partition(&self, source_partition: i32, key: Option<&[u8]>) -> i32 {
        match self {
            Placement::Same => source_partition,
            Placement::ByKey(partitioner, count) => partitioner.partition(key, *count),
        }
    }

    /// "each record to the partition of the same number", "by key over 3 partitions".
    pub fn describe(&self) -> String {
        match self {
            Placement::Same => "each record goes to the partition of the same number".into(),
            Placement::ByKey(_, n) => format!(
                "the target has fewer partitions: records are placed by key over its {n}, as Kafka's producer places them"
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn murmur2_matches_kafkas_java_implementation() {
        // Values from Kafka's UtilsTest.testMurmur2.
        let cases: [(&[u8], i32); 6] = [
            (b"21", -973_932_308),
            (b"foobar", -790_332_482),
            (b"a-little-bit-long-string", -985_981_536),
            (b"a-little-bit-longer-string", -1_486_304_829),
            (
                b"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8",
                -58_897_971,
            ),
            (b"abc", 479_470_107),
        ];
        for (input, expected) in cases {
            assert_eq!(
                murmur2(input),
                expected,
                "{:?}",
                String::from_utf8_lossy(input)
            );
        }
    }

    #[test]
    fn keyed_records_stick_and_unkeyed_rotate() {
        let p = Partitioner::default();
        let first = p.partition(Some(b"user-7"), 6);
        assert!((0..6).contains(&first));
        assert_eq!(p.partition(Some(b"user-7"), 6), first);
        let spread: Vec<i32> = (0..6).map(|_| p.partition(None, 3)).collect();
        assert_eq!(spread, vec![0, 1, 2, 0, 1, 2]);
    }

    #[test]
    fn records_keep_their_partition_when_the_target_has_it() {
        let same = Placement::for_target(&[0, 2], 3);
        assert_eq!(same.partition(2, Some(b"k")), 2);
        let by_key = Placement::for_target(&[0, 2], 2);
        assert!(matches!(by_key, Placement::ByKey(_, 2)));
        let p = by_key.partition(2, Some(b"foobar"));
        assert_eq!(p, ((murmur2(b"foobar") & 0x7fff_ffff) % 2));
    }
}
