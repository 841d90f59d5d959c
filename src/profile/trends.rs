//! Persona trends: each persona's size and share over past runs, and what changed since the
//! previous run, as rows of the `persona_trends` table (the sinks write it): a run's table holds
//! the rows of every earlier published run (as that run saw itself) followed by this run's rows,
//! one per persona and one per persona that vanished.
//!
//! A row's status, against the previous published run:
//! - `new`: no previous persona is the same group; `split`: new, but most of its members come
//!   from one previous persona that lives on (`related_persona_ids`);
//! - `merged`: it absorbed a previous persona (`related_persona_ids`), or, on a vanished
//!   persona's row, most of its members went to another persona;
//! - `vanished`: a previous persona that is in no persona now;
//! - `drifting`: the same group whose trait profile moved by more than
//!   [`super::identity::DRIFT_DISTANCE`];
//! - `growing` / `shrinking`: its share of the bucket changed by more than the sampling error
//!   (two-proportion z-test, 95 %) and its head count moved the same way by more than its own
//!   (difference of two Poisson counts, 95 %), so a persona does not "shrink" only because
//!   another one grew;
//! - `stable`: none of these.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;

use super::identity::{Assigned, Matching, Snapshot, TraitKey, DRIFT_DISTANCE};

/// The two-sided 95 % critical value of the standard normal.
pub const Z_95: f64 = 1.959_963_984_540_054;
/// Traits listed in `lift_changes`.
const LIFT_CHANGES: usize = 3;

/// One row of `persona_trends`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TrendRow {
    /// The run that wrote the table (its partition).
    pub run_date: NaiveDate,
    /// The run the row describes.
    pub date: NaiveDate,
    /// Persona id.
    pub persona_id: String,
    /// Persona name.
    pub persona_name: String,
    /// Bucket.
    pub bucket: String,
    /// Status against the run before `date` (see the module docs); `None` for runs made before
    /// trends were recorded.
    pub status: Option<String>,
    /// Contacts (0 for a vanished persona).
    pub size: u64,
    /// Share of the bucket.
    pub share: f64,
    /// The previous published run.
    pub previous_date: Option<NaiveDate>,
    /// Contacts in the previous run.
    pub previous_size: Option<u64>,
    /// Share in the previous run.
    pub previous_share: Option<f64>,
    /// share - previous_share.
    pub share_change: Option<f64>,
    /// Two-proportion z statistic of the share change.
    pub share_change_z: Option<f64>,
    /// Whether the share change exceeds the sampling error (|z| >= 1.96).
    pub share_change_significant: Option<bool>,
    /// Jaccard overlap of members with the previous run's persona (contacts in both runs).
    pub member_overlap: Option<f64>,
    /// Trait profile distance to the previous run's persona.
    pub profile_distance: Option<f64>,
    /// Split from, merged with or into (comma-separated ids).
    pub related_persona_ids: Option<String>,
    /// The traits whose lift changed most: `feature=level 1.20 -> 2.05; ...`.
    pub lift_changes: Option<String>,
    /// Share of the contacts in both runs whose persona changed (the same on every row of a
    /// date).
    pub contacts_changed_share: Option<f64>,
}

impl TrendRow {
    /// A persona's size and share on `date`, written by the run of `run_date`, with no status
    /// and nothing compared yet.
    pub fn new(
        run_date: NaiveDate,
        date: NaiveDate,
        persona: (String, String, String),
        size: u64,
        share: f64,
    ) -> TrendRow {
        let (persona_id, persona_name, bucket) = persona;
        TrendRow {
            run_date,
            date,
            persona_id,
            persona_name,
            bucket,
            status: None,
            size,
            share,
            previous_date: None,
            previous_size: None,
            previous_share: None,
            share_change: None,
            share_change_z: None,
            share_change_significant: None,
            member_overlap: None,
            profile_distance: None,
            related_persona_ids: None,
            lift_changes: None,
            contacts_changed_share: None,
        }
    }
}

/// Two-proportion z statistic of `x2/n2` against `x1/n1` (pooled standard error); `None` when
/// a sample is empty or the pooled rate is 0 or 1.
pub fn two_proportion_z(x1: u64, n1: u64, x2: u64, n2: u64) -> Option<f64> {
    if n1 == 0 || n2 == 0 {
        return None;
    }
    let (n1f, n2f) = (n1 as f64, n2 as f64);
    let pooled = (x1 + x2) as f64 / (n1f + n2f);
    let se = (pooled * (1.0 - pooled) * (1.0 / n1f + 1.0 / n2f)).sqrt();
    (se > 0.0).then(|| (x2 as f64 / n2f - x1 as f64 / n1f) / se)
}

