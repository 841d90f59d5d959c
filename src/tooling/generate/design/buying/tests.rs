//! Tests of the `buying` design: its files read back (csv crate, JSON lines) against the
//! planted rates per `truth.csv` persona (orders, carts without purchase, survey answers, the
//! questions answered at random), their shapes, and determinism.

use std::collections::{BTreeMap, HashMap};
use std::fs;
use std::path::Path;

use super::super::tests::assert_same_output;
use super::super::{generate_design, DesignOptions};
use super::{orders::HEADER, BARRIER, COLOUR, COLOURS, PERSONAS, REASON, SCALE};
use crate::tooling::generate::tests::{rows, run_in};
use crate::tooling::generate::GenerateSummary;

/// Contacts of the generated design.
const N: usize = 1500;

fn generate() -> (tempfile::TempDir, GenerateSummary) {
    let opts = DesignOptions {
        design: "buying".into(),
        contacts: N,
        events_per_contact: 2.0,
        ..Default::default()
    };
    run_in("personas-buying-", |dir| generate_design(dir, &opts))
}

/// A generated design's folder, with its planted persona by record id and by lower-case email.
type Generated = (
    tempfile::TempDir,
    HashMap<String, String>,
    HashMap<String, String>,
);

/// Generate the design and read its planted personas from `truth.csv`.
fn generated() -> Generated {
    let (dir, _) = generate();
    let (mut by_id, mut by_email) = (HashMap::new(), HashMap::new());
    for r in rows(&dir.path().join("truth.csv")) {
        by_id.insert(r[0].to_string(), r[2].to_string());
        by_email.insert(r[1].to_lowercase(), r[2].to_string());
    }
    (dir, by_id, by_email)
}

/// A reader of the generated file `rel`.
fn reader(dir: &tempfile::TempDir, rel: &str) -> csv::Reader<fs::File> {
    csv::Reader::from_path(dir.path().join(rel)).unwrap()
}

/// Share of `n` in `of`, 0 for none.
fn share(n: usize, of: usize) -> f64 {
    n as f64 / of.max(1) as f64
}

/// Count of each value by persona.
type Tally = BTreeMap<String, BTreeMap<String, usize>>;

fn shares(t: &Tally, persona: &str, values: &[&str]) -> f64 {
    let by = &t[persona];
    let n: usize = by.values().sum();
    share(
        values
            .iter()
            .map(|v| by.get(*v).copied().unwrap_or(0))
            .sum(),
        n,
    )
}

#[test]
fn orders_follow_the_planted_personas() {
    let (dir, by_id, by_email) = generated();
    let mut r = reader(&dir, "shopify/orders_export_1.csv");
    assert_eq!(r.headers().unwrap().iter().collect::<Vec<_>>(), HEADER);
    let col = |name: &str| HEADER.iter().position(|h| *h == name).unwrap();
    let (name, email, status, created) = (
        col("Name"),
        col("Email"),
        col("Financial Status"),
        col("Created at"),
    );
    let (subtotal, shipping, total, code) = (
        col("Subtotal"),
        col("Shipping"),
        col("Total"),
        col("Discount Code"),
    );
    let mut placed: HashMap<String, usize> = HashMap::new();
    let (mut orders, mut coded, mut refunds, mut pos, mut last) = (0, 0, 0, 0, String::new());
    for rec in r.records() {
        let rec = rec.unwrap();
        assert!(
            rec[created].ends_with(" +0100") || rec[created].ends_with(" +0200"),
            "{rec:?}"
        );
        if rec[name] == *last {
            // Later lines of an order: no order-level fields.
            assert!(rec[status].is_empty() && rec[total].is_empty(), "{rec:?}");
            continue;
        }
        last = rec[name].to_string();
        orders += 1;
        let cents = |i: usize| (rec[i].parse::<f64>().unwrap() * 100.0).round() as i64;
        assert_eq!(cents(subtotal) + cents(shipping), cents(total), "{rec:?}");
        coded += usize::from(!rec[code].is_empty());
        refunds += usize::from(rec[status].contains("refunded"));
        match rec[email].trim().to_lowercase() {
            e if e.is_empty() => pos += 1,
            e => *placed.entry(e).or_default() += 1,
        }
    }
    assert!(
        (0.1..0.4).contains(&share(coded, orders)),
        "{coded} of {orders} with a code"
    );
    assert!(
        (0.02..0.12).contains(&share(refunds, orders)),
        "{refunds} of {orders} refunded"
    );
    assert!(
        pos > 0 && share(pos, orders) < 0.05,
        "{pos} point-of-sale orders"
    );
    // Per persona: orders placed by each contact who placed any.
    let mut per: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (e, n) in &placed {
        per.entry(by_email[e].as_str()).or_default().push(*n);
    }
    let count = |p: &str| by_id.values().filter(|v| *v == p).count();
    assert_eq!(
        per["repeat"].len(),
        count("repeat"),
        "every repeat buyer ordered"
    );
    assert!(
        per["repeat"].iter().all(|n| (3..=6).contains(n)),
        "{:?}",
        per["repeat"]
    );
    assert_eq!(per["one_time"].len(), count("one_time"));
    assert!(per["one_time"].iter().all(|&n| n == 1));
    assert!(per["abandoners"].iter().all(|&n| n == 1));
    let buying = share(per["abandoners"].len(), count("abandoners"));
    assert!(
        (0.2..0.4).contains(&buying),
        "{buying} of abandoners ordered"
    );
}

