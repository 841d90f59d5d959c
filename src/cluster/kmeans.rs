//! k-means for one k: k-means++ seeding, Lloyd's algorithm with Hamerly's bounds (the same
//! result, fewer distances), and every (k, restart) job run in parallel with results that do
//! not depend on thread scheduling.

use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256Plus;

use super::rows::{add, assign_flat, cores, row, sq_dist};
use super::KMeansSettings;
use crate::error::{Error, Result};

/// The multiplier that spreads k in the seed of each k's RNG.
const K_MUL: u64 = 0x9E37_79B9_7F4A_7C15;

/// The best restart of one k: k, row-major centroids, summed squared distance of the rows.
pub(super) type Run = (usize, Vec<f64>, f64);

/// Runs every (k, restart) job on scoped threads; returns each k's restart of lowest inertia
/// (ties: the earlier restart). Restart r of k uses the RNG seeded from (seed, k), jumped r
/// times, so the result does not depend on thread scheduling.
pub(super) fn fit_all_k(x: &[f64], d: usize, k_max: usize, s: &KMeansSettings) -> Result<Vec<Run>> {
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

/// Each row's cluster under k-means with `k` clusters (the best of `s.restarts` restarts,
/// seeded from `s.seed`; `s`'s k range is ignored); `None` when no restart finished.
pub(super) fn labels_at(
    x: &[f64],
    d: usize,
    k: usize,
    s: &KMeansSettings,
) -> Result<Option<Vec<usize>>> {
    Ok(centroids_at(x, d, k, s)?.map(|(_, labels)| labels))
}

/// [`labels_at`], with the centroids (row-major, `k * d`) every row's label is the nearest of.
pub(super) fn centroids_at(
    x: &[f64],
    d: usize,
    k: usize,
    s: &KMeansSettings,
) -> Result<Option<(Vec<f64>, Vec<usize>)>> {
    let one_k = KMeansSettings {
        k_min: k,
        k_max: k,
        ..s.clone()
    };
    let runs = fit_all_k(x, d, k, &one_k)?;
    Ok(runs.into_iter().next().map(|(_, centroids, _)| {
        let labels = assign_flat(x, d, &centroids);
        (centroids, labels)
    }))
}

/// k-means++ seeding: the first centroid uniformly, each next one with probability
/// proportional to the squared distance to the nearest centroid chosen so far.
pub(super) fn kmeans_pp(x: &[f64], d: usize, k: usize, rng: &mut Xoshiro256Plus) -> Vec<f64> {
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
pub(super) fn lloyd(
    x: &[f64],
    d: usize,
    mut c: Vec<f64>,
    max_iter: u64,
    tol: f64,
) -> (Vec<f64>, f64) {
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
