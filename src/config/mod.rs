//! Pipeline config: the TOML file a data team writes (`pipelines/<name>.toml`), parsed and checked
//! without touching any input. `validate` and `run` share this pure check before any I/O.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::error::{Error, Result};

mod cluster;
mod crm;
mod csv;
mod engine;
mod funnel;
mod model;
mod own;
mod priority;
mod profile;
mod publish;
mod source;
mod survey;
pub mod template;
mod titles;
mod web;

pub use self::csv::{is_valid_format, CsvColumns, OrderColumns, SourceColumns};
pub use cluster::{BucketSplit, BucketsConfig, ClusterConfig, KChoice, Method};
pub use crm::{
    CrmConfig, CrmTarget, ExportMode, FieldType, HubSpotConfig, SalesforceConfig, SalesforceLoader,
    Unclassified,
};
pub use engine::{EngineConfig, EngineKind, EngineStore, MemoryLimit};
pub use funnel::FunnelConfig;
pub use model::{
    AutoKeyword, CriteriaSpec, Criterion, CriterionGroup, FeaturesConfig, Framework,
    DEFAULT_CONTENT,
};
pub use own::{OwnColumn, OwnType};
pub use priority::PriorityConfig;
pub use profile::{CardSection, Condition, Correction, NegativeRule, ProfileConfig, Statement};
pub use publish::PublishConfig;
pub use source::{SourceConfig, SourceKind, StoreConfig, TextEncoding};
pub use survey::{
    normalise as normalise_question, QuestionType, SurveyQuestion, SurveySection, SurveysConfig,
};
pub use titles::{check as check_titles, GenderRule, TitleRule, GENDER_VALUES, SENIORITY_LEVELS};
pub use web::{content_group_of, glob_regex, is_reserved_group, ContentGroup, WebConfig};

/// A whole pipeline, as written in `pipelines/<name>.toml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PipelineConfig {
    /// Pipeline name; used in logs and output paths.
    pub name: String,
    /// Folder all outputs go under (tables, CRM files, landing, rejects). Relative paths are
    /// resolved against the config file's folder.
    pub output_dir: PathBuf,
    /// Folder of SQL models (`staging/`, `intermediate/`, `marts/`). Relative to the config file.
    #[serde(default = "default_sql_dir")]
    pub sql_dir: PathBuf,
    /// The exports to read.
    pub sources: Vec<SourceConfig>,
    /// The site's content groups (`[web]`): which page paths make up each `share_<group>`.
    #[serde(default)]
    pub web: WebConfig,
    /// Which columns of the feature model drive segmentation.
    #[serde(default)]
    pub features: FeaturesConfig,
    /// Clustering settings.
    #[serde(default)]
    pub cluster: ClusterConfig,
    /// Persona profile settings (sample-size thresholds, trait cut-offs).
    #[serde(default)]
    pub profile: ProfileConfig,
    /// CRM import files and the optional push to the CRM's API.
    #[serde(default)]
    pub crm: CrmConfig,
    /// Survey questions (`[surveys]`): types, card sections, aliases of renamed questions.
    #[serde(default)]
    pub surveys: SurveysConfig,
    /// The purchase funnel (`[funnel]`): which pages are product or pricing views.
    #[serde(default)]
    pub funnel: FunnelConfig,
    /// How the SQL models run (`[engine]`): in this process, and the memory its spilling operators
    /// may hold, or on a Ballista cluster.
    #[serde(default)]
    pub engine: EngineConfig,
    /// A copy of every published date on an object store (`[publish]`); default: none.
    #[serde(default)]
    pub publish: PublishConfig,
}

fn default_sql_dir() -> PathBuf {
    PathBuf::from("../sql")
}

/// A parsed, checked config with every relative path resolved against the config's folder.
#[derive(Debug, Clone)]
pub struct Pipeline {
    /// The config as written.
    pub config: PipelineConfig,
    /// The config file.
    pub path: PathBuf,
    /// Folder the config's relative paths are resolved against.
    pub base_dir: PathBuf,
}

