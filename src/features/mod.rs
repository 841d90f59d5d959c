//! Features: reads the per-contact feature model (`int_contact_features`) out of DataFusion into
//! a column-wise [`FeatureTable`] (numeric, categorical, and multi-valued columns expanded into
//! one yes/no column per value), and [`design`] turns the columns of the segmentation criteria
//! into the weighted design matrix k-means reads. Every other configured column only describes
//! the personas afterwards.

mod auto;
mod design;
mod encoding;
mod index;
mod values;

pub use auto::{criteria_for_columns, suggest, FamilyEvidence, Suggestion};
pub use design::{design, family_of, CriterionWeight, Design};
pub(crate) use encoding::ieee_bound;
pub use encoding::{level_sql, number_sql, sql_f64, sql_ident, sql_str, tag_sql, Encoding};
pub use index::ContactIndex;
pub use values::{Levels, Numbers};

use datafusion::arrow::array::{Array, AsArray, RecordBatch};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Float64Type};
use datafusion::prelude::SessionContext;
use futures::StreamExt;

use tracing::info;

use crate::config::FeaturesConfig;
use crate::error::{Error, Result};

/// A numeric feature, one value per contact (`None` = missing).
#[derive(Debug, Clone)]
pub struct NumericColumn {
    /// Column name.
    pub name: String,
    /// Values in contact order.
    pub values: Numbers,
    /// Whether the column drives segmentation (otherwise it only describes).
    pub segments: bool,
}

/// A categorical level, shared between the contacts that have it (a million contacts hold a few
/// dozen distinct levels, not a million strings).
pub type Level = std::sync::Arc<str>;

/// A categorical feature, one level per contact (missing = `unknown`).
#[derive(Debug, Clone)]
pub struct CategoricalColumn {
    /// Column name.
    pub name: String,
    /// Levels in contact order.
    /// Each level is stored once and shared by every contact that has it.
    pub values: Levels,
    /// Whether the column drives segmentation (otherwise it only describes).
    pub segments: bool,
}

/// The feature table, column-wise, in memory: one row per contact.
#[derive(Debug, Clone, Default)]
pub struct FeatureTable {
    /// CRM contact ids (HubSpot record ids, Salesforce ids, any CRM's ids), as text.
    pub contact_ids: Vec<String>,
    /// Contact emails (lower-cased; `None` when the CRM has none).
    pub emails: Vec<Option<String>>,
    /// Numeric columns (segmentation and description).
    pub numeric: Vec<NumericColumn>,
    /// Categorical columns (segmentation and description); a multi-valued column is here as
    /// one yes/no column per value (`tags:promo`).
    pub categorical: Vec<CategoricalColumn>,
    /// Multi-valued columns as read (`Decision Maker;Budget Holder`), for the bucket split.
    pub multi_raw: Vec<CategoricalColumn>,
}

impl FeatureTable {
    /// Number of contacts.
    pub fn len(&self) -> usize {
        self.contact_ids.len()
    }

    /// Whether there are no contacts.
    pub fn is_empty(&self) -> bool {
        self.contact_ids.is_empty()
    }
}

fn missing(model: &str, column: &str) -> Error {
    Error::MissingModelColumn {
        model: model.to_string(),
        column: column.to_string(),
        needed_by: "features (see [features] in the pipeline config)".into(),
    }
}

/// Read the feature model into memory, ordered by contact id: shorter ids first, then by text,
/// so numeric ids keep their numeric order. The criteria's columns (every candidate with
/// `auto`), the `describe` columns and `extra` (the buckets' column) become numeric or
/// categorical by their type in the model, `multi` ones one yes/no column per value. Each of
/// the model's batches, in that order, is also handed to `each` (the one pass over the model
/// that its other readers can share).
pub async fn load(
    ctx: &SessionContext,
    cfg: &FeaturesConfig,
    extra: &[String],
    mut each: impl FnMut(&RecordBatch) -> Result<()>,
) -> Result<FeatureTable> {
    let df = ctx.table(cfg.model.as_str()).await?;
    let schema = df.schema().as_arrow().clone();
    if schema.field_with_name("contact_id").is_err() {
        return Err(missing(&cfg.model, "contact_id"));
    }
    // Every column is sized once: grown by doubling, each would for a moment be held twice.
    let rows = df.count().await?;
    // Streamed: each batch in contact order is copied into the feature table, so the model's
    // rows and the table are not both held whole (nor a sorted copy of the model, when the run
    // held it in contact order).
    let mut stream = crate::transform::in_contact_order(ctx, &cfg.model).await?;
    let mut t = FeatureTable {
        contact_ids: Vec::with_capacity(rows),
        emails: Vec::with_capacity(rows),
        ..FeatureTable::default()
    };
    let segmenting = cfg.criteria_columns();
    let mut names = segmenting.clone();
    for d in cfg.describe.iter().chain(extra) {
        if !names.contains(d) {
            names.push(d.clone());
        }
    }
    let mut tag_columns = Vec::new();
    for name in &names {
        let field = schema
            .field_with_name(name)
            .map_err(|_| missing(&cfg.model, name))?;
        let segments = segmenting.contains(name);
        if cfg.multi.contains(name) {
            tag_columns.push((name.clone(), segments));
        } else if field.data_type().is_numeric() {
            t.numeric.push(NumericColumn {
                name: name.clone(),
                values: Numbers::with_capacity(rows),
                segments,
            });
        } else {
            t.categorical.push(CategoricalColumn {
                name: name.clone(),
                values: Levels::with_capacity(rows),
                segments,
            });
        }
    }
    let mut raw_tags: Vec<Vec<Option<String>>> = tag_columns
        .iter()
        .map(|_| Vec::with_capacity(rows))
        .collect();
    while let Some(batch) = stream.next().await {
        let batch = &batch?;
        append_batch(&mut t, batch, &cfg.model)?;
        each(batch)?;
        for ((name, _), values) in tag_columns.iter().zip(raw_tags.iter_mut()) {
            let a = cast(column(batch, &cfg.model, name)?, &DataType::Utf8)?;
            let a = a.as_string::<i32>();
            values.extend((0..a.len()).map(|i| a.is_valid(i).then(|| a.value(i).to_string())));
        }
    }
    for ((name, segments), values) in tag_columns.iter().zip(raw_tags) {
        t.categorical
            .extend(expand_tags(name, &values, *segments, cfg.rare_level_pct));
        let values = values
            .iter()
            .map(|v| v.as_deref().unwrap_or("unknown"))
            .collect();
        t.multi_raw.push(CategoricalColumn {
            name: name.clone(),
            values,
            segments: false,
        });
    }

    info!(contacts = t.len(), model = %cfg.model, "Loaded features.");
    Ok(t)
}

