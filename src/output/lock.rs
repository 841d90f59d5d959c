//! The run lock: one run of a pipeline at a time per output folder. The lock is the file
//! `<output_dir>/.lock`, created with `create_new` and holding the process id, host, pipeline,
//! date and start time of the run that holds it; it is deleted when the run ends, however it
//! ends short of the process being killed. A lock left by a process that no longer runs on this
//! host is taken over with a warning; any other lock makes the second run fail with
//! [`Error::LockHeld`] (exit code 75).

use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::{NaiveDate, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use tracing::warn;

use crate::error::{Error, Result};

/// File name of the lock in the output folder.
pub const LOCK_FILE: &str = ".lock";

/// What the lock file says about its holder.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct LockInfo {
    /// Process id of the holder.
    pub pid: u32,
    /// Host name of the holder.
    pub host: String,
    /// Pipeline name.
    pub pipeline: String,
    /// Logical date being run.
    pub run_date: String,
    /// When the run started (RFC 3339, UTC).
    pub started_at: String,
}

impl LockInfo {
    fn describe(&self) -> String {
        format!(
            "pipeline `{}`, date {}, process {} on host {}, started {}",
            self.pipeline, self.run_date, self.pid, self.host, self.started_at
        )
    }
}

/// The held lock; dropping it deletes the lock file (when it is still ours).
#[derive(Debug)]
pub struct RunLock {
    path: PathBuf,
    contents: String,
}

/// This machine's host name (Linux `/proc`, else `$HOSTNAME`, else `unknown`).
pub fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok().filter(|s| !s.is_empty()))
        .unwrap_or_else(|| "unknown".into())
}

/// Whether a process with this id runs on this host; `true` where that cannot be known.
fn process_alive(pid: u32) -> bool {
    let proc = Path::new("/proc");
    if !proc.join("self").exists() {
        return true;
    }
    proc.join(pid.to_string()).exists()
}

impl RunLock {
    /// Take the lock of an output folder for a run of `pipeline` on `run_date`.
    pub fn acquire(out: &Path, pipeline: &str, run_date: NaiveDate) -> Result<RunLock> {
        std::fs::create_dir_all(out).map_err(|e| Error::io(out, e))?;
        let path = out.join(LOCK_FILE);
        let info = LockInfo {
            pid: std::process::id(),
            host: host_name(),
            pipeline: pipeline.to_string(),
            run_date: run_date.to_string(),
            started_at: Utc::now().to_rfc3339_opts(SecondsFormat::Micros, true),
        };
        let contents = serde_json::to_string(&info)?;
        // Two attempts: the second after taking over a stale lock.
        for _ in 0..2 {
            match std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&path)
            {
                Ok(mut f) => {
                    f.write_all(contents.as_bytes())
                        .and_then(|_| f.sync_all())
                        .map_err(|e| Error::io(&path, e))?;
                    return Ok(RunLock { path, contents });
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    let held = std::fs::read_to_string(&path).unwrap_or_default();
                    let holder = serde_json::from_str::<LockInfo>(&held).ok();
                    match holder {
                        Some(h) if h.host == info.host && !process_alive(h.pid) => {
                            warn!(lock = %path.display(), holder = %h.describe(), "Taking over the lock of a run that is no longer running.");
                            // Move it aside rather than delete it: of two runs taking over at
                            // once, only one rename succeeds on the stale file.
                            let aside = out.join(format!("{LOCK_FILE}.stale-{}", info.pid));
                            if std::fs::rename(&path, &aside).is_ok() {
                                let _ = std::fs::remove_file(&aside);
                            }
                        }
                        Some(h) => {
                            return Err(Error::LockHeld {
                                lock: path,
                                holder: h.describe(),
                            })
                        }
                        None => {
                            return Err(Error::LockHeld {
                                lock: path,
                                holder: "holder unknown: the lock file is unreadable".into(),
                            })
                        }
                    }
                }
                Err(e) => return Err(Error::io(&path, e)),
            }
        }
        Err(Error::LockHeld {
            lock: path,
            holder: "another run took it over at the same time".into(),
        })
    }

    /// The lock file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for RunLock {
    fn drop(&mut self) {
        // Only delete the lock if it is still ours.
        if std::fs::read_to_string(&self.path).is_ok_and(|c| c == self.contents) {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 20).unwrap()
    }

    #[test]
    fn second_lock_is_refused_and_released_on_drop() {
        let dir = tempfile::tempdir().unwrap();
        let lock = RunLock::acquire(dir.path(), "p", date()).unwrap();
        let err = RunLock::acquire(dir.path(), "p", date()).unwrap_err();
        assert_eq!(err.exit_code(), 75);
        let msg = err.to_string();
        assert!(
            msg.contains(&format!("process {}", std::process::id())) && msg.contains(".lock"),
            "{msg}"
        );
        drop(lock);
        assert!(!dir.path().join(LOCK_FILE).exists());
        RunLock::acquire(dir.path(), "p", date()).unwrap();
    }

    #[test]
    fn stale_lock_of_a_dead_process_is_taken_over() {
        let dir = tempfile::tempdir().unwrap();
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let dead = child.id();
        child.wait().unwrap();
        let stale = LockInfo {
            pid: dead,
            host: host_name(),
            pipeline: "p".into(),
            run_date: "2026-11-19".into(),
            started_at: "2026-11-19T00:00:00Z".into(),
        };
        std::fs::write(
            dir.path().join(LOCK_FILE),
            serde_json::to_string(&stale).unwrap(),
        )
        .unwrap();
        let lock = RunLock::acquire(dir.path(), "p", date()).unwrap();
        let now: LockInfo =
            serde_json::from_str(&std::fs::read_to_string(lock.path()).unwrap()).unwrap();
        assert_eq!(now.pid, std::process::id());
        // A lock from another host is never taken over: its process cannot be checked.
        drop(lock);
        let other = LockInfo {
            host: format!("{}-elsewhere", host_name()),
            ..stale
        };
        std::fs::write(
            dir.path().join(LOCK_FILE),
            serde_json::to_string(&other).unwrap(),
        )
        .unwrap();
        let err = RunLock::acquire(dir.path(), "p", date()).unwrap_err();
        assert!(err.to_string().contains("-elsewhere"), "{err}");
    }
}
