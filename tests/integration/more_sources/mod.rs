//! Source kinds beyond the first end-to-end run: GA4 from Parquet, the GA4 report CSV, LinkedIn
//! follower statistics and Mailchimp's zip, and `personas validate` on remote sources. Every
//! fixture is written by code: the generator's exports turned into the other shapes (a BigQuery
//! Parquet extract, a zip), and small realistic reports and API responses.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::Utc;
use datafusion::arrow::array::{Array, AsArray, RecordBatch};
use datafusion::arrow::compute::{cast, concat_batches};
use datafusion::arrow::datatypes::{DataType, Field, Fields, Float64Type, Schema, SchemaRef};
use datafusion::arrow::json::ReaderBuilder;
use datafusion::parquet::arrow::ArrowWriter;
use datafusion::prelude::SessionContext;
use object_store::path::Path as ObjectPath;
use object_store::ObjectStoreExt;
use personas::config::{Pipeline, SourceConfig, SourceKind};
use personas::sources::{land, LandContext, SourceReport};
use personas::Error;
use serde_json::{json, Value};

use crate::util::servers::{free_port, HttpServer, Moto, Reply};
use crate::util::{read_parquet, register_landed, run_models, walk, Fixture};

// Helpers.

/// A source of `kind` as a config would declare it.
fn source(kind: &str) -> SourceConfig {
    toml::from_str(&format!(
        "name = \"{kind}\"\nkind = \"{kind}\"\npath = \"unused\"\n"
    ))
    .unwrap()
}

/// Land `files` as `src` into `dir`.
fn land_files(
    src: &SourceConfig,
    files: Vec<PathBuf>,
    dir: &Path,
) -> personas::Result<SourceReport> {
    land(&LandContext {
        source: src,
        files,
        landed_dir: dir.to_path_buf(),
        loaded_at: Utc::now(),
        hashes: Default::default(),
    })
}

/// Every landed row of a report, as one batch.
fn landed(report: &SourceReport) -> RecordBatch {
    let mut parts: Vec<PathBuf> = walk(&report.landed_dir);
    parts.sort();
    let batches: Vec<RecordBatch> = parts.iter().flat_map(|p| read_parquet(p)).collect();
    concat_batches(&batches[0].schema(), &batches).unwrap()
}

fn text(batch: &RecordBatch, column: &str) -> Vec<Option<String>> {
    let c = cast(batch.column_by_name(column).unwrap(), &DataType::Utf8).unwrap();
    let c = c.as_string::<i32>();
    (0..c.len())
        .map(|i| c.is_valid(i).then(|| c.value(i).to_string()))
        .collect()
}

fn numbers(batch: &RecordBatch, column: &str) -> Vec<Option<f64>> {
    let c = cast(batch.column_by_name(column).unwrap(), &DataType::Float64).unwrap();
    let c = c.as_primitive::<Float64Type>();
    (0..c.len())
        .map(|i| c.is_valid(i).then(|| c.value(i)))
        .collect()
}

