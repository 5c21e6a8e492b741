//! The `kview` binary: parse the command line, set up logging, run, and turn any error into
//! one line on stderr with a non-zero exit.

use std::process::ExitCode;

use clap::Parser as _;

fn main() -> ExitCode {
    kview::started();
    let cli = match kview::cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if !e.use_stderr() => e.exit(), // --help, --version
        Err(e) => {
            // clap explains usage errors over several lines; scripts want one.
            let text = e.to_string();
            let first_paragraph = text.split("\n\n").next().unwrap_or_default();
            eprintln!(
                "kview: {}",
                one_line(first_paragraph.trim_start_matches("error: "))
            );
            return ExitCode::from(2);
        }
    };
    // One TLS provider for the whole process (ring, the one rskafka uses), so no library that
    // asks rustls for the default can find two and fail.
    let _ = rustls::crypto::ring::default_provider().install_default();
    match kview::run_blocking(cli) {
        Ok(code) => ExitCode::from(code),
        // A closed pipe (`kview consume ... | head`) is the reader's choice, not a failure.
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("kview: {}", one_line(&format!("{e:#}")));
            ExitCode::FAILURE
        }
    }
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// Errors are one line: anything a broker or library put on further lines is folded.
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}
