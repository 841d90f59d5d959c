//! The stages of one run, in the order of the data path, each a function of the run's shared
//! state ([`Run`]): find and checksum the inputs, land the sources, run the SQL models, build
//! the features, segment, profile, write the outputs into the staging folder (`outputs.rs`),
//! then write the manifest and publish. [`run_locked`] calls them in turn.

use std::path::{Path, PathBuf};

use chrono::{NaiveDate, Utc};
use datafusion::prelude::SessionContext;
use tracing::info;

use super::checks::check_sample;
use super::continuity::{self, Tracked};
use super::land::{land, Checksums};
use super::outputs::write_outputs;
use super::overlap::{self, EnginePairs};
use super::progress::Progress;
use super::record;
use super::segments::{assign_everyone, resolve_criteria};
use super::stopwatch::Stopwatch;
use super::tables::{load_audience, load_funnel, ModelFile};
use super::tallies::tallies;
use super::{columns, Fault, RunOptions, RunReport};
use crate::cluster::{self, Bucket};
use crate::config::{
    Criterion, EngineKind, FeaturesConfig, Pipeline, PipelineConfig, SourceConfig,
};
use crate::engine::Cluster;
use crate::error::{Error, Result};
use crate::features::{self, FeatureTable, Suggestion};

use crate::output::checksums::ReadHashes;
use crate::output::{partition, publish, PART};
use crate::profile::{self, Persona, Profiled};
use crate::sinks::{self, manifest};
use crate::sources::{self, SourceReport};
use crate::transform::{self, register_raw_tables, Materialise, ModelRun, Templates};

/// The table the embedded engine reads the staged `contact_features` from, for the buckets'
/// assignment SQL.
const FEATURES: &str = "personas_contact_features";

/// The staging folder's folder of the models written to local disk while the run lasts (never
/// published).
const MODELS_SCRATCH: &str = "_models";

/// What every stage of one run shares.
pub(super) struct Run<'a> {
    pub(super) pipeline: &'a Pipeline,
    pub(super) cfg: &'a PipelineConfig,
    pub(super) opts: &'a RunOptions,
    pub(super) out: &'a Path,
    pub(super) staging: &'a Path,
    pub(super) date: NaiveDate,
    pub(super) date_s: String,
    pub(super) watch: Stopwatch,
    pub(super) progress: Progress,
    /// Partition folders written so far, relative to the output folder.
    pub(super) published: Vec<PathBuf>,
    /// The config's `[features]` with the run's content groups in place of the defaults' (set
    /// once the SQL models have run).
    pub(super) features: FeaturesConfig,
    /// How long each source took to land.
    pub(super) land_times: Vec<(String, std::time::Duration)>,
}

impl Run<'_> {
    /// The staged path of `table`'s part file for the run date, recorded as published.
    pub(super) fn part(&mut self, table: &str) -> PathBuf {
        let rel = partition(table, self.date);
        let path = self.staging.join(&rel).join(PART);
        self.published.push(rel);
        path
    }
}

/// The inputs found for the date, with their checksums.
struct Inputs<'a> {
    resolved: Vec<(&'a SourceConfig, Vec<PathBuf>)>,
    config_sha256: String,
    checksums: Checksums,
}

/// The SQL side of the run: the session holding every model, the models built, and how many
/// CRM records were merged into another record of the same contact.
struct Sql {
    ctx: SessionContext,
    /// The cluster the models ran on (Ballista), for what later stages count there.
    cluster: Option<Cluster>,
    runs: Vec<ModelRun>,
    merged: Option<u64>,
}

/// The criteria in force and the buckets segmented on them.
pub(super) struct Segments {
    pub(super) criteria: Vec<Criterion>,
    pub(super) suggestion: Option<Suggestion>,
    pub(super) buckets: Vec<Bucket>,
}

