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
use ga4::{write_day, DayJob};
use mailchimp::{list_email, status_columns, Audience, MC_HEADER};
use meta::write_meta;
use profiles::{NICHE, PROFILES};
use sessions::Planner;
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

/// The CRM export, `truth.csv` and the three Mailchimp files of a generator run, open and
/// with their headers written.
pub(crate) struct Exports {
    pub(crate) hub_path: PathBuf,
    pub(crate) hub: BufWriter<File>,
    pub(crate) truth_path: PathBuf,
    pub(crate) truth: csv::Writer<BufWriter<File>>,
    /// Subscribed, unsubscribed, cleaned.
    pub(crate) mc_paths: [PathBuf; 3],
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
            hub_path,
            hub,
            truth_path,
            truth,
            mc_paths,
            mc,
        })
    }
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
        counts: Vec::new(),
        times: Vec::new(),
    };

    let Exports {
        hub_path,
        mut hub,
        truth_path,
        mut truth,
        mc_paths,
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
        hub.write_all(line.as_bytes()).map_err(io_err(&hub_path))?;
        truth.write_record([c.id.to_string().as_str(), &c.email, label(p)])?;
        if mc_rng.gen_bool(0.85) {
            let email = list_email(&mut mc_rng, &c.email);
            let optin = (c.created + mc_rng.gen_range(0..30 * 86_400)).min(day0);
            audience.member(
                &mut mc_rng,
                &email,
                c.first,
                c.last,
                &c.phone,
                c.city,
                &c.birthday,
                optin,
                Some(p),
                keep,
            )?;
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
        audience.member(
            &mut mc_rng,
            &email,
            first,
            last,
            "",
            city,
            "",
            optin,
            None,
            keep,
        )?;
    }
    hub.flush().map_err(io_err(&hub_path))?;
    truth.flush().map_err(io_err(&truth_path))?;
    for (w, path) in audience.w.iter_mut().zip(&mc_paths) {
        w.flush().map_err(io_err(path))?;
    }
    drop(seen);
    for _ in 0..anon {
        planner.anonymous();
    }

    // GA4: even days on one thread, odd days on the other; each day has its own seeded stream.
    let Planner { visitors, days, .. } = planner;
    let mut jobs: [Vec<DayJob>; 2] = [Vec::new(), Vec::new()];
    let mut ga4_paths = Vec::with_capacity(DAYS);
    for (d, sessions) in days.into_iter().enumerate() {
        let day = date
            .checked_sub_days(chrono::Days::new((DAYS - 1 - d) as u64))
            .ok_or_else(|| bad(format!("export date {date} too early")))?;
        let path = out_dir
            .join("ga4")
            .join(format!("events_{}.json", day.format("%Y%m%d")));
        ga4_paths.push(path.clone());
        jobs[d % 2].push((d, day, path, sessions));
    }
    let (seed, visitors) = (opts.seed, &visitors);
    let results = std::thread::scope(|scope| {
        let handles: Vec<_> = jobs
            .into_iter()
            .map(|job| {
                scope.spawn(move || -> Result<(u64, u64)> {
                    let mut sum = (0, 0);
                    for (d, day, path, mut sessions) in job {
                        let (e, b) = write_day(&path, day, d, &mut sessions, visitors, seed, keep)?;
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
    let (mut events, mut ga4_bytes) = (0, 0);
    for r in results {
        let (e, b) = r?;
        events += e;
        ga4_bytes += b;
    }

    let meta_path = out_dir.join("meta").join("page_insights.json");
    write_meta(
        &meta_path,
        &mut XRng::seed_from_u64(opts.seed ^ 0x6D65_7461),
        total,
        date,
    )?;
    let mut files = vec![hub_path];
    files.extend(mc_paths);
    files.extend(ga4_paths);
    files.extend([meta_path, truth_path]);
    let secs = started.elapsed().as_secs_f64();
    tracing::info!(contacts = total, events, ga4_bytes, secs, mb_per_s = ga4_bytes as f64 / 1e6 / secs.max(1e-9), out = %out_dir.display(), "generated sample exports");
    Ok(GenerateSummary {
        contacts: total,
        events,
        ga4_bytes,
        files,
    })
}
