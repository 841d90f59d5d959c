//! The `persona_members` table of a run whose buckets were counted on a cluster (a bucket
//! fitted on a sample on Ballista): those buckets' rows come from the engine, one query over
//! every such bucket's assignment SQL in contact order, streamed into the table as they come,
//! merged with the members the driver holds for the other buckets. The file has the rows and
//! the order of the embedded run's (contact order, then persona), and the driver never holds
//! the members counted on the cluster to write it.

use std::cmp::Ordering;
use std::path::Path;

use datafusion::arrow::array::{Array, AsArray};
use datafusion::prelude::SessionContext;
use futures::StreamExt;
use tracing::{debug, info};

use super::results::{count, first_persona, floats, run_persona, text_column};
use super::segments::mismatch;
use crate::cluster::Bucket;
use crate::error::{Error, Result};
use crate::features::{sql_ident, FeatureTable};
use crate::profile::Persona;
use crate::sinks::members::MemberRows;

/// The query giving every contact of `buckets` (each with the index of its first persona among
/// the run's personas) with its email and persona index among the run's personas, in the order
/// of the feature table (`character_length` then the id, as text), then persona: `contact_id`,
/// `email`, `bucket` (the index into `buckets`), `persona` (the bucket's own, 0-based).
pub fn members_sql(model: &str, buckets: &[(&Bucket, usize)]) -> String {
    let email = format!("CAST({} AS VARCHAR)", sql_ident("email"));
    let parts: Vec<String> = (buckets.iter().enumerate())
        .map(|(i, (b, offset))| {
            format!(
                "SELECT contact_id, x0 AS email, {i} AS bucket, persona, {offset} + persona AS \
                 global FROM ({})",
                b.assignment.sql_with(model, std::slice::from_ref(&email))
            )
        })
        .collect();
    format!(
        "SELECT contact_id, email, bucket, persona, global FROM ({}) \
         ORDER BY character_length(contact_id), contact_id, global",
        parts.join(" UNION ALL ")
    )
}

/// Write `persona_members` to `path`: the members of `on_cluster` by the engine of `ctx` over
/// the feature model `model`, merged in order with `members` (rows of `table`, persona index)
/// of the other buckets; returns the rows written.
///
/// # Errors
/// [`Error::Cluster`] naming the bucket when the engine's rows are not its contacts (a null id
/// or persona, a persona past its k, another count than the bucket's); engine and write errors
/// as they come. The file is written under a temporary name, renamed once complete.
pub async fn write_merged(
    ctx: &SessionContext,
    model: &str,
    path: &Path,
    run_date: &str,
    (table, members): (&FeatureTable, &[(usize, usize)]),
    on_cluster: &[&Bucket],
    personas: &[Persona],
) -> Result<u64> {
    let mut buckets = Vec::with_capacity(on_cluster.len());
    for b in on_cluster {
        let offset = first_persona(b, personas)
            .ok_or_else(|| Error::Cluster(format!("bucket {} has no personas", b.name)))?;
        buckets.push((*b, offset));
    }
    let there = |m: &(usize, usize)| on_cluster.iter().any(|b| b.name == personas[m.1].bucket);
    let mut held = members.iter().filter(|m| !there(m)).peekable();
    let sql = members_sql(model, &buckets);
    debug!(sql = %sql, "The members query.");
    let failed = |e: Error| Error::Cluster(format!("writing persona_members by SQL: {e}"));
    let df = ctx.sql(&sql).await.map_err(|e| failed(e.into()))?;
    let mut stream = df.execute_stream().await.map_err(|e| failed(e.into()))?;
    let mut out = MemberRows::create(path, run_date)?;
    let mut counted = vec![0usize; buckets.len()];
    // the last row's contact and persona: every row must come after it (the merge's order)
    let mut last: Option<(String, usize)> = None;
    while let Some(batch) = stream.next().await {
        let batch = batch.map_err(|e| failed(e.into()))?;
        let ids = text_column(&batch, "contact_id")?;
        let ids = ids.as_string::<i32>();
        let emails = text_column(&batch, "email")?;
        let emails = emails.as_string::<i32>();
        let (bucket, persona) = (floats(&batch, "bucket")?, floats(&batch, "persona")?);
        for i in 0..batch.num_rows() {
            let b = count(bucket[i], "bucket").map_err(failed)?;
            let (bucket, offset) = *buckets.get(b).ok_or_else(|| failed(bad_row(i, "bucket")))?;
            let global = (count(persona[i], "persona").ok())
                .and_then(|p| run_persona(bucket, offset, p, personas));
            let (Some(global), true) = (global, ids.is_valid(i)) else {
                return Err(mismatch(bucket, "a contact without its id or persona"));
            };
            let id = ids.value(i);
            if let Some((prev, p)) = &mut last {
                if by_contact((prev, *p), (id, global)) != Ordering::Less {
                    let why = format!("contact {id:?} out of order or twice in the engine's rows");
                    return Err(mismatch(bucket, &why));
                }
                prev.clear();
                prev.push_str(id);
                *p = global;
            } else {
                last = Some((id.to_string(), global));
            }
            // the held members that come first in contact order (then persona)
            while let Some(&&(row, p)) = held.peek() {
                let theirs = &table.contact_ids[row];
                if by_contact((theirs, p), (id, global)) != Ordering::Less {
                    break;
                }
                out.push(theirs, table.emails[row].as_deref(), &personas[p])?;
                held.next();
            }
            let email = emails.is_valid(i).then(|| emails.value(i));
            out.push(id, email, &personas[global])?;
            counted[b] += 1;
        }
    }
    for &(row, p) in held {
        out.push(
            &table.contact_ids[row],
            table.emails[row].as_deref(),
            &personas[p],
        )?;
    }
    for ((bucket, _), n) in buckets.iter().zip(counted) {
        if n != bucket.contacts {
            return Err(mismatch(bucket, &format!("its SQL gave {n} members")));
        }
        info!(bucket = %bucket.name, members = n, "Wrote the bucket's members from the engine.");
    }
    out.finish()
}

/// The order of the feature table's contacts (shorter ids first, then by text), then persona.
fn by_contact((a, pa): (&str, usize), (b, pb): (&str, usize)) -> Ordering {
    let len = |s: &str| s.chars().count();
    (len(a).cmp(&len(b)))
        .then_with(|| a.cmp(b))
        .then(pa.cmp(&pb))
}

/// A row of the engine's result whose `what` is not one of the query's.
fn bad_row(i: usize, what: &str) -> Error {
    Error::Cluster(format!("row {i} of a batch names no {what} of the query"))
}
