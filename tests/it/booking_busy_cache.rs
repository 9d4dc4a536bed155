//! Slots after the coach's calendar changes (issue 16 §5): the busy
//! occurrences of a coach's calendars are kept between slot computations
//! by calendar revision, so every change made in a calendar app (a new
//! event, one made transparent, moved, deleted, a new calendar) must show
//! in the very next listing and hold, on the API and on the page.
//!
//! The coach is `alice` in Europe/Berlin, every day 08:00–20:00, 60-minute
//! lessons. "Now" is Monday 2026-05-04 08:00 Berlin.

use std::path::Path;
use std::sync::Arc;

use chrono::{TimeZone, Utc};
use serde_json::Value;

use slotdav::clock::ManualClock;
use slotdav::config::Config;

use crate::common::*;

const EVERY_DAY_8_TO_8: &str = r#"{ mon = ["08:00-20:00"], tue = ["08:00-20:00"], wed = ["08:00-20:00"], thu = ["08:00-20:00"], fri = ["08:00-20:00"], sat = ["08:00-20:00"], sun = ["08:00-20:00"] }"#;

async fn start() -> TestServer {
    let text = format!(
        "[[coach]]\nuser = \"alice\"\ntimezone = \"Europe/Berlin\"\nworking_hours = {EVERY_DAY_8_TO_8}\n\
[[coach.event_type]]\nslug = \"lesson\"\ntitle = \"Lesson\"\nduration = \"60m\"\nhorizon = \"120d\"\n"
    );
    let parsed = Config::parse(&text, Path::new("test.toml")).unwrap_or_else(|e| panic!("{e}\n{text}"));
    TestServer::builder()
        .config(move |c| c.coaches = parsed.coaches)
        .start_with_clock(Arc::new(ManualClock::new(Utc.with_ymd_and_hms(2026, 5, 4, 6, 0, 0).unwrap())))
        .await
}

/// Open `HH:MM` starts (Berlin) on a Berlin date, from the API.
async fn starts(server: &TestServer, day: &str) -> Vec<String> {
    let path = format!("/api/v1/coaches/alice/event-types/lesson/slots?from={day}&to={day}");
    let r = server.request("GET", &path).send().await.status(200);
    let json: Value = serde_json::from_slice(&r.bytes).unwrap_or_else(|e| panic!("not JSON ({e}): {}", r.describe()));
    json["slots"].as_array().expect("slots").iter().map(|s| s["start"].as_str().unwrap()[11..16].to_string()).collect()
}

/// A one-hour event at `start` (UTC, `YYYYMMDDTHHMMSS`), with `extra` lines.
fn event(uid: &str, start: &str, end: &str, extra: &str) -> String {
    format!(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:{start}Z\r\nDTEND:{end}Z\r\n{extra}SUMMARY:Busy\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
}

async fn put(server: &TestServer, path: &str, ics: String) {
    server.request("PUT", path).as_user(ALICE).header("Content-Type", "text/calendar").body(ics).send().await.status_in(&[201, 204]);
}

fn has(list: &[String], hhmm: &str) -> bool {
    list.iter().any(|s| s == hhmm)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_calendar_change_shows_in_the_next_listing() {
    let server = start().await;
    let obj = "/dav/calendars/alice/calendar/meeting.ics";
    // Tuesday 2026-05-05 10:00 Berlin = 08:00 UTC.
    assert!(has(&starts(&server, "2026-05-05").await, "10:00"));

    put(&server, obj, event("m1", "20260505T080000", "20260505T090000", "")).await;
    assert!(!has(&starts(&server, "2026-05-05").await, "10:00"), "a new busy event");
    // The page, another range over the same calendar, agrees.
    server.request("GET", "/book/alice/lesson?day=2026-05-05").send().await.status(200).lacks(">10:00</button>").contains(">11:00</button>");

    put(&server, obj, event("m1", "20260505T080000", "20260505T090000", "TRANSP:TRANSPARENT\r\n")).await;
    assert!(has(&starts(&server, "2026-05-05").await, "10:00"), "made transparent");

    put(&server, obj, event("m1", "20260505T120000", "20260505T130000", "")).await;
    let tuesday = starts(&server, "2026-05-05").await;
    assert!(has(&tuesday, "10:00") && !has(&tuesday, "14:00"), "moved to 14:00: {tuesday:?}");

    server.request("DELETE", obj).as_user(ALICE).send().await.status(204);
    assert!(has(&starts(&server, "2026-05-05").await, "14:00"), "deleted");

    // A calendar made after the first listing counts at once.
    server.request("MKCALENDAR", "/dav/calendars/alice/work/").as_user(ALICE).send().await.status(201);
    put(&server, "/dav/calendars/alice/work/w.ics", event("w1", "20260505T140000", "20260505T150000", "")).await;
    assert!(!has(&starts(&server, "2026-05-05").await, "16:00"), "an event of a new calendar");

    // Far ahead (another part of the kept ranges) and back.
    assert!(has(&starts(&server, "2026-08-10").await, "10:00"));
    put(&server, "/dav/calendars/alice/calendar/later.ics", event("l1", "20260810T080000", "20260810T090000", "")).await;
    assert!(!has(&starts(&server, "2026-08-10").await, "10:00"));
    assert!(!has(&starts(&server, "2026-05-05").await, "16:00"));
}

/// A hold of alice's lesson at `start` (RFC 3339), through the API.
async fn hold(server: &TestServer, start: &str) -> crate::common::Resp {
    server
        .request("POST", "/api/v1/coaches/alice/event-types/lesson/holds")
        .header("Content-Type", "application/json")
        .body(format!(r#"{{"start": "{start}"}}"#))
        .send()
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hold_after_a_listing_sees_the_event_put_in_between() {
    let server = start().await;
    assert!(has(&starts(&server, "2026-05-06").await, "09:00"));
    put(&server, "/dav/calendars/alice/calendar/x.ics", event("x1", "20260506T070000", "20260506T080000", "")).await;
    let r = hold(&server, "2026-05-06T09:00:00+02:00").await.status(409);
    assert!(r.text().contains("slot_unavailable"), "{}", r.describe());
    // The hour after it is still free.
    hold(&server, "2026-05-06T10:00:00+02:00").await.status(201);
}
