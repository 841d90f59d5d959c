//! A bucket's [`Tally`] as SQL aggregates over its contacts assigned by the bucket's SQL
//! ([`Assignment::sql_with`]), so that an engine counts every contact and the driver
//! receives a few rows per persona. Two queries: the [moments](TallySql::moments) (one row
//! per persona: its contacts, those meeting the negative rule, the value it holds, and each
//! numeric column's count, sum, sum of squares, mean and population variance) and the
//! [levels](TallySql::levels) (one row per persona and level of each categorical column,
//! counted in one pass over the contacts by unnesting a `<column>:<level>` key per column).
//!
//! The columns are read as the loader reads them ([`number_sql`], [`level_sql`], [`tag_sql`]);
//! the sums are the engine's, so a tally agrees with [`Tally::of_rows`] up to the order of
//! floating-point additions, and the bucket's mean and standard deviation are pooled from the
//! personas' (Chan's parallel formula, with no cancellation of large sums of squares).

use std::collections::BTreeMap;

use crate::cluster::assign::Assignment;
use crate::config::{NegativeRule, ProfileConfig};
use crate::features::{ieee_bound, level_sql, number_sql, sql_str, tag_sql, FeatureTable, TAG_SEP};

use super::super::stats::Moments;
use super::{LevelTally, NumericTally, Tally};

/// The moments of one persona as the moments query gives them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PersonaRow {
    /// The persona (0-based).
    pub persona: usize,
    /// Its contacts.
    pub contacts: usize,
    /// Its contacts meeting the negative rule (`None` without the rule).
    pub negative: Option<usize>,
    /// The value it holds (`None` for no value).
    pub held: Option<f64>,
    /// Per numeric column: count, sum, sum of squares, mean and population variance of the
    /// known values (`None` for an aggregate of no value).
    pub numeric: Vec<[Option<f64>; 5]>,
}

/// The two queries of a bucket's tally and how their rows become one.
#[derive(Debug, Clone)]
pub struct TallySql {
    /// The numeric columns, in the feature table's order.
    numeric: Vec<String>,
    /// The categorical columns, in the feature table's order.
    categorical: Vec<String>,
    /// Whether the moments query counts the negative rule.
    negative: bool,
    /// The moments query: `persona`, `contacts`, `negative` (with the rule), `held` (with the
    /// priority's value column), then per numeric column `n<i>`, `s<i>`, `q<i>`, `m<i>`, `v<i>`.
    pub moments: String,
    /// The levels query: `persona`, `key` (`<categorical column index>:<level>`), `contacts`.
    pub levels: String,
}

impl TallySql {
    /// The queries over the feature model `model` for the bucket assigned by `assignment`, with
    /// the columns of `t` (the contacts the driver holds), the negative rule and the priority's
    /// value column of `cfg`.
    pub fn new(
        assignment: &Assignment,
        model: &str,
        t: &FeatureTable,
        cfg: &ProfileConfig,
    ) -> TallySql {
        let rule = &cfg.negative;
        let multi: Vec<&str> = t.multi_raw.iter().map(|c| c.name.as_str()).collect();
        let numeric: Vec<String> = t.numeric.iter().map(|c| c.name.clone()).collect();
        let categorical: Vec<String> = t.categorical.iter().map(|c| c.name.clone()).collect();
        let negative = rule.enabled && !rule.conditions.is_empty();
        let mut keep: Vec<String> = numeric.iter().map(|c| number_sql(c)).collect();
        keep.extend(categorical.iter().map(|c| level_of(c, &multi)));
        if negative {
            keep.push(negative_sql(rule, t, &multi));
        }
        let assigned = assignment.sql_with(model, &keep);
        let mut moments = vec!["persona".to_string(), "COUNT(*) AS contacts".to_string()];
        if negative {
            let x = format!("x{}", keep.len() - 1);
            moments.push(format!("SUM(CASE WHEN {x} THEN 1 ELSE 0 END) AS negative"));
        }
        let value = &cfg.priority.value_column;
        if let Some(i) = numeric.iter().position(|c| c == value) {
            moments.push(format!(
                "SUM(CASE WHEN x{i} > 0.0 THEN x{i} ELSE 0.0 END) AS held"
            ));
        }
        for i in 0..numeric.len() {
            let x = format!("x{i}");
            moments.extend([
                format!("COUNT({x}) AS n{i}"),
                format!("SUM({x}) AS s{i}"),
                format!("SUM({x} * {x}) AS q{i}"),
                format!("AVG({x}) AS m{i}"),
                format!("VAR_POP({x}) AS v{i}"),
            ]);
        }
        let moments = format!(
            "SELECT {} FROM ({assigned}) GROUP BY persona",
            moments.join(", ")
        );
        let keys: Vec<String> = (0..categorical.len())
            .map(|j| format!("concat('{j}:', x{})", numeric.len() + j))
            .collect();
        let levels = if keys.is_empty() {
            // no categorical column: a query of no rows
            "SELECT 0 AS persona, '' AS key, 0 AS contacts WHERE false".to_string()
        } else {
            format!(
                "SELECT persona, key, COUNT(*) AS contacts FROM (SELECT persona, \
                 unnest(make_array({})) AS key FROM ({assigned})) GROUP BY persona, key",
                keys.join(", ")
            )
        };
        TallySql {
            numeric,
            categorical,
            negative,
            moments,
            levels,
        }
    }

