//! (D) Questions on the booking form (issue 11 §5) over real HTTP: shown on
//! the details form with labels, checked on the server (422 `invalid_input`
//! naming the question), stored with the booking, written into the event's
//! DESCRIPTION (read back over CalDAV), shown in the coach's email and
//! returned by the API.

use std::path::Path;
use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};
use serde_json::{json, Value};

use slotdav::clock::ManualClock;
use slotdav::config::Config;

use crate::common::*;

const COACH: &str = r#"
[[coach]]
user = "alice"
display_name = "Alice Coach"
timezone = "UTC"
working_hours = { mon = ["09:00-17:00"], tue = ["09:00-17:00"], wed = ["09:00-17:00"], thu = ["09:00-17:00"], fri = ["09:00-17:00"] }
[[coach.event_type]]
slug = "lesson"
title = "Lesson"
duration = "1h"
[[coach.event_type.question]]
id = "subject"
label = "Subject of the lesson"
kind = "select"
required = true
options = ["Algebra", "Geometry"]
[[coach.event_type.question]]
id = "goal"
label = "What do you want to reach?"
kind = "textarea"
max_length = 20
[[coach.event_type.question]]
id = "phone"
label = "Phone"
kind = "phone"
[[coach.event_type.question]]
id = "terms"
label = "I accept the terms"
kind = "checkbox"
required = true
[[coach.event_type]]
slug = "weekly"
title = "Weekly lesson"
duration = "1h"
repeat = ["1w"]
repeat_max = 8
[[coach.event_type.question]]
id = "subject"
label = "Subject of the lesson"
kind = "select"
required = true
options = ["Algebra", "Geometry"]
"#;

fn json_of(r: &Resp) -> Value {
    serde_json::from_slice(&r.bytes).unwrap_or_else(|e| panic!("not JSON ({e}): {}", r.describe()))
}

/// Monday 2026-05-04 at `h`:00 UTC.
fn mon(h: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 5, 4, h, 0, 0).unwrap()
}

async fn start() -> TestServer {
    let coaches = Config::parse(COACH, Path::new("test.toml")).unwrap_or_else(|e| panic!("{e}")).coaches;
    TestServer::builder()
        .user_with_email(ALICE, ALICE_PW, "alice@coach.example")
        .config(move |c| {
            c.coaches = coaches;
            c.rate_limit_per_minute = 100_000;
        })
        .start_with_clock(Arc::new(ManualClock::new(mon(6))))
        .await
}

async fn post_json(s: &TestServer, path: &str, body: Value) -> Resp {
    s.request("POST", path).header("Content-Type", "application/json").body(body.to_string()).send().await
}

async fn hold(s: &TestServer, start: DateTime<Utc>) -> String {
    let r = post_json(s, "/api/v1/coaches/alice/event-types/lesson/holds", json!({"start": start.to_rfc3339()})).await.status(201);
    json_of(&r)["hold_id"].as_str().unwrap().to_string()
}

async fn confirm(s: &TestServer, hold: &str, answers: Value) -> Resp {
    post_json(s, &format!("/api/v1/holds/{hold}/confirm"), json!({"name": "Ben Student", "email": "ben@example.org", "answers": answers})).await
}

/// The calendar data of the coach's bookings calendar, unfolded.
async fn sessions_data(s: &TestServer) -> String {
    let listing = s
        .request("REPORT", "/dav/calendars/alice/sessions/")
        .as_user(ALICE)
        .depth("1")
        .xml(r#"<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><C:calendar-data/></D:prop><C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT"/></C:comp-filter></C:filter></C:calendar-query>"#)
        .send()
        .await
        .status(207)
        .text();
    listing.replace("\r\n ", "").replace("\n ", "")
}

/// Sends what the outbox holds (mail goes to files here) and reads every
/// message, quoted-printable soft breaks joined.
async fn sent_mail(s: &TestServer) -> Vec<String> {
    s.app.outbox.run_due().await.expect("outbox run");
    let dir = s.data_dir().join("mail-out");
    std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap().replace("=\r\n", "").replace("=\n", ""))
        .collect()
}

