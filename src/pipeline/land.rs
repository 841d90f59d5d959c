//! The land stage: every source's files landed as Parquet in the staging folder, the GA4
//! events beside the other sources, with each source's rejects beside its table and its reject
//! ceiling checked; the inputs' checksums completed from what landing read.

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

use tracing::info_span;

use super::checks::check_ceiling;
use super::record;
use super::stages::Run;
use crate::config::{PipelineConfig, SourceConfig, SourceKind};
use crate::error::Result;
use crate::landing;
use crate::output::checksums::{Pending, ReadHashes};
use crate::output::{partition, PART};
use crate::sinks::manifest;
use crate::sources::{self, LandContext, SourceReport};

/// The inputs' checksums: known before landing (from the cache, or when the run must compare
/// them first), or completed once landing has hashed the files it read.
pub(super) enum Checksums {
    Done(Vec<manifest::InputFile>),
    Pending(Pending),
}

/// A source's landing and how long it took.
type Landed = (Result<SourceReport>, std::time::Duration);

/// Land every source as Parquet, with its rejects beside it; the inputs' checksums are
/// completed from the files landing read (and hashed) whole.
///
/// The GA4 events land beside the other sources (two lanes): a CSV export is read on one core,
/// and the cores it does not take would otherwise wait. Rejects, reject ceilings and the
/// reports then follow the config's order.
pub(super) fn land(
    run: &mut Run<'_>,
    resolved: &[(&SourceConfig, Vec<PathBuf>)],
    checksums: Checksums,
) -> Result<(Vec<SourceReport>, Vec<manifest::InputFile>)> {
    let hashes = ReadHashes::default();
    // The logical timestamp (the run date at 00:00 UTC), as Airflow's `ts`: a rerun of the date
    // lands byte-identical rows; the wall-clock times are in the manifest.
    let loaded_at = run.date.and_time(chrono::NaiveTime::MIN).and_utc();
    let files: usize = resolved.iter().map(|(_, f)| f.len()).sum();
    run.progress.start(format!(
        "landing {} sources ({files} files)",
        resolved.len()
    ));
    let sources: Vec<SourceConfig> = resolved
        .iter()
        .map(|(s, _)| sources::survey::with_config(s, &run.cfg.surveys))
        .collect();
    let (cfg, date, staging, progress) = (run.cfg, run.date, &run.staging, &run.progress);
    let land_one = |s: &SourceConfig, files: &[PathBuf]| {
        let ctx = LandContext {
            source: s,
            files: files.to_vec(),
            landed_dir: staging.join(partition(&landing_table(cfg, s), date)),
            loaded_at,
            hashes: hashes.clone(),
        };
        let _span = info_span!("land", source = %s.name).entered();
        let started = std::time::Instant::now();
        let report = sources::land(&ctx);
        progress.done();
        (report, started.elapsed())
    };
    let landed = land_in_lanes(&sources, resolved, &land_one);
    let mut reports = Vec::new();
    // The first failure in the config's order: a source not landed comes after a failed one.
    for (s, landed) in sources.iter().zip(landed) {
        let Some((report, took)) = landed else {
            continue;
        };
        let report = report?;
        run.land_times.push((s.name.clone(), took));
        let rel = partition(&landing_table(run.cfg, s), run.date);
        let rejects_rel = PathBuf::from("rejects")
            .join(format!("source={}", s.name))
            .join(format!("run_date={}", run.date));
        landing::write_rejects(
            &run.staging.join(&rejects_rel).join(PART),
            &s.name,
            &run.date_s,
            &report.rejects,
        )?;
        check_ceiling(&report, s.max_reject_pct, &run.out.join(&rejects_rel))?;
        run.published.push(rel);
        run.published.push(rejects_rel);
        reports.push(report);
    }
    let files = match checksums {
        Checksums::Done(files) => files,
        Checksums::Pending(pending) => {
            let sums = pending.finish(&hashes)?;
            record::input_files(run.pipeline, resolved, &run.staging.join("inputs"), sums)
        }
    };
    run.watch.lap("land")?;
    Ok((reports, files))
}

/// Each source landed by `land_one` in two lanes, each in the config's order and stopping at
/// its first failure: the GA4 events (a worker per core, memory at a batch per worker) and the
/// rest (an export read on one core, and held whole while it is read: one at a time). `None`
/// for a source not landed.
fn land_in_lanes(
    sources: &[SourceConfig],
    resolved: &[(&SourceConfig, Vec<PathBuf>)],
    land_one: &(dyn Fn(&SourceConfig, &[PathBuf]) -> Landed + Sync),
) -> Vec<Option<Landed>> {
    let lanes: [Vec<usize>; 2] = {
        let events = |i: &usize| sources[*i].kind == SourceKind::Ga4Events;
        let (a, b) = (0..sources.len()).partition(events);
        [a, b]
    };
    let mut landed: Vec<Option<Landed>> = (0..sources.len()).map(|_| None).collect();
    // A source that fails stops both lanes before any source after it in the config: the run
    // fails without landing what it will not use, and every source before it still lands, so
    // the error reported is the first in the config's order whichever lane fails first.
    let first_failed = AtomicUsize::new(usize::MAX);
    std::thread::scope(|scope| {
        let handles = lanes.map(|lane| {
            let first_failed = &first_failed;
            scope.spawn(move || {
                let mut done = Vec::new();
                for i in lane {
                    if i > first_failed.load(Ordering::Relaxed) {
                        break;
                    }
                    let (report, took) = land_one(&sources[i], &resolved[i].1);
                    let failed = report.is_err();
                    done.push((i, (report, took)));
                    if failed {
                        first_failed.fetch_min(i, Ordering::Relaxed);
                        break;
                    }
                }
                done
            })
        });
        for h in handles {
            let done = h.join().unwrap_or_else(|p| std::panic::resume_unwind(p));
            for (i, l) in done {
                landed[i] = Some(l);
            }
        }
    });
    landed
}

/// Where a source lands: `landing/<raw table>`, or `landing/<raw table>/source=<name>` when
/// the pipeline reads several sources of its kind (they are unioned into the raw table).
fn landing_table(cfg: &PipelineConfig, source: &SourceConfig) -> String {
    let table = format!("landing/{}", source.kind.raw_table());
    if cfg.sources.iter().filter(|s| s.kind == source.kind).count() > 1 {
        format!("{table}/source={}", source.name)
    } else {
        table
    }
}
