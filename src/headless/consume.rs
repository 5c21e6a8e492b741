//! `kview consume`: read a topic to stdout, kcat-style. Keys and values written with a schema
//! registry are decoded to JSON when a registry is configured (or a format asks for it).

use std::borrow::Cow;
use std::collections::HashSet;
use std::io::Write;

use anyhow::Result;

use crate::cli::{ConsumeArgs, Format};
use crate::decode::json::JsonMessage;
use crate::kafka::records::TxnMark;
use crate::kafka::{KafkaClient, Message, reader::Reader};
use crate::schema::{DataFormat, Registry, SchemaReader, Shown};

pub async fn run(
    client: &KafkaClient,
    registry: Option<Registry>,
    args: &ConsumeArgs,
    out: &mut impl Write,
) -> Result<()> {
    let mut reader = Reader::open_isolated(
        client,
        &args.topic,
        args.partition,
        args.offset,
        args.exit_at_end,
        args.isolation.into(),
    )
    .await?;
    let mut schemas = Schemas {
        reader: SchemaReader::new(registry),
        warned: HashSet::new(),
    };
    // Kafka's default subject names, preferred when a schema serves several subjects.
    let (key_subject, value_subject) = (
        format!("{}-key", args.topic),
        format!("{}-value", args.topic),
    );
    let mut remaining = args.count;
    let mut batch = Vec::new();
    while remaining != Some(0) && !reader.is_done() {
        batch.clear();
        reader.next_batch(client, &mut batch).await?;
        for m in &batch {
            if remaining == Some(0) {
                break;
            }
            let key = schemas
                .show(args.key_format, m.key.as_deref(), &key_subject)
                .await;
            let value = schemas
                .show(args.value_format, m.value.as_deref(), &value_subject)
                .await;
            // Raw output has nowhere beside the bytes to say why a value was not decoded, or
            // that a record's transaction was aborted (or is still open): stderr says it.
            if args.format == Format::Raw
                && let Shown::Failed { reason, .. } = &value
            {
                schemas.warn_once(m, reason);
            }
            if args.format == Format::Raw && matches!(m.txn, TxnMark::Aborted | TxnMark::Open) {
                eprintln!(
                    "kview: {}/{} offset {}: from an {} transaction (producer {})",
                    args.topic,
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
                    f.write(out, &args.topic, m, k.as_deref(), v.as_deref())?;
                }
                None => write_message(out, &args.topic, m, args.format, key, value)?,
            }
            if let Some(n) = remaining.as_mut() {
                *n -= 1;
            }
        }
        out.flush()?;
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
    async fn show(&mut self, format: DataFormat, bytes: Option<&[u8]>, subject: &str) -> Shown {
        match bytes {
            Some(bytes) => self.reader.show(format, bytes, subject).await,
            None => Shown::Plain,
        }
    }

    fn warn_once(&mut self, m: &Message, reason: &str) {
        if self.warned.insert(reason.to_owned()) {
            eprintln!(
                "kview: partition {} offset {}: {reason} (shown as bytes)",
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
