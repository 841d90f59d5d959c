//! Survey answers on the persona card: every closed question a `[surveys]` question with a
//! card section asks is compared between each persona's respondents and the rest of its
//! bucket's respondents, with the tests and the correction traits use ([`super::stats`]):
//! each option of a `single` or `multi` question by the two-proportion test (Fisher's exact
//! test for small counts), a `scale` question's mean by Welch's t-test, the bucket's p-values
//! corrected together (`profile.correction`) and compared with `profile.alpha`. An answer
//! sets a persona apart when it is significant and large: an option at least `min_rate` of its
//! respondents chose and `min_lift` times as often as the rest, a mean `min_std_diff` standard
//! deviations (of the bucket's respondents) from the rest's. Those become statements in the
//! question's section, with their numbers. Free-text answers give the words most
//! over-represented against the rest and a few verbatim quotes ([`text`]). A persona with fewer
//! than `surveys.min_respondents` respondents in a section gets one statement saying so
//! instead. The answers are read from the `survey_answers` mart by `pipeline::surveys`.

pub mod text;

use std::collections::{BTreeMap, BTreeSet};

use crate::config::{ProfileConfig, QuestionType, SurveySection};

use super::card::Card;
use super::stats::{self, Moments};

/// One survey question with a card section, and its answers by contact row.
#[derive(Debug, Clone, PartialEq)]
pub struct Question {
    /// The question's canonical text.
    pub text: String,
    /// How it is answered (declared, else detected from the answers).
    pub kind: QuestionType,
    /// The card section it feeds.
    pub section: SurveySection,
    /// Contact row (of the feature table) -> its answers (one per choice of a `multi`).
    pub answers: BTreeMap<usize, Vec<String>>,
}

/// The survey answers of a run's contacts, for the questions with a card section.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SurveyAnswers {
    /// The questions, in the config's order.
    pub questions: Vec<Question>,
    /// The fewest respondents of a persona (in a section) the card quotes answers for.
    pub min_respondents: usize,
}

impl SurveyAnswers {
    /// Whether there is no question to put on the cards.
    pub fn is_empty(&self) -> bool {
        self.questions.is_empty()
    }
}

/// A statement for one persona's card: its section and its text.
pub type Said = (SurveySection, String);

/// One test of a persona's answer against the rest of its bucket, before the correction.
struct Finding {
    persona: usize,
    section: SurveySection,
    p_value: f64,
    large: bool,
    text: String,
}

/// The sections (in card order) with at least one question.
fn sections(answers: &SurveyAnswers) -> Vec<SurveySection> {
    use SurveySection::*;
    [Goals, Motivations, Frustrations, Barriers, Values, Channel]
        .into_iter()
        .filter(|s| answers.questions.iter().any(|q| q.section == *s))
        .collect()
}

/// Whether a contact row answered a question (an empty answer is none).
fn answered(q: &Question, row: usize) -> bool {
    q.answers
        .get(&row)
        .is_some_and(|a| a.iter().any(|v| !v.trim().is_empty()))
}

/// The statements of every persona of one bucket (`rows` with their `labels`, `k` personas):
/// for each persona, the too-few-respondents notes, then the answers that set it apart, then
/// the free-text words and quotes, each in its question's section.
pub fn bucket_statements(
    answers: &SurveyAnswers,
    rows: &[usize],
    labels: &[usize],
    k: usize,
    cfg: &ProfileConfig,
) -> Vec<Vec<Said>> {
    let mut out: Vec<Vec<Said>> = vec![Vec::new(); k];
    // (persona, section) pairs with enough respondents to quote.
    let mut quotable = BTreeSet::new();
    for section in sections(answers) {
        let mut respondents = vec![0usize; k];
        for (&r, &l) in rows.iter().zip(labels) {
            let any = answers
                .questions
                .iter()
                .any(|q| q.section == section && answered(q, r));
            respondents[l] += usize::from(any);
        }
        for (p, &n) in respondents.iter().enumerate() {
            if n < answers.min_respondents {
                out[p].push((section, too_few(n, answers.min_respondents)));
            } else {
                quotable.insert((p, section.as_str()));
            }
        }
    }
    let may_quote = |p: usize, s: SurveySection| quotable.contains(&(p, s.as_str()));
    let mut findings = Vec::new();
    for q in &answers.questions {
        let per = Respondents::of(q, rows, labels, k);
        match q.kind {
            QuestionType::Single | QuestionType::Multi => {
                choices(q, &per, answers.min_respondents, cfg, &mut findings)
            }
            QuestionType::Scale => scale(q, &per, answers.min_respondents, cfg, &mut findings),
            QuestionType::Text => {}
        }
    }
    findings.retain(|f| may_quote(f.persona, f.section));
    let p: Vec<f64> = findings.iter().map(|f| f.p_value).collect();
    for (f, adjusted) in findings.into_iter().zip(stats::adjust(&p, cfg.correction)) {
        if f.large && adjusted < cfg.alpha {
            out[f.persona].push((f.section, f.text));
        }
    }
    for q in answers
        .questions
        .iter()
        .filter(|q| q.kind == QuestionType::Text)
    {
        let per = Respondents::of(q, rows, labels, k);
        for (p, said) in out.iter_mut().enumerate() {
            if may_quote(p, q.section) && per.rows[p].len() >= answers.min_respondents {
                said.extend(text::statements(q, &per, p));
            }
        }
    }
    out
}

