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
use datafusion::datasource::MemTable;
use datafusion::parquet::arrow::ArrowWriter;
use datafusion::prelude::{ParquetReadOptions, SessionContext};
use object_store::path::Path as ObjectPath;
use object_store::ObjectStoreExt;
use personas::config::{Pipeline, SourceConfig, SourceKind};
use personas::generate::GenerateOptions;
use personas::sources::{land, LandContext, SourceReport};
use personas::Error;
use serde_json::{json, Value};

use crate::util::servers::{free_port, HttpServer, Moto, Reply};
use crate::util::{read_parquet, run_date, walk, Fixture};

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
            Some((_, dir)) => ctx
                .register_parquet(
                    kind.raw_table(),
                    &format!("{}/", dir.display()),
                    ParquetReadOptions::default(),
                )
                .await
                .unwrap(),
            None => {
                let table =
                    MemTable::try_new(personas::sources::empty_raw_schema(kind), vec![vec![]])
                        .unwrap();
                ctx.register_table(kind.raw_table(), Arc::new(table))
                    .unwrap();
            }
        }
    }
    let sql = Path::new(env!("CARGO_MANIFEST_DIR")).join("sql");
    let models = personas::transform::discover(&sql).unwrap();
    personas::transform::run(&ctx, &models, run_date(), &[])
        .await
        .unwrap();
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
    let fx = Fixture::generated(&GenerateOptions {
        contacts: 60,
        events_per_contact: 4.0,
        ..Default::default()
    });
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

/// Active users by level of one GA4 demographic or tech report.
const AGES: [(&str, u32); 7] = [
    ("18-24", 1184),
    ("25-34", 3306),
    ("35-44", 2711),
    ("45-54", 1452),
    ("55-64", 630),
    ("65+", 214),
    ("unknown", 977),
];
const GENDERS: [(&str, u32); 3] = [("female", 4213), ("male", 5507), ("unknown", 754)];
const DEVICES: [(&str, u32); 3] = [("desktop", 6911), ("mobile", 3290), ("tablet", 273)];

/// A GA4 UI CSV export of one dimension: comments, then a header and one row per level, each
/// metric derived from active users; `extra` rows are appended as written.
fn ga4_report(title: &str, dimension: &str, levels: &[(&str, u32)], extra: &[&str]) -> String {
    let mut s = format!(
        "# ----------------------------------------\n# {title}\n# Account: StackPilot\n# Property: stackpilot.io - GA4\n# ----------------------------------------\n#\n# All Users\n# Start date: 20261021\n# End date: 20261119\n{dimension},Active users,New users,Engaged sessions,Engagement rate\n"
    );
    for (level, users) in levels {
        let engaged = users * 13 / 10;
        s.push_str(&format!(
            "{level},{users},{},{engaged},{:.4}\n",
            users * 2 / 3,
            f64::from(engaged) / f64::from(users * 2)
        ));
    }
    for row in extra {
        s.push_str(row);
        s.push('\n');
    }
    s
}

/// The report files of the tests: age (with a row that cannot be typed), gender, device (with
/// a totals row) and a channel report with a second table; returns the rejected line's text.
fn write_ga4_reports(dir: &Path) -> Vec<PathBuf> {
    std::fs::create_dir_all(dir).unwrap();
    let total: u32 = DEVICES.iter().map(|(_, n)| n).sum();
    let files = [
        (
            "ga4_demographics_age.csv",
            ga4_report("Demographic details: Age", "Age", &AGES, &["(other),n/a,3,4,0.5"]),
        ),
        (
            "ga4_demographics_gender.csv",
            ga4_report("Demographic details: Gender", "Gender", &GENDERS, &[]),
        ),
        (
            "ga4_tech_device.csv",
            ga4_report(
                "Tech details: Device category",
                "Device category",
                &DEVICES,
                &[&format!("Total,{total},{},{},0.6", total * 2 / 3, total * 13 / 10)],
            ),
        ),
        (
            "ga4_traffic_acquisition.csv",
            "# ----------------------------------------\n# Sessions by channel\n# Start date: 20261021\n# End date: 20261119\n\nSession primary channel group (Default Channel Group),Sessions,Key events\nOrganic Search,5120,133\nDirect,2210,41\nPaid Social,1804,12\nReferral,733,9\nEmail,512,27\n,10379,222\n\n# Sessions over time\nNth day,Sessions\n0000,341\n0001,352\n".to_string(),
        ),
    ];
    files
        .iter()
        .map(|(name, body)| {
            let p = dir.join(name);
            std::fs::write(&p, body).unwrap();
            p
        })
        .collect()
}

