//! The scriptable commands: plain text for people, `--json` for scripts.

pub mod acls;
pub mod cluster;
pub mod clusters;
pub mod connect;
pub mod consume;
pub mod copy;
pub mod demo;
pub mod groups;
pub mod lag;
pub mod produce;
pub mod replicas;
pub mod schemas;
pub mod table;
pub mod topics;
pub mod transactions;
pub mod users;

use std::io::Write;
use std::time::Duration;

use anyhow::{Result, bail};

use crate::cli::Command;
use crate::decode::mask::Masking;
use crate::kafka::KafkaClient;
use crate::kafka::client::ConfigTarget;
use crate::schema::Registry;

/// Runs one headless command against a connected client, writing to `out`; returns the exit
/// code (0 unless `check` says otherwise).
pub async fn run(
    client: &KafkaClient,
    registry: Option<Registry>,
    masking: &Masking,
    command: &Command,
    connect: Option<Vec<(String, Result<crate::connect::ConnectClient, String>)>>,
    out: &mut impl Write,
) -> Result<u8> {
    // The client refuses every write in read-only mode; asking first fails before any work.
    let writable = |what: &str| client.check_writable(what).map_err(anyhow::Error::from);
    let result = match command {
        Command::Topics { all, json } => topics::list(client, *all, *json, out).await,
        Command::Describe { topic, json } => topics::describe(client, topic, *json, out).await,
        Command::Produce(args) => {
            writable("produce")?;
            produce::run(client, registry, args, std::io::stdin(), out).await
        }
        Command::Consume(args) => consume::run(client, registry, masking, args, out).await,
        Command::Groups { group: None, json } => groups::list(client, *json, out).await,
        Command::Groups {
            group: Some(group),
            json,
        } => groups::describe(client, group, *json, out).await,
        Command::Lag {
            group,
            json,
            watch,
            interval,
            rules,
        } => {
            let every = watch.then(|| Duration::from_secs((*interval).max(1)));
            lag::lag(client, group.as_deref(), *json, every, rules, out).await
        }
        Command::Check {
            groups: named,
            rules,
            max_lag,
            max_lag_time,
            json,
            ..
        } => {
            let thresholds = lag::Thresholds {
                max_lag: *max_lag,
                max_lag_time: *max_lag_time,
            };
            // The connectors, when asked for: read off the async threads.
            let connectors = match connect {
                Some(clusters) => {
                    let mut reads = Vec::new();
                    for (name, client) in clusters {
                        let read = match client {
                            Ok(c) => blocking(move || c.connectors())
                                .await
                                .map_err(|e| e.to_string()),
                            Err(e) => Err(e),
                        };
                        reads.push((name, read));
                    }
                    Some(reads)
                }
                None => None,
            };
            return lag::check(client, named, rules, thresholds, connectors, *json, out).await;
        }
        Command::ResetOffsets(args) => groups::reset_offsets(client, args, out).await,
        Command::CreateTopic {
            name,
            partitions,
            replication,
        } => {
            writable("create a topic")?;
            topics::create(client, name, *partitions, *replication, out).await
        }
        Command::AddPartitions { name, partitions } => {
            writable("add partitions")?;
            topics::add_partitions(client, name, *partitions, out).await
        }
        Command::Demo(crate::cli::DemoCommand::Ml(ml)) => {
            writable(match ml {
                crate::cli::MlCommand::Produce { .. } => "produce",
                crate::cli::MlCommand::Train { .. } => "publish metrics and commit offsets",
            })?;
            demo::ml(client, ml, out).await
        }
        // Opened as the dashboard before any headless command runs.
        Command::Demo(crate::cli::DemoCommand::Sensors { .. }) => {
            Err(anyhow::anyhow!("kview demo sensors opens the dashboard"))
        }
        Command::Simulate(sim) => {
            writable("produce")?;
            demo::simulate(client, sim, out).await
        }
        Command::Process(process) => {
            writable("commit offsets")?;
            demo::process(client, process, out).await
        }
        Command::Copy(_) => bail!("kview copy connects to its target cluster itself"),
        Command::Clusters { .. } => bail!("kview clusters lists profiles; it takes no connection"),
        Command::Schemas { .. } => bail!("kview schemas talks to the schema registry only"),
        Command::Connect { .. } => bail!("kview connect talks to Kafka Connect only"),
        Command::Completions { .. } | Command::Man => {
            bail!("completions and the man page are generated without a connection")
        }
        Command::SetConfig {
            args,
            unset,
            broker,
            all_brokers,
        } => {
            let (target, set) = match (broker, all_brokers, args.split_first()) {
                (Some(id), _, _) => (ConfigTarget::Broker(*id), &args[..]),
                (None, true, _) => (ConfigTarget::AllBrokers, &args[..]),
                (None, false, Some((topic, set))) => (ConfigTarget::Topic(topic.clone()), set),
                (None, false, None) => bail!("name a topic, or --broker ID or --all-brokers"),
            };
            writable(match target {
                ConfigTarget::Topic(_) => "change a topic's configs",
                _ => "change broker configs",
            })?;
            topics::set_config(client, &target, set, unset, out).await
        }
        Command::Transactions { action, json } => match action {
            None => transactions::list(client, *json, out).await,
            Some(crate::cli::TransactionsCommand::Hanging {
                topic,
                partition,
                max_age,
                json,
            }) => {
                transactions::hanging(client, topic.as_deref(), *partition, *max_age, *json, out)
                    .await
            }
            Some(crate::cli::TransactionsCommand::Abort {
                topic,
                partition,
                start_offset,
                yes,
            }) => {
                writable("abort a transaction")?;
                transactions::abort(client, topic, *partition, *start_offset, *yes, out).await
            }
        },
        Command::DeleteGroup { group, yes } => {
            writable("delete a consumer group")?;
            groups::delete_group(client, group, *yes, out).await
        }
        Command::Users { action, json } => {
            if action.is_some() {
                writable("change SCRAM users")?;
            }
            users::users(client, action.as_ref(), *json, out).await
        }
        Command::Quotas { action, json } => {
            if action.is_some() {
                writable("change client quotas")?;
            }
            users::quotas(client, action.as_ref(), *json, out).await
        }
        Command::Reassign(args) => {
            if args.execute {
                writable("reassign replicas")?;
            }
            replicas::reassign(client, args, out).await
        }
        Command::Reassignments {
            cancel,
            clear_throttle: Some(topic),
            ..
        } if cancel.is_none() => {
            writable("lift a replication throttle")?;
            replicas::clear_throttle(client, topic, out).await
        }
        Command::Reassignments { cancel, json, .. } => {
            replicas::reassignments(client, cancel.as_deref(), *json, out).await
        }
        Command::ElectLeaders(args) => {
            writable("elect leaders")?;
            replicas::elect_leaders(client, args, out).await
        }
        Command::DeleteRecords(args) => {
            if args.execute {
                writable("delete records")?;
            }
            replicas::delete_records(client, args, out).await
        }
        Command::Quorum { json } => cluster::quorum(client, *json, out).await,
        Command::LogDirs { json } => cluster::log_dirs(client, *json, out).await,
        Command::Acls(args) => {
            if args.action.is_some() {
                writable("change ACLs")?;
            }
            acls::run(client, args, out).await
        }
        Command::DeleteTopic { name, yes } => {
            writable("delete a topic")?;
            topics::delete(client, name, *yes, out).await
        }
    };
    result.map(|()| 0)
}

/// Runs blocking work (an HTTP client's request) off the async threads.
pub(crate) async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, String> + Send + 'static,
) -> Result<T> {
    tokio::task::spawn_blocking(work)
        .await?
        .map_err(anyhow::Error::msg)
}
