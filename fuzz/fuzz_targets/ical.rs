//! The iCalendar reader and everything that runs on what it reads: parse
//! (RFC 4791 §4.1 rules), `check_storable` (PUT's strict rules), the index
//! entry at a horizon (bounded by `ical::expand::RECURRENCE_BUDGET`),
//! expansion and busy occurrences over a window, free/busy, RFC 7953
//! availability, rendering with `expand`, and filter evaluation.
//!
//! Input: iCalendar bytes, optionally followed by a NUL byte and a
//! calendar-query REPORT body whose filter is evaluated on the object
//! (the seed corpus has such pairs). Fixed filters (time-range, text-match,
//! is-not-defined, param-filter) are evaluated on every object too.
#![no_main]

use chrono::{TimeZone, Utc};
use libfuzzer_sys::fuzz_target;
use slotdav::dav::xml::request::{parse_report, Report};
use slotdav::ical::availability::Availability;
use slotdav::ical::filter::CompFilter;
use slotdav::ical::render::CalendarDataRequest;
use slotdav::ical::CalendarObject;
use slotdav::model::TimeRange;
use std::sync::OnceLock;

const FILTERS: &[&str] = &[
    r#"<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><D:getetag/></D:prop><C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT"><C:time-range start="20260101T000000Z" end="20270101T000000Z"/></C:comp-filter></C:comp-filter></C:filter></C:calendar-query>"#,
    r#"<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><D:getetag/></D:prop><C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VTODO"><C:prop-filter name="COMPLETED"><C:is-not-defined/></C:prop-filter></C:comp-filter></C:comp-filter></C:filter></C:calendar-query>"#,
    r#"<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><D:getetag/></D:prop><C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT"><C:prop-filter name="ATTENDEE"><C:text-match collation="i;unicode-casemap" negate-condition="yes">é</C:text-match><C:param-filter name="PARTSTAT"><C:text-match>NEEDS-ACTION</C:text-match></C:param-filter></C:prop-filter></C:comp-filter></C:comp-filter></C:filter></C:calendar-query>"#,
    r#"<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><D:getetag/></D:prop><C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT"><C:comp-filter name="VALARM"><C:time-range start="20260101T000000Z" end="20260201T000000Z"/></C:comp-filter></C:comp-filter></C:comp-filter></C:filter></C:calendar-query>"#,
];

fn fixed_filters() -> &'static [CompFilter] {
    static F: OnceLock<Vec<CompFilter>> = OnceLock::new();
    F.get_or_init(|| {
        FILTERS
            .iter()
            .map(|x| match parse_report(x.as_bytes()) {
                Ok(Report::CalendarQuery { filter, .. }) => filter,
                other => panic!("fixed filter does not parse: {other:?}"),
            })
            .collect()
    })
}

fuzz_target!(|data: &[u8]| {
    let (ics, query) = match data.iter().position(|&b| b == 0) {
        Some(i) => (&data[..i], Some(&data[i + 1..])),
        None => (data, None),
    };
    let Ok(obj) = CalendarObject::parse(ics) else { return };
    let _ = obj.check_storable();
    let _ = slotdav::ical::availability::check(&obj);
    let horizon = Utc.with_ymd_and_hms(2028, 1, 1, 0, 0, 0).unwrap();
    let _ = obj.checked_index_entry(horizon);
    let _ = obj.index_entry(horizon);
    let window = TimeRange::new(Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap(), Utc.with_ymd_and_hms(2027, 1, 1, 0, 0, 0).unwrap());
    let _ = obj.expand(window, None);
    let _ = obj.expand(window, Some(chrono_tz::Tz::Pacific__Kiritimati));
    let _ = obj.busy_occurrences(window, Some(chrono_tz::Tz::America__New_York));
    let _ = Availability::all_in(&obj, None);
    let expand = CalendarDataRequest { expand: Some(window), ..Default::default() };
    let _ = obj.render(&expand);
    let limited = CalendarDataRequest { limit_recurrence_set: Some(window), limit_freebusy_set: Some(window), ..Default::default() };
    let _ = obj.render(&limited);
    for f in fixed_filters() {
        let _ = obj.matches(f, None);
    }
    if let Some(q) = query {
        if let Ok(Report::CalendarQuery { filter, props, .. }) = parse_report(q) {
            let _ = obj.matches(&filter, Some(chrono_tz::Tz::Europe__Berlin));
            if let Some(req) = props.calendar_data {
                let _ = obj.render(&req);
            }
        }
    }
});
