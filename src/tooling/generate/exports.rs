//! The files both generators write the same way: the HubSpot export, `truth.csv` and the three
//! Mailchimp audience files, opened with their headers and written one contact (or list-only
//! member) at a time, then the end of a run (the GA4 days, Meta page insights, the summary).

use std::collections::HashSet;
use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use chrono::{NaiveDate, NaiveTime};
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus as XRng;

use super::crm::{unique_email, Contact};
use super::ga4::{write_days, Site};
use super::mailchimp::{list_email, status_columns, Audience, Member, MC_HEADER};
use super::meta::write_meta;
use super::sessions::Session;
use super::tables::{City, FIRST, FREE_MAIL, LAST};
use super::util::{create, hex10, io_err, pick};
use super::{GenerateSummary, HUBSPOT_HEADER};
use crate::error::{Error, Result};

/// A [`Error::BadInput`] about the run into `out_dir`.
pub(super) fn bad_input(out_dir: &Path, reason: String) -> Error {
    Error::BadInput {
        file: out_dir.display().to_string(),
        reason,
    }
}

/// Checks the mean web events per contact of a run into `out_dir`.
pub(super) fn check_events_per_contact(out_dir: &Path, events_per_contact: f64) -> Result<()> {
    if !(events_per_contact.is_finite() && events_per_contact >= 0.0) {
        return Err(bad_input(
            out_dir,
            format!("events_per_contact must be >= 0, got {events_per_contact}"),
        ));
    }
    Ok(())
}

/// Creates `out_dir` and its `mailchimp`, `ga4` and `meta` folders.
pub(super) fn create_dirs(out_dir: &Path) -> Result<()> {
    for d in ["", "mailchimp", "ga4", "meta"] {
        let d = out_dir.join(d);
        fs::create_dir_all(&d).map_err(io_err(&d))?;
    }
    Ok(())
}

/// Paths of the CSV files of a generator run.
pub(super) struct CsvPaths {
    /// The HubSpot contacts export.
    hub: PathBuf,
    /// `truth.csv`.
    truth: PathBuf,
    /// Mailchimp: subscribed, unsubscribed, cleaned.
    mc: [PathBuf; 3],
}

/// The CRM export, `truth.csv` and the Mailchimp audience of a generator run, open and with
/// their headers written, and the emails handed out so far.
pub(super) struct Exports {
    paths: CsvPaths,
    hub: BufWriter<File>,
    truth: csv::Writer<BufWriter<File>>,
    audience: Audience,
    /// Start of the export day (epoch seconds).
    day0: i64,
    /// Every email handed out (CRM contacts and list-only members).
    pub(super) seen: HashSet<String>,
    /// The HubSpot row of the contact being written.
    pub(super) line: String,
}

/// Draws the rest of a member's audience row and writes it (the generators differ here).
pub(super) type WriteMember<'a> = dyn FnMut(&mut Audience, &mut XRng, &Member) -> Result<()> + 'a;

impl Exports {
    /// Creates the files of `run` (its folder must hold a `mailchimp` folder); the Mailchimp
    /// export id comes from `rng`.
    pub(super) fn open(run: &Run, rng: &mut XRng) -> Result<Exports> {
        let Run {
            out_dir,
            date,
            day0,
            contacts,
        } = *run;
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
        let w = writers
            .try_into()
            .map_err(|_| bad_input(out_dir, "mailchimp writers".into()))?;
        Ok(Exports {
            paths: CsvPaths {
                hub: hub_path,
                truth: truth_path,
                mc: mc_paths,
            },
            hub,
            truth,
            audience: Audience {
                w,
                leid: 41_000_000,
                end: day0 + 86_399,
            },
            day0,
            seen: HashSet::with_capacity(contacts + contacts / 20 + 16),
            line: String::with_capacity(512),
        })
    }

    /// Writes contact `c`, whose HubSpot row is in [`Exports::line`], to the CRM export and,
    /// with its planted persona `label`, to `truth.csv`; with probability `listed` (drawn from
    /// `rng`, as everything after) it is on the Mailchimp list too, in its own spelling, opted
    /// in within 30 days of its creation, and `write` draws the rest of its member row.
    pub(super) fn contact<P>(
        &mut self,
        c: &Contact<P>,
        label: &str,
        rng: &mut XRng,
        listed: f64,
        write: &mut WriteMember,
    ) -> Result<()> {
        self.hub
            .write_all(self.line.as_bytes())
            .map_err(io_err(&self.paths.hub))?;
        self.truth
            .write_record([c.id.to_string().as_str(), &c.email, label])?;
        if rng.gen_bool(listed) {
            let email = list_email(rng, &c.email);
            let optin = (c.created + rng.gen_range(0..30 * 86_400)).min(self.day0);
            let member = Member {
                email: &email,
                first: c.first,
                last: c.last,
                phone: &c.phone,
                city: c.city,
                birthday: &c.birthday,
                optin,
            };
            write(&mut self.audience, rng, &member)?;
        }
        Ok(())
    }

