//! PUT into a calendar (RFC 4791 §5.3.2, §4.1): what is refused, with
//! which `DAV:error` precondition, and what is accepted and given back
//! byte for byte.

use super::*;

/// The precondition element a refused PUT names, e.g. `C:valid-calendar-data`.
#[track_caller]
fn assert_precondition(r: &Resp, status: u16, condition: &str) {
    assert_eq!(r.code(), status, "{}", r.describe());
    let text = r.text();
    assert!(text.contains("<D:error"), "no DAV:error body: {}", r.describe());
    assert!(
        text.contains(&format!("<{condition}/>")) || text.contains(&format!("<{condition}>")),
        "no {condition}: {}",
        r.describe()
    );
}

/// RFC 4791 §5.3.2.1: the body must be iCalendar, and a VCALENDAR. One
/// that is not iCalendar at all (text, JSON, a vCard), whatever its label,
/// is not calendar data we support (`CALDAV:supported-calendar-data`, issue
/// 15); a VCALENDAR that does not parse is `CALDAV:valid-calendar-data`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rfc4791_5_3_2_1_valid_calendar_data() {
    let server = TestServer::start().await;
    for name in ["not-icalendar.ics", "vcard-not-vcalendar.ics"] {
        let path = format!("{CAL}{name}");
        let r = put_ics(&server, &path, fixture(&format!("ical/refused/{name}"))).await;
        assert_precondition(&r, 403, "C:supported-calendar-data");
        server.request("GET", &path).as_user(ALICE).send().await.status(404);
    }
    let path = format!("{CAL}unterminated.ics");
    let r = put_ics(&server, &path, "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:u\r\n").await;
    assert_precondition(&r, 403, "C:valid-calendar-data");
    server.request("GET", &path).as_user(ALICE).send().await.status(404);
}

/// RFC 4791 §4.1 `CALDAV:valid-calendar-object-resource`: no METHOD, one
/// kind of component, one UID.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rfc4791_4_1_valid_calendar_object_resource() {
    let server = TestServer::start().await;
    for name in ["method-present.ics", "event-and-todo-mixed.ics", "two-different-uids.ics"] {
        let path = format!("{CAL}{name}");
        let r = put_ics(&server, &path, fixture(&format!("ical/refused/{name}"))).await;
        assert_precondition(&r, 403, "C:valid-calendar-object-resource");
        server.request("GET", &path).as_user(ALICE).send().await.status(404);
    }
}

/// RFC 4791 §5.3.2.1 `CALDAV:supported-calendar-component`, on a calendar
/// restricted to VEVENT.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rfc4791_5_3_2_1_supported_calendar_component() {
    let server = TestServer::start().await;
    let cal = "/dav/calendars/alice/events-only/";
    let body = format!(
        r#"<C:mkcalendar {NS_DECLS}><D:set><D:prop><C:supported-calendar-component-set><C:comp name="VEVENT"/></C:supported-calendar-component-set></D:prop></D:set></C:mkcalendar>"#
    );
    server.request("MKCALENDAR", cal).as_user(ALICE).xml(body).send().await.status(201);
    let r = put_ics(&server, &format!("{cal}t.ics"), todo("todo-in-events", &["SUMMARY:Nope"])).await;
    assert_precondition(&r, 403, "C:supported-calendar-component");
    let journal = vcalendar(&[component("VJOURNAL", "journal-in-events", &["DTSTART;VALUE=DATE:20260601", "SUMMARY:Nope"])]);
    let r = put_ics(&server, &format!("{cal}j.ics"), journal).await;
    assert_precondition(&r, 403, "C:supported-calendar-component");
    put_ok(&server, &format!("{cal}e.ics"), event("event-in-events", &["DTSTART:20260601T100000Z"])).await;
}

