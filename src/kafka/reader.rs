//! Reading a topic from chosen start positions: shared by `kview consume` and the dashboard's
//! message browser.

use std::time::Duration;

use super::client::{FetchPosition, KafkaClient};
use super::error::{KafkaError, Result};
use super::pool::FetchLane;
use std::collections::VecDeque;

use super::records::{Isolation, Marker, Message, TxnMark};
use super::retry::{Pauses, RetryPolicy};
use super::types::{StartAt, Watermarks};

/// Bytes asked per partition per fetch: large enough to stream, small enough to bound memory.
const PARTITION_FETCH_BYTES: i32 = 4 * 1024 * 1024;
/// Fetches that failed for reasons that pass (leader moved, broker restarting) in a row before
/// the reader gives up: about 35 s of pauses, beyond the 9 s a KRaft controller takes to fence a
/// broker that stopped and elect new leaders.
const TRANSIENT_RETRIES: usize = 20;

/// Resolves a start position against a partition's watermarks (timestamps excepted: the broker
/// resolves those).
pub fn start_offset(start: StartAt, marks: Watermarks) -> std::result::Result<i64, String> {
    match start {
        StartAt::Beginning => Ok(marks.low),
        StartAt::End => Ok(marks.high),
        StartAt::FromEnd(n) => Ok((marks.high - n).max(marks.low)),
        StartAt::Offset(o) if (marks.low..=marks.high).contains(&o) => Ok(o),
        StartAt::Offset(o) => Err(format!("offset {o} is out of range ({})", holds(marks))),
        StartAt::Timestamp(_) => Err("a timestamp needs the broker to resolve it".into()),
    }
}

/// What a partition holds, as people read ranges: "the partition holds offsets 0–7, next 8"
/// (both ends included), or "the partition is empty, next offset 8".
pub fn holds(marks: Watermarks) -> String {
    if marks.high > marks.low {
        format!(
            "the partition holds offsets {}–{}, next {}",
            marks.low,
            marks.high - 1,
            marks.high
        )
    } else {
        format!("the partition is empty, next offset {}", marks.high)
    }
}

#[derive(Debug, Clone)]
struct Cursor {
    position: FetchPosition,
    start: i64,
    /// The latest end seen: the high watermark, or read committed, the last stable offset.
    end: i64,
    done: bool,
    /// Offsets from here on are not read (a copy's planned end); i64::MAX when unbounded.
    limit: i64,
    /// Read uncommitted: records from the first one of a transaction not yet ended on, held
    /// until its marker says how it ended (or the reader catches up), so they come out in
    /// offset order with their mark.
    held: VecDeque<Message>,
}

/// Records a read-uncommitted reader holds back for one partition at most; past it they go out
/// marked open (a transaction left open for hours must not fill the memory).
const HELD_MAX: usize = 20_000;

impl Cursor {
    /// Read uncommitted: takes a fetch's records and markers, marks what the markers settle,
    /// and moves to `out` what can go, in offset order; at the end of the log everything goes.
    fn settle(
        &mut self,
        records: Vec<Message>,
        markers: &[Marker],
        caught_up: bool,
        out: &mut Vec<Message>,
    ) {
        self.held.extend(records);
        for marker in markers {
            for m in self.held.iter_mut().filter(|m| {
                m.txn == TxnMark::Open
                    && m.producer_id == marker.producer_id
                    && m.offset < marker.offset
            }) {
                m.txn = if marker.commit {
                    TxnMark::Committed
                } else {
                    TxnMark::Aborted
                };
            }
        }
        while let Some(front) = self.held.front() {
            let waiting = front.txn == TxnMark::Open && !caught_up && self.held.len() <= HELD_MAX;
            if waiting {
                break;
            }
            out.extend(self.held.pop_front());
        }
    }
}

/// Offsets `start..end` of one partition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct OffsetRange {
    pub partition: i32,
    pub start: i64,
    pub end: i64,
}

/// Progress of a reader through the partitions it reads.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Progress {
    /// Offsets passed since the start positions.
    pub read: i64,
    /// Offsets between the start positions and the latest high watermarks.
    pub total: i64,
}

