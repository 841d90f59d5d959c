//! The design matrix: the columns of the segmentation criteria encoded as numbers, each
//! criterion weighing what the config says and nothing its encoding happens to give.
//!
//! The formula (as in FAMD and Gower's distance, every criterion on the same footing):
//! - a **numeric** column is optionally log-transformed, winsorised at the 1st/99th percentile
//!   and standardised; a missing value is imputed by the mean and marked in an indicator column
//!   (one per missingness pattern and criterion: the web shares of a contact with no web visits
//!   are missing together);
//! - a **categorical** column becomes one indicator per level (rare levels pooled into `other`);
//! - a **multi-valued** column (tags, several buying roles) becomes one indicator per value;
//! - each column's block (a numeric and its indicator, or all the indicators of a categorical or
//!   multi-valued column) is scaled so that its total variance is 1, whatever its levels;
//! - a criterion of `m` columns scales each block by `sqrt(w / m)`, so the criterion's total
//!   variance is its weight `w` (1 unless the config names one).
//!
//! Adding levels to a categorical or columns to a group therefore changes how a criterion's
//! weight is shared, never the weight itself. Each matrix column also carries its *family*: the
//! columns that vary together by construction (one composition of shares, the activity counts,
//! a categorical's indicators) and are permuted together by the structure test.

use crate::config::{Criterion, FeaturesConfig};
use crate::error::{Error, Result};

use super::{mean_sd, Encoding, FeatureTable, Level, OTHER, TAG_SEP};
use ndarray::Array2;

/// The design matrix, the name and family of each of its columns, and each criterion's weight.
#[derive(Debug, Clone)]
pub struct Design {
    /// Rows = contacts, columns = encoded features.
    pub matrix: Array2<f64>,
    /// Name of each matrix column (`sessions`, `job_seniority=executive`, `tags:promo`, ...).
    pub columns: Vec<String>,
    /// Family of each matrix column (index into `family_names`): columns permuted together by
    /// the structure test.
    pub families: Vec<usize>,
    /// Family names (`content`, `device`, `medium`, `activity`, or the column's name).
    pub family_names: Vec<String>,
    /// Each criterion, its weight and its total variance in the matrix.
    pub criteria: Vec<CriterionWeight>,
    /// How each matrix column follows from the feature model's raw columns, with the parameters
    /// fitted on these contacts (one per column, in the order of `columns`): the matrix is
    /// these encodings evaluated, and [`Encoding::sql`] computes a column for any contact.
    pub encodings: Vec<Encoding>,
}

impl Design {
    /// Each row's missingness pattern (one bit per missing-value indicator column), so that the
    /// structure test moves rows only among contacts missing the same things.
    pub fn strata(&self) -> Vec<u64> {
        let ind: Vec<usize> = (0..self.columns.len())
            .filter(|&j| self.columns[j].ends_with("_missing"))
            .collect();
        self.matrix
            .rows()
            .into_iter()
            .map(|r| {
                ind.iter().enumerate().fold(0u64, |acc, (b, &j)| {
                    acc | (u64::from(r[j] != 0.0) << (b % 64))
                })
            })
            .collect()
    }
}

/// How much one criterion weighs in the distance.
#[derive(Debug, Clone, PartialEq)]
pub struct CriterionWeight {
    /// Criterion name.
    pub criterion: String,
    /// Its feature columns.
    pub columns: Vec<String>,
    /// The weight asked for (1 unless the config names one).
    pub weight: f64,
    /// Its total variance in the design matrix: the weight, or 0 when every column of it is
    /// constant among these contacts.
    pub variance: f64,
    /// Number of matrix columns it became.
    pub encoded: usize,
}

/// The family a feature column is permuted with: the shares of one composition (content
/// sections, devices, traffic mediums), the web activity counts, and a number and its band
/// (employees and company size, age and age band) vary together by construction; every other
/// column is a family of its own.
pub fn family_of(column: &str) -> String {
    let base = column.split([TAG_SEP, '=']).next().unwrap_or(column);
    let base = base.strip_suffix("_missing").unwrap_or(base);
    if base.starts_with("share_medium_") {
        "medium".into()
    } else if ["share_mobile", "share_desktop", "share_tablet"].contains(&base) {
        "device".into()
    } else if base.starts_with("share_") {
        "content".into()
    } else if ["sessions", "page_views", "sections_visited"].contains(&base) {
        "activity".into()
    } else if base == "company_size" {
        "employees".into()
    } else if base == "age_band" {
        "age".into()
    } else {
        base.to_string()
    }
}

/// One matrix column: its encoding and its values over the design's rows (before the block's
/// scale, then after).
type Encoded = (Encoding, Vec<f64>);

