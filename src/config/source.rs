//! Source config: one `[[sources]]` entry of a pipeline: which export, where it lives (local,
//! object store, HTTP), how its text is encoded and, for generic CSVs (contacts, orders), how
//! its columns map.

use serde::Deserialize;

use super::SourceColumns;

/// One input export.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceConfig {
    /// Name of the source, used in logs, rejects paths and row counts (`crm`, `email`, ...).
    pub name: String,
    /// What kind of export this is; decides the parser and the raw table it lands in.
    pub kind: SourceKind,
    /// File path, folder or glob (`ga4/events_*.json`), relative to the config file's folder, or
    /// a URL (`s3://`, `gs://`, `az://`, `http(s)://`). A CSV export may also be a `.zip` of CSVs.
    pub path: String,
    /// Share of rows (percent) that may be rejected before the run fails. Default 1 %.
    #[serde(default = "default_reject_ceiling")]
    pub max_reject_pct: f64,
    /// Text encoding of CSV exports: `utf-8` (default; a byte-order mark is skipped),
    /// `windows-1252` (Excel on Windows) or `latin-1`.
    #[serde(default)]
    pub encoding: TextEncoding,
    /// Where the files live when `path` is a URL (`s3://`, `gs://`, `az://`, `http(s)://`):
    /// endpoint, region, credentials from the environment, timeouts and retries.
    #[serde(default)]
    pub store: StoreConfig,
    /// `csv` and `orders_csv` sources: the field delimiter, one ASCII character (default `,`;
    /// `"\t"` for tabs).
    pub delimiter: Option<char>,
    /// `csv` and `orders_csv` sources: the quote character, one ASCII character (default `"`).
    pub quote: Option<char>,
    /// `csv` and `orders_csv` sources: whether the first row names the columns (default true);
    /// without a header the columns are named `column_1`, `column_2`, ...
    pub has_header: Option<bool>,
    /// `csv` and `orders_csv` sources: chrono format of the date columns (default `%Y-%m-%d`).
    pub date_format: Option<String>,
    /// `csv` and `orders_csv` sources: chrono format of the date-time columns (default
    /// `%Y-%m-%d %H:%M:%S`; a format without a time reads a date as midnight).
    pub datetime_format: Option<String>,
    /// `csv` sources: the file column holding each contact field (`[sources.columns]`);
    /// `contact_id` and `email` are required. `orders_csv` sources: the file column holding
    /// each order field; `order_id`, `ordered_at`, `amount` and `contact_id` or `email` are
    /// required.
    pub columns: Option<SourceColumns>,
    /// The export columns `[[features.columns]]` reads from this source: each is landed as it
    /// is and required in every file (set when the pipeline is read, not written in the config).
    #[serde(skip)]
    pub own_columns: Vec<String>,
    /// Survey sources: the pipeline's `[surveys]` (declared questions, their aliases and
    /// options), given to the source when a run lands it (not written in the source's config).
    #[serde(skip)]
    pub surveys: Option<std::sync::Arc<super::SurveysConfig>>,
}

/// Text encodings of CSV exports.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
pub enum TextEncoding {
    /// UTF-8, with or without a byte-order mark.
    #[default]
    #[serde(rename = "utf-8", alias = "utf8")]
    Utf8,
    /// Windows-1252 ("ANSI", Excel's default on Western Windows).
    #[serde(rename = "windows-1252", alias = "cp1252")]
    Windows1252,
    /// ISO-8859-1.
    #[serde(rename = "latin-1", alias = "iso-8859-1", alias = "latin1")]
    Latin1,
}

/// Options for sources on object stores and HTTP. Secrets are never written here: the config
/// names environment variables, and the values are read at run time and never logged.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoreConfig {
    /// Endpoint of the store: an S3-compatible server (MinIO, Ceph, R2, a local test server),
    /// a GCS base URL (a GCS emulator) or an Azure blob account URL (Azurite:
    /// `http://127.0.0.1:10000/devstoreaccount1`); default: the cloud's own.
    pub endpoint: Option<String>,
    /// Region; default from `AWS_REGION` / `AWS_DEFAULT_REGION`, else `us-east-1`.
    pub region: Option<String>,
    /// Path-style S3 requests (`endpoint/bucket/key`), as most S3-compatible servers need.
    #[serde(default)]
    pub path_style: bool,
    /// Allow a plain `http://` endpoint (test servers, private networks).
    #[serde(default)]
    pub allow_http: bool,
    /// HTTP sources: environment variable holding a bearer token (`Authorization: Bearer ...`).
    pub token_env: Option<String>,
    /// HTTP sources: name of an extra header to send (e.g. `X-Api-Key`)...
    pub header: Option<String>,
    /// ... and the environment variable holding its value.
    pub header_env: Option<String>,
    /// HTTP sources: timeout of one request in seconds (default 60).
    pub timeout_secs: Option<u64>,
    /// HTTP sources: retries on 429, 5xx and broken connections, with backoff (default 5).
    pub retries: Option<u32>,
}

