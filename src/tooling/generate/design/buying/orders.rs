//! The `buying` design's shop: each buyer's orders over the year before the export date, drawn
//! from their persona's [`Plant`](super::Plant), plus a few point-of-sale orders without email,
//! numbered `#1001`, ... in time order and written as the Shopify admin orders export (CSV):
//! one row per line item, the order-level fields on its first row only, times in the shop's
//! zone (Paris: `+0200` in summer, `+0100` in winter), amounts in EUR with VAT included.

use std::path::{Path, PathBuf};

use rand::Rng;
use rand_xoshiro::Xoshiro256PlusPlus as XRng;

use super::super::super::mailchimp::list_email;
use super::super::super::util::{create, fmt_time, io_err, pick};
use super::{Buyer, ABANDONER_ORDER, ORDER_DAYS, PLANTS};
use crate::error::Result;

/// The header of a Shopify orders export (`../shared/formats/shopify/orders_export_1.csv`).
#[rustfmt::skip]
pub(super) const HEADER: &[&str] = &[
    "Name", "Email", "Financial Status", "Paid at", "Fulfillment Status", "Fulfilled at",
    "Accepts Marketing", "Currency", "Subtotal", "Shipping", "Taxes", "Total", "Discount Code",
    "Discount Amount", "Shipping Method", "Created at", "Lineitem quantity", "Lineitem name",
    "Lineitem price", "Lineitem compare at price", "Lineitem sku", "Lineitem requires shipping",
    "Lineitem taxable", "Lineitem fulfillment status", "Billing Name", "Billing Street",
    "Billing Address1", "Billing Address2", "Billing Company", "Billing City", "Billing Zip",
    "Billing Province", "Billing Country", "Billing Phone", "Shipping Name", "Shipping Street",
    "Shipping Address1", "Shipping Address2", "Shipping Company", "Shipping City", "Shipping Zip",
    "Shipping Province", "Shipping Country", "Shipping Phone", "Notes", "Note Attributes",
    "Cancelled at", "Payment Method", "Payment Reference", "Refunded Amount", "Vendor",
    "Outstanding Balance", "Employee", "Location", "Device ID", "Id", "Tags", "Risk Level",
    "Source", "Lineitem discount", "Tax 1 Name", "Tax 1 Value", "Tax 2 Name", "Tax 2 Value",
    "Tax 3 Name", "Tax 3 Value", "Tax 4 Name", "Tax 4 Value", "Tax 5 Name", "Tax 5 Value",
    "Phone", "Receipt Number", "Duties", "Billing Province Name", "Shipping Province Name",
    "Payment ID", "Payment Terms Name", "Next Payment Due At", "Payment References",
];

/// The shop's products: line item name (`product - variant`), price in cents, SKU.
#[rustfmt::skip]
pub(super) const PRODUCTS: &[(&str, i64, &str)] = &[
    ("Linen shirt - S", 3990, "LS-S"), ("Linen shirt - M", 3990, "LS-M"),
    ("Linen shirt - L", 3990, "LS-L"), ("Cotton socks", 1000, "CS-1"),
    ("Wool coat - M", 8900, "WC-M"), ("Wool coat - L", 8900, "WC-L"),
    ("Tote bag", 2500, "TB-1"), ("Wool scarf", 3500, "WS-1"),
    ("Leather belt - M", 4500, "LB-M"), ("Canvas sneakers - 42", 6900, "CN-42"),
    ("Merino beanie", 2900, "MB-1"), ("Chino trousers - 32", 5900, "CT-32"),
];

/// Discount codes: percent off (or, negative, cents off).
const CODES: &[(&str, i64)] = &[
    ("WELCOME10", 10),
    ("SAVE5", -500),
    ("SPRING15", 15),
    ("LOYAL20", 20),
];
/// Orders under this subtotal (cents) pay shipping.
const FREE_SHIPPING: i64 = 5000;
/// Shipping (cents) below [`FREE_SHIPPING`].
const SHIPPING: i64 = 490;
/// Point-of-sale orders (no email) per order of a buyer.
const POS_SHARE: f64 = 0.02;
/// The first order's number.
const FIRST_NUMBER: u32 = 1001;
/// The first order's Shopify `Id`.
const FIRST_ID: u64 = 7_410_991_464_714;

