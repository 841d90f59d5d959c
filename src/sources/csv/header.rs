//! The header of a CSV export: read before any row, so a file that lacks a required column fails
//! the run before any work; the whole file turned into UTF-8 first (see
//! [`encoding`](super::encoding)). Also the header check of `personas validate`, from a file's
//! first bytes.

use std::borrow::Cow;

use super::encoding::to_utf8;
use super::CsvSpec;
use crate::error::{Error, Result};
use crate::sources::store::archive::CsvInput;

/// One file's header, read before any row so a missing column fails the run before any work.
pub(super) struct FileHeader {
    /// Name in landed rows and rejects (`contacts.csv`, `archive.zip!/member.csv`).
    pub(super) label: String,
    /// Name in messages and logs.
    pub(super) shown: String,
    /// The whole file as UTF-8 (a byte-order mark is skipped through `data_start`).
    pub(super) text: Vec<u8>,
    pub(super) columns: Vec<String>,
    /// Byte offset in `text` where the data rows start.
    pub(super) data_start: usize,
    /// Line number of the first data line.
    pub(super) data_line: u64,
}

/// Turn a CSV input into UTF-8 and read its header.
pub(super) fn read_header(input: CsvInput, spec: &CsvSpec<'_>) -> Result<FileHeader> {
    let data = input.bytes;
    let label = input.shown;
    // Keep the file's own buffer when it is already UTF-8 (only skip a byte-order mark).
    let converted = match to_utf8(&data, spec.encoding, &label) {
        Cow::Borrowed(rest) => Err(data.len() - rest.len()),
        Cow::Owned(utf8) => Ok(utf8),
    };
    let (text, skip) = match converted {
        Ok(utf8) => (utf8, 0),
        Err(bom) => (data, bom),
    };
    let (columns, header_end, data_line) = parse_header(&text[skip..], spec, &label)?;
    Ok(FileHeader {
        label: input.label,
        shown: label,
        text,
        columns,
        data_start: skip + header_end,
        data_line,
    })
}

/// A CSV reader over `text` in the spec's dialect, every row read as data.
pub(super) fn csv_reader<'t>(text: &'t [u8], spec: &CsvSpec<'_>) -> csv::Reader<&'t [u8]> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(spec.delimiter)
        .quote(spec.quote)
        .from_reader(text)
}

/// Read the next record of `reader`, over a text of `len` bytes, into `rec`: whether there was
/// one (or why it cannot be read), the line it starts on as the reader counts lines, and the
/// byte range of its text.
pub(crate) fn next_record(
    reader: &mut csv::Reader<&[u8]>,
    rec: &mut csv::ByteRecord,
    len: usize,
) -> (csv::Result<bool>, u64, std::ops::Range<usize>) {
    let start = reader.position().clone();
    let read = reader.read_byte_record(rec);
    let end = (reader.position().byte() as usize).min(len);
    let (from, line) = rec
        .position()
        .map_or((start.byte(), start.line()), |p| (p.byte(), p.line()));
    (read, line, (from as usize).min(end)..end)
}

