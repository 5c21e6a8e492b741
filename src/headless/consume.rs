//! `kview consume`: read a topic to stdout, kcat-style.

use std::io::Write;
use std::time::Duration;

use anyhow::{Result, bail};

use crate::cli::{ConsumeArgs, Format};
use crate::kafka::{FetchPosition, KafkaClient, KafkaError, StartAt, Watermarks};

use super::json::JsonMessage;

/// Bytes asked per partition per fetch: large enough to stream, small enough to bound memory.
const PARTITION_FETCH_BYTES: i32 = 4 * 1024 * 1024;
const FETCH_WAIT: Duration = Duration::from_millis(500);

/// Resolves a start position against a partition's watermarks.
pub fn start_offset(start: StartAt, marks: Watermarks) -> Result<i64, String> {
    match start {
        StartAt::Beginning => Ok(marks.low),
        StartAt::End => Ok(marks.high),
        StartAt::FromEnd(n) => Ok((marks.high - n).max(marks.low)),
        StartAt::Offset(o) if (marks.low..=marks.high).contains(&o) => Ok(o),
        StartAt::Offset(o) => Err(format!(
            "offset {o} is out of range (the partition holds {}..{})",
            marks.low, marks.high
        )),
        StartAt::Timestamp(_) => unreachable!("timestamps are resolved by the broker"),
    }
}

struct PartitionCursor {
    position: FetchPosition,
    done: bool,
}

pub async fn run(client: &KafkaClient, args: &ConsumeArgs, out: &mut impl Write) -> Result<()> {
    let topic = client.topic(&args.topic).await?;
    let partitions: Vec<i32> = match args.partition {
        Some(p) => vec![topic.partition(p)?.id],
        None => topic.partitions.iter().map(|p| p.id).collect(),
    };
    let keys: Vec<(String, i32)> = partitions
        .iter()
        .map(|p| (topic.name.clone(), *p))
        .collect();
    let marks = client.watermarks(&keys).await;

    let mut cursors = Vec::with_capacity(partitions.len());
    for (&partition, marks) in partitions.iter().zip(marks) {
        let marks = marks?;
        let offset = match args.offset {
            StartAt::Timestamp(ms) => client.offset_for_time(&topic.name, partition, ms).await?,
            start => start_offset(start, marks)
                .map_err(|e| anyhow::anyhow!("{}/{partition}: {e}", topic.name))?,
        };
        cursors.push(PartitionCursor {
            done: args.exit_at_end && offset >= marks.high,
            position: FetchPosition {
                topic: topic.name.clone(),
                partition,
                offset,
            },
        });
    }

    let mut remaining = args.count;
    let mut transient_failures = 0;
    while remaining != Some(0) && cursors.iter().any(|c| !c.done) {
        let wanted: Vec<FetchPosition> = cursors
            .iter()
            .filter(|c| !c.done)
            .map(|c| c.position.clone())
            .collect();
        let results = client
            .fetch(&wanted, FETCH_WAIT, PARTITION_FETCH_BYTES)
            .await?;
        for result in results {
            let Some(cursor) = cursors
                .iter_mut()
                .find(|c| c.position.partition == result.partition)
            else {
                continue;
            };
            if let Some(error) = result.error {
                if is_transient(&error) && transient_failures < 20 {
                    transient_failures += 1;
                    tokio::time::sleep(Duration::from_millis(200)).await;
                    continue;
                }
                bail!(error);
            }
            transient_failures = 0;
            for m in &result.messages {
                if remaining == Some(0) {
                    break;
                }
                write_message(out, &topic.name, m, args.format)?;
                if let Some(n) = remaining.as_mut() {
                    *n -= 1;
                }
            }
            cursor.position.offset = result.next_offset;
            if args.exit_at_end && result.next_offset >= result.high_watermark {
                cursor.done = true;
            }
        }
        out.flush()?;
    }
    out.flush()?;
    Ok(())
}

/// Leadership moves and brokers restarting: worth another fetch after a pause.
fn is_transient(e: &KafkaError) -> bool {
    matches!(e.broker_code(), Some(3 | 5 | 6 | 7 | 74 | 76)) || e.is_transport()
}

fn write_message(
    out: &mut impl Write,
    topic: &str,
    m: &crate::kafka::Message,
    format: Format,
) -> Result<()> {
    match format {
        Format::Raw => {
            if let Some(v) = &m.value {
                out.write_all(v)?;
            }
            out.write_all(b"\n")?;
        }
        Format::Json => {
            serde_json::to_writer(&mut *out, &JsonMessage::new(topic, m))?;
            out.write_all(b"\n")?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_start_positions_within_watermarks() {
        let marks = Watermarks { low: 10, high: 50 };
        assert_eq!(start_offset(StartAt::Beginning, marks), Ok(10));
        assert_eq!(start_offset(StartAt::End, marks), Ok(50));
        assert_eq!(start_offset(StartAt::FromEnd(5), marks), Ok(45));
        assert_eq!(start_offset(StartAt::FromEnd(500), marks), Ok(10));
        assert_eq!(start_offset(StartAt::Offset(50), marks), Ok(50));
        assert!(
            start_offset(StartAt::Offset(9), marks)
                .unwrap_err()
                .contains("out of range")
        );
        assert!(start_offset(StartAt::Offset(51), marks).is_err());
    }
}
