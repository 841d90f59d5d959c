//! Pipeline config: the TOML file a data team writes (`pipelines/<name>.toml`), parsed and checked
//! without touching any input. `validate` and `run` share this pure check before any I/O.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::error::{Error, Result};
use crate::sources::csv_mapping::{self, CsvColumns};

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
    /// Which columns of the feature model drive segmentation.
    #[serde(default)]
    pub features: FeaturesConfig,
    /// Clustering settings.
    #[serde(default)]
    pub cluster: ClusterConfig,
    /// Persona profile settings (sample-size thresholds, trait cut-offs).
    #[serde(default)]
    pub profile: ProfileConfig,
}

/// One input export.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceConfig {
    /// Name of the source, used in logs, rejects paths and row counts (`crm`, `email`, ...).
    pub name: String,
    /// What kind of export this is; decides the parser and the raw table it lands in.
    pub kind: SourceKind,
    /// File path or glob (`ga4/events_*.json`), relative to the config file's folder.
    pub path: String,
    /// Share of rows (percent) that may be rejected before the run fails. Default 1 %.
    #[serde(default = "default_reject_ceiling")]
    pub max_reject_pct: f64,
    /// Text encoding of CSV exports: `utf-8` (default; a byte-order mark is skipped),
    /// `windows-1252` (Excel on Windows) or `latin-1`.
    #[serde(default)]
    pub encoding: TextEncoding,
    /// Where the files live when `path` is a URL (`s3://`, `gs://`, `az://`, `http(s)://`):
    /// endpoint, region, credentials from the environment, timeouts and retries.
    #[serde(default)]
    pub store: StoreConfig,
    /// `csv` sources: the field delimiter, one ASCII character (default `,`; `"\t"` for tabs).
    pub delimiter: Option<char>,
    /// `csv` sources: the quote character, one ASCII character (default `"`).
    pub quote: Option<char>,
    /// `csv` sources: whether the first row names the columns (default true); without a header
    /// the columns are named `column_1`, `column_2`, ...
    pub has_header: Option<bool>,
    /// `csv` sources: chrono format of the date columns (default `%Y-%m-%d`).
    pub date_format: Option<String>,
    /// `csv` sources: chrono format of the date-time columns (default `%Y-%m-%d %H:%M:%S`; a
    /// format without a time reads a date as midnight).
    pub datetime_format: Option<String>,
    /// `csv` sources: the file column holding each contact field (`[sources.columns]`);
    /// `contact_id` and `email` are required.
    pub columns: Option<CsvColumns>,
}

/// Text encodings of CSV exports.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
pub enum TextEncoding {
    /// UTF-8, with or without a byte-order mark.
    #[default]
    #[serde(rename = "utf-8", alias = "utf8")]
    Utf8,
    /// Windows-1252 ("ANSI", Excel's default on Western Windows).
    #[serde(rename = "windows-1252", alias = "cp1252")]
    Windows1252,
    /// ISO-8859-1.
    #[serde(rename = "latin-1", alias = "iso-8859-1", alias = "latin1")]
    Latin1,
}

/// Options for sources on object stores and HTTP. Secrets are never written here: the config
/// names environment variables, and the values are read at run time and never logged.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoreConfig {
    /// S3-compatible endpoint (MinIO, Ceph, R2, a local test server); default: AWS.
    pub endpoint: Option<String>,
    /// Region; default from `AWS_REGION` / `AWS_DEFAULT_REGION`, else `us-east-1`.
    pub region: Option<String>,
    /// Path-style S3 requests (`endpoint/bucket/key`), as most S3-compatible servers need.
    #[serde(default)]
    pub path_style: bool,
    /// Allow a plain `http://` endpoint (test servers, private networks).
    #[serde(default)]
    pub allow_http: bool,
    /// HTTP sources: environment variable holding a bearer token (`Authorization: Bearer ...`).
    pub token_env: Option<String>,
    /// HTTP sources: name of an extra header to send (e.g. `X-Api-Key`)...
    pub header: Option<String>,
    /// ... and the environment variable holding its value.
    pub header_env: Option<String>,
    /// HTTP sources: timeout of one request in seconds (default 60).
    pub timeout_secs: Option<u64>,
    /// HTTP sources: retries on 429, 5xx and broken connections, with backoff (default 5).
    pub retries: Option<u32>,
}

/// The export formats `personas` reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceKind {
    /// HubSpot "all contacts" export CSV (header of property labels).
    HubspotContacts,
    /// Mailchimp audience export: subscribed, unsubscribed and cleaned member CSVs.
    MailchimpMembers,
    /// Google Analytics 4 BigQuery export as newline-delimited JSON (`events_YYYYMMDD*.json`).
    Ga4Events,
    /// Meta Graph API page insights JSON (`page_fans_gender_age`, `page_fans_country`), or the
    /// same breakdowns as a long CSV (`dimension,value,count`) when the file ends in `.csv`.
    #[serde(alias = "meta_audience")]
    MetaPageInsights,
    /// Salesforce contacts: a Data Loader / Bulk API CSV (API field names) or a report export
    /// (field labels).
    SalesforceContacts,
    /// Any CRM's contacts CSV, read through the source's `[sources.columns]` mapping.
    Csv,
}

