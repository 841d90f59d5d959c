//! The SQL of the surveys' declared questions (`[surveys]`), for two template variables of
//! `int_survey_answers`:
//! - `{{ survey_question }}`: the expression of an answer's canonical question, over the
//!   staged `question` column: a declared question's text for its own text or any alias
//!   (compared ignoring case and surrounding spaces), else the question as staged;
//! - `{{ survey_declared_questions }}`: a subquery of the declared questions,
//!   `(question, declared_type, section)`, no rows when none are declared.
//!
//! And, after the models ran, the count of survey respondents who match no contact, recorded
//! with the models' row counts (as [`UNMATCHED`]) so the run's summary and manifest show it.

use datafusion::prelude::SessionContext;
use tracing::info;

use super::ModelRun;
use crate::config::{normalise_question, SurveysConfig};

/// The view of the survey respondents who match no contact by email, and its row count's name
/// among the models run.
pub const UNMATCHED: &str = "survey_unmatched_respondents";

/// The mart of survey respondents, one row each with `matched`.
pub const RESPONDENTS: &str = "survey_respondents";

/// Quote a string literal.
fn literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// `{{ survey_question }}`.
pub fn question_expression(surveys: &SurveysConfig) -> String {
    if surveys.questions.is_empty() {
        return "trim(question)".into();
    }
    let mut s = String::from("case");
    for q in &surveys.questions {
        let texts: Vec<String> = q.texts().map(|t| literal(&normalise_question(t))).collect();
        s.push_str(&format!(
            " when lower(trim(question)) in ({}) then {}",
            texts.join(", "),
            literal(q.question.trim())
        ));
    }
    s.push_str(" else trim(question) end");
    s
}

/// `{{ survey_declared_questions }}`.
pub fn declared_questions(surveys: &SurveysConfig) -> String {
    const NONE: &str = "(select cast(null as varchar) as question, cast(null as varchar) as \
         declared_type, cast(null as varchar) as section where false)";
    if surveys.questions.is_empty() {
        return NONE.into();
    }
    let or_null = |v: Option<&str>| v.map_or("cast(null as varchar)".to_string(), literal);
    let rows: Vec<String> = surveys
        .questions
        .iter()
        .map(|q| {
            format!(
                "({}, {}, {})",
                literal(q.question.trim()),
                or_null(q.kind.map(|k| k.as_str())),
                or_null(q.section.map(|s| s.as_str()))
            )
        })
        .collect();
    format!(
        "(select * from (values {}) as declared(question, declared_type, section))",
        rows.join(", ")
    )
}

/// `sql` with the survey variables replaced.
pub fn render(sql: &str, surveys: &SurveysConfig) -> String {
    if !sql.contains("{{ survey_") {
        return sql.to_string();
    }
    sql.replace("{{ survey_question }}", &question_expression(surveys))
        .replace(
            "{{ survey_declared_questions }}",
            &declared_questions(surveys),
        )
}

