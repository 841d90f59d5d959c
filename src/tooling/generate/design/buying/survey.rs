//! The `buying` design's survey: a Typeform responses export (Results > Responses > Download,
//! CSV) at `typeform/responses.csv`. About 60 % of contacts respond, within the 45 days before
//! the export date, in time order. Columns: `#` (the response token), the four questions, the
//! hidden field `email` (the contact's address as they typed it), then Typeform's `Response
//! Type`, `Start Date (UTC)`, `Stage Date (UTC)`, `Submit Date (UTC)`, `Network ID` and `Tags`.
//! The barrier and the reason to buy are drawn from the persona's weights
//! ([`Plant`](super::Plant)); the colour (4 options) and the 1-5 scale uniformly for everyone.

use std::path::{Path, PathBuf};

use rand::Rng;
use rand_xoshiro::Xoshiro256PlusPlus as XRng;

use super::super::super::mailchimp::list_email;
use super::super::super::util::{create, fmt_time, io_err, pick};
use super::super::draw::Cat;
use super::SCALE;
use super::{Buyer, BARRIER, BARRIERS, COLOUR, COLOURS, PLANTS, REASON, REASONS, RESPONSE_RATE};
use crate::error::Result;

/// Days before the export date the responses fall in.
const SURVEY_DAYS: i64 = 45;
/// Characters of a response token.
const TOKEN: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";

/// The export's header: the response token, the questions, the hidden field, then Typeform's
/// own columns.
#[rustfmt::skip]
const HEADER: &[&str] = &[
    "#", REASON, BARRIER, COLOUR, SCALE, "email",
    "Response Type", "Start Date (UTC)", "Stage Date (UTC)", "Submit Date (UTC)", "Network ID", "Tags",
];

/// Writes the responses of `buyers` (exports dated `day0`) under `out_dir`, drawing from
/// `rng`.
pub(super) fn write(
    out_dir: &Path,
    rng: &mut XRng,
    day0: i64,
    buyers: &[Buyer],
) -> Result<PathBuf> {
    let dir = out_dir.join("typeform");
    std::fs::create_dir_all(&dir).map_err(io_err(&dir))?;
    let path = dir.join("responses.csv");
    let barriers: Vec<Cat> = PLANTS.iter().map(|p| Cat::new(&p.barrier)).collect();
    let reasons: Vec<Cat> = PLANTS.iter().map(|p| Cat::new(&p.reason)).collect();
    let mut rows: Vec<(i64, Vec<String>)> = Vec::new();
    for b in buyers {
        if !rng.gen_bool(RESPONSE_RATE) {
            continue;
        }
        let token: String = (0..32).map(|_| *pick(rng, TOKEN) as char).collect();
        let submitted = day0 - rng.gen_range(3_600..SURVEY_DAYS * 86_400);
        let started = submitted - rng.gen_range(40..400);
        let reason = REASONS[reasons[b.persona].draw(rng)];
        let barrier = BARRIERS[barriers[b.persona].draw(rng)];
        let colour = *pick(rng, COLOURS);
        let scale = rng.gen_range(1..=5).to_string();
        let email = list_email(rng, &b.email);
        let network = format!("{:010x}", rng.gen::<u64>() & 0xff_ffff_ffff);
        let row = vec![
            token,
            reason.to_string(),
            barrier.to_string(),
            colour.to_string(),
            scale,
            email.trim().to_string(),
            "completed".to_string(),
            fmt_time(started, "%Y-%m-%d %H:%M:%S"),
            String::new(),
            fmt_time(submitted, "%Y-%m-%d %H:%M:%S"),
            network,
            String::new(),
        ];
        rows.push((submitted, row));
    }
    rows.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1[0].cmp(&b.1[0])));
    let mut w = csv::WriterBuilder::new()
        .quote_style(csv::QuoteStyle::Necessary)
        .from_writer(create(&path)?);
    w.write_record(HEADER)?;
    for (_, row) in &rows {
        w.write_record(row)?;
    }
    w.flush().map_err(io_err(&path))?;
    Ok(path)
}
