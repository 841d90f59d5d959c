//! GA4 BigQuery export extracted to Parquet (`bq extract --destination_format=PARQUET`): the
//! export's nested schema kept (`event_params` a list of `{key, value {string_value, int_value,
//! ...}}`, `device`, `geo`, `traffic_source`, `ecommerce` structs). Each row is read into the same
//! event the NDJSON decoder in [`ga4`](super::ga4) builds and flattened by the same code, so both
//! land identical rows in `raw_ga4__events`; a row that cannot be typed is rejected with its row
//! number, the row as JSON text and the reason. Only the columns the landed table needs are read.

use std::borrow::Cow;
use std::fs::File;
use std::path::Path;

use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, Float64Array, Int64Array, RecordBatch, StringArray, StructArray,
};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Float64Type, Int64Type, Schema};
use datafusion::arrow::json::LineDelimitedWriter;
use datafusion::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use datafusion::parquet::arrow::{parquet_to_arrow_schema, ProjectionMask};
use datafusion::parquet::file::metadata::ParquetMetaDataReader;

use super::file_label;
use super::ga4::{
    schema, Batch, Device, Ecommerce, Event, Geo, Param, ParamValue, TrafficSource, WebInfo,
};
use crate::error::{Error, Result};
use crate::landing::{Counts, Reject, BATCH_ROWS};
use crate::output::parquet::ParquetSink;

/// Top-level columns of the export the landed table is made from.
const READ_COLUMNS: [&str; 10] = [
    "event_date",
    "event_timestamp",
    "event_name",
    "event_params",
    "user_id",
    "user_pseudo_id",
    "device",
    "geo",
    "traffic_source",
    "ecommerce",
];

/// Columns every file must have.
const REQUIRED: [&str; 2] = ["event_timestamp", "event_name"];

/// Whether a GA4 input file is a Parquet extract (by its extension).
pub fn is_parquet(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("parquet"))
}

fn bad(file: &str, reason: impl Into<String>) -> Error {
    Error::BadInput {
        file: file.to_string(),
        reason: reason.into(),
    }
}

/// The required columns are there (`MissingColumn` naming the file otherwise).
fn check_schema(schema: &Schema, file: &str) -> Result<()> {
    for column in REQUIRED {
        if schema.field_with_name(column).is_err() {
            let found: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
            return Err(Error::MissingColumn {
                file: file.to_string(),
                column: column.to_string(),
                found: found.join(", "),
            });
        }
    }
    Ok(())
}

/// A reader over the columns we land, `BATCH_ROWS` rows at a time.
fn open(path: &Path) -> Result<datafusion::parquet::arrow::arrow_reader::ParquetRecordBatchReader> {
    let shown = path.display().to_string();
    let file = File::open(path).map_err(|e| Error::io(path, e))?;
    let builder = ParquetRecordBatchReaderBuilder::try_new(file)
        .map_err(|e| bad(&shown, format!("not a readable Parquet file: {e}")))?;
    check_schema(builder.schema(), &shown)?;
    let present: Vec<&str> = READ_COLUMNS
        .iter()
        .copied()
        .filter(|c| builder.schema().field_with_name(c).is_ok())
        .collect();
    let mask = ProjectionMask::columns(builder.parquet_schema(), present);
    builder
        .with_projection(mask)
        .with_batch_size(BATCH_ROWS)
        .build()
        .map_err(|e| bad(&shown, format!("cannot read the Parquet file: {e}")))
}

/// Land one Parquet extract into one Parquet part of `raw_ga4__events`.
pub fn land_file(path: &Path, out: &Path, loaded: i64) -> Result<(Counts, Vec<Reject>)> {
    let label = file_label(path);
    let shown = path.display().to_string();
    let reader = open(path)?;
    let schema = schema();
    let mut sink = ParquetSink::create(out, schema.clone())?;
    let mut batch = Batch::new();
    let mut counts = Counts::default();
    let mut rejects = Vec::new();
    for input in reader {
        let input =
            input.map_err(|e| bad(&shown, format!("unreadable after row {}: {e}", counts.read)))?;
        let columns = Columns::new(&input).map_err(|e| bad(&shown, e))?;
        for i in 0..input.num_rows() {
            counts.read += 1;
            let row = counts.read;
            let outcome = columns
                .event(i)
                .and_then(|ev| batch.push(&ev, &label, row, loaded));
            match outcome {
                Ok(()) => counts.accepted += 1,
                Err(reason) => {
                    counts.rejected += 1;
                    rejects.push(Reject::new(&label, row, &row_json(&input, i), reason));
                }
            }
            if batch.rows == BATCH_ROWS {
                sink.write(&batch.finish(&schema)?)?;
            }
        }
    }
    if batch.rows > 0 {
        sink.write(&batch.finish(&schema)?)?;
    }
    sink.finish()?;
    if counts.read == 0 {
        return Err(bad(&shown, "the GA4 export file has no events"));
    }
    Ok((counts, rejects))
}

