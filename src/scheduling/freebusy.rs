//! Free-busy between users of one server (RFC 6638 §5): the VFREEBUSY
//! REQUEST a client POSTs to its outbox ([`FreeBusyRequest::parse`]), the
//! REPLY for one local attendee ([`reply`]), and which objects do not
//! count as an attendee's busy time because they declined them
//! ([`declined`]).

use chrono::{DateTime, Utc};

use crate::ical::parse::{parse_components, parse_date_value};
use crate::ical::write::{utc_stamp, Component, Property};
use crate::ical::{BusyKind, CalendarObject};
use crate::model::TimeRange;
use crate::storage::{Storage, StorageError, StorePath, User};

use super::directory::Directory;
use super::itip;

/// The longest span one request may ask about: more is answered for
/// this much (a year and a bit), so a request costs bounded work.
pub const MAX_SPAN_DAYS: i64 = 400;

/// Why an outbox POST is not a free-busy request we answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FreeBusyError {
    /// Not iCalendar text. → 400 `CALDAV:supported-calendar-data`
    #[error("not iCalendar: {0}")]
    NotCalendar(String),
    /// Not a METHOD:REQUEST with one VFREEBUSY, an ORGANIZER, attendees
    /// and a time range. → 400 `CALDAV:valid-scheduling-message`
    #[error("not a free-busy request: {0}")]
    InvalidMessage(&'static str),
}

/// A VFREEBUSY REQUEST (RFC 5546 §3.3.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FreeBusyRequest {
    pub organizer: String,
    pub attendees: Vec<String>,
    pub range: TimeRange,
    pub uid: Option<String>,
}

impl FreeBusyRequest {
    pub fn parse(bytes: &[u8]) -> Result<FreeBusyRequest, FreeBusyError> {
        use FreeBusyError::InvalidMessage as Invalid;
        let root = parse_components(bytes).map_err(|e| FreeBusyError::NotCalendar(e.to_string()))?;
        if root.name != "VCALENDAR" {
            return Err(FreeBusyError::NotCalendar("no VCALENDAR".into()));
        }
        if !root.prop("METHOD").is_some_and(|m| m.value.trim().eq_ignore_ascii_case("REQUEST")) {
            return Err(Invalid("METHOD is not REQUEST"));
        }
        let fbs: Vec<&Component> = root.children.iter().filter(|c| c.name == "VFREEBUSY").collect();
        let [fb] = fbs.as_slice() else { return Err(Invalid("not exactly one VFREEBUSY")) };
        if root.children.iter().any(|c| c.name != "VFREEBUSY" && c.name != "VTIMEZONE") {
            return Err(Invalid("other components than VFREEBUSY"));
        }
        let organizer = fb.prop("ORGANIZER").map(|p| p.value.trim().to_string()).filter(|o| !o.is_empty()).ok_or(Invalid("no ORGANIZER"))?;
        let mut attendees: Vec<String> = Vec::new();
        for a in fb.props_named("ATTENDEE").map(|p| p.value.trim().to_string()) {
            if !a.is_empty() && !attendees.iter().any(|x| itip::same_address(x, &a)) {
                attendees.push(a);
            }
        }
        if attendees.is_empty() {
            return Err(Invalid("no ATTENDEE"));
        }
        let time = |name: &str| -> Result<DateTime<Utc>, FreeBusyError> {
            let p = fb.prop(name).ok_or(Invalid("no DTSTART or DTEND"))?;
            let is_date = p.param("VALUE").is_some_and(|v| v.eq_ignore_ascii_case("DATE"));
            let v = parse_date_value(&p.value, is_date, None).ok_or(Invalid("DTSTART or DTEND is not a date-time"))?;
            Ok(v.resolve(crate::ical::zone::Zone::UTC))
        };
        let (start, end) = (time("DTSTART")?, time("DTEND")?);
        if end <= start {
            return Err(Invalid("DTEND is not after DTSTART"));
        }
        let end = end.min(start + chrono::Duration::days(MAX_SPAN_DAYS));
        Ok(FreeBusyRequest { organizer, attendees, range: TimeRange::new(start, end), uid: fb.prop("UID").map(|p| p.value.trim().to_string()) })
    }
}

