//! `[engine]`: how the SQL models run: in this process (the embedded DataFusion engine, with the
//! memory its spilling operators may hold before they spill: `memory_limit`, see
//! `transform::spill`), or on an Apache DataFusion Ballista cluster (`kind = "ballista"`, see
//! `crate::engine`), which reads the landed inputs from and writes the models to `work_dir`.

use serde::Deserialize;

/// `[engine]`: settings of the engine that runs the SQL models.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EngineConfig {
    /// Where the SQL models run: `"embedded"` (the default: in this process) or `"ballista"` (on
    /// the Ballista cluster whose scheduler is `url`; needs a build with the `ballista` feature).
    #[serde(default)]
    pub kind: EngineKind,
    /// The Ballista scheduler: `df://host:port` (port 50050 when none is given). Ballista only.
    pub url: Option<String>,
    /// The object store folder the cluster works in, an `s3://bucket/prefix`,
    /// `gs://bucket/prefix` or `az://container/prefix` URL every executor can read and write
    /// (the processes reach a GCS or Azure one with their environment, as the vendors' tools
    /// do): the run copies the landed inputs there and the models are written
    /// there as Parquet, under `<work_dir>/<pipeline name>/<run date>/`.
    /// `file:///absolute/folder` for a cluster whose processes all see that folder (one
    /// machine, or a shared mount). Ballista only.
    pub work_dir: Option<String>,
    /// How the driver, the scheduler and the executors reach `work_dir`'s store (endpoint,
    /// region, plain HTTP); the credentials come from each process's `AWS_ACCESS_KEY_ID` and
    /// `AWS_SECRET_ACCESS_KEY`, never from the config. Ballista only.
    #[serde(default)]
    pub store: EngineStore,
    /// Memory DataFusion's spilling operators (hash aggregations, sorts, repartitions) may hold
    /// together before they pass partial groups on or spill to the system's temp folder
    /// (`TMPDIR`): `"256MiB"` (the default), `"1GiB"`, `"512MB"`, or `"unlimited"`. Shared by
    /// their partitions, each of which may hold at least 16 MiB and one batch, so with many
    /// cores they can hold more. Hash joins are counted, never refused; windows and the models
    /// the run holds are not limited. A model that fails within the limit (an operator that
    /// cannot spill) is computed again without it, with a warning: a small limit makes a run
    /// slower, never failed.
    #[serde(default)]
    pub memory_limit: MemoryLimit,
}

/// Where the SQL models run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EngineKind {
    /// In this process: DataFusion, every core, the models held in memory.
    #[default]
    Embedded,
    /// On an Apache DataFusion Ballista cluster (a scheduler and executors).
    Ballista,
}

/// `[engine.store]`: how every process of a Ballista run reaches the work folder's S3 store.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EngineStore {
    /// Endpoint of an S3-compatible server (MinIO, Ceph, a local test server); default: AWS.
    pub endpoint: Option<String>,
    /// Region; default from `AWS_REGION`, else `us-east-1`.
    pub region: Option<String>,
    /// Allow a plain `http://` endpoint (test servers, private networks).
    #[serde(default)]
    pub allow_http: bool,
}

