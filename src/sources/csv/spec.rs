//! How one source's CSV files are read ([`CsvSpec`]): the export preset (columns, checks,
//! aliases), the file dialect (delimiter, quote, header row), a `csv` source's column mapping and
//! the date formats; and which file column fills each landed column (header names matched
//! ignoring case, two file columns for one landed column an error).

use super::checks::Typing;
use super::presets::CsvPreset;
use crate::config::{SourceConfig, TextEncoding};

/// How one source's CSV files are read: its preset, the file dialect, the column mapping of a
/// `csv` source and the accepted date formats.
#[derive(Debug, Clone)]
pub struct CsvSpec<'p> {
    /// Columns, checks and aliases.
    pub preset: &'p CsvPreset,
    /// Field delimiter.
    pub delimiter: u8,
    /// Quote character.
    pub quote: u8,
    /// Whether the first row names the columns; without one they are `column_1`, `column_2`, ...
    pub has_header: bool,
    /// Text encoding.
    pub encoding: TextEncoding,
    /// `csv` sources: `(landed column, file column)` of each mapped field. When set, only the
    /// preset's columns land, each from its mapped file column, and every mapped column is
    /// required.
    pub mapping: Option<Vec<(String, String)>>,
    /// Accepted date formats and normalisation.
    pub typing: Typing,
    /// Columns the pipeline's own features read (`[[features.columns]]`): required in every
    /// file, landed under their names.
    pub own: Vec<String>,
}

impl<'p> CsvSpec<'p> {
    /// A preset's export read as the tool writes it (comma, double quote, a header row) with the
    /// preset's date formats, in UTF-8.
    pub fn new(preset: &'p CsvPreset) -> CsvSpec<'p> {
        CsvSpec {
            preset,
            delimiter: b',',
            quote: b'"',
            has_header: true,
            encoding: TextEncoding::Utf8,
            mapping: None,
            own: Vec::new(),
            typing: Typing::new(
                preset.date_formats,
                preset.datetime_formats,
                preset.normalise,
            ),
        }
    }

    /// A preset's export read as the tool writes it (see [`new`](CsvSpec::new)), in the
    /// source's encoding.
    pub fn preset(preset: &'p CsvPreset, source: &SourceConfig) -> CsvSpec<'p> {
        CsvSpec {
            encoding: source.encoding,
            own: source.own_columns.clone(),
            ..CsvSpec::new(preset)
        }
    }

    /// The name a file column lands under, header names matched ignoring case: a preset alias's
    /// target, the preset column of that name, or the name itself.
    pub(super) fn alias<'c>(&self, column: &'c str) -> &'c str {
        let preset = self.preset;
        if let Some((_, to)) = preset
            .aliases
            .iter()
            .find(|(from, _)| same_name(from, column))
        {
            return to;
        }
        preset
            .columns
            .iter()
            .find(|c| same_name(c, column))
            .copied()
            .unwrap_or(column)
    }

    /// Positions in `file_columns` of the columns holding landed column `landed`: with a
    /// mapping, the mapped name as written, else ignoring case; without, those landing under it.
    fn holders(&self, landed: &str, file_columns: &[String]) -> Vec<usize> {
        let positions = |keep: &dyn Fn(&str) -> bool| -> Vec<usize> {
            (0..file_columns.len())
                .filter(|&i| keep(&file_columns[i]))
                .collect()
        };
        match &self.mapping {
            Some(m) => {
                let Some((_, file)) = m.iter().find(|(l, _)| l == landed) else {
                    return Vec::new();
                };
                let exact = positions(&|c| c == file);
                if exact.is_empty() {
                    positions(&|c| same_name(c, file))
                } else {
                    exact
                }
            }
            None => positions(&|c| self.alias(c) == landed),
        }
    }

    /// The file column holding landed column `landed`: its position in `file_columns` and name.
    pub(super) fn source_of<'c>(
        &self,
        landed: &str,
        file_columns: &'c [String],
    ) -> Option<(usize, &'c str)> {
        let i = *self.holders(landed, file_columns).first()?;
        Some((i, file_columns[i].as_str()))
    }

    /// The landed columns read from the preset's or the mapping's columns.
    fn known_columns(&self) -> Vec<&str> {
        match &self.mapping {
            Some(m) => m.iter().map(|(l, _)| l.as_str()).collect(),
            None => self.preset.columns(),
        }
    }

    /// A file's columns the preset does not use: with a mapping, those no field maps (not
    /// landed); without, those that are neither required nor optional (landed as they are).
    pub(super) fn unused_columns<'c>(&self, file_columns: &'c [String]) -> Vec<&'c str> {
        let used: Vec<usize> = self
            .known_columns()
            .into_iter()
            .flat_map(|landed| self.holders(landed, file_columns))
            .collect();
        (0..file_columns.len())
            .filter(|i| !used.contains(i))
            .map(|i| file_columns[i].as_str())
            .collect()
    }

    /// The first required column missing from a file's columns, as the file would name it.
    pub(super) fn missing_column(&self, file_columns: &[String]) -> Option<String> {
        match &self.mapping {
            Some(m) => m
                .iter()
                .find(|(landed, _)| self.holders(landed, file_columns).is_empty())
                .map(|(_, file)| file.clone()),
            None => self
                .preset
                .required
                .iter()
                .find(|r| self.source_of(r, file_columns).is_none())
                .map(|r| r.to_string())
                .or_else(|| {
                    self.own
                        .iter()
                        .find(|c| !file_columns.iter().any(|f| same_name(f, c)))
                        .cloned()
                }),
        }
    }

    /// Two file columns holding the same landed column (a label and an internal name, or one
    /// name in two cases): `(landed column, first file column, second file column)`.
    pub(super) fn duplicate_column(
        &self,
        file_columns: &[String],
    ) -> Option<(String, String, String)> {
        self.known_columns().into_iter().find_map(|landed| {
            match self.holders(landed, file_columns)[..] {
                [a, b, ..] => Some((
                    landed.to_string(),
                    file_columns[a].clone(),
                    file_columns[b].clone(),
                )),
                _ => None,
            }
        })
    }
}

