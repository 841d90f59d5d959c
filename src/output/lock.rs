//! The run lock: one run of a pipeline at a time per output folder. The lock is the file
//! `<output_dir>/.lock`, created with `create_new` and holding the process id, host, pipeline,
//! date and start time of the run that holds it; it is deleted when the run ends, however it
//! ends short of the process being killed. The lock is a lease: while the run lives, a thread
//! renews the file's modification time every minute ([`RENEW_EVERY`]). A lock left by a process
//! that no longer runs on this host, or by any host whose lease ([`LEASE`], 10 minutes) has run
//! out (a worker killed with `kill -9` on another machine), is taken over with a warning; any
//! other lock makes the second run fail with [`Error::LockHeld`] (exit code 75). Hosts sharing
//! an output folder need clocks within a few minutes of each other.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, SystemTime};

use chrono::{NaiveDate, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use tracing::warn;

use crate::error::{Error, Result};

/// File name of the lock in the output folder.
pub const LOCK_FILE: &str = ".lock";
/// How long a lock holds without renewal before another host may take it over.
pub const LEASE: Duration = Duration::from_secs(600);
/// How often a live run renews its lease.
pub const RENEW_EVERY: Duration = Duration::from_secs(60);

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
    /// Seconds the lock holds past the file's last modification (its last renewal); absent in
    /// locks written before leases, which get [`LEASE`].
    #[serde(default)]
    pub lease_seconds: Option<u64>,
}

impl LockInfo {
    fn describe(&self) -> String {
        format!(
            "pipeline `{}`, date {}, process {} on host {}, started {}",
            self.pipeline, self.run_date, self.pid, self.host, self.started_at
        )
    }
}

/// The held lock; dropping it stops the renewals and deletes the lock file (when it is still
/// ours).
#[derive(Debug)]
pub struct RunLock {
    path: PathBuf,
    contents: String,
    renewer: Option<(Arc<AtomicBool>, JoinHandle<()>)>,
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
            lease_seconds: Some(LEASE.as_secs()),
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
                    let renewer = Some(renew_while_held(&path, &contents));
                    return Ok(RunLock {
                        path,
                        contents,
                        renewer,
                    });
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    let held = std::fs::read_to_string(&path).unwrap_or_default();
                    let holder = serde_json::from_str::<LockInfo>(&held).ok();
                    match holder {
                        Some(h) if h.host == info.host && !process_alive(h.pid) => {
                            warn!(lock = %path.display(), holder = %h.describe(), "Taking over the lock of a run that is no longer running.");
                            take_over(out, &path, info.pid);
                        }
                        Some(h) if lease_expired(&path, &h) => {
                            warn!(lock = %path.display(), holder = %h.describe(), "Taking over a lock whose lease ran out: its run has not renewed it.");
                            take_over(out, &path, info.pid);
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

/// Move a stale lock aside rather than delete it: of two runs taking over at once, only one
/// rename succeeds on the stale file.
fn take_over(out: &Path, path: &Path, pid: u32) {
    let aside = out.join(format!("{LOCK_FILE}.stale-{pid}"));
    if std::fs::rename(path, &aside).is_ok() {
        let _ = std::fs::remove_file(&aside);
    }
}

/// Whether a lock's lease ran out: its file was last renewed longer ago than its lease.
fn lease_expired(path: &Path, holder: &LockInfo) -> bool {
    let lease = holder.lease_seconds.map_or(LEASE, Duration::from_secs);
    std::fs::metadata(path)
        .and_then(|m| m.modified())
        .ok()
        .and_then(|renewed| SystemTime::now().duration_since(renewed).ok())
        .is_some_and(|age| age > lease)
}

/// A thread that renews the lock's lease (its modification time) every [`RENEW_EVERY`] while the
/// file is still ours, until the returned flag is set.
fn renew_while_held(path: &Path, contents: &str) -> (Arc<AtomicBool>, JoinHandle<()>) {
    let stop = Arc::new(AtomicBool::new(false));
    let (path, contents, flag) = (path.to_path_buf(), contents.to_string(), stop.clone());
    let handle = std::thread::spawn(move || loop {
        std::thread::park_timeout(RENEW_EVERY);
        if flag.load(Ordering::SeqCst) {
            break;
        }
        if std::fs::read_to_string(&path).is_ok_and(|c| c == contents) {
            let renewed = std::fs::OpenOptions::new()
                .append(true)
                .open(&path)
                .and_then(|f| f.set_modified(SystemTime::now()));
            if let Err(e) = renewed {
                warn!(lock = %path.display(), error = %e, "Could not renew the lock's lease.");
            }
        }
    });
    (stop, handle)
}

impl Drop for RunLock {
    fn drop(&mut self) {
        if let Some((stop, handle)) = self.renewer.take() {
            stop.store(true, Ordering::SeqCst);
            handle.thread().unpark();
            let _ = handle.join();
        }
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
            lease_seconds: None,
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
        // A lock from another host within its lease is not taken over: its process cannot be
        // checked.
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

    #[test]
    fn a_lock_from_another_host_is_taken_over_once_its_lease_ran_out() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(LOCK_FILE);
        let other = LockInfo {
            pid: 1,
            host: format!("{}-elsewhere", host_name()),
            pipeline: "p".into(),
            run_date: "2026-11-19".into(),
            started_at: "2026-11-19T00:00:00Z".into(),
            lease_seconds: Some(LEASE.as_secs()),
        };
        std::fs::write(&path, serde_json::to_string(&other).unwrap()).unwrap();
        // Renewed a minute ago: held.
        let minute_ago = SystemTime::now() - Duration::from_secs(60);
        let file = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap();
        file.set_modified(minute_ago).unwrap();
        assert_eq!(
            RunLock::acquire(dir.path(), "p", date())
                .unwrap_err()
                .exit_code(),
            75
        );
        // Last renewed longer ago than the lease: taken over.
        file.set_modified(SystemTime::now() - LEASE - Duration::from_secs(60))
            .unwrap();
        let lock = RunLock::acquire(dir.path(), "p", date()).unwrap();
        let now: LockInfo =
            serde_json::from_str(&std::fs::read_to_string(lock.path()).unwrap()).unwrap();
        assert_eq!(
            (now.pid, now.lease_seconds),
            (std::process::id(), Some(600))
        );
    }

    #[test]
    fn a_live_run_renews_its_lease() {
        let dir = tempfile::tempdir().unwrap();
        let lock = RunLock::acquire(dir.path(), "p", date()).unwrap();
        let old = SystemTime::now() - Duration::from_secs(3600);
        let file = std::fs::OpenOptions::new()
            .append(true)
            .open(lock.path())
            .unwrap();
        file.set_modified(old).unwrap();
        // Wake the renewer as if a minute had passed.
        lock.renewer.as_ref().unwrap().1.thread().unpark();
        let renewed = (0..200).any(|_| {
            std::thread::sleep(Duration::from_millis(10));
            std::fs::metadata(lock.path()).unwrap().modified().unwrap() > old
        });
        assert!(renewed, "the lease was not renewed");
        drop(lock);
        assert!(!dir.path().join(LOCK_FILE).exists());
    }
}