impl SourceKind {
    /// The raw table the source lands in and the SQL reads.
    pub fn raw_table(self) -> &'static str {
        match self {
            SourceKind::HubspotContacts => "raw_hubspot__contacts",
            SourceKind::MailchimpMembers => "raw_mailchimp__members",
            SourceKind::Ga4Events => "raw_ga4__events",
            SourceKind::MetaPageInsights => "raw_meta__page_insights",
            SourceKind::SalesforceContacts => "raw_salesforce__contacts",
            SourceKind::Csv => "raw_csv__contacts",
        }
    }

    /// Every kind, in the order raw tables are registered.
    pub const ALL: [SourceKind; 6] = [
        SourceKind::HubspotContacts,
        SourceKind::SalesforceContacts,
        SourceKind::Csv,
        SourceKind::MailchimpMembers,
        SourceKind::Ga4Events,
        SourceKind::MetaPageInsights,
    ];

    /// Whether the kind is a CRM contacts export (a pipeline needs at least one).
    pub fn is_crm(self) -> bool {
        matches!(
            self,
            SourceKind::HubspotContacts | SourceKind::SalesforceContacts | SourceKind::Csv
        )
    }
}

/// Columns of the feature model and how they enter the clustering.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeaturesConfig {
    /// The SQL model holding one row per contact (must have `contact_id` and `email`).
    #[serde(default = "default_feature_model")]
    pub model: String,
    /// Numeric columns used for segmentation: winsorised at the 1st and 99th percentiles and
    /// standardised; a missing value is imputed by the mean (neutral in distance) and flagged in
    /// an indicator column.
    #[serde(default = "default_numeric")]
    pub numeric: Vec<String>,
    /// Numeric columns that are log-transformed (`ln(1 + x)`) before standardising (counts, money).
    #[serde(default = "default_log_numeric")]
    pub log_numeric: Vec<String>,
    /// Categorical columns used for segmentation; one-hot encoded, rare levels pooled.
    #[serde(default = "default_categorical")]
    pub categorical: Vec<String>,
    /// Weight of each one-hot column against a standardised numeric column. Two contacts who
    /// differ on a categorical criterion differ in two one-hot columns, so the default 1.5 makes
    /// that difference count like about 2.1 standard deviations on a numeric criterion.
    #[serde(default = "default_categorical_weight")]
    pub categorical_weight: f64,
    /// Columns (numeric or text) only used to describe personas, never to segment them.
    #[serde(default = "default_describe")]
    pub describe: Vec<String>,
    /// Levels below this share of contacts (percent) are pooled into `other`.
    #[serde(default = "default_rare_level_pct")]
    pub rare_level_pct: f64,
}

/// Clustering settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClusterConfig {
    /// Smallest number of personas tried.
    #[serde(default = "default_k_min")]
    pub k_min: usize,
    /// Largest number of personas tried.
    #[serde(default = "default_k_max")]
    pub k_max: usize,
    /// Random seed: the same seed and data give the same personas.
    #[serde(default = "default_seed")]
    pub seed: u64,
    /// k-means++ restarts per k; the best (lowest inertia) is kept.
    #[serde(default = "default_restarts")]
    pub restarts: usize,
    /// Rows the model is fitted on (a seeded sample); every contact is then assigned.
    #[serde(default = "default_fit_sample")]
    pub fit_sample: usize,
    /// Rows the silhouette score is computed on when choosing k.
    #[serde(default = "default_silhouette_sample")]
    pub silhouette_sample: usize,
}

/// Persona profile settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProfileConfig {
    /// A persona with fewer contacts is flagged `insufficient_sample` and left out of the CRM file.
    #[serde(default = "default_min_persona_size")]
    pub min_persona_size: usize,
    /// A run with fewer contacts flags every persona `insufficient_sample`.
    #[serde(default = "default_min_sample")]
    pub min_sample: usize,
    /// A categorical trait is listed when its lift is at least this (persona rate / population rate).
    #[serde(default = "default_min_lift")]
    pub min_lift: f64,
    /// ... and at least this share of the persona has it.
    #[serde(default = "default_min_rate")]
    pub min_rate: f64,
    /// How many traits are shown per persona in the summary.
    #[serde(default = "default_top_traits")]
    pub top_traits: usize,
}

