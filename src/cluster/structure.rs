//! "Is there structure?" as a test against a null, not a threshold.
//!
//! The null reference keeps every column's distribution and destroys the joint structure: each
//! *family* of design columns (a categorical's indicators, one composition of shares, a numeric
//! and its missing-value indicator) is permuted on its own, rows moving only among contacts with
//! the same missingness pattern (so "has no web visits" is not mistaken for a persona). As in
//! the gap statistic (Tibshirani, Walther and Hastie 2001), k-means is fitted for every k on the
//! data and on `resamples` null copies, and the gap is how much lower the data's within-cluster
//! dispersion is: `gap(k) = mean(log W*_k) - log W_k`, with the null's spread
//! `s_k = sd(log W*_k) * sqrt(1 + 1/B)`.
//!
//! A bucket has clear structure when the gap of its chosen k lies above the null's range: more
//! than `z` spreads, `z` the normal quantile of `1 - alpha / K` for K values of k tried (a
//! one-sided test at level `alpha`, Bonferroni over the k tried). The level is a false-alarm
//! rate on structureless data, not a quality cut-off picked on one dataset.

use ndarray::{Array2, Axis};
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_xoshiro::Xoshiro256Plus;

use super::kmeans::fit_all_k;
use super::rows::row_major;
use super::KMeansSettings;
use crate::error::Result;

/// Seed salt of the null copies and the rows they are drawn on.
const NULL_SALT: u64 = 0x94D0_49BB_1331_11EB;

/// Settings of the structure test.
#[derive(Debug, Clone)]
pub struct NullSettings {
    /// Null copies (B).
    pub resamples: usize,
    /// Rows the test runs on (a seeded sample of the bucket).
    pub sample: usize,
    /// k-means++ restarts per k on each null copy (the data gets the model's restarts).
    pub restarts: usize,
    /// False-alarm rate of the verdict on structureless data.
    pub alpha: f64,
}

impl Default for NullSettings {
    fn default() -> Self {
        NullSettings {
            resamples: 20,
            sample: 2000,
            restarts: 3,
            alpha: 0.01,
        }
    }
}

/// The gap of one k.
#[derive(Debug, Clone, PartialEq)]
pub struct KGap {
    /// Number of clusters.
    pub k: usize,
    /// log of the data's mean within-cluster squared distance.
    pub log_w: f64,
    /// Mean of the same over the null copies.
    pub null_mean: f64,
    /// The null's spread, `sd * sqrt(1 + 1/B)`.
    pub null_sd: f64,
}

impl KGap {
    /// `null_mean - log_w`: how much tighter the data's clusters are than the null's.
    pub fn gap(&self) -> f64 {
        self.null_mean - self.log_w
    }

    /// The gap in null spreads (0 when the null has no spread and no gap).
    pub fn z(&self) -> f64 {
        if self.null_sd > 1e-12 {
            self.gap() / self.null_sd
        } else if self.gap() > 1e-12 {
            f64::INFINITY
        } else {
            0.0
        }
    }
}

/// The gap of every k in `k_min..=k_max`, on at most `s.sample` rows.
///
/// `families[j]` is the family of column j; `strata[i]` the missingness pattern of row i.
pub fn gaps(
    x: &Array2<f64>,
    families: &[usize],
    strata: &[u64],
    km: &KMeansSettings,
    s: &NullSettings,
) -> Result<Vec<KGap>> {
    let n = x.nrows();
    let mut rng = Xoshiro256Plus::seed_from_u64(km.seed ^ NULL_SALT);
    let rows: Vec<usize> = if n > s.sample {
        let mut idx = rand::seq::index::sample(&mut rng, n, s.sample).into_vec();
        idx.sort_unstable();
        idx
    } else {
        (0..n).collect()
    };
    let data = x.select(Axis(0), &rows);
    let strata: Vec<u64> = rows.iter().map(|&r| strata[r]).collect();
    let log_w = |m: &Array2<f64>, restarts: usize| -> Result<Vec<f64>> {
        let flat = row_major(m.view());
        let settings = KMeansSettings {
            restarts,
            ..km.clone()
        };
        let runs = fit_all_k(&flat, m.ncols(), km.k_max, &settings)?;
        Ok(runs
            .iter()
            .map(|r| (r.2 / m.nrows() as f64).max(1e-300).ln())
            .collect())
    };
    // The data gets the model's restarts (its dispersion is one number, a poor local optimum
    // would show as a dip in the gap); each null copy fewer, its noise averages out over B.
    let observed = log_w(&data, km.restarts.max(s.restarts))?;
    let strata_rows = rows_by_stratum(strata.iter().copied());
    let mut null: Vec<Vec<f64>> = Vec::with_capacity(s.resamples);
    for _ in 0..s.resamples {
        null.push(log_w(
            &permuted(&data, families, &strata_rows, &mut rng),
            s.restarts,
        )?);
    }
    Ok((km.k_min..=km.k_max)
        .zip(observed)
        .enumerate()
        .map(|(i, (k, log_w))| {
            let vals: Vec<f64> = null.iter().map(|v| v[i]).collect();
            let (null_mean, null_sd) = mean_and_spread(&vals);
            KGap {
                k,
                log_w,
                null_mean,
                null_sd,
            }
        })
        .collect())
}

