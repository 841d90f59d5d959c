//! A download being written: `<name>.part` next to its final place, renamed into place only when
//! complete, so a broken download never leaves a file that looks whole.

use std::path::{Path, PathBuf};

use tokio::io::AsyncWriteExt;

use crate::error::{Error, Result};

/// A file being downloaded: written as `<name>.part`, renamed into place when complete.
pub(super) struct PartFile {
    file: tokio::fs::File,
    pub(super) part: PathBuf,
    pub(super) written: u64,
}

impl PartFile {
    pub(super) async fn create(local: &Path) -> Result<PartFile> {
        if let Some(parent) = local.parent() {
            tokio::fs::create_dir_all(parent)
                .await
                .map_err(|e| Error::io(parent, e))?;
        }
        let part = part_path(local);
        let file = tokio::fs::File::create(&part)
            .await
            .map_err(|e| Error::io(&part, e))?;
        Ok(PartFile {
            file,
            part,
            written: 0,
        })
    }

    pub(super) async fn write(&mut self, chunk: &[u8]) -> Result<()> {
        self.file
            .write_all(chunk)
            .await
            .map_err(|e| Error::io(&self.part, e))?;
        self.written += chunk.len() as u64;
        Ok(())
    }

    pub(super) async fn finish(mut self, local: &Path) -> Result<u64> {
        self.file
            .flush()
            .await
            .map_err(|e| Error::io(&self.part, e))?;
        drop(self.file);
        tokio::fs::rename(&self.part, local)
            .await
            .map_err(|e| Error::io(local, e))?;
        Ok(self.written)
    }
}

/// Where the download of `local` is written until it is complete.
pub(super) fn part_path(local: &Path) -> PathBuf {
    let mut name = local
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_default();
    name.push(".part");
    local.with_file_name(name)
}
