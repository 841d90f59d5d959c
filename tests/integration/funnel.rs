//! The purchase funnel: the generated sample with GA4 e-commerce events added, so that the
//! contacts of one planted persona put things in their cart but never check out while half of
//! the others buy; `persona_funnel` is checked against counts computed here from the GA4 files
//! and `persona_members`, and that persona's biggest drop must be at checkout. A contact in
//! two rows of the funnel model is an error naming the model and the contact.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use crate::util::{read_parquet, strings, Fixture};
use datafusion::arrow::array::{Array, AsArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::DataType;

/// The funnel steps, as the table names them.
const STEPS: [&str; 5] = ["visit", "product", "cart", "checkout", "purchase"];

/// A GA4 event of `user_id` on a pricing page, as the BigQuery export writes it.
fn ga4_event(name: &str, user_id: &str, session: usize) -> String {
    // 2026-11-02 10:00 UTC, a minute per session.
    let micros = (1_793_613_600 + 60 * session as i64) * 1_000_000;
    format!(
        "{{\"event_date\":\"20261102\",\"event_timestamp\":\"{micros}\",\"event_name\":\"{name}\",\
         \"event_params\":[{{\"key\":\"page_location\",\"value\":{{\"string_value\":\"https://www.stackpilot.io/pricing\"}}}},\
         {{\"key\":\"ga_session_id\",\"value\":{{\"int_value\":\"{session}\"}}}}],\
         \"user_id\":\"{user_id}\",\"user_pseudo_id\":\"88.{session}\",\
         \"device\":{{\"category\":\"desktop\"}},\"traffic_source\":{{\"source\":\"google\",\"medium\":\"organic\"}},\
         \"platform\":\"WEB\"}}\n"
    )
}

/// How many funnel steps each logged-in visitor reached in the fixture's GA4 files: a step
/// counts when the visitor took it or a later one.
fn depths(fx: &Fixture) -> HashMap<String, usize> {
    let mut took: HashMap<String, [bool; 5]> = HashMap::new();
    for entry in std::fs::read_dir(fx.path("data/ga4")).unwrap() {
        for line in std::fs::read_to_string(entry.unwrap().path())
            .unwrap()
            .lines()
        {
            let e: serde_json::Value = serde_json::from_str(line).unwrap();
            let Some(id) = e["user_id"]
                .as_str()
                .map(str::trim)
                .filter(|s| !s.is_empty())
            else {
                continue;
            };
            let page = e["event_params"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|p| p["key"] == "page_location")
                .and_then(|p| p["value"]["string_value"].as_str())
                .unwrap_or("");
            let path = page.split("://").nth(1).unwrap_or(page);
            let path = path.find('/').map_or("/", |at| &path[at..]);
            let path = path.split(['?', '#']).next().unwrap().to_lowercase();
            let product = ["/pricing", "/product", "/products"]
                .iter()
                .any(|p| path == *p || path.starts_with(&format!("{p}/")));
            let steps = took.entry(id.to_string()).or_default();
            steps[0] = true;
            match e["event_name"].as_str().unwrap() {
                "page_view" if product => steps[1] = true,
                "add_to_cart" => steps[2] = true,
                "begin_checkout" => steps[3] = true,
                "purchase" => steps[4] = true,
                _ => {}
            }
        }
    }
    took.into_iter()
        .map(|(id, t)| (id, t.iter().rposition(|&s| s).map_or(0, |i| i + 1)))
        .collect()
}

/// A column of the run's `persona_funnel`, as text.
fn column(fx: &Fixture, name: &str) -> Vec<Option<String>> {
    strings(&funnel_path(fx), name)
}

fn funnel_path(fx: &Fixture) -> std::path::PathBuf {
    fx.path("out/persona_funnel/run_date=2026-11-20/part-0.parquet")
}

/// A float column of the run's `persona_funnel`.
fn floats(fx: &Fixture, name: &str) -> Vec<Option<f64>> {
    read_parquet(&funnel_path(fx))
        .iter()
        .flat_map(|b| {
            let a = cast(b.column_by_name(name).unwrap(), &DataType::Float64).unwrap();
            let a = a
                .as_primitive::<datafusion::arrow::datatypes::Float64Type>()
                .clone();
            (0..a.len())
                .map(|i| a.is_valid(i).then(|| a.value(i)))
                .collect::<Vec<_>>()
        })
        .collect()
}

#[test]
fn a_persona_that_never_checks_out_drops_most_at_checkout() {
    let fx = Fixture::sample(300, 4.0);
    let truth: BTreeMap<String, String> = fx.truth().into_iter().collect();
    let mut sizes: BTreeMap<&str, usize> = BTreeMap::new();
    for planted in truth.values() {
        *sizes.entry(planted.as_str()).or_default() += 1;
    }
    let (carting, _) = sizes.iter().max_by_key(|(_, n)| **n).unwrap();
    let carting = carting.to_string();
    // The planted persona's contacts put something in their cart and leave; every other
    // contact of the rest carts, checks out and buys.
    let ga4 = fx.path("data/ga4/events_20261102.json");
    let mut events = std::fs::read_to_string(&ga4).unwrap();
    let mut session = 0;
    let mut cart_only = BTreeSet::new();
    for (i, (id, planted)) in truth.iter().enumerate() {
        let names: &[&str] = if *planted == carting {
            cart_only.insert(id.clone());
            &["add_to_cart"]
        } else if i % 2 == 0 {
            &["add_to_cart", "begin_checkout", "purchase"]
        } else {
            &[]
        };
        session += 1;
        for name in names {
            events.push_str(&ga4_event(name, id, session));
        }
    }
    std::fs::write(&ga4, events).unwrap();

    let report = fx.run().unwrap();
    assert_eq!(report.contacts, 300, "{}", report.summary());

    // Expected counts per persona: (contacts, reached[step]), from the members and GA4 files.
    let depth = depths(&fx);
    let members = fx.path("out/persona_members/run_date=2026-11-20/part-0.parquet");
    let (ids, personas) = (
        strings(&members, "contact_id"),
        strings(&members, "persona_id"),
    );
    let mut counts: BTreeMap<String, (usize, [usize; 5])> = BTreeMap::new();
    let mut carting_in: BTreeMap<String, usize> = BTreeMap::new();
    for (id, persona) in ids.iter().zip(&personas) {
        let (id, persona) = (id.clone().unwrap(), persona.clone().unwrap());
        let c = counts.entry(persona.clone()).or_default();
        c.0 += 1;
        for r in &mut c.1[..depth.get(&id).copied().unwrap_or(0)] {
            *r += 1;
        }
        if cart_only.contains(&id) {
            *carting_in.entry(persona).or_default() += 1;
        }
    }
    let all = counts.values().fold((0, [0; 5]), |(n, r), (m, s)| {
        (n + m, std::array::from_fn(|i| r[i] + s[i]))
    });
    let base = |c: &(usize, [usize; 5]), i: usize| if i == 0 { c.0 } else { c.1[i - 1] };

    // One row per persona and step (and the repeat-buyer row), in persona then step order.
    let (row_personas, steps) = (column(&fx, "persona_id"), column(&fx, "step"));
    assert_eq!(row_personas.len(), report.personas.len() * 6);
    let (contacts, bases) = (floats(&fx, "contacts"), floats(&fx, "base"));
    let (rates, rest_rates) = (floats(&fx, "rate"), floats(&fx, "rest_rate"));
    let (lows, highs) = (floats(&fx, "rate_ci_low"), floats(&fx, "rate_ci_high"));
    let drops = column(&fx, "biggest_drop");
    for (p, persona) in report.personas.iter().enumerate() {
        let mine = &counts[&persona.id];
        let rest = (
            all.0 - mine.0,
            std::array::from_fn(|i| all.1[i] - mine.1[i]),
        );
        for (i, step) in STEPS.iter().enumerate() {
            let r = p * 6 + i;
            assert_eq!(row_personas[r].as_deref(), Some(persona.id.as_str()));
            assert_eq!(steps[r].as_deref(), Some(*step));
            let what = format!("{} {step}", persona.id);
            assert_eq!(contacts[r], Some(mine.1[i] as f64), "{what}");
            assert_eq!(bases[r], Some(base(mine, i) as f64), "{what}");
            let want = (base(mine, i) > 0).then(|| mine.1[i] as f64 / base(mine, i) as f64);
            assert_eq!(rates[r], want, "{what}");
            let rest_want = (base(&rest, i) > 0).then(|| rest.1[i] as f64 / base(&rest, i) as f64);
            assert_eq!(rest_rates[r], rest_want, "{what}");
            if let Some(rate) = want {
                // (at 0 and 1 an end of the interval is the rate, give or take rounding)
                let (low, high) = (lows[r].unwrap(), highs[r].unwrap());
                assert!(low - 1e-9 <= rate && rate <= high + 1e-9, "{what}");
                assert!(low < high, "{what}");
            }
        }
        // No orders in the sample: no buyer with a counted order, so no repeat rate.
        assert_eq!(steps[p * 6 + 5].as_deref(), Some("repeat"));
        assert_eq!(rates[p * 6 + 5], None);
    }

    // The persona holding most of the carting contacts drops most at checkout, and only there.
    let (dropping, _) = carting_in.iter().max_by_key(|(_, n)| **n).unwrap();
    let p = report
        .personas
        .iter()
        .position(|x| &x.id == dropping)
        .unwrap();
    let marked: Vec<&str> = (0..6)
        .filter(|i| drops[p * 6 + i].as_deref() == Some("true"))
        .map(|i| steps[p * 6 + i].as_deref().unwrap())
        .collect();
    assert_eq!(marked, ["checkout"], "{dropping}: {counts:?}");

    // The card tells it.
    let card =
        std::fs::read_to_string(fx.path("out/report/run_date=2026-11-20/personas.md")).unwrap();
    assert!(card.contains("drops most at checkout"), "{card}");
}

/// Copy the folder `from` (files and folders below it) to `to`.
fn copy_folder(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        let target = to.join(path.file_name().unwrap());
        if path.is_dir() {
            copy_folder(&path, &target);
        } else {
            std::fs::copy(&path, &target).unwrap();
        }
    }
}

#[test]
fn a_contact_twice_in_the_funnel_model_is_an_error_naming_it() {
    let fx = Fixture::sample(300, 4.0);
    // the project's models, with one contact's funnel row given twice
    let sql = fx.path("sql");
    copy_folder(&crate::util::sql_dir(), &sql);
    let model = sql.join("intermediate/int_contact_funnel.sql");
    let text = std::fs::read_to_string(&model).unwrap();
    assert!(text.trim_end().ends_with("select * from final"));
    let twice =
        "\nunion all\nselect * from final where contact_id = (select min(contact_id) from final)\n";
    std::fs::write(&model, format!("{}{twice}", text.trim_end())).unwrap();
    let ours = crate::util::sql_dir().display().to_string();
    fx.edit_config(|c| c.replace(&ours, sql.to_str().unwrap()));
    let err = fx.run().unwrap_err().to_string();
    assert!(err.contains("int_contact_funnel"), "{err}");
    assert!(err.contains("is in two rows"), "{err}");
}
