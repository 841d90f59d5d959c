//! Clustering of per-contact feature vectors into personas.
//!
//! [`fit`] runs k-means++ (linfa, with restarts) for every k in a range on a seeded uniform
//! sample of the rows, scores each k by the mean silhouette on a second seeded sample (the same
//! rows for every k, so scores are comparable), keeps the k with the best silhouette and assigns
//! every row to its nearest centroid. Clusters come out in a canonical order (size descending,
//! ties by centroid lexicographic order), so the result does not depend on how the RNG happened
//! to number the clusters. The same input and seed give the same output.
//!
//! [`silhouette`] and [`assign`] are exact and parallel over row chunks (`std::thread::scope`);
//! [`adjusted_rand_index`] compares two labelings.

use std::borrow::Cow;
use std::cmp::Ordering::Equal;
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

use ndarray::{Array2, ArrayView2, Axis};
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256Plus;
use tracing::{debug, info, warn};

use crate::error::{Error, Result};

/// Seed salts for the fit sample and the silhouette sample; multiplier spreading k over seeds.
const FIT_SALT: u64 = 0xA076_1D64_78BD_642F;
const SILHOUETTE_SALT: u64 = 0xE703_7ED1_A0B4_28DB;
const K_MUL: u64 = 0x9E37_79B9_7F4A_7C15;
/// Fewest rows worth a thread in nearest-centroid assignment and in the silhouette (per row, a
/// pass over all rows).
const MIN_ASSIGN_ROWS: usize = 4096;
const MIN_SILHOUETTE_ROWS: usize = 16;

/// Settings for fitting.
#[derive(Debug, Clone)]
pub struct KMeansSettings {
    /// Smallest number of clusters tried (at least 2).
    pub k_min: usize,
    /// Largest number of clusters tried (clamped to the number of fitted rows minus one).
    pub k_max: usize,
    /// Seed for sampling and k-means++; the same seed and input give the same model.
    pub seed: u64,
    /// k-means++ restarts per k (linfa's `n_runs`); the run with the lowest inertia is kept.
    pub restarts: usize,
    /// Most Lloyd iterations per restart.
    pub max_iterations: u64,
    /// Convergence threshold on the centroid shift between iterations.
    pub tolerance: f64,
    /// Fit on at most this many rows (uniform sample without replacement, seeded), then assign all rows.
    pub fit_sample: usize,
    /// Compute the silhouette on at most this many rows (uniform sample, seeded, same rows for every k).
    pub silhouette_sample: usize,
}

impl Default for KMeansSettings {
    fn default() -> Self {
        Self {
            k_min: 3,
            k_max: 5,
            seed: 42,
            restarts: 10,
            max_iterations: 300,
            tolerance: 1e-4,
            fit_sample: 100_000,
            silhouette_sample: 5_000,
        }
    }
}

/// One candidate k and its scores.
#[derive(Debug, Clone, PartialEq)]
pub struct KScore {
    /// Number of clusters.
    pub k: usize,
    /// Mean silhouette on the silhouette sample (higher is better, in -1..=1).
    pub silhouette: f64,
    /// Mean squared Euclidean distance of the fitted rows to their nearest centroid.
    pub inertia: f64,
}

/// The chosen model.
#[derive(Debug, Clone)]
pub struct ClusterModel {
    /// Chosen number of clusters.
    pub k: usize,
    /// Centroids, k x d, in canonical order (size descending, ties by centroid lexicographic order).
    pub centroids: Array2<f64>,
    /// Cluster of every input row, in `0..k`, in canonical order.
    pub labels: Vec<usize>,
    /// Scores of every k tried, ascending k.
    pub scores: Vec<KScore>,
}

