//! The parsers' fuzz harness (developer tooling, tests only): the GA4 NDJSON decoder and the CSV reader of every
//! preset are fed random bytes and mutated exports (truncated, bytes flipped, invalid UTF-8,
//! huge numbers, deep nesting, stray quotes and delimiters, lines doubled or cut) with proptest,
//! on stable Rust. Each input must be read without a panic, and account for every row: the rows
//! read are the rows accepted plus the rows rejected, each reject has its line and a reason,
//! the accepted rows are in the batches; or the whole file is refused with an error that names
//! it. The seeds are exports the generator writes (HubSpot, Mailchimp, GA4, Shopify) and, for
//! the Salesforce presets, a header of the preset's columns with rows of typed cells.
//!
//! `cargo test --lib fuzz` runs 256 inputs per parser. The long run (README, "Fuzzing"):
//! `PROPTEST_CASES=10000000 cargo test --release --lib fuzz`.

use std::sync::LazyLock;

use chrono::{DateTime, Utc};
use datafusion::arrow::array::RecordBatch;
use proptest::prelude::*;

use crate::error::{Error, Result};
use crate::landing::{Counts, Reject};
use crate::sources::csv::land::land_bytes;
use crate::sources::csv::orders::SHOPIFY_ORDERS;
use crate::sources::csv::salesforce::{
    SALESFORCE_ACCOUNTS, SALESFORCE_CONTACTS, SALESFORCE_LEADS,
    SALESFORCE_OPPORTUNITY_CONTACT_ROLES,
};
use crate::sources::csv::{Check, CsvPreset, CsvSpec, HUBSPOT_CONTACTS, MAILCHIMP_MEMBERS};
use crate::sources::ga4::events::decode_bytes;
use crate::tooling::generate::design::DesignOptions;
use crate::tooling::generate::{self, GenerateOptions};

/// Bytes that break parsers: invalid UTF-8, a byte-order mark, quotes, delimiters, line ends,
/// numbers out of range, JSON openers and deep nesting, a NUL, a long cell.
static TOKENS: LazyLock<Vec<Vec<u8>>> = LazyLock::new(|| {
    let mut t: Vec<Vec<u8>> = [
        &b"\xff"[..],
        b"\xc3",
        b"\xef\xbb\xbf",
        b"\"",
        b",",
        b";",
        b"\t",
        b"\n",
        b"\r\n",
        b"\r",
        b"\0",
        b"99999999999999999999999999999",
        b"-9223372036854775809",
        b"1e309",
        b"NaN",
        b"-0",
        b"{",
        b"}",
        b"[",
        b"]",
        b":",
        b"null",
        b"\"event_timestamp\":\"x\"",
        b"\"int_value\":1e400",
        b"\\u0000",
        b"\\ud800",
        b"2026-02-30",
        b"31/12/1969",
        b"a@b",
    ]
    .iter()
    .map(|b| b.to_vec())
    .collect();
    t.push("[".repeat(5000).into_bytes());
    t.push("{\"a\":".repeat(500).into_bytes());
    t.push(vec![b'a'; 70_000]);
    t
});

/// One change to an input.
#[derive(Debug, Clone)]
enum Mutation {
    /// Cut the input at a fraction of its length.
    Truncate(f64),
    /// Replace the byte at a fraction of the length.
    Flip(f64, u8),
    /// Insert one of [`TOKENS`] at a fraction of the length.
    Insert(f64, usize),
    /// Remove up to this many bytes at a fraction of the length.
    Delete(f64, usize),
    /// Repeat the line around a fraction of the length.
    DoubleLine(f64),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (0.0..1.0f64).prop_map(Mutation::Truncate),
        (0.0..1.0f64, any::<u8>()).prop_map(|(at, b)| Mutation::Flip(at, b)),
        (0.0..1.0f64, 0..TOKENS.len()).prop_map(|(at, t)| Mutation::Insert(at, t)),
        (0.0..1.0f64, 1..64usize).prop_map(|(at, n)| Mutation::Delete(at, n)),
        (0.0..1.0f64).prop_map(Mutation::DoubleLine),
    ]
}

