//! One benchmark's figures: printed, saved as `bench.json` in its folder (so that a parent
//! process benchmarking several sizes reads what each child measured), and compared across
//! sizes and event rates.

use std::fmt::Write;
use std::path::Path;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::KMeansComparison;
use crate::config::SourceKind;
use crate::error::{Error, Result};
use crate::pipeline::RunReport;

/// The file a benchmark's figures are saved in, in its folder.
const FILE: &str = "bench.json";

/// One stage's figures.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StageResult {
    /// Stage name (`inputs`, `land`, ...).
    pub stage: String,
    /// Wall time, seconds.
    pub seconds: f64,
    /// The process's peak resident memory when the stage ended, bytes.
    pub peak_bytes: Option<u64>,
}

/// One benchmark's figures.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BenchResult {
    /// CRM contacts generated.
    pub contacts: usize,
    /// Mean web events per contact generated.
    pub events_per_contact: f64,
    /// Web events read.
    pub events: u64,
    /// Bytes of GA4 JSON read.
    pub ga4_bytes: u64,
    /// Seconds the GA4 source took to land in the run (beside the other sources).
    pub ga4_land_seconds: Option<f64>,
    /// Seconds it took to land again by itself after the run, the median of
    /// `ga4_alone_runs`: what the GA4 rate is of.
    #[serde(default)]
    pub ga4_alone_seconds: Option<f64>,
    /// Seconds of each landing by itself, in the order they ran.
    #[serde(default)]
    pub ga4_alone_runs: Vec<f64>,
    /// Bytes this process read from storage during the run, not from the page cache (Linux;
    /// on a cluster the driver's only): a first run whose inputs are not in memory waits on
    /// the disk, and its times are the disk's.
    #[serde(default)]
    pub storage_read_bytes: Option<u64>,
    /// Threads available.
    pub threads: usize,
    /// Ballista executors the SQL models ran on (on this machine); 0: the embedded engine.
    #[serde(default)]
    pub executors: usize,
    /// On a cluster: the ARI between its personas and the embedded run's on the same data,
    /// when that ran first.
    #[serde(default)]
    pub ari_vs_embedded: Option<f64>,
    /// Every stage.
    pub stages: Vec<StageResult>,
    /// The whole run, seconds.
    pub total_seconds: f64,
    /// The run's peak resident memory, bytes.
    pub peak_bytes: Option<u64>,
    /// Our k-means against linfa's.
    pub kmeans: Option<KMeansComparison>,
}

impl BenchResult {
    /// The figures of a run of `report`.
    pub(super) fn new(
        contacts: usize,
        events_per_contact: f64,
        ga4_bytes: u64,
        report: &RunReport,
        total: Duration,
        peak_bytes: Option<u64>,
        kmeans: Option<KMeansComparison>,
    ) -> BenchResult {
        let memory = |stage: &str| {
            report
                .memory
                .iter()
                .find(|(s, _)| *s == stage)
                .map(|(_, m)| m.peak)
        };
        let web = report
            .sources
            .iter()
            .find(|s| s.kind == SourceKind::Ga4Events);
        BenchResult {
            contacts,
            events_per_contact,
            events: web.map_or(0, |s| s.counts.read),
            ga4_bytes,
            ga4_alone_seconds: None,
            ga4_alone_runs: Vec::new(),
            storage_read_bytes: None,
            ga4_land_seconds: web.and_then(|s| {
                report
                    .land_times
                    .iter()
                    .find(|(name, _)| *name == s.name)
                    .map(|(_, took)| took.as_secs_f64())
            }),
            threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
            executors: 0,
            ari_vs_embedded: None,
            stages: report
                .timings
                .iter()
                .map(|(stage, took)| StageResult {
                    stage: stage.to_string(),
                    seconds: took.as_secs_f64(),
                    peak_bytes: memory(stage),
                })
                .collect(),
            total_seconds: total.as_secs_f64(),
            peak_bytes,
            kmeans,
        }
    }

    /// GA4 JSON landed per second, MB: by itself, else (figures saved before that was
    /// measured) in the run.
    pub fn ga4_mb_per_s(&self) -> Option<f64> {
        self.ga4_alone_seconds
            .or(self.ga4_land_seconds)
            .map(|s| self.ga4_bytes as f64 / 1e6 / s.max(1e-9))
    }

