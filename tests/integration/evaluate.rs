//! The modelling against planted personas: recovered and stable when they are separated, and
//! reported unstable when they overlap; small groups and small runs flagged, not published.

use std::path::Path;

use datafusion::arrow::array::{Array, AsArray};
use datafusion::arrow::datatypes::{Float64Type, UInt64Type};
use personas::profile::{INSUFFICIENT_SAMPLE, NEGATIVE, UNSTABLE};
use personas::tooling::evaluate::{evaluate, EvaluateOptions, Evaluation};
use personas::tooling::generate::GenerateOptions;

use crate::util::{block_on, sql_dir, Fixture};

fn run(opts: EvaluateOptions) -> Evaluation {
    let dir = tempfile::tempdir().unwrap();
    let opts = EvaluateOptions {
        dir: Some(dir.path().to_path_buf()),
        sql_dir: sql_dir(),
        ..opts
    };
    block_on(evaluate(&opts)).unwrap()
}

/// Evaluate on 1200 contacts whose planted personas overlap by `overlap`, and check whether
/// the personas are structure beyond the shuffled data's range; with the summary.
fn run_1200(overlap: f64, structured: bool) -> (Evaluation, String) {
    let e = run(EvaluateOptions {
        contacts: 1200,
        overlap,
        ..EvaluateOptions::default()
    });
    let report = e.summary();
    assert_eq!(e.structure.map(|s| s.0), Some(structured), "{report}");
    (e, report)
}

#[test]
fn separated_personas_are_recovered_and_stable() {
    let (e, report) = run_1200(0.0, true);
    // With every criterion weighing the same (issue 10) the sample generator's noise groups
    // (15 % of each trait drawn from another persona) become a fifth, stable persona: the four
    // planted ones are found whole (ARI 0.78 with k = 5; README, "Checking the modelling").
    assert!(e.ari >= 0.75, "{report}");
    assert!((4..=5).contains(&e.k), "{report}");
    assert!(e.min_stability() >= 0.75, "{report}");
    // Nothing is flagged too small or unstable (the passive subscribers are a negative persona).
    assert!(
        e.personas
            .iter()
            .all(|p| p.flags.iter().all(|f| f == NEGATIVE)),
        "{report}"
    );
    assert_eq!(
        e.personas.iter().filter(|p| p.flags.len() == 1).count(),
        1,
        "{report}"
    );
}

#[test]
fn overlapping_personas_are_reported_unstable() {
    // No structure beyond the shuffled data's range: every persona flagged, none published.
    let (e, report) = run_1200(0.9, false);
    assert!(e.ari < 0.5, "{report}");
    assert!(
        e.personas
            .iter()
            .all(|p| p.flags.iter().any(|f| f == UNSTABLE)),
        "{report}"
    );
}

#[test]
fn a_planted_group_of_15_is_flagged_and_kept_out_of_the_crm() {
    // Four planted personas of 40 and 15 researchers; the team segments on tags too (the
    // researchers' `research` and `academic` tags) and asks for five personas.
    let fx = Fixture::generated(&GenerateOptions {
        contacts: 160,
        small_group: 15,
        ..GenerateOptions::default()
    });
    fx.edit_config(|c| {
        c + r#"
[features]
criteria = [
    { name = "online_behaviour", columns = ["share_docs", "share_pricing", "share_discounts", "share_blog", "share_mobile"] },
    { name = "role", columns = ["job_seniority", "buying_role"] },
    "company_size",
    "revenue",
    "tags",
]
[cluster]
k_min = 5
k_max = 5
"#
    });
    let report = fx.run().unwrap();
    let truth = fx.truth();
    let summary = report.summary();
    // The persona holding most of the niche contacts is flagged and has no one in the CRM file.
    let mut niche_in = vec![0usize; report.personas.len()];
    for (i, id) in report.features.contact_ids.iter().enumerate() {
        if truth[id] == personas::tooling::generate::NICHE_PERSONA {
            niche_in[report.primary[i].unwrap()] += 1;
        }
    }
    let (p, n) = niche_in
        .iter()
        .enumerate()
        .max_by_key(|(_, n)| **n)
        .unwrap();
    assert!(*n >= 12, "{niche_in:?}\n{summary}");
    let persona = &report.personas[p];
    assert!(persona.size < 30, "{summary}");
    assert!(
        persona.flags.iter().any(|f| f == INSUFFICIENT_SAMPLE),
        "{summary}"
    );
    // The CRM import holds option values (persona ids): no row carries the flagged persona.
    let crm = report
        .output_dir
        .join("crm/run_date=2026-11-20/hubspot_import.csv");
    let mut rows = csv::Reader::from_path(&crm).unwrap();
    let values: Vec<String> = rows.records().map(|r| r.unwrap()[2].to_string()).collect();
    assert_eq!(values.len(), report.contacts);
    assert!(!values.contains(&persona.id), "{}", persona.id);
}

