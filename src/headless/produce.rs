//! `kview produce`: write messages from arguments or stdin lines.

use std::collections::BTreeMap;
use std::io::{Read, Write};

use anyhow::{Result, bail};
use bytes::{Bytes, BytesMut};

use crate::cli::ProduceArgs;
use crate::kafka::partitioner::Partitioner;
use crate::kafka::{Compression, Header, KafkaClient, ProduceRecord};
use crate::schema::{LoadedSchema, Registry, SchemaChoice};
use std::sync::Arc;

/// Records gathered before a write; bounds memory when stdin is long.
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

pub async fn run(
    client: &KafkaClient,
    registry: Option<Registry>,
    args: &ProduceArgs,
    stdin: impl Read + Send + 'static,
    out: &mut impl Write,
) -> Result<()> {
    let headers = parse_headers(&args.headers).map_err(anyhow::Error::msg)?;
    let topic = client.topic(&args.topic).await?;
    if let Some(p) = args.partition {
        topic.partition(p)?;
    }
    let partitioner = Partitioner::default();
    let partition_count = topic.partitions.len();
    let fixed_key = args
        .key
        .as_ref()
        .map(|k| Bytes::from(k.as_bytes().to_vec()));
    let schema = value_schema(registry, args).await?;
    let mut line_number = 0u64;

    // Lines read together are stamped with the same time (to the millisecond, as Kafka keeps
    // it): asking the clock per line was a tenth of the work.
    let mut make = |line: Bytes, timestamp_ms: i64| -> Result<Pending> {
        line_number += 1;
        let (key, value) = match (&args.key_delimiter, &fixed_key) {
            (Some(delim), _) => split_key(line, delim.as_bytes()),
            (None, key) => (key.clone(), line),
        };
        let value = match &schema {
            Some(schema) => encode_line(schema, &value, args.value_message.as_deref())
                .map(Bytes::from)
                .map_err(|e| anyhow::anyhow!("line {line_number}: {e}"))?,
            None => value,
        };
        let partition = args
            .partition
            .unwrap_or_else(|| partitioner.partition(key.as_deref(), partition_count));
        Ok(Pending {
            partition,
            record: ProduceRecord {
                key,
                value: Some(value),
                headers: headers.clone(),
                timestamp_ms,
            },
        })
    };

    let mut batch: Vec<Pending> = Vec::new();
    let mut written = 0u64;
    if args.values.is_empty() {
        // A thread reads stdin ahead while the previous batch is being sent; the small bounded
        // channel keeps memory to a few batches however long the input is.
        let (tx, mut rx) = tokio::sync::mpsc::channel::<std::io::Result<Vec<Bytes>>>(2);
        let reader = std::thread::spawn(move || read_line_batches(stdin, &tx));
        while let Some(lines) = rx.recv().await {
            let now = chrono::Utc::now().timestamp_millis();
            for line in lines? {
                batch.push(make(line, now).map_err(|e| unsent(e, written))?);
            }
            written += flush(client, &topic.name, &mut batch, args, written, out).await?;
        }
        let _ = reader.join();
    } else {
        let now = chrono::Utc::now().timestamp_millis();
        for v in &args.values {
            batch.push(
                make(Bytes::from(v.as_bytes().to_vec()), now).map_err(|e| unsent(e, written))?,
            );
        }
    }
    written += flush(client, &topic.name, &mut batch, args, written, out).await?;
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

/// The schema values are encoded with: a subject's version, or an id.
async fn value_schema(
    registry: Option<Registry>,
    args: &ProduceArgs,
) -> Result<Option<Arc<LoadedSchema>>> {
    if args.value_subject.is_none() && args.value_schema_id.is_none() {
        if args.value_message.is_some() {
            bail!("--value-message needs --value-subject or --value-schema-id");
        }
        return Ok(None);
    }
    let Some(registry) = registry else {
        bail!(
            "encoding with a schema needs a schema registry (--schema-registry URL, or schema_registry in the profile)"
        );
    };
    let choice = match (&args.value_subject, args.value_schema_id) {
        (Some(name), _) => SchemaChoice::Subject {
            name: name.clone(),
            version: args.value_schema_version,
        },
        (None, Some(id)) => SchemaChoice::Id(id),
        (None, None) => bail!("give --value-subject or --value-schema-id"),
    };
    let loaded =
        tokio::task::spawn_blocking(move || crate::schema::load_choice(&registry, &choice))
            .await?
            .map_err(anyhow::Error::msg)?;
    Ok(Some(Arc::new(loaded)))
}

/// One input line as JSON, encoded in the wire format of `schema`.
fn encode_line(
    schema: &LoadedSchema,
    line: &[u8],
    message: Option<&str>,
) -> Result<Vec<u8>, String> {
    let json: serde_json::Value =
        serde_json::from_slice(line).map_err(|e| format!("not JSON ({e})"))?;
    schema
        .encode(&json, message)
        .map_err(|e| format!("{e} (schema {})", schema.describe("")))
}

/// Bytes read from the input at a time; lines are slices of these blocks, not one allocation
/// each.
const READ_BLOCK: usize = 1 << 20;

/// Reads lines (without their `\n`) in batches bounded by count and bytes, until end of input
/// or until the receiver is gone.
fn read_line_batches(
    mut input: impl Read,
    tx: &tokio::sync::mpsc::Sender<std::io::Result<Vec<Bytes>>>,
) {
    let mut lines = Vec::new();
    let mut bytes = 0;
    // The start of a line the previous block ended in.
    let mut carried = Bytes::new();
    loop {
        let mut block = BytesMut::with_capacity(carried.len() + READ_BLOCK);
        block.extend_from_slice(&carried);
        let carried_len = block.len();
        block.resize(carried_len + READ_BLOCK, 0);
        // A pipe gives 64 KiB a read: the block is filled (or the input ends) before it is cut
        // into lines, so blocks are not mostly empty capacity.
        let mut filled = carried_len;
        while filled < block.len() {
            match input.read(&mut block[filled..]) {
                Ok(0) => break,
                Ok(n) => filled += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => {
                    let _ = tx.blocking_send(Err(e));
                    return;
                }
            }
        }
        let read = filled - carried_len;
        block.truncate(filled);
        let block = block.freeze();
        if read == 0 {
            // End of input: a last line without `\n` is a line too.
            if !block.is_empty() {
                lines.push(block);
            }
            break;
        }
        let mut start = 0;
        for end in memchr::memchr_iter(b'\n', &block) {
            bytes += end - start;
            lines.push(block.slice(start..end));
            start = end + 1;
            if lines.len() >= BATCH_RECORDS || bytes >= BATCH_BYTES {
                if tx.blocking_send(Ok(std::mem::take(&mut lines))).is_err() {
                    return;
                }
                bytes = 0;
            }
        }
        carried = block.slice(start..);
    }
    if !lines.is_empty() {
        let _ = tx.blocking_send(Ok(lines));
    }
}

fn split_key(line: Bytes, delim: &[u8]) -> (Option<Bytes>, Bytes) {
    if delim.is_empty() {
        return (None, line);
    }
    match memchr::memmem::find(&line, delim) {
        Some(i) => (Some(line.slice(..i)), line.slice(i + delim.len()..)),
        None => (None, line),
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

    #[test]
    fn splits_key_at_the_first_delimiter() {
        let b = |s: &'static str| Bytes::from_static(s.as_bytes());
        assert_eq!(split_key(b("k1::v:1"), b"::"), (Some(b("k1")), b("v:1")));
        assert_eq!(split_key(b("novalue"), b":"), (None, b("novalue")));
        assert_eq!(split_key(b(":v"), b":"), (Some(b("")), b("v")));
    }

    #[test]
    fn lines_are_read_whole_across_blocks() {
        // Lines longer than a block, a last line without a newline, and an empty line.
        let long = "x".repeat(READ_BLOCK + 10);
        let input = format!("a\n{long}\n\nlast");
        let (tx, mut rx) = tokio::sync::mpsc::channel(16);
        read_line_batches(std::io::Cursor::new(input.into_bytes()), &tx);
        drop(tx);
        let mut lines = Vec::new();
        while let Ok(batch) = rx.try_recv() {
            lines.extend(batch.unwrap());
        }
        let expected = [
            b"a".to_vec(),
            long.into_bytes(),
            Vec::new(),
            b"last".to_vec(),
        ];
        assert_eq!(
            lines.iter().map(|l| l.to_vec()).collect::<Vec<_>>(),
            expected
        );
    }
}
