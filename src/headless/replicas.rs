//! `kview reassign`, `reassignments`, `elect-leaders` and `delete-records`: moving replicas
//! and leaders, and trimming a topic's log — each shown before it is done.

use std::collections::BTreeMap;
use std::io::Write;

use anyhow::{Result, bail};
use serde_json::json;

use super::table::write_table;
use crate::cli::{DeleteRecordsArgs, ElectArgs, ReassignArgs};
use crate::kafka::client::{ConfigTarget, replication_plan};
use crate::kafka::{KafkaClient, StartAt};

/// ELECTION_NOT_NEEDED: the preferred replica leads already.
const ELECTION_NOT_NEEDED: &str = "ELECTION_NOT_NEEDED";

pub async fn reassign(
    client: &KafkaClient,
    args: &ReassignArgs,
    out: &mut impl Write,
) -> Result<()> {
    let meta = client.metadata(None).await?;
    let topic = meta.topic(&args.topic)?.clone();
    let brokers: Vec<i32> = meta.brokers.iter().map(|b| b.id).collect();
    let current: Vec<(i32, Vec<i32>)> = topic
        .partitions
        .iter()
        .map(|p| (p.id, p.replicas.to_vec()))
        .collect();
    let plan = match (args.replication_factor, args.partition) {
        (Some(factor), _) => {
            let mut load: BTreeMap<i32, usize> = BTreeMap::new();
            for p in meta.topics.iter().flat_map(|t| &t.partitions) {
                for r in &p.replicas {
                    *load.entry(*r).or_default() += 1;
                }
            }
            replication_plan(&current, &brokers, &load, factor).map_err(anyhow::Error::msg)?
        }
        (None, Some(partition)) => {
            topic.partition(partition)?;
            let mut seen = args.replicas.clone();
            seen.sort();
            seen.dedup();
            if seen.len() != args.replicas.len() {
                bail!("--replicas names a broker twice");
            }
            if let Some(b) = args.replicas.iter().find(|b| !brokers.contains(b)) {
                bail!("there is no broker {b} (brokers: {brokers:?})");
            }
            vec![(partition, args.replicas.clone())]
        }
        (None, None) => {
            bail!("say what to change: --replication-factor N, or -p P --replicas 1,2,3")
        }
    };
    let before: BTreeMap<i32, Vec<i32>> = current.into_iter().collect();
    if args.json {
        let rows: Vec<_> = plan
            .iter()
            .map(|(p, to)| json!({"partition": p, "from": before.get(p), "to": to}))
            .collect();
        writeln!(
            out,
            "{}",
            json!({"topic": topic.name, "plan": rows, "executed": args.execute})
        )?;
    } else if plan.is_empty() {
        writeln!(out, "{}: nothing to move", topic.name)?;
        return Ok(());
    } else {
        let list = |r: &[i32]| r.iter().map(i32::to_string).collect::<Vec<_>>().join(",");
        let rows = plan
            .iter()
            .map(|(p, to)| {
                let from = before.get(p).map(|r| list(r)).unwrap_or_default();
                vec![p.to_string(), from, list(to)]
            })
            .collect();
        write_table(out, &["PARTITION", "REPLICAS NOW", "REPLICAS AFTER"], rows)?;
    }
    if plan.is_empty() {
        return Ok(());
    }
    if !args.execute {
        if !args.json {
            writeln!(
                out,
                "nothing changed; run again with --execute to move the replicas"
            )?;
        }
        return Ok(());
    }
    if let Some(rate) = &args.throttle {
        let rate =
            crate::human::config_raw("rate.bytes", rate.trim_end_matches("/s")).map_err(|e| {
                anyhow::anyhow!("--throttle: {}", e.replace("rate.bytes", "a byte rate"))
            })?;
        throttle(client, &topic.name, &before, &plan, &rate).await?;
        if !args.json {
            writeln!(
                out,
                "replication of the moving replicas throttled to {}/s; once done, `kview reassignments --clear-throttle {}` lifts it",
                crate::human::config_value("rate.bytes", &rate),
                topic.name
            )?;
        }
    }
    let moves: Vec<(i32, Option<Vec<i32>>)> =
        plan.iter().map(|(p, r)| (*p, Some(r.clone()))).collect();
    client.reassign(&topic.name, &moves).await?;
    if !args.json {
        writeln!(
            out,
            "reassigning {}; `kview reassignments` shows the progress",
            crate::human::plural(plan.len() as i64, "partition")
        )?;
    }
    Ok(())
}

/// The broker configs that cap replication, and the topic configs that say which replicas
/// they apply to: what Kafka's reassignment tool sets for `--throttle`.
const RATE_KEYS: [&str; 2] = [
    "leader.replication.throttled.rate",
    "follower.replication.throttled.rate",
];
const REPLICA_KEYS: [&str; 2] = [
    "leader.replication.throttled.replicas",
    "follower.replication.throttled.replicas",
];

