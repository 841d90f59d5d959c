//! CSV exports (HubSpot contacts, Mailchimp members, Salesforce contacts, any CRM CSV through a
//! column mapping): header check, per-row typing checks, and landing as string columns named as
//! the tool's header (Salesforce report labels renamed to API names; a mapped `csv` source's
//! columns renamed to the contact fields). Typing itself happens in the staging SQL; here a row
//! that could not be typed there (a date that is not a date, an email that is not an email, a
//! wrong field count, bytes that are not UTF-8) is rejected with its file, line, raw text and
//! reason, so the SQL only ever sees rows it can cast. Sources whose exports write dates in
//! several shapes (Salesforce, `csv`) land them normalised (see [`csv_checks`](super::csv_checks)).
//! A `.zip` input is read as its CSV members (see [`archive`](super::archive)).

use std::borrow::Cow;
use std::sync::Arc;

use datafusion::arrow::array::{
    ArrayRef, Int64Builder, RecordBatch, StringBuilder, TimestampMicrosecondBuilder,
};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use tracing::{info, warn};

pub use super::csv_checks::{check_value, parse_datetime, Check, Typing};
pub use super::csv_spec::CsvSpec;

use super::archive::{csv_inputs, CsvInput};
use super::csv_checks::{check_cell, EXPORT_DATETIME_FORMATS, EXPORT_DATE_FORMATS};
use super::encoding::to_utf8;
use super::LandContext;
use crate::config::TextEncoding;
use crate::error::{Error, Result};
use crate::landing::{lineage_fields, Counts, Reject, BATCH_ROWS};
use crate::output::parquet::ParquetSink;

/// A CSV export format: the columns it must have and the checks on them.
#[derive(Debug)]
pub struct CsvPreset {
    /// Name used in messages.
    pub name: &'static str,
    /// Columns every file must have.
    pub required: &'static [&'static str],
    /// Columns only some files have (Mailchimp's unsubscribe and clean columns); always landed,
    /// empty where a file lacks them, so the SQL can rely on them.
    pub optional: &'static [&'static str],
    /// Typing checks by column.
    pub checks: &'static [(&'static str, Check)],
    /// Extra landed column computed from the file's header (Mailchimp's member status).
    pub status_column: Option<fn(&[String]) -> &'static str>,
    /// Header names landed under another name (a Salesforce report's `Contact ID` is `Id`).
    pub aliases: &'static [(&'static str, &'static str)],
    /// Accepted date formats ([`Check::Date`]), tried in order.
    pub date_formats: &'static [&'static str],
    /// Accepted date-time formats ([`Check::DateTime`]), tried in order.
    pub datetime_formats: &'static [&'static str],
    /// Land checked dates, date-times and ids normalised rather than as written.
    pub normalise: bool,
}

/// HubSpot "all contacts" export.
pub static HUBSPOT_CONTACTS: CsvPreset = CsvPreset {
    name: "HubSpot contacts export",
    required: &[
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
    optional: &[],
    checks: &[
        ("Record ID", Check::RequiredId),
        ("Email", Check::Email),
        ("Create Date", Check::DateTime),
        ("Last Activity Date", Check::DateTime),
        ("Date of birth", Check::Date),
        ("Number of Employees", Check::EmployeeCount),
        ("Total Revenue", Check::Number),
    ],
    status_column: None,
    aliases: &[],
    date_formats: EXPORT_DATE_FORMATS,
    datetime_formats: EXPORT_DATETIME_FORMATS,
    normalise: false,
};

/// Mailchimp audience export (subscribed, unsubscribed and cleaned files).
pub static MAILCHIMP_MEMBERS: CsvPreset = CsvPreset {
    name: "Mailchimp audience export",
    required: &[
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
    ],
    optional: &[
        "UNSUB_TIME",
        "UNSUB_CAMPAIGN_TITLE",
        "UNSUB_CAMPAIGN_ID",
        "UNSUB_REASON",
        "UNSUB_REASON_OTHER",
        "CLEAN_TIME",
        "CLEAN_CAMPAIGN_TITLE",
        "CLEAN_CAMPAIGN_ID",
    ],
    checks: &[
        ("Email Address", Check::Email),
        ("MEMBER_RATING", Check::Number),
        ("OPTIN_TIME", Check::DateTime),
        ("CONFIRM_TIME", Check::DateTime),
        ("LAST_CHANGED", Check::DateTime),
        ("UNSUB_TIME", Check::DateTime),
        ("CLEAN_TIME", Check::DateTime),
    ],
    status_column: Some(mailchimp_status),
    aliases: &[],
    date_formats: EXPORT_DATE_FORMATS,
    datetime_formats: EXPORT_DATETIME_FORMATS,
    normalise: false,
};

/// Name of the landed column holding Mailchimp's member status.
pub const MEMBER_STATUS: &str = "_member_status";

/// A Mailchimp file's member status, from the columns only that file kind has.
fn mailchimp_status(header: &[String]) -> &'static str {
    if header.iter().any(|h| h == "CLEAN_TIME") {
        "cleaned"
    } else if header.iter().any(|h| h == "UNSUB_TIME") {
        "unsubscribed"
    } else {
        "subscribed"
    }
}

