//! `kview topics`, `describe`, `create-topic`, `delete-topic`.

use std::io::{BufRead, IsTerminal, Write};

use anyhow::{Result, bail};
use serde::Serialize;

use crate::kafka::client::ConfigTarget;
use crate::kafka::{ConfigEntry, KafkaClient, TopicInfo, Watermarks};

use super::table::write_table;

#[derive(Debug, Serialize)]
struct TopicSummary<'a> {
    name: &'a str,
    internal: bool,
    partitions: usize,
    replication_factor: usize,
    under_replicated_partitions: usize,
    /// Null when a partition did not answer (no leader while a broker is down).
    messages: Option<i64>,
    /// Bytes on disk over all replicas; null where no broker answered DescribeLogDirs.
    size_bytes: Option<i64>,
}

/// Watermarks per topic and partition; None where a partition did not answer (no leader while
/// a broker is down). Fails only when no partition answered at all.
async fn marks_of(
    client: &KafkaClient,
    topics: &[&TopicInfo],
) -> Result<Vec<Vec<Option<Watermarks>>>> {
    let keys: Vec<(String, i32)> = topics
        .iter()
        .flat_map(|t| t.partitions.iter().map(|p| (t.name.clone(), p.id)))
        .collect();
    let results = client.watermarks(&keys).await;
    if !results.is_empty() && results.iter().all(Result::is_err) {
        let first = results.into_iter().next().expect("not empty");
        return Err(first.expect_err("all failed").into());
    }
    let mut marks = results.into_iter();
    let mut out = Vec::with_capacity(topics.len());
    for t in topics {
        let mut per = Vec::with_capacity(t.partitions.len());
        for _ in &t.partitions {
            per.push(marks.next().expect("one result per partition").ok());
        }
        out.push(per);
    }
    Ok(out)
}

/// Messages over partitions; None when any partition's count is unknown.
fn total_messages(marks: &[Option<Watermarks>]) -> Option<i64> {
    marks.iter().map(|m| m.map(|m| m.messages())).sum()
}

fn or_unknown(v: Option<i64>) -> String {
    v.map_or_else(|| "?".to_owned(), |v| v.to_string())
}

pub async fn list(client: &KafkaClient, all: bool, json: bool, out: &mut impl Write) -> Result<()> {
    let meta = client.metadata(None).await?;
    let topics: Vec<&TopicInfo> = meta.topics.iter().filter(|t| all || !t.internal).collect();
    // Sizes (JSON only: the table has no column for them) are asked beside the watermarks, not
    // after them; every broker walks every log for them.
    let sizes_of = async {
        if json {
            client.replica_sizes_on(&meta.brokers).await
        } else {
            Vec::new()
        }
    };
    let (marks, replicas) = tokio::join!(marks_of(client, &topics), sizes_of);
    let marks = marks?;
    let mut sizes: std::collections::HashMap<&str, i64> = std::collections::HashMap::new();
    for r in &replicas {
        *sizes.entry(r.topic.as_str()).or_default() += r.bytes;
    }
    let summaries: Vec<TopicSummary> = topics
        .iter()
        .zip(&marks)
        .map(|(t, m)| TopicSummary {
            name: &t.name,
            internal: t.internal,
            partitions: t.partitions.len(),
            replication_factor: t.replication_factor(),
            under_replicated_partitions: t
                .partitions
                .iter()
                .filter(|p| p.is_under_replicated())
                .count(),
            messages: total_messages(m),
            size_bytes: sizes.get(t.name.as_str()).copied(),
        })
        .collect();
    if json {
        serde_json::to_writer_pretty(&mut *out, &summaries)?;
        writeln!(out)?;
        return Ok(());
    }
    let rows = summaries
        .iter()
        .map(|s| {
            vec![
                s.name.to_owned(),
                s.partitions.to_string(),
                s.replication_factor.to_string(),
                or_unknown(s.messages),
                if s.under_replicated_partitions > 0 {
                    format!("{} under-replicated", s.under_replicated_partitions)
                } else {
                    String::new()
                },
            ]
        })
        .collect();
    write_table(out, &["TOPIC", "PARTITIONS", "RF", "MESSAGES", ""], rows)
}