/// The mean of null statistics and their spread, `sd * sqrt(1 + 1/B)` (the gap statistic's
/// `s_k`, for B values).
pub(super) fn mean_and_spread(vals: &[f64]) -> (f64, f64) {
    let b = vals.len().max(1) as f64;
    let mean = vals.iter().sum::<f64>() / b;
    let var = vals.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (b - 1.0).max(1.0);
    (mean, var.sqrt() * (1.0 + 1.0 / b).sqrt())
}

/// Row indices grouped by stratum (`strata` gives each row's), strata in ascending order.
pub(super) fn rows_by_stratum(strata: impl IntoIterator<Item = u64>) -> Vec<Vec<usize>> {
    let mut by: std::collections::BTreeMap<u64, Vec<usize>> = Default::default();
    for (i, s) in strata.into_iter().enumerate() {
        by.entry(s).or_default().push(i);
    }
    by.into_values().collect()
}

/// The rows of one null copy: row `i` of family `f` comes from row `out[f][i]`, each family
/// shuffled on its own and rows moving only within their stratum (`strata`: the rows of each).
pub(super) fn family_permutations(
    rows: usize,
    families: usize,
    strata: &[Vec<usize>],
    rng: &mut Xoshiro256Plus,
) -> Vec<Vec<usize>> {
    (0..families)
        .map(|_| {
            let mut from: Vec<usize> = (0..rows).collect();
            for members in strata {
                let mut shuffled = members.clone();
                shuffled.shuffle(rng);
                (members.iter().zip(&shuffled)).for_each(|(&to, &src)| from[to] = src);
            }
            from
        })
        .collect()
}

/// Number of families in `families` (each design column's family index).
pub(super) fn family_count(families: &[usize]) -> usize {
    families.iter().map(|f| f + 1).max().unwrap_or(0)
}

/// A null copy: each family of columns permuted on its own, rows moving only within their
/// stratum (`strata`: the rows of each stratum).
fn permuted(
    x: &Array2<f64>,
    families: &[usize],
    strata: &[Vec<usize>],
    rng: &mut Xoshiro256Plus,
) -> Array2<f64> {
    let from = family_permutations(x.nrows(), family_count(families), strata, rng);
    rearranged(x, families, &from)
}

/// `x` with row `i` of every column of family `f` taken from row `from[f][i]`.
pub(super) fn rearranged(x: &Array2<f64>, families: &[usize], from: &[Vec<usize>]) -> Array2<f64> {
    Array2::from_shape_fn(x.dim(), |(i, j)| x[[from[families[j]][i], j]])
}

/// The verdict on a bucket's chosen k.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    /// Whether the chosen k's gap lies above the null's range.
    pub structured: bool,
    /// The chosen k's gap in null spreads.
    pub z: f64,
    /// The z it had to pass: the normal quantile of `1 - alpha / K`.
    pub z_needed: f64,
}

/// The verdict for the chosen `k` among `gaps`, at false-alarm rate `alpha`.
pub fn verdict(gaps: &[KGap], k: usize, alpha: f64) -> Verdict {
    let z_needed = normal_quantile(1.0 - alpha / gaps.len().max(1) as f64);
    let z = gaps.iter().find(|g| g.k == k).map_or(0.0, KGap::z);
    Verdict {
        structured: z > z_needed,
        z,
        z_needed,
    }
}

/// Tibshirani's rule: the smallest k whose gap is at least the next k's gap minus its spread
/// (the last k when every gap still grows).
pub fn choose_by_gap(gaps: &[KGap]) -> Option<usize> {
    gaps.windows(2)
        .find(|w| w[0].gap() >= w[1].gap() - w[1].null_sd)
        .map(|w| w[0].k)
        .or_else(|| gaps.last().map(|g| g.k))
}

