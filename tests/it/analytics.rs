//! Analytics over real HTTP (issue 13 §2): bookings made through the JSON
//! API and the coach's calendar app, then `/coach/analytics` and its CSV
//! downloads as the coach, `/admin/analytics` as an admin; who may see
//! what, and bad periods.
//!
//! Alice coaches in Europe/Berlin, Mon–Fri 09:00–17:00; bob is another
//! coach; carol is the admin. "Now" starts Monday 2026-05-04 08:00 Berlin.

use std::path::Path;
use std::sync::Arc;

use chrono::{DateTime, Duration, TimeZone, Utc};
use serde_json::{json, Value};

use slotdav::booking::fact::BookingFact;
use slotdav::booking::{Attendance, Booking};
use slotdav::clock::{Clock, ManualClock};
use slotdav::config::Config;
use slotdav::storage::{RecordBatch, RecordKey};

use crate::common::*;

const CAROL: &str = "carol";
const CAROL_PW: &str = "carol-secret-pw";

const COACHES: &str = r#"
[[coach]]
user = "alice"
display_name = "Alice Coach"
timezone = "Europe/Berlin"
working_hours = { mon = ["09:00-17:00"], tue = ["09:00-17:00"], wed = ["09:00-17:00"], thu = ["09:00-17:00"], fri = ["09:00-17:00"] }

[[coach.event_type]]
slug = "intro"
title = "Intro call"
duration = "30m"
price = "free"

[[coach.event_type]]
slug = "lesson"
title = "Lesson"
duration = "60m"
price = "€40"
cancel_notice = "24h"

[[coach]]
user = "bob"
timezone = "UTC"
working_hours = { mon = ["09:00-10:00"] }

[[coach.event_type]]
slug = "talk"
title = "Talk"
duration = "60m"
"#;

fn berlin(d: u32, h: u32) -> DateTime<Utc> {
    chrono_tz::Europe::Berlin.with_ymd_and_hms(2026, 5, d, h, 0, 0).unwrap().with_timezone(&Utc)
}

struct Env {
    server: TestServer,
    clock: Arc<ManualClock>,
}

async fn start() -> Env {
    let parsed = Config::parse(&format!("admins = [\"carol\"]\n{COACHES}"), Path::new("test.toml")).unwrap_or_else(|e| panic!("{e}"));
    let clock = Arc::new(ManualClock::new(berlin(4, 8)));
    let server = TestServer::builder()
        .user(CAROL, CAROL_PW)
        .config(move |c| {
            c.coaches = parsed.coaches;
            c.admins = parsed.admins;
            c.rate_limit_per_minute = 100_000;
        })
        .start_with_clock(clock.clone())
        .await;
    Env { server, clock }
}

fn json_of(r: &Resp) -> Value {
    serde_json::from_slice(&r.bytes).unwrap_or_else(|e| panic!("not JSON ({e}): {}", r.text()))
}

impl Env {
    async fn post_json(&self, path: &str, body: Value) -> Resp {
        self.server.request("POST", path).header("Content-Type", "application/json").body(body.to_string()).send().await
    }

    /// Hold + confirm through the JSON API; the booking's JSON.
    async fn book(&self, et: &str, start: DateTime<Utc>, name: &str, email: &str) -> Value {
        let hold = json_of(&self.post_json(&format!("/api/v1/coaches/alice/event-types/{et}/holds"), json!({"start": start.to_rfc3339()})).await.status(201));
        let id = hold["hold_id"].as_str().unwrap();
        json_of(&self.post_json(&format!("/api/v1/holds/{id}/confirm"), json!({"name": name, "email": email})).await.status(201))
    }

    /// The coach deletes the booking's event in their calendar app.
    async fn coach_deletes(&self, reference: &str) {
        let r = self.server.request("PROPFIND", "/dav/calendars/alice/sessions/").as_user(ALICE).depth("1").xml(propfind_props(&["D:getetag"])).send().await.status(207);
        for href in r.hrefs().into_iter().filter(|h| h.ends_with(".ics")) {
            let body = String::from_utf8_lossy(&self.server.http.get(ALICE, &href).await).replace("\r\n ", "");
            if body.contains(&format!("X-SLOTDAV-REFERENCE:{reference}")) {
                self.server.request("DELETE", &href).as_user(ALICE).send().await.status(204);
                return;
            }
        }
        panic!("no event for {reference}");
    }

    /// Marks a booking's attendance in the store, as the dashboard would:
    /// the record and its fact (layouts of `booking::service::records`).
    fn mark(&self, reference: &str, attendance: Attendance) {
        let mut b: Booking = self.server.app.booking.coach_bookings("alice").unwrap().into_iter().find(|b| b.reference == reference).unwrap();
        b.outcome.attendance = Some(attendance);
        use slotdav::storage::table::encode;
        let records = vec![
            (RecordKey::new("booking", b.id.clone()), Some(encode(&b))),
            (RecordKey::new("booking-fact", format!("alice/{}", b.id)), Some(encode(&BookingFact::of(&b)))),
        ];
        self.server.storage.apply(RecordBatch { records, object: None }, self.clock.now()).unwrap();
    }

