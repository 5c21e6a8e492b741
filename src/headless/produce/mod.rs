//! `kview produce`: write messages from arguments or stdin lines — a value a line (`-K` splits
//! a key off), or, with `--format json`, a record a line in `kview consume --format json`'s
//! shape. Batches go when full or a linger after their first record, whichever comes first.

mod input;
mod schemas;

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::time::Duration;

use anyhow::{Result, bail};
use bytes::Bytes;
use tokio::time::Instant;

use crate::cli::{Format, ProduceArgs};
use crate::decode::json_in::{Side, parse_record};
use crate::kafka::partitioner::Partitioner;
use crate::kafka::{Compression, Header, KafkaClient, ProduceRecord};
use crate::schema::Registry;
use input::{read_lines, split_key};
use schemas::{Encoders, encode_json, encode_value};

/// Records gathered before a write at most; bounds memory when stdin is long.
const BATCH_RECORDS: usize = 50_000;
const BATCH_BYTES: usize = 16 * 1024 * 1024;

/// Parses `-H` flags in order (`name=value`, or `name` alone for a null value).
pub fn parse_headers(flags: &[String]) -> Result<Vec<Header>, String> {
    flags.iter().map(|f| Header::parse(f)).collect()
}

struct Pending {
    partition: i32,
    record: ProduceRecord,
}

/// Turns input lines into records for one topic.
struct Maker<'a> {
    args: &'a ProduceArgs,
    headers: Vec<Header>,
    fixed_key: Option<Bytes>,
    partitioner: Partitioner,
    partition_count: usize,
    encoders: Encoders,
    line_number: u64,
}

impl Maker<'_> {
    /// One line as a record; lines read together are stamped with the same time (to the
    /// millisecond, as Kafka keeps it): asking the clock per line was a tenth of the work.
    /// Raw lines take the synchronous path: an `await` per line moved a large future each
    /// time, a quarter of a produce.
    async fn make(&mut self, line: Bytes, now_ms: i64) -> Result<Pending> {
        match self.args.format {
            Format::Raw => self.make_raw(line, now_ms),
            Format::Json => self.make_json(line, now_ms).await,
        }
    }

    fn make_raw(&mut self, line: Bytes, now_ms: i64) -> Result<Pending> {
        self.line_number += 1;
        let line_number = self.line_number;
        let at = |e: String| anyhow::anyhow!("line {line_number}: {e}");
        let args = self.args;
        let (key, value) = match (&args.key_delimiter, &self.fixed_key) {
            (Some(delim), _) => split_key(line, delim.as_bytes()),
            (None, key) => (key.clone(), line),
        };
        let value = match &self.encoders.value {
            Some(schema) => encode_json(schema, &value, args.value_message.as_deref())
                .map(Bytes::from)
                .map_err(|e| at(format!("value: {e}")))?,
            None => value,
        };
        let key = match (&self.encoders.key, key) {
            (Some(schema), Some(k)) => Some(Bytes::from(
                encode_json(schema, &k, None).map_err(|e| at(format!("key: {e}")))?,
            )),
            (_, key) => key,
        };
        let record = ProduceRecord {
            key,
            value: Some(value),
            headers: self.headers.clone(),
            timestamp_ms: now_ms,
        };
        self.place(record, None).map_err(at)
    }

    async fn make_json(&mut self, line: Bytes, now_ms: i64) -> Result<Pending> {
        self.line_number += 1;
        let line_number = self.line_number;
        let at = |e: String| anyhow::anyhow!("line {line_number}: {e}");
        let args = self.args;
        let r = parse_record(&line).map_err(at)?;
        let key = self
            .side(r.key)
            .await
            .map_err(|e| at(format!("key: {e}")))?;
        let value = self
            .side(r.value)
            .await
            .map_err(|e| at(format!("value: {e}")))?;
        let mut headers = r.headers;
        headers.extend(self.headers.iter().cloned());
        let timestamp_ms = match (args.new_timestamps, r.timestamp_ms) {
            (false, Some(ms)) => ms,
            _ => now_ms,
        };
        let partition = r.partition.filter(|_| args.keep_partitions);
        let record = ProduceRecord {
            key,
            value,
            headers,
            timestamp_ms,
        };
        self.place(record, partition).map_err(at)
    }

    /// The partition a record goes to: `-p`, the one it came from, else by key.
    fn place(&mut self, record: ProduceRecord, kept: Option<i32>) -> Result<Pending, String> {
        let partition = match self.args.partition.or(kept) {
            Some(p) if p >= 0 && (p as usize) < self.partition_count => p,
            Some(p) => {
                return Err(format!(
                    "partition {p} is not one of the topic's {}",
                    self.partition_count
                ));
            }
            None => self
                .partitioner
                .partition(record.key.as_deref(), self.partition_count),
        };
        Ok(Pending { partition, record })
    }

    /// A key or value of a JSON line: its bytes, or data encoded again with its schema.
    async fn side(&mut self, side: Side) -> Result<Option<Bytes>, String> {
        match side {
            Side::Bytes(b) => Ok(b),
            Side::Data {
                json,
                schema_id,
                message,
            } => {
                let schema = self
                    .encoders
                    .by_id(schema_id)
                    .await
                    .map_err(|e| e.to_string())?;
                encode_value(&schema, &json, message.as_deref()).map(|b| Some(Bytes::from(b)))
            }
        }
    }
}

