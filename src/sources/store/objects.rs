//! Object stores (`s3://`, `gs://`, `az://`, `abfs(s)://`) through `object_store`: a store built
//! from the environment's credentials and the source's endpoint, timeouts and retries; the
//! objects a URL with a glob names; and each object streamed to local disk, its size checked
//! against the listing.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use futures::{StreamExt, TryStreamExt};
use object_store::aws::{AmazonS3Builder, AmazonS3ConfigKey};
use object_store::azure::{AzureConfigKey, MicrosoftAzureBuilder};
use object_store::gcp::{GoogleCloudStorageBuilder, GoogleConfigKey};
use object_store::path::Path as ObjectPath;
use object_store::{
    BackoffConfig, ClientConfigKey, ObjectMeta, ObjectStore, ObjectStoreExt, RetryConfig,
};
use tracing::info;

use super::part::PartFile;
use super::{display_url, retries, timeout, Fetched, Target};
use crate::config::StoreConfig;
use crate::error::{describe, Error, Result};
use crate::http::{BACKOFF_BASE, BACKOFF_CAP};

/// Objects downloaded at the same time from one store.
const PARALLEL_DOWNLOADS: usize = 4;

/// The store of an object-store URL (`scheme` in lower case) and the objects its key pattern
/// names.
pub(super) async fn list(
    target: &Target<'_>,
    scheme: &str,
    pattern: &str,
    cfg: &StoreConfig,
) -> Result<(Arc<dyn ObjectStore>, Vec<ObjectMeta>)> {
    let (authority, key_pattern) = authority(pattern);
    if authority.is_empty() {
        return Err(target.fail("the URL names no bucket or container"));
    }
    let store = build_store(scheme, authority, cfg)
        .map_err(|e| target.fail(format!("cannot configure the store: {}", describe(&e))))?;
    let objects = list_matching(store.as_ref(), key_pattern, target).await?;
    Ok((store, objects))
}

/// The bucket or container of a store URL, and the key pattern after it.
fn authority(pattern: &str) -> (&str, &str) {
    let (_, rest) = pattern.split_once("://").unwrap_or(("", pattern));
    rest.split_once('/').unwrap_or((rest, ""))
}

/// The store of a folder URL (`scheme` in lower case) and the folder's key prefix in it.
pub(super) fn open_folder(
    url: &str,
    scheme: &str,
    cfg: &StoreConfig,
) -> object_store::Result<(Arc<dyn ObjectStore>, ObjectPath)> {
    let (authority, prefix) = authority(url);
    let store = build_store(scheme, authority, cfg)?;
    Ok((store, ObjectPath::from(prefix.trim_end_matches('/'))))
}

/// `scheme://bucket` of a store URL, without credentials: what its objects' origins start with.
pub(super) fn base_url(scheme: &str, pattern: &str) -> String {
    display_url(&format!("{scheme}://{}", authority(pattern).0))
}

/// Download every object `pattern` (`scheme://bucket/key pattern`) names into `dest`.
pub(super) async fn fetch(
    target: &Target<'_>,
    pattern: &str,
    cfg: &StoreConfig,
    dest: &Path,
) -> Result<Vec<Fetched>> {
    let (scheme, _) = pattern.split_once("://").unwrap_or(("", pattern));
    let (store, objects) = list(target, &scheme.to_ascii_lowercase(), pattern, cfg).await?;
    if objects.is_empty() {
        return Err(Error::NoInput {
            source_name: target.source.to_string(),
            pattern: target.location.clone(),
        });
    }
    let base = base_url(scheme, pattern);
    futures::stream::iter(objects)
        .map(|meta| {
            let origin = format!("{base}/{}", meta.location);
            let local = meta
                .location
                .parts()
                .fold(dest.to_path_buf(), |p, part| p.join(part.as_ref()));
            let store = store.as_ref();
            async move {
                let size = download_object(store, &meta, &local, target).await?;
                info!(source = target.source, origin = %origin, bytes = size, "Fetched input.");
                Ok(Fetched {
                    local,
                    origin,
                    size,
                })
            }
        })
        .buffer_unordered(PARALLEL_DOWNLOADS)
        .try_collect()
        .await
}

