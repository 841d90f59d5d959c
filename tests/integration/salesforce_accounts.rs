//! Salesforce contacts with their accounts, opportunity contact roles and leads: Data Loader
//! exports (capitalised headers, every field quoted) written by the test from the generator's
//! people, run through the whole pipeline. Contacts get their account's industry, company size
//! and billing country, and their buying roles; a lead is a contact of the Salesforce CRM.

use std::collections::{BTreeSet, HashMap};
use std::path::Path;

use datafusion::arrow::array::AsArray;
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::DataType;
use personas::sources::csv::checks::salesforce_id_18;

use crate::util::exports::write_csv;
use crate::util::{csv_column, feature_column, read_parquet, rewrite_user_ids, Fixture};

/// The 18-character id of a contact, from its HubSpot record id.
fn contact_id(record_id: &str) -> String {
    salesforce_id_18(&contact_id15(record_id)).unwrap()
}

/// The 15-character form of [`contact_id`], as a report shows it.
fn contact_id15(record_id: &str) -> String {
    format!("0035g0000{record_id:0>6}")
}

/// The 15-character id of account `n`.
fn account_id15(n: usize) -> String {
    format!("0015g00000Acc{n:02}")
}

/// The accounts: industry, NumberOfEmployees, BillingCountry, and the company size band the
/// features give that many employees.
const ACCOUNTS: [(&str, u32, &str, &str); 5] = [
    ("Technology", 1200, "Canada", "1001-5000"),
    ("Retail", 3, "United States", "1-10"),
    ("Energy", 40, "Germany", "11-50"),
    ("Healthcare", 250, "France", "201-1000"),
    ("Finance", 8000, "United Kingdom", "5001+"),
];

/// The open lead, and the converted one (left out: its contact is the record).
const LEAD: &str = "00Q5g00000LdA01";
const CONVERTED_LEAD: &str = "00Q5g00000LdA02";

/// Write rows as Data Loader does: every field quoted.
fn write_quoted(path: &Path, rows: &[Vec<String>]) {
    write_csv(path, rows, b',', true);
}

/// A CSV row of `cells`.
fn row(cells: &[&str]) -> Vec<String> {
    cells.iter().map(|c| c.to_string()).collect()
}

/// The header Data Loader writes for a Contact extract: the API names in capitals, spelled out
/// here (not taken from the preset under test).
const CONTACT_HEADER: &str = "ID,FIRSTNAME,LASTNAME,EMAIL,TITLE,DEPARTMENT,BIRTHDATE,MAILINGCITY,MAILINGCOUNTRY,LEADSOURCE,ACCOUNTID,CREATEDDATE,LASTACTIVITYDATE";

/// The header of an Account extract, with a `TYPE` column the accounts export does not read.
const ACCOUNT_HEADER: &str = "ID,NAME,INDUSTRY,NUMBEROFEMPLOYEES,ANNUALREVENUE,BILLINGCOUNTRY,TYPE";

/// A header's cells.
fn header(line: &str) -> Vec<String> {
    line.split(',').map(String::from).collect()
}

/// The generator's HubSpot rows, each as a map from column to cell.
fn hubspot_rows(fx: &Fixture) -> Vec<HashMap<String, String>> {
    let mut r = csv::Reader::from_path(fx.crm_export()).unwrap();
    let header: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
    r.records()
        .map(|rec| {
            let rec = rec.unwrap();
            header
                .iter()
                .cloned()
                .zip(rec.iter().map(String::from))
                .collect()
        })
        .collect()
}

/// The Contact extract of the HubSpot people: contact `i`'s account is `i % 5`, written in its
/// 18-character form for even `i` and its 15-character form (a report's) for odd `i`; contact 0's
/// account is not in the Account extract and contact 1 has none; contact 5 has no mailing country
/// and contact 6 lives in Japan.
fn contact_extract(people: &[HashMap<String, String>]) -> Vec<Vec<String>> {
    let mut rows = vec![header(CONTACT_HEADER)];
    for (i, p) in people.iter().enumerate() {
        let account = match i {
            0 => "0015g00000Gone1".to_string(),
            1 => String::new(),
            _ if i % 2 == 0 => salesforce_id_18(&account_id15(i % 5)).unwrap(),
            _ => account_id15(i % 5),
        };
        let country = match i {
            5 => String::new(),
            6 => "Japan".into(),
            _ => p["Country/Region"].clone(),
        };
        let created = chrono::NaiveDateTime::parse_from_str(&p["Create Date"], "%Y-%m-%d %H:%M")
            .map(|d| d.format("%Y-%m-%dT%H:%M:%S.000Z").to_string())
            .unwrap_or_default();
        let last_activity = p["Last Activity Date"].get(..10).unwrap_or("").to_string();
        rows.push(vec![
            contact_id(&p["Record ID"]),
            p["First Name"].clone(),
            p["Last Name"].clone(),
            p["Email"].clone(),
            p["Job Title"].clone(),
            String::new(),
            p["Date of birth"].clone(),
            p["City"].clone(),
            country,
            p["Original Source"].clone(),
            account,
            created,
            last_activity,
        ]);
    }
    rows
}

