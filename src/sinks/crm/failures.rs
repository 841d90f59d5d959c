//! The `crm_failures` table: every record a push could not write, with the HTTP status and the
//! CRM's message, one Parquet partition per run date (`crm_failures/run_date=<date>/`). Written
//! after every push of a date (empty when all records went through), so its presence says the
//! date was pushed; the schema metadata records which snapshot was pushed, so a rerun of the
//! push retries only these records, unless the pipeline has rewritten the date since.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{NaiveDate, SecondsFormat, Utc};
use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, Int32Builder, RecordBatch, StringBuilder,
};
use datafusion::arrow::datatypes::{DataType, Field, Int32Type, Schema};
use datafusion::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use crate::error::{Error, Result};
use crate::output::parquet::write_parquet;
use crate::output::PART;

/// Table (folder under the output folder) of the push failures.
pub const TABLE: &str = "crm_failures";
/// Schema metadata key: SHA-256 of the snapshot (`generic_full.csv`) the push sent.
pub const SNAPSHOT_SHA256: &str = "personas.snapshot_sha256";

/// One record the CRM did not accept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// CRM id of the contact.
    pub contact_id: String,
    /// Its email (empty when none).
    pub email: String,
    /// Property written.
    pub property: String,
    /// Value sent.
    pub value: String,
    /// HTTP status of the last answer; `None` when no answer came (connection failed).
    pub http_status: Option<u16>,
    /// The CRM's message (or the connection error).
    pub message: String,
}

/// A push's failures as read back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorded {
    /// The records that failed.
    pub failures: Vec<Failure>,
    /// SHA-256 of the snapshot that push sent.
    pub snapshot_sha256: Option<String>,
}

/// Parquet file of a date's failures.
pub fn path(output_dir: &Path, run_date: NaiveDate) -> PathBuf {
    output_dir
        .join(TABLE)
        .join(format!("run_date={run_date}"))
        .join(PART)
}

/// Write a push's failures (an empty table when none), replacing the date's earlier ones.
pub fn write(
    path: &Path,
    run_date: NaiveDate,
    failures: &[Failure],
    snapshot_sha256: &str,
) -> Result<()> {
    let date = run_date.to_string();
    let failed_at = Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true);
    let mut status = Int32Builder::new();
    for f in failures {
        status.append_option(f.http_status.map(i32::from));
    }
    fn text<'a>(values: impl Iterator<Item = &'a str>) -> ArrayRef {
        let mut b = StringBuilder::new();
        for v in values {
            b.append_value(v);
        }
        Arc::new(b.finish())
    }
    let each = |get: fn(&Failure) -> &str| text(failures.iter().map(get));
    let constant = |v: &str| text(failures.iter().map(|_| v));
    let columns: Vec<(&str, DataType, ArrayRef)> = vec![
        ("run_date", DataType::Utf8, constant(&date)),
        ("contact_id", DataType::Utf8, each(|f| &f.contact_id)),
        ("email", DataType::Utf8, each(|f| &f.email)),
        ("property", DataType::Utf8, each(|f| &f.property)),
        ("value", DataType::Utf8, each(|f| &f.value)),
        ("http_status", DataType::Int32, Arc::new(status.finish())),
        ("message", DataType::Utf8, each(|f| &f.message)),
        ("failed_at", DataType::Utf8, constant(&failed_at)),
    ];
    let fields: Vec<Field> = columns
        .iter()
        .map(|(n, t, _)| Field::new(*n, t.clone(), *n == "http_status"))
        .collect();
    let metadata = HashMap::from([(SNAPSHOT_SHA256.to_string(), snapshot_sha256.to_string())]);
    let schema = Arc::new(Schema::new_with_metadata(fields, metadata));
    let batch = RecordBatch::try_new(schema.clone(), columns.into_iter().map(|c| c.2).collect())?;
    write_parquet(path, schema, &[batch])?;
    Ok(())
}

/// Read a date's failures; `None` when the date was never pushed.
pub fn read(path: &Path) -> Result<Option<Recorded>> {
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Error::io(path, e)),
    };
    let builder = ParquetRecordBatchReaderBuilder::try_new(file)?;
    let snapshot_sha256 = builder.schema().metadata().get(SNAPSHOT_SHA256).cloned();
    let mut failures = Vec::new();
    for batch in builder.build()? {
        let batch = batch?;
        let column = |name: &str| {
            batch
                .column_by_name(name)
                .ok_or_else(|| Error::MissingColumn {
                    file: path.display().to_string(),
                    column: name.into(),
                    found: batch
                        .schema()
                        .fields()
                        .iter()
                        .map(|f| f.name().as_str())
                        .collect::<Vec<_>>()
                        .join(", "),
                })
        };
        let string = |name: &str| -> Result<_> {
            column(name)?
                .as_string_opt::<i32>()
                .cloned()
                .ok_or_else(|| Error::BadInput {
                    file: path.display().to_string(),
                    reason: format!("column `{name}` is not text"),
                })
        };
        let (id, email, property, value, message) = (
            string("contact_id")?,
            string("email")?,
            string("property")?,
            string("value")?,
            string("message")?,
        );
        let status = column("http_status")?
            .as_primitive_opt::<Int32Type>()
            .cloned()
            .ok_or_else(|| Error::BadInput {
                file: path.display().to_string(),
                reason: "column `http_status` is not a 32-bit integer".into(),
            })?;
        for i in 0..batch.num_rows() {
            failures.push(Failure {
                contact_id: id.value(i).to_string(),
                email: email.value(i).to_string(),
                property: property.value(i).to_string(),
                value: value.value(i).to_string(),
                http_status: status
                    .is_valid(i)
                    .then(|| u16::try_from(status.value(i)).ok())
                    .flatten(),
                message: message.value(i).to_string(),
            });
        }
    }
    Ok(Some(Recorded {
        failures,
        snapshot_sha256,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_with_the_snapshot_hash() {
        let out = tempfile::tempdir().unwrap();
        let date = NaiveDate::from_ymd_opt(2026, 11, 20).unwrap();
        let p = path(out.path(), date);
        assert_eq!(read(&p).unwrap(), None);
        let failures = vec![
            Failure {
                contact_id: "17".into(),
                email: "a@x.io".into(),
                property: "hs_persona".into(),
                value: "persona_2".into(),
                http_status: Some(400),
                message: "Property values were not valid".into(),
            },
            Failure {
                contact_id: "18".into(),
                email: String::new(),
                property: "hs_persona".into(),
                value: String::new(),
                http_status: None,
                message: "connection refused".into(),
            },
        ];
        write(&p, date, &failures, "abc").unwrap();
        let got = read(&p).unwrap().unwrap();
        assert_eq!(got.failures, failures);
        assert_eq!(got.snapshot_sha256.as_deref(), Some("abc"));
        write(&p, date, &[], "def").unwrap();
        assert_eq!(read(&p).unwrap().unwrap().failures, vec![]);
    }
}
