//! Surveys through a whole run: a Typeform export, a second Typeform export where a question was
//! renamed (declared with `aliases`), a Google Forms download and a long answers CSV, written in
//! the tools' real shapes for contacts of the generated sample (emails in other cases and with
//! spaces), plus five respondents who are no contact. The run must read every multiple
//! selection as one row per choice, read the renamed question as one question, keep each
//! respondent's latest answers, and count the five unmatched respondents where the summary and
//! the manifest show them.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;

use crate::util::exports::{column_at, write_csv, TYPEFORM_OWN};
use crate::util::marts::{query_rows, rebuild_marts};
use crate::util::{block_on, Fixture};

const ROLE: &str = "What is your role?";
const CHANNELS: &str = "Which channels do you use?";
const OLD_RECOMMEND: &str = "How likely are you to recommend us?";
const RECOMMEND: &str = "How likely are you to recommend us to a colleague?";
const VALUE: &str = "What do you value most?";
const CHOICES: [&str; 3] = ["LinkedIn", "Email newsletter", "Events"];

const SURVEY_CONFIG: &str = r#"
[[sources]]
name = "typeform"
kind = "typeform_responses"
path = "data/surveys/typeform/*.csv"

[[sources]]
name = "forms"
kind = "google_forms_responses"
path = "data/surveys/google/responses.csv"
max_reject_pct = 10

[[sources]]
name = "answers"
kind = "survey_answers"
path = "data/surveys/answers.csv"

[surveys]
min_respondents = 10

[[surveys.questions]]
question = "How likely are you to recommend us to a colleague?"
aliases = ["How likely are you to recommend us?"]
section = "values"

[[surveys.questions]]
question = "Which channels do you use?"
type = "multi"
section = "channel"
options = ["LinkedIn", "Email newsletter", "Events"]
"#;

/// The sample's distinct contact emails, in file order.
fn contact_emails(fx: &Fixture) -> Vec<String> {
    let mut r = csv::Reader::from_path(fx.crm_export()).unwrap();
    let at = column_at(&mut r, "Email");
    let mut seen = HashSet::new();
    r.records()
        .map(|rec| rec.unwrap()[at].trim().to_string())
        .filter(|e| !e.is_empty() && seen.insert(e.to_lowercase()))
        .collect()
}

/// Respondent `i`'s email as a survey tool would have it: other case, surrounding spaces.
fn as_typed(email: &str, i: usize) -> String {
    match i % 3 {
        0 => email.to_uppercase(),
        1 => format!("  {email} "),
        _ => email.to_string(),
    }
}

fn role(i: usize) -> &'static str {
    ["Founder", "Manager", "Analyst"][i % 3]
}

/// The channels respondent `i` ticks.
fn channels(i: usize) -> Vec<&'static str> {
    let picked = [
        i.is_multiple_of(2),
        i.is_multiple_of(3),
        i.is_multiple_of(5),
    ];
    CHOICES
        .iter()
        .zip(picked)
        .filter(|(_, p)| *p)
        .map(|(c, _)| *c)
        .collect()
}

/// The "other" channel respondent `i` writes in.
fn other(i: usize) -> Option<&'static str> {
    i.is_multiple_of(7).then_some("Podcasts")
}

/// Write `rows` as a comma-separated export, every field quoted or only where needed, after a
/// UTF-8 byte order mark when `bom`.
fn write(path: &Path, rows: &[Vec<String>], quote_all: bool, bom: bool) {
    let text = write_csv(path, rows, b',', quote_all);
    if bom {
        std::fs::write(path, format!("\u{FEFF}{text}")).unwrap();
    }
}

/// A Typeform export row: token, role, the choice columns and `Other`, the recommendation,
/// the email hidden field, a UTM hidden field and Typeform's own columns.
fn typeform_row(
    token: &str,
    email: &str,
    i: usize,
    submitted: &str,
    with_channels: bool,
) -> Vec<String> {
    let picked = if with_channels { channels(i) } else { vec![] };
    let mut row = vec![token.to_string(), role(i).to_string()];
    let pick = |c: &&str| match picked.contains(c) {
        true => c.to_string(),
        false => String::new(),
    };
    row.extend(CHOICES.iter().map(pick));
    let written = other(i).filter(|_| with_channels);
    row.push(written.unwrap_or_default().to_string());
    row.extend([
        (i % 11).to_string(),
        email.to_string(),
        "newsletter".to_string(),
        "completed".to_string(),
        submitted.replace(":05:", ":01:"),
        String::new(),
        submitted.to_string(),
        format!("{:x}", 0xab00 + i),
        String::new(),
    ]);
    row
}

