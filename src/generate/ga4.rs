//! The GA4 BigQuery export: one NDJSON file per day, written byte by byte from the planned
//! sessions with the day's own seeded stream.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::{NaiveDate, NaiveTime};
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus as XRng;

use super::profiles::{pick_trait, Page, PROFILES};
use super::sessions::{Session, Visitor};
use super::util::{io_err, pick, FLUSH};
use super::DAYS;
use crate::error::{Error, Result};

const SITE: &str = "https://www.stackpilot.io";

pub(super) fn put_u64(b: &mut Vec<u8>, mut v: u64) {
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
pub(super) fn put_int(b: &mut Vec<u8>, v: u64, quoted: bool) {
    if quoted {
        b.push(b'"');
        put_u64(b, v);
        b.push(b'"');
    } else {
        put_u64(b, v);
    }
}
pub(super) fn put_str(b: &mut Vec<u8>, s: &str) {
    if s.bytes().any(|c| c == b'"' || c == b'\\' || c < 0x20) {
        let _ = serde_json::to_writer(&mut *b, s);
    } else {
        b.push(b'"');
        b.extend_from_slice(s.as_bytes());
        b.push(b'"');
    }
}
pub(super) fn param_str(b: &mut Vec<u8>, key: &str, val: &str, verbose: bool) {
    b.extend_from_slice(b"{\"key\":\"");
    b.extend_from_slice(key.as_bytes());
    b.extend_from_slice(b"\",\"value\":{\"string_value\":");
    put_str(b, val);
    if verbose {
        b.extend_from_slice(b",\"int_value\":null,\"float_value\":null,\"double_value\":null");
    }
    b.extend_from_slice(b"}}");
}
pub(super) fn param_int(b: &mut Vec<u8>, key: &str, v: u64, quoted: bool, verbose: bool) {
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

/// A GA4 day to write: index, date, file, sessions (of either generator's session type).
pub(super) type DayJob<S> = (usize, NaiveDate, PathBuf, Vec<S>);

/// The GA4 files of a run: one path per day, in day order, and the events and bytes written.
pub(super) struct Ga4Files {
    pub(super) paths: Vec<PathBuf>,
    pub(super) events: u64,
    pub(super) bytes: u64,
}

/// Writes the [`DAYS`] GA4 day files ending at `date` under `out_dir/ga4`, `days[d]` holding
/// day `d`'s sessions: even days on one thread, odd days on the other, each day by `write`
/// (which returns its events and bytes, and draws from the day's own seeded stream).
pub(super) fn write_days<S, W>(
    out_dir: &Path,
    date: NaiveDate,
    days: Vec<Vec<S>>,
    write: W,
) -> Result<Ga4Files>
where
    S: Send,
    W: Fn(DayJob<S>) -> Result<(u64, u64)> + Sync,
{
    let bad = |reason: String| Error::BadInput {
        file: out_dir.display().to_string(),
        reason,
    };
    let mut jobs: [Vec<DayJob<S>>; 2] = [Vec::new(), Vec::new()];
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
    let write = &write;
    let results = std::thread::scope(|scope| {
        let handles: Vec<_> = jobs
            .into_iter()
            .map(|job| {
                scope.spawn(move || -> Result<(u64, u64)> {
                    let mut sum = (0, 0);
                    for day in job {
                        let (e, b) = write(day)?;
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

/// Writes one GA4 day file; returns (events, bytes).
pub(super) fn write_day(
    path: &Path,
    date: NaiveDate,
    day: usize,
    sessions: &mut [Session],
    visitors: &[Visitor],
    seed: u64,
    keep: f64,
) -> Result<(u64, u64)> {
    let mut rng = XRng::seed_from_u64(seed ^ 0x9E37_79B9_7F4A_7C15u64.wrapping_mul(day as u64 + 7));
    let quoted = rng.gen_bool(0.5);
    let day_epoch = date.and_time(NaiveTime::MIN).and_utc().timestamp().max(0) as u64;
    let day_end_us = (day_epoch + 86_400) * 1_000_000 - 1;
    let head = format!(
        "{{\"event_date\":\"{}\",\"event_timestamp\":",
        date.format("%Y%m%d")
    );
    sessions.sort_by_key(|s| (s.start, s.visitor));
    let mut file = File::create(path).map_err(io_err(path))?;
    let (mut b, mut tail, mut loc) = (
        Vec::with_capacity(FLUSH + 8192),
        Vec::with_capacity(512),
        String::with_capacity(256),
    );
    let (mut events, mut bytes) = (0u64, 0u64);
    for s in sessions.iter() {
        let v = &visitors[s.visitor as usize];
        let prof = &PROFILES[v.persona as usize];
        tail.clear();
        tail.extend_from_slice(b"],\"user_id\":");
        if v.user_id > 0 && rng.gen_bool(0.9) {
            put_int(&mut tail, u64::from(v.user_id), true)
        } else {
            tail.extend_from_slice(b"null")
        }
        tail.extend_from_slice(b",\"user_pseudo_id\":\"");
        put_u64(&mut tail, u64::from(v.pseudo.0));
        tail.push(b'.');
        put_u64(&mut tail, u64::from(v.pseudo.1));
        let (d, c, t) = (v.device, v.city, v.traffic);
        for (i, part) in [
            "\",\"device\":{\"category\":",
            d.category,
            ",\"operating_system\":",
            d.os,
            ",\"web_info\":{\"browser\":",
            d.browser,
            "}},\"geo\":{\"country\":",
            c.country,
            ",\"region\":",
            c.region,
            ",\"city\":",
            c.city,
            "},\"traffic_source\":{\"source\":",
            t.source,
            ",\"medium\":",
            t.medium,
            ",\"name\":",
            t.name,
            "}",
        ]
        .iter()
        .enumerate()
        {
            if i % 2 == 0 {
                tail.extend_from_slice(part.as_bytes())
            } else {
                put_str(&mut tail, part)
            }
        }
        let sid = day_epoch + u64::from(s.start);
        let mut ts = sid * 1_000_000 + rng.gen_range(0..1_000_000);
        let utm = !matches!(t.medium, "organic" | "referral") && rng.gen_bool(0.8);
        let mut page = &("/", "");
        for k in 0..u32::from(s.events) {
            let purchase = s.purchase_cents > 0 && k + 1 == u32::from(s.events);
            let name = match k {
                0 => "session_start",
                _ if purchase => "purchase",
                1 => "page_view",
                _ => match rng.gen::<f64>() {
                    r if r < 0.6 => "page_view",
                    r if r < 0.88 => "scroll",
                    _ => prof.extra_event,
                },
            };
            if k == 0 || (k > 1 && name == "page_view") {
                let section: &&[Page] =
                    pick_trait(&mut rng, v.persona as usize, keep, |x| x.sections);
                page = pick(&mut rng, section);
                loc.clear();
                loc.push_str(SITE);
                loc.push_str(page.0);
                if k == 0 && utm {
                    loc.push_str(&format!(
                        "?utm_source={}&utm_medium={}&utm_campaign={}",
                        t.source, t.medium, t.name
                    ));
                }
            }
            let verbose = rng.gen_bool(0.3);
            b.extend_from_slice(head.as_bytes());
            put_int(&mut b, ts, quoted);
            b.extend_from_slice(b",\"event_name\":\"");
            b.extend_from_slice(name.as_bytes());
            b.extend_from_slice(b"\",\"event_params\":[");
            param_str(&mut b, "page_location", &loc, verbose);
            b.push(b',');
            param_str(&mut b, "page_title", page.1, verbose);
            param_int(&mut b, "ga_session_id", sid, quoted, verbose);
            param_int(
                &mut b,
                "ga_session_number",
                u64::from(s.number),
                quoted,
                verbose,
            );
            if k > 1 || purchase {
                param_int(
                    &mut b,
                    "engagement_time_msec",
                    rng.gen_range(300..60_000),
                    quoted,
                    verbose,
                );
            }
            b.extend_from_slice(&tail);
            if purchase {
                b.extend_from_slice(b",\"ecommerce\":{\"purchase_revenue\":");
                put_u64(&mut b, u64::from(s.purchase_cents / 100));
                b.extend_from_slice(
                    format!(
                        ".{:02},\"transaction_id\":\"T{}-{}\"}}",
                        s.purchase_cents % 100,
                        sid,
                        s.visitor
                    )
                    .as_bytes(),
                );
            }
            b.extend_from_slice(b",\"stream_id\":\"4178203391\",\"platform\":\"WEB\"}\n");
            events += 1;
            ts = (ts + rng.gen_range(1_000_000..90_000_000)).min(day_end_us);
            if b.len() >= FLUSH {
                file.write_all(&b).map_err(io_err(path))?;
                bytes += b.len() as u64;
                b.clear();
            }
        }
    }
    file.write_all(&b).map_err(io_err(path))?;
    Ok((events, bytes + b.len() as u64))
}
