//! CRM import files and the HubSpot push, against a local server that behaves like HubSpot.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::NaiveDate;
use datafusion::arrow::array::{Array, AsArray};
use datafusion::arrow::datatypes::Int32Type;
use personas::config::{CrmConfig, CrmTarget};
use personas::features::FeatureTable;
use personas::pipeline::RunOptions;
use personas::profile::{Persona, INSUFFICIENT_SAMPLE};
use personas::sinks::crm::{self, ContactSystems, CrmContext, PushMode, PushReport};
use personas::tooling::generate::GenerateOptions;

use crate::util::hubspot::{FakeHubSpot, Fault, Portal, BATCH_LIMIT};
use crate::util::{block_on, file_names, parquet_rows, read_parquet, run_date, Fixture};

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

/// The labels of the four personas of [`contacts`].
const NAMES: [&str; 4] = [
    "Curious Casey",
    "Evaluating Emma",
    "Hands-On Hugo",
    "Scrappy Sam",
];

/// `n` contacts with HubSpot-like record ids and four personas.
fn contacts(n: usize) -> (FeatureTable, Vec<Persona>) {
    let table = FeatureTable {
        contact_ids: (0..n).map(|i| (5001 + i).to_string()).collect(),
        emails: (0..n)
            .map(|i| (i % 10 != 9).then(|| format!("contact{i}@example.com")))
            .collect(),
        ..Default::default()
    };
    let personas = NAMES
        .iter()
        .enumerate()
        .map(|(i, name)| Persona {
            id: format!("persona_{}", i + 1),
            name: name.to_string(),
            bucket: "all".into(),
            negative: i == 3,
            size: n / 4,
            share: 0.25,
            share_ci: (0.2, 0.3),
            ..Default::default()
        })
        .collect();
    (table, personas)
}

/// Write a HubSpot pipeline's CRM files straight into the run's published partition.
fn write_run(
    out: &Path,
    date: NaiveDate,
    table: &FeatureTable,
    primary: &[Option<usize>],
    personas: &[Persona],
    cfg: &CrmConfig,
) -> Vec<PathBuf> {
    let systems = ContactSystems::single(CrmTarget::Hubspot);
    write_run_of(out, date, table, primary, personas, cfg, &systems).unwrap()
}

/// Write the CRM files of a pipeline reading `systems` straight into the run's published
/// partition.
fn write_run_of(
    out: &Path,
    date: NaiveDate,
    table: &FeatureTable,
    primary: &[Option<usize>],
    personas: &[Persona],
    cfg: &CrmConfig,
    systems: &ContactSystems,
) -> personas::Result<Vec<PathBuf>> {
    let dir = crm_dir(out, date);
    let files = crm::write_crm_files_with(
        &CrmContext {
            dir: &dir,
            output_dir: out,
            run_date: date,
            table,
            primary,
            personas,
            systems,
        },
        cfg,
    )?;
    // Published, as a run would leave it: the date's `_SUCCESS` marker.
    let marker = personas::output::success_marker(out, date);
    std::fs::create_dir_all(marker.parent().unwrap()).unwrap();
    std::fs::write(marker, "").unwrap();
    Ok(files)
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
fn a_hubspot_only_pipeline_writes_the_hubspot_files_and_no_salesforce_file() {
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

    // Only the HubSpot files: no Salesforce update with HubSpot ids in `Id`, no generic file.
    assert_eq!(
        file_names(&dir),
        [
            "generic_full.csv",
            "hubspot_import.csv",
            "hubspot_persona_options.csv"
        ]
    );

    // HubSpot: Record ID and Email match the contact, the persona's id sets hs_persona, and a
    // contact in no trusted persona gets the "Not classified" option.
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
            .map_or("persona_unassigned", |p| p.id.as_str());
        assert_eq!(r[2], expected, "contact {}", r[0]);
        assert!(
            option_values.contains(r[2].as_str()),
            "value `{}` of contact {} is not in the options file",
            r[2],
            r[0]
        );
    }
    let (fallback, personas) = options.split_last().unwrap();
    assert_eq!(fallback, &["Not classified", "persona_unassigned"]);
    for o in personas {
        let p = report.personas.iter().find(|p| p.id == o[1]).unwrap();
        assert_eq!(o[0], p.name, "option label is the persona's name");
    }

    // The snapshot: every column, one row per contact, each of HubSpot.
    let (header, rows) = read_csv(&dir.join("generic_full.csv"));
    assert_eq!(
        header.join(","),
        "contact_id,email,persona_id,persona_name,bucket,is_negative,run_date,crm"
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
            // The snapshot keeps the persona (none); the import files write the fallback.
            None => assert_eq!(&r[2..6], ["", "", "", ""]),
        }
        assert_eq!(r[6], "2026-11-20");
        assert_eq!(r[7], "hubspot");
    }
}

