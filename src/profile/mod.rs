//! Profile: describes each persona by the traits that set it apart from the rest of its bucket
//! ([`traits`]: rates and means, lift, significance with a correction), gives it a unique
//! human name ([`naming`]), builds its card ([`card`]) with the survey answers that set it
//! apart ([`answers`]), marks negative personas by the
//! config's rule, and flags what is too small or too unstable to trust. Across runs, a persona
//! keeps its id and name while it is the same group ([`identity`], applied to a run by
//! [`continuity`]), and [`trends`] says what changed since the previous run. [`funnel`] tells
//! where each persona drops off on the way to a purchase.

pub mod answers;
pub mod card;
pub mod continuity;
pub mod funnel;
pub mod identity;
pub mod naming;
pub mod priority;
pub mod stats;
pub mod tally;
pub mod traits;
pub mod trends;

use std::collections::{BTreeMap, BTreeSet};

use crate::cluster::Bucket;
use crate::config::ProfileConfig;
use crate::features::FeatureTable;

pub use answers::SurveyAnswers;
pub use card::Card;
pub use stats::wilson;
pub use tally::Tally;
pub use traits::Trait;

/// Flag set on a persona or run too small to trust.
pub const INSUFFICIENT_SAMPLE: &str = "insufficient_sample";
/// Flag set on a persona that bootstrap refits do not find again.
pub const UNSTABLE: &str = "unstable";
/// Flag set on a persona marketing should not target.
pub const NEGATIVE: &str = "negative";

/// One persona.
#[derive(Debug, Clone, Default, PartialEq)]
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
    /// Share of the contacts of its bucket.
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
    /// The persona card.
    pub card: Card,
    /// Where to focus: `primary`, `secondary` or `other` in its bucket, or `not_ranked` for
    /// a flagged or negative persona (see [`priority`]).
    pub priority: String,
    /// The priority score it was ranked by.
    pub priority_score: Option<f64>,
}

impl Persona {
    /// Whether the persona may be written to the CRM: not too small, not unstable.
    pub fn publishable(&self) -> bool {
        !self
            .flags
            .iter()
            .any(|f| f == INSUFFICIENT_SAMPLE || f == UNSTABLE)
    }
}

/// The share of an audience with one level, and which audience it is.
#[derive(Debug, Clone, PartialEq)]
pub struct AudienceShare {
    /// Share of the audience (0..1).
    pub share: f64,
    /// The audience: `meta` (page fans), `linkedin` (followers), `ga4` (web users), ...
    pub source: String,
}

/// The social audience as (dimension, level) -> share.
pub type Audience = BTreeMap<(String, String), AudienceShare>;

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

/// Every bucket's tally from its rows of `t` (see [`Tally::of_rows`]).
pub fn tallies(t: &FeatureTable, buckets: &[Bucket], cfg: &ProfileConfig) -> Vec<Tally> {
    (buckets.iter())
        .map(|b| Tally::of_rows(t, &b.rows, &b.model.labels, b.model.k, cfg))
        .collect()
}

