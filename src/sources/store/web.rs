//! `http(s)://` inputs: one file per URL, fetched with `reqwest` and the retries of
//! [`crate::http`], with a bearer token or an extra header read from the environment variables the
//! source names (marked sensitive, never logged), and redirects that do not carry a custom header
//! to another origin.

use std::path::Path;

use reqwest::header::{HeaderMap, HeaderName, HeaderValue, AUTHORIZATION};
use reqwest::{StatusCode, Url};
use tracing::{info, warn};

use super::part::{part_path, PartFile};
use super::{retries, timeout, Fetched, Target};
use crate::config::StoreConfig;
use crate::error::{describe, Error, Result};
use crate::http::{self, Attempt, Failure, Retry};

/// The HTTP client of a source: the config's timeouts, and redirects that do not carry a custom
/// header to another origin.
pub(super) fn client(cfg: &StoreConfig, target: &Target<'_>) -> Result<reqwest::Client> {
    reqwest::Client::builder()
        .connect_timeout(timeout(cfg))
        .read_timeout(timeout(cfg))
        .redirect(redirect_policy(cfg.header.is_some()))
        .build()
        .map_err(|e| target.fail(format!("cannot build the HTTP client: {}", describe(&e))))
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
fn redirect_policy(custom_header: bool) -> reqwest::redirect::Policy {
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

/// The note added to a refusal: which setting to check.
pub(super) fn refusal_note(status: StatusCode, custom_header: bool) -> &'static str {
    match status {
        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => {
            " (check the credentials named by store.token_env / store.header_env)"
        }
        s if s.is_redirection() && custom_header => {
            " (a redirect to another origin is not followed while store.header is set)"
        }
        _ => "",
    }
}

/// Download `url` into `dest`, under the URL's last path segment.
pub(super) async fn fetch(
    target: &Target<'_>,
    url: &str,
    cfg: &StoreConfig,
    dest: &Path,
) -> Result<Fetched> {
    let parsed = Url::parse(url).map_err(|e| target.fail(format!("not a valid URL: {e}")))?;
    let headers = auth_headers(cfg).map_err(|m| target.fail(m))?;
    let custom_header = cfg.header.is_some();
    let client = client(cfg, target)?;
    let name = parsed
        .path_segments()
        .and_then(|mut s| s.next_back())
        .filter(|n| !n.is_empty() && *n != "." && *n != ".." && !n.contains('\\'))
        .unwrap_or("download");
    let local = dest.join(name);
    let fetched = http::with_retries(
        retries(cfg) + 1,
        async |_| try_http(&client, &parsed, &headers, &local, target, custom_header).await,
        |attempt, retry, wait| {
            warn!(source = target.source, url = %target.location, attempt, cause = %retry.cause,
                wait_ms = wait.as_millis() as u64, "Fetch failed; retrying.");
        },
    )
    .await;
    match fetched {
        Ok(size) => {
            info!(source = target.source, origin = %target.location, bytes = size, "Fetched input.");
            Ok(Fetched {
                local,
                origin: target.location.clone(),
                size,
            })
        }
        Err(failure) => {
            let _ = tokio::fs::remove_file(part_path(&local)).await;
            Err(match failure {
                Failure::Fail(e) => e,
                Failure::GaveUp(gave_up) => target.fail(gave_up.to_string()),
            })
        }
    }
}

/// One attempt at downloading `url` into `local`.
async fn try_http(
    client: &reqwest::Client,
    url: &Url,
    headers: &HeaderMap,
    local: &Path,
    target: &Target<'_>,
    custom_header: bool,
) -> std::result::Result<u64, Attempt<Error>> {
    let request = client.get(url.clone()).headers(headers.clone());
    let mut response = http::send(request)
        .await
        .map_err(|a| a.map_fail(|m| target.fail(m)))?;
    let status = response.status();
    if !status.is_success() {
        let note = refusal_note(status, custom_header);
        return Err(Attempt::Fail(
            target.fail(format!("server answered HTTP {status}{note}")),
        ));
    }
    let expected = response.content_length();
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
                return Err(Attempt::Retry(Retry::new(cause)));
            }
        }
    }
    if let Some(expected) = expected.filter(|n| *n != part.written) {
        let cause = format!("body cut short: got {} of {expected} bytes", part.written);
        return Err(Attempt::Retry(Retry::new(cause)));
    }
    part.finish(local).await.map_err(Attempt::Fail)
}
