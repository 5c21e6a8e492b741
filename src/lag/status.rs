//! Burrow's evaluator: the status of a consumer on a partition, judged over a sliding window of
//! its last offset commits rather than one lag number.
//!
//! A partition is OK when its current lag is 0 or any lag in the window was 0. Otherwise the
//! first rule that matches wins:
//! - REWIND: a committed offset went backwards within the window;
//! - STOP: the time since the last commit exceeds the time the window spans;
//! - STALL: the committed offset did not change across the window;
//! - WARN: offsets advance but the lag never decreases;
//! - otherwise OK.
//!
//! A group takes its worst partition's status; STOP, STALL and REWIND make it ERR.

use serde::Serialize;

/// One offset commit as the evaluator sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Observation {
    pub offset: i64,
    /// Lag at the time of the commit: high watermark then minus the committed offset.
    pub lag: i64,
    /// When the commit was made, Unix milliseconds.
    pub at_ms: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PartitionStatus {
    Ok,
    /// Not a verdict: the group never committed on this partition.
    NoCommits,
    Warn,
    Rewind,
    Stall,
    Stop,
}

impl PartitionStatus {
    pub fn label(self) -> &'static str {
        match self {
            PartitionStatus::Ok => "OK",
            PartitionStatus::NoCommits => "NO COMMITS",
            PartitionStatus::Warn => "WARN",
            PartitionStatus::Rewind => "REWIND",
            PartitionStatus::Stall => "STALL",
            PartitionStatus::Stop => "STOP",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum GroupStatus {
    Ok,
    Warn,
    Err,
}

impl GroupStatus {
    pub fn label(self) -> &'static str {
        match self {
            GroupStatus::Ok => "OK",
            GroupStatus::Warn => "WARN",
            GroupStatus::Err => "ERR",
        }
    }

    /// Exit code for `kview check`: 0, 1, 2.
    pub fn exit_code(self) -> u8 {
        self as u8
    }
}

/// Judges one partition. `window` holds the most recent commits, oldest first.
pub fn evaluate(window: &[Observation], current_lag: i64, now_ms: i64) -> PartitionStatus {
    let (Some(first), Some(last)) = (window.first(), window.last()) else {
        return if current_lag == 0 {
            PartitionStatus::Ok
        } else {
            PartitionStatus::NoCommits
        };
    };
    if current_lag == 0 || window.iter().any(|o| o.lag == 0) {
        return PartitionStatus::Ok;
    }
    if window.windows(2).any(|w| w[1].offset < w[0].offset) {
        return PartitionStatus::Rewind;
    }
    if now_ms - last.at_ms > last.at_ms - first.at_ms {
        return PartitionStatus::Stop;
    }
    if window.len() > 1 && first.offset == last.offset {
        return PartitionStatus::Stall;
    }
    if first.offset < last.offset && window.windows(2).all(|w| w[1].lag >= w[0].lag) {
        return PartitionStatus::Warn;
    }
    PartitionStatus::Ok
}

/// The group's status: its worst partition's, with STOP, STALL and REWIND as ERR.
pub fn group_status(partitions: impl IntoIterator<Item = PartitionStatus>) -> GroupStatus {
    partitions
        .into_iter()
        .map(|s| match s {
            PartitionStatus::Ok | PartitionStatus::NoCommits => GroupStatus::Ok,
            PartitionStatus::Warn => GroupStatus::Warn,
            PartitionStatus::Rewind | PartitionStatus::Stall | PartitionStatus::Stop => {
                GroupStatus::Err
            }
        })
        .max()
        .unwrap_or(GroupStatus::Ok)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Commits every 5 s starting at t=0: (offset, lag) pairs.
    fn window(points: &[(i64, i64)]) -> Vec<Observation> {
        points
            .iter()
            .enumerate()
            .map(|(i, &(offset, lag))| Observation {
                offset,
                lag,
                at_ms: i as i64 * 5_000,
            })
            .collect()
    }

    const JUST_AFTER: i64 = 45_000 + 1_000; // one second after the tenth commit

    #[test]
    fn caught_up_consumers_are_ok() {
        let w = window(&[(10, 5), (20, 0), (30, 4)]);
        assert_eq!(
            evaluate(&w, 4, 11_000),
            PartitionStatus::Ok,
            "a zero lag in the window"
        );
        let w = window(&[(10, 5), (20, 5)]);
        assert_eq!(
            evaluate(&w, 0, 6_000),
            PartitionStatus::Ok,
            "current lag zero"
        );
    }

    #[test]
    fn a_commit_going_backwards_is_rewind() {
        let w = window(&[(100, 5), (120, 5), (90, 40), (95, 40)]);
        assert_eq!(evaluate(&w, 40, 16_000), PartitionStatus::Rewind);
    }

    #[test]
    fn no_commits_for_longer_than_the_window_spans_is_stop() {
        let w = window(&[(10, 5), (20, 6), (30, 7), (40, 8)]); // spans 15 s
        assert_eq!(evaluate(&w, 50, 15_000 + 16_000), PartitionStatus::Stop);
        assert_ne!(evaluate(&w, 50, 15_000 + 14_000), PartitionStatus::Stop);
    }

    #[test]
    fn commits_that_do_not_move_are_stall() {
        let w = window(&[(10, 5); 10]);
        assert_eq!(evaluate(&w, 9, JUST_AFTER), PartitionStatus::Stall);
    }

    #[test]
    fn advancing_but_never_catching_up_is_warn() {
        let w = window(&[(10, 5), (20, 5), (30, 6), (40, 9), (50, 9)]);
        assert_eq!(evaluate(&w, 9, 21_000), PartitionStatus::Warn);
    }

    #[test]
    fn advancing_and_catching_up_is_ok() {
        let w = window(&[(10, 50), (20, 40), (30, 45), (40, 30)]);
        assert_eq!(evaluate(&w, 30, 16_000), PartitionStatus::Ok);
    }

    #[test]
    fn rules_are_tried_in_order() {
        // Stalled and stopped at once: STOP comes first.
        let w = window(&[(10, 5); 3]);
        assert_eq!(evaluate(&w, 5, 10_000 + 11_000), PartitionStatus::Stop);
        // Rewound and stopped: REWIND first.
        let w = window(&[(10, 5), (5, 10)]);
        assert_eq!(evaluate(&w, 10, 100_000), PartitionStatus::Rewind);
    }

    #[test]
    fn partitions_without_commits_say_so() {
        assert_eq!(evaluate(&[], 10, 0), PartitionStatus::NoCommits);
        assert_eq!(evaluate(&[], 0, 0), PartitionStatus::Ok);
    }

    #[test]
    fn the_group_takes_its_worst_partition() {
        use PartitionStatus::*;
        assert_eq!(group_status([Ok, Ok]), GroupStatus::Ok);
        assert_eq!(group_status([Ok, NoCommits, Warn]), GroupStatus::Warn);
        assert_eq!(group_status([Warn, Stall]), GroupStatus::Err);
        assert_eq!(group_status([Rewind]), GroupStatus::Err);
        assert_eq!(group_status([Stop, Ok]), GroupStatus::Err);
        assert_eq!(group_status([]), GroupStatus::Ok);
        assert_eq!(GroupStatus::Err.exit_code(), 2);
    }
}
