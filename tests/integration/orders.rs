//! Orders and carts: a Shopify orders export (multi-line orders, a full and a partial refund,
//! discount codes, a voided order, a point-of-sale order without email) and a mapped orders CSV
//! written for a few of the generated sample's contacts, plus GA4 cart and checkout events for
//! two more, run through the whole pipeline; each contact's purchase features are checked
//! against values computed by hand below.

use std::collections::{BTreeSet, HashMap};

use chrono::NaiveDateTime;
use datafusion::arrow::array::{Array, AsArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::DataType;
use personas::config::FeaturesConfig;

use crate::util::{read_parquet, strings, Fixture};

/// The test's Shopify export, as the tool writes it (columns cut to those the test fills):
/// `{A}`... stand for the buyers' emails. Order-level cells are blank on an order's later lines.
/// By hand, per buyer (UTC times; the run date is 2026-11-20 00:00):
/// - A: #1001 paid, two lines, code WELCOME10 (9.00 off), 86.00 at 2026-09-01 08:00; #1004
///   paid 120.00; #1007 partially refunded (10.00 of 35.00), two lines, 2026-11-02 00:30 +0100
///   = 2026-11-01 23:30;
/// - B: #1002 refunded in full; #1005 paid 14.90 at 2026-10-20 07:00;
/// - C: four paid orders of 20, 30 (code SAVE5), 40 and 50, 2026-09-15 08:00 to 2026-11-10 09:00;
/// - D: #1010 voided and cancelled;
/// - #1011: a point-of-sale order without an email;
/// - #1012: a total with a decimal comma, a reject.
const SHOP: &str = "\
Name,Email,Financial Status,Paid at,Currency,Subtotal,Shipping,Total,Discount Code,Discount Amount,Created at,Lineitem quantity,Lineitem name,Lineitem price,Billing Zip,Billing Country,Cancelled at,Refunded Amount,Source
#1001,{A},paid,2026-09-01 10:00:00 +0200,EUR,81.00,5.00,86.00,WELCOME10,9.00,2026-09-01 10:00:00 +0200,2,Linen shirt - M,40.00,'75008,FR,,0.00,web
#1001,{A},,,,,,,,,2026-09-01 10:00:00 +0200,1,Cotton socks,10.00,,,,,
#1004,{A},paid,2026-10-15 18:30:00 +0200,EUR,120.00,0.00,120.00,,0.00,2026-10-15 18:30:00 +0200,1,Wool coat - L,120.00,,FR,,0.00,web
#1007,{A},partially_refunded,2026-11-02 00:30:00 +0100,EUR,35.00,0.00,35.00,,0.00,2026-11-02 00:30:00 +0100,1,Tote bag,25.00,,FR,,10.00,web
#1007,{A},,,,,,,,,2026-11-02 00:30:00 +0100,1,Cotton socks,10.00,,,,,
#1002,{B},refunded,2026-09-10 12:00:00 +0200,EUR,120.00,0.00,120.00,,0.00,2026-09-10 12:00:00 +0200,1,Wool coat - M,120.00,,,,120.00,web
#1005,{B},paid,2026-10-20 09:00:00 +0200,EUR,10.00,4.90,14.90,,0.00,2026-10-20 09:00:00 +0200,1,Cotton socks,10.00,,,,0.00,web
#1003,{C},paid,2026-09-15 10:00:00 +0200,EUR,20.00,0.00,20.00,,0.00,2026-09-15 10:00:00 +0200,1,Tote bag,20.00,,,,0.00,web
#1006,{C},paid,2026-10-01 10:00:00 +0200,EUR,30.00,0.00,30.00,SAVE5,5.00,2026-10-01 10:00:00 +0200,1,Linen shirt - S,35.00,,,,0.00,web
#1008,{C},paid,2026-10-20 10:00:00 +0200,EUR,40.00,0.00,40.00,,0.00,2026-10-20 10:00:00 +0200,4,Cotton socks,10.00,,,,0.00,web
#1009,{C},paid,2026-11-10 10:00:00 +0100,EUR,50.00,0.00,50.00,,0.00,2026-11-10 10:00:00 +0100,1,Wool scarf,50.00,,,,0.00,web
#1010,{D},voided,,EUR,60.00,0.00,60.00,,0.00,2026-10-01 20:00:00 +0200,1,Wool coat - S,60.00,,,2026-10-02 08:00:00 +0200,0.00,web
#1011,,paid,2026-11-05 15:31:40 +0100,EUR,25.00,0.00,25.00,,0.00,2026-11-05 15:31:40 +0100,1,Tote bag,25.00,,,,0.00,pos
#1012,{D},paid,2026-11-06 10:00:00 +0100,EUR,86.00,0.00,\"86,00\",,0.00,2026-11-06 10:00:00 +0100,1,Tote bag,86.00,,,,0.00,web
";

/// Lines of [`SHOP`] that land: all but the last, whose total has a decimal comma.
const SHOP_LANDED: u64 = 13;
/// The line of that last row, a reject.
const SHOP_BAD_LINE: u64 = 15;

/// `(Record ID, Email)` of the generated CRM contacts.
fn crm_contacts(fx: &Fixture) -> Vec<(String, String)> {
    let mut r = csv::Reader::from_path(fx.crm_export()).unwrap();
    r.records()
        .map(|rec| {
            let rec = rec.unwrap();
            (rec[0].to_string(), rec[3].to_string())
        })
        .filter(|(_, email)| !email.is_empty())
        .collect()
}

/// The user ids of the generated GA4 purchase events.
fn ga4_buyers(fx: &Fixture) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for entry in std::fs::read_dir(fx.path("data/ga4")).unwrap() {
        for line in std::fs::read_to_string(entry.unwrap().path())
            .unwrap()
            .lines()
        {
            let e: serde_json::Value = serde_json::from_str(line).unwrap();
            if e["event_name"] == "purchase" {
                if let Some(id) = e["user_id"].as_str() {
                    out.insert(id.to_string());
                }
            }
        }
    }
    out
}

