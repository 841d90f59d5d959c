//! A copy of a run's partitions on an object store, under the output folder's reader contract:
//! a date is complete when `<prefix>/manifests/run_date=<d>/_SUCCESS` exists, and the marker is
//! written last.
//!
//! Copying date `d` from the staging folder ([`copy_date`]): (1) delete the store's marker of
//! `d` (from here on the date reads as unpublished there); (2) for every staged partition,
//! upload its files and delete the store's objects of that partition the run did not write (a
//! rerun replaces a partition exactly); the `manifests` partition goes last. Then, once the
//! date is published in the output folder too, (3) write the marker ([`mark_date`]). A copy
//! or a local publish that fails leaves the date without a marker on the store: readers that
//! wait for it never see a half-written date, nor one the output folder rolled back.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::NaiveDate;
use futures::{StreamExt, TryStreamExt};
use object_store::buffered::BufWriter;
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tracing::info;

use super::partition;
use super::publish::{marker_body, MANIFESTS, SUCCESS};
use crate::error::{Error, Result};

/// Bytes buffered before each part of a multipart upload.
const UPLOAD_PART: usize = 16 << 20;

/// A folder on an object store: the store and the key prefix of the folder (may be empty).
#[derive(Debug, Clone)]
pub struct StoreFolder {
    /// The bucket's or container's store.
    pub store: Arc<dyn ObjectStore>,
    /// The folder's key prefix in it.
    pub prefix: ObjectPath,
    /// The folder's URL, for logs and errors (no credentials).
    pub url: String,
}

impl StoreFolder {
    /// The key of `rel` (a `/`-separated relative path) in this folder.
    pub fn key(&self, rel: &str) -> ObjectPath {
        let prefix = self.prefix.as_ref();
        match (prefix.is_empty(), rel.is_empty()) {
            (true, _) => ObjectPath::from(rel),
            (false, true) => self.prefix.clone(),
            (false, false) => ObjectPath::from(format!("{prefix}/{rel}")),
        }
    }

    /// The error of an operation on this folder that the store refused.
    fn failed(&self, what: &str, e: impl std::fmt::Display) -> Error {
        Error::Publish {
            location: self.url.clone(),
            message: format!("{what}: {e}"),
        }
    }

    /// Write `bytes` as the object `key` (a small file: one request).
    ///
    /// # Errors
    /// [`Error::Publish`] when the store refuses it.
    pub async fn put(&self, key: &ObjectPath, bytes: Vec<u8>) -> Result<()> {
        self.store
            .put(key, PutPayload::from(bytes))
            .await
            .map_err(|e| self.failed(&format!("write {key}"), e))?;
        Ok(())
    }

    /// Upload every file under the local folder `local` to the folder `rel`, keeping their
    /// relative paths (streamed, in parts); returns the keys written and the bytes.
    ///
    /// # Errors
    /// [`Error::Io`] for a local file that cannot be read, [`Error::Publish`] for an upload the
    /// store refuses.
    pub async fn upload(&self, local: &Path, rel: &str) -> Result<(HashSet<ObjectPath>, u64)> {
        let (mut keys, mut bytes) = (HashSet::new(), 0);
        for file in files_under(local)? {
            let name = file.strip_prefix(local).unwrap_or(&file);
            let name = name.to_string_lossy().replace('\\', "/");
            let key = self.key(&format!("{rel}/{name}"));
            bytes += self.upload_file(&file, &key).await?;
            keys.insert(key);
        }
        Ok((keys, bytes))
    }