/// Share of `level` among `levels`.
fn share(levels: &[(&str, u32)], level: &str) -> f64 {
    let total: u32 = levels.iter().map(|(_, n)| n).sum();
    let n = levels.iter().find(|(l, _)| *l == level).unwrap().1;
    f64::from(n) / f64::from(total)
}

#[tokio::test]
async fn ga4_report_lands_long_rows_and_feeds_the_audience() {
    let dir = tempfile::tempdir().unwrap();
    let files = write_ga4_reports(&dir.path().join("reports"));
    let report = land_files(&source("ga4_report"), files, &dir.path().join("landed")).unwrap();
    let data_rows = AGES.len() + 1 + GENDERS.len() + DEVICES.len() + 1 + 6 + 2;
    assert_eq!(report.counts.read as usize, data_rows);
    assert_eq!(report.counts.rejected, 1);
    let reject = &report.rejects[0];
    assert_eq!(
        (reject.file.as_str(), reject.line, reject.raw.as_str()),
        ("ga4_demographics_age.csv", 18, "(other),n/a,3,4,0.5")
    );
    assert!(
        reject
            .reason
            .contains("column \"Active users\": \"n/a\" is not a number"),
        "{}",
        reject.reason
    );

    let rows = landed(&report);
    let metrics_per_row = 4;
    let expected = (AGES.len() + GENDERS.len() + DEVICES.len() + 1) * metrics_per_row + 6 * 2 + 2;
    assert_eq!(rows.num_rows(), expected);
    let (dim, level, metric, value) = (
        text(&rows, "dimension"),
        text(&rows, "level"),
        text(&rows, "metric"),
        numbers(&rows, "value"),
    );
    let at = (0..rows.num_rows())
        .find(|&i| {
            level[i].as_deref() == Some("25-34") && metric[i].as_deref() == Some("Active users")
        })
        .unwrap();
    assert_eq!(dim[at].as_deref(), Some("Age"));
    assert_eq!(value[at], Some(3306.0));
    assert_eq!(text(&rows, "start_date")[at].as_deref(), Some("2026-10-21"));
    assert_eq!(text(&rows, "end_date")[at].as_deref(), Some("2026-11-19"));
    assert_eq!(
        text(&rows, "report")[at].as_deref(),
        Some("Demographic details: Age")
    );
    assert_eq!(text(&rows, "_source_line")[at].as_deref(), Some("12"));
    let totals = text(&rows, "is_total")
        .iter()
        .filter(|t| t.as_deref() == Some("true"))
        .count();
    assert_eq!(
        totals,
        metrics_per_row + 2,
        "the device total and the channel total"
    );

    let shares = audience(&[(SourceKind::Ga4Report, report.landed_dir.as_path())]).await;
    let get = |d: &str, l: &str| shares.get(&("ga4".into(), d.into(), l.into())).copied();
    assert!(close(
        get("age_band", "25-34").unwrap(),
        share(&AGES, "25-34")
    ));
    assert!(close(
        get("gender", "female").unwrap(),
        share(&GENDERS, "female")
    ));
    assert!(close(
        get("main_device", "mobile").unwrap(),
        share(&DEVICES, "mobile")
    ));
    let dims: std::collections::BTreeSet<&str> =
        shares.keys().map(|(_, d, _)| d.as_str()).collect();
    assert_eq!(
        dims.into_iter().collect::<Vec<_>>(),
        ["age_band", "gender", "main_device"],
        "channel groups and days describe no feature column"
    );
}

// LinkedIn follower statistics.

