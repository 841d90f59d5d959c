//! The SQL terms of an assignment, each the arithmetic of its Rust counterpart in the same
//! order of operations (so the same `f64`s): sums left to right, the four-lane squared
//! distance of `rows::sq_dist`, and the tie rules of the Rust choices (first minimum, last
//! maximum).

use crate::features::number_sql;
pub use crate::features::sql_f64;

use super::super::latent;

/// `((t0 + t1) + t2) ...`, each term in parentheses (a Rust `Iterator::sum` of them).
pub(super) fn sum(terms: &[String]) -> String {
    match terms {
        [] => "0.0".into(),
        _ => terms
            .iter()
            .map(|t| format!("({t})"))
            .collect::<Vec<_>>()
            .join(" + "),
    }
}

/// The squared Euclidean distance of the columns `cols` to `point`, accumulated as
/// `rows::sq_dist` does: four lanes over whole chunks of four, then the tail.
pub(super) fn sq_dist(cols: &[String], point: &[f64]) -> String {
    let term = |j: usize| {
        let diff = format!("({} - {})", cols[j], sql_f64(point[j]));
        format!("{diff} * {diff}")
    };
    let whole = cols.len() / 4 * 4;
    let tail: Vec<String> = (whole..cols.len()).map(term).collect();
    if whole == 0 {
        return sum(&tail);
    }
    let lane = |l: usize| sum(&(l..whole).step_by(4).map(term).collect::<Vec<_>>());
    let lanes = format!(
        "(({}) + ({})) + (({}) + ({}))",
        lane(0),
        lane(1),
        lane(2),
        lane(3)
    );
    if tail.is_empty() {
        lanes
    } else {
        format!("({lanes}) + ({})", sum(&tail))
    }
}

/// Which of several equal values a choice takes.
#[derive(Clone, Copy)]
enum Ties {
    /// The first of the smallest.
    FirstMin,
    /// The first of the largest.
    FirstMax,
    /// The last of the largest.
    LastMax,
}

/// The position of the chosen one of `exprs` (a `CASE`; the last position when none is).
fn choose(exprs: &[String], ties: Ties) -> String {
    if exprs.len() < 2 {
        return "0".into();
    }
    let (before, after) = match ties {
        Ties::FirstMin => ("<", "<="),
        Ties::FirstMax => (">", ">="),
        Ties::LastMax => (">=", ">"),
    };
    let whens: String = (0..exprs.len() - 1)
        .map(|i| {
            let cond: Vec<String> = (0..exprs.len())
                .filter(|&j| j != i)
                .map(|j| {
                    let op = if j < i { before } else { after };
                    format!("{} {op} {}", exprs[i], exprs[j])
                })
                .collect();
            format!(" WHEN {} THEN {i}", cond.join(" AND "))
        })
        .collect();
    format!("CASE{whens} ELSE {} END", exprs.len() - 1)
}

/// The position of the smallest of `exprs` (ties: the first).
pub(super) fn argmin(exprs: &[String]) -> String {
    choose(exprs, Ties::FirstMin)
}

/// The position of the largest of `exprs` (ties: the first).
pub(super) fn argmax(exprs: &[String]) -> String {
    choose(exprs, Ties::FirstMax)
}

/// A categorical's level from its indicator columns: the last of the largest.
pub(super) fn largest(cols: &[String]) -> String {
    choose(cols, Ties::LastMax)
}

/// A number's bin: how many `edges` are at most `col`; `edges.len() + 1` when any of `missing`
/// is non-zero.
pub(super) fn bin(col: &str, missing: &[String], edges: &[f64]) -> String {
    let count = if edges.is_empty() {
        "0".to_string()
    } else {
        (edges.iter())
            .map(|e| format!("CASE WHEN {col} >= {} THEN 1 ELSE 0 END", sql_f64(*e)))
            .collect::<Vec<_>>()
            .join(" + ")
    };
    if missing.is_empty() {
        return count;
    }
    let absent: Vec<String> = missing.iter().map(|m| format!("{m} <> 0.0")).collect();
    format!(
        "CASE WHEN {} THEN {} ELSE {count} END",
        absent.join(" OR "),
        edges.len() + 1
    )
}

/// The value of `row` at the level in column `attr` (0, no evidence, for no level: `-1`).
pub(super) fn code_sql(attr: &str, row: &[f64]) -> String {
    let whens: String = (row.iter().enumerate())
        .map(|(level, v)| format!(" WHEN {level} THEN {}", sql_f64(*v)))
        .collect();
    format!("CASE {attr}{whens} ELSE 0.0 END")
}

/// The SQL columns of composition `i`: its shares as read, then its counts.
pub(super) struct Shares<'a> {
    rule: &'a latent::Shares,
    i: usize,
}

impl<'a> Shares<'a> {
    /// Composition `i` of the rules.
    pub(super) fn new(rule: &'a latent::Shares, i: usize) -> Shares<'a> {
        Shares { rule, i }
    }

    /// Columns over the feature model: each share (missing or negative: 0), whether any share
    /// is there, and the count of observations (missing or negative: 0; without one: 1).
    pub(super) fn inputs(&self) -> Vec<String> {
        let i = self.i;
        let positive = |c: &str| format!("greatest(coalesce({}, 0.0), 0.0)", number_sql(c));
        let mut out: Vec<String> = (self.rule.shares.iter().enumerate())
            .map(|(l, s)| format!("{} AS s{i}_{l}", positive(s)))
            .collect();
        let seen: Vec<String> = (self.rule.shares.iter())
            .map(|s| format!("{} IS NOT NULL", number_sql(s)))
            .collect();
        out.push(format!("({}) AS seen{i}", seen.join(" OR ")));
        let weight = self.rule.counted.as_deref().map_or("1.0".into(), positive);
        out.push(format!("{weight} AS w{i}"));
        out
    }

    /// Columns over [`Shares::inputs`]: each level's count, the rest of 1 last.
    pub(super) fn counts(&self) -> Vec<String> {
        let i = self.i;
        let shares: Vec<String> = (0..self.rule.shares.len())
            .map(|l| format!("s{i}_{l}"))
            .collect();
        let mut out: Vec<String> = (shares.iter().enumerate())
            .map(|(l, s)| format!("{s} * w{i} AS n{i}_{l}"))
            .collect();
        out.push(format!(
            "(CASE WHEN seen{i} THEN greatest(1.0 - ({}), 0.0) ELSE 0.0 END) * w{i} AS n{i}_{}",
            sum(&shares),
            shares.len()
        ));
        out
    }

    /// The log-likelihood of the counts under one class's log level probabilities `row`.
    pub(super) fn log_likelihood(&self, row: &[f64]) -> String {
        let terms: Vec<String> = (row.iter().enumerate())
            .map(|(l, lp)| format!("n{}_{l} * {}", self.i, sql_f64(*lp)))
            .collect();
        sum(&terms)
    }
}
