//! `personas validate`: finds every source's inputs and checks that each looks like its kind
//! (a CSV header with the required columns, the first GA4 event, a whole insights document),
//! without writing anything.

use std::fmt::Write;

use crate::config::Pipeline;
use crate::error::Result;

use super::{check_file, resolve_files, store};

/// What each source would read, one line per source and per file.
pub async fn report(pipeline: &Pipeline) -> Result<String> {
    let mut out = String::new();
    for s in &pipeline.config.sources {
        if store::is_remote(&s.path) {
            let _ = writeln!(
                out,
                "  source {:<10} {:?}: {} (remote; fetched at run time)",
                s.name, s.kind, s.path
            );
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
            "  source {:<10} {:?}: {} files, {:.1} MB",
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
