//! `personas bench`: generates N contacts (once, in a child process), runs the pipeline on them
//! and prints the wall time of each stage and the peak memory.

use std::path::{Path, PathBuf};
use std::time::Instant;

use chrono::NaiveDate;

use super::generate;
use crate::config::{Pipeline, SourceKind};
use crate::error::{Error, Result};
use crate::pipeline::{self, RunOptions};
use crate::sources;

/// What to benchmark.
#[derive(Debug, Clone)]
pub struct BenchOptions {
    /// Number of contacts.
    pub contacts: usize,
    /// Folder for the generated data and outputs (default `target/bench-N`); the data is reused
    /// when it is already there.
    pub dir: Option<PathBuf>,
    /// SQL models folder.
    pub sql_dir: PathBuf,
}

/// Peak resident memory of this process in bytes (Linux `VmHWM`).
pub fn peak_memory_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// Generates the data if needed, runs the pipeline and prints the timings.
pub async fn bench(opts: &BenchOptions) -> Result<()> {
    let contacts = opts.contacts;
    let dir = opts
        .dir
        .clone()
        .unwrap_or_else(|| PathBuf::from(format!("target/bench-{contacts}")));
    let data = dir.join("data");
    if !data.join("truth.csv").exists() {
        generate_in_child(contacts, &data)?;
    }
    let sql = std::fs::canonicalize(&opts.sql_dir).map_err(|e| Error::io(&opts.sql_dir, e))?;
    let config_path = dir.join("bench.toml");
    let config = generate::pipeline_config("bench", "data", "out", &sql);
    std::fs::write(&config_path, config).map_err(|e| Error::io(&config_path, e))?;
    let pipeline = Pipeline::load(&config_path)?;
    let ga4_bytes = ga4_bytes(&pipeline)?;
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

/// Runs `personas generate` in a child process, so that its memory does not count towards the
/// run's peak.
fn generate_in_child(contacts: usize, data: &Path) -> Result<()> {
    let started = Instant::now();
    let exe = std::env::current_exe().map_err(|e| Error::io("personas", e))?;
    let status = std::process::Command::new(exe)
        .args(["generate", "--contacts", &contacts.to_string(), "--out"])
        .arg(data)
        .status()
        .map_err(|e| Error::io(data, e))?;
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
    Ok(())
}

/// Bytes of the GA4 files the pipeline's `ga4_events` source reads.
fn ga4_bytes(pipeline: &Pipeline) -> Result<u64> {
    let source = pipeline
        .config
        .sources
        .iter()
        .find(|s| s.kind == SourceKind::Ga4Events)
        .ok_or_else(|| Error::Config {
            path: pipeline.path.clone(),
            message: format!("no source of kind `{}`", SourceKind::Ga4Events),
        })?;
    Ok(sources::resolve_files(pipeline, source)?
        .iter()
        .filter_map(|f| std::fs::metadata(f).ok())
        .map(|m| m.len())
        .sum())
}
