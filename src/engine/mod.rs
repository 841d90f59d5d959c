//! The SQL models on an Apache DataFusion Ballista cluster (`[engine] kind = "ballista"`).
//!
//! A run connects to the scheduler ([`Cluster::connect`]), empties its folder of the work
//! folder on the object store (`<work_dir>/<pipeline name>/<run date>/`), copies what landing
//! wrote there ([`Cluster::land`]), and runs the models as the embedded engine does, except
//! that each materialised model is written by the executors as Parquet under the work folder
//! and read from there by the models after it ([`Cluster::materialise`]). The driver streams
//! back only what the later stages read: the feature model, the audience, the CRM systems.
//!
//! [`nodes`] starts a scheduler or an executor in this process (`personas scheduler`,
//! `personas executor`). Every process reaches the store the same way ([`stores`]): an S3
//! store's settings (`[engine.store]`) travel with each job as Ballista's `s3.*` session
//! options, the credentials come from each process's own `AWS_ACCESS_KEY_ID` /
//! `AWS_SECRET_ACCESS_KEY`; a GCS or Azure store is made from each process's environment.
//!
//! Built without the `ballista` feature, [`Cluster::connect`] fails with a clear error and the
//! rest cannot be reached (a `Cluster` cannot exist).

#[cfg(feature = "ballista")]
mod cluster;
#[cfg(feature = "ballista")]
pub mod nodes;
#[cfg(feature = "ballista")]
mod stores;

#[cfg(feature = "ballista")]
pub use cluster::Cluster;

#[cfg(not(feature = "ballista"))]
mod unavailable {
    use std::path::Path;

    use chrono::NaiveDate;
    use datafusion::arrow::datatypes::SchemaRef;
    use datafusion::dataframe::DataFrame;
    use datafusion::prelude::SessionContext;

    use crate::config::EngineConfig;
    use crate::error::{Error, Result};

    /// A connection to a Ballista cluster: this build has none (no `ballista` feature).
    #[derive(Debug)]
    pub struct Cluster {
        never: std::convert::Infallible,
    }

    impl Cluster {
        /// Fails: this build cannot run on a cluster.
        ///
        /// # Errors
        /// Always: [`Error::Engine`] saying how to build with the feature.
        pub async fn connect(_: &EngineConfig, _: &str, _: NaiveDate) -> Result<Cluster> {
            Err(Error::Engine {
                message: "this `personas` was built without the `ballista` feature: build it \
                          with `cargo build --release --features ballista`, or set \
                          `[engine] kind = \"embedded\"`"
                    .into(),
                unsupported: true,
            })
        }

        /// The session whose plans run on the cluster.
        pub fn ctx(&self) -> &SessionContext {
            match self.never {}
        }

        /// The work folder's copy of a landed folder.
        ///
        /// # Errors
        /// Never returns.
        pub async fn land(&self, _: &Path, _: &str) -> Result<String> {
            match self.never {}
        }

        /// The work folder's copy of a local folder.
        ///
        /// # Errors
        /// Never returns.
        pub async fn copy_in(&self, _: &Path, _: &str) -> Result<String> {
            match self.never {}
        }

        /// The work folder's empty table of `schema`.
        ///
        /// # Errors
        /// Never returns.
        pub async fn empty_table(&self, _: &str, _: SchemaRef) -> Result<String> {
            match self.never {}
        }

        /// A model written to the work folder and registered.
        ///
        /// # Errors
        /// Never returns.
        pub async fn materialise(&self, _: &str, _: DataFrame) -> Result<usize> {
            match self.never {}
        }
    }
}

#[cfg(not(feature = "ballista"))]
pub use unavailable::Cluster;

#[cfg(all(test, not(feature = "ballista")))]
mod tests {
    use super::*;
    use crate::config::{EngineConfig, EngineKind};

    #[tokio::test]
    async fn without_the_feature_a_cluster_run_is_a_config_error_saying_how_to_build() {
        let engine = EngineConfig {
            kind: EngineKind::Ballista,
            ..EngineConfig::default()
        };
        let date = chrono::NaiveDate::from_ymd_opt(2026, 11, 20).unwrap();
        let err = Cluster::connect(&engine, "test", date).await.unwrap_err();
        assert_eq!(err.exit_code(), 2);
        assert!(err.to_string().contains("--features ballista"), "{err}");
    }
}
