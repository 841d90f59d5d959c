//! What a run reads back from the `survey_answers` mart for the persona cards: the answers of
//! every `[surveys]` question that has a card section, by contact row of the feature table
//! ([`SurveyAnswers`], compared per persona by [`crate::profile::answers`]). A project without
//! survey sources, or without the mart, gets no questions and cards without survey statements.

use std::collections::{BTreeMap, HashMap};

use datafusion::arrow::array::{Array, AsArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::DataType;
use datafusion::prelude::SessionContext;
use tracing::{info, warn};

use crate::config::{QuestionType, SurveysConfig};
use crate::features::FeatureTable;
use crate::profile::answers::{Question, SurveyAnswers};

/// The mart of survey answers, one row per answer (a choice of a `multi` each).
pub const ANSWERS: &str = "survey_answers";

/// The mart's rows as (contact id, question, question type, answer).
async fn rows(ctx: &SessionContext) -> Option<Vec<[String; 4]>> {
    let df = ctx.table(ANSWERS).await.ok()?;
    let batches = match df.collect().await {
        Ok(b) => b,
        Err(e) => {
            warn!(error = %e, "Model survey_answers failed; the cards get no survey answers.");
            return None;
        }
    };
    let mut out = Vec::new();
    for b in batches {
        let mut columns = Vec::new();
        for name in ["contact_id", "question", "question_type", "answer"] {
            let Some(c) = b
                .column_by_name(name)
                .and_then(|c| cast(c, &DataType::Utf8).ok())
            else {
                warn!(
                    column = name,
                    "Model survey_answers lacks a column; the cards get no survey answers."
                );
                return None;
            };
            columns.push(c);
        }
        let text: Vec<_> = columns.iter().map(|c| c.as_string::<i32>()).collect();
        for i in 0..b.num_rows() {
            if text.iter().all(|c| c.is_valid(i)) {
                out.push(std::array::from_fn(|j| text[j].value(i).to_string()));
            }
        }
    }
    Some(out)
}

/// The survey answers of the feature table's contacts for the questions `surveys` gives a card
/// section, in the config's order; a question's type is the mart's (declared, else detected),
/// else the declared one, else `single`.
pub(super) async fn load(
    ctx: &SessionContext,
    table: &FeatureTable,
    surveys: &SurveysConfig,
) -> SurveyAnswers {
    let mut out = SurveyAnswers {
        questions: Vec::new(),
        min_respondents: surveys.min_respondents,
    };
    let declared: Vec<_> = surveys
        .questions
        .iter()
        .filter_map(|q| q.section.map(|s| (q, s)))
        .collect();
    if declared.is_empty() {
        return out;
    }
    let row_of: HashMap<&str, usize> = table
        .contact_ids
        .iter()
        .enumerate()
        .map(|(i, id)| (id.as_str(), i))
        .collect();
    let mut answers = BTreeMap::<&str, BTreeMap<usize, Vec<String>>>::new();
    let mut kinds = BTreeMap::<&str, QuestionType>::new();
    let rows = rows(ctx).await.unwrap_or_default();
    for (q, _) in &declared {
        let text = q.question.trim();
        for [contact, _, question_type, answer] in rows.iter().filter(|r| r[1] == text) {
            if let Some(k) = QuestionType::from_name(question_type) {
                kinds.insert(text, k);
            }
            if let Some(&row) = row_of.get(contact.as_str()) {
                let by_row = answers.entry(text).or_default();
                by_row.entry(row).or_default().push(answer.clone());
            }
        }
    }
    for (q, section) in declared {
        let text = q.question.trim();
        out.questions.push(Question {
            text: text.to_string(),
            kind: kinds
                .get(text)
                .copied()
                .or(q.kind)
                .unwrap_or(QuestionType::Single),
            section,
            answers: answers.remove(text).unwrap_or_default(),
        });
    }
    let answered: usize = out.questions.iter().map(|q| q.answers.len()).sum();
    info!(
        questions = out.questions.len(),
        respondents = answered,
        "Survey answers read for the persona cards."
    );
    out
}
