//! Segmentation: splits the contacts into buckets (everyone; buyers and end users when the
//! config maps buying roles; or one bucket per country, region or value of any column) and, in
//! each bucket, fits k-means on the design matrix of the
//! segmentation criteria, refined into latent classes (`cluster.method = "latent_class"`,
//! the default; see [`super::latent`]).

use std::collections::{BTreeMap, HashMap};

use tracing::{info, info_span, warn};

use crate::config::{
    BucketSplit, BucketsConfig, ClusterConfig, Criterion, FeaturesConfig, KChoice, Method,
};
use crate::error::{Error, Result};
use crate::features::{self, CriterionWeight, FeatureTable, Levels};

use super::assign::{bucket_filter, Assignment};
use super::independence::{self, KIndependence};
use super::latent::{Attributes, Classes};
use super::structure::{self, KGap, NullSettings, Verdict};
use super::{ClusterModel, KMeansSettings};

/// One bucket of contacts and the personas found in it.
#[derive(Debug, Clone)]
pub struct Bucket {
    /// Bucket name: `all`, or `buyer` / `user`.
    pub name: String,
    /// The bucket's contacts, as row indices into the feature table, ascending: all of them,
    /// or, straight out of [`segment`] when the bucket has more than `cluster.fit_contacts`,
    /// the sample the model was fitted on (until [`super::assign`] assigns every contact).
    pub rows: Vec<usize>,
    /// How many contacts the bucket has (more than `rows` while only the sample is there).
    pub contacts: usize,
    /// How many contacts the model was fitted on (`contacts`, or the sample's size).
    pub fitted: usize,
    /// The clustering of the bucket's rows (`labels[i]` is the cluster of `rows[i]`).
    pub model: ClusterModel,
    /// Bootstrap stability of each cluster (empty when not measured).
    pub stability: Vec<f64>,
    /// How many of the bucket's contacts are also in another bucket.
    pub shared: usize,
    /// Each criterion's weight and its total variance in the bucket's design matrix.
    pub weights: Vec<CriterionWeight>,
    /// The gap of every k tried against the permutation null (empty when too few contacts).
    pub gaps: Vec<KGap>,
    /// Whether the bucket has clear structure (`None` when too few contacts to test).
    pub verdict: Option<Verdict>,
    /// How k was proposed (then lowered while a persona was unstable).
    pub k_choice: KChoice,
    /// The k the gap (or silhouette) proposed, before unstable personas lowered it.
    pub proposed_k: usize,
    /// With `k_choice = "independence"`: every k tested, each cluster against its own null.
    pub independence: Vec<KIndependence>,
    /// How any contact of the bucket is assigned to its personas, as SQL over the feature
    /// model (the same personas as `model.labels` for the contacts fitted).
    pub assignment: Assignment,
}

impl Bucket {
    /// How k was chosen, with every k's scores: "k chosen by gap: k=2 0.110, k=3 0.254 (...);
    /// silhouette k=2 0.27, ...".
    pub fn choice_text(&self) -> String {
        let sil = self.model.scores_text();
        if self.gaps.is_empty() {
            return format!("k chosen by silhouette: {sil}");
        }
        let gaps = self
            .gaps
            .iter()
            .map(|g| format!("k={} {:.3}", g.k, g.gap()))
            .collect::<Vec<_>>()
            .join(", ");
        let lowered = if self.proposed_k > self.model.k {
            format!(
                ", then lowered from {} for personas resampling did not find again",
                self.proposed_k
            )
        } else {
            String::new()
        };
        match self.k_choice {
            KChoice::Gap => format!("k chosen by gap{lowered}: {gaps}; silhouette {sil}"),
            KChoice::Silhouette => format!("k chosen by silhouette{lowered}: {sil}; gap {gaps}"),
            KChoice::Independence => {
                let tested = self
                    .independence
                    .iter()
                    .map(|t| format!("k={} {:.1} (needed {:.1})", t.k, t.max_z(), t.z_needed))
                    .collect::<Vec<_>>()
                    .join(", ");
                let rule = match independence::chosen(&self.independence) {
                    Some(_) => "k chosen as the smallest whose personas each look like their own shuffled copy",
                    None => "no k had every persona look like its own shuffled copy, so k chosen by silhouette",
                };
                format!("{rule}{lowered}: largest persona z {tested}; gap {gaps}; silhouette {sil}")
            }
        }
    }