/// Fit k-means for each k in k_min..=k_max, choose the k with the best silhouette (ties -> smaller k), assign every row.
///
/// k-means++ with `restarts` runs is fitted on a seeded sample of at most `fit_sample` rows;
/// each k's silhouette is computed on one seeded sample of at most `silhouette_sample` rows.
///
/// # Errors
/// [`Error::Cluster`] for invalid settings, fewer than k_min + 1 rows, no columns, a non-finite
/// value (the message names its row and column), or a linfa failure.
pub fn fit(x: &Array2<f64>, settings: &KMeansSettings) -> Result<ClusterModel> {
    let (n, d) = x.dim();
    let (k_min, k_max) = (settings.k_min, validate(x, settings)?);
    // Fit rows and silhouette rows: all of x (no copy) or a sorted seeded sample.
    let fit_rows = sample_rows(x, settings.fit_sample, settings.seed ^ FIT_SALT);
    let fit_view = fit_rows.as_ref().map_or_else(|| x.view(), |s| s.view());
    let sil_rows = sample_rows(
        x,
        settings.silhouette_sample,
        settings.seed ^ SILHOUETTE_SALT,
    );
    let sil_view = sil_rows.as_ref().map_or_else(|| x.view(), |s| s.view());
    let (fit_flat, sil_flat) = (row_major(fit_view), row_major(sil_view));
    let (fit_n, sil_n) = (fit_view.nrows(), sil_view.nrows());
    info!(n, d, fit_n, sil_n, k_min, k_max, "Clustering.");

    let runs = fit_all_k(&fit_flat, d, k_min, k_max, settings);
    let mut fitted = Vec::with_capacity(runs.len());
    for (k, (centroids, sq_sum)) in (k_min..=k_max).zip(runs) {
        let inertia = sq_sum / fit_n as f64;
        let sil_labels: Vec<usize> = nearest_all(&sil_flat, d, &centroids)
            .iter()
            .map(|p| p.0)
            .collect();
        let centroids = Array2::from_shape_vec((k, d), centroids)
            .map_err(|e| Error::Cluster(format!("centroids of k = {k}: {e}")))?;
        fitted.push((k, centroids, inertia, sil_labels));
    }
    // One pass over the sample's pairs scores every k.
    let labelings: Vec<(&[usize], usize)> = fitted.iter().map(|f| (f.3.as_slice(), f.0)).collect();
    let sils = silhouettes(&sil_flat, d, &labelings);
    let mut scores = Vec::with_capacity(fitted.len());
    for ((k, _, inertia, _), &silhouette) in fitted.iter().zip(&sils) {
        let (k, inertia) = (*k, *inertia);
        info!(k, silhouette, inertia, "Scored k.");
        scores.push(KScore {
            k,
            silhouette,
            inertia,
        });
    }
    // Strictly greater, so ties keep the smaller k; NaN never wins.
    let best = (0..sils.len()).fold(0, |b, i| {
        if sils[i] > sils[b] || sils[b].is_nan() {
            i
        } else {
            b
        }
    });

    let (k, raw_centroids) = (fitted[best].0, &fitted[best].1);
    let near = nearest_all(&row_major(x.view()), d, &row_major(raw_centroids.view()));
    let (centroids, labels, sizes) = canonicalize(raw_centroids, near.iter().map(|p| p.0));
    if sizes.contains(&0) {
        warn!(k, ?sizes, "A cluster has no rows after assigning all rows.");
    }
    info!(k, silhouette = sils[best], ?sizes, "Chose k.");
    Ok(ClusterModel {
        k,
        centroids,
        labels,
        scores,
    })
}

/// One k-means result: row-major centroids (k x d) and the sum of squared distances to them.
type Run = (Vec<f64>, f64);

