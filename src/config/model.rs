//! Feature config: the organising framework, the 3 to 5 criteria that segment contacts (or
//! `auto`) with their weights, the candidate, multi-valued and describe-only columns. The
//! clustering settings are in `cluster.rs`.

use serde::Deserialize;

use super::own::OwnColumn;

/// Columns of the feature model and how they enter the clustering.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeaturesConfig {
    /// The SQL model holding one row per contact (must have `contact_id` and `email`).
    #[serde(default = "default_feature_model")]
    pub model: String,
    /// The organising framework of the personas; it names what the criteria are about and
    /// gives the default criteria when `criteria` is not set.
    #[serde(default)]
    pub framework: Framework,
    /// The 3 to 5 criteria that segment contacts: a column of the feature model, or a named
    /// group of columns (`{ name = "content_interest", columns = [...] }`, optionally with a
    /// `weight`), or `"auto"`: proposed from the data among `candidates` (see `personas
    /// suggest-criteria`). Each criterion weighs the same in the distance (total variance 1)
    /// whatever its number of levels or columns, unless it names a `weight`. Numeric columns
    /// are winsorised at the 1st/99th percentile and standardised, a missing value imputed by
    /// the mean with an indicator column; text columns are one-hot encoded with rare levels
    /// pooled; `multi` columns get one indicator per value. Every other feature only
    /// describes. Default: the framework's criteria.
    pub criteria: Option<CriteriaSpec>,
    /// Columns `criteria = "auto"` chooses from (and the plain baseline of `personas
    /// evaluate` encodes). Default: every behaviour, firmographic, demographic and email column
    /// of the bundled feature model, each number once (not also as its band), and no column
    /// computed from others (`sessions` and `days_since_activity` come from the same web
    /// events as `page_views`: they are associated by construction, not by persona).
    #[serde(default = "default_candidates")]
    pub candidates: Vec<String>,
    /// Numeric columns that are log-transformed (`ln(1 + x)`) before standardising (counts, money).
    #[serde(default = "default_log_numeric")]
    pub log_numeric: Vec<String>,
    /// Multi-valued text columns (comma- or semicolon-separated values, such as Mailchimp tags
    /// or several buying roles): one yes/no column per value.
    #[serde(default = "default_multi", alias = "tags")]
    pub multi: Vec<String>,
    /// Columns (numeric or text) only used to describe personas, never to segment them.
    #[serde(default = "default_describe")]
    pub describe: Vec<String>,
    /// Levels below this share of contacts (percent) are pooled into `other`.
    #[serde(default = "default_rare_level_pct")]
    pub rare_level_pct: f64,
    /// Your own CRM fields as features (`[[features.columns]]`): a column of a CRM export with
    /// its type; a criterion when `criteria` names it, else it describes the personas.
    #[serde(default)]
    pub columns: Vec<OwnColumn>,
    /// Your own job-title rules for `job_seniority` (`titles = [{ level = "director", pattern =
    /// "\\bdirettore\\b" }]`), tried in order before the bundled ones: a regular expression
    /// matched case-insensitively on the title, and the level a match gives.
    #[serde(default)]
    pub titles: Vec<super::titles::TitleRule>,
    /// Your own gender values for `gender` (`genders = [{ value = "2", gender = "female" }]`),
    /// tried before the bundled ones: the value as the CRM writes it (any case) and its gender.
    #[serde(default)]
    pub genders: Vec<super::titles::GenderRule>,
}

/// Organising frameworks for personas.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Framework {
    /// Segment on the pains buyers want solved.
    PainPoints,
    /// Segment on what buyers use the product for.
    UseCases,
    /// Segment on where buyers are in their buying journey.
    JourneyStage,
    /// Segment on the job buyers hire the product to do (default).
    #[default]
    JobsToBeDone,
    /// Segment on buyers' life and career stage.
    LifeStage,
    /// Segment on the value buyers get and bring.
    ValueProposition,
}

