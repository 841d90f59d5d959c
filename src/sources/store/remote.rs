//! Remote inputs without downloading them, for `personas validate`: list what a URL source
//! would read (names and sizes) and read a few bytes of each file (its head for a CSV header or a
//! first event, its tail for a Parquet footer, or a small document whole), through the same
//! stores, credentials, timeouts and retries as a run ([`store`](super)), writing
//! nothing. An unreachable store fails with the same [`Error::Unreachable`] as a run.

use std::sync::Arc;

use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, ObjectStoreExt};
use reqwest::header::{HeaderMap, HeaderValue, CONTENT_RANGE, RANGE};
use reqwest::{StatusCode, Url};
use tracing::warn;

use super::web::{auth_headers, client, refusal_note};
use super::{display_url, objects, retries, scheme, Target, STORE_SCHEMES, UNSUPPORTED_SCHEME};
use crate::config::StoreConfig;
use crate::error::{describe, Error, Result};
use crate::http::{self, Attempt, Failure, Retry};

/// Which bytes of a file to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Peek {
    /// The first `n` bytes.
    Head(u64),
    /// The last `n` bytes.
    Tail(u64),
    /// The whole file, if it is at most `n` bytes.
    Whole(u64),
}

/// One file a remote source would read.
#[derive(Debug, Clone)]
pub struct RemoteFile {
    /// URL of the file, without credentials or query values.
    pub origin: String,
    /// Size in bytes, when the listing gives it (object stores; an HTTP file's size is known
    /// once it has been peeked).
    pub size: Option<u64>,
    location: Option<ObjectPath>,
}

/// Bytes read from a remote file.
#[derive(Debug, Clone)]
pub struct Peeked {
    /// The bytes asked for; `None` when [`Peek::Whole`] was asked of a larger file.
    pub bytes: Option<Vec<u8>>,
    /// The file's size, when known.
    pub size: Option<u64>,
}

enum Backend {
    Store(Arc<dyn ObjectStore>),
    Http {
        client: reqwest::Client,
        url: Url,
        headers: HeaderMap,
        attempts: u32,
    },
}

/// What a remote source's URL names: the files and how to read them.
pub struct RemoteSource {
    source: String,
    location: String,
    backend: Backend,
    /// The files, sorted by origin.
    pub files: Vec<RemoteFile>,
}

/// List the files `pattern` names (an object-store URL with an optional glob, or one HTTP
/// file). No match -> [`Error::NoInput`]; a store that cannot be reached or refuses the listing
/// -> [`Error::Unreachable`].
pub async fn list(source_name: &str, pattern: &str, cfg: &StoreConfig) -> Result<RemoteSource> {
    let location = display_url(pattern);
    let target = Target {
        source: source_name,
        location: location.clone(),
    };
    let scheme = scheme(pattern).unwrap_or_default();
    let (backend, files) = if scheme == "http" || scheme == "https" {
        let url = Url::parse(pattern).map_err(|e| target.fail(format!("not a valid URL: {e}")))?;
        let headers = auth_headers(cfg).map_err(|m| target.fail(m))?;
        let backend = Backend::Http {
            client: client(cfg, &target)?,
            url,
            headers,
            attempts: retries(cfg) + 1,
        };
        let file = RemoteFile {
            origin: location.clone(),
            size: None,
            location: None,
        };
        (backend, vec![file])
    } else if STORE_SCHEMES.contains(&scheme.as_str()) {
        let (store, objects) = objects::list(&target, &scheme, pattern, cfg).await?;
        let base = objects::base_url(&scheme, pattern);
        let mut files: Vec<RemoteFile> = objects
            .into_iter()
            .map(|meta| RemoteFile {
                origin: format!("{base}/{}", meta.location),
                size: Some(meta.size),
                location: Some(meta.location),
            })
            .collect();
        files.sort_by(|a, b| a.origin.cmp(&b.origin));
        (Backend::Store(store), files)
    } else {
        return Err(target.fail(UNSUPPORTED_SCHEME));
    };
    if files.is_empty() {
        return Err(Error::NoInput {
            source_name: source_name.to_string(),
            pattern: location,
        });
    }
    Ok(RemoteSource {
        source: source_name.to_string(),
        location,
        backend,
        files,
    })
}