/// Records waiting to go: sent when full, or a linger after the first arrived.
struct Batch {
    pending: Vec<Pending>,
    bytes: usize,
    since: Option<Instant>,
}

impl Batch {
    fn push(&mut self, p: Pending) {
        self.bytes += p.record.payload_size();
        self.pending.push(p);
        self.since.get_or_insert_with(Instant::now);
    }

    fn full(&self) -> bool {
        self.pending.len() >= BATCH_RECORDS || self.bytes >= BATCH_BYTES
    }
}

pub async fn run(
    client: &KafkaClient,
    registry: Option<Registry>,
    args: &ProduceArgs,
    stdin: impl Read + Send + 'static,
    out: &mut impl Write,
) -> Result<()> {
    let headers = parse_headers(&args.headers).map_err(anyhow::Error::msg)?;
    if args.format == Format::Json && (args.key.is_some() || args.key_delimiter.is_some()) {
        bail!("with --format json each line gives its own key: -k and -K do not apply");
    }
    let topic = client.topic(&args.topic).await?;
    if let Some(p) = args.partition {
        topic.partition(p)?;
    }
    let mut maker = Maker {
        args,
        headers,
        fixed_key: args
            .key
            .as_ref()
            .map(|k| Bytes::from(k.clone().into_bytes())),
        partitioner: Partitioner::default(),
        partition_count: topic.partitions.len(),
        encoders: Encoders::load(registry, args).await?,
        line_number: 0,
    };
    let linger = Duration::from_millis(args.linger_ms);
    // Batches are made while the one before is acknowledged: one waits at most, so memory
    // stays at a few batches, and the broker writes while kview encodes.
    let (batches, mut to_send) = tokio::sync::mpsc::channel::<Vec<Pending>>(1);
    let sender = async {
        let mut written = 0u64;
        while let Some(mut pending) = to_send.recv().await {
            written += flush(client, &topic.name, &mut pending, args, written, out).await?;
        }
        anyhow::Ok(written)
    };
    let making = async move {
        // Owned here, so the sender ends once what was made is sent.
        let batches = batches;
        let mut batch = Batch {
            pending: Vec::new(),
            bytes: 0,
            since: None,
        };
        // False when the sender has stopped (it failed, and says why).
        let send = async |batch: &mut Batch| -> bool {
            batch.since = None;
            batch.bytes = 0;
            batches
                .send(std::mem::take(&mut batch.pending))
                .await
                .is_ok()
        };
        if args.values.is_empty() {
            // A thread reads stdin while batches are sent, handing over lines as it reads
            // them; the small bounded channel keeps memory to a few batches however long the
            // input is.
            let (tx, mut rx) = tokio::sync::mpsc::channel::<std::io::Result<Vec<Bytes>>>(4);
            let reader = std::thread::spawn(move || read_lines(stdin, BATCH_RECORDS, &tx));
            loop {
                let lines = match batch.since {
                    None => rx.recv().await,
                    Some(since) => match tokio::time::timeout_at(since + linger, rx.recv()).await {
                        Ok(lines) => lines,
                        // The linger is over: what waits goes now.
                        Err(_) => {
                            if !send(&mut batch).await {
                                return Ok(());
                            }
                            continue;
                        }
                    },
                };
                let Some(lines) = lines else { break };
                let now = chrono::Utc::now().timestamp_millis();
                for line in lines? {
                    let pending = match args.format {
                        Format::Raw => maker.make_raw(line, now),
                        Format::Json => maker.make_json(line, now).await,
                    }?;
                    batch.push(pending);
                    if batch.full() && !send(&mut batch).await {
                        return Ok(());
                    }
                }
            }
            drop(rx);
            let _ = reader.join();
        } else {
            let now = chrono::Utc::now().timestamp_millis();
            for v in &args.values {
                batch.push(maker.make(Bytes::from(v.clone().into_bytes()), now).await?);
            }
        }
        send(&mut batch).await;
        anyhow::Ok(())
    };
    let (made, sent) = tokio::join!(making, sender);
    // A failed send says why first; a bad line counts what went before it.
    let written = sent?;
    made.map_err(|e| unsent(e, written))?;
    if written == 0 {
        bail!("nothing to write: give values as arguments or lines on stdin");
    }
    Ok(())
}

