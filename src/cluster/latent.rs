//! Refining k-means clusters with a latent class model (`cluster.method = "latent_class"`).
//!
//! k-means measures every criterion on one equally weighted Euclidean scale, so a persona
//! that is loose on one attribute (30 % of its contacts on a phone) bleeds into its neighbours.
//! A latent class model describes each persona by a distribution per attribute instead and
//! assumes nothing else than local independence (the same assumption the independence rule for
//! k tests): a contact belongs to the persona under which their attributes are most likely.
//!
//! Every design column becomes a categorical attribute: a categorical's indicators one
//! attribute with its levels, each multi-valued indicator (`tags:promo`) and missing-value
//! indicator a yes/no attribute, each number its decile bin. Starting from the k-means labels,
//! EM fits each class's share and each attribute's level probabilities (add-half smoothing) and
//! gives every contact the class of highest posterior. The fit is deterministic.

use ndarray::Array2;
use tracing::debug;

/// Quantile bins of a number.
const BINS: usize = 10;
/// Most EM iterations.
const MAX_ITER: usize = 200;

/// One attribute: each row's level, and the number of levels.
struct Attribute {
    codes: Vec<u16>,
    levels: usize,
}

/// The design matrix's columns as categorical attributes (see the module header).
fn attributes(x: &Array2<f64>, columns: &[String]) -> Vec<Attribute> {
    let n = x.nrows();
    let mut out = Vec::new();
    let mut done = vec![false; columns.len()];
    for j in 0..columns.len() {
        if done[j] {
            continue;
        }
        if let Some((base, _)) = columns[j].split_once('=') {
            let group: Vec<usize> = (j..columns.len())
                .filter(|&i| columns[i].split_once('=').map(|(b, _)| b) == Some(base))
                .collect();
            group.iter().for_each(|&i| done[i] = true);
            let codes = (0..n)
                .map(|r| {
                    let best = group
                        .iter()
                        .enumerate()
                        .max_by(|a, b| x[[r, *a.1]].total_cmp(&x[[r, *b.1]]))
                        .map_or(0, |(l, _)| l);
                    best as u16
                })
                .collect();
            out.push(Attribute {
                codes,
                levels: group.len(),
            });
        } else {
            done[j] = true;
            out.push(binned(x.column(j).iter().copied().collect()));
        }
    }
    out
}

/// A column as levels: its distinct values when there are at most two, else decile bins.
fn binned(values: Vec<f64>) -> Attribute {
    let mut sorted = values.clone();
    sorted.sort_by(f64::total_cmp);
    sorted.dedup();
    let edges: Vec<f64> = if sorted.len() <= 2 {
        sorted.iter().skip(1).copied().collect()
    } else {
        let mut all = values.clone();
        all.sort_by(f64::total_cmp);
        let mut e: Vec<f64> = (1..BINS)
            .map(|b| all[(b * all.len() / BINS).min(all.len() - 1)])
            .collect();
        e.dedup();
        e
    };
    let codes = values
        .iter()
        .map(|v| edges.partition_point(|e| e <= v) as u16)
        .collect();
    Attribute {
        codes,
        levels: edges.len() + 1,
    }
}

