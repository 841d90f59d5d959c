//! The `persona_trends` table as Parquet: the trend rows [`crate::profile::trends`] computes,
//! written per run as `persona_trends/run_date=<d>/part-0.parquet` into the run's staging
//! folder; the pipeline publishes it.

use std::path::Path;

use chrono::NaiveDate;
use datafusion::arrow::datatypes::SchemaRef;

use super::columns::{column, nullable_schema, write_arrays};
use crate::error::Result;
use crate::profile::trends::TrendRow;
use crate::sinks::schema::persona_trends::columns;

/// Schema of `persona_trends` (its columns are defined in [`super::schema`]).
pub fn schema() -> SchemaRef {
    nullable_schema(columns())
}

/// Write `persona_trends` rows as one Parquet file.
pub fn write_trends(path: &Path, rows: &[TrendRow]) -> Result<()> {
    let day = |d: NaiveDate| Some(d.to_string());
    let arrays = vec![
        column(rows, |r| day(r.run_date)),
        column(rows, |r| day(r.date)),
        column(rows, |r| Some(r.persona_id.as_str())),
        column(rows, |r| Some(r.persona_name.as_str())),
        column(rows, |r| Some(r.bucket.as_str())),
        column(rows, |r| r.status.as_deref()),
        column(rows, |r| Some(r.size)),
        column(rows, |r| Some(r.share)),
        column(rows, |r| r.previous_date.and_then(day)),
        column(rows, |r| r.previous_size),
        column(rows, |r| r.previous_share),
        column(rows, |r| r.share_change),
        column(rows, |r| r.share_change_z),
        column(rows, |r| r.share_change_significant),
        column(rows, |r| r.member_overlap),
        column(rows, |r| r.profile_distance),
        column(rows, |r| r.related_persona_ids.as_deref()),
        column(rows, |r| r.lift_changes.as_deref()),
        column(rows, |r| r.contacts_changed_share),
    ];
    write_arrays(path, schema(), arrays)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::identity::Snapshot;
    use crate::profile::trends::current_rows;
    use datafusion::arrow::array::RecordBatch;

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
