//! Scheduling: atomic runs, locks, backfills, manifests, stable persona ids and trends.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use chrono::{Days, NaiveDate, Utc};
use clap::Parser;
use datafusion::arrow::array::{Array, AsArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::DataType;
use personas::cli::{Cli, Command as CliCommand, LogFormat};
use personas::config::Pipeline;
use personas::error::Error;
use personas::output::{is_published, manifest_path, published_dates, recover};
use personas::pipeline::{self, Fault, RunOptions, RunReport};
use personas::sinks::manifest::{read_manifest, Manifest};
use personas::tooling::generate::{generate, AddedContacts, GenerateOptions};
use sha2::{Digest, Sha256};

use crate::util::{parquet_rows, read_parquet, run_config, run_date, sql_dir, walk, Fixture};

fn day(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, d).unwrap()
}

/// The `personas` binary, quiet.
fn personas_bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_personas"));
    c.stdout(Stdio::null()).stderr(Stdio::null());
    c
}

/// Run the `personas` binary with `args` and the fault `PERSONAS_FAULT` names.
fn run_with_fault(args: &[&str], fault: &str) -> std::process::ExitStatus {
    personas_bin()
        .args(args)
        .env("PERSONAS_FAULT", fault)
        .status()
        .unwrap()
}

/// Every file a reader can see under `out` (no `.`-hidden path), with its bytes.
fn visible_files(out: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    walk(out)
        .into_iter()
        .map(|p| p.strip_prefix(out).unwrap().to_path_buf())
        .filter(|rel| {
            !rel.components()
                .any(|c| c.as_os_str().to_string_lossy().starts_with('.'))
        })
        .map(|rel| {
            let bytes = std::fs::read(out.join(&rel)).unwrap();
            (rel, bytes)
        })
        .collect()
}

/// A text column of a Parquet file.
fn strings(path: &Path, column: &str) -> Vec<Option<String>> {
    let mut out = Vec::new();
    for b in read_parquet(path) {
        let c = cast(b.column_by_name(column).unwrap(), &DataType::Utf8).unwrap();
        let c = c.as_string::<i32>();
        out.extend((0..c.len()).map(|i| c.is_valid(i).then(|| c.value(i).to_string())));
    }
    out
}

