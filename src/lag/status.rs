//! The status of a consumer on a partition, judged over a sliding window of its last offset
//! commits rather than one lag number.
//!
//! [`burrow`] is Burrow's evaluator as it stands today (`calculatePartitionStatus` in
//! `core/internal/evaluator/caching.go`), rule for rule, and passes Burrow's own correctness
//! table. When the current lag is above the allowed lag, the first rule that matches wins:
//! 1. STOP: the time since the last commit is longer than the window spans, unless the lag was
//!    zero within the recent broker offsets (Burrow #290, #303);
//! 2. REWIND: a committed offset went backwards and has not come back to where it was;
//! 3. when no lag in the window is within the allowed lag: STALL if the committed offset never
//!    moved, WARN if the lag never decreased;
//! 4. otherwise OK.
//!
//! [`evaluate`] is what kview reports: Burrow's verdict, then two rules that catch a dead
//! consumer sooner, both only while the lag has grown since the last commit (the topic moved on
//! and nobody follows):
//! - cadence: the silence since the last commit is longer than the group's own commit rhythm
//!   allows (three times its longest gap in the window, at least [`Rules::min_silence`]);
//! - no members: the group has nobody in it and has been silent for at least `min_silence`.
//!
//! Burrow's own STOP waits for the floor too unless the lag grew since the last commit: a
//! window of commits seconds apart spans seconds.
//!
//! A group takes its worst partition's status; STOP, STALL and REWIND make it ERR.

use std::time::Duration;

use serde::Serialize;

/// One offset commit as the evaluator sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Observation {
    pub offset: i64,
    /// Lag at the time of the commit: high watermark then minus the committed offset; None when
    /// the high watermark of that time is not known.
    pub lag: Option<i64>,
    /// When the commit was made, Unix milliseconds.
    pub at_ms: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PartitionStatus {
    Ok,
    /// Not a verdict: the group never committed on this partition.
    NoCommits,
    /// Not a verdict: the group lags here, but none of its commits were seen to judge by.
    Unknown,
    Warn,
    Rewind,
    Stall,
    Stop,
    /// Not a verdict: a share group's partition, which has no committed offset to judge.
    NotJudged,
}

impl PartitionStatus {
    pub fn label(self) -> &'static str {
        match self {
            PartitionStatus::Ok => "OK",
            PartitionStatus::NoCommits => "NO COMMITS",
            PartitionStatus::Unknown => "UNKNOWN",
            PartitionStatus::NotJudged => "N/A",
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
    /// A group kview's rules do not apply to: a share group (no committed offsets) or a
    /// streams group it cannot describe.
    NotJudged,
    /// The group has not committed an offset on any partition: its lag is unknown.
    NoCommits,
    Warn,
    /// It lags, and kview saw none of its commits to judge it by.
    Unknown,
    Err,
}

impl GroupStatus {
    pub fn label(self) -> &'static str {
        match self {
            GroupStatus::Ok => "OK",
            GroupStatus::NotJudged => "N/A",
            GroupStatus::NoCommits => "NO COMMITS",
            GroupStatus::Warn => "WARN",
            GroupStatus::Unknown => "UNKNOWN",
            GroupStatus::Err => "ERR",
        }
    }

    /// Exit code for `kview check`: 0 OK, 1 WARN, 2 ERR (3, UNKNOWN, is for what kview cannot
    /// tell). A group without commits is a WARN: it exists and reads nothing kview can see.
    /// A group kview does not judge counts as OK here; `check` names it apart.
    pub fn exit_code(self) -> u8 {
        match self {
            GroupStatus::Ok | GroupStatus::NotJudged => 0,
            GroupStatus::NoCommits | GroupStatus::Warn => 1,
            GroupStatus::Err => 2,
            GroupStatus::Unknown => 3,
        }
    }
}

/// Settings of the rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rules {
    /// Lag at or below this counts as caught up (Burrow's `allowed-lag`).
    pub allowed_lag: i64,
    /// The shortest silence kview's own rules call STOP, however fast the group commits.
    pub min_silence: Duration,
}

impl Default for Rules {
    fn default() -> Self {
        Rules {
            allowed_lag: 0,
            min_silence: DEFAULT_MIN_SILENCE,
        }
    }
}

