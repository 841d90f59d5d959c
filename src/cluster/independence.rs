//! k by local independence (`k_choice = "independence"`).
//!
//! Inside one persona the attributes are independent of each other: once the persona is known,
//! a contact's device says nothing about their industry. That is what makes it one group (the
//! "local independence" of latent class analysis), and it is exactly what the structure test's
//! null copies look like: every column family permuted on its own, rows moving only among
//! contacts with the same missing values ([`super::structure`]). A cluster that holds two
//! personas, or a piece of one and a piece of another, is not like that: its families move
//! together.
//!
//! So k is the smallest k in the range whose k-means clusters each lie within their own null:
//! for every cluster, its 2-means split's gap against null copies of the cluster's rows, in
//! null spreads, is at most the normal quantile of `1 - alpha / k` (the bucket's false-alarm
//! rate, Bonferroni over the k clusters). With `cluster.method = "latent_class"` the clusters
//! are latent classes and the split tested is theirs: two classes' log-likelihood gain over
//! one, against the same null copies and BIC's price of one more class
//! ([`super::latent::split_z`]). Rules that score the whole bucket (silhouette, gap) keep
//! splitting a persona whose contacts differ at random on one attribute (20 % of a persona
//! reading on a phone rather than a laptop), because with thousands of contacts such a
//! subgroup is tight; inside the persona that attribute is independent of the rest, so this
//! rule leaves it whole. When no k passes (the data has dependence inside its groups that no
//! k in the range removes), the caller falls back on the silhouette and says so.

use ndarray::{Array2, Axis};
use tracing::info;

use super::latent::{self, Attributes};
use super::structure::{gaps, normal_quantile, NullSettings};
use super::KMeansSettings;
use crate::error::Result;

/// Fewest contacts a cluster needs for its own null (a smaller one counts as within it).
const MIN_CLUSTER: usize = 20;

/// How the clusters of one k compare with their own nulls.
#[derive(Debug, Clone, PartialEq)]
pub struct KIndependence {
    /// Number of clusters.
    pub k: usize,
    /// Each cluster's 2-means gap against its own null, in null spreads (cluster order of the
    /// k-means fit at this k; 0 for a cluster under 20 contacts).
    pub z: Vec<f64>,
    /// The z every cluster had to stay under: the normal quantile of `1 - alpha / k`.
    pub z_needed: f64,
}

impl KIndependence {
    /// Whether every cluster lies within its own null.
    pub fn holds(&self) -> bool {
        self.z.iter().all(|&z| z <= self.z_needed)
    }

    /// The largest cluster z (0 without clusters).
    pub fn max_z(&self) -> f64 {
        self.z.iter().copied().fold(0.0, f64::max)
    }
}

/// Every k from `km.k_min` up to the first whose clusters all lie within their own nulls (or
/// `km.k_max`), with each k's z and clusters; the chosen k is the last one's when it
/// [holds](KIndependence::holds). With `latent`, each k's classes are the likelier of EM from
/// k-means and EM from the previous k's classes with its least independent class divided.
pub fn by_independence(
    x: &Array2<f64>,
    families: &[usize],
    strata: &[u64],
    km: &KMeansSettings,
    null: &NullSettings,
    latent: Option<&Attributes>,
) -> Result<(Vec<KIndependence>, Vec<latent::Classes>)> {
    let mut out: Vec<KIndependence> = Vec::new();
    let mut all_classes: Vec<latent::Classes> = Vec::new();
    for k in km.k_min..=km.k_max {
        let model = super::fit(
            x,
            &KMeansSettings {
                k_min: k,
                k_max: k,
                ..km.clone()
            },
        )?;
        let (classes, groups) = match latent {
            Some(attrs) => {
                let mut starts = vec![model.labels];
                if let (Some(prev), Some(tested)) = (all_classes.last(), out.last()) {
                    let worst =
                        (0..tested.z.len()).max_by(|&a, &b| tested.z[a].total_cmp(&tested.z[b]));
                    if let (Some(worst), true) = (worst, tested.z.len() + 1 == k) {
                        starts.push(latent::divided(x, attrs, &prev.labels, (worst, k - 1), km)?);
                    }
                }
                latent::best_of(attrs, &starts, k).canonical(k)
            }
            None => (latent::Classes::of(model.labels), k),
        };
        let labels = &classes.labels;
        let mut members = vec![Vec::new(); groups];
        labels
            .iter()
            .enumerate()
            .for_each(|(r, &c)| members[c].push(r));
        let z = members
            .iter()
            .map(|rows| match latent {
                Some(attrs) => {
                    latent::split_z((x, attrs), families, rows, strata, (km, null), MIN_CLUSTER)
                }
                None => split_z(x, rows, families, strata, km, null),
            })
            .collect::<Result<Vec<f64>>>()?;
        let k_result = KIndependence {
            k,
            z,
            z_needed: normal_quantile(1.0 - null.alpha / k as f64),
        };
        info!(k, z = ?k_result.z, z_needed = k_result.z_needed, "Clusters against their own nulls.");
        let holds = k_result.holds();
        out.push(k_result);
        all_classes.push(classes);
        if holds {
            break;
        }
    }
    Ok((out, all_classes))
}

