//! Sinks: the run's outputs. Persona tables as Parquet (`personas`, `persona_members`,
//! `persona_traits`, `model_quality`) here, `persona_funnel` in [`funnel`], and the CRM import
//! files in [`crm`], each written into the run's staging folder; the pipeline publishes them.

pub mod crm;
pub mod funnel;
pub mod manifest;
pub mod report;
pub mod schema;
pub mod trends;

use std::path::Path;
use std::sync::Arc;

use datafusion::arrow::array::{
    ArrayRef, BooleanBuilder, Float64Builder, RecordBatch, StringBuilder, UInt64Builder,
};
use datafusion::arrow::datatypes::{Field, Schema};

use crate::cluster::{Bucket, KScore};
use crate::error::Result;
use crate::features::FeatureTable;
use crate::output::parquet::write_parquet;
use crate::profile::{Card, Persona, Trait};

/// Write one table: `arrays` in the order of `columns` (its [`schema`] definition).
fn table(path: &Path, columns: schema::Columns, arrays: Vec<ArrayRef>) -> Result<()> {
    let fields: Vec<Field> = columns
        .into_iter()
        .map(|(n, t)| Field::new(n, t, true))
        .collect();
    let schema = Arc::new(Schema::new(fields));
    // Arrow checks that the arrays match the schema's number and types of columns.
    let batch = RecordBatch::try_new(schema.clone(), arrays)?;
    write_parquet(path, schema, &[batch])?;
    Ok(())
}

fn strings<'a>(values: impl Iterator<Item = Option<&'a str>>) -> ArrayRef {
    let mut b = StringBuilder::new();
    for v in values {
        b.append_option(v);
    }
    Arc::new(b.finish())
}

fn floats(values: impl Iterator<Item = Option<f64>>) -> ArrayRef {
    let mut b = Float64Builder::new();
    for v in values {
        b.append_option(v);
    }
    Arc::new(b.finish())
}

/// `personas`: one row per persona.
pub fn write_personas(path: &Path, run_date: &str, personas: &[Persona]) -> Result<()> {
    let mut size = UInt64Builder::new();
    let mut publishable = BooleanBuilder::new();
    let mut negative = BooleanBuilder::new();
    for p in personas {
        size.append_value(p.size as u64);
        publishable.append_value(p.publishable());
        negative.append_value(p.negative);
    }
    let flags: Vec<String> = personas.iter().map(|p| p.flags.join(",")).collect();
    let reasons: Vec<String> = personas.iter().map(|p| p.flag_reasons.join("; ")).collect();
    let traits: Vec<String> = personas.iter().map(|p| p.top_traits.join("; ")).collect();
    table(
        path,
        schema::personas::columns(),
        vec![
            strings(personas.iter().map(|_| Some(run_date))),
            strings(personas.iter().map(|p| Some(p.id.as_str()))),
            strings(personas.iter().map(|p| Some(p.name.as_str()))),
            strings(personas.iter().map(|p| Some(p.bucket.as_str()))),
            Arc::new(negative.finish()),
            Arc::new(size.finish()),
            floats(personas.iter().map(|p| Some(p.share))),
            floats(personas.iter().map(|p| Some(p.share_ci.0))),
            floats(personas.iter().map(|p| Some(p.share_ci.1))),
            floats(personas.iter().map(|p| p.stability)),
            strings(flags.iter().map(|s| Some(s.as_str()))),
            strings(reasons.iter().map(|s| Some(s.as_str()))),
            Arc::new(publishable.finish()),
            strings(traits.iter().map(|s| Some(s.as_str()))),
            strings(personas.iter().map(|p| Some(p.description.as_str()))),
            card_column(personas, |c| vec![c.demographics.clone()]),
            card_column(personas, |c| c.goals.clone()),
            card_column(personas, |c| c.motivations.clone()),
            card_column(personas, |c| c.frustrations.clone()),
            card_column(personas, |c| c.online.clone()),
            card_column(personas, |c| c.offline.clone()),
            card_column(personas, |c| c.channel.clone()),
            card_column(personas, |c| c.audience.clone()),
            strings(personas.iter().map(|p| Some(p.priority.as_str()))),
            floats(personas.iter().map(|p| p.priority_score)),
            card_column(personas, |c| c.barriers.clone()),
            card_column(personas, |c| c.values.clone()),
        ],
    )
}

/// One card field of every persona, its statements joined by `; `.
fn card_column(personas: &[Persona], field: impl Fn(&Card) -> Vec<String>) -> ArrayRef {
    let values: Vec<String> = personas.iter().map(|p| field(&p.card).join("; ")).collect();
    strings(values.iter().map(|s| Some(s.as_str())))
}

