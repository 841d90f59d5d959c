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
///
/// A visitor rather than an untagged enum: serde tries an untagged enum's variants one by one on
/// a buffered copy of the value and formats an error for each that fails, which cost a tenth of
/// the GA4 decode (about four integers an event).
fn int_or_string<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<Option<i64>, D::Error> {
    d.deserialize_any(Lenient::<i64>::default())
}

/// [`int_or_string`] for a FLOAT64 (purchase revenue).
fn float_or_string<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<Option<f64>, D::Error> {
    d.deserialize_any(Lenient::<f64>::default())
}

/// `v` as an INT64 if it is a whole number in range (the JSON decoder and the Parquet
/// extract alike); `as` would saturate, so out-of-range floats are refused first.
pub(super) fn whole_number(v: f64) -> Option<i64> {
    (v.fract() == 0.0 && v >= i64::MIN as f64 && v < i64::MAX as f64).then_some(v as i64)
}

/// A number as JSON writes it or as a string holding it, or null; `T` is what it must be.
#[derive(Default)]
struct Lenient<T>(std::marker::PhantomData<T>);

/// What [`Lenient`] can make a value of.
trait LenientNumber: Sized + std::str::FromStr {
    /// What the error calls a value of this type.
    const WHAT: &'static str;
    fn from_i64(v: i64) -> Option<Self>;
    fn from_u64(v: u64) -> Option<Self>;
    fn from_f64(v: f64) -> Option<Self>;
}

impl LenientNumber for i64 {
    const WHAT: &'static str = "an integer";
    fn from_i64(v: i64) -> Option<i64> {
        Some(v)
    }
    fn from_u64(v: u64) -> Option<i64> {
        i64::try_from(v).ok()
    }
    fn from_f64(v: f64) -> Option<i64> {
        whole_number(v)
    }
}

impl LenientNumber for f64 {
    const WHAT: &'static str = "a number";
    fn from_i64(v: i64) -> Option<f64> {
        Some(v as f64)
    }
    fn from_u64(v: u64) -> Option<f64> {
        Some(v as f64)
    }
    fn from_f64(v: f64) -> Option<f64> {
        Some(v)
    }
}

/// The number made of the JSON number `v`, or the error saying `v` is not a `T`.
fn made<T: LenientNumber, E: serde::de::Error>(
    made: Option<T>,
    v: impl std::fmt::Display,
) -> std::result::Result<Option<T>, E> {
    made.map(Some)
        .ok_or_else(|| E::custom(format!("{v} is not {}", T::WHAT)))
}

impl<'de, T: LenientNumber> serde::de::Visitor<'de> for Lenient<T> {
    type Value = Option<T>;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        write!(f, "{}, as a number or a string, or null", T::WHAT)
    }

    fn visit_i64<E: serde::de::Error>(self, v: i64) -> std::result::Result<Option<T>, E> {
        made(T::from_i64(v), v)
    }

    fn visit_u64<E: serde::de::Error>(self, v: u64) -> std::result::Result<Option<T>, E> {
        made(T::from_u64(v), v)
    }

    fn visit_f64<E: serde::de::Error>(self, v: f64) -> std::result::Result<Option<T>, E> {
        made(T::from_f64(v), v)
    }

    fn visit_str<E: serde::de::Error>(self, s: &str) -> std::result::Result<Option<T>, E> {
        s.trim()
            .parse::<T>()
            .map(Some)
            .map_err(|_| E::custom(format!("{s:?} is not {}", T::WHAT)))
    }

    fn visit_none<E: serde::de::Error>(self) -> std::result::Result<Option<T>, E> {
        Ok(None)
    }

    fn visit_unit<E: serde::de::Error>(self) -> std::result::Result<Option<T>, E> {
        Ok(None)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> std::result::Result<Option<T>, D::Error> {
        d.deserialize_any(self)
    }
}

