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
mod ga4;
mod mailchimp;
mod meta;
mod profiles;
mod sessions;
mod tables;
#[cfg(test)]
mod tests;
mod util;

use std::collections::HashSet;
use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use chrono::{NaiveDate, NaiveTime};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus as XRng;

use crate::error::{Error, Result};
use crm::{make_contact, unique_email};
use ga4::{write_day, write_days, Ga4Files};
use mailchimp::{list_email, status_columns, Audience, Member, MC_HEADER};
use meta::write_meta;
use profiles::{NICHE, PROFILES};
use sessions::{Planner, Schedule};
use tables::{CITIES, FIRST, FREE_MAIL, LAST};
use util::{create, hex10, io_err, pick};

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
"#,
        sql = sql_dir.display()
    )
}

/// Paths of the CSV files of a generator run.
pub(crate) struct CsvPaths {
    /// The HubSpot contacts export.
    pub(crate) hub: PathBuf,
    /// `truth.csv`.
    pub(crate) truth: PathBuf,
    /// Mailchimp: subscribed, unsubscribed, cleaned.
    pub(crate) mc: [PathBuf; 3],
}

/// The CRM export, `truth.csv` and the three Mailchimp files of a generator run, open and
/// with their headers written.
pub(crate) struct Exports {
    pub(crate) paths: CsvPaths,
    pub(crate) hub: BufWriter<File>,
    pub(crate) truth: csv::Writer<BufWriter<File>>,
    /// Subscribed, unsubscribed, cleaned.
    pub(crate) mc: [csv::Writer<BufWriter<File>>; 3],
}

impl Exports {
    /// Creates the files under `out_dir` (which must hold a `mailchimp` folder); the
    /// Mailchimp export id comes from `rng`.
    pub(crate) fn open(out_dir: &Path, date: NaiveDate, rng: &mut XRng) -> Result<Exports> {
        let hub_path = out_dir.join(format!(
            "hubspot-crm-exports-all-contacts-{}.csv",
            date.format("%Y-%m-%d")
        ));
        let truth_path = out_dir.join("truth.csv");
        let hex = hex10(rng);
        let mc_paths = ["subscribed", "unsubscribed", "cleaned"].map(|k| {
            out_dir
                .join("mailchimp")
                .join(format!("{k}_members_export_{hex}.csv"))
        });
        let mut hub = create(&hub_path)?;
        hub.write_all(HUBSPOT_HEADER.as_bytes())
            .and_then(|_| hub.write_all(b"\n"))
            .map_err(io_err(&hub_path))?;
        let mut truth = csv::Writer::from_writer(create(&truth_path)?);
        truth.write_record(["record_id", "email", "persona"])?;
        let mut writers = Vec::with_capacity(3);
        let (unsub, clean) = status_columns();
        for (path, extra) in mc_paths.iter().zip([&[][..], unsub, clean]) {
            let mut w = csv::WriterBuilder::new()
                .quote_style(csv::QuoteStyle::Necessary)
                .from_writer(create(path)?);
            w.write_record(MC_HEADER.iter().chain(extra))?;
            writers.push(w);
        }
        let mc = writers.try_into().map_err(|_| Error::BadInput {
            file: out_dir.display().to_string(),
            reason: "mailchimp writers".into(),
        })?;
        Ok(Exports {
            paths: CsvPaths {
                hub: hub_path,
                truth: truth_path,
                mc: mc_paths,
            },
            hub,
            truth,
            mc,
        })
    }
}

impl CsvPaths {
    /// Flushes the files [`Exports`] opened at these paths (the Mailchimp writers in the order
    /// of [`CsvPaths::mc`]).
    pub(crate) fn flush(
        &self,
        hub: &mut BufWriter<File>,
        truth: &mut csv::Writer<BufWriter<File>>,
        mc: &mut [csv::Writer<BufWriter<File>>; 3],
    ) -> Result<()> {
        hub.flush().map_err(io_err(&self.hub))?;
        truth.flush().map_err(io_err(&self.truth))?;
        for (w, path) in mc.iter_mut().zip(&self.mc) {
            w.flush().map_err(io_err(path))?;
        }
        Ok(())
    }
}

