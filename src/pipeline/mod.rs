//! Pipeline: one run of the whole data path for one logical date, and backfills of several.
//!
//! A run takes the output folder's lock ([`lock`]), rolls back a publish an earlier run left
//! half done ([`crate::output::recover`]), resolves and checksums its inputs (its source paths
//! rendered for the date, [`crate::config::template`]), and stops with
//! [`Error::NothingToDo`] when asked to skip a date already published from the same inputs.
//! Otherwise sources are landed, SQL models built, features clustered and profiled, personas
//! matched to the previous published run's ([`continuity`]), and every output, the manifest
//! included, written into a staging folder; only when everything succeeded are the date's
//! partitions published, all or nothing ([`publish`]), so a rerun of a date replaces it exactly
//! and a failed or killed run leaves the previous outputs untouched.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use chrono::{NaiveDate, Utc};
use tracing::{info, info_span, warn};

use crate::cluster::{self, Bucket};
use crate::config::{template, Pipeline};
use crate::error::{Error, Result};
use crate::features::{self, FeatureTable};
use crate::landing;
use crate::profile::trends::{write_trends, TrendRow};
use crate::profile::{self, Persona};
use crate::sinks::{self, manifest};
use crate::sources::{self, LandContext, SourceReport};
use crate::transform::{self, ModelRun};

mod backfill;
mod checks;
pub mod columns;
pub mod continuity;
mod fault;
pub mod history;
pub mod progress;
mod record;
mod summary;
mod tables;

use checks::{check_ceiling, check_sample};
use tables::{count_rows, load_audience, register_raw_tables, session, write_model};
mod trends_summary;

pub use backfill::backfill;
pub use fault::Fault;

use crate::output::lock::RunLock;
use crate::output::{partition, publish, recover, PART};
use progress::Progress;

/// The staging models of the CRM exports, whose rows `int_crm_contacts` merges.
const CRM_STAGING_MODELS: [&str; 3] = [
    "stg_hubspot__contacts",
    "stg_salesforce__contacts",
    "stg_csv__contacts",
];

/// Options of one run.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Logical date: selects the output partition and is recorded in every table.
    pub run_date: NaiveDate,
    /// Stop with [`Error::NothingToDo`] when the date is already published from the same
    /// inputs, config and tool version (the command line's default; `--force` turns it off).
    pub skip_unchanged: bool,
    /// Fail with [`Error::InsufficientSample`], publishing nothing, when no persona is big
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

