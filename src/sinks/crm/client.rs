//! HubSpot's CRM API as the push uses it: read a contact property (to check its options before
//! the first write) and batch-update contacts. Every call waits for the client-side rate limit
//! (`requests_per_10s`), and is retried on 429 (after `Retry-After`), 5xx and broken
//! connections with exponential backoff. The access token comes from the environment variable
//! the config names, is marked sensitive and never appears in a log or an error.

use std::collections::{HashMap, VecDeque};
use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderValue, AUTHORIZATION, CONTENT_TYPE};
use reqwest::{StatusCode, Url};
use serde::Deserialize;
use tokio::time::Instant;
use tracing::{debug, warn};

use crate::config::CrmConfig;
use crate::error::{describe, Error, Result};
use crate::http::{self, backoff, retry_after, Attempt, Failure, Retry};

/// Shortest wait after a 429 without `Retry-After` (HubSpot's limits are per second or more).
const RATE_LIMITED_MIN: Duration = Duration::from_secs(1);
/// The rate limit's window.
const WINDOW: Duration = Duration::from_secs(10);
/// Longest part of an answer's body kept in a message.
const MESSAGE_CAP: usize = 500;

/// A contact property as HubSpot describes it.
#[derive(Debug, Clone, Deserialize)]
pub(super) struct Property {
    /// Internal name.
    pub name: String,
    /// `enumeration`, `string`, ...
    #[serde(rename = "type")]
    pub kind: String,
    /// The options of an enumeration.
    #[serde(default)]
    pub options: Vec<PropertyOption>,
}

/// One option of an enumeration property.
#[derive(Debug, Clone, Deserialize)]
pub(super) struct PropertyOption {
    /// Internal value.
    pub value: String,
    /// Label shown to users.
    #[serde(default)]
    pub label: String,
}

/// How a batch update ended.
#[derive(Debug)]
pub(super) enum BatchOutcome {
    /// Accepted; the records listed failed individually (a 207 answer), by input position.
    Done(Vec<(usize, u16, String)>),
    /// The whole batch was refused (a 4xx other than 429); `ids` are the records the answer
    /// names, when it names any.
    Rejected {
        status: u16,
        message: String,
        ids: Vec<String>,
    },
    /// No answer other than 429 or 5xx came within the retries (`status` of the last answer).
    GaveUp {
        status: Option<u16>,
        message: String,
    },
}

/// HubSpot's error and multi-status bodies (the fields the push reads).
#[derive(Debug, Default, Deserialize)]
struct Answer {
    /// The answer's own message, category and context.
    #[serde(flatten)]
    top: RecordError,
    #[serde(default)]
    errors: Vec<RecordError>,
}

