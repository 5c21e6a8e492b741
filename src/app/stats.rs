//! Throughput derived from watermark samples: messages per second per partition, per topic and
//! for the cluster, each with a bounded history for sparklines. Computed when a sample arrives,
//! never while drawing.

use std::collections::VecDeque;

// A fast hash: every partition of the cluster is looked up here each sample.
use foldhash::{HashMap, HashMapExt};

use crate::kafka::Watermarks;

/// Samples kept per series: two minutes at one sample a second.
pub const HISTORY: usize = 120;
// A series counts its values in a byte.
const _: () = assert!(HISTORY <= u8::MAX as usize);

/// The last values of something (a rate, a lag), oldest first, for a sparkline. Most of a
/// large cluster's partitions are idle and most groups' lags stand still: the zeros a series
/// starts with are counted, not kept, so a series that never moved allocates nothing, and what
/// follows is kept as runs of one value, so a lag that stands still is one run, not 120 values
/// (2,200 groups' partition lags held 20 MB after two minutes).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Trend {
    leading_zeros: u8,
    /// What follows the leading zeros, as runs (see `Run`); starts with a non-zero value when
    /// not empty.
    runs: VecDeque<Run>,
    /// Values in `runs`.
    counted: u8,
}

/// A value and how many times it came in a row, in one word: the count in the low byte (a
/// series holds at most HISTORY), the value above it (saturated at 2⁵⁶ − 1: no rate or lag
/// comes near).
#[derive(Debug, Clone, Copy, PartialEq)]
struct Run(u64);

impl Run {
    const MAX_VALUE: u64 = (1 << 56) - 1;

    fn new(value: u64) -> Self {
        Run((value.min(Self::MAX_VALUE) << 8) | 1)
    }

    fn value(self) -> u64 {
        self.0 >> 8
    }

    fn count(self) -> usize {
        (self.0 & 0xff) as usize
    }

    fn holds(self, value: u64) -> bool {
        self.value() == value.min(Self::MAX_VALUE)
    }

    /// Adds to the count (the low byte; it never leaves 0..=255).
    fn add(&mut self, n: i64) {
        self.0 = self.0.wrapping_add_signed(n);
    }
}

impl Trend {
    pub fn push(&mut self, value: u64) {
        if self.runs.is_empty() && value == 0 {
            self.leading_zeros = (self.leading_zeros + 1).min(HISTORY as u8);
            return;
        }
        match self.runs.back_mut() {
            Some(last) if last.holds(value) && last.count() < 0xff => last.add(1),
            _ => {
                crate::maps::make_room(&mut self.runs, HISTORY);
                self.runs.push_back(Run::new(value));
            }
        }
        self.counted += 1;
        if self.len() > HISTORY {
            if self.leading_zeros > 0 {
                self.leading_zeros -= 1;
            } else if let Some(first) = self.runs.front_mut() {
                first.add(-1);
                self.counted -= 1;
                if first.count() == 0 {
                    self.runs.pop_front();
                }
            }
        }
        while let Some(first) = self.runs.front().copied()
            && first.value() == 0
        {
            self.runs.pop_front();
            self.leading_zeros += first.count() as u8;
            self.counted -= first.count() as u8;
        }
        if self.runs.is_empty() {
            self.runs = VecDeque::new();
        }
    }

    /// The last `n` values, oldest first.
    pub fn last(&self, n: usize) -> Vec<u64> {
        let n = n.min(self.len());
        let zeros = n.saturating_sub(self.counted as usize);
        let mut out = vec![0; zeros];
        let mut skip = self.counted as usize - (n - zeros);
        for run in &self.runs {
            let take = run.count().saturating_sub(skip);
            skip = skip.saturating_sub(run.count());
            out.extend(std::iter::repeat_n(run.value(), take));
        }
        out
    }

