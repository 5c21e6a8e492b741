//! `kview connect`: Kafka Connect's connectors with their state, tasks, topics and failures,
//! and the actions on them — every write refused read-only, a delete confirmed by its name.

use std::io::{BufRead, IsTerminal, Write};
use std::path::Path;

use anyhow::{Result, bail};
use serde_json::{Map, Value, json};

use super::blocking;
use super::table::write_table;
use crate::cli::ConnectCommand;
use crate::connect::{ConnectClient, Connector, first_line};

/// `clusters` are the Connect clusters configured (name, client): the list covers them all,
/// anything else needs exactly one.
pub async fn run(
    clusters: Vec<(String, ConnectClient)>,
    action: Option<&ConnectCommand>,
    json: bool,
    read_only: bool,
    out: &mut impl Write,
) -> Result<u8> {
    let writes = !matches!(
        action,
        None | Some(ConnectCommand::Show { .. })
            | Some(ConnectCommand::Plugins)
            | Some(ConnectCommand::Offsets { reset: false, .. })
    );
    if writes && read_only {
        bail!("read-only mode: refusing to change Kafka Connect");
    }
    let Some(action) = action else {
        list(clusters, json, out).await?;
        return Ok(0);
    };
    let c = match clusters.as_slice() {
        [(_, one)] => one.clone(),
        _ => bail!(
            "this profile has {} Connect clusters ({}): pick one with --connect NAME",
            clusters.len(),
            clusters
                .iter()
                .map(|(n, _)| n.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    match action {
        ConnectCommand::Show { name, trace } => {
            let name = name.clone();
            let connector = blocking(move || Ok(c.with_topics(c.connector(&name)?))).await?;
            show(&connector, *trace, json, out)?;
        }
        ConnectCommand::Pause { name } => act(c, name, "paused", |c, n| c.pause(n), out).await?,
        ConnectCommand::Resume { name } => act(c, name, "resumed", |c, n| c.resume(n), out).await?,
        ConnectCommand::Stop { name } => act(c, name, "stopped", |c, n| c.stop(n), out).await?,
        ConnectCommand::Restart {
            name,
            include_tasks,
            only_failed,
        } => {
            let (tasks, failed) = (*include_tasks, *only_failed);
            act(
                c,
                name,
                "restarted",
                move |c, n| c.restart(n, tasks, failed),
                out,
            )
            .await?
        }
        ConnectCommand::Delete { name, yes } => {
            if !yes {
                confirm(name)?;
            }
            act(c, name, "deleted", |c, n| c.delete(n), out).await?
        }
        ConnectCommand::Create { name, file } => {
            let config = read_config(file)?;
            let name = name.clone();
            let exists = {
                let (c, name) = (c.clone(), name.clone());
                blocking(move || Ok(c.connector(&name).is_ok())).await?
            };
            if exists {
                bail!("connector {name} exists already; `kview connect set-config` changes it");
            }
            validated_put(c, &name, config).await?;
            writeln!(out, "created connector {name}")?;
        }
        ConnectCommand::SetConfig { name, set, unset } => {
            let mut config = {
                let (c, name) = (c.clone(), name.clone());
                blocking(move || c.config(&name)).await?
            };
            if set.is_empty() && unset.is_empty() {
                bail!("nothing to change: give KEY=VALUE or --unset KEY");
            }
            for pair in set {
                let Some((k, v)) = pair.split_once('=') else {
                    bail!("{pair:?} is not KEY=VALUE");
                };
                config.insert(k.trim().to_owned(), Value::String(v.to_owned()));
            }
            for key in unset {
                config.remove(key.trim());
            }
            validated_put(c, name, config).await?;
            writeln!(out, "connector {name}: config changed")?;
        }
        ConnectCommand::Offsets { name, reset: false } => {
            let name = name.clone();
            let offsets = blocking(move || c.offsets(&name)).await?;
            writeln!(out, "{}", serde_json::to_string_pretty(&offsets)?)?;
        }
        ConnectCommand::Offsets { name, reset: true } => {
            act(c, name, "offsets reset of", |c, n| c.reset_offsets(n), out).await?
        }
        ConnectCommand::Plugins => {
            let plugins = blocking(move || c.plugins()).await?;
            if json {
                writeln!(out, "{}", serde_json::to_string(&plugins)?)?;
            } else {
                let rows = plugins
                    .iter()
                    .map(|p| vec![p.class.clone(), p.kind.clone(), p.version.clone()])
                    .collect();
                write_table(out, &["CLASS", "TYPE", "VERSION"], rows)?;
            }
        }
    }
    Ok(0)
}

/// One action on a connector, said in a line: "paused connector NAME".
async fn act(
    client: ConnectClient,
    name: &str,
    done: &str,
    action: impl FnOnce(&ConnectClient, &str) -> Result<(), String> + Send + 'static,
    out: &mut impl Write,
) -> Result<()> {
    let asked = name.to_owned();
    blocking(move || action(&client, &asked)).await?;
    writeln!(out, "{done} connector {name}")?;
    Ok(())
}

async fn list(
    clusters: Vec<(String, ConnectClient)>,
    json: bool,
    out: &mut impl Write,
) -> Result<()> {
    let several = clusters.len() > 1;
    let mut rows = Vec::new();
    let mut json_rows = Vec::new();
    let mut unreachable = Vec::new();
    for (cluster, client) in clusters {
        let url = client.url().to_owned();
        let listed = blocking(move || client.connectors_with_topics()).await;
        let connectors = match listed {
            Ok(l) => l,
            // One Connect cluster down leaves the others listed; alone, it is the error.
            Err(e) if several => {
                unreachable.push(format!("{cluster}: {e}"));
                continue;
            }
            Err(e) => return Err(e),
        };
        if connectors.is_empty() && !json {
            writeln!(out, "no connectors on {url}")?;
        }
        for c in &connectors {
            let t = &c.topics;
            let mut v = serde_json::to_value(c).unwrap_or_default();
            v["connect"] = json!(cluster);
            json_rows.push(v);
            let mut row = vec![
                c.name.clone(),
                c.kind.clone(),
                c.state.clone(),
                tasks(c),
                workers(c),
                short_class(&c.class),
                if t.is_empty() {
                    "-".into()
                } else {
                    t.join(",")
                },
                c.first_failure().unwrap_or_default(),
            ];
            if several {
                row.insert(0, cluster.clone());
            }
            rows.push(row);
        }
    }
    if json {
        writeln!(out, "{}", Value::Array(json_rows))?;
    } else if !rows.is_empty() {
        let mut header = vec![
            "NAME", "TYPE", "STATE", "TASKS", "WORKERS", "CLASS", "TOPICS", "FAILURE",
        ];
        if several {
            header.insert(0, "CONNECT");
        }
        write_table(out, &header, rows)?;
    }
    for line in &unreachable {
        eprintln!("kview: {line}");
    }
    if !unreachable.is_empty() {
        bail!(
            "{} of the Connect clusters did not answer",
            unreachable.len()
        );
    }
    Ok(())
}

/// "2/2 running", "1/2 running, 1 failed".
fn tasks(c: &Connector) -> String {
    let failed = c.failed_tasks();
    let mut s = format!("{}/{} running", c.running_tasks(), c.tasks.len());
    if failed > 0 {
        s.push_str(&format!(", {failed} failed"));
    }
    s
}

/// The workers running the connector and its tasks, each once.
fn workers(c: &Connector) -> String {
    let mut ids: Vec<&str> = std::iter::once(c.worker.as_str())
        .chain(c.tasks.iter().map(|t| t.worker.as_str()))
        .filter(|w| !w.is_empty())
        .collect();
    ids.sort_unstable();
    ids.dedup();
    if ids.is_empty() {
        "-".into()
    } else {
        ids.join(",")
    }
}

/// `FileStreamSinkConnector` for `org.apache.kafka.connect.file.FileStreamSinkConnector`.
fn short_class(class: &str) -> String {
    class.rsplit('.').next().unwrap_or(class).to_owned()
}

fn show(c: &Connector, trace: bool, json: bool, out: &mut impl Write) -> Result<()> {
    let topics = &c.topics;
    if json {
        writeln!(out, "{}", serde_json::to_value(c)?)?;
        return Ok(());
    }
    writeln!(
        out,
        "connector {} ({}, {}): {} on {}",
        c.name, c.kind, c.class, c.state, c.worker
    )?;
    if let Some(t) = &c.trace {
        writeln!(out, "failure: {}", first_line(t))?;
        if trace {
            writeln!(out, "{t}")?;
        }
    }
    writeln!(
        out,
        "topics: {}",
        if topics.is_empty() {
            "-".into()
        } else {
            topics.join(", ")
        }
    )?;
    writeln!(out)?;
    let rows = c
        .tasks
        .iter()
        .map(|t| {
            vec![
                t.id.to_string(),
                t.state.clone(),
                t.worker.clone(),
                t.trace.as_deref().map(first_line).unwrap_or_default(),
            ]
        })
        .collect();
    write_table(out, &["TASK", "STATE", "WORKER", "FAILURE"], rows)?;
    if trace {
        for t in c.tasks.iter().filter(|t| t.trace.is_some()) {
            writeln!(
                out,
                "\ntask {} trace:\n{}",
                t.id,
                t.trace.as_deref().unwrap_or_default()
            )?;
        }
    }
    writeln!(out)?;
    let rows = c
        .config
        .iter()
        .map(|(k, v)| {
            vec![
                k.clone(),
                v.as_str().map_or_else(|| v.to_string(), str::to_owned),
            ]
        })
        .collect();
    write_table(out, &["CONFIG", "VALUE"], rows)
}

/// A connector's config from a file: JSON (the config itself, or `{"name", "config"}` as the
/// REST API takes it) or Java properties.
fn read_config(path: &Path) -> Result<Map<String, Value>> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        anyhow::anyhow!(
            "cannot read {}: {}",
            path.display(),
            crate::kafka::conn::io_reason(&e)
        )
    })?;
    let is_json =
        path.extension().is_some_and(|e| e == "json") || text.trim_start().starts_with('{');
    if is_json {
        let value: Value = serde_json::from_str(&text)
            .map_err(|e| anyhow::anyhow!("{} is not JSON: {e}", path.display()))?;
        let config = value.get("config").unwrap_or(&value);
        let Some(map) = config.as_object() else {
            bail!("{} holds no config object", path.display());
        };
        // The REST API takes every value as a string.
        return Ok(map
            .iter()
            .map(|(k, v)| {
                let text = v.as_str().map_or_else(|| v.to_string(), str::to_owned);
                (k.clone(), Value::String(text))
            })
            .collect());
    }
    let props = java_properties::read(text.as_bytes())
        .map_err(|e| anyhow::anyhow!("{} is not a properties file: {e}", path.display()))?;
    Ok(props
        .into_iter()
        .map(|(k, v)| (k, Value::String(v)))
        .collect())
}

