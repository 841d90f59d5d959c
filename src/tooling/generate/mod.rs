//! Synthetic exports with planted buyer personas, in the formats the real tools write: a HubSpot
//! contacts CSV, a Mailchimp audience export, GA4 BigQuery NDJSON (one file per day), Meta page
//! insights and `truth.csv` with each contact's true persona.
//!
//! Every draw comes from `Xoshiro256PlusPlus` streams seeded from [`GenerateOptions::seed`], one
//! stream per output (and per GA4 day), so a seed always gives the same bytes. Each trait of a
//! contact is drawn from its own persona's profile for ~85 % of draws and from the population mix
//! otherwise; [`GenerateOptions::overlap`] moves that share toward zero (1.0 = no signal at all).

mod crm;
pub mod design;
mod exports;
mod ga4;
mod mailchimp;
mod meta;
mod profiles;
mod sessions;
mod tables;
#[cfg(test)]
mod tests;
mod util;

use std::path::{Path, PathBuf};
use std::time::Instant;

use chrono::NaiveDate;
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus as XRng;

use crate::error::Result;
use crm::make_contact;
use exports::{bad_input, check_events_per_contact, create_dirs, Exports, Run, Streams};
use mailchimp::{Audience, Member};
use profiles::{NICHE, PROFILES};
use sessions::{Planner, SampleSite};
use tables::CITIES;

/// The four planted personas, as written to `truth.csv`; the optional fifth is [`NICHE_PERSONA`].
pub const PERSONAS: &[&str] = &[
    "enterprise_decision_maker",
    "hands_on_developer",
    "bargain_founder",
    "passive_subscriber",
];
/// Label of the small planted group added by [`GenerateOptions::small_group`].
pub const NICHE_PERSONA: &str = "niche_researcher";
/// Exact header of the HubSpot contacts export.
pub const HUBSPOT_HEADER: &str = r#""Record ID","First Name","Last Name","Email","Phone Number","Contact owner","Lifecycle Stage","Create Date","Last Activity Date","Job Title","Company Name","Industry","Number of Employees","City","Country/Region","Date of birth","Gender","Buying Role","Original Source","Total Revenue","Marketing contact status""#;
/// Share of draws that follow the persona's own profile at overlap 0.
const FIDELITY: f64 = 0.85;
/// Days of GA4 data, ending at the export date.
const DAYS: usize = 30;
/// The sample's GA4 day and Meta streams.
const STREAMS: Streams = Streams {
    day_mul: 0x9E37_79B9_7F4A_7C15,
    day_offset: 7,
    meta: 0x6D65_7461,
};
/// The static strings the tables are made of.
type S = &'static str;

/// What to generate.
#[derive(Debug, Clone)]
pub struct GenerateOptions {
    /// Number of CRM contacts of the four main personas (equal shares).
    pub contacts: usize,
    /// Seed of every random stream.
    pub seed: u64,
    /// Date of the exports; GA4 covers the 30 days ending at (and including) it.
    pub export_date: NaiveDate,
    /// Mean web events per CRM contact (anonymous visitors add ~20 % on top).
    pub events_per_contact: f64,
    /// 0.0 = well-separated personas, 1.0 = personas share all traits (indistinguishable).
    pub overlap: f64,
    /// Extra contacts of the small planted persona [`NICHE_PERSONA`] (0 = none).
    pub small_group: usize,
    /// Contacts of a planted persona added after all the others (ids continuing from the last),
    /// so that the contacts before them are the same people, drawn the same way: exports of
    /// successive dates in which a persona grows (more contacts of a main persona) or appears
    /// (contacts of [`NICHE_PERSONA`]).
    pub added: Vec<AddedContacts>,
}

/// Contacts of one planted persona added after the others (see [`GenerateOptions::added`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddedContacts {
    /// Planted persona: one of [`PERSONAS`] or [`NICHE_PERSONA`].
    pub persona: String,
    /// Number of contacts.
    pub contacts: usize,
}

impl std::str::FromStr for AddedContacts {
    type Err = String;

