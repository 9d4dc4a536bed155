//! Issue 14, findings 11–13, over real HTTP on loopback:
//! - 11: implicit scheduling cannot be turned into a mail cannon: more than
//!   `mail.max_attendees` attendees in one instance is refused with
//!   `CALDAV:max-attendees-per-instance`, and one user's invitations are
//!   capped per hour (durably, across a restart).
//! - 12: a student name with `"`, `,`, `;`, `:` books fine; the event in
//!   the coach's calendar, the iMIP `invite.ics` and the `.ics` download
//!   all parse and carry the name exactly (RFC 5545 §3.2, RFC 6868).
//! - 13: objects whose end lies before their start, or in year 0000, are
//!   refused with `CALDAV:valid-calendar-data`.

use std::sync::Arc;

use chrono::{DateTime, Duration, TimeZone, Utc};
use serde_json::{json, Value};

use slotdav::clock::{Clock, ManualClock};
use slotdav::config::Config;
use slotdav::ical::CalendarObject;
use slotdav::mail::MessageKind;

use crate::common::{propfind_props, TestServer, ALICE, ALICE_PW};
use crate::mail::Mime;

const COACH_EMAIL: &str = "alice@coach.example";

const COACH_TOML: &str = r#"
[[coach]]
user = "alice"
display_name = "Alice \"AC\" Coach, PhD"
timezone = "Europe/Berlin"
working_hours = { mon = ["09:00-17:00"], tue = ["09:00-17:00"], wed = ["09:00-17:00"], thu = ["09:00-17:00"], fri = ["09:00-17:00"] }

[[coach.event_type]]
slug = "trial"
title = "Trial lesson"
duration = "30m"
price = "€40"
"#;

/// Monday 4 March 2030, 09:00 in Berlin.
fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2030, 3, 4, 8, 0, 0).unwrap()
}

/// Wednesday 6 March 2030 at `hour`:00 in Berlin (UTC+1).
fn wed(hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2030, 3, 6, hour - 1, 0, 0).unwrap()
}

async fn server(clock: &Arc<ManualClock>, dir: Option<tempfile::TempDir>, configure: impl FnOnce(&mut Config)) -> TestServer {
    let coaches = Config::parse(COACH_TOML, std::path::Path::new("test.toml")).expect("coach config").coaches;
    let mut b = TestServer::builder().user_with_email(ALICE, ALICE_PW, COACH_EMAIL).config(|c| {
        c.coaches = coaches;
        configure(c);
    });
    if let Some(d) = dir {
        b = b.data_dir(d);
    }
    let clock: Arc<dyn Clock> = clock.clone();
    b.start_with_clock(clock).await
}

fn pending(s: &TestServer) -> Vec<slotdav::mail::OutboxEntry> {
    s.app.outbox.status().expect("outbox status").pending
}

fn invitations(s: &TestServer) -> usize {
    pending(s).iter().filter(|e| e.kind == MessageKind::Invitation).count()
}

/// An event Alice organizes with `n` attendees besides herself.
fn meeting(uid: &str, start: &str, n: usize) -> String {
    let mut s = format!(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//slotdav tests//EN\r\nBEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20300301T000000Z\r\nDTSTART:{start}\r\nDURATION:PT1H\r\nSUMMARY:Open day\r\nORGANIZER;CN=Alice:mailto:{COACH_EMAIL}\r\nATTENDEE;PARTSTAT=ACCEPTED:mailto:{COACH_EMAIL}\r\n"
    );
    for i in 0..n {
        s.push_str(&format!("ATTENDEE;RSVP=TRUE:mailto:parent{i}@example.org\r\n"));
    }
    s.push_str("END:VEVENT\r\nEND:VCALENDAR\r\n");
    s
}

/// A PUT as Alice; returns the response.
async fn put(s: &TestServer, path: &str, body: &str) -> crate::common::Resp {
    s.request("PUT", path).as_user(ALICE).header("Content-Type", "text/calendar; charset=utf-8").body(body.to_string()).send().await
}

