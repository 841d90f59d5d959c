//! The CSV options of a `csv` source (`[sources.columns]`: the file column holding each contact
//! field) and their pure check: only `csv` sources take them, and a `csv` source needs a mapping,
//! single ASCII delimiter and quote characters and valid date formats.

use chrono::format::{Item, StrftimeItems};
use serde::Deserialize;

use super::{SourceConfig, SourceKind};

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

/// Whether a chrono format string is valid (for config checks: formatting with an invalid one
/// fails).
pub fn is_valid_format(format: &str) -> bool {
    !format.is_empty() && !StrftimeItems::new(format).any(|i| matches!(i, Item::Error))
}

/// Config check of a source's CSV options: only `csv` sources take them, and a `csv` source
/// needs a mapping, single ASCII delimiter and quote characters and valid date formats.
pub(super) fn check_options(s: &SourceConfig) -> std::result::Result<(), String> {
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
