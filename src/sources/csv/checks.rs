//! Typing checks on the cells of CSV exports: how a column's text must look for its row to be
//! accepted (a date, a date-time, an email, a number, a boolean, an id), with the date formats
//! a source accepts. A check can also give the cell's normalised text (dates as `YYYY-MM-DD`,
//! date-times as `YYYY-MM-DD HH:MM:SS`, date-times with a UTC offset in UTC, booleans as
//! `true`/`false`, 15-character Salesforce ids as 18, zip codes without Excel's leading `'`), so
//! the staging SQL casts one shape whatever the export wrote. A cell that fails is a
//! reject: the landing names the file, line and column, and the reason given here names the
//! value and the shape expected.

use std::borrow::Cow;
use std::fmt::Write as _;

use chrono::{DateTime, NaiveDate, NaiveDateTime};

use crate::config::is_valid_format;

/// How a column's text must look for the row to be accepted (empty is always accepted).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Check {
    /// A date-time in one of the source's date-time formats (a bare date is midnight).
    DateTime,
    /// A date in one of the source's date formats.
    Date,
    /// One `@`, no spaces inside, a dot in the domain.
    Email,
    /// A decimal number.
    Number,
    /// A whole number that must be present (a HubSpot record id).
    RequiredId,
    /// Any text that must be present (an id of a generic CRM export).
    RequiredText,
    /// A Salesforce record id: 15 or 18 letters and digits, required.
    SalesforceId,
    /// A reference to a Salesforce record (`AccountId`): empty, or a Salesforce id as for
    /// [`Check::SalesforceId`] (a 15-character one normalised to 18).
    SalesforceRef,
    /// A boolean as Salesforce exports write it: `true`/`false` or `1`/`0`, any case
    /// (normalised to `true`/`false`).
    Boolean,
    /// A number, or a range like `1001-5000` or `10001+`.
    EmployeeCount,
    /// A date-time with its UTC offset, as Shopify writes it (`2026-10-07 09:50:26 +0200`) or
    /// in ISO 8601 (`2026-10-07T09:50:26+02:00`, `...Z`): normalised to UTC.
    OffsetDateTime,
    /// A number that must be present (an order's amount).
    RequiredNumber,
    /// A date-time as for [`Check::DateTime`] that must be present (an order's time).
    RequiredDateTime,
    /// A postal code: any text; the leading `'` Excel's "keep as text" trick leaves
    /// (`'75008`) is dropped.
    Zip,
}

/// The date formats a source accepts, and whether typed cells are landed normalised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Typing {
    /// chrono formats of [`Check::Date`] cells, tried in order.
    pub date_formats: Vec<String>,
    /// chrono formats of [`Check::DateTime`] cells, tried in order; a format without a time
    /// reads a bare date as midnight.
    pub datetime_formats: Vec<String>,
    /// Land dates, date-times and Salesforce ids in one normalised shape (see the module docs);
    /// otherwise cells are landed as written.
    pub normalise: bool,
}

/// Date formats of HubSpot and Mailchimp exports.
pub const EXPORT_DATE_FORMATS: &[&str] = &["%Y-%m-%d"];
/// Date-time formats of HubSpot (`2026-03-04 10:15`) and Mailchimp (`2025-07-26 11:22:06`)
/// exports, ISO 8601, or a bare date.
pub const EXPORT_DATETIME_FORMATS: &[&str] = &[
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M:%S%.fZ",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d",
];

impl Typing {
    /// Typing from static format lists.
    pub fn new(date: &[&str], datetime: &[&str], normalise: bool) -> Typing {
        Typing {
            date_formats: date.iter().map(|s| s.to_string()).collect(),
            datetime_formats: datetime.iter().map(|s| s.to_string()).collect(),
            normalise,
        }
    }
}

impl Default for Typing {
    /// The HubSpot and Mailchimp shapes, landed as written.
    fn default() -> Self {
        Typing::new(EXPORT_DATE_FORMATS, EXPORT_DATETIME_FORMATS, false)
    }
}

