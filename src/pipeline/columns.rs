//! Before any work: the columns the config names (criteria, describe, tags, the buckets'
//! role column, the negative rule's columns) must exist in the feature model. The SQL models
//! are planned and run on empty raw tables, which takes a fraction of a second and needs no
//! input, so `validate` and the start of a run catch a typo in the config, naming the column
//! and the columns the model has.

use chrono::NaiveDate;
use tracing::Instrument;

use crate::config::Pipeline;
use crate::error::{Error, Result};
use crate::transform;

/// Check every column the config names against the feature model's columns.
pub async fn check(pipeline: &Pipeline, run_date: NaiveDate) -> Result<()> {
    let cfg = &pipeline.config;
    let ctx = crate::transform::session(&cfg.engine)?;
    crate::transform::register_raw_tables(&ctx, &[], &cfg.sources, None).await?;
    let models = transform::discover(&pipeline.sql_dir())?;
    let model = cfg.features.model.as_str();
    // Logged under its own span: these models are built on empty tables.
    let span = tracing::info_span!("column_check_on_empty_tables");
    let mut templates = transform::Templates::for_pipeline(run_date, cfg);
    transform::run(
        &ctx,
        &models,
        &mut templates,
        &[model],
        transform::Materialise::Memory,
    )
    .instrument(span)
    .await?;
    // Declared content groups are known now; the most-read ones only once the data is read, so
    // with none declared the `share_<group>` columns are checked by the run that finds them.
    let features = cfg
        .features
        .with_content(&templates.content_columns().unwrap_or_default());
    let deferred = |col: &str| cfg.web.content_groups.is_empty() && col.starts_with("share_");
    let df = ctx.table(model).await.map_err(|_| Error::Config {
        path: pipeline.path.clone(),
        message: format!(
            "features.model `{model}` is not a model under {}",
            pipeline.sql_dir().display()
        ),
    })?;
    let schema = df.schema().as_arrow().clone();
    let have: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
    let mut named: Vec<(&str, String)> = Vec::new();
    let section = if features.is_auto() {
        "features.candidates (criteria = \"auto\")"
    } else {
        "features.criteria"
    };
    for col in features.criteria_columns() {
        named.push((section, col));
    }
    for col in &features.describe {
        named.push(("features.describe", col.clone()));
    }
    for col in ["contact_id", "email"] {
        named.push(("features.model (the contact key)", col.to_string()));
    }
    if let Some(b) = &cfg.cluster.buckets {
        named.push(("cluster.buckets.column", b.column.clone()));
    }
    if cfg.profile.negative.enabled {
        for c in &cfg.profile.negative.conditions {
            named.push(("profile.negative.conditions", c.column.clone()));
        }
    }
    for (section, col) in named {
        if !have.contains(&col.as_str()) && !deferred(&col) {
            return Err(Error::Config {
                path: pipeline.path.clone(),
                message: format!(
                    "{section} names `{col}`, which the feature model `{model}` does not have; \
                     its columns are: {}",
                    have.join(", ")
                ),
            });
        }
    }
    Ok(())
}
