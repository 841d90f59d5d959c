//! The assignment terms run by DataFusion against their Rust counterparts: distances bit for
//! bit, the tie rules of each choice, bins, and the bucket conditions of each split.

use datafusion::arrow::array::{Array, AsArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Float64Type};
use datafusion::prelude::SessionContext;
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256Plus;

use super::terms::{argmax, argmin, bin, largest, sq_dist, sql_f64};
use super::*;
use crate::cluster::latent::{Code, Parameters, Rules};
use crate::config::BucketsConfig;
use crate::features::Encoding;

/// The first column of `select`'s rows, as text.
async fn values(select: &str) -> Vec<Option<String>> {
    let ctx = SessionContext::new();
    let batches = ctx.sql(select).await.unwrap().collect().await.unwrap();
    let mut out = Vec::new();
    for b in &batches {
        let c = cast(b.column(0), &DataType::Utf8).unwrap();
        let c = c.as_string::<i32>();
        out.extend((0..c.len()).map(|i| c.is_valid(i).then(|| c.value(i).to_string())));
    }
    out
}

/// The value of `SELECT <expr>`, as a `DOUBLE`.
async fn one_f64(expr: &str) -> f64 {
    let ctx = SessionContext::new();
    let b = &ctx
        .sql(&format!("SELECT {expr}"))
        .await
        .unwrap()
        .collect()
        .await
        .unwrap()[0];
    let v = cast(b.column(0), &DataType::Float64).unwrap();
    v.as_primitive::<Float64Type>().value(0)
}

/// The value of `SELECT <expr>`, an integer.
async fn one_i64(expr: &str) -> i64 {
    one_f64(expr).await as i64
}

#[tokio::test]
async fn distances_are_the_rust_ones_bit_for_bit() {
    let mut rng = Xoshiro256Plus::seed_from_u64(3);
    for d in 0..11 {
        let a: Vec<f64> = (0..d)
            .map(|_| rng.gen_range(-3.0..3.0) * 1e-3_f64.powi(rng.gen_range(0..3)))
            .collect();
        let b: Vec<f64> = (0..d).map(|_| rng.gen_range(-3.0..3.0)).collect();
        let cols: Vec<String> = a.iter().map(|v| sql_f64(*v)).collect();
        let sql = one_f64(&sq_dist(&cols, &b)).await;
        let rust = super::super::rows::sq_dist(&a, &b);
        assert_eq!(sql.to_bits(), rust.to_bits(), "d = {d}: {sql} vs {rust}");
    }
}

#[tokio::test]
async fn choices_break_ties_as_the_rust_ones_do() {
    let lits = |v: &[f64]| v.iter().map(|x| sql_f64(*x)).collect::<Vec<_>>();
    // k-means assignment and the E-step: the first of equal best; a categorical's level
    // (`max_by`): the last of equal largest.
    assert_eq!(one_i64(&argmin(&lits(&[2.0, 1.0, 1.0, 3.0]))).await, 1);
    assert_eq!(one_i64(&argmax(&lits(&[2.0, 5.0, 5.0, 3.0]))).await, 1);
    assert_eq!(one_i64(&largest(&lits(&[0.0, 0.0, 0.0]))).await, 2);
    assert_eq!(one_i64(&largest(&lits(&[0.0, 0.7, 0.0]))).await, 1);
    assert_eq!(one_i64(&argmin(&lits(&[4.0]))).await, 0);
}

#[tokio::test]
async fn bins_count_the_edges_at_most_the_value_and_missing_is_its_own() {
    let edges = [-1.0, 0.0, 2.5];
    for (v, want) in [(-2.0, 0), (-1.0, 1), (0.5, 2), (2.5, 3), (9.0, 3)] {
        let got = one_i64(&bin(&sql_f64(v), &["0.0".into()], &edges)).await;
        assert_eq!(got, want, "{v}");
        let rust = edges.partition_point(|e| *e <= v) as i64;
        assert_eq!(got, rust);
    }
    assert_eq!(
        one_i64(&bin("1.0", &["0.0".into(), "0.3".into()], &edges)).await,
        4
    );
}

/// The contacts `filter` keeps among `(id, value)` rows of a column `roles`.
async fn kept(filter: &str, rows: &[(&str, Option<&str>)]) -> Vec<String> {
    let lit = |v: Option<&str>| v.map_or("CAST(NULL AS VARCHAR)".into(), crate::features::sql_str);
    let values: Vec<String> = (rows.iter())
        .map(|(id, v)| format!("({}, {})", crate::features::sql_str(id), lit(*v)))
        .collect();
    let sql = format!(
        "SELECT id FROM (SELECT column1 AS id, column2 AS roles FROM (VALUES {})) WHERE {filter} ORDER BY id",
        values.join(", ")
    );
    values_of(&sql).await
}

