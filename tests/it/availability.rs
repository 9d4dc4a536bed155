//! Calendar availability (RFC 7953, issue 15 §2) over real HTTP: the
//! `CALDAV:calendar-availability` property of the scheduling inbox as
//! macOS Calendar's "Availability…" dialog sets it (replayed from
//! `fixtures/clients/macos-calendar-availability.xml`), VAVAILABILITY
//! objects in calendars, free-busy-query, and the booking engine using a
//! coach's declared hours as their working hours.
//!
//! The coach is `alice` in Europe/Berlin; her TOML working hours are every
//! day 08:00–20:00, so it shows when declared hours take over. "Now" is
//! Monday 2026-05-04 08:00 Berlin (CEST, UTC+2).

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};
use serde_json::Value;

use slotdav::clock::ManualClock;
use slotdav::config::Config;

use crate::caldav::{fixture_text, prop_text, NS_DECLS};
use crate::common::*;

const INBOX: &str = "/dav/principals/alice/inbox/";
const HOME: &str = "/dav/calendars/alice/";
const CAL: &str = "/dav/calendars/alice/calendar/";
const AVAILABILITY_CAL: &str = "/dav/calendars/alice/availability/";
const FIXTURE: &str = "clients/macos-calendar-availability.xml";

const EVERY_DAY_8_TO_8: &str = r#"{ mon = ["08:00-20:00"], tue = ["08:00-20:00"], wed = ["08:00-20:00"], thu = ["08:00-20:00"], fri = ["08:00-20:00"], sat = ["08:00-20:00"], sun = ["08:00-20:00"] }"#;

/// Monday 2026-05-04 08:00 in Berlin.
fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 5, 4, 6, 0, 0).unwrap()
}

async fn start() -> TestServer {
    let text = format!(
        "[[coach]]\nuser = \"alice\"\ndisplay_name = \"Alice Coach\"\ntimezone = \"Europe/Berlin\"\nworking_hours = {EVERY_DAY_8_TO_8}\n\
[[coach.event_type]]\nslug = \"lesson\"\ntitle = \"Lesson\"\nduration = \"60m\"\n"
    );
    let parsed = Config::parse(&text, Path::new("test.toml")).unwrap_or_else(|e| panic!("{e}\n{text}"));
    TestServer::builder()
        .config(move |c| c.coaches = parsed.coaches)
        .start_with_clock(Arc::new(ManualClock::new(t0())))
        .await
}

/// The iCalendar text inside the fixture's `calendar-availability`.
fn fixture_ical(xml: &str) -> String {
    let start = xml.find("BEGIN:VCALENDAR").expect("VCALENDAR in the fixture");
    let end = xml.find("</B:calendar-availability>").expect("end of the property");
    xml[start..end].to_string()
}

async fn proppatch(server: &TestServer, path: &str, body: impl Into<Vec<u8>>) -> Resp {
    server.request("PROPPATCH", path).as_user(ALICE).header("Content-Type", "text/xml; charset=utf-8").body(body).send().await
}

fn set_availability(ical: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><A:propertyupdate xmlns:A="DAV:"><A:set><A:prop><B:calendar-availability xmlns:B="urn:ietf:params:xml:ns:caldav">{}</B:calendar-availability></A:prop></A:set></A:propertyupdate>"#,
        ical.replace('&', "&amp;").replace('<', "&lt;")
    )
}

const REMOVE_AVAILABILITY: &str = r#"<?xml version="1.0" encoding="UTF-8"?><A:propertyupdate xmlns:A="DAV:"><A:remove><A:prop><B:calendar-availability xmlns:B="urn:ietf:params:xml:ns:caldav"/></A:prop></A:remove></A:propertyupdate>"#;

async fn inbox_availability(server: &TestServer) -> (Option<u16>, Option<String>) {
    let r = server
        .request("PROPFIND", INBOX)
        .as_user(ALICE)
        .depth("0")
        .xml(propfind_props(&["C:calendar-availability"]))
        .send()
        .await
        .status(207);
    (r.prop_status(INBOX, "calendar-availability"), prop_text(&r, Some(INBOX), "calendar-availability"))
}

