//! Input checksums for the run manifest, remembered between runs. A file whose size and
//! modification time match the last run's is not read again (as `make` and `rsync` decide):
//! a daily run over a rolling window of exports hashes only the new files. The cache is the
//! hidden `output_dir/.checksums.json`, written while the run holds the lock; a missing or
//! unreadable cache only means every file is hashed.

use std::collections::{BTreeMap, HashMap};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::UNIX_EPOCH;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tracing::{info, warn};

use crate::error::{Error, Result};

/// File name of the cache in the output folder.
const FILE: &str = ".checksums.json";

/// What the cache knows of one file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Entry {
    size: u64,
    /// Modification time, nanoseconds since the Unix epoch.
    modified_ns: u128,
    sha256: String,
}

/// The checksums of a run's inputs, between the look at the cache (before landing) and the
/// files hashed while they were landed (after): only a file neither knows is read again.
#[derive(Debug)]
pub(crate) struct Pending {
    cache_path: PathBuf,
    cache: BTreeMap<String, Entry>,
    /// Each file: its path, cache key, size and modification time.
    stamps: Vec<(PathBuf, String, u64, u128)>,
    /// The files the cache does not know (indices into `stamps`).
    todo: Vec<usize>,
}

impl Pending {
    /// Each file's size and modification time, against the cache in `out`.
    pub(crate) fn new(out: &Path, paths: &[PathBuf]) -> Result<Pending> {
        let cache_path = out.join(FILE);
        let cache: BTreeMap<String, Entry> = match std::fs::read(&cache_path) {
            Ok(bytes) => serde_json::from_slice(&bytes).unwrap_or_else(|e| {
                warn!(file = %cache_path.display(), error = %e, "Unreadable checksum cache; hashing every input.");
                BTreeMap::new()
            }),
            Err(_) => BTreeMap::new(),
        };
        let mut stamps = Vec::with_capacity(paths.len());
        let mut todo = Vec::new();
        for (i, p) in paths.iter().enumerate() {
            let meta = std::fs::metadata(p).map_err(|e| Error::io(p, e))?;
            let modified_ns = meta
                .modified()
                .ok()
                .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
                .map_or(0, |d| d.as_nanos());
            let key = p.display().to_string();
            let fresh = cache.get(&key).is_some_and(|e| {
                e.size == meta.len() && e.modified_ns == modified_ns && modified_ns > 0
            });
            if !fresh {
                todo.push(i);
            }
            stamps.push((p.clone(), key, meta.len(), modified_ns));
        }
        Ok(Pending {
            cache_path,
            cache,
            stamps,
            todo,
        })
    }

    /// Every checksum, in the order of the paths: from the cache, else as hashed while landed
    /// (`read`, when the size read is the size found), else by reading the file now; the
    /// cache is saved when it learnt anything.
    pub(crate) fn finish(mut self, read: &ReadHashes) -> Result<Vec<Checksum>> {
        let mut unread = Vec::new();
        for i in self.todo.clone() {
            let (path, key, size, modified_ns) = self.stamps[i].clone();
            match read.get(&path).filter(|(n, _)| *n == size) {
                Some((_, sha256)) => self.learn(key, size, modified_ns, sha256),
                None => unread.push(i),
            }
        }
        let unread_paths: Vec<PathBuf> = unread.iter().map(|&i| self.stamps[i].0.clone()).collect();
        for (&i, (size, sha256)) in unread.iter().zip(checksum_files(&unread_paths)?) {
            let (_, key, _, modified_ns) = self.stamps[i].clone();
            self.learn(key, size, modified_ns, sha256);
        }
        info!(
            files = self.stamps.len(),
            hashed_while_landing = self.todo.len() - unread.len(),
            read_again = unread.len(),
            "Checksummed the inputs."
        );
        if !self.todo.is_empty() {
            save(&self.cache_path, &self.cache);
        }
        Ok(self
            .stamps
            .iter()
            .map(|(_, key, size, _)| {
                let sha = self
                    .cache
                    .get(key)
                    .map(|e| e.sha256.clone())
                    .unwrap_or_default();
                (*size, sha)
            })
            .collect())
    }

