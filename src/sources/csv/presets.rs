//! The CSV export formats of the tools (HubSpot contacts, Mailchimp members; Salesforce's in
//! [`salesforce`](super::salesforce), a mapped CRM CSV's in [`mapping`](super::mapping)): the
//! columns each export must have, the typing checks on them, aliases and date formats.

use super::checks::{Check, EXPORT_DATETIME_FORMATS, EXPORT_DATE_FORMATS};

/// A CSV export format: the columns it must have and the checks on them.
#[derive(Debug)]
pub struct CsvPreset {
    /// Name used in messages.
    pub name: &'static str,
    /// Columns every file must have.
    pub required: &'static [&'static str],
    /// Every column of the format, required ones included, in landed order. Those not
    /// `required` are optional (Mailchimp's unsubscribe and clean columns, HubSpot's properties
    /// other than `Record ID` and `Email`): always landed, empty where a file lacks them, so the
    /// SQL can rely on them.
    pub columns: &'static [&'static str],
    /// Typing checks by column.
    pub checks: &'static [(&'static str, Check)],
    /// Extra landed column computed from the file's header (Mailchimp's member status).
    pub status_column: Option<fn(&[String]) -> &'static str>,
    /// Header names landed under another name (a Salesforce report's `Contact ID` is `Id`,
    /// HubSpot's `jobtitle` is `Job Title`), matched ignoring case.
    pub aliases: &'static [(&'static str, &'static str)],
    /// Accepted date formats ([`Check::Date`]), tried in order.
    pub date_formats: &'static [&'static str],
    /// Accepted date-time formats ([`Check::DateTime`]), tried in order.
    pub datetime_formats: &'static [&'static str],
    /// Land checked dates, date-times and ids normalised rather than as written.
    pub normalise: bool,
}

impl CsvPreset {
    /// A tool's export format: `columns` in landed order, of which `required` must be in every
    /// file, typed by `checks`; no status column nor aliases, dates in the tools' export formats
    /// ([`EXPORT_DATE_FORMATS`], [`EXPORT_DATETIME_FORMATS`]), landed as written.
    pub const fn export(
        name: &'static str,
        required: &'static [&'static str],
        columns: &'static [&'static str],
        checks: &'static [(&'static str, Check)],
    ) -> CsvPreset {
        CsvPreset {
            name,
            required,
            columns,
            checks,
            status_column: None,
            aliases: &[],
            date_formats: EXPORT_DATE_FORMATS,
            datetime_formats: EXPORT_DATETIME_FORMATS,
            normalise: false,
        }
    }

    /// This format with dates read in `date_formats` and date-times in `datetime_formats`,
    /// landed normalised.
    pub const fn normalised(
        self,
        date_formats: &'static [&'static str],
        datetime_formats: &'static [&'static str],
    ) -> CsvPreset {
        CsvPreset {
            date_formats,
            datetime_formats,
            normalise: true,
            ..self
        }
    }

    /// This format with header names landed under other names (see [`aliases`](Self::aliases)).
    pub const fn with_aliases(self, aliases: &'static [(&'static str, &'static str)]) -> CsvPreset {
        CsvPreset { aliases, ..self }
    }

    /// The required and optional columns, in landed order.
    pub fn columns(&self) -> Vec<&'static str> {
        self.columns.to_vec()
    }
}

/// HubSpot "all contacts" export: only `Record ID` and `Email` are required; every other
/// property the SQL reads lands empty where an export leaves it out. Headers are HubSpot's
/// property labels or its internal names (see [`HUBSPOT_INTERNAL_NAMES`]).
pub static HUBSPOT_CONTACTS: CsvPreset = CsvPreset::export(
    "HubSpot contacts export",
    &["Record ID", "Email"],
    &[
        "Record ID",
        "First Name",
        "Last Name",
        "Email",
        "Phone Number",
        "Lifecycle Stage",
        "Create Date",
        "Last Activity Date",
        "Job Title",
        "Industry",
        "Number of Employees",
        "City",
        "Country/Region",
        "Date of birth",
        "Gender",
        "Buying Role",
        "Original Source",
        "Total Revenue",
    ],
    &[
        ("Record ID", Check::RequiredId),
        ("Email", Check::Email),
        ("Create Date", Check::DateTime),
        ("Last Activity Date", Check::DateTime),
        ("Date of birth", Check::Date),
        ("Number of Employees", Check::EmployeeCount),
        ("Total Revenue", Check::Number),
    ],
)
.with_aliases(HUBSPOT_INTERNAL_NAMES);

