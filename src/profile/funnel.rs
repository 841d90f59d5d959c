//! The purchase funnel per persona, from the steps each contact took (`int_contact_funnel`):
//! visit -> product or pricing view -> cart -> checkout -> purchase. For every persona and step:
//! the contacts reaching it, the rate from the step before with its Wilson interval, the same
//! rate among the rest of the bucket, and the step where the persona drops off most against
//! the rest (marked only when a two-proportion z test finds the difference at the profile
//! `alpha`). A last row compares repeat and one-time buyers within the persona. The sinks write
//! the rows as `persona_funnel` and the report's cards tell them.

use super::stats::{two_proportions, wilson};
use super::Persona;

/// The funnel's steps, in order.
pub const STEPS: [&str; 5] = ["visit", "product", "cart", "checkout", "purchase"];
/// The row after the steps: the persona's buyers (with a counted order) who bought again.
pub const REPEAT: &str = "repeat";

/// The funnel steps one contact took, each its own (a contact may purchase without a logged
/// cart), and what kind of buyer it is by its counted orders.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ContactFunnel {
    /// Any logged-in web event.
    pub visited: bool,
    /// A page view of a product or pricing page.
    pub viewed_product: bool,
    /// A GA4 `add_to_cart`.
    pub added_to_cart: bool,
    /// A GA4 `begin_checkout`.
    pub began_checkout: bool,
    /// A GA4 `purchase` or a counted order.
    pub purchased: bool,
    /// At least one counted order (`buyer_type` other than `none`).
    pub buyer: bool,
    /// Two or more counted orders (`buyer_type` `repeat` or `frequent`).
    pub repeat: bool,
}

impl ContactFunnel {
    /// How many steps the contact reached: a step counts when the contact took it or any later
    /// one (a buyer whose order came from a shop export reached every step before).
    pub fn depth(&self) -> usize {
        let took = [
            self.visited,
            self.viewed_product,
            self.added_to_cart,
            self.began_checkout,
            self.purchased,
        ];
        took.iter().rposition(|&t| t).map_or(0, |i| i + 1)
    }
}

/// One row of `persona_funnel`: a persona's step.
#[derive(Debug, Clone, PartialEq)]
pub struct FunnelStep {
    /// The persona's id.
    pub persona_id: String,
    /// Its bucket.
    pub bucket: String,
    /// The step: one of [`STEPS`], or [`REPEAT`].
    pub step: &'static str,
    /// 1 to 5 for the steps, 6 for [`REPEAT`].
    pub step_order: u32,
    /// The persona's contacts reaching the step (for [`REPEAT`]: its repeat buyers).
    pub contacts: usize,
    /// The contacts the rate is out of: all the persona's for the first step, those reaching
    /// the step before for the others, its buyers with a counted order for [`REPEAT`].
    pub base: usize,
    /// `contacts / base`; `None` when the base is 0.
    pub rate: Option<f64>,
    /// 95 % Wilson interval of the rate; `None` when the base is 0.
    pub rate_ci: Option<(f64, f64)>,
    /// The same count among the rest of the bucket.
    pub rest_contacts: usize,
    /// The same base among the rest of the bucket.
    pub rest_base: usize,
    /// The rest's rate; `None` when its base is 0.
    pub rest_rate: Option<f64>,
    /// Two-sided p-value of the two-proportion z test of the rate against the rest's; `None`
    /// when either base is 0.
    pub p_value: Option<f64>,
    /// The step where the persona converts least against the rest, the difference significant
    /// at `alpha`; at most one step per persona, never [`REPEAT`].
    pub biggest_drop: bool,
}

/// One persona's funnel in counts: its contacts, how many reached each step, its buyers and
/// repeat buyers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FunnelCounts {
    /// Contacts.
    pub size: usize,
    /// Contacts reaching each of [`STEPS`] ([`ContactFunnel::depth`] at least its number).
    pub reached: [usize; STEPS.len()],
    /// Buyers with a counted order.
    pub buyers: usize,
    /// Repeat buyers.
    pub repeat: usize,
}

