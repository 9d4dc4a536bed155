//! The method and collection side of issue 15 §1: RFC 4918 §9–§16 and
//! RFC 4791 §4–§6 walked section by section. Each test triggers a pre- or
//! postcondition over HTTP and checks the status and the `DAV:error`
//! element (docs/preconditions.md lists them with the test that checks
//! each).

use super::*;

/// The status and the precondition element of a refused request.
#[track_caller]
fn assert_condition(r: &Resp, status: u16, condition: &str) {
    assert_eq!(r.code(), status, "{}", r.describe());
    let text = r.text();
    assert!(text.contains("<D:error"), "no DAV:error body: {}", r.describe());
    assert!(text.contains(&format!("<{condition}")), "no {condition}: {}", r.describe());
}

const START: &str = "DTSTART:20260105T100000Z";

/// PUT with a given Content-Type, as alice.
async fn put_as(server: &TestServer, path: &str, content_type: &str, body: &str) -> Resp {
    server.request("PUT", path).as_user(ALICE).header("Content-Type", content_type).body(body.to_string()).send().await
}

// ---------------------------------------------------------------- PUT

/// RFC 4791 §5.3.2.1: a body labelled `text/calendar` that is not
/// iCalendar at all (HTML, JSON) is `supported-calendar-data`; broken
/// iCalendar stays `valid-calendar-data`; both are checked before the UID
/// rules.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rfc4791_5_3_2_1_non_icalendar_body_is_supported_calendar_data() {
    let server = TestServer::start().await;
    let path = format!("{CAL}x.ics");
    for body in ["<!DOCTYPE html><html><body>hi</body></html>", r#"{"uid": "x"}"#, "BEGIN:VCARD\r\nVERSION:4.0\r\nEND:VCARD\r\n", ""] {
        let r = put_as(&server, &path, "text/calendar; charset=utf-8", body).await;
        assert_condition(&r, 403, "C:supported-calendar-data");
    }
    server.request("GET", &path).as_user(ALICE).send().await.status(404);
    let broken = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:b\r\nDTSTART:2026\r\n";
    let r = put_as(&server, &path, "text/calendar", broken).await;
    assert_condition(&r, 403, "C:valid-calendar-data");
    // Onto an existing object with another UID: what the body is comes first.
    put_ok(&server, &path, event("first", &[START])).await;
    let r = put_as(&server, &path, "text/calendar", "<html/>").await;
    assert_condition(&r, 403, "C:supported-calendar-data");
    let r = put_as(&server, &path, "text/calendar", &broken.replace("UID:b", "UID:other")).await;
    assert_condition(&r, 403, "C:valid-calendar-data");
    // A byte-order mark and leading blank lines are still iCalendar.
    let r = put_as(&server, &format!("{CAL}bom.ics"), "text/calendar", &format!("\u{feff}\r\n{}", event("bom", &[START]))).await;
    assert_eq!(r.code(), 201, "{}", r.describe());
}

/// RFC 4791 §4.1 wants a VTIMEZONE for every TZID, but python-caldav
/// (`save_event` with a zoneinfo datetime, what caldav-server-tester's
/// "save-load.event.timezone" check sends) PUTs TZIDs without one: a known
/// zone name is accepted and placed in that zone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rfc4791_4_1_tzid_without_vtimezone_as_python_caldav_sends_it() {
    let server = TestServer::start().await;
    let body = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//python-caldav//caldav//en_DK\r\nBEGIN:VEVENT\r\nSUMMARY:Timezone test event\r\nDTSTART;TZID=America/Los_Angeles:20270615T140000\r\nDTEND;TZID=America/Los_Angeles:20270615T150000\r\nDTSTAMP:20261201T135242Z\r\nUID:csc_timezone_test_event\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
    let path = format!("{CAL}csc.ics");
    put_ok(&server, &path, body).await;
    // 14:00 PDT is 21:00Z.
    let r = report(&server, CAL, event_time_range_query("20270615T205900Z", "20270615T210100Z")).await.status(207);
    assert_eq!(r.hrefs(), vec![path.clone()]);
    let r = report(&server, CAL, event_time_range_query("20270615T140000Z", "20270615T150000Z")).await.status(207);
    assert!(r.hrefs().is_empty(), "{}", r.text());
}

// ---------------------------------------------------------------- MKCALENDAR / MKCOL

fn mkcalendar_body(props: &str) -> String {
    format!(r#"<?xml version="1.0" encoding="utf-8"?><C:mkcalendar {NS_DECLS}><D:set><D:prop>{props}</D:prop></D:set></C:mkcalendar>"#)
}

/// RFC 4791 §5.3.1 (and §5.3.1.2): a property that cannot be set fails the
/// whole MKCALENDAR: 207 naming it with 403 (and
/// `DAV:cannot-modify-protected-property`), the others 424, no calendar
/// made; the answer is not cached.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rfc4791_5_3_1_mkcalendar_with_a_protected_property() {
    let server = TestServer::start().await;
    let cal = "/dav/calendars/alice/protected/";
    for bad in ["<D:getetag>\"x\"</D:getetag>", "<D:resourcetype><D:collection/><D:principal/></D:resourcetype>", "<CS:getctag>1</CS:getctag>"] {
        let body = mkcalendar_body(&format!("<D:displayname>Work</D:displayname>{bad}"));
        let r = server.request("MKCALENDAR", cal).as_user(ALICE).xml(body).send().await.status(207);
        assert_eq!(r.header("cache-control"), Some("no-cache"));
        let local = bad[1..].split(['>', ' ']).next().unwrap().split(':').nth(1).unwrap();
        assert_eq!(r.prop_status(cal, local), Some(403), "{bad}: {}", r.text());
        assert_eq!(r.prop_status(cal, "displayname"), Some(424), "{bad}: {}", r.text());
        r.contains("cannot-modify-protected-property");
        server.request("PROPFIND", cal).as_user(ALICE).depth("0").send().await.status(404);
    }
    // A resourcetype naming a calendar is what MKCALENDAR makes anyway.
    let body = mkcalendar_body("<D:resourcetype><D:collection/><C:calendar/></D:resourcetype><D:displayname>Work</D:displayname>");
    server.request("MKCALENDAR", cal).as_user(ALICE).xml(body).send().await.status(201);
}