/// The export formats `personas` reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceKind {
    /// HubSpot "all contacts" export CSV (header of property labels).
    HubspotContacts,
    /// Mailchimp audience export: subscribed, unsubscribed and cleaned member CSVs, or the zip
    /// Mailchimp delivers them in.
    MailchimpMembers,
    /// Google Analytics 4 BigQuery export as newline-delimited JSON (`events_YYYYMMDD*.json`),
    /// or a BigQuery extract to Parquet (nested schema kept) for files ending in `.parquet`.
    Ga4Events,
    /// A GA4 report exported from the GA4 UI as CSV (`# ...` comment lines with the date range,
    /// then one table or more: a dimension column, then metric columns).
    Ga4Report,
    /// Meta Graph API page insights JSON (`page_fans_gender_age`, `page_fans_country`), or the
    /// same breakdowns as a long CSV (`dimension,value,count`) when the file ends in `.csv`.
    #[serde(alias = "meta_audience")]
    MetaPageInsights,
    /// Salesforce contacts: a Data Loader / Bulk API CSV (API field names) or a report export
    /// (field labels).
    SalesforceContacts,
    /// Salesforce leads: a Data Loader / Bulk API CSV of Lead (`Id, LastName, Email, Company`
    /// required; `FirstName, Title, Industry, NumberOfEmployees, City, Country, LeadSource,
    /// IsConverted, CreatedDate, LastActivityDate, ...` read where present). Leads are contacts
    /// of the Salesforce CRM; converted ones are left out (their contact is the record).
    SalesforceLeads,
    /// Salesforce accounts: a Data Loader / Bulk API CSV of Account (`Id, Name, Industry,
    /// NumberOfEmployees` required; `AnnualRevenue, BillingCountry` read where present). Not a
    /// contacts export: it gives the Salesforce contacts their industry, company size and a
    /// country where they have none.
    SalesforceAccounts,
    /// Salesforce opportunity contact roles: a Data Loader / Bulk API CSV of
    /// OpportunityContactRole (`Id, OpportunityId, ContactId, Role, IsPrimary`). Not a contacts
    /// export: it gives the Salesforce contacts their buying roles.
    SalesforceOpportunityContactRoles,
    /// Any CRM's contacts CSV, read through the source's `[sources.columns]` mapping.
    Csv,
    /// LinkedIn Marketing API `organizationalEntityFollowerStatistics` response JSON: a company
    /// page's followers by seniority, function, industry, company size and country.
    LinkedinFollowerStatistics,
    /// Shopify admin orders export CSV (Orders > Export): one row per line item, order-level
    /// fields (status, totals, discount, refunds) on an order's first row only, times with their
    /// UTC offset (`2026-10-07 09:50:26 +0200`, landed in UTC). Not a contacts export: orders
    /// are matched to contacts by email (a point-of-sale order without one matches nobody).
    ShopifyOrders,
    /// Any shop's orders CSV, read through the source's `[sources.columns]` mapping (order id,
    /// contact id or email, order time, amount; product, category, discount, refunded amount
    /// and status optional). Not a contacts export: orders are matched to contacts by id or
    /// email.
    OrdersCsv,
    /// Typeform responses CSV (Results > Responses > Download): `#` (the response token), one
    /// column per question headed by its text (a multiple-selection question: one column per
    /// choice, headed by the choice), hidden fields, then `Response Type`, `Start Date (UTC)`,
    /// `Stage Date (UTC)`, `Submit Date (UTC)`, `Network ID`, `Tags`. Landed long: one row per
    /// answer. Not a contacts export: respondents are matched to contacts by email.
    TypeformResponses,
    /// Google Forms responses CSV (Responses > Download responses, or the linked sheet as CSV):
    /// `Timestamp` in the form's locale, `Email Address` when collected, one column per
    /// question (a grid: one per row, `Question [Row]`), checkbox answers joined by `, `.
    /// Landed long: one row per answer. Not a contacts export.
    GoogleFormsResponses,
    /// Survey answers as a long CSV: `email, question, answer`, optionally `submitted_at` and
    /// `respondent_id`; several rows of one question in one submission are a multiple
    /// selection. Not a contacts export.
    SurveyAnswers,
}

