//! Assigning contacts to a bucket's personas with plain SQL generated from the fitted model,
//! so that a cluster assigns every contact without moving them to the driver and without a
//! function to ship to its executors.
//!
//! An [`Assignment`] holds what a contact the fit never saw needs: how each design column
//! follows from the feature model's columns ([`Encoding`]: the fitted log, winsorising,
//! standardisation, level pooling and weights) and the rule of the bucket's method: the nearest
//! k-means centroid, or the latent class of highest posterior (each attribute's level or
//! counts, each class's log share and log level probabilities). [`Assignment::sql`] prints
//! them as one query over the feature model; its arithmetic is that of the Rust fit, term by
//! term and in the same order, so on the fitted contacts it gives the same personas.

mod buckets;
mod terms;

pub use buckets::bucket_filter;

use ndarray::Array2;

use crate::features::{sql_ident, Encoding};

use super::latent::{Code, Parameters, Rules};
use super::ClusterModel;
use terms::{argmax, argmin, bin, code_sql, largest, sq_dist, sql_f64, sum, Shares};

/// How a bucket's contacts are assigned to its personas.
#[derive(Debug, Clone, Default)]
pub struct Assignment {
    /// How each design column follows from the feature model's columns.
    pub encodings: Vec<Encoding>,
    /// The method's rule over the design columns.
    pub rule: Rule,
    /// The bucket's contacts among the feature model's rows, as a SQL condition (`None`: all).
    pub filter: Option<String>,
}

/// A bucket's assignment rule.
#[derive(Debug, Clone, Default)]
pub enum Rule {
    /// One persona: everyone is persona 0.
    #[default]
    One,
    /// The nearest centroid (k x design columns; ties: the first).
    Nearest {
        /// Centroids, one row per persona.
        centroids: Array2<f64>,
    },
    /// The latent class of highest posterior (ties: the first).
    Latent {
        /// How each attribute follows from a contact's columns.
        rules: Rules,
        /// Each class's share and level probabilities.
        params: Parameters,
    },
}

impl Assignment {
    /// The assignment of `model`, fitted on the design columns `encodings` (with the latent
    /// class rules when the model's labels are latent classes).
    pub fn new(
        encodings: Vec<Encoding>,
        model: &ClusterModel,
        rules: Option<&Rules>,
        filter: Option<String>,
    ) -> Assignment {
        let rule = match (&model.latent, rules) {
            _ if model.k < 2 => Rule::One,
            (Some(params), Some(rules)) => Rule::Latent {
                rules: rules.clone(),
                params: params.clone(),
            },
            _ => Rule::Nearest {
                centroids: model.centroids.clone(),
            },
        };
        Assignment {
            encodings,
            rule,
            filter,
        }
    }

    /// A query over the feature model `model` giving each of the bucket's contacts
    /// (`contact_id`, as text) and its persona (`persona`, 0-based, the model's order).
    pub fn sql(&self, model: &str) -> String {
        self.sql_with(model, &[])
    }

