//! The attributes a latent class model describes each persona by, one per *family* of design
//! columns (the columns the structure test moves together: a categorical's indicators, one
//! composition of shares, a number and its missing-value indicator, a multi-valued column's
//! values, a named group such as sessions and page views).
//!
//! Local independence is assumed *between* families, never inside one: a contact's mobile and
//! desktop shares, or their employee count and company-size band, are one piece of evidence,
//! not two. So each family becomes one attribute:
//! - a categorical: its levels;
//! - one number (with its missing-value indicator, if any): its decile bin, missing its own level;
//! - a composition (every column a `share_*` of the feature table): counts, each share times the
//!   contact's `sessions` (the independent observations behind the shares: GA4 scopes device and
//!   traffic medium to the session), plus the rest of 1 as one more level, fitted as a
//!   multinomial; a contact with no web activity adds no evidence;
//! - any other family of several columns: its code in a 12-code k-means codebook of the family's
//!   columns (its distinct rows when there are at most 12).

use std::collections::BTreeMap;

use ndarray::Axis;

use crate::error::Result;
use crate::features::{Design, FeatureTable};

use super::super::kmeans::centroids_at;
use super::super::rows::row_major;
use super::super::KMeansSettings;
use super::rules::{Code, Rules, Shares};

/// Quantile bins of a number.
const BINS: usize = 10;
/// Codes of the codebook of a family of several columns.
const CODES: usize = 12;
/// k-means restarts of a family's codebook.
const CODE_RESTARTS: usize = 3;
/// The feature column counting the independent observations behind the share columns.
pub const SHARES_COUNTED_IN: &str = "sessions";

/// One categorical attribute: each row's level, and the number of levels.
#[derive(Debug, Clone)]
pub(super) struct Categorical {
    pub(super) codes: Vec<u16>,
    pub(super) levels: usize,
    /// The design-column family it stands for.
    pub(super) family: usize,
}

/// One composition: each row's count per level (row-major, `levels` per row).
#[derive(Debug, Clone)]
pub(super) struct Composition {
    pub(super) counts: Vec<f64>,
    pub(super) levels: usize,
    /// The design-column family it stands for.
    pub(super) family: usize,
}

/// The attributes of a bucket's contacts (see the module header).
#[derive(Debug, Clone)]
pub struct Attributes {
    pub(super) categorical: Vec<Categorical>,
    pub(super) compositions: Vec<Composition>,
    pub(super) rows: usize,
    /// How each attribute follows from a row's columns.
    pub(super) rules: Rules,
}

impl Attributes {
    /// The attributes of the rows of `design`; `table` and `rows` (the feature-table row of
    /// each design row) give the raw shares of compositions (without them, a composition is
    /// coded like any other family of several columns). `seed` seeds the codebooks.
    pub fn new(
        design: &Design,
        table: Option<(&FeatureTable, &[usize])>,
        seed: u64,
    ) -> Result<Attributes> {
        let x = &design.matrix;
        let mut out = Attributes {
            categorical: Vec::new(),
            compositions: Vec::new(),
            rows: x.nrows(),
            rules: Rules::default(),
        };
        let families = design.families.iter().map(|f| f + 1).max().unwrap_or(0);
        for f in 0..families {
            let cols: Vec<usize> = (0..design.columns.len())
                .filter(|&j| design.families[j] == f)
                .collect();
            let names: Vec<&str> = cols.iter().map(|&j| &*design.columns[j]).collect();
            let (missing, values): (Vec<usize>, Vec<usize>) = cols
                .iter()
                .partition(|&&j| design.columns[j].ends_with("_missing"));
            let value_names: Vec<&str> = values.iter().map(|&j| &*design.columns[j]).collect();
            let (categorical, code) = if let Some((c, shares)) =
                table.and_then(|(t, rows)| composition(t, rows, &value_names))
            {
                out.compositions.push(Composition { family: f, ..c });
                out.rules.shares.push(shares);
                continue;
            } else if one_categorical(&names) {
                let seen = cols.iter().any(|&j| x.column(j).iter().any(|v| *v != 0.0));
                let code = Code::Largest {
                    columns: cols.clone(),
                    seen,
                };
                (levels_of(x, &cols), code)
            } else if values.len() == 1 {
                let absent = |r: usize| missing.iter().any(|&j| x[[r, j]] != 0.0);
                let column: Vec<f64> = x.column(values[0]).to_vec();
                let (c, edges) = binned(&column, absent);
                let code = Code::Bin {
                    column: values[0],
                    missing,
                    edges,
                };
                (c, code)
            } else if !cols.is_empty() {
                codebook(design, &cols, seed)?
            } else {
                continue;
            };
            out.categorical.push(Categorical {
                family: f,
                ..categorical
            });
            out.rules.codes.push(code);
        }
        Ok(out)
    }

