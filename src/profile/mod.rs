//! Profile: describes each persona by the traits that set it apart from the whole population
//! (rate or mean in the persona versus everyone, lift, standardised difference), gives it a
//! unique human name ("Frugal Fiona") from its most distinctive trait, compares its age and
//! gender mix with the social audience, and flags what is too small to trust.

pub mod identity;
pub mod trends;

use std::collections::{BTreeMap, BTreeSet};

use crate::cluster::Bucket;
use crate::config::ProfileConfig;
use crate::features::{mean_sd, FeatureTable};

/// Flag set on a persona or run too small to trust.
pub const INSUFFICIENT_SAMPLE: &str = "insufficient_sample";

/// One persona.
#[derive(Debug, Clone, PartialEq)]
pub struct Persona {
    /// Stable key within a run: `persona_1`, `persona_2`, ... (largest first).
    pub id: String,
    /// Unique human name.
    pub name: String,
    /// The bucket the persona was found in: `all`, `buyer` or `user`.
    pub bucket: String,
    /// Whether marketing should not target this persona (a negative persona).
    pub negative: bool,
    /// Bootstrap stability: mean best-match Jaccard of the persona across refits (1 = always
    /// found again); `None` when not measured.
    pub stability: Option<f64>,
    /// Contacts in the persona.
    pub size: usize,
    /// Share of all contacts.
    pub share: f64,
    /// 95 % Wilson interval of the share (low, high).
    pub share_ci: (f64, f64),
    /// Flags, e.g. `insufficient_sample`.
    pub flags: Vec<String>,
    /// Why each flag was raised.
    pub flag_reasons: Vec<String>,
    /// One-paragraph description from the data.
    pub description: String,
    /// The traits that set it apart, most distinctive first (`feature=level` or `feature high`).
    pub top_traits: Vec<String>,
}

impl Persona {
    /// Whether the persona may be written to the CRM.
    pub fn publishable(&self) -> bool {
        !self.flags.iter().any(|f| f == INSUFFICIENT_SAMPLE)
    }
}

/// One trait of one persona against the population.
#[derive(Debug, Clone, PartialEq)]
pub struct Trait {
    /// Persona id.
    pub persona_id: String,
    /// Feature column.
    pub feature: String,
    /// Level for categorical features; `None` for numeric ones.
    pub level: Option<String>,
    /// Rate (categorical) or mean (numeric) in the persona.
    pub persona_value: f64,
    /// Rate or mean in the whole population.
    pub population_value: f64,
    /// persona_value / population_value (`None` when the population value is 0).
    pub lift: Option<f64>,
    /// Standardised difference: (persona - population) / population standard deviation.
    pub std_diff: f64,
    /// Share of the social audience with this level (age band and gender only).
    pub audience_share: Option<f64>,
    /// Whether the trait sets the persona apart (see the profile thresholds in the config).
    pub distinctive: bool,
}

/// The social audience as (dimension, level) -> share.
pub type Audience = BTreeMap<(String, String), f64>;

/// 95 % Wilson score interval for a proportion.
pub fn wilson(successes: usize, n: usize) -> (f64, f64) {
    if n == 0 {
        return (0.0, 0.0);
    }
    let z = 1.959_963_984_540_054_f64;
    let n = n as f64;
    let p = successes as f64 / n;
    let denom = 1.0 + z * z / n;
    let centre = (p + z * z / (2.0 * n)) / denom;
    let half = z * ((p * (1.0 - p) / n + z * z / (4.0 * n * n)).sqrt()) / denom;
    ((centre - half).max(0.0), (centre + half).min(1.0))
}

/// Adjectives for distinctive traits: (feature, level or `high`/`low`, adjective).
const NAME_RULES: &[(&str, &str, &str)] = &[
    ("share_discounts", "high", "Frugal"),
    ("share_docs", "high", "Technical"),
    ("share_pricing", "high", "Evaluating"),
    ("revenue", "high", "Big-Budget"),
    ("email_status", "unsubscribed", "Lapsed"),
    ("email_status", "cleaned", "Lapsed"),
    ("days_since_activity", "high", "Dormant"),
    ("company_size", "5001+", "Enterprise"),
    ("company_size", "1001-5000", "Enterprise"),
    ("company_size", "1-10", "Scrappy"),
    ("job_seniority", "executive", "Executive"),
    ("job_seniority", "director", "Director"),
    ("job_seniority", "entry", "Junior"),
    ("job_seniority", "individual_contributor", "Hands-On"),
    ("sessions", "high", "Engaged"),
    ("sessions", "low", "Quiet"),
    ("share_mobile", "high", "Mobile"),
    ("share_blog", "high", "Curious"),
    ("email_rating", "low", "Indifferent"),
];

