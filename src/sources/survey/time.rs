//! Submission times of survey exports, read into UTC:
//! - Typeform writes `Submit Date (UTC)` as `2025-02-22 17:16:39`, in UTC;
//! - a Google Forms download writes `Timestamp` as `2020/10/30 3:08:44 PM GMT+1` (the form's
//!   zone as an offset from GMT, `GMT` alone for zero, `GMT+5:30` for half hours); the linked
//!   sheet exported as CSV writes it in the sheet's locale without a zone (`11/2/2026 10:15:03`
//!   in the US, `2/11/2026 10:15:03` in the UK, `02.11.2026 10:15:03` in Germany), read as UTC.
//!   Whether a file's slashed dates put the day or the month first is decided once per file
//!   ([`day_order`]): day first when some date has a first number over 12, else month first
//!   (the sheets' default locale);
//! - the long answers CSV: ISO 8601 / RFC 3339 (`2026-11-02T10:15:03Z`,
//!   `2026-11-02 10:15:03`, a date alone is midnight), UTC unless an offset is given.
//!
//! Narrow and plain no-break spaces (which newer locales put before `AM`/`PM`) read as spaces.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, TimeZone, Utc};

/// Whether slashed dates (`2/11/2026`) of a file put the month or the day first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DayOrder {
    /// `11/2/2026` is November 2nd.
    MonthFirst,
    /// `2/11/2026` is November 2nd.
    DayFirst,
}

/// The order of a file's slashed dates: day first when some date's first number is over 12.
pub fn day_order<'a>(values: impl Iterator<Item = &'a str>) -> DayOrder {
    for v in values {
        let mut parts = v.trim().splitn(3, '/');
        let (Some(a), Some(_), Some(rest)) = (parts.next(), parts.next(), parts.next()) else {
            continue;
        };
        // Only `D/M/YYYY ...`, not `YYYY/MM/DD ...` (the download's own shape).
        let year = rest
            .get(..4)
            .is_some_and(|y| y.bytes().all(|b| b.is_ascii_digit()));
        if a.len() <= 2 && year && a.parse::<u32>().is_ok_and(|n| n > 12) {
            return DayOrder::DayFirst;
        }
    }
    DayOrder::MonthFirst
}

