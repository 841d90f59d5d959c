//! Published runs read back, for persona identities and trends: the personas, their traits and
//! members, and the trend rows of earlier dates, read only from published dates (those with a
//! `_SUCCESS` marker, see [`super::publish`]).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use datafusion::arrow::array::{Array, AsArray, RecordBatch};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{ArrowPrimitiveType, DataType, Float64Type, UInt64Type};
use datafusion::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use super::partition;
use crate::error::{Error, Result};
use crate::profile::identity::{id_number, Snapshot, TraitPoint};
use crate::profile::trends::TrendRow;
use crate::sinks::PART;

/// A published Parquet table read whole, with typed column access that names the file and
/// column on error.
struct Table {
    path: PathBuf,
    batches: Vec<RecordBatch>,
}

impl Table {
    fn read(path: &Path) -> Result<Table> {
        let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
        let reader = ParquetRecordBatchReaderBuilder::try_new(file)?.build()?;
        let batches = reader.collect::<std::result::Result<Vec<_>, _>>()?;
        Ok(Table {
            path: path.to_path_buf(),
            batches,
        })
    }

    fn has(&self, column: &str) -> bool {
        self.batches
            .first()
            .is_some_and(|b| b.column_by_name(column).is_some())
    }

    /// A column of every batch, cast to `to`.
    fn column(&self, column: &str, to: &DataType) -> Result<Vec<std::sync::Arc<dyn Array>>> {
        let mut out = Vec::with_capacity(self.batches.len());
        for b in &self.batches {
            let Some(c) = b.column_by_name(column) else {
                return Err(Error::MissingColumn {
                    file: self.path.display().to_string(),
                    column: column.to_string(),
                    found: b
                        .schema()
                        .fields()
                        .iter()
                        .map(|f| f.name().as_str())
                        .collect::<Vec<_>>()
                        .join(", "),
                });
            };
            out.push(cast(c, to)?);
        }
        Ok(out)
    }

    fn strings(&self, column: &str) -> Result<Vec<Option<String>>> {
        let mut v = Vec::new();
        for a in self.column(column, &DataType::Utf8)? {
            v.extend(a.as_string::<i32>().iter().map(|s| s.map(str::to_string)));
        }
        Ok(v)
    }

    /// A text column that must have a value on every row.
    fn required(&self, column: &str) -> Result<Vec<String>> {
        self.strings(column)?
            .into_iter()
            .enumerate()
            .map(|(row, v)| {
                v.ok_or_else(|| Error::BadInput {
                    file: self.path.display().to_string(),
                    reason: format!("row {}: column `{column}` is empty", row + 1),
                })
            })
            .collect()
    }

    fn numbers<T: ArrowPrimitiveType>(&self, column: &str) -> Result<Vec<Option<T::Native>>> {
        let mut v = Vec::new();
        for a in self.column(column, &T::DATA_TYPE)? {
            v.extend(a.as_primitive::<T>().iter());
        }
        Ok(v)
    }

    fn floats(&self, column: &str) -> Result<Vec<Option<f64>>> {
        self.numbers::<Float64Type>(column)
    }

    fn counts(&self, column: &str) -> Result<Vec<Option<u64>>> {
        self.numbers::<UInt64Type>(column)
    }

    fn bools(&self, column: &str) -> Result<Vec<Option<bool>>> {
        let mut v = Vec::new();
        for a in self.column(column, &DataType::Boolean)? {
            v.extend(a.as_boolean().iter());
        }
        Ok(v)
    }

