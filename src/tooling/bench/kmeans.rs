//! Our k-means against linfa's `KMeans` on the same matrix: the design matrix of the bench run's
//! largest bucket, at the k the run chose, with the same restarts, iteration cap and stopping
//! rule (linfa stops when the centroids move less than its tolerance, the Euclidean norm of the
//! shift; ours when the summed squared shift is at most `tolerance` times the mean per-column
//! variance: linfa's tolerance is set to the square root of that product). Both use k-means++
//! seeding. Each is timed over the same number of repeats, and their partitions and inertias
//! are compared, so the ratio is of two equally good answers.

use std::time::{Duration, Instant};

use linfa::prelude::*;
use linfa_clustering::KMeans;
use ndarray::Array2;
use rand::SeedableRng;
use rand_xoshiro::Xoshiro256Plus;
use serde::{Deserialize, Serialize};

use crate::cluster::{self, adjusted_rand_index, KMeansSettings};
use crate::error::{Error, Result};
use crate::features;
use crate::pipeline::RunReport;

/// How often each implementation is run; the fastest run counts.
const REPEATS: usize = 3;

/// The comparison's figures.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct KMeansComparison {
    /// Rows of the matrix.
    pub rows: usize,
    /// Columns of the matrix.
    pub columns: usize,
    /// Clusters.
    pub k: usize,
    /// k-means++ restarts of each.
    pub restarts: usize,
    /// Our fastest run, seconds.
    pub ours_s: f64,
    /// linfa's fastest run, seconds.
    pub linfa_s: f64,
    /// Our mean squared distance to the nearest centroid.
    pub ours_inertia: f64,
    /// linfa's.
    pub linfa_inertia: f64,
    /// Adjusted Rand index between the two partitions.
    pub ari: f64,
}

impl KMeansComparison {
    /// linfa's time over ours.
    pub fn ratio(&self) -> f64 {
        self.linfa_s / self.ours_s.max(1e-9)
    }

    /// The lines `personas bench` prints.
    pub fn text(&self) -> String {
        format!(
            "k-means on the largest bucket's design matrix ({} rows x {} columns, k={}, {} restarts, best of {REPEATS} runs):\n  \
             ours   {:>8.3} s  inertia {:.4}\n  \
             linfa  {:>8.3} s  inertia {:.4}\n  \
             linfa / ours: {:.1}x; partitions agree at ARI {:.3}",
            self.rows,
            self.columns,
            self.k,
            self.restarts,
            self.ours_s,
            self.ours_inertia,
            self.linfa_s,
            self.linfa_inertia,
            self.ratio(),
            self.ari
        )
    }
}

/// Times both on the run's largest bucket; `None` when the run has no clustered bucket.
pub fn compare(
    report: &RunReport,
    cfg: &crate::config::PipelineConfig,
) -> Result<Option<KMeansComparison>> {
    let Some(bucket) = report.buckets.iter().max_by_key(|b| b.rows.len()) else {
        return Ok(None);
    };
    let criteria = cfg.features.criteria();
    if criteria.is_empty() || bucket.model.k < 2 {
        return Ok(None);
    }
    let design = features::design(&report.features, &bucket.rows, &criteria, &cfg.features)?;
    let x = design.matrix;
    let k = bucket.model.k;
    let settings = KMeansSettings {
        seed: cfg.cluster.seed,
        restarts: cfg.cluster.restarts,
        ..KMeansSettings::default()
    };
    let (ours_s, ours) = fastest(|| cluster::kmeans(&x, k, &settings))?;
    let (linfa_s, theirs) = fastest(|| linfa_kmeans(&x, k, &settings))?;
    Ok(Some(KMeansComparison {
        rows: x.nrows(),
        columns: x.ncols(),
        k,
        restarts: settings.restarts,
        ours_s: ours_s.as_secs_f64(),
        linfa_s: linfa_s.as_secs_f64(),
        ours_inertia: inertia(&x, &ours, k),
        linfa_inertia: inertia(&x, &theirs, k),
        ari: adjusted_rand_index(&ours, &theirs),
    }))
}

/// The fastest of [`REPEATS`] runs of `f`, and its result.
fn fastest<T>(f: impl Fn() -> Result<T>) -> Result<(Duration, T)> {
    let mut best: Option<(Duration, T)> = None;
    for _ in 0..REPEATS {
        let started = Instant::now();
        let out = f()?;
        let took = started.elapsed();
        if best.as_ref().is_none_or(|(b, _)| took < *b) {
            best = Some((took, out));
        }
    }
    best.ok_or_else(|| Error::Internal("no k-means run".into()))
}

/// linfa's labels, with our settings translated (see the module docs).
fn linfa_kmeans(x: &Array2<f64>, k: usize, s: &KMeansSettings) -> Result<Vec<usize>> {
    let mean_var = x.var_axis(ndarray::Axis(0), 0.0).mean().unwrap_or(0.0);
    let data = DatasetBase::from(x.clone());
    let model = KMeans::params_with_rng(k, Xoshiro256Plus::seed_from_u64(s.seed))
        .n_runs(s.restarts)
        .max_n_iterations(s.max_iterations)
        .tolerance((s.tolerance * mean_var).sqrt())
        .fit(&data)
        .map_err(|e| Error::Cluster(format!("linfa k-means: {e}")))?;
    Ok(model.predict(x).to_vec())
}

/// Mean squared distance of each row to its cluster's mean.
fn inertia(x: &Array2<f64>, labels: &[usize], k: usize) -> f64 {
    let d = x.ncols();
    let mut sums = vec![0.0; k * d];
    let mut counts = vec![0usize; k];
    for (row, &l) in x.rows().into_iter().zip(labels) {
        counts[l] += 1;
        for (j, v) in row.iter().enumerate() {
            sums[l * d + j] += v;
        }
    }
    let total: f64 = x
        .rows()
        .into_iter()
        .zip(labels)
        .map(|(row, &l)| {
            let n = counts[l].max(1) as f64;
            row.iter()
                .enumerate()
                .map(|(j, v)| (v - sums[l * d + j] / n).powi(2))
                .sum::<f64>()
        })
        .sum();
    total / x.nrows().max(1) as f64
}
