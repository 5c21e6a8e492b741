//! `kview copy`: records from one topic into another, here or on another cluster, with keys,
//! headers (repeats and nulls) and timestamps as they were. A preview first; `--execute`
//! copies with a progress bar, through the idempotent producer, saving its progress after
//! every acknowledged write so a copy stopped with Ctrl-C goes on where it stopped.

mod plan;
mod state;

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;
use std::time::Duration;

use anyhow::{Result, anyhow, bail};
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;

use crate::cli::CopyArgs;
use crate::config::{ClusterConfig, Resolved, checked_brokers};
use crate::decode::filter::Filter;
use crate::human::{bytes as human_bytes, count, plural};
use crate::kafka::partitioner::Placement;
use crate::kafka::reader::{OffsetRange, Reader};
use crate::kafka::{Compression, KafkaClient, KafkaError, Message, ProduceRecord};
use plan::{Preview, Resumed, Target};
use state::CopyState;

/// Exit code of a copy stopped by a signal (as a shell reports Ctrl-C).
const STOPPED: u8 = 130;

/// A cluster as the preview names it: its profile, else its brokers.
fn cluster_label(cluster: &ClusterConfig) -> String {
    cluster
        .name
        .clone()
        .unwrap_or_else(|| cluster.brokers.join(","))
}

pub async fn run(
    source: &KafkaClient,
    resolved: &Resolved,
    timeout: Duration,
    args: &CopyArgs,
    out: &mut impl Write,
) -> Result<u8> {
    let target_cluster = match (&args.to_cluster, &args.to_brokers) {
        (Some(name), _) => Some(
            resolved
                .file
                .cluster(name)
                .map_err(anyhow::Error::msg)?
                .clone(),
        ),
        (None, Some(brokers)) => Some(ClusterConfig {
            brokers: checked_brokers(brokers.clone()).map_err(anyhow::Error::msg)?,
            ..ClusterConfig::default()
        }),
        (None, None) => None,
    };
    let target_client = match &target_cluster {
        Some(cluster) => {
            let settings = cluster
                .conn_settings(timeout, resolved.read_only_for(cluster))
                .await
                .map_err(anyhow::Error::msg)?;
            let client = KafkaClient::connect(cluster.brokers.clone(), settings)
                .await
                .map_err(|e| anyhow!("the target cluster {}: {e}", cluster_label(cluster)))?;
            Some(client)
        }
        None => None,
    };
    let target = target_client.as_ref().unwrap_or(source);
    let source_label = format!("{}/{}", cluster_label(&resolved.cluster), args.source);
    let target_label = format!(
        "{}/{}",
        cluster_label(target_cluster.as_ref().unwrap_or(&resolved.cluster)),
        args.target
    );
    if source_label == target_label {
        bail!("the source and the target are the same topic");
    }
    if args.rate < 0.0 || !args.rate.is_finite() {
        bail!("--rate must be a number of records a second (0: as fast as it goes)");
    }

    // The same command finds the same progress file.
    let identity = format!(
        "{source_label}\0{target_label}\0{:?}\0{}\0{:?}\0{}",
        args.partition,
        args.from,
        args.until,
        args.filter.as_ref().map(Filter::text).unwrap_or_default()
    );
    let state_path = match &args.state {
        Some(path) => path.clone(),
        None => state::default_path(&identity, &source_label, &target_label)
            .ok_or_else(|| anyhow!("no folder for kview's state here: give --state FILE"))?,
    };
    let earlier = match args.restart {
        true => None,
        false => CopyState::load(&state_path).map_err(anyhow::Error::msg)?,
    };
    if let Some(done) = earlier.as_ref().filter(|s| s.done) {
        writeln!(
            out,
            "already copied: {} ({}) at {}; --restart copies them again (progress in {})",
            plural(done.copied as i64, "record"),
            human_bytes(done.bytes as i64),
            done.updated,
            state_path.display()
        )?;
        return Ok(0);
    }
    let mut state = match earlier {
        Some(s) => s,
        None => CopyState::new(
            source_label.clone(),
            target_label.clone(),
            plan::source_ranges(source, &args.source, args.partition, args.from, args.until)
                .await?,
        ),
    };

    let source_info = source.topic(&args.source).await?;
    let target_topic = match target.topic(&args.target).await {
        Ok(info) => Target::Exists {
            partitions: info.partitions.len(),
        },
        Err(KafkaError::UnknownTopic(_)) => {
            let brokers = target.metadata(Some(&[])).await?.brokers.len();
            Target::Create {
                partitions: source_info.partitions.len() as i32,
                replication: source_info.replication_factor().min(brokers).max(1) as i16,
            }
        }
        Err(e) => return Err(e.into()),
    };
    let placement = plan::placement(&state.ranges, target_topic.partitions());
    let remaining = state.remaining();
    let preview = Preview {
        source: &source_label,
        target: &target_label,
        ranges: &remaining,
        target_topic,
        placement: placement.describe(),
        filter: args.filter.as_ref().map(Filter::text),
        offsets: remaining.iter().map(|r| r.end - r.start).sum(),
        resumed: state.started().then(|| Resumed {
            copied: state.copied,
            passed: state.passed(),
            updated: state.updated.clone(),
        }),
        state: state_path.display().to_string(),
    };
    preview.write(args.json, args.execute, out)?;
    out.flush()?;
    if !args.execute {
        return Ok(0);
    }

    target.check_writable("copy records")?;
    if let Target::Create {
        partitions,
        replication,
    } = target_topic
    {
        target
            .create_topic(&args.target, partitions, replication)
            .await?;
    }
    state.save(&state_path).map_err(anyhow::Error::msg)?;
    let copy = Copy {
        source,
        target,
        args,
        placement,
        state_path: &state_path,
    };
    let started = Instant::now();
    let copied_before = state.copied;
    let outcome = copy.execute(&mut state, remaining, stop_on_signal()).await;
    let seconds = started.elapsed().as_secs_f64();
    let copied_now = state.copied - copied_before;
    let complete = matches!(outcome, Ok(true));
    if args.json {
        serde_json::to_writer(
            &mut *out,
            &serde_json::json!({
                "copied": state.copied,
                "bytes": state.bytes,
                "seconds": seconds,
                "complete": complete,
                "next": state.next,
                "state": state_path.display().to_string(),
            }),
        )?;
        writeln!(out)?;
    }
    match outcome {
        Ok(true) => {
            if !args.json {
                writeln!(
                    out,
                    "copied {} ({}) to {target_label} in {seconds:.1} s ({} records/s)",
                    plural(state.copied as i64, "record"),
                    human_bytes(state.bytes as i64),
                    count((copied_now as f64 / seconds.max(0.001)) as i64)
                )?;
            }
            Ok(0)
        }
        Ok(false) => {
            if !args.json {
                writeln!(
                    out,
                    "stopped: {} copied so far; next {}; run the same command again to go on (progress in {})",
                    plural(state.copied as i64, "record"),
                    where_next(&state),
                    state_path.display()
                )?;
            }
            out.flush()?;
            Ok(STOPPED)
        }
        Err(e) => {
            out.flush()?;
            Err(e.context(format!(
                "the copy stopped after {}; run the same command again to go on from what was acknowledged (progress in {})",
                plural(state.copied as i64, "record"),
                state_path.display()
            )))
        }
    }
}

