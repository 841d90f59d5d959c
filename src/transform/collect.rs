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
//! View columns (`Utf8View`, what DataFusion reads Parquet strings as) are held as plain
//! offset columns (`Utf8`): a view takes 16 bytes a value where a short category takes a few,
//! and a join's output views point into the whole build side's buffers. Held as they were,
//! they kept those buffers alive, and the held table's statistics (every batch's byte size,
//! each counting the shared buffers whole) made a model of a few columns look larger than one
//! of many, so DataFusion built its hash joins on the larger side (a copy of every contact
//! instead of the email members). At 250,000 contacts the two took the transform's peak from
//! 559 to 500 MB (debug build; see the README's "Benchmark").
//!
//! And a text column with few distinct values (a category: a country, a stage, a device) is
//! held as a dictionary, a 4-byte key a row into values shared by every batch
//! ([`categories`]); the SQL reads it as text, and a file written from a held model gets the
//! text back ([`as_declared`]). A model's output dictionaries are collected as text first:
//! a join's output points into its build side's dictionaries, concatenated once per build
//! batch, and a function of such a column recomputes all those values for every batch, so the
//! collected feature model was twice its size at 1,000,000 contacts (peak 2,040 MB against
//! 1,632 MB without dictionaries, 1,401 MB with this).

use std::collections::HashMap;
use std::sync::Arc;

use datafusion::arrow::array::{
    make_array, Array, ArrayRef, AsArray, DictionaryArray, Int32Array, Int32Builder,
    MutableArrayData, RecordBatch, StringArray,
};
use datafusion::arrow::buffer::Buffer;
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Field, Int32Type, Schema};
use datafusion::error::{DataFusionError, Result};
use datafusion::execution::TaskContext;
use datafusion::physical_plan::{execute_stream_partitioned, ExecutionPlan};
use futures::{StreamExt, TryStreamExt};
use tokio::task::JoinSet;

/// Spare capacity a column may hold before its batch is copied: some slack is normal (a
/// builder grows by doubling), a multiple of the used size is not.
const SLACK: usize = 2;

/// A model's output: its partitions' batches, and the bytes its operators spilled to disk.
pub(super) struct Collected {
    /// One list of batches an output partition.
    pub parts: Vec<Vec<RecordBatch>>,
    /// Bytes spilled while computing them (`[engine] memory_limit`).
    pub spilled: usize,
}

/// Execute `plan` and collect its output partitions, each on a task of its own, compacting
/// every batch whose buffers are more than twice the size of what they hold.
pub(super) async fn collect_compact(
    plan: Arc<dyn ExecutionPlan>,
    task: Arc<TaskContext>,
) -> Result<Collected> {
    let streams = execute_stream_partitioned(plan.clone(), task)?;
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
    Ok(Collected {
        parts: parts.into_iter().map(|(_, batches)| batches).collect(),
        spilled: super::spill::spilled_bytes(plan.as_ref()),
    })
}

/// `batch` with its view columns as offset columns and every over-allocated column copied
/// into buffers of its size.
pub(super) fn compact(batch: &RecordBatch) -> Result<RecordBatch> {
    let held = |c: &ArrayRef| match c.data_type() {
        DataType::Utf8View => Ok(cast(c, &DataType::Utf8)?),
        DataType::BinaryView => Ok(cast(c, &DataType::Binary)?),
        // A model's output dictionary can be far larger than its rows: a join's output points
        // into its build side's dictionaries, concatenated (one copy of the values per build
        // batch), and a function of the column recomputes them all for each batch. As text,
        // then encoded again over the whole model by `categories`.
        DataType::Dictionary(..) => decoded(c),
        _ if wasteful(c.as_ref()) => copy(c),
        _ => Ok(c.clone()),
    };
    let columns = batch
        .columns()
        .iter()
        .map(held)
        .collect::<Result<Vec<_>>>()?;
    with_columns(batch, columns)
}

/// A held model's batch with its SQL types: every dictionary column (see [`categories`]) as
/// its values, for a file written from the model.
pub fn as_declared(batch: &RecordBatch) -> Result<RecordBatch> {
    let columns = batch
        .columns()
        .iter()
        .map(decoded)
        .collect::<Result<Vec<_>>>()?;
    with_columns(batch, columns)
}