fn apply(mut bytes: Vec<u8>, mutations: &[Mutation]) -> Vec<u8> {
    let at = |f: f64, len: usize| ((f * len as f64) as usize).min(len);
    for m in mutations {
        let len = bytes.len();
        match *m {
            Mutation::Truncate(f) => bytes.truncate(at(f, len)),
            Mutation::Flip(f, b) if len > 0 => bytes[at(f, len - 1)] = b,
            Mutation::Flip(..) => {}
            Mutation::Insert(f, t) => {
                let i = at(f, len);
                bytes.splice(i..i, TOKENS[t].iter().copied());
            }
            Mutation::Delete(f, n) => {
                let i = at(f, len);
                bytes.drain(i..(i + n).min(len));
            }
            Mutation::DoubleLine(f) => {
                let i = at(f, len);
                let start = bytes[..i]
                    .iter()
                    .rposition(|&c| c == b'\n')
                    .map_or(0, |p| p + 1);
                let end = bytes[i..]
                    .iter()
                    .position(|&c| c == b'\n')
                    .map_or(len, |p| i + p + 1);
                let line = bytes[start..end].to_vec();
                bytes.splice(end..end, line);
            }
        }
    }
    bytes
}

/// A seed mutated up to eight times, or (one input in eight) random bytes.
fn input(seeds: &'static [Vec<u8>]) -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        7 => (0..seeds.len(), prop::collection::vec(mutation(), 0..8))
            .prop_map(move |(s, m)| apply(seeds[s].clone(), &m)),
        1 => prop::collection::vec(any::<u8>(), 0..512),
    ]
}

/// The exports the generator writes for 40 contacts (the default design and `buying`, for
/// Shopify), each cut to its first 30 lines.
static GENERATED: LazyLock<Vec<(String, Vec<u8>)>> = LazyLock::new(|| {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut files = Vec::new();
    for design in [None, Some("buying")] {
        let out = dir.path().join(design.unwrap_or("default"));
        match design {
            None => generate::generate(
                &out,
                &GenerateOptions {
                    contacts: 40,
                    ..GenerateOptions::default()
                },
            ),
            Some(d) => generate::design::generate_design(
                &out,
                &DesignOptions {
                    design: d.into(),
                    contacts: 40,
                    ..DesignOptions::default()
                },
            ),
        }
        .expect("generated exports");
        for path in walk(&out) {
            let text = std::fs::read(&path).expect("generated file");
            let head: Vec<u8> = text
                .split_inclusive(|&c| c == b'\n')
                .take(30)
                .flatten()
                .copied()
                .collect();
            files.push((path.display().to_string(), head));
        }
    }
    files
});

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).expect("dir").flatten() {
        let p = entry.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out.sort();
    out
}

/// The generated files whose path contains `part`.
fn generated(part: &str) -> Vec<Vec<u8>> {
    let seeds: Vec<Vec<u8>> = GENERATED
        .iter()
        .filter(|(p, _)| p.contains(part))
        .map(|(_, b)| b.clone())
        .collect();
    assert!(!seeds.is_empty(), "the generator wrote no `{part}` file");
    seeds
}

/// A header of the preset's columns and rows of cells its checks accept, dates in each of its
/// formats in turn.
fn synthetic(preset: &CsvPreset) -> Vec<u8> {
    let mut text = preset.columns.join(",");
    for row in 0..6 {
        text.push('\n');
        let cells: Vec<String> = preset
            .columns
            .iter()
            .map(|c| {
                let check = preset
                    .checks
                    .iter()
                    .find(|(col, _)| col == c)
                    .map(|(_, k)| *k);
                cell(preset, check, row)
            })
            .collect();
        text.push_str(&cells.join(","));
    }
    text.push('\n');
    text.into_bytes()
}

fn cell(preset: &CsvPreset, check: Option<Check>, row: usize) -> String {
    let pick = |v: &[&str]| v[row % v.len()].to_string();
    let at = chrono::NaiveDate::from_ymd_opt(2026, 11, 20)
        .and_then(|d| d.and_hms_opt(10, 15, 0))
        .unwrap_or_default();
    let date = |formats: &[&str]| at.format(formats[row % formats.len()]).to_string();
    match check {
        Some(Check::DateTime | Check::RequiredDateTime) => date(preset.datetime_formats),
        Some(Check::Date) => date(preset.date_formats),
        Some(Check::Email) => pick(&["ann@example.com", "bo.b@x.io", ""]),
        Some(Check::Number) => pick(&["12.5", "3", "-0", ""]),
        Some(Check::RequiredNumber) => pick(&["12.5", "3"]),
        Some(Check::RequiredId | Check::RequiredText) => (101 + row).to_string(),
        Some(Check::SalesforceId) => pick(&["0035g00000AbCdE", "0035g00000AbCdEAAZ"]),
        Some(Check::SalesforceRef) => pick(&["0015g00000XyZab", ""]),
        Some(Check::Boolean) => pick(&["true", "0", "FALSE"]),
        Some(Check::EmployeeCount) => pick(&["1001-5000", "10001+", "12"]),
        Some(Check::OffsetDateTime) => pick(&["2026-10-07 09:50:26 +0200", "2026-10-07T09:50:26Z"]),
        Some(Check::Zip) => pick(&["10115", "SW1A 1AA", ""]),
        None => pick(&["Ann", "\"Smith, Jr\"", "Zoë", ""]),
    }
}

