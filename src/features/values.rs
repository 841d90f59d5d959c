//! The feature table's columns of values, held compactly: a number as 8 bytes with NaN for a
//! missing value ([`Numbers`]), a category as a 4-byte code into the column's distinct levels
//! ([`Levels`]). With a million contacts and a few dozen columns the table was the run's
//! largest allocation after the SQL models (`Option<f64>` takes 16 bytes, a shared level's
//! pointer 16).

use std::collections::HashMap;
use std::ops::Index;

use super::Level;

/// A numeric column's values in contact order; `None` is a missing value. A value that is not
/// a number (NaN) is held as missing: the loader already drops infinities and NaN.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Numbers(Vec<f64>);

impl Numbers {
    /// An empty column with room for `n` values.
    pub fn with_capacity(n: usize) -> Numbers {
        Numbers(Vec::with_capacity(n))
    }

    /// Number of values.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are no values.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The value of row `r`, `None` when it is missing.
    pub fn get(&self, r: usize) -> Option<f64> {
        let v = self.0[r];
        (!v.is_nan()).then_some(v)
    }

    /// The values in row order.
    pub fn iter(&self) -> impl Iterator<Item = Option<f64>> + Clone + '_ {
        self.0.iter().map(|&v| (!v.is_nan()).then_some(v))
    }
}

impl Extend<Option<f64>> for Numbers {
    fn extend<I: IntoIterator<Item = Option<f64>>>(&mut self, values: I) {
        self.0
            .extend(values.into_iter().map(|v| v.unwrap_or(f64::NAN)));
    }
}

impl FromIterator<Option<f64>> for Numbers {
    fn from_iter<I: IntoIterator<Item = Option<f64>>>(values: I) -> Numbers {
        let mut n = Numbers::default();
        n.extend(values);
        n
    }
}

impl From<Vec<Option<f64>>> for Numbers {
    fn from(values: Vec<Option<f64>>) -> Numbers {
        values.into_iter().collect()
    }
}

/// A categorical column's levels in contact order: each row a code into the column's distinct
/// levels, each level held once. Indexing gives the row's level.
#[derive(Debug, Clone, Default)]
pub struct Levels {
    /// Each row's level, as its place in `levels`.
    codes: Vec<u32>,
    /// The distinct levels, in the order first seen.
    levels: Vec<Level>,
    /// Each level's code.
    index: HashMap<Level, u32>,
}

impl Levels {
    /// An empty column with room for `n` rows.
    pub fn with_capacity(n: usize) -> Levels {
        Levels {
            codes: Vec::with_capacity(n),
            ..Levels::default()
        }
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.codes.len()
    }

    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.codes.is_empty()
    }

    /// Append a row of level `level`.
    pub fn push(&mut self, level: &str) {
        let code = match self.index.get(level) {
            Some(&code) => code,
            None => {
                let code = u32::try_from(self.levels.len()).expect("fewer than 2^32 levels");
                let level: Level = level.into();
                self.levels.push(level.clone());
                self.index.insert(level, code);
                code
            }
        };
        self.codes.push(code);
    }

    /// The rows' levels in row order.
    pub fn iter(&self) -> impl Iterator<Item = &Level> + Clone + '_ {
        self.codes.iter().map(|&c| &self.levels[c as usize])
    }
}

impl Index<usize> for Levels {
    type Output = Level;

    fn index(&self, r: usize) -> &Level {
        &self.levels[self.codes[r] as usize]
    }
}

impl PartialEq for Levels {
    fn eq(&self, other: &Levels) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

impl<S: AsRef<str>> FromIterator<S> for Levels {
    fn from_iter<I: IntoIterator<Item = S>>(levels: I) -> Levels {
        let mut l = Levels::default();
        for level in levels {
            l.push(level.as_ref());
        }
        l
    }
}

impl<S: AsRef<str>> From<Vec<S>> for Levels {
    fn from(levels: Vec<S>) -> Levels {
        levels.into_iter().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_hold_missing_values_apart_from_every_number() {
        let n: Numbers = vec![Some(1.5), None, Some(0.0), Some(-2.0), Some(f64::NAN)].into();
        assert_eq!(n.len(), 5);
        assert_eq!(
            n.iter().collect::<Vec<_>>(),
            [Some(1.5), None, Some(0.0), Some(-2.0), None]
        );
        assert_eq!((n.get(0), n.get(1)), (Some(1.5), None));
    }

    #[test]
    fn levels_are_held_once_and_read_back_per_row() {
        let l: Levels = vec!["DE", "FR", "DE", "unknown", "FR"].into();
        assert_eq!(l.len(), 5);
        assert_eq!(&*l[2], "DE");
        assert!(std::sync::Arc::ptr_eq(&l[0], &l[2]));
        let read: Vec<&str> = l.iter().map(|v| &**v).collect();
        assert_eq!(read, ["DE", "FR", "DE", "unknown", "FR"]);
        assert_eq!(l.levels.len(), 3);
        assert_eq!(l, Levels::from(vec!["DE", "FR", "DE", "unknown", "FR"]));
        assert_ne!(l, Levels::from(vec!["DE", "FR", "DE", "unknown", "DE"]));
    }
}