fn column<'b>(batch: &'b RecordBatch, model: &str, name: &str) -> Result<&'b dyn Array> {
    batch
        .column_by_name(name)
        .map(|a| a.as_ref())
        .ok_or_else(|| missing(model, name))
}

fn append_batch(t: &mut FeatureTable, batch: &RecordBatch, model: &str) -> Result<()> {
    let ids = cast(column(batch, model, "contact_id")?, &DataType::Utf8)?;
    let ids = ids.as_string::<i32>();
    for i in 0..ids.len() {
        if ids.is_null(i) {
            return Err(Error::BadInput {
                file: model.to_string(),
                reason: "a feature row has no contact_id".into(),
            });
        }
        t.contact_ids.push(ids.value(i).to_string());
    }
    let emails = cast(column(batch, model, "email")?, &DataType::Utf8)?;
    let emails = emails.as_string::<i32>();
    t.emails
        .extend((0..emails.len()).map(|i| emails.is_valid(i).then(|| emails.value(i).to_string())));
    for col in &mut t.numeric {
        let a = cast(column(batch, model, &col.name)?, &DataType::Float64)?;
        let a = a.as_primitive::<Float64Type>();
        col.values.extend(
            (0..a.len()).map(|i| a.is_valid(i).then(|| a.value(i)).filter(|v| v.is_finite())),
        );
    }
    for col in &mut t.categorical {
        let a = cast(column(batch, model, &col.name)?, &DataType::Utf8)?;
        let a = a.as_string::<i32>();
        for i in 0..a.len() {
            if a.is_valid(i) && !a.value(i).trim().is_empty() {
                col.values.push(a.value(i));
            } else {
                col.values.push("unknown");
            }
        }
    }
    Ok(())
}

/// Separates a tags column's name from the tag in the columns it expands into (`tags:promo`).
pub const TAG_SEP: char = ':';

/// Expand a multi-valued column (tags separated by `,` or `;`) into one `yes`/`no` column per
/// tag held by at least `rare_pct` percent of contacts, named `<column>:<tag>`.
fn expand_tags(
    name: &str,
    values: &[Option<String>],
    segments: bool,
    rare_pct: f64,
) -> Vec<CategoricalColumn> {
    let split = |v: &str| -> Vec<String> {
        v.split([',', ';'])
            .map(|t| t.trim().to_lowercase())
            .filter(|t| !t.is_empty())
            .collect()
    };
    let per_contact: Vec<Vec<String>> = values
        .iter()
        .map(|v| v.as_deref().map(split).unwrap_or_default())
        .collect();
    let mut counts = std::collections::BTreeMap::<&str, usize>::new();
    for tags in &per_contact {
        for tag in tags {
            *counts.entry(tag).or_default() += 1;
        }
    }
    let min = ((values.len() as f64 * rare_pct / 100.0).ceil() as usize).max(1);
    counts
        .into_iter()
        .filter(|(_, c)| *c >= min)
        .map(|(tag, _)| CategoricalColumn {
            name: format!("{name}{TAG_SEP}{tag}"),
            values: per_contact
                .iter()
                .map(|tags| {
                    if tags.iter().any(|t| t == tag) {
                        "yes"
                    } else {
                        "no"
                    }
                })
                .collect(),
            segments,
        })
        .collect()
}

/// Percentile (0..=1) of sorted values, nearest rank.
pub(crate) fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let idx = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[idx.min(sorted.len() - 1)]
}

/// Mean and population standard deviation.
pub fn mean_sd(values: impl Iterator<Item = f64> + Clone) -> (f64, f64) {
    let (sum, count) = values
        .clone()
        .fold((0.0, 0usize), |(s, c), v| (s + v, c + 1));
    if count == 0 {
        return (0.0, 0.0);
    }
    let mean = sum / count as f64;
    let var = values.map(|v| (v - mean).powi(2)).sum::<f64>() / count as f64;
    (mean, var.sqrt())
}

/// The level rare levels are pooled into.
pub const OTHER: &str = "other";

/// Levels held by at least `rare_pct` percent of contacts, sorted.
pub fn kept_levels(values: &[Level], rare_pct: f64) -> Vec<Level> {
    let mut counts = std::collections::BTreeMap::<&Level, usize>::new();
    for v in values {
        *counts.entry(v).or_default() += 1;
    }
    let min = (values.len() as f64 * rare_pct / 100.0).ceil() as usize;
    counts
        .into_iter()
        .filter(|(_, c)| *c >= min)
        .map(|(l, _)| l.clone())
        .collect()
}
