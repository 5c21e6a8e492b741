//! `kview groups`, `kview delete-group` and `kview reset-offsets`.

use std::io::Write;

use anyhow::{Result, bail};
use serde::Serialize;

use crate::cli::ResetArgs;
use crate::collect::groups as collect;
use crate::human::plural;
use crate::kafka::{GroupDescription, GroupKind, KafkaClient};
use crate::lag::reset::ResetTarget;

use super::table::write_table;

#[derive(Debug, Serialize)]
struct GroupRow {
    group: String,
    /// classic, consumer, share or streams.
    kind: GroupKind,
    state: String,
    /// The group's protocol type (`consumer` for consumer groups of both protocols).
    protocol_type: String,
    /// The assignor (the consumer protocol's is the broker's).
    assignor: String,
    /// None when kview cannot know (a streams group).
    members: Option<usize>,
    /// Members still taking or giving up partitions (consumer protocol).
    reconciling: usize,
}

/// `kview groups`: every group with its kind, state and members, described in one request per
/// coordinator and kind.
pub async fn list(client: &KafkaClient, json: bool, out: &mut impl Write) -> Result<()> {
    let groups = client.list_groups().await?;
    let descriptions = client.describe_groups(&groups).await;
    let rows: Vec<GroupRow> = groups
        .into_iter()
        .zip(descriptions)
        .map(|(g, d)| {
            let d = d.ok();
            GroupRow {
                members: d
                    .as_ref()
                    .filter(|d| d.note.is_none())
                    .map(|d| d.members.len()),
                reconciling: d.as_ref().map_or(0, GroupDescription::reconciling),
                assignor: d.as_ref().map(|d| d.protocol.clone()).unwrap_or_default(),
                state: d.map(|d| d.state).unwrap_or(g.state),
                group: g.group_id,
                kind: g.kind,
                protocol_type: g.protocol_type,
            }
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
            let members = r.members.map_or_else(|| "?".into(), |m| m.to_string());
            vec![
                r.group,
                r.kind.to_string(),
                if r.reconciling > 0 {
                    format!("{} (reconciling)", r.state)
                } else {
                    r.state
                },
                members,
                r.assignor,
            ]
        })
        .collect();
    write_table(
        out,
        &["GROUP", "TYPE", "STATE", "MEMBERS", "ASSIGNOR"],
        table,
    )
}

/// `kview groups GROUP`: one group's kind, state, epochs and every member with its
/// subscription and assignment (and target assignment while it reconciles).
pub async fn describe(
    client: &KafkaClient,
    group: &str,
    json: bool,
    out: &mut impl Write,
) -> Result<()> {
    let d = client.describe_group(group).await?;
    if d.state == "Dead" && d.note.is_none() {
        bail!("unknown group {group:?}");
    }
    if json {
        serde_json::to_writer_pretty(&mut *out, &d)?;
        writeln!(out)?;
        return Ok(());
    }
    let mut line = format!("group {} ({} group): {}", d.group_id, d.kind, d.state);
    if !d.protocol.is_empty() {
        line.push_str(&format!(", assignor {}", d.protocol));
    }
    if let (Some(g), Some(a)) = (d.group_epoch, d.assignment_epoch) {
        line.push_str(&format!(", group epoch {g}, assignment epoch {a}"));
    }
    line.push_str(&format!(", coordinator {}", d.coordinator));
    writeln!(out, "{line}")?;
    if let Some(note) = &d.note {
        writeln!(out, "{note}")?;
        return Ok(());
    }
    let partitions = |ps: &[(String, i32)]| {
        if ps.is_empty() {
            return "-".to_owned();
        }
        ps.iter()
            .map(|(t, p)| format!("{t}/{p}"))
            .collect::<Vec<_>>()
            .join(",")
    };
    let rows = d
        .members
        .iter()
        .map(|m| {
            let subscription = match (&m.subscribed_regex, m.subscribed_topics.is_empty()) {
                (Some(re), _) => format!("/{re}/"),
                (None, false) => m.subscribed_topics.join(","),
                (None, true) => "-".into(),
            };
            let target = match &m.target_assignment {
                Some(t) if m.reconciling() => format!("reconciling to {}", partitions(t)),
                _ => String::new(),
            };
            vec![
                m.member_id.clone(),
                m.instance_id.clone().unwrap_or_else(|| "-".into()),
                format!("{}@{}", m.client_id, m.host),
                m.member_epoch.map_or_else(|| "-".into(), |e| e.to_string()),
                m.member_type.clone().unwrap_or_else(|| d.kind.to_string()),
                subscription,
                partitions(&m.assignment),
                target,
            ]
        })
        .collect();
    write_table(
        out,
        &[
            "MEMBER",
            "INSTANCE",
            "CLIENT",
            "EPOCH",
            "PROTOCOL",
            "SUBSCRIPTION",
            "ASSIGNMENT",
            "",
        ],
        rows,
    )?;
    writeln!(out, "{}", plural(d.members.len() as i64, "member"))?;
    Ok(())
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