    /// `<persona>=<count>`, e.g. `bargain_founder=300`.
    fn from_str(s: &str) -> std::result::Result<AddedContacts, String> {
        let (persona, n) = s
            .split_once('=')
            .ok_or_else(|| format!("`{s}`: expected <persona>=<count>"))?;
        let contacts = n
            .trim()
            .parse()
            .map_err(|e| format!("`{s}`: count `{n}`: {e}"))?;
        let persona = persona.trim().to_string();
        persona_index(&persona)?;
        Ok(AddedContacts { persona, contacts })
    }
}

/// Index of a planted persona by label.
fn persona_index(label: &str) -> std::result::Result<usize, String> {
    if label == NICHE_PERSONA {
        return Ok(NICHE);
    }
    PERSONAS.iter().position(|p| *p == label).ok_or_else(|| {
        format!(
            "unknown planted persona `{label}`; one of {}, {NICHE_PERSONA}",
            PERSONAS.join(", ")
        )
    })
}

impl Default for GenerateOptions {
    fn default() -> Self {
        GenerateOptions {
            contacts: 2000,
            seed: 42,
            export_date: NaiveDate::from_ymd_opt(2026, 11, 20).unwrap_or_default(),
            events_per_contact: 10.0,
            overlap: 0.0,
            small_group: 0,
            added: Vec::new(),
        }
    }
}

/// A pipeline config (TOML) reading the exports [`generate`] writes into `data_dir`; relative
/// paths are relative to the config file's folder.
pub fn pipeline_config(name: &str, data_dir: &str, output_dir: &str, sql_dir: &Path) -> String {
    format!(
        r#"name = "{name}"
output_dir = "{output_dir}"
sql_dir = "{sql}"

[[sources]]
name = "crm"
kind = "hubspot_contacts"
path = "{data_dir}/hubspot-crm-exports-all-contacts-*.csv"

[[sources]]
name = "email"
kind = "mailchimp_members"
path = "{data_dir}/mailchimp/*_members_export_*.csv"

[[sources]]
name = "web"
kind = "ga4_events"
path = "{data_dir}/ga4/events_*.json"

[[sources]]
name = "social"
kind = "meta_page_insights"
path = "{data_dir}/meta/page_insights.json"
{SAMPLE_WEB}"#,
        sql = sql_dir.display()
    )
}

/// The `[web]` section of the generated site: its sections grouped into the four interests the
/// planted personas differ in (`pipelines/sample.toml` declares the same).
pub const SAMPLE_WEB: &str = r#"
[web]
content_groups = [
    { name = "docs", paths = ["/docs", "/api", "/changelog"] },
    { name = "pricing", paths = ["/pricing", "/case-studies", "/security", "/product"] },
    { name = "discounts", paths = ["/discounts", "/templates"] },
    { name = "blog", paths = ["/blog"] },
]
"#;

/// What [`generate`] wrote.
#[derive(Debug, Clone, Default)]
pub struct GenerateSummary {
    /// CRM contacts written (`contacts + small_group` + the added contacts).
    pub contacts: usize,
    /// GA4 events written, anonymous visitors included.
    pub events: u64,
    /// Bytes of GA4 NDJSON written.
    pub ga4_bytes: u64,
    /// Every file written.
    pub files: Vec<PathBuf>,
}

fn label(p: usize) -> S {
    PERSONAS.get(p).copied().unwrap_or(NICHE_PERSONA)
}

impl GenerateSummary {
    /// "wrote N contacts, M web events (X MB of GA4 JSON) to DIR".
    pub fn wrote(&self, out: &Path) -> String {
        format!(
            "wrote {} contacts, {} web events ({:.1} MB of GA4 JSON) to {}",
            self.contacts,
            self.events,
            self.ga4_bytes as f64 / 1e6,
            out.display()
        )
    }
}

