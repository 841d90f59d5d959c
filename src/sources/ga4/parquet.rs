//! GA4 BigQuery export extracted to Parquet (`bq extract --destination_format=PARQUET`): the
//! export's nested schema kept (`event_params` a list of `{key, value {string_value, int_value,
//! ...}}`, `device`, `geo`, `traffic_source`, `ecommerce` structs). Each row is read into the same
//! event the NDJSON decoder in [`events`](super::events) builds (`parquet_rows`)
//! and flattened by the same code, so both land identical rows in `raw_ga4__events`; a row that
//! cannot be typed is rejected with its row number, the row as JSON text and the reason. Only the
//! columns the landed table needs are read. Here: opening an extract, checking its columns,
//! landing it and checking it for `personas validate`.

use std::borrow::Cow;
use std::fs::File;
use std::path::Path;

use chrono::{DateTime, Utc};
use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::Schema;
use datafusion::arrow::json::LineDelimitedWriter;
use datafusion::parquet::arrow::arrow_reader::{
    ParquetRecordBatchReader, ParquetRecordBatchReaderBuilder,
};
use datafusion::parquet::arrow::{parquet_to_arrow_schema, ProjectionMask};
use datafusion::parquet::file::metadata::ParquetMetaDataReader;

use super::parquet_rows::Columns;
use super::sink::{Batch, EventSink};
use crate::error::{Error, Result};
use crate::landing::{Counts, Reject, BATCH_ROWS};

/// Top-level columns of the export the landed table is made from.
const READ_COLUMNS: [&str; 10] = [
    "event_date",
    "event_timestamp",
    "event_name",
    "event_params",
    "user_id",
    "user_pseudo_id",
    "device",
    "geo",
    "traffic_source",
    "ecommerce",
];

/// Columns every file must have.
const REQUIRED: [&str; 2] = ["event_timestamp", "event_name"];

/// Whether a GA4 input file is a Parquet extract (by its extension).
pub fn is_parquet(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("parquet"))
}

fn bad(file: &str, reason: impl Into<String>) -> Error {
    Error::BadInput {
        file: file.to_string(),
        reason: reason.into(),
    }
}

/// The required columns are there (`MissingColumn` naming the file otherwise).
fn check_schema(schema: &Schema, file: &str) -> Result<()> {
    for column in REQUIRED {
        if schema.field_with_name(column).is_err() {
            let found: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
            return Err(Error::MissingColumn {
                file: file.to_string(),
                column: column.to_string(),
                found: found.join(", "),
            });
        }
    }
    Ok(())
}

/// A reader over the columns we land, `BATCH_ROWS` rows at a time.
fn open(path: &Path) -> Result<ParquetRecordBatchReader> {
    let shown = path.display().to_string();
    let file = File::open(path).map_err(|e| Error::io(path, e))?;
    let builder = ParquetRecordBatchReaderBuilder::try_new(file)
        .map_err(|e| bad(&shown, format!("not a readable Parquet file: {e}")))?;
    check_schema(builder.schema(), &shown)?;
    let present: Vec<&str> = READ_COLUMNS
        .iter()
        .copied()
        .filter(|c| builder.schema().field_with_name(c).is_ok())
        .collect();
    let mask = ProjectionMask::columns(builder.parquet_schema(), present);
    builder
        .with_projection(mask)
        .with_batch_size(BATCH_ROWS)
        .build()
        .map_err(|e| bad(&shown, format!("cannot read the Parquet file: {e}")))
}

/// Land one Parquet extract into one Parquet part of `raw_ga4__events`.
pub fn land_file(
    path: &Path,
    out: &Path,
    loaded_at: DateTime<Utc>,
) -> Result<(Counts, Vec<Reject>)> {
    let shown = path.display().to_string();
    let reader = open(path)?;
    let mut sink = EventSink::create(path, out, loaded_at)?;
    for input in reader {
        let input =
            input.map_err(|e| bad(&shown, format!("unreadable after row {}: {e}", sink.read())))?;
        let columns = Columns::new(&input).map_err(|e| bad(&shown, e))?;
        for i in 0..input.num_rows() {
            let row = sink.read() + 1;
            sink.add(row, columns.event(i), || Cow::Owned(row_json(&input, i)))?;
        }
    }
    sink.finish(&shown)
}

/// Check a local extract (`personas validate`): its columns, and that its first row reads as an
/// event.
pub fn check(path: &Path) -> Result<String> {
    let shown = path.display().to_string();
    let mut reader = open(path)?;
    let first = reader
        .next()
        .transpose()
        .map_err(|e| bad(&shown, format!("unreadable: {e}")))?;
    let Some(first) = first.filter(|b| b.num_rows() > 0) else {
        return Err(bad(&shown, "the GA4 export file has no events"));
    };
    let columns = Columns::new(&first).map_err(|e| bad(&shown, e))?;
    columns
        .event(0)
        .and_then(|ev| Batch::new(DateTime::UNIX_EPOCH).push(&ev, "", 1))
        .map_err(|e| bad(&shown, format!("row 1: {e}")))?;
    Ok("Parquet extract; first row reads as a GA4 event".into())
}

/// Check an extract from its last bytes (`tail`, the end of the file): the footer names the
/// columns and rows without reading any data (`personas validate` on a remote file). `Ok(None)`
/// when the footer is longer than `tail`.
pub fn check_footer(tail: &[u8], file: &str) -> Result<Option<String>> {
    let not_parquet = || bad(file, "not a Parquet file (no PAR1 footer)");
    let Some(split) = tail.len().checked_sub(8) else {
        return Err(not_parquet());
    };
    let (body, footer) = tail.split_at(split);
    if &footer[4..] != b"PAR1" {
        return Err(not_parquet());
    }
    let mut len = [0u8; 4];
    len.copy_from_slice(&footer[..4]);
    let len = u32::from_le_bytes(len) as usize;
    let Some(start) = body.len().checked_sub(len) else {
        return Ok(None);
    };
    let meta = ParquetMetaDataReader::decode_metadata(&body[start..])
        .map_err(|e| bad(file, format!("unreadable Parquet footer: {e}")))?;
    let info = meta.file_metadata();
    let arrow = parquet_to_arrow_schema(info.schema_descr(), info.key_value_metadata())
        .map_err(|e| bad(file, format!("unsupported Parquet schema: {e}")))?;
    check_schema(&arrow, file)?;
    Ok(Some(format!(
        "Parquet extract of {} rows, GA4 event columns present",
        info.num_rows()
    )))
}

/// One row as a line of JSON (the reject's raw text).
fn row_json(batch: &RecordBatch, row: usize) -> Vec<u8> {
    let mut writer = LineDelimitedWriter::new(Vec::new());
    let written = writer
        .write(&batch.slice(row, 1))
        .and_then(|()| writer.finish());
    match written {
        Ok(()) => writer.into_inner(),
        Err(e) => format!("(row {row} of the batch: not representable as JSON: {e})").into_bytes(),
    }
}
