//! The GA4 side of a design: a visitor per CRM contact with web activity (plus anonymous
//! visitors, ~20 % of events), their sessions over the export's days, and the [`Site`] the
//! shared GA4 writer asks about them. Each session has its own device and traffic medium; each
//! page view its own content group, from the contact's mix.

use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus as XRng;

use super::super::ga4::{Page, Site, Who};
use super::super::sessions::{pseudo_id, round_random, session_count, Schedule, Session};
use super::super::tables::City;
use super::super::util::pick;
use super::super::{DAYS, S};
use super::catalog::Attr;
use super::draw::{dirichlet, Cat};
use super::plant::{Model, NO_WEB};
use super::tables::{DEVICES, DEVICE_CATEGORIES, EXTRA_EVENTS, MEDIUMS, PAGES, TRAFFIC};
/// How closely a contact's content mix follows its profile's (Dirichlet concentration).
const MIX_CONCENTRATION: f64 = 50.0;
/// Content groups of [`PAGES`].
const GROUPS: usize = 5;

/// One web visitor: a CRM contact (`user_id` > 0) or an anonymous one.
pub(super) struct Visitor {
    user_id: u32,
    pseudo: (u32, u32),
    city: &'static City,
    /// Cumulative content mix over the groups of [`PAGES`].
    sections: [f32; GROUPS],
}

/// Plans every visitor's sessions from one seeded stream.
pub(super) struct Planner<'m> {
    model: &'m Model,
    rng: XRng,
    day0: i64,
    /// Visitors planned so far.
    pub(super) visitors: Vec<Visitor>,
    /// Sessions by day index, each with its device and traffic source (see [`DesignSite`]).
    pub(super) days: Vec<Vec<Session<(u8, u8)>>>,
    by_device: Vec<Vec<u8>>,
    by_medium: Vec<Vec<u8>>,
    schedule: Schedule,
}

fn variants(table: &[(u8, &str, &str)], n: usize) -> Vec<Vec<u8>> {
    (0..n)
        .map(|c| {
            (0..table.len() as u8)
                .filter(|&i| table[i as usize].0 as usize == c)
                .collect()
        })
        .collect()
}

impl<'m> Planner<'m> {
    /// A planner for `model`'s contacts, exports ending at `day0` (epoch seconds).
    pub(super) fn new(model: &'m Model, seed: u64, day0: i64, capacity: usize) -> Planner<'m> {
        Planner {
            model,
            rng: XRng::seed_from_u64(seed ^ 0x7765_625F_6465_7369),
            day0,
            visitors: Vec::with_capacity(capacity),
            days: vec![Vec::new(); DAYS],
            by_device: variants(DEVICES, DEVICE_CATEGORIES.len()),
            by_medium: variants(TRAFFIC, MEDIUMS.len()),
            schedule: Schedule::default(),
        }
    }

    fn visitor(&mut self, user_id: u32, city: &'static City, mix: &[f64]) -> u32 {
        let rng = &mut self.rng;
        let alpha: Vec<f64> = mix.iter().map(|m| m * MIX_CONCENTRATION).collect();
        let own = dirichlet(rng, &alpha);
        let mut sections = [0f32; GROUPS];
        let mut acc = 0.0;
        for (s, w) in sections.iter_mut().zip(&own) {
            acc += w;
            *s = acc as f32;
        }
        sections[GROUPS - 1] = f32::INFINITY;
        let pseudo = pseudo_id(rng, self.day0);
        self.visitors.push(Visitor {
            user_id,
            pseudo,
            city,
            sections,
        });
        (self.visitors.len() - 1) as u32
    }

    /// Plans the sessions of CRM contact `id` of persona `p` (`None` = population).
    pub(super) fn contact(&mut self, p: Option<usize>, id: u64, city: &'static City) {
        let model = self.model;
        if self.rng.gen_bool(NO_WEB) {
            return;
        }
        let activity = model.source(&mut self.rng, p, Attr::Activity);
        let x = activity.events.draw(&mut self.rng).min(2_000.0);
        let n = round_random(&mut self.rng, x);
        let sections = &model.source(&mut self.rng, p, Attr::Sections).sections;
        let devices = &model.source(&mut self.rng, p, Attr::Devices).devices;
        let mediums = &model.source(&mut self.rng, p, Attr::Mediums).mediums;
        if n == 0 {
            return;
        }
        let sessions = session_count(n, activity.per_session);
        let v = self.visitor(id as u32, city, sections);
        self.plan(v, n, sessions, devices, mediums);
    }

    /// Plans an anonymous visitor drawn from the population: one short session.
    pub(super) fn anonymous(&mut self, city: &'static City) {
        let model = self.model;
        let sections = &model.source(&mut self.rng, None, Attr::Sections).sections;
        let devices = &model.source(&mut self.rng, None, Attr::Devices).devices;
        let mediums = &model.source(&mut self.rng, None, Attr::Mediums).mediums;
        let v = self.visitor(0, city, sections);
        let n = self.rng.gen_range(1..=5);
        self.plan(v, n, 1, devices, mediums);
    }

    fn plan(&mut self, v: u32, n: u32, sessions: u32, devices: &Cat, mediums: &Cat) {
        let base = self.schedule.draw(&mut self.rng, n, sessions, false);
        let (rng, by_device, by_medium) = (&mut self.rng, &self.by_device, &self.by_medium);
        self.schedule.file(&mut self.days, v, base, |_, _| {
            let (d, m) = (devices.draw(rng), mediums.draw(rng));
            (*pick(rng, &by_device[d]), *pick(rng, &by_medium[m]))
        });
    }
}

/// A design's visitors as the GA4 writer sees them.
pub(super) struct DesignSite<'a> {
    pub(super) visitors: &'a [Visitor],
}

impl Site for DesignSite<'_> {
    /// The indices of the session's device in [`DEVICES`] and traffic source in [`TRAFFIC`].
    type Detail = (u8, u8);

    /// A contact's `user_id` is in every session; there are no draws.
    fn who(&self, _: &mut XRng, s: &Session<(u8, u8)>) -> Who {
        let v = &self.visitors[s.visitor as usize];
        let (d, t) = (DEVICES[s.detail.0 as usize], TRAFFIC[s.detail.1 as usize]);
        Who {
            user_id: (v.user_id > 0).then_some(v.user_id),
            pseudo: v.pseudo,
            device: [DEVICE_CATEGORIES[d.0 as usize], d.1, d.2],
            city: v.city,
            traffic: [t.1, MEDIUMS[t.0 as usize], t.2],
        }
    }

    fn tagged(&self, medium: &str) -> bool {
        matches!(medium, "cpc" | "email" | "social")
    }

    /// Designs plant no purchases.
    fn purchase_cents(&self, _: &Session<(u8, u8)>) -> u32 {
        0
    }

    fn extra_event(&self, rng: &mut XRng, _: &Session<(u8, u8)>) -> S {
        pick::<_, S>(rng, EXTRA_EVENTS)
    }

    /// A page of a content group drawn from the visitor's own mix.
    fn page(&self, rng: &mut XRng, s: &Session<(u8, u8)>) -> &'static Page {
        let v = &self.visitors[s.visitor as usize];
        let u: f32 = rng.gen();
        let group = v.sections.iter().position(|&c| u < c).unwrap_or(GROUPS - 1);
        pick(rng, PAGES[group])
    }
}
