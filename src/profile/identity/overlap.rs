//! The contacts two runs share, counted per pair of personas of the same bucket: all the
//! member overlap of [`super::matching`] needs. Counted from member lists
//! ([`Overlap::of_members`]), or by whoever reads the previous run's members against this
//! run's (the pipeline streams the published `persona_members` against the contacts it holds,
//! or on a cluster joins them with each bucket's assignment SQL there), so that matching never
//! needs every contact id of both runs as text.

use std::collections::{BTreeMap, HashMap};

use super::snapshot::Snapshot;

/// The contacts two runs share, per pair of personas.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Overlap {
    /// (previous persona, current persona) -> contacts in both (same bucket); pairs with none
    /// are absent.
    pub pairs: BTreeMap<(usize, usize), usize>,
    /// Each current persona's members, those new since the previous run too.
    pub current_sizes: Vec<usize>,
}

impl Overlap {
    /// The overlap of personas given with their members (a contact counts in a pair when it is
    /// a member of both and both are of the same bucket).
    pub fn of_members(previous: &[Snapshot], current: &[Snapshot]) -> Overlap {
        let mut was = HashMap::new();
        for (i, p) in previous.iter().enumerate() {
            for m in &p.members {
                was.insert((p.bucket.as_str(), m.as_str()), i);
            }
        }
        let mut pairs = BTreeMap::new();
        for (j, c) in current.iter().enumerate() {
            for m in &c.members {
                if let Some(&i) = was.get(&(c.bucket.as_str(), m.as_str())) {
                    *pairs.entry((i, j)).or_default() += 1;
                }
            }
        }
        Overlap {
            pairs,
            current_sizes: current.iter().map(|c| c.members.len()).collect(),
        }
    }
}
