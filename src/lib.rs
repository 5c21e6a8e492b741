//! kview: a terminal dashboard and scriptable client for Apache Kafka.
//!
//! `kafka` is the connection layer; `headless` the scriptable commands; `lag` pure lag math.
//! The binary in `main.rs` only parses the command line and calls [`run`].

pub mod app;
pub mod cli;
pub mod collect;
pub mod config;
pub mod connect;
pub mod decode;
pub mod demo;
pub mod headless;
pub mod http;
pub mod human;
pub mod kafka;
pub mod lag;
pub mod logging;
pub mod maps;
pub mod schema;
pub mod ui;

use std::io::Write as _;
use std::time::Duration;

use anyhow::{Result, bail};

use cli::Cli;
use kafka::KafkaClient;

/// When the process started (main asks first thing), for the start-up figures in the log.
pub fn started() -> std::time::Instant {
    static STARTED: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
    *STARTED.get_or_init(std::time::Instant::now)
}

/// The `--timeout` as a duration, refused when it is not a positive number of seconds.
pub fn timeout(global: &cli::GlobalOpts) -> Result<Duration> {
    if !(global.timeout.is_finite() && global.timeout > 0.0) {
        bail!("--timeout must be a positive number of seconds");
    }
    Ok(Duration::from_secs_f64(global.timeout))
}

/// Runs what the command line asks for; returns the process exit code.
/// Runs a parsed command line to its end on a multi-threaded runtime of its own. A plain
/// function, so the binary that calls it compiles none of kview's async code again (an async
/// fn polled from another crate is compiled there too: 1.5 minutes of a release build).
pub fn run_blocking(cli: Cli) -> Result<u8> {
    if cli.command.is_none() {
        keep_dashboard_heap_small();
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| anyhow::anyhow!("cannot start the async runtime: {e}"))?;
    runtime.block_on(run(cli))
}

/// The dashboard lives for hours and its memory is mostly short-lived: each watermark sample of
/// a large cluster builds and drops megabytes. glibc gives each thread that meets contention an
/// arena of its own and keeps freed memory at the top of each for reuse, so a dashboard with
/// 20 MB live held 54 MB on 10,000 partitions. One arena, and freed memory above 256 KiB given
/// back, held 35 MB (headless commands keep glibc's defaults: a consume's reader and writer
/// allocate at full speed on two threads).
fn keep_dashboard_heap_small() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets allocator parameters; it is called before any other thread
    // exists.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 1);
        libc::mallopt(libc::M_TRIM_THRESHOLD, 256 * 1024);
        libc::mallopt(libc::M_TOP_PAD, 0);
        // Setting the trim threshold fixes glibc's mmap threshold at 128 KiB, so a followed
        // firehose's batches (a fetch's records, their bytes copied out: 100 KiB–1 MiB, a
        // fetch 20 times a second) were each mapped, faulted in page by page and unmapped
        // (about 5 % of its CPU, 1,400 page faults a second). Below 1 MiB they reuse the heap.
        libc::mallopt(libc::M_MMAP_THRESHOLD, 1024 * 1024);
    }
}

/// Gives back to the system the pages the last watermark sample freed. Its requests and answers
/// are freed in the middle of the heap, under what lives on, where glibc's trim threshold does
/// not reach, so the heap's pages stayed at the sample's peak (20 MB resident with 13.5 MB
/// live on 10,000 partitions). Called by the dashboard after each sample is folded in.
pub fn give_back_freed_heap() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only returns free pages to the system; any thread may call it.
    unsafe {
        libc::malloc_trim(0);
    }
}