/// Organic and paid followers by seniority id.
const SENIORITIES: [(u32, i64, i64); 10] = [
    (1, 12, 0),
    (2, 31, 1),
    (3, 412, 8),
    (4, 986, 21),
    (5, 644, 15),
    (6, 337, 9),
    (7, 121, 4),
    (8, 92, 2),
    (9, 17, 0),
    (10, 63, 1),
];
const STAFF: [(&str, i64); 9] = [
    ("SIZE_1", 21),
    ("SIZE_2_TO_10", 148),
    ("SIZE_11_TO_50", 302),
    ("SIZE_51_TO_200", 417),
    ("SIZE_201_TO_500", 311),
    ("SIZE_501_TO_1000", 204),
    ("SIZE_1001_TO_5000", 383),
    ("SIZE_5001_TO_10000", 152),
    ("SIZE_10001_OR_MORE", 402),
];
const INDUSTRY_IDS: [(u32, i64); 6] = [
    (4, 911),
    (6, 297),
    (96, 508),
    (43, 203),
    (41, 148),
    (9999, 44),
];
const GEOS: [(u64, i64); 4] = [
    (103644278, 902),
    (101165590, 311),
    (101282230, 247),
    (90009, 52),
];

/// Entries of [`follower_statistics`]: one association type, three functions, and the tables.
fn linkedin_entries() -> usize {
    1 + SENIORITIES.len() + 3 + INDUSTRY_IDS.len() + STAFF.len() + GEOS.len()
}

/// An `organizationalEntityFollowerStatistics` response, with one entry whose count is not a
/// number.
fn follower_statistics() -> Value {
    let counts = |organic: i64, paid: i64| json!({"organicFollowerCount": organic, "paidFollowerCount": paid});
    json!({
        "paging": {"start": 0, "count": 10, "links": []},
        "elements": [{
            "followerCountsByAssociationType": [
                {"associationType": "EMPLOYEE", "followerCounts": counts(58, 0)}
            ],
            "followerCountsBySeniority": SENIORITIES.iter()
                .map(|(id, o, p)| json!({"seniority": format!("urn:li:seniority:{id}"), "followerCounts": counts(*o, *p)}))
                .collect::<Vec<_>>(),
            "followerCountsByFunction": [
                {"function": "urn:li:function:8", "followerCounts": counts(1204, 30)},
                {"function": "urn:li:function:13", "followerCounts": counts(702, 11)},
                {"function": "urn:li:function:25", "followerCounts": {"organicFollowerCount": "n/a", "paidFollowerCount": 2}}
            ],
            "followerCountsByIndustry": INDUSTRY_IDS.iter()
                .map(|(id, n)| json!({"industry": format!("urn:li:industry:{id}"), "followerCounts": counts(*n, 0)}))
                .collect::<Vec<_>>(),
            "followerCountsByStaffCountRange": STAFF.iter()
                .map(|(r, n)| json!({"staffCountRange": r, "followerCounts": counts(*n, 0)}))
                .collect::<Vec<_>>(),
            "followerCountsByGeoCountry": GEOS.iter()
                .map(|(id, n)| json!({"geo": format!("urn:li:geo:{id}"), "followerCounts": counts(*n, 0)}))
                .collect::<Vec<_>>(),
            "organizationalEntity": "urn:li:organization:2414183"
        }]
    })
}

