//! `csv` sources: any CRM's contacts CSV, read through a column mapping. The source names its
//! dialect (`delimiter`, `quote`, `has_header`, `encoding`), its date formats and, under
//! `[sources.columns]`, the file column holding each contact field the SQL expects. The mapping is
//! applied at landing: `raw_csv__contacts` has one column per contact field (null where a field
//! is not mapped), dates and date-times normalised to `YYYY-MM-DD` and `YYYY-MM-DD HH:MM:SS`.

use serde::Deserialize;

use super::csv_checks::{is_valid_format, Typing};
use super::csv_export::{Check, CsvPreset, CsvSpec};
use crate::config::{SourceConfig, SourceKind};
use crate::error::{Error, Result};

/// The file column holding each contact field of a `csv` source (`[sources.columns]`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CsvColumns {
    /// The contact's id in the CRM (any text; required).
    pub contact_id: String,
    /// The contact's email (required).
    pub email: String,
    /// First name.
    pub first_name: Option<String>,
    /// Last name.
    pub last_name: Option<String>,
    /// Job title (the job seniority is derived from it).
    pub job_title: Option<String>,
    /// Date of birth, in the source's `date_format`.
    pub date_of_birth: Option<String>,
    /// Gender (`female`/`male`, `f`/`m`, any case).
    pub gender: Option<String>,
    /// City.
    pub city: Option<String>,
    /// Country.
    pub country: Option<String>,
    /// The company's industry.
    pub industry: Option<String>,
    /// The company's number of employees: a number or a range like `1001-5000` or `10001+`.
    pub employees: Option<String>,
    /// Lifecycle stage (`Lead`, `Customer`, ...).
    pub lifecycle_stage: Option<String>,
    /// Buying role; the first of a `;`-separated list is used.
    pub buying_role: Option<String>,
    /// Where the contact came from (lead source).
    pub original_source: Option<String>,
    /// Revenue from the contact, a number.
    pub revenue: Option<String>,
    /// When the contact was created, in the source's `datetime_format`.
    pub created_at: Option<String>,
    /// The contact's last activity, in the source's `datetime_format`.
    pub last_activity_at: Option<String>,
}

impl CsvColumns {
    /// `(field, file column)` of every mapped field, in the landed order.
    pub fn mapped(&self) -> Vec<(&'static str, &str)> {
        let optional = [
            ("first_name", &self.first_name),
            ("last_name", &self.last_name),
            ("job_title", &self.job_title),
            ("date_of_birth", &self.date_of_birth),
            ("gender", &self.gender),
            ("city", &self.city),
            ("country", &self.country),
            ("industry", &self.industry),
            ("employees", &self.employees),
            ("lifecycle_stage", &self.lifecycle_stage),
            ("buying_role", &self.buying_role),
            ("original_source", &self.original_source),
            ("revenue", &self.revenue),
            ("created_at", &self.created_at),
            ("last_activity_at", &self.last_activity_at),
        ];
        [
            ("contact_id", self.contact_id.as_str()),
            ("email", self.email.as_str()),
        ]
        .into_iter()
        .chain(
            optional
                .into_iter()
                .filter_map(|(field, col)| col.as_deref().map(|c| (field, c))),
        )
        .collect()
    }
}

/// A generic CRM contacts CSV, after the mapping: one column per contact field.
pub static CSV_CONTACTS: CsvPreset = CsvPreset {
    name: "CRM contacts CSV",
    required: &["contact_id", "email"],
    optional: &[
        "first_name",
        "last_name",
        "job_title",
        "date_of_birth",
        "gender",
        "city",
        "country",
        "industry",
        "employees",
        "lifecycle_stage",
        "buying_role",
        "original_source",
        "revenue",
        "created_at",
        "last_activity_at",
    ],
    checks: &[
        ("contact_id", Check::RequiredText),
        ("email", Check::Email),
        ("date_of_birth", Check::Date),
        ("employees", Check::EmployeeCount),
        ("revenue", Check::Number),
        ("created_at", Check::DateTime),
        ("last_activity_at", Check::DateTime),
    ],
    status_column: None,
    aliases: &[],
    date_formats: &[DEFAULT_DATE_FORMAT],
    datetime_formats: &[DEFAULT_DATETIME_FORMAT],
    normalise: true,
};

