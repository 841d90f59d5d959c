//! The library's error type: every failure names what failed and where (file, line, column, model).

use std::path::PathBuf;

/// Result with the library's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Exit code: the run is too small to trust and was asked to fail on it.
pub const EXIT_INSUFFICIENT_SAMPLE: u8 = 5;
/// Exit code: another run of the same pipeline holds the lock (EX_TEMPFAIL: retry later).
pub const EXIT_LOCKED: u8 = 75;
/// Exit code: nothing new to do (the date is published from the same inputs); Airflow's
/// `BashOperator` maps it to "skipped" by default (`skip_on_exit_code=99`).
pub const EXIT_NOTHING_TO_DO: u8 = 99;

/// Everything that can go wrong in a pipeline run.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The pipeline config is invalid; the message says which key and why.
    #[error("config error in {path}: {message}")]
    Config {
        /// Config file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// A source file could not be opened or listed.
    #[error("cannot read {path}: {source}")]
    Io {
        /// File or folder.
        path: PathBuf,
        /// Underlying error.
        source: std::io::Error,
    },
    /// No input file matched a source's path.
    #[error("source `{source_name}`: no file matches {pattern}")]
    NoInput {
        /// Source name from the config.
        source_name: String,
        /// Path or glob that matched nothing.
        pattern: String,
    },
    /// A required column is missing from an export's header.
    #[error("{file}: missing required column `{column}`; found columns: {found}")]
    MissingColumn {
        /// File whose header lacks the column.
        file: String,
        /// The missing column.
        column: String,
        /// Columns the header does have.
        found: String,
    },
    /// An input file's structure (not a single row) is unreadable.
    #[error("{file}: {reason}")]
    BadInput {
        /// Offending file.
        file: String,
        /// What is wrong.
        reason: String,
    },
    /// More rows were rejected than the configured ceiling allows.
    #[error("source `{source_name}`: {rejected} of {read} rows rejected ({pct:.2} %), above the ceiling of {ceiling_pct:.2} %; see {rejects}")]
    TooManyRejects {
        /// Source name.
        source_name: String,
        /// Rows rejected.
        rejected: u64,
        /// Rows read.
        read: u64,
        /// Rejected share in percent.
        pct: f64,
        /// Configured ceiling in percent.
        ceiling_pct: f64,
        /// Where the rejects were written.
        rejects: String,
    },
    /// The CRM's API could not be reached or refused the request (after retries).
    #[error("CRM push: {location}: {message}")]
    Crm {
        /// The endpoint, without credentials.
        location: String,
        /// What went wrong.
        message: String,
    },
    /// A store or HTTP endpoint could not be reached or refused the request (after retries).
    #[error("source `{source_name}`: cannot fetch {location}: {message}")]
    Unreachable {
        /// Source name from the config.
        source_name: String,
        /// URL (without credentials).
        location: String,
        /// What happened, with the HTTP status where there is one.
        message: String,
    },
    /// The Ballista cluster (`[engine] kind = "ballista"`) or its work folder could not be used:
    /// the scheduler unreachable, no executor, the store refusing a write; worth retrying (exit
    /// code 4), or this build lacks the `ballista` feature (exit code 2).
    #[error("Ballista engine: {message}")]
    Engine {
        /// What failed, with the address or URL concerned.
        message: String,
        /// Whether the config asks for what this build cannot do.
        unsupported: bool,
    },
    /// The copy of the outputs on an object store (`[publish] url`) or the work folder of a
    /// cluster run could not be written: the store refused a request after retries (exit code 4).
    #[error("cannot write to {location}: {message}")]
    Publish {
        /// The store folder's URL (without credentials).
        location: String,
        /// What failed.
        message: String,
    },
    /// A SQL model failed to plan or run.
    #[error("SQL model `{model}` ({file}): {source}")]
    Model {
        /// Model (table) name.
        model: String,
        /// The `.sql` file.
        file: PathBuf,
        /// DataFusion's error.
        source: Box<datafusion::error::DataFusionError>,
    },
    /// A model's output lacks a column the next stage needs.
    #[error("model `{model}` has no column `{column}` (needed by {needed_by})")]
    MissingModelColumn {
        /// Model name.
        model: String,
        /// Missing column.
        column: String,
        /// Which stage needs it.
        needed_by: String,
    },
    /// Clustering could not run on the data given.
    #[error("clustering: {0}")]
    Cluster(String),
    /// The personas could not be counted or described (an engine's aggregates that do not
    /// make a bucket's tally).
    #[error("profiling the personas: {0}")]
    Profile(String),
    /// The run was stopped by a signal (SIGTERM, SIGINT) before publishing; exit code 128 + the
    /// signal.
    #[error("stopped by signal {signal} before publishing; nothing was published")]
    Interrupted {
        /// The signal number.
        signal: i32,
    },
    /// A broken invariant of the tool itself (a bug, exit code 70), or the test hook that
    /// stands in for one.
    #[error("internal error: {0}")]
    Internal(String),
    /// DataFusion error outside a model.
    #[error(transparent)]
    DataFusion(#[from] datafusion::error::DataFusionError),
    /// Arrow error.
    #[error(transparent)]
    Arrow(#[from] datafusion::arrow::error::ArrowError),
    /// Parquet error.
    #[error(transparent)]
    Parquet(#[from] datafusion::parquet::errors::ParquetError),
    /// Object store error.
    #[error(transparent)]
    ObjectStore(#[from] object_store::Error),
    /// CSV writer or reader error outside a row.
    #[error(transparent)]
    Csv(#[from] csv::Error),
    /// JSON error outside a row.
    #[error(transparent)]
    Json(#[from] serde_json::Error),
    /// Another run of the pipeline holds the output folder's lock.
    #[error("another run of this pipeline is in progress ({holder}); lock file {lock}. Wait for it to finish; if no such process exists any more, delete the lock file")]
    LockHeld {
        /// The lock file.
        lock: PathBuf,
        /// Who holds it: process id, host and start time.
        holder: String,
    },
    /// The date is already published from the same inputs and config: nothing to do.
    #[error("nothing new to do for {run_date}: already published from the same inputs and config ({manifest}); use --force to run it again")]
    NothingToDo {
        /// The logical date.
        run_date: String,
        /// The published manifest that matched.
        manifest: PathBuf,
    },
    /// The run is too small to trust and the run was asked to fail rather than publish
    /// flagged personas.
    #[error("insufficient sample: {reason}; nothing was published")]
    InsufficientSample {
        /// Why, from the personas' flags.
        reason: String,
    },
    /// One date of a backfill failed; the dates before it were published.
    #[error("backfill stopped at {run_date} ({done} earlier dates done): {error}")]
    Backfill {
        /// The date that failed.
        run_date: String,
        /// Dates run or skipped (nothing new to do) before it.
        done: usize,
        /// Why it failed.
        error: Box<Error>,
    },
}

impl Error {
    /// Process exit code for this error (documented in the README): 2 config, 3 input data,
    /// 4 a store or endpoint unreachable (worth retrying later), 5 insufficient sample (when the
    /// run is asked to fail on it), 70 internal error, 75 another run holds the lock, 99
    /// nothing new to do (Airflow's default `skip_on_exit_code`). A failed backfill exits with
    /// the code of the date that failed.
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Backfill { error, .. } => error.exit_code(),
            Error::Interrupted { signal } => u8::try_from(128 + signal).unwrap_or(70),
            Error::InsufficientSample { .. } => EXIT_INSUFFICIENT_SAMPLE,
            Error::LockHeld { .. } => EXIT_LOCKED,
            Error::NothingToDo { .. } => EXIT_NOTHING_TO_DO,
            Error::Config { .. }
            | Error::Engine {
                unsupported: true, ..
            } => 2,
            Error::Io { .. }
            | Error::NoInput { .. }
            | Error::MissingColumn { .. }
            | Error::BadInput { .. }
            | Error::TooManyRejects { .. }
            | Error::MissingModelColumn { .. }
            | Error::Model { .. } => 3,
            Error::Unreachable { .. }
            | Error::Crm { .. }
            | Error::Engine { .. }
            | Error::Publish { .. } => 4,
            _ => 70,
        }
    }

    /// Wrap an I/O error with the path it concerns.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }
}

/// An error and its sources as one line, each cause once.
pub fn describe(err: &(dyn std::error::Error + 'static)) -> String {
    let mut message = err.to_string();
    let mut cause = err.source();
    while let Some(e) = cause {
        let text = e.to_string();
        if !message.contains(&text) {
            message.push_str(": ");
            message.push_str(&text);
        }
        cause = e.source();
    }
    message
}