/// The documented floor of the cadence rule: a minute, well above the Java consumer's default
/// auto-commit interval (5 s), so a consumer between two commits is never called stopped.
pub const DEFAULT_MIN_SILENCE: Duration = Duration::from_secs(60);

/// How many times its longest gap a group may stay silent before the cadence rule applies.
const CADENCE_FACTOR: i64 = 3;

/// What one partition's verdict is made from.
#[derive(Debug, Clone, Copy)]
pub struct Evidence<'a> {
    /// The most recent commits, oldest first.
    pub window: &'a [Observation],
    /// High watermarks sampled recently (Burrow's broker offsets), any order.
    pub recent_high_watermarks: &'a [i64],
    pub current_lag: i64,
    pub now_ms: i64,
    /// Whether the group has members; None when unknown.
    pub has_members: Option<bool>,
}

/// Burrow's `calculatePartitionStatus`. `now_ms` is in milliseconds (Burrow takes seconds).
pub fn burrow(
    window: &[Observation],
    broker_offsets: &[i64],
    current_lag: i64,
    now_ms: i64,
    allowed_lag: i64,
) -> PartitionStatus {
    burrow_rules(
        window,
        broker_offsets,
        current_lag,
        now_ms,
        allowed_lag,
        true,
    )
}

/// Burrow's rules in its order; `stop_rule` false leaves rule 1 (STOP) out.
fn burrow_rules(
    window: &[Observation],
    broker_offsets: &[i64],
    current_lag: i64,
    now_ms: i64,
    allowed_lag: i64,
    stop_rule: bool,
) -> PartitionStatus {
    if window.is_empty() || current_lag <= allowed_lag {
        return PartitionStatus::Ok;
    }
    if stop_rule && offsets_stopped(window, now_ms) && !recent_lag_zero(window, broker_offsets) {
        return PartitionStatus::Stop;
    }
    if let Some(at) = rewind_index(window)
        && !rewind_recovered(window, at)
    {
        return PartitionStatus::Rewind;
    }
    if lag_always_not_zero(window, allowed_lag) {
        if offsets_stalled(window) {
            return PartitionStatus::Stall;
        }
        if lag_not_decreasing(window) {
            return PartitionStatus::Warn;
        }
    }
    PartitionStatus::Ok
}

/// kview's verdict: Burrow's, then the cadence and no-members rules (see the module notes).
pub fn evaluate(evidence: &Evidence, rules: &Rules) -> PartitionStatus {
    let Evidence {
        window,
        current_lag,
        now_ms,
        ..
    } = *evidence;
    let Some(last) = window.last() else {
        return if current_lag <= rules.allowed_lag {
            PartitionStatus::Ok
        } else {
            PartitionStatus::Unknown
        };
    };
    // Burrow's "silent longer than the window spans" fires after seconds for a window of
    // commits made seconds apart, and at once for a single commit, which spans no time.
    // Within kview's floor a single commit is too little to judge, and silence alone is no
    // evidence unless the topic moved on since the last commit (Burrow #290): otherwise the
    // other rules judge (an offset reset backwards stays REWIND, however slowly it is looked
    // at).
    let within_floor = now_ms - last.at_ms <= rules.min_silence.as_millis() as i64;
    let grew = last.lag.is_none_or(|l| current_lag > l);
    let verdict = if within_floor && window.len() < 2 {
        PartitionStatus::Ok
    } else {
        burrow_rules(
            window,
            evidence.recent_high_watermarks,
            current_lag,
            now_ms,
            rules.allowed_lag,
            grew || !within_floor,
        )
    };
    if matches!(
        verdict,
        PartitionStatus::Stop | PartitionStatus::Rewind | PartitionStatus::Stall
    ) || current_lag <= rules.allowed_lag
    {
        return verdict;
    }
    // Only when the topic moved on since the last commit and nobody followed.
    if !grew || recent_lag_zero(window, evidence.recent_high_watermarks) {
        return verdict;
    }
    let silence = now_ms - last.at_ms;
    let floor = rules.min_silence.as_millis() as i64;
    if evidence.has_members == Some(false) && silence > floor {
        return PartitionStatus::Stop;
    }
    if let Some(gap) = longest_gap(window)
        && silence > (gap * CADENCE_FACTOR).max(floor)
    {
        return PartitionStatus::Stop;
    }
    verdict
}