/// Runs `restarts` k-means++ fits for every k on scoped threads (one job per (k, restart));
/// returns each k's run of lowest inertia (ties: lowest restart). Restart r of k draws from
/// the RNG seeded from (seed, k), jumped r times, so results do not depend on scheduling.
fn fit_all_k(x: &[f64], d: usize, k_min: usize, k_max: usize, s: &KMeansSettings) -> Vec<Run> {
    let n = x.len() / d;
    let mut jobs = Vec::new();
    for k in k_min..=k_max {
        let mut rng = Xoshiro256Plus::seed_from_u64(s.seed ^ (k as u64).wrapping_mul(K_MUL));
        for _ in 0..s.restarts {
            jobs.push((k, rng.clone()));
            rng.jump();
        }
    }
    // scikit-learn's rule: the tolerance is relative to the mean per-feature variance.
    let mean: Vec<f64> = (0..d)
        .map(|j| (0..n).map(|i| x[i * d + j]).sum::<f64>() / n as f64)
        .collect();
    let var = (0..n).map(|i| sq_dist(row(x, d, i), &mean)).sum::<f64>() / (n * d) as f64;
    let tol = s.tolerance * var;
    let next = AtomicUsize::new(0);
    let cores = std::thread::available_parallelism().map_or(1, |c| c.get());
    let mut runs: Vec<Option<Run>> = vec![None; jobs.len()];
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..cores.min(jobs.len()))
            .map(|_| {
                scope.spawn(|| {
                    let (mut labels, mut dists) = (vec![0usize; n], vec![0.0; n]);
                    let mut done = Vec::new();
                    loop {
                        let j = next.fetch_add(1, Relaxed);
                        let Some((k, rng)) = jobs.get(j) else { break };
                        let init = kmeans_pp(x, d, *k, &mut rng.clone());
                        let run = lloyd(x, d, init, s.max_iterations, tol, &mut labels, &mut dists);
                        done.push((j, run));
                    }
                    done
                })
            })
            .collect();
        for worker in workers {
            match worker.join() {
                Ok(done) => done.into_iter().for_each(|(j, run)| runs[j] = Some(run)),
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
    });
    let mut runs = runs.into_iter().flatten();
    (k_min..=k_max)
        .filter_map(|k| {
            let best = runs
                .by_ref()
                .take(s.restarts)
                .fold(None, |b: Option<Run>, r| match b {
                    Some(b) if b.1 <= r.1 => Some(b),
                    _ => Some(r),
                });
            if let Some((_, sq_sum)) = &best {
                debug!(k, inertia = sq_sum / n as f64, "Fitted k.");
            }
            best
        })
        .collect()
}

/// k-means++ seeding: the first centroid uniformly, each next one with probability
/// proportional to the squared distance to the nearest centroid chosen so far.
fn kmeans_pp(x: &[f64], d: usize, k: usize, rng: &mut Xoshiro256Plus) -> Vec<f64> {
    let n = x.len() / d;
    let mut c = row(x, d, rng.gen_range(0..n)).to_vec();
    let mut dist: Vec<f64> = (0..n).map(|i| sq_dist(row(x, d, i), &c)).collect();
    for _ in 1..k {
        let total: f64 = dist.iter().sum();
        let mut t = rng.gen::<f64>() * total;
        let pick = dist
            .iter()
            .position(|&w| {
                t -= w;
                t < 0.0
            })
            .or_else(|| dist.iter().rposition(|&w| w > 0.0))
            .unwrap_or(0);
        let start = c.len();
        c.extend_from_slice(row(x, d, pick));
        for (i, di) in dist.iter_mut().enumerate() {
            *di = di.min(sq_dist(row(x, d, i), &c[start..]));
        }
    }
    c
}

/// Lloyd iterations from `c` until no label changes, the summed squared centroid shift is at
/// most `tol`, or `max_iter` updates. An emptied cluster moves to the row farthest from its
/// centroid. Returns the centroids and the sum of squared distances of the rows to them.
fn lloyd(
    x: &[f64],
    d: usize,
    mut c: Vec<f64>,
    max_iter: u64,
    tol: f64,
    labels: &mut [usize],
    dists: &mut [f64],
) -> Run {
    let k = c.len() / d;
    let assign_all = |c: &[f64], labels: &mut [usize], dists: &mut [f64]| {
        let mut changed = 0usize;
        for (i, (l, dist)) in labels.iter_mut().zip(dists.iter_mut()).enumerate() {
            let (best, sq) = nearest(row(x, d, i), c, d);
            changed += usize::from(*l != best);
            (*l, *dist) = (best, sq);
        }
        changed
    };
    labels.fill(usize::MAX);
    assign_all(&c, labels, dists);
    for _ in 0..max_iter {
        let (mut sums, mut counts) = (vec![0.0; k * d], vec![0usize; k]);
        for (i, &l) in labels.iter().enumerate() {
            counts[l] += 1;
            let sum = &mut sums[l * d..(l + 1) * d];
            sum.iter_mut().zip(row(x, d, i)).for_each(|(s, v)| *s += v);
        }
        for (j, sum) in sums.chunks_exact_mut(d).enumerate() {
            if counts[j] > 0 {
                sum.iter_mut().for_each(|s| *s /= counts[j] as f64);
            } else {
                let far = (0..dists.len()).fold(0, |b, i| if dists[i] > dists[b] { i } else { b });
                dists[far] = 0.0;
                sum.copy_from_slice(row(x, d, far));
            }
        }
        let shift = sq_dist(&sums, &c);
        c = sums;
        let changed = assign_all(&c, labels, dists);
        if changed == 0 || shift <= tol {
            break;
        }
    }
    let sq_sum = dists.iter().sum();
    (c, sq_sum)
}

