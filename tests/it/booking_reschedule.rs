//! Reschedules the coach approves (issue 11 §3) over real HTTP: a
//! student's reschedule of an event type with
//! `reschedule_requires_approval` becomes a request (202, `"status":
//! "requested"`), held against other students, shown as a TENTATIVE
//! "Reschedule request" event over CalDAV and in the API and on the
//! manage page; the coach approves it by a CalDAV PUT of
//! STATUS:CONFIRMED or on the dashboard, declines it by DELETE, or lets
//! it lapse (ManualClock and the sweep). Mail is read from the outbox's
//! queue. Also the "declined" mail of a `requires_confirmation` booking
//! whose TENTATIVE event the coach deletes.

use std::sync::Arc;

use chrono::{DateTime, Duration, TimeZone, Utc};
use serde_json::{json, Value};

use slotdav::clock::{Clock, ManualClock};
use slotdav::config::Config;
use slotdav::mail::MessageKind;

use crate::common::{Resp, TestServer, ALICE, ALICE_PW};
use crate::mail::Mime;

const COACH_EMAIL: &str = "alice@example.org";
const STUDENT: &str = "ben@example.org";

const COACH: &str = r#"
[[coach]]
user = "alice"
display_name = "Alice Coach"
timezone = "Europe/Berlin"
working_hours = { mon = ["09:00-17:00"], tue = ["09:00-17:00"], wed = ["09:00-17:00"], thu = ["09:00-17:00"], fri = ["09:00-17:00"] }

[[coach.event_type]]
slug = "lesson"
title = "Lesson"
duration = "60m"
min_notice = "2h"
reschedule_requires_approval = true

[[coach.event_type]]
slug = "free"
title = "Free move"
duration = "60m"

[[coach.event_type]]
slug = "consult"
title = "Consultation"
duration = "30m"
requires_confirmation = true
"#;

/// Monday 4 March 2030, 09:00 in Berlin.
fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2030, 3, 4, 8, 0, 0).unwrap()
}

/// Wednesday 6 March 2030 at `hour`:00 in Berlin (UTC+1).
fn wed(hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2030, 3, 6, hour - 1, 0, 0).unwrap()
}

async fn server(clock: &Arc<ManualClock>) -> TestServer {
    let coaches = Config::parse(COACH, std::path::Path::new("coach.toml")).expect("coach config").coaches;
    let clock: Arc<dyn Clock> = clock.clone();
    TestServer::builder().user_with_email(ALICE, ALICE_PW, COACH_EMAIL).config(|c| c.coaches = coaches).start_with_clock(clock).await
}

async fn post(s: &TestServer, path: &str, body: Value) -> Resp {
    s.request("POST", path).header("Content-Type", "application/json").body(body.to_string()).send().await
}

fn json_of(r: &Resp) -> Value {
    serde_json::from_slice(&r.bytes).unwrap_or_else(|e| panic!("{e}: {}", r.describe()))
}

/// Books `event_type` at `start` over the API; the booking's answer.
async fn book(s: &TestServer, event_type: &str, start: DateTime<Utc>) -> Value {
    let r = post(s, &format!("/api/v1/coaches/alice/event-types/{event_type}/holds"), json!({"start": start.to_rfc3339()})).await.status(201);
    let hold = json_of(&r);
    let path = format!("/api/v1/holds/{}/confirm", hold["hold_id"].as_str().unwrap());
    json_of(&post(s, &path, json!({"name": "Ben Student", "email": STUDENT})).await.status(201))
}

fn token(b: &Value) -> String {
    b["manage_token"].as_str().expect("manage token").to_string()
}

async fn get_booking(s: &TestServer, token: &str) -> Value {
    json_of(&s.request("GET", &format!("/api/v1/bookings/{token}")).send().await.status(200))
}

fn instant(v: &Value) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(v.as_str().unwrap_or_else(|| panic!("not a time: {v}"))).unwrap().with_timezone(&Utc)
}

