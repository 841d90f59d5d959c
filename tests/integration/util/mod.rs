//! Shared helpers for the integration tests: generated exports, a pipeline config over them,
//! readers for the outputs, and fetches from a store into a fresh folder.

pub mod exports;
pub mod hubspot;
pub mod marts;
pub mod servers;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use datafusion::arrow::array::{Array, AsArray, RecordBatch};
use datafusion::arrow::datatypes::DataType;
use datafusion::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use datafusion::prelude::{ParquetReadOptions, SessionContext};
use personas::config::{Pipeline, SourceKind, StoreConfig};
use personas::pipeline::{self, RunOptions, RunReport};
use personas::sources::store::{fetch, Fetched};
use personas::tooling::generate::{generate, GenerateOptions};

/// The run date every test uses.
pub fn run_date() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 20).unwrap()
}

/// The crate's SQL models folder.
pub fn sql_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("sql")
}

/// Runs `work` to its end on a fresh multi-threaded runtime.
pub fn block_on<F: std::future::Future>(work: F) -> F::Output {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(work)
}

/// Load the config at `config` and run the pipeline with these options.
pub fn run_config(config: &Path, opts: &RunOptions) -> personas::Result<RunReport> {
    let pipeline = Pipeline::load(config)?;
    block_on(pipeline::run(&pipeline, opts))
}

/// Register the landed Parquet folder `dir` as `kind`'s raw table, as a run does: with the
/// source's name (here the kind's) in the `_source` column.
pub async fn register_landed(ctx: &SessionContext, kind: SourceKind, dir: &Path) {
    let df = ctx
        .read_parquet(format!("{}/", dir.display()), ParquetReadOptions::default())
        .await
        .unwrap()
        .with_column(
            personas::transform::SOURCE,
            datafusion::prelude::lit(kind.to_string()),
        )
        .unwrap();
    ctx.register_table(kind.raw_table(), df.into_view())
        .unwrap();
}

/// Run the crate's SQL models over the raw tables registered in `ctx`, for the test date.
pub async fn run_models(ctx: &SessionContext) {
    let models = personas::transform::discover(&sql_dir()).unwrap();
    let mut templates = personas::transform::Templates::new(run_date(), &Default::default());
    personas::transform::run(
        ctx,
        &models,
        &mut templates,
        &[],
        personas::transform::Materialise::Memory,
    )
    .await
    .unwrap();
}

/// Generated exports plus a pipeline config over them, in a temp folder.
pub struct Fixture {
    /// Keeps the folder alive.
    pub dir: tempfile::TempDir,
    /// The config file.
    pub config: PathBuf,
}

impl Fixture {
    /// Generate exports with `opts` and write a config over them.
    pub fn generated(opts: &GenerateOptions) -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        generate(&dir.path().join("data"), opts).unwrap();
        let config = dir.path().join("pipeline.toml");
        std::fs::write(
            &config,
            personas::tooling::generate::pipeline_config("test", "data", "out", &sql_dir()),
        )
        .unwrap();
        Fixture { dir, config }
    }

    /// The sample exports of `contacts` contacts with `events_per_contact` web events each, the
    /// generator's defaults otherwise.
    pub fn sample(contacts: usize, events_per_contact: f64) -> Fixture {
        Fixture::generated(&GenerateOptions {
            contacts,
            events_per_contact,
            ..Default::default()
        })
    }

    /// Rewrite the config file with `edit`.
    pub fn edit_config(&self, edit: impl FnOnce(String) -> String) {
        let config = std::fs::read_to_string(&self.config).unwrap();
        std::fs::write(&self.config, edit(config)).unwrap();
    }

    /// Path under the fixture folder.
    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    /// The Parquet file `table` landed in the test date's run.
    pub fn landed(&self, table: &str) -> PathBuf {
        self.path(&format!(
            "out/landing/{table}/run_date=2026-11-20/part-0.parquet"
        ))
    }

    /// The generated HubSpot export.
    pub fn crm_export(&self) -> PathBuf {
        std::fs::read_dir(self.path("data"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| {
                p.file_name()
                    .unwrap()
                    .to_string_lossy()
                    .starts_with("hubspot-crm-exports")
            })
            .unwrap()
    }

    /// Run the pipeline for the test date.
    pub fn run(&self) -> personas::Result<RunReport> {
        self.run_with(&RunOptions::new(run_date()))
    }

    /// Run the pipeline with these options.
    pub fn run_with(&self, opts: &RunOptions) -> personas::Result<RunReport> {
        run_config(&self.config, opts)
    }

    /// Run the pipeline for the test date, when it must fail: with exit code `code` and a
    /// message naming each of `named`.
    pub fn run_error(&self, code: u8, named: &[&str]) -> personas::Error {
        let err = self.run().unwrap_err();
        assert_eq!(err.exit_code(), code, "{err}");
        let msg = err.to_string();
        for n in named {
            assert!(msg.contains(n), "{n:?} not in: {msg}");
        }
        err
    }

    /// Planted persona of each contact id, from truth.csv.
    pub fn truth(&self) -> HashMap<String, String> {
        let mut r = csv::Reader::from_path(self.path("data/truth.csv")).unwrap();
        r.records()
            .map(|rec| {
                let rec = rec.unwrap();
                (rec[0].to_string(), rec[2].to_string())
            })
            .collect()
    }
}

/// The rows the run's `crm` source accepted and rejected.
pub fn crm_counts(report: &RunReport) -> (u64, u64) {
    let crm = report.sources.iter().find(|s| s.name == "crm").unwrap();
    (crm.counts.accepted, crm.counts.rejected)
}