#[derive(Debug, Default, Deserialize)]
struct Context {
    #[serde(default)]
    ids: Vec<String>,
    #[serde(default)]
    id: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
struct RecordError {
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    category: Option<String>,
    #[serde(default)]
    context: Option<Context>,
}

impl Context {
    fn ids(&self) -> impl Iterator<Item = &String> {
        self.ids.iter().chain(&self.id)
    }
}

/// A call that got a final answer, or the last failure after the retries.
enum Sent {
    Answer(StatusCode, Vec<u8>),
    GaveUp(Option<u16>, String),
}

/// Calls at most `max` per `window`.
struct Limiter {
    max: usize,
    window: Duration,
    sent: VecDeque<Instant>,
}

impl Limiter {
    async fn wait(&mut self) {
        loop {
            let now = Instant::now();
            while self.sent.front().is_some_and(|t| now - *t >= self.window) {
                self.sent.pop_front();
            }
            match self.sent.front() {
                Some(first) if self.sent.len() >= self.max => {
                    tokio::time::sleep_until(*first + self.window).await;
                }
                _ => {
                    self.sent.push_back(now);
                    return;
                }
            }
        }
    }
}

/// A HubSpot API client for one push.
pub(super) struct HubSpot {
    http: reqwest::Client,
    base: String,
    headers: HeaderMap,
    retries: u32,
    limiter: Limiter,
    /// Calls made (attempts included).
    pub calls: usize,
}

impl HubSpot {
    /// A client for `cfg.hubspot`, with the token read from its environment variable.
    pub fn new(cfg: &CrmConfig) -> Result<HubSpot> {
        let h = &cfg.hubspot;
        let base = h.api_base.trim_end_matches('/').to_string();
        let fail = |message: String| unreachable(&base, message);
        let token = match std::env::var(&h.token_env) {
            Ok(t) if !t.trim().is_empty() => t,
            _ => {
                return Err(fail(format!(
                    "environment variable `{}` (crm.hubspot.token_env) is not set: put the private app's access token there",
                    h.token_env
                )))
            }
        };
        let mut auth = HeaderValue::try_from(format!("Bearer {}", token.trim())).map_err(|_| {
            fail(format!(
                "the value of environment variable `{}` is not a valid HTTP header value",
                h.token_env
            ))
        })?;
        auth.set_sensitive(true);
        let mut headers = HeaderMap::new();
        headers.insert(AUTHORIZATION, auth);
        let timeout = Duration::from_secs(h.timeout_secs.max(1));
        let http = reqwest::Client::builder()
            .connect_timeout(timeout)
            .timeout(timeout)
            .build()
            .map_err(|e| fail(format!("cannot build the HTTP client: {}", describe(&e))))?;
        Ok(HubSpot {
            http,
            base,
            headers,
            retries: h.retries,
            limiter: Limiter {
                max: h.requests_per_10s.max(1) as usize,
                window: WINDOW,
                sent: VecDeque::new(),
            },
            calls: 0,
        })
    }

    /// URL of `path` (`/crm/v3/...`) under the API base, with `segment` appended as one
    /// percent-encoded path segment when given.
    fn url(&self, path: &str, segment: Option<&str>) -> Result<Url> {
        let mut url = Url::parse(&format!("{}{path}", self.base))
            .map_err(|e| unreachable(&self.base, format!("not a valid URL: {e}")))?;
        if let Some(segment) = segment {
            if let Ok(mut segments) = url.path_segments_mut() {
                segments.pop_if_empty().push(segment);
            }
        }
        Ok(url)
    }

    /// Read the contact property `name`. A missing property, a refused token or no answer
    /// after the retries is an error naming the URL and what to do.
    pub async fn property(&mut self, name: &str) -> Result<Property> {
        let url = self.url("/crm/v3/properties/contacts/", Some(name))?;
        let location = url.to_string();
        let (status, body) = match self.send(reqwest::Method::GET, &url, None).await {
            Sent::Answer(status, body) => (status, body),
            Sent::GaveUp(_, message) => return Err(unreachable(&location, message)),
        };
        if status == StatusCode::NOT_FOUND {
            return Err(Error::BadInput {
                file: format!("HubSpot contact property `{name}`"),
                reason: format!(
                    "not found at {location}: create the property (see the README's CRM section), or check crm.hubspot.property and crm.hubspot.api_base"
                ),
            });
        }
        if !status.is_success() {
            return Err(unreachable(&location, refusal(status, &body)));
        }
        serde_json::from_slice(&body).map_err(|e| Error::BadInput {
            file: location,
            reason: format!("unexpected answer describing the property: {e}"),
        })
    }

