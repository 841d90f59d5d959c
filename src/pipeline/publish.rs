//! Publishing a run: every output is written under the run's staging folder first; only when
//! the whole run succeeded is each partition moved into place, replacing the same date's
//! previous partition.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// Move each staged partition into place, replacing the same date's previous partition.
pub(super) fn publish(staging: &Path, out: &Path, partitions: &[PathBuf]) -> Result<()> {
    for rel in partitions {
        let from = staging.join(rel);
        let to = out.join(rel);
        if let Some(parent) = to.parent() {
            std::fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
        }
        if to.exists() {
            let old = to.with_file_name(format!(
                ".replaced-{}-{}",
                to.file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default(),
                std::process::id()
            ));
            std::fs::rename(&to, &old).map_err(|e| Error::io(&to, e))?;
            std::fs::rename(&from, &to).map_err(|e| Error::io(&to, e))?;
            std::fs::remove_dir_all(&old).map_err(|e| Error::io(&old, e))?;
        } else {
            std::fs::rename(&from, &to).map_err(|e| Error::io(&to, e))?;
        }
    }
    Ok(())
}
