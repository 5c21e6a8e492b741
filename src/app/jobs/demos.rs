//! The demo pipelines as dashboard jobs: the same code as their headless commands, with names
//! from the session's [`DemoNames`], reporting their state as events.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use tokio::sync::mpsc::Sender;

use crate::app::event::{Event, MlTask, SensorTask, TaskStatus};
use crate::demo::DemoNames;
use crate::demo::ml::pipeline::{
    ProducerOptions, TrainerOptions, new_run_id, produce as produce_ml, train as train_ml,
};
use crate::demo::sensors::Conservation;
use crate::demo::sensors::processor::{BatchOutcome, ProcessorCounters};
use crate::demo::sensors::runner::{ProcessorOptions, Stopping, process};
use crate::demo::sensors::simulator::{SimControl, SimCounters, SimOptions, simulate};
use crate::demo::sensors::store::StoreTarget;
use crate::kafka::KafkaClient;

/// Training samples per second of a run started from the dashboard: slow enough to watch the
/// curves climb (about 20 s for three epochs of digits).
const DASHBOARD_ML_RATE: f64 = 200.0;

pub async fn ml_producer(client: Arc<KafkaClient>, names: DemoNames, tx: Sender<Event>) {
    let options = ProducerOptions {
        topics: names.ml_topics(),
        dataset: "digits".into(),
        epochs: 3,
        rate: DASHBOARD_ML_RATE,
        seed: 42,
        test_fraction: 0.2,
    };
    let run = new_run_id();
    let status = |status| Event::MlTask {
        task: MlTask::Producer,
        status,
    };
    let _ = tx.send(status(TaskStatus::Running(run.clone()))).await;
    let end = match produce_ml(&client, &options, &run).await {
        Ok(s) => TaskStatus::Done(format!(
            "{}: {} train, {} test samples sent",
            s.run, s.train_sent, s.test_sent
        )),
        Err(e) => {
            tracing::warn!("ML producer: {e}");
            TaskStatus::Failed(e.to_string())
        }
    };
    let _ = tx.send(status(end)).await;
}

pub async fn ml_trainer(client: Arc<KafkaClient>, names: DemoNames, tx: Sender<Event>) {
    let options = TrainerOptions {
        topics: names.ml_topics(),
        group: names.ml_group(),
        eval_every: 100,
        db: Some(crate::demo::data_file("kview-ml.db")),
        exit_when_done: false,
        seed: 42,
    };
    let status = |status| Event::MlTask {
        task: MlTask::Trainer,
        status,
    };
    let _ = tx
        .send(status(TaskStatus::Running("waiting for samples".into())))
        .await;
    let end = match train_ml(&client, &options).await {
        Ok(_) => TaskStatus::Done("stopped".into()),
        Err(e) => {
            tracing::warn!("ML trainer: {e}");
            TaskStatus::Failed(e.to_string())
        }
    };
    let _ = tx.send(status(end)).await;
}

/// What the dashboard's sensor pipeline shares with the runtime.
pub struct SensorPipeline {
    pub control: Arc<SimControl>,
    /// Set to let the processor stop once it has caught up.
    pub drain: Arc<AtomicBool>,
    pub sim_counters: Arc<SimCounters>,
    pub proc_counters: Arc<ProcessorCounters>,
    /// Processors the demo runs, members of one group.
    pub processors: usize,
}

impl SensorPipeline {
    pub fn new(rate: f64, processors: usize) -> Self {
        SensorPipeline {
            processors: processors.max(1),
            control: Arc::new(SimControl::new(rate)),
            drain: Arc::default(),
            sim_counters: Arc::default(),
            proc_counters: Arc::default(),
        }
    }
}

