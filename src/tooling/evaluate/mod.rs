//! `personas evaluate`: the reference check of the modelling. With `--design`, the
//! robustness suite ([`suite`]) on designs the modelling was not tuned on, against a plain
//! baseline ([`baseline`]). Without it, it generates exports with the
//! sample's four planted personas (plus the generator's noise: a share of every contact's traits drawn from the whole
//! population, anonymous web visitors), runs the whole pipeline on them, and reports how well
//! the personas found match the planted ones (adjusted Rand index), the silhouette of the
//! chosen k, and each persona's bootstrap stability. With `overlap` near 1 the planted personas
//! share their traits, and an honest model reports low stability.

pub mod baseline;
pub mod suite;

pub use suite::{run_suite, DesignResult, SuiteOptions};

use std::collections::HashMap;
use std::fmt::Write;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;

use crate::cluster::adjusted_rand_index;
use crate::config::Pipeline;
use crate::error::{Error, Result};
use crate::pipeline::{self, RunOptions, RunReport};
use crate::tooling::generate::{self, GenerateOptions};

/// What to evaluate on.
#[derive(Debug, Clone)]
pub struct EvaluateOptions {
    /// Contacts of the four planted personas.
    pub contacts: usize,
    /// Generator seed.
    pub seed: u64,
    /// 0 = well-separated personas, 1 = indistinguishable.
    pub overlap: f64,
    /// Size of an extra small planted group (0 = none).
    pub small_group: usize,
    /// Folder for the generated data and the outputs (default: a fresh folder under the
    /// system's temp folder, removed afterwards).
    pub dir: Option<PathBuf>,
    /// SQL models folder.
    pub sql_dir: PathBuf,
}

impl Default for EvaluateOptions {
    fn default() -> Self {
        EvaluateOptions {
            contacts: 2000,
            seed: 42,
            overlap: 0.0,
            small_group: 0,
            dir: None,
            sql_dir: PathBuf::from("sql"),
        }
    }
}

/// One persona found, with the planted persona most of it comes from.
#[derive(Debug, Clone)]
pub struct FoundPersona {
    /// Persona id.
    pub id: String,
    /// Persona name.
    pub name: String,
    /// Contacts.
    pub size: usize,
    /// Bootstrap stability.
    pub stability: Option<f64>,
    /// The planted persona most of its contacts belong to, and that share.
    pub planted: (String, f64),
    /// Flags raised.
    pub flags: Vec<String>,
}

/// The evaluation.
#[derive(Debug, Clone)]
pub struct Evaluation {
    /// Adjusted Rand index of the personas found against the planted ones.
    pub ari: f64,
    /// Chosen k.
    pub k: usize,
    /// Silhouette of the chosen k.
    pub silhouette: f64,
    /// The structure test of the (first) bucket: structured, and its gap in null spreads.
    pub structure: Option<(bool, f64)>,
    /// Every persona found.
    pub personas: Vec<FoundPersona>,
    /// Options evaluated.
    pub options: EvaluateOptions,
}

impl Evaluation {
    /// The lowest stability of a persona (0 when none was measured).
    pub fn min_stability(&self) -> f64 {
        self.personas
            .iter()
            .map(|p| p.stability.unwrap_or(0.0))
            .fold(f64::INFINITY, f64::min)
            .min(1.0)
    }

    /// The printed report.
    pub fn summary(&self) -> String {
        let o = &self.options;
        let mut s = format!(
            "evaluation: {} contacts in 4 planted personas (+{} in a small group), overlap {:.2}, seed {}\n\
             adjusted Rand index {:.3}   k = {}   silhouette {:.3}   lowest stability {:.2}   structure {}\n\n",
            o.contacts,
            o.small_group,
            o.overlap,
            o.seed,
            self.ari,
            self.k,
            self.silhouette,
            self.min_stability(),
            match self.structure {
                Some((true, z)) => format!("yes (gap {z:.1} spreads)"),
                Some((false, z)) => format!("NONE (gap {z:.1} spreads)"),
                None => "not tested".into(),
            }
        );
        let _ = writeln!(
            s,
            "  {:<10} {:<22} {:>7} {:>9}  mostly planted",
            "persona", "name", "size", "stability"
        );
        for p in &self.personas {
            let _ = writeln!(
                s,
                "  {:<10} {:<22} {:>7} {:>9}  {} ({:.0} %){}",
                p.id,
                p.name,
                p.size,
                p.stability.map(|v| format!("{v:.2}")).unwrap_or("-".into()),
                p.planted.0,
                p.planted.1 * 100.0,
                if p.flags.is_empty() {
                    String::new()
                } else {
                    format!("  FLAG {}", p.flags.join(","))
                }
            );
        }
        s
    }
}

