//! `kview lag` and `kview check`: a report per group, and the monitoring verdict over them.
//!
//! Each group is reported on its own: a group kview cannot report (no such group, refused by an
//! ACL) says so in its place and never hides the others. Share and streams groups are shown for
//! what they are and not judged by rules made for committed offsets.

use std::io::{IsTerminal, Write};
use std::time::Duration;

use anyhow::Result;
use serde::Serialize;

use crate::cli::RuleArgs;
use crate::collect::groups as collect;
use crate::human::{count, duration, plural};
use crate::kafka::{GroupKind, KafkaClient};
use crate::lag::status::{GroupStatus, PartitionStatus};
use crate::lag::tracker::GroupReport;

use super::table::write_table;

/// A group's report, or why kview could not make one.
type Outcome = (String, std::result::Result<GroupReport, String>);

/// The groups named, or every group whose members read topics, with the kind ListGroups gave.
async fn groups_or_all(
    client: &KafkaClient,
    named: &[String],
) -> Result<Vec<(String, Option<GroupKind>)>> {
    if !named.is_empty() {
        return Ok(named.iter().map(|g| (g.clone(), None)).collect());
    }
    Ok(client
        .list_groups()
        .await?
        .into_iter()
        .filter(|g| g.reads_topics())
        .map(|g| (g.group_id, Some(g.kind)))
        .collect())
}

async fn outcomes(
    client: &KafkaClient,
    groups: Vec<(String, Option<GroupKind>)>,
    rules: &RuleArgs,
) -> Vec<Outcome> {
    let mut out = Vec::with_capacity(groups.len());
    for (group, kind) in groups {
        let report = collect::report(client, &group, kind, rules.window, rules.rules())
            .await
            .map_err(|e| e.to_string());
        out.push((group, report));
    }
    out
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
        let outcomes = outcomes(client, groups, rules).await;
        if let (Some(_), [(_, Err(e))]) = (group, outcomes.as_slice()) {
            // One group asked for and not reported: the command failed.
            anyhow::bail!("{e}");
        }
        if json {
            let value = match (group, outcomes.as_slice()) {
                (Some(_), [(_, Ok(one))]) => serde_json::to_value(one)?,
                _ => serde_json::Value::Array(outcomes.iter().map(outcome_json).collect()),
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
            write_outcomes(out, &outcomes)?;
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

fn outcome_json((group, outcome): &Outcome) -> serde_json::Value {
    match outcome {
        Ok(report) => serde_json::to_value(report).unwrap_or_default(),
        Err(e) => serde_json::json!({"group": group, "status": "UNKNOWN", "error": e}),
    }
}

fn write_outcomes(out: &mut impl Write, outcomes: &[Outcome]) -> Result<()> {
    let reports: Vec<&GroupReport> = outcomes
        .iter()
        .filter_map(|(_, r)| r.as_ref().ok())
        .collect();
    let opt = |v: Option<i64>| v.map_or_else(|| "-".to_owned(), |v| v.to_string());
    let owner = |p: &crate::lag::tracker::PartitionReport| {
        p.owner
            .as_ref()
            .map_or_else(|| "-".to_owned(), |o| format!("{}@{}", o.client_id, o.host))
    };
    let mut rows = Vec::new();
    let mut share_rows = Vec::new();
    for g in &reports {
        for p in &g.partitions {
            if p.status == PartitionStatus::NotJudged {
                share_rows.push(vec![
                    g.group.clone(),
                    p.topic.clone(),
                    p.partition.to_string(),
                    opt(p.start_offset),
                    p.high_watermark.to_string(),
                    opt(p.start_trails_by),
                    owner(p),
                ]);
                continue;
            }
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
                match (p.lag, p.held_by_open_transactions) {
                    (None, _) => "no commits".to_owned(),
                    (Some(l), Some(held)) => format!("{l} ({held} in open transactions)"),
                    (Some(l), None) => l.to_string(),
                },
                lag_time,
                p.status.label().to_owned(),
                owner(p),
            ]);
        }
    }
    if !rows.is_empty() {
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
    }
    if !share_rows.is_empty() {
        // Not lag: a share group acknowledges records one by one, and Kafka 4.1 says only
        // where its start offset is.
        write_table(
            out,
            &[
                "SHARE GROUP",
                "TOPIC",
                "PARTITION",
                "START",
                "HIGH",
                "START TRAILS BY",
                "OWNER",
            ],
            share_rows,
        )?;
    }
    for (group, outcome) in outcomes {
        match outcome {
            Ok(report) => writeln!(out, "{}", summary(report))?,
            Err(e) => writeln!(out, "{group} UNKNOWN: {e}")?,
        }
    }
    Ok(())
}

/// One line a group: what ends `kview lag`.
fn summary(g: &GroupReport) -> String {
    let members = g.members.map_or_else(
        || "members unknown".to_owned(),
        |m| plural(m as i64, "member"),
    );
    let reconciling = if g.reconciling > 0 {
        format!(" ({} reconciling)", g.reconciling)
    } else {
        String::new()
    };
    match (&g.kind, g.status) {
        (GroupKind::Share, _) => {
            let trails: i64 = g.partitions.iter().filter_map(|p| p.start_trails_by).sum();
            format!(
                "{} N/A: share group ({}), {members}: start offsets trail the high watermarks by {} (not lag: Kafka 4.1 reports no lag for share groups)",
                g.group,
                g.state,
                count(trails)
            )
        }
        (_, GroupStatus::NotJudged) => format!(
            "{} N/A: {} group ({}): {}",
            g.group,
            g.kind,
            g.state,
            g.note.as_deref().unwrap_or("not judged")
        ),
        (_, GroupStatus::NoCommits) => format!(
            "{} NO COMMITS: no committed offsets, lag unknown ({}), {members}{reconciling}",
            g.group, g.state
        ),
        (_, status) => format!(
            "{} {}: lag {} ({}), catch up {}, {members}{reconciling}, windows {}/{}",
            g.group,
            status.label(),
            g.total_lag.unwrap_or(0),
            g.state,
            crate::human::catch_up(g.catch_up),
            g.window_fill.0,
            g.window_fill.1
        ),
    }
}

/// `kview check`'s limits on top of the status rules.
#[derive(Debug, Clone, Copy, Default)]
pub struct Thresholds {
    pub max_lag: Option<i64>,
    pub max_lag_time: Option<Duration>,
}

/// The Nagios/Icinga verdict, in order of weight: a group that is ERR is never hidden by one
/// kview cannot judge, so ERR outweighs UNKNOWN.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Verdict {
    Ok,
    Warn,
    Unknown,
    Err,
}

