//! The other CRM exports: Salesforce contacts (Data Loader CSV and report export) and a generic
//! CRM CSV read through a column mapping, each written from the generator's HubSpot export (the
//! same people) and run through the whole pipeline in place of the HubSpot source.

use std::collections::HashMap;
use std::path::Path;

use chrono::{NaiveDate, NaiveDateTime};
use datafusion::arrow::datatypes::DataType;
use datafusion::prelude::SessionContext;
use personas::config::{Pipeline, SourceKind};
use personas::landing::Counts;
use personas::output::parquet::write_parquet;
use personas::pipeline::RunReport;
use personas::sources::csv::checks::salesforce_id_18;
use personas::sources::csv::salesforce::SALESFORCE_CONTACTS;
use personas::sources::SourceReport;
use personas::Error;

use crate::util::exports::write_csv;
use crate::util::{
    block_on, crm_counts, csv_column, file_names, missing_column_of, read_parquet,
    rewrite_user_ids, run_date, sql_dir, strings, Fixture,
};

/// The generator's HubSpot export: a cell by column name, for each row.
struct Hubspot {
    header: HashMap<String, usize>,
    rows: Vec<csv::StringRecord>,
}

impl Hubspot {
    fn read(fx: &Fixture) -> Hubspot {
        let mut r = csv::Reader::from_path(fx.crm_export()).unwrap();
        let header = r
            .headers()
            .unwrap()
            .iter()
            .enumerate()
            .map(|(i, h)| (h.to_string(), i))
            .collect();
        let rows = r.records().map(|r| r.unwrap()).collect();
        Hubspot { header, rows }
    }

    fn get<'r>(&self, row: &'r csv::StringRecord, column: &str) -> &'r str {
        &row[self.header[column]]
    }

    /// Every row's cell of `column`.
    fn column(&self, column: &str) -> Vec<String> {
        self.rows
            .iter()
            .map(|r| self.get(r, column).to_string())
            .collect()
    }
}

/// The 18-character Salesforce id a test gives a HubSpot record id.
fn sf_id(record_id: &str) -> String {
    format!("0035g0000{record_id:0>6}AAZ")
}

/// The 15-character form a report shows.
fn sf_id15(record_id: &str) -> String {
    format!("0035g0000{record_id:0>6}")
}

/// Reformat a `YYYY-MM-DD` date (empty stays empty).
fn date_as(v: &str, format: &str) -> String {
    NaiveDate::parse_from_str(v, "%Y-%m-%d")
        .map(|d| d.format(format).to_string())
        .unwrap_or_default()
}

/// Reformat a HubSpot `YYYY-MM-DD HH:MM` date-time (empty stays empty).
fn datetime_as(v: &str, format: &str) -> String {
    NaiveDateTime::parse_from_str(v, "%Y-%m-%d %H:%M")
        .map(|d| d.format(format).to_string())
        .unwrap_or_default()
}

/// Replace the fixture's HubSpot source with `source` (the lines after `[[sources]]` and its
/// name).
fn replace_crm_source(fx: &Fixture, source: &str) {
    let hubspot =
        "kind = \"hubspot_contacts\"\npath = \"data/hubspot-crm-exports-all-contacts-*.csv\"\n";
    fx.edit_config(|config| {
        assert!(config.contains(hubspot), "{config}");
        config.replacen(hubspot, source, 1)
    });
}

/// Write `rows` as a Salesforce contacts export at `rel` in the fixture (every field quoted or
/// only where needed), read it in place of the HubSpot source and run: all `contacts` rows
/// accepted, each a contact, and personas found.
fn run_salesforce_export(
    fx: &Fixture,
    rel: &str,
    rows: &[Vec<String>],
    quote_all: bool,
    contacts: usize,
) -> RunReport {
    write_csv(&fx.path(rel), rows, b',', quote_all);
    replace_crm_source(
        fx,
        &format!("kind = \"salesforce_contacts\"\npath = \"{rel}\"\n"),
    );
    let report = fx.run().unwrap();
    assert_eq!(crm_counts(&report), (contacts as u64, 0));
    assert_eq!(report.contacts, contacts, "{}", report.summary());
    assert!(!report.personas.is_empty());
    report
}