pub async fn run(cli: Cli) -> Result<u8> {
    // Generated from the command line itself; they need no cluster or config.
    match &cli.command {
        // Made in memory, then written: a closed pipe is an error main knows, not a panic.
        Some(cli::Command::Completions { shell }) => {
            let mut command = <Cli as clap::CommandFactory>::command();
            let mut script = Vec::new();
            clap_complete::generate(*shell, &mut command, "kview", &mut script);
            std::io::stdout().write_all(&script)?;
            return Ok(0);
        }
        Some(cli::Command::Man) => {
            let command = <Cli as clap::CommandFactory>::command();
            let mut page = Vec::new();
            clap_mangen::Man::new(command).render(&mut page)?;
            std::io::stdout().write_all(&page)?;
            return Ok(0);
        }
        _ => {}
    }
    let resolved = match config::resolve(&cli.global.choice(), &|name| std::env::var(name).ok()) {
        Ok(r) => r,
        // A monitoring check that cannot even read its configuration cannot tell: UNKNOWN.
        Err(e) => {
            if let Some(cli::Command::Check { json, .. }) = &cli.command {
                let mut out = std::io::stdout().lock();
                let code = headless::lag::unknown(&e, *json, &mut out)?;
                out.flush()?;
                return Ok(code);
            }
            return Err(anyhow::Error::msg(e));
        }
    };
    // `kview demo sensors` is the dashboard with the demos running and N processors.
    let (command, demo, processors) = match &cli.command {
        Some(cli::Command::Demo(cli::DemoCommand::Sensors { processors })) => {
            (None, true, *processors)
        }
        other => (other.as_ref(), cli.global.demo, cli.global.processors),
    };
    let Some(command) = command else {
        logging::init_dashboard(cli.global.log_file.as_deref())?;
        for warning in &resolved.warnings {
            tracing::warn!("{warning}");
        }
        return app::runtime::run(app::runtime::DashboardOptions {
            timeout: timeout(&cli.global)?,
            resolved,
            mouse: cli.global.mouse,
            demo,
            demo_names: demo::DemoNames::new(&cli.global.demo_prefix),
            sensor_processors: processors,
        })
        .await
        .map(|()| 0);
    };
    logging::init_headless(cli.global.log_file.as_deref())?;
    for warning in &resolved.warnings {
        eprintln!("kview: warning: {warning}");
    }
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::with_capacity(256 * 1024, stdout.lock());
    if let cli::Command::Clusters { json } = command {
        return headless::clusters::list(timeout(&cli.global)?, &resolved, *json, &mut out).await;
    }
    if let cli::Command::Connect { action, json } = command {
        // Kafka Connect alone: no broker is contacted.
        let mut clusters = Vec::new();
        for config in connect_configs(&resolved)? {
            let client = config.client().await.map_err(anyhow::Error::msg)?;
            clusters.push((config.name.clone(), client));
        }
        let code = headless::connect::run(
            clusters,
            action.as_ref(),
            *json,
            resolved.read_only(),
            &mut out,
        )
        .await?;
        out.flush()?;
        return Ok(code);
    }
    if let cli::Command::Schemas { action, json } = command {
        // The registry alone: no broker is contacted.
        let Some(config) = &resolved.cluster.schema_registry else {
            bail!(
                "no schema registry configured: give --schema-registry URL, KVIEW_SCHEMA_REGISTRY, or schema_registry in the profile"
            );
        };
        let registry = config.connect().await.map_err(anyhow::Error::msg)?;
        let action = action.as_ref().unwrap_or(&cli::SchemasCommand::List);
        headless::schemas::run(registry, action, *json, resolved.read_only(), &mut out).await?;
        out.flush()?;
        return Ok(0);
    }
    let timeout = timeout(&cli.global)?;
    let client = async {
        let settings = resolved
            .cluster
            .conn_settings(timeout, resolved.read_only())
            .await
            .map_err(anyhow::Error::msg)?;
        Ok::<_, anyhow::Error>(
            KafkaClient::connect(resolved.cluster.brokers.clone(), settings).await?,
        )
    }
    .await;
    let client = match (client, command) {
        (Ok(client), _) => client,
        // A monitoring check that cannot reach the cluster says UNKNOWN (exit 3), not WARN.
        (Err(e), cli::Command::Check { json, .. }) => {
            let code = headless::lag::unknown(&format!("{e:#}"), *json, &mut out)?;
            out.flush()?;
            return Ok(code);
        }
        (Err(e), _) => return Err(e),
    };
    // Only the commands that read or write records need the schema registry's client (it may
    // read a password).
    let registry = match (&resolved.cluster.schema_registry, command) {
        (Some(config), cli::Command::Consume(_) | cli::Command::Produce(_)) => {
            Some(config.connect().await.map_err(anyhow::Error::msg)?)
        }
        _ => None,
    };
    if let cli::Command::Copy(args) = command {
        let code = headless::copy::run(&client, &resolved, timeout, args, &mut out).await;
        out.flush()?;
        return code;
    }
    let connect = match command {
        cli::Command::Check {
            connectors: true, ..
        } => Some(match connect_configs(&resolved) {
            Ok(configs) => {
                let mut clients = Vec::new();
                for config in configs {
                    clients.push((config.name.clone(), config.client().await));
                }
                clients
            }
            Err(e) => vec![(String::new(), Err(e.to_string()))],
        }),
        _ => None,
    };
    headless::run(
        &client,
        registry,
        &resolved.masking(),
        command,
        connect,
        &mut out,
    )
    .await
}

/// The Kafka Connect clusters of the profile, or the one `--connect`/`KVIEW_CONNECT` gives.
fn connect_configs(resolved: &config::Resolved) -> Result<Vec<config::connect::ConnectConfig>> {
    if resolved.cluster.connect.is_empty() {
        bail!("no Kafka Connect given: --connect URL, KVIEW_CONNECT, or connect in the profile");
    }
    Ok(resolved.cluster.connect.clone())
}
