//! The driver's side of a Ballista run: the session whose plans the scheduler runs, and the
//! run's folder of the work folder (`<work_dir>/<pipeline name>/<run date>/`), holding the
//! landed inputs (`landed/<source>/`), the empty raw tables of the kinds the pipeline does not
//! read (`empty/<table>/`), the materialised models (`models/<model>/`) and the previous
//! published run's members (`previous/persona_members/`), all Parquet.

use std::collections::HashSet;
use std::path::Path;
use std::sync::Arc;

use ballista::prelude::SessionContextExt;
use ballista_core::extension::SessionConfigExt;
use ballista_core::object_store::session_config_with_s3_support;
use chrono::NaiveDate;
use datafusion::arrow::array::{Array, UInt64Array};
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::dataframe::{DataFrame, DataFrameWriteOptions};
use datafusion::execution::object_store::ObjectStoreUrl;
use datafusion::parquet::arrow::ArrowWriter;
use datafusion::prelude::{ParquetReadOptions, SessionContext};
use object_store::path::Path as ObjectPath;
use tracing::info;

use crate::config::EngineConfig;
use crate::error::{Error, Result};
use crate::output::mirror::StoreFolder;

/// The scheduler's port when `[engine] url` names none (Ballista's default).
const DEFAULT_SCHEDULER_PORT: u16 = 50050;
/// How long connecting to the scheduler may take.
const CONNECT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// A connection to a Ballista cluster for one run date.
pub struct Cluster {
    ctx: SessionContext,
    /// The run's folder of the work folder: `<work_dir>/<pipeline name>/<run date>`.
    folder: StoreFolder,
}

impl std::fmt::Debug for Cluster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Cluster({})", self.folder.url)
    }
}

impl Cluster {
    /// A session on the scheduler at `engine.url`, reaching the store with `engine.store`'s
    /// settings, and the run's folder of `engine.work_dir` for `date`, emptied (a rerun of the
    /// date must not read the files of an earlier one).
    ///
    /// # Errors
    /// [`Error::Engine`] when the scheduler cannot be reached or opens no session, or the work
    /// folder's store cannot be opened; [`Error::Publish`] when the work folder cannot be
    /// listed or emptied.
    pub async fn connect(
        engine: &EngineConfig,
        pipeline: &str,
        date: NaiveDate,
    ) -> Result<Cluster> {
        let url = engine.url.as_deref().unwrap_or_default();
        let work = engine.work_dir.as_deref().unwrap_or_default();
        // Ballista 55's adaptive planner re-plans one of our models without end (tens of
        // thousands of stages, job never done): the static distributed planner runs them all.
        let mut config =
            session_config_with_s3_support().with_ballista_adaptive_query_planner(false);
        let store = &engine.store;
        let settings = [
            ("s3.endpoint", store.endpoint.clone()),
            ("s3.region", store.region.clone()),
            (
                "s3.allow_http",
                store.allow_http.then(|| "true".to_string()),
            ),
        ];
        for (key, value) in settings {
            if let Some(value) = value {
                config.options_mut().set(key, &value)?;
            }
        }
        reachable(url).await?;
        let state = super::stores::session_state(config)?;
        let ctx = SessionContext::remote_with_state(url, state)
            .await
            .map_err(|e| {
                engine_error(&format!("cannot open a session on the scheduler {url}"), e)
            })?;
        let folder = (engine.work_folder())
            .ok_or_else(|| engine_error("no work folder", format!("`{work}`: see [engine]")))?;
        let (root, prefix) = (folder.root, folder.prefix);
        let store = ObjectStoreUrl::parse(&root)
            .and_then(|u| ctx.runtime_env().object_store(u))
            .map_err(|e| engine_error(&format!("cannot reach the work folder {work}"), e))?;
        let prefix = match prefix {
            "" => format!("{pipeline}/{date}"),
            p => format!("{p}/{pipeline}/{date}"),
        };
        let folder = StoreFolder {
            store,
            url: format!("{root}/{prefix}"),
            prefix: ObjectPath::from(prefix),
        };
        let emptied = folder.delete_except("", &HashSet::new()).await?;
        if emptied > 0 {
            info!(objects = emptied, folder = %folder.url, "Emptied the run's work folder.");
        }
        info!(scheduler = %url, folder = %folder.url, "Running the models on the cluster.");
        Ok(Cluster { ctx, folder })
    }

    /// The session whose plans run on the cluster.
    pub fn ctx(&self) -> &SessionContext {
        &self.ctx
    }