    /// The attributes of the rows `idx` (indices into these rows).
    pub fn select(&self, idx: &[usize]) -> Attributes {
        self.rearranged(idx.len(), |_| idx)
    }

    /// A copy in which the attribute of family `f` of row `i` is that of row `by_family[f][i]`
    /// (a null copy: each family permuted on its own).
    pub(super) fn permuted(&self, by_family: &[Vec<usize>]) -> Attributes {
        self.rearranged(self.rows, |f| &by_family[f])
    }

    /// A copy whose attribute of family `f` takes its rows from `rows_of(f)`.
    fn rearranged<'a>(&self, rows: usize, rows_of: impl Fn(usize) -> &'a [usize]) -> Attributes {
        Attributes {
            categorical: (self.categorical.iter())
                .map(|a| Categorical {
                    codes: rows_of(a.family).iter().map(|&r| a.codes[r]).collect(),
                    ..*a
                })
                .collect(),
            compositions: (self.compositions.iter())
                .map(|c| Composition {
                    counts: (rows_of(c.family).iter())
                        .flat_map(|&r| c.counts[r * c.levels..(r + 1) * c.levels].iter().copied())
                        .collect(),
                    ..*c
                })
                .collect(),
            rows,
            rules: self.rules.clone(),
        }
    }

    /// How each attribute follows from a row's columns.
    pub fn rules(&self) -> &Rules {
        &self.rules
    }

    /// Free parameters of one class: its share and, per attribute, its level probabilities
    /// (levels - 1).
    pub fn class_parameters(&self) -> usize {
        let levels = self.categorical.iter().map(|a| a.levels);
        let levels = levels.chain(self.compositions.iter().map(|c| c.levels));
        1 + levels.map(|l| l.saturating_sub(1)).sum::<usize>()
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.rows
    }

    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.rows == 0
    }
}

/// Whether `names` are the level indicators of one categorical (`size=a`, `size=b`, ...).
fn one_categorical(names: &[&str]) -> bool {
    let base = |n: &str| n.split_once('=').map(|(b, _)| b.to_string());
    match names.first().and_then(|n| base(n)) {
        Some(first) => names.iter().all(|n| base(n).as_deref() == Some(&*first)),
        None => false,
    }
}

/// A categorical's level: the indicator that is set.
fn levels_of(x: &ndarray::Array2<f64>, cols: &[usize]) -> Categorical {
    let codes = (0..x.nrows())
        .map(|r| {
            (0..cols.len())
                .max_by(|&a, &b| x[[r, cols[a]]].total_cmp(&x[[r, cols[b]]]))
                .unwrap_or(0) as u16
        })
        .collect();
    Categorical {
        codes,
        levels: cols.len().max(1),
        family: 0,
    }
}