/// `social_audience` rows as (source, dimension, level) -> share, after every SQL model ran over
/// the given landed tables (and empty ones for every other kind), as in a run.
async fn audience(landed: &[(SourceKind, &Path)]) -> BTreeMap<(String, String, String), f64> {
    let ctx = SessionContext::new();
    for kind in SourceKind::ALL {
        match landed.iter().find(|(k, _)| *k == kind) {
            Some((_, dir)) => register_landed(&ctx, kind, dir).await,
            None => personas::transform::register_empty_raw_table(&ctx, kind, &[]).unwrap(),
        }
    }
    run_models(&ctx).await;
    let batches = ctx
        .table("social_audience")
        .await
        .unwrap()
        .collect()
        .await
        .unwrap();
    let mut out = BTreeMap::new();
    for b in &batches {
        let (s, d, l, share) = (
            text(b, "source"),
            text(b, "dimension"),
            text(b, "level"),
            numbers(b, "share"),
        );
        for i in 0..b.num_rows() {
            if let (Some(s), Some(d), Some(l), Some(v)) = (&s[i], &d[i], &l[i], share[i]) {
                out.insert((s.clone(), d.clone(), l.clone()), v);
            }
        }
    }
    out
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

// GA4 from Parquet.

/// The GA4 BigQuery export's nested schema (the columns we read, and two we do not).
fn bigquery_schema(timestamp: DataType) -> SchemaRef {
    let s = |n: &str| Field::new(n, DataType::Utf8, true);
    let strukt = |n: &str, f: Vec<Field>| Field::new(n, DataType::Struct(Fields::from(f)), true);
    let value = strukt(
        "value",
        vec![
            s("string_value"),
            Field::new("int_value", DataType::Int64, true),
            Field::new("float_value", DataType::Float64, true),
            Field::new("double_value", DataType::Float64, true),
        ],
    );
    let param = DataType::Struct(Fields::from(vec![s("key"), value]));
    Arc::new(Schema::new(vec![
        s("event_date"),
        Field::new("event_timestamp", timestamp, true),
        s("event_name"),
        Field::new(
            "event_params",
            DataType::List(Arc::new(Field::new("element", param, true))),
            true,
        ),
        s("user_id"),
        s("user_pseudo_id"),
        strukt(
            "device",
            vec![
                s("category"),
                s("operating_system"),
                strukt("web_info", vec![s("browser")]),
            ],
        ),
        strukt("geo", vec![s("country"), s("region"), s("city")]),
        strukt("traffic_source", vec![s("name"), s("medium"), s("source")]),
        strukt(
            "ecommerce",
            vec![
                Field::new("purchase_revenue", DataType::Float64, true),
                s("transaction_id"),
            ],
        ),
        s("stream_id"),
        s("platform"),
    ]))
}

/// Events as newline-delimited JSON, written as a nested Parquet file (a BigQuery extract).
fn write_extract(ndjson: &[u8], schema: SchemaRef, out: &Path) {
    let reader = ReaderBuilder::new(schema.clone()).build(ndjson).unwrap();
    let batches: Vec<RecordBatch> = reader.map(|b| b.unwrap()).collect();
    let mut writer =
        ArrowWriter::try_new(std::fs::File::create(out).unwrap(), schema, None).unwrap();
    for b in &batches {
        writer.write(b).unwrap();
    }
    writer.close().unwrap();
}

#[test]
fn ga4_parquet_extract_lands_the_same_rows_as_ndjson() {
    let fx = Fixture::sample(60, 4.0);
    let mut json_files: Vec<PathBuf> = walk(&fx.path("data/ga4"));
    json_files.sort();
    let extracts = fx.path("extract");
    std::fs::create_dir_all(&extracts).unwrap();
    let parquet_files: Vec<PathBuf> = json_files
        .iter()
        .map(|f| {
            let out = extracts.join(f.with_extension("parquet").file_name().unwrap());
            write_extract(
                &std::fs::read(f).unwrap(),
                bigquery_schema(DataType::Int64),
                &out,
            );
            out
        })
        .collect();

    let src = source("ga4_events");
    let from_json = land_files(&src, json_files.clone(), &fx.path("landed/json")).unwrap();
    let from_parquet = land_files(&src, parquet_files, &fx.path("landed/parquet")).unwrap();
    assert_eq!(from_json.counts, from_parquet.counts);
    assert!(from_parquet.counts.read > 100, "{:?}", from_parquet.counts);
    assert_eq!(
        from_parquet.counts.rejected, 0,
        "{:?}",
        from_parquet.rejects
    );

    let (a, b) = (landed(&from_json), landed(&from_parquet));
    assert_eq!(a.schema(), b.schema(), "the raw table schema is the same");
    assert_eq!(a.num_rows(), b.num_rows());
    for (i, field) in a.schema().fields().iter().enumerate() {
        match field.name().as_str() {
            "_source_file" => {
                let files = text(&b, "_source_file");
                assert!(files
                    .iter()
                    .all(|f| f.as_deref().unwrap().ends_with(".parquet")));
            }
            "_loaded_at" => {}
            name => assert!(
                a.column(i) == b.column(i),
                "column {name} differs between the NDJSON and the Parquet landing"
            ),
        }
    }
    // Not vacuous: sessions, pages, devices and purchases made it through the nesting.
    for column in [
        "ga_session_id",
        "page_location",
        "device_browser",
        "purchase_revenue",
    ] {
        assert!(
            b.column_by_name(column).unwrap().null_count() < b.num_rows(),
            "{column} is all null"
        );
    }
}

#[test]
fn ga4_parquet_rows_that_cannot_be_typed_are_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let event = |ts: &str, name: &str| {
        format!(
            r#"{{"event_date":"20261120","event_timestamp":{ts},"event_name":"{name}","event_params":[{{"key":"page_location","value":{{"string_value":"https://stackpilot.io/pricing/plans"}}}},{{"key":"ga_session_id","value":{{"int_value":"1792563654"}}}}],"user_id":"1042","user_pseudo_id":"1730.52","device":{{"category":"desktop","web_info":{{"browser":"Chrome"}}}},"geo":{{"country":"Germany","city":"Berlin"}}}}"#
        )
    };
    let events = [
        event("1792563654000428", "page_view"),
        event("null", "page_view"),
        event("1792563655000000", ""),
        event("1792563656000000", "scroll"),
    ]
    .join("\n");
    let typed = dir.path().join("events_20261120.parquet");
    write_extract(events.as_bytes(), bigquery_schema(DataType::Int64), &typed);
    // A tool that wrote the timestamp as text, one of them not a number.
    let texts = [
        event("\"1792563657000000\"", "page_view"),
        event("\"12x\"", "page_view"),
    ]
    .join("\n");
    let as_text = dir.path().join("events_20261121.parquet");
    write_extract(texts.as_bytes(), bigquery_schema(DataType::Utf8), &as_text);

    let src = source("ga4_events");
    let report = land_files(
        &src,
        vec![typed, as_text.clone()],
        &dir.path().join("landed"),
    )
    .unwrap();
    assert_eq!(
        (
            report.counts.read,
            report.counts.accepted,
            report.counts.rejected
        ),
        (6, 3, 3)
    );
    let r = &report.rejects;
    assert_eq!(
        (r[0].file.as_str(), r[0].line),
        ("events_20261120.parquet", 2)
    );
    assert!(
        r[0].reason.contains("\"event_timestamp\" is missing"),
        "{}",
        r[0].reason
    );
    let raw: Value = serde_json::from_str(&r[0].raw).unwrap();
    assert_eq!(raw["user_id"], "1042");
    assert_eq!(
        raw["event_params"][0]["value"]["string_value"],
        "https://stackpilot.io/pricing/plans"
    );
    assert_eq!(r[1].line, 3);
    assert!(
        r[1].reason.contains("\"event_name\" is missing"),
        "{}",
        r[1].reason
    );
    assert_eq!(
        (r[2].file.as_str(), r[2].line),
        ("events_20261121.parquet", 2)
    );
    assert!(
        r[2].reason
            .contains("column \"event_timestamp\": \"12x\" is not an integer"),
        "{}",
        r[2].reason
    );
    let rows = landed(&report);
    assert_eq!(
        text(&rows, "_source_line"),
        [Some("1".into()), Some("4".into()), Some("1".into())]
    );
    assert_eq!(numbers(&rows, "ga_session_id")[0], Some(1792563654.0));

    // A file without the columns every event needs fails before any row, naming it.
    let no_name = dir.path().join("events_20261122.parquet");
    let schema = Arc::new(Schema::new(vec![Field::new(
        "event_timestamp",
        DataType::Int64,
        true,
    )]));
    write_extract(b"{\"event_timestamp\":1}", schema, &no_name);
    let err = land_files(&src, vec![no_name.clone()], &dir.path().join("landed2")).unwrap_err();
    assert!(
        matches!(err, Error::MissingColumn { ref column, .. } if column == "event_name"),
        "{err}"
    );
    assert!(err.to_string().contains("events_20261122.parquet"), "{err}");

    // `validate` reads the footer and the first row only, and fails the same way.
    let checked = personas::sources::check_file(&src, &as_text).unwrap();
    assert!(
        checked.contains("first row reads as a GA4 event"),
        "{checked}"
    );
    let err = personas::sources::check_file(&src, &no_name).unwrap_err();
    assert!(matches!(err, Error::MissingColumn { .. }), "{err}");
}

// GA4 report CSVs.

mod audiences;
mod zip_and_remote;
