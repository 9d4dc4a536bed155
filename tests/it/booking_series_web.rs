//! Recurring sessions on the pages (issue 11 §2), over real HTTP and
//! without JavaScript: the hold page of a type with `repeat` offers
//! "every N weeks, K times"; the whole series is held at once; dates that
//! are not free are named with a box to leave each out; the manage page
//! lists every date with its status. Cancelling every remaining date
//! (pages and API) keeps those inside the cancel notice and says so, and
//! so does moving every remaining date (API: reschedule without
//! `occurrence`; pages: the series page's week of open times). A
//! coach's CalDAV override of a date the student cancelled leaves it
//! cancelled (the regression of the series' "known gap").
//!
//! The coach is `alice` in Europe/Berlin, Mon–Fri 09:00–17:00, bookings
//! calendar `sessions`; "now" is Monday 2026-05-04 08:00 Berlin.

use std::path::Path;
use std::sync::Arc;

use chrono::{DateTime, Duration, TimeZone, Utc};
use chrono_tz::Tz;
use serde_json::{json, Value};

use slotdav::clock::{Clock, ManualClock};
use slotdav::config::Config;

use crate::common::*;

const BERLIN: Tz = chrono_tz::Europe::Berlin;
const SESSIONS: &str = "/dav/calendars/alice/sessions/";

fn berlin(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    BERLIN.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap().with_timezone(&Utc)
}

/// Tuesday 10:00 Berlin, `week` weeks after 5 May 2026.
fn tuesday(week: i64) -> DateTime<Utc> {
    berlin(2026, 5, 5, 10, 0) + Duration::weeks(week)
}

/// How the pages write a date: "Tuesday 5 May 2026, 10:00 – 11:00".
fn shown(t: DateTime<Utc>) -> String {
    let s = t.with_timezone(&BERLIN);
    format!("{} – {}", s.format("%A %-d %B %Y, %H:%M"), (s + Duration::hours(1)).format("%H:%M"))
}

struct Env {
    server: TestServer,
    clock: Arc<ManualClock>,
    cookie: String,
    csrf: String,
}

async fn start() -> Env {
    let text = "[booking]\nrate_limit_per_minute = 100000\n[[coach]]\nuser = \"alice\"\ndisplay_name = \"Alice Coach\"\ntimezone = \"Europe/Berlin\"\n\
         working_hours = { mon = [\"09:00-17:00\"], tue = [\"09:00-17:00\"], wed = [\"09:00-17:00\"], thu = [\"09:00-17:00\"], fri = [\"09:00-17:00\"] }\n\
         [[coach.event_type]]\nslug = \"lesson\"\ntitle = \"Lesson\"\nduration = \"60m\"\nrepeat = [\"1w\", \"2w\"]\nrepeat_max = 12\ncancel_notice = \"24h\"\nreschedule_notice = \"24h\"\n\
         [[coach.event_type]]\nslug = \"intro\"\ntitle = \"Intro\"\nduration = \"60m\"\n";
    let parsed = Config::parse(text, Path::new("test.toml")).unwrap_or_else(|e| panic!("{e}\n{text}"));
    let clock = Arc::new(ManualClock::new(berlin(2026, 5, 4, 8, 0)));
    let server = TestServer::builder()
        .config(move |c| {
            c.coaches = parsed.coaches;
            c.rate_limit_per_minute = parsed.rate_limit_per_minute;
        })
        .start_with_clock(clock.clone())
        .await;
    // A browser: its CSRF cookie from the first page it sees.
    let page = server.request("GET", "/book/alice/lesson?week=2026-05-04&tz=Europe/Berlin").send().await.status(200);
    let cookie = page.header("set-cookie").and_then(|c| c.split(';').next()).expect("csrf cookie").to_string();
    let csrf = cookie.split_once('=').unwrap().1.to_string();
    Env { server, clock, cookie, csrf }
}

fn json_of(r: &Resp) -> Value {
    serde_json::from_slice(&r.bytes).unwrap_or_else(|e| panic!("not JSON ({e}): {}", r.describe()))
}