/// Open `HH:MM` starts per Berlin date between two Berlin dates.
async fn by_day(server: &TestServer, from: &str, to: &str) -> BTreeMap<String, Vec<String>> {
    let path = format!("/api/v1/coaches/alice/event-types/lesson/slots?from={from}&to={to}&tz=Europe/Berlin");
    let r = server.request("GET", &path).send().await.status(200);
    let json: Value = serde_json::from_slice(&r.bytes).unwrap_or_else(|e| panic!("not JSON ({e}): {}", r.describe()));
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for s in json["slots"].as_array().expect("slots") {
        let start = s["start"].as_str().unwrap();
        out.entry(start[..10].to_string()).or_default().push(start[11..16].to_string());
    }
    out
}

fn hours(from: u32, to: u32) -> Vec<String> {
    (from..to).map(|h| format!("{h:02}:00")).collect()
}

/// The FREEBUSY periods of one FBTYPE in a free-busy answer, unfolded.
fn freebusy(text: &str, fbtype: &str) -> Vec<String> {
    let unfolded = text.replace("\r\n ", "");
    unfolded
        .lines()
        .filter(|l| l.starts_with(&format!("FREEBUSY;FBTYPE={fbtype}:")))
        .flat_map(|l| l.split_once(':').unwrap().1.split(',').map(|p| p.trim().to_string()).collect::<Vec<_>>())
        .collect()
}

async fn free_busy_query(server: &TestServer, path: &str, start: &str, end: &str) -> String {
    let body = format!(r#"<?xml version="1.0" encoding="utf-8"?><C:free-busy-query {NS_DECLS}><C:time-range start="{start}" end="{end}"/></C:free-busy-query>"#);
    server.request("REPORT", path).as_user(ALICE).depth("1").xml(body).send().await.status(200).text()
}

/// macOS Calendar's Availability… dialog: the PROPPATCH it sends, then
/// what the user expects of it everywhere.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn macos_availability_dialog_replayed() {
    let server = start().await;
    let xml = fixture_text(FIXTURE);
    let ical = fixture_ical(&xml);
    // Before: the TOML hours, weekend included.
    let before = by_day(&server, "2026-05-09", "2026-05-11").await;
    assert_eq!(before.get("2026-05-09"), Some(&hours(8, 20)), "{before:?}");
    assert_eq!(inbox_availability(&server).await.0, Some(404));
    let used_before = quota_used(&server).await;

    let r = proppatch(&server, INBOX, xml.clone()).await.status(207);
    assert_eq!(r.prop_status(INBOX, "calendar-availability"), Some(200), "{}", r.text());

    // (a) PROPFIND returns it byte for byte.
    let (status, value) = inbox_availability(&server).await;
    assert_eq!(status, Some(200));
    assert_eq!(value.as_deref(), Some(ical.as_str()));
    // Stored on the home and counted against the quota.
    assert!(quota_used(&server).await >= used_before + ical.len() as u64);

    // (b) free-busy of the user: BUSY-UNAVAILABLE outside Mon–Fri 09–17
    // Berlin. Saturday 9 and Sunday 10 May entirely, Monday 11 before 09:00
    // and after 17:00 (CEST).
    let fb = free_busy_query(&server, HOME, "20260509T000000Z", "20260512T000000Z").await;
    assert_eq!(
        freebusy(&fb, "BUSY-UNAVAILABLE"),
        ["20260509T000000Z/20260511T070000Z", "20260511T150000Z/20260512T000000Z"],
        "{fb}"
    );
    // One calendar's free-busy is that calendar's: the inbox property is
    // the user's, not the calendar's.
    let fb = free_busy_query(&server, CAL, "20260509T000000Z", "20260512T000000Z").await;
    assert!(freebusy(&fb, "BUSY-UNAVAILABLE").is_empty(), "{fb}");

    // (c) the booking engine: slots only inside the declared hours.
    let days = by_day(&server, "2026-05-09", "2026-05-12").await;
    assert_eq!(days.get("2026-05-09"), None, "{days:?}");
    assert_eq!(days.get("2026-05-10"), None, "{days:?}");
    assert_eq!(days.get("2026-05-11"), Some(&hours(9, 17)), "{days:?}");
    assert_eq!(days.get("2026-05-12"), Some(&hours(9, 17)), "{days:?}");

    // The user changes it to Tuesdays only.
    let tuesdays = xml.replace("BYDAY=MO,TU,WE,TH,FR", "BYDAY=TU").replace("20260105T090000", "20260106T090000").replace("20260105T170000", "20260106T170000");
    assert_ne!(tuesdays, xml);
    proppatch(&server, INBOX, tuesdays).await.status(207);
    let days = by_day(&server, "2026-05-04", "2026-05-17").await;
    assert_eq!(days.keys().cloned().collect::<Vec<_>>(), ["2026-05-05", "2026-05-12"], "{days:?}");
    assert_eq!(days["2026-05-12"], hours(9, 17));
    // The booking page says the same, and a Monday slot cannot be held.
    let value = |t: DateTime<Utc>| format!("value=\"{}\"", t.to_rfc3339());
    let tuesday_9 = Utc.with_ymd_and_hms(2026, 5, 12, 7, 0, 0).unwrap();
    let monday_9 = Utc.with_ymd_and_hms(2026, 5, 11, 7, 0, 0).unwrap();
    server
        .request("GET", "/book/alice/lesson?week=2026-05-11&tz=Europe/Berlin")
        .send()
        .await
        .status(200)
        .contains(&value(tuesday_9))
        .lacks(&value(monday_9));
    let hold = serde_json::json!({ "start": monday_9.to_rfc3339() }).to_string();
    let r = server.request("POST", "/api/v1/coaches/alice/event-types/lesson/holds").header("Content-Type", "application/json").body(hold).send().await;
    assert_eq!(r.code(), 409, "{}", r.describe());

    // Removed: the TOML hours are back.
    let r = proppatch(&server, INBOX, REMOVE_AVAILABILITY).await.status(207);
    assert_eq!(r.prop_status(INBOX, "calendar-availability"), Some(200), "{}", r.text());
    assert_eq!(inbox_availability(&server).await.0, Some(404));
    let days = by_day(&server, "2026-05-09", "2026-05-09").await;
    assert_eq!(days.get("2026-05-09"), Some(&hours(8, 20)), "{days:?}");
    let fb = free_busy_query(&server, HOME, "20260509T000000Z", "20260512T000000Z").await;
    assert!(freebusy(&fb, "BUSY-UNAVAILABLE").is_empty(), "{fb}");
}

