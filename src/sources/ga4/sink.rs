//! Where decoded GA4 events go: the column builders of one batch of flattened events
//! (`Batch`), and the sink that writes one input file's events as one part (`EventSink`, over a
//! [`Part`]: a Parquet part, or memory in the fuzz harness) and counts every row as landed or
//! rejected. The NDJSON decoder ([`events`](super::events)) and the Parquet extract
//! ([`parquet`](super::parquet)) both land through it.

use std::borrow::Cow;
use std::path::Path;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use datafusion::arrow::array::{
    ArrayRef, Float64Builder, Int64Builder, RecordBatch, StringBuilder,
};
use datafusion::arrow::datatypes::SchemaRef;

use super::events::Event;
use super::{schema, STRING_COLUMNS};
use crate::error::{Error, Result};
use crate::landing::{Counts, Lineage, Reject, BATCH_ROWS};
use crate::output::parquet::ParquetSink;
use crate::sources::file_label;

/// The most text a batch holds before it is written.
const BATCH_TEXT_BYTES: usize = 1 << 20;

/// Column builders for one batch of flattened events.
pub(super) struct Batch {
    ts: Int64Builder,
    strings: Vec<StringBuilder>,
    session: Int64Builder,
    engagement: Int64Builder,
    revenue: Float64Builder,
    lineage: Lineage,
    pub(super) rows: usize,
}

impl Batch {
    /// Builders for events loaded by the run of `loaded_at`.
    pub(super) fn new(loaded_at: DateTime<Utc>) -> Batch {
        Batch {
            ts: Int64Builder::with_capacity(BATCH_ROWS),
            strings: (0..STRING_COLUMNS.len())
                .map(|_| StringBuilder::new())
                .collect(),
            session: Int64Builder::with_capacity(BATCH_ROWS),
            engagement: Int64Builder::with_capacity(BATCH_ROWS),
            revenue: Float64Builder::with_capacity(BATCH_ROWS),
            lineage: Lineage::new(loaded_at),
            rows: 0,
        }
    }

    /// Whether the batch is full: [`BATCH_ROWS`] rows, or [`BATCH_TEXT_BYTES`] of text (long
    /// URLs and parameters: the batch's memory does not grow with the events of a file).
    fn is_full(&self) -> bool {
        self.rows == BATCH_ROWS
            || self
                .strings
                .iter()
                .map(|b| b.values_slice().len())
                .sum::<usize>()
                >= BATCH_TEXT_BYTES
    }

    /// Append one event; `Err` is the reason it is rejected.
    pub(super) fn push(
        &mut self,
        e: &Event<'_>,
        file: &str,
        line: u64,
    ) -> std::result::Result<(), String> {
        let ts = e
            .event_timestamp
            .ok_or("field \"event_timestamp\" is missing")?;
        let name = e.event_name.as_deref().filter(|s| !s.is_empty());
        let name = name.ok_or("field \"event_name\" is missing")?;
        let mut page = None;
        let mut session = None;
        let mut engagement = None;
        for p in e.event_params.iter().flatten() {
            let Some(v) = &p.value else { continue };
            match p.key.as_ref() {
                "page_location" => page = v.string_value.as_deref(),
                "ga_session_id" => session = v.int_value,
                "engagement_time_msec" => engagement = v.int_value,
                _ => {}
            }
        }
        let device = e.device.as_ref();
        let geo = e.geo.as_ref();
        let traffic = e.traffic_source.as_ref();
        let values: [Option<&str>; 14] = [
            e.event_date.as_deref(),
            Some(name),
            e.user_id.as_deref(),
            e.user_pseudo_id.as_deref(),
            page,
            device.and_then(|d| d.category.as_deref()),
            device.and_then(|d| d.operating_system.as_deref()),
            device
                .and_then(|d| d.web_info.as_ref())
                .and_then(|w| w.browser.as_deref()),
            geo.and_then(|g| g.country.as_deref()),
            geo.and_then(|g| g.region.as_deref()),
            geo.and_then(|g| g.city.as_deref()),
            traffic.and_then(|t| t.source.as_deref()),
            traffic.and_then(|t| t.medium.as_deref()),
            e.ecommerce
                .as_ref()
                .and_then(|c| c.transaction_id.as_deref()),
        ];
        self.ts.append_value(ts);
        for (b, v) in self.strings.iter_mut().zip(values) {
            b.append_option(v);
        }
        self.session.append_option(session);
        self.engagement.append_option(engagement);
        self.revenue
            .append_option(e.ecommerce.as_ref().and_then(|c| c.purchase_revenue));
        self.lineage.push(file, line);
        self.rows += 1;
        Ok(())
    }