fn statuses(b: &Value) -> Vec<String> {
    b["occurrences"].as_array().expect("occurrences").iter().map(|o| o["status"].as_str().unwrap().to_string()).collect()
}

fn unfold(ics: &str) -> String {
    ics.replace("\r\n ", "").replace("\r\n\t", "")
}

impl Env {
    /// A form POST from the browser (its cookie and CSRF token added).
    async fn post_form(&self, path: &str, fields: &[(&str, &str)]) -> Resp {
        let mut body = form_urlencoded::Serializer::new(String::new());
        body.append_pair("csrf", &self.csrf);
        for (k, v) in fields {
            body.append_pair(k, v);
        }
        self.server
            .request("POST", path)
            .header("Content-Type", "application/x-www-form-urlencoded")
            .header("Cookie", &self.cookie)
            .body(body.finish())
            .send()
            .await
    }

    async fn get(&self, path: &str) -> Resp {
        self.server.request("GET", path).header("Cookie", &self.cookie).send().await
    }

    async fn post_json(&self, path: &str, body: Value) -> Resp {
        self.server.request("POST", path).header("Content-Type", "application/json").body(body.to_string()).send().await
    }

    /// Holds `start` on the slots page's form; the hold page's path.
    async fn hold_on_page(&self, type_slug: &str, start: DateTime<Utc>) -> String {
        let r = self.post_form(&format!("/book/alice/{type_slug}/hold"), &[("start", &start.to_rfc3339()), ("tz", "Europe/Berlin")]).await.status(303);
        r.header("location").unwrap().to_string()
    }

    /// The repeat form's action on a hold page.
    fn repeat_action(page: &Resp) -> String {
        let text = page.text();
        let action = text.split("action=\"").find(|a| a.contains("/repeat")).and_then(|a| a.split('"').next()).expect("a repeat form");
        action.replace("&amp;", "&")
    }

    /// Books a 4-week series on the pages; the manage page's path.
    async fn book_on_page(&self, first: DateTime<Utc>, count: &str) -> String {
        let hold = self.hold_on_page("lesson", first).await;
        let page = self.get(&hold).await.status(200);
        let r = self.post_form(&Self::repeat_action(&page), &[("every", "1w"), ("count", count), ("tz", "Europe/Berlin")]).await.status(303);
        let series_hold = r.header("location").unwrap().split('?').next().unwrap().to_string();
        let r = self.post_form(&series_hold, &[("name", "Ben Student"), ("email", "ben@example.org"), ("tz", "Europe/Berlin")]).await.status(303);
        r.header("location").unwrap().to_string()
    }

    /// Another student, Cy, books one lesson at `start` (through the API).
    async fn book_for_cy(&self, start: DateTime<Utc>) {
        let h = json_of(&self.post_json("/api/v1/coaches/alice/event-types/lesson/holds", json!({"start": start.to_rfc3339()})).await.status(201));
        self.post_json(&format!("/api/v1/holds/{}/confirm", h["hold_id"].as_str().unwrap()), json!({"name": "Cy", "email": "cy@example.org"})).await.status(201);
    }

    async fn api_booking(&self, manage: &str) -> Value {
        let token = manage.trim_start_matches("/book/manage/").split('?').next().unwrap();
        json_of(&self.server.request("GET", &format!("/api/v1/bookings/{token}")).send().await.status(200))
    }

    fn check_problems(&self) -> Vec<String> {
        let calendar = |user: &str| (user == "alice").then(|| "sessions".to_string());
        let report = slotdav::booking::service::check_bookings(&*self.server.storage, &calendar, false, self.clock.now()).unwrap();
        report.problems.iter().map(|p| format!("{p:?}")).collect()
    }

    async fn session_objects(&self) -> Vec<(String, String)> {
        let r = self.server.request("PROPFIND", SESSIONS).as_user(ALICE).depth("1").xml(propfind_props(&["D:getetag"])).send().await.status(207);
        let mut out = Vec::new();
        for href in r.hrefs().into_iter().filter(|h| h.ends_with(".ics")) {
            let body = self.server.http.get(ALICE, &href).await;
            out.push((href, unfold(&String::from_utf8_lossy(&body))));
        }
        out
    }
}

