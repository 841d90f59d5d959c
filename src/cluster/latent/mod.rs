//! Refining k-means clusters with a latent class model (`cluster.method = "latent_class"`).
//!
//! k-means measures every criterion on one equally weighted Euclidean scale, so a persona
//! that is loose on one attribute (30 % of its contacts on a phone) bleeds into its neighbours.
//! A latent class model describes each persona by a distribution per attribute instead and
//! assumes nothing else than local independence between attributes (the same assumption the
//! independence rule for k tests): a contact belongs to the persona under which their
//! attributes are most likely.
//!
//! Each family of design columns is one attribute ([`Attributes`]): a categorical's levels, a
//! number's decile bin, a composition of shares as counts, any other family's code in a small
//! codebook. Starting from the k-means labels, EM fits each class's share, each categorical
//! attribute's level probabilities and each composition's multinomial (add-half smoothing) and
//! gives every contact the class of highest posterior. The fit is deterministic.

use ndarray::{Array2, Axis};
use tracing::debug;

use super::kmeans::labels_at;
use super::rows::row_major;
use super::KMeansSettings;
use crate::error::Result;

mod attributes;
mod rules;
mod split;

pub use attributes::{Attributes, SHARES_COUNTED_IN};
pub use rules::{Code, Rules, Shares};
pub use split::split_z;

/// Most EM iterations.
const MAX_ITER: usize = 200;
/// Fewest rows per thread in the E-step.
const MIN_ROWS_PER_THREAD: usize = 4096;

/// Each class's log share, and per attribute its log level probabilities (`k * levels`,
/// class-major), categorical attributes first, then compositions: what an E-step reads.
#[derive(Debug, Clone, PartialEq)]
pub struct Parameters {
    /// Log share of each class.
    pub log_share: Vec<f64>,
    /// Per attribute (categorical ones first, then compositions), each class's log level
    /// probabilities, class-major (`k * levels`).
    pub tables: Vec<Vec<f64>>,
}

impl Parameters {
    /// The parameters of the classes `order` (new class `n` is old class `order[n]`).
    fn reordered(&self, order: &[usize]) -> Parameters {
        let k = self.log_share.len();
        Parameters {
            log_share: order.iter().map(|&c| self.log_share[c]).collect(),
            tables: (self.tables.iter())
                .map(|t| {
                    let levels = t.len() / k.max(1);
                    (order.iter())
                        .flat_map(|&c| t[c * levels..(c + 1) * levels].iter().copied())
                        .collect()
                })
                .collect(),
        }
    }
}

/// A latent class fit: each row's class, the parameters whose E-step gave those classes
/// (`None` when nothing was fitted: fewer than 2 classes asked for, or no rows), and the
/// log-likelihood.
#[derive(Debug, Clone)]
pub struct Classes {
    /// Each row's class.
    pub labels: Vec<usize>,
    /// The parameters every row's class is the most likely under.
    pub params: Option<Parameters>,
    /// Log-likelihood of the fit (0 when nothing was fitted).
    pub loglik: f64,
}

impl Classes {
    /// The classes `labels` as they are, without parameters.
    pub fn of(labels: Vec<usize>) -> Classes {
        Classes {
            labels,
            params: None,
            loglik: 0.0,
        }
    }

    /// Classes renumbered by size, largest first (ties: the lower old class), empty classes
    /// dropped (see [`canonical`]); with the number of classes left.
    pub fn canonical(self, k: usize) -> (Classes, usize) {
        let order = size_order(&self.labels, k);
        let mut rank = vec![0; k];
        (order.iter().enumerate()).for_each(|(new, &old)| rank[old] = new);
        let classes = Classes {
            labels: self.labels.iter().map(|&l| rank[l]).collect(),
            params: self.params.map(|p| p.reordered(&order)),
            loglik: self.loglik,
        };
        (classes, order.len())
    }
}