fn part(out: &Path, table: &str, date: NaiveDate) -> PathBuf {
    out.join(table)
        .join(format!("run_date={date}"))
        .join("part-0.parquet")
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Keep the header and the first `n` contacts of a CSV export.
fn keep_rows(path: &Path, n: usize) {
    let text = std::fs::read_to_string(path).unwrap();
    let kept: Vec<&str> = text.lines().take(n + 1).collect();
    std::fs::write(path, kept.join("\n") + "\n").unwrap();
}

#[cfg(unix)]
fn killed(status: std::process::ExitStatus) -> bool {
    use std::os::unix::process::ExitStatusExt;
    status.signal().is_some()
}

#[test]
fn a_run_killed_midway_leaves_the_published_date_intact() {
    let fx = Fixture::sample(240, 3.0);
    let out = fx.path("out");
    fx.run().unwrap();
    let before = visible_files(&out);
    assert!(is_published(&out, run_date()));
    // New data: a run that got to publish would change every table.
    keep_rows(&fx.crm_export(), 200);
    let config = fx.config.to_str().unwrap();
    let rerun = ["run", config, "--date", "2026-11-20", "--force"];

    // Killed (no clean-up at all) after the profile stage: nothing visible changed.
    let status = run_with_fault(&rerun, "abort-after:profile");
    assert!(killed(status), "{status}");
    assert_eq!(visible_files(&out), before);
    assert!(out.join(".lock").exists() && out.join(".staging").exists());

    // Killed in the middle of the publish itself, after 3 partitions were swapped (the dead
    // run's lock is taken over). The date reads as unpublished, and no file is partial.
    let status = run_with_fault(&rerun, "abort-in-publish:3");
    assert!(killed(status), "{status}");
    assert!(
        !is_published(&out, run_date()),
        "a half publish is never marked"
    );
    for (rel, _) in visible_files(&out) {
        if rel.extension().is_some_and(|e| e == "parquet") {
            read_parquet(&out.join(&rel));
        }
    }
    assert_ne!(visible_files(&out), before);
    // The next run (here, its first step) rolls the interrupted publish back.
    assert_eq!(recover(&out).unwrap(), vec![run_date()]);
    assert_eq!(visible_files(&out), before);

    // A last stage that fails: nothing visible changes and nothing is left behind.
    let err = fx
        .run_with(&RunOptions {
            fault: Some(Fault::FailAfter("write".into())),
            ..RunOptions::new(run_date())
        })
        .unwrap_err();
    assert!(err.to_string().contains("write"), "{err}");
    assert_eq!(visible_files(&out), before);
    assert!(!out.join(".staging").exists() && !out.join(".publish").exists());
    assert!(!out.join(".lock").exists());

    // A run that succeeds replaces the date.
    fx.run().unwrap();
    assert_eq!(
        parquet_rows(&part(&out, "persona_members", run_date())),
        200
    );
    assert!(is_published(&out, run_date()));
}

/// Exports of one date: 300 contacts each of three planted personas, plus `more`, appended
/// after them (so the contacts of earlier dates are the same people on later dates).
fn exports(dir: &Path, date: NaiveDate, more: &[(&str, usize)]) {
    let base = [
        ("enterprise_decision_maker", 300),
        ("hands_on_developer", 300),
        ("passive_subscriber", 300),
    ];
    let added = base
        .iter()
        .chain(more)
        .map(|(p, n)| AddedContacts {
            persona: p.to_string(),
            contacts: *n,
        })
        .collect();
    let opts = GenerateOptions {
        contacts: 0,
        events_per_contact: 3.0,
        export_date: date,
        added,
        ..Default::default()
    };
    generate(&dir.join(format!("data_{date}")), &opts).unwrap();
}

/// A config reading the exports of each run's date (`data_{date}/...`).
fn templated_config(dir: &Path) -> PathBuf {
    let text =
        personas::tooling::generate::pipeline_config("trend", "data_{date}", "out", &sql_dir());
    let path = dir.join("pipeline.toml");
    std::fs::write(&path, text).unwrap();
    path
}

/// The persona (id, name) holding most of a planted persona's contacts.
fn found(report: &RunReport, truth: &HashMap<String, String>, planted: &str) -> (String, String) {
    let mut counts: BTreeMap<usize, usize> = BTreeMap::new();
    for (row, p) in report.primary.iter().enumerate() {
        if truth[&report.features.contact_ids[row]] == planted {
            *counts.entry(p.unwrap()).or_default() += 1;
        }
    }
    let best = counts.into_iter().max_by_key(|&(_, n)| n).unwrap().0;
    let p = &report.personas[best];
    (p.id.clone(), p.name.clone())
}

fn status<'a>(report: &'a RunReport, id: &str) -> &'a str {
    let row = report.trends.iter().find(|r| r.persona_id == id).unwrap();
    row.status.as_deref().unwrap()
}

