//! How each design-matrix column follows from the feature model's raw columns. An [`Encoding`]
//! holds what [`design`](super::design) fitted for one matrix column (winsorising bounds, mean
//! and standard deviation, kept levels, the block's scale); it computes the column from a
//! [`FeatureTable`] (the design matrix is filled by evaluating the encodings), and prints itself
//! as a plain SQL expression over the feature model (`cfg.model`), so that a cluster encodes
//! every contact with generated SQL and no user-defined function.
//!
//! The SQL gives the same `f64` as the Rust, bit for bit: the feature table's reading of a raw
//! value ([`number_sql`], [`level_sql`], the tag split of the loader), the same IEEE operations
//! in the same order, comparisons with a zero written so that they decide as Rust's IEEE ones
//! also where an engine orders `-0.0` before `0.0` (arrow's float kernels have done both), and
//! an indicator as the literals `1.0 * scale` or `0.0 * scale` computed here.
//!
//! The log transform is `ln(1 + x)` with the HP-15C correction for small `x` (`ln(u) * (x / (u -
//! 1))`, `u = 1 + x`), in Rust as in SQL: Rust's `ln_1p` is the platform libm's `log1p` (glibc
//! even picks an FMA build of it by CPU) and DataFusion has neither `log1p` nor `fma`, so the
//! two could only agree by computing the same arithmetic (`ln` is Rust's `f64::ln` in both).
//! It is within a few units in the last place of `ln_1p`.

use super::{mean_sd, percentile, FeatureTable, OTHER, TAG_SEP};

/// How one design-matrix column follows from a raw column of the feature model, with the
/// parameters fitted on the contacts the design was built over.
#[derive(Debug, Clone, PartialEq)]
pub enum Encoding {
    /// A numeric column: missing -> `0.0 * scale`, else `((clamp(tr(x), lo, hi) - mean) / sd) *
    /// scale` (`0.0 * scale` when `sd <= 1e-12`), with `tr(x) = ln(1 + x)` for `x > 0` (else 0) when `log`,
    /// else `x`.
    Numeric {
        /// The raw column.
        column: String,
        /// Whether the value is log-transformed first.
        log: bool,
        /// Lower winsorising bound (1st percentile of the transformed values).
        lo: f64,
        /// Upper winsorising bound (99th percentile of the transformed values).
        hi: f64,
        /// Mean of the winsorised values.
        mean: f64,
        /// Population standard deviation of the winsorised values.
        sd: f64,
        /// The block's scale.
        scale: f64,
    },
    /// The missing-value indicator of a numeric column: `f64::from(missing) * scale`.
    Missing {
        /// The raw column.
        column: String,
        /// The block's scale.
        scale: f64,
    },
    /// One level's indicator of a categorical column: `f64::from(pooled == level) * scale`,
    /// where `pooled` is the value when `kept` holds it, else `other` ([`OTHER`]).
    Level {
        /// The raw column.
        column: String,
        /// The level this column indicates.
        level: String,
        /// The levels kept as they are (sorted); every other value is pooled into `other`.
        kept: Vec<String>,
        /// The block's scale.
        scale: f64,
    },
    /// One tag of a multi-valued column (feature-table column `<column>:<tag>`):
    /// `f64::from(the contact has the tag) * scale`.
    Tag {
        /// The raw (multi-valued) column.
        column: String,
        /// The tag (trimmed, lower-case).
        tag: String,
        /// The block's scale.
        scale: f64,
    },
}

impl Encoding {
    /// A numeric column fitted on `values` (one per contact, `None` = missing) as the design
    /// does it: bounds at the 1st and 99th percentile (nearest rank) of the transformed values,
    /// mean and standard deviation of the winsorised ones; scale 1.
    pub fn fit_numeric(column: &str, values: &[Option<f64>], log: bool) -> Encoding {
        let mut present: Vec<f64> = values.iter().flatten().map(|v| tr(log, *v)).collect();
        present.sort_by(f64::total_cmp);
        let (lo, hi) = (percentile(&present, 0.01), percentile(&present, 0.99));
        let clipped: Vec<f64> = (values.iter().flatten())
            .map(|v| clip(tr(log, *v), lo, hi))
            .collect();
        let (mean, sd) = mean_sd(clipped.iter().copied());
        Encoding::Numeric {
            column: column.to_string(),
            log,
            lo,
            hi,
            mean,
            sd,
            scale: 1.0,
        }
    }

