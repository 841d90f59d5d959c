//! `personas bench`: generates N contacts (once, in a child process), runs the pipeline on them
//! and prints the wall time of each stage, the memory when it ended, the GA4 landing rate (the
//! source landed again by itself after the run: in the run the CSV exports share its cores), and
//! our k-means against linfa's on the run's matrix ([`kmeans`]). Given several sizes (or event
//! rates), it benchmarks each in a child process of its own, so that each peak is its own, and
//! prints how time and peak memory grow with contacts and with events per contact. With
//! `--executors N` the run's SQL models run on a Ballista cluster of N executors started on
//! this machine ([`local_cluster`]), and the peak is the driver's: the scaling curve over 1, 2
//! and 4 executors, and whether the driver's memory grows with the events.

mod agreement;
mod kmeans;
mod local_cluster;
mod result;

use std::path::{Path, PathBuf};
use std::time::Instant;

use chrono::NaiveDate;

use super::generate::{self, GenerateOptions};
use crate::config::{Pipeline, SourceConfig, SourceKind};
use crate::error::{Error, Result};
use crate::memory::peak_bytes;
use crate::output::checksums::ReadHashes;
use crate::pipeline::{self, RunOptions};
use crate::sources::{self, LandContext};
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
    /// Numbers of Ballista executors, each benchmarked at every size and event rate; `0` (or
    /// none given) is the embedded engine.
    pub executors: Vec<usize>,
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
    let executors = if opts.executors.is_empty() {
        vec![0]
    } else {
        opts.executors.clone()
    };
    if executors.iter().any(|&x| x > 0) && !cfg!(feature = "ballista") {
        return Err(Error::Engine {
            message: "`--executors` runs on a Ballista cluster: this personas was built \
                      without the `ballista` feature (cargo build --features ballista)"
                .into(),
            unsupported: true,
        });
    }
    let runs: Vec<Run> = opts
        .contacts
        .iter()
        .flat_map(|&n| events.iter().map(move |&e| (n, e)))
        .flat_map(|(n, e)| executors.iter().map(move |&x| (n, e, x)))
        .map(|(contacts, events, executors)| Run {
            contacts,
            events,
            executors,
        })
        .collect();
    match runs[..] {
        [] => Err(Error::BadInput {
            file: "personas bench".into(),
            reason: "no number of contacts given".into(),
        }),
        [run] => {
            let dir = opts.dir.clone().unwrap_or_else(|| default_dir(&run));
            let result = bench_one(&run, &dir, &opts.sql_dir).await?;
            println!("{}", result.text());
            result.save(&run.folder(&dir))
        }
        _ => {
            let mut results = Vec::new();
            for run in runs {
                let dir = match &opts.dir {
                    Some(d) => d.join(folder_name(&run)),
                    None => default_dir(&run),
                };
                bench_in_child(&run, &dir, &opts.sql_dir)?;
                results.push(BenchResult::load(&run.folder(&dir))?);
            }
            println!("{}", result::growth_text(&results));
            Ok(())
        }
    }
}

/// One benchmark: a size, an event rate, an engine.
#[derive(Debug, Clone, Copy)]
struct Run {
    /// CRM contacts.
    contacts: usize,
    /// Mean web events per contact.
    events: f64,
    /// Ballista executors; 0: the embedded engine.
    executors: usize,
}

impl Run {
    /// The folder of this run's config, outputs and figures, given the folder of its data's
    /// (`<dir>/x<N>` on N executors: the executor counts of a size share its data).
    fn folder(&self, dir: &Path) -> PathBuf {
        match self.executors {
            0 => dir.to_path_buf(),
            n => dir.join(format!("x{n}")),
        }
    }
}

/// `bench-N`, or `bench-N-eE` at other than the default events per contact.
fn folder_name(run: &Run) -> String {
    if run.events == default_events() {
        format!("bench-{}", run.contacts)
    } else {
        format!("bench-{}-e{}", run.contacts, run.events)
    }
}

