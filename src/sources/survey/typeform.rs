//! Typeform responses CSVs (see the [module docs](super) for the verified shape). Each column
//! of a file is one of:
//! - Typeform's own: `#` (the response token, landed as `respondent_id`), `Response Type`,
//!   `Start Date (UTC)`, `Stage Date (UTC)`, `Submit Date (UTC)` (the submission time; a
//!   `partial` response without one is dated by its stage, else its start), `Network ID`,
//!   `Tags`, `Ending`, `Score`;
//! - the email: a hidden field or column named `email` (also `e-mail`, `email address`,
//!   `email_address`, any case), else the first question whose every answer is an email;
//! - a hidden field (named like a URL parameter: lower-case letters, digits, `_`), not landed
//!   unless `[surveys]` declares it;
//! - a choice column of a multiple-selection question: every non-empty cell is the column's
//!   name. Neighbouring choice columns (with never-picked, empty ones between them) are one
//!   question, named by the declared question whose `options` hold the choice (the one holding
//!   most of the group's choices when several do; an undeclared choice joins its neighbours'
//!   question), else by the group's choices joined by ` | `;
//! - `Other` right after a question: the free text of that question's "other" answer;
//! - otherwise a question, named by its header.
//!
//! Each picked choice is one answer (`multi`, numbered in column order).

use std::collections::HashMap;

use tracing::info;

use super::{email_column, time, Read, Response, Sheet};
use crate::config::{SurveyQuestion, SurveysConfig};

/// Columns every Typeform export has.
pub const REQUIRED: &[&str] = &["Submit Date (UTC)"];

/// Typeform's own columns, not answers.
const OWN: &[&str] = &[
    "#",
    "Response Type",
    "Start Date (UTC)",
    "Stage Date (UTC)",
    "Submit Date (UTC)",
    "Network ID",
    "Tags",
    "Ending",
    "Score",
];

/// Names of the email column (a hidden field or a question).
const EMAIL: &[&str] = &["email", "e-mail", "email address", "email_address"];

/// What a column of a file holds.
#[derive(Debug, Clone, PartialEq)]
enum Role {
    /// Typeform's own column, the email, or a hidden field.
    Skip,
    /// Answers to a question: its text, and whether they are choices of a multiple selection.
    Answers { question: String, multi: bool },
}

