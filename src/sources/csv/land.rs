//! Landing CSV exports as string columns named as the tool's header (Salesforce report labels
//! renamed to API names; a mapped `csv` source's columns renamed to the contact fields), the union
//! of every file's columns in one Parquet part. Typing itself happens in the staging SQL; here a
//! row that could not be typed there (a date that is not a date, an email that is not an email, a
//! wrong field count, bytes that are not UTF-8) is rejected with its file, line, raw text and
//! reason, so the SQL only ever sees rows it can cast. Sources whose exports write dates in
//! several shapes (Salesforce, `csv`) land them normalised (see [`checks`](super::checks)). A row
//! whose unbalanced quote swallowed the lines below it is rejected alone and the lines after it
//! are read again.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use datafusion::arrow::array::{ArrayRef, RecordBatch, StringBuilder};
use datafusion::arrow::datatypes::{DataType, Field, SchemaRef};
use tracing::{info, warn};

use super::checks::{check_cell, Check, Typing};
use super::header::{csv_reader, next_record, read_header, FileHeader};
use super::presets::{CsvPreset, MEMBER_STATUS};
use super::CsvSpec;
use crate::error::Result;
use crate::landing::{Counts, Lineage, Reject, BATCH_ROWS};
use crate::output::parquet::ParquetSink;
use crate::output::PART;
use crate::sources::store::archive::csv_inputs;
use crate::sources::LandContext;

/// Land every file of a CSV source as one Parquet part with the union of their columns.
pub fn land(ctx: &LandContext<'_>, spec: &CsvSpec<'_>) -> Result<(Counts, Vec<Reject>)> {
    let preset = spec.preset;
    let headers = csv_inputs(&ctx.files, &ctx.hashes)?
        .into_iter()
        .map(|input| read_header(input, spec))
        .collect::<Result<Vec<_>>>()?;
    let columns = landed_columns(spec, headers.iter().map(|h| h.columns.as_slice()));
    for h in &headers {
        note_extra_columns(h, spec);
    }
    let schema = landed_schema(preset, &columns);
    let path = ctx.landed_dir.join(PART);
    let mut sink = ParquetSink::landing(&path, schema.clone())?;
    let mut counts = Counts::default();
    let mut rejects = Vec::new();
    let mut write = |batch: RecordBatch| sink.write(&batch);
    for h in &headers {
        let c = land_file(
            h,
            spec,
            &columns,
            &schema,
            ctx.loaded_at,
            &mut write,
            &mut rejects,
        )?;
        info!(file = %h.shown, read = c.read, accepted = c.accepted, rejected = c.rejected, "Read CSV export.");
        counts.add(c);
    }
    sink.finish()?;
    Ok((counts, rejects))
}

/// Lands one export held in memory as [`land`] lands a file, into Arrow batches instead of a
/// Parquet part: what the fuzz harness (`tooling::fuzz`) feeds random and mutated input to.
#[cfg(test)]
pub(crate) fn land_bytes(
    bytes: &[u8],
    spec: &CsvSpec<'_>,
    loaded_at: DateTime<Utc>,
) -> Result<(Counts, Vec<Reject>, Vec<RecordBatch>)> {
    let input = crate::sources::store::archive::CsvInput {
        label: "fuzz.csv".into(),
        shown: "fuzz.csv".into(),
        bytes: bytes.to_vec(),
    };
    let h = read_header(input, spec)?;
    let columns = landed_columns(spec, std::iter::once(h.columns.as_slice()));
    let schema = landed_schema(spec.preset, &columns);
    let (mut batches, mut rejects) = (Vec::new(), Vec::new());
    let mut write = |batch: RecordBatch| {
        batches.push(batch);
        Ok(())
    };
    let counts = land_file(
        &h,
        spec,
        &columns,
        &schema,
        loaded_at,
        &mut write,
        &mut rejects,
    )?;
    Ok((counts, rejects, batches))
}