/// Writes the sample exports (HubSpot, Mailchimp, GA4, Meta) and `truth.csv` under `out_dir`.
///
/// Deterministic for a given [`GenerateOptions`]; GA4 days are written by two threads, each day
/// from its own seeded stream.
pub fn generate(out_dir: &Path, opts: &GenerateOptions) -> Result<GenerateSummary> {
    let started = Instant::now();
    let bad = |reason: String| bad_input(out_dir, reason);
    if !(0.0..=1.0).contains(&opts.overlap) {
        return Err(bad(format!(
            "overlap must be within 0..=1, got {}",
            opts.overlap
        )));
    }
    check_events_per_contact(out_dir, opts.events_per_contact)?;
    create_dirs(out_dir)?;
    let mut added = Vec::with_capacity(opts.added.len());
    for a in &opts.added {
        added.push((persona_index(&a.persona).map_err(bad)?, a.contacts));
    }
    let (date, keep, total) = (
        opts.export_date,
        FIDELITY * (1.0 - opts.overlap),
        opts.contacts + opts.small_group + added.iter().map(|a| a.1).sum::<usize>(),
    );
    let run = Run::new(out_dir, date, total);
    let day0 = run.day0;
    let mut crm_rng = XRng::seed_from_u64(opts.seed);
    let mut mc_rng = XRng::seed_from_u64(opts.seed ^ 0x6D61_696C_6368_696D);
    let mut personas: Vec<usize> = (0..opts.contacts)
        .map(|i| i % PERSONAS.len())
        .chain(std::iter::repeat_n(NICHE, opts.small_group))
        .collect();
    personas.shuffle(&mut crm_rng);
    // Added contacts come after everyone else, unshuffled, so the others stay the same people.
    for &(p, n) in &added {
        personas.extend(std::iter::repeat_n(p, n));
    }
    let anon = (0.2 * total as f64 * opts.events_per_contact / 3.0).round() as usize;
    let mean_events = opts.events_per_contact / event_norm(opts, keep, total, &added);
    let mut planner = Planner::new(opts.seed, keep, mean_events, day0, total + anon);

    let mut exports = Exports::open(&run, &mut mc_rng)?;
    for (i, &p) in personas.iter().enumerate() {
        let (seen, line) = (&mut exports.seen, &mut exports.line);
        let c = make_contact(&mut crm_rng, i as u64 + 1, p, keep, day0, seen, line);
        let write =
            &mut |a: &mut Audience, rng: &mut XRng, m: &Member| a.member(rng, m, Some(p), keep);
        exports.contact(&c, label(p), &mut mc_rng, 0.85, write)?;
        planner.contact(&c);
    }
    let write = &mut |a: &mut Audience, rng: &mut XRng, m: &Member| a.member(rng, m, None, keep);
    exports.list_only(&mut mc_rng, total, CITIES, write)?;
    let csv = exports.close()?;
    for _ in 0..anon {
        planner.anonymous();
    }

    // GA4: even days on one thread, odd days on the other; each day has its own seeded stream.
    let site = SampleSite {
        visitors: &planner.visitors,
        keep,
    };
    let summary = run.finish(csv, planner.days, &site, opts.seed, &STREAMS)?;
    let (events, ga4_bytes) = (summary.events, summary.ga4_bytes);
    let secs = started.elapsed().as_secs_f64();
    tracing::info!(contacts = total, events, ga4_bytes, secs, mb_per_s = ga4_bytes as f64 / 1e6 / secs.max(1e-9), out = %out_dir.display(), "generated sample exports");
    Ok(summary)
}

/// The expected mean of the profiles' events per contact over all `total` contacts, so that
/// scaling by it makes the mean `events_per_contact`.
fn event_norm(opts: &GenerateOptions, keep: f64, total: usize, added: &[(usize, usize)]) -> f64 {
    let mean4 = PROFILES[..PERSONAS.len()]
        .iter()
        .map(|p| p.events)
        .sum::<f64>()
        / PERSONAS.len() as f64;
    let expected = |p: usize| keep * PROFILES[p].events + (1.0 - keep) * mean4;
    let niche = expected(NICHE);
    let added_events: f64 = added.iter().map(|&(p, n)| n as f64 * expected(p)).sum();
    if total == 0 {
        1.0
    } else {
        (opts.contacts as f64 * mean4 + opts.small_group as f64 * niche + added_events)
            / total as f64
    }
}
