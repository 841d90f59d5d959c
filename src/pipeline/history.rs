//! Published runs read back, for persona identities and trends: the personas, their traits, the
//! contacts they share with this run's personas, and the trend rows of earlier dates, read only from published dates (those with a
//! `_SUCCESS` marker, see [`crate::output::publish`]).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;

use crate::error::{Error, Result};
use crate::features::FeatureTable;
use crate::output::parquet::ParquetTable;
use crate::output::{partition, PART};
use crate::profile::identity::{id_number, index_by_id, Overlap, Snapshot, TraitPoint};
use crate::profile::trends::TrendRow;
use crate::profile::Persona;
use crate::sinks::schema::persona_trends as T;
use crate::sinks::schema::{persona_members, persona_traits, personas};

/// The `bucket` column, or `all` on every row for tables written before buckets existed.
fn buckets(t: &ParquetTable, rows: usize) -> Result<Vec<String>> {
    if !t.has(personas::BUCKET) {
        return Ok(vec!["all".to_string(); rows]);
    }
    Ok(t.strings(personas::BUCKET)?
        .into_iter()
        .map(|b| b.unwrap_or_else(|| "all".into()))
        .collect())
}

fn part(out: &Path, table: &str, date: NaiveDate) -> PathBuf {
    out.join(partition(table, date)).join(PART)
}

fn bad(path: &Path, reason: String) -> Error {
    Error::BadInput {
        file: path.display().to_string(),
        reason,
    }
}

/// The personas of a published run, each with its traits (members: see [`overlap`]).
pub fn load_run(out: &Path, date: NaiveDate) -> Result<Vec<Snapshot>> {
    let mut snaps = load_personas_only(out, date)?;
    let index: BTreeMap<String, usize> = snaps
        .iter()
        .enumerate()
        .map(|(i, s)| (s.id.clone(), i))
        .collect();

    let traits_path = part(out, persona_traits::TABLE, date);
    let traits = ParquetTable::read(&traits_path)?;
    let (t_ids, features, levels) = (
        traits.required(persona_traits::PERSONA_ID)?,
        traits.required(persona_traits::FEATURE)?,
        traits.strings(persona_traits::LEVEL)?,
    );
    let (values, population, lifts, std_diffs, distinctive) = (
        traits.floats(persona_traits::PERSONA_VALUE)?,
        traits.floats(persona_traits::POPULATION_VALUE)?,
        traits.floats(persona_traits::LIFT)?,
        traits.floats(persona_traits::STD_DIFF)?,
        traits.bools(persona_traits::DISTINCTIVE)?,
    );
    for (row, id) in t_ids.iter().enumerate() {
        let Some(&i) = index.get(id) else {
            return Err(bad(
                &traits_path,
                format!(
                    "row {}: persona `{id}` is not in the run's personas",
                    row + 1
                ),
            ));
        };
        snaps[i].traits.insert(
            (features[row].clone(), levels[row].clone()),
            TraitPoint {
                value: values[row].unwrap_or(0.0),
                population: population[row].unwrap_or(0.0),
                lift: lifts[row],
                std_diff: std_diffs[row].unwrap_or(0.0),
                distinctive: distinctive[row].unwrap_or(false),
            },
        );
    }

    Ok(snaps)
}

/// The contacts the published run of `date` (its personas `previous`, as [`load_run`] read
/// them) shares with this run, per pair of personas of the same bucket: its `persona_members`
/// read against this run's `members` ((contact row of `table`, persona) pairs, ascending by
/// row) of `current` personas. A contact no longer in the feature table counts in no pair.
/// The pairs of the current personas `elsewhere` says are counted elsewhere (by the engine,
/// see [`super::overlap`]) are left out; when that is all of them the file is not read.
pub fn overlap(
    out: &Path,
    date: NaiveDate,
    previous: &[Snapshot],
    table: &FeatureTable,
    members: &[(usize, usize)],
    current: &[Persona],
    elsewhere: impl Fn(usize) -> bool,
) -> Result<Overlap> {
    let mut current_sizes = vec![0; current.len()];
    members.iter().for_each(|&(_, j)| current_sizes[j] += 1);
    let mut pairs = BTreeMap::new();
    if (0..current.len()).all(&elsewhere) {
        return Ok(Overlap {
            pairs,
            current_sizes,
        });
    }
    let index = index_by_id(previous);
    let row_of = table.index();
    let path = part(out, persona_members::TABLE, date);
    // Read a batch at a time: the previous run's members are as many as its contacts.
    let columns = [persona_members::PERSONA_ID, persona_members::CONTACT_ID];
    let mut row = 0;
    for batch in ParquetTable::batches(&path, &columns)? {
        let batch = batch?;
        let ids = batch.strings(persona_members::PERSONA_ID)?;
        let contacts = batch.strings(persona_members::CONTACT_ID)?;
        for (id, contact) in ids.iter().zip(&contacts) {
            row += 1;
            let (Some(id), Some(contact)) = (id, contact) else {
                let reason = format!("row {row}: a member without its persona or contact id");
                return Err(bad(&path, reason));
            };
            let Some(&i) = index.get(id.as_str()) else {
                let reason = format!("row {row}: persona `{id}` is not in the run's personas");
                return Err(bad(&path, reason));
            };
            let Some(r) = row_of.row(contact) else {
                continue;
            };
            // the contact's personas in this run, one per bucket it is in
            let from = members.partition_point(|&(m, _)| m < r);
            let mine = members[from..].iter().take_while(|&&(m, _)| m == r);
            let here = |j: usize| current[j].bucket == previous[i].bucket && !elsewhere(j);
            for &(_, j) in mine.filter(|&&(_, j)| here(j)) {
                *pairs.entry((i, j)).or_default() += 1;
            }
        }
    }
    Ok(Overlap {
        pairs,
        current_sizes,
    })
}

