//! Meta page insights (Graph API JSON: `page_fans_gender_age`, `page_fans_country`, ...): the
//! social audience, aggregated rather than per contact. Landed long: one row per metric, date
//! and key (`F.25-34`, `US`) with its count; the SQL keeps the latest date of each metric.

use datafusion::arrow::datatypes::SchemaRef;
use serde_json::Value;
use tracing::info;

use super::{parse_json, top_level_list};
use crate::error::{Error, Result};
use crate::landing::{rows_schema, Counts, Reject, RowColumn};
use crate::sources::{file_label, land_documents, LandContext};

/// Schema of the landed insights.
pub fn schema() -> SchemaRef {
    rows_schema(COLUMNS)
}

/// The landed insights' columns.
const COLUMNS: &[RowColumn<Row>] = &[
    RowColumn::Text("metric", |r| &r.metric),
    RowColumn::NullableText("period", |r| r.period.as_deref()),
    RowColumn::NullableText("end_time", |r| r.end_time.as_deref()),
    RowColumn::Text("key", |r| &r.key),
    RowColumn::Int("value", |r| r.value),
];

/// One flattened insight value.
#[derive(Debug, Clone, PartialEq)]
struct Row {
    metric: String,
    period: Option<String>,
    end_time: Option<String>,
    key: String,
    value: i64,
    /// Line in the file (long CSV); 0 for JSON documents.
    line: u64,
}

/// Flatten one insights document; values that are not counts become rejects.
fn flatten(
    doc: &Value,
    file: &str,
    rows: &mut Vec<Row>,
    rejects: &mut Vec<Reject>,
    counts: &mut Counts,
) -> Result<()> {
    let data = top_level_list(doc, "data", "a Graph API insights", file)?;
    for metric in data {
        let name = metric
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let period = metric
            .get("period")
            .and_then(Value::as_str)
            .map(str::to_string);
        for entry in metric
            .get("values")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let end_time = entry
                .get("end_time")
                .and_then(Value::as_str)
                .map(str::to_string);
            let Some(map) = entry.get("value").and_then(Value::as_object) else {
                continue; // scalar metrics (page_fans) carry no breakdown
            };
            for (key, v) in map {
                let row = match v.as_i64() {
                    _ if name.is_empty() => Err("metric has no \"name\"".to_string()),
                    Some(value) => Ok(Row {
                        metric: name.to_string(),
                        period: period.clone(),
                        end_time: end_time.clone(),
                        key: key.clone(),
                        value,
                        line: 0,
                    }),
                    None => Err(format!("value of {key:?} is not a whole-number count")),
                };
                match counts.tally(row) {
                    Ok(row) => rows.push(row),
                    Err(reason) => {
                        let raw = format!("{name} {key}: {v}");
                        rejects.push(Reject::new(file, 0, raw.as_bytes(), reason));
                    }
                }
            }
        }
    }
    Ok(())
}

/// Read one insights file and count its values (`personas validate`).
pub fn check(path: &std::path::Path) -> Result<String> {
    let text = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    check_bytes(&text, path)
}

/// Count the values of a whole insights file read into memory (`personas validate` on a remote
/// file); `path` names it (its extension says JSON or CSV).
pub fn check_bytes(text: &[u8], path: &std::path::Path) -> Result<String> {
    let (_, _, counts) = read_bytes(text, path)?;
    Ok(format!(
        "{} values, {} unreadable",
        counts.read, counts.rejected
    ))
}

/// Flatten one file: a Graph API JSON document, or a long CSV (`dimension,value,count`, e.g.
/// `gender_age,F.25-34,1234`, the shape of Meta's audience exports) when it ends in `.csv`.
fn read_file(path: &std::path::Path) -> Result<(Vec<Row>, Vec<Reject>, Counts)> {
    let text = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    read_bytes(&text, path)
}

fn read_bytes(text: &[u8], path: &std::path::Path) -> Result<(Vec<Row>, Vec<Reject>, Counts)> {
    let label = file_label(path);
    let (mut rows, mut rejects, mut counts) = (Vec::new(), Vec::new(), Counts::default());
    if path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("csv"))
    {
        flatten_csv(text, path, &mut rows, &mut rejects, &mut counts)?;
    } else {
        let doc = parse_json(text, &path.display().to_string())?;
        flatten(&doc, &label, &mut rows, &mut rejects, &mut counts)?;
    }
    Ok((rows, rejects, counts))
}

