//! Calendar collections: MKCALENDAR (RFC 4791 §5.3.1), extended MKCOL
//! (RFC 5689), their live properties (RFC 4791 §5.2, RFC 6578 §4,
//! calendarserver's getctag), client-owned dead properties, and DELETE.

use super::*;

const TASKS: &str = "/dav/calendars/alice/tasks/";

const BERLIN_VTIMEZONE: &str = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//slotdav tests//EN\r\nBEGIN:VTIMEZONE\r\nTZID:Europe/Berlin\r\nBEGIN:STANDARD\r\nDTSTART:19701025T030000\r\nRRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r\nTZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\nEND:STANDARD\r\nBEGIN:DAYLIGHT\r\nDTSTART:19700329T020000\r\nRRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200\r\nEND:DAYLIGHT\r\nEND:VTIMEZONE\r\nEND:VCALENDAR\r\n";

/// RFC 4791 §5.3.1: MKCALENDAR sets its initial properties in the same
/// request, and a VTODO-only calendar refuses events (§5.3.2.1).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rfc4791_5_3_1_mkcalendar_with_initial_properties() {
    let server = TestServer::start().await;
    let body = format!(
        r#"<?xml version="1.0" encoding="utf-8"?>
<C:mkcalendar {NS_DECLS}>
  <D:set><D:prop>
    <D:displayname>Aufgaben</D:displayname>
    <C:calendar-description xml:lang="de">Alles, was zu tun ist</C:calendar-description>
    <C:calendar-timezone><![CDATA[{BERLIN_VTIMEZONE}]]></C:calendar-timezone>
    <C:supported-calendar-component-set><C:comp name="VTODO"/></C:supported-calendar-component-set>
  </D:prop></D:set>
</C:mkcalendar>"#
    );
    server.request("MKCALENDAR", TASKS).as_user(ALICE).xml(body).send().await.status(201);

    let r = propfind(
        &server,
        TASKS,
        "0",
        propfind_props(&["D:resourcetype", "D:displayname", "C:calendar-description", "C:calendar-timezone", "C:supported-calendar-component-set"]),
    )
    .await
    .status(207);
    for p in ["resourcetype", "displayname", "calendar-description", "calendar-timezone", "supported-calendar-component-set"] {
        assert_eq!(r.prop_status(TASKS, p), Some(200), "{p}: {}", r.text());
    }
    assert_eq!(prop_text(&r, Some(TASKS), "displayname").unwrap(), "Aufgaben");
    assert_eq!(prop_text(&r, Some(TASKS), "calendar-description").unwrap(), "Alles, was zu tun ist");
    assert!(prop_text(&r, Some(TASKS), "calendar-timezone").unwrap().contains("TZID:Europe/Berlin"), "{}", r.text());
    let comps = prop_text(&r, Some(TASKS), "supported-calendar-component-set").unwrap();
    assert!(comps.contains(r#"name="VTODO""#) && !comps.contains("VEVENT"), "{comps}");
    assert!(prop_text(&r, Some(TASKS), "resourcetype").unwrap().contains("<C:calendar/>"));

    put_ics(&server, &format!("{TASKS}meeting.ics"), event("meeting", &["DTSTART:20260601T100000Z", "SUMMARY:Meeting"]))
        .await
        .status(403)
        .contains("supported-calendar-component");
    put_ok(&server, &format!("{TASKS}task.ics"), todo("task", &["SUMMARY:Steuererklärung"])).await;
}

/// RFC 4791 §5.3.1.1: MKCALENDAR where something already exists fails.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rfc4791_5_3_1_mkcalendar_on_existing_resource_fails() {
    let server = TestServer::start().await;
    let r = server.request("MKCALENDAR", CAL).as_user(ALICE).send().await;
    assert!(matches!(r.code(), 403 | 405 | 409), "{}", r.describe());
}

