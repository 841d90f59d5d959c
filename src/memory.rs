//! The process's resident memory, read from Linux's `/proc/self/status`: the peak so far
//! (`VmHWM`) and the current (`VmRSS`), which each stage of a run records when it ends.
//! Elsewhere both read nothing. And [`release`], which hands memory the process freed back to
//! the system between the steps of a run, and [`settle_allocator`], which keeps large blocks
//! out of the allocator's arenas.

/// Resident memory when a stage ended, in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Memory {
    /// The process's peak so far (`VmHWM`).
    pub peak: u64,
    /// Held at the stage's end (`VmRSS`).
    pub current: u64,
}

impl Memory {
    /// The process's memory now; `None` where the kernel does not report it.
    pub fn now() -> Option<Memory> {
        let status = std::fs::read_to_string("/proc/self/status").ok()?;
        Some(Memory {
            peak: field(&status, "VmHWM:")?,
            current: field(&status, "VmRSS:")?,
        })
    }
}

/// Peak resident memory of this process in bytes (Linux `VmHWM`).
pub fn peak_bytes() -> Option<u64> {
    Memory::now().map(|m| m.peak)
}

/// Return the memory freed so far to the system (glibc's `malloc_trim`; elsewhere nothing).
///
/// glibc keeps freed memory in per-thread arenas for reuse; after one SQL model's hash tables
/// are dropped, the next step (on other threads) allocates fresh memory instead of reusing it,
/// and the process's resident memory only grows. Called when a model has been built and when a
/// stage ends.
pub fn release() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: `malloc_trim` only releases free pages of the allocator's own arenas; it takes
    // the allocator's locks like any allocation does.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Size from which glibc serves an allocation with a mapping of its own, returned to the system
/// when freed: 1 MiB.
pub const MMAP_THRESHOLD: usize = 1 << 20;

/// Fix glibc's mmap threshold at [`MMAP_THRESHOLD`] (unless the environment sets
/// `MALLOC_MMAP_THRESHOLD_`); elsewhere nothing. Call it first thing in `main`, before any
/// other thread starts: glibc's `mallopt` is not thread-safe.
///
/// glibc starts at 128 KiB but raises the threshold to the size of any mapped block that is
/// freed (up to 32 MiB), so after the first large Arrow buffer is dropped every later one is
/// carved out of the arenas, where a few long-lived batches among freed hash tables keep whole
/// regions resident. Fixed at 1 MiB, the bench's 100,000 contacts with 4x the events peaked at
/// 293 MB instead of 434 MB, with 1x the events at 235 MB instead of 262 MB, and 1,000,000
/// contacts at 1,309 MB instead of 1,417 MB, at the same speed (see the README's "Benchmark").
pub fn settle_allocator() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    if std::env::var_os("MALLOC_MMAP_THRESHOLD_").is_none() {
        // SAFETY: `mallopt` only sets an allocator parameter; it is called before the process
        // has any other thread (see above). A refusal (0) leaves glibc's default: nothing to do.
        unsafe {
            libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD as libc::c_int);
        }
    }
}

/// A `kB` line of `/proc/self/status`, in bytes.
fn field(status: &str, name: &str) -> Option<u64> {
    let line = status.lines().find(|l| l.starts_with(name))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_status_lines_are_read_in_bytes() {
        let status = "Name:\tpersonas\nVmPeak:\t  900 kB\nVmHWM:\t   2048 kB\nVmRSS:\t   1024 kB\n";
        assert_eq!(field(status, "VmHWM:"), Some(2048 * 1024));
        assert_eq!(field(status, "VmRSS:"), Some(1024 * 1024));
        assert_eq!(field(status, "VmSwap:"), None);
        if let Some(m) = Memory::now() {
            assert!(m.peak >= m.current, "{m:?}");
        }
    }
}