/// RFC 4791 §5.3.2.1 `CALDAV:no-uid-conflict`: 409, naming the resource
/// that already has the UID. Overwriting the same resource is fine.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rfc4791_5_3_2_1_no_uid_conflict_names_the_existing_resource() {
    let server = TestServer::start().await;
    let first = format!("{CAL}first.ics");
    put_ok(&server, &first, event("shared-uid", &["DTSTART:20260601T100000Z", "SUMMARY:First"])).await;
    let r = put_ics(&server, &format!("{CAL}second.ics"), event("shared-uid", &["DTSTART:20260602T100000Z", "SUMMARY:Second"])).await;
    assert_precondition(&r, 409, "C:no-uid-conflict");
    let href = split_elements(&r.text(), "href");
    assert_eq!(href, vec![first.clone()], "{}", r.text());
    server.request("GET", &format!("{CAL}second.ics")).as_user(ALICE).send().await.status(404);
    // Same name, same UID: an update.
    let r = put_ics(&server, &first, event("shared-uid", &["DTSTART:20260603T100000Z", "SUMMARY:First v2"])).await.status(204);
    let _ = r.etag();
}

/// RFC 4791 §5.3.2.1 `CALDAV:max-resource-size`: bodies larger than the
/// calendar's `max-resource-size` are refused, and the property says so.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rfc4791_5_3_2_1_max_resource_size() {
    let server = TestServer::builder().config(|c| c.max_resource_size = 2000).start().await;
    let r = propfind(&server, CAL, "0", propfind_props(&["C:max-resource-size"])).await.status(207);
    assert_eq!(prop_text(&r, Some(CAL), "max-resource-size").unwrap().trim(), "2000");
    let long = format!("DESCRIPTION:{}", "x".repeat(60));
    let lines: Vec<&str> = std::iter::repeat_n(long.as_str(), 40).collect();
    let mut props = vec!["DTSTART:20260601T100000Z"];
    props.extend(lines);
    let big = event("too-big", &props);
    assert!(big.len() > 2000);
    let r = put_ics(&server, &format!("{CAL}big.ics"), big).await;
    assert_precondition(&r, 403, "C:max-resource-size");
    let small = event("small-enough", &["DTSTART:20260601T100000Z"]);
    assert!(small.len() < 2000);
    put_ok(&server, &format!("{CAL}small.ics"), small).await;
}

/// RFC 4791 §5.3.2 with the oddities real clients send: folding, bare LF,
/// X- properties, TZIDs that are not Olson names, all-day and floating
/// times, overrides, EXDATE/RDATE and alarms. Each is accepted, and GET
/// returns exactly the bytes PUT (RFC 9110 §9.3.4), and so does
/// calendar-data in a multiget.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rfc4791_5_3_2_accepts_what_clients_send_and_returns_it_verbatim() {
    let server = TestServer::start().await;
    let names = [
        "folded-long-lines.ics",
        "lf-only-line-endings.ics",
        "x-properties.ics",
        "tzid-mozilla-prefixed.ics",
        "tzid-windows-name.ics",
        "tzid-customized-outlook.ics",
        "all-day-date.ics",
        "floating-time.ics",
        "recurrence-id-override.ics",
        "exdate-rdate.ics",
        "valarm.ics",
    ];
    let mut hrefs = String::new();
    for name in names {
        let bytes = fixture(&format!("ical/accepted/{name}"));
        let path = format!("{CAL}{name}");
        let r = put_ics(&server, &path, bytes.clone()).await;
        assert_eq!(r.code(), 201, "{name}: {}", r.describe());
        let etag = r.etag();
        let got = server.request("GET", &path).as_user(ALICE).send().await.status(200);
        assert_eq!(got.bytes.as_ref(), bytes.as_slice(), "{name}: GET differs from PUT");
        assert_eq!(got.etag(), etag, "{name}");
        assert!(got.header("content-type").unwrap_or("").starts_with("text/calendar"), "{}", got.describe());
        hrefs.push_str(&format!("<D:href>{path}</D:href>"));
    }
    let body = format!(
        r#"<C:calendar-multiget {NS_DECLS}><D:prop><D:getetag/><C:calendar-data/></D:prop>{hrefs}</C:calendar-multiget>"#
    );
    let r = report(&server, CAL, body).await.status(207);
    for name in names {
        let href = format!("{CAL}{name}");
        let data = prop_text(&r, Some(&href), "calendar-data").unwrap_or_else(|| panic!("{name}: {}", r.text()));
        assert_eq!(data.as_bytes(), fixture(&format!("ical/accepted/{name}")).as_slice(), "{name}: calendar-data differs");
    }
}