/// Check a local extract (`personas validate`): its columns, and that its first row reads as an
/// event.
pub fn check(path: &Path) -> Result<String> {
    let shown = path.display().to_string();
    let mut reader = open(path)?;
    let first = reader
        .next()
        .transpose()
        .map_err(|e| bad(&shown, format!("unreadable: {e}")))?;
    let Some(first) = first.filter(|b| b.num_rows() > 0) else {
        return Err(bad(&shown, "the GA4 export file has no events"));
    };
    let columns = Columns::new(&first).map_err(|e| bad(&shown, e))?;
    columns
        .event(0)
        .and_then(|ev| Batch::new().push(&ev, "", 1, 0))
        .map_err(|e| bad(&shown, format!("row 1: {e}")))?;
    Ok("Parquet extract; first row reads as a GA4 event".into())
}

/// Check an extract from its last bytes (`tail`, the end of the file): the footer names the
/// columns and rows without reading any data (`personas validate` on a remote file). `Ok(None)`
/// when the footer is longer than `tail`.
pub fn check_footer(tail: &[u8], file: &str) -> Result<Option<String>> {
    let not_parquet = || bad(file, "not a Parquet file (no PAR1 footer)");
    let Some(split) = tail.len().checked_sub(8) else {
        return Err(not_parquet());
    };
    let (body, footer) = tail.split_at(split);
    if &footer[4..] != b"PAR1" {
        return Err(not_parquet());
    }
    let mut len = [0u8; 4];
    len.copy_from_slice(&footer[..4]);
    let len = u32::from_le_bytes(len) as usize;
    let Some(start) = body.len().checked_sub(len) else {
        return Ok(None);
    };
    let meta = ParquetMetaDataReader::decode_metadata(&body[start..])
        .map_err(|e| bad(file, format!("unreadable Parquet footer: {e}")))?;
    let info = meta.file_metadata();
    let arrow = parquet_to_arrow_schema(info.schema_descr(), info.key_value_metadata())
        .map_err(|e| bad(file, format!("unsupported Parquet schema: {e}")))?;
    check_schema(&arrow, file)?;
    Ok(Some(format!(
        "Parquet extract of {} rows, GA4 event columns present",
        info.num_rows()
    )))
}

/// One row as a line of JSON (the reject's raw text).
fn row_json(batch: &RecordBatch, row: usize) -> Vec<u8> {
    let mut writer = LineDelimitedWriter::new(Vec::new());
    let written = writer
        .write(&batch.slice(row, 1))
        .and_then(|()| writer.finish());
    match written {
        Ok(()) => writer.into_inner(),
        Err(e) => format!("(row {row} of the batch: not representable as JSON: {e})").into_bytes(),
    }
}

/// A leaf's values, typed as the landed column needs them (text), or as found for numbers
/// (an INT64 column, a DOUBLE one, or numbers written as text, parsed per row).
enum Values {
    Text(StringArray),
    Int(Int64Array),
    Float(Float64Array),
    Absent,
}

/// One leaf of the nested schema (`device.web_info.browser`) with the struct arrays above it:
/// a null struct makes its fields null whatever its children hold.
struct Leaf {
    name: String,
    parents: Vec<ArrayRef>,
    values: Values,
}

impl Leaf {
    /// The leaf at `path` under `root` (absent when the file lacks it); `numeric` keeps integer
    /// and float columns as numbers.
    fn find(root: &StructArray, path: &[&str], numeric: bool) -> std::result::Result<Leaf, String> {
        let name = path.join(".");
        let absent = |parents| Leaf {
            name: name.clone(),
            parents,
            values: Values::Absent,
        };
        let mut parents: Vec<ArrayRef> = Vec::new();
        let mut node = root;
        for (depth, part) in path.iter().enumerate() {
            let Some(child) = node.column_by_name(part) else {
                return Ok(absent(parents));
            };
            if depth + 1 == path.len() {
                let values = typed(child, numeric)
                    .map_err(|e| format!("column {name:?} of type {}: {e}", child.data_type()))?;
                return Ok(Leaf {
                    name,
                    parents,
                    values,
                });
            }
            let Some(inner) = child.as_struct_opt() else {
                return Err(format!(
                    "column {:?} is {}, expected a struct",
                    path[..=depth].join("."),
                    child.data_type()
                ));
            };
            parents.push(child.clone());
            node = inner;
        }
        Ok(absent(parents))
    }

