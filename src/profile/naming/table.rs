//! The bundled naming table (`src/profile/names.csv`, built into the binary): for a feature
//! column and a level (or `high`/`low` of a number), the first word of a persona's name in each
//! language, and whether the word suits a persona not to target. Parsed and checked once, on
//! first use; the config's `[profile] names` come before it (see [`super`]).

use std::collections::BTreeSet;
use std::sync::LazyLock;

/// The table as shipped.
pub(super) const BUNDLED: &str = include_str!("../names.csv");

/// The columns before the languages' words.
const KEY_COLUMNS: [&str; 3] = ["column", "level", "negative"];

/// The bundled table, parsed on first use.
static TABLE: LazyLock<Table> = LazyLock::new(|| match parse(BUNDLED) {
    Ok(table) => table,
    // The file is part of the source and `the_bundled_table_is_complete` checks it: a
    // broken one is a bug in the build, not something a run's data can cause.
    Err(e) => panic!("src/profile/names.csv is broken: {e}"),
});

/// One row: the word for `column` at `level`, in every language of the table.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// Feature column (`*` for a word of no column, e.g. `typical`).
    pub column: String,
    /// Level of a text column, or `high`/`low` for a numeric one.
    pub level: String,
    /// Whether the word suits a persona not to target.
    pub negative: bool,
    /// The word in each language, in the order of [`Table::codes`].
    pub words: Vec<String>,
}

/// The naming table.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// Language codes of the word columns (`en`, `de`, ...), as in the header.
    pub codes: Vec<String>,
    /// The rows, in file order; each (column, level) once.
    pub rows: Vec<Row>,
}

impl Table {
    /// The column of the words in language `code`; English (the first) for a code the table
    /// lacks (the config accepts only codes the bundled table has).
    pub fn language(&self, code: &str) -> usize {
        self.codes.iter().position(|c| c == code).unwrap_or(0)
    }

    /// The row of `column` at `level`, if any.
    pub fn find(&self, column: &str, level: &str) -> Option<&Row> {
        self.rows
            .iter()
            .find(|r| r.column == column && r.level == level)
    }
}

/// The bundled table.
pub fn bundled() -> &'static Table {
    &TABLE
}

/// Parse and check a naming table: a header `column,level,negative,<code>,...`, then one row
/// per (column, level), unique, `negative` `yes` or `no`, and a word in every language (one
/// form, or `masculine/feminine`). Lines starting with `#` are comments.
pub fn parse(text: &str) -> Result<Table, String> {
    let mut reader = csv::ReaderBuilder::new()
        .comment(Some(b'#'))
        .from_reader(text.as_bytes());
    let header = reader.headers().map_err(|e| e.to_string())?.clone();
    let fields: Vec<&str> = header.iter().collect();
    if fields.len() <= KEY_COLUMNS.len() || fields[..KEY_COLUMNS.len()] != KEY_COLUMNS {
        return Err(format!(
            "the header must be `column,level,negative` and then language codes, got `{}`",
            fields.join(",")
        ));
    }
    let codes: Vec<String> = fields[KEY_COLUMNS.len()..]
        .iter()
        .map(|c| c.to_string())
        .collect();
    let mut rows = Vec::new();
    let mut seen = BTreeSet::new();
    for record in reader.records() {
        let record = record.map_err(|e| e.to_string())?;
        let line = record.position().map_or(0, |p| p.line());
        let (column, level) = (&record[0], &record[1]);
        if column.is_empty() || level.is_empty() {
            return Err(format!("line {line}: a row needs a column and a level"));
        }
        if !seen.insert((column.to_string(), level.to_string())) {
            return Err(format!(
                "line {line}: `{column}` at `{level}` is there twice"
            ));
        }
        let negative = match &record[2] {
            "yes" => true,
            "no" => false,
            other => {
                return Err(format!(
                    "line {line}: negative must be `yes` or `no`, got `{other}`"
                ))
            }
        };
        let words: Vec<String> = record
            .iter()
            .skip(KEY_COLUMNS.len())
            .map(String::from)
            .collect();
        for (code, word) in codes.iter().zip(&words) {
            let forms: Vec<&str> = word.split('/').collect();
            if forms.len() > 2 || forms.iter().any(|f| f.trim().is_empty()) {
                return Err(format!(
                    "line {line}: the `{code}` word of `{column}` at `{level}` must be one \
                     word or `masculine/feminine`, got `{word}`"
                ));
            }
        }
        rows.push(Row {
            column: column.to_string(),
            level: level.to_string(),
            negative,
            words,
        });
    }
    Ok(Table { codes, rows })
}
