//! Progress on a terminal: one bar over the run's stages (each source landed counts as one), with
//! the stage running and the time elapsed. Shown only when the caller asks for it, which the
//! binary does only when stderr is a terminal; logs written through [`suspend`] do not tear it.

use std::sync::Mutex;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// The bar on screen, if any, for [`suspend`].
static ACTIVE: Mutex<Option<ProgressBar>> = Mutex::new(None);

/// A run's progress bar; hidden when not enabled.
#[derive(Debug)]
pub struct Progress {
    bar: ProgressBar,
}

impl Progress {
    /// A bar of `steps` steps on stderr when `enabled`, else a hidden one.
    pub fn new(enabled: bool, steps: u64) -> Progress {
        if !enabled {
            return Progress {
                bar: ProgressBar::hidden(),
            };
        }
        let bar = ProgressBar::with_draw_target(Some(steps), ProgressDrawTarget::stderr());
        let style = ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} {msg}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar());
        bar.set_style(style);
        bar.enable_steady_tick(Duration::from_millis(120));
        if let Ok(mut active) = ACTIVE.lock() {
            *active = Some(bar.clone());
        }
        Progress { bar }
    }

    /// A step begins.
    pub fn start(&self, what: impl Into<String>) {
        self.bar.set_message(what.into());
    }

    /// A step is done.
    pub fn done(&self) {
        self.bar.inc(1);
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.bar.finish_and_clear();
        if let Ok(mut active) = ACTIVE.lock() {
            *active = None;
        }
    }
}

/// Run `f` (a write to stderr) with the progress bar, if one is shown, out of the way.
pub fn suspend<R>(f: impl FnOnce() -> R) -> R {
    let bar = ACTIVE.lock().ok().and_then(|a| a.clone());
    match bar {
        Some(bar) => bar.suspend(f),
        None => f(),
    }
}