/// RFC 5689 §3: extended MKCOL that cannot set a property is 403 with a
/// `DAV:mkcol-response` naming it (403) and the others (424).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rfc5689_3_extended_mkcol_with_a_protected_property() {
    let server = TestServer::start().await;
    let path = "/dav/calendars/alice/ext/";
    let body = format!(
        r#"<D:mkcol {NS_DECLS}><D:set><D:prop><D:resourcetype><D:collection/><C:calendar/></D:resourcetype><D:displayname>X</D:displayname><D:getcontentlength>3</D:getcontentlength></D:prop></D:set></D:mkcol>"#
    );
    let r = server.request("MKCOL", path).as_user(ALICE).xml(body).send().await.status(403);
    r.clone().contains("mkcol-response").contains("cannot-modify-protected-property");
    // An unknown resource type is RFC 5689's own precondition.
    let odd = format!(
        r#"<D:mkcol {NS_DECLS}><D:set><D:prop><D:resourcetype><D:collection/><CS:shared/></D:resourcetype></D:prop></D:set></D:mkcol>"#
    );
    let r2 = server.request("MKCOL", path).as_user(ALICE).xml(odd).send().await;
    assert_condition(&r2, 403, "D:valid-resourcetype");
    let text = r.text();
    let groups = split_elements(&text, "propstat");
    let status_of = |local: &str| {
        groups
            .iter()
            .find(|g| g.contains(&format!(":{local}")))
            .and_then(|g| split_elements(g, "status").into_iter().next())
            .unwrap_or_else(|| panic!("no {local}: {text}"))
    };
    assert!(status_of("getcontentlength").contains(" 403 "), "{text}");
    assert!(status_of("displayname").contains(" 424 "), "{text}");
    server.request("PROPFIND", path).as_user(ALICE).depth("0").send().await.status(404);
}

/// RFC 4791 §5.3.1.1 / RFC 4918 §9.3.1: MKCALENDAR (and MKCOL) whose parent
/// is missing or is not a collection is 409; MKCALENDAR answers carry
/// `Cache-Control: no-cache` whatever they are.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rfc4791_5_3_1_mkcalendar_needs_a_collection_parent() {
    let server = TestServer::start().await;
    server.request("MKCOL", "/dav/calendars/alice/files/").as_user(ALICE).send().await.status(201);
    server.http.put(ALICE, "/dav/calendars/alice/files/note.txt", "x").await;
    for method in ["MKCALENDAR", "MKCOL"] {
        for path in ["/dav/calendars/alice/missing/cal/", "/dav/calendars/alice/files/note.txt/cal/"] {
            let r = server.request(method, path).as_user(ALICE).send().await.status(409);
            if method == "MKCALENDAR" {
                assert_eq!(r.header("cache-control"), Some("no-cache"), "{}", r.describe());
            }
        }
    }
}

/// Some clients send MKCALENDAR, PROPFIND or PROPPATCH bodies labelled
/// `text/calendar`, `text/plain` or not at all: a body that parses as XML
/// is read as XML whatever the Content-Type says. A MKCOL body that is not
/// XML is still 415 (RFC 4918 §9.3).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn xml_bodies_whatever_the_content_type() {
    let server = TestServer::start().await;
    let cal = "/dav/calendars/alice/labelled/";
    let body = mkcalendar_body("<D:displayname>Labelled</D:displayname>");
    server.request("MKCALENDAR", cal).as_user(ALICE).header("Content-Type", "text/calendar").body(body).send().await.status(201);
    let ask = propfind_props(&["D:displayname"]);
    for ct in [Some("text/calendar"), Some("text/plain"), None] {
        let mut req = server.request("PROPFIND", cal).as_user(ALICE).depth("0").body(ask.clone());
        if let Some(ct) = ct {
            req = req.header("Content-Type", ct);
        }
        let r = req.send().await.status(207);
        assert_eq!(prop_text(&r, Some(cal), "displayname").as_deref(), Some("Labelled"), "{ct:?}");
    }
    let patch = format!(r#"<D:propertyupdate {NS_DECLS}><D:set><D:prop><D:displayname>Renamed</D:displayname></D:prop></D:set></D:propertyupdate>"#);
    server.request("PROPPATCH", cal).as_user(ALICE).header("Content-Type", "text/plain").body(patch).send().await.status(207);
    let r = propfind(&server, cal, "0", ask).await.status(207);
    assert_eq!(prop_text(&r, Some(cal), "displayname").as_deref(), Some("Renamed"));
    let mkcol = format!(r#"<D:mkcol {NS_DECLS}><D:set><D:prop><D:displayname>Plain</D:displayname></D:prop></D:set></D:mkcol>"#);
    server.request("MKCOL", "/dav/calendars/alice/plain/").as_user(ALICE).header("Content-Type", "text/plain").body(mkcol).send().await.status(201);
    server.request("MKCOL", "/dav/calendars/alice/junk/").as_user(ALICE).header("Content-Type", "text/calendar").body("not xml").send().await.status(415);
}

// ---------------------------------------------------------------- COPY / MOVE

/// RFC 4791 §5.3.2.1 `calendar-collection-location-ok`: no calendar (or any
/// collection) into a calendar, and no calendar object into a collection
/// that is not a calendar. Nothing moves.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rfc4791_5_3_2_1_calendar_collection_location_ok() {
    let server = TestServer::start().await;
    let (work, files) = ("/dav/calendars/alice/work/", "/dav/calendars/alice/files/");
    server.request("MKCALENDAR", work).as_user(ALICE).send().await.status(201);
    server.request("MKCOL", files).as_user(ALICE).send().await.status(201);
    let obj = format!("{CAL}a.ics");
    put_ok(&server, &obj, event("loc", &[START])).await;
    for method in ["COPY", "MOVE"] {
        for (from, to) in [
            (work.to_string(), format!("{CAL}work/")),
            (files.to_string(), format!("{CAL}files/")),
            (obj.clone(), format!("{files}a.ics")),
            (obj.clone(), "/dav/calendars/alice/a.ics".to_string()),
        ] {
            let r = server.request(method, &from).as_user(ALICE).destination(&to).send().await;
            assert_condition(&r, 403, "C:calendar-collection-location-ok");
            server.request("PROPFIND", &to).as_user(ALICE).depth("0").send().await.status(404);
            server.request("PROPFIND", &from).as_user(ALICE).depth("0").send().await.status(207);
        }
    }
    // Between calendars an object may go.
    server.request("COPY", &obj).as_user(ALICE).destination(&format!("{work}a.ics")).send().await.status(201);
}

