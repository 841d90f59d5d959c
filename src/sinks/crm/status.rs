//! `personas crm status`: for each import file of the latest published run, what its CRM last
//! confirmed ([`super::acks`]), how many contacts it has yet to get, which runs' imports
//! were never acknowledged, and when the latest run was published (a file downloaded before
//! then is an earlier version of a rerun date).

use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};

use crate::config::CrmTarget;
use crate::error::Result;

use super::acks::{self, How};
use super::{delta, generic, import_files, route};

/// Where one import file's CRM stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileStatus {
    /// The import file.
    pub file: CrmTarget,
    /// The latest published run.
    pub latest: NaiveDate,
    /// When it was published ([`acks::published_at`]).
    pub published_at: Option<DateTime<Utc>>,
    /// The run its CRM last confirmed, and how.
    pub confirmed: Option<(NaiveDate, How)>,
    /// Contacts of the latest run whose persona the CRM has yet to get.
    pub pending: usize,
    /// Runs after the confirmed one whose import was not acknowledged.
    pub unacknowledged: Vec<NaiveDate>,
    /// The latest run's import files (Salesforce: the Contact update, and the Lead update
    /// when the run wrote one).
    pub imports: Vec<PathBuf>,
}

/// The status of every import file of the latest published run (none before the first run).
pub fn status(output_dir: &Path) -> Result<Vec<FileStatus>> {
    let dates = delta::published_dates(output_dir)?;
    let Some(&latest) = dates.last() else {
        return Ok(Vec::new());
    };
    let files = acks::files_in(output_dir, latest);
    let rows = generic::read(&delta::snapshot_path(output_dir, latest))?;
    let mut out = Vec::new();
    for &file in &files {
        let after = latest.succ_opt().unwrap_or(latest);
        let confirmed = acks::confirmed_before(output_dir, after, file)?;
        let pending = rows
            .iter()
            .filter(|r| route(r.system, &files) == Some(file))
            .filter(|r| confirmed.as_ref().is_none_or(|c| c.is_pending(r)))
            .count();
        let since = confirmed.as_ref().map(|c| c.baseline.run_date);
        let unacknowledged = dates
            .iter()
            .copied()
            .filter(|d| since.is_none_or(|s| *d > s))
            .filter(|d| acks::files_in(output_dir, *d).contains(&file))
            .collect();
        let dir = acks::crm_dir(output_dir, latest);
        let mut imports: Vec<PathBuf> = (import_files(file).iter())
            .map(|f| dir.join(f))
            .filter(|p| p.is_file())
            .collect();
        if imports.is_empty() {
            imports.push(dir.join(import_files(file)[0]));
        }
        out.push(FileStatus {
            file,
            latest,
            published_at: acks::published_at(output_dir, latest),
            confirmed: confirmed.map(|c| (c.baseline.run_date, c.how)),
            pending,
            unacknowledged,
            imports,
        });
    }
    Ok(out)
}

/// The status as lines for the terminal; `config` is the pipeline config to name in the
/// commands shown.
pub fn summary(statuses: &[FileStatus], config: &Path) -> String {
    if statuses.is_empty() {
        return "no published run with CRM files yet\n".into();
    }
    let mut out = String::new();
    for s in statuses {
        let confirmed = match &s.confirmed {
            None => "nothing confirmed yet".to_string(),
            Some((d, How::Pushed)) => format!("confirmed {d} (pushed)"),
            Some((d, How::Acknowledged(at))) => {
                format!("confirmed {d} (import acknowledged {at})")
            }
        };
        let published = s.published_at.map_or(String::new(), |t| {
            format!(
                " (published {})",
                t.to_rfc3339_opts(SecondsFormat::Secs, true)
            )
        });
        out.push_str(&format!(
            "{}: {confirmed}; latest run {}{published}: {} contacts pending\n",
            s.file, s.latest, s.pending
        ));
        if !s.unacknowledged.is_empty() {
            let dates: Vec<String> = s.unacknowledged.iter().map(|d| d.to_string()).collect();
            out.push_str(&format!("  not acknowledged: {}\n", dates.join(", ")));
        }
        if s.pending > 0 {
            out.push_str(&format!(
                "  import {}, then: personas crm ack {} --date {} --file {}\n",
                (s.imports.iter())
                    .map(|p| p.display().to_string())
                    .collect::<Vec<_>>()
                    .join(" and "),
                config.display(),
                s.latest,
                s.file
            ));
        }
    }
    out
}
