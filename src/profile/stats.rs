//! Statistics for persona traits: the Wilson interval of a share, a two-proportion z-test and
//! Welch's t-test of a persona against the rest of its bucket, and the Holm and
//! Benjamini-Hochberg corrections for testing many traits at once.

use crate::config::Correction;

/// 97.5 % quantile of the standard normal distribution.
const Z_975: f64 = 1.959_963_984_540_054;

/// 95 % Wilson score interval for a proportion.
pub fn wilson(successes: usize, n: usize) -> (f64, f64) {
    if n == 0 {
        return (0.0, 0.0);
    }
    let z = Z_975;
    let n = n as f64;
    let p = successes as f64 / n;
    let denom = 1.0 + z * z / n;
    let centre = (p + z * z / (2.0 * n)) / denom;
    let half = z * ((p * (1.0 - p) / n + z * z / (4.0 * n * n)).sqrt()) / denom;
    ((centre - half).max(0.0), (centre + half).min(1.0))
}

/// Complementary error function (W. J. Cody's rational Chebyshev fit as in Numerical Recipes'
/// `erfcc`; relative error below 1.2e-7).
pub fn erfc(x: f64) -> f64 {
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let poly = -z * z - 1.265_512_23
        + t * (1.000_023_68
            + t * (0.374_091_96
                + t * (0.096_784_18
                    + t * (-0.186_288_06
                        + t * (0.278_868_07
                            + t * (-1.135_203_98
                                + t * (1.488_515_87 + t * (-0.822_152_23 + t * 0.170_872_77))))))));
    let r = t * poly.exp();
    if x >= 0.0 {
        r
    } else {
        2.0 - r
    }
}

/// Two-sided p-value of a standard normal statistic.
pub fn normal_two_sided(z: f64) -> f64 {
    if z.is_nan() {
        return 1.0;
    }
    erfc(z.abs() / std::f64::consts::SQRT_2).min(1.0)
}

/// Two-proportion z-test (pooled): `x1` of `n1` against `x2` of `n2`; two-sided p-value.
pub fn two_proportions(x1: usize, n1: usize, x2: usize, n2: usize) -> f64 {
    if n1 == 0 || n2 == 0 {
        return 1.0;
    }
    let (n1f, n2f) = (n1 as f64, n2 as f64);
    let pooled = (x1 + x2) as f64 / (n1f + n2f);
    let se = (pooled * (1.0 - pooled) * (1.0 / n1f + 1.0 / n2f)).sqrt();
    if se <= 0.0 {
        return 1.0;
    }
    normal_two_sided((x1 as f64 / n1f - x2 as f64 / n2f) / se)
}

/// Test of `x1` of `n1` against `x2` of `n2`: Fisher's exact test when an expected cell count
/// is below 5 (where the normal approximation is too optimistic), else the z-test.
pub fn proportions(x1: usize, n1: usize, x2: usize, n2: usize) -> f64 {
    let (n, x) = ((n1 + n2) as f64, (x1 + x2) as f64);
    if n == 0.0 {
        return 1.0;
    }
    let min_expected = [n1 as f64, n2 as f64]
        .iter()
        .flat_map(|m| [m * x / n, m * (n - x) / n])
        .fold(f64::INFINITY, f64::min);
    if min_expected < 5.0 {
        fisher_exact(x1, n1, x2, n2)
    } else {
        two_proportions(x1, n1, x2, n2)
    }
}

/// Fisher's exact test, two-sided: the probability, given the margins, of every table at most
/// as likely as the one observed.
pub fn fisher_exact(x1: usize, n1: usize, x2: usize, n2: usize) -> f64 {
    let (n, k) = (n1 + n2, x1 + x2);
    let ln_choose = |a: usize, b: usize| {
        ln_gamma(a as f64 + 1.0) - ln_gamma(b as f64 + 1.0) - ln_gamma((a - b) as f64 + 1.0)
    };
    let ln_p = |x: usize| ln_choose(n1, x) + ln_choose(n2, k - x) - ln_choose(n, k);
    let observed = ln_p(x1);
    let (lo, hi) = (k.saturating_sub(n2), k.min(n1));
    let total: f64 = (lo..=hi)
        .map(ln_p)
        .filter(|lp| *lp <= observed + 1e-9)
        .map(f64::exp)
        .sum();
    total.min(1.0)
}