/// RFC 4918 §9.8–§9.9 headers: Overwrite F onto an existing target is 412,
/// a Destination on another server 502, a bad Depth or Overwrite 400, COPY
/// onto itself 403.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rfc4918_9_8_copy_and_move_headers() {
    let server = TestServer::start().await;
    let (a, b) = (format!("{CAL}a.ics"), format!("{CAL}b.ics"));
    put_ok(&server, &a, event("hdr-a", &[START])).await;
    for method in ["COPY", "MOVE"] {
        let r = server.request(method, &a).as_user(ALICE).header("Destination", &format!("http://elsewhere.example{b}")).send().await;
        assert_eq!(r.code(), 502, "{}", r.describe());
        let r = server.request(method, &a).as_user(ALICE).destination(&b).header("Overwrite", "maybe").send().await;
        assert_eq!(r.code(), 400, "{}", r.describe());
        let r = server.request(method, &a).as_user(ALICE).destination(&a).send().await;
        assert_eq!(r.code(), 403, "{}", r.describe());
        let r = server.request(method, &a).as_user(ALICE).send().await;
        assert_eq!(r.code(), 400, "no Destination: {}", r.describe());
    }
    server.request("GET", &b).as_user(ALICE).send().await.status(404);
    // A relative Destination and one with this server's host are the same.
    server.request("MOVE", &a).as_user(ALICE).header("Destination", &b).send().await.status(201);
    server.request("MOVE", &b).as_user(ALICE).destination(&a).send().await.status(201);
    let c = format!("{CAL}c.ics");
    put_ok(&server, &c, event("hdr-c", &[START])).await;
    for method in ["COPY", "MOVE"] {
        server.request(method, &a).as_user(ALICE).destination(&c).header("Overwrite", "F").send().await.status(412);
    }
    server.request("GET", &a).as_user(ALICE).send().await.status(200).contains("UID:hdr-a");
    server.request("GET", &c).as_user(ALICE).send().await.status(200).contains("UID:hdr-c");
    // Depth: COPY of a collection takes 0 or infinity, MOVE only infinity.
    let work = "/dav/calendars/alice/work/";
    server.request("MKCALENDAR", work).as_user(ALICE).send().await.status(201);
    server.request("COPY", work).as_user(ALICE).destination("/dav/calendars/alice/w2/").depth("1").send().await.status(400);
    server.request("MOVE", work).as_user(ALICE).destination("/dav/calendars/alice/w2/").depth("0").send().await.status(400);
    server.request("COPY", work).as_user(ALICE).destination("/dav/calendars/alice/w2/").depth("0").send().await.status(201);
}

// ---------------------------------------------------------------- component kinds

/// RFC 4791 §5.3.1: a calendar made without
/// `supported-calendar-component-set` takes every kind RFC 4791 knows; one
/// made with it refuses the others (`supported-calendar-component`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rfc4791_5_2_3_component_sets() {
    let server = TestServer::start().await;
    let any = "/dav/calendars/alice/any/";
    server.request("MKCALENDAR", any).as_user(ALICE).send().await.status(201);
    let r = propfind(&server, any, "0", propfind_props(&["C:supported-calendar-component-set"])).await.status(207);
    let set = prop_text(&r, Some(any), "supported-calendar-component-set").unwrap();
    for kind in ["VEVENT", "VTODO", "VJOURNAL", "VFREEBUSY"] {
        assert!(set.contains(&format!("name=\"{kind}\"")), "{kind}: {set}");
        let body = vcalendar(&[component(kind, &format!("k-{kind}"), &[START])]);
        put_ok(&server, &format!("{any}{kind}.ics"), body).await;
    }
    let events = "/dav/calendars/alice/events/";
    let body = mkcalendar_body(r#"<C:supported-calendar-component-set><C:comp name="VEVENT"/></C:supported-calendar-component-set>"#);
    server.request("MKCALENDAR", events).as_user(ALICE).xml(body).send().await.status(201);
    for kind in ["VTODO", "VJOURNAL", "VFREEBUSY"] {
        let r = put_ics(&server, &format!("{events}{kind}.ics"), vcalendar(&[component(kind, &format!("e-{kind}"), &[START])])).await;
        assert_condition(&r, 403, "C:supported-calendar-component");
        // Nor by COPY from the calendar that has one.
        let r = server.request("COPY", &format!("{any}{kind}.ics")).as_user(ALICE).destination(&format!("{events}{kind}.ics")).send().await;
        assert_condition(&r, 403, "C:supported-calendar-component");
    }
}