// ---------------------------------------------------------------------------
// 11. Mail amplification
// ---------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn finding_11_more_attendees_than_the_cap_are_refused_and_nothing_is_sent() {
    let clock = Arc::new(ManualClock::new(t0()));
    let s = server(&clock, None, |_| {}).await;
    let path = "/dav/calendars/alice/calendar/open-day.ics";

    // 101 attendees besides the organizer: refused, nothing stored, no mail.
    let r = put(&s, path, &meeting("open-day", "20300310T160000Z", 101)).await.status(403);
    let text = r.text();
    assert!(text.contains("max-attendees-per-instance") && text.contains("urn:ietf:params:xml:ns:caldav"), "{text}");
    s.request("GET", path).as_user(ALICE).send().await.status(404);
    assert!(pending(&s).is_empty(), "no message queued for a refused PUT");

    // An override (one more instance) counts on its own.
    let mut with_override = meeting("open-day", "20300310T160000Z", 3).replace("DURATION:PT1H\r\n", "DURATION:PT1H\r\nRRULE:FREQ=WEEKLY;COUNT=3\r\n");
    let big_override = meeting("open-day", "20300317T170000Z", 101);
    let start = big_override.find("BEGIN:VEVENT").unwrap();
    let end = big_override.find("END:VCALENDAR").unwrap();
    let override_part = big_override[start..end].replace("DTSTART:", "RECURRENCE-ID:20300317T160000Z\r\nDTSTART:");
    with_override = with_override.replace("END:VCALENDAR\r\n", &format!("{override_part}END:VCALENDAR\r\n"));
    put(&s, path, &with_override).await.status(403).contains("max-attendees-per-instance");
    assert!(pending(&s).is_empty());

    // The cap itself is allowed, and calendars announce it (RFC 4791 §5.2.9).
    put(&s, path, &meeting("open-day", "20300310T160000Z", 99)).await.status(201);
    assert_eq!(invitations(&s), 99);
    let r = s
        .request("PROPFIND", "/dav/calendars/alice/calendar/")
        .as_user(ALICE)
        .depth("0")
        .xml(propfind_props(&["C:max-attendees-per-instance"]))
        .send()
        .await
        .status(207);
    assert_eq!(r.prop_status("/dav/calendars/alice/calendar/", "max-attendees-per-instance"), Some(200), "{}", r.describe());
    assert!(r.text().contains(">100<"), "{}", r.describe());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn finding_11_invitations_per_user_and_hour_are_capped_across_moves_and_restarts() {
    let clock = Arc::new(ManualClock::new(t0()));
    let s = server(&clock, None, |_| {}).await;
    let path = "/dav/calendars/alice/calendar/open-day.ics";
    let cap = s.app.config.mail.max_messages_per_user_hour as usize;
    assert!((100..=1000).contains(&cap), "a default a coach never meets, but not thousands: {cap}");

    // 99 attendees besides Alice (the most one instance may have), then
    // moves: each move would write to all 99 again.
    let n = 99;
    let moves = cap / n + 2;
    put(&s, path, &meeting("open-day", "20300310T160000Z", n)).await.status(201);
    for day in 0..moves {
        let start = format!("203003{:02}T160000Z", 11 + day);
        let r = put(&s, path, &meeting("open-day", &start, n)).await;
        assert_eq!(r.code(), 204, "the move itself is stored: {}", r.describe());
    }
    let queued = invitations(&s);
    println!("wanted {} invitations, queued {queued} (cap {cap})", n * (moves + 1));
    assert_eq!(queued, cap, "the outbox holds the hourly cap, no more");
    // The event has the last time all the same.
    let stored = s.http.get(ALICE, path).await;
    assert!(String::from_utf8_lossy(&stored).contains(&format!("DTSTART:203003{:02}T160000Z", 10 + moves)));

    // A restart does not reset the count.
    let dir = s.stop_keep_data().await;
    let s = server(&clock, Some(dir), |_| {}).await;
    put(&s, path, &meeting("open-day", "20300325T160000Z", n)).await.status(204);
    assert_eq!(invitations(&s), cap, "still capped after a restart");

    // An hour later the user can write to their attendees again.
    clock.advance(Duration::minutes(61));
    put(&s, path, &meeting("open-day", "20300326T160000Z", n)).await.status(204);
    assert_eq!(invitations(&s), cap + n);
}

// ---------------------------------------------------------------------------
// 12. Names with quotes, commas, semicolons and colons
// ---------------------------------------------------------------------------

async fn book(s: &TestServer, start: DateTime<Utc>, name: &str, email: &str, note: &str) -> Value {
    let post = |path: String, body: Value| async move {
        s.request("POST", &path).header("Content-Type", "application/json").body(body.to_string()).send().await
    };
    let r = post("/api/v1/coaches/alice/event-types/trial/holds".into(), json!({"start": start.to_rfc3339()})).await.status(201);
    let hold: Value = serde_json::from_slice(&r.bytes).unwrap();
    let hold_id = hold["hold_id"].as_str().unwrap().to_string();
    let r = post(format!("/api/v1/holds/{hold_id}/confirm"), json!({"name": name, "email": email, "note": note})).await;
    assert_eq!(r.code(), 201, "booking as {name:?}: {}", r.describe());
    serde_json::from_slice(&r.bytes).unwrap()
}