/// Whether two header names are the same column: equal ignoring case.
fn same_name(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b)
        || ((!a.is_ascii() || !b.is_ascii()) && a.to_lowercase() == b.to_lowercase())
}

/// The column names of a header line (`Id,Email,...`), for tests.
#[cfg(test)]
pub(super) fn header(line: &str) -> Vec<String> {
    line.split(',').map(String::from).collect()
}

#[cfg(test)]
mod tests {
    use super::super::mapping::CSV_CONTACTS;
    use super::super::salesforce::SALESFORCE_CONTACTS;
    use super::super::HUBSPOT_CONTACTS;
    use super::*;

    #[test]
    fn hubspot_needs_only_record_id_and_email() {
        let s = CsvSpec::new(&HUBSPOT_CONTACTS);
        assert_eq!(s.missing_column(&header("Record ID,Email")), None);
        assert_eq!(
            s.missing_column(&header("Record ID,First Name,Job Title")),
            Some("Email".into())
        );
        assert_eq!(
            s.missing_column(&header("Email,Job Title")),
            Some("Record ID".into())
        );
        // Landed in the order the SQL and earlier runs had, whatever the file has.
        assert_eq!(HUBSPOT_CONTACTS.columns().len(), 18);
        assert_eq!(
            HUBSPOT_CONTACTS.columns()[..4],
            ["Record ID", "First Name", "Last Name", "Email"]
        );
    }

    #[test]
    fn hubspot_internal_names_land_under_labels() {
        let s = CsvSpec::new(&HUBSPOT_CONTACTS);
        let file = header("hs_object_id,email,jobtitle,numemployees,company");
        assert_eq!(s.missing_column(&file), None);
        assert_eq!(s.source_of("Record ID", &file), Some((0, "hs_object_id")));
        assert_eq!(s.source_of("Email", &file), Some((1, "email")));
        assert_eq!(s.source_of("Job Title", &file), Some((2, "jobtitle")));
        assert_eq!(
            s.source_of("Number of Employees", &file),
            Some((3, "numemployees"))
        );
        assert_eq!(s.source_of("City", &file), None);
        assert_eq!(s.unused_columns(&file), ["company"]);
        for (internal, label) in HUBSPOT_CONTACTS.aliases {
            assert!(HUBSPOT_CONTACTS.columns().contains(label), "{internal}");
        }
    }

    #[test]
    fn headers_match_ignoring_case() {
        let s = CsvSpec::new(&SALESFORCE_CONTACTS);
        let file = header("ID,FIRSTNAME,LASTNAME,EMAIL,TITLE,DEPARTMENT,BIRTHDATE,MAILINGCITY,MAILINGCOUNTRY,LEADSOURCE,ACCOUNTID,CREATEDDATE,PERSONA_SCORE__C");
        assert_eq!(s.missing_column(&file), None);
        assert_eq!(s.source_of("Id", &file), Some((0, "ID")));
        assert_eq!(s.source_of("AccountId", &file), Some((10, "ACCOUNTID")));
        assert_eq!(s.alias("CONTACT ID"), "Id");
        assert_eq!(s.alias("PERSONA_SCORE__C"), "PERSONA_SCORE__C");
        assert_eq!(s.unused_columns(&file), ["PERSONA_SCORE__C"]);
        assert_eq!(s.duplicate_column(&file), None);
        let h = CsvSpec::new(&HUBSPOT_CONTACTS);
        assert_eq!(
            h.missing_column(&header("RECORD ID,e-mail")),
            Some("Email".into())
        );
        assert_eq!(h.missing_column(&header("record id,EMAIL")), None);
    }

    #[test]
    fn two_headers_for_one_column_are_named() {
        let h = CsvSpec::new(&HUBSPOT_CONTACTS);
        let file = header("Record ID,Job Title,Email,jobtitle");
        assert_eq!(
            h.duplicate_column(&file),
            Some(("Job Title".into(), "Job Title".into(), "jobtitle".into()))
        );
        let s = CsvSpec::new(&SALESFORCE_CONTACTS);
        assert_eq!(
            s.duplicate_column(&header("Id,Email,EMAIL")),
            Some(("Email".into(), "Email".into(), "EMAIL".into()))
        );
    }

    #[test]
    fn a_mapping_prefers_the_name_as_written_then_ignores_case() {
        let mut s = CsvSpec::new(&CSV_CONTACTS);
        s.mapping = Some(vec![
            ("contact_id".into(), "Kundennummer".into()),
            ("email".into(), "E-Mail".into()),
        ]);
        let file = header("KUNDENNUMMER,e-mail,E-Mail,Ort");
        assert_eq!(s.missing_column(&file), None);
        assert_eq!(s.source_of("contact_id", &file), Some((0, "KUNDENNUMMER")));
        assert_eq!(s.source_of("email", &file), Some((2, "E-Mail")));
        assert_eq!(s.duplicate_column(&file), None);
        assert_eq!(s.unused_columns(&file), ["e-mail", "Ort"]);
        let twice = header("kundennummer,KUNDENNUMMER,E-Mail");
        assert_eq!(
            s.duplicate_column(&twice).map(|(l, _, _)| l),
            Some("contact_id".into())
        );
        assert_eq!(
            s.missing_column(&header("Kundennummer,Mail")),
            Some("E-Mail".into())
        );
    }
}
