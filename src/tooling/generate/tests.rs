//! End-to-end tests of [`generate`](super::generate): determinism, file formats, the small
//! planted group and the overlap knob.

use std::collections::HashSet;
use std::fs;

use super::*;

/// Runs `generate` into a fresh temporary folder named `prefix...`.
pub(super) fn run_in(
    prefix: &str,
    generate: impl FnOnce(&Path) -> Result<GenerateSummary>,
) -> (tempfile::TempDir, GenerateSummary) {
    let dir = tempfile::Builder::new().prefix(prefix).tempdir().unwrap();
    let summary = generate(dir.path()).unwrap();
    (dir, summary)
}
fn run(opts: &GenerateOptions) -> (tempfile::TempDir, GenerateSummary) {
    run_in("personas-generate-", |dir| generate(dir, opts))
}
fn small(contacts: usize) -> GenerateOptions {
    GenerateOptions {
        contacts,
        ..Default::default()
    }
}
/// The records of a CSV file, header left out.
pub(super) fn rows(path: &Path) -> Vec<csv::StringRecord> {
    csv::Reader::from_path(path)
        .unwrap()
        .records()
        .map(|r| r.unwrap())
        .collect()
}

#[test]
fn same_seed_same_bytes() {
    let ((a, sa), (b, sb), (c, sc)) = (
        run(&small(300)),
        run(&small(300)),
        run(&GenerateOptions {
            seed: 7,
            ..small(300)
        }),
    );
    assert_eq!(
        fs::read(&sa.files[0]).unwrap(),
        fs::read(&sb.files[0]).unwrap()
    );
    assert_ne!(
        fs::read(&sa.files[0]).unwrap(),
        fs::read(&sc.files[0]).unwrap()
    );
    let day = |d: &tempfile::TempDir| fs::read(d.path().join("ga4/events_20261105.json")).unwrap();
    assert_eq!(day(&a), day(&b));
    assert_ne!(day(&a), day(&c));
    assert_eq!((sa.events, sa.ga4_bytes), (sb.events, sb.ga4_bytes));
}

#[test]
fn every_file_parses() {
    let n = 800;
    let (dir, s) = run(&small(n));
    assert_eq!((s.contacts, s.files.len()), (n, 1 + 3 + DAYS + 2));
    assert!(s.files.iter().all(|f| f.is_file()), "{:?}", s.files);
    assert!(s.files[0].ends_with("hubspot-crm-exports-all-contacts-2026-11-20.csv"));
    let hub_text = fs::read_to_string(&s.files[0]).unwrap();
    assert!(hub_text.starts_with(&format!("{HUBSPOT_HEADER}\n")));
    assert!(
        !hub_text.contains(",\"\""),
        "empty values are written as nothing"
    );
    let hub = rows(&s.files[0]);
    assert_eq!(hub.len(), n);
    assert!(hub
        .iter()
        .enumerate()
        .all(|(i, r)| r.len() == 21 && r[0] == (i + 1).to_string()));
    assert_eq!(
        hub.iter()
            .map(|r| r[3].to_lowercase())
            .collect::<HashSet<_>>()
            .len(),
        n,
        "emails are unique"
    );
    let missing_dob = hub.iter().filter(|r| r[15].is_empty()).count();
    assert!(
        (n / 50..n / 5).contains(&missing_dob),
        "missing DOB {missing_dob}"
    );
    assert!(
        hub.iter().any(|r| r[12].contains('-')) && hub.iter().any(|r| r[12].parse::<u32>().is_ok())
    );

    let truth = rows(&dir.path().join("truth.csv"));
    assert_eq!(truth.len(), n);
    assert!(truth
        .iter()
        .zip(&hub)
        .all(|(t, r)| t[0] == r[0] && t[1] == r[3]));
    for p in PERSONAS {
        let k = truth.iter().filter(|t| &t[2] == *p).count();
        assert!((n / 4 - 5..=n / 4 + 5).contains(&k), "{p}: {k}");
    }

    let mut members = 0;
    for (path, cols) in s.files[1..4].iter().zip([23, 28, 26]) {
        assert_eq!(
            csv::Reader::from_path(path)
                .unwrap()
                .headers()
                .unwrap()
                .len(),
            cols,
            "{}",
            path.display()
        );
        members += rows(path)
            .iter()
            .filter(|r| (1..=5).contains(&r[6].parse::<u32>().unwrap()))
            .count();
    }
    assert!(
        (n * 80 / 100..n * 95 / 100).contains(&members),
        "members {members}"
    );

    let (mut events, mut users) = (0u64, HashSet::new());
    for f in &s.files[4..4 + DAYS] {
        for line in fs::read_to_string(f).unwrap().lines() {
            let e: serde_json::Value = serde_json::from_str(line).unwrap();
            assert!(e["event_name"].is_string() && e["platform"] == "WEB");
            users.extend(e["user_id"].as_str().map(String::from));
            events += 1;
        }
    }
    assert_eq!(events, s.events);
    // ~10 per contact plus ~20 % anonymous
    assert!(
        (10.0..14.0).contains(&(events as f64 / n as f64)),
        "events {events}"
    );
    assert!(users.len() > n * 3 / 4);

    let meta: serde_json::Value =
        serde_json::from_slice(&fs::read(dir.path().join("meta/page_insights.json")).unwrap())
            .unwrap();
    assert_eq!(meta["data"][0]["name"], "page_fans_gender_age");
    assert_eq!(meta["data"][1]["values"].as_array().unwrap().len(), 2);
}

