//! Plain words for the HTML report: numbers as people read them ("40.5 %", "75,466"), feature
//! names without underscores, one-line readings of traits, stability, flags and trend statuses.
//! The technical wording stays in the report's appendix and in the tables.

use crate::cluster::Bucket;
use crate::config::{content_group_of, NegativeRule, ProfileConfig};
use crate::features::TAG_SEP;
use crate::profile::{Persona, Trait, INSUFFICIENT_SAMPLE, NEGATIVE, UNSTABLE};

/// A share with one decimal: "40.5 %".
pub fn pct1(v: f64) -> String {
    format!("{:.1} %", v * 100.0)
}

/// A share rounded: "45 %".
pub fn pct0(v: f64) -> String {
    format!("{:.0} %", v * 100.0)
}

/// A number as people read it: "75,466", "12.4", "0.52".
pub fn number(v: f64) -> String {
    if v.abs() >= 1000.0 {
        let digits = format!("{:.0}", v.abs());
        let mut out = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i) % 3 == 0 {
                out.push(',');
            }
            out.push(c);
        }
        if v < 0.0 {
            out.insert(0, '-');
        }
        out
    } else if v.abs() >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

/// Who a bucket's contacts are, in the plural: "buyers", "end users", "contacts".
pub fn people(bucket: &str) -> String {
    match bucket {
        "buyer" => "buyers".into(),
        "user" => "end users".into(),
        "all" => "contacts".into(),
        other => format!("{} contacts", other.replace('_', " ")),
    }
}

/// The kind of persona a bucket holds: "Buyer persona", "End-user persona".
pub fn kind(bucket: &str) -> &'static str {
    match bucket {
        "buyer" => "Buyer persona (decides or pays)",
        "user" => "End-user persona (uses the product)",
        _ => "Persona",
    }
}

/// A feature column in words.
pub fn feature(name: &str) -> String {
    if let Some((column, tag)) = name.split_once(TAG_SEP) {
        return format!("{} {tag}", column.trim_end_matches('s').replace('_', " "));
    }
    let known = match name {
        "share_docs" => "share of page views on docs",
        "share_pricing" => "share of page views on pricing",
        "share_discounts" => "share of page views on discounts",
        "share_blog" => "share of page views on the blog",
        "share_mobile" => "share of visits on a phone",
        "email_rating" => "email rating (1-5 stars)",
        "days_since_activity" => "days since last activity",
        "sessions" => "web sessions",
        "page_views" => "page views",
        "age_band" => "age",
        "job_seniority" => "seniority",
        "top_section" => "most-read section",
        "top_medium" => "main traffic source",
        "main_device" => "main device",
        "original_source" => "first came through",
        _ => "",
    };
    if let (true, Some(group)) = (known.is_empty(), content_group_of(name)) {
        format!("share of page views on {}", group.replace('_', " "))
    } else if known.is_empty() {
        name.replace('_', " ")
    } else {
        known.to_string()
    }
}

/// A trait's name in words: "seniority: director", "tag promo", "revenue".
pub fn trait_name(t: &Trait) -> String {
    match (&t.level, t.feature.split_once(TAG_SEP)) {
        (Some(level), Some(_)) if level == "yes" => feature(&t.feature),
        (Some(_), Some(_)) => format!("no {}", feature(&t.feature)),
        (Some(level), None) => format!("{}: {}", feature(&t.feature), level.replace('_', " ")),
        (None, _) => feature(&t.feature),
    }
}

/// One-line reading of a trait against its bucket: "64 % of them vs 31 % of all buyers (2.1
/// times as common)" or "75,466 on average vs 33,894 for all buyers (higher)".
pub fn trait_reading(t: &Trait, bucket: &str) -> String {
    let who = people(bucket);
    if t.level.is_some() {
        let times = match t.lift {
            Some(l) if l >= 1.05 => format!(" ({l:.1} times as common)"),
            Some(l) if l > 0.0 && l <= 0.95 => format!(" ({:.1} times rarer)", 1.0 / l),
            _ => String::new(),
        };
        format!(
            "{} of them vs {} of all {who}{times}",
            pct0(t.persona_value),
            pct0(t.population_value)
        )
    } else {
        let way = if t.std_diff >= 0.0 { "higher" } else { "lower" };
        let (a, b) = if t.feature.starts_with("share_") {
            (pct0(t.persona_value), pct0(t.population_value))
        } else {
            (number(t.persona_value), number(t.population_value))
        };
        format!("{a} on average vs {b} for all {who} ({way})")
    }
}

/// Stability in words.
pub fn stability(s: Option<f64>) -> String {
    match s {
        None => "stability not measured".into(),
        Some(s) if s >= 0.9 => "very stable: found again almost every time".into(),
        Some(s) if s >= 0.75 => "stable: found again most of the time".into(),
        Some(s) if s >= 0.6 => "fairly stable: usually found again".into(),
        Some(_) => "unstable: may be an accident of this sample".into(),
    }
}

