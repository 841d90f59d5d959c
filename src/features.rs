//! Features: reads the per-contact feature model (`int_contact_features`) out of DataFusion and
//! turns the columns of the segmentation criteria into a numeric design matrix for k-means:
//! numeric columns optionally log-transformed, winsorised at the 1st/99th percentile and
//! standardised, a missing value imputed by the mean with a missing-value indicator;
//! categorical columns one-hot encoded with rare levels pooled into `other`; multi-valued tag
//! columns expanded into one yes/no column per tag. Every other configured column only
//! describes the personas afterwards.

use datafusion::arrow::array::{Array, AsArray, RecordBatch};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Float64Type};
use datafusion::functions::unicode::expr_fn::character_length;
use datafusion::prelude::{cast as cast_expr, col, SessionContext};
use futures::StreamExt;
use ndarray::Array2;
use tracing::info;

use crate::config::FeaturesConfig;
use crate::error::{Error, Result};

/// A numeric feature, one value per contact (`None` = missing).
#[derive(Debug, Clone)]
pub struct NumericColumn {
    /// Column name.
    pub name: String,
    /// Values in contact order.
    pub values: Vec<Option<f64>>,
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
    pub values: Vec<Level>,
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
    /// Categorical columns (segmentation and description).
    pub categorical: Vec<CategoricalColumn>,
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

/// The design matrix and the name of each of its columns.
#[derive(Debug, Clone)]
pub struct Design {
    /// Rows = contacts, columns = encoded features.
    pub matrix: Array2<f64>,
    /// Name of each matrix column (`sessions`, `job_seniority=executive`, ...).
    pub columns: Vec<String>,
}

fn missing(model: &str, column: &str) -> Error {
    Error::MissingModelColumn {
        model: model.to_string(),
        column: column.to_string(),
        needed_by: "features (see [features] in the pipeline config)".into(),
    }
}

/// Read the feature model into memory, ordered by contact id: shorter ids first, then by text,
/// so numeric ids keep their numeric order. `describe` columns become numeric or categorical by
/// their type in the model.
pub async fn load(ctx: &SessionContext, cfg: &FeaturesConfig) -> Result<FeatureTable> {
    let df = ctx.table(cfg.model.as_str()).await?;
    let schema = df.schema().as_arrow().clone();
    let id = cast_expr(col("contact_id"), DataType::Utf8);
    let df = df
        .sort(vec![
            character_length(id.clone()).sort(true, true),
            id.sort(true, true),
        ])
        .map_err(|_| missing(&cfg.model, "contact_id"))?;
    // Streamed: each sorted batch is copied into the feature table and dropped, so the model's
    // rows and the table are not both held whole.
    let mut stream = df.execute_stream().await?;
    let mut t = FeatureTable::default();
    let segmenting = cfg.criteria_columns();
    let mut names = segmenting.clone();
    for d in &cfg.describe {
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
        if cfg.tags.contains(name) {
            tag_columns.push((name.clone(), segments));
        } else if field.data_type().is_numeric() {
            t.numeric.push(NumericColumn {
                name: name.clone(),
                values: Vec::new(),
                segments,
            });
        } else {
            t.categorical.push(CategoricalColumn {
                name: name.clone(),
                values: Vec::new(),
                segments,
            });
        }
    }
    let mut interned: Vec<Vec<Level>> = vec![Vec::new(); t.categorical.len()];
    let mut raw_tags: Vec<Vec<Option<String>>> = vec![Vec::new(); tag_columns.len()];
    while let Some(batch) = stream.next().await {
        let batch = &batch?;
        append_batch(&mut t, batch, &cfg.model, &mut interned)?;
        for ((name, _), values) in tag_columns.iter().zip(raw_tags.iter_mut()) {
            let a = cast(column(batch, &cfg.model, name)?, &DataType::Utf8)?;
            let a = a.as_string::<i32>();
            values.extend((0..a.len()).map(|i| a.is_valid(i).then(|| a.value(i).to_string())));
        }
    }
    for ((name, segments), values) in tag_columns.iter().zip(&raw_tags) {
        t.categorical
            .extend(expand_tags(name, values, *segments, cfg.rare_level_pct));
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

/// The shared copy of `level` among a column's levels seen so far (few: a linear search).
fn intern(seen: &mut Vec<Level>, level: &str) -> Level {
    if let Some(l) = seen.iter().find(|l| &***l == level) {
        return l.clone();
    }
    let l: Level = level.into();
    seen.push(l.clone());
    l
}

fn append_batch(
    t: &mut FeatureTable,
    batch: &RecordBatch,
    model: &str,
    interned: &mut [Vec<Level>],
) -> Result<()> {
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
    for (col, seen) in t.categorical.iter_mut().zip(interned.iter_mut()) {
        let a = cast(column(batch, model, &col.name)?, &DataType::Utf8)?;
        let a = a.as_string::<i32>();
        col.values.extend((0..a.len()).map(|i| {
            if a.is_valid(i) && !a.value(i).trim().is_empty() {
                intern(seen, a.value(i))
            } else {
                intern(seen, "unknown")
            }
        }));
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
    let (yes, no): (Level, Level) = ("yes".into(), "no".into());
    counts
        .into_iter()
        .filter(|(_, c)| *c >= min)
        .map(|(tag, _)| CategoricalColumn {
            name: format!("{name}{TAG_SEP}{tag}"),
            values: per_contact
                .iter()
                .map(|tags| {
                    if tags.iter().any(|t| t == tag) {
                        yes.clone()
                    } else {
                        no.clone()
                    }
                })
                .collect(),
            segments,
        })
        .collect()
}

/// Percentile (0..=1) of sorted values, nearest rank.
fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let idx = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[idx.min(sorted.len() - 1)]
}

/// Encode the segmentation columns of the contacts `rows` into a standardised design matrix
/// (one matrix row per entry of `rows`; statistics are those of these rows).
pub fn design(t: &FeatureTable, rows: &[usize], cfg: &FeaturesConfig) -> Design {
    let n = rows.len();
    let mut cols: Vec<(String, Vec<f64>)> = Vec::new();
    let mut indicators: Vec<Vec<f64>> = Vec::new();
    for c in t.numeric.iter().filter(|c| c.segments) {
        let log = cfg.log_numeric.contains(&c.name);
        let tr = |v: f64| if log { v.max(0.0).ln_1p() } else { v };
        let values: Vec<Option<f64>> = rows.iter().map(|&r| c.values[r]).collect();
        let mut present: Vec<f64> = values.iter().flatten().map(|v| tr(*v)).collect();
        present.sort_by(f64::total_cmp);
        let (lo, hi) = (percentile(&present, 0.01), percentile(&present, 0.99));
        let clipped: Vec<Option<f64>> = values
            .iter()
            .map(|v| v.map(|v| tr(v).clamp(lo, hi)))
            .collect();
        let (mean, sd) = mean_sd(clipped.iter().flatten().copied());
        let z = clipped
            .iter()
            .map(|v| v.map_or(0.0, |v| if sd > 1e-12 { (v - mean) / sd } else { 0.0 }))
            .collect();
        cols.push((c.name.clone(), z));
        // One indicator per distinct missingness pattern: columns missing together (every web
        // share of a contact with no web activity) add one indicator, not one each.
        let ind: Vec<f64> = values
            .iter()
            .map(|v| if v.is_none() { 1.0 } else { 0.0 })
            .collect();
        let missing = ind.iter().filter(|v| **v > 0.0).count();
        if missing > 0 && missing < n && !indicators.contains(&ind) {
            cols.push((format!("{}_missing", c.name), ind.clone()));
            indicators.push(ind);
        }
    }
    let w = cfg.categorical_weight;
    for c in t.categorical.iter().filter(|c| c.segments) {
        let values: Vec<Level> = rows.iter().map(|&r| c.values[r].clone()).collect();
        let kept = kept_levels(&values, cfg.rare_level_pct);
        let pooled: Vec<&str> = values
            .iter()
            .map(|v| if kept.contains(v) { &**v } else { OTHER })
            .collect();
        let mut levels: Vec<&str> = kept.iter().map(|l| &**l).collect();
        if pooled.contains(&OTHER) && !levels.contains(&OTHER) {
            levels.push(OTHER);
        }
        for level in levels {
            let ind = pooled
                .iter()
                .map(|v| if *v == level { w } else { 0.0 })
                .collect();
            cols.push((format!("{}={level}", c.name), ind));
        }
    }
    let mut matrix = Array2::<f64>::zeros((n, cols.len()));
    for (j, (_, values)) in cols.iter().enumerate() {
        for (i, v) in values.iter().enumerate() {
            matrix[[i, j]] = *v;
        }
    }
    Design {
        matrix,
        columns: cols.into_iter().map(|(name, _)| name).collect(),
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> FeatureTable {
        FeatureTable {
            contact_ids: ["1", "2", "3", "4"].map(String::from).to_vec(),
            emails: vec![None; 4],
            numeric: vec![NumericColumn {
                name: "sessions".into(),
                values: vec![Some(1.0), Some(3.0), None, Some(1000.0)],
                segments: true,
            }],
            categorical: vec![
                CategoricalColumn {
                    name: "role".into(),
                    values: vec!["a".into(), "a".into(), "b".into(), "c".into()],
                    segments: true,
                },
                CategoricalColumn {
                    name: "country".into(),
                    values: vec!["x".into(); 4],
                    segments: false,
                },
            ],
        }
    }

    #[test]
    fn design_standardises_imputes_and_one_hots() {
        let cfg = FeaturesConfig {
            rare_level_pct: 30.0,
            categorical_weight: 2.0,
            ..FeaturesConfig::default()
        };
        let d = design(&table(), &[0, 1, 2, 3], &cfg);
        assert_eq!(
            d.columns,
            vec!["sessions", "sessions_missing", "role=a", "role=other"]
        );
        let s = d.matrix.column(0);
        assert!(s.sum().abs() < 1e-9, "standardised column has mean 0");
        assert_eq!(s[2], 0.0, "a missing value is imputed by the mean");
        assert_eq!(d.matrix.column(1).to_vec(), vec![0.0, 0.0, 1.0, 0.0]);
        assert_eq!(
            d.matrix.column(3).to_vec(),
            vec![0.0, 0.0, 2.0, 2.0],
            "one-hots carry the weight"
        );
    }

    #[test]
    fn columns_missing_together_get_one_indicator() {
        let mut t = table();
        let mut twin = t.numeric[0].clone();
        twin.name = "pages".into();
        t.numeric.push(twin);
        let d = design(
            &t,
            &(0..t.len()).collect::<Vec<_>>(),
            &FeaturesConfig::default(),
        );
        assert_eq!(
            d.columns.iter().filter(|c| c.ends_with("_missing")).count(),
            1
        );
    }

    #[test]
    fn constant_column_is_zero_not_nan() {
        let t = FeatureTable {
            contact_ids: vec!["0035g00000AbCdEAAZ".into(), "0035g00000AbCdFAAZ".into()],
            emails: vec![None, None],
            numeric: vec![NumericColumn {
                name: "x".into(),
                values: vec![Some(2.0), Some(2.0)],
                segments: true,
            }],
            categorical: vec![],
        };
        let d = design(
            &t,
            &(0..t.len()).collect::<Vec<_>>(),
            &FeaturesConfig::default(),
        );
        assert_eq!(d.matrix.column(0).to_vec(), vec![0.0, 0.0]);
    }
}
