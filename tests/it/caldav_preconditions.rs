//! RFC 4791 §5.3.2.1 and RFC 4918 §9 preconditions that a stricter reading
//! of the RFCs found unchecked (issue 15, §1): PUT validation (RFC 5545
//! values), the UID rules, MOVE inside a calendar, MKCALENDAR and MKCOL.
//! Each test triggers the condition over HTTP and checks the status and
//! the `DAV:error` element.

use super::*;

/// The status and the precondition element of a refused request.
#[track_caller]
fn assert_condition(r: &Resp, status: u16, condition: &str) {
    assert_eq!(r.code(), status, "{}", r.describe());
    let text = r.text();
    assert!(text.contains("<D:error"), "no DAV:error body: {}", r.describe());
    assert!(text.contains(&format!("<{condition}")), "no {condition}: {}", r.describe());
}

/// PUTs `body` at a fresh name and expects 403 `valid-calendar-data`;
/// nothing is stored.
async fn refused_as_invalid(server: &TestServer, what: &str, body: String) {
    let path = format!("{CAL}refused-{}.ics", what.replace(|c: char| !c.is_ascii_alphanumeric(), "-"));
    let r = put_ics(server, &path, body).await;
    assert_eq!(r.code(), 403, "{what}: {}", r.describe());
    assert!(r.text().contains("<C:valid-calendar-data"), "{what}: {}", r.describe());
    server.request("GET", &path).as_user(ALICE).send().await.status(404);
}

async fn accepted(server: &TestServer, what: &str, body: String) {
    let path = format!("{CAL}ok-{}.ics", what.replace(|c: char| !c.is_ascii_alphanumeric(), "-"));
    let r = put_ics(server, &path, body).await;
    assert_eq!(r.code(), 201, "{what}: {}", r.describe());
}

const START: &str = "DTSTART:20260105T100000Z";

/// RFC 5545 §3.3.10: an RRULE with an unknown part, a value out of range,
/// a numeric BYDAY where the FREQ forbids it, COUNT with UNTIL, no FREQ.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rfc5545_3_3_10_malformed_rrule_is_invalid_calendar_data() {
    let server = TestServer::start().await;
    for rule in [
        "FREQ=WEEKLY;FOO=BAR",
        "FREQ=WEEKLY;BYDAY=9MO",
        "FREQ=MONTHLY;BYDAY=54MO",
        "FREQ=YEARLY;BYMONTH=13",
        "FREQ=DAILY;COUNT=3;UNTIL=20260201T000000Z",
        "COUNT=3",
        "FREQ=DAILY;BYHOUR=24",
        "FREQ=DAILY;INTERVAL=0",
        "FREQ=WEEKLY;BYMONTHDAY=1",
        "FREQ=MONTHLY;BYWEEKNO=3",
    ] {
        let line = format!("RRULE:{rule}");
        refused_as_invalid(&server, rule, event(&format!("rrule-{rule}"), &[START, &line])).await;
    }
    for rule in ["FREQ=MONTHLY;BYDAY=-1FR;COUNT=3", "FREQ=WEEKLY;BYDAY=MO,TU;X-NAME=kept", "FREQ=YEARLY;BYWEEKNO=20;BYDAY=MO"] {
        let line = format!("RRULE:{rule}");
        accepted(&server, rule, event(&format!("rrule-ok-{rule}"), &[START, &line])).await;
    }
}

/// RFC 5545 §3.3.11 (TEXT escapes) and §3.1 (no control characters but
/// HTAB in values).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rfc5545_text_escapes_and_control_characters() {
    let server = TestServer::start().await;
    refused_as_invalid(&server, "escape-x", event("esc", &[START, "SUMMARY:a\\xb"])).await;
    refused_as_invalid(&server, "escape-colon", event("esc2", &[START, "DESCRIPTION:a\\:b"])).await;
    refused_as_invalid(&server, "bell", event("ctl", &[START, "SUMMARY:ring\u{7}"])).await;
    refused_as_invalid(&server, "nul-in-x-prop", event("ctl2", &[START, "X-NOTE:a\u{0}b"])).await;
    refused_as_invalid(&server, "escape-in-param", event("ctl3", &[START, "ATTENDEE;CN=\"a\u{1b}b\":mailto:a@example.org"])).await;
    accepted(&server, "good-escapes", event("esc-ok", &[START, "SUMMARY:a\\, b\\; c\\\\ d\\n e\\N", "DESCRIPTION:tab\there"])).await;
}

