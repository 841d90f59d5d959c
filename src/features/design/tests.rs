//! Tests of the design matrix: encoding, and criteria weights that do not depend on levels or
//! columns.

use super::*;
use crate::config::CriterionGroup;
use crate::features::{CategoricalColumn, NumericColumn};

fn num(name: &str, values: Vec<Option<f64>>) -> NumericColumn {
    NumericColumn {
        name: name.into(),
        values: values.into(),
        segments: true,
    }
}

fn cat(name: &str, values: &[&str]) -> CategoricalColumn {
    CategoricalColumn {
        name: name.into(),
        values: values.iter().map(|v| Level::from(*v)).collect(),
        segments: true,
    }
}

fn table() -> FeatureTable {
    FeatureTable {
        contact_ids: ["1", "2", "3", "4"].map(String::from).to_vec(),
        emails: vec![None; 4],
        numeric: vec![num(
            "sessions",
            vec![Some(1.0), Some(3.0), None, Some(1000.0)],
        )],
        categorical: vec![
            cat("role", &["a", "a", "b", "c"]),
            cat("country", &["x"; 4]),
        ],
        multi_raw: vec![],
    }
}

fn col(c: &str) -> Criterion {
    Criterion::Column(c.into())
}

fn group(name: &str, columns: &[&str], weight: Option<f64>) -> Criterion {
    Criterion::Group(CriterionGroup {
        name: name.into(),
        columns: columns.iter().map(|c| c.to_string()).collect(),
        weight,
    })
}

fn all(t: &FeatureTable) -> Vec<usize> {
    (0..t.len()).collect()
}

/// Total variance of the matrix columns of each criterion, in criteria order.
fn variances(d: &Design) -> Vec<f64> {
    d.criteria.iter().map(|c| c.variance).collect()
}

#[test]
fn design_standardises_imputes_and_one_hots() {
    let cfg = FeaturesConfig {
        rare_level_pct: 30.0,
        ..FeaturesConfig::default()
    };
    let d = design(
        &table(),
        &[0, 1, 2, 3],
        &[col("sessions"), col("role")],
        &cfg,
    )
    .unwrap();
    assert_eq!(
        d.columns,
        vec!["sessions", "sessions_missing", "role=a", "role=other"]
    );
    let s = d.matrix.column(0);
    assert!(s.sum().abs() < 1e-9, "standardised column has mean 0");
    assert_eq!(s[2], 0.0, "a missing value is imputed by the mean");
    let ind = d.matrix.column(1).to_vec();
    assert!(ind[2] > 0.0 && ind[0] == 0.0 && ind[1] == 0.0 && ind[3] == 0.0);
    let other = d.matrix.column(3).to_vec();
    assert_eq!(other[0], 0.0);
    assert!(other[2] > 0.0 && other[2] == other[3]);
}

#[test]
fn every_criterion_weighs_one_whatever_its_levels_or_columns() {
    let n = 600;
    let levels = |k: usize| -> Vec<String> { (0..n).map(|i| format!("l{}", i % k)).collect() };
    let mk = |k: usize, m: usize| {
        let two = levels(2);
        let many = levels(k);
        FeatureTable {
            contact_ids: (0..n).map(|i| i.to_string()).collect(),
            emails: vec![None; n],
            numeric: (0..m)
                .map(|j| {
                    num(
                        &format!("share_{j}"),
                        (0..n).map(|i| Some(((i * (j + 3)) % 17) as f64)).collect(),
                    )
                })
                .collect(),
            categorical: vec![
                cat(
                    "gender",
                    &two.iter().map(String::as_str).collect::<Vec<_>>(),
                ),
                cat(
                    "industry",
                    &many.iter().map(String::as_str).collect::<Vec<_>>(),
                ),
            ],
            multi_raw: vec![],
        }
    };
    let cfg = FeaturesConfig::default();
    for (k, m) in [(3, 2), (20, 2), (3, 7), (20, 7)] {
        let t = mk(k, m);
        let shares: Vec<String> = (0..m).map(|j| format!("share_{j}")).collect();
        let shares: Vec<&str> = shares.iter().map(String::as_str).collect();
        let criteria = [
            col("gender"),
            col("industry"),
            group("web", &shares, None),
            group("heavy", &["gender", "industry"], Some(2.5)),
        ];
        let d = design(&t, &all(&t), &criteria, &cfg).unwrap();
        let v = variances(&d);
        for (got, want) in v.iter().zip([1.0, 1.0, 1.0, 2.5]) {
            assert!(
                (got - want).abs() < 1e-9,
                "{k} levels, {m} columns: variances {v:?}"
            );
        }
        // The matrix says the same as the reported weights.
        let total: f64 = d
            .matrix
            .columns()
            .into_iter()
            .map(|c| variance_of(&c.to_vec()))
            .sum();
        assert!((total - 5.5).abs() < 1e-9, "{total}");
    }
}

#[test]
fn multi_valued_columns_are_one_block() {
    let mut t = table();
    t.categorical
        .push(cat("tags:a", &["yes", "no", "yes", "no"]));
    t.categorical
        .push(cat("tags:b", &["yes", "yes", "no", "no"]));
    let d = design(
        &t,
        &all(&t),
        &[col("tags"), col("role")],
        &FeaturesConfig::default(),
    )
    .unwrap();
    assert_eq!(d.criteria[0].encoded, 2);
    assert!((d.criteria[0].variance - 1.0).abs() < 1e-9);
    assert_eq!(d.family_names[d.families[0]], "tags");
}

#[test]
fn columns_missing_together_get_one_indicator() {
    let mut t = table();
    let mut twin = t.numeric[0].clone();
    twin.name = "pages".into();
    t.numeric.push(twin);
    let d = design(
        &t,
        &all(&t),
        &[group("web", &["sessions", "pages"], None)],
        &FeaturesConfig::default(),
    )
    .unwrap();
    assert_eq!(
        d.columns.iter().filter(|c| c.ends_with("_missing")).count(),
        1
    );
}

#[test]
fn constant_column_is_zero_not_nan() {
    let t = FeatureTable {
        contact_ids: vec!["0035g00000AbCdEAAZ".into(), "0035g00000AbCdFAAZ".into()],
        emails: vec![None, None],
        numeric: vec![num("x", vec![Some(2.0), Some(2.0)])],
        categorical: vec![],
        multi_raw: vec![],
    };
    let d = design(&t, &all(&t), &[col("x")], &FeaturesConfig::default()).unwrap();
    assert_eq!(d.matrix.column(0).to_vec(), vec![0.0, 0.0]);
}

#[test]
fn an_unknown_criterion_column_is_an_error() {
    let t = table();
    let e = design(&t, &all(&t), &[col("nope")], &FeaturesConfig::default()).unwrap_err();
    assert!(e.to_string().contains("nope"), "{e}");
}

#[test]
fn families_group_compositions() {
    for (column, family) in [
        ("share_medium_cpc", "medium"),
        ("share_docs_missing", "content"),
        ("share_mobile", "device"),
        ("page_views", "activity"),
        ("industry=Banking", "industry"),
        ("tags:promo", "tags"),
    ] {
        assert_eq!(family_of(column), family, "{column}");
    }
}