/// Run `personas crm <args>` on the fixture's config; (exit code, stdout, stderr).
fn crm_cli(fx: &Fixture, args: &[&str]) -> (i32, String, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_personas"))
        .arg("crm")
        .arg(args[0])
        .arg(&fx.config)
        .args(&args[1..])
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_skipped_import_reappears_in_the_next_file_until_acknowledged() {
    let fx = Fixture::sample(300, 4.0);
    let first = fx.run().unwrap();
    let next = run_date().succ_opt().unwrap();
    let rows =
        |date: NaiveDate| read_csv(&crm_dir(&fx.path("out"), date).join("hubspot_import.csv")).1;
    // The admin skipped the first import: the next run's file holds every contact again.
    let second = fx.run_with(&RunOptions::new(next)).unwrap();
    assert_eq!(first.primary, second.primary, "same data, same personas");
    assert_eq!(
        rows(next).len(),
        second.contacts,
        "skipped import not repeated"
    );
    let (code, status, _) = crm_cli(&fx, &["status"]);
    assert_eq!(code, 0);
    println!("{status}");
    assert!(
        status.contains("hubspot: nothing confirmed yet; latest run 2026-11-21 (published ")
            && status.contains("Z): 300 contacts pending")
            && status.contains("not acknowledged: 2026-11-20, 2026-11-21")
            && status.contains("--date 2026-11-21 --file hubspot"),
        "{status}"
    );

    // Nothing to acknowledge for a date never run, or a file the run did not write.
    let (code, _, err) = crm_cli(&fx, &["ack", "--date", "2026-11-19"]);
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("no published run of 2026-11-19"), "{err}");
    let (code, _, err) = crm_cli(
        &fx,
        &["ack", "--date", "2026-11-20", "--file", "salesforce"],
    );
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("no salesforce import file"), "{err}");

    // Once the first import is acknowledged (a file named twice counts once, and the output
    // says when the acknowledged files were published), the next file holds only the
    // changes: none.
    let (code, said, err) = crm_cli(
        &fx,
        &[
            "ack",
            "--date",
            "2026-11-20",
            "--file",
            "hubspot",
            "--file",
            "hubspot",
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        said.matches("acknowledged the hubspot import of 2026-11-20 (files published ")
            .count(),
        1,
        "{said}"
    );
    assert!(!err.contains("warning: 2026-11-20 was rerun"), "{err}");
    assert!(!fx.path("out/.lock").exists(), "the lock is released");
    for _ in 0..2 {
        // Twice: a rerun of the same date gives the same delta.
        fx.run_with(&RunOptions::new(next)).unwrap();
        assert!(rows(next).is_empty(), "HubSpot delta not empty");
        assert_eq!(
            read_csv(&crm_dir(&fx.path("out"), next).join("generic_full.csv"))
                .1
                .len(),
            second.contacts
        );
    }
    let (_, status, _) = crm_cli(&fx, &["status"]);
    println!("{status}");
    assert!(
        status.contains("hubspot: confirmed 2026-11-20 (import acknowledged ")
            && status.contains("latest run 2026-11-21 (published ")
            && status.contains("Z): 0 contacts pending"),
        "{status}"
    );
    // Rerunning the first date (nothing confirmed before it) still gives every contact; its
    // snapshot is the same, so the acknowledgement still counts.
    fx.run().unwrap();
    assert_eq!(rows(run_date()).len(), first.contacts);
    fx.run_with(&RunOptions::new(next)).unwrap();
    assert!(rows(next).is_empty());
}