    /// Set `property` to each input's value (`(record id, value)`), in one call.
    pub async fn batch_update(
        &mut self,
        property: &str,
        inputs: &[(&str, &str)],
    ) -> Result<BatchOutcome> {
        let url = self.url("/crm/v3/objects/contacts/batch/update", None)?;
        let body = serde_json::json!({
            "inputs": inputs
                .iter()
                .map(|(id, value)| serde_json::json!({"id": id, "properties": {property: value}}))
                .collect::<Vec<_>>()
        });
        let body = serde_json::to_vec(&body)?;
        let (status, answer) = match self.send(reqwest::Method::POST, &url, Some(body)).await {
            Sent::Answer(status, answer) => (status, answer),
            Sent::GaveUp(status, message) => return Ok(BatchOutcome::GaveUp { status, message }),
        };
        // A refused token fails every batch: stop. (A 404 is not fatal here: the property check
        // already reached the API, and a batch naming a deleted contact may answer 404.)
        if matches!(status, StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN) {
            return Err(unreachable(url.as_str(), refusal(status, &answer)));
        }
        if status.is_success() {
            return Ok(BatchOutcome::Done(multi_status_failures(
                status, &answer, inputs,
            )));
        }
        let parsed: Answer = serde_json::from_slice(&answer).unwrap_or_default();
        let ids = parsed
            .top
            .context
            .iter()
            .flat_map(Context::ids)
            .chain(
                parsed
                    .errors
                    .iter()
                    .filter_map(|e| e.context.as_ref())
                    .flat_map(Context::ids),
            )
            .cloned()
            .collect();
        Ok(BatchOutcome::Rejected {
            status: status.as_u16(),
            message: message(&answer),
            ids,
        })
    }

    /// One call with the retries: waits for the rate limit before each attempt, honours
    /// `Retry-After` on 429 and backs off on 5xx and broken connections.
    async fn send(&mut self, method: reqwest::Method, url: &Url, body: Option<Vec<u8>>) -> Sent {
        let attempts = self.retries + 1;
        let sent = http::with_retries(
            attempts,
            async |attempt| self.attempt(&method, url, body.as_deref(), attempt).await,
            |attempt, retry, wait| {
                warn!(url = %url, attempt, cause = %retry.cause, wait_ms = wait.as_millis() as u64,
                    "HubSpot call failed; retrying.");
            },
        )
        .await;
        match sent {
            Ok((status, answer)) => Sent::Answer(status, answer),
            Err(Failure::Fail(never)) => match never {},
            Err(Failure::GaveUp(gave_up)) => Sent::GaveUp(gave_up.last.status, gave_up.to_string()),
        }
    }

    /// One attempt of a call, after the rate limit: the answer, unless it is a 429 or 5xx, the
    /// connection broke or a successful answer was cut short.
    async fn attempt(
        &mut self,
        method: &reqwest::Method,
        url: &Url,
        body: Option<&[u8]>,
        attempt: u32,
    ) -> std::result::Result<(StatusCode, Vec<u8>), Attempt<std::convert::Infallible>> {
        self.limiter.wait().await;
        self.calls += 1;
        let mut request = self
            .http
            .request(method.clone(), url.clone())
            .headers(self.headers.clone());
        if let Some(body) = body {
            request = request
                .header(CONTENT_TYPE, "application/json")
                .body(body.to_vec());
        }
        let response = match request.send().await {
            Ok(response) => response,
            Err(e) => return Err(Attempt::Retry(Retry::new(describe(&e.without_url())))),
        };
        let status = response.status();
        let wait = retry_after(response.headers());
        let answer = match response.bytes().await {
            Ok(b) => b.to_vec(),
            Err(e) if status.is_success() => {
                return Err(Attempt::Retry(Retry {
                    status: Some(status.as_u16()),
                    ..Retry::new(format!("answer cut short: {}", describe(&e.without_url())))
                }));
            }
            Err(_) => Vec::new(),
        };
        if status != StatusCode::TOO_MANY_REQUESTS && !status.is_server_error() {
            debug!(url = %url, status = status.as_u16(), attempt, "HubSpot answered.");
            return Ok((status, answer));
        }
        let wait = match (status, wait) {
            (StatusCode::TOO_MANY_REQUESTS, None) => Some(backoff(attempt).max(RATE_LIMITED_MIN)),
            (_, wait) => wait,
        };
        Err(Attempt::Retry(Retry {
            cause: format!("HTTP {status}: {}", message(&answer)),
            status: Some(status.as_u16()),
            wait,
        }))
    }
}

/// The inputs a 2xx answer reports as failed (HubSpot's 207 Multi-Status lists them under
/// `errors` with their ids in `context`), by position; none for a plain 200.
fn multi_status_failures(
    status: StatusCode,
    answer: &[u8],
    inputs: &[(&str, &str)],
) -> Vec<(usize, u16, String)> {
    if status != StatusCode::MULTI_STATUS {
        return Vec::new();
    }
    let Ok(parsed) = serde_json::from_slice::<Answer>(answer) else {
        return Vec::new();
    };
    let position: HashMap<&str, usize> = inputs
        .iter()
        .enumerate()
        .map(|(i, (id, _))| (*id, i))
        .collect();
    let mut failed = Vec::new();
    for e in &parsed.errors {
        let text = match (&e.category, &e.message) {
            (Some(c), Some(m)) => format!("{c}: {m}"),
            (None, Some(m)) => m.clone(),
            (Some(c), None) => c.clone(),
            (None, None) => "failed (no message)".into(),
        };
        for id in e.context.iter().flat_map(Context::ids) {
            if let Some(i) = position.get(id.as_str()) {
                failed.push((*i, 207, text.clone()));
            }
        }
    }
    failed
}

/// The message of an answer: HubSpot's `category: message`, else the body, shortened.
fn message(body: &[u8]) -> String {
    if let Ok(a) = serde_json::from_slice::<Answer>(body) {
        match (a.top.category, a.top.message) {
            (Some(c), Some(m)) => return format!("{c}: {m}"),
            (None, Some(m)) => return m,
            _ => {}
        }
    }
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    if text.is_empty() {
        return "(empty answer)".into();
    }
    match text.char_indices().nth(MESSAGE_CAP) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_string(),
    }
}

