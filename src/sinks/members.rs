//! `persona_members`, written a batch at a time ([`MemberRows`]): from the members the driver
//! holds ([`write_members`]), or as a cluster streams them (`pipeline::members`).

use std::path::Path;
use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, RecordBatch, StringBuilder};

use super::columns::nullable_schema;
use super::schema::persona_members as M;
use crate::error::Result;
use crate::features::FeatureTable;
use crate::output::parquet::{ParquetSink, ROW_GROUP_ROWS};
use crate::profile::Persona;

/// Rows per batch written: a row group's, so that the file is laid out as one written from a
/// single batch (pages end where they would).
const BATCH_ROWS: usize = ROW_GROUP_ROWS;

/// `persona_members`: one row per contact and persona (a contact in both the buyer and the
/// user bucket has two rows); `members` are (row of `t`, index into `personas`).
pub fn write_members(
    path: &Path,
    run_date: &str,
    t: &FeatureTable,
    members: &[(usize, usize)],
    personas: &[Persona],
) -> Result<()> {
    let mut out = MemberRows::create(path, run_date)?;
    for &(row, p) in members {
        out.push(&t.contact_ids[row], t.emails[row].as_deref(), &personas[p])?;
    }
    out.finish()?;
    Ok(())
}

/// The `persona_members` rows being written, a batch at a time.
pub struct MemberRows<'a> {
    run_date: &'a str,
    columns: [StringBuilder; 6],
    len: usize,
    sink: ParquetSink,
}

impl<'a> MemberRows<'a> {
    /// Start writing the table to `path` (under a temporary name until [`Self::finish`]),
    /// every row of `run_date`.
    pub fn create(path: &Path, run_date: &'a str) -> Result<MemberRows<'a>> {
        let sink = ParquetSink::create(path, nullable_schema(M::columns()))?;
        Ok(MemberRows {
            run_date,
            columns: Default::default(),
            len: 0,
            sink,
        })
    }

    /// Add a member: its contact id and email, and its persona.
    pub fn push(&mut self, id: &str, email: Option<&str>, p: &Persona) -> Result<()> {
        let values = [
            Some(self.run_date),
            Some(id),
            email,
            Some(p.bucket.as_str()),
            Some(p.id.as_str()),
            Some(p.name.as_str()),
        ];
        for (c, v) in self.columns.iter_mut().zip(values) {
            c.append_option(v);
        }
        self.len += 1;
        if self.len == BATCH_ROWS {
            self.flush()?;
        }
        Ok(())
    }

    /// Write the rows added since the last batch.
    fn flush(&mut self) -> Result<()> {
        let arrays: Vec<ArrayRef> = (self.columns.iter_mut())
            .map(|c| Arc::new(c.finish()) as ArrayRef)
            .collect();
        let batch = RecordBatch::try_new(nullable_schema(M::columns()), arrays)?;
        self.sink.write(&batch)?;
        self.len = 0;
        Ok(())
    }

    /// Write the last rows and close the file; the rows written.
    pub fn finish(mut self) -> Result<u64> {
        if self.len > 0 {
            self.flush()?;
        }
        self.sink.finish()
    }
}
