//! Pipeline: one run of the whole data path for one logical date, and backfills of several.
//!
//! A run takes the output folder's lock ([`crate::output::lock`]), rolls back a publish an earlier run left
//! half done ([`crate::output::recover`]), resolves and checksums its inputs (its source paths
//! rendered for the date, [`crate::config::template`]), and stops with
//! [`crate::Error::NothingToDo`] when asked to skip a date already published from the same inputs.
//! Otherwise sources are landed, SQL models built, features clustered and profiled, personas
//! matched to the previous published run's ([`continuity`]), and every output, the manifest
//! included, written into a staging folder; only when everything succeeded are the date's
//! partitions published, all or nothing ([`crate::output::publish`]), so a rerun of a date replaces it exactly
//! and a failed or killed run leaves the previous outputs untouched.

use std::path::PathBuf;
use std::time::Duration;

use chrono::NaiveDate;
use tracing::warn;

use crate::cluster::Bucket;
use crate::config::{template, Pipeline};
use crate::error::Result;
use crate::features::{self, FeatureTable};
use crate::output::lock::RunLock;
use crate::output::{publish, recover};
use crate::profile::trends::TrendRow;
use crate::profile::Persona;
use crate::sinks::{self, manifest};
use crate::sources::SourceReport;
use crate::transform::ModelRun;

mod backfill;
mod checks;
pub mod columns;
pub mod continuity;
mod copy;
mod fault;
pub mod funnel;
pub mod history;
pub mod interrupt;
mod land;
pub mod members;
mod outputs;
pub mod overlap;
pub mod progress;
mod record;
mod results;
mod segments;
mod stages;
mod stopwatch;
mod summary;
mod surveys;
mod tables;
mod tallies;
mod trends_summary;

pub use backfill::backfill;
pub use fault::Fault;
pub use tallies::tally_by_sql;

/// Options of one run.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Logical date: selects the output partition and is recorded in every table.
    pub run_date: NaiveDate,
    /// Stop with [`crate::Error::NothingToDo`] when the date is already published from the same
    /// inputs, config and tool version (the command line's default; `--force` turns it off).
    pub skip_unchanged: bool,
    /// Fail with [`crate::Error::InsufficientSample`], publishing nothing, when no persona is big
    /// enough to trust, instead of publishing flagged personas.
    pub fail_on_insufficient_sample: bool,
    /// Show a progress bar on stderr (the command line does when stderr is a terminal).
    pub progress: bool,
    /// A test hook that stops the run at a chosen point.
    pub fault: Option<Fault>,
    /// After publishing, send the changed personas to HubSpot (or, dry run, only show them).
    pub push: Option<sinks::crm::PushMode>,
}

impl RunOptions {
    /// Options for a run of `run_date` with every other option at its default: always run,
    /// publish flagged personas, no progress bar.
    pub fn new(run_date: NaiveDate) -> RunOptions {
        RunOptions {
            run_date,
            skip_unchanged: false,
            fail_on_insufficient_sample: false,
            progress: false,
            fault: None,
            push: None,
        }
    }
}

/// What a run did.
#[derive(Debug, Clone)]
pub struct RunReport {
    /// Pipeline name.
    pub pipeline: String,
    /// Logical date.
    pub run_date: NaiveDate,
    /// Per-source counts.
    pub sources: Vec<SourceReport>,
    /// SQL models built.
    pub models: Vec<ModelRun>,
    /// CRM records merged into another record of the same contact (same Record ID or email).
    pub duplicates_merged: Option<u64>,
    /// Contacts profiled.
    pub contacts: usize,
    /// The buckets and the clustering of each.
    pub buckets: Vec<Bucket>,
    /// The personas of every bucket, with the ids and names matched to the previous run's.
    pub personas: Vec<Persona>,
    /// (contact row, persona index) pairs, ascending by row.
    pub members: Vec<(usize, usize)>,
    /// Each contact's persona for the CRM (row order of `features`).
    pub primary: Vec<Option<usize>>,
    /// The features (one row per contact).
    pub features: FeatureTable,
    /// With `criteria = "auto"`: the criteria proposed and the evidence.
    pub suggestion: Option<features::Suggestion>,
    /// Wall time of each stage.
    pub timings: Vec<(&'static str, Duration)>,
    /// The process's memory at each stage's end (empty where the platform does not report
    /// it).
    pub memory: Vec<(&'static str, crate::memory::Memory)>,
    /// How long each source took to land, by source name.
    pub land_times: Vec<(String, Duration)>,
    /// Output folder.
    pub output_dir: PathBuf,
    /// Partition folders published, relative to the output folder.
    pub published: Vec<PathBuf>,
    /// The published run the personas were matched against.
    pub previous_run: Option<NaiveDate>,
    /// This run's `persona_trends` rows (one per persona, one per vanished persona).
    pub trends: Vec<TrendRow>,
    /// The run's manifest, as published.
    pub manifest: manifest::Manifest,
    /// What `--push` sent to the CRM.
    pub push: Option<sinks::crm::PushReport>,
}

/// Run the pipeline for one date (see the module docs).
pub async fn run(pipeline: &Pipeline, opts: &RunOptions) -> Result<RunReport> {
    let date = opts.run_date;
    let pipeline = &template::for_date(pipeline, date)?;
    let out = pipeline.output_dir();
    let _lock = RunLock::acquire(&out, &pipeline.config.name, date)?;
    for d in recover(&out)? {
        warn!(run_date = %d, "Recovered an interrupted publish.");
    }
    publish::clean_staging(&out)?;
    let staging = out
        .join(publish::STAGING)
        .join(format!("run_date={date}-{}", std::process::id()));
    let result = stages::run_locked(pipeline, opts, &out, &staging).await;
    if staging.exists() {
        let _ = std::fs::remove_dir_all(&staging);
    }
    let _ = std::fs::remove_dir(out.join(publish::STAGING));
    result
}