/// The header of an export: its columns, where the data starts (byte, line). Without a header
/// row the columns are `column_1`, `column_2`, ... as many as the first row has, and the data
/// starts at the top. Header names are trimmed (whitespace, a byte-order mark) and matched
/// ignoring case. Fails when the file is empty, lacks a required column or has two columns for
/// one.
fn parse_header(text: &[u8], spec: &CsvSpec<'_>, label: &str) -> Result<(Vec<String>, usize, u64)> {
    if text.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(Error::BadInput {
            file: label.to_string(),
            reason: format!(
                "the file is empty; expected a {}{}",
                spec.preset.name,
                if spec.has_header {
                    " with a header row"
                } else {
                    ""
                }
            ),
        });
    }
    let mut reader = csv_reader(text, spec);
    let mut rec = csv::ByteRecord::new();
    reader
        .read_byte_record(&mut rec)
        .map_err(|e| Error::BadInput {
            file: label.to_string(),
            reason: format!("cannot read the header row: {e}"),
        })?;
    let (columns, header_end, data_line): (Vec<String>, usize, u64) = if spec.has_header {
        let columns = rec
            .iter()
            .map(|f| header_name(&String::from_utf8_lossy(f)))
            .collect();
        let pos = reader.position();
        (columns, pos.byte() as usize, pos.line())
    } else {
        let columns = (1..=rec.len()).map(|i| format!("column_{i}")).collect();
        (columns, 0, 1)
    };
    if let Some(column) = spec.missing_column(&columns) {
        return Err(Error::MissingColumn {
            file: label.to_string(),
            column,
            found: columns.join(", "),
        });
    }
    if let Some((landed, first, second)) = spec.duplicate_column(&columns) {
        return Err(Error::BadInput {
            file: label.to_string(),
            reason: format!(
                "columns `{first}` and `{second}` both hold `{landed}` (header names match \
                 ignoring case, and a label and an internal name are the same column); keep one. \
                 Found columns: {}",
                columns.join(", ")
            ),
        });
    }
    Ok((columns, header_end, data_line))
}

/// A header cell as a column name: without surrounding whitespace or a byte-order mark.
fn header_name(cell: &str) -> String {
    cell.trim_matches(|c: char| c.is_whitespace() || c == '\u{feff}')
        .to_string()
}

/// Check an export's header without reading its rows (`personas validate`): returns its columns.
pub fn check_header(path: &std::path::Path, spec: &CsvSpec<'_>) -> Result<Vec<String>> {
    use std::io::Read;
    let mut head = Vec::with_capacity(64 * 1024);
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    file.take(1 << 20)
        .read_to_end(&mut head)
        .map_err(|e| Error::io(path, e))?;
    check_header_bytes(&head, spec, &path.display().to_string())
}

/// Check an export's header from its first bytes (up to the end of the header row): returns
/// its columns.
pub fn check_header_bytes(head: &[u8], spec: &CsvSpec<'_>, file: &str) -> Result<Vec<String>> {
    let text = to_utf8(head, spec.encoding, file);
    parse_header(&text, spec, file).map(|(columns, _, _)| columns)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sources::csv::HUBSPOT_CONTACTS;

    fn hubspot() -> CsvSpec<'static> {
        CsvSpec::new(&HUBSPOT_CONTACTS)
    }

    #[test]
    fn header_names_are_trimmed_of_spaces_and_a_byte_order_mark() {
        let head = "\u{feff}\" Record ID \",\u{feff}EMAIL , jobtitle\n1,a@b.co,CEO\n";
        let columns = check_header_bytes(head.as_bytes(), &hubspot(), "c.csv").unwrap();
        assert_eq!(columns, ["Record ID", "EMAIL", "jobtitle"]);
    }

    #[test]
    fn a_missing_required_column_names_the_file_and_the_columns_found() {
        let head = b"Record ID,First Name,Job Title\n1,Ann,CEO\n";
        match check_header_bytes(head, &hubspot(), "exports/contacts.csv").unwrap_err() {
            Error::MissingColumn {
                file,
                column,
                found,
            } => {
                assert_eq!(file, "exports/contacts.csv");
                assert_eq!(column, "Email");
                assert_eq!(found, "Record ID, First Name, Job Title");
            }
            other => panic!("expected a missing column, got {other}"),
        }
    }

    #[test]
    fn a_label_and_an_internal_name_for_one_column_fail_naming_both() {
        let head = b"Record ID,Email,Last Name,lastname\n";
        let err = check_header_bytes(head, &hubspot(), "c.csv").unwrap_err();
        let text = err.to_string();
        assert!(matches!(err, Error::BadInput { .. }), "{text}");
        assert!(
            text.contains("c.csv") && text.contains("`Last Name`") && text.contains("`lastname`"),
            "{text}"
        );
    }
}
