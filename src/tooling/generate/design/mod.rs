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
//! from the population of four hidden profiles. The `buying` design also plants buying
//! behaviour and survey answers per persona ([`buying`]): a Shopify orders export, a Typeform
//! responses export and GA4 e-commerce events added to the day files.
//!
//! Streams: the profiles come from their own seeded stream (so they do not depend on the
//! number of contacts), then CRM, Mailchimp, the GA4 planner, each GA4 day and Meta have theirs;
//! `buying`'s orders, carts and survey have theirs too, drawn after everything else.

mod audience;
mod buying;
mod catalog;
mod contacts;
mod draw;
mod plant;
mod tables;
#[cfg(test)]
mod tests;
mod web;

use std::path::Path;
use std::time::Instant;

use chrono::NaiveDate;
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus as XRng;

use super::exports::{bad_input, check_events_per_contact, create_dirs, Exports, Run, Streams};
use super::mailchimp::{Audience, Member};
use super::util::pick;
use super::GenerateSummary;
use crate::error::Result;
use catalog::DESIGNS;
use contacts::draw_contact;
use plant::Model;
use web::{DesignSite, Planner};

/// A design's GA4 day and Meta streams.
const STREAMS: Streams = Streams {
    day_mul: 0x5DEE_CE66_D1CE_4E5B,
    day_offset: 11,
    meta: 0x6D65_7461_5F64,
};

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
    /// Labels of the planted personas in `truth.csv` (empty: `p1`, `p2`, ...).
    pub persona_names: &'static [&'static str],
    /// Feature columns filled by the design's own sources (see [`design_config`]), to describe
    /// on the persona cards besides the defaults.
    pub describe: &'static [&'static str],
    /// Whether the robustness suite runs it when no design is named (`--design every`).
    pub in_every: bool,
}

/// Every design, in a fixed order.
pub fn designs() -> &'static [DesignInfo] {
    &DESIGNS
}

/// The design called `name`.
pub fn info(name: &str) -> Option<&'static DesignInfo> {
    DESIGNS.iter().find(|d| d.name == name)
}

/// Persona label of persona index `p` of design `info` in `truth.csv` (`none` for the null
/// design).
fn label(info: &DesignInfo, p: Option<usize>) -> String {
    match p {
        None => "none".to_string(),
        Some(p) => info
            .persona_names
            .get(p)
            .map_or_else(|| format!("p{}", p + 1), |n| n.to_string()),
    }
}

/// A pipeline config (TOML) reading the exports [`generate_design`] writes for `info` into
/// `data_dir`: [`super::pipeline_config`], plus the design's own sources and `[surveys]`
/// questions (`buying`: the Shopify orders export and the Typeform responses).
pub fn design_config(
    info: &DesignInfo,
    name: &str,
    data_dir: &str,
    output_dir: &str,
    sql_dir: &Path,
) -> String {
    let mut text = super::pipeline_config(name, data_dir, output_dir, sql_dir);
    if info.name == buying::NAME {
        text.push_str(&buying::config(data_dir));
    }
    text
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
    let bad = |reason: String| bad_input(out_dir, reason);
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
    check_events_per_contact(out_dir, opts.events_per_contact)?;
    if opts.contacts >= u32::MAX as usize {
        return Err(bad(format!("too many contacts: {}", opts.contacts)));
    }
    create_dirs(out_dir)?;
    let (date, total) = (opts.export_date, opts.contacts);
    let model = Model::new(index, opts.seed, opts.events_per_contact);
    let run = Run::new(out_dir, date, total);
    let day0 = run.day0;
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

    let info = &DESIGNS[index];
    let shop = info.name == buying::NAME;
    let mut buyers = Vec::with_capacity(if shop { total } else { 0 });
    let mut exports = Exports::open(&run, &mut mc_rng)?;
    for (i, &p) in personas.iter().enumerate() {
        let (seen, line) = (&mut exports.seen, &mut exports.line);
        let c = draw_contact(&model, &mut crm_rng, i as u64 + 1, p, day0, seen, line);
        let write = &mut |a: &mut Audience, rng: &mut XRng, m: &Member| a.write(&model, rng, p, m);
        exports.contact(&c, &label(info, p), &mut mc_rng, 0.97, write)?;
        planner.contact(c.persona, c.id, c.city);
        if let (true, Some(persona)) = (shop, p) {
            buyers.push(buying::Buyer::of(&c, persona));
        }
    }
    // List-only members: on the list, not in the CRM, drawn from the population.
    let countries = &tables::COUNTRIES[..model.countries];
    let write = &mut |a: &mut Audience, rng: &mut XRng, m: &Member| a.write(&model, rng, None, m);
    exports.list_only(&mut mc_rng, total, countries, write)?;
    let csv = exports.close()?;
    let mut anon_rng = XRng::seed_from_u64(opts.seed ^ 0x616E_6F6E);
    for _ in 0..anon {
        planner.anonymous(pick(&mut anon_rng, countries));
    }

    // GA4: even days on one thread, odd days on the other; each day has its own seeded stream.
    let site = DesignSite {
        visitors: &planner.visitors,
    };
    let mut summary = run.finish(csv, planner.days, &site, opts.seed, &STREAMS)?;
    if shop {
        // From streams of their own, after every other file: those stay as they were.
        buying::write(&run, opts.seed, &buyers, &mut summary)?;
    }
    let (events, ga4_bytes) = (summary.events, summary.ga4_bytes);
    let secs = started.elapsed().as_secs_f64();
    tracing::info!(design = %opts.design, contacts = total, events, ga4_bytes, secs, out = %out_dir.display(), "generated design exports");
    Ok(summary)
}