#[derive(Debug)]
pub struct Reader {
    cursors: Vec<Cursor>,
    stop_at_end: bool,
    /// Pauses after transient failures in a row; reset by a fetch that works.
    retries: Option<Pauses>,
    max_wait: Duration,
    partition_bytes: i32,
    /// This reader's own connections: its long polls hold up no one else's fetches.
    lane: FetchLane,
    /// Fetches so far: each starts its list at the next partition, so a response cut at its
    /// size limit does not leave the same partitions out every time.
    fetches: usize,
    /// Bytes of the largest record batch any partition has answered with.
    largest_batch: usize,
    isolation: Isolation,
}

impl Reader {
    /// Positions a reader on one partition or all; with `stop_at_end` it is done once every
    /// partition has reached its end. It reads committed records only, as Kafka's Java
    /// consumer does with transactions (see [`Reader::isolation`]).
    pub async fn open(
        client: &KafkaClient,
        topic: &str,
        partition: Option<i32>,
        start: StartAt,
        stop_at_end: bool,
    ) -> Result<Self> {
        Self::open_each(client, topic, partition, |_| start, stop_at_end).await
    }

    /// Like [`Reader::open`], reading as `isolation` says.
    pub async fn open_isolated(
        client: &KafkaClient,
        topic: &str,
        partition: Option<i32>,
        start: StartAt,
        stop_at_end: bool,
        isolation: Isolation,
    ) -> Result<Self> {
        Self::open_with(client, topic, partition, &|_| start, stop_at_end, isolation).await
    }

    /// Like `open`, with a start position per partition (a consumer resuming from commits).
    pub async fn open_each(
        client: &KafkaClient,
        topic: &str,
        partition: Option<i32>,
        start_for: impl Fn(i32) -> StartAt + Sync,
        stop_at_end: bool,
    ) -> Result<Self> {
        Self::open_with(
            client,
            topic,
            partition,
            &start_for,
            stop_at_end,
            Isolation::ReadCommitted,
        )
        .await
    }

    async fn open_with(
        client: &KafkaClient,
        topic: &str,
        partition: Option<i32>,
        start_for: &(dyn Fn(i32) -> StartAt + Sync),
        stop_at_end: bool,
        isolation: Isolation,
    ) -> Result<Self> {
        let info = client.topic(topic).await?;
        let partitions: Vec<i32> = match partition {
            Some(p) => vec![info.partition(p)?.id],
            None => info.partitions.iter().map(|p| p.id).collect(),
        };
        Self::open_partitions(
            client,
            &info.name,
            &partitions,
            start_for,
            stop_at_end,
            isolation,
        )
        .await
    }

    /// Reads these partitions of a topic, each from where `start_for` says (a group member's
    /// assignment, from its committed offsets).
    pub async fn open_partitions(
        client: &KafkaClient,
        topic: &str,
        partitions: &[i32],
        start_for: &(dyn Fn(i32) -> StartAt + Sync),
        stop_at_end: bool,
        isolation: Isolation,
    ) -> Result<Self> {
        let info = client.topic(topic).await?;
        let keys: Vec<(String, i32)> = partitions.iter().map(|p| (info.name.clone(), *p)).collect();
        let marks = client.watermarks(&keys).await;
        // Read committed, the log ends for this reader at the last stable offset: what is above
        // it belongs to transactions not yet ended, which it may see once they commit.
        let stable = match isolation {
            Isolation::ReadCommitted => client.stable_offsets(&keys).await,
            Isolation::ReadUncommitted => keys.iter().map(|_| Ok(i64::MAX)).collect(),
        };
        let mut cursors = Vec::with_capacity(partitions.len());
        for ((&partition, marks), stable) in partitions.iter().zip(marks).zip(stable) {
            let mut marks = marks?;
            marks.high = marks.high.min(stable?);
            let offset = match start_for(partition) {
                StartAt::Timestamp(ms) => client.offset_for_time(&info.name, partition, ms).await?,
                start => start_offset(start, marks)
                    .map_err(|e| KafkaError::Client(format!("{}/{partition}: {e}", info.name)))?,
            };
            cursors.push(Cursor {
                position: FetchPosition {
                    topic: info.name.clone(),
                    partition,
                    offset,
                },
                start: offset,
                end: marks.high,
                done: stop_at_end && offset >= marks.high,
                limit: i64::MAX,
                held: VecDeque::new(),
            });
        }
        Ok(Reader {
            cursors,
            stop_at_end,
            retries: None,
            max_wait: Duration::from_millis(500),
            partition_bytes: PARTITION_FETCH_BYTES,
            lane: client.fetch_lane(),
            fetches: 0,
            largest_batch: 0,
            isolation,
        })
    }

