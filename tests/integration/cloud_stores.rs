//! `az://` and `gs://` inputs against real emulators on loopback: Azurite (`$AZURITE_SERVER`)
//! and fake-gcs-server (`$FAKE_GCS_SERVER`), both installed and named by `.ci/run`. Each test
//! lists, globs and reads the sample's GA4 export, or runs the whole pipeline from the store. A
//! test whose emulator is not named prints a skip message, unless `PERSONAS_REQUIRE_STORES=1`.

use std::path::Path;

use crate::util::servers::{objects_under, remote_config, Azurite, FakeGcs};
use crate::util::{block_on, fetch_error, fetched, Fixture};
use object_store::path::Path as ObjectPath;
use object_store::ObjectStoreExt;
use personas::config::StoreConfig;
use personas::Error;

/// One emulator, started for one test.
enum Emulator {
    Azure(Azurite),
    Gcs(FakeGcs),
}

impl Emulator {
    /// Create `bucket` (a container on Azure) holding `objects` (key, body).
    async fn fill(&self, bucket: &str, objects: &[(String, Vec<u8>)]) {
        match self {
            Emulator::Azure(azurite) => {
                let container = azurite.container(bucket).await;
                for (key, body) in objects {
                    container
                        .put(&ObjectPath::from(key.as_str()), body.clone().into())
                        .await
                        .unwrap();
                }
            }
            Emulator::Gcs(gcs) => gcs.bucket(bucket, objects).await,
        }
    }

    /// `az://bucket` or `gs://bucket`.
    fn url(&self, bucket: &str) -> String {
        match self {
            Emulator::Azure(_) => format!("az://{bucket}"),
            Emulator::Gcs(_) => format!("gs://{bucket}"),
        }
    }

    /// The emulator's endpoint, as a source's `[sources.store] endpoint`.
    fn endpoint(&self) -> &str {
        match self {
            Emulator::Azure(azurite) => &azurite.endpoint,
            Emulator::Gcs(gcs) => &gcs.endpoint,
        }
    }

    /// The store options of a source on this emulator.
    fn store(&self) -> StoreConfig {
        StoreConfig {
            endpoint: Some(self.endpoint().to_string()),
            allow_http: true,
            timeout_secs: Some(10),
            retries: Some(1),
            ..Default::default()
        }
    }
}

/// The first `n` GA4 daily exports of the bundled sample, as (`ga4/<file name>`, bytes).
fn sample_ga4(n: usize) -> Vec<(String, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("pipelines/sample/ga4");
    let mut files = objects_under(&dir, "ga4/");
    files.sort();
    files.truncate(n);
    files
}

/// List and glob the sample's GA4 export among other objects on `emulator`, and read it.
async fn glob_reads_a_ga4_export(emulator: Emulator) {
    let bucket = "analytics-exports";
    let ga4 = sample_ga4(3);
    let mut objects = ga4.clone();
    objects.push(("ga4/contacts.csv".into(), b"id,email\n1,a@b.c\n".to_vec()));
    objects.push(("ga4/old/events_20250101.json".into(), b"{}\n".to_vec()));
    objects.push(("other/events_20261120.json".into(), b"{}\n".to_vec()));
    emulator.fill(bucket, &objects).await;
    let (base, cfg) = (emulator.url(bucket), emulator.store());

    let (dest, got) = fetched("web", &format!("{base}/ga4/events_*.json"), &cfg).await;
    let origins: Vec<&str> = got.iter().map(|f| f.origin.as_str()).collect();
    let expected: Vec<String> = ga4.iter().map(|(key, _)| format!("{base}/{key}")).collect();
    assert_eq!(origins, expected);
    for (f, (key, body)) in got.iter().zip(&ga4) {
        assert_eq!(f.local, dest.path().join(key));
        assert_eq!(f.size, body.len() as u64);
        assert!(std::fs::read(&f.local).unwrap() == *body, "{key} differs");
    }

    // A literal key is that object alone; a folder, the objects directly in it.
    let (_dest, one) = fetched("crm", &format!("{base}/ga4/contacts.csv"), &cfg).await;
    assert_eq!(one.len(), 1);
    assert_eq!(std::fs::read(&one[0].local).unwrap(), objects[3].1);
    let (_dest, folder) = fetched("web", &format!("{base}/ga4/"), &cfg).await;
    assert_eq!(folder.len(), ga4.len() + 1, "{folder:?}");

    // A pattern matching nothing is "no input", not an outage.
    let (_, err) = fetch_error("web", &format!("{base}/ga4/none_*.json"), &cfg).await;
    assert!(matches!(err, Error::NoInput { .. }), "{err}");
}

/// The sample pipeline with every input on `emulator` gives the rows and personas it gives on
/// disk, and publishes its run.
fn pipeline_runs_from(emulator: Emulator) {
    let fx = Fixture::sample(300, 4.0);
    let local = fx.run().unwrap();
    let bucket = "crm-exports";
    block_on(emulator.fill(bucket, &objects_under(&fx.path("data"), "2026-11-20/")));
    let store = format!(
        "[sources.store]\nendpoint = \"{}\"\nallow_http = true\nretries = 2\ntimeout_secs = 10\n",
        emulator.endpoint()
    );
    let base = format!("{}/2026-11-20", emulator.url(bucket));
    let config = std::fs::read_to_string(&fx.config).unwrap();
    let remote = remote_config(&config, &base, &[], &store);
    assert!(
        !remote.contains("path = \"data/"),
        "a source left on disk:\n{remote}"
    );
    std::fs::write(&fx.config, &remote).unwrap();
    let report = fx.run().unwrap_or_else(|e| panic!("{e}\n{remote}"));

    assert_eq!(local.sources.len(), report.sources.len());
    for (a, b) in local.sources.iter().zip(&report.sources) {
        assert_eq!(a.counts, b.counts, "source {}", a.name);
        assert_eq!(a.files.len(), b.files.len(), "source {}", a.name);
    }
    let landed: u64 = report.sources.iter().map(|s| s.counts.accepted).sum();
    assert!(landed > 0, "no rows landed");
    assert_eq!(local.personas, report.personas);
    assert!(!report.published.is_empty(), "the run was not published");
    for partition in &report.published {
        assert!(report.output_dir.join(partition).is_dir(), "{partition:?}");
    }
}

#[tokio::test]
async fn azure_glob_reads_a_ga4_export_from_azurite() {
    if let Some(azurite) = Azurite::start() {
        glob_reads_a_ga4_export(Emulator::Azure(azurite)).await;
    }
}

#[tokio::test]
async fn gcs_glob_reads_a_ga4_export_from_fake_gcs_server() {
    if let Some(gcs) = FakeGcs::start() {
        glob_reads_a_ga4_export(Emulator::Gcs(gcs)).await;
    }
}

#[test]
fn azure_sample_pipeline_runs_from_azurite() {
    if let Some(azurite) = Azurite::start() {
        pipeline_runs_from(Emulator::Azure(azurite));
    }
}

#[test]
fn gcs_sample_pipeline_runs_from_fake_gcs_server() {
    if let Some(gcs) = FakeGcs::start() {
        pipeline_runs_from(Emulator::Gcs(gcs));
    }
}
