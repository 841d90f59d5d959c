//! Traits: every feature level (text columns) and every numeric feature of every persona,
//! against the rest of its bucket: rate or mean, lift, standardised difference, and a
//! significance test (two-proportion z-test for rates, Welch's t-test for means) with the
//! bucket's p-values corrected for the number of traits tested. A trait sets a persona apart
//! ("distinctive") only when it is significant and large enough.

use crate::config::ProfileConfig;
use crate::features::TAG_SEP;

use super::stats;
use super::tally::Tally;
use super::Audience;

/// One trait of one persona against its bucket.
#[derive(Debug, Clone, PartialEq)]
pub struct Trait {
    /// Persona id.
    pub persona_id: String,
    /// Feature column.
    pub feature: String,
    /// Level for categorical features; `None` for numeric ones.
    pub level: Option<String>,
    /// Rate (categorical) or mean (numeric) in the persona.
    pub persona_value: f64,
    /// Rate or mean in the whole bucket.
    pub population_value: f64,
    /// persona_value / population_value (`None` when the population value is 0).
    pub lift: Option<f64>,
    /// Standardised difference: (persona - population) / population standard deviation.
    pub std_diff: f64,
    /// Share of the social audience with this level (where the audience has the dimension).
    pub audience_share: Option<f64>,
    /// Which audience `audience_share` comes from (`meta`, `linkedin`, `ga4`).
    pub audience_source: Option<String>,
    /// p-value of the test of the persona against the rest of its bucket.
    pub p_value: f64,
    /// The p-value corrected for the number of traits tested in the bucket.
    pub p_adjusted: f64,
    /// Whether the corrected p-value is below `alpha`.
    pub significant: bool,
    /// Whether the trait sets the persona apart: significant and large enough (see the
    /// profile thresholds in the config).
    pub distinctive: bool,
}

impl Trait {
    /// `high`/`low` for a numeric trait, the level for a categorical one.
    pub fn key(&self) -> &str {
        match &self.level {
            Some(l) => l,
            None if self.std_diff >= 0.0 => "high",
            None => "low",
        }
    }

    /// "job_seniority=executive (62 % vs 25 %)", "has tag promo (80 % vs 20 %)" or
    /// "share_docs high (0.61 vs 0.25)".
    pub fn label(&self) -> String {
        match &self.level {
            Some(level) => {
                let what = match self.feature.split_once(TAG_SEP) {
                    Some((_, tag)) if level == "yes" => format!("has tag {tag}"),
                    Some((_, tag)) => format!("no tag {tag}"),
                    None => format!("{}={}", self.feature, level),
                };
                format!(
                    "{what} ({:.0} % vs {:.0} %)",
                    self.persona_value * 100.0,
                    self.population_value * 100.0
                )
            }
            None => format!(
                "{} {} ({:.2} vs {:.2})",
                self.feature,
                self.key(),
                self.persona_value,
                self.population_value
            ),
        }
    }
}