/// The longest time between two consecutive commits; None with fewer than three commits (too
/// few to know a rhythm).
fn longest_gap(window: &[Observation]) -> Option<i64> {
    if window.len() < 3 {
        return None;
    }
    window.windows(2).map(|w| w[1].at_ms - w[0].at_ms).max()
}

// Burrow's rules, named as in caching.go.

/// Rule 1: false when some lag in the window is within the allowed lag.
fn lag_always_not_zero(window: &[Observation], allowed_lag: i64) -> bool {
    !window
        .iter()
        .any(|o| o.lag.is_some_and(|l| l <= allowed_lag))
}

/// Rule 2: where a committed offset first went backwards.
fn rewind_index(window: &[Observation]) -> Option<usize> {
    (1..window.len()).find(|&i| window[i].offset < window[i - 1].offset)
}

/// Rule 2, part 2: a later commit came back to the offset before the rewind.
fn rewind_recovered(window: &[Observation], at: usize) -> bool {
    let before = window[at - 1].offset;
    window[at..].iter().any(|o| o.offset >= before)
}

/// Rule 3: silent for longer than the window spans.
fn offsets_stopped(window: &[Observation], now_ms: i64) -> bool {
    let (first, last) = (window[0].at_ms, window[window.len() - 1].at_ms);
    now_ms - last > last - first
}

/// Rule 4: the committed offset never changed.
fn offsets_stalled(window: &[Observation]) -> bool {
    window.windows(2).all(|w| w[1].offset == w[0].offset)
}

/// Rule 5: the lag never decreased (unknown lags skipped).
fn lag_not_decreasing(window: &[Observation]) -> bool {
    let lags: Vec<i64> = window.iter().filter_map(|o| o.lag).collect();
    lags.windows(2).all(|w| w[1] >= w[0])
}

/// A recent high watermark at or below the last commit: the consumer was caught up lately.
fn recent_lag_zero(window: &[Observation], broker_offsets: &[i64]) -> bool {
    let Some(last) = window.last() else {
        return false;
    };
    broker_offsets.iter().any(|&h| h <= last.offset)
}

/// The group's status: its worst judged partition's, with STOP, STALL and REWIND as ERR.
/// Partitions without a committed offset or without commits seen are no verdict; when no
/// partition is judged at all, the caller says why (no commits, or none seen: `None`).
pub fn group_status(partitions: impl IntoIterator<Item = PartitionStatus>) -> Option<GroupStatus> {
    partitions
        .into_iter()
        .filter_map(|s| match s {
            PartitionStatus::NoCommits | PartitionStatus::Unknown => None,
            PartitionStatus::NotJudged => Some(GroupStatus::NotJudged),
            PartitionStatus::Ok => Some(GroupStatus::Ok),
            PartitionStatus::Warn => Some(GroupStatus::Warn),
            PartitionStatus::Rewind | PartitionStatus::Stall | PartitionStatus::Stop => {
                Some(GroupStatus::Err)
            }
        })
        .max()
}

#[cfg(test)]
mod tests {
    use super::*;
    use PartitionStatus::*;

    /// Burrow's correctness table (caching_test.go, tests 0–15), with the same inputs: each
    /// commit is (offset, timestamp in ms, lag), `now` in seconds as Burrow writes it.
    struct Vector {
        offsets: &'static [(i64, i64, Option<i64>)],
        broker_offsets: &'static [i64],
        current_lag: i64,
        now_s: i64,
        allowed_lag: i64,
        lag_always_not_zero: bool,
        rewind: Option<usize>,
        stopped: bool,
        stalled: bool,
        lag_not_decreasing: bool,
        recent_lag_zero: bool,
        status: PartitionStatus,
    }