/// RFC 5689 §3: extended MKCOL with a calendar resourcetype creates a
/// calendar, with its properties.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rfc5689_3_extended_mkcol_creates_a_calendar() {
    let server = TestServer::start().await;
    let path = "/dav/calendars/alice/via-mkcol/";
    let body = format!(
        r#"<?xml version="1.0" encoding="utf-8"?>
<D:mkcol {NS_DECLS}>
  <D:set><D:prop>
    <D:resourcetype><D:collection/><C:calendar/></D:resourcetype>
    <D:displayname>Via MKCOL</D:displayname>
    <C:supported-calendar-component-set><C:comp name="VEVENT"/></C:supported-calendar-component-set>
    <ICAL:calendar-color>#FF2968FF</ICAL:calendar-color>
  </D:prop></D:set>
</D:mkcol>"#
    );
    server.request("MKCOL", path).as_user(ALICE).xml(body).send().await.status(201);
    let r = propfind(&server, path, "0", propfind_props(&["D:resourcetype", "D:displayname", "C:supported-calendar-component-set"]))
        .await
        .status(207);
    assert!(prop_text(&r, Some(path), "resourcetype").unwrap().contains("<C:calendar/>"), "{}", r.text());
    assert_eq!(prop_text(&r, Some(path), "displayname").unwrap(), "Via MKCOL");
    put_ok(&server, &format!("{path}e.ics"), event("mkcol-e", &["DTSTART:20260601T100000Z"])).await;
    put_ics(&server, &format!("{path}t.ics"), todo("mkcol-t", &[])).await.status(403).contains("supported-calendar-component");
}