/// The Account extract, with one row whose employee count cannot be read (line 7), and a
/// `TYPE` column the accounts export does not read.
fn account_extract() -> Vec<Vec<String>> {
    let mut rows = vec![header(ACCOUNT_HEADER)];
    for (n, (industry, employees, country, _)) in ACCOUNTS.iter().enumerate() {
        rows.push(vec![
            salesforce_id_18(&account_id15(n)).unwrap(),
            format!("Account {n}"),
            industry.to_string(),
            employees.to_string(),
            (u64::from(*employees) * 90_000).to_string(),
            country.to_string(),
            "Customer - Direct".into(),
        ]);
    }
    rows.push(row(&[
        "0015g00000Acc99AAA",
        "Vague Ltd",
        "Retail",
        "lots",
        "",
        "",
        "Prospect",
    ]));
    rows
}

/// The OpportunityContactRole extract: contact 2 is a Decision Maker on two opportunities and
/// the primary Economic Buyer on a third; contact 3 a Technical Buyer on two and an Influencer
/// on one (that row exported twice), none primary; contact 4's ContactId is in its 15-character
/// form; contacts from 10 on have one primary role each.
fn role_extract(people: &[HashMap<String, String>]) -> Vec<Vec<String>> {
    let id = |i: usize| contact_id(&people[i]["Record ID"]);
    let mut rows = vec![row(&[
        "ID",
        "OPPORTUNITYID",
        "CONTACTID",
        "ROLE",
        "ISPRIMARY",
    ])];
    let mut add = |n: usize, opportunity: usize, contact: String, role: &str, primary: bool| {
        rows.push(vec![
            salesforce_id_18(&format!("00K5g000004R{n:03}")).unwrap(),
            salesforce_id_18(&format!("0065g00000Op{opportunity:03}")).unwrap(),
            contact,
            role.into(),
            primary.to_string(),
        ]);
    };
    add(1, 1, id(2), "Decision Maker", false);
    add(2, 2, id(2), "Economic Buyer", true);
    add(3, 3, id(2), "Decision Maker", false);
    add(4, 1, id(3), "Technical Buyer", false);
    add(5, 2, id(3), "Technical Buyer", false);
    add(6, 4, id(3), "Influencer", false);
    add(6, 4, id(3), "Influencer", false);
    add(
        7,
        4,
        contact_id15(&people[4]["Record ID"]),
        "Decision Maker",
        true,
    );
    let roles = [
        "Decision Maker",
        "Technical Buyer",
        "End User",
        "Influencer",
    ];
    for (i, _) in people.iter().enumerate().skip(10) {
        add(100 + i, 100 + i, id(i), roles[i % 4], true);
    }
    rows
}

/// The Lead extract: one open lead (15-character id) and one converted lead.
fn lead_extract() -> Vec<Vec<String>> {
    vec![
        row(&[
            "ID",
            "FIRSTNAME",
            "LASTNAME",
            "EMAIL",
            "TITLE",
            "COMPANY",
            "INDUSTRY",
            "NUMBEROFEMPLOYEES",
            "ANNUALREVENUE",
            "COUNTRY",
            "LEADSOURCE",
            "ISCONVERTED",
            "CREATEDDATE",
        ]),
        row(&[
            LEAD,
            "Lena",
            "Lead",
            "lena.lead@newco.example",
            "Head of Operations",
            "NewCo",
            "Education",
            "75",
            "5000000",
            "Austria",
            "Web",
            "false",
            "2026-10-01T08:30:00.000Z",
        ]),
        row(&[
            CONVERTED_LEAD,
            "Carl",
            "Converted",
            "carl@oldco.example",
            "CTO",
            "OldCo",
            "Retail",
            "12",
            "",
            "Spain",
            "Web",
            "true",
            "2026-09-01T08:30:00.000Z",
        ]),
    ]
}

/// The sources replacing the fixture's HubSpot export.
const SOURCES: &str = r#"kind = "salesforce_contacts"
path = "data/salesforce/Contact_extract.csv"

[[sources]]
name = "sf_accounts"
kind = "salesforce_accounts"
path = "data/salesforce/Account_extract.csv"
max_reject_pct = 50.0

[[sources]]
name = "sf_roles"
kind = "salesforce_opportunity_contact_roles"
path = "data/salesforce/OpportunityContactRole_extract.csv"

[[sources]]
name = "sf_leads"
kind = "salesforce_leads"
path = "data/salesforce/Lead_extract.csv"
"#;

