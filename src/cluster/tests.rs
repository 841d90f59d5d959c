//! Tests of k-means, the silhouette, the adjusted Rand index and assignment.

use ndarray::Array2;
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256Plus;

use super::kmeans::{kmeans_pp, lloyd};
use super::rows::{add, assign_flat, row, sq_dist};
use super::*;

fn normal(rng: &mut Xoshiro256Plus) -> f64 {
    let (u1, u2): (f64, f64) = (rng.gen_range(f64::EPSILON..1.0), rng.gen());
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// Four well-separated gaussian blobs of sizes 130/110/90/70 (n = 400, d = 6), shuffled.
fn blobs() -> (Array2<f64>, Vec<usize>) {
    let mut rng = Xoshiro256Plus::seed_from_u64(7);
    let sizes = [130, 110, 90, 70];
    let mut truth: Vec<usize> = (0..4).flat_map(|c| vec![c; sizes[c]]).collect();
    for i in (1..truth.len()).rev() {
        truth.swap(i, rng.gen_range(0..=i));
    }
    let x = Array2::from_shape_fn((400, 6), |(i, j)| {
        10.0 * f64::from(u8::from(j == truth[i])) + 0.7 * normal(&mut rng)
    });
    (x, truth)
}

fn ks(k_min: usize, k_max: usize) -> KMeansSettings {
    KMeansSettings {
        k_min,
        k_max,
        ..KMeansSettings::default()
    }
}

/// [`ks`], fitting on a sample of `fit_sample` rows and scoring silhouettes on
/// `silhouette_sample`.
fn sampled(
    k_min: usize,
    k_max: usize,
    fit_sample: usize,
    silhouette_sample: usize,
) -> KMeansSettings {
    KMeansSettings {
        fit_sample,
        silhouette_sample,
        ..ks(k_min, k_max)
    }
}

#[test]
fn blobs_choose_four_in_canonical_order() {
    let (x, truth) = blobs();
    for s in [ks(3, 6), sampled(3, 6, 150, 120)] {
        let m = fit(&x, &s).unwrap();
        assert_eq!((m.k, m.centroids.dim(), m.labels.len()), (4, (4, 6), 400));
        assert!(adjusted_rand_index(&m.labels, &truth) >= 0.99);
        let by_silhouette = |a: &&KScore, b: &&KScore| a.silhouette.total_cmp(&b.silhouette);
        assert_eq!(m.scores.iter().max_by(by_silhouette).map(|s| s.k), Some(4));
        assert_eq!(
            m.scores.iter().map(|s| s.k).collect::<Vec<_>>(),
            [3, 4, 5, 6]
        );
        let mut sizes = [0; 4];
        m.labels.iter().for_each(|&l| sizes[l] += 1);
        assert_eq!(sizes, [130, 110, 90, 70]);
        // Label l's centroid is blob l's centre (10 in column l).
        (0..4).for_each(|l| assert!((m.centroids[[l, l]] - 10.0).abs() < 0.5));
    }
}

#[test]
fn deterministic_and_clamped() {
    let (x, _) = blobs();
    let s = sampled(2, 5, 300, 200);
    let (a, b) = (fit(&x, &s).unwrap(), fit(&x, &s).unwrap());
    assert_eq!((a.labels, a.centroids), (b.labels, b.centroids));
    assert_eq!(a.scores, b.scores);
    let small = Array2::from_shape_fn((5, 2), |(i, j)| (i * 3 + j * j) as f64);
    let tried: Vec<usize> = fit(&small, &ks(2, 10))
        .unwrap()
        .scores
        .iter()
        .map(|s| s.k)
        .collect();
    assert_eq!(tried, [2, 3, 4]);
    assert_eq!(fit(&small, &ks(5, 6)).unwrap().k, 5);
}

#[test]
fn lloyd_matches_plain_lloyd() {
    let mut rng = Xoshiro256Plus::seed_from_u64(9);
    let x: Vec<f64> = (0..600 * 3).map(|_| normal(&mut rng)).collect();
    let init = kmeans_pp(&x, 3, 5, &mut rng);
    let (c, sq_sum) = lloyd(&x, 3, init.clone(), 500, 0.0);
    let mut plain = init;
    for _ in 0..500 {
        let (mut sums, mut counts) = (vec![0.0; 15], [0.0; 5]);
        for (r, l) in x.chunks_exact(3).zip(assign_flat(&x, 3, &plain)) {
            add(&mut sums[l * 3..][..3], r, 1.0);
            counts[l] += 1.0;
        }
        plain = sums
            .iter()
            .enumerate()
            .map(|(i, s)| s / counts[i / 3])
            .collect();
    }
    assert!(c.iter().zip(&plain).all(|(a, b)| (a - b).abs() < 1e-9));
    let labels = assign_flat(&x, 3, &c);
    let direct: f64 = x
        .chunks_exact(3)
        .zip(labels)
        .map(|(r, l)| sq_dist(r, row(&c, 3, l)))
        .sum();
    assert!((sq_sum - direct).abs() < 1e-9);
}

#[test]
fn ari() {
    let a = [0, 0, 1, 1, 2, 2];
    assert_eq!(adjusted_rand_index(&a, &a), 1.0);
    assert_eq!(adjusted_rand_index(&a, &[7, 7, 3, 3, 100, 100]), 1.0);
    // Contingency {2, 1, 1}: index 1, expected 2 * 1 / 6, max (2 + 1) / 2: (2/3) / (7/6) = 4/7.
    assert!((adjusted_rand_index(&[0, 0, 1, 1], &[0, 0, 1, 2]) - 4.0 / 7.0).abs() < 1e-12);
    assert_eq!(adjusted_rand_index(&[1, 1, 1], &[2, 2, 2]), 1.0);
    let mut rng = Xoshiro256Plus::seed_from_u64(3);
    let truth: Vec<usize> = (0..4000).map(|i| i % 4).collect();
    let random: Vec<usize> = (0..4000).map(|_| rng.gen_range(0..4)).collect();
    assert!(adjusted_rand_index(&truth, &random).abs() < 0.01);
}

fn naive_silhouette(x: &Array2<f64>, labels: &[usize], k: usize) -> f64 {
    let dist = |i: usize, j: usize| (&x.row(i) - &x.row(j)).mapv(|v| v * v).sum().sqrt();
    let n = x.nrows();
    let per_row = (0..n).map(|i| {
        let (mut sum, mut cnt) = (vec![0.0; k], vec![0usize; k]);
        for j in (0..n).filter(|&j| j != i) {
            sum[labels[j]] += dist(i, j);
            cnt[labels[j]] += 1;
        }
        let own = labels[i];
        let b = (0..k)
            .filter(|&c| c != own && cnt[c] > 0)
            .map(|c| sum[c] / cnt[c] as f64);
        let (a, b) = (sum[own] / cnt[own] as f64, b.fold(f64::INFINITY, f64::min));
        if cnt[own] == 0 {
            0.0
        } else {
            (b - a) / a.max(b)
        }
    });
    per_row.sum::<f64>() / n as f64
}

#[test]
fn silhouette_exact() {
    let far = Array2::from_shape_fn((100, 3), |(i, j)| {
        1e3 * (i / 50) as f64 + 0.01 * ((i + j) % 3) as f64
    });
    let labels: Vec<usize> = (0..100).map(|i| usize::from(i >= 50)).collect();
    assert!(silhouette(far.view(), &labels, 2) > 0.999);
    let mut rng = Xoshiro256Plus::seed_from_u64(11);
    let x = Array2::from_shape_fn((203, 5), |_| normal(&mut rng));
    let mut labels: Vec<usize> = (0..203).map(|_| rng.gen_range(0..3)).collect();
    labels[17] = 3; // a singleton cluster
    let slow = naive_silhouette(&x, &labels, 4);
    assert!((silhouette(x.view(), &labels, 4) - slow).abs() < 1e-12);
    let t = x.t().to_owned(); // a column-major view gives the same
    assert!((silhouette(t.t(), &labels, 4) - slow).abs() < 1e-12);
}

#[test]
fn assign_nearest() {
    let mut rng = Xoshiro256Plus::seed_from_u64(5);
    let x = Array2::from_shape_fn((9000, 7), |_| normal(&mut rng));
    let c = Array2::from_shape_fn((5, 7), |_| normal(&mut rng));
    for (i, &got) in assign(x.view(), c.view()).iter().enumerate() {
        let d: Vec<f64> = c
            .rows()
            .into_iter()
            .map(|r| (&r - &x.row(i)).powi(2).sum())
            .collect();
        assert!((0..5).all(|j| d[got] <= d[j]));
    }
}

#[test]
fn errors() {
    let msg = |x: &Array2<f64>, s: KMeansSettings| fit(x, &s).unwrap_err().to_string();
    let tiny = Array2::from_shape_fn((2, 2), |(i, j)| (i + j) as f64);
    assert!(msg(&tiny, ks(3, 5)).contains("too few rows: 2"));
    let (mut x, _) = blobs();
    x[[12, 4]] = f64::NAN;
    let m = msg(&x, ks(3, 5));
    assert!(m.contains("row 12, column 4"), "{m}");
    assert!(msg(&x, ks(1, 5)).contains("k_min must be at least 2"));
    assert!(msg(&x, ks(5, 3)).contains("greater than k_max"));
}
