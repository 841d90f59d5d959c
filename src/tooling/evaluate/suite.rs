//! The robustness suite: the modelling on designs it was not tuned on. For each design of
//! [`crate::tooling::generate::design`] (which columns carry the persona signal, 3 to 6 personas of
//! unequal sizes, 2 to 20 levels, heavy tails, attribute noise, or no structure at all) it
//! generates exports, runs the whole pipeline with the criteria set to the signal-carrying
//! columns (one bucket), again with `criteria = "auto"`, and, where buying roles are spread
//! across personas, with buyer/user buckets; and it fits the plain baseline on the same
//! contacts. It reports the adjusted Rand index of each against the planted personas, the k
//! chosen, the structure verdict, the lowest stability, and how many contacts got a persona in
//! the CRM file.

use std::collections::HashMap;
use std::fmt::Write;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;

use super::baseline::plain_kmeans;
use crate::cluster::adjusted_rand_index;
use crate::config::{Criterion, FeaturesConfig, Pipeline};
use crate::error::{Error, Result};
use crate::features::criteria_for_columns;
use crate::pipeline::{self, RunOptions, RunReport};
use crate::tooling::generate::design::{self, DesignInfo, DesignOptions};

/// The k range every run of the suite tries (the same for every design: a user does not know
/// how many personas their data holds).
pub const K_MIN: usize = 2;
/// See [`K_MIN`].
pub const K_MAX: usize = 8;

/// What to run the suite on.
#[derive(Debug, Clone)]
pub struct SuiteOptions {
    /// Designs to run (empty: every design run by `--design every`, all but `buying`).
    pub designs: Vec<String>,
    /// Contacts per design.
    pub contacts: usize,
    /// Seed of the generator and of the pipeline.
    pub seed: u64,
    /// Mean web events per contact.
    pub events_per_contact: f64,
    /// Folder for the data and outputs (default: a temporary folder, removed afterwards).
    pub dir: Option<PathBuf>,
    /// SQL models folder.
    pub sql_dir: PathBuf,
    /// Extra `[cluster]` settings for every run (TOML lines, e.g. `k_choice = "silhouette"`),
    /// to compare modelling choices on the same designs.
    pub cluster_settings: Vec<String>,
}

impl Default for SuiteOptions {
    fn default() -> Self {
        SuiteOptions {
            designs: Vec::new(),
            contacts: 5000,
            seed: 42,
            events_per_contact: 10.0,
            dir: None,
            sql_dir: PathBuf::from("sql"),
            cluster_settings: Vec::new(),
        }
    }
}

/// One pipeline run of a design, scored against the planted personas.
#[derive(Debug, Clone, PartialEq)]
pub struct RunScore {
    /// Adjusted Rand index against the planted personas (NaN for the null design).
    pub ari: f64,
    /// k chosen in each bucket.
    pub k: Vec<usize>,
    /// Whether every bucket was found structured.
    pub structured: bool,
    /// The lowest gap z over the buckets.
    pub z: f64,
    /// The lowest bootstrap stability of a persona.
    pub min_stability: f64,
    /// Personas flagged `unstable`.
    pub unstable: usize,
    /// Personas in all.
    pub personas: usize,
    /// Contacts with a persona in the CRM snapshot (`generic_full.csv`).
    pub crm_assigned: usize,
    /// Per bucket: name and ARI against the planted personas of its contacts.
    pub per_bucket: Vec<(String, f64)>,
    /// The criteria used.
    pub criteria: Vec<String>,
    /// Their feature columns.
    pub columns: Vec<String>,
}

/// A design's results.
#[derive(Debug, Clone)]
pub struct DesignResult {
    /// The design.
    pub design: &'static DesignInfo,
    /// Contacts.
    pub contacts: usize,
    /// Criteria = the signal-carrying columns, one bucket.
    pub signal: RunScore,
    /// `criteria = "auto"`, one bucket.
    pub auto: RunScore,
    /// Buyer/user buckets (designs whose roles are spread across personas).
    pub buckets: Option<RunScore>,
    /// The plain baseline: ARI and k.
    pub baseline: (f64, usize),
}