/// The M-step: the parameters from the responsibilities `resp` (`k` per row).
fn maximise(attrs: &Attributes, resp: &[f64], k: usize) -> Parameters {
    let n = attrs.len();
    let mut mass = vec![0.0; k];
    resp.chunks_exact(k)
        .for_each(|r| r.iter().zip(&mut mass).for_each(|(p, m)| *m += p));
    let log_share = mass
        .iter()
        .map(|m| (m / n as f64).max(1e-12).ln())
        .collect();
    let normalise = |mut t: Vec<f64>, levels: usize| {
        for row in t.chunks_exact_mut(levels) {
            let total: f64 = row.iter().sum();
            row.iter_mut().for_each(|p| *p = (*p / total).ln());
        }
        t
    };
    let mut tables: Vec<Vec<f64>> = attrs
        .categorical
        .iter()
        .map(|a| {
            let mut t = vec![0.5; k * a.levels];
            for (r, &code) in a.codes.iter().enumerate() {
                (0..k).for_each(|c| t[c * a.levels + code as usize] += resp[r * k + c]);
            }
            normalise(t, a.levels)
        })
        .collect();
    tables.extend(attrs.compositions.iter().map(|comp| {
        let mut t = vec![0.5; k * comp.levels];
        for (r, counts) in comp.counts.chunks_exact(comp.levels).enumerate() {
            for c in 0..k {
                let p = resp[r * k + c];
                let row = &mut t[c * comp.levels..(c + 1) * comp.levels];
                row.iter_mut().zip(counts).for_each(|(t, n)| *t += p * n);
            }
        }
        normalise(t, comp.levels)
    }));
    Parameters { log_share, tables }
}

/// The E-step for the rows from `first` on: their responsibilities into `resp` (`k` per row)
/// and their most likely class into `labels`; returns their log-likelihood.
fn expect(
    attrs: &Attributes,
    params: &Parameters,
    first: usize,
    resp: &mut [f64],
    labels: &mut [usize],
) -> f64 {
    let k = params.log_share.len();
    let categorical = attrs.categorical.iter().zip(&params.tables);
    let compositions = (attrs.compositions.iter()).zip(&params.tables[attrs.categorical.len()..]);
    let mut loglik = 0.0;
    for (i, (ll, label)) in resp.chunks_exact_mut(k).zip(labels).enumerate() {
        let r = first + i;
        for (c, l) in ll.iter_mut().enumerate() {
            *l = params.log_share[c]
                + (categorical.clone())
                    .map(|(a, t)| t[c * a.levels + a.codes[r] as usize])
                    .sum::<f64>()
                + (compositions.clone())
                    .map(|(comp, t)| {
                        let counts = &comp.counts[r * comp.levels..(r + 1) * comp.levels];
                        let logs = &t[c * comp.levels..(c + 1) * comp.levels];
                        counts.iter().zip(logs).map(|(n, lp)| n * lp).sum::<f64>()
                    })
                    .sum::<f64>();
        }
        let max = ll.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        ll.iter_mut().for_each(|l| *l = (*l - max).exp());
        let total: f64 = ll.iter().sum();
        loglik += max + total.ln();
        ll.iter_mut().for_each(|l| *l /= total);
        *label = (0..k)
            .max_by(|&a, &b| ll[a].total_cmp(&ll[b]).then(b.cmp(&a)))
            .unwrap_or(0);
    }
    loglik
}

/// The labels of `k` latent classes fitted by EM from the starting `labels` (one per row of
/// `attrs`, in `0..k`).
pub fn refine(attrs: &Attributes, labels: &[usize], k: usize) -> Classes {
    if k < 2 {
        return unfitted(labels);
    }
    fit(attrs, labels, k)
}

/// The classes `labels` as they are, without parameters.
fn unfitted(labels: &[usize]) -> Classes {
    Classes::of(labels.to_vec())
}

