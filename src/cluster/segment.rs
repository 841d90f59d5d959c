//! Segmentation: splits the contacts into buckets (everyone, or buyers and end users when the
//! config maps buying roles) and fits k-means in each bucket on the design matrix of the
//! segmentation criteria.

use tracing::{info, info_span, warn};

use crate::config::{BucketsConfig, ClusterConfig, FeaturesConfig};
use crate::error::{Error, Result};
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
    /// Bootstrap stability of each cluster (empty when not measured).
    pub stability: Vec<f64>,
    /// How many of the bucket's contacts are also in another bucket.
    pub shared: usize,
}

/// Split the contacts into buckets and cluster each one on its own design matrix.
pub fn segment(
    table: &FeatureTable,
    features_cfg: &FeaturesConfig,
    cluster_cfg: &ClusterConfig,
) -> Result<Vec<Bucket>> {
    let settings = KMeansSettings {
        k_min: cluster_cfg.k_min,
        k_max: cluster_cfg.k_max,
        seed: cluster_cfg.seed,
        restarts: cluster_cfg.restarts,
        fit_sample: cluster_cfg.fit_sample,
        silhouette_sample: cluster_cfg.silhouette_sample,
        ..KMeansSettings::default()
    };
    let groups = match &cluster_cfg.buckets {
        None => vec![("all".to_string(), (0..table.len()).collect(), 0)],
        Some(b) => split(table, b, &features_cfg.model)?,
    };
    let mut out = Vec::new();
    for (name, rows, shared) in groups {
        let _span = info_span!("bucket", bucket = %name).entered();
        if rows.is_empty() {
            warn!(bucket = %name, "No contacts in this bucket; it has no personas.");
            continue;
        }
        let design = features::design(table, &rows, features_cfg);
        let model = fit_small_aware(&design.matrix, &settings)?;
        let stability = super::stability::stability(
            &design.matrix,
            &model.labels,
            model.k,
            &settings,
            cluster_cfg.stability_resamples,
            cluster_cfg.stability_sample,
        )?;
        info!(bucket = %name, contacts = rows.len(), k = model.k, "Segmented bucket.");
        out.push(Bucket {
            name,
            rows,
            model,
            stability,
            shared,
        });
    }
    Ok(out)
}

/// The buyer and user buckets: (name, rows, rows also in the other bucket).
fn split(
    table: &FeatureTable,
    cfg: &BucketsConfig,
    model: &str,
) -> Result<Vec<(String, Vec<usize>, usize)>> {
    let column = table
        .categorical
        .iter()
        .find(|c| c.name == cfg.column)
        .ok_or_else(|| Error::MissingModelColumn {
            model: model.to_string(),
            column: cfg.column.clone(),
            needed_by: "cluster.buckets (add it to features.describe)".into(),
        })?;
    let listed = |roles: &[String], role: &str| roles.iter().any(|r| r.eq_ignore_ascii_case(role));
    let (mut buyers, mut users, mut both) = (Vec::new(), Vec::new(), 0);
    for (row, value) in column.values.iter().enumerate() {
        let roles: Vec<&str> = value.split(';').map(str::trim).collect();
        let mut buyer = roles.iter().any(|r| listed(&cfg.buyer, r));
        let mut user = roles.iter().any(|r| listed(&cfg.user, r));
        if !buyer && !user {
            buyer = cfg.unmapped == "buyer";
            user = cfg.unmapped == "user";
        }
        if buyer {
            buyers.push(row);
        }
        if user {
            users.push(row);
        }
        both += usize::from(buyer && user);
    }
    if both > 0 {
        info!(
            contacts = both,
            "Contacts in both the buyer and the user bucket."
        );
    }
    Ok(vec![
        ("buyer".to_string(), buyers, both),
        ("user".to_string(), users, both),
    ])
}

/// Fit, lowering the k range when there are too few contacts for it (a tiny run is still
/// profiled, and flagged by the profile step).
fn fit_small_aware(x: &ndarray::Array2<f64>, settings: &KMeansSettings) -> Result<ClusterModel> {
    let n = x.nrows();
    if n < 3 {
        // Too few to split: one group, flagged by the profile step.
        return Ok(ClusterModel {
            k: 1,
            centroids: ndarray::Array2::zeros((1, x.ncols())),
            labels: vec![0; n],
            scores: Vec::new(),
        });
    }
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