/// Starts of the open slots of `event_type` on Wednesday 6 March.
async fn wednesday_slots(s: &TestServer, event_type: &str) -> Vec<DateTime<Utc>> {
    let r = s.request("GET", &format!("/api/v1/coaches/alice/event-types/{event_type}/slots?from=2030-03-06&to=2030-03-06")).send().await.status(200);
    let v = json_of(&r);
    v["slots"].as_array().expect("slots").iter().map(|s| instant(&s["start"])).collect()
}

/// The subjects and texts of queued messages of `kind` to `to`, oldest first.
fn mail(s: &TestServer, to: &str, coach: bool) -> Vec<(String, String)> {
    let mut pending = s.app.outbox.status().unwrap().pending;
    pending.sort_by_key(|e| e.created);
    pending
        .into_iter()
        .filter(|e| e.to == to && matches!(e.kind, MessageKind::Student | MessageKind::Coach))
        .filter(|e| matches!(e.kind, MessageKind::Coach) == coach)
        .map(|e| {
            let mime = Mime::parse(&String::from_utf8(e.bytes.clone()).unwrap());
            let text = mime
                .all()
                .into_iter()
                .find(|p| p.header("Content-Type").is_some_and(|c| c.starts_with("text/plain")))
                .map(|p| p.body.replace("\r\n", "\n").replace("=\n", ""))
                .unwrap_or_default();
            (e.subject, text)
        })
        .collect()
}

/// Every event in the coach's sessions calendar over CalDAV: (href, unfolded text).
async fn events(s: &TestServer) -> Vec<(String, String)> {
    let list = s
        .request("PROPFIND", "/dav/calendars/alice/sessions/")
        .as_user(ALICE)
        .depth("1")
        .xml(crate::common::propfind_props(&["D:getetag"]))
        .send()
        .await
        .status(207);
    let mut out = Vec::new();
    for href in list.hrefs().into_iter().filter(|h| h.ends_with(".ics")) {
        let text = s.request("GET", &href).as_user(ALICE).send().await.status(200).text().replace("\r\n ", "");
        out.push((href, text));
    }
    out
}

fn line<'a>(ics: &'a str, name: &str) -> &'a str {
    ics.lines().find(|l| l.starts_with(&format!("{name}:"))).map(|l| &l[name.len() + 1..]).unwrap_or_else(|| panic!("no {name} in {ics}"))
}

/// Books a lesson on Wednesday at 10:00 and asks to move it to 14:00;
/// the booking and the API's answer to the reschedule.
async fn requested(s: &TestServer) -> (Value, Value) {
    let b = book(s, "lesson", wed(10)).await;
    let r = post(s, &format!("/api/v1/bookings/{}/reschedule", token(&b)), json!({"start": wed(14).to_rfc3339()})).await.status(202);
    (b, json_of(&r))
}

/// The request's event and the booking's, over CalDAV.
async fn request_and_booking_events(s: &TestServer) -> ((String, String), (String, String)) {
    let all = events(s).await;
    assert_eq!(all.len(), 2, "the booking's event and the request's: {all:?}");
    let (req, booking): (Vec<_>, Vec<_>) = all.into_iter().partition(|(_, t)| t.contains("SUMMARY:Reschedule request:"));
    (req.into_iter().next().unwrap(), booking.into_iter().next().unwrap())
}

