//! The DataFusion side of a run: the session, the raw tables (landed Parquet, or empty tables
//! for the kinds a pipeline does not read), the social audience read back from its model, and
//! model rows written out for analysts.

use std::path::Path;
use std::sync::Arc;

use datafusion::arrow::array::{Array, AsArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Float64Type};
use datafusion::datasource::MemTable;
use datafusion::functions::unicode::expr_fn::character_length;
use datafusion::prelude::{
    cast as cast_expr, col, ParquetReadOptions, SessionConfig, SessionContext,
};
use futures::StreamExt;
use tracing::warn;

use crate::config::SourceKind;
use crate::error::Result;
use crate::profile::{Audience, AudienceShare};
use crate::sources::{self, SourceReport};

pub(super) fn session() -> SessionContext {
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2);
    SessionContext::new_with_config(SessionConfig::new().with_target_partitions(threads))
}

/// Register each landed source as its raw table, and an empty raw table for each kind the
/// pipeline does not read, so the SQL runs unchanged (a missing source yields no rows).
pub(super) async fn register_raw_tables(
    ctx: &SessionContext,
    reports: &[SourceReport],
) -> Result<()> {
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
pub(super) async fn load_audience(ctx: &SessionContext) -> Audience {
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
        // Which audience each row describes (`meta`, `linkedin`, `ga4`); a project's own mart
        // without the column is one `social` audience.
        let source = b
            .column_by_name("source")
            .and_then(|s| cast(s, &DataType::Utf8).ok());
        let source = source.as_ref().map(|s| s.as_string::<i32>());
        for i in 0..b.num_rows() {
            if dim.is_valid(i) && level.is_valid(i) && share.is_valid(i) {
                // Rows come in the mart's order of precedence: a later source's share of the
                // same level replaces an earlier one's.
                audience.insert(
                    (dim.value(i).to_string(), level.value(i).to_string()),
                    AudienceShare {
                        share: share.value(i),
                        source: source
                            .filter(|s| s.is_valid(i))
                            .map_or_else(|| "social".to_string(), |s| s.value(i).to_string()),
                    },
                );
            }
        }
    }
    audience
}

/// Rows of a table, if the project has it.
pub(super) async fn count_rows(ctx: &SessionContext, table: &str) -> Option<u64> {
    let df = ctx.table(table).await.ok()?;
    df.count().await.ok().map(|n| n as u64)
}

/// Write a model's rows as one Parquet file (the per-contact features, for analysts).
/// Rows are ordered by `contact_id` (numerically for numeric ids, as the feature table is), so
/// a rerun of a date writes the same file.
pub(super) async fn write_model(ctx: &SessionContext, model: &str, path: &Path) -> Result<()> {
    let mut df = ctx.table(model).await?;
    if df.schema().has_column_with_unqualified_name("contact_id") {
        let id = cast_expr(col("contact_id"), DataType::Utf8);
        df = df.sort(vec![
            character_length(id.clone()).sort(true, true),
            id.sort(true, true),
        ])?;
    }
    // Streamed into the file batch by batch: the model's rows are never all held at once.
    let mut stream = df.execute_stream().await?;
    let mut sink: Option<crate::output::parquet::ParquetSink> = None;
    while let Some(batch) = stream.next().await {
        let batch = batch?;
        let sink = match &mut sink {
            Some(s) => s,
            None => sink.insert(crate::output::parquet::ParquetSink::create(
                path,
                batch.schema(),
            )?),
        };
        sink.write(&batch)?;
    }
    if let Some(sink) = sink {
        sink.finish()?;
    }
    Ok(())
}
