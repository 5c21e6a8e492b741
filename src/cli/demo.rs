//! The command line of the demo pipelines: the ML producer and trainer, the sensor simulator
//! and processors.

use std::path::PathBuf;

use clap::{Args, Subcommand};

use super::GroupProtocolArgs;

#[derive(Debug, Subcommand)]
pub enum DemoCommand {
    /// Machine learning over Kafka: stream a dataset, train online, publish accuracy
    #[command(subcommand)]
    Ml(MlCommand),
    /// The dashboard with the demos running and N sensor processors of one consumer group
    /// sharing the work (the same as `kview --demo --processors N`)
    Sensors {
        #[arg(long, default_value_t = 3, value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=16))]
        processors: usize,
    },
}

#[derive(Debug, Args, Clone)]
pub struct MlTopicsArg {
    /// Prefix for the ml.train, ml.test and ml.metrics topics
    #[arg(long, default_value = "")]
    pub prefix: String,
}

#[derive(Debug, Subcommand)]
pub enum MlCommand {
    /// Stream one run: test samples to ml.test, then shuffled train samples to ml.train
    Produce {
        #[command(flatten)]
        topics: MlTopicsArg,
        /// digits (1,797 handwritten digits) or wine (178 wines)
        #[arg(long, default_value = "digits")]
        dataset: String,
        #[arg(long, default_value_t = 3)]
        epochs: u32,
        /// Training samples per second (0: as fast as the broker takes them)
        #[arg(long, default_value_t = 0.0)]
        rate: f64,
        /// Seed of the train/test split and the shuffles
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// Share of each class held out for testing
        #[arg(long, default_value_t = 0.2)]
        test_fraction: f64,
    },
    /// Train online from ml.train, evaluate on ml.test, publish to ml.metrics; ends when a run
    /// ends (unless --follow)
    Train {
        #[command(flatten)]
        topics: MlTopicsArg,
        /// SQLite file for runs and metrics
        #[arg(long, default_value = "kview-ml.db")]
        db: PathBuf,
        /// Evaluate every N training samples
        #[arg(long, default_value_t = 200)]
        eval_every: u64,
        /// Consumer group whose offsets the trainer commits
        #[arg(long, default_value = "kview-ml-trainer")]
        group: String,
        /// Keep waiting for new runs instead of ending with the first
        #[arg(long)]
        follow: bool,
        #[arg(long, default_value_t = 42)]
        seed: u64,
    },
}

#[derive(Debug, Subcommand)]
pub enum SimulateCommand {
    /// Readings of temperature, humidity, pressure and vibration sensors, keyed by sensor id
    Sensors {
        #[arg(long, default_value_t = 8)]
        sensors: usize,
        /// Readings per second over all sensors (0: as fast as the broker takes them)
        #[arg(long, default_value_t = 50.0)]
        rate: f64,
        /// Stop after this long: 30s, 5m, 2h
        #[arg(long, value_parser = crate::human::parse_duration)]
        duration: Option<std::time::Duration>,
        /// Stop after this many readings
        #[arg(long)]
        count: Option<u64>,
        #[arg(long, default_value = "sensors")]
        topic: String,
        /// Chance per reading that an anomaly (spike, stuck, dropout, drift) starts
        #[arg(long, default_value_t = 0.002)]
        anomaly_probability: f64,
        #[arg(long, default_value_t = 7)]
        seed: u64,
    },
}

#[derive(Debug, Subcommand)]
pub enum ProcessCommand {
    /// Windowed statistics, anomaly detection and storage of sensor readings
    Sensors {
        /// Where readings, window aggregates and alerts go: a SQLite file (one processor, or a
        /// few on one machine) or a postgres:// URL that processors on many machines share
        #[arg(long, visible_alias = "db", default_value = "kview-sensors.db")]
        store: String,
        #[arg(long, default_value = "sensors")]
        topic: String,
        #[arg(long, default_value = "sensors.alerts")]
        alerts_topic: String,
        /// The consumer group the processors share: start several and the partitions spread
        #[arg(long, default_value = "kview-sensor-processor")]
        group: String,
        /// How long the group waits for a processor to give partitions up in a rebalance
        #[arg(long, default_value = "30s", value_parser = crate::human::parse_duration)]
        rebalance_timeout: std::time::Duration,
        #[command(flatten)]
        group_protocol: GroupProtocolArgs,
        /// Tumbling window length
        #[arg(long, default_value = "10s", value_parser = crate::human::parse_duration)]
        window: std::time::Duration,
        /// Stop once caught up with the topic
        #[arg(long)]
        exit_when_idle: bool,
        #[arg(long)]
        json: bool,
    },
}
