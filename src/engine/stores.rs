//! The object stores every process of a Ballista run (the driver, the scheduler, each
//! executor) reaches the work folder by: Ballista's own registry for local files and S3 (the
//! store's settings from each job's `s3.*` session options), and Google Cloud Storage
//! (`gs://bucket`) and Azure Blob Storage (`az://container`), each built from the process's
//! environment as object_store reads it (`GOOGLE_APPLICATION_CREDENTIALS`,
//! `GOOGLE_SERVICE_ACCOUNT_KEY`, ...; `AZURE_STORAGE_ACCOUNT_NAME`, `AZURE_STORAGE_ACCOUNT_KEY`,
//! ..., with `AZURE_STORAGE_ENDPOINT` and `AZURE_ALLOW_HTTP` for Azurite), once per bucket.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use ballista_core::extension::{
    ballista_aggregate_functions, ballista_scalar_functions, ballista_window_functions,
};
use ballista_core::object_store::{CustomObjectStoreRegistry, S3Options};
use datafusion::error::{DataFusionError, Result};
use datafusion::execution::object_store::ObjectStoreRegistry;
use datafusion::execution::runtime_env::{RuntimeEnv, RuntimeEnvBuilder};
use datafusion::execution::session_state::{SessionState, SessionStateBuilder};
use datafusion::prelude::SessionConfig;
use object_store::azure::MicrosoftAzureBuilder;
use object_store::gcp::GoogleCloudStorageBuilder;
use object_store::ObjectStore;
use url::Url;

/// Ballista's registry, with GCS and Azure stores made from the environment.
#[derive(Debug)]
pub struct Stores {
    /// Local files and S3, as Ballista makes them (for each URL anew).
    ballista: CustomObjectStoreRegistry,
    /// The stores registered and the GCS and Azure ones made so far, by `scheme://host`.
    held: RwLock<HashMap<String, Arc<dyn ObjectStore>>>,
}

impl Stores {
    /// The registry of a session with `config` (its `s3.*` options for S3).
    ///
    /// # Errors
    /// When the config lacks Ballista's S3 options.
    pub fn new(config: &SessionConfig) -> Result<Stores> {
        let s3 = (config.options().extensions.get::<S3Options>())
            .ok_or_else(|| DataFusionError::Configuration("S3 options not set".into()))?;
        Ok(Stores {
            ballista: CustomObjectStoreRegistry::new(s3.clone()),
            held: RwLock::new(HashMap::new()),
        })
    }
}

/// `scheme://host` of a URL: the key of its store.
fn key(url: &Url) -> String {
    format!("{}://{}", url.scheme(), url.host_str().unwrap_or(""))
}

impl ObjectStoreRegistry for Stores {
    fn register_store(
        &self,
        url: &Url,
        store: Arc<dyn ObjectStore>,
    ) -> Option<Arc<dyn ObjectStore>> {
        let mut held = self.held.write().unwrap_or_else(|e| e.into_inner());
        held.insert(key(url), store)
    }

    fn get_store(&self, url: &Url) -> Result<Arc<dyn ObjectStore>> {
        let key = key(url);
        if let Some(store) = (self.held.read().unwrap_or_else(|e| e.into_inner())).get(&key) {
            return Ok(store.clone());
        }
        let store: Arc<dyn ObjectStore> = match url.scheme() {
            "gs" => Arc::new(
                GoogleCloudStorageBuilder::from_env()
                    .with_url(&key)
                    .build()?,
            ),
            "az" => Arc::new(MicrosoftAzureBuilder::from_env().with_url(&key).build()?),
            // S3 from each job's `s3.*` options: made anew, as Ballista does
            _ => return self.ballista.get_store(url),
        };
        let mut held = self.held.write().unwrap_or_else(|e| e.into_inner());
        Ok(held.entry(key).or_insert(store).clone())
    }
}

/// The runtime of a session with `config`: [`Stores`] as its object store registry (in place
/// of Ballista's `runtime_env_with_s3_support`).
///
/// # Errors
/// When the config lacks Ballista's S3 options.
pub fn runtime_env(config: &SessionConfig) -> Result<Arc<RuntimeEnv>> {
    let stores = Stores::new(config)?;
    Ok(Arc::new(
        RuntimeEnvBuilder::new()
            .with_object_store_registry(Arc::new(stores))
            .build()?,
    ))
}

/// A session state with `config` and [`runtime_env`], and Ballista's functions (in place of
/// Ballista's `session_state_with_s3_support`).
///
/// # Errors
/// As [`runtime_env`].
pub fn session_state(config: SessionConfig) -> Result<SessionState> {
    let runtime = runtime_env(&config)?;
    Ok(SessionStateBuilder::new()
        .with_runtime_env(runtime)
        .with_config(config)
        .with_default_features()
        .with_scalar_functions(ballista_scalar_functions())
        .with_aggregate_functions(ballista_aggregate_functions())
        .with_window_functions(ballista_window_functions())
        .build())
}