    /// Reads committed records of each range `[start, end)` and is done at their ends.
    pub fn open_ranges(client: &KafkaClient, topic: &str, ranges: &[OffsetRange]) -> Self {
        let cursors = ranges
            .iter()
            .map(|r| Cursor {
                position: FetchPosition {
                    topic: topic.to_owned(),
                    partition: r.partition,
                    offset: r.start,
                },
                start: r.start,
                end: r.end,
                done: r.start >= r.end,
                limit: r.end,
                held: VecDeque::new(),
            })
            .collect();
        Reader {
            cursors,
            stop_at_end: true,
            retries: None,
            max_wait: Duration::from_millis(500),
            partition_bytes: PARTITION_FETCH_BYTES,
            lane: client.fetch_lane(),
            fetches: 0,
            largest_batch: 0,
            isolation: Isolation::ReadCommitted,
        }
    }

    /// Where each partition's next read starts (never past its range's end).
    pub fn positions(&self) -> Vec<(i32, i64)> {
        self.cursors
            .iter()
            .map(|c| (c.position.partition, c.position.offset.min(c.limit)))
            .collect()
    }

    pub fn isolation(&self) -> Isolation {
        self.isolation
    }

    /// Asks for about `total` bytes a fetch, shared between the partitions (at least 16 KiB
    /// each; the broker still sends a first batch larger than that). A live tail shows a few
    /// thousand records, so decoding megabytes a partition per fetch would be work thrown away.
    pub fn fetch_bytes_in_all(&mut self, total: usize) {
        self.fetch_bytes_each(total / self.cursors.len().max(1));
    }

    /// Asks for about `bytes` of each partition a fetch (16 KiB to 4 MiB), never less than the
    /// largest batch seen: the broker cuts a batch larger than a partition's share unless that
    /// partition comes first in the answer, and a cut batch is no records at all.
    pub fn fetch_bytes_each(&mut self, bytes: usize) {
        self.partition_bytes = bytes
            .clamp(16 * 1024, PARTITION_FETCH_BYTES as usize)
            .max(self.largest_batch)
            .min(i32::MAX as usize) as i32;
    }

    /// Partitions this reader reads.
    pub fn partitions(&self) -> usize {
        self.cursors.len()
    }

    /// Jumps every partition that is more than `max_behind` offsets behind its latest high
    /// watermark to `max_behind` before it; returns how many offsets were skipped. A live tail
    /// of a firehose shows the newest records instead of decoding everything it fell behind on.
    pub fn skip_ahead(&mut self, max_behind: i64) -> u64 {
        let mut skipped = 0;
        for c in self.cursors.iter_mut().filter(|c| !c.done) {
            let behind = c.end - c.position.offset;
            if behind > max_behind {
                c.position.offset = c.end - max_behind;
                skipped += (behind - max_behind) as u64;
            }
        }
        skipped
    }

    /// Asks where each partition ends now (one ListOffsets per leader), then `skip_ahead`: a
    /// live tail's next fetch starts at the newest records, not where the last one left off
    /// (by then thousands of offsets behind, decoded only to be passed over). Where the
    /// brokers do not answer, the ends last seen stand.
    pub async fn skip_to_latest(&mut self, client: &KafkaClient, max_behind: i64) -> u64 {
        let open: Vec<usize> = (0..self.cursors.len())
            .filter(|&i| !self.cursors[i].done)
            .collect();
        let asks: Vec<(&str, i32)> = open
            .iter()
            .map(|&i| {
                let p = &self.cursors[i].position;
                (p.topic.as_str(), p.partition)
            })
            .collect();
        let ends = match self.isolation {
            Isolation::ReadCommitted => client.stable_offsets(&asks).await,
            Isolation::ReadUncommitted => client.high_watermarks(&asks).await,
        };
        for (i, end) in open.into_iter().zip(ends) {
            if let Ok(end) = end {
                let c = &mut self.cursors[i];
                c.end = c.end.max(end).min(c.limit);
            }
        }
        self.skip_ahead(max_behind)
    }

    pub fn is_done(&self) -> bool {
        self.cursors.iter().all(|c| c.done)
    }

    pub fn progress(&self) -> Progress {
        self.cursors
            .iter()
            .fold(Progress::default(), |p, c| Progress {
                read: p.read + (c.position.offset - c.start).max(0),
                total: p.total + (c.end.max(c.position.offset) - c.start).max(0),
            })
    }

