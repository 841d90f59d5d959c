//! The push (`--push`): sends a published run's personas to HubSpot through the contacts batch
//! update API, after the run's files are published.
//!
//! What is sent: the HubSpot contacts (record ids from a HubSpot export; a Salesforce or CSV
//! CRM's ids never) whose persona differs from the latest earlier date HubSpot confirmed (a
//! push, or an acknowledged import; every contact when none, or in full mode), plus the records
//! that earlier push could not write. A second push of the same date sends only the records its
//! first push could not write, unless the pipeline has rewritten the date since. Before the
//! first write, every value is checked against the property's options, value and label
//! (HubSpot refuses a whole batch for one unknown option, and an option with our value but
//! another label is someone else's persona). A batch HubSpot refuses is split in halves until the bad record is alone,
//! so one bad record costs only itself; every record that still fails is written with its HTTP
//! status and message to `crm_failures`. `--dry-run` shows what would change and sends nothing.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use tracing::{info, warn};

use crate::config::{CrmConfig, CrmTarget};
use crate::error::{Error, Result};
use crate::output::checksums::sha256_bytes;

use super::client::{BatchOutcome, HubSpot};
use super::failures::{self, Failure};
use super::{acks, delta, generic, labels, CrmRow, HUBSPOT_OPTIONS};

/// Whether a push writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PushMode {
    /// Send the changes to HubSpot and record the failures.
    Write,
    /// Only show what would change; no call, no file written.
    DryRun,
}

/// Which records a push sends, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PushScope {
    /// Every contact: nothing was pushed before this date, or full mode.
    All,
    /// The contacts changed since this date HubSpot confirmed, plus its push's failures.
    ChangedSince(NaiveDate),
    /// Only the records an earlier push of the same date could not write.
    RetryFailures,
}

/// What a push did (or, in a dry run, would do).
#[derive(Debug, Clone)]
pub struct PushReport {
    /// The run date pushed.
    pub run_date: NaiveDate,
    /// The HubSpot property written.
    pub property: String,
    /// Whether it was a dry run.
    pub dry_run: bool,
    /// Which records were chosen.
    pub scope: PushScope,
    /// Records to send.
    pub records: usize,
    /// (value before, value after, contacts), for the summary; the value before is empty for a
    /// contact the baseline lacks.
    pub changes: Vec<(String, String, usize)>,
    /// Records HubSpot accepted.
    pub updated: usize,
    /// Records that failed (in `crm_failures`).
    pub failed: usize,
    /// API calls made, retries included.
    pub calls: usize,
    /// The failures table written (`None` in a dry run).
    pub failures_path: Option<PathBuf>,
}

impl PushReport {
    /// A few lines for the terminal.
    pub fn summary(&self) -> String {
        let scope = match &self.scope {
            PushScope::All => "every contact".to_string(),
            PushScope::ChangedSince(d) => format!("contacts changed since {d}, confirmed"),
            PushScope::RetryFailures => "the records that failed last time".to_string(),
        };
        let mut out = if self.dry_run {
            format!(
                "HubSpot push of {} (dry run): would set `{}` on {} contacts ({scope})\n",
                self.run_date, self.property, self.records
            )
        } else {
            format!(
                "HubSpot push of {}: `{}` on {} contacts ({scope}): {} updated, {} failed, {} calls\n",
                self.run_date, self.property, self.records, self.updated, self.failed, self.calls
            )
        };
        let shown = |v: &str| {
            if v.is_empty() {
                "(empty)".to_string()
            } else {
                v.to_string()
            }
        };
        for (from, to, n) in &self.changes {
            out.push_str(&format!("  {:>7}  {} -> {}\n", n, shown(from), shown(to)));
        }
        if let Some(p) = self.failures_path.as_ref().filter(|_| self.failed > 0) {
            out.push_str(&format!(
                "  failed records: {} (push again to retry only these)\n",
                p.display()
            ));
        }
        out
    }
}

/// One record to send.
struct Record<'a> {
    row: &'a CrmRow<'a>,
    value: &'a str,
}