    fn valid(&self, i: usize) -> bool {
        self.parents.iter().all(|p| p.is_valid(i))
    }

    fn text(&self, i: usize) -> Option<&str> {
        match &self.values {
            Values::Text(a) if self.valid(i) && a.is_valid(i) => Some(a.value(i)),
            _ => None,
        }
    }

    fn int(&self, i: usize) -> std::result::Result<Option<i64>, String> {
        if !self.valid(i) {
            return Ok(None);
        }
        match &self.values {
            Values::Int(a) => Ok(a.is_valid(i).then(|| a.value(i))),
            Values::Float(a) if a.is_valid(i) => {
                let f = a.value(i);
                if f.fract() == 0.0 {
                    Ok(Some(f as i64))
                } else {
                    Err(format!("column {:?}: {f} is not an integer", self.name))
                }
            }
            Values::Text(a) if a.is_valid(i) => {
                let s = a.value(i);
                s.trim()
                    .parse::<i64>()
                    .map(Some)
                    .map_err(|_| format!("column {:?}: {s:?} is not an integer", self.name))
            }
            _ => Ok(None),
        }
    }

    fn float(&self, i: usize) -> std::result::Result<Option<f64>, String> {
        if !self.valid(i) {
            return Ok(None);
        }
        match &self.values {
            Values::Int(a) => Ok(a.is_valid(i).then(|| a.value(i) as f64)),
            Values::Float(a) => Ok(a.is_valid(i).then(|| a.value(i))),
            Values::Text(a) if a.is_valid(i) => {
                let s = a.value(i);
                s.trim()
                    .parse::<f64>()
                    .map(Some)
                    .map_err(|_| format!("column {:?}: {s:?} is not a number", self.name))
            }
            _ => Ok(None),
        }
    }
}

/// A leaf column cast to the type it is read as.
fn typed(array: &ArrayRef, numeric: bool) -> std::result::Result<Values, String> {
    let t = array.data_type();
    if numeric && t.is_integer() {
        let a = cast(array, &DataType::Int64).map_err(|e| e.to_string())?;
        return Ok(Values::Int(a.as_primitive::<Int64Type>().clone()));
    }
    if numeric && t.is_floating() {
        let a = cast(array, &DataType::Float64).map_err(|e| e.to_string())?;
        return Ok(Values::Float(a.as_primitive::<Float64Type>().clone()));
    }
    if matches!(
        t,
        DataType::Struct(_) | DataType::List(_) | DataType::LargeList(_)
    ) {
        return Err("expected a single value".into());
    }
    let a = cast(array, &DataType::Utf8).map_err(|e| e.to_string())?;
    Ok(Values::Text(a.as_string::<i32>().clone()))
}

/// `event_params`: a list of `{key, value {string_value, int_value}}` per row.
struct Params {
    list: Option<datafusion::arrow::array::ListArray>,
    element: Option<ArrayRef>,
    key: Leaf,
    string_value: Leaf,
    int_value: Leaf,
}

/// The leaves of one batch of exported events.
struct Columns {
    event_date: Leaf,
    event_timestamp: Leaf,
    event_name: Leaf,
    user_id: Leaf,
    user_pseudo_id: Leaf,
    category: Leaf,
    operating_system: Leaf,
    browser: Leaf,
    country: Leaf,
    region: Leaf,
    city: Leaf,
    source: Leaf,
    medium: Leaf,
    purchase_revenue: Leaf,
    transaction_id: Leaf,
    params: Params,
}

impl Columns {
    fn new(batch: &RecordBatch) -> std::result::Result<Columns, String> {
        let root = StructArray::from(batch.clone());
        let text = |path: &[&str]| Leaf::find(&root, path, false);
        let number = |path: &[&str]| Leaf::find(&root, path, true);
        Ok(Columns {
            event_date: text(&["event_date"])?,
            event_timestamp: number(&["event_timestamp"])?,
            event_name: text(&["event_name"])?,
            user_id: text(&["user_id"])?,
            user_pseudo_id: text(&["user_pseudo_id"])?,
            category: text(&["device", "category"])?,
            operating_system: text(&["device", "operating_system"])?,
            browser: text(&["device", "web_info", "browser"])?,
            country: text(&["geo", "country"])?,
            region: text(&["geo", "region"])?,
            city: text(&["geo", "city"])?,
            source: text(&["traffic_source", "source"])?,
            medium: text(&["traffic_source", "medium"])?,
            purchase_revenue: number(&["ecommerce", "purchase_revenue"])?,
            transaction_id: text(&["ecommerce", "transaction_id"])?,
            params: Params::new(batch)?,
        })
    }

