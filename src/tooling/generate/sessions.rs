//! The sample's GA4 side: one visitor per CRM contact plus anonymous ones, their sessions spread
//! over the days of the export, all from one seeded stream, and the [`Site`] the GA4 writer
//! asks about them. The session schedule is shared with the designs.

use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus as XRng;

use super::crm::Contact;
use super::ga4::{Page, Site, Who};
use super::profiles::{pick_trait, src, Device, Traffic, PROFILES};
use super::tables::{City, CITIES};
use super::util::pick;
use super::{DAYS, PERSONAS, S};

/// Most events in one session.
pub(super) const MAX_SESSION_EVENTS: u32 = 40;

/// Sessions of a visitor with `n` events, `per_session` events per session on average.
pub(super) fn session_count(n: u32, per_session: f64) -> u32 {
    ((f64::from(n) / per_session).round() as u32)
        .max(n.div_ceil(MAX_SESSION_EVENTS))
        .min(n)
        .max(1)
}

/// `x` rounded down, or up with the probability of its fraction.
pub(super) fn round_random(rng: &mut XRng, x: f64) -> u32 {
    x.floor() as u32 + u32::from(rng.gen::<f64>() < x.fract())
}

/// A GA4 `user_pseudo_id`: a random number and a first visit within 400 days before `day0`.
pub(super) fn pseudo_id(rng: &mut XRng, day0: i64) -> (u32, u32) {
    (
        rng.gen_range(100_000_000..1_000_000_000),
        (day0 - rng.gen_range(0..400 * 86_400)) as u32,
    )
}

/// One visitor's sessions while they are planned: events per session and (day, start second),
/// buffers reused from visitor to visitor.
#[derive(Default)]
pub(super) struct Schedule {
    counts: Vec<u32>,
    times: Vec<(u8, u32)>,
}

impl Schedule {
    /// Spreads `n` events over `sessions` sessions (`n` >= `sessions` > 0): one each, then with
    /// `in_turn` one more each in order while any are left, the rest at random (at most
    /// [`MAX_SESSION_EVENTS`] each); draws each session's day and start second and returns the
    /// number of the first session.
    pub(super) fn draw(&mut self, rng: &mut XRng, n: u32, sessions: u32, in_turn: bool) -> u16 {
        self.counts.clear();
        self.counts.resize(sessions as usize, 1);
        let mut rest = n - sessions;
        if in_turn {
            for c in self.counts.iter_mut() {
                if rest > 0 {
                    *c += 1;
                    rest -= 1;
                }
            }
        }
        while rest > 0 {
            let i = rng.gen_range(0..self.counts.len());
            if self.counts[i] < MAX_SESSION_EVENTS {
                self.counts[i] += 1;
                rest -= 1;
            }
        }
        self.times.clear();
        self.times.extend(
            (0..sessions).map(|_| (rng.gen_range(0..DAYS as u8), rng.gen_range(0..82_000))),
        );
        self.times.sort_unstable();
        rng.gen_range(1..12u16)
    }

    /// Number of sessions drawn.
    pub(super) fn len(&self) -> usize {
        self.counts.len()
    }

    /// Files the sessions drawn, in time order, under their days as sessions of visitor `v`
    /// numbered from `base`; `detail` gives each its detail from its index and events.
    pub(super) fn file<D>(
        &self,
        days: &mut [Vec<Session<D>>],
        v: u32,
        base: u16,
        mut detail: impl FnMut(usize, u32) -> D,
    ) {
        let sessions = self.times.iter().zip(&self.counts);
        for (i, (&(day, start), &events)) in sessions.enumerate() {
            let detail = detail(i, events);
            days[day as usize].push(Session {
                visitor: v,
                start,
                events: events as u16,
                number: base + i as u16,
                detail,
            });
        }
    }
}

/// One web visitor: a CRM contact (`user_id` > 0) or an anonymous one.
pub(super) struct Visitor {
    pub(super) user_id: u32,
    pub(super) persona: u8,
    pub(super) device: &'static Device,
    pub(super) traffic: &'static Traffic,
    pub(super) city: &'static City,
    pub(super) pseudo: (u32, u32),
}
/// One session on one day, as either generator plans it: `D` is what that generator adds (the
/// sample: the purchase in cents, 0 for none; a design: the device and traffic source drawn).
#[derive(Clone, Copy)]
pub(super) struct Session<D> {
    /// Index of the visitor.
    pub(super) visitor: u32,
    /// Start, in seconds after midnight.
    pub(super) start: u32,
    /// Events in the session.
    pub(super) events: u16,
    /// `ga_session_number`.
    pub(super) number: u16,
    pub(super) detail: D,
}

/// Plans sessions per day for every visitor (single RNG stream, so deterministic).
pub(super) struct Planner {
    rng: XRng,
    keep: f64,
    mean_events: f64,
    day0: i64,
    /// Visitors planned so far.
    pub(super) visitors: Vec<Visitor>,
    /// Sessions by day index, each with its purchase in cents (0 = none).
    pub(super) days: Vec<Vec<Session<u32>>>,
    schedule: Schedule,
}

