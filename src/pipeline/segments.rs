//! The segmentation stage's two ends: the criteria in force before it, and after it every
//! contact of a bucket fitted on a sample (`cluster.fit_contacts`) assigned to the bucket's
//! personas by the SQL its model generates, run by the engine over the feature model (on a
//! cluster, by the executors; the driver receives two columns per contact).

use std::collections::HashMap;

use datafusion::arrow::array::{Array, AsArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Int64Type};
use datafusion::prelude::SessionContext;
use futures::StreamExt;
use tracing::info;

use crate::cluster::Bucket;
use crate::config::{Criterion, FeaturesConfig, PipelineConfig};
use crate::error::{Error, Result};
use crate::features::{self, FeatureTable, Suggestion};

/// The criteria in force: the configured (or the framework's) ones, or with `criteria =
/// "auto"` the ones proposed from the loaded features (the buckets' column left out), with the
/// evidence.
pub(super) fn resolve_criteria(
    table: &FeatureTable,
    cfg: &PipelineConfig,
    features_cfg: &FeaturesConfig,
) -> Result<(Vec<Criterion>, Option<Suggestion>)> {
    if !features_cfg.is_auto() {
        return Ok((features_cfg.criteria(), None));
    }
    let exclude: Vec<String> = cfg
        .cluster
        .buckets
        .iter()
        .map(|b| b.column.clone())
        .collect();
    let suggestion = features::suggest(table, features_cfg, &exclude, cfg.cluster.seed)?;
    let names: Vec<&str> = suggestion.criteria.iter().map(|c| c.name()).collect();
    info!(criteria = ?names, "Criteria proposed from the data (criteria = \"auto\").");
    Ok((suggestion.criteria.clone(), Some(suggestion)))
}

/// Every contact of each bucket fitted on a sample, with its persona by the bucket's SQL over
/// the table `model` of `ctx` (the feature model's rows): the bucket's `rows` and labels
/// become all of its contacts'.
///
/// # Errors
/// [`Error::Cluster`] when the SQL's contacts are not the bucket's (an id the feature table
/// lacks, or a different count); engine errors as they come.
pub(super) async fn assign_everyone(
    ctx: &SessionContext,
    model: &str,
    table: &FeatureTable,
    buckets: &mut [Bucket],
) -> Result<()> {
    let sampled = |b: &Bucket| b.rows.len() < b.contacts;
    if !buckets.iter().any(sampled) {
        return Ok(());
    }
    let row_of: HashMap<&str, usize> = (table.contact_ids.iter().enumerate())
        .map(|(r, id)| (id.as_str(), r))
        .collect();
    for bucket in buckets.iter_mut().filter(|b| sampled(b)) {
        let sql = bucket.assignment.sql(model);
        let mut stream = ctx.sql(&sql).await?.execute_stream().await?;
        let mut assigned: Vec<(usize, usize)> = Vec::with_capacity(bucket.contacts);
        while let Some(batch) = stream.next().await {
            let batch = batch?;
            let ids = cast(batch.column(0), &DataType::Utf8)?;
            let ids = ids.as_string::<i32>();
            let personas = cast(batch.column(1), &DataType::Int64)?;
            let personas = personas.as_primitive::<Int64Type>();
            for i in 0..batch.num_rows() {
                let id = ids.value(i);
                let row = row_of.get(id).copied().filter(|_| ids.is_valid(i));
                let persona = (personas.is_valid(i)).then(|| personas.value(i));
                let (Some(row), Some(persona)) = (row, persona) else {
                    return Err(mismatch(
                        bucket,
                        &format!("contact {id:?} has no persona or no feature row"),
                    ));
                };
                assigned.push((row, persona as usize));
            }
        }
        if assigned.len() != bucket.contacts {
            let found = format!("its SQL assigned {} contacts", assigned.len());
            return Err(mismatch(bucket, &found));
        }
        assigned.sort_unstable();
        (bucket.rows, bucket.model.labels) = assigned.into_iter().unzip();
        info!(bucket = %bucket.name, contacts = bucket.contacts, "Assigned every contact of the bucket by its model's SQL.");
    }
    Ok(())
}

/// The error of a bucket whose SQL disagrees with the split.
fn mismatch(bucket: &Bucket, what: &str) -> Error {
    Error::Cluster(format!(
        "bucket {}: {what}, but it has {} contacts (a bug: please report it with the pipeline config)",
        bucket.name, bucket.contacts
    ))
}