/// Nearest centroid (lowest index on ties) and the squared distance to it.
#[inline]
fn nearest(x: &[f64], centroids: &[f64], d: usize) -> (usize, f64) {
    let dists = centroids.chunks_exact(d).map(|c| sq_dist(x, c)).enumerate();
    dists.fold(
        (0, f64::INFINITY),
        |b, (c, dist)| if dist < b.1 { (c, dist) } else { b },
    )
}

/// Checks settings and data; returns k_max clamped to the number of fitted rows minus one.
fn validate(x: &Array2<f64>, s: &KMeansSettings) -> Result<usize> {
    let (n, d) = x.dim();
    let (k_min, k_max) = (s.k_min, s.k_max);
    let problem = if k_min < 2 {
        format!("k_min must be at least 2, got {k_min}")
    } else if k_min > k_max {
        format!("k_min ({k_min}) is greater than k_max ({k_max})")
    } else if s.restarts == 0 || s.max_iterations == 0 {
        "restarts and max_iterations must be at least 1".to_string()
    } else if !(s.tolerance.is_finite() && s.tolerance > 0.0) {
        format!("tolerance must be finite and positive, got {}", s.tolerance)
    } else if s.fit_sample <= k_min || s.silhouette_sample <= k_min {
        format!("fit_sample and silhouette_sample must exceed k_min ({k_min})")
    } else if n <= k_min {
        format!(
            "{n} rows is too few for k_min = {k_min}: need at least {} rows",
            k_min + 1
        )
    } else if d == 0 {
        format!("the feature matrix has {n} rows but no columns")
    } else if let Some(((r, c), v)) = x.indexed_iter().find(|(_, v)| !v.is_finite()) {
        format!("non-finite value {v} at row {r}, column {c} of the feature matrix")
    } else {
        let clamped = k_max.min(n.min(s.fit_sample) - 1);
        if clamped < k_max {
            warn!(
                k_max,
                clamped, "Clamped k_max to the number of fitted rows - 1."
            );
        }
        return Ok(clamped);
    };
    Err(Error::Cluster(problem))
}

/// A sorted seeded uniform sample of `max` rows, or `None` when x has at most `max` rows.
fn sample_rows(x: &Array2<f64>, max: usize, seed: u64) -> Option<Array2<f64>> {
    let n = x.nrows();
    if n <= max {
        return None;
    }
    let mut rng = Xoshiro256Plus::seed_from_u64(seed);
    let mut idx = rand::seq::index::sample(&mut rng, n, max).into_vec();
    idx.sort_unstable();
    Some(x.select(Axis(0), &idx))
}

/// Orders clusters by size descending, ties by centroid lexicographic order; relabels.
/// Returns the reordered centroids, the new labels and the cluster sizes in the new order.
fn canonicalize(
    centroids: &Array2<f64>,
    labels: impl Iterator<Item = usize> + Clone,
) -> (Array2<f64>, Vec<usize>, Vec<usize>) {
    let k = centroids.nrows();
    let mut sizes = vec![0usize; k];
    labels.clone().for_each(|l| sizes[l] += 1);
    let lex = |a: usize, b: usize| {
        let pairs = centroids.row(a).into_iter().zip(centroids.row(b));
        pairs.map(|(p, q)| p.total_cmp(q)).find(|o| o.is_ne())
    };
    let mut order: Vec<usize> = (0..k).collect();
    order.sort_by(|&a, &b| {
        sizes[b]
            .cmp(&sizes[a])
            .then_with(|| lex(a, b).unwrap_or(Equal))
    });
    let mut new_label = vec![0usize; k];
    order
        .iter()
        .enumerate()
        .for_each(|(new, &old)| new_label[old] = new);
    let new_sizes = order.iter().map(|&o| sizes[o]).collect();
    let labels = labels.map(|l| new_label[l]).collect();
    (centroids.select(Axis(0), &order), labels, new_sizes)
}