    /// The matrix column's name: `sessions`, `sessions_missing`, `industry=Banking`,
    /// `tags:promo`.
    pub fn name(&self) -> String {
        match self {
            Encoding::Numeric { column, .. } => column.clone(),
            Encoding::Missing { column, .. } => format!("{column}_missing"),
            Encoding::Level { column, level, .. } => format!("{column}={level}"),
            Encoding::Tag { column, tag, .. } => format!("{column}{TAG_SEP}{tag}"),
        }
    }

    /// The raw column of the feature model it reads.
    pub fn column(&self) -> &str {
        match self {
            Encoding::Numeric { column, .. }
            | Encoding::Missing { column, .. }
            | Encoding::Level { column, .. }
            | Encoding::Tag { column, .. } => column,
        }
    }

    /// The block's scale the value is multiplied by.
    pub fn scale(&self) -> f64 {
        match self {
            Encoding::Numeric { scale, .. }
            | Encoding::Missing { scale, .. }
            | Encoding::Level { scale, .. }
            | Encoding::Tag { scale, .. } => *scale,
        }
    }

    /// Set the block's scale.
    pub fn set_scale(&mut self, to: f64) {
        match self {
            Encoding::Numeric { scale, .. }
            | Encoding::Missing { scale, .. }
            | Encoding::Level { scale, .. }
            | Encoding::Tag { scale, .. } => *scale = to,
        }
    }

    /// The design value of feature-table row `r`; `None` when the table lacks the column.
    pub fn value(&self, t: &FeatureTable, r: usize) -> Option<f64> {
        self.values(t, &[r]).map(|v| v[0])
    }

    /// The design values of the feature-table rows `rows` (one per entry, in that order);
    /// `None` when the table lacks the column.
    pub fn values(&self, t: &FeatureTable, rows: &[usize]) -> Option<Vec<f64>> {
        let mut v = self.unscaled(t, rows)?;
        self.rescale(&mut v);
        Some(v)
    }

    /// The values before the block's scale (as with scale 1), which the block's scale is
    /// computed from.
    pub(super) fn unscaled(&self, t: &FeatureTable, rows: &[usize]) -> Option<Vec<f64>> {
        let numeric = |name: &str| t.numeric.iter().find(|c| c.name == name);
        let categorical = |name: &str| t.categorical.iter().find(|c| c.name == name);
        Some(match self {
            Encoding::Numeric {
                column,
                log,
                lo,
                hi,
                mean,
                sd,
                ..
            } => {
                let c = numeric(column)?;
                (rows.iter().map(|&r| c.values.get(r)))
                    .map(|v| {
                        v.map_or(0.0, |x| {
                            if *sd > 1e-12 {
                                (clip(tr(*log, x), *lo, *hi) - mean) / sd
                            } else {
                                0.0
                            }
                        })
                    })
                    .collect()
            }
            Encoding::Missing { column, .. } => {
                let c = numeric(column)?;
                (rows.iter())
                    .map(|&r| f64::from(c.values.get(r).is_none()))
                    .collect()
            }
            Encoding::Level {
                column,
                level,
                kept,
                ..
            } => {
                let c = categorical(column)?;
                let pooled_is = |v: &str| {
                    if kept.iter().any(|k| k == v) {
                        v == level
                    } else {
                        level == OTHER
                    }
                };
                // A kept level other than `other` is its value, whatever the others pool into.
                let plain = level != OTHER && kept.contains(level);
                (rows.iter().map(|&r| &*c.values[r]))
                    .map(|v| f64::from(if plain { v == level } else { pooled_is(v) }))
                    .collect()
            }
            Encoding::Tag { column, tag, .. } => {
                let c = categorical(&format!("{column}{TAG_SEP}{tag}"))?;
                (rows.iter())
                    .map(|&r| f64::from(&*c.values[r] == "yes"))
                    .collect()
            }
        })
    }

