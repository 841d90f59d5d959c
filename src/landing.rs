//! Landing: every source is written as Parquet under `landing/<raw table>/run_date=<date>/`, with
//! the source file name, line and load time on each row, and every row that could not be read
//! is written to `rejects/source=<name>/run_date=<date>/` with its reason. Nothing is dropped
//! silently: `read = accepted + rejected` for every source.

use std::path::Path;
use std::sync::Arc;

use datafusion::arrow::array::{
    ArrayRef, BooleanArray, Float64Array, Int64Array, Int64Builder, RecordBatch, StringArray,
    StringBuilder, TimestampMicrosecondArray, TimestampMicrosecondBuilder,
};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};

use crate::error::Result;
use crate::output::parquet::write_parquet;
use crate::output::PART;

/// Rows per Arrow batch while landing.
pub const BATCH_ROWS: usize = 65_536;

/// Columns added to every landed row.
pub const SOURCE_FILE: &str = "_source_file";
/// Line in the source file where the row starts (1-based).
pub const SOURCE_LINE: &str = "_source_line";
/// The logical timestamp of the run that loaded the row (its run date at 00:00 UTC, so a rerun
/// lands identical rows; the wall-clock times are in the run manifest).
pub const LOADED_AT: &str = "_loaded_at";

/// The lineage columns every landed table ends with: source file, line, load time.
pub fn lineage_fields() -> [Field; 3] {
    [
        Field::new(SOURCE_FILE, DataType::Utf8, false),
        Field::new(SOURCE_LINE, DataType::Int64, false),
        Field::new(
            LOADED_AT,
            DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
            false,
        ),
    ]
}

/// The schema of a landed table: the source's own `fields`, then the lineage columns.
pub fn landed_schema(mut fields: Vec<Field>) -> SchemaRef {
    fields.extend(lineage_fields());
    Arc::new(Schema::new(fields))
}

/// Builds the lineage columns of landed rows, one `push` per row; [`finish`](Lineage::finish)
/// gives the columns to put after the row's own (in a batch of a streamed source), or
/// [`write`](Lineage::write) writes them with the row's own as a table's one Parquet part.
pub struct Lineage {
    file: StringBuilder,
    line: Int64Builder,
    loaded: TimestampMicrosecondBuilder,
    loaded_at: i64,
}

impl Lineage {
    /// Lineage of rows loaded by the run of `loaded_at`.
    pub fn new(loaded_at: chrono::DateTime<chrono::Utc>) -> Lineage {
        Lineage {
            file: StringBuilder::new(),
            line: Int64Builder::new(),
            loaded: TimestampMicrosecondBuilder::new().with_timezone("UTC"),
            loaded_at: loaded_at.timestamp_micros(),
        }
    }

    /// One row's file and line.
    pub fn push(&mut self, file: &str, line: u64) {
        self.file.append_value(file);
        self.line.append_value(line as i64);
        self.loaded.append_value(self.loaded_at);
    }

    /// The lineage columns of the rows pushed since the last call.
    pub fn finish(&mut self) -> [ArrayRef; 3] {
        [
            Arc::new(self.file.finish()),
            Arc::new(self.line.finish()),
            Arc::new(self.loaded.finish()),
        ]
    }

    /// Write `columns` plus the lineage columns as the one Parquet part of `dir`.
    pub fn write(
        mut self,
        dir: &Path,
        schema: SchemaRef,
        mut columns: Vec<ArrayRef>,
    ) -> Result<()> {
        columns.extend(self.finish());
        let batch = RecordBatch::try_new(schema.clone(), columns)?;
        write_parquet(&dir.join(PART), schema, &[batch])?;
        Ok(())
    }
}

/// A text column of one value per row.
pub fn text_column<'a>(values: impl Iterator<Item = &'a str>) -> ArrayRef {
    Arc::new(StringArray::from_iter_values(values))
}

/// A text column of one value or null per row.
pub fn nullable_text_column<'a>(values: impl Iterator<Item = Option<&'a str>>) -> ArrayRef {
    Arc::new(values.collect::<StringArray>())
}

/// An integer column of one value per row.
pub fn int_column(values: impl Iterator<Item = i64>) -> ArrayRef {
    Arc::new(Int64Array::from_iter_values(values))
}

/// A float column of one value or null per row.
pub fn nullable_float_column(values: impl Iterator<Item = Option<f64>>) -> ArrayRef {
    Arc::new(values.collect::<Float64Array>())
}

/// A boolean column of one value per row.
pub fn bool_column(values: impl Iterator<Item = bool>) -> ArrayRef {
    Arc::new(BooleanArray::from(values.collect::<Vec<bool>>()))
}