#[test]
fn small_group_adds_niche_rows() {
    let (dir, s) = run(&GenerateOptions {
        small_group: 17,
        ..small(200)
    });
    let truth = rows(&dir.path().join("truth.csv"));
    assert_eq!((s.contacts, truth.len()), (217, 217));
    assert_eq!(truth.iter().filter(|t| &t[2] == NICHE_PERSONA).count(), 17);
}

#[test]
fn overlap_blurs_traits() {
    let own_title_share = |overlap: f64| {
        let (dir, s) = run(&GenerateOptions {
            overlap,
            events_per_contact: 1.0,
            ..small(400)
        });
        let (hub, truth) = (rows(&s.files[0]), rows(&dir.path().join("truth.csv")));
        let own = hub.iter().zip(&truth).filter(|(r, t)| {
            PROFILES[PERSONAS.iter().position(|p| *p == &t[2]).unwrap()]
                .titles
                .contains(&&r[9])
        });
        own.count() as f64 / hub.len() as f64
    };
    assert!(own_title_share(0.0) > 0.8);
    assert!(own_title_share(1.0) < 0.4);
    let dir = tempfile::tempdir().unwrap();
    assert!(generate(
        dir.path(),
        &GenerateOptions {
            overlap: 1.5,
            ..small(10)
        }
    )
    .is_err());
}

#[test]
fn added_contacts_come_after_the_same_people() {
    let (a, sa) = run(&small(200));
    let (b, sb) = run(&GenerateOptions {
        added: vec![
            "bargain_founder=30".parse().unwrap(),
            AddedContacts {
                persona: NICHE_PERSONA.into(),
                contacts: 12,
            },
        ],
        ..small(200)
    });
    assert_eq!((sa.contacts, sb.contacts), (200, 242));
    let (ta, tb) = (
        rows(&a.path().join("truth.csv")),
        rows(&b.path().join("truth.csv")),
    );
    assert_eq!(ta[..], tb[..200], "the first 200 contacts are unchanged");
    assert!(tb[200..230].iter().all(|t| &t[2] == "bargain_founder"));
    assert!(tb[230..].iter().all(|t| &t[2] == NICHE_PERSONA));
    assert_eq!(&tb[241][0], "242", "ids continue");
    let (ha, hb) = (rows(&sa.files[0]), rows(&sb.files[0]));
    assert_eq!(ha[..], hb[..200]);
    assert!("nobody=3"
        .parse::<AddedContacts>()
        .unwrap_err()
        .contains("unknown planted persona"));
    assert!("bargain_founder".parse::<AddedContacts>().is_err());
}