    /// Multiply unscaled values by the block's scale, in place: what [`Encoding::values`] does.
    pub(super) fn rescale(&self, values: &mut [f64]) {
        let scale = self.scale();
        values.iter_mut().for_each(|v| *v *= scale);
    }

    /// A `DOUBLE` SQL expression over the feature model's raw columns giving the same value as
    /// [`Encoding::value`], bit for bit.
    pub fn sql(&self) -> String {
        let scale = self.scale();
        // An indicator: the literals of `f64::from(bool) * scale`.
        let indicator = |cond: String| {
            format!(
                "CASE WHEN {cond} THEN {} ELSE {} END",
                sql_f64(1.0 * scale),
                sql_f64(0.0 * scale)
            )
        };
        match self {
            Encoding::Numeric { .. } => self.numeric_sql(),
            Encoding::Missing { column, .. } => {
                // `number_sql` is NULL: the raw value is missing or not finite.
                let x = double(column);
                format!(
                    "CASE WHEN {x} - {x} = 0.0 THEN {} ELSE {} END",
                    sql_f64(0.0 * scale),
                    sql_f64(1.0 * scale)
                )
            }
            Encoding::Level {
                column,
                level,
                kept,
                ..
            } => {
                let value = level_sql(column);
                if level != OTHER && kept.contains(level) {
                    return indicator(format!("{value} = {}", sql_str(level)));
                }
                if kept.is_empty() {
                    return sql_f64(f64::from(level == OTHER) * scale);
                }
                let list: Vec<String> = kept.iter().map(|k| sql_str(k)).collect();
                let pooled = format!(
                    "CASE WHEN {value} IN ({}) THEN {value} ELSE {} END",
                    list.join(", "),
                    sql_str(OTHER)
                );
                indicator(format!("{pooled} = {}", sql_str(level)))
            }
            Encoding::Tag { column, tag, .. } => indicator(tag_sql(column, tag)),
        }
    }

    /// The SQL of a numeric column (see [`Encoding::sql`]).
    fn numeric_sql(&self) -> String {
        let Encoding::Numeric {
            column,
            log,
            lo,
            hi,
            mean,
            sd,
            scale,
        } = self
        else {
            unreachable!("numeric_sql of a numeric encoding")
        };
        let zero = sql_f64(0.0 * scale);
        // As `unscaled`: a standard deviation that is not above 1e-12 (or NaN) gives 0.
        let standardised = *sd > 1e-12;
        if !standardised {
            return zero;
        }
        let x = double(column);
        let t = if *log {
            format!("CASE WHEN {x} > 0.0 THEN {} ELSE 0.0 END", log1p_sql(&x))
        } else {
            x.clone()
        };
        // `clip`: the first test moves `t` to `lo` (and on to `hi` when `lo > hi`).
        let clipped = format!(
            "CASE WHEN {t} < {} THEN {} WHEN {t} > {} THEN {} ELSE {t} END",
            ieee_bound(*lo, true),
            sql_f64(if lo > hi { *hi } else { *lo }),
            ieee_bound(*hi, false),
            sql_f64(*hi),
        );
        format!(
            "CASE WHEN {x} - {x} = 0.0 THEN (({clipped} - {}) / {}) * {} ELSE {zero} END",
            sql_f64(*mean),
            sql_f64(*sd),
            sql_f64(*scale)
        )
    }
}

/// The transform before winsorising: `log1p(x)` for `x > 0` (else 0) when `log`.
fn tr(log: bool, x: f64) -> f64 {
    match (log, x > 0.0) {
        (false, _) => x,
        (true, true) => log1p(x),
        (true, false) => 0.0,
    }
}

