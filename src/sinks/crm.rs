//! CRM import files: what a CRM admin imports to set the persona field on every contact. Today
//! the HubSpot import CSV (`Record ID`, `Email`, `Persona`); contacts of a persona flagged too
//! small to trust get an empty persona, never a made-up one.

use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;

use crate::error::{Error, Result};
use crate::features::FeatureTable;
use crate::profile::Persona;

/// Everything the CRM writers need from a run.
#[derive(Debug, Clone, Copy)]
pub struct CrmContext<'a> {
    /// Folder of the run's CRM partition in staging (`crm/run_date=<date>/`).
    pub dir: &'a Path,
    /// The pipeline's output folder, where earlier runs' outputs are published.
    pub output_dir: &'a Path,
    /// Logical date of the run.
    pub run_date: NaiveDate,
    /// The contacts, in the order of `primary`.
    pub table: &'a FeatureTable,
    /// Each contact's persona for the CRM, an index into `personas` (`None`: in no bucket).
    pub primary: &'a [Option<usize>],
    /// The run's personas.
    pub personas: &'a [Persona],
}

/// Write every CRM file of the run into `ctx.dir`; returns the files written.
pub fn write_crm_files(ctx: &CrmContext<'_>) -> Result<Vec<PathBuf>> {
    let path = ctx.dir.join("hubspot_import.csv");
    write_hubspot_csv(&path, ctx.table, ctx.primary, ctx.personas)?;
    Ok(vec![path])
}

/// HubSpot import CSV: `Record ID`, `Email`, `Persona`; one row per contact. Contacts of a
/// persona flagged too small to trust get an empty persona, never a made-up one.
pub fn write_hubspot_csv(
    path: &Path,
    t: &FeatureTable,
    primary: &[Option<usize>],
    personas: &[Persona],
) -> Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    }
    let file = std::fs::File::create(path).map_err(|e| Error::io(path, e))?;
    let mut w = csv::Writer::from_writer(std::io::BufWriter::new(file));
    w.write_record(["Record ID", "Email", "Persona"])?;
    for ((id, email), l) in t.contact_ids.iter().zip(&t.emails).zip(primary) {
        let persona = match l.map(|l| &personas[l]) {
            Some(p) if p.publishable() => p.name.as_str(),
            _ => "",
        };
        w.write_record([id.as_str(), email.as_deref().unwrap_or(""), persona])?;
    }
    let mut inner = w
        .into_inner()
        .map_err(|e| Error::io(path, e.into_error()))?;
    inner.flush().map_err(|e| Error::io(path, e))?;
    Ok(())
}