/// The event of one line of the export, or why it is not one.
///
/// A line of UTF-8 text is parsed as text: serde_json's reader of bytes checks each string it
/// reads as UTF-8 on its own, which cost a fifth of the decode (about ten strings an event);
/// `from_utf8` checks the line in one pass. A line that is not UTF-8 goes to that reader
/// (the same events and reasons as before for every line: it skips the strings of fields the
/// event does not read without checking them).
pub(super) fn parse_event(line: &[u8]) -> std::result::Result<Event<'_>, String> {
    let event = match std::str::from_utf8(line) {
        Ok(text) => serde_json::from_str::<Event>(text),
        Err(_) => serde_json::from_slice::<Event>(line),
    };
    event.map_err(|e| format!("invalid GA4 event JSON: {e}"))
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
///
/// A line that lies whole in the reader's buffer is decoded where it lies; only one that
/// crosses the buffer's end is copied out first (with a buffer of 1 MiB, about one in a
/// thousand).
pub(super) fn for_each_line(
    mut reader: impl BufRead,
    mut each: impl FnMut(u64, std::result::Result<Event<'_>, String>, &[u8]) -> Result<()>,
) -> std::result::Result<(), LineError> {
    let mut line_no = 0u64;
    let mut decode = |text: &[u8]| -> Result<()> {
        line_no += 1;
        let text = text.trim_ascii();
        if text.is_empty() {
            return Ok(());
        }
        each(line_no, parse_event(text), text)
    };
    // The start of a line that crosses the buffer's end.
    let mut carried = Vec::new();
    loop {
        let chunk = reader.fill_buf().map_err(LineError::Read)?;
        if chunk.is_empty() {
            // The last line, when the file does not end with a newline.
            if !carried.is_empty() {
                decode(&carried).map_err(LineError::Sink)?;
            }
            return Ok(());
        }
        let mut start = 0;
        for end in memchr::memchr_iter(b'\n', chunk) {
            if carried.is_empty() {
                decode(&chunk[start..end]).map_err(LineError::Sink)?;
            } else {
                carried.extend_from_slice(&chunk[start..end]);
                decode(&carried).map_err(LineError::Sink)?;
                carried.clear();
            }
            start = end + 1;
        }
        carried.extend_from_slice(&chunk[start..]);
        let n = chunk.len();
        reader.consume(n);
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
    let event = parse_event(line).map_err(|e| bad(format!("line 1: {e}")))?;
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

    /// Lines read in place and lines that cross the buffer's end are the same lines, numbered
    /// alike: blank lines counted, CRLF trimmed, a last line without a newline kept.
    #[test]
    fn lines_across_the_buffer_end_are_whole() {
        let event = |n: u64| format!(r#"{{"event_timestamp":{n},"event_name":"e{n}"}}"#);
        let text = format!(
            "{}\n\n{}\r\n{}\n  \n{}",
            event(1),
            event(3),
            "not json",
            event(6)
        );
        for capacity in [1, 2, 7, 40, 41, 4096] {
            let reader = std::io::BufReader::with_capacity(capacity, text.as_bytes());
            let mut seen = Vec::new();
            for_each_line(reader, |line, ev, raw| {
                let ts = ev.map(|e| e.event_timestamp).map_err(|_| ());
                seen.push((line, ts, String::from_utf8_lossy(raw).into_owned()));
                Ok(())
            })
            .unwrap_or_else(|_| panic!("capacity {capacity}"));
            let want = vec![
                (1, Ok(Some(1)), event(1)),
                (3, Ok(Some(3)), event(3)),
                (4, Err(()), "not json".to_string()),
                (6, Ok(Some(6)), event(6)),
            ];
            assert_eq!(seen, want, "capacity {capacity}");
        }
    }

    /// A line that is not UTF-8 reads as it did through serde_json's reader of bytes: invalid
    /// bytes in a field the event does not read are skipped, in one it reads are a reason.
    #[test]
    fn lines_not_utf8_read_as_before() {
        let line = |head: &str| [head.as_bytes(), b"\xff\"}"].concat();
        let ignored = line(r#"{"event_timestamp":7,"platform":"WEB"#);
        let read = |l: &[u8]| parse_event(l).map(|e| e.event_timestamp);
        assert_eq!(read(&ignored), Ok(Some(7)));
        assert_eq!(read(br#"{"event_timestamp":"8"}"#), Ok(Some(8)));
        let named = line(r#"{"event_timestamp":7,"event_name":"page"#);
        let e = read(&named).unwrap_err();
        assert!(e.starts_with("invalid GA4 event JSON: "), "{e}");
    }

    #[test]
    fn numbers_as_numbers_strings_or_null() {
        let ts = |v: &str| {
            serde_json::from_str::<Event>(&format!(r#"{{"event_timestamp":{v}}}"#))
                .map(|e| e.event_timestamp)
                .map_err(|e| e.to_string())
        };
        assert_eq!(ts("17"), Ok(Some(17)));
        assert_eq!(ts("\" 17 \""), Ok(Some(17)));
        assert_eq!(ts("17.0"), Ok(Some(17)));
        assert_eq!(ts("null"), Ok(None));
        assert!(ts("17.5").unwrap_err().contains("17.5 is not an integer"));
        assert!(ts("1e300").unwrap_err().contains("is not an integer"));
        assert!(ts("18446744073709551615")
            .unwrap_err()
            .contains("is not an integer"));
        assert!(ts("true")
            .unwrap_err()
            .contains("an integer, as a number or a string"));
        let revenue = |v: &str| {
            serde_json::from_str::<Ecommerce>(&format!(r#"{{"purchase_revenue":{v}}}"#))
                .map(|e| e.purchase_revenue)
                .map_err(|e| e.to_string())
        };
        assert_eq!(revenue("12"), Ok(Some(12.0)));
        assert_eq!(revenue("\"12.5\""), Ok(Some(12.5)));
        assert!(revenue("\"x\"")
            .unwrap_err()
            .contains("\"x\" is not a number"));
    }

    #[test]
    fn missing_fields_are_reasons() {
        let e = decode(r#"{"event_date":"20261021","event_name":"x"}"#).unwrap_err();
        assert!(e.contains("event_timestamp"), "{e}");
        let e = decode(r#"{"event_timestamp":"12x","event_name":"x"}"#).unwrap_err();
        assert!(e.contains("12x"), "{e}");
    }
}
