//! Materialising a model: its output partitions collected in parallel, each batch compacted as
//! it arrives when a string or binary column's buffers hold far more memory than its rows use.
//!
//! Why: when part of a group key is already in order (a constant key such as `_source`, a
//! literal per source), DataFusion's hash aggregation emits its groups `batch_size` rows at a
//! time, and each emitted batch of a string key keeps the whole allocation of the key's value
//! buffer as it was before the emit (`Vec::truncate` keeps the capacity). Collected as they
//! were, the batches of a model with a million groups held far more memory than their rows,
//! and the waste grew faster than the groups did (the transform's peak at 1,000,000 contacts:
//! 7.6 GB before, 2.8 GB after; see the README's "Benchmark"). A compacted batch holds its rows
//! once, in buffers of their size.
//!
//! The same goes for view columns (`Utf8View`, what DataFusion reads Parquet strings as): a
//! join's output rows point into the whole build side's buffers. Held as they are, they keep
//! those alive, and the held table's statistics (the byte size of every batch, each counting
//! the shared buffers whole) made a model of a few columns look larger than one of many, so
//! DataFusion built its hash joins on the larger side (the contacts, copied whole, instead of
//! the email members: at 250,000 contacts the feature model's peak was 150 MB higher).

use std::sync::Arc;

use datafusion::arrow::array::{
    make_array, Array, ArrayRef, AsArray, GenericByteViewArray, MutableArrayData, RecordBatch,
};
use datafusion::arrow::buffer::Buffer;
use datafusion::arrow::datatypes::{ByteViewType, DataType};
use datafusion::dataframe::DataFrame;
use datafusion::error::{DataFusionError, Result};
use futures::{StreamExt, TryStreamExt};
use tokio::task::JoinSet;

/// Spare capacity a column may hold before its batch is copied: some slack is normal (a
/// builder grows by doubling), a multiple of the used size is not.
const SLACK: usize = 2;

/// Execute `df` and collect its output partitions, each on a task of its own, compacting every
/// batch whose buffers are more than twice the size of what they hold.
pub(super) async fn collect_compact(df: DataFrame) -> Result<Vec<Vec<RecordBatch>>> {
    let streams = df.execute_stream_partitioned().await?;
    let mut tasks = JoinSet::new();
    for (i, stream) in streams.into_iter().enumerate() {
        tasks.spawn(async move {
            let batches = stream
                .map(|b| b.and_then(|b| compact(&b)))
                .try_collect::<Vec<_>>()
                .await;
            (i, batches)
        });
    }
    let mut parts = Vec::with_capacity(tasks.len());
    while let Some(done) = tasks.join_next().await {
        let (i, batches) = done.map_err(|e| DataFusionError::External(Box::new(e)))?;
        parts.push((i, batches?));
    }
    parts.sort_by_key(|(i, _)| *i);
    Ok(parts.into_iter().map(|(_, batches)| batches).collect())
}

/// `batch` with every over-allocated column copied into buffers of its size.
pub(super) fn compact(batch: &RecordBatch) -> Result<RecordBatch> {
    if !batch.columns().iter().any(|c| wasteful(c.as_ref())) {
        return Ok(batch.clone());
    }
    let columns = batch
        .columns()
        .iter()
        .map(|c| {
            if wasteful(c.as_ref()) {
                copy(c)
            } else {
                Ok(c.clone())
            }
        })
        .collect::<Result<Vec<ArrayRef>>>()?;
    Ok(RecordBatch::try_new(batch.schema(), columns)?)
}

/// Whether the column is a string or binary column whose value buffers allocate more than
/// `SLACK` times the bytes it holds, by more than a page. For offset arrays only the value
/// buffer is looked at: a slice of a larger batch shares its parent's value buffer whole (its
/// length is the parent's), so slices of one large output are not copied apart, while an
/// emitted batch's truncated buffer is (its length is its own rows', its capacity the
/// parent's). A view array (`Utf8View`) is wasteful when the buffers its long values point
/// into are mostly other rows' values: a join's output points into the whole build side, an
/// aggregation's into every group's.
fn wasteful(array: &dyn Array) -> bool {
    match array.data_type() {
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Binary | DataType::LargeBinary => array
            .to_data()
            .buffers()
            .get(1)
            .is_some_and(|values: &Buffer| values.capacity() > SLACK * values.len() + 4096),
        DataType::Utf8View => views_wasteful(array.as_string_view()),
        DataType::BinaryView => views_wasteful(array.as_binary_view()),
        _ => false,
    }
}

