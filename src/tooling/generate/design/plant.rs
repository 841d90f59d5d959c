//! The planted personas of a design: one [`Profile`] per persona, drawn from the seed, the
//! population profile (one unimodal distribution per attribute with the personas' overall level
//! and spread), and the [`Model`] that says, attribute by attribute, whether a contact follows
//! its persona's profile or the population's.

use rand::Rng;
use rand_xoshiro::Xoshiro256PlusPlus as XRng;

use super::catalog::{signal_mask, Attr, Plan, ATTRS, DESIGNS, PLANS};
use super::draw::{categoricals, home_levels, mixes, separated, Cat, Homes, LogNormal};
use super::tables::{DEVICE_CATEGORIES, STATUSES};
use super::tables::{GENDERS, LIFECYCLE, MEDIUMS, PAGES, RATINGS, ROLES, SENIORITY, SOURCES, TAGS};

/// Share of contacts with no web activity at all.
pub(super) const NO_WEB: f64 = 0.03;
/// Within-persona sd of log employees and log revenue.
const SIGMA_FIRM: f64 = 0.7;
/// Within-persona sd of log (age - 18).
const SIGMA_AGE: f64 = 0.3;
/// Within-persona sd of log events per contact.
const SIGMA_EVENTS: f64 = 0.35;
/// Mailchimp status mix a persona's home status is blended into.
const STATUS_BASE: [f64; 3] = [0.82, 0.13, 0.05];

/// One persona's distribution of every attribute.
#[derive(Debug, Clone)]
pub(super) struct Profile {
    /// Over [`SENIORITY`].
    pub(super) seniority: Cat,
    /// Over the design's industries.
    pub(super) industry: Cat,
    /// Number of employees.
    pub(super) employees: LogNormal,
    /// Total revenue.
    pub(super) revenue: LogNormal,
    /// Over the design's countries.
    pub(super) country: Cat,
    /// Age above 18.
    pub(super) age: LogNormal,
    /// Over [`GENDERS`].
    pub(super) gender: Cat,
    /// Over [`ROLES`].
    pub(super) roles: Cat,
    /// Over [`LIFECYCLE`].
    pub(super) lifecycle: Cat,
    /// Over [`SOURCES`].
    pub(super) source: Cat,
    /// Over [`RATINGS`].
    pub(super) rating: Cat,
    /// Over [`STATUSES`].
    pub(super) status: Cat,
    /// Probability of each of [`TAGS`].
    pub(super) tags: Vec<f64>,
    /// Mix over the content groups of [`PAGES`].
    pub(super) sections: Vec<f64>,
    /// Over [`DEVICE_CATEGORIES`], per session.
    pub(super) devices: Cat,
    /// Over [`MEDIUMS`], per session.
    pub(super) mediums: Cat,
    /// Web events per contact.
    pub(super) events: LogNormal,
    /// Mean events per session.
    pub(super) per_session: f64,
}

/// A design's profiles and how contacts follow them.
#[derive(Debug, Clone)]
pub(super) struct Model {
    /// One per persona (for `null`: the hidden profiles the population is made from).
    pub(super) profiles: Vec<Profile>,
    /// Share of each profile.
    pub(super) shares: Vec<f64>,
    /// What attributes without signal (and noise) are drawn from.
    pub(super) population: Profile,
    noise: f64,
    signal: [bool; ATTRS],
    /// Planted personas (0 for `null`).
    pub(super) personas: usize,
    /// Buying roles half buyers, half users in every persona.
    pub(super) roles_spread: bool,
    /// Country levels used.
    pub(super) countries: usize,
}

impl Model {
    /// Draws design `index`'s profiles from `seed`, scaled to `events_per_contact`.
    pub(super) fn new(index: usize, seed: u64, events_per_contact: f64) -> Model {
        let (info, plan) = (&DESIGNS[index], &PLANS[index]);
        let mut rng: XRng = rand::SeedableRng::seed_from_u64(seed ^ 0x706C_616E_7465_6421);
        let profiles = draw_profiles(&mut rng, plan, events_per_contact);
        let target = events_per_contact.max(1e-9) / (1.0 - NO_WEB);
        Model {
            population: population(&profiles, plan.shares, target),
            profiles,
            shares: plan.shares.to_vec(),
            noise: plan.noise,
            signal: signal_mask(info),
            personas: info.personas,
            roles_spread: info.roles_spread,
            countries: plan.countries,
        }
    }

