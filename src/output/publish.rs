//! Publishing a run, all or nothing. Every output is written under the run's staging folder
//! first; only when the whole run succeeded are the date's partitions moved into place, under a
//! publish journal, and the date's `_SUCCESS` marker is written last.
//!
//! The reader contract: a date's outputs are complete and consistent when
//! `manifests/run_date=<d>/_SUCCESS` exists ([`is_published`], [`published_dates`]); read no
//! partition of a date without it. Folders and files whose names start with `.` or `_` are never
//! data (`.staging/`, `.publish/`, `.lock`).
//!
//! Publishing date `d`: (1) write the journal `.publish/run_date=<d>.json` naming the staged
//! partitions and whether each had a previous version; (2) move the previous `manifests`
//! partition aside first, which takes the old marker with it (from here on the date reads as
//! unpublished), then swap every other partition: the previous version into
//! `.publish/run_date=<d>.old/`, the staged one into place; (3) write `_SUCCESS`; (4) delete the
//! journal and the previous versions. A run killed in the middle leaves the journal behind, and
//! the next run of the pipeline, holding the lock, first rolls the interrupted publish back with
//! [`recover`]: the previous version of every partition is restored, markers included.

use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use tracing::{info, warn};

use crate::error::{Error, Result};

/// Marker file written last into a date's `manifests` partition.
pub const SUCCESS: &str = "_SUCCESS";
/// Table holding one manifest per run date (and the date's `_SUCCESS` marker).
pub const MANIFESTS: &str = "manifests";
/// Folder of the run staging folders.
pub const STAGING: &str = ".staging";
/// Folder of publish journals and the partitions they replaced.
const JOURNALS: &str = ".publish";

/// A test hook: stop the process (as `kill -9` would) after this many partitions are swapped.
pub(super) type AbortAfter = Option<usize>;

/// The entries of a folder, or `None` when it does not exist (yet).
fn entries_if_any(dir: &Path) -> Result<Option<std::fs::ReadDir>> {
    match std::fs::read_dir(dir) {
        Ok(entries) => Ok(Some(entries)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::io(dir, e)),
    }
}

/// What a date's `_SUCCESS` marker holds: the date and a newline.
pub fn marker_body(date: NaiveDate) -> Vec<u8> {
    format!("{date}\n").into_bytes()
}

/// The `_SUCCESS` marker of a date.
pub fn success_marker(out: &Path, date: NaiveDate) -> PathBuf {
    out.join(MANIFESTS)
        .join(format!("run_date={date}"))
        .join(SUCCESS)
}

/// Whether a date's outputs are published: complete, consistent and safe to read.
pub fn is_published(out: &Path, date: NaiveDate) -> bool {
    success_marker(out, date).is_file()
}

/// Every published date under an output folder, ascending.
pub fn published_dates(out: &Path) -> Result<Vec<NaiveDate>> {
    let dir = out.join(MANIFESTS);
    let Some(entries) = entries_if_any(&dir)? else {
        return Ok(Vec::new());
    };
    let mut dates = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| Error::io(&dir, e))?;
        let name = entry.file_name();
        let Some(date) = name
            .to_str()
            .and_then(|n| n.strip_prefix("run_date="))
            .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
        else {
            continue;
        };
        if entry.path().join(SUCCESS).is_file() {
            dates.push(date);
        }
    }
    dates.sort();
    Ok(dates)
}

/// What the journal says about one partition.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
struct JournalEntry {
    /// Partition folder, relative to the output folder.
    path: PathBuf,
    /// Whether a previous version was in place when the publish began.
    had_previous: bool,
}

/// An interrupted publish can be rolled back from this.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
struct Journal {
    /// Logical date being published.
    run_date: NaiveDate,
    /// The run's staging folder, relative to the output folder.
    staging: PathBuf,
    /// Where the previous versions are moved, relative to the output folder.
    backup: PathBuf,
    /// The partitions, in the order they are swapped (`manifests` first).
    partitions: Vec<JournalEntry>,
}

fn journal_path(out: &Path, date: NaiveDate) -> PathBuf {
    out.join(JOURNALS).join(format!("run_date={date}.json"))
}

fn rename(from: &Path, to: &Path) -> Result<()> {
    if let Some(parent) = to.parent() {
        std::fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
    }
    std::fs::rename(from, to).map_err(|e| Error::io(to, e))
}

fn remove_dir(path: &Path) -> Result<()> {
    match std::fs::remove_dir_all(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(Error::io(path, e)),
    }
}

