//! CRM import files and the HubSpot push, against a local server that behaves like HubSpot.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::NaiveDate;
use datafusion::arrow::array::{Array, AsArray};
use datafusion::arrow::datatypes::Int32Type;
use personas::config::CrmConfig;
use personas::features::FeatureTable;
use personas::pipeline::RunOptions;
use personas::profile::{Persona, INSUFFICIENT_SAMPLE};
use personas::sinks::crm::{self, CrmContext, PushMode, PushReport};
use personas::tooling::generate::GenerateOptions;

use crate::util::hubspot::{FakeHubSpot, Fault, Portal, BATCH_LIMIT};
use crate::util::{block_on, parquet_rows, read_parquet, run_date, Fixture};

/// A CSV file as (header, rows).
fn read_csv(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let mut r = csv::Reader::from_path(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let header = r.headers().unwrap().iter().map(String::from).collect();
    let rows = r
        .records()
        .map(|rec| rec.unwrap().iter().map(String::from).collect())
        .collect();
    (header, rows)
}

fn column(rows: &[Vec<String>], i: usize) -> Vec<&str> {
    rows.iter().map(|r| r[i].as_str()).collect()
}

/// Each row's column `value` by its id (the first column).
fn values_by_id(rows: &[Vec<String>], value: usize) -> BTreeMap<String, String> {
    rows.iter()
        .map(|r| (r[0].clone(), r[value].clone()))
        .collect()
}

fn assert_unique(values: &[&str], what: &str) {
    let mut seen = HashSet::new();
    for v in values.iter().filter(|v| !v.is_empty()) {
        assert!(seen.insert(*v), "{what} `{v}` appears twice");
    }
}

fn crm_dir(out: &Path, date: NaiveDate) -> PathBuf {
    out.join(format!("crm/run_date={date}"))
}

fn config(toml_text: &str) -> CrmConfig {
    toml::from_str(toml_text).unwrap()
}

/// `n` contacts with HubSpot-like record ids and four personas.
fn contacts(n: usize) -> (FeatureTable, Vec<Persona>) {
    let table = FeatureTable {
        contact_ids: (0..n).map(|i| (5001 + i).to_string()).collect(),
        emails: (0..n)
            .map(|i| (i % 10 != 9).then(|| format!("contact{i}@example.com")))
            .collect(),
        ..Default::default()
    };
    let names = [
        "Curious Casey",
        "Evaluating Emma",
        "Hands-On Hugo",
        "Scrappy Sam",
    ];
    let personas = names
        .iter()
        .enumerate()
        .map(|(i, name)| Persona {
            id: format!("persona_{}", i + 1),
            name: name.to_string(),
            bucket: "all".into(),
            negative: i == 3,
            stability: None,
            size: n / 4,
            share: 0.25,
            share_ci: (0.2, 0.3),
            flags: vec![],
            flag_reasons: vec![],
            description: String::new(),
            top_traits: vec![],
            card: Default::default(),
        })
        .collect();
    (table, personas)
}

/// Write a run's CRM files straight into its published partition.
fn write_run(
    out: &Path,
    date: NaiveDate,
    table: &FeatureTable,
    primary: &[Option<usize>],
    personas: &[Persona],
    cfg: &CrmConfig,
) -> Vec<PathBuf> {
    let dir = crm_dir(out, date);
    let files = crm::write_crm_files_with(
        &CrmContext {
            dir: &dir,
            output_dir: out,
            run_date: date,
            table,
            primary,
            personas,
        },
        cfg,
    )
    .unwrap();
    // Published, as a run would leave it: the date's `_SUCCESS` marker.
    let marker = personas::output::success_marker(out, date);
    std::fs::create_dir_all(marker.parent().unwrap()).unwrap();
    std::fs::write(marker, "").unwrap();
    files
}

/// Each of `n` contacts in one of the four personas, in turn.
fn round_robin(n: usize) -> Vec<Option<usize>> {
    (0..n).map(|i| Some(i % 4)).collect()
}

/// A temp output folder holding a published run of `n` contacts, the four personas in turn.
fn published_run(n: usize) -> (tempfile::TempDir, FeatureTable) {
    let out = tempfile::tempdir().unwrap();
    let (table, personas) = contacts(n);
    write_run(
        out.path(),
        run_date(),
        &table,
        &round_robin(n),
        &personas,
        &CrmConfig::default(),
    );
    (out, table)
}

#[test]
fn pipeline_run_writes_hubspot_salesforce_and_generic_files() {
    let fx = Fixture::sample(400, 4.0);
    let report = fx.run().unwrap();
    let dir = crm_dir(&fx.path("out"), run_date());
    let n = report.contacts;
    let persona_of: HashMap<&str, &Persona> = report
        .features
        .contact_ids
        .iter()
        .zip(&report.primary)
        .filter_map(|(id, p)| Some((id.as_str(), &report.personas[(*p)?])))
        .collect();
    let all_ids: HashSet<&str> = report
        .features
        .contact_ids
        .iter()
        .map(String::as_str)
        .collect();

    // HubSpot: Record ID and Email match the contact, the persona's id sets hs_persona.
    let (header, rows) = read_csv(&dir.join("hubspot_import.csv"));
    assert_eq!(header, ["Record ID", "Email", "Persona"]);
    assert_eq!(rows.len(), n, "one row per contact");
    assert_unique(&column(&rows, 0), "Record ID");
    assert_unique(&column(&rows, 1), "Email");
    assert_eq!(
        column(&rows, 0).into_iter().collect::<HashSet<_>>(),
        all_ids
    );
    let (options_header, options) = read_csv(&dir.join("hubspot_persona_options.csv"));
    assert_eq!(options_header, ["Label", "Internal value"]);
    let option_values: HashSet<&str> = column(&options, 1).into_iter().collect();
    for r in &rows {
        let expected = persona_of
            .get(r[0].as_str())
            .filter(|p| p.publishable())
            .map_or("", |p| p.id.as_str());
        assert_eq!(r[2], expected, "contact {}", r[0]);
        assert!(
            r[2].is_empty() || option_values.contains(r[2].as_str()),
            "value `{}` of contact {} is not in the options file",
            r[2],
            r[0]
        );
    }
    for o in &options {
        let p = report.personas.iter().find(|p| p.id == o[1]).unwrap();
        assert_eq!(o[0], p.name, "option label is the persona's name");
    }

    // Salesforce: keyed on Id, API names in the header, values from the picklist file.
    let (header, rows) = read_csv(&dir.join("salesforce_update.csv"));
    assert_eq!(header, ["Id", "Persona__c"]);
    assert_eq!(rows.len(), n);
    assert_unique(&column(&rows, 0), "Id");
    let (picklist_header, picklist) = read_csv(&dir.join("salesforce_picklist_values.csv"));
    assert_eq!(picklist_header, ["Label", "API Name"]);
    let api_names: HashSet<&str> = column(&picklist, 1).into_iter().collect();
    for r in &rows {
        assert!(
            r[1] == "#N/A" || api_names.contains(r[1].as_str()),
            "value `{}` is not a picklist value",
            r[1]
        );
    }

    // Generic: every column, one row per contact; the first run's import is the full file.
    let (header, rows) = read_csv(&dir.join("generic_import.csv"));
    assert_eq!(
        header,
        [
            "contact_id",
            "email",
            "persona_id",
            "persona_name",
            "bucket",
            "is_negative",
            "run_date"
        ]
    );
    assert_eq!(rows.len(), n);
    assert_unique(&column(&rows, 0), "contact_id");
    for r in &rows {
        match persona_of.get(r[0].as_str()).filter(|p| p.publishable()) {
            Some(p) => {
                assert_eq!(
                    (r[2].as_str(), r[3].as_str()),
                    (p.id.as_str(), p.name.as_str())
                );
                assert_eq!(r[4], p.bucket);
                assert_eq!(r[5], p.negative.to_string());
            }
            None => assert_eq!(&r[2..6], ["", "", "", ""]),
        }
        assert_eq!(r[6], "2026-11-20");
    }
    assert_eq!(read_csv(&dir.join("generic_full.csv")).1, rows);
}

#[test]
fn second_run_with_unchanged_data_writes_an_empty_delta() {
    let fx = Fixture::sample(300, 4.0);
    let first = fx.run().unwrap();
    let next = run_date().succ_opt().unwrap();
    let second = fx.run_with(&RunOptions::new(next)).unwrap();
    assert_eq!(first.primary, second.primary, "same data, same personas");
    let dir = crm_dir(&fx.path("out"), next);
    let empty = |name: &str| read_csv(&dir.join(name)).1.is_empty();
    for _ in 0..2 {
        assert!(empty("hubspot_import.csv"), "HubSpot delta not empty");
        assert!(empty("salesforce_update.csv"), "Salesforce delta not empty");
        assert!(empty("generic_import.csv"), "generic delta not empty");
        assert_eq!(
            read_csv(&dir.join("generic_full.csv")).1.len(),
            second.contacts
        );
        // A rerun of the same date gives the same delta.
        fx.run_with(&RunOptions::new(next)).unwrap();
    }
    // Rerunning the first date (nothing published before it) still gives every contact.
    fx.run().unwrap();
    let (_, rows) = read_csv(&crm_dir(&fx.path("out"), run_date()).join("hubspot_import.csv"));
    assert_eq!(rows.len(), first.contacts);
}

#[test]
fn fifty_contacts_that_changed_persona_are_exactly_the_delta() {
    let out = tempfile::tempdir().unwrap();
    let (table, personas) = contacts(400);
    let before = round_robin(400);
    let day1 = run_date();
    let day2 = day1.succ_opt().unwrap();
    let cfg = CrmConfig::default();
    write_run(out.path(), day1, &table, &before, &personas, &cfg);

    let mut after = before.clone();
    let mut moved = BTreeMap::new();
    for i in (3..400).step_by(8).take(50) {
        after[i] = Some((i + 1) % 4);
        moved.insert(
            table.contact_ids[i].clone(),
            personas[(i + 1) % 4].id.clone(),
        );
    }
    assert_eq!(moved.len(), 50);
    for _ in 0..2 {
        // Twice: rerunning the date (its own partition now published) gives the same delta.
        write_run(out.path(), day2, &table, &after, &personas, &cfg);
        let dir = crm_dir(out.path(), day2);
        let (_, hubspot) = read_csv(&dir.join("hubspot_import.csv"));
        assert_eq!(values_by_id(&hubspot, 2), moved);
        assert_eq!(hubspot.len(), 50);
        let (_, salesforce) = read_csv(&dir.join("salesforce_update.csv"));
        assert_eq!(values_by_id(&salesforce, 1), moved);
        let (_, generic) = read_csv(&dir.join("generic_import.csv"));
        assert_eq!(generic.len(), 50);
        assert_eq!(read_csv(&dir.join("generic_full.csv")).1.len(), 400);
    }
    // Full mode: every contact.
    write_run(
        out.path(),
        day2,
        &table,
        &after,
        &personas,
        &config("mode = \"full\""),
    );
    assert_eq!(
        read_csv(&crm_dir(out.path(), day2).join("hubspot_import.csv"))
            .1
            .len(),
        400
    );
}

#[test]
fn flagged_persona_is_empty_or_the_fallback_and_big_imports_are_split() {
    let out = tempfile::tempdir().unwrap();
    let (table, mut personas) = contacts(250);
    personas[3].flags.push(INSUFFICIENT_SAMPLE.into());
    let primary = round_robin(250);
    let flagged: HashSet<&str> = (3..250)
        .step_by(4)
        .map(|i| table.contact_ids[i].as_str())
        .collect();

    let files = write_run(
        out.path(),
        run_date(),
        &table,
        &primary,
        &personas,
        &config(""),
    );
    let dir = crm_dir(out.path(), run_date());
    assert!(files.contains(&dir.join("hubspot_import.csv")));
    let (_, rows) = read_csv(&dir.join("hubspot_import.csv"));
    for r in &rows {
        assert_eq!(
            r[2].is_empty(),
            flagged.contains(r[0].as_str()),
            "contact {}",
            r[0]
        );
    }
    let (_, options) = read_csv(&dir.join("hubspot_persona_options.csv"));
    assert_eq!(column(&options, 1), ["persona_1", "persona_2", "persona_3"]);
    let (_, salesforce) = read_csv(&dir.join("salesforce_update.csv"));
    let cleared = salesforce.iter().filter(|r| r[1] == "#N/A").count();
    assert_eq!(
        cleared,
        flagged.len(),
        "Salesforce clears with #N/A, not an empty cell"
    );

    let cfg = config(
        r#"
mode = "full"
fallback_label = "Not yet classified"
[hubspot]
max_rows_per_file = 100
"#,
    );
    write_run(out.path(), run_date(), &table, &primary, &personas, &cfg);
    let parts = [
        "hubspot_import.csv",
        "hubspot_import-2.csv",
        "hubspot_import-3.csv",
    ];
    let mut seen = Vec::new();
    for (part, expected_rows) in parts.iter().zip([100, 100, 50]) {
        let (header, rows) = read_csv(&dir.join(part));
        assert_eq!(header, ["Record ID", "Email", "Persona"], "{part}");
        assert_eq!(rows.len(), expected_rows, "{part}");
        for r in rows {
            let fallback = flagged.contains(r[0].as_str());
            assert_eq!(r[2] == "persona_unassigned", fallback, "contact {}", r[0]);
            seen.push(r[0].clone());
        }
    }
    assert!(!dir.join("hubspot_import-4.csv").exists());
    assert_eq!(seen, table.contact_ids);
    let (_, options) = read_csv(&dir.join("hubspot_persona_options.csv"));
    assert_eq!(
        options.last().unwrap(),
        &["Not yet classified", "persona_unassigned"]
    );
}

/// A push config against `server`, its token in `env`.
fn push_config(server: &FakeHubSpot, env: &str) -> CrmConfig {
    config(&format!(
        "[hubspot]\napi_base = \"{}\"\ntoken_env = \"{env}\"\nretries = 3\ntimeout_secs = 10\n",
        server.base()
    ))
}

fn portal(token: &str, contacts: &[String], faults: Vec<(usize, Fault)>) -> Portal {
    Portal {
        token: token.into(),
        property: "hs_persona".into(),
        options: (1..=4).map(|i| format!("persona_{i}")).collect(),
        contacts: contacts.to_vec(),
        faults,
    }
}

fn push(
    out: &Path,
    date: NaiveDate,
    cfg: &CrmConfig,
    mode: PushMode,
) -> personas::Result<PushReport> {
    block_on(crm::push(out, date, cfg, mode))
}

#[test]
fn push_delivers_every_record_despite_a_429_and_a_500_and_records_the_invalid_one() {
    let (out, table) = published_run(250);
    // Contact 150 was deleted in HubSpot since the export; it sits in the second batch.
    let deleted = table.contact_ids[150].clone();
    let existing: Vec<String> = table
        .contact_ids
        .iter()
        .filter(|id| **id != deleted)
        .cloned()
        .collect();
    let faults = vec![
        (
            1,
            Fault::RateLimited {
                retry_after_secs: 1,
            },
        ),
        (3, Fault::ServerError),
    ];
    let server = FakeHubSpot::start(portal("pat-na1-push-test", &existing, faults));
    std::env::set_var("PERSONAS_TEST_HUBSPOT_TOKEN_PUSH", "pat-na1-push-test");
    let cfg = push_config(&server, "PERSONAS_TEST_HUBSPOT_TOKEN_PUSH");

    let report = push(out.path(), run_date(), &cfg, PushMode::Write).unwrap();
    assert_eq!(
        (report.records, report.updated, report.failed),
        (250, 249, 1),
        "{}",
        report.summary()
    );

    // Every other record arrived with its persona.
    let values = server.values();
    for (i, id) in table.contact_ids.iter().enumerate() {
        if *id != deleted {
            assert_eq!(
                values.get(id),
                Some(&format!("persona_{}", i % 4 + 1)),
                "contact {id}"
            );
        }
    }
    assert!(!values.contains_key(&deleted));
    // The batch limit held; the 429's Retry-After was honoured; the 500 was retried.
    let calls = server.batch_calls();
    assert!(calls.iter().all(|c| c.ids.len() <= BATCH_LIMIT));
    assert_eq!(calls[0].status, 429);
    assert!(
        calls[1].at - calls[0].at >= Duration::from_millis(950),
        "Retry-After not honoured"
    );
    assert_eq!(calls[1].ids, calls[0].ids);
    assert_eq!(calls[2].status, 500);
    assert_eq!(calls[3].ids, calls[2].ids);
    // The options were checked before the first write.
    let first = &server.calls()[0];
    assert_eq!(
        (first.method.as_str(), first.path.as_str()),
        ("GET", "/crm/v3/properties/contacts/hs_persona")
    );

    // The invalid record is in crm_failures with its status and message.
    let failures_file = out
        .path()
        .join("crm_failures/run_date=2026-11-20/part-0.parquet");
    let batches = read_parquet(&failures_file);
    let b = &batches[0];
    assert_eq!(b.num_rows(), 1);
    let text = |name: &str| {
        b.column_by_name(name)
            .unwrap()
            .as_string::<i32>()
            .value(0)
            .to_string()
    };
    assert_eq!(text("contact_id"), deleted);
    assert_eq!(text("value"), "persona_3");
    assert!(
        text("message").contains("may be deleted or not exist"),
        "{}",
        text("message")
    );
    let status = b
        .column_by_name("http_status")
        .unwrap()
        .as_primitive::<Int32Type>();
    assert!(status.is_valid(0));
    assert_eq!(status.value(0), 400);

    // A rerun sends only that record.
    let before = server.batch_calls().len();
    let rerun = push(out.path(), run_date(), &cfg, PushMode::Write).unwrap();
    assert_eq!((rerun.records, rerun.failed), (1, 1));
    let new_calls = &server.batch_calls()[before..];
    assert_eq!(new_calls.len(), 1);
    assert_eq!(new_calls[0].ids, std::slice::from_ref(&deleted));
    // Once HubSpot has the contact again, the next rerun delivers it, and the one after sends
    // nothing.
    server.add_contact(&deleted);
    let rerun = push(out.path(), run_date(), &cfg, PushMode::Write).unwrap();
    assert_eq!((rerun.records, rerun.updated, rerun.failed), (1, 1, 0));
    assert_eq!(
        server.values().get(&deleted).map(String::as_str),
        Some("persona_3")
    );
    assert_eq!(parquet_rows(&failures_file), 0);
    let before = server.calls().len();
    let rerun = push(out.path(), run_date(), &cfg, PushMode::Write).unwrap();
    assert_eq!((rerun.records, rerun.calls), (0, 0));
    assert_eq!(server.calls().len(), before);
}

#[test]
fn push_checks_every_option_before_the_first_write() {
    let (out, table) = published_run(40);
    let mut p = portal("pat-na1-options", &table.contact_ids, vec![]);
    p.options.retain(|o| o != "persona_4");
    let server = FakeHubSpot::start(p);
    std::env::set_var("PERSONAS_TEST_HUBSPOT_TOKEN_OPTIONS", "pat-na1-options");
    let cfg = push_config(&server, "PERSONAS_TEST_HUBSPOT_TOKEN_OPTIONS");
    let err = push(out.path(), run_date(), &cfg, PushMode::Write)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("`persona_4`") && err.contains("hubspot_persona_options.csv"),
        "{err}"
    );
    assert!(server.batch_calls().is_empty(), "nothing may be written");
    assert!(!out.path().join("crm_failures").exists());
}

