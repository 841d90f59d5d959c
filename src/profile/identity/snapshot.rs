//! A persona as identity matching and trends see it ([`Snapshot`]): from this run, or read back
//! from a published run; and the distance between two personas' trait profiles.

use std::collections::{BTreeMap, BTreeSet};

use super::UNRELATED_DISTANCE;

/// Key of a trait: feature, and level for a categorical feature.
pub type TraitKey = (String, Option<String>);

/// One trait value of a persona.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TraitPoint {
    /// Rate (categorical level) or mean (numeric) in the persona.
    pub value: f64,
    /// Rate or mean in the bucket.
    pub population: f64,
    /// value / population.
    pub lift: Option<f64>,
    /// (value - population) / population standard deviation.
    pub std_diff: f64,
    /// Whether it sets the persona apart.
    pub distinctive: bool,
}

/// One persona as matching and trends see it: from this run, or read back from a published run.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Snapshot {
    /// Persona id.
    pub id: String,
    /// Persona name.
    pub name: String,
    /// Bucket.
    pub bucket: String,
    /// Contacts.
    pub size: usize,
    /// Share of the bucket.
    pub share: f64,
    /// Every trait.
    pub traits: BTreeMap<TraitKey, TraitPoint>,
    /// Member contact ids.
    pub members: Vec<String>,
}

/// Scale of each numeric feature: its population standard deviation, recovered from a
/// persona's standardised difference.
pub(super) fn numeric_scales(personas: &[&Snapshot]) -> BTreeMap<String, f64> {
    let mut scales = BTreeMap::new();
    for p in personas {
        for ((feature, level), t) in &p.traits {
            if level.is_some() || t.std_diff.abs() < 1e-9 || scales.contains_key(feature) {
                continue;
            }
            let sd = ((t.value - t.population) / t.std_diff).abs();
            if sd.is_finite() && sd > 1e-12 {
                scales.insert(feature.clone(), sd);
            }
        }
    }
    scales
}

/// Each snapshot's position by its persona id.
pub fn index_by_id(snapshots: &[Snapshot]) -> BTreeMap<&str, usize> {
    (snapshots.iter().enumerate())
        .map(|(i, s)| (s.id.as_str(), i))
        .collect()
}

/// Root mean square difference per feature between two trait profiles (see [`super`]).
pub fn profile_distance(a: &Snapshot, b: &Snapshot, scales: &BTreeMap<String, f64>) -> f64 {
    let keys: BTreeSet<&TraitKey> = a.traits.keys().chain(b.traits.keys()).collect();
    let mut features = BTreeSet::new();
    let mut sum = 0.0;
    for key in keys {
        let (feature, level) = key;
        let (va, vb) = (a.traits.get(key), b.traits.get(key));
        let d = match level {
            // A level missing from one profile has rate 0 there.
            Some(_) => va.map_or(0.0, |t| t.value) - vb.map_or(0.0, |t| t.value),
            None => match (va, vb, scales.get(feature)) {
                (Some(x), Some(y), Some(sd)) => (x.value - y.value) / sd,
                _ => continue,
            },
        };
        features.insert(feature.as_str());
        sum += d * d;
    }
    if features.is_empty() {
        return UNRELATED_DISTANCE;
    }
    (sum / features.len() as f64).sqrt()
}
