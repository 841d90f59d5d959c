//! Your own CRM fields as criteria, by config alone: a bank's customer file (semicolon
//! separated, quoted like the UCI bank marketing data, its own columns: balance, housing loan,
//! marital status, education, ...) read as a `csv` source, with three planted customer groups.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::Path;

use datafusion::arrow::array::{Array, AsArray};
use datafusion::arrow::datatypes::{DataType, Float64Type};
use personas::pipeline::RunOptions;
use rand::{Rng, SeedableRng};

use crate::util::{feature_column, missing_column_of, read_parquet, run_config, run_date};

/// The bank's customers: students (single, secondary school, small balance, no housing loan),
/// families (married, housing loan, middle balance) and retirees (large balance, no loans); the
/// planted group of each customer id.
fn bank_file(path: &Path, customers: usize) -> HashMap<String, usize> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    let mut text = String::from(
        "\"id\";\"email\";\"age\";\"job\";\"marital\";\"education\";\"default\";\"balance\";\"housing\";\"loan\";\"last contact\"\n",
    );
    let mut truth = HashMap::new();
    for i in 0..customers {
        let group = i % 3;
        let noisy = rng.gen_bool(0.1);
        let pick = |rng: &mut rand::rngs::StdRng, options: &[&'static str]| {
            options[rng.gen_range(0..options.len())]
        };
        let (age, job, marital, education, balance, housing, loan) = match group {
            0 => (
                rng.gen_range(19..26),
                pick(&mut rng, &["student", "services"]),
                if noisy { "married" } else { "single" },
                "secondary",
                rng.gen_range(-200.0..600.0),
                if noisy { "yes" } else { "no" },
                "no",
            ),
            1 => (
                rng.gen_range(30..50),
                pick(&mut rng, &["blue-collar", "technician", "admin."]),
                if noisy { "divorced" } else { "married" },
                pick(&mut rng, &["secondary", "tertiary"]),
                rng.gen_range(800.0..4000.0),
                if noisy { "no" } else { "yes" },
                pick(&mut rng, &["yes", "no"]),
            ),
            _ => (
                rng.gen_range(62..85),
                "retired",
                pick(&mut rng, &["married", "divorced"]),
                pick(&mut rng, &["primary", "tertiary"]),
                rng.gen_range(8000.0..40000.0),
                "no",
                "no",
            ),
        };
        let day = rng.gen_range(1..28);
        // Decimal commas, as a European export writes them.
        let balance = format!("{balance:.2}").replace('.', ",");
        let _ = writeln!(
            text,
            "\"{i}\";\"c{i}@bank.example\";{age};\"{job}\";\"{marital}\";\"{education}\";\"no\";{balance};\"{housing}\";\"{loan}\";\"{day:02}.10.2026\""
        );
        truth.insert(i.to_string(), group);
    }
    std::fs::write(path, text).unwrap();
    truth
}

