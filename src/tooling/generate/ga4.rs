//! The GA4 BigQuery export of both generators: one NDJSON file per day, written byte by byte
//! from the planned sessions with the day's own seeded stream. A generator says through its
//! [`Site`] who each session's visitor is and makes the draws in which the two differ (pages,
//! events, UTM tags).

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::{NaiveDate, NaiveTime};
use rand::Rng;
use rand_xoshiro::Xoshiro256PlusPlus as XRng;

use super::sessions::Session;
use super::tables::City;
use super::util::{io_err, FLUSH};
use super::{DAYS, S};
use crate::error::{Error, Result};

/// The site every page is on.
const SITE: &str = "https://www.stackpilot.io";

/// A page of the site: path and title.
pub(super) type Page = (S, S);

/// `v` in decimal.
fn put_u64(b: &mut Vec<u8>, mut v: u64) {
    let mut tmp = [0u8; 20];
    let mut i = tmp.len();
    while {
        i -= 1;
        tmp[i] = b'0' + (v % 10) as u8;
        v /= 10;
        v > 0
    } {}
    b.extend_from_slice(&tmp[i..]);
}
/// `v` in decimal, in quotes when `quoted`.
fn put_int(b: &mut Vec<u8>, v: u64, quoted: bool) {
    if quoted {
        b.push(b'"');
        put_u64(b, v);
        b.push(b'"');
    } else {
        put_u64(b, v);
    }
}
/// `s` as a JSON string.
fn put_str(b: &mut Vec<u8>, s: &str) {
    if s.bytes().any(|c| c == b'"' || c == b'\\' || c < 0x20) {
        let _ = serde_json::to_writer(&mut *b, s);
    } else {
        b.push(b'"');
        b.extend_from_slice(s.as_bytes());
        b.push(b'"');
    }
}
/// A string event parameter (the first of the list); `verbose` writes the other value fields
/// as `null`.
fn param_str(b: &mut Vec<u8>, key: &str, val: &str, verbose: bool) {
    b.extend_from_slice(b"{\"key\":\"");
    b.extend_from_slice(key.as_bytes());
    b.extend_from_slice(b"\",\"value\":{\"string_value\":");
    put_str(b, val);
    if verbose {
        b.extend_from_slice(b",\"int_value\":null,\"float_value\":null,\"double_value\":null");
    }
    b.extend_from_slice(b"}}");
}
/// An integer event parameter after the first; `verbose` writes the other value fields as
/// `null`.
fn param_int(b: &mut Vec<u8>, key: &str, v: u64, quoted: bool, verbose: bool) {
    b.extend_from_slice(b",{\"key\":\"");
    b.extend_from_slice(key.as_bytes());
    b.extend_from_slice(if verbose {
        b"\",\"value\":{\"string_value\":null,\"int_value\":"
    } else {
        b"\",\"value\":{\"int_value\":"
    });
    put_int(b, v, quoted);
    if verbose {
        b.extend_from_slice(b",\"float_value\":null,\"double_value\":null");
    }
    b.extend_from_slice(b"}}");
}

/// A GA4 day to write: index, date, file, sessions.
type DayJob<T> = (usize, NaiveDate, PathBuf, Vec<T>);

/// The GA4 files of a run: one path per day, in day order, and the events and bytes written.
pub(super) struct Ga4Files {
    pub(super) paths: Vec<PathBuf>,
    pub(super) events: u64,
    pub(super) bytes: u64,
}

/// A session's visitor as the export shows it.
pub(super) struct Who {
    /// `user_id`, when the session's events carry one.
    pub(super) user_id: Option<u32>,
    /// `user_pseudo_id`: a random number and the first visit.
    pub(super) pseudo: (u32, u32),
    /// Category, operating system, browser.
    pub(super) device: [S; 3],
    pub(super) city: &'static City,
    /// Source, medium, campaign name.
    pub(super) traffic: [S; 3],
}

/// One generator's side of the GA4 export: its sessions' visitors, and the draws in which the
/// generators differ, each from the day's stream.
pub(super) trait Site: Sync {
    /// What the generator's sessions carry (see [`Session`]).
    type Detail: Send;
    /// The visitor of session `s` (any draw comes first in the session).
    fn who(&self, rng: &mut XRng, s: &Session<Self::Detail>) -> Who;
    /// Whether sessions from `medium` land on a URL with UTM parameters (then with
    /// probability 0.8).
    fn tagged(&self, medium: &str) -> bool;
    /// The purchase in the session's last event, in cents (0 = none).
    fn purchase_cents(&self, s: &Session<Self::Detail>) -> u32;
    /// An event that is neither a page view nor a scroll.
    fn extra_event(&self, rng: &mut XRng, s: &Session<Self::Detail>) -> S;
    /// The page of a page view.
    fn page(&self, rng: &mut XRng, s: &Session<Self::Detail>) -> &'static Page;
}

