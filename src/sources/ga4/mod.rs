//! Google Analytics 4: the BigQuery export of events, as newline-delimited JSON ([`events`]) or
//! extracted to Parquet ([`parquet`]), both landed as the same flattened rows of
//! `raw_ga4__events` (user, time, event, session, page, device, geo, traffic source, revenue),
//! one part per input file, files decoded in parallel; and the reports of the GA4 UI exported as
//! CSV ([`report`]), landed long in `raw_ga4__report`.

pub mod events;
pub mod parquet;
mod parquet_rows;
pub mod report;
mod sink;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use datafusion::arrow::datatypes::{DataType, Field, SchemaRef};
use tracing::info;

use super::LandContext;
use crate::error::Result;
use crate::landing::{landed_schema, Counts, Reject};

/// String columns of the landed events table, in order (after `event_timestamp`).
const STRING_COLUMNS: [&str; 14] = [
    "event_date",
    "event_name",
    "user_id",
    "user_pseudo_id",
    "page_location",
    "device_category",
    "device_operating_system",
    "device_browser",
    "geo_country",
    "geo_region",
    "geo_city",
    "traffic_source",
    "traffic_medium",
    "transaction_id",
];

/// Schema of the landed GA4 events.
pub fn schema() -> SchemaRef {
    let mut fields = vec![Field::new("event_timestamp", DataType::Int64, false)];
    fields.extend(
        STRING_COLUMNS
            .iter()
            .map(|c| Field::new(*c, DataType::Utf8, true)),
    );
    fields.push(Field::new("ga_session_id", DataType::Int64, true));
    fields.push(Field::new("engagement_time_msec", DataType::Int64, true));
    fields.push(Field::new("purchase_revenue", DataType::Float64, true));
    landed_schema(fields)
}

/// Counts and rejects of one landed file.
type Landed = (Counts, Vec<Reject>);

/// Land every file of a GA4 source, files decoded in parallel (one worker per core).
pub fn land(ctx: &LandContext<'_>) -> Result<(Counts, Vec<Reject>)> {
    let loaded = ctx.loaded_at;
    let workers = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2)
        .min(ctx.files.len())
        .max(1);
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<(usize, Result<Landed>)>> = Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(path) = ctx.files.get(i) else { break };
                let out = ctx.landed_dir.join(format!("part-{i:05}.parquet"));
                let r = if parquet::is_parquet(path) {
                    parquet::land_file(path, &out, loaded)
                } else {
                    events::land_file(path, &out, loaded, &ctx.hashes)
                };
                if let Ok(mut guard) = results.lock() {
                    guard.push((i, r));
                }
            });
        }
    });
    let mut results = results.into_inner().unwrap_or_else(|p| p.into_inner());
    results.sort_by_key(|(i, _)| *i);
    let mut counts = Counts::default();
    let mut rejects = Vec::new();
    for (_, r) in results {
        let (c, mut rj) = r?;
        counts.add(c);
        rejects.append(&mut rj);
    }
    info!(
        files = ctx.files.len(),
        read = counts.read,
        rejected = counts.rejected,
        "Landed GA4 events."
    );
    Ok((counts, rejects))
}
