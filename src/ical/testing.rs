//! Helpers shared by the `ical` unit tests.

use chrono::{DateTime, TimeZone, Utc};

use super::CalendarObject;

/// A calendar object from the lines between `BEGIN:VCALENDAR` and `END`.
pub fn obj(body: &str) -> CalendarObject {
    let text = format!("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\n{body}END:VCALENDAR\r\n");
    CalendarObject::parse(text.as_bytes()).unwrap()
}

/// A whole hour of 2026 in UTC.
pub fn utc(m: u32, d: u32, h: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, m, d, h, 0, 0).unwrap()
}