#[tokio::test]
async fn a_request_is_held_shown_and_approved_by_a_caldav_put_of_status_confirmed() {
    let clock = Arc::new(ManualClock::new(t0()));
    let s = server(&clock).await;
    let (b, answer) = requested(&s).await;
    assert_eq!(answer["status"], "requested");
    assert_eq!((instant(&answer["start"]), instant(&answer["end"])), (wed(14), wed(15)));
    assert_eq!(instant(&answer["expires_at"]), wed(12), "the proposed start minus min_notice");
    assert_eq!(instant(&answer["booking"]["start"]), wed(10), "the booking stays until the coach answers");

    // The API shows the request; the booking has not moved.
    let shown = get_booking(&s, &token(&b)).await;
    assert_eq!(instant(&shown["start"]), wed(10));
    let req = &shown["reschedule_request"];
    assert_eq!((instant(&req["start"]), instant(&req["end"]), instant(&req["expires_at"])), (wed(14), wed(15), wed(12)));
    // The requested time is held: nobody else can book it; the old time is still taken.
    let open = wednesday_slots(&s, "lesson").await;
    assert!(!open.contains(&wed(14)) && !open.contains(&wed(10)), "{open:?}");
    assert!(open.contains(&wed(11)));
    post(&s, "/api/v1/coaches/alice/event-types/lesson/holds", json!({"start": wed(14).to_rfc3339()})).await.status(409);
    // A second request while one waits is refused.
    let r = post(&s, &format!("/api/v1/bookings/{}/reschedule", token(&b)), json!({"start": wed(16).to_rfc3339()})).await.status(409);
    assert_eq!(json_of(&r)["error"], "reschedule_pending");

    // The coach sees a TENTATIVE request event with its own UID, and got an email.
    let ((req_href, req_ics), (_, booking_ics)) = request_and_booking_events(&s).await;
    assert_eq!(line(&req_ics, "STATUS"), "TENTATIVE");
    assert_ne!(line(&req_ics, "UID"), line(&booking_ics, "UID"));
    assert_eq!(line(&req_ics, "DTSTART"), "20300306T130000Z");
    let coach_mail = mail(&s, COACH_EMAIL, true);
    let asks = coach_mail.iter().find(|(subject, _)| subject.starts_with("Please approve:")).expect("the coach is asked");
    assert!(asks.1.contains("set it to confirmed to approve"), "{}", asks.1);
    let student_mail = mail(&s, STUDENT, false);
    assert!(student_mail.last().unwrap().0.starts_with("Reschedule requested:"), "{student_mail:?}");

    // `slotdav check` agrees with a waiting request too.
    let coaches = s.app.booking.coaches().to_vec();
    let calendar = move |user: &str| coaches.iter().find(|c| c.user == user).map(|c| c.bookings_calendar.clone());
    let report = slotdav::booking::service::check_bookings(&*s.storage, &calendar, false, clock.now()).unwrap();
    assert!(report.problems.is_empty(), "{:?}", report.problems);

    // The coach sets the request to CONFIRMED in their app.
    let uid = line(&booking_ics, "UID").to_string();
    let confirmed = req_ics.replace("STATUS:TENTATIVE", "STATUS:CONFIRMED");
    s.request("PUT", &req_href).as_user(ALICE).header("Content-Type", "text/calendar").body(confirmed).send().await.status_in(&[201, 204]);

    // The booking moved: same UID, SEQUENCE + 1; the request event is gone.
    let moved = get_booking(&s, &token(&b)).await;
    assert_eq!((instant(&moved["start"]), instant(&moved["end"])), (wed(14), wed(15)));
    assert_eq!(moved["sequence"], 1);
    assert!(moved["reschedule_request"].is_null(), "{moved}");
    let after = events(&s).await;
    assert_eq!(after.len(), 1, "the request event went with the move: {after:?}");
    assert_eq!(line(&after[0].1, "UID"), uid);
    assert_eq!(line(&after[0].1, "SEQUENCE"), "1");
    assert_eq!(line(&after[0].1, "DTSTART"), "20300306T130000Z");
    // The old time frees; the student gets the update with an invitation.
    let open = wednesday_slots(&s, "lesson").await;
    assert!(open.contains(&wed(10)) && !open.contains(&wed(14)), "{open:?}");
    let student_mail = mail(&s, STUDENT, false);
    let (subject, text) = student_mail.last().unwrap();
    assert!(subject.starts_with("Rescheduled:"), "{subject}");
    assert!(text.contains("approved your new time"), "{text}");
    // `slotdav check` agrees: every booking matches its VEVENT.
    let coaches = s.app.booking.coaches().to_vec();
    let calendar = move |user: &str| coaches.iter().find(|c| c.user == user).map(|c| c.bookings_calendar.clone());
    let report = slotdav::booking::service::check_bookings(&*s.storage, &calendar, false, clock.now()).unwrap();
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    // The audit trail names the request and the coach's approval in the app.
    let entry_actions: Vec<(String, String)> = slotdav::audit::for_booking(&*s.storage, &s.app.booking.booking(&token(&b)).unwrap().id)
        .unwrap()
        .into_iter()
        .map(|e| (e.action, e.actor.kind().to_string()))
        .collect();
    assert!(entry_actions.contains(&("booking.reschedule-requested".into(), "student".into())), "{entry_actions:?}");
    assert!(entry_actions.contains(&("booking.reschedule-approved".into(), "coach-calendar".into())), "{entry_actions:?}");
}

