//! What each CRM confirmed: the state the delta is computed against. A CRM holds a published
//! run's personas once that run was pushed to it (a `crm_failures` partition, whose failed
//! records it does not hold) or once an admin imported the run's file and said so with
//! `personas crm ack --date D` ([`acknowledge`]). Until then the contacts stay in every later
//! import file, so an import that was skipped comes back in the next one.
//!
//! The acknowledgements are kept in `<output_dir>/crm_acks.json` (written atomically: a
//! temporary file flushed to disk, then renamed), one entry per import file and date with the
//! SHA-256 of the date's snapshot: a rerun of the date since replaces the files, which makes
//! the acknowledgement stale.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use tracing::warn;

use crate::config::CrmTarget;
use crate::error::{Error, Result};
use crate::output::checksums::sha256_bytes;

use super::delta::{self, Baseline};
use super::{failures, import_files, CrmRow, CRM_TABLE};

/// File of the acknowledgements in the output folder.
pub const FILE: &str = "crm_acks.json";

/// One acknowledged import.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ack {
    /// The import file imported: `hubspot`, `salesforce` or `generic`.
    pub file: CrmTarget,
    /// Its run date.
    pub run_date: NaiveDate,
    /// SHA-256 of the date's `generic_full.csv` when acknowledged.
    pub snapshot_sha256: String,
    /// When it was acknowledged (RFC 3339, UTC).
    pub acknowledged_at: String,
}

/// The file's contents.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct AckFile {
    acks: Vec<Ack>,
}

/// How a CRM confirmed a date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum How {
    /// Its import was acknowledged (at this time).
    Acknowledged(String),
    /// It was pushed.
    Pushed,
}

/// The last state a CRM confirmed.
#[derive(Debug, Clone)]
pub struct Confirmed {
    /// The confirmed run's snapshot.
    pub baseline: Baseline,
    /// How it was confirmed.
    pub how: How,
    /// Contacts of the snapshot the CRM does not hold: the records its push could not write.
    pub failed: HashSet<String>,
}

impl Confirmed {
    /// Whether the CRM has yet to get `row`'s persona.
    pub fn is_pending(&self, row: &CrmRow) -> bool {
        delta::is_changed(row, &self.baseline.rows) || self.failed.contains(row.contact_id.as_ref())
    }
}

/// The acknowledgements file of an output folder.
pub fn path(output_dir: &Path) -> PathBuf {
    output_dir.join(FILE)
}

/// Every acknowledgement (none without the file).
pub fn read(output_dir: &Path) -> Result<Vec<Ack>> {
    let path = path(output_dir);
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(Error::io(&path, e)),
    };
    let file: AckFile = serde_json::from_slice(&bytes).map_err(|e| Error::BadInput {
        file: path.display().to_string(),
        reason: format!("line {}, column {}: {e}", e.line(), e.column()),
    })?;
    Ok(file.acks)
}

/// Write the acknowledgements: a temporary file flushed to disk, then renamed into place.
fn write(output_dir: &Path, acks: Vec<Ack>) -> Result<()> {
    use std::io::Write;
    let path = path(output_dir);
    let bytes = serde_json::to_vec_pretty(&AckFile { acks })?;
    let tmp = output_dir.join(format!(".{FILE}.tmp-{}", std::process::id()));
    let mut f = std::fs::File::create(&tmp).map_err(|e| Error::io(&tmp, e))?;
    f.write_all(&bytes)
        .and_then(|_| f.write_all(b"\n"))
        .and_then(|_| f.sync_all())
        .map_err(|e| Error::io(&tmp, e))?;
    drop(f);
    std::fs::rename(&tmp, &path).map_err(|e| Error::io(&path, e))
}

/// SHA-256 of the published snapshot of `run_date` (`None` without one).
fn snapshot_sha256(output_dir: &Path, run_date: NaiveDate) -> Result<Option<String>> {
    let path = delta::snapshot_path(output_dir, run_date);
    match std::fs::read(&path) {
        Ok(bytes) => Ok(Some(sha256_bytes(&bytes))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::io(&path, e)),
    }
}

/// The import files the CRM partition of `run_date` holds.
pub fn files_in(output_dir: &Path, run_date: NaiveDate) -> Vec<CrmTarget> {
    let dir = crm_dir(output_dir, run_date);
    CrmTarget::ALL
        .into_iter()
        .filter(|t| import_files(*t).iter().any(|f| dir.join(f).is_file()))
        .collect()
}

/// The CRM partition of a date.
pub fn crm_dir(output_dir: &Path, run_date: NaiveDate) -> PathBuf {
    output_dir
        .join(CRM_TABLE)
        .join(format!("run_date={run_date}"))
}

/// What [`acknowledge`] recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Acknowledged {
    /// The import files acknowledged, each once, in [`CrmTarget::ALL`] order.
    pub files: Vec<CrmTarget>,
    /// When the acknowledged files were published ([`published_at`]).
    pub published_at: Option<DateTime<Utc>>,
    /// Files acknowledged before for another snapshot of the date: the date was rerun since,
    /// so the file the admin imported may be the earlier version.
    pub republished: Vec<CrmTarget>,
}