/// A store for `scheme://authority`, credentials from the environment as the vendor's tools
/// read them, timeouts and retries from the config.
fn build_store(
    scheme: &str,
    authority: &str,
    cfg: &StoreConfig,
) -> object_store::Result<Arc<dyn ObjectStore>> {
    let secs = timeout(cfg).as_secs();
    let retries = retries(cfg);
    let retry = RetryConfig {
        backoff: BackoffConfig {
            init_backoff: BACKOFF_BASE,
            max_backoff: BACKOFF_CAP,
            base: 2.0,
        },
        max_retries: retries as usize,
        retry_timeout: Duration::from_secs(secs.saturating_mul(u64::from(retries) + 1)),
    };
    let mut client = vec![
        (ClientConfigKey::Timeout, format!("{secs}s")),
        (ClientConfigKey::ConnectTimeout, format!("{secs}s")),
    ];
    if cfg.allow_http {
        client.push((ClientConfigKey::AllowHttp, "true".to_string()));
    }
    let store: Arc<dyn ObjectStore> = match scheme {
        "s3" => {
            let mut b = AmazonS3Builder::from_env()
                .with_bucket_name(authority)
                .with_virtual_hosted_style_request(!cfg.path_style)
                .with_retry(retry);
            for (k, v) in client {
                b = b.with_config(AmazonS3ConfigKey::Client(k), v);
            }
            if let Some(endpoint) = &cfg.endpoint {
                b = b.with_endpoint(endpoint);
            }
            if let Some(region) = &cfg.region {
                b = b.with_region(region);
            }
            Arc::new(b.build()?)
        }
        "gs" => {
            let mut b = GoogleCloudStorageBuilder::from_env()
                .with_bucket_name(authority)
                .with_retry(retry);
            for (k, v) in client {
                b = b.with_config(GoogleConfigKey::Client(k), v);
            }
            if let Some(endpoint) = &cfg.endpoint {
                b = b.with_config(GoogleConfigKey::BaseUrl, endpoint);
            }
            Arc::new(b.build()?)
        }
        _ => {
            let mut b = MicrosoftAzureBuilder::from_env()
                .with_url(format!("{scheme}://{authority}"))
                .with_retry(retry);
            for (k, v) in client {
                b = b.with_config(AzureConfigKey::Client(k), v);
            }
            if let Some(endpoint) = &cfg.endpoint {
                b = b.with_config(AzureConfigKey::Endpoint, endpoint);
            }
            Arc::new(b.build()?)
        }
    };
    Ok(store)
}

/// Objects matching `key_pattern`: list the segments before the first one with a glob and
/// match the rest; without a glob, the object itself or else the objects directly in that folder.
async fn list_matching(
    store: &dyn ObjectStore,
    key_pattern: &str,
    target: &Target<'_>,
) -> Result<Vec<ObjectMeta>> {
    let unreachable = |e: object_store::Error| {
        let text = describe(&e);
        if text.contains("169.254.169.254") {
            // object_store fell back to the EC2 instance metadata for credentials.
            return target.fail(format!(
                "no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or \
                 AWS_PROFILE) in the environment; the instance metadata service that would \
                 otherwise provide them answered: {text}"
            ));
        }
        let hint = if matches!(e, object_store::Error::NotFound { .. }) {
            " (does the bucket exist?)"
        } else {
            ""
        };
        target.fail(format!("request to the store failed: {text}{hint}"))
    };
    let segments: Vec<&str> = key_pattern.split('/').filter(|s| !s.is_empty()).collect();
    let Some(first_glob) = segments.iter().position(|s| s.contains(['*', '?', '['])) else {
        let path = ObjectPath::from_iter(segments.iter().copied());
        if !segments.is_empty() {
            match store.head(&path).await {
                Ok(meta) => return Ok(vec![meta]),
                Err(object_store::Error::NotFound { .. }) => {}
                Err(e) => return Err(unreachable(e)),
            }
        }
        let prefix = (!segments.is_empty()).then_some(&path);
        return Ok(store
            .list_with_delimiter(prefix)
            .await
            .map_err(unreachable)?
            .objects);
    };
    let glob = glob::Pattern::new(&segments.join("/"))
        .map_err(|e| target.fail(format!("bad glob in the URL: {e}")))?;
    let options = glob::MatchOptions {
        require_literal_separator: true,
        ..Default::default()
    };
    let prefix = ObjectPath::from_iter(segments[..first_glob].iter().copied());
    let prefix = (first_glob > 0).then_some(&prefix);
    store
        .list(prefix)
        .try_filter(|meta| std::future::ready(glob.matches_with(meta.location.as_ref(), options)))
        .try_collect()
        .await
        .map_err(unreachable)
}

/// Stream one object into `local`; the byte count is checked against the listing.
async fn download_object(
    store: &dyn ObjectStore,
    meta: &ObjectMeta,
    local: &Path,
    target: &Target<'_>,
) -> Result<u64> {
    let fail = |e: object_store::Error| {
        target.fail(format!(
            "download of {} failed: {}",
            meta.location,
            describe(&e)
        ))
    };
    let mut stream = store.get(&meta.location).await.map_err(fail)?.into_stream();
    let mut part = PartFile::create(local).await?;
    while let Some(chunk) = stream.next().await {
        part.write(&chunk.map_err(fail)?).await?;
    }
    if part.written != meta.size {
        let message = format!(
            "{}: got {} of {} bytes",
            meta.location, part.written, meta.size
        );
        let _ = tokio::fs::remove_file(&part.part).await;
        return Err(target.fail(message));
    }
    part.finish(local).await
}