#[tokio::test]
async fn linkedin_follower_statistics_land_labelled_and_feed_the_audience() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("follower_statistics.json");
    std::fs::write(
        &path,
        serde_json::to_vec_pretty(&follower_statistics()).unwrap(),
    )
    .unwrap();
    let report = land_files(
        &source("linkedin_follower_statistics"),
        vec![path],
        &dir.path().join("landed"),
    )
    .unwrap();
    let entries = linkedin_entries();
    assert_eq!(
        (report.counts.read as usize, report.counts.rejected),
        (entries, 1)
    );
    let reject = &report.rejects[0];
    assert_eq!(reject.file, "follower_statistics.json");
    assert!(
        reject
            .reason
            .starts_with("elements[0].followerCountsByFunction[2]: organicFollowerCount"),
        "{}",
        reject.reason
    );
    assert!(reject.raw.contains("urn:li:function:25"), "{}", reject.raw);

    let rows = landed(&report);
    assert_eq!(rows.num_rows(), entries - 1);
    let labels: BTreeMap<String, String> = text(&rows, "urn")
        .into_iter()
        .zip(text(&rows, "label"))
        .map(|(u, l)| (u.unwrap(), l.unwrap()))
        .collect();
    for (urn, label) in [
        ("urn:li:seniority:8", "CXO"),
        ("urn:li:seniority:4", "Senior"),
        ("urn:li:function:8", "Engineering"),
        ("urn:li:industry:96", "Information Technology and Services"),
        ("urn:li:industry:9999", "urn:li:industry:9999"),
        ("urn:li:geo:101165590", "United Kingdom"),
        ("SIZE_501_TO_1000", "201-1000"),
    ] {
        assert_eq!(labels[urn], label, "{urn}");
    }
    assert!(text(&rows, "organization")
        .iter()
        .all(|o| o.as_deref() == Some("urn:li:organization:2414183")));

    let shares = audience(&[(
        SourceKind::LinkedinFollowerStatistics,
        report.landed_dir.as_path(),
    )])
    .await;
    let get = |d: &str, l: &str| shares[&("linkedin".to_string(), d.to_string(), l.to_string())];
    let followers = |ids: &[u32]| -> i64 {
        SENIORITIES
            .iter()
            .filter(|(id, ..)| ids.contains(id))
            .map(|(_, o, p)| o + p)
            .sum()
    };
    let all = followers(&[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]) as f64;
    assert!(close(
        get("job_seniority", "executive"),
        followers(&[8, 9, 10]) as f64 / all
    ));
    assert!(close(
        get("job_seniority", "director"),
        followers(&[6, 7]) as f64 / all
    ));
    assert!(close(
        get("job_seniority", "individual_contributor"),
        followers(&[4]) as f64 / all
    ));
    let staff: i64 = STAFF.iter().map(|(_, n)| n).sum();
    assert!(close(
        get("company_size", "201-1000"),
        (311 + 204) as f64 / staff as f64
    ));
    assert!(close(
        get("company_size", "5001+"),
        (152 + 402) as f64 / staff as f64
    ));
    let industries: i64 = INDUSTRY_IDS.iter().map(|(_, n)| n).sum();
    assert!(close(
        get("industry", "Computer Software"),
        911.0 / industries as f64
    ));
    assert!(close(get("industry", "unknown"), 44.0 / industries as f64));
    let geos: i64 = GEOS.iter().map(|(_, n)| n).sum();
    assert!(close(get("country", "United States"), 902.0 / geos as f64));
    assert!(
        !shares
            .keys()
            .any(|(_, d, _)| d == "function" || d == "association_type"),
        "facets without a feature column stay out of the mart"
    );
}

// Mailchimp zip, and the new sources in a whole run.

/// Zip the generator's Mailchimp files as Mailchimp delivers them (plus macOS metadata), with
/// a row whose email is not an email appended to the unsubscribed file.
fn mailchimp_zip(fx: &Fixture, zip_path: &Path) -> Vec<(String, Vec<u8>)> {
    let mut members = Vec::new();
    let mut files = walk(&fx.path("data/mailchimp"));
    files.sort();
    for f in files {
        let name = f.file_name().unwrap().to_string_lossy().to_string();
        let mut body = std::fs::read(&f).unwrap();
        if name.starts_with("unsubscribed") {
            let columns = String::from_utf8_lossy(&body)
                .lines()
                .next()
                .unwrap()
                .split(',')
                .count();
            body.extend_from_slice(format!("not-an-email{}\n", ",".repeat(columns - 1)).as_bytes());
            std::fs::write(&f, &body).unwrap();
        }
        members.push((name, body));
    }
    let mut zip = zip::ZipWriter::new(std::fs::File::create(zip_path).unwrap());
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, body) in &members {
        zip.start_file(name.as_str(), options).unwrap();
        zip.write_all(body).unwrap();
    }
    zip.start_file("__MACOSX/._subscribed_members_export_x.csv", options)
        .unwrap();
    zip.write_all(b"\x00\x05\x16\x07").unwrap();
    zip.finish().unwrap();
    members
}

