//! How each attribute of a latent class model follows from a contact's design columns and
//! feature columns: the rules [`super::Attributes`] applied to the fitted rows, kept so that a
//! contact the fit never saw is described the same way (the assignment SQL of
//! [`crate::cluster::assign`] prints them).

/// A categorical attribute's level of a row, from its design columns (indices into the
/// design's columns).
#[derive(Debug, Clone, PartialEq)]
pub enum Code {
    /// A categorical's level: the position of the last of `columns` holding the row's largest
    /// value (its level indicator). With `seen`, a row whose indicators are all 0 (a level the
    /// fit never saw, pooled into an `other` the fitted rows did not have) has no level: the
    /// attribute is no evidence for it.
    Largest {
        /// The level indicator columns, in level order.
        columns: Vec<usize>,
        /// Whether some fitted row had a non-zero indicator (otherwise all-zero rows are the
        /// fitted rows' own case, coded as the last level).
        seen: bool,
    },
    /// A number's bin: how many of `edges` are at most the value of `column`; `edges.len() + 1`
    /// (a level of its own) when any of `missing` is non-zero.
    Bin {
        /// The number's design column.
        column: usize,
        /// Its missing-value indicator columns.
        missing: Vec<usize>,
        /// Bin edges, ascending.
        edges: Vec<f64>,
    },
    /// The position of the nearest of `codes` (squared Euclidean distance over `columns`;
    /// ties: the first).
    Nearest {
        /// The family's design columns.
        columns: Vec<usize>,
        /// Each code's values over `columns`.
        codes: Vec<Vec<f64>>,
    },
}

/// A composition's counts of a row, from its feature columns: each share (missing: 0,
/// negative: 0) times `counted` (missing or negative: 0; without the column: 1), then the rest
/// of 1 (not below 0; 0 when every share is missing) times the same.
#[derive(Debug, Clone, PartialEq)]
pub struct Shares {
    /// The feature-table columns of the shares, in level order.
    pub shares: Vec<String>,
    /// The feature-table column counting the observations behind the shares, when the table
    /// has it.
    pub counted: Option<String>,
}

/// The rules of every attribute: categorical ones, then compositions (the order of the
/// latent class parameters' tables).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Rules {
    /// The rule of each categorical attribute.
    pub codes: Vec<Code>,
    /// The rule of each composition.
    pub shares: Vec<Shares>,
}