/// A refund of an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Refund {
    None,
    /// Part of the total, in cents.
    Partial(i64),
    Full,
}

/// One order of the shop.
pub(super) struct Order {
    /// Index into the buyers; `None` for a point-of-sale order without email.
    pub(super) buyer: Option<usize>,
    /// Created (and paid) at, epoch seconds.
    pub(super) at: i64,
    /// `Name` (`#1001`), set once the orders are in time order.
    pub(super) name: String,
    /// The email as the shop has it, and the billing zip.
    email: String,
    zip: String,
    /// Products (index into [`PRODUCTS`]) and quantities.
    pub(super) lines: Vec<(usize, i64)>,
    /// Index into [`CODES`].
    code: Option<usize>,
    pub(super) refund: Refund,
    /// Total in cents (lines less the discount, plus shipping; VAT included).
    pub(super) total: i64,
}

impl Order {
    /// Sum of the lines, discount, per-line discounts (the last takes the rounding), shipping.
    fn amounts(&self) -> (i64, i64, Vec<i64>, i64) {
        let items: i64 = self.lines.iter().map(|&(p, q)| PRODUCTS[p].1 * q).sum();
        let discount = match self.code.map(|c| CODES[c].1) {
            None => 0,
            Some(off) if off < 0 => (-off).min(items / 2),
            Some(pct) => (items * pct + 50) / 100,
        };
        let mut per_line: Vec<i64> = (self.lines.iter())
            .map(|&(p, q)| discount * PRODUCTS[p].1 * q / items.max(1))
            .collect();
        if let Some((last, others)) = per_line.split_last_mut() {
            *last = discount - others.iter().sum::<i64>();
        }
        let shipping = if items - discount >= FREE_SHIPPING {
            0
        } else {
            SHIPPING
        };
        (items, discount, per_line, shipping)
    }
}

/// Every order of the shop, in time order and numbered.
pub(super) struct Shop {
    pub(super) orders: Vec<Order>,
}

/// Draws the orders of `buyers` (and the point-of-sale ones) over the [`ORDER_DAYS`] days
/// before `day0`; abandoners' orders fall before the 30 GA4 days.
pub(super) fn plan(rng: &mut XRng, day0: i64, buyers: &[Buyer]) -> Shop {
    let year = (day0 - ORDER_DAYS * 86_400, day0 - 3_600);
    let before_ga4 = day0 - 31 * 86_400;
    let mut orders = Vec::new();
    for (b, buyer) in buyers.iter().enumerate() {
        let plant = &PLANTS[buyer.persona];
        let abandoner = buyer.persona == 1;
        let n = if abandoner {
            u32::from(rng.gen_bool(ABANDONER_ORDER))
        } else {
            rng.gen_range(plant.orders.0..=plant.orders.1)
        };
        if n == 0 {
            continue;
        }
        let email = list_email(rng, &buyer.email);
        let zip = zip(rng);
        let mut full_refund = false;
        for _ in 0..n {
            let end = if abandoner { before_ga4 } else { year.1 };
            let at = rng.gen_range(year.0..end);
            let code = rng
                .gen_bool(plant.discount)
                .then(|| rng.gen_range(0..CODES.len()));
            let mut o = draw_order(rng, Some(b), at, email.clone(), zip.clone(), code);
            // A few refunds: partial for anyone, full (one at most) for repeat buyers only, so
            // every buyer keeps the buyer type planted.
            o.refund = match rng.gen::<f64>() {
                r if r < 0.04 && buyer.persona == 0 && !full_refund => {
                    full_refund = true;
                    Refund::Full
                }
                r if r < 0.09 => Refund::Partial(partial(rng, &o)),
                _ => Refund::None,
            };
            orders.push(o);
        }
    }
    let pos = (orders.len() as f64 * POS_SHARE).round() as usize;
    for _ in 0..pos {
        let at = rng.gen_range(year.0..year.1);
        orders.push(draw_order(
            rng,
            None,
            at,
            String::new(),
            String::new(),
            None,
        ));
    }
    orders.sort_by_key(|o| o.at);
    for (i, o) in orders.iter_mut().enumerate() {
        o.name = format!("#{}", FIRST_NUMBER + i as u32);
    }
    Shop { orders }
}

