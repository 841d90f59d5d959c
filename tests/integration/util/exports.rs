//! The CSV exports the tests write by hand: a writer with the tools' delimiters and quoting, a
//! header lookup, and the columns Typeform adds to every export.

use std::path::Path;

/// Typeform's own columns, written after the questions and the hidden fields.
#[rustfmt::skip]
pub const TYPEFORM_OWN: [&str; 6] = [
    "Response Type", "Start Date (UTC)", "Stage Date (UTC)",
    "Submit Date (UTC)", "Network ID", "Tags",
];

/// Write `rows` as a CSV file at `path` (its folder made), separated by `delimiter`, every field
/// quoted when `quote_all` or only where needed; returns the text written.
pub fn write_csv(path: &Path, rows: &[Vec<String>], delimiter: u8, quote_all: bool) -> String {
    let mut w = csv::WriterBuilder::new()
        .delimiter(delimiter)
        .quote_style(if quote_all {
            csv::QuoteStyle::Always
        } else {
            csv::QuoteStyle::Necessary
        })
        .from_writer(vec![]);
    for r in rows {
        w.write_record(r).unwrap();
    }
    let text = String::from_utf8(w.into_inner().unwrap()).unwrap();
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, &text).unwrap();
    text
}

/// The position of column `name` in the header of `r`; fails the test when it has none.
pub fn column_at<R: std::io::Read>(r: &mut csv::Reader<R>, name: &str) -> usize {
    let header = r.headers().unwrap();
    header
        .iter()
        .position(|h| h == name)
        .unwrap_or_else(|| panic!("no column {name} in {header:?}"))
}