/// One file's header, read before any row so a missing column fails the run before any work.
struct FileHeader {
    /// Name in landed rows and rejects (`contacts.csv`, `archive.zip!/member.csv`).
    label: String,
    /// Name in messages and logs.
    shown: String,
    /// The whole file as UTF-8 (a byte-order mark is skipped through `data_start`).
    text: Vec<u8>,
    columns: Vec<String>,
    /// Byte offset in `text` where the data rows start.
    data_start: usize,
    /// Line number of the first data line.
    data_line: u64,
}

fn read_header(input: CsvInput, spec: &CsvSpec<'_>) -> Result<FileHeader> {
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
fn csv_reader<'t>(text: &'t [u8], spec: &CsvSpec<'_>) -> csv::Reader<&'t [u8]> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(spec.delimiter)
        .quote(spec.quote)
        .from_reader(text)
}

/// The header of an export: its columns, where the data starts (byte, line). Without a header
/// row the columns are `column_1`, `column_2`, ... as many as the first row has, and the data
/// starts at the top. Fails when the file is empty or lacks a required column.
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
            .map(|f| String::from_utf8_lossy(f).trim().to_string())
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
    Ok((columns, header_end, data_line))
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

/// Land every file of a CSV source as one Parquet part with the union of their columns.
pub fn land(ctx: &LandContext<'_>, spec: &CsvSpec<'_>) -> Result<(Counts, Vec<Reject>)> {
    let preset = spec.preset;
    let headers = csv_inputs(&ctx.files)?
        .into_iter()
        .map(|input| read_header(input, spec))
        .collect::<Result<Vec<_>>>()?;
    let columns = landed_columns(spec, headers.iter().map(|h| h.columns.as_slice()));
    for h in &headers {
        note_extra_columns(h, spec);
    }
    let schema = landed_schema(preset, &columns);
    let path = ctx.landed_dir.join("part-0.parquet");
    let mut sink = ParquetSink::create(&path, schema.clone())?;
    let mut counts = Counts::default();
    let mut rejects = Vec::new();
    for h in &headers {
        let c = land_file(h, spec, &columns, &schema, ctx, &mut sink, &mut rejects)?;
        info!(file = %h.shown, read = c.read, accepted = c.accepted, rejected = c.rejected, "Read CSV export.");
        counts.add(c);
    }
    sink.finish()?;
    Ok((counts, rejects))
}

/// The landed columns: the preset's required and optional columns, then (without a column
/// mapping) every other column the files have under its alias, in the order first seen (an
/// unknown column is kept, not dropped).
fn landed_columns<'a>(
    spec: &CsvSpec<'_>,
    headers: impl Iterator<Item = &'a [String]>,
) -> Vec<String> {
    let preset = spec.preset;
    let mut columns: Vec<String> = preset
        .required
        .iter()
        .chain(preset.optional)
        .map(|c| c.to_string())
        .collect();
    if spec.mapping.is_some() {
        return columns;
    }
    for header in headers {
        for c in header.iter().map(|c| spec.alias(c)) {
            if !columns.iter().any(|x| x == c) {
                columns.push(c.to_string());
            }
        }
    }
    columns
}

