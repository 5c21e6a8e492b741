//! Command line: the dashboard by default, kcat-style headless commands as subcommands.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::kafka::StartAt;

mod connect;
mod demo;
pub mod operate;

pub use connect::*;
pub use demo::*;
pub use operate::*;

#[derive(Debug, Parser)]
#[command(
    name = "kview",
    version,
    about = "A terminal dashboard and scriptable client for Apache Kafka",
    long_about = "A terminal dashboard and scriptable client for Apache Kafka.\n\n\
        Without a subcommand kview opens the dashboard; the subcommands print plain text or JSON \
        for scripts."
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalOpts,

    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Options every command takes: where the cluster is and how to reach it. They are listed under
/// a heading of their own, apart from each command's options.
#[derive(Debug, Args, Clone)]
#[command(next_help_heading = "Connection (every command)")]
pub struct GlobalOpts {
    /// Bootstrap brokers, host:port[,host:port...] [env: KVIEW_BROKERS] [default: the cluster's,
    /// else 127.0.0.1:9092]
    #[arg(short = 'b', long, global = true, value_delimiter = ',')]
    pub brokers: Option<Vec<String>>,

    /// A cluster named in the config file [env: KVIEW_CLUSTER] [default: the file's `default`]
    #[arg(long, global = true, value_name = "NAME")]
    pub cluster: Option<String>,

    /// The config file of named clusters [env: KVIEW_CONFIG] [default: ~/.config/kview/config.toml]
    #[arg(long, global = true, value_name = "PATH")]
    pub config: Option<PathBuf>,