/// Events in zones with non-Olson TZIDs are indexed at the right time:
/// the VTIMEZONE in the object says what the zone is.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rfc5545_3_6_5_unusual_tzids_are_indexed_by_their_vtimezone() {
    let server = TestServer::start().await;
    // 09:00 in Berlin summer time is 07:00Z on each of these days.
    for (name, day) in [("tzid-mozilla-prefixed.ics", "15"), ("tzid-windows-name.ics", "16"), ("tzid-customized-outlook.ics", "17")] {
        put_ok(&server, &format!("{CAL}{name}"), fixture(&format!("ical/accepted/{name}"))).await;
        let href = format!("{CAL}{name}");
        let hit = report(&server, CAL, event_time_range_query(&format!("202606{day}T065000Z"), &format!("202606{day}T071000Z")))
            .await
            .status(207);
        assert_eq!(hit.hrefs(), vec![href.clone()], "{name}: {}", hit.text());
        let miss = report(&server, CAL, event_time_range_query(&format!("202606{day}T090000Z"), &format!("202606{day}T093000Z")))
            .await
            .status(207);
        assert!(miss.hrefs().is_empty(), "{name} is not at 09:00Z: {}", miss.text());
    }
}

/// RFC 4791 §5.3.2.1: UIDs are unique per calendar collection, not per
/// user; the same event may live in two calendars.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rfc4791_5_3_2_1_uid_is_unique_per_calendar_only() {
    let server = TestServer::start().await;
    mkcalendar(&server, "/dav/calendars/alice/work/").await;
    let body = event("in-two-calendars", &["DTSTART:20260601T080000Z"]);
    put_ok(&server, &format!("{CAL}x.ics"), body.clone()).await;
    let r = put_ics(&server, "/dav/calendars/alice/work/x.ics", body).await;
    assert_eq!(r.code(), 201, "{}", r.describe());
}

/// RFC 4791 §5.3.2.1: the preconditions hold for COPY and MOVE too. A
/// copy within the calendar would duplicate a UID; a MOVE to another
/// calendar takes the UID along, freeing it in the source.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rfc4791_5_3_2_1_copy_and_move_keep_uids_unique() {
    let server = TestServer::start().await;
    let work = "/dav/calendars/alice/work/";
    mkcalendar(&server, work).await;
    let a = format!("{CAL}a.ics");
    put_ok(&server, &a, event("moving", &["DTSTART:20260601T080000Z"])).await;

    let r = server.request("COPY", &a).as_user(ALICE).destination(&format!("{CAL}a-copy.ics")).send().await;
    assert_precondition(&r, 409, "C:no-uid-conflict");
    server.request("GET", &format!("{CAL}a-copy.ics")).as_user(ALICE).send().await.status(404);

    let moved = format!("{work}a.ics");
    server.request("MOVE", &a).as_user(ALICE).destination(&moved).send().await.status(201);
    server.request("GET", &a).as_user(ALICE).send().await.status(404);
    let r = report(&server, work, event_time_range_query("20260601T000000Z", "20260602T000000Z")).await.status(207);
    assert_eq!(r.hrefs(), vec![moved.clone()], "the moved object is indexed in its new calendar");
    let r = report(&server, CAL, event_time_range_query("20260601T000000Z", "20260602T000000Z")).await.status(207);
    assert!(r.hrefs().is_empty(), "and no longer in the old one: {}", r.text());
    // The UID is free in the source and taken in the destination.
    put_ok(&server, &format!("{CAL}again.ics"), event("moving", &["DTSTART:20260601T080000Z"])).await;
    let r = put_ics(&server, &format!("{work}other-name.ics"), event("moving", &["DTSTART:20260601T080000Z"])).await;
    assert_precondition(&r, 409, "C:no-uid-conflict");
    assert_eq!(split_elements(&r.text(), "href"), vec![moved]);
}

