//! The Arrow side of the Parquet tables the sinks write: [`column`], one column from a slice of
//! rows and a getter (its Arrow type that of the getter's values), and [`write_table`], which
//! writes the columns of one table in the order of its [`super::schema`] definition.

use std::path::Path;
use std::sync::Arc;

use datafusion::arrow::array::{
    ArrayBuilder, ArrayRef, BooleanBuilder, Float64Builder, Int32Builder, RecordBatch,
    StringBuilder, UInt32Builder, UInt64Builder,
};
use datafusion::arrow::datatypes::{Field, Schema, SchemaRef};

use super::schema::Columns;
use crate::error::Result;
use crate::output::parquet::write_parquet;

/// The schema of a table's `columns` (see [`super::schema`]), every column nullable.
pub fn nullable_schema(columns: Columns) -> SchemaRef {
    let fields: Vec<Field> = columns
        .into_iter()
        .map(|(name, t)| Field::new(name, t, true))
        .collect();
    Arc::new(Schema::new(fields))
}

/// Write `arrays` as one Parquet file of `schema`; Arrow checks that they match its number and
/// types of columns.
pub fn write_arrays(path: &Path, schema: SchemaRef, arrays: Vec<ArrayRef>) -> Result<()> {
    let batch = RecordBatch::try_new(schema.clone(), arrays)?;
    write_parquet(path, schema, &[batch])?;
    Ok(())
}

/// Write one table: `arrays` in the order of `columns` (its [`super::schema`] definition).
pub fn write_table(path: &Path, columns: Columns, arrays: Vec<ArrayRef>) -> Result<()> {
    write_arrays(path, nullable_schema(columns), arrays)
}

/// A value an Arrow column holds, and the builder of that column.
pub trait ColumnValue: Sized {
    /// The builder of a column of such values.
    type Builder: ArrayBuilder + Default + Extend<Option<Self>>;
}

/// Implements [`ColumnValue`] for each `value => builder`.
macro_rules! column_values {
    ($($value:ty => $builder:ty),+ $(,)?) => {
        $(impl ColumnValue for $value {
            type Builder = $builder;
        })+
    };
}

column_values!(
    f64 => Float64Builder,
    u64 => UInt64Builder,
    u32 => UInt32Builder,
    i32 => Int32Builder,
    bool => BooleanBuilder,
    String => StringBuilder,
);

impl ColumnValue for &str {
    type Builder = StringBuilder;
}

/// A column of `rows`: `f` of every row (`None`: null), its Arrow type that of the values.
pub fn column<'a, T, V: ColumnValue>(rows: &'a [T], f: impl Fn(&'a T) -> Option<V>) -> ArrayRef {
    let mut b = V::Builder::default();
    b.extend(rows.iter().map(f));
    b.finish()
}