/// Log the columns of a file the preset does not use: kept (a preset export keeps every column)
/// or ignored (a mapped `csv` source lands its mapped columns only).
fn note_extra_columns(h: &FileHeader, spec: &CsvSpec<'_>) {
    let extra = spec.unused_columns(&h.columns);
    if extra.is_empty() {
        return;
    }
    let columns = extra.join(", ");
    if spec.mapping.is_some() {
        info!(file = %h.shown, columns = %columns, "Ignoring columns the mapping does not name.");
    } else {
        info!(file = %h.shown, preset = spec.preset.name, columns = %columns,
            "Keeping columns the preset does not use (landed as text, not read by the SQL).");
    }
}

fn landed_schema(preset: &CsvPreset, columns: &[String]) -> SchemaRef {
    let mut fields: Vec<Field> = columns
        .iter()
        .map(|c| Field::new(c, DataType::Utf8, true))
        .collect();
    if preset.status_column.is_some() {
        fields.push(Field::new(MEMBER_STATUS, DataType::Utf8, false));
    }
    fields.extend(lineage_fields());
    Arc::new(Schema::new(fields))
}

/// Schema of a landed table for a source the pipeline does not configure (empty, same columns).
pub fn empty_schema(preset: &CsvPreset) -> SchemaRef {
    let spec = CsvSpec {
        preset,
        delimiter: b',',
        quote: b'"',
        has_header: true,
        encoding: TextEncoding::Utf8,
        mapping: None,
        typing: Typing::default(),
    };
    landed_schema(preset, &landed_columns(&spec, std::iter::empty()))
}

struct Builders {
    cols: Vec<StringBuilder>,
    status: StringBuilder,
    file: StringBuilder,
    line: Int64Builder,
    loaded: TimestampMicrosecondBuilder,
    rows: usize,
}

impl Builders {
    fn new(n: usize) -> Builders {
        Builders {
            cols: (0..n).map(|_| StringBuilder::new()).collect(),
            status: StringBuilder::new(),
            file: StringBuilder::new(),
            line: Int64Builder::new(),
            loaded: TimestampMicrosecondBuilder::new().with_timezone("UTC"),
            rows: 0,
        }
    }

    fn flush(
        &mut self,
        schema: &SchemaRef,
        with_status: bool,
        sink: &mut ParquetSink,
    ) -> Result<()> {
        if self.rows == 0 {
            return Ok(());
        }
        let mut arrays: Vec<ArrayRef> = self
            .cols
            .iter_mut()
            .map(|b| Arc::new(b.finish()) as ArrayRef)
            .collect();
        if with_status {
            arrays.push(Arc::new(self.status.finish()));
        }
        arrays.push(Arc::new(self.file.finish()));
        arrays.push(Arc::new(self.line.finish()));
        arrays.push(Arc::new(self.loaded.finish()));
        sink.write(&RecordBatch::try_new(schema.clone(), arrays)?)?;
        self.rows = 0;
        Ok(())
    }
}

