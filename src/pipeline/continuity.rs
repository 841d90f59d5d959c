//! Persona continuity across runs, inside a run: reads the previous published run back
//! ([`history`]) and hands it to [`crate::profile::continuity`], which matches this run's
//! personas to it and applies the matched ids and names before any table is written; the
//! `persona_trends` rows are the published history plus this run's.

use std::path::Path;

use chrono::NaiveDate;

use super::history;
use super::overlap::EnginePairs;
use crate::error::Result;
use crate::features::FeatureTable;
use crate::profile::continuity::{carry_over, Previous};
use crate::profile::identity::Matching;
use crate::profile::trends::TrendRow;
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

/// The published runs before `date`, ascending: the last is the one this run is matched to.
///
/// # Errors
/// When the output folder's manifests cannot be listed.
pub fn published_before(out: &Path, date: NaiveDate) -> Result<Vec<NaiveDate>> {
    Ok(crate::output::published_dates(out)?
        .into_iter()
        .filter(|d| *d < date)
        .collect())
}

/// Match this run's personas to the latest published run before `date`, apply the ids and
/// names, and make the trend rows. The contacts the personas share with the previous run's
/// are counted from the members of `profiled`, but for the buckets whose pairs the engine
/// counted (`engine`, against that same run).
pub fn track(
    out: &Path,
    date: NaiveDate,
    table: &FeatureTable,
    profiled: &mut Profiled,
    engine: Option<&EnginePairs>,
) -> Result<Tracked> {
    let dates = published_before(out, date)?;
    let before = match dates.last() {
        Some(&prev) => {
            let personas = history::load_run(out, prev)?;
            let (members, current) = (&profiled.members, &profiled.personas);
            let elsewhere =
                |j: usize| engine.is_some_and(|e| e.buckets.contains(&current[j].bucket));
            let mut overlap =
                history::overlap(out, prev, &personas, table, members, current, elsewhere)?;
            if let Some(engine) = engine {
                engine.add_to(&mut overlap, prev, &personas, current)?;
            }
            Some((prev, personas, overlap))
        }
        None => None,
    };
    let previous = match &before {
        Some((prev, personas, overlap)) => Some(Previous {
            date: *prev,
            personas,
            overlap,
            next_id: history::next_id(out, &dates)?,
        }),
        None => None,
    };
    let continued = carry_over(date, previous, profiled);
    Ok(Tracked {
        previous: before.map(|(prev, ..)| prev),
        matching: continued.matching,
        vanished: continued.vanished,
        history: history::history_rows(out, &dates, date)?,
        current: continued.rows,
    })
}