#[test]
fn mailchimp_zip_lands_like_its_csvs() {
    let fx = Fixture::generated(&GenerateOptions {
        contacts: 80,
        events_per_contact: 2.0,
        ..Default::default()
    });
    let zip_path = fx.path("data/members_export_5f3a9c.zip");
    let members = mailchimp_zip(&fx, &zip_path);
    let src = source("mailchimp_members");
    let mut csvs = walk(&fx.path("data/mailchimp"));
    csvs.sort();
    let from_csv = land_files(&src, csvs, &fx.path("landed/csv")).unwrap();
    let from_zip = land_files(&src, vec![zip_path], &fx.path("landed/zip")).unwrap();
    assert_eq!(from_csv.counts, from_zip.counts);
    assert_eq!(from_zip.counts.rejected, 1);
    let unsub = members
        .iter()
        .find(|(n, _)| n.starts_with("unsubscribed"))
        .unwrap();
    let reject = &from_zip.rejects[0];
    assert_eq!(
        reject.file,
        format!("members_export_5f3a9c.zip!/{}", unsub.0)
    );
    let last_line = String::from_utf8_lossy(&unsub.1).lines().count() as u64;
    assert_eq!(reject.line, last_line);
    assert!(reject.reason.contains("not-an-email"), "{}", reject.reason);

    let (a, b) = (landed(&from_csv), landed(&from_zip));
    assert_eq!(a.schema(), b.schema());
    for (i, field) in a.schema().fields().iter().enumerate() {
        match field.name().as_str() {
            "_source_file" => {
                let a = text(&a, "_source_file");
                let b = text(&b, "_source_file");
                for (x, y) in a.iter().zip(&b) {
                    assert_eq!(
                        y.as_deref().unwrap(),
                        format!("members_export_5f3a9c.zip!/{}", x.as_deref().unwrap())
                    );
                }
            }
            "_loaded_at" => {}
            name => assert!(a.column(i) == b.column(i), "column {name} differs"),
        }
    }
    // A zip without a CSV is an input error naming the archive.
    let empty = fx.path("data/empty.zip");
    let mut zip = zip::ZipWriter::new(std::fs::File::create(&empty).unwrap());
    zip.start_file("README.txt", zip::write::SimpleFileOptions::default())
        .unwrap();
    zip.write_all(b"exported from Mailchimp").unwrap();
    zip.finish().unwrap();
    let err = land_files(&src, vec![empty], &fx.path("landed/empty")).unwrap_err();
    assert!(
        err.to_string().contains("empty.zip") && err.to_string().contains("README.txt"),
        "{err}"
    );
}

