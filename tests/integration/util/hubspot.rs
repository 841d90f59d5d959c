//! A local HTTP server that behaves like HubSpot's contacts API, for the push tests: on
//! 127.0.0.1, one thread, one connection per request. It also applies import files as
//! HubSpot's contact import does ([`FakeHubSpot::import`]), for the file tests.
//!
//! - `GET /crm/v3/properties/contacts/{name}`: the property with its options, each with its
//!   label and internal value (404 for another name).
//! - `POST /crm/v3/objects/contacts/batch/update`: at most 100 inputs (400 above, as HubSpot);
//!   a batch naming a contact the portal does not have (deleted or merged) or a value that is
//!   not an option is refused whole with 400, nothing applied, as HubSpot does; scripted faults
//!   (429 with `Retry-After`, 500) answer given calls instead.
//! - Every call needs `Authorization: Bearer <token>` (401 otherwise).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use personas::pipeline::{RunOptions, RunReport};
use personas::sinks::crm::PushMode;

use super::{run_date, Fixture};

/// HubSpot's limit of inputs per batch call.
pub const BATCH_LIMIT: usize = 100;

/// A scripted answer to one batch update call.
#[derive(Debug, Clone, Copy)]
pub enum Fault {
    /// `429 Too Many Requests` with `Retry-After: <secs>`.
    RateLimited {
        /// Seconds in `Retry-After`.
        retry_after_secs: u64,
    },
    /// `500 Internal Server Error`.
    ServerError,
}

/// What the portal holds when the server starts.
#[derive(Debug, Clone)]
pub struct Portal {
    /// The access token calls must carry.
    pub token: String,
    /// The contact property the tests write.
    pub property: String,
    /// Its options: (internal value, label).
    pub options: Vec<(String, String)>,
    /// Record ids of the contacts that exist.
    pub contacts: Vec<String>,
    /// Faults by batch update call number (1-based, every attempt counts).
    pub faults: Vec<(usize, Fault)>,
}

/// One call the server answered.
#[derive(Debug, Clone)]
pub struct Call {
    /// `GET` or `POST`.
    pub method: String,
    /// Request path.
    pub path: String,
    /// Record ids in a batch update, in order.
    pub ids: Vec<String>,
    /// Status answered.
    pub status: u16,
    /// When it arrived.
    pub at: Instant,
}

struct State {
    portal: Portal,
    contacts: HashSet<String>,
    values: BTreeMap<String, String>,
    faults: HashMap<usize, Fault>,
    batch_calls: usize,
    calls: Vec<Call>,
}

/// The fake HubSpot; stops when dropped.
pub struct FakeHubSpot {
    addr: SocketAddr,
    state: Arc<Mutex<State>>,
    stop: Arc<AtomicBool>,
}

