//! The report's 2-D map of contacts: for each bucket, an evenly spaced sample of its contacts
//! (at most [`MAX_POINTS`] over all buckets), their rows of the design matrix the personas were
//! found on (the same criteria, encoding and weights, built for the sample alone), projected on
//! the matrix's two main axes (principal components, by power iteration), each point with its
//! persona.

use ndarray::{Array1, Array2, Axis};
use tracing::warn;

use crate::cluster::Bucket;
use crate::config::{Criterion, FeaturesConfig};
use crate::features::{self, FeatureTable};
use crate::profile::Persona;

/// Most contacts drawn on the map, over all buckets.
pub const MAX_POINTS: usize = 2000;

/// One contact on the map.
#[derive(Debug, Clone, PartialEq)]
pub struct MapPoint {
    /// First axis, scaled to 0..1 over the bucket's sample.
    pub x: f64,
    /// Second axis, scaled to 0..1.
    pub y: f64,
    /// Index of the contact's persona in the run's personas.
    pub persona: usize,
}

/// One bucket's map.
#[derive(Debug, Clone, PartialEq)]
pub struct BucketMap {
    /// Bucket name.
    pub bucket: String,
    /// The sampled contacts.
    pub points: Vec<MapPoint>,
    /// Share of the sample's spread each axis shows.
    pub explained: [f64; 2],
    /// Contacts in the bucket.
    pub contacts: usize,
}

/// The map of every bucket; a bucket whose sample cannot be encoded is left out (logged).
pub fn project(
    t: &FeatureTable,
    buckets: &[Bucket],
    personas: &[Persona],
    criteria: &[Criterion],
    cfg: &FeaturesConfig,
) -> Vec<BucketMap> {
    let total: usize = buckets.iter().map(|b| b.rows.len()).sum();
    let mut out = Vec::new();
    for b in buckets {
        let n = b.rows.len();
        // The bucket's part of MAX_POINTS, in proportion to its size.
        let m = (MAX_POINTS * n / total.max(1)).min(n);
        if m < 3 {
            continue;
        }
        let picks: Vec<usize> = (0..m).map(|i| i * n / m).collect();
        let rows: Vec<usize> = picks.iter().map(|&i| b.rows[i]).collect();
        let design = match features::design(t, &rows, criteria, cfg) {
            Ok(d) => d,
            Err(e) => {
                warn!(bucket = %b.name, error = %e, "No contact map for this bucket.");
                continue;
            }
        };
        let ids: Vec<usize> = (0..personas.len())
            .filter(|&i| personas[i].bucket == b.name)
            .collect();
        let Some((coords, explained)) = principal_plane(&design.matrix) else {
            continue;
        };
        let points = picks
            .iter()
            .zip(coords)
            .filter_map(|(&i, (x, y))| {
                let persona = *ids.get(b.model.labels[i])?;
                Some(MapPoint { x, y, persona })
            })
            .collect();
        out.push(BucketMap {
            bucket: b.name.clone(),
            points,
            explained,
            contacts: n,
        });
    }
    out
}

/// Each row's position on the two main axes (scaled to 0..1), and each axis's share of the
/// total variance.
type Plane = (Vec<(f64, f64)>, [f64; 2]);

/// The rows of `x` on its two main axes, each scaled to 0..1, and the share of the total
/// variance each axis carries; `None` without spread.
fn principal_plane(x: &Array2<f64>) -> Option<Plane> {
    let (n, d) = x.dim();
    if n < 3 || d == 0 {
        return None;
    }
    let mean = x.mean_axis(Axis(0))?;
    let centred = x - &mean;
    let cov = centred.t().dot(&centred) / (n as f64 - 1.0);
    let total: f64 = cov.diag().sum();
    if total <= 1e-12 {
        return None;
    }
    let (v1, l1) = top_eigen(&cov);
    let deflated = &cov - &(l1 * outer(&v1));
    let (v2, l2) = top_eigen(&deflated);
    let a = centred.dot(&v1);
    let b = centred.dot(&v2);
    let scale = |v: &Array1<f64>| {
        let (lo, hi) = v
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), &x| {
                (l.min(x), h.max(x))
            });
        let span = (hi - lo).max(1e-12);
        v.iter().map(|&x| (x - lo) / span).collect::<Vec<f64>>()
    };
    let coords = scale(&a).into_iter().zip(scale(&b)).collect();
    Some((coords, [l1 / total, l2.max(0.0) / total]))
}

fn outer(v: &Array1<f64>) -> Array2<f64> {
    let d = v.len();
    Array2::from_shape_fn((d, d), |(i, j)| v[i] * v[j])
}

/// The leading eigenvector (largest component positive, for a sign fixed from run to run)
/// and eigenvalue of a symmetric matrix, by power iteration from a fixed start.
fn top_eigen(m: &Array2<f64>) -> (Array1<f64>, f64) {
    let d = m.nrows();
    let mut v = Array1::from_shape_fn(d, |i| 1.0 + i as f64 / d as f64);
    v /= v.dot(&v).sqrt();
    for _ in 0..300 {
        let w = m.dot(&v);
        let norm = w.dot(&w).sqrt();
        if norm <= 1e-12 {
            return (v, 0.0);
        }
        v = w / norm;
    }
    let big = v
        .iter()
        .fold(0.0f64, |a, &x| if x.abs() > a.abs() { x } else { a });
    if big < 0.0 {
        v.mapv_inplace(|x| -x);
    }
    let lambda = v.dot(&m.dot(&v));
    (v, lambda)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_main_axis_follows_the_spread() {
        // Points along the diagonal x = y, with a little noise across it.
        let x = Array2::from_shape_fn((50, 2), |(i, j)| {
            i as f64 + if j == 0 { 0.1 } else { -0.1 } * (i % 2) as f64
        });
        let (coords, explained) = principal_plane(&x).unwrap();
        assert!(explained[0] > 0.99, "{explained:?}");
        assert!(coords[0].0 < 1e-9 && (coords[49].0 - 1.0).abs() < 1e-9);
    }
}