/// One more than the highest `persona_<n>` id of the published runs `dates`.
pub fn next_id(out: &Path, dates: &[NaiveDate]) -> Result<usize> {
    let mut max = 0;
    for &d in dates {
        let t = ParquetTable::read(&part(out, personas::TABLE, d))?;
        for id in t.strings(personas::PERSONA_ID)?.into_iter().flatten() {
            max = max.max(id_number(&id).unwrap_or(0));
        }
    }
    Ok(max + 1)
}

/// The trend rows of the published runs `dates`, as `run_date`'s history: each date's own rows
/// from its `persona_trends` partition, or, for a run made before trends were recorded, its
/// personas' sizes and shares.
pub fn history_rows(out: &Path, dates: &[NaiveDate], run_date: NaiveDate) -> Result<Vec<TrendRow>> {
    let mut rows = Vec::new();
    for &d in dates {
        let path = part(out, T::TABLE, d);
        if path.is_file() {
            rows.extend(read_own_trends(&path, d, run_date)?);
            continue;
        }
        for p in load_personas_only(out, d)? {
            rows.push(TrendRow::new(
                run_date,
                d,
                (p.id, p.name, p.bucket),
                p.size as u64,
                p.share,
            ));
        }
    }
    Ok(rows)
}

fn load_personas_only(out: &Path, date: NaiveDate) -> Result<Vec<Snapshot>> {
    let t = ParquetTable::read(&part(out, personas::TABLE, date))?;
    let ids = t.required(personas::PERSONA_ID)?;
    let (names, sizes, shares) = (
        t.required(personas::PERSONA_NAME)?,
        t.counts(personas::SIZE)?,
        t.floats(personas::SHARE)?,
    );
    let buckets = buckets(&t, ids.len())?;
    Ok(ids
        .into_iter()
        .enumerate()
        .map(|(i, id)| Snapshot {
            id,
            name: names[i].clone(),
            bucket: buckets[i].clone(),
            size: sizes[i].unwrap_or(0) as usize,
            share: shares[i].unwrap_or(0.0),
            ..Snapshot::default()
        })
        .collect())
}

/// The rows a published `persona_trends` partition wrote about its own date.
fn read_own_trends(path: &Path, own: NaiveDate, run_date: NaiveDate) -> Result<Vec<TrendRow>> {
    let t = ParquetTable::read(path)?;
    let date = |v: Option<String>, row: usize| -> Result<Option<NaiveDate>> {
        v.map(|s| {
            NaiveDate::parse_from_str(&s, "%Y-%m-%d")
                .map_err(|e| bad(path, format!("row {}: date `{s}`: {e}", row + 1)))
        })
        .transpose()
    };
    let dates = t.strings(T::DATE)?;
    let (ids, names, buckets, status) = (
        t.required(T::PERSONA_ID)?,
        t.required(T::PERSONA_NAME)?,
        t.required(T::BUCKET)?,
        t.strings(T::STATUS)?,
    );
    let (sizes, shares, prev_dates, prev_sizes, prev_shares) = (
        t.counts(T::SIZE)?,
        t.floats(T::SHARE)?,
        t.strings(T::PREVIOUS_DATE)?,
        t.counts(T::PREVIOUS_SIZE)?,
        t.floats(T::PREVIOUS_SHARE)?,
    );
    let (change, z, significant, overlap, distance) = (
        t.floats(T::SHARE_CHANGE)?,
        t.floats(T::SHARE_CHANGE_Z)?,
        t.bools(T::SHARE_CHANGE_SIGNIFICANT)?,
        t.floats(T::MEMBER_OVERLAP)?,
        t.floats(T::PROFILE_DISTANCE)?,
    );
    let (related, lifts, changed) = (
        t.strings(T::RELATED_PERSONA_IDS)?,
        t.strings(T::LIFT_CHANGES)?,
        t.floats(T::CONTACTS_CHANGED_SHARE)?,
    );
    let mut rows = Vec::new();
    for (i, d) in dates.into_iter().enumerate() {
        if date(d, i)? != Some(own) {
            continue;
        }
        rows.push(TrendRow {
            run_date,
            date: own,
            persona_id: ids[i].clone(),
            persona_name: names[i].clone(),
            bucket: buckets[i].clone(),
            status: status[i].clone(),
            size: sizes[i].unwrap_or(0),
            share: shares[i].unwrap_or(0.0),
            previous_date: date(prev_dates[i].clone(), i)?,
            previous_size: prev_sizes[i],
            previous_share: prev_shares[i],
            share_change: change[i],
            share_change_z: z[i],
            share_change_significant: significant[i],
            member_overlap: overlap[i],
            profile_distance: distance[i],
            related_persona_ids: related[i].clone(),
            lift_changes: lifts[i].clone(),
            contacts_changed_share: changed[i],
        });
    }
    Ok(rows)
}
