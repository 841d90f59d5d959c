//! Persona sets per country and per region (`[cluster.buckets] column = "country"`): every
//! contact lands in exactly one bucket, each bucket gets its own personas, and a country with
//! fewer contacts than `profile.min_sample` keeps its personas, flagged, rather than vanishing.
//! The small countries are written in their own scripts ("Việt Nam", "Россия"), which every text
//! output must carry through unchanged, and their contacts' job titles in their languages get
//! their seniority.

use std::collections::BTreeMap;

use personas::config::Pipeline;

use crate::util::{strings, walk, Fixture};

/// Contacts of the generator's export moved to a country of their own, far under the minimum
/// sample.
const SMALL: usize = 9;

/// Titles of the small countries' contacts (in their languages) and the seniority each means.
const TITLES: &[(&str, &[(&str, &str)])] = &[
    (
        "Việt Nam",
        &[
            ("Giám đốc kinh doanh", "director"),
            ("Tổng giám đốc", "executive"),
            ("Nhân viên kinh doanh", "individual_contributor"),
        ],
    ),
    (
        "Россия",
        &[
            ("Генеральный директор", "executive"),
            ("Руководитель отдела продаж", "director"),
            ("Стажёр", "entry"),
        ],
    ),
];

/// Move the first `SMALL` contacts of the export to Việt Nam and the next `SMALL` to Россия,
/// with job titles in those languages; the count of contacts per country after that, and the
/// seniority each moved contact's title means.
fn plant_small_countries(fx: &Fixture) -> (BTreeMap<String, usize>, BTreeMap<String, String>) {
    let path = fx.crm_export();
    let mut r = csv::Reader::from_path(&path).unwrap();
    let header = r.headers().unwrap().clone();
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let (country, title, id) = (col("Country/Region"), col("Job Title"), col("Record ID"));
    let mut w = csv::Writer::from_path(fx.path("crm.tmp")).unwrap();
    w.write_record(&header).unwrap();
    let (mut counts, mut seniority) = (BTreeMap::new(), BTreeMap::new());
    for (i, rec) in r.records().enumerate() {
        let mut row: Vec<String> = rec.unwrap().iter().map(String::from).collect();
        if let Some((name, titles)) = TITLES.get(i / SMALL) {
            let (text, level) = titles[i % titles.len()];
            (row[country], row[title]) = (name.to_string(), text.to_string());
            seniority.insert(row[id].clone(), level.to_string());
        }
        let key = if row[country].is_empty() {
            "unknown".to_string()
        } else {
            row[country].clone()
        };
        // A few spellings that differ in case and spaces: the same country.
        if i % 50 == 49 && !row[country].is_empty() {
            row[country] = format!(" {} ", row[country].to_lowercase());
        }
        *counts.entry(key).or_insert(0) += 1;
        w.write_record(&row).unwrap();
    }
    w.flush().unwrap();
    std::fs::rename(fx.path("crm.tmp"), &path).unwrap();
    (counts, seniority)
}