#[test]
#[ignore = "issue 10's criteria weights make the sample generator's 15 % noise groups a fifth persona on some dates (k 3 or 5 instead of 4), so ids move; to be rewritten on a design whose k holds"]
fn three_dates_show_a_persona_growing_and_one_appearing() {
    let dir = tempfile::tempdir().unwrap();
    let grow = ("enterprise_decision_maker", 250);
    exports(dir.path(), day(18), &[]);
    exports(dir.path(), day(19), &[grow]);
    exports(dir.path(), day(20), &[grow, ("bargain_founder", 300)]);
    let config = templated_config(dir.path());
    let reports: Vec<RunReport> = [18, 19, 20]
        .map(|d| run_config(&config, &RunOptions::new(day(d))).unwrap())
        .into();
    let mut truth = HashMap::new();
    let mut r = csv::Reader::from_path(dir.path().join("data_2026-11-20/truth.csv")).unwrap();
    for rec in r.records() {
        let rec = rec.unwrap();
        truth.insert(rec[0].to_string(), rec[2].to_string());
    }
    let summaries: String = reports
        .iter()
        .map(|r| r.summary() + &r.trends_summary())
        .collect();

    // The unchanged groups and the growing one keep their ids and names on every date.
    for planted in [
        "enterprise_decision_maker",
        "hands_on_developer",
        "passive_subscriber",
    ] {
        let ids: Vec<(String, String)> =
            reports.iter().map(|r| found(r, &truth, planted)).collect();
        assert!(
            ids.iter().all(|i| *i == ids[0]),
            "{planted}: {ids:?}\n{summaries}"
        );
    }
    let (grown, _) = found(&reports[1], &truth, "enterprise_decision_maker");
    assert_eq!(status(&reports[1], &grown), "growing", "{summaries}");
    for planted in ["hands_on_developer", "passive_subscriber"] {
        let (id, _) = found(&reports[1], &truth, planted);
        assert_eq!(status(&reports[1], &id), "stable", "{planted}\n{summaries}");
        assert_eq!(status(&reports[2], &id), "stable", "{planted}\n{summaries}");
    }
    // The new group gets an id never used before.
    let (new, _) = found(&reports[2], &truth, "bargain_founder");
    let earlier: BTreeSet<&str> = reports[..2]
        .iter()
        .flat_map(|r| r.personas.iter().map(|p| p.id.as_str()))
        .collect();
    assert!(!earlier.contains(new.as_str()), "{new}\n{summaries}");
    assert_eq!(status(&reports[2], &new), "new", "{summaries}");

    // The last run's trends table holds every date, each persona's history and its status.
    let out = dir.path().join("out");
    let trends = part(&out, "persona_trends", day(20));
    let (dates, ids, statuses) = (
        strings(&trends, "date"),
        strings(&trends, "persona_id"),
        strings(&trends, "status"),
    );
    let rows: Vec<(String, String, String)> = dates
        .into_iter()
        .zip(ids)
        .zip(statuses)
        .map(|((d, i), s)| (d.unwrap(), i.unwrap(), s.unwrap()))
        .collect();
    let dates: BTreeSet<&str> = rows.iter().map(|r| r.0.as_str()).collect();
    assert_eq!(
        dates,
        BTreeSet::from(["2026-11-18", "2026-11-19", "2026-11-20"])
    );
    let has = |d: &str, id: &str, s: &str| {
        rows.iter()
            .any(|r| (r.0.as_str(), r.1.as_str(), r.2.as_str()) == (d, id, s))
    };
    assert!(has("2026-11-19", &grown, "growing"), "{rows:?}");
    assert!(has("2026-11-20", &new, "new"), "{rows:?}");
    assert!(strings(&trends, "run_date")
        .iter()
        .all(|d| d.as_deref() == Some("2026-11-20")));
    // The manifest records the previous run and how many contacts changed persona.
    let m = read_manifest(&manifest_path(&out, day(20))).unwrap();
    assert_eq!(m.previous_run_date.as_deref(), Some("2026-11-19"));
    let changed = m.contacts_changed_persona.unwrap();
    assert!((0.0..0.1).contains(&changed), "{changed}");
}

/// The tables of a date, as a reader sees them.
fn tables(
    out: &Path,
    date: NaiveDate,
) -> Vec<(String, Vec<datafusion::arrow::array::RecordBatch>)> {
    [
        "personas",
        "persona_members",
        "persona_traits",
        "model_quality",
        "persona_trends",
        "contact_features",
    ]
    .iter()
    .map(|t| (t.to_string(), read_parquet(&part(out, t, date))))
    .chain(
        // Every landed and rejected part of the date.
        crate::util::walk(out)
            .into_iter()
            .filter(|p| {
                let s = p.to_string_lossy();
                (s.contains("/landing/") || s.contains("/rejects/"))
                    && s.contains(&format!("run_date={date}"))
                    && s.ends_with(".parquet")
            })
            .map(|p| (p.display().to_string(), read_parquet(&p))),
    )
    .collect()
}

