//! Persona names: a unique alliterative name ("Frugal Fiona", "Technical Theo") from the
//! persona's most distinctive trait that has an adjective, so marketers remember who is who.

use std::collections::BTreeSet;

use super::traits::Trait;

/// Adjectives for distinctive traits: (feature, level or `high`/`low`, adjective).
pub const NAME_RULES: &[(&str, &str, &str)] = &[
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

/// First names by initial, for alliterative persona names.
const FIRST_NAMES: &[&str] = &[
    "Alex", "Blake", "Casey", "Dana", "Emma", "Fiona", "Grace", "Hugo", "Iris", "Jonas", "Kim",
    "Leo", "Maya", "Nina", "Omar", "Priya", "Quinn", "Rosa", "Sam", "Theo", "Uma", "Vera", "Will",
    "Yara", "Zoe",
];

/// Adjectives that suit a persona not to target.
const NEGATIVE_ADJECTIVES: &[&str] = &["Lapsed", "Dormant", "Indifferent", "Quiet"];

/// The adjective of a trait, if a rule names one.
fn adjective_of(tr: &Trait) -> Option<&'static str> {
    NAME_RULES
        .iter()
        .find(|(f, l, _)| *f == tr.feature && *l == tr.key())
        .map(|(_, _, adj)| *adj)
}

/// A trait as a name's first word, from its column and level: a level in title case
/// (`blue-collar` -> "Blue-Collar"), a yes/no column by its name ("Housing", "No-Loan"), a
/// number high or low ("High-Balance"); none for levels that say nothing (`unknown`, `other`).
fn word_of(tr: &Trait) -> Option<String> {
    let title = |text: &str| -> String {
        text.split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(|w| {
                let mut c = w.chars();
                c.next()
                    .map(|f| f.to_uppercase().chain(c).collect::<String>())
                    .unwrap_or_default()
            })
            .collect::<Vec<_>>()
            .join("-")
    };
    let feature = tr
        .feature
        .split(crate::features::TAG_SEP)
        .next_back()
        .unwrap_or("");
    let word = match tr.level.as_deref() {
        Some("unknown" | "other" | "none" | "") => return None,
        Some("yes") => title(feature),
        Some("no") => format!("No-{}", title(feature)),
        Some(level) => title(level),
        None if tr.std_diff >= 0.0 => format!("High-{}", title(&tr.feature)),
        None => format!("Low-{}", title(&tr.feature)),
    };
    (!word.is_empty() && word.chars().next().is_some_and(char::is_alphabetic)).then_some(word)
}

/// A unique alliterative name ("Frugal Fiona") from the persona's traits, most distinctive
/// first; a negative persona prefers a lapsed or dormant adjective.
pub fn choose_name(sorted: &[&Trait], negative: bool, used: &mut BTreeSet<String>) -> String {
    let negative_first = sorted
        .iter()
        .filter(|tr| {
            negative
                && NEGATIVE_ADJECTIVES
                    .iter()
                    .any(|a| adjective_of(tr) == Some(a))
        })
        .chain(sorted.iter());
    let distinct = |tr: &&&Trait| match tr.level {
        Some(_) => tr.std_diff >= 0.3,
        None => tr.std_diff.abs() >= 0.5,
    };
    let free = |adj: &str| !used.iter().any(|u| u.starts_with(adj));
    let ruled = negative_first.filter(distinct).find_map(|tr| {
        NAME_RULES
            .iter()
            .find(|(f, l, adj)| *f == tr.feature && *l == tr.key() && free(adj))
            .map(|(_, _, adj)| adj.to_string())
    });
    // No rule knows the persona's columns (a custom field, a content group): its most
    // distinctive trait in words ("Retired", "Housing", "High-Balance").
    let adjective = ruled
        .or_else(|| {
            sorted
                .iter()
                .filter(distinct)
                .filter_map(|tr| word_of(tr))
                .find(|adj| free(adj))
        })
        .unwrap_or_else(|| "Typical".to_string());
    let initial = adjective.chars().next().unwrap_or('T');
    let candidates = FIRST_NAMES
        .iter()
        .filter(|n| n.starts_with(initial))
        .chain(FIRST_NAMES.iter());
    for first in candidates {
        let name = format!("{adjective} {first}");
        if used.insert(name.clone()) {
            return name;
        }
    }
    let name = format!("{adjective} {}", used.len() + 1);
    used.insert(name.clone());
    name
}
