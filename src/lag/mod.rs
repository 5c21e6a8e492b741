//! Lag math: how far a group's committed offsets trail the end of each partition.

use serde::Serialize;

/// Lag of one partition for one group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PartitionLag {
    pub topic: String,
    pub partition: i32,
    /// None when the group has never committed on this partition.
    pub committed: Option<i64>,
    pub high_watermark: i64,
    /// None without a commit: there is no honest number to show.
    pub lag: Option<i64>,
}

impl PartitionLag {
    pub fn new(topic: String, partition: i32, committed: Option<i64>, high_watermark: i64) -> Self {
        PartitionLag {
            topic,
            partition,
            committed,
            high_watermark,
            lag: lag(committed, high_watermark),
        }
    }
}

/// Messages between the committed offset and the high watermark. A commit beyond the high
/// watermark (possible right after a truncation) is no negative lag but none.
pub fn lag(committed: Option<i64>, high_watermark: i64) -> Option<i64> {
    committed.map(|c| (high_watermark - c).max(0))
}

/// The sum of the known lags.
pub fn total(partitions: &[PartitionLag]) -> i64 {
    partitions.iter().filter_map(|p| p.lag).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lag_is_high_watermark_minus_committed() {
        assert_eq!(lag(Some(40), 100), Some(60));
        assert_eq!(lag(Some(100), 100), Some(0));
        assert_eq!(lag(Some(120), 100), Some(0));
        assert_eq!(lag(None, 100), None);
    }

    #[test]
    fn total_skips_partitions_without_commits() {
        let parts = vec![
            PartitionLag::new("t".into(), 0, Some(5), 10),
            PartitionLag::new("t".into(), 1, None, 10),
            PartitionLag::new("t".into(), 2, Some(0), 7),
        ];
        assert_eq!(total(&parts), 12);
    }
}
