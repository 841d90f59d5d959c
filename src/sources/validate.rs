//! `personas validate`: finds every source's inputs and checks that each looks like its kind
//! (a CSV header with the required columns, the first GA4 event or a Parquet extract's footer,
//! a GA4 report's header, a whole insights or follower statistics document), without writing
//! anything. Remote sources are listed on their store and each file's first (or, for Parquet,
//! last) bytes read with a ranged request; an unreachable store is the run's `Unreachable` error.

use std::fmt::Write;
use std::io::Cursor;
use std::path::Path;

use crate::config::{Pipeline, SourceConfig, SourceKind};
use crate::error::Result;

use super::ga4::{events, parquet as ga4_parquet, report as ga4_report};
use super::social::{linkedin, meta};
use super::store::archive;
use super::store::remote::{self, Peek, RemoteFile, RemoteSource};
use super::{
    check_file, check_zip, csv, csv_spec, reader, resolve_files, store, survey, Reader,
    CSV_HEAD_BYTES, REPORT_HEAD_BYTES,
};

/// Largest remote document (insights, follower statistics, a zip of CSVs) read whole to check.
const WHOLE_MAX_BYTES: u64 = 64 << 20;
/// Bytes read from the end of a remote Parquet file to check its footer.
const PARQUET_TAIL_BYTES: u64 = 1 << 20;

/// What each source would read, one line per source and per file.
pub async fn report(pipeline: &Pipeline) -> Result<String> {
    let mut out = String::new();
    for s in &pipeline.config.sources {
        if store::is_remote(&s.path) {
            report_remote(s, &mut out).await?;
            continue;
        }
        let files = resolve_files(pipeline, s)?;
        let bytes: u64 = files
            .iter()
            .filter_map(|f| std::fs::metadata(f).ok())
            .map(|m| m.len())
            .sum();
        let _ = writeln!(
            out,
            "  source {:<10} {}: {} files, {:.1} MB",
            s.name,
            s.kind,
            files.len(),
            bytes as f64 / 1e6
        );
        for f in &files {
            let _ = writeln!(out, "    {}: {}", f.display(), check_file(s, f)?);
        }
    }
    Ok(out)
}

/// List a remote source's files on its store and check each from a few of its bytes.
async fn report_remote(s: &SourceConfig, out: &mut String) -> Result<()> {
    let listing = remote::list(&s.name, &s.path, &s.store).await?;
    let mut lines = Vec::with_capacity(listing.files.len());
    let mut total = 0u64;
    for f in &listing.files {
        let (size, check) = check_remote(s, &listing, f).await?;
        total += size.unwrap_or(0);
        let size = size.map_or_else(|| "size unknown".to_string(), |n| format!("{n} bytes"));
        lines.push(format!("    {} ({size}): {check}", f.origin));
    }
    let _ = writeln!(
        out,
        "  source {:<10} {}: {} files, {:.1} MB (remote: {})",
        s.name,
        s.kind,
        listing.files.len(),
        total as f64 / 1e6,
        store::display_url(&s.path)
    );
    for line in lines {
        let _ = writeln!(out, "{line}");
    }
    Ok(())
}

/// Which bytes of a remote file of this source to read.
fn peek_for(s: &SourceConfig, path: &Path) -> Peek {
    match s.kind {
        SourceKind::Ga4Events if ga4_parquet::is_parquet(path) => Peek::Tail(PARQUET_TAIL_BYTES),
        SourceKind::Ga4Events => Peek::Head(CSV_HEAD_BYTES),
        SourceKind::Ga4Report => Peek::Head(REPORT_HEAD_BYTES),
        SourceKind::MetaPageInsights | SourceKind::LinkedinFollowerStatistics => {
            Peek::Whole(WHOLE_MAX_BYTES)
        }
        _ if archive::is_zip(path) => Peek::Whole(WHOLE_MAX_BYTES),
        _ => Peek::Head(CSV_HEAD_BYTES),
    }
}

/// Read the bytes a remote file's check needs and check them: (size, description).
async fn check_remote(
    s: &SourceConfig,
    listing: &RemoteSource,
    f: &RemoteFile,
) -> Result<(Option<u64>, String)> {
    // The origin, as a path, gives the checks a file name and an extension.
    let path = Path::new(&f.origin);
    let peek = peek_for(s, path);
    let peeked = listing.peek(f, peek).await?;
    let size = peeked.size.or(f.size);
    let Some(bytes) = peeked.bytes else {
        let note = format!(
            "over {} MB: not checked here, read whole at run time",
            WHOLE_MAX_BYTES >> 20
        );
        return Ok((size, note));
    };
    let size = size.or(Some(bytes.len() as u64));
    let shown = f.origin.as_str();
    let check = match reader(s.kind) {
        Reader::Ga4Events if ga4_parquet::is_parquet(path) => {
            ga4_parquet::check_footer(&bytes, shown)?.unwrap_or_else(|| {
                format!(
                    "Parquet footer longer than {} MB: not checked here",
                    PARQUET_TAIL_BYTES >> 20
                )
            })
        }
        Reader::Ga4Events => events::check_head(&bytes, shown)?,
        Reader::Ga4Report => ga4_report::check_head(&bytes, s.encoding, shown)?,
        Reader::MetaPageInsights => meta::check_bytes(&bytes, path)?,
        Reader::LinkedinFollowerStatistics => linkedin::check_bytes(&bytes, shown)?,
        Reader::Survey => survey::check_bytes(s, &bytes, path, shown)?,
        Reader::Csv => {
            if archive::is_zip(path) {
                check_zip(s, Cursor::new(bytes), path)?
            } else {
                let columns = csv::check_header_bytes(&bytes, &csv_spec(s)?, shown)?;
                format!(
                    "header of {} columns, all required ones present",
                    columns.len()
                )
            }
        }
    };
    Ok((size, check))
}