/// "partition 0 at offset 1200, partition 1 at offset 40" for the partitions not finished.
fn where_next(state: &CopyState) -> String {
    let left: Vec<String> = state
        .remaining()
        .iter()
        .filter(|r| r.start < r.end)
        .map(|r| format!("partition {} at offset {}", r.partition, r.start))
        .collect();
    if left.is_empty() {
        "nothing left".into()
    } else {
        left.join(", ")
    }
}

/// Set when Ctrl-C or SIGTERM arrives: the copy finishes the write under way, saves and stops.
/// A second signal stops at once.
fn stop_on_signal() -> watch::Receiver<bool> {
    let (tx, rx) = watch::channel(false);
    tokio::spawn(async move {
        let signal = async || {
            #[cfg(unix)]
            {
                use tokio::signal::unix::{SignalKind, signal};
                match signal(SignalKind::terminate()) {
                    Ok(mut term) => tokio::select! {
                        _ = tokio::signal::ctrl_c() => {}
                        _ = term.recv() => {}
                    },
                    Err(_) => {
                        let _ = tokio::signal::ctrl_c().await;
                    }
                }
            }
            #[cfg(not(unix))]
            let _ = tokio::signal::ctrl_c().await;
        };
        signal().await;
        let _ = tx.send(true);
        signal().await;
        eprintln!("kview: stopped at once; the write under way may be copied again");
        std::process::exit(i32::from(STOPPED));
    });
    rx
}

struct Copy<'a> {
    source: &'a KafkaClient,
    target: &'a KafkaClient,
    args: &'a CopyArgs,
    placement: Placement,
    state_path: &'a Path,
}

type Fetched = crate::kafka::Result<(Vec<Message>, Vec<(i32, i64)>)>;

