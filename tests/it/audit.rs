//! The audit trail (issue 13 §3) over real HTTP, CalDAV and the real
//! binary: each path names its actor (student page, JSON API, calendar
//! app, command line, hold expiry) with the fields that changed, and
//! entries older than `audit_retention` are pruned. Time is a ManualClock.

use std::path::Path;
use std::sync::Arc;

use chrono::{DateTime, Duration, TimeZone, Utc};
use serde_json::{json, Value};

use slotdav::admin::{self, AdminCommand};
use slotdav::audit::{self, AuditEntry, AuditQuery, Subject};
use slotdav::booking::Actor;
use slotdav::clock::{Clock, ManualClock};
use slotdav::config::Config;

use crate::common::{BinEnv, Resp, TestServer, ALICE};

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
hold_ttl = "10m"
"#;

/// Monday 2030-03-04 09:00 Berlin.
fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2030, 3, 4, 8, 0, 0).unwrap()
}

/// Wednesday 2030-03-06 at `h`:00 Berlin (UTC+1).
fn wed(h: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2030, 3, 6, h - 1, 0, 0).unwrap()
}

async fn server(clock: &Arc<ManualClock>, configure: impl FnOnce(&mut Config)) -> TestServer {
    let coaches = Config::parse(COACH, Path::new("test.toml")).expect("coach config").coaches;
    let clock: Arc<dyn Clock> = clock.clone();
    TestServer::builder()
        .config(|c| {
            c.coaches = coaches;
            configure(c);
        })
        .start_with_clock(clock)
        .await
}

async fn post_json(s: &TestServer, path: &str, body: Value) -> Resp {
    s.request("POST", path).header("Content-Type", "application/json").body(body.to_string()).send().await
}

fn json_of(r: &Resp) -> Value {
    serde_json::from_slice(&r.bytes).unwrap_or_else(|e| panic!("not JSON ({e}): {}", r.describe()))
}

async fn hold(s: &TestServer, start: DateTime<Utc>) -> String {
    let r = post_json(s, "/api/v1/coaches/alice/event-types/lesson/holds", json!({"start": start.to_rfc3339()})).await.status(201);
    json_of(&r)["hold_id"].as_str().unwrap().to_string()
}

/// Books through the JSON API; returns (booking id, reference, manage token).
async fn book_api(s: &TestServer, start: DateTime<Utc>, email: &str) -> (String, String, String) {
    let hold_id = hold(s, start).await;
    let r = post_json(s, &format!("/api/v1/holds/{hold_id}/confirm"), json!({"name": "Ben Student", "email": email})).await.status(201);
    let b = json_of(&r);
    let token = b["manage_token"].as_str().unwrap().to_string();
    let id = s.app.booking.booking(&token).unwrap().id;
    (id, b["reference"].as_str().unwrap().to_string(), token)
}

fn form_body(fields: &[(&str, &str)]) -> String {
    let mut s = form_urlencoded::Serializer::new(String::new());
    for (k, v) in fields {
        s.append_pair(k, v);
    }
    s.finish()
}

async fn form_post(s: &TestServer, path: &str, cookie: &str, fields: &[(&str, &str)]) -> Resp {
    s.request("POST", path)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .header("Cookie", cookie)
        .body(form_body(fields))
        .send()
        .await
}

fn actions(entries: &[AuditEntry]) -> Vec<(&str, &Actor)> {
    entries.iter().map(|e| (e.action.as_str(), &e.actor)).collect()
}

fn change<'a>(e: &'a AuditEntry, field: &str) -> Option<(Option<&'a str>, Option<&'a str>)> {
    e.changes.iter().find(|c| c.field == field).map(|c| (c.before.as_deref(), c.after.as_deref()))
}

