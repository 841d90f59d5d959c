//! Sinks: the run's outputs. Persona tables as Parquet (`personas`, `persona_members`,
//! `persona_traits`, `model_quality`) here, and the CRM import files in [`crm`], each written
//! into the run's staging folder; the pipeline publishes them.

pub mod crm;
pub mod manifest;
pub mod report;

use std::path::Path;
use std::sync::Arc;

use datafusion::arrow::array::{
    ArrayRef, BooleanBuilder, Float64Builder, RecordBatch, StringBuilder, UInt64Builder,
};
use datafusion::arrow::datatypes::{DataType, Field, Schema};

use crate::cluster::{Bucket, KScore};
use crate::error::Result;
use crate::features::FeatureTable;
use crate::output::parquet::write_parquet;
use crate::profile::{Card, Persona, Trait};

fn table(path: &Path, columns: Vec<(&str, DataType, ArrayRef)>) -> Result<()> {
    let fields: Vec<Field> = columns
        .iter()
        .map(|(n, t, _)| Field::new(*n, t.clone(), true))
        .collect();
    let schema = Arc::new(Schema::new(fields));
    let batch = RecordBatch::try_new(
        schema.clone(),
        columns.into_iter().map(|(_, _, a)| a).collect(),
    )?;
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
        vec![
            (
                "run_date",
                DataType::Utf8,
                strings(personas.iter().map(|_| Some(run_date))),
            ),
            (
                "persona_id",
                DataType::Utf8,
                strings(personas.iter().map(|p| Some(p.id.as_str()))),
            ),
            (
                "persona_name",
                DataType::Utf8,
                strings(personas.iter().map(|p| Some(p.name.as_str()))),
            ),
            (
                "bucket",
                DataType::Utf8,
                strings(personas.iter().map(|p| Some(p.bucket.as_str()))),
            ),
            ("negative", DataType::Boolean, Arc::new(negative.finish())),
            ("size", DataType::UInt64, Arc::new(size.finish())),
            (
                "share",
                DataType::Float64,
                floats(personas.iter().map(|p| Some(p.share))),
            ),
            (
                "share_ci_low",
                DataType::Float64,
                floats(personas.iter().map(|p| Some(p.share_ci.0))),
            ),
            (
                "share_ci_high",
                DataType::Float64,
                floats(personas.iter().map(|p| Some(p.share_ci.1))),
            ),
            (
                "stability",
                DataType::Float64,
                floats(personas.iter().map(|p| p.stability)),
            ),
            (
                "flags",
                DataType::Utf8,
                strings(flags.iter().map(|s| Some(s.as_str()))),
            ),
            (
                "flag_reasons",
                DataType::Utf8,
                strings(reasons.iter().map(|s| Some(s.as_str()))),
            ),
            (
                "publishable",
                DataType::Boolean,
                Arc::new(publishable.finish()),
            ),
            (
                "top_traits",
                DataType::Utf8,
                strings(traits.iter().map(|s| Some(s.as_str()))),
            ),
            (
                "description",
                DataType::Utf8,
                strings(personas.iter().map(|p| Some(p.description.as_str()))),
            ),
            card_column(personas, "demographics", |c| vec![c.demographics.clone()]),
            card_column(personas, "goals", |c| c.goals.clone()),
            card_column(personas, "motivations", |c| c.motivations.clone()),
            card_column(personas, "frustrations", |c| c.frustrations.clone()),
            card_column(personas, "online_behaviour", |c| c.online.clone()),
            card_column(personas, "offline_behaviour", |c| c.offline.clone()),
            card_column(personas, "preferred_channel", |c| c.channel.clone()),
            card_column(personas, "vs_social_audience", |c| c.audience.clone()),
        ],
    )
}

