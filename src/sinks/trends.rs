//! The `persona_trends` table as Parquet: the trend rows [`crate::profile::trends`] computes,
//! written per run as `persona_trends/run_date=<d>/part-0.parquet` into the run's staging
//! folder; the pipeline publishes it.

use std::path::Path;
use std::sync::Arc;

use chrono::NaiveDate;
use datafusion::arrow::array::{
    ArrayRef, BooleanBuilder, Float64Builder, RecordBatch, StringBuilder, UInt64Builder,
};
use datafusion::arrow::datatypes::{Field, Schema, SchemaRef};

use crate::error::Result;
use crate::output::parquet::write_parquet;
use crate::profile::trends::TrendRow;
use crate::sinks::schema::persona_trends::columns;

/// Schema of `persona_trends` (its columns are defined in [`super::schema`]).
pub fn schema() -> SchemaRef {
    let fields: Vec<Field> = columns()
        .into_iter()
        .map(|(name, t)| Field::new(name, t, true))
        .collect();
    Arc::new(Schema::new(fields))
}

fn strings<'a>(rows: &'a [TrendRow], f: impl Fn(&'a TrendRow) -> Option<String>) -> ArrayRef {
    let mut b = StringBuilder::new();
    for r in rows {
        b.append_option(f(r));
    }
    Arc::new(b.finish())
}

fn floats(rows: &[TrendRow], f: impl Fn(&TrendRow) -> Option<f64>) -> ArrayRef {
    let mut b = Float64Builder::new();
    for r in rows {
        b.append_option(f(r));
    }
    Arc::new(b.finish())
}

fn counts(rows: &[TrendRow], f: impl Fn(&TrendRow) -> Option<u64>) -> ArrayRef {
    let mut b = UInt64Builder::new();
    for r in rows {
        b.append_option(f(r));
    }
    Arc::new(b.finish())
}

/// Write `persona_trends` rows as one Parquet file.
pub fn write_trends(path: &Path, rows: &[TrendRow]) -> Result<()> {
    let mut significant = BooleanBuilder::new();
    for r in rows {
        significant.append_option(r.share_change_significant);
    }
    let day = |d: NaiveDate| Some(d.to_string());
    let columns: Vec<ArrayRef> = vec![
        strings(rows, |r| day(r.run_date)),
        strings(rows, |r| day(r.date)),
        strings(rows, |r| Some(r.persona_id.clone())),
        strings(rows, |r| Some(r.persona_name.clone())),
        strings(rows, |r| Some(r.bucket.clone())),
        strings(rows, |r| r.status.clone()),
        counts(rows, |r| Some(r.size)),
        floats(rows, |r| Some(r.share)),
        strings(rows, |r| r.previous_date.map(|d| d.to_string())),
        counts(rows, |r| r.previous_size),
        floats(rows, |r| r.previous_share),
        floats(rows, |r| r.share_change),
        floats(rows, |r| r.share_change_z),
        Arc::new(significant.finish()),
        floats(rows, |r| r.member_overlap),
        floats(rows, |r| r.profile_distance),
        strings(rows, |r| r.related_persona_ids.clone()),
        strings(rows, |r| r.lift_changes.clone()),
        floats(rows, |r| r.contacts_changed_share),
    ];
    let schema = schema();
    let batch = RecordBatch::try_new(schema.clone(), columns)?;
    write_parquet(path, schema, &[batch])?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::identity::Snapshot;
    use crate::profile::trends::current_rows;

    #[test]
    fn trends_are_written_as_parquet() {
        let before = vec![Snapshot {
            id: "persona_1".into(),
            name: "Name persona_1".into(),
            bucket: "all".into(),
            size: 10,
            share: 1.0,
            members: (0..10).map(|i| i.to_string()).collect(),
            ..Snapshot::default()
        }];
        let day = NaiveDate::from_ymd_opt(2026, 11, 20).unwrap();
        let rows = current_rows(day, None, &before, None);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("part-0.parquet");
        write_trends(&path, &rows).unwrap();
        let file = std::fs::File::open(&path).unwrap();
        let reader =
            datafusion::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(
                file,
            )
            .unwrap()
            .build()
            .unwrap();
        let batches: Vec<RecordBatch> = reader.map(|b| b.unwrap()).collect();
        assert_eq!(batches[0].num_rows(), 1);
        assert_eq!(batches[0].schema().fields().len(), schema().fields().len());
    }
}