fn default_sql_dir() -> PathBuf {
    PathBuf::from("../sql")
}
fn default_reject_ceiling() -> f64 {
    1.0
}
fn default_feature_model() -> String {
    "int_contact_features".into()
}
fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}
fn default_numeric() -> Vec<String> {
    strings(&[
        "share_docs",
        "share_pricing",
        "share_discounts",
        "share_blog",
        "share_mobile",
        "revenue",
        "email_rating",
    ])
}
fn default_log_numeric() -> Vec<String> {
    strings(&["revenue"])
}
fn default_categorical() -> Vec<String> {
    strings(&["job_seniority", "company_size", "buying_role"])
}
fn default_categorical_weight() -> f64 {
    1.5
}
fn default_describe() -> Vec<String> {
    strings(&[
        "sessions",
        "page_views",
        "days_since_activity",
        "email_status",
        "age_band",
        "gender",
        "country",
        "industry",
        "lifecycle_stage",
        "top_section",
        "top_medium",
        "main_device",
        "original_source",
    ])
}
fn default_rare_level_pct() -> f64 {
    1.0
}
fn default_k_min() -> usize {
    3
}
fn default_k_max() -> usize {
    5
}
fn default_seed() -> u64 {
    42
}
fn default_restarts() -> usize {
    10
}
fn default_fit_sample() -> usize {
    100_000
}
fn default_silhouette_sample() -> usize {
    5_000
}
fn default_min_persona_size() -> usize {
    30
}
fn default_min_sample() -> usize {
    100
}
fn default_min_lift() -> f64 {
    1.5
}
fn default_min_rate() -> f64 {
    0.25
}
fn default_top_traits() -> usize {
    5
}

impl Default for FeaturesConfig {
    fn default() -> Self {
        FeaturesConfig {
            model: default_feature_model(),
            numeric: default_numeric(),
            log_numeric: default_log_numeric(),
            categorical: default_categorical(),
            categorical_weight: default_categorical_weight(),
            describe: default_describe(),
            rare_level_pct: default_rare_level_pct(),
        }
    }
}

impl Default for ClusterConfig {
    fn default() -> Self {
        ClusterConfig {
            k_min: default_k_min(),
            k_max: default_k_max(),
            seed: default_seed(),
            restarts: default_restarts(),
            fit_sample: default_fit_sample(),
            silhouette_sample: default_silhouette_sample(),
        }
    }
}

impl Default for ProfileConfig {
    fn default() -> Self {
        ProfileConfig {
            min_persona_size: default_min_persona_size(),
            min_sample: default_min_sample(),
            min_lift: default_min_lift(),
            min_rate: default_min_rate(),
            top_traits: default_top_traits(),
        }
    }
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
        let pipeline = Pipeline {
            config,
            path: path.to_path_buf(),
            base_dir,
        };
        pipeline.check()?;
        Ok(pipeline)
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
            if !seen_kinds.insert(s.kind) {
                return Err(self.fail(format!(
                    "source `{}`: a second source of kind {:?}; list several files in one source with a glob instead",
                    s.name, s.kind
                )));
            }
            if !(0.0..=100.0).contains(&s.max_reject_pct) {
                return Err(self.fail(format!(
                    "source `{}`: max_reject_pct must be between 0 and 100, got {}",
                    s.name, s.max_reject_pct
                )));
            }
            csv_mapping::check_options(s)
                .map_err(|why| self.fail(format!("source `{}`: {why}", s.name)))?;
        }
        if !seen_kinds.iter().any(|k| k.is_crm()) {
            return Err(self.fail(
                "no CRM source: add a source of kind `hubspot_contacts`, `salesforce_contacts` or `csv`"
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
        if c.features.numeric.is_empty() && c.features.categorical.is_empty() {
            return Err(
                self.fail("features: no numeric or categorical column to segment on".into())
            );
        }
        if !(c.features.categorical_weight > 0.0 && c.features.categorical_weight.is_finite()) {
            return Err(self.fail(format!(
                "features.categorical_weight must be a positive number, got {}",
                c.features.categorical_weight
            )));
        }
        for col in &c.features.log_numeric {
            if !c.features.numeric.contains(col) {
                return Err(self.fail(format!(
                    "features.log_numeric lists `{col}`, which is not in features.numeric"
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

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = r#"
name = "t"
output_dir = "out"
[[sources]]
name = "crm"
kind = "hubspot_contacts"
path = "contacts.csv"
"#;

    #[test]
    fn minimal_config_gets_defaults() {
        let p = Pipeline::parse(MINIMAL, Path::new("/x/p.toml")).unwrap();
        assert_eq!(p.config.cluster.k_min, 3);
        assert_eq!(p.output_dir(), PathBuf::from("/x/out"));
        assert_eq!(p.sql_dir(), PathBuf::from("/sql"));
        let rel = Pipeline::parse(MINIMAL, Path::new("pipelines/p.toml")).unwrap();
        assert_eq!(rel.sql_dir(), PathBuf::from("sql"));
    }

    #[test]
    fn unknown_key_is_named() {
        let text = format!("{MINIMAL}\n[cluster]\nkk_min = 3\n");
        let err = Pipeline::parse(&text, Path::new("p.toml"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("kk_min"), "{err}");
    }

    #[test]
    fn bad_k_range_is_rejected() {
        let text = format!("{MINIMAL}\n[cluster]\nk_min = 6\nk_max = 3\n");
        let err = Pipeline::parse(&text, Path::new("p.toml"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("k_min"), "{err}");
    }

    #[test]
    fn every_example_config_parses() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("pipelines");
        let mut n = 0;
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "toml") {
                Pipeline::load(&path).unwrap();
                n += 1;
            }
        }
        assert!(n >= 1);
    }
}