/// A calendar-query time-range for `kind` over `[start, end)`.
fn kind_query(kind: &str, start: &str, end: &str) -> String {
    calendar_query(
        "<C:calendar-data/>",
        &format!(r#"<C:comp-filter name="VCALENDAR"><C:comp-filter name="{kind}"><C:time-range start="{start}" end="{end}"/></C:comp-filter></C:comp-filter>"#),
    )
}

/// RFC 4791 §9.9: VTODO by DTSTART/DURATION/DUE/COMPLETED/CREATED per the
/// table, VJOURNAL by DTSTART, VFREEBUSY by DTSTART/DTEND or else its
/// FREEBUSY periods; each round-trips PUT → time-range → data.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rfc4791_9_9_time_ranges_for_every_component_kind() {
    let server = TestServer::start().await;
    let any = "/dav/calendars/alice/any/";
    server.request("MKCALENDAR", any).as_user(ALICE).send().await.status(201);
    // (kind, name, properties, a range it overlaps, a range it does not)
    let cases: &[(&str, &str, &[&str], (&str, &str), (&str, &str))] = &[
        ("VTODO", "start-dur", &["DTSTART:20260601T100000Z", "DURATION:PT2H"], ("20260601T110000Z", "20260601T113000Z"), ("20260601T120000Z", "20260601T130000Z")),
        ("VTODO", "start-due", &["DTSTART:20260602T100000Z", "DUE:20260602T120000Z"], ("20260602T110000Z", "20260602T113000Z"), ("20260602T120000Z", "20260602T130000Z")),
        ("VTODO", "start", &["DTSTART:20260603T100000Z"], ("20260603T100000Z", "20260603T110000Z"), ("20260603T100001Z", "20260603T110000Z")),
        ("VTODO", "due", &["DUE:20260604T100000Z"], ("20260604T090000Z", "20260604T100001Z"), ("20260604T100001Z", "20260604T110000Z")),
        ("VTODO", "completed", &["COMPLETED:20260605T100000Z", "CREATED:20260605T080000Z"], ("20260605T090000Z", "20260605T093000Z"), ("20260605T110000Z", "20260605T120000Z")),
        ("VJOURNAL", "journal", &["DTSTART:20260606T100000Z"], ("20260606T100000Z", "20260606T100100Z"), ("20260606T110000Z", "20260606T120000Z")),
        ("VJOURNAL", "journal-day", &["DTSTART;VALUE=DATE:20260607"], ("20260607T120000Z", "20260607T130000Z"), ("20260608T000000Z", "20260608T010000Z")),
        ("VFREEBUSY", "fb-window", &["DTSTART:20260610T000000Z", "DTEND:20260611T000000Z", "FREEBUSY:20260610T090000Z/PT1H"], ("20260610T150000Z", "20260610T160000Z"), ("20260611T010000Z", "20260611T020000Z")),
        ("VFREEBUSY", "fb-periods", &["FREEBUSY;FBTYPE=BUSY:20260612T090000Z/PT1H,20260612T140000Z/20260612T150000Z"], ("20260612T143000Z", "20260612T144500Z"), ("20260612T110000Z", "20260612T120000Z")),
    ];
    for (kind, name, props, _, _) in cases {
        put_ok(&server, &format!("{any}{name}.ics"), vcalendar(&[component(kind, name, props)])).await;
    }
    for (kind, name, _, hit, miss) in cases {
        let path = format!("{any}{name}.ics");
        let r = report(&server, any, kind_query(kind, hit.0, hit.1)).await.status(207);
        assert_eq!(r.hrefs(), vec![path.clone()], "{name} in {hit:?}: {}", r.text());
        assert!(prop_text(&r, Some(&path), "calendar-data").unwrap().contains(&format!("UID:{name}")), "{name}");
        let r = report(&server, any, kind_query(kind, miss.0, miss.1)).await.status(207);
        assert!(!r.hrefs().contains(&path), "{name} in {miss:?}: {}", r.text());
    }
}

/// RFC 4791 §7.10: free-busy counts VEVENTs and the busy periods stored
/// VFREEBUSY components publish (by FBTYPE, FREE left out, with or without
/// DTSTART/DTEND); VTODO and VJOURNAL are not busy time.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rfc4791_7_10_free_busy_over_every_component_kind() {
    let server = TestServer::start().await;
    let any = "/dav/calendars/alice/any/";
    server.request("MKCALENDAR", any).as_user(ALICE).send().await.status(201);
    put_ok(&server, &format!("{any}e.ics"), event("fb-e", &["DTSTART:20260601T080000Z", "DURATION:PT1H"])).await;
    put_ok(&server, &format!("{any}t.ics"), todo("fb-t", &["DTSTART:20260601T100000Z", "DURATION:PT1H"])).await;
    put_ok(&server, &format!("{any}j.ics"), vcalendar(&[component("VJOURNAL", "fb-j", &["DTSTART:20260601T110000Z"])])).await;
    let fb = vcalendar(&[component(
        "VFREEBUSY",
        "fb-f",
        &["FREEBUSY;FBTYPE=BUSY-UNAVAILABLE:20260601T120000Z/PT1H", "FREEBUSY;FBTYPE=FREE:20260601T140000Z/PT1H", "FREEBUSY:20260601T160000Z/PT30M"],
    )]);
    put_ok(&server, &format!("{any}f.ics"), fb).await;
    let windowed = vcalendar(&[component(
        "VFREEBUSY",
        "fb-w",
        &["DTSTART:20260601T000000Z", "DTEND:20260602T000000Z", "FREEBUSY;FBTYPE=BUSY-TENTATIVE:20260601T180000Z/20260601T190000Z"],
    )]);
    put_ok(&server, &format!("{any}w.ics"), windowed).await;
    let body = format!(r#"<C:free-busy-query {NS_DECLS}><C:time-range start="20260601T000000Z" end="20260602T000000Z"/></C:free-busy-query>"#);
    let r = server.request("REPORT", any).as_user(ALICE).depth("1").xml(body).send().await.status(200);
    let text = r.text().replace("\r\n ", "");
    assert!(text.contains("20260601T080000Z/20260601T090000Z"), "{text}");
    assert!(text.contains("FREEBUSY;FBTYPE=BUSY-UNAVAILABLE:20260601T120000Z/20260601T130000Z"), "{text}");
    assert!(text.contains("20260601T160000Z/20260601T163000Z"), "{text}");
    assert!(text.contains("FREEBUSY;FBTYPE=BUSY-TENTATIVE:20260601T180000Z/20260601T190000Z"), "{text}");
    for t in ["20260601T100000Z", "20260601T110000Z", "20260601T140000Z", "20260601T000000Z/"] {
        assert!(!text.contains(t), "{t}: {text}");
    }
}

