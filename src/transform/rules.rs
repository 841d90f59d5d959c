//! The SQL of the `job_seniority` and `gender` features, built from data files, for two template
//! variables of `int_contact_features`:
//! - `{{ job_seniority }}`: a `case` over `job_title`: `unknown` when missing, else the level of
//!   the first rule whose pattern matches (case-insensitively), else `individual_contributor`;
//! - `{{ gender }}`: a `case` over `lower(trim(gender))`: the gender of the value it equals, else
//!   `unknown`.
//!
//! The rules are data, not Rust. Two CSV files with a header, embedded in the binary and parsed
//! once (`#` starts a comment line):
//! - `rules/job_seniority.csv`: `level,language,pattern`. `level` is one of
//!   [`crate::config::SENIORITY_LEVELS`]; `language` the ISO 639-1 code the words come from
//!   (documentation only); `pattern` a regular expression (Rust `regex` syntax, as DataFusion's
//!   `regexp_like` runs it) matched case-insensitively anywhere in the title. Rows are grouped
//!   by level, most senior first: each run of rows of one level becomes one alternation (one
//!   `regexp_like` per level, no join against a rules table), tried in file order, so
//!   `Tổng giám đốc` (executive) wins over `giám đốc` (director). German, Dutch and Nordic
//!   compounds (`Abteilungsleiter`, `Salgsdirektør`) are matched by suffix, without `\b` before
//!   the word. A `\b` may open or close a pattern, not stand inside it (see
//!   [`fast_alternation`]: about a second per million titles on two cores).
//! - `rules/gender.csv`: `value,gender,language`: a value (lower case) and its gender, one of
//!   [`crate::config::GENDER_VALUES`]; the first row naming a value wins.
//!
//! They cover English, German, French, Spanish, Dutch, Norwegian, Danish, Swedish, Russian and
//! Vietnamese. The config's own rules (`[features] titles` and `genders`, see
//! [`crate::config::TitleRule`]) come first, in their order, so they extend and override these.
//! Text is matched as written: a title in decomposed Unicode (NFD) does not match a pattern
//! written composed (NFC), as the files are.

use std::sync::LazyLock;

use datafusion::error::DataFusionError;
use serde::Deserialize;

use crate::config::{check_titles, GenderRule, TitleRule};

/// The bundled job-title rules.
const JOB_SENIORITY_CSV: &str = include_str!("rules/job_seniority.csv");
/// The bundled gender values.
const GENDER_CSV: &str = include_str!("rules/gender.csv");

/// One row of `job_seniority.csv`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct SeniorityRow {
    level: String,
    language: String,
    pattern: String,
}

/// One row of `gender.csv`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct GenderRow {
    value: String,
    gender: String,
    language: String,
}

/// The bundled title rules and gender values.
type Bundled = (Vec<TitleRule>, Vec<GenderRule>);

/// The bundled rules, parsed and checked once.
static BUNDLED: LazyLock<Result<Bundled, String>> =
    LazyLock::new(|| Ok((bundled_titles()?, bundled_genders()?)));

/// Rows of an embedded CSV file.
fn rows<T: for<'de> Deserialize<'de>>(file: &str, text: &str) -> Result<Vec<T>, String> {
    csv::ReaderBuilder::new()
        .comment(Some(b'#'))
        .from_reader(text.as_bytes())
        .deserialize()
        .map(|row| row.map_err(|e| format!("{file}: {e}")))
        .collect()
}

/// Each row's language is an ISO 639-1 code (two lower-case letters).
fn languages<'a>(file: &str, mut codes: impl Iterator<Item = &'a str>) -> Result<(), String> {
    match codes.find(|c| c.len() != 2 || !c.bytes().all(|b| b.is_ascii_lowercase())) {
        Some(code) => Err(format!(
            "{file}: `{code}` is not a language code (ISO 639-1)"
        )),
        None => Ok(()),
    }
}

/// The rules of `job_seniority.csv`, each level known and each pattern compiling.
fn bundled_titles() -> Result<Vec<TitleRule>, String> {
    let rows = rows::<SeniorityRow>("job_seniority.csv", JOB_SENIORITY_CSV)?;
    languages(
        "job_seniority.csv",
        rows.iter().map(|r| r.language.as_str()),
    )?;
    let rules: Vec<TitleRule> = rows
        .into_iter()
        .map(|r| TitleRule {
            level: r.level,
            pattern: r.pattern,
        })
        .collect();
    check_titles(&rules, &[]).map_err(|e| format!("job_seniority.csv: {e}"))?;
    Ok(rules)
}

/// The values of `gender.csv`, each gender known.
fn bundled_genders() -> Result<Vec<GenderRule>, String> {
    let rows = rows::<GenderRow>("gender.csv", GENDER_CSV)?;
    languages("gender.csv", rows.iter().map(|r| r.language.as_str()))?;
    let rules: Vec<GenderRule> = rows
        .into_iter()
        .map(|r| GenderRule {
            value: r.value,
            gender: r.gender,
        })
        .collect();
    check_titles(&[], &rules).map_err(|e| format!("gender.csv: {e}"))?;
    Ok(rules)
}