#[test]
fn salesforce_contacts_get_their_account_and_buying_roles_and_leads_are_contacts() {
    let fx = Fixture::sample(150, 4.0);
    let people = hubspot_rows(&fx);
    let dir = fx.path("data/salesforce");
    write_quoted(&dir.join("Contact_extract.csv"), &contact_extract(&people));
    write_quoted(&dir.join("Account_extract.csv"), &account_extract());
    write_quoted(
        &dir.join("OpportunityContactRole_extract.csv"),
        &role_extract(&people),
    );
    write_quoted(&dir.join("Lead_extract.csv"), &lead_extract());
    rewrite_user_ids(&fx, contact_id);
    let hubspot =
        "kind = \"hubspot_contacts\"\npath = \"data/hubspot-crm-exports-all-contacts-*.csv\"\n";
    fx.edit_config(|c| {
        assert!(c.contains(hubspot), "{c}");
        c.replacen(hubspot, SOURCES, 1)
    });

    let report = fx.run().unwrap();
    let counts = |name: &str| {
        let s = report.sources.iter().find(|s| s.name == name).unwrap();
        (s.counts.accepted, s.counts.rejected)
    };
    assert_eq!(counts("crm"), (150, 0));
    assert_eq!(counts("sf_accounts"), (5, 1));
    assert_eq!(counts("sf_roles"), (8 + 140, 0));
    assert_eq!(counts("sf_leads"), (2, 0));
    // The account whose employee count cannot be read is a reject naming line and column.
    let rejects =
        read_parquet(&fx.path("out/rejects/source=sf_accounts/run_date=2026-11-20/part-0.parquet"));
    assert_eq!(rejects[0].num_rows(), 1);
    let reason = rejects[0]
        .column_by_name("reason")
        .unwrap()
        .as_string::<i32>();
    assert!(
        reason.value(0).contains("NUMBEROFEMPLOYEES") && reason.value(0).contains("lots"),
        "{}",
        reason.value(0)
    );
    let line = cast(rejects[0].column_by_name("line").unwrap(), &DataType::Int64).unwrap();
    assert_eq!(
        line.as_primitive::<datafusion::arrow::datatypes::Int64Type>()
            .value(0),
        7
    );

    // Every contact and the open lead, not the converted one.
    let lead = salesforce_id_18(LEAD).unwrap();
    let industry = feature_column(fx.dir.path(), "industry");
    assert_eq!(industry.len(), 151, "{}", report.summary());
    assert!(industry.contains_key(&lead));
    assert!(!industry.contains_key(&salesforce_id_18(CONVERTED_LEAD).unwrap()));
    let size = feature_column(fx.dir.path(), "company_size");
    let country = feature_column(fx.dir.path(), "country");
    let roles = feature_column(fx.dir.path(), "buying_roles");
    let role = feature_column(fx.dir.path(), "buying_role");
    let id = |i: usize| contact_id(&people[i]["Record ID"]);
    let text = |m: &HashMap<String, Option<String>>, id: &str| m[id].clone().unwrap_or_default();

    // Each contact has its account's industry and size band, 18- or 15-character AccountId alike.
    for i in 2..people.len() {
        let (want_industry, _, _, want_size) = ACCOUNTS[i % 5];
        assert_eq!(text(&industry, &id(i)), want_industry, "contact {i}");
        assert_eq!(text(&size, &id(i)), want_size, "contact {i}");
    }
    // An account that is not in the export, or no account: unknown.
    for i in [0, 1] {
        assert_eq!(text(&industry, &id(i)), "unknown", "contact {i}");
        assert_eq!(text(&size, &id(i)), "unknown", "contact {i}");
    }
    // The billing country where the contact has no mailing country, not over one it has.
    assert_eq!(text(&country, &id(5)), "Canada");
    assert_eq!(text(&country, &id(6)), "Japan");

    // Every role of the contact, sorted; the primary one, else the most frequent.
    assert_eq!(text(&roles, &id(2)), "Decision Maker;Economic Buyer");
    assert_eq!(text(&role, &id(2)), "Economic Buyer");
    assert_eq!(text(&roles, &id(3)), "Influencer;Technical Buyer");
    assert_eq!(text(&role, &id(3)), "Technical Buyer");
    assert_eq!(text(&roles, &id(4)), "Decision Maker");
    assert_eq!(text(&role, &id(13)), "Technical Buyer");
    assert_eq!(roles[&id(5)], None);
    assert_eq!(text(&role, &id(5)), "unknown");

    // The lead: its own company fields, its stage, and a row in the lead update file, not in
    // the contacts' (a Data Loader job updates one object), with the same columns.
    assert_eq!(text(&industry, &lead), "Education");
    assert_eq!(text(&size, &lead), "51-200");
    assert_eq!(text(&country, &lead), "Austria");
    assert_eq!(
        text(&feature_column(fx.dir.path(), "lifecycle_stage"), &lead),
        "Lead"
    );
    let crm = fx.path("out/crm/run_date=2026-11-20");
    let updated = csv_column(&crm.join("salesforce_update.csv"), "Id");
    assert!(!updated.contains(&lead), "{updated:?}");
    assert!(updated.contains(&id(2)));
    assert_eq!(updated.len(), 150);
    let leads = crm.join("salesforce_lead_update.csv");
    assert_eq!(csv_column(&leads, "Id"), BTreeSet::from([lead.clone()]));
    assert_eq!(csv_column(&leads, "Persona__c").len(), 1);
    // Account revenue is the company's, not what the contact spent: revenue is web revenue only.
    let revenue = feature_column(fx.dir.path(), "revenue");
    let revenue: f64 = revenue[&lead].as_deref().unwrap().parse().unwrap();
    assert_eq!(revenue, 0.0);
}