// ---------------------------------------------------------------- headers and properties

/// Every DAV method this server knows of, and a few it does not take.
const METHODS: &[&str] = &[
    "OPTIONS", "GET", "HEAD", "PUT", "DELETE", "PROPFIND", "PROPPATCH", "MKCOL", "MKCALENDAR", "COPY", "MOVE", "REPORT", "POST",
    "LOCK", "UNLOCK", "ACL", "PATCH",
];

/// RFC 9110 §10.2.1 / §15.5.6: for every kind of resource, the `Allow` of
/// a 405 names exactly the methods it takes: each listed method is
/// answered with something other than 405, each other one with 405 and
/// the same `Allow` (MKCALENDAR on an existing resource excepted: RFC 4791
/// §5.3.1 wants 403 `resource-must-be-null` there). OPTIONS names at least
/// those.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rfc9110_allow_names_exactly_the_supported_methods() {
    let server = TestServer::start().await;
    let kinds = [
        ("root", "/".to_string()),
        ("dav root", "/dav/".to_string()),
        ("principal", PRINCIPAL.to_string()),
        ("inbox", "/dav/principals/alice/inbox/".to_string()),
        ("outbox", "/dav/principals/alice/outbox/".to_string()),
        ("home", HOME.to_string()),
        ("calendar", "/dav/calendars/alice/scratch/".to_string()),
        ("collection", "/dav/calendars/alice/files/".to_string()),
        ("object", format!("{CAL}obj.ics")),
    ];
    for (kind, path) in kinds {
        let target = format!("{CAL}copy-target-{}.ics", kind.replace(' ', "-"));
        let fresh = || async {
            match kind {
                "calendar" => {
                    server.request("MKCALENDAR", &path).as_user(ALICE).send().await.status_in(&[201, 403]);
                }
                "collection" => {
                    server.request("MKCOL", &path).as_user(ALICE).send().await.status_in(&[201, 405]);
                }
                "object" => {
                    put_ok(&server, &path, event("allow-obj", &[START])).await;
                }
                _ => {}
            }
        };
        fresh().await;
        let r = server.request("LOCK", &path).as_user(ALICE).send().await.status(405);
        let allow: Vec<String> =
            r.header("allow").unwrap_or_else(|| panic!("{kind}: no Allow")).split(',').map(|m| m.trim().to_string()).collect();
        let r = server.request("OPTIONS", &path).as_user(ALICE).send().await.status(200);
        let options = r.header("allow").unwrap_or_else(|| panic!("{kind}: no Allow on OPTIONS")).to_string();
        for m in &allow {
            assert!(options.split(',').any(|o| o.trim() == m), "{kind}: OPTIONS {options} lacks {m}");
        }
        for method in METHODS {
            fresh().await;
            let mut req = server.request(method, &path).as_user(ALICE);
            req = match *method {
                "COPY" | "MOVE" => req.destination(&target).header("Overwrite", "T"),
                "PUT" => req.header("Content-Type", "text/calendar").body(event("allow-obj", &[START])),
                "PROPFIND" => req.depth("0"),
                "REPORT" => req.depth("0").xml(event_time_range_query("20260101T000000Z", "20260102T000000Z")),
                "PROPPATCH" => req.xml(format!(
                    r#"<D:propertyupdate {NS_DECLS}><D:set><D:prop><D:displayname>x</D:displayname></D:prop></D:set></D:propertyupdate>"#
                )),
                _ => req,
            };
            let r = req.send().await;
            let listed = allow.iter().any(|m| m == method);
            if listed {
                assert_ne!(r.code(), 405, "{kind}: {method} is in Allow {allow:?}: {}", r.describe());
            } else if *method == "MKCALENDAR" && r.code() == 403 {
                assert!(r.text().contains("resource-must-be-null"), "{kind}: {}", r.describe());
            } else {
                assert_eq!(r.code(), 405, "{kind}: {method} is not in Allow {allow:?}: {}", r.describe());
                let again: Vec<String> = r
                    .header("allow")
                    .unwrap_or_else(|| panic!("{kind} {method}: no Allow"))
                    .split(',')
                    .map(|m| m.trim().to_string())
                    .collect();
                assert_eq!(again, allow, "{kind} {method}");
            }
            let _ = server.request("DELETE", &target).as_user(ALICE).send().await;
        }
    }
}