    /// The URL of the folder `rel` of the run's folder, with a trailing `/`.
    fn url(&self, rel: &str) -> String {
        format!("{}/{rel}/", self.folder.url)
    }

    /// Copy every file under the local folder `local` to the folder `landed/<name>/` of the
    /// run's folder (streamed, in parts); returns that folder's URL.
    ///
    /// # Errors
    /// [`Error::Io`] for a local file that cannot be read, [`Error::Publish`] for an upload the
    /// store refuses.
    pub async fn land(&self, local: &Path, name: &str) -> Result<String> {
        self.copy_in(local, &format!("landed/{name}")).await
    }

    /// Copy every file under the local folder `local` to the folder `rel` of the run's folder
    /// (streamed, in parts); returns that folder's URL.
    ///
    /// # Errors
    /// As [`Cluster::land`].
    pub async fn copy_in(&self, local: &Path, rel: &str) -> Result<String> {
        let (_, bytes) = self.folder.upload(local, rel).await?;
        info!(
            folder = rel,
            mb = bytes / 1_000_000,
            "Copied to the work folder."
        );
        Ok(self.url(rel))
    }

    /// An empty Parquet file of `schema` in the folder `empty/<table>/`; returns its URL (an
    /// empty raw table the executors can read).
    ///
    /// # Errors
    /// [`Error::Publish`] when the store refuses the file.
    pub async fn empty_table(&self, table: &str, schema: SchemaRef) -> Result<String> {
        let rel = format!("empty/{table}");
        self.put_empty(&rel, schema).await?;
        Ok(self.url(&rel))
    }

    /// Write an empty Parquet file of `schema` as `<rel>/part-0.parquet`.
    async fn put_empty(&self, rel: &str, schema: SchemaRef) -> Result<()> {
        // `into_inner` writes the footer
        let bytes = ArrowWriter::try_new(Vec::new(), schema, None)?.into_inner()?;
        let key = self.folder.key(&format!("{rel}/part-0.parquet"));
        self.folder.put(&key, bytes).await
    }

    /// Run `df` on the cluster, its rows written by the executors as Parquet to the folder
    /// `models/<name>/`, and register that folder as the table `name` (with the schema the
    /// model was planned with); returns the rows written.
    ///
    /// # Errors
    /// DataFusion's error when the model fails on the cluster; [`Error::Publish`] when an empty
    /// model's file cannot be written.
    pub async fn materialise(&self, name: &str, df: DataFrame) -> Result<usize> {
        let schema: SchemaRef = Arc::new(df.schema().as_arrow().clone());
        let rel = format!("models/{name}");
        let url = self.url(&rel);
        let written = df
            .write_parquet(&url, DataFrameWriteOptions::new(), None)
            .await?;
        let rows: u64 = written
            .iter()
            .filter_map(|b| b.column(0).as_any().downcast_ref::<UInt64Array>())
            .flat_map(|counts| counts.iter().flatten())
            .sum();
        if rows == 0 {
            // no partition wrote a file: the table still needs one to be read
            self.put_empty(&rel, schema.clone()).await?;
        }
        let options = ParquetReadOptions::default().schema(&schema);
        self.ctx.register_parquet(name, &url, options).await?;
        Ok(rows as usize)
    }
}

/// Fail early, and as an engine error (worth retrying), when nothing listens at the scheduler's
/// address; Ballista itself would fail only at the first model, as that model's error.
async fn reachable(url: &str) -> Result<()> {
    let address = url
        .trim_start_matches("df://")
        .trim_start_matches("http://")
        .trim_end_matches('/');
    let address = match address.rsplit_once(':') {
        Some(_) => address.to_string(),
        None => format!("{address}:{DEFAULT_SCHEDULER_PORT}"),
    };
    let attempt = tokio::net::TcpStream::connect(&address);
    let outcome = tokio::time::timeout(CONNECT_TIMEOUT, attempt).await;
    let why = match outcome {
        Ok(Ok(_)) => return Ok(()),
        Ok(Err(e)) => e.to_string(),
        Err(_) => format!("no answer within {} s", CONNECT_TIMEOUT.as_secs()),
    };
    Err(engine_error(
        &format!("cannot reach the scheduler at {url} ({address})"),
        why,
    ))
}

/// An [`Error::Engine`] of the cluster: `what` failed because of `e`.
fn engine_error(what: &str, e: impl std::fmt::Display) -> Error {
    Error::Engine {
        message: format!("{what}: {e}"),
        unsupported: false,
    }
}
