//! `criteria = "auto"` and `personas suggest-criteria`: proposes criteria from the data, for
//! users who do not know their data yet.
//!
//! A persona is a combination of traits: its members differ from the rest on several columns
//! at once, so columns that carry persona structure are associated with *other* columns, and
//! columns that carry none are independent of everything. Each candidate column is encoded as
//! in the design matrix and grouped into its family (a composition of shares, the activity
//! counts, or the column itself); each family block is whitened (rotated and scaled onto its
//! principal axes, so its columns are uncorrelated with unit variance), and for every pair of
//! families the squared canonical correlations add up to `T / n`, with `T = ||Xw' Yw||^2 / n`,
//! which under independence follows a chi-square law with `rank(X) * rank(Y)` degrees of
//! freedom (for two text columns it is Pearson's chi-square test of independence). Two
//! families are linked when their association passes level `alpha` (Bonferroni over the pairs).
//! Persona structure links many families at once; a pair tied only to each other (a list
//! status and the tags the list keeps for it) is a mechanism of the export. So the largest
//! group of linked families is proposed when it has at least three; otherwise every candidate
//! is, and the structure test says whether they hold personas. Families are ranked by their
//! summed excess association (squared canonical correlations above their expectation under
//! independence). Five or fewer proposed families become one criterion each; more are
//! gathered into the framework's kinds of criteria (web behaviour, firmographics, role,
//! demographics, email engagement, relationship), each a group.

use ndarray::{Array2, Axis};
use rand::SeedableRng;
use rand_xoshiro::Xoshiro256Plus;
use std::fmt::Write;

use crate::config::{Criterion, CriterionGroup, FeaturesConfig};
use crate::error::Result;

use super::{design, FeatureTable};

/// Seed salt of the rows the association is measured on.
const AUTO_SALT: u64 = 0x5851_F42D_4C95_7F2D;
/// Rows the association is measured on.
const SAMPLE: usize = 5000;
/// Family-wise false-alarm rate of "this family is associated with another one".
const ALPHA: f64 = 0.01;
/// Fewest families linked together that count as persona structure.
const MIN_FAMILIES: usize = 3;

/// The evidence for one family of columns.
#[derive(Debug, Clone, PartialEq)]
pub struct FamilyEvidence {
    /// Family name.
    pub family: String,
    /// Its feature columns.
    pub columns: Vec<String>,
    /// Summed excess association with every other family: squared canonical correlations
    /// above their expectation under independence, per dimension of the smaller block.
    pub score: f64,
    /// The family it is most associated with, and that association as a normal z-score.
    pub partner: Option<(String, f64)>,
    /// Whether it is proposed as (part of) a criterion.
    pub selected: bool,
}

/// The proposal.
#[derive(Debug, Clone)]
pub struct Suggestion {
    /// Every family, best first.
    pub ranked: Vec<FamilyEvidence>,
    /// The proposed criteria.
    pub criteria: Vec<Criterion>,
    /// The z-score a pair had to pass.
    pub z_needed: f64,
}

impl Suggestion {
    /// The evidence and the proposal, as printed by `personas suggest-criteria`.
    pub fn text(&self) -> String {
        let mut s = format!(
            "Candidate columns by shared structure (association with another column beyond \
             chance, z above {:.1} needed):\n\n  {:<4} {:<20} {:>7}  {:<34} columns\n",
            self.z_needed, "rank", "family", "score", "strongest link (z)"
        );
        for (i, f) in self.ranked.iter().enumerate() {
            let link = f
                .partner
                .as_ref()
                .map_or("-".to_string(), |(p, z)| format!("{p} ({z:.1})"));
            let _ = writeln!(
                s,
                "  {:<4} {:<20} {:>7.3}  {:<34} {}{}",
                i + 1,
                f.family,
                f.score,
                link,
                f.columns.join(", "),
                if f.selected { "" } else { "   (not proposed)" }
            );
        }
        s.push_str("\nProposed criteria:\n\n[features]\ncriteria = [\n");
        for c in &self.criteria {
            match c {
                Criterion::Column(c) => {
                    let _ = writeln!(s, "    \"{c}\",");
                }
                Criterion::Group(g) => {
                    let cols: Vec<String> = g.columns.iter().map(|c| format!("\"{c}\"")).collect();
                    let _ = writeln!(
                        s,
                        "    {{ name = \"{}\", columns = [{}] }},",
                        g.name,
                        cols.join(", ")
                    );
                }
            }
        }
        s.push_str("]\n");
        s
    }
}