async fn quota_used(server: &TestServer) -> u64 {
    let r = server.request("PROPFIND", HOME).as_user(ALICE).depth("0").xml(propfind_props(&["D:quota-used-bytes"])).send().await.status(207);
    prop_text(&r, Some(HOME), "quota-used-bytes").expect("quota-used-bytes").trim().parse().unwrap()
}

/// RFC 7953 §7.2.4: a value that is not availability is refused with
/// `CALDAV:valid-calendar-data`, and the old value stays.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_calendar_availability_is_refused() {
    let server = start().await;
    let good = fixture_ical(&fixture_text(FIXTURE));
    proppatch(&server, INBOX, set_availability(&good)).await.status(207);
    let bad = [
        "not calendar data".to_string(),
        good.replace("DTEND;TZID=Europe/Berlin:20260105T170000\r\n", ""),
        good.replace("DTEND;TZID=Europe/Berlin:20260105T170000", "DTEND;TZID=Europe/Berlin:20260105T080000"),
        good.replace("DTSTART;TZID=Europe/Berlin:20260105T090000", "DTSTART;TZID=Europe/Berlin:2026-01-05"),
        good.replace("VAVAILABILITY", "VEVENT").replace("BEGIN:AVAILABLE", "BEGIN:X-AVAILABLE").replace("END:AVAILABLE", "END:X-AVAILABLE"),
        good.replace("DTSTART;TZID=Europe/Berlin:20260101T000000", "DTSTART;TZID=Europe/Berlin:20260101T000000\r\nPRIORITY:12"),
    ];
    for value in &bad {
        let r = proppatch(&server, INBOX, set_availability(value)).await.status(207);
        assert_eq!(r.prop_status(INBOX, "calendar-availability"), Some(403), "{value}\n{}", r.text());
        r.contains("valid-calendar-data");
    }
    // An element instead of text.
    let nested = r#"<?xml version="1.0"?><A:propertyupdate xmlns:A="DAV:"><A:set><A:prop><B:calendar-availability xmlns:B="urn:ietf:params:xml:ns:caldav"><B:x/></B:calendar-availability></A:prop></A:set></A:propertyupdate>"#;
    let r = proppatch(&server, INBOX, nested).await.status(207);
    assert_eq!(r.prop_status(INBOX, "calendar-availability"), Some(403), "{}", r.text());
    assert_eq!(inbox_availability(&server).await.1.as_deref(), Some(good.as_str()));

    // Other properties of the inbox stay unwritable, and the patch fails as a whole.
    let mixed = format!(
        r#"<?xml version="1.0"?><A:propertyupdate xmlns:A="DAV:"><A:set><A:prop><A:displayname>Inbox</A:displayname><B:calendar-availability xmlns:B="urn:ietf:params:xml:ns:caldav">{}</B:calendar-availability></A:prop></A:set></A:propertyupdate>"#,
        good.replace("BYDAY=MO,TU,WE,TH,FR", "BYDAY=TU")
    );
    let r = proppatch(&server, INBOX, mixed).await.status(207);
    assert_eq!(r.prop_status(INBOX, "displayname"), Some(403), "{}", r.text());
    assert_eq!(r.prop_status(INBOX, "calendar-availability"), Some(424), "{}", r.text());
    assert_eq!(inbox_availability(&server).await.1.as_deref(), Some(good.as_str()));

    // Someone else's inbox is not theirs to set.
    let r = server.request("PROPPATCH", INBOX).as_user(BOB).xml(set_availability(&good)).send().await;
    assert_eq!(r.code(), 403, "{}", r.describe());
    // The home keeps it out of sight, and a client cannot write the
    // private name directly.
    let r = server.request("PROPFIND", HOME).as_user(ALICE).depth("0").xml(PROPFIND_ALLPROP).send().await.status(207);
    r.lacks("BEGIN:VAVAILABILITY").lacks("slotdav.org/ns/private");
    let direct = r#"<?xml version="1.0"?><A:propertyupdate xmlns:A="DAV:"><A:set><A:prop><P:inbox-calendar-availability xmlns:P="http://slotdav.org/ns/private">x</P:inbox-calendar-availability></A:prop></A:set></A:propertyupdate>"#;
    let r = proppatch(&server, HOME, direct).await.status(207);
    assert_eq!(r.prop_status(HOME, "inbox-calendar-availability"), Some(403), "{}", r.text());
}

