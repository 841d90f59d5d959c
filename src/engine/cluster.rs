//! The driver's side of a Ballista run: the session whose plans the scheduler runs, and the
//! run's folder of the work folder (`<work_dir>/<run date>/`), holding the landed inputs
//! (`landed/<source>/`), the empty raw tables of the kinds the pipeline does not read
//! (`empty/<table>/`) and the materialised models (`models/<model>/`), all Parquet.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use ballista::prelude::SessionContextExt;
use ballista_core::object_store::{session_config_with_s3_support, session_state_with_s3_support};
use chrono::NaiveDate;
use datafusion::arrow::array::{Array, UInt64Array};
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::dataframe::{DataFrame, DataFrameWriteOptions};
use datafusion::execution::object_store::ObjectStoreUrl;
use datafusion::parquet::arrow::ArrowWriter;
use datafusion::prelude::{ParquetReadOptions, SessionContext};
use futures::{StreamExt, TryStreamExt};
use object_store::buffered::BufWriter;
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};
use tokio::io::AsyncWriteExt;
use tracing::info;

use crate::config::EngineConfig;
use crate::error::{Error, Result};

/// The scheduler's port when `[engine] url` names none (Ballista's default).
const DEFAULT_SCHEDULER_PORT: u16 = 50050;
/// How long connecting to the scheduler may take.
const CONNECT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);
/// Bytes buffered before each part of a multipart upload.
const UPLOAD_PART: usize = 16 << 20;

/// A connection to a Ballista cluster for one run date.
pub struct Cluster {
    ctx: SessionContext,
    store: Arc<dyn ObjectStore>,
    /// `s3://bucket`.
    root: String,
    /// The run's folder in the bucket: `<prefix>/<run date>`.
    folder: ObjectPath,
}

impl std::fmt::Debug for Cluster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Cluster({}/{})", self.root, self.folder)
    }
}

impl Cluster {
    /// A session on the scheduler at `engine.url`, reaching the store with `engine.store`'s
    /// settings, and the run's folder of `engine.work_dir` for `date`, emptied (a rerun of the
    /// date must not read the files of an earlier one).
    ///
    /// # Errors
    /// [`Error::Engine`] when the work folder cannot be listed or emptied; DataFusion's error
    /// for a scheduler URL it cannot read.
    pub async fn connect(engine: &EngineConfig, date: NaiveDate) -> Result<Cluster> {
        let url = engine.url.as_deref().unwrap_or_default();
        let work = engine.work_dir.as_deref().unwrap_or_default();
        let mut config = session_config_with_s3_support();
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
        let state = session_state_with_s3_support(config)?;
        let ctx = SessionContext::remote_with_state(url, state).await?;
        let rest = work.trim_start_matches("s3://").trim_end_matches('/');
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        let root = format!("s3://{bucket}");
        let store = ctx
            .runtime_env()
            .object_store(ObjectStoreUrl::parse(&root)?)?;
        let folder = ObjectPath::from(match prefix {
            "" => date.to_string(),
            p => format!("{p}/{date}"),
        });
        let cluster = Cluster {
            ctx,
            store,
            root,
            folder,
        };
        cluster.empty_folder().await?;
        info!(scheduler = %url, folder = %cluster.url(""), "Running the models on the cluster.");
        Ok(cluster)
    }

    /// The session whose plans run on the cluster.
    pub fn ctx(&self) -> &SessionContext {
        &self.ctx
    }

    /// The URL of the folder `rel` of the run's folder, with a trailing `/`.
    fn url(&self, rel: &str) -> String {
        match rel {
            "" => format!("{}/{}/", self.root, self.folder),
            r => format!("{}/{}/{r}/", self.root, self.folder),
        }
    }

    /// The store path of `rel` in the run's folder.
    fn path(&self, rel: &str) -> ObjectPath {
        ObjectPath::from(format!("{}/{rel}", self.folder))
    }

