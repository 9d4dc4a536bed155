//! Booking over real HTTP: what a student sees on the booking pages and
//! the JSON API, and what the coach sees (and changes) in their calendar
//! app over CalDAV. Time is a [`ManualClock`], so holds expire and notice
//! periods pass without sleeping.
//!
//! The coach is `alice` in Europe/Berlin, working Mon–Fri 09:00–17:00
//! unless a test says otherwise. "Now" is Monday 2026-05-04 08:00 Berlin.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use chrono::{DateTime, Duration, NaiveDate, Offset, TimeZone, Utc};
use chrono_tz::Tz;
use serde_json::{json, Value};

use slotdav::clock::ManualClock;
use slotdav::config::Config;

use crate::common::*;

const BERLIN: Tz = chrono_tz::Europe::Berlin;
const SESSIONS: &str = "/dav/calendars/alice/sessions/";

const WEEKDAYS_9_TO_5: &str = r#"{ mon = ["09:00-17:00"], tue = ["09:00-17:00"], wed = ["09:00-17:00"], thu = ["09:00-17:00"], fri = ["09:00-17:00"] }"#;

/// Monday 2026-05-04 08:00 in Berlin.
fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 5, 4, 6, 0, 0).unwrap()
}

/// A Berlin wall-clock time as UTC.
fn berlin(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    BERLIN.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap().with_timezone(&Utc)
}

/// `2026-05-DD` at `HH:00` Berlin: the days these tests book on.
fn may(d: u32, h: u32) -> DateTime<Utc> {
    berlin(2026, 5, d, h, 0)
}

fn ical_utc(t: DateTime<Utc>) -> String {
    t.format("%Y%m%dT%H%M%SZ").to_string()
}

/// The coach block with the given working hours and event types.
fn coach_toml(display_name: &str, working_hours: &str, event_types: &str) -> String {
    format!(
        "[[coach]]\nuser = \"alice\"\ndisplay_name = {display_name:?}\ntimezone = \"Europe/Berlin\"\nworking_hours = {working_hours}\n{event_types}"
    )
}

/// One `[[coach.event_type]]` with extra `key = value` lines.
fn event_type(slug: &str, duration: &str, extra: &str) -> String {
    format!("[[coach.event_type]]\nslug = \"{slug}\"\ntitle = \"{slug} session\"\nduration = \"{duration}\"\n{extra}\n")
}

struct Env {
    server: TestServer,
    clock: Arc<ManualClock>,
}

async fn start_with(coach: &str, rate_limit: u32, now: DateTime<Utc>) -> Env {
    let text = format!("[booking]\nrate_limit_per_minute = {rate_limit}\n{coach}");
    let parsed = Config::parse(&text, Path::new("test.toml")).unwrap_or_else(|e| panic!("{e}\n{text}"));
    let clock = Arc::new(ManualClock::new(now));
    let server = TestServer::builder()
        .config(move |c| {
            c.coaches = parsed.coaches;
            c.rate_limit_per_minute = parsed.rate_limit_per_minute;
        })
        .start_with_clock(clock.clone())
        .await;
    Env { server, clock }
}

/// Alice (Mon–Fri 9–5) offering the given event types; now = [`t0`].
async fn start(event_types: &str) -> Env {
    start_with(&coach_toml("Alice Coach", WEEKDAYS_9_TO_5, event_types), 100_000, t0()).await
}

fn json_of(r: &Resp) -> Value {
    serde_json::from_slice(&r.bytes).unwrap_or_else(|e| panic!("not JSON ({e}): {}", r.describe()))
}

/// Unfolds iCalendar content lines (RFC 5545 §3.1).
fn unfold(ics: &str) -> String {
    ics.replace("\r\n ", "").replace("\r\n\t", "")
}

/// The first content line of property `name` (unfolded), e.g. `STATUS:CONFIRMED`.
fn ics_line(ics: &str, name: &str) -> Option<String> {
    unfold(ics)
        .lines()
        .find(|l| l.strip_prefix(name).is_some_and(|rest| rest.starts_with(':') || rest.starts_with(';')))
        .map(str::to_string)
}

/// `ics` with every line of property `name` replaced by `line`.
fn with_line(ics: &str, name: &str, line: &str) -> String {
    let text = unfold(ics);
    let mut found = false;
    let out: Vec<String> = text
        .split("\r\n")
        .map(|l| {
            if l.strip_prefix(name).is_some_and(|rest| rest.starts_with(':') || rest.starts_with(';')) {
                found = true;
                line.to_string()
            } else {
                l.to_string()
            }
        })
        .collect();
    assert!(found, "no {name} in {ics}");
    out.join("\r\n")
}

/// A VCALENDAR with one VEVENT made of `lines` (written with `\n`).
fn vcalendar(uid: &str, lines: &str) -> String {
    let body: String = lines.lines().map(|l| l.trim()).filter(|l| !l.is_empty()).map(|l| format!("{l}\r\n")).collect();
    format!(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//slotdav tests//EN\r\nBEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20260101T000000Z\r\n{body}END:VEVENT\r\nEND:VCALENDAR\r\n"
    )
}

fn form_body(fields: &[(&str, &str)]) -> String {
    let mut s = form_urlencoded::Serializer::new(String::new());
    for (k, v) in fields {
        s.append_pair(k, v);
    }
    s.finish()
}

/// A browser's view of one page: its CSRF cookie and hidden field.
struct Page {
    resp: Resp,
    cookie: Option<String>,
    csrf: Option<String>,
}

impl Env {
    fn http(&self) -> &Http {
        &self.server.http
    }

    // ----- JSON API -----

    async fn slots_in(&self, et: &str, from: &str, to: &str, tz: &str) -> Vec<Value> {
        let path = format!("/api/v1/coaches/alice/event-types/{et}/slots?from={from}&to={to}&tz={tz}");
        let r = self.server.request("GET", &path).send().await.status(200);
        json_of(&r)["slots"].as_array().expect("slots array").clone()
    }

    /// Start times (RFC 3339, Berlin offset) between two Berlin dates.
    async fn starts(&self, et: &str, from: &str, to: &str) -> Vec<String> {
        self.slots_in(et, from, to, "Europe/Berlin").await.iter().map(|s| s["start"].as_str().unwrap().to_string()).collect()
    }