/// The names of the entries of `dir`, sorted.
pub fn file_names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// The file, the missing column and the columns found of a [`MissingColumn`] error; fails the
/// test on any other error.
///
/// [`MissingColumn`]: personas::Error::MissingColumn
pub fn missing_column(err: &personas::Error) -> (&str, &str, &str) {
    match err {
        personas::Error::MissingColumn {
            file,
            column,
            found,
        } => (file, column, found),
        other => panic!("expected a missing column, got {other}"),
    }
}

/// The file of a [`MissingColumn`] error, once it is checked to name `column` and, among the
/// columns found, each of `found`.
///
/// [`MissingColumn`]: personas::Error::MissingColumn
pub fn missing_column_of<'e>(err: &'e personas::Error, column: &str, found: &[&str]) -> &'e str {
    let (file, missing, in_file) = missing_column(err);
    assert_eq!(missing, column);
    for f in found {
        assert!(in_file.contains(f), "{err}");
    }
    file
}

/// [`fetch`] `pattern` (read by source `source` with `store`) into a fresh temp folder;
/// returns the folder (kept while the files are read) and the files fetched.
pub async fn fetched(
    source: &str,
    pattern: &str,
    store: &StoreConfig,
) -> (tempfile::TempDir, Vec<Fetched>) {
    let dest = tempfile::tempdir().unwrap();
    let got = fetch(source, pattern, store, dest.path()).await.unwrap();
    (dest, got)
}

/// [`fetch`] `pattern` as [`fetched`] does, when it must fail: the folder and the error.
pub async fn fetch_error(
    source: &str,
    pattern: &str,
    store: &StoreConfig,
) -> (tempfile::TempDir, personas::Error) {
    let dest = tempfile::tempdir().unwrap();
    let err = fetch(source, pattern, store, dest.path())
        .await
        .unwrap_err();
    (dest, err)
}

/// Read every batch of a Parquet file.
pub fn read_parquet(path: &Path) -> Vec<RecordBatch> {
    let file = std::fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    ParquetRecordBatchReaderBuilder::try_new(file)
        .unwrap()
        .build()
        .unwrap()
        .map(|b| b.unwrap())
        .collect()
}

/// A string column of a landed or output Parquet file (any string type, read as text).
pub fn strings(path: &Path, column: &str) -> Vec<Option<String>> {
    read_parquet(path)
        .iter()
        .flat_map(|b| {
            let a = b
                .column_by_name(column)
                .unwrap_or_else(|| panic!("no column {column} in {}", path.display()));
            let a = datafusion::arrow::compute::cast(a, &DataType::Utf8).unwrap();
            let a = a.as_string::<i32>().clone();
            (0..a.len())
                .map(|i| a.is_valid(i).then(|| a.value(i).to_string()))
                .collect::<Vec<_>>()
        })
        .collect()
}

/// Total rows of a Parquet file.
pub fn parquet_rows(path: &Path) -> usize {
    read_parquet(path).iter().map(|b| b.num_rows()).sum()
}

/// Labels as small integers, for the adjusted Rand index.
pub fn encode(values: &[String]) -> Vec<usize> {
    let mut ids: HashMap<&str, usize> = HashMap::new();
    values
        .iter()
        .map(|v| {
            let n = ids.len();
            *ids.entry(v.as_str()).or_insert(n)
        })
        .collect()
}

/// Planted persona x found persona counts, for failure messages.
pub fn crosstab(planted: &[String], found: &[usize]) -> String {
    let mut counts: std::collections::BTreeMap<(&str, usize), usize> = Default::default();
    for (p, f) in planted.iter().zip(found) {
        *counts.entry((p.as_str(), *f)).or_default() += 1;
    }
    counts
        .iter()
        .map(|((p, f), n)| format!("{p:>28} -> persona_{} : {n}\n", f + 1))
        .collect()
}

/// Every file under `dir`, recursively.
pub fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}

/// Rewrite the `user_id`s of the fixture's GA4 events (HubSpot record ids) with `f`.
pub fn rewrite_user_ids(fx: &Fixture, f: impl Fn(&str) -> String) {
    const KEY: &str = "\"user_id\":\"";
    for entry in std::fs::read_dir(fx.path("data/ga4")).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        let mut out = String::with_capacity(text.len() + text.len() / 10);
        let mut rest = text.as_str();
        while let Some(at) = rest.find(KEY) {
            let (before, after) = rest.split_at(at + KEY.len());
            let end = after.find('"').unwrap();
            out.push_str(before);
            out.push_str(&f(&after[..end]));
            rest = &after[end..];
        }
        out.push_str(rest);
        std::fs::write(&path, out).unwrap();
    }
}

/// A CSV file's column `name`, as a set.
pub fn csv_column(path: &Path, name: &str) -> std::collections::BTreeSet<String> {
    let mut r = csv::Reader::from_path(path).unwrap();
    let at = exports::column_at(&mut r, name);
    r.records()
        .map(|rec| rec.unwrap()[at].to_string())
        .collect()
}

/// A column of the test date's `contact_features` under `dir` (a fixture's folder), as text,
/// by contact id.
pub fn feature_column(dir: &Path, name: &str) -> HashMap<String, Option<String>> {
    let path = dir.join(format!(
        "out/contact_features/run_date={}/part-0.parquet",
        run_date()
    ));
    let ids = strings(&path, "contact_id");
    let values = strings(&path, name);
    (ids.into_iter().zip(values))
        .map(|(id, v)| (id.unwrap(), v))
        .collect()
}