/// Spaces normalised: no-break spaces as spaces, runs of spaces as one, trimmed.
fn clean(v: &str) -> String {
    v.replace(['\u{202f}', '\u{a0}'], " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

fn naive(v: &str, formats: &[&str]) -> Option<NaiveDateTime> {
    formats.iter().find_map(|f| {
        NaiveDateTime::parse_from_str(v, f).ok().or_else(|| {
            NaiveDate::parse_from_str(v, f)
                .ok()
                .and_then(|d| d.and_hms_opt(0, 0, 0))
        })
    })
}

/// A Typeform `Submit Date (UTC)` (or `Start Date (UTC)`), or an RFC 3339 time.
pub fn typeform(v: &str) -> Option<DateTime<Utc>> {
    let v = clean(v);
    iso_with_offset(&v).or_else(|| {
        naive(&v, &["%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M"]).map(|t| Utc.from_utc_datetime(&t))
    })
}

/// An RFC 3339 time (`2026-11-02T10:15:03+01:00`, `...Z`), in UTC.
fn iso_with_offset(v: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(v)
        .or_else(|_| DateTime::parse_from_str(v, "%Y-%m-%d %H:%M:%S%:z"))
        .or_else(|_| DateTime::parse_from_str(v, "%Y-%m-%d %H:%M:%S %z"))
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// A time of the long answers CSV: RFC 3339, or a zone-less ISO time or date read as UTC.
pub fn iso(v: &str) -> Option<DateTime<Utc>> {
    let v = clean(v);
    iso_with_offset(&v).or_else(|| {
        naive(
            &v,
            &[
                "%Y-%m-%d %H:%M:%S%.f",
                "%Y-%m-%dT%H:%M:%S%.f",
                "%Y-%m-%d %H:%M",
                "%Y-%m-%d",
            ],
        )
        .map(|t| Utc.from_utc_datetime(&t))
    })
}

/// The offset of a trailing `GMT...` / `UTC...` zone (`GMT`, `GMT+1`, `GMT-4`, `GMT+5:30`,
/// `GMT+05:30`, `GMT+0530`).
fn gmt_offset(zone: &str) -> Option<FixedOffset> {
    let rest = zone
        .strip_prefix("GMT")
        .or_else(|| zone.strip_prefix("UTC"))?;
    if rest.is_empty() {
        return FixedOffset::east_opt(0);
    }
    let (sign, digits) = match rest.as_bytes().first()? {
        b'+' => (1, &rest[1..]),
        b'-' => (-1, &rest[1..]),
        _ => return None,
    };
    let (h, m) = match digits.split_once(':') {
        Some((h, m)) => (h, m),
        None if digits.len() == 4 => digits.split_at(2),
        None => (digits, "0"),
    };
    let (h, m): (i32, i32) = (h.parse().ok()?, m.parse().ok()?);
    if h > 14 || m > 59 || digits.is_empty() {
        return None;
    }
    FixedOffset::east_opt(sign * (h * 3600 + m * 60))
}

/// A Google Forms `Timestamp`: the download's shape with its zone, or the sheet's locale
/// shapes (read as UTC), slashed dates in `order`.
pub fn google(v: &str, order: DayOrder) -> Option<DateTime<Utc>> {
    let v = clean(v);
    if let Some(t) = iso_with_offset(&v) {
        return Some(t);
    }
    let (body, offset) = match v.rsplit_once(' ') {
        Some((body, zone)) if zone.starts_with("GMT") || zone.starts_with("UTC") => {
            (body, gmt_offset(zone)?)
        }
        _ => (v.as_str(), FixedOffset::east_opt(0)?),
    };
    let slashed: &[&str] = match order {
        DayOrder::MonthFirst => &[
            "%m/%d/%Y %H:%M:%S",
            "%m/%d/%Y %I:%M:%S %p",
            "%m/%d/%Y %H:%M",
        ],
        DayOrder::DayFirst => &[
            "%d/%m/%Y %H:%M:%S",
            "%d/%m/%Y %I:%M:%S %p",
            "%d/%m/%Y %H:%M",
        ],
    };
    let own: &[&str] = &[
        "%Y/%m/%d %I:%M:%S %p",
        "%Y/%m/%d %H:%M:%S",
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%dT%H:%M:%S",
        "%d.%m.%Y %H:%M:%S",
        "%d.%m.%Y %H:%M",
    ];
    let t = naive(body, own).or_else(|| naive(body, slashed))?;
    offset
        .from_local_datetime(&t)
        .single()
        .map(|t| t.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn google_download_times_carry_their_zone() {
        let m = DayOrder::MonthFirst;
        assert_eq!(
            google("2020/10/30 3:08:44 PM GMT+1", m),
            Some(utc("2020-10-30T14:08:44Z"))
        );
        assert_eq!(
            google("2026/11/02 10:15:03 AM GMT+1", m),
            Some(utc("2026-11-02T09:15:03Z"))
        );
        assert_eq!(
            google("2026/11/02 12:05:00 am GMT", m),
            Some(utc("2026-11-02T00:05:00Z"))
        );
        assert_eq!(
            google("2026/11/02 10:15:03\u{202f}PM GMT+5:30", m),
            Some(utc("2026-11-02T16:45:03Z"))
        );
        assert_eq!(
            google("2026/11/02 10:15:03 AM GMT-04:00", m),
            Some(utc("2026-11-02T14:15:03Z"))
        );
        assert_eq!(google("2026/11/02 10:15:03 AM GMT+99", m), None);
        assert_eq!(google("yesterday", m), None);
    }

    #[test]
    fn sheet_locale_times_follow_the_file_s_day_order() {
        let values = ["11/2/2026 10:15:03", "3/4/2026 09:00:00"];
        assert_eq!(day_order(values.iter().copied()), DayOrder::MonthFirst);
        let m = google("11/2/2026 10:15:03", DayOrder::MonthFirst);
        assert_eq!(m, Some(utc("2026-11-02T10:15:03Z")));
        let uk = ["2/11/2026 10:15:03", "25/10/2026 09:00:00"];
        assert_eq!(day_order(uk.iter().copied()), DayOrder::DayFirst);
        let d = google("2/11/2026 10:15:03", DayOrder::DayFirst);
        assert_eq!(d, Some(utc("2026-11-02T10:15:03Z")));
        // The download's own `YYYY/MM/DD` never decides the order.
        let own = ["2026/11/25 10:15:03 AM GMT+1"];
        assert_eq!(day_order(own.iter().copied()), DayOrder::MonthFirst);
        assert_eq!(
            google("02.11.2026 10:15:03", DayOrder::MonthFirst),
            Some(utc("2026-11-02T10:15:03Z"))
        );
    }

    #[test]
    fn typeform_and_iso_times() {
        assert_eq!(
            typeform("2025-02-22 17:16:39"),
            Some(utc("2025-02-22T17:16:39Z"))
        );
        assert_eq!(typeform("22/02/2025"), None);
        assert_eq!(
            iso("2026-11-02T10:15:03+01:00"),
            Some(utc("2026-11-02T09:15:03Z"))
        );
        assert_eq!(iso("2026-11-02"), Some(utc("2026-11-02T00:00:00Z")));
        assert_eq!(iso("2026-11-02 10:15"), Some(utc("2026-11-02T10:15:00Z")));
        assert_eq!(iso("soon"), None);
    }
}