fn student(email: &str) -> Actor {
    Actor::Student { email: email.into() }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_booking_and_cancellation_through_the_api_name_the_student_with_before_and_after() {
    let clock = Arc::new(ManualClock::new(t0()));
    let s = server(&clock, |_| {}).await;
    let (id, reference, token) = book_api(&s, wed(10), "ben@example.org").await;
    post_json(&s, &format!("/api/v1/bookings/{token}/cancel"), json!({})).await.status(200);

    let entries = audit::for_booking(&*s.storage, &id).unwrap();
    assert_eq!(
        actions(&entries),
        vec![("booking.booked", &student("ben@example.org")), ("booking.cancelled-by-student", &student("ben@example.org"))]
    );
    let booked = &entries[0];
    assert_eq!(booked.subject, Subject::Booking { id: id.clone(), reference: reference.clone() });
    assert_eq!(booked.coach.as_deref(), Some("alice"));
    assert_eq!(booked.at, t0());
    assert_eq!(change(booked, "status"), Some((None, Some("confirmed"))));
    assert_eq!(change(booked, "start"), Some((None, Some("2030-03-06T09:00:00Z"))));
    let cancelled = &entries[1];
    assert_eq!(change(cancelled, "status"), Some((Some("confirmed"), Some("cancelled"))));
    assert_eq!(change(cancelled, "cancelled_by"), Some((None, Some("student"))));
    assert_eq!(change(cancelled, "start"), None, "only what changed");

    // The same trail by reference, and the holds it used, per coach.
    let (by_ref, _) = audit::query(&*s.storage, &AuditQuery { booking: Some(reference), ..Default::default() }).unwrap();
    assert_eq!(by_ref, entries);
    let (by_coach, _) = audit::query(&*s.storage, &AuditQuery { coach: Some(ALICE.into()), ..Default::default() }).unwrap();
    let names: Vec<&str> = by_coach.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(names, ["hold.placed", "booking.booked", "booking.cancelled-by-student"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_booking_on_the_student_pages_names_the_student() {
    let clock = Arc::new(ManualClock::new(t0()));
    let s = server(&clock, |_| {}).await;
    let page = s.request("GET", "/book/alice/lesson?week=2030-03-04&tz=Europe/Berlin").send().await.status(200);
    let cookie = page.header("set-cookie").and_then(|c| c.split(';').next()).expect("csrf cookie").to_string();
    let text = page.text();
    let csrf = text.split("name=\"csrf\" value=\"").nth(1).and_then(|s| s.split('"').next()).expect("csrf field").to_string();
    let start = wed(11).to_rfc3339();
    let r = form_post(&s, "/book/alice/lesson/hold", &cookie, &[("csrf", &csrf), ("start", &start), ("tz", "Europe/Berlin")]).await.status(303);
    let hold_page = r.header("location").unwrap().split('?').next().unwrap().to_string();
    form_post(&s, &hold_page, &cookie, &[("csrf", &csrf), ("name", "Cy Student"), ("email", "cy@example.org")]).await.status(303);

    let (entries, _) = audit::query(&*s.storage, &AuditQuery::default()).unwrap();
    let booked = entries.iter().find(|e| e.action == "booking.booked").expect("booked entry");
    assert_eq!(booked.actor, student("cy@example.org"));
    assert_eq!(change(booked, "student_name"), Some((None, Some("Cy Student"))));
    assert_eq!(change(booked, "start"), Some((None, Some("2030-03-06T10:00:00Z"))));
}

/// The bookings calendar's object holding the booking with `reference`.
async fn booking_event(s: &TestServer, reference: &str) -> (String, String) {
    let r = s
        .request("PROPFIND", "/dav/calendars/alice/sessions/")
        .as_user(ALICE)
        .depth("1")
        .xml(crate::common::propfind_props(&["D:getetag"]))
        .send()
        .await
        .status(207);
    for href in r.hrefs().into_iter().filter(|h| h.ends_with(".ics")) {
        let text = String::from_utf8_lossy(&s.http.get(ALICE, &href).await).replace("\r\n ", "");
        if text.contains(reference) {
            return (href, text);
        }
    }
    panic!("no event for {reference}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_coach_cancelling_in_the_calendar_app_is_named_as_the_coach() {
    let clock = Arc::new(ManualClock::new(t0()));
    let s = server(&clock, |_| {}).await;
    // STATUS:CANCELLED over CalDAV PUT.
    let (id, reference, _) = book_api(&s, wed(10), "ben@example.org").await;
    let (href, ics) = booking_event(&s, &reference).await;
    let cancelled = ics.replace("STATUS:CONFIRMED", "STATUS:CANCELLED");
    assert_ne!(cancelled, ics);
    s.request("PUT", &href).as_user(ALICE).header("Content-Type", "text/calendar").body(cancelled).send().await.status(204);
    let entries = audit::for_booking(&*s.storage, &id).unwrap();
    let coach = Actor::CoachCalendar { coach: ALICE.into() };
    assert_eq!(actions(&entries), vec![("booking.booked", &student("ben@example.org")), ("booking.cancelled-by-coach", &coach)]);
    assert_eq!(change(&entries[1], "status"), Some((Some("confirmed"), Some("cancelled"))));
    assert_eq!(change(&entries[1], "cancelled_by"), Some((None, Some("coach-calendar"))));

    // DELETE of the event.
    let (id, reference, _) = book_api(&s, wed(14), "cy@example.org").await;
    let (href, _) = booking_event(&s, &reference).await;
    s.request("DELETE", &href).as_user(ALICE).send().await.status(204);
    let entries = audit::for_booking(&*s.storage, &id).unwrap();
    assert_eq!(entries.len(), 2, "{entries:?}");
    assert_eq!((entries[1].action.as_str(), &entries[1].actor), ("booking.cancelled-by-coach", &coach));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_hold_is_recorded_as_the_systems_doing() {
    let clock = Arc::new(ManualClock::new(t0()));
    let s = server(&clock, |_| {}).await;
    let hold_id = hold(&s, wed(10)).await;
    clock.advance(Duration::minutes(11));
    assert_eq!(s.app.booking.sweep_holds().unwrap(), 1);
    let (entries, _) = audit::query(&*s.storage, &AuditQuery { coach: Some(ALICE.into()), ..Default::default() }).unwrap();
    assert_eq!(entries.len(), 2, "{entries:?}");
    assert!(entries.iter().all(|e| e.subject == Subject::Hold { id: hold_id.clone() }));
    assert_eq!(entries[0].action, "hold.placed");
    assert_eq!(entries[0].actor, student(""));
    assert_eq!(change(&entries[0], "start"), Some((None, Some("2030-03-06T09:00:00Z"))));
    assert_eq!(entries[1].action, "hold.expired");
    assert_eq!(entries[1].actor, Actor::System { cause: "hold expiry".into() });
    assert_eq!(entries[1].at, t0() + Duration::minutes(11));
    assert_eq!(change(&entries[1], "start"), Some((Some("2030-03-06T09:00:00Z"), None)));
    // --since keeps only the expiry.
    let since = AuditQuery { coach: Some(ALICE.into()), since: Some(t0() + Duration::minutes(1)), ..Default::default() };
    assert_eq!(audit::query(&*s.storage, &since).unwrap().0.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn entries_older_than_audit_retention_are_pruned_with_their_indexes() {
    let clock = Arc::new(ManualClock::new(t0()));
    let s = server(&clock, |c| c.audit_retention = Duration::days(30)).await;
    let (old_id, old_ref, _) = book_api(&s, wed(10), "ben@example.org").await;
    clock.advance(Duration::days(20));
    let (new_id, _, _) = book_api(&s, t0() + Duration::days(22) + Duration::hours(2), "cy@example.org").await;
    let retention = s.app.config.audit_retention;

    assert_eq!(audit::prune(&*s.storage, clock.now(), retention).unwrap(), 0, "nothing is 30 days old yet");
    clock.advance(Duration::days(11));
    assert_eq!(audit::prune(&*s.storage, clock.now(), retention).unwrap(), 2, "the first hold and booking");
    assert!(audit::for_booking(&*s.storage, &old_id).unwrap().is_empty());
    let by_ref = AuditQuery { booking: Some(old_ref), ..Default::default() };
    assert!(audit::query(&*s.storage, &by_ref).unwrap().0.is_empty());
    assert_eq!(audit::for_booking(&*s.storage, &new_id).unwrap().len(), 1, "the newer one stays");
    for table in ["audit-booking", "audit-reference", "audit-coach"] {
        let keys = s.storage.records(table, "").unwrap();
        assert!(keys.iter().all(|(_, v)| s.storage.record(&slotdav::storage::RecordKey::new("audit", String::from_utf8_lossy(v))).unwrap().is_some()), "{table}: no dangling index keys");
    }
    assert_eq!(audit::query(&*s.storage, &AuditQuery::default()).unwrap().0.len(), 2);
}

fn json_lines(out: &str) -> Vec<Value> {
    out.lines().map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}"))).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_commands_are_audited_with_and_without_a_running_server() {
    let env = BinEnv::new("");
    env.cli(&["user", "add", "carol", "--email", "carol@example.org"], "first-pw\n").success();
    let out = env.cli(&["audit", "--json"], "").success();
    let lines = json_lines(&out.stdout);
    assert_eq!(lines.len(), 1, "{}", out.stdout);
    assert_eq!(lines[0]["action"], "user.added");
    assert_eq!(lines[0]["actor"], "admin");
    assert_eq!(lines[0]["user"], "carol");
    assert_eq!(lines[0]["changes"], json!([{"field": "email", "before": null, "after": "carol@example.org"}]));

    // Through the running server's admin socket.
    let server = env.spawn();
    env.cli(&["user", "passwd", "carol"], "second-pw\n").success();
    env.cli(&["user", "remove", "carol"], "").success();
    let out = env.cli(&["audit", "--json", "--since", "2000-01-01"], "").success();
    let names: Vec<String> = json_lines(&out.stdout).iter().map(|l| l["action"].as_str().unwrap().to_string()).collect();
    assert!(names.ends_with(&["user.password-changed".to_string(), "user.removed".to_string()]), "{names:?}");
    let text = env.cli(&["audit"], "").success().stdout;
    assert!(text.lines().any(|l| l.contains("user.removed") && l.contains("admin (command line)") && l.contains("user carol")), "{text}");
    let bad = env.cli(&["audit", "--since", "yesterday"], "");
    assert_ne!(bad.code, Some(0));
    assert!(bad.stderr.contains("--since"), "{bad:?}");
    assert_eq!(server.terminate(), Some(0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn publishing_and_revoking_a_feed_is_audited_as_the_admin() {
    let clock = Arc::new(ManualClock::new(t0()));
    let s = server(&clock, |_| {}).await;
    // The first DAV request makes alice's home and default calendar.
    s.request("PROPFIND", "/dav/calendars/alice/").as_user(ALICE).depth("1").send().await.status(207);
    let base_url = "http://slotdav.example".to_string();
    let add = AdminCommand::FeedAdd { user: ALICE.into(), calendar: "calendar".into(), base_url: base_url.clone() };
    let out = admin::execute(&*s.storage, add, t0()).unwrap();
    let token = out.split("/feeds/").nth(1).and_then(|t| t.split(".ics").next()).expect("feed URL").to_string();
    admin::execute(&*s.storage, AdminCommand::FeedRevoke { token: token.clone() }, t0() + Duration::minutes(1)).unwrap();
    assert!(admin::execute(&*s.storage, AdminCommand::FeedRevoke { token }, t0()).is_err());

    let (entries, _) = audit::query(&*s.storage, &AuditQuery::default()).unwrap();
    let feed = Subject::Feed { user: ALICE.into(), calendar: "calendar".into() };
    let got: Vec<_> = entries.iter().map(|e| (e.action.as_str(), &e.actor, &e.subject)).collect();
    assert_eq!(got, vec![("feed.added", &Actor::Admin, &feed), ("feed.revoked", &Actor::Admin, &feed)], "a failed revoke records nothing");
    let listing = admin::execute(&*s.storage, AdminCommand::Audit { coach: None, since: None, booking: None, json: false }, t0()).unwrap();
    assert!(listing.lines().nth(1).is_some_and(|l| l.contains("feed.revoked") && l.contains("feed alice/calendar")), "{listing}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reminder_sent_is_recorded_as_the_systems_doing() {
    let clock = Arc::new(ManualClock::new(t0()));
    let s = server(&clock, |_| {}).await;
    let (id, reference, _) = book_api(&s, wed(10), "ben@example.org").await;
    s.app.outbox.run_due().await.unwrap();
    assert_eq!(audit::for_booking(&*s.storage, &id).unwrap().len(), 1, "the booking mail is not audited");
    // 24 hours before the session (the default reminders are 24h and 1h).
    clock.set(wed(10) - Duration::hours(24) + Duration::minutes(1));
    let report = s.app.outbox.run_due().await.unwrap();
    assert_eq!(report.sent, 1, "{report:?}");

    let entries = audit::for_booking(&*s.storage, &id).unwrap();
    assert_eq!(entries.len(), 2, "{entries:?}");
    let sent = &entries[1];
    assert_eq!((sent.action.as_str(), &sent.actor), ("booking.reminder-sent", &Actor::System { cause: "reminder".into() }));
    assert_eq!(sent.subject, Subject::Booking { id: id.clone(), reference: reference.clone() });
    assert_eq!(sent.coach.as_deref(), Some(ALICE));
    assert_eq!(change(sent, "to"), Some((None, Some("ben@example.org"))));
    assert_eq!(change(sent, "before_start"), Some((None, Some("1440m"))));
    let (by_ref, _) = audit::query(&*s.storage, &AuditQuery { booking: Some(reference), ..Default::default() }).unwrap();
    assert_eq!(by_ref, entries);
}

/// The entry is in the booking's batch: a booking the store refuses (the
/// coach's home is full) leaves no entry behind, and the same hold books
/// with exactly one entry once there is room.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_booking_leaves_no_audit_entry() {
    let clock = Arc::new(ManualClock::new(t0()));
    let s = server(&clock, |_| {}).await;
    let hold_id = hold(&s, wed(10)).await;
    s.storage.set_quota(0);
    let confirm = json!({"name": "Ben Student", "email": "ben@example.org"});
    post_json(&s, &format!("/api/v1/holds/{hold_id}/confirm"), confirm.clone()).await.status(507);
    let booked = |s: &TestServer| audit::query(&*s.storage, &AuditQuery::default()).unwrap().0.into_iter().filter(|e| e.action == "booking.booked").count();
    assert_eq!(booked(&s), 0);
    s.storage.set_quota(u64::MAX);
    post_json(&s, &format!("/api/v1/holds/{hold_id}/confirm"), confirm).await.status(201);
    assert_eq!(booked(&s), 1);
}