/// A number as levels: its distinct values when there are at most two, else decile bins;
/// rows for which `absent` holds get a level of their own. With the bin edges.
pub(super) fn binned(values: &[f64], absent: impl Fn(usize) -> bool) -> (Categorical, Vec<f64>) {
    let present: Vec<f64> = (0..values.len())
        .filter(|&r| !absent(r))
        .map(|r| values[r])
        .collect();
    let mut distinct = present.clone();
    distinct.sort_by(f64::total_cmp);
    let sorted = distinct.clone();
    distinct.dedup();
    let edges: Vec<f64> = if distinct.len() <= 2 {
        distinct.iter().skip(1).copied().collect()
    } else {
        let mut e: Vec<f64> = (1..BINS)
            .map(|b| sorted[(b * sorted.len() / BINS).min(sorted.len() - 1)])
            .collect();
        e.dedup();
        e
    };
    let missing_level = edges.len() as u16 + 1;
    let codes = (0..values.len())
        .map(|r| {
            if absent(r) {
                missing_level
            } else {
                edges.partition_point(|e| *e <= values[r]) as u16
            }
        })
        .collect();
    let levels = edges.len() + 2;
    let categorical = Categorical {
        codes,
        levels,
        family: 0,
    };
    (categorical, edges)
}

/// The counts of a composition, when every one of `names` is a `share_*` numeric column of
/// `table` (see the module header).
fn composition(
    table: &FeatureTable,
    rows: &[usize],
    names: &[&str],
) -> Option<(Composition, Shares)> {
    if names.is_empty() || !names.iter().all(|n| n.starts_with("share_")) {
        return None;
    }
    let column = |name: &str| table.numeric.iter().find(|c| c.name == name);
    let shares: Vec<&crate::features::Numbers> = names
        .iter()
        .map(|n| column(n).map(|c| &c.values))
        .collect::<Option<_>>()?;
    let counted = column(SHARES_COUNTED_IN);
    let levels = shares.len() + 1;
    let mut counts = Vec::with_capacity(rows.len() * levels);
    for &r in rows {
        let weight = counted.map_or(1.0, |c| c.values.get(r).unwrap_or(0.0).max(0.0));
        let row: Vec<f64> = shares
            .iter()
            .map(|s| s.get(r).unwrap_or(0.0).max(0.0))
            .collect();
        let total: f64 = row.iter().sum();
        // Shares of a contact with no web activity are missing: no evidence, not "all rest".
        let seen = shares.iter().any(|s| s.get(r).is_some());
        let rest = if seen { (1.0 - total).max(0.0) } else { 0.0 };
        counts.extend(row.iter().chain([&rest]).map(|s| s * weight));
    }
    let rule = Shares {
        shares: names.iter().map(|n| n.to_string()).collect(),
        counted: counted.map(|c| c.name.clone()),
    };
    let composition = Composition {
        counts,
        levels,
        family: 0,
    };
    Some((composition, rule))
}

/// A family of several columns as codes: its distinct rows when there are at most [`CODES`],
/// else the nearest centroid of a seeded k-means codebook of [`CODES`] codes.
fn codebook(design: &Design, cols: &[usize], seed: u64) -> Result<(Categorical, Code)> {
    let block = design.matrix.select(Axis(1), cols);
    let d = cols.len();
    let nearest = |codes: Vec<Vec<f64>>| Code::Nearest {
        columns: cols.to_vec(),
        codes,
    };
    let categorical = |codes: Vec<u16>, levels: usize| Categorical {
        codes,
        levels,
        family: 0,
    };
    if block.nrows() == 0 {
        return Ok((categorical(Vec::new(), 1), nearest(vec![vec![0.0; d]])));
    }
    // Each distinct row and its code, in order of first appearance.
    let mut distinct: BTreeMap<Vec<u64>, u16> = BTreeMap::new();
    let mut rows: Vec<Vec<f64>> = Vec::new();
    for row in block.rows() {
        let key: Vec<u64> = row.iter().map(|v| v.to_bits()).collect();
        if !distinct.contains_key(&key) {
            if distinct.len() == CODES {
                distinct.clear();
                break;
            }
            let code = distinct.len() as u16;
            distinct.insert(key, code);
            rows.push(row.to_vec());
        }
    }
    if !distinct.is_empty() {
        let codes = (block.rows().into_iter())
            .map(|row| distinct[&row.iter().map(|v| v.to_bits()).collect::<Vec<u64>>()])
            .collect();
        return Ok((categorical(codes, distinct.len()), nearest(rows)));
    }
    let flat = row_major(block.view());
    let settings = KMeansSettings {
        seed,
        restarts: CODE_RESTARTS,
        ..KMeansSettings::default()
    };
    let (centroids, labels) = centroids_at(&flat, d, CODES, &settings)?
        .unwrap_or_else(|| (vec![0.0; d], vec![0; block.nrows()]));
    let codes = labels.into_iter().map(|c| c as u16).collect();
    let centroids = centroids
        .chunks_exact(d.max(1))
        .map(<[f64]>::to_vec)
        .collect();
    Ok((categorical(codes, CODES), nearest(centroids)))
}

