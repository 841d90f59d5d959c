//! Several sources of one kind, and several CRMs: the generator's people split over two GA4
//! properties and over HubSpot plus a regional CRM exported as a semicolon CSV, some of them
//! in both CRMs. The split run must find every contact with the same features as the run over
//! the unsplit exports, count rows per source, merge the contacts kept in both CRMs, and send
//! each contact's persona only to the CRM its id belongs to.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use datafusion::arrow::util::display::array_value_to_string;
use personas::config::Pipeline;

use crate::util::exports::column_at;
use crate::util::{csv_column, file_names, read_parquet, Fixture};

/// The regional CRM's columns (semicolon CSV with a header) and the HubSpot column each is
/// copied from.
const REGIONAL: &[(&str, &str)] = &[
    ("Kundennummer", "Record ID"),
    ("E-Mail", "Email"),
    ("Vorname", "First Name"),
    ("Nachname", "Last Name"),
    ("Position", "Job Title"),
    ("Geburtsdatum", "Date of birth"),
    ("Geschlecht", "Gender"),
    ("Ort", "City"),
    ("Land", "Country/Region"),
    ("Branche", "Industry"),
    ("Mitarbeiter", "Number of Employees"),
    ("Phase", "Lifecycle Stage"),
    ("Kaufrolle", "Buying Role"),
    ("Quelle", "Original Source"),
    ("Umsatz", "Total Revenue"),
    ("Angelegt", "Create Date"),
    ("Letzte Aktivitaet", "Last Activity Date"),
];

/// The `[sources.columns]` mapping of the regional CRM.
const REGIONAL_MAPPING: &str = "contact_id = \"Kundennummer\"\nemail = \"E-Mail\"\n\
    first_name = \"Vorname\"\nlast_name = \"Nachname\"\njob_title = \"Position\"\n\
    date_of_birth = \"Geburtsdatum\"\ngender = \"Geschlecht\"\ncity = \"Ort\"\n\
    country = \"Land\"\nindustry = \"Branche\"\nemployees = \"Mitarbeiter\"\n\
    lifecycle_stage = \"Phase\"\nbuying_role = \"Kaufrolle\"\noriginal_source = \"Quelle\"\n\
    revenue = \"Umsatz\"\ncreated_at = \"Angelegt\"\nlast_activity_at = \"Letzte Aktivitaet\"\n";

/// The id the regional CRM gives a HubSpot contact.
fn regional_id(id: &str) -> String {
    format!("R-{id}")
}

/// Every row of a Parquet table as text, by its `contact_id`, without the id column.
fn rows_by_id(path: &Path) -> BTreeMap<String, Vec<String>> {
    let mut out = BTreeMap::new();
    for batch in read_parquet(path) {
        let schema = batch.schema();
        let id = schema.index_of("contact_id").unwrap();
        for row in 0..batch.num_rows() {
            let cells: Vec<String> = (0..batch.num_columns())
                .filter(|&c| c != id)
                .map(|c| {
                    let v = array_value_to_string(batch.column(c), row).unwrap();
                    format!("{}={v}", schema.field(c).name())
                })
                .collect();
            let key = array_value_to_string(batch.column(id), row).unwrap();
            out.insert(key, cells);
        }
    }
    out
}

/// Split every GA4 file of `data/ga4` into `data/ga4_a` and `data/ga4_b` (same file names):
/// the events of the contacts `in_b` says into `b`, every other line (anonymous ones too) into
/// `a`, and the events of contact `twice` into both (two properties that both tracked its
/// visits, with the same session ids); logged-in user ids rewritten with `rename`.
fn split_ga4(
    fx: &Fixture,
    (in_b, twice): (impl Fn(&str) -> bool, &str),
    rename: impl Fn(&str) -> String,
) {
    const KEY: &str = "\"user_id\":\"";
    for side in ["data/ga4_a", "data/ga4_b"] {
        std::fs::create_dir_all(fx.path(side)).unwrap();
    }
    for entry in std::fs::read_dir(fx.path("data/ga4")).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_owned();
        let (mut a, mut b) = (String::new(), String::new());
        for line in std::fs::read_to_string(&path).unwrap().lines() {
            let (side, line) = match line.find(KEY) {
                Some(at) => {
                    let start = at + KEY.len();
                    let end = start + line[start..].find('"').unwrap();
                    let id = &line[start..end];
                    if id == twice {
                        a.push_str(line);
                        a.push('\n');
                    }
                    let side = if in_b(id) || id == twice {
                        &mut b
                    } else {
                        &mut a
                    };
                    (
                        side,
                        format!("{}{}{}", &line[..start], rename(id), &line[end..]),
                    )
                }
                None => (&mut a, line.to_string()),
            };
            side.push_str(&line);
            side.push('\n');
        }
        std::fs::write(fx.path("data/ga4_a").join(&name), a).unwrap();
        std::fs::write(fx.path("data/ga4_b").join(&name), b).unwrap();
    }
    std::fs::remove_dir_all(fx.path("data/ga4")).unwrap();
}