/// The labels of `k` latent classes fitted by EM from the starting `labels`; `columns` names
/// the design columns of `x` (how they are grouped into attributes).
pub fn refine(x: &Array2<f64>, columns: &[String], labels: &[usize], k: usize) -> Vec<usize> {
    let n = x.nrows();
    if n == 0 || k < 2 {
        return labels.to_vec();
    }
    let attrs = attributes(x, columns);
    let mut resp = vec![0.0; n * k];
    labels
        .iter()
        .enumerate()
        .for_each(|(r, &c)| resp[r * k + c] = 1.0);
    let mut last = labels.to_vec();
    for iter in 0..MAX_ITER {
        // M-step: class shares and, per attribute, log level probabilities per class.
        let mut mass = vec![0.0; k];
        (0..n).for_each(|r| (0..k).for_each(|c| mass[c] += resp[r * k + c]));
        let log_pi: Vec<f64> = mass
            .iter()
            .map(|m| (m / n as f64).max(1e-12).ln())
            .collect();
        let tables: Vec<Vec<f64>> = attrs
            .iter()
            .map(|a| {
                let mut t = vec![0.5; k * a.levels];
                for (r, &code) in a.codes.iter().enumerate() {
                    (0..k).for_each(|c| t[c * a.levels + code as usize] += resp[r * k + c]);
                }
                for c in 0..k {
                    let row = &mut t[c * a.levels..(c + 1) * a.levels];
                    let total: f64 = row.iter().sum();
                    row.iter_mut().for_each(|p| *p = (*p / total).ln());
                }
                t
            })
            .collect();
        // E-step: posteriors from the log-likelihoods.
        let mut labels_now = vec![0; n];
        for r in 0..n {
            let ll = &mut resp[r * k..(r + 1) * k];
            for (c, l) in ll.iter_mut().enumerate() {
                *l = log_pi[c]
                    + attrs
                        .iter()
                        .zip(&tables)
                        .map(|(a, t)| t[c * a.levels + a.codes[r] as usize])
                        .sum::<f64>();
            }
            let max = ll.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            ll.iter_mut().for_each(|l| *l = (*l - max).exp());
            let total: f64 = ll.iter().sum();
            ll.iter_mut().for_each(|l| *l /= total);
            labels_now[r] = (0..k)
                .max_by(|&a, &b| ll[a].total_cmp(&ll[b]).then(b.cmp(&a)))
                .unwrap_or(0);
        }
        let changed = labels_now.iter().zip(&last).filter(|(a, b)| a != b).count();
        last = labels_now;
        if changed == 0 && iter > 0 {
            debug!(iter, "Latent classes converged.");
            break;
        }
    }
    last
}

/// `labels` renumbered by class size, largest first (ties: the lower old label), empty
/// classes dropped; with the number of classes left.
pub fn canonical(labels: &[usize], k: usize) -> (Vec<usize>, usize) {
    let mut sizes = vec![0usize; k];
    labels.iter().for_each(|&l| sizes[l] += 1);
    let mut order: Vec<usize> = (0..k).filter(|&c| sizes[c] > 0).collect();
    order.sort_by(|&a, &b| sizes[b].cmp(&sizes[a]).then(a.cmp(&b)));
    let mut rank = vec![0; k];
    order
        .iter()
        .enumerate()
        .for_each(|(new, &old)| rank[old] = new);
    (labels.iter().map(|&l| rank[l]).collect(), order.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_xoshiro::Xoshiro256Plus;

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
        let columns: Vec<String> = (0..6).map(|j| format!("a{j}")).collect();
        let start: Vec<usize> = (0..n)
            .map(|i| if i < n / 4 { 1 - truth[i] } else { truth[i] })
            .collect();
        let fitted = refine(&x, &columns, &start, 2);
        let agree = fitted.iter().zip(&truth).filter(|(a, b)| a == b).count();
        let agree = agree.max(n - agree);
        assert!(agree as f64 > 0.9 * n as f64, "{agree} of {n}");
    }

    #[test]
    fn indicators_of_one_categorical_are_one_attribute() {
        let x = Array2::from_shape_vec((3, 3), vec![1.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 1.0, 0.0])
            .unwrap();
        let columns = vec!["size=a".to_string(), "size=b".into(), "size=c".into()];
        let a = attributes(&x, &columns);
        assert_eq!(a.len(), 1);
        assert_eq!((a[0].levels, a[0].codes.clone()), (3, vec![0, 2, 1]));
    }

    #[test]
    fn canonical_order_is_by_size_and_drops_empty_classes() {
        assert_eq!(
            canonical(&[2, 2, 0, 2, 0, 3], 4),
            (vec![0, 0, 1, 0, 1, 2], 3)
        );
    }
}
