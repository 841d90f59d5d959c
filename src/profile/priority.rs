//! Which personas to focus on: each persona of a bucket gets a priority score from its share of
//! the bucket's value (the `revenue` column by default: money), its share of the bucket's
//! contacts, and its growth since the last run (the change of its share), weighted as
//! `[profile.priority]` says:
//!
//! `score = value * value_share + size * share + growth * share_change`
//!
//! All three terms are shares of the bucket (0..1; the change -1..1), so the weights say how
//! much each matters, not how large its numbers are. The highest score of a bucket is its
//! `primary` persona, the next its `secondary`, the rest `other`. Personas that are not
//! publishable (too small, unstable) or negative are `not_ranked`: nobody should focus on
//! them. A persona seen for the first time has no growth term.

use std::collections::HashMap;

use crate::config::PriorityConfig;

use super::trends::TrendRow;
use super::Persona;

/// Priority of the persona to focus on first in its bucket.
pub const PRIMARY: &str = "primary";
/// Priority of the persona to focus on next.
pub const SECONDARY: &str = "secondary";
/// Priority of the bucket's other ranked personas.
pub const OTHER: &str = "other";
/// Priority of a persona nobody should focus on (flagged or negative).
pub const NOT_RANKED: &str = "not_ranked";

/// Score and rank every persona within its bucket: `held` is the value each persona holds (its
/// bucket's [`Tally::held`](super::Tally)), `current` the trend rows of this run (for each
/// persona's share change).
pub fn rank(personas: &mut [Persona], held: &[f64], current: &[TrendRow], cfg: &PriorityConfig) {
    // Value held by each bucket (a contact counts once per bucket).
    let mut bucket_value: HashMap<&str, f64> = HashMap::new();
    for (p, persona) in personas.iter().enumerate() {
        *bucket_value.entry(persona.bucket.as_str()).or_default() += held.get(p).unwrap_or(&0.0);
    }
    let change: HashMap<&str, f64> = (current.iter())
        .filter_map(|t| Some((t.persona_id.as_str(), t.share_change?)))
        .collect();
    let scores: Vec<f64> = (personas.iter().enumerate())
        .map(|(p, persona)| {
            let total = bucket_value[persona.bucket.as_str()];
            let mine = held.get(p).copied().unwrap_or(0.0);
            let value_share = if total > 0.0 { mine / total } else { 0.0 };
            let growth = change.get(persona.id.as_str()).copied().unwrap_or(0.0);
            cfg.value * value_share + cfg.size * persona.share + cfg.growth * growth
        })
        .collect();
    for (persona, score) in personas.iter_mut().zip(&scores) {
        persona.priority_score = Some(*score);
        persona.priority = NOT_RANKED.to_string();
    }
    let mut ranked: Vec<usize> = (0..personas.len())
        .filter(|&p| personas[p].publishable() && !personas[p].negative)
        .collect();
    // Highest score first; ties by size, then id, so the order is reproducible.
    ranked.sort_by(|&a, &b| {
        (scores[b].total_cmp(&scores[a]))
            .then(personas[b].size.cmp(&personas[a].size))
            .then_with(|| personas[a].id.cmp(&personas[b].id))
    });
    let mut place: HashMap<String, usize> = HashMap::new();
    for p in ranked {
        let n = place.entry(personas[p].bucket.clone()).or_default();
        personas[p].priority = match n {
            0 => PRIMARY,
            1 => SECONDARY,
            _ => OTHER,
        }
        .to_string();
        *n += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ProfileConfig;
    use crate::features::{FeatureTable, NumericColumn};
    use crate::profile::Tally;

    fn persona(id: &str, bucket: &str, size: usize, share: f64) -> Persona {
        Persona {
            id: id.into(),
            bucket: bucket.into(),
            size,
            share,
            ..Default::default()
        }
    }

    /// The value each persona holds of `revenue` (one per contact) with `members` (contact,
    /// persona), as a bucket's tally counts it.
    fn held(revenue: &[f64], members: &[(usize, usize)], k: usize) -> Vec<f64> {
        let t = FeatureTable {
            contact_ids: (0..revenue.len()).map(|i| i.to_string()).collect(),
            emails: vec![None; revenue.len()],
            numeric: vec![NumericColumn {
                name: "revenue".into(),
                values: revenue.iter().map(|&v| Some(v)).collect(),
                segments: false,
            }],
            categorical: Vec::new(),
            multi_raw: Vec::new(),
        };
        let (rows, labels): (Vec<usize>, Vec<usize>) = members.iter().copied().unzip();
        Tally::of_rows(&t, &rows, &labels, k, &ProfileConfig::default()).held
    }

    #[test]
    fn value_can_outrank_size_and_flagged_personas_are_not_ranked() {
        // persona_1: 3 contacts, 30 of revenue; persona_2: 1 contact, 900; persona_3: flagged.
        let mut personas = vec![
            persona("persona_1", "all", 3, 0.5),
            persona("persona_2", "all", 1, 1.0 / 6.0),
            persona("persona_3", "all", 2, 1.0 / 3.0),
        ];
        personas[2].flags = vec![super::super::INSUFFICIENT_SAMPLE.into()];
        let members = vec![(0, 0), (1, 0), (2, 0), (3, 1), (4, 2), (5, 2)];
        let held = held(&[10.0, 10.0, 10.0, 900.0, 5.0, 5.0], &members, 3);
        rank(&mut personas, &held, &[], &PriorityConfig::default());
        let got: Vec<&str> = personas.iter().map(|p| p.priority.as_str()).collect();
        assert_eq!(got, [SECONDARY, PRIMARY, NOT_RANKED]);
        // 0.5 * 900/940 + 0.3 * 1/6 against 0.5 * 30/940 + 0.3 * 0.5.
        let s = personas[1].priority_score.unwrap();
        assert!((s - (0.5 * 900.0 / 940.0 + 0.3 / 6.0)).abs() < 1e-12, "{s}");
        // Weighing size alone reverses the order.
        let size_only = PriorityConfig {
            value: 0.0,
            size: 1.0,
            growth: 0.0,
            ..Default::default()
        };
        rank(&mut personas, &held, &[], &size_only);
        assert_eq!(personas[0].priority, PRIMARY);
    }

    #[test]
    fn each_bucket_has_its_own_primary_and_growth_counts() {
        let mut personas = vec![
            persona("persona_1", "buyer", 50, 0.5),
            persona("persona_2", "buyer", 50, 0.5),
            persona("persona_3", "user", 10, 1.0),
        ];
        let grew = TrendRow {
            persona_id: "persona_2".into(),
            share_change: Some(0.2),
            ..Default::default()
        };
        rank(
            &mut personas,
            &[0.0; 3],
            &[grew],
            &PriorityConfig::default(),
        );
        let got: Vec<&str> = personas.iter().map(|p| p.priority.as_str()).collect();
        assert_eq!(got, [SECONDARY, PRIMARY, PRIMARY]);
    }
}