/// `ln(1 + x)`: `x` when `1 + x` rounds to 1, else `ln(u) * (x / (u - 1))` with `u = 1 + x`
/// (the HP-15C correction of the rounding of `u`), the arithmetic of [`log1p_sql`].
fn log1p(x: f64) -> f64 {
    let u = 1.0 + x;
    if u == 1.0 {
        x
    } else {
        u.ln() * (x / (u - 1.0))
    }
}

/// `x.clamp(lo, hi)`, as `f64::clamp` computes it (without its panic when `lo > hi`).
fn clip(x: f64, lo: f64, hi: f64) -> f64 {
    let mut x = x;
    if x < lo {
        x = lo;
    }
    if x > hi {
        x = hi;
    }
    x
}

/// The literal a value is compared with in `t < bound` (`below`) or `t > bound`, so that the
/// comparison decides as IEEE does (`-0.0 == 0.0`) also under a total order of floats (`-0.0 <
/// 0.0`): a zero bound is `-0.0` for `<` and `0.0` for `>`.
pub(crate) fn ieee_bound(bound: f64, below: bool) -> String {
    match (bound == 0.0, below) {
        (true, true) => sql_f64(-0.0),
        (true, false) => sql_f64(0.0),
        (false, _) => sql_f64(bound),
    }
}

/// `ln(1 + x)` for `x > 0` in SQL: `x` when `1 + x` rounds to 1, else `ln(u) * (x / (u - 1))`
/// with `u = 1 + x` (the HP-15C correction of the rounding of `u`).
fn log1p_sql(x: &str) -> String {
    let u = format!("(1.0 + {x})");
    format!("CASE WHEN {u} = 1.0 THEN {x} ELSE ln({u}) * ({x} / ({u} - 1.0)) END")
}

/// `CAST(column AS DOUBLE)`.
fn double(column: &str) -> String {
    format!("CAST({} AS DOUBLE)", sql_ident(column))
}

/// A SQL identifier: `name` in double quotes (a `"` doubled), so any column name is read as it
/// is written.
pub fn sql_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// A SQL string literal: `s` in single quotes (a `'` doubled).
pub fn sql_str(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// A `DOUBLE` literal DataFusion reads back as exactly `v`: Rust's shortest round-trip form
/// (always with a `.` or an exponent, so it is not read as an integer), a negative one in
/// parentheses (`(-1.5)`, `(-0.0)`), NaN and the infinities as casts of their names.
pub fn sql_f64(v: f64) -> String {
    if v.is_nan() {
        "CAST('NaN' AS DOUBLE)".into()
    } else if v.is_infinite() {
        format!("CAST('{}inf' AS DOUBLE)", if v < 0.0 { "-" } else { "" })
    } else if v.is_sign_negative() {
        format!("({v:?})")
    } else {
        format!("{v:?}")
    }
}

/// The feature table's number for raw column `column`: the value cast to `DOUBLE`, `NULL` when
/// it is missing or not finite (as the loader reads a numeric column).
pub fn number_sql(column: &str) -> String {
    let x = double(column);
    format!("CASE WHEN {x} - {x} = 0.0 THEN {x} END")
}

/// Whether the contact has `tag` in multi-valued raw column `column`, as the loader splits it
/// (`NULL` when the value is missing): a part of the value split at `,` or `;`, trimmed, is the
/// tag (the value lower-cased as a whole: a separator or a space never takes part in a
/// character's lower case).
pub fn tag_sql(column: &str, tag: &str) -> String {
    let pattern = format!(r"(^|[,;])\s*{}\s*([,;]|$)", regex::escape(tag));
    format!(
        "regexp_like(lower(CAST({} AS VARCHAR)), {})",
        sql_ident(column),
        sql_str(&pattern)
    )
}

/// The feature table's level for raw column `column`: the value cast to text, `unknown` when it
/// is missing or only white space (as the loader reads a categorical column).
pub fn level_sql(column: &str) -> String {
    let v = format!("CAST({} AS VARCHAR)", sql_ident(column));
    format!("CASE WHEN {v} IS NULL OR regexp_like({v}, '^\\s*$') THEN 'unknown' ELSE {v} END")
}

#[cfg(test)]
pub(super) mod tests;
