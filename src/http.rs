//! HTTP retries, shared by the sources' downloads ([`sources::store`](crate::sources::store)) and
//! the CRM push ([`sinks::crm`](crate::sinks::crm)): which answers are worth another attempt (a
//! broken connection, 429, 5xx), how long to wait before it (the server's `Retry-After`, else
//! exponential backoff with jitter) and the loop that makes the attempts. Callers build their own
//! `reqwest` client and requests, and keep their own log lines and errors.

use std::fmt;
use std::time::Duration;

use rand::Rng;
use reqwest::header::{HeaderMap, RETRY_AFTER};
use reqwest::StatusCode;

use crate::error::describe;

/// First backoff; doubled after each failed attempt.
pub const BACKOFF_BASE: Duration = Duration::from_millis(200);
/// Longest backoff between two attempts.
pub const BACKOFF_CAP: Duration = Duration::from_secs(30);
/// Longest `Retry-After` honoured.
pub const RETRY_AFTER_CAP: Duration = Duration::from_secs(300);

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

/// Backoff before attempt `failed + 1`: 200 ms, 400 ms, 800 ms, ... capped at 30 s, each drawn
/// between half of it and all of it (jitter), so clients that failed together do not all come
/// back at the same moment.
pub fn backoff(failed: u32) -> Duration {
    let full = BACKOFF_BASE
        .saturating_mul(2u32.saturating_pow(failed.saturating_sub(1)))
        .min(BACKOFF_CAP);
    let half = full / 2;
    half + rand::thread_rng().gen_range(Duration::ZERO..=full - half)
}

/// An attempt that failed in a way worth trying again.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Retry {
    /// What went wrong, for logs and the final error.
    pub cause: String,
    /// The HTTP status of the answer, when there was one.
    pub status: Option<u16>,
    /// How long the server asked to wait (`Retry-After`); the backoff otherwise.
    pub wait: Option<Duration>,
}

impl Retry {
    /// A retry for `cause`, with no status and no wait asked by the server.
    pub fn new(cause: impl Into<String>) -> Retry {
        Retry {
            cause: cause.into(),
            ..Retry::default()
        }
    }
}

/// How one attempt failed: worth another try, or final.
#[derive(Debug)]
pub enum Attempt<E> {
    /// Try again (unless this was the last attempt).
    Retry(Retry),
    /// Stop: no other attempt is made.
    Fail(E),
}

impl<E> Attempt<E> {
    /// The same failure with the final error turned into another type.
    pub fn map_fail<F>(self, f: impl FnOnce(E) -> F) -> Attempt<F> {
        match self {
            Attempt::Retry(r) => Attempt::Retry(r),
            Attempt::Fail(e) => Attempt::Fail(f(e)),
        }
    }
}

/// Every attempt failed with a retry: the last one's failure.
#[derive(Debug, Clone, PartialEq)]
pub struct GaveUp {
    /// The last attempt's failure.
    pub last: Retry,
    /// Attempts made.
    pub attempts: u32,
}

impl fmt::Display for GaveUp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} (gave up after {} attempts)",
            self.last.cause, self.attempts
        )
    }
}

/// How a request with retries failed.
#[derive(Debug)]
pub enum Failure<E> {
    /// An attempt failed for good.
    Fail(E),
    /// No attempt succeeded.
    GaveUp(GaveUp),
}

/// Make up to `attempts` attempts (`attempt` gets the attempt's number, from 1) until one
/// succeeds or fails for good. After a retryable failure, `on_retry` is told the attempt, its
/// failure and the wait (the server's `Retry-After`, else [`backoff`]) before the next one.
pub async fn with_retries<T, E>(
    attempts: u32,
    mut attempt: impl AsyncFnMut(u32) -> Result<T, Attempt<E>>,
    mut on_retry: impl FnMut(u32, &Retry, Duration),
) -> Result<T, Failure<E>> {
    let mut last = Retry::default();
    for n in 1..=attempts {
        match attempt(n).await {
            Ok(done) => return Ok(done),
            Err(Attempt::Fail(e)) => return Err(Failure::Fail(e)),
            Err(Attempt::Retry(retry)) => {
                if n < attempts {
                    let wait = retry.wait.unwrap_or_else(|| backoff(n));
                    on_retry(n, &retry, wait);
                    tokio::time::sleep(wait).await;
                }
                last = retry;
            }
        }
    }
    Err(Failure::GaveUp(GaveUp { last, attempts }))
}

/// Send `request`: a broken connection, a 429 or a 5xx is worth another try (after the
/// server's `Retry-After`), a request that cannot be built is not (its error, without the URL).
/// Any other answer is returned, whatever its status.
pub async fn send(request: reqwest::RequestBuilder) -> Result<reqwest::Response, Attempt<String>> {
    let response = match request.send().await {
        Ok(r) => r,
        Err(e) if e.is_builder() => return Err(Attempt::Fail(describe(&e.without_url()))),
        Err(e) => return Err(Attempt::Retry(Retry::new(describe(&e.without_url())))),
    };
    let status = response.status();
    if status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error() {
        return Err(Attempt::Retry(Retry {
            cause: format!("server answered HTTP {status}"),
            status: Some(status.as_u16()),
            wait: retry_after(response.headers()),
        }));
    }
    Ok(response)
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

    #[test]
    fn backoff_doubles_with_jitter_and_is_capped() {
        for failed in 1..=12 {
            let full = (BACKOFF_BASE * 2u32.pow(failed - 1)).min(BACKOFF_CAP);
            for _ in 0..20 {
                let wait = backoff(failed);
                assert!(wait >= full / 2 && wait <= full, "{failed}: {wait:?}");
            }
        }
        assert!(backoff(u32::MAX) <= BACKOFF_CAP);
    }

    #[tokio::test]
    async fn retries_until_success_or_gives_up_with_the_last_cause() {
        let mut seen = Vec::new();
        let done = with_retries(
            3,
            async |n| {
                if n < 3 {
                    Err(Attempt::<()>::Retry(Retry {
                        wait: Some(Duration::ZERO),
                        ..Retry::new(format!("failure {n}"))
                    }))
                } else {
                    Ok(n)
                }
            },
            |n, retry, _| seen.push((n, retry.cause.clone())),
        )
        .await;
        assert!(matches!(done, Ok(3)));
        assert_eq!(seen, [(1, "failure 1".into()), (2, "failure 2".into())]);

        let gave_up = with_retries(
            2,
            async |n| {
                Err::<(), _>(Attempt::<()>::Retry(Retry {
                    status: Some(503),
                    wait: Some(Duration::ZERO),
                    ..Retry::new(format!("failure {n}"))
                }))
            },
            |_, _, _| {},
        )
        .await;
        let Err(Failure::GaveUp(g)) = gave_up else {
            panic!("{gave_up:?}")
        };
        assert_eq!(g.last.status, Some(503));
        assert_eq!(g.to_string(), "failure 2 (gave up after 2 attempts)");

        let mut calls = 0;
        let failed = with_retries(
            5,
            async |_| {
                calls += 1;
                Err::<(), _>(Attempt::Fail("refused"))
            },
            |_, _, _| {},
        )
        .await;
        assert!(matches!(failed, Err(Failure::Fail("refused"))));
        assert_eq!(calls, 1);
    }
}
