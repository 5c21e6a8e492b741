//! `kview consume`: read a topic to stdout, kcat-style.

use std::io::Write;

use anyhow::Result;

use crate::cli::{ConsumeArgs, Format};
use crate::kafka::{KafkaClient, Message, reader::Reader};

use crate::decode::json::JsonMessage;

pub async fn run(client: &KafkaClient, args: &ConsumeArgs, out: &mut impl Write) -> Result<()> {
    let mut reader = Reader::open(
        client,
        &args.topic,
        args.partition,
        args.offset,
        args.exit_at_end,
    )
    .await?;
    let mut remaining = args.count;
    let mut batch = Vec::new();
    while remaining != Some(0) && !reader.is_done() {
        batch.clear();
        reader.next_batch(client, &mut batch).await?;
        for m in &batch {
            if remaining == Some(0) {
                break;
            }
            write_message(out, &args.topic, m, args.format)?;
            if let Some(n) = remaining.as_mut() {
                *n -= 1;
            }
        }
        out.flush()?;
    }
    Ok(())
}

fn write_message(out: &mut impl Write, topic: &str, m: &Message, format: Format) -> Result<()> {
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