/// Every trait of every persona of one bucket from its tally (persona p has id `ids[p]`), p-values
/// corrected across the bucket.
pub fn bucket_traits(
    tally: &Tally,
    ids: &[String],
    cfg: &ProfileConfig,
    audience: &Audience,
) -> Vec<Trait> {
    let sizes = &tally.sizes;
    let contacts = tally.contacts();
    let n = contacts.max(1) as f64;
    let mut out = Vec::new();
    for c in &tally.numeric {
        if c.all.n == 0.0 {
            continue;
        }
        let (mean_all, sd) = (c.mean, c.sd);
        for (p, m) in c.per.iter().enumerate() {
            let mean_p = if m.n == 0.0 { mean_all } else { m.mean() };
            let std_diff = if sd > 1e-12 {
                (mean_p - mean_all) / sd
            } else {
                0.0
            };
            out.push(Trait {
                persona_id: ids[p].clone(),
                feature: c.name.clone(),
                level: None,
                persona_value: mean_p,
                population_value: mean_all,
                lift: (mean_all.abs() > 1e-12).then(|| mean_p / mean_all),
                std_diff,
                audience_share: None,
                audience_source: None,
                p_value: stats::welch(m, &m.rest(&c.all)),
                p_adjusted: 1.0,
                significant: false,
                distinctive: std_diff.abs() >= cfg.min_std_diff,
            });
        }
    }
    for c in &tally.categorical {
        for p in 0..tally.k() {
            for (level, per) in &c.counts {
                let total = per.iter().sum::<usize>();
                let rate_all = total as f64 / n;
                let rate_p = per[p] as f64 / sizes[p].max(1) as f64;
                let sd = (rate_all * (1.0 - rate_all)).sqrt();
                let std_diff = if sd > 1e-12 {
                    (rate_p - rate_all) / sd
                } else {
                    0.0
                };
                let lift = rate_p / rate_all;
                let audience = audience.get(&(c.name.clone(), level.to_string()));
                let rest = contacts - sizes[p];
                out.push(Trait {
                    persona_id: ids[p].clone(),
                    feature: c.name.clone(),
                    level: Some(level.to_string()),
                    persona_value: rate_p,
                    population_value: rate_all,
                    lift: Some(lift),
                    std_diff,
                    audience_share: audience.map(|a| a.share),
                    audience_source: audience.map(|a| a.source.clone()),
                    p_value: stats::proportions(per[p], sizes[p], total - per[p], rest),
                    p_adjusted: 1.0,
                    significant: false,
                    distinctive: !matches!(level.as_str(), "unknown" | "no" | "none" | "other")
                        && rate_p >= cfg.min_rate
                        && lift >= cfg.min_lift,
                });
            }
        }
    }
    let p: Vec<f64> = out.iter().map(|t| t.p_value).collect();
    for (t, adjusted) in out.iter_mut().zip(stats::adjust(&p, cfg.correction)) {
        t.p_adjusted = adjusted;
        t.significant = adjusted < cfg.alpha;
        t.distinctive &= t.significant;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::features::{CategoricalColumn, FeatureTable, NumericColumn};

    fn table(a: usize, b: usize, shift: f64) -> (FeatureTable, Vec<usize>) {
        let labels: Vec<usize> = (0..a + b).map(|i| usize::from(i >= a)).collect();
        let t = FeatureTable {
            contact_ids: (0..a + b).map(|i| i.to_string()).collect(),
            emails: vec![None; a + b],
            numeric: vec![NumericColumn {
                name: "x".into(),
                // Alternating noise, plus the shift in persona 2.
                values: labels
                    .iter()
                    .enumerate()
                    .map(|(i, l)| Some((i % 2) as f64 + shift * *l as f64))
                    .collect(),
                segments: true,
            }],
            categorical: vec![CategoricalColumn {
                name: "tags:promo".into(),
                values: labels
                    .iter()
                    .enumerate()
                    .map(|(i, l)| if *l == 1 || i % 5 == 0 { "yes" } else { "no" })
                    .collect(),
                segments: false,
            }],
            multi_raw: vec![],
        };
        (t, labels)
    }

    fn run(a: usize, b: usize, shift: f64) -> Vec<Trait> {
        let (t, labels) = table(a, b, shift);
        let rows: Vec<usize> = (0..a + b).collect();
        let ids = vec!["persona_1".to_string(), "persona_2".to_string()];
        let cfg = ProfileConfig::default();
        let tally = Tally::of_rows(&t, &rows, &labels, 2, &cfg);
        bucket_traits(&tally, &ids, &cfg, &Audience::new())
    }

    /// The trait of `persona_2` that `pick` picks.
    fn second(traits: &[Trait], pick: impl Fn(&Trait) -> bool) -> &Trait {
        traits
            .iter()
            .find(|t| t.persona_id == "persona_2" && pick(t))
            .unwrap()
    }

    #[test]
    fn a_real_difference_is_significant_and_distinctive() {
        let traits = run(200, 100, 1.0);
        let x2 = second(&traits, |t| t.feature == "x");
        assert!(x2.significant && x2.distinctive, "{x2:?}");
        let promo = second(&traits, |t| t.level.as_deref() == Some("yes"));
        assert!(promo.distinctive, "{promo:?}");
        assert_eq!(promo.label(), "has tag promo (100 % vs 47 %)");
    }

    #[test]
    fn no_difference_is_not_significant() {
        let traits = run(200, 100, 0.0);
        let x2 = second(&traits, |t| t.feature == "x");
        assert!(!x2.significant && !x2.distinctive, "{x2:?}");
    }

    #[test]
    fn a_big_lift_in_a_tiny_group_is_not_significant() {
        // Two contacts that both have the tag: a large lift, but no evidence after the
        // correction.
        let traits = run(200, 2, 0.0);
        let promo = second(&traits, |t| t.level.as_deref() == Some("yes"));
        assert!(promo.lift.unwrap() > 3.0);
        assert!(!promo.significant, "{promo:?}");
    }
}
