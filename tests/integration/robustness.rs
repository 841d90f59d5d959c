//! The robustness suite at a size CI affords: every design of `personas generate --design`,
//! run through the whole pipeline with the signal columns as criteria, with `criteria =
//! "auto"`, with buyer/user buckets where roles are spread, and against the plain k-means
//! baseline. `personas evaluate --design every --contacts 5000` runs it at full size; the README
//! has its table.

use std::collections::BTreeSet;

use personas::config::FeaturesConfig;
use personas::tooling::evaluate::suite::{summary, DesignResult};
use personas::tooling::evaluate::{run_suite, SuiteOptions};

use crate::util::{block_on, sql_dir};

/// Contacts per design in CI (the full-size runs are in the README).
const CONTACTS: usize = 2000;

fn suite() -> Vec<DesignResult> {
    let dir = tempfile::tempdir().unwrap();
    let opts = SuiteOptions {
        contacts: CONTACTS,
        dir: Some(dir.path().to_path_buf()),
        sql_dir: sql_dir(),
        ..SuiteOptions::default()
    };
    block_on(run_suite(&opts)).unwrap()
}

#[test]
fn personas_hold_on_designs_we_did_not_tune_on() {
    let results = suite();
    let table = summary(&results);
    println!("{table}");
    assert_eq!(results.len(), 7, "{table}");
    let candidates: BTreeSet<String> = FeaturesConfig::default().candidates.into_iter().collect();
    for r in &results {
        let name = r.design.name;
        if r.design.personas == 0 {
            // The null design: no structure, every persona flagged, nothing to the CRM.
            for run in [&r.signal, &r.auto] {
                assert!(!run.structured, "{name}: structure found in noise\n{table}");
                assert_eq!(run.unstable, run.personas, "{name}\n{table}");
                assert_eq!(run.crm_assigned, 0, "{name}: personas in the CRM\n{table}");
            }
            continue;
        }
        // Real structure is found as such: nothing withheld for lack of it.
        for run in [&r.signal, &r.auto] {
            assert!(run.structured, "{name}: no structure found\n{table}");
            assert!(run.crm_assigned > 0, "{name}\n{table}");
        }
        // `auto` proposes exactly the columns that carry the planted signal.
        let signal: BTreeSet<String> = r
            .design
            .signal_columns
            .iter()
            .map(|c| c.to_string())
            .filter(|c| candidates.contains(c))
            .collect();
        let proposed: BTreeSet<String> = r.auto.columns.iter().cloned().collect();
        assert_eq!(proposed, signal, "{name}: auto criteria\n{table}");
        // Issue 10's aims, at the CI size: the planted personas with the signal columns as
        // criteria, `auto` at least as close as the plain k-means baseline on the same exports.
        assert!(r.signal.ari >= 0.9, "{name}: signal criteria\n{table}");
        assert!(
            r.auto.ari >= r.baseline.0,
            "{name}: auto below the baseline\n{table}"
        );
        // With buyer/user buckets, each bucket's personas against the planted ones.
        if let Some(b) = &r.buckets {
            assert_eq!(b.per_bucket.len(), 2, "{name}\n{table}");
            for (bucket, ari) in &b.per_bucket {
                assert!(*ari >= 0.9, "{name}: bucket {bucket}\n{table}");
            }
        }
    }
}
