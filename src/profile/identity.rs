//! Persona identities across runs: matches this run's personas to the previous published run's,
//! so a persona keeps its id and name while it is the same group.
//!
//! Two personas of the same bucket are compared by who is in them and what they are like:
//! - **member overlap**: the Jaccard index of their members, counting only the contacts present
//!   in both runs (new contacts make a persona grow, they do not make it another group);
//! - **profile distance**: how far apart their trait profiles are: the rate of every level of a
//!   categorical trait and the mean of every numeric one in units of its population standard
//!   deviation (from `persona_traits`, comparable across runs, unlike centroids in a design space
//!   standardised anew each run), as the root mean square difference per feature.
//!
//! Their similarity is `0.75 * overlap + 0.25 * (1 - distance / UNRELATED_DISTANCE)` (only the
//! profile part when the runs share no contact). Pairs are matched greedily, most similar first,
//! when the similarity is at least [`MIN_SIMILARITY`]. A matched persona takes the previous id and
//! name; an unmatched one gets the next id never used (`persona_7`) and its own name; a previous
//! persona left unmatched has vanished. Splits and merges are read from the overlap: an unmatched
//! persona most of whose members come from one previous persona that lives on under another
//! persona split from it; an unmatched previous persona most of whose remaining members went to a
//! persona matched to another was merged into it, and that persona absorbed it when they make up
//! at least [`ABSORBED_SHARE`] of it.

use std::collections::{BTreeMap, BTreeSet, HashMap};

/// Key of a trait: feature, and level for a categorical feature.
pub type TraitKey = (String, Option<String>);

/// Weight of the member overlap in the similarity (the rest is the profile).
pub const OVERLAP_WEIGHT: f64 = 0.75;
/// Profile distance at and beyond which two profiles count as unrelated.
pub const UNRELATED_DISTANCE: f64 = 1.0;
/// Least similarity for two personas to be the same group.
pub const MIN_SIMILARITY: f64 = 0.4;
/// Profile distance beyond which a matched persona is drifting.
pub const DRIFT_DISTANCE: f64 = 0.3;
/// Share of a group's members that must come from / go to one other group for a split / merge.
pub const SPLIT_MERGE_SHARE: f64 = 0.5;
/// Least share of a persona made of a vanished persona's members for it to count as merged
/// with it (a handful of contacts from a tiny vanished group does not make a merge).
pub const ABSORBED_SHARE: f64 = 0.2;

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

/// What became of one current persona.
#[derive(Debug, Clone, PartialEq)]
pub struct Assigned {
    /// Its id: the matched previous persona's, or a new one.
    pub id: String,
    /// Its name: the matched previous persona's, or its own (made unique).
    pub name: String,
    /// Index of the matched previous persona.
    pub previous: Option<usize>,
    /// Member overlap (Jaccard over the contacts in both runs) with the matched persona.
    pub overlap: Option<f64>,
    /// Profile distance to the matched persona.
    pub distance: Option<f64>,
    /// Unmatched, but most of its members come from this previous persona, which lives on.
    pub split_from: Option<usize>,
    /// Previous personas (besides its match) merged into it.
    pub absorbed: Vec<usize>,
}

/// What became of one previous persona with no match.
#[derive(Debug, Clone, PartialEq)]
pub struct Vanished {
    /// Index into the previous personas.
    pub previous: usize,
    /// Most of its members went to this current persona (matched to another): a merge.
    pub merged_into: Option<usize>,
}

/// The matching of a run's personas to the previous run's.
#[derive(Debug, Clone, PartialEq)]
pub struct Matching {
    /// One per current persona, in order.
    pub current: Vec<Assigned>,
    /// The previous personas with no match.
    pub vanished: Vec<Vanished>,
    /// Share of the (contact, bucket) memberships present in both runs whose persona id
    /// changed; `None` when the runs share no contact.
    pub changed_share: Option<f64>,
}

/// The number of a `persona_<n>` id.
pub fn id_number(id: &str) -> Option<usize> {
    id.strip_prefix("persona_")?.parse().ok()
}