/// RFC 7953 §7.2.4: listed by `propname`, not returned by `allprop`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inbox_lists_the_property_by_name_only() {
    let server = start().await;
    proppatch(&server, INBOX, fixture_text(FIXTURE)).await.status(207);
    let r = server.request("PROPFIND", INBOX).as_user(ALICE).depth("0").xml(PROPFIND_PROPNAME).send().await.status(207);
    assert_eq!(r.prop_status(INBOX, "calendar-availability"), Some(200), "{}", r.text());
    let r = server.request("PROPFIND", INBOX).as_user(ALICE).depth("0").xml(PROPFIND_ALLPROP).send().await.status(207);
    r.lacks("calendar-availability").lacks("BEGIN:VAVAILABILITY");
    // RFC 3253 §3.1.4: the inbox says it has the property.
    let r = server
        .request("PROPFIND", INBOX)
        .as_user(ALICE)
        .depth("0")
        .xml(propfind_props(&["D:supported-live-property-set"]))
        .send()
        .await
        .status(207);
    let set = prop_text(&r, Some(INBOX), "supported-live-property-set").unwrap_or_else(|| panic!("{}", r.text()));
    let props: Vec<String> = split_elements(&set, "prop");
    assert!(props.iter().any(|p| p.contains("calendar-availability")), "{set}");
    let r = server.request("PROPFIND", "/dav/principals/alice/").as_user(ALICE).depth("1").xml(PROPFIND_ALLPROP).send().await.status(207);
    r.lacks("BEGIN:VAVAILABILITY");
    // OPTIONS says PROPPATCH is allowed there.
    let r = server.request("OPTIONS", INBOX).as_user(ALICE).send().await.status(200);
    assert!(r.header("allow").unwrap_or("").contains("PROPPATCH"), "{}", r.describe());
}