/// Writes the [`DAYS`] GA4 day files ending at `date` under `out_dir/ga4`, `days[d]` holding
/// day `d`'s sessions of `site`: even days on one thread, odd days on the other, each day from
/// its own stream `day_rng(d)`.
pub(super) fn write_days<W: Site>(
    out_dir: &Path,
    date: NaiveDate,
    days: Vec<Vec<Session<W::Detail>>>,
    site: &W,
    day_rng: impl Fn(usize) -> XRng + Sync,
) -> Result<Ga4Files> {
    let bad = |reason: String| Error::BadInput {
        file: out_dir.display().to_string(),
        reason,
    };
    let mut jobs: [Vec<DayJob<Session<W::Detail>>>; 2] = [Vec::new(), Vec::new()];
    let mut paths = Vec::with_capacity(DAYS);
    for (d, sessions) in days.into_iter().enumerate() {
        let day = date
            .checked_sub_days(chrono::Days::new((DAYS - 1 - d) as u64))
            .ok_or_else(|| bad(format!("export date {date} too early")))?;
        let path = out_dir
            .join("ga4")
            .join(format!("events_{}.json", day.format("%Y%m%d")));
        paths.push(path.clone());
        jobs[d % 2].push((d, day, path, sessions));
    }
    let day_rng = &day_rng;
    let results = std::thread::scope(|scope| {
        let handles: Vec<_> = jobs
            .into_iter()
            .map(|job| {
                scope.spawn(move || -> Result<(u64, u64)> {
                    let mut sum = (0, 0);
                    for (d, day, path, mut sessions) in job {
                        let (e, b) = write_day(site, &path, day, &mut sessions, day_rng(d))?;
                        sum = (sum.0 + e, sum.1 + b);
                    }
                    Ok(sum)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(bad("GA4 writer thread panicked".into())))
            })
            .collect::<Vec<_>>()
    });
    let (mut events, mut bytes) = (0, 0);
    for r in results {
        let (e, b) = r?;
        events += e;
        bytes += b;
    }
    Ok(Ga4Files {
        paths,
        events,
        bytes,
    })
}

/// Writes one GA4 day file of `site`'s `sessions` on `date`, drawing from `rng`; returns
/// (events, bytes).
fn write_day<W: Site>(
    site: &W,
    path: &Path,
    date: NaiveDate,
    sessions: &mut [Session<W::Detail>],
    mut rng: XRng,
) -> Result<(u64, u64)> {
    let quoted = rng.gen_bool(0.5);
    let day_epoch = date.and_time(NaiveTime::MIN).and_utc().timestamp().max(0) as u64;
    let mut file = DayFile {
        path,
        file: File::create(path).map_err(io_err(path))?,
        head: format!(
            "{{\"event_date\":\"{}\",\"event_timestamp\":",
            date.format("%Y%m%d")
        ),
        day_epoch,
        day_end_us: (day_epoch + 86_400) * 1_000_000 - 1,
        quoted,
        b: Vec::with_capacity(FLUSH + 8192),
        tail: Vec::with_capacity(512),
        loc: String::with_capacity(256),
        events: 0,
        bytes: 0,
    };
    sessions.sort_by_key(|s| (s.start, s.visitor));
    for s in sessions.iter() {
        file.session(site, &mut rng, s)?;
    }
    file.flush()?;
    Ok((file.events, file.bytes))
}

/// A GA4 day file being written.
struct DayFile<'p> {
    path: &'p Path,
    file: File,
    /// Every event's start: `{"event_date":"YYYYMMDD","event_timestamp":`.
    head: String,
    /// Midnight of the day (epoch seconds).
    day_epoch: u64,
    /// The day's last microsecond.
    day_end_us: u64,
    /// Integers written as JSON strings.
    quoted: bool,
    /// Bytes not yet written.
    b: Vec<u8>,
    /// The current session's part after the event parameters (user, device, geo, traffic).
    tail: Vec<u8>,
    /// `page_location` of the current page.
    loc: String,
    events: u64,
    bytes: u64,
}

/// One event of a session.
struct Event<'a> {
    name: &'a str,
    /// Title of the current page.
    title: &'a str,
    /// `ga_session_id`.
    sid: u64,
    /// `ga_session_number`.
    number: u16,
    /// Timestamp (microseconds).
    ts: u64,
    /// Whether it has an `engagement_time_msec`.
    engaged: bool,
    /// A purchase: (cents, visitor), for the revenue and the transaction id.
    purchase: Option<(u32, u32)>,
}

