//! Transform: runs the SQL models under `sql/` in DataFusion, in dependency order. One model per
//! `.sql` file; the file name is the table name. A model depends on every other model whose name
//! it mentions, so a data team adds or edits a model without touching Rust. Models in `staging/`
//! are views (streamed from the landed Parquet); the others are materialised in memory, since
//! from `intermediate/` on there is at most one row per contact. On a Ballista cluster
//! (`crate::engine`) the same models run there, each materialised one written as Parquet to the
//! cluster's work folder.
//!
//! The session every model runs in, with each landed source registered as its raw table, lives
//! here too.
//!
//! Template variables (the run date, the site's content groups) are replaced before planning:
//! see [`templates`].

use std::collections::HashMap;
use std::sync::Arc;

use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::catalog::TableProvider;
use datafusion::datasource::MemTable;
use datafusion::error::DataFusionError;
use datafusion::execution::runtime_env::RuntimeEnvBuilder;
use datafusion::execution::SendableRecordBatchStream;
use datafusion::functions::unicode::expr_fn::character_length;
use datafusion::logical_expr::SortExpr;
use datafusion::physical_plan::displayable;
use datafusion::physical_plan::memory::MemoryStream;
use datafusion::prelude::{
    cast, col, lit, DataFrame, ParquetReadOptions, SessionConfig, SessionContext,
};
use tracing::{debug, info, trace};

mod collect;
mod disk;
mod models;
mod order;
mod own;
mod rules;
mod spill;
pub mod survey;
mod templates;

pub use collect::as_declared;
pub use models::{discover, Materialized, Model};
pub use templates::{Templates, EVENT_GROUPS};

use crate::config::{EngineConfig, EngineKind, SourceConfig, SourceKind};
use crate::engine::Cluster;
use crate::error::{Error, Result};
use crate::sources::{self, SourceReport};

/// The raw tables' column naming the source (`[[sources]] name`) each row was read from.
pub const SOURCE: &str = "_source";

/// A DataFusion session using every core, its spilling operators limited by `engine`'s
/// `memory_limit` ([`spill::SpillPool`]).
pub fn session(engine: &EngineConfig) -> Result<SessionContext> {
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2);
    let config = SessionConfig::new().with_target_partitions(threads);
    let Some(limit) = engine.memory_limit.0 else {
        return Ok(SessionContext::new_with_config(config));
    };
    let runtime = RuntimeEnvBuilder::new()
        .with_memory_pool(Arc::new(spill::SpillPool::new(limit)))
        .build_arc()?;
    Ok(SessionContext::new_with_config_rt(config, runtime))
}

/// The session the models of `date` run in: [`session`] for the embedded engine, or on the
/// Ballista cluster `[engine]` names, with its work folder for the pipeline and date.
///
/// # Errors
/// As [`session`] and [`Cluster::connect`].
pub async fn connect(
    engine: &EngineConfig,
    pipeline: &str,
    date: chrono::NaiveDate,
) -> Result<(SessionContext, Option<Cluster>)> {
    match engine.kind {
        EngineKind::Embedded => Ok((session(engine)?, None)),
        EngineKind::Ballista => {
            let cluster = Cluster::connect(engine, pipeline, date).await?;
            Ok((cluster.ctx().clone(), Some(cluster)))
        }
    }
}