/// Write a small file under a temporary name, flush it to disk, and rename it into place.
pub(super) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let tmp = dir.join(format!(
        ".{}.tmp-{}",
        path.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        std::process::id()
    ));
    let mut f = std::fs::File::create(&tmp).map_err(|e| Error::io(&tmp, e))?;
    f.write_all(bytes)
        .and_then(|_| f.sync_all())
        .map_err(|e| Error::io(&tmp, e))?;
    drop(f);
    std::fs::rename(&tmp, path).map_err(|e| Error::io(path, e))
}

/// Move each staged partition into place, replacing the same date's previous partition, and
/// write the date's `_SUCCESS` marker last. `partitions` are relative to both folders; the
/// `manifests` partition must be among them.
pub(crate) fn publish(
    staging: &Path,
    out: &Path,
    date: NaiveDate,
    partitions: &[PathBuf],
    abort_after: AbortAfter,
) -> Result<()> {
    let manifest_rel = PathBuf::from(MANIFESTS).join(format!("run_date={date}"));
    let mut order: Vec<&PathBuf> = partitions.iter().filter(|p| **p == manifest_rel).collect();
    if order.is_empty() {
        return Err(Error::BadInput {
            file: staging.display().to_string(),
            reason: "internal: the run has no manifest partition to publish".into(),
        });
    }
    order.extend(partitions.iter().filter(|p| **p != manifest_rel));
    let journal = Journal {
        run_date: date,
        staging: staging.strip_prefix(out).unwrap_or(staging).to_path_buf(),
        backup: PathBuf::from(JOURNALS).join(format!("run_date={date}.old")),
        partitions: order
            .iter()
            .map(|rel| JournalEntry {
                path: (*rel).clone(),
                had_previous: out.join(rel).exists(),
            })
            .collect(),
    };
    let backup = out.join(&journal.backup);
    remove_dir(&backup)?;
    let jpath = journal_path(out, date);
    write_atomic(&jpath, &serde_json::to_vec_pretty(&journal)?)?;
    for (i, entry) in journal.partitions.iter().enumerate() {
        if abort_after == Some(i) {
            warn!(
                swapped = i,
                "Test hook: aborting in the middle of the publish."
            );
            std::process::abort();
        }
        let (from, to) = (staging.join(&entry.path), out.join(&entry.path));
        if entry.had_previous {
            rename(&to, &backup.join(&entry.path))?;
        }
        rename(&from, &to)?;
    }
    write_atomic(&out.join(&manifest_rel).join(SUCCESS), &marker_body(date))?;
    // Committed: what follows only tidies up (and `recover` would finish it).
    std::fs::remove_file(&jpath).map_err(|e| Error::io(&jpath, e))?;
    remove_dir(&backup)?;
    let _ = std::fs::remove_dir(out.join(JOURNALS));
    Ok(())
}

/// Finish or roll back every interrupted publish under `out` (call it holding the lock): a
/// publish whose `_SUCCESS` marker was written is finished (the previous versions deleted);
/// any other is rolled back, every partition restored to its previous version. Returns the
/// dates recovered.
pub fn recover(out: &Path) -> Result<Vec<NaiveDate>> {
    let dir = out.join(JOURNALS);
    let Some(entries) = entries_if_any(&dir)? else {
        return Ok(Vec::new());
    };
    let mut journals: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    journals.sort();
    let mut recovered = Vec::new();
    for jpath in journals {
        let text = std::fs::read(&jpath).map_err(|e| Error::io(&jpath, e))?;
        let journal: Journal = serde_json::from_slice(&text).map_err(|e| Error::BadInput {
            file: jpath.display().to_string(),
            reason: format!(
                "unreadable publish journal ({e}); restore the partitions from {} by hand",
                dir.display()
            ),
        })?;
        let date = journal.run_date;
        let backup = out.join(&journal.backup);
        if is_published(out, date) {
            info!(run_date = %date, "Finishing an interrupted publish that had committed.");
        } else {
            warn!(run_date = %date, "Rolling back an interrupted publish; the date's previous outputs are restored.");
            for entry in journal.partitions.iter().rev() {
                let (live, old) = (out.join(&entry.path), backup.join(&entry.path));
                if old.exists() {
                    remove_dir(&live)?;
                    rename(&old, &live)?;
                } else if !entry.had_previous {
                    remove_dir(&live)?;
                }
            }
        }
        remove_dir(&backup)?;
        remove_dir(&out.join(&journal.staging))?;
        std::fs::remove_file(&jpath).map_err(|e| Error::io(&jpath, e))?;
        recovered.push(date);
    }
    let _ = std::fs::remove_dir(&dir);
    Ok(recovered)
}