#[test]
fn each_country_gets_its_own_personas_and_a_small_one_is_flagged() {
    let fx = Fixture::sample(700, 2.0);
    let (countries, seniority) = plant_small_countries(&fx);
    // Persona names in Russian: Cyrillic words through every output too.
    fx.edit_config(|c| {
        c + "\n[cluster.buckets]\ncolumn = \"country\"\n\n[profile]\nlanguage = \"ru\"\n"
    });
    let report = fx.run().unwrap();
    let summary = report.summary();
    let min_sample = personas::config::ProfileConfig::default().min_sample;
    // One bucket per country, with exactly that country's contacts.
    let buckets: BTreeMap<String, usize> = (report.buckets.iter())
        .map(|b| (b.name.clone(), b.rows.len()))
        .collect();
    assert_eq!(buckets, countries, "{summary}");
    assert_eq!(buckets.values().sum::<usize>(), report.contacts);
    // Every bucket has personas; the small country's are all flagged, not dropped.
    for b in &report.buckets {
        let personas: Vec<_> = report
            .personas
            .iter()
            .filter(|p| p.bucket == b.name)
            .collect();
        assert!(!personas.is_empty(), "bucket {}: {summary}", b.name);
        if b.rows.len() < min_sample {
            let reason = format!(
                "the {} bucket has {} contacts, below the minimum sample of {min_sample}",
                b.name,
                b.rows.len()
            );
            assert!(
                personas
                    .iter()
                    .all(|p| p.flags.iter().any(|f| f == "insufficient_sample")
                        && p.flag_reasons.contains(&reason)),
                "bucket {}: {summary}",
                b.name
            );
        }
    }
    assert!(summary.contains("Việt Nam"), "{summary}");
    let in_viet_nam: usize = (report.personas.iter())
        .filter(|p| p.bucket == "Việt Nam")
        .map(|p| p.size)
        .sum();
    assert_eq!(in_viet_nam, SMALL);
    // The report names each country's persona set.
    let report_md =
        std::fs::read_to_string(fx.path("out/report/run_date=2026-11-20/personas.md")).unwrap();
    assert!(report_md.contains("## Personas: Việt Nam"), "{report_md}");
    // Every text output is UTF-8 without mojibake; the tables and both reports name the country.
    let mut naming = Vec::new();
    for path in walk(&fx.path("out")) {
        let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
        if ["csv", "md", "html", "json"].contains(&ext) {
            let text = std::fs::read_to_string(&path).unwrap();
            assert!(
                !text.contains("Ã") && !text.contains('\u{fffd}'),
                "{}",
                path.display()
            );
            if text.contains("Việt Nam") {
                naming.push(ext.to_string());
            }
        }
    }
    assert!(naming.iter().any(|e| e == "html"), "{naming:?}");
    // Every persona's Russian name, exactly as the run chose it, in the report, and every
    // unflagged one in the CRM's options file.
    let options =
        std::fs::read_to_string(fx.path("out/crm/run_date=2026-11-20/hubspot_persona_options.csv"))
            .unwrap();
    let cyrillic = |name: &str| name.chars().any(|c| ('А'..='я').contains(&c));
    assert!(
        (report.personas.iter()).any(|p| p.flags.is_empty() && cyrillic(&p.name)),
        "{summary}"
    );
    assert!(
        report.personas.iter().any(|p| cyrillic(&p.name)),
        "{summary}"
    );
    for p in &report.personas {
        assert!(report_md.contains(&p.name), "{}", p.name);
        if p.flags.is_empty() {
            assert!(options.contains(&p.name), "{}: {options}", p.name);
        }
    }
    let buckets = strings(
        &fx.path("out/personas/run_date=2026-11-20/part-0.parquet"),
        "bucket",
    );
    assert!(buckets.iter().any(|b| b.as_deref() == Some("Việt Nam")));
    assert!(buckets.iter().any(|b| b.as_deref() == Some("Россия")));
    // The Vietnamese and Russian titles have their seniority, by the rules' data file.
    let features = fx.path("out/contact_features/run_date=2026-11-20/part-0.parquet");
    let ids = strings(&features, "contact_id");
    let levels = strings(&features, "job_seniority");
    let found: BTreeMap<String, String> = (ids.into_iter().zip(levels))
        .filter_map(|(id, level)| Some((id?, level?)))
        .filter(|(id, _)| seniority.contains_key(id))
        .collect();
    assert_eq!(found, seniority);
}

#[test]
fn regions_group_countries_and_the_rest_is_other() {
    let fx = Fixture::sample(500, 2.0);
    let (countries, _) = plant_small_countries(&fx);
    fx.edit_config(|c| {
        c + "\n[cluster.buckets]\ncolumn = \"country\"\n\
             regions = { Europe = [\"germany\", \"Ireland\", \"Netherlands\", \"Việt Nam\", \"United Kingdom\"] }\n"
    });
    let report = fx.run().unwrap();
    let europe: usize = [
        "Germany",
        "Ireland",
        "Netherlands",
        "Việt Nam",
        "United Kingdom",
    ]
    .iter()
    .filter_map(|c| countries.get(*c))
    .sum();
    let buckets: BTreeMap<String, usize> = (report.buckets.iter())
        .map(|b| (b.name.clone(), b.rows.len()))
        .collect();
    let mut want = BTreeMap::from([("Europe".to_string(), europe)]);
    if report.contacts > europe {
        want.insert("other".into(), report.contacts - europe);
    }
    assert_eq!(buckets, want, "{}", report.summary());
}

#[test]
fn bucket_configs_that_cannot_work_are_refused() {
    let fx = Fixture::sample(20, 1.0);
    let check = |extra: &str| {
        let config = std::fs::read_to_string(&fx.config).unwrap();
        let path = fx.path("check.toml");
        std::fs::write(&path, format!("{config}\n[cluster.buckets]\n{extra}")).unwrap();
        Pipeline::load(&path).map(|_| ()).map_err(|e| e.to_string())
    };
    let err = check("column = \"buying_roles\"\nregions = { A = [\"x\"] }\n").unwrap_err();
    assert!(err.contains("regions"), "{err}");
    let err = check("column = \"country\"\nregions = { A = [\"Spain\"], B = [\"spain\"] }\n")
        .unwrap_err();
    assert!(err.contains("`spain` is in both `A` and `B`"), "{err}");
    let err = check("unmapped = \"nobody\"\n").unwrap_err();
    assert!(err.contains("unmapped"), "{err}");
    check("column = \"country\"\n").unwrap();
}
