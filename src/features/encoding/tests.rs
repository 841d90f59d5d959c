//! Tests of the encodings: SQL literals and quoting read back by DataFusion, and every design
//! column computed by its SQL from the raw feature model, bit for bit the design matrix's value.

use std::collections::HashMap;
use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, AsArray, Float64Array, Int64Array, StringArray};
use datafusion::arrow::datatypes::{DataType, Float64Type};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::prelude::SessionContext;

use super::*;
use crate::config::{CriteriaSpec, Criterion, CriterionGroup, FeaturesConfig};
use crate::features::{design, load};

/// The values of a one-row `SELECT` of expressions, each a `DOUBLE`.
async fn select(ctx: &SessionContext, exprs: &[String]) -> Vec<f64> {
    let cols: Vec<String> = (exprs.iter().enumerate())
        .map(|(j, e)| format!("{e} AS c{j}"))
        .collect();
    let sql = format!("SELECT {}", cols.join(", "));
    let batches = ctx.sql(&sql).await.unwrap().collect().await.unwrap();
    (batches[0].columns().iter())
        .map(|c| {
            assert_eq!(c.data_type(), &DataType::Float64, "{sql}");
            c.as_primitive::<Float64Type>().value(0)
        })
        .collect()
}

/// Doubles of every kind: signed zeros, integers, thirds, the extremes, and random bits.
fn samples() -> Vec<f64> {
    let mut v = vec![
        0.0,
        -0.0,
        1.0,
        -1.5,
        0.1,
        1.0 / 3.0,
        1e16,
        1e15,
        1e-7,
        5e-324,
    ];
    v.extend([123_456_789.125, -2.5e-300, 9_007_199_254_740_993.0]);
    v.extend([f64::MIN_POSITIVE, f64::MAX, f64::MIN]);
    let mut s: u64 = 0x9E37_79B9_7F4A_7C15;
    while v.len() < 200 {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        let x = f64::from_bits(s);
        if x.is_finite() {
            v.push(x);
        }
    }
    v
}

#[test]
fn float_literals_parse_back_to_the_same_bits() {
    for v in samples() {
        let s = sql_f64(v);
        let bare = s.trim_start_matches('(').trim_end_matches(')');
        assert!(bare.contains(['.', 'e']), "{s} reads as an integer");
        assert_eq!(v.is_sign_negative(), s.starts_with("(-"), "{s}");
        let back: f64 = bare.parse().unwrap();
        assert_eq!(back.to_bits(), v.to_bits(), "{v:?} printed {s}");
    }
}

#[tokio::test]
async fn datafusion_reads_float_literals_as_the_same_doubles() {
    let ctx = SessionContext::new();
    let mut values = samples();
    values.extend([f64::INFINITY, f64::NEG_INFINITY]);
    let exprs: Vec<String> = values.iter().map(|v| sql_f64(*v)).collect();
    let got = select(&ctx, &exprs).await;
    for (v, g) in values.iter().zip(&got) {
        assert_eq!(
            g.to_bits(),
            v.to_bits(),
            "{v:?} as {} read {g:?}",
            sql_f64(*v)
        );
    }
    // In arithmetic too (a negative literal is not taken for a subtraction).
    let got = select(&ctx, &[format!("2.0 * {}", sql_f64(-0.75))]).await;
    assert_eq!(got[0], -1.5);
    let nan = select(&ctx, &[sql_f64(f64::NAN)]).await;
    assert!(nan[0].is_nan());
}

#[tokio::test]
async fn identifiers_and_strings_are_quoted() {
    assert_eq!(sql_ident("a\"b c"), "\"a\"\"b c\"");
    assert_eq!(sql_str("it's"), "'it''s'");
    let ctx = SessionContext::new();
    let sql = format!(
        "SELECT {} AS {}, {} AS plain",
        sql_str("it's \\s"),
        sql_ident("we\"ird col"),
        sql_str("")
    );
    let batches = ctx.sql(&sql).await.unwrap().collect().await.unwrap();
    let b = &batches[0];
    assert_eq!(b.schema().field(0).name(), "we\"ird col");
    let text = datafusion::arrow::compute::cast(b.column(0), &DataType::Utf8).unwrap();
    assert_eq!(text.as_string::<i32>().value(0), "it's \\s");
}

