//! Guardians (issue 11 §4) over real HTTP with a real SMTP sink: a
//! booking with a guardian sends them the invitation, a reschedule's
//! update, the reminder and the cancellation, each with their own manage
//! link; the VEVENT read over CalDAV has the guardian as a NON-PARTICIPANT
//! ATTENDEE (a series' one recurring VEVENT too); `guardian = "required"`
//! refuses a booking without one on the page and in the API; a read-only
//! guardian link (`guardian_can_manage = false`) shows the booking but
//! cannot cancel or move it, and an allowed one can cancel.

use std::sync::Arc;

use chrono::{DateTime, Duration, TimeZone, Utc};
use serde_json::{json, Value};

use slotdav::clock::{Clock, ManualClock};
use slotdav::config::Config;
use slotdav::mail::MailTransport;

use crate::common::{Resp, TestServer, ALICE, ALICE_PW};
use crate::mail::{Mime, Sink};

const COACH_TOML: &str = r#"
[[coach]]
user = "alice"
display_name = "Alice Coach"
timezone = "Europe/Berlin"
guardian = "optional"
working_hours = { mon = ["09:00-17:00"], tue = ["09:00-17:00"], wed = ["09:00-17:00"], thu = ["09:00-17:00"], fri = ["09:00-17:00"] }

[[coach.event_type]]
slug = "lesson"
title = "Maths lesson"
duration = "1h"
reminders = ["24h"]
repeat = ["1w"]

[[coach.event_type]]
slug = "kids"
title = "Kids class"
duration = "1h"
guardian = "required"
guardian_can_manage = false

[[coach.event_type]]
slug = "kidsgroup"
title = "Kids group"
duration = "1h"
seats = 1
waitlist = true
guardian = "required"

[[coach.event_type]]
slug = "approved"
title = "Approved lesson"
duration = "1h"
reschedule_requires_approval = true

[[coach.event_type]]
slug = "adults"
title = "Adult class"
duration = "1h"
guardian = "off"
"#;

/// Monday 4 March 2030, 09:00 in Berlin.
fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2030, 3, 4, 8, 0, 0).unwrap()
}

/// Wednesday 6 March 2030 at `h`:00 in Berlin (UTC+1).
fn wed(h: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2030, 3, 6, h - 1, 0, 0).unwrap()
}

async fn server(sink: &Sink, clock: &Arc<ManualClock>) -> TestServer {
    let coaches = Config::parse(COACH_TOML, std::path::Path::new("test.toml")).expect("coach config").coaches;
    let port = sink.port();
    let clock: Arc<dyn Clock> = clock.clone();
    TestServer::builder()
        .user_with_email(ALICE, ALICE_PW, "alice@coach.example")
        .config(move |c| {
            c.coaches = coaches;
            c.rate_limit_per_minute = 100_000;
            c.mail.transport = MailTransport::Smtp;
            c.mail.smtp_host = "127.0.0.1".into();
            c.mail.smtp_port = port;
            c.mail.smtp_timeout = std::time::Duration::from_secs(5);
        })
        .start_with_clock(clock)
        .await
}

async fn post(s: &TestServer, path: &str, body: Value) -> Resp {
    s.request("POST", path).header("Content-Type", "application/json").body(body.to_string()).send().await
}

fn json_of(r: &Resp) -> Value {
    serde_json::from_slice(&r.bytes).unwrap_or_else(|e| panic!("not JSON ({e}): {}", r.describe()))
}

async fn hold(s: &TestServer, et: &str, body: Value) -> String {
    let r = post(s, &format!("/api/v1/coaches/alice/event-types/{et}/holds"), body).await.status(201);
    json_of(&r)["hold_id"].as_str().unwrap().to_string()
}

fn pat() -> Value {
    json!({"name": "Pat Parent", "email": "pat@example.org"})
}

