//! The coach dashboard over real HTTP (issue 13, item 1): signing in and
//! out through the form, the session cookie and its attributes, sessions
//! kept across a restart and ended by a changed password, CSRF, who may
//! see what, and the actions (confirm, decline, cancel with a message,
//! attendance), checked where a user would notice them: the VEVENT over
//! CalDAV, the student's mail in the outbox, the dashboard itself. Time
//! is a ManualClock.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Duration, TimeZone, Utc};
use serde_json::{json, Value};
use tempfile::TempDir;

use slotdav::booking::{Attendance, BookingStatus};
use slotdav::clock::{Clock, ManualClock};
use slotdav::config::Config;

use crate::common::{password_hash, Resp, TestServer, ALICE, ALICE_PW, BOB, BOB_PW};
use crate::mail::Mime;

const CAROL: &str = "carol";
const CAROL_PW: &str = "carol-not-a-coach";

const COACHES: &str = r#"
[[coach]]
user = "alice"
display_name = "Alice Coach"
timezone = "Europe/Berlin"
working_hours = { mon = ["09:00-17:00"], tue = ["09:00-17:00"], wed = ["09:00-17:00"], thu = ["09:00-17:00"], fri = ["09:00-17:00"] }

[[coach.event_type]]
slug = "trial"
title = "Trial lesson"
duration = "30m"
cancel_notice = "24h"

[[coach.event_type]]
slug = "consult"
title = "Consultation"
duration = "30m"
requires_confirmation = true

[[coach]]
user = "bob"
display_name = "Bob Coach"
timezone = "Europe/Berlin"
working_hours = { mon = ["09:00-17:00"], tue = ["09:00-17:00"], wed = ["09:00-17:00"], thu = ["09:00-17:00"], fri = ["09:00-17:00"] }

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

async fn server(clock: &Arc<ManualClock>, dir: Option<TempDir>, configure: impl FnOnce(&mut Config)) -> TestServer {
    let coaches = Config::parse(COACHES, std::path::Path::new("coaches.toml")).expect("coach config").coaches;
    let mut b = TestServer::builder().user(CAROL, CAROL_PW).config(|c| {
        c.coaches = coaches;
        configure(c);
    });
    if let Some(d) = dir {
        b = b.data_dir(d);
    }
    let clock: Arc<dyn Clock> = clock.clone();
    b.start_with_clock(clock).await
}

fn manual_clock() -> Arc<ManualClock> {
    Arc::new(ManualClock::new(t0()))
}

/// Books `event_type` of `coach` at `start` over the JSON API; the API's booking.
async fn book(s: &TestServer, coach: &str, event_type: &str, start: DateTime<Utc>, email: &str, note: &str) -> Value {
    let post = |path: String, body: Value| s.request("POST", &path).header("Content-Type", "application/json").body(body.to_string()).send();
    let r = post(format!("/api/v1/coaches/{coach}/event-types/{event_type}/holds"), json!({"start": start.to_rfc3339()})).await.status(201);
    let hold: Value = serde_json::from_slice(&r.bytes).unwrap();
    let confirm = format!("/api/v1/holds/{}/confirm", hold["hold_id"].as_str().unwrap());
    let r = post(confirm, json!({"name": "Ben Student", "email": email, "note": note})).await.status(201);
    serde_json::from_slice(&r.bytes).unwrap()
}

fn reference(b: &Value) -> String {
    b["reference"].as_str().expect("reference").to_string()
}

/// The stored booking with this reference.
fn stored(s: &TestServer, coach: &str, reference: &str) -> slotdav::booking::Booking {
    s.app.booking.coach_booking(coach, reference).expect("the booking")
}

/// The value of the first hidden `csrf` field of a page.
fn csrf_field(html: &str) -> String {
    let at = html.find("name=\"csrf\" value=\"").unwrap_or_else(|| panic!("no csrf field in {html}")) + "name=\"csrf\" value=\"".len();
    html[at..].split('"').next().unwrap().to_string()
}

/// The `Set-Cookie` lines of a response.
fn set_cookies(r: &Resp) -> Vec<String> {
    r.headers.get_all("set-cookie").iter().map(|v| v.to_str().unwrap().to_string()).collect()
}