impl Pipeline {
    /// Read, parse and check a pipeline config file. No input is touched.
    pub fn load(path: &Path) -> Result<Pipeline> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        Pipeline::parse(&text, path)
    }

    /// Parse and check config text; `path` is used for messages and to resolve relative paths.
    pub fn parse(text: &str, path: &Path) -> Result<Pipeline> {
        let config: PipelineConfig = toml::from_str(text).map_err(|e| Error::Config {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
        let base_dir = path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("."));
        let mut pipeline = Pipeline {
            config,
            path: path.to_path_buf(),
            base_dir,
        };
        pipeline.check()?;
        pipeline.adopt_own_columns()?;
        Ok(pipeline)
    }

    /// Check `[[features.columns]]` against the sources, tell each CRM source the columns it
    /// must land, and make each own column describe the personas (multi-valued and log-scaled
    /// ones listed as such).
    fn adopt_own_columns(&mut self) -> Result<()> {
        let own = self.config.features.columns.clone();
        let mut seen = std::collections::HashSet::new();
        for (i, c) in own.iter().enumerate() {
            c.check().map_err(|why| self.fail(why))?;
            if !seen.insert(c.name.as_str()) {
                return Err(self.fail(format!(
                    "features.columns: two columns are named `{}`",
                    c.name
                )));
            }
            let at = self.own_source(c)?;
            // Resolved once here: the SQL templates read the column from this source.
            self.config.features.columns[i].source = Some(self.config.sources[at].name.clone());
            let source = &mut self.config.sources[at];
            if !source.own_columns.iter().any(|x| x == c.column()) {
                source.own_columns.push(c.column().to_string());
            }
            let f = &mut self.config.features;
            let segments = f.criteria_columns().contains(&c.name);
            if !segments && !f.describe.contains(&c.name) {
                f.describe.push(c.name.clone());
            }
            if c.kind == OwnType::Multi && !f.multi.contains(&c.name) {
                f.multi.push(c.name.clone());
            }
            if c.log && !f.log_numeric.contains(&c.name) {
                f.log_numeric.push(c.name.clone());
            }
        }
        Ok(())
    }

    /// The index of the CRM source an own column comes from.
    fn own_source(&self, c: &OwnColumn) -> Result<usize> {
        let crm: Vec<usize> = (0..self.config.sources.len())
            .filter(|&i| self.config.sources[i].kind.is_crm())
            .collect();
        let names = || {
            crm.iter()
                .map(|&i| self.config.sources[i].name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        };
        match &c.source {
            Some(name) => crm
                .iter()
                .copied()
                .find(|&i| &self.config.sources[i].name == name)
                .ok_or_else(|| {
                    self.fail(format!(
                        "features.columns: `{}` names source `{name}`, which is not a CRM source of the pipeline (CRM sources: {})",
                        c.name,
                        names()
                    ))
                }),
            None if crm.len() == 1 => Ok(crm[0]),
            None => Err(self.fail(format!(
                "features.columns: `{}` needs `source = \"...\"`: the pipeline reads several CRM sources ({})",
                c.name,
                names()
            ))),
        }
    }

    fn fail(&self, message: String) -> Error {
        Error::Config {
            path: self.path.clone(),
            message,
        }
    }

    /// The pure checks: names, ranges, duplicates.
    fn check(&self) -> Result<()> {
        let c = &self.config;
        if c.name.trim().is_empty() {
            return Err(self.fail("`name` is empty".into()));
        }
        if c.sources.is_empty() {
            return Err(self.fail("no [[sources]]: a pipeline needs at least a CRM export".into()));
        }
        let mut seen_names = std::collections::HashSet::new();
        let mut seen_kinds = std::collections::HashSet::new();
        for s in &c.sources {
            if !seen_names.insert(s.name.as_str()) {
                return Err(self.fail(format!("two sources are named `{}`", s.name)));
            }
            // Several sources of one kind are unioned (two GA4 properties, two Mailchimp
            // audiences); not two CRMs of one kind: their ids would share one import file.
            if !seen_kinds.insert(s.kind) && CrmTarget::of_source(s.kind).is_some() {
                return Err(self.fail(format!(
                    "source `{}`: a second CRM source of kind `{}`: the contacts of two CRM accounts \
                     cannot share one import file; list several files of one account in one source \
                     with a glob, or use a `csv` source for the other CRM",
                    s.name, s.kind
                )));
            }
            if !(0.0..=100.0).contains(&s.max_reject_pct) {
                return Err(self.fail(format!(
                    "source `{}`: max_reject_pct must be between 0 and 100, got {}",
                    s.name, s.max_reject_pct
                )));
            }
            template::check(&s.path)
                .map_err(|why| self.fail(format!("source `{}`: path {}: {why}", s.name, s.path)))?;
            self::csv::check_options(s)
                .map_err(|why| self.fail(format!("source `{}`: {why}", s.name)))?;
        }
        if !seen_kinds.iter().any(|k| k.is_crm()) {
            return Err(self.fail(
                "no CRM source: add a source of kind `hubspot_contacts`, `salesforce_contacts`, `salesforce_leads` or `csv`"
                    .into(),
            ));
        }
        let k = &c.cluster;
        if k.k_min < 2 || k.k_min > k.k_max {
            return Err(self.fail(format!(
                "cluster: need 2 <= k_min <= k_max, got k_min = {}, k_max = {}",
                k.k_min, k.k_max
            )));
        }
        self.check_model()?;
        c.web.check().map_err(|why| self.fail(why))?;
        c.crm.check().map_err(|why| self.fail(why))?;
        c.engine.check().map_err(|why| self.fail(why))?;
        c.publish.check().map_err(|why| self.fail(why))?;
        // The CRM files a run would write, as it writes them: a `[crm]` that cannot write them
        // fails here, before any work, not at the end of the run.
        let present: Vec<CrmTarget> = c
            .sources
            .iter()
            .filter_map(|s| CrmTarget::of_source(s.kind))
            .collect();
        c.crm.targets(&present).map_err(|why| self.fail(why))?;
        Ok(())
    }

    /// The checks of the `[features]`, `[cluster]` and `[profile]` sections.
    fn check_model(&self) -> Result<()> {
        let c = &self.config;
        let f = &c.features;
        titles::check(&f.titles, &f.genders).map_err(|why| self.fail(why))?;
        c.profile.priority.check().map_err(|why| self.fail(why))?;
        let criteria = f.criteria();
        if !f.is_auto() && !(3..=5).contains(&criteria.len()) {
            return Err(self.fail(format!(
                "features.criteria: segment on 3 to 5 criteria (or `criteria = \"auto\"`), got {} ({})",
                criteria.len(),
                criteria
                    .iter()
                    .map(|c| c.name())
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
        if criteria.iter().any(|c| c.columns().is_empty()) {
            return Err(self.fail("features.criteria: a criterion group has no columns".into()));
        }
        if let Some(c) = criteria
            .iter()
            .find(|c| !(c.weight() > 0.0 && c.weight().is_finite()))
        {
            return Err(self.fail(format!(
                "features.criteria: the weight of `{}` must be a positive number, got {}",
                c.name(),
                c.weight()
            )));
        }
        let k = &c.cluster;
        if k.null_resamples < 2
            || k.null_sample < 10
            || !(k.structure_alpha > 0.0 && k.structure_alpha < 1.0)
        {
            return Err(self.fail(format!(
                "cluster: need null_resamples >= 2, null_sample >= 10 and 0 < structure_alpha < 1, \
                 got {}, {} and {}",
                k.null_resamples, k.null_sample, k.structure_alpha
            )));
        }
        let fewest = (10 * k.k_max).max(c.profile.min_sample);
        if k.fit_contacts > 0 && k.fit_contacts < fewest {
            return Err(self.fail(format!(
                "cluster.fit_contacts must be 0 (fit on every contact) or at least {fewest} (10 x \
                 k_max and profile.min_sample: a smaller sample cannot test k_max personas), got {}",
                k.fit_contacts
            )));
        }
        if let Some(b) = &c.cluster.buckets {
            b.check().map_err(|why| self.fail(why))?;
            if f.criteria_columns().contains(&b.column) {
                return Err(self.fail(format!(
                    "cluster.buckets.column `{}` is also a criterion; the buckets already split on it",
                    b.column
                )));
            }
        }
        let p = &c.profile;
        if !(p.alpha > 0.0 && p.alpha < 1.0) {
            return Err(self.fail(format!(
                "profile.alpha must be between 0 and 1, got {}",
                p.alpha
            )));
        }
        if !(0.0..=1.0).contains(&p.min_stability) || !(0.0..=1.0).contains(&p.negative.min_share) {
            return Err(self.fail(
                "profile.min_stability and profile.negative.min_share must be between 0 and 1"
                    .into(),
            ));
        }
        if !["any", "all"].contains(&p.negative.match_.as_str()) {
            return Err(self.fail(format!(
                "profile.negative.match must be `any` or `all`, got `{}`",
                p.negative.match_
            )));
        }
        for cond in &p.negative.conditions {
            let set = [
                cond.in_.is_some(),
                cond.above.is_some(),
                cond.below.is_some(),
            ];
            if set.iter().filter(|s| **s).count() != 1 {
                return Err(self.fail(format!(
                    "profile.negative.conditions: the condition on `{}` needs exactly one of `in`, `above`, `below`",
                    cond.column
                )));
            }
        }
        Ok(())
    }

    /// Resolve a path from the config against the config's folder.
    pub fn resolve(&self, p: impl AsRef<Path>) -> PathBuf {
        let p = p.as_ref();
        let joined = if p.is_absolute() {
            p.to_path_buf()
        } else {
            self.base_dir.join(p)
        };
        normalize(&joined)
    }

    /// The output folder.
    pub fn output_dir(&self) -> PathBuf {
        self.resolve(&self.config.output_dir)
    }

    /// The SQL models folder.
    pub fn sql_dir(&self) -> PathBuf {
        self.resolve(&self.config.sql_dir)
    }
}

/// Remove `.` and `name/..` pairs without touching the file system (`pipelines/../out` -> `out`).
fn normalize(path: &Path) -> PathBuf {
    use std::path::Component;
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir
                if matches!(out.components().next_back(), Some(Component::Normal(_))) =>
            {
                out.pop();
            }
            other => out.push(other.as_os_str()),
        }
    }
    if out.as_os_str().is_empty() {
        out.push(".");
    }
    out
}

/// The smallest pipeline config: one HubSpot export (tests start from it).
#[cfg(test)]
pub(crate) const MINIMAL: &str = r#"
name = "t"
output_dir = "out"
[[sources]]
name = "crm"
kind = "hubspot_contacts"
path = "contacts.csv"
"#;

#[cfg(test)]
mod tests;