    /// The profile attribute `a` of a contact of persona `p` is drawn from: its own with
    /// probability `1 - noise` when `a` carries the design's signal, otherwise the population.
    /// `None` (list-only members, anonymous visitors, `null`) always gets the population.
    pub(super) fn source(&self, rng: &mut XRng, p: Option<usize>, a: Attr) -> &Profile {
        match p {
            Some(p) if self.signal[a as usize] && rng.gen::<f64>() >= self.noise => {
                &self.profiles[p]
            }
            _ => &self.population,
        }
    }

    /// Contacts of each persona, `contacts` in all, by share (largest remainders round up).
    pub(super) fn counts(&self, contacts: usize) -> Vec<usize> {
        let exact: Vec<f64> = self.shares.iter().map(|s| s * contacts as f64).collect();
        let mut counts: Vec<usize> = exact.iter().map(|x| x.floor() as usize).collect();
        let mut order: Vec<usize> = (0..counts.len()).collect();
        order.sort_by(|&a, &b| {
            (exact[b] - exact[b].floor()).total_cmp(&(exact[a] - exact[a].floor()))
        });
        let short = contacts.saturating_sub(counts.iter().sum());
        for &i in order.iter().cycle().take(short) {
            counts[i] += 1;
        }
        counts
    }
}

/// How much a plan's focus sharpens the personas' homes: every home mass moves toward 0.97
/// and extra homes are taken away.
#[derive(Clone, Copy)]
struct Focus(f64);

impl Focus {
    /// A home mass, sharpened.
    fn sharpen(self, m: f64) -> f64 {
        m + self.0 * (0.97 - m)
    }

    /// Homes of `few` to `most` levels (fewer with focus) holding `lo` to `hi` of the mass.
    fn homes(self, (few, most): (usize, usize), (lo, hi): (f64, f64)) -> Homes {
        Homes {
            count: (few, most - (self.0 * (most - few) as f64).round() as usize),
            mass: (self.sharpen(lo), self.sharpen(hi)),
            adjacent: false,
        }
    }
}

/// The plan's personas' profiles, drawn attribute by attribute from `rng`, events scaled so
/// that the mean over contacts is `events_per_contact`.
fn draw_profiles(rng: &mut XRng, plan: &Plan, events_per_contact: f64) -> Vec<Profile> {
    let k = plan.shares.len();
    let f = Focus(plan.focus);
    let homes = |count, mass| f.homes(count, mass);
    let seniority = categoricals(rng, k, SENIORITY.len(), homes((2, 3), (0.85, 0.95)));
    let industry = categoricals(rng, k, plan.industries, homes((1, 3), (0.75, 0.9)));
    let employees = separated(rng, k, 120f64.ln(), SIGMA_FIRM, plan.gap);
    let revenue = separated(rng, k, 12_000f64.ln(), SIGMA_FIRM, plan.gap);
    let country = categoricals(rng, k, plan.countries, homes((1, 3), (0.7, 0.85)));
    let age = separated(rng, k, 20f64.ln(), SIGMA_AGE, plan.gap);
    let gender = categoricals(rng, k, GENDERS.len(), homes((1, 1), (0.4, 0.7)));
    let roles = categoricals(rng, k, ROLES.len(), homes((1, 2), (0.7, 0.85)));
    let lifecycle = categoricals(rng, k, LIFECYCLE.len(), homes((1, 2), (0.7, 0.85)));
    let source = categoricals(rng, k, SOURCES.len(), homes((1, 2), (0.7, 0.85)));
    let rating_homes = Homes {
        adjacent: true,
        ..homes((1, 2), (0.75, 0.9))
    };
    let rating = categoricals(rng, k, RATINGS.len(), rating_homes);
    let status = statuses(rng, k, f);
    let tags = tag_probabilities(rng, k, f);
    let sections = mixes(rng, k, PAGES.len(), f.0);
    let devices = mixes(rng, k, DEVICE_CATEGORIES.len(), f.0);
    let mediums = mixes(rng, k, MEDIUMS.len(), f.0);
    // Events: separated log-means, then shifted so that the mean over contacts is right.
    // (At most 2 sds apart: wider, the quietest persona would hardly be seen on the site.)
    let events = separated(rng, k, 0.0, SIGMA_EVENTS, plan.gap.min(2.0));
    let mean: f64 = (plan.shares.iter().zip(&events))
        .map(|(s, mu)| s * (mu + SIGMA_EVENTS * SIGMA_EVENTS / 2.0).exp())
        .sum();
    let shift = (events_per_contact.max(1e-9) / (1.0 - NO_WEB) / mean).ln();
    let log_normal = |mu: f64, sigma: f64| LogNormal { mu, sigma };
    (0..k)
        .map(|i| Profile {
            seniority: seniority[i].clone(),
            industry: industry[i].clone(),
            employees: log_normal(employees[i], SIGMA_FIRM),
            revenue: log_normal(revenue[i], SIGMA_FIRM),
            country: country[i].clone(),
            age: log_normal(age[i], SIGMA_AGE),
            gender: gender[i].clone(),
            roles: roles[i].clone(),
            lifecycle: lifecycle[i].clone(),
            source: source[i].clone(),
            rating: rating[i].clone(),
            status: status[i].clone(),
            tags: tags[i].clone(),
            sections: sections[i].clone(),
            devices: Cat::new(&devices[i]),
            mediums: Cat::new(&mediums[i]),
            events: log_normal(events[i] + shift, SIGMA_EVENTS),
            per_session: rng.gen_range(2.5..6.0),
        })
        .collect()
}