/// The landed columns: the preset's required and optional columns (in the preset's order), then
/// with a column mapping the own columns the pipeline's features read, without one every other
/// column the files have under its alias, in the order first seen (an unknown column is kept,
/// not dropped).
fn landed_columns<'a>(
    spec: &CsvSpec<'_>,
    headers: impl Iterator<Item = &'a [String]>,
) -> Vec<String> {
    let preset = spec.preset;
    let mut columns: Vec<String> = preset.columns().iter().map(|c| c.to_string()).collect();
    if spec.mapping.is_some() {
        // The own columns (`[[features.columns]]`) after the preset's, under their names.
        for c in &spec.own {
            if !columns.contains(c) {
                columns.push(c.clone());
            }
        }
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

/// Schema of a landed table: the landed columns as text, Mailchimp's status, the lineage.
fn landed_schema(preset: &CsvPreset, columns: &[String]) -> SchemaRef {
    let mut fields: Vec<Field> = columns
        .iter()
        .map(|c| Field::new(c, DataType::Utf8, true))
        .collect();
    if preset.status_column.is_some() {
        fields.push(Field::new(MEMBER_STATUS, DataType::Utf8, false));
    }
    crate::landing::landed_schema(fields)
}

/// Schema of a landed table for a source the pipeline does not configure (empty, same columns).
pub fn empty_schema(preset: &CsvPreset) -> SchemaRef {
    landed_schema(
        preset,
        &landed_columns(&CsvSpec::new(preset), std::iter::empty()),
    )
}

/// How one file's cells fill the landed columns.
struct FilePlan {
    /// Position in the file of each landed column's cell.
    index: Vec<Option<usize>>,
    /// The typing checks on the file's columns.
    checks: Vec<CellCheck>,
    /// Mailchimp's member status of the file's rows.
    status: Option<&'static str>,
}

impl FilePlan {
    fn new(h: &FileHeader, spec: &CsvSpec<'_>, columns: &[String]) -> FilePlan {
        let index = columns
            .iter()
            .map(|c| spec.source_of(c, &h.columns).map(|(i, _)| i))
            .collect();
        let checks = spec
            .preset
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
        FilePlan {
            index,
            checks,
            status: spec.preset.status_column.map(|f| f(&h.columns)),
        }
    }
}

/// The landed columns of one batch of accepted rows.
struct Builders {
    cols: Vec<StringBuilder>,
    status: StringBuilder,
    lineage: Lineage,
    rows: usize,
}

impl Builders {
    fn new(n: usize, loaded_at: DateTime<Utc>) -> Builders {
        Builders {
            cols: (0..n).map(|_| StringBuilder::new()).collect(),
            status: StringBuilder::new(),
            lineage: Lineage::new(loaded_at),
            rows: 0,
        }
    }

    /// Append an accepted row: each landed column's normalised text, else its cell (an empty
    /// cell or a column the file lacks is null).
    fn push(
        &mut self,
        plan: &FilePlan,
        fields: &[&str],
        normalised: &[Option<String>],
        file: &str,
        line: u64,
    ) {
        for ((builder, idx), norm) in self.cols.iter_mut().zip(&plan.index).zip(normalised) {
            match (norm, idx.map(|i| fields[i])) {
                (Some(n), _) => builder.append_value(n),
                (None, Some(v)) if !v.is_empty() => builder.append_value(v),
                _ => builder.append_null(),
            }
        }
        if let Some(s) = plan.status {
            self.status.append_value(s);
        }
        self.lineage.push(file, line);
        self.rows += 1;
    }

    fn flush(
        &mut self,
        schema: &SchemaRef,
        with_status: bool,
        write: &mut dyn FnMut(RecordBatch) -> Result<()>,
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
        arrays.extend(self.lineage.finish());
        write(RecordBatch::try_new(schema.clone(), arrays)?)?;
        self.rows = 0;
        Ok(())
    }
}

/// Land the rows of one file, batch by batch through `write`; its rejects go to `rejects`.
fn land_file(
    h: &FileHeader,
    spec: &CsvSpec<'_>,
    columns: &[String],
    schema: &SchemaRef,
    loaded_at: DateTime<Utc>,
    write: &mut dyn FnMut(RecordBatch) -> Result<()>,
    rejects: &mut Vec<Reject>,
) -> Result<Counts> {
    let label = h.label.as_str();
    let plan = FilePlan::new(h, spec, columns);
    let mut normalised: Vec<Option<String>> = vec![None; columns.len()];
    let mut b = Builders::new(columns.len(), loaded_at);
    let mut counts = Counts::default();
    let mut rec = csv::ByteRecord::new();
    // Parse from `offset`; after a row whose unbalanced quote swallowed the lines below it, only
    // its first line is rejected and parsing starts again on the next line.
    let (mut offset, mut line_base) = (h.data_start, h.data_line);
    'segments: loop {
        let slice = &h.text[offset.min(h.text.len())..];
        let mut reader = csv_reader(slice, spec);
        loop {
            let (read, rec_line, span) = next_record(&mut reader, &mut rec, slice.len());
            let line = line_base + rec_line - 1;
            let raw = &slice[span.clone()];
            match read {
                Ok(false) => break 'segments,
                Ok(true) => {}
                Err(e) => {
                    counts.read += 1;
                    counts.rejected += 1;
                    let reason = format!("unreadable CSV row: {e}");
                    rejects.push(Reject::new(label, line, raw, reason));
                    continue;
                }
            }
            if rec.len() == 1 && rec.get(0).is_some_and(|f| f.is_empty()) {
                continue; // blank line: not a row
            }
            let mut fields: Vec<&str> = Vec::with_capacity(h.columns.len());
            let checked = validate(
                &rec,
                h,
                &plan.checks,
                &spec.typing,
                &mut fields,
                &mut normalised,
            );
            match counts.tally(checked) {
                Ok(()) => {
                    b.push(&plan, &fields, &normalised, label, line);
                    if b.rows == BATCH_ROWS {
                        b.flush(schema, plan.status.is_some(), write)?;
                    }
                }
                Err(reason) => {
                    if let Some(len) = swallowed_lines(raw, &rec, h, spec) {
                        let reason = format!(
                            "unbalanced quote ({reason}); the lines after it are read again"
                        );
                        rejects.push(Reject::new(label, line, &raw[..len], reason));
                        offset += span.start + len;
                        line_base = line + 1;
                        continue 'segments;
                    }
                    rejects.push(Reject::new(label, line, raw, reason));
                }
            }
        }
    }
    b.flush(schema, plan.status.is_some(), write)?;
    if counts.read == 0 {
        warn!(file = %h.shown, "Export has a header but no rows.");
    }
    Ok(counts)
}

/// The length of a rejected row's first line when the row spans more lines because of an
/// unbalanced quote (it has a quote and the wrong field count): only that line is rejected.
fn swallowed_lines(
    raw: &[u8],
    rec: &csv::ByteRecord,
    h: &FileHeader,
    spec: &CsvSpec<'_>,
) -> Option<usize> {
    let len = raw.iter().position(|c| *c == b'\n')? + 1;
    (len < raw.len() && rec.len() != h.columns.len() && raw.contains(&spec.quote)).then_some(len)
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