    /// Fetches once from every partition not done, appending what arrived to `out`. Waits up to
    /// half a second when there is nothing new.
    pub async fn next_batch(&mut self, client: &KafkaClient, out: &mut Vec<Message>) -> Result<()> {
        self.fetch_once(client, |_, records| out.append(records))
            .await
    }

    /// As `next_batch`, for a reader of several topics: each partition's records with their
    /// topic (partitions with none left out).
    pub async fn next_batch_by_topic(
        &mut self,
        client: &KafkaClient,
        out: &mut Vec<(String, Vec<Message>)>,
    ) -> Result<()> {
        self.fetch_once(client, |topic, records| {
            if !records.is_empty() {
                out.push((topic.to_owned(), std::mem::take(records)));
            }
        })
        .await
    }

    /// Takes in the partitions of `other` (of the same or another topic) as they stand.
    pub fn merge(&mut self, other: Reader) {
        self.cursors.extend(other.cursors);
    }

    async fn fetch_once(
        &mut self,
        client: &KafkaClient,
        mut emit: impl FnMut(&str, &mut Vec<Message>),
    ) -> Result<()> {
        let mut wanted: Vec<FetchPosition> = self
            .cursors
            .iter()
            .filter(|c| !c.done)
            .map(|c| c.position.clone())
            .collect();
        if wanted.is_empty() {
            return Ok(());
        }
        let first = self.fetches % wanted.len();
        wanted.rotate_left(first);
        self.fetches += 1;
        let results = match client
            .fetch(
                &self.lane,
                &wanted,
                self.max_wait,
                self.partition_bytes,
                self.isolation,
            )
            .await
        {
            Ok(r) => r,
            Err(e) if is_transient(&e) => return self.pause_after(e).await,
            Err(e) => return Err(e),
        };
        let mut failure = None;
        let mut settled = Vec::new();
        for mut result in results {
            let Some(cursor) = self.cursors.iter_mut().find(|c| {
                c.position.partition == result.partition && c.position.topic == result.topic
            }) else {
                continue;
            };
            if let Some(error) = result.error.take() {
                failure = Some(error);
                continue;
            }
            // Read committed, the end is the last stable offset (when the broker says it).
            let end = match self.isolation {
                Isolation::ReadCommitted if result.last_stable_offset >= 0 => {
                    result.last_stable_offset
                }
                _ => result.high_watermark,
            };
            if result.largest_batch > self.largest_batch {
                self.largest_batch = result.largest_batch;
                self.partition_bytes = self
                    .partition_bytes
                    .max(result.largest_batch.min(i32::MAX as usize) as i32);
            }
            cursor.position.offset = result.next_offset;
            cursor.end = cursor.end.max(end).min(cursor.limit);
            let caught_up = result.next_offset >= end.min(cursor.limit);
            let limit = cursor.limit;
            result.messages.retain(|m| m.offset < limit);
            match self.isolation {
                Isolation::ReadCommitted => emit(&cursor.position.topic, &mut result.messages),
                Isolation::ReadUncommitted => {
                    let records = std::mem::take(&mut result.messages);
                    cursor.settle(records, &result.markers, caught_up, &mut settled);
                    emit(&cursor.position.topic, &mut settled);
                    settled.clear();
                }
            }
            if self.stop_at_end && caught_up {
                cursor.done = true;
            }
        }
        match failure {
            Some(e) if is_transient(&e) => self.pause_after(e).await,
            Some(e) => Err(e),
            None => {
                self.retries = None;
                Ok(())
            }
        }
    }

    async fn pause_after(&mut self, e: KafkaError) -> Result<()> {
        let pauses = self
            .retries
            .get_or_insert_with(|| RetryPolicy::transient(TRANSIENT_RETRIES).pauses());
        let Some(pause) = pauses.next_pause() else {
            return Err(e);
        };
        tracing::warn!("fetch will be retried: {e}");
        tokio::time::sleep(pause).await;
        Ok(())
    }
}