    /// Open `HH:MM` start times per Berlin date.
    async fn by_day(&self, et: &str, from: &str, to: &str) -> BTreeMap<String, Vec<String>> {
        let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for s in self.starts(et, from, to).await {
            out.entry(s[..10].to_string()).or_default().push(s[11..16].to_string());
        }
        out
    }

    async fn is_open(&self, et: &str, start: DateTime<Utc>) -> bool {
        let day = start.with_timezone(&BERLIN).format("%Y-%m-%d").to_string();
        let want = start.with_timezone(&BERLIN).to_rfc3339();
        self.starts(et, &day, &day).await.contains(&want)
    }

    async fn seats_left(&self, et: &str, start: DateTime<Utc>) -> Option<u64> {
        let day = start.with_timezone(&BERLIN).format("%Y-%m-%d").to_string();
        let want = start.with_timezone(&BERLIN).to_rfc3339();
        self.slots_in(et, &day, &day, "Europe/Berlin").await.iter().find(|s| s["start"] == want.as_str()).map(|s| s["seats_left"].as_u64().unwrap())
    }

    async fn post_json(&self, path: &str, body: Value) -> Resp {
        self.server.request("POST", path).header("Content-Type", "application/json").body(body.to_string()).send().await
    }

    async fn hold(&self, et: &str, start: DateTime<Utc>) -> Resp {
        self.post_json(&format!("/api/v1/coaches/alice/event-types/{et}/holds"), json!({"start": start.to_rfc3339()})).await
    }

    async fn confirm(&self, hold_id: &str, name: &str, email: &str) -> Resp {
        self.post_json(&format!("/api/v1/holds/{hold_id}/confirm"), json!({"name": name, "email": email, "note": "Hello"})).await
    }

    /// Hold + confirm; returns the booking JSON (with `manage_token`).
    async fn book(&self, et: &str, start: DateTime<Utc>, email: &str) -> Value {
        let hold = json_of(&self.hold(et, start).await.status(201));
        let id = hold["hold_id"].as_str().unwrap().to_string();
        json_of(&self.confirm(&id, "Ben Student", email).await.status(201))
    }

    async fn booking(&self, token: &str) -> Value {
        json_of(&self.server.request("GET", &format!("/api/v1/bookings/{token}")).send().await.status(200))
    }

    // ----- the coach's CalDAV client -----

    /// Makes a calendar, or finds it made (RFC 4791 §5.3.1: 403 `DAV:resource-must-be-null`).
    async fn mkcalendar(&self, name: &str) {
        self.server.request("MKCALENDAR", &format!("/dav/calendars/alice/{name}/")).as_user(ALICE).send().await.status_in(&[201, 403]);
    }

    async fn put_ics(&self, path: &str, ics: &str) -> Resp {
        self.server.request("PUT", path).as_user(ALICE).header("Content-Type", "text/calendar; charset=utf-8").body(ics).send().await
    }

    /// Every object in the sessions calendar: (href, unfolded text).
    async fn session_objects(&self) -> Vec<(String, String)> {
        let r = self.server.request("PROPFIND", SESSIONS).as_user(ALICE).depth("1").xml(propfind_props(&["D:getetag"])).send().await.status(207);
        let mut out = Vec::new();
        for href in r.hrefs().into_iter().filter(|h| h.ends_with(".ics")) {
            let body = self.http().get(ALICE, &href).await;
            out.push((href, unfold(&String::from_utf8_lossy(&body))));
        }
        out
    }

    /// The booking's event in the coach's sessions calendar.
    async fn booking_event(&self, reference: &str) -> (String, String) {
        let needle = format!("X-SLOTDAV-REFERENCE:{reference}");
        self.session_objects().await.into_iter().find(|(_, ics)| ics.contains(&needle)).unwrap_or_else(|| panic!("no event for {reference}"))
    }

    // ----- the HTML pages -----

    async fn page(&self, path: &str, cookie: Option<&str>) -> Page {
        let mut req = self.server.request("GET", path);
        if let Some(c) = cookie {
            req = req.header("Cookie", c);
        }
        let resp = req.send().await;
        let cookie = resp.header("set-cookie").and_then(|c| c.split(';').next()).map(str::to_string).or(cookie.map(str::to_string));
        let text = resp.text();
        let csrf = text.split("name=\"csrf\" value=\"").nth(1).and_then(|s| s.split('"').next()).map(str::to_string);
        Page { resp, cookie, csrf }
    }

    async fn form_post(&self, path: &str, cookie: Option<&str>, fields: &[(&str, &str)]) -> Resp {
        let mut req = self.server.request("POST", path).header("Content-Type", "application/x-www-form-urlencoded").body(form_body(fields));
        if let Some(c) = cookie {
            req = req.header("Cookie", c);
        }
        req.send().await
    }

    /// Picks the slot at `start` on the slots page; returns the hold page's path.
    async fn html_hold(&self, et: &str, start: DateTime<Utc>, cookie: &str, csrf: &str) -> Resp {
        let start = start.to_rfc3339();
        self.form_post(&format!("/book/alice/{et}/hold"), Some(cookie), &[("csrf", csrf), ("start", &start), ("tz", "Europe/Berlin")]).await
    }
}