/// A landed text column, a null read as empty.
fn texts(path: &Path, column: &str) -> Vec<String> {
    strings(path, column)
        .into_iter()
        .map(Option::unwrap_or_default)
        .collect()
}

#[test]
fn a_salesforce_data_loader_export_builds_personas() {
    let fx = Fixture::sample(300, 4.0);
    let hs = Hubspot::read(&fx);
    let all: Vec<&csv::StringRecord> = hs.rows.iter().collect();
    let mut rows = salesforce_export(&hs, &all, |i| format!("0015g0000{:0>6}QAS", i % 40));
    rows[0].push("Persona_Score__c".into());
    for (i, row) in rows[1..].iter_mut().enumerate() {
        row.push((i % 7).to_string());
    }
    rewrite_user_ids(&fx, sf_id);

    let report = run_salesforce_export(&fx, "data/salesforce/contacts.csv", &rows, true, 300);
    assert_eq!(report.duplicates_merged, Some(0));
    assert!(report.contacts == report.personas.iter().map(|p| p.size).sum::<usize>());
    // Every contact keeps its Salesforce id, and web visits are tied to it.
    let mut expected: Vec<String> = hs.rows.iter().map(|r| sf_id(&r[0])).collect();
    expected.sort();
    let mut ids = report.features.contact_ids.clone();
    ids.sort();
    assert_eq!(ids, expected);
    let sessions = report
        .features
        .numeric
        .iter()
        .find(|c| c.name == "sessions")
        .unwrap();
    assert!(sessions.values.iter().flatten().any(|v| v > 0.0));
    let members = strings(
        &fx.path("out/persona_members/run_date=2026-11-20/part-0.parquet"),
        "contact_id",
    );
    assert!(members.iter().flatten().all(|id| id.len() == 18));
    // The landed table keeps the API names and the custom field.
    let path = fx.landed("raw_salesforce__contacts");
    assert_eq!(strings(&path, "Persona_Score__c").len(), 300);
    let created = strings(&path, "CreatedDate");
    assert!(
        created
            .iter()
            .flatten()
            .all(|c| c.len() == 19 && c.ends_with(":00")),
        "{:?}",
        &created[..3]
    );
}

#[test]
fn a_salesforce_report_export_lands_under_api_names() {
    let fx = Fixture::sample(150, 4.0);
    let hs = Hubspot::read(&fx);
    let mut rows = vec![[
        "Contact ID",
        "First Name",
        "Last Name",
        "Email",
        "Title",
        "Department",
        "Birthdate",
        "Mailing City",
        "Mailing Country",
        "Lead Source",
        "Account ID",
        "Created Date",
        "Last Activity",
    ]
    .map(String::from)
    .to_vec()];
    // A report's 15-character ids and US dates, the department filled in.
    let report = SfFormat {
        id: sf_id15,
        department: "Marketing",
        birthdate: Some("%-m/%-d/%Y"),
        created: "%-m/%-d/%Y %-I:%M %p",
        last_activity: "%-m/%-d/%Y",
    };
    for r in &hs.rows {
        rows.push(salesforce_row(&hs, r, &report, "0015g000004XyZa".into()));
    }
    run_salesforce_export(&fx, "data/sf-report.csv", &rows, false, 150);

    let path = fx.landed("raw_salesforce__contacts");
    // 15-character report ids land in their 18-character form.
    let ids = strings(&path, "Id");
    let expected: Vec<Option<String>> = hs
        .rows
        .iter()
        .map(|r| salesforce_id_18(&sf_id15(&r[0])))
        .collect();
    assert_eq!(ids, expected);
    assert!(ids.iter().flatten().all(|id| id.len() == 18));
    // M/D/YYYY dates land as YYYY-MM-DD, the same as HubSpot wrote them.
    let birthdates = texts(&path, "Birthdate");
    let hubspot_dates = hs.column("Date of birth");
    assert_eq!(birthdates, hubspot_dates);
    let created = strings(&path, "CreatedDate");
    let hubspot_created: Vec<Option<String>> = hs
        .rows
        .iter()
        .map(|r| {
            let c = hs.get(r, "Create Date");
            (!c.is_empty()).then(|| format!("{c}:00"))
        })
        .collect();
    assert_eq!(created, hubspot_created);
    assert!(strings(&path, "MailingCountry").iter().any(Option::is_some));
    assert_eq!(
        strings(&path, "Department")[0].as_deref(),
        Some("Marketing")
    );
}

