//! Segmentation: splits the contacts into buckets (everyone, or buyers and end users when the
//! config maps buying roles) and fits k-means in each bucket on the design matrix of the
//! segmentation criteria.

use tracing::warn;

use crate::config::{ClusterConfig, FeaturesConfig};
use crate::error::Result;
use crate::features::{self, FeatureTable};

use super::{ClusterModel, KMeansSettings};

/// One bucket of contacts and the personas found in it.
#[derive(Debug, Clone)]
pub struct Bucket {
    /// Bucket name: `all`, or `buyer` / `user`.
    pub name: String,
    /// The bucket's contacts, as row indices into the feature table, ascending.
    pub rows: Vec<usize>,
    /// The clustering of the bucket's rows (`labels[i]` is the cluster of `rows[i]`).
    pub model: ClusterModel,
}

/// Split the contacts into buckets and cluster each one.
pub fn segment(
    table: &FeatureTable,
    features_cfg: &FeaturesConfig,
    cluster_cfg: &ClusterConfig,
) -> Result<Vec<Bucket>> {
    let rows: Vec<usize> = (0..table.len()).collect();
    let design = features::design(table, features_cfg);
    let settings = KMeansSettings {
        k_min: cluster_cfg.k_min,
        k_max: cluster_cfg.k_max,
        seed: cluster_cfg.seed,
        restarts: cluster_cfg.restarts,
        fit_sample: cluster_cfg.fit_sample,
        silhouette_sample: cluster_cfg.silhouette_sample,
        ..KMeansSettings::default()
    };
    let model = fit_small_aware(&design.matrix, &settings)?;
    Ok(vec![Bucket {
        name: "all".into(),
        rows,
        model,
    }])
}

/// Fit, lowering the k range when there are too few contacts for it (a tiny run is still
/// profiled, and flagged by the profile step).
fn fit_small_aware(x: &ndarray::Array2<f64>, settings: &KMeansSettings) -> Result<ClusterModel> {
    let n = x.nrows();
    let mut s = settings.clone();
    if n <= s.k_max {
        s.k_max = n.saturating_sub(1).max(2);
        s.k_min = s.k_min.min(s.k_max);
        warn!(
            contacts = n,
            k_max = s.k_max,
            "Too few contacts for the configured k range; lowering it."
        );
    }
    super::fit(x, &s)
}
