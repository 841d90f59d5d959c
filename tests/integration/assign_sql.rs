//! Assigning contacts with the SQL each bucket's model generates (what a cluster runs over the
//! whole feature model) gives every fitted contact the persona the in-memory fit gave it: the
//! same contacts in each bucket, the same persona for each, on the sample, on designs of the
//! second generator (not the one the modelling was built on), on the null design, with k-means
//! alone, and with buckets by country. Each bucket's tally (what the profile reads) counted by
//! SQL aggregates over the contacts its SQL assigns is the one counted from its rows.

use std::collections::BTreeMap;
use std::path::Path;

use datafusion::arrow::array::{Array, AsArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Int64Type};
use datafusion::prelude::{ParquetReadOptions, SessionContext};
use personas::config::{Condition, NegativeRule, Pipeline, ProfileConfig};
use personas::pipeline::{self, RunOptions, RunReport};
use personas::profile::Tally;
use personas::tooling::generate::design::{design_config, generate_design, info, DesignOptions};

use crate::util::{block_on, run_date, sql_dir, strings, Fixture};

/// Each contact's persona by `sql`, run over the `contact_features` of the output folder `out`.
async fn assigned(out: &Path, sql: &str) -> BTreeMap<String, i64> {
    let ctx = SessionContext::new();
    let path = out.join("contact_features/run_date=2026-11-20/part-0.parquet");
    ctx.register_parquet(
        "int_contact_features",
        path.to_str().unwrap(),
        ParquetReadOptions::default(),
    )
    .await
    .unwrap();
    let batches = ctx.sql(sql).await.unwrap().collect().await.unwrap();
    let mut out = BTreeMap::new();
    for b in &batches {
        let ids = cast(b.column(0), &DataType::Utf8).unwrap();
        let ids = ids.as_string::<i32>();
        let persona = cast(b.column(1), &DataType::Int64).unwrap();
        let persona = persona.as_primitive::<Int64Type>();
        for i in 0..b.num_rows() {
            assert!(persona.is_valid(i), "no persona for {}", ids.value(i));
            out.insert(ids.value(i).to_string(), persona.value(i));
        }
    }
    out
}

/// Run `fx` and check every bucket's SQL against its in-memory labels; each bucket's name and
/// number of personas.
fn check(fx: &Fixture) -> Vec<(String, usize)> {
    check_run(&fx.run().unwrap())
}

/// Check every bucket's SQL of `report` against its in-memory labels.
fn check_run(report: &RunReport) -> Vec<(String, usize)> {
    let mut found = Vec::new();
    for bucket in &report.buckets {
        let sql = bucket.assignment.sql("int_contact_features");
        let by_sql = block_on(assigned(&report.output_dir, &sql));
        let in_memory: BTreeMap<String, i64> = (bucket.rows.iter().zip(&bucket.model.labels))
            .map(|(&r, &l)| (report.features.contact_ids[r].clone(), l as i64))
            .collect();
        assert_eq!(
            by_sql.len(),
            in_memory.len(),
            "bucket {}: the SQL assigned {} contacts, the fit {}",
            bucket.name,
            by_sql.len(),
            in_memory.len()
        );
        let differ: Vec<(&String, i64, Option<&i64>)> = (in_memory.iter())
            .filter(|(id, l)| by_sql.get(*id) != Some(l))
            .map(|(id, l)| (id, *l, by_sql.get(id)))
            .take(5)
            .collect();
        assert!(
            differ.is_empty(),
            "bucket {} (k = {}): contacts whose SQL persona differs (id, fit, SQL): {differ:?}",
            bucket.name,
            bucket.model.k
        );
        check_tally(report, bucket);
        found.push((bucket.name.clone(), bucket.model.k));
    }
    assert!(!found.is_empty());
    found
}

