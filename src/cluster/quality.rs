//! Clustering quality: the mean silhouette of a labelling (exact, parallel over row chunks),
//! used to choose k, and the adjusted Rand index between two labellings, used to compare found
//! personas with planted ones.

use std::collections::HashMap;

use ndarray::ArrayView2;

use super::rows::{par_rows, row, row_major, sq_dist};

/// Fewest rows worth a thread in the silhouette (a row costs a full pass over the rows).
const MIN_SIL_ROWS: usize = 16;

/// Mean silhouette of `labels` over the rows of `x` (exact, all pairs), computed in parallel over row chunks.
///
/// Euclidean distances. A row in a singleton cluster scores 0, as does every row when only one
/// cluster is populated; labels should lie in `0..k` (a larger one widens the range). An empty
/// `x` gives 0.
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

/// Mean silhouettes of several labelings of the same rows, computing each distance once.
pub(super) fn silhouettes(x: &[f64], d: usize, labelings: &[(&[usize], usize)]) -> Vec<f64> {
    let n = x.len().checked_div(d).unwrap_or(0);
    if n == 0 {
        return vec![0.0; labelings.len()];
    }
    // Cluster sizes of all labelings side by side: labeling l owns offsets[l]..offsets[l + 1].
    let mut offsets = vec![0];
    for (labels, k) in labelings {
        let width = labels.iter().map(|&l| l + 1).max().unwrap_or(0).max(*k);
        offsets.push(offsets[offsets.len() - 1] + width);
    }
    let mut sizes = vec![0usize; offsets[labelings.len()]];
    for ((labels, _), off) in labelings.iter().zip(&offsets) {
        labels.iter().for_each(|&c| sizes[off + c] += 1);
    }
    // Per-row values, summed in row order below: the split over threads cannot change the sum.
    let mut per_row = vec![Vec::new(); n];
    par_rows(&mut per_row, MIN_SIL_ROWS, |start, out| {
        let mut sums = vec![0.0; sizes.len()];
        for (i, out) in (start..).zip(out.iter_mut()) {
            sums.fill(0.0);
            // Row i's distance to itself is 0, so it needs no skipping.
            for (j, xj) in x.chunks_exact(d).enumerate() {
                let dist = sq_dist(row(x, d, i), xj).sqrt();
                for ((labels, _), off) in labelings.iter().zip(&offsets) {
                    sums[off + labels[j]] += dist;
                }
            }
            *out = (0..labelings.len())
                .map(|l| {
                    let own = offsets[l] + labelings[l].0[i];
                    let b = (offsets[l]..offsets[l + 1])
                        .filter(|&c| c != own && sizes[c] > 0)
                        .map(|c| sums[c] / sizes[c] as f64)
                        .fold(f64::INFINITY, f64::min);
                    let a = sums[own] / sizes[own].saturating_sub(1).max(1) as f64;
                    let defined = sizes[own] > 1 && b.is_finite() && a.max(b) > 0.0;
                    if defined {
                        (b - a) / a.max(b)
                    } else {
                        0.0
                    }
                })
                .collect();
        }
    });
    let mean = |l: usize| per_row.iter().map(|r| r[l]).sum::<f64>() / n as f64;
    (0..labelings.len()).map(mean).collect()
}

/// Adjusted Rand index between two labelings (any label values, usize).
///
/// 1 for the same partition whatever the label values, about 0 for independent ones, possibly
/// negative. Fewer than two items, or the same trivial partition (one cluster, or all
/// singletons), give 1.
///
/// # Panics
/// When `a` and `b` differ in length.
pub fn adjusted_rand_index(a: &[usize], b: &[usize]) -> f64 {
    assert_eq!(a.len(), b.len(), "labelings must have the same length");
    let mut pairs: HashMap<(usize, usize), u64> = HashMap::new();
    let (mut rows, mut cols) = (HashMap::<usize, u64>::new(), HashMap::<usize, u64>::new());
    for (&p, &q) in a.iter().zip(b) {
        *pairs.entry((p, q)).or_default() += 1;
        *rows.entry(p).or_default() += 1;
        *cols.entry(q).or_default() += 1;
    }
    fn comb2<'a>(counts: impl Iterator<Item = &'a u64>) -> f64 {
        counts.map(|&c| c as f64 * (c as f64 - 1.0) / 2.0).sum()
    }
    let index = comb2(pairs.values());
    let (sum_a, sum_b) = (comb2(rows.values()), comb2(cols.values()));
    let expected = sum_a * sum_b / comb2([a.len() as u64].iter());
    let denom = (sum_a + sum_b) / 2.0 - expected;
    if a.len() < 2 || denom == 0.0 {
        return 1.0;
    }
    (index - expected) / denom
}
