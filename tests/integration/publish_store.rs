//! `[publish] url`: a copy of every published date on a real S3-compatible server (moto, on
//! loopback), byte for byte the output folder's partitions, an earlier copy's stale objects
//! gone, the `_SUCCESS` marker there; and a copy that cannot be written fails the run with
//! nothing published anywhere.

use std::collections::BTreeMap;

use futures::TryStreamExt;
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, ObjectStoreExt};

use crate::util::servers::{aws_env, Moto};
use personas::pipeline::{RunOptions, RunReport};

use crate::util::{run_date, walk, Fixture};

/// The `[publish]` section writing to `url` on `moto`.
pub fn publish_section(moto: &Moto, url: &str) -> String {
    format!(
        "\n[publish]\nurl = \"{url}\"\n\n[publish.store]\nendpoint = \"{}\"\npath_style = true\n\
         allow_http = true\nretries = 1\ntimeout_secs = 10\n",
        moto.endpoint
    )
}

#[test]
fn a_published_date_is_copied_to_the_store_with_its_marker_and_nothing_stale() {
    aws_env();
    let fx = Fixture::sample(300, 4.0);
    let moto = Moto::start();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let date = run_date();
    let members = format!("acme/persona_members/run_date={date}");
    let store = rt.block_on(async {
        let s3 = moto.bucket("personas-out").await;
        // an earlier copy of the date, with a part file this run does not write
        let stale = ObjectPath::from(format!("{members}/part-9.parquet"));
        s3.put(&stale, b"old".to_vec().into()).await.unwrap();
        s3
    });
    fx.edit_config(|c| c + &publish_section(&moto, "s3://personas-out/acme"));
    let report = fx.run().unwrap();

    assert_copied(&fx, &report, &rt, &store, "acme");

    // a copy without its marker (refused after the local publish) is not "nothing new to do"
    let marker = ObjectPath::from(format!("acme/manifests/run_date={date}/_SUCCESS"));
    rt.block_on(store.delete(&marker)).unwrap();
    let opts = RunOptions {
        skip_unchanged: true,
        ..RunOptions::new(date)
    };
    let rerun = fx.run_with(&opts).expect("the rerun copies the date again");
    assert_copied(&fx, &rerun, &rt, &store, "acme");
    assert!(
        matches!(fx.run_with(&opts), Err(personas::Error::NothingToDo { .. })),
        "with the copy complete, the same inputs are nothing new to do"
    );
}

/// Assert that the store's objects under `prefix` are exactly the files of the run's published
/// partitions, byte for byte, the date's `_SUCCESS` marker among them.
pub fn assert_copied(
    fx: &Fixture,
    report: &RunReport,
    rt: &tokio::runtime::Runtime,
    store: &dyn ObjectStore,
    prefix: &str,
) {
    let remote: BTreeMap<String, Vec<u8>> = rt.block_on(async {
        let listed: Vec<_> = store
            .list(Some(&ObjectPath::from(prefix)))
            .try_collect()
            .await
            .unwrap();
        let mut objects = BTreeMap::new();
        for meta in listed {
            let body = store
                .get(&meta.location)
                .await
                .unwrap()
                .bytes()
                .await
                .unwrap();
            let key = meta.location.as_ref()[prefix.len() + 1..].to_string();
            objects.insert(key, body.to_vec());
        }
        objects
    });
    let out = fx.path("out");
    let mut local = BTreeMap::new();
    for rel in &report.published {
        for file in walk(&out.join(rel)) {
            let key = file
                .strip_prefix(&out)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            local.insert(key, std::fs::read(&file).unwrap());
        }
    }
    assert!(local.len() > 10, "the run published {} files", local.len());
    let marker = format!("manifests/run_date={}/_SUCCESS", run_date());
    assert!(remote.contains_key(&marker), "no marker on the store");
    assert!(
        local.keys().any(|k| k.ends_with("/hubspot_import.csv")),
        "no CRM file published: {:?}",
        local.keys().collect::<Vec<_>>()
    );
    assert_eq!(
        local.keys().collect::<Vec<_>>(),
        remote.keys().collect::<Vec<_>>(),
        "the store holds exactly the published files (no stale object)"
    );
    for (key, body) in &local {
        assert_eq!(&remote[key], body, "{key} differs on the store");
    }
}

#[test]
fn a_local_publish_that_fails_leaves_the_stores_copy_unmarked() {
    aws_env();
    let fx = Fixture::sample(300, 4.0);
    let moto = Moto::start();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let marker = ObjectPath::from(format!("acme/manifests/run_date={}/_SUCCESS", run_date()));
    let store = rt.block_on(async {
        let s3 = moto.bucket("personas-out").await;
        // an earlier copy of the date, complete
        s3.put(&marker, b"earlier".to_vec().into()).await.unwrap();
        s3
    });
    fx.edit_config(|c| c + &publish_section(&moto, "s3://personas-out/acme"));
    // the fault hook aborts the process in the middle of the local publish, as a kill would
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_personas"))
        .args([
            "run",
            &fx.config.display().to_string(),
            "--date",
            &run_date().to_string(),
        ])
        .env("PERSONAS_FAULT", "abort-in-publish:2")
        .stderr(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(!status.success(), "the fault stops the local publish");
    let found = rt.block_on(store.head(&marker));
    assert!(
        matches!(found, Err(object_store::Error::NotFound { .. })),
        "the store's marker is deleted before the copy and written only after the local \
         publish: {found:?}"
    );
    // the next run rolls the local publish back, publishes, and marks the copy
    let report = fx.run().unwrap();
    assert_copied(&fx, &report, &rt, &store, "acme");
}

#[test]
fn a_copy_the_store_refuses_fails_the_run_and_publishes_nothing() {
    aws_env();
    let fx = Fixture::sample(300, 4.0);
    let moto = Moto::start();
    // no such bucket: every write is refused
    fx.edit_config(|c| c + &publish_section(&moto, "s3://no-such-bucket/acme"));
    let err = fx.run_error(4, &["s3://no-such-bucket/acme"]);
    assert!(matches!(err, personas::Error::Publish { .. }), "{err}");
    assert!(
        !personas::output::is_published(&fx.path("out"), run_date()),
        "a failed copy publishes nothing locally either"
    );
}