#[tokio::test]
async fn deleting_the_request_event_declines_it_and_the_student_is_told() {
    let clock = Arc::new(ManualClock::new(t0()));
    let s = server(&clock).await;
    let (b, _) = requested(&s).await;
    let ((req_href, _), (_, booking_before)) = request_and_booking_events(&s).await;
    s.request("DELETE", &req_href).as_user(ALICE).send().await.status(204);

    let shown = get_booking(&s, &token(&b)).await;
    assert_eq!((instant(&shown["start"]), shown["sequence"].clone()), (wed(10), json!(0)), "the booking stays");
    assert!(shown["reschedule_request"].is_null());
    let after = events(&s).await;
    assert_eq!(after.len(), 1);
    assert_eq!(after[0].1.replace(line(&after[0].1, "DTSTAMP"), ""), booking_before.replace(line(&booking_before, "DTSTAMP"), ""), "the booking's event is untouched");
    let (subject, text) = mail(&s, STUDENT, false).pop().unwrap();
    assert!(subject.starts_with("Reschedule declined:"), "{subject}");
    assert!(text.contains("could not accept your request to move") && text.contains("stays at the time you booked"), "{text}");
    // The requested time is free again; the student may ask again.
    assert!(wednesday_slots(&s, "lesson").await.contains(&wed(14)));
    post(&s, &format!("/api/v1/bookings/{}/reschedule", token(&b)), json!({"start": wed(14).to_rfc3339()})).await.status(202);
}

#[tokio::test]
async fn cancelling_the_request_event_in_the_app_declines_it() {
    let clock = Arc::new(ManualClock::new(t0()));
    let s = server(&clock).await;
    let (b, _) = requested(&s).await;
    let ((req_href, req_ics), _) = request_and_booking_events(&s).await;
    let cancelled = req_ics.replace("STATUS:TENTATIVE", "STATUS:CANCELLED");
    s.request("PUT", &req_href).as_user(ALICE).header("Content-Type", "text/calendar").body(cancelled).send().await.status_in(&[201, 204]);
    let shown = get_booking(&s, &token(&b)).await;
    assert_eq!(instant(&shown["start"]), wed(10));
    assert!(shown["reschedule_request"].is_null());
    assert!(mail(&s, STUDENT, false).pop().unwrap().0.starts_with("Reschedule declined:"));
    assert!(wednesday_slots(&s, "lesson").await.contains(&wed(14)));
}

#[tokio::test]
async fn an_unanswered_request_lapses_at_its_start_minus_min_notice() {
    let clock = Arc::new(ManualClock::new(t0()));
    let s = server(&clock).await;
    let (b, _) = requested(&s).await;
    clock.set(wed(12) - Duration::minutes(1));
    assert_eq!(s.app.booking.sweep_reschedule_requests().unwrap(), 0, "not yet");
    assert!(!get_booking(&s, &token(&b)).await["reschedule_request"].is_null());
    clock.set(wed(12));
    assert!(get_booking(&s, &token(&b)).await["reschedule_request"].is_null(), "past its expiry it no longer shows");
    assert_eq!(s.app.booking.sweep_reschedule_requests().unwrap(), 1);
    assert_eq!(s.app.booking.sweep_reschedule_requests().unwrap(), 0, "once");

    assert_eq!(events(&s).await.len(), 1, "the request event is gone");
    assert_eq!(instant(&get_booking(&s, &token(&b)).await["start"]), wed(10));
    let (subject, text) = mail(&s, STUDENT, false).pop().unwrap();
    assert!(subject.starts_with("Reschedule request lapsed:"), "{subject}");
    assert!(text.contains("did not answer"), "{text}");
    let id = s.app.booking.booking(&token(&b)).unwrap().id;
    let lapsed = slotdav::audit::for_booking(&*s.storage, &id).unwrap().into_iter().find(|e| e.action == "booking.reschedule-lapsed").expect("audited");
    assert_eq!(lapsed.actor.kind(), "system");
}