/// The `[sources.columns]` mapping of the test's header-less CSV, and its columns in file order.
const MAPPED: &[(&str, &str)] = &[
    ("email", "Email"),
    ("contact_id", "Record ID"),
    ("first_name", "First Name"),
    ("last_name", "Last Name"),
    ("job_title", "Job Title"),
    ("date_of_birth", "Date of birth"),
    ("gender", "Gender"),
    ("city", "City"),
    ("country", "Country/Region"),
    ("industry", "Industry"),
    ("employees", "Number of Employees"),
    ("lifecycle_stage", "Lifecycle Stage"),
    ("buying_role", "Buying Role"),
    ("original_source", "Original Source"),
    ("revenue", "Total Revenue"),
    ("created_at", "Create Date"),
    ("last_activity_at", "Last Activity Date"),
];

#[test]
fn a_mapped_latin_1_csv_without_header_gives_the_hubspot_personas() {
    let fx = Fixture::sample(300, 4.0);
    let baseline = fx.run().unwrap();
    let hs = Hubspot::read(&fx);
    let row = |r: &csv::StringRecord| -> Vec<String> {
        let mut out: Vec<String> = MAPPED
            .iter()
            .map(|(field, col)| {
                let v = hs.get(r, col);
                match *field {
                    "date_of_birth" => date_as(v, "%d.%m.%Y"),
                    "created_at" | "last_activity_at" => datetime_as(v, "%d.%m.%Y %H:%M"),
                    _ => v.to_string(),
                }
            })
            .collect();
        out.push(hs.get(r, "Phone Number").into()); // an unmapped column
        out
    };
    let mut rows: Vec<Vec<String>> = hs.rows.iter().map(row).collect();
    // A row whose mapped date column holds a date that does not exist.
    let mut bad = rows[0].clone();
    (bad[0], bad[1], bad[5]) = (
        "bad.date@example.com".into(),
        "99999".into(),
        "31.02.1990".into(),
    );
    rows.push(bad);
    let text = write_csv(&fx.path("data/crm/contacts.csv"), &rows, b';', false);
    assert!(!text.is_ascii(), "the generator writes accented names");
    let latin1: Vec<u8> = text
        .chars()
        .map(|c| u8::try_from(u32::from(c)).unwrap())
        .collect();
    std::fs::write(fx.path("data/crm/contacts.csv"), latin1).unwrap();
    let mapping: String = MAPPED
        .iter()
        .enumerate()
        .map(|(i, (field, _))| format!("{field} = \"column_{}\"\n", i + 1))
        .collect();
    replace_crm_source(
        &fx,
        &format!(
            "kind = \"csv\"\npath = \"data/crm/contacts.csv\"\ndelimiter = \";\"\n\
             encoding = \"latin-1\"\nhas_header = false\ndate_format = \"%d.%m.%Y\"\n\
             datetime_format = \"%d.%m.%Y %H:%M\"\n[sources.columns]\n{mapping}"
        ),
    );

    let report = fx.run().unwrap();
    assert_eq!(crm_counts(&report), (300, 1));
    // The same people with the same fields: the same personas, contact by contact.
    assert_eq!(report.features.contact_ids, baseline.features.contact_ids);
    assert_eq!(report.primary, baseline.primary);
    let personas = |r: &RunReport| -> Vec<(String, usize)> {
        r.personas
            .iter()
            .map(|p| (p.name.clone(), p.size))
            .collect()
    };
    assert_eq!(
        personas(&report),
        personas(&baseline),
        "{}",
        report.summary()
    );
    // Landed under the canonical names, decoded from Latin-1, dates normalised.
    let path = fx.landed("raw_csv__contacts");
    let last_names = texts(&path, "last_name");
    let hubspot_names = hs.column("Last Name");
    assert_eq!(last_names, hubspot_names);
    let dob = texts(&path, "date_of_birth");
    let hubspot_dob = hs.column("Date of birth");
    assert_eq!(dob, hubspot_dob);
    let columns: Vec<String> = read_parquet(&path)[0]
        .schema()
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect();
    assert_eq!(columns[..2], ["contact_id", "email"]);
    assert!(!columns.iter().any(|c| c.starts_with("column_")));
    // The bad date is rejected, naming the file's column and the field it maps to.
    let reasons = strings(
        &fx.path("out/rejects/source=crm/run_date=2026-11-20/part-0.parquet"),
        "reason",
    );
    assert_eq!(reasons.len(), 1);
    let reason = reasons[0].clone().unwrap();
    assert!(
        reason.contains("column_6")
            && reason.contains("date_of_birth")
            && reason.contains("31.02.1990"),
        "{reason}"
    );
}

