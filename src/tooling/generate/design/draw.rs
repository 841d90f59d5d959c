//! Random draws the designs are made of (the crate has no `rand_distr`): normal, log-normal,
//! gamma and Dirichlet draws, categorical distributions, and the "home levels" and separated
//! locations personas are planted with.

use rand::seq::SliceRandom;
use rand::Rng;

/// A standard normal draw (Box-Muller).
pub(super) fn normal<R: Rng>(rng: &mut R) -> f64 {
    let u: f64 = 1.0 - rng.gen::<f64>();
    let v: f64 = rng.gen();
    (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
}

/// A gamma draw with shape `a` and scale 1 (Marsaglia-Tsang; boosted below shape 1).
pub(super) fn gamma<R: Rng>(rng: &mut R, a: f64) -> f64 {
    if a < 1.0 {
        let u: f64 = 1.0 - rng.gen::<f64>();
        return gamma(rng, a + 1.0) * u.powf(1.0 / a);
    }
    let d = a - 1.0 / 3.0;
    let c = 1.0 / (9.0 * d).sqrt();
    loop {
        let x = normal(rng);
        let v = (1.0 + c * x).powi(3);
        if v <= 0.0 {
            continue;
        }
        let u: f64 = 1.0 - rng.gen::<f64>();
        if u.ln() < 0.5 * x * x + d - d * v + d * v.ln() {
            return d * v;
        }
    }
}

/// A Dirichlet draw with the given concentrations (a tiny floor keeps every weight positive).
pub(super) fn dirichlet<R: Rng>(rng: &mut R, alpha: &[f64]) -> Vec<f64> {
    let g: Vec<f64> = alpha.iter().map(|&a| gamma(rng, a) + 1e-9).collect();
    let sum: f64 = g.iter().sum();
    g.into_iter().map(|x| x / sum).collect()
}

/// A log-normal distribution: `exp(mu + sigma * z)`.
#[derive(Debug, Clone, Copy)]
pub(super) struct LogNormal {
    /// Location (mean of the log).
    pub(super) mu: f64,
    /// Spread (sd of the log).
    pub(super) sigma: f64,
}

impl LogNormal {
    /// One draw.
    pub(super) fn draw<R: Rng>(&self, rng: &mut R) -> f64 {
        (self.mu + self.sigma * normal(rng)).exp()
    }
}

/// A categorical distribution over level indices.
#[derive(Debug, Clone)]
pub(super) struct Cat {
    /// Cumulative weights, the last one 1.
    cum: Vec<f64>,
}

impl Cat {
    /// From non-negative weights (not all zero).
    pub(super) fn new(weights: &[f64]) -> Cat {
        let sum: f64 = weights.iter().sum();
        let mut acc = 0.0;
        let cum = weights
            .iter()
            .map(|w| {
                acc += w / sum;
                acc
            })
            .collect();
        Cat { cum }
    }

    /// The level probabilities.
    pub(super) fn probs(&self) -> Vec<f64> {
        let mut prev = 0.0;
        self.cum
            .iter()
            .map(|&c| {
                let p = c - prev;
                prev = c;
                p
            })
            .collect()
    }

    /// One level index.
    pub(super) fn draw<R: Rng>(&self, rng: &mut R) -> usize {
        let u: f64 = rng.gen();
        self.cum
            .iter()
            .position(|&c| u < c)
            .unwrap_or(self.cum.len().saturating_sub(1))
    }
}

/// How concentrated a categorical attribute is on each persona's home levels.
#[derive(Debug, Clone, Copy)]
pub(super) struct Homes {
    /// Fewest and most home levels per persona.
    pub(super) count: (usize, usize),
    /// Range of the probability mass on the home levels (the rest is spread evenly).
    pub(super) mass: (f64, f64),
    /// Whether extra homes are the neighbours of the first (ordinal levels such as ratings).
    pub(super) adjacent: bool,
}

/// For `k` personas, the home levels of each among `levels` levels, as different as the levels
/// allow: the first homes are distinct while there are levels enough, and extra homes are
/// handed out from the levels nobody has yet before any is shared (ordinal levels take the
/// first home's neighbours instead).
pub(super) fn home_levels<R: Rng>(
    rng: &mut R,
    k: usize,
    levels: usize,
    h: Homes,
) -> Vec<Vec<usize>> {
    let mut order: Vec<usize> = (0..levels).collect();
    order.shuffle(rng);
    let mut free = order
        .iter()
        .skip(k)
        .copied()
        .collect::<Vec<_>>()
        .into_iter();
    (0..k)
        .map(|i| {
            let first = order[i % levels];
            let n = rng.gen_range(h.count.0..=h.count.1).min(levels);
            let mut homes = vec![first];
            if h.adjacent {
                let (at, s) = (first as i64, if rng.gen_bool(0.5) { 1 } else { -1 });
                let near = (1..levels as i64)
                    .flat_map(|f| [at + s * f, at - s * f])
                    .filter(|l| (0..levels as i64).contains(l));
                homes.extend(near.take(n - 1).map(|l| l as usize));
                return homes;
            }
            while homes.len() < n {
                let next = free.next().unwrap_or_else(|| rng.gen_range(0..levels));
                if !homes.contains(&next) {
                    homes.push(next);
                }
            }
            homes
        })
        .collect()
}

/// Weights over `levels` levels with `mass` on `homes` (the first home heaviest, each other one
/// a quarter to three fifths of it) and the rest spread evenly.
pub(super) fn home_weights<R: Rng>(
    rng: &mut R,
    levels: usize,
    homes: &[usize],
    mass: f64,
) -> Vec<f64> {
    let mut w = vec![(1.0 - mass) / levels as f64; levels];
    let split: Vec<f64> = homes
        .iter()
        .enumerate()
        .map(|(i, _)| {
            if i == 0 {
                1.0
            } else {
                rng.gen_range(0.25..0.6)
            }
        })
        .collect();
    let sum: f64 = split.iter().sum();
    for (&l, s) in homes.iter().zip(split) {
        w[l] += mass * s / sum;
    }
    w
}

/// `k` categorical distributions over `levels` levels, one per persona, concentrated on homes.
pub(super) fn categoricals<R: Rng>(rng: &mut R, k: usize, levels: usize, h: Homes) -> Vec<Cat> {
    home_levels(rng, k, levels, h)
        .iter()
        .map(|homes| {
            let mass = rng.gen_range(h.mass.0..=h.mass.1);
            Cat::new(&home_weights(rng, levels, homes, mass))
        })
        .collect()
}

/// `k` log-means around `center`, in random order, neighbours `gap` sds apart (give or take
/// a tenth of an sd), so that any two are at least `gap - 0.2` sds apart.
pub(super) fn separated<R: Rng>(
    rng: &mut R,
    k: usize,
    center: f64,
    sigma: f64,
    gap: f64,
) -> Vec<f64> {
    let mut rank: Vec<usize> = (0..k).collect();
    rank.shuffle(rng);
    let mid = (k as f64 - 1.0) / 2.0;
    rank.iter()
        .map(|&r| center + ((r as f64 - mid) * gap + rng.gen_range(-0.1..=0.1)) * sigma)
        .collect()
}

/// `k` concentrated mixes over `n` outcomes (Dirichlet draws with one or two heavy homes);
/// `focus` (0 to 1) makes the homes heavier still.
pub(super) fn mixes<R: Rng>(rng: &mut R, k: usize, n: usize, focus: f64) -> Vec<Vec<f64>> {
    let homes = Homes {
        count: (1, 2),
        mass: (0.0, 0.0),
        adjacent: false,
    };
    home_levels(rng, k, n, homes)
        .iter()
        .map(|homes| {
            let alpha: Vec<f64> = (0..n)
                .map(|l| match homes.iter().position(|&h| h == l) {
                    Some(0) => 8.0 + 16.0 * focus,
                    Some(_) => 3.0 + 6.0 * focus,
                    None => 0.4 - 0.3 * focus,
                })
                .collect();
            dirichlet(rng, &alpha)
        })
        .collect()
}