/// Whether a header is named like a hidden field (a URL parameter).
fn hidden_name(h: &str) -> bool {
    h.starts_with(|c: char| c.is_ascii_lowercase())
        && h.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// A cell without Typeform's guarding apostrophe (`'+56954886178`).
fn unguarded(v: &str) -> &str {
    let v = v.trim();
    match v.strip_prefix('\'') {
        Some(rest) if rest.starts_with(['+', '-', '=', '@']) => rest,
        _ => v,
    }
}

/// Whether column `i` is a choice column: some answer, every answer its own name.
fn is_choice(sheet: &Sheet, i: usize) -> bool {
    let name = &sheet.header[i];
    let mut values = sheet.values(i).map(unguarded).peekable();
    values.peek().is_some() && values.all(|v| v == name)
}

/// The role of every column of a sheet, and the email column.
fn roles(sheet: &Sheet, surveys: &SurveysConfig) -> (Vec<Role>, Option<usize>) {
    let own = |h: &str| OWN.iter().any(|o| o.eq_ignore_ascii_case(h));
    let n = sheet.header.len();
    let mut candidates: Vec<usize> = (0..n).filter(|&i| !own(&sheet.header[i])).collect();
    let email = email_column(sheet, EMAIL, &candidates);
    candidates.retain(|&i| Some(i) != email);
    let mut hidden = Vec::new();
    candidates.retain(|&i| {
        let h = &sheet.header[i];
        let skip = hidden_name(h) && surveys.declared(h).is_none();
        if skip {
            hidden.push(h.as_str());
        }
        !skip
    });
    if !hidden.is_empty() {
        info!(file = %sheet.shown, columns = %hidden.join(", "),
            "Not landing hidden fields (declare one under [surveys] to read it as a question).");
    }
    let mut roles = vec![Role::Skip; n];
    let choice: Vec<bool> = (0..n).map(|i| is_choice(sheet, i)).collect();
    let empty: Vec<bool> = (0..n).map(|i| sheet.values(i).next().is_none()).collect();
    let is_candidate = |i: usize| candidates.contains(&i);
    let mut i = 0;
    while i < n {
        if !is_candidate(i) {
            i += 1;
            continue;
        }
        if choice[i] {
            // A group: choice columns, with empty ones between them.
            let mut end = i;
            let mut j = i + 1;
            while j < n && is_candidate(j) && (choice[j] || empty[j]) {
                if choice[j] {
                    end = j;
                }
                j += 1;
            }
            for (k, question) in name_group(sheet, i..=end, &choice, surveys) {
                roles[k] = Role::Answers {
                    question,
                    multi: true,
                };
            }
            i = end + 1;
            continue;
        }
        let other = sheet.header[i].eq_ignore_ascii_case("Other");
        roles[i] = match (other, i.checked_sub(1).map(|p| roles[p].clone())) {
            (true, Some(prev @ Role::Answers { .. })) => prev,
            _ => Role::Answers {
                question: sheet.header[i].clone(),
                multi: false,
            },
        };
        i += 1;
    }
    (roles, email)
}

/// The question each choice column of a group answers: (column, question).
fn name_group(
    sheet: &Sheet,
    group: std::ops::RangeInclusive<usize>,
    choice: &[bool],
    surveys: &SurveysConfig,
) -> Vec<(usize, String)> {
    let columns: Vec<usize> = group.filter(|&k| choice[k]).collect();
    let holds = |q: &SurveyQuestion, label: &str| {
        q.options
            .iter()
            .any(|o| o.trim().eq_ignore_ascii_case(label))
    };
    // How many of the group's choices each declared question holds.
    let mut held: HashMap<&str, usize> = HashMap::new();
    for &k in &columns {
        for q in surveys
            .questions
            .iter()
            .filter(|q| holds(q, &sheet.header[k]))
        {
            *held.entry(q.question.as_str()).or_default() += 1;
        }
    }
    // The question holding the choice and most of the group's choices (the first declared of
    // equals).
    let claim = |label: &str| -> Option<String> {
        let mut best: Option<(&SurveyQuestion, usize)> = None;
        for q in surveys.questions.iter().filter(|q| holds(q, label)) {
            let n = held.get(q.question.as_str()).copied().unwrap_or(0);
            if best.is_none_or(|(_, m)| n > m) {
                best = Some((q, n));
            }
        }
        best.map(|(q, _)| q.question.trim().to_string())
    };
    let mut named: Vec<(usize, Option<String>)> = columns
        .iter()
        .map(|&k| (k, claim(&sheet.header[k])))
        .collect();
    if named.iter().all(|(_, q)| q.is_none()) {
        let labels: Vec<&str> = columns.iter().map(|&k| sheet.header[k].as_str()).collect();
        let name = labels.join(" | ");
        info!(file = %sheet.shown, question = %name,
            "Multiple-selection question not declared: named by its choices (declare it with its options under [surveys]).");
        return columns.into_iter().map(|k| (k, name.clone())).collect();
    }
    // An undeclared choice joins the question of the declared choice before it (or after).
    let mut last: Option<String> = None;
    for (_, q) in named.iter_mut() {
        match q {
            Some(found) => last = Some(found.clone()),
            None => *q = last.clone(),
        }
    }
    let first = named.iter().find_map(|(_, q)| q.clone());
    named
        .into_iter()
        .map(|(k, q)| (k, q.or_else(|| first.clone()).unwrap_or_default()))
        .collect()
}

/// Read Typeform exports: one answer per non-empty answer cell, one reject per response whose
/// submission time cannot be read.
pub fn read(sheets: &[Sheet], surveys: &SurveysConfig) -> Read {
    let mut out = Read::default();
    for sheet in sheets {
        let (roles, email) = roles(sheet, surveys);
        let col = |name: &str| sheet.column(&[name]);
        let (token, kind) = (col("#"), col("Response Type"));
        let (submit, stage, start) = (
            col("Submit Date (UTC)"),
            col("Stage Date (UTC)"),
            col("Start Date (UTC)"),
        );
        out.reject_unparsed(sheet);
        for rec in &sheet.records {
            let cell = |i: Option<usize>| rec.cell(i);
            let partial = cell(kind).is_some_and(|k| k.eq_ignore_ascii_case("partial"));
            let (column, value) = match (cell(submit), partial) {
                (Some(v), _) => ("Submit Date (UTC)", v),
                (None, true) => match (cell(stage), cell(start)) {
                    (Some(v), _) => ("Stage Date (UTC)", v),
                    (None, Some(v)) => ("Start Date (UTC)", v),
                    (None, None) => ("Start Date (UTC)", ""),
                },
                (None, false) => ("Submit Date (UTC)", ""),
            };
            let when = match out.counts.tally(time::typeform(value).ok_or(())) {
                Ok(t) => t,
                Err(()) => {
                    let reason = format!(
                        "column {column:?}: {value:?} is not a date-time like 2026-11-02 10:15:03 (UTC)"
                    );
                    out.rejects.push(sheet.reject(rec, reason));
                    continue;
                }
            };
            let response = Response::new(sheet, rec, cell(token), cell(email), Some(when));
            let mut index: HashMap<&str, i64> = HashMap::new();
            for (i, role) in roles.iter().enumerate() {
                let Role::Answers { question, multi } = role else {
                    continue;
                };
                let answer = unguarded(&rec.cells[i]);
                if answer.is_empty() {
                    continue;
                }
                let n = index.entry(question.as_str()).or_default();
                *n += 1;
                out.answers
                    .push(response.answer(question.clone(), answer, *n, *multi));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::{assert_first_reject, test_sheet, Answer};
    use super::*;

    /// A Typeform export in its real shape: the token, questions, a multiple-selection question
    /// as choice columns with `Other`, an email hidden field and another, Typeform's own columns.
    const EXPORT: &str = "\u{feff}#,What is your role?,How likely are you to recommend us?,\
LinkedIn,Email newsletter,Events,Other,What stops you from buying?,Phone,email,utm_source,\
Response Type,Start Date (UTC),Stage Date (UTC),Submit Date (UTC),Network ID,Tags\n\
tok1,Founder,9,LinkedIn,,Events,Podcasts,\"Price, mostly\",'+4915112345,Ann@Example.com ,news,completed,2026-11-01 10:00:00,,2026-11-01 10:05:00,ab12,\n\
tok2,Manager,7,,Email newsletter,,,,,bob@x.io,,completed,2026-11-02 09:00:00,,2026-11-02 09:03:10,cd34,\n\
tok3,Analyst,5,,,,,Time,,cy@x.io,,completed,2026-11-03 09:00:00,,yesterday,ef56,\n\
tok4,Founder,,LinkedIn,,,,,,dee@x.io,,partial,2026-11-04 08:00:00,2026-11-04 08:01:00,,gh78,\n";

    fn answers_of<'a>(read: &'a Read, token: &str) -> Vec<(&'a str, &'a str, i64, bool)> {
        read.answers
            .iter()
            .filter(|a| a.respondent_id.as_deref() == Some(token))
            .map(Answer::summary)
            .collect()
    }

    #[test]
    fn a_real_export_lands_one_row_per_answer_and_a_choice_per_row() {
        let read = read(&[test_sheet(EXPORT, REQUIRED)], &SurveysConfig::default());
        let group = "LinkedIn | Email newsletter | Events";
        assert_eq!(
            answers_of(&read, "tok1"),
            [
                ("What is your role?", "Founder", 1, false),
                ("How likely are you to recommend us?", "9", 1, false),
                (group, "LinkedIn", 1, true),
                (group, "Events", 2, true),
                (group, "Podcasts", 3, true),
                ("What stops you from buying?", "Price, mostly", 1, false),
                ("Phone", "+4915112345", 1, false),
            ]
        );
        let first = &read.answers[0];
        assert_eq!(first.email.as_deref(), Some("Ann@Example.com"));
        assert_eq!((first.file.as_str(), first.line), ("export.csv", 2));
        assert_eq!(
            first.submitted_at.map(|t| t.to_rfc3339()),
            Some("2026-11-01T10:05:00+00:00".to_string())
        );
        // Empty cells are no answers; hidden fields and Typeform's own columns are not landed.
        assert_eq!(answers_of(&read, "tok2").len(), 3);
        assert!(read.answers.iter().all(|a| a.question != "utm_source"
            && a.question != "email"
            && a.question != "Network ID"));
        // A partial response is dated by its stage.
        let partial = answers_of(&read, "tok4");
        assert_eq!(
            partial,
            [
                ("What is your role?", "Founder", 1, false),
                (group, "LinkedIn", 1, true)
            ]
        );
    }

    #[test]
    fn an_unreadable_submit_date_rejects_the_response_naming_line_column_and_value() {
        let read = read(&[test_sheet(EXPORT, REQUIRED)], &SurveysConfig::default());
        assert_eq!(read.counts.as_tuple(), (4, 3, 1));
        assert_eq!(read.rejects.len(), 1);
        assert_first_reject(&read, 4, "Submit Date (UTC)", "yesterday");
        assert!(answers_of(&read, "tok3").is_empty());
    }

    #[test]
    fn declared_options_name_the_choice_columns_question() {
        let surveys: SurveysConfig = toml::from_str(
            r#"questions = [{ question = "Which channels do you use?", type = "multi", options = ["linkedin", "Email newsletter"] }, { question = "utm_source" }]"#,
        )
        .unwrap();
        let read = read(&[test_sheet(EXPORT, REQUIRED)], &surveys);
        let channels: Vec<(&str, &str, i64, bool)> = answers_of(&read, "tok1")
            .into_iter()
            .filter(|a| a.3)
            .collect();
        // `Events` is not declared: it joins its neighbours' question, and so does `Other`.
        assert_eq!(
            channels,
            [
                ("Which channels do you use?", "LinkedIn", 1, true),
                ("Which channels do you use?", "Events", 2, true),
                ("Which channels do you use?", "Podcasts", 3, true),
            ]
        );
        // A declared hidden field is a question.
        assert!(answers_of(&read, "tok1").contains(&("utm_source", "news", 1, false)));
    }

    #[test]
    fn the_email_is_found_in_an_email_question_when_no_column_is_named_so() {
        let text = "#,Your work email?,Role,Submit Date (UTC)\nt1,ann@x.io,CEO,2026-11-01 10:00:00\nt2,,CTO,2026-11-01 11:00:00\n";
        let read = read(&[test_sheet(text, REQUIRED)], &SurveysConfig::default());
        let got: Vec<(Option<&str>, &str)> = read
            .answers
            .iter()
            .map(|a| (a.email.as_deref(), a.question.as_str()))
            .collect();
        assert_eq!(got, [(Some("ann@x.io"), "Role"), (None, "Role")]);
    }
}