    fn learn(&mut self, key: String, size: u64, modified_ns: u128, sha256: String) {
        self.cache.insert(
            key,
            Entry {
                size,
                modified_ns,
                sha256,
            },
        );
    }
}

/// The checksums of the input files hashed as they were read (landing reads each input once,
/// and hashes it in the same pass), by path; shared by the threads that land.
#[derive(Debug, Clone, Default)]
pub struct ReadHashes(Arc<Mutex<HashMap<PathBuf, Checksum>>>);

impl ReadHashes {
    /// Records the checksum of `path`, read whole.
    pub fn record(&self, path: &Path, checksum: Checksum) {
        if let Ok(mut map) = self.0.lock() {
            map.insert(path.to_path_buf(), checksum);
        }
    }

    /// Records the checksum of a file read whole into `bytes`.
    pub fn record_bytes(&self, path: &Path, bytes: &[u8]) {
        self.record(path, (bytes.len() as u64, sha256_bytes(bytes)));
    }

    fn get(&self, path: &Path) -> Option<Checksum> {
        self.0.lock().ok()?.get(path).cloned()
    }
}

/// A reader that hashes the bytes passing through it: read to the end, [`finish`](Self::finish)
/// is the file's size and SHA-256.
pub struct HashingReader<R> {
    inner: R,
    hasher: Sha256,
    size: u64,
}

impl<R: Read> HashingReader<R> {
    /// Hashes what is read from `inner`.
    pub fn new(inner: R) -> HashingReader<R> {
        HashingReader {
            inner,
            hasher: Sha256::new(),
            size: 0,
        }
    }

    /// The size and SHA-256 of everything read.
    pub fn finish(self) -> Checksum {
        (self.size, hex(&self.hasher.finalize()))
    }
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        self.size += n as u64;
        Ok(n)
    }
}

/// Write the cache (temp file, then rename); a failure only costs hashing again next time.
fn save(path: &Path, cache: &BTreeMap<String, Entry>) {
    let tmp = path.with_extension("json.tmp");
    let written = serde_json::to_vec(cache)
        .map_err(|e| e.to_string())
        .and_then(|bytes| {
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
            }
            std::fs::write(&tmp, bytes).map_err(|e| e.to_string())
        })
        .and_then(|()| std::fs::rename(&tmp, path).map_err(|e| e.to_string()));
    if let Err(e) = written {
        warn!(file = %path.display(), error = %e, "Could not save the checksum cache.");
    }
}

/// SHA-256 of a file's bytes, lower-case hex, and its size.
pub fn sha256_file(path: &Path) -> Result<Checksum> {
    let f = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let mut reader = HashingReader::new(f);
    let mut buf = vec![0u8; 1 << 20];
    while reader.read(&mut buf).map_err(|e| Error::io(path, e))? > 0 {}
    Ok(reader.finish())
}

