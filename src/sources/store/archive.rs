//! Zip archives of CSV exports: Mailchimp delivers an audience export as a zip of
//! `subscribed_members_export_<id>.csv`, `unsubscribed_…` and `cleaned_…`, and HubSpot zips
//! large exports. A CSV source whose file ends in `.zip` is read member by member, in memory
//! (as a plain CSV file is), each member named `archive.zip!/member.csv` in the landed
//! `_source_file`, in rejects and in messages. Folders, macOS metadata (`__MACOSX/`, `._*`) and
//! members that are not CSV are skipped with a log line naming them.

use std::io::{Read, Seek};
use std::path::{Path, PathBuf};

use tracing::info;

use crate::error::{Error, Result};
use crate::output::checksums::ReadHashes;
use crate::sources::file_label;

/// One CSV to read: a plain file, or a member of a zip.
#[derive(Debug, Clone)]
pub struct CsvInput {
    /// Name in landed rows and rejects: `contacts.csv`, or `archive.zip!/member.csv`.
    pub label: String,
    /// Name in messages and logs: the path, or `path/to/archive.zip!/member.csv`.
    pub shown: String,
    /// The whole file.
    pub bytes: Vec<u8>,
}

/// Whether a path names a zip archive (by its extension).
pub fn is_zip(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("zip"))
}

/// The CSVs to read for a list of files: a plain file as is, a zip as its CSV members in the
/// archive's order.
/// The CSV inputs of `files`: each file, or each CSV member of a zip archive; the checksum of
/// each plain file is recorded in `hashes` (an archive is checksummed apart).
pub fn csv_inputs(files: &[PathBuf], hashes: &ReadHashes) -> Result<Vec<CsvInput>> {
    let mut out = Vec::new();
    for path in files {
        if is_zip(path) {
            let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
            out.extend(members(file, path, None)?);
        } else {
            let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
            hashes.record_bytes(path, &bytes);
            out.push(CsvInput {
                label: file_label(path),
                shown: path.display().to_string(),
                bytes,
            });
        }
    }
    Ok(out)
}

/// Whether a zip member is a CSV export to read.
fn is_csv_member(name: &str) -> bool {
    let base = name.rsplit('/').next().unwrap_or(name);
    !name.starts_with("__MACOSX/")
        && !base.starts_with("._")
        && base.to_ascii_lowercase().ends_with(".csv")
}

/// The CSV members of a zip read from `reader` (the archive at `path`), each decompressed whole
/// or, with a `limit`, only its first `limit` bytes (`personas validate` checks headers only).
pub fn members<R: Read + Seek>(
    reader: R,
    path: &Path,
    limit: Option<u64>,
) -> Result<Vec<CsvInput>> {
    let shown = path.display().to_string();
    let bad = |file: &str, reason: String| Error::BadInput {
        file: file.to_string(),
        reason,
    };
    let mut archive = zip::ZipArchive::new(reader)
        .map_err(|e| bad(&shown, format!("not a readable zip archive: {e}")))?;
    let mut out = Vec::new();
    let mut skipped = Vec::new();
    for i in 0..archive.len() {
        let mut member = archive
            .by_index(i)
            .map_err(|e| bad(&shown, format!("member {}: {e}", i + 1)))?;
        let name = member
            .name()
            .map_err(|e| bad(&shown, format!("member {}: {e}", i + 1)))?
            .to_string();
        if member.is_dir() {
            continue;
        }
        if !is_csv_member(&name) {
            skipped.push(name);
            continue;
        }
        let member_shown = format!("{shown}!/{name}");
        let mut bytes = Vec::new();
        let size = limit.map_or(member.size(), |n| n.min(member.size()));
        bytes.reserve(usize::try_from(size).unwrap_or(0).min(1 << 30));
        let read = match limit {
            Some(n) => (&mut member).take(n).read_to_end(&mut bytes),
            None => member.read_to_end(&mut bytes),
        };
        read.map_err(|e| bad(&member_shown, format!("cannot decompress: {e}")))?;
        out.push(CsvInput {
            label: format!("{}!/{name}", file_label(path)),
            shown: member_shown,
            bytes,
        });
    }
    if !skipped.is_empty() {
        info!(archive = %shown, skipped = %skipped.join(", "), "Skipping zip members that are not CSV exports.");
    }
    if out.is_empty() {
        return Err(bad(
            &shown,
            format!(
                "the zip archive holds no CSV file{}",
                if skipped.is_empty() {
                    String::new()
                } else {
                    format!(" (found: {})", skipped.join(", "))
                }
            ),
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_members_only() {
        assert!(is_csv_member("subscribed_members_export_1a2b.csv"));
        assert!(is_csv_member("export/cleaned_members_export_1a2b.CSV"));
        assert!(!is_csv_member(
            "__MACOSX/._subscribed_members_export_1a2b.csv"
        ));
        assert!(!is_csv_member("export/._cleaned.csv"));
        assert!(!is_csv_member("README.txt"));
    }
}
