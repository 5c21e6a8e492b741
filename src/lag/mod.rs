//! Lag: how far a group's committed offsets trail the end of each partition, whether the group
//! keeps up (Burrow's status rules), its lag in time, and when it will catch up.

pub mod history;
pub mod reset;
pub mod status;
pub mod tracker;

/// Messages between the committed offset and the high watermark. A commit beyond the high
/// watermark (possible right after a truncation) is no negative lag but none.
pub fn lag(committed: Option<i64>, high_watermark: i64) -> Option<i64> {
    committed.map(|c| (high_watermark - c).max(0))
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
}