/// Encode the criteria over the contacts `rows` (one matrix row per entry of `rows`;
/// statistics are those of these rows).
///
/// # Errors
/// [`Error::MissingModelColumn`] when a criterion names a column the feature table lacks.
pub fn design(
    t: &FeatureTable,
    rows: &[usize],
    criteria: &[Criterion],
    cfg: &FeaturesConfig,
) -> Result<Design> {
    let n = rows.len();
    let mut out: Vec<(Encoded, String)> = Vec::new();
    let mut weights = Vec::with_capacity(criteria.len());
    for c in criteria {
        let members = c.columns();
        let w = c.weight();
        let mut indicators: Vec<Vec<f64>> = Vec::new();
        let (mut variance, mut encoded) = (0.0, 0);
        for m in &members {
            let block = encode_member(t, rows, m, cfg, &mut indicators)?;
            let total: f64 = block.iter().map(|(_, v)| variance_of(v)).sum();
            let scale = if total > 1e-12 {
                (w / members.len() as f64 / total).sqrt()
            } else {
                0.0
            };
            for (mut e, mut values) in block {
                // The encoding's values with the block's scale: `Encoding::values`.
                e.set_scale(scale);
                e.rescale(&mut values);
                variance += variance_of(&values);
                encoded += 1;
                out.push(((e, values), family_of(m)));
            }
        }
        weights.push(CriterionWeight {
            criterion: c.name().to_string(),
            columns: members.iter().map(|m| m.to_string()).collect(),
            weight: w,
            variance,
            encoded,
        });
    }
    let mut matrix = Array2::<f64>::zeros((n, out.len()));
    for (j, ((_, values), _)) in out.iter().enumerate() {
        for (i, v) in values.iter().enumerate() {
            matrix[[i, j]] = *v;
        }
    }
    let mut family_names: Vec<String> = Vec::new();
    let families = out
        .iter()
        .map(|(_, f)| match family_names.iter().position(|x| x == f) {
            Some(i) => i,
            None => {
                family_names.push(f.clone());
                family_names.len() - 1
            }
        })
        .collect();
    let encodings: Vec<Encoding> = out.into_iter().map(|((e, _), _)| e).collect();
    Ok(Design {
        matrix,
        columns: encodings.iter().map(Encoding::name).collect(),
        families,
        family_names,
        criteria: weights,
        encodings,
    })
}

/// Population variance.
fn variance_of(v: &[f64]) -> f64 {
    let (_, sd) = mean_sd(v.iter().copied());
    sd * sd
}

/// The unweighted matrix columns of one feature column, fitted on `rows` and evaluated over
/// them: a standardised numeric (and its missing-value indicator when that pattern is new to
/// the criterion), a categorical's level indicators, or a multi-valued column's value
/// indicators.
fn encode_member(
    t: &FeatureTable,
    rows: &[usize],
    name: &str,
    cfg: &FeaturesConfig,
    indicators: &mut Vec<Vec<f64>>,
) -> Result<Vec<Encoded>> {
    let evaluate = |e: Encoding| -> Result<Encoded> {
        let values = e
            .unscaled(t, rows)
            .ok_or_else(|| missing(cfg, e.column()))?;
        Ok((e, values))
    };
    if let Some(c) = t.numeric.iter().find(|c| c.name == name) {
        let log = cfg.log_numeric.iter().any(|l| l == name);
        let values: Vec<Option<f64>> = rows.iter().map(|&r| c.values.get(r)).collect();
        let mut out = vec![evaluate(Encoding::fit_numeric(name, &values, log))?];
        let (e, ind) = evaluate(Encoding::Missing {
            column: name.to_string(),
            scale: 1.0,
        })?;
        let absent = ind.iter().filter(|v| **v > 0.0).count();
        if absent > 0 && absent < rows.len() && !indicators.contains(&ind) {
            indicators.push(ind.clone());
            out.push((e, ind));
        }
        return Ok(out);
    }
    if let Some(c) = t.categorical.iter().find(|c| c.name == name) {
        let values: Vec<Level> = rows.iter().map(|&r| c.values[r].clone()).collect();
        let kept = super::kept_levels(&values, cfg.rare_level_pct);
        let mut levels: Vec<&str> = kept.iter().map(|l| &**l).collect();
        // A value outside `kept` is pooled into `other`.
        if !levels.contains(&OTHER) && values.iter().any(|v| !kept.contains(v)) {
            levels.push(OTHER);
        }
        let kept: Vec<String> = kept.iter().map(|l| l.to_string()).collect();
        return (levels.into_iter())
            .map(|level| {
                evaluate(Encoding::Level {
                    column: name.to_string(),
                    level: level.to_string(),
                    kept: kept.clone(),
                    scale: 1.0,
                })
            })
            .collect();
    }
    let prefix = format!("{name}{TAG_SEP}");
    let multi: Vec<Encoded> = (t.categorical.iter())
        .filter_map(|c| c.name.strip_prefix(&prefix))
        .map(|tag| {
            evaluate(Encoding::Tag {
                column: name.to_string(),
                tag: tag.to_string(),
                scale: 1.0,
            })
        })
        .collect::<Result<_>>()?;
    if multi.is_empty() && !cfg.multi.iter().any(|m| m == name) {
        return Err(missing(cfg, name));
    }
    Ok(multi)
}

/// A criterion's column the feature table lacks.
fn missing(cfg: &FeaturesConfig, column: &str) -> Error {
    Error::MissingModelColumn {
        model: cfg.model.clone(),
        column: column.to_string(),
        needed_by: "features.criteria".into(),
    }
}

#[cfg(test)]
mod tests;