/// `k` Mailchimp status mixes: one home status each, blended into [`STATUS_BASE`].
fn statuses(rng: &mut XRng, k: usize, f: Focus) -> Vec<Cat> {
    home_levels(rng, k, STATUSES.len(), f.homes((1, 1), (0.0, 0.0)))
        .iter()
        .map(|h| {
            let mass = rng.gen_range(f.sharpen(0.5)..=f.sharpen(0.7));
            let mut w = STATUS_BASE.map(|b| b * (1.0 - mass));
            w[h[0]] += mass;
            Cat::new(&w)
        })
        .collect()
}

/// `k` sets of tag probabilities: two or three home tags likely, the others rare.
fn tag_probabilities(rng: &mut XRng, k: usize, f: Focus) -> Vec<Vec<f64>> {
    home_levels(rng, k, TAGS.len(), f.homes((2, 3), (0.0, 0.0)))
        .iter()
        .map(|h| {
            (0..TAGS.len())
                .map(|t| {
                    if h.contains(&t) {
                        rng.gen_range(f.sharpen(0.55)..=f.sharpen(0.9))
                    } else {
                        rng.gen_range(0.01..0.05) * (1.0 - 0.8 * f.0)
                    }
                })
                .collect()
        })
        .collect()
}

/// The population profile: categoricals and mixes averaged by share, numerics log-normal with
/// the personas' overall mean and variance of the log (so one mode, not one per persona), tags
/// independent with their average probability, events per contact averaging `target_events`.
fn population(profiles: &[Profile], shares: &[f64], target_events: f64) -> Profile {
    let avg = |f: &dyn Fn(&Profile) -> Vec<f64>| -> Vec<f64> {
        let mut out = vec![0.0; f(&profiles[0]).len()];
        for (p, s) in profiles.iter().zip(shares) {
            for (o, x) in out.iter_mut().zip(f(p)) {
                *o += s * x;
            }
        }
        out
    };
    let cat = |f: &dyn Fn(&Profile) -> &Cat| Cat::new(&avg(&|p| f(p).probs()));
    let log_normal = |f: &dyn Fn(&Profile) -> LogNormal| {
        let mu: f64 = profiles.iter().zip(shares).map(|(p, s)| s * f(p).mu).sum();
        let var: f64 = (profiles.iter().zip(shares))
            .map(|(p, s)| s * (f(p).sigma.powi(2) + (f(p).mu - mu).powi(2)))
            .sum();
        LogNormal {
            mu,
            sigma: var.sqrt(),
        }
    };
    let events = log_normal(&|p| p.events);
    Profile {
        seniority: cat(&|p| &p.seniority),
        industry: cat(&|p| &p.industry),
        employees: log_normal(&|p| p.employees),
        revenue: log_normal(&|p| p.revenue),
        country: cat(&|p| &p.country),
        age: log_normal(&|p| p.age),
        gender: cat(&|p| &p.gender),
        roles: cat(&|p| &p.roles),
        lifecycle: cat(&|p| &p.lifecycle),
        source: cat(&|p| &p.source),
        rating: cat(&|p| &p.rating),
        status: cat(&|p| &p.status),
        tags: avg(&|p| p.tags.clone()),
        sections: avg(&|p| p.sections.clone()),
        devices: cat(&|p| &p.devices),
        mediums: cat(&|p| &p.mediums),
        events: LogNormal {
            mu: target_events.ln() - events.sigma.powi(2) / 2.0,
            sigma: events.sigma,
        },
        per_session: avg(&|p| vec![p.per_session])[0],
    }
}
