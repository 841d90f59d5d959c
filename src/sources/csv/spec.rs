//! How one source's CSV files are read ([`CsvSpec`]): the export preset (columns, checks,
//! aliases), the file dialect (delimiter, quote, header row), a `csv` source's column mapping and
//! the date formats; and which file column fills each landed column.

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
}

impl<'p> CsvSpec<'p> {
    /// A preset's export read as the tool writes it (comma, double quote, a header row), in the
    /// source's encoding.
    pub fn preset(preset: &'p CsvPreset, source: &SourceConfig) -> CsvSpec<'p> {
        CsvSpec {
            preset,
            delimiter: b',',
            quote: b'"',
            has_header: true,
            encoding: source.encoding,
            mapping: None,
            typing: Typing::new(
                preset.date_formats,
                preset.datetime_formats,
                preset.normalise,
            ),
        }
    }

    /// The name a file column lands under (a preset alias, or the name itself).
    pub(super) fn alias<'c>(&self, column: &'c str) -> &'c str {
        self.preset
            .aliases
            .iter()
            .find(|(from, _)| *from == column)
            .map_or(column, |(_, to)| to)
    }

    /// The file column holding landed column `landed`: its position in `file_columns` and name.
    pub(super) fn source_of<'c>(
        &self,
        landed: &str,
        file_columns: &'c [String],
    ) -> Option<(usize, &'c str)> {
        let found = match &self.mapping {
            Some(m) => {
                let (_, file) = m.iter().find(|(l, _)| l == landed)?;
                file_columns.iter().position(|c| c == file)
            }
            None => file_columns.iter().position(|c| self.alias(c) == landed),
        };
        found.map(|i| (i, file_columns[i].as_str()))
    }

    /// A file's columns the preset does not use: with a mapping, those no field maps (not
    /// landed); without, those that are neither required nor optional (landed as they are).
    pub(super) fn unused_columns<'c>(&self, file_columns: &'c [String]) -> Vec<&'c str> {
        file_columns
            .iter()
            .filter(|c| match &self.mapping {
                Some(m) => !m.iter().any(|(_, file)| file == *c),
                None => {
                    let landed = self.alias(c);
                    !self.preset.required.contains(&landed)
                        && !self.preset.optional.contains(&landed)
                }
            })
            .map(String::as_str)
            .collect()
    }

    /// The first required column missing from a file's columns, as the file would name it.
    pub(super) fn missing_column(&self, file_columns: &[String]) -> Option<String> {
        match &self.mapping {
            Some(m) => m
                .iter()
                .find(|(_, file)| !file_columns.contains(file))
                .map(|(_, file)| file.clone()),
            None => self
                .preset
                .required
                .iter()
                .find(|r| self.source_of(r, file_columns).is_none())
                .map(|r| r.to_string()),
        }
    }
}