/// One card field of every persona, its statements joined by `; `.
fn card_column<'a>(
    personas: &[Persona],
    name: &'a str,
    field: impl Fn(&Card) -> Vec<String>,
) -> (&'a str, DataType, ArrayRef) {
    let values: Vec<String> = personas.iter().map(|p| field(&p.card).join("; ")).collect();
    (
        name,
        DataType::Utf8,
        strings(values.iter().map(|s| Some(s.as_str()))),
    )
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
        vec![
            (
                "run_date",
                DataType::Utf8,
                strings(members.iter().map(|_| Some(run_date))),
            ),
            (
                "contact_id",
                DataType::Utf8,
                strings(members.iter().map(|m| Some(t.contact_ids[m.0].as_str()))),
            ),
            (
                "email",
                DataType::Utf8,
                strings(members.iter().map(|m| t.emails[m.0].as_deref())),
            ),
            (
                "bucket",
                DataType::Utf8,
                strings(members.iter().map(|m| Some(persona(m).bucket.as_str()))),
            ),
            (
                "persona_id",
                DataType::Utf8,
                strings(members.iter().map(|m| Some(persona(m).id.as_str()))),
            ),
            (
                "persona_name",
                DataType::Utf8,
                strings(members.iter().map(|m| Some(persona(m).name.as_str()))),
            ),
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
        vec![
            (
                "run_date",
                DataType::Utf8,
                strings(traits.iter().map(|_| Some(run_date))),
            ),
            (
                "persona_id",
                DataType::Utf8,
                strings(traits.iter().map(|t| Some(t.persona_id.as_str()))),
            ),
            (
                "feature",
                DataType::Utf8,
                strings(traits.iter().map(|t| Some(t.feature.as_str()))),
            ),
            (
                "level",
                DataType::Utf8,
                strings(traits.iter().map(|t| t.level.as_deref())),
            ),
            (
                "persona_value",
                DataType::Float64,
                floats(traits.iter().map(|t| Some(t.persona_value))),
            ),
            (
                "population_value",
                DataType::Float64,
                floats(traits.iter().map(|t| Some(t.population_value))),
            ),
            (
                "lift",
                DataType::Float64,
                floats(traits.iter().map(|t| t.lift)),
            ),
            (
                "std_diff",
                DataType::Float64,
                floats(traits.iter().map(|t| Some(t.std_diff))),
            ),
            (
                "audience_share",
                DataType::Float64,
                floats(traits.iter().map(|t| t.audience_share)),
            ),
            (
                "audience_source",
                DataType::Utf8,
                strings(traits.iter().map(|t| t.audience_source.as_deref())),
            ),
            (
                "p_value",
                DataType::Float64,
                floats(traits.iter().map(|t| Some(t.p_value))),
            ),
            (
                "p_adjusted",
                DataType::Float64,
                floats(traits.iter().map(|t| Some(t.p_adjusted))),
            ),
            (
                "significant",
                DataType::Boolean,
                Arc::new(significant.finish()),
            ),
            (
                "distinctive",
                DataType::Boolean,
                Arc::new(distinctive.finish()),
            ),
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
        vec![
            (
                "run_date",
                DataType::Utf8,
                strings(rows.iter().map(|_| Some(run_date))),
            ),
            (
                "bucket",
                DataType::Utf8,
                strings(rows.iter().map(|r| Some(r.0.name.as_str()))),
            ),
            ("k", DataType::UInt64, Arc::new(k.finish())),
            (
                "silhouette",
                DataType::Float64,
                floats(rows.iter().map(|r| Some(r.1.silhouette))),
            ),
            (
                "inertia",
                DataType::Float64,
                floats(rows.iter().map(|r| Some(r.1.inertia))),
            ),
            (
                "log_dispersion",
                DataType::Float64,
                floats(rows.iter().map(|(b, s)| gap(b, s.k).map(|g| g.log_w))),
            ),
            (
                "null_log_dispersion_mean",
                DataType::Float64,
                floats(rows.iter().map(|(b, s)| gap(b, s.k).map(|g| g.null_mean))),
            ),
            (
                "null_log_dispersion_sd",
                DataType::Float64,
                floats(rows.iter().map(|(b, s)| gap(b, s.k).map(|g| g.null_sd))),
            ),
            (
                "gap",
                DataType::Float64,
                floats(rows.iter().map(|(b, s)| gap(b, s.k).map(|g| g.gap()))),
            ),
            (
                "gap_z",
                DataType::Float64,
                floats(rows.iter().map(|(b, s)| gap(b, s.k).map(|g| g.z()))),
            ),
            ("chosen", DataType::Boolean, Arc::new(is_chosen.finish())),
            (
                "chosen_by",
                DataType::Utf8,
                strings(rows.iter().map(|(b, _)| Some(b.k_choice.as_str()))),
            ),
            (
                "z_needed",
                DataType::Float64,
                floats(
                    rows.iter()
                        .map(|(b, _)| b.verdict.as_ref().map(|v| v.z_needed)),
                ),
            ),
            (
                "structured",
                DataType::Boolean,
                Arc::new(structured.finish()),
            ),
            (
                "criteria_weights",
                DataType::Utf8,
                strings(weights.iter().map(|w| Some(w.as_str()))),
            ),
        ],
    )
}
