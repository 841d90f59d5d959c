//! Google Forms responses CSVs (see the [module docs](super) for the verified shape): `Timestamp`
//! (see [`time`]), the email (`Email Address`, `Email address` or `Email`, else the
//! first question whose every answer is an email), a quiz's `Score` (`7 / 10`, not an answer),
//! then one column per question.
//!
//! Google joins the options ticked in a checkbox question with `, `, and an option, or a single
//! answer, may itself contain `, ` ("Yes, definitely"). The rule, per question (its renamed texts
//! taken together, across every file of the source):
//! - the known options are the question's declared `options` and every whole answer given to it
//!   that is not itself a list of other known options (checked shortest first);
//! - an answer is split when it is exactly a list of two or more known options (the longest
//!   options first where two readings exist); otherwise it is one answer;
//! - a question declared `multi` is split on every `, ` that does not fall inside a known
//!   option (an "Other" text ticked with options becomes an answer of its own); one declared
//!   `single`, `scale` or `text` is never split.
//!
//! Every answer of a question with a split answer, or declared `multi`, is marked `multi`.

use std::collections::{HashMap, HashSet};

use super::time::{self, DayOrder};
use super::{email_column, Read, Response, Sheet};
use crate::config::{QuestionType, SurveysConfig};

/// Columns every Google Forms export has.
pub const REQUIRED: &[&str] = &["Timestamp"];

/// Names of the collected email column.
const EMAIL: &[&str] = &["Email Address", "Email", "E-mail"];

/// How Google separates ticked options.
const SEPARATOR: &str = ", ";

/// Whether column `i` is a quiz's total score (`7 / 10`, `7.5 / 10`).
fn is_quiz_score(sheet: &Sheet, i: usize) -> bool {
    let score = |v: &str| {
        v.split_once(" / ").is_some_and(|(a, b)| {
            a.trim().parse::<f64>().is_ok() && b.trim().parse::<u32>().is_ok()
        })
    };
    sheet.header[i].eq_ignore_ascii_case("Score") && sheet.values(i).all(score)
}

/// How one question's answers are split.
#[derive(Debug, Default)]
pub struct Splitter {
    /// Known options, compared in lower case.
    options: HashSet<String>,
    /// Declared `multi`: split on every separator outside a known option.
    lenient: bool,
    /// Declared `single`, `scale` or `text`.
    never: bool,
}

impl Splitter {
    /// The splitter of a question with these whole answers, as `surveys` declares it.
    pub fn new<'a>(
        question: &str,
        answers: impl Iterator<Item = &'a str>,
        surveys: &SurveysConfig,
    ) -> Splitter {
        let declared = surveys.declared(question);
        let kind = declared.and_then(|q| q.kind);
        let mut s = Splitter {
            options: declared
                .map(|q| q.options.iter().map(|o| o.trim().to_lowercase()).collect())
                .unwrap_or_default(),
            lenient: kind == Some(QuestionType::Multi),
            never: matches!(
                kind,
                Some(QuestionType::Single | QuestionType::Scale | QuestionType::Text)
            ),
        };
        let mut whole: Vec<String> = answers
            .map(|a| a.trim().to_lowercase())
            .filter(|a| !a.is_empty())
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        // Shortest first: a list is made of options with fewer separators than itself.
        whole.sort_by_key(|a| (a.matches(SEPARATOR).count(), a.clone()));
        for a in whole {
            if s.options.contains(&a) || segment(&a, &s.options, false).is_none() {
                s.options.insert(a);
            }
        }
        s
    }

    /// The answers one cell holds.
    pub fn split<'c>(&self, cell: &'c str) -> Vec<&'c str> {
        let cell = cell.trim();
        if self.never || self.options.contains(&cell.to_lowercase()) {
            return vec![cell];
        }
        match segment(cell, &self.options, self.lenient) {
            Some(parts) => parts,
            None => vec![cell],
        }
    }

    /// Whether the question's answers are choices of a multiple selection, given its cells.
    fn multi<'a>(&self, mut cells: impl Iterator<Item = &'a str>) -> bool {
        self.lenient || (!self.never && cells.any(|c| self.split(c).len() > 1))
    }
}