/// Generate, run, and compare with the planted personas.
pub async fn evaluate(opts: &EvaluateOptions) -> Result<Evaluation> {
    let (dir, temporary) = match &opts.dir {
        Some(d) => (d.clone(), false),
        None => (
            std::env::temp_dir().join(format!("personas-evaluate-{}", std::process::id())),
            true,
        ),
    };
    let result = run_in(&dir, opts).await;
    if temporary {
        let _ = std::fs::remove_dir_all(&dir);
    }
    result
}

async fn run_in(dir: &Path, opts: &EvaluateOptions) -> Result<Evaluation> {
    let date = NaiveDate::from_ymd_opt(2026, 11, 20).unwrap_or_default();
    let gen = GenerateOptions {
        contacts: opts.contacts,
        seed: opts.seed,
        export_date: date,
        overlap: opts.overlap,
        small_group: opts.small_group,
        ..GenerateOptions::default()
    };
    generate::generate(&dir.join("data"), &gen)?;
    let sql = std::fs::canonicalize(&opts.sql_dir).map_err(|e| Error::io(&opts.sql_dir, e))?;
    let config = dir.join("evaluate.toml");
    let text = generate::pipeline_config("evaluate", "data", "out", &sql);
    std::fs::write(&config, text).map_err(|e| Error::io(&config, e))?;
    let pipeline = Pipeline::load(&config)?;
    let report = pipeline::run(&pipeline, &RunOptions::new(date)).await?;
    let truth = read_truth(&dir.join("data/truth.csv"))?;
    compare(&report, &truth, opts)
}

/// Contact id -> planted persona, from `truth.csv`.
pub(crate) fn read_truth(path: &Path) -> Result<HashMap<String, String>> {
    let mut r = csv::Reader::from_path(path)?;
    let mut out = HashMap::new();
    for rec in r.records() {
        let rec = rec?;
        out.insert(rec[0].to_string(), rec[2].to_string());
    }
    Ok(out)
}

fn compare(
    report: &RunReport,
    truth: &HashMap<String, String>,
    opts: &EvaluateOptions,
) -> Result<Evaluation> {
    let mut planted_ids: HashMap<&str, usize> = HashMap::new();
    let (mut planted, mut found) = (Vec::new(), Vec::new());
    let mut per_persona: Vec<HashMap<&str, usize>> = vec![HashMap::new(); report.personas.len()];
    for (i, id) in report.features.contact_ids.iter().enumerate() {
        let (Some(label), Some(p)) = (truth.get(id), report.primary[i]) else {
            continue;
        };
        let n = planted_ids.len();
        planted.push(*planted_ids.entry(label.as_str()).or_insert(n));
        found.push(p);
        *per_persona[p].entry(label.as_str()).or_default() += 1;
    }
    if planted.is_empty() {
        return Err(Error::BadInput {
            file: "truth.csv".into(),
            reason: "no contact of the run is in truth.csv".into(),
        });
    }
    let bucket = report.buckets.first();
    let k = bucket.map_or(0, |b| b.model.k);
    let silhouette = bucket
        .and_then(|b| b.model.scores.iter().find(|s| s.k == k))
        .map_or(f64::NAN, |s| s.silhouette);
    let personas = report
        .personas
        .iter()
        .zip(&per_persona)
        .map(|(p, counts)| {
            let (label, n) = counts
                .iter()
                .max_by_key(|(l, n)| (**n, std::cmp::Reverse(**l)))
                .map(|(l, n)| (l.to_string(), *n))
                .unwrap_or_default();
            FoundPersona {
                id: p.id.clone(),
                name: p.name.clone(),
                size: p.size,
                stability: p.stability,
                planted: (label, n as f64 / p.size.max(1) as f64),
                flags: p.flags.clone(),
            }
        })
        .collect();
    Ok(Evaluation {
        ari: adjusted_rand_index(&planted, &found),
        k,
        silhouette,
        structure: bucket.and_then(|b| b.verdict.as_ref().map(|v| (v.structured, v.z))),
        personas,
        options: opts.clone(),
    })
}