    /// [`Assignment::sql`] with the values of `keep`, SQL expressions over the feature model's
    /// columns, as the columns `x0`, `x1`, ... after `persona`.
    pub fn sql_with(&self, model: &str, keep: &[String]) -> String {
        let mut columns: Vec<String> = (self.encodings.iter().enumerate())
            .map(|(j, e)| format!("{} AS d{j}", e.sql()))
            .chain(keep.iter().enumerate().map(|(i, e)| format!("{e} AS x{i}")))
            .collect();
        // Each step a query over the one before: columns added to `*`, the last picks.
        let mut steps: Vec<Vec<String>> = Vec::new();
        let persona = match &self.rule {
            Rule::One => "0".to_string(),
            Rule::Nearest { centroids } => {
                let d: Vec<String> = (0..centroids.ncols()).map(|j| format!("d{j}")).collect();
                steps.push(
                    (centroids.rows().into_iter().enumerate())
                        .map(|(c, row)| format!("{} AS c{c}", sq_dist(&d, &row.to_vec())))
                        .collect(),
                );
                argmin(
                    &(0..centroids.nrows())
                        .map(|c| format!("c{c}"))
                        .collect::<Vec<_>>(),
                )
            }
            Rule::Latent { rules, params } => {
                let shares: Vec<Shares> = (rules.shares.iter().enumerate())
                    .map(|(i, s)| Shares::new(s, i))
                    .collect();
                columns.extend(shares.iter().flat_map(Shares::inputs));
                steps.extend(latent_steps(rules, params, &shares));
                let k = params.log_share.len();
                argmax(&(0..k).map(|c| format!("l{c}")).collect::<Vec<_>>())
            }
        };
        let filter = (self.filter.as_ref()).map_or_else(String::new, |f| format!(" WHERE {f}"));
        let mut query = format!(
            "SELECT CAST({} AS VARCHAR) AS contact_id{} FROM {}{filter}",
            sql_ident("contact_id"),
            columns.iter().map(|c| format!(", {c}")).collect::<String>(),
            sql_ident(model),
        );
        for step in steps.iter().filter(|s| !s.is_empty()) {
            query = format!("SELECT *, {} FROM ({query})", step.join(", "));
        }
        let kept: String = (0..keep.len()).map(|i| format!(", x{i}")).collect();
        format!("SELECT contact_id, {persona} AS persona{kept} FROM ({query})")
    }
}

/// The steps of the latent class rule after the design columns: the codebooks' distances and
/// the compositions' counts, then each categorical attribute's level, then each class's log
/// posterior up to a constant (`l<c>`: log share + level terms + count terms, as the E-step
/// adds them).
fn latent_steps(rules: &Rules, params: &Parameters, shares: &[Shares]) -> Vec<Vec<String>> {
    let d = |j: &usize| format!("d{j}");
    let mut distances = Vec::new();
    let mut codes = Vec::new();
    for (i, code) in rules.codes.iter().enumerate() {
        let level = match code {
            Code::Largest { columns, seen } => {
                let cols: Vec<String> = columns.iter().map(d).collect();
                let level = largest(&cols);
                if *seen {
                    // an unseen level (all indicators 0): no level, no evidence
                    let zero: Vec<String> = cols.iter().map(|c| format!("{c} = 0.0")).collect();
                    format!("CASE WHEN {} THEN -1 ELSE {level} END", zero.join(" AND "))
                } else {
                    level
                }
            }
            Code::Bin {
                column,
                missing,
                edges,
            } => bin(
                &d(column),
                &missing.iter().map(d).collect::<Vec<_>>(),
                edges,
            ),
            Code::Nearest { columns, codes } => {
                let cols: Vec<String> = columns.iter().map(d).collect();
                (codes.iter().enumerate()).for_each(|(m, code)| {
                    distances.push(format!("{} AS k{i}_{m}", sq_dist(&cols, code)))
                });
                argmin(
                    &(0..codes.len())
                        .map(|m| format!("k{i}_{m}"))
                        .collect::<Vec<_>>(),
                )
            }
        };
        codes.push(format!("{level} AS a{i}"));
    }
    distances.extend(shares.iter().flat_map(Shares::counts));
    let k = params.log_share.len();
    let likelihoods = (0..k)
        .map(|c| {
            let mut ll = sql_f64(params.log_share[c]);
            let categorical: Vec<String> = (0..rules.codes.len())
                .map(|i| code_sql(&format!("a{i}"), class_row(&params.tables[i], k, c)))
                .collect();
            if !categorical.is_empty() {
                ll = format!("{ll} + ({})", sum(&categorical));
            }
            let counts: Vec<String> = (shares.iter().enumerate())
                .map(|(i, s)| {
                    s.log_likelihood(class_row(&params.tables[rules.codes.len() + i], k, c))
                })
                .collect();
            if !counts.is_empty() {
                ll = format!("{ll} + ({})", sum(&counts));
            }
            format!("{ll} AS l{c}")
        })
        .collect();
    vec![distances, codes, likelihoods]
}

/// Class `c`'s row of a class-major table of `k` classes.
fn class_row(table: &[f64], k: usize, c: usize) -> &[f64] {
    let levels = table.len() / k.max(1);
    &table[c * levels..(c + 1) * levels]
}

#[cfg(test)]
mod tests;
