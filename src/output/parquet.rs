//! Parquet files of the output folder: one writer (ZSTD, row groups of at most 2^17 rows, and
//! of [`LANDING_ROW_GROUP_BYTES`] buffered when landing; written under a temporary name and
//! renamed when complete) and one reader that reads a whole file and hands
//! out typed columns, naming the file and column on error.

use std::collections::HashMap;
use std::fs::File;
use std::path::{Path, PathBuf};

use datafusion::arrow::array::{Array, AsArray, RecordBatch};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{
    ArrowPrimitiveType, DataType, Float64Type, SchemaRef, UInt64Type,
};
use datafusion::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use datafusion::parquet::arrow::{ArrowWriter, ProjectionMask};
use datafusion::parquet::basic::{Compression, ZstdLevel};
use datafusion::parquet::file::properties::WriterProperties;

use crate::error::{Error, Result};

/// The most a landing writer buffers of the row group it is writing before it ends it: what
/// landing a file costs in memory does not grow with the file (a day of GA4 events of a large
/// site). The published tables keep whole row groups of 2^17 rows for their readers.
pub const LANDING_ROW_GROUP_BYTES: usize = 1 << 20;

/// The rows of a row group of every Parquet file we write (but a landed one, see
/// [`LANDING_ROW_GROUP_BYTES`]).
pub const ROW_GROUP_ROWS: usize = 1 << 17;

/// Writer properties for every Parquet file we write.
pub fn writer_properties() -> WriterProperties {
    WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::default()))
        .set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
        .build()
}

/// A Parquet file being written; it appears under its final name only when [`ParquetSink::finish`]
/// succeeds.
pub struct ParquetSink {
    writer: ArrowWriter<File>,
    tmp: PathBuf,
    path: PathBuf,
    rows: u64,
    /// Ends the row group once this much is buffered (landing); `None`: by rows only.
    row_group_bytes: Option<usize>,
}

impl ParquetSink {
    /// Start writing `path` (written as `path.tmp` until finished).
    pub fn create(path: &Path, schema: SchemaRef) -> Result<ParquetSink> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        }
        let tmp = path.with_extension("parquet.tmp");
        let file = File::create(&tmp).map_err(|e| Error::io(&tmp, e))?;
        let writer = ArrowWriter::try_new(file, schema, Some(writer_properties()))?;
        Ok(ParquetSink {
            writer,
            tmp,
            path: path.to_path_buf(),
            rows: 0,
            row_group_bytes: None,
        })
    }

    /// [`create`](Self::create) for a landed file: row groups end at
    /// [`LANDING_ROW_GROUP_BYTES`] buffered too.
    pub fn landing(path: &Path, schema: SchemaRef) -> Result<ParquetSink> {
        let mut sink = ParquetSink::create(path, schema)?;
        sink.row_group_bytes = Some(LANDING_ROW_GROUP_BYTES);
        Ok(sink)
    }

    /// Append a batch.
    pub fn write(&mut self, batch: &RecordBatch) -> Result<()> {
        self.rows += batch.num_rows() as u64;
        self.writer.write(batch)?;
        if self
            .row_group_bytes
            .is_some_and(|max| self.writer.in_progress_size() > max)
        {
            self.writer.flush()?;
        }
        Ok(())
    }

    /// Close the file and move it to its final name; returns the rows written.
    pub fn finish(self) -> Result<u64> {
        self.writer.close()?;
        std::fs::rename(&self.tmp, &self.path).map_err(|e| Error::io(&self.path, e))?;
        Ok(self.rows)
    }
}

/// Write a whole table (a list of batches) to one Parquet file.
pub fn write_parquet(path: &Path, schema: SchemaRef, batches: &[RecordBatch]) -> Result<u64> {
    let mut sink = ParquetSink::create(path, schema)?;
    for b in batches {
        sink.write(b)?;
    }
    sink.finish()
}

/// A published Parquet table read whole, with typed column access that names the file and
/// column on error.
pub struct ParquetTable {
    /// The file read.
    pub path: PathBuf,
    /// The schema's key-value metadata.
    pub metadata: HashMap<String, String>,
    /// Its rows.
    pub batches: Vec<RecordBatch>,
}

impl ParquetTable {
    /// Read a whole Parquet file.
    pub fn read(path: &Path) -> Result<ParquetTable> {
        let (builder, metadata) = open(path)?;
        let batches = builder
            .build()?
            .collect::<std::result::Result<Vec<_>, _>>()?;
        Ok(ParquetTable {
            path: path.to_path_buf(),
            metadata,
            batches,
        })
    }

