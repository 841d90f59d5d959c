//! Pipeline: one run of the whole data path for one logical date. Sources are landed, SQL
//! models built, features clustered and profiled, and every output written into a staging
//! folder first; only when everything succeeded are the run's partitions moved into place, each
//! replacing the same date's previous partition, so a rerun of a date replaces it exactly and a
//! failed run leaves the previous outputs untouched.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{NaiveDate, Utc};
use datafusion::arrow::array::{Array, AsArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Float64Type};
use datafusion::datasource::MemTable;
use datafusion::prelude::{ParquetReadOptions, SessionConfig, SessionContext};
use tracing::{info, info_span, warn};

use crate::cluster::{self, Bucket};
use crate::config::{Pipeline, SourceKind};
use crate::error::{Error, Result};
use crate::features::{self, FeatureTable};
use crate::landing::{self, Counts};
use crate::profile::{self, Audience, Persona};
use crate::sinks;
use crate::sources::{self, LandContext, SourceReport};
use crate::transform::{self, ModelRun};

mod publish;
mod summary;

use publish::publish;

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
}

impl RunOptions {
    /// Options for a run of `run_date` with every other option at its default.
    pub fn new(run_date: NaiveDate) -> RunOptions {
        RunOptions { run_date }
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
    /// The personas of every bucket.
    pub personas: Vec<Persona>,
    /// (contact row, persona index) pairs, ascending by row.
    pub members: Vec<(usize, usize)>,
    /// Each contact's persona for the CRM (row order of `features`).
    pub primary: Vec<Option<usize>>,
    /// The features (one row per contact).
    pub features: FeatureTable,
    /// Wall time of each stage.
    pub timings: Vec<(&'static str, Duration)>,
    /// Output folder.
    pub output_dir: PathBuf,
    /// Partition folders published, relative to the output folder.
    pub published: Vec<PathBuf>,
}

/// Partition folder of a table for a date, relative to the output folder.
pub fn partition(table: &str, run_date: NaiveDate) -> PathBuf {
    PathBuf::from(table).join(format!("run_date={run_date}"))
}

struct Stopwatch {
    timings: Vec<(&'static str, Duration)>,
    last: Instant,
}

impl Stopwatch {
    fn lap(&mut self, stage: &'static str) {
        let now = Instant::now();
        let took = now - self.last;
        info!(stage, seconds = took.as_secs_f64(), "Stage done.");
        self.timings.push((stage, took));
        self.last = now;
    }
}

/// Run the pipeline for one date.
pub async fn run(pipeline: &Pipeline, opts: &RunOptions) -> Result<RunReport> {
    let cfg = &pipeline.config;
    let date = opts.run_date;
    let date_s = date.to_string();
    let out = pipeline.output_dir();
    let staging = out
        .join(".staging")
        .join(format!("run_date={date}-{}", std::process::id()));
    if staging.exists() {
        std::fs::remove_dir_all(&staging).map_err(|e| Error::io(&staging, e))?;
    }
    let mut watch = Stopwatch {
        timings: Vec::new(),
        last: Instant::now(),
    };
    let mut published = Vec::new();
    let result = async {
        // Resolve every source's files before any work: a missing input fails fast.
        let mut resolved = Vec::new();
        for s in &cfg.sources {
            resolved.push((
                s,
                sources::inputs(pipeline, s, &staging.join("inputs")).await?,
            ));
        }
        let loaded_at = Utc::now();
        let mut reports = Vec::new();
        for (s, files) in resolved {
            let _span = info_span!("land", source = %s.name).entered();
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
                &staging.join(&rejects_rel).join(sinks::PART),
                &s.name,
                &date_s,
                &report.rejects,
            )?;
            check_ceiling(&report, s.max_reject_pct, &out.join(&rejects_rel))?;
            published.push(rel);
            published.push(rejects_rel);
            reports.push(report);
        }
        watch.lap("land");

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
        watch.lap("transform");

        let table = features::load(&ctx, &cfg.features).await?;
        let rel = partition("contact_features", date);
        write_model(
            &ctx,
            &cfg.features.model,
            &staging.join(&rel).join(sinks::PART),
        )
        .await?;
        published.push(rel);
        if table.is_empty() {
            return Err(Error::BadInput {
                file: cfg.features.model.clone(),
                reason: "the feature model has no contacts to build personas from".into(),
            });
        }
        watch.lap("features");

        let buckets = cluster::segment(&table, &cfg.features, &cfg.cluster)?;
        watch.lap("cluster");

        let audience = load_audience(&ctx).await;
        let profiled = profile::profile_buckets(&table, &buckets, &cfg.profile, &audience);
        watch.lap("profile");

        let mut part = |table: &str| {
            let rel = partition(table, date);
            let path = staging.join(&rel).join(sinks::PART);
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
        let crm_rel = partition("crm", date);
        sinks::crm::write_crm_files(&sinks::crm::CrmContext {
            dir: &staging.join(&crm_rel),
            output_dir: &out,
            run_date: date,
            table: &table,
            primary: &profiled.primary,
            personas,
        })?;
        published.push(crm_rel);
        publish(&staging, &out, &published)?;
        watch.lap("write");
        Ok((reports, runs, merged, table, buckets, profiled))
    }
    .await;
    if staging.exists() {
        let _ = std::fs::remove_dir_all(&staging);
    }
    let (sources, models, duplicates_merged, features, buckets, profiled) = result?;
    Ok(RunReport {
        pipeline: cfg.name.clone(),
        run_date: date,
        sources,
        models,
        duplicates_merged,
        contacts: features.len(),
        buckets,
        personas: profiled.personas,
        members: profiled.members,
        primary: profiled.primary,
        features,
        timings: watch.timings,
        output_dir: out,
        published,
    })
}

fn check_ceiling(report: &SourceReport, max_pct: f64, rejects_at: &Path) -> Result<()> {
    let Counts { read, rejected, .. } = report.counts;
    if read == 0 {
        return Ok(());
    }
    let pct = rejected as f64 * 100.0 / read as f64;
    if pct > max_pct {
        return Err(Error::TooManyRejects {
            source_name: report.name.clone(),
            rejected,
            read,
            pct,
            ceiling_pct: max_pct,
            rejects: format!(
                "{} (not published: the run failed; rerun with a higher max_reject_pct to inspect)",
                rejects_at.display()
            ),
        });
    }
    Ok(())
}

fn session() -> SessionContext {
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2);
    SessionContext::new_with_config(SessionConfig::new().with_target_partitions(threads))
}

/// Register each landed source as its raw table, and an empty raw table for each kind the
/// pipeline does not read, so the SQL runs unchanged (a missing source yields no rows).
async fn register_raw_tables(ctx: &SessionContext, reports: &[SourceReport]) -> Result<()> {
    for r in reports {
        let dir = format!("{}/", r.landed_dir.display());
        ctx.register_parquet(r.kind.raw_table(), &dir, ParquetReadOptions::default())
            .await?;
    }
    for kind in SourceKind::ALL {
        if reports.iter().any(|r| r.kind == kind) {
            continue;
        }
        let schema = sources::empty_raw_schema(kind);
        let table = MemTable::try_new(schema, vec![vec![]])?;
        ctx.register_table(kind.raw_table(), Arc::new(table))?;
    }
    Ok(())
}

/// The social audience shares from the `social_audience` model, if the project has one.
async fn load_audience(ctx: &SessionContext) -> Audience {
    let mut audience = Audience::new();
    let Ok(df) = ctx.table("social_audience").await else {
        return audience;
    };
    let batches = match df.collect().await {
        Ok(batches) => batches,
        Err(e) => {
            warn!(error = %e, "Model social_audience failed; skipping the audience comparison.");
            return audience;
        }
    };
    for b in batches {
        let (Some(dim), Some(level), Some(share)) = (
            b.column_by_name("dimension"),
            b.column_by_name("level"),
            b.column_by_name("share"),
        ) else {
            warn!("Model social_audience lacks dimension, level or share; skipping the audience comparison.");
            return audience;
        };
        let (Ok(dim), Ok(level), Ok(share)) = (
            cast(dim, &DataType::Utf8),
            cast(level, &DataType::Utf8),
            cast(share, &DataType::Float64),
        ) else {
            warn!("Model social_audience has dimension, level or share of the wrong type; skipping the audience comparison.");
            return audience;
        };
        let (dim, level, share) = (
            dim.as_string::<i32>(),
            level.as_string::<i32>(),
            share.as_primitive::<Float64Type>(),
        );
        for i in 0..b.num_rows() {
            if dim.is_valid(i) && level.is_valid(i) && share.is_valid(i) {
                audience.insert(
                    (dim.value(i).to_string(), level.value(i).to_string()),
                    share.value(i),
                );
            }
        }
    }
    audience
}

/// Rows of a table, if the project has it.
async fn count_rows(ctx: &SessionContext, table: &str) -> Option<u64> {
    let df = ctx.table(table).await.ok()?;
    df.count().await.ok().map(|n| n as u64)
}

/// Write a model's rows as one Parquet file (the per-contact features, for analysts).
async fn write_model(ctx: &SessionContext, model: &str, path: &Path) -> Result<()> {
    let batches = ctx.table(model).await?.collect().await?;
    let Some(first) = batches.first() else {
        return Ok(());
    };
    landing::write_parquet(path, first.schema(), &batches)?;
    Ok(())
}