#[cfg(test)]
mod tests {
    use super::super::tests::design;
    use super::*;
    use crate::features::NumericColumn;
    use ndarray::Array2;

    fn numeric(name: &str, values: &[Option<f64>]) -> NumericColumn {
        NumericColumn {
            name: name.into(),
            values: values.to_vec().into(),
            segments: true,
        }
    }

    #[test]
    fn indicators_of_one_categorical_are_one_attribute() {
        let x = Array2::from_shape_vec((3, 3), vec![1.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 1.0, 0.0])
            .unwrap();
        let d = design(x, &["size=a", "size=b", "size=c"], &[0, 0, 0]);
        let a = Attributes::new(&d, None, 1).unwrap();
        assert_eq!((a.categorical.len(), a.compositions.len()), (1, 0));
        assert_eq!(
            (a.categorical[0].levels, &*a.categorical[0].codes),
            (3, &[0, 2, 1][..])
        );
    }

    #[test]
    fn columns_of_one_family_are_one_attribute_and_a_missing_number_its_own_level() {
        // Family 0: two columns that move together (one attribute, coded by their distinct
        // rows); family 1: a number with its missing-value indicator.
        let x = Array2::from_shape_vec(
            (4, 4),
            vec![
                1.0, 2.0, 0.5, 0.0, //
                1.0, 2.0, -0.5, 0.0, //
                -1.0, -2.0, 0.0, 1.0, //
                3.0, 6.0, 0.9, 0.0,
            ],
        )
        .unwrap();
        let d = design(
            x,
            &["sessions", "page_views", "age", "age_missing"],
            &[0, 0, 1, 1],
        );
        let a = Attributes::new(&d, None, 1).unwrap();
        assert_eq!(a.categorical.len(), 2);
        assert_eq!(&*a.categorical[0].codes, &[0, 0, 1, 2]);
        let age = &a.categorical[1];
        assert_eq!(
            age.codes[2] as usize,
            age.levels - 1,
            "missing is the last level"
        );
        assert!(age.codes[..2]
            .iter()
            .all(|&c| (c as usize) < age.levels - 1));
    }

    #[test]
    fn shares_are_counted_in_sessions_with_the_rest_as_one_level() {
        let x = Array2::zeros((4, 2));
        let d = design(x, &["share_mobile", "share_tablet"], &[0, 0]);
        let table = FeatureTable {
            contact_ids: vec!["1".into(), "2".into(), "3".into(), "4".into()],
            emails: vec![None; 4],
            numeric: vec![
                numeric("share_mobile", &[Some(0.5), Some(0.0), None, Some(0.0)]),
                numeric("share_tablet", &[Some(0.25), Some(1.0), None, Some(0.0)]),
                numeric(
                    SHARES_COUNTED_IN,
                    &[Some(4.0), Some(2.0), Some(0.0), Some(3.0)],
                ),
            ],
            categorical: Vec::new(),
            multi_raw: Vec::new(),
        };
        // Design rows are table rows 2, 0, 1, 3; row 3 read only other sections (all rest).
        let a = Attributes::new(&d, Some((&table, &[2, 0, 1, 3])), 1).unwrap();
        assert_eq!((a.categorical.len(), a.compositions.len()), (0, 1));
        let c = &a.compositions[0];
        assert_eq!(c.levels, 3);
        assert_eq!(
            c.counts,
            vec![0.0, 0.0, 0.0, 2.0, 1.0, 1.0, 0.0, 2.0, 0.0, 0.0, 0.0, 3.0]
        );
        let picked = a.select(&[1]);
        assert_eq!(picked.compositions[0].counts, vec![2.0, 1.0, 1.0]);
    }
}
