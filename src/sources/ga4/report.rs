//! GA4 reports exported from the GA4 UI as CSV ("Share this report > Download file > CSV"): `#`
//! comment lines (a title, `# Start date: 20260501`, `# End date: 20260531`), a blank line,
//! then a table whose first column is the dimension (`Session primary channel group (Default
//! Channel Group)`, `Device category`, `Country`, `Age`, `Gender`, ...) and whose other columns
//! are metrics (`Sessions`, `Active users`, `Key events`, ...). A blank line may end the table
//! and start another (a time series under its own header). Aggregated, like the social audience:
//! landed long in `raw_ga4__report`, one row per (table row, metric) with the dimension, level,
//! date range and the line it came from. A totals row (empty dimension cell or `Total`) is landed
//! flagged `is_total`. Counts are per table row: a row whose metric cell is not a number, or whose
//! field count differs from its header's, is rejected whole, with its line and text.

use chrono::NaiveDate;
use datafusion::arrow::datatypes::SchemaRef;
use tracing::{info, warn};

use crate::config::TextEncoding;
use crate::error::{Error, Result};
use crate::landing::{rows_schema, Counts, Reject, RowColumn};
use crate::sources::csv::encoding::to_utf8;
use crate::sources::{land_documents, LandContext};

/// Schema of the landed report rows.
pub fn schema() -> SchemaRef {
    rows_schema(COLUMNS)
}

/// The landed report rows' columns.
const COLUMNS: &[RowColumn<Row>] = &[
    RowColumn::NullableText("report", |r| r.report.as_deref()),
    RowColumn::Int("table_index", |r| r.table),
    RowColumn::Text("dimension", |r| &r.dimension),
    RowColumn::NullableText("level", |r| r.level.as_deref()),
    RowColumn::Bool("is_total", |r| r.is_total),
    RowColumn::Text("metric", |r| &r.metric),
    RowColumn::NullableFloat("value", |r| r.value),
    RowColumn::NullableText("start_date", |r| r.start_date.as_deref()),
    RowColumn::NullableText("end_date", |r| r.end_date.as_deref()),
];

/// Comment keys that are not the report's title.
const META_KEYS: [&str; 6] = [
    "account",
    "property",
    "data stream",
    "segment",
    "comparison",
    "filter",
];

/// The comment block above a table: title and date range.
#[derive(Debug, Clone, Default, PartialEq)]
struct Context {
    title: Option<String>,
    start_date: Option<String>,
    end_date: Option<String>,
}

/// One landed value.
#[derive(Debug, Clone, PartialEq)]
struct Row {
    report: Option<String>,
    table: i64,
    dimension: String,
    level: Option<String>,
    is_total: bool,
    metric: String,
    value: Option<f64>,
    start_date: Option<String>,
    end_date: Option<String>,
    line: u64,
}

/// A table's header: its dimension and metric names.
#[derive(Debug, Clone)]
struct Header {
    columns: Vec<String>,
    index: i64,
    line: u64,
}

/// What one file holds.
#[derive(Debug, Default)]
struct Parsed {
    rows: Vec<Row>,
    rejects: Vec<Reject>,
    counts: Counts,
    tables: Vec<Header>,
    context: Context,
}

/// The fields of one CSV line (`None` when the line is not valid CSV).
fn fields(line: &str) -> Option<Vec<String>> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(line.as_bytes());
    let mut rec = csv::StringRecord::new();
    match reader.read_record(&mut rec) {
        Ok(true) => Some(rec.iter().map(|f| f.trim().to_string()).collect()),
        _ => None,
    }
}