/// `cell` as a list of known `options` (compared in lower case): the reading with the fewest
/// unknown parts, then the fewest parts. Strict (`lenient` false): only a reading of two or more
/// known options. Lenient: a single unknown piece between separators may be a part.
fn segment<'c>(cell: &'c str, options: &HashSet<String>, lenient: bool) -> Option<Vec<&'c str>> {
    // Byte offsets where each piece between separators starts and ends.
    let mut bounds = Vec::new();
    let mut start = 0;
    for (i, _) in cell.match_indices(SEPARATOR) {
        bounds.push((start, i));
        start = i + SEPARATOR.len();
    }
    bounds.push((start, cell.len()));
    let n = bounds.len();
    if n < 2 {
        return None;
    }
    // best[i]: (unknown parts, parts, start of the last part) of the best reading of pieces ..i.
    let mut best: Vec<Option<(usize, usize, usize)>> = vec![None; n + 1];
    best[0] = Some((0, 0, 0));
    for i in 1..=n {
        for j in 0..i {
            let Some((unknown, parts, _)) = best[j] else {
                continue;
            };
            let text = &cell[bounds[j].0..bounds[i - 1].1];
            let known = options.contains(&text.to_lowercase());
            if !(known || (lenient && i == j + 1)) {
                continue;
            }
            let cand = (unknown + usize::from(!known), parts + 1, j);
            if best[i].is_none_or(|b| (cand.0, cand.1) < (b.0, b.1)) {
                best[i] = Some(cand);
            }
        }
    }
    let (_, parts, _) = best[n]?;
    if parts < 2 {
        return None;
    }
    let mut out = Vec::with_capacity(parts);
    let mut i = n;
    while i > 0 {
        let (_, _, j) = best[i]?;
        out.push(&cell[bounds[j].0..bounds[i - 1].1]);
        i = j;
    }
    out.reverse();
    Some(out)
}

/// A sheet's email column and question columns.
type Layout = (Option<usize>, Vec<(usize, String)>);

/// The question columns of a sheet: (column, question text).
fn questions(sheet: &Sheet, email: Option<usize>) -> Vec<(usize, String)> {
    (0..sheet.header.len())
        .filter(|&i| {
            Some(i) != email
                && !sheet.header[i].eq_ignore_ascii_case("Timestamp")
                && !is_quiz_score(sheet, i)
        })
        .map(|i| (i, sheet.header[i].clone()))
        .collect()
}

