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

use super::{mean_sd, percentile, FeatureTable, Level, OTHER, TAG_SEP};
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

/// One encoded matrix column before weighting.
struct Encoded {
    name: String,
    values: Vec<f64>,
}

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
            let total: f64 = block.iter().map(|e| variance_of(&e.values)).sum();
            let scale = if total > 1e-12 {
                (w / members.len() as f64 / total).sqrt()
            } else {
                0.0
            };
            for mut e in block {
                e.values.iter_mut().for_each(|v| *v *= scale);
                variance += variance_of(&e.values);
                encoded += 1;
                out.push((e, family_of(m)));
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
    for (j, (e, _)) in out.iter().enumerate() {
        for (i, v) in e.values.iter().enumerate() {
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
    Ok(Design {
        matrix,
        columns: out.into_iter().map(|(e, _)| e.name).collect(),
        families,
        family_names,
        criteria: weights,
    })
}

/// Population variance.
fn variance_of(v: &[f64]) -> f64 {
    let (_, sd) = mean_sd(v.iter().copied());
    sd * sd
}

/// The unweighted matrix columns of one feature column: a standardised numeric (and its
/// missing-value indicator when that pattern is new to the criterion), a categorical's level
/// indicators, or a multi-valued column's value indicators.
fn encode_member(
    t: &FeatureTable,
    rows: &[usize],
    name: &str,
    cfg: &FeaturesConfig,
    indicators: &mut Vec<Vec<f64>>,
) -> Result<Vec<Encoded>> {
    if let Some(c) = t.numeric.iter().find(|c| c.name == name) {
        let log = cfg.log_numeric.iter().any(|l| l == name);
        let values: Vec<Option<f64>> = rows.iter().map(|&r| c.values.get(r)).collect();
        let mut out = vec![Encoded {
            name: name.to_string(),
            values: standardise(&values, log),
        }];
        let ind: Vec<f64> = values.iter().map(|v| f64::from(v.is_none())).collect();
        let missing = ind.iter().filter(|v| **v > 0.0).count();
        if missing > 0 && missing < rows.len() && !indicators.contains(&ind) {
            out.push(Encoded {
                name: format!("{name}_missing"),
                values: ind.clone(),
            });
            indicators.push(ind);
        }
        return Ok(out);
    }
    if let Some(c) = t.categorical.iter().find(|c| c.name == name) {
        let values: Vec<Level> = rows.iter().map(|&r| c.values[r].clone()).collect();
        let kept = super::kept_levels(&values, cfg.rare_level_pct);
        let pooled: Vec<&str> = values
            .iter()
            .map(|v| if kept.contains(v) { &**v } else { OTHER })
            .collect();
        let mut levels: Vec<&str> = kept.iter().map(|l| &**l).collect();
        if pooled.contains(&OTHER) && !levels.contains(&OTHER) {
            levels.push(OTHER);
        }
        return Ok(levels
            .into_iter()
            .map(|level| Encoded {
                name: format!("{name}={level}"),
                values: pooled.iter().map(|v| f64::from(*v == level)).collect(),
            })
            .collect());
    }
    let prefix = format!("{name}{TAG_SEP}");
    let multi: Vec<Encoded> = t
        .categorical
        .iter()
        .filter(|c| c.name.starts_with(&prefix))
        .map(|c| Encoded {
            name: c.name.clone(),
            values: rows
                .iter()
                .map(|&r| f64::from(&*c.values[r] == "yes"))
                .collect(),
        })
        .collect();
    if multi.is_empty() && !cfg.multi.iter().any(|m| m == name) {
        return Err(Error::MissingModelColumn {
            model: cfg.model.clone(),
            column: name.to_string(),
            needed_by: "features.criteria".into(),
        });
    }
    Ok(multi)
}

/// Log (optional), winsorise at the 1st/99th percentile, standardise; missing -> 0 (the mean).
fn standardise(values: &[Option<f64>], log: bool) -> Vec<f64> {
    let tr = |v: f64| if log { v.max(0.0).ln_1p() } else { v };
    let mut present: Vec<f64> = values.iter().flatten().map(|v| tr(*v)).collect();
    present.sort_by(f64::total_cmp);
    let (lo, hi) = (percentile(&present, 0.01), percentile(&present, 0.99));
    let clipped: Vec<Option<f64>> = values
        .iter()
        .map(|v| v.map(|v| tr(v).clamp(lo, hi)))
        .collect();
    let (mean, sd) = mean_sd(clipped.iter().flatten().copied());
    clipped
        .iter()
        .map(|v| v.map_or(0.0, |v| if sd > 1e-12 { (v - mean) / sd } else { 0.0 }))
        .collect()
}

#[cfg(test)]
mod tests;
