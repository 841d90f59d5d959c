//! Survey config (`[surveys]`): the questions of the pipeline's surveys (Typeform, Google Forms,
//! long answer CSVs) a data team declares: each one's type, the persona card section it feeds,
//! the texts it had in earlier exports (`aliases`) and, for choice questions, its options. A
//! question not declared is still read, with a type detected from its answers (see
//! `sql/intermediate/int_survey_answers.sql`). The checks run while the TOML is parsed, so a bad
//! `[surveys]` fails `personas validate` like any other config error.

use serde::{Deserialize, Deserializer};

/// The `[surveys]` section.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SurveysConfig {
    /// The declared questions (`questions = [{ question = "...", type = "multi", ... }]`).
    /// A question's text, and each alias, names one question only (compared ignoring case and
    /// surrounding spaces).
    #[serde(default, deserialize_with = "checked_questions")]
    pub questions: Vec<SurveyQuestion>,
    /// The fewest respondents of a persona a survey card reports on (default 20); below it the
    /// card says the sample is too small.
    #[serde(default = "default_min_respondents", deserialize_with = "at_least_one")]
    pub min_respondents: usize,
}

impl Default for SurveysConfig {
    fn default() -> Self {
        SurveysConfig {
            questions: Vec::new(),
            min_respondents: default_min_respondents(),
        }
    }
}

/// One declared survey question.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SurveyQuestion {
    /// The question's text as the latest export writes it: the canonical text every alias is
    /// read as.
    pub question: String,
    /// `single` (one choice), `multi` (several choices), `scale` (a rating or Likert scale of
    /// whole numbers) or `text` (free text); detected from the answers when left out.
    #[serde(rename = "type", default)]
    pub kind: Option<QuestionType>,
    /// The persona card section the question feeds: `goals`, `motivations`, `frustrations`,
    /// `barriers`, `values` or `channel`.
    #[serde(default)]
    pub section: Option<SurveySection>,
    /// Earlier texts of the question (renamed between two exports): read as `question`.
    #[serde(default)]
    pub aliases: Vec<String>,
    /// `single` and `multi` questions: the answer options. A Typeform export heads each choice
    /// of a multiple-selection question's columns with the choice, not the question: the
    /// options name the question those columns answer. A Google Forms checkbox answer is split
    /// on `, ` into these options (an option may itself contain `, `).
    #[serde(default)]
    pub options: Vec<String>,
}

/// How a question is answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QuestionType {
    /// One choice.
    Single,
    /// Several choices (one answer row per choice).
    Multi,
    /// A rating or Likert scale of whole numbers.
    Scale,
    /// Free text.
    Text,
}

impl QuestionType {
    /// Every type.
    pub const ALL: [QuestionType; 4] = [
        QuestionType::Single,
        QuestionType::Multi,
        QuestionType::Scale,
        QuestionType::Text,
    ];

    /// The type a name written by [`QuestionType::as_str`] names.
    pub fn from_name(name: &str) -> Option<QuestionType> {
        QuestionType::ALL.into_iter().find(|t| t.as_str() == name)
    }

    /// The name the config and the SQL models write (`single`, `multi`, `scale`, `text`).
    pub fn as_str(self) -> &'static str {
        match self {
            QuestionType::Single => "single",
            QuestionType::Multi => "multi",
            QuestionType::Scale => "scale",
            QuestionType::Text => "text",
        }
    }
}

/// The persona card section a question feeds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SurveySection {
    /// What the persona wants to achieve.
    Goals,
    /// Why they buy.
    Motivations,
    /// What annoys them today.
    Frustrations,
    /// What stops them from buying.
    Barriers,
    /// What they care about.
    Values,
    /// Where to reach them.
    Channel,
}

impl SurveySection {
    /// The name the config and the SQL models write (`goals`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            SurveySection::Goals => "goals",
            SurveySection::Motivations => "motivations",
            SurveySection::Frustrations => "frustrations",
            SurveySection::Barriers => "barriers",
            SurveySection::Values => "values",
            SurveySection::Channel => "channel",
        }
    }
}

impl SurveysConfig {
    /// The declared question a question text (its own or an alias) names, ignoring case and
    /// surrounding spaces.
    pub fn declared(&self, text: &str) -> Option<&SurveyQuestion> {
        let key = normalise(text);
        self.questions
            .iter()
            .find(|q| q.texts().any(|t| normalise(t) == key))
    }

    /// The canonical text of a question text: the declared question's, or the text trimmed.
    pub fn canonical<'a>(&'a self, text: &'a str) -> &'a str {
        self.declared(text)
            .map_or(text.trim(), |q| q.question.trim())
    }
}

