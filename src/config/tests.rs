//! Tests of reading and checking a whole pipeline config.

use super::*;

/// The error of parsing `text` as `p.toml`.
fn parse_err(text: &str) -> String {
    Pipeline::parse(text, Path::new("p.toml"))
        .unwrap_err()
        .to_string()
}

#[test]
fn minimal_config_gets_defaults() {
    let p = Pipeline::parse(MINIMAL, Path::new("/x/p.toml")).unwrap();
    assert_eq!(p.config.cluster.k_min, 3);
    assert_eq!(p.output_dir(), PathBuf::from("/x/out"));
    assert_eq!(p.sql_dir(), PathBuf::from("/sql"));
    let rel = Pipeline::parse(MINIMAL, Path::new("pipelines/p.toml")).unwrap();
    assert_eq!(rel.sql_dir(), PathBuf::from("sql"));
}

#[test]
fn unknown_key_is_named() {
    let text = format!("{MINIMAL}\n[cluster]\nkk_min = 3\n");
    let err = parse_err(&text);
    assert!(err.contains("kk_min"), "{err}");
}

#[test]
fn a_criterion_group_with_an_unknown_key_is_rejected() {
    let text = format!(
        "{MINIMAL}\n[features]\ncriteria = [\"a\", \"b\", {{ name = \"g\", columns = [\"c\"], wieght = 2 }}]\n"
    );
    let err = parse_err(&text);
    assert!(err.contains("no other keys"), "{err}");
    let weighted = format!(
        "{MINIMAL}\n[features]\ncriteria = [\"a\", \"b\", {{ name = \"g\", columns = [\"c\"], weight = 2 }}]\n"
    );
    let p = Pipeline::parse(&weighted, Path::new("p.toml")).unwrap();
    assert_eq!(p.config.features.criteria()[2].weight(), 2.0);
    let zero = weighted.replace("weight = 2", "weight = 0");
    let err = parse_err(&zero);
    assert!(err.contains("weight of `g`"), "{err}");
    let ok = format!(
        "{MINIMAL}\n[features]\ncriteria = [\"a\", \"b\", {{ name = \"g\", columns = [\"c\", \"d\"] }}]\n"
    );
    let p = Pipeline::parse(&ok, Path::new("p.toml")).unwrap();
    assert_eq!(p.config.features.criteria_columns(), ["a", "b", "c", "d"]);
}

#[test]
fn criteria_can_be_auto() {
    let text = format!("{MINIMAL}\n[features]\ncriteria = \"auto\"\n");
    let p = Pipeline::parse(&text, Path::new("p.toml")).unwrap();
    assert!(p.config.features.is_auto());
    assert_eq!(
        p.config.features.criteria_columns(),
        p.config.features.candidates
    );
    let typo = format!("{MINIMAL}\n[features]\ncriteria = \"automatic\"\n");
    let err = parse_err(&typo);
    assert!(err.contains("auto"), "{err}");
}

#[test]
fn bad_k_range_is_rejected() {
    let text = format!("{MINIMAL}\n[cluster]\nk_min = 6\nk_max = 3\n");
    let err = parse_err(&text);
    assert!(err.contains("k_min"), "{err}");
}

#[test]
fn a_fit_sample_too_small_to_test_k_max_is_rejected() {
    let text = format!("{MINIMAL}\n[cluster]\nfit_contacts = 40\n");
    let err = parse_err(&text);
    assert!(
        err.contains("fit_contacts") && err.contains("at least 100"),
        "{err}"
    );
    for ok in [0, 100, 50_000] {
        let text = format!("{MINIMAL}\n[cluster]\nfit_contacts = {ok}\n");
        assert_eq!(
            Pipeline::parse(&text, Path::new("p.toml"))
                .unwrap()
                .config
                .cluster
                .fit_contacts,
            ok
        );
    }
}

#[test]
fn every_example_config_parses() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("pipelines");
    let mut n = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "toml") {
            Pipeline::load(&path).unwrap();
            n += 1;
        }
    }
    assert!(n >= 1);
}