#[test]
fn personas_are_compared_with_the_web_and_linkedin_audiences() {
    let fx = Fixture::generated(&GenerateOptions {
        contacts: 300,
        events_per_contact: 4.0,
        ..Default::default()
    });
    write_ga4_reports(&fx.path("data/ga4_reports"));
    std::fs::create_dir_all(fx.path("data/linkedin")).unwrap();
    std::fs::write(
        fx.path("data/linkedin/follower_statistics.json"),
        follower_statistics().to_string(),
    )
    .unwrap();
    mailchimp_zip(&fx, &fx.path("data/members_export_5f3a9c.zip"));
    let config = std::fs::read_to_string(&fx.config).unwrap().replace(
        "data/mailchimp/*_members_export_*.csv",
        "data/members_export_5f3a9c.zip",
    );
    let config = format!(
        "{config}\n[[sources]]\nname = \"web_reports\"\nkind = \"ga4_report\"\npath = \"data/ga4_reports/*.csv\"\nmax_reject_pct = 10\n\n[[sources]]\nname = \"linkedin\"\nkind = \"linkedin_follower_statistics\"\npath = \"data/linkedin/follower_statistics.json\"\nmax_reject_pct = 10\n"
    );
    std::fs::write(&fx.config, config).unwrap();
    // `validate` checks each new input in place: the zip's members, each report, the response.
    let rt = tokio::runtime::Runtime::new().unwrap();
    let pipeline = Pipeline::load(&fx.config).unwrap();
    let checked = rt
        .block_on(personas::sources::validate::report(&pipeline))
        .unwrap();
    for expected in [
        "members_export_5f3a9c.zip: zip of 3 CSVs, all required columns present",
        "ga4_tech_device.csv: report \"Tech details: Device category\": dimension \"Device category\"",
        format!("follower_statistics.json: {} entries", linkedin_entries()).as_str(),
    ] {
        assert!(checked.contains(expected), "{expected:?} not in\n{checked}");
    }
    let report = fx.run().unwrap();
    let counts = |name: &str| {
        report
            .sources
            .iter()
            .find(|s| s.name == name)
            .unwrap()
            .counts
    };
    assert_eq!(counts("email").rejected, 1);
    assert_eq!(counts("web_reports").rejected, 1);
    assert_eq!(counts("linkedin").rejected, 1);

    // What the run compared each persona with: the audience of the source that has the trait.
    let landing = |table: &str| fx.path(&format!("out/landing/{table}/run_date=2026-11-20"));
    let shares = rt.block_on(audience(&[
        (SourceKind::Ga4Report, landing("raw_ga4__report").as_path()),
        (
            SourceKind::LinkedinFollowerStatistics,
            landing("raw_linkedin__follower_statistics").as_path(),
        ),
        (
            SourceKind::MetaPageInsights,
            landing("raw_meta__page_insights").as_path(),
        ),
    ]));
    let traits = read_parquet(&fx.path("out/persona_traits/run_date=2026-11-20/part-0.parquet"));
    let mut compared = BTreeMap::new();
    for b in &traits {
        let (f, l, s) = (
            text(b, "feature"),
            text(b, "level"),
            numbers(b, "audience_share"),
        );
        for i in 0..b.num_rows() {
            if let (Some(f), Some(l), Some(s)) = (&f[i], &l[i], s[i]) {
                compared.insert((f.clone(), l.clone()), s);
            }
        }
    }
    let expect = |source: &str, dim: &str, level: &str| {
        let want = shares[&(source.to_string(), dim.to_string(), level.to_string())];
        let got = compared.get(&(dim.to_string(), level.to_string()));
        assert!(
            got.is_some_and(|g| close(*g, want)),
            "{dim}={level}: {got:?} vs {source} {want}"
        );
    };
    expect("linkedin", "job_seniority", "executive");
    expect("linkedin", "company_size", "1-10");
    expect("ga4", "main_device", "desktop");
    // Meta and GA4 both count genders; the social audience's share is the one kept.
    assert!(shares.contains_key(&("ga4".into(), "gender".into(), "female".into())));
    expect("meta", "gender", "female");
}

// `personas validate` on remote sources.