/// Writes a config once the worker validated it; its errors listed by field otherwise.
async fn validated_put(
    client: ConnectClient,
    name: &str,
    mut config: Map<String, Value>,
) -> Result<()> {
    let name = name.to_owned();
    // The worker validates the name with the rest.
    config.insert("name".into(), Value::String(name.clone()));
    let verdict = blocking(move || {
        let verdict = client.validate(&config)?;
        if verdict.is_ok() {
            client.put_config(&name, &config)?;
        }
        Ok(verdict)
    })
    .await?;
    if let Err(invalid) = verdict {
        let errors: Vec<String> = invalid
            .fields
            .iter()
            .map(|(field, errors)| format!("{field}: {}", errors.join("; ")))
            .collect();
        bail!("the worker refused the config: {}", errors.join(" · "));
    }
    Ok(())
}

fn confirm(name: &str) -> Result<()> {
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        bail!(
            "refusing to delete connector {name} without --yes (stdin is not a terminal to ask on)"
        );
    }
    eprint!("Delete connector {name} and its tasks? Type its name to confirm: ");
    let mut answer = String::new();
    stdin.lock().read_line(&mut answer)?;
    if answer.trim_end_matches(['\r', '\n']) != name {
        bail!("not confirmed; connector {name} kept");
    }
    Ok(())
}