/// The end of a generator run: writes `meta/page_insights.json` under `out_dir` from
/// `meta_rng` and returns the summary, its files in order: HubSpot, Mailchimp, GA4 days,
/// Meta, truth.
fn finish(
    out_dir: &Path,
    date: NaiveDate,
    contacts: usize,
    meta_rng: &mut XRng,
    csv: CsvPaths,
    ga4: Ga4Files,
) -> Result<GenerateSummary> {
    let meta_path = out_dir.join("meta").join("page_insights.json");
    write_meta(&meta_path, meta_rng, contacts, date)?;
    let mut files = vec![csv.hub];
    files.extend(csv.mc);
    files.extend(ga4.paths);
    files.extend([meta_path, csv.truth]);
    Ok(GenerateSummary {
        contacts,
        events: ga4.events,
        ga4_bytes: ga4.bytes,
        files,
    })
}

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
    let bad = |reason: String| Error::BadInput {
        file: out_dir.display().to_string(),
        reason,
    };
    if !(0.0..=1.0).contains(&opts.overlap) {
        return Err(bad(format!(
            "overlap must be within 0..=1, got {}",
            opts.overlap
        )));
    }
    if !(opts.events_per_contact.is_finite() && opts.events_per_contact >= 0.0) {
        return Err(bad(format!(
            "events_per_contact must be >= 0, got {}",
            opts.events_per_contact
        )));
    }
    for d in [
        out_dir.to_path_buf(),
        out_dir.join("mailchimp"),
        out_dir.join("ga4"),
        out_dir.join("meta"),
    ] {
        fs::create_dir_all(&d).map_err(io_err(&d))?;
    }
    let mut added = Vec::with_capacity(opts.added.len());
    for a in &opts.added {
        added.push((persona_index(&a.persona).map_err(bad)?, a.contacts));
    }
    let (date, keep, total) = (
        opts.export_date,
        FIDELITY * (1.0 - opts.overlap),
        opts.contacts + opts.small_group + added.iter().map(|a| a.1).sum::<usize>(),
    );
    let day0 = date.and_time(NaiveTime::MIN).and_utc().timestamp();
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

    // Scale events so that the expected mean over all contacts is `events_per_contact`.
    let mean4 = PROFILES[..PERSONAS.len()]
        .iter()
        .map(|p| p.events)
        .sum::<f64>()
        / PERSONAS.len() as f64;
    let expected = |p: usize| keep * PROFILES[p].events + (1.0 - keep) * mean4;
    let niche = expected(NICHE);
    let added_events: f64 = added.iter().map(|&(p, n)| n as f64 * expected(p)).sum();
    let norm = if total == 0 {
        1.0
    } else {
        (opts.contacts as f64 * mean4 + opts.small_group as f64 * niche + added_events)
            / total as f64
    };
    let anon = (0.2 * total as f64 * opts.events_per_contact / 3.0).round() as usize;
    let mut planner = Planner {
        rng: XRng::seed_from_u64(opts.seed ^ 0x7765_625F_706C_616E),
        keep,
        mean_events: opts.events_per_contact / norm,
        day0,
        visitors: Vec::with_capacity(total + anon),
        days: vec![Vec::new(); DAYS],
        schedule: Schedule::default(),
    };

    let Exports {
        paths,
        mut hub,
        mut truth,
        mc: w,
    } = Exports::open(out_dir, date, &mut mc_rng)?;
    let mut audience = Audience {
        w,
        leid: 41_000_000,
        end: day0 + 86_399,
    };

    let mut seen = HashSet::with_capacity(total + total / 20 + 16);
    let mut line = String::with_capacity(512);
    for (i, &p) in personas.iter().enumerate() {
        let c = make_contact(
            &mut crm_rng,
            i as u64 + 1,
            p,
            keep,
            day0,
            &mut seen,
            &mut line,
        );
        hub.write_all(line.as_bytes()).map_err(io_err(&paths.hub))?;
        truth.write_record([c.id.to_string().as_str(), &c.email, label(p)])?;
        if mc_rng.gen_bool(0.85) {
            let email = list_email(&mut mc_rng, &c.email);
            let optin = (c.created + mc_rng.gen_range(0..30 * 86_400)).min(day0);
            let member = Member {
                email: &email,
                first: c.first,
                last: c.last,
                phone: &c.phone,
                city: c.city,
                birthday: &c.birthday,
                optin,
            };
            audience.member(&mut mc_rng, &member, Some(p), keep)?;
        }
        planner.contact(&c);
    }
    for _ in 0..(total as f64 * 0.03).round() as usize {
        let (first, last, city) = (
            *pick(&mut mc_rng, FIRST),
            *pick(&mut mc_rng, LAST),
            pick(&mut mc_rng, CITIES),
        );
        let domain = *pick(&mut mc_rng, FREE_MAIL);
        let email = unique_email(&mut mc_rng, first, last, domain, &mut seen);
        let optin = day0 - mc_rng.gen_range(1..1000 * 86_400);
        let member = Member {
            email: &email,
            first,
            last,
            phone: "",
            city,
            birthday: "",
            optin,
        };
        audience.member(&mut mc_rng, &member, None, keep)?;
    }
    paths.flush(&mut hub, &mut truth, &mut audience.w)?;
    drop(seen);
    for _ in 0..anon {
        planner.anonymous();
    }

    // GA4: even days on one thread, odd days on the other; each day has its own seeded stream.
    let Planner { visitors, days, .. } = planner;
    let (seed, visitors) = (opts.seed, &visitors);
    let ga4 = write_days(out_dir, date, days, |(d, day, path, mut sessions)| {
        write_day(&path, day, d, &mut sessions, visitors, seed, keep)
    })?;
    let mut meta_rng = XRng::seed_from_u64(opts.seed ^ 0x6D65_7461);
    let summary = finish(out_dir, date, total, &mut meta_rng, paths, ga4)?;
    let (events, ga4_bytes) = (summary.events, summary.ga4_bytes);
    let secs = started.elapsed().as_secs_f64();
    tracing::info!(contacts = total, events, ga4_bytes, secs, mb_per_s = ga4_bytes as f64 / 1e6 / secs.max(1e-9), out = %out_dir.display(), "generated sample exports");
    Ok(summary)
}