/// The run proper, holding the lock: every stage in turn, then publish and (optionally) push.
pub(super) async fn run_locked(
    pipeline: &Pipeline,
    opts: &RunOptions,
    out: &Path,
    staging: &Path,
) -> Result<RunReport> {
    let cfg = &pipeline.config;
    let started_at = Utc::now();
    let mut run = Run {
        pipeline,
        cfg,
        opts,
        out,
        staging,
        date: opts.run_date,
        date_s: opts.run_date.to_string(),
        watch: Stopwatch::start(opts.fault.clone()),
        progress: Progress::new(opts.progress, cfg.sources.len() as u64 + 7),
        published: Vec::new(),
        features: cfg.features.clone(),
        land_times: Vec::new(),
    };
    let inputs = find_inputs(&mut run).await?;
    let (reports, input_files) = land(&mut run, &inputs.resolved, inputs.checksums)?;
    let sql = run_models(&mut run, &reports).await?;
    let table = build_features(&mut run, &sql.ctx).await?;
    let segments = segment(&mut run, &sql.ctx, &table).await?;
    let (profiled, tracked) = profile_personas(&mut run, &sql, &table, &segments).await?;
    let crm_systems = sinks::crm::systems::load(&sql.ctx, &cfg.sources).await?;
    let funnel_by = (
        features_table(cfg),
        &counted_there(cfg, &segments.buckets)[..],
    );
    let funnel = load_funnel(&sql.ctx, funnel_by, &table, &profiled, cfg.profile.alpha).await?;
    write_outputs(
        &mut run,
        (&sql.ctx, &table),
        &segments,
        &profiled,
        &tracked,
        &crm_systems,
        &funnel,
    )
    .await?;
    let manifest = record::manifest(record::RunFacts {
        pipeline,
        date: run.date,
        started_at,
        config_sha256: inputs.config_sha256,
        inputs: input_files,
        sources: &reports,
        models: &sql.runs,
        duplicates_merged: sql.merged,
        contacts: table.len(),
        buckets: &segments.buckets,
        personas: &profiled.personas,
        tracked: &tracked,
        outputs: &run.published,
        timings: &run.watch.timings,
    });
    publish_run(&mut run, &manifest).await?;
    // The push comes after publishing: what was sent is always in a published partition.
    let push = match opts.push {
        Some(mode) => Some(sinks::crm::push(out, run.date, &cfg.crm, mode).await?),
        None => None,
    };
    Ok(RunReport {
        pipeline: cfg.name.clone(),
        run_date: run.date,
        sources: reports,
        models: sql.runs,
        duplicates_merged: sql.merged,
        contacts: table.len(),
        buckets: segments.buckets,
        personas: profiled.personas,
        members: profiled.members,
        primary: profiled.primary,
        features: table,
        timings: run.watch.timings,
        memory: run.watch.memory,
        land_times: run.land_times,
        output_dir: out.to_path_buf(),
        published: run.published,
        previous_run: tracked.previous,
        trends: tracked.current,
        manifest,
        push,
        suggestion: segments.suggestion,
    })
}

/// The config's columns against the feature model, and every source's files, before any work
/// (a typo or a missing input fails fast); [`Error::NothingToDo`] when asked to skip a date
/// already published from the same inputs.
async fn find_inputs<'a>(run: &mut Run<'a>) -> Result<Inputs<'a>> {
    columns::check(run.pipeline, run.date).await?;
    run.progress.start("finding and checksumming the inputs");
    let scratch = run.staging.join("inputs");
    let mut resolved = Vec::new();
    for s in &run.cfg.sources {
        resolved.push((s, sources::inputs(run.pipeline, s, &scratch).await?));
    }
    let config_sha256 = record::config_sha256(run.pipeline)?;
    let pending = record::pending_checksums(&resolved, run.out)?;
    // Only a date already published can be "nothing new to do"; deciding needs every
    // checksum before landing: the files the cache does not know are read here.
    let candidate = run.opts.skip_unchanged && publish::is_published(run.out, run.date);
    let checksums = if candidate && super::copy::is_complete(&run.cfg.publish, run.date).await? {
        let sums = pending.finish(&ReadHashes::default())?;
        let files = record::input_files(run.pipeline, &resolved, &scratch, sums);
        if let Some(manifest) = record::unchanged(run.out, run.date, &config_sha256, &files) {
            return Err(Error::NothingToDo {
                run_date: run.date_s.clone(),
                manifest,
            });
        }
        Checksums::Done(files)
    } else {
        Checksums::Pending(pending)
    };
    run.progress.done();
    run.watch.lap("inputs")?;
    Ok(Inputs {
        resolved,
        config_sha256,
        checksums,
    })
}