    async fn get(&self, user: &str, path: &str) -> Resp {
        self.server.request("GET", path).as_user(user).send().await
    }
}

/// The CSV's rows as fields (every field is quoted; none here holds a
/// comma or a quote except where a test says so).
fn rows(csv: &str) -> Vec<Vec<String>> {
    csv.split("\r\n").filter(|l| !l.is_empty()).map(|l| l.split("\",\"").map(|f| f.trim_matches('"').to_string()).collect()).collect()
}

/// One week of Alice's: an intro and a paid lesson by Ann (a conversion;
/// the lesson a no-show), a lesson Ben cancels in time, one the coach
/// cancels early and one late, and a session Dora attends.
async fn alices_week(env: &Env) {
    let intro = env.book("intro", berlin(5, 9), "Ann", "Ann@Example.org").await;
    let paid = env.book("lesson", berlin(6, 10), "Ann", "ann@example.org").await;
    let ben = env.book("lesson", berlin(7, 10), "Ben", "ben@example.org").await;
    let early = env.book("lesson", berlin(7, 14), "=HYPERLINK(\"http://evil\")", "cy@example.org").await;
    let late = env.book("lesson", berlin(8, 10), "Dan", "dan@example.org").await;
    let dora = env.book("lesson", berlin(8, 14), "Dora", "dora@example.org").await;
    let token = ben["manage_token"].as_str().unwrap();
    env.post_json(&format!("/api/v1/bookings/{token}/cancel"), json!({})).await.status(200);
    env.coach_deletes(early["reference"].as_str().unwrap()).await;
    env.clock.set(berlin(8, 9));
    env.coach_deletes(late["reference"].as_str().unwrap()).await;
    env.clock.set(berlin(10, 12));
    env.mark(paid["reference"].as_str().unwrap(), Attendance::NoShow);
    env.mark(dora["reference"].as_str().unwrap(), Attendance::Attended);
    let _ = intro;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_coachs_week_counts_no_shows_cancellations_students_and_utilisation() {
    let env = start().await;
    alices_week(&env).await;
    let r = env.get(ALICE, "/coach/analytics.csv?from=2026-05-04&to=2026-05-10&table=weekly").await.status(200);
    assert_eq!(r.header("content-type"), Some("text/csv; charset=utf-8"));
    assert!(r.header("content-disposition").unwrap().starts_with("attachment; filename="), "{:?}", r.header("content-disposition"));
    let table = rows(&r.text());
    let rows = &table;
    assert_eq!(rows[0][..4], ["week_start", "booked", "held", "cancelled"]);
    let week = &rows[1];
    let field = |name: &str| week[rows[0].iter().position(|h| h == name).unwrap_or_else(|| panic!("no column {name}"))].clone();
    assert_eq!(field("week_start"), "2026-05-04");
    assert_eq!(field("booked"), "6");
    assert_eq!(field("held"), "3", "intro, Ann's lesson, Dora's lesson");
    assert_eq!(field("cancelled"), "3");
    assert_eq!(field("cancelled_by_student"), "1");
    assert_eq!(field("cancelled_by_coach"), "2");
    assert_eq!(field("cancelled_late"), "1", "the coach's cancellation an hour before");
    assert_eq!(field("no_shows"), "1");
    assert_eq!(field("attended"), "1");
    assert_eq!(field("new_students"), "5", "Ann once, whatever the case of her email");
    assert_eq!(field("returning_students"), "0");
    assert_eq!(field("conversions"), "1", "Ann's free intro, then a paid lesson");
    // Working hours Mon–Fri 9–17: 40 open hours; 0.5 + 1 + 1 held.
    assert_eq!(field("available_hours"), "40.00");
    assert_eq!(field("booked_hours"), "2.50");
    assert_eq!(field("utilisation_percent"), "6.2");
    assert_eq!(rows.last().unwrap()[0], "total");

    // The next Monday, Ann comes back.
    env.clock.set(berlin(11, 8));
    env.book("lesson", berlin(12, 10), "Ann", "ANN@example.org").await;
    let two = rows_of(&env, "/coach/analytics.csv?from=2026-05-04&to=2026-05-17").await;
    assert_eq!((two[2][0].as_str(), two[2][1].as_str()), ("2026-05-11", "1"));
    let returning = two[0].iter().position(|h| h == "returning_students").unwrap();
    assert_eq!(two[2][returning], "1");

    let hours = rows_of(&env, "/coach/analytics.csv?from=2026-05-04&to=2026-05-10&table=hours").await;
    assert_eq!(hours[0][1], "00:00");
    assert_eq!((hours[3][0].as_str(), hours[3][11].as_str()), ("Wednesday", "1"), "Ann's lesson, Wednesday 10:00");
    assert_eq!((hours[2][0].as_str(), hours[2][10].as_str()), ("Tuesday", "1"), "the intro, Tuesday 09:00");
}

async fn rows_of(env: &Env, path: &str) -> Vec<Vec<String>> {
    rows(&env.get(ALICE, path).await.status(200).text())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_students_download_is_quoted_and_defuses_formulas() {
    let env = start().await;
    alices_week(&env).await;
    let text = env.get(ALICE, "/coach/analytics.csv?from=2026-05-04&to=2026-05-10&table=students").await.status(200).text();
    assert!(text.contains(r#""'=HYPERLINK(""http://evil"")""#), "{text}");
    assert!(!text.contains(",\"=HYPERLINK"), "{text}");
    let ann = text.lines().find(|l| l.contains("ann@example.org")).unwrap_or_else(|| panic!("{text}"));
    assert!(ann.starts_with("\"alice\",\"ann@example.org\",\"Ann\",\"2026-05-04\",\"2\",\"2\",\"0\",\"1\",\"yes\",\"yes\""), "{ann}");
    env.get(ALICE, "/coach/analytics.csv?table=nonsense").await.status(400).contains("No such table");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_page_has_three_charts_with_text_alternatives_and_tables() {
    let env = start().await;
    alices_week(&env).await;
    let r = env.get(ALICE, "/coach/analytics?from=2026-05-04&to=2026-05-10").await.status(200);
    assert_eq!(r.header("content-type"), Some("text/html; charset=utf-8"));
    let page = r.text();
    assert_eq!(page.matches("<svg class=\"chart\" role=\"img\"").count(), 3, "{page}");
    for id in ["sessions", "utilisation", "hours"] {
        assert!(page.contains(&format!("aria-labelledby=\"{id}-title {id}-desc\"")), "{id}");
        assert!(page.contains(&format!("<title id=\"{id}-title\">")), "{id}");
        assert!(page.contains(&format!("<desc id=\"{id}-desc\">")), "{id}");
    }
    assert!(page.contains("3 sessions held over 1 weeks"), "the bars' description says the numbers");
    assert!(page.contains("The busiest hour is"));
    assert!(page.contains("<th scope=\"row\">week of 2026-05-04</th><td>6</td><td>3</td><td>3</td>"), "the same numbers in a table");
    assert!(page.contains("6.2%"));
    assert!(page.contains("€ 80.00 (2 sessions)"), "Ann's and Dora's lessons");
    assert!(page.contains("HYPERLINK(") && !page.contains("HYPERLINK(\"http"), "names are escaped");
    assert!(!page.contains("<script"), "no JavaScript");
    // The default period: the last 12 weeks.
    let page = env.get(ALICE, "/coach/analytics").await.status(200).text();
    assert!(page.contains("value=\"2026-02-16\"") && page.contains("value=\"2026-05-10\""), "{page}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn coaches_see_only_their_own_figures_and_admins_every_coachs() {
    let env = start().await;
    env.book("intro", berlin(5, 9), "Ann", "ann@example.org").await;
    // A browser with no session is sent to the dashboard's sign-in form;
    // a script's wrong Basic credentials are 401.
    let r = env.server.request("GET", "/coach/analytics").send().await.status(303);
    assert_eq!(r.header("location"), Some("/coach/login"));
    env.server.request("GET", "/coach/analytics").basic(ALICE, "wrong").send().await.status(401);
    env.get(BOB, "/coach/analytics?coach=alice").await.status(403).contains("your own");
    env.get(BOB, "/coach/analytics.csv?coach=alice").await.status(403);
    env.get(BOB, "/coach/analytics").await.status(200).contains("Analytics: bob");
    env.get(CAROL, "/coach/analytics").await.status(403);
    env.get(ALICE, "/admin/analytics").await.status(403).contains("admins");
    let all = env.get(CAROL, "/admin/analytics?from=2026-05-04&to=2026-05-10").await.status(200).text();
    assert!(all.contains("Analytics: all coaches") && all.contains("ann@example.org"), "{all}");
    let csv = env.get(CAROL, "/admin/analytics.csv?from=2026-05-04&to=2026-05-10&coach=bob&table=students").await.status(200).text();
    assert!(!csv.contains("ann@example.org"), "narrowed to bob: {csv}");
    env.get(CAROL, "/admin/analytics?coach=nobody").await.status(404);
    env.server.request("POST", "/coach/analytics").as_user(ALICE).send().await.status(405);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_or_too_long_periods_are_a_readable_400() {
    let env = start().await;
    for query in ["from=2026-02-30", "to=tomorrow", "from=2026-05-10&to=2026-05-04", "from=2020-01-01&to=2026-05-04"] {
        let r = env.get(ALICE, &format!("/coach/analytics?{query}")).await.status(400);
        assert!(r.text().contains("Check the dates") && r.header("content-type") == Some("text/html; charset=utf-8"), "{query}");
        env.get(ALICE, &format!("/coach/analytics.csv?{query}")).await.status(400);
    }
    let two_years = format!("from={}&to=2026-05-04", (berlin(4, 8) - Duration::days(730)).format("%Y-%m-%d"));
    env.get(ALICE, &format!("/coach/analytics?{two_years}")).await.status(200);
}