    /// How k was chosen, for `model_quality` and the manifest: the configured rule, or
    /// `silhouette` when the independence rule found no k.
    pub fn chosen_by(&self) -> &'static str {
        match self.k_choice {
            KChoice::Independence if independence::chosen(&self.independence).is_none() => {
                "silhouette"
            }
            k => k.as_str(),
        }
    }

    /// The structure verdict in words.
    pub fn structure_text(&self) -> String {
        match &self.verdict {
            None => "structure not tested (too few contacts)".into(),
            Some(v) if v.structured => format!(
                "clear structure: {:.1} spreads tighter than the same data shuffled column by column ({:.1} needed)",
                v.z, v.z_needed
            ),
            Some(v) => format!(
                "NO clear structure: {:.1} spreads tighter than the same data shuffled column by column, {:.1} needed",
                v.z, v.z_needed
            ),
        }
    }
}

/// Split the contacts into buckets and cluster each one on its own design matrix of `criteria`;
/// k is proposed by the gap (or silhouette), then lowered while a persona's bootstrap
/// stability is below `min_stability`.
pub fn segment(
    table: &FeatureTable,
    criteria: &[Criterion],
    features_cfg: &FeaturesConfig,
    cluster_cfg: &ClusterConfig,
    min_stability: f64,
) -> Result<Vec<Bucket>> {
    let settings = KMeansSettings {
        k_min: cluster_cfg.k_min,
        k_max: cluster_cfg.k_max,
        seed: cluster_cfg.seed,
        restarts: cluster_cfg.restarts,
        fit_sample: cluster_cfg.fit_sample,
        silhouette_sample: cluster_cfg.silhouette_sample,
        ..KMeansSettings::default()
    };
    let groups = match &cluster_cfg.buckets {
        None => vec![("all".to_string(), (0..table.len()).collect(), 0)],
        Some(b) => split(table, b, &features_cfg.model)?,
    };
    let mut out = Vec::new();
    for (name, rows, shared) in groups {
        let _span = info_span!("bucket", bucket = %name).entered();
        if rows.is_empty() {
            warn!(bucket = %name, "No contacts in this bucket; it has no personas.");
            continue;
        }
        let contacts = rows.len();
        let rows = super::sample::fit_rows(table, rows, criteria, cluster_cfg, &name);
        let design = features::design(table, &rows, criteria, features_cfg)?;
        let null = NullSettings {
            resamples: cluster_cfg.null_resamples,
            sample: cluster_cfg.null_sample,
            alpha: cluster_cfg.structure_alpha,
            ..NullSettings::default()
        };
        let attrs = (cluster_cfg.method == Method::LatentClass)
            .then(|| Attributes::new(&design, Some((table, &rows)), cluster_cfg.seed))
            .transpose()?;
        let latent = attrs.as_ref();
        let Fitted {
            mut model,
            gaps,
            independence,
            classes,
        } = fit_small_aware(&design, &settings, &null, (cluster_cfg.k_choice, latent))?;
        let stable = |model: &ClusterModel| {
            super::stability::stability(
                &design.matrix,
                &model.labels,
                model.k,
                &settings,
                (
                    cluster_cfg.stability_resamples,
                    cluster_cfg.stability_sample,
                ),
                latent,
            )
        };
        let mut stability = stable(&model)?;
        // The gap (or silhouette) proposes k; resampling keeps only personas it finds again:
        // while one is below `min_stability`, one persona fewer.
        let proposed = model.k;
        while model.k > settings.k_min.max(2)
            && stability.iter().copied().fold(f64::INFINITY, f64::min) < min_stability
        {
            model = refit(&design.matrix, model, &settings, (latent, &classes))?;
            stability = stable(&model)?;
        }
        if model.k < proposed {
            info!(bucket = %name, proposed, k = model.k, "Fewer personas: the proposed k had personas resampling does not find again.");
        }
        let verdict = (!gaps.is_empty()).then(|| structure::verdict(&gaps, model.k, null.alpha));
        if let Some(v) = &verdict {
            info!(bucket = %name, structured = v.structured, z = v.z, z_needed = v.z_needed, "Structure test.");
        }
        info!(bucket = %name, contacts, fitted = rows.len(), k = model.k, "Segmented bucket.");
        let filter = (cluster_cfg.buckets.as_ref())
            .map(|b| bucket_filter(b, &name, features_cfg.multi.contains(&b.column)));
        let rules = attrs.as_ref().map(Attributes::rules);
        out.push(Bucket {
            assignment: Assignment::new(design.encodings.clone(), &model, rules, filter),
            name,
            fitted: rows.len(),
            rows,
            contacts,
            model,
            stability,
            shared,
            weights: design.criteria,
            gaps,
            verdict,
            k_choice: cluster_cfg.k_choice,
            proposed_k: proposed,
            independence,
        });
    }
    Ok(out)
}

