//! Sources: find a source's files and read them, in the formats the tools really export, into
//! landed Parquet plus rejects. One folder per kind of export: [`csv`] (HubSpot, Mailchimp,
//! Salesforce contacts, leads, accounts and contact roles, mapped CRM CSVs, Shopify orders and
//! mapped orders CSVs), [`ga4`] (GA4 BigQuery events as NDJSON or Parquet, and GA4 UI reports)
//! and [`social`] (Meta page insights, LinkedIn follower statistics). [`store`] fetches remote
//! inputs (object stores, HTTP), peeks at them for [`validate`] and reads zips of CSVs. Here:
//! where a source's files are, and which reader lands or checks them.

pub mod csv;
pub mod ga4;
pub mod social;
pub mod store;
pub mod survey;
pub mod validate;

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use datafusion::arrow::datatypes::SchemaRef;

use self::csv::orders::{self as order_csv, CSV_ORDERS, SHOPIFY_ORDERS};
use self::csv::salesforce::{
    SALESFORCE_ACCOUNTS, SALESFORCE_CONTACTS, SALESFORCE_LEADS,
    SALESFORCE_OPPORTUNITY_CONTACT_ROLES,
};
use self::csv::{mapping, CsvSpec, HUBSPOT_CONTACTS, MAILCHIMP_MEMBERS};
use self::ga4::{parquet as ga4_parquet, report as ga4_report};
use self::social::{linkedin, meta};
use self::store::archive;
use crate::config::{Pipeline, SourceConfig, SourceKind};
use crate::error::{Error, Result};
use crate::landing::{row_arrays, rows_schema, Counts, Lineage, Reject, RowColumn};
use crate::output::checksums::ReadHashes;

/// What landing one source produced.
#[derive(Debug, Clone)]
pub struct SourceReport {
    /// Source name from the config.
    pub name: String,
    /// Export kind.
    pub kind: SourceKind,
    /// Files read.
    pub files: Vec<PathBuf>,
    /// Row counts.
    pub counts: Counts,
    /// The rows that were rejected.
    pub rejects: Vec<Reject>,
    /// Folder of landed Parquet files.
    pub landed_dir: PathBuf,
}

/// Everything a reader needs to land one source.
#[derive(Debug, Clone)]
pub struct LandContext<'a> {
    /// The source's config.
    pub source: &'a SourceConfig,
    /// Files to read, sorted.
    pub files: Vec<PathBuf>,
    /// Folder to write Parquet parts into.
    pub landed_dir: PathBuf,
    /// Load time stamped on every row.
    pub loaded_at: DateTime<Utc>,
    /// Where the readers record the checksum of each file they read whole (see
    /// [`ReadHashes`]): the run's manifest then needs no second read of it.
    pub hashes: ReadHashes,
}

/// The local files to read for a source: remote ones (`s3://`, `gs://`, `az://`, `http(s)://`)
/// are downloaded into `scratch/<source name>/` first; local ones are found in place.
pub async fn inputs(
    pipeline: &Pipeline,
    source: &SourceConfig,
    scratch: &Path,
) -> Result<Vec<PathBuf>> {
    if store::is_remote(&source.path) {
        let dest = scratch.join(&source.name);
        let fetched = store::fetch(&source.name, &source.path, &source.store, &dest).await?;
        return Ok(fetched.into_iter().map(|f| f.local).collect());
    }
    resolve_files(pipeline, source)
}