/// A negative rule on columns the table has: the first text column's most common level
/// (upper-cased: case is ignored), and above or below the median of the first numeric column.
fn rule_on(t: &personas::features::FeatureTable, match_: &str) -> NegativeRule {
    let mut conditions = Vec::new();
    if let Some(c) = t.categorical.first() {
        let mut counts = BTreeMap::<&str, usize>::new();
        (0..t.len()).for_each(|r| *counts.entry(&c.values[r]).or_default() += 1);
        let top = counts.into_iter().max_by_key(|(_, n)| *n).unwrap().0;
        conditions.push(Condition {
            column: c.name.clone(),
            in_: Some(vec![top.to_uppercase()]),
            above: None,
            below: None,
        });
    }
    if let Some(c) = t.numeric.first() {
        let mut v: Vec<f64> = c.values.iter().flatten().collect();
        v.sort_by(f64::total_cmp);
        let median = v.get(v.len() / 2).copied().unwrap_or(0.0);
        let any = match_ == "any";
        conditions.push(Condition {
            column: c.name.clone(),
            in_: None,
            above: any.then_some(median),
            below: (!any).then_some(median),
        });
    }
    NegativeRule {
        match_: match_.into(),
        conditions,
        ..NegativeRule::default()
    }
}

/// The bucket's tally by SQL (what a cluster counts) against the one from its rows in memory,
/// with the default negative rule and one on the table's own columns matching `any` or `all`
/// of its conditions: the same counts, and sums, means and spreads equal up to the order of
/// the additions.
fn check_tally(report: &RunReport, bucket: &personas::cluster::Bucket) {
    let t = &report.features;
    let rules = [
        (NegativeRule::default(), false),
        (rule_on(t, "any"), true),
        (rule_on(t, "all"), false),
    ];
    for (rule, must_meet) in rules {
        let match_ = rule.match_.clone();
        let cfg = ProfileConfig {
            negative: rule,
            ..ProfileConfig::default()
        };
        let in_memory = Tally::of_rows(t, &bucket.rows, &bucket.model.labels, bucket.model.k, &cfg);
        let ctx = SessionContext::new();
        let path = report
            .output_dir
            .join("contact_features/run_date=2026-11-20/part-0.parquet");
        let by_sql = block_on(async {
            ctx.register_parquet("features", path.to_str().unwrap(), Default::default())
                .await
                .unwrap();
            pipeline::tally_by_sql(&ctx, "features", t, bucket, &cfg).await
        })
        .unwrap();
        let what = format!("bucket {} (negative rule: {match_})", bucket.name);
        let close = |a: f64, b: f64| (a - b).abs() <= 1e-9 * (1.0 + a.abs().max(b.abs()));
        assert_eq!(by_sql.sizes, in_memory.sizes, "{what}");
        assert_eq!(by_sql.negative, in_memory.negative, "{what}");
        let met = in_memory
            .negative
            .as_ref()
            .is_some_and(|n| n.iter().any(|h| *h > 0));
        assert!(met || !must_meet, "{what}: the rule never met");
        assert_eq!(by_sql.categorical, in_memory.categorical, "{what}");
        let (a, b) = (&by_sql.held, &in_memory.held);
        assert!(
            a.iter().zip(b).all(|(a, b)| close(*a, *b)),
            "{what}: held {a:?} vs {b:?}"
        );
        assert_eq!(by_sql.numeric.len(), in_memory.numeric.len(), "{what}");
        for (s, m) in by_sql.numeric.iter().zip(&in_memory.numeric) {
            let col = format!("{what}, column {}", m.name);
            assert_eq!(s.name, m.name);
            assert!(
                close(s.mean, m.mean) && close(s.sd, m.sd),
                "{col}: {s:?} vs {m:?}"
            );
            for (a, b) in s
                .per
                .iter()
                .chain([&s.all])
                .zip(m.per.iter().chain([&m.all]))
            {
                assert_eq!(a.n, b.n, "{col}");
                assert!(
                    close(a.sum, b.sum) && close(a.sum_sq, b.sum_sq),
                    "{col}: {a:?} vs {b:?}"
                );
            }
        }
    }
}

/// The exports of the second generator's `design` with its pipeline config.
fn design_fixture(design: &str, contacts: usize) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    generate_design(
        &dir.path().join("data"),
        &DesignOptions {
            design: design.into(),
            contacts,
            events_per_contact: 4.0,
            ..DesignOptions::default()
        },
    )
    .unwrap();
    let config = dir.path().join("pipeline.toml");
    let text = design_config(info(design).unwrap(), "test", "data", "out", &sql_dir());
    std::fs::write(&config, text).unwrap();
    Fixture { dir, config }
}

