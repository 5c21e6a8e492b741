//! `kview clusters`: the profiles of the config file and whether each answers, with how kview
//! reaches it (TLS, SASL user) and never a secret.

use std::io::Write;
use std::time::Duration;

use anyhow::Result;
use futures::StreamExt;
use serde::Serialize;

use super::table::write_table;
use crate::config::Resolved;

/// Profiles probed at once.
const PROBES_AT_ONCE: usize = 8;

#[derive(Debug, Serialize)]
struct ClusterRow {
    name: String,
    default: bool,
    brokers: Vec<String>,
    security: String,
    read_only: bool,
    answers: bool,
    /// Brokers the cluster reports, when it answered.
    broker_count: Option<usize>,
    error: Option<String>,
}

pub async fn list(
    timeout: Duration,
    resolved: &Resolved,
    json: bool,
    out: &mut impl Write,
) -> Result<u8> {
    let default = resolved.file.default.as_deref();
    let rows: Vec<ClusterRow> = futures::stream::iter(resolved.file.clusters.iter())
        .map(|(name, cluster)| async move {
            let read_only = resolved.read_only_for(cluster);
            let probe = cluster.probe(timeout, read_only).await;
            ClusterRow {
                name: name.clone(),
                default: default == Some(name.as_str()),
                brokers: cluster.brokers.clone(),
                security: cluster.describe(),
                read_only,
                answers: probe.is_ok(),
                broker_count: probe.as_ref().ok().copied(),
                error: probe.err(),
            }
        })
        .buffered(PROBES_AT_ONCE)
        .collect()
        .await;
    if json {
        serde_json::to_writer_pretty(&mut *out, &rows)?;
        writeln!(out)?;
        return Ok(0);
    }
    if rows.is_empty() {
        let path = resolved
            .file
            .path
            .clone()
            .or_else(crate::config::ConfigFile::default_path)
            .map_or("a config file".to_owned(), |p| p.display().to_string());
        writeln!(out, "no clusters configured: add [clusters.NAME] to {path}")?;
        return Ok(0);
    }
    let table = rows
        .iter()
        .map(|r| {
            vec![
                if r.default {
                    format!("{} *", r.name)
                } else {
                    r.name.clone()
                },
                r.brokers.join(","),
                r.security.clone(),
                if r.read_only { "read-only" } else { "" }.to_owned(),
                match (&r.broker_count, &r.error) {
                    (Some(n), _) => format!("yes ({n} broker{})", if *n == 1 { "" } else { "s" }),
                    (None, Some(e)) => format!("no: {e}"),
                    (None, None) => "no".to_owned(),
                },
            ]
        })
        .collect();
    write_table(
        out,
        &["CLUSTER", "BROKERS", "SECURITY", "MODE", "ANSWERS"],
        table,
    )?;
    Ok(0)
}
