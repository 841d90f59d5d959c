//! The `persona_funnel` table as Parquet: the funnel rows [`crate::profile::funnel`] computes
//! (every persona's steps from visit to purchase, then its repeat buyers, against the rest of
//! its bucket), written per run as `persona_funnel/run_date=<d>/part-0.parquet` into the run's
//! staging folder; the pipeline publishes it.

use std::path::Path;

use super::columns::{column, write_table};
use super::schema;
use crate::error::Result;
use crate::profile::funnel::FunnelStep;

/// `persona_funnel`: one row per persona and step (see [`schema::persona_funnel`]).
pub fn write_funnel(path: &Path, run_date: &str, rows: &[FunnelStep]) -> Result<()> {
    let count = |n: usize| Some(n as u64);
    write_table(
        path,
        schema::persona_funnel::columns(),
        vec![
            column(rows, |_| Some(run_date)),
            column(rows, |r| Some(r.persona_id.as_str())),
            column(rows, |r| Some(r.bucket.as_str())),
            column(rows, |r| Some(r.step)),
            column(rows, |r| Some(r.step_order)),
            column(rows, |r| count(r.contacts)),
            column(rows, |r| count(r.base)),
            column(rows, |r| r.rate),
            column(rows, |r| r.rate_ci.map(|c| c.0)),
            column(rows, |r| r.rate_ci.map(|c| c.1)),
            column(rows, |r| count(r.rest_contacts)),
            column(rows, |r| count(r.rest_base)),
            column(rows, |r| r.rest_rate),
            column(rows, |r| r.p_value),
            column(rows, |r| Some(r.biggest_drop)),
        ],
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::AsArray;
    use datafusion::arrow::datatypes::{Float64Type, UInt64Type};

    #[test]
    fn funnel_rows_are_written_in_schema_order_with_nulls() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("part-0.parquet");
        let row = FunnelStep {
            persona_id: "persona_1".into(),
            bucket: "all".into(),
            step: "cart",
            step_order: 3,
            contacts: 4,
            base: 0,
            rate: None,
            rate_ci: None,
            rest_contacts: 2,
            rest_base: 8,
            rest_rate: Some(0.25),
            p_value: None,
            biggest_drop: true,
        };
        write_funnel(&path, "2026-11-20", &[row]).unwrap();
        let file = std::fs::File::open(&path).unwrap();
        let batch =
            datafusion::parquet::arrow::arrow_reader::ParquetRecordBatchReader::try_new(file, 64)
                .unwrap()
                .next()
                .unwrap()
                .unwrap();
        let names: Vec<&str> = schema::persona_funnel::columns()
            .iter()
            .map(|c| c.0)
            .collect();
        let written: Vec<String> = batch
            .schema()
            .fields()
            .iter()
            .map(|f| f.name().clone())
            .collect();
        assert_eq!(written, names);
        let col = |n: &str| batch.column_by_name(n).unwrap().clone();
        assert_eq!(col("contacts").as_primitive::<UInt64Type>().value(0), 4);
        assert!(col("rate").is_null(0));
        assert_eq!(
            col("rest_rate").as_primitive::<Float64Type>().value(0),
            0.25
        );
        assert!(col("biggest_drop").as_boolean().value(0));
    }
}