    /// The `bucket` column, or `all` on every row for tables written before buckets existed.
    fn buckets(&self, rows: usize) -> Result<Vec<String>> {
        if !self.has("bucket") {
            return Ok(vec!["all".to_string(); rows]);
        }
        Ok(self
            .strings("bucket")?
            .into_iter()
            .map(|b| b.unwrap_or_else(|| "all".into()))
            .collect())
    }
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

/// The personas of a published run, each with its traits and members.
pub fn load_run(out: &Path, date: NaiveDate) -> Result<Vec<Snapshot>> {
    let personas = Table::read(&part(out, "personas", date))?;
    let ids = personas.required("persona_id")?;
    let names = personas.required("persona_name")?;
    let sizes = personas.counts("size")?;
    let shares = personas.floats("share")?;
    let buckets = personas.buckets(ids.len())?;
    let mut snaps: Vec<Snapshot> = Vec::with_capacity(ids.len());
    let mut index = BTreeMap::new();
    for (i, id) in ids.into_iter().enumerate() {
        index.insert(id.clone(), i);
        snaps.push(Snapshot {
            id,
            name: names[i].clone(),
            bucket: buckets[i].clone(),
            size: sizes[i].unwrap_or(0) as usize,
            share: shares[i].unwrap_or(0.0),
            ..Snapshot::default()
        });
    }

    let traits_path = part(out, "persona_traits", date);
    let traits = Table::read(&traits_path)?;
    let (t_ids, features, levels) = (
        traits.required("persona_id")?,
        traits.required("feature")?,
        traits.strings("level")?,
    );
    let (values, population, lifts, std_diffs, distinctive) = (
        traits.floats("persona_value")?,
        traits.floats("population_value")?,
        traits.floats("lift")?,
        traits.floats("std_diff")?,
        traits.bools("distinctive")?,
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

    let members_path = part(out, "persona_members", date);
    let members = Table::read(&members_path)?;
    let (m_ids, contacts) = (
        members.required("persona_id")?,
        members.required("contact_id")?,
    );
    for (row, (id, contact)) in m_ids.iter().zip(contacts).enumerate() {
        let Some(&i) = index.get(id) else {
            return Err(bad(
                &members_path,
                format!(
                    "row {}: persona `{id}` is not in the run's personas",
                    row + 1
                ),
            ));
        };
        snaps[i].members.push(contact);
    }
    Ok(snaps)
}

/// One more than the highest `persona_<n>` id of the published runs `dates`.
pub fn next_id(out: &Path, dates: &[NaiveDate]) -> Result<usize> {
    let mut max = 0;
    for &d in dates {
        let t = Table::read(&part(out, "personas", d))?;
        for id in t.strings("persona_id")?.into_iter().flatten() {
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
        let path = part(out, "persona_trends", d);
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
    let t = Table::read(&part(out, "personas", date))?;
    let ids = t.required("persona_id")?;
    let (names, sizes, shares) = (
        t.required("persona_name")?,
        t.counts("size")?,
        t.floats("share")?,
    );
    let buckets = t.buckets(ids.len())?;
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
    let t = Table::read(path)?;
    let date = |v: Option<String>, row: usize| -> Result<Option<NaiveDate>> {
        v.map(|s| {
            NaiveDate::parse_from_str(&s, "%Y-%m-%d")
                .map_err(|e| bad(path, format!("row {}: date `{s}`: {e}", row + 1)))
        })
        .transpose()
    };
    let dates = t.strings("date")?;
    let (ids, names, buckets, status) = (
        t.required("persona_id")?,
        t.required("persona_name")?,
        t.required("bucket")?,
        t.strings("status")?,
    );
    let (sizes, shares, prev_dates, prev_sizes, prev_shares) = (
        t.counts("size")?,
        t.floats("share")?,
        t.strings("previous_date")?,
        t.counts("previous_size")?,
        t.floats("previous_share")?,
    );
    let (change, z, significant, overlap, distance) = (
        t.floats("share_change")?,
        t.floats("share_change_z")?,
        t.bools("share_change_significant")?,
        t.floats("member_overlap")?,
        t.floats("profile_distance")?,
    );
    let (related, lifts, changed) = (
        t.strings("related_persona_ids")?,
        t.strings("lift_changes")?,
        t.floats("contacts_changed_share")?,
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
