//! Tests of persona names: the bundled table, the config's words and languages, alliteration.

use std::collections::BTreeSet;

use super::*;
use crate::config::ProfileConfig;

/// The English words of the rules that lived in the code before the table: every run's
/// names in English must stay as they were.
const ENGLISH_BEFORE_THE_TABLE: &[(&str, &str, &str)] = &[
    ("share_discounts", "high", "Frugal"),
    ("share_docs", "high", "Technical"),
    ("share_pricing", "high", "Evaluating"),
    ("revenue", "high", "Big-Budget"),
    ("email_status", "unsubscribed", "Lapsed"),
    ("email_status", "cleaned", "Lapsed"),
    ("days_since_activity", "high", "Dormant"),
    ("company_size", "5001+", "Enterprise"),
    ("company_size", "1001-5000", "Enterprise"),
    ("company_size", "1-10", "Scrappy"),
    ("job_seniority", "executive", "Executive"),
    ("job_seniority", "director", "Director"),
    ("job_seniority", "entry", "Junior"),
    ("job_seniority", "individual_contributor", "Hands-On"),
    ("sessions", "high", "Engaged"),
    ("sessions", "low", "Quiet"),
    ("share_mobile", "high", "Mobile"),
    ("share_blog", "high", "Curious"),
    ("email_rating", "low", "Indifferent"),
];

/// A trait of `feature` (at `level`, or numeric when `None`) `std_diff` apart.
fn tr(feature: &str, level: Option<&str>, std_diff: f64) -> Trait {
    Trait {
        persona_id: "persona_1".into(),
        feature: feature.into(),
        level: level.map(String::from),
        persona_value: 0.0,
        population_value: 0.0,
        lift: None,
        std_diff,
        audience_share: None,
        audience_source: None,
        p_value: 0.0,
        p_adjusted: 0.0,
        significant: true,
        distinctive: true,
    }
}

/// A profile config from `[profile]` TOML.
fn config(toml_text: &str) -> ProfileConfig {
    toml::from_str(toml_text).unwrap()
}

/// The name of a persona with `traits` (most distinctive first), given the names in `used`.
fn name(
    traits: &[Trait],
    negative: bool,
    used: &mut BTreeSet<String>,
    cfg: &ProfileConfig,
) -> String {
    let refs: Vec<&Trait> = traits.iter().collect();
    choose_name(&refs, negative, used, cfg)
}

/// Name personas in turn under `cfg`, the names given staying taken in `used`: each case's
/// persona has the traits (most distinctive first), is negative or not, and gets the name.
fn assert_names(
    cfg: &ProfileConfig,
    used: &mut BTreeSet<String>,
    cases: &[(&[Trait], bool, &str)],
) {
    for (traits, negative, want) in cases {
        assert_eq!(name(traits, *negative, used, cfg), *want, "{traits:?}");
    }
}

#[test]
fn the_bundled_table_is_complete() {
    let t = table::parse(table::BUNDLED).unwrap();
    assert_eq!(ProfileConfig::default().language.code(), "en");
    assert_eq!(
        t.codes,
        ["en", "de", "fr", "es", "nl", "no", "da", "sv", "ru", "vi"]
    );
    for l in ["en", "de", "fr", "es", "nl", "no", "da", "sv", "ru", "vi"] {
        let lang = config(&format!("language = \"{l}\""));
        assert_eq!(t.codes[t.language(lang.language.code())], l);
    }
    let mut keys = BTreeSet::new();
    for row in &t.rows {
        assert!(keys.insert((&row.column, &row.level)), "{row:?} twice");
        assert_eq!(row.words.len(), 10, "{row:?}");
        assert!(row.words.iter().all(|w| !w.trim().is_empty()), "{row:?}");
    }
    // The English column is the old rules, word for word, and the same rows are negative.
    for (column, level, word) in ENGLISH_BEFORE_THE_TABLE {
        let row = t.find(column, level).unwrap();
        assert_eq!(row.words[0], *word);
        let negative = ["Lapsed", "Dormant", "Indifferent", "Quiet"].contains(word);
        assert_eq!(row.negative, negative, "{row:?}");
    }
    assert_eq!(t.rows.len(), ENGLISH_BEFORE_THE_TABLE.len() + 1);
    assert_eq!(t.find("*", "typical").unwrap().words[0], "Typical");
}

#[test]
fn a_broken_table_is_rejected() {
    let header = "column,level,negative,en,de\n";
    let twice = format!("{header}a,high,no,Big,Groß\na,high,yes,Large,Groß\n");
    assert!(table::parse(&twice).unwrap_err().contains("twice"));
    let missing = format!("{header}a,high,no,Big\n");
    assert!(table::parse(&missing).is_err());
    let empty = format!("{header}a,high,no,Big,\n");
    assert!(table::parse(&empty).unwrap_err().contains("`de` word"));
    let three = format!("{header}a,high,no,Big,Großer/Große/Großes\n");
    assert!(table::parse(&three).is_err());
    let maybe = format!("{header}a,high,maybe,Big,Groß\n");
    assert!(table::parse(&maybe).unwrap_err().contains("yes"));
    assert!(table::parse("level,column,negative,en\n").is_err());
}

