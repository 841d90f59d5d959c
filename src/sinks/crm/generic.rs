//! The generic CRM file, for any CRM without a preset: `contact_id, email, persona_id,
//! persona_name, bucket, is_negative, run_date, crm`, one row per contact (`crm`: the CRM the
//! id comes from, `hubspot`, `salesforce` or `csv`). Written twice per run:
//! `generic_import.csv` (delta or full) and `generic_full.csv` (every contact), which later
//! runs read back as their delta baseline and [`super::push()`] as the state to send. A file
//! written before the `crm` column existed reads with no CRM.

use std::path::Path;

use crate::config::CrmTarget;
use crate::error::{Error, Result};

use super::{write_csv, CrmRow};

/// Header of the generic files.
pub const HEADER: [&str; 8] = [
    "contact_id",
    "email",
    "persona_id",
    "persona_name",
    "bucket",
    "is_negative",
    "run_date",
    "crm",
];

/// Column of the CRM the id comes from (optional when read).
const CRM: usize = 7;

/// Write `rows` as a generic file.
pub fn write<'a>(
    path: &Path,
    rows: impl Iterator<Item = &'a CrmRow<'a>>,
    run_date: &str,
) -> Result<()> {
    let records = rows.map(|r| {
        let negative = match r.is_negative {
            Some(true) => "true",
            Some(false) => "false",
            None => "",
        };
        [
            r.contact_id.as_ref(),
            &r.email,
            &r.persona_id,
            &r.persona_name,
            &r.bucket,
            negative,
            run_date,
            r.system.map_or("", CrmTarget::system),
        ]
    });
    write_csv(path, HEADER, records)
}

/// Read a generic file written by [`write()`]. Errors name the file, the line and the column.
pub fn read(path: &Path) -> Result<Vec<CrmRow<'static>>> {
    let file = path.display().to_string();
    let bad = |line: u64, reason: String| Error::BadInput {
        file: file.clone(),
        reason: format!("line {line}: {reason}"),
    };
    let mut r = csv::Reader::from_path(path).map_err(|e| match e.into_kind() {
        csv::ErrorKind::Io(io) => Error::io(path, io),
        other => bad(1, format!("{other:?}")),
    })?;
    let header = r.headers()?.clone();
    let crm_at = header.iter().position(|h| h == HEADER[CRM]);
    let mut at = [0usize; 6];
    for (slot, name) in at.iter_mut().zip(HEADER) {
        *slot = header
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| Error::MissingColumn {
                file: file.clone(),
                column: name.into(),
                found: header.iter().collect::<Vec<_>>().join(", "),
            })?;
    }
    let mut rows = Vec::new();
    for (n, rec) in r.records().enumerate() {
        let line = n as u64 + 2;
        let rec = rec.map_err(|e| bad(line, e.to_string()))?;
        let field = |i: usize| rec.get(at[i]).unwrap_or_default().to_string();
        let is_negative = match rec.get(at[5]).unwrap_or_default() {
            "true" => Some(true),
            "false" => Some(false),
            "" => None,
            other => {
                return Err(bad(
                    line,
                    format!("column `is_negative`: `{other}` is not true, false or empty"),
                ))
            }
        };
        let system = match crm_at.and_then(|i| rec.get(i)).unwrap_or_default() {
            "" => None,
            name => Some(CrmTarget::from_system(name).ok_or_else(|| {
                bad(
                    line,
                    format!("column `crm`: `{name}` is not hubspot, salesforce, csv or empty"),
                )
            })?),
        };
        let row = CrmRow {
            contact_id: field(0).into(),
            email: field(1).into(),
            persona_id: field(2).into(),
            persona_name: field(3).into(),
            bucket: field(4).into(),
            is_negative,
            system,
        };
        if row.contact_id.is_empty() {
            return Err(bad(line, "column `contact_id` is empty".into()));
        }
        rows.push(row);
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_names_the_bad_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("g.csv");
        let rows = vec![
            CrmRow {
                email: "a@x.io".into(),
                persona_name: "Curious, \"Casey\"".into(),
                ..CrmRow::for_test("1", "persona_1")
            },
            CrmRow {
                bucket: String::new().into(),
                is_negative: None,
                system: None,
                ..CrmRow::for_test("2", "")
            },
        ];
        write(&path, rows.iter(), "2026-11-20").unwrap();
        assert_eq!(read(&path).unwrap(), rows);
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::write(&path, text.replace(",false,", ",maybe,")).unwrap();
        let err = read(&path).unwrap_err().to_string();
        assert!(
            err.contains("line 2") && err.contains("is_negative"),
            "{err}"
        );
        // A snapshot written before the `crm` column reads with no CRM.
        std::fs::write(&path, "contact_id,email,persona_id,persona_name,bucket,is_negative,run_date\n1,,persona_1,C,all,false,x\n").unwrap();
        assert_eq!(read(&path).unwrap()[0].system, None);
    }
}
