//! The copy of a run's partitions on an object store (`[publish] url`), written from the
//! staging folder before the date is published locally, its `_SUCCESS` marker last (see
//! `output::mirror`): a copy that fails fails the run, and nothing is published anywhere.

use std::path::{Path, PathBuf};

use chrono::NaiveDate;

use crate::config::PublishConfig;
use crate::error::Result;
use crate::output::mirror::{copy_date, StoreFolder};
use crate::sources::store::{display_url, open_folder};

/// Copy the date's staged `partitions` to `[publish] url`, when the config names one.
///
/// # Errors
/// As [`open_folder`] and [`copy_date`].
pub(super) async fn copy_to_store(
    cfg: &PublishConfig,
    staging: &Path,
    partitions: &[PathBuf],
    date: NaiveDate,
) -> Result<()> {
    let Some(url) = &cfg.url else {
        return Ok(());
    };
    let (store, prefix) = open_folder(url, &cfg.store)?;
    let folder = StoreFolder {
        store,
        prefix,
        url: display_url(url),
    };
    copy_date(staging, partitions, date, &folder).await
}
