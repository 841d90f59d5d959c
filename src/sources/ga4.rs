//! GA4 BigQuery export (newline-delimited JSON, `events_YYYYMMDD*.json`): a streaming decoder
//! that flattens each nested event into Arrow columns (user, time, event, session, page, device,
//! geo, traffic source, revenue) and lands them as Parquet, one part per input file, files
//! decoded in parallel. INT64 values are accepted as JSON numbers or strings, value structs
//! compact or verbose. Memory stays at one batch per worker whatever the file size. Files ending
//! in `.parquet` are BigQuery extracts to Parquet, read by [`ga4_parquet`] into the same events.

use std::borrow::Cow;
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use datafusion::arrow::array::{
    ArrayRef, Float64Builder, Int64Builder, RecordBatch, StringBuilder, TimestampMicrosecondBuilder,
};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use serde::{Deserialize, Deserializer};
use tracing::info;

use super::{file_label, ga4_parquet, LandContext};
use crate::error::{Error, Result};
use crate::landing::{lineage_fields, Counts, Reject, BATCH_ROWS};
use crate::output::parquet::ParquetSink;

/// String columns of the landed events table, in order (after `event_timestamp`).
const STRING_COLUMNS: [&str; 14] = [
    "event_date",
    "event_name",
    "user_id",
    "user_pseudo_id",
    "page_location",
    "device_category",
    "device_operating_system",
    "device_browser",
    "geo_country",
    "geo_region",
    "geo_city",
    "traffic_source",
    "traffic_medium",
    "transaction_id",
];

/// Schema of the landed GA4 events.
pub fn schema() -> SchemaRef {
    let mut fields = vec![Field::new("event_timestamp", DataType::Int64, false)];
    fields.extend(
        STRING_COLUMNS
            .iter()
            .map(|c| Field::new(*c, DataType::Utf8, true)),
    );
    fields.push(Field::new("ga_session_id", DataType::Int64, true));
    fields.push(Field::new("engagement_time_msec", DataType::Int64, true));
    fields.push(Field::new("purchase_revenue", DataType::Float64, true));
    fields.extend(lineage_fields());
    Arc::new(Schema::new(fields))
}

#[derive(Deserialize)]
pub(super) struct Event<'a> {
    #[serde(borrow, default)]
    pub(super) event_date: Option<Cow<'a, str>>,
    #[serde(default, deserialize_with = "int_or_string")]
    pub(super) event_timestamp: Option<i64>,
    #[serde(borrow, default)]
    pub(super) event_name: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub(super) event_params: Option<Vec<Param<'a>>>,
    #[serde(borrow, default)]
    pub(super) user_id: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub(super) user_pseudo_id: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub(super) device: Option<Device<'a>>,
    #[serde(borrow, default)]
    pub(super) geo: Option<Geo<'a>>,
    #[serde(borrow, default)]
    pub(super) traffic_source: Option<TrafficSource<'a>>,
    #[serde(borrow, default)]
    pub(super) ecommerce: Option<Ecommerce<'a>>,
}

#[derive(Deserialize)]
pub(super) struct Param<'a> {
    #[serde(borrow)]
    pub(super) key: Cow<'a, str>,
    #[serde(borrow, default)]
    pub(super) value: Option<ParamValue<'a>>,
}

#[derive(Deserialize, Default)]
pub(super) struct ParamValue<'a> {
    #[serde(borrow, default)]
    pub(super) string_value: Option<Cow<'a, str>>,
    #[serde(default, deserialize_with = "int_or_string")]
    pub(super) int_value: Option<i64>,
}

#[derive(Deserialize)]
pub(super) struct Device<'a> {
    #[serde(borrow, default)]
    pub(super) category: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub(super) operating_system: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub(super) web_info: Option<WebInfo<'a>>,
}

#[derive(Deserialize)]
pub(super) struct WebInfo<'a> {
    #[serde(borrow, default)]
    pub(super) browser: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
pub(super) struct Geo<'a> {
    #[serde(borrow, default)]
    pub(super) country: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub(super) region: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub(super) city: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
pub(super) struct TrafficSource<'a> {
    #[serde(borrow, default)]
    pub(super) source: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub(super) medium: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