/// Per user id: times (microseconds) of their `add_to_cart` and `purchase` events, and the
/// purchases' transaction ids.
type Carts = HashMap<String, (Vec<i64>, Vec<i64>, Vec<String>)>;

fn ga4_carts(dir: &Path) -> Carts {
    let mut out = Carts::new();
    for entry in fs::read_dir(dir.join("ga4")).unwrap() {
        for line in fs::read_to_string(entry.unwrap().path()).unwrap().lines() {
            let e: serde_json::Value = serde_json::from_str(line).unwrap();
            let (Some(user), Some(name)) = (e["user_id"].as_str(), e["event_name"].as_str()) else {
                continue;
            };
            let ts: i64 = e["event_timestamp"].as_str().map_or_else(
                || e["event_timestamp"].as_i64().unwrap(),
                |s| s.parse().unwrap(),
            );
            let c = out.entry(user.to_string()).or_default();
            match name {
                "add_to_cart" => c.0.push(ts),
                "purchase" => {
                    c.1.push(ts);
                    c.2.push(
                        e["ecommerce"]["transaction_id"]
                            .as_str()
                            .unwrap()
                            .to_string(),
                    );
                }
                _ => {}
            }
        }
    }
    out
}

#[test]
fn abandoners_carts_have_no_purchase_and_purchases_are_shop_orders() {
    let (dir, by_id, by_email) = generated();
    let carts = ga4_carts(dir.path());
    // The shop's orders: name -> persona of the buyer.
    let mut order_of: HashMap<String, String> = HashMap::new();
    for r in rows(&dir.path().join("shopify/orders_export_1.csv")) {
        if let Some(p) = by_email.get(&r[1].trim().to_lowercase()) {
            order_of.insert(r[0].to_string(), p.clone());
        }
    }
    let week = 7 * 86_400 * 1_000_000;
    let mut abandoning: BTreeMap<&str, usize> = BTreeMap::new();
    for (user, (added, bought, ids)) in &carts {
        let persona = &by_id[user];
        for id in ids {
            assert_eq!(order_of.get(id), Some(persona), "{id} of {user}");
        }
        if persona == "abandoners" {
            assert!(bought.is_empty(), "abandoner {user} bought");
        }
        let abandoned = added
            .iter()
            .any(|a| !bought.iter().any(|b| (*a..=a + week).contains(b)));
        *abandoning.entry(persona.as_str()).or_default() += usize::from(abandoned);
    }
    let count = |p: &str| by_id.values().filter(|v| *v == p).count();
    let rate = |p: &str| share(abandoning.get(p).copied().unwrap_or(0), count(p));
    assert!(rate("abandoners") > 0.97, "{abandoning:?}");
    assert!(
        rate("repeat") < 0.15 && rate("one_time") < 0.15,
        "{abandoning:?}"
    );
}