struct Stopwatch {
    timings: Vec<(&'static str, Duration)>,
    last: Instant,
    fault: Option<Fault>,
}

impl Stopwatch {
    fn lap(&mut self, stage: &'static str) -> Result<()> {
        let now = Instant::now();
        let took = now - self.last;
        info!(stage, seconds = took.as_secs_f64(), "Stage done.");
        self.timings.push((stage, took));
        self.last = now;
        match &self.fault {
            Some(Fault::AbortAfter(s)) if s == stage => {
                warn!(stage, "Test hook: aborting the process.");
                std::process::abort();
            }
            Some(Fault::FailAfter(s)) if s == stage => Err(Error::Cluster(format!(
                "test hook: failing after stage `{stage}`"
            ))),
            _ => Ok(()),
        }
    }
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
    let result = run_locked(pipeline, opts, &out, &staging).await;
    if staging.exists() {
        let _ = std::fs::remove_dir_all(&staging);
    }
    let _ = std::fs::remove_dir(out.join(publish::STAGING));
    result
}

/// The run proper, holding the lock.
async fn run_locked(
    pipeline: &Pipeline,
    opts: &RunOptions,
    out: &Path,
    staging: &Path,
) -> Result<RunReport> {
    let cfg = &pipeline.config;
    let date = opts.run_date;
    let date_s = date.to_string();
    let started_at = Utc::now();
    let mut watch = Stopwatch {
        timings: Vec::new(),
        last: Instant::now(),
        fault: opts.fault.clone(),
    };
    let progress = Progress::new(opts.progress, cfg.sources.len() as u64 + 7);
    let mut published = Vec::new();

    // The config's columns against the feature model, and every source's files, before any
    // work: a typo or a missing input fails fast.
    columns::check(pipeline, date).await?;
    progress.start("finding and checksumming the inputs");
    let scratch = staging.join("inputs");
    let mut resolved = Vec::new();
    for s in &cfg.sources {
        resolved.push((s, sources::inputs(pipeline, s, &scratch).await?));
    }
    let config_sha256 = record::config_sha256(pipeline)?;
    let inputs = record::checksum_inputs(pipeline, &resolved, &scratch, out)?;
    if opts.skip_unchanged {
        if let Some(manifest) = record::unchanged(out, date, &config_sha256, &inputs) {
            return Err(Error::NothingToDo {
                run_date: date_s,
                manifest,
            });
        }
    }
    progress.done();
    watch.lap("inputs")?;

    // The logical timestamp (the run date at 00:00 UTC), as Airflow's `ts`: a rerun of the date
    // lands byte-identical rows; the wall-clock times are in the manifest.
    let loaded_at = date.and_time(chrono::NaiveTime::MIN).and_utc();
    let mut reports = Vec::new();
    for (s, files) in resolved {
        let _span = info_span!("land", source = %s.name).entered();
        progress.start(format!("landing {} ({} files)", s.name, files.len()));
        let rel = partition(&format!("landing/{}", s.kind.raw_table()), date);
        let ctx = LandContext {
            source: s,
            files,
            landed_dir: staging.join(&rel),
            loaded_at,
        };
        let report = sources::land(&ctx)?;
        let rejects_rel = PathBuf::from("rejects")
            .join(format!("source={}", s.name))
            .join(format!("run_date={date}"));
        landing::write_rejects(
            &staging.join(&rejects_rel).join(PART),
            &s.name,
            &date_s,
            &report.rejects,
        )?;
        check_ceiling(&report, s.max_reject_pct, &out.join(&rejects_rel))?;
        published.push(rel);
        published.push(rejects_rel);
        reports.push(report);
        progress.done();
    }
    watch.lap("land")?;

    progress.start("running the SQL models");
    let ctx = session();
    register_raw_tables(&ctx, &reports).await?;
    let models = transform::discover(&pipeline.sql_dir())?;
    let runs = transform::run(&ctx, &models, date, &[cfg.features.model.as_str()]).await?;
    let mut staged = None;
    for model in CRM_STAGING_MODELS {
        if let Some(n) = count_rows(&ctx, model).await {
            staged = Some(staged.unwrap_or(0) + n);
        }
    }
    let unique = runs
        .iter()
        .find(|r| r.name == "int_crm_contacts")
        .and_then(|r| r.rows);
    let merged = match (staged, unique.map(|n| n as u64)) {
        (Some(all), Some(unique)) => Some(all.saturating_sub(unique)),
        _ => None,
    };
    progress.done();
    watch.lap("transform")?;

    progress.start("building the features");
    let bucket_column: Vec<String> = cfg
        .cluster
        .buckets
        .iter()
        .map(|b| b.column.clone())
        .collect();
    let table = features::load(&ctx, &cfg.features, &bucket_column).await?;
    let rel = partition("contact_features", date);
    write_model(&ctx, &cfg.features.model, &staging.join(&rel).join(PART)).await?;
    published.push(rel);
    if table.is_empty() {
        return Err(Error::BadInput {
            file: cfg.features.model.clone(),
            reason: "the feature model has no contacts to build personas from".into(),
        });
    }
    progress.done();
    watch.lap("features")?;

    progress.start("clustering");
    let (criteria, suggestion) = resolve_criteria(&table, cfg)?;
    let buckets = cluster::segment(
        &table,
        &criteria,
        &cfg.features,
        &cfg.cluster,
        cfg.profile.min_stability,
    )?;
    progress.done();
    watch.lap("cluster")?;

    progress.start("profiling the personas");
    let audience = load_audience(&ctx).await;
    let mut profiled = profile::profile_buckets(&table, &buckets, &cfg.profile, &audience);
    if opts.fail_on_insufficient_sample || cfg.profile.fail_on_insufficient_sample {
        check_sample(&profiled.personas)?;
    }
    let tracked = continuity::track(out, date, &table, &mut profiled)?;
    progress.done();
    watch.lap("profile")?;

    progress.start("writing the outputs");
    let mut part = |table: &str| {
        let rel = partition(table, date);
        let path = staging.join(&rel).join(PART);
        published.push(rel);
        path
    };
    let personas = &profiled.personas;
    sinks::write_personas(&part("personas"), &date_s, personas)?;
    sinks::write_members(
        &part("persona_members"),
        &date_s,
        &table,
        &profiled.members,
        personas,
    )?;
    sinks::write_traits(&part("persona_traits"), &date_s, &profiled.traits)?;
    sinks::write_model_quality(&part("model_quality"), &date_s, &buckets)?;
    let trend_rows: Vec<TrendRow> = tracked
        .history
        .iter()
        .chain(&tracked.current)
        .cloned()
        .collect();
    write_trends(&part("persona_trends"), &trend_rows)?;
    let crm_rel = partition("crm", date);
    sinks::crm::write_crm_files_with(
        &sinks::crm::CrmContext {
            dir: &staging.join(&crm_rel),
            output_dir: out,
            run_date: date,
            table: &table,
            primary: &profiled.primary,
            personas,
        },
        &cfg.crm,
    )?;
    published.push(crm_rel);
    let report_rel = partition("report", date);
    sinks::report::write(
        &staging.join(&report_rel).join(sinks::report::FILE),
        &sinks::report::ReportContext {
            pipeline: &cfg.name,
            run_date: &date_s,
            framework: cfg.features.framework.as_str(),
            criteria: &criteria
                .iter()
                .map(|c| c.name().to_string())
                .collect::<Vec<_>>(),
            buckets: &buckets,
            personas,
        },
    )?;
    published.push(report_rel);
    let manifest_rel = partition(publish::MANIFESTS, date);
    published.push(manifest_rel.clone());
    progress.done();
    watch.lap("write")?;

    let manifest = record::manifest(record::RunFacts {
        pipeline,
        date,
        started_at,
        config_sha256,
        inputs,
        sources: &reports,
        models: &runs,
        duplicates_merged: merged,
        contacts: table.len(),
        buckets: &buckets,
        personas,
        tracked: &tracked,
        outputs: &published,
        timings: &watch.timings,
    });
    manifest::write_manifest(
        &staging
            .join(&manifest_rel)
            .join(crate::output::MANIFEST_FILE),
        &manifest,
    )?;
    progress.start("publishing");
    let abort_after = match &opts.fault {
        Some(Fault::AbortInPublish(n)) => Some(*n),
        _ => None,
    };
    publish::publish(staging, out, date, &published, abort_after)?;
    progress.done();
    info!(run_date = %date, output_dir = %out.display(), "Published.");
    // The push comes after publishing: what was sent is always in a published partition.
    let push = match opts.push {
        Some(mode) => Some(sinks::crm::push(out, date, &cfg.crm, mode).await?),
        None => None,
    };
    Ok(RunReport {
        pipeline: cfg.name.clone(),
        run_date: date,
        sources: reports,
        models: runs,
        duplicates_merged: merged,
        contacts: table.len(),
        buckets,
        personas: profiled.personas,
        members: profiled.members,
        primary: profiled.primary,
        features: table,
        timings: watch.timings,
        output_dir: out.to_path_buf(),
        published,
        previous_run: tracked.previous,
        trends: tracked.current,
        manifest,
        push,
        suggestion,
    })
}

/// The criteria in force: the configured (or the framework's) ones, or with `criteria =
/// "auto"` the ones proposed from the loaded features (the buckets' column left out), with the
/// evidence.
fn resolve_criteria(
    table: &features::FeatureTable,
    cfg: &crate::config::PipelineConfig,
) -> Result<(Vec<crate::config::Criterion>, Option<features::Suggestion>)> {
    if !cfg.features.is_auto() {
        return Ok((cfg.features.criteria(), None));
    }
    let exclude: Vec<String> = cfg
        .cluster
        .buckets
        .iter()
        .map(|b| b.column.clone())
        .collect();
    let suggestion = features::suggest(table, &cfg.features, &exclude, cfg.cluster.seed)?;
    let names: Vec<&str> = suggestion.criteria.iter().map(|c| c.name()).collect();
    info!(criteria = ?names, "Criteria proposed from the data (criteria = \"auto\").");
    Ok((suggestion.criteria.clone(), Some(suggestion)))
}