/// A feature model of 120 contacts with every case the encodings read: an integer with nulls
/// and outliers, a log-transformed float with a negative, NaN, infinities, a tiny and a huge
/// value, a symmetric column (mean exactly 0, signed zeros), a constant, a categorical with
/// nulls, blank and Unicode-blank values, a rare level, a quote and a real `other`, and a
/// multi-valued column.
fn model() -> RecordBatch {
    let n = 120;
    let ids: Vec<i64> = (0..n).map(|i| (i * 7919 % 1000 + 1) as i64).collect();
    let emails: Vec<Option<String>> = (0..n).map(|i| Some(format!("c{i}@x.org"))).collect();
    let visits: Vec<Option<i64>> = (0..n)
        .map(|i| match i {
            50 => Some(1_000_000),
            51 => Some(-40_000),
            _ if i % 10 == 3 => None,
            _ => Some((i % 13) as i64),
        })
        .collect();
    let dup: Vec<Option<i64>> = (visits.iter().enumerate())
        .map(|(i, v)| v.map(|_| (i * i % 17) as i64))
        .collect();
    let revenue: Vec<Option<f64>> = (0..n)
        .map(|i| match i {
            7 => Some(-5.0),
            8 => Some(f64::NAN),
            9 => Some(f64::INFINITY),
            10 => Some(f64::NEG_INFINITY),
            11 => None,
            12 => Some(-0.0),
            13 => Some(1e-300),
            14 => Some(1e-10),
            15 => Some(1e300),
            _ => Some((i as f64 * 37.3) % 1000.0 + 0.01 * i as f64),
        })
        .collect();
    let sym: Vec<Option<f64>> = (0..n)
        .map(|i| Some([-1.5, 1.5, -0.0, 0.0][i % 4] * (1 + i / 4 % 3) as f64))
        .collect();
    let flat: Vec<Option<f64>> = vec![Some(2.0); n];
    let industry: Vec<Option<&str>> = (0..n)
        .map(|i| match i {
            5 => Some("   "),
            6 => Some("\u{3000}\t"),
            100 => Some("Rare"),
            101 => Some(" Banking "),
            _ if i % 17 == 0 => None,
            _ if i % 9 == 0 => Some("O'Reilly"),
            _ => Some(["Banking", "Retail", "Tech", "other"][i % 4]),
        })
        .collect();
    let tags: Vec<Option<&str>> = (0..n)
        .map(|i| {
            [
                Some("Promo; VIP"),
                Some(" vip ,"),
                None,
                Some(""),
                Some("promo"),
                Some("a.b;C++"),
                Some("x ΑΣ;VIP2"),
                Some(";;"),
                Some("Promo,promo ; a.b"),
            ][i % 9]
        })
        .collect();
    let country: Vec<Option<&str>> = vec![Some("FR"); n];
    let cols: Vec<(&str, ArrayRef)> = vec![
        ("contact_id", Arc::new(Int64Array::from(ids))),
        ("email", Arc::new(StringArray::from(emails))),
        ("visits", Arc::new(Int64Array::from(visits))),
        ("dup", Arc::new(Int64Array::from(dup))),
        ("revenue", Arc::new(Float64Array::from(revenue))),
        ("sym", Arc::new(Float64Array::from(sym))),
        ("flat", Arc::new(Float64Array::from(flat))),
        ("industry", Arc::new(StringArray::from(industry))),
        ("tags", Arc::new(StringArray::from(tags))),
        ("country", Arc::new(StringArray::from(country))),
    ];
    RecordBatch::try_from_iter(cols).unwrap()
}

fn col(c: &str) -> Criterion {
    Criterion::Column(c.into())
}

fn group(name: &str, columns: &[&str], weight: f64) -> Criterion {
    Criterion::Group(CriterionGroup {
        name: name.into(),
        columns: columns.iter().map(|c| c.to_string()).collect(),
        weight: Some(weight),
    })
}