/// A long CSV: header `dimension,value,count`; dimension `gender_age` becomes the metric
/// `page_fans_gender_age`, as in the Graph API.
fn flatten_csv(
    text: &[u8],
    path: &std::path::Path,
    rows: &mut Vec<Row>,
    rejects: &mut Vec<Reject>,
    counts: &mut Counts,
) -> Result<()> {
    let label = file_label(path);
    let text = text.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(text);
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(text);
    let header: Vec<String> = reader
        .headers()?
        .iter()
        .map(|h| h.trim().to_ascii_lowercase())
        .collect();
    let col = |name: &str| {
        header
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| Error::MissingColumn {
                file: path.display().to_string(),
                column: name.to_string(),
                found: header.join(", "),
            })
    };
    let (dim, key, count) = (col("dimension")?, col("value")?, col("count")?);
    let ignored: Vec<&str> = header
        .iter()
        .enumerate()
        .filter(|(i, _)| ![dim, key, count].contains(i))
        .map(|(_, h)| h.as_str())
        .collect();
    if !ignored.is_empty() {
        info!(file = %path.display(), columns = %ignored.join(", "), "Ignoring columns other than dimension, value and count.");
    }
    for rec in reader.records() {
        let line = rec
            .as_ref()
            .ok()
            .and_then(|r| r.position())
            .map_or(0, |p| p.line());
        let raw = rec
            .as_ref()
            .map(|r| r.iter().collect::<Vec<_>>().join(","))
            .unwrap_or_default();
        let parsed = rec
            .map_err(|e| format!("unreadable CSV row: {e}"))
            .and_then(|r| {
                let get = |i: usize| r.get(i).map(str::trim).unwrap_or_default().to_string();
                let (d, k, c) = (get(dim), get(key), get(count));
                let value = c
                    .parse::<i64>()
                    .map_err(|_| format!("column \"count\": {c:?} is not a whole number"))?;
                if d.is_empty() || k.is_empty() {
                    return Err("empty dimension or value".to_string());
                }
                Ok(Row {
                    metric: format!("page_fans_{d}"),
                    period: None,
                    end_time: None,
                    key: k,
                    value,
                    line,
                })
            });
        match counts.tally(parsed) {
            Ok(row) => rows.push(row),
            Err(reason) => rejects.push(Reject::new(&label, line, raw.as_bytes(), reason)),
        }
    }
    Ok(())
}

/// Land every insights file of the source as one Parquet part.
pub fn land(ctx: &LandContext<'_>) -> Result<(Counts, Vec<Reject>)> {
    land_documents(ctx, COLUMNS, |path, _| read_file(path), |r| r.line)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flattens_gender_age_and_rejects_non_counts() {
        let doc: Value = serde_json::from_str(
            r#"{"data":[{"name":"page_fans_gender_age","period":"lifetime","values":[
                {"value":{"F.25-34":1234,"M.18-24":"lots"},"end_time":"2026-11-18T08:00:00+0000"}]}]}"#,
        )
        .unwrap();
        let (mut rows, mut rejects, mut counts) = (Vec::new(), Vec::new(), Counts::default());
        flatten(
            &doc,
            "page_insights.json",
            &mut rows,
            &mut rejects,
            &mut counts,
        )
        .unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].key, "F.25-34");
        assert_eq!(rows[0].value, 1234);
        assert_eq!(counts.as_tuple(), (2, 1, 1));
        assert!(rejects[0].reason.contains("M.18-24"));
    }

    #[test]
    fn long_csv_lands_like_the_graph_api() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("audience.csv");
        std::fs::write(&path, "dimension,value,count\ngender_age,F.25-34,1234\ngender_age,M.18-24,lots\ncountry,US,17\n").unwrap();
        let (rows, rejects, counts) = read_file(&path).unwrap();
        assert_eq!(counts.as_tuple(), (3, 2, 1));
        assert_eq!(
            (
                rows[0].metric.as_str(),
                rows[0].key.as_str(),
                rows[0].value,
                rows[0].line
            ),
            ("page_fans_gender_age", "F.25-34", 1234, 2)
        );
        assert_eq!(rows[1].metric, "page_fans_country");
        assert!(
            rejects[0].reason.contains("lots") && rejects[0].line == 3,
            "{:?}",
            rejects[0]
        );
        assert_eq!(rejects[0].raw, "gender_age,M.18-24,lots");
    }

    #[test]
    fn not_insights_is_an_error() {
        let doc: Value = serde_json::from_str(r#"{"error":{"message":"bad token"}}"#).unwrap();
        let (mut rows, mut rejects, mut counts) = (Vec::new(), Vec::new(), Counts::default());
        assert!(flatten(&doc, "x.json", &mut rows, &mut rejects, &mut counts).is_err());
    }
}