    /// Upload the local `file` as `key`, streamed in parts; returns its bytes. A failed upload
    /// is aborted (no multipart upload is left behind on the store).
    async fn upload_file(&self, file: &Path, key: &ObjectPath) -> Result<u64> {
        let mut reader = tokio::fs::File::open(file)
            .await
            .map_err(|e| Error::io(file, e))?;
        let mut writer = BufWriter::with_capacity(self.store.clone(), key.clone(), UPLOAD_PART);
        let mut buf = vec![0; 1 << 20];
        let mut bytes = 0;
        loop {
            let n = match reader.read(&mut buf).await {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) => {
                    let _ = writer.abort().await;
                    return Err(Error::io(file, e));
                }
            };
            if let Err(e) = writer.write_all(&buf[..n]).await {
                let _ = writer.abort().await;
                return Err(self.failed(&format!("upload {key}"), e));
            }
            bytes += n as u64;
        }
        writer
            .shutdown()
            .await
            .map_err(|e| self.failed(&format!("upload {key}"), e))?;
        Ok(bytes)
    }

    /// Delete every object under the folder `rel` but those in `keep`; returns how many.
    ///
    /// # Errors
    /// [`Error::Publish`] when the store refuses the listing or a delete.
    pub async fn delete_except(&self, rel: &str, keep: &HashSet<ObjectPath>) -> Result<usize> {
        let folder = self.key(rel);
        let listed: Vec<ObjectPath> = self
            .store
            .list(Some(&folder))
            .map_ok(|meta| meta.location)
            .try_collect()
            .await
            .map_err(|e| self.failed(&format!("list {folder}"), e))?;
        let stale: Vec<ObjectPath> = listed.into_iter().filter(|k| !keep.contains(k)).collect();
        let count = stale.len();
        let stale = futures::stream::iter(stale.into_iter().map(Ok)).boxed();
        self.store
            .delete_stream(stale)
            .try_collect::<Vec<_>>()
            .await
            .map_err(|e| self.failed(&format!("delete under {folder}"), e))?;
        Ok(count)
    }
}

/// Copy the date's staged partitions (`partitions`, relative to `staging`) to `folder`, its
/// marker deleted first and not written (see the module's header).
///
/// # Errors
/// [`Error::Publish`] when the store refuses a request (the date then has no marker there),
/// [`Error::Io`] for a staged file that cannot be read.
pub async fn copy_date(
    staging: &Path,
    partitions: &[PathBuf],
    date: NaiveDate,
    folder: &StoreFolder,
) -> Result<()> {
    let manifests = partition(MANIFESTS, date);
    let marker = marker_key(folder, date);
    match folder.store.delete(&marker).await {
        Ok(()) | Err(object_store::Error::NotFound { .. }) => {}
        Err(e) => return Err(folder.failed(&format!("delete {marker}"), e)),
    }
    let mut ordered: Vec<&PathBuf> = partitions.iter().filter(|p| **p != manifests).collect();
    ordered.push(&manifests);
    let (mut bytes, mut replaced) = (0, 0);
    for rel in ordered {
        let rel = slashed(rel);
        let (written, size) = folder.upload(&staging.join(&rel), &rel).await?;
        replaced += folder.delete_except(&rel, &written).await?;
        bytes += size;
    }
    info!(
        run_date = %date,
        url = %folder.url,
        partitions = partitions.len(),
        mb = bytes / 1_000_000,
        stale_objects_deleted = replaced,
        "Copied the date to the store (its marker follows the local publish)."
    );
    Ok(())
}

/// The key of the date's `_SUCCESS` marker in `folder`.
fn marker_key(folder: &StoreFolder, date: NaiveDate) -> ObjectPath {
    folder.key(&format!(
        "{}/{SUCCESS}",
        slashed(&partition(MANIFESTS, date))
    ))
}

/// Whether the store's copy of `date` in `folder` is complete: its `_SUCCESS` marker is there.
///
/// # Errors
/// [`Error::Publish`] when the store refuses the request.
pub async fn is_marked(folder: &StoreFolder, date: NaiveDate) -> Result<bool> {
    let marker = marker_key(folder, date);
    match folder.store.head(&marker).await {
        Ok(_) => Ok(true),
        Err(object_store::Error::NotFound { .. }) => Ok(false),
        Err(e) => Err(folder.failed(&format!("look up {marker}"), e)),
    }
}

/// Write the date's `_SUCCESS` marker in `folder`, the same bytes as the output folder's: the
/// copy [`copy_date`] made is complete from here on.
///
/// # Errors
/// [`Error::Publish`] when the store refuses it.
pub async fn mark_date(folder: &StoreFolder, date: NaiveDate) -> Result<()> {
    folder
        .put(&marker_key(folder, date), marker_body(date))
        .await?;
    info!(run_date = %date, url = %folder.url, "Marked the store's copy complete.");
    Ok(())
}

/// A relative path with `/` separators.
fn slashed(rel: &Path) -> String {
    rel.to_string_lossy().replace('\\', "/")
}

/// Every file under `dir`, recursively, in name order; none when `dir` does not exist.
fn files_under(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    let mut folders = vec![dir.to_path_buf()];
    while let Some(folder) = folders.pop() {
        let entries = match std::fs::read_dir(&folder) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(Error::io(&folder, e)),
        };
        for entry in entries {
            let path = entry.map_err(|e| Error::io(&folder, e))?.path();
            if path.is_dir() {
                folders.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files.sort();
    Ok(files)
}