/// Each contact's values of `encodings` by their SQL over the feature model `model`, keyed by
/// contact id (the query's row order is not the feature table's).
pub(crate) async fn by_sql(
    ctx: &SessionContext,
    model: &str,
    encodings: &[Encoding],
) -> HashMap<String, Vec<f64>> {
    let sql = format!(
        "SELECT CAST(contact_id AS VARCHAR) AS id{} FROM {}",
        (encodings.iter().enumerate())
            .map(|(j, e)| format!(", {} AS c{j}", e.sql()))
            .collect::<String>(),
        sql_ident(model)
    );
    let mut out = HashMap::new();
    for b in ctx.sql(&sql).await.unwrap().collect().await.unwrap() {
        let ids = datafusion::arrow::compute::cast(b.column(0), &DataType::Utf8).unwrap();
        let ids = ids.as_string::<i32>();
        for i in 0..b.num_rows() {
            let values = (b.columns()[1..].iter())
                .map(|c| {
                    assert_eq!(c.data_type(), &DataType::Float64);
                    assert!(c.is_valid(i), "a NULL encoding for {}", ids.value(i));
                    c.as_primitive::<Float64Type>().value(i)
                })
                .collect();
            out.insert(ids.value(i).to_string(), values);
        }
    }
    out
}

/// Check that the SQL of each of `encodings` gives, for the feature-table rows `rows`, the
/// values `expected[j][i]` (column `j`, row `i`) bit for bit.
pub(crate) fn compare(
    t: &FeatureTable,
    rows: &[usize],
    encodings: &[Encoding],
    expected: &[Vec<f64>],
    sql: &HashMap<String, Vec<f64>>,
) {
    for (j, e) in encodings.iter().enumerate() {
        for (i, &r) in rows.iter().enumerate() {
            let id = &t.contact_ids[r];
            let got = sql[id][j];
            let want = expected[j][i];
            assert_eq!(
                got.to_bits(),
                want.to_bits(),
                "column {j} {}, contact {id} (row {r}, matrix row {i}): SQL {got:?}, \
                 matrix {want:?}\nSQL: {}",
                e.name(),
                e.sql()
            );
        }
    }
}

fn config(criteria: &[Criterion]) -> FeaturesConfig {
    FeaturesConfig {
        criteria: Some(CriteriaSpec::List(criteria.to_vec())),
        log_numeric: vec!["revenue".into()],
        multi: vec!["tags".into()],
        describe: vec![],
        rare_level_pct: 5.0,
        ..FeaturesConfig::default()
    }
}

#[tokio::test]
async fn every_design_column_is_its_sql_bit_for_bit() {
    let ctx = SessionContext::new();
    ctx.register_batch("int_contact_features", model()).unwrap();
    let criteria = [
        col("visits"),
        col("revenue"),
        col("industry"),
        col("tags"),
        col("country"),
        col("flat"),
        group("web", &["visits", "dup", "sym"], 2.0),
        group("weightless", &["sym"], 0.0),
    ];
    let cfg = config(&criteria);
    let t = load(&ctx, &cfg, &[], |_| Ok(())).await.unwrap();
    let sql_all = by_sql(&ctx, &cfg.model, &[]).await;
    assert_eq!(sql_all.len(), t.len());
    let all: Vec<usize> = (0..t.len()).collect();
    // A subset, in another order: its own statistics.
    let some: Vec<usize> = (0..t.len()).rev().filter(|i| i % 3 != 1).collect();
    for rows in [&all, &some] {
        let d = design(&t, rows, &criteria, &cfg).unwrap();
        assert_eq!(d.encodings.len(), d.matrix.ncols());
        let names: Vec<String> = d.encodings.iter().map(Encoding::name).collect();
        assert_eq!(names, d.columns);
        for want in [
            "visits_missing",
            "industry=other",
            "industry=unknown",
            "industry=O'Reilly",
            "tags:vip",
            "tags:vip2",
            "tags:a.b",
            "tags:c++",
            "tags:x ας",
        ] {
            assert!(
                d.columns.iter().any(|c| c == want),
                "{want}: {:?}",
                d.columns
            );
        }
        assert!(!d.columns.iter().any(|c| c == "industry=Rare"));
        assert_eq!(
            d.columns.iter().filter(|c| *c == "dup_missing").count(),
            0,
            "dup is missing as visits is: one indicator in the group"
        );
        let columns: Vec<Vec<f64>> = d.matrix.columns().into_iter().map(|c| c.to_vec()).collect();
        // The matrix is the encodings evaluated.
        for (e, c) in d.encodings.iter().zip(&columns) {
            let v = e.values(&t, rows).unwrap();
            assert!(
                v.iter().zip(c).all(|(a, b)| a.to_bits() == b.to_bits()),
                "{}",
                e.name()
            );
        }
        let sql = by_sql(&ctx, &cfg.model, &d.encodings).await;
        compare(&t, rows, &d.encodings, &columns, &sql);
        // The signed zeros: a weight of 0 keeps the sign of a negative value, and a symmetric
        // column's -0.0 stays -0.0.
        let j = d.columns.iter().rposition(|c| c == "sym").unwrap();
        assert!(columns[j]
            .iter()
            .any(|v| v.to_bits() == (-0.0f64).to_bits()));
    }
}