fn typeform_header(recommend: &str) -> Vec<String> {
    let mut h = vec!["#".to_string(), ROLE.to_string()];
    h.extend(CHOICES.iter().map(|c| c.to_string()));
    h.push("Other".into());
    h.extend(
        [recommend, "email", "utm_source"]
            .into_iter()
            .chain(TYPEFORM_OWN)
            .map(String::from),
    );
    h
}

/// Write the four survey files: contact `i` answers with the `i`-th contact email.
fn write_surveys(fx: &Fixture, emails: &[String]) {
    let tf = |i: usize| format!("2026-10-{:02} 09:05:{:02}", 1 + i % 28, i % 60);
    // October: respondents 0..40.
    let mut oct = vec![typeform_header(OLD_RECOMMEND)];
    for (i, email) in emails.iter().enumerate().take(40) {
        oct.push(typeform_row(
            &format!("a{i}"),
            &as_typed(email, i),
            i,
            &tf(i),
            true,
        ));
    }
    write(
        &fx.path("data/surveys/typeform/responses-2026-10.csv"),
        &oct,
        false,
        false,
    );
    // November, cumulative: 20..40 again (same tokens and answers), 40..60 new, respondent 25
    // again without channels, three respondents who are no contact; the question renamed.
    let mut nov = vec![typeform_header(RECOMMEND)];
    for (i, email) in emails.iter().enumerate().take(60).skip(20) {
        nov.push(typeform_row(
            &format!("a{i}"),
            &as_typed(email, i),
            i,
            &tf(i),
            true,
        ));
    }
    let mut again = typeform_row("b25", &emails[25], 26, "2026-11-10 08:05:00", false);
    again[1] = "Owner".into();
    nov.push(again);
    for n in 1..=3 {
        nov.push(typeform_row(
            &format!("x{n}"),
            &format!("Nobody{n}@Example.org"),
            n,
            "2026-11-11 08:05:00",
            true,
        ));
    }
    write(
        &fx.path("data/surveys/typeform/responses-2026-11.csv"),
        &nov,
        false,
        false,
    );
    // Google Forms: respondents 60..100, two who are no contact, one unreadable timestamp.
    let mut forms = vec![[
        "Timestamp",
        "Email Address",
        ROLE,
        CHANNELS,
        RECOMMEND,
        VALUE,
    ]
    .iter()
    .map(|s| s.to_string())
    .collect::<Vec<_>>()];
    let google_row = |stamp: String, email: String, i: usize| {
        let mut ticked: Vec<&str> = channels(i);
        ticked.extend(other(i));
        vec![
            stamp,
            email,
            role(i).into(),
            ticked.join(", "),
            (i % 11).to_string(),
            format!("Speed, and reliability #{i}"),
        ]
    };
    for (i, email) in emails.iter().enumerate().take(100).skip(60) {
        let stamp = format!("2026/11/{:02} {}:15:03 PM GMT+1", 1 + i % 9, 1 + i % 11);
        forms.push(google_row(stamp, as_typed(email, i), i));
    }
    for n in 4..=5 {
        forms.push(google_row(
            "2026/11/12 9:00:00 AM GMT+1".into(),
            format!("nobody{n}@example.org"),
            n,
        ));
    }
    forms.push(google_row("last Tuesday".into(), emails[150].clone(), 150));
    write(
        &fx.path("data/surveys/google/responses.csv"),
        &forms,
        true,
        true,
    );
    // The long CSV: respondents 100..110.
    let mut long = vec![vec![
        "email".to_string(),
        "question".into(),
        "answer".into(),
        "submitted_at".into(),
    ]];
    for (i, email) in emails.iter().enumerate().take(110).skip(100) {
        let at = format!("2026-11-{:02}T10:00:00Z", 1 + i % 9);
        long.push(vec![
            as_typed(email, i),
            ROLE.into(),
            role(i).into(),
            at.clone(),
        ]);
        for c in channels(i) {
            long.push(vec![email.clone(), CHANNELS.into(), c.into(), at.clone()]);
        }
    }
    write(&fx.path("data/surveys/answers.csv"), &long, false, false);
}

/// The answers the survey_answers mart must hold per question, from the written files.
fn expected_rows() -> BTreeMap<&'static str, usize> {
    let mut rows = BTreeMap::new();
    // One role and one recommendation per respondent (25's latest response replaces both).
    rows.insert(ROLE, 110);
    rows.insert(RECOMMEND, 100);
    rows.insert(VALUE, 40);
    // 25's latest response has no channels: its channels come from the earlier response.
    let ticked = |i: usize| channels(i).len() + other(i).map_or(0, |_| 1);
    let channel_rows: usize =
        (0..100).map(ticked).sum::<usize>() + (100..110).map(|i| channels(i).len()).sum::<usize>();
    rows.insert(CHANNELS, channel_rows);
    rows
}