    /// The tally of `k` personas from the moments query's rows and the levels query's
    /// (`persona`, `key`, contacts) rows; why not, when the rows are not this tally's (a
    /// persona past `k` or twice, a key no column has, a column whose levels do not add up to
    /// each persona's contacts).
    pub fn tally(
        &self,
        k: usize,
        moments: &[PersonaRow],
        levels: &[(usize, String, usize)],
    ) -> Result<Tally, String> {
        let mut sizes = vec![0usize; k];
        let mut seen = vec![false; k];
        let mut negative = self.negative.then(|| vec![0usize; k]);
        let mut held = vec![0.0; k];
        let mut per = vec![vec![Moments::default(); k]; self.numeric.len()];
        // per column and persona: (count, mean, population variance) for the pooled figures
        let mut pooled = vec![vec![(0.0, 0.0, 0.0); k]; self.numeric.len()];
        for row in moments {
            let p = row.persona;
            if p >= k || std::mem::replace(&mut seen[p], true) {
                return Err(format!("persona {p} of {k} is out of range or twice"));
            }
            sizes[p] = row.contacts;
            if let (Some(hits), Some(n)) = (negative.as_mut(), row.negative) {
                hits[p] = n;
            }
            held[p] = row.held.unwrap_or(0.0);
            if row.numeric.len() != self.numeric.len() {
                return Err(format!(
                    "{} numeric columns, not {}",
                    row.numeric.len(),
                    self.numeric.len()
                ));
            }
            for (i, [n, sum, sq, mean, var]) in row.numeric.iter().enumerate() {
                let n = n.unwrap_or(0.0);
                per[i][p] = Moments {
                    n,
                    sum: sum.unwrap_or(0.0),
                    sum_sq: sq.unwrap_or(0.0),
                };
                pooled[i][p] = (n, mean.unwrap_or(0.0), var.unwrap_or(0.0));
            }
        }
        let numeric = (self.numeric.iter().zip(per).zip(pooled))
            .map(|((name, per), pooled)| {
                let all = per.iter().fold(Moments::default(), |a, m| Moments {
                    n: a.n + m.n,
                    sum: a.sum + m.sum,
                    sum_sq: a.sum_sq + m.sum_sq,
                });
                let (mean, sd) = pool(&pooled);
                NumericTally {
                    name: name.clone(),
                    per,
                    all,
                    mean,
                    sd,
                }
            })
            .collect();
        let mut categorical: Vec<LevelTally> = (self.categorical.iter())
            .map(|name| LevelTally {
                name: name.clone(),
                counts: BTreeMap::new(),
            })
            .collect();
        for (p, key, n) in levels {
            let column = (key.split_once(':')).and_then(|(j, level)| {
                Some((categorical.get_mut(j.parse::<usize>().ok()?)?, level))
            });
            let Some((column, level)) = column.filter(|_| *p < k) else {
                return Err(format!(
                    "level row ({p}, {key:?}) names no persona or column"
                ));
            };
            let counts = column
                .counts
                .entry(level.to_string())
                .or_insert_with(|| vec![0; k]);
            counts[*p] += n;
        }
        for c in &categorical {
            let mut total = vec![0usize; k];
            (c.counts.values())
                .for_each(|per| per.iter().enumerate().for_each(|(p, n)| total[p] += n));
            if total != sizes {
                return Err(format!(
                    "column {}'s levels count {total:?} contacts per persona, not {sizes:?}",
                    c.name
                ));
            }
        }
        Ok(Tally {
            sizes,
            numeric,
            categorical,
            negative,
            held,
        })
    }
}

