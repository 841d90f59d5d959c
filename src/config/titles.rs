//! `[features] titles` and `genders`: your own rules for the `job_seniority` and `gender`
//! features, tried before the bundled ones (`src/transform/rules/*.csv`, which cover English,
//! German, French, Spanish, Dutch, Norwegian, Danish, Swedish, Russian and Vietnamese). The SQL
//! they become is built in `transform::rules`; this file holds the config and its pure check.

use serde::Deserialize;

/// The `job_seniority` levels a title rule can give, most senior first (a title no rule matches
/// is `individual_contributor`, a missing one `unknown`).
pub const SENIORITY_LEVELS: [&str; 5] = [
    "executive",
    "director",
    "manager",
    "entry",
    "individual_contributor",
];

/// The `gender` values a gender rule can give (a value no rule names is `unknown`).
pub const GENDER_VALUES: [&str; 4] = ["female", "male", "other", "unknown"];

/// One job-title rule (`titles = [{ level = "director", pattern = "\\bdirettore\\b" }]`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TitleRule {
    /// The seniority a matching title gets: `executive`, `director`, `manager`, `entry` or
    /// `individual_contributor`.
    pub level: String,
    /// A regular expression (Rust `regex` syntax) matched case-insensitively anywhere in the job
    /// title: anchor with `^`/`$` or `\b` (`\\b` in a TOML basic string). Your rules are tried in
    /// order, before the bundled ones; the first that matches wins.
    pub pattern: String,
}

/// One gender value (`genders = [{ value = "2", gender = "female" }]`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenderRule {
    /// The value as the CRM writes it; compared after trimming, ignoring case.
    pub value: String,
    /// What it means: `female`, `male`, `other` or `unknown` (to override a bundled value, such
    /// as `m` where it means `mujer`).
    pub gender: String,
}

/// The pure checks of the title and gender rules: known levels and genders, patterns that
/// compile, values that are not blank.
pub fn check(titles: &[TitleRule], genders: &[GenderRule]) -> std::result::Result<(), String> {
    for t in titles {
        if !SENIORITY_LEVELS.contains(&t.level.as_str()) {
            return Err(format!(
                "features.titles: `{}` is not a seniority level (one of {})",
                t.level,
                SENIORITY_LEVELS.join(", ")
            ));
        }
        if t.pattern.contains('\u{8}') {
            return Err(format!(
                "features.titles: pattern {:?} holds a backspace: in a TOML \"...\" string write a word boundary as `\\\\b`, or use a '...' string",
                t.pattern
            ));
        }
        regex::Regex::new(&format!("(?i){}", t.pattern)).map_err(|e| {
            format!(
                "features.titles: pattern `{}` is not a valid regular expression: {e}",
                t.pattern
            )
        })?;
    }
    // The rules of one level are tried as one alternation: a capture name used twice fails there.
    for level in SENIORITY_LEVELS {
        let all: Vec<String> = titles
            .iter()
            .filter(|t| t.level == level)
            .map(|t| format!("(?:{})", t.pattern))
            .collect();
        regex::Regex::new(&all.join("|")).map_err(|e| {
            format!("features.titles: the `{level}` patterns do not combine into one regular expression: {e}")
        })?;
    }
    for g in genders {
        if g.value.trim().is_empty() {
            return Err("features.genders: a value is blank (a blank gender is `unknown`)".into());
        }
        if !GENDER_VALUES.contains(&g.gender.as_str()) {
            return Err(format!(
                "features.genders: value `{}`: `{}` is not a gender (one of {})",
                g.value,
                g.gender,
                GENDER_VALUES.join(", ")
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn title(level: &str, pattern: &str) -> TitleRule {
        TitleRule {
            level: level.into(),
            pattern: pattern.into(),
        }
    }

    fn gender(value: &str, gender: &str) -> GenderRule {
        GenderRule {
            value: value.into(),
            gender: gender.into(),
        }
    }

    #[test]
    fn good_rules_pass() {
        let titles = [
            title("director", r"\bhoofd\b"),
            title("individual_contributor", "^chef$"),
        ];
        assert_eq!(check(&titles, &[gender("2", "female")]), Ok(()));
    }

    #[test]
    fn an_unknown_level_names_the_allowed_ones() {
        let err = check(&[title("boss", "x")], &[]).unwrap_err();
        assert!(err.contains("`boss`"), "{err}");
        assert!(
            err.contains("executive, director, manager, entry, individual_contributor"),
            "{err}"
        );
    }

    #[test]
    fn a_bad_pattern_is_named_with_the_regex_error() {
        let err = check(&[title("manager", r"\bchef (de")], &[]).unwrap_err();
        assert!(err.contains(r"`\bchef (de`"), "{err}");
        assert!(err.contains("unclosed group"), "{err}");
    }

    #[test]
    fn a_toml_backspace_gets_a_hint() {
        let err = check(&[title("director", "\u{8}hoofd\u{8}")], &[]).unwrap_err();
        assert!(err.contains(r"`\\b`"), "{err}");
    }

    #[test]
    fn a_capture_name_used_twice_in_one_level_is_refused() {
        let titles = [title("manager", "(?P<x>a)"), title("manager", "(?P<x>b)")];
        assert!(check(&titles, &[]).unwrap_err().contains("`manager`"));
    }

    #[test]
    fn bad_genders_are_named() {
        let err = check(&[], &[gender("2", "woman")]).unwrap_err();
        assert!(
            err.contains("`woman`") && err.contains("female, male, other, unknown"),
            "{err}"
        );
        assert!(check(&[], &[gender(" ", "female")]).is_err());
    }

    #[test]
    fn the_features_section_reads_them() {
        let f: crate::config::FeaturesConfig = toml::from_str(
            r#"
            titles = [{ level = "director", pattern = "\\bdirettore\\b" }]
            genders = [{ value = "2", gender = "female" }]
            "#,
        )
        .unwrap();
        assert_eq!(f.titles, [title("director", r"\bdirettore\b")]);
        assert_eq!(f.genders, [gender("2", "female")]);
        let typo = r#"titles = [{ level = "director", regex = "x" }]"#;
        let err = toml::from_str::<crate::config::FeaturesConfig>(typo).unwrap_err();
        assert!(err.to_string().contains("regex"), "{err}");
        assert!(crate::config::FeaturesConfig::default().titles.is_empty());
    }
}
