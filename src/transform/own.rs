//! The SQL of your own CRM fields (`[[features.columns]]`), for three template variables:
//! - `{{ own_field_joins }}` (in `int_contacts_joined`): each CRM source's landed table joined
//!   to the contact's winning record by its lineage (source, file and line);
//! - `{{ own_fields }}` (its select list): each own column as text, under its feature name;
//! - `{{ own_feature_columns }}` (in `int_contact_features`): each one typed as the config says.
//!
//! Each expansion item is followed by a comma (an empty expansion without own columns).

use chrono::NaiveDate;

use crate::config::{OwnColumn, OwnType, PipelineConfig};

/// One own column with where it is landed.
#[derive(Debug, Clone)]
pub struct OwnField {
    column: OwnColumn,
    /// The raw table of its source.
    raw_table: &'static str,
    /// Its source's name (`[[sources]] name`), the `_source` of its rows.
    source: String,
    /// Its source's `date_format`.
    date_format: Option<String>,
}

/// Every own column of the pipeline with its source's raw table.
pub fn own_fields(cfg: &PipelineConfig) -> Vec<OwnField> {
    cfg.features
        .columns
        .iter()
        .filter_map(|c| {
            // The pipeline names each own column's source when it is read.
            let source = cfg
                .sources
                .iter()
                .find(|s| c.source.as_ref() == Some(&s.name))?;
            Some(OwnField {
                column: c.clone(),
                raw_table: source.kind.raw_table(),
                source: source.name.clone(),
                date_format: source.date_format.clone(),
            })
        })
        .collect()
}

/// Quote an identifier.
fn ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Quote a string literal.
fn literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// The alias of a raw table's join.
fn alias(raw_table: &str) -> String {
    format!("own_{raw_table}")
}

/// `{{ own_field_joins }}`: one left join per raw table an own column comes from.
pub fn joins(fields: &[OwnField]) -> String {
    let mut tables: Vec<(&str, &str)> = Vec::new();
    for f in fields {
        if !tables.iter().any(|(t, _)| *t == f.raw_table) {
            tables.push((f.raw_table, &f.source));
        }
    }
    tables
        .iter()
        .map(|(table, source)| {
            let a = alias(table);
            let source = literal(source);
            format!(
                "left join {table} {a} on {a}._source_file = c._source_file \
                 and {a}._source_line = c._source_line and {a}._source = c._source \
                 and c._source = {source}\n    "
            )
        })
        .collect()
}

/// `{{ own_fields }}`: each own column as text under its feature name.
pub fn columns(fields: &[OwnField]) -> String {
    fields
        .iter()
        .map(|f| {
            format!(
                "cast({}.{} as varchar) as {},\n        ",
                alias(f.raw_table),
                ident(f.column.column()),
                ident(&f.column.name)
            )
        })
        .collect()
}

/// `{{ own_feature_columns }}`: each own column typed.
pub fn features(fields: &[OwnField], run_date: NaiveDate) -> String {
    fields
        .iter()
        .map(|f| {
            format!(
                "{} as {},\n        ",
                typed(f, run_date),
                ident(&f.column.name)
            )
        })
        .collect()
}

/// The SQL expression of one own feature, from its text column.
fn typed(f: &OwnField, run_date: NaiveDate) -> String {
    let text = format!("nullif(trim({}), '')", ident(&f.column.name));
    match f.column.kind {
        OwnType::Numeric => {
            // `1,234.5` and `1234,5` are both numbers; what is not a number is missing.
            let v = format!("replace({text}, ' ', '')");
            let number = format!(
                "try_cast(case when strpos({v}, '.') > 0 then replace({v}, ',', '') else replace({v}, ',', '.') end as double)"
            );
            if f.column.bins.is_empty() {
                number
            } else {
                bands(&number, &f.column.bins)
            }
        }
        OwnType::Categorical => format!("coalesce({text}, 'unknown')"),
        OwnType::Multi => text,
        OwnType::Boolean => format!(
            "case when lower({text}) in ('yes', 'y', 'true', 't', '1', 'ja', 'j', 'oui', 'si', 'sí', 'да', 'có') then 'yes' \
             when lower({text}) in ('no', 'n', 'false', 'f', '0', 'nein', 'non', 'нет', 'không') then 'no' else 'unknown' end"
        ),
        OwnType::Date => {
            let parsed = match &f.date_format {
                Some(fmt) => format!("to_timestamp({text}, {})", literal(fmt)),
                None => format!("to_timestamp({text})"),
            };
            format!(
                "cast((to_unixtime(cast(DATE '{run_date}' as timestamp)) - to_unixtime({parsed})) / 86400 as double)"
            )
        }
    }
}

/// The band a number falls in, between ascending `edges`.
fn bands(number: &str, edges: &[f64]) -> String {
    let mut s = format!("case when {number} is null then 'unknown'");
    s.push_str(&format!(
        " when {number} < {} then '< {}'",
        edges[0], edges[0]
    ));
    for w in edges.windows(2) {
        s.push_str(&format!(
            " when {number} < {} then '{} to {}'",
            w[1], w[0], w[1]
        ));
    }
    let last = edges[edges.len() - 1];
    s.push_str(&format!(" else '>= {last}' end"));
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bands_name_their_edges() {
        let s = bands("x", &[0.0, 1000.0]);
        assert_eq!(
            s,
            "case when x is null then 'unknown' when x < 0 then '< 0' when x < 1000 then '0 to 1000' else '>= 1000' end"
        );
    }
}
