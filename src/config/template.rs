//! Date templates in source paths: `events_{date:%Y%m%d}.json` reads each logical date's export.
//!
//! A source `path` may hold `{date}` (the run's logical date as `YYYY-MM-DD`) or
//! `{date:<chrono format>}` (`{date:%Y%m%d}`, `{date:%Y/%m}`); `{{` and `}}` are literal braces.
//! [`check`] is the pure check of a template (run with the config checks, before any I/O);
//! [`for_date`] renders every source path of a pipeline for one run date, before its inputs
//! are resolved.

use std::fmt::Write;

use chrono::format::StrftimeItems;
use chrono::{NaiveDate, NaiveTime};

use super::Pipeline;
use crate::error::{Error, Result};

/// One piece of a parsed template.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece<'a> {
    /// Text copied as is.
    Text(&'a str),
    /// A literal `{` or `}` (written `{{` or `}}`).
    Brace(char),
    /// `{date}` (`None`) or `{date:<format>}`.
    Date(Option<&'a str>),
}

/// Split a template into pieces; the error says what is wrong and where.
fn parse(template: &str) -> std::result::Result<Vec<Piece<'_>>, String> {
    let mut pieces = Vec::new();
    let mut rest = template;
    while let Some(i) = rest.find(['{', '}']) {
        if i > 0 {
            pieces.push(Piece::Text(&rest[..i]));
        }
        let at = template.len() - rest.len() + i;
        let tail = &rest[i..];
        if tail.starts_with("{{") || tail.starts_with("}}") {
            pieces.push(Piece::Brace(tail.as_bytes()[0] as char));
            rest = &tail[2..];
            continue;
        }
        if tail.starts_with('}') {
            return Err(format!(
                "unmatched `}}` at character {} (write `}}}}` for a literal brace)",
                at + 1
            ));
        }
        let Some(end) = tail.find('}') else {
            return Err(format!(
                "unclosed `{{` at character {} (write `{{{{` for a literal brace)",
                at + 1
            ));
        };
        let inner = &tail[1..end];
        let piece = match inner.split_once(':') {
            None if inner == "date" => Piece::Date(None),
            Some(("date", fmt)) => {
                if fmt.is_empty() {
                    return Err("`{date:}` has an empty format; write `{date}` or `{date:%Y%m%d}`".into());
                }
                if StrftimeItems::new(fmt).parse().is_err() {
                    return Err(format!(
                        "`{{{inner}}}`: `{fmt}` is not a valid chrono strftime format"
                    ));
                }
                Piece::Date(Some(fmt))
            }
            _ => {
                return Err(format!(
                    "unknown placeholder `{{{inner}}}`; the only one is `{{date}}` or `{{date:<format>}}`, e.g. `{{date:%Y%m%d}}`"
                ))
            }
        };
        pieces.push(piece);
        rest = &tail[end + 1..];
    }
    if !rest.is_empty() {
        pieces.push(Piece::Text(rest));
    }
    Ok(pieces)
}

/// Check a templated path without rendering it: every `{...}` is `{date}` or
/// `{date:<valid chrono format>}`. The error is the reason, for the caller to prefix with the
/// source's name.
pub fn check(template: &str) -> std::result::Result<(), String> {
    parse(template).map(|_| ())
}

/// Whether a path holds a date placeholder (so each run date reads other files).
pub fn is_templated(template: &str) -> bool {
    parse(template).is_ok_and(|p| p.iter().any(|p| matches!(p, Piece::Date(_))))
}

/// Render a templated path for a logical date. Time fields of a format (`%H`) are those of
/// midnight.
pub fn render(template: &str, date: NaiveDate) -> std::result::Result<String, String> {
    let midnight = date.and_time(NaiveTime::MIN);
    let mut out = String::with_capacity(template.len() + 8);
    for piece in parse(template)? {
        match piece {
            Piece::Text(t) => out.push_str(t),
            Piece::Brace(c) => out.push(c),
            Piece::Date(None) => {
                let _ = write!(out, "{date}");
            }
            Piece::Date(Some(fmt)) => {
                // A zone field (`%z`) has no value for a date: formatting fails instead of
                // panicking because `write!` returns the error.
                write!(out, "{}", midnight.format(fmt)).map_err(|_| {
                    format!("`{{date:{fmt}}}` uses a field a date does not have (a time zone?)")
                })?;
            }
        }
    }
    Ok(out)
}

/// The pipeline with every source `path` rendered for `date`.
pub fn for_date(pipeline: &Pipeline, date: NaiveDate) -> Result<Pipeline> {
    let mut out = pipeline.clone();
    for s in &mut out.config.sources {
        s.path = render(&s.path, date).map_err(|why| Error::Config {
            path: pipeline.path.clone(),
            message: format!("source `{}`: path {}: {why}", s.name, s.path),
        })?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn renders_date_and_formats() {
        let date = d(2026, 11, 5);
        for (template, rendered) in [
            ("ga4/events_{date:%Y%m%d}.json", "ga4/events_20261105.json"),
            (
                "exports/{date}/contacts.csv",
                "exports/2026-11-05/contacts.csv",
            ),
            (
                "{date:%Y}/{date:%m}/x_{date:%H%M}.csv",
                "2026/11/x_0000.csv",
            ),
            ("ga4/events_*.json", "ga4/events_*.json"),
            ("odd{{name}}.csv", "odd{name}.csv"),
        ] {
            assert_eq!(render(template, date).unwrap(), rendered, "{template}");
        }
        assert!(is_templated("a_{date}.csv"));
        assert!(!is_templated("a_{{date}}.csv"));
    }

    #[test]
    fn unknown_placeholders_and_bad_formats_are_rejected() {
        let err = check("events_{day:%Y}.json").unwrap_err();
        assert!(err.contains("unknown placeholder `{day:%Y}`"), "{err}");
        assert!(check("events_{run_date}.json")
            .unwrap_err()
            .contains("{run_date}"));
        assert!(check("events_{date.json").unwrap_err().contains("unclosed"));
        assert!(check("events_date}.json")
            .unwrap_err()
            .contains("unmatched"));
        assert!(check("events_{date:}.json")
            .unwrap_err()
            .contains("empty format"));
        let err = check("events_{date:%Q}.json").unwrap_err();
        assert!(err.contains("not a valid chrono strftime format"), "{err}");
        let err = render("events_{date:%z}.json", d(2026, 1, 1)).unwrap_err();
        assert!(err.contains("time zone"), "{err}");
    }

    #[test]
    fn for_date_renders_every_source_and_names_the_bad_one() {
        let text = r#"
name = "t"
output_dir = "out"
[[sources]]
name = "crm"
kind = "hubspot_contacts"
path = "crm/contacts_{date}.csv"
[[sources]]
name = "web"
kind = "ga4_events"
path = "ga4/events_{date:%Y%m%d}*.json"
"#;
        let p = Pipeline::parse(text, std::path::Path::new("p.toml")).unwrap();
        let r = for_date(&p, d(2026, 11, 20)).unwrap();
        assert_eq!(r.config.sources[0].path, "crm/contacts_2026-11-20.csv");
        assert_eq!(r.config.sources[1].path, "ga4/events_20261120*.json");
        let mut bad = p.clone();
        bad.config.sources[1].path = "ga4/{dates}.json".into();
        let err = for_date(&bad, d(2026, 11, 20)).unwrap_err().to_string();
        assert!(
            err.contains("source `web`") && err.contains("{dates}"),
            "{err}"
        );
    }
}