/// Register the landed tables and run the SQL models.
async fn run_models(run: &mut Run<'_>, reports: &[SourceReport]) -> Result<Sql> {
    run.progress.start("running the SQL models");
    let (ctx, cluster) = transform::connect(&run.cfg.engine, &run.cfg.name, run.date).await?;
    register_raw_tables(&ctx, reports, &run.cfg.sources, cluster.as_ref()).await?;
    let models = transform::discover(&run.pipeline.sql_dir())?;
    let model = run.cfg.features.model.as_str();
    let mut templates = Templates::for_pipeline(run.date, run.cfg);
    // the models no later stage reads wait on local disk for the models reading them
    let scratch = run.staging.join(MODELS_SCRATCH);
    let store = match &cluster {
        Some(c) => Materialise::Cluster(c),
        None => Materialise::Disk(&scratch),
    };
    let mut runs = transform::run(&ctx, &models, &mut templates, &[model], store).await?;
    transform::survey::count_unmatched(&ctx, &mut runs).await;
    if let Some(content) = templates.content_columns() {
        info!(columns = ?content, "Content groups.");
        run.features = run.cfg.features.with_content(&content);
    }
    let merged = transform::merged_crm_records(&ctx, &runs).await;
    run.progress.done();
    run.watch.lap("transform")?;
    Ok(Sql {
        ctx,
        cluster,
        runs,
        merged,
    })
}

/// Read the feature model into the feature table, and write its rows for analysts.
async fn build_features(run: &mut Run<'_>, ctx: &SessionContext) -> Result<FeatureTable> {
    run.progress.start("building the features");
    let cfg = run.cfg;
    let bucket_column: Vec<String> = cfg
        .cluster
        .buckets
        .iter()
        .map(|b| b.column.clone())
        .collect();
    // the model's rows written for analysts as the feature table reads them: one pass
    let path = run.part("contact_features");
    let mut file = ModelFile::new(&path);
    let table = features::load(ctx, &run.features, &bucket_column, |b| file.write(b)).await?;
    file.finish()?;
    // the feature table and `contact_features` hold the model's rows now: the stage's end hands
    // its memory back (a cluster's model is files on its store: kept for the assignment)
    if table.is_empty() {
        return Err(Error::BadInput {
            file: cfg.features.model.clone(),
            reason: "the feature model has no contacts to build personas from".into(),
        });
    }
    if cfg.engine.kind == EngineKind::Embedded {
        ctx.deregister_table(cfg.features.model.as_str())?;
        ctx.register_parquet(FEATURES, path.to_string_lossy(), Default::default())
            .await?;
    }
    run.progress.done();
    run.watch.lap("features")?;
    Ok(table)
}

/// Resolve the criteria and segment every bucket (those fitted on a sample then assigned
/// whole by their SQL).
async fn segment(
    run: &mut Run<'_>,
    ctx: &SessionContext,
    table: &FeatureTable,
) -> Result<Segments> {
    run.progress.start("clustering");
    let cfg = run.cfg;
    let (criteria, suggestion) = resolve_criteria(table, cfg, &run.features)?;
    let mut buckets = cluster::segment(
        table,
        &criteria,
        &run.features,
        &cfg.cluster,
        cfg.profile.min_stability,
    )?;
    assign_everyone(ctx, features_table(cfg), table, &mut buckets).await?;
    run.progress.done();
    run.watch.lap("cluster")?;
    Ok(Segments {
        criteria,
        suggestion,
        buckets,
    })
}

/// Whether `bucket`'s personas are counted where its contacts are, by the engine's SQL: on a
/// cluster, a bucket fitted on a sample (its tally, its members).
pub(super) fn counted_on_cluster(cfg: &PipelineConfig, bucket: &Bucket) -> bool {
    cfg.engine.kind == EngineKind::Ballista && bucket.fitted < bucket.contacts
}

/// The buckets of `buckets` [`counted_on_cluster`].
pub(super) fn counted_there<'a>(cfg: &PipelineConfig, buckets: &'a [Bucket]) -> Vec<&'a Bucket> {
    (buckets.iter())
        .filter(|b| counted_on_cluster(cfg, b))
        .collect()
}