impl Copy<'_> {
    /// Reads and writes at once (the next fetch while a write is acknowledged); true when every
    /// range was copied, false when a signal stopped it.
    async fn execute(
        &self,
        state: &mut CopyState,
        remaining: Vec<OffsetRange>,
        mut stop: watch::Receiver<bool>,
    ) -> Result<bool> {
        let (tx, mut rx) = mpsc::channel::<Fetched>(2);
        let read = async move {
            let mut reader = Reader::open_ranges(self.source, &self.args.source, &remaining);
            while !reader.is_done() {
                let mut batch = Vec::new();
                let fetched = reader
                    .next_batch(self.source, &mut batch)
                    .await
                    .map(|()| (batch, reader.positions()));
                let failed = fetched.is_err();
                if tx.send(fetched).await.is_err() || failed {
                    break;
                }
            }
        };
        let bar = progress_bar(state);
        let progress = &bar;
        // Owns the receiver: when it stops early, the reader's next send fails and it ends too.
        let write = async move {
            let mut origin = Instant::now();
            let copied_before = state.copied;
            let chunk = match self.args.rate {
                r if r > 0.0 => ((r / 5.0) as usize).max(1),
                _ => usize::MAX,
            };
            while let Some(fetched) = rx.recv().await {
                let (messages, positions) = fetched?;
                for part in messages.chunks(chunk.min(messages.len()).max(1)) {
                    if *stop.borrow() {
                        return Ok(false);
                    }
                    self.write(state, part).await?;
                    progress.set_position(state.passed().max(0) as u64);
                    progress.set_message(format!(
                        "{} · {}",
                        plural(state.copied as i64, "record"),
                        human_bytes(state.bytes as i64)
                    ));
                    if self.args.rate > 0.0 {
                        let due = (state.copied - copied_before) as f64 / self.args.rate;
                        let mut at = origin + Duration::from_secs_f64(due);
                        // After a stall, at most a second's worth goes at once.
                        let now = Instant::now();
                        if at + Duration::from_secs(1) < now {
                            origin += now - Duration::from_secs(1) - at;
                            at = now - Duration::from_secs(1);
                        }
                        tokio::select! {
                            _ = tokio::time::sleep_until(at) => {}
                            _ = stop.changed() => {}
                        }
                    }
                }
                // Past the batch's last record: markers and records the filter passed over.
                state.next.extend(positions);
                state.save(self.state_path).map_err(anyhow::Error::msg)?;
                if *stop.borrow() {
                    return Ok(false);
                }
            }
            state.done = true;
            state.save(self.state_path).map_err(anyhow::Error::msg)?;
            Ok(true)
        };
        let ((), result) = tokio::join!(read, write);
        bar.finish_and_clear();
        result
    }

    /// Writes the records of `part` the filter takes and records what was acknowledged: per
    /// source partition, the next offset is the first record not acknowledged (or past the
    /// part). Saved before returning, a failure included.
    async fn write(&self, state: &mut CopyState, part: &[Message]) -> Result<()> {
        let mut parts: BTreeMap<i32, Vec<ProduceRecord>> = BTreeMap::new();
        // Where each written record came from, by target partition, in order.
        let mut origins: BTreeMap<i32, Vec<(i32, i64, usize)>> = BTreeMap::new();
        for m in part {
            if self
                .args
                .filter
                .as_ref()
                .is_some_and(|f| !f.matches_record(m))
            {
                continue;
            }
            let to = self.placement.partition(m.partition, m.key.as_deref());
            parts.entry(to).or_default().push(ProduceRecord::from(m));
            origins
                .entry(to)
                .or_default()
                .push((m.partition, m.offset, m.payload_size()));
        }
        // Past every record of the part, unless a write fails before it.
        let mut next: BTreeMap<i32, i64> = BTreeMap::new();
        for m in part {
            next.insert(m.partition, m.offset + 1);
        }
        let mut failure = None;
        if !parts.is_empty() {
            let codec = Compression::from(self.args.compression);
            let written = self
                .target
                .produce_partitions(&self.args.target, parts.into_iter().collect(), codec)
                .await;
            for w in written {
                let origins = origins.remove(&w.partition).unwrap_or_default();
                let acknowledged = w.offsets.len();
                for &(_, _, size) in &origins[..acknowledged.min(origins.len())] {
                    state.copied += 1;
                    state.bytes += size as u64;
                }
                if let Some(&(partition, offset, _)) = origins.get(acknowledged) {
                    let n = next.entry(partition).or_insert(offset);
                    *n = (*n).min(offset);
                }
                if let Some(e) = w.error {
                    failure.get_or_insert(e);
                }
            }
        }
        state.next.extend(next);
        state.save(self.state_path).map_err(anyhow::Error::msg)?;
        match failure {
            Some(e) => Err(anyhow!("write to {}: {e}", self.args.target)),
            None => Ok(()),
        }
    }
}

/// A bar over the offsets to pass, on stderr when it is a terminal (hidden otherwise).
fn progress_bar(state: &CopyState) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::new(state.planned().max(0) as u64);
    bar.set_position(state.passed().max(0) as u64);
    if let Ok(style) = indicatif::ProgressStyle::with_template(
        "{wide_bar} {percent:>3}% {msg} · {per_sec} · ETA {eta}",
    ) {
        bar.set_style(style);
    }
    bar
}