/// Register each kind's landed sources as its raw table, with the source name in a `_source`
/// column (several sources of one kind, two GA4 properties say, are unioned by column name),
/// and an empty raw table for each kind the pipeline does not read, so the SQL runs unchanged
/// (a missing source yields no rows). An empty table has the columns of its kind plus the own
/// columns (`[[features.columns]]`) a source of that kind in `sources` lands.
///
/// On a cluster, each landed folder is copied to the cluster's work folder first and the raw
/// tables read from there, an empty one from an empty Parquet file there.
pub async fn register_raw_tables(
    ctx: &SessionContext,
    reports: &[SourceReport],
    sources: &[SourceConfig],
    cluster: Option<&Cluster>,
) -> Result<()> {
    for kind in SourceKind::ALL {
        let mut union: Option<DataFrame> = None;
        for r in reports.iter().filter(|r| r.kind == kind) {
            let dir = match cluster {
                Some(c) => c.land(&r.landed_dir, &r.name).await?,
                None => format!("{}/", r.landed_dir.display()),
            };
            let df = ctx
                .read_parquet(dir, ParquetReadOptions::default())
                .await?
                .with_column(SOURCE, lit(r.name.as_str()))?;
            union = Some(match union {
                None => df,
                Some(u) => u.union_by_name(df)?,
            });
        }
        match union {
            Some(df) => ctx
                .register_table(kind.raw_table(), df.into_view())
                .map(|_| ())?,
            None => match cluster {
                Some(c) => {
                    let url = c
                        .empty_table(kind.raw_table(), empty_raw_schema(kind, sources))
                        .await?;
                    ctx.register_parquet(kind.raw_table(), &url, ParquetReadOptions::default())
                        .await?
                }
                None => register_empty_raw_table(ctx, kind, sources)?,
            },
        }
    }
    Ok(())
}

/// Register `kind`'s raw table empty, with the columns a landed source of that kind would
/// have: its kind's, the own columns (`[[features.columns]]`) its sources in `sources` land,
/// and `_source`.
pub fn register_empty_raw_table(
    ctx: &SessionContext,
    kind: SourceKind,
    sources: &[SourceConfig],
) -> Result<()> {
    let table = MemTable::try_new(empty_raw_schema(kind, sources), vec![vec![]])?;
    ctx.register_table(kind.raw_table(), Arc::new(table))?;
    Ok(())
}

/// The columns of `kind`'s raw table when no source of it landed: its kind's, the own columns
/// its sources in `sources` land, and `_source`.
fn empty_raw_schema(kind: SourceKind, sources: &[SourceConfig]) -> SchemaRef {
    let schema = sources::empty_raw_schema(kind);
    let own = sources
        .iter()
        .filter(|s| s.kind == kind)
        .flat_map(|s| &s.own_columns)
        .filter(|c| schema.field_with_name(c).is_err());
    let fields = (schema.fields().iter().cloned())
        .chain(own.map(|c| Arc::new(Field::new(c, DataType::Utf8, true))))
        .chain([Arc::new(Field::new(SOURCE, DataType::Utf8, false))]);
    Arc::new(Schema::new(fields.collect::<Vec<_>>()))
}

/// The staging models of the CRM exports, whose rows `int_crm_contacts` merges.
const CRM_STAGING_MODELS: [&str; 4] = [
    "stg_hubspot__contacts",
    "stg_salesforce__contacts",
    "stg_salesforce__leads",
    "stg_csv__contacts",
];

/// How many CRM records `int_crm_contacts` merged into another record of the same contact:
/// the CRM staging models' rows less its own; `None` when the project lacks those models.
pub async fn merged_crm_records(ctx: &SessionContext, runs: &[ModelRun]) -> Option<u64> {
    let mut staged = None;
    for model in CRM_STAGING_MODELS {
        if let Some(n) = count_rows(ctx, model).await {
            staged = Some(staged.unwrap_or(0) + n);
        }
    }
    let unique = runs.iter().find(|r| r.name == "int_crm_contacts")?.rows?;
    Some(staged?.saturating_sub(unique as u64))
}

/// Rows of a table, if the project has it.
pub async fn count_rows(ctx: &SessionContext, table: &str) -> Option<u64> {
    let df = ctx.table(table).await.ok()?;
    df.count().await.ok().map(|n| n as u64)
}

/// `df` ordered by contact id: shorter ids first, then by text, so numeric ids keep their
/// numeric order and a rerun of a date reads and writes its rows in the same order.
pub fn by_contact(df: DataFrame) -> std::result::Result<DataFrame, DataFusionError> {
    let order = contact_order(df.schema().as_arrow())?;
    df.sort(order)
}