    const STEADY: &[(i64, i64, Option<i64>)] = &[
        (1000, 100000, Some(0)),
        (2000, 200000, Some(50)),
        (3000, 300000, Some(100)),
        (4000, 400000, Some(150)),
        (5000, 500000, Some(200)),
    ];
    const BEHIND: &[(i64, i64, Option<i64>)] = &[
        (1000, 100000, Some(50)),
        (2000, 200000, Some(100)),
        (3000, 300000, Some(150)),
        (4000, 400000, Some(200)),
        (5000, 500000, Some(250)),
    ];
    const STUCK_FROM_ZERO: &[(i64, i64, Option<i64>)] = &[
        (1000, 100000, Some(0)),
        (1000, 200000, Some(50)),
        (1000, 300000, Some(100)),
        (1000, 400000, Some(150)),
        (1000, 500000, Some(200)),
    ];
    const STUCK: &[(i64, i64, Option<i64>)] = &[
        (1000, 100000, Some(100)),
        (1000, 200000, Some(150)),
        (1000, 300000, Some(200)),
        (1000, 400000, Some(250)),
        (1000, 500000, Some(300)),
    ];
    const STUCK_FLAT: &[(i64, i64, Option<i64>)] = &[
        (1000, 100000, Some(100)),
        (1000, 200000, Some(100)),
        (1000, 300000, Some(100)),
        (1000, 400000, Some(100)),
        (1000, 500000, Some(100)),
    ];
    const REWOUND_RECOVERED: &[(i64, i64, Option<i64>)] = &[
        (1000, 100000, Some(100)),
        (2000, 200000, Some(150)),
        (3000, 300000, Some(200)),
        (2000, 400000, Some(1250)),
        (4000, 500000, Some(300)),
    ];
    const REWOUND: &[(i64, i64, Option<i64>)] = &[
        (1000, 100000, Some(100)),
        (2000, 200000, Some(150)),
        (3000, 300000, Some(200)),
        (2000, 400000, Some(1250)),
        (2500, 500000, Some(300)),
    ];
    const EVERY_SECOND_AT_ZERO: &[(i64, i64, Option<i64>)] = &[
        (792748079, 1512224618356, Some(0)),
        (792748080, 1512224619362, Some(0)),
        (792748081, 1512224620366, Some(0)),
        (792748082, 1512224621367, Some(0)),
        (792748083, 1512224622370, Some(0)),
        (792748084, 1512224623373, Some(0)),
        (792748085, 1512224624378, Some(0)),
        (792748086, 1512224625379, Some(0)),
        (792748087, 1512224626383, Some(0)),
        (792748088, 1512224627383, Some(0)),
        (792748089, 1512224628383, Some(0)),
        (792748090, 1512224629388, Some(0)),
        (792748091, 1512224630391, Some(0)),
        (792748092, 1512224631394, Some(0)),
        (792748093, 1512224632397, Some(0)),
    ];
    const WITH_UNKNOWN_LAGS: &[(i64, i64, Option<i64>)] = &[
        (1000, 100000, Some(0)),
        (1500, 150000, None),
        (2000, 200000, Some(50)),
        (2500, 250000, None),
        (3000, 300000, Some(100)),
        (3500, 350000, None),
        (4000, 400000, Some(150)),
        (4500, 450000, None),
        (5000, 500000, Some(200)),
        (5500, 550000, None),
    ];
    const NEARLY: &[(i64, i64, Option<i64>)] = &[
        (1000, 100000, Some(2)),
        (2000, 200000, Some(1)),
        (2000, 300000, Some(1)),
    ];

