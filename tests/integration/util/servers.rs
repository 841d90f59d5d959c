//! Real servers on loopback for the store tests: a `moto` S3 server (a Python process started
//! from the venv `.ci/run` creates) and a tiny scripted HTTP/1.1 responder.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
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

/// A `moto` S3 server on 127.0.0.1, killed on drop.
pub struct Moto {
    child: Child,
    /// `http://127.0.0.1:<port>`.
    pub endpoint: String,
}

impl Moto {
    /// Create `bucket` on this server and return an object_store client for it.
    pub async fn bucket(&self, bucket: &str) -> object_store::aws::AmazonS3 {
        let created = reqwest::Client::new()
            .put(format!("{}/{bucket}", self.endpoint))
            .send()
            .await
            .unwrap();
        assert!(
            created.status().is_success(),
            "create bucket: {}",
            created.status()
        );
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
        let port = free_port();
        let child = Command::new(&bin)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", bin.display()));
        let moto = Moto {
            child,
            endpoint: format!("http://127.0.0.1:{port}"),
        };
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let deadline = Instant::now() + Duration::from_secs(30);
        while TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err() {
            assert!(
                Instant::now() < deadline,
                "moto_server did not start listening on {addr} within 30 s"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        moto
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
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