#[test]
fn dry_run_shows_the_change_since_the_last_push_and_sends_nothing() {
    let out = tempfile::tempdir().unwrap();
    let (table, personas) = contacts(120);
    let day1 = run_date();
    let day2 = day1.succ_opt().unwrap();
    let before = round_robin(120);
    write_run(
        out.path(),
        day1,
        &table,
        &before,
        &personas,
        &CrmConfig::default(),
    );
    let server = FakeHubSpot::start(portal("pat-na1-dry", &table.contact_ids, vec![]));
    std::env::set_var("PERSONAS_TEST_HUBSPOT_TOKEN_DRY", "pat-na1-dry");
    let cfg = push_config(&server, "PERSONAS_TEST_HUBSPOT_TOKEN_DRY");
    push(out.path(), day1, &cfg, PushMode::Write).unwrap();

    let mut after = before.clone();
    for slot in after.iter_mut().take(12) {
        *slot = Some(0);
    }
    // 12 contacts moved to persona_1, 3 of which were there already.
    write_run(
        out.path(),
        day2,
        &table,
        &after,
        &personas,
        &CrmConfig::default(),
    );
    let calls = server.calls().len();
    let report = push(out.path(), day2, &cfg, PushMode::DryRun).unwrap();
    assert!(report.dry_run);
    assert_eq!(report.records, 9, "{}", report.summary());
    let moves: Vec<(&str, &str, usize)> = report
        .changes
        .iter()
        .map(|(f, t, n)| (f.as_str(), t.as_str(), *n))
        .collect();
    assert_eq!(
        moves,
        [
            ("persona_2", "persona_1", 3),
            ("persona_3", "persona_1", 3),
            ("persona_4", "persona_1", 3)
        ]
    );
    assert!(
        report.summary().contains("persona_2 -> persona_1"),
        "{}",
        report.summary()
    );
    assert_eq!(server.calls().len(), calls, "a dry run calls nothing");
    assert!(!out.path().join("crm_failures/run_date=2026-11-21").exists());

    let report = push(out.path(), day2, &cfg, PushMode::Write).unwrap();
    assert_eq!((report.records, report.updated), (9, 9));
    assert_eq!(server.batch_calls().last().unwrap().ids.len(), 9);
}

