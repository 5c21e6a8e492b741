//! A partition's history of (wall-clock time, high watermark) points, from which kview reads
//! the high watermark at any past moment (lag at the time of a commit) and the produce time of
//! any offset (lag in time), the way kafka-lag-exporter does, but saying how sure it is.

use std::collections::VecDeque;

use serde::Serialize;

/// Points kept per partition: ten minutes at one a second of a partition that moves every
/// second; a stretch where it stood still is kept as its two ends.
pub const POINTS: usize = 600;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Point {
    pub at_ms: i64,
    pub high_watermark: i64,
}

/// How much to trust a lag in time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TimeQuality {
    /// From the timestamp of the record at the committed offset.
    Exact,
    /// Interpolated between two high-watermark samples around the offset.
    Interpolated,
    /// The offset is older than every sample: the lag is at least this much.
    AtLeast,
}

impl TimeQuality {
    pub fn marker(self) -> &'static str {
        match self {
            TimeQuality::Exact => "",
            TimeQuality::Interpolated => "~",
            TimeQuality::AtLeast => ">",
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct WatermarkHistory {
    points: VecDeque<Point>,
}

impl WatermarkHistory {
    /// Adds a sample; samples arrive in time order (older ones are placed in order).
    pub fn push(&mut self, at_ms: i64, high_watermark: i64) {
        let point = Point {
            at_ms,
            high_watermark,
        };
        // A high watermark that went down is a recreated or truncated partition: its history
        // describes other offsets.
        if self
            .points
            .back()
            .is_some_and(|last| last.at_ms <= at_ms && last.high_watermark > high_watermark)
        {
            self.points.clear();
        }
        if self.points.back().is_none_or(|last| last.at_ms <= at_ms) {
            if self.points.back().is_some_and(|last| *last == point) {
                return;
            }
            // A high watermark that stood still is a flat stretch: its two ends say all the
            // points between them would (an idle partition keeps two points, not six hundred).
            let n = self.points.len();
            if n >= 2
                && self.points[n - 1].high_watermark == high_watermark
                && self.points[n - 2].high_watermark == high_watermark
            {
                self.points[n - 1].at_ms = at_ms;
                return;
            }
            if self.points.len() == POINTS {
                self.points.pop_front();
            }
            crate::maps::make_room(&mut self.points, POINTS);
            self.points.push_back(point);
        } else {
            let mut i = self.points.partition_point(|p| p.at_ms <= at_ms);
            if self.points.len() == POINTS {
                if i == 0 {
                    return; // older than every point kept
                }
                self.points.pop_front();
                i -= 1;
            }
            crate::maps::make_room(&mut self.points, POINTS);
            self.points.insert(i, point);
        }
    }

    pub fn is_empty(&self) -> bool {
        self.points.is_empty()
    }

    /// High watermarks sampled at or after `at_ms`: the recent broker offsets of Burrow's rules.
    pub fn since(&self, at_ms: i64) -> impl Iterator<Item = i64> + '_ {
        let from = self.points.partition_point(|p| p.at_ms < at_ms);
        self.points.range(from..).map(|p| p.high_watermark)
    }

    /// The high watermark at a past moment, interpolated between samples; clamped to the first
    /// and last samples outside their span.
    pub fn high_watermark_at(&self, at_ms: i64) -> Option<i64> {
        let first = self.points.front()?;
        let last = self.points.back()?;
        if at_ms <= first.at_ms {
            return Some(first.high_watermark);
        }
        if at_ms >= last.at_ms {
            return Some(last.high_watermark);
        }
        let i = self.points.partition_point(|p| p.at_ms <= at_ms);
        let (a, b) = (self.points[i - 1], self.points[i]);
        let fraction = (at_ms - a.at_ms) as f64 / (b.at_ms - a.at_ms).max(1) as f64;
        Some(
            a.high_watermark
                + ((b.high_watermark - a.high_watermark) as f64 * fraction).floor() as i64,
        )
    }

    /// When `offset` was produced: between the last sample that had not reached it and the first
    /// that had, interpolated. None when the offset is not produced yet or there are no samples.
    pub fn produce_time(&self, offset: i64) -> Option<(i64, TimeQuality)> {
        let first = self.points.front()?;
        if offset >= self.points.back()?.high_watermark {
            return None;
        }
        if offset < first.high_watermark {
            return Some((first.at_ms, TimeQuality::AtLeast));
        }
        // First sample whose high watermark passed the offset.
        let i = self.points.partition_point(|p| p.high_watermark <= offset);
        if i == 0 || i >= self.points.len() {
            return None;
        }
        let (a, b) = (self.points[i - 1], self.points[i]);
        let fraction =
            (offset - a.high_watermark) as f64 / (b.high_watermark - a.high_watermark) as f64;
        let at = a.at_ms + ((b.at_ms - a.at_ms) as f64 * fraction).round() as i64;
        Some((at, TimeQuality::Interpolated))
    }
}

/// When a lagging consumer will have caught up, at the current rates.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(tag = "kind", content = "seconds", rename_all = "snake_case")]
pub enum CatchUp {
    CaughtUp,
    Seconds(f64),
    /// It consumes no faster than messages arrive.
    Never,
    /// It consumes about as fast as messages arrive, and what it lags behind is a few seconds'
    /// work: the lag is in flight, not a backlog.
    KeepingUp,
    /// Not enough commits seen to tell.
    Unknown,
}

/// A lag the consumer works off within this many seconds at its own rate is in flight.
const IN_FLIGHT_SECS: f64 = 10.0;
/// Consuming within this share of the produce rate, either way, is keeping pace: rates from a
/// window of ten commits are noisy (with commits 200 ms apart, one burst of records between two
/// of them moves the measured rates by a fifth); clearly faster gives an estimate instead.
const PACE_SHARE: f64 = 0.25;

/// lag ÷ (consume rate − produce rate) when positive; "keeping up" when the consumer keeps
/// pace and its lag is only what is in flight.
pub fn catch_up(lag: i64, consume_rate: Option<f64>, produce_rate: f64) -> CatchUp {
    if lag <= 0 {
        return CatchUp::CaughtUp;
    }
    let Some(consume) = consume_rate else {
        return CatchUp::Unknown;
    };
    if consume > 0.0
        && (consume - produce_rate).abs() <= produce_rate * PACE_SHARE
        && (lag as f64) <= consume * IN_FLIGHT_SECS
    {
        return CatchUp::KeepingUp;
    }
    let net = consume - produce_rate;
    if net > 0.0 {
        CatchUp::Seconds(lag as f64 / net)
    } else {
        CatchUp::Never
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn history(points: &[(i64, i64)]) -> WatermarkHistory {
        let mut h = WatermarkHistory::default();
        for &(t, hw) in points {
            h.push(t, hw);
        }
        h
    }

    #[test]
    fn reads_the_high_watermark_at_a_past_moment() {
        let h = history(&[(0, 100), (10_000, 200), (20_000, 200)]);
        assert_eq!(h.high_watermark_at(5_000), Some(150));
        assert_eq!(h.high_watermark_at(15_000), Some(200));
        assert_eq!(h.high_watermark_at(-1), Some(100));
        assert_eq!(h.high_watermark_at(99_000), Some(200));
        assert_eq!(WatermarkHistory::default().high_watermark_at(0), None);
    }

    #[test]
    fn interpolates_produce_times_and_flags_what_it_cannot_know() {
        let h = history(&[(0, 100), (10_000, 200), (20_000, 300)]);
        assert_eq!(
            h.produce_time(150),
            Some((5_000, TimeQuality::Interpolated))
        );
        assert_eq!(
            h.produce_time(250),
            Some((15_000, TimeQuality::Interpolated))
        );
        assert_eq!(h.produce_time(100), Some((0, TimeQuality::Interpolated)));
        assert_eq!(
            h.produce_time(50),
            Some((0, TimeQuality::AtLeast)),
            "older than the table"
        );
        assert_eq!(h.produce_time(300), None, "not produced yet");
    }

    #[test]
    fn idle_stretches_do_not_smear_produce_times() {
        // Offsets 100..200 arrived between 10 s and 11 s; the topic was idle before and after.
        let h = history(&[(0, 100), (10_000, 100), (11_000, 200), (60_000, 200)]);
        let (at, _) = h.produce_time(150).unwrap();
        assert!((10_000..=11_000).contains(&at), "{at}");
    }

    #[test]
    fn a_flat_stretch_is_kept_as_its_two_ends_and_reads_the_same() {
        let mut h = history(&[(0, 100)]);
        for t in 1..=1_000 {
            h.push(t * 1_000, 100);
        }
        h.push(1_001_000, 150);
        assert_eq!(h.points.len(), 3, "{:?}", h.points);
        assert_eq!(h.high_watermark_at(500_000), Some(100));
        assert_eq!(h.high_watermark_at(1_000_500), Some(125));
        assert_eq!(
            h.produce_time(120),
            Some((1_000_400, TimeQuality::Interpolated)),
            "produced after the stretch, not smeared over it"
        );
        assert_eq!(h.since(999_500).collect::<Vec<_>>(), vec![100, 150]);
        assert_eq!(h.since(1_000_001).collect::<Vec<_>>(), vec![150]);
    }

    #[test]
    fn samples_arriving_out_of_order_are_placed_in_order_and_bounded() {
        let mut h = history(&[(0, 1), (20_000, 3)]);
        h.push(10_000, 2);
        assert_eq!(h.high_watermark_at(10_000), Some(2));
        for i in 0..(POINTS as i64 + 50) {
            h.push(30_000 + i, 4 + i);
        }
        assert_eq!(h.points.len(), POINTS);
        assert!(h.points.capacity() <= POINTS, "no room kept past the bound");
        let first = h.points[0];
        // Full: a sample older than every point is not kept; one between points is, in order,
        // and the oldest point makes room for it.
        h.push(0, 1);
        assert_eq!(h.points[0], first);
        h.push(first.at_ms + 1, first.high_watermark);
        assert_eq!(h.points.len(), POINTS);
        assert_eq!(h.points[0].at_ms, first.at_ms + 1);
        assert!(h.points.iter().is_sorted_by_key(|p| p.at_ms));
    }

    #[test]
    fn a_shrinking_high_watermark_starts_the_history_over() {
        let h = history(&[(0, 100), (10_000, 200), (20_000, 5), (30_000, 50)]);
        assert_eq!(h.high_watermark_at(0), Some(5), "the old points are gone");
        assert_eq!(
            h.produce_time(20),
            Some((23_333, TimeQuality::Interpolated))
        );
    }

    #[test]
    fn catch_up_is_lag_over_net_rate() {
        assert_eq!(catch_up(0, None, 5.0), CatchUp::CaughtUp);
        assert_eq!(catch_up(1000, Some(150.0), 50.0), CatchUp::Seconds(10.0));
        assert_eq!(catch_up(1000, Some(50.0), 50.0), CatchUp::Never);
        assert_eq!(catch_up(1000, None, 0.0), CatchUp::Unknown);
        // A steady small lag at the produce rate: in flight, not "never".
        assert_eq!(catch_up(12, Some(49.0), 50.0), CatchUp::KeepingUp);
        assert_eq!(catch_up(12, Some(51.0), 50.0), CatchUp::KeepingUp);
        // A burst between two of a short window's commits: still in pace.
        assert_eq!(catch_up(20, Some(90.0), 100.0), CatchUp::KeepingUp);
        assert_eq!(
            catch_up(60, Some(20.0), 10.0),
            CatchUp::Seconds(6.0),
            "clearly faster"
        );
        assert_eq!(
            catch_up(5000, Some(49.0), 50.0),
            CatchUp::Never,
            "a backlog is not in flight"
        );
        assert_eq!(
            catch_up(12, Some(20.0), 50.0),
            CatchUp::Never,
            "far slower than produced"
        );
    }
}