    pub fn len(&self) -> usize {
        self.leading_zeros as usize + self.counted as usize
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct PartitionStats {
    pub marks: Watermarks,
    /// When `marks` were sampled, Unix milliseconds.
    pub at_ms: i64,
    /// Messages per second over the last sample interval.
    pub rate: f64,
    pub history: Trend,
    /// The last sample did not answer for this partition: what is shown is from before.
    pub stale: bool,
    /// The sample round that last named it (0: none yet).
    round: u64,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct TopicStats {
    pub messages: i64,
    pub rate: f64,
    pub history: Trend,
}

#[derive(Debug, Clone, Default)]
pub struct Stats {
    /// By topic, then by partition id (ids are dense); a partition not named by a sample round
    /// yet has round 0. No key a partition: 10,000 partitions held 2.2 MB keyed by pairs.
    partitions: HashMap<String, Vec<PartitionStats>>,
    pub topics: HashMap<String, TopicStats>,
    /// Kafka's own topics (`__consumer_offsets`, …): not in the totals, which count the users'
    /// topics as the overview's topic and partition counts do.
    pub internal_topics: std::collections::HashSet<String>,
    pub total_messages: i64,
    pub cluster_rate: f64,
    pub cluster_history: Trend,
    /// Sample rounds folded in so far.
    round: u64,
}

impl Stats {
    /// Folds in a sample of every partition's watermarks taken at `at_ms`. Partitions asked
    /// for but not answered (`missing`: a broker restarting, a leader moving) keep their last
    /// figures, marked stale, and still count in the totals, so nothing dips or is forgotten
    /// for one failed request. Partitions in neither (deleted topics) are forgotten.
    pub fn record(
        &mut self,
        at_ms: i64,
        marks: Vec<((String, i32), Watermarks)>,
        missing: Vec<(String, i32)>,
    ) {
        // Updated in place: this runs for every partition of the cluster each sample, and
        // rebuilding the map moved and rehashed all of them.
        self.round += 1;
        let round = self.round;
        let mut topics: HashMap<String, TopicStats> = HashMap::with_capacity(self.topics.len());
        let mut last_topic: Option<(String, TopicStats)> = None;
        let mut add =
            |topics: &mut HashMap<String, TopicStats>, topic: &str, stats: &PartitionStats| {
                // A topic's partitions come one after another: sum them before one look-up.
                match &mut last_topic {
                    Some((name, sum)) if name == topic => {
                        sum.messages += stats.marks.messages();
                        sum.rate += stats.rate;
                    }
                    _ => {
                        if let Some((name, sum)) = last_topic.take() {
                            let t = topics.entry(name).or_default();
                            t.messages += sum.messages;
                            t.rate += sum.rate;
                        }
                        last_topic = Some((
                            topic.to_owned(),
                            TopicStats {
                                messages: stats.marks.messages(),
                                rate: stats.rate,
                                ..TopicStats::default()
                            },
                        ));
                    }
                }
            };
        for (key, now) in marks {
            let Some(stats) = self.slot(&key.0, key.1) else {
                continue;
            };
            // Over the time since this partition's own last sample, which may be older than
            // the last round when it was stale. A shrinking high watermark is a recreated
            // topic, not negative traffic.
            stats.rate = if stats.round > 0 && at_ms > stats.at_ms {
                (now.high - stats.marks.high).max(0) as f64
                    / ((at_ms - stats.at_ms) as f64 / 1000.0)
            } else {
                0.0
            };
            stats.marks = now;
            stats.at_ms = at_ms;
            stats.stale = false;
            stats.round = round;
            stats.history.push(stats.rate.round() as u64);
            add(&mut topics, &key.0, stats);
        }
        for key in missing {
            let Some(stats) = self
                .partitions
                .get_mut(&key.0)
                .and_then(|known| known.get_mut(usize::try_from(key.1).ok()?))
                .filter(|stats| stats.round > 0)
            else {
                continue;
            };
            stats.stale = true;
            stats.round = round;
            add(&mut topics, &key.0, stats);
        }
        if let Some((name, sum)) = last_topic {
            let t = topics.entry(name).or_default();
            t.messages += sum.messages;
            t.rate += sum.rate;
        }
        // Partitions in neither list (deleted topics) are forgotten.
        self.partitions.retain(|_, known| {
            for stats in known.iter_mut().filter(|stats| stats.round != round) {
                *stats = PartitionStats::default();
            }
            while known.last().is_some_and(|stats| stats.round == 0) {
                known.pop();
            }
            !known.is_empty()
        });
        for (name, topic) in topics.iter_mut() {
            let mut history = self
                .topics
                .remove(name)
                .map(|t| t.history)
                .unwrap_or_default();
            history.push(topic.rate.round() as u64);
            topic.history = history;
        }
        let own = || {
            topics
                .iter()
                .filter(|(name, _)| !self.internal_topics.contains(*name))
                .map(|(_, t)| t)
        };
        self.total_messages = own().map(|t| t.messages).sum();
        self.cluster_rate = own().map(|t| t.rate).sum();
        self.cluster_history.push(self.cluster_rate.round() as u64);
        self.topics = topics;
    }

    pub fn partition(&self, topic: &str, partition: i32) -> Option<&PartitionStats> {
        crate::maps::partition(self.partitions.get(topic)?, partition)
            .filter(|stats| stats.round > 0)
    }

    /// Where a sampled partition's figures live, made room for on its first sample. None for a
    /// partition id no broker would give (negative, or past any real partition count).
    fn slot(&mut self, topic: &str, partition: i32) -> Option<&mut PartitionStats> {
        crate::maps::partition_mut(
            crate::maps::named_mut(&mut self.partitions, topic),
            partition,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(entries: &[(&str, i32, i64, i64)]) -> Vec<((String, i32), Watermarks)> {
        entries
            .iter()
            .map(|(t, p, low, high)| {
                (
                    (t.to_string(), *p),
                    Watermarks {
                        low: *low,
                        high: *high,
                    },
                )
            })
            .collect()
    }

    #[test]
    fn rates_come_from_high_watermark_deltas() {
        let mut s = Stats::default();
        s.record(
            1_000,
            sample(&[("a", 0, 0, 100), ("a", 1, 0, 50), ("b", 0, 10, 10)]),
            vec![],
        );
        assert_eq!(s.cluster_rate, 0.0, "no rate from a single sample");
        assert_eq!(s.total_messages, 150);
        s.record(
            3_000,
            sample(&[("a", 0, 0, 300), ("a", 1, 0, 60), ("b", 0, 10, 10)]),
            vec![],
        );
        assert_eq!(s.partition("a", 0).unwrap().rate, 100.0);
        assert_eq!(s.partition("a", 1).unwrap().rate, 5.0);
        assert_eq!(s.topics["a"].rate, 105.0);
        assert_eq!(s.topics["a"].messages, 360);
        assert_eq!(s.topics["b"].rate, 0.0);
        assert_eq!(s.cluster_rate, 105.0);
        assert_eq!(s.cluster_history.last(2), vec![0, 105]);
        assert_eq!(s.topics["a"].history.last(5), vec![0, 105]);
    }

    #[test]
    fn recreated_topics_and_deleted_partitions_do_not_confuse_rates() {
        let mut s = Stats::default();
        s.record(0, sample(&[("a", 0, 0, 1000), ("gone", 0, 0, 5)]), vec![]);
        s.record(1_000, sample(&[("a", 0, 0, 10)]), vec![]);
        assert_eq!(s.partition("a", 0).unwrap().rate, 0.0);
        assert!(s.partition("gone", 0).is_none());
        assert!(!s.topics.contains_key("gone"));
    }

    #[test]
    fn partitions_are_known_by_id_with_gaps_and_forgotten_one_by_one() {
        let mut s = Stats::default();
        s.record(0, sample(&[("a", 0, 0, 1), ("a", 3, 0, 3)]), vec![]);
        assert!(s.partition("a", 1).is_none(), "never sampled");
        assert_eq!(s.partition("a", 3).unwrap().marks.high, 3);
        assert!(s.partition("a", -1).is_none());
        // Partition 3 goes (a recreated topic with one partition); a sample naming a partition
        // id no broker gives is skipped, not made room for.
        s.record(
            1_000,
            sample(&[("a", 0, 0, 2), ("a", i32::MAX, 0, 9)]),
            vec![],
        );
        assert!(s.partition("a", 3).is_none());
        assert!(s.partition("a", i32::MAX).is_none());
        assert_eq!(s.topics["a"].messages, 2);
        // Missing from a round without ever being known: nothing made up.
        s.record(2_000, sample(&[("a", 0, 0, 2)]), vec![("a".into(), 5)]);
        assert!(s.partition("a", 5).is_none());
        assert_eq!(
            s.partitions["a"].len(),
            1,
            "trailing forgotten partitions are dropped"
        );
    }

    #[test]
    fn a_partition_missing_from_one_sample_keeps_its_history_and_totals_do_not_dip() {
        let mut s = Stats::default();
        s.record(0, sample(&[("a", 0, 0, 100), ("a", 1, 0, 100)]), vec![]);
        s.record(1_000, sample(&[("a", 0, 0, 150), ("a", 1, 0, 110)]), vec![]);
        let total = s.total_messages;
        // Partition 1's leader does not answer this round.
        s.record(2_000, sample(&[("a", 0, 0, 200)]), vec![("a".into(), 1)]);
        let p1 = s.partition("a", 1).expect("not forgotten");
        assert!(p1.stale);
        assert_eq!(p1.rate, 10.0, "its last known rate");
        assert_eq!(p1.history.last(5), vec![0, 10], "its history kept");
        assert!(s.total_messages >= total, "totals do not dip");
        assert_eq!(s.topics["a"].rate, 60.0);
        // It answers again: the rate spans the two seconds since its last sample.
        s.record(3_000, sample(&[("a", 0, 0, 250), ("a", 1, 0, 150)]), vec![]);
        let p1 = s.partition("a", 1).unwrap();
        assert!(!p1.stale);
        assert_eq!(p1.rate, 20.0);
    }

    #[test]
    fn a_series_keeps_its_zeros_as_a_count_and_reads_back_the_same() {
        let pushed = [0, 0, 0, 5, 0, 7, 0, 0];
        let mut series = Trend::default();
        for v in pushed {
            series.push(v);
        }
        assert_eq!(series.len(), pushed.len());
        assert_eq!(series.last(100), pushed.to_vec());
        assert_eq!(series.last(3), vec![7, 0, 0]);
        assert_eq!(series.last(6), vec![0, 5, 0, 7, 0, 0]);
        let mut idle = Trend::default();
        for _ in 0..(HISTORY + 10) {
            idle.push(0);
        }
        assert_eq!(idle.len(), HISTORY);
        assert_eq!(idle.runs.capacity(), 0, "an idle series allocates nothing");
        // A burst that scrolled out leaves nothing allocated behind it.
        let mut burst = Trend::default();
        burst.push(9);
        for _ in 0..HISTORY {
            burst.push(0);
        }
        assert_eq!(burst.last(HISTORY), vec![0; HISTORY]);
        assert_eq!(burst.runs.capacity(), 0);
    }

    #[test]
    fn a_lag_that_stands_still_is_one_run() {
        let mut lag = Trend::default();
        lag.push(7);
        for _ in 0..3 * HISTORY {
            lag.push(50);
        }
        assert_eq!(lag.runs.len(), 1, "one run of 50, the 7 gone");
        assert_eq!(lag.last(3), vec![50; 3]);
        lag.push(u64::MAX);
        assert_eq!(
            lag.last(2),
            vec![50, Run::MAX_VALUE],
            "saturated, not wrapped"
        );
        assert_eq!(lag.len(), HISTORY);
    }

    proptest::proptest! {
        /// Whatever is pushed, the series reads back as the last HISTORY values pushed.
        #[test]
        fn a_series_reads_as_the_last_values_pushed(
            pushed in proptest::collection::vec(
                proptest::prop_oneof![3 => proptest::strategy::Just(0u64), 1 => 1u64..5],
                0..400,
            ),
            n in 0usize..200,
        ) {
            let mut series = Trend::default();
            for &v in &pushed {
                series.push(v);
            }
            let kept = &pushed[pushed.len().saturating_sub(HISTORY)..];
            proptest::prop_assert_eq!(series.len(), kept.len());
            proptest::prop_assert_eq!(
                series.last(n),
                kept[kept.len().saturating_sub(n)..].to_vec()
            );
        }
    }

    #[test]
    fn history_is_bounded() {
        let mut series = Trend::default();
        for i in 0..(HISTORY as u64 + 30) {
            series.push(i);
        }
        assert_eq!(series.len(), HISTORY);
        assert_eq!(series.last(HISTORY)[0], 30);
    }

    #[test]
    fn totals_count_the_users_topics_as_the_topic_counts_do() {
        let mut s = Stats {
            internal_topics: ["__consumer_offsets".to_string()].into(),
            ..Stats::default()
        };
        s.record(
            0,
            sample(&[("a", 0, 0, 10), ("__consumer_offsets", 0, 0, 6)]),
            vec![],
        );
        s.record(
            1_000,
            sample(&[("a", 0, 0, 10), ("__consumer_offsets", 0, 0, 16)]),
            vec![],
        );
        assert_eq!(s.total_messages, 10, "not the 16 commits");
        assert_eq!(s.cluster_rate, 0.0, "commits are not throughput");
        assert_eq!(
            s.topics["__consumer_offsets"].messages, 16,
            "still known per topic"
        );
    }
}
