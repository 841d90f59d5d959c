//! The template variables of the SQL models, replaced before a model is planned:
//! - `{{ run_date }}`: the run's logical date, as a SQL `DATE` literal;
//! - `{{ content_group }}`: the SQL expression of an event's content group, over the columns
//!   `page_path` and `content_section` of `stg_ga4__events`: the first declared group
//!   (`[[web.content_groups]]`) whose patterns match the path, else `other`; with none declared,
//!   the first path segment (letters and digits, other characters as `_`);
//! - `{{ content_group_shares }}`: one aggregate per content group, each followed by a comma:
//!   the group's share of the contact's events, as `share_<group>`;
//! - `{{ content_group_columns }}`: the `share_<group>` columns, each followed by a comma;
//! - `{{ funnel_product_paths }}`: a SQL condition over `page_path`, true on the product and
//!   pricing pages of the purchase funnel (`[funnel] product_paths`, matched as content-group
//!   paths are; `false` when none are listed);
//! - `{{ own_field_joins }}`, `{{ own_fields }}`, `{{ own_feature_columns }}`: your own CRM
//!   fields (see [`super::own`]);
//! - `{{ job_seniority }}`, `{{ gender }}`: the job title's seniority and the gender, by the
//!   bundled rules files and the config's own rules (see [`super::rules`]);
//! - `{{ survey_question }}`, `{{ survey_declared_questions }}`: the surveys' declared
//!   questions (see [`super::survey`]).
//!
//! Declared groups are known from the config. With none declared, the groups are the most-read
//! first path segments (by logged-in events), read from [`EVENT_GROUPS`] when a model first
//! needs them: a site's own sections, whatever its URL structure.

use chrono::NaiveDate;
use datafusion::arrow::array::AsArray;
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::DataType;
use datafusion::error::DataFusionError;
use datafusion::prelude::SessionContext;

use super::own::{self, OwnField};
use super::rules;
use super::survey;
use crate::config::{
    glob_regex, is_reserved_group, ContentGroup, FunnelConfig, GenderRule, PipelineConfig,
    SurveysConfig, TitleRule, WebConfig,
};

/// The model the most-read groups are counted in when none are declared.
pub const EVENT_GROUPS: &str = "int_web_event_groups";

/// The values of the template variables for one run.
#[derive(Debug, Clone)]
pub struct Templates {
    run_date: NaiveDate,
    declared: Vec<ContentGroup>,
    top: usize,
    /// Each content group's value of `content_group` and its name in `share_<name>`, once known.
    groups: Option<Vec<(String, String)>>,
    /// Your own CRM fields (`[[features.columns]]`).
    own: Vec<OwnField>,
    /// The config's own job-title rules and gender values (`[features] titles`, `genders`).
    titles: Vec<TitleRule>,
    genders: Vec<GenderRule>,
    /// The surveys' declared questions (`[surveys]`).
    surveys: SurveysConfig,
    /// The funnel's product and pricing page patterns (`[funnel] product_paths`).
    product_paths: Vec<String>,
}

impl Templates {
    /// The variables of a run on `run_date` with the pipeline's `[web]` section.
    pub fn new(run_date: NaiveDate, web: &WebConfig) -> Templates {
        let declared = web.content_groups.clone();
        let groups = (!declared.is_empty()).then(|| {
            declared
                .iter()
                .map(|g| (g.name.clone(), g.name.clone()))
                .collect()
        });
        Templates {
            run_date,
            declared,
            top: web.top_groups,
            groups,
            own: Vec::new(),
            titles: Vec::new(),
            genders: Vec::new(),
            surveys: SurveysConfig::default(),
            product_paths: FunnelConfig::default().product_paths,
        }
    }

    /// The variables of a run of `cfg` on `run_date`: its content groups, own fields and own
    /// title and gender rules.
    pub fn for_pipeline(run_date: NaiveDate, cfg: &PipelineConfig) -> Templates {
        Templates {
            own: own::own_fields(cfg),
            titles: cfg.features.titles.clone(),
            genders: cfg.features.genders.clone(),
            surveys: cfg.surveys.clone(),
            product_paths: cfg.funnel.product_paths.clone(),
            ..Templates::new(run_date, &cfg.web)
        }
    }