/// Mean silhouette of `labels` over the rows of `x` (exact, all pairs), computed in parallel over row chunks.
///
/// Euclidean distances; a row in a singleton cluster scores 0, and so does every row when only
/// one cluster is populated. Labels should lie in `0..k` (a larger one widens the range).
/// An empty `x` gives 0.
///
/// # Panics
/// When `labels.len()` differs from the number of rows of `x`.
pub fn silhouette(x: ArrayView2<f64>, labels: &[usize], k: usize) -> f64 {
    assert_eq!(
        labels.len(),
        x.nrows(),
        "one label per row of x is required"
    );
    silhouettes(&row_major(x), x.ncols(), &[(labels, k)])[0]
}

/// Mean silhouettes of several labelings of the same rows, computing each pair distance once.
fn silhouettes(flat: &[f64], d: usize, labelings: &[(&[usize], usize)]) -> Vec<f64> {
    let n = flat.len().checked_div(d).unwrap_or(0);
    if n == 0 {
        return vec![0.0; labelings.len()];
    }
    // Cluster sizes of all labelings side by side; labeling l owns sizes[offsets[l]..offsets[l + 1]].
    let mut offsets = vec![0];
    for (labels, k) in labelings {
        let width = labels.iter().map(|&l| l + 1).max().unwrap_or(0).max(*k);
        offsets.push(offsets[offsets.len() - 1] + width);
    }
    let mut sizes = vec![0usize; offsets[labelings.len()]];
    for (labels, &off) in labelings.iter().map(|l| l.0).zip(&offsets) {
        labels.iter().for_each(|&c| sizes[off + c] += 1);
    }
    // Per-row values, summed sequentially below so the split across threads cannot change the result.
    let mut per_row = vec![Vec::new(); n];
    par_rows(&mut per_row, MIN_SILHOUETTE_ROWS, |start, out| {
        let mut sums = vec![0.0; sizes.len()];
        for (i, out) in (start..).zip(out.iter_mut()) {
            sums.fill(0.0);
            let xi = row(flat, d, i);
            for j in 0..n {
                // The distance of row i to itself is 0, so it needs no skipping.
                let dist = sq_dist(xi, row(flat, d, j)).sqrt();
                for ((labels, _), off) in labelings.iter().zip(&offsets) {
                    sums[off + labels[j]] += dist;
                }
            }
            *out = labelings
                .iter()
                .enumerate()
                .map(|(l, (labels, _))| {
                    let own = offsets[l] + labels[i];
                    let b = (offsets[l]..offsets[l + 1])
                        .filter(|&c| c != own && sizes[c] > 0)
                        .map(|c| sums[c] / sizes[c] as f64)
                        .fold(f64::INFINITY, f64::min);
                    let a = sums[own] / sizes[own].saturating_sub(1).max(1) as f64;
                    let ok = sizes[own] > 1 && b.is_finite() && a.max(b) > 0.0;
                    if ok {
                        (b - a) / a.max(b)
                    } else {
                        0.0
                    }
                })
                .collect();
        }
    });
    (0..labelings.len())
        .map(|l| per_row.iter().map(|r| r[l]).sum::<f64>() / n as f64)
        .collect()
}

/// Adjusted Rand index between two labelings (any label values, usize).
///
/// 1 for the same partition (whatever the label values), about 0 for independent ones, possibly
/// negative. Fewer than two items, or the same trivial partition (one cluster, or all singletons),
/// give 1.
///
/// # Panics
/// When `a` and `b` differ in length.
pub fn adjusted_rand_index(a: &[usize], b: &[usize]) -> f64 {
    assert_eq!(a.len(), b.len(), "labelings must have the same length");
    let comb2 = |c: u64| (c as f64) * (c as f64 - 1.0) / 2.0;
    let mut pairs: HashMap<(usize, usize), u64> = HashMap::new();
    let (mut rows, mut cols) = (HashMap::<usize, u64>::new(), HashMap::<usize, u64>::new());
    for (&p, &q) in a.iter().zip(b) {
        *pairs.entry((p, q)).or_default() += 1;
        *rows.entry(p).or_default() += 1;
        *cols.entry(q).or_default() += 1;
    }
    let sum = |m: &mut dyn Iterator<Item = &u64>| m.map(|&c| comb2(c)).sum::<f64>();
    let index = sum(&mut pairs.values());
    let (sum_a, sum_b) = (sum(&mut rows.values()), sum(&mut cols.values()));
    let expected = sum_a * sum_b / comb2(a.len() as u64);
    let denom = (sum_a + sum_b) / 2.0 - expected;
    if a.len() < 2 || denom == 0.0 {
        return 1.0;
    }
    (index - expected) / denom
}

