//! The Mailchimp side of a design: one audience member per listed contact (and list-only
//! members), its status file, rating and tags drawn from the persona's profile or the
//! population, in the columns of the existing audience export.

use std::fs::File;
use std::io::BufWriter;

use rand::seq::SliceRandom;
use rand::Rng;
use rand_xoshiro::Xoshiro256PlusPlus as XRng;

use super::super::tables::{City, CAMPAIGNS, STREETS, UNSUB_REASONS};
use super::super::util::{fmt_time, hex10, pick};
use super::catalog::Attr;
use super::plant::Model;
use super::tables::{RATINGS, TAGS};
use crate::error::Result;

/// Most tags one member holds.
const MAX_TAGS: usize = 4;

/// Mailchimp audience writers: subscribed, unsubscribed, cleaned.
pub(super) struct Audience {
    /// One writer per status file.
    pub(super) w: [csv::Writer<BufWriter<File>>; 3],
    /// Last LEID handed out.
    pub(super) leid: u64,
    /// End of the export day (epoch seconds).
    pub(super) end: i64,
}

/// Who a member is: address, name, phone, city, birthday (`MM/DD` or empty), opt-in time.
pub(super) struct Member<'a> {
    pub(super) email: &'a str,
    pub(super) first: &'a str,
    pub(super) last: &'a str,
    pub(super) phone: &'a str,
    pub(super) city: &'a City,
    pub(super) birthday: &'a str,
    pub(super) optin: i64,
}

impl Audience {
    /// Writes one member of persona `p` (`None`: drawn from the population) into the file of
    /// its status.
    pub(super) fn write(
        &mut self,
        model: &Model,
        rng: &mut XRng,
        p: Option<usize>,
        m: &Member,
    ) -> Result<()> {
        let status = model.source(rng, p, Attr::Status).status.draw(rng);
        let rating = RATINGS[model.source(rng, p, Attr::Rating).rating.draw(rng)];
        let probs = &model.source(rng, p, Attr::Tags).tags;
        let mut tags: Vec<usize> = (0..TAGS.len())
            .filter(|&t| rng.gen::<f64>() < probs[t])
            .collect();
        if tags.len() > MAX_TAGS {
            tags.shuffle(rng);
            tags.truncate(MAX_TAGS);
            tags.sort_unstable();
        }
        let tags = if rng.gen_bool(0.5) {
            tags.iter().map(|&t| TAGS[t]).collect::<Vec<_>>().join(", ")
        } else {
            tags.iter()
                .map(|&t| format!("\"{}\"", TAGS[t]))
                .collect::<Vec<_>>()
                .join(",")
        };
        let ts = |s: i64| fmt_time(s, "%Y-%m-%d %H:%M:%S");
        let ip = |rng: &mut XRng| {
            let (a, b, c, d) = (
                rng.gen_range(23..223),
                rng.gen::<u8>(),
                rng.gen::<u8>(),
                rng.gen_range(1..255),
            );
            format!("{a}.{b}.{c}.{d}")
        };
        let confirm = m.optin + rng.gen_range(30..3600);
        let changed = confirm + rng.gen_range(0..(self.end - confirm).max(1));
        let geo = rng.gen_bool(0.6);
        let g = |s: &str| if geo { s.to_string() } else { String::new() };
        let city = m.city;
        let address = if rng.gen_bool(0.15) {
            let (n, zip) = (rng.gen_range(1..200), rng.gen_range(10_000..99_999));
            let street = pick(rng, STREETS);
            format!(
                "{n} {street}  {}  {}  {zip}  {}",
                city.city, city.mc_region, city.cc
            )
        } else {
            String::new()
        };
        let keep = |rng: &mut XRng, s: &str, p: f64| {
            if rng.gen_bool(p) {
                s.to_string()
            } else {
                String::new()
            }
        };
        let (birthday, phone) = (keep(rng, m.birthday, 0.6), keep(rng, m.phone, 0.2));
        self.leid += rng.gen_range(1..40);
        let mut row = vec![
            m.email.to_string(),
            m.first.to_string(),
            m.last.to_string(),
            address,
            phone,
            birthday,
            rating.to_string(),
            ts(m.optin),
            ip(rng),
            ts(confirm),
            ip(rng),
            g(city.lat),
            g(city.lon),
            g(city.gmt),
            g(city.dst),
            g(city.tz),
            g(city.cc),
            g(city.mc_region),
            ts(changed),
            self.leid.to_string(),
            hex10(rng),
            String::new(),
            tags,
        ];
        match status {
            1 => {
                let reason = *pick(rng, UNSUB_REASONS);
                let other = if reason == "Other" && rng.gen_bool(0.5) {
                    "too many emails"
                } else {
                    ""
                };
                row.extend([
                    ts(changed),
                    pick(rng, CAMPAIGNS).to_string(),
                    hex10(rng),
                    reason.to_string(),
                    other.to_string(),
                ]);
            }
            2 => row.extend([ts(changed), pick(rng, CAMPAIGNS).to_string(), hex10(rng)]),
            _ => {}
        }
        self.w[status].write_record(&row)?;
        Ok(())
    }
}