/// A metric cell as a number: `1234`, `0.5432`, `54.3%` (0.543), `1,234` (thousands); an empty
/// cell is null.
fn metric_value(cell: &str) -> std::result::Result<Option<f64>, ()> {
    let v = cell.trim();
    if v.is_empty() {
        return Ok(None);
    }
    if let Ok(f) = v.parse::<f64>() {
        return if f.is_finite() { Ok(Some(f)) } else { Err(()) };
    }
    if let Some(pct) = v.strip_suffix('%') {
        return pct
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|f| f.is_finite())
            .map(|f| Some(f / 100.0))
            .ok_or(());
    }
    let (whole, fraction) = v.split_once('.').unwrap_or((v, ""));
    let groups: Vec<&str> = whole.split(',').collect();
    let thousands = groups.len() > 1
        && (1..=3).contains(&groups[0].trim_start_matches('-').len())
        && groups[1..].iter().all(|g| g.len() == 3)
        && fraction.bytes().all(|b| b.is_ascii_digit());
    if thousands {
        return v.replace(',', "").parse::<f64>().map(Some).map_err(|_| ());
    }
    Err(())
}

/// A date as GA4 writes it in the comments (`20260501`) or ISO, as `YYYY-MM-DD`.
fn comment_date(v: &str) -> Option<String> {
    ["%Y%m%d", "%Y-%m-%d", "%b %d, %Y"]
        .iter()
        .find_map(|f| NaiveDate::parse_from_str(v.trim(), f).ok())
        .map(|d| d.format("%Y-%m-%d").to_string())
}

/// Whether a level is a totals row's.
fn is_total(level: &str) -> bool {
    level.is_empty()
        || ["total", "totals", "grand total"]
            .iter()
            .any(|t| level.eq_ignore_ascii_case(t))
}

/// Parse one report file (UTF-8 text). `Err` only for what makes the whole file unreadable: a
/// comment date that is not a date, or no table at all.
fn parse(text: &str, label: &str, shown: &str) -> Result<Parsed> {
    let mut out = Parsed::default();
    let mut header: Option<Header> = None;
    // Whether the last line was part of a table (a blank line or a comment ends it).
    let mut in_table = false;
    // A comment block after a table starts a new context title.
    let mut new_block = true;
    for (n, raw) in text.lines().enumerate() {
        let line_no = n as u64 + 1;
        let line = raw.trim_end_matches('\r');
        let trimmed = line.trim();
        if trimmed.is_empty() {
            in_table = false;
            continue;
        }
        if let Some(comment) = trimmed.strip_prefix('#') {
            if in_table {
                in_table = false;
                new_block = true;
            }
            if new_block {
                out.context.title = None;
                new_block = false;
            }
            comment_line(comment.trim(), &mut out.context, shown, line_no)?;
            continue;
        }
        if !in_table {
            let candidate = fields(line).unwrap_or_default();
            let continues = header.as_ref().is_some_and(|h| {
                candidate.len() == h.columns.len()
                    && candidate[1..].iter().all(|c| metric_value(c).is_ok())
            });
            if !continues {
                if candidate.len() < 2 || candidate[0].is_empty() {
                    return Err(Error::BadInput {
                        file: shown.to_string(),
                        reason: format!(
                            "line {line_no}: expected a table header (a dimension, then metrics), found {trimmed:?}"
                        ),
                    });
                }
                let h = Header {
                    columns: candidate,
                    index: out.tables.len() as i64 + 1,
                    line: line_no,
                };
                if out.context.start_date.is_none() || out.context.end_date.is_none() {
                    warn!(file = shown, line = line_no, "GA4 report table without a `# Start date:` / `# End date:` comment; its date range is left empty.");
                }
                out.tables.push(h.clone());
                header = Some(h);
                in_table = true;
                new_block = true;
                continue;
            }
            in_table = true;
        }
        let Some(h) = &header else { continue };
        match out.counts.tally(table_row(line, h, &out.context, line_no)) {
            Ok(mut rows) => out.rows.append(&mut rows),
            Err(reason) => out
                .rejects
                .push(Reject::new(label, line_no, line.as_bytes(), reason)),
        }
    }
    if out.tables.is_empty() {
        return Err(Error::BadInput {
            file: shown.to_string(),
            reason: "no table found: expected `#` comment lines, then a header row (a dimension, then metrics)".into(),
        });
    }
    Ok(out)
}

