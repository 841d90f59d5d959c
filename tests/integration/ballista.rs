//! The sample pipeline on a real Ballista cluster: a scheduler and two executors started as
//! processes (`personas scheduler`, `personas executor`, Ballista's own entry points), the
//! exports, the cluster's work folder and the published copy on a real S3-compatible server
//! (moto, on loopback).
//! Built with the `ballista` feature only (`cargo test --features ballista`).

use std::path::PathBuf;

use personas::cluster::adjusted_rand_index;
use personas::pipeline::RunOptions;

use crate::publish_store::{assert_copied, publish_section};
use crate::util::servers::{
    aws_env, free_port, objects_under, remote_config, Azurite, Moto, Process,
};
use crate::util::{encode, run_date, strings, Fixture};
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, ObjectStoreExt};

/// The `personas` binary this test build made.
fn personas_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_personas"))
}

/// A scheduler and `executors` executors on loopback, killed on drop.
struct LocalCluster {
    scheduler: Process,
    _executors: Vec<Process>,
}

impl LocalCluster {
    fn start(executors: usize) -> LocalCluster {
        let bin = personas_bin();
        let scheduler = Process::start(
            "personas scheduler",
            &bin,
            |port| vec!["scheduler".into(), "--port".into(), port.to_string()],
            None,
        );
        let executors = (0..executors)
            .map(|_| {
                let grpc = free_port();
                let scheduler = format!("127.0.0.1:{}", scheduler.port);
                Process::start(
                    "personas executor",
                    &bin,
                    |port| {
                        let args = [
                            "executor",
                            "--scheduler",
                            &scheduler,
                            "--port",
                            &port.to_string(),
                            "--grpc-port",
                            &grpc.to_string(),
                            "--concurrent-tasks",
                            "2",
                        ];
                        args.iter().map(|a| a.to_string()).collect()
                    },
                    None,
                )
            })
            .collect();
        LocalCluster {
            scheduler,
            _executors: executors,
        }
    }
}

/// Each contact's persona in a run's published `persona_members`, in contact order.
fn members(fx: &Fixture) -> Vec<(String, String)> {
    let path = fx.path(&format!(
        "out/persona_members/run_date={}/part-0.parquet",
        run_date()
    ));
    let ids = strings(&path, "contact_id");
    let personas = strings(&path, "persona_id");
    let mut rows: Vec<(String, String)> = ids
        .into_iter()
        .zip(personas)
        .map(|(c, p)| (c.unwrap_or_default(), p.unwrap_or_default()))
        .collect();
    rows.sort();
    rows
}

