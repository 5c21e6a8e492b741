//! `kview groups`, `kview lag`, `kview check` and `kview reset-offsets`.

use std::io::Write;
use std::time::Duration;

use anyhow::{Result, bail};
use futures::future::join_all;
use serde::Serialize;

use crate::cli::ResetArgs;
use crate::collect::groups as collect;
use crate::human::duration;
use crate::kafka::KafkaClient;
use crate::lag::reset::ResetTarget;
use crate::lag::status::GroupStatus;
use crate::lag::tracker::GroupReport;

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

async fn groups_or_all(client: &KafkaClient, named: &[String]) -> Result<Vec<String>> {
    if !named.is_empty() {
        return Ok(named.to_vec());
    }
    Ok(client
        .list_groups()
        .await?
        .into_iter()
        .map(|g| g.group_id)
        .collect())
}

async fn reports(
    client: &KafkaClient,
    groups: &[String],
    window: usize,
) -> Result<Vec<GroupReport>> {
    let mut out = Vec::with_capacity(groups.len());
    for g in groups {
        out.push(collect::report(client, g, window).await?);
    }
    Ok(out)
}

pub async fn lag(
    client: &KafkaClient,
    group: Option<&str>,
    json: bool,
    watch: Option<Duration>,
    window: usize,
    out: &mut impl Write,
) -> Result<()> {
    let named: Vec<String> = group.map(str::to_owned).into_iter().collect();
    loop {
        let groups = groups_or_all(client, &named).await?;
        let reports = reports(client, &groups, window).await?;
        if json {
            match (group, reports.as_slice()) {
                (Some(_), [one]) => serde_json::to_writer_pretty(&mut *out, one)?,
                _ => serde_json::to_writer_pretty(&mut *out, &reports)?,
            }
            writeln!(out)?;
        } else {
            if watch.is_some() {
                // Clear the screen between refreshes, as `watch` does.
                write!(out, "\x1b[2J\x1b[H")?;
                writeln!(out, "{}", chrono::Local::now().format("%Y-%m-%d %H:%M:%S"))?;
            }
            write_reports(out, &reports)?;
        }
        out.flush()?;
        let Some(every) = watch else {
            return Ok(());
        };
        tokio::time::sleep(every).await;
    }
}

fn write_reports(out: &mut impl Write, reports: &[GroupReport]) -> Result<()> {
    let opt = |v: Option<i64>| v.map_or_else(|| "-".to_owned(), |v| v.to_string());
    let mut rows = Vec::new();
    for g in reports {
        for p in &g.partitions {
            let lag_time = match (p.lag_ms, p.lag_time_quality) {
                (Some(ms), Some(q)) => format!("{}{}", q.marker(), duration(ms)),
                _ => "-".to_owned(),
            };
            rows.push(vec![
                g.group.clone(),
                p.topic.clone(),
                p.partition.to_string(),
                opt(p.committed),
                p.high_watermark.to_string(),
                p.lag
                    .map_or_else(|| "no commits".to_owned(), |l| l.to_string()),
                lag_time,
                p.status.label().to_owned(),
                p.owner
                    .as_ref()
                    .map_or_else(|| "-".to_owned(), |o| format!("{}@{}", o.client_id, o.host)),
            ]);
        }
    }
    write_table(
        out,
        &[
            "GROUP",
            "TOPIC",
            "PARTITION",
            "COMMITTED",
            "HIGH",
            "LAG",
            "LAG TIME",
            "STATUS",
            "OWNER",
        ],
        rows,
    )?;
    for g in reports {
        writeln!(out, "{}", summary(g))?;
    }
    Ok(())
}

/// One line a group: what `kview check` prints and what ends `kview lag`.
fn summary(g: &GroupReport) -> String {
    format!(
        "{} {}: lag {} ({}), catch up {}, {} members, windows {}/{}",
        g.group,
        g.status.label(),
        g.total_lag,
        g.state,
        crate::human::catch_up(g.catch_up),
        g.members,
        g.window_fill.0,
        g.window_fill.1
    )
}

/// Prints one summary line and returns the exit code: 0 OK, 1 WARN, 2 ERR.
pub async fn check(
    client: &KafkaClient,
    named: &[String],
    window: usize,
    out: &mut impl Write,
) -> Result<u8> {
    let groups = groups_or_all(client, named).await?;
    let reports = reports(client, &groups, window).await?;
    let worst = reports
        .iter()
        .map(|r| r.status)
        .max()
        .unwrap_or(GroupStatus::Ok);
    let details: Vec<String> = reports
        .iter()
        .filter(|r| r.status != GroupStatus::Ok)
        .map(|r| format!("{} {} (lag {})", r.group, r.status.label(), r.total_lag))
        .collect();
    let total: i64 = reports.iter().map(|r| r.total_lag).sum();
    if details.is_empty() {
        writeln!(
            out,
            "{}: {} groups, total lag {total}",
            worst.label(),
            reports.len()
        )?;
    } else {
        writeln!(out, "{}: {}", worst.label(), details.join("; "))?;
    }
    Ok(worst.exit_code())
}

fn reset_target(args: &ResetArgs) -> Result<ResetTarget> {
    Ok(match args {
        ResetArgs {
            to_earliest: true, ..
        } => ResetTarget::Earliest,
        ResetArgs {
            to_latest: true, ..
        } => ResetTarget::Latest,
        ResetArgs {
            to_offset: Some(o), ..
        } => ResetTarget::Offset(*o),
        ResetArgs {
            shift_by: Some(n), ..
        } => ResetTarget::Shift(*n),
        ResetArgs {
            to_datetime: Some(t),
            ..
        } => match t.parse::<crate::kafka::StartAt>() {
            Ok(crate::kafka::StartAt::Timestamp(ms)) => ResetTarget::Timestamp(ms),
            _ => bail!("invalid time {t:?}: use RFC 3339 (2026-11-25T08:00:00Z) or @UNIX_MS"),
        },
        _ => bail!(
            "say where to: --to-earliest, --to-latest, --to-offset, --to-datetime or --shift-by"
        ),
    })
}

pub async fn reset_offsets(
    client: &KafkaClient,
    args: &ResetArgs,
    out: &mut impl Write,
) -> Result<()> {
    let target = reset_target(args)?;
    if args.execute {
        client.check_writable("reset offsets")?;
    }
    let plans = collect::plan_reset(client, &args.group, args.topic.as_deref(), target).await?;
    if args.execute {
        collect::apply_reset(client, &args.group, &plans).await?;
    }
    if args.json {
        serde_json::to_writer_pretty(
            &mut *out,
            &serde_json::json!({"group": args.group, "executed": args.execute, "partitions": plans}),
        )?;
        writeln!(out)?;
        return Ok(());
    }
    let rows = plans
        .iter()
        .map(|p| {
            vec![
                p.topic.clone(),
                p.partition.to_string(),
                p.old_offset.map_or_else(|| "-".into(), |o| o.to_string()),
                p.new_offset.to_string(),
                p.new_lag.to_string(),
            ]
        })
        .collect();
    write_table(
        out,
        &["TOPIC", "PARTITION", "OLD", "NEW", "LAG AFTER"],
        rows,
    )?;
    if args.execute {
        writeln!(out, "offsets of group {} reset", args.group)?;
    } else {
        writeln!(out, "preview only: add --execute to apply")?;
    }
    Ok(())
}