/// "Only 12 survey respondents: too few to say (20 needed)".
pub fn too_few(n: usize, min: usize) -> String {
    let noun = if n == 1 { "respondent" } else { "respondents" };
    format!("Only {n} survey {noun}: too few to say ({min} needed)")
}

/// The respondents of one question in one bucket, by persona.
pub struct Respondents<'a> {
    /// The question.
    pub question: &'a Question,
    /// Each persona's respondents (contact rows that answered).
    pub rows: Vec<Vec<usize>>,
}

impl<'a> Respondents<'a> {
    /// The respondents of `q` among the bucket's `rows` (with their `labels`).
    pub fn of(q: &'a Question, rows: &[usize], labels: &[usize], k: usize) -> Respondents<'a> {
        let mut per = vec![Vec::new(); k];
        for (&r, &l) in rows.iter().zip(labels) {
            if answered(q, r) {
                per[l].push(r);
            }
        }
        Respondents {
            question: q,
            rows: per,
        }
    }

    /// Every respondent's answers in the bucket, with the persona they are in.
    fn each(&self) -> impl Iterator<Item = (usize, &'a [String])> + '_ {
        self.rows.iter().enumerate().flat_map(move |(p, rows)| {
            rows.iter().map(move |r| {
                let a = self.question.answers.get(r).map_or(&[][..], Vec::as_slice);
                (p, a)
            })
        })
    }

    /// Respondents in the bucket.
    fn total(&self) -> usize {
        self.rows.iter().map(Vec::len).sum()
    }
}

/// A rate as a whole percentage.
fn pct(x: usize, n: usize) -> f64 {
    100.0 * x as f64 / n.max(1) as f64
}

/// Each option of a choice question, for each persona with enough respondents, against the
/// rest of the bucket's respondents.
fn choices(
    q: &Question,
    per: &Respondents<'_>,
    min: usize,
    cfg: &ProfileConfig,
    out: &mut Vec<Finding>,
) {
    let k = per.rows.len();
    // Option -> respondents who chose it, per persona.
    let mut chose = BTreeMap::<&str, Vec<usize>>::new();
    for (p, a) in per.each() {
        let picked: BTreeSet<&str> = a
            .iter()
            .map(|v| v.trim())
            .filter(|v| !v.is_empty())
            .collect();
        for o in picked {
            chose.entry(o).or_insert_with(|| vec![0; k])[p] += 1;
        }
    }
    let total = per.total();
    for (p, mine) in per.rows.iter().enumerate() {
        let n1 = mine.len();
        if n1 < min {
            continue;
        }
        let n2 = total - n1;
        for (option, counts) in &chose {
            let (x1, x2) = (counts[p], counts.iter().sum::<usize>() - counts[p]);
            let (rate, rest) = (x1 as f64 / n1 as f64, x2 as f64 / n2.max(1) as f64);
            let lift = if rest > 0.0 {
                rate / rest
            } else {
                f64::INFINITY
            };
            out.push(Finding {
                persona: p,
                section: q.section,
                p_value: stats::proportions(x1, n1, x2, n2),
                large: n2 > 0 && rate >= cfg.min_rate && lift >= cfg.min_lift,
                text: format!(
                    "{:.0} % chose '{option}' for '{}', vs {:.0} % of the rest; {n1} respondents",
                    pct(x1, n1),
                    q.text,
                    pct(x2, n2)
                ),
            });
        }
    }
}

/// The mean of a scale question, for each persona with enough respondents, against the rest of
/// the bucket's respondents (Welch's t-test); answers that are not numbers are left out.
fn scale(
    q: &Question,
    per: &Respondents<'_>,
    min: usize,
    cfg: &ProfileConfig,
    out: &mut Vec<Finding>,
) {
    let k = per.rows.len();
    let (mut mine, mut all) = (vec![Moments::default(); k], Moments::default());
    for (p, a) in per.each() {
        if let Some(v) = a.first().and_then(|v| v.trim().parse::<f64>().ok()) {
            mine[p].push(v);
            all.push(v);
        }
    }
    let sd = all.var().sqrt();
    for (p, m) in mine.iter().enumerate() {
        if (m.n as usize) < min {
            continue;
        }
        let rest = m.rest(&all);
        let std_diff = if sd > 1e-12 {
            (m.mean() - rest.mean()) / sd
        } else {
            0.0
        };
        out.push(Finding {
            persona: p,
            section: q.section,
            p_value: stats::welch(m, &rest),
            large: rest.n > 0.0 && std_diff.abs() >= cfg.min_std_diff,
            text: format!(
                "Rated '{}' {:.1} on average, vs {:.1} for the rest; {} respondents",
                q.text,
                m.mean(),
                rest.mean(),
                m.n as usize
            ),
        });
    }
}

/// Put a persona's statements into its card's sections.
pub fn fill(card: &mut Card, said: &[Said]) {
    for (section, text) in said {
        let items = match section {
            SurveySection::Goals => &mut card.goals,
            SurveySection::Motivations => &mut card.motivations,
            SurveySection::Frustrations => &mut card.frustrations,
            SurveySection::Barriers => &mut card.barriers,
            SurveySection::Values => &mut card.values,
            SurveySection::Channel => &mut card.channel,
        };
        items.push(text.clone());
    }
}

#[cfg(test)]
mod tests;
