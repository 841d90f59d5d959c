//! Each bucket's tally for the profile: counted from the feature table's rows where the driver
//! holds the bucket's contacts, or by the engine's SQL aggregates over the contacts the
//! bucket's SQL assigns ([`TallySql`]) where they are counted on a cluster (a bucket fitted on
//! a sample on Ballista): the driver then receives a few rows per persona.

use datafusion::arrow::array::RecordBatch;
use datafusion::prelude::SessionContext;
use tracing::{debug, info};

use super::results::{collect, count, floats, texts};
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
/// [`Error::Profile`], naming the bucket and the query, when a query fails or its rows do not
/// make the bucket's tally (a persona past its k, a persona twice, other contacts than the
/// bucket's, a column's levels not adding up to its personas).
pub async fn tally_by_sql(
    ctx: &SessionContext,
    model: &str,
    table: &FeatureTable,
    bucket: &Bucket,
    cfg: &ProfileConfig,
) -> Result<Tally> {
    let sql = TallySql::new(&bucket.assignment, model, table, cfg);
    let failed = |query: &str, why: String| {
        Error::Profile(format!(
            "counting the personas of bucket {} by SQL ({query} query): {why}",
            bucket.name
        ))
    };
    debug!(bucket = %bucket.name, moments = %sql.moments, levels = %sql.levels, "The bucket's tally SQL.");
    let moments = collect(ctx, &sql.moments).await;
    let moments = moments.and_then(|b| persona_rows(&b, table.numeric.len()));
    let moments = moments.map_err(|e| failed("moments", e.to_string()))?;
    let levels = collect(ctx, &sql.levels).await.and_then(|b| level_rows(&b));
    let levels = levels.map_err(|e| failed("levels", e.to_string()))?;
    let tally = sql.tally(bucket.model.k, &moments, &levels);
    let tally = tally.map_err(|why| failed("moments and levels", why))?;
    if tally.contacts() != bucket.contacts {
        let why = format!(
            "the SQL counted {} contacts, the bucket has {}",
            tally.contacts(),
            bucket.contacts
        );
        return Err(failed("moments", why));
    }
    Ok(tally)
}

/// The moments query's rows.
fn persona_rows(batches: &[RecordBatch], numeric: usize) -> Result<Vec<PersonaRow>> {
    let mut rows = Vec::new();
    for batch in batches {
        let f = |name: &str| -> Result<Vec<Option<f64>>> { floats(batch, name) };
        let (persona, contacts) = (f("persona")?, f("contacts")?);
        let optional = |name: &str| match batch.schema().index_of(name) {
            Ok(_) => f(name).map(Some),
            Err(_) => Ok(None),
        };
        let (negative, held) = (optional("negative")?, optional("held")?);
        let numeric: Vec<[Vec<Option<f64>>; 5]> = (0..numeric)
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
            rows.push(PersonaRow {
                persona: count(persona[r], "persona")?,
                contacts: count(contacts[r], "contacts")?,
                negative: negative
                    .as_ref()
                    .map(|n| count(n[r], "negative"))
                    .transpose()?,
                held: held.as_ref().and_then(|h| h[r]),
                numeric: (numeric.iter())
                    .map(|c| [c[0][r], c[1][r], c[2][r], c[3][r], c[4][r]])
                    .collect(),
            });
        }
    }
    Ok(rows)
}

/// The levels query's rows: (persona, key, contacts).
fn level_rows(batches: &[RecordBatch]) -> Result<Vec<(usize, String, usize)>> {
    let mut rows = Vec::new();
    for batch in batches {
        let persona = floats(batch, "persona")?;
        let contacts = floats(batch, "contacts")?;
        let keys = texts(batch, "key")?;
        for (r, key) in keys.into_iter().enumerate() {
            let key = key.ok_or_else(|| Error::Profile("a level row has no key".into()))?;
            let (p, n) = (
                count(persona[r], "persona")?,
                count(contacts[r], "contacts")?,
            );
            rows.push((p, key, n));
        }
    }
    Ok(rows)
}
