//! Clustering config: the k range and how k is chosen, seeds and restarts, the structure test
//! against the permutation null, bootstrap stability, and the buyer and end-user buckets.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::model::strings;

/// Clustering settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClusterConfig {
    /// Smallest number of personas tried (per bucket).
    #[serde(default = "default_k_min")]
    pub k_min: usize,
    /// Largest number of personas tried (per bucket).
    #[serde(default = "default_k_max")]
    pub k_max: usize,
    /// Random seed: the same seed and data give the same personas.
    #[serde(default = "default_seed")]
    pub seed: u64,
    /// k-means++ restarts per k; the best (lowest inertia) is kept.
    #[serde(default = "default_restarts")]
    pub restarts: usize,
    /// Rows the model is fitted on (a seeded sample); every contact is then assigned.
    #[serde(default = "default_fit_sample")]
    pub fit_sample: usize,
    /// Contacts each bucket's model is fitted on, at most: a bucket with more is fitted on a
    /// sample of this many (stratified by which numeric criteria a contact is missing, drawn
    /// by a seeded hash of the contact id, so mostly the same contacts from run to run), and
    /// every contact is then assigned by the SQL the fitted model generates (see "Clustering
    /// large buckets" in the README for its measured effect); 0 fits on every contact.
    #[serde(default = "default_fit_contacts")]
    pub fit_contacts: usize,
    /// Rows the silhouette score is computed on when choosing k.
    #[serde(default = "default_silhouette_sample")]
    pub silhouette_sample: usize,
    /// Bootstrap resamples refitted to measure each persona's stability (0 = not measured).
    #[serde(default = "default_stability_resamples")]
    pub stability_resamples: usize,
    /// Rows drawn (with replacement) in each bootstrap resample, at most the bucket's size.
    #[serde(default = "default_stability_sample")]
    pub stability_sample: usize,
    /// How k is proposed in each bucket: `independence` (default: the smallest k whose
    /// personas each look like their own shuffled copy, at `structure_alpha`; the silhouette's
    /// k when no k does), `silhouette` (the highest mean silhouette) or `gap` (the smallest k
    /// whose gap against the null is within one spread of the next k's, Tibshirani's rule);
    /// then k is lowered while a persona's bootstrap stability is under
    /// `profile.min_stability`. The README ("Checking the modelling") compares them on the
    /// robustness suite. Every k's silhouette, gap and independence z are in `model_quality`.
    #[serde(default)]
    pub k_choice: KChoice,
    /// How contacts are grouped at each k: `latent_class` (default: k-means, then a latent
    /// class model fitted by EM from its clusters, each persona a distribution per column
    /// family rather than a point, and the independence rule testing those classes) or
    /// `kmeans` (k-means alone). The README ("Checking the modelling") compares them.
    #[serde(default)]
    pub method: Method,
    /// Null copies of each bucket (every column family permuted on its own) the structure test
    /// and the gap compare the data with.
    #[serde(default = "default_null_resamples")]
    pub null_resamples: usize,
    /// Rows of each bucket the structure test runs on (a seeded sample).
    #[serde(default = "default_null_sample")]
    pub null_sample: usize,
    /// False-alarm rate of the structure test: the share of structureless buckets it would
    /// still call structured. A bucket is structured when its chosen k's gap lies beyond the
    /// null's range at this level (Bonferroni over the k tried).
    #[serde(default = "default_structure_alpha")]
    pub structure_alpha: f64,
    /// Buckets segmented each on its own (`[cluster.buckets]`): buyers and end users, or one
    /// per country, region or value of any column; without it, all contacts form one bucket
    /// `all`.
    pub buckets: Option<BucketsConfig>,
}

/// How contacts are grouped at a given k.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// k-means on the design matrix.
    Kmeans,
    /// k-means, refined by a latent class model.
    #[default]
    LatentClass,
}

/// How the number of personas is chosen.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KChoice {
    /// By the gap against the permutation null (Tibshirani's one-spread rule).
    Gap,
    /// By the highest mean silhouette.
    Silhouette,
    /// The smallest k whose clusters each lie within their own permutation null.
    #[default]
    Independence,
}

impl KChoice {
    /// Name as written in the config.
    pub fn as_str(self) -> &'static str {
        match self {
            KChoice::Gap => "gap",
            KChoice::Silhouette => "silhouette",
            KChoice::Independence => "independence",
        }
    }
}

/// How contacts are split into buckets, each segmented on its own: into a buyer and an
/// end-user bucket by their buying role (the default column, or with `buyer` / `user` lists),
/// or into one bucket per value of any other column (`column = "country"`: each country its
/// own persona set), or per region of `regions`. Every bucket gets the same small-sample rules:
/// one under `profile.min_sample` has its personas flagged, never dropped.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BucketsConfig {
    /// Feature column the buckets are made from: the buying roles (default `buying_roles`;
    /// several roles separated by `;` put a contact in both buckets), or any categorical
    /// column of the feature model (`country`, an own field).
    #[serde(default = "default_role_column")]
    pub column: String,
    /// Roles of people who decide or pay (buyer/user buckets; default: Decision Maker,
    /// Budget Holder, Executive Sponsor, Blocker, Legal and Compliance).
    pub buyer: Option<Vec<String>>,
    /// Roles of people who use the product (buyer/user buckets; default: End User, Champion,
    /// Influencer).
    pub user: Option<Vec<String>>,
    /// Buckets by value: a bucket name for each list of the column's values
    /// (`regions = { DACH = ["Germany", "Austria", "Switzerland"], Nordics = [...] }`);
    /// without it, each value is a bucket of its own.
    pub regions: Option<BTreeMap<String, Vec<String>>>,
    /// Contacts no bucket claims. Buyer/user buckets: `user` (default: in B2B most contacts
    /// without a buying role use rather than buy), `buyer`, or `none` (no persona). Buckets by
    /// value with `regions`: the bucket of values in no region (default `other`), or `none`.
    pub unmapped: Option<String>,
}