/// Whether the buffers of a view array hold more than `SLACK` times its long values' bytes.
fn views_wasteful<T: ByteViewType + ?Sized>(array: &GenericByteViewArray<T>) -> bool {
    let held: usize = array.data_buffers().iter().map(Buffer::capacity).sum();
    if held <= 4096 {
        return false;
    }
    let used: usize = array
        .views()
        .iter()
        .map(|&v| v as u32 as usize)
        .filter(|&len| len > 12)
        .sum();
    held > SLACK * used + 4096
}

/// A copy of `array` in buffers of its own size.
fn copy(array: &ArrayRef) -> Result<ArrayRef> {
    match array.data_type() {
        DataType::Utf8View => return Ok(Arc::new(array.as_string_view().gc())),
        DataType::BinaryView => return Ok(Arc::new(array.as_binary_view().gc())),
        _ => {}
    }
    let data = array.to_data();
    let mut copy = MutableArrayData::new(vec![&data], false, array.len());
    copy.try_extend(0, 0, array.len())?;
    Ok(make_array(copy.freeze()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::StringArray;
    use datafusion::arrow::datatypes::{Field, Schema};

    /// A string column whose value buffer keeps the capacity of a much larger one, as an
    /// aggregation's emitted batch does.
    fn bloated() -> RecordBatch {
        let mut values = Vec::with_capacity(1 << 20);
        values.extend_from_slice(b"webweb");
        let offsets = Buffer::from_slice_ref([0i32, 3, 6]);
        let data = datafusion::arrow::array::ArrayData::builder(DataType::Utf8)
            .len(2)
            .add_buffer(offsets)
            .add_buffer(Buffer::from_vec(values))
            .build()
            .unwrap();
        let schema = Arc::new(Schema::new(vec![Field::new("s", DataType::Utf8, false)]));
        RecordBatch::try_new(schema, vec![make_array(data)]).unwrap()
    }

    #[test]
    fn an_over_allocated_column_is_copied_to_its_size_with_the_same_values() {
        let batch = bloated();
        assert!(batch.get_array_memory_size() > 1 << 20);
        let compacted = compact(&batch).unwrap();
        assert_eq!(compacted, batch);
        assert!(compacted.get_array_memory_size() < 4096, "{compacted:?}");
    }

    #[test]
    fn a_view_column_pointing_into_other_rows_values_is_copied_to_its_own() {
        use datafusion::arrow::array::StringViewArray;
        let long: Vec<String> = (0..1000)
            .map(|i| format!("contact-{i:05}@example.com"))
            .collect();
        let all = StringViewArray::from_iter_values(long.iter());
        // ten rows of a join's output, say: they point into the buffer of all thousand
        let few: ArrayRef = Arc::new(all.slice(0, 10));
        let schema = Arc::new(Schema::new(vec![Field::new(
            "s",
            DataType::Utf8View,
            false,
        )]));
        let batch = RecordBatch::try_new(schema, vec![few]).unwrap();
        let compacted = compact(&batch).unwrap();
        assert_eq!(compacted, batch);
        let held = |b: &RecordBatch| -> usize {
            let views = b.column(0).as_string_view();
            views.data_buffers().iter().map(|b| b.capacity()).sum()
        };
        assert!(held(&batch) > 20_000, "{}", held(&batch));
        assert!(held(&compacted) < 1_000, "{}", held(&compacted));
        // all thousand rows use their buffer: kept as they are
        let whole = RecordBatch::try_new(batch.schema(), vec![Arc::new(all)]).unwrap();
        assert!(Arc::ptr_eq(
            compact(&whole).unwrap().column(0),
            whole.column(0)
        ));
    }

    #[test]
    fn a_tight_batch_is_kept_as_it_is() {
        let schema = Arc::new(Schema::new(vec![Field::new("s", DataType::Utf8, true)]));
        let column = Arc::new(StringArray::from(vec![Some("a"), None, Some("bc")]));
        let batch = RecordBatch::try_new(schema, vec![column.clone()]).unwrap();
        let kept = compact(&batch).unwrap();
        assert!(Arc::ptr_eq(kept.column(0), &(column as ArrayRef)));
    }
}