/// The mean and population standard deviation of the union of groups given as (count, mean,
/// population variance): Chan's pooling, every group's spread plus its mean's distance.
fn pool(groups: &[(f64, f64, f64)]) -> (f64, f64) {
    let n: f64 = groups.iter().map(|g| g.0).sum();
    if n == 0.0 {
        return (0.0, 0.0);
    }
    let mean = groups.iter().map(|(c, m, _)| c * m).sum::<f64>() / n;
    let ss: f64 = (groups.iter())
        .map(|(c, m, v)| c * v + c * (m - mean) * (m - mean))
        .sum();
    (mean, (ss / n).max(0.0).sqrt())
}

/// The level of feature-table column `name` as the loader reads it: a tag column
/// (`<multi>:<tag>`, the multi-valued column the longest one whose name and `:` begin it) `yes`
/// or `no`, any other a categorical column's level.
fn level_of(name: &str, multi: &[&str]) -> String {
    let tag_of = (multi.iter())
        .filter_map(|m| Some((*m, name.strip_prefix(*m)?.strip_prefix(TAG_SEP)?)))
        .max_by_key(|(m, _)| m.len());
    match tag_of {
        Some((column, tag)) => format!(
            "CASE WHEN {} THEN 'yes' ELSE 'no' END",
            tag_sql(column, tag)
        ),
        None => level_sql(name),
    }
}