/// A line that cannot be encoded stops the batch it is in before it is sent.
fn unsent(e: anyhow::Error, written: u64) -> anyhow::Error {
    if written == 0 {
        anyhow::anyhow!("{e}; nothing was sent")
    } else {
        anyhow::anyhow!("{e}; the {written} messages before its batch were sent, none after")
    }
}

/// Writes a batch, partitions of one leader sharing requests; prints each acknowledged
/// record's partition and offset in input order. When a partition fails, what the others had
/// acknowledged is still printed, and the error says how many were acknowledged in all
/// (`acknowledged_before` from earlier batches): nothing is reported written that was not.
async fn flush(
    client: &KafkaClient,
    topic: &str,
    batch: &mut Vec<Pending>,
    args: &ProduceArgs,
    acknowledged_before: u64,
    out: &mut impl Write,
) -> Result<u64> {
    if batch.is_empty() {
        return Ok(0);
    }
    let mut by_partition: BTreeMap<i32, (Vec<usize>, Vec<ProduceRecord>)> = BTreeMap::new();
    for (i, p) in batch.drain(..).enumerate() {
        let entry = by_partition.entry(p.partition).or_default();
        entry.0.push(i);
        entry.1.push(p.record);
    }
    let total: usize = by_partition.values().map(|(idx, _)| idx.len()).sum();
    let mut indexes = BTreeMap::new();
    let parts = by_partition
        .into_iter()
        .map(|(partition, (idx, records))| {
            indexes.insert(partition, idx);
            (partition, records)
        })
        .collect();
    let mut placed: Vec<Option<(i32, i64)>> = vec![None; total];
    let mut failure = None;
    for written in client
        .produce_partitions(topic, parts, Compression::from(args.compression))
        .await
    {
        // Offsets come for the acknowledged prefix of the partition's records.
        let idx = indexes.remove(&written.partition).unwrap_or_default();
        for (i, offset) in idx.into_iter().zip(written.offsets) {
            placed[i] = Some((written.partition, offset));
        }
        if let Some(e) = written.error {
            failure = failure.or(Some(e));
        }
    }
    let acknowledged = placed.iter().flatten().count() as u64;
    if !args.quiet {
        for (partition, offset) in placed.iter().flatten() {
            if args.json {
                serde_json::to_writer(
                    &mut *out,
                    &serde_json::json!({"topic": topic, "partition": partition, "offset": offset}),
                )?;
                writeln!(out)?;
            } else {
                writeln!(out, "{topic}/{partition}@{offset}")?;
            }
        }
        out.flush()?;
    }
    if let Some(e) = failure {
        let before = acknowledged_before + acknowledged;
        let seen = acknowledged_before + total as u64;
        bail!(
            "{before} of {seen} messages acknowledged; the other {} were not: {e}",
            seen - before
        );
    }
    Ok(total as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_keep_their_order_and_nulls() {
        let h = parse_headers(&["a=1".into(), "b=x=y".into(), "c=".into(), "n".into()]).unwrap();
        let names: Vec<&str> = h.iter().filter_map(Header::name_str).collect();
        assert_eq!(names, ["a", "b", "c", "n"]);
        assert_eq!(h[1].value.as_deref(), Some(&b"x=y"[..]));
        assert_eq!(h[2].value.as_deref(), Some(&b""[..]));
        assert_eq!(h[3].value, None);
        assert!(parse_headers(&["=v".into()]).is_err());
    }
}