#[test]
fn the_sample_pipelines_buyer_and_user_buckets_assign_by_sql_as_they_were_fitted() {
    let dir = tempfile::tempdir().unwrap();
    let config = Path::new(env!("CARGO_MANIFEST_DIR")).join("pipelines/sample.toml");
    let text = std::fs::read_to_string(&config).unwrap().replace(
        "output_dir = \"../out/sample\"",
        &format!("output_dir = {:?}", dir.path().display().to_string()),
    );
    let pipeline = Pipeline::parse(&text, &config).unwrap();
    let report = block_on(pipeline::run(&pipeline, &RunOptions::new(run_date()))).unwrap();
    let found = check_run(&report);
    let names: Vec<&str> = found.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["buyer", "user"]);
    assert!(found.iter().all(|(_, k)| *k >= 2), "{found:?}");
}

#[test]
fn designs_we_did_not_tune_on_and_the_null_assign_by_sql_as_fitted() {
    for design in ["all", "web", "roles", "null"] {
        check(&design_fixture(design, 1200));
    }
}

#[test]
fn k_means_alone_assigns_by_sql_as_fitted() {
    let fx = Fixture::sample(1200, 4.0);
    fx.edit_config(|c| c + "\n[cluster]\nmethod = \"kmeans\"\n");
    let found = check(&fx);
    assert!(found.iter().any(|(_, k)| *k >= 2), "{found:?}");
}

#[test]
fn buckets_by_country_and_by_region_assign_by_sql_as_fitted() {
    let fx = Fixture::sample(1500, 4.0);
    let config = std::fs::read_to_string(&fx.config).unwrap();
    fx.edit_config(|c| c + "\n[cluster.buckets]\ncolumn = \"country\"\n");
    let found = check(&fx);
    assert!(found.len() > 2, "{found:?}");
    std::fs::write(
        &fx.config,
        config
            + "\n[cluster.buckets]\ncolumn = \"country\"\n\
               regions = { Europe = [\" germany\", \"Ireland\", \"Netherlands\", \"United Kingdom\"] }\n",
    )
    .unwrap();
    let found = check(&fx);
    let names: Vec<&str> = found.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names.len(), 2, "{found:?}");
    assert!(
        names.contains(&"Europe") && names.contains(&"other"),
        "{found:?}"
    );
}

#[test]
fn a_bucket_fitted_on_a_sample_has_every_contact_assigned_by_its_sql() {
    let fx = Fixture::sample(3000, 4.0);
    let full = fx.run().unwrap();
    fx.edit_config(|c| c + "\n[cluster]\nfit_contacts = 1000\n");
    let sampled = fx.run().unwrap();
    let (a, b) = (&full.buckets[0], &sampled.buckets[0]);
    assert_eq!(
        (b.contacts, b.rows.len()),
        (3000, 3000),
        "every contact assigned"
    );
    assert_eq!(b.rows, a.rows);
    assert_eq!(b.model.labels.len(), 3000);
    // Every contact is a member of a persona in the published tables, and `model_quality`
    // says what the model was fitted on.
    assert_eq!(sampled.members.len(), 3000);
    let quality = fx.path("out/model_quality/run_date=2026-11-20/part-0.parquet");
    let fitted = strings(&quality, "fitted_contacts");
    let contacts = strings(&quality, "contacts");
    assert!(
        fitted.iter().all(|f| f.as_deref() == Some("1000")),
        "{fitted:?}"
    );
    assert!(
        contacts.iter().all(|c| c.as_deref() == Some("3000")),
        "{contacts:?}"
    );
    let ari = personas::cluster::adjusted_rand_index(&a.model.labels, &b.model.labels);
    println!(
        "k full {} / sampled {}; ARI between the full fit and the fit on 1,000 of 3,000: {ari:.3}",
        a.model.k, b.model.k
    );
    assert!(ari >= 0.7, "ARI {ari:.3}");
}