/// Sends the pipeline's counts twice a second, for the conservation line.
pub async fn report_sensor_counts(
    sim: Arc<SimCounters>,
    proc: Arc<ProcessorCounters>,
    tx: Sender<Event>,
) {
    loop {
        let counts = Conservation::of(&sim, &proc);
        if tx.send(Event::SensorCounts(counts)).await.is_err() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// Looks at the processors' group every two seconds: who is in it, what each reads, and the
/// group's commits (the rates), for the processors panel.
pub async fn watch_processor_group(client: Arc<KafkaClient>, names: DemoNames, tx: Sender<Event>) {
    let (group, topic) = (names.sensor_group(), names.sensors_topic());
    loop {
        let look = async {
            let description = client.describe_group(&group).await?;
            let committed = client
                .committed_offsets(&group)
                .await?
                .into_iter()
                .filter(|c| c.topic == topic)
                .map(|c| (c.partition, c.offset))
                .collect();
            crate::kafka::Result::Ok((description, committed))
        };
        let look = look
            .await
            .map_err(|e: crate::kafka::KafkaError| e.to_string());
        let at_ms = chrono::Utc::now().timestamp_millis();
        let event = Event::ProcessorGroup {
            at_ms,
            topic: topic.clone(),
            look,
        };
        if tx.send(event).await.is_err() {
            return;
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
}

pub async fn sensor_simulator(
    client: Arc<KafkaClient>,
    names: DemoNames,
    control: Arc<SimControl>,
    counters: Arc<SimCounters>,
    tx: Sender<Event>,
) {
    let options = SimOptions {
        topic: names.sensors_topic(),
        sensors: 8,
        rate: control.rate(),
        duration: None,
        count: None,
        anomaly_probability: 0.002,
        seed: 7,
    };
    let status = |status| Event::SensorTask {
        task: SensorTask::Simulator,
        status,
    };
    let _ = tx
        .send(status(TaskStatus::Running(crate::human::plural(
            options.sensors as i64,
            "sensor",
        ))))
        .await;
    let end = match simulate(&client, &options, &counters, &control).await {
        Ok(()) => TaskStatus::Done("stopped".into()),
        Err(e) => TaskStatus::Failed(e.to_string()),
    };
    let _ = tx.send(status(end)).await;
}

/// Readings forwarded to the view per sensor per batch: enough for the charts, bounded however
/// fast the stream runs (the counts stay exact).
const READINGS_PER_SENSOR_SHOWN: usize = 20;

/// The demo's processors: `count` members of the processors' group in this process, sharing
/// the counts and the SQLite store, so the group's balancing shows from the first minute.
pub async fn sensor_processor(
    client: Arc<KafkaClient>,
    names: DemoNames,
    count: usize,
    counters: Arc<ProcessorCounters>,
    drain: Arc<AtomicBool>,
    tx: Sender<Event>,
) {
    let store = StoreTarget::Sqlite(crate::demo::data_file("kview-sensors.db"));
    let options = ProcessorOptions {
        topic: names.sensors_topic(),
        alerts_topic: names.sensor_alerts_topic(),
        group: names.sensor_group(),
        store: store.clone(),
        window_ms: 10_000,
        exit_when_idle: false,
        rebalance_timeout: Duration::from_secs(30),
        membership: Default::default(),
    };
    let status = |status| Event::SensorTask {
        task: SensorTask::Processor,
        status,
    };
    let running = match count {
        1 => store.to_string(),
        n => format!("{n} processors, {store}"),
    };
    let _ = tx.send(status(TaskStatus::Running(running))).await;
    let forward = |outcome: &BatchOutcome| {
        let mut per_sensor: HashMap<&str, usize> = HashMap::new();
        let mut readings = Vec::new();
        for r in outcome.readings.iter().rev() {
            let n = per_sensor.entry(&r.sensor).or_default();
            if *n < READINGS_PER_SENSOR_SHOWN {
                *n += 1;
                readings.push(r.clone());
            }
        }
        readings.reverse();
        // A full channel drops chart points, never data: the pipeline itself is unaffected.
        let _ = tx.try_send(Event::SensorBatch {
            readings,
            alerts: outcome.alerts.clone(),
        });
    };
    // The dashboard stops processors by draining them; no one asks them to stop at once.
    let (_never, now) = tokio::sync::watch::channel(false);
    let processors = (0..count.max(1)).map(|_| {
        let stopping = Stopping {
            drain: &drain,
            now: now.clone(),
        };
        process(&client, &options, &counters, stopping, forward)
    });
    let ends = futures::future::join_all(processors).await;
    let end = match ends.into_iter().find_map(Result::err) {
        None => TaskStatus::Done(format!("stopped, all caught up ({store})")),
        Some(e) => TaskStatus::Failed(e.to_string()),
    };
    let _ = tx.send(status(end)).await;
}