#[test]
fn a_refused_or_missing_token_stops_the_push_without_showing_it() {
    let (out, table) = published_run(8);
    let server = FakeHubSpot::start(portal("pat-na1-right", &table.contact_ids, vec![]));
    std::env::set_var("PERSONAS_TEST_HUBSPOT_TOKEN_WRONG", "pat-na1-wrong-secret");
    let cfg = push_config(&server, "PERSONAS_TEST_HUBSPOT_TOKEN_WRONG");
    let err = push(out.path(), run_date(), &cfg, PushMode::Write).unwrap_err();
    assert_eq!(err.exit_code(), 4);
    let msg = err.to_string();
    assert!(msg.contains("401") && msg.contains("token_env"), "{msg}");
    assert!(!msg.contains("wrong-secret"), "the token leaked: {msg}");
    assert!(server.batch_calls().is_empty());

    let cfg = push_config(&server, "PERSONAS_TEST_HUBSPOT_TOKEN_UNSET");
    let msg = push(out.path(), run_date(), &cfg, PushMode::Write)
        .unwrap_err()
        .to_string();
    assert!(msg.contains("PERSONAS_TEST_HUBSPOT_TOKEN_UNSET"), "{msg}");
}

#[test]
fn a_run_with_push_sends_every_contact_s_persona_after_publishing() {
    let fx = Fixture::generated(&GenerateOptions {
        contacts: 300,
        ..Default::default()
    });
    let ids: Vec<String> = fx.truth().into_keys().collect();
    let server = FakeHubSpot::start(Portal {
        token: "pat-na1-run".into(),
        property: "hs_persona".into(),
        options: (1..=10).map(|i| format!("persona_{i}")).collect(),
        contacts: ids,
        faults: vec![],
    });
    std::env::set_var("PERSONAS_TEST_HUBSPOT_TOKEN_RUN", "pat-na1-run");
    fx.edit_config(|c| {
        c + &format!(
            "\n[crm.hubspot]\napi_base = \"{}\"\ntoken_env = \"PERSONAS_TEST_HUBSPOT_TOKEN_RUN\"\n",
            server.base()
        )
    });
    let report = fx
        .run_with(&RunOptions {
            push: Some(PushMode::Write),
            ..RunOptions::new(run_date())
        })
        .unwrap();
    let push = report.push.as_ref().expect("a push report");
    assert!(report.summary().contains(&push.summary()));
    // Every contact with a trusted persona got that persona's option value, nobody else.
    let mut want = BTreeMap::new();
    for (i, p) in report.primary.iter().enumerate() {
        if let Some(p) = p.map(|p| &report.personas[p]).filter(|p| p.publishable()) {
            want.insert(report.features.contact_ids[i].clone(), p.id.clone());
        }
    }
    assert!(!want.is_empty());
    assert_eq!(push.updated, want.len(), "{}", push.summary());
    assert_eq!(push.failed, 0);
    assert_eq!(server.values(), want);
}