/// The framework's kind of criterion a family belongs to.
fn kind_of(family: &str) -> &'static str {
    match family {
        "content" | "device" | "medium" | "activity" => "web_behaviour",
        "industry" | "employees" | "company_size" | "revenue" => "firmographics",
        "job_seniority" | "buying_roles" | "buying_role" => "role",
        "age" | "age_band" | "gender" | "country" => "demographics",
        "email_rating" | "email_status" | "tags" => "email_engagement",
        _ => "relationship",
    }
}

/// Propose criteria among `cfg.candidates` (less `exclude`) from the contacts of `t`.
///
/// # Errors
/// When a candidate names a column the feature table lacks.
pub fn suggest(
    t: &FeatureTable,
    cfg: &FeaturesConfig,
    exclude: &[String],
    seed: u64,
) -> Result<Suggestion> {
    let mut rng = Xoshiro256Plus::seed_from_u64(seed ^ AUTO_SALT);
    let rows: Vec<usize> = if t.len() > SAMPLE {
        let mut idx = rand::seq::index::sample(&mut rng, t.len(), SAMPLE).into_vec();
        idx.sort_unstable();
        idx
    } else {
        (0..t.len()).collect()
    };
    let n = rows.len() as f64;
    let candidates: Vec<Criterion> = cfg
        .candidates
        .iter()
        .filter(|c| !exclude.contains(c))
        .map(|c| Criterion::Column(c.clone()))
        .collect();
    let d = design(t, &rows, &candidates, cfg)?;
    // Family blocks, whitened, without the missing-value indicators (a contact with no web
    // visits misses every web column at once: that is not a persona).
    let mut blocks: Vec<(String, Vec<String>, Array2<f64>)> = Vec::new();
    for (f, name) in d.family_names.iter().enumerate() {
        let cols: Vec<usize> = (0..d.columns.len())
            .filter(|&j| d.families[j] == f && !d.columns[j].ends_with("_missing"))
            .collect();
        let Some(x) = whiten(d.matrix.select(Axis(1), &cols)) else {
            continue;
        };
        let columns = candidates
            .iter()
            .map(Criterion::name)
            .filter(|c| super::family_of(c) == *name)
            .map(String::from)
            .collect();
        blocks.push((name.clone(), columns, x));
    }
    let m = blocks.len();
    let pairs = (m * m.saturating_sub(1) / 2).max(1);
    let z_needed = crate::cluster::structure::normal_quantile(1.0 - ALPHA / pairs as f64);
    let (mut excess, mut best) = (vec![0.0; m], vec![None::<(usize, f64)>; m]);
    let mut links = vec![Vec::new(); m];
    for a in 0..m {
        for b in a + 1..m {
            let (x, y) = (&blocks[a].2, &blocks[b].2);
            let (rx, ry) = (x.ncols() as f64, y.ncols() as f64);
            let df = rx * ry;
            let c = x.t().dot(y);
            let chi2 = c.iter().map(|v| v * v).sum::<f64>() / n;
            let z = chi_square_z(chi2, df);
            let gain = ((chi2 - df) / n / rx.min(ry)).max(0.0);
            for (me, other) in [(a, b), (b, a)] {
                excess[me] += gain;
                if best[me].is_none_or(|(_, bz)| z > bz) {
                    best[me] = Some((other, z));
                }
                if z > z_needed {
                    links[me].push(other);
                }
            }
        }
    }
    // Persona structure links many families at once; two columns tied to each other only (a
    // status and the tags the list keeps for it) are a mechanism of the export, not a persona.
    let component = largest_component(&links, &excess);
    let mut selected = vec![false; m];
    if component.len() >= MIN_FAMILIES {
        component.iter().for_each(|&i| selected[i] = true);
    }
    let mut ranked: Vec<FamilyEvidence> = (0..m)
        .map(|i| FamilyEvidence {
            family: blocks[i].0.clone(),
            columns: blocks[i].1.clone(),
            score: excess[i],
            partner: best[i].map(|(o, z)| (blocks[o].0.clone(), z)),
            selected: selected[i],
        })
        .collect();
    ranked.sort_by(|a, b| b.score.total_cmp(&a.score));
    let criteria = if ranked.iter().any(|f| f.selected) {
        criteria_of(&ranked)
    } else {
        tracing::warn!(
            "No {MIN_FAMILIES} candidate columns share structure with each other; segmenting on \
             every candidate, and the structure test will say whether they hold personas."
        );
        let all: Vec<String> = ranked.iter().flat_map(|f| f.columns.clone()).collect();
        criteria_for_columns(&all)
    };
    Ok(Suggestion {
        ranked,
        criteria,
        z_needed,
    })
}

