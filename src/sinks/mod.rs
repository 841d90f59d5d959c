//! Sinks: the run's outputs. Persona tables as Parquet (`personas`, `persona_members`,
//! `persona_traits`, `model_quality`) here, `persona_funnel` in [`funnel`], and the CRM import
//! files in [`crm`], each written into the run's staging folder; the pipeline publishes them.

mod columns;
pub mod crm;
pub mod funnel;
pub mod manifest;
pub mod members;
pub mod report;
pub mod schema;
pub mod trends;

pub use members::write_members;

use std::path::Path;

use datafusion::arrow::array::ArrayRef;

use crate::cluster::{Bucket, KScore};
use crate::error::Result;
use crate::profile::{Card, Persona, Trait};
use columns::{column, write_table};

/// `personas`: one row per persona.
pub fn write_personas(path: &Path, run_date: &str, personas: &[Persona]) -> Result<()> {
    let joined = |f: fn(&Persona) -> &[String], sep: &str| -> ArrayRef {
        column(personas, |p| Some(f(p).join(sep)))
    };
    write_table(
        path,
        schema::personas::columns(),
        vec![
            column(personas, |_| Some(run_date)),
            column(personas, |p| Some(p.id.as_str())),
            column(personas, |p| Some(p.name.as_str())),
            column(personas, |p| Some(p.bucket.as_str())),
            column(personas, |p| Some(p.negative)),
            column(personas, |p| Some(p.size as u64)),
            column(personas, |p| Some(p.share)),
            column(personas, |p| Some(p.share_ci.0)),
            column(personas, |p| Some(p.share_ci.1)),
            column(personas, |p| p.stability),
            joined(|p| &p.flags, ","),
            joined(|p| &p.flag_reasons, "; "),
            column(personas, |p| Some(p.publishable())),
            joined(|p| &p.top_traits, "; "),
            column(personas, |p| Some(p.description.as_str())),
            card_column(personas, |c| vec![c.demographics.clone()]),
            card_column(personas, |c| c.goals.clone()),
            card_column(personas, |c| c.motivations.clone()),
            card_column(personas, |c| c.frustrations.clone()),
            card_column(personas, |c| c.online.clone()),
            card_column(personas, |c| c.offline.clone()),
            card_column(personas, |c| c.channel.clone()),
            card_column(personas, |c| c.audience.clone()),
            column(personas, |p| Some(p.priority.as_str())),
            column(personas, |p| p.priority_score),
            card_column(personas, |c| c.barriers.clone()),
            card_column(personas, |c| c.values.clone()),
        ],
    )
}

/// One card field of every persona, its statements joined by `; `.
fn card_column(personas: &[Persona], field: impl Fn(&Card) -> Vec<String>) -> ArrayRef {
    column(personas, |p| Some(field(&p.card).join("; ")))
}

/// `persona_traits`: every feature level of every persona against the population.
pub fn write_traits(path: &Path, run_date: &str, traits: &[Trait]) -> Result<()> {
    write_table(
        path,
        schema::persona_traits::columns(),
        vec![
            column(traits, |_| Some(run_date)),
            column(traits, |t| Some(t.persona_id.as_str())),
            column(traits, |t| Some(t.feature.as_str())),
            column(traits, |t| t.level.as_deref()),
            column(traits, |t| Some(t.persona_value)),
            column(traits, |t| Some(t.population_value)),
            column(traits, |t| t.lift),
            column(traits, |t| Some(t.std_diff)),
            column(traits, |t| t.audience_share),
            column(traits, |t| t.audience_source.as_deref()),
            column(traits, |t| Some(t.p_value)),
            column(traits, |t| Some(t.p_adjusted)),
            column(traits, |t| Some(t.significant)),
            column(traits, |t| Some(t.distinctive)),
        ],
    )
}

/// `model_quality`: every k tried in every bucket, its silhouette and inertia, its gap against
/// the permutation null (the data's log dispersion, the null's mean and spread), which k was
/// chosen and how, the bucket's structure verdict, and the criteria with their weights.
pub fn write_model_quality(path: &Path, run_date: &str, buckets: &[Bucket]) -> Result<()> {
    let rows: Vec<(&Bucket, &KScore)> = buckets
        .iter()
        .flat_map(|b| b.model.scores.iter().map(move |s| (b, s)))
        .collect();
    fn gap(b: &Bucket, k: usize) -> Option<&crate::cluster::structure::KGap> {
        b.gaps.iter().find(|g| g.k == k)
    }
    fn indep(b: &Bucket, k: usize) -> Option<&crate::cluster::independence::KIndependence> {
        b.independence.iter().find(|t| t.k == k)
    }
    let weights = |b: &Bucket| {
        b.weights
            .iter()
            .map(|w| format!("{} ({}) {:.2}", w.criterion, w.columns.join(", "), w.weight))
            .collect::<Vec<_>>()
            .join("; ")
    };
    write_table(
        path,
        schema::model_quality::columns(),
        vec![
            column(&rows, |_| Some(run_date)),
            column(&rows, |(b, _)| Some(b.name.as_str())),
            column(&rows, |(_, s)| Some(s.k as u64)),
            column(&rows, |(_, s)| Some(s.silhouette)),
            column(&rows, |(_, s)| Some(s.inertia)),
            column(&rows, |(b, s)| gap(b, s.k).map(|g| g.log_w)),
            column(&rows, |(b, s)| gap(b, s.k).map(|g| g.null_mean)),
            column(&rows, |(b, s)| gap(b, s.k).map(|g| g.null_sd)),
            column(&rows, |(b, s)| gap(b, s.k).map(|g| g.gap())),
            column(&rows, |(b, s)| gap(b, s.k).map(|g| g.z())),
            column(&rows, |(b, s)| Some(s.k == b.model.k)),
            column(&rows, |(b, _)| Some(b.chosen_by())),
            column(&rows, |(b, _)| b.verdict.as_ref().map(|v| v.z_needed)),
            column(&rows, |(b, _)| b.verdict.as_ref().map(|v| v.structured)),
            column(&rows, |(b, _)| Some(weights(b))),
            column(&rows, |(b, s)| indep(b, s.k).map(|t| t.max_z())),
            column(&rows, |(b, s)| indep(b, s.k).map(|t| t.z_needed)),
            column(&rows, |(b, _)| Some(b.contacts as u64)),
            column(&rows, |(b, _)| Some(b.fitted as u64)),
        ],
    )
}