/// Nearest-centroid assignment for every row (parallel over chunks).
///
/// Euclidean distance; ties go to the lower centroid index.
///
/// # Panics
/// When the column counts differ, or `x` has rows but `centroids` has none.
pub fn assign(x: ArrayView2<f64>, centroids: ArrayView2<f64>) -> Vec<usize> {
    assert_eq!(
        x.ncols(),
        centroids.ncols(),
        "x and centroids need the same columns"
    );
    assert!(
        x.nrows() == 0 || centroids.nrows() > 0,
        "at least one centroid is required"
    );
    if x.ncols() == 0 {
        return vec![0; x.nrows()];
    }
    let near = nearest_all(&row_major(x), x.ncols(), &row_major(centroids));
    near.into_iter().map(|p| p.0).collect()
}

/// Nearest centroid and squared distance to it for every row of a row-major matrix (`d > 0`).
fn nearest_all(x: &[f64], d: usize, centroids: &[f64]) -> Vec<(usize, f64)> {
    let mut out = vec![(0, 0.0); x.len() / d];
    par_rows(&mut out, MIN_ASSIGN_ROWS, |start, out| {
        for (i, o) in (start..).zip(out.iter_mut()) {
            *o = nearest(row(x, d, i), centroids, d);
        }
    });
    out
}

/// Squared Euclidean distance, with four accumulators so the compiler can vectorize.
#[inline]
fn sq_dist(a: &[f64], b: &[f64]) -> f64 {
    let (ca, cb) = (a.chunks_exact(4), b.chunks_exact(4));
    let tail: f64 = ca
        .remainder()
        .iter()
        .zip(cb.remainder())
        .map(|(p, q)| (p - q) * (p - q))
        .sum();
    let mut acc = [0.0f64; 4];
    for (p, q) in ca.zip(cb) {
        for l in 0..4 {
            acc[l] += (p[l] - q[l]) * (p[l] - q[l]);
        }
    }
    (acc[0] + acc[1]) + (acc[2] + acc[3]) + tail
}

/// Row `i` of a row-major matrix with `d` columns.
#[inline]
fn row(flat: &[f64], d: usize, i: usize) -> &[f64] {
    &flat[i * d..(i + 1) * d]
}

/// The matrix as a row-major slice: borrowed when in standard layout, copied otherwise.
fn row_major<'a>(x: ArrayView2<'a, f64>) -> Cow<'a, [f64]> {
    x.to_slice()
        .map_or_else(|| Cow::Owned(x.iter().copied().collect()), Cow::Borrowed)
}