/// RFC 4791 §5.3.2.1 `CALDAV:supported-calendar-data` /
/// `valid-calendar-data`: COPY of a non-calendar file into a calendar is
/// refused like a PUT of it would be.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rfc4791_5_3_2_1_copy_of_a_plain_file_into_a_calendar_is_refused() {
    let server = TestServer::start().await;
    let files = "/dav/calendars/alice/files/";
    server.http.mkcol(ALICE, files).await;
    server.http.put(ALICE, &format!("{files}notes.txt"), "just text").await;
    let r = server.request("COPY", &format!("{files}notes.txt")).as_user(ALICE).destination(&format!("{CAL}notes.ics")).send().await;
    assert_eq!(r.code(), 403, "{}", r.describe());
    assert!(r.text().contains("supported-calendar-data") || r.text().contains("valid-calendar-data"), "{}", r.describe());
    server.request("GET", &format!("{CAL}notes.ics")).as_user(ALICE).send().await.status(404);
}

/// RFC 4791 §5.3.2.1: a VTODO-only calendar refuses an event arriving by
/// COPY or MOVE as it refuses one arriving by PUT.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rfc4791_5_3_2_1_copy_and_move_into_a_calendar_check_the_component_set() {
    let server = TestServer::start().await;
    let body = format!(
        r#"<C:mkcalendar {NS_DECLS}><D:set><D:prop><C:supported-calendar-component-set><C:comp name="VTODO"/></C:supported-calendar-component-set></D:prop></D:set></C:mkcalendar>"#
    );
    let (tasks_a, tasks_b) = ("/dav/calendars/alice/tasks-a/", "/dav/calendars/alice/tasks-b/");
    for t in [tasks_a, tasks_b] {
        server.request("MKCALENDAR", t).as_user(ALICE).xml(body.clone()).send().await.status(201);
    }
    let a = format!("{CAL}ev.ics");
    put_ok(&server, &a, event("ev-to-tasks", &["DTSTART:20260601T080000Z"])).await;
    let copy = server.request("COPY", &a).as_user(ALICE).destination(&format!("{tasks_a}ev.ics")).send().await;
    let moved = server.request("MOVE", &a).as_user(ALICE).destination(&format!("{tasks_b}ev.ics")).send().await;
    assert_precondition(&copy, 403, "C:supported-calendar-component");
    assert_precondition(&moved, 403, "C:supported-calendar-component");
    server.http.get(ALICE, &a).await;
    for t in [tasks_a, tasks_b] {
        server.request("GET", &format!("{t}ev.ics")).as_user(ALICE).send().await.status(404);
    }
}

/// Hrefs with characters that need escaping: PUT, multiget by encoded
/// href and by absolute URL, and the href the server reports back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rfc4918_8_3_encoded_names_and_absolute_hrefs() {
    let server = TestServer::start().await;
    let encoded = format!("{CAL}Termin%20mit%20%C3%9Cmlaut.ics");
    put_ok(&server, &encoded, event("encoded-name", &["DTSTART:20260601T080000Z"])).await;
    let absolute = format!("{}{encoded}", server.http.base);
    let body = format!(r#"<C:calendar-multiget {NS_DECLS}><D:prop><D:getetag/></D:prop><D:href>{encoded}</D:href><D:href>{absolute}</D:href></C:calendar-multiget>"#);
    let r = report(&server, CAL, body).await.status(207);
    assert_eq!(r.hrefs().len(), 2, "{}", r.text());
    for h in r.hrefs() {
        assert!(h.ends_with("Termin%20mit%20%C3%9Cmlaut.ics"), "{h}: {}", r.text());
        assert_eq!(r.prop_status(&h, "getetag"), Some(200), "{}", r.text());
    }
    let r = report(&server, CAL, event_time_range_query("20260601T000000Z", "20260602T000000Z")).await.status(207);
    assert_eq!(r.hrefs(), vec![encoded]);
}