/// First names by initial, for alliterative persona names.
const FIRST_NAMES: &[&str] = &[
    "Alex", "Blake", "Casey", "Dana", "Emma", "Fiona", "Grace", "Hugo", "Iris", "Jonas", "Kim",
    "Leo", "Maya", "Nina", "Omar", "Priya", "Quinn", "Rosa", "Sam", "Theo", "Uma", "Vera", "Will",
    "Yara", "Zoe",
];

/// Every bucket's personas, their traits, and who belongs to which.
#[derive(Debug, Clone, Default)]
pub struct Profiled {
    /// The personas of every bucket, bucket by bucket, largest first within a bucket.
    pub personas: Vec<Persona>,
    /// Every trait of every persona.
    pub traits: Vec<Trait>,
    /// (contact row, persona index) pairs, ascending by row: a contact in two buckets has two.
    pub members: Vec<(usize, usize)>,
    /// Each contact's persona for the CRM: its first bucket's persona, `None` when in none.
    pub primary: Vec<Option<usize>>,
}

/// Profile the personas of every bucket; persona ids and names are unique across buckets.
pub fn profile_buckets(
    t: &FeatureTable,
    buckets: &[Bucket],
    cfg: &ProfileConfig,
    audience: &Audience,
) -> Profiled {
    let mut out = Profiled {
        primary: vec![None; t.len()],
        ..Profiled::default()
    };
    let mut used = BTreeSet::new();
    for b in buckets {
        let offset = out.personas.len();
        let (personas, traits) = profile(t, b, offset, cfg, audience, &mut used);
        for (&row, &l) in b.rows.iter().zip(&b.model.labels) {
            out.members.push((row, offset + l));
            out.primary[row].get_or_insert(offset + l);
        }
        out.personas.extend(personas);
        out.traits.extend(traits);
    }
    out.members.sort_unstable();
    out
}

/// Profile one bucket's personas against the bucket's population; ids are numbered from
/// `offset + 1`.
fn profile(
    t: &FeatureTable,
    bucket: &Bucket,
    offset: usize,
    cfg: &ProfileConfig,
    audience: &Audience,
    used: &mut BTreeSet<String>,
) -> (Vec<Persona>, Vec<Trait>) {
    let (rows, labels, k) = (&bucket.rows[..], &bucket.model.labels[..], bucket.model.k);
    let n = rows.len();
    let mut sizes = vec![0usize; k];
    for &l in labels {
        sizes[l] += 1;
    }
    let traits = all_traits(t, rows, labels, &sizes, offset, cfg, audience);
    let mut personas = Vec::with_capacity(k);
    for (p, &size) in sizes.iter().enumerate() {
        let id = format!("persona_{}", offset + p + 1);
        let mut mine: Vec<&Trait> = traits.iter().filter(|tr| tr.persona_id == id).collect();
        mine.sort_by(|a, b| b.std_diff.abs().total_cmp(&a.std_diff.abs()));
        let name = choose_name(&mine, used);
        let top_traits: Vec<String> = mine
            .iter()
            .filter(|tr| tr.distinctive)
            .take(cfg.top_traits)
            .map(|tr| trait_label(tr))
            .collect();
        let (mut flags, mut reasons) = (Vec::new(), Vec::new());
        if n < cfg.min_sample {
            flags.push(INSUFFICIENT_SAMPLE.to_string());
            reasons.push(format!(
                "the run has {n} contacts, below the minimum sample of {}",
                cfg.min_sample
            ));
        } else if size < cfg.min_persona_size {
            flags.push(INSUFFICIENT_SAMPLE.to_string());
            reasons.push(format!(
                "the persona has {size} contacts, below the minimum of {}",
                cfg.min_persona_size
            ));
        }
        let share = size as f64 / n.max(1) as f64;
        let description = describe(&name, size, share, t, rows, labels, p, &top_traits);
        personas.push(Persona {
            id,
            name,
            bucket: bucket.name.clone(),
            negative: false,
            stability: None,
            size,
            share,
            share_ci: wilson(size, n),
            flags,
            flag_reasons: reasons,
            description,
            top_traits,
        });
    }
    (personas, traits)
}

