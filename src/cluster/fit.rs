//! Fitting a model: checks the settings and data, samples the rows to fit on and those to score
//! the silhouette on, runs k-means for every k, chooses k (best silhouette, or the caller's
//! choice), assigns every row and puts the clusters in canonical order.

use ndarray::{Array2, Axis};
use rand::SeedableRng;
use rand_xoshiro::Xoshiro256Plus;
use tracing::{info, warn};

use super::kmeans::{fit_all_k, labels_at};
use super::quality::silhouettes;
use super::rows::{assign_flat, row, row_major};
use super::{ClusterModel, KMeansSettings, KScore};
use crate::error::{Error, Result};

/// Seed salts of the fit sample and the silhouette sample.
const FIT_SALT: u64 = 0xA076_1D64_78BD_642F;
const SIL_SALT: u64 = 0xE703_7ED1_A0B4_28DB;

/// Each row's cluster under k-means with `k` clusters on every row (no sample, no silhouette):
/// the best of `settings.restarts` k-means++ restarts, as [`fit`] runs each k. `personas bench`
/// times it against linfa's `KMeans` on the same matrix.
///
/// # Errors
/// As [`fit`], for the range `k..=k`.
pub fn kmeans(x: &Array2<f64>, k: usize, settings: &KMeansSettings) -> Result<Vec<usize>> {
    let one_k = KMeansSettings {
        k_min: k,
        k_max: k,
        ..settings.clone()
    };
    validate(x, &one_k)?;
    let flat = row_major(x.view());
    labels_at(&flat, x.ncols(), k, &one_k)?
        .ok_or_else(|| Error::Cluster(format!("k-means with k={k} found no clustering")))
}

/// Fit k-means for each k in k_min..=k_max, choose the k with the best silhouette (ties -> smaller k), assign every row.
///
/// # Errors
/// [`Error::Cluster`] for invalid settings, fewer rows than k_min, no columns, or a non-finite
/// value (the message names its row and column).
pub fn fit(x: &Array2<f64>, settings: &KMeansSettings) -> Result<ClusterModel> {
    fit_choosing(x, settings, |_| None)
}

/// [`fit`], with the k chosen by `choose` from every k's scores (`None`: by silhouette).
///
/// # Errors
/// As [`fit`].
pub fn fit_choosing(
    x: &Array2<f64>,
    settings: &KMeansSettings,
    choose: impl Fn(&[KScore]) -> Option<usize>,
) -> Result<ClusterModel> {
    let (n, d) = x.dim();
    let (k_min, k_max) = (settings.k_min, validate(x, settings)?);
    // All of x (borrowed, no copy) or a seeded sample of it.
    let fit_rows = sample_rows(x, settings.fit_sample, settings.seed ^ FIT_SALT);
    let sil_rows = sample_rows(x, settings.silhouette_sample, settings.seed ^ SIL_SALT);
    let fit_x = row_major(fit_rows.as_ref().unwrap_or(x).view());
    let sil_x = row_major(sil_rows.as_ref().unwrap_or(x).view());
    let (fit_n, sil_n) = (fit_x.len() / d, sil_x.len() / d);
    info!(n, d, fit_n, sil_n, k_min, k_max, "Clustering.");

    let runs = fit_all_k(&fit_x, d, k_max, settings)?;
    let sil_labels: Vec<_> = runs
        .iter()
        .map(|r| (assign_flat(&sil_x, d, &r.1), r.0))
        .collect();
    let labelings: Vec<_> = sil_labels.iter().map(|(l, k)| (&l[..], *k)).collect();
    let sils = silhouettes(&sil_x, d, &labelings);
    let (mut scores, mut best) = (Vec::with_capacity(runs.len()), 0);
    for (i, (&(k, _, sq_sum), &silhouette)) in runs.iter().zip(&sils).enumerate() {
        let inertia = sq_sum / fit_n as f64;
        info!(k, silhouette, inertia, "Scored k.");
        scores.push(KScore {
            k,
            silhouette,
            inertia,
        });
        // Strictly greater, so ties keep the smaller k; NaN never wins.
        if silhouette > sils[best] || sils[best].is_nan() {
            best = i;
        }
    }
    if let Some(i) = choose(&scores).and_then(|k| scores.iter().position(|s| s.k == k)) {
        best = i;
    }
    let (k, raw, _) = &runs[best];
    let (k, raw_labels) = (*k, assign_flat(&row_major(x.view()), d, raw));
    let (centroids, labels, sizes) = canonicalize(raw, d, raw_labels);
    if sizes.contains(&0) {
        warn!(k, ?sizes, "A cluster has no rows after assigning all rows.");
    }
    info!(k, silhouette = sils[best], ?sizes, "Chose k.");
    Ok(ClusterModel {
        k,
        centroids,
        labels,
        scores,
        latent: None,
    })
}