pub(super) struct Ecommerce<'a> {
    #[serde(default, deserialize_with = "float_or_string")]
    pub(super) purchase_revenue: Option<f64>,
    #[serde(borrow, default)]
    pub(super) transaction_id: Option<Cow<'a, str>>,
}

/// BigQuery writes INT64 as a JSON string; other tools as a number. Accept both, and null.
fn int_or_string<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<Option<i64>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw<'a> {
        Int(i64),
        Float(f64),
        #[serde(borrow)]
        Str(Cow<'a, str>),
    }
    match Option::<Raw>::deserialize(d)? {
        None => Ok(None),
        Some(Raw::Int(i)) => Ok(Some(i)),
        Some(Raw::Float(f)) if f.fract() == 0.0 => Ok(Some(f as i64)),
        Some(Raw::Float(f)) => Err(serde::de::Error::custom(format!("{f} is not an integer"))),
        Some(Raw::Str(s)) => s
            .trim()
            .parse::<i64>()
            .map(Some)
            .map_err(|_| serde::de::Error::custom(format!("{s:?} is not an integer"))),
    }
}

fn float_or_string<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<Option<f64>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw<'a> {
        Num(f64),
        #[serde(borrow)]
        Str(Cow<'a, str>),
    }
    match Option::<Raw>::deserialize(d)? {
        None => Ok(None),
        Some(Raw::Num(f)) => Ok(Some(f)),
        Some(Raw::Str(s)) => s
            .trim()
            .parse::<f64>()
            .map(Some)
            .map_err(|_| serde::de::Error::custom(format!("{s:?} is not a number"))),
    }
}

/// Column builders for one batch of flattened events.
pub(super) struct Batch {
    ts: Int64Builder,
    strings: Vec<StringBuilder>,
    session: Int64Builder,
    engagement: Int64Builder,
    revenue: Float64Builder,
    file: StringBuilder,
    line: Int64Builder,
    loaded: TimestampMicrosecondBuilder,
    pub(super) rows: usize,
}

impl Batch {
    pub(super) fn new() -> Batch {
        Batch {
            ts: Int64Builder::with_capacity(BATCH_ROWS),
            strings: (0..STRING_COLUMNS.len())
                .map(|_| StringBuilder::new())
                .collect(),
            session: Int64Builder::with_capacity(BATCH_ROWS),
            engagement: Int64Builder::with_capacity(BATCH_ROWS),
            revenue: Float64Builder::with_capacity(BATCH_ROWS),
            file: StringBuilder::new(),
            line: Int64Builder::with_capacity(BATCH_ROWS),
            loaded: TimestampMicrosecondBuilder::with_capacity(BATCH_ROWS).with_timezone("UTC"),
            rows: 0,
        }
    }

    /// Append one event; `Err` is the reason it is rejected.
    pub(super) fn push(
        &mut self,
        e: &Event<'_>,
        file: &str,
        line: u64,
        loaded: i64,
    ) -> std::result::Result<(), String> {
        let ts = e
            .event_timestamp
            .ok_or("field \"event_timestamp\" is missing")?;
        let name = e.event_name.as_deref().filter(|s| !s.is_empty());
        let name = name.ok_or("field \"event_name\" is missing")?;
        let mut page = None;
        let mut session = None;
        let mut engagement = None;
        for p in e.event_params.iter().flatten() {
            let Some(v) = &p.value else { continue };
            match p.key.as_ref() {
                "page_location" => page = v.string_value.as_deref(),
                "ga_session_id" => session = v.int_value,
                "engagement_time_msec" => engagement = v.int_value,
                _ => {}
            }
        }
        let device = e.device.as_ref();
        let geo = e.geo.as_ref();
        let traffic = e.traffic_source.as_ref();
        let values: [Option<&str>; 14] = [
            e.event_date.as_deref(),
            Some(name),
            e.user_id.as_deref(),
            e.user_pseudo_id.as_deref(),
            page,
            device.and_then(|d| d.category.as_deref()),
            device.and_then(|d| d.operating_system.as_deref()),
            device
                .and_then(|d| d.web_info.as_ref())
                .and_then(|w| w.browser.as_deref()),
            geo.and_then(|g| g.country.as_deref()),
            geo.and_then(|g| g.region.as_deref()),
            geo.and_then(|g| g.city.as_deref()),
            traffic.and_then(|t| t.source.as_deref()),
            traffic.and_then(|t| t.medium.as_deref()),
            e.ecommerce
                .as_ref()
                .and_then(|c| c.transaction_id.as_deref()),
        ];
        self.ts.append_value(ts);
        for (b, v) in self.strings.iter_mut().zip(values) {
            b.append_option(v);
        }
        self.session.append_option(session);
        self.engagement.append_option(engagement);
        self.revenue
            .append_option(e.ecommerce.as_ref().and_then(|c| c.purchase_revenue));
        self.file.append_value(file);
        self.line.append_value(line as i64);
        self.loaded.append_value(loaded);
        self.rows += 1;
        Ok(())
    }

