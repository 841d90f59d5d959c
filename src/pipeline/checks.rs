//! The run's gates: the reject ceiling of each source (with the most common reasons in the
//! error) and, when configured, failing a run whose personas are all too small to trust.

use std::path::Path;

use crate::error::{Error, Result};
use crate::landing::{self, Counts};
use crate::profile::{Persona, INSUFFICIENT_SAMPLE};
use crate::sources::SourceReport;

/// Fail when no persona is big enough to trust (the run, or every bucket, below the minimum
/// sample, or every persona below the minimum size).
pub(super) fn check_sample(personas: &[Persona]) -> Result<()> {
    let small = |p: &Persona| p.flags.iter().any(|f| f == INSUFFICIENT_SAMPLE);
    if personas.is_empty() || !personas.iter().all(small) {
        return Ok(());
    }
    let mut reasons: Vec<&str> = personas
        .iter()
        .flat_map(|p| {
            p.flags
                .iter()
                .zip(&p.flag_reasons)
                .filter(|(f, _)| *f == INSUFFICIENT_SAMPLE)
                .map(|(_, r)| r.as_str())
        })
        .collect();
    reasons.dedup();
    Err(Error::InsufficientSample {
        reason: format!(
            "every persona is flagged {INSUFFICIENT_SAMPLE} ({})",
            reasons.join("; ")
        ),
    })
}

pub(super) fn check_ceiling(report: &SourceReport, max_pct: f64, rejects_at: &Path) -> Result<()> {
    let Counts { read, rejected, .. } = report.counts;
    if read == 0 {
        return Ok(());
    }
    let pct = rejected as f64 * 100.0 / read as f64;
    if pct > max_pct {
        return Err(Error::TooManyRejects {
            source_name: report.name.clone(),
            rejected,
            read,
            pct,
            ceiling_pct: max_pct,
            rejects: format!(
                "{} (not published: the run failed; rerun with a higher max_reject_pct to inspect). \
                 Most common reasons: {}",
                rejects_at.display(),
                common_reasons(&report.rejects, 3)
            ),
        });
    }
    Ok(())
}

/// The `n` most common reject reasons with their counts and first rows:
/// "a date that is not a date in \"Create Date\" (812 rows, first at contacts.csv line 40); ...".
pub(super) fn common_reasons(rejects: &[landing::Reject], n: usize) -> String {
    let mut by_reason: std::collections::HashMap<&str, (usize, &landing::Reject)> =
        std::collections::HashMap::new();
    for r in rejects {
        by_reason.entry(r.reason.as_str()).or_insert((0, r)).0 += 1;
    }
    let mut common: Vec<_> = by_reason.into_iter().collect();
    common.sort_by(|a, b| b.1 .0.cmp(&a.1 .0).then(a.0.cmp(b.0)));
    common
        .iter()
        .take(n)
        .map(|(reason, (count, first))| {
            format!(
                "{reason} ({count} rows, first at {} line {})",
                first.file, first.line
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}
