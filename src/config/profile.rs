//! Profile config: the thresholds that decide which traits set a persona apart (effect size and
//! a significance test with a correction for the number of traits tested), the sample-size and
//! stability flags, the negative-persona rule, the team's own statements that turn traits into
//! lines of the persona card (none by default; shown as the team's words), and the language
//! and words of persona names (read by [`crate::profile::naming`]).

use serde::Deserialize;

use super::model::strings;

/// Persona profile settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProfileConfig {
    /// A persona with fewer contacts is flagged `insufficient_sample`; its contacts get the CRM's
    /// fallback option ("Not classified"), never the persona.
    #[serde(default = "default_min_persona_size")]
    pub min_persona_size: usize,
    /// A run (or bucket) with fewer contacts flags every persona `insufficient_sample`.
    #[serde(default = "default_min_sample")]
    pub min_sample: usize,
    /// A persona whose bootstrap stability is below this is flagged `unstable`; its contacts get
    /// the CRM's fallback option ("Not classified"), never the persona.
    #[serde(default = "default_min_stability")]
    pub min_stability: f64,
    /// A categorical trait sets a persona apart when its lift is at least this (persona rate /
    /// rate in the bucket) ...
    #[serde(default = "default_min_lift")]
    pub min_lift: f64,
    /// ... at least this share of the persona has it ...
    #[serde(default = "default_min_rate")]
    pub min_rate: f64,
    /// ... a numeric trait when its mean differs by at least this many standard deviations ...
    #[serde(default = "default_min_std_diff")]
    pub min_std_diff: f64,
    /// ... and, either way, the difference is significant at this level after the correction.
    #[serde(default = "default_alpha")]
    pub alpha: f64,
    /// Correction for the number of traits tested: `holm` (default; family-wise error),
    /// `benjamini_hochberg` (false discovery rate) or `none`.
    #[serde(default)]
    pub correction: Correction,
    /// How many traits are shown per persona in the summary.
    #[serde(default = "default_top_traits")]
    pub top_traits: usize,
    /// Which personas marketing should not target.
    #[serde(default)]
    pub negative: NegativeRule,
    /// Fail the run (exit code 5, nothing published) when no persona is big enough to trust,
    /// instead of publishing personas flagged `insufficient_sample`.
    #[serde(default)]
    pub fail_on_insufficient_sample: bool,
    /// The team's own statements for the persona card, each shown when its trait sets the
    /// persona apart, marked on the card, in the report and in the `personas` table as the
    /// team's words ("(your words) ..."). None by default: the card's goals, motivations,
    /// frustrations, barriers and values come from survey answers (`[surveys]`) with their
    /// numbers, and a section with no evidence says so.
    #[serde(default)]
    pub statements: Vec<Statement>,
    /// Language of persona names: `en` (default), `de`, `fr`, `es`, `nl`, `no`, `da`, `sv`,
    /// `ru` or `vi`. The first word comes from the bundled naming table in this language;
    /// a word made from the data's own levels ("Retired") stays as the data spells it.
    #[serde(default)]
    pub language: Language,
    /// Words for persona names, tried before the bundled naming table:
    /// `{ column = "balance", level = "high", word = "Wealthy" }`. An entry whose column is
    /// not a feature column of the run is never met and simply unused (no error, no warning).
    #[serde(default)]
    pub names: Vec<NameWord>,
    /// How the personas of each bucket are ranked for focus (`[profile.priority]`).
    #[serde(default)]
    pub priority: super::PriorityConfig,
}

/// A word for persona names: a persona whose most distinctive named trait is `column` at
/// `level` is called "`word` <first name>" ("Wealthy Will").
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NameWord {
    /// Feature column.
    pub column: String,
    /// Level of a text column (as the data spells it), or `high`/`low` for a numeric one.
    pub level: String,
    /// The word, used whatever the `language`; `masculine/feminine` (`"Sparsamer/Sparsame"`)
    /// where the word agrees with the first name's gender.
    pub word: String,
    /// Whether the word suits a persona not to target: a negative persona prefers such a
    /// word. Unset: as the bundled table's row for the same column and level (`false` when
    /// there is none).
    pub negative: Option<bool>,
}

