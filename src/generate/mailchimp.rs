//! The Mailchimp audience export: headers of the three status files, one member row per contact
//! (or list-only member), and the list's own spelling of CRM emails.

use std::fs::File;
use std::io::BufWriter;

use rand::Rng;
use rand_xoshiro::Xoshiro256PlusPlus as XRng;

use super::profiles::{src, Profile, PROFILES};
use super::tables::{City, CAMPAIGNS, STREETS, UNSUB_REASONS};
use super::util::{capitalize, fmt_time, hex10, pick};
use super::{PERSONAS, S};
use crate::error::Result;
use crate::sources::csv_export::MAILCHIMP_MEMBERS;

/// The audience export's columns, as the landing preset reads them.
pub(super) const MC_HEADER: &[&str] = MAILCHIMP_MEMBERS.required;

/// The columns only the unsubscribed file has (`UNSUB_*`) and only the cleaned file has
/// (`CLEAN_*`), from the preset's optional columns.
pub(super) fn status_columns() -> (&'static [&'static str], &'static [&'static str]) {
    let optional = MAILCHIMP_MEMBERS.optional;
    let split = optional
        .iter()
        .position(|c| c.starts_with("CLEAN_"))
        .unwrap_or(optional.len());
    optional.split_at(split)
}

/// Mailchimp audience writers: subscribed, unsubscribed, cleaned.
pub(super) struct Audience {
    pub(super) w: [csv::Writer<BufWriter<File>>; 3],
    pub(super) leid: u64,
    pub(super) end: i64,
}

impl Audience {
    /// Writes one member into the file of its status; `p` is the persona (None = list-only member).
    #[allow(clippy::too_many_arguments)]
    pub(super) fn member(
        &mut self,
        rng: &mut XRng,
        email: &str,
        first: &str,
        last: &str,
        phone: &str,
        city: &City,
        birthday: &str,
        optin: i64,
        p: Option<usize>,
        keep: f64,
    ) -> Result<()> {
        let pr = |rng: &mut XRng| -> &'static Profile {
            &PROFILES[match p {
                Some(p) => src(rng, p, keep),
                None => rng.gen_range(0..PERSONAS.len()),
            }]
        };
        let churn = pr(rng).churn;
        let r = rng.gen::<f64>();
        let status = if r < churn.0 {
            1
        } else if r < churn.0 + churn.1 {
            2
        } else {
            0
        };
        let rating = pr(rng).rating;
        let rating = rng.gen_range(rating.0..=rating.1).to_string();
        let tags: Vec<S> = pr(rng)
            .tags
            .iter()
            .copied()
            .filter(|_| rng.gen::<f64>() < 0.75)
            .collect();
        let tags = if rng.gen_bool(0.5) {
            tags.join(", ")
        } else {
            tags.iter()
                .map(|t| format!("\"{t}\""))
                .collect::<Vec<_>>()
                .join(",")
        };
        let ts = |s: i64| fmt_time(s, "%Y-%m-%d %H:%M:%S");
        let ip = |rng: &mut XRng| {
            format!(
                "{}.{}.{}.{}",
                rng.gen_range(23..223),
                rng.gen::<u8>(),
                rng.gen::<u8>(),
                rng.gen_range(1..255)
            )
        };
        let confirm = optin + rng.gen_range(30..3600);
        let changed = confirm + rng.gen_range(0..(self.end - confirm).max(1));
        let geo = rng.gen_bool(0.6);
        let g = |s: S| if geo { s.to_string() } else { String::new() };
        let address = if rng.gen_bool(0.15) {
            format!(
                "{} {}  {}  {}  {}  {}",
                rng.gen_range(1..200),
                pick(rng, STREETS),
                city.city,
                city.mc_region,
                rng.gen_range(10_000..99_999),
                city.cc
            )
        } else {
            String::new()
        };
        let birthday = if rng.gen_bool(0.6) {
            birthday.to_string()
        } else {
            String::new()
        };
        let phone = if rng.gen_bool(0.2) {
            phone.to_string()
        } else {
            String::new()
        };
        self.leid += rng.gen_range(1..40);
        let mut row = vec![
            email.to_string(),
            first.to_string(),
            last.to_string(),
            address,
            phone,
            birthday,
            rating,
            ts(optin),
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

/// The list's spelling of a CRM email: ~20 % differ in case, ~5 % carry a stray space.
pub(super) fn list_email(rng: &mut XRng, email: &str) -> String {
    let mut e = if !rng.gen_bool(0.2) {
        email.to_string()
    } else if email.chars().any(char::is_uppercase) {
        email.to_lowercase()
    } else if rng.gen_bool(0.3) {
        email.to_uppercase()
    } else {
        email
            .split('@')
            .map(capitalize)
            .collect::<Vec<_>>()
            .join("@")
    };
    if rng.gen_bool(0.05) {
        if rng.gen_bool(0.5) {
            e.insert(0, ' ')
        } else {
            e.push(' ')
        }
    }
    e
}