/// The table the engine reads the feature model from after the features stage: the staged
/// `contact_features` (embedded), or the model's files on the cluster's store.
pub(super) fn features_table(cfg: &PipelineConfig) -> &str {
    match cfg.engine.kind {
        EngineKind::Embedded => FEATURES,
        EngineKind::Ballista => cfg.features.model.as_str(),
    }
}

/// Profile the personas of every bucket and match them to the previous published run's.
async fn profile_personas(
    run: &mut Run<'_>,
    sql: &Sql,
    table: &FeatureTable,
    segments: &Segments,
) -> Result<(Profiled, Tracked)> {
    run.progress.start("profiling the personas");
    let (cfg, ctx) = (run.cfg, &sql.ctx);
    let audience = load_audience(ctx).await;
    let answers = super::surveys::load(ctx, table, &cfg.surveys).await;
    let on_cluster = |b: &Bucket| counted_on_cluster(cfg, b);
    let model = features_table(cfg);
    let tallies = tallies(
        ctx,
        model,
        table,
        &segments.buckets,
        &cfg.profile,
        on_cluster,
    )
    .await?;
    let mut profiled = profile::profile_buckets(
        table,
        &segments.buckets,
        &tallies,
        &cfg.profile,
        &audience,
        &answers,
    );
    if run.opts.fail_on_insufficient_sample || cfg.profile.fail_on_insufficient_sample {
        check_sample(&profiled.personas)?;
    }
    // on a cluster, every bucket is matched with the previous run there: the driver then
    // reads none of the previous run's members
    let counted_there: Vec<&Bucket> = match cfg.engine.kind {
        EngineKind::Ballista => segments.buckets.iter().collect(),
        EngineKind::Embedded => Vec::new(),
    };
    let engine_pairs = pairs_by_sql(run, sql, &counted_there, &profiled.personas).await?;
    let tracked = continuity::track(
        run.out,
        run.date,
        table,
        &mut profiled,
        engine_pairs.as_ref(),
    )?;
    let held: Vec<f64> = tallies
        .iter()
        .flat_map(|t| t.held.iter().copied())
        .collect();
    let priority = &cfg.profile.priority;
    profile::priority::rank(&mut profiled.personas, &held, &tracked.current, priority);
    run.progress.done();
    run.watch.lap("profile")?;
    Ok((profiled, tracked))
}

/// The contacts the personas of `buckets` share with the previous published run's, counted by
/// the engine (see [`overlap`]); `None` without such buckets or a previous run.
async fn pairs_by_sql(
    run: &Run<'_>,
    sql: &Sql,
    buckets: &[&Bucket],
    personas: &[Persona],
) -> Result<Option<EnginePairs>> {
    if buckets.is_empty() {
        return Ok(None);
    }
    let Some(&prev) = continuity::published_before(run.out, run.date)?.last() else {
        return Ok(None);
    };
    let (ctx, cluster, model) = (&sql.ctx, sql.cluster.as_ref(), features_table(run.cfg));
    let pairs = overlap::count_pairs(ctx, cluster, run.out, prev, model, buckets, personas);
    Ok(Some(pairs.await?))
}

/// Write the manifest into the staging folder, copy the date's partitions to `[publish] url`
/// (when set), publish them, then mark the copy complete.
async fn publish_run(run: &mut Run<'_>, manifest: &manifest::Manifest) -> Result<()> {
    let manifest_rel = partition(publish::MANIFESTS, run.date);
    manifest::write_manifest(
        &run.staging
            .join(&manifest_rel)
            .join(crate::output::MANIFEST_FILE),
        manifest,
    )?;
    run.progress.start("publishing");
    let (cfg, staging) = (&run.cfg.publish, run.staging);
    let copied = super::copy::copy_to_store(cfg, staging, &run.published, run.date).await?;
    let abort_after = match &run.opts.fault {
        Some(Fault::AbortInPublish(n)) => Some(*n),
        _ => None,
    };
    publish::publish(run.staging, run.out, run.date, &run.published, abort_after)?;
    super::copy::mark(copied.as_ref(), run.date).await?;
    run.progress.done();
    info!(run_date = %run.date, output_dir = %run.out.display(), "Published.");
    Ok(())
}
