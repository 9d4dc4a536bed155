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

/// RFC 4791 §5.3.2.1 `CALDAV:valid-calendar-data`: the body must be
/// iCalendar, and a VCALENDAR.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rfc4791_5_3_2_1_valid_calendar_data() {
    let server = TestServer::start().await;
    for name in ["not-icalendar.ics", "vcard-not-vcalendar.ics"] {
        let path = format!("{CAL}{name}");
        let r = put_ics(&server, &path, fixture(&format!("ical/refused/{name}"))).await;
        assert_precondition(&r, 403, "C:valid-calendar-data");
        server.request("GET", &path).as_user(ALICE).send().await.status(404);
    }
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
    let lines: Vec<&str> = std::iter::repeat(long.as_str()).take(40).collect();
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