    /// The `share_<group>` feature columns, in order, once the groups are known (declared, or
    /// found by a model that needed them).
    pub fn content_columns(&self) -> Option<Vec<String>> {
        self.groups
            .as_ref()
            .map(|g| g.iter().map(|(_, name)| format!("share_{name}")).collect())
    }

    /// `sql` with every variable replaced; the most-read groups are counted first when the
    /// model needs them and none are declared.
    pub async fn render(
        &mut self,
        ctx: &SessionContext,
        sql: &str,
    ) -> std::result::Result<String, DataFusionError> {
        let date = format!("DATE '{}'", self.run_date);
        let sql = survey::render(sql, &self.surveys);
        let mut out = rules::render(&sql, &self.titles, &self.genders)?
            .replace("{{ own_field_joins }}", &own::joins(&self.own))
            .replace("{{ own_fields }}", &own::columns(&self.own))
            .replace(
                "{{ own_feature_columns }}",
                &own::features(&self.own, self.run_date),
            )
            .replace(
                "{{ funnel_product_paths }}",
                &path_condition(self.product_paths.iter().map(|p| glob_regex(p))),
            )
            .replace("{{ run_date }}", &date)
            .replace("{{run_date}}", &date);
        if out.contains("{{ content_group }}") {
            out = out.replace("{{ content_group }}", &self.group_expression());
        }
        let lists = ["{{ content_group_shares }}", "{{ content_group_columns }}"];
        if lists.iter().any(|v| out.contains(v)) {
            if self.groups.is_none() {
                self.groups = Some(most_read(ctx, self.top).await?);
            }
            let groups = self.groups.as_deref().unwrap_or_default();
            let shares: String = groups
                .iter()
                .map(|(value, name)| {
                    format!(
                        "sum(case when content_group = '{}' then events else 0 end) * 1.0 / sum(events) as \"share_{name}\",\n        ",
                        value.replace('\'', "''")
                    )
                })
                .collect();
            let columns: String = groups
                .iter()
                .map(|(_, name)| format!("\"share_{name}\",\n        "))
                .collect();
            out = out.replace(lists[0], &shares).replace(lists[1], &columns);
        }
        Ok(out)
    }

    /// The SQL expression of an event's content group.
    fn group_expression(&self) -> String {
        if self.declared.is_empty() {
            return "coalesce(nullif(btrim(regexp_replace(content_section, '[^\\p{L}\\p{N}]+', '_', 'g'), '_'), ''), 'other')".into();
        }
        let mut s = String::from("case");
        for g in &self.declared {
            let test = path_condition(g.regexes().into_iter());
            s.push_str(&format!(" when {test} then '{}'", g.name));
        }
        s.push_str(" else 'other' end");
        s
    }
}

/// A SQL condition over `page_path`: true when one of `regexes` matches it (`false` for none).
fn path_condition(regexes: impl Iterator<Item = String>) -> String {
    let tests: Vec<String> = regexes
        .map(|re| format!("regexp_like(page_path, '{}')", re.replace('\'', "''")))
        .collect();
    if tests.is_empty() {
        "false".into()
    } else {
        tests.join(" or ")
    }
}

/// The `top` most-read first path segments of the logged-in events (ties: alphabetical), each
/// with its feature name: the segment itself, or `<segment>_pages` where `share_<segment>` is a
/// fixed column's name.
async fn most_read(
    ctx: &SessionContext,
    top: usize,
) -> std::result::Result<Vec<(String, String)>, DataFusionError> {
    let sql = format!(
        "select content_group from {EVENT_GROUPS} where content_group <> 'other' \
         group by content_group order by sum(events) desc, content_group limit {top}"
    );
    let mut groups = Vec::new();
    for batch in ctx.sql(&sql).await?.collect().await? {
        let column = cast(batch.column(0), &DataType::Utf8)?;
        let values = column.as_string::<i32>();
        for value in values.iter().flatten() {
            let name = if is_reserved_group(value) {
                format!("{value}_pages")
            } else {
                value.to_string()
            };
            groups.push((value.to_string(), name));
        }
    }
    Ok(groups)
}
