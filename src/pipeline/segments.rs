//! The segmentation stage's two ends: the criteria in force before it, and after it every
//! contact of a bucket fitted on a sample (`cluster.fit_contacts`) assigned to the bucket's
//! personas by the SQL its model generates, run by the engine over the feature model (on a
//! cluster, by the executors; the driver receives two columns per contact).

use datafusion::arrow::array::{Array, AsArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Int64Type};
use datafusion::prelude::SessionContext;
use futures::StreamExt;
use tracing::{debug, info, warn};

use crate::cluster::Bucket;
use crate::config::{Criterion, FeaturesConfig, PipelineConfig};
use crate::error::{Error, Result};
use crate::features::{self, ContactIndex, FeatureTable, Suggestion};

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
    let index = table.index();
    for bucket in buckets.iter_mut().filter(|b| sampled(b)) {
        let assigned = assign_bucket(ctx, model, (table, &index), bucket).await?;
        (bucket.rows, bucket.model.labels) = assigned.into_iter().unzip();
        info!(bucket = %bucket.name, contacts = bucket.contacts, "Assigned every contact of the bucket by its model's SQL.");
    }
    Ok(())
}

/// Each of `bucket`'s contacts (feature-table row) and its persona by the bucket's SQL, in row
/// order; checked: every contact once and `bucket.contacts` of them (a fitted contact whose
/// persona is not the fit's, from a tie, is logged).
async fn assign_bucket(
    ctx: &SessionContext,
    model: &str,
    (table, index): (&FeatureTable, &ContactIndex<'_>),
    bucket: &Bucket,
) -> Result<Vec<(usize, usize)>> {
    let sql = bucket.assignment.sql(model);
    debug!(bucket = %bucket.name, sql = %sql, "The bucket's assignment SQL.");
    let in_bucket = |e: crate::error::Error| {
        Error::Cluster(format!(
            "assigning the contacts of bucket {}: {e}",
            bucket.name
        ))
    };
    let df = ctx.sql(&sql).await.map_err(|e| in_bucket(e.into()))?;
    let mut stream = df.execute_stream().await.map_err(|e| in_bucket(e.into()))?;
    let mut assigned: Vec<(usize, usize)> = Vec::with_capacity(bucket.contacts);
    while let Some(batch) = stream.next().await {
        let batch = batch.map_err(|e| in_bucket(e.into()))?;
        let ids = cast(batch.column(0), &DataType::Utf8)?;
        let ids = ids.as_string::<i32>();
        let personas = cast(batch.column(1), &DataType::Int64)?;
        let personas = personas.as_primitive::<Int64Type>();
        for i in 0..batch.num_rows() {
            let id = ids.value(i);
            let row = index.row(id).filter(|_| ids.is_valid(i));
            let persona = (personas.is_valid(i)).then(|| personas.value(i));
            let (Some(row), Some(persona)) = (row, persona) else {
                let why = format!("contact {id:?} has no persona or no feature row");
                return Err(mismatch(bucket, &why));
            };
            assigned.push((row, persona as usize));
        }
    }
    assigned.sort_unstable();
    if let Some(w) = assigned.windows(2).find(|w| w[0].0 == w[1].0) {
        let id = &table.contact_ids[w[0].0];
        return Err(mismatch(
            bucket,
            &format!("contact {id:?} was assigned twice"),
        ));
    }
    if assigned.len() != bucket.contacts {
        let found = format!("its SQL assigned {} contacts", assigned.len());
        return Err(mismatch(bucket, &found));
    }
    // the fitted contacts keep the fit's persona (the SQL is the fit's arithmetic), but for
    // exact ties between two personas, which the fit and the SQL may break differently
    let differ = (bucket.rows.iter().zip(&bucket.model.labels))
        .filter(|(r, l)| {
            let at = assigned.binary_search_by_key(*r, |a| a.0);
            at.map_or(true, |at| assigned[at].1 != **l)
        })
        .count();
    if differ > 0 {
        warn!(bucket = %bucket.name, contacts = differ, fitted = bucket.rows.len(), "Fitted contacts whose persona by the bucket's SQL is not the fit's (ties between personas); every contact keeps the SQL's.");
    }
    Ok(assigned)
}

/// The error of a bucket whose SQL disagrees with the split (its contacts, or their
/// members).
pub(super) fn mismatch(bucket: &Bucket, what: &str) -> Error {
    Error::Cluster(format!(
        "bucket {}: {what}, but it has {} contacts (the bucket's SQL and the in-memory split \
         or fit disagree: please report it with the pipeline config and this run's log)",
        bucket.name, bucket.contacts
    ))
}