/// [`refine`], also for `k = 1` (one class).
pub fn fit(attrs: &Attributes, labels: &[usize], k: usize) -> Classes {
    let n = attrs.len();
    if n == 0 || k == 0 || labels.len() != n {
        return unfitted(labels);
    }
    let mut resp = vec![0.0; n * k];
    labels
        .iter()
        .enumerate()
        .for_each(|(r, &c)| resp[r * k + c.min(k - 1)] = 1.0);
    let mut last = labels.to_vec();
    let mut loglik = 0.0;
    let mut fitted = None;
    let threads = super::rows::cores().min(n / MIN_ROWS_PER_THREAD).max(1);
    let chunk = n.div_ceil(threads);
    for iter in 0..MAX_ITER {
        let params = maximise(attrs, &resp, k);
        let mut now = vec![0; n];
        let p = &params;
        loglik = std::thread::scope(|scope| {
            let parts = resp.chunks_mut(chunk * k).zip(now.chunks_mut(chunk));
            let handles: Vec<_> = parts
                .enumerate()
                .map(|(t, (resp, labels))| {
                    scope.spawn(move || expect(attrs, p, t * chunk, resp, labels))
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
                .sum()
        });
        let changed = now.iter().zip(&last).filter(|(a, b)| a != b).count();
        last = now;
        fitted = Some(params);
        if (changed == 0 && iter > 0) || k == 1 {
            debug!(iter, "Latent classes converged.");
            break;
        }
    }
    Classes {
        labels: last,
        params: fitted,
        loglik,
    }
}

/// Of the EM fits from each of `starts` (labels in `0..k`), the labels of the highest
/// likelihood (ties: the earlier start). EM finds a local optimum near its start; k-means
/// starts favour splitting large personas over keeping a small one whole, so the callers add
/// starts that k-means would not give (see [`divided`]).
pub fn best_of(attrs: &Attributes, starts: &[Vec<usize>], k: usize) -> Classes {
    let mut best: Option<Classes> = None;
    for start in starts {
        let classes = fit(attrs, start, k);
        if best.as_ref().is_none_or(|b| classes.loglik > b.loglik) {
            best = Some(classes);
        }
    }
    best.unwrap_or_else(|| unfitted(&[]))
}

/// A start for one class more: `labels` (classes `0..k`) with class `class` divided in two by
/// two latent classes fitted on its rows (EM from 2-means on its rows of `x`); its second half
/// becomes class `k`.
pub fn divided(
    x: &Array2<f64>,
    attrs: &Attributes,
    labels: &[usize],
    (class, k): (usize, usize),
    km: &KMeansSettings,
) -> Result<Vec<usize>> {
    let rows: Vec<usize> = (0..labels.len()).filter(|&r| labels[r] == class).collect();
    let mut out = labels.to_vec();
    if rows.len() < 2 || x.ncols() == 0 {
        return Ok(out);
    }
    let sub = x.select(Axis(0), &rows);
    let Some(start) = labels_at(&row_major(sub.view()), sub.ncols(), 2, km)? else {
        return Ok(out);
    };
    let halves = refine(&attrs.select(&rows), &start, 2).labels;
    for (&r, &h) in rows.iter().zip(&halves) {
        if h == 1 {
            out[r] = k;
        }
    }
    Ok(out)
}

/// `labels` renumbered by class size, largest first (ties: the lower old label), empty
/// classes dropped; with the number of classes left.
pub fn canonical(labels: &[usize], k: usize) -> (Vec<usize>, usize) {
    let (classes, groups) = unfitted(labels).canonical(k);
    (classes.labels, groups)
}

/// The non-empty classes of `labels` (in `0..k`) by size, largest first (ties: the lower).
fn size_order(labels: &[usize], k: usize) -> Vec<usize> {
    let mut sizes = vec![0usize; k];
    labels.iter().for_each(|&l| sizes[l] += 1);
    let mut order: Vec<usize> = (0..k).filter(|&c| sizes[c] > 0).collect();
    order.sort_by(|&a, &b| sizes[b].cmp(&sizes[a]).then(a.cmp(&b)));
    order
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::features::Design;
    use ndarray::Array2;
    use rand::{Rng, SeedableRng};
    use rand_xoshiro::Xoshiro256Plus;

    /// A design of `x` whose columns are each their own family.
    pub(super) fn design(x: Array2<f64>, columns: &[&str], families: &[usize]) -> Design {
        Design {
            matrix: x,
            columns: columns.iter().map(|c| c.to_string()).collect(),
            families: families.to_vec(),
            family_names: Vec::new(),
            criteria: Vec::new(),
            encodings: Vec::new(),
        }
    }

    #[test]
    fn em_recovers_classes_that_k_means_started_from_a_bad_cut() {
        // Two classes over 6 yes/no attributes: class 0 mostly yes on the first three, class 1
        // on the last three; 25 % noise per attribute. Start from a cut that is half wrong.
        let mut rng = Xoshiro256Plus::seed_from_u64(5);
        let n = 800;
        let truth: Vec<usize> = (0..n).map(|i| i % 2).collect();
        let x = Array2::from_shape_fn((n, 6), |(r, j)| {
            let yes = if rng.gen::<f64>() < 0.25 {
                rng.gen::<bool>()
            } else {
                (j < 3) == (truth[r] == 0)
            };
            f64::from(u8::from(yes))
        });
        let d = design(
            x,
            &["a0", "a1", "a2", "a3", "a4", "a5"],
            &[0, 1, 2, 3, 4, 5],
        );
        let attrs = Attributes::new(&d, None, 1).unwrap();
        let start: Vec<usize> = (0..n)
            .map(|i| if i < n / 4 { 1 - truth[i] } else { truth[i] })
            .collect();
        let fitted = refine(&attrs, &start, 2).labels;
        let agree = fitted.iter().zip(&truth).filter(|(a, b)| a == b).count();
        let agree = agree.max(n - agree);
        assert!(agree as f64 > 0.9 * n as f64, "{agree} of {n}");
    }

    #[test]
    fn canonical_order_is_by_size_and_drops_empty_classes() {
        assert_eq!(
            canonical(&[2, 2, 0, 2, 0, 3], 4),
            (vec![0, 0, 1, 0, 1, 2], 3)
        );
    }
}
