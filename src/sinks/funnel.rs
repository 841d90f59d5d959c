//! The `persona_funnel` table as Parquet: the funnel rows [`crate::profile::funnel`] computes
//! (every persona's steps from visit to purchase, then its repeat buyers, against the rest of
//! its bucket), written per run as `persona_funnel/run_date=<d>/part-0.parquet` into the run's
//! staging folder; the pipeline publishes it.

use std::path::Path;
use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, BooleanArray, UInt32Array, UInt64Array};

use super::{floats, schema, strings, table};
use crate::error::Result;
use crate::profile::funnel::FunnelStep;

/// `persona_funnel`: one row per persona and step (see [`schema::persona_funnel`]).
pub fn write_funnel(path: &Path, run_date: &str, rows: &[FunnelStep]) -> Result<()> {
    let counts = |f: fn(&FunnelStep) -> usize| -> ArrayRef {
        Arc::new(UInt64Array::from_iter_values(
            rows.iter().map(|r| f(r) as u64),
        ))
    };
    table(
        path,
        schema::persona_funnel::columns(),
        vec![
            strings(rows.iter().map(|_| Some(run_date))),
            strings(rows.iter().map(|r| Some(r.persona_id.as_str()))),
            strings(rows.iter().map(|r| Some(r.bucket.as_str()))),
            strings(rows.iter().map(|r| Some(r.step))),
            Arc::new(UInt32Array::from_iter_values(
                rows.iter().map(|r| r.step_order),
            )),
            counts(|r| r.contacts),
            counts(|r| r.base),
            floats(rows.iter().map(|r| r.rate)),
            floats(rows.iter().map(|r| r.rate_ci.map(|c| c.0))),
            floats(rows.iter().map(|r| r.rate_ci.map(|c| c.1))),
            counts(|r| r.rest_contacts),
            counts(|r| r.rest_base),
            floats(rows.iter().map(|r| r.rest_rate)),
            floats(rows.iter().map(|r| r.p_value)),
            Arc::new(BooleanArray::from_iter(
                rows.iter().map(|r| Some(r.biggest_drop)),
            )),
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