/// Check one cell with the default typing; `Err` carries the reason.
pub fn check_value(check: Check, value: &str) -> std::result::Result<(), String> {
    check_cell(check, value, &Typing::default()).map(|_| ())
}

/// Check one cell; `Ok(Some(text))` is the normalised text to land instead of the cell (only
/// when `typing.normalise` is set and it differs), `Err` carries the reason.
pub fn check_cell(
    check: Check,
    value: &str,
    typing: &Typing,
) -> std::result::Result<Option<String>, String> {
    let v = value.trim();
    if v.is_empty() {
        return match check {
            Check::RequiredId
            | Check::RequiredText
            | Check::SalesforceId
            | Check::RequiredNumber
            | Check::RequiredDateTime => Err("is empty".into()),
            _ => Ok(None),
        };
    }
    let (ok, normalised) = match check {
        Check::DateTime | Check::RequiredDateTime => {
            match parse_datetime_with(v, &typing.datetime_formats) {
                Some(t) => (true, Some(t.format("%Y-%m-%d %H:%M:%S").to_string())),
                None => (false, None),
            }
        }
        Check::Date => match parse_date_with(v, &typing.date_formats) {
            Some(d) => (true, Some(d.format("%Y-%m-%d").to_string())),
            None => (false, None),
        },
        Check::Email => (is_email(v), None),
        Check::Number | Check::RequiredNumber => (v.parse::<f64>().is_ok_and(f64::is_finite), None),
        Check::OffsetDateTime => match parse_offset_datetime(v) {
            Some(t) => (true, Some(t.format("%Y-%m-%d %H:%M:%S").to_string())),
            None => (false, None),
        },
        Check::Zip => (true, v.strip_prefix('\'').map(|z| z.trim().to_string())),
        Check::RequiredId => (v.parse::<i64>().is_ok(), None),
        Check::RequiredText => (true, None),
        Check::SalesforceId | Check::SalesforceRef => match salesforce_id_18(v) {
            Some(id) => (true, Some(id)),
            None => (false, None),
        },
        Check::Boolean => match parse_bool(v) {
            Some(b) => (true, Some(b.to_string())),
            None => (false, None),
        },
        Check::EmployeeCount => {
            let v = v.trim_end_matches('+');
            let ok = match v.split_once('-') {
                Some((a, b)) => a.trim().parse::<u64>().is_ok() && b.trim().parse::<u64>().is_ok(),
                None => v.replace(',', "").parse::<u64>().is_ok(),
            };
            (ok, None)
        }
    };
    if ok {
        return Ok(normalised.filter(|n| typing.normalise && n != value));
    }
    let expected: Cow<'static, str> = match check {
        Check::DateTime | Check::RequiredDateTime => example(
            "a date-time like",
            &typing.datetime_formats,
            NaiveDate::from_ymd_opt(2026, 3, 4).and_then(|d| d.and_hms_opt(10, 15, 0)),
        ),
        Check::Date => example(
            "a date like",
            &typing.date_formats,
            NaiveDate::from_ymd_opt(1989, 6, 22).and_then(|d| d.and_hms_opt(0, 0, 0)),
        ),
        Check::Email => "an email address".into(),
        Check::Number | Check::RequiredNumber => "a number".into(),
        Check::OffsetDateTime => {
            "a date-time with its UTC offset like 2026-10-07 09:50:26 +0200".into()
        }
        Check::Zip => "a postal code".into(),
        Check::RequiredId => "a whole-number id".into(),
        Check::RequiredText => "an id".into(),
        Check::SalesforceId | Check::SalesforceRef => {
            "a Salesforce id (15 or 18 letters and digits)".into()
        }
        Check::Boolean => "a boolean (true, false, 1 or 0)".into(),
        Check::EmployeeCount => "a number or a range like 1001-5000".into(),
    };
    Err(format!("{v:?} is not {expected}"))
}

