//! One CSV file of a survey source, parsed: its header (trimmed of spaces and a byte-order mark,
//! checked for the kind's required columns) and its rows as text with the line each starts on;
//! a row with the wrong field count or bytes that are not UTF-8 is a reject naming its line. The
//! csv reader positions a row before the blank lines it skipped: the line is counted after them.

use crate::config::TextEncoding;
use crate::error::{Error, Result};
use crate::landing::Reject;
use crate::sources::csv::encoding::to_utf8;
use crate::sources::csv::header::next_record;
use crate::sources::store::archive::CsvInput;

/// One CSV file of a survey source, parsed: its header and its rows.
#[derive(Debug)]
pub struct Sheet {
    /// Name in landed rows and rejects.
    pub label: String,
    /// Name in messages.
    pub shown: String,
    /// Column names, trimmed.
    pub header: Vec<String>,
    /// The rows that parsed with the header's field count.
    pub records: Vec<Record>,
    /// The rows that did not (wrong field count, bytes not UTF-8).
    pub rejects: Vec<Reject>,
}

/// One row of a sheet.
#[derive(Debug, Clone)]
pub struct Record {
    /// Line where the row starts (1-based).
    pub line: u64,
    /// The row's text, for a reject.
    pub raw: String,
    /// Its cells, as written.
    pub cells: Vec<String>,
}

impl Record {
    /// The cell of column `i`, trimmed; none when there is no such column or the cell is empty.
    pub fn cell(&self, i: Option<usize>) -> Option<&str> {
        i.map(|i| self.cells[i].trim()).filter(|v| !v.is_empty())
    }
}

impl Sheet {
    /// Position of the first column named one of `names` (ignoring case).
    pub fn column(&self, names: &[&str]) -> Option<usize> {
        names
            .iter()
            .find_map(|n| self.header.iter().position(|h| h.eq_ignore_ascii_case(n)))
    }

    /// The non-empty cells of column `i`.
    pub fn values(&self, i: usize) -> impl Iterator<Item = &str> {
        self.records
            .iter()
            .map(move |r| r.cells[i].trim())
            .filter(|v| !v.is_empty())
    }

    /// A reject of `record` for `reason`.
    pub fn reject(&self, record: &Record, reason: String) -> Reject {
        Reject::new(&self.label, record.line, record.raw.as_bytes(), reason)
    }
}

/// A header cell as a column name: without surrounding whitespace or a byte-order mark.
fn header_name(cell: &str) -> String {
    cell.trim_matches(|c: char| c.is_whitespace() || c == '\u{feff}')
        .to_string()
}

/// The header of `text` (UTF-8), checked for the `required` columns: the column names and the
/// reader positioned after the header.
pub(crate) fn parse_header<'t>(
    text: &'t [u8],
    shown: &str,
    required: &[&str],
) -> Result<(Vec<String>, csv::Reader<&'t [u8]>)> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text);
    let mut rec = csv::ByteRecord::new();
    let got = reader
        .read_byte_record(&mut rec)
        .map_err(|e| Error::BadInput {
            file: shown.to_string(),
            reason: format!("cannot read the header row: {e}"),
        })?;
    let header: Vec<String> = rec
        .iter()
        .map(|f| header_name(&String::from_utf8_lossy(f)))
        .collect();
    if !got || header.iter().all(String::is_empty) {
        return Err(Error::BadInput {
            file: shown.to_string(),
            reason: "the file is empty; expected a header row of survey columns".into(),
        });
    }
    if let Some(missing) = required
        .iter()
        .find(|r| !header.iter().any(|h| h.eq_ignore_ascii_case(r)))
    {
        return Err(Error::MissingColumn {
            file: shown.to_string(),
            column: missing.to_string(),
            found: header.join(", "),
        });
    }
    Ok((header, reader))
}