/// The largest set of families connected by significant links (ties: the higher summed
/// score).
fn largest_component(links: &[Vec<usize>], score: &[f64]) -> Vec<usize> {
    let mut seen = vec![false; links.len()];
    let mut best: (Vec<usize>, f64) = (Vec::new(), 0.0);
    for start in 0..links.len() {
        if seen[start] || links[start].is_empty() {
            continue;
        }
        let (mut comp, mut stack) = (Vec::new(), vec![start]);
        seen[start] = true;
        while let Some(i) = stack.pop() {
            comp.push(i);
            for &j in &links[i] {
                if !seen[j] {
                    seen[j] = true;
                    stack.push(j);
                }
            }
        }
        let total: f64 = comp.iter().map(|&i| score[i]).sum();
        if comp.len() > best.0.len() || (comp.len() == best.0.len() && total > best.1) {
            best = (comp, total);
        }
    }
    best.0
}

/// Criteria over `columns`, gathered as `auto` gathers the columns it selects: by family
/// (five or fewer families: one criterion each), else by kind.
pub fn criteria_for_columns(columns: &[String]) -> Vec<Criterion> {
    let mut families: Vec<FamilyEvidence> = Vec::new();
    for c in columns {
        let family = super::family_of(c);
        match families.iter_mut().find(|f| f.family == family) {
            Some(f) => f.columns.push(c.clone()),
            None => families.push(FamilyEvidence {
                family,
                columns: vec![c.clone()],
                score: 0.0,
                partner: None,
                selected: true,
            }),
        }
    }
    criteria_of(&families)
}

/// Five or fewer selected families: one criterion each; more: one group per kind.
fn criteria_of(ranked: &[FamilyEvidence]) -> Vec<Criterion> {
    let selected: Vec<&FamilyEvidence> = ranked.iter().filter(|f| f.selected).collect();
    let as_criterion = |name: &str, columns: Vec<String>| {
        if columns.len() == 1 && columns[0] == name {
            Criterion::Column(name.to_string())
        } else {
            Criterion::Group(CriterionGroup {
                name: name.to_string(),
                columns,
                weight: None,
            })
        }
    };
    if selected.len() <= 5 {
        return selected
            .iter()
            .map(|f| as_criterion(&f.family, f.columns.clone()))
            .collect();
    }
    let mut kinds: Vec<(&str, Vec<String>)> = Vec::new();
    for f in selected {
        let kind = kind_of(&f.family);
        match kinds.iter_mut().find(|(k, _)| *k == kind) {
            Some((_, cols)) => cols.extend(f.columns.iter().cloned()),
            None => kinds.push((kind, f.columns.clone())),
        }
    }
    // Six kinds at most: the weakest two share one criterion.
    if kinds.len() > 5 {
        if let Some((_, last)) = kinds.pop() {
            if let Some((_, prev)) = kinds.last_mut() {
                prev.extend(last);
            }
        }
    }
    kinds
        .into_iter()
        .map(|(k, cols)| as_criterion(k, cols))
        .collect()
}

