//! Persona continuity on a cluster: the contacts each of a bucket's personas shares with each
//! persona of the previous published run, counted by the engine (the previous run's
//! `persona_members` joined with the contacts the bucket's assignment SQL gives), every bucket
//! of a Ballista run, so that the driver receives one row per pair of personas and never reads
//! the previous run's members. [`super::continuity::track`] adds these pairs to those it
//! counts from the members it holds for any bucket not counted here.

use std::collections::BTreeSet;
use std::path::Path;

use chrono::NaiveDate;
use datafusion::arrow::array::RecordBatch;
use datafusion::prelude::{ParquetReadOptions, SessionContext};
use tracing::{debug, info};

use super::results::{collect, counts, first_persona, run_persona, texts};
use crate::cluster::assign::Assignment;
use crate::cluster::Bucket;
use crate::engine::Cluster;
use crate::error::{Error, Result};
use crate::features::sql_ident;
use crate::output::{partition, PART};
use crate::profile::identity::{index_by_id, Overlap, Snapshot};
use crate::profile::Persona;
use crate::sinks::schema::persona_members as M;

/// The table the previous run's members are registered as.
pub const PREVIOUS_MEMBERS: &str = "_previous_persona_members";

/// The pairs of personas the engine counted for some buckets.
#[derive(Debug, Clone)]
pub struct EnginePairs {
    /// The published run counted against.
    pub previous: NaiveDate,
    /// The buckets counted: every pair of their personas is in `pairs`.
    pub buckets: BTreeSet<String>,
    /// (previous persona id, this run's persona index, contacts in both); pairs with none are
    /// absent. A pair is counted whatever the previous persona's bucket.
    pub pairs: Vec<(String, usize, usize)>,
    /// Every persona id the previous run's members name.
    pub previous_ids: Vec<String>,
    /// The previous run's members file, for errors.
    pub file: String,
}

impl EnginePairs {
    /// Add the pairs counted against the run of `prev`, whose personas are `previous`, to
    /// `overlap` of this run's personas `current`: those of two personas of the same bucket.
    ///
    /// # Errors
    /// [`Error::BadInput`] naming the previous run's members file when they name a persona
    /// that run does not have; [`Error::Profile`] when they were counted against another run.
    pub fn add_to(
        &self,
        overlap: &mut Overlap,
        prev: NaiveDate,
        previous: &[Snapshot],
        current: &[Persona],
    ) -> Result<()> {
        if self.previous != prev {
            return Err(Error::Profile(format!(
                "the personas were matched by SQL with the run of {}, not {prev}",
                self.previous
            )));
        }
        let index = index_by_id(previous);
        let unknown = |id: &str| Error::BadInput {
            file: self.file.clone(),
            reason: format!("persona `{id}` is not in the run's personas"),
        };
        if let Some(id) = (self.previous_ids.iter()).find(|id| !index.contains_key(id.as_str())) {
            return Err(unknown(id));
        }
        for (id, j, n) in &self.pairs {
            let i = *index.get(id.as_str()).ok_or_else(|| unknown(id))?;
            if previous[i].bucket == current[*j].bucket {
                *overlap.pairs.entry((i, *j)).or_default() += n;
            }
        }
        Ok(())
    }
}

/// The query pairing the previous run's members (`previous`) with the contacts `assignment`
/// assigns over the feature model `model`: `previous` (persona id), `persona` (0-based, the
/// bucket's order), `contacts`.
pub fn pairs_sql(assignment: &Assignment, model: &str, previous: &str) -> String {
    let (persona, contact) = (sql_ident(M::PERSONA_ID), sql_ident(M::CONTACT_ID));
    format!(
        "SELECT CAST(m.{persona} AS VARCHAR) AS previous, a.persona AS persona, \
         COUNT(*) AS contacts FROM {} m JOIN ({}) a ON a.contact_id = m.{contact} \
         GROUP BY m.{persona}, a.persona",
        sql_ident(previous),
        assignment.sql(model)
    )
}

/// The query checking the previous run's members: per persona id (null for members without
/// one), its members and those without a contact id.
pub fn members_sql(previous: &str) -> String {
    let (persona, contact) = (sql_ident(M::PERSONA_ID), sql_ident(M::CONTACT_ID));
    format!(
        "SELECT CAST({persona} AS VARCHAR) AS persona_id, COUNT(*) AS members, \
         SUM(CASE WHEN {contact} IS NULL THEN 1 ELSE 0 END) AS no_contact \
         FROM {} GROUP BY {persona}",
        sql_ident(previous)
    )
}

