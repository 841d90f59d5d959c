//! GA4 events: the event of the BigQuery export as serde reads it (INT64 values as JSON numbers
//! or strings, value structs compact or verbose), and the streaming decoder of the
//! newline-delimited JSON export (`events_YYYYMMDD*.json`): one Parquet part per file through
//! [`EventSink`](super::sink::EventSink), memory at one batch whatever the file size.

use std::borrow::Cow;
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::Path;

use chrono::{DateTime, Utc};
#[cfg(test)]
use datafusion::arrow::array::RecordBatch;
use serde::{Deserialize, Deserializer};

use super::sink::{Batch, EventSink};
use crate::error::{Error, Result};
use crate::landing::{Counts, Reject};
use crate::output::checksums::{HashingReader, ReadHashes};

/// One event of the export: the fields the landed table is made from.
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

/// Decode one NDJSON file into one Parquet part.
pub(super) fn land_file(
    path: &Path,
    out: &Path,
    loaded_at: DateTime<Utc>,
    hashes: &ReadHashes,
) -> Result<(Counts, Vec<Reject>)> {
    let file = File::open(path).map_err(|e| Error::io(path, e))?;
    // Hashed in the same pass: the manifest's checksum needs no second read of the file.
    let mut reader = BufReader::with_capacity(1 << 20, HashingReader::new(file));
    let mut sink = EventSink::create(path, out, loaded_at)?;
    for_each_line(&mut reader, |line, event, text| {
        sink.add(line, event, || Cow::Borrowed(text))
    })
    .map_err(|e| e.at(path))?;
    hashes.record(path, reader.into_inner().finish());
    sink.finish(&path.display().to_string())
}

/// Why [`for_each_line`] stopped.
pub(super) enum LineError {
    /// The input could not be read.
    Read(std::io::Error),
    /// The callback failed.
    Sink(Error),
}

impl LineError {
    /// The run's error, a read error naming `path`.
    fn at(self, path: impl AsRef<Path>) -> Error {
        match self {
            LineError::Read(e) => Error::io(path.as_ref(), e),
            LineError::Sink(e) => e,
        }
    }
}

/// Each non-blank line of an NDJSON export, in order: its number (from 1), its event or why it
/// is not one, and its text (trimmed).
pub(super) fn for_each_line(
    mut reader: impl BufRead,
    mut each: impl FnMut(u64, std::result::Result<Event<'_>, String>, &[u8]) -> Result<()>,
) -> std::result::Result<(), LineError> {
    let mut buf = Vec::with_capacity(4096);
    let mut line_no = 0u64;
    loop {
        buf.clear();
        let n = reader
            .read_until(b'\n', &mut buf)
            .map_err(LineError::Read)?;
        if n == 0 {
            return Ok(());
        }
        line_no += 1;
        let text = buf.trim_ascii();
        if text.is_empty() {
            continue;
        }
        let event = serde_json::from_slice::<Event>(text)
            .map_err(|e| format!("invalid GA4 event JSON: {e}"));
        each(line_no, event, text).map_err(LineError::Sink)?;
    }
}

/// Decodes an NDJSON export held in memory as [`land_file`] does, through the same
/// [`EventSink`], into Arrow batches instead of a Parquet part: what the fuzz harness
/// (`tooling::fuzz`) feeds random and mutated input to.
#[cfg(test)]
pub(crate) fn decode_bytes(
    bytes: &[u8],
    loaded_at: DateTime<Utc>,
) -> Result<(Counts, Vec<Reject>, Vec<RecordBatch>)> {
    const LABEL: &str = "fuzz.json";
    let mut sink = EventSink::with_part(Vec::new(), LABEL.into(), loaded_at);
    for_each_line(bytes, |line, event, text| {
        sink.add(line, event, || Cow::Borrowed(text))
    })
    .map_err(|e| e.at(LABEL))?;
    sink.close(LABEL)
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
    Batch::new(DateTime::UNIX_EPOCH)
        .push(&event, "", 1)
        .map_err(|e| bad(format!("line 1: {e}")))?;
    Ok("first event reads as a GA4 event".into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sources::ga4::schema;

    fn decode(line: &str) -> std::result::Result<RecordBatch, String> {
        let ev: Event = serde_json::from_str(line).map_err(|e| e.to_string())?;
        let mut b = Batch::new(DateTime::UNIX_EPOCH);
        b.push(&ev, "events_20261021.json", 1)?;
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