#[test]
fn the_sample_pipeline_on_a_scheduler_and_two_executors_finds_the_embedded_personas() {
    let fx = Fixture::sample(300, 4.0);
    // Fitted on 200 contacts, every contact assigned by the model's SQL: on the cluster, by
    // the executors over the feature model on the store.
    fx.edit_config(|c| c + "\n[cluster]\nfit_contacts = 200\n");
    let opts = RunOptions {
        skip_unchanged: false,
        ..RunOptions::new(run_date())
    };
    // a run the week before, so that both runs match their personas with it (on the cluster,
    // the pairs of personas and the contacts they share counted by SQL)
    // (another seed: personas that split and merge, not the same ones again)
    let week_before = run_date() - chrono::Days::new(7);
    let seed = |from: &str, to: &str| fx.edit_config(|c| c.replace(from, to));
    seed("fit_contacts = 200\n", "fit_contacts = 200\nseed = 3\n");
    fx.run_with(&RunOptions::new(week_before)).unwrap();
    seed("seed = 3\n", "");
    let embedded = fx.run_with(&opts).unwrap();
    let embedded_members = members(&fx);
    // the tables the cluster counts or writes for the sampled bucket, as the embedded run has
    // them
    let by_cluster = ["persona_members", "persona_funnel"].map(|table| {
        fx.path(&format!(
            "out/{table}/run_date={}/part-0.parquet",
            run_date()
        ))
    });
    let embedded_files = by_cluster.clone().map(|f| std::fs::read(f).unwrap());

    aws_env();
    let moto = Moto::start();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (work, out) = rt.block_on(async {
        let exports = moto.bucket("crm-exports").await;
        for (key, body) in objects_under(&fx.path("data"), "2026-11-20/") {
            exports
                .put(&ObjectPath::from(key), body.into())
                .await
                .unwrap();
        }
        (
            moto.bucket("personas-work").await,
            moto.bucket("personas-out").await,
        )
    });
    let cluster = LocalCluster::start(2);

    let store = format!(
        "[sources.store]\nendpoint = \"{}\"\npath_style = true\nallow_http = true\n",
        moto.endpoint
    );
    let config = std::fs::read_to_string(&fx.config).unwrap();
    let mut remote = remote_config(&config, "s3://crm-exports/2026-11-20", &[], &store);
    remote.push_str(&format!(
        "\n[engine]\nkind = \"ballista\"\nurl = \"df://127.0.0.1:{}\"\n\
         work_dir = \"s3://personas-work/runs\"\n\n[engine.store]\nendpoint = \"{}\"\n\
         allow_http = true\n",
        cluster.scheduler.port, moto.endpoint
    ));
    remote.push_str(&publish_section(&moto, "s3://personas-out/acme"));
    std::fs::write(&fx.config, &remote).unwrap();
    let report = fx
        .run_with(&opts)
        .unwrap_or_else(|e| panic!("{e}\n{remote}"));

    let sampled = |r: &personas::pipeline::RunReport| {
        (r.buckets.iter()).all(|b| b.contacts > 200 && b.rows.len() == b.contacts)
    };
    assert!(
        sampled(&embedded) && sampled(&report),
        "fitted on 200, all assigned"
    );
    // the cluster counts the sampled buckets' personas by SQL: its sums may add in another
    // order, so the score from the value each persona holds is equal up to rounding
    let scores = |r: &personas::pipeline::RunReport| {
        let mut personas = r.personas.clone();
        let scores: Vec<f64> = (personas.iter_mut())
            .map(|p| p.priority_score.take().unwrap_or(f64::NAN))
            .collect();
        (personas, scores)
    };
    let ((a, a_scores), (b, b_scores)) = (scores(&embedded), scores(&report));
    assert_eq!(
        a, b,
        "the same models on the cluster give the same personas"
    );
    assert!(
        (a_scores.iter().zip(&b_scores)).all(|(x, y)| (x - y).abs() <= 1e-9),
        "priority scores {a_scores:?} vs {b_scores:?}"
    );
    // the same matching with the week before: the same pairs, statuses and member overlaps
    let matched = |r: &personas::pipeline::RunReport| {
        assert_eq!(r.previous_run, Some(week_before));
        (r.trends.iter())
            .map(|t| (t.persona_id.clone(), t.status.clone(), t.member_overlap))
            .collect::<Vec<_>>()
    };
    assert_eq!(matched(&embedded), matched(&report));
    let on_cluster = members(&fx);
    // the members written from the rows the executors assigned, merged in contact order, and
    // the funnel counted by the executors: the same files
    for (file, embedded) in by_cluster.iter().zip(&embedded_files) {
        assert!(
            std::fs::read(file).unwrap() == *embedded,
            "{} from the cluster is the embedded run's, byte for byte",
            file.display()
        );
    }
    let ids = |m: &[(String, String)]| m.iter().map(|r| r.0.clone()).collect::<Vec<_>>();
    assert_eq!(
        ids(&embedded_members),
        ids(&on_cluster),
        "the same contacts"
    );
    let labels =
        |m: &[(String, String)]| encode(&m.iter().map(|r| r.1.clone()).collect::<Vec<_>>());
    let ari = adjusted_rand_index(&labels(&embedded_members), &labels(&on_cluster));
    assert!(
        ari >= 0.99,
        "ARI between the embedded and the cluster run: {ari}"
    );

    // the executors wrote the models to the work folder on the store
    let written = rt.block_on(async {
        let prefix = ObjectPath::from(format!("runs/test/{}/models", run_date()));
        let listed: Vec<_> = futures::TryStreamExt::try_collect(work.list(Some(&prefix)))
            .await
            .unwrap();
        listed.len()
    });
    assert!(written > 0, "no model was written to the work folder");
    // the executors read the previous run's members from there, not the driver
    let previous = rt.block_on(async {
        let key = format!(
            "runs/test/{}/previous/persona_members/part-0.parquet",
            run_date()
        );
        work.head(&ObjectPath::from(key)).await
    });
    assert!(previous.is_ok(), "{previous:?}");
    // and the published tables and CRM files are on the store, marker last
    assert_copied(&fx, &report, &rt, &out, "acme");
}

#[test]
fn a_work_folder_on_azure_gives_the_embedded_personas() {
    let Some(azurite) = Azurite::start() else {
        return;
    };
    let fx = Fixture::sample(300, 4.0);
    fx.edit_config(|c| c + "\n[cluster]\nfit_contacts = 200\n");
    let opts = RunOptions {
        skip_unchanged: false,
        ..RunOptions::new(run_date())
    };
    let embedded = fx.run_with(&opts).unwrap();
    let embedded_members = members(&fx);
    let rt = tokio::runtime::Runtime::new().unwrap();
    let work = rt.block_on(azurite.container("work"));
    // Every process reaches an Azure work folder with its own environment: the driver (this
    // process) and the scheduler and executors, which inherit it (Azurite's account is in it
    // already). Set for the whole test binary from here on; the other tests' Azure stores
    // name their endpoint in their config, which wins over the environment.
    std::env::set_var("AZURE_STORAGE_ENDPOINT", &azurite.endpoint);
    std::env::set_var("AZURE_ALLOW_HTTP", "true");
    let cluster = LocalCluster::start(2);
    fx.edit_config(|c| {
        c + &format!(
            "\n[engine]\nkind = \"ballista\"\nurl = \"df://127.0.0.1:{}\"\n\
             work_dir = \"az://work/runs\"\n",
            cluster.scheduler.port
        )
    });
    let report = fx.run_with(&opts).unwrap();
    assert!(
        (report.buckets.iter()).all(|b| b.fitted < b.contacts),
        "assigned by SQL"
    );
    let unscored = |r: &personas::pipeline::RunReport| {
        let mut personas = r.personas.clone();
        personas.iter_mut().for_each(|p| p.priority_score = None);
        personas
    };
    assert_eq!(unscored(&embedded), unscored(&report));
    assert_eq!(members(&fx), embedded_members, "every contact's persona");
    // the executors wrote the models to the container
    let prefix = ObjectPath::from(format!("runs/test/{}/models", run_date()));
    let written: Vec<_> = rt
        .block_on(futures::TryStreamExt::try_collect(work.list(Some(&prefix))))
        .unwrap();
    assert!(
        !written.is_empty(),
        "no model was written to the Azure work folder"
    );
}
