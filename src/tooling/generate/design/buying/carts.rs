//! The `buying` design's GA4 e-commerce events, appended to the day files of the export (one
//! NDJSON line per event, in the BigQuery export's shape, integers as strings):
//! - every order of a buyer placed in the 30 GA4 days is a logged-in session of
//!   `session_start`, `page_view`, `add_to_cart`, `begin_checkout` and `purchase` at the order's
//!   time, its `ecommerce.transaction_id` the order's `Name`, its revenue the order's total;
//! - abandoned carts: sessions of `session_start`, `page_view`, `add_to_cart` and, in 60 % of
//!   them, `begin_checkout`, started at least 8 days before the export date (so the 7-day
//!   abandonment window has closed by the run date) and with no purchase of the contact within
//!   7 days after. Every abandoner has 1 to 3; a few other buyers have one.

use std::io::Write;

use rand::Rng;
use rand_xoshiro::Xoshiro256PlusPlus as XRng;

use super::super::super::exports::Run;
use super::super::super::sessions::pseudo_id;
use super::super::super::util::{fmt_time, io_err, pick};
use super::super::super::DAYS;
use super::super::tables::{DEVICES, DEVICE_CATEGORIES, MEDIUMS, TRAFFIC};
use super::orders::{money, Shop, PRODUCTS};
use super::{Buyer, PLANTS};
use crate::error::Result;

/// The site the events are on.
const SITE: &str = "https://www.stackpilot.io";
/// Days an abandoned cart waits for a purchase.
const WINDOW_DAYS: i64 = 7;
/// Share of abandoned carts that reach the checkout.
const CHECKOUT: f64 = 0.6;

/// One session's visitor and page, as every event of it writes them.
struct Visit<'a> {
    user_id: u64,
    pseudo: (u32, u32),
    sid: i64,
    number: u32,
    buyer: &'a Buyer,
    device: (&'static str, &'static str, &'static str),
    traffic: (&'static str, &'static str, &'static str),
    /// Path and title of the product page.
    page: (String, String),
}

/// One event: name, time (microseconds), value in cents, transaction id of a purchase.
type Event<'a> = (&'a str, i64, Option<i64>, Option<&'a str>);

/// The events of each GA4 day, by time.
struct Days {
    /// Start of the first GA4 day (epoch seconds).
    start: i64,
    lines: Vec<Vec<(i64, String)>>,
}

impl Days {
    /// Adds the events of one session of `v`.
    fn session(&mut self, v: &Visit, events: &[Event]) {
        for &(name, ts, value, txn) in events {
            let day = (ts / 1_000_000 - self.start).div_euclid(86_400);
            if let Some(d) = usize::try_from(day).ok().filter(|&d| d < DAYS) {
                self.lines[d].push((ts, line(v, name, ts, value, txn)));
            }
        }
    }
}

/// A JSON string.
fn js(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_default()
}

/// The NDJSON line of event `name` of visit `v` at `ts` (microseconds).
fn line(v: &Visit, name: &str, ts: i64, value: Option<i64>, txn: Option<&str>) -> String {
    let location = js(&format!("{SITE}{}", v.page.0));
    let mut params = format!(
        "{{\"key\":\"page_location\",\"value\":{{\"string_value\":{location}}}}},\
         {{\"key\":\"page_title\",\"value\":{{\"string_value\":{}}}}},\
         {{\"key\":\"ga_session_id\",\"value\":{{\"int_value\":\"{}\"}}}},\
         {{\"key\":\"ga_session_number\",\"value\":{{\"int_value\":\"{}\"}}}}",
        js(&v.page.1),
        v.sid,
        v.number
    );
    if name != "session_start" {
        let ms = 300 + (ts / 1000) % 40_000;
        params.push_str(&format!(
            ",{{\"key\":\"engagement_time_msec\",\"value\":{{\"int_value\":\"{ms}\"}}}}"
        ));
    }
    if let Some(cents) = value {
        params.push_str(&format!(
            ",{{\"key\":\"currency\",\"value\":{{\"string_value\":\"EUR\"}}}},\
             {{\"key\":\"value\",\"value\":{{\"double_value\":{}}}}}",
            money(cents)
        ));
    }
    let ecommerce = match (txn, value) {
        (Some(t), Some(cents)) => format!(
            ",\"ecommerce\":{{\"purchase_revenue\":{},\"transaction_id\":{}}}",
            money(cents),
            js(t)
        ),
        _ => String::new(),
    };
    let c = v.buyer.city;
    format!(
        "{{\"event_date\":\"{}\",\"event_timestamp\":\"{ts}\",\"event_name\":\"{name}\",\
         \"event_params\":[{params}],\"user_id\":\"{}\",\"user_pseudo_id\":\"{}.{}\",\
         \"device\":{{\"category\":\"{}\",\"operating_system\":\"{}\",\"web_info\":{{\"browser\":\"{}\"}}}},\
         \"geo\":{{\"country\":{},\"region\":{},\"city\":{}}},\
         \"traffic_source\":{{\"source\":{},\"medium\":{},\"name\":{}}}{ecommerce},\
         \"stream_id\":\"4178203391\",\"platform\":\"WEB\"}}\n",
        fmt_time(ts / 1_000_000, "%Y%m%d"),
        v.user_id,
        v.pseudo.0,
        v.pseudo.1,
        v.device.0,
        v.device.1,
        v.device.2,
        js(c.country),
        js(c.region),
        js(c.city),
        js(v.traffic.0),
        js(v.traffic.1),
        js(v.traffic.2),
    )
}

/// A visit of `buyer` to product `product`'s page in session `sid` (epoch seconds).
fn visit<'a>(rng: &mut XRng, day0: i64, buyer: &'a Buyer, sid: i64, product: usize) -> Visit<'a> {
    let d = pick(rng, DEVICES);
    let t = pick(rng, TRAFFIC);
    let name = PRODUCTS[product].0;
    let product_name = name.split(" - ").next().unwrap_or(name);
    let slug = product_name.to_lowercase().replace(' ', "-");
    Visit {
        user_id: buyer.id,
        pseudo: pseudo_id(rng, day0),
        sid,
        number: rng.gen_range(1..=12),
        buyer,
        device: (DEVICE_CATEGORIES[d.0 as usize], d.1, d.2),
        traffic: (t.1, MEDIUMS[t.0 as usize], t.2),
        page: (
            format!("/shop/{slug}"),
            format!("{product_name} | StackPilot Shop"),
        ),
    }
}