/// Read one comment line into the context (a title, or a date).
fn comment_line(comment: &str, ctx: &mut Context, shown: &str, line: u64) -> Result<()> {
    if comment.is_empty() || comment.chars().all(|c| c == '-' || c == '=') {
        return Ok(());
    }
    let bad_date = |key: &str, v: &str| Error::BadInput {
        file: shown.to_string(),
        reason: format!("line {line}: {key} {v:?} is not a date like 20260501"),
    };
    if let Some((key, value)) = comment.split_once(':') {
        let key_lc = key.trim().to_ascii_lowercase();
        match key_lc.as_str() {
            "start date" => {
                ctx.start_date = Some(comment_date(value).ok_or_else(|| bad_date(key, value))?);
                return Ok(());
            }
            "end date" => {
                ctx.end_date = Some(comment_date(value).ok_or_else(|| bad_date(key, value))?);
                return Ok(());
            }
            k if META_KEYS.contains(&k) => return Ok(()),
            _ => {}
        }
    }
    if ctx.title.is_none() {
        ctx.title = Some(comment.to_string());
    }
    Ok(())
}

/// One table row as landed values; `Err` is the reject reason.
fn table_row(
    line: &str,
    h: &Header,
    ctx: &Context,
    line_no: u64,
) -> std::result::Result<Vec<Row>, String> {
    let cells = fields(line).ok_or("unreadable CSV row")?;
    if cells.len() != h.columns.len() {
        return Err(format!(
            "wrong field count: {} fields, the header on line {} has {}",
            cells.len(),
            h.line,
            h.columns.len()
        ));
    }
    let level = cells[0].as_str();
    let total = is_total(level);
    let mut rows = Vec::with_capacity(cells.len() - 1);
    for (metric, cell) in h.columns[1..].iter().zip(&cells[1..]) {
        let value = metric_value(cell).map_err(|()| {
            format!(
                "column {metric:?}: {cell:?} is not a number (a report with more than one dimension column is not supported: export one dimension per table)"
            )
        })?;
        rows.push(Row {
            report: ctx.title.clone(),
            table: h.index,
            dimension: h.columns[0].clone(),
            level: (!level.is_empty()).then(|| level.to_string()),
            is_total: total,
            metric: metric.clone(),
            value,
            start_date: ctx.start_date.clone(),
            end_date: ctx.end_date.clone(),
            line: line_no,
        });
    }
    Ok(rows)
}

/// Check the first bytes of a report (`personas validate`): its comments and first header.
pub fn check_head(head: &[u8], encoding: TextEncoding, file: &str) -> Result<String> {
    let text = to_utf8(head, encoding, file);
    let text = String::from_utf8_lossy(&text);
    // A cut-off last line would be read as a broken row: check whole lines only.
    let whole = match text.rfind('\n') {
        Some(end) if end + 1 < text.len() => &text[..=end],
        _ => &text[..],
    };
    let parsed = parse(whole, file, file)?;
    let h = &parsed.tables[0];
    let ctx = &parsed.context;
    Ok(format!(
        "report {:?}: dimension {:?}, metrics {}, {} to {}",
        ctx.title.as_deref().unwrap_or("(untitled)"),
        h.columns[0],
        h.columns[1..].join(", "),
        ctx.start_date.as_deref().unwrap_or("?"),
        ctx.end_date.as_deref().unwrap_or("?"),
    ))
}

/// Land every report file of the source as one Parquet part.
pub fn land(ctx: &LandContext<'_>) -> Result<(Counts, Vec<Reject>)> {
    let encoding = ctx.source.encoding;
    let read = |path: &std::path::Path, label: &str| read_file(path, label, encoding);
    land_documents(ctx, COLUMNS, read, |r| r.line)
}