/// The buckets of `cfg`: (name, rows, rows also in another bucket).
fn split(
    table: &FeatureTable,
    cfg: &BucketsConfig,
    model: &str,
) -> Result<Vec<(String, Vec<usize>, usize)>> {
    let column = table
        .categorical
        .iter()
        .chain(&table.multi_raw)
        .find(|c| c.name == cfg.column)
        .ok_or_else(|| Error::MissingModelColumn {
            model: model.to_string(),
            column: cfg.column.clone(),
            needed_by: "cluster.buckets (add it to features.describe)".into(),
        })?;
    match cfg.split() {
        BucketSplit::Roles {
            buyer,
            user,
            unmapped,
        } => Ok(by_role(&column.values, (&buyer, &user), unmapped)),
        BucketSplit::Values { regions, unmapped } => {
            Ok(by_value(&column.values, regions, unmapped))
        }
    }
}

/// The buyer and user buckets of `roles` (a contact's `;`-separated roles each).
fn by_role(
    roles: &Levels,
    (buyer_roles, user_roles): (&[String], &[String]),
    unmapped: &str,
) -> Vec<(String, Vec<usize>, usize)> {
    let listed = |roles: &[String], role: &str| roles.iter().any(|r| r.eq_ignore_ascii_case(role));
    let (mut buyers, mut users, mut both) = (Vec::new(), Vec::new(), 0);
    for (row, value) in roles.iter().enumerate() {
        let roles: Vec<&str> = value.split(';').map(str::trim).collect();
        let mut buyer = roles.iter().any(|r| listed(buyer_roles, r));
        let mut user = roles.iter().any(|r| listed(user_roles, r));
        if !buyer && !user {
            buyer = unmapped == "buyer";
            user = unmapped == "user";
        }
        if buyer {
            buyers.push(row);
        }
        if user {
            users.push(row);
        }
        both += usize::from(buyer && user);
    }
    if both > 0 {
        info!(
            contacts = both,
            "Contacts in both the buyer and the user bucket."
        );
    }
    vec![
        ("buyer".to_string(), buyers, both),
        ("user".to_string(), users, both),
    ]
}

/// One bucket per value of `values` (ignoring case and surrounding spaces, named by the value's
/// most common spelling), or per region of values (ignoring case), the largest first, ties by
/// name; contacts of an `unmapped = "none"` bucket get no persona (and are counted in the log).
fn by_value(
    values: &Levels,
    regions: Option<&BTreeMap<String, Vec<String>>>,
    unmapped: &str,
) -> Vec<(String, Vec<usize>, usize)> {
    let region_of: Option<HashMap<String, &str>> = regions.map(|regions| {
        (regions.iter())
            .flat_map(|(region, vs)| {
                vs.iter()
                    .map(move |v| (v.trim().to_lowercase(), region.as_str()))
            })
            .collect()
    });
    // Rows and spellings by bucket key.
    let mut buckets: BTreeMap<String, (Vec<usize>, BTreeMap<&str, usize>)> = BTreeMap::new();
    for (row, value) in values.iter().enumerate() {
        let key = value.trim().to_lowercase();
        let (key, spelling) = match &region_of {
            None => (key, value.trim()),
            Some(map) => {
                let region = map.get(&key).copied().unwrap_or(unmapped);
                (region.to_string(), region)
            }
        };
        let bucket = buckets.entry(key).or_default();
        bucket.0.push(row);
        *bucket.1.entry(spelling).or_default() += 1;
    }
    if region_of.is_some() && unmapped == "none" {
        if let Some((rows, _)) = buckets.remove("none") {
            warn!(
                contacts = rows.len(),
                "Contacts whose value is in no region of cluster.buckets.regions get no persona (unmapped = \"none\")."
            );
        }
    }
    let mut out: Vec<(String, Vec<usize>, usize)> = (buckets.into_values())
        .map(|(rows, spellings)| {
            let name = (spellings.iter())
                .max_by(|a, b| a.1.cmp(b.1).then_with(|| b.0.cmp(a.0)))
                .map_or(String::new(), |(s, _)| s.to_string());
            (name, rows, 0)
        })
        .collect();
    out.sort_by(|a, b| b.1.len().cmp(&a.1.len()).then_with(|| a.0.cmp(&b.0)));
    info!(buckets = out.len(), "Buckets by value.");
    out
}

