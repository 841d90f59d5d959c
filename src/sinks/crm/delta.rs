//! The delta: which contacts a CRM must be told about. A CRM's baseline is the full snapshot
//! (`generic_full.csv`) of the last published run that CRM confirmed before the run being
//! written (pushed, or its import acknowledged with `personas crm ack`, [`super::acks`]), so
//! an import that was skipped comes back in the next file and a rerun of a date gives the same
//! delta. A contact is in the delta when the persona it should hold (id or name) or the CRM its
//! id comes from differs from the baseline's, or when the baseline lacks it (even with no
//! persona: the CRM has yet to get its "Not classified" option); a contact no longer exported
//! is left alone.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;

use crate::error::Result;

use super::{generic, CrmRow, CRM_TABLE, GENERIC_FULL};

/// An earlier run's snapshot.
#[derive(Debug, Clone)]
pub struct Baseline {
    /// Its run date.
    pub run_date: NaiveDate,
    /// The snapshot file.
    pub path: PathBuf,
    /// Its rows by contact id.
    pub rows: HashMap<String, CrmRow<'static>>,
}

/// The snapshot file of the published CRM partition of `run_date`.
pub fn snapshot_path(output_dir: &Path, run_date: NaiveDate) -> PathBuf {
    output_dir
        .join(CRM_TABLE)
        .join(format!("run_date={run_date}"))
        .join(GENERIC_FULL)
}

/// Dates of the published runs (the `_SUCCESS` reader contract) whose CRM partition holds a
/// snapshot, ascending.
pub fn published_dates(output_dir: &Path) -> Result<Vec<NaiveDate>> {
    Ok(crate::output::published_dates(output_dir)?
        .into_iter()
        .filter(|d| snapshot_path(output_dir, *d).is_file())
        .collect())
}

/// The latest published snapshot dated before `before` whose date `accept` takes, read.
pub fn latest_before(
    output_dir: &Path,
    before: NaiveDate,
    accept: impl Fn(NaiveDate) -> bool,
) -> Result<Option<Baseline>> {
    let Some(run_date) = published_dates(output_dir)?
        .into_iter()
        .rev()
        .find(|d| *d < before && accept(*d))
    else {
        return Ok(None);
    };
    let path = snapshot_path(output_dir, run_date);
    let rows = generic::read(&path)?
        .into_iter()
        .map(|r| (r.contact_id.to_string(), r))
        .collect();
    Ok(Some(Baseline {
        run_date,
        path,
        rows,
    }))
}

/// Whether the CRM has yet to get `row` when it holds `previous`: the baseline lacks the
/// contact, or holds another persona (id or name) or another CRM for it. A baseline row
/// without a CRM (a snapshot written before the `crm` column, by a pipeline reading one CRM)
/// counts as the same CRM.
pub fn is_changed(row: &CrmRow, previous: &HashMap<String, CrmRow>) -> bool {
    let Some(p) = previous.get(row.contact_id.as_ref()) else {
        return true;
    };
    (p.persona_id.as_ref(), p.persona_name.as_ref())
        != (row.persona_id.as_ref(), row.persona_name.as_ref())
        || p.system.is_some_and(|s| row.system != Some(s))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::CrmTarget;

    fn row(id: &str, persona: &str) -> CrmRow<'static> {
        CrmRow {
            email: format!("{id}@x.io").into(),
            ..CrmRow::for_test(id, persona)
        }
    }

    #[test]
    fn changed_new_and_moved_contacts_are_pending() {
        let mut before_crm_column = row("8", "persona_1");
        before_crm_column.system = None;
        let previous: HashMap<String, CrmRow> = [
            row("1", "persona_1"),
            row("2", "persona_2"),
            row("3", "persona_1"),
            row("6", ""),
            row("7", "persona_1"),
            before_crm_column,
        ]
        .into_iter()
        .map(|r| (r.contact_id.to_string(), r))
        .collect();
        let mut renamed = row("3", "persona_1");
        renamed.persona_name = "New name".into();
        let mut moved = row("7", "persona_1");
        moved.system = Some(CrmTarget::Salesforce);
        let current = [
            row("1", "persona_1"),
            row("2", "persona_1"),
            renamed,
            row("4", "persona_2"),
            // New and unclassified: the CRM has yet to get its fallback option.
            row("5", ""),
            row("6", ""),
            // Same persona, another CRM: its new CRM has yet to get it.
            moved,
            // A baseline written before the `crm` column: the same CRM.
            row("8", "persona_1"),
        ];
        let ids: Vec<&str> = current
            .iter()
            .filter(|r| is_changed(r, &previous))
            .map(|r| r.contact_id.as_ref())
            .collect();
        assert_eq!(ids, ["2", "3", "4", "5", "7"]);
    }

    #[test]
    fn baseline_is_the_latest_snapshot_before_the_date() {
        let out = tempfile::tempdir().unwrap();
        let d = |day| NaiveDate::from_ymd_opt(2026, 11, day).unwrap();
        for (day, persona) in [(18, "persona_1"), (19, "persona_2"), (20, "persona_3")] {
            generic::write(
                &snapshot_path(out.path(), d(day)),
                [row("1", persona)].iter(),
                "x",
            )
            .unwrap();
            let marker = crate::output::success_marker(out.path(), d(day));
            std::fs::create_dir_all(marker.parent().unwrap()).unwrap();
            std::fs::write(marker, "").unwrap();
        }
        // A snapshot of a date whose run never finished publishing is not a baseline.
        generic::write(
            &snapshot_path(out.path(), d(16)),
            [row("1", "persona_9")].iter(),
            "x",
        )
        .unwrap();
        std::fs::create_dir_all(out.path().join("crm/.replaced-run_date=2026-11-19-1")).unwrap();
        std::fs::create_dir_all(out.path().join("crm/run_date=2026-11-17")).unwrap();
        let b = latest_before(out.path(), d(20), |_| true).unwrap().unwrap();
        assert_eq!(b.run_date, d(19));
        assert_eq!(b.rows["1"].persona_id, "persona_2");
        let b = latest_before(out.path(), d(20), |day| day != d(19))
            .unwrap()
            .unwrap();
        assert_eq!(b.run_date, d(18));
        assert!(latest_before(out.path(), d(18), |_| true)
            .unwrap()
            .is_none());
        assert!(latest_before(out.path(), d(17), |_| true)
            .unwrap()
            .is_none());
    }
}
