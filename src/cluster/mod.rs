//! Clustering of per-contact feature vectors into personas.
//!
//! [`fit`] runs k-means (k-means++ seeding, several restarts) for every k in a range on a seeded
//! sample of the rows, scores each k by the mean silhouette on a second seeded sample (the same
//! rows for every k), keeps the best k and assigns every row to its nearest centroid. Clusters
//! come in a canonical order (size descending, ties by centroid lexicographic order), so the
//! result does not depend on how the RNG numbered them; the same input and seed give the same
//! output. k-means is Lloyd's algorithm with Hamerly's bounds (the same result, fewer distances),
//! restarts run in parallel; [`silhouette`] and [`assign`] are exact and parallel over row chunks.

use std::borrow::Cow;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

use ndarray::{Array2, ArrayView2, Axis};
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256Plus;
use tracing::{info, warn};

use crate::error::{Error, Result};

mod quality;
pub mod segment;
pub mod stability;
pub mod structure;

pub use quality::{adjusted_rand_index, silhouette};
pub use segment::{segment, Bucket};

use quality::silhouettes;

/// Seed salts of the fit sample and the silhouette sample, and the multiplier that spreads k.
const FIT_SALT: u64 = 0xA076_1D64_78BD_642F;
const SIL_SALT: u64 = 0xE703_7ED1_A0B4_28DB;
const K_MUL: u64 = 0x9E37_79B9_7F4A_7C15;
/// Fewest rows worth a thread: in assignment, and in the silhouette (a row costs a full pass).
const MIN_ASSIGN_ROWS: usize = 4096;
const MIN_SIL_ROWS: usize = 16;

/// Settings for fitting.
#[derive(Debug, Clone)]
pub struct KMeansSettings {
    /// Smallest number of clusters tried (at least 2).
    pub k_min: usize,
    /// Largest number of clusters tried (clamped to the number of fitted rows minus one).
    pub k_max: usize,
    /// Seed of the samples and of k-means++; the same seed and input give the same model.
    pub seed: u64,
    /// k-means++ restarts per k; the restart of lowest inertia is kept.
    pub restarts: usize,
    /// Most Lloyd iterations per restart.
    pub max_iterations: u64,
    /// Stop when the summed squared centroid shift is at most this times the mean per-feature
    /// variance of the fitted rows (scikit-learn's rule), or when no label changes.
    pub tolerance: f64,
    /// Fit on at most this many rows (uniform sample without replacement, seeded), then assign
    /// all rows.
    pub fit_sample: usize,
    /// Compute the silhouette on at most this many rows (seeded sample, the same for every k).
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
    /// Mean silhouette on the silhouette sample (in -1..=1, higher is better).
    pub silhouette: f64,
    /// Mean squared Euclidean distance of the fitted rows to their nearest centroid.
    pub inertia: f64,
}

/// The chosen model.
#[derive(Debug, Clone)]
pub struct ClusterModel {
    /// Chosen number of clusters.
    pub k: usize,
    /// Centroids, k x d, in canonical order (size descending, ties by centroid lexicographic).
    pub centroids: Array2<f64>,
    /// Cluster of every input row, in `0..k`, canonical order.
    pub labels: Vec<usize>,
    /// Scores of every k tried, ascending k.
    pub scores: Vec<KScore>,
}