    /// Row `i` as the event the NDJSON decoder would build; `Err` is the reject reason.
    fn event(&self, i: usize) -> std::result::Result<Event<'_>, String> {
        let s = |leaf| cow(leaf, i);
        let device = Device {
            category: s(&self.category),
            operating_system: s(&self.operating_system),
            web_info: Some(WebInfo {
                browser: s(&self.browser),
            }),
        };
        let geo = Geo {
            country: s(&self.country),
            region: s(&self.region),
            city: s(&self.city),
        };
        let traffic = TrafficSource {
            source: s(&self.source),
            medium: s(&self.medium),
        };
        let ecommerce = Ecommerce {
            purchase_revenue: self.purchase_revenue.float(i)?,
            transaction_id: s(&self.transaction_id),
        };
        Ok(Event {
            event_date: s(&self.event_date),
            event_timestamp: self.event_timestamp.int(i)?,
            event_name: s(&self.event_name),
            event_params: self.params.row(i)?,
            user_id: s(&self.user_id),
            user_pseudo_id: s(&self.user_pseudo_id),
            device: Some(device),
            geo: Some(geo),
            traffic_source: Some(traffic),
            ecommerce: Some(ecommerce),
        })
    }
}

/// A leaf's text in row `i`, borrowed.
fn cow(leaf: &Leaf, i: usize) -> Option<Cow<'_, str>> {
    leaf.text(i).map(Cow::Borrowed)
}

impl Params {
    fn new(batch: &RecordBatch) -> std::result::Result<Params, String> {
        let none = || Leaf {
            name: String::new(),
            parents: Vec::new(),
            values: Values::Absent,
        };
        let Some(column) = batch.column_by_name("event_params") else {
            return Ok(Params {
                list: None,
                element: None,
                key: none(),
                string_value: none(),
                int_value: none(),
            });
        };
        let as_list = |a: &ArrayRef| {
            let target = match a.data_type() {
                DataType::LargeList(f) | DataType::List(f) => DataType::List(f.clone()),
                other => {
                    return Err(format!(
                        "column \"event_params\" is {other}, expected a list"
                    ))
                }
            };
            cast(a, &target)
                .map_err(|e| format!("column \"event_params\": {e}"))
                .map(|c| c.as_list::<i32>().clone())
        };
        let list = as_list(column)?;
        let element = list.values().clone();
        let Some(item) = element.as_struct_opt() else {
            return Err(format!(
                "column \"event_params\" holds {}, expected structs of key and value",
                element.data_type()
            ));
        };
        let leaf = |path: &[&str], numeric: bool| {
            let mut found = Leaf::find(item, path, numeric)?;
            found.name = format!("event_params.{}", found.name);
            found.parents.insert(0, element.clone());
            Ok::<_, String>(found)
        };
        Ok(Params {
            key: leaf(&["key"], false)?,
            string_value: leaf(&["value", "string_value"], false)?,
            int_value: leaf(&["value", "int_value"], true)?,
            element: Some(element.clone()),
            list: Some(list),
        })
    }

    /// The parameters of row `i` (`None` for a null list, as a JSON `null`).
    fn row(&self, i: usize) -> std::result::Result<Option<Vec<Param<'_>>>, String> {
        let (Some(list), Some(_)) = (&self.list, &self.element) else {
            return Ok(None);
        };
        if list.is_null(i) {
            return Ok(None);
        }
        let offsets = list.value_offsets();
        let (start, end) = (offsets[i] as usize, offsets[i + 1] as usize);
        let mut params = Vec::with_capacity(end - start);
        for j in start..end {
            let key = self.key.text(j).ok_or_else(|| {
                format!(
                    "column \"event_params.key\": parameter {} has no key",
                    j - start + 1
                )
            })?;
            params.push(Param {
                key: Cow::Borrowed(key),
                value: Some(ParamValue {
                    string_value: self.string_value.text(j).map(Cow::Borrowed),
                    int_value: self.int_value.int(j)?,
                }),
            });
        }
        Ok(Some(params))
    }
}