    /// A Kafka client properties file (bootstrap.servers, security.protocol, sasl.*, ssl.*), as
    /// Kafka's own tools take it
    #[arg(
        short = 'F',
        long,
        global = true,
        value_name = "FILE",
        conflicts_with = "cluster"
    )]
    pub command_config: Option<PathBuf>,

    /// Seconds to wait for a broker to answer before giving up
    #[arg(long, global = true, default_value_t = 10.0, value_name = "SECS")]
    pub timeout: f64,

    /// Refuse to produce, delete or change anything (--read-only=false lifts a profile's)
    /// [env: KVIEW_READ_ONLY=1|0]
    #[arg(
        long,
        global = true,
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = "true",
        value_name = "BOOL",
        value_parser = clap::builder::BoolishValueParser::new()
    )]
    pub read_only: Option<bool>,

    /// A Confluent-compatible schema registry to decode and encode Avro, Protobuf and JSON
    /// Schema records [env: KVIEW_SCHEMA_REGISTRY] [default: the cluster's schema_registry]
    #[arg(long, global = true, value_name = "URL")]
    pub schema_registry: Option<String>,

    /// Kafka Connect: one of the profile's Connect clusters by name, or a worker's REST URL
    /// [env: KVIEW_CONNECT] [default: the cluster's connect]
    #[arg(long, global = true, value_name = "NAME|URL")]
    pub connect: Option<String>,

    /// Also write logs to this file
    #[arg(long, global = true, value_name = "PATH")]
    pub log_file: Option<PathBuf>,

    /// Show records without the profile's masking (rules it marks `enforce` still hold)
    #[arg(long, global = true)]
    pub no_mask: bool,

    /// Let the dashboard take mouse input (scrolling); off so the terminal's own selection works
    #[arg(long, help_heading = "Dashboard")]
    pub mouse: bool,

    /// Start both demo pipelines (sensor stream, ML training) when the dashboard connects
    #[arg(long, help_heading = "Dashboard")]
    pub demo: bool,

    /// Sensor processors the demo runs: members of one consumer group that share the work
    #[arg(
        long,
        default_value_t = 1,
        value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=16),
        value_name = "N",
        help_heading = "Dashboard"
    )]
    pub processors: usize,

    /// Prefix for the dashboard demos' topic and group names, to keep them apart from others'
    /// [env: KVIEW_DEMO_PREFIX] [default: none]
    #[arg(
        long,
        env = "KVIEW_DEMO_PREFIX",
        hide_env = true,
        default_value = "",
        hide_default_value = true,
        value_name = "PREFIX",
        help_heading = "Dashboard"
    )]
    pub demo_prefix: String,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// List topics with partition count, replication factor and message count
    Topics {
        /// Include internal topics (__consumer_offsets, ...)
        #[arg(short = 'a', long)]
        all: bool,
        #[arg(long)]
        json: bool,
    },
    /// Show a topic's partitions (leader, replicas, ISR, watermarks) and configs
    Describe {
        topic: String,
        #[arg(long)]
        json: bool,
    },
    /// Write messages: from the arguments, or one per line from stdin
    Produce(ProduceArgs),
    /// Read messages
    Consume(ConsumeArgs),
    /// Copy records to another topic, here or on another cluster, with their keys, headers and
    /// timestamps: a preview first; --execute copies, and a copy stopped with Ctrl-C goes on
    /// from where it stopped when run again
    Copy(CopyArgs),
    /// Groups of every kind (classic, consumer, share, streams) with state and members; with a
    /// GROUP, its members, subscriptions and assignments
    Groups {
        /// One group's members with their subscriptions and assignments
        group: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Lag per partition for one group or all: committed offset, high watermark, lag in
    /// messages and time, status (Burrow's rules) and time to catch up
    Lag {
        group: Option<String>,
        #[arg(long)]
        json: bool,
        /// Refresh every few seconds until interrupted
        #[arg(short = 'w', long)]
        watch: bool,
        /// Seconds between refreshes with --watch
        #[arg(long, default_value_t = 5, value_name = "SECS")]
        interval: u64,
        #[command(flatten)]
        rules: RuleArgs,
    },
    /// Exit 0, 1, 2 or 3 when the groups are OK, WARN, ERR or UNKNOWN (unreachable, refused,
    /// no such group), with one summary line (Nagios/Icinga style); all groups when none are named
    Check {
        groups: Vec<String>,
        #[command(flatten)]
        rules: RuleArgs,
        /// Also ERR when a group's total lag is above N messages
        #[arg(long, value_name = "N")]
        max_lag: Option<i64>,
        /// Also ERR when a partition's oldest unread message is older than this: 30s, 5m, 2h
        #[arg(long, value_name = "DURATION", value_parser = crate::human::parse_duration)]
        max_lag_time: Option<std::time::Duration>,
        /// Also judge Kafka Connect's connectors (--connect URL or KVIEW_CONNECT): a failed
        /// connector or task is ERR, a paused connector WARN
        #[arg(long)]
        connectors: bool,
        /// The verdict and its reasons as JSON
        #[arg(long)]
        json: bool,
    },
    /// Move a group's committed offsets (the group must have no active members). Prints the
    /// change per partition; applies it only with --execute
    ResetOffsets(ResetArgs),
    /// Create a topic
    CreateTopic {
        name: String,
        /// Number of partitions
        #[arg(short = 'p', long, default_value_t = 1)]
        partitions: i32,
        /// Replication factor
        #[arg(short = 'r', long, default_value_t = 1)]
        replication: i16,
    },
    /// Raise a topic's partition count (Kafka cannot lower it)
    AddPartitions {
        name: String,
        /// The new total number of partitions
        #[arg(short = 'p', long)]
        partitions: i32,
    },
    /// The demo pipelines kview comes from
    #[command(subcommand)]
    Demo(DemoCommand),
    /// Simulate load: realistic sensor readings (kview simulate sensors)
    #[command(subcommand)]
    Simulate(SimulateCommand),
    /// Process a stream: sensor readings into windows, alerts and SQLite (kview process sensors)
    #[command(subcommand)]
    Process(ProcessCommand),
    /// The schema registry: list subjects, show a version's schema, register a schema
    Schemas {
        #[command(subcommand)]
        action: Option<SchemasCommand>,
        #[arg(long, global = true)]
        json: bool,
    },
    /// Kafka Connect: every connector with its state, tasks and topics; `show`, the actions
    /// on one, `create`, `plugins`
    Connect {
        #[command(subcommand)]
        action: Option<ConnectCommand>,
        #[arg(long, global = true)]
        json: bool,
    },
    /// Print a shell completion script: bash, zsh, fish, elvish or powershell
    Completions { shell: clap_complete::Shell },
    /// Print kview's man page (roff), generated from this command line
    Man,
    /// List the clusters of the config file and whether each answers (and how: TLS, SASL user)
    Clusters {
        #[arg(long)]
        json: bool,
    },
    /// Delete a topic (asks first, unless --yes)
    DeleteTopic {
        name: String,
        /// Do not ask for confirmation
        #[arg(short = 'y', long)]
        yes: bool,
    },
    /// Change a topic's configs (or with --broker / --all-brokers, dynamic broker configs):
    /// KEY=VALUE sets, --unset KEY goes back to the default
    SetConfig {
        /// TOPIC KEY=VALUE... (with --broker or --all-brokers, KEY=VALUE... only)
        #[arg(value_name = "TOPIC KEY=VALUE")]
        args: Vec<String>,
        #[arg(long, value_name = "KEY")]
        unset: Vec<String>,
        /// This broker's dynamic configs
        #[arg(long, value_name = "ID", conflicts_with = "all_brokers")]
        broker: Option<i32>,
        /// The cluster-wide default of every broker's dynamic configs
        #[arg(long)]
        all_brokers: bool,
    },
    /// ACLs: who may do what (filter by --principal or resource); `add` and `remove`, with
    /// presets --consumer and --producer
    Acls(AclsArgs),
    /// SCRAM users and their mechanisms; `set` (password from stdin) and `remove`
    Users {
        #[command(subcommand)]
        action: Option<UsersAction>,
        #[arg(long)]
        json: bool,
    },
    /// Client quotas of users and client ids, in units; `set`
    Quotas {
        #[command(subcommand)]
        action: Option<QuotasAction>,
        #[arg(long)]
        json: bool,
    },
    /// Move a topic's replicas: a new replication factor, or one partition's replicas. Shows
    /// the plan; --execute applies it
    Reassign(ReassignArgs),
    /// Reassignments in progress: replicas being added and removed; --cancel TOPIC stops them,
    /// --clear-throttle TOPIC lifts a finished move's throttle
    Reassignments {
        #[arg(long, value_name = "TOPIC", conflicts_with = "clear_throttle")]
        cancel: Option<String>,
        #[arg(long, value_name = "TOPIC")]
        clear_throttle: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Move leadership back to each partition's preferred replica (or --unclean: to any live
    /// replica)
    ElectLeaders(ElectArgs),
    /// The KRaft quorum: the active controller, voters and observers and how far each
    /// trails; the cluster's finalized features
    Quorum {
        #[arg(long)]
        json: bool,
    },
    /// Disk use per broker and log directory, and the largest partitions
    LogDirs {
        #[arg(long)]
        json: bool,
    },
    /// Delete a topic's records before an offset or a time (moves its low watermark). Shows
    /// what goes; --execute deletes
    DeleteRecords(DeleteRecordsArgs),
    /// Delete a consumer group and its committed offsets (asks first, unless --yes)
    DeleteGroup {
        group: String,
        /// Do not ask for confirmation
        #[arg(short = 'y', long)]
        yes: bool,
    },
    /// Transactions: every transactional id with its state, producer, age and partitions;
    /// `hanging` finds open ones no coordinator will end; `abort` ends one
    Transactions {
        #[command(subcommand)]
        action: Option<TransactionsCommand>,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum TransactionsCommand {
    /// Open transactions older than --max-age whose coordinator does not know them (or not on
    /// that partition): their markers never come and the partition's last stable offset is stuck
    Hanging {
        /// Only this topic (default: every topic)
        #[arg(short = 't', long)]
        topic: Option<String>,
        /// Only this partition of --topic
        #[arg(short = 'p', long, requires = "topic")]
        partition: Option<i32>,
        /// Open for longer than this: 15m, 1h
        #[arg(long, default_value = "15m", value_parser = crate::human::parse_duration)]
        max_age: std::time::Duration,
        #[arg(long)]
        json: bool,
    },
    /// Abort the open transaction that starts at an offset (writes its ABORT marker, as
    /// `kafka-transactions.sh abort` does); asks first, unless --yes
    Abort {
        #[arg(short = 't', long)]
        topic: String,
        #[arg(short = 'p', long)]
        partition: i32,
        /// The offset of the transaction's first record (as `hanging` shows it)
        #[arg(long)]
        start_offset: i64,
        /// Do not ask for confirmation
        #[arg(short = 'y', long)]
        yes: bool,
    },
}

#[derive(Debug, Args)]
pub struct ProduceArgs {
    /// The topic to write to
    #[arg(short = 't', long)]
    pub topic: String,
    /// Key for every message
    #[arg(short = 'k', long)]
    pub key: Option<String>,
    /// Split each stdin line into key and value at the first DELIM
    #[arg(short = 'K', long, value_name = "DELIM", conflicts_with = "key")]
    pub key_delimiter: Option<String>,
    /// Header name=value; `name` alone gives a null value (repeatable)
    #[arg(short = 'H', long = "header", value_name = "NAME=VALUE")]
    pub headers: Vec<String>,
    /// Partition to write to (default: by key hash, like Kafka's Java producer)
    #[arg(short = 'p', long)]
    pub partition: Option<i32>,
    /// One line of JSON per written message
    #[arg(long)]
    pub json: bool,
    /// Print nothing on success
    #[arg(short = 'q', long)]
    pub quiet: bool,
    /// Compress the batches written (as kcat's -z)
    #[arg(short = 'z', long, value_enum, default_value = "none")]
    pub compression: CompressionArg,
    /// Encode each value (a line of JSON) with this subject's latest schema in the schema
    /// registry's wire format (Avro, Protobuf or JSON Schema)
    #[arg(long, value_name = "SUBJECT", conflicts_with = "value_schema_id")]
    pub value_subject: Option<String>,
    /// Encode each value with the schema of this id
    #[arg(long, value_name = "ID")]
    pub value_schema_id: Option<u32>,
    /// With --value-subject or --value-schema-id, the subject's version to use (default latest)
    #[arg(long, value_name = "N", requires = "value_subject")]
    pub value_schema_version: Option<i32>,
    /// The Protobuf message type to write (default: the schema's first message)
    #[arg(long, value_name = "NAME")]
    pub value_message: Option<String>,
    /// Encode each key (JSON) with this subject's schema, as --value-subject does values
    #[arg(long, value_name = "SUBJECT", conflicts_with = "key_schema_id")]
    pub key_subject: Option<String>,
    /// Encode each key with the schema of this id
    #[arg(long, value_name = "ID")]
    pub key_schema_id: Option<u32>,
    /// With --key-subject, the subject's version to use (default latest)
    #[arg(long, value_name = "N", requires = "key_subject")]
    pub key_schema_version: Option<i32>,
    /// How stdin is read: raw (a line a value, -K splits a key off) or json (a line a record,
    /// as `kview consume --format json` writes them: keys, values, headers, timestamps)
    #[arg(long, value_enum, default_value_t = Format::Raw)]
    pub format: Format,
    /// With --format json: stamp records now instead of keeping their timestamps
    #[arg(long)]
    pub new_timestamps: bool,
    /// With --format json: write each record to the partition it names (default: by its key)
    #[arg(long)]
    pub keep_partitions: bool,
    /// Send a batch this long after its first record at the latest, even when it is not full
    /// (librdkafka's linger.ms): a line written into an open pipe goes out at once
    #[arg(long, default_value_t = 5, value_name = "MS")]
    pub linger_ms: u64,
    /// Message values; stdin is read when none are given
    pub values: Vec<String>,
}

#[derive(Debug, Args)]
pub struct CopyArgs {
    /// The topic to read
    pub source: String,
    /// The topic to write (created like the source when missing)
    pub target: String,
    /// Write to this cluster of the config file (default: the source's cluster)
    #[arg(long, value_name = "NAME")]
    pub to_cluster: Option<String>,
    /// Write to these brokers, plaintext (default: the source's cluster)
    #[arg(
        long,
        value_name = "HOST:PORT",
        value_delimiter = ',',
        conflicts_with = "to_cluster"
    )]
    pub to_brokers: Option<Vec<String>>,
    /// Only this partition of the source
    #[arg(short = 'p', long)]
    pub partition: Option<i32>,
    /// Where to start in each partition: beginning, OFFSET, -N, @UNIX_MS or an RFC 3339 time
    #[arg(long, default_value = "beginning", allow_hyphen_values = true)]
    pub from: StartAt,
    /// Where to stop (not included): OFFSET, -N, @UNIX_MS or an RFC 3339 time [default: the
    /// end when the copy is planned]
    #[arg(long, allow_hyphen_values = true)]
    pub until: Option<StartAt>,
    /// Only records whose key or value contains TEXT, or matches /REGEX/
    #[arg(long, value_name = "TEXT|/REGEX/")]
    pub filter: Option<crate::decode::filter::Filter>,
    /// Records a second at most (a replay into a busy topic); 0 for as fast as it goes
    #[arg(long, default_value_t = 0.0, value_name = "N")]
    pub rate: f64,
    /// Compress the batches written
    #[arg(short = 'z', long, value_enum, default_value = "none")]
    pub compression: CompressionArg,
    /// Copy (without it, only the preview is printed)
    #[arg(long)]
    pub execute: bool,
    /// Start over even when an earlier run of this copy stopped or finished
    #[arg(long)]
    pub restart: bool,
    /// Where the copy keeps its progress [default: kview's state folder]
    #[arg(long, value_name = "FILE")]
    pub state: Option<PathBuf>,
    #[arg(long)]
    pub json: bool,
}

/// How lag status is judged (see the README's lag rules).
#[derive(Debug, Args, Clone, Copy)]
pub struct RuleArgs {
    /// Commits per partition the status is judged over
    #[arg(long, default_value_t = 10)]
    pub window: usize,
    /// Lag at or below this counts as caught up (Burrow's allowed lag)
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub allowed_lag: i64,
    /// The shortest silence (no commits while lag grows) kview's own rules call STOP
    #[arg(long, default_value = "60s", value_name = "DURATION", value_parser = crate::human::parse_duration)]
    pub min_silence: std::time::Duration,
}

impl RuleArgs {
    pub fn rules(&self) -> crate::lag::status::Rules {
        crate::lag::status::Rules {
            allowed_lag: self.allowed_lag.max(0),
            min_silence: self.min_silence,
        }
    }
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("target").required(true).multiple(false)))]
pub struct ResetArgs {
    pub group: String,
    /// Only this topic (default: every topic the group has committed on)
    #[arg(short = 't', long)]
    pub topic: Option<String>,
    /// Only this partition of --topic
    #[arg(short = 'p', long, requires = "topic")]
    pub partition: Option<i32>,
    #[arg(long, group = "target")]
    pub to_earliest: bool,
    #[arg(long, group = "target")]
    pub to_latest: bool,
    #[arg(long, group = "target", value_name = "OFFSET")]
    pub to_offset: Option<i64>,
    /// RFC 3339 time or @UNIX_MS
    #[arg(long, group = "target", value_name = "TIME")]
    pub to_datetime: Option<String>,
    #[arg(long, group = "target", value_name = "N", allow_hyphen_values = true)]
    pub shift_by: Option<i64>,
    /// Apply the change (without it, only the preview is printed)
    #[arg(long)]
    pub execute: bool,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ConsumeArgs {
    /// The topic to read. With -G, several (-t a -t b) or a regex of Kafka's (one starting
    /// with ^, matched against whole topic names)
    #[arg(short = 't', long = "topic", value_name = "TOPIC", required = true)]
    pub topics: Vec<String>,
    /// Only this partition (default: all)
    #[arg(short = 'p', long)]
    pub partition: Option<i32>,
    /// Where to start: beginning, end, OFFSET, -N (N before the end of each partition),
    /// @UNIX_MS or an RFC 3339 time
    #[arg(
        short = 'o',
        long,
        default_value = "beginning",
        allow_hyphen_values = true
    )]
    pub offset: StartAt,
    /// Stop after this many messages
    #[arg(short = 'c', long)]
    pub count: Option<u64>,
    /// Exit once the end of every partition is reached
    #[arg(short = 'e', long)]
    pub exit_at_end: bool,
    #[arg(long, value_enum, default_value_t = Format::Raw)]
    pub format: Format,
    /// kcat's format string, for scripts written for kcat: %t topic, %p partition, %o offset,
    /// %k key, %K key length, %s value, %S value length, %T timestamp, %h headers, %%; \n \t
    /// \xHH
    #[arg(
        short = 'f',
        long = "format-string",
        value_name = "FMT",
        conflicts_with = "format"
    )]
    pub format_string: Option<crate::decode::kcat_format::KcatFormat>,
    /// How keys are read: auto (by the schema registry's magic byte), avro, protobuf,
    /// json-schema, string or bytes
    #[arg(long, default_value = "auto", value_name = "FORMAT", value_parser = parse_data_format)]
    pub key_format: crate::schema::DataFormat,
    /// How values are read (as --key-format)
    #[arg(long, default_value = "auto", value_name = "FORMAT", value_parser = parse_data_format)]
    pub value_format: crate::schema::DataFormat,
    /// read_committed (as Kafka's consumers read with transactions): only what transactions
    /// committed; read_uncommitted: everything, records of transactions marked with how they
    /// ended
    #[arg(long, value_enum, default_value_t = IsolationArg::ReadCommitted)]
    pub isolation: IsolationArg,
    /// Join this consumer group: read the partitions it assigns, commit, leave on exit
    /// (Kafka 4's consumer protocol, KIP-848). Partitions it never committed start at -o
    #[arg(short = 'G', long, value_name = "GROUP")]
    pub group: Option<String>,
    /// With -G: how often to commit what was written (also before giving partitions up and
    /// on exit)
    #[arg(long, default_value = "5s", value_parser = crate::human::parse_duration, value_name = "DURATION")]
    pub commit_interval: std::time::Duration,
    /// With -G: how long the group waits for this member to give partitions up
    #[arg(long, default_value = "60s", value_parser = crate::human::parse_duration, value_name = "DURATION")]
    pub rebalance_timeout: std::time::Duration,
    /// With -G: a static member's id; a member coming back under it keeps its partitions
    #[arg(long, value_name = "ID", requires = "group")]
    pub instance_id: Option<String>,
    #[command(flatten)]
    pub group_protocol: GroupProtocolArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum IsolationArg {
    #[value(name = "read_committed")]
    ReadCommitted,
    #[value(name = "read_uncommitted")]
    ReadUncommitted,
}