impl EngineConfig {
    /// `work_dir` as a store and a folder in it: `s3://`, `gs://` or `az://` with a bucket (the
    /// prefix after it, if any), or `file:///folder` on one machine; `None` for anything else.
    pub fn work_folder(&self) -> Option<WorkFolder<'_>> {
        let dir = self.work_dir.as_deref()?;
        if let Some(folder) = dir.strip_prefix("file:///") {
            let prefix = folder.trim_end_matches('/');
            return (!folder.is_empty()).then(|| WorkFolder {
                scheme: "file",
                root: "file://".into(),
                prefix,
            });
        }
        let (scheme, rest) = dir.split_once("://")?;
        let scheme = ["s3", "gs", "az"].into_iter().find(|s| *s == scheme)?;
        let rest = rest.trim_end_matches('/');
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        (!bucket.is_empty()).then(|| WorkFolder {
            scheme,
            root: format!("{scheme}://{bucket}"),
            prefix,
        })
    }

    /// The checks of `[engine]`: a Ballista engine names its scheduler and a store's work
    /// folder; the embedded one neither.
    ///
    /// # Errors
    /// What is wrong, naming the key.
    pub fn check(&self) -> Result<(), String> {
        match self.kind {
            EngineKind::Embedded => {
                let store = self.store != EngineStore::default();
                if self.url.is_some() || self.work_dir.is_some() || store {
                    return Err(
                        "engine: `url`, `work_dir` and `[engine.store]` are for kind = \
                         \"ballista\"; the embedded engine (the default kind) runs in this \
                         process"
                            .into(),
                    );
                }
            }
            EngineKind::Ballista => {
                let url = self.url.as_deref().unwrap_or_default();
                if !(url.starts_with("df://") || url.starts_with("http://")) {
                    return Err(format!(
                        "engine: kind = \"ballista\" needs `url`, the scheduler as \
                         `df://host:port`, got `{url}`"
                    ));
                }
                let dir = self.work_dir.as_deref().unwrap_or_default();
                let Some(folder) = self.work_folder() else {
                    return Err(format!(
                        "engine: kind = \"ballista\" needs `work_dir`, a folder every executor \
                         can read and write: `s3://bucket/prefix`, `gs://bucket/prefix` or \
                         `az://container/prefix` (or `file:///folder` on one machine), got \
                         `{dir}`"
                    ));
                };
                let scheme = folder.scheme;
                if matches!(scheme, "gs" | "az") && self.store != EngineStore::default() {
                    return Err(format!(
                        "engine: `[engine.store]` is for an S3 work folder; every process \
                         reaches a `{scheme}://` one with its environment (see the README's \
                         Ballista section)"
                    ));
                }
            }
        }
        Ok(())
    }
}

/// A work folder's store and its folder there ([`EngineConfig::work_folder`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkFolder<'a> {
    /// `s3`, `gs`, `az` or `file`.
    pub scheme: &'static str,
    /// The store's URL: `s3://bucket` (likewise `gs://`, `az://`), or `file://`.
    pub root: String,
    /// The folder in the store, without a slash at either end (empty: the bucket's root).
    pub prefix: &'a str,
}

/// A size in bytes, or no limit; written `"256MiB"`, `"512 MB"`, `"2GB"`, `"unlimited"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct MemoryLimit(
    /// The bytes; `None`: unlimited.
    pub Option<usize>,
);

impl MemoryLimit {
    /// 256 MiB: the bench's 1,000,000 contacts spill 1.3 GB over the run at no measured cost in
    /// time, and 4x the events per contact at 100,000 contacts peak within 1 % of 1x (see the
    /// README's "Benchmark").
    pub const DEFAULT: MemoryLimit = MemoryLimit(Some(256 << 20));
}

impl Default for MemoryLimit {
    fn default() -> Self {
        MemoryLimit::DEFAULT
    }
}

impl TryFrom<String> for MemoryLimit {
    type Error = String;

    fn try_from(text: String) -> Result<Self, String> {
        let t = text.trim();
        if t.eq_ignore_ascii_case("unlimited") {
            return Ok(MemoryLimit(None));
        }
        let split = t
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(t.len());
        let (number, unit) = t.split_at(split);
        let unit_bytes: f64 = match unit.trim().to_ascii_uppercase().as_str() {
            "B" => 1.0,
            "KB" => 1e3,
            "MB" => 1e6,
            "GB" => 1e9,
            "KIB" => 1024.0,
            "MIB" => 1024.0 * 1024.0,
            "GIB" => 1024.0 * 1024.0 * 1024.0,
            _ => return Err(bad(&text)),
        };
        let number: f64 = number.parse().map_err(|_| bad(&text))?;
        let bytes = number * unit_bytes;
        if !(bytes >= 1.0 && bytes < usize::MAX as f64) {
            return Err(bad(&text));
        }
        Ok(MemoryLimit(Some(bytes as usize)))
    }
}

