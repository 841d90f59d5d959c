//! Small helpers shared by the writers: uniform picks, text and time formatting, buffered files.

use std::fs::File;
use std::io::BufWriter;
use std::path::Path;

use rand::Rng;

use crate::error::{Error, Result};

/// Bytes buffered before a write to disk.
pub(super) const FLUSH: usize = 1 << 20;

pub(super) fn pick<'a, R: Rng, T>(rng: &mut R, xs: &'a [T]) -> &'a T {
    &xs[rng.gen_range(0..xs.len())]
}
pub(super) fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}
pub(super) fn fmt_time(secs: i64, fmt: &str) -> String {
    chrono::DateTime::from_timestamp(secs, 0)
        .map(|d| d.format(fmt).to_string())
        .unwrap_or_default()
}
pub(super) fn hex10<R: Rng>(rng: &mut R) -> String {
    format!("{:010x}", rng.gen::<u64>() & 0xff_ffff_ffff)
}
pub(super) fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> Error + '_ {
    move |e| Error::io(path, e)
}
pub(super) fn create(path: &Path) -> Result<BufWriter<File>> {
    Ok(BufWriter::with_capacity(
        FLUSH,
        File::create(path).map_err(io_err(path))?,
    ))
}