/// `target/<folder_name>`: where a run's data and outputs go when `--dir` is not given.
fn default_dir(run: &Run) -> PathBuf {
    PathBuf::from("target").join(folder_name(run))
}

/// Generates the data in `dir` if needed, runs the pipeline (on a local cluster of the run's
/// executors, if any), and compares the k-means.
async fn bench_one(run: &Run, dir: &Path, sql_dir: &Path) -> Result<BenchResult> {
    let Run {
        contacts, events, ..
    } = *run;
    let data = dir.join("data");
    let truth = data.join("truth.csv");
    if !truth.exists() {
        generate_in_child(contacts, events, &data)?;
    }
    check_reused(&truth, contacts)?;
    let sql = std::fs::canonicalize(sql_dir).map_err(|e| Error::io(sql_dir, e))?;
    let folder = run.folder(dir);
    std::fs::create_dir_all(&folder).map_err(|e| Error::io(&folder, e))?;
    let config_path = folder.join("bench.toml");
    let data_path = if run.executors == 0 {
        "data"
    } else {
        "../data"
    };
    let mut config = generate::pipeline_config("bench", data_path, "out", &sql);
    let cluster = match run.executors {
        0 => None,
        n => {
            let nodes = folder.join("cluster");
            let cluster = local_cluster::LocalCluster::start(n, &nodes)?;
            let nodes = std::fs::canonicalize(&nodes).map_err(|e| Error::io(&nodes, e))?;
            config.push_str(&format!(
                "\n[engine]\nkind = \"ballista\"\nurl = \"df://127.0.0.1:{}\"\n\
                 work_dir = \"file://{}\"\n",
                cluster.port,
                nodes.join("work").display()
            ));
            Some(cluster)
        }
    };
    std::fs::write(&config_path, config).map_err(|e| Error::io(&config_path, e))?;
    let pipeline = Pipeline::load(&config_path)?;
    // A first run: no outputs and no remembered checksums from an earlier benchmark.
    let out = pipeline.output_dir();
    if out.exists() {
        std::fs::remove_dir_all(&out).map_err(|e| Error::io(&out, e))?;
    }
    let (ga4, ga4_files) = ga4_source(&pipeline)?;
    let ga4_bytes = ga4_files
        .iter()
        .filter_map(|f| std::fs::metadata(f).ok())
        .map(|m| m.len())
        .sum();
    let started = Instant::now();
    let read_before = storage_read_bytes();
    let run_date = NaiveDate::from_ymd_opt(2026, 11, 20).unwrap_or_default();
    let report = pipeline::run(&pipeline, &RunOptions::new(run_date)).await?;
    let total = started.elapsed();
    let storage_read = storage_read_bytes()
        .zip(read_before)
        .map(|(a, b)| a.saturating_sub(b));
    drop(cluster);
    // Taken before the k-means comparison, which holds copies of the matrix of its own.
    let peak = peak_bytes();
    println!("{}", report.summary());
    // a cluster run lands on the driver as the embedded one does: the GA4 decoder is timed
    // by itself on the embedded runs only
    let ga4_alone = match run.executors {
        0 => (0..GA4_ALONE_RUNS)
            .map(|_| land_ga4_alone(ga4, ga4_files.clone(), &folder.join("ga4-alone")))
            .collect::<Result<Vec<f64>>>()?,
        _ => Vec::new(),
    };
    let kmeans = kmeans::compare(&report, &pipeline.config)?;
    let mut result = BenchResult::new(contacts, events, ga4_bytes, &report, total, peak, kmeans);
    result.executors = run.executors;
    result.ga4_alone_seconds = median(&ga4_alone);
    result.ga4_alone_runs = ga4_alone;
    result.storage_read_bytes = storage_read;
    // against the embedded run of the same data, when it ran first (`--executors 0,2`)
    let embedded = dir.join("out");
    if run.executors > 0 && crate::output::is_published(&embedded, run_date) {
        result.ari_vs_embedded = Some(agreement::ari_between(&embedded, &out, run_date)?);
    }
    Ok(result)
}