#[tokio::test]
async fn validate_reaches_s3_lists_files_and_checks_headers() {
    let fx = Fixture::generated(&GenerateOptions {
        contacts: 40,
        events_per_contact: 2.0,
        ..Default::default()
    });
    let zip_path = fx.path("members_export_5f3a9c.zip");
    mailchimp_zip(&fx, &zip_path);
    let reports = write_ga4_reports(&fx.path("reports"));
    let mut ga4_days = walk(&fx.path("data/ga4"));
    ga4_days.sort();
    let extract = fx.path("events_20261120.parquet");
    write_extract(
        &std::fs::read(ga4_days.last().unwrap()).unwrap(),
        bigquery_schema(DataType::Int64),
        &extract,
    );
    let moto = Moto::start();
    let bucket = "validate-exports";
    let s3 = moto.bucket(bucket).await;
    let objects = [
        ("crm/contacts.csv", fx.crm_export()),
        ("email/members_export_5f3a9c.zip", zip_path),
        ("web/events_20261120.parquet", extract),
        ("reports/ga4_demographics_age.csv", reports[0].clone()),
        ("reports/ga4_tech_device.csv", reports[2].clone()),
    ];
    let mut sizes = BTreeMap::new();
    for (key, file) in &objects {
        let body = std::fs::read(file).unwrap();
        sizes.insert(*key, body.len());
        s3.put(&ObjectPath::from(*key), body.into()).await.unwrap();
    }
    let linkedin = follower_statistics().to_string();
    let http = HttpServer::start(vec![Reply::ok(linkedin.as_bytes())]);
    let store = |endpoint: &str| {
        format!("[sources.store]\nendpoint = \"{endpoint}\"\npath_style = true\nallow_http = true\nretries = 1\ntimeout_secs = 5\n")
    };
    let config = |endpoint: &str, crm_key: &str| {
        format!(
            "name = \"remote\"\noutput_dir = \"out\"\n\n\
[[sources]]\nname = \"crm\"\nkind = \"hubspot_contacts\"\npath = \"s3://{bucket}/{crm_key}\"\n{s}\n\
[[sources]]\nname = \"email\"\nkind = \"mailchimp_members\"\npath = \"s3://{bucket}/email/*.zip\"\n{s}\n\
[[sources]]\nname = \"web\"\nkind = \"ga4_events\"\npath = \"s3://{bucket}/web/events_*.parquet\"\n{s}\n\
[[sources]]\nname = \"reports\"\nkind = \"ga4_report\"\npath = \"s3://{bucket}/reports/*.csv\"\n{s}\n\
[[sources]]\nname = \"linkedin\"\nkind = \"linkedin_follower_statistics\"\npath = \"{}\"\n",
            http.url("/linkedin/follower_statistics.json"),
            s = store(endpoint),
        )
    };
    let path = fx.path("remote.toml");
    let pipeline = Pipeline::parse(&config(&moto.endpoint, "crm/contacts.csv"), &path).unwrap();
    let out = personas::sources::validate::report(&pipeline)
        .await
        .unwrap();
    let line = |key: &str| {
        let origin = format!("s3://{bucket}/{key} ({} bytes): ", sizes[key]);
        out.lines()
            .find(|l| l.trim_start().starts_with(&origin))
            .unwrap_or_else(|| panic!("no line for {origin} in\n{out}"))
            .to_string()
    };
    assert!(
        line("crm/contacts.csv").ends_with("columns, all required ones present"),
        "{out}"
    );
    let zip = line("email/members_export_5f3a9c.zip");
    assert!(
        zip.contains("zip of 3 CSVs")
            && zip.contains("members_export_5f3a9c.zip!/subscribed_members_export_"),
        "{zip}"
    );
    assert!(
        line("web/events_20261120.parquet").contains("GA4 event columns present"),
        "{out}"
    );
    assert!(
        line("reports/ga4_tech_device.csv").contains("dimension \"Device category\""),
        "{out}"
    );
    assert!(
        out.contains("source reports    ga4_report: 2 files"),
        "{out}"
    );
    assert!(out.contains("follower_statistics.json"), "{out}");
    assert!(
        out.contains(&format!("{} entries", linkedin_entries())),
        "{out}"
    );
    assert_eq!(http.seen().len(), 1);
    assert!(!fx.path("out").exists(), "validate wrote nothing");

    // A CSV without a required column fails as it would locally, naming the object.
    let mut broken = std::fs::read_to_string(fx.crm_export()).unwrap();
    broken = broken.replacen("\"Email\",", "\"E-mail\",", 1);
    s3.put(
        &ObjectPath::from("crm/broken.csv"),
        broken.into_bytes().into(),
    )
    .await
    .unwrap();
    let pipeline = Pipeline::parse(&config(&moto.endpoint, "crm/broken.csv"), &path).unwrap();
    let err = personas::sources::validate::report(&pipeline)
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::MissingColumn { ref column, .. } if column == "Email"),
        "{err}"
    );
    assert!(
        err.to_string()
            .contains("s3://validate-exports/crm/broken.csv"),
        "{err}"
    );

    // An endpoint where nothing listens is the run's Unreachable error.
    let dead = format!("http://127.0.0.1:{}", free_port());
    let pipeline = Pipeline::parse(&config(&dead, "crm/contacts.csv"), &path).unwrap();
    let err = personas::sources::validate::report(&pipeline)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Unreachable { .. }), "{err}");
    assert_eq!(err.exit_code(), 4);
    assert!(
        err.to_string()
            .contains(&format!("s3://{bucket}/crm/contacts.csv")),
        "{err}"
    );
}