/// An order of 1 to 3 products (mostly 1 each) at `at`.
fn draw_order(
    rng: &mut XRng,
    buyer: Option<usize>,
    at: i64,
    email: String,
    zip: String,
    code: Option<usize>,
) -> Order {
    let n = match rng.gen::<f64>() {
        r if r < 0.6 => 1,
        r if r < 0.9 => 2,
        _ => 3,
    };
    let mut lines: Vec<(usize, i64)> = Vec::with_capacity(n);
    while lines.len() < n {
        let p = rng.gen_range(0..PRODUCTS.len());
        if lines.iter().all(|l| l.0 != p) {
            lines.push((p, if rng.gen_bool(0.15) { 2 } else { 1 }));
        }
    }
    let mut o = Order {
        buyer,
        at,
        name: String::new(),
        email,
        zip,
        lines,
        code,
        refund: Refund::None,
        total: 0,
    };
    let (items, discount, _, shipping) = o.amounts();
    o.total = items - discount + shipping;
    o
}

/// A partial refund of `o`: one unit of its first line, less than its total.
fn partial(rng: &mut XRng, o: &Order) -> i64 {
    let unit = PRODUCTS[o.lines[0].0].1;
    if unit < o.total {
        unit
    } else {
        (o.total * rng.gen_range(20..60) / 100).max(1)
    }
}

/// A billing zip, sometimes with Excel's guarding `'`.
fn zip(rng: &mut XRng) -> String {
    let z = format!("{:05}", rng.gen_range(1_000..96_000));
    if rng.gen_bool(0.3) {
        format!("'{z}")
    } else {
        z
    }
}

/// Cents as `12.34`.
pub(super) fn money(cents: i64) -> String {
    format!("{}.{:02}", cents / 100, cents % 100)
}

/// The last Sunday of `month` of `year` at 01:00 UTC (when Europe changes clocks).
fn last_sunday(year: i32, month: u32) -> i64 {
    use chrono::{Datelike, NaiveDate};
    let first_next = NaiveDate::from_ymd_opt(year, month + 1, 1).unwrap_or_default();
    let last = first_next.pred_opt().unwrap_or_default();
    let back = last.weekday().num_days_from_sunday();
    let sunday = last - chrono::Days::new(u64::from(back));
    sunday
        .and_hms_opt(1, 0, 0)
        .unwrap_or_default()
        .and_utc()
        .timestamp()
}

/// `utc` in the shop's zone (Europe/Paris): `2026-10-07 09:50:26 +0200`.
pub(super) fn shop_time(utc: i64) -> String {
    use chrono::Datelike;
    let year = chrono::DateTime::from_timestamp(utc, 0).map_or(2026, |d| d.year());
    let summer = (last_sunday(year, 3)..last_sunday(year, 10)).contains(&utc);
    let (offset, zone) = if summer {
        (7_200, "+0200")
    } else {
        (3_600, "+0100")
    };
    format!("{} {zone}", fmt_time(utc + offset, "%Y-%m-%d %H:%M:%S"))
}

/// Writes `shop` as `shopify/orders_export_1.csv` under `out_dir`; the orders' other columns
/// (marketing consent, payment, shipping method, fulfilment before `day0`) are drawn from
/// `rng`.
pub(super) fn write(
    out_dir: &Path,
    rng: &mut XRng,
    day0: i64,
    shop: &Shop,
    buyers: &[Buyer],
) -> Result<PathBuf> {
    let dir = out_dir.join("shopify");
    std::fs::create_dir_all(&dir).map_err(io_err(&dir))?;
    let path = dir.join("orders_export_1.csv");
    let mut w = csv::WriterBuilder::new()
        .quote_style(csv::QuoteStyle::Necessary)
        .from_writer(create(&path)?);
    w.write_record(HEADER)?;
    for (i, o) in shop.orders.iter().enumerate() {
        for row in rows(rng, o, FIRST_ID + i as u64, buyers, day0) {
            w.write_record(&row)?;
        }
    }
    w.flush().map_err(io_err(&path))?;
    Ok(path)
}