impl RemoteSource {
    fn target(&self) -> Target<'_> {
        Target {
            source: &self.source,
            location: self.location.clone(),
        }
    }

    /// Read the bytes `peek` asks for of `file`.
    pub async fn peek(&self, file: &RemoteFile, peek: Peek) -> Result<Peeked> {
        let target = self.target();
        match &self.backend {
            Backend::Store(store) => {
                let (Some(location), Some(size)) = (&file.location, file.size) else {
                    return Err(target.fail(format!("{}: not a listed object", file.origin)));
                };
                let range = match peek {
                    Peek::Head(n) => 0..n.min(size),
                    Peek::Tail(n) => size.saturating_sub(n)..size,
                    Peek::Whole(max) if size > max => {
                        return Ok(Peeked {
                            bytes: None,
                            size: Some(size),
                        })
                    }
                    Peek::Whole(_) => 0..size,
                };
                if range.is_empty() {
                    return Ok(Peeked {
                        bytes: Some(Vec::new()),
                        size: Some(size),
                    });
                }
                let bytes = store.get_range(location, range).await.map_err(|e| {
                    target.fail(format!("reading {location} failed: {}", describe(&e)))
                })?;
                Ok(Peeked {
                    bytes: Some(bytes.to_vec()),
                    size: Some(size),
                })
            }
            Backend::Http {
                client,
                url,
                headers,
                attempts,
            } => http_peek(client, url, headers, *attempts, peek, &target).await,
        }
    }
}

/// Read `peek` of an HTTP file, with the run's retries.
async fn http_peek(
    client: &reqwest::Client,
    url: &Url,
    headers: &HeaderMap,
    attempts: u32,
    peek: Peek,
    target: &Target<'_>,
) -> Result<Peeked> {
    let peeked = http::with_retries(
        attempts,
        async |_| http_attempt(client, url, headers, peek, target).await,
        |attempt, retry, wait| {
            warn!(source = target.source, url = %target.location, attempt, cause = %retry.cause,
                wait_ms = wait.as_millis() as u64, "Reading failed; retrying.");
        },
    )
    .await;
    peeked.map_err(|failure| match failure {
        Failure::Fail(e) => e,
        Failure::GaveUp(gave_up) => target.fail(gave_up.to_string()),
    })
}

/// The total size from `Content-Range: bytes 0-99/1234`.
fn content_range_total(headers: &HeaderMap) -> Option<u64> {
    headers
        .get(CONTENT_RANGE)?
        .to_str()
        .ok()?
        .rsplit('/')
        .next()?
        .trim()
        .parse()
        .ok()
}

/// One ranged request for `peek` of an HTTP file.
async fn http_attempt(
    client: &reqwest::Client,
    url: &Url,
    headers: &HeaderMap,
    peek: Peek,
    target: &Target<'_>,
) -> std::result::Result<Peeked, Attempt<Error>> {
    let mut request = client.get(url.clone()).headers(headers.clone());
    let range = match peek {
        Peek::Head(n) => Some(format!("bytes=0-{}", n.saturating_sub(1))),
        Peek::Tail(n) => Some(format!("bytes=-{n}")),
        Peek::Whole(_) => None,
    };
    if let Some(r) = range.and_then(|r| HeaderValue::try_from(r).ok()) {
        request = request.header(RANGE, r);
    }
    let response = http::send(request)
        .await
        .map_err(|a| a.map_fail(|m| target.fail(m)))?;
    let status = response.status();
    if status == StatusCode::RANGE_NOT_SATISFIABLE {
        // An empty file has no byte to range over.
        return Ok(Peeked {
            bytes: Some(Vec::new()),
            size: content_range_total(response.headers()).or(Some(0)),
        });
    }
    if !status.is_success() {
        let note = refusal_note(status, false);
        return Err(Attempt::Fail(
            target.fail(format!("server answered HTTP {status}{note}")),
        ));
    }
    read_body(response, peek).await.map_err(Attempt::Retry)
}

/// The bytes `peek` asks for of an answer's body (ranged, or whole when the server ignores the
/// range); a connection broken midway is worth another try.
async fn read_body(
    mut response: reqwest::Response,
    peek: Peek,
) -> std::result::Result<Peeked, Retry> {
    let partial = response.status() == StatusCode::PARTIAL_CONTENT;
    let size = if partial {
        content_range_total(response.headers())
    } else {
        response.content_length()
    };
    if let (Peek::Whole(max), Some(n)) = (peek, size) {
        if n > max {
            return Ok(Peeked { bytes: None, size });
        }
    }
    // A server that ignores the range sends the whole body: keep what was asked for.
    let mut body = Vec::new();
    loop {
        let chunk = match response.chunk().await {
            Ok(Some(c)) => c,
            Ok(None) => break,
            Err(e) => {
                let cause = format!("connection broken: {}", describe(&e.without_url()));
                return Err(Retry::new(cause));
            }
        };
        body.extend_from_slice(&chunk);
        match peek {
            Peek::Head(n) if !partial && body.len() as u64 >= n => {
                body.truncate(n as usize);
                return Ok(Peeked {
                    bytes: Some(body),
                    size,
                });
            }
            Peek::Tail(n) if !partial && body.len() as u64 > 2 * n => {
                body.drain(..body.len() - n as usize);
            }
            Peek::Whole(max) if body.len() as u64 > max => {
                return Ok(Peeked { bytes: None, size });
            }
            _ => {}
        }
    }
    if let Peek::Tail(n) = peek {
        let keep = body.len().min(n as usize);
        body.drain(..body.len() - keep);
    }
    Ok(Peeked {
        bytes: Some(body),
        size,
    })
}
