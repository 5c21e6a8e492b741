//! `kview quorum` (the KRaft controllers) and `kview log-dirs` (disks).

use std::io::Write;

use anyhow::Result;
use serde_json::json;

use super::table::write_table;
use crate::human::{ago, bytes};
use crate::kafka::KafkaClient;

pub async fn quorum(client: &KafkaClient, json: bool, out: &mut impl Write) -> Result<()> {
    let quorum = client.quorum().await?;
    let features = client.finalized_features().await?;
    if json {
        writeln!(out, "{}", json!({"quorum": quorum, "features": features}))?;
        return Ok(());
    }
    let now = chrono::Utc::now().timestamp_millis();
    writeln!(
        out,
        "active controller {} (epoch {}), high watermark {}",
        quorum.leader,
        quorum.leader_epoch,
        or_unknown(quorum.high_watermark)
    )?;
    let rows = quorum
        .members
        .iter()
        .map(|m| {
            let role = match (m.id == quorum.leader, m.voter) {
                (true, _) => "leader",
                (false, true) => "voter",
                (false, false) => "observer",
            };
            vec![
                m.id.to_string(),
                role.into(),
                or_unknown(m.log_end_offset),
                or_unknown(quorum.behind(m)),
                ago(now, m.last_fetch_ms),
                ago(now, m.last_caught_up_ms),
            ]
        })
        .collect();
    write_table(
        out,
        &[
            "NODE",
            "ROLE",
            "LOG END",
            "BEHIND",
            "LAST FETCH",
            "CAUGHT UP",
        ],
        rows,
    )?;
    if !features.is_empty() {
        let list: Vec<String> = features.iter().map(|(n, v)| format!("{n}={v}")).collect();
        writeln!(out, "finalized features: {}", list.join(" "))?;
    }
    Ok(())
}

fn or_unknown(value: Option<i64>) -> String {
    value.map_or_else(|| "unknown".into(), |v| v.to_string())
}

pub async fn log_dirs(client: &KafkaClient, json: bool, out: &mut impl Write) -> Result<()> {
    let answers = client.log_dirs().await?;
    let mut dirs = Vec::new();
    let mut failed = Vec::new();
    for a in answers {
        match a {
            Ok(d) => dirs.extend(d),
            Err(f) => failed.push(f),
        }
    }
    dirs.sort_by_key(|d| std::cmp::Reverse(d.used_bytes));
    if json {
        let unanswered: Vec<_> = failed
            .iter()
            .map(|(b, e)| json!({"broker": b, "error": e}))
            .collect();
        writeln!(
            out,
            "{}",
            json!({"log_dirs": dirs, "unanswered": unanswered})
        )?;
        return Ok(());
    }
    let known = |n: Option<i64>| n.map_or("unknown".to_owned(), bytes);
    let rows = dirs
        .iter()
        .map(|d| {
            vec![
                d.broker.to_string(),
                d.path.clone(),
                bytes(d.used_bytes),
                known(d.usable_bytes),
                known(d.total_bytes),
                d.partitions.len().to_string(),
                d.error.clone().unwrap_or_else(|| "ok".into()),
            ]
        })
        .collect();
    write_table(
        out,
        &[
            "BROKER",
            "DIRECTORY",
            "USED",
            "FREE",
            "TOTAL",
            "REPLICAS",
            "STATE",
        ],
        rows,
    )?;
    for (broker, e) in &failed {
        writeln!(out, "broker {broker}: no answer ({e})")?;
    }
    let mut largest: Vec<(i32, &str, i32, i64)> = dirs
        .iter()
        .flat_map(|d| {
            d.partitions
                .iter()
                .map(move |(t, p, b)| (d.broker, t.as_str(), *p, *b))
        })
        .collect();
    largest.sort_by_key(|l| std::cmp::Reverse(l.3));
    if !largest.is_empty() {
        writeln!(out)?;
        let rows = largest
            .iter()
            .take(20)
            .map(|(broker, t, p, b)| vec![format!("{t}/{p}"), broker.to_string(), bytes(*b)])
            .collect();
        write_table(out, &["LARGEST PARTITIONS", "BROKER", "SIZE"], rows)?;
    }
    Ok(())
}