fn vavailability(uid: &str, props: &[&str], available: &[&[&str]]) -> String {
    let mut s = String::from("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//slotdav tests//EN\r\nBEGIN:VTIMEZONE\r\nTZID:Europe/Berlin\r\nEND:VTIMEZONE\r\n");
    s.push_str(&format!("BEGIN:VAVAILABILITY\r\nUID:{uid}\r\nDTSTAMP:20260101T000000Z\r\n"));
    for p in props {
        s.push_str(&format!("{p}\r\n"));
    }
    for (n, a) in available.iter().enumerate() {
        s.push_str(&format!("BEGIN:AVAILABLE\r\nUID:{uid}-{n}\r\nDTSTAMP:20260101T000000Z\r\n"));
        for p in *a {
            s.push_str(&format!("{p}\r\n"));
        }
        s.push_str("END:AVAILABLE\r\n");
    }
    s.push_str("END:VAVAILABILITY\r\nEND:VCALENDAR\r\n");
    s
}

async fn put(server: &TestServer, path: &str, body: &str) -> Resp {
    server.request("PUT", path).as_user(ALICE).header("Content-Type", "text/calendar; charset=utf-8").body(body).send().await
}

fn query_vavailability(start: &str, end: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="utf-8"?><C:calendar-query {NS_DECLS}><D:prop><D:getetag/></D:prop><C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VAVAILABILITY"><C:time-range start="{start}" end="{end}"/></C:comp-filter></C:comp-filter></C:filter></C:calendar-query>"#
    )
}

