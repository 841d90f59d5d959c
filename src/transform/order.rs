//! Putting a kept model in contact order without a second copy of it: the model's batches are
//! collected as they come, the order of the rows is computed from the `contact_id` column
//! alone, then the columns are put in that order one at a time, each column's unsorted chunks
//! freed as soon as its ordered copy exists. A sort by DataFusion holds every unsorted batch
//! until the last sorted one is out, so the model twice over (at 1,000,000 contacts, the
//! feature model's sort was the transform's peak: see the README's "Benchmark").
//!
//! The order is [`super::by_contact`]'s: ids by length in characters, then as text, nulls
//! first; a non-text id is compared as its text.

use datafusion::arrow::array::{Array, ArrayRef, AsArray, RecordBatch};
use datafusion::arrow::compute::{cast, interleave};
use datafusion::arrow::datatypes::{DataType, SchemaRef};
use datafusion::error::{DataFusionError, Result};

/// The rows of `parts` in contact order, as batches of at most `batch_rows` rows.
pub(super) fn in_contact_order(
    schema: SchemaRef,
    parts: Vec<Vec<RecordBatch>>,
    batch_rows: usize,
) -> Result<Vec<RecordBatch>> {
    let batches: Vec<RecordBatch> = parts.into_iter().flatten().collect();
    let rows: usize = batches.iter().map(RecordBatch::num_rows).sum();
    if rows == 0 {
        return Ok(Vec::new());
    }
    let id = schema.index_of("contact_id")?;
    let order = contact_order(batches.iter().map(|b| b.column(id)))?;
    // Each column as its chunks, the batches dropped: a column's chunks are its only owners.
    let mut chunks: Vec<Vec<ArrayRef>> = (0..schema.fields().len())
        .map(|c| batches.iter().map(|b| b.column(c).clone()).collect())
        .collect();
    drop(batches);
    // Each column is ordered in pieces of a batch's rows, so that the pieces of one column
    // reuse the memory the previous column's chunks held (whole-column arrays would not fit
    // in those holes, and the process would hold both copies after all).
    let batch_rows = batch_rows.max(1);
    let mut ordered: Vec<Vec<ArrayRef>> = Vec::with_capacity(chunks.len());
    for column in &mut chunks {
        let parts: Vec<&dyn Array> = column.iter().map(|a| a.as_ref()).collect();
        let pieces = order
            .chunks(batch_rows)
            .map(|rows| interleave(&parts, rows))
            .collect::<std::result::Result<Vec<_>, _>>()?;
        column.clear();
        // the chunks were allocated on the threads that ran the query, in allocator arenas
        // this thread does not allocate from: only handing their pages back frees them
        crate::memory::release();
        ordered.push(pieces);
    }
    (0..ordered.first().map_or(0, Vec::len))
        .map(|b| {
            let columns = ordered.iter().map(|pieces| pieces[b].clone()).collect();
            RecordBatch::try_new(schema.clone(), columns).map_err(DataFusionError::from)
        })
        .collect()
}

/// `(chunk, row)` of every row, in contact order (a stable sort: rows with the same id keep
/// the order they were collected in).
fn contact_order<'a>(ids: impl Iterator<Item = &'a ArrayRef>) -> Result<Vec<(usize, usize)>> {
    let texts = ids
        .map(|a| cast(a, &DataType::Utf8))
        .collect::<std::result::Result<Vec<_>, _>>()?;
    let mut keys: Vec<(usize, usize, Option<usize>)> = Vec::new();
    for (c, text) in texts.iter().enumerate() {
        let text = text.as_string::<i32>();
        keys.extend((0..text.len()).map(|r| {
            let chars = text.is_valid(r).then(|| text.value(r).chars().count());
            (c, r, chars)
        }));
    }
    let value = |c: usize, r: usize| texts[c].as_string::<i32>().value(r);
    keys.sort_by(|a, b| match (a.2, b.2) {
        (Some(x), Some(y)) => x.cmp(&y).then_with(|| value(a.0, a.1).cmp(value(b.0, b.1))),
        (x, y) => x.is_some().cmp(&y.is_some()),
    });
    Ok(keys.into_iter().map(|(c, r, _)| (c, r)).collect())
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use datafusion::arrow::array::{Int64Array, StringViewArray};
    use datafusion::arrow::datatypes::{Field, Schema};

    fn batch(schema: &SchemaRef, ids: &[Option<&str>], n: &[i64]) -> RecordBatch {
        let ids: StringViewArray = ids.iter().copied().collect();
        RecordBatch::try_new(
            schema.clone(),
            vec![Arc::new(ids), Arc::new(Int64Array::from(n.to_vec()))],
        )
        .unwrap()
    }

    #[test]
    fn rows_are_ordered_by_id_length_then_text_nulls_first_across_chunks() {
        let schema = Arc::new(Schema::new(vec![
            Field::new("contact_id", DataType::Utf8View, true),
            Field::new("n", DataType::Int64, false),
        ]));
        let long = "a-contact-id-longer-than-twelve-bytes";
        let long2 = "b-contact-id-longer-than-twelve-bytes";
        let parts = vec![
            vec![batch(
                &schema,
                &[Some("10"), Some(long), Some("9")],
                &[1, 2, 3],
            )],
            vec![
                batch(&schema, &[None, Some("100")], &[4, 5]),
                batch(&schema, &[Some("11"), Some(long2), Some("é")], &[6, 8, 7]),
            ],
        ];
        let out = in_contact_order(schema.clone(), parts, 3).unwrap();
        assert_eq!(
            out.iter().map(RecordBatch::num_rows).collect::<Vec<_>>(),
            [3, 3, 2]
        );
        let all = datafusion::arrow::compute::concat_batches(&schema, &out).unwrap();
        let ids = cast(all.column(0), &DataType::Utf8).unwrap();
        let ids: Vec<Option<&str>> = ids.as_string::<i32>().iter().collect();
        // "é" is one character (two bytes): it sorts with the one-character ids
        assert_eq!(
            ids,
            [
                None,
                Some("9"),
                Some("é"),
                Some("10"),
                Some("11"),
                Some("100"),
                Some(long),
                Some(long2)
            ]
        );
        let n = all.column(1).as_any().downcast_ref::<Int64Array>().unwrap();
        assert_eq!(n.values().to_vec(), [4, 3, 7, 1, 6, 5, 2, 8]);
    }

    #[test]
    fn a_numeric_id_is_ordered_as_its_text_and_no_rows_give_no_batches() {
        let schema = Arc::new(Schema::new(vec![Field::new(
            "contact_id",
            DataType::Int64,
            false,
        )]));
        let ids = Int64Array::from(vec![100, 9, 10]);
        let b = RecordBatch::try_new(schema.clone(), vec![Arc::new(ids)]).unwrap();
        let out = in_contact_order(schema.clone(), vec![vec![b]], 8192).unwrap();
        let ids = out[0].column(0).as_any().downcast_ref::<Int64Array>();
        assert_eq!(ids.unwrap().values().to_vec(), [9, 10, 100]);
        assert!(in_contact_order(schema, vec![vec![]], 8192)
            .unwrap()
            .is_empty());
    }
}