/// Parse one CSV of a survey source: its header (with the `required` columns) and its rows; a
/// row with the wrong field count or bytes that are not UTF-8 is a reject naming its line.
pub fn read_sheet(input: CsvInput, encoding: TextEncoding, required: &[&str]) -> Result<Sheet> {
    let text = to_utf8(&input.bytes, encoding, &input.shown);
    let (header, mut reader) = parse_header(&text, &input.shown, required)?;
    let (mut records, mut rejects) = (Vec::new(), Vec::new());
    let mut rec = csv::ByteRecord::new();
    loop {
        let (read, line, span) = next_record(&mut reader, &mut rec, text.len());
        // The reader's position is before the blank lines it skipped: step over them.
        let raw = &text[span];
        let lead = raw
            .iter()
            .take_while(|b| matches!(b, b'\n' | b'\r'))
            .count();
        let line = line + raw[..lead].iter().filter(|b| **b == b'\n').count() as u64;
        let raw = &raw[lead..];
        match read {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                let reason = format!("unreadable CSV row: {e}");
                rejects.push(Reject::new(&input.label, line, raw, reason));
                continue;
            }
        }
        if rec.len() == 1 && rec.get(0).is_some_and(|f| f.is_empty()) {
            continue; // a blank line is not a response
        }
        match cells(&rec, &header) {
            Ok(cells) => records.push(Record {
                line,
                raw: String::from_utf8_lossy(raw).trim_end().to_string(),
                cells,
            }),
            Err(reason) => rejects.push(Reject::new(&input.label, line, raw, reason)),
        }
    }
    Ok(Sheet {
        label: input.label,
        shown: input.shown,
        header,
        records,
        rejects,
    })
}

/// A row's cells as text, or why it cannot be read.
fn cells(rec: &csv::ByteRecord, header: &[String]) -> std::result::Result<Vec<String>, String> {
    if rec.len() != header.len() {
        return Err(format!(
            "wrong field count: {} fields, the header has {}",
            rec.len(),
            header.len()
        ));
    }
    rec.iter()
        .enumerate()
        .map(|(i, f)| {
            String::from_utf8(f.to_vec()).map_err(|_| {
                format!(
                    "column {:?}: bytes are not UTF-8 (set the source's encoding if the file is \
                     Windows-1252)",
                    header[i]
                )
            })
        })
        .collect()
}

/// Whether a cell is an email address.
fn is_email(v: &str) -> bool {
    crate::sources::csv::checks::is_email(v.trim())
}

/// The column holding the respondent's email: the first named one of `names`, else the first
/// of `candidates` whose every answer (at least one) is an email address (an email question).
pub(crate) fn email_column(sheet: &Sheet, names: &[&str], candidates: &[usize]) -> Option<usize> {
    sheet.column(names).or_else(|| {
        candidates.iter().copied().find(|&i| {
            let mut values = sheet.values(i).peekable();
            values.peek().is_some() && values.all(is_email)
        })
    })
}

/// A sheet of `text` named `export.csv`, for the readers' tests.
#[cfg(test)]
pub(crate) fn test_sheet(text: &str, required: &[&str]) -> Sheet {
    let input = CsvInput {
        label: "export.csv".into(),
        shown: "data/export.csv".into(),
        bytes: text.as_bytes().to_vec(),
    };
    read_sheet(input, TextEncoding::Utf8, required).unwrap()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(text: &[u8]) -> CsvInput {
        CsvInput {
            label: "r.csv".into(),
            shown: "data/r.csv".into(),
            bytes: text.to_vec(),
        }
    }

    #[test]
    fn a_sheet_skips_a_byte_order_mark_and_blank_lines_and_rejects_bad_rows() {
        let text = "\u{feff}\"Timestamp\",\"Q\"\n\"2026/11/02 10:15:03 AM GMT+1\",\"a\"\r\n\r\n\"x\"\n\n\"t\",\"q\"\n";
        let sheet = read_sheet(input(text.as_bytes()), TextEncoding::Utf8, &["Timestamp"]).unwrap();
        assert_eq!(sheet.header, ["Timestamp", "Q"]);
        let lines: Vec<u64> = sheet.records.iter().map(|r| r.line).collect();
        assert_eq!(lines, [2, 6]);
        assert_eq!(sheet.records[1].raw, "\"t\",\"q\"");
        assert_eq!(sheet.rejects.len(), 1);
        assert_eq!(sheet.rejects[0].line, 4);
        assert_eq!(sheet.rejects[0].raw, "\"x\"");
        assert!(sheet.rejects[0].reason.contains("wrong field count"));
    }

    #[test]
    fn a_missing_required_column_names_the_file() {
        let err = read_sheet(
            input(b"#,Q\n1,a\n"),
            TextEncoding::Utf8,
            super::super::typeform::REQUIRED,
        )
        .unwrap_err();
        match err {
            Error::MissingColumn { file, column, .. } => {
                assert_eq!(file, "data/r.csv");
                assert_eq!(column, "Submit Date (UTC)");
            }
            other => panic!("expected a missing column, got {other}"),
        }
        let empty = read_sheet(input(b"\n"), TextEncoding::Utf8, &[]).unwrap_err();
        assert!(empty.to_string().contains("empty"), "{empty}");
    }
}