/// The block rotated onto its principal axes and scaled to unit variance (`X' X / n = I`),
/// dropping directions without variance; `None` when nothing is left.
fn whiten(mut x: Array2<f64>) -> Option<Array2<f64>> {
    let n = x.nrows() as f64;
    if x.ncols() == 0 || n < 2.0 {
        return None;
    }
    let mean = x.mean_axis(Axis(0))?;
    x -= &mean;
    let cov = x.t().dot(&x) / n;
    let (values, vectors) = symmetric_eigen(cov);
    let top = values.iter().copied().fold(0.0, f64::max);
    let keep: Vec<usize> = (0..values.len())
        .filter(|&i| values[i] > 1e-9 * top.max(1e-300) && values[i] > 1e-12)
        .collect();
    if keep.is_empty() {
        return None;
    }
    let mut w = vectors.select(Axis(1), &keep);
    for (j, &i) in keep.iter().enumerate() {
        w.column_mut(j).mapv_inplace(|v| v / values[i].sqrt());
    }
    Some(x.dot(&w))
}

/// Eigenvalues and eigenvectors (as columns) of a small symmetric matrix, by cyclic Jacobi
/// rotations.
fn symmetric_eigen(mut a: Array2<f64>) -> (Vec<f64>, Array2<f64>) {
    let p = a.nrows();
    let mut v = Array2::<f64>::eye(p);
    for _ in 0..100 {
        let off: f64 = (0..p)
            .flat_map(|i| (0..p).filter(move |&j| j != i).map(move |j| (i, j)))
            .map(|(i, j)| a[[i, j]] * a[[i, j]])
            .sum();
        if off < 1e-22 {
            break;
        }
        for i in 0..p {
            for j in i + 1..p {
                if a[[i, j]].abs() < 1e-300 {
                    continue;
                }
                let theta = (a[[j, j]] - a[[i, i]]) / (2.0 * a[[i, j]]);
                let t = theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt());
                let t = if theta == 0.0 { 1.0 } else { t };
                let (c, s) = (1.0 / (t * t + 1.0).sqrt(), t / (t * t + 1.0).sqrt());
                for k in 0..p {
                    let (aki, akj) = (a[[k, i]], a[[k, j]]);
                    a[[k, i]] = c * aki - s * akj;
                    a[[k, j]] = s * aki + c * akj;
                }
                for k in 0..p {
                    let (aik, ajk) = (a[[i, k]], a[[j, k]]);
                    a[[i, k]] = c * aik - s * ajk;
                    a[[j, k]] = s * aik + c * ajk;
                }
                for k in 0..p {
                    let (vki, vkj) = (v[[k, i]], v[[k, j]]);
                    v[[k, i]] = c * vki - s * vkj;
                    v[[k, j]] = s * vki + c * vkj;
                }
            }
        }
    }
    ((0..p).map(|i| a[[i, i]]).collect(), v)
}

/// A chi-square value with `df` degrees of freedom as a normal z-score (Wilson and Hilferty's
/// cube-root transformation; conservative in the far tail for one degree of freedom).
fn chi_square_z(chi2: f64, df: f64) -> f64 {
    let k = 2.0 / (9.0 * df);
    ((chi2 / df).cbrt() - (1.0 - k)) / k.sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jacobi_diagonalises() {
        let a = ndarray::arr2(&[[4.0, 1.0, 0.5], [1.0, 3.0, 0.2], [0.5, 0.2, 1.0]]);
        let (values, v) = symmetric_eigen(a.clone());
        let back = v
            .dot(&Array2::from_diag(&ndarray::Array1::from(values)))
            .dot(&v.t());
        assert!((back - &a).iter().all(|d| d.abs() < 1e-9));
    }

    #[test]
    fn chi_square_z_matches_known_quantiles() {
        // The 99 % quantile of chi-square with 10 degrees of freedom is 23.209.
        assert!((chi_square_z(23.209, 10.0) - 2.326).abs() < 0.02);
        // The 95 % quantile with 1 degree of freedom is 3.841.
        assert!((chi_square_z(3.841, 1.0) - 1.645).abs() < 0.05);
    }

    #[test]
    fn whitened_blocks_have_unit_covariance() {
        let x = Array2::from_shape_fn((200, 3), |(i, j)| ((i * (j + 2)) % 7) as f64 + j as f64);
        let w = whiten(x).unwrap();
        let c = w.t().dot(&w) / 200.0;
        for i in 0..c.nrows() {
            for j in 0..c.ncols() {
                let want = if i == j { 1.0 } else { 0.0 };
                assert!((c[[i, j]] - want).abs() < 1e-8, "{c}");
            }
        }
    }
}