fn loaded_at() -> DateTime<Utc> {
    DateTime::from_timestamp(1_795_000_000, 0).unwrap_or_default()
}

/// Every row read is accepted or rejected with a line and a reason, the accepted ones are in
/// the batches; a file refused whole is refused with an error naming it.
fn accounts_for_every_row(
    result: Result<(Counts, Vec<Reject>, Vec<RecordBatch>)>,
) -> std::result::Result<(), TestCaseError> {
    let (counts, rejects, batches) = match result {
        Ok(parts) => parts,
        Err(Error::BadInput { file, reason }) => {
            prop_assert!(
                file.contains("fuzz"),
                "error names no file: {file}: {reason}"
            );
            prop_assert!(!reason.is_empty());
            return Ok(());
        }
        Err(e) => {
            let text = e.to_string();
            prop_assert!(text.contains("fuzz"), "error names no file: {text}");
            return Ok(());
        }
    };
    prop_assert_eq!(counts.read, counts.accepted + counts.rejected);
    prop_assert_eq!(counts.rejected, rejects.len() as u64);
    let landed: usize = batches.iter().map(RecordBatch::num_rows).sum();
    prop_assert_eq!(counts.accepted, landed as u64);
    for r in &rejects {
        prop_assert!(r.line >= 1, "reject without a line: {r:?}");
        prop_assert!(
            !r.reason.trim().is_empty(),
            "reject without a reason: {r:?}"
        );
    }
    Ok(())
}

/// The GA4 exports the decoder is fed, those with events.
static GA4_SEEDS: LazyLock<Vec<Vec<u8>>> = LazyLock::new(|| {
    // Days without an event are no seed: landing refuses an export without events.
    let mut seeds = generated("events_");
    seeds.retain(|s| !s.trim_ascii().is_empty());
    seeds
});

/// Each preset with the exports it is fed.
type PresetSeeds = Vec<(&'static CsvPreset, Vec<Vec<u8>>)>;

/// The CSV presets, each with its seeds.
static CSV_SEEDS: LazyLock<PresetSeeds> = LazyLock::new(|| {
    vec![
        (&HUBSPOT_CONTACTS, generated("hubspot-crm-exports")),
        (&MAILCHIMP_MEMBERS, generated("members_export")),
        (&SHOPIFY_ORDERS, generated("orders_export")),
        (&SALESFORCE_CONTACTS, vec![synthetic(&SALESFORCE_CONTACTS)]),
        (&SALESFORCE_LEADS, vec![synthetic(&SALESFORCE_LEADS)]),
        (&SALESFORCE_ACCOUNTS, vec![synthetic(&SALESFORCE_ACCOUNTS)]),
        (
            &SALESFORCE_OPPORTUNITY_CONTACT_ROLES,
            vec![synthetic(&SALESFORCE_OPPORTUNITY_CONTACT_ROLES)],
        ),
    ]
});

/// A preset and an input made from its seeds.
fn csv_input() -> impl Strategy<Value = (usize, Vec<u8>)> {
    (0..CSV_SEEDS.len()).prop_flat_map(|p| (Just(p), input(&CSV_SEEDS[p].1)))
}

proptest! {
    #[test]
    fn fuzz_ga4_events_every_line_is_landed_or_rejected(bytes in input(&GA4_SEEDS)) {
        accounts_for_every_row(decode_bytes(&bytes, loaded_at()))?;
    }

    #[test]
    fn fuzz_csv_every_row_is_landed_or_rejected((preset, bytes) in csv_input()) {
        let spec = CsvSpec::new(CSV_SEEDS[preset].0);
        accounts_for_every_row(land_bytes(&bytes, &spec, loaded_at()))?;
    }
}

/// The seeds themselves land whole: the mutations, not the seeds, are what is rejected.
#[test]
fn the_seeds_land_without_rejects() {
    let mut events = 0;
    for bytes in GA4_SEEDS.iter() {
        let (counts, rejects, _) = decode_bytes(bytes, loaded_at()).expect("a GA4 seed lands");
        assert!(rejects.is_empty(), "{rejects:?}");
        events += counts.accepted;
    }
    assert!(events > 0);
    for (preset, seeds) in CSV_SEEDS.iter() {
        for bytes in seeds {
            let (counts, rejects, _) =
                land_bytes(bytes, &CsvSpec::new(preset), loaded_at()).expect("a seed lands");
            assert!(rejects.is_empty(), "{}: {rejects:?}", preset.name);
            assert!(counts.accepted > 0, "{}", preset.name);
        }
    }
}