/// RFC 4918 §15.4, §15.5, §15.7, §15.1: what GET answers about a resource
/// (Content-Length, Content-Type, Last-Modified) is what PROPFIND says,
/// for objects and collections alike.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rfc4918_15_get_headers_agree_with_propfind() {
    let server = TestServer::start().await;
    let obj = format!("{CAL}a.ics");
    put_ok(&server, &obj, event("props", &[START])).await;
    server.request("MKCOL", "/dav/calendars/alice/files/").as_user(ALICE).send().await.status(201);
    for path in [obj.as_str(), CAL, HOME, "/dav/calendars/alice/files/"] {
        let get = server.request("GET", path).as_user(ALICE).send().await.status(200);
        let r = propfind(&server, path, "0", propfind_props(&["D:getcontentlength", "D:getcontenttype", "D:getlastmodified", "D:creationdate"])).await.status(207);
        let length = get.header("content-length").map(str::to_string);
        assert_eq!(length, Some(get.bytes.len().to_string()), "{path}");
        assert_eq!(prop_text(&r, Some(path), "getcontentlength"), length, "{path}: {}", r.text());
        assert_eq!(prop_text(&r, Some(path), "getcontenttype").as_deref(), get.header("content-type"), "{path}: {}", r.text());
        assert_eq!(prop_text(&r, Some(path), "getlastmodified").as_deref(), get.header("last-modified"), "{path}: {}", r.text());
        let created = prop_text(&r, Some(path), "creationdate").unwrap_or_else(|| panic!("{path}: no creationdate"));
        assert!(chrono::DateTime::parse_from_rfc3339(&created).is_ok(), "{path}: {created}");
        // HEAD says the same as GET.
        let head = server.request("HEAD", path).as_user(ALICE).send().await.status(200);
        assert_eq!(head.header("content-length").map(str::to_string), length, "{path}");
    }
}

// ---------------------------------------------------------------- RFC 4918 §16

/// RFC 4918 §9.1 / §16 `propfind-finite-depth`: Depth infinity (also when
/// absent, which means infinity) is refused on every resource.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rfc4918_16_propfind_finite_depth() {
    let server = TestServer::start().await;
    for path in ["/dav/", PRINCIPAL, HOME, CAL] {
        let r = server.request("PROPFIND", path).as_user(ALICE).depth("infinity").xml(PROPFIND_ALLPROP).send().await;
        assert_condition(&r, 403, "D:propfind-finite-depth");
        let r = server.request("PROPFIND", path).as_user(ALICE).xml(PROPFIND_ALLPROP).send().await;
        assert_condition(&r, 403, "D:propfind-finite-depth");
        // A Depth that is none of 0, 1, infinity is 400 (§10.2).
        server.request("PROPFIND", path).as_user(ALICE).depth("2").xml(PROPFIND_ALLPROP).send().await.status(400);
    }
}

/// RFC 4918 §9.2 / §16 `cannot-modify-protected-property`: PROPPATCH of a
/// protected property is 207 with 403 for it, 424 for the rest, the error
/// element in the response, and nothing changed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rfc4918_16_cannot_modify_protected_property() {
    let server = TestServer::start().await;
    let obj = format!("{CAL}a.ics");
    put_ok(&server, &obj, event("pp", &[START])).await;
    for path in [CAL, obj.as_str(), PRINCIPAL] {
        let body = format!(
            r#"<D:propertyupdate {NS_DECLS}><D:set><D:prop><D:displayname>New</D:displayname><D:getetag>"x"</D:getetag></D:prop></D:set><D:remove><D:prop><D:resourcetype/></D:prop></D:remove></D:propertyupdate>"#
        );
        let r = server.request("PROPPATCH", path).as_user(ALICE).xml(body).send().await.status(207);
        assert_eq!(r.prop_status(path, "getetag"), Some(403), "{path}: {}", r.text());
        assert_eq!(r.prop_status(path, "resourcetype"), Some(403), "{path}: {}", r.text());
        // The principal is slotdav's: nothing of it is writable.
        let others = if path == PRINCIPAL { 403 } else { 424 };
        assert_eq!(r.prop_status(path, "displayname"), Some(others), "{path}: {}", r.text());
        r.contains("<D:cannot-modify-protected-property");
        let r = propfind(&server, path, "0", propfind_props(&["D:displayname"])).await.status(207);
        assert_ne!(prop_text(&r, Some(path), "displayname").as_deref(), Some("New"), "{path}");
    }
}

/// RFC 4918 §16 `no-external-entities`: a body declaring an external entity
/// (or any entity) is refused with 403, for every method that reads XML.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rfc4918_16_no_external_entities() {
    let server = TestServer::start().await;
    let xxe = r#"<?xml version="1.0"?><!DOCTYPE D:propfind [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><D:propfind xmlns:D="DAV:"><D:prop><D:displayname>&xxe;</D:displayname></D:prop></D:propfind>"#;
    let bomb = r#"<?xml version="1.0"?><!DOCTYPE D:propfind [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><D:propfind xmlns:D="DAV:"><D:prop><D:displayname>&b;</D:displayname></D:prop></D:propfind>"#;
    let public = r#"<?xml version="1.0"?><!DOCTYPE D:propfind PUBLIC "-//x//y" "http://evil.example/x.dtd"><D:propfind xmlns:D="DAV:"><D:allprop/></D:propfind>"#;
    for body in [xxe, bomb, public] {
        for method in ["PROPFIND", "PROPPATCH", "REPORT", "MKCALENDAR"] {
            let r = server.request(method, "/dav/calendars/alice/x/").as_user(ALICE).depth("0").xml(body).send().await;
            assert_condition(&r, 403, "D:no-external-entities");
        }
    }
    server.request("PROPFIND", "/dav/calendars/alice/x/").as_user(ALICE).depth("0").send().await.status(404);
    // A DOCTYPE without entities or an external subset is harmless.
    let plain = r#"<?xml version="1.0"?><!DOCTYPE propfind><D:propfind xmlns:D="DAV:"><D:prop><D:resourcetype/></D:prop></D:propfind>"#;
    propfind(&server, CAL, "0", plain).await.status(207);
}

/// RFC 4918 §9.6: DELETE of a collection removes its members with it (204,
/// every member gone); a DELETE with an If-Match that does not match is 412
/// and removes nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rfc4918_9_6_delete_of_a_non_empty_collection() {
    let server = TestServer::start().await;
    let work = "/dav/calendars/alice/work/";
    server.request("MKCALENDAR", work).as_user(ALICE).send().await.status(201);
    let obj = format!("{work}a.ics");
    put_ok(&server, &obj, event("del", &[START])).await;
    server.request("DELETE", &obj).as_user(ALICE).header("If-Match", "\"nope\"").send().await.status(412);
    server.request("DELETE", work).as_user(ALICE).send().await.status(204);
    server.request("GET", &obj).as_user(ALICE).send().await.status(404);
    server.request("PROPFIND", work).as_user(ALICE).depth("0").send().await.status(404);
    // The UID is free again.
    put_ok(&server, &format!("{CAL}again.ics"), event("del", &[START])).await;
}

