//! The `buying` design's own exports: three buyer personas (repeat buyers, cart abandoners who
//! cite the price, one-time buyers) planted in what they buy and what they answer, on top of the
//! firmographic signal every design plants. Written after the design's usual files, each from
//! its own seeded stream, so nothing else moves:
//! - `shopify/orders_export_1.csv` ([`orders`]): a year of orders in the Shopify admin export's
//!   shape (one row per line item, order-level fields on the first row only, `+0100`/`+0200`
//!   shop times, discount codes, a few refunds, a few point-of-sale orders without email);
//! - `typeform/responses.csv` ([`survey`]): ~60 % of contacts answer four questions, two of
//!   them planted per persona and two answered at random by everyone;
//! - GA4 e-commerce events ([`carts`]), appended to the day files: `add_to_cart`,
//!   `begin_checkout` and `purchase` (transaction id = the order's `Name`) for the orders of the
//!   30 GA4 days, and carts abandoned (no purchase within 7 days) by the abandoners.
//!
//! What each persona plants is [`PLANTS`]; [`config`] is what a pipeline needs to read it.

mod carts;
mod orders;
mod survey;
#[cfg(test)]
mod tests;

use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus as XRng;

use super::super::crm::Contact;
use super::super::exports::Run;
use super::super::tables::City;
use super::super::GenerateSummary;
use crate::error::Result;

/// The design's name in the catalogue.
pub(super) const NAME: &str = "buying";
/// The planted personas, as `truth.csv` labels them, in the order of [`PLANTS`].
pub(super) const PERSONAS: &[&str] = &["repeat", "abandoners", "one_time"];
/// The purchase feature columns the design fills, described on the persona cards.
pub(super) const DESCRIBE: &[&str] = &[
    "buyer_type",
    "orders",
    "aov",
    "discount_share",
    "cart_abandoned",
    "checkout_abandoned",
];

/// Orders over the year before the export date.
const ORDER_DAYS: i64 = 365;
/// Share of contacts who answer the survey.
const RESPONSE_RATE: f64 = 0.6;

/// "What stops you from buying?": its options, planted per persona.
pub(super) const BARRIER: &str = "What stops you from buying?";
/// Options of [`BARRIER`].
pub(super) const BARRIERS: &[&str] = &[
    "Price",
    "Delivery time",
    "Trust",
    "Product range",
    "Nothing",
];
/// "What is your main reason to buy from us?": planted per persona.
pub(super) const REASON: &str = "What is your main reason to buy from us?";
/// Options of [`REASON`].
pub(super) const REASONS: &[&str] = &["Quality", "Price", "Sustainability", "Style", "Convenience"];
/// Answered uniformly at random by everyone.
pub(super) const COLOUR: &str = "Which colour do you prefer?";
/// Options of [`COLOUR`].
pub(super) const COLOURS: &[&str] = &["Black", "White", "Navy", "Green"];
/// A 1-5 scale answered uniformly at random by everyone.
pub(super) const SCALE: &str = "How important is sustainable packaging to you?";

/// What a persona plants.
pub(super) struct Plant {
    /// Fewest and most orders placed over the year (each count equally likely).
    pub(super) orders: (u32, u32),
    /// Share of orders with a discount code.
    pub(super) discount: f64,
    /// Share of contacts who abandon carts in the GA4 days, and how many (fewest, most).
    pub(super) abandon: (f64, u32, u32),
    /// Weights of [`BARRIERS`].
    pub(super) barrier: [f64; 5],
    /// Weights of [`REASONS`].
    pub(super) reason: [f64; 5],
}