/// The languages persona names can be in.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub enum Language {
    /// English (`en`).
    #[default]
    En,
    /// German (`de`).
    De,
    /// French (`fr`).
    Fr,
    /// Spanish (`es`).
    Es,
    /// Dutch (`nl`).
    Nl,
    /// Norwegian, bokmål (`no`).
    No,
    /// Danish (`da`).
    Da,
    /// Swedish (`sv`).
    Sv,
    /// Russian (`ru`).
    Ru,
    /// Vietnamese (`vi`).
    Vi,
}

impl Language {
    /// Every language, in the order of the naming table's columns.
    pub const ALL: [Language; 10] = [
        Language::En,
        Language::De,
        Language::Fr,
        Language::Es,
        Language::Nl,
        Language::No,
        Language::Da,
        Language::Sv,
        Language::Ru,
        Language::Vi,
    ];

    /// The ISO 639-1 code the config and the naming table use (`en`, `de`, ...).
    pub fn code(self) -> &'static str {
        match self {
            Language::En => "en",
            Language::De => "de",
            Language::Fr => "fr",
            Language::Es => "es",
            Language::Nl => "nl",
            Language::No => "no",
            Language::Da => "da",
            Language::Sv => "sv",
            Language::Ru => "ru",
            Language::Vi => "vi",
        }
    }

    /// The language's name in English.
    pub fn english_name(self) -> &'static str {
        match self {
            Language::En => "English",
            Language::De => "German",
            Language::Fr => "French",
            Language::Es => "Spanish",
            Language::Nl => "Dutch",
            Language::No => "Norwegian",
            Language::Da => "Danish",
            Language::Sv => "Swedish",
            Language::Ru => "Russian",
            Language::Vi => "Vietnamese",
        }
    }
}

impl TryFrom<String> for Language {
    type Error = String;

    /// The language of a code; an unknown code's message lists the ones there are.
    fn try_from(code: String) -> Result<Self, String> {
        Language::ALL
            .into_iter()
            .find(|l| l.code() == code)
            .ok_or_else(|| {
                let known: Vec<String> = Language::ALL
                    .iter()
                    .map(|l| format!("`{}` ({})", l.code(), l.english_name()))
                    .collect();
                format!(
                    "profile.language `{code}` is not a language persona names can be in; use one of {}",
                    known.join(", ")
                )
            })
    }
}

/// Multiple-testing corrections.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Correction {
    /// Holm's step-down Bonferroni.
    #[default]
    Holm,
    /// Benjamini-Hochberg step-up.
    BenjaminiHochberg,
    /// No correction.
    None,
}

/// The negative-persona rule: a persona is negative when at least `min_share` of its contacts
/// meet the conditions.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NegativeRule {
    /// Whether the rule is applied.
    #[serde(default = "yes")]
    pub enabled: bool,
    /// A contact meets the rule when `any` (default) or `all` of the conditions hold.
    #[serde(default = "default_match", rename = "match")]
    pub match_: String,
    /// Share of the persona's contacts that must meet the rule.
    #[serde(default = "default_negative_share")]
    pub min_share: f64,
    /// The conditions on feature columns.
    #[serde(default = "default_conditions")]
    pub conditions: Vec<Condition>,
}

/// A condition on one feature column: `in` for text columns, `above`/`below` for numbers.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Condition {
    /// Feature column.
    pub column: String,
    /// Holds when the column's value is one of these.
    #[serde(rename = "in")]
    pub in_: Option<Vec<String>>,
    /// Holds when the column's value is above this.
    pub above: Option<f64>,
    /// Holds when the column's value is below this.
    pub below: Option<f64>,
}

/// Sections of the persona card a statement goes into.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CardSection {
    /// Goals.
    Goals,
    /// Motivations.
    Motivations,
    /// Frustrations.
    Frustrations,
    /// Barriers: what stops them from buying.
    Barriers,
    /// Values: what they care about.
    Values,
    /// Online behaviour.
    Online,
    /// Offline behaviour.
    Offline,
    /// Preferred communication channel.
    Channel,
}