/// Push the published run of `run_date` under `output_dir` to HubSpot (see the module docs).
/// Errors before the first write (no snapshot, no token, a missing property or option, HubSpot
/// unreachable); after it, a record that fails is recorded, not an error, except a refused token
/// or a wrong endpoint, which stop the push.
pub async fn push(
    output_dir: &Path,
    run_date: NaiveDate,
    cfg: &CrmConfig,
    mode: PushMode,
) -> Result<PushReport> {
    cfg.check().map_err(|message| Error::Config {
        path: PathBuf::from("[crm]"),
        message,
    })?;
    let text = cfg.hubspot.property_type.is_text();
    let property = cfg.hubspot.property.as_str();
    let snapshot = delta::snapshot_path(output_dir, run_date);
    let bytes = match std::fs::read(&snapshot) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(Error::BadInput {
                file: snapshot.display().to_string(),
                reason: format!(
                    "no CRM snapshot for {run_date}: run the pipeline for that date first"
                ),
            })
        }
        Err(e) => return Err(Error::io(&snapshot, e)),
    };
    let sha = sha256_bytes(&bytes);
    let mut rows = generic::read(&snapshot)?;
    let unknown = rows.iter().filter(|r| r.system.is_none()).count();
    if unknown > 0 {
        warn!(
            contacts = unknown,
            "Contacts whose CRM is unknown are not pushed to HubSpot."
        );
    }
    rows.retain(|r| r.system == Some(CrmTarget::Hubspot));
    let failures_path = failures::path(output_dir, run_date);

    let (scope, selected, before) = select(output_dir, run_date, cfg, &rows, &sha)?;
    let records: Vec<Record> = selected
        .iter()
        .map(|row| Record {
            row,
            value: row.value(cfg, text),
        })
        .collect();
    let mut changes: BTreeMap<(String, String), usize> = BTreeMap::new();
    for r in &records {
        let from = before
            .as_ref()
            .and_then(|b| b.rows.get(r.row.contact_id.as_ref()))
            .map_or("", |p| p.value(cfg, text));
        *changes
            .entry((from.to_string(), r.value.to_string()))
            .or_default() += 1;
    }
    let mut report = PushReport {
        run_date,
        property: property.to_string(),
        dry_run: mode == PushMode::DryRun,
        scope,
        records: records.len(),
        changes: changes.into_iter().map(|((f, t), n)| (f, t, n)).collect(),
        updated: 0,
        failed: 0,
        calls: 0,
        failures_path: None,
    };
    if mode == PushMode::DryRun {
        info!(records = report.records, property, "Dry run: nothing sent.");
        return Ok(report);
    }

    let mut client = HubSpot::new(cfg)?;
    let (mut updated, mut failed) = (0, Vec::new());
    if !records.is_empty() {
        check_options(&mut client, cfg, &records, output_dir, run_date).await?;
        (updated, failed) =
            deliver(&mut client, property, &records, cfg.hubspot.batch_size).await?;
    }
    failures::write(&failures_path, run_date, &failed, &sha)?;
    report.updated = updated;
    report.failed = failed.len();
    report.calls = client.calls;
    report.failures_path = Some(failures_path);
    if report.failed > 0 {
        warn!(failed = report.failed, table = %failures::TABLE,
            "Some records were not written to HubSpot; push again to retry only these.");
    }
    info!(
        records = report.records,
        updated = report.updated,
        failed = report.failed,
        calls = report.calls,
        property,
        "Pushed personas to HubSpot."
    );
    Ok(report)
}

/// The rows to send, why, and the snapshot they are compared with.
fn select<'a>(
    output_dir: &Path,
    run_date: NaiveDate,
    cfg: &CrmConfig,
    rows: &'a [CrmRow<'a>],
    sha: &str,
) -> Result<(PushScope, Vec<&'a CrmRow<'a>>, Option<delta::Baseline>)> {
    let pushed_before = failures::read(&failures::path(output_dir, run_date))?;
    if let Some(prior) = pushed_before.filter(|p| p.snapshot_sha256.as_deref() == Some(sha)) {
        let ids: HashSet<&str> = prior
            .failures
            .iter()
            .map(|f| f.contact_id.as_str())
            .collect();
        let selected = rows
            .iter()
            .filter(|r| ids.contains(r.contact_id.as_ref()))
            .collect();
        return Ok((PushScope::RetryFailures, selected, None));
    }
    let confirmed = acks::confirmed_before(output_dir, run_date, CrmTarget::Hubspot)?;
    let Some(c) = confirmed.filter(|_| !cfg.mode.is_full()) else {
        return Ok((PushScope::All, rows.iter().collect(), None));
    };
    let selected = rows.iter().filter(|r| c.is_pending(r)).collect();
    Ok((
        PushScope::ChangedSince(c.baseline.run_date),
        selected,
        Some(c.baseline),
    ))
}

