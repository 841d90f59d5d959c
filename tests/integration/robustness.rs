//! The robustness suite at a size CI affords: every design of `personas generate --design`,
//! run through the whole pipeline with the signal columns as criteria, with `criteria =
//! "auto"`, with buyer/user buckets where roles are spread, and against the plain k-means
//! baseline. `personas evaluate --design all --contacts 5000` (and 100000) runs it at full size.

use personas::evaluate::suite::{summary, DesignResult};
use personas::evaluate::{run_suite, SuiteOptions};

/// Contacts per design in CI (the full-size runs are in the README).
const CONTACTS: usize = 2000;

fn suite() -> Vec<DesignResult> {
    let dir = tempfile::tempdir().unwrap();
    let opts = SuiteOptions {
        contacts: CONTACTS,
        dir: Some(dir.path().to_path_buf()),
        sql_dir: std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("sql"),
        ..SuiteOptions::default()
    };
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(run_suite(&opts))
        .unwrap()
}

#[test]
fn personas_hold_on_designs_we_did_not_tune_on() {
    let results = suite();
    let table = summary(&results);
    println!("{table}");
    assert_eq!(results.len(), 7, "{table}");
    for r in &results {
        let name = r.design.name;
        if r.design.personas == 0 {
            // The null design: no structure, nothing to the CRM.
            for run in [&r.signal, &r.auto] {
                assert!(!run.structured, "{name}: structure found in noise\n{table}");
                assert_eq!(
                    run.crm_assigned, 0,
                    "{name}: personas sent to the CRM\n{table}"
                );
                assert_eq!(run.unstable, run.personas, "{name}\n{table}");
            }
            continue;
        }
        assert!(r.signal.ari >= 0.9, "{name}: signal criteria\n{table}");
        assert!(
            r.auto.ari >= r.baseline.0,
            "{name}: auto below the baseline\n{table}"
        );
        for run in [&r.signal, &r.auto] {
            assert!(run.structured, "{name}: no structure found\n{table}");
            assert_eq!(run.unstable, 0, "{name}: flagged unstable\n{table}");
            assert!(run.crm_assigned > 0, "{name}\n{table}");
        }
        if let Some(b) = &r.buckets {
            assert_eq!(b.per_bucket.len(), 2, "{name}\n{table}");
            for (bucket, ari) in &b.per_bucket {
                assert!(*ari >= 0.9, "{name}: bucket {bucket}\n{table}");
            }
        }
    }
}