    pub(super) fn finish(&mut self, schema: &SchemaRef) -> Result<RecordBatch> {
        let mut arrays: Vec<ArrayRef> = vec![Arc::new(self.ts.finish())];
        arrays.extend(
            self.strings
                .iter_mut()
                .map(|b| Arc::new(b.finish()) as ArrayRef),
        );
        arrays.push(Arc::new(self.session.finish()));
        arrays.push(Arc::new(self.engagement.finish()));
        arrays.push(Arc::new(self.revenue.finish()));
        arrays.push(Arc::new(self.file.finish()));
        arrays.push(Arc::new(self.line.finish()));
        arrays.push(Arc::new(self.loaded.finish()));
        self.rows = 0;
        Ok(RecordBatch::try_new(schema.clone(), arrays)?)
    }
}

/// Counts and rejects of one landed file.
type Landed = (Counts, Vec<Reject>);

/// Decode one NDJSON file into one Parquet part.
fn land_file(path: &Path, out: &Path, loaded: i64) -> Result<(Counts, Vec<Reject>)> {
    let label = file_label(path);
    let file = File::open(path).map_err(|e| Error::io(path, e))?;
    let mut reader = BufReader::with_capacity(1 << 20, file);
    let schema = schema();
    let mut sink = ParquetSink::create(out, schema.clone())?;
    let mut batch = Batch::new();
    let mut counts = Counts::default();
    let mut rejects = Vec::new();
    let mut buf = Vec::with_capacity(4096);
    let mut line_no = 0u64;
    loop {
        buf.clear();
        let n = reader
            .read_until(b'\n', &mut buf)
            .map_err(|e| Error::io(path, e))?;
        if n == 0 {
            break;
        }
        line_no += 1;
        let text = buf.trim_ascii();
        if text.is_empty() {
            continue;
        }
        counts.read += 1;
        let outcome = serde_json::from_slice::<Event>(text)
            .map_err(|e| format!("invalid GA4 event JSON: {e}"))
            .and_then(|ev| batch.push(&ev, &label, line_no, loaded));
        match outcome {
            Ok(()) => counts.accepted += 1,
            Err(reason) => {
                counts.rejected += 1;
                rejects.push(Reject::new(&label, line_no, text, reason));
            }
        }
        if batch.rows == BATCH_ROWS {
            sink.write(&batch.finish(&schema)?)?;
        }
    }
    if batch.rows > 0 {
        sink.write(&batch.finish(&schema)?)?;
    }
    sink.finish()?;
    if counts.read == 0 {
        return Err(Error::BadInput {
            file: path.display().to_string(),
            reason: "the GA4 export file has no events".into(),
        });
    }
    Ok((counts, rejects))
}

/// Decode the first event of a file (`personas validate`).
pub fn check_first_event(path: &Path) -> Result<String> {
    let file = File::open(path).map_err(|e| Error::io(path, e))?;
    let mut reader = BufReader::new(file);
    let mut line = Vec::new();
    while line.trim_ascii().is_empty() {
        line.clear();
        if reader
            .read_until(b'\n', &mut line)
            .map_err(|e| Error::io(path, e))?
            == 0
        {
            break;
        }
    }
    check_head(&line, &path.display().to_string())
}

