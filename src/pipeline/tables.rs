//! What a run reads back from its SQL models besides the features: the social audience (a
//! profile input), each contact's purchase funnel steps (`int_contact_funnel`, made into the
//! personas' funnels), and the feature model's rows written out for analysts.

use std::path::Path;

use datafusion::arrow::array::{Array, AsArray, RecordBatch};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Float64Type};
use datafusion::prelude::SessionContext;
use futures::StreamExt;
use tracing::warn;

use crate::cluster::Bucket;
use crate::error::{Error, Result};
use crate::features::{ContactIndex, FeatureTable};
use crate::output::parquet::ParquetSink;
use crate::profile::funnel::{
    funnels_of_counts, member_counts, ContactFunnel, FunnelCounts, FunnelStep,
};
use crate::profile::{Audience, AudienceShare, Profiled};
use crate::transform;

/// The social audience shares from the `social_audience` model, if the project has one.
pub(super) async fn load_audience(ctx: &SessionContext) -> Audience {
    let mut audience = Audience::new();
    let Ok(df) = ctx.table("social_audience").await else {
        return audience;
    };
    let batches = match df.collect().await {
        Ok(batches) => batches,
        Err(e) => {
            warn!(error = %e, "Model social_audience failed; skipping the audience comparison.");
            return audience;
        }
    };
    for b in batches {
        let (Some(dim), Some(level), Some(share)) = (
            b.column_by_name("dimension"),
            b.column_by_name("level"),
            b.column_by_name("share"),
        ) else {
            warn!("Model social_audience lacks dimension, level or share; skipping the audience comparison.");
            return audience;
        };
        let (Ok(dim), Ok(level), Ok(share)) = (
            cast(dim, &DataType::Utf8),
            cast(level, &DataType::Utf8),
            cast(share, &DataType::Float64),
        ) else {
            warn!("Model social_audience has dimension, level or share of the wrong type; skipping the audience comparison.");
            return audience;
        };
        let (dim, level, share) = (
            dim.as_string::<i32>(),
            level.as_string::<i32>(),
            share.as_primitive::<Float64Type>(),
        );
        // Which audience each row describes (`meta`, `linkedin`, `ga4`); a project's own mart
        // without the column is one `social` audience.
        let source = b
            .column_by_name("source")
            .and_then(|s| cast(s, &DataType::Utf8).ok());
        let source = source.as_ref().map(|s| s.as_string::<i32>());
        for i in 0..b.num_rows() {
            if dim.is_valid(i) && level.is_valid(i) && share.is_valid(i) {
                // Rows come in the mart's order of precedence: a later source's share of the
                // same level replaces an earlier one's.
                audience.insert(
                    (dim.value(i).to_string(), level.value(i).to_string()),
                    AudienceShare {
                        share: share.value(i),
                        source: source
                            .filter(|s| s.is_valid(i))
                            .map_or_else(|| "social".to_string(), |s| s.value(i).to_string()),
                    },
                );
            }
        }
    }
    audience
}

/// A model's rows written as one Parquet file as they stream by (the per-contact features,
/// for analysts, in the feature table's contact order, so a rerun of a date writes the same
/// file); no file without rows.
pub(super) struct ModelFile<'a> {
    path: &'a Path,
    sink: Option<ParquetSink>,
}