impl std::fmt::Display for SourceKind {
    /// The name written in the config (`hubspot_contacts`, ...).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let name = match self {
            SourceKind::HubspotContacts => "hubspot_contacts",
            SourceKind::MailchimpMembers => "mailchimp_members",
            SourceKind::Ga4Events => "ga4_events",
            SourceKind::Ga4Report => "ga4_report",
            SourceKind::MetaPageInsights => "meta_page_insights",
            SourceKind::SalesforceContacts => "salesforce_contacts",
            SourceKind::SalesforceLeads => "salesforce_leads",
            SourceKind::SalesforceAccounts => "salesforce_accounts",
            SourceKind::SalesforceOpportunityContactRoles => "salesforce_opportunity_contact_roles",
            SourceKind::Csv => "csv",
            SourceKind::LinkedinFollowerStatistics => "linkedin_follower_statistics",
            SourceKind::ShopifyOrders => "shopify_orders",
            SourceKind::OrdersCsv => "orders_csv",
            SourceKind::TypeformResponses => "typeform_responses",
            SourceKind::GoogleFormsResponses => "google_forms_responses",
            SourceKind::SurveyAnswers => "survey_answers",
        };
        f.write_str(name)
    }
}

impl SourceKind {
    /// The raw table the source lands in and the SQL reads.
    pub fn raw_table(self) -> &'static str {
        match self {
            SourceKind::HubspotContacts => "raw_hubspot__contacts",
            SourceKind::MailchimpMembers => "raw_mailchimp__members",
            SourceKind::Ga4Events => "raw_ga4__events",
            SourceKind::MetaPageInsights => "raw_meta__page_insights",
            SourceKind::SalesforceContacts => "raw_salesforce__contacts",
            SourceKind::SalesforceLeads => "raw_salesforce__leads",
            SourceKind::SalesforceAccounts => "raw_salesforce__accounts",
            SourceKind::SalesforceOpportunityContactRoles => {
                "raw_salesforce__opportunity_contact_roles"
            }
            SourceKind::Csv => "raw_csv__contacts",
            SourceKind::Ga4Report => "raw_ga4__report",
            SourceKind::LinkedinFollowerStatistics => "raw_linkedin__follower_statistics",
            SourceKind::ShopifyOrders => "raw_shopify__orders",
            SourceKind::OrdersCsv => "raw_csv__orders",
            SourceKind::TypeformResponses => "raw_typeform__responses",
            SourceKind::GoogleFormsResponses => "raw_google_forms__responses",
            SourceKind::SurveyAnswers => "raw_survey__answers",
        }
    }

    /// Every kind, in the order raw tables are registered.
    pub const ALL: [SourceKind; 16] = [
        SourceKind::HubspotContacts,
        SourceKind::SalesforceContacts,
        SourceKind::SalesforceLeads,
        SourceKind::SalesforceAccounts,
        SourceKind::SalesforceOpportunityContactRoles,
        SourceKind::Csv,
        SourceKind::MailchimpMembers,
        SourceKind::Ga4Events,
        SourceKind::Ga4Report,
        SourceKind::MetaPageInsights,
        SourceKind::LinkedinFollowerStatistics,
        SourceKind::ShopifyOrders,
        SourceKind::OrdersCsv,
        SourceKind::TypeformResponses,
        SourceKind::GoogleFormsResponses,
        SourceKind::SurveyAnswers,
    ];

    /// Whether the kind is a CRM contacts export (a pipeline needs at least one). Salesforce
    /// leads are; Salesforce accounts and opportunity contact roles only add to the contacts.
    pub fn is_crm(self) -> bool {
        matches!(
            self,
            SourceKind::HubspotContacts
                | SourceKind::SalesforceContacts
                | SourceKind::SalesforceLeads
                | SourceKind::Csv
        )
    }
}

fn default_reject_ceiling() -> f64 {
    1.0
}
