//! The checks of a calendar object's times that go beyond "each value
//! parses" (done while parsing): a stored object must not end before it
//! starts, nor name a year 0000. Refused as `CALDAV:valid-calendar-data`
//! (RFC 4791 §5.3.2.1).
//!
//! - DTEND must not be before DTSTART (RFC 5545 §3.8.2.2), DUE not before
//!   DTSTART (§3.8.2.3). An end equal to the start is accepted: RFC 5545
//!   §3.6.1 has zero-length events (a DATE-TIME DTSTART without DTEND
//!   ends at the same instant), and clients write `DTEND == DTSTART` for
//!   them, also with DATE values.
//! - A DURATION of an event or to-do must not be negative (§3.6.1, §3.6.2:
//!   "positive duration").
//! - Years run from 0001 (§3.3.4 dates are Gregorian; there is no year 0).
//!
//! Times are compared in absolute time when both are absolute (UTC or a
//! known zone), as wall-clock times when both are floating; a floating
//! time against an absolute one is not compared (its position depends on
//! the reader's zone).

use chrono::Datelike;

use super::contentline::Property;
use super::object::CalendarObject;
use super::value::{parse_duration, DateValue, PeriodEnd, RDateValue};
use super::zone::Zone;
use super::{ComponentKind, Error, Result};

/// The dates a component's date properties name.
fn dates(obj: &CalendarObject, p: &Property) -> Vec<DateValue> {
    match p.name.as_str() {
        "DTSTART" | "DTEND" | "DUE" | "RECURRENCE-ID" | "COMPLETED" | "CREATED" => obj.date_value(p).into_iter().collect(),
        "EXDATE" => obj.multi_dates(p),
        "RDATE" => obj
            .rdates(p)
            .into_iter()
            .flat_map(|r| match r {
                RDateValue::At(d) => vec![d],
                RDateValue::Period(d, PeriodEnd::End(e)) => vec![d, e],
                RDateValue::Period(d, PeriodEnd::Duration(_)) => vec![d],
            })
            .collect(),
        _ => Vec::new(),
    }
}

fn before(end: &DateValue, start: &DateValue) -> bool {
    match (start.is_floating(), end.is_floating()) {
        (true, true) => end.local() < start.local(),
        (false, false) => end.resolve(Zone::UTC) < start.resolve(Zone::UTC),
        _ => false,
    }
}

pub(super) fn check_times(obj: &CalendarObject) -> Result<()> {
    let end_name = match obj.kind() {
        ComponentKind::Event | ComponentKind::FreeBusy | ComponentKind::Availability => Some("DTEND"),
        ComponentKind::Todo => Some("DUE"),
        ComponentKind::Journal => None,
    };
    for c in obj.components() {
        for p in &c.props {
            if let Some(d) = dates(obj, p).iter().find(|d| d.local().year() < 1) {
                return Err(Error::InvalidData(format!("{}: year {:04} does not exist", p.name, d.local().year())));
            }
        }
        let start = c.prop("DTSTART").and_then(|p| obj.date_value(p));
        let end = end_name.and_then(|n| c.prop(n)).and_then(|p| obj.date_value(p));
        if let (Some(start), Some(end)) = (start, end) {
            if before(&end, &start) {
                return Err(Error::InvalidData(format!("{} is before DTSTART", end_name.unwrap_or("DTEND"))));
            }
        }
        if matches!(obj.kind(), ComponentKind::Event | ComponentKind::Todo) {
            if let Some(d) = c.prop("DURATION").and_then(|p| parse_duration(&p.value)) {
                if d.days < 0 || d.seconds < 0 {
                    return Err(Error::InvalidData("DURATION is negative".into()));
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::ical::{CalendarObject, Error};

    fn parse(body: &str) -> crate::ical::Result<CalendarObject> {
        CalendarObject::parse(format!("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\n{body}END:VCALENDAR\r\n").as_bytes())
    }

    fn refused(body: &str) -> bool {
        matches!(parse(body), Err(Error::InvalidData(_)))
    }

    #[test]
    fn ends_before_starts_are_refused_equal_ones_are_not() {
        assert!(refused("BEGIN:VEVENT\r\nUID:a\r\nDTSTART:20260105T100000Z\r\nDTEND:20260105T090000Z\r\nEND:VEVENT\r\n"));
        assert!(refused("BEGIN:VTODO\r\nUID:a\r\nDTSTART:20260105T100000Z\r\nDUE:20260105T090000Z\r\nEND:VTODO\r\n"));
        assert!(refused("BEGIN:VEVENT\r\nUID:a\r\nDTSTART:20260105T100000\r\nDTEND:20260105T090000\r\nEND:VEVENT\r\n"));
        assert!(refused("BEGIN:VEVENT\r\nUID:a\r\nDTSTART:20260105T100000Z\r\nDURATION:-PT1M\r\nEND:VEVENT\r\n"));
        assert!(parse("BEGIN:VEVENT\r\nUID:a\r\nDTSTART:20260105T100000Z\r\nDTEND:20260105T100000Z\r\nEND:VEVENT\r\n").is_ok());
        assert!(parse("BEGIN:VEVENT\r\nUID:a\r\nDTSTART;VALUE=DATE:20260105\r\nDTEND;VALUE=DATE:20260105\r\nEND:VEVENT\r\n").is_ok());
        // Floating against absolute: not compared.
        assert!(parse("BEGIN:VEVENT\r\nUID:a\r\nDTSTART:20260105T100000\r\nDTEND:20260105T093000Z\r\nEND:VEVENT\r\n").is_ok());
        // A journal has no end; a trigger in an alarm is not a date.
        assert!(parse("BEGIN:VJOURNAL\r\nUID:a\r\nDTSTART:20260105T100000Z\r\nEND:VJOURNAL\r\n").is_ok());
    }

    #[test]
    fn year_zero_is_refused() {
        assert!(refused("BEGIN:VEVENT\r\nUID:a\r\nDTSTART:00000105T100000Z\r\nEND:VEVENT\r\n"));
        assert!(refused("BEGIN:VEVENT\r\nUID:a\r\nDTSTART:20260105T100000Z\r\nRDATE:00000105T100000Z\r\nEND:VEVENT\r\n"));
        assert!(parse("BEGIN:VEVENT\r\nUID:a\r\nDTSTART;VALUE=DATE:00010101\r\nEND:VEVENT\r\n").is_ok());
    }
}