/// `persona_members`: one row per contact and persona (a contact in both the buyer and the
/// user bucket has two rows).
pub fn write_members(
    path: &Path,
    run_date: &str,
    t: &FeatureTable,
    members: &[(usize, usize)],
    personas: &[Persona],
) -> Result<()> {
    let persona = |m: &(usize, usize)| &personas[m.1];
    table(
        path,
        schema::persona_members::columns(),
        vec![
            strings(members.iter().map(|_| Some(run_date))),
            strings(members.iter().map(|m| Some(t.contact_ids[m.0].as_str()))),
            strings(members.iter().map(|m| t.emails[m.0].as_deref())),
            strings(members.iter().map(|m| Some(persona(m).bucket.as_str()))),
            strings(members.iter().map(|m| Some(persona(m).id.as_str()))),
            strings(members.iter().map(|m| Some(persona(m).name.as_str()))),
        ],
    )
}

/// `persona_traits`: every feature level of every persona against the population.
pub fn write_traits(path: &Path, run_date: &str, traits: &[Trait]) -> Result<()> {
    let mut distinctive = BooleanBuilder::new();
    let mut significant = BooleanBuilder::new();
    for t in traits {
        distinctive.append_value(t.distinctive);
        significant.append_value(t.significant);
    }
    table(
        path,
        schema::persona_traits::columns(),
        vec![
            strings(traits.iter().map(|_| Some(run_date))),
            strings(traits.iter().map(|t| Some(t.persona_id.as_str()))),
            strings(traits.iter().map(|t| Some(t.feature.as_str()))),
            strings(traits.iter().map(|t| t.level.as_deref())),
            floats(traits.iter().map(|t| Some(t.persona_value))),
            floats(traits.iter().map(|t| Some(t.population_value))),
            floats(traits.iter().map(|t| t.lift)),
            floats(traits.iter().map(|t| Some(t.std_diff))),
            floats(traits.iter().map(|t| t.audience_share)),
            strings(traits.iter().map(|t| t.audience_source.as_deref())),
            floats(traits.iter().map(|t| Some(t.p_value))),
            floats(traits.iter().map(|t| Some(t.p_adjusted))),
            Arc::new(significant.finish()),
            Arc::new(distinctive.finish()),
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
    let mut k = UInt64Builder::new();
    let (mut is_chosen, mut structured) = (BooleanBuilder::new(), BooleanBuilder::new());
    for (b, s) in &rows {
        k.append_value(s.k as u64);
        is_chosen.append_value(s.k == b.model.k);
        structured.append_option(b.verdict.as_ref().map(|v| v.structured));
    }
    let weights: Vec<String> = rows
        .iter()
        .map(|(b, _)| {
            b.weights
                .iter()
                .map(|w| format!("{} ({}) {:.2}", w.criterion, w.columns.join(", "), w.weight))
                .collect::<Vec<_>>()
                .join("; ")
        })
        .collect();
    table(
        path,
        schema::model_quality::columns(),
        vec![
            strings(rows.iter().map(|_| Some(run_date))),
            strings(rows.iter().map(|r| Some(r.0.name.as_str()))),
            Arc::new(k.finish()),
            floats(rows.iter().map(|r| Some(r.1.silhouette))),
            floats(rows.iter().map(|r| Some(r.1.inertia))),
            floats(rows.iter().map(|(b, s)| gap(b, s.k).map(|g| g.log_w))),
            floats(rows.iter().map(|(b, s)| gap(b, s.k).map(|g| g.null_mean))),
            floats(rows.iter().map(|(b, s)| gap(b, s.k).map(|g| g.null_sd))),
            floats(rows.iter().map(|(b, s)| gap(b, s.k).map(|g| g.gap()))),
            floats(rows.iter().map(|(b, s)| gap(b, s.k).map(|g| g.z()))),
            Arc::new(is_chosen.finish()),
            strings(rows.iter().map(|(b, _)| Some(b.chosen_by()))),
            floats(
                rows.iter()
                    .map(|(b, _)| b.verdict.as_ref().map(|v| v.z_needed)),
            ),
            Arc::new(structured.finish()),
            strings(weights.iter().map(|w| Some(w.as_str()))),
            floats(rows.iter().map(|(b, s)| indep(b, s.k).map(|t| t.max_z()))),
            floats(rows.iter().map(|(b, s)| indep(b, s.k).map(|t| t.z_needed))),
        ],
    )
}