/// Throttles a move: the rate on every broker involved; on the topic, the current replicas of
/// the moving partitions as leaders and the new ones as followers.
async fn throttle(
    client: &KafkaClient,
    topic: &str,
    before: &BTreeMap<i32, Vec<i32>>,
    plan: &[(i32, Vec<i32>)],
    rate: &str,
) -> Result<()> {
    let mut brokers: Vec<i32> = Vec::new();
    let mut leaders = Vec::new();
    let mut followers = Vec::new();
    for (p, to) in plan {
        let from = before.get(p).cloned().unwrap_or_default();
        leaders.extend(from.iter().map(|b| format!("{p}:{b}")));
        followers.extend(
            to.iter()
                .filter(|b| !from.contains(b))
                .map(|b| format!("{p}:{b}")),
        );
        brokers.extend(from.iter().chain(to));
    }
    brokers.sort();
    brokers.dedup();
    for broker in brokers {
        for key in RATE_KEYS {
            client
                .alter_config(&ConfigTarget::Broker(broker), key, Some(rate))
                .await?;
        }
    }
    let target = ConfigTarget::Topic(topic.to_owned());
    for (key, list) in REPLICA_KEYS.iter().zip([leaders, followers]) {
        client
            .alter_config(&target, key, Some(&list.join(",")))
            .await?;
    }
    Ok(())
}

/// Lifts a finished move's throttle: the topic's throttled replicas, and the brokers' rates
/// once nothing else is moving.
pub async fn clear_throttle(client: &KafkaClient, topic: &str, out: &mut impl Write) -> Result<()> {
    let moving = client.reassignments().await?;
    if moving.iter().any(|r| r.topic == topic) {
        bail!("{topic} is still moving (`kview reassignments` shows how far); its throttle stays");
    }
    let target = ConfigTarget::Topic(topic.to_owned());
    for key in REPLICA_KEYS {
        client.alter_config(&target, key, None).await?;
    }
    if moving.is_empty() {
        let meta = client.metadata(Some(&[])).await?;
        for b in &meta.brokers {
            for key in RATE_KEYS {
                client
                    .alter_config(&ConfigTarget::Broker(b.id), key, None)
                    .await?;
            }
        }
        writeln!(out, "throttle lifted from {topic} and every broker")?;
    } else {
        writeln!(
            out,
            "throttle lifted from {topic}; the brokers' rates stay while other topics move"
        )?;
    }
    Ok(())
}

pub async fn reassignments(
    client: &KafkaClient,
    cancel: Option<&str>,
    json: bool,
    out: &mut impl Write,
) -> Result<()> {
    let moving = client.reassignments().await?;
    if let Some(topic) = cancel {
        client.check_writable("cancel a reassignment")?;
        let partitions: Vec<(i32, Option<Vec<i32>>)> = moving
            .iter()
            .filter(|r| r.topic == topic)
            .map(|r| (r.partition, None))
            .collect();
        if partitions.is_empty() {
            bail!("no reassignment of {topic} is in progress");
        }
        client.reassign(topic, &partitions).await?;
        writeln!(
            out,
            "cancelled the reassignment of {} of {topic}",
            crate::human::plural(partitions.len() as i64, "partition")
        )?;
        return Ok(());
    }
    if json {
        writeln!(out, "{}", serde_json::to_string(&moving)?)?;
        return Ok(());
    }
    if moving.is_empty() {
        writeln!(out, "no reassignment in progress")?;
        return Ok(());
    }
    let list = |r: &[i32]| r.iter().map(i32::to_string).collect::<Vec<_>>().join(",");
    let rows = moving
        .iter()
        .map(|r| {
            vec![
                r.topic.clone(),
                r.partition.to_string(),
                list(&r.replicas),
                list(&r.adding),
                list(&r.removing),
            ]
        })
        .collect();
    write_table(
        out,
        &["TOPIC", "PARTITION", "REPLICAS", "ADDING", "REMOVING"],
        rows,
    )
}

/// Partitions whose leader is not their preferred (first) replica.
async fn off_preferred(client: &KafkaClient, topic: Option<&str>) -> Result<Vec<(String, i32)>> {
    let meta = client.metadata(None).await?;
    Ok(meta
        .topics
        .iter()
        .filter(|t| topic.is_none_or(|name| t.name == name))
        .flat_map(|t| {
            t.partitions
                .iter()
                .filter(|p| p.replicas.first().is_some_and(|r| *r != p.leader))
                .map(|p| (t.name.clone(), p.id))
        })
        .collect())
}