impl<'a> ModelFile<'a> {
    /// A file to write at `path`, created with the first batch.
    pub(super) fn new(path: &'a Path) -> ModelFile<'a> {
        ModelFile { path, sink: None }
    }

    /// Append a batch of the model's rows.
    pub(super) fn write(&mut self, batch: &RecordBatch) -> Result<()> {
        // a held model's categories are dictionaries in memory, their text in the file
        let batch = transform::as_declared(batch)?;
        let sink = match &mut self.sink {
            Some(s) => s,
            None => self
                .sink
                .insert(ParquetSink::create(self.path, batch.schema())?),
        };
        sink.write(&batch)
    }

    /// Close the file (under its final name from then on).
    pub(super) fn finish(self) -> Result<()> {
        if let Some(sink) = self.sink {
            sink.finish()?;
        }
        Ok(())
    }
}

/// The model holding each contact's funnel steps.
const FUNNEL_MODEL: &str = "int_contact_funnel";

/// Every persona's funnel rows (`persona_funnel`), from the steps of each contact in
/// [`FUNNEL_MODEL`]: the personas of the buckets `by_sql` counted by the engine over the
/// feature model `model` ([`super::funnel`]), the others from the members held; none when the
/// project's models lack it.
pub(super) async fn load_funnel(
    ctx: &SessionContext,
    (model, by_sql): (&str, &[&Bucket]),
    table: &FeatureTable,
    profiled: &Profiled,
    alpha: f64,
) -> Result<Vec<FunnelStep>> {
    let Ok(df) = ctx.table(FUNNEL_MODEL).await else {
        warn!(
            model = FUNNEL_MODEL,
            "No funnel model; persona_funnel is empty."
        );
        return Ok(Vec::new());
    };
    let personas = &profiled.personas;
    let there = |p: usize| by_sql.iter().any(|b| b.name == personas[p].bucket);
    let mut counts = vec![FunnelCounts::default(); personas.len()];
    if (0..personas.len()).any(|p| !there(p)) {
        // each contact's steps in its row of the feature table (a contact the table lacks is
        // in no persona): streamed, no copy of the ids
        let index = table.index();
        let mut contacts = vec![ContactFunnel::default(); table.len()];
        let mut seen = vec![false; table.len()];
        let mut stream = df.execute_stream().await?;
        while let Some(batch) = stream.next().await {
            read_funnel_batch(&batch?, &index, (&mut contacts, &mut seen))?;
        }
        let held = profiled.members.iter().filter(|m| !there(m.1));
        counts = member_counts(&contacts, personas.len(), held);
    }
    let counted = super::funnel::count_funnels(ctx, model, FUNNEL_MODEL, by_sql, personas);
    for (p, c) in counted.await? {
        counts[p] = c;
    }
    Ok(funnels_of_counts(&counts, personas, alpha))
}

/// Put one batch of [`FUNNEL_MODEL`] into `contacts`, each contact at its row by `index` (a
/// null flag is a step not taken), marking it in `seen`: a contact in a second row is an error
/// (which row's steps hold would be left to the engine's order).
fn read_funnel_batch(
    batch: &RecordBatch,
    index: &ContactIndex<'_>,
    (contacts, seen): (&mut [ContactFunnel], &mut [bool]),
) -> Result<()> {
    let column = |name: &str, to: &DataType| {
        let c = batch
            .column_by_name(name)
            .ok_or_else(|| Error::MissingModelColumn {
                model: FUNNEL_MODEL.into(),
                column: name.into(),
                needed_by: "the persona funnel".into(),
            })?;
        Ok::<_, Error>(cast(c, to)?)
    };
    let ids = column("contact_id", &DataType::Utf8)?;
    let kind = column("buyer_type", &DataType::Utf8)?;
    let (ids, kind) = (ids.as_string::<i32>(), kind.as_string::<i32>());
    let mut flags = Vec::new();
    for name in super::funnel::FLAGS {
        flags.push(column(name, &DataType::Boolean)?);
    }
    let flag = |f: usize, i: usize| {
        let b = flags[f].as_boolean();
        b.is_valid(i) && b.value(i)
    };
    for i in (0..batch.num_rows()).filter(|&i| ids.is_valid(i)) {
        let Some(row) = index.row(ids.value(i)) else {
            continue;
        };
        if std::mem::replace(&mut seen[row], true) {
            return Err(Error::BadInput {
                file: FUNNEL_MODEL.into(),
                reason: format!(
                    "contact `{}` is in two rows (one row per contact: which steps it took)",
                    ids.value(i)
                ),
            });
        }
        let kind = kind.is_valid(i).then(|| kind.value(i));
        contacts[row] = ContactFunnel {
            visited: flag(0, i),
            viewed_product: flag(1, i),
            added_to_cart: flag(2, i),
            began_checkout: flag(3, i),
            purchased: flag(4, i),
            buyer: kind.is_some_and(|k| k != "none"),
            repeat: matches!(kind, Some("repeat" | "frequent")),
        };
    }
    Ok(())
}
