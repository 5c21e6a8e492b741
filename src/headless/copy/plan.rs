//! What a copy will do, worked out before anything is written: the source offsets of each
//! partition, whether the target exists (and how it would be created), where records go.

use std::io::Write;

use anyhow::Result;
use serde::Serialize;

use crate::headless::table::write_table;
use crate::human::{count, plural};
use crate::kafka::partitioner::Placement;
use crate::kafka::reader::{OffsetRange, start_offset};
use crate::kafka::{KafkaClient, KafkaError, StartAt, Watermarks};

/// The source offsets `[start, end)` of each partition read: `from` and `until` resolved
/// against the watermarks and the last stable offset (a copy reads committed records only).
pub async fn source_ranges(
    client: &KafkaClient,
    topic: &str,
    partition: Option<i32>,
    from: StartAt,
    until: Option<StartAt>,
) -> Result<Vec<OffsetRange>> {
    let info = client.topic(topic).await?;
    let partitions: Vec<i32> = match partition {
        Some(p) => vec![info.partition(p)?.id],
        None => info.partitions.iter().map(|p| p.id).collect(),
    };
    let keys: Vec<(String, i32)> = partitions.iter().map(|p| (info.name.clone(), *p)).collect();
    let marks = client.watermarks(&keys).await;
    let stable = client.stable_offsets(&keys).await;
    let mut ranges = Vec::with_capacity(partitions.len());
    for ((&partition, marks), stable) in partitions.iter().zip(marks).zip(stable) {
        let mut marks = marks?;
        marks.high = marks.high.min(stable?);
        let at = |e: String| KafkaError::Client(format!("{topic}/{partition}: {e}"));
        let start = match from {
            StartAt::Timestamp(ms) => client.offset_for_time(topic, partition, ms).await?,
            start => start_offset(start, marks).map_err(at)?,
        };
        let end = match until {
            Some(StartAt::Timestamp(ms)) => client
                .offset_for_time(topic, partition, ms)
                .await?
                .min(marks.high),
            Some(until) => until_offset(until, marks),
            None => marks.high,
        };
        ranges.push(OffsetRange {
            partition,
            start,
            end: end.max(start),
        });
    }
    Ok(ranges)
}

/// Where a copy stops, within what the partition holds: an offset past the end stops at the
/// end (a copy is planned over records that exist).
fn until_offset(until: StartAt, marks: Watermarks) -> i64 {
    match until {
        StartAt::Beginning => marks.low,
        StartAt::End | StartAt::Timestamp(_) => marks.high,
        StartAt::FromEnd(n) => (marks.high - n).max(marks.low),
        StartAt::Offset(o) => o.clamp(marks.low, marks.high),
    }
}

/// The target topic as found, or how it would be created.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Target {
    Exists { partitions: usize },
    Create { partitions: i32, replication: i16 },
}

impl Target {
    pub fn partitions(&self) -> usize {
        match *self {
            Target::Exists { partitions } => partitions,
            Target::Create { partitions, .. } => partitions.max(0) as usize,
        }
    }
}

/// The plan as the preview prints it.
#[derive(Debug, Serialize)]
pub struct Preview<'a> {
    pub source: &'a str,
    pub target: &'a str,
    pub ranges: &'a [OffsetRange],
    pub target_topic: Target,
    pub placement: String,
    pub filter: Option<String>,
    /// Offsets still to go, and what an earlier run did.
    pub offsets: i64,
    pub resumed: Option<Resumed>,
    pub state: String,
}

#[derive(Debug, Serialize)]
pub struct Resumed {
    pub copied: u64,
    pub passed: i64,
    pub updated: String,
}

impl Preview<'_> {
    pub fn write(&self, json: bool, execute: bool, out: &mut impl Write) -> Result<()> {
        if json {
            serde_json::to_writer(&mut *out, self)?;
            writeln!(out)?;
            return Ok(());
        }
        writeln!(out, "copy {} → {}", self.source, self.target)?;
        let rows = self
            .ranges
            .iter()
            .map(|r| {
                vec![
                    r.partition.to_string(),
                    r.start.to_string(),
                    r.end.to_string(),
                    count(r.end - r.start),
                ]
            })
            .collect();
        write_table(out, &["PARTITION", "FROM", "UNTIL", "OFFSETS"], rows)?;
        let total = self.ranges.iter().map(|r| r.end - r.start).sum::<i64>();
        writeln!(
            out,
            "{} in all: committed records are copied with their keys, headers and timestamps (transaction markers and aborted records are not)",
            plural(total, "offset")
        )?;
        if let Some(f) = &self.filter {
            writeln!(out, "only records whose key or value matches {f}")?;
        }
        if let Some(r) = &self.resumed {
            writeln!(
                out,
                "resumes a copy stopped at {}: {} copied, {} to go (progress in {})",
                r.updated,
                plural(r.copied as i64, "record"),
                plural(self.offsets, "offset"),
                self.state
            )?;
        }
        match self.target_topic {
            Target::Exists { partitions } => writeln!(
                out,
                "the target has {}",
                plural(partitions as i64, "partition")
            )?,
            Target::Create {
                partitions,
                replication,
            } => writeln!(
                out,
                "the target does not exist: {} creates it with {} and replication {replication}",
                if execute { "the copy" } else { "--execute" },
                plural(partitions, "partition")
            )?,
        }
        writeln!(out, "{}", self.placement)?;
        if !execute {
            writeln!(out, "nothing copied: add --execute to copy")?;
        }
        Ok(())
    }
}

/// Placement for a plan's ranges into a target of `target_partitions`.
pub fn placement(ranges: &[OffsetRange], target_partitions: usize) -> Placement {
    let partitions: Vec<i32> = ranges.iter().map(|r| r.partition).collect();
    Placement::for_target(&partitions, target_partitions)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_copy_stops_within_what_the_partition_holds() {
        let marks = Watermarks { low: 10, high: 50 };
        assert_eq!(until_offset(StartAt::Offset(20), marks), 20);
        assert_eq!(until_offset(StartAt::Offset(90), marks), 50);
        assert_eq!(until_offset(StartAt::Offset(3), marks), 10);
        assert_eq!(until_offset(StartAt::FromEnd(5), marks), 45);
        assert_eq!(until_offset(StartAt::End, marks), 50);
    }

    #[test]
    fn the_preview_says_what_is_copied_and_where() {
        let ranges = [OffsetRange {
            partition: 0,
            start: 0,
            end: 1200,
        }];
        let preview = Preview {
            source: "local/orders",
            target: "backup/orders",
            ranges: &ranges,
            target_topic: Target::Create {
                partitions: 1,
                replication: 1,
            },
            placement: placement(&ranges, 1).describe(),
            filter: Some("/x/".into()),
            offsets: 1200,
            resumed: None,
            state: "s.json".into(),
        };
        let mut out = Vec::new();
        preview.write(false, false, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.contains("0          0     1200   1,200"), "{text}");
        assert!(text.contains("--execute creates it with 1 partition and replication 1"));
        assert!(text.contains("matches /x/"));
        assert!(text.ends_with("nothing copied: add --execute to copy\n"));
    }
}
