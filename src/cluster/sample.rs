//! The contacts a bucket's model is fitted on when the bucket is larger than
//! `cluster.fit_contacts`: a sample stratified by which numeric criteria a contact is missing
//! (contacts with no web activity, with no order, with no age are each a fixed share of the
//! sample, as of the bucket), drawn by a seeded hash of the contact id, so that the same
//! contacts are drawn from run to run while the CRM grows.

use std::collections::BTreeMap;

use tracing::info;

use crate::config::{ClusterConfig, Criterion};
use crate::features::FeatureTable;

/// The rows bucket `name`'s model is fitted on: all of `rows`, or a stratified sample of
/// `cluster.fit_contacts` of them (strata: which numeric criteria a contact is missing).
pub fn fit_rows(
    table: &FeatureTable,
    rows: Vec<usize>,
    criteria: &[Criterion],
    cfg: &ClusterConfig,
    name: &str,
) -> Vec<usize> {
    if cfg.fit_contacts == 0 || rows.len() <= cfg.fit_contacts {
        return rows;
    }
    let columns: Vec<String> = (criteria.iter())
        .flat_map(|c| c.columns().into_iter().map(|m| m.to_string()))
        .collect();
    let fitted = stratified(table, &rows, &columns, cfg.fit_contacts, cfg.seed);
    info!(bucket = %name, contacts = rows.len(), fitted = fitted.len(), "Fitting on a stratified sample of the bucket; its SQL assigns every contact.");
    fitted
}

/// At most `n` of `rows` (indices into `table`), ascending: in each stratum, its share of `n`
/// (largest remainders, so the shares add up to `n`), the rows of the lowest hash of their
/// contact id under `seed`. `columns` are the numeric columns whose missingness makes the
/// strata.
pub fn stratified(
    table: &FeatureTable,
    rows: &[usize],
    columns: &[String],
    n: usize,
    seed: u64,
) -> Vec<usize> {
    if rows.len() <= n {
        return rows.to_vec();
    }
    let numeric: Vec<_> = (table.numeric.iter())
        .filter(|c| columns.contains(&c.name))
        .collect();
    let mut strata: BTreeMap<u64, Vec<(u64, usize)>> = BTreeMap::new();
    for &r in rows {
        let key = (numeric.iter().enumerate()).fold(0u64, |acc, (b, c)| {
            acc | (u64::from(c.values.get(r).is_none()) << (b % 64))
        });
        let h = hash(table.contact_ids[r].as_bytes(), seed);
        strata.entry(key).or_default().push((h, r));
    }
    let total = rows.len();
    // Each stratum's quota: the whole part of its share, then one more for the largest
    // remainders (ties: the lower stratum key).
    let mut quota: Vec<(usize, usize, u64)> = (strata.iter())
        .map(|(&key, members)| {
            let exact = members.len() * n;
            (exact / total, exact % total, key)
        })
        .collect();
    let short = n - quota.iter().map(|q| q.0).sum::<usize>();
    let mut order: Vec<usize> = (0..quota.len()).collect();
    order.sort_by(|&a, &b| {
        quota[b]
            .1
            .cmp(&quota[a].1)
            .then(quota[a].2.cmp(&quota[b].2))
    });
    order.iter().take(short).for_each(|&i| quota[i].0 += 1);
    let mut out = Vec::with_capacity(n);
    for ((_, members), (take, _, _)) in strata.iter_mut().zip(&quota) {
        members.sort_unstable();
        out.extend(members.iter().take(*take).map(|&(_, r)| r));
    }
    out.sort_unstable();
    out
}

/// FNV-1a over `bytes`, seeded, then a splitmix64 finaliser (so that ids differing in their
/// last character spread over the whole range).
fn hash(bytes: &[u8], seed: u64) -> u64 {
    let mut h = 0xcbf2_9ce4_8422_2325 ^ seed;
    for &b in bytes {
        h = (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3);
    }
    h = (h ^ (h >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    h = (h ^ (h >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    h ^ (h >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::features::NumericColumn;

    fn table(n: usize, missing_every: usize) -> FeatureTable {
        FeatureTable {
            contact_ids: (0..n).map(|i| format!("{i}")).collect(),
            emails: vec![None; n],
            numeric: vec![NumericColumn {
                name: "sessions".into(),
                values: (0..n)
                    .map(|i| (i % missing_every != 0).then_some(i as f64))
                    .collect::<Vec<_>>()
                    .into(),
                segments: true,
            }],
            categorical: Vec::new(),
            multi_raw: Vec::new(),
        }
    }

    #[test]
    fn strata_keep_their_shares_and_the_sample_its_size() {
        // A quarter of the contacts have no sessions: a quarter of the sample too.
        let t = table(10_000, 4);
        let rows: Vec<usize> = (0..10_000).collect();
        let s = stratified(&t, &rows, &["sessions".into()], 1_000, 7);
        assert_eq!(s.len(), 1_000);
        let missing = s.iter().filter(|&&r| r % 4 == 0).count();
        assert_eq!(missing, 250);
        assert!(s.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn the_same_contacts_are_drawn_when_the_crm_grows() {
        let small = table(5_000, 4);
        let large = table(6_000, 4);
        let a = stratified(&small, &(0..5_000).collect::<Vec<_>>(), &[], 500, 7);
        let b = stratified(&large, &(0..6_000).collect::<Vec<_>>(), &[], 600, 7);
        // Of the 500 drawn from the first 5,000, most are drawn again from 6,000.
        let kept = a.iter().filter(|r| b.contains(r)).count();
        assert!(kept >= 450, "{kept} of 500 drawn again");
        assert_ne!(
            a,
            stratified(&small, &(0..5_000).collect::<Vec<_>>(), &[], 500, 8)
        );
    }

    #[test]
    fn a_bucket_no_larger_than_the_sample_is_taken_whole() {
        let t = table(100, 3);
        let rows: Vec<usize> = (10..60).collect();
        assert_eq!(stratified(&t, &rows, &[], 50, 1), rows);
    }
}