#[tokio::test]
async fn the_manage_page_shows_the_request_and_the_student_withdraws_it() {
    let clock = Arc::new(ManualClock::new(t0()));
    let s = server(&clock).await;
    let (b, _) = requested(&s).await;
    let page = s.request("GET", &format!("/book/manage/{}?tz=Europe/Berlin", token(&b))).send().await.status(200);
    let html = page.text();
    assert!(html.contains("You asked to move this session to"), "{html}");
    assert!(html.contains("Withdraw the request"));
    assert!(!html.contains("Choose another time"), "no second request while one waits");
    let cookie = page.headers.get_all("set-cookie").iter().map(|v| v.to_str().unwrap().split(';').next().unwrap().to_string()).find(|c| c.starts_with("slotdav_csrf="));
    let at = html.find("name=\"csrf\" value=\"").unwrap() + "name=\"csrf\" value=\"".len();
    let csrf = html[at..].split('"').next().unwrap().to_string();
    let cookie = cookie.unwrap_or_else(|| format!("slotdav_csrf={csrf}"));
    let path = format!("/book/manage/{}/withdraw-request?tz=Europe/Berlin", token(&b));
    // Without the CSRF token nothing happens.
    s.request("POST", &path).header("Content-Type", "application/x-www-form-urlencoded").body("").send().await.status(403);
    let r = s
        .request("POST", &path)
        .header("Cookie", &cookie)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(format!("csrf={csrf}"))
        .send()
        .await
        .status(200);
    assert!(r.text().contains("Your reschedule request is withdrawn"), "{}", r.text());
    assert!(get_booking(&s, &token(&b)).await["reschedule_request"].is_null());
    assert_eq!(events(&s).await.len(), 1);
    assert!(mail(&s, COACH_EMAIL, true).pop().unwrap().0.starts_with("Reschedule request withdrawn:"));
    // Withdrawing again: nothing waits.
    let r = post(&s, &format!("/api/v1/bookings/{}/reschedule-request/withdraw", token(&b)), json!({})).await.status(409);
    assert_eq!(json_of(&r)["error"], "no_reschedule_request");
}

#[tokio::test]
async fn without_the_key_a_reschedule_moves_at_once() {
    let clock = Arc::new(ManualClock::new(t0()));
    let s = server(&clock).await;
    let b = book(&s, "free", wed(10)).await;
    let r = post(&s, &format!("/api/v1/bookings/{}/reschedule", token(&b)), json!({"start": wed(14).to_rfc3339()})).await.status(200);
    let v = json_of(&r);
    assert_eq!((v["status"].as_str(), instant(&v["start"])), (Some("confirmed"), wed(14)));
    assert!(v["reschedule_request"].is_null());
}

/// Signs `ALICE` in to the dashboard; the cookie header and the CSRF token.
async fn dashboard_session(s: &TestServer) -> (String, String) {
    let csrf_of = |html: &str| {
        let at = html.find("name=\"csrf\" value=\"").unwrap_or_else(|| panic!("no csrf in {html}")) + "name=\"csrf\" value=\"".len();
        html[at..].split('"').next().unwrap().to_string()
    };
    let cookies = |r: &Resp| -> Vec<String> { r.headers.get_all("set-cookie").iter().map(|v| v.to_str().unwrap().split(';').next().unwrap().to_string()).collect() };
    let form = s.request("GET", "/coach/login").send().await.status(200);
    let login_cookie = cookies(&form).join("; ");
    let body = form_urlencoded::Serializer::new(String::new()).extend_pairs([("csrf", csrf_of(&form.text()).as_str()), ("user", ALICE), ("password", ALICE_PW)]).finish();
    let r = s
        .request("POST", "/coach/login")
        .header("Cookie", &login_cookie)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .status(303);
    let cookie = cookies(&r).into_iter().filter(|c| c.starts_with("slotdav_session=")).collect::<Vec<_>>().join("; ");
    let home = s.request("GET", "/coach/").header("Cookie", &cookie).send().await.status(200);
    (cookie, csrf_of(&home.text()))
}