/// The rows of `model` in contact order (as [`by_contact`] sorts them), streamed: the batches
/// as they are held when [`run`] kept the model in that order, without a sorted copy; else
/// sorted by DataFusion. (DataFusion would sort the held table again: it splits the one
/// ordered partition of a memory table across its threads, and the order is lost.)
pub async fn in_contact_order(
    ctx: &SessionContext,
    model: &str,
) -> std::result::Result<SendableRecordBatchStream, DataFusionError> {
    let provider = ctx.table_provider(model).await?;
    if let Some(table) = provider.downcast_ref::<MemTable>() {
        let ordered = *table.sort_order.lock() == vec![contact_order(&table.schema())?];
        if let ([partition], true) = (table.batches.as_slice(), ordered) {
            let batches = partition.read().await.clone();
            let stream = MemoryStream::try_new(batches, table.schema(), None)?;
            return Ok(Box::pin(stream));
        }
    }
    by_contact(ctx.table(model).await?)?.execute_stream().await
}

/// The order of [`by_contact`] over a table of `schema`. A text id is compared as it is (a
/// cast would be planned as a separate expression, and DataFusion would then not see that a
/// table held in this order is already sorted); any other id as its text.
fn contact_order(schema: &Schema) -> std::result::Result<Vec<SortExpr>, DataFusionError> {
    let id = match schema.field_with_name("contact_id")?.data_type() {
        DataType::Utf8 | DataType::Utf8View | DataType::LargeUtf8 => col("contact_id"),
        _ => cast(col("contact_id"), DataType::Utf8),
    };
    Ok(vec![
        character_length(id.clone()).sort(true, true),
        id.sort(true, true),
    ])
}

/// What running one model produced.
#[derive(Debug, Clone)]
pub struct ModelRun {
    /// Model name.
    pub name: String,
    /// Rows, for materialised models (views are not counted).
    pub rows: Option<usize>,
}