/// RFC 7953 §3 and §7.1: a calendar without a restricting component set
/// holds VAVAILABILITY objects; calendar-query finds them by their range
/// and free-busy-query shows the time outside their AVAILABLE blocks.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn vavailability_objects_in_calendars() {
    let server = start().await;
    let r = server
        .request("PROPFIND", CAL)
        .as_user(ALICE)
        .depth("0")
        .xml(propfind_props(&["C:supported-calendar-component-set"]))
        .send()
        .await
        .status(207);
    r.contains(r#"name="VAVAILABILITY""#);
    // June 2026, weekdays 10:00–12:00 Berlin, but not Wednesday 3 June.
    let body = vavailability(
        "june",
        &["DTSTART;TZID=Europe/Berlin:20260601T000000", "DTEND;TZID=Europe/Berlin:20260701T000000", "BUSYTYPE:BUSY"],
        &[&[
            "DTSTART;TZID=Europe/Berlin:20260601T100000",
            "DTEND;TZID=Europe/Berlin:20260601T120000",
            "RRULE:FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR",
            "EXDATE;TZID=Europe/Berlin:20260603T100000",
        ]],
    );
    put(&server, &format!("{CAL}june.ics"), &body).await.status(201);
    let got = server.http.get(ALICE, &format!("{CAL}june.ics")).await;
    assert_eq!(&got[..], body.as_bytes());

    let hits = |r: Resp| r.hrefs();
    let r = server.request("REPORT", CAL).as_user(ALICE).depth("1").xml(query_vavailability("20260615T000000Z", "20260616T000000Z")).send().await.status(207);
    assert_eq!(hits(r), [format!("{CAL}june.ics")]);
    let r = server.request("REPORT", CAL).as_user(ALICE).depth("1").xml(query_vavailability("20260501T000000Z", "20260502T000000Z")).send().await.status(207);
    assert!(hits(r).is_empty());
    // A VEVENT query does not find it.
    let events = query_vavailability("20260615T000000Z", "20260616T000000Z").replace("VAVAILABILITY", "VEVENT");
    let r = server.request("REPORT", CAL).as_user(ALICE).depth("1").xml(events).send().await.status(207);
    assert!(hits(r).is_empty());

    // A time-range on AVAILABLE: its instances, as for a VEVENT; the
    // EXDATE'd Wednesday has none.
    let nested = |start: &str, end: &str| {
        format!(
            r#"<?xml version="1.0" encoding="utf-8"?><C:calendar-query {NS_DECLS}><D:prop><D:getetag/></D:prop><C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VAVAILABILITY"><C:comp-filter name="AVAILABLE"><C:time-range start="{start}" end="{end}"/></C:comp-filter></C:comp-filter></C:comp-filter></C:filter></C:calendar-query>"#
        )
    };
    let r = server.request("REPORT", CAL).as_user(ALICE).depth("1").xml(nested("20260602T083000Z", "20260602T090000Z")).send().await.status(207);
    assert_eq!(hits(r), [format!("{CAL}june.ics")]);
    let r = server.request("REPORT", CAL).as_user(ALICE).depth("1").xml(nested("20260603T000000Z", "20260604T000000Z")).send().await.status(207);
    assert!(hits(r).is_empty());
    let r = server.request("REPORT", CAL).as_user(ALICE).depth("1").xml(nested("20260602T130000Z", "20260602T140000Z")).send().await.status(207);
    assert!(hits(r).is_empty());

    // Tuesday 2 and Wednesday 3 June (CEST): busy outside 10–12 local,
    // all day on the EXDATE.
    let fb = free_busy_query(&server, CAL, "20260602T000000Z", "20260604T000000Z").await;
    assert_eq!(freebusy(&fb, "BUSY"), ["20260602T000000Z/20260602T080000Z", "20260602T100000Z/20260604T000000Z"], "{fb}");
    assert!(freebusy(&fb, "BUSY-UNAVAILABLE").is_empty(), "{fb}");
    // Outside its range, nothing.
    let fb = free_busy_query(&server, CAL, "20260702T000000Z", "20260703T000000Z").await;
    assert!(!fb.contains("FREEBUSY;"), "{fb}");

    // Malformed AVAILABLE: refused as invalid calendar data.
    let bad = vavailability("bad", &[], &[&["DTSTART:20260601T100000Z"]]);
    let r = put(&server, &format!("{CAL}bad.ics"), &bad).await;
    assert_eq!(r.code(), 403, "{}", r.describe());
    r.contains("valid-calendar-data");
    // A calendar for events only refuses it.
    let mk = format!(
        r#"<?xml version="1.0" encoding="utf-8"?><C:mkcalendar {NS_DECLS}><D:set><D:prop><C:supported-calendar-component-set><C:comp name="VEVENT"/></C:supported-calendar-component-set></D:prop></D:set></C:mkcalendar>"#
    );
    server.request("MKCALENDAR", "/dav/calendars/alice/events/").as_user(ALICE).xml(mk).send().await.status(201);
    let r = put(&server, "/dav/calendars/alice/events/june.ics", &body).await;
    assert_eq!(r.code(), 403, "{}", r.describe());
    r.contains("supported-calendar-component");
}

/// A VAVAILABILITY object in the coach's availability calendar is working
/// hours too; with a higher PRIORITY it overrides the inbox property
/// where their ranges overlap (RFC 7953 §4).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn availability_calendar_object_overrides_the_inbox_by_priority() {
    let server = start().await;
    proppatch(&server, INBOX, fixture_text(FIXTURE)).await.status(207);
    // The week of 11 May: only 10:00–12:00, every day, weekend included.
    let week = vavailability(
        "short-week",
        &["PRIORITY:1", "DTSTART;TZID=Europe/Berlin:20260511T000000", "DTEND;TZID=Europe/Berlin:20260518T000000"],
        &[&["DTSTART;TZID=Europe/Berlin:20260511T100000", "DURATION:PT2H", "RRULE:FREQ=DAILY"]],
    );
    put(&server, &format!("{AVAILABILITY_CAL}short-week.ics"), &week).await.status(201);
    let days = by_day(&server, "2026-05-08", "2026-05-18").await;
    // Friday 8: the inbox's 9–17; the weekend of 9–10: nothing.
    assert_eq!(days.get("2026-05-08"), Some(&hours(9, 17)), "{days:?}");
    assert_eq!(days.get("2026-05-09"), None, "{days:?}");
    for d in 11..=17 {
        assert_eq!(days.get(&format!("2026-05-{d}")), Some(&hours(10, 12)), "{d}: {days:?}");
    }
    assert_eq!(days.get("2026-05-18"), Some(&hours(9, 17)), "{days:?}");
    // Busy events still take time away.
    let busy = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nBEGIN:VEVENT\r\nUID:dentist\r\nDTSTAMP:20260101T000000Z\r\n\