#[test]
fn survey_answers_follow_the_plant_and_random_questions_are_uniform() {
    let (dir, _, by_email) = generated();
    let mut r = reader(&dir, "typeform/responses.csv");
    let header: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(
        (header[0].as_str(), header.last().unwrap().as_str()),
        ("#", "Tags")
    );
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let questions = [REASON, BARRIER, COLOUR, SCALE].map(col);
    let (email, submitted) = (col("email"), col("Submit Date (UTC)"));
    let mut tallies: [Tally; 4] = Default::default();
    let mut respondents: BTreeMap<String, usize> = BTreeMap::new();
    for rec in r.records() {
        let rec = rec.unwrap();
        assert!(
            chrono::NaiveDateTime::parse_from_str(&rec[submitted], "%Y-%m-%d %H:%M:%S").is_ok()
        );
        let persona = by_email[&rec[email].trim().to_lowercase()].clone();
        *respondents.entry(persona.clone()).or_default() += 1;
        for (t, &q) in tallies.iter_mut().zip(&questions) {
            *t.entry(persona.clone())
                .or_default()
                .entry(rec[q].to_string())
                .or_default() += 1;
        }
    }
    let total: usize = respondents.values().sum();
    assert!(
        (0.55..0.65).contains(&share(total, N)),
        "{total} respondents"
    );
    let [reason, barrier, colour, scale] = &tallies;
    let price = |p: &str| shares(barrier, p, &["Price"]);
    assert!((0.62..0.78).contains(&price("abandoners")), "{barrier:?}");
    assert!(
        price("repeat") < 0.15 && price("one_time") < 0.25,
        "{barrier:?}"
    );
    let held_back = |p: &str| shares(barrier, p, &["Delivery time", "Trust"]);
    assert!(held_back("one_time") > 0.55, "{barrier:?}");
    assert!(
        held_back("one_time") > held_back("repeat") + 0.2,
        "{barrier:?}"
    );
    assert!(
        held_back("one_time") > held_back("abandoners") + 0.2,
        "{barrier:?}"
    );
    assert!(shares(reason, "repeat", &["Quality"]) > 0.5, "{reason:?}");
    assert!(
        shares(reason, "one_time", &["Quality"]) < 0.25,
        "{reason:?}"
    );
    // At random: every colour a quarter of each persona's answers, the scale's mean 3.
    for p in PERSONAS {
        for c in COLOURS {
            let s = shares(colour, p, &[c]);
            assert!((0.25 - s).abs() < 0.09, "{p}: {c} {s}\n{colour:?}");
        }
        let by = &scale[*p];
        let n: usize = by.values().sum();
        let mean = by
            .iter()
            .map(|(v, k)| v.parse::<f64>().unwrap() * *k as f64)
            .sum::<f64>()
            / n as f64;
        assert!((mean - 3.0).abs() < 0.3, "{p}: scale mean {mean}");
        assert_eq!(by.len(), 5, "{p}: {by:?}");
    }
}

#[test]
fn buying_files_are_deterministic_and_listed_before_truth() {
    let ((_a, sa), (_b, sb)) = (generate(), generate());
    assert_eq!(sa.files.len(), 1 + 3 + 30 + 1 + 2 + 1);
    let n = sa.files.len();
    assert!(sa.files[n - 3].ends_with("shopify/orders_export_1.csv"));
    assert!(sa.files[n - 2].ends_with("typeform/responses.csv"));
    assert!(sa.files[n - 1].ends_with("truth.csv"));
    assert_same_output(&sa, &sb);
    let written: u64 = sa.files[4..34]
        .iter()
        .map(|f| fs::metadata(f).unwrap().len())
        .sum();
    assert_eq!(written, sa.ga4_bytes);
}