/// Profile the personas of every bucket from its tally (`tallies`, one per bucket); persona
/// ids and names are unique across buckets. The survey `answers` (by contact row of `t`; empty
/// without surveys) fill the cards' "why".
pub fn profile_buckets(
    t: &FeatureTable,
    buckets: &[Bucket],
    tallies: &[Tally],
    cfg: &ProfileConfig,
    audience: &Audience,
    answers: &SurveyAnswers,
) -> Profiled {
    let mut out = Profiled {
        primary: vec![None; t.len()],
        ..Profiled::default()
    };
    let mut used = BTreeSet::new();
    assert_eq!(buckets.len(), tallies.len(), "one tally per bucket");
    for (b, tally) in buckets.iter().zip(tallies) {
        let offset = out.personas.len();
        let (personas, traits) = profile(b, tally, offset, cfg, (audience, answers), &mut used);
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

/// Profile one bucket's personas against the bucket; ids are numbered from `offset + 1`.
fn profile(
    bucket: &Bucket,
    tally: &Tally,
    offset: usize,
    cfg: &ProfileConfig,
    (audience, answers): (&Audience, &SurveyAnswers),
    used: &mut BTreeSet<String>,
) -> (Vec<Persona>, Vec<Trait>) {
    let (rows, labels, k) = (&bucket.rows[..], &bucket.model.labels[..], tally.k());
    let n = tally.contacts();
    let ids: Vec<String> = (0..k)
        .map(|p| format!("persona_{}", offset + p + 1))
        .collect();
    let traits = traits::bucket_traits(tally, &ids, cfg, audience);
    let negative_share = tally.negative_shares();
    let said = answers::bucket_statements(answers, rows, labels, k, cfg);
    let mut personas = Vec::with_capacity(k);
    for (p, &size) in tally.sizes.iter().enumerate() {
        let mut mine: Vec<&Trait> = traits.iter().filter(|tr| tr.persona_id == ids[p]).collect();
        mine.sort_by(|a, b| b.std_diff.abs().total_cmp(&a.std_diff.abs()));
        let negative = negative_share
            .as_ref()
            .is_some_and(|s| s[p] >= cfg.negative.min_share);
        let name = naming::choose_name(&mine, negative, used, cfg);
        let top_traits: Vec<String> = mine
            .iter()
            .filter(|tr| tr.distinctive)
            .take(cfg.top_traits)
            .map(|tr| tr.label())
            .collect();
        let stability = bucket.stability.get(p).copied();
        let negative_of = negative_share.as_ref().map(|s| s[p]).filter(|_| negative);
        let (flags, reasons) = persona_flags(bucket, n, size, stability, negative_of, cfg);
        let share = size as f64 / n.max(1) as f64;
        let members = card::Members { tally, persona: p };
        let mut card = card::build(members, &mine, &cfg.statements);
        answers::fill(&mut card, &said[p]);
        let description = describe(
            &name,
            &bucket.name,
            size,
            share,
            negative,
            &card,
            &top_traits,
        );
        personas.push(Persona {
            id: ids[p].clone(),
            name,
            bucket: bucket.name.clone(),
            negative,
            stability,
            size,
            share,
            share_ci: wilson(size, n),
            flags,
            flag_reasons: reasons,
            description,
            top_traits,
            card,
            // Ranked once the run's trends are known (`priority::rank`).
            priority: priority::NOT_RANKED.to_string(),
            priority_score: None,
        });
    }
    (personas, traits)
}

/// The flags of a persona of `size` contacts in `bucket` and why each was raised:
/// `insufficient_sample` for a small bucket or persona, `unstable` for a bucket with no clear
/// structure or a persona refits do not find again, `negative` (with `negative_share`, the
/// share of its contacts that meet the rule) for a negative persona.
fn persona_flags(
    bucket: &Bucket,
    n: usize,
    size: usize,
    stability: Option<f64>,
    negative_share: Option<f64>,
    cfg: &ProfileConfig,
) -> (Vec<String>, Vec<String>) {
    let structureless = bucket.verdict.as_ref().filter(|v| !v.structured);
    let (mut flags, mut reasons) = (Vec::new(), Vec::new());
    let mut raise = |flag: &str, reason: String| {
        flags.push(flag.to_string());
        reasons.push(reason);
    };
    if n < cfg.min_sample {
        raise(
            INSUFFICIENT_SAMPLE,
            format!(
                "the {} bucket has {n} contacts, below the minimum sample of {}",
                bucket.name, cfg.min_sample
            ),
        );
    } else if size < cfg.min_persona_size {
        raise(
            INSUFFICIENT_SAMPLE,
            format!(
                "the persona has {size} contacts, below the minimum of {}",
                cfg.min_persona_size
            ),
        );
    }
    if let Some(v) = structureless {
        raise(
            UNSTABLE,
            format!(
                "the {} bucket has no clear group structure: its personas are no tighter than \
                 those k-means finds in the same data with every column shuffled on its own \
                 ({:.1} spreads of the shuffled data's range, {:.1} needed)",
                bucket.name, v.z, v.z_needed
            ),
        );
    } else if let Some(s) = stability.filter(|s| *s < cfg.min_stability) {
        raise(
            UNSTABLE,
            format!(
                "bootstrap refits find it again with a mean Jaccard of {s:.2}, below {:.2}",
                cfg.min_stability
            ),
        );
    }
    if let Some(s) = negative_share {
        raise(
            NEGATIVE,
            format!(
                "{:.0} % of its contacts meet the negative rule (at least {:.0} %)",
                s * 100.0,
                cfg.negative.min_share * 100.0
            ),
        );
    }
    (flags, reasons)
}

/// The one-paragraph description of a persona.
fn describe(
    name: &str,
    bucket: &str,
    size: usize,
    share: f64,
    negative: bool,
    card: &Card,
    top: &[String],
) -> String {
    let kind = match bucket {
        "buyer" => "A buyer persona",
        "user" => "An end-user persona",
        _ => "A persona",
    };
    let mut s = format!(
        "{name}: {kind} of {size} contacts ({:.1} % of the {bucket} bucket). {}.",
        share * 100.0,
        card.demographics
    );
    if !card.goals.is_empty() {
        s.push_str(&format!(" Goals: {}.", card.goals.join("; ")));
    }
    if !card.frustrations.is_empty() {
        s.push_str(&format!(" Frustrations: {}.", card.frustrations.join("; ")));
    }
    if !card.barriers.is_empty() {
        s.push_str(&format!(" Barriers: {}.", card.barriers.join("; ")));
    }
    if let Some(o) = card.online.first() {
        s.push_str(&format!(" Online: {o}."));
    }
    if !top.is_empty() {
        s.push_str(&format!(" What sets them apart: {}.", top.join("; ")));
    }
    if negative {
        s.push_str(" A negative persona: do not target.");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::features::{CategoricalColumn, NumericColumn};

    fn run(t: &FeatureTable, labels: &[usize], k: usize) -> (Vec<Persona>, Vec<Trait>) {
        let bucket = Bucket {
            name: "all".into(),
            rows: (0..labels.len()).collect(),
            contacts: labels.len(),
            fitted: labels.len(),
            model: crate::cluster::ClusterModel {
                k,
                centroids: ndarray::Array2::zeros((k, 1)),
                labels: labels.to_vec(),
                scores: Vec::new(),
                latent: None,
            },
            stability: Vec::new(),
            shared: 0,
            weights: Vec::new(),
            gaps: Vec::new(),
            verdict: None,
            k_choice: crate::config::KChoice::Gap,
            proposed_k: k,
            independence: Vec::new(),
            assignment: Default::default(),
        };
        let cfg = ProfileConfig::default();
        let buckets = [bucket];
        let out = profile_buckets(
            t,
            &buckets,
            &tallies(t, &buckets, &cfg),
            &cfg,
            &Audience::new(),
            &SurveyAnswers::default(),
        );
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
                    .map(|l| if *l == 0 { "executive" } else { "unknown" })
                    .collect(),
                segments: true,
            }],
            multi_raw: vec![],
        };
        (t, labels)
    }

    #[test]
    fn names_come_from_distinctive_traits_and_are_unique() {
        let (t, labels) = table(60, 40);
        let (personas, traits) = run(&t, &labels, 2);
        assert_eq!(personas[0].name, "Executive Emma");
        assert_eq!(personas[1].name, "Frugal Fiona");
        // No canned statements: executives once got "Decide on tools that move the business
        // forward" without any evidence; without surveys or the team's own statements the
        // card's "why" stays empty (and says so).
        assert!(personas
            .iter()
            .all(|p| p.card.goals.is_empty() && p.card.barriers.is_empty()));
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