#[tokio::test]
async fn answers_are_checked_naming_the_question_then_stored_shown_and_returned() {
    let s = start().await;
    let h = hold(&s, mon(10)).await;
    for (answers, question) in [
        (json!({"terms": true}), "subject"),
        (json!({"subject": "Chemistry", "terms": true}), "subject"),
        (json!({"subject": "Algebra", "goal": "to pass the exam in June", "terms": true}), "goal"),
        (json!({"subject": "Algebra", "phone": "ring me", "terms": true}), "phone"),
        (json!({"subject": "Algebra", "terms": false}), "terms"),
        (json!({"subject": "Algebra", "terms": true, "shoe_size": "42"}), "shoe_size"),
    ] {
        let r = json_of(&confirm(&s, &h, answers.clone()).await.status(422));
        assert_eq!(r["error"], "invalid_input", "{answers}");
        assert!(r["message"].as_str().unwrap().contains(&format!("`{question}`")), "{answers}: {r}");
    }
    let answers = json!({"subject": "Geometry", "goal": "Pass the exam", "phone": "+49 30 1234567", "terms": true});
    let booking = json_of(&confirm(&s, &h, answers).await.status(201));
    let want = json!({"subject": "Geometry", "goal": "Pass the exam", "phone": "+49 30 1234567", "terms": "yes"});
    assert_eq!(booking["answers"], want);
    let token = booking["manage_token"].as_str().unwrap();
    assert_eq!(json_of(&s.request("GET", &format!("/api/v1/bookings/{token}")).send().await.status(200))["answers"], want);

    // The coach's calendar event carries them in DESCRIPTION.
    let unfolded = sessions_data(&s).await;
    assert!(unfolded.contains("Subject of the lesson: Geometry"), "{unfolded}");
    assert!(unfolded.contains("What do you want to reach?: Pass the exam"), "{unfolded}");

    // … and so does the coach's email.
    let mails = sent_mail(&s).await;
    let coach_mail = mails.iter().find(|m| m.contains("alice@coach.example") && m.contains("New booking")).expect("the coach's mail");
    assert!(coach_mail.contains("Subject of the lesson: Geometry") && coach_mail.contains("Phone: +49 30 1234567"), "{coach_mail}");

    // … and the coach's dashboard page of the booking.
    let mut jar: Vec<String> = Vec::new();
    let keep = |jar: &mut Vec<String>, r: &Resp| {
        for v in r.headers.get_all("set-cookie") {
            let pair = v.to_str().unwrap().split(';').next().unwrap().to_string();
            let name = pair.split('=').next().unwrap().to_string();
            jar.retain(|c| !c.starts_with(&format!("{name}=")));
            jar.push(pair);
        }
    };
    let login = s.request("GET", "/coach/login").send().await.status(200);
    keep(&mut jar, &login);
    let csrf = login.text().split("name=\"csrf\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_string();
    let form = form_urlencoded::Serializer::new(String::new()).extend_pairs([("csrf", csrf.as_str()), ("user", ALICE), ("password", ALICE_PW)]).finish();
    let signed = s
        .request("POST", "/coach/login")
        .header("Cookie", &jar.join("; "))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(form)
        .send()
        .await
        .status(303);
    keep(&mut jar, &signed);
    let reference = booking["reference"].as_str().unwrap();
    let page = s.request("GET", &format!("/coach/bookings/{reference}")).header("Cookie", &jar.join("; ")).send().await.status(200).text();
    assert!(page.contains("<dt>Subject of the lesson</dt><dd class=\"note\">Geometry</dd>"), "{page}");
    assert!(page.contains("<dt>I accept the terms</dt><dd class=\"note\">yes</dd>"), "{page}");
}

#[tokio::test]
async fn the_form_shows_the_questions_and_a_refused_answer_next_to_its_field() {
    let s = start().await;
    let h = hold(&s, mon(11)).await;
    let page = s.request("GET", &format!("/book/hold/{h}")).send().await.status(200);
    let html = page.text();
    for needle in [
        r#"<label for="q-subject">Subject of the lesson</label>"#,
        r#"<select id="q-subject" name="q_subject" required"#,
        r#"<option value="Algebra">Algebra</option>"#,
        r#"<textarea id="q-goal" name="q_goal" rows="4" maxlength="20""#,
        r#"type="tel" id="q-phone" name="q_phone""#,
        r#"<input type="checkbox" id="q-terms" name="q_terms" value="yes" required"#,
    ] {
        assert!(html.contains(needle), "{needle} in {html}");
    }
    // Posting the form (with its CSRF cookie) without ticking the box.
    let cookie = page.header("set-cookie").expect("csrf cookie").split(';').next().unwrap().to_string();
    let csrf = html.split("name=\"csrf\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_string();
    let body = format!("csrf={csrf}&name=Ben&email=ben%40example.org&q_subject=Algebra");
    let r = s
        .request("POST", &format!("/book/hold/{h}"))
        .header("Cookie", &cookie)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .status(422);
    let html = r.text();
    assert!(html.contains(r#"aria-invalid="true" aria-describedby="q-terms-error""#), "{html}");
    assert!(html.contains("I accept the terms: please tick this box"), "{html}");
    assert!(html.contains(r#"<option value="Algebra" selected>"#), "what was typed is kept: {html}");
}

/// Regression (issue 11 §2 with §5): a weekly series booked with answers
/// stores them. Before the fix the API answered `{}` for a series, and its
/// recurring VEVENT and the coach's mail had no answers.
#[tokio::test]
async fn a_series_keeps_its_answers_in_the_api_the_event_and_the_coachs_mail() {
    let s = start().await;
    let body = json!({"start": mon(10).to_rfc3339(), "repeat": {"every": "1w", "count": 3}});
    let h = json_of(&post_json(&s, "/api/v1/coaches/alice/event-types/weekly/holds", body).await.status(201));
    let hold = h["hold_id"].as_str().unwrap();
    let r = json_of(&confirm(&s, hold, json!({})).await.status(422));
    assert!(r["message"].as_str().unwrap().contains("`subject`"), "{r}");
    let booking = json_of(&confirm(&s, hold, json!({"subject": "Algebra"})).await.status(201));
    assert_eq!(booking["occurrences"].as_array().map(Vec::len), Some(3), "{booking}");
    assert_eq!(booking["answers"], json!({"subject": "Algebra"}));
    let token = booking["manage_token"].as_str().unwrap();
    assert_eq!(json_of(&s.request("GET", &format!("/api/v1/bookings/{token}")).send().await.status(200))["answers"], json!({"subject": "Algebra"}));

    let unfolded = sessions_data(&s).await;
    assert!(unfolded.contains("RRULE:FREQ=WEEKLY;INTERVAL=1;COUNT=3") && unfolded.contains("Subject of the lesson: Algebra"), "{unfolded}");

    let mails = sent_mail(&s).await;
    let coach_mail = mails.iter().find(|m| m.contains("alice@coach.example") && m.contains("New booking")).expect("the coach's mail");
    assert!(coach_mail.contains("Subject of the lesson: Algebra"), "{coach_mail}");
}