/// Mean, variance (n - 1) and count of a sample.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Moments {
    /// Number of values.
    pub n: f64,
    /// Sum of values.
    pub sum: f64,
    /// Sum of squared values.
    pub sum_sq: f64,
}

impl Moments {
    /// Add a value.
    pub fn push(&mut self, v: f64) {
        self.n += 1.0;
        self.sum += v;
        self.sum_sq += v * v;
    }

    /// Mean (0 when empty).
    pub fn mean(&self) -> f64 {
        if self.n == 0.0 {
            0.0
        } else {
            self.sum / self.n
        }
    }

    /// Sample variance (0 with fewer than two values).
    pub fn var(&self) -> f64 {
        if self.n < 2.0 {
            return 0.0;
        }
        ((self.sum_sq - self.sum * self.sum / self.n) / (self.n - 1.0)).max(0.0)
    }

    /// The moments of `all` without `self` (the rest of a population).
    pub fn rest(&self, all: &Moments) -> Moments {
        Moments {
            n: all.n - self.n,
            sum: all.sum - self.sum,
            sum_sq: all.sum_sq - self.sum_sq,
        }
    }
}

/// Welch's t-test of two samples; two-sided p-value from Student's t with the
/// Welch-Satterthwaite degrees of freedom.
pub fn welch(a: &Moments, b: &Moments) -> f64 {
    if a.n < 2.0 || b.n < 2.0 {
        return 1.0;
    }
    let (va, vb) = (a.var() / a.n, b.var() / b.n);
    let se2 = va + vb;
    if se2 <= 0.0 {
        return if a.mean() == b.mean() { 1.0 } else { 0.0 };
    }
    let t = (a.mean() - b.mean()) / se2.sqrt();
    let df = se2 * se2 / (va * va / (a.n - 1.0) + vb * vb / (b.n - 1.0));
    student_two_sided(t, df)
}

/// Two-sided p-value of Student's t with `df` degrees of freedom: I_{df/(df+t²)}(df/2, 1/2).
pub fn student_two_sided(t: f64, df: f64) -> f64 {
    if !t.is_finite() {
        return 0.0;
    }
    incomplete_beta(df / 2.0, 0.5, df / (df + t * t)).clamp(0.0, 1.0)
}

/// ln Γ(x) for x > 0 (Lanczos, g = 7, n = 9).
fn ln_gamma(x: f64) -> f64 {
    const C: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        let pi = std::f64::consts::PI;
        return (pi / (pi * x).sin()).ln() - ln_gamma(1.0 - x);
    }
    let x = x - 1.0;
    let mut a = C[0];
    let t = x + 7.5;
    for (i, c) in C.iter().enumerate().skip(1) {
        a += c / (x + i as f64);
    }
    0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + a.ln()
}

/// Regularised incomplete beta I_x(a, b) (continued fraction, Numerical Recipes `betai`).
pub fn incomplete_beta(a: f64, b: f64, x: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    if x >= 1.0 {
        return 1.0;
    }
    let front =
        (ln_gamma(a + b) - ln_gamma(a) - ln_gamma(b) + a * x.ln() + b * (1.0 - x).ln()).exp();
    if x < (a + 1.0) / (a + b + 2.0) {
        front * beta_cf(a, b, x) / a
    } else {
        1.0 - front * beta_cf(b, a, 1.0 - x) / b
    }
}

fn beta_cf(a: f64, b: f64, x: f64) -> f64 {
    const TINY: f64 = 1e-300;
    let (qab, qap, qam) = (a + b, a + 1.0, a - 1.0);
    let mut c = 1.0;
    let mut d = 1.0 - qab * x / qap;
    if d.abs() < TINY {
        d = TINY;
    }
    d = 1.0 / d;
    let mut h = d;
    for m in 1..300 {
        let m = m as f64;
        let m2 = 2.0 * m;
        let aa = m * (b - m) * x / ((qam + m2) * (a + m2));
        d = 1.0 + aa * d;
        d = if d.abs() < TINY { TINY } else { d };
        c = 1.0 + aa / c;
        c = if c.abs() < TINY { TINY } else { c };
        d = 1.0 / d;
        h *= d * c;
        let aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
        d = 1.0 + aa * d;
        d = if d.abs() < TINY { TINY } else { d };
        c = 1.0 + aa / c;
        c = if c.abs() < TINY { TINY } else { c };
        d = 1.0 / d;
        let del = d * c;
        h *= del;
        if (del - 1.0).abs() < 1e-14 {
            break;
        }
    }
    h
}