fn token_of(manage: &str) -> String {
    manage.trim_start_matches("/book/manage/").split('?').next().unwrap().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_student_books_a_weekly_series_on_the_pages_without_javascript() {
    let env = start().await;
    let hold = env.hold_on_page("lesson", tuesday(0)).await;
    let page = env.get(&hold).await.status(200);
    let text = page.text();
    assert!(text.contains("<label for=\"repeat-every\">How often</label>"), "{text}");
    for option in ["Just this date", "Every week", "Every 2 weeks"] {
        assert!(text.contains(option), "{option}: {text}");
    }
    assert!(text.contains("max=\"12\""), "repeat_max bounds the count: {text}");

    let r = env.post_form(&Env::repeat_action(&page), &[("every", "1w"), ("count", "4"), ("tz", "Europe/Berlin")]).await.status(303);
    let series_hold = r.header("location").unwrap().to_string();
    assert_ne!(series_hold.split('?').next(), hold.split('?').next(), "a new hold for the series");
    let page = env.get(&series_hold).await.status(200);
    let text = page.text();
    assert!(text.contains("These 4 dates are held for you"), "{text}");
    for week in 0..4 {
        assert!(text.contains(&shown(tuesday(week))), "week {week}: {text}");
    }
    // Every date is held: another browser cannot take week 3.
    let other = env.post_json("/api/v1/coaches/alice/event-types/lesson/holds", json!({"start": tuesday(3).to_rfc3339()})).await;
    assert_eq!(other.code(), 409, "{}", other.describe());

    let path = series_hold.split('?').next().unwrap().to_string();
    let r = env.post_form(&path, &[("name", "Ben Student"), ("email", "ben@example.org"), ("tz", "Europe/Berlin")]).await.status(303);
    let manage = r.header("location").unwrap().to_string();
    let page = env.get(&manage).await.status(200);
    let text = page.text();
    assert!(text.contains("You are booked."), "{text}");
    assert!(text.contains("Every date of the series"), "the confirmation lists the dates: {text}");
    assert_eq!(text.matches("Cancel this date").count(), 4, "{text}");
    assert_eq!(text.matches("Move this date").count(), 4, "{text}");
    assert!(!text.contains("Cancel this booking"), "a series is cancelled date by date or all remaining: {text}");
    for week in 0..4 {
        assert!(text.contains(&shown(tuesday(week))), "week {week}: {text}");
    }
    let b = env.api_booking(&manage).await;
    assert_eq!(statuses(&b), vec!["confirmed"; 4]);
    let ics = env.session_objects().await.remove(0).1;
    assert!(ics.contains("RRULE:FREQ=WEEKLY;INTERVAL=1;COUNT=4"), "{ics}");
    assert!(env.check_problems().is_empty(), "{:?}", env.check_problems());

    // Cancel one date from the manage page: it shows as cancelled there.
    let token = token_of(&manage);
    let r = env.post_form(&format!("/book/manage/{token}/series/cancel?tz=Europe/Berlin"), &[("occurrence", &tuesday(2).to_rfc3339())]).await.status(200);
    assert!(r.text().contains("That date is cancelled."), "{}", r.text());
    let text = env.get(&manage).await.status(200).text();
    assert_eq!(text.matches("Cancel this date").count(), 3, "{text}");
    assert_eq!(statuses(&env.api_booking(&manage).await), vec!["confirmed", "confirmed", "cancelled", "confirmed"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dates_that_are_not_free_are_named_and_can_be_left_out() {
    let env = start().await;
    // Another student has week 2.
    let h = json_of(&env.post_json("/api/v1/coaches/alice/event-types/lesson/holds", json!({"start": tuesday(2).to_rfc3339()})).await.status(201));
    env.post_json(&format!("/api/v1/holds/{}/confirm", h["hold_id"].as_str().unwrap()), json!({"name": "Cy", "email": "cy@example.org"})).await.status(201);

    let hold = env.hold_on_page("lesson", tuesday(0)).await;
    let page = env.get(&hold).await.status(200);
    let action = Env::repeat_action(&page);
    let r = env.post_form(&action, &[("every", "1w"), ("count", "4"), ("tz", "Europe/Berlin")]).await.status(409);
    let text = r.text();
    assert!(text.contains("One of these dates is not free"), "{text}");
    assert!(text.contains(&format!("Leave out {}", shown(tuesday(2)))), "the page names the date: {text}");
    assert!(text.contains("type=\"checkbox\" id=\"skip-0\" name=\"skip_0\""), "{text}");
    assert!(text.contains("selected>Every week</option>"), "what was asked is kept: {text}");
    // Nothing of the series is held: the first date is still the single hold.
    let r = env.post_form(&action, &[("every", "1w"), ("count", "4"), ("skip_0", &tuesday(2).to_rfc3339()), ("tz", "Europe/Berlin")]).await.status(303);
    let series_hold = r.header("location").unwrap().to_string();
    let text = env.get(&series_hold).await.status(200).text();
    assert!(text.contains("These 3 dates are held for you"), "{text}");
    let r = env.post_form(series_hold.split('?').next().unwrap(), &[("name", "Ben Student"), ("email", "ben@example.org")]).await.status(303);
    let b = env.api_booking(r.header("location").unwrap()).await;
    assert_eq!(statuses(&b), vec!["confirmed"; 3]);
    let ics = env.session_objects().await.into_iter().find(|(_, t)| t.contains("RRULE")).unwrap().1;
    assert!(ics.contains(&format!("EXDATE;TZID=Europe/Berlin:{}", tuesday(2).with_timezone(&BERLIN).format("%Y%m%dT%H%M%S"))), "{ics}");
    assert!(env.check_problems().is_empty(), "{:?}", env.check_problems());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_repeat_forms_are_clear_and_plain_types_offer_none() {
    let env = start().await;
    let hold = env.hold_on_page("lesson", tuesday(0)).await;
    let page = env.get(&hold).await.status(200);
    let action = Env::repeat_action(&page);
    let r = env.post_form(&action, &[("every", "1w"), ("count", "99")]).await.status(422);
    assert!(r.text().contains("between 2 and 12"), "{}", r.text());
    let r = env.post_form(&action, &[("every", "1w"), ("count", "four")]).await.status(422);
    assert!(r.text().contains("as a number"), "{}", r.text());
    env.post_form(&action, &[("every", "3w"), ("count", "4")]).await.status(422);
    env.post_form(&action, &[("every", "1w"), ("count", "4"), ("skip_0", "next week")]).await.status(422);
    // Without the browser's CSRF token nothing is held.
    let body = "every=1w&count=4";
    env.server.request("POST", &action).header("Content-Type", "application/x-www-form-urlencoded").body(body).send().await.status(403);
    // "Just this date" after a series goes back to one held date.
    let r = env.post_form(&action, &[("every", "2w"), ("count", "3")]).await.status(303);
    let series_page = env.get(r.header("location").unwrap()).await.status(200);
    assert!(series_page.text().contains("These 3 dates are held for you"));
    let r = env.post_form(&Env::repeat_action(&series_page), &[("every", "once")]).await.status(303);
    let single = env.get(r.header("location").unwrap()).await.status(200).text();
    assert!(!single.contains("dates are held for you"), "{single}");
    assert!(env.post_json("/api/v1/coaches/alice/event-types/lesson/holds", json!({"start": tuesday(2).to_rfc3339()})).await.code() == 201, "week 2 is free again");
    // A type without `repeat` has no repeat form.
    let intro = env.hold_on_page("intro", tuesday(0) + Duration::hours(2)).await;
    let text = env.get(&intro).await.status(200).text();
    assert!(!text.contains("repeat-every"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelling_every_remaining_date_keeps_those_inside_the_notice() {
    let env = start().await;
    let manage = env.book_on_page(tuesday(0), "4").await;
    let token = token_of(&manage);
    // Three hours later the first date is 23 hours away: inside the 24h notice.
    env.clock.set(env.clock.now() + Duration::hours(3));
    let r = json_of(&env.post_json(&format!("/api/v1/bookings/{token}/cancel"), json!({})).await.status(200));
    assert_eq!(statuses(&r), vec!["confirmed", "cancelled", "cancelled", "cancelled"]);
    let kept = r["kept"].as_array().expect("kept");
    assert_eq!(kept.len(), 1, "{r}");
    assert_eq!(DateTime::parse_from_rfc3339(kept[0]["start"].as_str().unwrap()).unwrap(), tuesday(0));
    assert!(kept[0]["deadline"].is_string(), "{r}");
    // Nothing left that may go: too late.
    let r = env.post_json(&format!("/api/v1/bookings/{token}/cancel"), json!({})).await.status(409);
    assert!(r.text().contains("too_late"), "{}", r.describe());
    assert!(env.check_problems().is_empty(), "{:?}", env.check_problems());

    // On the pages: another series, "cancel every remaining date".
    let manage = env.book_on_page(tuesday(0) + Duration::hours(2), "3").await;
    env.clock.set(env.clock.now() + Duration::hours(2));
    let token = token_of(&manage);
    let r = env.post_form(&format!("/book/manage/{token}/series/cancel?tz=Europe/Berlin"), &[("all", "1")]).await.status(200);
    let text = r.text();
    assert!(text.contains("2 dates are cancelled. Too close to cancel online, still booked:"), "{text}");
    assert!(text.contains(&shown(tuesday(0) + Duration::hours(2))), "{text}");
    assert_eq!(statuses(&env.api_booking(&manage).await), vec!["confirmed", "cancelled", "cancelled"]);
}

/// Regression: the student cancels week 2; the coach's app then writes an
/// override moving that date (from a copy that still had it). Before the
/// fix the override was stored CONFIRMED while the booking was cancelled
/// (`slotdav check` found the two disagreeing); now what is stored says
/// CANCELLED and the date stays free.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_coach_override_of_a_date_the_student_cancelled_stays_cancelled() {
    let env = start().await;
    let manage = env.book_on_page(tuesday(0), "4").await;
    let token = token_of(&manage);
    env.post_json(&format!("/api/v1/bookings/{token}/cancel"), json!({"occurrence": tuesday(2).to_rfc3339()})).await.status(200);
    let (href, ics) = env.session_objects().await.remove(0);
    let uid = ics.lines().find_map(|l| l.strip_prefix("UID:")).unwrap().to_string();
    let rid = tuesday(2).with_timezone(&BERLIN).format("%Y%m%dT%H%M%S");
    let moved = tuesday(2) + Duration::hours(3);
    let over = format!(
        "BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20260501T000000Z\r\nRECURRENCE-ID;TZID=Europe/Berlin:{rid}\r\nDTSTART:{}\r\nDTEND:{}\r\nSUMMARY:Lesson (moved)\r\nEND:VEVENT\r\n",
        moved.format("%Y%m%dT%H%M%SZ"),
        (moved + Duration::hours(1)).format("%Y%m%dT%H%M%SZ"),
    );
    // The coach's stale copy: without the EXDATE, with the override.
    let stale: String = ics.split("\r\n").filter(|l| !l.starts_with("EXDATE")).collect::<Vec<_>>().join("\r\n");
    let edited = stale.replacen("END:VCALENDAR", &format!("{over}END:VCALENDAR"), 1);
    let r = env.server.request("PUT", &href).as_user(ALICE).header("Content-Type", "text/calendar; charset=utf-8").body(edited).send().await.status(204);
    assert!(r.header("etag").is_none(), "what is stored is not what was sent (RFC 4791 §5.3.4)");
    let stored = env.session_objects().await.remove(0).1;
    let override_text = stored.split("BEGIN:VEVENT").find(|c| c.contains("RECURRENCE-ID")).expect("the coach's override is kept");
    assert!(override_text.contains("STATUS:CANCELLED"), "{stored}");
    assert!(override_text.contains("SUMMARY:Lesson (moved)"), "the coach's other edits stay: {stored}");
    assert_eq!(statuses(&env.api_booking(&manage).await), vec!["confirmed", "confirmed", "cancelled", "confirmed"]);
    assert!(env.check_problems().is_empty(), "{:?}", env.check_problems());
    // The moved time was not taken by the cancelled date.
    let day = moved.with_timezone(&BERLIN).format("%Y-%m-%d").to_string();
    let slots = json_of(&env.server.request("GET", &format!("/api/v1/coaches/alice/event-types/lesson/slots?from={day}&to={day}&tz=Europe/Berlin")).send().await.status(200));
    let want = moved.with_timezone(&BERLIN).to_rfc3339();
    assert!(slots["slots"].as_array().unwrap().iter().any(|s| s["start"] == want.as_str()), "{slots}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn moving_every_remaining_date_shifts_the_weekly_time_and_keeps_those_inside_the_notice() {
    let env = start().await;
    let manage = env.book_on_page(tuesday(0), "4").await;
    let token = token_of(&manage);
    // Another student has Tuesday 14:00 of week 2.
    env.book_for_cy(tuesday(2) + Duration::hours(4)).await;
    // Three hours later week 0 is inside the 24h notice.
    env.clock.set(env.clock.now() + Duration::hours(3));
    let to = |t: DateTime<Utc>| json!({"start": t.to_rfc3339()});
    let r = env.post_json(&format!("/api/v1/bookings/{token}/reschedule"), to(tuesday(1) + Duration::hours(4))).await.status(409);
    let conflicts = json_of(&r)["conflicts"].clone();
    assert_eq!(conflicts.as_array().map(Vec::len), Some(1), "{}", r.describe());
    assert_eq!(DateTime::parse_from_rfc3339(conflicts[0].as_str().unwrap()).unwrap(), tuesday(2) + Duration::hours(4));
    let b = env.api_booking(&manage).await;
    let starts = |b: &Value| b["occurrences"].as_array().unwrap().iter().map(|o| DateTime::parse_from_rfc3339(o["start"].as_str().unwrap()).unwrap().to_utc()).collect::<Vec<_>>();
    assert_eq!(starts(&b), (0..4).map(tuesday).collect::<Vec<_>>(), "nothing moved");

    // To 12:00 (and a week later than week 1 was: a shift of one week and two hours).
    let r = json_of(&env.post_json(&format!("/api/v1/bookings/{token}/reschedule"), to(tuesday(2) + Duration::hours(2))).await.status(200));
    let want: Vec<DateTime<Utc>> = std::iter::once(tuesday(0)).chain((2..5).map(|w| tuesday(w) + Duration::hours(2))).collect();
    assert_eq!(starts(&r), want);
    assert_eq!(statuses(&r), vec!["confirmed"; 4]);
    let kept = r["kept"].as_array().expect("kept");
    assert_eq!(kept.len(), 1, "{r}");
    assert_eq!(DateTime::parse_from_rfc3339(kept[0]["start"].as_str().unwrap()).unwrap(), tuesday(0));
    let ics = env.session_objects().await.into_iter().find(|(_, t)| t.contains("RRULE")).unwrap().1;
    assert_eq!(ics.matches("RECURRENCE-ID").count(), 3, "{ics}");
    assert!(env.check_problems().is_empty(), "{:?}", env.check_problems());
    // The old times are free again; the new ones are taken.
    let open = |t: DateTime<Utc>| env.post_json("/api/v1/coaches/alice/event-types/lesson/holds", json!({"start": t.to_rfc3339()}));
    assert_eq!(open(tuesday(3)).await.code(), 201);
    assert_eq!(open(tuesday(3) + Duration::hours(2)).await.code(), 409);
    // The page lists the moved dates.
    let text = env.get(&manage).await.status(200).text();
    assert!(text.contains(&format!("{} – ", (tuesday(4) + Duration::hours(2)).with_timezone(&BERLIN).format("%A %-d %B %Y, %H:%M"))), "{text}");
}

/// The radio values (RFC 3339) of the "move every remaining date" form.
fn move_choices(text: &str) -> Vec<DateTime<Utc>> {
    text.split("name=\"start\" value=\"")
        .skip(1)
        .filter_map(|v| v.split('"').next())
        .filter_map(|v| DateTime::parse_from_rfc3339(v).ok())
        .map(|t| t.to_utc())
        .collect()
}

/// Issue 11 §2 on the pages: the series page moves every remaining date
/// at once, without JavaScript. It offers the open times of the next
/// movable date's week (and links to other weeks); a new date that is
/// not free moves nothing and is named; those inside the notice stay and
/// are named; the page is in the student's language.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_series_page_moves_every_remaining_date_without_javascript() {
    let env = start().await;
    let manage = env.book_on_page(tuesday(0), "4").await;
    let token = token_of(&manage);
    env.book_for_cy(tuesday(2) + Duration::hours(4)).await;
    // Three hours later week 0 is inside the 24h notice: week 1 moves first.
    env.clock.set(env.clock.now() + Duration::hours(3));
    let series = format!("/book/manage/{token}/series?tz=Europe/Berlin");
    let text = env.get(&series).await.status(200).text();
    assert!(text.contains("<h2 id=\"move-all-heading\">Move every remaining date</h2>"), "{text}");
    assert!(text.contains(&format!("Pick the new time of the next date ({})", shown(tuesday(1)))), "{text}");
    let week1 = move_choices(&text);
    assert!(week1.contains(&(tuesday(1) + Duration::hours(4))) && !week1.contains(&tuesday(1)), "week 1's open times, its own date taken: {week1:?}");
    assert!(week1.iter().all(|t| (*t - tuesday(1)).num_days().abs() < 7), "{week1:?}");
    let action = format!("/book/manage/{token}/series/move?tz=Europe/Berlin");

    // 14:00 is taken in week 2 by Cy: nothing moves, and the page says which.
    let r = env.post_form(&action, &[("start", &(tuesday(1) + Duration::hours(4)).to_rfc3339())]).await.status(409);
    assert!(r.text().contains(&format!("Nothing was moved: these new dates are not free: {}", shown(tuesday(2) + Duration::hours(4)))), "{}", r.text());
    let starts = |b: &Value| b["occurrences"].as_array().unwrap().iter().map(|o| DateTime::parse_from_rfc3339(o["start"].as_str().unwrap()).unwrap().to_utc()).collect::<Vec<_>>();
    assert_eq!(starts(&env.api_booking(&manage).await), (0..4).map(tuesday).collect::<Vec<_>>(), "nothing moved");

    // The next week's times, by the page's link; then 12:00 of week 2.
    let later = text
        .split("href=\"")
        .find(|h| h.contains("move_week=") && h.contains("\">Later week</a>"))
        .and_then(|h| h.split('"').next())
        .expect("a later-week link")
        .replace("&amp;", "&")
        .replace("&#38;", "&");
    let week2 = move_choices(&env.get(&later).await.status(200).text());
    let target = tuesday(2) + Duration::hours(2);
    assert!(week2.contains(&target), "{week2:?}");
    let r = env.post_form(&action, &[("start", &target.to_rfc3339())]).await.status(200);
    assert!(r.text().contains(&format!("3 dates are moved. Too close to move online, still at their time: {}.", shown(tuesday(0)))), "{}", r.text());
    let want: Vec<DateTime<Utc>> = std::iter::once(tuesday(0)).chain((2..5).map(|w| tuesday(w) + Duration::hours(2))).collect();
    assert_eq!(starts(&env.api_booking(&manage).await), want);
    assert!(env.check_problems().is_empty(), "{:?}", env.check_problems());

    // A start that is not a time is a readable 422; in German the form speaks German.
    let r = env.post_form(&action, &[("start", "next tuesday")]).await.status(422);
    assert!(r.text().contains("Pick one of the open times listed."), "{}", r.text());
    let de = env.get(&format!("{series}&lang=de")).await.status(200).text();
    assert!(de.contains("Alle verbleibenden Termine verschieben") && de.contains("Woche danach"), "{de}");
    assert!(!de.contains("Move every") && !de.contains("Every date of the series"), "{de}");
}