#[test]
fn typeform_and_google_forms_exports_become_answers_of_contacts_and_unmatched_ones_are_counted() {
    let fx = Fixture::sample(300, 2.0);
    let emails = contact_emails(&fx);
    assert!(emails.len() > 150);
    write_surveys(&fx, &emails);
    fx.edit_config(|c| format!("{c}{SURVEY_CONFIG}"));

    let report = fx.run().unwrap();
    let counts = |name: &str| {
        let s = report.sources.iter().find(|s| s.name == name).unwrap();
        (s.counts.read, s.counts.accepted, s.counts.rejected)
    };
    // Responses are counted as rows: 40 + (40 + 1 + 3) Typeform, 43 Google Forms (one rejected).
    assert_eq!(counts("typeform"), (84, 84, 0));
    assert_eq!(counts("forms"), (43, 42, 1));
    let reject = &report
        .sources
        .iter()
        .find(|s| s.name == "forms")
        .unwrap()
        .rejects[0];
    assert_eq!((reject.file.as_str(), reject.line), ("responses.csv", 44));
    assert!(
        reject.reason.contains("\"Timestamp\"") && reject.reason.contains("last Tuesday"),
        "{}",
        reject.reason
    );

    // The five respondents who are no contact are counted, in the summary and the manifest.
    let summary = report.summary();
    assert!(
        summary.contains("5 of 115 survey respondents match no CRM contact by email"),
        "{summary}"
    );
    let recorded = report
        .manifest
        .models
        .iter()
        .find(|m| m.model == "survey_unmatched_respondents")
        .and_then(|m| m.rows);
    assert_eq!(recorded, Some(5));

    block_on(async {
        let ctx = rebuild_marts(&fx, &["survey_answers", "survey_respondents"]).await;
        let per_question = query_rows(
            &ctx,
            "select question, count(*) from survey_answers group by question order by question",
        )
        .await;
        let got: BTreeMap<String, usize> = per_question
            .into_iter()
            .map(|r| (r[0].clone(), r[1].parse().unwrap()))
            .collect();
        let want: BTreeMap<String, usize> = expected_rows()
            .into_iter()
            .map(|(q, n)| (q.to_string(), n))
            .collect();
        assert_eq!(got, want);
        // Types and sections: declared, or detected from the answers.
        let types = query_rows(&ctx, "select distinct question, question_type, coalesce(section, '') from survey_answers order by question").await;
        assert_eq!(
            types,
            [
                vec![RECOMMEND.to_string(), "scale".into(), "values".into()],
                vec![VALUE.to_string(), "text".into(), String::new()],
                vec![ROLE.to_string(), "single".into(), String::new()],
                vec![CHANNELS.to_string(), "multi".into(), "channel".into()],
            ]
        );
        // A multiple selection is one row per choice, in order; respondent 0 picked three and
        // wrote one in.
        let first = emails[0].to_lowercase();
        let picks = query_rows(&ctx, &format!(
            "select a.answer, a.answer_index from survey_answers a join survey_respondents r \
             on r.contact_id = a.contact_id where r.email = '{first}' and a.question = '{CHANNELS}' \
             order by a.answer_index"
        )).await;
        assert_eq!(
            picks,
            [
                ["LinkedIn", "1"],
                ["Email newsletter", "2"],
                ["Events", "3"],
                ["Podcasts", "4"]
            ]
        );
        // Respondent 25's latest response changed the role; its channels stayed.
        let e25 = emails[25].to_lowercase();
        let latest = query_rows(
            &ctx,
            &format!(
                "select a.question, a.answer from survey_answers a join survey_respondents r \
             on r.contact_id = a.contact_id where r.email = '{e25}' and a.question <> '{CHANNELS}' \
             order by a.question"
            ),
        )
        .await;
        assert_eq!(latest, [[RECOMMEND, "4"], [ROLE, "Owner"]]);
        // Every respondent is in survey_respondents, the five others unmatched.
        let unmatched = query_rows(
            &ctx,
            "select email from survey_respondents where not matched order by email",
        )
        .await;
        let unmatched: Vec<String> = unmatched.into_iter().map(|r| r[0].clone()).collect();
        assert_eq!(
            unmatched,
            (1..=5)
                .map(|n| format!("nobody{n}@example.org"))
                .collect::<Vec<_>>()
        );
    });
}