/// p-values adjusted for the number of tests.
pub fn adjust(p: &[f64], correction: Correction) -> Vec<f64> {
    let m = p.len();
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_by(|&a, &b| p[a].total_cmp(&p[b]));
    let mut out = vec![1.0; m];
    match correction {
        Correction::None => out.copy_from_slice(p),
        Correction::Holm => {
            let mut running: f64 = 0.0;
            for (rank, &i) in order.iter().enumerate() {
                running = running.max(((m - rank) as f64 * p[i]).min(1.0));
                out[i] = running;
            }
        }
        Correction::BenjaminiHochberg => {
            let mut running: f64 = 1.0;
            for (rank, &i) in order.iter().enumerate().rev() {
                running = running.min((p[i] * m as f64 / (rank + 1) as f64).min(1.0));
                out[i] = running;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol
    }

    #[test]
    fn wilson_matches_known_values() {
        let (lo, hi) = wilson(50, 100);
        assert!(
            close(lo, 0.4038, 1e-3) && close(hi, 0.5962, 1e-3),
            "{lo} {hi}"
        );
        assert_eq!(wilson(0, 0), (0.0, 0.0));
    }

    #[test]
    fn normal_and_student_tails_match_tables() {
        assert!(close(normal_two_sided(1.959_964), 0.05, 1e-6));
        assert!(close(normal_two_sided(2.575_829), 0.01, 1e-6));
        // t = 2.228 with 10 df is the 97.5 % quantile; t = 2.0 with 5 df gives p = 0.1019.
        assert!(close(student_two_sided(2.228_139, 10.0), 0.05, 1e-5));
        assert!(close(student_two_sided(2.0, 5.0), 0.101_939, 1e-5));
        assert!(close(student_two_sided(0.0, 7.0), 1.0, 1e-12));
    }

    #[test]
    fn tests_give_known_p_values() {
        // 60/100 vs 40/100: z = 2.828, p = 0.00468.
        assert!(close(two_proportions(60, 100, 40, 100), 0.004_678, 1e-5));
        let mut a = Moments::default();
        let mut b = Moments::default();
        [1.0, 2.0, 3.0, 4.0, 5.0].iter().for_each(|v| a.push(*v));
        [3.0, 4.0, 5.0, 6.0, 7.0].iter().for_each(|v| b.push(*v));
        // Fisher: 3 of 3 against 40 of 200 (43 of 203): C(43,3)/C(203,3) = 0.008984.
        assert!(close(fisher_exact(3, 3, 40, 200), 0.008_984, 1e-5));
        // The textbook tea-tasting table: 3 of 4 against 1 of 4, two-sided p = 0.4857.
        assert!(close(fisher_exact(3, 4, 1, 4), 0.485_714, 1e-5));
        // t = -2, df = 8: p = 0.0805.
        assert!(close(welch(&a, &b), 0.080_516, 1e-5));
    }

    #[test]
    fn corrections_match_their_definitions() {
        let p = [0.01, 0.04, 0.03, 0.5];
        let holm = adjust(&p, Correction::Holm);
        let want = [0.04, 0.09, 0.09, 0.5];
        assert!(
            holm.iter().zip(want).all(|(a, b)| close(*a, b, 1e-12)),
            "{holm:?}"
        );
        let bh = adjust(&p, Correction::BenjaminiHochberg);
        let want = [
            0.04,
            0.053_333_333_333_333_33,
            0.053_333_333_333_333_33,
            0.5,
        ];
        assert!(
            bh.iter().zip(want).all(|(a, b)| close(*a, b, 1e-12)),
            "{bh:?}"
        );
    }
}