    /// A Parquet file read a batch at a time, only `columns` (by name; one the file lacks is
    /// then a [`Error::MissingColumn`] of the accessors): each batch a `ParquetTable` of its
    /// rows, so what is read stays at one batch whatever the file's size.
    pub fn batches(
        path: &Path,
        columns: &[&str],
    ) -> Result<impl Iterator<Item = Result<ParquetTable>>> {
        let (builder, metadata) = open(path)?;
        let mask = ProjectionMask::columns(builder.parquet_schema(), columns.iter().copied());
        let reader = builder.with_projection(mask).build()?;
        let path = path.to_path_buf();
        Ok(reader.map(move |batch| {
            Ok(ParquetTable {
                path: path.clone(),
                metadata: metadata.clone(),
                batches: vec![batch?],
            })
        }))
    }

    /// Whether the table has `column`.
    pub fn has(&self, column: &str) -> bool {
        self.batches
            .first()
            .is_some_and(|b| b.column_by_name(column).is_some())
    }

    /// A column of every batch, cast to `to`.
    pub fn column(&self, column: &str, to: &DataType) -> Result<Vec<std::sync::Arc<dyn Array>>> {
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

    /// A text column.
    pub fn strings(&self, column: &str) -> Result<Vec<Option<String>>> {
        let mut v = Vec::new();
        for a in self.column(column, &DataType::Utf8)? {
            v.extend(a.as_string::<i32>().iter().map(|s| s.map(str::to_string)));
        }
        Ok(v)
    }

    /// A text column that must have a value on every row.
    pub fn required(&self, column: &str) -> Result<Vec<String>> {
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

    /// A numeric column cast to `T`.
    pub fn numbers<T: ArrowPrimitiveType>(&self, column: &str) -> Result<Vec<Option<T::Native>>> {
        let mut v = Vec::new();
        for a in self.column(column, &T::DATA_TYPE)? {
            v.extend(a.as_primitive::<T>().iter());
        }
        Ok(v)
    }

    /// A float column.
    pub fn floats(&self, column: &str) -> Result<Vec<Option<f64>>> {
        self.numbers::<Float64Type>(column)
    }

    /// A count column.
    pub fn counts(&self, column: &str) -> Result<Vec<Option<u64>>> {
        self.numbers::<UInt64Type>(column)
    }

    /// A boolean column.
    pub fn bools(&self, column: &str) -> Result<Vec<Option<bool>>> {
        let mut v = Vec::new();
        for a in self.column(column, &DataType::Boolean)? {
            v.extend(a.as_boolean().iter());
        }
        Ok(v)
    }
}

/// A reader of the Parquet file `path` and its schema's key-value metadata.
fn open(
    path: &Path,
) -> Result<(
    ParquetRecordBatchReaderBuilder<std::fs::File>,
    HashMap<String, String>,
)> {
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let builder = ParquetRecordBatchReaderBuilder::try_new(file)?;
    let metadata = builder.schema().metadata().clone();
    Ok((builder, metadata))
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use datafusion::arrow::array::{Int64Array, StringArray};
    use datafusion::arrow::datatypes::{Field, Int64Type, Schema};

    use super::*;

    /// A file of more rows than a reader's batch, read a batch at a time: only the columns asked
    /// for, every row once, in order; a column the file lacks is an error naming it.
    #[test]
    fn batches_read_the_columns_asked_a_batch_at_a_time() {
        let dir = std::env::temp_dir().join(format!("personas-batches-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("t.parquet");
        let schema = Arc::new(Schema::new(vec![
            Field::new("id", DataType::Utf8, false),
            Field::new("n", DataType::Int64, false),
            Field::new("other", DataType::Utf8, false),
        ]));
        let rows = 2_500;
        let ids: Vec<String> = (0..rows).map(|i| format!("c{i}")).collect();
        let batch = RecordBatch::try_new(
            schema.clone(),
            vec![
                Arc::new(StringArray::from_iter_values(&ids)),
                Arc::new(Int64Array::from_iter_values(0..rows as i64)),
                Arc::new(StringArray::from_iter_values(ids.iter().map(|_| "x"))),
            ],
        )
        .unwrap();
        write_parquet(&path, schema, &[batch]).unwrap();
        let mut seen = Vec::new();
        let mut batches = 0;
        for t in ParquetTable::batches(&path, &["id", "n"]).unwrap() {
            let t = t.unwrap();
            assert!(!t.has("other"));
            let (id, n) = (
                t.strings("id").unwrap(),
                t.numbers::<Int64Type>("n").unwrap(),
            );
            seen.extend(id.into_iter().zip(n).map(|(i, n)| (i.unwrap(), n.unwrap())));
            batches += 1;
        }
        assert!(batches > 1, "{batches} batch");
        let want: Vec<(String, i64)> = ids.into_iter().zip(0..).collect();
        assert_eq!(seen, want);
        let first = ParquetTable::batches(&path, &["id", "missing"])
            .unwrap()
            .next()
            .unwrap()
            .unwrap();
        let err = first.strings("missing").unwrap_err().to_string();
        assert!(
            err.contains("missing") && err.contains("t.parquet"),
            "{err}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
