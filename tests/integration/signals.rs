//! SIGTERM (a scheduler's timeout) stops a real `personas run` process cleanly: nothing
//! published, no lock or staging left, and the next run goes ahead.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use personas::output::is_published;

use crate::util::{run_date, Fixture};

#[test]
#[cfg(unix)]
fn sigterm_stops_a_run_without_publishing_or_leaving_the_lock() {
    let fx = Fixture::sample(2000, 6.0);
    let out = fx.path("out");
    let date = run_date().to_string();
    let config = fx.config.display().to_string();
    let mut child = Command::new(env!("CARGO_BIN_EXE_personas"))
        .args(["run", &config, "--date", &date])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("the binary starts");
    // The lock appears once the run has started (the handlers are installed before it).
    let started = Instant::now();
    while !out.join(".lock").exists() {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the run never took the lock"
        );
        if child.try_wait().unwrap().is_some() {
            panic!("the run ended before it could be signalled");
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(killed.success());
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(143), "exit code 128 + SIGTERM");
    assert!(!out.join(".lock").exists(), "the lock is released");
    assert!(!is_published(&out, run_date()), "nothing is published");
    assert!(
        !out.join(".staging").exists(),
        "the staging folder is discarded"
    );
    assert!(!out.join("personas").exists(), "no persona table appears");

    // The next run goes ahead and publishes.
    let status = Command::new(env!("CARGO_BIN_EXE_personas"))
        .args(["run", &config, "--date", &date])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success(), "{status}");
    assert!(is_published(&out, run_date()));
}