/// Decode the first event in the first bytes of a file (`personas validate` on a remote file).
pub fn check_head(head: &[u8], file: &str) -> Result<String> {
    let bad = |reason: String| Error::BadInput {
        file: file.to_string(),
        reason,
    };
    let line = head
        .split(|b| *b == b'\n')
        .map(<[u8]>::trim_ascii)
        .find(|l| !l.is_empty())
        .ok_or_else(|| bad("the GA4 export file has no events".into()))?;
    let event = serde_json::from_slice::<Event>(line)
        .map_err(|e| bad(format!("line 1 is not a GA4 event: {e}")))?;
    Batch::new()
        .push(&event, "", 1, 0)
        .map_err(|e| bad(format!("line 1: {e}")))?;
    Ok("first event reads as a GA4 event".into())
}

/// Land every file of a GA4 source, files decoded in parallel (one worker per core).
pub fn land(ctx: &LandContext<'_>) -> Result<(Counts, Vec<Reject>)> {
    let loaded = ctx.loaded_at.timestamp_micros();
    let workers = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2)
        .min(ctx.files.len())
        .max(1);
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<(usize, Result<Landed>)>> = Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(path) = ctx.files.get(i) else { break };
                let out = ctx.landed_dir.join(format!("part-{i:05}.parquet"));
                let r = if ga4_parquet::is_parquet(path) {
                    ga4_parquet::land_file(path, &out, loaded)
                } else {
                    land_file(path, &out, loaded)
                };
                if let Ok(mut guard) = results.lock() {
                    guard.push((i, r));
                }
            });
        }
    });
    let mut results = results.into_inner().unwrap_or_else(|p| p.into_inner());
    results.sort_by_key(|(i, _)| *i);
    let mut counts = Counts::default();
    let mut rejects = Vec::new();
    for (_, r) in results {
        let (c, mut rj) = r?;
        counts.add(c);
        rejects.append(&mut rj);
    }
    info!(
        files = ctx.files.len(),
        read = counts.read,
        rejected = counts.rejected,
        "Landed GA4 events."
    );
    Ok((counts, rejects))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(line: &str) -> std::result::Result<RecordBatch, String> {
        let ev: Event = serde_json::from_str(line).map_err(|e| e.to_string())?;
        let mut b = Batch::new();
        b.push(&ev, "events_20261021.json", 1, 0)?;
        Ok(b.finish(&schema()).unwrap())
    }

    #[test]
    fn compact_and_verbose_values_and_string_ints() {
        let compact = r#"{"event_date":"20261021","event_timestamp":1792563654000428,"event_name":"page_view","event_params":[{"key":"page_location","value":{"string_value":"https://x.io/blog"}},{"key":"ga_session_id","value":{"int_value":1792563654}}],"user_id":"880","user_pseudo_id":"1.2","device":{"category":"desktop","operating_system":"Windows","web_info":{"browser":"Chrome"}},"geo":{"country":"US"},"traffic_source":{"source":"google","medium":"organic","name":"(organic)"}}"#;
        let verbose = r#"{"event_date":"20261021","event_timestamp":"1792563654000428","event_name":"purchase","event_params":[{"key":"ga_session_id","value":{"string_value":null,"int_value":"1792563654","float_value":null,"double_value":null}}],"user_id":null,"ecommerce":{"purchase_revenue":129.5,"transaction_id":"T1"}}"#;
        let a = decode(compact).unwrap();
        let b = decode(verbose).unwrap();
        assert_eq!(a.num_rows(), 1);
        let sid = |r: &RecordBatch| {
            r.column_by_name("ga_session_id")
                .unwrap()
                .as_any()
                .downcast_ref::<datafusion::arrow::array::Int64Array>()
                .unwrap()
                .value(0)
        };
        assert_eq!(sid(&a), 1792563654);
        assert_eq!(sid(&b), 1792563654);
    }

    #[test]
    fn missing_fields_are_reasons() {
        let e = decode(r#"{"event_date":"20261021","event_name":"x"}"#).unwrap_err();
        assert!(e.contains("event_timestamp"), "{e}");
        let e = decode(r#"{"event_timestamp":"12x","event_name":"x"}"#).unwrap_err();
        assert!(e.contains("12x"), "{e}");
    }
}