/// The bank's pipeline: the file as a `csv` source, its own columns as features, four of them
/// the criteria (the README shows the same config).
fn bank_config(dir: &Path, extra_column: &str) -> std::path::PathBuf {
    let text = format!(
        r#"name = "bank"
output_dir = "out"
sql_dir = "{sql}"

[[sources]]
name = "customers"
kind = "csv"
path = "bank-full.csv"
delimiter = ";"
date_format = "%d.%m.%Y"
[sources.columns]
contact_id = "id"
email = "email"

[features]
criteria = ["balance", "housing", "marital", "education"]
columns = [
    {{ name = "balance", type = "numeric" }},
    {{ name = "housing", type = "boolean" }},
    {{ name = "loan", type = "boolean" }},
    {{ name = "marital", type = "categorical" }},
    {{ name = "education", type = "categorical" }},
    {{ name = "job", type = "categorical" }},
    {{ name = "balance_band", column = "balance", type = "numeric", bins = [0, 1000, 5000] }},
    {{ name = "days_since_contact", column = "last contact", type = "date" }},{extra_column}
]

[cluster]
k_min = 2
k_max = 5
"#,
        sql = crate::util::sql_dir().display()
    );
    let path = dir.join("bank.toml");
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn a_bank_file_segments_on_its_own_columns_by_config_alone() {
    let dir = tempfile::tempdir().unwrap();
    let truth = bank_file(&dir.path().join("bank-full.csv"), 600);
    let config = bank_config(dir.path(), "");
    let report = run_config(&config, &RunOptions::new(run_date())).unwrap();
    assert_eq!(report.contacts, 600, "{}", report.summary());

    // Typed as the config says, from the file's text.
    let balance = feature_column(dir.path(), "balance");
    let text = std::fs::read_to_string(dir.path().join("bank-full.csv")).unwrap();
    let row1: Vec<&str> = text.lines().nth(2).unwrap().split(';').collect();
    let want: f64 = row1[7].replace(',', ".").parse().unwrap();
    let got: f64 = balance["1"].as_deref().unwrap().parse().unwrap();
    assert!((got - want).abs() < 1e-9, "{got} against {want}");
    let housing = feature_column(dir.path(), "housing");
    assert_eq!(housing["1"].as_deref(), Some(row1[8].trim_matches('"')));
    let band = feature_column(dir.path(), "balance_band");
    assert_eq!(band["2"].as_deref(), Some(">= 5000"), "a retiree's balance");
    let days = feature_column(dir.path(), "days_since_contact");
    let day: i64 = row1[10].trim_matches('"')[..2].parse().unwrap();
    let got: f64 = days["1"].as_deref().unwrap().parse().unwrap();
    let want = (run_date() - chrono::NaiveDate::from_ymd_opt(2026, 10, day as u32).unwrap())
        .num_days() as f64;
    assert!((got - want).abs() < 1e-9, "{got} days against {want}");

    // The own columns are the criteria, and the planted groups come out as personas.
    let criteria: Vec<String> = report.manifest.buckets[0]
        .criteria
        .iter()
        .flat_map(|c| c.columns.clone())
        .collect();
    for c in ["balance", "housing", "marital", "education"] {
        assert!(criteria.iter().any(|x| x == c), "{c} in {criteria:?}");
    }
    let mut by_group: HashMap<usize, HashMap<usize, usize>> = HashMap::new();
    for (row, p) in report.primary.iter().enumerate() {
        let group = truth[&report.features.contact_ids[row]];
        *by_group
            .entry(group)
            .or_default()
            .entry(p.unwrap())
            .or_default() += 1;
    }
    let majority: Vec<usize> = (0..3)
        .map(|g| *by_group[&g].iter().max_by_key(|(_, n)| **n).unwrap().0)
        .collect();
    assert!(
        majority[0] != majority[1] && majority[1] != majority[2] && majority[0] != majority[2],
        "each planted group has its own persona: {by_group:?}"
    );
    // Named from their own columns: no two share a first word, none is "Typical".
    let stems: Vec<&str> = report
        .personas
        .iter()
        .map(|p| p.name.split(' ').next().unwrap())
        .collect();
    let unique: std::collections::BTreeSet<&&str> = stems.iter().collect();
    assert_eq!(unique.len(), stems.len(), "{stems:?}");
    assert!(!stems.contains(&"Typical"), "{stems:?}");
    let traits: Vec<&str> = report
        .personas
        .iter()
        .flat_map(|p| &p.top_traits)
        .map(String::as_str)
        .collect();
    assert!(
        traits
            .iter()
            .any(|t| t.starts_with("balance") || t.starts_with("housing")),
        "{traits:?}"
    );
}

#[test]
fn an_own_column_the_file_lacks_is_named_with_the_columns_found() {
    let dir = tempfile::tempdir().unwrap();
    bank_file(&dir.path().join("bank-full.csv"), 30);
    let config = bank_config(
        dir.path(),
        "\n    { name = \"salary\", type = \"numeric\" },",
    );
    let err = run_config(&config, &RunOptions::new(run_date())).unwrap_err();
    let file = missing_column_of(&err, "salary", &["balance", "last contact"]);
    assert!(file.ends_with("bank-full.csv"), "{file}");
    assert!(!dir.path().join("out/personas").exists());
}

#[test]
fn float_columns_of_the_features_are_numbers() {
    // A numeric own column is a float in the feature table (it is standardised, not one-hot).
    let dir = tempfile::tempdir().unwrap();
    bank_file(&dir.path().join("bank-full.csv"), 90);
    let config = bank_config(dir.path(), "");
    run_config(&config, &RunOptions::new(run_date())).unwrap();
    let path = dir.path().join(format!(
        "out/contact_features/run_date={}/part-0.parquet",
        run_date()
    ));
    for b in read_parquet(&path) {
        let balance = b.column_by_name("balance").unwrap();
        assert_eq!(balance.data_type(), &DataType::Float64);
        assert!(balance.as_primitive::<Float64Type>().null_count() < b.num_rows());
    }
}
