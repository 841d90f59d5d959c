//! The plain baseline a data scientist would try first in a notebook: every candidate feature,
//! numbers mean-imputed and standardised, text one-hot encoded with every level standardised,
//! multi-valued columns one standardised indicator per value; k-means with k by silhouette. The
//! personas must do at least as well as this on the same exports.

use ndarray::Array2;

use crate::cluster::{self, KMeansSettings};
use crate::error::Result;
use crate::features::{mean_sd, FeatureTable, TAG_SEP};

/// The plain design matrix of `columns` (numeric, categorical or multi-valued) of `t`.
pub fn plain_design(t: &FeatureTable, columns: &[String]) -> Array2<f64> {
    let mut cols: Vec<Vec<f64>> = Vec::new();
    for name in columns {
        if let Some(c) = t.numeric.iter().find(|c| &c.name == name) {
            let (mean, _) = mean_sd(c.values.iter().flatten());
            cols.push(c.values.iter().map(|v| v.unwrap_or(mean)).collect());
        } else if let Some(c) = t.categorical.iter().find(|c| &c.name == name) {
            let mut levels: Vec<&str> = c.values.iter().map(|l| &**l).collect();
            levels.sort_unstable();
            levels.dedup();
            for level in levels {
                cols.push(c.values.iter().map(|v| f64::from(&**v == level)).collect());
            }
        } else {
            let prefix = format!("{name}{TAG_SEP}");
            for c in t.categorical.iter().filter(|c| c.name.starts_with(&prefix)) {
                cols.push(c.values.iter().map(|v| f64::from(&**v == "yes")).collect());
            }
        }
    }
    let n = t.len();
    let mut x = Array2::<f64>::zeros((n, cols.len()));
    for (j, values) in cols.iter().enumerate() {
        let (mean, sd) = mean_sd(values.iter().copied());
        for (i, v) in values.iter().enumerate() {
            x[[i, j]] = if sd > 1e-12 { (v - mean) / sd } else { 0.0 };
        }
    }
    x
}

/// k-means on the plain design of `columns`, k in `k_min..=k_max` by silhouette: each
/// contact's cluster and the k chosen.
pub fn plain_kmeans(
    t: &FeatureTable,
    columns: &[String],
    k_min: usize,
    k_max: usize,
    seed: u64,
) -> Result<(Vec<usize>, usize)> {
    let x = plain_design(t, columns);
    let model = cluster::fit(
        &x,
        &KMeansSettings {
            k_min,
            k_max,
            seed,
            ..KMeansSettings::default()
        },
    )?;
    Ok((model.labels, model.k))
}