impl Verdict {
    fn label(self) -> &'static str {
        match self {
            Verdict::Ok => "OK",
            Verdict::Warn => "WARN",
            Verdict::Unknown => "UNKNOWN",
            Verdict::Err => "ERR",
        }
    }

    pub fn exit_code(self) -> u8 {
        match self {
            Verdict::Ok => 0,
            Verdict::Warn => 1,
            Verdict::Err => 2,
            Verdict::Unknown => UNKNOWN,
        }
    }
}

#[derive(Debug, Serialize)]
struct GroupVerdict {
    group: String,
    verdict: Verdict,
    /// The group's status by the rules (absent when kview could not report the group).
    #[serde(skip_serializing_if = "Option::is_none")]
    status: Option<GroupStatus>,
    #[serde(skip_serializing_if = "Option::is_none")]
    kind: Option<GroupKind>,
    total_lag: Option<i64>,
    /// The oldest unread message's age, over the group's partitions, in milliseconds.
    max_lag_ms: Option<i64>,
    /// Why it is not OK: partitions by status, thresholds passed, or what went wrong.
    reasons: Vec<String>,
}

/// Judges the groups; prints one summary line (or JSON) and returns the exit code: 0 OK,
/// 1 WARN, 2 ERR, 3 UNKNOWN.
///
/// The rules: a group's status by its partitions (STOP, STALL, REWIND are ERR); a group that
/// has committed no offset at all is WARN (it exists and has recorded no progress); a group
/// kview could not report is UNKNOWN. Share and streams groups commit nothing kview judges:
/// they are counted apart when every group is checked, and UNKNOWN when named. The worst
/// verdict wins, ERR over UNKNOWN.
pub async fn check(
    client: &KafkaClient,
    named: &[String],
    rules: &RuleArgs,
    thresholds: Thresholds,
    connectors: Option<super::connect::ConnectReads>,
    json: bool,
    out: &mut impl Write,
) -> Result<u8> {
    let connectors = connectors.map(super::connect::verdicts);
    let mut groups_unknown = None;
    let groups = match groups_or_all(client, named).await {
        Ok(groups) => groups,
        Err(e) if connectors.is_none() => return unknown(&e, json, out),
        // The connectors are judged still; the groups are one UNKNOWN.
        Err(e) => {
            groups_unknown = Some(one_line(&e.to_string()));
            Vec::new()
        }
    };
    let outcomes = outcomes(client, groups, rules).await;
    // Nothing could be reported, all for one reason (the cluster went away, or the one group
    // named does not exist): that reason, once — unless connectors are judged beside them.
    if let Some((_, Err(e))) = outcomes.first()
        && outcomes.iter().all(|(_, r)| r.as_ref().err() == Some(e))
        && connectors.is_none()
    {
        return unknown(e, json, out);
    }
    let mut verdicts = Vec::new();
    let mut not_judged = Vec::new();
    for (group, outcome) in &outcomes {
        match outcome {
            Ok(r) if r.status == GroupStatus::NotJudged && named.is_empty() => {
                not_judged.push(r.group.clone())
            }
            Ok(r) => verdicts.push(verdict(r, thresholds)),
            Err(e) => verdicts.push(GroupVerdict {
                group: group.clone(),
                verdict: Verdict::Unknown,
                status: None,
                kind: None,
                total_lag: None,
                max_lag_ms: None,
                reasons: vec![one_line(e)],
            }),
        }
    }
    if let Some(reason) = groups_unknown {
        verdicts.push(GroupVerdict {
            group: "(the groups)".into(),
            verdict: Verdict::Unknown,
            status: None,
            kind: None,
            total_lag: None,
            max_lag_ms: None,
            reasons: vec![reason],
        });
    }
    let connectors = connectors.unwrap_or_default();
    let worst = verdicts
        .iter()
        .map(|v| v.verdict)
        .chain(connectors.iter().map(|c| c.verdict))
        .max()
        .unwrap_or(Verdict::Ok);
    if json {
        serde_json::to_writer_pretty(
            &mut *out,
            &serde_json::json!({
                "status": worst.label(),
                "exit_code": worst.exit_code(),
                "groups": verdicts,
                "not_judged": not_judged,
                "connectors": connectors,
            }),
        )?;
        writeln!(out)?;
        return Ok(worst.exit_code());
    }
    let mut details: Vec<String> = verdicts
        .iter()
        .filter(|v| v.verdict != Verdict::Ok)
        .map(|v| {
            let label = v.status.map_or("UNKNOWN", GroupStatus::label);
            match v.total_lag {
                Some(lag) => format!("{} {label} (lag {lag}: {})", v.group, v.reasons.join(", ")),
                None => format!("{} {label} ({})", v.group, v.reasons.join(", ")),
            }
        })
        .collect();
    details.extend(
        connectors
            .iter()
            .filter(|c| c.verdict != Verdict::Ok)
            .map(|c| format!("connector {} {} ({})", c.name, c.state, c.reason)),
    );
    let aside = if not_judged.is_empty() {
        String::new()
    } else {
        format!(
            "; not judged: {} (share or streams: no committed offsets)",
            not_judged.join(", ")
        )
    };
    if details.is_empty() {
        let total: i64 = verdicts.iter().filter_map(|v| v.total_lag).sum();
        let judged_connectors = if connectors.is_empty() {
            String::new()
        } else {
            format!(", {}", plural(connectors.len() as i64, "connector"))
        };
        writeln!(
            out,
            "{}: {}, total lag {total}{judged_connectors}{aside}",
            worst.label(),
            plural(verdicts.len() as i64, "group")
        )?;
    } else {
        writeln!(out, "{}: {}{aside}", worst.label(), details.join("; "))?;
    }
    Ok(worst.exit_code())
}