/// A browser: a cookie jar over one server.
struct Browser<'a> {
    s: &'a TestServer,
    cookies: HashMap<String, String>,
    headers: Vec<(String, String)>,
}

impl<'a> Browser<'a> {
    fn new(s: &'a TestServer) -> Self {
        Browser { s, cookies: HashMap::new(), headers: Vec::new() }
    }

    fn keep(&mut self, r: &Resp) {
        for line in set_cookies(r) {
            let pair = line.split(';').next().unwrap();
            let (k, v) = pair.split_once('=').unwrap();
            if v.is_empty() || line.contains("Max-Age=0") {
                self.cookies.remove(k);
            } else {
                self.cookies.insert(k.to_string(), v.to_string());
            }
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ")
    }

    async fn get(&mut self, path: &str) -> Resp {
        let mut req = self.s.request("GET", path).header("Cookie", &self.cookie_header());
        for (k, v) in &self.headers {
            req = req.header(k, v);
        }
        let r = req.send().await;
        self.keep(&r);
        r
    }

    async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Resp {
        let body = form_urlencoded::Serializer::new(String::new()).extend_pairs(form).finish();
        let mut req = self
            .s
            .request("POST", path)
            .header("Cookie", &self.cookie_header())
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(body);
        for (k, v) in &self.headers {
            req = req.header(k, v);
        }
        let r = req.send().await;
        self.keep(&r);
        r
    }

    /// Fills in and sends the sign-in form.
    async fn sign_in(&mut self, user: &str, password: &str) -> Resp {
        let form = self.get("/coach/login").await.status(200);
        let csrf = csrf_field(&form.text());
        self.post("/coach/login", &[("csrf", &csrf), ("user", user), ("password", password)]).await
    }

    /// Signs in and expects the dashboard.
    async fn signed_in(s: &'a TestServer, user: &str, password: &str) -> Browser<'a> {
        let mut b = Browser::new(s);
        let r = b.sign_in(user, password).await.status(303);
        assert_eq!(r.header("location"), Some("/coach/"));
        assert!(b.cookies.contains_key("slotdav_session"), "{}", r.describe());
        b
    }

    /// The session's CSRF token, from the dashboard's sign-out form.
    async fn csrf(&mut self) -> String {
        csrf_field(&self.get("/coach/").await.status(200).text())
    }
}

/// The subject and plain text of every queued message to `to`, oldest first.
fn mail_to(s: &TestServer, to: &str) -> Vec<(String, String)> {
    let mut pending = s.app.outbox.status().unwrap().pending;
    pending.sort_by_key(|e| e.created);
    pending
        .into_iter()
        .filter(|e| e.to == to && matches!(e.kind, slotdav::mail::MessageKind::Student))
        .map(|e| {
            let mime = Mime::parse(&String::from_utf8(e.bytes.clone()).unwrap());
            let text = mime
                .all()
                .into_iter()
                .find(|p| p.header("Content-Type").is_some_and(|c| c.starts_with("text/plain")))
                .map(|p| p.body.replace("\r\n", "\n"))
                .unwrap_or_default();
            (e.subject, text)
        })
        .collect()
}

/// The booking's event in the coach's sessions calendar, over CalDAV.
async fn event_ics(s: &TestServer, coach: &str, password: &str) -> String {
    let list = s
        .request("PROPFIND", &format!("/dav/calendars/{coach}/sessions/"))
        .basic(coach, password)
        .depth("1")
        .xml(crate::common::propfind_props(&["D:getetag"]))
        .send()
        .await
        .status(207);
    let hrefs: Vec<String> = list.hrefs().into_iter().filter(|h| h.ends_with(".ics")).collect();
    assert_eq!(hrefs.len(), 1, "one booking event: {hrefs:?}");
    let r = s.request("GET", &hrefs[0]).basic(coach, password).send().await.status(200);
    r.text().replace("\r\n ", "")
}

// ---------------------------------------------------------------------------
// Signing in and out
// ---------------------------------------------------------------------------

#[tokio::test]
async fn a_coach_signs_in_with_the_form_and_out_again() {
    let clock = manual_clock();
    let s = server(&clock, None, |_| {}).await;
    // Not signed in: the dashboard sends the browser to the form.
    let r = s.request("GET", "/coach/").send().await.status(303);
    assert_eq!(r.header("location"), Some("/coach/login"));
    s.request("GET", "/coach").send().await.status(303);

    let mut b = Browser::new(&s);
    let form = b.get("/coach/login").await.status(200);
    assert!(form.text().contains("<label for=\"password\">"), "a labelled form: {}", form.text());
    let csrf = csrf_field(&form.text());
    let r = b.post("/coach/login", &[("csrf", &csrf), ("user", ALICE), ("password", ALICE_PW)]).await.status(303);
    assert_eq!(r.header("location"), Some("/coach/"));
    let cookie = set_cookies(&r).into_iter().find(|c| c.starts_with("slotdav_session=")).expect("a session cookie");
    let id = cookie.split(';').next().unwrap().trim_start_matches("slotdav_session=").to_string();
    assert!(id.len() >= 32 && id.bytes().all(|c| c.is_ascii_hexdigit()), "≥128 random bits: {cookie}");
    for attribute in ["HttpOnly", "SameSite=Lax", "Path=/coach", &format!("Max-Age={}", 12 * 3600)] {
        assert!(cookie.split("; ").any(|a| a == attribute), "{attribute} in {cookie}");
    }
    assert!(!cookie.contains("Secure"), "plain HTTP from a client that is no proxy: {cookie}");
    let stored: Vec<String> = s.storage.records("dashboard-session", "").unwrap().into_iter().map(|(k, _)| k).collect();
    assert_eq!(stored.len(), 1);
    assert!(!stored[0].contains(&id), "only the id's hash is stored");

    let home = b.get("/coach/").await.status(200);
    assert!(home.text().contains("Your bookings") && home.text().contains("Alice Coach"), "{}", home.text());
    // A signed-in browser skips the form.
    assert_eq!(b.get("/coach/login").await.status(303).header("location"), Some("/coach/"));
    // Signing in again from the same browser: a new id, the old session ends.
    let first = b.cookie_header();
    let form_token = b.cookies.get("slotdav_csrf").cloned().unwrap();
    b.post("/coach/login", &[("csrf", &form_token), ("user", ALICE), ("password", ALICE_PW)]).await.status(303);
    assert_ne!(b.cookie_header(), first);
    assert_eq!(s.storage.records("dashboard-session", "").unwrap().len(), 1);
    s.request("GET", "/coach/").header("Cookie", &first).send().await.status(303);

    let csrf = b.csrf().await;
    let old = b.cookie_header();
    let r = b.post("/coach/logout", &[("csrf", &csrf)]).await.status(303);
    assert!(set_cookies(&r).iter().any(|c| c.starts_with("slotdav_session=;") && c.contains("Max-Age=0")), "{}", r.describe());
    assert!(b.get("/coach/login?signed_out=1").await.status(200).text().contains("You are signed out."));
    // The session is gone from the store: the old cookie opens nothing.
    assert!(s.storage.records("dashboard-session", "").unwrap().is_empty());
    let r = s.request("GET", "/coach/").header("Cookie", &old).send().await.status(303);
    assert_eq!(r.header("location"), Some("/coach/login"));
}

#[tokio::test]
async fn the_cookie_is_secure_when_a_trusted_proxy_says_the_client_used_https() {
    let clock = manual_clock();
    let s = server(&clock, None, |c| c.trusted_proxies = vec![slotdav::model::IpRange::parse("127.0.0.1").unwrap()]).await;
    let mut b = Browser::new(&s);
    b.headers.push(("X-Forwarded-Proto".into(), "https".into()));
    b.headers.push(("X-Forwarded-For".into(), "198.51.100.7".into()));
    let r = b.sign_in(ALICE, ALICE_PW).await.status(303);
    let cookie = set_cookies(&r).into_iter().find(|c| c.starts_with("slotdav_session=")).expect("a session cookie");
    assert!(cookie.split("; ").any(|a| a == "Secure"), "{cookie}");
    // The same proxy forwarding plain HTTP: no Secure.
    let mut plain = Browser::new(&s);
    plain.headers.push(("X-Forwarded-Proto".into(), "http".into()));
    let r = plain.sign_in(ALICE, ALICE_PW).await.status(303);
    let cookie = set_cookies(&r).into_iter().find(|c| c.starts_with("slotdav_session=")).unwrap();
    assert!(!cookie.contains("Secure"), "{cookie}");
}

#[tokio::test]
async fn a_wrong_password_or_an_unknown_user_gets_the_form_again_and_no_session() {
    let clock = manual_clock();
    let s = server(&clock, None, |c| {
        c.auth.free_failures = 2;
        c.auth.backoff = std::time::Duration::from_secs(60);
    })
    .await;
    let mut b = Browser::new(&s);
    let wrong = b.sign_in(ALICE, "not-her-password").await.status(403);
    let unknown = b.sign_in("nobody", "whatever-password").await.status(403);
    for r in [&wrong, &unknown] {
        assert!(r.text().contains("The user name or the password is wrong"), "{}", r.text());
        assert!(!set_cookies(r).iter().any(|c| c.starts_with("slotdav_session=")), "no session: {}", r.describe());
    }
    assert!(!b.cookies.contains_key("slotdav_session"));
    assert!(s.storage.records("dashboard-session", "").unwrap().is_empty());
    // The throttle of the calendar login applies: after the free failures
    // even the right password waits.
    b.sign_in(ALICE, "wrong-again").await.status(403);
    let r = b.sign_in(ALICE, ALICE_PW).await.status(429);
    assert!(r.header("retry-after").is_some() && r.text().contains("Too many failed sign-ins"), "{}", r.describe());
    // An empty form is asked again, without a password check.
    let csrf = csrf_field(&b.get("/coach/login").await.text());
    b.post("/coach/login", &[("csrf", &csrf), ("user", ""), ("password", "")]).await.status(400);
}

#[tokio::test]
async fn a_user_who_is_not_a_coach_gets_a_readable_403_and_no_session() {
    let clock = manual_clock();
    let s = server(&clock, None, |_| {}).await;
    let mut b = Browser::new(&s);
    let r = b.sign_in(CAROL, CAROL_PW).await.status(403);
    assert!(r.text().contains("No dashboard for this user"), "{}", r.text());
    assert!(!b.cookies.contains_key("slotdav_session"));
    // Nor with a session made for them by other means (a coach removed from the config).
    let carol = s.storage.user(CAROL).unwrap().unwrap();
    let (id, _) = slotdav::auth::session::SessionStore { storage: &*s.storage }
        .create(&carol, clock.now(), s.app.config.dashboard)
        .unwrap();
    let r = s.request("GET", "/coach/").header("Cookie", &format!("slotdav_session={id}")).send().await.status(403);
    assert!(r.text().contains("No dashboard for this user"));
}

#[tokio::test]
async fn a_session_survives_a_restart_and_ends_when_the_password_changes() {
    let clock = manual_clock();
    let s = server(&clock, None, |_| {}).await;
    let cookie = Browser::signed_in(&s, ALICE, ALICE_PW).await.cookie_header();
    let dir = s.stop_keep_data().await;

    let s = server(&clock, Some(dir), |_| {}).await;
    let r = s.request("GET", "/coach/").header("Cookie", &cookie).send().await.status(200);
    assert!(r.text().contains("Your bookings"));
    // Twelve hours after signing in, the session is over (absolute expiry).
    clock.advance(Duration::hours(12));
    s.request("GET", "/coach/").header("Cookie", &cookie).send().await.status(303);
    clock.set(t0());

    let cookie = Browser::signed_in(&s, ALICE, ALICE_PW).await.cookie_header();
    s.request("GET", "/coach/").header("Cookie", &cookie).send().await.status(200);
    let mut alice = s.storage.user(ALICE).unwrap().unwrap();
    alice.password_hash = password_hash("alice-new-password");
    s.storage.put_user(&alice).unwrap();
    let r = s.request("GET", "/coach/").header("Cookie", &cookie).send().await.status(303);
    assert_eq!(r.header("location"), Some("/coach/login"));
    assert!(set_cookies(&r).iter().any(|c| c.contains("Max-Age=0")), "the browser is told to forget it");
    // Removed user: the same.
    let cookie = Browser::signed_in(&s, BOB, BOB_PW).await.cookie_header();
    s.storage.remove_user(BOB).unwrap();
    s.request("GET", "/coach/").header("Cookie", &cookie).send().await.status(303);
}

// ---------------------------------------------------------------------------
// Who may do what
// ---------------------------------------------------------------------------

#[tokio::test]
async fn a_post_without_the_sessions_csrf_token_is_refused_and_changes_nothing() {
    let clock = manual_clock();
    let s = server(&clock, None, |_| {}).await;
    let r = reference(&book(&s, ALICE, "consult", wed(10), "ben@example.org", "").await);
    let mut b = Browser::signed_in(&s, ALICE, ALICE_PW).await;
    let path = format!("/coach/bookings/{r}/confirm");
    for form in [vec![], vec![("csrf", "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")]] {
        let resp = b.post(&path, &form).await.status(403);
        assert!(resp.text().contains("Please try again"), "a readable page: {}", resp.text());
    }
    // The booking pages' token is not the session's either.
    let page_token = b.cookies.get("slotdav_csrf").cloned().expect("the sign-in form's cookie");
    b.post(&path, &[("csrf", &page_token)]).await.status(403);
    assert_eq!(stored(&s, ALICE, &r).status, BookingStatus::Tentative);
    assert!(event_ics(&s, ALICE, ALICE_PW).await.contains("STATUS:TENTATIVE"));
    assert_eq!(mail_to(&s, "ben@example.org").len(), 1, "only the request's receipt");
    b.post("/coach/logout", &[]).await.status(403);
    b.get("/coach/").await.status(200);
    // Without a session at all: 403, nothing done.
    s.request("POST", &path).send().await.status(403);
    assert_eq!(stored(&s, ALICE, &r).status, BookingStatus::Tentative);
}

#[tokio::test]
async fn another_coachs_booking_is_403_and_an_unknown_one_404() {
    let clock = manual_clock();
    let s = server(&clock, None, |_| {}).await;
    let bobs = reference(&book(&s, BOB, "consult", wed(10), "ben@example.org", "secret plans").await);
    let mut alice = Browser::signed_in(&s, ALICE, ALICE_PW).await;
    let r = alice.get(&format!("/coach/bookings/{bobs}")).await.status(403);
    assert!(r.text().contains("another coach") && !r.text().contains("secret plans"), "{}", r.text());
    assert!(!alice.get("/coach/").await.text().contains(&bobs), "not on Alice's dashboard");
    let csrf = alice.csrf().await;
    alice.post(&format!("/coach/bookings/{bobs}/confirm"), &[("csrf", &csrf)]).await.status(403);
    assert_eq!(stored(&s, BOB, &bobs).status, BookingStatus::Tentative);
    alice.get("/coach/bookings/NOPE-0000").await.status(404);
    // Bob sees and confirms his own.
    let mut bob = Browser::signed_in(&s, BOB, BOB_PW).await;
    assert!(bob.get(&format!("/coach/bookings/{bobs}")).await.status(200).text().contains("secret plans"));
}

// ---------------------------------------------------------------------------
// Actions
// ---------------------------------------------------------------------------

#[tokio::test]
async fn confirming_on_the_dashboard_turns_the_event_confirmed_and_mails_the_student() {
    let clock = manual_clock();
    let s = server(&clock, None, |_| {}).await;
    let r = reference(&book(&s, ALICE, "consult", wed(11), "ben@example.org", "About my thesis").await);
    let mut b = Browser::signed_in(&s, ALICE, ALICE_PW).await;
    let home = b.get("/coach/").await.status(200).text();
    let pending = home.split("id=\"pending-heading\"").nth(1).unwrap().split("</section>").next().unwrap();
    assert!(pending.contains(&r) && pending.contains("ben@example.org"), "waits for Alice: {pending}");
    assert!(home.contains("Wednesday 6 March 2030") && home.contains("11:00–11:30"), "by day, in Berlin time: {home}");
    assert!(home.contains("About my thesis"));

    let page = b.get(&format!("/coach/bookings/{r}")).await.status(200).text();
    assert!(page.contains("/book/manage/"), "the manage link to copy: {page}");
    let csrf = csrf_field(&page);
    let resp = b.post(&format!("/coach/bookings/{r}/confirm"), &[("csrf", &csrf)]).await.status(303);
    assert_eq!(resp.header("location").unwrap(), format!("/coach/bookings/{r}?done=confirm"));
    assert!(b.get(resp.header("location").unwrap()).await.status(200).text().contains("Confirmed. The student gets the invitation"));

    let ics = event_ics(&s, ALICE, ALICE_PW).await;
    assert!(ics.contains("STATUS:CONFIRMED") && ics.contains("SEQUENCE:1"), "{ics}");
    let mails = mail_to(&s, "ben@example.org");
    assert_eq!(mails.len(), 2, "{mails:?}");
    assert!(mails[1].0.starts_with("Confirmed: Consultation with Alice Coach"), "{}", mails[1].0);
    let booking = stored(&s, ALICE, &r);
    assert_eq!(booking.status, BookingStatus::Confirmed);
    // A second confirm is refused with a readable page.
    let again = b.post(&format!("/coach/bookings/{r}/confirm"), &[("csrf", &csrf)]).await.status(409);
    assert!(again.text().contains("not waiting for confirmation"), "{}", again.text());
    // The booking's history names who did what, from the audit trail.
    let page = b.get(&format!("/coach/bookings/{r}")).await.status(200).text();
    let history = page.split("<h2>History</h2>").nth(1).expect("a history section");
    assert!(history.contains("booking.booked by the student"), "{history}");
    assert!(history.contains("booking.confirmed-by-coach by you, on the dashboard"), "{history}");
    assert!(history.contains("status: tentative → confirmed") || history.contains("status: Tentative → Confirmed"), "{history}");
}

#[tokio::test]
async fn declining_and_cancelling_with_a_message_send_the_right_mails() {
    let clock = manual_clock();
    let s = server(&clock, None, |c| c.dashboard.ttl = Duration::days(7)).await;
    let request = reference(&book(&s, ALICE, "consult", wed(11), "ann@example.org", "").await);
    let session = reference(&book(&s, ALICE, "trial", wed(14), "ben@example.org", "").await);
    let mut b = Browser::signed_in(&s, ALICE, ALICE_PW).await;
    let csrf = b.csrf().await;

    b.post(&format!("/coach/bookings/{request}/decline"), &[("csrf", &csrf), ("message", "I am away that week.")]).await.status(303);
    let ann = mail_to(&s, "ann@example.org");
    assert_eq!(ann.len(), 2);
    assert!(ann[1].0.starts_with("Declined: Consultation"), "{}", ann[1].0);
    assert!(ann[1].1.contains("could not accept your request") && ann[1].1.contains("I am away that week."), "{}", ann[1].1);
    assert_eq!(stored(&s, ALICE, &request).status, BookingStatus::Cancelled);

    // Cancelled a day ahead, past the 24 h notice: late, and the mail says why.
    clock.set(wed(14) - Duration::hours(2));
    b.post(&format!("/coach/bookings/{session}/cancel"), &[("csrf", &csrf), ("message", "I am ill, sorry.\r\nLet us find another time.")])
        .await
        .status(303);
    let ben = mail_to(&s, "ben@example.org");
    assert_eq!(ben.len(), 2);
    assert!(ben[1].0.starts_with("Cancelled by Alice Coach: Trial lesson"), "{}", ben[1].0);
    assert!(ben[1].1.contains("Alice Coach wrote:\nI am ill, sorry.\nLet us find another time."), "{}", ben[1].1);
    let booking = stored(&s, ALICE, &session);
    let cancellation = booking.outcome.cancelled.clone().expect("who cancelled");
    assert_eq!(cancellation.by, slotdav::booking::Actor::CoachDashboard { coach: ALICE.into() });
    assert!(cancellation.late);
    let home = b.get("/coach/").await.status(200).text();
    let cancelled = home.split("id=\"cancelled-heading\"").nth(1).unwrap();
    assert!(cancelled.contains(&session) && cancelled.contains(&request), "{cancelled}");
    assert!(cancelled.contains("you, on the dashboard") && cancelled.contains("(late)"), "{cancelled}");
    let page = b.get(&format!("/coach/bookings/{session}")).await.status(200).text();
    assert!(page.contains("Cancelled by you, on the dashboard") && page.contains("late"), "{page}");
    assert!(!page.contains("/cancel\""), "no cancel form on a cancelled booking");
    // Cancelling twice: refused.
    b.post(&format!("/coach/bookings/{session}/cancel"), &[("csrf", &csrf)]).await.status(409);
    assert_eq!(mail_to(&s, "ben@example.org").len(), 2);
}

#[tokio::test]
async fn a_no_show_is_refused_before_the_start_and_recorded_after_it() {
    let clock = manual_clock();
    let s = server(&clock, None, |c| c.dashboard.ttl = Duration::days(7)).await;
    let r = reference(&book(&s, ALICE, "trial", wed(10), "ben@example.org", "").await);
    let mut b = Browser::signed_in(&s, ALICE, ALICE_PW).await;
    let csrf = b.csrf().await;
    let page = b.get(&format!("/coach/bookings/{r}")).await.text();
    assert!(!page.contains("/no-show\"") && page.contains("Attendance can be marked once the session has started"), "{page}");
    let refused = b.post(&format!("/coach/bookings/{r}/no-show"), &[("csrf", &csrf)]).await.status(409);
    assert!(refused.text().contains("once the session has started"), "{}", refused.text());
    assert_eq!(stored(&s, ALICE, &r).outcome.attendance, None);

    clock.set(wed(10) + Duration::minutes(20));
    let before = mail_to(&s, "ben@example.org").len();
    b.post(&format!("/coach/bookings/{r}/no-show"), &[("csrf", &csrf)]).await.status(303);
    assert_eq!(stored(&s, ALICE, &r).outcome.attendance, Some(Attendance::NoShow));
    assert!(b.get(&format!("/coach/bookings/{r}")).await.text().contains("No-show"));
    let home = b.get("/coach/").await.text();
    let recent = home.split("id=\"recent-heading\"").nth(1).unwrap().split("</section>").next().unwrap();
    assert!(recent.contains(&r) && recent.contains("No-show"), "{recent}");
    b.post(&format!("/coach/bookings/{r}/attended"), &[("csrf", &csrf)]).await.status(303);
    assert_eq!(stored(&s, ALICE, &r).outcome.attendance, Some(Attendance::Attended));
    assert_eq!(mail_to(&s, "ben@example.org").len(), before, "attendance sends no mail");
    assert!(event_ics(&s, ALICE, ALICE_PW).await.contains("STATUS:CONFIRMED"));
}

#[tokio::test]
async fn a_change_in_the_calendar_app_shows_on_the_dashboard_at_once() {
    let clock = manual_clock();
    let s = server(&clock, None, |_| {}).await;
    let r = reference(&book(&s, ALICE, "trial", wed(10), "ben@example.org", "").await);
    let mut b = Browser::signed_in(&s, ALICE, ALICE_PW).await;
    let home = b.get("/coach/").await.text();
    let upcoming = home.split("id=\"upcoming-heading\"").nth(1).unwrap().split("</section>").next().unwrap();
    assert!(upcoming.contains(&r), "{upcoming}");

    // The coach cancels the event in their calendar app.
    let list = s
        .request("PROPFIND", "/dav/calendars/alice/sessions/")
        .as_user(ALICE)
        .depth("1")
        .xml(crate::common::propfind_props(&["D:getetag"]))
        .send()
        .await
        .status(207);
    let href = list.hrefs().into_iter().find(|h| h.ends_with(".ics")).unwrap();
    let ics = String::from_utf8(s.http.get(ALICE, &href).await.to_vec()).unwrap();
    let cancelled = ics.replace("STATUS:CONFIRMED", "STATUS:CANCELLED");
    s.request("PUT", &href).as_user(ALICE).header("Content-Type", "text/calendar").body(cancelled).send().await.status_in(&[201, 204]);

    let home = b.get("/coach/").await.text();
    let upcoming = home.split("id=\"upcoming-heading\"").nth(1).unwrap().split("</section>").next().unwrap();
    assert!(!upcoming.contains(&r), "no longer upcoming: {upcoming}");
    let cancellations = home.split("id=\"cancelled-heading\"").nth(1).unwrap();
    assert!(cancellations.contains(&r) && cancellations.contains("you, in your calendar app"), "{cancellations}");
    assert!(b.get(&format!("/coach/bookings/{r}")).await.text().contains("Cancelled by you, in your calendar app"));
}

#[tokio::test]
async fn what_students_type_is_escaped_and_bad_input_gets_a_readable_page() {
    let clock = manual_clock();
    let s = server(&clock, None, |_| {}).await;
    let r = reference(&book(&s, ALICE, "trial", wed(10), "ben@example.org", "<script>alert(1)</script>").await);
    let mut b = Browser::signed_in(&s, ALICE, ALICE_PW).await;
    for page in [b.get("/coach/").await.text(), b.get(&format!("/coach/bookings/{r}")).await.text()] {
        assert!(page.contains("&#60;script&#62;alert(1)&#60;/script&#62;") && !page.contains("<script>alert"), "{page}");
    }
    let csrf = b.csrf().await;
    let long = "x".repeat(slotdav::booking::service::MAX_COACH_MESSAGE + 1);
    let resp = b.post(&format!("/coach/bookings/{r}/cancel"), &[("csrf", &csrf), ("message", &long)]).await.status(422);
    assert!(resp.text().contains("longer than 2000 characters"), "{}", resp.text());
    assert_eq!(stored(&s, ALICE, &r).status, BookingStatus::Confirmed, "nothing was cancelled");
    let resp = b.get("/coach/bookings/%FF%FE").await.status(404);
    assert!(resp.text().contains("<h1>"), "a page, not a bare status");
    b.post(&format!("/coach/bookings/{r}/explode"), &[("csrf", &csrf)]).await.status(404);
    let big = "y".repeat(64 * 1024);
    b.post(&format!("/coach/bookings/{r}/cancel"), &[("csrf", &csrf), ("message", &big)]).await.status(413);
    assert_eq!(stored(&s, ALICE, &r).status, BookingStatus::Confirmed);
}

#[tokio::test]
async fn analytics_open_with_the_dashboard_session_and_a_browser_without_one_is_sent_to_sign_in() {
    let clock = manual_clock();
    let s = server(&clock, None, |c| c.admins = vec![ALICE.to_string()]).await;
    book(&s, ALICE, "trial", wed(10), "ben@example.org", "").await;
    // No session, no credentials: the sign-in form, not a Basic prompt.
    let mut anonymous = Browser::new(&s);
    let r = anonymous.get("/coach/analytics").await.status(303);
    assert_eq!(r.header("location"), Some("/coach/login"));

    let mut b = Browser::signed_in(&s, ALICE, ALICE_PW).await;
    assert!(b.get("/coach/").await.status(200).text().contains("href=\"/coach/analytics\""), "the dashboard links to analytics");
    let page = b.get("/coach/analytics").await.status(200).text();
    assert!(page.contains("<svg") && page.contains("role=\"img\""), "charts: {page}");
    let csv = b.get("/coach/analytics.csv?table=weekly").await.status(200);
    assert!(csv.header("content-type").is_some_and(|t| t.starts_with("text/csv")));
    // An admin reaches every coach's figures under /coach/admin/, where the
    // session cookie is sent; Bob, no admin, does not.
    b.get("/coach/admin/analytics").await.status(200);
    let mut bob = Browser::signed_in(&s, BOB, BOB_PW).await;
    bob.get("/coach/admin/analytics").await.status(403);
    bob.get("/coach/analytics").await.status(200);
}