/// RFC 5545 §3.3.4/§3.3.5: DATE-TIME fields out of range, in any date
/// property (a leap second, 60, is allowed).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rfc5545_date_time_fields_out_of_range() {
    let server = TestServer::start().await;
    refused_as_invalid(&server, "second-61", event("dt1", &["DTSTART:20260105T100061Z"])).await;
    refused_as_invalid(&server, "hour-25", event("dt2", &["DTSTART:20260105T250000Z"])).await;
    refused_as_invalid(&server, "month-13-dtstamp", vcalendar(&["BEGIN:VEVENT\r\nUID:dt3\r\nDTSTAMP:20261301T000000Z\r\nDTSTART:20260105T100000Z\r\nEND:VEVENT\r\n".into()])).await;
    refused_as_invalid(&server, "rdate-hour-25", event("dt4", &[START, "RDATE:20260106T250000Z"])).await;
    accepted(&server, "leap-second", event("dt-ok", &["DTSTART:20261231T235960Z"])).await;
}

/// RFC 5545 §3.8.4.4: a RECURRENCE-ID names an instance of the master, with
/// the value type of its DTSTART.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rfc5545_recurrence_id_names_an_instance() {
    let server = TestServer::start().await;
    let master = component("VEVENT", "rid", &[START, "DURATION:PT1H", "RRULE:FREQ=DAILY;COUNT=3", "RDATE:20260201T100000Z"]);
    let with = |rid: &str| vcalendar(&[master.clone(), component("VEVENT", "rid", &[rid, "DTSTART:20260110T120000Z", "DURATION:PT1H"])]);
    refused_as_invalid(&server, "no-such-instance", with("RECURRENCE-ID:20260105T110000Z")).await;
    refused_as_invalid(&server, "after-count", with("RECURRENCE-ID:20260108T100000Z")).await;
    refused_as_invalid(&server, "date-for-date-time", with("RECURRENCE-ID;VALUE=DATE:20260106")).await;
    accepted(&server, "second-instance", with("RECURRENCE-ID:20260106T100000Z")).await;
    let path = format!("{CAL}ok-rdate-instance.ics");
    let r = put_ics(&server, &path, with("RECURRENCE-ID;TZID=Europe/Berlin:20260201T110000").replace("UID:rid", "UID:rid2")).await;
    assert_eq!(r.code(), 201, "an RDATE instance, named in another zone: {}", r.describe());
    // Without a master (an invitation to one instance) nothing is compared.
    accepted(&server, "orphan", vcalendar(&[component("VEVENT", "orphan", &["RECURRENCE-ID:20260105T110000Z", START])])).await;
}

/// RFC 4791 §4.1: a TZID names a VTIMEZONE of the object. One we do not
/// know and that has none cannot be placed and is refused; a known zone
/// name without one is accepted (see ical/strict.rs).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rfc4791_4_1_tzid_without_vtimezone() {
    let server = TestServer::start().await;
    refused_as_invalid(&server, "unknown-tzid", event("tz1", &["DTSTART;TZID=Mars/Olympus:20260105T100000"])).await;
    refused_as_invalid(&server, "unknown-tzid-in-alarm-less-exdate", event("tz2", &[START, "RRULE:FREQ=DAILY;COUNT=2", "EXDATE;TZID=Nowhere:20260106T100000"])).await;
    accepted(&server, "iana-name", event("tz3", &["DTSTART;TZID=Europe/Berlin:20260105T100000"])).await;
    let defined = "BEGIN:VTIMEZONE\r\nTZID:Mars/Olympus\r\nBEGIN:STANDARD\r\nDTSTART:19700101T000000\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0100\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\n";
    accepted(&server, "defined", vcalendar(&[defined.into(), component("VEVENT", "tz4", &["DTSTART;TZID=Mars/Olympus:20260105T100000"])])).await;
}