impl ClusterModel {
    /// The silhouette of every k tried: "k=3 0.260, k=4 0.294, k=5 0.270".
    pub fn scores_text(&self) -> String {
        self.scores
            .iter()
            .map(|q| format!("k={} {:.3}", q.k, q.silhouette))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Fit k-means for each k in k_min..=k_max, choose the k with the best silhouette (ties -> smaller k), assign every row.
///
/// # Errors
/// [`Error::Cluster`] for invalid settings, fewer rows than k_min, no columns, or a non-finite
/// value (the message names its row and column).
pub fn fit(x: &Array2<f64>, settings: &KMeansSettings) -> Result<ClusterModel> {
    fit_choosing(x, settings, |_| None)
}

/// [`fit`], with the k chosen by `choose` from every k's scores (`None`: by silhouette).
///
/// # Errors
/// As [`fit`].
pub fn fit_choosing(
    x: &Array2<f64>,
    settings: &KMeansSettings,
    choose: impl Fn(&[KScore]) -> Option<usize>,
) -> Result<ClusterModel> {
    let (n, d) = x.dim();
    let (k_min, k_max) = (settings.k_min, validate(x, settings)?);
    // All of x (borrowed, no copy) or a seeded sample of it.
    let fit_rows = sample_rows(x, settings.fit_sample, settings.seed ^ FIT_SALT);
    let sil_rows = sample_rows(x, settings.silhouette_sample, settings.seed ^ SIL_SALT);
    let fit_x = row_major(fit_rows.as_ref().unwrap_or(x).view());
    let sil_x = row_major(sil_rows.as_ref().unwrap_or(x).view());
    let (fit_n, sil_n) = (fit_x.len() / d, sil_x.len() / d);
    info!(n, d, fit_n, sil_n, k_min, k_max, "Clustering.");

    let runs = fit_all_k(&fit_x, d, k_max, settings)?;
    let sil_labels: Vec<_> = runs
        .iter()
        .map(|r| (assign_flat(&sil_x, d, &r.1), r.0))
        .collect();
    let labelings: Vec<_> = sil_labels.iter().map(|(l, k)| (&l[..], *k)).collect();
    let sils = silhouettes(&sil_x, d, &labelings);
    let (mut scores, mut best) = (Vec::with_capacity(runs.len()), 0);
    for (i, (&(k, _, sq_sum), &silhouette)) in runs.iter().zip(&sils).enumerate() {
        let inertia = sq_sum / fit_n as f64;
        info!(k, silhouette, inertia, "Scored k.");
        scores.push(KScore {
            k,
            silhouette,
            inertia,
        });
        // Strictly greater, so ties keep the smaller k; NaN never wins.
        if silhouette > sils[best] || sils[best].is_nan() {
            best = i;
        }
    }
    if let Some(i) = choose(&scores).and_then(|k| scores.iter().position(|s| s.k == k)) {
        best = i;
    }
    let (k, raw, _) = &runs[best];
    let (k, raw_labels) = (*k, assign_flat(&row_major(x.view()), d, raw));
    let (centroids, labels, sizes) = canonicalize(raw, d, raw_labels);
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

/// Checks settings and data; returns k_max clamped to the number of fitted rows minus one.
fn validate(x: &Array2<f64>, s: &KMeansSettings) -> Result<usize> {
    let ((n, d), k_min, k_max) = (x.dim(), s.k_min, s.k_max);
    let problem = if k_min < 2 {
        format!("k_min must be at least 2, got {k_min}")
    } else if k_min > k_max {
        format!("k_min ({k_min}) is greater than k_max ({k_max})")
    } else if s.restarts == 0 || s.max_iterations == 0 {
        "restarts and max_iterations must be at least 1".to_string()
    } else if !(s.tolerance.is_finite() && s.tolerance >= 0.0) {
        format!(
            "tolerance must be finite and not negative, got {}",
            s.tolerance
        )
    } else if s.fit_sample < k_min {
        format!("fit_sample must be at least k_min ({k_min})")
    } else if n < k_min {
        format!("too few rows: {n}, need at least k_min = {k_min}")
    } else if d == 0 {
        format!("the feature matrix has {n} rows but no columns")
    } else if let Some(((r, c), v)) = x.indexed_iter().find(|(_, v)| !v.is_finite()) {
        format!("non-finite value {v} at row {r}, column {c} of the feature matrix")
    } else {
        // k = rows is allowed only when it is k_min (every row its own cluster).
        let clamped = k_max.min((n.min(s.fit_sample) - 1).max(k_min));
        if clamped < k_max {
            warn!(k_max, clamped, "Clamped k_max to the fitted rows - 1.");
        }
        return Ok(clamped);
    };
    Err(Error::Cluster(problem))
}

/// A seeded uniform sample of `max` rows in their original order; `None` when x has no more.
fn sample_rows(x: &Array2<f64>, max: usize, seed: u64) -> Option<Array2<f64>> {
    if x.nrows() <= max {
        return None;
    }
    let mut rng = Xoshiro256Plus::seed_from_u64(seed);
    let mut idx = rand::seq::index::sample(&mut rng, x.nrows(), max).into_vec();
    idx.sort_unstable();
    Some(x.select(Axis(0), &idx))
}

/// Orders clusters by size descending, ties by centroid lexicographic order, and relabels.
/// Returns the centroids (k x d), the labels and the sizes, all in the new order.
fn canonicalize(c: &[f64], d: usize, labels: Vec<usize>) -> (Array2<f64>, Vec<usize>, Vec<usize>) {
    let k = c.len() / d;
    let mut sizes = vec![0usize; k];
    labels.iter().for_each(|&l| sizes[l] += 1);
    let lex = |a: usize, b: usize| {
        let mut cmp = row(c, d, a)
            .iter()
            .zip(row(c, d, b))
            .map(|(p, q)| p.total_cmp(q));
        cmp.find(|o| o.is_ne()).unwrap_or(a.cmp(&b))
    };
    let mut order: Vec<usize> = (0..k).collect();
    order.sort_by(|&a, &b| sizes[b].cmp(&sizes[a]).then_with(|| lex(a, b)));
    let mut new_label = vec![0; k];
    for (new, &old) in order.iter().enumerate() {
        new_label[old] = new;
    }
    let centroids = Array2::from_shape_fn((k, d), |(i, j)| c[order[i] * d + j]);
    let labels = labels.into_iter().map(|l| new_label[l]).collect();
    (centroids, labels, order.iter().map(|&o| sizes[o]).collect())
}

/// The best restart of one k: k, row-major centroids, summed squared distance of the rows.
type Run = (usize, Vec<f64>, f64);

/// Runs every (k, restart) job on scoped threads; returns each k's restart of lowest inertia
/// (ties: the earlier restart). Restart r of k uses the RNG seeded from (seed, k), jumped r
/// times, so the result does not depend on thread scheduling.
fn fit_all_k(x: &[f64], d: usize, k_max: usize, s: &KMeansSettings) -> Result<Vec<Run>> {
    let n = x.len() / d;
    let mut jobs = Vec::new();
    for k in s.k_min..=k_max {
        let mut rng = Xoshiro256Plus::seed_from_u64(s.seed ^ (k as u64).wrapping_mul(K_MUL));
        for _ in 0..s.restarts {
            jobs.push((k, rng.clone()));
            rng.jump();
        }
    }
    let mut mean = vec![0.0; d];
    x.chunks_exact(d)
        .for_each(|r| add(&mut mean, r, 1.0 / n as f64));
    let var = x.chunks_exact(d).map(|r| sq_dist(r, &mean)).sum::<f64>() / x.len() as f64;
    let tol = s.tolerance * var;
    let next = AtomicUsize::new(0);
    let mut runs: Vec<Option<Run>> = vec![None; jobs.len()];
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..cores().min(jobs.len()))
            .map(|_| {
                scope.spawn(|| {
                    let mut done = Vec::new();
                    loop {
                        let j = next.fetch_add(1, Relaxed);
                        let Some((k, rng)) = jobs.get(j) else {
                            break done;
                        };
                        let init = kmeans_pp(x, d, *k, &mut rng.clone());
                        let (c, sq_sum) = lloyd(x, d, init, s.max_iterations, tol);
                        done.push((j, (*k, c, sq_sum)));
                    }
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
    // min_by keeps the first of equal minima: ties go to the earlier restart.
    let best = |rs: &[Option<Run>]| {
        rs.iter()
            .flatten()
            .min_by(|a, b| a.2.total_cmp(&b.2))
            .cloned()
    };
    runs.chunks(s.restarts)
        .map(best)
        .collect::<Option<Vec<Run>>>()
        .ok_or_else(|| Error::Cluster("a k-means restart did not finish".to_string()))
}

/// k-means++ seeding: the first centroid uniformly, each next one with probability
/// proportional to the squared distance to the nearest centroid chosen so far.
fn kmeans_pp(x: &[f64], d: usize, k: usize, rng: &mut Xoshiro256Plus) -> Vec<f64> {
    let n = x.len() / d;
    let mut c = row(x, d, rng.gen_range(0..n)).to_vec();
    let mut dist: Vec<f64> = x.chunks_exact(d).map(|r| sq_dist(r, &c)).collect();
    for _ in 1..k {
        let mut t = rng.gen::<f64>() * dist.iter().sum::<f64>();
        // The first row where the running sum passes t (else, after rounding, the last one
        // of positive weight).
        let mut pick = 0;
        for (i, &w) in dist.iter().enumerate().filter(|p| *p.1 > 0.0) {
            (pick, t) = (i, t - w);
            if t < 0.0 {
                break;
            }
        }
        let start = c.len();
        c.extend_from_slice(row(x, d, pick));
        for (di, r) in dist.iter_mut().zip(x.chunks_exact(d)) {
            *di = di.min(sq_dist(r, &c[start..]));
        }
    }
    c
}

/// Lloyd's k-means from centroids `c`, with Hamerly's bounds to skip rows whose nearest
/// centroid cannot have changed. Stops when no label changes, the summed squared centroid
/// shift is at most `tol`, or after `max_iter` updates; an emptied cluster moves to the row
/// of largest distance bound. Returns the centroids and the rows' summed squared distance.
fn lloyd(x: &[f64], d: usize, mut c: Vec<f64>, max_iter: u64, tol: f64) -> (Vec<f64>, f64) {
    let (n, k) = (x.len() / d, c.len() / d);
    let mut h = Hamerly::default();
    h.exact(x, d, &c);
    let (mut moved, mut half_gap) = (vec![0.0; k], vec![0.0; k]);
    for _ in 0..max_iter {
        let mut new_c = h.sums.clone();
        let mut relocated = false;
        for (j, cj) in new_c.chunks_exact_mut(d).enumerate() {
            if h.counts[j] == 0 {
                let far = (0..n).fold(0, |b, i| if h.u[i] > h.u[b] { i } else { b });
                cj.copy_from_slice(row(x, d, far));
                (h.u[far], relocated) = (0.0, true);
            } else {
                cj.iter_mut().for_each(|v| *v /= h.counts[j] as f64);
            }
        }
        for (j, m) in moved.iter_mut().enumerate() {
            *m = sq_dist(row(&c, d, j), row(&new_c, d, j)).sqrt();
        }
        let shift: f64 = moved.iter().map(|m| m * m).sum();
        c = new_c;
        let changed = if relocated {
            h.exact(x, d, &c)
        } else {
            let top = (0..k).fold(0, |b, j| if moved[j] > moved[b] { j } else { b });
            let second = (0..k)
                .filter(|&j| j != top)
                .map(|j| moved[j])
                .fold(0.0, f64::max);
            for (j, g) in half_gap.iter_mut().enumerate() {
                let others = (0..k)
                    .filter(|&o| o != j)
                    .map(|o| sq_dist(row(&c, d, j), row(&c, d, o)));
                *g = others.fold(f64::INFINITY, f64::min).sqrt() / 2.0;
            }
            let mut changed = 0;
            for i in 0..n {
                let a = h.a[i];
                h.u[i] += moved[a];
                h.l[i] -= if a == top { second } else { moved[top] };
                let bound = half_gap[a].max(h.l[i]);
                if h.u[i] > bound {
                    h.u[i] = sq_dist(row(x, d, i), row(&c, d, a)).sqrt();
                    if h.u[i] > bound {
                        changed += h.scan(x, d, &c, i);
                    }
                }
            }
            changed
        };
        if changed == 0 || shift <= tol {
            break;
        }
    }
    let sq_sum = (0..n)
        .map(|i| sq_dist(row(x, d, i), row(&c, d, h.a[i])))
        .sum();
    (c, sq_sum)
}

/// Hamerly's per-row state (label, upper bound to its centroid, lower bound to any other) and
/// per-cluster coordinate sums and counts.
#[derive(Default)]
struct Hamerly {
    a: Vec<usize>,
    u: Vec<f64>,
    l: Vec<f64>,
    sums: Vec<f64>,
    counts: Vec<usize>,
}

impl Hamerly {
    /// Exact labels and bounds of every row; rebuilds sums and counts. Returns the row count.
    fn exact(&mut self, x: &[f64], d: usize, c: &[f64]) -> usize {
        let n = x.len() / d;
        (self.sums, self.counts) = (vec![0.0; c.len()], vec![0; c.len() / d]);
        (self.a, self.u, self.l) = (vec![usize::MAX; n], vec![0.0; n], vec![0.0; n]);
        (0..self.a.len()).map(|i| self.scan(x, d, c, i)).sum()
    }

    /// Moves row `i` (and its share of the sums) to its nearest centroid; 1 if it changed.
    fn scan(&mut self, x: &[f64], d: usize, c: &[f64], i: usize) -> usize {
        let xi = row(x, d, i);
        let (mut best, mut d1, mut d2) = (0, f64::INFINITY, f64::INFINITY);
        for (j, cj) in c.chunks_exact(d).enumerate() {
            let dist = sq_dist(xi, cj);
            if dist < d1 {
                (best, d1, d2) = (j, dist, d1);
            } else if dist < d2 {
                d2 = dist;
            }
        }
        (self.u[i], self.l[i]) = (d1.sqrt(), d2.sqrt());
        let old = std::mem::replace(&mut self.a[i], best);
        if old == best {
            return 0;
        }
        if old != usize::MAX {
            self.counts[old] -= 1;
            add(&mut self.sums[old * d..][..d], xi, -1.0);
        }
        self.counts[best] += 1;
        add(&mut self.sums[best * d..][..d], xi, 1.0);
        1
    }
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
    assign_flat(&row_major(x), x.ncols(), &row_major(centroids))
}

/// [`assign`] on row-major slices with `d > 0` columns.
fn assign_flat(x: &[f64], d: usize, c: &[f64]) -> Vec<usize> {
    let mut labels = vec![0; x.len() / d];
    par_rows(&mut labels, MIN_ASSIGN_ROWS, |start, out| {
        for (i, o) in (start..).zip(out.iter_mut()) {
            let dists = c
                .chunks_exact(d)
                .map(|cj| sq_dist(row(x, d, i), cj))
                .enumerate();
            *o = dists
                .fold(
                    (0, f64::INFINITY),
                    |b, (j, v)| if v < b.1 { (j, v) } else { b },
                )
                .0;
        }
    });
    labels
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

/// `acc += scale * v`, elementwise.
fn add(acc: &mut [f64], v: &[f64], scale: f64) {
    acc.iter_mut().zip(v).for_each(|(a, v)| *a += scale * v);
}

/// Row `i` of a row-major matrix with `d` columns.
#[inline]
fn row(x: &[f64], d: usize, i: usize) -> &[f64] {
    &x[i * d..(i + 1) * d]
}

/// The matrix as a row-major slice: borrowed when in standard layout, copied otherwise.
fn row_major(x: ArrayView2<'_, f64>) -> Cow<'_, [f64]> {
    x.to_slice()
        .map_or_else(|| Cow::Owned(x.iter().copied().collect()), Cow::Borrowed)
}

/// Number of threads to use.
fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |c| c.get())
}

/// Runs `f(first_row, chunk)` over contiguous chunks of `out` (one item per row) on scoped
/// threads, at most one chunk per core and none under `min_rows` rows.
fn par_rows<T: Send>(out: &mut [T], min_rows: usize, f: impl Fn(usize, &mut [T]) + Sync) {
    let threads = cores().min(out.len() / min_rows).max(1);
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
mod tests;
