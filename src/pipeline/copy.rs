//! The copy of a run's partitions on an object store (`[publish] url`), written from the
//! staging folder before the date is published locally, its `_SUCCESS` marker once the local
//! publish succeeded (see `output::mirror`): a copy that fails fails the run with nothing
//! published anywhere, and a local publish that fails leaves the store's copy unmarked.

use std::path::{Path, PathBuf};

use chrono::NaiveDate;

use crate::config::PublishConfig;
use crate::error::Result;
use crate::output::mirror::{copy_date, is_marked, mark_date, StoreFolder};
use crate::sources::store::{display_url, open_folder};

/// Copy the date's staged `partitions` to `[publish] url`, when the config names one; the
/// folder copied to, for [`mark`].
///
/// # Errors
/// As [`open_folder`] and [`copy_date`].
pub(super) async fn copy_to_store(
    cfg: &PublishConfig,
    staging: &Path,
    partitions: &[PathBuf],
    date: NaiveDate,
) -> Result<Option<StoreFolder>> {
    let Some(folder) = folder(cfg)? else {
        return Ok(None);
    };
    copy_date(staging, partitions, date, &folder).await?;
    Ok(Some(folder))
}

/// The folder of `[publish] url`, when the config names one.
fn folder(cfg: &PublishConfig) -> Result<Option<StoreFolder>> {
    let Some(url) = &cfg.url else {
        return Ok(None);
    };
    let (store, prefix) = open_folder(url, &cfg.store)?;
    Ok(Some(StoreFolder {
        store,
        prefix,
        url: display_url(url),
    }))
}

/// Whether the date's copy on `[publish] url` is complete (true without one): a date published
/// locally whose copy lacks its marker (the marker refused after the local publish) is not
/// "nothing new to do".
///
/// # Errors
/// As [`open_folder`] and [`is_marked`].
pub(super) async fn is_complete(cfg: &PublishConfig, date: NaiveDate) -> Result<bool> {
    match folder(cfg)? {
        Some(folder) => is_marked(&folder, date).await,
        None => Ok(true),
    }
}

/// After the local publish: the store's copy is complete, its marker written.
///
/// # Errors
/// As [`mark_date`]: the date is then published in the output folder and not on the store;
/// the next run of the date copies it again.
pub(super) async fn mark(copied: Option<&StoreFolder>, date: NaiveDate) -> Result<()> {
    match copied {
        Some(folder) => mark_date(folder, date).await,
        None => Ok(()),
    }
}