/// One column of a landed table built from rows read whole (GA4 reports, Meta insights, LinkedIn
/// follower statistics, survey answers): its name, its type (and whether it may be null) and
/// how a row fills it. A reader's table of them gives both its schema ([`rows_schema`]) and its
/// columns ([`row_arrays`]).
pub enum RowColumn<R> {
    /// Text, never null.
    Text(&'static str, fn(&R) -> &str),
    /// Text or null.
    NullableText(&'static str, fn(&R) -> Option<&str>),
    /// A whole number, never null.
    Int(&'static str, fn(&R) -> i64),
    /// A number or null.
    NullableFloat(&'static str, fn(&R) -> Option<f64>),
    /// A boolean, never null.
    Bool(&'static str, fn(&R) -> bool),
    /// A time in UTC (microseconds), or null.
    NullableTime(
        &'static str,
        fn(&R) -> Option<chrono::DateTime<chrono::Utc>>,
    ),
}

impl<R> RowColumn<R> {
    /// The column's field in the landed schema.
    pub fn field(&self) -> Field {
        let (name, data_type, nullable) = match self {
            RowColumn::Text(name, _) => (name, DataType::Utf8, false),
            RowColumn::NullableText(name, _) => (name, DataType::Utf8, true),
            RowColumn::Int(name, _) => (name, DataType::Int64, false),
            RowColumn::NullableFloat(name, _) => (name, DataType::Float64, true),
            RowColumn::Bool(name, _) => (name, DataType::Boolean, false),
            RowColumn::NullableTime(name, _) => (
                name,
                DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
                true,
            ),
        };
        Field::new(*name, data_type, nullable)
    }

    /// The column of `rows`.
    pub fn array(&self, rows: &[R]) -> ArrayRef {
        match self {
            RowColumn::Text(_, f) => text_column(rows.iter().map(f)),
            RowColumn::NullableText(_, f) => nullable_text_column(rows.iter().map(f)),
            RowColumn::Int(_, f) => int_column(rows.iter().map(f)),
            RowColumn::NullableFloat(_, f) => nullable_float_column(rows.iter().map(f)),
            RowColumn::Bool(_, f) => bool_column(rows.iter().map(f)),
            RowColumn::NullableTime(_, f) => Arc::new(
                rows.iter()
                    .map(|r| f(r).map(|t| t.timestamp_micros()))
                    .collect::<TimestampMicrosecondArray>()
                    .with_timezone("UTC"),
            ),
        }
    }
}

/// The schema of a landed table of rows read whole: `columns`, then the lineage columns.
pub fn rows_schema<R>(columns: &[RowColumn<R>]) -> SchemaRef {
    landed_schema(columns.iter().map(RowColumn::field).collect())
}

/// The `columns` of `rows`, in order (the lineage columns not included).
pub fn row_arrays<R>(columns: &[RowColumn<R>], rows: &[R]) -> Vec<ArrayRef> {
    columns.iter().map(|c| c.array(rows)).collect()
}

/// Row counts of one source.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Data rows read (header lines excluded).
    pub read: u64,
    /// Rows landed.
    pub accepted: u64,
    /// Rows written to rejects.
    pub rejected: u64,
}

impl Counts {
    /// `(read, accepted, rejected)`, for tests to compare in one go.
    #[cfg(test)]
    pub(crate) fn as_tuple(&self) -> (u64, u64, u64) {
        (self.read, self.accepted, self.rejected)
    }

    /// Add another file's counts.
    pub fn add(&mut self, other: Counts) {
        self.read += other.read;
        self.accepted += other.accepted;
        self.rejected += other.rejected;
    }

    /// Count one row read: accepted when `row` is `Ok`, rejected when it is `Err` (the reason);
    /// gives `row` back, to land or reject.
    pub fn tally<T, E>(&mut self, row: std::result::Result<T, E>) -> std::result::Result<T, E> {
        self.read += 1;
        match row {
            Ok(_) => self.accepted += 1,
            Err(_) => self.rejected += 1,
        }
        row
    }
}

/// One row that could not be read, with where it came from and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Reject {
    /// Source file.
    pub file: String,
    /// Line where the row starts (1-based).
    pub line: u64,
    /// The row's raw text (truncated to 4 KiB).
    pub raw: String,
    /// Why it was rejected; names the column where one is at fault.
    pub reason: String,
}

impl Reject {
    /// A reject from raw bytes, truncated to keep the rejects table small.
    pub fn new(file: &str, line: u64, raw: &[u8], reason: String) -> Reject {
        let raw = raw.strip_suffix(b"\n").unwrap_or(raw);
        let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
        let cut = &raw[..raw.len().min(4096)];
        Reject {
            file: file.to_string(),
            line,
            raw: String::from_utf8_lossy(cut).into_owned(),
            reason,
        }
    }
}

/// Schema of the rejects table.
pub fn rejects_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("source", DataType::Utf8, false),
        Field::new("file", DataType::Utf8, false),
        Field::new("line", DataType::Int64, false),
        Field::new("raw", DataType::Utf8, false),
        Field::new("reason", DataType::Utf8, false),
        Field::new("run_date", DataType::Utf8, false),
    ]))
}

/// Write a source's rejects (an empty table when there are none, so readers always find one).
pub fn write_rejects(path: &Path, source: &str, run_date: &str, rejects: &[Reject]) -> Result<()> {
    let columns: Vec<ArrayRef> = vec![
        text_column(rejects.iter().map(|_| source)),
        text_column(rejects.iter().map(|r| r.file.as_str())),
        int_column(rejects.iter().map(|r| r.line as i64)),
        text_column(rejects.iter().map(|r| r.raw.as_str())),
        text_column(rejects.iter().map(|r| r.reason.as_str())),
        text_column(rejects.iter().map(|_| run_date)),
    ];
    let schema = rejects_schema();
    let batch = RecordBatch::try_new(schema.clone(), columns)?;
    write_parquet(path, schema, &[batch])?;
    Ok(())
}

/// Display name of a file for rows and messages: the path as given.
pub fn display_name(path: &Path) -> String {
    path.display().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reject_strips_newline_and_truncates() {
        let r = Reject::new("f.csv", 3, b"a,b\r\n", "bad".into());
        assert_eq!(r.raw, "a,b");
        let long = vec![b'x'; 10_000];
        assert_eq!(Reject::new("f", 1, &long, "r".into()).raw.len(), 4096);
    }

    #[test]
    fn sink_appears_only_when_finished() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t/part-0.parquet");
        write_rejects(&path, "crm", "2026-11-20", &[]).unwrap();
        assert!(path.exists());
        assert!(!path.with_extension("parquet.tmp").exists());
    }
}