/// Read and parse one report file; its rows are labelled `label`.
fn read_file(
    path: &std::path::Path,
    label: &str,
    encoding: TextEncoding,
) -> Result<(Vec<Row>, Vec<Reject>, Counts)> {
    let shown = path.display().to_string();
    let data = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    let text = to_utf8(&data, encoding, &shown);
    let text = std::str::from_utf8(&text).map_err(|e| Error::BadInput {
        file: shown.clone(),
        reason: format!(
            "bytes are not UTF-8 at byte {} (set the source's encoding)",
            e.valid_up_to()
        ),
    })?;
    let parsed = parse(text, label, &shown)?;
    info!(file = %shown, tables = parsed.tables.len(), read = parsed.counts.read,
        rejected = parsed.counts.rejected, "Read GA4 report.");
    Ok((parsed.rows, parsed.rejects, parsed.counts))
}

#[cfg(test)]
mod tests {
    use super::*;

    const REPORT: &str = "\u{feff}# ----------------------------------------\n\
# Sessions by channel\n\
# Account: Demo\n\
# Start date: 20260501\n\
# End date: 20260531\n\
# ----------------------------------------\n\
\n\
Session primary channel group (Default Channel Group),Sessions,Key events,Engagement rate\n\
Organic Search,1200,31,0.61\n\
Direct,800,12,54.5%\n\
Paid Search,\"1,204\",9,0.5\n\
Referral,lots,2,0.4\n\
,3204,54,0.58\n\
\n\
# Sessions over time\n\
Nth day,Sessions\n\
0000,101\n\
0001,99\n";

    #[test]
    fn tables_comments_totals_and_rejects() {
        let p = parse(REPORT.trim_start_matches('\u{feff}'), "r.csv", "r.csv").unwrap();
        assert_eq!(p.counts.as_tuple(), (7, 6, 1));
        assert_eq!(p.tables.len(), 2);
        let first = &p.rows[0];
        assert_eq!(first.report.as_deref(), Some("Sessions by channel"));
        assert_eq!(
            first.dimension,
            "Session primary channel group (Default Channel Group)"
        );
        assert_eq!(
            (first.level.as_deref(), first.metric.as_str(), first.value),
            (Some("Organic Search"), "Sessions", Some(1200.0))
        );
        assert_eq!(first.start_date.as_deref(), Some("2026-05-01"));
        assert_eq!(first.end_date.as_deref(), Some("2026-05-31"));
        assert_eq!(first.line, 9);
        let rate = p
            .rows
            .iter()
            .find(|r| r.level.as_deref() == Some("Direct") && r.metric == "Engagement rate")
            .unwrap();
        assert!((rate.value.unwrap() - 0.545).abs() < 1e-12);
        let paid = p
            .rows
            .iter()
            .find(|r| r.level.as_deref() == Some("Paid Search") && r.metric == "Sessions")
            .unwrap();
        assert_eq!(paid.value, Some(1204.0));
        assert!(p.rows.iter().filter(|r| r.is_total).count() == 3);
        assert_eq!(p.rejects[0].line, 12);
        assert!(p.rejects[0].reason.contains("\"Sessions\": \"lots\""));
        let series: Vec<_> = p.rows.iter().filter(|r| r.table == 2).collect();
        assert_eq!(series.len(), 2);
        assert_eq!(series[0].report.as_deref(), Some("Sessions over time"));
        assert_eq!(series[0].dimension, "Nth day");
        assert_eq!(series[0].start_date.as_deref(), Some("2026-05-01"));
    }

    #[test]
    fn bad_date_and_no_table_are_file_errors() {
        let e = parse("# Start date: May\nCountry,Users\nUS,1\n", "r", "r.csv").unwrap_err();
        assert!(e.to_string().contains("line 1"), "{e}");
        let e = parse("# Only comments\n\n", "r", "r.csv").unwrap_err();
        assert!(e.to_string().contains("no table"), "{e}");
    }

    #[test]
    fn numbers() {
        assert_eq!(metric_value("12"), Ok(Some(12.0)));
        assert_eq!(metric_value(""), Ok(None));
        assert_eq!(metric_value("1,234,567.5"), Ok(Some(1_234_567.5)));
        assert!(metric_value("1,23").is_err());
        assert!(metric_value("n/a").is_err());
    }
}