/// Delete the staging folders of earlier runs that died (call it holding the lock).
pub(crate) fn clean_staging(out: &Path) -> Result<()> {
    let dir = out.join(STAGING);
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Ok(());
    };
    for entry in entries.filter_map(|e| e.ok()) {
        warn!(folder = %entry.path().display(), "Deleting the staging folder of an earlier run that did not finish.");
        remove_dir(&entry.path())?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 20).unwrap()
    }

    /// Stage `table/run_date=<d>/part` with `content` for each table.
    fn stage(root: &Path, tables: &[&str], content: &str) -> Vec<PathBuf> {
        tables
            .iter()
            .map(|t| {
                let rel = PathBuf::from(t).join(format!("run_date={}", date()));
                std::fs::create_dir_all(root.join(&rel)).unwrap();
                std::fs::write(root.join(&rel).join("part"), content).unwrap();
                rel
            })
            .collect()
    }

    fn read(out: &Path, table: &str) -> Option<String> {
        std::fs::read_to_string(
            out.join(table)
                .join(format!("run_date={}", date()))
                .join("part"),
        )
        .ok()
    }

    #[test]
    fn publish_replaces_every_partition_and_marks_the_date_last() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        let tables = [MANIFESTS, "personas", "persona_members"];
        let staged = dir.path().join("s1");
        let parts = stage(&staged, &tables, "one");
        publish(&staged, &out, date(), &parts, None).unwrap();
        assert!(is_published(&out, date()));
        assert_eq!(published_dates(&out).unwrap(), vec![date()]);
        let staged = dir.path().join("s2");
        let parts = stage(&staged, &tables, "two");
        publish(&staged, &out, date(), &parts, None).unwrap();
        for t in tables {
            assert_eq!(read(&out, t).as_deref(), Some("two"), "{t}");
        }
        assert!(is_published(&out, date()));
        assert!(!out.join(JOURNALS).exists());
        assert!(recover(&out).unwrap().is_empty());
    }

    #[test]
    fn an_interrupted_publish_is_rolled_back() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        let tables = [MANIFESTS, "personas", "persona_members", "persona_traits"];
        let s1 = dir.path().join("s1");
        let parts = stage(&s1, &tables[..3], "old");
        publish(&s1, &out, date(), &parts, None).unwrap();
        // Simulate a crash after two of four partitions were swapped (`persona_traits` is new
        // in the second run).
        let s2 = dir.path().join("s2");
        let parts = stage(&s2, &tables, "new");
        let journal = Journal {
            run_date: date(),
            staging: s2.clone(),
            backup: PathBuf::from(JOURNALS).join("run_date=2026-11-20.old"),
            partitions: parts
                .iter()
                .map(|p| JournalEntry {
                    path: p.clone(),
                    had_previous: out.join(p).exists(),
                })
                .collect(),
        };
        write_atomic(
            &journal_path(&out, date()),
            &serde_json::to_vec(&journal).unwrap(),
        )
        .unwrap();
        for p in &parts[..2] {
            rename(&out.join(p), &out.join(&journal.backup).join(p)).unwrap();
            rename(&s2.join(p), &out.join(p)).unwrap();
        }
        // Half swapped: the date reads as unpublished.
        assert!(!is_published(&out, date()));
        assert_eq!(read(&out, "personas").as_deref(), Some("new"));
        assert_eq!(recover(&out).unwrap(), vec![date()]);
        for t in &tables[..3] {
            assert_eq!(read(&out, t).as_deref(), Some("old"), "{t}");
        }
        assert_eq!(read(&out, "persona_traits"), None);
        assert!(is_published(&out, date()));
        assert!(!s2.exists() && !out.join(JOURNALS).exists());
    }

    #[test]
    fn a_publish_that_committed_is_finished() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        let s1 = dir.path().join("s1");
        let parts = stage(&s1, &[MANIFESTS, "personas"], "new");
        publish(&s1, &out, date(), &parts, None).unwrap();
        // A journal left behind after the marker was written (killed while tidying up).
        let backup = out.join(JOURNALS).join("run_date=2026-11-20.old");
        std::fs::create_dir_all(backup.join("personas")).unwrap();
        let journal = Journal {
            run_date: date(),
            staging: s1,
            backup: PathBuf::from(JOURNALS).join("run_date=2026-11-20.old"),
            partitions: vec![JournalEntry {
                path: parts[1].clone(),
                had_previous: true,
            }],
        };
        write_atomic(
            &journal_path(&out, date()),
            &serde_json::to_vec(&journal).unwrap(),
        )
        .unwrap();
        assert_eq!(recover(&out).unwrap(), vec![date()]);
        assert_eq!(read(&out, "personas").as_deref(), Some("new"));
        assert!(!backup.exists());
    }
}