/// Runs `f(first_row, chunk)` over contiguous chunks of `out` (one item per row) on scoped
/// threads, one chunk per core but no chunk under `min_rows` rows.
fn par_rows<T: Send>(out: &mut [T], min_rows: usize, f: impl Fn(usize, &mut [T]) + Sync) {
    let cores = std::thread::available_parallelism().map_or(1, |c| c.get());
    let threads = cores.min(out.len() / min_rows).max(1);
    if threads == 1 {
        return f(0, out);
    }
    let chunk = out.len().div_ceil(threads);
    let f = &f;
    std::thread::scope(|scope| {
        for (c, part) in out.chunks_mut(chunk).enumerate() {
            scope.spawn(move || f(c * chunk, part));
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array2;
    use rand::Rng;

    /// Standard normal draw (Box-Muller).
    fn normal(rng: &mut Xoshiro256Plus) -> f64 {
        let u1: f64 = rng.gen_range(f64::EPSILON..1.0);
        let u2: f64 = rng.gen();
        (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
    }

    /// Four well-separated gaussian blobs of unequal size, n = 400, d = 6; rows shuffled.
    fn blobs() -> (Array2<f64>, Vec<usize>) {
        let mut rng = Xoshiro256Plus::seed_from_u64(7);
        let sizes = [130, 110, 90, 70];
        let mut truth: Vec<usize> = sizes
            .iter()
            .enumerate()
            .flat_map(|(c, &s)| vec![c; s])
            .collect();
        for i in (1..truth.len()).rev() {
            truth.swap(i, rng.gen_range(0..=i));
        }
        let x = Array2::from_shape_fn((truth.len(), 6), |(i, j)| {
            let center = if j == truth[i] { 10.0 } else { 0.0 };
            center + 0.7 * normal(&mut rng)
        });
        (x, truth)
    }

    fn settings(k_min: usize, k_max: usize) -> KMeansSettings {
        KMeansSettings {
            k_min,
            k_max,
            ..KMeansSettings::default()
        }
    }

    fn naive_silhouette(x: &Array2<f64>, labels: &[usize], k: usize) -> f64 {
        let n = x.nrows();
        let dist = |i: usize, j: usize| {
            x.row(i)
                .iter()
                .zip(x.row(j).iter())
                .map(|(a, b)| (a - b).powi(2))
                .sum::<f64>()
                .sqrt()
        };
        let mut total = 0.0;
        for i in 0..n {
            let mut sum = vec![0.0; k];
            let mut cnt = vec![0usize; k];
            for j in 0..n {
                if j != i {
                    sum[labels[j]] += dist(i, j);
                    cnt[labels[j]] += 1;
                }
            }
            let own = labels[i];
            if cnt[own] == 0 {
                continue;
            }
            let a = sum[own] / cnt[own] as f64;
            let b = (0..k)
                .filter(|&c| c != own && cnt[c] > 0)
                .map(|c| sum[c] / cnt[c] as f64)
                .fold(f64::INFINITY, f64::min);
            total += (b - a) / a.max(b);
        }
        total / n as f64
    }

    #[test]
    fn blobs_choose_four() {
        let (x, truth) = blobs();
        let model = fit(&x, &settings(3, 6)).unwrap();
        assert_eq!(model.k, 4);
        assert_eq!(model.centroids.dim(), (4, 6));
        assert_eq!(model.labels.len(), 400);
        assert!(adjusted_rand_index(&model.labels, &truth) >= 0.99);
        let ks: Vec<usize> = model.scores.iter().map(|s| s.k).collect();
        assert_eq!(ks, vec![3, 4, 5, 6]);
        let best = model
            .scores
            .iter()
            .max_by(|a, b| a.silhouette.total_cmp(&b.silhouette))
            .unwrap();
        assert_eq!(best.k, 4);
        // Canonical order: sizes descending, so label 0 is the largest blob (130 rows).
        let mut sizes = [0usize; 4];
        model.labels.iter().for_each(|&l| sizes[l] += 1);
        assert_eq!(sizes, [130, 110, 90, 70]);
        // Inertia falls as k grows on this data.
        assert!(model.scores[0].inertia > model.scores[1].inertia);
    }

    #[test]
    fn blobs_subsampled_fit() {
        let (x, truth) = blobs();
        let s = KMeansSettings {
            fit_sample: 150,
            silhouette_sample: 120,
            ..settings(3, 6)
        };
        let model = fit(&x, &s).unwrap();
        assert_eq!(model.k, 4);
        assert_eq!(model.labels.len(), 400);
        assert!(adjusted_rand_index(&model.labels, &truth) >= 0.99);
    }

    #[test]
    fn deterministic() {
        let (x, _) = blobs();
        let s = KMeansSettings {
            fit_sample: 300,
            silhouette_sample: 200,
            ..settings(2, 5)
        };
        let a = fit(&x, &s).unwrap();
        let b = fit(&x, &s).unwrap();
        assert_eq!(a.labels, b.labels);
        assert_eq!(a.centroids, b.centroids);
        assert_eq!(a.scores, b.scores);
    }

    #[test]
    fn clamps_k_max() {
        let x = Array2::from_shape_fn((5, 2), |(i, j)| (i * 3 + j) as f64);
        let model = fit(&x, &settings(2, 10)).unwrap();
        assert_eq!(model.scores.last().map(|s| s.k), Some(4));
    }

    #[test]
    fn ari_cases() {
        let a = [0, 0, 1, 1, 2, 2];
        assert!((adjusted_rand_index(&a, &a) - 1.0).abs() < 1e-12);
        let permuted = [7, 7, 3, 3, 100, 100];
        assert!((adjusted_rand_index(&a, &permuted) - 1.0).abs() < 1e-12);
        // Contingency {2, 1, 1}: index 1, expected 2*1/6, max 3/2 -> (2/3)/(7/6) = 4/7.
        let v = adjusted_rand_index(&[0, 0, 1, 1], &[0, 0, 1, 2]);
        assert!((v - 4.0 / 7.0).abs() < 1e-12, "{v}");
        assert_eq!(adjusted_rand_index(&[1, 1, 1], &[2, 2, 2]), 1.0);
        let mut rng = Xoshiro256Plus::seed_from_u64(3);
        let truth: Vec<usize> = (0..4000).map(|i| i % 4).collect();
        let random: Vec<usize> = (0..4000).map(|_| rng.gen_range(0..4)).collect();
        assert!(adjusted_rand_index(&truth, &random).abs() < 0.01);
    }

    #[test]
    fn silhouette_far_clusters() {
        let x = Array2::from_shape_fn((100, 3), |(i, j)| {
            if i < 50 {
                j as f64 * 1e-3 * (i % 5) as f64
            } else {
                1e3 + (i % 3) as f64 * 1e-3
            }
        });
        let labels: Vec<usize> = (0..100).map(|i| usize::from(i >= 50)).collect();
        let s = silhouette(x.view(), &labels, 2);
        assert!(s > 0.999, "{s}");
    }

    #[test]
    fn silhouette_matches_naive() {
        let mut rng = Xoshiro256Plus::seed_from_u64(11);
        let x = Array2::from_shape_fn((203, 5), |_| normal(&mut rng));
        let mut labels: Vec<usize> = (0..203).map(|_| rng.gen_range(0..3)).collect();
        labels[17] = 3; // a singleton cluster
        let fast = silhouette(x.view(), &labels, 4);
        let slow = naive_silhouette(&x, &labels, 4);
        assert!((fast - slow).abs() < 1e-12, "{fast} vs {slow}");
        // A non-standard layout gives the same answer.
        let t = x.t().to_owned();
        let fast_t = silhouette(t.t(), &labels, 4);
        assert!((fast_t - slow).abs() < 1e-12);
    }

    #[test]
    fn assign_matches_naive() {
        let mut rng = Xoshiro256Plus::seed_from_u64(5);
        let x = Array2::from_shape_fn((9000, 7), |_| normal(&mut rng));
        let c = Array2::from_shape_fn((5, 7), |_| normal(&mut rng));
        let got = assign(x.view(), c.view());
        for (i, &g) in got.iter().enumerate() {
            let d: Vec<f64> = c
                .rows()
                .into_iter()
                .map(|r| {
                    r.iter()
                        .zip(x.row(i).iter())
                        .map(|(a, b)| (a - b).powi(2))
                        .sum()
                })
                .collect();
            let best = (0..5).min_by(|&a, &b| d[a].total_cmp(&d[b])).unwrap();
            assert_eq!(g, best);
        }
    }

    #[test]
    fn errors() {
        let x = Array2::from_shape_fn((3, 2), |(i, j)| (i + j) as f64);
        let msg = fit(&x, &settings(3, 5)).unwrap_err().to_string();
        assert!(msg.contains("too few"), "{msg}");
        let (mut x, _) = blobs();
        x[[12, 4]] = f64::NAN;
        let msg = fit(&x, &settings(3, 5)).unwrap_err().to_string();
        assert!(msg.contains("row 12") && msg.contains("column 4"), "{msg}");
        let (x, _) = blobs();
        assert!(fit(&x, &settings(1, 5))
            .unwrap_err()
            .to_string()
            .contains("k_min"));
        assert!(fit(&x, &settings(5, 3))
            .unwrap_err()
            .to_string()
            .contains("k_max"));
    }
}