/// Sets cells of a row by header name.
struct Row(Vec<String>);

impl Row {
    fn set(&mut self, column: &str, value: impl Into<String>) {
        if let Some(i) = HEADER.iter().position(|h| *h == column) {
            self.0[i] = value.into();
        }
    }
}

/// The export rows of order `o` (Shopify id `id`): its first row with the order-level fields,
/// then one row per other line; fulfilment no later than `latest`.
fn rows(rng: &mut XRng, o: &Order, id: u64, buyers: &[Buyer], latest: i64) -> Vec<Vec<String>> {
    let (items, discount, per_line, shipping) = o.amounts();
    let created = shop_time(o.at);
    let fulfilled = o.at + rng.gen_range(86_400..3 * 86_400);
    let pos = o.buyer.is_none();
    let mut out = Vec::with_capacity(o.lines.len());
    for (k, (&(p, q), line_discount)) in o.lines.iter().zip(&per_line).enumerate() {
        let mut r = Row(vec![String::new(); HEADER.len()]);
        let (product, price, sku) = PRODUCTS[p];
        let done = pos || fulfilled < latest;
        r.set("Name", o.name.as_str());
        r.set("Email", o.email.as_str());
        r.set("Created at", created.as_str());
        r.set("Lineitem quantity", q.to_string());
        r.set("Lineitem name", product);
        r.set("Lineitem price", money(price));
        r.set("Lineitem sku", sku);
        r.set(
            "Lineitem requires shipping",
            if pos { "false" } else { "true" },
        );
        r.set("Lineitem taxable", "true");
        r.set(
            "Lineitem fulfillment status",
            if done { "fulfilled" } else { "pending" },
        );
        r.set("Vendor", "Atelier Nord");
        r.set("Lineitem discount", money(*line_discount));
        if k == 0 {
            let status = match o.refund {
                Refund::None => "paid",
                Refund::Partial(_) => "partially_refunded",
                Refund::Full => "refunded",
            };
            r.set("Financial Status", status);
            r.set("Paid at", created.as_str());
            r.set(
                "Fulfillment Status",
                if done { "fulfilled" } else { "unfulfilled" },
            );
            if done && !pos {
                r.set("Fulfilled at", shop_time(fulfilled));
            }
            r.set(
                "Accepts Marketing",
                if rng.gen_bool(0.6) { "yes" } else { "no" },
            );
            r.set("Currency", "EUR");
            r.set("Subtotal", money(items - discount));
            r.set("Shipping", money(shipping));
            r.set("Taxes", money((o.total + 3) / 6));
            r.set("Total", money(o.total));
            if let Some(c) = o.code {
                r.set("Discount Code", CODES[c].0);
            }
            r.set("Discount Amount", money(discount));
            r.set("Outstanding Balance", "0.00");
            r.set("Id", id.to_string());
            r.set("Risk Level", "Low");
            r.set("Tax 1 Name", "TVA 20%");
            r.set("Tax 1 Value", money((o.total + 3) / 6));
            let refunded = match o.refund {
                Refund::None => 0,
                Refund::Partial(c) => c,
                Refund::Full => o.total,
            };
            r.set("Refunded Amount", money(refunded));
            order_party(rng, &mut r, o, buyers);
        }
        out.push(r.0);
    }
    out
}

/// The first row's billing, payment and channel fields of order `o`.
fn order_party(rng: &mut XRng, r: &mut Row, o: &Order, buyers: &[Buyer]) {
    match o.buyer.map(|b| &buyers[b]) {
        Some(b) => {
            r.set(
                "Shipping Method",
                *pick(rng, &["Standard", "Standard", "Express"]),
            );
            r.set("Billing Name", format!("{} {}", b.first, b.last));
            r.set("Billing City", b.city.city);
            r.set("Billing Zip", o.zip.as_str());
            r.set("Billing Country", b.city.cc);
            let method = if rng.gen_bool(0.7) {
                "Shopify Payments"
            } else {
                "PayPal Express Checkout"
            };
            r.set("Payment Method", method);
            r.set("Source", "web");
        }
        None => {
            r.set("Payment Method", "Cash");
            r.set("Location", "Paris store");
            r.set("Source", "pos");
        }
    }
}
