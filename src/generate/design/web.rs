//! The GA4 side of a design: a visitor per CRM contact with web activity (plus anonymous
//! visitors, ~20 % of events), their sessions over the export's days, and one NDJSON file per
//! day in the shape of the existing GA4 writer. Each session has its own device and traffic
//! medium; each page view its own content group, from the contact's mix.

use std::fs::File;
use std::io::Write;
use std::path::Path;

use chrono::NaiveTime;
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus as XRng;

use super::super::ga4::{param_int, param_str, put_int, put_str, put_u64, DayJob};
use super::super::sessions::{pseudo_id, round_random, session_count, Schedule};
use super::super::tables::City;
use super::super::util::{io_err, pick, FLUSH};
use super::super::DAYS;
use super::catalog::Attr;
use super::draw::{dirichlet, Cat};
use super::plant::{Model, NO_WEB};
use super::tables::{DEVICES, DEVICE_CATEGORIES, EXTRA_EVENTS, MEDIUMS, PAGES, TRAFFIC};
use crate::error::Result;

const SITE: &str = "https://www.stackpilot.io";
/// How closely a contact's content mix follows its profile's (Dirichlet concentration).
const MIX_CONCENTRATION: f64 = 50.0;
/// Content groups of [`PAGES`].
const GROUPS: usize = 5;

/// One web visitor: a CRM contact (`user_id` > 0) or an anonymous one.
pub(super) struct Visitor {
    user_id: u32,
    pseudo: (u32, u32),
    city: &'static City,
    /// Cumulative content mix over the groups of [`PAGES`].
    sections: [f32; GROUPS],
}
/// One session on one day.
#[derive(Clone, Copy)]
pub(super) struct Session {
    visitor: u32,
    start: u32,
    events: u16,
    number: u16,
    device: u8,
    traffic: u8,
}

/// Plans every visitor's sessions from one seeded stream.
pub(super) struct Planner<'m> {
    model: &'m Model,
    rng: XRng,
    day0: i64,
    /// Visitors planned so far.
    pub(super) visitors: Vec<Visitor>,
    /// Sessions by day index.
    pub(super) days: Vec<Vec<Session>>,
    by_device: Vec<Vec<u8>>,
    by_medium: Vec<Vec<u8>>,
    schedule: Schedule,
}

fn variants(table: &[(u8, &str, &str)], n: usize) -> Vec<Vec<u8>> {
    (0..n)
        .map(|c| {
            (0..table.len() as u8)
                .filter(|&i| table[i as usize].0 as usize == c)
                .collect()
        })
        .collect()
}

