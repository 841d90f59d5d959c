//! `personas bench`: generates N contacts (once, in a child process), runs the pipeline on them
//! and prints the wall time of each stage, the memory when it ended, the GA4 landing rate, and
//! our k-means against linfa's on the run's matrix ([`kmeans`]). Given several sizes (or event
//! rates), it benchmarks each in a child process of its own, so that each peak is its own, and
//! prints how time and peak memory grow with contacts and with events per contact.

mod kmeans;
mod result;

use std::path::{Path, PathBuf};
use std::time::Instant;

use chrono::NaiveDate;

use super::generate::{self, GenerateOptions};
use crate::config::{Pipeline, SourceKind};
use crate::error::{Error, Result};
use crate::memory::peak_bytes;
use crate::pipeline::{self, RunOptions};
use crate::sources;
pub use kmeans::KMeansComparison;
pub use result::{BenchResult, StageResult};

/// The generator's default web events per contact.
fn default_events() -> f64 {
    GenerateOptions::default().events_per_contact
}

/// What to benchmark.
#[derive(Debug, Clone)]
pub struct BenchOptions {
    /// Numbers of contacts, each benchmarked (several: each in a child process).
    pub contacts: Vec<usize>,
    /// Mean web events per contact, each benchmarked at every size.
    pub events_per_contact: Vec<f64>,
    /// Folder for the generated data and outputs (default `target/bench-N`, or
    /// `target/bench-N-eE` at other than 10 events per contact); the data is reused when it
    /// is already there. With several runs, each gets a folder of that name under it.
    pub dir: Option<PathBuf>,
    /// SQL models folder.
    pub sql_dir: PathBuf,
}

/// Runs every size and event rate asked for, and prints the figures.
pub async fn bench(opts: &BenchOptions) -> Result<()> {
    let events = if opts.events_per_contact.is_empty() {
        vec![default_events()]
    } else {
        opts.events_per_contact.clone()
    };
    let runs: Vec<(usize, f64)> = opts
        .contacts
        .iter()
        .flat_map(|&n| events.iter().map(move |&e| (n, e)))
        .collect();
    match runs[..] {
        [] => Err(Error::BadInput {
            file: "personas bench".into(),
            reason: "no number of contacts given".into(),
        }),
        [(contacts, events)] => {
            let dir = opts
                .dir
                .clone()
                .unwrap_or_else(|| default_dir(contacts, events));
            let result = bench_one(contacts, events, &dir, &opts.sql_dir).await?;
            println!("{}", result.text());
            result.save(&dir)
        }
        _ => {
            let mut results = Vec::new();
            for (contacts, events) in runs {
                let dir = match &opts.dir {
                    Some(d) => d.join(folder_name(contacts, events)),
                    None => default_dir(contacts, events),
                };
                bench_in_child(contacts, events, &dir, &opts.sql_dir)?;
                results.push(BenchResult::load(&dir)?);
            }
            println!("{}", result::growth_text(&results));
            Ok(())
        }
    }
}

/// `bench-N`, or `bench-N-eE` at other than the default events per contact.
fn folder_name(contacts: usize, events: f64) -> String {
    if events == default_events() {
        format!("bench-{contacts}")
    } else {
        format!("bench-{contacts}-e{events}")
    }
}

/// `target/<folder_name>`: where a run's data and outputs go when `--dir` is not given.
fn default_dir(contacts: usize, events: f64) -> PathBuf {
    PathBuf::from("target").join(folder_name(contacts, events))
}

/// Generates the data if needed, runs the pipeline, and compares the k-means.
async fn bench_one(
    contacts: usize,
    events: f64,
    dir: &Path,
    sql_dir: &Path,
) -> Result<BenchResult> {
    let data = dir.join("data");
    if !data.join("truth.csv").exists() {
        generate_in_child(contacts, events, &data)?;
    }
    let sql = std::fs::canonicalize(sql_dir).map_err(|e| Error::io(sql_dir, e))?;
    let config_path = dir.join("bench.toml");
    let config = generate::pipeline_config("bench", "data", "out", &sql);
    std::fs::write(&config_path, config).map_err(|e| Error::io(&config_path, e))?;
    let pipeline = Pipeline::load(&config_path)?;
    // A first run: no outputs and no remembered checksums from an earlier benchmark.
    let out = pipeline.output_dir();
    if out.exists() {
        std::fs::remove_dir_all(&out).map_err(|e| Error::io(&out, e))?;
    }
    let ga4_bytes = ga4_bytes(&pipeline)?;
    let started = Instant::now();
    let run_date = NaiveDate::from_ymd_opt(2026, 11, 20).unwrap_or_default();
    let report = pipeline::run(&pipeline, &RunOptions::new(run_date)).await?;
    let total = started.elapsed();
    // Taken before the k-means comparison, which holds copies of the matrix of its own.
    let peak = peak_bytes();
    println!("{}", report.summary());
    let kmeans = kmeans::compare(&report, &pipeline.config)?;
    Ok(BenchResult::new(
        contacts, events, ga4_bytes, &report, total, peak, kmeans,
    ))
}

/// Runs `personas bench` for one size in a child process, so that its peak is its own.
fn bench_in_child(contacts: usize, events: f64, dir: &Path, sql_dir: &Path) -> Result<()> {
    let mut args = sizes("bench", contacts, events);
    args.extend([
        "--dir".into(),
        dir.into(),
        "--sql-dir".into(),
        sql_dir.into(),
    ]);
    run_self(&args, dir, &format!("the benchmark of {contacts} contacts"))
}

/// Runs `personas generate` in a child process, so that its memory does not count towards the
/// run's peak.
fn generate_in_child(contacts: usize, events: f64, data: &Path) -> Result<()> {
    let started = Instant::now();
    let mut args = sizes("generate", contacts, events);
    args.extend(["--out".into(), data.into()]);
    run_self(&args, data, "generating the benchmark data")?;
    println!(
        "generated {contacts} contacts in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// `<command> --contacts N --events-per-contact E`.
fn sizes(command: &str, contacts: usize, events: f64) -> Vec<std::ffi::OsString> {
    [command, "--contacts", &contacts.to_string()]
        .into_iter()
        .chain(["--events-per-contact", &events.to_string()])
        .map(Into::into)
        .collect()
}

/// Runs this executable with `args`; a failure names `dir` and `what` failed.
fn run_self(args: &[std::ffi::OsString], dir: &Path, what: &str) -> Result<()> {
    let exe = std::env::current_exe().map_err(|e| Error::io("personas", e))?;
    let status = std::process::Command::new(exe)
        .args(args)
        .status()
        .map_err(|e| Error::io(dir, e))?;
    if !status.success() {
        return Err(Error::BadInput {
            file: dir.display().to_string(),
            reason: format!("{what} failed ({status})"),
        });
    }
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
