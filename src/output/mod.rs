//! The output folder, and nothing about personas: where a table's partition for a date lives
//! and what its part file is called, the Parquet writer and reader, staging and all-or-nothing
//! publishing (with recovery and the `_SUCCESS` markers readers go by), the run lock, and the
//! input checksums remembered between runs; and the copy of a date on an object store
//! (`mirror`), under the same contract.
//!
//! ```text
//! <output_dir>/
//!   <table>/run_date=<d>/part-0.parquet   one partition per table and run date
//!   manifests/run_date=<d>/_SUCCESS       written last: the date is published
//!   .staging/  .publish/  .lock  .checksums.json
//! ```

pub mod checksums;
pub mod lock;
pub mod mirror;
pub mod parquet;
pub mod publish;

use std::path::{Path, PathBuf};

use chrono::NaiveDate;

pub use publish::{is_published, published_dates, recover, success_marker, MANIFESTS};

/// File name of every Parquet table part we write.
pub const PART: &str = "part-0.parquet";

/// Partition folder of a table for a date, relative to the output folder.
pub fn partition(table: &str, run_date: NaiveDate) -> PathBuf {
    PathBuf::from(table).join(format!("run_date={run_date}"))
}

/// File name of the manifest in its partition.
pub const MANIFEST_FILE: &str = "manifest.json";

/// The published manifest of a date.
pub fn manifest_path(out: &Path, date: NaiveDate) -> PathBuf {
    out.join(partition(MANIFESTS, date)).join(MANIFEST_FILE)
}