/// Where [`run`] keeps a materialised model's rows.
#[derive(Debug, Clone, Copy)]
pub enum Materialise<'a> {
    /// Held in memory.
    Memory,
    /// The models the caller keeps held in memory (in contact order), every other written as
    /// Parquet to this local folder and read back from there.
    Disk(&'a std::path::Path),
    /// Written as Parquet to the cluster's work folder.
    Cluster(&'a Cluster),
}

/// Run every model in order, registering each as a table in `ctx`.
/// Models in `intermediate/` are released once every model reading them has run, except those
/// named in `keep` (the ones the pipeline reads afterwards). A materialised model is held in
/// memory, on local disk or on a cluster's work folder as `store` says.
pub async fn run(
    ctx: &SessionContext,
    models: &[Model],
    templates: &mut Templates,
    keep: &[&str],
    store: Materialise<'_>,
) -> Result<Vec<ModelRun>> {
    let mut runs = Vec::with_capacity(models.len());
    // Index of the last model reading each model: an intermediate model is dropped from memory
    // once that one has run, unless the caller keeps it.
    let mut last_reader: HashMap<&str, usize> = HashMap::new();
    for (i, m) in models.iter().enumerate() {
        for d in &m.depends_on {
            last_reader.insert(d.as_str(), i);
        }
    }
    let layer: HashMap<&str, &str> = models
        .iter()
        .map(|m| (m.name.as_str(), m.layer.as_str()))
        .collect();
    for (i, m) in models.iter().enumerate() {
        let wrap = |e: datafusion::error::DataFusionError| Error::Model {
            model: m.name.clone(),
            file: m.path.clone(),
            source: Box::new(e),
        };
        let started = std::time::Instant::now();
        let sql = templates.render(ctx, &m.sql).await.map_err(wrap)?;
        let df = ctx.sql(&sql).await.map_err(wrap)?;
        // a kept model is read several times after the run: held, never a view
        let view = m.materialized == Materialized::View && !keep.contains(&m.name.as_str());
        let rows = if view {
            ctx.register_table(m.name.as_str(), df.into_view())
                .map_err(wrap)?;
            None
        } else if let Materialise::Cluster(cluster) = store {
            let rows = cluster
                .materialise(&m.name, df)
                .await
                .map_err(|e| match e {
                    Error::DataFusion(e) => wrap(e),
                    other => other,
                })?;
            Some((rows, 0))
        } else if let (Materialise::Disk(dir), false) = (store, keep.contains(&m.name.as_str())) {
            let attempt = || disk::write_down(ctx, &m.name, df.clone(), dir);
            Some(
                spill::hold_within_limit(ctx, &m.name, attempt)
                    .await
                    .map_err(wrap)?,
            )
        } else {
            // A kept model with contacts (the feature model) is held in contact order.
            let in_order = keep.contains(&m.name.as_str())
                && df.schema().has_column_with_unqualified_name("contact_id");
            let attempt = || hold(ctx, &m.name, df.clone(), in_order);
            Some(
                spill::hold_within_limit(ctx, &m.name, attempt)
                    .await
                    .map_err(wrap)?,
            )
        };
        match rows {
            Some((rows, spilled)) => {
                let memory = crate::memory::Memory::now();
                info!(
                    model = %m.name,
                    rows,
                    seconds = started.elapsed().as_secs_f64(),
                    peak_mb = memory.map(|m| m.peak / 1_000_000),
                    held_mb = memory.map(|m| m.current / 1_000_000),
                    spilled_mb = spilled / 1_000_000,
                    "Built model."
                )
            }
            None => debug!(model = %m.name, "Registered view."),
        }
        runs.push(ModelRun {
            name: m.name.clone(),
            rows: rows.map(|(rows, _)| rows),
        });
        for d in &m.depends_on {
            let done_with = last_reader.get(d.as_str()) == Some(&i);
            if done_with
                && layer.get(d.as_str()) == Some(&"intermediate")
                && !keep.contains(&d.as_str())
            {
                ctx.deregister_table(d.as_str()).map_err(wrap)?;
                debug!(model = %d, "Released model.");
            }
        }
        if rows.is_some() {
            // the model's hash tables, and any model just released, are free: hand them back
            crate::memory::release();
        }
    }
    Ok(runs)
}

/// Execute `df` and register its rows as the table `name`, held in memory (compacted, its
/// categories as dictionaries: see `collect`); when `in_order`, put in contact order a column
/// at a time (see `order`) and declared so to DataFusion: its readers' `by_contact` then merges
/// instead of sorting a copy. Returns the rows held and the bytes spilled to disk computing them.
async fn hold(
    ctx: &SessionContext,
    name: &str,
    df: DataFrame,
    in_order: bool,
) -> std::result::Result<(usize, usize), DataFusionError> {
    let planned = Arc::new(df.schema().as_arrow().clone());
    let task = Arc::new(df.task_ctx());
    let plan = df.create_physical_plan().await?;
    if tracing::enabled!(tracing::Level::TRACE) {
        let shown = displayable(plan.as_ref()).indent(true).to_string();
        trace!(model = %name, plan = %shown, "Physical plan.");
    }
    let collected = collect::collect_compact(plan, task).await?;
    let spilled = collected.spilled;
    let mut parts = collect::categories(collected.parts)?;
    // The batches' schema can be stricter than the plan's (nullability): prefer it.
    let schema = parts
        .iter()
        .flatten()
        .next()
        .map_or(planned, |b| b.schema());
    let rows = parts.iter().flatten().map(|b| b.num_rows()).sum();
    if in_order {
        let batch_rows = ctx.state().config().batch_size();
        parts = vec![order::in_contact_order(schema.clone(), parts, batch_rows)?];
    }
    let mut table = MemTable::try_new(schema.clone(), parts)?;
    if in_order {
        table = table.with_sort_order(vec![contact_order(&schema)?]);
    }
    ctx.register_table(name, Arc::new(table))?;
    Ok((rows, spilled))
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::{ArrayRef, RecordBatch};
    use datafusion::arrow::compute::concat_batches;
    use futures::TryStreamExt;

    #[test]
    fn the_session_limits_its_spilling_operators_as_the_engine_config_says() {
        use datafusion::execution::memory_pool::MemoryLimit as Limit;
        let limited = session(&EngineConfig::default()).unwrap();
        let pool = limited.runtime_env().memory_pool.clone();
        assert!(pool.is::<spill::SpillPool>());
        assert!(matches!(pool.memory_limit(), Limit::Finite(n) if n == 256 << 20));
        let unlimited: EngineConfig = toml::from_str("memory_limit = \"unlimited\"").unwrap();
        let pool = session(&unlimited)
            .unwrap()
            .runtime_env()
            .memory_pool
            .clone();
        assert!(!pool.is::<spill::SpillPool>());
        assert!(matches!(pool.memory_limit(), Limit::Infinite));
    }

    #[tokio::test]
    async fn a_kept_model_is_held_in_contact_order_and_read_without_a_sort() {
        let dir = tempfile::tempdir().unwrap();
        let inter = dir.path().join("intermediate");
        std::fs::create_dir(&inter).unwrap();
        let rows = "('10', 1), ('9', 2), ('100', 3), ('11', 4)";
        let sql = format!("select * from (values {rows}) as t(contact_id, n)");
        std::fs::write(inter.join("int_f.sql"), &sql).unwrap();
        std::fs::write(inter.join("int_g.sql"), &sql).unwrap();
        std::fs::write(inter.join("int_d.sql"), "select * from int_g where n > 1").unwrap();
        let ctx = session(&EngineConfig::default()).unwrap();
        let models = discover(dir.path()).unwrap();
        let cfg: crate::config::PipelineConfig =
            toml::from_str("name = \"t\"\noutput_dir = \"o\"\nsources = []").unwrap();
        let date = chrono::NaiveDate::from_ymd_opt(2026, 11, 20).unwrap();
        let mut templates = Templates::for_pipeline(date, &cfg);
        let scratch = dir.path().join("scratch");
        let store = Materialise::Disk(&scratch);
        run(&ctx, &models, &mut templates, &["int_f", "int_g"], store)
            .await
            .unwrap();
        // a model not kept waits on disk, with the types it was computed with (no views)
        let on_disk = ctx.table("int_d").await.unwrap();
        assert!(scratch.join("int_d.parquet").is_file());
        let types: Vec<DataType> = (on_disk.schema().fields().iter())
            .map(|f| f.data_type().clone())
            .collect();
        // (the held `int_g`'s ids are a dictionary: so are those computed from them)
        let ids = DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8));
        assert_eq!(types, [ids, DataType::Int64]);
        assert_eq!(on_disk.count().await.unwrap(), 3);
        let held = ctx.table_provider("int_f").await.unwrap();
        let held = held.downcast_ref::<MemTable>().unwrap().batches[0]
            .read()
            .await
            .clone();
        let read = read_in_order(&ctx, "int_f").await;
        // the held batches themselves, in order: no sorted copy was made
        assert!(Arc::ptr_eq(read[0].column(0), held[0].column(0)));
        let ids = |batches: &[RecordBatch]| {
            let all = concat_batches(&batches[0].schema(), batches).unwrap();
            cast_utf8(all.column(0))
        };
        assert_eq!(ids(&read), ["9", "10", "11", "100"]);
        // a model that is not held in order is sorted
        ctx.deregister_table("int_g").unwrap();
        ctx.register_table("int_g", ctx.sql(&sql).await.unwrap().into_view())
            .unwrap();
        let sorted = read_in_order(&ctx, "int_g").await;
        assert_eq!(ids(&sorted), ["9", "10", "11", "100"]);
    }

    async fn read_in_order(ctx: &SessionContext, model: &str) -> Vec<RecordBatch> {
        let stream = in_contact_order(ctx, model).await.unwrap();
        stream.try_collect().await.unwrap()
    }

    fn cast_utf8(a: &ArrayRef) -> Vec<String> {
        use datafusion::arrow::array::AsArray;
        let a = datafusion::arrow::compute::cast(a, &DataType::Utf8).unwrap();
        a.as_string::<i32>()
            .iter()
            .map(|v| v.unwrap().to_string())
            .collect()
    }
}