/// `what` followed by the example moment written in each format (`a date like 1989-06-22 or
/// 6/22/1989`), for reasons.
fn example(what: &str, formats: &[String], at: Option<NaiveDateTime>) -> Cow<'static, str> {
    let mut shapes: Vec<String> = Vec::new();
    for f in formats.iter().take(3) {
        let mut s = String::new();
        let shown = match at {
            Some(t) if is_valid_format(f) => write!(s, "{}", t.format(f)).is_ok(),
            _ => false,
        };
        let shape = if shown { s } else { f.clone() };
        if !shapes.contains(&shape) {
            shapes.push(shape);
        }
    }
    format!("{what} {}", shapes.join(" or ")).into()
}

/// Parse the date-time shapes HubSpot and Mailchimp export.
pub fn parse_datetime(v: &str) -> Option<NaiveDateTime> {
    EXPORT_DATETIME_FORMATS.iter().find_map(|f| parse_one(v, f))
}

/// Date-time formats with a UTC offset: Shopify's exports (`2026-10-07 09:50:26 +0200`), then ISO
/// 8601 (`2026-10-07T09:50:26+02:00`; `Z` is read by RFC 3339 parsing).
pub const OFFSET_DATETIME_FORMATS: &[&str] = &["%Y-%m-%d %H:%M:%S %z", "%Y-%m-%dT%H:%M:%S%.f%:z"];

/// Parse a date-time with its UTC offset ([`OFFSET_DATETIME_FORMATS`], or RFC 3339) into UTC.
pub fn parse_offset_datetime(v: &str) -> Option<NaiveDateTime> {
    OFFSET_DATETIME_FORMATS
        .iter()
        .find_map(|f| DateTime::parse_from_str(v, f).ok())
        .or_else(|| DateTime::parse_from_rfc3339(v).ok())
        .map(|t| t.naive_utc())
}

/// Parse a date-time with the first of `formats` that reads it.
pub fn parse_datetime_with(v: &str, formats: &[String]) -> Option<NaiveDateTime> {
    formats.iter().find_map(|f| parse_one(v, f))
}

fn parse_one(v: &str, format: &str) -> Option<NaiveDateTime> {
    NaiveDateTime::parse_from_str(v, format).ok().or_else(|| {
        NaiveDate::parse_from_str(v, format)
            .ok()
            .and_then(|d| d.and_hms_opt(0, 0, 0))
    })
}

/// Parse a date with the first of `formats` that reads it.
pub fn parse_date_with(v: &str, formats: &[String]) -> Option<NaiveDate> {
    formats
        .iter()
        .find_map(|f| NaiveDate::parse_from_str(v, f).ok())
}

/// Whether `v` looks like an email address.
pub fn is_email(v: &str) -> bool {
    match v.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !domain.contains('@')
                && !v.contains(char::is_whitespace)
        }
        None => false,
    }
}

/// A boolean cell: `true`/`1` or `false`/`0`, any case; `None` for anything else.
pub fn parse_bool(v: &str) -> Option<bool> {
    if v.eq_ignore_ascii_case("true") || v == "1" {
        Some(true)
    } else if v.eq_ignore_ascii_case("false") || v == "0" {
        Some(false)
    } else {
        None
    }
}

