//! Command line: `personas run`, `validate`, `generate` and `bench`. Parses arguments into one
//! type and runs the library; `main.rs` only sets up logging and maps errors to exit codes.

use std::path::{Path, PathBuf};
use std::time::Instant;

use chrono::{NaiveDate, Utc};
use clap::{Parser, Subcommand, ValueEnum};

use crate::config::Pipeline;
use crate::error::{Error, Result};
use crate::generate::{self, GenerateOptions};
use crate::pipeline::{self, RunOptions};
use crate::sources;

/// Data-driven buyer personas from your own CRM, email, web-analytics and social exports.
#[derive(Debug, Parser)]
#[command(name = "personas", version, about)]
pub struct Cli {
    /// Log format on stderr.
    #[arg(long, value_enum, default_value_t = LogFormat::Text, global = true)]
    pub log_format: LogFormat,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Log output formats.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line, for log shippers.
    Json,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a pipeline for one logical date.
    Run {
        /// Pipeline config, e.g. pipelines/sample.toml.
        config: PathBuf,
        /// Logical date (YYYY-MM-DD); default today in UTC.
        #[arg(long)]
        date: Option<NaiveDate>,
    },
    /// Check a pipeline config and find its inputs, without writing anything.
    Validate {
        /// Pipeline config.
        config: PathBuf,
    },
    /// Write sample exports with planted personas (and their true labels in truth.csv).
    Generate {
        /// Folder to write into.
        #[arg(long)]
        out: PathBuf,
        /// Number of CRM contacts.
        #[arg(long, default_value_t = 2000)]
        contacts: usize,
        /// Random seed.
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// Date of the exports (GA4 covers the 30 days up to it).
        #[arg(long, default_value = "2026-11-20")]
        date: NaiveDate,
        /// Mean web events per contact.
        #[arg(long, default_value_t = 10.0)]
        events_per_contact: f64,
        /// 0 = well-separated personas, 1 = indistinguishable.
        #[arg(long, default_value_t = 0.0)]
        overlap: f64,
        /// Size of an extra, small planted group (0 = none).
        #[arg(long, default_value_t = 0)]
        small_group: usize,
    },
    /// Generate N contacts (about 10 web events each), run the pipeline on them, and print the
    /// wall time of each stage and the peak memory.
    Bench {
        /// Number of contacts.
        #[arg(long, default_value_t = 100_000)]
        contacts: usize,
        /// Folder for the generated data and outputs (reused when the data is already there).
        #[arg(long)]
        dir: Option<PathBuf>,
        /// SQL models folder (default: ./sql).
        #[arg(long, default_value = "sql")]
        sql_dir: PathBuf,
    },
}

/// Run a parsed command line.
pub async fn execute(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Run { config, date } => {
            let pipeline = Pipeline::load(&config)?;
            let run_date = date.unwrap_or_else(|| Utc::now().date_naive());
            let report = pipeline::run(&pipeline, &RunOptions::new(run_date)).await?;
            println!("{}", report.summary());
        }
        Command::Validate { config } => validate(&config).await?,
        Command::Generate {
            out,
            contacts,
            seed,
            date,
            events_per_contact,
            overlap,
            small_group,
        } => {
            let opts = GenerateOptions {
                contacts,
                seed,
                export_date: date,
                events_per_contact,
                overlap,
                small_group,
            };
            let s = generate::generate(&out, &opts)?;
            println!(
                "wrote {} contacts, {} web events ({:.1} MB of GA4 JSON) to {}",
                s.contacts,
                s.events,
                s.ga4_bytes as f64 / 1e6,
                out.display()
            );
        }
        Command::Bench {
            contacts,
            dir,
            sql_dir,
        } => bench(contacts, dir, &sql_dir).await?,
    }
    Ok(())
}

async fn validate(config: &Path) -> Result<()> {
    let pipeline = Pipeline::load(config)?;
    println!("config {} is valid", config.display());
    print!("{}", sources::validate::report(&pipeline).await?);
    Ok(())
}

/// Peak resident memory of this process in bytes (Linux `VmHWM`).
pub fn peak_memory_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

async fn bench(contacts: usize, dir: Option<PathBuf>, sql_dir: &Path) -> Result<()> {
    let dir = dir.unwrap_or_else(|| PathBuf::from(format!("target/bench-{contacts}")));
    let data = dir.join("data");
    if !data.join("truth.csv").exists() {
        // Generate in a child process so its memory does not count towards the run's peak.
        let started = Instant::now();
        let exe = std::env::current_exe().map_err(|e| Error::io("personas", e))?;
        let status = std::process::Command::new(exe)
            .args(["generate", "--contacts", &contacts.to_string(), "--out"])
            .arg(&data)
            .status()
            .map_err(|e| Error::io(&data, e))?;
        if !status.success() {
            return Err(Error::BadInput {
                file: data.display().to_string(),
                reason: format!("generating the benchmark data failed ({status})"),
            });
        }
        println!(
            "generated {contacts} contacts in {:.1} s",
            started.elapsed().as_secs_f64()
        );
    }
    let sql = std::fs::canonicalize(sql_dir).map_err(|e| Error::io(sql_dir, e))?;
    let config_path = dir.join("bench.toml");
    let config = generate::pipeline_config("bench", "data", "out", &sql);
    std::fs::write(&config_path, config).map_err(|e| Error::io(&config_path, e))?;
    let pipeline = Pipeline::load(&config_path)?;
    let ga4_bytes: u64 = sources::resolve_files(&pipeline, &pipeline.config.sources[2])?
        .iter()
        .filter_map(|f| std::fs::metadata(f).ok())
        .map(|m| m.len())
        .sum();
    let started = Instant::now();
    let run_date = NaiveDate::from_ymd_opt(2026, 11, 20).unwrap_or_default();
    let report = pipeline::run(&pipeline, &RunOptions::new(run_date)).await?;
    let total = started.elapsed();
    println!("{}", report.summary());
    println!(
        "benchmark: {contacts} contacts, {:.2} GB of GA4 JSON, {} threads",
        ga4_bytes as f64 / 1e9,
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    );
    for (stage, took) in &report.timings {
        println!("  {stage:<10} {:>8.2} s", took.as_secs_f64());
    }
    println!("  {:<10} {:>8.2} s", "total", total.as_secs_f64());
    if let Some(peak) = peak_memory_bytes() {
        println!("  peak memory {:.0} MB", peak as f64 / 1e6);
    }
    Ok(())
}
