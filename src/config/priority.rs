//! `[profile.priority]`: how the personas of a bucket are ranked for focus (primary,
//! secondary, others; see `profile::priority`). The weights are a business choice, not fitted
//! numbers: say how much money, reach and momentum matter to you.

use serde::Deserialize;

/// Weights of the priority score `value * value_share + size * share + growth * share_change`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PriorityConfig {
    /// Numeric feature column whose sum is a persona's value (default `revenue`: CRM and web
    /// revenue); its share of the bucket's value is the first term.
    #[serde(default = "default_value_column")]
    pub value_column: String,
    /// Weight of the persona's share of the bucket's value (default 0.5).
    #[serde(default = "default_value")]
    pub value: f64,
    /// Weight of the persona's share of the bucket's contacts (default 0.3).
    #[serde(default = "default_size")]
    pub size: f64,
    /// Weight of the change of that share since the last published run (default 0.2; a new
    /// persona has none).
    #[serde(default = "default_growth")]
    pub growth: f64,
}

impl PriorityConfig {
    /// Weights must be finite and non-negative, and not all zero.
    pub fn check(&self) -> Result<(), String> {
        let weights = [self.value, self.size, self.growth];
        if weights.iter().any(|w| !w.is_finite() || *w < 0.0) || weights.iter().all(|w| *w == 0.0) {
            return Err(format!(
                "profile.priority: value, size and growth are weights >= 0, not all 0; got {}, {} and {}",
                self.value, self.size, self.growth
            ));
        }
        Ok(())
    }
}

impl Default for PriorityConfig {
    fn default() -> Self {
        PriorityConfig {
            value_column: default_value_column(),
            value: default_value(),
            size: default_size(),
            growth: default_growth(),
        }
    }
}

fn default_value_column() -> String {
    "revenue".into()
}
fn default_value() -> f64 {
    0.5
}
fn default_size() -> f64 {
    0.3
}
fn default_growth() -> f64 {
    0.2
}
