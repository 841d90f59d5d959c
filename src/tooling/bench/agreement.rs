//! How far a cluster run's personas agree with the embedded run's on the same data: the
//! adjusted Rand index of every contact's persona in the two runs' published `persona_members`
//! (1: the same partition of the contacts, whatever the personas are called).

use std::collections::HashMap;
use std::path::Path;

use chrono::NaiveDate;

use crate::cluster::adjusted_rand_index;
use crate::error::{Error, Result};
use crate::output::parquet::ParquetTable;
use crate::output::{partition, PART};
use crate::sinks::schema::persona_members::{BUCKET, CONTACT_ID, PERSONA_ID, TABLE};

/// Each contact's persona in each of its buckets (`<contact id>\t<bucket>`), in the output
/// folder `out` on `date`.
fn members(out: &Path, date: NaiveDate) -> Result<HashMap<String, String>> {
    let path = out.join(partition(TABLE, date)).join(PART);
    let table = ParquetTable::read(&path)?;
    let ids = table.required(CONTACT_ID)?;
    let buckets = table.required(BUCKET)?;
    let personas = table.required(PERSONA_ID)?;
    let keys = ids
        .into_iter()
        .zip(buckets)
        .map(|(id, b)| format!("{id}\t{b}"));
    Ok(keys.zip(personas).collect())
}

/// The ARI between the personas of the runs published in `a` and `b` on `date`, over the
/// contacts both assigned; an error when they assigned different contacts.
pub(super) fn ari_between(a: &Path, b: &Path, date: NaiveDate) -> Result<f64> {
    let (a, b) = (members(a, date)?, members(b, date)?);
    if a.len() != b.len() || a.keys().any(|id| !b.contains_key(id)) {
        return Err(Error::Internal(format!(
            "the two runs assigned different contacts ({} and {})",
            a.len(),
            b.len()
        )));
    }
    let mut codes: [HashMap<&str, usize>; 2] = [HashMap::new(), HashMap::new()];
    let mut labels: [Vec<usize>; 2] = [Vec::new(), Vec::new()];
    for (id, pa) in &a {
        for (side, persona) in [pa, &b[id]].into_iter().enumerate() {
            let n = codes[side].len();
            labels[side].push(*codes[side].entry(persona.as_str()).or_insert(n));
        }
    }
    Ok(adjusted_rand_index(&labels[0], &labels[1]))
}