/// RFC 4791 §5.2, RFC 6578 §4, calendarserver's `getctag`: the live
/// properties of a calendar collection.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rfc4791_5_2_calendar_collection_live_properties() {
    let server = TestServer::start().await;
    let r = propfind(
        &server,
        CAL,
        "0",
        propfind_props(&[
            "D:resourcetype",
            "C:supported-calendar-data",
            "C:max-resource-size",
            "C:min-date-time",
            "C:max-date-time",
            "CS:getctag",
            "D:sync-token",
            "C:supported-collation-set",
        ]),
    )
    .await
    .status(207);
    for p in ["resourcetype", "supported-calendar-data", "max-resource-size", "min-date-time", "max-date-time", "getctag", "sync-token"] {
        assert_eq!(r.prop_status(CAL, p), Some(200), "{p}: {}", r.text());
    }
    let data = prop_text(&r, Some(CAL), "supported-calendar-data").unwrap();
    assert!(data.contains(r#"content-type="text/calendar""#) && data.contains(r#"version="2.0""#), "{data}");
    let max: u64 = prop_text(&r, Some(CAL), "max-resource-size").unwrap().trim().parse().expect("a number");
    assert!(max > 0);
    for p in ["min-date-time", "max-date-time"] {
        let v = prop_text(&r, Some(CAL), p).unwrap();
        assert!(v.len() == 16 && v.ends_with('Z') && v.as_bytes()[8] == b'T', "{p} is not a UTC date-time: {v}");
    }
    let token = prop_text(&r, Some(CAL), "sync-token").unwrap();
    assert!(token.contains(':'), "a sync-token is a URI: {token}");
    assert!(!prop_text(&r, Some(CAL), "getctag").unwrap().trim().is_empty());
    r.contains(r#"xmlns:CS="http://calendarserver.org/ns/""#);
}

/// The live properties are protected (RFC 4791 §5.2: "MUST NOT" be
/// writable).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rfc4791_5_2_live_properties_are_protected() {
    let server = TestServer::start().await;
    let body = format!(
        r#"<D:propertyupdate {NS_DECLS}><D:set><D:prop><CS:getctag>x</CS:getctag><C:max-resource-size>1</C:max-resource-size></D:prop></D:set></D:propertyupdate>"#
    );
    let r = server.request("PROPPATCH", CAL).as_user(ALICE).xml(body).send().await.status(207);
    assert_eq!(r.prop_status(CAL, "getctag"), Some(403), "{}", r.text());
    assert_eq!(r.prop_status(CAL, "max-resource-size"), Some(403), "{}", r.text());
}

/// Apple Calendar and DAVx5 keep colour and order as dead properties in
/// `http://apple.com/ns/ical/`; they round-trip through PROPPATCH.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn apple_calendar_color_and_order_are_dead_properties() {
    let server = TestServer::start().await;
    let body = format!(
        r#"<?xml version="1.0" encoding="utf-8"?><D:propertyupdate {NS_DECLS}><D:set><D:prop><ICAL:calendar-color symbolic-color="red">#FF2968FF</ICAL:calendar-color><ICAL:calendar-order>3</ICAL:calendar-order><D:displayname>Privat</D:displayname></D:prop></D:set></D:propertyupdate>"#
    );
    let r = server.request("PROPPATCH", CAL).as_user(ALICE).xml(body).send().await.status(207);
    for p in ["calendar-color", "calendar-order", "displayname"] {
        assert_eq!(r.prop_status(CAL, p), Some(200), "{p}: {}", r.text());
    }
    let ask = format!(
        r#"<D:propfind {NS_DECLS}><D:prop><ICAL:calendar-color/><ICAL:calendar-order/><D:displayname/></D:prop></D:propfind>"#
    );
    let r = propfind(&server, CAL, "0", ask.clone()).await.status(207);
    assert_eq!(prop_text(&r, Some(CAL), "calendar-color").unwrap(), "#FF2968FF");
    assert_eq!(prop_text(&r, Some(CAL), "calendar-order").unwrap(), "3");
    assert_eq!(prop_text(&r, Some(CAL), "displayname").unwrap(), "Privat");
    r.contains("symbolic-color=\"red\"").contains("http://apple.com/ns/ical/");

    let remove = format!(r#"<D:propertyupdate {NS_DECLS}><D:remove><D:prop><ICAL:calendar-order/></D:prop></D:remove></D:propertyupdate>"#);
    server.request("PROPPATCH", CAL).as_user(ALICE).xml(remove).send().await.status(207);
    let r = propfind(&server, CAL, "0", ask).await.status(207);
    assert_eq!(r.prop_status(CAL, "calendar-order"), Some(404), "{}", r.text());
    assert_eq!(r.prop_status(CAL, "calendar-color"), Some(200), "{}", r.text());
}

/// RFC 4918 §9.6.1: deleting a calendar deletes its objects; a calendar
/// made again under the same name starts empty.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rfc4918_9_6_1_delete_calendar_removes_its_objects() {
    let server = TestServer::start().await;
    let cal = "/dav/calendars/alice/doomed/";
    let obj = format!("{cal}a.ics");
    mkcalendar(&server, cal).await;
    put_ok(&server, &obj, event("doomed-a", &["DTSTART:20260601T100000Z", "SUMMARY:Doomed"])).await;
    server.request("DELETE", cal).as_user(ALICE).send().await.status_in(&[200, 204]);
    server.request("GET", &obj).as_user(ALICE).send().await.status(404);
    propfind(&server, cal, "0", propfind_props(&["D:resourcetype"])).await.status(404);

    mkcalendar(&server, cal).await;
    server.request("GET", &obj).as_user(ALICE).send().await.status(404);
    let r = propfind(&server, cal, "1", propfind_props(&["D:getetag"])).await.status(207);
    assert_eq!(r.hrefs(), vec![cal.to_string()], "{}", r.text());
    let r = report(&server, cal, r#"<D:sync-collection xmlns:D="DAV:"><D:sync-token/><D:sync-level>1</D:sync-level><D:prop><D:getetag/></D:prop></D:sync-collection>"#)
        .await
        .status(207);
    assert!(r.hrefs().is_empty(), "{}", r.text());
    let r = report(&server, cal, event_time_range_query("20260101T000000Z", "20270101T000000Z")).await.status(207);
    assert!(r.hrefs().is_empty(), "{}", r.text());
    // The UID is free again.
    put_ok(&server, &format!("{cal}b.ics"), event("doomed-a", &["DTSTART:20260601T100000Z"])).await;
}