impl Framework {
    /// Name as written in the config.
    pub fn as_str(self) -> &'static str {
        match self {
            Framework::PainPoints => "pain_points",
            Framework::UseCases => "use_cases",
            Framework::JourneyStage => "journey_stage",
            Framework::JobsToBeDone => "jobs_to_be_done",
            Framework::LifeStage => "life_stage",
            Framework::ValueProposition => "value_proposition",
        }
    }

    /// The framework's default criteria over the bundled feature model `int_contact_features`.
    pub fn default_criteria(self) -> Vec<Criterion> {
        let group = |name: &str, columns: &[&str]| {
            Criterion::Group(CriterionGroup {
                name: name.into(),
                columns: strings(columns),
                weight: None,
            })
        };
        let content = || {
            group(
                "content_interest",
                &[
                    "share_docs",
                    "share_pricing",
                    "share_discounts",
                    "share_blog",
                ],
            )
        };
        let col = |c: &str| Criterion::Column(c.into());
        match self {
            Framework::JobsToBeDone => vec![
                group(
                    "online_behaviour",
                    &[
                        "share_docs",
                        "share_pricing",
                        "share_discounts",
                        "share_blog",
                        "share_mobile",
                    ],
                ),
                group("role", &["job_seniority", "buying_roles"]),
                col("company_size"),
                col("revenue"),
                col("email_rating"),
            ],
            Framework::UseCases => vec![
                content(),
                col("company_size"),
                col("industry"),
                col("share_mobile"),
            ],
            Framework::PainPoints => {
                vec![content(), col("email_rating"), col("days_since_activity")]
            }
            Framework::JourneyStage => vec![
                col("lifecycle_stage"),
                col("days_since_activity"),
                col("sessions"),
                col("email_rating"),
            ],
            Framework::LifeStage => {
                vec![col("age_band"), col("job_seniority"), col("company_size")]
            }
            Framework::ValueProposition => vec![
                col("revenue"),
                col("company_size"),
                col("share_discounts"),
                col("share_pricing"),
            ],
        }
    }
}

/// The criteria setting: a list, or `"auto"`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(
    untagged,
    expecting = "a list of criteria (each a column name, or a group `{ name = \"...\", columns = [\"...\"] }` with an optional `weight`, no other keys), or \"auto\" to propose them from the data"
)]
pub enum CriteriaSpec {
    /// `criteria = "auto"`.
    Auto(AutoKeyword),
    /// The criteria, as listed.
    List(Vec<Criterion>),
}

/// The word `auto`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AutoKeyword {
    /// Criteria proposed from the data.
    Auto,
}

/// One segmentation criterion.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(
    untagged,
    expecting = "a column name, or a group `{ name = \"...\", columns = [\"...\"] }` with an optional `weight` (no other keys)"
)]
pub enum Criterion {
    /// One column of the feature model.
    Column(String),
    /// A named group of columns that together measure one criterion (the shares of content
    /// sections read measure content interest; seniority and buying role measure the role).
    Group(CriterionGroup),
}

/// A named group of columns measuring one criterion.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CriterionGroup {
    /// Criterion name, shown in the report.
    pub name: String,
    /// The columns.
    pub columns: Vec<String>,
    /// The criterion's total weight in the distance (default 1: every criterion weighs the
    /// same, whatever its number of columns or levels).
    #[serde(default)]
    pub weight: Option<f64>,
}

impl Criterion {
    /// The criterion's name.
    pub fn name(&self) -> &str {
        match self {
            Criterion::Column(c) => c,
            Criterion::Group(g) => &g.name,
        }
    }

    /// The criterion's total weight (1 unless the config names one).
    pub fn weight(&self) -> f64 {
        match self {
            Criterion::Column(_) => 1.0,
            Criterion::Group(g) => g.weight.unwrap_or(1.0),
        }
    }

    /// The feature columns the criterion reads.
    pub fn columns(&self) -> Vec<&str> {
        match self {
            Criterion::Column(c) => vec![c.as_str()],
            Criterion::Group(g) => g.columns.iter().map(String::as_str).collect(),
        }
    }
}

impl FeaturesConfig {
    /// Whether the criteria are proposed from the data (`criteria = "auto"`).
    pub fn is_auto(&self) -> bool {
        matches!(self.criteria, Some(CriteriaSpec::Auto(_)))
    }

    /// The criteria in force: the configured ones, else the framework's; empty when they are
    /// proposed from the data (`auto`), which the run resolves once the features are loaded.
    pub fn criteria(&self) -> Vec<Criterion> {
        match &self.criteria {
            Some(CriteriaSpec::List(l)) => l.clone(),
            Some(CriteriaSpec::Auto(_)) => Vec::new(),
            None => self.framework.default_criteria(),
        }
    }