/// A table of one numeric column `z`, one categorical `cat`, loaded.
async fn tiny(z: &[Option<f64>], cat: &[Option<&str>]) -> (SessionContext, FeatureTable) {
    let ctx = SessionContext::new();
    let n = z.len() as i64;
    let batch = RecordBatch::try_from_iter(vec![
        (
            "contact_id",
            Arc::new(Int64Array::from_iter_values(1..=n)) as ArrayRef,
        ),
        (
            "email",
            Arc::new(StringArray::from(vec![None::<&str>; z.len()])),
        ),
        ("z", Arc::new(Float64Array::from(z.to_vec()))),
        ("cat", Arc::new(StringArray::from(cat.to_vec()))),
    ])
    .unwrap();
    ctx.register_batch("m", batch).unwrap();
    let cfg = FeaturesConfig {
        model: "m".into(),
        criteria: Some(CriteriaSpec::List(vec![col("z"), col("cat")])),
        describe: vec![],
        ..FeaturesConfig::default()
    };
    let t = load(&ctx, &cfg, &[], |_| Ok(())).await.unwrap();
    (ctx, t)
}

#[tokio::test]
async fn encodings_not_fitted_here_are_their_sql_too() {
    let z = [
        Some(-0.0),
        Some(0.0),
        Some(-3.0),
        Some(2.0),
        None,
        Some(0.5),
    ];
    let cat = [
        Some("a"),
        Some("other"),
        None,
        Some("b"),
        Some(" "),
        Some("c"),
    ];
    let (ctx, t) = tiny(&z, &cat).await;
    let numeric = |lo: f64, hi: f64, mean: f64, scale: f64| Encoding::Numeric {
        column: "z".into(),
        log: false,
        lo,
        hi,
        mean,
        sd: 1.0,
        scale,
    };
    let level = |level: &str, kept: &[&str]| Encoding::Level {
        column: "cat".into(),
        level: level.into(),
        kept: kept.iter().map(|k| k.to_string()).collect(),
        scale: 0.75,
    };
    let encodings = vec![
        // Zero bounds: -0.0 is not below 0.0 (IEEE), though DataFusion orders it first.
        numeric(0.0, 1.0, 0.0, 1.0),
        numeric(-0.0, 0.0, 0.0, 1.0),
        numeric(-1.0, -0.0, 0.0, 2.0),
        // Bounds the wrong way round: clamped to `lo`, then to `hi`.
        numeric(1.0, -1.0, 0.25, 1.0),
        numeric(-5.0, 5.0, 0.5, 0.0),
        Encoding::Missing {
            column: "z".into(),
            scale: 0.5,
        },
        level("a", &["a", "other"]),
        level("other", &["a", "other"]),
        level("other", &["a"]),
        level("other", &[]),
        level("b", &[]),
        level("unknown", &["unknown"]),
        level("c", &["a"]),
    ];
    let rows: Vec<usize> = (0..t.len()).collect();
    let expected: Vec<Vec<f64>> = (encodings.iter())
        .map(|e| e.values(&t, &rows).unwrap())
        .collect();
    assert_eq!(expected[0][0].to_bits(), (-0.0f64).to_bits());
    assert_eq!(expected[1][0].to_bits(), (-0.0f64).to_bits());
    assert_eq!(expected[8], [0.0, 0.75, 0.75, 0.75, 0.75, 0.75]);
    for (r, &i) in rows.iter().enumerate() {
        assert_eq!(
            encodings[0].value(&t, i).unwrap().to_bits(),
            expected[0][r].to_bits()
        );
    }
    let sql = by_sql(&ctx, "m", &encodings).await;
    compare(&t, &rows, &encodings, &expected, &sql);
}
