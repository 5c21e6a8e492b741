//! `kview demo ml produce|train`: the demo pipelines as scriptable commands.

use std::io::Write;

use anyhow::Result;

use std::sync::atomic::Ordering;

use crate::cli::{MlCommand, ProcessCommand, SimulateCommand};
use crate::demo::ml::pipeline::{self, ProducerOptions, TrainerOptions};
use crate::demo::ml::records::Topics;
use crate::demo::sensors::processor::ProcessorCounters;
use crate::demo::sensors::runner::{self, ProcessorOptions, Stopping};
use crate::demo::sensors::signal::Anomaly;
use crate::demo::sensors::simulator::{self, SimControl, SimCounters, SimOptions};
use crate::demo::sensors::store::{self, SensorStore, StoreTarget};
use crate::kafka::KafkaClient;

pub async fn ml(client: &KafkaClient, command: &MlCommand, out: &mut impl Write) -> Result<()> {
    match command {
        MlCommand::Produce {
            topics,
            dataset,
            epochs,
            rate,
            seed,
            test_fraction,
        } => {
            if !(0.0..1.0).contains(test_fraction) || *test_fraction == 0.0 {
                anyhow::bail!("--test-fraction must be between 0 and 1");
            }
            let options = ProducerOptions {
                topics: Topics::with_prefix(&topics.prefix),
                dataset: dataset.clone(),
                epochs: *epochs,
                rate: *rate,
                seed: *seed,
                test_fraction: *test_fraction,
            };
            let run = pipeline::new_run_id();
            let summary = pipeline::produce(client, &options, &run).await?;
            writeln!(
                out,
                "{}: {} train samples to {}, {} test samples to {}",
                summary.run,
                summary.train_sent,
                options.topics.train,
                summary.test_sent,
                options.topics.test
            )?;
        }
        MlCommand::Train {
            topics,
            db,
            eval_every,
            group,
            follow,
            seed,
        } => {
            let options = TrainerOptions {
                topics: Topics::with_prefix(&topics.prefix),
                group: group.clone(),
                eval_every: *eval_every,
                db: Some(db.clone()),
                exit_when_done: !follow,
                seed: *seed,
            };
            if let Some(summary) = pipeline::train(client, &options).await? {
                let finals: Vec<String> = summary
                    .final_metrics
                    .iter()
                    .map(|m| format!("{} accuracy {:.3} loss {:.3}", m.model, m.accuracy, m.loss))
                    .collect();
                writeln!(
                    out,
                    "{}: {} samples; {}",
                    summary.run,
                    summary.samples_seen,
                    finals.join(", ")
                )?;
            }
        }
    }
    Ok(())
}

pub async fn simulate(
    client: &KafkaClient,
    command: &SimulateCommand,
    out: &mut impl Write,
) -> Result<()> {
    let SimulateCommand::Sensors {
        sensors,
        rate,
        duration,
        count,
        topic,
        anomaly_probability,
        seed,
    } = command;
    if !(0.0..=1.0).contains(anomaly_probability) {
        anyhow::bail!("--anomaly-probability must be between 0 and 1");
    }
    let options = SimOptions {
        topic: topic.clone(),
        sensors: *sensors,
        rate: *rate,
        duration: *duration,
        count: *count,
        anomaly_probability: *anomaly_probability,
        seed: *seed,
    };
    let counters = SimCounters::default();
    let control = SimControl::new(*rate);
    let run = simulator::simulate(client, &options, &counters, &control);
    // Ctrl+C stops cleanly: the summary still prints.
    tokio::select! {
        result = run => result?,
        _ = tokio::signal::ctrl_c() => {}
    }
    let (produced, acknowledged, failed) = counters.snapshot();
    writeln!(
        out,
        "produced {produced}, acknowledged {acknowledged}, failed {failed} ({topic})"
    )?;
    if failed > 0 {
        anyhow::bail!("{failed} readings could not be written");
    }
    Ok(())
}

pub async fn process(
    client: &KafkaClient,
    command: &ProcessCommand,
    out: &mut impl Write,
) -> Result<()> {
    let ProcessCommand::Sensors {
        store: target,
        topic,
        alerts_topic,
        group,
        rebalance_timeout,
        group_protocol,
        window,
        exit_when_idle,
        json,
    } = command;
    let target = StoreTarget::parse(target);
    let options = ProcessorOptions {
        topic: topic.clone(),
        alerts_topic: alerts_topic.clone(),
        group: group.clone(),
        store: target.clone(),
        window_ms: window.as_millis() as i64,
        exit_when_idle: *exit_when_idle,
        rebalance_timeout: *rebalance_timeout,
        membership: group_protocol.clone(),
    };
    let counters = ProcessorCounters::default();
    let never_drain = std::sync::atomic::AtomicBool::new(false);
    let (stop_tx, now) = tokio::sync::watch::channel(false);
    // Ctrl-C or SIGTERM: the processor finishes the batch in hand, commits and leaves.
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    let stopping = Stopping {
        drain: &never_drain,
        now,
    };
    let run = runner::process(client, &options, &counters, stopping, |_| {});
    tokio::pin!(run);
    tokio::select! {
        result = &mut run => result?,
        _ = async {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
        } => {
            stop_tx.send_replace(true);
            run.await?;
        }
    }
    let mut sensor_db = SensorStore::open(&target).await?;
    let mut scores: Vec<store::Score> = Vec::new();
    for anomaly in Anomaly::ALL.iter().filter(|a| **a != Anomaly::Drift) {
        scores.push(sensor_db.score(anomaly.name()).await?);
    }
    let readings_in_store = sensor_db.count_readings().await?;
    let get = |c: &std::sync::atomic::AtomicU64| c.load(Ordering::Relaxed);
    if *json {
        serde_json::to_writer_pretty(
            &mut *out,
            &serde_json::json!({
                "processed": get(&counters.processed),
                "stored": get(&counters.stored),
                "duplicates": get(&counters.duplicates),
                "invalid": get(&counters.invalid),
                "alerts": get(&counters.alerts),
                "refused": get(&counters.refused),
                "readings_in_db": readings_in_store,
                "detection": scores,
            }),
        )?;
        writeln!(out)?;
        return Ok(());
    }
    writeln!(
        out,
        "processed {}, stored {} new ({} replayed), {} invalid, {} alerts; {} readings in {}",
        get(&counters.processed),
        get(&counters.stored),
        get(&counters.duplicates),
        get(&counters.invalid),
        get(&counters.alerts),
        readings_in_store,
        target
    )?;
    let pct = |v: Option<f64>| v.map_or_else(|| "-".to_owned(), |v| format!("{:.1}%", v * 100.0));
    for s in scores {
        writeln!(
            out,
            "{:<8} injected {:>5}  alerted {:>5}  precision {:>6}  recall {:>6}",
            s.kind,
            s.injected,
            s.alerted,
            pct(s.precision),
            pct(s.recall)
        )?;
    }
    Ok(())
}