    #[rustfmt::skip]
    fn burrow_table() -> Vec<Vector> {
        let v = |offsets, broker_offsets, current_lag, now_s, allowed_lag,
                 (lag_always_not_zero, rewind, stopped, stalled, lag_not_decreasing, recent_lag_zero),
                 status| Vector {
            offsets, broker_offsets, current_lag, now_s, allowed_lag, lag_always_not_zero,
            rewind, stopped, stalled, lag_not_decreasing, recent_lag_zero, status,
        };
        vec![
            // 0: zero lag somewhere in the window
            v(STEADY, &[5200], 200, 600, 0, (false, None, false, false, true, false), Ok),
            // 1: silence equal to the window's span is not longer than it
            v(STEADY, &[5200], 200, 900, 0, (false, None, false, false, true, false), Ok),
            // 2: STOP despite the zero lag at the start (#290)
            v(STEADY, &[5200], 200, 1000, 0, (false, None, true, false, true, false), Stop),
            // 3: STOP with lag always non-zero
            v(BEHIND, &[5250], 250, 1000, 0, (true, None, true, false, true, false), Stop),
            // 4: OK by the zero lag, though stalled
            v(STUCK_FROM_ZERO, &[1200], 200, 600, 0, (false, None, false, true, true, false), Ok),
            // 5: STALL with lag always non-zero
            v(STUCK, &[1300], 300, 600, 0, (true, None, false, true, true, false), Stall),
            // 6: STALL with the lag flat
            v(STUCK_FLAT, &[1100], 100, 600, 0, (true, None, false, true, true, false), Stall),
            // 7: a rewind the consumer recovered from
            v(REWOUND_RECOVERED, &[4300], 300, 600, 0, (true, Some(3), false, false, false, false), Ok),
            // 8: current lag zero
            v(BEHIND, &[5250], 0, 1000, 0, (true, None, true, false, true, false), Ok),
            // 9: STOP: zero lag at every commit, but new data since (#290)
            v(EVERY_SECOND_AT_ZERO, &[792749024, 792749000, 792748800, 792748600, 792748500], 931,
              1512224650, 0, (false, None, true, false, true, false), Stop),
            // 10: OK: the recent broker offsets show zero lag (#303)
            v(EVERY_SECOND_AT_ZERO, &[792748094, 792748093, 792748093, 792748093], 1,
              1512224650, 0, (false, None, true, false, true, true), Ok),
            // 11: as 0, with unknown lags in between
            v(WITH_UNKNOWN_LAGS, &[5700], 200, 600, 0, (false, None, false, false, true, false), Ok),
            // 12: within the allowed lag
            v(NEARLY, &[2001], 1, 550, 1, (false, None, true, false, false, false), Ok),
            // 13: as 5 with an allowed lag
            v(STUCK, &[1300], 300, 600, 99, (true, None, false, true, true, false), Stall),
            // 14: as 7 with an allowed lag
            v(REWOUND_RECOVERED, &[4300], 300, 600, 99, (true, Some(3), false, false, false, false), Ok),
            // 15: a rewind not yet recovered
            v(REWOUND, &[4300], 300, 600, 0, (true, Some(3), false, false, false, false), Rewind),
        ]
    }

    fn observations(points: &[(i64, i64, Option<i64>)]) -> Vec<Observation> {
        points
            .iter()
            .map(|&(offset, at_ms, lag)| Observation { offset, lag, at_ms })
            .collect()
    }

    #[test]
    fn burrows_correctness_table_passes_rule_by_rule() {
        for (i, t) in burrow_table().into_iter().enumerate() {
            let w = observations(t.offsets);
            let now_ms = t.now_s * 1000;
            assert_eq!(
                lag_always_not_zero(&w, t.allowed_lag),
                t.lag_always_not_zero,
                "test {i}"
            );
            assert_eq!(rewind_index(&w), t.rewind, "test {i}");
            assert_eq!(offsets_stopped(&w, now_ms), t.stopped, "test {i}");
            assert_eq!(offsets_stalled(&w), t.stalled, "test {i}");
            assert_eq!(lag_not_decreasing(&w), t.lag_not_decreasing, "test {i}");
            assert_eq!(
                recent_lag_zero(&w, t.broker_offsets),
                t.recent_lag_zero,
                "test {i}"
            );
            assert_eq!(
                burrow(&w, t.broker_offsets, t.current_lag, now_ms, t.allowed_lag),
                t.status,
                "test {i}"
            );
        }
    }

