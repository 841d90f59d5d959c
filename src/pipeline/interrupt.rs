//! Stopping a run cleanly on SIGTERM (a scheduler's timeout, `kill`) or SIGINT (Ctrl-C). The
//! command line installs the handlers for `run`; the handler only records the signal, and the
//! run checks for it after each stage ([`requested`]), so it stops at the next stage boundary
//! with [`Error::Interrupted`](crate::Error::Interrupted): the staging folder is discarded,
//! nothing is published, the lock is released, and the process exits with 128 + the signal
//! (143 for SIGTERM, 130 for SIGINT). A second signal stops the process at once.

use std::sync::atomic::{AtomicI32, Ordering};

/// The signal received, 0 while none.
static SIGNAL: AtomicI32 = AtomicI32::new(0);

#[cfg(unix)]
extern "C" fn on_signal(signal: libc::c_int) {
    SIGNAL.store(signal, Ordering::SeqCst);
    // The next one of the same kind takes the default action: a second Ctrl-C stops at once.
    // SAFETY: `signal` is async-signal-safe, and restores the default disposition.
    unsafe {
        libc::signal(signal, libc::SIG_DFL);
    }
}

/// Record SIGTERM and SIGINT instead of dying on them (Unix; elsewhere a no-op).
pub fn install_handlers() {
    #[cfg(unix)]
    for signal in [libc::SIGTERM, libc::SIGINT] {
        // SAFETY: the handler only stores into an atomic and calls `signal`, both
        // async-signal-safe.
        unsafe {
            libc::signal(
                signal,
                on_signal as extern "C" fn(libc::c_int) as libc::sighandler_t,
            );
        }
    }
}

/// The signal received since the handlers were installed, if any.
pub fn requested() -> Option<i32> {
    match SIGNAL.load(Ordering::SeqCst) {
        0 => None,
        s => Some(s),
    }
}
