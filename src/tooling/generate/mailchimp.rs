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
use crate::sources::csv::MAILCHIMP_MEMBERS;

/// The audience export's columns, as the landing preset reads them.
pub(super) const MC_HEADER: &[&str] = MAILCHIMP_MEMBERS.required;

/// The columns only the unsubscribed file has (`UNSUB_*`) and only the cleaned file has
/// (`CLEAN_*`), from the preset's optional columns.
pub(super) fn status_columns() -> (&'static [&'static str], &'static [&'static str]) {
    // The preset lists its required columns first, then the optional ones.
    let optional = &MAILCHIMP_MEMBERS.columns[MAILCHIMP_MEMBERS.required.len()..];
    let split = optional
        .iter()
        .position(|c| c.starts_with("CLEAN_"))
        .unwrap_or(optional.len());
    optional.split_at(split)
}

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

/// The order in which a member's street address draws its house number, street and zip code:
/// the sample generator draws them as written, the design generator the two numbers first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum AddressDraws {
    /// Number, street, zip.
    AsWritten,
    /// Number, zip, street.
    NumbersFirst,
}

impl Audience {
    /// Writes one member of persona `p` (None = list-only member) into the file of its status.
    pub(super) fn member(
        &mut self,
        rng: &mut XRng,
        m: &Member,
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
        self.row(rng, m, status, rating, &tags, AddressDraws::AsWritten)
    }

    /// Writes member `m` into the file of its `status` (0 subscribed, 1 unsubscribed,
    /// 2 cleaned) with the given rating and tags, drawing everything else from `rng`.
    pub(super) fn row(
        &mut self,
        rng: &mut XRng,
        m: &Member,
        status: usize,
        rating: String,
        tags: &[&str],
        address: AddressDraws,
    ) -> Result<()> {
        let tags = tag_list(rng, tags);
        let ts = |s: i64| fmt_time(s, "%Y-%m-%d %H:%M:%S");
        let confirm = m.optin + rng.gen_range(30..3600);
        let changed = confirm + rng.gen_range(0..(self.end - confirm).max(1));
        let geo = rng.gen_bool(0.6);
        let g = |s: &str| if geo { s.to_string() } else { String::new() };
        let city = m.city;
        let address = street_address(rng, city, address);
        let (birthday, phone) = (kept(rng, m.birthday, 0.6), kept(rng, m.phone, 0.2));
        self.leid += rng.gen_range(1..40);
        let mut row = vec![
            m.email.to_string(),
            m.first.to_string(),
            m.last.to_string(),
            address,
            phone,
            birthday,
            rating,
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

/// The member's tags as Mailchimp writes them: comma-separated, or each in quotes.
fn tag_list(rng: &mut XRng, tags: &[&str]) -> String {
    if rng.gen_bool(0.5) {
        tags.join(", ")
    } else {
        tags.iter()
            .map(|t| format!("\"{t}\""))
            .collect::<Vec<_>>()
            .join(",")
    }
}

/// A random IPv4 address.
fn ip(rng: &mut XRng) -> String {
    let (a, b, c, d) = (
        rng.gen_range(23..223),
        rng.gen::<u8>(),
        rng.gen::<u8>(),
        rng.gen_range(1..255),
    );
    format!("{a}.{b}.{c}.{d}")
}

/// A street address in `city` for ~15 % of members (empty otherwise), its numbers and street
/// drawn in the order `draws` says.
fn street_address(rng: &mut XRng, city: &City, draws: AddressDraws) -> String {
    if !rng.gen_bool(0.15) {
        return String::new();
    }
    let (n, street, zip) = match draws {
        AddressDraws::AsWritten => {
            let (n, street) = (rng.gen_range(1..200), pick(rng, STREETS));
            (n, street, rng.gen_range(10_000..99_999))
        }
        AddressDraws::NumbersFirst => {
            let (n, zip) = (rng.gen_range(1..200), rng.gen_range(10_000..99_999));
            (n, pick(rng, STREETS), zip)
        }
    };
    format!(
        "{n} {street}  {}  {}  {zip}  {}",
        city.city, city.mc_region, city.cc
    )
}

/// `s` with probability `p`, else empty.
fn kept(rng: &mut XRng, s: &str, p: f64) -> String {
    if rng.gen_bool(p) {
        s.to_string()
    } else {
        String::new()
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
