//! Tests of the design generator: determinism, the catalogue, persona shares, where the signal
//! lands (and where it does not), spread buying roles, the null design and the file formats.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fs;

use super::catalog::{attr_of, ALL_COLUMNS, PLANS};
use super::tables::{BUYER_ROLES, ROLES, TITLES};
use super::*;
use crate::tooling::generate::mailchimp::MC_HEADER;
use crate::tooling::generate::tests::{rows, run_in};
use crate::tooling::generate::DAYS;
use crate::tooling::generate::HUBSPOT_HEADER;
use crate::Error;

fn opts(design: &str, contacts: usize) -> DesignOptions {
    DesignOptions {
        design: design.to_string(),
        contacts,
        events_per_contact: 4.0,
        ..Default::default()
    }
}
fn run(o: &DesignOptions) -> (tempfile::TempDir, GenerateSummary) {
    run_in("personas-design-", |dir| generate_design(dir, o))
}
/// HubSpot rows and their truth labels, in order.
fn crm(s: &GenerateSummary) -> (Vec<csv::StringRecord>, Vec<String>) {
    let truth = rows(s.files.last().unwrap());
    (
        rows(&s.files[0]),
        truth.iter().map(|r| r[2].to_string()).collect(),
    )
}
/// Mean of `f` per persona label.
fn mean_by<F: Fn(&csv::StringRecord) -> Option<f64>>(
    hub: &[csv::StringRecord],
    labels: &[String],
    f: F,
) -> BTreeMap<String, f64> {
    let mut acc: BTreeMap<String, (f64, f64)> = BTreeMap::new();
    for (r, l) in hub.iter().zip(labels) {
        if let Some(x) = f(r) {
            let e = acc.entry(l.clone()).or_default();
            *e = (e.0 + x, e.1 + 1.0);
        }
    }
    acc.into_iter().map(|(k, (s, n))| (k, s / n)).collect()
}
fn spread(means: &BTreeMap<String, f64>) -> f64 {
    let v: Vec<f64> = means.values().copied().collect();
    v.iter().copied().fold(f64::MIN, f64::max) - v.iter().copied().fold(f64::MAX, f64::min)
}

/// Assert two runs wrote the same files, byte for byte, and the same GA4 events.
pub(super) fn assert_same_output(sa: &GenerateSummary, sb: &GenerateSummary) {
    for (fa, fb) in sa.files.iter().zip(&sb.files) {
        assert_eq!(
            fs::read(fa).unwrap(),
            fs::read(fb).unwrap(),
            "{}",
            fa.display()
        );
    }
    assert_eq!((sa.events, sa.ga4_bytes), (sb.events, sb.ga4_bytes));
}

#[test]
fn same_options_same_bytes_other_seed_other_bytes() {
    let o = opts("all", 300);
    let ((a, sa), (_b, sb), (_c, sc)) = (
        run(&o),
        run(&o),
        run(&DesignOptions {
            seed: 7,
            ..o.clone()
        }),
    );
    assert_eq!(sa.files.len(), sb.files.len());
    assert_same_output(&sa, &sb);
    let truth = |s: &GenerateSummary| fs::read(s.files.last().unwrap()).unwrap();
    assert_ne!(truth(&sa), truth(&sc));
    assert_ne!(
        fs::read(&sa.files[0]).unwrap(),
        fs::read(&sc.files[0]).unwrap()
    );
    assert!(a.path().join("truth.csv").is_file());
    // The planted profiles themselves depend on the seed.
    let (m42, m7) = (Model::new(3, 42, 10.0), Model::new(3, 7, 10.0));
    let mus = |m: &Model| {
        m.profiles
            .iter()
            .map(|p| p.employees.mu)
            .collect::<Vec<_>>()
    };
    assert_ne!(mus(&m42), mus(&m7));
    assert_eq!(mus(&m42), mus(&Model::new(3, 42, 10.0)));
}