/// Indexed like [`PERSONAS`]. Abandoners: 0 orders (70 %) or 1 (30 %, before the GA4 days, so
/// no GA4 purchase ever closes their carts).
#[rustfmt::skip]
pub(super) static PLANTS: [Plant; 3] = [
    // repeat: 3 to 6 orders, a third with a code; buy for the quality, rarely held back by price.
    Plant { orders: (3, 6), discount: 0.35, abandon: (0.08, 1, 1),
        barrier: [0.08, 0.22, 0.10, 0.20, 0.40], reason: [0.60, 0.05, 0.15, 0.10, 0.10] },
    // abandoners: carts and checkouts without purchase; ~70 % say the price stops them.
    Plant { orders: (0, 1), discount: 0.5, abandon: (1.0, 1, 3),
        barrier: [0.70, 0.10, 0.08, 0.07, 0.05], reason: [0.12, 0.45, 0.13, 0.15, 0.15] },
    // one_time: exactly 1 order; delivery time and trust hold them back.
    Plant { orders: (1, 1), discount: 0.15, abandon: (0.10, 1, 1),
        barrier: [0.15, 0.35, 0.30, 0.12, 0.08], reason: [0.15, 0.15, 0.10, 0.20, 0.40] },
];

/// Share of abandoners with one order (the others have none).
const ABANDONER_ORDER: f64 = 0.3;

/// A CRM contact of the design, as its orders, carts and survey answers need it.
pub(super) struct Buyer {
    /// HubSpot Record ID (the GA4 `user_id`).
    pub(super) id: u64,
    /// Index into [`PERSONAS`].
    pub(super) persona: usize,
    pub(super) email: String,
    pub(super) first: &'static str,
    pub(super) last: &'static str,
    pub(super) city: &'static City,
}

impl Buyer {
    /// Contact `c` of persona `persona`.
    pub(super) fn of<P>(c: &Contact<P>, persona: usize) -> Buyer {
        Buyer {
            id: c.id,
            persona,
            email: c.email.clone(),
            first: c.first,
            last: c.last,
            city: c.city,
        }
    }
}

/// Writes the Shopify orders export, the Typeform responses and the GA4 e-commerce events of
/// `buyers` for `run`, each from its own stream under `seed`, and adds them to `summary` (the
/// two files before `truth.csv`, the events and bytes to the GA4 totals).
pub(super) fn write(
    run: &Run,
    seed: u64,
    buyers: &[Buyer],
    summary: &mut GenerateSummary,
) -> Result<()> {
    let mut order_rng = XRng::seed_from_u64(seed ^ 0x7368_6F70_6966_7921);
    let mut cart_rng = XRng::seed_from_u64(seed ^ 0x6361_7274_735F_6761);
    let mut survey_rng = XRng::seed_from_u64(seed ^ 0x7479_7065_666F_726D);
    let shop = orders::plan(&mut order_rng, run.day0, buyers);
    let shop_path = orders::write(run.out_dir, &mut order_rng, run.day0, &shop, buyers)?;
    let (events, bytes) = carts::write(run, &mut cart_rng, &shop, buyers)?;
    let survey_path = survey::write(run.out_dir, &mut survey_rng, run.day0, buyers)?;
    let at = summary.files.len().saturating_sub(1);
    summary.files.splice(at..at, [shop_path, survey_path]);
    summary.events += events;
    summary.ga4_bytes += bytes;
    Ok(())
}

/// The sources and `[surveys]` questions of the design's own exports under `data_dir`, to
/// append to [`super::super::pipeline_config`].
pub(super) fn config(data_dir: &str) -> String {
    let list = |v: &[&str]| {
        let items: Vec<String> = v.iter().map(|s| format!("{s:?}")).collect();
        format!("[{}]", items.join(", "))
    };
    let mut text = format!(
        r#"
[[sources]]
name = "shop"
kind = "shopify_orders"
path = "{data_dir}/shopify/orders_export_*.csv"

[[sources]]
name = "survey"
kind = "typeform_responses"
path = "{data_dir}/typeform/*.csv"

[surveys]
"#
    );
    // Each question: text, type, section and options (none for the scale).
    let questions: [(&str, &str, &str, &[&str]); 4] = [
        (BARRIER, "single", "barriers", BARRIERS),
        (REASON, "single", "motivations", REASONS),
        (COLOUR, "single", "values", COLOURS),
        (SCALE, "scale", "values", &[]),
    ];
    for (question, kind, section, options) in questions {
        text.push_str(&format!(
            r#"
[[surveys.questions]]
question = "{question}"
type = "{kind}"
section = "{section}"
"#
        ));
        if !options.is_empty() {
            text.push_str(&format!("options = {}\n", list(options)));
        }
    }
    text
}
