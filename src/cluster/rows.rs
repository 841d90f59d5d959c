//! Row-major matrices: rows, squared distances, nearest-centroid assignment, and work split
//! over row chunks on scoped threads.

use std::borrow::Cow;

use ndarray::ArrayView2;

/// Fewest rows worth a thread in assignment.
const MIN_ASSIGN_ROWS: usize = 4096;

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
pub(super) fn assign_flat(x: &[f64], d: usize, c: &[f64]) -> Vec<usize> {
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
pub(super) fn sq_dist(a: &[f64], b: &[f64]) -> f64 {
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
pub(super) fn add(acc: &mut [f64], v: &[f64], scale: f64) {
    acc.iter_mut().zip(v).for_each(|(a, v)| *a += scale * v);
}

/// Row `i` of a row-major matrix with `d` columns.
#[inline]
pub(super) fn row(x: &[f64], d: usize, i: usize) -> &[f64] {
    &x[i * d..(i + 1) * d]
}

/// The matrix as a row-major slice: borrowed when in standard layout, copied otherwise.
pub(super) fn row_major(x: ArrayView2<'_, f64>) -> Cow<'_, [f64]> {
    x.to_slice()
        .map_or_else(|| Cow::Owned(x.iter().copied().collect()), Cow::Borrowed)
}

/// Number of threads to use.
pub(super) fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |c| c.get())
}

/// Runs `f(first_row, chunk)` over contiguous chunks of `out` (one item per row) on scoped
/// threads, at most one chunk per core and none under `min_rows` rows.
pub(super) fn par_rows<T: Send>(
    out: &mut [T],
    min_rows: usize,
    f: impl Fn(usize, &mut [T]) + Sync,
) {
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
