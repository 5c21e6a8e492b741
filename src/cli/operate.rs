//! The command line of operating a cluster: ACLs, SCRAM users, quotas, replicas, leaders,
//! the quorum, disks and records.

use clap::{Args, Subcommand};

use crate::kafka::acl::Operation;

/// The resource an ACL command is about: one of these, a name literally or as a prefix.
#[derive(Debug, Args, Clone, Default)]
pub struct AclResourceArgs {
    /// A topic (`*` for every topic)
    #[arg(long)]
    pub topic: Option<String>,
    /// A consumer group (`*` for every group)
    #[arg(long)]
    pub group: Option<String>,
    /// The cluster itself (Kafka names it kafka-cluster; --cluster picks a profile)
    #[arg(long, conflicts_with_all = ["topic", "group", "transactional_id"])]
    pub kafka_cluster: bool,
    /// A transactional id
    #[arg(long)]
    pub transactional_id: Option<String>,
    /// The name is a prefix: every resource whose name starts with it
    #[arg(long)]
    pub prefixed: bool,
}

#[derive(Debug, Args)]
pub struct AclsArgs {
    #[command(subcommand)]
    pub action: Option<AclsAction>,
    /// Only this principal's ACLs (`bob` means `User:bob`)
    #[arg(long)]
    pub principal: Option<String>,
    #[command(flatten)]
    pub resource: AclResourceArgs,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum AclsAction {
    /// Grant (or with --deny, deny) operations: --operation OP..., or a preset (--consumer,
    /// --producer)
    Add(AclChangeArgs),
    /// Remove the ACLs the same options would add
    Remove(AclChangeArgs),
}

#[derive(Debug, Args)]
pub struct AclChangeArgs {
    /// Who (`bob` means `User:bob`)
    #[arg(long)]
    pub principal: String,
    /// From which host (default: any)
    #[arg(long, default_value = "*")]
    pub host: String,
    /// Operations: Read, Write, Create, Delete, Alter, Describe, DescribeConfigs,
    /// AlterConfigs, IdempotentWrite, ClusterAction, All (repeatable)
    #[arg(long = "operation", value_parser = Operation::parse)]
    pub operations: Vec<Operation>,
    /// What a consumer needs: Read and Describe on --topic, Read on --group
    #[arg(
        long,
        requires = "topic",
        requires = "group",
        conflicts_with = "producer"
    )]
    pub consumer: bool,
    /// What a producer needs: Write, Describe and Create on --topic
    #[arg(long, requires = "topic")]
    pub producer: bool,
    /// With --producer: IdempotentWrite on the cluster
    #[arg(long, requires = "producer")]
    pub idempotent: bool,
    /// Deny instead of allow
    #[arg(long)]
    pub deny: bool,
    #[command(flatten)]
    pub resource: AclResourceArgs,
}

#[derive(Debug, Subcommand)]
pub enum UsersAction {
    /// Create or change a SCRAM user; the password comes from stdin (or a prompt), never the
    /// command line
    Set {
        name: String,
        #[arg(long, value_enum, default_value = "scram-sha-512")]
        mechanism: ScramMechanismArg,
        #[arg(long, default_value_t = 8192)]
        iterations: i32,
    },
    /// Remove a user's SCRAM credentials (every mechanism unless --mechanism)
    Remove {
        name: String,
        #[arg(long, value_enum)]
        mechanism: Option<ScramMechanismArg>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ScramMechanismArg {
    #[value(name = "scram-sha-256", alias = "SCRAM-SHA-256")]
    ScramSha256,
    #[value(name = "scram-sha-512", alias = "SCRAM-SHA-512")]
    ScramSha512,
}

#[derive(Debug, Subcommand)]
pub enum QuotasAction {
    /// Set quotas of a user or client id: producer_byte_rate=10MiB consumer_byte_rate=...
    /// request_percentage=...; --unset KEY removes one
    Set {
        #[command(flatten)]
        entity: QuotaEntityArgs,
        #[arg(value_name = "KEY=VALUE")]
        set: Vec<String>,
        #[arg(long, value_name = "KEY")]
        unset: Vec<String>,
    },
}

#[derive(Debug, Args, Clone)]
#[group(required = true, multiple = true)]
pub struct QuotaEntityArgs {
    /// The user (`default` for every user without its own)
    #[arg(long)]
    pub user: Option<String>,
    /// The client id (`default` for every client id without its own)
    #[arg(long)]
    pub client_id: Option<String>,
}

#[derive(Debug, Args)]
pub struct ReassignArgs {
    pub topic: String,
    /// Give every partition this many replicas
    #[arg(long, conflicts_with = "replicas")]
    pub replication_factor: Option<usize>,
    /// The partition whose replicas --replicas names
    #[arg(short = 'p', long, requires = "replicas")]
    pub partition: Option<i32>,
    /// The broker ids of the partition's replicas, the preferred leader first: 1,2,3
    #[arg(long, value_delimiter = ',')]
    pub replicas: Vec<i32>,
    /// Limit the moving replicas' replication to this many bytes a second (e.g. 10MiB), as
    /// Kafka's reassignment tool does; `kview reassignments --clear-throttle TOPIC` lifts it
    #[arg(long, value_name = "RATE", requires = "execute")]
    pub throttle: Option<String>,
    /// Apply the plan (without it, the plan is only shown)
    #[arg(long)]
    pub execute: bool,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ElectArgs {
    /// Only this topic (default: every partition whose leader is not its preferred replica)
    pub topic: Option<String>,
    /// Only this partition of TOPIC
    #[arg(short = 'p', long, requires = "topic")]
    pub partition: Option<i32>,
    /// Elect any live replica, even one out of sync: records may be lost
    #[arg(long)]
    pub unclean: bool,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct DeleteRecordsArgs {
    pub topic: String,
    /// Only this partition (default: all)
    #[arg(short = 'p', long)]
    pub partition: Option<i32>,
    /// Delete records before this offset
    #[arg(
        long,
        conflicts_with = "before_time",
        required_unless_present = "before_time"
    )]
    pub before: Option<i64>,
    /// Delete records written before this time: @UNIX_MS or RFC 3339
    #[arg(long, value_name = "TIME")]
    pub before_time: Option<String>,
    /// Apply (without it, what would go is only shown)
    #[arg(long)]
    pub execute: bool,
    #[arg(long)]
    pub json: bool,
}