/// Books `et` at `start` for Ben with `guardian` (or none); the answer.
async fn book(s: &TestServer, et: &str, start: DateTime<Utc>, guardian: Option<Value>) -> Resp {
    let h = hold(s, et, json!({"start": start.to_rfc3339()})).await;
    let mut body = json!({"name": "Ben Student", "email": "ben@example.org"});
    if let Some(g) = guardian {
        body["guardian"] = g;
    }
    post(s, &format!("/api/v1/holds/{h}/confirm"), body).await
}

async fn send_mail(s: &TestServer) {
    s.app.outbox.run_due().await.expect("outbox run");
}

/// The plain-text part of a message.
fn text_of(m: &Mime) -> String {
    m.all()
        .into_iter()
        .find(|p| p.header("Content-Type").is_some_and(|c| c.to_ascii_lowercase().starts_with("text/plain")))
        .map(|p| p.body.replace("=\r\n", ""))
        .unwrap_or_default()
}

/// The mails to `rcpt` whose subject starts with `prefix`.
fn mails(sink: &Sink, rcpt: &str, prefix: &str) -> Vec<Mime> {
    sink.to(rcpt).into_iter().filter(|m| m.subject().starts_with(prefix)).collect()
}

/// The manage token in a message's link.
fn manage_token_in(m: &Mime) -> String {
    let text = text_of(m);
    let rest = text.split("/book/manage/").nth(1).unwrap_or_else(|| panic!("no manage link in {text}"));
    rest.split(|c: char| c.is_whitespace() || c == '?').next().unwrap().to_string()
}

