//! Persona identities across runs: matches this run's personas to the previous published run's,
//! so a persona keeps its id and name while it is the same group.
//!
//! Two personas of the same bucket are compared by who is in them and what they are like:
//! - **member overlap**: the Jaccard index of their members, counting only the contacts present
//!   in both runs (new contacts make a persona grow, they do not make it another group);
//! - **profile distance**: how far apart their trait profiles are: the rate of every level of a
//!   categorical trait and the mean of every numeric one in units of its population standard
//!   deviation (from `persona_traits`, comparable across runs, unlike centroids in a design space
//!   standardised anew each run), as the root mean square difference per feature.
//!
//! Their similarity is `0.75 * overlap + 0.25 * (1 - distance / UNRELATED_DISTANCE)` (only the
//! profile part when the runs share no contact). Pairs are matched greedily, most similar first,
//! when the similarity is at least [`MIN_SIMILARITY`]. A matched persona takes the previous id and
//! name; an unmatched one gets the next id never used (`persona_7`) and its own name; a previous
//! persona left unmatched has vanished. Splits and merges are read from the overlap: an unmatched
//! persona most of whose members come from one previous persona that lives on under another
//! persona split from it; an unmatched previous persona most of whose remaining members went to a
//! persona matched to another was merged into it, and that persona absorbed it when they make up
//! at least [`ABSORBED_SHARE`] of it.
//!
//! `snapshot.rs` holds a persona as matching sees it and the profile distance, `overlap.rs` the
//! contacts two runs share per pair of personas, `matching.rs` the matching itself.

mod matching;
mod overlap;
mod snapshot;

pub use matching::{match_personas, match_with, Assigned, Matching, Vanished};
pub use overlap::Overlap;
pub use snapshot::{index_by_id, profile_distance, Snapshot, TraitKey, TraitPoint};

/// Weight of the member overlap in the similarity (the rest is the profile).
pub const OVERLAP_WEIGHT: f64 = 0.75;
/// Profile distance at and beyond which two profiles count as unrelated.
pub const UNRELATED_DISTANCE: f64 = 1.0;
/// Least similarity for two personas to be the same group.
pub const MIN_SIMILARITY: f64 = 0.4;
/// Profile distance beyond which a matched persona is drifting.
pub const DRIFT_DISTANCE: f64 = 0.3;
/// Share of a group's members that must come from / go to one other group for a split / merge.
pub const SPLIT_MERGE_SHARE: f64 = 0.5;
/// Least share of a persona made of a vanished persona's members for it to count as merged
/// with it (a handful of contacts from a tiny vanished group does not make a merge).
pub const ABSORBED_SHARE: f64 = 0.2;

/// The number of a `persona_<n>` id.
pub fn id_number(id: &str) -> Option<usize> {
    id.strip_prefix("persona_")?.parse().ok()
}

#[cfg(test)]
mod tests;
