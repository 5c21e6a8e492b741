//! `kview consume`: read a topic to stdout, kcat-style. Keys and values written with a schema
//! registry are decoded to JSON when a registry is configured (or a format asks for it).

use std::borrow::Cow;
use std::collections::HashSet;
use std::io::Write;

use anyhow::{Result, bail};
use tokio::sync::mpsc;

use crate::cli::{ConsumeArgs, Format};
use crate::decode::json::JsonMessage;
use crate::decode::mask::{Masking, TopicMask};
use crate::kafka::records::TxnMark;
use crate::kafka::{KafkaClient, Message, reader::Reader};
use crate::schema::{DataFormat, Registry, SchemaReader, Shown};

mod group;

/// Bytes a fetch asks for across partitions. Smaller fetches keep the broker busy while kview
/// writes (with 4 MiB a partition, 12 partitions were 48 MiB fetches, 144 MB resident and
/// twice as slow: see BENCHMARKS.md).
pub(super) const FETCH_BYTES: usize = 8 * 1024 * 1024;

pub async fn run(
    client: &KafkaClient,
    registry: Option<Registry>,
    masking: &Masking,
    args: &ConsumeArgs,
    out: &mut impl Write,
) -> Result<()> {
    if let Some(group) = &args.group {
        return group::run(client, registry, masking, args, group, out).await;
    }
    let [topic] = args.topics.as_slice() else {
        bail!("several topics are read with -G GROUP (a group member reads them all)");
    };
    if topic.starts_with('^') {
        bail!("a regex subscription ({topic}) is read with -G GROUP");
    }
    let topic_out = TopicOut::new(topic, masking);
    let mut reader = Reader::open_isolated(
        client,
        topic,
        args.partition,
        args.offset,
        args.exit_at_end,
        args.isolation.into(),
    )
    .await?;
    reader.fetch_bytes_in_all(FETCH_BYTES);
    let mut schemas = Schemas {
        reader: SchemaReader::new(registry),
        warned: HashSet::new(),
    };
    // The next fetch is asked for while this one is written out: the broker reads its log
    // while kview formats, instead of each waiting for the other.
    let (tx, mut rx) = mpsc::channel::<crate::kafka::Result<Vec<Message>>>(2);
    let read = async move {
        while !reader.is_done() {
            let mut batch = Vec::new();
            let fetched = reader.next_batch(client, &mut batch).await.map(|()| batch);
            let failed = fetched.is_err();
            if tx.send(fetched).await.is_err() || failed {
                break;
            }
        }
    };
    let write = async move {
        let mut remaining = args.count;
        while remaining != Some(0)
            && let Some(fetched) = rx.recv().await
        {
            for m in &fetched? {
                if remaining == Some(0) {
                    break;
                }
                if schemas.lacks_any(args, m) {
                    schemas.learn_all(args, m).await;
                }
                write_one(&mut schemas, &topic_out, args, m, out)?;
                if let Some(n) = remaining.as_mut() {
                    *n -= 1;
                }
            }
            out.flush()?;
        }
        anyhow::Ok(())
    };
    // Whoever ends first: the writer when it has all it wants (the reader may be waiting on
    // a long poll that no one needs any more), the reader at the end of the log.
    tokio::pin!(read, write);
    let mut reading = true;
    loop {
        tokio::select! {
            () = &mut read, if reading => reading = false,
            result = &mut write => return result,
        }
    }
}

/// What writing a topic's records needs: its name, what the profile masks in it, and Kafka's
/// default subject names (preferred when a schema serves several subjects).
struct TopicOut {
    topic: String,
    mask: TopicMask,
    key_subject: String,
    value_subject: String,
}

impl TopicOut {
    fn new(topic: &str, masking: &Masking) -> Self {
        TopicOut {
            topic: topic.to_owned(),
            mask: masking.for_topic(topic),
            key_subject: format!("{topic}-key"),
            value_subject: format!("{topic}-value"),
        }
    }
}

