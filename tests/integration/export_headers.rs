//! Real companies' export headers: a HubSpot export with only some properties (labels or
//! internal names), a Salesforce Data Loader export with capitalised API names, and a file
//! lacking `Email`, each written from the generator's HubSpot export and run through the whole
//! pipeline in place of the HubSpot source.

use std::path::Path;

use personas::sources::csv::salesforce::SALESFORCE_CONTACTS;
use personas::tooling::generate::GenerateOptions;

use crate::util::{crm_counts, missing_column, strings, Fixture};

/// A fixture whose exports cover `contacts` people.
fn small(contacts: usize) -> Fixture {
    Fixture::generated(&GenerateOptions {
        contacts,
        events_per_contact: 4.0,
        ..Default::default()
    })
}

/// The generator's HubSpot export, with the cells of `columns` only (by label).
fn hubspot_columns(fx: &Fixture, columns: &[&str]) -> Vec<Vec<String>> {
    let mut r = csv::Reader::from_path(fx.crm_export()).unwrap();
    let header = r.headers().unwrap().clone();
    let at: Vec<usize> = columns
        .iter()
        .map(|c| header.iter().position(|h| h == *c).unwrap())
        .collect();
    r.records()
        .map(|rec| {
            let rec = rec.unwrap();
            at.iter().map(|&i| rec[i].to_string()).collect()
        })
        .collect()
}

/// Write `header` and `rows` as an always-quoted CSV at `path`.
fn write_csv(path: &Path, header: &[&str], rows: &[Vec<String>]) {
    let mut w = csv::WriterBuilder::new()
        .quote_style(csv::QuoteStyle::Always)
        .from_writer(vec![]);
    w.write_record(header).unwrap();
    for r in rows {
        w.write_record(r).unwrap();
    }
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, w.into_inner().unwrap()).unwrap();
}

/// The labels of the four properties the partial exports keep, in file order.
const KEPT: [&str; 4] = ["Record ID", "Email", "Job Title", "Number of Employees"];

/// Rewrite the HubSpot export with the four kept properties under `header`, run the pipeline and
/// check every row is accepted and the two properties reach the landing and the features.
fn partial_hubspot_export_runs(header: [&str; 4]) {
    let fx = small(200);
    let rows = hubspot_columns(&fx, &KEPT);
    write_csv(&fx.crm_export(), &header, &rows);

    let report = fx.run().unwrap();
    assert_eq!(crm_counts(&report), (200, 0));
    assert_eq!(report.contacts, 200, "{}", report.summary());
    assert!(!report.personas.is_empty());

    // Landed under the labels; a property the export lacks is a column of nulls.
    let path = fx.landed("raw_hubspot__contacts");
    let titles: Vec<String> = rows.iter().map(|r| r[2].clone()).collect();
    let landed_titles: Vec<String> = strings(&path, "Job Title")
        .into_iter()
        .map(Option::unwrap_or_default)
        .collect();
    assert_eq!(landed_titles, titles);
    assert!(strings(&path, "Number of Employees")
        .iter()
        .any(Option::is_some));
    assert!(strings(&path, "Industry").iter().all(Option::is_none));
    assert!(strings(&path, "Buying Role").iter().all(Option::is_none));

    // Job title and company size reach the features: some contacts have a known level.
    for name in ["job_seniority", "company_size"] {
        let column = report
            .features
            .categorical
            .iter()
            .find(|c| c.name == name)
            .unwrap_or_else(|| panic!("no feature {name}"));
        assert!(
            column.values.iter().any(|v| &**v != "unknown"),
            "{name} is unknown for every contact"
        );
    }
}

#[test]
fn a_hubspot_export_with_four_properties_builds_personas() {
    partial_hubspot_export_runs(KEPT);
}

#[test]
fn a_hubspot_export_with_internal_names_builds_personas() {
    partial_hubspot_export_runs(["hs_object_id", "email", "jobtitle", "numemployees"]);
}

#[test]
fn a_salesforce_data_loader_export_in_capitals_lands() {
    let fx = small(60);
    let rows = hubspot_columns(&fx, &["Record ID", "First Name", "Email", "Job Title"]);
    // The preset's required columns in capitals, as Data Loader writes them, and a custom field.
    let mut header: Vec<String> = SALESFORCE_CONTACTS
        .required
        .iter()
        .map(|c| c.to_uppercase())
        .collect();
    header.push("PERSONA_SCORE__C".into());
    let header: Vec<&str> = header.iter().map(String::as_str).collect();
    let rows: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            let id = format!("0035g0000{:0>6}AAZ", r[0]);
            let mut row = vec![id, r[1].clone(), "Doe".into(), r[2].clone(), r[3].clone()];
            row.extend(["", "1990-04-01", "Berlin", "Germany", "Web"].map(String::from));
            row.extend(["0015g00000QbX1AAAV".to_string(), "7".to_string()]);
            row
        })
        .collect();
    write_csv(
        &fx.path("data/salesforce/Contact_extract.csv"),
        &header,
        &rows,
    );
    let config = std::fs::read_to_string(&fx.config).unwrap();
    let hubspot =
        "kind = \"hubspot_contacts\"\npath = \"data/hubspot-crm-exports-all-contacts-*.csv\"\n";
    assert!(config.contains(hubspot), "{config}");
    let salesforce =
        "kind = \"salesforce_contacts\"\npath = \"data/salesforce/Contact_extract.csv\"\n";
    std::fs::write(&fx.config, config.replacen(hubspot, salesforce, 1)).unwrap();

    let report = fx.run().unwrap();
    assert_eq!(crm_counts(&report), (60, 0));
    assert_eq!(report.contacts, 60, "{}", report.summary());
    // Landed under the API names as the preset spells them; other columns as written.
    let path = fx.landed("raw_salesforce__contacts");
    let ids = strings(&path, "Id");
    assert_eq!(ids.len(), 60);
    assert!(ids
        .iter()
        .all(|id| id.as_ref().is_some_and(|i| i.len() == 18)));
    assert_eq!(
        strings(&path, "Birthdate")[0].as_deref(),
        Some("1990-04-01")
    );
    assert_eq!(strings(&path, "MailingCity")[0].as_deref(), Some("Berlin"));
    assert_eq!(strings(&path, "PERSONA_SCORE__C")[0].as_deref(), Some("7"));
}

#[test]
fn a_hubspot_export_without_email_fails_naming_the_file_and_its_columns() {
    let fx = small(30);
    let kept = ["Record ID", "First Name", "Job Title"];
    let rows = hubspot_columns(&fx, &kept);
    write_csv(&fx.crm_export(), &kept, &rows);

    let err = fx.run().unwrap_err();
    let (file, column, found) = missing_column(&err);
    assert!(file.contains("hubspot-crm-exports"), "{err}");
    assert_eq!(column, "Email");
    assert_eq!(found, "Record ID, First Name, Job Title");
    assert_eq!(err.exit_code(), 3);
    assert!(!fx.path("out/personas").exists());
}
