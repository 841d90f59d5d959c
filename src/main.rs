//! The `personas` binary: parses the command line, sets up logging, runs the library and maps
//! errors to the exit codes documented in the README (0 success, 2 config, 3 input data, 4 a
//! store unreachable, 5 insufficient sample, 70 internal, 75 locked by another run, 99 nothing
//! new to do).

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use clap::Parser;
use personas::cli::{execute, Cli, LogFormat};
use personas::error::EXIT_NOTHING_TO_DO;
use personas::pipeline::progress;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::EnvFilter;

/// Stderr for logs, moving the progress bar (when one is shown) out of the way of each line.
struct LogWriter;

impl Write for LogWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        progress::suspend(|| std::io::stderr().write_all(buf))?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stderr().flush()
    }
}

impl<'a> MakeWriter<'a> for LogWriter {
    type Writer = LogWriter;

    fn make_writer(&'a self) -> LogWriter {
        LogWriter
    }
}

fn main() -> ExitCode {
    personas::memory::settle_allocator();
    let cli = Cli::parse();
    let filter = EnvFilter::try_from_env("PERSONAS_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    // Colour only for a person at a terminal, and never with `NO_COLOR` set (no-color.org).
    let colour = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(colour)
        .with_writer(LogWriter);
    match cli.log_format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Text => builder.init(),
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(70);
        }
    };
    let json = matches!(cli.log_format, LogFormat::Json);
    match runtime.block_on(execute(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let code = e.exit_code();
            let message = format!("{:#}", anyhow::Error::from(e));
            match (json, code == EXIT_NOTHING_TO_DO) {
                // In JSON mode the last line is JSON too: the one a log shipper needs most.
                // Nothing to do is not a failure: the scheduler marks the task skipped.
                (true, true) => tracing::info!(exit_code = code, "{message}"),
                (true, false) => tracing::error!(exit_code = code, "{message}"),
                (false, true) => eprintln!("personas: {message}"),
                (false, false) => eprintln!("error: {message}"),
            }
            ExitCode::from(code)
        }
    }
}