#[test]
fn a_mapping_onto_a_missing_column_fails_before_any_work() {
    let fx = Fixture::sample(50, 4.0);
    replace_crm_source(
        &fx,
        "kind = \"csv\"\npath = \"data/hubspot-crm-exports-all-contacts-*.csv\"\n\
         [sources.columns]\ncontact_id = \"Record ID\"\nemail = \"Email\"\ncity = \"Town\"\n",
    );
    let pipeline = Pipeline::load(&fx.config).unwrap();
    let err =
        personas::sources::check_file(&pipeline.config.sources[0], &fx.crm_export()).unwrap_err();
    assert!(
        matches!(&err, Error::MissingColumn { column, .. } if column == "Town"),
        "{err}"
    );
    let err = fx.run_error(3, &[]);
    let file = missing_column_of(&err, "Town", &["Record ID", "City"]);
    assert!(file.contains("hubspot-crm-exports"), "{err}");
    assert!(!fx.path("out/personas").exists());
}

const SF_ONLY: &str = r#"
name = "t"
output_dir = "out"
[[sources]]
name = "crm"
kind = "salesforce_contacts"
path = "contacts.csv"
"#;

#[test]
fn config_accepts_salesforce_alone_and_checks_csv_options() {
    let p = Pipeline::parse(SF_ONLY, Path::new("p.toml")).unwrap();
    assert_eq!(p.config.sources[0].kind, SourceKind::SalesforceContacts);
    let parse = |text: &str| {
        Pipeline::parse(text, Path::new("p.toml"))
            .map(|_| ())
            .map_err(|e| e.to_string())
    };
    let csv = |extra: &str| {
        format!(
            "name = \"t\"\noutput_dir = \"out\"\n[[sources]]\nname = \"crm\"\nkind = \"csv\"\n\
             path = \"c.csv\"\n{extra}"
        )
    };
    assert!(parse(&csv(
        "delimiter = \"\\t\"\n[sources.columns]\ncontact_id = \"id\"\nemail = \"mail\"\n"
    ))
    .is_ok());
    // An unknown mapping key is named.
    let err = parse(&csv(
        "[sources.columns]\ncontact_id = \"id\"\nemail = \"mail\"\nphone = \"tel\"\n",
    ))
    .unwrap_err();
    assert!(err.contains("phone"), "{err}");
    // The required fields, the mapping itself, sane characters and formats.
    let err = parse(&csv("[sources.columns]\ncontact_id = \"id\"\n")).unwrap_err();
    assert!(err.contains("email"), "{err}");
    let err = parse(&csv("")).unwrap_err();
    assert!(err.contains("[sources.columns]"), "{err}");
    let err = parse(&csv(
        "delimiter = \";;\"\n[sources.columns]\ncontact_id = \"id\"\nemail = \"mail\"\n",
    ))
    .unwrap_err();
    assert!(err.contains("delimiter") || err.contains("char"), "{err}");
    let err = parse(&csv(
        "date_format = \"%Y-%\"\n[sources.columns]\ncontact_id = \"id\"\nemail = \"mail\"\n",
    ))
    .unwrap_err();
    assert!(err.contains("date_format"), "{err}");
    // CSV options belong to `csv` sources only.
    let err = parse(&format!("{SF_ONLY}delimiter = \";\"\n")).unwrap_err();
    assert!(err.contains("delimiter"), "{err}");
    // Without any CRM source the config is invalid.
    let err = parse(&SF_ONLY.replace("salesforce_contacts", "ga4_events")).unwrap_err();
    assert!(err.contains("salesforce_contacts"), "{err}");
}