    /// The table `personas bench` prints.
    pub fn text(&self) -> String {
        let mut s = format!(
            "benchmark: {} contacts, {} web events ({} per contact), {:.2} GB of GA4 JSON, {} threads\n",
            self.contacts,
            self.events,
            self.events_per_contact,
            self.ga4_bytes as f64 / 1e9,
            self.threads
        );
        if self.executors > 0 {
            let _ = writeln!(
                s,
                "  on a local Ballista cluster of {} executors: the memory is the driver's",
                self.executors
            );
        }
        if let Some(ari) = self.ari_vs_embedded {
            let _ = writeln!(s, "  personas against the embedded run's: ARI {ari:.4}");
        }
        let _ = writeln!(
            s,
            "  {:<10} {:>8}  {:>12}",
            "stage", "seconds", "peak so far"
        );
        for st in &self.stages {
            let _ = writeln!(
                s,
                "  {:<10} {:>8.2}  {:>9} MB",
                st.stage,
                st.seconds,
                mb(st.peak_bytes)
            );
        }
        let _ = writeln!(s, "  {:<10} {:>8.2}", "total", self.total_seconds);
        let _ = writeln!(s, "  peak memory {} MB", mb(self.peak_bytes));
        match (
            self.ga4_land_seconds,
            self.ga4_alone_seconds,
            self.ga4_mb_per_s(),
        ) {
            (Some(run), Some(alone), Some(rate)) => {
                let runs = &self.ga4_alone_runs;
                let (lo, hi) = (runs.iter().copied())
                    .fold((alone, alone), |(lo, hi), r| (lo.min(r), hi.max(r)));
                let spread = match runs.len() {
                    0 | 1 => String::new(),
                    n => format!(" (median of {n}: {lo:.2} to {hi:.2} s)"),
                };
                let _ = writeln!(
                    s,
                    "  GA4 landing: {run:.2} s in the run (beside the other sources), \
                     {alone:.2} s alone{spread}, {rate:.0} MB/s"
                );
            }
            (Some(run), None, Some(rate)) => {
                let _ = writeln!(s, "  GA4 landing: {run:.2} s, {rate:.0} MB/s");
            }
            _ => {}
        }
        if let Some(read) = self.storage_read_bytes {
            let whose = if self.executors > 0 {
                "; the driver's reads only, not the executors'"
            } else {
                ""
            };
            let _ = writeln!(
                s,
                "  read from storage during the run, not from the page cache: {:.2} GB (GA4 \
                 JSON {:.2} GB{whose})",
                read as f64 / 1e9,
                self.ga4_bytes as f64 / 1e9
            );
        }
        match &self.kmeans {
            Some(k) => s.push_str(&k.text()),
            None => s.push_str("k-means comparison: no clustered bucket"),
        }
        s
    }

    /// Writes the figures into `dir`.
    pub(super) fn save(&self, dir: &Path) -> Result<()> {
        let path = dir.join(FILE);
        let text =
            serde_json::to_string_pretty(self).map_err(|e| Error::Internal(e.to_string()))?;
        std::fs::write(&path, text).map_err(|e| Error::io(&path, e))
    }

    /// Reads the figures a benchmark saved in `dir`.
    pub(super) fn load(dir: &Path) -> Result<BenchResult> {
        let path = dir.join(FILE);
        let text = std::fs::read_to_string(&path).map_err(|e| Error::io(&path, e))?;
        serde_json::from_str(&text).map_err(|e| Error::BadInput {
            file: path.display().to_string(),
            reason: e.to_string(),
        })
    }
}

/// Peak memory in MB, or `?`.
fn mb(bytes: Option<u64>) -> String {
    bytes.map_or("?".into(), |b| format!("{:.0}", b as f64 / 1e6))
}

/// Every run side by side, with how the peak grows per contact between sizes at the same event
/// rate and engine, and against the first event rate at the same size and engine; then each
/// stage's seconds in every run.
pub(super) fn growth_text(results: &[BenchResult]) -> String {
    let mut s = String::from(
        "contacts  events/contact  executors  total s  GA4 MB/s  peak MB  growth per contact  vs first event rate  ARI vs embedded\n",
    );
    for (i, r) in results.iter().enumerate() {
        let smaller = results[..i].iter().rev().find(|p| {
            p.events_per_contact == r.events_per_contact
                && p.executors == r.executors
                && p.contacts < r.contacts
        });
        let growth = match (smaller, r.peak_bytes) {
            (Some(p), Some(peak)) => p.peak_bytes.map_or("?".into(), |pp| {
                let per = (peak as f64 - pp as f64) / (r.contacts - p.contacts) as f64;
                format!("{:.2} KB", per / 1e3)
            }),
            _ => "-".into(),
        };
        let first = results
            .iter()
            .find(|p| p.contacts == r.contacts && p.executors == r.executors)
            .filter(|p| p.events_per_contact != r.events_per_contact);
        let vs_events = match (first.and_then(|p| p.peak_bytes), r.peak_bytes) {
            (Some(a), Some(b)) => format!("{:+.1} %", 100.0 * (b as f64 / a as f64 - 1.0)),
            _ => "-".into(),
        };
        let _ = writeln!(
            s,
            "{:>8}  {:>14}  {:>9}  {:>7.1}  {:>8}  {:>7}  {:>18}  {:>19}  {:>15}",
            r.contacts,
            r.events_per_contact,
            r.executors,
            r.total_seconds,
            r.ga4_mb_per_s().map_or("?".into(), |v| format!("{v:.0}")),
            mb(r.peak_bytes),
            growth,
            vs_events,
            r.ari_vs_embedded.map_or("-".into(), |a| format!("{a:.4}"))
        );
    }
    s.push_str(&stages_text(results));
    s
}

/// Each stage's seconds, a row per run and a column per stage (the stages of the first run).
fn stages_text(results: &[BenchResult]) -> String {
    let Some(first) = results.first() else {
        return String::new();
    };
    let mut s = String::from("\nseconds per stage\ncontacts  events/contact  executors");
    for st in &first.stages {
        let _ = write!(s, "  {:>9}", st.stage);
    }
    s.push('\n');
    for r in results {
        let _ = write!(
            s,
            "{:>8}  {:>14}  {:>9}",
            r.contacts, r.events_per_contact, r.executors
        );
        for st in &first.stages {
            let secs = r.stages.iter().find(|x| x.stage == st.stage);
            let _ = write!(
                s,
                "  {:>9}",
                secs.map_or("-".into(), |x| format!("{:.2}", x.seconds))
            );
        }
        s.push('\n');
    }
    s
}