#[test]
fn rerunning_a_date_gives_identical_tables_and_unchanged_inputs_are_skipped() {
    let fx = Fixture::sample(300, 3.0);
    let out = fx.path("out");
    let (d0, d) = (run_date() - Days::new(1), run_date());
    fx.run_with(&RunOptions::new(d0)).unwrap();
    let first = fx.run().unwrap();
    assert_eq!(first.previous_run, Some(d0));
    assert!(first
        .trends
        .iter()
        .all(|r| r.status.as_deref() == Some("stable")));
    assert_eq!(first.manifest.contacts_changed_persona, Some(0.0));
    let before = tables(&out, d);
    let crm = std::fs::read(out.join("crm/run_date=2026-11-20/hubspot_import.csv")).unwrap();
    let second = fx.run().unwrap();
    for ((table, a), (_, b)) in tables(&out, d).iter().zip(&before) {
        assert!(a == b, "{table} differs after a rerun of the same date");
    }
    assert_eq!(
        std::fs::read(out.join("crm/run_date=2026-11-20/hubspot_import.csv")).unwrap(),
        crm
    );
    assert_eq!(first.personas, second.personas);

    // Nothing new: a skipping run does nothing and says so (exit code 99).
    let manifest = std::fs::read(manifest_path(&out, d)).unwrap();
    let skip = RunOptions {
        skip_unchanged: true,
        ..RunOptions::new(d)
    };
    let err = fx.run_with(&skip).unwrap_err();
    assert!(matches!(err, Error::NothingToDo { .. }), "{err}");
    assert_eq!(err.exit_code(), 99);
    assert_eq!(std::fs::read(manifest_path(&out, d)).unwrap(), manifest);
    let status = personas_bin()
        .args(["run", fx.config.to_str().unwrap(), "--date", "2026-11-20"])
        .status()
        .unwrap();
    assert_eq!(status.code(), Some(99));

    // A changed input is something new to do.
    keep_rows(&fx.crm_export(), 290);
    let report = fx.run_with(&skip).unwrap();
    assert_eq!(report.contacts, 290);
    assert_ne!(std::fs::read(manifest_path(&out, d)).unwrap(), manifest);
}

#[test]
fn a_backfill_of_seven_dates_writes_seven_partitions_and_manifests() {
    let fx = Fixture::sample(160, 2.0);
    // Each day its own CRM export, named by the date: 100 contacts on the first, 10 more a day.
    let export = std::fs::read_to_string(fx.crm_export()).unwrap();
    let lines: Vec<&str> = export.lines().collect();
    std::fs::create_dir_all(fx.path("data/crm")).unwrap();
    let dates: Vec<NaiveDate> = (14..=20).map(day).collect();
    for (i, d) in dates.iter().enumerate() {
        let text = lines[..101 + 10 * i].join("\n") + "\n";
        std::fs::write(fx.path(&format!("data/crm/contacts_{d}.csv")), text).unwrap();
    }
    let config = std::fs::read_to_string(&fx.config).unwrap().replace(
        "data/hubspot-crm-exports-all-contacts-*.csv",
        "data/crm/contacts_{date:%Y-%m-%d}.csv",
    );
    std::fs::write(&fx.config, &config).unwrap();
    let pipeline = Pipeline::load(&fx.config).unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let opts = RunOptions {
        skip_unchanged: true,
        ..RunOptions::new(day(14))
    };
    let backfill = |opts: &RunOptions| {
        rt.block_on(pipeline::backfill(
            &pipeline,
            day(14),
            day(20),
            opts,
            |_| {},
        ))
    };
    let (ran, skipped) = backfill(&opts).unwrap();
    assert_eq!((ran.clone(), skipped.len()), (dates.clone(), 0));

    let out = fx.path("out");
    assert_eq!(published_dates(&out).unwrap(), dates);
    for table in [
        "personas",
        "persona_members",
        "persona_trends",
        "crm",
        "manifests",
    ] {
        let parts = std::fs::read_dir(out.join(table)).unwrap().count();
        assert_eq!(parts, 7, "{table}");
    }
    let config_sha = sha256_hex(config.as_bytes());
    for (i, d) in dates.iter().enumerate() {
        let m: Manifest = read_manifest(&manifest_path(&out, *d)).unwrap();
        assert_eq!(
            (m.pipeline.as_str(), m.run_date.clone()),
            ("test", d.to_string())
        );
        assert_eq!(m.config_sha256, config_sha);
        assert_eq!(m.tool_version, env!("CARGO_PKG_VERSION"));
        let crm_file = fx.path(&format!("data/crm/contacts_{d}.csv"));
        let input = m.inputs.iter().find(|f| f.source == "crm").unwrap();
        let bytes = std::fs::read(&crm_file).unwrap();
        assert_eq!(input.location, format!("data/crm/contacts_{d}.csv"));
        assert_eq!(
            (input.size, input.sha256.clone()),
            (bytes.len() as u64, sha256_hex(&bytes))
        );
        let crm = m.sources.iter().find(|s| s.source == "crm").unwrap();
        assert_eq!(
            (crm.read, crm.accepted, crm.rejected),
            (100 + 10 * i as u64, 100 + 10 * i as u64, 0)
        );
        assert_eq!(m.contacts, 100 + 10 * i);
        assert_eq!(
            m.previous_run_date,
            (i > 0).then(|| dates[i - 1].to_string())
        );
        assert!(
            m.outputs.contains(&format!("personas/run_date={d}")),
            "{:?}",
            m.outputs
        );
        assert!(!m.buckets.is_empty() && m.buckets[0].k >= 2);
        assert!(m.started_at <= m.finished_at);
    }
    let history = strings(&part(&out, "persona_trends", day(20)), "date");
    let seen: BTreeSet<String> = history.into_iter().flatten().collect();
    assert_eq!(seen.len(), 7);

    // Again: every date is already published from the same inputs.
    let (ran, skipped) = backfill(&opts).unwrap();
    assert_eq!((ran.len(), skipped), (0, dates.clone()));
    // The same through the command line: nothing new for any date is exit code 99.
    let status = personas_bin()
        .args(["run", fx.config.to_str().unwrap()])
        .args(["--since", "2026-11-14", "--until", "2026-11-20"])
        .status()
        .unwrap();
    assert_eq!(status.code(), Some(99));

    // A date that fails stops the backfill and is named; the dates before it stay published.
    std::fs::remove_file(fx.path("data/crm/contacts_2026-11-17.csv")).unwrap();
    let err = backfill(&opts).unwrap_err();
    let msg = err.to_string();
    assert!(
        matches!(&err, Error::Backfill { run_date, done: 3, .. } if run_date == "2026-11-17"),
        "{msg}"
    );
    assert!(msg.contains("contacts_2026-11-17.csv"), "{msg}");
    assert_eq!(err.exit_code(), 3);
    let status = personas_bin()
        .args(["run", fx.config.to_str().unwrap()])
        .args(["--since", "2026-11-14", "--until", "2026-11-20", "--force"])
        .status()
        .unwrap();
    assert_eq!(status.code(), Some(3));
    assert_eq!(published_dates(&out).unwrap(), dates);
}