/// Count, on the engine of `ctx`, the contacts each persona of `buckets` (this run's
/// `personas`, bucket by bucket) shares with each persona of the run published in `out` on
/// `previous`, over the feature model `model`. On a cluster the previous run's members are
/// copied to its work folder first.
///
/// # Errors
/// [`Error::BadInput`] naming the previous members file when a member has no persona or no
/// contact id; [`Error::Publish`] when the copy to the cluster's work folder fails;
/// [`Error::Profile`] when the members cannot be read, a query fails or names a persona past
/// its bucket's.
pub async fn count_pairs(
    ctx: &SessionContext,
    cluster: Option<&Cluster>,
    out: &Path,
    previous: NaiveDate,
    model: &str,
    buckets: &[&Bucket],
    personas: &[Persona],
) -> Result<EnginePairs> {
    let folder = out.join(partition(M::TABLE, previous));
    let file = folder.join(PART).display().to_string();
    let url = match cluster {
        Some(c) => c.copy_in(&folder, "previous/persona_members").await?,
        None => format!("{}/", folder.display()),
    };
    let failed = |what: &str, e: Error| {
        Error::Profile(format!(
            "matching personas with the run of {previous} by SQL ({what}): {e}"
        ))
    };
    let reading = format!("reading {url}");
    ctx.deregister_table(PREVIOUS_MEMBERS)
        .map_err(|e| failed(&reading, e.into()))?;
    let options = ParquetReadOptions::default();
    (ctx.register_parquet(PREVIOUS_MEMBERS, &url, options).await)
        .map_err(|e| failed(&reading, e.into()))?;
    let checked = collect(ctx, &members_sql(PREVIOUS_MEMBERS)).await;
    let checked = checked.and_then(|b| member_rows(&b));
    let previous_ids = checked.map_err(|e| failed("the previous members", e))?;
    let mut ids = Vec::with_capacity(previous_ids.len());
    for (id, members, no_contact) in previous_ids {
        let reason = match (id, no_contact) {
            (None, _) => format!("{members} members without their persona id"),
            (Some(id), n) if n > 0 => format!("{n} members of persona `{id}` without a contact id"),
            (Some(id), _) => {
                ids.push(id);
                continue;
            }
        };
        return Err(Error::BadInput { file, reason });
    }
    let mut out = EnginePairs {
        previous,
        buckets: BTreeSet::new(),
        pairs: Vec::new(),
        previous_ids: ids,
        file,
    };
    for bucket in buckets {
        let offset = first_persona(bucket, personas)
            .ok_or_else(|| Error::Profile(format!("bucket {} has no personas", bucket.name)))?;
        let sql = pairs_sql(&bucket.assignment, model, PREVIOUS_MEMBERS);
        debug!(bucket = %bucket.name, sql = %sql, "The bucket's continuity SQL.");
        let rows = collect(ctx, &sql).await.and_then(|b| pair_rows(&b));
        let what = format!("bucket {}", bucket.name);
        for (id, persona, contacts) in rows.map_err(|e| failed(&what, e))? {
            let Some(global) = run_persona(bucket, offset, persona, personas) else {
                let why = format!("persona {persona} of a bucket of {}", bucket.model.k);
                return Err(failed(&what, Error::Profile(why)));
            };
            out.pairs.push((id, global, contacts));
        }
        out.buckets.insert(bucket.name.clone());
        info!(bucket = %bucket.name, "Matched the bucket's personas with the previous run's by SQL.");
    }
    ctx.deregister_table(PREVIOUS_MEMBERS)?;
    Ok(out)
}

/// The members query's rows: (persona id, members, members without a contact id).
fn member_rows(batches: &[RecordBatch]) -> Result<Vec<(Option<String>, usize, usize)>> {
    let mut rows = Vec::new();
    for b in batches {
        let (ids, members) = (texts(b, "persona_id")?, counts(b, "members")?);
        let no_contact = counts(b, "no_contact")?;
        rows.extend(
            ids.into_iter()
                .zip(members)
                .zip(no_contact)
                .map(|((i, m), n)| (i, m, n)),
        );
    }
    Ok(rows)
}

/// The pairs query's rows: (previous persona id, persona, contacts).
fn pair_rows(batches: &[RecordBatch]) -> Result<Vec<(String, usize, usize)>> {
    let mut rows = Vec::new();
    for b in batches {
        let (ids, persona) = (texts(b, "previous")?, counts(b, "persona")?);
        let contacts = counts(b, "contacts")?;
        for ((id, p), n) in ids.into_iter().zip(persona).zip(contacts) {
            let id = id.ok_or_else(|| Error::Profile("a pair without its persona id".into()))?;
            rows.push((id, p, n));
        }
    }
    Ok(rows)
}
