//! The `buying` design through a whole run: 600 contacts generated with their Shopify orders,
//! Typeform responses and GA4 carts, read with the config the design comes with. Both new
//! sources must land without a reject, each contact's purchase features must show the buying
//! behaviour planted for its persona in `truth.csv`, and the `survey_answers` mart must hold
//! every respondent's four answers with the declared types and sections.

use std::collections::{BTreeMap, HashMap};

use datafusion::arrow::array::{Array, AsArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::DataType;
use personas::config::FeaturesConfig;
use personas::tooling::generate::design::{self, generate_design, DesignOptions};

use crate::util::marts::{query_rows, rebuild_marts};
use crate::util::{block_on, read_parquet, sql_dir, Fixture};

/// Contacts generated.
const CONTACTS: usize = 600;

/// The design's exports in a temp folder, with its config: criteria = its signal columns, its
/// purchase columns described.
fn buying_fixture() -> Fixture {
    let info = design::info("buying").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let opts = DesignOptions {
        design: info.name.to_string(),
        contacts: CONTACTS,
        events_per_contact: 2.0,
        ..Default::default()
    };
    generate_design(&dir.path().join("data"), &opts).unwrap();
    let list = |v: Vec<String>| format!("{v:?}");
    let describe: Vec<String> = FeaturesConfig::default()
        .describe
        .into_iter()
        .chain(info.describe.iter().map(|c| c.to_string()))
        .collect();
    let criteria: Vec<String> = info.signal_columns.iter().map(|c| c.to_string()).collect();
    let text = format!(
        "{}\n[features]\ncriteria = {}\ndescribe = {}\n",
        design::design_config(info, "test", "data", "out", &sql_dir()),
        list(criteria),
        list(describe)
    );
    let config = dir.path().join("pipeline.toml");
    std::fs::write(&config, text).unwrap();
    Fixture { dir, config }
}

/// Data rows of a generated CSV file (header left out).
fn csv_rows(fx: &Fixture, rel: &str) -> Vec<csv::StringRecord> {
    let mut r = csv::Reader::from_path(fx.path(rel)).unwrap();
    r.records().map(|r| r.unwrap()).collect()
}

/// Columns of the run's `contact_features`, as text, by contact id.
fn features(fx: &Fixture, columns: &[&str]) -> HashMap<String, Vec<Option<String>>> {
    let path = fx.path("out/contact_features/run_date=2026-11-20/part-0.parquet");
    let mut out = HashMap::new();
    for b in read_parquet(&path) {
        let text = |name: &str| cast(b.column_by_name(name).unwrap(), &DataType::Utf8).unwrap();
        let ids = text("contact_id");
        let values: Vec<_> = columns.iter().map(|c| text(c)).collect();
        for i in 0..b.num_rows() {
            let row = (values.iter())
                .map(|v| v.as_string::<i32>())
                .map(|v| v.is_valid(i).then(|| v.value(i).to_string()))
                .collect();
            out.insert(ids.as_string::<i32>().value(i).to_string(), row);
        }
    }
    out
}

#[test]
fn buying_design_lands_orders_and_survey_and_plants_buyer_types() {
    let fx = buying_fixture();
    let report = fx.run().unwrap();
    assert_eq!(report.contacts, CONTACTS, "{}", report.summary());

    // Both sources land every row, without a reject.
    let orders = csv_rows(&fx, "data/shopify/orders_export_1.csv");
    let responses = csv_rows(&fx, "data/typeform/responses.csv");
    for (name, rows) in [("shop", orders.len()), ("survey", responses.len())] {
        let s = report.sources.iter().find(|s| s.name == name).unwrap();
        assert_eq!(
            (s.counts.accepted, s.counts.rejected, s.rejects.len()),
            (rows as u64, 0, 0),
            "{name}: {:?}",
            s.rejects.first()
        );
    }

    // Purchase features as planted, per truth.csv persona.
    let truth = fx.truth();
    let all = features(&fx, &["buyer_type", "orders", "cart_abandoned"]);
    let mut tally: BTreeMap<(String, String), usize> = BTreeMap::new();
    let mut per_persona: BTreeMap<String, usize> = BTreeMap::new();
    let mut abandoning: BTreeMap<String, usize> = BTreeMap::new();
    for (id, persona) in &truth {
        let row = &all[id];
        let buyer_type = row[0].clone().unwrap_or_default();
        *tally.entry((persona.clone(), buyer_type)).or_default() += 1;
        *per_persona.entry(persona.clone()).or_default() += 1;
        let abandoned = row[2].as_deref() == Some("true");
        *abandoning.entry(persona.clone()).or_default() += usize::from(abandoned);
    }
    let share = |persona: &str, types: &[&str]| {
        let n: usize = (types.iter())
            .map(|t| {
                tally
                    .get(&(persona.to_string(), t.to_string()))
                    .copied()
                    .unwrap_or(0)
            })
            .sum();
        n as f64 / per_persona[persona] as f64
    };
    let abandon = |p: &str| abandoning[p] as f64 / per_persona[p] as f64;
    assert!(share("repeat", &["repeat", "frequent"]) >= 0.9, "{tally:?}");
    assert!(share("one_time", &["one_time"]) >= 0.9, "{tally:?}");
    assert!(
        share("abandoners", &["none", "one_time"]) >= 0.99,
        "{tally:?}"
    );
    assert!(share("abandoners", &["none"]) >= 0.5, "{tally:?}");
    assert!(abandon("abandoners") >= 0.9, "{abandoning:?}");
    assert!(
        abandon("repeat") < 0.2 && abandon("one_time") < 0.2,
        "{abandoning:?}"
    );

    // Every respondent's four answers, typed and sectioned as declared.
    block_on(async {
        let ctx = rebuild_marts(&fx, &["survey_answers"]).await;
        let per_question = query_rows(
            &ctx,
            "select question, question_type, coalesce(section, ''), count(*), \
             count(distinct contact_id) from survey_answers group by 1, 2, 3 order by 1",
        )
        .await;
        let n = responses.len().to_string();
        let got: Vec<Vec<&str>> = (per_question.iter())
            .map(|r| r.iter().map(String::as_str).collect())
            .collect();
        assert_eq!(
            got,
            [
                [
                    "How important is sustainable packaging to you?",
                    "scale",
                    "values",
                    &n,
                    &n
                ],
                [
                    "What is your main reason to buy from us?",
                    "single",
                    "motivations",
                    &n,
                    &n
                ],
                ["What stops you from buying?", "single", "barriers", &n, &n],
                ["Which colour do you prefer?", "single", "values", &n, &n],
            ]
        );
    });
}

/// The found persona holding most of each planted persona's contacts.
fn found_for(report: &personas::pipeline::RunReport, fx: &Fixture) -> BTreeMap<String, usize> {
    let truth = fx.truth();
    let mut counts: BTreeMap<(String, usize), usize> = BTreeMap::new();
    for (row, id) in report.features.contact_ids.iter().enumerate() {
        if let (Some(planted), Some(Some(found))) = (truth.get(id), report.primary.get(row)) {
            *counts.entry((planted.clone(), *found)).or_default() += 1;
        }
    }
    let mut best: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    for ((planted, found), n) in counts {
        let b = best.entry(planted).or_insert((found, 0));
        if n > b.1 {
            *b = (found, n);
        }
    }
    best.into_iter().map(|(p, (f, _))| (p, f)).collect()
}

/// Issue 15's first "Done when": each planted persona's card quotes its planted answers with
/// their numbers, its buying pattern is among its distinctive traits, and no card quotes the
/// questions answered at random.
#[test]
fn buying_design_cards_quote_the_planted_answers_and_buying_patterns() {
    let fx = buying_fixture();
    let report = fx.run().unwrap();
    let summary = report.summary();
    let found = found_for(&report, &fx);
    assert_eq!(found.len(), 3, "{found:?}");
    let traits = fx.path("out/persona_traits/run_date=2026-11-20/part-0.parquet");
    let (ids, features, distinctive) = (
        crate::util::strings(&traits, "persona_id"),
        crate::util::strings(&traits, "feature"),
        crate::util::strings(&traits, "distinctive"),
    );
    let distinct = |persona: &str, feature: &str| {
        (0..ids.len()).any(|i| {
            ids[i].as_deref() == Some(persona)
                && features[i].as_deref() == Some(feature)
                && distinctive[i].as_deref() == Some("true")
        })
    };
    let card_text = |i: usize| {
        let c = &report.personas[i].card;
        [
            &c.goals,
            &c.motivations,
            &c.frustrations,
            &c.barriers,
            &c.values,
        ]
        .iter()
        .flat_map(|v| v.iter())
        .cloned()
        .collect::<Vec<_>>()
        .join("\n")
    };
    let quotes = |i: usize, answer: &str| {
        let text = card_text(i);
        text.contains(&format!("chose '{answer}'")) && text.contains("respondents")
    };
    let abandoners = found["abandoners"];
    assert!(
        quotes(abandoners, "Price"),
        "{}\n{summary}",
        card_text(abandoners)
    );
    assert!(distinct(&report.personas[abandoners].id, "cart_abandoned"));
    let repeat = found["repeat"];
    assert!(quotes(repeat, "Quality"), "{}", card_text(repeat));
    assert!(distinct(&report.personas[repeat].id, "buyer_type"));
    let one_time = found["one_time"];
    assert!(
        quotes(one_time, "Delivery time") || quotes(one_time, "Trust"),
        "{}",
        card_text(one_time)
    );
    assert!(distinct(&report.personas[one_time].id, "buyer_type"));
    // The colour and the scale question were answered at random: no card quotes them.
    for i in 0..report.personas.len() {
        let text = card_text(i);
        assert!(
            !text.contains("Which colour do you prefer?")
                && !text.contains("How important is sustainable packaging to you?"),
            "{text}"
        );
    }
}