/// Scale of each numeric feature: its population standard deviation, recovered from a
/// persona's standardised difference.
fn numeric_scales(personas: &[&Snapshot]) -> BTreeMap<String, f64> {
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

/// Root mean square difference per feature between two trait profiles (see the module docs).
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

/// Match `current` to `previous` (see the module docs). New personas get ids from
/// `persona_<next_id>` on, in order; `next_id` is one more than the highest id ever used.
pub fn match_personas(previous: &[Snapshot], current: &[Snapshot], next_id: usize) -> Matching {
    let all: Vec<&Snapshot> = current.iter().chain(previous).collect();
    let scales = numeric_scales(&all);
    // Who was where: (bucket, contact) -> previous persona.
    let mut was: HashMap<(&str, &str), usize> = HashMap::new();
    for (i, p) in previous.iter().enumerate() {
        for m in &p.members {
            was.insert((p.bucket.as_str(), m.as_str()), i);
        }
    }
    // counts[(prev, cur)]: contacts in both; common_prev/cur: each one's members present in both runs.
    let mut counts: HashMap<(usize, usize), usize> = HashMap::new();
    let mut common_prev = vec![0usize; previous.len()];
    let mut common_cur = vec![0usize; current.len()];
    for (j, c) in current.iter().enumerate() {
        for m in &c.members {
            if let Some(&i) = was.get(&(c.bucket.as_str(), m.as_str())) {
                *counts.entry((i, j)).or_default() += 1;
                common_prev[i] += 1;
                common_cur[j] += 1;
            }
        }
    }
    let shared_any = common_cur.iter().any(|&n| n > 0);
    let overlap = |i: usize, j: usize| -> Option<f64> {
        if !shared_any {
            return None;
        }
        let both = counts.get(&(i, j)).copied().unwrap_or(0);
        let union = common_prev[i] + common_cur[j] - both;
        Some(if union == 0 {
            0.0
        } else {
            both as f64 / union as f64
        })
    };

    let mut pairs = Vec::new();
    for (i, p) in previous.iter().enumerate() {
        for (j, c) in current.iter().enumerate() {
            if p.bucket != c.bucket {
                continue;
            }
            let distance = profile_distance(p, c, &scales);
            let profile = (1.0 - distance / UNRELATED_DISTANCE).max(0.0);
            let (ov, sim) = match overlap(i, j) {
                Some(o) => (
                    Some(o),
                    OVERLAP_WEIGHT * o + (1.0 - OVERLAP_WEIGHT) * profile,
                ),
                None => (None, profile),
            };
            pairs.push((sim, i, j, ov, distance));
        }
    }
    pairs.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
    let mut prev_match = vec![None; previous.len()];
    let mut cur_match: Vec<Option<(usize, Option<f64>, f64)>> = vec![None; current.len()];
    for (sim, i, j, ov, distance) in pairs {
        if sim < MIN_SIMILARITY || prev_match[i].is_some() || cur_match[j].is_some() {
            continue;
        }
        prev_match[i] = Some(j);
        cur_match[j] = Some((i, ov, distance));
    }

    // The previous persona most of a current persona's members come from (new contacts
    // count against it: a group of newcomers is new, not split off), and the current persona
    // most of a previous persona's remaining members went to.
    let main_source = |j: usize| -> Option<usize> {
        let (i, n) = (0..previous.len())
            .map(|i| (i, counts.get(&(i, j)).copied().unwrap_or(0)))
            .max_by_key(|&(i, n)| (n, std::cmp::Reverse(i)))?;
        (n > 0 && n as f64 >= SPLIT_MERGE_SHARE * current[j].members.len() as f64).then_some(i)
    };
    let main_target = |i: usize| -> Option<usize> {
        let (j, n) = (0..current.len())
            .map(|j| (j, counts.get(&(i, j)).copied().unwrap_or(0)))
            .max_by_key(|&(j, n)| (n, std::cmp::Reverse(j)))?;
        (n > 0 && n as f64 >= SPLIT_MERGE_SHARE * common_prev[i] as f64).then_some(j)
    };

    let kept: BTreeSet<&str> = cur_match
        .iter()
        .flatten()
        .map(|(i, _, _)| previous[*i].name.as_str())
        .collect();
    let mut names: BTreeSet<String> = kept.iter().map(|n| n.to_string()).collect();
    let mut next = next_id.max(1);
    let mut assigned = Vec::with_capacity(current.len());
    for (j, c) in current.iter().enumerate() {
        let a = match cur_match[j] {
            Some((i, ov, distance)) => Assigned {
                id: previous[i].id.clone(),
                name: previous[i].name.clone(),
                previous: Some(i),
                overlap: ov,
                distance: Some(distance),
                split_from: None,
                absorbed: Vec::new(),
            },
            None => {
                let id = format!("persona_{next}");
                next += 1;
                let mut name = c.name.clone();
                let mut n = 2;
                while names.contains(&name) {
                    name = format!("{} {n}", c.name);
                    n += 1;
                }
                names.insert(name.clone());
                Assigned {
                    id,
                    name,
                    previous: None,
                    overlap: None,
                    distance: None,
                    split_from: main_source(j).filter(|&i| prev_match[i].is_some()),
                    absorbed: Vec::new(),
                }
            }
        };
        assigned.push(a);
    }
    let mut vanished = Vec::new();
    for i in (0..previous.len()).filter(|&i| prev_match[i].is_none()) {
        let merged_into = main_target(i).filter(|&j| cur_match[j].is_some());
        // The persona it went into absorbed it when it makes up a real part of it.
        if let Some(j) = merged_into {
            let n = counts.get(&(i, j)).copied().unwrap_or(0) as f64;
            if n >= ABSORBED_SHARE * current[j].members.len() as f64 {
                assigned[j].absorbed.push(i);
            }
        }
        vanished.push(Vanished {
            previous: i,
            merged_into,
        });
    }

    // Memberships in both runs whose persona id changed.
    let (mut both, mut changed) = (0usize, 0usize);
    for (j, c) in current.iter().enumerate() {
        for m in &c.members {
            if let Some(&i) = was.get(&(c.bucket.as_str(), m.as_str())) {
                both += 1;
                changed += usize::from(previous[i].id != assigned[j].id);
            }
        }
    }
    Matching {
        current: assigned,
        vanished,
        changed_share: (both > 0).then(|| changed as f64 / both as f64),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A persona of bucket `all` with members `ids` and trait profile `rates` over the levels
    /// `a`, `b`, `c` of `job_seniority` and a numeric `revenue` mean (population sd 100).
    fn persona(
        id: &str,
        name: &str,
        ids: std::ops::Range<usize>,
        rates: [f64; 3],
        revenue: f64,
    ) -> Snapshot {
        let mut traits = BTreeMap::new();
        for (level, r) in ["a", "b", "c"].iter().zip(rates) {
            traits.insert(
                ("job_seniority".to_string(), Some(level.to_string())),
                TraitPoint {
                    value: r,
                    population: 1.0 / 3.0,
                    lift: Some(r * 3.0),
                    std_diff: (r - 1.0 / 3.0) / 0.47,
                    distinctive: r > 0.5,
                },
            );
        }
        traits.insert(
            ("revenue".to_string(), None),
            TraitPoint {
                value: revenue,
                population: 500.0,
                lift: Some(revenue / 500.0),
                std_diff: (revenue - 500.0) / 100.0,
                distinctive: false,
            },
        );
        Snapshot {
            id: id.into(),
            name: name.into(),
            bucket: "all".into(),
            size: ids.len(),
            share: 0.0,
            traits,
            members: ids.map(|i| format!("c{i}")).collect(),
        }
    }

    fn previous() -> Vec<Snapshot> {
        vec![
            persona(
                "persona_1",
                "Executive Emma",
                0..300,
                [0.9, 0.05, 0.05],
                700.0,
            ),
            persona(
                "persona_2",
                "Hands-On Hugo",
                300..500,
                [0.05, 0.9, 0.05],
                400.0,
            ),
            persona(
                "persona_3",
                "Curious Casey",
                500..600,
                [0.05, 0.05, 0.9],
                300.0,
            ),
        ]
    }

    #[test]
    fn same_groups_keep_their_ids_and_names_in_any_order() {
        // Current personas come numbered by size, in another order, with other names, one
        // grown by new contacts, and a few contacts moved.
        let current = vec![
            persona(
                "persona_1",
                "Executive Eve",
                0..310,
                [0.88, 0.07, 0.05],
                690.0,
            ),
            persona(
                "persona_2",
                "Curious Cleo",
                500..600,
                [0.06, 0.05, 0.89],
                310.0,
            ),
            persona(
                "persona_3",
                "Hands-On Hal",
                310..500,
                [0.05, 0.91, 0.04],
                405.0,
            ),
        ];
        let m = match_personas(&previous(), &current, 4);
        let ids: Vec<&str> = m.current.iter().map(|a| a.id.as_str()).collect();
        assert_eq!(ids, ["persona_1", "persona_3", "persona_2"]);
        let names: Vec<&str> = m.current.iter().map(|a| a.name.as_str()).collect();
        assert_eq!(names, ["Executive Emma", "Curious Casey", "Hands-On Hugo"]);
        assert!(m.vanished.is_empty());
        assert!(m
            .current
            .iter()
            .all(|a| a.distance.unwrap() < DRIFT_DISTANCE));
        // Contacts 300..310 moved from persona_2 to persona_1: 10 of 600.
        assert!((m.changed_share.unwrap() - 10.0 / 600.0).abs() < 1e-12);
    }

    #[test]
    fn a_new_group_gets_a_new_id_and_a_vanished_one_is_recorded() {
        let mut current = previous();
        current.remove(2);
        // Brand-new contacts unlike anyone before, named like a kept persona.
        current.push(persona(
            "persona_3",
            "Hands-On Hugo",
            1000..1100,
            [0.34, 0.33, 0.33],
            900.0,
        ));
        let m = match_personas(&previous(), &current, 7);
        assert_eq!(m.current[0].id, "persona_1");
        assert_eq!(m.current[1].id, "persona_2");
        assert_eq!(m.current[2].id, "persona_7");
        assert_eq!(m.current[2].previous, None);
        assert_eq!(m.current[2].name, "Hands-On Hugo 2", "names stay unique");
        assert_eq!(
            m.vanished,
            vec![Vanished {
                previous: 2,
                merged_into: None
            }]
        );
    }

    #[test]
    fn splits_and_merges_are_detected() {
        // persona_1 splits into a big and a small half; persona_2 and persona_3 merge.
        let current = vec![
            persona("persona_1", "A", 0..200, [0.9, 0.05, 0.05], 700.0),
            persona("persona_2", "B", 300..600, [0.05, 0.6, 0.35], 370.0),
            persona("persona_3", "C", 200..300, [0.85, 0.1, 0.05], 650.0),
        ];
        let m = match_personas(&previous(), &current, 4);
        assert_eq!(m.current[0].id, "persona_1");
        assert_eq!(m.current[1].id, "persona_2");
        assert_eq!(m.current[1].absorbed, vec![2]);
        assert_eq!(m.current[2].id, "persona_4");
        assert_eq!(m.current[2].split_from, Some(0));
        assert_eq!(
            m.vanished,
            vec![Vanished {
                previous: 2,
                merged_into: Some(1)
            }]
        );
    }

    #[test]
    fn newcomers_are_new_and_a_few_contacts_do_not_make_a_merge() {
        // persona_3 dissolves: 10 of its contacts join persona_1, 10 join a group of 200
        // newcomers unlike anyone before, the other 80 left the CRM.
        let mut grown = persona("persona_1", "A", 0..300, [0.9, 0.05, 0.05], 700.0);
        grown.members.extend((500..510).map(|i| format!("c{i}")));
        let mut newcomers = persona("persona_3", "C", 1000..1200, [0.34, 0.33, 0.33], 900.0);
        newcomers
            .members
            .extend((590..600).map(|i| format!("c{i}")));
        let current = vec![
            grown,
            persona("persona_2", "B", 300..500, [0.05, 0.9, 0.05], 400.0),
            newcomers,
        ];
        let m = match_personas(&previous(), &current, 4);
        assert_eq!(m.current[0].id, "persona_1");
        assert!(m.current[0].absorbed.is_empty(), "10 of 310 is no merge");
        assert_eq!(
            (m.current[2].id.as_str(), m.current[2].split_from),
            ("persona_4", None)
        );
        assert_eq!(
            m.vanished,
            vec![Vanished {
                previous: 2,
                merged_into: Some(0)
            }]
        );
    }

    #[test]
    fn without_shared_contacts_profiles_decide_and_drift_is_measured() {
        // A re-keyed CRM: no contact id in common; profiles still match.
        let current = vec![
            persona("persona_1", "X", 5000..5300, [0.9, 0.05, 0.05], 700.0),
            persona("persona_2", "Y", 5300..5500, [0.05, 0.9, 0.05], 400.0),
        ];
        let m = match_personas(&previous(), &current, 4);
        assert_eq!(m.current[0].id, "persona_1");
        assert_eq!(m.current[1].id, "persona_2");
        assert_eq!(m.current[0].overlap, None);
        assert_eq!(m.changed_share, None);
        // Same members, profile moved a lot: still matched, but far.
        let drifted = vec![persona("persona_1", "D", 0..300, [0.4, 0.55, 0.05], 450.0)];
        let m = match_personas(&previous()[..1], &drifted, 2);
        assert_eq!(m.current[0].id, "persona_1");
        assert!(
            m.current[0].distance.unwrap() > DRIFT_DISTANCE,
            "{:?}",
            m.current[0]
        );
    }

    #[test]
    fn personas_of_other_buckets_never_match() {
        let mut current = previous();
        for p in &mut current {
            p.bucket = "buyer".into();
        }
        let m = match_personas(&previous(), &current, 4);
        let ids: Vec<&str> = m.current.iter().map(|a| a.id.as_str()).collect();
        assert_eq!(ids, ["persona_4", "persona_5", "persona_6"]);
        assert_eq!(m.vanished.len(), 3);
    }
}