#[derive(Debug, Serialize)]
struct PartitionDetail<'a> {
    partition: i32,
    leader: i32,
    replicas: &'a [i32],
    isr: &'a [i32],
    offline_replicas: &'a [i32],
    /// None while the partition has no leader to answer.
    low_watermark: Option<i64>,
    high_watermark: Option<i64>,
    /// The last stable offset, where it is below the high watermark: records from it on wait
    /// for transactions to end before read-committed consumers see them.
    #[serde(skip_serializing_if = "Option::is_none")]
    last_stable_offset: Option<i64>,
    /// What holds the last stable offset back.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    open_transactions: Vec<crate::collect::transactions::OpenTransaction>,
    messages: Option<i64>,
}

#[derive(Debug, Serialize)]
struct TopicDetail<'a> {
    name: &'a str,
    internal: bool,
    replication_factor: usize,
    messages: Option<i64>,
    partitions: Vec<PartitionDetail<'a>>,
    configs: &'a [ConfigEntry],
}

pub async fn describe(
    client: &KafkaClient,
    name: &str,
    json: bool,
    out: &mut impl Write,
) -> Result<()> {
    let topic = client.topic(name).await?;
    let marks = marks_of(client, &[&topic]).await?.remove(0);
    let configs = client.topic_configs(name).await?;
    let highs: Vec<((String, i32), i64)> = topic
        .partitions
        .iter()
        .zip(&marks)
        .filter_map(|(p, m)| Some(((topic.name.clone(), p.id), m.as_ref()?.high)))
        .collect();
    let unstable = crate::collect::transactions::unstable(client, &highs).await?;
    let unstable_of = |p: i32| unstable.iter().find(|u| u.partition == p);
    let detail = TopicDetail {
        name: &topic.name,
        internal: topic.internal,
        replication_factor: topic.replication_factor(),
        messages: total_messages(&marks),
        partitions: topic
            .partitions
            .iter()
            .zip(&marks)
            .map(|(p, m)| PartitionDetail {
                partition: p.id,
                leader: p.leader,
                replicas: &p.replicas,
                isr: &p.isr,
                offline_replicas: &p.offline_replicas,
                low_watermark: m.map(|m| m.low),
                high_watermark: m.map(|m| m.high),
                last_stable_offset: unstable_of(p.id).map(|u| u.last_stable_offset),
                open_transactions: unstable_of(p.id)
                    .map(|u| u.open_transactions.clone())
                    .unwrap_or_default(),
                messages: m.map(|m| m.messages()),
            })
            .collect(),
        configs: &configs,
    };
    if json {
        serde_json::to_writer_pretty(&mut *out, &detail)?;
        writeln!(out)?;
        return Ok(());
    }
    writeln!(
        out,
        "topic {}  partitions {}  replication factor {}  messages {}{}",
        detail.name,
        detail.partitions.len(),
        detail.replication_factor,
        or_unknown(detail.messages),
        if detail.internal { "  (internal)" } else { "" }
    )?;
    let ids = |v: &[i32]| v.iter().map(i32::to_string).collect::<Vec<_>>().join(",");
    let rows = detail
        .partitions
        .iter()
        .map(|p| {
            vec![
                p.partition.to_string(),
                if p.leader < 0 {
                    "none".into()
                } else {
                    p.leader.to_string()
                },
                ids(p.replicas),
                ids(p.isr),
                or_unknown(p.low_watermark),
                or_unknown(p.high_watermark),
                p.last_stable_offset
                    .map_or_else(|| "=HIGH".into(), |o| o.to_string()),
                or_unknown(p.messages),
                {
                    let mut notes = Vec::new();
                    if p.isr.len() < p.replicas.len() {
                        notes.push("under-replicated".to_owned());
                    }
                    if let Some(u) = unstable_of(p.partition) {
                        notes.push(u.describe(None));
                    }
                    notes.join("; ")
                },
            ]
        })
        .collect();
    // The last stable offset only where a transaction holds one back.
    let mut header = vec![
        "PARTITION",
        "LEADER",
        "REPLICAS",
        "ISR",
        "LOW",
        "HIGH",
        "STABLE",
        "MESSAGES",
        "",
    ];
    let mut rows: Vec<Vec<String>> = rows;
    if unstable.is_empty() {
        header.remove(6);
        for row in &mut rows {
            row.remove(6);
        }
    }
    write_table(out, &header, rows)?;
    writeln!(out)?;
    let rows = configs
        .iter()
        .map(|c| {
            vec![
                c.name.clone(),
                c.value.clone().unwrap_or_else(|| "(hidden)".into()),
                if c.is_default {
                    String::new()
                } else {
                    format!("* {}", c.source)
                },
            ]
        })
        .collect();
    write_table(out, &["CONFIG", "VALUE", "SET BY"], rows)
}

