//! Remote inputs: a source whose `path` is a URL is downloaded to local disk before it is read.
//!
//! Object stores (`s3://`, `gs://`, `az://`, `abfs(s)://`) go through `object_store`
//! (`objects`): the pattern's longest literal prefix is listed and the rest matched with a glob,
//! then every match is streamed to a file under the caller's folder. `http(s)://` URLs are
//! fetched with `reqwest` (`web`: one file, no globbing), with a bearer token or an extra header
//! read from named environment variables and the retries of [`crate::http`]. Objects are never
//! held in memory whole, and no credential is ever logged or put in an error. [`remote`] reads a
//! few bytes of the same files for `personas validate`; [`archive`] reads zips of CSVs.

pub mod archive;
mod objects;
mod part;
pub mod remote;
mod web;

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::config::StoreConfig;
use crate::error::{Error, Result};

/// Timeout of one request when the config sets none.
const DEFAULT_TIMEOUT_SECS: u64 = 60;
/// Retries when the config sets none.
const DEFAULT_RETRIES: u32 = 5;
/// URL schemes served by an object store.
const STORE_SCHEMES: [&str; 5] = ["s3", "gs", "az", "abfs", "abfss"];
/// The error of a URL whose scheme no backend serves.
const UNSUPPORTED_SCHEME: &str =
    "not a URL with a supported scheme (s3, gs, az, abfs, abfss, http, https)";

/// One input fetched to local disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fetched {
    /// Where the file was written (under the caller's folder).
    pub local: PathBuf,
    /// The object's URL, or the URL as given, without credentials or query values.
    pub origin: String,
    /// Bytes written.
    pub size: u64,
}

/// Whether a source path is a URL this module handles (s3://, gs://, az://, abfs(s)://,
/// http://, https://). `file://` URLs are not remote: see [`file_url_path`].
pub fn is_remote(path: &str) -> bool {
    scheme(path).is_some_and(|s| s == "http" || s == "https" || STORE_SCHEMES.contains(&s.as_str()))
}

/// The local path of a `file://` URL (`file:///data/ga4/*.json` -> `/data/ga4/*.json`), kept
/// verbatim (no percent-decoding) so globs still work; `None` for anything else.
pub fn file_url_path(path: &str) -> Option<PathBuf> {
    if scheme(path)? != "file" {
        return None;
    }
    let rest = &path["file://".len()..];
    let rest = rest.strip_prefix("localhost").unwrap_or(rest);
    rest.starts_with('/').then(|| PathBuf::from(rest))
}

/// A URL fit for logs and messages: user name and password removed, query values hidden.
pub fn display_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let (rest, fragment_cut) = match rest.split_once('#') {
        Some((r, _)) => (r, true),
        None => (rest, false),
    };
    let (authority, path) = rest.find('/').map_or((rest, ""), |i| rest.split_at(i));
    // `user:password@host` -> `user@host` (abfss puts the container name in the user part).
    let authority = match authority.rsplit_once('@') {
        Some((user, host)) => format!("{}@{host}", user.split(':').next().unwrap_or_default()),
        None => authority.to_string(),
    };
    let mut shown = format!("{scheme}://{authority}");
    match path.split_once('?') {
        Some((p, query)) => {
            let names: Vec<String> = query
                .split('&')
                .map(|kv| format!("{}=***", kv.split('=').next().unwrap_or_default()))
                .collect();
            shown.push_str(p);
            shown.push('?');
            shown.push_str(&names.join("&"));
        }
        None => shown.push_str(path),
    }
    if fragment_cut {
        shown.push_str("#***");
    }
    shown
}

/// Resolve `pattern` (a URL, possibly with a glob in the last path segments, e.g.
/// `s3://bucket/exports/events_*.json`) and download every matching object into `dest` (a folder
/// the caller owns and deletes), streaming. Returns the files sorted by origin. No match ->
/// [`Error::NoInput`]; an unreachable endpoint, DNS, TLS, auth or HTTP error after retries ->
/// [`Error::Unreachable`] naming the cause.
pub async fn fetch(
    source_name: &str,
    pattern: &str,
    store: &StoreConfig,
    dest: &Path,
) -> Result<Vec<Fetched>> {
    let target = Target {
        source: source_name,
        location: display_url(pattern),
    };
    let scheme = scheme(pattern).unwrap_or_default();
    let mut files = if scheme == "http" || scheme == "https" {
        vec![web::fetch(&target, pattern, store, dest).await?]
    } else if STORE_SCHEMES.contains(&scheme.as_str()) {
        objects::fetch(&target, pattern, store, dest).await?
    } else {
        return Err(target.fail(UNSUPPORTED_SCHEME));
    };
    files.sort_by(|a, b| a.origin.cmp(&b.origin));
    Ok(files)
}

/// The store of an object store folder (`s3://bucket/prefix`, `gs://`, `az://`, `abfs(s)://`)
/// and the folder's key prefix in it, built as a source's store is (credentials from the
/// environment, `store`'s endpoint, timeouts and retries): where the outputs' copy is written.
///
/// # Errors
/// [`Error::Publish`] for a URL of another scheme or a store that cannot be configured.
pub fn open_folder(
    url: &str,
    store: &StoreConfig,
) -> Result<(
    std::sync::Arc<dyn object_store::ObjectStore>,
    object_store::path::Path,
)> {
    let scheme = scheme(url).unwrap_or_default();
    let failed = |message: String| Error::Publish {
        location: display_url(url),
        message,
    };
    if !STORE_SCHEMES.contains(&scheme.as_str()) {
        return Err(failed(UNSUPPORTED_SCHEME.into()));
    }
    objects::open_folder(url, &scheme, store).map_err(|e| {
        failed(format!(
            "cannot configure the store: {}",
            crate::error::describe(&e)
        ))
    })
}

/// The lower-cased scheme of `scheme://...`, if `path` looks like a URL.
fn scheme(path: &str) -> Option<String> {
    let (scheme, _) = path.split_once("://")?;
    let valid = scheme
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    valid.then(|| scheme.to_ascii_lowercase())
}

/// The source and the (credential-free) location every error of one fetch names.
struct Target<'a> {
    source: &'a str,
    location: String,
}

impl Target<'_> {
    fn fail(&self, message: impl Into<String>) -> Error {
        Error::Unreachable {
            source_name: self.source.to_string(),
            location: self.location.clone(),
            message: message.into(),
        }
    }
}

fn timeout(cfg: &StoreConfig) -> Duration {
    Duration::from_secs(cfg.timeout_secs.unwrap_or(DEFAULT_TIMEOUT_SECS).max(1))
}

fn retries(cfg: &StoreConfig) -> u32 {
    cfg.retries.unwrap_or(DEFAULT_RETRIES)
}
