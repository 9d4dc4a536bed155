//! (D) Breaks and caps (issue 11 §6) over real HTTP: the coach's
//! `max_consecutive` / `break_after` and the weekly and monthly caps (per
//! event type and per coach, in the coach's local weeks and months) take
//! slots off the JSON API's list and refuse holds on them.
//!
//! The coach is `alice` in Europe/Berlin, working Mon–Fri 09:00–17:00.
//! "Now" is Monday 2026-05-04 08:00 Berlin.

use std::path::Path;
use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};
use chrono_tz::Tz;
use serde_json::{json, Value};

use slotdav::clock::ManualClock;
use slotdav::config::Config;

use crate::common::*;

const BERLIN: Tz = chrono_tz::Europe::Berlin;

fn berlin(mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    BERLIN.with_ymd_and_hms(2026, mo, d, h, mi, 0).unwrap().with_timezone(&Utc)
}

async fn start(coach_keys: &str, event_types: &str) -> TestServer {
    let text = format!(
        "[booking]\nrate_limit_per_minute = 100000\n[[coach]]\nuser = \"alice\"\ntimezone = \"Europe/Berlin\"\n\
         working_hours = {{ mon = [\"09:00-17:00\"], tue = [\"09:00-17:00\"], wed = [\"09:00-17:00\"], thu = [\"09:00-17:00\"], fri = [\"09:00-17:00\"] }}\n\
         {coach_keys}\n{event_types}"
    );
    let parsed = Config::parse(&text, Path::new("test.toml")).unwrap_or_else(|e| panic!("{e}\n{text}"));
    let clock = Arc::new(ManualClock::new(berlin(5, 4, 8, 0)));
    TestServer::builder()
        .config(move |c| {
            c.coaches = parsed.coaches;
            c.rate_limit_per_minute = parsed.rate_limit_per_minute;
        })
        .start_with_clock(clock)
        .await
}

fn json_of(r: &Resp) -> Value {
    serde_json::from_slice(&r.bytes).unwrap_or_else(|e| panic!("not JSON ({e}): {}", r.describe()))
}

/// Open `HH:MM` starts on a Berlin date (`YYYY-MM-DD`).
async fn starts_on(server: &TestServer, et: &str, day: &str) -> Vec<String> {
    let path = format!("/api/v1/coaches/alice/event-types/{et}/slots?from={day}&to={day}&tz=Europe/Berlin");
    let r = server.request("GET", &path).send().await.status(200);
    json_of(&r)["slots"].as_array().unwrap().iter().map(|s| s["start"].as_str().unwrap()[11..16].to_string()).collect()
}

async fn hold(server: &TestServer, et: &str, start: DateTime<Utc>) -> Resp {
    server
        .request("POST", &format!("/api/v1/coaches/alice/event-types/{et}/holds"))
        .header("Content-Type", "application/json")
        .body(json!({"start": start.to_rfc3339()}).to_string())
        .send()
        .await
}

async fn book(server: &TestServer, et: &str, start: DateTime<Utc>) {
    let h = json_of(&hold(server, et, start).await.status(201));
    let id = h["hold_id"].as_str().unwrap();
    server
        .request("POST", &format!("/api/v1/holds/{id}/confirm"))
        .header("Content-Type", "application/json")
        .body(json!({"name": "Ben Student", "email": format!("ben{}@example.org", start.timestamp())}).to_string())
        .send()
        .await
        .status(201);
}

