//! Free-text answers on the persona card, without a language model: the words a persona's
//! respondents use more than the rest of its bucket's, and a few of their answers verbatim.
//!
//! An answer's words are its runs of letters, lower-cased, of three letters or more, less a
//! short list of English stop words ([`STOP_WORDS`]); each word counts once per answer. A word
//! sets a persona apart when at least [`MIN_COUNT`] of its respondents used it and it is at
//! least [`MIN_RATIO`] times as common among them as among the rest (the rest's share counted
//! as `(answers with it + 1) / (answers + 1)`, so a word the rest never used has a finite
//! ratio). The top [`TOP_WORDS`] by ratio are quoted with their counts, and up to [`QUOTES`] of
//! the shortest answers holding the top word, cut at [`QUOTE_CHARS`] characters.

use std::collections::{BTreeMap, BTreeSet};

use super::{Respondents, Said};

/// Words too common to say anything about a persona.
#[rustfmt::skip]
pub const STOP_WORDS: &[&str] = &[
    "the", "and", "for", "are", "but", "not", "you", "your", "all", "any", "can", "had", "her",
    "was", "one", "our", "out", "has", "have", "him", "his", "how", "its", "may", "who", "did",
    "get", "got", "than", "that", "this", "with", "from", "they", "them", "their", "there",
    "what", "when", "which", "will", "would", "could", "should", "about", "into", "more",
    "most", "much", "some", "such", "very", "just", "also", "been", "were", "because", "really",
    "then", "too", "off", "own", "yes",
];
/// The fewest of a persona's answers a word must be in.
pub const MIN_COUNT: usize = 3;
/// The least ratio of its share of the persona's answers to its share of the rest's.
pub const MIN_RATIO: f64 = 2.0;
/// Words quoted per persona and question.
pub const TOP_WORDS: usize = 5;
/// Verbatim answers quoted per persona and question.
pub const QUOTES: usize = 2;
/// The longest quote, in characters.
pub const QUOTE_CHARS: usize = 140;

/// The distinct words of an answer.
pub fn words(answer: &str) -> BTreeSet<String> {
    answer
        .split(|c: char| !c.is_alphabetic())
        .map(str::to_lowercase)
        .filter(|w| w.chars().count() >= 3 && !STOP_WORDS.contains(&w.as_str()))
        .collect()
}

/// A word that sets a persona's answers apart.
#[derive(Debug, Clone, PartialEq)]
pub struct Word {
    /// The word.
    pub word: String,
    /// The persona's answers that use it.
    pub count: usize,
    /// The share of the rest's answers that use it (unsmoothed).
    pub rest_share: f64,
    /// Its (smoothed) ratio, persona against the rest.
    pub ratio: f64,
}

/// A respondent's answer as one text.
fn joined(per: &Respondents<'_>, row: usize) -> String {
    per.question
        .answers
        .get(&row)
        .map(|a| a.join(" ").trim().to_string())
        .unwrap_or_default()
}

/// The words of persona `p`'s answers that set it apart, strongest first, at most
/// [`TOP_WORDS`].
pub fn top_words(per: &Respondents<'_>, p: usize) -> Vec<Word> {
    let (mut mine, mut rest) = (BTreeMap::<String, usize>::new(), BTreeMap::new());
    let mut n_rest = 0usize;
    for (q, rows) in per.rows.iter().enumerate() {
        for &r in rows {
            let counts = if q == p { &mut mine } else { &mut rest };
            for w in words(&joined(per, r)) {
                *counts.entry(w).or_insert(0usize) += 1;
            }
            n_rest += usize::from(q != p);
        }
    }
    let n_mine = per.rows[p].len().max(1) as f64;
    let mut out: Vec<Word> = mine
        .into_iter()
        .filter(|(_, c)| *c >= MIN_COUNT)
        .map(|(word, count)| {
            let r = rest.get(&word).copied().unwrap_or(0);
            let ratio = (count as f64 / n_mine) / ((r as f64 + 1.0) / (n_rest as f64 + 1.0));
            let rest_share = r as f64 / n_rest.max(1) as f64;
            Word {
                word,
                count,
                rest_share,
                ratio,
            }
        })
        .filter(|w| w.ratio >= MIN_RATIO)
        .collect();
    out.sort_by(|a, b| {
        b.ratio
            .total_cmp(&a.ratio)
            .then(b.count.cmp(&a.count))
            .then(a.word.cmp(&b.word))
    });
    out.truncate(TOP_WORDS);
    out
}

/// Up to [`QUOTES`] of persona `p`'s answers that use `word`, shortest first, each cut at
/// [`QUOTE_CHARS`] characters.
pub fn quotes(per: &Respondents<'_>, p: usize, word: &str) -> Vec<String> {
    let mut found: Vec<String> = per.rows[p]
        .iter()
        .map(|&r| joined(per, r))
        .filter(|a| words(a).contains(word))
        .collect();
    found.sort_by(|a, b| a.chars().count().cmp(&b.chars().count()).then(a.cmp(b)));
    found.dedup();
    found
        .into_iter()
        .take(QUOTES)
        .map(|a| {
            if a.chars().count() > QUOTE_CHARS {
                let cut: String = a.chars().take(QUOTE_CHARS - 1).collect();
                format!("{}…", cut.trim_end())
            } else {
                a
            }
        })
        .collect()
}

/// Persona `p`'s statements for a free-text question: the words that set it apart with their
/// numbers, then the quotes; nothing when no word does.
pub fn statements(q: &super::Question, per: &Respondents<'_>, p: usize) -> Vec<Said> {
    let top = top_words(per, p);
    let Some(first) = top.first() else {
        return Vec::new();
    };
    let n = per.rows[p].len();
    let listed: Vec<String> = top
        .iter()
        .map(|w| {
            format!(
                "'{}' ({} of {n} answers, vs {:.0} % of the rest)",
                w.word,
                w.count,
                w.rest_share * 100.0
            )
        })
        .collect();
    let mut out = vec![(
        q.section,
        format!(
            "Words that set their answers to '{}' apart: {}; {n} respondents",
            q.text,
            listed.join(", ")
        ),
    )];
    for quote in quotes(per, p, &first.word) {
        out.push((
            q.section,
            format!("\"{quote}\" (a respondent, on '{}')", q.text),
        ));
    }
    out
}