/// RFC 4791 §5.3.2.1: `supported-calendar-data` is about the media type,
/// and about a text/calendar body that is not iCalendar at all (issue 15:
/// JSON labelled text/calendar is not calendar data we support).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rfc4791_5_3_2_1_supported_calendar_data_is_the_media_type() {
    let server = TestServer::start().await;
    let path = format!("{CAL}json.ics");
    let r = server.request("PUT", &path).as_user(ALICE).header("Content-Type", "application/json").body(event("j", &[START])).send().await;
    assert_condition(&r, 403, "C:supported-calendar-data");
    server.request("GET", &path).as_user(ALICE).send().await.status(404);
    let r = put_ics(&server, &path, r#"{"uid": "x"}"#).await;
    assert_condition(&r, 403, "C:supported-calendar-data");
    server.request("GET", &path).as_user(ALICE).send().await.status(404);
    // Nothing more specific than bytes is read as iCalendar.
    let r = server.request("PUT", &path).as_user(ALICE).header("Content-Type", "application/octet-stream").body(event("j", &[START])).send().await;
    assert_eq!(r.code(), 201, "{}", r.describe());
}

/// RFC 4791 §5.3.2.1 `no-uid-conflict`: a PUT must not "overwrite an
/// existing calendar object resource with one that has a different UID";
/// an invalid body is reported as invalid first.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rfc4791_5_3_2_1_put_with_another_uid_onto_an_object() {
    let server = TestServer::start().await;
    let path = format!("{CAL}a.ics");
    put_ok(&server, &path, event("first", &[START])).await;
    let r = put_ics(&server, &path, event("second", &[START])).await;
    assert_condition(&r, 409, "C:no-uid-conflict");
    assert!(r.text().contains("/dav/calendars/alice/calendar/a.ics</D:href>"), "{}", r.describe());
    let r = put_ics(&server, &path, event("second", &[START, "RRULE:FREQ=DAILY;BYMONTH=13"])).await;
    assert_condition(&r, 403, "C:valid-calendar-data");
    server.request("GET", &path).as_user(ALICE).send().await.status(200).contains("UID:first");
    // The same UID may be rewritten.
    put_ok(&server, &path, event("first", &[START, "SUMMARY:again"])).await;
}

/// A MOVE inside one calendar renames the object: no UID conflict with
/// itself; after it the UID belongs to the new name, the index follows, and
/// `Overwrite: F` onto an existing target is 412 (RFC 4918 §9.9.4).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rfc4918_9_9_move_renames_inside_a_calendar() {
    let server = TestServer::start().await;
    let (a, b) = (format!("{CAL}a.ics"), format!("{CAL}b.ics"));
    put_ok(&server, &a, event("renamed", &["DTSTART:20260601T080000Z"])).await;
    server.request("MOVE", &a).as_user(ALICE).destination(&b).send().await.status(201);
    server.request("GET", &a).as_user(ALICE).send().await.status(404);
    server.request("GET", &b).as_user(ALICE).send().await.status(200).contains("UID:renamed");
    let r = report(&server, CAL, event_time_range_query("20260601T000000Z", "20260602T000000Z")).await.status(207);
    assert_eq!(r.hrefs(), vec![b.clone()]);
    // The UID is still taken, by b.ics.
    let r = put_ics(&server, &format!("{CAL}c.ics"), event("renamed", &["DTSTART:20260601T080000Z"])).await;
    assert_condition(&r, 409, "C:no-uid-conflict");
    assert_eq!(split_elements(&r.text(), "href"), vec![b.clone()]);
    // And back again, then onto an existing object without overwriting.
    server.request("MOVE", &b).as_user(ALICE).destination(&a).send().await.status(201);
    put_ok(&server, &b, event("other", &["DTSTART:20260602T080000Z"])).await;
    server.request("MOVE", &a).as_user(ALICE).destination(&b).header("Overwrite", "F").send().await.status(412);
    server.request("GET", &a).as_user(ALICE).send().await.status(200).contains("UID:renamed");
}