/// Checks settings and data; returns k_max clamped to the number of fitted rows minus one.
fn validate(x: &Array2<f64>, s: &KMeansSettings) -> Result<usize> {
    let ((n, d), k_min, k_max) = (x.dim(), s.k_min, s.k_max);
    let problem = if k_min < 2 {
        format!("k_min must be at least 2, got {k_min}")
    } else if k_min > k_max {
        format!("k_min ({k_min}) is greater than k_max ({k_max})")
    } else if s.restarts == 0 || s.max_iterations == 0 {
        "restarts and max_iterations must be at least 1".to_string()
    } else if !(s.tolerance.is_finite() && s.tolerance >= 0.0) {
        format!(
            "tolerance must be finite and not negative, got {}",
            s.tolerance
        )
    } else if s.fit_sample < k_min {
        format!("fit_sample must be at least k_min ({k_min})")
    } else if n < k_min {
        format!("too few rows: {n}, need at least k_min = {k_min}")
    } else if d == 0 {
        format!("the feature matrix has {n} rows but no columns")
    } else if let Some(((r, c), v)) = x.indexed_iter().find(|(_, v)| !v.is_finite()) {
        format!("non-finite value {v} at row {r}, column {c} of the feature matrix")
    } else {
        // k = rows is allowed only when it is k_min (every row its own cluster).
        let clamped = k_max.min((n.min(s.fit_sample) - 1).max(k_min));
        if clamped < k_max {
            warn!(k_max, clamped, "Clamped k_max to the fitted rows - 1.");
        }
        return Ok(clamped);
    };
    Err(Error::Cluster(problem))
}

/// A seeded uniform sample of `max` rows in their original order; `None` when x has no more.
fn sample_rows(x: &Array2<f64>, max: usize, seed: u64) -> Option<Array2<f64>> {
    if x.nrows() <= max {
        return None;
    }
    let mut rng = Xoshiro256Plus::seed_from_u64(seed);
    let mut idx = rand::seq::index::sample(&mut rng, x.nrows(), max).into_vec();
    idx.sort_unstable();
    Some(x.select(Axis(0), &idx))
}

/// Orders clusters by size descending, ties by centroid lexicographic order, and relabels.
/// Returns the centroids (k x d), the labels and the sizes, all in the new order.
fn canonicalize(c: &[f64], d: usize, labels: Vec<usize>) -> (Array2<f64>, Vec<usize>, Vec<usize>) {
    let k = c.len() / d;
    let mut sizes = vec![0usize; k];
    labels.iter().for_each(|&l| sizes[l] += 1);
    let lex = |a: usize, b: usize| {
        let mut cmp = row(c, d, a)
            .iter()
            .zip(row(c, d, b))
            .map(|(p, q)| p.total_cmp(q));
        cmp.find(|o| o.is_ne()).unwrap_or(a.cmp(&b))
    };
    let mut order: Vec<usize> = (0..k).collect();
    order.sort_by(|&a, &b| sizes[b].cmp(&sizes[a]).then_with(|| lex(a, b)));
    let mut new_label = vec![0; k];
    for (new, &old) in order.iter().enumerate() {
        new_label[old] = new;
    }
    let centroids = Array2::from_shape_fn((k, d), |(i, j)| c[order[i] * d + j]);
    let labels = labels.into_iter().map(|l| new_label[l]).collect();
    (centroids, labels, order.iter().map(|&o| sizes[o]).collect())
}