pub async fn create(
    client: &KafkaClient,
    name: &str,
    partitions: i32,
    replication: i16,
    out: &mut impl Write,
) -> Result<()> {
    if partitions < 1 {
        bail!("a topic needs at least 1 partition");
    }
    if replication < 1 {
        bail!("the replication factor must be at least 1");
    }
    client.create_topic(name, partitions, replication).await?;
    writeln!(
        out,
        "created topic {name} ({}, replication factor {replication})",
        crate::human::plural(partitions, "partition")
    )?;
    Ok(())
}

pub async fn add_partitions(
    client: &KafkaClient,
    name: &str,
    partitions: i32,
    out: &mut impl Write,
) -> Result<()> {
    let topic = client.topic(name).await?;
    let current = topic.partitions.len() as i32;
    if partitions <= current {
        bail!("topic {name} already has {current} partitions; Kafka can only add partitions");
    }
    client.create_partitions(name, partitions).await?;
    writeln!(
        out,
        "topic {name} now has {partitions} partitions (was {current})"
    )?;
    Ok(())
}

/// `kview set-config`: each KEY=VALUE set, each --unset KEY back to the default, one request
/// each, in the order given; says what it changed.
pub async fn set_config(
    client: &KafkaClient,
    target: &ConfigTarget,
    set: &[String],
    unset: &[String],
    out: &mut impl Write,
) -> Result<()> {
    let whose = target.describe();
    if set.is_empty() && unset.is_empty() {
        bail!("nothing to change: give KEY=VALUE or --unset KEY");
    }
    // Values in the units kview shows (7d, 1 GiB, unlimited) are written as Kafka stores them.
    let mut changes: Vec<(&str, Option<String>)> = Vec::new();
    for pair in set {
        match pair.split_once('=') {
            Some((key, value)) if !key.trim().is_empty() => {
                let raw =
                    crate::human::config_raw(key.trim(), value).map_err(anyhow::Error::msg)?;
                changes.push((key.trim(), Some(raw)))
            }
            _ => bail!("{pair:?} is not KEY=VALUE"),
        }
    }
    changes.extend(unset.iter().map(|k| (k.trim(), None)));
    for (key, value) in changes {
        client.alter_config(target, key, value.as_deref()).await?;
        match value {
            Some(v) => writeln!(out, "{whose}: {key} = {v}")?,
            None => writeln!(out, "{whose}: {key} back to the default")?,
        }
    }
    Ok(())
}

pub async fn delete(
    client: &KafkaClient,
    name: &str,
    yes: bool,
    out: &mut impl Write,
) -> Result<()> {
    let topic = client.topic(name).await?;
    if !yes {
        let stdin = std::io::stdin();
        if !stdin.is_terminal() {
            bail!(
                "refusing to delete topic {name} without --yes (stdin is not a terminal to ask on)"
            );
        }
        eprint!(
            "Delete topic {name} and its {}? Type the topic name to confirm: ",
            crate::human::plural(topic.partitions.len() as i64, "partition")
        );
        let mut answer = String::new();
        stdin.lock().read_line(&mut answer)?;
        if answer.trim_end_matches(['\r', '\n']) != name {
            bail!("not confirmed; topic {name} kept");
        }
    }
    client.delete_topic(name).await?;
    writeln!(out, "deleted topic {name}")?;
    Ok(())
}