fn hours(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

#[tokio::test]
async fn a_break_is_kept_after_max_consecutive_across_event_types() {
    let types = "[[coach.event_type]]\nslug = \"lesson\"\ntitle = \"Lesson\"\nduration = \"1h\"\nslot_interval = \"30m\"\n\
                 [[coach.event_type]]\nslug = \"call\"\ntitle = \"Call\"\nduration = \"30m\"\nbuffer_after = \"30m\"\n";
    let server = start("max_consecutive = \"2h\"\nbreak_after = \"1h\"", types).await;
    let before = starts_on(&server, "lesson", "2026-05-04").await;
    assert!(before.contains(&"09:00".to_string()) && before.contains(&"12:00".to_string()), "{before:?}");
    // A lesson 10:00–11:00 and a call 11:00–11:30 (+30m buffer): a 2h run, 10:00–12:00.
    book(&server, "lesson", berlin(5, 4, 10, 0)).await;
    book(&server, "call", berlin(5, 4, 11, 0)).await;
    let after = starts_on(&server, "lesson", "2026-05-04").await;
    // 09:00 would touch the run (3h); 12:00–12:30 leave less than an hour's break.
    assert_eq!(after, hours(&["13:00", "13:30", "14:00", "14:30", "15:00", "15:30", "16:00"]));
    let r = json_of(&hold(&server, "lesson", berlin(5, 4, 12, 0)).await.status(409));
    assert_eq!(r["error"], "slot_unavailable");
    assert_eq!(starts_on(&server, "lesson", "2026-05-05").await.len(), 15, "other days are untouched");
}

#[tokio::test]
async fn a_weekly_cap_of_an_event_type_closes_the_rest_of_the_local_week() {
    let types = "[[coach.event_type]]\nslug = \"lesson\"\ntitle = \"Lesson\"\nduration = \"1h\"\nmax_per_week = 2\n\
                 [[coach.event_type]]\nslug = \"call\"\ntitle = \"Call\"\nduration = \"1h\"\n";
    let server = start("", types).await;
    book(&server, "lesson", berlin(5, 4, 9, 0)).await;
    assert_eq!(starts_on(&server, "lesson", "2026-05-06").await.len(), 8, "one more this week: every free hour");
    book(&server, "lesson", berlin(5, 5, 9, 0)).await;
    for day in ["2026-05-04", "2026-05-06", "2026-05-08"] {
        assert!(starts_on(&server, "lesson", day).await.is_empty(), "week full on {day}");
    }
    assert_eq!(json_of(&hold(&server, "lesson", berlin(5, 7, 9, 0)).await.status(409))["error"], "slot_unavailable");
    assert_eq!(starts_on(&server, "lesson", "2026-05-11").await.len(), 8, "next Monday opens again");
    assert_eq!(starts_on(&server, "call", "2026-05-06").await.len(), 8, "other types keep their slots");
}

#[tokio::test]
async fn a_monthly_cap_of_the_coach_counts_every_event_type() {
    let types = "[[coach.event_type]]\nslug = \"lesson\"\ntitle = \"Lesson\"\nduration = \"1h\"\n\
                 [[coach.event_type]]\nslug = \"call\"\ntitle = \"Call\"\nduration = \"1h\"\n";
    let server = start("max_per_month = 3\nmax_per_week = 10", types).await;
    book(&server, "lesson", berlin(5, 4, 9, 0)).await;
    book(&server, "call", berlin(5, 12, 9, 0)).await;
    book(&server, "lesson", berlin(5, 29, 16, 0)).await;
    for (et, day) in [("lesson", "2026-05-05"), ("call", "2026-05-29"), ("call", "2026-05-18")] {
        assert!(starts_on(&server, et, day).await.is_empty(), "{et} on {day}: the coach's month is full");
    }
    assert_eq!(starts_on(&server, "call", "2026-06-01").await.len(), 8, "June is a new month");
}

#[tokio::test]
async fn a_break_without_max_consecutive_is_a_config_error_naming_the_key() {
    let text = "[[coach]]\nuser = \"alice\"\nbreak_after = \"30m\"\n";
    let err = Config::parse(text, Path::new("test.toml")).unwrap_err().to_string();
    assert!(err.contains("break_after") && err.contains("max_consecutive"), "{err}");
    let text = "[[coach]]\nuser = \"alice\"\n[[coach.event_type]]\nslug = \"x\"\ntitle = \"X\"\nduration = \"1h\"\nmax_per_month = 0\n";
    let err = Config::parse(text, Path::new("test.toml")).unwrap_err().to_string();
    assert!(err.contains("max_per_month"), "{err}");
}