/// The message for a memory limit that cannot be read.
fn bad(text: &str) -> String {
    format!(
        "memory_limit `{text}` is not a size: write a number and a unit (B, KB, MB, GB, KiB, MiB, \
         GiB), such as \"256MiB\", or \"unlimited\""
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limit(text: &str) -> Result<MemoryLimit, toml::de::Error> {
        toml::from_str::<EngineConfig>(&format!("memory_limit = \"{text}\""))
            .map(|e| e.memory_limit)
    }

    #[test]
    fn sizes_are_read_with_their_units_and_a_bad_one_is_named() {
        assert_eq!(
            toml::from_str::<EngineConfig>("").unwrap().memory_limit,
            MemoryLimit::DEFAULT
        );
        assert_eq!(limit("256MB").unwrap(), MemoryLimit(Some(256_000_000)));
        assert_eq!(limit("512 MiB").unwrap(), MemoryLimit(Some(512 << 20)));
        assert_eq!(limit("1.5gb").unwrap(), MemoryLimit(Some(1_500_000_000)));
        assert_eq!(limit("Unlimited").unwrap(), MemoryLimit(None));
        for wrong in ["256", "lots", "-1MB", "0MB", "MB", "1e9MB"] {
            let e = limit(wrong).unwrap_err().to_string();
            assert!(
                e.contains(&format!("memory_limit `{wrong}` is not a size")),
                "{e}"
            );
        }
        assert!(toml::from_str::<EngineConfig>("memory = \"1GB\"").is_err());
    }

    #[test]
    fn a_ballista_engine_names_its_scheduler_and_a_work_folder_on_a_store() {
        let check = |text: &str| toml::from_str::<EngineConfig>(text).unwrap().check();
        let good = "kind = \"ballista\"\nurl = \"df://10.0.0.1:50050\"\nwork_dir = \"s3://b/w\"";
        assert_eq!(check(good), Ok(()));
        assert_eq!(check(""), Ok(()), "the embedded engine needs nothing");
        let no_url = check("kind = \"ballista\"\nwork_dir = \"s3://b/w\"").unwrap_err();
        assert!(no_url.contains("needs `url`"), "{no_url}");
        for dir in ["gs://b/w", "az://container/w"] {
            let cloud = format!("kind = \"ballista\"\nurl = \"df://h\"\nwork_dir = \"{dir}\"");
            assert_eq!(check(&cloud), Ok(()), "{dir}");
            let endpoint = check(&format!("{cloud}\n[store]\nendpoint = \"http://h:1\""));
            assert!(endpoint.unwrap_err().contains("with its environment"));
        }
        let other = check("kind = \"ballista\"\nurl = \"df://h\"\nwork_dir = \"hdfs://b/w\"");
        assert!(other.unwrap_err().contains("`gs://bucket/prefix`"));
        let local = "kind = \"ballista\"\nurl = \"df://h\"\nwork_dir = \"file:///srv/work\"";
        assert_eq!(check(local), Ok(()));
        let no_bucket = check("kind = \"ballista\"\nurl = \"df://h\"\nwork_dir = \"s3:///w\"");
        assert!(no_bucket.is_err(), "an s3:// URL without a bucket");
        let relative = check("kind = \"ballista\"\nurl = \"df://h\"\nwork_dir = \"file://w\"");
        assert!(relative.unwrap_err().contains("`file:///folder`"));
        // the store and the folder in it, as the cluster opens them
        let folder = |dir: &str| {
            let e = toml::from_str::<EngineConfig>(&format!("work_dir = \"{dir}\"")).unwrap();
            (e.work_folder()).map(|f| (f.scheme, f.root, f.prefix.to_string()))
        };
        let f = |s: &'static str, r: &str, p: &str| Some((s, r.to_string(), p.to_string()));
        assert_eq!(folder("s3://b/runs/w/"), f("s3", "s3://b", "runs/w"));
        assert_eq!(folder("az://c"), f("az", "az://c", ""));
        assert_eq!(folder("gs://b/"), f("gs", "gs://b", ""));
        assert_eq!(
            folder("file:///srv/work/"),
            f("file", "file://", "srv/work")
        );
        for wrong in ["file:///", "s3:///w", "s3://", "hdfs://b/w", "/srv/work"] {
            assert_eq!(folder(wrong), None, "{wrong}");
        }
        let store = check("[store]\nendpoint = \"http://127.0.0.1:9000\"").unwrap_err();
        assert!(store.contains("[engine.store]"), "{store}");
        let stray = check("url = \"df://h\"").unwrap_err();
        assert!(stray.contains("for kind = \"ballista\""), "{stray}");
        assert!(toml::from_str::<EngineConfig>("kind = \"spark\"").is_err());
        let store =
            "kind = \"ballista\"\n[store]\nendpoint = \"http://127.0.0.1:9000\"\nsecret = \"x\"";
        assert!(
            toml::from_str::<EngineConfig>(store).is_err(),
            "no credentials in a config"
        );
    }
}