/// Sends a dashboard action's form (with a message) for `reference`.
async fn dashboard_action(s: &TestServer, cookie: &str, reference: &str, action: &str, csrf: String) -> Resp {
    s.request("POST", &format!("/coach/bookings/{reference}/{action}"))
        .header("Cookie", cookie)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(format!("csrf={csrf}&message=Sorry"))
        .send()
        .await
}

#[tokio::test]
async fn the_coach_approves_and_declines_on_the_dashboard() {
    let clock = Arc::new(ManualClock::new(t0()));
    let s = server(&clock).await;
    let (b, _) = requested(&s).await;
    let reference = b["reference"].as_str().unwrap().to_string();
    let (cookie, csrf) = dashboard_session(&s).await;
    let home = s.request("GET", "/coach/").header("Cookie", &cookie).send().await.status(200).text();
    assert!(home.contains("Reschedule requests (1)"), "{home}");
    assert!(home.contains(&format!("/coach/bookings/{reference}/approve-reschedule")));
    let act = |action: &'static str, csrf: String| dashboard_action(&s, &cookie, &reference, action, csrf);
    act("approve-reschedule", "wrong".into()).await.status(403);
    assert!(!get_booking(&s, &token(&b)).await["reschedule_request"].is_null(), "a wrong CSRF token does nothing");
    act("approve-reschedule", csrf.clone()).await.status(303);
    let moved = get_booking(&s, &token(&b)).await;
    assert_eq!((instant(&moved["start"]), moved["sequence"].clone()), (wed(14), json!(1)));
    let after = events(&s).await;
    assert_eq!(after.len(), 1, "{after:?}");
    assert_eq!(line(&after[0].1, "DTSTART"), "20300306T130000Z");
    assert!(mail(&s, STUDENT, false).pop().unwrap().0.starts_with("Rescheduled:"));
    let id = s.app.booking.booking(&token(&b)).unwrap().id;
    let approved = slotdav::audit::for_booking(&*s.storage, &id).unwrap().into_iter().find(|e| e.action == "booking.reschedule-approved").unwrap();
    assert_eq!(approved.actor.kind(), "coach-dashboard");
    // Nothing waits any more: a second approval is a readable refusal.
    act("approve-reschedule", csrf.clone()).await.status(409);

    // A new request, declined on the dashboard with a message.
    post(&s, &format!("/api/v1/bookings/{}/reschedule", token(&b)), json!({"start": wed(16).to_rfc3339()})).await.status(202);
    act("decline-reschedule", csrf).await.status(303);
    let shown = get_booking(&s, &token(&b)).await;
    assert_eq!(instant(&shown["start"]), wed(14));
    assert!(shown["reschedule_request"].is_null());
    let (subject, text) = mail(&s, STUDENT, false).pop().unwrap();
    assert!(subject.starts_with("Reschedule declined:"), "{subject}");
    assert!(text.contains("Sorry"), "the coach's message: {text}");
    assert_eq!(events(&s).await.len(), 1);
}

#[tokio::test]
async fn a_requires_confirmation_booking_declined_by_caldav_delete_gets_a_declined_mail() {
    let clock = Arc::new(ManualClock::new(t0()));
    let s = server(&clock).await;
    let b = book(&s, "consult", wed(11)).await;
    let all = events(&s).await;
    assert_eq!(line(&all[0].1, "STATUS"), "TENTATIVE");
    s.request("DELETE", &all[0].0).as_user(ALICE).send().await.status(204);
    assert_eq!(get_booking(&s, &token(&b)).await["status"], "cancelled");
    let (subject, text) = mail(&s, STUDENT, false).pop().unwrap();
    assert!(subject.starts_with("Declined:"), "{subject}");
    assert!(text.contains("could not accept your request"), "{text}");
}