/// When the run of `run_date` was published: the time of its `_SUCCESS` marker (`None` when
/// unpublished or the file system keeps no time).
pub fn published_at(output_dir: &Path, run_date: NaiveDate) -> Option<DateTime<Utc>> {
    let marker = crate::output::success_marker(output_dir, run_date);
    let modified = std::fs::metadata(marker).and_then(|m| m.modified()).ok()?;
    Some(DateTime::<Utc>::from(modified))
}

/// Record that the import files `files` of the published run of `run_date` were imported (all
/// its import files when `files` is empty; a file named twice counts once). A run with no
/// import file to acknowledge, or without one of `files`, is an error. The caller holds the
/// run lock.
pub fn acknowledge(
    output_dir: &Path,
    run_date: NaiveDate,
    files: &[CrmTarget],
) -> Result<Acknowledged> {
    let dir = crm_dir(output_dir, run_date);
    let bad = |reason: String| Error::BadInput {
        file: dir.display().to_string(),
        reason,
    };
    let sha = match snapshot_sha256(output_dir, run_date)? {
        Some(sha) if crate::output::is_published(output_dir, run_date) => sha,
        _ => {
            return Err(bad(format!(
                "no published run of {run_date} with CRM files: nothing to acknowledge"
            )))
        }
    };
    let present = files_in(output_dir, run_date);
    if present.is_empty() {
        return Err(bad(format!(
            "the run of {run_date} wrote no import file (crm.files, or a push-only pipeline): nothing to acknowledge; a push is confirmed without `personas crm ack`"
        )));
    }
    let files: Vec<CrmTarget> = CrmTarget::ALL
        .into_iter()
        .filter(|t| (files.is_empty() && present.contains(t)) || files.contains(t))
        .collect();
    if let Some(missing) = files.iter().find(|f| !present.contains(f)) {
        let listed: Vec<&str> = present.iter().map(|t| t.name()).collect();
        return Err(bad(format!(
            "the run of {run_date} wrote no {missing} import file (it has: {})",
            listed.join(", ")
        )));
    }
    let at = Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true);
    let mut acks = read(output_dir)?;
    let republished = files
        .iter()
        .copied()
        .filter(|f| {
            acks.iter()
                .any(|a| a.run_date == run_date && a.file == *f && a.snapshot_sha256 != sha)
        })
        .collect();
    acks.retain(|a| !(a.run_date == run_date && files.contains(&a.file)));
    acks.extend(files.iter().map(|&file| Ack {
        file,
        run_date,
        snapshot_sha256: sha.clone(),
        acknowledged_at: at.clone(),
    }));
    acks.sort_by_key(|a| (a.run_date, a.file));
    write(output_dir, acks)?;
    Ok(Acknowledged {
        files,
        published_at: published_at(output_dir, run_date),
        republished,
    })
}

/// The latest published run before `before` that `file`'s CRM confirmed (acknowledged, or
/// pushed for HubSpot), with its snapshot; `None` when it confirmed none.
pub fn confirmed_before(
    output_dir: &Path,
    before: NaiveDate,
    file: CrmTarget,
) -> Result<Option<Confirmed>> {
    let acks = read(output_dir)?;
    for date in delta::published_dates(output_dir)?.into_iter().rev() {
        if date >= before {
            continue;
        }
        let ack = acks.iter().find(|a| a.file == file && a.run_date == date);
        let pushed = match file {
            CrmTarget::Hubspot => failures::read(&failures::path(output_dir, date))?,
            _ => None,
        };
        if ack.is_none() && pushed.is_none() {
            continue;
        }
        let sha = snapshot_sha256(output_dir, date)?;
        let current = |recorded: Option<&str>| sha.is_some() && sha.as_deref() == recorded;
        let ack = ack.filter(|a| {
            let fresh = current(Some(&a.snapshot_sha256));
            if !fresh {
                warn!(run_date = %date, file = %file, "The run was rerun after its import was acknowledged: the acknowledgement no longer counts.");
            }
            fresh
        });
        let pushed = pushed.filter(|p| current(p.snapshot_sha256.as_deref()));
        let (how, failed) = match (ack, pushed) {
            (Some(a), _) => (How::Acknowledged(a.acknowledged_at.clone()), HashSet::new()),
            (None, Some(p)) => (
                How::Pushed,
                p.failures.into_iter().map(|f| f.contact_id).collect(),
            ),
            (None, None) => continue,
        };
        let Some(baseline) =
            delta::latest_before(output_dir, date.succ_opt().unwrap_or(date), |d| d == date)?
        else {
            continue;
        };
        return Ok(Some(Confirmed {
            baseline,
            how,
            failed,
        }));
    }
    Ok(None)
}

#[cfg(test)]
mod tests;
