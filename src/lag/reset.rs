//! Planning an offset reset: where each partition's committed offset goes, and the lag after.

use serde::Serialize;

use crate::kafka::{StartAt, Watermarks};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResetTarget {
    Earliest,
    Latest,
    Offset(i64),
    /// The first offset at or after this time (Unix ms); resolved by the broker.
    Timestamp(i64),
    /// Move by N (negative: back) from the committed offset.
    Shift(i64),
}

impl std::str::FromStr for ResetTarget {
    type Err = String;

    /// `earliest`, `latest`, an offset, `+N`/`-N` to shift, or a time (`@UNIX_MS`, RFC 3339).
    fn from_str(text: &str) -> Result<Self, String> {
        let bad = || {
            format!(
                "invalid reset target {text:?}: use earliest, latest, OFFSET, +N, -N, @UNIX_MS or an RFC 3339 time"
            )
        };
        match text {
            "earliest" | "beginning" => return Ok(ResetTarget::Earliest),
            "latest" | "end" => return Ok(ResetTarget::Latest),
            _ => {}
        }
        if let Some(n) = text.strip_prefix('+') {
            return n.parse().map(ResetTarget::Shift).map_err(|_| bad());
        }
        if text.starts_with('-') {
            return text.parse().map(ResetTarget::Shift).map_err(|_| bad());
        }
        if let Ok(offset) = text.parse::<i64>() {
            return Ok(ResetTarget::Offset(offset));
        }
        match text.parse::<StartAt>() {
            Ok(StartAt::Timestamp(ms)) => Ok(ResetTarget::Timestamp(ms)),
            _ => Err(bad()),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ResetPlan {
    pub topic: String,
    pub partition: i32,
    pub old_offset: Option<i64>,
    pub new_offset: i64,
    pub high_watermark: i64,
    pub new_lag: i64,
    /// The offset asked for when it lay outside the partition and was moved to its edge.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub clamped_from: Option<i64>,
}

impl ResetPlan {
    /// "orders/0: offset 99999 is past the end; reset to 170 (the next to be written)".
    pub fn clamp_note(&self) -> Option<String> {
        let asked = self.clamped_from?;
        Some(if asked > self.new_offset {
            format!(
                "{}/{}: offset {asked} is past the end; reset to {} (the next to be written)",
                self.topic, self.partition, self.new_offset
            )
        } else {
            format!(
                "{}/{}: offset {asked} is before the start; reset to {} (the oldest kept)",
                self.topic, self.partition, self.new_offset
            )
        })
    }
}

/// The offset a target asks for, before it is kept within the watermarks. `at_time` is the
/// broker's answer for a timestamp target.
fn wanted_offset(
    target: ResetTarget,
    old: Option<i64>,
    marks: Watermarks,
    at_time: Option<i64>,
) -> i64 {
    match target {
        ResetTarget::Earliest => marks.low,
        ResetTarget::Latest => marks.high,
        ResetTarget::Offset(o) => o,
        ResetTarget::Timestamp(_) => at_time.unwrap_or(marks.high),
        // Without a commit, a shift starts from the beginning, as Kafka's tool does.
        ResetTarget::Shift(n) => old.unwrap_or(marks.low).saturating_add(n),
    }
}

/// The new offset for one partition, kept within its watermarks.
pub fn new_offset(
    target: ResetTarget,
    old: Option<i64>,
    marks: Watermarks,
    at_time: Option<i64>,
) -> i64 {
    wanted_offset(target, old, marks, at_time).clamp(marks.low, marks.high)
}

pub fn plan(
    topic: &str,
    partition: i32,
    target: ResetTarget,
    old: Option<i64>,
    marks: Watermarks,
    at_time: Option<i64>,
) -> ResetPlan {
    let wanted = wanted_offset(target, old, marks, at_time);
    let new = wanted.clamp(marks.low, marks.high);
    ResetPlan {
        clamped_from: (wanted != new).then_some(wanted),
        topic: topic.to_owned(),
        partition,
        old_offset: old,
        new_offset: new,
        high_watermark: marks.high,
        new_lag: marks.high - new,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reset_targets_parse_as_people_write_them() {
        assert_eq!("earliest".parse(), Ok(ResetTarget::Earliest));
        assert_eq!("end".parse(), Ok(ResetTarget::Latest));
        assert_eq!("42".parse(), Ok(ResetTarget::Offset(42)));
        assert_eq!("+5".parse(), Ok(ResetTarget::Shift(5)));
        assert_eq!("-5".parse(), Ok(ResetTarget::Shift(-5)));
        assert_eq!(
            "@1700000000000".parse(),
            Ok(ResetTarget::Timestamp(1_700_000_000_000))
        );
        assert_eq!(
            "2023-11-14T22:13:20Z".parse(),
            Ok(ResetTarget::Timestamp(1_700_000_000_000))
        );
        assert!(
            "soon"
                .parse::<ResetTarget>()
                .unwrap_err()
                .contains("invalid reset target")
        );
    }

    const MARKS: Watermarks = Watermarks {
        low: 100,
        high: 500,
    };

    #[test]
    fn targets_resolve_within_the_watermarks() {
        assert_eq!(
            new_offset(ResetTarget::Earliest, Some(300), MARKS, None),
            100
        );
        assert_eq!(new_offset(ResetTarget::Latest, Some(300), MARKS, None), 500);
        assert_eq!(
            new_offset(ResetTarget::Offset(250), Some(300), MARKS, None),
            250
        );
        assert_eq!(
            new_offset(ResetTarget::Offset(9_999), Some(300), MARKS, None),
            500
        );
        assert_eq!(new_offset(ResetTarget::Offset(0), None, MARKS, None), 100);
        assert_eq!(
            new_offset(ResetTarget::Shift(-50), Some(300), MARKS, None),
            250
        );
        assert_eq!(
            new_offset(ResetTarget::Shift(-500), Some(300), MARKS, None),
            100
        );
        assert_eq!(new_offset(ResetTarget::Shift(10), None, MARKS, None), 110);
        assert_eq!(
            new_offset(ResetTarget::Timestamp(5), Some(300), MARKS, Some(420)),
            420
        );
    }

    #[test]
    fn plans_show_the_lag_after() {
        let p = plan("t", 2, ResetTarget::Shift(-100), Some(450), MARKS, None);
        assert_eq!(
            (p.old_offset, p.new_offset, p.new_lag),
            (Some(450), 350, 150)
        );
    }
}