#[tokio::test]
async fn cancelling_the_booking_takes_its_request_along() {
    let clock = Arc::new(ManualClock::new(t0()));
    let s = server(&clock).await;
    let (b, _) = requested(&s).await;
    post(&s, &format!("/api/v1/bookings/{}/cancel", token(&b)), json!({})).await.status(200);
    let all = events(&s).await;
    assert_eq!(all.len(), 1, "the request event went with the cancellation: {all:?}");
    assert_eq!(line(&all[0].1, "STATUS"), "CANCELLED");
    assert!(get_booking(&s, &token(&b)).await["reschedule_request"].is_null());
    let open = wednesday_slots(&s, "lesson").await;
    assert!(open.contains(&wed(10)) && open.contains(&wed(14)), "both times free: {open:?}");
}

#[tokio::test]
async fn the_pages_ask_the_coach_and_say_so() {
    let clock = Arc::new(ManualClock::new(t0()));
    let s = server(&clock).await;
    let b = book(&s, "lesson", wed(10)).await;
    let manage = s.request("GET", &format!("/book/manage/{}?tz=Europe/Berlin", token(&b))).send().await.status(200);
    let cookie = manage.headers.get_all("set-cookie").iter().map(|v| v.to_str().unwrap().split(';').next().unwrap().to_string()).find(|c| c.starts_with("slotdav_csrf=")).expect("a csrf cookie");
    let csrf = cookie.trim_start_matches("slotdav_csrf=").to_string();
    let form = |pairs: &[(&str, &str)]| form_urlencoded::Serializer::new(String::new()).extend_pairs(pairs).finish();
    let r = s
        .request("POST", "/book/alice/lesson/hold")
        .header("Cookie", &cookie)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(form(&[("csrf", &csrf), ("start", &wed(14).to_rfc3339()), ("reschedule", &token(&b)), ("tz", "Europe/Berlin")]))
        .send()
        .await
        .status(303);
    let hold_page = r.header("location").unwrap().to_string();
    let page = s.request("GET", &hold_page).header("Cookie", &cookie).send().await.status(200).text();
    assert!(page.contains("Ask the coach to move my booking"), "{page}");
    let hold_id = hold_page.trim_start_matches("/book/hold/").split('?').next().unwrap().to_string();
    let r = s
        .request("POST", &format!("/book/hold/{hold_id}"))
        .header("Cookie", &cookie)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(form(&[("csrf", &csrf), ("reschedule", &token(&b)), ("tz", "Europe/Berlin")]))
        .send()
        .await
        .status(303);
    let back = r.header("location").unwrap().to_string();
    assert!(back.ends_with("done=requested"), "{back}");
    let page = s.request("GET", &back).send().await.status(200).text();
    assert!(page.contains("Your coach has been asked to move the session"), "{page}");
    assert!(page.contains("You asked to move this session to"), "{page}");
    assert_eq!(instant(&get_booking(&s, &token(&b)).await["start"]), wed(10));
}

#[tokio::test]
async fn slotdav_check_reports_a_request_whose_event_is_gone() {
    let clock = Arc::new(ManualClock::new(t0()));
    let s = server(&clock).await;
    requested(&s).await;
    let ((req_href, _), _) = request_and_booking_events(&s).await;
    // Removed behind the service's back (not through DAV, whose DELETE declines it).
    let path = req_href.trim_start_matches("/dav/calendars/").trim_end_matches('/');
    let store_path = slotdav::storage::StorePath::new(path.split('/').map(|p| p.to_string()).collect());
    s.storage.delete(&store_path, &Default::default(), clock.now()).expect("delete");
    let coaches = s.app.booking.coaches().to_vec();
    let calendar = move |user: &str| coaches.iter().find(|c| c.user == user).map(|c| c.bookings_calendar.clone());
    let report = slotdav::booking::service::check_bookings(&*s.storage, &calendar, false, clock.now()).unwrap();
    assert!(report.problems.iter().any(|p| format!("{p:?}").contains("reschedule request")), "{:?}", report.problems);
}