/// Every trait of every persona, one pass over each column.
fn all_traits(
    t: &FeatureTable,
    rows: &[usize],
    labels: &[usize],
    sizes: &[usize],
    offset: usize,
    cfg: &ProfileConfig,
    audience: &Audience,
) -> Vec<Trait> {
    let k = sizes.len();
    let n = rows.len().max(1) as f64;
    let id = |p: usize| format!("persona_{}", offset + p + 1);
    let mut out = Vec::new();
    for c in &t.numeric {
        // Per persona: sum and count of present values; population: all present values.
        let mut sum = vec![0.0; k];
        let mut count = vec![0usize; k];
        for (&r, l) in rows.iter().zip(labels) {
            if let Some(v) = c.values[r] {
                sum[*l] += v;
                count[*l] += 1;
            }
        }
        let (mean_all, sd) = mean_sd(rows.iter().filter_map(|&r| c.values[r]));
        if count.iter().sum::<usize>() == 0 {
            continue;
        }
        for p in 0..k {
            let mean_p = if count[p] == 0 {
                mean_all
            } else {
                sum[p] / count[p] as f64
            };
            let std_diff = if sd > 1e-12 {
                (mean_p - mean_all) / sd
            } else {
                0.0
            };
            out.push(Trait {
                persona_id: id(p),
                feature: c.name.clone(),
                level: None,
                persona_value: mean_p,
                population_value: mean_all,
                lift: (mean_all.abs() > 1e-12).then(|| mean_p / mean_all),
                std_diff,
                audience_share: None,
                distinctive: std_diff.abs() >= 0.5,
            });
        }
    }
    for c in &t.categorical {
        // Level -> contacts per persona.
        let mut counts = BTreeMap::<&str, Vec<usize>>::new();
        for (&r, l) in rows.iter().zip(labels) {
            counts.entry(&*c.values[r]).or_insert_with(|| vec![0; k])[*l] += 1;
        }
        for p in 0..k {
            for (level, per) in &counts {
                let rate_all = per.iter().sum::<usize>() as f64 / n;
                let rate_p = per[p] as f64 / sizes[p].max(1) as f64;
                let sd = (rate_all * (1.0 - rate_all)).sqrt();
                let std_diff = if sd > 1e-12 {
                    (rate_p - rate_all) / sd
                } else {
                    0.0
                };
                let lift = rate_p / rate_all;
                out.push(Trait {
                    persona_id: id(p),
                    feature: c.name.clone(),
                    level: Some(level.to_string()),
                    persona_value: rate_p,
                    population_value: rate_all,
                    lift: Some(lift),
                    std_diff,
                    audience_share: audience.get(&(c.name.clone(), level.to_string())).copied(),
                    distinctive: *level != "unknown"
                        && rate_p >= cfg.min_rate
                        && lift >= cfg.min_lift,
                });
            }
        }
    }
    out
}

/// "job_seniority=executive (2.4x)" or "share_docs high (+1.8 sd)".
fn trait_label(tr: &Trait) -> String {
    match &tr.level {
        Some(level) => format!(
            "{}={} ({:.0} % vs {:.0} %)",
            tr.feature,
            level,
            tr.persona_value * 100.0,
            tr.population_value * 100.0
        ),
        None => format!(
            "{} {} ({:.2} vs {:.2})",
            tr.feature,
            if tr.std_diff >= 0.0 { "high" } else { "low" },
            tr.persona_value,
            tr.population_value
        ),
    }
}

fn choose_name(sorted: &[&Trait], used: &mut BTreeSet<String>) -> String {
    let adjective = sorted
        .iter()
        .filter(|tr| match tr.level {
            Some(_) => tr.std_diff >= 0.3,
            None => tr.std_diff.abs() >= 0.5,
        })
        .find_map(|tr| {
            let key = match &tr.level {
                Some(l) => l.as_str(),
                None if tr.std_diff > 0.0 => "high",
                None => "low",
            };
            NAME_RULES
                .iter()
                .find(|(f, l, adj)| {
                    *f == tr.feature && *l == key && !used.iter().any(|u| u.starts_with(adj))
                })
                .map(|(_, _, adj)| *adj)
        })
        .unwrap_or("Typical");
    let initial = adjective.chars().next().unwrap_or('T');
    let candidates = FIRST_NAMES
        .iter()
        .filter(|n| n.starts_with(initial))
        .chain(FIRST_NAMES.iter());
    for first in candidates {
        let name = format!("{adjective} {first}");
        if used.insert(name.clone()) {
            return name;
        }
    }
    let name = format!("{adjective} {}", used.len() + 1);
    used.insert(name.clone());
    name
}