/// The booking's event in the coach's sessions calendar, fetched over CalDAV.
async fn session_event(s: &TestServer, reference: &str) -> String {
    let r = s.request("PROPFIND", "/dav/calendars/alice/sessions/").as_user(ALICE).depth("1").xml(propfind_props(&["D:getetag"])).send().await.status(207);
    for href in r.hrefs().into_iter().filter(|h| h.ends_with(".ics")) {
        let text = String::from_utf8(s.http.get(ALICE, &href).await.to_vec()).expect("UTF-8");
        if text.replace("\r\n ", "").contains(&format!("X-SLOTDAV-REFERENCE:{reference}")) {
            return text;
        }
    }
    panic!("no event for {reference}");
}

/// Checks one generated iCalendar text: CRLF lines of at most 75 octets,
/// it parses, and its ATTENDEE's CN and its DESCRIPTION say exactly `name`
/// and `note`.
fn check_ics(what: &str, text: &str, name: &str, note: &str) {
    for line in text.split("\r\n").filter(|l| !l.is_empty()) {
        assert!(line.len() <= 75, "{what}: line of {} octets: {line:?}", line.len());
        assert!(!line.contains('\n') && !line.contains('\r'), "{what}: bare line break in {line:?}");
    }
    let without_method: String = text.split("\r\n").filter(|l| !l.starts_with("METHOD:")).collect::<Vec<_>>().join("\r\n");
    let obj = CalendarObject::parse(without_method.as_bytes()).unwrap_or_else(|e| panic!("{what} does not parse: {e}\n{text}"));
    let attendees = obj.attendee_props();
    assert_eq!(attendees.len(), 1, "{what}: {text}");
    assert_eq!(attendees[0].param("CN"), Some(name), "{what}: CN in {text}");
    let unfolded = text.replace("\r\n ", "");
    let attendee_line = unfolded.lines().find(|l| l.starts_with("ATTENDEE")).unwrap();
    let cn = attendee_line.split("CN=").nth(1).unwrap();
    assert!(cn.starts_with('"'), "{what}: a CN with , ; or : is quoted: {attendee_line}");
    let quoted = &cn[1..cn[1..].find('"').unwrap() + 1];
    assert!(!quoted.contains('"'), "{what}: no bare DQUOTE inside the quotes: {attendee_line}");
    let description = obj.master().unwrap().prop("DESCRIPTION").expect("DESCRIPTION").text();
    assert!(description.contains(note), "{what}: note {note:?} in {description:?}");
    let organizer = obj.master().unwrap().prop("ORGANIZER").unwrap();
    assert_eq!(organizer.param("CN"), Some("Alice \"AC\" Coach, PhD"), "{what}: organizer CN");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn finding_12_names_with_quotes_and_separators_book_and_stay_valid_icalendar() {
    let clock = Arc::new(ManualClock::new(t0()));
    let s = server(&clock, None, |_| {}).await;
    let cases = [
        (wed(10), "Pat \"PJ\" O'Neil, Jr.", "pat@example.org", "Grammar, please; thanks: \"really\""),
        (wed(11), "Mo; Ka: \"Q\", ^caret^ \\slash", "mo@example.org", "line one;\nline two: ü \"x\", y\\z"),
    ];
    for (start, name, email, note) in cases {
        let b = book(&s, start, name, email, note).await;
        let reference = b["reference"].as_str().unwrap();
        let token = b["manage_token"].as_str().unwrap();

        let event = session_event(&s, reference).await;
        check_ics("the sessions calendar's event", &event, name, note);

        let ics = s.request("GET", &format!("/book/manage/{token}/booking.ics")).send().await.status(200);
        check_ics("the .ics download", &ics.text(), name, note);

        let mail = pending(&s).into_iter().find(|e| e.kind == MessageKind::Student && e.to == email).expect("a message to the student");
        let m = Mime::parse(&String::from_utf8(mail.bytes.clone()).unwrap());
        let attachment = m
            .all()
            .into_iter()
            .find(|p| p.header("Content-Disposition").is_some_and(|d| d.contains("invite.ics")))
            .expect("invite.ics")
            .body
            .clone();
        assert!(attachment.contains("METHOD:REQUEST\r\n"), "{attachment}");
        check_ics("invite.ics", &attachment, name, note);
        let (method, _) = m.calendar().expect("text/calendar part");
        assert_eq!(method.to_ascii_uppercase(), "REQUEST");
    }
}

// ---------------------------------------------------------------------------
// 13. Invalid objects
// ---------------------------------------------------------------------------

fn object(component: &str, lines: &str) -> String {
    format!(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//slotdav tests//EN\r\nBEGIN:{component}\r\nUID:bad-1\r\nDTSTAMP:20260101T000000Z\r\n{lines}END:{component}\r\nEND:VCALENDAR\r\n"
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn finding_13_ends_before_starts_and_year_zero_are_refused() {
    let s = TestServer::start().await;
    let refused = [
        ("DTEND before DTSTART", object("VEVENT", "DTSTART:20260105T100000Z\r\nDTEND:20260105T090000Z\r\n")),
        ("DATE DTEND before DTSTART", object("VEVENT", "DTSTART;VALUE=DATE:20260105\r\nDTEND;VALUE=DATE:20260104\r\n")),
        (
            "zoned DTEND before DTSTART",
            object("VEVENT", "DTSTART;TZID=Europe/Berlin:20260105T100000\r\nDTEND;TZID=Europe/Berlin:20260105T095959\r\n"),
        ),
        ("DTSTART in year 0000", object("VEVENT", "DTSTART:00000101T100000Z\r\nDTEND:00000101T110000Z\r\n")),
        ("DATE DTSTART in year 0000", object("VEVENT", "DTSTART;VALUE=DATE:00000101\r\n")),
        ("EXDATE in year 0000", object("VEVENT", "DTSTART:20260105T100000Z\r\nRRULE:FREQ=DAILY;COUNT=3\r\nEXDATE:00000106T100000Z\r\n")),
        ("negative DURATION", object("VEVENT", "DTSTART:20260105T100000Z\r\nDURATION:-PT1H\r\n")),
        ("DUE before DTSTART", object("VTODO", "DTSTART:20260105T100000Z\r\nDUE:20260104T100000Z\r\n")),
    ];
    for (i, (what, body)) in refused.iter().enumerate() {
        let path = format!("/dav/calendars/alice/calendar/bad-{i}.ics");
        let r = put(&s, &path, body).await;
        assert_eq!(r.code(), 403, "{what}: {}", r.describe());
        let text = r.text();
        assert!(text.contains("valid-calendar-data") && text.contains("urn:ietf:params:xml:ns:caldav"), "{what}: {text}");
        s.request("GET", &path).as_user(ALICE).send().await.status(404);
    }
    // An override with its end before its start is refused as well.
    let master = object("VEVENT", "DTSTART:20260105T100000Z\r\nDTEND:20260105T110000Z\r\nRRULE:FREQ=DAILY;COUNT=3\r\n");
    let bad_override = "BEGIN:VEVENT\r\nUID:bad-1\r\nDTSTAMP:20260101T000000Z\r\nRECURRENCE-ID:20260106T100000Z\r\nDTSTART:20260106T120000Z\r\nDTEND:20260106T113000Z\r\nEND:VEVENT\r\n";
    let body = master.replace("END:VCALENDAR", &format!("{bad_override}END:VCALENDAR"));
    put(&s, "/dav/calendars/alice/calendar/bad-override.ics", &body).await.status(403).contains("valid-calendar-data");
    s.request("GET", "/dav/calendars/alice/calendar/bad-override.ics").as_user(ALICE).send().await.status(404);

    // What RFC 5545 allows stays accepted: an end equal to the start (a
    // zero-length event, §3.6.1), a DUE equal to DTSTART, and zones that
    // make a wall-clock-earlier end later in absolute time.
    let accepted = [
        ("DTEND == DTSTART", object("VEVENT", "DTSTART:20260105T100000Z\r\nDTEND:20260105T100000Z\r\n")),
        ("DATE DTEND == DTSTART", object("VEVENT", "DTSTART;VALUE=DATE:20260105\r\nDTEND;VALUE=DATE:20260105\r\n")),
        ("DUE == DTSTART", object("VTODO", "DTSTART:20260105T100000Z\r\nDUE:20260105T100000Z\r\n")),
        (
            "flight west",
            object("VEVENT", "DTSTART;TZID=Europe/Berlin:20260105T100000\r\nDTEND;TZID=America/New_York:20260105T080000\r\n"),
        ),
        ("year 0001", object("VEVENT", "DTSTART;VALUE=DATE:00010101\r\n")),
    ];
    for (i, (what, body)) in accepted.iter().enumerate() {
        let path = format!("/dav/calendars/alice/calendar/ok-{i}.ics");
        let r = put(&s, &path, body).await;
        assert_eq!(r.code(), 201, "{what}: {}", r.describe());
        s.request("DELETE", &path).as_user(ALICE).send().await.status(204);
    }
}