#[test]
fn the_sample_has_buyer_and_user_personas_and_one_negative() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let config = root.join("pipelines/sample.toml");
    let out = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(&config).unwrap().replace(
        "output_dir = \"../out/sample\"",
        &format!("output_dir = {:?}", out.path().display().to_string()),
    );
    let pipeline = personas::config::Pipeline::parse(&text, &config).unwrap();
    let report = block_on(personas::pipeline::run(
        &pipeline,
        &personas::pipeline::RunOptions::new(crate::util::run_date()),
    ))
    .unwrap();
    let summary = report.summary();
    let buckets: Vec<&str> = report.buckets.iter().map(|b| b.name.as_str()).collect();
    assert_eq!(buckets, ["buyer", "user"], "{summary}");
    for b in ["buyer", "user"] {
        assert!(
            report
                .personas
                .iter()
                .filter(|p| p.bucket == b && p.publishable())
                .count()
                >= 2,
            "{summary}"
        );
    }
    let negative: Vec<_> = report.personas.iter().filter(|p| p.negative).collect();
    assert_eq!(negative.len(), 1, "{summary}");
    assert!(summary.contains("NEGATIVE (do not target)"), "{summary}");
    // Every persona has a card: demographics, and online behaviour from the web data.
    for p in &report.personas {
        assert!(
            p.card.demographics.starts_with("Mostly"),
            "{}",
            p.card.demographics
        );
        assert!(!p.card.online.is_empty(), "{}", p.name);
    }
    // The tables: one personas row per persona with every card column filled where the data
    // has it, and model_quality with every k tried in each bucket, one chosen.
    let part = |t: &str| {
        out.path()
            .join(format!("{t}/run_date=2026-11-20/part-0.parquet"))
    };
    let personas = crate::util::read_parquet(&part("personas"));
    let rows: usize = personas.iter().map(|b| b.num_rows()).sum();
    assert_eq!(rows, report.personas.len());
    let filled = |column: &str| -> usize {
        personas
            .iter()
            .map(|b| {
                let a = b.column_by_name(column).unwrap().as_string::<i32>();
                a.iter().flatten().filter(|s| !s.is_empty()).count()
            })
            .sum()
    };
    for column in [
        "description",
        "demographics",
        "online_behaviour",
        "offline_behaviour",
        "preferred_channel",
        "vs_social_audience",
    ] {
        assert!(filled(column) > 0, "no persona has {column}");
    }
    // The sample has no surveys and no statements of the team's own: the "why" columns are
    // there, empty, never filled with canned text.
    for column in ["goals", "motivations", "frustrations", "barriers", "values"] {
        assert_eq!(filled(column), 0, "{column} without evidence");
    }
    let quality = crate::util::read_parquet(&part("model_quality"));
    let mut tried = Vec::new();
    for b in &quality {
        let bucket = b.column_by_name("bucket").unwrap().as_string::<i32>();
        let k = b.column_by_name("k").unwrap().as_primitive::<UInt64Type>();
        let chosen = b.column_by_name("chosen").unwrap().as_boolean();
        for i in 0..b.num_rows() {
            tried.push((bucket.value(i).to_string(), k.value(i), chosen.value(i)));
        }
    }
    for bucket in ["buyer", "user"] {
        let ks: Vec<u64> = tried
            .iter()
            .filter(|t| t.0 == bucket)
            .map(|t| t.1)
            .collect();
        assert_eq!(ks, [2, 3, 4, 5], "{tried:?}");
        assert_eq!(
            tried.iter().filter(|t| t.0 == bucket && t.2).count(),
            1,
            "{tried:?}"
        );
    }
    // Every k's gap against the shuffled copies, the bucket's verdict and the criteria with
    // their weights (each 1: the sample names none).
    for b in &quality {
        for column in [
            "gap",
            "null_log_dispersion_mean",
            "null_log_dispersion_sd",
            "gap_z",
        ] {
            let v = b
                .column_by_name(column)
                .unwrap()
                .as_primitive::<Float64Type>();
            assert_eq!(v.null_count(), 0, "{column}");
        }
        let structured = b.column_by_name("structured").unwrap().as_boolean();
        assert!((0..b.num_rows()).all(|i| structured.value(i)));
        let weights = b
            .column_by_name("criteria_weights")
            .unwrap()
            .as_string::<i32>();
        for i in 0..b.num_rows() {
            let w = weights.value(i);
            assert!(w.starts_with("online_behaviour (share_docs"), "{w}");
            assert_eq!(w.matches(" 1.00").count(), 5, "{w}");
        }
    }
}

#[test]
fn a_criterion_the_model_lacks_is_a_config_error_before_any_work() {
    let fx = Fixture::generated(&GenerateOptions {
        contacts: 120,
        ..GenerateOptions::default()
    });
    fx.edit_config(|c| {
        c + "\n[features]\ncriteria = [\"job_senority\", \"company_size\", \"revenue\"]\n"
    });
    fx.run_error(
        2,
        &["features.criteria names `job_senority`", "job_seniority"],
    );
    // Nothing was landed: the check comes first.
    assert!(!fx.path("out/landing").exists());
}
