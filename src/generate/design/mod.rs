//! A second, independent synthetic-data generator: exports in exactly the formats and layout of
//! [`super::generate`] (HubSpot CSV, Mailchimp audience files, GA4 NDJSON per day, Meta page
//! insights, `truth.csv`), but from *designs* whose planted personas are drawn at random from
//! the seed, so the modelling can be tested on data it was not tuned on.
//!
//! A design names the feature-model columns its signal lands in ([`DesignInfo::signal_columns`]).
//! Each persona gets its own distribution of every attribute: categoricals concentrated on one
//! to three home levels (different personas, different homes), heavy-tailed numerics with
//! log-means well apart in random order, concentrated web mixes and activity levels. An
//! attribute in the design's signal set follows the contact's persona except with probability
//! `noise`; then, and for every attribute outside the signal set, it comes from the population:
//! one distribution per attribute with the personas' overall level and spread but a single
//! mode, the same for everyone, so it carries no signal. The `null` design draws everything
//! from the population of four hidden profiles.
//!
//! Streams: the profiles come from their own seeded stream (so they do not depend on the
//! number of contacts), then CRM, Mailchimp, the GA4 planner, each GA4 day and Meta have theirs.

mod audience;
mod catalog;
mod contacts;
mod draw;
mod plant;
mod tables;
#[cfg(test)]
mod tests;
mod web;

use std::collections::HashSet;
use std::fs;
use std::io::Write;
use std::path::Path;
use std::time::Instant;

use chrono::{NaiveDate, NaiveTime};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus as XRng;

use super::crm::unique_email;
use super::ga4::write_days;
use super::mailchimp::{list_email, Audience, Member};
use super::tables::{FIRST, FREE_MAIL, LAST};
use super::util::{io_err, pick};
use super::{finish, Exports, GenerateSummary};
use crate::error::{Error, Result};
use catalog::DESIGNS;
use contacts::draw_contact;
use plant::Model;
use web::{write_day, Planner};

/// Options of a design run.
#[derive(Debug, Clone)]
pub struct DesignOptions {
    /// Name of the design, one of [`designs`].
    pub design: String,
    /// CRM contacts in total.
    pub contacts: usize,
    /// Seeds the planted profiles and every draw.
    pub seed: u64,
    /// Date of the exports; GA4 covers the 30 days ending at (and including) it.
    pub export_date: NaiveDate,
    /// Mean GA4 events per CRM contact (anonymous visitors add ~25 % on top).
    pub events_per_contact: f64,
}

impl Default for DesignOptions {
    fn default() -> Self {
        DesignOptions {
            design: "all".to_string(),
            contacts: 5000,
            seed: 42,
            export_date: NaiveDate::from_ymd_opt(2026, 11, 20).unwrap_or_default(),
            events_per_contact: 10.0,
        }
    }
}

/// What a design plants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DesignInfo {
    /// Name, as given in [`DesignOptions::design`].
    pub name: &'static str,
    /// One line for `--help` and the README.
    pub description: &'static str,
    /// Planted personas (0 for the null design).
    pub personas: usize,
    /// Feature-model columns carrying the signal.
    pub signal_columns: &'static [&'static str],
    /// Buying roles spread across personas: every persona half buyers, half users.
    pub roles_spread: bool,
}

/// Every design, in a fixed order.
pub fn designs() -> &'static [DesignInfo] {
    &DESIGNS
}

/// The design called `name`.
pub fn info(name: &str) -> Option<&'static DesignInfo> {
    DESIGNS.iter().find(|d| d.name == name)
}

/// Persona label of persona index `p` in `truth.csv` (`none` for the null design).
fn label(p: Option<usize>) -> String {
    p.map_or_else(|| "none".to_string(), |p| format!("p{}", p + 1))
}