/// RFC 4918 §9.7.1 / §9.3.1: PUT or MKCOL without a parent is 409; PUT onto
/// a collection is 405.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rfc4918_9_7_put_needs_a_parent() {
    let server = TestServer::start().await;
    let r = put_ics(&server, "/dav/calendars/alice/nowhere/a.ics", event("np", &[START])).await;
    assert_eq!(r.code(), 409, "{}", r.describe());
    let r = put_ics(&server, CAL, event("np", &[START])).await;
    assert_eq!(r.code(), 405, "{}", r.describe());
    assert!(r.header("allow").is_some(), "{}", r.describe());
}

/// RFC 4918 §6 / §10.4: no locking is offered (DAV class 1 and 3), so LOCK
/// and UNLOCK are 405 with `Allow`, and `lock-token-matches-request-uri`
/// cannot arise.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rfc4918_no_locking() {
    let server = TestServer::start().await;
    let r = server.request("OPTIONS", CAL).as_user(ALICE).send().await.status(200);
    assert!(!r.header("dav").unwrap().split(',').any(|c| c.trim() == "2"));
    for method in ["LOCK", "UNLOCK"] {
        let r = server.request(method, CAL).as_user(ALICE).header("Lock-Token", "<urn:uuid:x>").send().await.status(405);
        assert!(!r.header("allow").unwrap().contains("LOCK"), "{}", r.describe());
    }
}

/// RFC 4918 §9.6.1: DELETE of a collection is Depth infinity; any other
/// Depth is 400 and removes nothing. On a plain resource Depth is ignored.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rfc4918_9_6_1_delete_depth() {
    let server = TestServer::start().await;
    let work = "/dav/calendars/alice/work/";
    server.request("MKCALENDAR", work).as_user(ALICE).send().await.status(201);
    let obj = format!("{work}a.ics");
    put_ok(&server, &obj, event("deldepth", &[START])).await;
    for depth in ["0", "1", "2"] {
        server.request("DELETE", work).as_user(ALICE).depth(depth).send().await.status(400);
    }
    server.request("GET", &obj).as_user(ALICE).send().await.status(200);
    server.request("DELETE", &obj).as_user(ALICE).depth("0").send().await.status(204);
    server.request("DELETE", work).as_user(ALICE).depth("infinity").send().await.status(204);
}

/// RFC 4918 §9.8.2 / §9.9.1 and §16 `preserved-live-properties`: COPY and
/// MOVE keep the dead properties; the live ones are the destination's own
/// (a new ETag only where the bytes differ: here they do not).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rfc4918_9_8_2_properties_survive_copy_and_move() {
    let server = TestServer::start().await;
    let (a, b, c) = (format!("{CAL}a.ics"), format!("{CAL}b.ics"), "/dav/calendars/alice/other/");
    let etag = put_ok(&server, &a, event("props-move", &[START])).await;
    let patch = format!(
        r#"<D:propertyupdate {NS_DECLS}><D:set><D:prop><ICAL:calendar-color>#00FF00</ICAL:calendar-color></D:prop></D:set></D:propertyupdate>"#
    );
    server.request("PROPPATCH", &a).as_user(ALICE).xml(patch).send().await.status(207);
    server.request("MKCALENDAR", c).as_user(ALICE).send().await.status(201);
    let copied = format!("{c}a.ics");
    server.request("COPY", &a).as_user(ALICE).destination(&copied).send().await.status(201);
    server.request("MOVE", &a).as_user(ALICE).destination(&b).send().await.status(201);
    for path in [&copied, &b] {
        let ask = format!(r#"<D:propfind {NS_DECLS}><D:prop><ICAL:calendar-color/><D:getetag/><D:getcontenttype/></D:prop></D:propfind>"#);
        let r = propfind(&server, path, "0", ask).await.status(207);
        assert_eq!(prop_text(&r, Some(path), "calendar-color").as_deref(), Some("#00FF00"), "{path}: {}", r.text());
        assert_eq!(prop_text(&r, Some(path), "getetag"), Some(etag.clone()), "{path}");
        assert!(prop_text(&r, Some(path), "getcontenttype").unwrap().starts_with("text/calendar"), "{path}");
    }
}

/// RFC 4791 §5.3.2.1 for COPY and MOVE: what goes into a calendar must be
/// calendar data; a plain file is `supported-calendar-data`, and nothing
/// is made.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rfc4791_5_3_2_1_copy_of_a_file_into_a_calendar() {
    let server = TestServer::start().await;
    server.request("MKCOL", "/dav/calendars/alice/files/").as_user(ALICE).send().await.status(201);
    let file = "/dav/calendars/alice/files/note.txt";
    server.http.put(ALICE, file, "just text").await;
    for method in ["COPY", "MOVE"] {
        let r = server.request(method, file).as_user(ALICE).destination(&format!("{CAL}note.ics")).send().await;
        assert_condition(&r, 403, "C:supported-calendar-data");
        server.request("GET", &format!("{CAL}note.ics")).as_user(ALICE).send().await.status(404);
    }
    server.request("GET", file).as_user(ALICE).send().await.status(200);
}