/// Default `date_format` of a `csv` source.
pub const DEFAULT_DATE_FORMAT: &str = "%Y-%m-%d";
/// Default `datetime_format` of a `csv` source.
pub const DEFAULT_DATETIME_FORMAT: &str = "%Y-%m-%d %H:%M:%S";

/// How a `csv` source's files are read: its dialect, mapping and date formats.
pub fn spec(source: &SourceConfig) -> Result<CsvSpec<'static>> {
    let columns = source.columns.as_ref().ok_or_else(|| Error::BadInput {
        file: source.path.clone(),
        reason: format!(
            "source `{}` of kind csv has no [sources.columns] mapping",
            source.name
        ),
    })?;
    let ascii =
        |c: Option<char>, default: u8| c.and_then(|c| u8::try_from(c).ok()).unwrap_or(default);
    let mut spec = CsvSpec::preset(&CSV_CONTACTS, source);
    spec.delimiter = ascii(source.delimiter, b',');
    spec.quote = ascii(source.quote, b'"');
    spec.has_header = source.has_header.unwrap_or(true);
    spec.mapping = Some(
        columns
            .mapped()
            .into_iter()
            .map(|(field, col)| (field.to_string(), col.to_string()))
            .collect(),
    );
    spec.typing = Typing {
        date_formats: vec![source
            .date_format
            .clone()
            .unwrap_or_else(|| DEFAULT_DATE_FORMAT.into())],
        datetime_formats: vec![source
            .datetime_format
            .clone()
            .unwrap_or_else(|| DEFAULT_DATETIME_FORMAT.into())],
        normalise: true,
    };
    Ok(spec)
}

/// Config check of a source's CSV options: only `csv` sources take them, and a `csv` source
/// needs a mapping, single ASCII delimiter and quote characters and valid date formats.
pub fn check_options(s: &SourceConfig) -> std::result::Result<(), String> {
    if s.kind != SourceKind::Csv {
        let set = [
            ("delimiter", s.delimiter.is_some()),
            ("quote", s.quote.is_some()),
            ("has_header", s.has_header.is_some()),
            ("date_format", s.date_format.is_some()),
            ("datetime_format", s.datetime_format.is_some()),
            ("columns", s.columns.is_some()),
        ];
        return match set.iter().find(|(_, is_set)| *is_set) {
            Some((key, _)) => Err(format!(
                "`{key}` is only for sources of kind `csv` (this one is {:?})",
                s.kind
            )),
            None => Ok(()),
        };
    }
    let Some(columns) = &s.columns else {
        return Err(
            "a `csv` source needs a [sources.columns] table naming at least the contact_id and email columns"
                .into(),
        );
    };
    if let Some((field, _)) = columns.mapped().iter().find(|(_, c)| c.trim().is_empty()) {
        return Err(format!("columns.{field} is empty"));
    }
    for (key, c) in [("delimiter", s.delimiter), ("quote", s.quote)] {
        if let Some(c) = c {
            if !c.is_ascii() || c == '\n' || c == '\r' {
                return Err(format!(
                    "{key} must be one ASCII character other than a line break, got {c:?}"
                ));
            }
        }
    }
    if s.delimiter.unwrap_or(',') == s.quote.unwrap_or('"') {
        return Err("delimiter and quote must differ".into());
    }
    for (key, f) in [
        ("date_format", &s.date_format),
        ("datetime_format", &s.datetime_format),
    ] {
        if let Some(f) = f {
            if !is_valid_format(f) {
                return Err(format!(
                    "{key} {f:?} is not a valid chrono format (like %Y-%m-%d)"
                ));
            }
        }
    }
    Ok(())
}
