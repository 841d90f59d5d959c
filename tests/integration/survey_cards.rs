//! Survey answers on the persona cards through a whole run: a Typeform export in its real
//! shape answers "What stops you from buying?" with 'Price' for 70 % of one planted persona's
//! contacts and 15 % of the rest, and a colour question at random; the contacts of another
//! planted persona hardly answer. The card of the persona holding most of the first planted
//! group must quote 'Price' among its barriers with the numbers, no card may quote the random
//! question, and a persona with too few respondents must say so instead of quoting.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use crate::util::exports::TYPEFORM_OWN;
use crate::util::Fixture;

const STOPS: &str = "What stops you from buying?";
const COLOUR: &str = "Which colour do you like best?";

const SURVEY_CONFIG: &str = r#"
[[sources]]
name = "typeform"
kind = "typeform_responses"
path = "data/surveys/typeform/*.csv"

[surveys]
min_respondents = 20

[[surveys.questions]]
question = "What stops you from buying?"
type = "single"
section = "barriers"

[[surveys.questions]]
question = "Which colour do you like best?"
type = "single"
section = "values"
"#;

/// A number in 0..1 from `i` and `salt`, the same every run (a splitmix64 step).
fn unit(i: usize, salt: u64) -> f64 {
    let mut z = (i as u64)
        .wrapping_add(salt)
        .wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    (z ^ (z >> 31)) as f64 / u64::MAX as f64
}

/// Planted persona and email of each contact id, from truth.csv.
fn truth(fx: &Fixture) -> Vec<(String, String, String)> {
    let mut r = csv::Reader::from_path(fx.path("data/truth.csv")).unwrap();
    r.records()
        .map(|rec| {
            let rec = rec.unwrap();
            (rec[0].to_string(), rec[1].to_string(), rec[2].to_string())
        })
        .collect()
}

/// Write the Typeform export: every contact of `planted` answers Price 70 % of the time, every
/// other 15 %; contacts of `shy` answer one time in 25. Returns the ids of those who answered.
fn write_typeform(fx: &Fixture, planted: &str, shy: &str) -> BTreeSet<String> {
    let mut w = csv::Writer::from_writer(vec![]);
    let header = ["#", STOPS, COLOUR, "email"]
        .into_iter()
        .chain(TYPEFORM_OWN);
    w.write_record(header).unwrap();
    let mut answered = BTreeSet::new();
    for (i, (id, email, persona)) in truth(fx).iter().enumerate() {
        if persona == shy && unit(i, 7) >= 0.04 {
            continue;
        }
        let share = if persona == planted { 0.7 } else { 0.15 };
        let stops = if unit(i, 1) < share {
            "Price"
        } else if unit(i, 2) < 0.5 {
            "Time"
        } else {
            "Trust"
        };
        let colour = ["Red", "Green", "Blue"][(unit(i, 3) * 3.0) as usize % 3];
        let at = format!("2026-11-{:02} 09:05:{:02}", 1 + i % 18, i % 60);
        w.write_record([
            &format!("r{i}"),
            stops,
            colour,
            email,
            "completed",
            &at,
            "",
            &at,
            &format!("{:x}", 0xab00 + i),
            "",
        ])
        .unwrap();
        answered.insert(id.clone());
    }
    let path = fx.path("data/surveys/typeform/responses.csv");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, w.into_inner().unwrap()).unwrap();
    answered
}

#[test]
fn measured_answers_fill_the_cards_and_a_persona_with_few_respondents_says_so() {
    let fx = Fixture::sample(600, 2.0);
    let groups: BTreeSet<String> = truth(&fx).into_iter().map(|t| t.2).collect();
    let groups: Vec<&String> = groups.iter().collect();
    let (planted, shy) = (groups[0].as_str(), groups[1].as_str());
    let answered = write_typeform(&fx, planted, shy);
    fx.edit_config(|c| format!("{c}{SURVEY_CONFIG}"));
    let report = fx.run().unwrap();

    let truth: HashMap<String, String> = fx.truth();
    // Per persona: its contacts of the planted group, and its survey respondents.
    let (mut of_planted, mut respondents) = (BTreeMap::new(), BTreeMap::new());
    for &(row, p) in &report.members {
        let id = &report.features.contact_ids[row];
        *of_planted.entry(p).or_insert(0usize) += usize::from(truth[id] == planted);
        *respondents.entry(p).or_insert(0usize) += usize::from(answered.contains(id));
    }
    let (&holder, _) = of_planted.iter().max_by_key(|(_, n)| **n).unwrap();
    let card = &report.personas[holder].card;
    let quoted = card
        .barriers
        .iter()
        .find(|s| s.contains("chose 'Price' for 'What stops you from buying?', vs "))
        .unwrap_or_else(|| panic!("no Price barrier: {card:?}\n{}", report.summary()));
    // "62 % chose 'Price' for '...', vs 21 % of the rest; 48 respondents", with its numbers.
    let numbers: Vec<f64> = quoted
        .split(|c: char| !c.is_ascii_digit())
        .filter_map(|n| n.parse().ok())
        .collect();
    assert_eq!(numbers.len(), 3, "{quoted}");
    assert!(numbers[0] >= 40.0 && numbers[1] <= 30.0, "{quoted}");
    assert_eq!(numbers[2] as usize, respondents[&holder], "{quoted}");
    assert!(quoted.ends_with(" respondents"), "{quoted}");

    let note = |n: usize| format!("Only {n} survey respondents: too few to say (20 needed)");
    let mut few = 0;
    for (p, persona) in report.personas.iter().enumerate() {
        let c = &persona.card;
        let all: Vec<&String> = c.barriers.iter().chain(&c.values).collect();
        assert!(
            all.iter().all(|s| !s.contains(COLOUR)),
            "{}: the random question is quoted: {all:?}",
            persona.id
        );
        let n = respondents.get(&p).copied().unwrap_or(0);
        if n < 20 {
            few += 1;
            assert_eq!(c.barriers, [note(n)], "{}", persona.id);
            assert_eq!(c.values, [note(n)], "{}", persona.id);
        } else {
            assert!(c.barriers.iter().all(|s| !s.starts_with("Only ")));
        }
    }
    assert!(few >= 1, "no persona with few respondents: {respondents:?}");
    // The measured barriers reach the personas table and the Markdown report.
    let md =
        std::fs::read_to_string(fx.path("out/report/run_date=2026-11-20/personas.md")).unwrap();
    assert!(
        md.contains("- **Barriers**: ") && md.contains(quoted.as_str()),
        "{md}"
    );
    let table = crate::util::strings(
        &fx.path("out/personas/run_date=2026-11-20/part-0.parquet"),
        "barriers",
    );
    assert!(table.iter().flatten().any(|b| b.contains(quoted.as_str())));
}
