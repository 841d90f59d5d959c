//! `csv` sources: any CRM's contacts CSV, read through a column mapping. The source names its
//! dialect (`delimiter`, `quote`, `has_header`, `encoding`), its date formats and, under
//! `[sources.columns]` ([`CsvColumns`](crate::config::CsvColumns)), the file column holding each
//! contact field the SQL expects. The mapping is
//! applied at landing: `raw_csv__contacts` has one column per contact field (null where a field
//! is not mapped), dates and date-times normalised to `YYYY-MM-DD` and `YYYY-MM-DD HH:MM:SS`.
//! [`mapped_spec`] reads any mapped CSV this way (an `orders_csv` source's too, see
//! [`orders`](super::orders)).

use super::{Check, CsvPreset, CsvSpec, Typing};
use crate::config::{SourceColumns, SourceConfig};
use crate::error::{Error, Result};

/// A generic CRM contacts CSV, after the mapping: one column per contact field.
pub static CSV_CONTACTS: CsvPreset = CsvPreset::export(
    "CRM contacts CSV",
    &["contact_id", "email"],
    &[
        "contact_id",
        "email",
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
    &[
        ("contact_id", Check::RequiredText),
        ("email", Check::Email),
        ("date_of_birth", Check::Date),
        ("employees", Check::EmployeeCount),
        ("revenue", Check::Number),
        ("created_at", Check::DateTime),
        ("last_activity_at", Check::DateTime),
    ],
)
.normalised(&[DEFAULT_DATE_FORMAT], &[DEFAULT_DATETIME_FORMAT]);

/// Default `date_format` of a `csv` source.
pub const DEFAULT_DATE_FORMAT: &str = "%Y-%m-%d";
/// Default `datetime_format` of a `csv` source.
pub const DEFAULT_DATETIME_FORMAT: &str = "%Y-%m-%d %H:%M:%S";

/// How a `csv` source's files are read: its dialect, mapping and date formats.
pub fn spec(source: &SourceConfig) -> Result<CsvSpec<'static>> {
    let mapped = source.columns.as_ref().and_then(SourceColumns::contacts);
    required_mapping(source, &CSV_CONTACTS, mapped.map(|c| c.mapped()), "contact")
}

/// [`mapped_spec`] of a source whose `[sources.columns]` maps its `what` fields (`mapped`);
/// `BadInput` naming them when it does not.
pub(super) fn required_mapping(
    source: &SourceConfig,
    preset: &'static CsvPreset,
    mapped: Option<Vec<(&'static str, &str)>>,
    what: &str,
) -> Result<CsvSpec<'static>> {
    let mapped = mapped.ok_or_else(|| Error::BadInput {
        file: source.path.clone(),
        reason: format!(
            "source `{}` of kind {} has no [sources.columns] mapping of {what} fields",
            source.name, source.kind
        ),
    })?;
    Ok(mapped_spec(source, preset, mapped))
}

/// How a mapped CSV source's files are read (a `csv` source's contacts, an `orders_csv`
/// source's orders): `preset`'s columns and checks, each filled from the file column `mapped`
/// names (plus the own columns the features read), in the source's dialect and date formats.
pub fn mapped_spec(
    source: &SourceConfig,
    preset: &'static CsvPreset,
    mapped: Vec<(&'static str, &str)>,
) -> CsvSpec<'static> {
    let ascii =
        |c: Option<char>, default: u8| c.and_then(|c| u8::try_from(c).ok()).unwrap_or(default);
    let mut spec = CsvSpec::preset(preset, source);
    spec.delimiter = ascii(source.delimiter, b',');
    spec.quote = ascii(source.quote, b'"');
    spec.has_header = source.has_header.unwrap_or(true);
    spec.mapping = Some(
        mapped
            .into_iter()
            .map(|(field, col)| (field.to_string(), col.to_string()))
            .chain(source.own_columns.iter().map(|c| (c.clone(), c.clone())))
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
    spec
}