impl FakeHubSpot {
    /// Start the server on a free port of 127.0.0.1.
    pub fn start(portal: Portal) -> FakeHubSpot {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let state = Arc::new(Mutex::new(State {
            contacts: portal.contacts.iter().cloned().collect(),
            faults: portal.faults.iter().copied().collect(),
            portal,
            values: BTreeMap::new(),
            batch_calls: 0,
            calls: Vec::new(),
        }));
        let stop = Arc::new(AtomicBool::new(false));
        let (state2, stop2) = (state.clone(), stop.clone());
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                if stop2.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(mut conn) = conn else { continue };
                if let Some(request) = read_request(&mut conn) {
                    let reply = handle(&mut state2.lock().unwrap(), request);
                    let _ = answer(&mut conn, reply);
                }
            }
        });
        FakeHubSpot { addr, state, stop }
    }

    /// The API base URL to configure (`http://127.0.0.1:<port>`).
    pub fn base(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Run `fx`'s pipeline for the test date with a push that writes to this portal, the
    /// token read from the variable `token_env` (set here to the portal's).
    pub fn run_pushing(&self, fx: &Fixture, token_env: &str) -> RunReport {
        let token = self.state.lock().unwrap().portal.token.clone();
        std::env::set_var(token_env, token);
        fx.edit_config(|c| {
            c + &format!(
                "\n[crm.hubspot]\napi_base = \"{}\"\ntoken_env = \"{token_env}\"\n",
                self.base()
            )
        });
        fx.run_with(&RunOptions {
            push: Some(PushMode::Write),
            ..RunOptions::new(run_date())
        })
        .unwrap()
    }

    /// Every call answered so far.
    pub fn calls(&self) -> Vec<Call> {
        self.state.lock().unwrap().calls.clone()
    }

    /// The batch update calls answered so far.
    pub fn batch_calls(&self) -> Vec<Call> {
        self.calls()
            .into_iter()
            .filter(|c| c.method == "POST")
            .collect()
    }

    /// The property's value on each contact that was written.
    pub fn values(&self) -> BTreeMap<String, String> {
        self.state.lock().unwrap().values.clone()
    }

    /// Make a contact exist (e.g. restored from the recycle bin).
    pub fn add_contact(&self, id: &str) {
        self.state.lock().unwrap().contacts.insert(id.to_string());
    }

    /// Import a contacts file as HubSpot's import does, `column` mapped onto the property:
    /// each row updates the contact its `Record ID` names (a row naming no contact is an error
    /// row); an empty cell leaves the property unchanged; a value that is neither an option's
    /// internal value nor its label is an error row (`INVALID_OPTION`), the row not applied.
    pub fn import(&self, path: &Path, column: &str) -> Imported {
        let mut r = csv::Reader::from_path(path).unwrap();
        let header = r.headers().unwrap().clone();
        let at = |name: &str| {
            header
                .iter()
                .position(|h| h == name)
                .unwrap_or_else(|| panic!("{}: no column {name}", path.display()))
        };
        let (id_at, value_at) = (at("Record ID"), at(column));
        let mut state = self.state.lock().unwrap();
        let mut done = Imported::default();
        for (n, rec) in r.records().enumerate() {
            let rec = rec.unwrap();
            let line = n + 2;
            let (id, value) = (&rec[id_at], &rec[value_at]);
            if !state.contacts.contains(id) {
                done.errors
                    .push((line, format!("Record ID {id}: OBJECT_NOT_FOUND")));
                continue;
            }
            if value.is_empty() {
                done.left_unchanged += 1;
                continue;
            }
            let option = state
                .portal
                .options
                .iter()
                .find(|(v, l)| v == value || l == value)
                .map(|(v, _)| v.clone());
            match option {
                Some(v) => {
                    state.values.insert(id.to_string(), v);
                    done.updated += 1;
                }
                None => done.errors.push((
                    line,
                    format!("INVALID_OPTION: {value} was not one of the allowed options"),
                )),
            }
        }
        done
    }
}

/// What an import did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Imported {
    /// Rows that set the property.
    pub updated: usize,
    /// Rows whose empty cell left the property as it was.
    pub left_unchanged: usize,
    /// Error rows: (line, message).
    pub errors: Vec<(usize, String)>,
}

impl Drop for FakeHubSpot {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(self.addr);
    }
}

struct Request {
    method: String,
    path: String,
    headers: HashMap<String, String>,
    body: Vec<u8>,
}