/// The buckets a [`BucketsConfig`] makes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BucketSplit<'a> {
    /// The buyer and the end-user bucket, by buying role.
    Roles {
        /// Roles of buyers.
        buyer: Vec<String>,
        /// Roles of end users.
        user: Vec<String>,
        /// Bucket of contacts of no listed role: `user`, `buyer` or `none`.
        unmapped: &'a str,
    },
    /// One bucket per value, or per region of values.
    Values {
        /// Region of each value (ignoring case), when regions are configured.
        regions: Option<&'a BTreeMap<String, Vec<String>>>,
        /// Bucket of values in no region (`none`: no persona).
        unmapped: &'a str,
    },
}

impl BucketsConfig {
    /// Buyer/user buckets on the buying-role column, or when role lists are given; buckets by
    /// value on any other column.
    pub fn split(&self) -> BucketSplit<'_> {
        let roles = ["buying_roles", "buying_role"].contains(&self.column.as_str())
            || self.buyer.is_some()
            || self.user.is_some();
        if roles {
            BucketSplit::Roles {
                buyer: self.buyer.clone().unwrap_or_else(default_buyer_roles),
                user: self.user.clone().unwrap_or_else(default_user_roles),
                unmapped: self.unmapped.as_deref().unwrap_or("user"),
            }
        } else {
            BucketSplit::Values {
                regions: self.regions.as_ref(),
                unmapped: self.unmapped.as_deref().unwrap_or("other"),
            }
        }
    }

    /// The checks that need no data: role buckets' `unmapped`, no `regions` on role buckets,
    /// no value in two regions.
    pub fn check(&self) -> Result<(), String> {
        match self.split() {
            BucketSplit::Roles { unmapped, .. } => {
                if !["user", "buyer", "none"].contains(&unmapped) {
                    return Err(format!(
                        "cluster.buckets.unmapped must be `user`, `buyer` or `none` for buyer and user buckets, got `{unmapped}`"
                    ));
                }
                if self.regions.is_some() {
                    return Err(format!(
                        "cluster.buckets: `regions` groups the values of a column such as `country`, not buying roles (`column = \"{}\"`, or `buyer` / `user` set)",
                        self.column
                    ));
                }
            }
            BucketSplit::Values { regions, unmapped } => {
                if regions.is_none() && self.unmapped.is_some() {
                    return Err(format!(
                        "cluster.buckets.unmapped names the bucket of values in no region, but \
                         `column = \"{}\"` has no `regions`: every value is a bucket of its own",
                        self.column
                    ));
                }
                if unmapped.trim().is_empty() {
                    return Err("cluster.buckets.unmapped is empty".into());
                }
                let mut seen = BTreeMap::new();
                for (region, values) in regions.into_iter().flatten() {
                    if region.trim().is_empty() || values.is_empty() {
                        return Err(format!(
                            "cluster.buckets.regions: region `{region}` needs a name and at least one value"
                        ));
                    }
                    for v in values {
                        if let Some(other) = seen.insert(v.to_lowercase(), region) {
                            return Err(format!(
                                "cluster.buckets.regions: `{v}` is in both `{other}` and `{region}`"
                            ));
                        }
                    }
                }
            }
        }
        Ok(())
    }
}

impl Default for BucketsConfig {
    fn default() -> Self {
        BucketsConfig {
            column: default_role_column(),
            buyer: None,
            user: None,
            regions: None,
            unmapped: None,
        }
    }
}

fn default_k_min() -> usize {
    3
}
fn default_k_max() -> usize {
    5
}
fn default_seed() -> u64 {
    42
}
fn default_restarts() -> usize {
    10
}
fn default_fit_sample() -> usize {
    100_000
}
fn default_fit_contacts() -> usize {
    50_000
}
fn default_silhouette_sample() -> usize {
    5_000
}
fn default_stability_resamples() -> usize {
    20
}
fn default_null_resamples() -> usize {
    20
}
fn default_null_sample() -> usize {
    2_000
}
fn default_structure_alpha() -> f64 {
    0.01
}
fn default_stability_sample() -> usize {
    5_000
}
fn default_role_column() -> String {
    "buying_roles".into()
}
fn default_buyer_roles() -> Vec<String> {
    strings(&[
        "Decision Maker",
        "Budget Holder",
        "Executive Sponsor",
        "Blocker",
        "Legal and Compliance",
    ])
}
fn default_user_roles() -> Vec<String> {
    strings(&["End User", "Champion", "Influencer"])
}

impl Default for ClusterConfig {
    fn default() -> Self {
        ClusterConfig {
            k_min: default_k_min(),
            k_max: default_k_max(),
            seed: default_seed(),
            restarts: default_restarts(),
            fit_sample: default_fit_sample(),
            fit_contacts: default_fit_contacts(),
            silhouette_sample: default_silhouette_sample(),
            stability_resamples: default_stability_resamples(),
            stability_sample: default_stability_sample(),
            k_choice: KChoice::default(),
            method: Method::default(),
            null_resamples: default_null_resamples(),
            null_sample: default_null_sample(),
            structure_alpha: default_structure_alpha(),
            buckets: None,
        }
    }
}
