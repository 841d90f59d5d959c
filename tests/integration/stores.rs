//! Remote inputs against real servers on loopback: a `moto` S3 server (from the venv that
//! `.ci/run` creates) and a scripted HTTP/1.1 server. No mocks of the code under test.

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::util::servers::{aws_env, free_port, HttpServer, Moto, Reply};
use crate::util::{fetch_error, fetched, walk};
use object_store::path::Path as ObjectPath;
use object_store::ObjectStoreExt;
use personas::config::StoreConfig;
use personas::sources::store::{display_url, fetch, file_url_path, is_remote};
use personas::Error;

fn s3_config(endpoint: &str) -> StoreConfig {
    StoreConfig {
        endpoint: Some(endpoint.to_string()),
        path_style: true,
        allow_http: true,
        timeout_secs: Some(5),
        retries: Some(1),
        ..Default::default()
    }
}

fn http_config(retries: u32) -> StoreConfig {
    StoreConfig {
        timeout_secs: Some(5),
        retries: Some(retries),
        ..Default::default()
    }
}

/// Body of `n` bytes that differ from position to position.
fn payload(n: usize, seed: u8) -> Vec<u8> {
    (0..n)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}

#[test]
fn urls_are_recognised_and_shown_without_secrets() {
    for url in [
        "s3://b/k",
        "gs://b/k",
        "az://c/k",
        "abfss://fs@acct.dfs.core.windows.net/k",
        "https://h/x",
        "HTTP://h/x",
    ] {
        assert!(is_remote(url), "{url}");
    }
    for path in [
        "data/*.csv",
        "/abs/x.json",
        "file:///data/x.json",
        "C:\\data\\x.csv",
    ] {
        assert!(!is_remote(path), "{path}");
    }
    assert_eq!(
        file_url_path("file:///data/ga4/events_*.json")
            .unwrap()
            .to_str(),
        Some("/data/ga4/events_*.json")
    );
    assert_eq!(
        file_url_path("file://localhost/x.csv").unwrap().to_str(),
        Some("/x.csv")
    );
    assert!(file_url_path("s3://b/k").is_none());
    let shown =
        display_url("https://alice:pa55word@host:8443/a/b.csv?sig=SECRETSIG&expires=1#frag");
    assert_eq!(
        shown,
        "https://alice@host:8443/a/b.csv?sig=***&expires=***#***"
    );
    assert_eq!(
        display_url("s3://bucket/exports/events_*.json"),
        "s3://bucket/exports/events_*.json"
    );
}

#[tokio::test]
async fn s3_glob_downloads_exactly_the_matching_objects() {
    let moto = Moto::start();
    let bucket = "exports-bucket";
    let s3 = moto.bucket(bucket).await;
    let objects = [
        (
            "exports/events_20261119.json",
            payload(3 * 1024 * 1024 + 17, 1),
        ),
        ("exports/events_20261120.json", payload(2048, 2)),
        ("exports/contacts.csv", payload(512, 3)),
        ("exports/old/events_20250101.json", payload(64, 4)),
    ];
    for (key, body) in &objects {
        s3.put(&ObjectPath::from(*key), body.clone().into())
            .await
            .unwrap();
    }
    let cfg = s3_config(&moto.endpoint);

    let pattern = format!("s3://{bucket}/exports/events_*.json");
    let (dest, got) = fetched("web", &pattern, &cfg).await;
    let origins: Vec<&str> = got.iter().map(|f| f.origin.as_str()).collect();
    assert_eq!(
        origins,
        [
            "s3://exports-bucket/exports/events_20261119.json",
            "s3://exports-bucket/exports/events_20261120.json"
        ]
    );
    for (f, (_, body)) in got.iter().zip(&objects) {
        assert!(f.local.starts_with(dest.path()), "{}", f.local.display());
        assert_eq!(f.size, body.len() as u64);
        assert!(
            std::fs::read(&f.local).unwrap() == *body,
            "{} differs from the object",
            f.local.display()
        );
    }
    let leftovers: Vec<_> = walk(dest.path())
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "part"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");

    // A literal key fetches that object alone.
    let (_dest, one) = fetched("crm", &format!("s3://{bucket}/exports/contacts.csv"), &cfg).await;
    assert_eq!(one.len(), 1);
    assert_eq!(std::fs::read(&one[0].local).unwrap(), objects[2].1);

    // A pattern matching nothing is "no input", not an outage.
    let pattern = format!("s3://{bucket}/exports/nothing_*.json");
    let (_, err) = fetch_error("web", &pattern, &cfg).await;
    assert!(matches!(err, Error::NoInput { .. }), "{err}");
    assert!(
        err.to_string()
            .contains("s3://exports-bucket/exports/nothing_*.json"),
        "{err}"
    );
}