impl From<IsolationArg> for crate::kafka::records::Isolation {
    fn from(i: IsolationArg) -> Self {
        match i {
            IsolationArg::ReadCommitted => Self::ReadCommitted,
            IsolationArg::ReadUncommitted => Self::ReadUncommitted,
        }
    }
}

fn parse_data_format(s: &str) -> Result<crate::schema::DataFormat, String> {
    s.parse()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CompressionArg {
    None,
    Gzip,
    Snappy,
    Lz4,
    Zstd,
}

impl From<CompressionArg> for crate::kafka::Compression {
    fn from(c: CompressionArg) -> Self {
        use crate::kafka::Compression;
        match c {
            CompressionArg::None => Compression::None,
            CompressionArg::Gzip => Compression::Gzip,
            CompressionArg::Snappy => Compression::Snappy,
            CompressionArg::Lz4 => Compression::Lz4,
            CompressionArg::Zstd => Compression::Zstd,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// The value bytes, one message per line
    Raw,
    /// One JSON object per line with topic, partition, offset, timestamp, key, value, headers
    Json,
}

#[derive(Debug, Subcommand)]
pub enum SchemasCommand {
    /// Subjects with their type, number of versions and latest version (the default)
    List,
    /// A subject's schema: the latest version, or --version N
    Show {
        subject: String,
        #[arg(long, value_name = "N")]
        version: Option<i32>,
    },
    /// Register a schema file under a subject; prints its id
    Register {
        subject: String,
        /// The schema: .avsc (Avro), .proto (Protobuf) or .json (JSON Schema)
        file: PathBuf,
        /// avro, protobuf or json-schema (default: from the file's extension)
        #[arg(long = "type", value_name = "TYPE")]
        kind: Option<String>,
        /// A schema it imports or names: NAME=SUBJECT:VERSION, e.g. common.proto=common:1
        #[arg(long = "reference", value_name = "NAME=SUBJECT:VERSION")]
        references: Vec<String>,
    },
}

impl GlobalOpts {
    /// What the command line says about the connection, for `config::resolve`.
    pub fn choice(&self) -> crate::config::CliChoice {
        crate::config::CliChoice {
            brokers: self
                .brokers
                .as_ref()
                .map(|b| crate::config::split_brokers(&b.join(","))),
            cluster: self.cluster.clone(),
            config: self.config.clone(),
            command_config: self.command_config.clone(),
            read_only: self.read_only,
            schema_registry: self.schema_registry.clone(),
            connect: self.connect.clone(),
            no_mask: self.no_mask,
        }
    }
}

/// How a group member joins: the protocol, and the classic protocol's own settings.
#[derive(Debug, Args, Clone)]
pub struct GroupProtocolArgs {
    /// The group protocol a member joins with; auto takes Kafka 4's consumer protocol
    /// (KIP-848) when the broker offers it, else the classic one
    #[arg(long, value_enum, default_value = "auto", value_name = "PROTOCOL")]
    pub group_protocol: GroupProtocolArg,
    /// With the classic protocol: the assignor this member offers and runs when it leads
    #[arg(long, value_enum, default_value = "cooperative-sticky")]
    pub assignor: AssignorArg,
    /// With the classic protocol: how long the group waits to hear from this member before
    /// it gives its partitions to others (the consumer protocol's is the group's config)
    #[arg(long, default_value = "45s", value_parser = crate::human::parse_duration, value_name = "DURATION")]
    pub session_timeout: std::time::Duration,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum GroupProtocolArg {
    Auto,
    Consumer,
    Classic,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum AssignorArg {
    CooperativeSticky,
    Range,
}

impl Default for GroupProtocolArgs {
    fn default() -> Self {
        GroupProtocolArgs {
            group_protocol: GroupProtocolArg::Auto,
            assignor: AssignorArg::CooperativeSticky,
            session_timeout: std::time::Duration::from_secs(45),
        }
    }
}

impl GroupProtocolArgs {
    pub fn assignor_name(&self) -> &'static str {
        match self.assignor {
            AssignorArg::CooperativeSticky => "cooperative-sticky",
            AssignorArg::Range => "range",
        }
    }

    /// These settings applied to a member's.
    pub fn apply(&self, settings: &mut crate::kafka::group::MemberSettings) {
        use crate::kafka::group::{Assignor, GroupProtocol};
        settings.protocol = match self.group_protocol {
            GroupProtocolArg::Auto => GroupProtocol::Auto,
            GroupProtocolArg::Consumer => GroupProtocol::Consumer,
            GroupProtocolArg::Classic => GroupProtocol::Classic,
        };
        settings.assignor = match self.assignor {
            AssignorArg::CooperativeSticky => Assignor::CooperativeSticky,
            AssignorArg::Range => Assignor::Range,
        };
        settings.session_timeout = self.session_timeout;
    }
}
