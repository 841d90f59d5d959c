//! Materialised models kept on local disk: a model no later stage reads is written as one
//! Parquet file under the run's scratch folder and registered from there, so the models the
//! next ones join are read back as they are needed instead of all held in memory at once (the
//! run's peak was the models the feature model reads, held side by side).

use std::path::Path;
use std::sync::Arc;

use datafusion::error::DataFusionError;
use datafusion::physical_plan::execute_stream;
use datafusion::prelude::{DataFrame, ParquetReadOptions, SessionContext};
use futures::StreamExt;

use super::spill;
use crate::output::parquet::ParquetSink;

/// Write `df`, model `name`, to `<dir>/<name>.parquet` and register it as `name` in `ctx`;
/// the rows written and the bytes its operators spilled.
pub(super) async fn write_down(
    ctx: &SessionContext,
    name: &str,
    df: DataFrame,
    dir: &Path,
) -> Result<(usize, usize), DataFusionError> {
    let external = |e: crate::error::Error| DataFusionError::External(Box::new(e));
    let schema = Arc::new(df.schema().as_arrow().clone());
    let task = Arc::new(df.task_ctx());
    let plan = df.create_physical_plan().await?;
    let path = dir.join(format!("{name}.parquet"));
    let mut stream = execute_stream(plan.clone(), task)?;
    // the batches' schema can be stricter than the plan's (nullability): the first batch's
    let mut sink: Option<ParquetSink> = None;
    let mut written = schema.clone();
    while let Some(batch) = stream.next().await {
        let batch = batch?;
        let sink = match &mut sink {
            Some(s) => s,
            None => {
                written = batch.schema();
                sink.insert(ParquetSink::landing(&path, batch.schema()).map_err(external)?)
            }
        };
        sink.write(&batch).map_err(external)?;
    }
    let (sink, schema) = match sink {
        Some(s) => (s, written),
        None => (
            ParquetSink::landing(&path, schema.clone()).map_err(external)?,
            schema,
        ),
    };
    let rows = sink.finish().map_err(external)? as usize;
    ctx.deregister_table(name)?;
    // read back with the types written, not as DataFusion's string views: the models reading
    // it, and the files written from them, get the column types the model computed
    let file = path.to_string_lossy();
    let options = ParquetReadOptions::default().schema(&schema);
    ctx.register_parquet(name, file.as_ref(), options).await?;
    Ok((rows, spill::spilled_bytes(plan.as_ref())))
}