/// A GA4 event of contact `user_id` at `at` (UTC) in session `session`, as BigQuery exports it.
fn ga4_event(name: &str, user_id: &str, at: &str, session: i64) -> String {
    let t = NaiveDateTime::parse_from_str(at, "%Y-%m-%d %H:%M")
        .unwrap()
        .and_utc();
    let ecommerce = if name == "purchase" {
        format!(",\"ecommerce\":{{\"purchase_revenue\":49.0,\"transaction_id\":\"T{session}\"}}")
    } else {
        String::new()
    };
    format!(
        "{{\"event_date\":\"{}\",\"event_timestamp\":\"{}\",\"event_name\":\"{name}\",\
         \"event_params\":[{{\"key\":\"page_location\",\"value\":{{\"string_value\":\"https://www.stackpilot.io/pricing\"}}}},\
         {{\"key\":\"ga_session_id\",\"value\":{{\"int_value\":\"{session}\"}}}}],\
         \"user_id\":\"{user_id}\",\"user_pseudo_id\":\"77.{session}\",\
         \"device\":{{\"category\":\"desktop\"}},\"traffic_source\":{{\"source\":\"google\",\"medium\":\"organic\"}}{ecommerce},\
         \"platform\":\"WEB\"}}\n",
        t.format("%Y%m%d"),
        t.timestamp_micros()
    )
}

/// Every column of the run's `contact_features`, as text, by contact id.
type Features = HashMap<String, HashMap<String, Option<String>>>;

/// The run's [`Features`].
fn features(fx: &Fixture) -> Features {
    let path = fx.path("out/contact_features/run_date=2026-11-20/part-0.parquet");
    let mut out = Features::new();
    for b in read_parquet(&path) {
        let ids = cast(b.column_by_name("contact_id").unwrap(), &DataType::Utf8).unwrap();
        let ids = ids.as_string::<i32>();
        for (field, column) in b.schema().fields().iter().zip(b.columns()) {
            let values = cast(column, &DataType::Utf8).unwrap();
            let values = values.as_string::<i32>();
            for i in 0..b.num_rows() {
                let v = values.is_valid(i).then(|| values.value(i).to_string());
                out.entry(ids.value(i).to_string())
                    .or_default()
                    .insert(field.name().clone(), v);
            }
        }
    }
    out
}

/// A contact's features, with readers that fail the test naming the contact and column.
struct Row<'a>(&'a str, &'a HashMap<String, Option<String>>);

