//! Salesforce exports: contacts, leads, accounts and opportunity contact roles, each a Data
//! Loader or Bulk API CSV (API field names: `Id, FirstName, ..., AccountId`, custom fields ending
//! `__c`); contacts also as a report export (field labels: `Contact ID, First Name, ...`).
//! Report labels are renamed to API names when landing, so both land in one raw table with
//! API-name columns (Data Loader writes them in capitals, `"ID","FIRSTNAME"`: headers match
//! ignoring case); every other column is kept. Dates (`YYYY-MM-DD` from Data Loader, `M/D/YYYY`
//! from reports) and date-times (`2026-03-04T10:15:00.000Z`, `YYYY-MM-DD` or `M/D/YYYY h:mm AM`)
//! land normalised, and a 15-character record id (reports) lands in its 18-character form, so
//! both exports of one record agree; so does a reference to another record (`AccountId`),
//! which may be empty. Booleans (`IsPrimary`, `IsConverted`) are `true`/`false` or `1`/`0` in
//! any case and land as `true`/`false`; any other value is a reject. Accounts and opportunity contact roles are not contacts:
//! `int_salesforce__contacts` joins them to the contacts (industry, company size, buying roles).

use super::{Check, CsvPreset};

/// Date formats of Salesforce exports: Data Loader's, then a report's.
const DATE_FORMATS: &[&str] = &["%Y-%m-%d", "%m/%d/%Y"];

/// Date-time formats of Salesforce exports: Data Loader's ISO 8601 in UTC, a bare date, then a
/// report's.
const DATETIME_FORMATS: &[&str] = &[
    "%Y-%m-%dT%H:%M:%S%.fZ",
    "%Y-%m-%d",
    "%m/%d/%Y %I:%M %p",
    "%m/%d/%Y",
];

/// Salesforce contacts export columns, in landed order: the first 11 are required, the rest
/// optional.
const SALESFORCE_COLUMNS: &[&str] = &[
    "Id",
    "FirstName",
    "LastName",
    "Email",
    "Title",
    "Department",
    "Birthdate",
    "MailingCity",
    "MailingCountry",
    "LeadSource",
    "AccountId",
    "CreatedDate",
    "LastActivityDate",
];

/// Salesforce contacts export (Data Loader / Bulk API CSV, or a report export).
pub static SALESFORCE_CONTACTS: CsvPreset = CsvPreset::export(
    "Salesforce contacts export",
    SALESFORCE_COLUMNS.split_at(11).0,
    SALESFORCE_COLUMNS,
    &[
        ("Id", Check::SalesforceId),
        ("Email", Check::Email),
        ("AccountId", Check::SalesforceRef),
        ("Birthdate", Check::Date),
        ("CreatedDate", Check::DateTime),
        ("LastActivityDate", Check::DateTime),
    ],
)
.with_aliases(REPORT_LABELS)
.normalised(DATE_FORMATS, DATETIME_FORMATS);

/// Report export labels and the API names they land under.
const REPORT_LABELS: &[(&str, &str)] = &[
    ("Contact ID", "Id"),
    ("First Name", "FirstName"),
    ("Last Name", "LastName"),
    ("Mailing City", "MailingCity"),
    ("Mailing Country", "MailingCountry"),
    ("Lead Source", "LeadSource"),
    ("Account ID", "AccountId"),
    ("Created Date", "CreatedDate"),
    ("Last Activity", "LastActivityDate"),
];

/// Salesforce accounts export columns, in landed order: the first 4 are required, the rest
/// optional (landed empty where a file lacks them).
const ACCOUNT_COLUMNS: &[&str] = &[
    "Id",
    "Name",
    "Industry",
    "NumberOfEmployees",
    "AnnualRevenue",
    "BillingCountry",
];