/// Read Google Forms exports: one answer per answer (a checkbox cell split, see the module
/// docs), one reject per response whose timestamp cannot be read.
pub fn read(sheets: &[Sheet], surveys: &SurveysConfig) -> Read {
    let layouts: Vec<Layout> = sheets
        .iter()
        .map(|s| {
            let candidates: Vec<usize> = questions(s, None).iter().map(|(i, _)| *i).collect();
            let email = email_column(s, EMAIL, &candidates);
            (email, questions(s, email))
        })
        .collect();
    // Every question's whole answers across the files, its renamed texts together.
    let mut whole: HashMap<&str, Vec<&str>> = HashMap::new();
    for (sheet, (_, qs)) in sheets.iter().zip(&layouts) {
        for (i, q) in qs {
            whole
                .entry(surveys.canonical(q))
                .or_default()
                .extend(sheet.values(*i));
        }
    }
    let splitters: HashMap<&str, (Splitter, bool)> = whole
        .iter()
        .map(|(q, cells)| {
            let s = Splitter::new(q, cells.iter().copied(), surveys);
            let multi = s.multi(cells.iter().copied());
            (*q, (s, multi))
        })
        .collect();
    let mut out = Read::default();
    for (sheet, (email, qs)) in sheets.iter().zip(&layouts) {
        out.reject_unparsed(sheet);
        let stamp = sheet.column(&["Timestamp"]).unwrap_or(0);
        let order = time::day_order(sheet.values(stamp));
        if order == DayOrder::DayFirst {
            tracing::info!(file = %sheet.shown, "Timestamps read day first (a day over 12 comes first).");
        }
        for rec in &sheet.records {
            let value = rec.cells[stamp].trim();
            let when = match out.counts.tally(time::google(value, order).ok_or(())) {
                Ok(t) => t,
                Err(()) => {
                    let reason = format!(
                        "column \"Timestamp\": {value:?} is not a date-time like \
                         2026/11/02 10:15:03 AM GMT+1 or 11/2/2026 10:15:03"
                    );
                    out.rejects.push(sheet.reject(rec, reason));
                    continue;
                }
            };
            let response = Response::new(sheet, rec, None, rec.cell(*email), Some(when));
            for (i, q) in qs {
                let Some((splitter, multi)) = splitters.get(surveys.canonical(q)) else {
                    continue;
                };
                let cell = rec.cells[*i].trim();
                if cell.is_empty() {
                    continue;
                }
                for (n, answer) in splitter.split(cell).into_iter().enumerate() {
                    let index = n as i64 + 1;
                    out.answers
                        .push(response.answer(q.clone(), answer, index, *multi));
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::{assert_first_reject, test_sheet, Answer};
    use super::*;

    /// A Google Forms download in its real shape: every field quoted, the form's zone in the
    /// timestamp, the collected email, a checkbox question, a grid row.
    const EXPORT: &str = "\"Timestamp\",\"Email Address\",\"Would you recommend us?\",\
\"Which channels do you use?\",\"How satisfied are you? [Price]\"\n\
\"2026/11/02 10:15:03 AM GMT+1\",\"ann@x.io\",\"Yes, definitely\",\"LinkedIn, Email\",\"4\"\n\
\"2026/11/02 11:00:00 AM GMT+1\",\"bob@x.io\",\"Yes\",\"Email\",\"\"\n\
\"2026/11/02 1:30:00 PM GMT+1\",\"cy@x.io\",\"No\",\"LinkedIn\",\"2\"\n\
\"last Tuesday\",\"dee@x.io\",\"No\",\"Events, LinkedIn\",\"3\"\n\
\"2026/11/03 9:00:00 AM GMT+1\",\"\",\"No\",\"Podcasts, TV\",\"5\"\n";

    fn rows(read: &Read) -> Vec<(&str, &str, i64, bool)> {
        read.answers.iter().map(Answer::summary).collect()
    }

    #[test]
    fn checkbox_answers_are_split_only_into_known_options() {
        let read = read(&[test_sheet(EXPORT, REQUIRED)], &SurveysConfig::default());
        let got = rows(&read);
        let ch = "Which channels do you use?";
        assert_eq!(
            &got[..4],
            [
                ("Would you recommend us?", "Yes, definitely", 1, false),
                (ch, "LinkedIn", 1, true),
                (ch, "Email", 2, true),
                ("How satisfied are you? [Price]", "4", 1, false),
            ]
        );
        // "Podcasts, TV": neither was ever ticked alone, so it stays one answer.
        assert!(got.contains(&(ch, "Podcasts, TV", 1, true)), "{got:?}");
        // Empty cells are no answers; no email is no email.
        assert_eq!(got.iter().filter(|r| r.0.ends_with("[Price]")).count(), 3);
        assert_eq!(read.answers.last().unwrap().email, None);
        assert_eq!(read.answers[0].email.as_deref(), Some("ann@x.io"));
        assert_eq!(
            read.answers[0].submitted_at.map(|t| t.to_rfc3339()),
            Some("2026-11-02T09:15:03+00:00".to_string())
        );
    }

    #[test]
    fn an_unreadable_timestamp_rejects_the_response_naming_line_column_and_value() {
        let read = read(&[test_sheet(EXPORT, REQUIRED)], &SurveysConfig::default());
        assert_eq!(read.counts.as_tuple(), (5, 4, 1));
        assert_first_reject(&read, 5, "Timestamp", "last Tuesday");
        assert!(read
            .answers
            .iter()
            .all(|a| a.email.as_deref() != Some("dee@x.io")));
    }

    #[test]
    fn a_declared_multi_question_splits_on_every_separator_outside_an_option() {
        let surveys: SurveysConfig = toml::from_str(
            r#"questions = [{ question = "Which channels do you use?", type = "multi", options = ["Email, mostly"] }, { question = "Would you recommend us?", type = "single" }]"#,
        )
        .unwrap();
        let s = Splitter::new(
            "Which channels do you use?",
            ["LinkedIn"].into_iter(),
            &surveys,
        );
        assert_eq!(s.split("Podcasts, TV"), ["Podcasts", "TV"]);
        assert_eq!(
            s.split("LinkedIn, Email, mostly"),
            ["LinkedIn", "Email, mostly"]
        );
        assert_eq!(s.split("email, mostly"), ["email, mostly"]);
        let single = Splitter::new(
            "Would you recommend us?",
            ["Yes", "definitely"].into_iter(),
            &surveys,
        );
        assert_eq!(single.split("Yes, definitely"), ["Yes, definitely"]);
    }

    #[test]
    fn a_list_answer_is_never_an_option_of_its_own() {
        let none = SurveysConfig::default();
        let answers = ["A", "B", "A, B", "A, B, C", "C"];
        let s = Splitter::new("Q", answers.into_iter(), &none);
        assert_eq!(s.split("A, B, C"), ["A", "B", "C"]);
        assert_eq!(s.split("A, B"), ["A", "B"]);
        assert_eq!(s.split("A, D"), ["A, D"]);
    }

    #[test]
    fn a_sheet_export_in_a_day_first_locale_and_a_quiz_score() {
        let text = "Timestamp,Score,Your email,Q\n25/10/2026 09:00:00,7 / 10,ann@x.io,a\n2/11/2026 10:15:03,5 / 10,bob@x.io,b\n";
        let read = read(&[test_sheet(text, REQUIRED)], &SurveysConfig::default());
        let got: Vec<(String, Option<&str>, &str)> = read
            .answers
            .iter()
            .map(|a| {
                (
                    a.submitted_at.unwrap().to_rfc3339(),
                    a.email.as_deref(),
                    a.question.as_str(),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                (
                    "2026-10-25T09:00:00+00:00".to_string(),
                    Some("ann@x.io"),
                    "Q"
                ),
                (
                    "2026-11-02T10:15:03+00:00".to_string(),
                    Some("bob@x.io"),
                    "Q"
                ),
            ]
        );
    }
}
