//! Bootstrap stability of clusters (Hennig's `clusterboot`): draw rows with replacement, refit
//! k-means with the chosen k on the resample, and for every original cluster take the best
//! Jaccard similarity with a cluster of the refit, over the distinct rows drawn. A cluster's
//! stability is its mean best-match Jaccard over the resamples: near 1 when the cluster is
//! found again whatever the sample, around 0.5 or below when it is an artefact of the sample.

use ndarray::{Array2, Axis};
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256Plus;
use tracing::info;

use super::kmeans::fit_all_k;
use super::latent::Attributes;
use super::rows::{assign_flat, row_major};
use super::KMeansSettings;
use crate::error::Result;

/// Seed salt of the resamples.
const BOOT_SALT: u64 = 0x2545_F491_4F6C_DD1D;
/// k-means++ restarts of each refit (fewer than the main fit: only the partition matters).
const BOOT_RESTARTS: usize = 3;

/// Mean best-match Jaccard of each of the `k` clusters of `labels` over `resamples` bootstrap
/// refits of `sample` rows each (at most the number of rows). Empty when `resamples` is 0.
/// With `latent` (the latent class attributes of the rows of `x`, `cluster.method =
/// "latent_class"`), each refit's k-means clusters are refined by the same latent class model
/// ([`super::latent`]) before they are compared, so the procedure is resampled, not k-means
/// alone; EM also starts from the original classes and the likelier fit is kept.
pub fn stability(
    x: &Array2<f64>,
    labels: &[usize],
    k: usize,
    settings: &KMeansSettings,
    (resamples, sample): (usize, usize),
    latent: Option<&Attributes>,
) -> Result<Vec<f64>> {
    let (n, d) = x.dim();
    if resamples == 0 || n <= k || k < 2 {
        return Ok(Vec::new());
    }
    let m = sample.min(n);
    let refit = KMeansSettings {
        k_min: k,
        k_max: k,
        restarts: BOOT_RESTARTS,
        ..settings.clone()
    };
    let mut sums = vec![0.0; k];
    let mut counts = vec![0usize; k];
    for b in 0..resamples {
        let mut rng = Xoshiro256Plus::seed_from_u64(settings.seed ^ BOOT_SALT ^ b as u64);
        let drawn: Vec<usize> = (0..m).map(|_| rng.gen_range(0..n)).collect();
        let boot = x.select(Axis(0), &drawn);
        let flat = row_major(boot.view());
        let runs = fit_all_k(&flat, d, k, &refit)?;
        let Some((_, centroids, _)) = runs.first() else {
            continue;
        };
        // The distinct rows drawn, each with its original and its refit cluster.
        let mut distinct = drawn.clone();
        distinct.sort_unstable();
        distinct.dedup();
        let rows = x.select(Axis(0), &distinct);
        let mut refit_labels = assign_flat(&row_major(rows.view()), d, centroids);
        if let Some(attrs) = latent {
            // EM from the refit's k-means clusters and from the persona's own classes (as
            // bootstrap latent class fits start from the original estimates), the likelier.
            let own: Vec<usize> = distinct.iter().map(|&r| labels[r]).collect();
            let starts = [refit_labels, own];
            refit_labels = super::latent::best_of(&attrs.select(&distinct), &starts, k).labels;
        }
        for (c, score) in best_jaccard(&distinct, labels, &refit_labels, k)
            .into_iter()
            .enumerate()
        {
            if let Some(j) = score {
                sums[c] += j;
                counts[c] += 1;
            }
        }
    }
    let out: Vec<f64> = sums
        .iter()
        .zip(&counts)
        .map(|(s, c)| if *c == 0 { 0.0 } else { s / *c as f64 })
        .collect();
    info!(k, resamples, sample = m, stability = ?out, "Bootstrap stability.");
    Ok(out)
}

/// For each original cluster with rows among `rows`, the best Jaccard similarity with a refit
/// cluster (`None` when the cluster has no row among them).
fn best_jaccard(rows: &[usize], labels: &[usize], refit: &[usize], k: usize) -> Vec<Option<f64>> {
    // Contingency table original x refit, and the margins.
    let mut table = vec![vec![0usize; k]; k];
    let (mut orig, mut new) = (vec![0usize; k], vec![0usize; k]);
    for (&r, &j) in rows.iter().zip(refit) {
        let c = labels[r];
        table[c][j] += 1;
        orig[c] += 1;
        new[j] += 1;
    }
    (0..k)
        .map(|c| {
            (orig[c] > 0).then(|| {
                (0..k)
                    .map(|j| table[c][j] as f64 / (orig[c] + new[j] - table[c][j]) as f64)
                    .fold(0.0, f64::max)
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_xoshiro::Xoshiro256PlusPlus;

    fn blobs(centres: &[(f64, f64)], per: usize, spread: f64) -> Array2<f64> {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(7);
        let mut v = Vec::new();
        for &(cx, cy) in centres {
            for _ in 0..per {
                v.push(cx + spread * (rng.gen::<f64>() - 0.5));
                v.push(cy + spread * (rng.gen::<f64>() - 0.5));
            }
        }
        Array2::from_shape_vec((centres.len() * per, 2), v).unwrap()
    }

    #[test]
    fn separated_clusters_are_stable() {
        let x = blobs(&[(0.0, 0.0), (10.0, 0.0), (0.0, 10.0)], 100, 1.0);
        let labels: Vec<usize> = (0..300).map(|i| i / 100).collect();
        let s = stability(&x, &labels, 3, &KMeansSettings::default(), (10, 300), None).unwrap();
        assert!(s.iter().all(|v| *v > 0.95), "{s:?}");
    }

    #[test]
    fn clusters_cut_out_of_noise_are_unstable() {
        // A uniform 8-dimensional cube cut into 4 by k-means: many cuts are about as good, so
        // the cut found moves with every resample.
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(11);
        let x = Array2::from_shape_fn((400, 8), |_| rng.gen::<f64>());
        let s0 = KMeansSettings {
            k_min: 4,
            k_max: 4,
            ..KMeansSettings::default()
        };
        let model = super::super::fit(&x, &s0).unwrap();
        let s = stability(&x, &model.labels, 4, &s0, (10, 400), None).unwrap();
        let mean = s.iter().sum::<f64>() / s.len() as f64;
        assert!(mean < 0.9, "{s:?}");
    }

    #[test]
    fn jaccard_counts_only_rows_drawn() {
        let labels = [0, 0, 1, 1];
        // Rows 0, 1, 2 drawn; the refit puts 0 and 1 together, 2 apart.
        let j = best_jaccard(&[0, 1, 2], &labels, &[1, 1, 0], 2);
        assert_eq!(j, vec![Some(1.0), Some(1.0)]);
    }
}
