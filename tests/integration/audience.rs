//! The social audience the personas are compared with, from each export format.

use datafusion::arrow::array::{Array, AsArray};
use datafusion::arrow::datatypes::Float64Type;
use personas::tooling::generate::GenerateOptions;

use crate::util::{read_parquet, Fixture};

/// The social audience shares of `gender` levels in `persona_traits`.
fn gender_shares(fx: &Fixture) -> Vec<(String, f64)> {
    let path = fx.path("out/persona_traits/run_date=2026-11-20/part-0.parquet");
    let mut out = Vec::new();
    for b in read_parquet(&path) {
        let feature = b.column_by_name("feature").unwrap().as_string::<i32>();
        let level = b.column_by_name("level").unwrap().as_string::<i32>();
        let share = b
            .column_by_name("audience_share")
            .unwrap()
            .as_primitive::<Float64Type>();
        for i in 0..b.num_rows() {
            if feature.value(i) == "gender" && share.is_valid(i) {
                out.push((level.value(i).to_string(), share.value(i)));
            }
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out.dedup_by(|a, b| a.0 == b.0);
    out
}

#[test]
fn a_meta_long_csv_feeds_the_social_audience() {
    let fx = Fixture::generated(&GenerateOptions {
        contacts: 300,
        ..Default::default()
    });
    let csv = "dimension,value,count\n\
               gender_age,F.25-34,300\n\
               gender_age,F.35-44,200\n\
               gender_age,M.25-34,400\n\
               gender_age,M.35-44,100\n\
               country,US,700\n\
               country,GB,300\n";
    std::fs::write(fx.path("data/meta/audience.csv"), csv).unwrap();
    fx.edit_config(|c| c.replace("data/meta/page_insights.json", "data/meta/audience.csv"));
    let report = fx.run().unwrap();
    let social = report.sources.iter().find(|s| s.name == "social").unwrap();
    assert_eq!((social.counts.read, social.counts.accepted), (6, 6));
    // 500 of 1000 fans are women and 500 men: every gender level carries that share.
    let shares = gender_shares(&fx);
    assert_eq!(
        shares,
        vec![("female".to_string(), 0.5), ("male".to_string(), 0.5)],
        "{shares:?}"
    );
}