    pub(super) fn finish(&mut self, schema: &SchemaRef) -> Result<RecordBatch> {
        let mut arrays: Vec<ArrayRef> = vec![Arc::new(self.ts.finish())];
        arrays.extend(
            self.strings
                .iter_mut()
                .map(|b| Arc::new(b.finish()) as ArrayRef),
        );
        arrays.push(Arc::new(self.session.finish()));
        arrays.push(Arc::new(self.engagement.finish()));
        arrays.push(Arc::new(self.revenue.finish()));
        arrays.extend(self.lineage.finish());
        self.rows = 0;
        Ok(RecordBatch::try_new(schema.clone(), arrays)?)
    }
}

/// Where an [`EventSink`] puts its batches: a Parquet part, or (the fuzz harness) memory.
pub(super) trait Part {
    /// What the part is once closed.
    type Closed;
    /// Append a batch.
    fn write(&mut self, batch: &RecordBatch) -> Result<()>;
    /// Close the part.
    fn close(self) -> Result<Self::Closed>;
}

impl Part for ParquetSink {
    type Closed = u64;
    fn write(&mut self, batch: &RecordBatch) -> Result<()> {
        ParquetSink::write(self, batch)
    }
    fn close(self) -> Result<u64> {
        self.finish()
    }
}

#[cfg(test)]
impl Part for Vec<RecordBatch> {
    type Closed = Vec<RecordBatch>;
    fn write(&mut self, batch: &RecordBatch) -> Result<()> {
        self.push(batch.clone());
        Ok(())
    }
    fn close(self) -> Result<Vec<RecordBatch>> {
        Ok(self)
    }
}

/// Writes the events of one input file as one part (Parquet), `BATCH_ROWS` at a time, and
/// counts them: each row read is landed or rejected with its reason and raw text.
pub(super) struct EventSink<P: Part = ParquetSink> {
    sink: P,
    schema: SchemaRef,
    batch: Batch,
    label: String,
    counts: Counts,
    rejects: Vec<Reject>,
}

impl EventSink {
    /// A sink writing `out` for the input file `path`.
    pub(super) fn create(path: &Path, out: &Path, loaded_at: DateTime<Utc>) -> Result<EventSink> {
        let part = ParquetSink::landing(out, schema())?;
        Ok(EventSink::with_part(part, file_label(path), loaded_at))
    }
}

impl<P: Part> EventSink<P> {
    /// A sink writing `part` for the input labelled `label`.
    pub(super) fn with_part(part: P, label: String, loaded_at: DateTime<Utc>) -> EventSink<P> {
        EventSink {
            sink: part,
            schema: schema(),
            batch: Batch::new(loaded_at),
            label,
            counts: Counts::default(),
            rejects: Vec::new(),
        }
    }

    /// Rows read so far.
    pub(super) fn read(&self) -> u64 {
        self.counts.read
    }

    /// One row of the input at `line`: its event, or why it is not one, and its raw text should
    /// it be rejected.
    pub(super) fn add<'r>(
        &mut self,
        line: u64,
        event: std::result::Result<Event<'_>, String>,
        raw: impl FnOnce() -> Cow<'r, [u8]>,
    ) -> Result<()> {
        let pushed = event.and_then(|ev| self.batch.push(&ev, &self.label, line));
        if let Err(reason) = self.counts.tally(pushed) {
            self.rejects
                .push(Reject::new(&self.label, line, &raw(), reason));
        }
        if self.batch.is_full() {
            self.sink.write(&self.batch.finish(&self.schema)?)?;
        }
        Ok(())
    }

    /// Write the last batch and close the part; a file without any row is an error naming it.
    pub(super) fn finish(self, shown: &str) -> Result<(Counts, Vec<Reject>)> {
        self.close(shown)
            .map(|(counts, rejects, _)| (counts, rejects))
    }

    /// [`finish`](Self::finish), keeping the closed part.
    pub(super) fn close(mut self, shown: &str) -> Result<(Counts, Vec<Reject>, P::Closed)> {
        if self.batch.rows > 0 {
            self.sink.write(&self.batch.finish(&self.schema)?)?;
        }
        let closed = self.sink.close()?;
        if self.counts.read == 0 {
            return Err(Error::BadInput {
                file: shown.to_string(),
                reason: "the GA4 export file has no events".into(),
            });
        }
        Ok((self.counts, self.rejects, closed))
    }
}