/// The coach's bookings calendar, unfolded, as CalDAV returns it.
async fn sessions_calendar(s: &TestServer) -> String {
    s.request("REPORT", "/dav/calendars/alice/sessions/")
        .as_user(ALICE)
        .depth("1")
        .xml(r#"<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><C:calendar-data/></D:prop><C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT"/></C:comp-filter></C:filter></C:calendar-query>"#)
        .send()
        .await
        .status(207)
        .text()
        .replace("&#13;", "")
        .replace("\r\n ", "")
        .replace("\n ", "")
}

fn error_code(r: &Resp) -> String {
    json_of(r)["error"].as_str().unwrap_or_default().to_string()
}

#[tokio::test]
async fn the_guardian_receives_the_invitation_the_update_the_reminder_and_the_cancellation() {
    let sink = Sink::start().await;
    let clock = Arc::new(ManualClock::new(t0()));
    let s = server(&sink, &clock).await;
    let booked = json_of(&book(&s, "lesson", wed(10), Some(pat())).await.status(201));
    assert_eq!(booked["guardian"], pat());
    let token = booked["manage_token"].as_str().unwrap().to_string();

    // The VEVENT names the guardian as a NON-PARTICIPANT attendee.
    let calendar = sessions_calendar(&s).await;
    let attendee = calendar.lines().find(|l| l.starts_with("ATTENDEE") && l.contains("mailto:pat@example.org")).unwrap_or_else(|| panic!("{calendar}"));
    assert!(attendee.contains("ROLE=NON-PARTICIPANT") && attendee.contains("CN=Pat Parent"), "{attendee}");
    assert!(calendar.contains("mailto:ben@example.org"), "the student stays an attendee");

    // The invitation: an iMIP REQUEST to the guardian, with their own link.
    send_mail(&s).await;
    let invitation = mails(&sink, "pat@example.org", "Booked: Maths lesson");
    assert_eq!(invitation.len(), 1, "{:?}", sink.to("pat@example.org").iter().map(Mime::subject).collect::<Vec<_>>());
    let (method, object) = invitation[0].calendar().expect("an iMIP part");
    assert_eq!(method.to_ascii_uppercase(), "REQUEST");
    assert!(object.raw().contains("ROLE=NON-PARTICIPANT"), "{}", object.raw());
    assert!(text_of(&invitation[0]).contains("Ben Student's session"), "{}", text_of(&invitation[0]));
    let guardian_token = manage_token_in(&invitation[0]);
    assert_ne!(guardian_token, token, "the guardian has a link of their own");
    let student_mail = mails(&sink, "ben@example.org", "Booked: Maths lesson");
    assert_eq!(manage_token_in(&student_mail[0]), token);
    let seen = json_of(&s.request("GET", &format!("/api/v1/bookings/{guardian_token}")).send().await.status(200));
    assert_eq!(seen["reference"], booked["reference"]);

    // A reschedule by the student: the guardian gets the update.
    let moved = post(&s, &format!("/api/v1/bookings/{token}/reschedule"), json!({"start": wed(14).to_rfc3339()})).await.status(200);
    assert_eq!(json_of(&moved)["guardian"], pat());
    send_mail(&s).await;
    let update = mails(&sink, "pat@example.org", "Rescheduled: Maths lesson");
    assert_eq!(update.len(), 1);
    assert_eq!(update[0].calendar().expect("an iMIP part").0.to_ascii_uppercase(), "REQUEST");
    assert!(text_of(&update[0]).contains("Ben Student moved it"), "{}", text_of(&update[0]));

    // The reminder, a day before the new time.
    clock.set(wed(14) - Duration::hours(24) + Duration::minutes(1));
    send_mail(&s).await;
    let reminders = mails(&sink, "pat@example.org", "Reminder: Maths lesson");
    assert_eq!(reminders.len(), 1, "one reminder for the guardian");
    assert!(text_of(&reminders[0]).contains("Ben Student's session with Alice Coach starts in"), "{}", text_of(&reminders[0]));
    assert_eq!(mails(&sink, "ben@example.org", "Reminder: Maths lesson").len(), 1, "and one for the student");

    // The guardian's link may cancel (guardian_can_manage defaults to true);
    // both are told, the student that the guardian did it.
    let cancelled = post(&s, &format!("/api/v1/bookings/{guardian_token}/cancel"), json!({})).await.status(200);
    assert_eq!(json_of(&cancelled)["status"], "cancelled");
    send_mail(&s).await;
    let to_guardian = mails(&sink, "pat@example.org", "Cancelled: Maths lesson");
    assert_eq!(to_guardian.len(), 1);
    assert_eq!(to_guardian[0].calendar().expect("an iMIP CANCEL").0.to_ascii_uppercase(), "CANCEL");
    let to_student = mails(&sink, "ben@example.org", "Cancelled: Maths lesson");
    assert_eq!(to_student.len(), 1);
    assert!(text_of(&to_student[0]).contains("Pat Parent (your parent or guardian) has cancelled your session"), "{}", text_of(&to_student[0]));
}

#[tokio::test]
async fn a_student_cancelling_tells_the_guardian() {
    let sink = Sink::start().await;
    let clock = Arc::new(ManualClock::new(t0()));
    let s = server(&sink, &clock).await;
    let booked = json_of(&book(&s, "kids", wed(11), Some(pat())).await.status(201));
    let token = booked["manage_token"].as_str().unwrap();
    post(&s, &format!("/api/v1/bookings/{token}/cancel"), json!({})).await.status(200);
    send_mail(&s).await;
    let told = mails(&sink, "pat@example.org", "Cancelled: Kids class");
    assert_eq!(told.len(), 1);
    assert!(text_of(&told[0]).contains("Ben Student has cancelled the session"), "{}", text_of(&told[0]));
}

#[tokio::test]
async fn a_series_carries_the_guardian_in_its_one_recurring_vevent() {
    let sink = Sink::start().await;
    let clock = Arc::new(ManualClock::new(t0()));
    let s = server(&sink, &clock).await;
    let h = hold(&s, "lesson", json!({"start": wed(10).to_rfc3339(), "repeat": {"every": "1w", "count": 3}})).await;
    let body = json!({"name": "Ben Student", "email": "ben@example.org", "guardian": pat()});
    let booked = json_of(&post(&s, &format!("/api/v1/holds/{h}/confirm"), body).await.status(201));
    assert_eq!(booked["guardian"], pat());
    let calendar = sessions_calendar(&s).await;
    assert!(calendar.contains("RRULE:FREQ=WEEKLY;INTERVAL=1;COUNT=3"), "{calendar}");
    assert!(calendar.lines().any(|l| l.starts_with("ATTENDEE") && l.contains("ROLE=NON-PARTICIPANT") && l.contains("mailto:pat@example.org")), "{calendar}");
    send_mail(&s).await;
    let invitation = mails(&sink, "pat@example.org", "Booked: Maths lesson");
    assert_eq!(invitation.len(), 1, "one invitation for the series");
    assert!(invitation[0].calendar().expect("an iMIP part").1.raw().contains("RRULE:FREQ=WEEKLY"));
}

#[tokio::test]
async fn required_refuses_a_booking_without_a_guardian_in_the_api() {
    let sink = Sink::start().await;
    let clock = Arc::new(ManualClock::new(t0()));
    let s = server(&sink, &clock).await;
    // A refused confirm keeps the hold, so one hold takes every attempt.
    let h = hold(&s, "kids", json!({"start": wed(10).to_rfc3339()})).await;
    let server = &s;
    let path = format!("/api/v1/holds/{h}/confirm");
    let path = path.as_str();
    let confirm = |guardian: Option<Value>| {
        let mut body = json!({"name": "Ben Student", "email": "ben@example.org"});
        if let Some(g) = guardian {
            body["guardian"] = g;
        }
        post(server, path, body)
    };
    for guardian in [None, Some(json!({"name": "", "email": ""})), Some(json!({"name": "Pat", "email": "not an address"})), Some(json!({"name": "Pat", "email": "ben@example.org"}))] {
        let r = confirm(guardian.clone()).await.status(422);
        assert_eq!(error_code(&r), "invalid_input", "{guardian:?}");
        assert!(json_of(&r)["message"].as_str().unwrap().contains("guardian"), "{guardian:?}: {}", r.text());
    }
    assert_eq!(json_of(&confirm(Some(pat())).await.status(201))["guardian"], pat());
    // "off" ignores a guardian given; "optional" books without one.
    let adult = json_of(&book(&s, "adults", wed(12), Some(pat())).await.status(201));
    assert!(adult.get("guardian").is_none(), "{adult}");
    let alone = json_of(&book(&s, "lesson", wed(13), None).await.status(201));
    assert!(alone.get("guardian").is_none(), "{alone}");
    let listed = json_of(&s.request("GET", "/api/v1/coaches/alice/event-types").send().await.status(200));
    let policies: Vec<&str> = listed["event_types"].as_array().unwrap().iter().map(|t| t["guardian"].as_str().unwrap()).collect();
    assert_eq!(policies, ["optional", "required", "required", "optional", "off"]);
}

#[tokio::test]
async fn required_refuses_a_booking_without_a_guardian_on_the_page() {
    let sink = Sink::start().await;
    let clock = Arc::new(ManualClock::new(t0()));
    let s = server(&sink, &clock).await;
    let h = hold(&s, "kids", json!({"start": wed(10).to_rfc3339()})).await;
    let page = s.request("GET", &format!("/book/hold/{h}")).send().await.status(200);
    let html = page.text();
    assert!(html.contains(r#"<input type="text" id="guardian_name" name="guardian_name""#) && html.contains(r#"name="guardian_email""#), "{html}");
    assert!(!html.contains("Parent or guardian (optional)"), "required is not optional: {html}");
    let cookie = page.header("set-cookie").expect("csrf cookie").split(';').next().unwrap().to_string();
    let csrf = html.split("name=\"csrf\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_string();
    let submit = |body: String| {
        s.request("POST", &format!("/book/hold/{h}"))
            .header("Cookie", &cookie)
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
    };
    let refused = submit(format!("csrf={csrf}&name=Ben+Student&email=ben%40example.org")).await.status(422).text();
    assert!(refused.contains("guardian") && refused.contains("s name and email"), "{refused}");
    assert!(refused.contains(r#"value="Ben Student""#), "what was typed is kept: {refused}");
    let bad = submit(format!("csrf={csrf}&name=Ben&email=ben%40example.org&guardian_name=Pat&guardian_email=pat")).await.status(422).text();
    assert!(bad.contains("is not an email address"), "{bad}");
    let booked = submit(format!("csrf={csrf}&name=Ben&email=ben%40example.org&guardian_name=Pat+Parent&guardian_email=pat%40example.org")).await.status(303);
    assert!(booked.header("location").unwrap().starts_with("/book/manage/"));
    assert!(sessions_calendar(&s).await.contains("mailto:pat@example.org"));
    // "off": no guardian fields on the form.
    let h = hold(&s, "adults", json!({"start": wed(12).to_rfc3339()})).await;
    s.request("GET", &format!("/book/hold/{h}")).send().await.status(200).lacks("guardian_name");
    let h = hold(&s, "lesson", json!({"start": wed(13).to_rfc3339()})).await;
    s.request("GET", &format!("/book/hold/{h}")).send().await.status(200).contains("Parent or guardian (optional)");
}

#[tokio::test]
async fn a_read_only_guardian_link_shows_the_booking_but_cannot_cancel_or_move_it() {
    let sink = Sink::start().await;
    let clock = Arc::new(ManualClock::new(t0()));
    let s = server(&sink, &clock).await;
    let booked = json_of(&book(&s, "kids", wed(10), Some(pat())).await.status(201));
    send_mail(&s).await;
    let invitation = mails(&sink, "pat@example.org", "Booked: Kids class");
    assert_eq!(invitation.len(), 1);
    assert!(text_of(&invitation[0]).contains("See the booking:"), "{}", text_of(&invitation[0]));
    let guardian_token = manage_token_in(&invitation[0]);

    // The API refuses changes with the guardian's link: 403 read_only.
    let r = post(&s, &format!("/api/v1/bookings/{guardian_token}/cancel"), json!({})).await.status(403);
    assert_eq!(error_code(&r), "read_only");
    let r = post(&s, &format!("/api/v1/bookings/{guardian_token}/reschedule"), json!({"start": wed(14).to_rfc3339()})).await.status(403);
    assert_eq!(error_code(&r), "read_only");
    let seen = json_of(&s.request("GET", &format!("/api/v1/bookings/{guardian_token}")).send().await.status(200));
    assert_eq!((seen["status"].as_str(), seen["reference"].clone()), (Some("confirmed"), booked["reference"].clone()));
    // The refused move held nothing: the slot is still open.
    book(&s, "kids", wed(14), Some(json!({"name": "Quinn", "email": "quinn@example.org"}))).await.status(201);

    // The page shows the booking, without the forms.
    let page = s.request("GET", &format!("/book/manage/{guardian_token}")).send().await.status(200);
    let html = page.text();
    assert!(html.contains(booked["reference"].as_str().unwrap()) && html.contains("parent or guardian"), "{html}");
    assert!(!html.contains("Cancel this booking") && !html.contains("Choose another time"), "{html}");
    // In German, no English left (before: these two texts stayed English).
    let de = s.request("GET", &format!("/book/manage/{guardian_token}?lang=de")).send().await.status(200).text();
    assert!(de.contains("als Elternteil oder Erziehungsberechtigte(r)") && de.contains("Mit diesem Link lässt sich die Buchung weder verschieben noch stornieren"), "{de}");
    assert!(!de.contains("parent or guardian") && !de.contains("cannot move or cancel"), "{de}");
    let cookie = page.header("set-cookie").expect("csrf cookie").split(';').next().unwrap().to_string();
    let csrf = html.split("name=\"csrf\" value=\"").nth(1).map(|r| r.split('"').next().unwrap().to_string());
    let csrf = csrf.unwrap_or_else(|| cookie.split('=').nth(1).unwrap().to_string());
    s.request("POST", &format!("/book/manage/{guardian_token}/cancel"))
        .header("Cookie", &cookie)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(format!("csrf={csrf}"))
        .send()
        .await
        .status(403)
        .contains("This link is read-only");
    let still = json_of(&s.request("GET", &format!("/api/v1/bookings/{}", booked["manage_token"].as_str().unwrap())).send().await.status(200));
    assert_eq!(still["status"], "confirmed", "nothing was cancelled");

    // A forged or foreign token is no booking.
    let forged = format!("{}x", guardian_token);
    s.request("GET", &format!("/api/v1/bookings/{forged}")).send().await.status(404);
}

/// Regression: claiming a waitlist offer on the page without the guardian
/// a type requires showed an error page; now the place's page comes
/// again (422) with the reason and its claim form, and a claim with the
/// guardian books.
#[tokio::test]
async fn a_waitlist_claim_without_a_required_guardian_says_so_on_the_claim_page() {
    let sink = Sink::start().await;
    let clock = Arc::new(ManualClock::new(t0()));
    let s = server(&sink, &clock).await;
    let first = json_of(&book(&s, "kidsgroup", wed(10), Some(pat())).await.status(201));
    let r = post(&s, "/api/v1/coaches/alice/event-types/kidsgroup/waitlist", json!({"start": wed(10).to_rfc3339(), "name": "Carl", "email": "carl@example.org"})).await;
    let token = json_of(&r.status(201))["waitlist_token"].as_str().unwrap().to_string();
    post(&s, &format!("/api/v1/bookings/{}/cancel", first["manage_token"].as_str().unwrap()), json!({})).await.status(200);
    let page = s.request("GET", &format!("/book/waitlist/{token}")).send().await.status(200);
    let html = page.text();
    assert!(html.contains("name=\"guardian_name\""), "the claim form asks for the guardian: {html}");
    let cookie = page.header("set-cookie").expect("csrf cookie").split(';').next().unwrap().to_string();
    let csrf = html.split("name=\"csrf\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_string();
    let claim = |body: String| {
        s.request("POST", &format!("/book/waitlist/{token}/claim"))
            .header("Cookie", &cookie)
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
    };
    let refused = claim(format!("csrf={csrf}")).await.status(422).text();
    assert!(refused.contains("s name and email") && refused.contains("name=\"guardian_name\""), "{refused}");
    let booked = claim(format!("csrf={csrf}&guardian_name=Pat+Parent&guardian_email=pat%40example.org")).await.status(303);
    assert!(booked.header("location").unwrap().starts_with("/book/manage/"));
}

/// Regression: a reschedule request made with the guardian's own link
/// was recorded as the student's; the audit trail now names the guardian.
#[tokio::test]
async fn a_guardians_reschedule_request_is_recorded_as_the_guardians() {
    let sink = Sink::start().await;
    let clock = Arc::new(ManualClock::new(t0()));
    let s = server(&sink, &clock).await;
    let booked = json_of(&book(&s, "approved", wed(10), Some(pat())).await.status(201));
    send_mail(&s).await;
    let invitation = mails(&sink, "pat@example.org", "Booked: Approved lesson");
    let guardian_token = manage_token_in(&invitation[0]);
    let r = post(&s, &format!("/api/v1/bookings/{guardian_token}/reschedule"), json!({"start": wed(14).to_rfc3339()})).await.status(202);
    assert_eq!(json_of(&r)["status"], "requested");
    let id = s.app.booking.booking(booked["manage_token"].as_str().unwrap()).unwrap().id;
    let requested = slotdav::audit::for_booking(&*s.storage, &id).unwrap().into_iter().find(|e| e.action == "booking.reschedule-requested").expect("audited");
    assert_eq!(requested.actor.to_string(), "student pat@example.org", "{requested:?}");
}
