//! The command line of Kafka Connect: connectors, their tasks and failures, and the actions
//! on them.

use std::path::PathBuf;

use clap::Subcommand;

#[derive(Debug, Subcommand)]
pub enum ConnectCommand {
    /// A connector's config (secrets masked), its tasks with their workers, and the failure's
    /// first line (--trace: the whole trace)
    Show {
        name: String,
        #[arg(long)]
        trace: bool,
    },
    Pause {
        name: String,
    },
    Resume {
        name: String,
    },
    /// Stop a connector and its tasks (its config stays; offsets can then be reset)
    Stop {
        name: String,
    },
    Restart {
        name: String,
        /// Its tasks too
        #[arg(long)]
        include_tasks: bool,
        /// Only what failed
        #[arg(long)]
        only_failed: bool,
    },
    /// Delete a connector (asks for its name first, unless --yes)
    Delete {
        name: String,
        #[arg(short = 'y', long)]
        yes: bool,
    },
    /// Create a connector from a JSON or .properties file, once the worker validated it
    Create {
        name: String,
        file: PathBuf,
    },
    /// Change a connector's config: KEY=VALUE..., --unset KEY, validated by the worker first
    SetConfig {
        name: String,
        #[arg(value_name = "KEY=VALUE")]
        set: Vec<String>,
        #[arg(long, value_name = "KEY")]
        unset: Vec<String>,
    },
    /// A stopped connector's offsets (KIP-875); --reset removes them
    Offsets {
        name: String,
        #[arg(long)]
        reset: bool,
    },
    /// The connector plugins installed on the worker, with their versions
    Plugins,
}