/// A connector as the monitoring check judges it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ConnectorVerdict {
    pub name: String,
    pub verdict: super::lag::Verdict,
    pub state: String,
    pub reason: String,
}

/// The connectors of each Connect cluster (by name), as read.
pub type ConnectReads = Vec<(String, Result<Vec<Connector>, String>)>;

/// A failed connector or task is ERR, a paused connector WARN, the rest OK; a Connect cluster
/// that cannot be asked is one UNKNOWN entry. With several Connect clusters a connector is
/// named `cluster/connector`.
pub fn verdicts(reads: ConnectReads) -> Vec<ConnectorVerdict> {
    let qualify = reads.len() > 1;
    reads
        .into_iter()
        .flat_map(|(cluster, read)| {
            let prefix = if qualify {
                format!("{cluster}/")
            } else {
                String::new()
            };
            cluster_verdicts(&cluster, &prefix, read)
        })
        .collect()
}

fn cluster_verdicts(
    cluster: &str,
    prefix: &str,
    read: Result<Vec<Connector>, String>,
) -> Vec<ConnectorVerdict> {
    use super::lag::Verdict;
    let connectors = match read {
        Ok(c) => c,
        Err(e) => {
            return vec![ConnectorVerdict {
                name: format!("(Kafka Connect {cluster})").replace(" )", ")"),
                verdict: Verdict::Unknown,
                state: "UNKNOWN".into(),
                reason: e,
            }];
        }
    };
    connectors
        .iter()
        .map(|c| {
            let failed_tasks: Vec<String> = c
                .tasks
                .iter()
                .filter(|t| t.state == "FAILED")
                .map(|t| {
                    let why = t.trace.as_deref().map(first_line).unwrap_or_default();
                    format!("task {} failed: {why}", t.id)
                })
                .collect();
            let (verdict, reason) = if c.state == "FAILED" {
                let why = c.trace.as_deref().map(first_line).unwrap_or_default();
                (Verdict::Err, format!("failed: {why}"))
            } else if !failed_tasks.is_empty() {
                (Verdict::Err, failed_tasks.join(", "))
            } else if c.state == "PAUSED" {
                (Verdict::Warn, "paused".to_owned())
            } else {
                (Verdict::Ok, tasks(c))
            };
            ConnectorVerdict {
                name: format!("{prefix}{}", c.name),
                verdict,
                state: c.state.clone(),
                reason,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::connect::Task;
    use crate::headless::lag::Verdict;

    fn connector(state: &str, task: &str) -> Connector {
        Connector {
            name: "c".into(),
            kind: "sink".into(),
            class: "X".into(),
            state: state.into(),
            worker: "w".into(),
            trace: None,
            tasks: vec![Task {
                id: 0,
                state: task.into(),
                worker: "w".into(),
                trace: (task == "FAILED").then(|| "java.io.IOException: disk full\n\tat x".into()),
            }],
            config: Default::default(),
            topics: Vec::new(),
        }
    }

    #[test]
    fn failed_tasks_are_err_paused_connectors_warn() {
        let judged = verdicts(vec![(
            "w".into(),
            Ok(vec![
                connector("RUNNING", "FAILED"),
                connector("PAUSED", "PAUSED"),
                connector("RUNNING", "RUNNING"),
            ]),
        )]);
        let v: Vec<Verdict> = judged.iter().map(|j| j.verdict).collect();
        assert_eq!(v, [Verdict::Err, Verdict::Warn, Verdict::Ok]);
        assert_eq!(
            judged[0].reason,
            "task 0 failed: java.io.IOException: disk full"
        );
        assert_eq!(judged[0].name, "c");
        let unknown = verdicts(vec![("w".into(), Err("cannot reach Kafka Connect".into()))]);
        assert_eq!(unknown[0].verdict, Verdict::Unknown);
        assert_eq!(unknown[0].name, "(Kafka Connect w)");
    }

    #[test]
    fn connectors_of_several_connect_clusters_are_named_by_both() {
        let judged = verdicts(vec![
            ("cdc".into(), Ok(vec![connector("PAUSED", "PAUSED")])),
            ("sinks".into(), Err("no answer within 10s".into())),
        ]);
        let names: Vec<&str> = judged.iter().map(|j| j.name.as_str()).collect();
        assert_eq!(names, ["cdc/c", "(Kafka Connect sinks)"]);
    }
}
