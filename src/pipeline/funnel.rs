//! The purchase funnel of the personas counted on a cluster (a bucket fitted on a sample on
//! Ballista): each persona's [`FunnelCounts`] by one SQL aggregate over the contacts the
//! bucket's assignment SQL gives, joined with the funnel model (`int_contact_funnel`), a row
//! per persona for the driver; [`super::tables::load_funnel`] counts the other buckets'
//! personas from the members it holds.

use datafusion::arrow::array::RecordBatch;
use datafusion::prelude::SessionContext;
use tracing::{debug, info};

use super::results::{collect, counts, first_persona, run_persona};
use crate::cluster::assign::Assignment;
use crate::cluster::Bucket;
use crate::error::{Error, Result};
use crate::features::sql_ident;
use crate::profile::funnel::{FunnelCounts, STEPS};
use crate::profile::Persona;

/// The funnel model's flags of the steps, in the order of [`STEPS`].
pub(super) const FLAGS: [&str; STEPS.len()] = [
    "visited",
    "viewed_product",
    "added_to_cart",
    "began_checkout",
    "purchased",
];

/// The query counting the funnel of each persona `assignment` assigns over the feature model
/// `model`, from the funnel model `funnel`: `persona` (0-based), `size`, `reached_1` to
/// `reached_5` (contacts whose last step taken is at least that step: a contact took every
/// step before its last, as [`crate::profile::funnel::ContactFunnel::depth`] counts), `buyers`
/// and `repeat`. A contact the funnel model lacks took no step.
pub fn funnel_sql(assignment: &Assignment, model: &str, funnel: &str) -> String {
    // TRY_CAST: a value that is not a boolean is a step not taken, as the driver's cast reads it
    let flag = |f: &str| format!("TRY_CAST({} AS BOOLEAN)", sql_ident(f));
    let depth: String = (FLAGS.iter().enumerate().rev())
        .map(|(i, f)| format!(" WHEN {} THEN {}", flag(f), i + 1))
        .collect();
    let kind = sql_ident("buyer_type");
    let reached: String = (1..=STEPS.len())
        .map(|i| format!(", SUM(CASE WHEN f.depth >= {i} THEN 1 ELSE 0 END) AS reached_{i}"))
        .collect();
    format!(
        "SELECT a.persona AS persona, COUNT(*) AS size{reached}, \
         SUM(CASE WHEN f.buyer THEN 1 ELSE 0 END) AS buyers, \
         SUM(CASE WHEN f.repeat THEN 1 ELSE 0 END) AS repeat \
         FROM ({}) a LEFT JOIN (SELECT CAST({id} AS VARCHAR) AS contact_id, \
         CASE{depth} ELSE 0 END AS depth, \
         COALESCE(CAST({kind} AS VARCHAR) <> 'none', false) AS buyer, \
         COALESCE(CAST({kind} AS VARCHAR) IN ('repeat', 'frequent'), false) AS repeat \
         FROM {} WHERE {id} IS NOT NULL) f ON f.contact_id = a.contact_id \
         GROUP BY a.persona",
        assignment.sql(model),
        sql_ident(funnel),
        id = sql_ident("contact_id"),
    )
}

/// Each persona of `buckets` (the run's `personas`, bucket by bucket) with its funnel counts,
/// by the engine of `ctx` over the feature model `model` and the funnel model `funnel`: (index
/// into `personas`, counts).
///
/// # Errors
/// [`Error::Profile`] naming the bucket when a query fails, or its rows are not the bucket's
/// personas (a persona past its k, or counted with other contacts than its own: a contact
/// the funnel model has twice).
pub async fn count_funnels(
    ctx: &SessionContext,
    model: &str,
    funnel: &str,
    buckets: &[&Bucket],
    personas: &[Persona],
) -> Result<Vec<(usize, FunnelCounts)>> {
    let mut out = Vec::new();
    for bucket in buckets {
        let failed = |why: String| {
            Error::Profile(format!(
                "counting the funnel of bucket {} by SQL: {why}",
                bucket.name
            ))
        };
        let offset = first_persona(bucket, personas)
            .ok_or_else(|| failed("the bucket has no personas".into()))?;
        let sql = funnel_sql(&bucket.assignment, model, funnel);
        debug!(bucket = %bucket.name, sql = %sql, "The bucket's funnel SQL.");
        let batches = collect(ctx, &sql)
            .await
            .map_err(|e| failed(e.to_string()))?;
        let mut seen = 0;
        for (persona, counts) in funnel_rows(&batches).map_err(|e| failed(e.to_string()))? {
            let Some(global) = run_persona(bucket, offset, persona, personas) else {
                return Err(failed(format!(
                    "persona {persona} of a bucket of {}",
                    bucket.model.k
                )));
            };
            let p = &personas[global];
            if counts.size != p.size {
                return Err(failed(format!(
                    "{} counted {} contacts of persona {}, which has {} (a contact in more \
                     than one row of {funnel}?)",
                    funnel, counts.size, p.id, p.size
                )));
            }
            out.push((global, counts));
            seen += 1;
        }
        // a persona left without contacts (ties in the assignment) has no row (one that had
        // would have failed the size check above): zero counts
        let empty: Vec<(usize, FunnelCounts)> = (personas.iter().enumerate())
            .filter(|(_, p)| p.bucket == bucket.name && p.size == 0)
            .map(|(g, _)| (g, FunnelCounts::default()))
            .collect();
        seen += empty.len();
        out.extend(empty);
        let k = personas.iter().filter(|p| p.bucket == bucket.name).count();
        if seen != k {
            return Err(failed(format!("{seen} personas counted of {k}")));
        }
        info!(bucket = %bucket.name, "Counted the bucket's funnel by SQL.");
    }
    Ok(out)
}

/// The funnel query's rows: (persona, counts).
fn funnel_rows(batches: &[RecordBatch]) -> Result<Vec<(usize, FunnelCounts)>> {
    let mut rows = Vec::new();
    for b in batches {
        let reached: Vec<Vec<usize>> = (1..=STEPS.len())
            .map(|i| counts(b, &format!("reached_{i}")))
            .collect::<Result<_>>()?;
        let (persona, size) = (counts(b, "persona")?, counts(b, "size")?);
        let (buyers, repeat) = (counts(b, "buyers")?, counts(b, "repeat")?);
        for i in 0..b.num_rows() {
            let counts = FunnelCounts {
                size: size[i],
                reached: std::array::from_fn(|s| reached[s][i]),
                buyers: buyers[i],
                repeat: repeat[i],
            };
            rows.push((persona[i], counts));
        }
    }
    Ok(rows)
}