/// After the models ran: register the view of the unmatched survey respondents, log how many
/// of all respondents match no contact, and record the count with the models' (`runs`).
/// `None` when the project has no survey respondents mart.
pub async fn count_unmatched(ctx: &SessionContext, runs: &mut Vec<ModelRun>) -> Option<u64> {
    let respondents = super::count_rows(ctx, RESPONDENTS).await?;
    let view = ctx
        .sql(&format!("select * from {RESPONDENTS} where not matched"))
        .await
        .ok()?;
    ctx.register_table(UNMATCHED, view.into_view()).ok()?;
    let unmatched = super::count_rows(ctx, UNMATCHED).await?;
    if respondents > 0 {
        info!(
            respondents,
            unmatched, "Survey respondents matched to contacts by email."
        );
    }
    runs.push(ModelRun {
        name: UNMATCHED.to_string(),
        rows: Some(unmatched as usize),
    });
    Some(unmatched)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn surveys(text: &str) -> SurveysConfig {
        toml::from_str(text).unwrap()
    }

    #[test]
    fn aliases_map_to_the_canonical_text() {
        let s = surveys(
            r#"questions = [{ question = "What stops you?", type = "multi", section = "barriers", aliases = ["What's keeping you?"] }, { question = "Rate us" }]"#,
        );
        assert_eq!(
            question_expression(&s),
            "case when lower(trim(question)) in ('what stops you?', 'what''s keeping you?') \
             then 'What stops you?' when lower(trim(question)) in ('rate us') then 'Rate us' \
             else trim(question) end"
        );
        assert_eq!(
            declared_questions(&s),
            "(select * from (values ('What stops you?', 'multi', 'barriers'), ('Rate us', \
             cast(null as varchar), cast(null as varchar))) as declared(question, \
             declared_type, section))"
        );
        assert_eq!(
            question_expression(&SurveysConfig::default()),
            "trim(question)"
        );
    }

    /// One staged answer: (respondent_id, response, email, submitted_at, question, answer,
    /// answer_index, multi, source, line).
    type Staged<'a> = (
        &'a str,
        &'a str,
        &'a str,
        &'a str,
        &'a str,
        &'a str,
        i64,
        bool,
        &'a str,
        i64,
    );

    /// A staged answers table of `rows`.
    fn staged(rows: &[Staged<'_>]) -> String {
        let values: Vec<String> = rows
            .iter()
            .map(|r| {
                let email = if r.2.is_empty() { "cast(null as varchar)".to_string() } else { literal(r.2) };
                format!(
                    "({}, {}, {email}, cast({} as timestamp), {}, {}, {}, {}, {}, 'f.csv', {}, cast('2026-11-20' as timestamp))",
                    literal(r.0), literal(r.1), literal(r.3), literal(r.4), literal(r.5), r.6, r.7, literal(r.8), r.9
                )
            })
            .collect();
        format!(
            "select * from (values {}) as t(respondent_id, response, email, submitted_at, question, \
             answer, answer_index, multi, _source, _source_file, _source_line, _loaded_at)",
            values.join(", ")
        )
    }

    /// Golden test of `int_survey_answers`, `survey_answers` and `survey_respondents`: staged
    /// answers in, the marts' rows out.
    #[tokio::test]
    async fn the_survey_models_keep_the_latest_answers_and_match_contacts_by_email() {
        let ctx = SessionContext::new();
        let tf = staged(&[
            // Ann answered twice: the older response's answers to Q are replaced, not added.
            (
                "t1",
                "f:2",
                "ann@x.io",
                "2026-11-01 10:00:00",
                "Old Q",
                "Price",
                1,
                true,
                "tf",
                2,
            ),
            (
                "t1",
                "f:2",
                "ann@x.io",
                "2026-11-01 10:00:00",
                "Old Q",
                "Time",
                2,
                true,
                "tf",
                2,
            ),
            (
                "t2",
                "f:3",
                "ann@x.io",
                "2026-11-05 10:00:00",
                "Q",
                "Trust",
                1,
                true,
                "tf",
                3,
            ),
            (
                "t2",
                "f:3",
                "ann@x.io",
                "2026-11-05 10:00:00",
                "Rate us",
                "9",
                1,
                false,
                "tf",
                3,
            ),
            (
                "t3",
                "f:4",
                "bob@x.io",
                "2026-11-02 10:00:00",
                "Rate us",
                "10",
                1,
                false,
                "tf",
                4,
            ),
            (
                "t4",
                "f:5",
                "",
                "2026-11-02 11:00:00",
                "Rate us",
                "3",
                1,
                false,
                "tf",
                5,
            ),
        ]);
        let gf = staged(&[(
            "f:2",
            "f:2",
            "zed@x.io",
            "2026-11-03 10:00:00",
            "Rate us",
            "7",
            1,
            false,
            "gf",
            2,
        )]);
        for (name, sql) in [
            ("stg_typeform__answers", tf.clone()),
            ("stg_google_forms__answers", gf),
            ("stg_survey__answers", format!("{tf} where false")),
            (
                "int_crm_contacts",
                "select * from (values ('c1', ' Ann@X.io'), ('c2', 'bob@x.io'), ('c3', null)) as t(contact_id, email)".into(),
            ),
        ] {
            let df = ctx.sql(&sql).await.unwrap();
            ctx.register_table(name, df.into_view()).unwrap();
        }
        let surveys: SurveysConfig = toml::from_str(
            r#"questions = [{ question = "Q", aliases = ["old q"], section = "barriers" }]"#,
        )
        .unwrap();
        let cfg: crate::config::PipelineConfig =
            toml::from_str("name = \"t\"\noutput_dir = \"out\"\nsources = []\n").unwrap();
        let cfg = crate::config::PipelineConfig { surveys, ..cfg };
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("sql");
        let models: Vec<_> = super::super::discover(&dir)
            .unwrap()
            .into_iter()
            .filter(|m| m.name.contains("survey_") && !m.name.starts_with("stg_"))
            .collect();
        assert_eq!(models.len(), 3);
        let date = chrono::NaiveDate::from_ymd_opt(2026, 11, 20).unwrap();
        let mut templates = super::super::Templates::for_pipeline(date, &cfg);
        let mut runs = super::super::run(
            &ctx,
            &models,
            &mut templates,
            &[],
            super::super::Materialise::Memory,
        )
        .await
        .unwrap();
        let text = |sql: &str| {
            let ctx = ctx.clone();
            let sql = sql.to_string();
            async move {
                let batches = ctx.sql(&sql).await.unwrap().collect().await.unwrap();
                datafusion::arrow::util::pretty::pretty_format_batches(&batches)
                    .unwrap()
                    .to_string()
            }
        };
        assert_eq!(
            text("select contact_id, question, question_type, section, answer, answer_index from survey_answers").await,
            "+------------+----------+---------------+----------+--------+--------------+\n\
             | contact_id | question | question_type | section  | answer | answer_index |\n\
             +------------+----------+---------------+----------+--------+--------------+\n\
             | c1         | Q        | multi         | barriers | Trust  | 1            |\n\
             | c1         | Rate us  | scale         |          | 9      | 1            |\n\
             | c2         | Rate us  | scale         |          | 10     | 1            |\n\
             +------------+----------+---------------+----------+--------+--------------+"
        );
        assert_eq!(
            text("select respondent, contact_id, matched, questions, answers from survey_respondents").await,
            "+------------+------------+---------+-----------+---------+\n\
             | respondent | contact_id | matched | questions | answers |\n\
             +------------+------------+---------+-----------+---------+\n\
             | ann@x.io   | c1         | true    | 2         | 2       |\n\
             | bob@x.io   | c2         | true    | 1         | 1       |\n\
             | tf:t4      |            | false   | 1         | 1       |\n\
             | zed@x.io   |            | false   | 1         | 1       |\n\
             +------------+------------+---------+-----------+---------+"
        );
        assert_eq!(count_unmatched(&ctx, &mut runs).await, Some(2));
        let last = runs.last().unwrap();
        assert_eq!((last.name.as_str(), last.rows), (UNMATCHED, Some(2)));
    }

    #[tokio::test]
    async fn the_expansions_plan_and_run() {
        let ctx = SessionContext::new();
        for s in [
            SurveysConfig::default(),
            surveys(r#"questions = [{ question = "Q", aliases = ["Old Q"], type = "text" }]"#),
        ] {
            let sql = render(
                "with declared as {{ survey_declared_questions }} \
                 select {{ survey_question }} as q, (select count(*) from declared) as n \
                 from (select ' old q ' as question)",
                &s,
            );
            let rows = ctx.sql(&sql).await.unwrap().collect().await.unwrap();
            assert_eq!(rows.iter().map(|b| b.num_rows()).sum::<usize>(), 1, "{sql}");
        }
    }
}