#[test]
fn catalogue_is_consistent() {
    let names: Vec<&str> = designs().iter().map(|d| d.name).collect();
    assert_eq!(
        names,
        [
            "firmographic",
            "web",
            "email",
            "all",
            "many",
            "roles",
            "buying",
            "null"
        ]
    );
    for (d, plan) in designs().iter().zip(&PLANS) {
        assert_eq!(info(d.name), Some(d));
        assert!(
            (plan.shares.iter().sum::<f64>() - 1.0).abs() < 1e-9,
            "{}",
            d.name
        );
        if d.personas > 0 {
            assert_eq!(plan.shares.len(), d.personas, "{}", d.name);
        }
        for c in d.signal_columns {
            assert!(
                ALL_COLUMNS.contains(c) && attr_of(c).is_some(),
                "{}: {c}",
                d.name
            );
        }
        assert!(!d.description.is_empty());
    }
    assert!(info("nope").is_none());
    assert_eq!(info("roles").map(|d| d.roles_spread), Some(true));
    assert_eq!(info("null").map(|d| d.personas), Some(0));
    assert!(ALL_COLUMNS.iter().all(|c| attr_of(c).is_some()));
    let d = DesignOptions::default();
    assert_eq!((d.design.as_str(), d.contacts, d.seed), ("all", 5000, 42));
    assert_eq!(
        (d.export_date.to_string(), d.events_per_contact),
        ("2026-11-20".to_string(), 10.0)
    );
}

