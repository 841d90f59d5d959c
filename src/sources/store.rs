//! Remote inputs: a source whose `path` is a URL is downloaded to local disk before it is read.
//!
//! Object stores (`s3://`, `gs://`, `az://`, `abfs(s)://`) go through `object_store`: the
//! pattern's longest literal prefix is listed and the rest matched with a glob, then every match
//! is streamed to a file under the caller's folder. `http(s)://` URLs are fetched with `reqwest`
//! (one file, no globbing), with a bearer token or an extra header read from named environment
//! variables and retries with exponential backoff on 429, 5xx and broken connections. Objects
//! are never held in memory whole, and no credential is ever logged or put in an error.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use futures::{StreamExt, TryStreamExt};
use object_store::aws::{AmazonS3Builder, AmazonS3ConfigKey};
use object_store::azure::{AzureConfigKey, MicrosoftAzureBuilder};
use object_store::gcp::{GoogleCloudStorageBuilder, GoogleConfigKey};
use object_store::path::Path as ObjectPath;
use object_store::{
    BackoffConfig, ClientConfigKey, ObjectMeta, ObjectStore, ObjectStoreExt, RetryConfig,
};
use reqwest::header::{HeaderMap, HeaderName, HeaderValue, AUTHORIZATION, RETRY_AFTER};
use reqwest::{StatusCode, Url};
use tokio::io::AsyncWriteExt;
use tracing::{info, warn};

use crate::config::StoreConfig;
use crate::error::{Error, Result};

/// Timeout of one request when the config sets none.
const DEFAULT_TIMEOUT_SECS: u64 = 60;
/// Retries when the config sets none.
const DEFAULT_RETRIES: u32 = 5;
/// First backoff; doubled after each failed attempt.
const BACKOFF_BASE: Duration = Duration::from_millis(200);
/// Longest backoff between two attempts.
const BACKOFF_CAP: Duration = Duration::from_secs(30);
/// Longest `Retry-After` honoured.
pub(super) const RETRY_AFTER_CAP: Duration = Duration::from_secs(300);
/// Objects downloaded at the same time from one store.
const PARALLEL_DOWNLOADS: usize = 4;
/// URL schemes served by an object store.
pub(super) const STORE_SCHEMES: [&str; 5] = ["s3", "gs", "az", "abfs", "abfss"];

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
        vec![fetch_http(&target, pattern, store, dest).await?]
    } else if STORE_SCHEMES.contains(&scheme.as_str()) {
        fetch_store(&target, pattern, store, dest).await?
    } else {
        return Err(
            target.fail("not a URL with a supported scheme (s3, gs, az, abfs, abfss, http, https)")
        );
    };
    files.sort_by(|a, b| a.origin.cmp(&b.origin));
    Ok(files)
}

/// The lower-cased scheme of `scheme://...`, if `path` looks like a URL.
pub(super) fn scheme(path: &str) -> Option<String> {
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
pub(super) struct Target<'a> {
    pub(super) source: &'a str,
    pub(super) location: String,
}

impl Target<'_> {
    pub(super) fn fail(&self, message: impl Into<String>) -> Error {
        Error::Unreachable {
            source_name: self.source.to_string(),
            location: self.location.clone(),
            message: message.into(),
        }
    }
}

pub(super) use crate::error::describe;

/// `Retry-After` as seconds or an HTTP date, capped.
pub fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let v = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    let wait = match v.parse::<f64>() {
        Ok(secs) if secs.is_finite() && secs >= 0.0 => Duration::from_secs_f64(secs),
        _ => {
            let at = chrono::DateTime::parse_from_rfc2822(v).ok()?;
            (at.with_timezone(&chrono::Utc) - chrono::Utc::now())
                .to_std()
                .unwrap_or_default()
        }
    };
    Some(wait.min(RETRY_AFTER_CAP))
}