impl Row<'_> {
    fn text(&self, column: &str) -> Option<&str> {
        self.1
            .get(column)
            .unwrap_or_else(|| panic!("no column {column}"))
            .as_deref()
    }

    fn num(&self, column: &str) -> Option<f64> {
        self.text(column).map(|v| v.parse().unwrap())
    }

    fn assert_num(&self, column: &str, want: f64) {
        let got = self.num(column);
        assert!(
            got.is_some_and(|g| (g - want).abs() < 1e-6),
            "{}: {column} = {got:?}, want {want}",
            self.0
        );
    }

    fn assert_text(&self, column: &str, want: Option<&str>) {
        assert_eq!(self.text(column), want, "{}: {column}", self.0);
    }

    /// Assert the contact's order count, buyer type and average order value.
    fn assert_buyer(&self, orders: f64, buyer_type: &str, aov: f64) {
        self.assert_num("orders", orders);
        self.assert_text("buyer_type", Some(buyer_type));
        self.assert_num("aov", aov);
    }

    /// Assert the contact's shares of orders with a discount and of refunded orders.
    fn assert_shares(&self, discount: f64, refund: f64) {
        self.assert_num("discount_share", discount);
        self.assert_num("refund_share", refund);
    }
}

#[test]
fn orders_give_hand_computed_counts_aov_and_buyer_types_per_contact() {
    let fx = Fixture::sample(200, 2.0);
    let buyers = ga4_buyers(&fx);
    let people: Vec<(String, String)> = crm_contacts(&fx)
        .into_iter()
        .filter(|(id, _)| !buyers.contains(id))
        .take(9)
        .collect();
    let [a, b, c, d, e, f, g, h, i] = &people[..] else {
        panic!("need 9 contacts: {people:?}")
    };
    // The emails as the shop has them: other case, stray spaces.
    let export = SHOP
        .replace("{A}", &a.1.to_uppercase())
        .replace("{B}", &format!("  {} ", capitalised(&b.1)))
        .replace("{C}", &capitalised(&c.1))
        .replace("{D}", &d.1);
    std::fs::create_dir_all(fx.path("data/shopify")).unwrap();
    std::fs::write(fx.path("data/shopify/orders_export_1.csv"), export).unwrap();

    // The shop's till, mapped: F by CRM id (P-1 two rows: 30 + 20, 5.00 off; P-2 10), G by
    // email (P-3 cancelled, P-4 40), P-5 for an id no contact has.
    let till = [
        "Beleg;Kunde;Mail;Datum;Betrag;Rabatt;Warengruppe;Status".to_string(),
        format!("P-1;{};;01.10.2026 10:00;30.00;0;Books;paid", f.0),
        format!("P-1;{};;01.10.2026 10:00;20.00;5.00;Games;paid", f.0),
        format!("P-2;{};;12.10.2026 10:00;10.00;0;Books;paid", f.0),
        format!(
            "P-3;;{};05.10.2026 10:00;99.00;0;Garden;cancelled",
            g.1.to_uppercase()
        ),
        format!(
            "P-4;;{};06.10.2026 10:00;40.00;;Toys;paid",
            g.1.to_uppercase()
        ),
        "P-5;no-such-contact;;07.10.2026 10:00;15.00;0;Books;paid".to_string(),
    ];
    std::fs::write(fx.path("data/till.csv"), till.join("\n") + "\n").unwrap();

    // H adds to cart and buys two days later; I abandons a cart and a checkout on 2026-11-02
    // (a purchase ten days later is too late to close them), and has a cart from 2026-11-18,
    // still open on the run date.
    let ga4 = fx.path("data/ga4/events_20261102.json");
    let mut events = std::fs::read_to_string(&ga4).unwrap();
    for (name, who, at, session) in [
        ("add_to_cart", &h.0, "2026-11-01 10:00", 1_793_000_001),
        ("purchase", &h.0, "2026-11-03 09:00", 1_793_000_002),
        ("add_to_cart", &i.0, "2026-11-02 10:00", 1_793_000_003),
        ("begin_checkout", &i.0, "2026-11-02 10:05", 1_793_000_003),
        ("add_to_cart", &i.0, "2026-11-02 10:06", 1_793_000_003),
        ("purchase", &i.0, "2026-11-12 10:00", 1_793_000_005),
        ("add_to_cart", &i.0, "2026-11-18 12:00", 1_793_000_004),
    ] {
        events.push_str(&ga4_event(name, who, at, session));
    }
    std::fs::write(&ga4, events).unwrap();

    let mut describe = FeaturesConfig::default().describe;
    describe.extend(
        [
            "orders",
            "buyer_type",
            "aov",
            "discount_share",
            "categories_bought",
            "cart_abandoned",
        ]
        .map(String::from),
    );
    let extra = format!(
        "[[sources]]\nname = \"shop\"\nkind = \"shopify_orders\"\n\
         path = \"data/shopify/orders_export_*.csv\"\nmax_reject_pct = 10\n\n\
         [[sources]]\nname = \"till\"\nkind = \"orders_csv\"\npath = \"data/till.csv\"\n\
         delimiter = \";\"\ndatetime_format = \"%d.%m.%Y %H:%M\"\n\
         [sources.columns]\norder_id = \"Beleg\"\ncontact_id = \"Kunde\"\nemail = \"Mail\"\n\
         ordered_at = \"Datum\"\namount = \"Betrag\"\ndiscount = \"Rabatt\"\n\
         category = \"Warengruppe\"\nstatus = \"Status\"\n\n\
         [features]\ndescribe = {describe:?}\nmulti = [\"tags\", \"buying_roles\", \"categories_bought\"]\n\n[web]"
    );
    fx.edit_config(|c| c.replacen("\n[web]", &format!("\n{extra}"), 1));

    let report = fx.run().unwrap();
    assert_eq!(report.contacts, 200, "{}", report.summary());

    // Every line landed, the point-of-sale order too; the bad total is a reject.
    let shop_report = report.sources.iter().find(|s| s.name == "shop").unwrap();
    assert_eq!(shop_report.counts.accepted, SHOP_LANDED);
    assert_eq!(shop_report.rejects.len(), 1);
    let reject = &shop_report.rejects[0];
    assert_eq!(
        (reject.file.as_str(), reject.line),
        ("orders_export_1.csv", SHOP_BAD_LINE)
    );
    assert!(
        reject.reason.contains("\"Total\"") && reject.reason.contains("86,00"),
        "{}",
        reject.reason
    );
    let landed = fx.landed("raw_shopify__orders");
    let names = strings(&landed, "Name");
    let pos = names
        .iter()
        .position(|n| n.as_deref() == Some("#1011"))
        .unwrap();
    assert_eq!(strings(&landed, "Email")[pos], None);
    assert_eq!(
        strings(&landed, "Created at")[pos].as_deref(),
        Some("2026-11-05 14:31:40")
    );
    assert_eq!(strings(&landed, "Billing Zip")[0].as_deref(), Some("75008"));
    let till_report = report.sources.iter().find(|s| s.name == "till").unwrap();
    assert_eq!(
        (till_report.counts.accepted, till_report.counts.rejected),
        (6, 0)
    );
    // The point-of-sale order (#1011, no email) and the CSV order of an unknown contact (P-5)
    // match nobody: counted, listed, and said in the summary, not dropped silently.
    let rows = |name: &str| {
        (report.models.iter())
            .find(|m| m.name == name)
            .and_then(|m| m.rows)
    };
    assert_eq!(rows("orders_unmatched"), Some(2));
    let all_orders = rows("int_orders").unwrap();
    assert!(
        report.summary().contains(&format!(
            "2 of {all_orders} orders match no CRM contact by contact id or email"
        )),
        "{}",
        report.summary()
    );

    let all = features(&fx);
    fn row<'a>(all: &'a Features, who: &'a (String, String)) -> Row<'a> {
        Row(&who.1, &all[&who.0])
    }

    // A: 3 orders (86 + 120 + 35 = 241; the partial refund still counts): repeat, aov
    // 241 / 3 = 80.333..., discount share 1/3 (#1001), refund share 1/3 (#1007); first
    // 2026-09-01 08:00 UTC, 79 whole days before the run date (2026-11-20 00:00); last
    // 2026-11-01 23:30 UTC (2026-11-02 local), 18 days before; gaps: 61 d 15 h 30 min over
    // two = 30.822916... days.
    let ra = row(&all, a);
    ra.assert_buyer(3.0, "repeat", 241.0 / 3.0);
    ra.assert_num("order_revenue", 231.0);
    ra.assert_shares(1.0 / 3.0, 1.0 / 3.0);
    ra.assert_text("first_order_date", Some("2026-09-01"));
    ra.assert_text("last_order_date", Some("2026-11-01"));
    ra.assert_num("days_since_first_order", 79.0);
    ra.assert_num("days_since_last_order", 18.0);
    ra.assert_num("days_between_orders", (61.0 + 15.5 / 24.0) / 2.0);
    ra.assert_text(
        "categories_bought",
        Some("Cotton socks;Linen shirt;Tote bag;Wool coat"),
    );
    // B: the refunded #1002 is no order: 1 order of 14.90, one-time; refund share 1/2 of
    // the placed orders; first = last = 2026-10-20.
    let rb = row(&all, b);
    rb.assert_buyer(1.0, "one_time", 14.90);
    rb.assert_shares(0.0, 0.5);
    rb.assert_text("first_order_date", Some("2026-10-20"));
    rb.assert_text("last_order_date", Some("2026-10-20"));
    rb.assert_text("days_between_orders", None);
    // C: 4 orders, frequent; aov (20 + 30 + 40 + 50) / 4 = 35; discount share 1/4; gaps from
    // 2026-09-15 08:00 to 2026-11-10 09:00 UTC (56 d 1 h) over three.
    let rc = row(&all, c);
    rc.assert_buyer(4.0, "frequent", 35.0);
    rc.assert_shares(0.25, 0.0);
    rc.assert_num("days_between_orders", (56.0 + 1.0 / 24.0) / 3.0);
    rc.assert_text("last_order_date", Some("2026-11-10"));
    // D: the voided order is no order; E never ordered.
    for (who, placed_one) in [(d, true), (e, false)] {
        let r = row(&all, who);
        r.assert_num("orders", 0.0);
        r.assert_text("buyer_type", Some("none"));
        r.assert_text("aov", None);
        r.assert_text("first_order_date", None);
        r.assert_text("categories_bought", None);
        assert_eq!(
            r.num("refund_share"),
            placed_one.then_some(0.0),
            "{}",
            who.1
        );
    }
    // F (by CRM id): P-1 = 30 + 20 = 50 with 5.00 off, P-2 = 10: repeat, aov 30, discount
    // share 1/2, 11 days apart, categories of both. G (by email): P-3 cancelled, P-4 40.
    let rf = row(&all, f);
    rf.assert_buyer(2.0, "repeat", 30.0);
    rf.assert_num("discount_share", 0.5);
    rf.assert_num("days_between_orders", 11.0);
    rf.assert_text("categories_bought", Some("Books;Games"));
    let rg = row(&all, g);
    rg.assert_buyer(1.0, "one_time", 40.0);
    rg.assert_text("categories_bought", Some("Toys"));
    // The point-of-sale order and P-5 match nobody: the contacts' orders add up to the 11
    // above, not the 13 counted orders of the exports.
    let total: f64 = all
        .values()
        .filter_map(|r| r["orders"].as_deref())
        .map(|v| v.parse::<f64>().unwrap())
        .sum();
    assert_eq!(total, 11.0);
    let buyers_seen = all
        .values()
        .filter(|r| r["buyer_type"].as_deref() != Some("none"))
        .count();
    assert_eq!(buyers_seen, 5);

    // H's cart closed by a purchase; I's cart and checkout abandoned, its late cart still open.
    let (rh, ri) = (row(&all, h), row(&all, i));
    rh.assert_num("abandoned_carts", 0.0);
    rh.assert_text("cart_abandoned", Some("false"));
    ri.assert_num("abandoned_carts", 1.0);
    ri.assert_num("abandoned_checkouts", 1.0);
    ri.assert_text("cart_abandoned", Some("true"));
    ri.assert_text("checkout_abandoned", Some("true"));
    let abandoning = all
        .values()
        .filter(|r| r["cart_abandoned"].as_deref() == Some("true"))
        .count();
    assert_eq!(abandoning, 1);

    // Usable as describe columns: loaded with the features, a multi-valued one per value.
    let loaded: Vec<&str> = report
        .features
        .numeric
        .iter()
        .map(|c| c.name.as_str())
        .chain(report.features.categorical.iter().map(|c| c.name.as_str()))
        .collect();
    for c in [
        "orders",
        "aov",
        "discount_share",
        "buyer_type",
        "cart_abandoned",
    ] {
        assert!(loaded.contains(&c), "{c} not in {loaded:?}");
    }
    // Bought by A, B and C, and by A and C: both held by at least 1 % of the 200 contacts.
    for c in [
        "categories_bought:cotton socks",
        "categories_bought:tote bag",
    ] {
        assert!(loaded.contains(&c), "{c} not in {loaded:?}");
    }
}

/// `ana@x.com` as `Ana@x.com`.
fn capitalised(email: &str) -> String {
    let mut chars = email.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}