#[tokio::test]
async fn s3_endpoint_where_nothing_listens_is_unreachable_quickly() {
    aws_env();
    let port = free_port();
    let cfg = StoreConfig {
        retries: Some(1),
        timeout_secs: Some(2),
        ..s3_config(&format!("http://127.0.0.1:{port}"))
    };
    let started = Instant::now();
    let (_, err) = fetch_error("web", "s3://bucket/exports/events_*.json", &cfg).await;
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "took {:?}",
        started.elapsed()
    );
    assert!(matches!(err, Error::Unreachable { .. }), "{err}");
    assert_eq!(err.exit_code(), 4);
    let text = err.to_string();
    assert!(text.contains("s3://bucket/exports/events_*.json"), "{text}");
    assert!(text.contains(&format!("127.0.0.1:{port}")), "{text}");
}

#[tokio::test]
async fn http_503_is_retried() {
    let body = payload(4000, 5);
    let server = HttpServer::start(vec![
        Reply::status("503 Service Unavailable", vec![]),
        Reply::ok(&body),
    ]);
    let url = server.url("/exports/contacts.csv");
    let (dest, got) = fetched("crm", &url, &http_config(3)).await;
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].local, dest.path().join("contacts.csv"));
    assert_eq!(got[0].size, body.len() as u64);
    assert_eq!(std::fs::read(&got[0].local).unwrap(), body);
    assert_eq!(server.seen().len(), 2);
}

#[tokio::test]
async fn http_429_honours_retry_after() {
    let server = HttpServer::start(vec![
        Reply::status("429 Too Many Requests", vec![("Retry-After", "1".into())]),
        Reply::ok(b"a,b\n1,2\n"),
    ]);
    let (_dest, got) = fetched("crm", &server.url("/c.csv"), &http_config(2)).await;
    assert_eq!(std::fs::read(&got[0].local).unwrap(), b"a,b\n1,2\n");
    let seen = server.seen();
    assert_eq!(seen.len(), 2);
    let waited = seen[1].at - seen[0].at;
    assert!(
        waited >= Duration::from_millis(950) && waited < Duration::from_secs(3),
        "waited {waited:?}"
    );
}

#[tokio::test]
async fn http_body_cut_mid_stream_is_downloaded_again() {
    let body = payload(1000, 6);
    let server = HttpServer::start(vec![
        Reply::Truncated {
            declared: 1000,
            body: body[..100].to_vec(),
        },
        Reply::ok(&body),
    ]);
    let url = server.url("/ga4/events_20261120.json");
    let (dest, got) = fetched("web", &url, &http_config(2)).await;
    assert_eq!(got[0].local, dest.path().join("events_20261120.json"));
    assert_eq!(std::fs::read(&got[0].local).unwrap(), body);
    assert_eq!(got[0].size, 1000);
    assert_eq!(server.seen().len(), 2);
    assert_eq!(walk(dest.path()).len(), 1, "a temp file was left behind");
}