pub(super) fn timeout(cfg: &StoreConfig) -> Duration {
    Duration::from_secs(cfg.timeout_secs.unwrap_or(DEFAULT_TIMEOUT_SECS).max(1))
}

pub(super) fn retries(cfg: &StoreConfig) -> u32 {
    cfg.retries.unwrap_or(DEFAULT_RETRIES)
}

/// Backoff before attempt `failed + 1`: 200 ms, 400 ms, 800 ms, ... capped.
pub fn backoff(failed: u32) -> Duration {
    BACKOFF_BASE
        .saturating_mul(2u32.saturating_pow(failed.saturating_sub(1)))
        .min(BACKOFF_CAP)
}

/// A file being downloaded: written as `<name>.part`, renamed into place when complete.
struct PartFile {
    file: tokio::fs::File,
    part: PathBuf,
    written: u64,
}

impl PartFile {
    async fn create(local: &Path) -> Result<PartFile> {
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

    async fn write(&mut self, chunk: &[u8]) -> Result<()> {
        self.file
            .write_all(chunk)
            .await
            .map_err(|e| Error::io(&self.part, e))?;
        self.written += chunk.len() as u64;
        Ok(())
    }

    async fn finish(mut self, local: &Path) -> Result<u64> {
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

fn part_path(local: &Path) -> PathBuf {
    let mut name = local
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_default();
    name.push(".part");
    local.with_file_name(name)
}

// Object stores.

async fn fetch_store(
    target: &Target<'_>,
    pattern: &str,
    cfg: &StoreConfig,
    dest: &Path,
) -> Result<Vec<Fetched>> {
    let (scheme, rest) = pattern.split_once("://").unwrap_or(("", pattern));
    let (authority, key_pattern) = rest.split_once('/').unwrap_or((rest, ""));
    if authority.is_empty() {
        return Err(target.fail("the URL names no bucket or container"));
    }
    let store = build_store(&scheme.to_ascii_lowercase(), authority, cfg)
        .map_err(|e| target.fail(format!("cannot configure the store: {}", describe(&e))))?;
    let objects = list_matching(store.as_ref(), key_pattern, target).await?;
    if objects.is_empty() {
        return Err(Error::NoInput {
            source_name: target.source.to_string(),
            pattern: target.location.clone(),
        });
    }
    let base = display_url(&format!("{scheme}://{authority}"));
    futures::stream::iter(objects)
        .map(|meta| {
            let origin = format!("{base}/{}", meta.location);
            let local = meta
                .location
                .parts()
                .fold(dest.to_path_buf(), |p, part| p.join(part.as_ref()));
            let store = store.as_ref();
            async move {
                let size = download_object(store, &meta, &local, target).await?;
                info!(source = target.source, origin = %origin, bytes = size, "Fetched input.");
                Ok(Fetched {
                    local,
                    origin,
                    size,
                })
            }
        })
        .buffer_unordered(PARALLEL_DOWNLOADS)
        .try_collect()
        .await
}

/// A store for `scheme://authority`, credentials from the environment as the vendor's tools
/// read them, timeouts and retries from the config.
pub(super) fn build_store(
    scheme: &str,
    authority: &str,
    cfg: &StoreConfig,
) -> object_store::Result<Arc<dyn ObjectStore>> {
    let secs = timeout(cfg).as_secs();
    let retries = retries(cfg);
    let retry = RetryConfig {
        backoff: BackoffConfig {
            init_backoff: BACKOFF_BASE,
            max_backoff: BACKOFF_CAP,
            base: 2.0,
        },
        max_retries: retries as usize,
        retry_timeout: Duration::from_secs(secs.saturating_mul(u64::from(retries) + 1)),
    };
    let mut client = vec![
        (ClientConfigKey::Timeout, format!("{secs}s")),
        (ClientConfigKey::ConnectTimeout, format!("{secs}s")),
    ];
    if cfg.allow_http {
        client.push((ClientConfigKey::AllowHttp, "true".to_string()));
    }
    let store: Arc<dyn ObjectStore> = match scheme {
        "s3" => {
            let mut b = AmazonS3Builder::from_env()
                .with_bucket_name(authority)
                .with_virtual_hosted_style_request(!cfg.path_style)
                .with_retry(retry);
            for (k, v) in client {
                b = b.with_config(AmazonS3ConfigKey::Client(k), v);
            }
            if let Some(endpoint) = &cfg.endpoint {
                b = b.with_endpoint(endpoint);
            }
            if let Some(region) = &cfg.region {
                b = b.with_region(region);
            }
            Arc::new(b.build()?)
        }
        "gs" => {
            let mut b = GoogleCloudStorageBuilder::from_env()
                .with_bucket_name(authority)
                .with_retry(retry);
            for (k, v) in client {
                b = b.with_config(GoogleConfigKey::Client(k), v);
            }
            if let Some(endpoint) = &cfg.endpoint {
                b = b.with_config(GoogleConfigKey::BaseUrl, endpoint);
            }
            Arc::new(b.build()?)
        }
        _ => {
            let mut b = MicrosoftAzureBuilder::from_env()
                .with_url(format!("{scheme}://{authority}"))
                .with_retry(retry);
            for (k, v) in client {
                b = b.with_config(AzureConfigKey::Client(k), v);
            }
            if let Some(endpoint) = &cfg.endpoint {
                b = b.with_config(AzureConfigKey::Endpoint, endpoint);
            }
            Arc::new(b.build()?)
        }
    };
    Ok(store)
}

/// Objects matching `key_pattern`: list the segments before the first one with a glob and
/// match the rest; without a glob, the object itself or else the objects directly in that folder.
pub(super) async fn list_matching(
    store: &dyn ObjectStore,
    key_pattern: &str,
    target: &Target<'_>,
) -> Result<Vec<ObjectMeta>> {
    let unreachable = |e: object_store::Error| {
        let text = describe(&e);
        if text.contains("169.254.169.254") {
            // object_store fell back to the EC2 instance metadata for credentials.
            return target.fail(format!(
                "no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or \
                 AWS_PROFILE) in the environment; the instance metadata service that would \
                 otherwise provide them answered: {text}"
            ));
        }
        let hint = if matches!(e, object_store::Error::NotFound { .. }) {
            " (does the bucket exist?)"
        } else {
            ""
        };
        target.fail(format!("request to the store failed: {text}{hint}"))
    };
    let segments: Vec<&str> = key_pattern.split('/').filter(|s| !s.is_empty()).collect();
    let Some(first_glob) = segments.iter().position(|s| s.contains(['*', '?', '['])) else {
        let path = ObjectPath::from_iter(segments.iter().copied());
        if !segments.is_empty() {
            match store.head(&path).await {
                Ok(meta) => return Ok(vec![meta]),
                Err(object_store::Error::NotFound { .. }) => {}
                Err(e) => return Err(unreachable(e)),
            }
        }
        let prefix = (!segments.is_empty()).then_some(&path);
        return Ok(store
            .list_with_delimiter(prefix)
            .await
            .map_err(unreachable)?
            .objects);
    };
    let glob = glob::Pattern::new(&segments.join("/"))
        .map_err(|e| target.fail(format!("bad glob in the URL: {e}")))?;
    let options = glob::MatchOptions {
        require_literal_separator: true,
        ..Default::default()
    };
    let prefix = ObjectPath::from_iter(segments[..first_glob].iter().copied());
    let prefix = (first_glob > 0).then_some(&prefix);
    store
        .list(prefix)
        .try_filter(|meta| std::future::ready(glob.matches_with(meta.location.as_ref(), options)))
        .try_collect()
        .await
        .map_err(unreachable)
}

/// Stream one object into `local`; the byte count is checked against the listing.
async fn download_object(
    store: &dyn ObjectStore,
    meta: &ObjectMeta,
    local: &Path,
    target: &Target<'_>,
) -> Result<u64> {
    let fail = |e: object_store::Error| {
        target.fail(format!(
            "download of {} failed: {}",
            meta.location,
            describe(&e)
        ))
    };
    let mut stream = store.get(&meta.location).await.map_err(fail)?.into_stream();
    let mut part = PartFile::create(local).await?;
    while let Some(chunk) = stream.next().await {
        part.write(&chunk.map_err(fail)?).await?;
    }
    if part.written != meta.size {
        let message = format!(
            "{}: got {} of {} bytes",
            meta.location, part.written, meta.size
        );
        let _ = tokio::fs::remove_file(&part.part).await;
        return Err(target.fail(message));
    }
    part.finish(local).await
}

// HTTP.

/// Why one HTTP attempt failed.
enum Attempt {
    /// Worth another try, after `wait` if the server said so.
    Retry {
        cause: String,
        wait: Option<Duration>,
    },
    /// Final.
    Fail(Error),
}

async fn fetch_http(
    target: &Target<'_>,
    url: &str,
    cfg: &StoreConfig,
    dest: &Path,
) -> Result<Fetched> {
    let parsed = Url::parse(url).map_err(|e| target.fail(format!("not a valid URL: {e}")))?;
    let headers = auth_headers(cfg).map_err(|m| target.fail(m))?;
    let custom_header = cfg.header.is_some();
    let client = reqwest::Client::builder()
        .connect_timeout(timeout(cfg))
        .read_timeout(timeout(cfg))
        .redirect(redirect_policy(custom_header))
        .build()
        .map_err(|e| target.fail(format!("cannot build the HTTP client: {}", describe(&e))))?;
    let name = parsed
        .path_segments()
        .and_then(|mut s| s.next_back())
        .filter(|n| !n.is_empty() && *n != "." && *n != ".." && !n.contains('\\'))
        .unwrap_or("download");
    let local = dest.join(name);
    let attempts = retries(cfg) + 1;
    let mut last = String::new();
    for attempt in 1..=attempts {
        match try_http(&client, &parsed, &headers, &local, target, custom_header).await {
            Ok(size) => {
                info!(source = target.source, origin = %target.location, bytes = size, "Fetched input.");
                return Ok(Fetched {
                    local,
                    origin: target.location.clone(),
                    size,
                });
            }
            Err(Attempt::Fail(e)) => {
                let _ = tokio::fs::remove_file(part_path(&local)).await;
                return Err(e);
            }
            Err(Attempt::Retry { cause, wait }) => {
                if attempt < attempts {
                    let wait = wait.unwrap_or_else(|| backoff(attempt));
                    warn!(source = target.source, url = %target.location, attempt, cause = %cause,
                        wait_ms = wait.as_millis() as u64, "Fetch failed; retrying.");
                    tokio::time::sleep(wait).await;
                }
                last = cause;
            }
        }
    }
    let _ = tokio::fs::remove_file(part_path(&local)).await;
    Err(target.fail(format!("{last} (gave up after {attempts} attempts)")))
}

/// The bearer token and extra header named in the config, read from the environment; marked
/// sensitive so they never show in debug output. The error names the variable, never a value.
pub(super) fn auth_headers(cfg: &StoreConfig) -> std::result::Result<HeaderMap, String> {
    let read = |key: &str, var: &str| match std::env::var(var) {
        Ok(v) if !v.is_empty() => Ok(v),
        _ => Err(format!(
            "environment variable `{var}` (store.{key}) is not set"
        )),
    };
    let sensitive = |value: String, var: &str| {
        let mut v = HeaderValue::try_from(value).map_err(|_| {
            format!("the value of environment variable `{var}` is not a valid HTTP header value")
        })?;
        v.set_sensitive(true);
        Ok::<_, String>(v)
    };
    let mut headers = HeaderMap::new();
    if let Some(var) = &cfg.token_env {
        let token = read("token_env", var)?;
        headers.insert(AUTHORIZATION, sensitive(format!("Bearer {token}"), var)?);
    }
    match (&cfg.header, &cfg.header_env) {
        (Some(name), Some(var)) => {
            let name = HeaderName::try_from(name.as_str())
                .map_err(|_| format!("store.header `{name}` is not a valid HTTP header name"))?;
            headers.insert(name, sensitive(read("header_env", var)?, var)?);
        }
        (None, None) => {}
        _ => return Err("store.header and store.header_env must be set together".into()),
    }
    Ok(headers)
}

/// Follow up to 10 redirects, but not to another origin while a custom header is configured
/// (reqwest drops `Authorization` across origins by itself, not custom headers).
pub(super) fn redirect_policy(custom_header: bool) -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(move |attempt| {
        let same_origin = attempt
            .previous()
            .first()
            .is_some_and(|first| first.origin() == attempt.url().origin());
        if attempt.previous().len() > 10 {
            attempt.error("too many redirects")
        } else if custom_header && !same_origin {
            attempt.stop()
        } else {
            attempt.follow()
        }
    })
}

async fn try_http(
    client: &reqwest::Client,
    url: &Url,
    headers: &HeaderMap,
    local: &Path,
    target: &Target<'_>,
    custom_header: bool,
) -> std::result::Result<u64, Attempt> {
    let response = match client
        .get(url.clone())
        .headers(headers.clone())
        .send()
        .await
    {
        Ok(r) => r,
        Err(e) if e.is_builder() => {
            return Err(Attempt::Fail(target.fail(describe(&e.without_url()))))
        }
        Err(e) => {
            return Err(Attempt::Retry {
                cause: describe(&e.without_url()),
                wait: None,
            })
        }
    };
    let status = response.status();
    if status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error() {
        let wait = retry_after(response.headers());
        return Err(Attempt::Retry {
            cause: format!("server answered HTTP {status}"),
            wait,
        });
    }
    if !status.is_success() {
        let note = match status {
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => {
                " (check the credentials named by store.token_env / store.header_env)"
            }
            s if s.is_redirection() && custom_header => {
                " (a redirect to another origin is not followed while store.header is set)"
            }
            _ => "",
        };
        return Err(Attempt::Fail(
            target.fail(format!("server answered HTTP {status}{note}")),
        ));
    }
    let expected = response.content_length();
    let mut response = response;
    let mut part = PartFile::create(local).await.map_err(Attempt::Fail)?;
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => part.write(&chunk).await.map_err(Attempt::Fail)?,
            Ok(None) => break,
            Err(e) => {
                let cause = format!(
                    "connection broken after {} bytes: {}",
                    part.written,
                    describe(&e.without_url())
                );
                return Err(Attempt::Retry { cause, wait: None });
            }
        }
    }
    if let Some(expected) = expected.filter(|n| *n != part.written) {
        let cause = format!("body cut short: got {} of {expected} bytes", part.written);
        return Err(Attempt::Retry { cause, wait: None });
    }
    part.finish(local).await.map_err(Attempt::Fail)
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::{HeaderMap, HeaderValue};

    #[test]
    fn retry_after_in_seconds_or_as_a_date() {
        let mut h = HeaderMap::new();
        h.insert(RETRY_AFTER, HeaderValue::from_static("2"));
        assert_eq!(retry_after(&h), Some(Duration::from_secs(2)));
        h.insert(RETRY_AFTER, HeaderValue::from_static("100000"));
        assert_eq!(retry_after(&h), Some(RETRY_AFTER_CAP));
        h.insert(
            RETRY_AFTER,
            HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT"),
        );
        assert_eq!(retry_after(&h), Some(Duration::ZERO));
        h.insert(RETRY_AFTER, HeaderValue::from_static("soon"));
        assert_eq!(retry_after(&h), None);
    }
}
