//! The `crm_failures` table: every record a push could not write, with the HTTP status and the
//! CRM's message, one Parquet partition per run date (`crm_failures/run_date=<date>/`). Written
//! after every push of a date (empty when all records went through), so its presence says the
//! date was pushed; the schema metadata records which snapshot was pushed, so a rerun of the
//! push retries only these records, unless the pipeline has rewritten the date since.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{NaiveDate, SecondsFormat, Utc};
use datafusion::arrow::datatypes::{Field, Int32Type, Schema};

use crate::error::{Error, Result};
use crate::output::parquet::ParquetTable;
use crate::output::PART;
use crate::sinks::columns::{column, write_arrays};
pub use crate::sinks::schema::crm_failures::TABLE;
use crate::sinks::schema::crm_failures::{
    columns, CONTACT_ID, EMAIL, HTTP_STATUS, MESSAGE, PROPERTY, VALUE,
};
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
    let constant = |v: &str| column(failures, |_| Some(v));
    let arrays = vec![
        constant(&date),
        column(failures, |f| Some(f.contact_id.as_str())),
        column(failures, |f| Some(f.email.as_str())),
        column(failures, |f| Some(f.property.as_str())),
        column(failures, |f| Some(f.value.as_str())),
        column(failures, |f| f.http_status.map(i32::from)),
        column(failures, |f| Some(f.message.as_str())),
        constant(&failed_at),
    ];
    // Every column has a value but the HTTP status (no answer came).
    let fields: Vec<Field> = columns()
        .into_iter()
        .map(|(n, t)| Field::new(n, t, n == HTTP_STATUS))
        .collect();
    let metadata = HashMap::from([(SNAPSHOT_SHA256.to_string(), snapshot_sha256.to_string())]);
    let schema = Arc::new(Schema::new_with_metadata(fields, metadata));
    write_arrays(path, schema, arrays)
}

/// Read a date's failures; `None` when the date was never pushed.
pub fn read(path: &Path) -> Result<Option<Recorded>> {
    match std::fs::metadata(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Error::io(path, e)),
        Ok(_) => {}
    }
    let t = ParquetTable::read(path)?;
    let text = |name: &str| -> Result<Vec<String>> {
        Ok(t.strings(name)?
            .into_iter()
            .map(Option::unwrap_or_default)
            .collect())
    };
    let (id, email, property, value, message) = (
        text(CONTACT_ID)?,
        text(EMAIL)?,
        text(PROPERTY)?,
        text(VALUE)?,
        text(MESSAGE)?,
    );
    let status = t.numbers::<Int32Type>(HTTP_STATUS)?;
    let failures = (0..id.len())
        .map(|i| Failure {
            contact_id: id[i].clone(),
            email: email[i].clone(),
            property: property[i].clone(),
            value: value[i].clone(),
            http_status: status[i].and_then(|s| u16::try_from(s).ok()),
            message: message[i].clone(),
        })
        .collect();
    Ok(Some(Recorded {
        failures,
        snapshot_sha256: t.metadata.get(SNAPSHOT_SHA256).cloned(),
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