/// Fit, lowering the k range when there are too few contacts for it (a tiny run is still
/// profiled, and flagged by the profile step); with enough contacts, the gap of every k
/// against the null, and k chosen as configured (with the independence rule's k tested).
fn fit_small_aware(
    design: &features::Design,
    settings: &KMeansSettings,
    null: &NullSettings,
    (k_choice, latent): (KChoice, Option<&Attributes>),
) -> Result<Fitted> {
    let x = &design.matrix;
    let n = x.nrows();
    if n < 3 {
        // Too few to split: one group, flagged by the profile step.
        let model = ClusterModel {
            k: 1,
            centroids: ndarray::Array2::zeros((1, x.ncols())),
            labels: vec![0; n],
            scores: Vec::new(),
            latent: None,
        };
        return Ok(Fitted {
            model,
            gaps: Vec::new(),
            independence: Vec::new(),
            classes: Vec::new(),
        });
    }
    let mut s = settings.clone();
    if n <= s.k_max {
        s.k_max = n.saturating_sub(1).max(2);
        s.k_min = s.k_min.min(s.k_max);
        warn!(
            contacts = n,
            k_max = s.k_max,
            "Too few contacts for the configured k range; lowering it."
        );
    }
    // The null needs enough rows per k to mean anything; tiny buckets are flagged anyway.
    let gaps = if n >= 10 * s.k_max && x.ncols() > 0 {
        structure::gaps(x, &design.families, &design.strata(), &s, null)?
    } else {
        Vec::new()
    };
    let (tested, classes) = if k_choice == KChoice::Independence && !gaps.is_empty() {
        independence::by_independence(x, &design.families, &design.strata(), &s, null, latent)?
    } else {
        (Vec::new(), Vec::new())
    };
    let choice = match k_choice {
        KChoice::Gap => structure::choose_by_gap(&gaps),
        KChoice::Independence => independence::chosen(&tested),
        KChoice::Silhouette => None,
    };
    let mut model = super::fit_choosing(x, &s, |_| choice)?;
    let classes: Vec<(usize, Classes)> = (tested.iter().map(|t| t.k)).zip(classes).collect();
    if let Some(attrs) = latent {
        model = latent_classes(x, model, attrs, &classes);
    }
    Ok(Fitted {
        model,
        gaps,
        independence: tested,
        classes,
    })
}

/// What [`fit_small_aware`] fitted.
struct Fitted {
    /// The model at the chosen k.
    model: ClusterModel,
    /// Every k's gap against the null.
    gaps: Vec<KGap>,
    /// Every k the independence rule tested.
    independence: Vec<KIndependence>,
    /// The latent classes of every k the independence rule tested, by k.
    classes: Vec<(usize, Classes)>,
}

/// `model`'s k-means clusters replaced by latent classes: those the independence rule found
/// at this k, else EM from the k-means clusters.
fn latent_classes(
    x: &ndarray::Array2<f64>,
    model: ClusterModel,
    attrs: &Attributes,
    known: &[(usize, Classes)],
) -> ClusterModel {
    let k = model.k;
    let (classes, groups) = match known.iter().find(|(at, _)| *at == k) {
        Some((_, classes)) => {
            let groups = classes.labels.iter().max().map_or(0, |m| m + 1);
            (classes.clone(), groups)
        }
        None => super::latent::refine(attrs, &model.labels, k).canonical(k),
    };
    let mut model = with_labels(x, model, classes.labels, groups);
    model.latent = classes.params;
    model
}

/// `model` refitted with one cluster fewer (k-means, then the latent classes with `latent`),
/// keeping its scores.
fn refit(
    x: &ndarray::Array2<f64>,
    mut model: ClusterModel,
    settings: &KMeansSettings,
    (latent, known): (Option<&Attributes>, &[(usize, Classes)]),
) -> Result<ClusterModel> {
    let k = model.k - 1;
    let single = super::fit(
        x,
        &KMeansSettings {
            k_min: k,
            k_max: k,
            ..settings.clone()
        },
    )?;
    (model.k, model.centroids, model.labels) = (k, single.centroids, single.labels);
    if let Some(attrs) = latent {
        model = latent_classes(x, model, attrs, known);
    }
    Ok(model)
}

/// `model` with `labels` (in `0..k`) as its clusters, each centroid the mean of its rows.
fn with_labels(
    x: &ndarray::Array2<f64>,
    mut model: ClusterModel,
    labels: Vec<usize>,
    k: usize,
) -> ClusterModel {
    let mut centroids = ndarray::Array2::zeros((k, x.ncols()));
    let mut sizes = vec![0usize; k];
    for (row, &g) in x.rows().into_iter().zip(&labels) {
        let mut c = centroids.row_mut(g);
        c += &row;
        sizes[g] += 1;
    }
    for (mut c, &size) in centroids.rows_mut().into_iter().zip(&sizes) {
        c /= size.max(1) as f64;
    }
    (model.k, model.centroids, model.labels) = (k, centroids, labels);
    model
}
