//! `kview groups`, `kview lag`, `kview check` and `kview reset-offsets`.

use std::io::{IsTerminal, Write};
use std::time::Duration;

use anyhow::{Result, bail};
use futures::future::join_all;
use serde::Serialize;

use crate::cli::{ResetArgs, RuleArgs};
use crate::collect::groups as collect;
use crate::human::duration;
use crate::kafka::KafkaClient;
use crate::lag::reset::ResetTarget;
use crate::lag::status::{GroupStatus, PartitionStatus};
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
    rules: &RuleArgs,
) -> Result<Vec<GroupReport>> {
    let mut out = Vec::with_capacity(groups.len());
    for g in groups {
        out.push(collect::report(client, g, rules.window, rules.rules()).await?);
    }
    Ok(out)
}

pub async fn lag(
    client: &KafkaClient,
    group: Option<&str>,
    json: bool,
    watch: Option<Duration>,
    rules: &RuleArgs,
    out: &mut impl Write,
) -> Result<()> {
    let named: Vec<String> = group.map(str::to_owned).into_iter().collect();
    // Clearing the screen is for a person watching; a pipe or file gets plain tables.
    let terminal = std::io::stdout().is_terminal();
    loop {
        let groups = groups_or_all(client, &named).await?;
        let reports = reports(client, &groups, rules).await?;
        if json {
            let value = match (group, reports.as_slice()) {
                (Some(_), [one]) => serde_json::to_value(one)?,
                _ => serde_json::to_value(&reports)?,
            };
            if watch.is_some() {
                // JSON lines: one document per refresh.
                serde_json::to_writer(&mut *out, &value)?;
            } else {
                serde_json::to_writer_pretty(&mut *out, &value)?;
            }
            writeln!(out)?;
        } else {
            if watch.is_some() {
                if terminal {
                    // Clear the screen between refreshes, as `watch` does.
                    write!(out, "\x1b[2J\x1b[H")?;
                }
                writeln!(out, "{}", chrono::Local::now().format("%Y-%m-%d %H:%M:%S"))?;
            }
            write_reports(out, &reports)?;
            if watch.is_some() && !terminal {
                writeln!(out)?;
            }
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
        "{} {}: lag {} ({}), catch up {}, {}, windows {}/{}",
        g.group,
        g.status.label(),
        g.total_lag,
        g.state,
        crate::human::catch_up(g.catch_up),
        crate::human::plural(g.members as i64, "member"),
        g.window_fill.0,
        g.window_fill.1
    )
}

/// `kview check`'s limits on top of the status rules.
#[derive(Debug, Clone, Copy, Default)]
pub struct Thresholds {
    pub max_lag: Option<i64>,
    pub max_lag_time: Option<Duration>,
}

/// The Nagios/Icinga verdict: OK, WARNING, CRITICAL by the rules, UNKNOWN when kview could not
/// tell (exit 3).
#[derive(Debug, Serialize)]
struct GroupVerdict {
    group: String,
    status: GroupStatus,
    total_lag: i64,
    /// The oldest unread message's age, over the group's partitions, in milliseconds.
    max_lag_ms: Option<i64>,
    /// Why it is not OK: partitions by status, thresholds passed.
    reasons: Vec<String>,
}

/// Judges the groups; prints one summary line (or JSON) and returns the exit code: 0 OK,
/// 1 WARN, 2 ERR, 3 UNKNOWN.
pub async fn check(
    client: &KafkaClient,
    named: &[String],
    rules: &RuleArgs,
    thresholds: Thresholds,
    json: bool,
    out: &mut impl Write,
) -> Result<u8> {
    let reports = match groups_or_all(client, named).await {
        Ok(groups) => reports(client, &groups, rules).await,
        Err(e) => Err(e),
    };
    let reports = match reports {
        Ok(r) => r,
        Err(e) => return unknown(&e, json, out),
    };
    let verdicts: Vec<GroupVerdict> = reports.iter().map(|r| verdict(r, thresholds)).collect();
    let worst = verdicts
        .iter()
        .map(|v| v.status)
        .max()
        .unwrap_or(GroupStatus::Ok);
    if json {
        serde_json::to_writer_pretty(
            &mut *out,
            &serde_json::json!({
                "status": worst.label(),
                "exit_code": worst.exit_code(),
                "groups": verdicts,
            }),
        )?;
        writeln!(out)?;
        return Ok(worst.exit_code());
    }
    let details: Vec<String> = verdicts
        .iter()
        .filter(|v| v.status != GroupStatus::Ok)
        .map(|v| {
            format!(
                "{} {} (lag {}: {})",
                v.group,
                v.status.label(),
                v.total_lag,
                v.reasons.join(", ")
            )
        })
        .collect();
    let total: i64 = verdicts.iter().map(|v| v.total_lag).sum();
    if details.is_empty() {
        writeln!(
            out,
            "{}: {}, total lag {total}",
            worst.label(),
            crate::human::plural(verdicts.len() as i64, "group")
        )?;
    } else {
        writeln!(out, "{}: {}", worst.label(), details.join("; "))?;
    }
    Ok(worst.exit_code())
}

/// Exit code 3: kview could not judge (cluster unreachable, authentication refused, no such
/// group). The line goes to stdout, where monitoring reads the verdict.
pub fn unknown(e: &dyn std::fmt::Display, json: bool, out: &mut impl Write) -> Result<u8> {
    let reason = e
        .to_string()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    if json {
        serde_json::to_writer_pretty(
            &mut *out,
            &serde_json::json!({"status": "UNKNOWN", "exit_code": UNKNOWN, "error": reason}),
        )?;
        writeln!(out)?;
    } else {
        writeln!(out, "UNKNOWN: {reason}")?;
    }
    Ok(UNKNOWN)
}

/// `kview check`'s exit code when it cannot tell.
pub const UNKNOWN: u8 = 3;

fn verdict(r: &GroupReport, thresholds: Thresholds) -> GroupVerdict {
    let mut status = r.status;
    let mut reasons: Vec<String> = r
        .partitions
        .iter()
        .filter(|p| !matches!(p.status, PartitionStatus::Ok | PartitionStatus::NoCommits))
        .map(|p| format!("{}/{} {}", p.topic, p.partition, p.status.label()))
        .collect();
    let max_lag_ms = r.partitions.iter().filter_map(|p| p.lag_ms).max();
    if let Some(max) = thresholds.max_lag
        && r.total_lag > max
    {
        status = GroupStatus::Err;
        reasons.push(format!("lag {} > --max-lag {max}", r.total_lag));
    }
    if let (Some(max), Some(age)) = (thresholds.max_lag_time, max_lag_ms)
        && age > max.as_millis() as i64
    {
        status = GroupStatus::Err;
        reasons.push(format!(
            "lag time {} > --max-lag-time {}",
            duration(age),
            duration(max.as_millis() as i64)
        ));
    }
    GroupVerdict {
        group: r.group.clone(),
        status,
        total_lag: r.total_lag,
        max_lag_ms,
        reasons,
    }
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

/// `kview delete-group`: after the group's name is typed (or `--yes`).
pub async fn delete_group(
    client: &KafkaClient,
    group: &str,
    yes: bool,
    out: &mut impl Write,
) -> Result<()> {
    if !yes {
        let stdin = std::io::stdin();
        if !std::io::IsTerminal::is_terminal(&stdin) {
            bail!(
                "refusing to delete group {group} without --yes (stdin is not a terminal to ask on)"
            );
        }
        eprint!(
            "Delete consumer group {group} and its committed offsets? Type the group name to confirm: "
        );
        let mut answer = String::new();
        std::io::BufRead::read_line(&mut stdin.lock(), &mut answer)?;
        if answer.trim_end_matches(['\r', '\n']) != group {
            bail!("not confirmed; group {group} kept");
        }
    }
    client.delete_group(group).await?;
    writeln!(out, "deleted group {group}")?;
    Ok(())
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
    let mut plans = collect::plan_reset(client, &args.group, args.topic.as_deref(), target).await?;
    if let Some(partition) = args.partition {
        plans.retain(|p| p.partition == partition);
        if plans.is_empty() {
            bail!(
                "group {} has no offsets on {}/{partition} to reset",
                args.group,
                args.topic.as_deref().unwrap_or_default()
            );
        }
    }
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
    for note in plans.iter().filter_map(|p| p.clamp_note()) {
        writeln!(out, "{note}")?;
    }
    if args.execute {
        writeln!(out, "offsets of group {} reset", args.group)?;
    } else {
        writeln!(out, "preview only: add --execute to apply")?;
    }
    Ok(())
}