/// Every model int_crm_contacts unions by position (the CRM staging models, and Salesforce
/// contacts joined to their accounts and roles) has the columns of stg_hubspot__contacts, in
/// the same order and of the same types, when every raw table is landed Parquet registered as a
/// run registers it; without Account and OpportunityContactRole rows the join still runs.
#[test]
fn every_crm_staging_model_has_the_hubspot_columns() {
    let dir = tempfile::tempdir().unwrap();
    let reports: Vec<SourceReport> = SourceKind::ALL
        .into_iter()
        .map(|kind| {
            let landed_dir = dir.path().join(kind.raw_table());
            let schema = personas::sources::empty_raw_schema(kind);
            write_parquet(&landed_dir.join("part-0.parquet"), schema, &[]).unwrap();
            SourceReport {
                name: kind.to_string(),
                kind,
                files: vec![],
                counts: Counts::default(),
                rejects: vec![],
                landed_dir,
            }
        })
        .collect();
    block_on(async {
        let ctx = SessionContext::new();
        personas::transform::register_raw_tables(&ctx, &reports, &[], None)
            .await
            .unwrap();
        // Intermediate models are dropped once read, unless kept.
        let models = personas::transform::discover(&sql_dir()).unwrap();
        let mut templates = personas::transform::Templates::new(run_date(), &Default::default());
        let keep = ["int_salesforce__contacts", "int_crm_contacts"];
        personas::transform::run(
            &ctx,
            &models,
            &mut templates,
            &keep,
            personas::transform::Materialise::Memory,
        )
        .await
        .unwrap();
        let columns = |model: &'static str| {
            let ctx = ctx.clone();
            async move {
                let df = ctx.table(model).await.unwrap();
                df.schema()
                    .fields()
                    .iter()
                    .map(|f| (f.name().clone(), f.data_type().clone()))
                    .collect::<Vec<_>>()
            }
        };
        let hubspot = columns("stg_hubspot__contacts").await;
        assert_eq!(hubspot[0].0, "contact_id");
        assert!(
            matches!(hubspot[0].1, DataType::Utf8 | DataType::Utf8View),
            "{hubspot:?}"
        );
        assert_eq!(columns("stg_csv__contacts").await, hubspot);
        assert_eq!(columns("int_salesforce__contacts").await, hubspot);
        assert_eq!(columns("stg_salesforce__leads").await, hubspot);
        assert_eq!(columns("stg_salesforce__contacts").await, hubspot);
        let rows = ctx.table("int_crm_contacts").await.unwrap().count().await;
        assert_eq!(rows.unwrap(), 0);
    });
}

/// How a Salesforce contacts export writes the fields it does not take from HubSpot as they are.
struct SfFormat {
    /// The contact's id, from its HubSpot record id.
    id: fn(&str) -> String,
    /// The department of every contact.
    department: &'static str,
    /// The format of birthdates; `None`: as HubSpot writes them.
    birthdate: Option<&'static str>,
    /// The format of the created date-time.
    created: &'static str,
    /// The format of the last activity.
    last_activity: &'static str,
}

/// The Data Loader export: 18-character ids, no department, ISO dates.
const DATA_LOADER: SfFormat = SfFormat {
    id: sf_id,
    department: "",
    birthdate: None,
    created: "%Y-%m-%dT%H:%M:%S.000Z",
    last_activity: "%Y-%m-%d",
};