/// z statistic of a change in a head count, as the difference of two Poisson counts.
fn count_z(before: u64, after: u64) -> f64 {
    let var = (before + after) as f64;
    if var == 0.0 {
        0.0
    } else {
        (after as f64 - before as f64) / var.sqrt()
    }
}

/// Contacts per bucket.
fn bucket_sizes(personas: &[Snapshot]) -> BTreeMap<&str, u64> {
    let mut n = BTreeMap::new();
    for p in personas {
        *n.entry(p.bucket.as_str()).or_default() += p.size as u64;
    }
    n
}

fn key_label((feature, level): &TraitKey) -> String {
    match level {
        Some(l) => format!("{feature}={l}"),
        None => feature.clone(),
    }
}

/// The distinctive traits (in either run) whose lift changed most.
fn lift_changes(before: &Snapshot, after: &Snapshot) -> Option<String> {
    let keys: BTreeSet<&TraitKey> = before
        .traits
        .iter()
        .chain(&after.traits)
        .filter(|(_, t)| t.distinctive)
        .map(|(k, _)| k)
        .collect();
    let mut changes: Vec<(f64, &TraitKey, f64, f64)> = keys
        .into_iter()
        .filter_map(|k| {
            let (a, b) = (before.traits.get(k)?.lift?, after.traits.get(k)?.lift?);
            Some(((b - a).abs(), k, a, b))
        })
        .filter(|c| c.0 >= 0.005)
        .collect();
    changes.sort_by(|x, y| y.0.total_cmp(&x.0).then_with(|| x.1.cmp(y.1)));
    let text: Vec<String> = changes
        .iter()
        .take(LIFT_CHANGES)
        .map(|(_, k, a, b)| format!("{} {a:.2} -> {b:.2}", key_label(k)))
        .collect();
    (!text.is_empty()).then(|| text.join("; "))
}

/// The status of a persona matched to a previous one, from its share's z statistic and its
/// head count's: `merged` when it absorbed another, else `drifting`, `growing`, `shrinking` or
/// `stable`.
fn matched_status(a: &Assigned, share_z: Option<f64>, count_z: f64) -> &'static str {
    let z = share_z.unwrap_or(0.0);
    if !a.absorbed.is_empty() {
        "merged"
    } else if a.distance.is_some_and(|d| d > DRIFT_DISTANCE) {
        "drifting"
    } else if z >= Z_95 && count_z >= Z_95 {
        "growing"
    } else if z <= -Z_95 && count_z <= -Z_95 {
        "shrinking"
    } else {
        "stable"
    }
}

