//! RFC 4791 §7–§9 REPORT preconditions (issue 15 §1, the REPORT side):
//! malformed or self-contradictory filters, calendar-data we do not serve,
//! time zones that are not one VTIMEZONE, min-date-time/max-date-time,
//! multiget, free-busy-query and unsupported reports. Each test triggers
//! the condition over HTTP and checks the status and the `DAV:error`
//! element, and that the valid neighbour of each refused request is still
//! answered.

use super::*;

/// The status and the precondition element of a refused request.
#[track_caller]
fn assert_condition(r: &Resp, status: u16, condition: &str) {
    assert_eq!(r.code(), status, "{}", r.describe());
    let text = r.text();
    assert!(text.contains("<D:error"), "no DAV:error body: {}", r.describe());
    assert!(text.contains(&format!("<{condition}")), "no {condition}: {}", r.describe());
}

/// A calendar-query whose filter is `VCALENDAR` > `inner`.
fn query_in_vcalendar(inner: &str) -> String {
    calendar_query("", &format!(r#"<C:comp-filter name="VCALENDAR">{inner}</C:comp-filter>"#))
}

const RANGE: &str = r#"<C:time-range start="20260601T000000Z" end="20260701T000000Z"/>"#;

/// A server with one event in June 2026 (with an alarm) in alice's calendar.
async fn server_with_event() -> TestServer {
    let server = TestServer::start().await;
    let body = vcalendar(&[format!(
        "BEGIN:VEVENT\r\nUID:june\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20260610T090000Z\r\nDTEND:20260610T100000Z\r\nSUMMARY:Coaching\r\nBEGIN:VALARM\r\nACTION:DISPLAY\r\nDESCRIPTION:soon\r\nTRIGGER:-PT15M\r\nEND:VALARM\r\nEND:VEVENT\r\n"
    )]);
    put_ok(&server, &format!("{CAL}june.ics"), body).await;
    server
}

/// RFC 4791 §7.8 `CALDAV:valid-filter`, §9.7.1: components nested where
/// iCalendar does not allow them (VALARM directly under VCALENDAR, VEVENT
/// in VEVENT or in VALARM, anything but STANDARD/DAYLIGHT under
/// VTIMEZONE), a filter not rooted at exactly one VCALENDAR.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rfc4791_9_7_1_components_nested_where_icalendar_does_not_allow_them() {
    let server = server_with_event().await;
    for inner in [
        r#"<C:comp-filter name="VALARM"/>"#,
        r#"<C:comp-filter name="VEVENT"><C:comp-filter name="VEVENT"/></C:comp-filter>"#,
        r#"<C:comp-filter name="VEVENT"><C:comp-filter name="VALARM"><C:comp-filter name="VEVENT"/></C:comp-filter></C:comp-filter>"#,
        r#"<C:comp-filter name="VTIMEZONE"><C:comp-filter name="VEVENT"/></C:comp-filter>"#,
        r#"<C:comp-filter name="VTIMEZONE"><C:comp-filter name="VALARM"/></C:comp-filter>"#,
        r#"<C:comp-filter name="VJOURNAL"><C:comp-filter name="VALARM"/></C:comp-filter>"#,
        r#"<C:comp-filter name="VCALENDAR"/>"#,
    ] {
        let r = report(&server, CAL, query_in_vcalendar(inner)).await;
        assert_condition(&r, 403, "C:valid-filter");
    }
    for filter in [
        r#"<C:comp-filter name="VEVENT"/>"#,
        r#"<C:comp-filter name="VCALENDAR"/><C:comp-filter name="VCALENDAR"/>"#,
        "",
    ] {
        let r = report(&server, CAL, calendar_query("", filter)).await;
        assert_condition(&r, 403, "C:valid-filter");
    }
    // The allowed nesting is answered.
    let ok = r#"<C:comp-filter name="VEVENT"><C:comp-filter name="VALARM"/></C:comp-filter>"#;
    let r = report(&server, CAL, query_in_vcalendar(ok)).await.status(207);
    assert_eq!(r.hrefs(), vec![format!("{CAL}june.ics")]);
    let ok = r#"<C:comp-filter name="VTIMEZONE"><C:comp-filter name="STANDARD"/></C:comp-filter>"#;
    report(&server, CAL, query_in_vcalendar(ok)).await.status(207);
}

/// RFC 4791 §9.7.1–§9.7.3: `is-not-defined` is the whole content of its
/// element; beside a time-range, a prop-filter, a comp-filter or a
/// text-match the filter contradicts itself.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rfc4791_9_7_1_is_not_defined_beside_other_conditions() {
    let server = server_with_event().await;
    for inner in [
        format!(r#"<C:comp-filter name="VEVENT"><C:is-not-defined/>{RANGE}</C:comp-filter>"#),
        r#"<C:comp-filter name="VEVENT"><C:is-not-defined/><C:prop-filter name="SUMMARY"/></C:comp-filter>"#.into(),
        r#"<C:comp-filter name="VEVENT"><C:is-not-defined/><C:comp-filter name="VALARM"/></C:comp-filter>"#.into(),
        r#"<C:comp-filter name="VEVENT"><C:prop-filter name="SUMMARY"><C:is-not-defined/><C:text-match>x</C:text-match></C:prop-filter></C:comp-filter>"#.into(),
        r#"<C:comp-filter name="VEVENT"><C:prop-filter name="ATTENDEE"><C:param-filter name="PARTSTAT"><C:is-not-defined/><C:text-match>x</C:text-match></C:param-filter></C:prop-filter></C:comp-filter>"#.into(),
        r#"<C:comp-filter name="VEVENT"><C:prop-filter name="SUMMARY"><C:text-match>a</C:text-match><C:text-match>b</C:text-match></C:prop-filter></C:comp-filter>"#.into(),
    ] {
        let r = report(&server, CAL, query_in_vcalendar(&inner)).await;
        assert_condition(&r, 403, "C:valid-filter");
    }
    let ok = r#"<C:comp-filter name="VEVENT"><C:prop-filter name="LOCATION"><C:is-not-defined/></C:prop-filter></C:comp-filter>"#;
    let r = report(&server, CAL, query_in_vcalendar(ok)).await.status(207);
    assert_eq!(r.hrefs(), vec![format!("{CAL}june.ics")]);
}

/// RFC 4791 §9.9: a time-range's start and end are UTC date-times
/// (`YYYYMMDDTHHMMSSZ`), at least one is given, and end is after start;
/// anything else is `CALDAV:valid-filter` (not a 400).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rfc4791_9_9_time_range_not_utc_empty_or_backwards() {
    let server = server_with_event().await;
    for tr in [
        r#"<C:time-range start="20260601T000000"/>"#,
        r#"<C:time-range start="20260601"/>"#,
        r#"<C:time-range start="2026-06-01T00:00:00Z"/>"#,
        r#"<C:time-range end="20261301T000000Z"/>"#,
        r#"<C:time-range start="20260601T000000+0200"/>"#,
        r#"<C:time-range/>"#,
        r#"<C:time-range start="20260701T000000Z" end="20260601T000000Z"/>"#,
        r#"<C:time-range start="20260601T000000Z" end="20260601T000000Z"/>"#,
    ] {
        let r = report(&server, CAL, query_in_vcalendar(&format!(r#"<C:comp-filter name="VEVENT">{tr}</C:comp-filter>"#))).await;
        assert_condition(&r, 403, "C:valid-filter");
        let in_prop = format!(r#"<C:comp-filter name="VEVENT"><C:prop-filter name="DTSTART">{tr}</C:prop-filter></C:comp-filter>"#);
        assert_condition(&report(&server, CAL, query_in_vcalendar(&in_prop)).await, 403, "C:valid-filter");
    }
    let r = report(&server, CAL, query_in_vcalendar(&format!(r#"<C:comp-filter name="VEVENT">{RANGE}</C:comp-filter>"#))).await.status(207);
    assert_eq!(r.hrefs(), vec![format!("{CAL}june.ics")]);
    // Open at one end is fine.
    let open = r#"<C:comp-filter name="VEVENT"><C:time-range start="20260601T000000Z"/></C:comp-filter>"#;
    assert_eq!(report(&server, CAL, query_in_vcalendar(open)).await.status(207).hrefs().len(), 1);
}

/// RFC 4791 §7.8 (`valid-filter`: "cannot nest a time-range in a prop
/// SUMMARY"), §9.7.2: a time-range tests only date properties.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rfc4791_9_7_2_time_range_on_a_property_without_time() {
    let server = server_with_event().await;
    for prop in ["SUMMARY", "UID", "LOCATION", "X-WHATEVER"] {
        let inner = format!(r#"<C:comp-filter name="VEVENT"><C:prop-filter name="{prop}">{RANGE}</C:prop-filter></C:comp-filter>"#);
        assert_condition(&report(&server, CAL, query_in_vcalendar(&inner)).await, 403, "C:valid-filter");
    }
    // Every date property the RFC names is accepted; DTSTART matches.
    for prop in ["DTSTART", "DTEND", "DUE", "COMPLETED", "CREATED", "DTSTAMP", "LAST-MODIFIED", "RECURRENCE-ID", "EXDATE", "RDATE"] {
        let inner = format!(r#"<C:comp-filter name="VEVENT"><C:prop-filter name="{prop}">{RANGE}</C:prop-filter></C:comp-filter>"#);
        let r = report(&server, CAL, query_in_vcalendar(&inner)).await.status(207);
        let expected: Vec<String> = if matches!(prop, "DTSTART" | "DTEND") { vec![format!("{CAL}june.ics")] } else { vec![] };
        assert_eq!(r.hrefs(), expected, "{prop}");
    }
    // A time-range and a text-match on one property contradict each other.
    let inner = format!(r#"<C:comp-filter name="VEVENT"><C:prop-filter name="DTSTART">{RANGE}<C:text-match>2026</C:text-match></C:prop-filter></C:comp-filter>"#);
    assert_condition(&report(&server, CAL, query_in_vcalendar(&inner)).await, 403, "C:valid-filter");
}

/// RFC 4791 §9.9 defines time-ranges for VEVENT, VTODO, VJOURNAL,
/// VFREEBUSY and VALARM only: on VCALENDAR, VTIMEZONE, STANDARD/DAYLIGHT
/// or an X- component the filter is refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rfc4791_9_9_time_range_on_components_without_time() {
    let server = server_with_event().await;
    let r = report(&server, CAL, calendar_query("", &format!(r#"<C:comp-filter name="VCALENDAR">{RANGE}</C:comp-filter>"#))).await;
    assert_condition(&r, 403, "C:valid-filter");
    for inner in [
        format!(r#"<C:comp-filter name="VTIMEZONE">{RANGE}</C:comp-filter>"#),
        format!(r#"<C:comp-filter name="VTIMEZONE"><C:comp-filter name="STANDARD">{RANGE}</C:comp-filter></C:comp-filter>"#),
        format!(r#"<C:comp-filter name="VTIMEZONE"><C:comp-filter name="DAYLIGHT">{RANGE}</C:comp-filter></C:comp-filter>"#),
        format!(r#"<C:comp-filter name="X-SLOTDAV-THING">{RANGE}</C:comp-filter>"#),
    ] {
        assert_condition(&report(&server, CAL, query_in_vcalendar(&inner)).await, 403, "C:valid-filter");
    }
    // On VALARM it is allowed: the alarm fires at 08:45Z.
    let inner = r#"<C:comp-filter name="VEVENT"><C:comp-filter name="VALARM"><C:time-range start="20260610T084000Z" end="20260610T085000Z"/></C:comp-filter></C:comp-filter>"#;
    assert_eq!(report(&server, CAL, query_in_vcalendar(inner)).await.status(207).hrefs(), vec![format!("{CAL}june.ics")]);
    // An X- component without a time-range is a valid (if empty) query.
    let inner = r#"<C:comp-filter name="X-SLOTDAV-THING"/>"#;
    assert!(report(&server, CAL, query_in_vcalendar(inner)).await.status(207).hrefs().is_empty());
}

/// RFC 4791 §7.7 `CALDAV:supported-filter`: an element of the filter
/// grammar we do not know, or a component we do not query.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rfc4791_7_7_supported_filter() {
    let server = server_with_event().await;
    for inner in [
        r#"<C:comp-filter name="VPOLL"/>"#,
        r#"<C:comp-filter name="VEVENT"><C:fuzzy-match>x</C:fuzzy-match></C:comp-filter>"#,
        r#"<C:comp-filter name="VEVENT"><C:prop-filter name="SUMMARY"><C:regex-match>C.*</C:regex-match></C:prop-filter></C:comp-filter>"#,
        r#"<C:comp-filter name="VEVENT"><C:prop-filter name="ATTENDEE"><C:param-filter name="CN"><C:starts-with>x</C:starts-with></C:param-filter></C:prop-filter></C:comp-filter>"#,
    ] {
        assert_condition(&report(&server, CAL, query_in_vcalendar(inner)).await, 403, "C:supported-filter");
    }
    // Elements of other namespaces are extensions, ignored (RFC 4918 §17).
    let inner = r#"<C:comp-filter name="VEVENT"><X:hint xmlns:X="urn:example:x"/></C:comp-filter>"#;
    assert_eq!(report(&server, CAL, query_in_vcalendar(inner)).await.status(207).hrefs().len(), 1);
}

/// RFC 4791 §7.5.1 `CALDAV:supported-collation`: `i;ascii-casemap` and
/// `i;octet` (and `i;unicode-casemap`) are supported, nothing else.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rfc4791_7_5_1_supported_collation() {
    let server = server_with_event().await;
    let q = |collation: &str| {
        query_in_vcalendar(&format!(
            r#"<C:comp-filter name="VEVENT"><C:prop-filter name="SUMMARY"><C:text-match collation="{collation}">coach</C:text-match></C:prop-filter></C:comp-filter>"#
        ))
    };
    for bad in ["i;basic", "en;primary", "I;ASCII-CASEMAP", ""] {
        assert_condition(&report(&server, CAL, q(bad)).await, 403, "C:supported-collation");
    }
    assert_eq!(report(&server, CAL, q("i;ascii-casemap")).await.status(207).hrefs().len(), 1);
    assert!(report(&server, CAL, q("i;octet")).await.status(207).hrefs().is_empty());
}

/// RFC 4791 §5.2.3 with §7.8: a comp-filter for a component the calendar
/// cannot hold (its supported-calendar-component-set) is a valid filter
/// that matches nothing, not `CALDAV:valid-filter`: python-caldav asks a
/// task list for its events (caldav-server-tester does so to see that a
/// new VTODO-only calendar exists), and must get an empty 207.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rfc4791_5_2_3_comp_filter_for_a_component_the_calendar_cannot_hold() {
    let server = TestServer::start().await;
    let tasks = "/dav/calendars/alice/tasks/";
    let body = format!(
        r#"<C:mkcalendar {NS_DECLS}><D:set><D:prop><C:supported-calendar-component-set><C:comp name="VTODO"/></C:supported-calendar-component-set></D:prop></D:set></C:mkcalendar>"#
    );
    server.request("MKCALENDAR", tasks).as_user(ALICE).xml(body).send().await.status(201);
    put_ok(&server, &format!("{tasks}t.ics"), todo("t", &["DUE:20260610T090000Z", "SUMMARY:Write"])).await;
    for kind in ["VEVENT", "VJOURNAL"] {
        let r = report(&server, tasks, query_in_vcalendar(&format!(r#"<C:comp-filter name="{kind}"/>"#))).await.status(207);
        assert!(r.hrefs().is_empty(), "{}", r.text());
        let timed = format!(r#"<C:comp-filter name="{kind}">{RANGE}</C:comp-filter>"#);
        assert!(report(&server, tasks, query_in_vcalendar(&timed)).await.status(207).hrefs().is_empty());
    }
    let r = report(&server, tasks, query_in_vcalendar(r#"<C:comp-filter name="VTODO"/>"#)).await.status(207);
    assert_eq!(r.hrefs(), vec![format!("{tasks}t.ics")]);
    // "No VEVENT" is true of every object of a task list, and is asked.
    let r = report(&server, tasks, query_in_vcalendar(r#"<C:comp-filter name="VEVENT"><C:is-not-defined/></C:comp-filter>"#)).await.status(207);
    assert_eq!(r.hrefs(), vec![format!("{tasks}t.ics")]);
}

/// RFC 4791 §7.8/§7.9 `CALDAV:supported-calendar-data`, §9.6: a
/// calendar-data asking for another media type or version.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rfc4791_9_6_supported_calendar_data() {
    let server = server_with_event().await;
    let object = format!("{CAL}june.ics");
    let filter = r#"<C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT"/></C:comp-filter>"#;
    for attrs in [r#"content-type="application/calendar+json""#, r#"content-type="text/calendar" version="1.0""#, r#"version="2.1""#] {
        let data = format!("<C:calendar-data {attrs}/>");
        assert_condition(&report(&server, CAL, calendar_query(&data, filter)).await, 403, "C:supported-calendar-data");
        let multiget = format!(
            r#"<C:calendar-multiget {NS_DECLS}><D:prop><D:getetag/>{data}</D:prop><D:href>{object}</D:href></C:calendar-multiget>"#
        );
        assert_condition(&report(&server, CAL, multiget).await, 403, "C:supported-calendar-data");
    }
    let data = r#"<C:calendar-data content-type="text/calendar" version="2.0"/>"#;
    report(&server, CAL, calendar_query(data, filter)).await.status(207).contains("UID:june");
}

/// A VCALENDAR holding `vtimezones`.
fn timezone_calendar(vtimezones: &str) -> String {
    format!("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//slotdav tests//EN\r\n{vtimezones}END:VCALENDAR\r\n")
}

const VTZ_UTC: &str = "BEGIN:VTIMEZONE\r\nTZID:UTC\r\nBEGIN:STANDARD\r\nDTSTART:19700101T000000\r\nTZOFFSETFROM:+0000\r\nTZOFFSETTO:+0000\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\n";

/// Values of `CALDAV:timezone` / `calendar-timezone` that are not one
/// VTIMEZONE in a VCALENDAR.
fn invalid_timezones() -> Vec<String> {
    vec![
        "Europe/Berlin".into(),
        timezone_calendar(""),
        timezone_calendar(&format!("{VTZ_UTC}{VTZ_UTC}")),
        timezone_calendar(&format!("{VTZ_UTC}BEGIN:VEVENT\r\nUID:x\r\nDTSTART:20260101T000000Z\r\nEND:VEVENT\r\n")),
        timezone_calendar("BEGIN:VTIMEZONE\r\nTZID:Empty\r\nEND:VTIMEZONE\r\n"),
        timezone_calendar(&VTZ_UTC.replace("TZOFFSETTO:+0000", "TZOFFSETTO:zero")),
        "BEGIN:VCALENDAR\r\nBEGIN:VTIMEZONE\r\n".into(),
    ]
}

/// RFC 4791 §7.8 `CALDAV:valid-calendar-data`, §9.8: the query's
/// `CALDAV:timezone` must be a VCALENDAR with exactly one VTIMEZONE.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rfc4791_9_8_invalid_timezone_in_a_calendar_query() {
    let server = server_with_event().await;
    let query = |tz: &str| {
        format!(
            r#"<C:calendar-query {NS_DECLS}><D:prop><D:getetag/></D:prop><C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT"/></C:comp-filter></C:filter><C:timezone><![CDATA[{tz}]]></C:timezone></C:calendar-query>"#
        )
    };
    for tz in invalid_timezones() {
        assert_condition(&report(&server, CAL, query(&tz)).await, 403, "C:valid-calendar-data");
    }
    assert_eq!(report(&server, CAL, query(&timezone_calendar(VTZ_UTC))).await.status(207).hrefs().len(), 1);
}

/// RFC 4791 §5.2.2: PROPPATCH of an invalid `calendar-timezone` is 207
/// with 403 for that property and `CALDAV:valid-calendar-data`; nothing of
/// the patch is applied.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rfc4791_5_2_2_proppatch_of_an_invalid_calendar_timezone() {
    let server = TestServer::start().await;
    let patch = |tz: &str| {
        format!(
            r#"<D:propertyupdate {NS_DECLS}><D:set><D:prop><D:displayname>Renamed</D:displayname><C:calendar-timezone><![CDATA[{tz}]]></C:calendar-timezone></D:prop></D:set></D:propertyupdate>"#
        )
    };
    for tz in invalid_timezones() {
        let r = server.request("PROPPATCH", CAL).as_user(ALICE).xml(patch(&tz)).send().await.status(207);
        assert_eq!(r.prop_status(CAL, "calendar-timezone"), Some(403), "{}", r.text());
        assert_eq!(r.prop_status(CAL, "displayname"), Some(424), "{}", r.text());
        assert!(r.text().contains("<C:valid-calendar-data"), "{}", r.text());
    }
    let r = propfind(&server, CAL, "0", propfind_props(&["D:displayname"])).await.status(207);
    assert!(!r.text().contains("Renamed"), "{}", r.text());
    let r = server.request("PROPPATCH", CAL).as_user(ALICE).xml(patch(&timezone_calendar(VTZ_UTC))).send().await.status(207);
    assert_eq!(r.prop_status(CAL, "calendar-timezone"), Some(200), "{}", r.text());
    assert!(!r.text().contains("valid-calendar-data"), "{}", r.text());
}

/// RFC 4791 §5.3.1.1 `CALDAV:valid-calendar-data`: MKCALENDAR with an
/// invalid `calendar-timezone` is refused, and no calendar is made.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rfc4791_5_3_1_mkcalendar_with_an_invalid_calendar_timezone() {
    let server = TestServer::start().await;
    let body = |tz: &str| {
        format!(
            r#"<C:mkcalendar {NS_DECLS}><D:set><D:prop><C:calendar-timezone><![CDATA[{tz}]]></C:calendar-timezone></D:prop></D:set></C:mkcalendar>"#
        )
    };
    for (i, tz) in invalid_timezones().iter().enumerate() {
        let path = format!("/dav/calendars/alice/tz{i}/");
        let r = server.request("MKCALENDAR", &path).as_user(ALICE).xml(body(tz)).send().await;
        assert_condition(&r, 403, "C:valid-calendar-data");
        propfind(&server, &path, "0", propfind_props(&["D:resourcetype"])).await.status(404);
    }
    server.request("MKCALENDAR", "/dav/calendars/alice/utc/").as_user(ALICE).xml(body(&timezone_calendar(VTZ_UTC))).send().await.status(201);
}

const VTZ_TOKYO: &str = "BEGIN:VTIMEZONE\r\nTZID:Asia/Tokyo\r\nBEGIN:STANDARD\r\nDTSTART:19700101T000000\r\nTZOFFSETFROM:+0900\r\nTZOFFSETTO:+0900\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\n";
const VTZ_NEW_YORK: &str = "BEGIN:VTIMEZONE\r\nTZID:America/New_York\r\nBEGIN:STANDARD\r\nDTSTART:19701101T020000\r\nRRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=1SU\r\nTZOFFSETFROM:-0400\r\nTZOFFSETTO:-0500\r\nEND:STANDARD\r\nBEGIN:DAYLIGHT\r\nDTSTART:19700308T020000\r\nRRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=2SU\r\nTZOFFSETFROM:-0500\r\nTZOFFSETTO:-0400\r\nEND:DAYLIGHT\r\nEND:VTIMEZONE\r\n";

/// RFC 4791 §5.2.6/§5.2.7: calendars announce min-date-time and
/// max-date-time when asked (not in allprop): the whole span of
/// four-digit years, which is what the index and expansion cover. A PUT
/// with a time value that is outside as UTC (a Tokyo time on 1 January of
/// year 1, a New York time late on 31 December 9999) is refused with
/// `CALDAV:min-date-time` / `max-date-time` (§5.3.2.1). The edges, time
/// zone rules from 1601 and unbounded series are fine.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rfc4791_5_2_6_min_and_max_date_time_announced_and_honoured_on_put() {
    let server = TestServer::start().await;
    let r = propfind(&server, CAL, "0", propfind_props(&["C:min-date-time", "C:max-date-time"])).await.status(207);
    assert_eq!(prop_text(&r, Some(CAL), "min-date-time").as_deref(), Some("00010101T000000Z"), "{}", r.text());
    assert_eq!(prop_text(&r, Some(CAL), "max-date-time").as_deref(), Some("99991231T235959Z"), "{}", r.text());
    let allprop = format!(r#"<D:propfind {NS_DECLS}><D:allprop/></D:propfind>"#);
    propfind(&server, CAL, "0", allprop).await.status(207).lacks("min-date-time").lacks("max-date-time");
    let zoned = |vtz: &str, uid: &str, props: &[&str]| vcalendar(&[vtz.to_string(), component("VEVENT", uid, props)]);
    let refused = [
        ("early-start", zoned(VTZ_TOKYO, "early-start", &["DTSTART;TZID=Asia/Tokyo:00010101T010000"]), "C:min-date-time"),
        (
            "early-exdate",
            zoned(VTZ_TOKYO, "early-exdate", &["DTSTART;TZID=Asia/Tokyo:00010102T100000", "RRULE:FREQ=DAILY;COUNT=3", "EXDATE;TZID=Asia/Tokyo:00010101T050000"]),
            "C:min-date-time",
        ),
        ("late-start", zoned(VTZ_NEW_YORK, "late-start", &["DTSTART;TZID=America/New_York:99991231T230000"]), "C:max-date-time"),
        (
            "late-end",
            zoned(VTZ_NEW_YORK, "late-end", &["DTSTART:99991231T120000Z", "DTEND;TZID=America/New_York:99991231T210000"]),
            "C:max-date-time",
        ),
        ("late-rdate", zoned(VTZ_NEW_YORK, "late-rdate", &["DTSTART:99991230T120000Z", "RDATE;TZID=America/New_York:99991231T220000"]), "C:max-date-time"),
    ];
    for (name, body, condition) in refused {
        let path = format!("{CAL}{name}.ics");
        let r = put_ics(&server, &path, body).await;
        assert_condition(&r, 403, condition);
        server.request("GET", &path).as_user(ALICE).send().await.status(404);
    }
    put_ok(&server, &format!("{CAL}birthday.ics"), event("birthday", &["DTSTART;VALUE=DATE:19500301", "RRULE:FREQ=YEARLY"])).await;
    put_ok(&server, &format!("{CAL}edge.ics"), event("edge", &["DTSTART:00010101T000000Z", "DTEND:99991231T235958Z"])).await;
    let outlook = fixture_text("ical/accepted/tzid-customized-outlook.ics");
    assert!(outlook.contains("16010101"));
    put_ok(&server, &format!("{CAL}outlook.ics"), outlook).await;
}

/// RFC 4791 §5.2.6: what min-date-time lets in is indexed. An event in
/// year 1 (RFC 5545 allows it; year 0000 is refused) used to be stored but
/// left out of the index, whose expansion began in year 1000, so no
/// time-range query found it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rfc4791_5_2_6_an_event_in_year_one_is_found_by_time_range() {
    let server = TestServer::start().await;
    let path = format!("{CAL}year-one.ics");
    put_ok(&server, &path, event("year-one", &["DTSTART;VALUE=DATE:00010101"])).await;
    let r = report(&server, CAL, event_time_range_query("00010101T000000Z", "00010102T000000Z")).await.status(207);
    assert_eq!(r.hrefs(), vec![path.clone()], "{}", r.text());
    let far = format!("{CAL}year-9999.ics");
    put_ok(&server, &far, event("year-9999", &["DTSTART:99991230T100000Z", "DURATION:PT1H"])).await;
    let r = report(&server, CAL, event_time_range_query("99991230T000000Z", "99991231T000000Z")).await.status(207);
    assert_eq!(r.hrefs(), vec![far], "{}", r.text());
}

/// RFC 4791 §7.8, §7.9, §7.10 `CALDAV:min-date-time`: a REPORT's time
/// ranges (filter, expand, limit-recurrence-set, free-busy) must lie within
/// the bounds; we refuse rather than clamp, as the RFC says. Only year 0000
/// is a UTC date-time before them (and none is after 99991231T235959Z). An
/// open end is not a value and is answered.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rfc4791_7_8_report_time_ranges_before_min_date_time() {
    let server = server_with_event().await;
    let filter = |tr: &str| format!(r#"<C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT">{tr}</C:comp-filter></C:comp-filter>"#);
    let q = |tr: &str| calendar_query("", &filter(tr));
    assert_condition(&report(&server, CAL, q(r#"<C:time-range start="00001231T000000Z" end="20260701T000000Z"/>"#)).await, 403, "C:min-date-time");
    assert_condition(&report(&server, CAL, q(r#"<C:time-range end="00000601T000000Z"/>"#)).await, 403, "C:min-date-time");
    let in_prop = r#"<C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT"><C:prop-filter name="DTSTART"><C:time-range start="00000101T000000Z"/></C:prop-filter></C:comp-filter></C:comp-filter>"#;
    assert_condition(&report(&server, CAL, calendar_query("", in_prop)).await, 403, "C:min-date-time");
    let expand = r#"<C:calendar-data><C:expand start="00000101T000000Z" end="20260701T000000Z"/></C:calendar-data>"#;
    assert_condition(&report(&server, CAL, calendar_query(expand, &filter(RANGE))).await, 403, "C:min-date-time");
    let multiget = format!(
        r#"<C:calendar-multiget {NS_DECLS}><D:prop><C:calendar-data><C:limit-recurrence-set start="00000101T000000Z" end="20260101T000000Z"/></C:calendar-data></D:prop><D:href>{CAL}june.ics</D:href></C:calendar-multiget>"#
    );
    assert_condition(&report(&server, CAL, multiget).await, 403, "C:min-date-time");
    let fb = format!(r#"<C:free-busy-query {NS_DECLS}><C:time-range start="00000101T000000Z" end="20260701T000000Z"/></C:free-busy-query>"#);
    assert_condition(&report(&server, CAL, fb).await, 403, "C:min-date-time");
    // The bounds themselves and open ends are answered.
    let r = report(&server, CAL, q(r#"<C:time-range start="00010101T000000Z" end="99991231T235959Z"/>"#)).await.status(207);
    assert_eq!(r.hrefs(), vec![format!("{CAL}june.ics")]);
    assert_eq!(report(&server, CAL, q(r#"<C:time-range start="20260601T000000Z"/>"#)).await.status(207).hrefs().len(), 1);
    let fb = format!(r#"<C:free-busy-query {NS_DECLS}><C:time-range start="00010101T000000Z" end="99991231T235959Z"/></C:free-busy-query>"#);
    report(&server, CAL, fb).await.status(200).contains("FREEBUSY;FBTYPE=BUSY:20260610T090000Z/20260610T100000Z");
}

const VTZ_LORD_HOWE: &str = "BEGIN:VTIMEZONE\r\nTZID:Australia/Lord_Howe\r\nBEGIN:STANDARD\r\nDTSTART:19700405T020000\r\nRRULE:FREQ=YEARLY;BYMONTH=4;BYDAY=1SU\r\nTZOFFSETFROM:+1100\r\nTZOFFSETTO:+1030\r\nEND:STANDARD\r\nBEGIN:DAYLIGHT\r\nDTSTART:19701004T020000\r\nRRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=1SU\r\nTZOFFSETFROM:+1030\r\nTZOFFSETTO:+1100\r\nEND:DAYLIGHT\r\nEND:VTIMEZONE\r\n";

/// The RECURRENCE-ID, DTSTART and DTEND lines of each expanded instance in
/// a calendar-data answer.
fn instance_times(calendar_data: &str) -> Vec<String> {
    calendar_data
        .split("BEGIN:VEVENT\r\n")
        .skip(1)
        .map(|ev| {
            ev.lines()
                .filter(|l| l.starts_with("RECURRENCE-ID") || l.starts_with("DTSTART") || l.starts_with("DTEND"))
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect()
}

/// RFC 4791 §9.6.5: `expand` converts to UTC only times with a zone; a
/// floating instance stays floating (DTSTART, DTEND and RECURRENCE-ID
/// without `Z`), never relabelled as UTC. The query's `CALDAV:timezone`
/// (here Lord Howe, whose clocks go back 30 minutes at 02:00 on Sunday
/// 5 April 2026) decides which instances overlap the range, not how they
/// are written. A zoned series in the same answer is still UTC.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rfc4791_9_6_5_expand_keeps_floating_instances_floating() {
    let server = TestServer::start().await;
    let floating = format!("{CAL}floating.ics");
    put_ok(&server, &floating, event("floating", &["DTSTART:20260401T014500", "DTEND:20260401T024500", "RRULE:FREQ=DAILY;COUNT=10", "SUMMARY:Night shift"])).await;
    let zoned = format!("{CAL}zoned.ics");
    put_ok(&server, &zoned, event("zoned", &["DTSTART:20260403T120000Z", "DURATION:PT1H", "RRULE:FREQ=DAILY;COUNT=2"])).await;
    let query = |tz: Option<&str>| {
        let tz = tz.map(|t| format!("<C:timezone><![CDATA[{}]]></C:timezone>", timezone_calendar(t))).unwrap_or_default();
        format!(
            r#"<C:calendar-query {NS_DECLS}><D:prop><D:getetag/><C:calendar-data><C:expand start="20260403T000000Z" end="20260407T000000Z"/></C:calendar-data></D:prop><C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT"><C:time-range start="20260403T000000Z" end="20260407T000000Z"/></C:comp-filter></C:comp-filter></C:filter>{tz}</C:calendar-query>"#
        )
    };
    let floating_instances = |days: &[u32]| -> Vec<String> {
        days.iter()
            .map(|d| format!("RECURRENCE-ID:202604{d:02}T014500 DTSTART:202604{d:02}T014500 DTEND:202604{d:02}T024500"))
            .collect()
    };
    // Without a zone (and no calendar-timezone) floating reads as UTC:
    // 01:45 on the 3rd to the 6th.
    let r = report(&server, CAL, query(None)).await.status(207);
    let data = prop_text(&r, Some(&floating), "calendar-data").expect("calendar-data");
    assert_eq!(instance_times(&data), floating_instances(&[3, 4, 5, 6]), "{data}");
    assert!(!data.contains("RRULE") && data.contains("SUMMARY:Night shift"), "{data}");
    // In Lord Howe 01:45 on the 3rd is 14:45Z on the 2nd (out), on the 7th
    // 15:15Z on the 6th (in); 5 April, the DST day, is one instance.
    let r = report(&server, CAL, query(Some(VTZ_LORD_HOWE))).await.status(207);
    let data = prop_text(&r, Some(&floating), "calendar-data").expect("calendar-data");
    assert_eq!(instance_times(&data), floating_instances(&[4, 5, 6, 7]), "{data}");
    assert!(!data.contains("T014500Z"), "relabelled as UTC: {data}");
    let data = prop_text(&r, Some(&zoned), "calendar-data").expect("calendar-data");
    assert_eq!(
        instance_times(&data),
        vec![
            "RECURRENCE-ID:20260403T120000Z DTSTART:20260403T120000Z DTEND:20260403T130000Z".to_string(),
            "RECURRENCE-ID:20260404T120000Z DTSTART:20260404T120000Z DTEND:20260404T130000Z".to_string(),
        ]
    );
    // multiget reads floating times in the calendar's calendar-timezone.
    let patch = format!(
        r#"<D:propertyupdate {NS_DECLS}><D:set><D:prop><C:calendar-timezone><![CDATA[{}]]></C:calendar-timezone></D:prop></D:set></D:propertyupdate>"#,
        timezone_calendar(VTZ_LORD_HOWE)
    );
    server.request("PROPPATCH", CAL).as_user(ALICE).xml(patch).send().await.status(207);
    let multiget = format!(
        r#"<C:calendar-multiget {NS_DECLS}><D:prop><C:calendar-data><C:expand start="20260403T000000Z" end="20260407T000000Z"/></C:calendar-data></D:prop><D:href>{floating}</D:href></C:calendar-multiget>"#
    );
    let r = report(&server, CAL, multiget).await.status(207);
    let data = prop_text(&r, Some(&floating), "calendar-data").expect("calendar-data");
    assert_eq!(instance_times(&data), floating_instances(&[4, 5, 6, 7]), "{data}");
}

/// RFC 4791 §7.9: a multiget names objects within the Request-URI's scope;
/// an href outside it (another calendar, another user, not a DAV path)
/// gets a 404 response of its own beside the objects that are there; a
/// multiget without hrefs is malformed (§9.10).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rfc4791_7_9_multiget_of_hrefs_outside_the_collection() {
    let server = server_with_event().await;
    let work = "/dav/calendars/alice/work/";
    mkcalendar(&server, work).await;
    let other = format!("{work}other.ics");
    put_ok(&server, &other, event("other", &["DTSTART:20260611T090000Z"])).await;
    let inside = format!("{CAL}june.ics");
    let missing = format!("{CAL}missing.ics");
    let hrefs = [inside.as_str(), other.as_str(), "/dav/calendars/bob/calendar/x.ics", "/elsewhere/x.ics", missing.as_str()];
    let body = format!(
        r#"<C:calendar-multiget {NS_DECLS}><D:prop><D:getetag/><C:calendar-data/></D:prop>{}</C:calendar-multiget>"#,
        hrefs.iter().map(|h| format!("<D:href>{h}</D:href>")).collect::<String>()
    );
    let r = report(&server, CAL, body.clone()).await.status(207);
    let text = r.text();
    let responses = split_elements(&text, "response");
    assert_eq!(responses.len(), hrefs.len(), "{text}");
    for (href, resp) in hrefs.iter().zip(&responses) {
        assert!(resp.contains(&format!(">{href}<")), "{href}: {resp}");
        if *href == inside {
            assert!(resp.contains("UID:june") && resp.contains("200 OK"), "{resp}");
        } else {
            assert!(resp.contains("404 Not Found") && !resp.contains("calendar-data"), "{href}: {resp}");
        }
    }
    // From the home both calendars are in scope; on the object only itself.
    let r = report(&server, HOME, body.clone()).await.status(207);
    assert!(r.text().contains("UID:other"), "{}", r.text());
    let r = report(&server, &inside, body).await.status(207);
    assert_eq!(r.text().matches("404 Not Found").count(), 4, "{}", r.text());
    let empty = format!(r#"<C:calendar-multiget {NS_DECLS}><D:prop><D:getetag/></D:prop></C:calendar-multiget>"#);
    report(&server, CAL, empty).await.status(400);
}

/// RFC 4791 §7.8 postcondition `DAV:number-of-matches-within-limits`: a
/// calendar-query with `CALDAV:limit` gets at most `nresults` responses,
/// and a 507 response for the Request-URI naming the condition when more
/// matched.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rfc4791_7_8_limit_and_number_of_matches_within_limits() {
    let server = TestServer::start().await;
    for i in 0..5 {
        put_ok(&server, &format!("{CAL}e{i}.ics"), event(&format!("e{i}"), &[&format!("DTSTART:2026061{i}T090000Z")])).await;
    }
    let query = |n: &str| {
        format!(
            r#"<C:calendar-query {NS_DECLS}><D:prop><D:getetag/></D:prop><C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT"/></C:comp-filter></C:filter><C:limit><C:nresults>{n}</C:nresults></C:limit></C:calendar-query>"#
        )
    };
    let r = report(&server, CAL, query("2")).await.status(207);
    let text = r.text();
    let objects: Vec<String> = r.hrefs().into_iter().filter(|h| h.ends_with(".ics")).collect();
    assert_eq!(objects.len(), 2, "{text}");
    let cut = split_elements(&text, "response").into_iter().find(|resp| resp.contains(&format!(">{CAL}<"))).expect("a response for the calendar");
    assert!(cut.contains("507 Insufficient Storage") && cut.contains("number-of-matches-within-limits"), "{cut}");
    // Within the limit: everything, no 507.
    let r = report(&server, CAL, query("5")).await.status(207);
    assert_eq!(r.hrefs().len(), 5, "{}", r.text());
    assert!(!r.text().contains("507"), "{}", r.text());
    report(&server, CAL, query("many")).await.status(400);
}

/// RFC 4791 §7.10, §9.11: a free-busy-query has exactly one time-range
/// with a UTC start and end; anything else is a malformed body (400).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rfc4791_7_10_free_busy_query_needs_one_time_range() {
    let server = server_with_event().await;
    let fb = |inner: &str| format!(r#"<C:free-busy-query {NS_DECLS}>{inner}</C:free-busy-query>"#);
    for inner in [
        "",
        r#"<C:time-range start="20260601T000000Z"/>"#,
        r#"<C:time-range start="20260601T000000" end="20260701T000000"/>"#,
        r#"<C:time-range start="20260701T000000Z" end="20260601T000000Z"/>"#,
        &format!("{RANGE}{RANGE}"),
    ] {
        report(&server, CAL, fb(inner)).await.status(400);
    }
    report(&server, CAL, fb(RANGE)).await.status(200).contains("FREEBUSY;FBTYPE=BUSY:20260610T090000Z/20260610T100000Z");
}

/// RFC 3253 §3.6 `DAV:supported-report`: a REPORT the resource does not
/// support (free-busy on a calendar object, an unknown report, a CalDAV
/// report on a principal) is 403 naming it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rfc3253_3_6_report_the_resource_does_not_support() {
    let server = server_with_event().await;
    let object = format!("{CAL}june.ics");
    let fb = format!(r#"<C:free-busy-query {NS_DECLS}>{RANGE}</C:free-busy-query>"#);
    assert_condition(&report(&server, &object, fb).await, 403, "D:supported-report");
    let unknown = r#"<D:version-tree xmlns:D="DAV:"><D:prop><D:getetag/></D:prop></D:version-tree>"#;
    assert_condition(&report(&server, CAL, unknown).await, 403, "D:supported-report");
    let query = query_in_vcalendar(r#"<C:comp-filter name="VEVENT"/>"#);
    assert_condition(&report(&server, PRINCIPAL, query.clone()).await, 403, "D:supported-report");
    // A file in a plain collection is no calendar object: no CalDAV report.
    let files = "/dav/calendars/alice/files/";
    server.request("MKCOL", files).as_user(ALICE).send().await.status(201);
    let file = format!("{files}notes.txt");
    server.request("PUT", &file).as_user(ALICE).header("Content-Type", "text/plain").body("notes").send().await.status(201);
    let multiget = format!(r#"<C:calendar-multiget {NS_DECLS}><D:prop><D:getetag/></D:prop><D:href>{file}</D:href></C:calendar-multiget>"#);
    assert_condition(&report(&server, &file, multiget).await, 403, "D:supported-report");
    assert_condition(&report(&server, &file, query.clone()).await, 403, "D:supported-report");
    // The object itself answers calendar-query (RFC 4791 §7: MUST).
    assert_eq!(report(&server, &object, query).await.status(207).hrefs(), vec![object.clone()]);
}

/// RFC 4791 §9.6.5–§9.6.7: `expand`, `limit-recurrence-set` and
/// `limit-freebusy-set` carry both a UTC start and a later UTC end; a body
/// without them is malformed (400), as there is no filter to be invalid.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rfc4791_9_6_5_expand_and_limits_need_a_utc_start_and_end() {
    let server = server_with_event().await;
    let filter = format!(r#"<C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT">{RANGE}</C:comp-filter></C:comp-filter>"#);
    for element in ["expand", "limit-recurrence-set", "limit-freebusy-set"] {
        for attrs in [r#"start="20260601T000000Z""#, r#"end="20260701T000000Z""#, r#"start="20260601T000000" end="20260701T000000""#, r#"start="20260701T000000Z" end="20260601T000000Z""#] {
            let data = format!("<C:calendar-data><C:{element} {attrs}/></C:calendar-data>");
            report(&server, CAL, calendar_query(&data, &filter)).await.status(400);
        }
        let data = format!(r#"<C:calendar-data><C:{element} start="20260601T000000Z" end="20260701T000000Z"/></C:calendar-data>"#);
        report(&server, CAL, calendar_query(&data, &filter)).await.status(207).contains("UID:june");
    }
}

/// None of the REPORT bodies real clients send (Apple Calendar,
/// Thunderbird, DAVx5; `fixtures/clients/`) trips the stricter checks: each
/// is answered 207 on a calendar with an event in it (but for a sync token
/// of another server).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_report_bodies_are_not_refused() {
    let server = server_with_event().await;
    let dir = format!("{}/fixtures/clients", env!("CARGO_MANIFEST_DIR"));
    let mut seen = 0;
    for client in std::fs::read_dir(&dir).unwrap() {
        let client = client.unwrap().path();
        if !client.is_dir() {
            continue;
        }
        for file in std::fs::read_dir(&client).unwrap() {
            let file = file.unwrap().path();
            let name = file.file_name().unwrap().to_string_lossy().into_owned();
            if !(name.starts_with("report-") && name.ends_with(".xml")) {
                continue;
            }
            let r = report(&server, CAL, std::fs::read(&file).unwrap()).await;
            // An incremental sync carries the recording server's token,
            // which is rightly not ours (RFC 6578 §3.2).
            let foreign_token = name.contains("incremental") && r.code() == 403 && r.text().contains("valid-sync-token");
            assert!(r.code() == 207 || foreign_token, "{}: {}", file.display(), r.describe());
            seen += 1;
        }
    }
    assert!(seen >= 6, "only {seen} client REPORT bodies found");
}

/// RFC 4791 §9.7.1–§9.7.3, §9.7.5: `name` is required on comp-, prop- and
/// param-filters, and `negate-condition` is "yes" or "no".
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rfc4791_9_7_filter_attributes() {
    let server = server_with_event().await;
    for inner in [
        r#"<C:comp-filter/>"#,
        r#"<C:comp-filter name=" "/>"#,
        r#"<C:comp-filter name="VEVENT"><C:prop-filter><C:is-not-defined/></C:prop-filter></C:comp-filter>"#,
        r#"<C:comp-filter name="VEVENT"><C:prop-filter name="ATTENDEE"><C:param-filter/></C:prop-filter></C:comp-filter>"#,
        r#"<C:comp-filter name="VEVENT"><C:prop-filter name="SUMMARY"><C:text-match negate-condition="true">x</C:text-match></C:prop-filter></C:comp-filter>"#,
    ] {
        assert_condition(&report(&server, CAL, query_in_vcalendar(inner)).await, 403, "C:valid-filter");
    }
    let negated = r#"<C:comp-filter name="vevent"><C:prop-filter name="summary"><C:text-match negate-condition="yes">nothing like it</C:text-match></C:prop-filter></C:comp-filter>"#;
    assert_eq!(report(&server, CAL, query_in_vcalendar(negated)).await.status(207).hrefs().len(), 1);
}