/// Salesforce accounts export (Data Loader / Bulk API CSV of Account): the company of each
/// contact (`Contact.AccountId`).
pub static SALESFORCE_ACCOUNTS: CsvPreset = CsvPreset::export(
    "Salesforce accounts export",
    ACCOUNT_COLUMNS.split_at(4).0,
    ACCOUNT_COLUMNS,
    &[
        ("Id", Check::SalesforceId),
        ("NumberOfEmployees", Check::Number),
        ("AnnualRevenue", Check::Number),
    ],
)
.normalised(DATE_FORMATS, DATETIME_FORMATS);

/// Salesforce opportunity contact roles export columns, in landed order, all required.
const CONTACT_ROLE_COLUMNS: &[&str] = &["Id", "OpportunityId", "ContactId", "Role", "IsPrimary"];

/// Salesforce opportunity contact roles export (Data Loader / Bulk API CSV of
/// OpportunityContactRole): the role each contact plays on each opportunity (`Decision Maker`,
/// `Economic Buyer`, ...), and whether it is the opportunity's primary contact. `IsPrimary` is
/// `true`/`false` or `1`/`0` (any case, landed as `true`/`false`); anything else is a reject.
pub static SALESFORCE_OPPORTUNITY_CONTACT_ROLES: CsvPreset = CsvPreset::export(
    "Salesforce opportunity contact roles export",
    CONTACT_ROLE_COLUMNS,
    CONTACT_ROLE_COLUMNS,
    &[
        ("Id", Check::SalesforceId),
        ("OpportunityId", Check::SalesforceId),
        ("ContactId", Check::SalesforceId),
        ("IsPrimary", Check::Boolean),
    ],
)
.normalised(DATE_FORMATS, DATETIME_FORMATS);

/// Salesforce leads export columns, in landed order ([`LEAD_REQUIRED`] required, the rest
/// optional).
const LEAD_COLUMNS: &[&str] = &[
    "Id",
    "FirstName",
    "LastName",
    "Email",
    "Title",
    "Company",
    "Industry",
    "NumberOfEmployees",
    "AnnualRevenue",
    "City",
    "Country",
    "LeadSource",
    "IsConverted",
    "CreatedDate",
    "LastActivityDate",
];

/// The columns every leads export must have: the id and email the contacts are keyed and
/// matched on, and `LastName` and `Company`, the fields Salesforce requires on every lead (they
/// also tell a lead export from a contact export).
const LEAD_REQUIRED: &[&str] = &["Id", "LastName", "Email", "Company"];

