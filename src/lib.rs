//! kview: a terminal dashboard and scriptable client for Apache Kafka.
//!
//! `kafka` is the connection layer; `headless` the scriptable commands; `lag` pure lag math.
//! The binary in `main.rs` only parses the command line and calls [`run`].

pub mod app;
pub mod cli;
pub mod collect;
pub mod decode;
pub mod demo;
pub mod headless;
pub mod human;
pub mod kafka;
pub mod lag;
pub mod logging;
pub mod ui;

use std::time::Duration;

use anyhow::{Result, bail};

use cli::Cli;
use kafka::{ConnSettings, KafkaClient};

/// Connection settings from the command line.
pub fn conn_settings(global: &cli::GlobalOpts) -> Result<ConnSettings> {
    if !(global.timeout.is_finite() && global.timeout > 0.0) {
        bail!("--timeout must be a positive number of seconds");
    }
    let timeout = Duration::from_secs_f64(global.timeout);
    Ok(ConnSettings {
        connect_timeout: timeout,
        request_timeout: timeout.max(Duration::from_secs(30)),
        ..ConnSettings::default()
    })
}

/// Runs what the command line asks for; returns the process exit code.
pub async fn run(cli: Cli) -> Result<u8> {
    let settings = conn_settings(&cli.global)?;
    let brokers: Vec<String> = cli
        .global
        .brokers
        .iter()
        .map(|b| b.trim().to_owned())
        .filter(|b| !b.is_empty())
        .collect();
    let Some(command) = &cli.command else {
        logging::init_dashboard(cli.global.log_file.as_deref())?;
        return app::runtime::run(app::runtime::DashboardOptions {
            brokers,
            settings,
            read_only: cli.global.read_only,
            mouse: cli.global.mouse,
            demo: cli.global.demo,
            demo_names: demo::DemoNames::new(&cli.global.demo_prefix),
        })
        .await
        .map(|()| 0);
    };
    logging::init_headless(cli.global.log_file.as_deref())?;
    let client = KafkaClient::connect(brokers, settings).await?;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::with_capacity(256 * 1024, stdout.lock());
    headless::run(&client, &cli.global, command, &mut out).await
}