/// RFC 4791 §5.3.1.1 / RFC 3744 §7.1.1 `DAV:need-privileges`: nothing is
/// made or changed in another user's home.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rfc3744_need_privileges_in_another_home() {
    let server = TestServer::builder().user(BOB, BOB_PW).start().await;
    let bobs = "/dav/calendars/bob/";
    for (method, path) in [
        ("MKCALENDAR", format!("{bobs}mine/")),
        ("MKCOL", format!("{bobs}mine/")),
        ("PUT", format!("{bobs}calendar/x.ics")),
        ("PROPPATCH", format!("{bobs}calendar/")),
        ("DELETE", format!("{bobs}calendar/")),
    ] {
        let r = server.request(method, &path).as_user(ALICE).body(event("np", &[START])).send().await;
        assert_condition(&r, 403, "D:need-privileges");
    }
    // Nor by COPY from alice's home.
    put_ok(&server, &format!("{CAL}a.ics"), event("np-copy", &[START])).await;
    let r = server.request("COPY", &format!("{CAL}a.ics")).as_user(ALICE).destination(&format!("{bobs}calendar/a.ics")).send().await;
    assert_eq!(r.code(), 403, "{}", r.describe());
}

/// RFC 4918 §9.1 / §9.2 / §8.2: a body that is not well-formed XML, or not
/// the element the method takes, is 400; a PROPFIND or PROPPATCH of
/// nothing is 404.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rfc4918_8_2_bad_bodies_are_400() {
    let server = TestServer::start().await;
    for (method, body) in [
        ("PROPFIND", "<D:propfind xmlns:D=\"DAV:\"><D:prop>"),
        ("PROPFIND", "<D:propertyupdate xmlns:D=\"DAV:\"/>"),
        ("PROPPATCH", "<D:propfind xmlns:D=\"DAV:\"><D:allprop/></D:propfind>"),
        ("PROPPATCH", "not xml"),
        ("REPORT", "<D:foo xmlns:D=\"DAV:\"><D:bar/></D:foo>"),
        ("MKCALENDAR", "<D:propfind xmlns:D=\"DAV:\"><D:allprop/></D:propfind>"),
    ] {
        let path = if method == "MKCALENDAR" { "/dav/calendars/alice/bad/" } else { CAL };
        let r = server.request(method, path).as_user(ALICE).depth("0").xml(body).send().await;
        assert!(matches!(r.code(), 400 | 403), "{method} {body}: {}", r.describe());
        if method != "REPORT" {
            assert_eq!(r.code(), 400, "{method} {body}: {}", r.describe());
        }
    }
    server.request("PROPFIND", "/dav/calendars/alice/bad/").as_user(ALICE).depth("0").send().await.status(404);
    server.request("PROPFIND", &format!("{CAL}none.ics")).as_user(ALICE).depth("0").send().await.status(404);
    let patch = format!(r#"<D:propertyupdate {NS_DECLS}><D:set><D:prop><D:displayname>x</D:displayname></D:prop></D:set></D:propertyupdate>"#);
    server.request("PROPPATCH", &format!("{CAL}none.ics")).as_user(ALICE).xml(patch).send().await.status(404);
}

/// RFC 4918 §10.4: the `If` header is evaluated. slotdav holds no locks, so
/// a state token never matches (412) unless negated; an entity tag matches
/// the resource's current one; a tagged list names its resource; a header
/// that does not parse is 400. Nothing is written when it does not hold.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rfc4918_10_4_if_header() {
    let server = TestServer::start().await;
    let a = format!("{CAL}a.ics");
    let etag = put_ok(&server, &a, event("if-a", &[START])).await;
    let put_with_if = |value: String, summary: &'static str| {
        let a = a.clone();
        let server = &server;
        async move {
            server
                .request("PUT", &a)
                .as_user(ALICE)
                .header("Content-Type", "text/calendar")
                .header("If", &value)
                .body(event("if-a", &[START, summary]))
                .send()
                .await
        }
    };
    put_with_if("(<urn:uuid:0f0e0d0c-no-such-lock>)".into(), "SUMMARY:locked").await.status(412);
    put_with_if("([\"not-the-etag\"])".into(), "SUMMARY:stale").await.status(412);
    put_with_if(format!("<{}{a}> ([\"other\"])", server.http.base), "SUMMARY:tagged-stale").await.status(412);
    server.request("GET", &a).as_user(ALICE).send().await.status(200).lacks("SUMMARY:");
    put_with_if("garbage".into(), "SUMMARY:bad").await.status(400);
    let r = put_with_if(format!("(<urn:uuid:x>) ([{etag}])"), "SUMMARY:etag").await;
    assert_eq!(r.code(), 204, "{}", r.describe());
    let etag = r.etag();
    let r = put_with_if(format!("<{}{a}> ([{etag}])", server.http.base), "SUMMARY:tagged").await;
    assert_eq!(r.code(), 204, "{}", r.describe());
    put_with_if("(Not <DAV:no-lock>)".into(), "SUMMARY:not-locked").await.status(204);
    server.request("GET", &a).as_user(ALICE).send().await.status(200).contains("SUMMARY:not-locked");
    // Other methods too.
    server.request("DELETE", &a).as_user(ALICE).header("If", "(<urn:uuid:x>)").send().await.status(412);
    server.request("PROPFIND", &a).as_user(ALICE).depth("0").header("If", "(<urn:uuid:x>)").send().await.status(412);
}

/// RFC 4791 §5.3.3: non-standard components, properties and parameters in
/// a calendar object resource are stored and returned as sent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rfc4791_5_3_3_non_standard_components_and_properties() {
    let server = TestServer::start().await;
    let x = "BEGIN:X-SLOTDAV-NOTE\r\nX-TEXT:kept\r\nEND:X-SLOTDAV-NOTE\r\n".to_string();
    let body = vcalendar(&[
        x,
        component("VEVENT", "xcomp", &[START, "X-CUSTOM;X-PARAM=yes:value", "SUMMARY;X-LANG-HINT=de:Besprechung"]),
    ]);
    let path = format!("{CAL}x.ics");
    put_ok(&server, &path, body.clone()).await;
    let r = server.request("GET", &path).as_user(ALICE).send().await.status(200);
    assert_eq!(r.text(), body);
}