/// The local files a source's `path` (a file, a folder, a glob or a `file://` URL, relative to
/// the config) names, sorted.
pub fn resolve_files(pipeline: &Pipeline, source: &SourceConfig) -> Result<Vec<PathBuf>> {
    let local = store::file_url_path(&source.path).unwrap_or_else(|| PathBuf::from(&source.path));
    let full = pipeline.resolve(&local);
    let pattern = full.to_string_lossy().to_string();
    let no_input = || Error::NoInput {
        source_name: source.name.clone(),
        pattern: pattern.clone(),
    };
    let mut files: Vec<PathBuf> = if pattern.contains(['*', '?', '[']) {
        let paths = glob::glob(&pattern).map_err(|e| Error::Config {
            path: pipeline.path.clone(),
            message: format!("source `{}`: bad glob {pattern}: {e}", source.name),
        })?;
        let mut files = Vec::new();
        for entry in paths {
            // An entry the glob cannot read is an error, not a file silently left out.
            let path = entry.map_err(|e| {
                let at = e.path().to_path_buf();
                Error::io(at, e.into())
            })?;
            if path.is_file() && !hidden(&path) {
                files.push(path);
            }
        }
        files
    } else if full.is_dir() {
        let entries = std::fs::read_dir(&full).map_err(|e| Error::io(&full, e))?;
        let mut files = Vec::new();
        for entry in entries {
            let path = entry.map_err(|e| Error::io(&full, e))?.path();
            // Hidden files (`.DS_Store`, editors' swap files) are not exports.
            if path.is_file() && !hidden(&path) {
                files.push(path);
            }
        }
        files
    } else if full.is_file() {
        vec![full.clone()]
    } else {
        return Err(no_input());
    };
    files.sort();
    if files.is_empty() {
        return Err(no_input());
    }
    Ok(files)
}

/// Which reader lands and checks a kind of source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Reader {
    /// GA4 BigQuery events, as NDJSON or Parquet.
    Ga4Events,
    /// GA4 UI reports.
    Ga4Report,
    /// Meta page insights.
    MetaPageInsights,
    /// LinkedIn follower statistics.
    LinkedinFollowerStatistics,
    /// Typeform, Google Forms and long answers CSVs.
    Survey,
    /// CSV exports read through a [`CsvSpec`] (see [`csv_spec`]).
    Csv,
}

/// The reader of a kind of source.
pub(crate) fn reader(kind: SourceKind) -> Reader {
    match kind {
        SourceKind::Ga4Events => Reader::Ga4Events,
        SourceKind::Ga4Report => Reader::Ga4Report,
        SourceKind::MetaPageInsights => Reader::MetaPageInsights,
        SourceKind::LinkedinFollowerStatistics => Reader::LinkedinFollowerStatistics,
        SourceKind::TypeformResponses
        | SourceKind::GoogleFormsResponses
        | SourceKind::SurveyAnswers => Reader::Survey,
        SourceKind::HubspotContacts
        | SourceKind::MailchimpMembers
        | SourceKind::SalesforceContacts
        | SourceKind::SalesforceLeads
        | SourceKind::SalesforceAccounts
        | SourceKind::SalesforceOpportunityContactRoles
        | SourceKind::Csv
        | SourceKind::ShopifyOrders
        | SourceKind::OrdersCsv => Reader::Csv,
    }
}

/// Land one source: read every file, write Parquet parts under `landed_dir`, collect rejects.
pub fn land(ctx: &LandContext<'_>) -> Result<SourceReport> {
    unique_labels(&ctx.files)?;
    std::fs::create_dir_all(&ctx.landed_dir).map_err(|e| Error::io(&ctx.landed_dir, e))?;
    let (counts, rejects) = match reader(ctx.source.kind) {
        Reader::Ga4Events => ga4::land(ctx)?,
        Reader::Ga4Report => ga4_report::land(ctx)?,
        Reader::MetaPageInsights => meta::land(ctx)?,
        Reader::LinkedinFollowerStatistics => linkedin::land(ctx)?,
        Reader::Survey => survey::land(ctx)?,
        Reader::Csv => csv::land(ctx, &csv_spec(ctx.source)?)?,
    };
    debug_assert_eq!(counts.read, counts.accepted + counts.rejected);
    Ok(SourceReport {
        name: ctx.source.name.clone(),
        kind: ctx.source.kind,
        files: ctx.files.clone(),
        counts,
        rejects,
        landed_dir: ctx.landed_dir.clone(),
    })
}