/// The standard normal quantile (Acklam's rational approximation, relative error < 1.2e-9).
pub fn normal_quantile(p: f64) -> f64 {
    const A: [f64; 6] = [
        -3.969_683_028_665_376e1,
        2.209_460_984_245_205e2,
        -2.759_285_104_469_687e2,
        1.383_577_518_672_69e2,
        -3.066_479_806_614_716e1,
        2.506_628_277_459_239,
    ];
    const B: [f64; 5] = [
        -5.447_609_879_822_406e1,
        1.615_858_368_580_409e2,
        -1.556_989_798_598_866e2,
        6.680_131_188_771_972e1,
        -1.328_068_155_288_572e1,
    ];
    const C: [f64; 6] = [
        -7.784_894_002_430_293e-3,
        -3.223_964_580_411_365e-1,
        -2.400_758_277_161_838,
        -2.549_732_539_343_734,
        4.374_664_141_464_968,
        2.938_163_982_698_783,
    ];
    const D: [f64; 4] = [
        7.784_695_709_041_462e-3,
        3.224_671_290_700_398e-1,
        2.445_134_137_142_996,
        3.754_408_661_907_416,
    ];
    let p = p.clamp(1e-300, 1.0 - 1e-16);
    let tail = |q: f64| {
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    };
    if p < 0.02425 {
        tail((-2.0 * p.ln()).sqrt())
    } else if p > 1.0 - 0.02425 {
        -tail((-2.0 * (1.0 - p).ln()).sqrt())
    } else {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::Rng;

    #[test]
    fn normal_quantile_known_values() {
        assert!((normal_quantile(0.975) - 1.959_964).abs() < 1e-5);
        assert!((normal_quantile(0.5)).abs() < 1e-12);
        assert!((normal_quantile(0.01) + 2.326_348).abs() < 1e-5);
        assert!((normal_quantile(1.0 - 0.01 / 4.0) - 2.807_034).abs() < 1e-5);
    }

    /// Three binary-ish families that either move together (structure) or not (null).
    fn data(structured: bool, n: usize, seed: u64) -> Array2<f64> {
        let mut rng = Xoshiro256Plus::seed_from_u64(seed);
        let mut v = Vec::with_capacity(n * 3);
        for _ in 0..n {
            let g: usize = rng.gen_range(0..3);
            for j in 0..3 {
                let centre = if structured && g == j { 3.0 } else { 0.0 };
                v.push(centre + rng.gen::<f64>() * 2.0 - 1.0);
            }
        }
        Array2::from_shape_vec((n, 3), v).unwrap()
    }

    fn test(x: &Array2<f64>) -> (Vec<KGap>, usize, Verdict) {
        let km = KMeansSettings {
            k_min: 2,
            k_max: 5,
            ..KMeansSettings::default()
        };
        let g = gaps(
            x,
            &[0, 1, 2],
            &vec![0; x.nrows()],
            &km,
            &NullSettings::default(),
        )
        .unwrap();
        let k = choose_by_gap(&g).unwrap();
        let v = verdict(&g, k, 0.01);
        (g, k, v)
    }

    #[test]
    fn planted_groups_stand_out_of_the_null() {
        let (g, k, v) = test(&data(true, 600, 1));
        assert_eq!(k, 3, "{g:?}");
        assert!(v.structured, "{v:?} {g:?}");
    }

    #[test]
    fn independent_columns_are_within_the_null() {
        for seed in 1..=5 {
            let (g, _, v) = test(&data(false, 600, seed));
            assert!(!v.structured, "seed {seed}: {v:?} {g:?}");
        }
    }

    #[test]
    fn a_permutation_keeps_every_family_and_stratum() {
        let x = Array2::from_shape_fn((6, 3), |(i, j)| (i * 10 + j) as f64);
        let mut rng = Xoshiro256Plus::seed_from_u64(3);
        let p = permuted(&x, &[0, 0, 1], &[vec![0, 1, 2], vec![3, 4, 5]], &mut rng);
        for i in 0..6 {
            // Columns 0 and 1 are one family: they move together.
            assert_eq!(p[[i, 1]] - p[[i, 0]], 1.0);
            // Rows stay in their stratum.
            let src = (p[[i, 0]] / 10.0) as usize;
            assert_eq!(src / 3, i / 3);
        }
    }
}
