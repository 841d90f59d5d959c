//! Survey sources: Typeform and Google Forms responses CSVs and a generic long answers CSV, each
//! landed long in Rust: one row per (response, question, chosen answer) with the respondent's id
//! and email as written, the submission time in UTC, the question as the export writes it (a
//! Typeform multiple-selection question, whose text the export does not write, named from
//! `[surveys]`), the answer, its place among the response's answers to the question
//! (`answer_index`) and whether it is one choice of a multiple selection (`multi`). An empty cell
//! is not an answer. A response whose time cannot be read is a reject naming the file, line,
//! column and value; `read` counts responses (rows), as other sources count rows. The SQL maps
//! renamed questions, keeps each respondent's latest answers and matches respondents to contacts
//! by email (`sql/staging/stg_*__answers.sql`, `sql/intermediate/int_survey_answers.sql`).
//!
//! The export shapes, and where they were checked:
//! - Typeform (Results > Responses > Download, CSV): a real export of 2025 and a Laravel
//!   importer's test fixture of 2023 (public GitHub code) have the header `#` (the response
//!   token), the question texts, `Other` after a choice question with an "other" answer, then
//!   `Response Type` (`completed`/`partial`), `Start Date (UTC)`, `Stage Date (UTC)`, `Submit
//!   Date (UTC)` (`2025-02-22 17:16:39`), `Network ID`, `Tags` (and `Ending`); older exports end
//!   `Start Date (UTC),Submit Date (UTC),Network ID`. A multiple-selection question has one
//!   column per choice headed by the choice, the cell holding the choice when picked and empty
//!   otherwise (the 2025 export and a 2018 one). Phone answers start with a guarding `'`
//!   (`'+56954886178`), removed here before `+`, `-`, `=` and `@`. Hidden fields are columns
//!   named as the hidden field (a URL parameter, e.g. `email`, `utm_source`): not verified in a
//!   sample, so a column named like a URL parameter (lower-case letters, digits, `_`) is read as
//!   a hidden field and not landed as an answer, unless `[surveys]` declares it as a question.
//! - Google Forms (Responses > Download responses (.csv)): every field quoted, `"Timestamp"` as
//!   `2020/10/30 3:08:44 PM GMT+1` (a quiz's test fixture in a public repository), then
//!   `"Email Address"` when the form collects it (several public scripts drop
//!   `["Timestamp","Email Address"]` before reading the questions; newer forms write `Email
//!   address`, matched ignoring case), one column per question. Not seen in a sample here, taken
//!   from the issue and read accordingly: checkbox answers joined by `, `, a grid question one
//!   column per row (`Question [Row]`, landed as that text), and the linked sheet exported as
//!   CSV writing the timestamp in the sheet's locale without a zone (`11/2/2026 10:15:03`, read
//!   as UTC; day first when a file has a day over 12 in first place, see [`time`]).
//!
//! Samples were found with the code search over public GitHub repositories (`Submit Date
//! (UTC)`, `Network ID,Tags`, `"Timestamp","Email Address"`, ` GMT+1","`).
//!
//! Which cells are one answer and which several: see [`typeform`] (choice columns) and
//! [`google_forms`] (the checkbox rule). Detection of undeclared question types happens in SQL.

pub mod answers;
pub mod google_forms;
pub mod sheet;
pub mod time;
pub mod typeform;

pub(crate) use sheet::email_column;
#[cfg(test)]
pub(crate) use sheet::test_sheet;
pub use sheet::{read_sheet, Record, Sheet};

use std::path::Path;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use datafusion::arrow::datatypes::SchemaRef;
use tracing::info;

use crate::config::{SourceConfig, SourceKind, SurveysConfig};
use crate::error::{Error, Result};
use crate::landing::{row_arrays, rows_schema, Counts, Lineage, Reject, RowColumn};
use crate::sources::csv::encoding::to_utf8;
use crate::sources::store::archive::{self, csv_inputs};
use crate::sources::{LandContext, CSV_HEAD_BYTES};

/// Schema of every survey source's landed table.
pub fn schema() -> SchemaRef {
    rows_schema(COLUMNS)
}

