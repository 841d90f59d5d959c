//! Social audiences, aggregated rather than per contact: Meta page insights ([`meta`]: Graph API
//! JSON or Meta's long audience CSV) and LinkedIn company page follower statistics
//! ([`linkedin`]), each landed long (one row per breakdown value with its count), the files of a
//! source read whole.

pub mod linkedin;
pub mod meta;

use serde_json::Value;

use crate::error::{Error, Result};

/// A whole JSON document; `BadInput` naming `file` and where the JSON breaks otherwise.
fn parse_json(bytes: &[u8], file: &str) -> Result<Value> {
    serde_json::from_slice(bytes).map_err(|e| Error::BadInput {
        file: file.to_string(),
        reason: format!(
            "invalid JSON at line {}, column {}: {e}",
            e.line(),
            e.column()
        ),
    })
}

/// The list under `key` at the top of a `what` response document; `BadInput` naming `file`
/// otherwise.
fn top_level_list<'d>(doc: &'d Value, key: &str, what: &str, file: &str) -> Result<&'d [Value]> {
    doc.get(key)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .ok_or_else(|| Error::BadInput {
            file: file.to_string(),
            reason: format!("not {what} response: no top-level \"{key}\" list"),
        })
}
