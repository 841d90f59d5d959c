//! The whole pipeline with its inputs on a real S3-compatible server (moto, on loopback) and one
//! input served over HTTP (with a 503 first, to show the retry), instead of on disk.

use crate::util::servers::{aws_env, objects_under, remote_config, HttpServer, Moto, Reply};
use crate::util::Fixture;
use object_store::path::Path as ObjectPath;
use object_store::ObjectStoreExt;

#[test]
fn sample_pipeline_runs_from_s3_and_http() {
    let fx = Fixture::sample(300, 4.0);
    let local = fx.run().unwrap();

    aws_env();
    let moto = Moto::start();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let bucket = "crm-exports";
    rt.block_on(async {
        let s3 = moto.bucket(bucket).await;
        for (key, body) in objects_under(&fx.path("data"), "2026-11-20/") {
            s3.put(&ObjectPath::from(key), body.into()).await.unwrap();
        }
    });
    let insights = std::fs::read(fx.path("data/meta/page_insights.json")).unwrap();
    let http = HttpServer::start(vec![
        Reply::status("503 Service Unavailable", vec![]),
        Reply::ok(&insights),
    ]);

    let store = format!(
        "[sources.store]\nendpoint = \"{}\"\npath_style = true\nallow_http = true\nretries = 2\ntimeout_secs = 10\n",
        moto.endpoint
    );
    let config = std::fs::read_to_string(&fx.config).unwrap();
    let remote = remote_config(
        &config,
        &format!("s3://{bucket}/2026-11-20"),
        &[(
            "meta/page_insights.json",
            http.url("/insights/page_insights.json"),
        )],
        &store,
    );
    std::fs::write(&fx.config, &remote).unwrap();
    let report = fx.run().unwrap_or_else(|e| panic!("{e}\n{remote}"));

    for (a, b) in local.sources.iter().zip(&report.sources) {
        assert_eq!(a.counts, b.counts, "source {}", a.name);
        assert_eq!(a.files.len(), b.files.len(), "source {}", a.name);
    }
    assert_eq!(
        local.personas, report.personas,
        "same exports, same personas, wherever they live"
    );
    assert_eq!(http.seen().len(), 2, "the 503 was retried");
    assert!(!fx
        .path("out/.staging")
        .read_dir()
        .map(|mut d| d.next().is_some())
        .unwrap_or(false));
}