struct Reply {
    status: &'static str,
    headers: Vec<(&'static str, String)>,
    body: String,
}

fn error(status: &'static str, category: &str, message: &str) -> Reply {
    Reply {
        status,
        headers: vec![],
        body: serde_json::json!({
            "status": "error",
            "message": message,
            "correlationId": "6c1e2f7a-0000-4000-8000-000000000000",
            "category": category,
        })
        .to_string(),
    }
}

fn handle(state: &mut State, req: Request) -> Reply {
    let mut ids = Vec::new();
    let reply = route(state, &req, &mut ids);
    state.calls.push(Call {
        method: req.method,
        path: req.path,
        ids,
        status: reply.status[..3].parse().unwrap(),
        at: Instant::now(),
    });
    reply
}

fn route(state: &mut State, req: &Request, ids: &mut Vec<String>) -> Reply {
    let expected = format!("Bearer {}", state.portal.token);
    if req.headers.get("authorization") != Some(&expected) {
        return error(
            "401 Unauthorized",
            "INVALID_AUTHENTICATION",
            "Authentication credentials not found. This API supports OAuth 2.0 authentication.",
        );
    }
    if req.method == "GET" {
        let Some(name) = req.path.strip_prefix("/crm/v3/properties/contacts/") else {
            return error("404 Not Found", "OBJECT_NOT_FOUND", "Not found");
        };
        if name != state.portal.property {
            return error(
                "404 Not Found",
                "OBJECT_NOT_FOUND",
                &format!("Unable to find property {name} on object type CONTACT"),
            );
        }
        let options: Vec<serde_json::Value> = state
            .portal
            .options
            .iter()
            .enumerate()
            .map(|(i, (v, l))| serde_json::json!({"label": l, "value": v, "displayOrder": i, "hidden": false}))
            .collect();
        return Reply {
            status: "200 OK",
            headers: vec![],
            body: serde_json::json!({
                "name": name, "label": "Persona", "type": "enumeration",
                "fieldType": "select", "groupName": "contactinformation", "options": options,
            })
            .to_string(),
        };
    }
    if req.method != "POST" || req.path != "/crm/v3/objects/contacts/batch/update" {
        return error("404 Not Found", "OBJECT_NOT_FOUND", "Not found");
    }
    let Ok(body) = serde_json::from_slice::<serde_json::Value>(&req.body) else {
        return error("400 Bad Request", "VALIDATION_ERROR", "Invalid input JSON");
    };
    let inputs = body["inputs"].as_array().cloned().unwrap_or_default();
    for input in &inputs {
        ids.push(input["id"].as_str().unwrap_or_default().to_string());
    }
    state.batch_calls += 1;
    match state.faults.get(&state.batch_calls) {
        Some(Fault::RateLimited { retry_after_secs }) => {
            let mut reply = error(
                "429 Too Many Requests",
                "RATE_LIMITS",
                "You have reached your ten_secondly_rolling limit.",
            );
            reply
                .headers
                .push(("Retry-After", retry_after_secs.to_string()));
            return reply;
        }
        Some(Fault::ServerError) => {
            return error(
                "500 Internal Server Error",
                "INTERNAL_ERROR",
                "internal error",
            )
        }
        None => {}
    }
    if inputs.len() > BATCH_LIMIT {
        return error(
            "400 Bad Request",
            "VALIDATION_ERROR",
            &format!(
                "Batch input limit exceeded: {} > {BATCH_LIMIT}",
                inputs.len()
            ),
        );
    }
    let mut updates = Vec::new();
    for (id, input) in ids.iter().zip(&inputs) {
        if !state.contacts.contains(id) {
            return error(
                "400 Bad Request",
                "VALIDATION_ERROR",
                "Could not get some CONTACT objects, they may be deleted or not exist. Check that ids are valid.",
            );
        }
        let Some(properties) = input["properties"].as_object() else {
            return error("400 Bad Request", "VALIDATION_ERROR", "Missing properties");
        };
        for (name, value) in properties {
            let value = value.as_str().unwrap_or_default();
            if *name != state.portal.property {
                return error(
                    "400 Bad Request",
                    "VALIDATION_ERROR",
                    &format!("Property values were not valid: [{{\"isValid\":false,\"message\":\"Property \\\"{name}\\\" does not exist\",\"error\":\"PROPERTY_DOESNT_EXIST\",\"name\":\"{name}\"}}]"),
                );
            }
            if !value.is_empty() && !state.portal.options.iter().any(|o| o.0 == value) {
                return error(
                    "400 Bad Request",
                    "VALIDATION_ERROR",
                    &format!("Property values were not valid: [{{\"isValid\":false,\"message\":\"{value} was not one of the allowed options\",\"error\":\"INVALID_OPTION\",\"name\":\"{name}\"}}]"),
                );
            }
            updates.push((id.clone(), value.to_string()));
        }
    }
    for (id, value) in updates {
        state.values.insert(id, value);
    }
    let results: Vec<serde_json::Value> = ids
        .iter()
        .map(|id| serde_json::json!({"id": id, "properties": {}, "archived": false}))
        .collect();
    Reply {
        status: "200 OK",
        headers: vec![],
        body: serde_json::json!({"status": "COMPLETE", "results": results}).to_string(),
    }
}

fn read_request(conn: &mut TcpStream) -> Option<Request> {
    conn.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        let n = conn.read(&mut chunk).ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let mut first = lines.next()?.split(' ');
    let (method, path) = (first.next()?.to_string(), first.next()?.to_string());
    let headers: HashMap<String, String> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let length: usize = headers
        .get("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let mut body = buf[head_end..].to_vec();
    while body.len() < length {
        let n = conn.read(&mut chunk).ok()?;
        if n == 0 {
            return None;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    Some(Request {
        method,
        path,
        headers,
        body,
    })
}

fn answer(conn: &mut TcpStream, reply: Reply) -> std::io::Result<()> {
    let mut out = format!(
        "HTTP/1.1 {}\r\nContent-Type: application/json;charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n",
        reply.status,
        reply.body.len()
    );
    for (k, v) in reply.headers {
        out.push_str(&format!("{k}: {v}\r\n"));
    }
    out.push_str("\r\n");
    conn.write_all(out.as_bytes())?;
    conn.write_all(reply.body.as_bytes())?;
    conn.flush()?;
    conn.shutdown(std::net::Shutdown::Both)
}