/// HubSpot's internal property names (API extracts, some exports) and the labels they land
/// under. Names equal to their label but for case (`email`, `city`, ...) need no entry.
pub const HUBSPOT_INTERNAL_NAMES: &[(&str, &str)] = &[
    ("hs_object_id", "Record ID"),
    ("firstname", "First Name"),
    ("lastname", "Last Name"),
    ("phone", "Phone Number"),
    ("lifecyclestage", "Lifecycle Stage"),
    ("createdate", "Create Date"),
    ("notes_last_updated", "Last Activity Date"),
    ("jobtitle", "Job Title"),
    ("numemployees", "Number of Employees"),
    ("country", "Country/Region"),
    ("date_of_birth", "Date of birth"),
    ("hs_buying_role", "Buying Role"),
    ("hs_analytics_source", "Original Source"),
    ("total_revenue", "Total Revenue"),
];

/// Mailchimp audience export columns, in landed order: the first 23 are required, the rest
/// optional.
const MAILCHIMP_COLUMNS: &[&str] = &[
    "Email Address",
    "First Name",
    "Last Name",
    "Address",
    "Phone Number",
    "Birthday",
    "MEMBER_RATING",
    "OPTIN_TIME",
    "OPTIN_IP",
    "CONFIRM_TIME",
    "CONFIRM_IP",
    "LATITUDE",
    "LONGITUDE",
    "GMTOFF",
    "DSTOFF",
    "TIMEZONE",
    "CC",
    "REGION",
    "LAST_CHANGED",
    "LEID",
    "EUID",
    "NOTES",
    "TAGS",
    "UNSUB_TIME",
    "UNSUB_CAMPAIGN_TITLE",
    "UNSUB_CAMPAIGN_ID",
    "UNSUB_REASON",
    "UNSUB_REASON_OTHER",
    "CLEAN_TIME",
    "CLEAN_CAMPAIGN_TITLE",
    "CLEAN_CAMPAIGN_ID",
];

/// Mailchimp audience export (subscribed, unsubscribed and cleaned files).
pub static MAILCHIMP_MEMBERS: CsvPreset = CsvPreset {
    status_column: Some(mailchimp_status),
    ..CsvPreset::export(
        "Mailchimp audience export",
        MAILCHIMP_COLUMNS.split_at(23).0,
        MAILCHIMP_COLUMNS,
        &[
            ("Email Address", Check::Email),
            ("MEMBER_RATING", Check::Number),
            ("OPTIN_TIME", Check::DateTime),
            ("CONFIRM_TIME", Check::DateTime),
            ("LAST_CHANGED", Check::DateTime),
            ("UNSUB_TIME", Check::DateTime),
            ("CLEAN_TIME", Check::DateTime),
        ],
    )
};

/// Name of the landed column holding Mailchimp's member status.
pub const MEMBER_STATUS: &str = "_member_status";

/// A Mailchimp file's member status, from the columns only that file kind has.
fn mailchimp_status(header: &[String]) -> &'static str {
    let has = |name: &str| header.iter().any(|h| h.eq_ignore_ascii_case(name));
    if has("CLEAN_TIME") {
        "cleaned"
    } else if has("UNSUB_TIME") {
        "unsubscribed"
    } else {
        "subscribed"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mailchimp_status_from_header() {
        let h = |cols: &[&str]| cols.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            mailchimp_status(&h(&["Email Address", "CLEAN_TIME"])),
            "cleaned"
        );
        assert_eq!(
            mailchimp_status(&h(&["Email Address", "UNSUB_TIME"])),
            "unsubscribed"
        );
        assert_eq!(mailchimp_status(&h(&["Email Address"])), "subscribed");
    }
}
