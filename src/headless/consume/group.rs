//! `kview consume -G GROUP`: read what the group assigns this member, commit as it goes (every
//! `--commit-interval`, before giving partitions up, and on the way out) and leave the group
//! cleanly, as kcat's `-G` and Kafka's console consumer do.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::Write;

use anyhow::{Result, bail};

use super::{Schemas, TopicOut, write_one};
use crate::cli::ConsumeArgs;
use crate::decode::mask::Masking;
use crate::kafka::KafkaClient;
use crate::kafka::group::reading::{Committer, consume_assigned, resolve_starts};
use crate::kafka::group::{Change, MemberSettings, Subscription, TopicPartition};
use crate::schema::{Registry, SchemaReader};

pub async fn run(
    client: &KafkaClient,
    registry: Option<Registry>,
    masking: &Masking,
    args: &ConsumeArgs,
    group: &str,
    out: &mut impl Write,
) -> Result<()> {
    if args.partition.is_some() {
        bail!("-p and -G do not go together: the group decides which partitions this member reads");
    }
    let mut settings = MemberSettings::new(group, Vec::new());
    settings.subscription = subscription(&args.topics)?;
    settings.rebalance_timeout = args.rebalance_timeout;
    settings.instance_id = args.instance_id.clone();
    args.group_protocol.apply(&mut settings);
    let (member, read, assigned) =
        consume_assigned(client, &settings, args.isolation.into(), super::FETCH_BYTES);

    let write = async {
        // Owned by the writer, so that however it ends the member leaves and the reader stops.
        let mut assigned = assigned;
        let mut schemas = Schemas {
            reader: SchemaReader::new(registry),
            warned: HashSet::new(),
        };
        let mut topics: HashMap<String, TopicOut> = HashMap::new();
        // Owned partitions and the next offset to commit for each.
        let mut owned: BTreeMap<TopicPartition, i64> = BTreeMap::new();
        let mut generation = 0u64;
        let mut said_protocol = false;
        let mut remaining = args.count;
        let mut ticks = tokio::time::interval(args.commit_interval);
        ticks.tick().await;
        let mut signals = Signals::new()?;
        let committer = Committer {
            client,
            group,
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
                        let given_up: BTreeMap<TopicPartition, i64> = change
                            .revoked
                            .iter()
                            .filter_map(|tp| owned.get(tp).map(|o| (tp.clone(), *o)))
                            .collect();
                        committer.commit(&given_up).await?;
                    }
                    owned = start_offsets(client, group, args, &change, &owned).await?;
                    generation += 1;
                    assigned.positions.send_replace((
                        generation,
                        owned.iter().map(|(tp, o)| (tp.clone(), *o)).collect(),
                    ));
                    tracing::info!(
                        "group {group:?}: this member reads {}",
                        named(owned.keys())
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
                    'batch: for (topic, records) in &fetched {
                        let topic_out = topics
                            .entry(topic.clone())
                            .or_insert_with(|| TopicOut::new(topic, masking));
                        for m in records {
                            if remaining == Some(0) {
                                break 'batch;
                            }
                            let Some(next) = owned.get_mut(&(topic.clone(), m.partition)) else {
                                continue 'batch;
                            };
                            if m.offset < *next {
                                continue;
                            }
                            if schemas.lacks_any(args, m) {
                                schemas.learn_all(args, m).await;
                            }
                            write_one(&mut schemas, topic_out, args, m, out)?;
                            *next = m.offset + 1;
                            if let Some(n) = remaining.as_mut() {
                                *n -= 1;
                            }
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

/// Topics by name, or one regex (a topic starting with `^`, as kcat takes them).
fn subscription(topics: &[String]) -> Result<Subscription> {
    match topics {
        [regex] if regex.starts_with('^') => {
            if let Err(e) = regex::Regex::new(regex) {
                bail!("-t {regex}: not a regex: {e}");
            }
            Ok(Subscription::Regex(regex.clone()))
        }
        _ if topics.iter().any(|t| t.starts_with('^')) => {
            bail!("a regex subscription takes one -t (a topic starting with ^ is a regex)")
        }
        _ => Ok(Subscription::Topics(topics.to_vec())),
    }
}

/// "orders/0, orders/1, payments/2", or "no partitions".
fn named<'a>(partitions: impl Iterator<Item = &'a TopicPartition>) -> String {
    let names: Vec<String> = partitions.map(|(t, p)| format!("{t}/{p}")).collect();
    if names.is_empty() {
        "no partitions".into()
    } else {
        names.join(", ")
    }
}

/// The owned partitions after a change, with where each goes on: kept ones where they were,
/// new ones from the group's committed offset (else where `-o` says).
async fn start_offsets(
    client: &KafkaClient,
    group: &str,
    args: &ConsumeArgs,
    change: &Change,
    owned: &BTreeMap<TopicPartition, i64>,
) -> Result<BTreeMap<TopicPartition, i64>> {
    let committed: BTreeMap<TopicPartition, i64> = if change.assigned.is_empty() {
        BTreeMap::new()
    } else {
        client
            .committed_offsets(group)
            .await?
            .into_iter()
            .filter(|c| c.offset >= 0)
            .map(|c| ((c.topic, c.partition), c.offset))
            .collect()
    };
    // Partitions the group never committed start where `-o` says, resolved once per topic.
    let mut fresh: BTreeMap<&str, Vec<i32>> = BTreeMap::new();
    for tp in &change.owned {
        if !owned.contains_key(tp) && !committed.contains_key(tp) {
            fresh.entry(&tp.0).or_default().push(tp.1);
        }
    }
    let mut resolved: BTreeMap<TopicPartition, i64> = BTreeMap::new();
    for (topic, partitions) in fresh {
        let starts = resolve_starts(
            client,
            topic,
            &partitions,
            args.offset,
            args.isolation.into(),
        )
        .await?;
        resolved.extend(starts.into_iter().map(|(p, o)| ((topic.to_owned(), p), o)));
    }
    Ok(change
        .owned
        .iter()
        .filter_map(|tp| {
            let at = owned
                .get(tp)
                .or_else(|| committed.get(tp))
                .or_else(|| resolved.get(tp))?;
            Some((tp.clone(), *at))
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