pub async fn elect_leaders(
    client: &KafkaClient,
    args: &ElectArgs,
    out: &mut impl Write,
) -> Result<()> {
    let before = off_preferred(client, args.topic.as_deref()).await?;
    let wanted: Option<Vec<(String, i32)>> = match (&args.topic, args.partition) {
        (Some(t), Some(p)) => {
            client.topic(t).await?.partition(p)?;
            Some(vec![(t.clone(), p)])
        }
        (Some(t), None) => {
            let info = client.topic(t).await?;
            Some(info.partitions.iter().map(|p| (t.clone(), p.id)).collect())
        }
        // Every partition: the controller elects where it is needed.
        (None, _) => None,
    };
    let results = client
        .elect_leaders(wanted.as_deref(), args.unclean)
        .await?;
    let after = off_preferred(client, args.topic.as_deref()).await?;
    let elected = results.iter().filter(|r| r.error.is_none()).count();
    let failed: Vec<_> = results
        .iter()
        .filter(|r| {
            r.error
                .as_deref()
                .is_some_and(|e| !e.starts_with(ELECTION_NOT_NEEDED))
        })
        .collect();
    if args.json {
        writeln!(
            out,
            "{}",
            json!({
                "elected": results.iter().filter(|r| r.error.is_none()).collect::<Vec<_>>(),
                "failed": failed,
                "off_preferred_before": before.len(),
                "off_preferred_after": after.len(),
            })
        )?;
    } else {
        for r in results.iter().filter(|r| r.error.is_none()) {
            writeln!(out, "{}/{}: leader elected", r.topic, r.partition)?;
        }
        for r in &failed {
            writeln!(
                out,
                "{}/{}: {}",
                r.topic,
                r.partition,
                r.error.as_deref().unwrap_or_default()
            )?;
        }
        writeln!(
            out,
            "{elected} elected; partitions not led by their preferred replica: {} before, {} after",
            before.len(),
            after.len()
        )?;
    }
    if !failed.is_empty() {
        bail!(
            "{} could not be elected",
            crate::human::plural(failed.len() as i64, "partition")
        );
    }
    Ok(())
}

pub async fn delete_records(
    client: &KafkaClient,
    args: &DeleteRecordsArgs,
    out: &mut impl Write,
) -> Result<()> {
    let info = client.topic(&args.topic).await?;
    let partitions: Vec<i32> = match args.partition {
        Some(p) => vec![info.partition(p)?.id],
        None => info.partitions.iter().map(|p| p.id).collect(),
    };
    let keys: Vec<(String, i32)> = partitions.iter().map(|p| (info.name.clone(), *p)).collect();
    let marks = client.watermarks(&keys).await;
    let cut: Vec<i64> = match (&args.before, &args.before_time) {
        (Some(offset), _) => partitions.iter().map(|_| *offset).collect(),
        (None, Some(time)) => {
            let StartAt::Timestamp(ms) = time.parse::<StartAt>().map_err(anyhow::Error::msg)?
            else {
                bail!("--before-time takes @UNIX_MS or an RFC 3339 time");
            };
            let asks: Vec<(String, i32, i64)> = partitions
                .iter()
                .map(|p| (info.name.clone(), *p, ms))
                .collect();
            client
                .offsets_for_times(&asks)
                .await
                .into_iter()
                .collect::<std::result::Result<_, _>>()?
        }
        (None, None) => bail!("say where: --before OFFSET or --before-time TIME"),
    };
    let mut plan = Vec::new();
    for ((p, marks), before) in partitions.iter().zip(marks).zip(cut) {
        let marks = marks?;
        if before > marks.high {
            bail!(
                "{}/{p}: offset {before} is past the end ({})",
                info.name,
                crate::kafka::reader::holds(marks)
            );
        }
        let goes = (before - marks.low).max(0);
        plan.push((*p, marks.low, before.max(marks.low), goes));
    }
    let total: i64 = plan.iter().map(|r| r.3).sum();
    if !args.json {
        let rows = plan
            .iter()
            .map(|(p, low, to, goes)| {
                vec![
                    p.to_string(),
                    low.to_string(),
                    to.to_string(),
                    goes.to_string(),
                ]
            })
            .collect();
        write_table(
            out,
            &["PARTITION", "LOW NOW", "LOW AFTER", "RECORDS DELETED"],
            rows,
        )?;
    }
    if !args.execute {
        if args.json {
            let rows: Vec<_> = plan
                .iter()
                .map(|(p, low, to, goes)| json!({"partition": p, "low": low, "low_after": to, "deleted": goes}))
                .collect();
            writeln!(
                out,
                "{}",
                json!({"topic": info.name, "plan": rows, "executed": false})
            )?;
        } else {
            writeln!(
                out,
                "nothing deleted; run again with --execute to delete {total} records"
            )?;
        }
        return Ok(());
    }
    client.check_writable("delete records")?;
    let asks: Vec<(i32, i64)> = plan
        .iter()
        .filter(|r| r.3 > 0)
        .map(|(p, _, to, _)| (*p, *to))
        .collect();
    let done = client.delete_records(&info.name, &asks).await?;
    let mut failed = 0;
    let mut lows = Vec::new();
    for (p, result) in &done {
        match result {
            Ok(low) => lows.push(json!({"partition": p, "low": low})),
            Err(e) => {
                failed += 1;
                eprintln!("kview: {}/{p}: {e}", info.name);
            }
        }
    }
    if args.json {
        writeln!(
            out,
            "{}",
            json!({"topic": info.name, "deleted": lows, "executed": true})
        )?;
    } else {
        writeln!(out, "deleted {total} records of {}", info.name)?;
    }
    if failed > 0 {
        bail!("{} failed", crate::human::plural(failed, "partition"));
    }
    Ok(())
}