/// Whether a contact meets the negative rule, as [`Tally::of_rows`] decides it: a text
/// condition holds when the column's level is one of its levels (ASCII case ignored), a number
/// condition when the value is above (or else below) its bound; a condition on a column the
/// feature table does not have never holds.
fn negative_sql(rule: &NegativeRule, t: &FeatureTable, multi: &[&str]) -> String {
    let conditions: Vec<String> = (rule.conditions.iter())
        .map(|c| {
            let holds = if let Some(levels) = &c.in_ {
                if !t.categorical.iter().any(|col| col.name == c.column) {
                    return "false".to_string();
                }
                let names: Vec<String> = levels.iter().map(|l| regex::escape(l)).collect();
                // ASCII case only (`eq_ignore_ascii_case`)
                let pattern = format!("^(?i-u:({}))$", names.join("|"));
                format!(
                    "regexp_like({}, {})",
                    level_of(&c.column, multi),
                    sql_str(&pattern)
                )
            } else {
                if !t.numeric.iter().any(|col| col.name == c.column) {
                    return "false".to_string();
                }
                let x = number_sql(&c.column);
                // as IEEE compares: a NaN bound holds for no value, `-0.0` is `0.0`
                match (c.above, c.below) {
                    (Some(a), _) if a.is_nan() => "false".to_string(),
                    (Some(a), _) => format!("{x} > {}", ieee_bound(a, false)),
                    (None, Some(b)) if b.is_nan() => "false".to_string(),
                    (None, Some(b)) => format!("{x} < {}", ieee_bound(b, true)),
                    (None, None) => "false".to_string(),
                }
            };
            format!("COALESCE({holds}, false)")
        })
        .collect();
    let join = if rule.match_ == "all" {
        " AND "
    } else {
        " OR "
    };
    format!("({})", conditions.join(join))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::features::{mean_sd, CategoricalColumn, NumericColumn};

    fn table() -> FeatureTable {
        FeatureTable {
            contact_ids: (0..4).map(|i| i.to_string()).collect(),
            emails: vec![None; 4],
            numeric: vec![NumericColumn {
                name: "revenue".into(),
                values: vec![Some(10.0), None, Some(-5.0), Some(1e9)].into(),
                segments: true,
            }],
            categorical: vec![CategoricalColumn {
                name: "email_status".into(),
                values: vec!["subscribed", "cleaned", "unknown", "subscribed"].into(),
                segments: true,
            }],
            multi_raw: vec![],
        }
    }

    #[test]
    fn pooled_groups_give_the_mean_and_spread_of_their_union() {
        let (a, b) = ([1.0, 2.0, 3.0], [1e9, 1e9 + 2.0]);
        let group = |v: &[f64]| {
            let (m, sd) = mean_sd(v.iter().copied());
            (v.len() as f64, m, sd * sd)
        };
        let (mean, sd) = pool(&[group(&a), group(&b), (0.0, 0.0, 0.0)]);
        let (m, s) = mean_sd(a.iter().chain(&b).copied());
        assert!(
            (mean - m).abs() <= 1e-6 && (sd - s).abs() / s <= 1e-12,
            "{mean} {sd}"
        );
        assert_eq!(pool(&[]), (0.0, 0.0));
    }

    #[test]
    fn rows_of_the_two_queries_make_the_tally_counted_in_memory() {
        let t = table();
        let cfg = crate::config::ProfileConfig::default();
        let labels = [0, 1, 1, 0];
        let in_memory = Tally::of_rows(&t, &[0, 1, 2, 3], &labels, 2, &cfg);
        let sql = TallySql::new(&Assignment::default(), "m", &t, &cfg);
        // what an engine returns for those rows: revenue 10 and 1e9 in persona 0, -5 in 1
        let numeric =
            |n: f64, s: f64, q: f64, m: f64, v: f64| [Some(n), Some(s), Some(q), Some(m), Some(v)];
        let moments = [
            PersonaRow {
                persona: 0,
                contacts: 2,
                negative: Some(0),
                held: Some(10.0 + 1e9),
                numeric: vec![numeric(
                    2.0,
                    10.0 + 1e9,
                    100.0 + 1e18,
                    (10.0 + 1e9) / 2.0,
                    ((1e9 - 10.0) / 2.0) * ((1e9 - 10.0) / 2.0),
                )],
            },
            PersonaRow {
                persona: 1,
                contacts: 2,
                negative: Some(1),
                held: Some(0.0),
                numeric: vec![numeric(1.0, -5.0, 25.0, -5.0, 0.0)],
            },
        ];
        let levels = [
            (0, "0:subscribed".to_string(), 2),
            (1, "0:cleaned".to_string(), 1),
            (1, "0:unknown".to_string(), 1),
        ];
        let by_sql = sql.tally(2, &moments, &levels).unwrap();
        assert_eq!(by_sql.sizes, in_memory.sizes);
        assert_eq!(by_sql.negative, in_memory.negative);
        assert_eq!(by_sql.held, in_memory.held);
        assert_eq!(by_sql.categorical, in_memory.categorical);
        assert_eq!(by_sql.numeric[0].per, in_memory.numeric[0].per);
        let (s, m) = (&by_sql.numeric[0], &in_memory.numeric[0]);
        assert!((s.mean - m.mean).abs() <= 1e-6 && (s.sd - m.sd).abs() / m.sd <= 1e-12);
        // rows that are not this tally's are refused, not counted
        assert!(sql.tally(1, &moments, &levels).is_err());
        assert!(sql.tally(2, &moments, &[(0, "7:x".into(), 1)]).is_err());
        assert!(sql.tally(2, &moments, &[(0, "no key".into(), 1)]).is_err());
        let twice = [moments[0].clone(), moments[0].clone()];
        assert!(sql.tally(2, &twice, &levels).is_err());
        // a level count that does not add up to the persona's contacts
        assert!(sql.tally(2, &moments, &levels[..2]).is_err());
    }

    #[test]
    fn the_queries_read_columns_as_the_loader_does() {
        let t = table();
        let cfg = crate::config::ProfileConfig::default();
        let sql = TallySql::new(&Assignment::default(), "m", &t, &cfg);
        // the default negative rule: email_status in (unsubscribed, cleaned), ASCII case
        // ignored, and two numeric columns this table does not have (never met)
        assert!(
            sql.moments.contains("(?i-u:(unsubscribed|cleaned))"),
            "{}",
            sql.moments
        );
        assert!(sql.moments.contains("AS held"), "{}", sql.moments);
        assert!(
            sql.levels.contains("unnest(make_array(concat('0:', x1)))"),
            "{}",
            sql.levels
        );
        let none = crate::config::ProfileConfig {
            negative: crate::config::NegativeRule {
                enabled: false,
                ..Default::default()
            },
            ..Default::default()
        };
        let sql = TallySql::new(&Assignment::default(), "m", &t, &none);
        assert!(!sql.moments.contains("negative"), "{}", sql.moments);
    }
}