/// A HubSpot row as a Salesforce contact of account `account`, in the columns of
/// [`SALESFORCE_CONTACTS`], written in `format`.
fn salesforce_row(
    hs: &Hubspot,
    r: &csv::StringRecord,
    format: &SfFormat,
    account: String,
) -> Vec<String> {
    let birthdate = hs.get(r, "Date of birth");
    vec![
        (format.id)(hs.get(r, "Record ID")),
        hs.get(r, "First Name").into(),
        hs.get(r, "Last Name").into(),
        hs.get(r, "Email").into(),
        hs.get(r, "Job Title").into(),
        format.department.into(),
        format
            .birthdate
            .map_or_else(|| birthdate.into(), |f| date_as(birthdate, f)),
        hs.get(r, "City").into(),
        hs.get(r, "Country/Region").into(),
        hs.get(r, "Original Source").into(),
        account,
        datetime_as(hs.get(r, "Create Date"), format.created),
        datetime_as(hs.get(r, "Last Activity Date"), format.last_activity),
    ]
}

/// The Data Loader export of the HubSpot rows `rows` (their people), keyed on [`sf_id`], under
/// the preset's columns; row `i`'s account is `account(i)`.
fn salesforce_export(
    hs: &Hubspot,
    rows: &[&csv::StringRecord],
    account: impl Fn(usize) -> String,
) -> Vec<Vec<String>> {
    let header = SALESFORCE_CONTACTS.columns.iter().map(|c| c.to_string());
    let mut out = vec![header.collect()];
    for (i, r) in rows.iter().enumerate() {
        out.push(salesforce_row(hs, r, &DATA_LOADER, account(i)));
    }
    out
}

/// Point the fixture's config at a copy of the project's SQL folder without the
/// `crm_contact_systems` model, as an older project has; returns the edit that undoes it.
fn use_sql_without_contact_systems(fx: &Fixture) -> impl FnOnce(String) -> String {
    let old_sql = fx.path("sql_before_crm_systems");
    for file in crate::util::walk(&crate::util::sql_dir()) {
        let rel = file.strip_prefix(crate::util::sql_dir()).unwrap();
        if rel.ends_with("crm_contact_systems.sql") {
            continue;
        }
        std::fs::create_dir_all(old_sql.join(rel).parent().unwrap()).unwrap();
        std::fs::copy(&file, old_sql.join(rel)).unwrap();
    }
    let line = format!("sql_dir = \"{}\"", crate::util::sql_dir().display());
    let old_line = format!("sql_dir = \"{}\"", old_sql.display());
    fx.edit_config(|c| {
        assert!(c.contains(&line), "{c}");
        c.replace(&line, &old_line)
    });
    move |c: String| c.replace(&old_line, &line)
}

/// A project whose SQL folder predates `crm_contact_systems` still runs a pipeline reading one
/// CRM: every contact is of that CRM, and its file holds them all.
#[test]
fn an_older_sql_folder_still_serves_a_pipeline_reading_one_crm() {
    let fx = Fixture::sample(200, 2.0);
    let _keep = use_sql_without_contact_systems(&fx);
    let report = fx.run().unwrap();
    let dir = fx.path("out/crm/run_date=2026-11-20");
    let ids = csv_column(&dir.join("hubspot_import.csv"), "Record ID");
    assert_eq!(ids.len(), report.contacts);
    assert_eq!(
        csv_column(&dir.join("generic_full.csv"), "crm"),
        ["hubspot".to_string()].into()
    );
}

