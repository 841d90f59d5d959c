//! Whether one persona is one latent class: the independence rule's test per cluster when
//! `cluster.method = "latent_class"`.
//!
//! Two latent classes fit a cluster better than one by some log-likelihood; on a null copy of
//! the cluster (every column family permuted on its own, rows moving only among contacts with
//! the same missing values, as in [`crate::cluster::structure`]) they gain only what chance
//! gives. The cluster is one class when its gain lies within the null copies' range, or does
//! not pay BIC's price of one more class ((parameters of a class / 2) x ln(contacts)): with
//! thousands of contacts a dependence far too weak to make two personas (a persona's
//! executives reading a little more about pricing) is still significant. The data and each
//! null copy get the same procedure: 2-means on the design rows as the start, then EM.
//! A test on k-means' own split would miss personas that differ in many small ways at once
//! (the ones the latent class model tells apart), and call such a pair one persona.

use ndarray::{Array2, Axis};
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_xoshiro::Xoshiro256Plus;
use tracing::debug;

use super::super::kmeans::labels_at;
use super::super::rows::row_major;
use super::super::structure::{
    family_count, family_permutations, mean_and_spread, rearranged, rows_by_stratum, NullSettings,
};
use super::super::KMeansSettings;
use super::{fit, Attributes};
use crate::error::Result;

/// EM starts per gain (see [`gain`]).
const STARTS: u64 = 3;
/// Salt of the split test's RNG.
const SPLIT_SALT: u64 = 0x4C43_415F_5350_4C54;

/// The gain of two latent classes over one on `rows` beyond the larger of the null copies'
/// mean gain and BIC's price of one more class, in null spreads (`rows.len() < min_rows`: 0).
/// `x` and `attrs` hold the same rows; `families` is each design column's family, `strata`
/// each row's missingness pattern.
pub fn split_z(
    (x, attrs): (&Array2<f64>, &Attributes),
    families: &[usize],
    rows: &[usize],
    strata: &[u64],
    (km, null): (&KMeansSettings, &NullSettings),
    min_rows: usize,
) -> Result<f64> {
    if rows.len() < min_rows {
        return Ok(0.0);
    }
    let mut rng = Xoshiro256Plus::seed_from_u64(km.seed ^ SPLIT_SALT ^ rows.len() as u64);
    let rows: Vec<usize> = if rows.len() > null.sample {
        let mut picked: Vec<usize> = rows
            .choose_multiple(&mut rng, null.sample)
            .copied()
            .collect();
        picked.sort_unstable();
        picked
    } else {
        rows.to_vec()
    };
    let data = x.select(Axis(0), &rows);
    let data_attrs = attrs.select(&rows);
    let two = KMeansSettings {
        k_min: 2,
        k_max: 2,
        restarts: null.restarts,
        ..km.clone()
    };
    let observed = gain(&data, &data_attrs, &two)?;
    let by_stratum = rows_by_stratum(rows.iter().map(|&r| strata[r]));
    let n_families = family_count(families);
    let mut null_gains = Vec::with_capacity(null.resamples);
    for _ in 0..null.resamples {
        let by_family = family_permutations(rows.len(), n_families, &by_stratum, &mut rng);
        let copy = rearranged(&data, families, &by_family);
        null_gains.push(gain(&copy, &data_attrs.permuted(&by_family), &two)?);
    }
    let (mean, spread) = mean_and_spread(&null_gains);
    let spread = spread.max(1e-9);
    // One more class must also pay for its parameters (BIC's penalty): a dependence too weak
    // to do that is not a second persona, however significant thousands of contacts make it.
    let penalty = data_attrs.class_parameters() as f64 / 2.0 * (rows.len() as f64).ln();
    debug!(
        rows = rows.len(),
        observed,
        null_mean = mean,
        null_spread = spread,
        penalty,
        "Latent split against the null."
    );
    Ok((observed - mean.max(penalty)) / spread)
}

/// The log-likelihood two latent classes gain over one: the best of EM from [`STARTS`]
/// 2-means splits of `x` (the best of the settings' restarts, then one k-means++ start each,
/// seeded in turn). One EM run from one split lands on one of several local optima; the best
/// of a few makes the gain, on the data and on each null copy alike, much less a matter of
/// luck.
fn gain(x: &Array2<f64>, attrs: &Attributes, two: &KMeansSettings) -> Result<f64> {
    if x.ncols() == 0 || x.nrows() < 2 {
        return Ok(0.0);
    }
    let flat = row_major(x.view());
    let one = fit(attrs, &vec![0; attrs.len()], 1).loglik;
    let mut best = f64::NEG_INFINITY;
    for start in 0..STARTS {
        // The first start is k-means' best of its restarts, the others one restart each.
        let settings = KMeansSettings {
            seed: two.seed.wrapping_add(start),
            restarts: if start == 0 { two.restarts } else { 1 },
            ..two.clone()
        };
        if let Some(labels) = labels_at(&flat, x.ncols(), 2, &settings)? {
            best = best.max(fit(attrs, &labels, 2).loglik);
        }
    }
    Ok(if best.is_finite() { best - one } else { 0.0 })
}

#[cfg(test)]
mod tests {
    use super::super::tests::design;
    use super::*;
    use rand::Rng;

    /// Two groups over 6 yes/no families, every family yes with probability 0.7 in one group
    /// and 0.3 in the other, independently inside each group.
    fn data(n: usize, seed: u64) -> Array2<f64> {
        let mut rng = Xoshiro256Plus::seed_from_u64(seed);
        Array2::from_shape_fn((n, 6), |(i, _)| {
            let p = if i % 2 == 0 { 0.7 } else { 0.3 };
            f64::from(u8::from(rng.gen::<f64>() < p))
        })
    }

    #[test]
    fn two_classes_stand_out_of_the_null_and_one_class_does_not() {
        let n = 2000;
        let x = data(n, 7);
        let d = design(
            x.clone(),
            &["a", "b", "c", "d", "e", "f"],
            &[0, 1, 2, 3, 4, 5],
        );
        let attrs = Attributes::new(&d, None, 1).unwrap();
        let km = KMeansSettings::default();
        let null = NullSettings {
            sample: n,
            ..NullSettings::default()
        };
        let z = |rows: &[usize]| {
            let strata = vec![0; n];
            split_z((&x, &attrs), &d.families, rows, &strata, (&km, &null), 20).unwrap()
        };
        let all: Vec<usize> = (0..n).collect();
        assert!(z(&all) > 3.0, "{}", z(&all));
        let one: Vec<usize> = (0..n).step_by(2).collect();
        assert!(z(&one) < 3.0, "{}", z(&one));
    }
}