/// Run the suite.
pub async fn run_suite(opts: &SuiteOptions) -> Result<Vec<DesignResult>> {
    // Before any work: a typo must not cost the designs before it.
    if let Some(unknown) = opts.designs.iter().find(|n| design::info(n).is_none()) {
        return Err(Error::BadInput {
            file: "--design".into(),
            reason: format!(
                "unknown design `{unknown}`; the designs are {}",
                design::designs()
                    .iter()
                    .map(|d| d.name)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        });
    }
    let (root, temporary) = match &opts.dir {
        Some(d) => (d.clone(), false),
        None => (
            std::env::temp_dir().join(format!("personas-suite-{}", std::process::id())),
            true,
        ),
    };
    let mut out = Vec::new();
    let mut result = Ok(());
    for info in design::designs().iter().filter(|d| {
        (opts.designs.is_empty() && d.in_every) || opts.designs.iter().any(|n| n == d.name)
    }) {
        match run_design(&root.join(info.name), info, opts).await {
            Ok(r) => out.push(r),
            Err(e) => {
                result = Err(e);
                break;
            }
        }
    }
    if temporary {
        let _ = std::fs::remove_dir_all(&root);
    }
    result.map(|_| out)
}

async fn run_design(
    dir: &Path,
    info: &'static DesignInfo,
    opts: &SuiteOptions,
) -> Result<DesignResult> {
    let date = NaiveDate::from_ymd_opt(2026, 11, 20).unwrap_or_default();
    design::generate_design(
        &dir.join("data"),
        &DesignOptions {
            design: info.name.to_string(),
            contacts: opts.contacts,
            seed: opts.seed,
            export_date: date,
            events_per_contact: opts.events_per_contact,
        },
    )?;
    let truth = super::read_truth(&dir.join("data/truth.csv"))?;
    let sql = std::fs::canonicalize(&opts.sql_dir).map_err(|e| Error::io(&opts.sql_dir, e))?;
    let signal_columns: Vec<String> = info.signal_columns.iter().map(|c| c.to_string()).collect();
    // The null design has no signal columns: its "signal" run uses every candidate.
    let signal_criteria = if signal_columns.is_empty() {
        criteria_for_columns(&FeaturesConfig::default().candidates)
    } else {
        criteria_for_columns(&signal_columns)
    };
    let suite_run = SuiteRun {
        info,
        dir,
        sql: &sql,
        date,
        opts,
    };
    let signal_toml = criteria_toml(&signal_criteria);
    let (signal_report, crm) = suite_run.run("signal", &signal_toml, false).await?;
    let signal = score(&signal_report, &truth, crm);
    let baseline_columns = FeaturesConfig::default().candidates;
    let (labels, k) = plain_kmeans(
        &signal_report.features,
        &baseline_columns,
        K_MIN,
        K_MAX,
        opts.seed,
    )?;
    let baseline = (
        ari_of(&signal_report.features.contact_ids, &labels, &truth),
        k,
    );
    drop(signal_report);
    let (auto_report, crm) = suite_run.run("auto", "\"auto\"", false).await?;
    let auto = score(&auto_report, &truth, crm);
    drop(auto_report);
    let buckets = if info.roles_spread {
        let (r, crm) = suite_run.run("buckets", &signal_toml, true).await?;
        Some(score(&r, &truth, crm))
    } else {
        None
    };
    Ok(DesignResult {
        design: info,
        contacts: opts.contacts,
        signal,
        auto,
        buckets,
        baseline,
    })
}

/// The pipeline runs of one design: its folder (with the data under `data/`), the SQL models
/// and the run date.
struct SuiteRun<'a> {
    info: &'a DesignInfo,
    dir: &'a Path,
    sql: &'a Path,
    date: NaiveDate,
    opts: &'a SuiteOptions,
}