#[tokio::test]
async fn http_404_fails_at_once() {
    let server = HttpServer::start(vec![Reply::status("404 Not Found", vec![])]);
    let started = Instant::now();
    let url = server.url("/missing.csv");
    let (dest, err) = fetch_error("crm", &url, &http_config(5)).await;
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "took {:?}",
        started.elapsed()
    );
    assert!(matches!(err, Error::Unreachable { .. }), "{err}");
    let text = err.to_string();
    assert!(text.contains("404") && text.contains(&url), "{text}");
    assert_eq!(server.seen().len(), 1);
    assert!(walk(dest.path()).is_empty());
}

#[tokio::test]
async fn http_credentials_are_sent_but_never_shown() {
    const TOKEN: &str = "tok-9f8e7d6c5b4a3210";
    const KEY: &str = "key-1a2b3c4d5e6f";
    std::env::set_var("PERSONAS_TEST_STORES_TOKEN", TOKEN);
    std::env::set_var("PERSONAS_TEST_STORES_KEY", KEY);
    let logs = capture_logs();
    let cfg = StoreConfig {
        token_env: Some("PERSONAS_TEST_STORES_TOKEN".into()),
        header: Some("X-Api-Key".into()),
        header_env: Some("PERSONAS_TEST_STORES_KEY".into()),
        ..http_config(2)
    };
    let server = HttpServer::start(vec![
        Reply::status("502 Bad Gateway", vec![]),
        Reply::ok(b"ok"),
        Reply::status("401 Unauthorized", vec![]),
    ]);
    let (dest, got) = fetched("crm", &server.url("/c.csv?sig=SECRETSIG"), &cfg).await;
    assert_eq!(got[0].origin, server.url("/c.csv?sig=***"));
    let head = server.seen()[1].head.to_ascii_lowercase();
    assert!(
        head.contains(&format!("authorization: bearer {TOKEN}")),
        "{head}"
    );
    assert!(head.contains(&format!("x-api-key: {KEY}")), "{head}");

    let err = fetch(
        "crm",
        &server.url("/c.csv?sig=SECRETSIG"),
        &cfg,
        dest.path(),
    )
    .await
    .unwrap_err();
    let shown = format!("{err} {err:?}");
    assert!(shown.contains("401"), "{shown}");
    let logged = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    assert!(
        logged.contains("Fetched input.") && logged.contains("retrying"),
        "{logged}"
    );
    for secret in [TOKEN, KEY, "SECRETSIG"] {
        assert!(!shown.contains(secret), "{secret} in error: {shown}");
        assert!(!logged.contains(secret), "{secret} in logs: {logged}");
    }

    // A named variable that is unset fails before any request, naming the variable.
    let cfg = StoreConfig {
        token_env: Some("PERSONAS_TEST_STORES_UNSET".into()),
        ..http_config(0)
    };
    let err = fetch("crm", &server.url("/c.csv"), &cfg, dest.path())
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("PERSONAS_TEST_STORES_UNSET"),
        "{err}"
    );
    assert_eq!(server.seen().len(), 3);
}

/// Every file under `dir`.
/// A log sink for `tracing_subscriber::fmt`.
#[derive(Clone, Default)]
struct Logs(Arc<Mutex<Vec<u8>>>);

/// Every log line of the test binary, at DEBUG, from a global subscriber installed once. A
/// thread-local one (`set_default`) misses events whose call sites another thread registered
/// first without a subscriber, which made this test flaky.
fn capture_logs() -> Logs {
    static LOGS: std::sync::OnceLock<Logs> = std::sync::OnceLock::new();
    LOGS.get_or_init(|| {
        let logs = Logs::default();
        let _ = tracing::subscriber::set_global_default(
            tracing_subscriber::fmt()
                .with_writer(logs.clone())
                .with_ansi(false)
                .with_max_level(tracing::Level::DEBUG)
                .finish(),
        );
        logs
    })
    .clone()
}

impl Write for Logs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Logs {
    type Writer = Logs;
    fn make_writer(&'a self) -> Logs {
        self.clone()
    }
}