impl<'m> Planner<'m> {
    /// A planner for `model`'s contacts, exports ending at `day0` (epoch seconds).
    pub(super) fn new(model: &'m Model, seed: u64, day0: i64, capacity: usize) -> Planner<'m> {
        Planner {
            model,
            rng: XRng::seed_from_u64(seed ^ 0x7765_625F_6465_7369),
            day0,
            visitors: Vec::with_capacity(capacity),
            days: vec![Vec::new(); DAYS],
            by_device: variants(DEVICES, DEVICE_CATEGORIES.len()),
            by_medium: variants(TRAFFIC, MEDIUMS.len()),
            schedule: Schedule::default(),
        }
    }

    fn visitor(&mut self, user_id: u32, city: &'static City, mix: &[f64]) -> u32 {
        let rng = &mut self.rng;
        let alpha: Vec<f64> = mix.iter().map(|m| m * MIX_CONCENTRATION).collect();
        let own = dirichlet(rng, &alpha);
        let mut sections = [0f32; GROUPS];
        let mut acc = 0.0;
        for (s, w) in sections.iter_mut().zip(&own) {
            acc += w;
            *s = acc as f32;
        }
        sections[GROUPS - 1] = f32::INFINITY;
        let pseudo = pseudo_id(rng, self.day0);
        self.visitors.push(Visitor {
            user_id,
            pseudo,
            city,
            sections,
        });
        (self.visitors.len() - 1) as u32
    }

    /// Plans the sessions of CRM contact `id` of persona `p` (`None` = population).
    pub(super) fn contact(&mut self, p: Option<usize>, id: u64, city: &'static City) {
        let model = self.model;
        if self.rng.gen_bool(NO_WEB) {
            return;
        }
        let activity = model.source(&mut self.rng, p, Attr::Activity);
        let x = activity.events.draw(&mut self.rng).min(2_000.0);
        let n = round_random(&mut self.rng, x);
        let sections = &model.source(&mut self.rng, p, Attr::Sections).sections;
        let devices = &model.source(&mut self.rng, p, Attr::Devices).devices;
        let mediums = &model.source(&mut self.rng, p, Attr::Mediums).mediums;
        if n == 0 {
            return;
        }
        let sessions = session_count(n, activity.per_session);
        let v = self.visitor(id as u32, city, sections);
        self.plan(v, n, sessions, devices, mediums);
    }

    /// Plans an anonymous visitor drawn from the population: one short session.
    pub(super) fn anonymous(&mut self, city: &'static City) {
        let model = self.model;
        let sections = &model.source(&mut self.rng, None, Attr::Sections).sections;
        let devices = &model.source(&mut self.rng, None, Attr::Devices).devices;
        let mediums = &model.source(&mut self.rng, None, Attr::Mediums).mediums;
        let v = self.visitor(0, city, sections);
        let n = self.rng.gen_range(1..=5);
        self.plan(v, n, 1, devices, mediums);
    }

    fn plan(&mut self, v: u32, n: u32, sessions: u32, devices: &Cat, mediums: &Cat) {
        let base = self.schedule.draw(&mut self.rng, n, sessions, false);
        let rng = &mut self.rng;
        for (i, (day, start, events)) in self.schedule.sessions().enumerate() {
            let (d, m) = (devices.draw(rng), mediums.draw(rng));
            let device = *pick(rng, &self.by_device[d]);
            let traffic = *pick(rng, &self.by_medium[m]);
            self.days[day].push(Session {
                visitor: v,
                start,
                events: events as u16,
                number: base + i as u16,
                device,
                traffic,
            });
        }
    }
}

/// Writes one GA4 day file from the day's own seeded stream; returns (events, bytes).
pub(super) fn write_day(
    job: DayJob<Session>,
    visitors: &[Visitor],
    seed: u64,
) -> Result<(u64, u64)> {
    let (day, date, path, mut sessions) = job;
    let path: &Path = &path;
    let mut rng =
        XRng::seed_from_u64(seed ^ 0x5DEE_CE66_D1CE_4E5Bu64.wrapping_mul(day as u64 + 11));
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
    for s in &sessions {
        let v = &visitors[s.visitor as usize];
        let (d, t) = (DEVICES[s.device as usize], TRAFFIC[s.traffic as usize]);
        let medium = MEDIUMS[t.0 as usize];
        tail.clear();
        tail.extend_from_slice(b"],\"user_id\":");
        if v.user_id > 0 {
            put_int(&mut tail, u64::from(v.user_id), true)
        } else {
            tail.extend_from_slice(b"null")
        }
        tail.extend_from_slice(b",\"user_pseudo_id\":\"");
        put_u64(&mut tail, u64::from(v.pseudo.0));
        tail.push(b'.');
        put_u64(&mut tail, u64::from(v.pseudo.1));
        let c = v.city;
        for (i, part) in [
            "\",\"device\":{\"category\":",
            DEVICE_CATEGORIES[d.0 as usize],
            ",\"operating_system\":",
            d.1,
            ",\"web_info\":{\"browser\":",
            d.2,
            "}},\"geo\":{\"country\":",
            c.country,
            ",\"region\":",
            c.region,
            ",\"city\":",
            c.city,
            "},\"traffic_source\":{\"source\":",
            t.1,
            ",\"medium\":",
            medium,
            ",\"name\":",
            t.2,
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
        let utm = matches!(medium, "cpc" | "email" | "social") && rng.gen_bool(0.8);
        let mut page = &("/", "");
        for k in 0..u32::from(s.events) {
            let name = match k {
                0 => "session_start",
                1 => "page_view",
                _ => match rng.gen::<f64>() {
                    r if r < 0.6 => "page_view",
                    r if r < 0.88 => "scroll",
                    _ => *pick(&mut rng, EXTRA_EVENTS),
                },
            };
            if k == 0 || (k > 1 && name == "page_view") {
                let u: f32 = rng.gen();
                let group = v.sections.iter().position(|&c| u < c).unwrap_or(GROUPS - 1);
                page = pick(&mut rng, PAGES[group]);
                loc.clear();
                loc.push_str(SITE);
                loc.push_str(page.0);
                if k == 0 && utm {
                    loc.push_str(&format!(
                        "?utm_source={}&utm_medium={medium}&utm_campaign={}",
                        t.1, t.2
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
            if k > 1 {
                let ms = rng.gen_range(300..60_000);
                param_int(&mut b, "engagement_time_msec", ms, quoted, verbose);
            }
            b.extend_from_slice(&tail);
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