    fn evidence<'a>(
        w: &'a [Observation],
        highs: &'a [i64],
        current_lag: i64,
        now_ms: i64,
        has_members: Option<bool>,
    ) -> Evidence<'a> {
        Evidence {
            window: w,
            recent_high_watermarks: highs,
            current_lag,
            now_ms,
            has_members,
        }
    }

    #[test]
    fn kview_gives_burrows_verdict_on_every_vector_of_its_table() {
        // None of the table's cases has lag grown since the last commit beyond Burrow's own
        // rules, so kview's extra rules leave every verdict as Burrow gives it.
        for (i, t) in burrow_table().into_iter().enumerate() {
            let w = observations(t.offsets);
            let rules = Rules {
                allowed_lag: t.allowed_lag,
                ..Rules::default()
            };
            for members in [None, Some(true)] {
                let e = evidence(&w, t.broker_offsets, t.current_lag, t.now_s * 1000, members);
                assert_eq!(evaluate(&e, &rules), t.status, "test {i}");
            }
        }
    }

    #[test]
    fn a_consumer_silent_beyond_its_rhythm_while_lag_grows_is_stop_sooner_than_burrow() {
        // Commits every 5 s at zero lag, then silence while 150 messages arrive.
        let w: Vec<Observation> = (0..10)
            .map(|i| Observation {
                offset: 100 + i,
                lag: Some(0),
                at_ms: i * 5_000,
            })
            .collect();
        let last = 45_000;
        let rules = Rules::default();
        // 61 s of silence: Burrow waits for the window's span (45 s)… which has passed, but
        // a 30 s silence is within Burrow's span and kview's floor: both OK.
        let e = evidence(&w, &[259], 150, last + 30_000, Some(true));
        assert_eq!(burrow(&w, &[259], 150, last + 30_000, 0), Ok);
        assert_eq!(evaluate(&e, &rules), Ok);
        let e = evidence(&w, &[259], 150, last + 61_000, Some(true));
        assert_eq!(evaluate(&e, &rules), Stop);
        // A long window (10 commits an hour apart) makes Burrow wait ten hours; kview stops at
        // three times the longest gap.
        let hourly: Vec<Observation> = (0..10)
            .map(|i| Observation {
                offset: 100 + i,
                lag: Some(0),
                at_ms: i * 3_600_000,
            })
            .collect();
        let last = 9 * 3_600_000;
        let now = last + 3 * 3_600_000 + 1;
        assert_eq!(burrow(&hourly, &[300], 191, now, 0), Ok);
        assert_eq!(
            evaluate(&evidence(&hourly, &[300], 191, now, Some(true)), &rules),
            Stop
        );
        // Lag not grown since the last commit (nothing new on the topic): the cadence rule
        // stays out, whatever the silence; Burrow's verdict stands.
        let steady: Vec<Observation> = (0..10)
            .map(|i| Observation {
                offset: 100 + i * 10,
                lag: Some(5),
                at_ms: i * 10_000,
            })
            .collect();
        let now = 90_000 + 80_000; // past 3× the 10 s rhythm and the floor, within the 90 s span
        let e = evidence(&steady, &[195], 5, now, Some(true));
        assert_eq!(burrow(&steady, &[195], 5, now, 0), Warn);
        assert_eq!(evaluate(&e, &rules), Warn);
    }

    #[test]
    fn a_group_without_members_and_growing_lag_is_never_ok() {
        let w = [
            Observation {
                offset: 100,
                lag: Some(0),
                at_ms: 0,
            },
            Observation {
                offset: 110,
                lag: Some(0),
                at_ms: 1_000,
            },
        ];
        let rules = Rules {
            min_silence: Duration::from_secs(5),
            ..Rules::default()
        };
        let empty = evidence(&w, &[260], 150, 7_000, Some(false));
        assert_eq!(evaluate(&empty, &rules), Stop);
        let with_members = evidence(&w, &[260], 150, 7_000, Some(true));
        assert_eq!(
            burrow(&w, &[260], 150, 7_000, 0),
            Stop,
            "Burrow agrees here: silence > span"
        );
        assert_eq!(evaluate(&with_members, &rules), Stop);
        // Within the floor it waits, members or not.
        let early = evidence(&w, &[260], 150, 1_500, Some(false));
        assert_eq!(evaluate(&early, &rules), Ok);
    }

    #[test]
    fn a_single_commit_is_no_rhythm_to_be_silent_against() {
        let one = [Observation {
            offset: 100,
            lag: Some(0),
            at_ms: 0,
        }];
        assert_eq!(burrow(&one, &[150], 50, 1_000, 0), Stop, "Burrow's verdict");
        let rules = Rules::default();
        let member = evidence(&one, &[150], 50, 1_000, Some(true));
        assert_eq!(
            evaluate(&member, &rules),
            Ok,
            "a consumer that has just joined"
        );
        let gone = evidence(&one, &[150], 50, 61_000, Some(false));
        assert_eq!(evaluate(&gone, &rules), Stop, "nobody left in the group");
    }

    #[test]
    fn commits_seconds_apart_are_not_stopped_before_the_floor() {
        // A consumer committed twice a second apart, then its offsets were reset backwards:
        // Burrow calls it STOP two seconds later (silence > span); kview says REWIND until the
        // floor has passed, however slowly it got to look.
        let w = observations(&[(3, 0, Some(0)), (6, 1_000, Some(0)), (1, 2_000, Some(5))]);
        let rules = Rules::default();
        for now in [5_000, 30_000, 62_000] {
            assert_eq!(burrow(&w, &[6], 5, now, 0), Stop, "Burrow at {now}");
        }
        assert_eq!(
            evaluate(&evidence(&w, &[6], 5, 5_000, None), &rules),
            Rewind
        );
        assert_eq!(
            evaluate(&evidence(&w, &[6], 5, 30_000, None), &rules),
            Rewind
        );
        assert_eq!(evaluate(&evidence(&w, &[6], 5, 62_001, None), &rules), Stop);
        // Records arrived after the reset and nobody reads them: Burrow's STOP stands.
        assert_eq!(
            evaluate(&evidence(&w, &[50], 49, 5_000, None), &rules),
            Stop
        );
    }

    #[test]
    fn lag_without_commits_seen_is_unknown() {
        let rules = Rules::default();
        assert_eq!(evaluate(&evidence(&[], &[], 10, 0, None), &rules), Unknown);
        assert_eq!(evaluate(&evidence(&[], &[], 0, 0, None), &rules), Ok);
    }

    #[test]
    fn the_group_takes_its_worst_partition() {
        assert_eq!(group_status([Ok, Ok]), Some(GroupStatus::Ok));
        assert_eq!(group_status([Ok, NoCommits, Warn]), Some(GroupStatus::Warn));
        assert_eq!(group_status([Warn, Stall]), Some(GroupStatus::Err));
        assert_eq!(group_status([Rewind]), Some(GroupStatus::Err));
        assert_eq!(group_status([Stop, Ok, Unknown]), Some(GroupStatus::Err));
        assert_eq!(GroupStatus::Err.exit_code(), 2);
    }

    #[test]
    fn a_group_judged_on_no_partition_is_no_verdict() {
        // Nothing to judge: the report says why (no commits at all, or none seen).
        assert_eq!(group_status([]), None);
        assert_eq!(group_status([NoCommits, Unknown]), None);
        assert_eq!(GroupStatus::NoCommits.exit_code(), 1, "check's rule: WARN");
        assert_eq!(GroupStatus::Unknown.exit_code(), 3);
        // Partitions without commits beside committed ones: judged by the committed ones.
        assert_eq!(group_status([Ok, NoCommits]), Some(GroupStatus::Ok));
        assert_eq!(group_status([NotJudged]), Some(GroupStatus::NotJudged));
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        fn window() -> impl Strategy<Value = Vec<Observation>> {
            prop::collection::vec(
                (0i64..10_000, 1i64..120_000, prop::option::of(0i64..5_000)),
                0..15,
            )
            .prop_map(|points| {
                let mut at = 0;
                points
                    .into_iter()
                    .map(|(offset, gap, lag)| {
                        at += gap;
                        Observation {
                            offset,
                            lag,
                            at_ms: at,
                        }
                    })
                    .collect()
            })
        }

        proptest! {
            #[test]
            fn never_panics_and_caught_up_is_always_ok(
                w in window(),
                highs in prop::collection::vec(0i64..20_000, 0..5),
                lag in 0i64..10_000,
                after in 0i64..10_000_000,
                members in prop::option::of(any::<bool>()),
            ) {
                let now = w.last().map_or(0, |o| o.at_ms) + after;
                let e = evidence(&w, &highs, lag, now, members);
                let status = evaluate(&e, &Rules::default());
                if lag == 0 {
                    prop_assert_eq!(status, Ok);
                }
                if w.is_empty() && lag > 0 {
                    prop_assert_eq!(status, Unknown);
                }
            }

            #[test]
            fn a_stopped_consumer_with_rising_lag_is_never_ok(
                w in window(),
                grown in 1i64..1_000_000,
                members in prop::option::of(any::<bool>()),
            ) {
                prop_assume!(!w.is_empty());
                let last = *w.last().unwrap();
                // No recent watermark at or below the last commit: it was not caught up lately.
                let high = last.offset + last.lag.unwrap_or(0) + grown;
                let lag = high - last.offset;
                let span = last.at_ms - w[0].at_ms;
                // Silent for longer than both Burrow's span and kview's cadence allow.
                let now = last.at_ms + 4 * span.max(120_000) + 1;
                let highs = [high];
                let e = evidence(&w, &highs, lag, now, members);
                let status = evaluate(&e, &Rules::default());
                prop_assert_ne!(status, Ok);
                prop_assert_ne!(status, Warn);
            }
        }
    }
}
