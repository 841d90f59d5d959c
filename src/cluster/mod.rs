//! Clustering of per-contact feature vectors into personas.
//!
//! [`fit`] runs k-means (k-means++ seeding, several restarts) for every k in a range on a seeded
//! sample of the rows, scores each k by the mean silhouette on a second seeded sample (the same
//! rows for every k), keeps the best k and assigns every row to its nearest centroid. Clusters
//! come in a canonical order (size descending, ties by centroid lexicographic order), so the
//! result does not depend on how the RNG numbered them; the same input and seed give the same
//! output. k-means is Lloyd's algorithm with Hamerly's bounds (the same result, fewer distances),
//! restarts run in parallel; [`silhouette`] and [`assign`] are exact and parallel over row chunks.
//!
//! The model type and its settings are here; [`fit`] (the k choice) in `fit.rs`, k-means for one
//! k in `kmeans.rs`, row-major distances, assignment and the split over threads in `rows.rs`,
//! the silhouette and the adjusted Rand index in `quality.rs`.
//! [`independence`] chooses k as the smallest whose clusters each look like their own shuffled
//! copy, [`structure`] tests a bucket against the permutation null, [`stability`] resamples.

use ndarray::Array2;

pub mod assign;
mod fit;
pub mod independence;
mod kmeans;
pub mod latent;
mod quality;
mod rows;
mod sample;
pub mod segment;
pub mod stability;
pub mod structure;

pub use fit::{fit, fit_choosing, kmeans};
pub use quality::{adjusted_rand_index, silhouette};
pub use rows::assign;
pub use segment::{segment, Bucket};

/// Settings for fitting.
#[derive(Debug, Clone)]
pub struct KMeansSettings {
    /// Smallest number of clusters tried (at least 2).
    pub k_min: usize,
    /// Largest number of clusters tried (clamped to the number of fitted rows minus one).
    pub k_max: usize,
    /// Seed of the samples and of k-means++; the same seed and input give the same model.
    pub seed: u64,
    /// k-means++ restarts per k; the restart of lowest inertia is kept.
    pub restarts: usize,
    /// Most Lloyd iterations per restart.
    pub max_iterations: u64,
    /// Stop when the summed squared centroid shift is at most this times the mean per-feature
    /// variance of the fitted rows (scikit-learn's rule), or when no label changes.
    pub tolerance: f64,
    /// Fit on at most this many rows (uniform sample without replacement, seeded), then assign
    /// all rows.
    pub fit_sample: usize,
    /// Compute the silhouette on at most this many rows (seeded sample, the same for every k).
    pub silhouette_sample: usize,
}

impl Default for KMeansSettings {
    fn default() -> Self {
        Self {
            k_min: 3,
            k_max: 5,
            seed: 42,
            restarts: 10,
            max_iterations: 300,
            tolerance: 1e-4,
            fit_sample: 100_000,
            silhouette_sample: 5_000,
        }
    }
}

/// One candidate k and its scores.
#[derive(Debug, Clone, PartialEq)]
pub struct KScore {
    /// Number of clusters.
    pub k: usize,
    /// Mean silhouette on the silhouette sample (in -1..=1, higher is better).
    pub silhouette: f64,
    /// Mean squared Euclidean distance of the fitted rows to their nearest centroid.
    pub inertia: f64,
}

/// The chosen model.
#[derive(Debug, Clone)]
pub struct ClusterModel {
    /// Chosen number of clusters.
    pub k: usize,
    /// Centroids, k x d, in canonical order (size descending, ties by centroid lexicographic).
    pub centroids: Array2<f64>,
    /// Cluster of every input row, in `0..k`, canonical order.
    pub labels: Vec<usize>,
    /// Scores of every k tried, ascending k.
    pub scores: Vec<KScore>,
    /// With `method = "latent_class"`: the latent class parameters every row's label is the
    /// most likely class under (the labels are then these classes, not nearest centroids).
    pub latent: Option<latent::Parameters>,
}

impl ClusterModel {
    /// The silhouette of every k tried: "k=3 0.260, k=4 0.294, k=5 0.270".
    pub fn scores_text(&self) -> String {
        self.scores
            .iter()
            .map(|q| format!("k={} {:.3}", q.k, q.silhouette))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

#[cfg(test)]
mod tests;