    /// Writes the list-only members, ~3 % of `contacts`: people on the list but not in the CRM,
    /// each from a city of `cities` with a free-mail address, `write` drawing the rest of their
    /// member rows.
    pub(super) fn list_only(
        &mut self,
        rng: &mut XRng,
        contacts: usize,
        cities: &'static [City],
        write: &mut WriteMember,
    ) -> Result<()> {
        for _ in 0..(contacts as f64 * 0.03).round() as usize {
            let (first, last, city) = (*pick(rng, FIRST), *pick(rng, LAST), pick(rng, cities));
            let domain = *pick(rng, FREE_MAIL);
            let email = unique_email(rng, first, last, domain, &mut self.seen);
            let optin = self.day0 - rng.gen_range(1..1000 * 86_400);
            let member = Member {
                email: &email,
                first,
                last,
                phone: "",
                city,
                birthday: "",
                optin,
            };
            write(&mut self.audience, rng, &member)?;
        }
        Ok(())
    }

    /// Flushes the files and returns their paths (the emails handed out are dropped).
    pub(super) fn close(mut self) -> Result<CsvPaths> {
        let paths = self.paths;
        self.hub.flush().map_err(io_err(&paths.hub))?;
        self.truth.flush().map_err(io_err(&paths.truth))?;
        for (w, path) in self.audience.w.iter_mut().zip(&paths.mc) {
            w.flush().map_err(io_err(path))?;
        }
        Ok(paths)
    }
}

/// How a generator derives the streams of the end of its run from its seed: GA4 day `d` is
/// seeded with `seed ^ day_mul.wrapping_mul(d + day_offset)`, Meta page insights with
/// `seed ^ meta`.
pub(super) struct Streams {
    pub(super) day_mul: u64,
    pub(super) day_offset: u64,
    pub(super) meta: u64,
}

/// What a generator run writes into: the folder, the export date (GA4 covers the 30 days
/// ending at it) and its start, and the number of CRM contacts.
#[derive(Debug, Clone, Copy)]
pub(super) struct Run<'a> {
    pub(super) out_dir: &'a Path,
    pub(super) date: NaiveDate,
    /// Start of the export date (epoch seconds).
    pub(super) day0: i64,
    pub(super) contacts: usize,
}

impl Run<'_> {
    /// A run of `contacts` CRM contacts into `out_dir`, exports dated `date`.
    pub(super) fn new(out_dir: &Path, date: NaiveDate, contacts: usize) -> Run<'_> {
        Run {
            out_dir,
            date,
            day0: date.and_time(NaiveTime::MIN).and_utc().timestamp(),
            contacts,
        }
    }

    /// The end of the run once the CSV files are written: writes the GA4 days of `site`
    /// (`days[d]` holding day `d`'s sessions) and `meta/page_insights.json`, each from its
    /// own stream of `streams` under `seed`, and returns the summary, its files in order:
    /// HubSpot, Mailchimp, GA4 days, Meta, truth.
    pub(super) fn finish<W: Site>(
        &self,
        csv: CsvPaths,
        days: Vec<Vec<Session<W::Detail>>>,
        site: &W,
        seed: u64,
        streams: &Streams,
    ) -> Result<GenerateSummary> {
        let day_rng = |d: usize| {
            XRng::seed_from_u64(seed ^ streams.day_mul.wrapping_mul(d as u64 + streams.day_offset))
        };
        let ga4 = write_days(self.out_dir, self.date, days, site, day_rng)?;
        let meta_path = self.out_dir.join("meta").join("page_insights.json");
        let mut meta_rng = XRng::seed_from_u64(seed ^ streams.meta);
        write_meta(&meta_path, &mut meta_rng, self.contacts, self.date)?;
        let mut files = vec![csv.hub];
        files.extend(csv.mc);
        files.extend(ga4.paths);
        files.extend([meta_path, csv.truth]);
        Ok(GenerateSummary {
            contacts: self.contacts,
            events: ga4.events,
            ga4_bytes: ga4.bytes,
            files,
        })
    }
}