impl DayFile<'_> {
    /// Writes the events of session `s`.
    fn session<W: Site>(&mut self, site: &W, rng: &mut XRng, s: &Session<W::Detail>) -> Result<()> {
        let who = site.who(rng, s);
        self.visitor_tail(&who);
        let [source, medium, campaign] = who.traffic;
        let sid = self.day_epoch + u64::from(s.start);
        let mut ts = sid * 1_000_000 + rng.gen_range(0..1_000_000);
        let utm = site.tagged(medium) && rng.gen_bool(0.8);
        let cents = site.purchase_cents(s);
        let mut page = &("/", "");
        for k in 0..u32::from(s.events) {
            let purchase = cents > 0 && k + 1 == u32::from(s.events);
            let name = match k {
                0 => "session_start",
                _ if purchase => "purchase",
                1 => "page_view",
                _ => match rng.gen::<f64>() {
                    r if r < 0.6 => "page_view",
                    r if r < 0.88 => "scroll",
                    _ => site.extra_event(rng, s),
                },
            };
            if k == 0 || (k > 1 && name == "page_view") {
                page = site.page(rng, s);
                self.loc.clear();
                self.loc.push_str(SITE);
                self.loc.push_str(page.0);
                if k == 0 && utm {
                    self.loc.push_str(&format!(
                        "?utm_source={source}&utm_medium={medium}&utm_campaign={campaign}"
                    ));
                }
            }
            let event = Event {
                name,
                title: page.1,
                sid,
                number: s.number,
                ts,
                engaged: k > 1 || purchase,
                purchase: purchase.then_some((cents, s.visitor)),
            };
            self.event(rng, &event);
            ts = (ts + rng.gen_range(1_000_000..90_000_000)).min(self.day_end_us);
            if self.b.len() >= FLUSH {
                self.flush()?;
            }
        }
        Ok(())
    }

    /// The session's part after the event parameters: user ids, device, geo, traffic source.
    fn visitor_tail(&mut self, who: &Who) {
        let tail = &mut self.tail;
        tail.clear();
        tail.extend_from_slice(b"],\"user_id\":");
        match who.user_id {
            Some(id) => put_int(tail, u64::from(id), true),
            None => tail.extend_from_slice(b"null"),
        }
        tail.extend_from_slice(b",\"user_pseudo_id\":\"");
        put_u64(tail, u64::from(who.pseudo.0));
        tail.push(b'.');
        put_u64(tail, u64::from(who.pseudo.1));
        let (d, c, t) = (who.device, who.city, who.traffic);
        for (i, part) in [
            "\",\"device\":{\"category\":",
            d[0],
            ",\"operating_system\":",
            d[1],
            ",\"web_info\":{\"browser\":",
            d[2],
            "}},\"geo\":{\"country\":",
            c.country,
            ",\"region\":",
            c.region,
            ",\"city\":",
            c.city,
            "},\"traffic_source\":{\"source\":",
            t[0],
            ",\"medium\":",
            t[1],
            ",\"name\":",
            t[2],
            "}",
        ]
        .iter()
        .enumerate()
        {
            if i % 2 == 0 {
                tail.extend_from_slice(part.as_bytes())
            } else {
                put_str(tail, part)
            }
        }
    }

    /// Writes one event's line.
    fn event(&mut self, rng: &mut XRng, e: &Event) {
        let (b, quoted) = (&mut self.b, self.quoted);
        let verbose = rng.gen_bool(0.3);
        b.extend_from_slice(self.head.as_bytes());
        put_int(b, e.ts, quoted);
        b.extend_from_slice(b",\"event_name\":\"");
        b.extend_from_slice(e.name.as_bytes());
        b.extend_from_slice(b"\",\"event_params\":[");
        param_str(b, "page_location", &self.loc, verbose);
        b.push(b',');
        param_str(b, "page_title", e.title, verbose);
        param_int(b, "ga_session_id", e.sid, quoted, verbose);
        let number = u64::from(e.number);
        param_int(b, "ga_session_number", number, quoted, verbose);
        if e.engaged {
            let ms = rng.gen_range(300..60_000);
            param_int(b, "engagement_time_msec", ms, quoted, verbose);
        }
        b.extend_from_slice(&self.tail);
        if let Some((cents, visitor)) = e.purchase {
            b.extend_from_slice(b",\"ecommerce\":{\"purchase_revenue\":");
            put_u64(b, u64::from(cents / 100));
            b.extend_from_slice(
                format!(
                    ".{:02},\"transaction_id\":\"T{}-{}\"}}",
                    cents % 100,
                    e.sid,
                    visitor
                )
                .as_bytes(),
            );
        }
        b.extend_from_slice(b",\"stream_id\":\"4178203391\",\"platform\":\"WEB\"}\n");
        self.events += 1;
    }

    /// Writes the buffered bytes to the file.
    fn flush(&mut self) -> Result<()> {
        self.file.write_all(&self.b).map_err(io_err(self.path))?;
        self.bytes += self.b.len() as u64;
        self.b.clear();
        Ok(())
    }
}
