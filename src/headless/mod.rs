//! The scriptable commands: plain text for people, `--json` for scripts.

pub mod consume;
pub mod demo;
pub mod groups;
pub mod produce;
pub mod table;
pub mod topics;

use std::io::Write;
use std::time::Duration;

use anyhow::{Result, bail};

use crate::cli::{Command, GlobalOpts};
use crate::kafka::KafkaClient;

/// Runs one headless command against a connected client, writing to `out`; returns the exit
/// code (0 unless `check` says otherwise).
pub async fn run(
    client: &KafkaClient,
    global: &GlobalOpts,
    command: &Command,
    out: &mut impl Write,
) -> Result<u8> {
    let refuse_if_read_only = |what: &str| -> Result<()> {
        if global.read_only {
            bail!("read-only mode: refusing to {what}");
        }
        Ok(())
    };
    let result = match command {
        Command::Topics { all, json } => topics::list(client, *all, *json, out).await,
        Command::Describe { topic, json } => topics::describe(client, topic, *json, out).await,
        Command::Produce(args) => {
            refuse_if_read_only("produce")?;
            produce::run(client, args, std::io::stdin(), out).await
        }
        Command::Consume(args) => consume::run(client, args, out).await,
        Command::Groups { json } => groups::list(client, *json, out).await,
        Command::Lag {
            group,
            json,
            watch,
            interval,
            window,
        } => {
            let every = watch.then(|| Duration::from_secs((*interval).max(1)));
            groups::lag(client, group.as_deref(), *json, every, *window, out).await
        }
        Command::Check {
            groups: named,
            window,
        } => return groups::check(client, named, *window, out).await,
        Command::ResetOffsets(args) => {
            groups::reset_offsets(client, args, global.read_only, out).await
        }
        Command::CreateTopic {
            name,
            partitions,
            replication,
        } => {
            refuse_if_read_only("create a topic")?;
            topics::create(client, name, *partitions, *replication, out).await
        }
        Command::AddPartitions { name, partitions } => {
            refuse_if_read_only("add partitions")?;
            topics::add_partitions(client, name, *partitions, out).await
        }
        Command::Demo(crate::cli::DemoCommand::Ml(ml)) => {
            if matches!(ml, crate::cli::MlCommand::Produce { .. }) {
                refuse_if_read_only("produce")?;
            }
            demo::ml(client, ml, out).await
        }
        Command::Simulate(sim) => {
            refuse_if_read_only("produce")?;
            demo::simulate(client, sim, out).await
        }
        Command::Process(process) => demo::process(client, process, out).await,
        Command::DeleteTopic { name, yes } => {
            refuse_if_read_only("delete a topic")?;
            topics::delete(client, name, *yes, out).await
        }
    };
    result.map(|()| 0)
}