impl SurveyQuestion {
    /// The question's text and its aliases.
    pub fn texts(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.question.as_str()).chain(self.aliases.iter().map(String::as_str))
    }
}

/// A question text as compared: lower case, without surrounding spaces.
pub fn normalise(text: &str) -> String {
    text.trim().to_lowercase()
}

fn default_min_respondents() -> usize {
    20
}

fn at_least_one<'de, D: Deserializer<'de>>(d: D) -> Result<usize, D::Error> {
    let n = usize::deserialize(d)?;
    if n == 0 {
        return Err(serde::de::Error::custom(
            "surveys.min_respondents must be at least 1",
        ));
    }
    Ok(n)
}

/// The questions, checked: texts present, each text naming one question, options only on
/// choice questions and without repeats.
fn checked_questions<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<SurveyQuestion>, D::Error> {
    let questions = Vec::<SurveyQuestion>::deserialize(d)?;
    check_questions(&questions).map_err(serde::de::Error::custom)?;
    Ok(questions)
}

fn check_questions(questions: &[SurveyQuestion]) -> Result<(), String> {
    let mut owner: std::collections::HashMap<String, &str> = std::collections::HashMap::new();
    for q in questions {
        if q.question.trim().is_empty() {
            return Err("surveys.questions: a question has an empty `question`".into());
        }
        for text in q.texts() {
            if text.trim().is_empty() {
                return Err(format!(
                    "surveys.questions: `{}` has an empty alias",
                    q.question
                ));
            }
            if let Some(first) = owner.insert(normalise(text), &q.question) {
                return Err(format!(
                    "surveys.questions: `{text}` names two questions (`{first}` and `{}`); \
                     a text or alias may name one question only, once",
                    q.question
                ));
            }
        }
        let choice = matches!(
            q.kind,
            None | Some(QuestionType::Single) | Some(QuestionType::Multi)
        );
        if !choice && !q.options.is_empty() {
            return Err(format!(
                "surveys.questions: `{}` is a {} question; `options` are for single and multi ones",
                q.question,
                q.kind.map_or("", QuestionType::as_str)
            ));
        }
        let mut seen = std::collections::HashSet::new();
        if let Some(o) = q.options.iter().find(|o| !seen.insert(normalise(o))) {
            return Err(format!(
                "surveys.questions: `{}` lists the option `{o}` twice",
                q.question
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<SurveysConfig, String> {
        toml::from_str(text).map_err(|e| e.to_string())
    }

    #[test]
    fn questions_parse_with_defaults() {
        let s = parse(
            r#"
[[questions]]
question = "What stops you from buying?"
type = "multi"
section = "barriers"
aliases = ["What keeps you from buying?"]
options = ["Price", "Time, mostly"]

[[questions]]
question = "How likely are you to recommend us?"
"#,
        )
        .unwrap();
        assert_eq!(s.min_respondents, 20);
        assert_eq!(s.questions[0].kind, Some(QuestionType::Multi));
        assert_eq!(s.questions[0].section, Some(SurveySection::Barriers));
        assert_eq!(s.questions[1].kind, None);
        assert_eq!(
            s.canonical("  what KEEPS you from buying? "),
            "What stops you from buying?"
        );
        assert_eq!(s.canonical(" Other question "), "Other question");
    }

    #[test]
    fn an_unknown_key_and_a_bad_section_are_named() {
        let err = parse("questions = [{ question = \"Q\", sektion = \"goals\" }]").unwrap_err();
        assert!(err.contains("sektion"), "{err}");
        let err = parse("questions = [{ question = \"Q\", section = \"dreams\" }]").unwrap_err();
        assert!(err.contains("dreams"), "{err}");
        let err = parse("min_respondent = 3").unwrap_err();
        assert!(err.contains("min_respondent"), "{err}");
    }

    #[test]
    fn a_text_naming_two_questions_is_rejected() {
        let err =
            parse(r#"questions = [{ question = "A" }, { question = "B", aliases = [" a "] }]"#)
                .unwrap_err();
        assert!(err.contains("names two questions"), "{err}");
    }

    #[test]
    fn options_belong_to_choice_questions_and_do_not_repeat() {
        let err = parse(r#"questions = [{ question = "A", type = "scale", options = ["1"] }]"#)
            .unwrap_err();
        assert!(err.contains("`options` are for single and multi"), "{err}");
        let err = parse(r#"questions = [{ question = "A", options = ["x", "X "] }]"#).unwrap_err();
        assert!(err.contains("twice"), "{err}");
        let err = parse("min_respondents = 0").unwrap_err();
        assert!(err.contains("at least 1"), "{err}");
    }
}