/// SHA-256 of bytes, lower-case hex.
pub fn sha256_bytes(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A file's size and SHA-256.
pub type Checksum = (u64, String);

/// Size and SHA-256 of many files, on every core (each file on one thread); in the order given.
pub fn checksum_files(paths: &[PathBuf]) -> Result<Vec<Checksum>> {
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2)
        .min(paths.len().max(1));
    let next = std::sync::atomic::AtomicUsize::new(0);
    let mut results: Vec<Option<Result<Checksum>>> = (0..paths.len()).map(|_| None).collect();
    let done: Vec<Vec<(usize, Result<Checksum>)>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let mut mine = Vec::new();
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(path) = paths.get(i) else { break };
                        mine.push((i, sha256_file(path)));
                    }
                    mine
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_default())
            .collect()
    });
    for (i, r) in done.into_iter().flatten() {
        results[i] = Some(r);
    }
    paths
        .iter()
        .zip(results)
        .map(|(p, r)| {
            r.unwrap_or_else(|| {
                Err(Error::Internal(format!(
                    "the thread checksumming {} panicked",
                    p.display()
                )))
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Size and SHA-256 of each file of `paths`, from the cache where the file is unchanged.
    fn checksums(out: &Path, paths: &[PathBuf]) -> Result<Vec<Checksum>> {
        Pending::new(out, paths)?.finish(&ReadHashes::default())
    }

    /// Two inputs, `a` (`alpha`) and `b` (`beta`), with the extension `ext`, in `dir`.
    fn two_files(dir: &Path, ext: &str) -> (PathBuf, PathBuf) {
        let (a, b) = (dir.join(format!("a.{ext}")), dir.join(format!("b.{ext}")));
        std::fs::write(&a, "alpha").unwrap();
        std::fs::write(&b, "beta").unwrap();
        (a, b)
    }

    #[test]
    fn files_hashed_while_landing_are_not_read_again() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = two_files(dir.path(), "json");
        let out = dir.path().join("out");
        let read = ReadHashes::default();
        // What a reader records for a whole file: the same as hashing it apart.
        let mut reader = HashingReader::new(std::fs::File::open(&a).unwrap());
        std::io::copy(&mut reader, &mut std::io::sink()).unwrap();
        assert_eq!(reader.finish(), (5, sha256_bytes(b"alpha")));
        // A planted value shows which checksums came from landing: `a`'s (its size matches);
        // `b`'s was recorded with another size (a file cut short), so `b` is read again.
        read.record(&a, (5, "from-landing".into()));
        read.record(&b, (3, "cut-short".into()));
        let sums = Pending::new(&out, &[a.clone(), b.clone()])
            .unwrap()
            .finish(&read)
            .unwrap();
        assert_eq!(sums[0], (5, "from-landing".to_string()));
        assert_eq!(sums[1], (4, sha256_bytes(b"beta")));
        // Both are in the cache now: the next run reads neither.
        let next = Pending::new(&out, &[a, b]).unwrap();
        assert!(next.todo.is_empty());
    }

    #[test]
    fn sha256_matches_the_known_digest() {
        assert_eq!(
            sha256_bytes(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("a"), dir.path().join("b"));
        std::fs::write(&a, b"abc").unwrap();
        std::fs::write(&b, vec![7u8; 3 << 20]).unwrap();
        let sums = checksum_files(&[a.clone(), b.clone(), a]).unwrap();
        assert_eq!(sums[0], (3, sha256_bytes(b"abc")));
        assert_eq!(sums[1], (3 << 20, sha256_bytes(&vec![7u8; 3 << 20])));
        assert_eq!(sums[2], sums[0]);
        let err = checksum_files(&[dir.path().join("missing")]).unwrap_err();
        assert!(err.to_string().contains("missing"), "{err}");
    }

    #[test]
    fn unchanged_files_come_from_the_cache_and_changed_ones_are_hashed() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = two_files(dir.path(), "csv");
        let out = dir.path().join("out");
        let paths = vec![a.clone(), b.clone()];
        let first = checksums(&out, &paths).unwrap();
        assert_eq!(first[0].0, 5);
        assert_eq!(first[0].1, sha256_bytes(b"alpha"));
        // Plant a marker in the cache: an unchanged file's checksum is taken from it.
        let cache_path = out.join(FILE);
        let text = std::fs::read_to_string(&cache_path).unwrap();
        let planted = text.replace(&first[1].1, "from-the-cache");
        std::fs::write(&cache_path, planted).unwrap();
        assert_eq!(checksums(&out, &paths).unwrap()[1].1, "from-the-cache");
        // A changed file (new size and time) is hashed again.
        std::thread::sleep(std::time::Duration::from_millis(10));
        std::fs::write(&b, "beta, changed").unwrap();
        let again = checksums(&out, &paths).unwrap();
        assert_eq!(again[1].1, sha256_bytes(b"beta, changed"));
        assert_eq!(again[0], first[0]);
    }
}