DTSTART:20260512T080000Z\r\nDTEND:20260512T090000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
    put(&server, &format!("{CAL}dentist.ics"), busy).await.status(201);
    let days = by_day(&server, "2026-05-12", "2026-05-12").await;
    assert_eq!(days.get("2026-05-12"), Some(&vec!["11:00".to_string()]), "{days:?}");
    // With PRIORITY 0 (undefined, like the inbox's) neither outranks the other.
    put(&server, &format!("{AVAILABILITY_CAL}short-week.ics"), &week.replace("PRIORITY:1", "PRIORITY:0")).await.status(204);
    let days = by_day(&server, "2026-05-11", "2026-05-11").await;
    // Same priority (both undefined): a union of 9–17 and 10–12.
    assert_eq!(days.get("2026-05-11"), Some(&hours(9, 17)), "{days:?}");
}

/// The inbox property counts against the owner's quota like any other
/// property: beyond it the patch is 507 `DAV:quota-not-exceeded` and
/// nothing is stored.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calendar_availability_counts_against_the_quota() {
    let quota = 64 * 1024;
    let server = TestServer::builder().config(move |c| c.quota = quota).start().await;
    let ical = fixture_ical(&fixture_text(FIXTURE));
    let used = quota_used(&server).await;
    // Fill the home until less room is left than the property needs.
    let room = quota - used;
    let pad = (room - ical.len() as u64 / 2) as usize - 400;
    let big = format!(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nBEGIN:VEVENT\r\nUID:pad\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20260601T080000Z\r\nDESCRIPTION:{}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
        "p".repeat(pad)
    );
    put(&server, &format!("{CAL}pad.ics"), &big).await.status(201);
    assert!(quota - quota_used(&server).await < ical.len() as u64, "the pad left too much room");
    let r = proppatch(&server, INBOX, set_availability(&ical)).await;
    assert_eq!(r.code(), 507, "{}", r.describe());
    r.contains("quota-not-exceeded");
    assert_eq!(inbox_availability(&server).await.0, Some(404));
    // With room again, it is stored.
    server.request("DELETE", &format!("{CAL}pad.ics")).as_user(ALICE).send().await.status(204);
    proppatch(&server, INBOX, set_availability(&ical)).await.status(207);
    assert_eq!(inbox_availability(&server).await.1.as_deref(), Some(ical.as_str()));
}

/// Nobody without a password reaches the inbox or its property.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_inbox_property_needs_credentials() {
    let server = start().await;
    let r = server.request("PROPPATCH", INBOX).xml(fixture_text(FIXTURE)).send().await;
    assert_eq!(r.code(), 401, "{}", r.describe());
    let r = server.request("PROPFIND", INBOX).depth("0").xml(propfind_props(&["C:calendar-availability"])).send().await;
    assert_eq!(r.code(), 401, "{}", r.describe());
}

/// Some clients wrap calendar data in CDATA: the value is the same text.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cdata_value_is_the_same_text() {
    let server = start().await;
    let ical = fixture_ical(&fixture_text(FIXTURE));
    let body = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><A:propertyupdate xmlns:A="DAV:"><A:set><A:prop><B:calendar-availability xmlns:B="urn:ietf:params:xml:ns:caldav"><![CDATA[{ical}]]></B:calendar-availability></A:prop></A:set></A:propertyupdate>"#
    );
    let r = proppatch(&server, INBOX, body).await.status(207);
    assert_eq!(r.prop_status(INBOX, "calendar-availability"), Some(200), "{}", r.text());
    assert_eq!(inbox_availability(&server).await.1.as_deref(), Some(ical.as_str()));
}