/// A Salesforce id in its 18-character form: an 18-character id as is, a 15-character one
/// (reports, the UI) with its case-safe suffix added; `None` when it is neither.
pub fn salesforce_id_18(v: &str) -> Option<String> {
    if !v.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return None;
    }
    match v.len() {
        18 => Some(v.to_string()),
        15 => {
            const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ012345";
            let mut id = v.to_string();
            for chunk in v.as_bytes().chunks(5) {
                let bits = chunk
                    .iter()
                    .enumerate()
                    .filter(|(_, b)| b.is_ascii_uppercase())
                    .fold(0usize, |acc, (i, _)| acc | (1 << i));
                id.push(char::from(ALPHABET[bits]));
            }
            Some(id)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checks_accept_export_shapes() {
        assert!(check_value(Check::DateTime, "2026-03-04 10:15").is_ok());
        assert!(check_value(Check::DateTime, "2025-07-26 11:22:06").is_ok());
        assert!(check_value(Check::DateTime, "").is_ok());
        assert!(check_value(Check::EmployeeCount, "1001-5000").is_ok());
        assert!(check_value(Check::EmployeeCount, "10001+").is_ok());
        assert!(check_value(Check::EmployeeCount, "607").is_ok());
        assert!(check_value(Check::Email, "Marcowalker@Tyrelllabs.com").is_ok());
        assert!(check_value(Check::Email, " maria@gmail.com ").is_ok());
    }

    #[test]
    fn checks_reject_with_reason() {
        let e = check_value(Check::DateTime, "2026-13-45 10:15").unwrap_err();
        assert!(e.contains("2026-13-45"), "{e}");
        assert!(e.contains("like 2026-03-04 10:15"), "{e}");
        assert!(check_value(Check::Email, "not-an-email").is_err());
        assert!(check_value(Check::Email, "a b@c.com").is_err());
        assert!(check_value(Check::RequiredId, "").is_err());
        assert!(check_value(Check::RequiredText, " ").is_err());
        assert!(check_value(Check::Number, "12,5x").is_err());
    }

    #[test]
    fn configured_formats_are_checked_and_normalised() {
        let t = Typing::new(
            &["%Y-%m-%d", "%m/%d/%Y"],
            &["%Y-%m-%dT%H:%M:%S%.fZ", "%Y-%m-%d", "%m/%d/%Y %I:%M %p"],
            true,
        );
        let date = |v| check_cell(Check::Date, v, &t);
        assert_eq!(date("6/22/1989"), Ok(Some("1989-06-22".into())));
        assert_eq!(date("1989-06-22"), Ok(None));
        let e = date("22.06.1989").unwrap_err();
        assert!(e.contains("1989-06-22 or 06/22/1989"), "{e}");
        let dt = |v| check_cell(Check::DateTime, v, &t);
        assert_eq!(
            dt("2026-03-04T10:15:00.000Z"),
            Ok(Some("2026-03-04 10:15:00".into()))
        );
        assert_eq!(dt("2026-03-04"), Ok(Some("2026-03-04 00:00:00".into())));
        assert_eq!(
            dt("3/4/2026 1:05 PM"),
            Ok(Some("2026-03-04 13:05:00".into()))
        );
        assert!(dt("2026-03-04 25:00").is_err());
        assert!(!is_valid_format("%Y-%"));
        assert!(is_valid_format("%d.%m.%Y"));
    }

    #[test]
    fn salesforce_ids_are_checked_and_made_case_safe() {
        // A 15-character id and its documented 18-character form.
        assert_eq!(
            salesforce_id_18("001A0000006Vm9r").as_deref(),
            Some("001A0000006Vm9rIAC")
        );
        assert_eq!(
            salesforce_id_18("0035g00000AbCdEAAZ").as_deref(),
            Some("0035g00000AbCdEAAZ")
        );
        assert!(salesforce_id_18("0035g00000AbCdE-AZ").is_none());
        assert!(salesforce_id_18("12345").is_none());
        let t = Typing {
            normalise: true,
            ..Typing::default()
        };
        assert!(check_cell(Check::SalesforceId, "", &t).is_err());
        assert_eq!(
            check_cell(Check::SalesforceId, "001A0000006Vm9r", &t),
            Ok(Some("001A0000006Vm9rIAC".into()))
        );
    }

    #[test]
    fn a_salesforce_reference_may_be_empty_and_is_otherwise_an_id() {
        let t = Typing {
            normalise: true,
            ..Typing::default()
        };
        let r = |v| check_cell(Check::SalesforceRef, v, &t);
        assert_eq!(r(""), Ok(None));
        assert_eq!(r("  "), Ok(None));
        assert_eq!(r("001A0000006Vm9r"), Ok(Some("001A0000006Vm9rIAC".into())));
        assert_eq!(r("001A0000006Vm9rIAC"), Ok(None));
        // Landed as written without normalisation.
        assert_eq!(
            check_cell(Check::SalesforceRef, "001A0000006Vm9r", &Typing::default()),
            Ok(None)
        );
        for bad in ["Acme Corp", "001A0000006Vm9", "001A0000006Vm9r-AC"] {
            let e = r(bad).unwrap_err();
            assert!(
                e.contains(bad) && e.contains("a Salesforce id (15 or 18"),
                "{e}"
            );
        }
    }

    #[test]
    fn offset_date_times_are_normalised_to_utc() {
        let t = Typing {
            normalise: true,
            ..Typing::default()
        };
        let dt = |v| check_cell(Check::OffsetDateTime, v, &t);
        assert_eq!(
            dt("2026-10-07 09:50:26 +0200"),
            Ok(Some("2026-10-07 07:50:26".into()))
        );
        // Across midnight, and west of Greenwich.
        assert_eq!(
            dt("2026-11-02 00:10:00 +0100"),
            Ok(Some("2026-11-01 23:10:00".into()))
        );
        assert_eq!(
            dt("2026-11-02 22:00:00 -0500"),
            Ok(Some("2026-11-03 03:00:00".into()))
        );
        assert_eq!(
            dt("2026-10-07T09:50:26+02:00"),
            Ok(Some("2026-10-07 07:50:26".into()))
        );
        assert_eq!(
            dt("2026-10-07T09:50:26Z"),
            Ok(Some("2026-10-07 09:50:26".into()))
        );
        assert_eq!(dt(""), Ok(None));
        // Without its offset a time is ambiguous: a reject, naming the shape expected.
        let e = dt("2026-10-07 09:50:26").unwrap_err();
        assert!(
            e.contains("2026-10-07 09:50:26") && e.contains("+0200"),
            "{e}"
        );
        assert!(dt("2026-13-07 09:50:26 +0200").is_err());
    }

    #[test]
    fn required_numbers_and_times_must_be_present_and_zips_lose_excel_s_quote() {
        let t = Typing {
            normalise: true,
            ..Typing::default()
        };
        assert_eq!(
            check_cell(Check::RequiredNumber, " ", &t),
            Err("is empty".into())
        );
        assert_eq!(check_cell(Check::RequiredNumber, "12.50", &t), Ok(None));
        assert!(check_cell(Check::RequiredNumber, "12,50 EUR", &t).is_err());
        assert_eq!(
            check_cell(Check::RequiredDateTime, "", &t),
            Err("is empty".into())
        );
        assert_eq!(
            check_cell(Check::RequiredDateTime, "2026-03-04", &t),
            Ok(Some("2026-03-04 00:00:00".into()))
        );
        assert_eq!(
            check_cell(Check::Zip, "'75008", &t),
            Ok(Some("75008".into()))
        );
        assert_eq!(check_cell(Check::Zip, "SW1A 1AA", &t), Ok(None));
    }

    #[test]
    fn booleans_are_true_false_1_or_0_in_any_case() {
        let t = Typing {
            normalise: true,
            ..Typing::default()
        };
        let b = |v| check_cell(Check::Boolean, v, &t);
        assert_eq!(b(""), Ok(None));
        assert_eq!(b("true"), Ok(None));
        assert_eq!(b("false"), Ok(None));
        assert_eq!(b("TRUE"), Ok(Some("true".into())));
        assert_eq!(b(" False "), Ok(Some("false".into())));
        assert_eq!(b("1"), Ok(Some("true".into())));
        assert_eq!(b("0"), Ok(Some("false".into())));
        assert!(check_value(Check::Boolean, "TRUE").is_ok());
        for bad in ["maybe", "yes", "2", "t", "truee"] {
            let e = b(bad).unwrap_err();
            assert!(
                e.contains(&format!("{bad:?}")) && e.contains("boolean"),
                "{e}"
            );
        }
    }
}