/// The METHOD:REPLY VFREEBUSY for `attendee` (RFC 6638 §5, RFC 5546
/// §3.3.3): their busy `periods` in the request's range.
pub fn reply(request: &FreeBusyRequest, attendee: &str, periods: &[(TimeRange, BusyKind)], now: DateTime<Utc>) -> String {
    let range = request.range;
    let mut fb = Component::new("VFREEBUSY")
        .with(Property::utc("DTSTAMP", now))
        .with(Property::utc("DTSTART", range.start))
        .with(Property::utc("DTEND", range.end));
    if let Some(uid) = &request.uid {
        fb = fb.with(Property::new("UID", uid));
    }
    fb = fb.with(Property::new("ORGANIZER", &request.organizer)).with(Property::new("ATTENDEE", attendee));
    for kind in [BusyKind::Busy, BusyKind::BusyTentative, BusyKind::BusyUnavailable] {
        let mut spans: Vec<TimeRange> = periods
            .iter()
            .filter(|(_, k)| *k == kind)
            .map(|(r, _)| TimeRange::new(r.start.max(range.start), r.end.min(range.end)))
            .filter(|r| r.start < r.end)
            .collect();
        spans.sort();
        if spans.is_empty() {
            continue;
        }
        let values: Vec<String> = spans.iter().map(|r| format!("{}/{}", utc_stamp(r.start), utc_stamp(r.end))).collect();
        fb = fb.with(Property::new("FREEBUSY", &values.join(",")).with_param("FBTYPE", kind.fbtype()));
    }
    Component::calendar(Some("REPLY")).with_child(fb).to_ics()
}

/// Whether the object at `path` is an invitation `owner` declined: then
/// it is not their busy time (RFC 6638 §5, the booking engine alike).
/// Reads the object only when its text says DECLINED at all.
pub fn declined(storage: &dyn Storage, owner: &User, path: &StorePath) -> Result<bool, StorageError> {
    let Some(bytes) = storage.content(path)? else { return Ok(false) };
    if !crate::ical::mentions_declined(&bytes) {
        return Ok(false);
    }
    let Ok(obj) = CalendarObject::parse(&bytes) else { return Ok(false) };
    let dir = Directory::from_users(vec![owner.clone()]);
    let is_owner = |a: &str| dir.is(a, &owner.name);
    // Only someone else's invitation: the organizer's own event is theirs.
    if obj.organizer().is_some_and(|o| is_owner(&o)) {
        return Ok(false);
    }
    Ok(itip::declined_by(&obj, &is_owner))
}

#[cfg(test)]
mod tests {
    use super::*;

    const REQ: &str = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\nMETHOD:REQUEST\r\nBEGIN:VFREEBUSY\r\nUID:fb1\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20260601T000000Z\r\nDTEND:20260602T000000Z\r\nORGANIZER:mailto:ann@ex.org\r\nATTENDEE:mailto:bob@ex.org\r\nATTENDEE:mailto:BOB@ex.org\r\nATTENDEE:mailto:x@else.org\r\nEND:VFREEBUSY\r\nEND:VCALENDAR\r\n";

    #[test]
    fn a_request_is_read_and_answered_per_attendee() {
        let r = FreeBusyRequest::parse(REQ.as_bytes()).unwrap();
        assert_eq!(r.organizer, "mailto:ann@ex.org");
        assert_eq!(r.attendees, vec!["mailto:bob@ex.org", "mailto:x@else.org"]);
        let busy = TimeRange::new(r.range.start + chrono::Duration::hours(9), r.range.start + chrono::Duration::hours(10));
        let text = reply(&r, "mailto:bob@ex.org", &[(busy, BusyKind::Busy)], Utc::now());
        assert!(text.contains("METHOD:REPLY"));
        assert!(text.contains("FREEBUSY;FBTYPE=BUSY:20260601T090000Z/20260601T100000Z"));
        assert!(text.contains("ATTENDEE:mailto:bob@ex.org"));
    }

    #[test]
    fn what_is_not_a_free_busy_request() {
        assert!(matches!(FreeBusyRequest::parse(b"hello"), Err(FreeBusyError::NotCalendar(_))));
        for (from, to) in [("METHOD:REQUEST", "METHOD:PUBLISH"), ("ORGANIZER:mailto:ann@ex.org\r\n", ""), ("DTEND:20260602", "DTEND:20250602")] {
            let bad = REQ.replace(from, to);
            assert!(matches!(FreeBusyRequest::parse(bad.as_bytes()), Err(FreeBusyError::InvalidMessage(_))), "{from}");
        }
        let huge = REQ.replace("DTEND:20260602", "DTEND:29990602");
        let r = FreeBusyRequest::parse(huge.as_bytes()).unwrap();
        assert_eq!((r.range.end - r.range.start).num_days(), MAX_SPAN_DAYS);
    }
}