    /// Every column that segments (in criteria order, or every candidate with `auto`),
    /// without repeats.
    pub fn criteria_columns(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        let cols: Vec<String> = if self.is_auto() {
            self.candidates.clone()
        } else {
            self.criteria()
                .iter()
                .flat_map(|c| c.columns().into_iter().map(String::from))
                .collect()
        };
        for col in cols {
            if !out.contains(&col) {
                out.push(col);
            }
        }
        out
    }
}

/// The content-group columns the defaults name: the bundled sample site's groups, which
/// [`FeaturesConfig::with_content`] replaces with a run's own.
pub const DEFAULT_CONTENT: [&str; 4] = [
    "share_docs",
    "share_pricing",
    "share_discounts",
    "share_blog",
];

/// `columns` with the built-in content columns replaced by `content`, in place of the first.
fn swap_content(columns: &[String], content: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    let mut placed = false;
    for c in columns {
        if !DEFAULT_CONTENT.contains(&c.as_str()) {
            out.push(c.clone());
        } else if !placed {
            placed = true;
            out.extend(content.iter().cloned());
        }
    }
    out
}

impl FeaturesConfig {
    /// The config with a run's content-group columns (`share_<group>`, see `[web]`) in place of
    /// the built-in ones ([`DEFAULT_CONTENT`]) wherever a default stands: the framework's
    /// criteria when none are configured, and `candidates` when not set. Lists the config
    /// writes out are kept as written (a column they name must exist).
    pub fn with_content(&self, content: &[String]) -> FeaturesConfig {
        let mut f = self.clone();
        if content.iter().map(String::as_str).eq(DEFAULT_CONTENT) {
            return f;
        }
        if self.criteria.is_none() {
            let criteria = self
                .framework
                .default_criteria()
                .into_iter()
                .filter_map(|c| match c {
                    Criterion::Column(col) if DEFAULT_CONTENT.contains(&col.as_str()) => None,
                    Criterion::Column(col) => Some(Criterion::Column(col)),
                    Criterion::Group(mut g) => {
                        g.columns = swap_content(&g.columns, content);
                        (!g.columns.is_empty()).then_some(Criterion::Group(g))
                    }
                })
                .collect();
            f.criteria = Some(CriteriaSpec::List(criteria));
        }
        if self.candidates == default_candidates() {
            f.candidates = swap_content(&self.candidates, content);
        }
        f
    }
}

fn default_feature_model() -> String {
    "int_contact_features".into()
}
pub(super) fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}
fn default_log_numeric() -> Vec<String> {
    strings(&["revenue", "sessions", "page_views", "employees"])
}
fn default_multi() -> Vec<String> {
    strings(&["tags", "buying_roles"])
}
fn default_candidates() -> Vec<String> {
    strings(&[
        "age",
        "gender",
        "country",
        "job_seniority",
        "industry",
        "employees",
        "revenue",
        "lifecycle_stage",
        "original_source",
        "email_rating",
        "email_status",
        "tags",
        "page_views",
        "share_docs",
        "share_pricing",
        "share_discounts",
        "share_blog",
        "share_mobile",
        "share_medium_organic",
        "share_medium_cpc",
        "share_medium_referral",
        "share_medium_email",
        "share_medium_social",
        "share_medium_none",
    ])
}
fn default_describe() -> Vec<String> {
    strings(&[
        "sessions",
        "page_views",
        "days_since_activity",
        "email_status",
        "tags",
        "age_band",
        "gender",
        "country",
        "industry",
        "job_seniority",
        "company_size",
        "buying_role",
        "lifecycle_stage",
        "top_section",
        "top_medium",
        "main_device",
        "original_source",
        "share_mobile",
    ])
}
fn default_rare_level_pct() -> f64 {
    1.0
}
impl Default for FeaturesConfig {
    fn default() -> Self {
        FeaturesConfig {
            model: default_feature_model(),
            framework: Framework::default(),
            criteria: None,
            candidates: default_candidates(),
            log_numeric: default_log_numeric(),
            multi: default_multi(),
            describe: default_describe(),
            rare_level_pct: default_rare_level_pct(),
            columns: Vec::new(),
            titles: Vec::new(),
            genders: Vec::new(),
        }
    }
}
