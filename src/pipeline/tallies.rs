//! Each bucket's tally for the profile: counted from the feature table's rows where the driver
//! holds the bucket's contacts, or by the engine's SQL aggregates over the contacts the
//! bucket's SQL assigns ([`TallySql`]) where they are counted on a cluster (a bucket fitted on
//! a sample on Ballista): the driver then receives a few rows per persona.

use datafusion::arrow::array::{Array, AsArray, RecordBatch};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Float64Type};
use datafusion::prelude::SessionContext;
use tracing::info;

use crate::cluster::Bucket;
use crate::config::ProfileConfig;
use crate::error::{Error, Result};
use crate::features::FeatureTable;
use crate::profile::tally::sql::{PersonaRow, TallySql};
use crate::profile::Tally;

/// Every bucket's tally: by SQL over the table `model` of `ctx` for the buckets `by_sql` picks,
/// from the rows of `table` for the others.
pub(super) async fn tallies(
    ctx: &SessionContext,
    model: &str,
    table: &FeatureTable,
    buckets: &[Bucket],
    cfg: &ProfileConfig,
    by_sql: impl Fn(&Bucket) -> bool,
) -> Result<Vec<Tally>> {
    let mut out = Vec::with_capacity(buckets.len());
    for b in buckets {
        if by_sql(b) {
            out.push(tally_by_sql(ctx, model, table, b, cfg).await?);
            info!(bucket = %b.name, contacts = b.contacts, "Counted the bucket's personas by SQL.");
        } else {
            let (rows, labels) = (&b.rows, &b.model.labels);
            out.push(Tally::of_rows(table, rows, labels, b.model.k, cfg));
        }
    }
    Ok(out)
}

/// One bucket's tally by the engine.
///
/// # Errors
/// [`Error::Cluster`] when the engine's rows do not make the bucket's tally (another persona
/// count, or other contacts than the bucket's); engine errors as they come.
pub async fn tally_by_sql(
    ctx: &SessionContext,
    model: &str,
    table: &FeatureTable,
    bucket: &Bucket,
    cfg: &ProfileConfig,
) -> Result<Tally> {
    let sql = TallySql::new(&bucket.assignment, model, table, cfg);
    let in_bucket = |e: Error| {
        Error::Cluster(format!(
            "counting the personas of bucket {}: {e}",
            bucket.name
        ))
    };
    let moments = collect(ctx, &sql.moments).await.map_err(in_bucket)?;
    let levels = collect(ctx, &sql.levels).await.map_err(in_bucket)?;
    let mut persona_rows = Vec::new();
    for batch in &moments {
        let f = |name: &str| -> Result<Vec<Option<f64>>> { floats(batch, name) };
        let (persona, contacts) = (f("persona")?, f("contacts")?);
        let optional = |name: &str| match batch.schema().index_of(name) {
            Ok(_) => f(name).map(Some),
            Err(_) => Ok(None),
        };
        let (negative, held) = (optional("negative")?, optional("held")?);
        let numeric: Vec<[Vec<Option<f64>>; 5]> = (0..table.numeric.len())
            .map(|i| {
                Ok([
                    f(&format!("n{i}"))?,
                    f(&format!("s{i}"))?,
                    f(&format!("q{i}"))?,
                    f(&format!("m{i}"))?,
                    f(&format!("v{i}"))?,
                ])
            })
            .collect::<Result<_>>()?;
        for r in 0..batch.num_rows() {
            persona_rows.push(PersonaRow {
                persona: persona[r].unwrap_or(f64::NAN) as usize,
                contacts: contacts[r].unwrap_or(0.0) as usize,
                negative: negative.as_ref().map(|n| n[r].unwrap_or(0.0) as usize),
                held: held.as_ref().and_then(|h| h[r]),
                numeric: numeric
                    .iter()
                    .map(|c| [c[0][r], c[1][r], c[2][r], c[3][r], c[4][r]])
                    .collect(),
            });
        }
    }
    let mut level_rows = Vec::new();
    for batch in &levels {
        let persona = floats(batch, "persona")?;
        let contacts = floats(batch, "contacts")?;
        let keys = cast(column(batch, "key")?, &DataType::Utf8)?;
        let keys = keys.as_string::<i32>();
        for r in 0..batch.num_rows() {
            level_rows.push((
                persona[r].unwrap_or(f64::NAN) as usize,
                keys.value(r).to_string(),
                contacts[r].unwrap_or(0.0) as usize,
            ));
        }
    }
    let tally = sql.tally(bucket.model.k, &persona_rows, &level_rows);
    match tally {
        Some(t) if t.contacts() == bucket.contacts => Ok(t),
        Some(t) => Err(in_bucket(Error::Cluster(format!(
            "the SQL counted {} contacts, the bucket has {}",
            t.contacts(),
            bucket.contacts
        )))),
        None => Err(in_bucket(Error::Cluster(
            "the SQL's rows name a persona or a column the bucket does not have".into(),
        ))),
    }
}

/// The batches of `sql`'s result.
async fn collect(ctx: &SessionContext, sql: &str) -> Result<Vec<RecordBatch>> {
    Ok(ctx.sql(sql).await?.collect().await?)
}

/// Column `name` of `batch`.
fn column<'b>(batch: &'b RecordBatch, name: &str) -> Result<&'b dyn Array> {
    (batch.column_by_name(name).map(|a| a.as_ref()))
        .ok_or_else(|| Error::Cluster(format!("the tally's result has no column {name}")))
}

/// Column `name` of `batch` as numbers (`None` for a null).
fn floats(batch: &RecordBatch, name: &str) -> Result<Vec<Option<f64>>> {
    let a = cast(column(batch, name)?, &DataType::Float64)?;
    let a = a.as_primitive::<Float64Type>();
    Ok((0..a.len())
        .map(|i| a.is_valid(i).then(|| a.value(i)))
        .collect())
}
