//! Recurring sessions (issue 11 §2) over real HTTP and CalDAV: a student
//! books a weekly series through the JSON API, the coach sees one
//! recurring VEVENT in their bookings calendar, the student cancels one
//! occurrence (an EXDATE appears over CalDAV), the coach moves or cancels
//! occurrences in their app and the bookings follow.
//!
//! The coach is `alice` in Europe/Berlin, Mon–Fri 09:00–17:00, bookings
//! calendar `sessions`. "Now" is Monday 2026-05-04 08:00 Berlin unless a
//! test says otherwise.

use std::path::Path;
use std::sync::Arc;

use chrono::{DateTime, Duration, TimeZone, Utc};
use chrono_tz::Tz;
use serde_json::{json, Value};

use slotdav::clock::{Clock, ManualClock};
use slotdav::config::Config;
use slotdav::mail::MessageKind;

use crate::common::*;

const BERLIN: Tz = chrono_tz::Europe::Berlin;
const SESSIONS: &str = "/dav/calendars/alice/sessions/";

fn berlin(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    BERLIN.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap().with_timezone(&Utc)
}

struct Env {
    server: TestServer,
    clock: Arc<ManualClock>,
}

async fn start_at(now: DateTime<Utc>, extra: &str) -> Env {
    let text = format!(
        "[booking]\nrate_limit_per_minute = 100000\n[[coach]]\nuser = \"alice\"\ndisplay_name = \"Alice Coach\"\ntimezone = \"Europe/Berlin\"\n\
         working_hours = {{ mon = [\"09:00-17:00\"], tue = [\"09:00-17:00\"], wed = [\"09:00-17:00\"], thu = [\"09:00-17:00\"], fri = [\"09:00-17:00\"] }}\n\
         [[coach.event_type]]\nslug = \"lesson\"\ntitle = \"Lesson\"\nduration = \"60m\"\nrepeat = [\"1w\", \"2w\"]\nrepeat_max = 12\n{extra}\n"
    );
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

async fn start() -> Env {
    start_at(berlin(2026, 5, 4, 8, 0), "").await
}

fn json_of(r: &Resp) -> Value {
    serde_json::from_slice(&r.bytes).unwrap_or_else(|e| panic!("not JSON ({e}): {}", r.describe()))
}

fn unfold(ics: &str) -> String {
    ics.replace("\r\n ", "").replace("\r\n\t", "")
}

impl Env {
    async fn post_json(&self, path: &str, body: Value) -> Resp {
        self.server.request("POST", path).header("Content-Type", "application/json").body(body.to_string()).send().await
    }

    async fn hold_series(&self, start: DateTime<Utc>, every: &str, count: u32, skip: &[DateTime<Utc>]) -> Resp {
        let skip: Vec<String> = skip.iter().map(|t| t.to_rfc3339()).collect();
        let body = json!({"start": start.to_rfc3339(), "repeat": {"every": every, "count": count, "skip": skip}});
        self.post_json("/api/v1/coaches/alice/event-types/lesson/holds", body).await
    }

    async fn confirm(&self, hold_id: &str) -> Resp {
        self.post_json(&format!("/api/v1/holds/{hold_id}/confirm"), json!({"name": "Ben Student", "email": "ben@example.org"})).await
    }

    /// Holds and books a series; the booking answer.
    async fn book_series(&self, start: DateTime<Utc>, every: &str, count: u32) -> Value {
        let hold = json_of(&self.hold_series(start, every, count, &[]).await.status(201));
        json_of(&self.confirm(hold["hold_id"].as_str().unwrap()).await.status(201))
    }

    async fn booking(&self, token: &str) -> Value {
        json_of(&self.server.request("GET", &format!("/api/v1/bookings/{token}")).send().await.status(200))
    }

    async fn is_open(&self, start: DateTime<Utc>) -> bool {
        let day = start.with_timezone(&BERLIN).format("%Y-%m-%d").to_string();
        let path = format!("/api/v1/coaches/alice/event-types/lesson/slots?from={day}&to={day}&tz=Europe/Berlin");
        let r = json_of(&self.server.request("GET", &path).send().await.status(200));
        let want = start.with_timezone(&BERLIN).to_rfc3339();
        r["slots"].as_array().unwrap().iter().any(|s| s["start"] == want.as_str())
    }

    /// Every object in the sessions calendar: (href, unfolded text).
    async fn session_objects(&self) -> Vec<(String, String)> {
        let r = self.server.request("PROPFIND", SESSIONS).as_user(ALICE).depth("1").xml(propfind_props(&["D:getetag"])).send().await.status(207);
        let mut out = Vec::new();
        for href in r.hrefs().into_iter().filter(|h| h.ends_with(".ics")) {
            let body = self.server.http.get(ALICE, &href).await;
            out.push((href, unfold(&String::from_utf8_lossy(&body))));
        }
        out
    }

    async fn put_ics(&self, path: &str, ics: &str) -> Resp {
        self.server.request("PUT", path).as_user(ALICE).header("Content-Type", "text/calendar; charset=utf-8").body(ics).send().await
    }

    /// What `slotdav check` says of the bookings.
    fn check_problems(&self) -> Vec<String> {
        let calendar = |user: &str| (user == "alice").then(|| "sessions".to_string());
        let report = slotdav::booking::service::check_bookings(&*self.server.storage, &calendar, false, self.clock.now()).unwrap();
        report.problems.iter().map(|p| format!("{p:?}")).collect()
    }
}

fn statuses(b: &Value) -> Vec<String> {
    b["occurrences"].as_array().expect("occurrences").iter().map(|o| o["status"].as_str().unwrap().to_string()).collect()
}

fn starts(b: &Value) -> Vec<String> {
    b["occurrences"].as_array().expect("occurrences").iter().map(|o| o["start"].as_str().unwrap().to_string()).collect()
}

fn local_stamp(t: DateTime<Utc>) -> String {
    t.with_timezone(&BERLIN).format("%Y%m%dT%H%M%S").to_string()
}

/// Tuesday 10:00 Berlin, `week` weeks after 5 May 2026.
fn tuesday(week: i64) -> DateTime<Utc> {
    berlin(2026, 5, 5, 10, 0) + Duration::weeks(week)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_eight_week_series_is_one_recurring_event_and_each_date_is_taken() {
    let env = start().await;
    let hold = json_of(&env.hold_series(tuesday(0), "1w", 8, &[]).await.status(201));
    let held: Vec<&str> = hold["occurrences"].as_array().unwrap().iter().map(|o| o["start"].as_str().unwrap()).collect();
    assert_eq!(held.len(), 8);
    assert_eq!(held[7], "2026-06-23T10:00:00+02:00");
    // While held, every date is gone for others; the 8th lies past no rule.
    assert!(!env.is_open(tuesday(3)).await);
    let b = json_of(&env.confirm(hold["hold_id"].as_str().unwrap()).await.status(201));
    assert_eq!(statuses(&b), vec!["confirmed"; 8]);
    assert_eq!(starts(&b)[0], "2026-05-05T10:00:00+02:00");
    for w in 0..8 {
        assert!(!env.is_open(tuesday(w)).await, "week {w} still open");
    }
    assert!(env.is_open(tuesday(8)).await);

    let objects = env.session_objects().await;
    assert_eq!(objects.len(), 1, "one recurring VEVENT: {objects:?}");
    let ics = &objects[0].1;
    assert!(ics.contains("RRULE:FREQ=WEEKLY;INTERVAL=1;COUNT=8"), "{ics}");
    assert!(ics.contains("DTSTART;TZID=Europe/Berlin:20260505T100000"), "{ics}");
    assert_eq!(ics.matches("BEGIN:VEVENT").count(), 1);
    // The booking answer of any later read is the same series.
    let again = env.booking(b["manage_token"].as_str().unwrap()).await;
    assert_eq!(starts(&again), starts(&b));
    assert!(env.check_problems().is_empty(), "{:?}", env.check_problems());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_series_with_a_taken_date_is_refused_naming_it_and_can_skip_it() {
    let env = start().await;
    // Someone else has week 2.
    let single = json_of(&env.post_json("/api/v1/coaches/alice/event-types/lesson/holds", json!({"start": tuesday(2).to_rfc3339()})).await.status(201));
    env.confirm(single["hold_id"].as_str().unwrap()).await.status(201);

    let r = env.hold_series(tuesday(0), "1w", 4, &[]).await.status(409);
    let v = json_of(&r);
    assert_eq!(v["error"], "slot_unavailable");
    let conflicts: Vec<DateTime<Utc>> =
        v["conflicts"].as_array().unwrap().iter().map(|c| DateTime::parse_from_rfc3339(c.as_str().unwrap()).unwrap().with_timezone(&Utc)).collect();
    assert_eq!(conflicts, vec![tuesday(2)]);
    // Nothing was held: week 1 is still open.
    assert!(env.is_open(tuesday(1)).await);

    let hold = json_of(&env.hold_series(tuesday(0), "1w", 4, &conflicts).await.status(201));
    assert_eq!(hold["occurrences"].as_array().unwrap().len(), 3);
    let b = json_of(&env.confirm(hold["hold_id"].as_str().unwrap()).await.status(201));
    assert_eq!(statuses(&b).len(), 3);
    let series = env.session_objects().await.into_iter().find(|(_, ics)| ics.contains("RRULE")).unwrap().1;
    assert!(series.contains("COUNT=4"), "{series}");
    assert!(series.contains(&format!("EXDATE;TZID=Europe/Berlin:{}", local_stamp(tuesday(2)))), "{series}");
    assert!(env.check_problems().is_empty(), "{:?}", env.check_problems());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_series_requests_are_clear_errors() {
    let env = start().await;
    let e = |r: Resp| json_of(&r);
    let v = e(env.hold_series(tuesday(0), "3w", 4, &[]).await.status(422));
    assert!(v["message"].as_str().unwrap().contains("every"), "{v}");
    e(env.hold_series(tuesday(0), "1w", 13, &[]).await.status(422));
    e(env.hold_series(tuesday(0), "1w", 1, &[]).await.status(422));
    e(env.hold_series(tuesday(0), "5w", 4, &[]).await.status(422));
    e(env.hold_series(tuesday(0), "1w", 4, &[tuesday(0) + Duration::days(1)]).await.status(422));
    e(env.hold_series(tuesday(0), "1w", 4, &[tuesday(0)]).await.status(422));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_student_cancels_one_occurrence_and_the_coach_sees_an_exdate() {
    let env = start().await;
    let b = env.book_series(tuesday(0), "1w", 8).await;
    let token = b["manage_token"].as_str().unwrap();
    let third = starts(&b)[2].clone();
    let r = json_of(&env.post_json(&format!("/api/v1/bookings/{token}/cancel"), json!({"occurrence": third})).await.status(200));
    let mut want = vec!["confirmed"; 8];
    want[2] = "cancelled";
    assert_eq!(statuses(&r), want);
    assert!(env.is_open(tuesday(2)).await);
    assert!(!env.is_open(tuesday(3)).await);
    let ics = env.session_objects().await.remove(0).1;
    assert!(ics.contains(&format!("EXDATE;TZID=Europe/Berlin:{}", local_stamp(tuesday(2)))), "{ics}");
    assert!(ics.contains("STATUS:CONFIRMED"), "{ics}");
    // Twice is refused; a date that is not in the series is a clear error.
    env.post_json(&format!("/api/v1/bookings/{token}/cancel"), json!({"occurrence": third})).await.status(409);
    env.post_json(&format!("/api/v1/bookings/{token}/cancel"), json!({"occurrence": tuesday(20).to_rfc3339()})).await.status(422);
    assert!(env.check_problems().is_empty(), "{:?}", env.check_problems());

    // Without an occurrence, every remaining one goes.
    let r = json_of(&env.post_json(&format!("/api/v1/bookings/{token}/cancel"), json!({})).await.status(200));
    assert_eq!(statuses(&r), vec!["cancelled"; 8]);
    let ics = env.session_objects().await.remove(0).1;
    assert!(ics.contains("STATUS:CANCELLED"), "{ics}");
    assert!(env.is_open(tuesday(5)).await);
    assert!(env.check_problems().is_empty(), "{:?}", env.check_problems());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_student_moves_one_occurrence_as_an_override() {
    let env = start().await;
    let b = env.book_series(tuesday(0), "1w", 4).await;
    let token = b["manage_token"].as_str().unwrap();
    let second = starts(&b)[1].clone();
    let new = tuesday(1) + Duration::hours(3);
    let r = json_of(&env.post_json(&format!("/api/v1/bookings/{token}/reschedule"), json!({"occurrence": second, "start": new.to_rfc3339()})).await.status(200));
    assert_eq!(DateTime::parse_from_rfc3339(r["start"].as_str().unwrap()).unwrap(), new);
    let all = env.booking(token).await;
    assert_eq!(starts(&all)[1], new.with_timezone(&BERLIN).to_rfc3339());
    assert!(env.is_open(tuesday(1)).await);
    let ics = env.session_objects().await.remove(0).1;
    assert!(ics.contains(&format!("RECURRENCE-ID;TZID=Europe/Berlin:{}", local_stamp(tuesday(1)))), "{ics}");
    assert!(ics.contains(&format!("DTSTART:{}", new.format("%Y%m%dT%H%M%SZ"))), "{ics}");
    assert!(env.check_problems().is_empty(), "{:?}", env.check_problems());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_coach_moves_and_cancels_occurrences_in_caldav_and_the_bookings_follow() {
    let env = start().await;
    let b = env.book_series(tuesday(0), "1w", 8).await;
    let token = b["manage_token"].as_str().unwrap();
    let (href, ics) = env.session_objects().await.remove(0);
    // Move week 3 to 14:00 with an override, cancel week 4 with an
    // override, drop week 5 with an EXDATE.
    let moved = tuesday(3) + Duration::hours(4);
    let override_moved = format!(
        "BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20260501T000000Z\r\nRECURRENCE-ID;TZID=Europe/Berlin:{rid}\r\nDTSTART:{start}\r\nDTEND:{end}\r\nSUMMARY:Lesson\r\nSEQUENCE:1\r\nEND:VEVENT\r\n",
        uid = ics.lines().find_map(|l| l.strip_prefix("UID:")).unwrap(),
        rid = local_stamp(tuesday(3)),
        start = moved.format("%Y%m%dT%H%M%SZ"),
        end = (moved + Duration::hours(1)).format("%Y%m%dT%H%M%SZ"),
    );
    let override_cancelled = format!(
        "BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20260501T000000Z\r\nRECURRENCE-ID;TZID=Europe/Berlin:{rid}\r\nDTSTART;TZID=Europe/Berlin:{rid}\r\nDTEND;TZID=Europe/Berlin:{end}\r\nSTATUS:CANCELLED\r\nSUMMARY:Lesson\r\nEND:VEVENT\r\n",
        uid = ics.lines().find_map(|l| l.strip_prefix("UID:")).unwrap(),
        rid = local_stamp(tuesday(4)),
        end = local_stamp(tuesday(4) + Duration::hours(1)),
    );
    let exdate = format!("EXDATE;TZID=Europe/Berlin:{}\r\n", local_stamp(tuesday(5)));
    let edited = ics
        .replacen("RRULE:", &format!("{exdate}RRULE:"), 1)
        .replacen("END:VCALENDAR", &format!("{override_moved}{override_cancelled}END:VCALENDAR"), 1);
    env.put_ics(&href, &edited).await.status_in(&[201, 204]);

    let after = env.booking(token).await;
    let st = statuses(&after);
    assert_eq!(st, vec!["confirmed", "confirmed", "confirmed", "confirmed", "cancelled", "cancelled", "confirmed", "confirmed"]);
    assert_eq!(starts(&after)[3], moved.with_timezone(&BERLIN).to_rfc3339());
    assert!(env.is_open(tuesday(3)).await, "the old time of the moved occurrence frees");
    assert!(env.is_open(tuesday(4)).await && env.is_open(tuesday(5)).await);
    assert!(!env.is_open(tuesday(6)).await);
    assert!(env.check_problems().is_empty(), "{:?}", env.check_problems());

    // Deleting the series cancels every occurrence.
    env.server.request("DELETE", &href).as_user(ALICE).send().await.status(204);
    assert_eq!(statuses(&env.booking(token).await), vec!["cancelled"; 8]);
    assert!(env.is_open(tuesday(7)).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_series_across_the_autumn_change_keeps_its_berlin_time() {
    // Now: Monday 12 Oct 2026; Berlin leaves summer time on 25 Oct.
    let env = start_at(berlin(2026, 10, 12, 8, 0), "").await;
    let b = env.book_series(berlin(2026, 10, 14, 10, 0), "1w", 3).await;
    assert_eq!(starts(&b), vec!["2026-10-14T10:00:00+02:00", "2026-10-21T10:00:00+02:00", "2026-10-28T10:00:00+01:00"]);
    assert!(env.check_problems().is_empty(), "{:?}", env.check_problems());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_series_sends_one_invitation_with_its_rule_and_reminders_before_each_date() {
    let env = start().await;
    env.book_series(tuesday(0), "2w", 3).await;
    let pending = env.server.app.outbox.status().unwrap().pending;
    let student: Vec<_> = pending.iter().filter(|e| e.kind == MessageKind::Student).collect();
    assert_eq!(student.len(), 1, "one invitation: {:?}", student.iter().map(|e| &e.subject).collect::<Vec<_>>());
    // Quoted-printable: soft line breaks out, `=3D` back to `=`.
    let text = unfold(&String::from_utf8_lossy(&student[0].bytes).replace("=\r\n", "").replace("=\n", "").replace("=3D", "="));
    assert!(text.contains("RRULE:FREQ=WEEKLY;INTERVAL=2;COUNT=3"), "{text}");
    let reminders = pending.iter().filter(|e| matches!(e.kind, MessageKind::Reminder { .. })).count();
    assert_eq!(reminders, 3 * 2, "24h and 1h before each of 3 dates");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_manage_pages_list_the_dates_and_cancel_one_without_javascript() {
    let env = start().await;
    let b = env.book_series(tuesday(0), "1w", 4).await;
    let token = b["manage_token"].as_str().unwrap();
    let manage = env.server.request("GET", &format!("/book/manage/{token}")).send().await.status(200);
    let link = format!("/book/manage/{token}/series");
    assert!(manage.text().contains(&link), "{}", manage.text());

    let page = env.server.request("GET", &link).send().await.status(200);
    let text = page.text();
    assert_eq!(text.matches("Cancel this date").count(), 4, "{text}");
    let cookie = page.header("set-cookie").and_then(|c| c.split(';').next()).unwrap().to_string();
    let csrf = text.split("name=\"csrf\" value=\"").nth(1).and_then(|s| s.split('"').next()).unwrap().to_string();
    let second = tuesday(1).to_rfc3339();
    let body = form_urlencoded::Serializer::new(String::new()).append_pair("csrf", &csrf).append_pair("occurrence", &second).finish();
    let done = env
        .server
        .request("POST", &format!("{link}/cancel"))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .header("Cookie", &cookie)
        .body(body)
        .send()
        .await
        .status(200);
    assert!(done.text().contains("That date is cancelled."), "{}", done.text());
    assert_eq!(done.text().matches("Cancel this date").count(), 3);
    assert_eq!(statuses(&env.booking(token).await), vec!["confirmed", "cancelled", "confirmed", "confirmed"]);
    // Without the CSRF token nothing happens.
    let body = form_urlencoded::Serializer::new(String::new()).append_pair("all", "1").finish();
    env.server.request("POST", &format!("{link}/cancel")).header("Content-Type", "application/x-www-form-urlencoded").body(body).send().await.status(403);
    // A single booking has no series page.
    let single = json_of(&env.post_json("/api/v1/coaches/alice/event-types/lesson/holds", json!({"start": tuesday(6).to_rfc3339()})).await.status(201));
    let one = json_of(&env.confirm(single["hold_id"].as_str().unwrap()).await.status(201));
    assert!(one.get("occurrences").is_none());
    env.server.request("GET", &format!("/book/manage/{}/series", one["manage_token"].as_str().unwrap())).send().await.status(404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_coach_moves_the_whole_series_and_every_date_follows() {
    let env = start().await;
    let b = env.book_series(tuesday(0), "1w", 3).await;
    let token = b["manage_token"].as_str().unwrap();
    let (href, ics) = env.session_objects().await.remove(0);
    let edited = ics
        .replace("DTSTART;TZID=Europe/Berlin:20260505T100000", "DTSTART;TZID=Europe/Berlin:20260505T120000")
        .replace("DTEND;TZID=Europe/Berlin:20260505T110000", "DTEND;TZID=Europe/Berlin:20260505T130000");
    assert_ne!(edited, ics);
    env.put_ics(&href, &edited).await.status_in(&[201, 204]);
    let after = env.booking(token).await;
    assert_eq!(starts(&after), vec!["2026-05-05T12:00:00+02:00", "2026-05-12T12:00:00+02:00", "2026-05-19T12:00:00+02:00"]);
    assert_eq!(statuses(&after), vec!["confirmed"; 3]);
    assert!(env.is_open(tuesday(1)).await && !env.is_open(tuesday(1) + Duration::hours(2)).await);
    assert!(env.check_problems().is_empty(), "{:?}", env.check_problems());
    // The student's later change keeps the moved time.
    env.post_json(&format!("/api/v1/bookings/{token}/cancel"), json!({"occurrence": "2026-05-12T12:00:00+02:00"})).await.status(200);
    let ics = env.session_objects().await.remove(0).1;
    assert!(ics.contains("DTSTART;TZID=Europe/Berlin:20260505T120000") && ics.contains("EXDATE;TZID=Europe/Berlin:20260512T120000"), "{ics}");
    assert!(env.check_problems().is_empty(), "{:?}", env.check_problems());
}