/// A dictionary column as its values; any other column as it is.
fn decoded(c: &ArrayRef) -> Result<ArrayRef> {
    match c.data_type() {
        DataType::Dictionary(_, value) => Ok(cast(c, value)?),
        _ => Ok(c.clone()),
    }
}

/// `batch` with `columns` in place of its own (the same names, their types); the batch itself
/// when every column is the one it had.
fn with_columns(batch: &RecordBatch, columns: Vec<ArrayRef>) -> Result<RecordBatch> {
    if columns
        .iter()
        .zip(batch.columns())
        .all(|(a, b)| Arc::ptr_eq(a, b))
    {
        return Ok(batch.clone());
    }
    let schema = batch.schema();
    let fields: Vec<Field> = schema
        .fields()
        .iter()
        .zip(&columns)
        .map(|(f, c)| f.as_ref().clone().with_data_type(c.data_type().clone()))
        .collect();
    let schema = Schema::new_with_metadata(fields, schema.metadata().clone());
    Ok(RecordBatch::try_new(Arc::new(schema), columns)?)
}

/// Most distinct values a text column may have to be held as a dictionary. Few, so that one
/// shared dictionary stays small wherever DataFusion copies it: a join concatenates its build
/// side's dictionaries, and a function of the column (`lower`, a `case`) is computed over the
/// whole dictionary of every batch it reads (a limit of one value in twenty rows made the
/// feature model's rows twice their size at 1,000,000 contacts).
const MAX_LEVELS: usize = 256;

/// `parts` with every text column of at most [`MAX_LEVELS`] distinct values (a category: a
/// country, a lifecycle stage, a device) as a dictionary: a 4-byte key a row into one array of
/// the column's values, shared by every batch, instead of the text again.
pub(super) fn categories(parts: Vec<Vec<RecordBatch>>) -> Result<Vec<Vec<RecordBatch>>> {
    let Some(first) = parts.iter().flatten().next() else {
        return Ok(parts);
    };
    let schema = first.schema();
    let mut encoded: Vec<(usize, std::vec::IntoIter<ArrayRef>)> = Vec::new();
    for (c, field) in schema.fields().iter().enumerate() {
        if field.data_type() == &DataType::Utf8 {
            if let Some(columns) = shared_dictionary(parts.iter().flatten().map(|b| b.column(c))) {
                encoded.push((c, columns.into_iter()));
            }
        }
    }
    if encoded.is_empty() {
        return Ok(parts);
    }
    let mut encode = |b: RecordBatch| {
        let mut columns = b.columns().to_vec();
        for (c, dictionaries) in &mut encoded {
            columns[*c] = dictionaries.next().expect("one dictionary a batch");
        }
        with_columns(&b, columns)
    };
    parts
        .into_iter()
        .map(|batches| batches.into_iter().map(&mut encode).collect())
        .collect()
}

/// Each text column of `columns` (one a batch) as a dictionary over one shared array of their
/// values; `None` when they hold more than [`MAX_LEVELS`] distinct values.
fn shared_dictionary<'a>(columns: impl Iterator<Item = &'a ArrayRef>) -> Option<Vec<ArrayRef>> {
    let mut index: HashMap<&str, i32> = HashMap::new();
    let mut levels: Vec<&str> = Vec::new();
    let mut keys = Vec::new();
    for column in columns {
        let text = column.as_string::<i32>();
        let mut k = Int32Builder::with_capacity(text.len());
        for value in text.iter() {
            let Some(value) = value else {
                k.append_null();
                continue;
            };
            let code = *index.entry(value).or_insert_with(|| {
                levels.push(value);
                levels.len() as i32 - 1
            });
            if levels.len() > MAX_LEVELS {
                return None;
            }
            k.append_value(code);
        }
        keys.push(k.finish());
    }
    let values: ArrayRef = Arc::new(StringArray::from(levels));
    let dictionary = |k: Int32Array| -> ArrayRef {
        Arc::new(DictionaryArray::<Int32Type>::new(k, values.clone()))
    };
    Some(keys.into_iter().map(dictionary).collect())
}

/// Whether the column is a string or binary column whose value buffer allocates more than
/// `SLACK` times the bytes it holds, by more than a page. Only value buffers are looked at: a
/// slice of a larger batch shares its parent's value buffer whole (its length is the parent's),
/// so slices of one large output are not copied apart, while an emitted batch's truncated
/// buffer is (its length is its own rows', its capacity the parent's).
fn wasteful(array: &dyn Array) -> bool {
    let byte_array = matches!(
        array.data_type(),
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Binary | DataType::LargeBinary
    );
    byte_array
        && array
            .to_data()
            .buffers()
            .get(1)
            .is_some_and(|values: &Buffer| values.capacity() > SLACK * values.len() + 4096)
}