/// The columns of every survey source's landed table.
const COLUMNS: &[RowColumn<Answer>] = &[
    RowColumn::NullableText("respondent_id", |a| a.respondent_id.as_deref()),
    RowColumn::NullableText("email", |a| a.email.as_deref()),
    RowColumn::NullableTime("submitted_at", |a| a.submitted_at),
    RowColumn::Text("question", |a| &a.question),
    RowColumn::Text("answer", |a| &a.answer),
    RowColumn::Int("answer_index", |a| a.answer_index),
    RowColumn::Bool("multi", |a| a.multi),
];

/// One landed answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    /// The export's id of the response or respondent (Typeform's `#`, the long CSV's
    /// `respondent_id`); none in Google Forms exports.
    pub respondent_id: Option<String>,
    /// The respondent's email as written.
    pub email: Option<String>,
    /// When the response was submitted.
    pub submitted_at: Option<DateTime<Utc>>,
    /// The question as the export writes it.
    pub question: String,
    /// The answer (one choice of a multiple selection).
    pub answer: String,
    /// Place among the response's answers to the question, from 1.
    pub answer_index: i64,
    /// One choice of a multiple-selection question.
    pub multi: bool,
    /// File label (lineage).
    pub file: String,
    /// Line where the response starts (lineage).
    pub line: u64,
}

/// One response (a record of a sheet): who gave it, when, and where it was read.
#[derive(Debug, Clone)]
pub struct Response<'s> {
    /// The export's id of the response or respondent, as written.
    respondent_id: Option<&'s str>,
    /// The respondent's email, as written.
    email: Option<&'s str>,
    /// When the response was submitted.
    submitted_at: Option<DateTime<Utc>>,
    /// File label (lineage).
    file: &'s str,
    /// Line where the response starts (lineage).
    line: u64,
}

impl<'s> Response<'s> {
    /// The response of `rec` in `sheet`, by `respondent_id` and `email`, submitted at
    /// `submitted_at`.
    pub fn new(
        sheet: &'s Sheet,
        rec: &Record,
        respondent_id: Option<&'s str>,
        email: Option<&'s str>,
        submitted_at: Option<DateTime<Utc>>,
    ) -> Response<'s> {
        Response {
            respondent_id,
            email,
            submitted_at,
            file: &sheet.label,
            line: rec.line,
        }
    }

    /// Its answer `answer` to `question`: the `answer_index`-th to the question, one choice of a
    /// multiple selection when `multi`.
    pub fn answer(&self, question: String, answer: &str, answer_index: i64, multi: bool) -> Answer {
        Answer {
            respondent_id: self.respondent_id.map(str::to_string),
            email: self.email.map(str::to_string),
            submitted_at: self.submitted_at,
            question,
            answer: answer.to_string(),
            answer_index,
            multi,
            file: self.file.to_string(),
            line: self.line,
        }
    }
}

/// What reading a source's files gave.
#[derive(Debug, Default)]
pub struct Read {
    /// The answers to land.
    pub answers: Vec<Answer>,
    /// The responses that could not be read.
    pub rejects: Vec<Reject>,
    /// Responses (rows) read, accepted and rejected.
    pub counts: Counts,
}

impl Read {
    /// Count the rows of `sheet` that could not be parsed as read and rejected, and keep them.
    fn reject_unparsed(&mut self, sheet: &Sheet) {
        self.counts.read += sheet.rejects.len() as u64;
        self.counts.rejected += sheet.rejects.len() as u64;
        self.rejects.extend(sheet.rejects.iter().cloned());
    }
}

#[cfg(test)]
impl Answer {
    /// What the readers' tests compare: question, answer, index and `multi`.
    pub(crate) fn summary(&self) -> (&str, &str, i64, bool) {
        (
            self.question.as_str(),
            self.answer.as_str(),
            self.answer_index,
            self.multi,
        )
    }
}

/// Asserts that the first reject of `read` is of line `line` of `export.csv` and names `column`
/// and `value`, quoted.
#[cfg(test)]
pub(crate) fn assert_first_reject(read: &Read, line: u64, column: &str, value: &str) {
    let r = &read.rejects[0];
    assert_eq!((r.file.as_str(), r.line), ("export.csv", line));
    assert!(
        r.reason.contains(&format!("{column:?}")) && r.reason.contains(&format!("{value:?}")),
        "{}",
        r.reason
    );
}

/// The source's `[surveys]`, or an empty one.
fn surveys_of(source: &SourceConfig) -> Arc<SurveysConfig> {
    source.surveys.clone().unwrap_or_default()
}

