//! Content groups from the config (`[web]`): the generator's exports with every page moved to a
//! shop's URL structure, run with groups declared for the shop, with none declared (the most-read
//! first path segments), and with one group's patterns changed. Each `share_<group>` is checked,
//! contact by contact, against the sample site's shares of the same events.

use std::collections::HashMap;
use std::path::Path;

use datafusion::arrow::array::{Array, AsArray};
use datafusion::arrow::datatypes::Float64Type;
use personas::tooling::generate::{GenerateOptions, SAMPLE_WEB};

use crate::util::{read_parquet, run_date, Fixture};

/// Where each of the sample site's sections moves on the shop: docs to shoes, pricing to the
/// sale, discounts to the bags' sale, the blog to the journal, the rest to the account pages.
fn shop_path(path: &str) -> String {
    let rest = path.trim_start_matches('/');
    let (section, below) = rest.split_once('/').unwrap_or((rest, ""));
    let to = match section {
        "docs" | "api" | "changelog" => "shop/shoes",
        "pricing" | "case-studies" | "security" | "product" => "sale",
        "discounts" | "templates" => "shop/bags/sale",
        "blog" => "journal",
        _ => "account",
    };
    format!("/{to}/{section}/{below}")
}

/// Rewrite every `page_location` of the fixture's GA4 export onto the shop's URLs.
fn move_to_the_shop(fx: &Fixture) {
    let dir = fx.path("data/ga4");
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        let mut out = String::with_capacity(text.len());
        for line in text.lines() {
            let mut event: serde_json::Value = serde_json::from_str(line).unwrap();
            for p in event["event_params"].as_array_mut().unwrap() {
                if p["key"] == "page_location" {
                    let url = p["value"]["string_value"].as_str().unwrap().to_string();
                    let (host, path) = url.split_at(url.find(".io").unwrap() + 3);
                    p["value"]["string_value"] = format!("{host}{}", shop_path(path))
                        .replace("stackpilot.io", "shop.example")
                        .into();
                }
            }
            out.push_str(&event.to_string());
            out.push('\n');
        }
        std::fs::write(&path, out).unwrap();
    }
}

/// Every float column whose name starts with `share_`, by contact id, from the run's
/// `contact_features` table.
fn shares(fx: &Fixture) -> HashMap<String, HashMap<String, f64>> {
    let path = fx.path(&format!(
        "out/contact_features/run_date={}/part-0.parquet",
        run_date()
    ));
    let mut out: HashMap<String, HashMap<String, f64>> = HashMap::new();
    for batch in read_parquet(&path) {
        let ids = datafusion::arrow::compute::cast(
            batch.column_by_name("contact_id").unwrap(),
            &datafusion::arrow::datatypes::DataType::Utf8,
        )
        .unwrap();
        let ids = ids.as_string::<i32>();
        for (field, column) in batch.schema().fields().iter().zip(batch.columns()) {
            if !field.name().starts_with("share_") {
                continue;
            }
            let values = column.as_primitive::<Float64Type>();
            for row in 0..batch.num_rows() {
                if values.is_valid(row) {
                    out.entry(field.name().clone())
                        .or_default()
                        .insert(ids.value(row).to_string(), values.value(row));
                }
            }
        }
    }
    out
}

/// Assert `found[column]` is the sum of the sample site's `parts` for every contact with web
/// activity.
fn assert_sum(
    found: &HashMap<String, HashMap<String, f64>>,
    column: &str,
    sample: &HashMap<String, HashMap<String, f64>>,
    parts: &[&str],
) {
    let got = found
        .get(column)
        .unwrap_or_else(|| panic!("no `{column}`; columns: {:?}", found.keys()));
    let reference = &sample["share_docs"];
    assert_eq!(
        got.len(),
        reference.len(),
        "{column}: contacts with web activity"
    );
    for id in reference.keys() {
        let want: f64 = parts.iter().map(|p| sample[*p][id]).sum();
        assert!(
            (got[id] - want).abs() < 1e-9,
            "{column} of contact {id}: {} against {want} ({parts:?})",
            got[id]
        );
    }
}

/// Assert the sample site's docs and discount pages make `docs_and_discounts`, its pricing
/// pages `share_sale` and its blog `share_journal`, for every contact with web activity.
fn assert_sale_apart(
    found: &HashMap<String, HashMap<String, f64>>,
    docs_and_discounts: &str,
    sample: &HashMap<String, HashMap<String, f64>>,
) {
    assert_sum(
        found,
        docs_and_discounts,
        sample,
        &["share_docs", "share_discounts"],
    );
    assert_sum(found, "share_sale", sample, &["share_pricing"]);
    assert_sum(found, "share_journal", sample, &["share_blog"]);
}

