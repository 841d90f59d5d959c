//! Model config: which feature columns segment contacts, how k-means runs, and the thresholds
//! that profile and flag the personas found.

use serde::Deserialize;

/// Columns of the feature model and how they enter the clustering.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeaturesConfig {
    /// The SQL model holding one row per contact (must have `contact_id` and `email`).
    #[serde(default = "default_feature_model")]
    pub model: String,
    /// Numeric columns used for segmentation: winsorised at the 1st and 99th percentiles and
    /// standardised; a missing value is imputed by the mean (neutral in distance) and flagged in
    /// an indicator column.
    #[serde(default = "default_numeric")]
    pub numeric: Vec<String>,
    /// Numeric columns that are log-transformed (`ln(1 + x)`) before standardising (counts, money).
    #[serde(default = "default_log_numeric")]
    pub log_numeric: Vec<String>,
    /// Categorical columns used for segmentation; one-hot encoded, rare levels pooled.
    #[serde(default = "default_categorical")]
    pub categorical: Vec<String>,
    /// Weight of each one-hot column against a standardised numeric column. Two contacts who
    /// differ on a categorical criterion differ in two one-hot columns, so the default 1.5 makes
    /// that difference count like about 2.1 standard deviations on a numeric criterion.
    #[serde(default = "default_categorical_weight")]
    pub categorical_weight: f64,
    /// Columns (numeric or text) only used to describe personas, never to segment them.
    #[serde(default = "default_describe")]
    pub describe: Vec<String>,
    /// Levels below this share of contacts (percent) are pooled into `other`.
    #[serde(default = "default_rare_level_pct")]
    pub rare_level_pct: f64,
}

/// Clustering settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClusterConfig {
    /// Smallest number of personas tried.
    #[serde(default = "default_k_min")]
    pub k_min: usize,
    /// Largest number of personas tried.
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
    /// Rows the silhouette score is computed on when choosing k.
    #[serde(default = "default_silhouette_sample")]
    pub silhouette_sample: usize,
}

/// Persona profile settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProfileConfig {
    /// A persona with fewer contacts is flagged `insufficient_sample` and left out of the CRM file.
    #[serde(default = "default_min_persona_size")]
    pub min_persona_size: usize,
    /// A run with fewer contacts flags every persona `insufficient_sample`.
    #[serde(default = "default_min_sample")]
    pub min_sample: usize,
    /// A categorical trait is listed when its lift is at least this (persona rate / population rate).
    #[serde(default = "default_min_lift")]
    pub min_lift: f64,
    /// ... and at least this share of the persona has it.
    #[serde(default = "default_min_rate")]
    pub min_rate: f64,
    /// How many traits are shown per persona in the summary.
    #[serde(default = "default_top_traits")]
    pub top_traits: usize,
}

fn default_feature_model() -> String {
    "int_contact_features".into()
}
fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}
fn default_numeric() -> Vec<String> {
    strings(&[
        "share_docs",
        "share_pricing",
        "share_discounts",
        "share_blog",
        "share_mobile",
        "revenue",
        "email_rating",
    ])
}
fn default_log_numeric() -> Vec<String> {
    strings(&["revenue"])
}
fn default_categorical() -> Vec<String> {
    strings(&["job_seniority", "company_size", "buying_role"])
}
fn default_categorical_weight() -> f64 {
    1.5
}
fn default_describe() -> Vec<String> {
    strings(&[
        "sessions",
        "page_views",
        "days_since_activity",
        "email_status",
        "age_band",
        "gender",
        "country",
        "industry",
        "lifecycle_stage",
        "top_section",
        "top_medium",
        "main_device",
        "original_source",
    ])
}
fn default_rare_level_pct() -> f64 {
    1.0
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
fn default_silhouette_sample() -> usize {
    5_000
}
fn default_min_persona_size() -> usize {
    30
}
fn default_min_sample() -> usize {
    100
}
fn default_min_lift() -> f64 {
    1.5
}
fn default_min_rate() -> f64 {
    0.25
}
fn default_top_traits() -> usize {
    5
}

impl Default for FeaturesConfig {
    fn default() -> Self {
        FeaturesConfig {
            model: default_feature_model(),
            numeric: default_numeric(),
            log_numeric: default_log_numeric(),
            categorical: default_categorical(),
            categorical_weight: default_categorical_weight(),
            describe: default_describe(),
            rare_level_pct: default_rare_level_pct(),
        }
    }
}

impl Default for ClusterConfig {
    fn default() -> Self {
        ClusterConfig {
            k_min: default_k_min(),
            k_max: default_k_max(),
            seed: default_seed(),
            restarts: default_restarts(),
            fit_sample: default_fit_sample(),
            silhouette_sample: default_silhouette_sample(),
        }
    }
}

impl Default for ProfileConfig {
    fn default() -> Self {
        ProfileConfig {
            min_persona_size: default_min_persona_size(),
            min_sample: default_min_sample(),
            min_lift: default_min_lift(),
            min_rate: default_min_rate(),
            top_traits: default_top_traits(),
        }
    }
}