/// Half the people in HubSpot, the other half in Salesforce: each contact's persona goes to
/// its own CRM's file, and the push sends HubSpot only HubSpot record ids.
#[test]
fn a_mixed_pipeline_sends_every_id_only_to_its_own_crm() {
    use crate::util::hubspot::{FakeHubSpot, Portal};
    use std::collections::BTreeSet;

    let fx = Fixture::sample(300, 4.0);
    let hs = Hubspot::read(&fx);
    let (in_sf, in_hs): (Vec<_>, Vec<_>) =
        hs.rows.iter().enumerate().partition(|(i, _)| i % 2 == 0);
    let in_sf: Vec<&csv::StringRecord> = in_sf.into_iter().map(|(_, r)| r).collect();
    let in_hs: Vec<&csv::StringRecord> = in_hs.into_iter().map(|(_, r)| r).collect();
    let hubspot_ids: BTreeSet<String> = in_hs
        .iter()
        .map(|r| hs.get(r, "Record ID").to_string())
        .collect();
    let sf_ids: BTreeSet<String> = in_sf
        .iter()
        .map(|r| sf_id(hs.get(r, "Record ID")))
        .collect();
    write_csv(
        &fx.path("data/salesforce/contacts.csv"),
        &salesforce_export(&hs, &in_sf, |_| "0015g0000000001QAS".into()),
        b',',
        true,
    );
    let mut header: Vec<(usize, String)> = hs.header.iter().map(|(h, i)| (*i, h.clone())).collect();
    header.sort();
    let mut kept = vec![header.into_iter().map(|(_, h)| h).collect::<Vec<_>>()];
    kept.extend(in_hs.iter().map(|r| r.iter().map(String::from).collect()));
    write_csv(&fx.crm_export(), &kept, b',', false);
    let moved: BTreeSet<String> = in_sf
        .iter()
        .map(|r| hs.get(r, "Record ID").to_string())
        .collect();
    rewrite_user_ids(&fx, |id| {
        if moved.contains(id) {
            sf_id(id)
        } else {
            id.to_string()
        }
    });
    fx.edit_config(|c| {
        c + "\n[[sources]]\nname = \"sf\"\nkind = \"salesforce_contacts\"\npath = \"data/salesforce/contacts.csv\"\n"
    });

    // An older project's SQL folder, without the model saying which CRM each id comes from:
    // the run stops with a config error naming the file to add, and publishes nothing.
    let restore = use_sql_without_contact_systems(&fx);
    fx.run_error(2, &["marts/crm_contact_systems.sql"]);
    assert!(!fx.path("out/crm").exists());
    fx.edit_config(restore);

    let first = fx.run().unwrap();
    assert_eq!(first.contacts, 300, "{}", first.summary());
    let dir = fx.path("out/crm/run_date=2026-11-20");
    assert_eq!(
        file_names(&dir),
        [
            "generic_full.csv",
            "hubspot_import.csv",
            "hubspot_persona_options.csv",
            "salesforce_picklist_values.csv",
            "salesforce_update.csv"
        ]
    );
    assert_eq!(
        csv_column(&dir.join("hubspot_import.csv"), "Record ID"),
        hubspot_ids
    );
    assert_eq!(csv_column(&dir.join("salesforce_update.csv"), "Id"), sf_ids);
    let mut r = csv::Reader::from_path(dir.join("generic_full.csv")).unwrap();
    for rec in r.records() {
        let rec = rec.unwrap();
        let want = if hubspot_ids.contains(&rec[0]) {
            "hubspot"
        } else {
            "salesforce"
        };
        assert_eq!(&rec[7], want, "contact {}", &rec[0]);
    }

    // The push: HubSpot gets its own record ids, never a Salesforce id.
    let mut options = csv::Reader::from_path(dir.join("hubspot_persona_options.csv")).unwrap();
    let options = options
        .records()
        .map(|o| {
            let o = o.unwrap();
            (o[1].to_string(), o[0].to_string())
        })
        .collect();
    let server = FakeHubSpot::start(Portal {
        token: "pat-na1-mixed".into(),
        property: "hs_persona".into(),
        options,
        contacts: hubspot_ids.iter().cloned().collect(),
        faults: vec![],
    });
    let report = server.run_pushing(&fx, "PERSONAS_TEST_HUBSPOT_TOKEN_MIXED");
    let push = report.push.unwrap();
    assert_eq!(
        (push.records, push.updated, push.failed),
        (150, 150, 0),
        "{}",
        push.summary()
    );
    let sent: BTreeSet<String> = server
        .batch_calls()
        .into_iter()
        .flat_map(|c| c.ids)
        .collect();
    assert_eq!(sent, hubspot_ids);
    assert_eq!(
        server.values().into_keys().collect::<BTreeSet<_>>(),
        hubspot_ids
    );
}
