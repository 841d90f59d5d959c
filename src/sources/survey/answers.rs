//! The generic long survey CSV: one row per answer, `email, question, answer` (header names in
//! any case), optionally `submitted_at` (see [`time::iso`]; empty is
//! unknown) and `respondent_id`. A row with an empty answer is no answer; one with an answer
//! but no question, or a time that cannot be read, is a reject naming its line and column.
//! Several rows of one question in one submission (same respondent, same time) are a multiple
//! selection: each is `multi`, numbered in file order.

use std::collections::HashMap;

use super::{time, Answer, Read, Response};
use crate::config::SurveysConfig;

/// Columns every long answers CSV has.
pub const REQUIRED: &[&str] = &["email", "question", "answer"];

/// Read long answer CSVs.
pub fn read(sheets: &[super::Sheet], surveys: &SurveysConfig) -> Read {
    let mut out = Read::default();
    for sheet in sheets {
        out.reject_unparsed(sheet);
        let col = |name: &str| sheet.column(&[name]);
        let (Some(email), Some(question), Some(answer)) =
            (col("email"), col("question"), col("answer"))
        else {
            continue; // the header check guarantees them
        };
        let (submitted, respondent) = (col("submitted_at"), col("respondent_id"));
        for rec in &sheet.records {
            let cell = |i: Option<usize>| rec.cell(i);
            let row = (|| {
                let when = match cell(submitted) {
                    Some(v) => Some(time::iso(v).ok_or_else(|| {
                        format!(
                            "column {:?}: {v:?} is not a date-time like 2026-11-02T10:15:03Z or 2026-11-02 10:15:03",
                            sheet.header[submitted.unwrap_or_default()]
                        )
                    })?),
                    None => None,
                };
                let given = cell(Some(answer));
                if given.is_some() && cell(Some(question)).is_none() {
                    return Err(format!(
                        "column {:?}: is empty, but the row has an answer",
                        sheet.header[question]
                    ));
                }
                Ok((when, given))
            })();
            match out.counts.tally(row) {
                Ok((when, Some(given))) => {
                    let response =
                        Response::new(sheet, rec, cell(respondent), cell(Some(email)), when);
                    let question = rec.cells[question].trim().to_string();
                    out.answers.push(response.answer(question, given, 1, false));
                }
                Ok((_, None)) => {} // an empty answer is no answer
                Err(reason) => out.rejects.push(sheet.reject(rec, reason)),
            }
        }
    }
    number(&mut out.answers, surveys);
    out
}

/// Number the answers of each (respondent, submission time, question) in file order, and mark
/// those with several answers `multi`. A respondent is the `respondent_id`, else the email
/// ignoring case, else the row itself.
fn number(answers: &mut [Answer], surveys: &SurveysConfig) {
    let key = |a: &Answer| {
        let who = a
            .respondent_id
            .clone()
            .or_else(|| a.email.as_ref().map(|e| e.trim().to_lowercase()))
            .unwrap_or_else(|| format!("{}:{}", a.file, a.line));
        (
            who,
            a.submitted_at,
            surveys.canonical(&a.question).to_lowercase(),
        )
    };
    let mut seen: HashMap<_, i64> = HashMap::new();
    for a in answers.iter_mut() {
        let n = seen.entry(key(a)).or_default();
        *n += 1;
        a.answer_index = *n;
    }
    for a in answers.iter_mut() {
        a.multi = seen.get(&key(a)).is_some_and(|n| *n > 1);
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_sheet;
    use super::*;

    #[test]
    fn several_answers_to_a_question_are_a_multiple_selection() {
        let text = "\u{feff}Email,Question,Answer,Submitted_At,respondent_id\n\
ann@x.io,Channels,LinkedIn,2026-11-01T10:00:00Z,\n\
ANN@x.io ,Channels,Email,2026-11-01T10:00:00Z,\n\
ann@x.io,Role,CEO,2026-11-01T10:00:00Z,\n\
bob@x.io,Channels,Events,,r-2\n\
bob@x.io,Role,,,r-2\n\
cy@x.io,,Orphan,,\n\
cy@x.io,Role,CTO,next week,\n";
        let read = read(&[test_sheet(text, REQUIRED)], &SurveysConfig::default());
        let got: Vec<(&str, &str, i64, bool)> = read.answers.iter().map(Answer::summary).collect();
        assert_eq!(
            got,
            [
                ("Channels", "LinkedIn", 1, true),
                ("Channels", "Email", 2, true),
                ("Role", "CEO", 1, false),
                ("Channels", "Events", 1, false),
            ]
        );
        assert_eq!(read.answers[3].respondent_id.as_deref(), Some("r-2"));
        assert_eq!(read.answers[1].email.as_deref(), Some("ANN@x.io"));
        assert_eq!(read.counts.as_tuple(), (7, 5, 2));
        let lines: Vec<(u64, bool)> = read
            .rejects
            .iter()
            .map(|r| {
                (
                    r.line,
                    r.reason.contains("\"Question\"") || r.reason.contains("\"next week\""),
                )
            })
            .collect();
        assert_eq!(lines, [(7, true), (8, true)]);
    }
}