async fn values_of(sql: &str) -> Vec<String> {
    values(sql).await.into_iter().flatten().collect()
}

#[tokio::test]
async fn role_buckets_are_the_splits() {
    let cfg: BucketsConfig = toml::from_str(
        "column = \"roles\"\nbuyer = [\"Decision Maker\", \"Budget Holder\"]\nuser = [\"End User\"]\nunmapped = \"user\"",
    )
    .unwrap();
    let rows = [
        ("a", Some("decision maker")),
        ("b", Some(" End User ;Budget Holder")),
        ("c", Some("Champion")),
        ("d", None),
        ("e", Some("End Users")),
        ("f", Some("End User")),
    ];
    let buyers = kept(&bucket_filter(&cfg, "buyer", true), &rows).await;
    // ASCII case is ignored, not the rest (as `eq_ignore_ascii_case`)
    let umlaut: BucketsConfig =
        toml::from_str("column = \"roles\"\nbuyer = [\"Einkäufer\"]\nuser = [\"End User\"]")
            .unwrap();
    let names = [
        ("g", Some("EINKäUFER")),
        ("h", Some("EINKÄUFER")),
        ("i", Some("Einkäufer")),
    ];
    assert_eq!(
        kept(&bucket_filter(&umlaut, "buyer", true), &names).await,
        ["g", "i"]
    );
    let users = kept(&bucket_filter(&cfg, "user", true), &rows).await;
    assert_eq!(buyers, ["a", "b"]);
    assert_eq!(users, ["b", "c", "d", "e", "f"]);
}

#[tokio::test]
async fn value_and_region_buckets_are_the_splits() {
    let rows = [
        ("a", Some("Germany")),
        ("b", Some(" germany ")),
        ("c", Some("France")),
        ("d", None),
        ("e", Some("  ")),
    ];
    let by_value: BucketsConfig = toml::from_str("column = \"roles\"").unwrap();
    let germany = kept(&bucket_filter(&by_value, "Germany", false), &rows).await;
    assert_eq!(germany, ["a", "b"]);
    let unknown = kept(&bucket_filter(&by_value, "unknown", false), &rows).await;
    assert_eq!(unknown, ["d", "e"]);
    let regions: BucketsConfig =
        toml::from_str("column = \"roles\"\nregions = { DACH = [\"GERMANY\", \"Austria\"] }")
            .unwrap();
    let dach = kept(&bucket_filter(&regions, "DACH", false), &rows).await;
    let other = kept(&bucket_filter(&regions, "other", false), &rows).await;
    assert_eq!(
        (dach, other),
        (
            vec!["a".into(), "b".into()],
            vec!["c".into(), "d".into(), "e".into()]
        )
    );
}

#[tokio::test]
async fn a_level_the_fit_never_saw_is_no_evidence() {
    // Two classes over one categorical fitted on levels a and b only (no `other` column): a
    // contact with level c has all indicators 0; it must not count as b (the last level).
    let level = |l: &str| Encoding::Level {
        column: "size".into(),
        level: l.into(),
        kept: vec!["a".into(), "b".into()],
        scale: 1.0,
    };
    let assignment = Assignment {
        encodings: vec![level("a"), level("b")],
        rule: Rule::Latent {
            rules: Rules {
                codes: vec![Code::Largest {
                    columns: vec![0, 1],
                    seen: true,
                }],
                shares: Vec::new(),
            },
            params: Parameters {
                log_share: vec![0.6f64.ln(), 0.4f64.ln()],
                tables: vec![vec![0.9f64.ln(), 0.1f64.ln(), 0.2f64.ln(), 0.8f64.ln()]],
            },
        },
        filter: None,
    };
    let ctx = SessionContext::new();
    ctx.sql(
        "CREATE TABLE m AS SELECT * FROM (VALUES ('1', 'a'), ('2', 'b'), ('3', 'c')) AS t(contact_id, size)",
    )
    .await
    .unwrap();
    let sql = format!(
        "SELECT CAST(persona AS DOUBLE) FROM ({}) ORDER BY contact_id",
        assignment.sql("m")
    );
    let batches = ctx.sql(&sql).await.unwrap().collect().await.unwrap();
    let got: Vec<f64> = batches
        .iter()
        .flat_map(|b| b.column(0).as_primitive::<Float64Type>().values().to_vec())
        .collect();
    // a: 0.6 * 0.9 against 0.4 * 0.2; b: 0.6 * 0.1 against 0.4 * 0.8; c: the shares alone
    // (coded as b it would be class 1).
    assert_eq!(got, [0.0, 1.0, 0.0]);
}