/// `[crm]` settings that cannot write the CRM files fail `personas validate` and the start of
/// `personas run` with exit 2, before any work.
#[test]
fn crm_settings_that_cannot_be_written_fail_validate_and_the_start_of_a_run() {
    let fx = Fixture::sample(40, 1.0);
    let plain = std::fs::read_to_string(&fx.config).unwrap();
    for (section, says) in [
        ("files = [\"salesforce\"]", "crm.files lists `salesforce`"),
        ("unclassified = \"clear\"", "crm.unclassified"),
    ] {
        fx.edit_config(|_| format!("{plain}\n[crm]\n{section}\n"));
        for command in ["validate", "run"] {
            let out = std::process::Command::new(env!("CARGO_BIN_EXE_personas"))
                .arg(command)
                .arg(&fx.config)
                .args(["--date", "2026-11-20"])
                .output()
                .unwrap();
            let err = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "{command}: {err}");
            assert!(err.contains(says), "{command}: {err}");
        }
        assert!(
            !fx.path("out").exists(),
            "a run that cannot finish starts no work"
        );
    }
}

/// A contact the confirmed snapshot lacks is sent even with no persona (its CRM has yet to get
/// "Not classified"), and a contact whose id now comes from another CRM, same persona, is sent
/// to that CRM.
#[test]
fn new_unclassified_and_moved_contacts_are_in_the_next_delta() {
    let out = tempfile::tempdir().unwrap();
    let (table, personas) = contacts(41);
    let (before, _) = contacts(40);
    let (day1, day2) = (run_date(), run_date().succ_opt().unwrap());
    let cfg = CrmConfig::default();
    let mut systems = ContactSystems::new([CrmTarget::Hubspot, CrmTarget::Salesforce]);
    for (i, id) in table.contact_ids.iter().enumerate() {
        let system = [CrmTarget::Hubspot, CrmTarget::Salesforce][i % 2];
        systems.by_id.insert(id.clone(), system);
    }
    // Day 1: the first 40 contacts, both imports acknowledged.
    write_run_of(
        out.path(),
        day1,
        &before,
        &round_robin(40),
        &personas,
        &cfg,
        &systems,
    )
    .unwrap();
    let done = crm::acks::acknowledge(out.path(), day1, &[]).unwrap();
    assert_eq!(done.files, [CrmTarget::Hubspot, CrmTarget::Salesforce]);
    // Day 2: a new HubSpot contact in no persona; the first contact (HubSpot, persona_1) now
    // comes from Salesforce.
    let mut primary = round_robin(41);
    primary[40] = None;
    let (new, moved) = (&table.contact_ids[40], &table.contact_ids[0]);
    systems.by_id.insert(moved.clone(), CrmTarget::Salesforce);
    write_run_of(
        out.path(),
        day2,
        &table,
        &primary,
        &personas,
        &cfg,
        &systems,
    )
    .unwrap();
    let dir = crm_dir(out.path(), day2);
    let (_, hubspot) = read_csv(&dir.join("hubspot_import.csv"));
    assert_eq!(
        values_by_id(&hubspot, 2),
        BTreeMap::from([(new.clone(), "persona_unassigned".to_string())])
    );
    let (_, salesforce) = read_csv(&dir.join("salesforce_update.csv"));
    assert_eq!(
        values_by_id(&salesforce, 1),
        BTreeMap::from([(moved.clone(), "persona_1".to_string())])
    );
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
    crm::acks::acknowledge(out.path(), day1, &[]).unwrap();

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
        assert_eq!(read_csv(&dir.join("generic_full.csv")).1.len(), 400);
    }
    // A persona renamed since the options the admin created stops the run, naming both labels,
    // unless the admin renamed the option too and says so.
    let mut renamed = personas.clone();
    renamed[2].name = "Budget Approver".into();
    let hubspot = ContactSystems::single(CrmTarget::Hubspot);
    let err = write_run_of(out.path(), day2, &table, &after, &renamed, &cfg, &hubspot)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("option `persona_3` was created in hubspot as `Hands-On Hugo`")
            && err.contains("`Budget Approver`")
            && err.contains("run_date=2026-11-20/hubspot_persona_options.csv"),
        "{err}"
    );
    let relabeled = config("relabeled = [\"persona_3\"]");
    write_run_of(
        out.path(),
        day2,
        &table,
        &after,
        &renamed,
        &relabeled,
        &hubspot,
    )
    .unwrap();
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
fn flagged_persona_gets_the_fallback_or_the_loader_s_null_and_big_imports_are_split() {
    let out = tempfile::tempdir().unwrap();
    let (table, mut personas) = contacts(250);
    personas[3].flags.push(INSUFFICIENT_SAMPLE.into());
    let primary = round_robin(250);
    let flagged: HashSet<&str> = (3..250)
        .step_by(4)
        .map(|i| table.contact_ids[i].as_str())
        .collect();

    // By default: the "Not classified" option, which every CRM applies.
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
            r[2] == "persona_unassigned",
            flagged.contains(r[0].as_str()),
            "contact {}",
            r[0]
        );
    }
    let (_, options) = read_csv(&dir.join("hubspot_persona_options.csv"));
    assert_eq!(
        column(&options, 1),
        ["persona_1", "persona_2", "persona_3", "persona_unassigned"]
    );
    assert_eq!(options[3][0], "Not classified");

    // Clearing instead, in Salesforce: an empty cell for Data Loader (SOAP, "Insert null
    // values"), `#N/A` only in the file for the Bulk API.
    let salesforce = ContactSystems::single(CrmTarget::Salesforce);
    let cleared = |loader: &str| {
        let out = tempfile::tempdir().unwrap();
        let cfg = config(&format!(
            "unclassified = \"clear\"\n[salesforce]\nloader = \"{loader}\"\n"
        ));
        let files = write_run_of(
            out.path(),
            run_date(),
            &table,
            &primary,
            &personas,
            &cfg,
            &salesforce,
        )
        .unwrap();
        let names: Vec<String> = files
            .iter()
            .map(|f| f.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        let (_, rows) = read_csv(&files[1]);
        (names, rows)
    };
    let (names, rows) = cleared("data_loader");
    assert_eq!(
        names,
        [
            "generic_full.csv",
            "salesforce_update.csv",
            "salesforce_picklist_values.csv"
        ]
    );
    let empty: HashSet<&str> = rows
        .iter()
        .filter(|r| r[1].is_empty())
        .map(|r| r[0].as_str())
        .collect();
    assert_eq!(empty, flagged, "Data Loader clears with an empty cell");
    assert!(rows.iter().all(|r| r[1] != "#N/A"));
    let (names, rows) = cleared("bulk_api");
    assert_eq!(names[1], "salesforce_update_bulk_api.csv");
    let nulls = rows.iter().filter(|r| r[1] == "#N/A").count();
    assert_eq!(nulls, flagged.len(), "the Bulk API clears with #N/A");
    // Clearing cannot be imported into HubSpot: refused before anything is written.
    let err = write_run_of(
        out.path(),
        run_date(),
        &table,
        &primary,
        &personas,
        &config("unclassified = \"clear\""),
        &ContactSystems::single(CrmTarget::Hubspot),
    )
    .unwrap_err();
    assert_eq!(err.exit_code(), 2);
    assert!(err.to_string().contains("unclassified"), "{err}");

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

/// The options of the four personas of [`contacts`] and the fallback, with their labels.
fn options() -> Vec<(String, String)> {
    let mut options: Vec<(String, String)> = NAMES
        .iter()
        .enumerate()
        .map(|(i, name)| (format!("persona_{}", i + 1), name.to_string()))
        .collect();
    options.push(("persona_unassigned".into(), "Not classified".into()));
    options
}

fn portal(token: &str, contacts: &[String], faults: Vec<(usize, Fault)>) -> Portal {
    Portal {
        token: token.into(),
        property: "hs_persona".into(),
        options: options(),
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
    p.options.retain(|o| o.0 != "persona_4");
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
    // The portal's options are the ones the first run asked the admin to create.
    let first = fx.run().unwrap();
    let (_, created) =
        read_csv(&crm_dir(&fx.path("out"), run_date()).join("hubspot_persona_options.csv"));
    let server = FakeHubSpot::start(Portal {
        token: "pat-na1-run".into(),
        property: "hs_persona".into(),
        options: created
            .iter()
            .map(|o| (o[1].clone(), o[0].clone()))
            .collect(),
        contacts: ids,
        faults: vec![],
    });
    let report = server.run_pushing(&fx, "PERSONAS_TEST_HUBSPOT_TOKEN_RUN");
    assert_eq!(report.primary, first.primary);
    let push = report.push.as_ref().expect("a push report");
    assert!(report.summary().contains(&push.summary()));
    // Every contact with a trusted persona got that persona's option value, everybody else
    // the "Not classified" option.
    let mut want = BTreeMap::new();
    for (i, p) in report.primary.iter().enumerate() {
        let value = match p.map(|p| &report.personas[p]).filter(|p| p.publishable()) {
            Some(p) => p.id.clone(),
            None => "persona_unassigned".into(),
        };
        want.insert(report.features.contact_ids[i].clone(), value);
    }
    assert_eq!(push.updated, want.len(), "{}", push.summary());
    assert_eq!(push.failed, 0);
    assert_eq!(server.values(), want);
}

#[test]
fn a_push_to_a_portal_whose_option_has_another_label_writes_nothing_and_names_it() {
    let (out, table) = published_run(40);
    let mut p = portal("pat-na1-labels", &table.contact_ids, vec![]);
    // The portal already has a `persona_3`: someone else's persona.
    p.options[2].1 = "Budget Approver".into();
    let server = FakeHubSpot::start(p);
    std::env::set_var("PERSONAS_TEST_HUBSPOT_TOKEN_LABELS", "pat-na1-labels");
    let cfg = push_config(&server, "PERSONAS_TEST_HUBSPOT_TOKEN_LABELS");
    let err = push(out.path(), run_date(), &cfg, PushMode::Write).unwrap_err();
    let msg = err.to_string();
    println!("{msg}");
    assert_eq!(err.exit_code(), 3);
    assert!(
        msg.contains("`persona_3` is `Budget Approver` in HubSpot but `Hands-On Hugo` here")
            && msg.contains("Nothing was written"),
        "{msg}"
    );
    assert!(server.batch_calls().is_empty(), "nothing may be written");
    assert!(server.values().is_empty());
    assert!(!out.path().join("crm_failures").exists());
}

#[test]
fn an_unclassified_contact_s_persona_is_replaced_on_import_not_left_stale() {
    let out = tempfile::tempdir().unwrap();
    let (table, personas) = contacts(40);
    let server = FakeHubSpot::start(portal("pat-na1-import", &table.contact_ids, vec![]));
    let day1 = run_date();
    let day2 = day1.succ_opt().unwrap();
    let cfg = CrmConfig::default();
    write_run(out.path(), day1, &table, &round_robin(40), &personas, &cfg);
    let import = |date: NaiveDate| {
        server.import(
            &crm_dir(out.path(), date).join("hubspot_import.csv"),
            "Persona",
        )
    };
    let done = import(day1);
    assert_eq!((done.updated, done.errors.len()), (40, 0), "{done:?}");
    crm::acks::acknowledge(out.path(), day1, &[]).unwrap();

    // Day 2: persona_4 is too small to trust; its contacts are unclassified.
    let mut small = personas.clone();
    small[3].flags.push(INSUFFICIENT_SAMPLE.into());
    write_run(out.path(), day2, &table, &round_robin(40), &small, &cfg);
    let done = import(day2);
    assert_eq!((done.updated, done.left_unchanged), (10, 0), "{done:?}");
    // HubSpot now holds exactly the snapshot (no persona: the fallback): no stale persona_4.
    let (_, snapshot) = read_csv(&crm_dir(out.path(), day2).join("generic_full.csv"));
    let mut want = values_by_id(&snapshot, 2);
    for v in want.values_mut().filter(|v| v.is_empty()) {
        *v = "persona_unassigned".into();
    }
    assert_eq!(server.values(), want);
    assert!(server.values().values().all(|v| v != "persona_4"));
    assert_eq!(
        server
            .values()
            .values()
            .filter(|v| *v == "persona_unassigned")
            .count(),
        10
    );

    // Why an empty cell would not do: HubSpot's import leaves the property as it was, and it
    // refuses a value that is not an option.
    let file = out.path().join("by_hand.csv");
    let (a, b) = (&table.contact_ids[0], &table.contact_ids[1]);
    std::fs::write(
        &file,
        format!("Record ID,Email,Persona\n{a},,\n{b},,persona_9\n"),
    )
    .unwrap();
    let before = server.values();
    let done = server.import(&file, "Persona");
    assert_eq!(done.left_unchanged, 1);
    assert_eq!(done.errors.len(), 1);
    assert!(done.errors[0].1.contains("INVALID_OPTION"), "{done:?}");
    assert_eq!(server.values(), before);
}
