//! The run's stopwatch: the wall time and the memory at the end of each stage, logged and kept
//! for the run report and `personas bench` (the manifest records the times); and the test hook that stops a run
//! after a given stage.

use std::time::{Duration, Instant};

use tracing::{info, warn};

use super::Fault;
use crate::error::{Error, Result};
use crate::memory::Memory;

/// Wall time and peak memory of each stage, and the test hook that stops the run after one.
pub(super) struct Stopwatch {
    /// Wall time of each stage.
    pub(super) timings: Vec<(&'static str, Duration)>,
    /// The memory at each stage's end, where the platform reports it.
    pub(super) memory: Vec<(&'static str, Memory)>,
    /// When the last stage ended.
    last: Instant,
    /// The test hook.
    fault: Option<Fault>,
}

impl Stopwatch {
    /// A stopwatch started now.
    pub(super) fn start(fault: Option<Fault>) -> Stopwatch {
        Stopwatch {
            timings: Vec::new(),
            memory: Vec::new(),
            last: Instant::now(),
            fault,
        }
    }

    /// Ends `stage`: records its time and the memory, then stops the run on a signal or at
    /// the test hook.
    pub(super) fn lap(&mut self, stage: &'static str) -> Result<()> {
        let now = Instant::now();
        let took = now - self.last;
        crate::memory::release();
        let memory = Memory::now();
        info!(
            stage,
            seconds = took.as_secs_f64(),
            peak_mb = memory.map(|m| m.peak / 1_000_000),
            held_mb = memory.map(|m| m.current / 1_000_000),
            "Stage done."
        );
        self.timings.push((stage, took));
        self.memory.extend(memory.map(|m| (stage, m)));
        self.last = now;
        if let Some(signal) = super::interrupt::requested() {
            warn!(stage, signal, "Stopping on a signal: nothing is published.");
            return Err(Error::Interrupted { signal });
        }
        match &self.fault {
            Some(Fault::AbortAfter(s)) if s == stage => {
                warn!(stage, "Test hook: aborting the process.");
                std::process::abort();
            }
            Some(Fault::FailAfter(s)) if s == stage => Err(Error::Internal(format!(
                "test hook: failing after stage `{stage}`"
            ))),
            _ => Ok(()),
        }
    }
}