    /// An engine error about the work folder.
    fn failed(&self, what: &str, e: impl std::fmt::Display) -> Error {
        Error::Engine {
            message: format!("cannot {what} in the work folder {}: {e}", self.url("")),
            unsupported: false,
        }
    }

    /// Delete every object under the run's folder.
    async fn empty_folder(&self) -> Result<()> {
        let old = self
            .store
            .list(Some(&self.folder))
            .map_ok(|meta| meta.location)
            .boxed();
        let deleted: Vec<ObjectPath> = self
            .store
            .delete_stream(old)
            .try_collect()
            .await
            .map_err(|e| self.failed("empty the run's folder", e))?;
        if !deleted.is_empty() {
            info!(objects = deleted.len(), folder = %self.url(""), "Emptied the run's work folder.");
        }
        Ok(())
    }

    /// Copy every file under the local folder `local` to the folder `landed/<name>/` of the
    /// run's folder (streamed, in parts); returns that folder's URL.
    ///
    /// # Errors
    /// [`Error::Io`] for a local file that cannot be read, [`Error::Engine`] for an upload the
    /// store refuses.
    pub async fn land(&self, local: &Path, name: &str) -> Result<String> {
        let rel = format!("landed/{name}");
        let mut bytes = 0u64;
        for file in files_under(local)? {
            let key = file.strip_prefix(local).unwrap_or(&file);
            let key = key.to_string_lossy().replace('\\', "/");
            let target = self.path(&format!("{rel}/{key}"));
            let mut reader = tokio::fs::File::open(&file)
                .await
                .map_err(|e| Error::io(&file, e))?;
            let mut writer = BufWriter::with_capacity(self.store.clone(), target, UPLOAD_PART);
            let copied = tokio::io::copy(&mut reader, &mut writer).await;
            let copied = match copied {
                Ok(n) => writer.shutdown().await.map(|()| n),
                Err(e) => Err(e),
            };
            bytes += copied.map_err(|e| self.failed(&format!("copy {}", file.display()), e))?;
        }
        info!(
            source = name,
            mb = bytes / 1_000_000,
            "Copied the landed source to the work folder."
        );
        Ok(self.url(&rel))
    }

    /// An empty Parquet file of `schema` in the folder `empty/<table>/`; returns its URL (an
    /// empty raw table the executors can read).
    ///
    /// # Errors
    /// [`Error::Engine`] when the store refuses the file.
    pub async fn empty_table(&self, table: &str, schema: SchemaRef) -> Result<String> {
        let rel = format!("empty/{table}");
        self.put_empty(&rel, schema).await?;
        Ok(self.url(&rel))
    }

    /// Write an empty Parquet file of `schema` as `<rel>/part-0.parquet`.
    async fn put_empty(&self, rel: &str, schema: SchemaRef) -> Result<()> {
        let mut writer = ArrowWriter::try_new(Vec::new(), schema, None)?;
        writer.finish()?;
        let bytes = writer.into_inner()?;
        self.store
            .put(
                &self.path(&format!("{rel}/part-0.parquet")),
                PutPayload::from(bytes),
            )
            .await
            .map_err(|e| self.failed(&format!("write {rel}"), e))?;
        Ok(())
    }

    /// Run `df` on the cluster, its rows written by the executors as Parquet to the folder
    /// `models/<name>/`, and register that folder as the table `name` (with the schema the
    /// model was planned with); returns the rows written.
    ///
    /// # Errors
    /// DataFusion's error when the model fails on the cluster; [`Error::Engine`] when an empty
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
    Err(Error::Engine {
        message: format!("cannot reach the scheduler at {url} ({address}): {why}"),
        unsupported: false,
    })
}

/// Every file under `dir`, recursively, in name order.
fn files_under(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    let mut folders = vec![dir.to_path_buf()];
    while let Some(folder) = folders.pop() {
        let entries = std::fs::read_dir(&folder).map_err(|e| Error::io(&folder, e))?;
        for entry in entries {
            let path = entry.map_err(|e| Error::io(&folder, e))?.path();
            if path.is_dir() {
                folders.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files.sort();
    Ok(files)
}