/// A refused call, with a hint for the status.
fn refusal(status: StatusCode, body: &[u8]) -> String {
    let hint = match status {
        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => {
            " (check the token named by crm.hubspot.token_env and its scopes crm.objects.contacts.write, crm.schemas.contacts.read)"
        }
        StatusCode::NOT_FOUND => " (check crm.hubspot.api_base)",
        _ => "",
    };
    format!("HubSpot answered HTTP {status}: {}{hint}", message(body))
}

fn unreachable(location: &str, message: String) -> Error {
    Error::Crm {
        location: location.to_string(),
        message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multi_status_names_the_failed_inputs() {
        let answer = br#"{"status":"COMPLETE","results":[{"id":"1"}],"numErrors":1,
            "errors":[{"status":"error","category":"OBJECT_NOT_FOUND","message":"Object not found",
            "context":{"ids":["3"]}}]}"#;
        let inputs = [("1", "persona_1"), ("3", "persona_2")];
        let failed = multi_status_failures(StatusCode::MULTI_STATUS, answer, &inputs);
        assert_eq!(
            failed,
            vec![(1, 207, "OBJECT_NOT_FOUND: Object not found".to_string())]
        );
        assert!(multi_status_failures(StatusCode::OK, answer, &inputs).is_empty());
    }

    #[test]
    fn message_prefers_hubspots_fields_and_shortens_the_rest() {
        assert_eq!(
            message(br#"{"status":"error","message":"Property values were not valid","category":"VALIDATION_ERROR"}"#),
            "VALIDATION_ERROR: Property values were not valid"
        );
        let long = "x".repeat(2000);
        assert_eq!(message(long.as_bytes()).chars().count(), MESSAGE_CAP + 1);
        assert_eq!(message(b""), "(empty answer)");
    }

    #[tokio::test]
    async fn limiter_spreads_calls_over_the_window() {
        let window = Duration::from_millis(150);
        let mut l = Limiter {
            max: 3,
            window,
            sent: VecDeque::new(),
        };
        let start = Instant::now();
        let mut at = Vec::new();
        for _ in 0..7 {
            l.wait().await;
            at.push(Instant::now() - start);
        }
        // Calls 1-3 at once, 4-6 one window later, 7 two windows later.
        assert!(at[2] < window, "{at:?}");
        assert!(at[3] >= window && at[5] < 2 * window, "{at:?}");
        assert!(at[6] >= 2 * window, "{at:?}");
    }
}
