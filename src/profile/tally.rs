//! Tallies: all the profile needs of a bucket's contacts, counted per persona. For each numeric
//! column the moments of its values (count, sum, sum of squares) in each persona and the
//! bucket's mean and standard deviation; for each categorical column the contacts of each
//! persona at each level; the contacts of each persona, those meeting the negative rule, and
//! the value each holds (for the priority).
//!
//! Traits, cards, sizes, shares, the negative flag and the priority's value come from a
//! [`Tally`], never from the rows, so a bucket's tally can come from the rows in memory
//! ([`Tally::of_rows`]) or from SQL aggregates over its assigned contacts on the engine
//! ([`sql`]), where the driver never sees every contact.

pub mod sql;

use std::collections::BTreeMap;

use crate::config::{NegativeRule, ProfileConfig};
use crate::features::{mean_sd, FeatureTable};

use super::stats::Moments;

/// A bucket's contacts counted per persona.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Tally {
    /// Contacts of each persona (its length is the bucket's k).
    pub sizes: Vec<usize>,
    /// The numeric columns, in the feature table's order.
    pub numeric: Vec<NumericTally>,
    /// The categorical columns, in the feature table's order.
    pub categorical: Vec<LevelTally>,
    /// Contacts of each persona that meet the negative rule (`None` when the rule is off or has
    /// no condition).
    pub negative: Option<Vec<usize>>,
    /// Value each persona holds: the sum of its contacts' positive values of the priority's
    /// value column (`[profile.priority] value_column`; 0 when the table has no such column).
    pub held: Vec<f64>,
}

/// One numeric column of a bucket.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NumericTally {
    /// Column name.
    pub name: String,
    /// Moments of the known values of each persona's contacts.
    pub per: Vec<Moments>,
    /// Moments of the bucket's known values.
    pub all: Moments,
    /// Mean of the bucket's known values.
    pub mean: f64,
    /// Population standard deviation of the bucket's known values.
    pub sd: f64,
}

/// One categorical column of a bucket: the contacts of each persona at each level.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LevelTally {
    /// Column name.
    pub name: String,
    /// Level -> contacts per persona (every level some contact of the bucket has).
    pub counts: BTreeMap<String, Vec<usize>>,
}

impl Tally {
    /// The tally of a bucket's `rows` of `t` with their persona `labels` (of `k`), with the
    /// negative rule and the priority's value column of `cfg`.
    pub fn of_rows(
        t: &FeatureTable,
        rows: &[usize],
        labels: &[usize],
        k: usize,
        cfg: &ProfileConfig,
    ) -> Tally {
        let mut sizes = vec![0usize; k];
        labels.iter().for_each(|&l| sizes[l] += 1);
        let numeric = (t.numeric.iter())
            .map(|c| {
                let mut per = vec![Moments::default(); k];
                let mut all = Moments::default();
                for (&r, &l) in rows.iter().zip(labels) {
                    if let Some(v) = c.values.get(r) {
                        per[l].push(v);
                        all.push(v);
                    }
                }
                let (mean, sd) = mean_sd(rows.iter().filter_map(|&r| c.values.get(r)));
                NumericTally {
                    name: c.name.clone(),
                    per,
                    all,
                    mean,
                    sd,
                }
            })
            .collect();
        let categorical = (t.categorical.iter())
            .map(|c| {
                let mut counts = BTreeMap::<String, Vec<usize>>::new();
                for (&r, &l) in rows.iter().zip(labels) {
                    let level = &*c.values[r];
                    match counts.get_mut(level) {
                        Some(per) => per[l] += 1,
                        None => {
                            let mut per = vec![0; k];
                            per[l] = 1;
                            counts.insert(level.to_string(), per);
                        }
                    }
                }
                LevelTally {
                    name: c.name.clone(),
                    counts,
                }
            })
            .collect();
        let negative = negative_hits(t, rows, labels, k, &cfg.negative);
        let mut held = vec![0.0; k];
        let value = t
            .numeric
            .iter()
            .find(|c| c.name == cfg.priority.value_column);
        if let Some(c) = value {
            for (&r, &l) in rows.iter().zip(labels) {
                if let Some(v) = c.values.get(r) {
                    held[l] += v.max(0.0);
                }
            }
        }
        Tally {
            sizes,
            numeric,
            categorical,
            negative,
            held,
        }
    }

    /// The bucket's k.
    pub fn k(&self) -> usize {
        self.sizes.len()
    }

    /// The bucket's contacts.
    pub fn contacts(&self) -> usize {
        self.sizes.iter().sum()
    }

    /// Share of each persona's contacts that meet the negative rule; `None` when the rule is
    /// off.
    pub fn negative_shares(&self) -> Option<Vec<f64>> {
        let hits = self.negative.as_ref()?;
        Some(
            (hits.iter().zip(&self.sizes))
                .map(|(h, s)| *h as f64 / (*s).max(1) as f64)
                .collect(),
        )
    }

    /// The most common known level of a categorical column among persona `p`'s contacts, with
    /// its rate (ties: the last level in order).
    pub fn mode(&self, column: &str, p: usize) -> Option<(String, f64)> {
        let c = self.categorical.iter().find(|c| c.name == column)?;
        (c.counts.iter())
            .map(|(l, per)| (l, per[p]))
            .filter(|(l, n)| *n > 0 && !matches!(l.as_str(), "unknown" | "none" | "not_on_list"))
            .max_by_key(|(_, n)| *n)
            .map(|(l, n)| (l.clone(), n as f64 / self.sizes[p].max(1) as f64))
    }

    /// Mean of a numeric column among persona `p`'s contacts with a value.
    pub fn mean(&self, column: &str, p: usize) -> Option<f64> {
        let c = self.numeric.iter().find(|c| c.name == column)?;
        let m = &c.per[p];
        (m.n > 0.0).then(|| m.mean())
    }
}

/// Contacts of each persona that meet the negative rule; `None` when the rule is off or has no
/// condition.
fn negative_hits(
    t: &FeatureTable,
    rows: &[usize],
    labels: &[usize],
    k: usize,
    rule: &NegativeRule,
) -> Option<Vec<usize>> {
    if !rule.enabled || rule.conditions.is_empty() {
        return None;
    }
    let all = rule.match_ == "all";
    let mut hits = vec![0usize; k];
    for (&r, &l) in rows.iter().zip(labels) {
        let mut holds = rule.conditions.iter().map(|c| {
            if let Some(levels) = &c.in_ {
                (t.categorical.iter().find(|col| col.name == c.column)).is_some_and(|col| {
                    levels
                        .iter()
                        .any(|v| v.eq_ignore_ascii_case(&col.values[r]))
                })
            } else {
                let v = (t.numeric.iter().find(|col| col.name == c.column))
                    .and_then(|col| col.values.get(r));
                match (v, c.above, c.below) {
                    (Some(v), Some(a), _) => v > a,
                    (Some(v), None, Some(b)) => v < b,
                    _ => false,
                }
            }
        });
        let meets = if all {
            holds.all(|h| h)
        } else {
            holds.any(|h| h)
        };
        hits[l] += usize::from(meets);
    }
    Some(hits)
}