/// This run's rows: one per current persona (`current` carries the matched ids and names, in
/// the order of `matching.current`), one per vanished previous persona. Without a previous run
/// every persona is `new`.
pub fn current_rows(
    run_date: NaiveDate,
    previous: Option<(NaiveDate, &[Snapshot])>,
    current: &[Snapshot],
    matching: Option<&Matching>,
) -> Vec<TrendRow> {
    let n_cur = bucket_sizes(current);
    let (prev_date, prev) = match previous {
        Some((d, p)) => (Some(d), p),
        None => (None, &[][..]),
    };
    let n_prev = bucket_sizes(prev);
    let changed = matching.and_then(|m| m.changed_share);
    let base = |p: &Snapshot, status: &str| TrendRow {
        status: Some(status.to_string()),
        contacts_changed_share: changed,
        ..TrendRow::new(
            run_date,
            run_date,
            (p.id.clone(), p.name.clone(), p.bucket.clone()),
            p.size as u64,
            p.share,
        )
    };
    let compare = |row: &mut TrendRow, before: &Snapshot, x2: u64| {
        let n1 = n_prev.get(before.bucket.as_str()).copied().unwrap_or(0);
        let n2 = n_cur.get(before.bucket.as_str()).copied().unwrap_or(0);
        let z = two_proportion_z(before.size as u64, n1, x2, n2);
        row.previous_date = prev_date;
        row.previous_size = Some(before.size as u64);
        row.previous_share = Some(before.share);
        row.share_change = Some(row.share - before.share);
        row.share_change_z = z;
        row.share_change_significant = Some(z.is_some_and(|z| z.abs() >= Z_95));
    };
    let mut rows = Vec::with_capacity(current.len());
    for (j, p) in current.iter().enumerate() {
        let assigned = matching.and_then(|m| m.current.get(j));
        let mut row = base(p, "new");
        let Some(a) = assigned else {
            rows.push(row);
            continue;
        };
        match a.previous {
            Some(i) => {
                let before = &prev[i];
                compare(&mut row, before, p.size as u64);
                row.member_overlap = a.overlap;
                row.profile_distance = a.distance;
                row.lift_changes = lift_changes(before, p);
                let zc = count_z(before.size as u64, p.size as u64);
                row.status = Some(matched_status(a, row.share_change_z, zc).into());
                if !a.absorbed.is_empty() {
                    row.related_persona_ids = Some(
                        a.absorbed
                            .iter()
                            .map(|&k| prev[k].id.as_str())
                            .collect::<Vec<_>>()
                            .join(","),
                    );
                }
            }
            None => {
                if let Some(i) = a.split_from {
                    row.status = Some("split".into());
                    row.related_persona_ids = Some(prev[i].id.clone());
                }
            }
        }
        rows.push(row);
    }
    for v in matching.map(|m| &m.vanished[..]).unwrap_or_default() {
        let before = &prev[v.previous];
        let mut row = base(before, "vanished");
        row.size = 0;
        row.share = 0.0;
        compare(&mut row, before, 0);
        if let Some(j) = v.merged_into {
            row.status = Some("merged".into());
            row.related_persona_ids = current.get(j).map(|c| c.id.clone());
        }
        rows.push(row);
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::identity::{match_personas, TraitPoint};

    fn d(day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, day).unwrap()
    }

    fn snap(id: &str, ids: std::ops::Range<usize>, n: usize, seniority: f64) -> Snapshot {
        let mut traits = BTreeMap::new();
        traits.insert(
            ("job_seniority".to_string(), Some("executive".to_string())),
            TraitPoint {
                value: seniority,
                population: 0.25,
                lift: Some(seniority / 0.25),
                std_diff: (seniority - 0.25) / 0.43,
                distinctive: seniority >= 0.5,
            },
        );
        Snapshot {
            id: id.into(),
            name: format!("Name {id}"),
            bucket: "all".into(),
            size: ids.len(),
            share: ids.len() as f64 / n as f64,
            traits,
            members: ids.map(|i| i.to_string()).collect(),
        }
    }

    #[test]
    fn z_test_matches_a_hand_computation() {
        // 300/1200 -> 500/1400: pooled 800/2600.
        let z = two_proportion_z(300, 1200, 500, 1400).unwrap();
        let p = 800.0 / 2600.0;
        let se: f64 = (p * (1.0 - p) * (1.0 / 1200.0 + 1.0 / 1400.0)) * 1.0;
        assert!((z - (500.0 / 1400.0 - 0.25) / se.sqrt()).abs() < 1e-12);
        assert!(z > Z_95);
        assert_eq!(two_proportion_z(0, 0, 1, 2), None);
        assert_eq!(two_proportion_z(0, 10, 0, 10), None);
        // A small change on small samples is within the sampling error.
        assert!(two_proportion_z(25, 100, 28, 100).unwrap().abs() < Z_95);
    }

    #[test]
    fn statuses_follow_the_changes() {
        // Before: A 300, B 300, C 300 of 900. After: A grew to 700 (400 new contacts), B is
        // unchanged in size (its share fell only because A grew), C vanished, D is new.
        let before = vec![
            snap("persona_1", 0..300, 900, 0.9),
            snap("persona_2", 300..600, 900, 0.1),
            snap("persona_3", 600..900, 900, 0.3),
        ];
        let n = 700 + 300 + 150;
        let mut after = vec![
            snap("x1", 0..300, n, 0.88),
            snap("x2", 300..600, n, 0.1),
            snap("x3", 2000..2150, n, 0.6),
        ];
        after[0].size = 700;
        after[0].share = 700.0 / n as f64;
        after[0].members.extend((1000..1400).map(|i| i.to_string()));
        let m = match_personas(&before, &after, 4);
        for (s, a) in after.iter_mut().zip(&m.current) {
            s.id = a.id.clone();
            s.name = a.name.clone();
        }
        let rows = current_rows(d(21), Some((d(20), &before)), &after, Some(&m));
        let status: Vec<(&str, &str)> = rows
            .iter()
            .map(|r| (r.persona_id.as_str(), r.status.as_deref().unwrap()))
            .collect();
        assert_eq!(
            status,
            [
                ("persona_1", "growing"),
                ("persona_2", "stable"),
                ("persona_4", "new"),
                ("persona_3", "vanished"),
            ]
        );
        let grown = &rows[0];
        assert_eq!((grown.previous_size, grown.size), (Some(300), 700));
        assert!(grown.share_change_significant.unwrap());
        assert_eq!(
            grown.lift_changes.as_deref(),
            Some("job_seniority=executive 3.60 -> 3.52")
        );
        assert!(rows[1].share_change_significant.unwrap(), "B's share fell");
        assert_eq!((rows[3].size, rows[3].share_change), (0, Some(-1.0 / 3.0)));
        assert_eq!(rows[0].contacts_changed_share, Some(0.0));
        // The first run: every persona is new.
        let first = current_rows(d(20), None, &before, None);
        assert!(first.iter().all(|r| r.status.as_deref() == Some("new")));
    }
}