impl FunnelCounts {
    fn add(&mut self, c: &ContactFunnel) {
        self.size += 1;
        for r in &mut self.reached[..c.depth()] {
            *r += 1;
        }
        self.buyers += usize::from(c.buyer);
        self.repeat += usize::from(c.repeat);
    }

    fn minus(&self, o: &FunnelCounts) -> FunnelCounts {
        FunnelCounts {
            size: self.size - o.size,
            reached: std::array::from_fn(|i| self.reached[i] - o.reached[i]),
            buyers: self.buyers - o.buyers,
            repeat: self.repeat - o.repeat,
        }
    }

    fn plus(&self, o: &FunnelCounts) -> FunnelCounts {
        FunnelCounts {
            size: self.size + o.size,
            reached: std::array::from_fn(|i| self.reached[i] + o.reached[i]),
            buyers: self.buyers + o.buyers,
            repeat: self.repeat + o.repeat,
        }
    }

    /// (count, base) of row `i`: a step, or [`REPEAT`] after them.
    fn row(&self, i: usize) -> (usize, usize) {
        match i {
            0 => (self.reached[0], self.size),
            i if i < STEPS.len() => (self.reached[i], self.reached[i - 1]),
            _ => (self.repeat, self.buyers),
        }
    }
}

fn rate(count: usize, base: usize) -> Option<f64> {
    (base > 0).then(|| count as f64 / base as f64)
}

/// Every persona's funnel rows, persona by persona in the order of `personas`. `contacts` is
/// indexed by feature-table row (a contact without funnel data took no step); `members` are
/// the (row, persona index) pairs of [`super::Profiled`].
pub fn persona_funnels(
    contacts: &[ContactFunnel],
    personas: &[Persona],
    members: &[(usize, usize)],
    alpha: f64,
) -> Vec<FunnelStep> {
    let counts = member_counts(contacts, personas.len(), members);
    funnels_of_counts(&counts, personas, alpha)
}

/// The [`FunnelCounts`] of each of `personas` personas from its `members` (row, persona
/// index), the steps of a row in `contacts` (a row past them took no step).
pub fn member_counts<'a>(
    contacts: &[ContactFunnel],
    personas: usize,
    members: impl IntoIterator<Item = &'a (usize, usize)>,
) -> Vec<FunnelCounts> {
    let mut counts = vec![FunnelCounts::default(); personas];
    for &(row, p) in members {
        counts[p].add(&contacts.get(row).copied().unwrap_or_default());
    }
    counts
}

/// Every persona's funnel rows from its counts (`counts[p]` those of `personas[p]`), persona
/// by persona: each against the rest of its bucket.
pub fn funnels_of_counts(
    counts: &[FunnelCounts],
    personas: &[Persona],
    alpha: f64,
) -> Vec<FunnelStep> {
    let mut out = Vec::with_capacity(personas.len() * (STEPS.len() + 1));
    for (p, persona) in personas.iter().enumerate() {
        let bucket = personas
            .iter()
            .zip(counts)
            .filter(|(q, _)| q.bucket == persona.bucket)
            .fold(FunnelCounts::default(), |acc, (_, c)| acc.plus(c));
        let rest = bucket.minus(&counts[p]);
        let mut rows: Vec<FunnelStep> = (0..=STEPS.len())
            .map(|i| step_row(persona, i, counts[p].row(i), rest.row(i)))
            .collect();
        mark_biggest_drop(&mut rows[..STEPS.len()], alpha);
        out.extend(rows);
    }
    out
}

/// Row `i` of a persona's funnel from its (count, base) and the rest's.
fn step_row(persona: &Persona, i: usize, mine: (usize, usize), rest: (usize, usize)) -> FunnelStep {
    let tested = mine.1 > 0 && rest.1 > 0;
    FunnelStep {
        persona_id: persona.id.clone(),
        bucket: persona.bucket.clone(),
        step: STEPS.get(i).copied().unwrap_or(REPEAT),
        step_order: i as u32 + 1,
        contacts: mine.0,
        base: mine.1,
        rate: rate(mine.0, mine.1),
        rate_ci: (mine.1 > 0).then(|| wilson(mine.0, mine.1)),
        rest_contacts: rest.0,
        rest_base: rest.1,
        rest_rate: rate(rest.0, rest.1),
        p_value: tested.then(|| two_proportions(mine.0, mine.1, rest.0, rest.1)),
        biggest_drop: false,
    }
}