// ---------------------------------------------------------------------------
// The coach's calendar decides what is free
// ---------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_busy_event_from_the_coachs_phone_hides_the_slot_until_deleted() {
    let env = start(&event_type("lesson", "60m", "")).await;
    env.mkcalendar("calendar").await;
    let tue = "2026-05-05";
    let before = env.starts("lesson", tue, tue).await;
    assert_eq!(before.len(), 8, "09:00..16:00: {before:?}");
    assert!(before.contains(&"2026-05-05T10:00:00+02:00".to_string()));
    let slots_page = "/book/alice/lesson?week=2026-05-04&tz=Europe/Berlin";
    let ten = format!("value=\"{}\"", may(5, 10).to_rfc3339());
    env.server.request("GET", slots_page).send().await.status(200).contains(&ten);

    let event = vcalendar("dentist-1", &format!("DTSTART:{}\nDTEND:{}\nSUMMARY:Dentist", ical_utc(may(5, 10)), ical_utc(may(5, 11))));
    env.put_ics("/dav/calendars/alice/calendar/x.ics", &event).await.status(201);
    let during = env.starts("lesson", tue, tue).await;
    assert!(!during.contains(&"2026-05-05T10:00:00+02:00".to_string()), "{during:?}");
    assert!(during.contains(&"2026-05-05T09:00:00+02:00".to_string()) && during.contains(&"2026-05-05T11:00:00+02:00".to_string()));
    assert_eq!(during.len(), 7);
    env.server.request("GET", slots_page).send().await.status(200).lacks(&ten);
    // Picking it anyway (a stale page) is refused.
    env.hold("lesson", may(5, 10)).await.status(409);

    env.server.request("DELETE", "/dav/calendars/alice/calendar/x.ics").as_user(ALICE).send().await.status(204);
    assert_eq!(env.starts("lesson", tue, tue).await, before);
    env.server.request("GET", slots_page).send().await.status(200).contains(&ten);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transparent_and_cancelled_events_do_not_block() {
    let env = start(&event_type("lesson", "60m", "")).await;
    env.mkcalendar("calendar").await;
    let free = vcalendar("free-1", &format!("DTSTART:{}\nDTEND:{}\nTRANSP:TRANSPARENT", ical_utc(may(5, 10)), ical_utc(may(5, 11))));
    let cancelled = vcalendar("gone-1", &format!("DTSTART:{}\nDTEND:{}\nSTATUS:CANCELLED", ical_utc(may(5, 12)), ical_utc(may(5, 13))));
    let busy = vcalendar("busy-1", &format!("DTSTART:{}\nDTEND:{}", ical_utc(may(5, 14)), ical_utc(may(5, 15))));
    env.put_ics("/dav/calendars/alice/calendar/free.ics", &free).await.status(201);
    env.put_ics("/dav/calendars/alice/calendar/gone.ics", &cancelled).await.status(201);
    env.put_ics("/dav/calendars/alice/calendar/busy.ics", &busy).await.status(201);
    let day = env.by_day("lesson", "2026-05-05", "2026-05-05").await;
    assert_eq!(day["2026-05-05"], ["09:00", "10:00", "11:00", "12:00", "13:00", "15:00", "16:00"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_all_day_event_blocks_the_whole_local_day() {
    let env = start(&event_type("lesson", "60m", "")).await;
    env.mkcalendar("calendar").await;
    let holiday = vcalendar("holiday-1", "DTSTART;VALUE=DATE:20260506\nDTEND;VALUE=DATE:20260507\nSUMMARY:Holiday");
    env.put_ics("/dav/calendars/alice/calendar/holiday.ics", &holiday).await.status(201);
    let days = env.by_day("lesson", "2026-05-05", "2026-05-07").await;
    assert_eq!(days.get("2026-05-05").map(Vec::len), Some(8));
    assert_eq!(days.get("2026-05-06"), None, "the holiday has no slots: {days:?}");
    assert_eq!(days.get("2026-05-07").map(Vec::len), Some(8));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recurring_availability_replaces_working_hours_and_honours_exdate() {
    let env = start(&event_type("lesson", "60m", "")).await;
    // Evenings 18:00–20:00 on Mondays and Saturdays, except Saturday 16 May.
    let avail = vcalendar(
        "evenings",
        &format!(
            "DTSTART:{}\nDTEND:{}\nRRULE:FREQ=WEEKLY;BYDAY=MO,SA\nEXDATE:{}\nSUMMARY:Open for bookings",
            ical_utc(may(4, 18)),
            ical_utc(may(4, 20)),
            ical_utc(may(16, 18))
        ),
    );
    env.put_ics("/dav/calendars/alice/availability/evenings.ics", &avail).await.status(201);
    let days = env.by_day("lesson", "2026-05-04", "2026-05-17").await;
    let evening = vec!["18:00".to_string(), "19:00".to_string()];
    // Mondays: the availability event only; working hours do not apply.
    assert_eq!(days.get("2026-05-04"), Some(&evening), "{days:?}");
    assert_eq!(days.get("2026-05-11"), Some(&evening), "{days:?}");
    // Other weekdays: working hours.
    assert_eq!(days.get("2026-05-05").map(Vec::len), Some(8));
    // Saturdays: bookable only through the availability calendar…
    assert_eq!(days.get("2026-05-09"), Some(&evening), "{days:?}");
    // …and not on the EXDATE'd one.
    assert_eq!(days.get("2026-05-16"), None, "{days:?}");
    assert_eq!(days.get("2026-05-10"), None, "Sunday: no hours, no availability");
}

// ---------------------------------------------------------------------------
// Event type rules
// ---------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn buffers_keep_distance_from_busy_time_and_from_bookings() {
    let env = start(&event_type("buf", "60m", "slot_interval = \"30m\"\nbuffer_before = \"15m\"\nbuffer_after = \"30m\"")).await;
    env.mkcalendar("calendar").await;
    let lunch = vcalendar("lunch", &format!("DTSTART:{}\nDTEND:{}", ical_utc(may(5, 12)), ical_utc(may(5, 13))));
    env.put_ics("/dav/calendars/alice/calendar/lunch.ics", &lunch).await.status(201);
    let day = env.by_day("buf", "2026-05-05", "2026-05-05").await;
    // 11:00 would end at 12:00 with 30 minutes of buffer into lunch; 13:00
    // needs 15 minutes before it, still lunch.
    assert_eq!(
        day["2026-05-05"],
        ["09:00", "09:30", "10:00", "10:30", "13:30", "14:00", "14:30", "15:00", "15:30", "16:00"]
    );
    env.book("buf", may(5, 9), "ben@example.org").await;
    let day = env.by_day("buf", "2026-05-05", "2026-05-05").await;
    // 09:00–10:00 plus 30 minutes after: the next start is 10:30.
    assert_eq!(day["2026-05-05"], ["10:30", "13:30", "14:00", "14:30", "15:00", "15:30", "16:00"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn min_notice_and_horizon_bound_the_offered_times() {
    // Now is Monday 08:00; 26 h notice → Tuesday 10:00; 3-day horizon →
    // Thursday 08:00, before Thursday's hours begin.
    let env = start(&event_type("soon", "60m", "min_notice = \"26h\"\nhorizon = \"3d\"")).await;
    let days = env.by_day("soon", "2026-05-04", "2026-05-10").await;
    assert_eq!(days.keys().collect::<Vec<_>>(), ["2026-05-05", "2026-05-06"], "{days:?}");
    assert_eq!(days["2026-05-05"].first().map(String::as_str), Some("10:00"));
    assert_eq!(days["2026-05-06"].len(), 8);
    env.hold("soon", may(5, 9)).await.status(409).contains("slot_unavailable");
    env.hold("soon", may(7, 9)).await.status(409);
    env.hold("soon", may(5, 10)).await.status(201);
    // A day later Thursday comes into reach.
    env.clock.advance(Duration::days(1));
    assert!(env.is_open("soon", may(7, 9)).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn max_per_day_caps_sessions_on_one_day() {
    let env = start(&event_type("capped", "60m", "max_per_day = 2")).await;
    env.book("capped", may(5, 9), "a@example.org").await;
    assert_eq!(env.by_day("capped", "2026-05-05", "2026-05-05").await["2026-05-05"].len(), 7);
    env.book("capped", may(5, 13), "b@example.org").await;
    let days = env.by_day("capped", "2026-05-05", "2026-05-06").await;
    assert_eq!(days.get("2026-05-05"), None, "the cap is reached: {days:?}");
    assert_eq!(days["2026-05-06"].len(), 8);
    env.hold("capped", may(5, 15)).await.status(409);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_group_session_fills_seat_by_seat_and_refuses_the_fourth() {
    let env = start(&event_type("group", "60m", "seats = 3")).await;
    let slot = may(5, 9);
    assert_eq!(env.seats_left("group", slot).await, Some(3));
    env.book("group", slot, "a@example.org").await;
    assert_eq!(env.seats_left("group", slot).await, Some(2));
    env.server
        .request("GET", "/book/alice/group?week=2026-05-04&tz=Europe/Berlin")
        .send()
        .await
        .status(200)
        .contains("2 of 3 places left");
    env.book("group", slot, "b@example.org").await;
    assert_eq!(env.seats_left("group", slot).await, Some(1));
    env.book("group", slot, "c@example.org").await;
    assert_eq!(env.seats_left("group", slot).await, None, "full sessions are not offered");
    env.hold("group", slot).await.status(409).contains("slot_unavailable");
    // One event per session attendee in the coach's calendar.
    assert_eq!(env.session_objects().await.len(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn once_per_student_refuses_a_second_booking_by_the_same_address() {
    let env = start(&event_type("trial", "30m", "once_per_student = true")).await;
    let first = env.book("trial", may(5, 9), "ben@example.org").await;
    let hold = json_of(&env.hold("trial", may(6, 9)).await.status(201));
    let hold_id = hold["hold_id"].as_str().unwrap();
    let r = env.confirm(hold_id, "Ben again", "BEN@Example.org").await.status(409);
    let err = json_of(&r);
    assert_eq!(err["error"], "already_booked");
    assert!(err["message"].as_str().unwrap().contains("already have a booking"), "{err}");
    // Someone else may book it.
    env.confirm(hold_id, "Eve", "eve@example.org").await.status(201);
    // After cancelling, Ben may book again.
    let token = first["manage_token"].as_str().unwrap();
    env.post_json(&format!("/api/v1/bookings/{token}/cancel"), json!({})).await.status(200);
    env.book("trial", may(7, 9), "ben@example.org").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requires_confirmation_books_tentatively_until_the_coach_confirms_in_their_calendar() {
    let env = start(&event_type("intro", "60m", "requires_confirmation = true")).await;
    let b = env.book("intro", may(5, 9), "ben@example.org").await;
    assert_eq!(b["status"], "tentative");
    let token = b["manage_token"].as_str().unwrap();
    let reference = b["reference"].as_str().unwrap();
    let (href, ics) = env.booking_event(reference).await;
    assert_eq!(ics_line(&ics, "STATUS").as_deref(), Some("STATUS:TENTATIVE"), "{ics}");
    // A tentative booking still holds its time.
    assert!(!env.is_open("intro", may(5, 9)).await);
    env.server
        .request("GET", &format!("/book/manage/{token}"))
        .send()
        .await
        .status(200)
        .contains("Waiting for the coach to confirm");

    let confirmed = with_line(&ics, "STATUS", "STATUS:CONFIRMED");
    env.put_ics(&href, &confirmed).await.status(204);
    let now = env.booking(token).await;
    assert_eq!(now["status"], "confirmed", "{now}");
    env.server.request("GET", &format!("/book/manage/{token}")).send().await.status(200).contains("Confirmed");
}

// ---------------------------------------------------------------------------
// Holds and races
// ---------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hold_keeps_the_slot_until_it_expires() {
    let env = start(&event_type("lesson", "60m", "hold_ttl = \"10m\"")).await;
    let slot = may(5, 9);
    let r = env.hold("lesson", slot).await.status(201);
    let hold = json_of(&r);
    let hold_id = hold["hold_id"].as_str().expect("hold_id").to_string();
    let expires = DateTime::parse_from_rfc3339(hold["expires_at"].as_str().expect("expires_at")).unwrap();
    assert_eq!(expires, t0() + Duration::minutes(10));
    assert!(!env.is_open("lesson", slot).await, "held slots are not offered");
    env.hold("lesson", slot).await.status(409);

    env.clock.advance(Duration::minutes(10) + Duration::seconds(1));
    assert!(env.is_open("lesson", slot).await, "an expired hold frees its slot");
    let r = env.confirm(&hold_id, "Ben", "ben@example.org").await.status(410);
    assert_eq!(json_of(&r)["error"], "hold_expired");
    assert!(env.session_objects().await.is_empty());
    // Someone else can take it now.
    env.book("lesson", slot, "eve@example.org").await;
}

/// `n` students at once: each holds `start` and, if that worked, confirms.
/// Returns the manage tokens of those who got a booking.
async fn rush(env: &Env, et: &str, start: DateTime<Utc>, n: usize) -> Vec<String> {
    let mut tasks = Vec::new();
    for i in 0..n {
        let http = env.http().clone();
        let et = et.to_string();
        tasks.push(tokio::spawn(async move {
            let hold = http
                .request("POST", &format!("/api/v1/coaches/alice/event-types/{et}/holds"))
                .header("Content-Type", "application/json")
                .body(json!({"start": start.to_rfc3339()}).to_string())
                .send()
                .await;
            if hold.code() != 201 {
                assert_eq!(hold.code(), 409, "{}", hold.describe());
                return None;
            }
            let id = json_of(&hold)["hold_id"].as_str().unwrap().to_string();
            let r = http
                .request("POST", &format!("/api/v1/holds/{id}/confirm"))
                .header("Content-Type", "application/json")
                .body(json!({"name": format!("Student {i}"), "email": format!("s{i}@example.org")}).to_string())
                .send()
                .await;
            assert_eq!(r.code(), 201, "a held slot must be confirmable: {}", r.describe());
            Some(json_of(&r)["manage_token"].as_str().unwrap().to_string())
        }));
    }
    let mut tokens = Vec::new();
    for t in tasks {
        if let Some(tok) = t.await.unwrap() {
            tokens.push(tok);
        }
    }
    tokens
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn forty_students_racing_for_one_slot_never_overbook_it() {
    let types = format!("{}{}", event_type("solo", "60m", ""), event_type("group", "60m", "seats = 3"));
    let env = start(&types).await;
    let solo = rush(&env, "solo", may(5, 9), 40).await;
    assert_eq!(solo.len(), 1, "one seat, one booking");
    let group = rush(&env, "group", may(6, 9), 40).await;
    assert_eq!(group.len(), 3, "three seats, three bookings");
    for token in solo.iter().chain(&group) {
        assert_eq!(env.booking(token).await["status"], "confirmed");
    }
    let events = env.session_objects().await;
    assert_eq!(events.len(), 4, "one VEVENT per booking: {:?}", events.iter().map(|e| &e.0).collect::<Vec<_>>());
    assert!(!env.is_open("solo", may(5, 9)).await);
    assert_eq!(env.seats_left("group", may(6, 9)).await, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn confirming_one_hold_forty_times_at_once_books_once() {
    let env = start(&event_type("lesson", "60m", "")).await;
    let hold = json_of(&env.hold("lesson", may(5, 9)).await.status(201));
    let id = hold["hold_id"].as_str().unwrap().to_string();
    let mut tasks = Vec::new();
    for i in 0..40 {
        let http = env.http().clone();
        let id = id.clone();
        tasks.push(tokio::spawn(async move {
            http.request("POST", &format!("/api/v1/holds/{id}/confirm"))
                .header("Content-Type", "application/json")
                .body(json!({"name": "Ben", "email": format!("ben{i}@example.org")}).to_string())
                .send()
                .await
                .code()
        }));
    }
    let mut codes = Vec::new();
    for t in tasks {
        codes.push(t.await.unwrap());
    }
    assert_eq!(codes.iter().filter(|c| **c == 201).count(), 1, "{codes:?}");
    assert!(codes.iter().all(|c| [201, 404, 409, 410].contains(c)), "{codes:?}");
    assert_eq!(env.session_objects().await.len(), 1);
}

// ---------------------------------------------------------------------------
// Two-way sync with the coach's calendar
// ---------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_booking_appears_in_the_coachs_sessions_calendar() {
    let env = start(&event_type("lesson", "60m", "price = \"€40\"")).await;
    let b = env.book("lesson", may(5, 9), "ben@example.org").await;
    let token = b["manage_token"].as_str().unwrap();
    let (_, ics) = env.booking_event(b["reference"].as_str().unwrap()).await;
    let organizer = ics_line(&ics, "ORGANIZER").expect("ORGANIZER");
    assert!(organizer.contains("CN=") && organizer.contains("mailto:"), "{organizer}");
    let attendee = ics_line(&ics, "ATTENDEE").expect("ATTENDEE");
    assert!(attendee.ends_with("mailto:ben@example.org") && attendee.contains("Ben Student"), "{attendee}");
    let description = ics_line(&ics, "DESCRIPTION").expect("DESCRIPTION");
    assert!(description.contains(&format!("/book/manage/{token}")), "manage link in {description}");
    assert!(description.contains("€40"), "{description}");
    assert_eq!(ics_line(&ics, "STATUS").as_deref(), Some("STATUS:CONFIRMED"));
    assert_eq!(ics_line(&ics, "DTSTART").as_deref(), Some("DTSTART:20260505T070000Z"));
    assert_eq!(ics_line(&ics, "DTEND").as_deref(), Some("DTEND:20260505T080000Z"));
    assert!(ics.contains("SUMMARY:lesson session: Ben Student"), "{ics}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_coach_deleting_the_event_cancels_the_booking() {
    let env = start(&event_type("lesson", "60m", "")).await;
    let b = env.book("lesson", may(5, 9), "ben@example.org").await;
    let token = b["manage_token"].as_str().unwrap();
    assert!(!env.is_open("lesson", may(5, 9)).await);
    let (href, _) = env.booking_event(b["reference"].as_str().unwrap()).await;
    env.server.request("DELETE", &href).as_user(ALICE).send().await.status(204);
    assert_eq!(env.booking(token).await["status"], "cancelled");
    assert!(env.is_open("lesson", may(5, 9)).await, "the time is free again");
    env.server.request("GET", &format!("/book/manage/{token}")).send().await.status(200).contains("Booking cancelled");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_coach_marking_the_event_cancelled_cancels_the_booking() {
    let env = start(&event_type("lesson", "60m", "")).await;
    let b = env.book("lesson", may(5, 9), "ben@example.org").await;
    let token = b["manage_token"].as_str().unwrap();
    let (href, ics) = env.booking_event(b["reference"].as_str().unwrap()).await;
    env.put_ics(&href, &with_line(&ics, "STATUS", "STATUS:CANCELLED")).await.status(204);
    assert_eq!(env.booking(token).await["status"], "cancelled");
    assert!(env.is_open("lesson", may(5, 9)).await);
    // Cancelled bookings cannot be cancelled again by the student.
    env.post_json(&format!("/api/v1/bookings/{token}/cancel"), json!({})).await.status(409).contains("booking_cancelled");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_coach_moving_the_event_moves_the_booking() {
    let env = start(&event_type("lesson", "60m", "")).await;
    let b = env.book("lesson", may(5, 9), "ben@example.org").await;
    let token = b["manage_token"].as_str().unwrap();
    let (href, ics) = env.booking_event(b["reference"].as_str().unwrap()).await;
    let moved = with_line(&with_line(&ics, "DTSTART", &format!("DTSTART:{}", ical_utc(may(6, 14)))), "DTEND", &format!("DTEND:{}", ical_utc(may(6, 15))));
    let moved = with_line(&moved, "SEQUENCE", "SEQUENCE:1");
    env.put_ics(&href, &moved).await.status(204);
    let now = env.booking(token).await;
    assert_eq!(now["start"], "2026-05-06T14:00:00+02:00", "{now}");
    assert_eq!(now["end"], "2026-05-06T15:00:00+02:00", "{now}");
    assert_eq!(now["status"], "confirmed");
    assert!(now["sequence"].as_u64().unwrap() >= 1, "{now}");
    env.server
        .request("GET", &format!("/book/manage/{token}?tz=Europe/Berlin"))
        .send()
        .await
        .status(200)
        .contains("Wednesday 6 May 2026, 14:00 – 15:00");
    assert!(env.is_open("lesson", may(5, 9)).await, "the old time is free");
    assert!(!env.is_open("lesson", may(6, 14)).await, "the new time is taken");
}

// ---------------------------------------------------------------------------
// The student manages their booking
// ---------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelling_within_the_notice_period_works() {
    let env = start(&event_type("lesson", "60m", "cancel_notice = \"24h\"")).await;
    let b = env.book("lesson", may(6, 9), "ben@example.org").await;
    let token = b["manage_token"].as_str().unwrap();
    let r = env.post_json(&format!("/api/v1/bookings/{token}/cancel"), json!({})).await.status(200);
    assert_eq!(json_of(&r)["status"], "cancelled");
    let (_, ics) = env.booking_event(b["reference"].as_str().unwrap()).await;
    assert_eq!(ics_line(&ics, "STATUS").as_deref(), Some("STATUS:CANCELLED"), "{ics}");
    assert_eq!(ics_line(&ics, "SEQUENCE").as_deref(), Some("SEQUENCE:1"), "{ics}");
    assert!(env.is_open("lesson", may(6, 9)).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelling_too_late_is_refused_with_a_clear_message() {
    let env = start(&event_type("lesson", "60m", "cancel_notice = \"24h\"")).await;
    let b = env.book("lesson", may(5, 9), "ben@example.org").await; // deadline Monday 09:00 Berlin
    let token = b["manage_token"].as_str().unwrap();
    env.clock.advance(Duration::hours(2)); // Monday 10:00 Berlin
    let r = env.post_json(&format!("/api/v1/bookings/{token}/cancel"), json!({})).await.status(409);
    let err = json_of(&r);
    assert_eq!(err["error"], "too_late");
    let msg = err["message"].as_str().unwrap();
    assert!(msg.contains("too late") && msg.contains("2026-05-04 07:00"), "{msg}");
    assert_eq!(env.booking(token).await["status"], "confirmed");

    // The manage page says so instead of offering the button…
    let page = env.page(&format!("/book/manage/{token}?tz=Europe/Berlin"), None).await;
    let page_text = page.resp.clone().status(200).lacks("Cancel this booking").text();
    assert!(page_text.contains("can no longer be cancelled online") && page_text.contains("4 May 09:00"), "{page_text}");
    // …and a stale form gets a 409 page with the reason.
    // (The page has no form left; a double-submit token is the cookie's value.)
    let cookie = page.cookie.unwrap();
    let csrf = cookie.split_once('=').unwrap().1.to_string();
    env.form_post(&format!("/book/manage/{token}/cancel"), Some(&cookie), &[("csrf", &csrf)])
        .await
        .status(409)
        .contains("It is too late to cancel online");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rescheduling_keeps_the_uid_and_bumps_the_sequence() {
    let env = start(&event_type("lesson", "60m", "")).await;
    let b = env.book("lesson", may(5, 9), "ben@example.org").await;
    let token = b["manage_token"].as_str().unwrap();
    let reference = b["reference"].as_str().unwrap();
    let (href_before, ics_before) = env.booking_event(reference).await;
    let r = env.post_json(&format!("/api/v1/bookings/{token}/reschedule"), json!({"start": may(6, 10).to_rfc3339()})).await.status(200);
    let moved = json_of(&r);
    assert_eq!(moved["start"], "2026-05-06T10:00:00+02:00");
    assert_eq!(moved["sequence"], 1);
    assert_eq!(moved["reference"], reference);
    let (href_after, ics_after) = env.booking_event(reference).await;
    assert_eq!(href_after, href_before);
    assert_eq!(ics_line(&ics_after, "UID"), ics_line(&ics_before, "UID"));
    assert_eq!(ics_line(&ics_after, "SEQUENCE").as_deref(), Some("SEQUENCE:1"));
    assert_eq!(ics_line(&ics_after, "DTSTART").as_deref(), Some("DTSTART:20260506T080000Z"));
    assert_eq!(env.session_objects().await.len(), 1, "moved, not copied");
    assert!(env.is_open("lesson", may(5, 9)).await);
    assert!(!env.is_open("lesson", may(6, 10)).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rescheduling_onto_a_taken_slot_is_refused() {
    let env = start(&event_type("lesson", "60m", "")).await;
    let b = env.book("lesson", may(5, 9), "ben@example.org").await;
    env.book("lesson", may(6, 11), "eve@example.org").await;
    let token = b["manage_token"].as_str().unwrap();
    let r = env.post_json(&format!("/api/v1/bookings/{token}/reschedule"), json!({"start": may(6, 11).to_rfc3339()})).await.status(409);
    assert_eq!(json_of(&r)["error"], "slot_unavailable");
    let now = env.booking(token).await;
    assert_eq!(now["start"], "2026-05-05T09:00:00+02:00");
    assert_eq!(now["sequence"], 0);
}

/// Bug: the cancel form posts to `/book/manage/{token}/cancel` without the
/// page's `tz`, so the page shown after cancelling switches the time to the
/// coach's zone (seen in the browser test: "Saturday 21 November 23:00
/// (America/New_York)" before, "Sunday 22 November 05:00 (Europe/Berlin)"
/// after).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_page_after_cancelling_keeps_the_students_zone() {
    let env = start(&event_type("lesson", "60m", "")).await;
    let b = env.book("lesson", may(5, 9), "ben@example.org").await;
    let token = b["manage_token"].as_str().unwrap();
    let page = env.page(&format!("/book/manage/{token}?tz=America/New_York"), None).await;
    page.resp.clone().status(200).contains("Tuesday 5 May 2026, 03:00 – 04:00 (America/New_York)");
    let text = page.resp.text();
    let action = text.split("<form method=\"post\" action=\"").nth(1).and_then(|s| s.split('"').next()).expect("cancel form").to_string();
    let cookie = page.cookie.unwrap();
    let csrf = page.csrf.unwrap();
    env.form_post(&action.replace("&amp;", "&"), Some(&cookie), &[("csrf", &csrf)])
        .await
        .status(200)
        .contains("Your booking is cancelled")
        .contains("Tuesday 5 May 2026, 03:00 – 04:00 (America/New_York)");
}

// ---------------------------------------------------------------------------
// Daylight saving time
// ---------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slots_stay_on_the_coachs_wall_clock_across_both_dst_changes() {
    let every_day = r#"{ mon = ["09:00-17:00"], tue = ["09:00-17:00"], wed = ["09:00-17:00"], thu = ["09:00-17:00"], fri = ["09:00-17:00"], sat = ["09:00-17:00"], sun = ["09:00-17:00"] }"#;
    let coach = coach_toml("Alice Coach", every_day, &event_type("lesson", "60m", "horizon = \"365d\""));
    let env = start_with(&coach, 100_000, Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, 0).unwrap()).await;
    let ny: Tz = chrono_tz::America::New_York;
    // The first slot of some days, as a student in New York sees it.
    let expected = [
        ("2026-03-06", "2026-03-06T03:00:00-05:00"), // both on winter time
        ("2026-03-08", "2026-03-08T04:00:00-04:00"), // US changed at 02:00 that morning
        ("2026-03-09", "2026-03-09T04:00:00-04:00"),
        ("2026-03-28", "2026-03-28T04:00:00-04:00"),
        ("2026-03-29", "2026-03-29T03:00:00-04:00"), // EU changed at 02:00 that morning
        ("2026-03-30", "2026-03-30T03:00:00-04:00"),
        ("2026-10-24", "2026-10-24T03:00:00-04:00"),
        ("2026-10-25", "2026-10-25T04:00:00-04:00"), // EU back to winter time
        ("2026-10-31", "2026-10-31T04:00:00-04:00"),
        ("2026-11-01", "2026-11-01T03:00:00-05:00"), // US back too
        ("2026-11-02", "2026-11-02T03:00:00-05:00"),
    ];
    let mut firsts: BTreeMap<NaiveDate, String> = BTreeMap::new();
    for (from, to) in [("2026-03-02", "2026-03-15"), ("2026-03-23", "2026-04-05"), ("2026-10-19", "2026-11-08")] {
        let slots = env.slots_in("lesson", from, to, "America/New_York").await;
        let mut per_day: BTreeMap<NaiveDate, usize> = BTreeMap::new();
        for s in &slots {
            let text = s["start"].as_str().unwrap();
            let t = DateTime::parse_from_rfc3339(text).unwrap();
            // Rendered in the student's zone with the offset valid at that instant.
            assert_eq!(t.offset().local_minus_utc(), t.with_timezone(&ny).offset().fix().local_minus_utc(), "{text}");
            let local = t.with_timezone(&BERLIN);
            let date = local.date_naive();
            *per_day.entry(date).or_default() += 1;
            firsts.entry(date).or_insert_with(|| {
                assert_eq!(local.format("%H:%M").to_string(), "09:00", "first slot of {date} is {text}");
                text.to_string()
            });
        }
        for (date, n) in per_day {
            // Every day has 09:00..16:00, even the 23- and 25-hour ones
            // (edges of the queried range in New York time aside).
            if date.to_string().as_str() > from && date.to_string().as_str() < to {
                assert_eq!(n, 8, "slots on {date}");
            }
        }
    }
    for (date, first) in expected {
        let d = NaiveDate::parse_from_str(date, "%Y-%m-%d").unwrap();
        assert_eq!(firsts.get(&d).map(String::as_str), Some(first), "first slot on {date}");
    }
    // The week page shows New York wall-clock labels.
    env.server
        .request("GET", "/book/alice/lesson?week=2026-03-09&tz=America/New_York")
        .send()
        .await
        .status(200)
        .contains(">04:00</button>")
        .lacks(">03:00</button>");
}


// ---------------------------------------------------------------------------
// The HTML pages
// ---------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_coach_and_event_type_get_a_friendly_404_page() {
    let env = start(&event_type("lesson", "60m", "")).await;
    let r = env.server.request("GET", "/book/nobody").send().await.status(404).contains("Coach not found").contains("Check the link");
    assert!(r.header("content-type").unwrap().starts_with("text/html"));
    env.server.request("GET", "/book/alice/nothing").send().await.status(404).contains("does not offer");
    env.server.request("GET", "/api/v1/coaches/nobody/event-types").send().await.status(404).contains("unknown_coach");
}

/// Issue 9: a booking into a coach whose home is full (the per-user quota)
/// is a readable 507 on the page and in the API, not a generic 500, and
/// nothing is booked; once there is room, the same hold books.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_booking_into_a_full_coach_calendar_is_a_readable_507() {
    let env = start(&event_type("lesson", "60m", "")).await;
    let api_hold = json_of(&env.hold("lesson", may(5, 9)).await.status(201));
    let api_hold = api_hold["hold_id"].as_str().unwrap().to_string();
    let page = env.page("/book/alice/lesson?week=2026-05-04&tz=Europe/Berlin", None).await;
    let (cookie, csrf) = (page.cookie.expect("csrf cookie"), page.csrf.expect("csrf field"));
    let r = env.html_hold("lesson", may(5, 11), &cookie, &csrf).await.status(303);
    let hold_page = r.header("location").unwrap().split('?').next().unwrap().to_string();

    env.server.storage.set_quota(0);
    let r = env.confirm(&api_hold, "Ben Student", "ben@example.org").await.status(507);
    let body = json_of(&r);
    assert_eq!(body["error"], "quota_exceeded", "{body}");
    assert!(body["message"].as_str().unwrap().contains("no room"), "{body}");
    let r = env.form_post(&hold_page, Some(&cookie), &[("csrf", &csrf), ("name", "Cy Student"), ("email", "cy@example.org")]).await.status(507);
    let r = r.contains("calendar is full").contains("Nothing was booked");
    assert!(r.header("content-type").unwrap().starts_with("text/html"));
    assert!(env.session_objects().await.is_empty(), "nothing was written");

    env.server.storage.set_quota(u64::MAX);
    env.confirm(&api_hold, "Ben Student", "ben@example.org").await.status(201);
    env.form_post(&hold_page, Some(&cookie), &[("csrf", &csrf), ("name", "Cy Student"), ("email", "cy@example.org")]).await.status(303);
    assert_eq!(env.session_objects().await.len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_email_re_renders_the_form_with_a_message() {
    let env = start(&event_type("lesson", "60m", "")).await;
    let page = env.page("/book/alice/lesson?week=2026-05-04&tz=Europe/Berlin", None).await;
    let (cookie, csrf) = (page.cookie.expect("csrf cookie"), page.csrf.expect("csrf field"));
    assert!(cookie.starts_with("slotdav_csrf="), "{cookie}");
    let r = env.html_hold("lesson", may(5, 9), &cookie, &csrf).await.status(303);
    let hold_page = r.header("location").unwrap().to_string();
    assert!(hold_page.starts_with("/book/hold/"), "{hold_page}");
    env.page(&hold_page, Some(&cookie)).await.resp.status(200).contains("Tuesday 5 May 2026, 09:00 – 10:00");
    let r = env
        .form_post(hold_page.split('?').next().unwrap(), Some(&cookie), &[("csrf", &csrf), ("name", "Ben Student"), ("email", "ben at example"), ("note", "Hi")])
        .await
        .status(422);
    r.contains("is not an email address").contains("value=\"Ben Student\"").contains("value=\"ben at example\"").contains("<form");
    // Fixing it books.
    let r = env
        .form_post(hold_page.split('?').next().unwrap(), Some(&cookie), &[("csrf", &csrf), ("name", "Ben Student"), ("email", "ben@example.org")])
        .await
        .status(303);
    let manage = r.header("location").unwrap().to_string();
    assert!(manage.contains("/book/manage/") && manage.contains("done=booked"), "{manage}");
    env.page(&manage, Some(&cookie)).await.resp.status(200).contains("You are booked");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn posting_without_the_csrf_token_is_refused() {
    let env = start(&event_type("lesson", "60m", "")).await;
    let start = may(5, 9).to_rfc3339();
    // No cookie, no field.
    env.form_post("/book/alice/lesson/hold", None, &[("start", &start)]).await.status(403).contains("Please try again");
    // A field without the matching cookie (a cross-site form).
    env.form_post("/book/alice/lesson/hold", None, &[("csrf", "abcdefghijklmnopqrstuvwxyz123456"), ("start", &start)]).await.status(403);
    // A cookie without the field.
    let page = env.page("/book/alice/lesson?week=2026-05-04", None).await;
    let cookie = page.cookie.unwrap();
    env.form_post("/book/alice/lesson/hold", Some(&cookie), &[("start", &start)]).await.status(403);
    assert!(env.is_open("lesson", may(5, 9)).await, "nothing was held");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn names_are_escaped_on_every_page() {
    let coach = coach_toml("Alice <script>alert(1)</script>", WEEKDAYS_9_TO_5, &event_type("lesson", "60m", ""));
    let env = start_with(&coach, 100_000, t0()).await;
    let r = env.server.request("GET", "/book/alice").send().await.status(200);
    r.clone().lacks("<script>alert(1)").contains("alert(1)");
    env.server.request("GET", "/book/alice/lesson?week=2026-05-04&tz=Europe/Berlin").send().await.status(200).lacks("<script>alert(1)");
    let hold = json_of(&env.hold("lesson", may(5, 9)).await.status(201));
    let b = json_of(&env.confirm(hold["hold_id"].as_str().unwrap(), "<script>alert(2)</script>\"><b>", "ben@example.org").await.status(201));
    let token = b["manage_token"].as_str().unwrap();
    env.server
        .request("GET", &format!("/book/manage/{token}"))
        .send()
        .await
        .status(200)
        .lacks("<script>alert(2)")
        .lacks("<script>alert(1)")
        .lacks("\"><b>")
        .contains("alert(2)");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn too_many_holds_from_one_address_are_rate_limited() {
    let env = start_with(&coach_toml("Alice Coach", WEEKDAYS_9_TO_5, &event_type("lesson", "60m", "")), 3, t0()).await;
    let page = env.page("/book/alice/lesson?week=2026-05-04", None).await;
    let (cookie, csrf) = (page.cookie.unwrap(), page.csrf.unwrap());
    for h in [9, 10, 11] {
        env.html_hold("lesson", may(5, h), &cookie, &csrf).await.status(303);
    }
    env.html_hold("lesson", may(5, 12), &cookie, &csrf).await.status(429).contains("Slow down");
    env.hold("lesson", may(5, 13)).await.status(429).contains("rate_limited");
    assert!(env.is_open("lesson", may(5, 12)).await, "the refused hold took nothing");
}

// ---------------------------------------------------------------------------
// Provisioning
// ---------------------------------------------------------------------------

/// Regression: the coach's home was made at start-up without the default
/// `calendar` every other user gets on first sign-in.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_coach_sees_availability_sessions_and_a_default_calendar() {
    let env = start(&event_type("lesson", "60m", "")).await;
    let r = env
        .server
        .request("PROPFIND", "/dav/calendars/alice/")
        .as_user(ALICE)
        .depth("1")
        .xml(propfind_props(&["D:displayname"]))
        .send()
        .await
        .status(207);
    let hrefs = r.hrefs();
    assert!(hrefs.contains(&"/dav/calendars/alice/availability/".to_string()), "{hrefs:?}");
    assert!(hrefs.contains(&SESSIONS.to_string()), "{hrefs:?}");
    assert!(hrefs.contains(&"/dav/calendars/alice/calendar/".to_string()), "every new home gets a default calendar: {hrefs:?}");
}