/// Check that a local input file looks like its source kind without reading it all (the
/// header of a CSV export or of each CSV in a zip, the first event of a GA4 export or the footer
/// and first row of a Parquet extract, the comments and header of a GA4 report, a whole
/// insights or follower statistics document); returns a one-line description.
pub fn check_file(source: &SourceConfig, path: &Path) -> Result<String> {
    let shown = path.display().to_string();
    match reader(source.kind) {
        Reader::Ga4Events if ga4_parquet::is_parquet(path) => ga4_parquet::check(path),
        Reader::Ga4Events => ga4::events::check_first_event(path),
        Reader::Ga4Report => {
            let head = read_head(path, REPORT_HEAD_BYTES)?;
            ga4_report::check_head(&head, source.encoding, &shown)
        }
        Reader::MetaPageInsights => meta::check(path),
        Reader::LinkedinFollowerStatistics => {
            let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
            linkedin::check_bytes(&bytes, &shown)
        }
        Reader::Survey => survey::check_file(source, path),
        Reader::Csv => {
            if archive::is_zip(path) {
                let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
                return check_zip(source, file, path);
            }
            let columns = csv::check_header(path, &csv_spec(source)?)?;
            Ok(format!(
                "{} columns, all required ones present",
                columns.len()
            ))
        }
    }
}

/// Bytes of a GA4 report read to check its comments and header.
pub const REPORT_HEAD_BYTES: u64 = 256 * 1024;

/// Bytes of each CSV read to check its header.
pub const CSV_HEAD_BYTES: u64 = 1 << 20;

/// The first `n` bytes of a local file.
fn read_head(path: &Path, n: u64) -> Result<Vec<u8>> {
    use std::io::Read;
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let mut head = Vec::new();
    file.take(n)
        .read_to_end(&mut head)
        .map_err(|e| Error::io(path, e))?;
    Ok(head)
}

/// Check the header of every CSV in a zip archive of a CSV source (`personas validate`).
pub fn check_zip<R: std::io::Read + std::io::Seek>(
    source: &SourceConfig,
    reader: R,
    path: &Path,
) -> Result<String> {
    let spec = csv_spec(source)?;
    let members = archive::members(reader, path, Some(CSV_HEAD_BYTES))?;
    let mut described = Vec::with_capacity(members.len());
    for m in &members {
        let columns = csv::check_header_bytes(&m.bytes, &spec, &m.shown)?;
        described.push(format!("{} ({} columns)", m.label, columns.len()));
    }
    Ok(format!(
        "zip of {} CSVs, all required columns present: {}",
        members.len(),
        described.join(", ")
    ))
}

/// How a CSV source's files are read; `BadInput` for a kind that is not a CSV export.
pub fn csv_spec(source: &SourceConfig) -> Result<CsvSpec<'static>> {
    let preset = match source.kind {
        SourceKind::HubspotContacts => &HUBSPOT_CONTACTS,
        SourceKind::MailchimpMembers => &MAILCHIMP_MEMBERS,
        SourceKind::SalesforceContacts => &SALESFORCE_CONTACTS,
        SourceKind::SalesforceLeads => &SALESFORCE_LEADS,
        SourceKind::SalesforceAccounts => &SALESFORCE_ACCOUNTS,
        SourceKind::SalesforceOpportunityContactRoles => &SALESFORCE_OPPORTUNITY_CONTACT_ROLES,
        SourceKind::Csv => return mapping::spec(source),
        SourceKind::ShopifyOrders => &SHOPIFY_ORDERS,
        SourceKind::OrdersCsv => return order_csv::spec(source),
        SourceKind::Ga4Events
        | SourceKind::Ga4Report
        | SourceKind::MetaPageInsights
        | SourceKind::LinkedinFollowerStatistics
        | SourceKind::TypeformResponses
        | SourceKind::GoogleFormsResponses
        | SourceKind::SurveyAnswers => {
            return Err(Error::BadInput {
                file: source.path.clone(),
                reason: format!("source `{}` is not a CSV export", source.name),
            })
        }
    };
    Ok(CsvSpec::preset(preset, source))
}