/// Mark the step whose rate falls furthest below the rest's, if that difference is significant
/// at `alpha`; ties go to the earlier step.
fn mark_biggest_drop(steps: &mut [FunnelStep], alpha: f64) {
    let mut worst: Option<(usize, f64)> = None;
    for (i, s) in steps.iter().enumerate() {
        if let (Some(r), Some(rest)) = (s.rate, s.rest_rate) {
            let diff = r - rest;
            if diff < 0.0 && worst.is_none_or(|(_, w)| diff < w) {
                worst = Some((i, diff));
            }
        }
    }
    if let Some((i, _)) = worst {
        steps[i].biggest_drop = steps[i].p_value.is_some_and(|p| p < alpha);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn persona(id: &str, bucket: &str) -> Persona {
        Persona {
            id: id.into(),
            bucket: bucket.into(),
            ..Persona::default()
        }
    }

    /// A contact that went `depth` steps down the funnel, taking every step on the way.
    fn went(depth: usize) -> ContactFunnel {
        ContactFunnel {
            visited: depth >= 1,
            viewed_product: depth >= 2,
            added_to_cart: depth >= 3,
            began_checkout: depth >= 4,
            purchased: depth >= 5,
            ..ContactFunnel::default()
        }
    }

    /// `n` contacts at each depth in `depths` (depth, n), members of persona `p` from row
    /// `contacts.len()` on.
    fn add(
        contacts: &mut Vec<ContactFunnel>,
        members: &mut Vec<(usize, usize)>,
        p: usize,
        depths: &[(usize, usize)],
    ) {
        for &(depth, n) in depths {
            for _ in 0..n {
                members.push((contacts.len(), p));
                contacts.push(went(depth));
            }
        }
    }

    fn step<'a>(rows: &'a [FunnelStep], id: &str, step: &str) -> &'a FunnelStep {
        rows.iter()
            .find(|r| r.persona_id == id && r.step == step)
            .unwrap()
    }

    #[test]
    fn depth_counts_a_later_step_as_reaching_the_earlier_ones() {
        assert_eq!(ContactFunnel::default().depth(), 0);
        assert_eq!(went(3).depth(), 3);
        let shop_buyer = ContactFunnel {
            purchased: true,
            ..ContactFunnel::default()
        };
        assert_eq!(shop_buyer.depth(), 5);
    }

    #[test]
    fn rates_intervals_and_a_significant_drop_at_checkout() {
        let personas = [persona("persona_1", "all"), persona("persona_2", "all")];
        let (mut contacts, mut members) = (Vec::new(), Vec::new());
        // persona_1: 100 contacts, 90 visit, 60 view, 50 cart, 5 checkout, 4 purchase.
        add(
            &mut contacts,
            &mut members,
            0,
            &[(0, 10), (1, 30), (2, 10), (3, 45), (4, 1), (5, 4)],
        );
        // persona_2: 100 contacts, 80 visit, 50 view, 40 cart, 30 checkout, 20 purchase.
        add(
            &mut contacts,
            &mut members,
            1,
            &[(0, 20), (1, 30), (2, 10), (3, 10), (4, 10), (5, 20)],
        );
        let rows = persona_funnels(&contacts, &personas, &members, 0.05);
        assert_eq!(rows.len(), 2 * (STEPS.len() + 1));
        let visit = step(&rows, "persona_1", "visit");
        assert_eq!((visit.contacts, visit.base), (90, 100));
        assert_eq!(visit.rate, Some(0.9));
        assert_eq!(visit.rate_ci, Some(wilson(90, 100)));
        assert_eq!((visit.rest_contacts, visit.rest_base), (80, 100));
        let cart = step(&rows, "persona_1", "cart");
        assert_eq!((cart.contacts, cart.base), (50, 60));
        assert_eq!((cart.rest_contacts, cart.rest_base), (40, 50));
        let checkout = step(&rows, "persona_1", "checkout");
        assert_eq!((checkout.contacts, checkout.base), (5, 50));
        assert_eq!(checkout.rest_rate, Some(30.0 / 40.0));
        assert!(checkout.p_value.unwrap() < 1e-6);
        let marked: Vec<&str> = rows
            .iter()
            .filter(|r| r.biggest_drop)
            .map(|r| r.step)
            .collect();
        // persona_1 drops at checkout; persona_2's worst step (purchase: 20/30 against 4/5) is
        // too small a difference to mark.
        assert_eq!(marked, ["checkout"]);
        assert!(checkout.biggest_drop);
        assert_eq!(step(&rows, "persona_2", "checkout").step_order, 4);
    }

    #[test]
    fn a_drop_that_is_not_significant_is_not_marked() {
        let personas = [persona("persona_1", "all"), persona("persona_2", "all")];
        let (mut contacts, mut members) = (Vec::new(), Vec::new());
        // 10 of 20 against 12 of 20 at the first step: lower, but far from significant.
        add(&mut contacts, &mut members, 0, &[(0, 10), (1, 10)]);
        add(&mut contacts, &mut members, 1, &[(0, 8), (1, 12)]);
        let rows = persona_funnels(&contacts, &personas, &members, 0.05);
        let visit = step(&rows, "persona_1", "visit");
        assert!(visit.p_value.unwrap() > 0.05);
        assert!(rows.iter().all(|r| !r.biggest_drop));
    }

    #[test]
    fn the_rest_is_the_personas_own_bucket() {
        let personas = [persona("persona_1", "buyer"), persona("persona_2", "user")];
        let (mut contacts, mut members) = (Vec::new(), Vec::new());
        add(&mut contacts, &mut members, 0, &[(1, 5)]);
        add(&mut contacts, &mut members, 1, &[(1, 5)]);
        let rows = persona_funnels(&contacts, &personas, &members, 0.05);
        let visit = step(&rows, "persona_1", "visit");
        assert_eq!((visit.rest_contacts, visit.rest_base), (0, 0));
        assert_eq!((visit.rest_rate, visit.p_value), (None, None));
    }

    #[test]
    fn no_funnel_data_gives_zero_then_null_rates() {
        let personas = [persona("persona_1", "all"), persona("persona_2", "all")];
        let members = [(0, 0), (1, 0), (2, 1)];
        let rows = persona_funnels(&[], &personas, &members, 0.05);
        let visit = step(&rows, "persona_1", "visit");
        assert_eq!((visit.contacts, visit.base, visit.rate), (0, 2, Some(0.0)));
        assert_eq!(visit.rate_ci, Some(wilson(0, 2)));
        for r in rows.iter().filter(|r| r.step != "visit") {
            assert_eq!((r.contacts, r.base, r.rate, r.rate_ci), (0, 0, None, None));
            assert_eq!((r.rest_rate, r.p_value), (None, None));
        }
        assert!(rows.iter().all(|r| !r.biggest_drop));
    }

    #[test]
    fn repeat_buyers_are_compared_within_the_buyers() {
        let personas = [persona("persona_1", "all"), persona("persona_2", "all")];
        let buyer = |repeat| ContactFunnel {
            purchased: true,
            buyer: true,
            repeat,
            ..ContactFunnel::default()
        };
        let contacts = [
            buyer(true),
            buyer(false),
            buyer(false),
            went(1),
            buyer(true),
        ];
        let members = [(0, 0), (1, 0), (2, 0), (3, 0), (4, 1)];
        let rows = persona_funnels(&contacts, &personas, &members, 0.05);
        let repeat = step(&rows, "persona_1", REPEAT);
        assert_eq!((repeat.contacts, repeat.base, repeat.step_order), (1, 3, 6));
        assert_eq!((repeat.rest_contacts, repeat.rest_base), (1, 1));
        assert_eq!(repeat.rest_rate, Some(1.0));
        let purchase = step(&rows, "persona_1", "purchase");
        assert_eq!((purchase.contacts, purchase.base), (3, 3));
    }
}
