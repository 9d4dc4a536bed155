//! Every DAV request body parser (`dav::xml::request`): PROPFIND,
//! PROPPATCH, MKCOL/MKCALENDAR and every REPORT (calendar-query with its
//! filter and calendar-data, multiget, free-busy-query, sync-collection,
//! expand-property, the principal reports). Each must answer Ok or an
//! `XmlError` for any bytes, never panic, and a calendar-query's filter
//! must evaluate on an object without panicking.
#![no_main]

use libfuzzer_sys::fuzz_target;
use slotdav::dav::xml::request::{parse_mkcol, parse_propfind, parse_proppatch, parse_report, Report};
use slotdav::ical::CalendarObject;
use std::sync::OnceLock;

const EVENT: &[u8] = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//fuzz//EN\r\nBEGIN:VEVENT\r\nUID:f-1\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20260105T100000Z\r\nDTEND:20260105T110000Z\r\nRRULE:FREQ=DAILY;COUNT=5\r\nSUMMARY:Fuzz\r\nBEGIN:VALARM\r\nACTION:DISPLAY\r\nTRIGGER:-PT15M\r\nEND:VALARM\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";

fn event() -> &'static CalendarObject {
    static OBJ: OnceLock<CalendarObject> = OnceLock::new();
    OBJ.get_or_init(|| CalendarObject::parse(EVENT).expect("the fixed event parses"))
}

fuzz_target!(|data: &[u8]| {
    let _ = parse_propfind(data);
    let _ = parse_proppatch(data);
    let _ = parse_mkcol(data);
    if let Ok(Report::CalendarQuery { filter, props, .. }) = parse_report(data) {
        let _ = event().matches(&filter, None);
        if let Some(req) = props.calendar_data {
            let _ = event().render(&req);
        }
    }
});