/// A copy of `array` in buffers of its own size.
fn copy(array: &ArrayRef) -> Result<ArrayRef> {
    let data = array.to_data();
    let mut copy = MutableArrayData::new(vec![&data], false, array.len());
    copy.try_extend(0, 0, array.len())?;
    Ok(make_array(copy.freeze()))
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn a_view_column_is_held_as_an_offset_column_of_its_own_values() {
        use datafusion::arrow::array::{AsArray, StringViewArray};
        let long: Vec<String> = (0..1000)
            .map(|i| format!("contact-{i:05}@example.com"))
            .collect();
        let all = StringViewArray::from_iter_values(long.iter());
        // ten rows of a join's output, say: their views point into the buffer of all thousand
        let few: ArrayRef = Arc::new(all.slice(0, 10));
        let schema = Arc::new(Schema::new(vec![Field::new(
            "s",
            DataType::Utf8View,
            false,
        )]));
        let batch = RecordBatch::try_new(schema, vec![few]).unwrap();
        let held = compact(&batch).unwrap();
        assert_eq!(held.schema().field(0).data_type(), &DataType::Utf8);
        let values: Vec<&str> = held.column(0).as_string::<i32>().iter().flatten().collect();
        assert_eq!(values, long[..10]);
        assert!(batch.get_array_memory_size() > 20_000);
        assert!(held.get_array_memory_size() < 1_000, "{held:?}");
    }

    #[test]
    fn a_text_column_of_few_values_is_held_as_a_dictionary_and_written_as_text() {
        let schema = Arc::new(Schema::new(vec![
            Field::new("id", DataType::Utf8, false),
            Field::new("country", DataType::Utf8, true),
        ]));
        let batch = |from: usize| {
            let ids: StringArray = (from..from + 100).map(|i| Some(format!("c{i}"))).collect();
            let countries: StringArray = (from..from + 100)
                .map(|i| (i % 7 != 0).then_some(["DE", "FR", "US"][i % 3]))
                .collect();
            RecordBatch::try_new(schema.clone(), vec![Arc::new(ids), Arc::new(countries)]).unwrap()
        };
        let parts = vec![vec![batch(0), batch(100)], vec![batch(200)]];
        let held = categories(parts.clone()).unwrap();
        let dictionary = DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8));
        let shared = held[0][0].column(1).as_any_dictionary().values().clone();
        for b in held.iter().flatten() {
            // 300 different ids: text; three countries: a dictionary, one for every batch
            assert_eq!(b.schema().field(0).data_type(), &DataType::Utf8);
            assert_eq!(b.schema().field(1).data_type(), &dictionary);
            assert!(Arc::ptr_eq(
                b.column(1).as_any_dictionary().values(),
                &shared
            ));
        }
        assert_eq!(shared.len(), 3);
        let written: Vec<RecordBatch> = held
            .iter()
            .flatten()
            .map(|b| as_declared(b).unwrap())
            .collect();
        let before: Vec<&RecordBatch> = parts.iter().flatten().collect();
        assert_eq!(written.iter().collect::<Vec<_>>(), before);
    }

    #[test]
    fn an_output_dictionary_is_collected_as_its_text() {
        // 3 rows pointing into a dictionary of 1,000 values, as a join's output does
        let values: StringArray = (0..1000).map(|i| Some(format!("level {i}"))).collect();
        let keys = Int32Array::from(vec![Some(7), None, Some(999)]);
        let column: ArrayRef = Arc::new(DictionaryArray::new(keys, Arc::new(values)));
        let dictionary = column.data_type().clone();
        let schema = Arc::new(Schema::new(vec![Field::new("s", dictionary, true)]));
        let batch = RecordBatch::try_new(schema, vec![column]).unwrap();
        let held = compact(&batch).unwrap();
        assert_eq!(held.schema().field(0).data_type(), &DataType::Utf8);
        let text: Vec<Option<&str>> = held.column(0).as_string::<i32>().iter().collect();
        assert_eq!(text, [Some("level 7"), None, Some("level 999")]);
        assert_eq!(as_declared(&batch).unwrap(), held);
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