/// `n` increasing times (microseconds) from `from` to `to` (seconds), the last exactly `to`.
fn times(rng: &mut XRng, from: i64, to: i64, n: usize) -> Vec<i64> {
    let mut out: Vec<i64> = (0..n)
        .map(|k| from * 1_000_000 + (to - from) * 1_000_000 * k as i64 / n.max(1) as i64)
        .map(|t| t + rng.gen_range(0..500_000))
        .collect();
    if let Some(last) = out.last_mut() {
        *last = to * 1_000_000;
    }
    out
}

/// Appends the e-commerce events of `shop`'s orders and of the planted abandoned carts of
/// `buyers` to the GA4 day files of `run`, drawing from `rng`; returns (events, bytes).
pub(super) fn write(
    run: &Run,
    rng: &mut XRng,
    shop: &Shop,
    buyers: &[Buyer],
) -> Result<(u64, u64)> {
    let start = run.day0 - (DAYS as i64 - 1) * 86_400;
    let mut days = Days {
        start,
        lines: vec![Vec::new(); DAYS],
    };
    let mut purchases: Vec<Vec<i64>> = vec![Vec::new(); buyers.len()];
    for o in &shop.orders {
        let Some(b) = o.buyer.filter(|_| o.at - 1_800 >= start) else {
            continue;
        };
        purchases[b].push(o.at);
        let sid = o.at - rng.gen_range(240..1_800);
        let v = visit(rng, run.day0, &buyers[b], sid, o.lines[0].0);
        let t = times(rng, sid, o.at, 5);
        let unit = PRODUCTS[o.lines[0].0].1;
        let name = Some(o.name.as_str());
        days.session(
            &v,
            &[
                ("session_start", t[0], None, None),
                ("page_view", t[1], None, None),
                ("add_to_cart", t[2], Some(unit), None),
                ("begin_checkout", t[3], Some(o.total), None),
                ("purchase", t[4], Some(o.total), name),
            ],
        );
    }
    for (b, buyer) in buyers.iter().enumerate() {
        let (share, fewest, most) = PLANTS[buyer.persona].abandon;
        if !rng.gen_bool(share) {
            continue;
        }
        for _ in 0..rng.gen_range(fewest..=most) {
            // Days 0 to 21 of the 30: 8 days or more before the export date.
            let day = rng.gen_range(0..DAYS as i64 - WINDOW_DAYS - 1);
            let sid = start + day * 86_400 + rng.gen_range(6 * 3_600..22 * 3_600);
            let window = sid..=sid + WINDOW_DAYS * 86_400 + 3_600;
            if purchases[b].iter().any(|p| window.contains(p)) {
                continue;
            }
            let product = rng.gen_range(0..PRODUCTS.len());
            let v = visit(rng, run.day0, buyer, sid, product);
            let checkout = rng.gen_bool(CHECKOUT);
            let end = sid + rng.gen_range(120..900);
            let t = times(rng, sid, end, 4);
            let unit = PRODUCTS[product].1;
            let mut events = vec![
                ("session_start", t[0], None, None),
                ("page_view", t[1], None, None),
                ("add_to_cart", t[2], Some(unit), None),
            ];
            if checkout {
                events.push(("begin_checkout", t[3], Some(unit), None));
            }
            days.session(&v, &events);
        }
    }
    append(run, days)
}

/// Appends each day's events, in time order, to its GA4 file; returns (events, bytes).
fn append(run: &Run, days: Days) -> Result<(u64, u64)> {
    let (mut events, mut bytes) = (0, 0);
    for (d, mut lines) in days.lines.into_iter().enumerate() {
        if lines.is_empty() {
            continue;
        }
        lines.sort();
        let date = fmt_time(days.start + d as i64 * 86_400, "%Y%m%d");
        let path = run.out_dir.join("ga4").join(format!("events_{date}.json"));
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .map_err(io_err(&path))?;
        let text: String = lines.iter().map(|(_, l)| l.as_str()).collect();
        f.write_all(text.as_bytes()).map_err(io_err(&path))?;
        events += lines.len() as u64;
        bytes += text.len() as u64;
    }
    Ok((events, bytes))
}