impl Planner {
    /// A planner drawing from its own stream of `seed`, `mean_events` web events per contact
    /// (before the profile's scale), exports ending at `day0`, room for `visitors`.
    pub(super) fn new(
        seed: u64,
        keep: f64,
        mean_events: f64,
        day0: i64,
        visitors: usize,
    ) -> Planner {
        Planner {
            rng: XRng::seed_from_u64(seed ^ 0x7765_625F_706C_616E),
            keep,
            mean_events,
            day0,
            visitors: Vec::with_capacity(visitors),
            days: vec![Vec::new(); DAYS],
            schedule: Schedule::default(),
        }
    }

    fn visitor(&mut self, user_id: u32, p: usize, city: &'static City) -> u32 {
        let rng = &mut self.rng;
        let (device, traffic) = (
            pick_trait(rng, p, self.keep, |x| x.devices),
            pick_trait(rng, p, self.keep, |x| x.traffic),
        );
        let city = if rng.gen_bool(0.9) {
            city
        } else {
            pick(rng, CITIES)
        };
        let pseudo = pseudo_id(rng, self.day0);
        self.visitors.push(Visitor {
            user_id,
            persona: p as u8,
            device,
            traffic,
            city,
            pseudo,
        });
        (self.visitors.len() - 1) as u32
    }

    /// Plans a CRM contact's sessions.
    pub(super) fn contact(&mut self, c: &Contact<usize>) {
        let v = self.visitor(c.id as u32, c.persona, c.city);
        let (p, keep) = (c.persona, self.keep);
        let prof = &PROFILES[src(&mut self.rng, p, keep)];
        if self.rng.gen::<f64>() < prof.zero {
            return;
        }
        let x = self.mean_events * prof.events / (1.0 - prof.zero) * self.rng.gen_range(0.3..1.7);
        let n = round_random(&mut self.rng, x);
        let per_session = PROFILES[src(&mut self.rng, p, keep)].per_session;
        let buy = PROFILES[src(&mut self.rng, p, keep)].buy;
        self.plan(v, n, session_count(n, per_session), buy);
    }

    /// Plans an anonymous visitor: one short session.
    pub(super) fn anonymous(&mut self) {
        let p = self.rng.gen_range(0..PERSONAS.len());
        let city = pick(&mut self.rng, CITIES);
        let v = self.visitor(0, p, city);
        let n = self.rng.gen_range(1..=5);
        self.plan(v, n, 1, (0.0, 0.0, 0.0));
    }

    fn plan(&mut self, v: u32, n: u32, sessions: u32, buy: (f64, f64, f64)) {
        if n == 0 {
            return;
        }
        let base = self.schedule.draw(&mut self.rng, n, sessions, true);
        let rng = &mut self.rng;
        let buyer = (rng.gen::<f64>() < buy.0).then(|| rng.gen_range(0..self.schedule.len()));
        self.schedule.file(&mut self.days, v, base, |i, events| {
            if buyer == Some(i) && events > 1 {
                (rng.gen_range(buy.1..buy.2) * 100.0) as u32
            } else {
                0
            }
        });
    }
}

/// The sample's visitors as the GA4 writer sees them.
pub(super) struct SampleSite<'a> {
    pub(super) visitors: &'a [Visitor],
    /// Share of draws that follow the visitor's own persona.
    pub(super) keep: f64,
}

impl Site for SampleSite<'_> {
    /// The purchase, in cents.
    type Detail = u32;

    /// A contact's `user_id` is sent in ~90 % of sessions.
    fn who(&self, rng: &mut XRng, s: &Session<u32>) -> Who {
        let v = &self.visitors[s.visitor as usize];
        let (d, t) = (v.device, v.traffic);
        Who {
            user_id: (v.user_id > 0 && rng.gen_bool(0.9)).then_some(v.user_id),
            pseudo: v.pseudo,
            device: [d.category, d.os, d.browser],
            city: v.city,
            traffic: [t.source, t.medium, t.name],
        }
    }

    fn tagged(&self, medium: &str) -> bool {
        !matches!(medium, "organic" | "referral")
    }

    fn purchase_cents(&self, s: &Session<u32>) -> u32 {
        s.detail
    }

    /// The persona's own extra event.
    fn extra_event(&self, _: &mut XRng, s: &Session<u32>) -> S {
        PROFILES[self.visitors[s.visitor as usize].persona as usize].extra_event
    }

    /// A page of a section drawn from the persona's profile.
    fn page(&self, rng: &mut XRng, s: &Session<u32>) -> &'static Page {
        let p = self.visitors[s.visitor as usize].persona as usize;
        let section: &&[Page] = pick_trait(rng, p, self.keep, |x| x.sections);
        pick(rng, section)
    }
}