#[test]
fn unknown_design_names_the_known_ones() {
    let dir = tempfile::tempdir().unwrap();
    let err = generate_design(dir.path(), &opts("nope", 10)).unwrap_err();
    assert!(matches!(err, Error::BadInput { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(msg.contains("nope"), "{msg}");
    for d in designs() {
        assert!(msg.contains(d.name), "{msg}");
    }
}

#[test]
fn persona_sizes_match_the_shares() {
    for (d, plan) in designs().iter().zip(&PLANS).filter(|(d, _)| d.personas > 0) {
        let n = 1000;
        let m = Model::new(designs().iter().position(|x| x == d).unwrap(), 1, 10.0);
        let counts = m.counts(n);
        assert_eq!(counts.iter().sum::<usize>(), n);
        for (c, s) in counts.iter().zip(plan.shares) {
            assert!(
                (*c as f64 - s * n as f64).abs() <= 1.0,
                "{}: {counts:?}",
                d.name
            );
        }
    }
    let (_dir, s) = run(&opts("many", 500));
    let (_, labels) = crm(&s);
    let mut by: BTreeMap<&str, usize> = BTreeMap::new();
    for l in &labels {
        *by.entry(l.as_str()).or_default() += 1;
    }
    assert_eq!(
        by.keys().copied().collect::<Vec<_>>(),
        ["p1", "p2", "p3", "p4", "p5", "p6"]
    );
    for (i, share) in PLANS[4].shares.iter().enumerate() {
        let got = by[format!("p{}", i + 1).as_str()] as f64 / 500.0;
        assert!((got - share).abs() < 0.005, "p{}: {got} vs {share}", i + 1);
    }
}

#[test]
fn profiles_are_planted_as_described() {
    for i in 0..designs().len() {
        let m = Model::new(i, 11, 10.0);
        for p in &m.profiles {
            // Titles spread over two or three seniority levels.
            let levels = p.seniority.probs().iter().filter(|&&x| x > 0.08).count();
            assert!(
                (2..=3).contains(&levels),
                "{}: {:?}",
                designs()[i].name,
                p.seniority
            );
            assert!(p.tags.iter().filter(|&&t| t > 0.5).count() >= 2);
        }
        // Log-means at least 1.2 sds apart.
        for x in &m.profiles {
            for y in &m.profiles {
                if !std::ptr::eq(x, y) {
                    assert!((x.employees.mu - y.employees.mu).abs() >= 1.2 * x.employees.sigma);
                    assert!((x.events.mu - y.events.mu).abs() >= 1.2 * x.events.sigma);
                }
            }
        }
        // Events per contact average to the asked mean (3 % have no web activity).
        let mean: f64 = m
            .profiles
            .iter()
            .zip(&m.shares)
            .map(|(p, s)| s * (p.events.mu + p.events.sigma.powi(2) / 2.0).exp())
            .sum();
        assert!((mean * (1.0 - plant::NO_WEB) - 10.0).abs() < 1e-6, "{mean}");
        let pop = m.population.events;
        let pop_mean = (pop.mu + pop.sigma.powi(2) / 2.0).exp() * (1.0 - plant::NO_WEB);
        assert!((pop_mean - 10.0).abs() < 1e-6, "{pop_mean}");
    }
}

#[test]
fn signal_lands_only_in_the_designs_columns() {
    let log_emp = |r: &csv::StringRecord| r[12].parse::<f64>().ok().map(f64::ln);
    let (_d1, firm) = run(&opts("firmographic", 900));
    let (hub, labels) = crm(&firm);
    assert!(spread(&mean_by(&hub, &labels, log_emp)) > 1.0);
    let (_d2, web) = run(&opts("web", 900));
    let (hub, labels) = crm(&web);
    assert!(spread(&mean_by(&hub, &labels, log_emp)) < 0.6);
    // Email: rating means differ between personas; not in the firmographic design.
    let rating = |s: &GenerateSummary| -> BTreeMap<String, f64> {
        let (hub, labels) = crm(s);
        let by_email: HashMap<String, &String> = hub
            .iter()
            .zip(&labels)
            .map(|(r, l)| (r[3].to_lowercase(), l))
            .collect();
        let (mut hub2, mut labels2) = (Vec::new(), Vec::new());
        for f in &s.files[1..4] {
            for r in rows(f) {
                if let Some(l) = by_email.get(&r[0].trim().to_lowercase()) {
                    hub2.push(r.clone());
                    labels2.push((*l).clone());
                }
            }
        }
        mean_by(&hub2, &labels2, |r| r[6].parse().ok())
    };
    let (_d3, email) = run(&opts("email", 900));
    assert!(spread(&rating(&email)) > 1.0, "{:?}", rating(&email));
    assert!(spread(&rating(&firm)) < 0.5, "{:?}", rating(&firm));
}

#[test]
fn roles_are_spread_across_personas() {
    let (_dir, s) = run(&opts("roles", 800));
    let (hub, labels) = crm(&s);
    let mut by: BTreeMap<String, (usize, usize, usize)> = BTreeMap::new();
    for (r, l) in hub.iter().zip(&labels) {
        let roles: Vec<&str> = r[17].split(';').collect();
        let buyer = |x: &str| ROLES[..BUYER_ROLES].contains(&x);
        let e = by.entry(l.clone()).or_default();
        e.0 += usize::from(buyer(roles[0]));
        e.1 += usize::from(!buyer(roles[0]));
        e.2 += usize::from(roles.len() == 2);
    }
    assert_eq!(by.len(), 4);
    for (l, (buyers, users, both)) in by {
        let n = (buyers + users) as f64;
        assert!(
            (0.35..0.65).contains(&(buyers as f64 / n)),
            "{l}: {buyers} buyers of {n}"
        );
        assert!(
            (0.03..0.2).contains(&(both as f64 / n)),
            "{l}: {both} with both of {n}"
        );
    }
}

#[test]
fn null_design_has_no_personas() {
    let (_dir, s) = run(&opts("null", 300));
    let (hub, labels) = crm(&s);
    assert_eq!(hub.len(), 300);
    assert!(labels.iter().all(|l| l == "none"));
    // Still rich: several industries, seniorities and countries.
    let distinct = |i: usize| {
        hub.iter()
            .map(|r| r[i].to_string())
            .collect::<HashSet<_>>()
            .len()
    };
    assert!(
        distinct(11) >= 8 && distinct(14) >= 8,
        "{} {}",
        distinct(11),
        distinct(14)
    );
}

#[test]
fn every_file_parses() {
    let n = 400;
    let (dir, s) = run(&opts("all", n));
    assert_eq!((s.contacts, s.files.len()), (n, 1 + 3 + DAYS + 2));
    assert!(s.files.iter().all(|f| f.is_file()));
    assert!(s.files[0].ends_with("hubspot-crm-exports-all-contacts-2026-11-20.csv"));
    let text = fs::read_to_string(&s.files[0]).unwrap();
    assert!(text.starts_with(&format!("{HUBSPOT_HEADER}\n")));
    let fields = HUBSPOT_HEADER.split(',').count();
    let hub = rows(&s.files[0]);
    assert_eq!(hub.len(), n);
    assert!(hub
        .iter()
        .enumerate()
        .all(|(i, r)| r.len() == fields && r[0] == (i + 1).to_string()));
    let emails: HashSet<String> = hub.iter().map(|r| r[3].to_lowercase()).collect();
    assert_eq!(emails.len(), n);
    // Titles, employees (plain integers), birthdays, revenue.
    let levels: HashSet<usize> = hub
        .iter()
        .filter_map(|r| TITLES.iter().position(|t| t.contains(&&r[9])))
        .collect();
    assert!(levels.len() >= 4, "{levels:?}");
    assert!(hub
        .iter()
        .all(|r| r[12].is_empty() || r[12].parse::<u64>().is_ok()));
    assert!(hub
        .iter()
        .all(|r| r[15].is_empty() || NaiveDate::parse_from_str(&r[15], "%Y-%m-%d").is_ok()));
    assert!(hub
        .iter()
        .all(|r| r[19].is_empty() || r[19].parse::<f64>().is_ok()));
    // Mailchimp: ~97 % of contacts plus ~3 % list-only members; headers as the preset wants.
    let members: usize = s.files[1..4].iter().map(|f| rows(f).len()).sum();
    assert!(
        (n * 93 / 100..=n * 105 / 100).contains(&members),
        "{members}"
    );
    let header = csv::Reader::from_path(&s.files[1])
        .unwrap()
        .headers()
        .unwrap()
        .clone();
    assert_eq!(header.iter().collect::<Vec<_>>(), MC_HEADER);
    // GA4: JSON lines, logged-in events carry a Record ID, ~20 % anonymous.
    let (mut anon, mut total) = (0usize, 0usize);
    for f in &s.files[4..4 + DAYS] {
        for line in fs::read_to_string(f).unwrap().lines() {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            total += 1;
            match &v["user_id"] {
                serde_json::Value::Null => anon += 1,
                serde_json::Value::String(id) => {
                    assert!(id.parse::<usize>().is_ok_and(|i| (1..=n).contains(&i)))
                }
                other => panic!("user_id {other}"),
            }
            assert!(
                v["device"]["category"].is_string() && v["traffic_source"]["medium"].is_string()
            );
        }
    }
    assert_eq!(total as u64, s.events);
    let share = anon as f64 / total as f64;
    assert!((0.12..0.3).contains(&share), "{share}");
    assert!(dir.path().join("meta/page_insights.json").is_file());
}

/// Times the `all` design at 100,000 contacts: `cargo test --lib timing_100k -- --ignored --nocapture`.
#[test]
#[ignore]
fn timing_100k() {
    let started = Instant::now();
    let (_dir, s) = run(&DesignOptions {
        contacts: 100_000,
        ..Default::default()
    });
    println!(
        "all, 100000 contacts: {} events, {} MB of GA4, {:.1} s",
        s.events,
        s.ga4_bytes / 1_000_000,
        started.elapsed().as_secs_f64()
    );
}