/// Check, before any write, that every value to send is an option of the property, with our
/// label.
async fn check_options(
    client: &mut HubSpot,
    cfg: &CrmConfig,
    records: &[Record<'_>],
    output_dir: &Path,
    run_date: NaiveDate,
) -> Result<()> {
    let prop = client.property(&cfg.hubspot.property).await?;
    if prop.kind != "enumeration" {
        if !cfg.hubspot.property_type.is_text() {
            warn!(property = %prop.name, kind = %prop.kind,
                "The property is not an enumeration: persona ids are written as plain text; set crm.hubspot.property_type = \"text\" to write names.");
        }
        return Ok(());
    }
    let options: HashSet<&str> = prop.options.iter().map(|o| o.value.as_str()).collect();
    let missing: BTreeSet<&str> = records
        .iter()
        .map(|r| r.value)
        .filter(|v| !v.is_empty() && !options.contains(v))
        .collect();
    if missing.is_empty() {
        let ours: HashMap<&str, &str> = records
            .iter()
            .filter(|r| !r.value.is_empty() && !cfg.hubspot.property_type.is_text())
            .map(|r| (r.value, r.row.label(cfg)))
            .collect();
        let theirs: HashMap<&str, &str> = prop
            .options
            .iter()
            .map(|o| (o.value.as_str(), o.label.as_str()))
            .collect();
        let conflicts = labels::conflicts(&ours, &theirs);
        if conflicts.is_empty() {
            return Ok(());
        }
        return Err(Error::BadInput {
            file: format!("HubSpot contact property `{}`", prop.name),
            reason: format!(
                "an option has our value but another label: {}. Nothing was written: its contacts would land in another persona. Rename the option's label in HubSpot if it is ours, or write a custom property (crm.hubspot.property)",
                conflicts.join("; ")
            ),
        });
    }
    let listed = missing
        .iter()
        .map(|v| format!("`{v}`"))
        .collect::<Vec<_>>()
        .join(", ");
    let options_file = output_dir
        .join(super::CRM_TABLE)
        .join(format!("run_date={run_date}"))
        .join(HUBSPOT_OPTIONS);
    Err(Error::BadInput {
        file: format!("HubSpot contact property `{}`", prop.name),
        reason: format!(
            "has no option {listed}: nothing was written; create the options listed in {} first",
            options_file.display()
        ),
    })
}

/// Send `records` in batches; returns how many HubSpot accepted and the records that failed. A refused batch is split in
/// halves until the refused record is alone (or the answer names it).
async fn deliver(
    client: &mut HubSpot,
    property: &str,
    records: &[Record<'_>],
    batch_size: usize,
) -> Result<(usize, Vec<Failure>)> {
    let all: Vec<usize> = (0..records.len()).collect();
    let mut queue: VecDeque<Vec<usize>> = all
        .chunks(batch_size.max(1))
        .map(<[usize]>::to_vec)
        .collect();
    let mut failed: Vec<(usize, Option<u16>, String)> = Vec::new();
    let mut accepted = 0;
    while let Some(batch) = queue.pop_front() {
        let inputs: Vec<(&str, &str)> = batch
            .iter()
            .map(|&i| (records[i].row.contact_id.as_ref(), records[i].value))
            .collect();
        match client.batch_update(property, &inputs).await? {
            BatchOutcome::Done(partial) => {
                let refused: HashSet<usize> = partial.iter().map(|p| p.0).collect();
                accepted += batch.len() - refused.len();
                failed.extend(
                    partial
                        .into_iter()
                        .map(|(pos, status, m)| (batch[pos], Some(status), m)),
                );
            }
            BatchOutcome::GaveUp { status, message } => {
                warn!(records = batch.len(), cause = %message, "HubSpot batch failed after retries.");
                failed.extend(batch.iter().map(|&i| (i, status, message.clone())));
            }
            BatchOutcome::Rejected {
                status, message, ..
            } if batch.len() == 1 => {
                failed.push((batch[0], Some(status), message));
            }
            BatchOutcome::Rejected {
                status,
                message,
                ids,
            } => {
                let named: HashSet<&str> = ids.iter().map(String::as_str).collect();
                let (bad, rest): (Vec<usize>, Vec<usize>) = batch
                    .iter()
                    .partition(|&&i| named.contains(records[i].row.contact_id.as_ref()));
                if !bad.is_empty() {
                    failed.extend(bad.into_iter().map(|i| (i, Some(status), message.clone())));
                    if !rest.is_empty() {
                        queue.push_front(rest);
                    }
                } else {
                    let (a, b) = batch.split_at(batch.len() / 2);
                    queue.push_front(b.to_vec());
                    queue.push_front(a.to_vec());
                }
            }
        }
    }
    failed.sort_by_key(|f| f.0);
    failed.dedup_by_key(|f| f.0);
    let failed = failed
        .into_iter()
        .map(|(i, http_status, message)| Failure {
            contact_id: records[i].row.contact_id.to_string(),
            email: records[i].row.email.to_string(),
            property: property.to_string(),
            value: records[i].value.to_string(),
            http_status,
            message,
        })
        .collect();
    Ok((accepted, failed))
}