/// The negative rule in words: "email status is unsubscribed or cleaned, or days since last
/// activity above 180".
pub fn negative_rule(rule: &NegativeRule) -> String {
    let parts: Vec<String> = rule
        .conditions
        .iter()
        .map(|c| {
            let name = feature(&c.column);
            match (&c.in_, c.above, c.below) {
                (Some(levels), _, _) => format!("{name} is {}", levels.join(" or ")),
                (None, Some(a), _) => format!("{name} above {}", number(a)),
                (None, None, Some(b)) => format!("{name} below {}", number(b)),
                _ => name,
            }
        })
        .collect();
    let joiner = if rule.match_ == "all" {
        ", and "
    } else {
        ", or "
    };
    parts.join(joiner)
}

/// Each flag of `p` in plain words, with its numbers.
pub fn flags(p: &Persona, bucket: Option<&Bucket>, cfg: &ProfileConfig) -> Vec<(String, String)> {
    let n = bucket.map_or(0, |b| b.rows.len());
    let who = people(&p.bucket);
    p.flags
        .iter()
        .zip(&p.flag_reasons)
        .map(|(flag, reason)| {
            let text = match flag.as_str() {
                INSUFFICIENT_SAMPLE if n < cfg.min_sample => format!(
                    "Too few people to trust: only {n} {who} in this run, at least {} needed. \
                     Its contacts get \"Not classified\" in the CRM.",
                    cfg.min_sample
                ),
                INSUFFICIENT_SAMPLE => format!(
                    "Too few people to trust: {} contacts, at least {} needed. Its contacts \
                     get \"Not classified\" in the CRM.",
                    p.size, cfg.min_persona_size
                ),
                UNSTABLE
                    if bucket
                        .and_then(|b| b.verdict.as_ref())
                        .is_some_and(|v| !v.structured) =>
                {
                    format!(
                        "Maybe not a real group: the {who} do not fall into clear groups in this \
                         run, so this split could be chance. Its contacts get \"Not \
                         classified\" in the CRM."
                    )
                }
                UNSTABLE => format!(
                    "Not reliably found again: when the data is re-drawn, this persona comes back \
                     with only {} of the same people on average ({} needed). Its contacts \
                     get \"Not classified\" in the CRM.",
                    pct0(p.stability.unwrap_or(0.0)),
                    pct0(cfg.min_stability)
                ),
                NEGATIVE => format!(
                    "Do not target: {} (at least {} of a persona is the rule: {}). Sales can use \
                     the CRM field to exclude them.",
                    reason.split(" of its contacts").next().map_or_else(
                        || reason.clone(),
                        |share| format!("{share} of its people match the do-not-target rule")
                    ),
                    pct0(cfg.negative.min_share),
                    negative_rule(&cfg.negative)
                ),
                _ => reason.clone(),
            };
            (flag.clone(), text)
        })
        .collect()
}

/// A trend status in words.
pub fn status(s: &str) -> &'static str {
    match s {
        "new" => "new: not seen in the previous run",
        "split" => "split off from a persona that still exists",
        "stable" => "stable: no real change",
        "growing" => "growing: its share rose by more than chance",
        "shrinking" => "shrinking: its share fell by more than chance",
        "drifting" => "drifting: the same people, but their profile moved",
        "merged" => "merged with another persona",
        "vanished" => "vanished: no longer found",
        _ => "no comparison recorded",
    }
}

/// `lift_changes` ("job_seniority=director 2.79 -> 2.04; ...") in words, one line each.
pub fn lift_changes(s: &str) -> Vec<String> {
    s.split("; ")
        .filter(|c| !c.trim().is_empty())
        .map(|change| {
            let mut parts = change.rsplitn(4, ' ');
            let (to, arrow, from, what) = (parts.next(), parts.next(), parts.next(), parts.next());
            match (what, from, arrow, to) {
                (Some(what), Some(from), Some("->"), Some(to)) => {
                    let what = match what.split_once('=') {
                        Some((f, l)) => format!("{}: {}", feature(f), l.replace('_', " ")),
                        None => feature(what),
                    };
                    format!("{what}: {from} → {to} times as common as in the bucket")
                }
                _ => change.to_string(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_changes_read_plainly() {
        assert_eq!(number(75466.34), "75,466");
        assert_eq!(number(-1234567.0), "-1,234,567");
        assert_eq!(number(3.6), "3.60");
        assert_eq!(pct1(0.405), "40.5 %");
        assert_eq!(
            lift_changes("job_seniority=director 2.79 -> 2.04"),
            ["seniority: director: 2.79 → 2.04 times as common as in the bucket"]
        );
        assert_eq!(feature("tags:promo"), "tag promo");
    }
}