impl SuiteRun<'_> {
    /// Runs the pipeline `name` (config `name.toml`, outputs under `name/`) with `criteria`
    /// (TOML), in buyer/user buckets when `buckets`: its report and the contacts with a persona
    /// in its CRM snapshot.
    async fn run(&self, name: &str, criteria: &str, buckets: bool) -> Result<(RunReport, usize)> {
        let text = self.config(name, criteria, buckets);
        let config = self.dir.join(format!("{name}.toml"));
        std::fs::write(&config, text).map_err(|e| Error::io(&config, e))?;
        let pipeline = Pipeline::load(&config)?;
        let report = pipeline::run(&pipeline, &RunOptions::new(self.date)).await?;
        let crm = count_assigned(&self.dir.join(name), self.date)?;
        Ok((report, crm))
    }

    /// The config of run `name`: the generator's (with the design's own sources), with
    /// `criteria`, every column described (the design's own too), the suite's k range and seed
    /// unless `--cluster` settings replace them, and those settings.
    fn config(&self, name: &str, criteria: &str, buckets: bool) -> String {
        let extra = self.opts.cluster_settings.join("\n");
        let mut text = design::design_config(self.info, name, "data", name, self.sql);
        let describe: Vec<String> = FeaturesConfig::default()
            .describe
            .into_iter()
            .chain(FeaturesConfig::default().candidates)
            .chain(self.info.describe.iter().map(|c| c.to_string()))
            .fold(Vec::new(), |mut v, c| {
                if !v.contains(&c) {
                    v.push(c);
                }
                v
            });
        // `--cluster` settings replace the suite's own defaults of the same key.
        let defaults: String = [
            ("k_min", K_MIN.to_string()),
            ("k_max", K_MAX.to_string()),
            ("seed", self.opts.seed.to_string()),
        ]
        .iter()
        .filter(|(key, _)| {
            !extra
                .lines()
                .any(|l| l.split('=').next().is_some_and(|k| k.trim() == *key))
        })
        .map(|(key, value)| format!("{key} = {value}\n"))
        .collect();
        let _ = write!(
            text,
            "\n[features]\ncriteria = {criteria}\ndescribe = {}\n\n[cluster]\n{defaults}{extra}\n",
            toml_list(&describe)
        );
        if buckets {
            text.push_str("\n[cluster.buckets]\nunmapped = \"none\"\n");
        }
        text
    }
}

/// A TOML array of strings.
fn toml_list(v: &[String]) -> String {
    let items: Vec<String> = v.iter().map(|s| format!("{s:?}")).collect();
    format!("[{}]", items.join(", "))
}

/// Criteria as a TOML array.
fn criteria_toml(criteria: &[Criterion]) -> String {
    let items: Vec<String> = criteria
        .iter()
        .map(|c| match c {
            Criterion::Column(c) => format!("{c:?}"),
            Criterion::Group(g) => format!(
                "{{ name = {:?}, columns = {} }}",
                g.name,
                toml_list(&g.columns)
            ),
        })
        .collect();
    format!("[{}]", items.join(", "))
}

/// Contacts with a persona in the run's `generic_full.csv`.
fn count_assigned(out: &Path, date: NaiveDate) -> Result<usize> {
    let path = out
        .join(crate::output::partition("crm", date))
        .join("generic_full.csv");
    let mut r = csv::Reader::from_path(&path)?;
    let col = r
        .headers()?
        .iter()
        .position(|h| h == "persona_id")
        .ok_or_else(|| Error::BadInput {
            file: path.display().to_string(),
            reason: "no persona_id column".into(),
        })?;
    let mut n = 0;
    for rec in r.records() {
        n += usize::from(!rec?.get(col).unwrap_or("").is_empty());
    }
    Ok(n)
}

/// ARI of `labels` (one per contact id) against the planted personas.
fn ari_of(ids: &[String], labels: &[usize], truth: &HashMap<String, String>) -> f64 {
    let mut planted_ids: HashMap<&str, usize> = HashMap::new();
    let (mut a, mut b) = (Vec::new(), Vec::new());
    for (id, &l) in ids.iter().zip(labels) {
        if let Some(t) = truth.get(id) {
            let n = planted_ids.len();
            a.push(*planted_ids.entry(t.as_str()).or_insert(n));
            b.push(l);
        }
    }
    if planted_ids.len() < 2 {
        return f64::NAN;
    }
    adjusted_rand_index(&a, &b)
}