/// `source` with the pipeline's `[surveys]` when it is a survey source (the run lands it so).
pub fn with_config(source: &SourceConfig, surveys: &SurveysConfig) -> SourceConfig {
    let mut s = source.clone();
    if is_survey(s.kind) {
        s.surveys = Some(Arc::new(surveys.clone()));
    }
    s
}

/// Whether a kind is one of the survey exports.
pub fn is_survey(kind: SourceKind) -> bool {
    matches!(
        kind,
        SourceKind::TypeformResponses
            | SourceKind::GoogleFormsResponses
            | SourceKind::SurveyAnswers
    )
}

/// The columns every file of a kind must have.
fn required(kind: SourceKind) -> &'static [&'static str] {
    match kind {
        SourceKind::TypeformResponses => typeform::REQUIRED,
        SourceKind::GoogleFormsResponses => google_forms::REQUIRED,
        _ => answers::REQUIRED,
    }
}

/// Land a survey source: read every file (a zip as its CSV members), write one Parquet part.
pub fn land(ctx: &LandContext<'_>) -> Result<(Counts, Vec<Reject>)> {
    let source = ctx.source;
    let surveys = surveys_of(source);
    let sheets = csv_inputs(&ctx.files, &ctx.hashes)?
        .into_iter()
        .map(|input| read_sheet(input, source.encoding, required(source.kind)))
        .collect::<Result<Vec<_>>>()?;
    let read = match source.kind {
        SourceKind::TypeformResponses => typeform::read(&sheets, &surveys),
        SourceKind::GoogleFormsResponses => google_forms::read(&sheets, &surveys),
        SourceKind::SurveyAnswers => answers::read(&sheets, &surveys),
        other => {
            return Err(Error::BadInput {
                file: source.path.clone(),
                reason: format!("source `{}` of kind {other} is not a survey", source.name),
            })
        }
    };
    info!(source = %source.name, responses = read.counts.read, answers = read.answers.len(),
        rejected = read.counts.rejected, "Read survey responses.");
    write(&ctx.landed_dir, ctx.loaded_at, &read.answers)?;
    Ok((read.counts, read.rejects))
}

/// Write the answers as the landed table's one Parquet part.
pub fn write(dir: &Path, loaded_at: DateTime<Utc>, answers: &[Answer]) -> Result<()> {
    let mut lineage = Lineage::new(loaded_at);
    for a in answers {
        lineage.push(&a.file, a.line);
    }
    lineage.write(dir, schema(), row_arrays(COLUMNS, answers))
}

/// Check a survey file's header without reading its rows (`personas validate`); a zip's every
/// CSV member. Returns a one-line description.
pub fn check_file(source: &SourceConfig, path: &Path) -> Result<String> {
    use std::io::Read;
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let mut bytes = Vec::new();
    let read = if archive::is_zip(path) {
        file.take(u64::MAX).read_to_end(&mut bytes)
    } else {
        file.take(CSV_HEAD_BYTES).read_to_end(&mut bytes)
    };
    read.map_err(|e| Error::io(path, e))?;
    check_bytes(source, &bytes, path, &path.display().to_string())
}

/// Check a survey file from its first bytes (a zip: the whole archive), as [`check_file`].
pub fn check_bytes(
    source: &SourceConfig,
    bytes: &[u8],
    path: &Path,
    shown: &str,
) -> Result<String> {
    if !archive::is_zip(path) {
        return check_head(source, bytes, shown);
    }
    let members = archive::members(std::io::Cursor::new(bytes), path, Some(CSV_HEAD_BYTES))?;
    let mut described = Vec::with_capacity(members.len());
    for m in &members {
        described.push(format!(
            "{} ({})",
            m.label,
            check_head(source, &m.bytes, &m.shown)?
        ));
    }
    Ok(format!(
        "zip of {} CSVs: {}",
        members.len(),
        described.join(", ")
    ))
}

