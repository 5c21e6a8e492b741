//! Where tracing events go. Headless commands: nowhere by default (their one-line errors say
//! what matters), stderr with `RUST_LOG`. The dashboard: its log panel (tui-logger), never the
//! terminal it draws on. Both: a file with `--log-file`.

use std::path::Path;

use anyhow::{Context, Result};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::Layer as _;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

pub fn init_headless(log_file: Option<&Path>) -> Result<()> {
    let stderr = std::env::var_os("RUST_LOG").map(|_| {
        tracing_subscriber::fmt::layer()
            .with_writer(std::io::stderr)
            .with_filter(EnvFilter::from_default_env())
    });
    tracing_subscriber::registry()
        .with(stderr)
        .with(file_layer(log_file)?)
        .init();
    Ok(())
}

/// Log lines the dashboard's panel keeps.
const PANEL_LINES: usize = 2_000;

pub fn init_dashboard(log_file: Option<&Path>) -> Result<()> {
    // Not `tui_logger::init_logger`: it starts a thread that wakes 100 times a second to move
    // events from the panel's incoming buffer to its own (a tenth of a followed firehose's
    // CPU, most of an idle one's). The event loop moves them when it draws; from the first
    // move on, the incoming buffer holds as many lines as the panel, so a closed panel loses
    // none it would show.
    tui_logger::set_default_level(tui_logger::LevelFilter::Info);
    tui_logger::set_hot_buffer_depth(PANEL_LINES);
    // The panel shows recent events; its default of 10,000 kept 1.5 MB (a `--log-file` keeps
    // everything).
    tui_logger::set_buffer_depth(PANEL_LINES);
    // rskafka logs expected conditions (a deleted topic) as errors; kview reports what matters.
    let panel = tui_logger::TuiTracingSubscriberLayer
        .with_filter(EnvFilter::new("kview=info,rskafka=off,warn"));
    tracing_subscriber::registry()
        .with(panel)
        .with(file_layer(log_file)?)
        .init();
    Ok(())
}

fn file_layer<S>(log_file: Option<&Path>) -> Result<Option<impl tracing_subscriber::Layer<S>>>
where
    S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
{
    let file = match log_file {
        Some(path) => {
            let file = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .with_context(|| format!("cannot open log file {}", path.display()))?;
            Some(
                tracing_subscriber::fmt::layer()
                    .with_ansi(false)
                    .with_writer(std::sync::Mutex::new(file))
                    // RUST_LOG says what more the file gets (as the README promises).
                    .with_filter(
                        EnvFilter::try_from_default_env()
                            .unwrap_or_else(|_| EnvFilter::new("info")),
                    ),
            )
        }
        None => None,
    };
    Ok(file)
}