/// Writes the exports and `truth.csv` of design [`DesignOptions::design`] under `out_dir`, in
/// the layout of [`super::generate`] (HubSpot CSV at the root, `mailchimp/`, `ga4/` with one
/// file per day for the 30 days ending at the export date, `meta/page_insights.json`,
/// `truth.csv`), so [`super::pipeline_config`] reads it unchanged.
///
/// Deterministic for given options (same bytes); GA4 days are written by two threads, each day
/// from its own seeded stream.
pub fn generate_design(out_dir: &Path, opts: &DesignOptions) -> Result<GenerateSummary> {
    let started = Instant::now();
    let bad = |reason: String| Error::BadInput {
        file: out_dir.display().to_string(),
        reason,
    };
    let index = DESIGNS
        .iter()
        .position(|d| d.name == opts.design)
        .ok_or_else(|| {
            let known: Vec<&str> = DESIGNS.iter().map(|d| d.name).collect();
            bad(format!(
                "unknown design `{}`; one of {}",
                opts.design,
                known.join(", ")
            ))
        })?;
    if !(opts.events_per_contact.is_finite() && opts.events_per_contact >= 0.0) {
        return Err(bad(format!(
            "events_per_contact must be >= 0, got {}",
            opts.events_per_contact
        )));
    }
    if opts.contacts >= u32::MAX as usize {
        return Err(bad(format!("too many contacts: {}", opts.contacts)));
    }
    for d in ["", "mailchimp", "ga4", "meta"] {
        let d = out_dir.join(d);
        fs::create_dir_all(&d).map_err(io_err(&d))?;
    }
    let (date, total) = (opts.export_date, opts.contacts);
    let model = Model::new(index, opts.seed, opts.events_per_contact);
    let day0 = date.and_time(NaiveTime::MIN).and_utc().timestamp();
    let mut crm_rng = XRng::seed_from_u64(opts.seed ^ 0x6372_6D5F_6465_7369);
    let mut mc_rng = XRng::seed_from_u64(opts.seed ^ 0x6D63_5F64_6573_6967);
    let mut personas: Vec<Option<usize>> = if model.personas == 0 {
        vec![None; total]
    } else {
        let counts = model.counts(total);
        (0..counts.len())
            .flat_map(|p| std::iter::repeat_n(Some(p), counts[p]))
            .collect()
    };
    personas.shuffle(&mut crm_rng);
    let anon = (0.25 * total as f64 * opts.events_per_contact / 3.0).round() as usize;
    let mut planner = Planner::new(&model, opts.seed, day0, total + anon);

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
        let c = draw_contact(
            &model,
            &mut crm_rng,
            i as u64 + 1,
            p,
            day0,
            &mut seen,
            &mut line,
        );
        hub.write_all(line.as_bytes()).map_err(io_err(&paths.hub))?;
        truth.write_record([c.id.to_string().as_str(), &c.email, &label(p)])?;
        if mc_rng.gen_bool(0.97) {
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
            audience.write(&model, &mut mc_rng, c.persona, &member)?;
        }
        planner.contact(c.persona, c.id, c.city);
    }
    // List-only members: on the list, not in the CRM, drawn from the population.
    for _ in 0..(total as f64 * 0.03).round() as usize {
        let (first, last) = (*pick(&mut mc_rng, FIRST), *pick(&mut mc_rng, LAST));
        let city = pick(&mut mc_rng, &tables::COUNTRIES[..model.countries]);
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
        audience.write(&model, &mut mc_rng, None, &member)?;
    }
    paths.flush(&mut hub, &mut truth, &mut audience.w)?;
    drop(seen);
    let mut anon_rng = XRng::seed_from_u64(opts.seed ^ 0x616E_6F6E);
    for _ in 0..anon {
        planner.anonymous(pick(&mut anon_rng, &tables::COUNTRIES[..model.countries]));
    }

    // GA4: even days on one thread, odd days on the other; each day has its own seeded stream.
    let (seed, visitors) = (opts.seed, &planner.visitors);
    let ga4 = write_days(out_dir, date, planner.days, |job| {
        write_day(job, visitors, seed)
    })?;
    let mut meta_rng = XRng::seed_from_u64(opts.seed ^ 0x6D65_7461_5F64);
    let summary = finish(out_dir, date, total, &mut meta_rng, paths, ga4)?;
    let (events, ga4_bytes) = (summary.events, summary.ga4_bytes);
    let secs = started.elapsed().as_secs_f64();
    tracing::info!(design = %opts.design, contacts = total, events, ga4_bytes, secs, out = %out_dir.display(), "generated design exports");
    Ok(summary)
}
