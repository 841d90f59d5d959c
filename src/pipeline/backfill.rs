//! Backfills: every logical date of a range, in order, each a full run of its own; a date with
//! nothing new to do is skipped, and the first failure stops the backfill, naming its date.

use chrono::NaiveDate;
use tracing::info;

use super::{run, RunOptions, RunReport};
use crate::config::Pipeline;
use crate::error::{Error, Result};

/// Run every date from `since` to `until` (inclusive) in order, each a full run; a date with
/// nothing new to do is skipped. Stops at the first failure with [`Error::Backfill`] naming
/// the date. `on_done` sees each run's report; returns the dates run and the dates skipped.
pub async fn backfill(
    pipeline: &Pipeline,
    since: NaiveDate,
    until: NaiveDate,
    opts: &RunOptions,
    mut on_done: impl FnMut(&RunReport),
) -> Result<(Vec<NaiveDate>, Vec<NaiveDate>)> {
    let (mut ran, mut skipped) = (Vec::new(), Vec::new());
    for date in since.iter_days().take_while(|d| *d <= until) {
        let opts = RunOptions {
            run_date: date,
            ..opts.clone()
        };
        match run(pipeline, &opts).await {
            Ok(report) => {
                on_done(&report);
                ran.push(date);
            }
            Err(Error::NothingToDo { manifest, .. }) => {
                info!(run_date = %date, manifest = %manifest.display(), "Nothing new to do; skipped.");
                skipped.push(date);
            }
            Err(e) => {
                return Err(Error::Backfill {
                    run_date: date.to_string(),
                    done: ran.len() + skipped.len(),
                    error: Box::new(e),
                })
            }
        }
    }
    Ok((ran, skipped))
}
