//! The few rows an engine's aggregates send back to the driver (a bucket's tally, the pairs of
//! personas two runs share): the batches of a query, and their columns by name as numbers,
//! counts or text, a missing column or a count that is not one an [`Error::Profile`]; and the
//! run's persona a row names by its bucket's own index.

use datafusion::arrow::array::{Array, ArrayRef, AsArray, RecordBatch};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Float64Type};
use datafusion::prelude::SessionContext;

use crate::cluster::Bucket;
use crate::error::{Error, Result};
use crate::profile::Persona;

/// The batches of `sql`'s result.
pub(super) async fn collect(ctx: &SessionContext, sql: &str) -> Result<Vec<RecordBatch>> {
    Ok(ctx.sql(sql).await?.collect().await?)
}

/// Column `name` of `batch`.
pub(super) fn column<'b>(batch: &'b RecordBatch, name: &str) -> Result<&'b dyn Array> {
    (batch.column_by_name(name).map(|a| a.as_ref()))
        .ok_or_else(|| Error::Profile(format!("the result has no column {name}")))
}

/// Column `name` of `batch` as numbers (`None` for a null).
pub(super) fn floats(batch: &RecordBatch, name: &str) -> Result<Vec<Option<f64>>> {
    let a = cast(column(batch, name)?, &DataType::Float64)?;
    let a = a.as_primitive::<Float64Type>();
    Ok((0..a.len())
        .map(|i| a.is_valid(i).then(|| a.value(i)))
        .collect())
}

/// Column `name` of `batch` as counts or indexes (see [`count`]).
pub(super) fn counts(batch: &RecordBatch, name: &str) -> Result<Vec<usize>> {
    (floats(batch, name)?.into_iter())
        .map(|v| count(v, name))
        .collect()
}

/// Column `name` of `batch` cast to text (read it with `as_string::<i32>()`).
pub(super) fn text_column(batch: &RecordBatch, name: &str) -> Result<ArrayRef> {
    Ok(cast(column(batch, name)?, &DataType::Utf8)?)
}

/// Column `name` of `batch` as text (`None` for a null).
pub(super) fn texts(batch: &RecordBatch, name: &str) -> Result<Vec<Option<String>>> {
    let a = text_column(batch, name)?;
    Ok(a.as_string::<i32>()
        .iter()
        .map(|v| v.map(str::to_string))
        .collect())
}

/// A count or persona index from the engine: a whole number from 0.
pub(super) fn count(v: Option<f64>, what: &str) -> Result<usize> {
    match v {
        Some(v) if v >= 0.0 && v.fract() == 0.0 && v < usize::MAX as f64 => Ok(v as usize),
        other => Err(Error::Profile(format!(
            "a row's {what} is {other:?}, not a whole number from 0"
        ))),
    }
}

/// Where `bucket`'s personas start among the run's `personas` (which are bucket by bucket);
/// `None` when it has none.
pub(super) fn first_persona(bucket: &Bucket, personas: &[Persona]) -> Option<usize> {
    personas.iter().position(|p| p.bucket == bucket.name)
}

/// The run's persona (an index into `personas`) that an engine's row names by `bucket`'s own
/// index `local`, the bucket's personas starting at `offset` ([`first_persona`]); `None` past
/// the bucket's k or outside its personas.
pub(super) fn run_persona(
    bucket: &Bucket,
    offset: usize,
    local: usize,
    personas: &[Persona],
) -> Option<usize> {
    let global = offset + local;
    let ours = personas
        .get(global)
        .is_some_and(|p| p.bucket == bucket.name);
    (local < bucket.model.k && ours).then_some(global)
}
