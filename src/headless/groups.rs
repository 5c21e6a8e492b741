//! `kview groups` and `kview lag`.

use std::collections::BTreeSet;
use std::io::Write;

use anyhow::Result;
use futures::future::join_all;
use serde::Serialize;

use crate::kafka::{GroupDescription, KafkaClient};
use crate::lag::{self, PartitionLag};

use super::table::write_table;

#[derive(Debug, Serialize)]
struct GroupRow {
    group: String,
    state: String,
    protocol_type: String,
    group_type: String,
    members: usize,
}

pub async fn list(client: &KafkaClient, json: bool, out: &mut impl Write) -> Result<()> {
    let groups = client.list_groups().await?;
    let descriptions = join_all(groups.iter().map(|g| client.describe_group(&g.group_id))).await;
    let rows: Vec<GroupRow> = groups
        .into_iter()
        .zip(descriptions)
        .map(|(g, d)| GroupRow {
            members: d.as_ref().map_or(0, |d| d.members.len()),
            state: d.map(|d| d.state).unwrap_or(g.state),
            group: g.group_id,
            protocol_type: g.protocol_type,
            group_type: g.group_type,
        })
        .collect();
    if json {
        serde_json::to_writer_pretty(&mut *out, &rows)?;
        writeln!(out)?;
        return Ok(());
    }
    let table = rows
        .into_iter()
        .map(|r| {
            vec![
                r.group,
                r.state,
                r.members.to_string(),
                r.protocol_type,
                r.group_type,
            ]
        })
        .collect();
    write_table(
        out,
        &["GROUP", "STATE", "MEMBERS", "PROTOCOL", "TYPE"],
        table,
    )
}

#[derive(Debug, Serialize)]
pub struct GroupLag {
    pub group: String,
    pub state: String,
    pub members: usize,
    pub total_lag: i64,
    pub partitions: Vec<PartitionLag>,
}

/// Lag of one group over every partition it has committed on or is assigned.
pub async fn group_lag(client: &KafkaClient, group: &str) -> Result<GroupLag> {
    let committed = client.committed_offsets(group).await?;
    let description: Option<GroupDescription> = client.describe_group(group).await.ok();
    let mut keys: BTreeSet<(String, i32)> = committed
        .iter()
        .map(|c| (c.topic.clone(), c.partition))
        .collect();
    if let Some(d) = &description {
        for m in &d.members {
            keys.extend(m.assignment.iter().cloned());
        }
    }
    let keys: Vec<(String, i32)> = keys.into_iter().collect();
    let marks = client.watermarks(&keys).await;
    let mut partitions = Vec::with_capacity(keys.len());
    for ((topic, partition), marks) in keys.into_iter().zip(marks) {
        let high = marks?.high;
        let offset = committed
            .iter()
            .find(|c| c.topic == topic && c.partition == partition)
            .map(|c| c.offset);
        partitions.push(PartitionLag::new(topic, partition, offset, high));
    }
    Ok(GroupLag {
        group: group.to_owned(),
        state: description
            .as_ref()
            .map_or_else(|| "Unknown".into(), |d| d.state.clone()),
        members: description.as_ref().map_or(0, |d| d.members.len()),
        total_lag: lag::total(&partitions),
        partitions,
    })
}

pub async fn lag(
    client: &KafkaClient,
    group: Option<&str>,
    json: bool,
    out: &mut impl Write,
) -> Result<()> {
    let groups: Vec<String> = match group {
        Some(g) => vec![g.to_owned()],
        None => client
            .list_groups()
            .await?
            .into_iter()
            .map(|g| g.group_id)
            .collect(),
    };
    let mut lags = Vec::with_capacity(groups.len());
    for g in &groups {
        lags.push(group_lag(client, g).await?);
    }
    if json {
        match (group, lags.len()) {
            (Some(_), 1) => serde_json::to_writer_pretty(&mut *out, &lags[0])?,
            _ => serde_json::to_writer_pretty(&mut *out, &lags)?,
        }
        writeln!(out)?;
        return Ok(());
    }
    let opt = |v: Option<i64>| v.map_or_else(|| "-".to_owned(), |v| v.to_string());
    let mut rows = Vec::new();
    for g in &lags {
        for p in &g.partitions {
            rows.push(vec![
                g.group.clone(),
                p.topic.clone(),
                p.partition.to_string(),
                opt(p.committed),
                p.high_watermark.to_string(),
                p.lag
                    .map_or_else(|| "no commits".to_owned(), |l| l.to_string()),
            ]);
        }
        rows.push(vec![
            g.group.clone(),
            format!("total ({}, {} members)", g.state, g.members),
            String::new(),
            String::new(),
            String::new(),
            g.total_lag.to_string(),
        ]);
    }
    write_table(
        out,
        &["GROUP", "TOPIC", "PARTITION", "COMMITTED", "HIGH", "LAG"],
        rows,
    )
}
