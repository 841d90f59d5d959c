//! Salesforce contact exports: a Data Loader or Bulk API CSV (API field names: `Id, FirstName,
//! ..., AccountId`, custom fields ending `__c`) or a report export (field labels: `Contact ID,
//! First Name, ...`). Report labels are renamed to API names when landing, so both land in one
//! `raw_salesforce__contacts` table with API-name columns (Data Loader writes them in capitals,
//! `ID, FIRSTNAME`: headers match ignoring case); every other column is kept. Dates
//! (`YYYY-MM-DD` from Data Loader, `M/D/YYYY` from reports) and date-times
//! (`2026-03-04T10:15:00.000Z`, `YYYY-MM-DD` or `M/D/YYYY h:mm AM`) land normalised, and a
//! 15-character id (reports) lands in its 18-character form, so both exports of one contact agree.

use super::{Check, CsvPreset};

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
pub static SALESFORCE_CONTACTS: CsvPreset = CsvPreset {
    name: "Salesforce contacts export",
    required: SALESFORCE_COLUMNS.split_at(11).0,
    columns: SALESFORCE_COLUMNS,
    checks: &[
        ("Id", Check::SalesforceId),
        ("Email", Check::Email),
        ("Birthdate", Check::Date),
        ("CreatedDate", Check::DateTime),
        ("LastActivityDate", Check::DateTime),
    ],
    status_column: None,
    aliases: REPORT_LABELS,
    date_formats: &["%Y-%m-%d", "%m/%d/%Y"],
    datetime_formats: &[
        "%Y-%m-%dT%H:%M:%S%.fZ",
        "%Y-%m-%d",
        "%m/%d/%Y %I:%M %p",
        "%m/%d/%Y",
    ],
    normalise: true,
};

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
