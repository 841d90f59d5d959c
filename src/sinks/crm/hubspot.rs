//! HubSpot import files. `hubspot_import.csv`: UTF-8 with a header row, `Record ID` and `Email`
//! (HubSpot's two contact identifiers, so an import updates the existing record instead of
//! creating a duplicate) and the persona column, whose header maps onto the configured property
//! (`Persona` for the built-in `hs_persona`). Past `max_rows_per_file` data rows the import is
//! split into `hubspot_import-2.csv`, `hubspot_import-3.csv`, … each with the header.
//! `hubspot_persona_options.csv` lists every option (label, internal value) the admin creates on
//! the property before importing.

use std::path::{Path, PathBuf};

use crate::config::CrmConfig;
use crate::error::{Error, Result};

use super::{write_csv, CrmRow, HUBSPOT_IMPORT};

/// Header of the options file.
pub const OPTIONS_HEADER: [&str; 2] = ["Label", "Internal value"];

/// Name of the `part`-th import file (1-based): `hubspot_import.csv`, `hubspot_import-2.csv`, …
pub fn import_file_name(part: usize) -> String {
    if part <= 1 {
        HUBSPOT_IMPORT.to_string()
    } else {
        format!("hubspot_import-{part}.csv")
    }
}

/// Write the import of `rows` into `dir`, split every `max_rows_per_file` rows (one file with
/// only the header when there is nothing to import); returns the files written.
pub fn write_import(dir: &Path, cfg: &CrmConfig, rows: &[&CrmRow]) -> Result<Vec<PathBuf>> {
    let h = &cfg.hubspot;
    let text = h.property_type.is_text();
    let header = ["Record ID", "Email", h.column_header()];
    let per_file = h.max_rows_per_file.max(1);
    remove_stale_parts(dir)?;
    let mut written = Vec::new();
    let chunks: Vec<&[&CrmRow]> = if rows.is_empty() {
        vec![&[]]
    } else {
        rows.chunks(per_file).collect()
    };
    for (n, chunk) in chunks.into_iter().enumerate() {
        let path = dir.join(import_file_name(n + 1));
        let records = chunk
            .iter()
            .map(|r| [r.contact_id.as_ref(), &r.email, r.value(cfg, text)]);
        write_csv(&path, header, records)?;
        written.push(path);
    }
    Ok(written)
}

/// Remove split parts an earlier write left in `dir`, so a shorter import leaves none behind.
fn remove_stale_parts(dir: &Path) -> Result<()> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(Error::io(dir, e)),
    };
    for entry in entries {
        let path = entry.map_err(|e| Error::io(dir, e))?.path();
        let is_part = path
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.strip_prefix("hubspot_import-"))
            .and_then(|n| n.strip_suffix(".csv"))
            .is_some_and(|n| n.parse::<usize>().is_ok());
        if is_part {
            std::fs::remove_file(&path).map_err(|e| Error::io(&path, e))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_past_the_row_limit_with_a_header_in_every_part() {
        let dir = tempfile::tempdir().unwrap();
        let rows: Vec<CrmRow> = (1..=5)
            .map(|i| CrmRow {
                email: format!("c{i}@x.io").into(),
                ..CrmRow::for_test(&i.to_string(), "persona_1")
            })
            .collect();
        let refs: Vec<&CrmRow> = rows.iter().collect();
        let mut cfg = CrmConfig::default();
        cfg.hubspot.max_rows_per_file = 2;
        let files = write_import(dir.path(), &cfg, &refs).unwrap();
        let names: Vec<String> = files
            .iter()
            .map(|f| f.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(
            names,
            [
                "hubspot_import.csv",
                "hubspot_import-2.csv",
                "hubspot_import-3.csv"
            ]
        );
        let last = std::fs::read_to_string(&files[2]).unwrap();
        assert_eq!(last, "Record ID,Email,Persona\n5,c5@x.io,persona_1\n");
        let files = write_import(dir.path(), &cfg, &[]).unwrap();
        assert_eq!(files.len(), 1);
        assert!(
            !dir.path().join("hubspot_import-2.csv").exists(),
            "stale part left behind"
        );
        assert_eq!(
            std::fs::read_to_string(&files[0]).unwrap(),
            "Record ID,Email,Persona\n"
        );
    }
}
