//! Time values in request bodies (RFC 4791 §9.9: "date with UTC time",
//! RFC 5545 §3.3.5 form 2) and the `start`/`end` ranges built from them.
//!
//! May import: the DOM and `dav::xml`'s error; nothing else.

use chrono::{DateTime, NaiveDate, Utc};

use super::super::dom::Element;
use super::super::XmlError;
use crate::model::{OpenTimeRange, TimeRange};

/// Parses `YYYYMMDDTHHMMSSZ`.
fn parse_utc(value: &str) -> Result<DateTime<Utc>, XmlError> {
    let bad = || XmlError::InvalidTimeRange(format!("{value:?} is not a UTC date-time"));
    let v = value.trim().as_bytes();
    let digits = |r: std::ops::Range<usize>| -> Option<u32> {
        v.get(r)?.iter().try_fold(0u32, |acc, b| b.is_ascii_digit().then(|| acc * 10 + u32::from(b - b'0')))
    };
    if v.len() != 16 || v[8] != b'T' || v[15] != b'Z' {
        return Err(bad());
    }
    let (y, mo, d) = (digits(0..4).ok_or_else(bad)?, digits(4..6).ok_or_else(bad)?, digits(6..8).ok_or_else(bad)?);
    let (h, mi, s) = (digits(9..11).ok_or_else(bad)?, digits(11..13).ok_or_else(bad)?, digits(13..15).ok_or_else(bad)?);
    let date = NaiveDate::from_ymd_opt(y as i32, mo, d).ok_or_else(bad)?;
    let dt = date.and_hms_opt(h, mi, s).ok_or_else(bad)?;
    Ok(dt.and_utc())
}

fn attr_time(el: &Element, name: &str) -> Result<Option<DateTime<Utc>>, XmlError> {
    el.attr(name).map(parse_utc).transpose()
}

/// A `CALDAV:time-range` in a filter (§9.9): either end may be missing, but
/// not both; start must be before end.
pub(super) fn open_range(el: &Element) -> Result<OpenTimeRange, XmlError> {
    let start = attr_time(el, "start")?;
    let end = attr_time(el, "end")?;
    match (start, end) {
        (None, None) => Err(XmlError::InvalidTimeRange("time-range without start or end".into())),
        (Some(s), Some(e)) if s >= e => Err(XmlError::InvalidTimeRange(format!("start {s} is not before end {e}"))),
        _ => Ok(OpenTimeRange { start, end }),
    }
}

/// An element with required `start` and `end` (free-busy-query, expand,
/// limit-recurrence-set, limit-freebusy-set).
pub(super) fn closed_range(el: &Element) -> Result<TimeRange, XmlError> {
    let missing = |a: &str| XmlError::InvalidTimeRange(format!("{} without {a}", el.local));
    let start = attr_time(el, "start")?.ok_or_else(|| missing("start"))?;
    let end = attr_time(el, "end")?.ok_or_else(|| missing("end"))?;
    if start >= end {
        return Err(XmlError::InvalidTimeRange(format!("start {start} is not before end {end}")));
    }
    Ok(TimeRange::new(start, end))
}
