//! The Mailchimp side of a design: one audience member per listed contact (and list-only
//! members), its status file, rating and tags drawn from the persona's profile or the
//! population, in the columns of the existing audience export.

use rand::seq::SliceRandom;
use rand::Rng;
use rand_xoshiro::Xoshiro256PlusPlus as XRng;

use super::super::mailchimp::{AddressDraws, Audience, Member};
use super::catalog::Attr;
use super::plant::Model;
use super::tables::{RATINGS, TAGS};
use crate::error::Result;

/// Most tags one member holds.
const MAX_TAGS: usize = 4;

impl Audience {
    /// Writes one member of persona `p` (`None`: drawn from the population) into the file of
    /// its status.
    pub(super) fn write(
        &mut self,
        model: &Model,
        rng: &mut XRng,
        p: Option<usize>,
        m: &Member,
    ) -> Result<()> {
        let status = model.source(rng, p, Attr::Status).status.draw(rng);
        let rating = RATINGS[model.source(rng, p, Attr::Rating).rating.draw(rng)];
        let probs = &model.source(rng, p, Attr::Tags).tags;
        let mut tags: Vec<usize> = (0..TAGS.len())
            .filter(|&t| rng.gen::<f64>() < probs[t])
            .collect();
        if tags.len() > MAX_TAGS {
            tags.shuffle(rng);
            tags.truncate(MAX_TAGS);
            tags.sort_unstable();
        }
        let tags: Vec<&str> = tags.iter().map(|&t| TAGS[t]).collect();
        let rating = rating.to_string();
        self.row(rng, m, status, rating, &tags, AddressDraws::NumbersFirst)
    }
}