#[test]
fn a_second_run_is_refused_while_one_holds_the_lock() {
    let fx = Fixture::sample(200, 3.0);
    let out = fx.path("out");
    let mut first = personas_bin()
        .args(["run", fx.config.to_str().unwrap(), "--date", "2026-11-20"])
        .spawn()
        .unwrap();
    let pid = first.id();
    let started = Instant::now();
    while !std::fs::read_to_string(out.join(".lock"))
        .is_ok_and(|s| s.contains(&format!("\"pid\":{pid},")))
    {
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "the first run never locked"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    fx.run_error(
        75,
        &[
            "another run of this pipeline is in progress",
            &format!("process {pid} "),
        ],
    );
    assert!(first.wait().unwrap().success());
    assert!(!out.join(".lock").exists());
    assert!(is_published(&out, run_date()));
    fx.run().unwrap();
}

#[test]
fn bad_templates_and_too_small_samples_fail_with_their_exit_codes() {
    let fx = Fixture::generated(&GenerateOptions {
        contacts: 20,
        ..Default::default()
    });
    let good = std::fs::read_to_string(&fx.config).unwrap();
    std::fs::write(
        &fx.config,
        good.replace("all-contacts-*.csv", "all-contacts-{day}.csv"),
    )
    .unwrap();
    fx.run_error(2, &["source `crm`", "{day}"]);

    std::fs::write(&fx.config, &good).unwrap();
    let err = fx
        .run_with(&RunOptions {
            fail_on_insufficient_sample: true,
            ..RunOptions::new(run_date())
        })
        .unwrap_err();
    assert_eq!(err.exit_code(), 5);
    assert!(
        err.to_string().contains("below the minimum sample"),
        "{err}"
    );
    assert!(!fx.path("out/personas").exists() && !is_published(&fx.path("out"), run_date()));
}

/// Parse a command line of `personas` the way the binary does.
fn parse_personas(command: &str) -> Cli {
    Cli::try_parse_from(command.split_whitespace()).unwrap_or_else(|e| panic!("{command}: {e}"))
}

fn assert_runs(cli: &Cli, pipeline: &str, date: NaiveDate) {
    assert_eq!(cli.log_format, LogFormat::Json);
    match &cli.command {
        CliCommand::Run {
            config,
            date: Some(d),
            since: None,
            force: false,
            ..
        } => assert_eq!((config.to_str().unwrap(), *d), (pipeline, date)),
        other => panic!("not a run of one date: {other:?}"),
    }
}

#[test]
fn airflow_dag_and_crontab_run_the_logical_date() {
    let dag = Path::new(env!("CARGO_MANIFEST_DIR")).join("pipelines/airflow_dag.py");
    // Without Airflow the module only defines the command builder; with a stand-in for
    // Airflow it builds the DAG and its task.
    let script = r#"
import importlib.util, os, sys, types

def load(path):
    spec = importlib.util.spec_from_file_location("personas_dag", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module

path = sys.argv[1]
if importlib.util.find_spec("airflow") is None:
    assert load(path).DAG is None

dags, tasks = [], []
class DAG:
    def __init__(self, **kwargs):
        self.kwargs = kwargs
        dags.append(self)
    def __enter__(self):
        return self
    def __exit__(self, *exc):
        return False
class BashOperator:
    def __init__(self, **kwargs):
        tasks.append(kwargs)
airflow = types.ModuleType("airflow")
airflow.DAG = DAG
operators = types.ModuleType("airflow.operators")
bash = types.ModuleType("airflow.operators.bash")
bash.BashOperator = BashOperator
sys.modules.update({"airflow": airflow, "airflow.operators": operators, "airflow.operators.bash": bash})
os.environ.update(PERSONAS_PIPELINE="pipelines/acme.toml", PERSONAS_HOME="/srv/personas")
module = load(path)
assert len(dags) == 1 and len(tasks) == 1, (dags, tasks)
d, t = dags[0].kwargs, tasks[0]
assert d["dag_id"] == "personas_acme", d
assert d["catchup"] is True and d["max_active_runs"] == 1, d
assert t["skip_on_exit_code"] == 99 and t["cwd"] == "/srv/personas", t
assert "{{ ds }}" in t["bash_command"], t
print(t["bash_command"].replace("{{ ds }}", "2026-11-20"))
"#;
    let out = Command::new("python3")
        .arg("-c")
        .arg(script)
        .arg(&dag)
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let command = String::from_utf8(out.stdout).unwrap();
    assert_runs(
        &parse_personas(command.trim()),
        "pipelines/acme.toml",
        day(20),
    );

    // The crontab line: a valid schedule, and a command that runs yesterday's date.
    let crontab = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("pipelines/personas.crontab"),
    )
    .unwrap();
    let lines: Vec<&str> = crontab
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .collect();
    assert_eq!(lines.len(), 1, "{crontab}");
    let fields: Vec<&str> = lines[0].splitn(6, ' ').collect();
    for f in &fields[..5] {
        assert!(
            f.chars().all(|c| c.is_ascii_digit() || "*/,-".contains(c)),
            "schedule field `{f}`"
        );
    }
    let command = fields[5];
    let date_expr = "\"$(date -u -d yesterday +\\%F)\"";
    assert!(command.contains(date_expr), "{command}");
    // What cron runs: `\%` is `%`; the date is yesterday in UTC.
    let shell = Command::new("sh")
        .arg("-c")
        .arg("date -u -d yesterday +%F")
        .output()
        .unwrap();
    let yesterday: NaiveDate = String::from_utf8(shell.stdout)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert_eq!(yesterday, Utc::now().date_naive() - Days::new(1));
    let personas = command
        .split("&& ")
        .nth(1)
        .and_then(|c| c.split(" >>").next())
        .unwrap()
        .replace(date_expr, &yesterday.to_string());
    assert_runs(
        &parse_personas(&personas),
        "pipelines/sample.toml",
        yesterday,
    );
}
