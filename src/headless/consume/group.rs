//! `kview consume -G GROUP`: read what the group assigns this member, commit as it goes (every
//! `--commit-interval`, before giving partitions up, and on the way out) and leave the group
//! cleanly, as kcat's `-G` and Kafka's console consumer do.

use std::collections::{BTreeMap, HashSet};
use std::io::Write;

use anyhow::{Result, bail};

use super::{Schemas, subjects, write_one};
use crate::cli::ConsumeArgs;
use crate::decode::mask::TopicMask;
use crate::kafka::KafkaClient;
use crate::kafka::group::reading::{Committer, consume_assigned, resolve_starts};
use crate::kafka::group::{Change, MemberSettings};
use crate::schema::{Registry, SchemaReader};

pub async fn run(
    client: &KafkaClient,
    registry: Option<Registry>,
    mask: &TopicMask,
    args: &ConsumeArgs,
    group: &str,
    out: &mut impl Write,
) -> Result<()> {
    if args.partition.is_some() {
        bail!("-p and -G do not go together: the group decides which partitions this member reads");
    }
    if args.topic.starts_with('^') {
        bail!("-G reads one topic by name; regex subscriptions are not supported yet");
    }
    let mut settings = MemberSettings::new(group, vec![args.topic.clone()]);
    settings.rebalance_timeout = args.rebalance_timeout;
    settings.instance_id = args.instance_id.clone();
    args.group_protocol.apply(&mut settings);
    let (member, read, assigned) = consume_assigned(
        client,
        &settings,
        &args.topic,
        args.isolation.into(),
        super::FETCH_BYTES,
    );

    let write = async {
        // Owned by the writer, so that however it ends the member leaves and the reader stops.
        let mut assigned = assigned;
        let mut schemas = Schemas {
            reader: SchemaReader::new(registry),
            warned: HashSet::new(),
        };
        let (key_subject, value_subject) = subjects(&args.topic);
        // Owned partitions and the next offset to commit for each.
        let mut owned: BTreeMap<i32, i64> = BTreeMap::new();
        let mut generation = 0u64;
        let mut said_protocol = false;
        let mut remaining = args.count;
        let mut ticks = tokio::time::interval(args.commit_interval);
        ticks.tick().await;
        let mut signals = Signals::new()?;
        let committer = Committer {
            client,
            group,
            topic: &args.topic,
            identity: &assigned.identity,
        };
        loop {
            tokio::select! {
                change = assigned.changes.recv() => {
                    let Some(change) = change else { break };
                    if !said_protocol {
                        said_protocol = true;
                        let protocol = match assigned.identity.borrow().protocol {
                            "classic" => format!("the classic protocol ({})", args.group_protocol.assignor_name()),
                            _ => "Kafka 4's consumer protocol (KIP-848)".to_owned(),
                        };
                        eprintln!("kview: joined group {group:?} with {protocol}");
                    }
                    if !change.lost {
                        let given_up: BTreeMap<i32, i64> = change
                            .revoked
                            .iter()
                            .filter_map(|(_, p)| owned.get(p).map(|o| (*p, *o)))
                            .collect();
                        committer.commit(&given_up).await?;
                    }
                    owned = start_offsets(client, group, args, &change, &owned).await?;
                    generation += 1;
                    assigned.positions.send_replace((
                        generation,
                        owned.iter().map(|(p, o)| (*p, *o)).collect(),
                    ));
                    tracing::info!(
                        "group {group:?}: this member reads partitions {:?}",
                        owned.keys().collect::<Vec<_>>()
                    );
                    let _ = change.done.send(());
                }
                batch = assigned.batches.recv() => {
                    let Some((read_for, fetched)) = batch else { break };
                    let fetched = fetched?;
                    if read_for != generation {
                        continue;
                    }
                    // -e: every partition this member reads is at its end.
                    if fetched.is_empty() && args.exit_at_end && !owned.is_empty() {
                        break;
                    }
                    for m in &fetched {
                        if remaining == Some(0) {
                            break;
                        }
                        let Some(next) = owned.get_mut(&m.partition) else { continue };
                        if m.offset < *next {
                            continue;
                        }
                        if schemas.lacks_any(args, m) {
                            schemas.learn_all(args, m).await;
                        }
                        write_one(&mut schemas, mask, args, (&key_subject, &value_subject), m, out)?;
                        *next = m.offset + 1;
                        if let Some(n) = remaining.as_mut() {
                            *n -= 1;
                        }
                    }
                    out.flush()?;
                    if remaining == Some(0) {
                        break;
                    }
                }
                _ = ticks.tick() => committer.commit(&owned).await?,
                () = signals.next() => break,
            }
        }
        // On the way out: commit what was written, then leave.
        committer.commit(&owned).await?;
        assigned.leave();
        anyhow::Ok(())
    };
    let (member, (), written) = tokio::join!(member, read, write);
    written?;
    member.map_err(anyhow::Error::from)
}

/// The owned partitions after a change, with where each goes on: kept ones where they were,
/// new ones from the group's committed offset (else where `-o` says).
async fn start_offsets(
    client: &KafkaClient,
    group: &str,
    args: &ConsumeArgs,
    change: &Change,
    owned: &BTreeMap<i32, i64>,
) -> Result<BTreeMap<i32, i64>> {
    let committed: BTreeMap<i32, i64> = if change.assigned.is_empty() {
        BTreeMap::new()
    } else {
        client
            .committed_offsets(group)
            .await?
            .into_iter()
            .filter(|c| c.topic == args.topic && c.offset >= 0)
            .map(|c| (c.partition, c.offset))
            .collect()
    };
    let wanted: Vec<i32> = change
        .owned
        .iter()
        .filter(|(t, _)| *t == args.topic)
        .map(|(_, p)| *p)
        .collect();
    let fresh: Vec<i32> = wanted
        .iter()
        .filter(|p| !owned.contains_key(p) && !committed.contains_key(p))
        .copied()
        .collect();
    // Partitions the group never committed start where `-o` says, resolved once.
    let resolved = resolve_starts(
        client,
        &args.topic,
        &fresh,
        args.offset,
        args.isolation.into(),
    )
    .await?;
    Ok(wanted
        .into_iter()
        .filter_map(|p| {
            let at = owned
                .get(&p)
                .or_else(|| committed.get(&p))
                .or_else(|| resolved.get(&p))?;
            Some((p, *at))
        })
        .collect())
}

/// Ctrl-C or SIGTERM: the member commits and leaves.
struct Signals {
    term: tokio::signal::unix::Signal,
}

impl Signals {
    fn new() -> Result<Self> {
        let term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
        Ok(Signals { term })
    }

    async fn next(&mut self) {
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = self.term.recv() => {}
        }
    }
}