fn score(report: &RunReport, truth: &HashMap<String, String>, crm_assigned: usize) -> RunScore {
    let ids = &report.features.contact_ids;
    let primary: Vec<(String, usize)> = report
        .primary
        .iter()
        .enumerate()
        .filter_map(|(i, p)| p.map(|p| (ids[i].clone(), p)))
        .collect();
    let (pids, plabels): (Vec<String>, Vec<usize>) = primary.into_iter().unzip();
    let per_bucket = report
        .buckets
        .iter()
        .map(|b| {
            let bids: Vec<String> = b.rows.iter().map(|&r| ids[r].clone()).collect();
            (b.name.clone(), ari_of(&bids, &b.model.labels, truth))
        })
        .collect();
    RunScore {
        ari: ari_of(&pids, &plabels, truth),
        k: report.buckets.iter().map(|b| b.model.k).collect(),
        structured: report
            .buckets
            .iter()
            .all(|b| b.verdict.as_ref().is_some_and(|v| v.structured)),
        z: report
            .buckets
            .iter()
            .filter_map(|b| b.verdict.as_ref().map(|v| v.z))
            .fold(f64::INFINITY, f64::min),
        min_stability: report
            .personas
            .iter()
            .filter_map(|p| p.stability)
            .fold(1.0, f64::min),
        unstable: report
            .personas
            .iter()
            .filter(|p| p.flags.iter().any(|f| f == crate::profile::UNSTABLE))
            .count(),
        personas: report.personas.len(),
        crm_assigned,
        per_bucket,
        criteria: report
            .buckets
            .first()
            .map(|b| b.weights.iter().map(|w| w.criterion.clone()).collect())
            .unwrap_or_default(),
        columns: report
            .buckets
            .first()
            .map(|b| b.weights.iter().flat_map(|w| w.columns.clone()).collect())
            .unwrap_or_default(),
    }
}

fn fmt_ari(v: f64) -> String {
    if v.is_nan() {
        "-".into()
    } else {
        format!("{v:.3}")
    }
}

/// The suite's table, as printed by `personas evaluate --design`.
pub fn summary(results: &[DesignResult]) -> String {
    let mut s = format!(
        "{:<13} {:>8} {:>8} | {:>10} {:>3} {:>9} {:>6} {:>9} {:>7} | {:>8} {:>3} {:>9} {:>7} | {:>12} {:>3}\n",
        "design", "planted", "contacts", "ARI signal", "k", "structure", "z", "stability", "in CRM",
        "ARI auto", "k", "structure", "in CRM", "ARI baseline", "k"
    );
    for r in results {
        let (sg, au) = (&r.signal, &r.auto);
        let ks = |k: &[usize]| {
            k.iter()
                .map(|k| k.to_string())
                .collect::<Vec<_>>()
                .join("/")
        };
        let _ = writeln!(
            s,
            "{:<13} {:>8} {:>8} | {:>10} {:>3} {:>9} {:>6.1} {:>9.2} {:>7} | {:>8} {:>3} {:>9} {:>7} | {:>12} {:>3}",
            r.design.name,
            r.design.personas,
            r.contacts,
            fmt_ari(sg.ari),
            ks(&sg.k),
            if sg.structured { "yes" } else { "NONE" },
            sg.z,
            sg.min_stability,
            sg.crm_assigned,
            fmt_ari(au.ari),
            ks(&au.k),
            if au.structured { "yes" } else { "NONE" },
            au.crm_assigned,
            fmt_ari(r.baseline.0),
            r.baseline.1,
        );
        if let Some(b) = &r.buckets {
            let per: Vec<String> = b
                .per_bucket
                .iter()
                .map(|(n, a)| format!("{n} {}", fmt_ari(*a)))
                .collect();
            let _ = writeln!(
                s,
                "{:<13} buyer/user buckets: ARI per bucket {}; k {}; structure {}",
                "",
                per.join(", "),
                ks(&b.k),
                if b.structured { "yes" } else { "NONE" }
            );
        }
        let _ = writeln!(s, "{:<13} auto criteria: {}", "", au.criteria.join(", "));
    }
    s
}
