//! `kview transactions`: every transaction with its state, producer, age and partitions;
//! `hanging` (Kafka's `find-hanging`); `abort` (its `abort`).

use std::io::Write;
use std::time::Duration;

use anyhow::{Result, bail};
use serde::Serialize;

use super::table::write_table;
use crate::human::duration;
use crate::kafka::{KafkaClient, ProducerState, TransactionDescription};

#[derive(Debug, Serialize)]
struct Row {
    transactional_id: String,
    state: String,
    producer_id: i64,
    producer_epoch: Option<i16>,
    /// How long the ongoing transaction has been open, in milliseconds.
    open_ms: Option<i64>,
    timeout_ms: Option<i32>,
    partitions: Vec<String>,
    coordinator: i32,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

pub async fn list(client: &KafkaClient, json: bool, out: &mut impl Write) -> Result<()> {
    let listed = client.list_transactions().await?;
    let ids: Vec<String> = listed.iter().map(|l| l.transactional_id.clone()).collect();
    let described = client.describe_transactions(&ids).await;
    let now = chrono::Utc::now().timestamp_millis();
    let rows: Vec<Row> = listed
        .into_iter()
        .zip(described)
        .map(|(l, d)| {
            let (d, error): (Option<TransactionDescription>, _) = match d {
                Ok(d) => (Some(d), None),
                Err(e) => (None, Some(e.to_string())),
            };
            Row {
                state: d.as_ref().map_or(l.state.clone(), |d| d.state.clone()),
                producer_epoch: d.as_ref().map(|d| d.producer_epoch),
                // Only a transaction under way is open; a finished one keeps its old start.
                open_ms: d
                    .as_ref()
                    .filter(|d| d.is_open())
                    .and_then(|d| d.started_ms)
                    .map(|s| (now - s).max(0)),
                timeout_ms: d.as_ref().map(|d| d.timeout_ms),
                partitions: d
                    .map(|d| {
                        d.partitions
                            .iter()
                            .map(|(t, p)| format!("{t}/{p}"))
                            .collect()
                    })
                    .unwrap_or_default(),
                transactional_id: l.transactional_id,
                producer_id: l.producer_id,
                coordinator: l.coordinator,
                error,
            }
        })
        .collect();
    if json {
        serde_json::to_writer_pretty(&mut *out, &rows)?;
        writeln!(out)?;
        return Ok(());
    }
    if rows.is_empty() {
        writeln!(out, "no transactional producers")?;
        return Ok(());
    }
    let table = rows
        .iter()
        .map(|r| {
            vec![
                r.transactional_id.clone(),
                r.state.clone(),
                match r.producer_epoch {
                    Some(e) => format!("{}/{e}", r.producer_id),
                    None => r.producer_id.to_string(),
                },
                r.open_ms.map_or_else(|| "-".into(), duration),
                r.timeout_ms
                    .map_or_else(|| "-".into(), |t| duration(i64::from(t))),
                if r.partitions.is_empty() {
                    r.error.clone().unwrap_or_else(|| "-".into())
                } else {
                    r.partitions.join(",")
                },
            ]
        })
        .collect();
    write_table(
        out,
        &[
            "TRANSACTIONAL ID",
            "STATE",
            "PRODUCER/EPOCH",
            "OPEN FOR",
            "TIMEOUT",
            "PARTITIONS",
        ],
        table,
    )
}

/// Every partition of every topic of the users', or of one topic, or one partition.
async fn partitions(
    client: &KafkaClient,
    topic: Option<&str>,
    partition: Option<i32>,
) -> Result<Vec<(String, i32)>> {
    Ok(match (topic, partition) {
        (Some(t), Some(p)) => vec![(t.to_owned(), client.topic(t).await?.partition(p)?.id)],
        (Some(t), None) => client
            .topic(t)
            .await?
            .partitions
            .iter()
            .map(|p| (t.to_owned(), p.id))
            .collect(),
        (None, _) => client
            .metadata(None)
            .await?
            .topics
            .iter()
            .filter(|t| !t.internal)
            .flat_map(|t| t.partitions.iter().map(|p| (t.name.clone(), p.id)))
            .collect(),
    })
}

pub async fn hanging(
    client: &KafkaClient,
    topic: Option<&str>,
    partition: Option<i32>,
    max_age: Duration,
    json: bool,
    out: &mut impl Write,
) -> Result<()> {
    let partitions = partitions(client, topic, partition).await?;
    let hanging = client.hanging_transactions(&partitions, max_age).await?;
    if json {
        serde_json::to_writer_pretty(&mut *out, &hanging)?;
        writeln!(out)?;
        return Ok(());
    }
    if hanging.is_empty() {
        writeln!(
            out,
            "no hanging transactions (open longer than {} with no coordinator to end them) in {}",
            duration(max_age.as_millis() as i64),
            crate::human::plural(partitions.len() as i64, "partition")
        )?;
        return Ok(());
    }
    let now = chrono::Utc::now().timestamp_millis();
    write_table(
        out,
        &[
            "TOPIC",
            "PARTITION",
            "PRODUCER/EPOCH",
            "COORDINATOR EPOCH",
            "START OFFSET",
            "LAST WRITE",
            "OPEN FOR",
        ],
        hanging
            .iter()
            .map(|h| {
                vec![
                    h.topic.clone(),
                    h.partition.to_string(),
                    format!("{}/{}", h.producer_id, h.producer_epoch),
                    h.coordinator_epoch.to_string(),
                    h.open_transaction_from
                        .map_or_else(|| "-".into(), |o| o.to_string()),
                    crate::human::time(h.last_timestamp, None),
                    duration((now - h.last_timestamp).max(0)),
                ]
            })
            .collect(),
    )?;
    writeln!(
        out,
        "abort one with: kview transactions abort -t TOPIC -p PARTITION --start-offset OFFSET"
    )?;
    Ok(())
}

pub async fn abort(
    client: &KafkaClient,
    topic: &str,
    partition: i32,
    start_offset: i64,
    yes: bool,
    out: &mut impl Write,
) -> Result<()> {
    let what = format!("{topic}/{partition}");
    if !yes {
        let stdin = std::io::stdin();
        if !std::io::IsTerminal::is_terminal(&stdin) {
            bail!(
                "refusing to abort a transaction on {what} without --yes (stdin is not a terminal to ask on)"
            );
        }
        eprint!(
            "Abort the transaction that starts at offset {start_offset} of {what}? Its records become invisible to read-committed consumers. Type {what} to confirm: "
        );
        let mut answer = String::new();
        std::io::BufRead::read_line(&mut stdin.lock(), &mut answer)?;
        if answer.trim_end_matches(['\r', '\n']) != what {
            bail!("not confirmed; the transaction on {what} stays open");
        }
    }
    let producer: ProducerState = client
        .abort_transaction(topic, partition, start_offset)
        .await?;
    writeln!(
        out,
        "aborted the transaction of producer {}/{} on {what} (from offset {start_offset})",
        producer.producer_id, producer.producer_epoch
    )?;
    Ok(())
}