fn land_file(
    h: &FileHeader,
    spec: &CsvSpec<'_>,
    columns: &[String],
    schema: &SchemaRef,
    ctx: &LandContext<'_>,
    sink: &mut ParquetSink,
    rejects: &mut Vec<Reject>,
) -> Result<Counts> {
    let label = h.label.as_str();
    let preset = spec.preset;
    let status = preset.status_column.map(|f| f(&h.columns));
    // Position of each union column in this file's header.
    let index: Vec<Option<usize>> = columns
        .iter()
        .map(|c| spec.source_of(c, &h.columns).map(|(i, _)| i))
        .collect();
    let checks: Vec<CellCheck> = preset
        .checks
        .iter()
        .filter_map(|(col, chk)| {
            let (at, file_col) = spec.source_of(col, &h.columns)?;
            let name = if file_col == *col {
                format!("{col:?}")
            } else {
                format!("{file_col:?} ({col})")
            };
            let landed = columns.iter().position(|c| c == col);
            Some(CellCheck {
                at,
                landed,
                name,
                check: *chk,
            })
        })
        .collect();
    let mut normalised: Vec<Option<String>> = vec![None; columns.len()];
    let loaded = ctx.loaded_at.timestamp_micros();
    let mut b = Builders::new(columns.len());
    let mut counts = Counts::default();
    let mut rec = csv::ByteRecord::new();
    // Parse from `offset`; after a row whose unbalanced quote swallowed the lines below it, only
    // its first line is rejected and parsing starts again on the next line.
    let (mut offset, mut line_base) = (h.data_start, h.data_line);
    'segments: loop {
        let slice = &h.text[offset.min(h.text.len())..];
        let mut reader = csv_reader(slice, spec);
        loop {
            let start = reader.position().clone();
            let read = reader.read_byte_record(&mut rec);
            let end = (reader.position().byte() as usize).min(slice.len());
            let (rec_start, rec_line) = rec
                .position()
                .map_or((start.byte(), start.line()), |p| (p.byte(), p.line()));
            let line = line_base + rec_line - 1;
            let raw = &slice[(rec_start as usize).min(end)..end];
            match read {
                Ok(false) => break 'segments,
                Ok(true) => {}
                Err(e) => {
                    counts.read += 1;
                    counts.rejected += 1;
                    rejects.push(Reject::new(
                        label,
                        line,
                        raw,
                        format!("unreadable CSV row: {e}"),
                    ));
                    continue;
                }
            }
            if rec.len() == 1 && rec.get(0).is_some_and(|f| f.is_empty()) {
                continue; // blank line: not a row
            }
            counts.read += 1;
            let mut fields: Vec<&str> = Vec::with_capacity(h.columns.len());
            match validate(&rec, h, &checks, &spec.typing, &mut fields, &mut normalised) {
                Ok(()) => {
                    for ((builder, idx), norm) in b.cols.iter_mut().zip(&index).zip(&normalised) {
                        match (norm, idx.map(|i| fields[i])) {
                            (Some(n), _) => builder.append_value(n),
                            (None, Some(v)) if !v.is_empty() => builder.append_value(v),
                            _ => builder.append_null(),
                        }
                    }
                    if let Some(s) = status {
                        b.status.append_value(s);
                    }
                    b.file.append_value(label);
                    b.line.append_value(line as i64);
                    b.loaded.append_value(loaded);
                    b.rows += 1;
                    counts.accepted += 1;
                    if b.rows == BATCH_ROWS {
                        b.flush(schema, status.is_some(), sink)?;
                    }
                }
                Err(reason) => {
                    counts.rejected += 1;
                    let first_line = raw.iter().position(|c| *c == b'\n').map(|i| i + 1);
                    match first_line {
                        Some(len)
                            if len < raw.len()
                                && rec.len() != h.columns.len()
                                && raw.contains(&spec.quote) =>
                        {
                            rejects.push(Reject::new(
                                label,
                                line,
                                &raw[..len],
                                format!("unbalanced quote ({reason}); the lines after it are read again"),
                            ));
                            offset += rec_start as usize + len;
                            line_base = line + 1;
                            continue 'segments;
                        }
                        _ => rejects.push(Reject::new(label, line, raw, reason)),
                    }
                }
            }
        }
    }
    b.flush(schema, status.is_some(), sink)?;
    if counts.read == 0 {
        warn!(file = %h.shown, "Export has a header but no rows.");
    }
    Ok(counts)
}

/// A typing check on one column of one file.
struct CellCheck {
    /// Position of the checked column in the file.
    at: usize,
    /// Position of the landed column it fills, for a normalised value.
    landed: Option<usize>,
    /// The column as reasons name it (the file's name, and the landed one when they differ).
    name: String,
    check: Check,
}

/// Check a row's shape and typed columns; fills `fields` with its cells as text and
/// `normalised` with the text to land instead of a cell, by landed column.
fn validate<'r>(
    rec: &'r csv::ByteRecord,
    h: &FileHeader,
    checks: &[CellCheck],
    typing: &Typing,
    fields: &mut Vec<&'r str>,
    normalised: &mut [Option<String>],
) -> std::result::Result<(), String> {
    fields.clear();
    normalised.iter_mut().for_each(|n| *n = None);
    if rec.len() != h.columns.len() {
        return Err(format!(
            "wrong field count: {} fields, the header has {}",
            rec.len(),
            h.columns.len()
        ));
    }
    for (i, f) in rec.iter().enumerate() {
        let s = std::str::from_utf8(f).map_err(|_| {
            format!(
                "column {:?}: bytes are not UTF-8 (set the source's encoding if the file is Windows-1252)",
                h.columns[i]
            )
        })?;
        fields.push(s);
    }
    for c in checks {
        let norm = check_cell(c.check, fields[c.at], typing)
            .map_err(|why| format!("column {}: {why}", c.name))?;
        if let (Some(n), Some(j)) = (norm, c.landed) {
            normalised[j] = Some(n);
        }
    }
    Ok(())
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
