//! Input checksums for the run manifest, remembered between runs. A file whose size and
//! modification time match the last run's is not read again (as `make` and `rsync` decide):
//! a daily run over a rolling window of exports hashes only the new files. The cache is the
//! hidden `output_dir/.checksums.json`, written while the run holds the lock; a missing or
//! unreadable cache only means every file is hashed.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use serde::{Deserialize, Serialize};
use tracing::{info, warn};

use crate::error::{Error, Result};
use crate::sinks::manifest::checksum_files;

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

/// Size and SHA-256 of each file of `paths`, from the cache where the file is unchanged.
pub(super) fn checksums(out: &Path, paths: &[PathBuf]) -> Result<Vec<(u64, String)>> {
    let cache_path = out.join(FILE);
    let mut cache: BTreeMap<String, Entry> = match std::fs::read(&cache_path) {
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
        stamps.push((key, meta.len(), modified_ns));
    }
    let todo_paths: Vec<PathBuf> = todo.iter().map(|&i| paths[i].clone()).collect();
    for (&i, (size, sha256)) in todo.iter().zip(checksum_files(&todo_paths)?) {
        let (key, _, modified_ns) = &stamps[i];
        cache.insert(
            key.clone(),
            Entry {
                size,
                modified_ns: *modified_ns,
                sha256,
            },
        );
    }
    info!(
        files = paths.len(),
        hashed = todo.len(),
        "Checksummed the inputs."
    );
    let sums = stamps
        .iter()
        .map(|(key, size, _)| {
            let sha = cache.get(key).map(|e| e.sha256.clone()).unwrap_or_default();
            (*size, sha)
        })
        .collect();
    if !todo.is_empty() {
        save(&cache_path, &cache);
    }
    Ok(sums)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unchanged_files_come_from_the_cache_and_changed_ones_are_hashed() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("a.csv"), dir.path().join("b.csv"));
        std::fs::write(&a, "alpha").unwrap();
        std::fs::write(&b, "beta").unwrap();
        let out = dir.path().join("out");
        let paths = vec![a.clone(), b.clone()];
        let first = checksums(&out, &paths).unwrap();
        assert_eq!(first[0].0, 5);
        assert_eq!(first[0].1, crate::sinks::manifest::sha256_bytes(b"alpha"));
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
        assert_eq!(
            again[1].1,
            crate::sinks::manifest::sha256_bytes(b"beta, changed")
        );
        assert_eq!(again[0], first[0]);
    }
}
