//! The marts a run keeps in memory (the survey marts are not published), built again over a
//! finished run's landed tables, and queried as text.

use std::collections::HashSet;

use datafusion::arrow::array::{Array, AsArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::DataType;
use datafusion::prelude::SessionContext;
use personas::config::{Pipeline, SourceKind};
use personas::transform::{self, Templates};

use super::{register_landed, run_date, sql_dir, Fixture};

/// The fixture's run's models `marts` and every model they read, again over its landed
/// tables of the test date, as the run builds them.
pub async fn rebuild_marts(fx: &Fixture, marts: &[&str]) -> SessionContext {
    let pipeline = Pipeline::load(&fx.config).unwrap();
    let ctx = SessionContext::new();
    for kind in SourceKind::ALL {
        let dir = fx.path(&format!(
            "out/landing/{}/run_date={}",
            kind.raw_table(),
            run_date()
        ));
        if pipeline.config.sources.iter().any(|s| s.kind == kind) && dir.exists() {
            register_landed(&ctx, kind, &dir).await;
        } else {
            transform::register_empty_raw_table(&ctx, kind, &pipeline.config.sources).unwrap();
        }
    }
    let all = transform::discover(&sql_dir()).unwrap();
    let mut needed: HashSet<String> = marts.iter().map(|m| m.to_string()).collect();
    loop {
        let more: Vec<String> = (all.iter().filter(|m| needed.contains(&m.name)))
            .flat_map(|m| m.depends_on.iter().cloned())
            .filter(|d| !needed.contains(d))
            .collect();
        if more.is_empty() {
            break;
        }
        needed.extend(more);
    }
    let models: Vec<_> = (all.into_iter())
        .filter(|m| needed.contains(&m.name))
        .collect();
    let mut templates = Templates::for_pipeline(run_date(), &pipeline.config);
    transform::run(
        &ctx,
        &models,
        &mut templates,
        &[],
        transform::Materialise::Memory,
    )
    .await
    .unwrap();
    ctx
}

/// Rows of a query as text cells (a null as empty).
pub async fn query_rows(ctx: &SessionContext, sql: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    for b in ctx.sql(sql).await.unwrap().collect().await.unwrap() {
        let columns: Vec<_> = (b.columns().iter())
            .map(|c| cast(c, &DataType::Utf8).unwrap())
            .collect();
        for i in 0..b.num_rows() {
            out.push(
                (columns.iter().map(|c| c.as_string::<i32>()))
                    .map(|c| if c.is_valid(i) { c.value(i) } else { "" }.to_string())
                    .collect(),
            );
        }
    }
    out
}