/// Writes one record, with the schemas its key and value need already learnt.
fn write_one(
    schemas: &mut Schemas,
    topic_out: &TopicOut,
    args: &ConsumeArgs,
    m: &Message,
    out: &mut impl Write,
) -> Result<()> {
    let TopicOut {
        topic,
        mask,
        key_subject,
        value_subject,
    } = topic_out;
    let mut key = schemas.show(args.key_format, m.key.as_deref(), key_subject);
    let mut value = schemas.show(args.value_format, m.value.as_deref(), value_subject);
    // What the profile masks is masked before anything is written, decoded values included.
    let masked;
    let m = if mask.is_empty() {
        m
    } else {
        let mut copy = m.clone();
        mask.apply(&mut copy, &mut key, &mut value);
        masked = copy;
        &masked
    };
    // Raw output has nowhere beside the bytes to say why a value was not decoded, or
    // that a record's transaction was aborted (or is still open): stderr says it.
    if args.format == Format::Raw
        && let Shown::Failed { reason, .. } = &value
    {
        schemas.warn_once(topic, m, reason);
    }
    if args.format == Format::Raw && matches!(m.txn, TxnMark::Aborted | TxnMark::Open) {
        eprintln!(
            "kview: {}/{} offset {}: from an {} transaction (producer {})",
            topic,
            m.partition,
            m.offset,
            m.txn.label().unwrap_or_default(),
            m.producer_id
        );
    }
    match &args.format_string {
        Some(f) => {
            let k = shown_bytes(&key, m.key.as_deref());
            let v = shown_bytes(&value, m.value.as_deref());
            f.write(out, topic, m, k.as_deref(), v.as_deref())?;
        }
        None => write_message(out, topic, m, args.format, key, value)?,
    }
    Ok(())
}

/// The bytes as stored, or the JSON a schema decoded.
fn shown_bytes<'a>(shown: &Shown, bytes: Option<&'a [u8]>) -> Option<Cow<'a, [u8]>> {
    match shown {
        Shown::Decoded(d) => Some(Cow::Owned(serde_json::to_vec(&d.json).unwrap_or_default())),
        _ => bytes.map(Cow::Borrowed),
    }
}

/// The schemas met so far, and the failures already said on stderr.
struct Schemas {
    reader: SchemaReader,
    warned: HashSet<String>,
}

impl Schemas {
    /// Whether a record's key or value names a schema not known yet: checked without an
    /// `await`, which per record moved a large future each time.
    fn lacks_any(&self, args: &ConsumeArgs, m: &Message) -> bool {
        [(args.key_format, &m.key), (args.value_format, &m.value)]
            .into_iter()
            .any(|(format, bytes)| bytes.as_ref().is_some_and(|b| self.reader.lacks(format, b)))
    }

    async fn learn_all(&mut self, args: &ConsumeArgs, m: &Message) {
        for (format, bytes) in [(args.key_format, &m.key), (args.value_format, &m.value)] {
            if let Some(bytes) = bytes {
                self.reader.learn(format, bytes).await;
            }
        }
    }

    fn show(&self, format: DataFormat, bytes: Option<&[u8]>, subject: &str) -> Shown {
        match bytes {
            Some(bytes) => self.reader.known(format, bytes, subject),
            None => Shown::Plain,
        }
    }

    fn warn_once(&mut self, topic: &str, m: &Message, reason: &str) {
        if self.warned.insert(reason.to_owned()) {
            eprintln!(
                "kview: {topic}/{} offset {}: {reason} (shown as bytes)",
                m.partition, m.offset
            );
        }
    }
}

fn write_message(
    out: &mut impl Write,
    topic: &str,
    m: &Message,
    format: Format,
    key: Shown,
    value: Shown,
) -> Result<()> {
    match format {
        Format::Raw => match value {
            Shown::Decoded(d) => {
                serde_json::to_writer(&mut *out, &d.json)?;
                out.write_all(b"\n")?;
            }
            _ => {
                if let Some(v) = &m.value {
                    out.write_all(v)?;
                }
                out.write_all(b"\n")?;
            }
        },
        Format::Json => {
            serde_json::to_writer(
                &mut *out,
                &JsonMessage::new(topic, m).with_schemas(key, value),
            )?;
            out.write_all(b"\n")?;
        }
    }
    Ok(())
}