/// Data found in the folder is reused only if it is of `contacts` contacts (its `truth.csv`
/// has a line for each): a folder of another size would be benchmarked under this one's name.
fn check_reused(truth: &Path, contacts: usize) -> Result<()> {
    use std::io::BufRead;
    let file = std::fs::File::open(truth).map_err(|e| Error::io(truth, e))?;
    let mut lines = 0usize;
    for line in std::io::BufReader::new(file).split(b'\n') {
        line.map_err(|e| Error::io(truth, e))?;
        lines += 1;
    }
    let found = lines.saturating_sub(1);
    if found != contacts {
        return Err(Error::BadInput {
            file: truth.display().to_string(),
            reason: format!(
                "the benchmark data there is of {found} contacts, not {contacts}: give \
                 another --dir, or remove that folder's data/ to generate it again"
            ),
        });
    }
    Ok(())
}

/// Runs `personas bench` for one run in a child process, so that its peak is its own.
fn bench_in_child(run: &Run, dir: &Path, sql_dir: &Path) -> Result<()> {
    let contacts = run.contacts;
    let mut args = sizes("bench", contacts, run.events);
    args.extend([
        "--executors".into(),
        run.executors.to_string().into(),
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

/// Bytes this process has had read from storage so far (`read_bytes` of `/proc/self/io`): what
/// the page cache did not hold. `None` where the system does not say.
fn storage_read_bytes() -> Option<u64> {
    let io = std::fs::read_to_string("/proc/self/io").ok()?;
    let value = io.lines().find_map(|l| l.strip_prefix("read_bytes:"))?;
    value.trim().parse().ok()
}

/// The pipeline's `ga4_events` source and the files it reads.
fn ga4_source(pipeline: &Pipeline) -> Result<(&SourceConfig, Vec<PathBuf>)> {
    let source = pipeline
        .config
        .sources
        .iter()
        .find(|s| s.kind == SourceKind::Ga4Events)
        .ok_or_else(|| Error::Config {
            path: pipeline.path.clone(),
            message: format!("no source of kind `{}`", SourceKind::Ga4Events),
        })?;
    Ok((source, sources::resolve_files(pipeline, source)?))
}

/// How many times the GA4 source lands by itself after the run: its rate is the median's (one
/// landing's time moves by a quarter from one to the next on a shared machine).
const GA4_ALONE_RUNS: usize = 3;

/// The median of `values` (the mean of the middle two for an even count); `None` for none.
fn median(values: &[f64]) -> Option<f64> {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(v[n / 2]),
        _ => Some((v[n / 2 - 1] + v[n / 2]) / 2.0),
    }
}

/// Seconds the GA4 source (its `files`) takes to land by itself, into `scratch` (removed
/// after): in the run it lands beside the CSV exports, which share its cores.
fn land_ga4_alone(source: &SourceConfig, files: Vec<PathBuf>, scratch: &Path) -> Result<f64> {
    if scratch.exists() {
        std::fs::remove_dir_all(scratch).map_err(|e| Error::io(scratch, e))?;
    }
    let ctx = LandContext {
        source,
        files,
        landed_dir: scratch.to_path_buf(),
        loaded_at: chrono::DateTime::UNIX_EPOCH,
        hashes: ReadHashes::default(),
    };
    let started = Instant::now();
    sources::land(&ctx)?;
    let took = started.elapsed().as_secs_f64();
    std::fs::remove_dir_all(scratch).map_err(|e| Error::io(scratch, e))?;
    Ok(took)
}

#[cfg(test)]
mod tests {
    use super::median;

    #[test]
    fn the_median_of_odd_and_even_counts() {
        assert_eq!(median(&[]), None);
        assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), Some(2.5));
    }
}