#[test]
fn two_ga4_properties_and_two_crms_give_the_contacts_of_one() {
    let fx = Fixture::sample(400, 6.0);
    let baseline = fx.run().unwrap();
    let features = |run: &str| format!("out/contact_features/run_date={run}/part-0.parquet");
    let before = rows_by_id(&fx.path(&features("2026-11-20")));
    assert_eq!(before.len(), 400);
    let web_rows = |r: &personas::pipeline::RunReport, names: &[&str]| -> u64 {
        (r.sources.iter())
            .filter(|s| names.contains(&s.name.as_str()))
            .map(|s| s.counts.accepted)
            .sum()
    };
    let baseline_events = web_rows(&baseline, &["web"]);

    // Every fourth contact moves to the regional CRM under its own id; the first 12 of those
    // stay in HubSpot too (the same email), where their record is the newer one.
    let mut r = csv::Reader::from_path(fx.crm_export()).unwrap();
    let header: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let rows: Vec<csv::StringRecord> = r.records().map(|r| r.unwrap()).collect();
    let (mut hubspot, mut regional) = (vec![header.clone()], Vec::new());
    regional.push(
        REGIONAL
            .iter()
            .map(|(c, _)| c.to_string())
            .collect::<Vec<_>>(),
    );
    let (mut moved, mut both) = (BTreeSet::new(), BTreeSet::new());
    for (i, row) in rows.iter().enumerate() {
        let id = row[col("Record ID")].to_string();
        let cells: Vec<String> = row.iter().map(String::from).collect();
        if i % 4 != 3 {
            hubspot.push(cells);
            continue;
        }
        let mut copy: Vec<String> = (REGIONAL.iter())
            .map(|(_, from)| row[col(from)].to_string())
            .collect();
        if both.len() < 12 {
            both.insert(id.clone());
            copy[16].clear(); // no last activity: the HubSpot record wins the merge
            hubspot.push(cells);
        } else {
            moved.insert(id.clone());
        }
        copy[0] = regional_id(&id);
        regional.push(copy);
    }
    assert_eq!((moved.len(), both.len()), (88, 12));
    let write = |path: &Path, rows: &[Vec<String>], delimiter: u8| {
        let mut w = csv::WriterBuilder::new()
            .delimiter(delimiter)
            .from_path(path)
            .unwrap();
        rows.iter().for_each(|r| w.write_record(r).unwrap());
        w.flush().unwrap();
    };
    write(&fx.crm_export(), &hubspot, b',');
    std::fs::create_dir_all(fx.path("data/regional")).unwrap();
    write(&fx.path("data/regional/kunden.csv"), &regional, b';');
    // Odd record ids' web events come from a second GA4 property; one contact's visits were
    // tracked by both, under the same session ids: its sessions count once per property.
    let odd = |id: &str| id.parse::<u64>().is_ok_and(|n| n % 2 == 1);
    let number = |cells: &[String], column: &str| -> f64 {
        let prefix = format!("{column}=");
        let cell = cells.iter().find(|c| c.starts_with(&prefix)).unwrap();
        cell[prefix.len()..].parse().unwrap()
    };
    let twice = (before.iter())
        .find(|(id, cells)| !moved.contains(*id) && number(cells, "sessions") > 0.0)
        .map(|(id, _)| id.clone())
        .unwrap();
    split_ga4(&fx, (odd, &twice), |id| {
        if moved.contains(id) {
            regional_id(id)
        } else {
            id.to_string()
        }
    });
    fx.edit_config(|c| {
        let c = c.replace("data/ga4/events_*.json", "data/ga4_a/events_*.json");
        format!(
            "{c}\n[[sources]]\nname = \"web_b\"\nkind = \"ga4_events\"\npath = \"data/ga4_b/events_*.json\"\n\
             \n[[sources]]\nname = \"regional\"\nkind = \"csv\"\npath = \"data/regional/kunden.csv\"\n\
             delimiter = \";\"\ndatetime_format = \"%Y-%m-%d %H:%M\"\n[sources.columns]\n{REGIONAL_MAPPING}"
        )
    });

    let report = fx.run().unwrap();
    let summary = report.summary();
    // Rows per source: each GA4 property and each CRM counted on its own.
    let count = |name: &str| {
        let s = report.sources.iter().find(|s| s.name == name).unwrap();
        (s.counts.accepted, s.counts.rejected)
    };
    assert_eq!(count("crm"), (312, 0), "{summary}");
    assert_eq!(count("regional"), (100, 0), "{summary}");
    assert!(count("web").0 > 0 && count("web_b").0 > 0, "{summary}");
    let twice_events = {
        let mut n = 0;
        for entry in std::fs::read_dir(fx.path("data/ga4_a")).unwrap() {
            let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
            n += text.matches(&format!("\"user_id\":\"{twice}\"")).count() as u64;
        }
        n
    };
    assert!(twice_events > 0);
    assert_eq!(
        web_rows(&report, &["web", "web_b"]),
        baseline_events + twice_events
    );
    // The contacts in both CRMs are merged: 400 contacts, 12 records merged.
    assert_eq!(report.contacts, 400, "{summary}");
    assert_eq!(report.duplicates_merged, Some(12), "{summary}");
    // Every contact has the features the unsplit exports gave it, under its own CRM's id:
    // the two properties' events are unioned, none counted twice.
    let after = rows_by_id(&fx.path(&features("2026-11-20")));
    let expected: BTreeMap<String, Vec<String>> = (before.into_iter())
        .map(|(id, cells)| match moved.contains(&id) {
            true => (regional_id(&id), cells),
            false => (id, cells),
        })
        .collect();
    assert_eq!(after.len(), expected.len());
    for (id, cells) in expected.iter().filter(|(id, _)| **id != twice) {
        assert_eq!(after.get(id), Some(cells), "contact {id}");
    }
    // The contact seen by both properties: each property's sessions and page views count (its
    // session ids are the same in both), its content shares are unchanged.
    let (was, now) = (&expected[&twice], &after[&twice]);
    for column in ["sessions", "page_views"] {
        assert_eq!(number(now, column), 2.0 * number(was, column), "{column}");
    }
    assert_eq!(number(now, "share_docs"), number(was, "share_docs"));
    // Each property lands in its own folder under the one raw table.
    for source in ["web", "web_b"] {
        let landed = format!("out/landing/raw_ga4__events/source={source}/run_date=2026-11-20");
        assert!(file_names(&fx.path(&landed))
            .iter()
            .any(|f| f.ends_with(".parquet")));
    }
    assert!(fx
        .path("out/landing/raw_hubspot__contacts/run_date=2026-11-20")
        .is_dir());
    // Every contact keeps the CRM its id belongs to: regional ids only in the generic file's
    // `csv` rows, never in HubSpot's import.
    let dir = fx.path("out/crm/run_date=2026-11-20");
    let in_hubspot = csv_column(&dir.join("hubspot_import.csv"), "Record ID");
    assert!(in_hubspot.iter().all(|id| !id.starts_with("R-")));
    assert!(both.iter().all(|id| in_hubspot.contains(id)));
    let mut r = csv::Reader::from_path(dir.join("generic_full.csv")).unwrap();
    let system = column_at(&mut r, "crm");
    let mut systems = BTreeMap::new();
    for rec in r.records() {
        let rec = rec.unwrap();
        let want = if rec[0].starts_with("R-") {
            "csv"
        } else {
            "hubspot"
        };
        assert_eq!(&rec[system], want, "contact {}", &rec[0]);
        *systems.entry(want.to_string()).or_insert(0) += 1;
    }
    assert!(systems.get("csv").is_some_and(|&n| n > 0), "{systems:?}");
}

#[test]
fn two_crm_sources_of_one_kind_are_refused_by_name() {
    let fx = Fixture::sample(20, 1.0);
    fx.edit_config(|c| {
        c + "\n[[sources]]\nname = \"crm_eu\"\nkind = \"hubspot_contacts\"\npath = \"data/eu.csv\"\n"
    });
    let err = Pipeline::load(&fx.config).unwrap_err();
    assert_eq!(err.exit_code(), 2);
    let text = err.to_string();
    assert!(
        text.contains("crm_eu") && text.contains("hubspot_contacts"),
        "{text}"
    );
}
