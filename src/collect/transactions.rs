//! What holds a partition's last stable offset below its high watermark: the open transactions
//! there, since when, and how many records wait for them. `kview describe` and the dashboard's
//! topic view say it beside the watermarks.

use serde::Serialize;

use crate::kafka::records::Isolation;
use crate::kafka::{FetchPosition, KafkaClient, Result};

/// An open transaction on a partition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OpenTransaction {
    pub producer_id: i64,
    /// The offset of its first record here.
    pub start_offset: i64,
    /// When that record was written (Unix ms), when it could be read.
    pub since_ms: Option<i64>,
}

/// A partition whose last stable offset is below its high watermark, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Unstable {
    pub topic: String,
    pub partition: i32,
    pub last_stable_offset: i64,
    pub high_watermark: i64,
    pub open_transactions: Vec<OpenTransaction>,
}

/// Several partitions' open transactions in one phrase: "2 open transactions since 21:09:44
/// hold 1,204 records"; None when nothing is held back.
pub fn summary(unstable: &[Unstable], offset: Option<chrono::FixedOffset>) -> Option<String> {
    if unstable.is_empty() {
        return None;
    }
    let mut producers: Vec<i64> = unstable
        .iter()
        .flat_map(|u| u.open_transactions.iter().map(|t| t.producer_id))
        .collect();
    producers.sort_unstable();
    producers.dedup();
    let all = Unstable {
        topic: String::new(),
        partition: 0,
        last_stable_offset: 0,
        high_watermark: unstable.iter().map(Unstable::held_back).sum(),
        open_transactions: unstable
            .iter()
            .flat_map(|u| u.open_transactions.iter().cloned())
            .collect(),
    };
    let phrase = all.describe(offset);
    // One transaction a producer, however many partitions it writes.
    Some(
        match producers.len() {
            0 | 1 => phrase,
            n => phrase.replacen(
                &crate::human::plural(all.open_transactions.len() as i64, "open transaction"),
                &format!("{n} open transactions"),
                1,
            ),
        }
        .replace(
            " holds ",
            if producers.len() > 1 {
                " hold "
            } else {
                " holds "
            },
        ),
    )
}

/// [`unstable`] for every partition of one topic.
pub async fn unstable_of_topic(client: &KafkaClient, topic: &str) -> Result<Vec<Unstable>> {
    let info = client.topic(topic).await?;
    let keys: Vec<(String, i32)> = info
        .partitions
        .iter()
        .map(|p| (topic.to_owned(), p.id))
        .collect();
    let highs = client.high_watermarks(&keys).await;
    let mut with_highs = Vec::with_capacity(keys.len());
    for (key, high) in keys.into_iter().zip(highs) {
        with_highs.push((key, high?));
    }
    unstable(client, &with_highs).await
}

impl Unstable {
    /// Records a read-committed consumer cannot read yet.
    pub fn held_back(&self) -> i64 {
        (self.high_watermark - self.last_stable_offset).max(0)
    }

    /// "1 open transaction since 14:02:11 holds 1,200 records".
    pub fn describe(&self, offset: Option<chrono::FixedOffset>) -> String {
        let since = self
            .open_transactions
            .iter()
            .filter_map(|t| t.since_ms)
            .min()
            .map(|ms| {
                let time = crate::human::time(ms, offset);
                let clock = time.split_once(' ').map_or(time.as_str(), |(_, t)| t);
                format!(" since {}", clock.split('.').next().unwrap_or(clock))
            })
            .unwrap_or_default();
        let open = match self.open_transactions.len() {
            0 => "an open transaction".to_owned(),
            n => crate::human::plural(n as i64, "open transaction"),
        };
        format!(
            "{open}{since} holds {}",
            crate::human::plural(self.held_back(), "record")
        )
    }
}

/// The partitions of `partitions` (with their high watermarks) whose last stable offset is
/// below it: one ListOffsets per leader for the stable offsets, then DescribeProducers and a
/// read of each open transaction's first record only where they differ.
pub async fn unstable(
    client: &KafkaClient,
    partitions: &[((String, i32), i64)],
) -> Result<Vec<Unstable>> {
    let keys: Vec<(String, i32)> = partitions.iter().map(|(k, _)| k.clone()).collect();
    let stable = client.stable_offsets(&keys).await;
    let mut out = Vec::new();
    for (((topic, partition), high), stable) in partitions.iter().zip(stable) {
        let stable = stable?;
        if stable < *high {
            out.push(Unstable {
                topic: topic.clone(),
                partition: *partition,
                last_stable_offset: stable,
                high_watermark: *high,
                open_transactions: Vec::new(),
            });
        }
    }
    if out.is_empty() {
        return Ok(out);
    }
    let held: Vec<(String, i32)> = out.iter().map(|u| (u.topic.clone(), u.partition)).collect();
    let producers = client.describe_producers(&held).await?;
    let mut opened: Vec<(usize, OpenTransaction)> = Vec::new();
    for (i, u) in out.iter().enumerate() {
        for p in producers
            .iter()
            .filter(|p| p.topic == u.topic && p.partition == u.partition)
        {
            if let Some(start) = p.open_transaction_from {
                opened.push((
                    i,
                    OpenTransaction {
                        producer_id: p.producer_id,
                        start_offset: start,
                        since_ms: None,
                    },
                ));
            }
        }
    }
    // When each transaction began: its first record, read uncommitted (a committed read
    // cannot see it yet).
    let firsts: Vec<FetchPosition> = opened
        .iter()
        .map(|(i, t)| FetchPosition {
            topic: out[*i].topic.clone(),
            partition: out[*i].partition,
            offset: t.start_offset,
        })
        .collect();
    let since = client
        .timestamps_at(&firsts, Isolation::ReadUncommitted)
        .await;
    for ((i, mut transaction), since_ms) in opened.into_iter().zip(since) {
        transaction.since_ms = since_ms;
        out[i].open_transactions.push(transaction);
    }
    Ok(out)
}