/// Leadership moves and brokers restarting: worth another fetch after a pause.
fn is_transient(e: &KafkaError) -> bool {
    matches!(e.broker_code(), Some(3 | 5 | 6 | 7 | 74 | 76)) || e.is_transport()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tail_that_falls_too_far_behind_jumps_to_the_newest_records() {
        let cursor = |partition, offset, end| Cursor {
            position: FetchPosition {
                topic: "t".into(),
                partition,
                offset,
            },
            start: 0,
            end,
            done: false,
            limit: i64::MAX,
            held: VecDeque::new(),
        };
        let mut reader = Reader {
            cursors: vec![cursor(0, 100, 10_100), cursor(1, 50, 60)],
            stop_at_end: false,
            retries: None,
            max_wait: Duration::from_millis(500),
            partition_bytes: PARTITION_FETCH_BYTES,
            lane: crate::kafka::pool::Pool::new(Default::default()).fetch_lane(),
            fetches: 0,
            largest_batch: 0,
            isolation: Isolation::ReadCommitted,
        };
        assert_eq!(reader.skip_ahead(5_000), 5_000);
        assert_eq!(reader.cursors[0].position.offset, 5_100);
        assert_eq!(
            reader.cursors[1].position.offset, 50,
            "close enough: untouched"
        );
        assert_eq!(reader.skip_ahead(5_000), 0);

        // A tail's small share never falls below a batch the broker has answered with: a
        // partition asked for less gets a cut batch, which is nothing.
        reader.fetch_bytes_each(1_000);
        assert_eq!(reader.partition_bytes, 16 * 1024);
        reader.largest_batch = 190_000;
        reader.fetch_bytes_each(40_000);
        assert_eq!(reader.partition_bytes, 190_000);
        reader.fetch_bytes_each(300_000);
        assert_eq!(reader.partition_bytes, 300_000);
    }

    fn record(offset: i64, producer_id: i64, txn: TxnMark) -> Message {
        Message {
            partition: 0,
            offset,
            timestamp_ms: 0,
            timestamp_type: crate::kafka::TimestampType::CreateTime,
            key: None,
            value: None,
            headers: Vec::new(),
            producer_id,
            txn,
        }
    }

    fn empty_cursor() -> Cursor {
        Cursor {
            position: FetchPosition {
                topic: "t".into(),
                partition: 0,
                offset: 0,
            },
            start: 0,
            end: 0,
            done: false,
            limit: i64::MAX,
            held: VecDeque::new(),
        }
    }

    #[test]
    fn read_uncommitted_marks_records_by_how_their_transaction_ended_in_offset_order() {
        let mut cursor = empty_cursor();
        let mut out = Vec::new();
        // Producer 1's transaction is open; producer 2's record behind it waits with it.
        cursor.settle(
            vec![
                record(0, 1, TxnMark::Open),
                record(1, 1, TxnMark::Open),
                record(2, -1, TxnMark::None),
            ],
            &[],
            false,
            &mut out,
        );
        assert!(out.is_empty(), "held until producer 1's marker");
        let markers = [Marker {
            producer_id: 1,
            offset: 3,
            commit: false,
        }];
        cursor.settle(vec![record(4, 2, TxnMark::Open)], &markers, false, &mut out);
        assert_eq!(
            out.iter().map(|m| (m.offset, m.txn)).collect::<Vec<_>>(),
            [
                (0, TxnMark::Aborted),
                (1, TxnMark::Aborted),
                (2, TxnMark::None)
            ],
            "never silently mixed in: the aborted ones say so"
        );
        // At the end of the log, what is still open goes out as open.
        cursor.settle(Vec::new(), &[], true, &mut out);
        assert_eq!(
            out.last().map(|m| (m.offset, m.txn)),
            Some((4, TxnMark::Open))
        );
        assert!(cursor.held.is_empty());
    }

    #[test]
    fn resolves_start_positions_within_watermarks() {
        let marks = Watermarks { low: 10, high: 50 };
        assert_eq!(start_offset(StartAt::Beginning, marks), Ok(10));
        assert_eq!(start_offset(StartAt::End, marks), Ok(50));
        assert_eq!(start_offset(StartAt::FromEnd(5), marks), Ok(45));
        assert_eq!(start_offset(StartAt::FromEnd(500), marks), Ok(10));
        assert_eq!(start_offset(StartAt::Offset(50), marks), Ok(50));
        let err = start_offset(StartAt::Offset(9), marks).unwrap_err();
        assert_eq!(
            err,
            "offset 9 is out of range (the partition holds offsets 10–49, next 50)"
        );
        let empty = Watermarks { low: 8, high: 8 };
        assert_eq!(
            start_offset(StartAt::Offset(3), empty).unwrap_err(),
            "offset 3 is out of range (the partition is empty, next offset 8)"
        );
        assert!(start_offset(StartAt::Offset(51), marks).is_err());
    }
}
