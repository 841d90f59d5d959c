//! Matching one run's personas to the previous run's (see [`super`]): the contacts the runs
//! share, the most similar pairs matched greedily, new ids and names for the unmatched, and
//! splits, merges and vanished personas read from the shared contacts.

use std::cmp::Reverse;
use std::collections::BTreeSet;

use super::overlap::Overlap;
use super::snapshot::{numeric_scales, profile_distance, Snapshot};
use super::{
    ABSORBED_SHARE, MIN_SIMILARITY, OVERLAP_WEIGHT, SPLIT_MERGE_SHARE, UNRELATED_DISTANCE,
};

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

/// A current persona's match: the previous persona, the member overlap, the profile distance.
type Link = (usize, Option<f64>, f64);

/// The contacts both runs have, by pair of personas of the same bucket.
struct Shared<'a> {
    /// The pairs' counts and the current personas' sizes.
    overlap: &'a Overlap,
    /// Each previous persona's members present in both runs.
    common_prev: Vec<usize>,
    /// Each current persona's members present in both runs.
    common_cur: Vec<usize>,
    /// Whether the runs share any contact.
    any: bool,
}

impl<'a> Shared<'a> {
    fn new(overlap: &'a Overlap, previous: usize, current: usize) -> Shared<'a> {
        let mut common_prev = vec![0usize; previous];
        let mut common_cur = vec![0usize; current];
        for (&(i, j), &n) in &overlap.pairs {
            common_prev[i] += n;
            common_cur[j] += n;
        }
        let any = common_cur.iter().any(|&n| n > 0);
        Shared {
            overlap,
            common_prev,
            common_cur,
            any,
        }
    }

    /// Current persona `j`'s members.
    fn size(&self, j: usize) -> usize {
        self.overlap.current_sizes.get(j).copied().unwrap_or(0)
    }

    /// Contacts in both previous persona `i` and current persona `j`.
    fn both(&self, i: usize, j: usize) -> usize {
        self.overlap.pairs.get(&(i, j)).copied().unwrap_or(0)
    }

    /// Jaccard index of the members of previous `i` and current `j` present in both runs;
    /// `None` when the runs share no contact.
    fn overlap(&self, i: usize, j: usize) -> Option<f64> {
        if !self.any {
            return None;
        }
        let both = self.both(i, j);
        let union = self.common_prev[i] + self.common_cur[j] - both;
        Some(if union == 0 {
            0.0
        } else {
            both as f64 / union as f64
        })
    }

    /// Share of the memberships present in both runs whose persona id changed.
    fn changed_share(&self, previous: &[Snapshot], assigned: &[Assigned]) -> Option<f64> {
        let (mut both, mut changed) = (0usize, 0usize);
        for (&(i, j), &n) in &self.overlap.pairs {
            both += n;
            changed += if previous[i].id != assigned[j].id {
                n
            } else {
                0
            };
        }
        (both > 0).then(|| changed as f64 / both as f64)
    }
}

/// The one of `0..n` that most of a group's `of` contacts are shared with (`shared(x)`; ties:
/// the lowest), when that is at least [`SPLIT_MERGE_SHARE`] of them.
fn main_link(n: usize, shared: impl Fn(usize) -> usize, of: usize) -> Option<usize> {
    let (x, k) = (0..n)
        .map(|x| (x, shared(x)))
        .max_by_key(|&(x, k)| (k, Reverse(x)))?;
    (k > 0 && k as f64 >= SPLIT_MERGE_SHARE * of as f64).then_some(x)
}

/// Pairs of personas of the same bucket, matched greedily, most similar first, while at
/// least [`MIN_SIMILARITY`]: each previous persona's current match, each current persona's
/// link.
fn pair_up(
    previous: &[Snapshot],
    current: &[Snapshot],
    shared: &Shared,
) -> (Vec<Option<usize>>, Vec<Option<Link>>) {
    let all: Vec<&Snapshot> = current.iter().chain(previous).collect();
    let scales = numeric_scales(&all);
    let mut pairs = Vec::new();
    for (i, p) in previous.iter().enumerate() {
        for (j, c) in current.iter().enumerate() {
            if p.bucket != c.bucket {
                continue;
            }
            let distance = profile_distance(p, c, &scales);
            let profile = (1.0 - distance / UNRELATED_DISTANCE).max(0.0);
            let (ov, sim) = match shared.overlap(i, j) {
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
    let mut links: Vec<Option<Link>> = vec![None; current.len()];
    for (sim, i, j, ov, distance) in pairs {
        if sim < MIN_SIMILARITY || prev_match[i].is_some() || links[j].is_some() {
            continue;
        }
        prev_match[i] = Some(j);
        links[j] = Some((i, ov, distance));
    }
    (prev_match, links)
}

/// `name`, or `name 2`, `name 3`, ... : the first not in `names`, which it joins.
fn unique_name(name: &str, names: &mut BTreeSet<String>) -> String {
    let mut unique = name.to_string();
    let mut n = 2;
    while names.contains(&unique) {
        unique = format!("{name} {n}");
        n += 1;
    }
    names.insert(unique.clone());
    unique
}

/// What becomes of each current persona: a matched one takes its match's id and name; an
/// unmatched one gets the next new id and its own name made unique, and split from the
/// previous persona most of its members come from when that one lives on (new contacts count
/// against it: a group of newcomers is new, not split off).
fn assign(
    previous: &[Snapshot],
    current: &[Snapshot],
    links: &[Option<Link>],
    prev_match: &[Option<usize>],
    shared: &Shared,
    next_id: usize,
) -> Vec<Assigned> {
    let mut names: BTreeSet<String> = links
        .iter()
        .flatten()
        .map(|(i, _, _)| previous[*i].name.clone())
        .collect();
    let mut next = next_id.max(1);
    let mut assigned = Vec::with_capacity(current.len());
    for (j, c) in current.iter().enumerate() {
        let a = match links[j] {
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
                let source = main_link(previous.len(), |i| shared.both(i, j), shared.size(j));
                Assigned {
                    id,
                    name: unique_name(&c.name, &mut names),
                    previous: None,
                    overlap: None,
                    distance: None,
                    split_from: source.filter(|&i| prev_match[i].is_some()),
                    absorbed: Vec::new(),
                }
            }
        };
        assigned.push(a);
    }
    assigned
}

/// The previous personas with no match, each merged into the current persona most of its
/// remaining members went to when that one is matched to another; that persona absorbed it
/// when they make up at least [`ABSORBED_SHARE`] of it.
fn vanish(
    current: &[Snapshot],
    prev_match: &[Option<usize>],
    links: &[Option<Link>],
    shared: &Shared,
    assigned: &mut [Assigned],
) -> Vec<Vanished> {
    let mut vanished = Vec::new();
    for i in (0..prev_match.len()).filter(|&i| prev_match[i].is_none()) {
        let target = main_link(current.len(), |j| shared.both(i, j), shared.common_prev[i]);
        let merged_into = target.filter(|&j| links[j].is_some());
        if let Some(j) = merged_into {
            let n = shared.both(i, j) as f64;
            if n >= ABSORBED_SHARE * shared.size(j) as f64 {
                assigned[j].absorbed.push(i);
            }
        }
        vanished.push(Vanished {
            previous: i,
            merged_into,
        });
    }
    vanished
}

/// Match `current` to `previous` (see [`super`]) by their members. New personas get ids from
/// `persona_<next_id>` on, in order; `next_id` is one more than the highest id ever used.
pub fn match_personas(previous: &[Snapshot], current: &[Snapshot], next_id: usize) -> Matching {
    let overlap = Overlap::of_members(previous, current);
    match_with(previous, current, &overlap, next_id)
}

/// [`match_personas`] with the contacts the runs share counted already (`overlap`): the
/// snapshots' members are not read.
pub fn match_with(
    previous: &[Snapshot],
    current: &[Snapshot],
    overlap: &Overlap,
    next_id: usize,
) -> Matching {
    let shared = Shared::new(overlap, previous.len(), current.len());
    let (prev_match, links) = pair_up(previous, current, &shared);
    let mut assigned = assign(previous, current, &links, &prev_match, &shared, next_id);
    let vanished = vanish(current, &prev_match, &links, &shared, &mut assigned);
    let changed_share = shared.changed_share(previous, &assigned);
    Matching {
        current: assigned,
        vanished,
        changed_share,
    }
}
