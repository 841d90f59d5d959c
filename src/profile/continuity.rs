//! Persona continuity within a run: this run's profiled personas as [`Snapshot`]s, matched to
//! the previous published run's ([`super::identity`]), the matched ids and names given to the
//! personas and their traits before any table is written, and this run's trend rows made
//! ([`super::trends`]). The pipeline reads the previous run back from disk and hands it in.

use std::collections::HashMap;

use chrono::NaiveDate;
use tracing::info;

use super::identity::{match_with, Matching, Overlap, Snapshot, TraitPoint};
use super::trends::{current_rows, TrendRow};
use super::Profiled;

/// The previous published run, as read back.
#[derive(Debug, Clone, Copy)]
pub struct Previous<'a> {
    /// Its date.
    pub date: NaiveDate,
    /// Its personas.
    pub personas: &'a [Snapshot],
    /// The contacts it shares with this run, per pair of personas.
    pub overlap: &'a Overlap,
    /// One more than the highest persona id ever published.
    pub next_id: usize,
}

/// What continuity found for this run's personas.
#[derive(Debug, Clone)]
pub struct Continued {
    /// The matching, when there was a previous run.
    pub matching: Option<Matching>,
    /// Ids of the previous run's personas found in none of this run's.
    pub vanished: Vec<String>,
    /// This run's trend rows.
    pub rows: Vec<TrendRow>,
}

/// This run's personas as snapshots (ids as profiled; members are counted in the overlap).
fn snapshots(profiled: &Profiled) -> Vec<Snapshot> {
    let mut snaps: Vec<Snapshot> = profiled
        .personas
        .iter()
        .map(|p| Snapshot {
            id: p.id.clone(),
            name: p.name.clone(),
            bucket: p.bucket.clone(),
            size: p.size,
            share: p.share,
            ..Snapshot::default()
        })
        .collect();
    let index: HashMap<&str, usize> = profiled
        .personas
        .iter()
        .enumerate()
        .map(|(i, p)| (p.id.as_str(), i))
        .collect();
    for t in &profiled.traits {
        if let Some(&i) = index.get(t.persona_id.as_str()) {
            snaps[i].traits.insert(
                (t.feature.clone(), t.level.clone()),
                TraitPoint {
                    value: t.persona_value,
                    population: t.population_value,
                    lift: t.lift,
                    std_diff: t.std_diff,
                    distinctive: t.distinctive,
                },
            );
        }
    }
    snaps
}

/// Give the personas (and their traits) the matched ids and names; a renamed persona's
/// description names it by its new name.
fn apply(profiled: &mut Profiled, snaps: &mut [Snapshot], m: &Matching) {
    let mut renamed: HashMap<String, String> = HashMap::new();
    for ((p, s), a) in profiled.personas.iter_mut().zip(snaps).zip(&m.current) {
        renamed.insert(p.id.clone(), a.id.clone());
        if p.name != a.name {
            p.description = p.description.replace(&p.name, &a.name);
        }
        p.id.clone_from(&a.id);
        p.name.clone_from(&a.name);
        s.id.clone_from(&a.id);
        s.name.clone_from(&a.name);
    }
    for t in &mut profiled.traits {
        if let Some(id) = renamed.get(&t.persona_id) {
            t.persona_id.clone_from(id);
        }
    }
}

/// Match this run's personas to `previous` (if any), apply the ids and names, and make this
/// run's trend rows (dated `date`). Without a previous run every persona is new.
pub fn carry_over(
    date: NaiveDate,
    previous: Option<Previous<'_>>,
    profiled: &mut Profiled,
) -> Continued {
    let mut current = snapshots(profiled);
    let Some(prev) = previous else {
        return Continued {
            matching: None,
            vanished: Vec::new(),
            rows: current_rows(date, None, &current, None),
        };
    };
    let before = prev.personas;
    let m = match_with(before, &current, prev.overlap, prev.next_id);
    apply(profiled, &mut current, &m);
    info!(
        previous = %prev.date,
        matched = m.current.iter().filter(|a| a.previous.is_some()).count(),
        new = m.current.iter().filter(|a| a.previous.is_none()).count(),
        vanished = m.vanished.len(),
        "Matched personas to the previous run."
    );
    let rows = current_rows(date, Some((prev.date, before)), &current, Some(&m));
    let vanished = m
        .vanished
        .iter()
        .map(|v| before[v.previous].id.clone())
        .collect();
    Continued {
        matching: Some(m),
        vanished,
        rows,
    }
}