/// A statement of the persona card: shown when the trait (`column` with `level`, or `column`
/// `high`/`low`) sets the persona apart.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Statement {
    /// Feature column.
    pub column: String,
    /// Level of a text column, or `high`/`low` for a numeric one.
    pub level: String,
    /// Card section.
    pub section: CardSection,
    /// The sentence, in the team's own words (shown marked as such).
    pub text: String,
}

fn yes() -> bool {
    true
}
fn default_min_persona_size() -> usize {
    30
}
fn default_min_sample() -> usize {
    100
}
fn default_min_stability() -> f64 {
    0.6
}
fn default_min_lift() -> f64 {
    1.5
}
fn default_min_rate() -> f64 {
    0.25
}
fn default_min_std_diff() -> f64 {
    0.5
}
fn default_alpha() -> f64 {
    0.05
}
fn default_top_traits() -> usize {
    5
}
fn default_match() -> String {
    "any".into()
}
fn default_negative_share() -> f64 {
    0.5
}
fn default_conditions() -> Vec<Condition> {
    vec![
        Condition {
            column: "email_status".into(),
            in_: Some(strings(&["unsubscribed", "cleaned"])),
            above: None,
            below: None,
        },
        Condition {
            column: "days_since_activity".into(),
            in_: None,
            above: Some(180.0),
            below: None,
        },
        Condition {
            column: "email_rating".into(),
            in_: None,
            above: None,
            below: Some(2.0),
        },
    ]
}

impl Default for NegativeRule {
    fn default() -> Self {
        NegativeRule {
            enabled: true,
            match_: default_match(),
            min_share: default_negative_share(),
            conditions: default_conditions(),
        }
    }
}

impl Default for ProfileConfig {
    fn default() -> Self {
        ProfileConfig {
            min_persona_size: default_min_persona_size(),
            min_sample: default_min_sample(),
            min_stability: default_min_stability(),
            min_lift: default_min_lift(),
            min_rate: default_min_rate(),
            min_std_diff: default_min_std_diff(),
            alpha: default_alpha(),
            correction: Correction::default(),
            top_traits: default_top_traits(),
            negative: NegativeRule::default(),
            fail_on_insufficient_sample: false,
            statements: Vec::new(),
            language: Language::default(),
            names: Vec::new(),
            priority: super::PriorityConfig::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::config::{Pipeline, MINIMAL};
    use crate::error::Error;

    #[test]
    fn language_and_names_are_read_with_defaults() {
        let p = Pipeline::parse(MINIMAL, Path::new("p.toml")).unwrap();
        assert_eq!(p.config.profile.language, Language::En);
        assert!(p.config.profile.names.is_empty());
        let text = format!(
            "{MINIMAL}\n[profile]\nlanguage = \"ru\"\nnames = [{{ column = \"balance\", level = \"high\", word = \"Wealthy\" }}]\n"
        );
        let p = Pipeline::parse(&text, Path::new("p.toml")).unwrap();
        assert_eq!(p.config.profile.language, Language::Ru);
        let n = &p.config.profile.names[0];
        assert_eq!(
            (&n.column[..], &n.level[..], &n.word[..]),
            ("balance", "high", "Wealthy")
        );
        assert_eq!(n.negative, None);
    }

    #[test]
    fn an_unknown_language_is_a_config_error_naming_the_codes() {
        let text = format!("{MINIMAL}\n[profile]\nlanguage = \"pt\"\n");
        let err = Pipeline::parse(&text, Path::new("p.toml")).unwrap_err();
        let Error::Config { message, .. } = &err else {
            panic!("not a config error: {err:?}");
        };
        assert!(message.contains("profile.language `pt`"), "{message}");
        for l in Language::ALL {
            assert!(message.contains(&format!("`{}`", l.code())), "{message}");
        }
        assert!(message.contains("`vi` (Vietnamese)"), "{message}");
    }

    #[test]
    fn a_name_entry_with_a_typo_is_an_error() {
        let text = format!(
            "{MINIMAL}\n[profile]\nnames = [{{ column = \"a\", level = \"b\", wrod = \"C\" }}]\n"
        );
        assert!(Pipeline::parse(&text, Path::new("p.toml")).is_err());
    }
}
