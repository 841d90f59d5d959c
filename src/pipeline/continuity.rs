//! Persona continuity across runs, inside a run: this run's personas are matched to the previous
//! published run's ([`crate::profile::identity`]), the matched ids and names are applied before
//! any table is written, and the `persona_trends` rows are made from the published history plus
//! this run ([`crate::profile::trends`]).

use std::collections::HashMap;
use std::path::Path;

use chrono::NaiveDate;
use tracing::info;

use super::history;
use crate::error::Result;
use crate::features::FeatureTable;
use crate::profile::identity::{match_personas, Matching, Snapshot, TraitPoint};
use crate::profile::trends::{current_rows, TrendRow};
use crate::profile::Profiled;

/// What continuity found for a run.
#[derive(Debug, Clone)]
pub struct Tracked {
    /// The published run matched against.
    pub previous: Option<NaiveDate>,
    /// The matching, when there was a previous run.
    pub matching: Option<Matching>,
    /// Ids of the previous run's personas found in none of this run's.
    pub vanished: Vec<String>,
    /// Rows of the earlier published runs.
    pub history: Vec<TrendRow>,
    /// This run's rows.
    pub current: Vec<TrendRow>,
}

/// This run's personas as snapshots (ids as profiled).
fn snapshots(table: &FeatureTable, profiled: &Profiled) -> Vec<Snapshot> {
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
    for &(row, p) in &profiled.members {
        if let (Some(s), Some(id)) = (snaps.get_mut(p), table.contact_ids.get(row)) {
            s.members.push(id.clone());
        }
    }
    snaps
}

/// Give the personas (and their traits) the matched ids and names.
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

/// Match this run's personas to the latest published run before `date`, apply the ids and
/// names, and make the trend rows.
pub fn track(
    out: &Path,
    date: NaiveDate,
    table: &FeatureTable,
    profiled: &mut Profiled,
) -> Result<Tracked> {
    let dates: Vec<NaiveDate> = crate::output::published_dates(out)?
        .into_iter()
        .filter(|d| *d < date)
        .collect();
    let mut current = snapshots(table, profiled);
    let (previous, matching, rows, vanished) = match dates.last() {
        Some(&prev) => {
            let before = history::load_run(out, prev)?;
            let next = history::next_id(out, &dates)?;
            let m = match_personas(&before, &current, next);
            apply(profiled, &mut current, &m);
            info!(
                previous = %prev,
                matched = m.current.iter().filter(|a| a.previous.is_some()).count(),
                new = m.current.iter().filter(|a| a.previous.is_none()).count(),
                vanished = m.vanished.len(),
                "Matched personas to the previous run."
            );
            let rows = current_rows(date, Some((prev, &before)), &current, Some(&m));
            let vanished = m
                .vanished
                .iter()
                .map(|v| before[v.previous].id.clone())
                .collect();
            (Some(prev), Some(m), rows, vanished)
        }
        None => (
            None,
            None,
            current_rows(date, None, &current, None),
            Vec::new(),
        ),
    };
    Ok(Tracked {
        previous,
        matching,
        vanished,
        history: history::history_rows(out, &dates, date)?,
        current: rows,
    })
}
