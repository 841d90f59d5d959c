//! `[publish]`: a copy of every published date on an object store (S3, GCS, Azure), for readers
//! off this machine (a warehouse load, the CRM admins, a cluster's jobs), under the output
//! folder's reader contract: a date there is complete once its `_SUCCESS` marker is.

use serde::Deserialize;

use super::StoreConfig;

/// The URL schemes a copy can be written to.
const SCHEMES: [&str; 5] = ["s3://", "gs://", "az://", "abfs://", "abfss://"];

/// `[publish]`: where a copy of the outputs goes, besides the output folder.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PublishConfig {
    /// The folder the copy goes to: `s3://bucket/prefix`, `gs://bucket/prefix`,
    /// `az://container/prefix` (`abfs(s)://` too). Every table partition, CRM file and report
    /// of the run date is written there under the same paths as in the output folder, and
    /// `manifests/run_date=<d>/_SUCCESS` last. None (the default): the output folder only.
    pub url: Option<String>,
    /// How to reach the store: endpoint, region, path-style requests, plain HTTP, timeout and
    /// retries, as a source's `[sources.store]`; credentials from the environment as the
    /// vendor's tools read them.
    #[serde(default)]
    pub store: StoreConfig,
}

impl PublishConfig {
    /// The checks of `[publish]`: an object store URL naming a bucket or container.
    ///
    /// # Errors
    /// What is wrong with `url`.
    pub fn check(&self) -> Result<(), String> {
        let Some(url) = &self.url else {
            return Ok(());
        };
        let bucket = SCHEMES
            .iter()
            .find_map(|s| url.strip_prefix(s))
            .map(|rest| rest.split('/').next().unwrap_or_default());
        match bucket {
            Some(b) if !b.is_empty() => Ok(()),
            _ => Err(format!(
                "publish: `url` must be an object store folder such as `s3://bucket/prefix` \
                 (s3, gs, az, abfs, abfss), got `{url}`"
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_copy_goes_to_a_bucket_of_a_known_store() {
        let check = |url: &str| {
            PublishConfig {
                url: Some(url.into()),
                ..PublishConfig::default()
            }
            .check()
        };
        assert_eq!(PublishConfig::default().check(), Ok(()));
        assert_eq!(check("s3://bucket/personas"), Ok(()));
        assert_eq!(check("gs://bucket"), Ok(()));
        for wrong in ["s3://", "/data/out", "https://example.com/out", "s3:///x"] {
            assert!(
                check(wrong).unwrap_err().contains("object store folder"),
                "{wrong}"
            );
        }
    }
}