/// RFC 4791 §5.3.2.1 `no-uid-conflict` for MOVE and COPY: an existing
/// object is not overwritten by one with another UID.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rfc4791_5_3_2_1_move_onto_an_object_with_another_uid() {
    let server = TestServer::start().await;
    let work = "/dav/calendars/alice/work/";
    server.request("MKCALENDAR", work).as_user(ALICE).send().await.status(201);
    let (a, b, w) = (format!("{CAL}a.ics"), format!("{CAL}b.ics"), format!("{work}w.ics"));
    put_ok(&server, &a, event("uid-a", &["DTSTART:20260601T080000Z"])).await;
    put_ok(&server, &b, event("uid-b", &["DTSTART:20260601T090000Z"])).await;
    put_ok(&server, &w, event("uid-w", &["DTSTART:20260601T100000Z"])).await;
    for (method, to) in [("MOVE", &b), ("MOVE", &w), ("COPY", &w)] {
        let r = server.request(method, &a).as_user(ALICE).destination(to).header("Overwrite", "T").send().await;
        assert_condition(&r, 409, "C:no-uid-conflict");
        assert_eq!(split_elements(&r.text(), "href"), vec![to.clone()], "{method} {to}");
    }
    server.request("GET", &a).as_user(ALICE).send().await.status(200).contains("UID:uid-a");
    server.request("GET", &b).as_user(ALICE).send().await.status(200).contains("UID:uid-b");
    server.request("GET", &w).as_user(ALICE).send().await.status(200).contains("UID:uid-w");
}

/// RFC 4791 §5.3.1: MKCALENDAR on an existing URL is 403
/// `DAV:resource-must-be-null`; its answers carry `Cache-Control: no-cache`.
/// MKCOL on one stays 405 (RFC 4918 §9.3.1), with `Allow`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rfc4791_5_3_1_mkcalendar_on_an_existing_url() {
    let server = TestServer::start().await;
    let cal = "/dav/calendars/alice/new/";
    let r = server.request("MKCALENDAR", cal).as_user(ALICE).send().await.status(201);
    assert_eq!(r.header("cache-control"), Some("no-cache"));
    let r = server.request("MKCALENDAR", cal).as_user(ALICE).send().await;
    assert_condition(&r, 403, "D:resource-must-be-null");
    assert_eq!(r.header("cache-control"), Some("no-cache"));
    let r = server.request("MKCALENDAR", CAL).as_user(ALICE).send().await;
    assert_condition(&r, 403, "D:resource-must-be-null");
    let r = server.request("MKCOL", cal).as_user(ALICE).send().await.status(405);
    let allow = r.header("allow").unwrap_or_else(|| panic!("no Allow: {}", r.describe())).to_string();
    assert!(allow.contains("PROPFIND") && !allow.contains("MKCOL"), "{allow}");
}

/// RFC 4791 §4.2 with RFC 4918 §9.3.1: a calendar holds calendar objects
/// only, so MKCOL or MKCALENDAR inside one is 403
/// `CALDAV:calendar-collection-location-ok`, not 409.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rfc4918_9_3_1_no_collection_inside_a_calendar() {
    let server = TestServer::start().await;
    for method in ["MKCOL", "MKCALENDAR"] {
        let r = server.request(method, &format!("{CAL}inner/")).as_user(ALICE).send().await;
        assert_condition(&r, 403, "C:calendar-collection-location-ok");
    }
    server.request("PROPFIND", &format!("{CAL}inner/")).as_user(ALICE).depth("0").send().await.status(404);
}

/// RFC 9110 §15.5.6: every 405 carries `Allow`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rfc9110_15_5_6_every_405_has_allow() {
    let server = TestServer::start().await;
    put_ok(&server, &format!("{CAL}a.ics"), event("allow", &["DTSTART:20260601T080000Z"])).await;
    for (method, path) in [
        ("POST", format!("{CAL}a.ics")),
        ("LOCK", CAL.to_string()),
        ("PUT", PRINCIPAL.to_string()),
        ("MKCOL", CAL.to_string()),
        ("PUT", HOME.to_string()),
    ] {
        let body = if method == "PUT" { event("x", &[START]) } else { String::new() };
        let r = server.request(method, &path).as_user(ALICE).body(body).send().await;
        assert_eq!(r.code(), 405, "{method} {path}: {}", r.describe());
        assert!(r.header("allow").is_some_and(|a| a.contains("OPTIONS")), "{method} {path}: {}", r.describe());
    }
}