/// Schema of a kind's raw table when the pipeline does not read that kind (no rows, the same
/// columns a landed file would have), so the SQL runs unchanged.
pub fn empty_raw_schema(kind: SourceKind) -> SchemaRef {
    match kind {
        SourceKind::HubspotContacts => csv::empty_schema(&HUBSPOT_CONTACTS),
        SourceKind::MailchimpMembers => csv::empty_schema(&MAILCHIMP_MEMBERS),
        SourceKind::SalesforceContacts => csv::empty_schema(&SALESFORCE_CONTACTS),
        SourceKind::SalesforceLeads => csv::empty_schema(&SALESFORCE_LEADS),
        SourceKind::SalesforceAccounts => csv::empty_schema(&SALESFORCE_ACCOUNTS),
        SourceKind::SalesforceOpportunityContactRoles => {
            csv::empty_schema(&SALESFORCE_OPPORTUNITY_CONTACT_ROLES)
        }
        SourceKind::Csv => csv::empty_schema(&mapping::CSV_CONTACTS),
        SourceKind::Ga4Events => ga4::schema(),
        SourceKind::Ga4Report => ga4_report::schema(),
        SourceKind::MetaPageInsights => meta::schema(),
        SourceKind::LinkedinFollowerStatistics => linkedin::schema(),
        SourceKind::TypeformResponses
        | SourceKind::GoogleFormsResponses
        | SourceKind::SurveyAnswers => survey::schema(),
        SourceKind::ShopifyOrders => csv::empty_schema(&SHOPIFY_ORDERS),
        SourceKind::OrdersCsv => csv::empty_schema(&CSV_ORDERS),
    }
}

/// Land a source whose files are read whole (GA4 reports, Meta insights, LinkedIn follower
/// statistics) as one Parquet part: `read` gives each file's rows (labelled with the file's
/// [`file_label`]), rejects and counts, `columns` are the source's own columns of every file's
/// rows, and each row's lineage is its file and `line`.
pub(crate) fn land_documents<R>(
    ctx: &LandContext<'_>,
    columns: &[RowColumn<R>],
    mut read: impl FnMut(&Path, &str) -> Result<(Vec<R>, Vec<Reject>, Counts)>,
    line: impl Fn(&R) -> u64,
) -> Result<(Counts, Vec<Reject>)> {
    let (mut counts, mut rejects, mut rows) = (Counts::default(), Vec::new(), Vec::new());
    let mut lineage = Lineage::new(ctx.loaded_at);
    for path in &ctx.files {
        let label = file_label(path);
        let (file_rows, mut file_rejects, file_counts) = read(path, &label)?;
        counts.add(file_counts);
        rejects.append(&mut file_rejects);
        for r in &file_rows {
            lineage.push(&label, line(r));
        }
        rows.extend(file_rows);
    }
    let arrays = row_arrays(columns, &rows);
    lineage.write(&ctx.landed_dir, rows_schema(columns), arrays)?;
    Ok((counts, rejects))
}

/// Whether a file is hidden (its name starts with `.`).
fn hidden(path: &Path) -> bool {
    path.file_name()
        .is_some_and(|n| n.to_string_lossy().starts_with('.'))
}

/// Landed rows are traced by their file's name and line (`_source_file`, `_source_line`), and
/// joined back by them: two files of one source with the same name (`2026-10/contacts.csv`,
/// `2026-11/contacts.csv` under one glob) would mix their rows up, so they stop the run.
fn unique_labels(files: &[PathBuf]) -> Result<()> {
    let mut seen = std::collections::HashMap::new();
    for f in files {
        if let Some(first) = seen.insert(file_label(f), f) {
            return Err(Error::BadInput {
                file: f.display().to_string(),
                reason: format!(
                    "has the same file name as {}: rows are traced by file name and line, so one \
                     source cannot read two files of one name; rename one, or split them into two \
                     sources",
                    first.display()
                ),
            });
        }
    }
    Ok(())
}

/// Short file name for rows and messages.
pub fn file_label(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}