/// Check a survey file's header from its first bytes.
pub fn check_head(source: &SourceConfig, head: &[u8], shown: &str) -> Result<String> {
    let text = to_utf8(head, source.encoding, shown);
    let (header, _) = sheet::parse_header(&text, shown, required(source.kind))?;
    Ok(format!(
        "{} columns, all required ones present",
        header.len()
    ))
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use datafusion::arrow::array::{Array, AsArray};
    use datafusion::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

    use super::*;

    fn source(kind: &str) -> SourceConfig {
        toml::from_str(&format!("name = \"s\"\nkind = \"{kind}\"\npath = \"x\"\n")).unwrap()
    }

    #[test]
    fn validate_checks_the_header_of_each_kind_and_of_each_csv_in_a_zip() {
        let dir = tempfile::tempdir().unwrap();
        let typeform = dir.path().join("responses.csv");
        std::fs::write(
            &typeform,
            "#,Q,Submit Date (UTC)\nt1,a,2026-11-02 10:15:03\n",
        )
        .unwrap();
        let said = check_file(&source("typeform_responses"), &typeform).unwrap();
        assert_eq!(said, "3 columns, all required ones present");
        match check_file(&source("google_forms_responses"), &typeform).unwrap_err() {
            Error::MissingColumn { column, file, .. } => {
                assert_eq!(column, "Timestamp");
                assert!(file.ends_with("responses.csv"), "{file}");
            }
            other => panic!("expected a missing column, got {other}"),
        }
        let zipped = dir.path().join("answers.zip");
        let mut zip = zip::ZipWriter::new(std::fs::File::create(&zipped).unwrap());
        zip.start_file("answers.csv", zip::write::SimpleFileOptions::default())
            .unwrap();
        zip.write_all(b"Email,Question,Answer\na@x.io,Q,yes\n")
            .unwrap();
        zip.finish().unwrap();
        let said = check_file(&source("survey_answers"), &zipped).unwrap();
        assert!(
            said.starts_with("zip of 1 CSVs: answers.zip!/answers.csv (3 columns"),
            "{said}"
        );
    }

    #[test]
    fn a_source_lands_as_one_parquet_part_with_utc_times_and_lineage() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("forms.csv");
        let text = "\u{feff}\"Timestamp\",\"Email Address\",\"Channels\"\n\
            \"2026/11/02 10:15:03 AM GMT+1\",\" Ann@X.io \",\"LinkedIn, Email\"\n\
            \"2026/11/02 11:15:03 AM GMT+1\",\"bob@x.io\",\"Email\"\n\
            \"2026/11/02 12:15:03 PM GMT+1\",\"cy@x.io\",\"LinkedIn\"\n";
        std::fs::write(&file, text).unwrap();
        let mut s = source("google_forms_responses");
        s = with_config(&s, &SurveysConfig::default());
        assert!(s.surveys.is_some());
        let landed = dir.path().join("landed");
        std::fs::create_dir_all(&landed).unwrap();
        let loaded_at = chrono::DateTime::parse_from_rfc3339("2026-11-20T00:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let ctx = LandContext {
            source: &s,
            files: vec![file],
            landed_dir: landed.clone(),
            loaded_at,
            hashes: Default::default(),
        };
        let (counts, rejects) = land(&ctx).unwrap();
        assert_eq!((counts.read, counts.accepted, rejects.len()), (3, 3, 0));
        let part = std::fs::File::open(landed.join(crate::output::PART)).unwrap();
        let batches: Vec<_> = ParquetRecordBatchReaderBuilder::try_new(part)
            .unwrap()
            .build()
            .unwrap()
            .map(|b| b.unwrap())
            .collect();
        let b = &batches[0];
        assert_eq!(b.schema(), schema());
        assert_eq!(b.num_rows(), 4);
        let answers = b.column_by_name("answer").unwrap().as_string::<i32>();
        let got: Vec<&str> = (0..4).map(|i| answers.value(i)).collect();
        assert_eq!(got, ["LinkedIn", "Email", "Email", "LinkedIn"]);
        let email = b.column_by_name("email").unwrap().as_string::<i32>();
        assert_eq!(email.value(0), "Ann@X.io");
        let line = b.column_by_name("_source_line").unwrap();
        let line = line.as_primitive::<datafusion::arrow::datatypes::Int64Type>();
        assert_eq!((line.value(0), line.value(1), line.value(3)), (2, 2, 4));
        let at = b.column_by_name("submitted_at").unwrap();
        let at = at.as_primitive::<datafusion::arrow::datatypes::TimestampMicrosecondType>();
        assert!(!at.is_null(0));
        assert_eq!(at.value(0), 1_793_610_903_000_000); // 2026-11-02T09:15:03Z
    }
}