#[test]
fn english_names_are_as_before() {
    let cfg = ProfileConfig::default();
    let mut used = BTreeSet::new();
    let frugal = [tr("share_discounts", None, 1.2), tr("sessions", None, -0.9)];
    assert_eq!(name(&frugal, false, &mut used, &cfg), "Frugal Fiona");
    // A negative persona prefers the negative word; the next one with the same traits gets
    // the other word, then another first name.
    assert_eq!(name(&frugal, true, &mut used, &cfg), "Quiet Quinn");
    // Both words taken: the trait in words.
    assert_eq!(
        name(&frugal, false, &mut used, &cfg),
        "High-Share-Discounts Hugo"
    );
    let retired = [tr("job", Some("retired"), 0.8)];
    assert_eq!(name(&retired, false, &mut used, &cfg), "Retired Rosa");
    assert_eq!(name(&[], false, &mut used, &cfg), "Typical Theo");
}

#[test]
fn a_config_word_comes_before_the_table() {
    let cfg = config(
        r#"names = [
            { column = "share_discounts", level = "high", word = "Thrifty" },
            { column = "balance", level = "high", word = "Wealthy" },
            { column = "sessions", level = "low", word = "Silent", negative = false },
            { column = "*", level = "typical", word = "Average" },
        ]"#,
    );
    let mut used = BTreeSet::new();
    let frugal = [tr("share_discounts", None, 1.2)];
    assert_eq!(name(&frugal, false, &mut used, &cfg), "Thrifty Theo");
    let rich = [tr("balance", None, 0.9)];
    assert_eq!(name(&rich, false, &mut used, &cfg), "Wealthy Will");
    // `negative = false` takes the word out of a negative persona's preference.
    let quiet = [tr("share_docs", None, 1.5), tr("sessions", None, -0.6)];
    assert_eq!(name(&quiet, true, &mut used, &cfg), "Technical Theo");
    assert_eq!(name(&[], false, &mut used, &cfg), "Average Alex");
    // An entry without `negative` is as negative as the table's row.
    let cfg = config(r#"names = [{ column = "sessions", level = "low", word = "Silent" }]"#);
    assert_eq!(name(&quiet, true, &mut BTreeSet::new(), &cfg), "Silent Sam");
}

#[test]
fn german_names_take_german_words_that_agree() {
    let cfg = config(r#"language = "de""#);
    let frugal = [tr("share_discounts", None, 1.2)];
    let curious = [tr("share_blog", None, 1.2)];
    // The word is taken in either form.
    let both = [tr("share_blog", None, 1.3), tr("share_docs", None, 1.0)];
    let quiet = [tr("share_mobile", None, 1.5), tr("sessions", None, -0.6)];
    // A word from the data's own levels stays as the data spells it.
    let retired = [tr("job", Some("retired"), 0.8)];
    assert_names(
        &cfg,
        &mut BTreeSet::new(),
        &[
            (&frugal, false, "Sparsamer Sam"),
            (&curious, false, "Neugierige Nina"),
            (&both, false, "Technischer Theo"),
            (&quiet, true, "Stiller Sam"),
            (&[], false, "Typischer Theo"),
            (&retired, false, "Retired Rosa"),
        ],
    );
}

#[test]
fn russian_names_are_cyrillic_and_alliterate() {
    let cfg = config(r#"language = "ru""#);
    let mut used = BTreeSet::new();
    let frugal = [tr("share_discounts", None, 1.2)];
    let exec = [tr("job_seniority", Some("executive"), 0.9)];
    assert_names(
        &cfg,
        &mut used,
        &[
            (&frugal, false, "Экономная Эмма"),
            (&exec, false, "Главный Глеб"),
        ],
    );
    // The table's Russian words alliterate with a Cyrillic first name.
    let t = table::bundled();
    let ru = t.language("ru");
    for row in &t.rows {
        let word = &row.words[ru];
        let initial = base_letter(word.chars().next().unwrap());
        assert!(
            CYRILLIC_FIRST_NAMES
                .iter()
                .any(|(n, _)| n.chars().next().map(base_letter) == Some(initial)),
            "{word}"
        );
    }
    // A word whose initial no first name has still gets a Cyrillic first name, agreeing.
    let cfg = config(
        r#"language = "ru"
        names = [{ column = "balance", level = "high", word = "Щедрый/Щедрая" }]"#,
    );
    let rich = [tr("balance", None, 0.9)];
    assert_eq!(name(&rich, false, &mut used, &cfg), "Щедрая Анна");
}

#[test]
fn vietnamese_names_put_the_word_after_the_first_name() {
    let cfg = config(r#"language = "vi""#);
    let frugal = [tr("share_discounts", None, 1.2)];
    // Taken words are found at the end of a name; "Đ" alliterates with "D".
    let again = [
        tr("share_discounts", None, 1.2),
        tr("job_seniority", Some("director"), 0.5),
    ];
    assert_names(
        &cfg,
        &mut BTreeSet::new(),
        &[
            (&frugal, false, "Theo Tiết Kiệm"),
            (&again, false, "Grace Giám Đốc"),
            (&[], false, "Dana Điển Hình"),
        ],
    );
}

#[test]
fn letters_alliterate_without_their_accents() {
    for (letter, base) in [
        ('É', 'E'),
        ('é', 'E'),
        ('Đ', 'D'),
        ('Ø', 'O'),
        ('Ё', 'Е'),
        ('F', 'F'),
    ] {
        assert_eq!(base_letter(letter), base, "{letter}");
    }
    let cfg = config(r#"language = "fr""#);
    let frugal = [tr("share_discounts", None, 1.2)];
    assert_eq!(
        name(&frugal, false, &mut BTreeSet::new(), &cfg),
        "Économe Emma"
    );
}