/// The k the rule chooses: the last k tested, when its clusters lie within their nulls.
pub fn chosen(tested: &[KIndependence]) -> Option<usize> {
    tested.last().filter(|t| t.holds()).map(|t| t.k)
}

/// The gap of `rows`' 2-means split against null copies of those rows, in null spreads.
fn split_z(
    x: &Array2<f64>,
    rows: &[usize],
    families: &[usize],
    strata: &[u64],
    km: &KMeansSettings,
    null: &NullSettings,
) -> Result<f64> {
    if rows.len() < MIN_CLUSTER {
        return Ok(0.0);
    }
    let sub = x.select(Axis(0), rows);
    let sub_strata: Vec<u64> = rows.iter().map(|&r| strata[r]).collect();
    let two = KMeansSettings {
        k_min: 2,
        k_max: 2,
        ..km.clone()
    };
    Ok(gaps(&sub, families, &sub_strata, &two, null)?
        .first()
        .map_or(0.0, |g| g.z()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_xoshiro::Xoshiro256Plus;

    /// `groups` groups over 4 binary-ish families: group g is high on family g; inside a group
    /// the families are independent, and family `noisy` of each row is, with probability 0.3,
    /// drawn high or low at random (noise that tightens into subgroups but carries no signal).
    fn data(groups: usize, n: usize, seed: u64) -> Array2<f64> {
        let mut rng = Xoshiro256Plus::seed_from_u64(seed);
        let mut v = Vec::with_capacity(n * 4);
        for i in 0..n {
            let g = i % groups;
            for j in 0..4 {
                let high = if rng.gen::<f64>() < 0.3 {
                    rng.gen::<bool>()
                } else {
                    g == j
                };
                v.push(f64::from(u8::from(high)) * 3.0 + rng.gen::<f64>());
            }
        }
        Array2::from_shape_vec((n, 4), v).unwrap()
    }

    fn run(x: &Array2<f64>) -> Vec<KIndependence> {
        let km = KMeansSettings {
            k_min: 2,
            k_max: 7,
            ..KMeansSettings::default()
        };
        by_independence(
            x,
            &[0, 1, 2, 3],
            &vec![0; x.nrows()],
            &km,
            &NullSettings::default(),
            None,
        )
        .unwrap()
        .0
    }

    #[test]
    fn the_planted_number_of_groups_is_the_first_k_whose_clusters_are_independent() {
        for (groups, seed) in [(3, 1), (4, 2)] {
            let tested = run(&data(groups, 1200, seed));
            assert_eq!(chosen(&tested), Some(groups), "{tested:?}");
            // Every smaller k had a cluster holding two groups.
            assert!(
                tested[..tested.len() - 1].iter().all(|t| !t.holds()),
                "{tested:?}"
            );
        }
    }

    #[test]
    fn a_cluster_of_two_groups_stands_out_of_its_own_null() {
        let x = data(2, 600, 3);
        let rows: Vec<usize> = (0..600).collect();
        let km = KMeansSettings::default();
        let z_of = |rows: &[usize]| {
            split_z(
                &x,
                rows,
                &[0, 1, 2, 3],
                &vec![0; 600],
                &km,
                &NullSettings::default(),
            )
            .unwrap()
        };
        let z = z_of(&rows);
        assert!(z > 10.0, "{z}");
        // One group alone is within its null.
        let one: Vec<usize> = (0..600).step_by(2).collect();
        let z = z_of(&one);
        assert!(z < 3.0, "{z}");
    }
}
