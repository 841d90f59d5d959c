//! A contact id's row of the feature table, without a copy of the ids: by binary search in the
//! table's contact order (shorter ids first, then by text: how [`super::load`] reads the
//! model, for ids of ASCII characters), or by a map of the ids when a table is in another
//! order.

use std::collections::HashMap;

use super::FeatureTable;

/// Finds a contact's row of a feature table by its id.
#[derive(Debug)]
pub enum ContactIndex<'a> {
    /// The ids in contact order: binary search.
    Sorted(&'a [String]),
    /// The ids in another order: id -> row.
    Map(HashMap<&'a str, usize>),
}

impl FeatureTable {
    /// The index of this table's contact ids.
    pub fn index(&self) -> ContactIndex<'_> {
        let ids = &self.contact_ids;
        if ids.windows(2).all(|w| key(&w[0]) < key(&w[1])) {
            ContactIndex::Sorted(ids)
        } else {
            ContactIndex::Map(
                ids.iter()
                    .enumerate()
                    .map(|(r, id)| (id.as_str(), r))
                    .collect(),
            )
        }
    }
}

impl ContactIndex<'_> {
    /// The row of contact `id`, `None` when the table does not have it.
    pub fn row(&self, id: &str) -> Option<usize> {
        match self {
            ContactIndex::Sorted(ids) => ids.binary_search_by(|x| key(x).cmp(&key(id))).ok(),
            ContactIndex::Map(map) => map.get(id).copied(),
        }
    }
}

/// The contact order's key: shorter ids first, then by text.
fn key(id: &str) -> (usize, &str) {
    (id.len(), id)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(ids: &[&str]) -> FeatureTable {
        FeatureTable {
            contact_ids: ids.iter().map(|s| s.to_string()).collect(),
            ..FeatureTable::default()
        }
    }

    #[test]
    fn a_contact_is_found_in_contact_order_and_in_any_other() {
        let sorted = table(&["9", "10", "11", "a1", "100"]);
        let index = sorted.index();
        assert!(matches!(index, ContactIndex::Sorted(_)));
        assert_eq!(index.row("100"), Some(4));
        assert_eq!(index.row("a1"), Some(3));
        assert_eq!(index.row("9"), Some(0));
        assert_eq!(index.row("12"), None);
        let shuffled = table(&["11", "9", "100"]);
        let index = shuffled.index();
        assert!(matches!(index, ContactIndex::Map(_)));
        assert_eq!(
            (index.row("9"), index.row("100"), index.row("1")),
            (Some(1), Some(2), None)
        );
    }
}