/// Salesforce leads export (Data Loader / Bulk API CSV of Lead): people who are not contacts
/// yet, contacts of the Salesforce CRM all the same (their persona goes to the Salesforce lead
/// update file, since a lead is another object than a contact).
pub static SALESFORCE_LEADS: CsvPreset = CsvPreset::export(
    "Salesforce leads export",
    LEAD_REQUIRED,
    LEAD_COLUMNS,
    &[
        ("Id", Check::SalesforceId),
        ("Email", Check::Email),
        ("NumberOfEmployees", Check::Number),
        ("AnnualRevenue", Check::Number),
        ("IsConverted", Check::Boolean),
        ("CreatedDate", Check::DateTime),
        ("LastActivityDate", Check::DateTime),
    ],
)
.normalised(DATE_FORMATS, DATETIME_FORMATS);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::SourceConfig;
    use crate::landing::Reject;
    use crate::output::parquet::ParquetTable;
    use crate::output::PART;
    use crate::sources::csv::spec::header;
    use crate::sources::csv::CsvSpec;
    use crate::sources::{land, LandContext};

    /// Land `text` as a source of `kind` (a file named `file` in a temp folder): the landed
    /// table and the rejects.
    fn land_text(kind: &str, file: &str, text: &str) -> (ParquetTable, Vec<Reject>) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(file);
        std::fs::write(&path, text).unwrap();
        let source: SourceConfig = toml::from_str(&format!(
            "name = \"sf\"\nkind = \"{kind}\"\npath = \"{file}\"\n"
        ))
        .unwrap();
        let landed_dir = dir.path().join("landed");
        let report = land(&LandContext {
            source: &source,
            files: vec![path],
            landed_dir: landed_dir.clone(),
            loaded_at: chrono::Utc::now(),
            hashes: Default::default(),
        })
        .unwrap();
        let table = ParquetTable::read(&landed_dir.join(PART)).unwrap();
        assert_eq!(
            report.counts.read,
            report.counts.accepted + report.counts.rejected
        );
        (table, report.rejects)
    }

    /// The one reject at `line`, whose reason names `column` and `value`.
    fn assert_reject(rejects: &[Reject], line: u64, column: &str, value: &str) {
        let r = rejects
            .iter()
            .find(|r| r.line == line)
            .unwrap_or_else(|| panic!("no reject at line {line}: {rejects:?}"));
        assert!(
            r.reason.contains(column) && r.reason.contains(value),
            "line {line}: {}",
            r.reason
        );
    }

    #[test]
    fn data_loader_capitalised_headers_match_the_api_names() {
        let accounts = CsvSpec::new(&SALESFORCE_ACCOUNTS);
        let file = header("ID,NAME,INDUSTRY,NUMBEROFEMPLOYEES,ANNUALREVENUE,BILLINGCOUNTRY,TYPE");
        assert_eq!(accounts.missing_column(&file), None);
        assert_eq!(
            accounts.source_of("NumberOfEmployees", &file),
            Some((3, "NUMBEROFEMPLOYEES"))
        );
        assert_eq!(accounts.unused_columns(&file), ["TYPE"]);
        // The optional columns may be left out; the company fields may not.
        assert_eq!(accounts.missing_column(&file[..4]), None);
        assert_eq!(
            accounts.missing_column(&header("ID,NAME,INDUSTRY")),
            Some("NumberOfEmployees".into())
        );

        let roles = CsvSpec::new(&SALESFORCE_OPPORTUNITY_CONTACT_ROLES);
        let file = header("ID,OPPORTUNITYID,CONTACTID,ROLE,ISPRIMARY");
        assert_eq!(roles.missing_column(&file), None);
        assert_eq!(roles.source_of("IsPrimary", &file), Some((4, "ISPRIMARY")));
        assert_eq!(roles.missing_column(&file[..4]), Some("IsPrimary".into()));

        let leads = CsvSpec::new(&SALESFORCE_LEADS);
        let file = header("ID,LASTNAME,EMAIL,COMPANY,RATING");
        assert_eq!(leads.missing_column(&file), None);
        assert_eq!(leads.source_of("Company", &file), Some((3, "COMPANY")));
        assert_eq!(leads.unused_columns(&file), ["RATING"]);
        // A contact export is not a lead export.
        let contact = header("ID,FIRSTNAME,LASTNAME,EMAIL,ACCOUNTID");
        assert_eq!(leads.missing_column(&contact), Some("Company".into()));
        for preset in [
            &SALESFORCE_ACCOUNTS,
            &SALESFORCE_OPPORTUNITY_CONTACT_ROLES,
            &SALESFORCE_LEADS,
        ] {
            for r in preset.required {
                assert!(preset.columns.contains(r), "{}: {r}", preset.name);
            }
            for (c, _) in preset.checks {
                assert!(preset.columns.contains(c), "{}: {c}", preset.name);
            }
        }
    }

    #[test]
    fn an_account_number_that_cannot_be_read_is_a_reject_with_line_and_column() {
        let text = "\"ID\",\"NAME\",\"INDUSTRY\",\"NUMBEROFEMPLOYEES\",\"ANNUALREVENUE\",\"BILLINGCOUNTRY\"\n\
            \"0015g00000QbX1AAAV\",\"Tyrell Software\",\"Technology\",\"1200\",\"250000000\",\"Canada\"\n\
            \"0015g00000QbX1B\",\"Lucky Boutique\",\"Retail\",\"3\",\"410000.50\",\"\"\n\
            \"0015g00000QbX1CAAV\",\"Stadtwerke Nord\",\"Energy\",\"about 40\",\"\",\"Germany\"\n\
            \"0015g00000QbX1DAAV\",\"Acme\",\"Retail\",\"12\",\"1.2M\",\"France\"\n\
            \"0015g00000QbX1EAAV\",\"Initech\",\"\",\"\",\"\",\"\"\n";
        let (table, rejects) = land_text("salesforce_accounts", "Account_extract.csv", text);
        assert_eq!(rejects.len(), 2, "{rejects:?}");
        assert!(rejects.iter().all(|r| r.file == "Account_extract.csv"));
        assert_reject(&rejects, 4, "NUMBEROFEMPLOYEES", "about 40");
        assert_reject(&rejects, 5, "ANNUALREVENUE", "1.2M");
        // Landed under the API names; a 15-character id in its 18-character form.
        let ids = table.strings("Id").unwrap();
        assert_eq!(
            ids,
            [
                Some("0015g00000QbX1AAAV".to_string()),
                Some("0015g00000QbX1BAAV".to_string()),
                Some("0015g00000QbX1EAAV".to_string()),
            ]
        );
        let employees = table.strings("NumberOfEmployees").unwrap();
        assert_eq!(employees[..2], [Some("1200".into()), Some("3".into())]);
        assert_eq!(employees[2], None);
    }

    #[test]
    fn contact_role_ids_are_made_18_characters_and_a_bad_one_is_rejected() {
        let text = "\"ID\",\"OPPORTUNITYID\",\"CONTACTID\",\"ROLE\",\"ISPRIMARY\"\n\
            \"00K5g000004XyZ1EAK\",\"0065g00000AbCd1AAF\",\"0035g00000Kx1AA\",\"Decision Maker\",\"true\"\n\
            \"00K5g000004XyZ2EAK\",\"0065g00000AbCd1AAF\",\"not-an-id\",\"Technical Buyer\",\"false\"\n";
        let (table, rejects) = land_text(
            "salesforce_opportunity_contact_roles",
            "OpportunityContactRole_extract.csv",
            text,
        );
        assert_eq!(rejects.len(), 1, "{rejects:?}");
        assert_reject(&rejects, 3, "CONTACTID", "not-an-id");
        let contacts = table.strings("ContactId").unwrap();
        assert_eq!(
            contacts,
            [super::super::checks::salesforce_id_18("0035g00000Kx1AA")]
        );
        assert_eq!(table.strings("IsPrimary").unwrap(), [Some("true".into())]);
    }

    #[test]
    fn a_bad_is_primary_is_a_reject_with_line_and_column() {
        let text = "\"ID\",\"OPPORTUNITYID\",\"CONTACTID\",\"ROLE\",\"ISPRIMARY\"\n\
            \"00K5g000004XyZ1EAK\",\"0065g00000AbCd1AAF\",\"0035g00000Kx1AAAAZ\",\"Decision Maker\",\"TRUE\"\n\
            \"00K5g000004XyZ2EAK\",\"0065g00000AbCd1AAF\",\"0035g00000Kx2AAAAZ\",\"Influencer\",\"maybe\"\n\
            \"00K5g000004XyZ3EAK\",\"0065g00000AbCd1AAF\",\"0035g00000Kx3AAAAZ\",\"End User\",\"0\"\n";
        let (table, rejects) = land_text(
            "salesforce_opportunity_contact_roles",
            "OpportunityContactRole_extract.csv",
            text,
        );
        assert_eq!(rejects.len(), 1, "{rejects:?}");
        assert_eq!(rejects[0].file, "OpportunityContactRole_extract.csv");
        assert_reject(&rejects, 3, "ISPRIMARY", "\"maybe\"");
        // Landed as the staging SQL reads it, whatever the case or 1/0.
        assert_eq!(
            table.strings("IsPrimary").unwrap(),
            [Some("true".into()), Some("false".into())]
        );
    }

    #[test]
    fn a_contact_s_account_id_may_be_empty_and_is_otherwise_a_salesforce_id() {
        let text = "Id,FirstName,LastName,Email,Title,Department,Birthdate,MailingCity,\
            MailingCountry,LeadSource,AccountId\n\
            0035g00000Kx1AAAAZ,Ana,Silva,ana@silva.pt,CEO,,,Porto,Portugal,Web,0015g00000QbX1A\n\
            0035g00000Kx2AAAAZ,Bo,Berg,bo@berg.se,CTO,,,Lund,Sweden,Web,\n\
            0035g00000Kx3AAAAZ,Cy,Chan,cy@chan.hk,COO,,,Kowloon,China,Web,Chan Ltd\n\
            0035g00000Kx4AAAAZ,Di,Dorn,di@dorn.de,CFO,,,Bonn,Germany,Web,0015g00000QbX1AAAV\n";
        let (table, rejects) = land_text("salesforce_contacts", "Contact_extract.csv", text);
        assert_eq!(rejects.len(), 1, "{rejects:?}");
        assert_eq!(rejects[0].file, "Contact_extract.csv");
        assert_reject(&rejects, 4, "AccountId", "\"Chan Ltd\"");
        // A contact without an account lands; a report's 15-character id lands as 18, so its
        // first 15 characters (what int_salesforce__contacts matches on) are unchanged.
        let account = Some("0015g00000QbX1AAAV".to_string());
        assert_eq!(
            table.strings("AccountId").unwrap(),
            [account.clone(), None, account]
        );
    }

    #[test]
    fn a_lead_with_a_bad_employee_count_date_or_is_converted_is_rejected() {
        let text =
            "Id,FirstName,LastName,Email,Company,NumberOfEmployees,CreatedDate,IsConverted\n\
            00Q5g00000LdA1AEAV,Ana,Silva,ana@silva.pt,Silva Lda,25,2026-03-04T10:15:00.000Z,False\n\
            00Q5g00000LdA2AEAV,Bo,Berg,bo@berg.se,Berg AB,ten,2026-03-04T10:15:00.000Z,\n\
            00Q5g00000LdA3AEAV,Cy,Chan,cy@chan.hk,Chan Ltd,7,yesterday,0\n\
            00Q5g00000LdA4AEAV,Di,Dorn,di@dorn.de,Dorn KG,3,2026-03-04T10:15:00.000Z,converted\n";
        let (table, rejects) = land_text("salesforce_leads", "Lead_extract.csv", text);
        assert_eq!(rejects.len(), 3, "{rejects:?}");
        assert_reject(&rejects, 3, "NumberOfEmployees", "ten");
        assert_reject(&rejects, 4, "CreatedDate", "yesterday");
        assert_reject(&rejects, 5, "IsConverted", "\"converted\"");
        assert_eq!(
            table.strings("IsConverted").unwrap(),
            [Some("false".into())]
        );
        assert_eq!(
            table.strings("CreatedDate").unwrap(),
            [Some("2026-03-04 10:15:00".into())]
        );
        // Optional columns the file lacks land empty, so the SQL can read them.
        assert_eq!(table.strings("Country").unwrap(), [None]);
    }

    #[test]
    fn empty_raw_tables_have_the_preset_columns() {
        for preset in [
            &SALESFORCE_ACCOUNTS,
            &SALESFORCE_OPPORTUNITY_CONTACT_ROLES,
            &SALESFORCE_LEADS,
        ] {
            let schema = super::super::empty_schema(preset);
            for c in preset.columns {
                assert!(schema.field_with_name(c).is_ok(), "{}: {c}", preset.name);
            }
            assert!(schema.field_with_name("_source_line").is_ok());
        }
    }
}