/// The columns of every criterion the run segmented on (first bucket).
fn criteria_columns(report: &personas::pipeline::RunReport) -> Vec<String> {
    report.manifest.buckets[0]
        .criteria
        .iter()
        .flat_map(|c| c.columns.clone())
        .collect()
}

/// The shop's groups, with `shoes` covering `shoes_paths`.
fn shop_web(shoes_paths: &str) -> String {
    format!(
        r#"
[web]
content_groups = [
    {{ name = "shoes", paths = [{shoes_paths}] }},
    {{ name = "sale", paths = ["/sale", "/shop/*/sale"] }},
    {{ name = "journal", regex = ["^/journal/"] }},
]
"#
    )
}

/// The generator's exports for 300 contacts, run once on the sample site for the reference
/// shares, then moved to the shop's URLs.
fn shop_fixture() -> (Fixture, HashMap<String, HashMap<String, f64>>) {
    let fx = Fixture::generated(&GenerateOptions {
        contacts: 300,
        events_per_contact: 6.0,
        ..Default::default()
    });
    fx.run().unwrap();
    let sample = shares(&fx);
    std::fs::remove_dir_all(fx.path("out")).unwrap();
    move_to_the_shop(&fx);
    (fx, sample)
}

#[test]
fn declared_groups_make_the_shares_and_the_criteria_and_a_pattern_change_moves_them() {
    let (fx, sample) = shop_fixture();
    fx.edit_config(|c| c.replace(SAMPLE_WEB, &shop_web(r#""/shop/shoes""#)));
    let report = fx.run().unwrap();
    let found = shares(&fx);
    assert!(!found.contains_key("share_docs"), "{:?}", found.keys());
    assert_sum(&found, "share_shoes", &sample, &["share_docs"]);
    assert_sum(
        &found,
        "share_sale",
        &sample,
        &["share_pricing", "share_discounts"],
    );
    assert_sum(&found, "share_journal", &sample, &["share_blog"]);
    let criteria = criteria_columns(&report);
    for c in ["share_shoes", "share_sale", "share_journal"] {
        assert!(criteria.iter().any(|x| x == c), "{c} in {criteria:?}");
    }
    assert!(!report.personas.is_empty());

    // The bags' sale pages join the shoes (the first group that matches wins): nothing else
    // is edited.
    std::fs::remove_dir_all(fx.path("out")).unwrap();
    fx.edit_config(|c| c.replace(r#"["/shop/shoes"]"#, r#"["/shop/shoes", "/shop/bags"]"#));
    fx.run().unwrap();
    assert_sale_apart(&shares(&fx), "share_shoes", &sample);
}

#[test]
fn with_no_groups_declared_the_most_read_first_segments_are_the_groups() {
    let (fx, sample) = shop_fixture();
    fx.edit_config(|c| c.replace(SAMPLE_WEB, ""));
    let report = fx.run().unwrap();
    let found = shares(&fx);
    assert_sale_apart(&found, "share_shop", &sample);
    let groups: Vec<&String> = found.keys().filter(|c| !is_fixed(c)).collect();
    assert_eq!(groups.len(), 3, "{groups:?}");
    let criteria = criteria_columns(&report);
    for c in ["share_shop", "share_sale", "share_journal"] {
        assert!(criteria.iter().any(|x| x == c), "{c} in {criteria:?}");
    }
    // Fewer groups when asked: the two most read.
    std::fs::remove_dir_all(fx.path("out")).unwrap();
    fx.edit_config(|c| format!("{c}\n[web]\ntop_groups = 2\n"));
    fx.run().unwrap();
    let top: Vec<String> = shares(&fx).into_keys().filter(|c| !is_fixed(c)).collect();
    assert_eq!(top.len(), 2, "{top:?}");
    assert!(
        top.iter().all(|c| groups.contains(&c)),
        "{top:?} among {groups:?}"
    );
}

/// The web shares every site has (device and traffic medium), whatever its groups.
fn is_fixed(column: &str) -> bool {
    personas::config::content_group_of(column).is_none()
}

/// A group pattern that is not a regular expression fails when the config is read, naming the
/// group and the pattern.
#[test]
fn a_bad_pattern_is_a_config_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.toml");
    let text = format!(
        "name = \"p\"\noutput_dir = \"out\"\n[[sources]]\nname = \"crm\"\nkind = \"hubspot_contacts\"\npath = \"c.csv\"\n{}",
        shop_web(r#""/shop/shoes""#).replace("^/journal/", "^/journal/(")
    );
    std::fs::write(&path, text).unwrap();
    let err = personas::config::Pipeline::load(Path::new(&path))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("journal") && err.contains("^/journal/("),
        "{err}"
    );
}