fn one_line(e: &str) -> String {
    e.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Exit code 3: kview could not judge (cluster unreachable, authentication refused). The line
/// goes to stdout, where monitoring reads the verdict.
pub fn unknown(e: &dyn std::fmt::Display, json: bool, out: &mut impl Write) -> Result<u8> {
    let reason = one_line(&e.to_string());
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
    let mut reasons: Vec<String> = r
        .partitions
        .iter()
        .filter(|p| {
            !matches!(
                p.status,
                PartitionStatus::Ok
                    | PartitionStatus::NoCommits
                    | PartitionStatus::Unknown
                    | PartitionStatus::NotJudged
            )
        })
        .map(|p| format!("{}/{} {}", p.topic, p.partition, p.status.label()))
        .collect();
    let mut verdict = match r.status {
        GroupStatus::Ok => Verdict::Ok,
        GroupStatus::Warn => Verdict::Warn,
        GroupStatus::Err => Verdict::Err,
        GroupStatus::NoCommits => {
            reasons.push("no committed offsets: WARN by rule".into());
            Verdict::Warn
        }
        GroupStatus::Unknown => {
            reasons.push("it lags, and none of its commits could be read to judge it".into());
            Verdict::Unknown
        }
        GroupStatus::NotJudged => {
            reasons.push(format!(
                "a {} group: kview judges groups by their committed offsets",
                r.kind
            ));
            Verdict::Unknown
        }
    };
    let max_lag_ms = r.partitions.iter().filter_map(|p| p.lag_ms).max();
    if let (Some(max), Some(total)) = (thresholds.max_lag, r.total_lag)
        && total > max
    {
        verdict = Verdict::Err;
        reasons.push(format!("lag {total} > --max-lag {max}"));
    }
    if let (Some(max), Some(age)) = (thresholds.max_lag_time, max_lag_ms)
        && age > max.as_millis() as i64
    {
        verdict = Verdict::Err;
        reasons.push(format!(
            "lag time {} > --max-lag-time {}",
            duration(age),
            duration(max.as_millis() as i64)
        ));
    }
    GroupVerdict {
        group: r.group.clone(),
        verdict,
        status: Some(r.status),
        kind: Some(r.kind.clone()),
        total_lag: r.total_lag,
        max_lag_ms,
        reasons,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn err_outweighs_unknown_which_outweighs_warn() {
        let worst = [Verdict::Warn, Verdict::Unknown, Verdict::Err, Verdict::Ok]
            .into_iter()
            .max();
        assert_eq!(worst, Some(Verdict::Err));
        assert_eq!(Verdict::Err.exit_code(), 2);
        assert_eq!(
            [Verdict::Warn, Verdict::Unknown].into_iter().max(),
            Some(Verdict::Unknown)
        );
        assert_eq!(Verdict::Unknown.exit_code(), 3);
    }
}