/// The bundled rules, or why the embedded files do not parse.
fn bundled() -> Result<&'static Bundled, String> {
    BUNDLED.as_ref().map_err(Clone::clone)
}

/// A SQL string literal.
fn literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// `{{ job_seniority }}`: the config's `extra` rules, then the bundled ones.
pub fn job_seniority(extra: &[TitleRule]) -> Result<String, String> {
    let (bundled, _) = bundled()?;
    let mut sql = String::from("case\n            when job_title is null then 'unknown'");
    let own = extra.chunk_by(|a, b| a.level == b.level).map(|run| {
        let patterns: Vec<String> = run.iter().map(|r| format!("(?:{})", r.pattern)).collect();
        (patterns.join("|"), &run[0].level)
    });
    let bundled = bundled
        .chunk_by(|a, b| a.level == b.level)
        .map(|run| (fast_alternation(run), &run[0].level));
    for (pattern, level) in own.chain(bundled) {
        sql.push_str(&format!(
            "\n            when regexp_like(job_title, {}, 'i') then {}",
            literal(&pattern),
            literal(level)
        ));
    }
    sql.push_str("\n            else 'individual_contributor'\n        end");
    Ok(sql)
}

/// A pattern without its leading and trailing `\b`, and which of the two it had.
fn split_boundaries(pattern: &str) -> (bool, &str, bool) {
    let (lead, rest) = match pattern.strip_prefix(r"\b") {
        Some(rest) => (true, rest),
        None => (false, pattern),
    };
    match rest.strip_suffix(r"\b") {
        Some(inner) if !inner.ends_with('\\') => (lead, inner, true),
        _ => (lead, rest, false),
    }
}

/// The patterns of one level as one regular expression, with a leading `\b` written
/// `(?:^|\W)` and a trailing one `(?:\W|$)`, each once for all the patterns that have it. It
/// matches what the patterns match where their word boundaries are next to a word character,
/// as in the bundled rules (a test checks it on every title the tests name), and the regex
/// engine's DFA runs it: with a Unicode `\b` and a title that is not ASCII, it falls back to a
/// slower engine (100 times slower over the bundled alternations), and with `\W` written once
/// per pattern its DFA outgrows its cache (as slow). A `\b` inside a pattern is kept.
fn fast_alternation(rules: &[TitleRule]) -> String {
    // Patterns by [no boundary, trailing, leading, both].
    let mut groups: [Vec<String>; 4] = Default::default();
    for r in rules {
        let (lead, inner, trail) = split_boundaries(&r.pattern);
        groups[usize::from(lead) * 2 + usize::from(trail)].push(format!("(?:{inner})"));
    }
    let mut parts = Vec::new();
    for (i, patterns) in groups.iter().enumerate().filter(|(_, p)| !p.is_empty()) {
        let lead = if i >= 2 { r"(?:^|\W)" } else { "" };
        let trail = if i % 2 == 1 { r"(?:\W|$)" } else { "" };
        parts.push(format!("{lead}(?:{}){trail}", patterns.join("|")));
    }
    parts.join("|")
}

/// `{{ gender }}`: the config's `extra` values, then the bundled ones.
pub fn gender(extra: &[GenderRule]) -> Result<String, String> {
    let (_, bundled) = bundled()?;
    let mut seen: Vec<String> = Vec::new();
    let mut runs: Vec<(&str, Vec<String>)> = Vec::new();
    for rule in extra.iter().chain(bundled) {
        let value = rule.value.trim().to_lowercase();
        if seen.contains(&value) {
            continue;
        }
        seen.push(value.clone());
        match runs.last_mut() {
            Some((g, values)) if *g == rule.gender => values.push(literal(&value)),
            _ => runs.push((&rule.gender, vec![literal(&value)])),
        }
    }
    let mut sql = String::from("case");
    for (g, values) in runs {
        sql.push_str(&format!(
            "\n            when lower(trim(gender)) in ({}) then {}",
            values.join(", "),
            literal(g)
        ));
    }
    sql.push_str("\n            else 'unknown'\n        end");
    Ok(sql)
}

/// `sql` with `{{ job_seniority }}` and `{{ gender }}` replaced, with the config's rules first.
pub fn render(
    sql: &str,
    titles: &[TitleRule],
    genders: &[GenderRule],
) -> Result<String, DataFusionError> {
    let mut out = sql.to_string();
    if out.contains("{{ job_seniority }}") {
        let case = job_seniority(titles).map_err(DataFusionError::Configuration)?;
        out = out.replace("{{ job_seniority }}", &case);
    }
    if out.contains("{{ gender }}") {
        let case = gender(genders).map_err(DataFusionError::Configuration)?;
        out = out.replace("{{ gender }}", &case);
    }
    Ok(out)
}

#[cfg(test)]
mod tests;