/// The most common level of a categorical column within a persona, with its rate.
fn mode(
    t: &FeatureTable,
    rows: &[usize],
    labels: &[usize],
    p: usize,
    column: &str,
) -> Option<(String, f64)> {
    let c = t.categorical.iter().find(|c| c.name == column)?;
    let mut counts = BTreeMap::<&str, usize>::new();
    let mut total = 0usize;
    for (&r, l) in rows.iter().zip(labels) {
        if *l == p {
            *counts.entry(&*c.values[r]).or_default() += 1;
            total += 1;
        }
    }
    counts
        .into_iter()
        .filter(|(l, _)| *l != "unknown")
        .max_by_key(|(_, c)| *c)
        .map(|(l, c)| (l.to_string(), c as f64 / total.max(1) as f64))
}

fn describe(
    name: &str,
    size: usize,
    share: f64,
    t: &FeatureTable,
    rows: &[usize],
    labels: &[usize],
    p: usize,
    top: &[String],
) -> String {
    let m = |col: &str| {
        mode(t, rows, labels, p, col)
            .map(|(l, r)| format!("{l} ({:.0} %)", r * 100.0))
            .unwrap_or_else(|| "unknown".into())
    };
    let mut s = format!(
        "{name} stands for {size} contacts ({:.1} % of all). Typically {} seniority at companies of {} employees in {}, \
         aged {}, {}, based in {}. Buying role: {}. Online they mostly read {} content, arrive via {} and use {}; \
         email status {}.",
        share * 100.0,
        m("job_seniority"),
        m("company_size"),
        m("industry"),
        m("age_band"),
        m("gender"),
        m("country"),
        m("buying_role"),
        m("top_section"),
        m("top_medium"),
        m("main_device"),
        m("email_status"),
    );
    if !top.is_empty() {
        s.push_str(&format!(" What sets them apart: {}.", top.join("; ")));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::features::{CategoricalColumn, NumericColumn};

    #[test]
    fn wilson_matches_known_values() {
        let (lo, hi) = wilson(50, 100);
        assert!(
            (lo - 0.4038).abs() < 1e-3 && (hi - 0.5962).abs() < 1e-3,
            "{lo} {hi}"
        );
        assert_eq!(wilson(0, 0), (0.0, 0.0));
    }

    fn run(t: &FeatureTable, labels: &[usize], k: usize) -> (Vec<Persona>, Vec<Trait>) {
        let bucket = Bucket {
            name: "all".into(),
            rows: (0..labels.len()).collect(),
            model: crate::cluster::ClusterModel {
                k,
                centroids: ndarray::Array2::zeros((k, 1)),
                labels: labels.to_vec(),
                scores: Vec::new(),
            },
        };
        let out = profile_buckets(t, &[bucket], &ProfileConfig::default(), &Audience::new());
        (out.personas, out.traits)
    }

    fn table(n_a: usize, n_b: usize) -> (FeatureTable, Vec<usize>) {
        let n = n_a + n_b;
        let labels: Vec<usize> = (0..n).map(|i| usize::from(i >= n_a)).collect();
        let t = FeatureTable {
            contact_ids: (0..n).map(|i| i.to_string()).collect(),
            emails: vec![None; n],
            numeric: vec![NumericColumn {
                name: "share_discounts".into(),
                values: labels
                    .iter()
                    .map(|l| Some(if *l == 1 { 0.9 } else { 0.1 }))
                    .collect(),
                segments: true,
            }],
            categorical: vec![CategoricalColumn {
                name: "job_seniority".into(),
                values: labels
                    .iter()
                    .map(|l| {
                        if *l == 0 {
                            "executive".into()
                        } else {
                            "unknown".into()
                        }
                    })
                    .collect(),
                segments: true,
            }],
        };
        (t, labels)
    }

    #[test]
    fn names_come_from_distinctive_traits_and_are_unique() {
        let (t, labels) = table(60, 40);
        let (personas, traits) = run(&t, &labels, 2);
        assert_eq!(personas[0].name, "Executive Emma");
        assert_eq!(personas[1].name, "Frugal Fiona");
        assert!(personas.iter().all(Persona::publishable));
        let exec = traits
            .iter()
            .find(|t| t.persona_id == "persona_1" && t.level.as_deref() == Some("executive"))
            .unwrap();
        assert!((exec.lift.unwrap() - 1.0 / 0.6).abs() < 1e-9);
        assert!(exec.distinctive);
    }

    #[test]
    fn small_persona_and_small_run_are_flagged() {
        let (t, labels) = table(100, 15);
        let (personas, _) = run(&t, &labels, 2);
        assert!(personas[0].publishable());
        assert_eq!(personas[1].flags, vec![INSUFFICIENT_SAMPLE]);
        let (t, labels) = table(12, 8);
        let (personas, _) = run(&t, &labels, 2);
        assert!(personas.iter().all(|p| !p.publishable()));
        assert!(personas[0].flag_reasons[0].contains("20 contacts"));
    }
}
