//! Scheduling between users of one server (issue 15 §3, RFC 6638): an
//! organizer's invitation to a colleague lands in their inbox and calendar
//! (NEEDS-ACTION), their answer comes back into the organizer's copy,
//! changes and cancellations follow, external attendees still get email,
//! the outbox answers free-busy requests, and the booking engine counts an
//! accepted invitation as busy and a declined one as free.

use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};
use serde_json::Value;
use slotdav::clock::{Clock, ManualClock};
use slotdav::config::Config;

use crate::common::{TestServer, PROPFIND_ALLPROP};

const ANN: &str = "ann";
const ANN_PW: &str = "ann-secret-pw";
const BOB: &str = "bob";
const BOB_PW: &str = "bob-secret-pw";
const ANN_MAIL: &str = "ann@team.example";
const BOB_MAIL: &str = "Bob@Team.example";

const ANN_EVENT: &str = "/dav/calendars/ann/calendar/review.ics";
const BOB_COPY: &str = "/dav/calendars/bob/calendar/review-1.ics";

/// Bob is a coach of the agency; Ann, his colleague, schedules with him.
const COACH_TOML: &str = r#"
[[coach]]
user = "bob"
display_name = "Bob Coach"
timezone = "Europe/Berlin"
working_hours = { mon = ["09:00-17:00"], tue = ["09:00-17:00"], wed = ["09:00-17:00"], thu = ["09:00-17:00"], fri = ["09:00-17:00"] }

[[coach.event_type]]
slug = "trial"
title = "Trial lesson"
duration = "60m"
"#;

/// Monday 4 March 2030, 09:00 in Berlin.
fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2030, 3, 4, 8, 0, 0).unwrap()
}

async fn server() -> TestServer {
    let coaches = Config::parse(COACH_TOML, std::path::Path::new("test.toml")).expect("coach config").coaches;
    let clock: Arc<dyn Clock> = Arc::new(ManualClock::new(t0()));
    TestServer::builder()
        .user_with_email(ANN, ANN_PW, ANN_MAIL)
        .user_with_email(BOB, BOB_PW, BOB_MAIL)
        .config(|c| c.coaches = coaches)
        .start_with_clock(clock)
        .await
}

/// Ann's event on Wednesday 6 March 2030 at `start` (UTC), with extra
/// ATTENDEE lines.
fn event(start: &str, end: &str, sequence: u32, attendees: &str) -> String {
    format!(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Apple Inc.//macOS 14//EN\r\nBEGIN:VEVENT\r\nUID:review-1\r\nDTSTAMP:20300301T000000Z\r\nDTSTART:2030030{start}\r\nDTEND:2030030{end}\r\nSEQUENCE:{sequence}\r\nSUMMARY:Quarterly review\r\nORGANIZER;CN=Ann:mailto:{ANN_MAIL}\r\nATTENDEE;PARTSTAT=ACCEPTED:mailto:{ANN_MAIL}\r\n{attendees}END:VEVENT\r\nEND:VCALENDAR\r\n"
    )
}

const BOB_LINE: &str = "ATTENDEE;CN=Bob;RSVP=TRUE:mailto:bob@team.example\r\n";
const EXT_LINE: &str = "ATTENDEE;RSVP=TRUE:mailto:client@elsewhere.example\r\n";

fn unfold(s: &str) -> String {
    s.replace("\r\n ", "").replace("\r\n\t", "")
}

/// The content line of `who`'s ATTENDEE in `ics`.
fn attendee_line(ics: &str, who: &str) -> String {
    unfold(ics)
        .split("\r\n")
        .find(|l| l.starts_with("ATTENDEE") && l.to_ascii_lowercase().contains(&who.to_ascii_lowercase()))
        .unwrap_or_else(|| panic!("no ATTENDEE {who} in {ics}"))
        .to_string()
}

async fn get(s: &TestServer, user: &str, path: &str) -> crate::common::Resp {
    s.request("GET", path).as_user(user).send().await.status(200)
}

/// The messages in a user's inbox, oldest first.
async fn inbox(s: &TestServer, user: &str) -> Vec<String> {
    let inbox = format!("/dav/principals/{user}/inbox/");
    let r = s.request("PROPFIND", &inbox).as_user(user).depth("1").xml(PROPFIND_ALLPROP).send().await.status(207);
    let mut out = Vec::new();
    for href in r.hrefs().into_iter().filter(|h| h != &inbox) {
        out.push(unfold(&get(s, user, &href).await.text()));
    }
    out
}

fn method_of(msg: &str) -> &str {
    msg.split("\r\n").find_map(|l| l.strip_prefix("METHOD:")).unwrap_or("")
}

/// Bob's copy with his PARTSTAT set.
fn answered(copy: &str, partstat: &str) -> String {
    let line = attendee_line(copy, "bob@");
    let (head, value) = line.split_once(':').unwrap();
    let params: Vec<&str> = head.split(';').filter(|p| !p.starts_with("PARTSTAT=")).collect();
    unfold(copy).replace(&line, &format!("{};PARTSTAT={partstat}:{value}", params.join(";")))
}

async fn slot_open(s: &TestServer, start: DateTime<Utc>) -> bool {
    let r = s.request("GET", "/api/v1/coaches/bob/event-types/trial/slots?from=2030-03-06&to=2030-03-06&tz=Europe/Berlin").send().await.status(200);
    let v: Value = serde_json::from_slice(&r.bytes).unwrap();
    v["slots"].as_array().unwrap().iter().any(|slot| {
        DateTime::parse_from_rfc3339(slot["start"].as_str().unwrap()).unwrap().with_timezone(&Utc) == start
    })
}

/// Bob's calendar's CalDAV free-busy-query for 6 March 2030, unfolded.
async fn bob_free_busy(s: &TestServer) -> String {
    let body = r#"<C:free-busy-query xmlns:C="urn:ietf:params:xml:ns:caldav"><C:time-range start="20300306T000000Z" end="20300307T000000Z"/></C:free-busy-query>"#;
    unfold(&s.request("REPORT", "/dav/calendars/bob/calendar/").as_user(BOB).depth("1").xml(body).send().await.status(200).text())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invitation_reaches_the_colleague_and_their_answer_comes_back() {
    let s = server().await;
    // 6 March 2030, 09:00–10:00 UTC = 10:00–11:00 in Berlin.
    let ten = Utc.with_ymd_and_hms(2030, 3, 6, 9, 0, 0).unwrap();
    assert!(slot_open(&s, ten).await, "free before the invitation");
    let put = s.request("PUT", ANN_EVENT).as_user(ANN).body(event("6T090000Z", "6T100000Z", 0, &format!("{BOB_LINE}{EXT_LINE}"))).send().await.status(201);
    let ann_tag = put.header("schedule-tag").expect("Schedule-Tag on the organizer's PUT").to_string();
    // The server noted the delivery on Bob (SCHEDULE-STATUS 1.2), so the
    // PUT answers without an ETag (RFC 4791 §5.3.4); the client outside is
    // left as sent.
    assert!(put.header("etag").is_none(), "{}", put.describe());
    let stored = get(&s, ANN, ANN_EVENT).await.text();
    assert!(attendee_line(&stored, "bob@").contains("SCHEDULE-STATUS=1.2"), "{stored}");
    assert!(!attendee_line(&stored, "client@").contains("SCHEDULE-STATUS"), "{stored}");

    // Bob: a REQUEST in his inbox, the event in his calendar, NEEDS-ACTION.
    let msgs = inbox(&s, BOB).await;
    assert_eq!(msgs.len(), 1, "{msgs:?}");
    assert_eq!(method_of(&msgs[0]), "REQUEST");
    assert!(msgs[0].contains("UID:review-1"));
    let copy = get(&s, BOB, BOB_COPY).await;
    let bob_tag = copy.header("schedule-tag").expect("Schedule-Tag on the attendee's copy").to_string();
    let copy = copy.text();
    assert!(attendee_line(&copy, "bob@").contains("PARTSTAT=NEEDS-ACTION"), "{copy}");
    assert!(copy.contains("SUMMARY:Quarterly review"));
    assert!(!slot_open(&s, ten).await, "an unanswered invitation keeps the time");

    // The client outside gets email; Bob does not.
    let pending = s.app.outbox.status().unwrap().pending;
    assert!(pending.iter().any(|e| e.to == "client@elsewhere.example"), "{pending:?}");
    assert!(!pending.iter().any(|e| e.to.to_ascii_lowercase().contains("bob@")), "{pending:?}");

    // Bob accepts in his app, with the Schedule-Tag he read.
    s.request("PUT", BOB_COPY).as_user(BOB).header("If-Schedule-Tag-Match", &bob_tag).body(answered(&copy, "ACCEPTED")).send().await.status(204);
    let ann_copy = get(&s, ANN, ANN_EVENT).await;
    let line = attendee_line(&ann_copy.text(), "bob@");
    assert!(line.contains("PARTSTAT=ACCEPTED") && line.contains("SCHEDULE-STATUS=2.0"), "{line}");
    assert_eq!(ann_copy.header("schedule-tag"), Some(ann_tag.as_str()), "a merged reply keeps the organizer's Schedule-Tag");
    let replies = inbox(&s, ANN).await;
    assert_eq!(replies.len(), 1);
    assert_eq!(method_of(&replies[0]), "REPLY");
    assert!(attendee_line(&replies[0], "bob@").contains("PARTSTAT=ACCEPTED"));
    // Bob's own PARTSTAT change kept his copy's Schedule-Tag.
    let copy = get(&s, BOB, BOB_COPY).await;
    assert_eq!(copy.header("schedule-tag"), Some(bob_tag.as_str()));
    assert!(!slot_open(&s, ten).await, "an accepted invitation is busy for the booking engine");

    // Ann's app writes a new description from the copy it had before the
    // reply: Bob's answer stays in her copy.
    let described = event("6T090000Z", "6T100000Z", 0, &format!("{BOB_LINE}{EXT_LINE}")).replace("SUMMARY:", "DESCRIPTION:Agenda attached\r\nSUMMARY:");
    s.request("PUT", ANN_EVENT).as_user(ANN).header("If-Schedule-Tag-Match", &ann_tag).body(described).send().await.status(204);
    let ann_copy = get(&s, ANN, ANN_EVENT).await.text();
    assert!(attendee_line(&ann_copy, "bob@").contains("PARTSTAT=ACCEPTED"), "{ann_copy}");
    assert!(ann_copy.contains("Agenda attached"));
    let copy = get(&s, BOB, BOB_COPY).await;
    assert!(copy.text().contains("Agenda attached"), "the new description reaches Bob's copy");
    assert!(attendee_line(&copy.text(), "bob@").contains("PARTSTAT=ACCEPTED"), "and keeps his answer");

    // Declined: the booking page offers the time again, and CalDAV
    // free-busy leaves it out (RFC 6638 §5), beside Bob's own event.
    let own = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\nUID:own-1\r\nDTSTAMP:20300301T000000Z\r\nDTSTART:20300306T130000Z\r\nDTEND:20300306T140000Z\r\nSUMMARY:Own\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
    s.request("PUT", "/dav/calendars/bob/calendar/own.ics").as_user(BOB).body(own).send().await.status(201);
    let fb = bob_free_busy(&s).await;
    assert!(fb.contains("BUSY:20300306T090000Z/20300306T100000Z"), "an accepted invitation is busy: {fb}");
    s.request("PUT", BOB_COPY).as_user(BOB).body(answered(&copy.text(), "DECLINED")).send().await.status(204);
    assert!(slot_open(&s, ten).await, "a declined invitation is free");
    let fb = bob_free_busy(&s).await;
    assert!(!fb.contains("20300306T090000Z") && fb.contains("BUSY:20300306T130000Z/20300306T140000Z"), "{fb}");
    assert!(attendee_line(&get(&s, ANN, ANN_EVENT).await.text(), "bob@").contains("PARTSTAT=DECLINED"));
    // Tentative is busy again.
    let copy = get(&s, BOB, BOB_COPY).await.text();
    s.request("PUT", BOB_COPY).as_user(BOB).body(answered(&copy, "TENTATIVE")).send().await.status(204);
    assert!(!slot_open(&s, ten).await);

    // A stale Schedule-Tag is refused.
    s.request("PUT", BOB_COPY).as_user(BOB).header("If-Schedule-Tag-Match", "\"s-stale\"").body(answered(&copy, "ACCEPTED")).send().await.status(412);

    // Ann moves it an hour later: Bob's copy follows, back to NEEDS-ACTION.
    let moved = s.request("PUT", ANN_EVENT).as_user(ANN).body(event("6T100000Z", "6T110000Z", 1, &format!("{BOB_LINE}{EXT_LINE}"))).send().await.status(204);
    assert_ne!(moved.header("schedule-tag"), Some(ann_tag.as_str()), "a new time is a new Schedule-Tag");
    let copy = get(&s, BOB, BOB_COPY).await;
    assert_ne!(copy.header("schedule-tag"), Some(bob_tag.as_str()));
    assert!(copy.text().contains("DTSTART:20300306T100000Z"));
    assert!(attendee_line(&copy.text(), "bob@").contains("PARTSTAT=NEEDS-ACTION"));
    assert_eq!(inbox(&s, BOB).await.len(), 3, "the invitation, the new description, the new time");

    // Bob is taken off: a CANCEL, and his copy is cancelled.
    s.request("PUT", ANN_EVENT).as_user(ANN).body(event("6T100000Z", "6T110000Z", 2, EXT_LINE)).send().await.status(204);
    let msgs = inbox(&s, BOB).await;
    assert_eq!(method_of(msgs.last().unwrap()), "CANCEL");
    assert!(get(&s, BOB, BOB_COPY).await.text().contains("STATUS:CANCELLED"));
    let eleven = Utc.with_ymd_and_hms(2030, 3, 6, 10, 0, 0).unwrap();
    assert!(slot_open(&s, eleven).await, "a cancelled invitation is free");

    // Invited again, then Ann deletes the event: cancelled once more.
    s.request("PUT", ANN_EVENT).as_user(ANN).body(event("6T100000Z", "6T110000Z", 3, BOB_LINE)).send().await.status(204);
    assert!(!get(&s, BOB, BOB_COPY).await.text().contains("STATUS:CANCELLED"), "re-invited");
    s.request("DELETE", ANN_EVENT).as_user(ANN).send().await.status(204);
    assert!(get(&s, BOB, BOB_COPY).await.text().contains("STATUS:CANCELLED"));
    let msgs = inbox(&s, BOB).await;
    assert_eq!(method_of(msgs.last().unwrap()), "CANCEL");

    // Bob clears his inbox message by message.
    let inbox_url = "/dav/principals/bob/inbox/";
    let r = s.request("PROPFIND", inbox_url).as_user(BOB).depth("1").xml(PROPFIND_ALLPROP).send().await.status(207);
    let first = r.hrefs().into_iter().find(|h| h != inbox_url).unwrap();
    s.request("DELETE", &first).as_user(BOB).send().await.status(204);
    s.request("GET", &first).as_user(BOB).send().await.status(404);
    s.request("GET", &first.replace("/bob/", "/ann/")).as_user(BOB).send().await.status(403);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schedule_agent_client_leaves_the_attendee_alone() {
    let s = server().await;
    let line = "ATTENDEE;SCHEDULE-AGENT=CLIENT:mailto:bob@team.example\r\nATTENDEE:http://localhost/dav/principals/nobody/\r\n";
    s.request("PUT", ANN_EVENT).as_user(ANN).body(event("6T090000Z", "6T100000Z", 0, line)).send().await.status(201);
    assert!(inbox(&s, BOB).await.is_empty());
    let stored = get(&s, ANN, ANN_EVENT).await.text();
    assert!(!attendee_line(&stored, "bob@").contains("SCHEDULE-STATUS"), "the client schedules Bob: {stored}");
    assert!(attendee_line(&stored, "principals/nobody").contains("SCHEDULE-STATUS=3.7"), "no such user: {stored}");
    s.request("GET", BOB_COPY).as_user(BOB).send().await.status(404);
    let line = "ATTENDEE;SCHEDULE-AGENT=CLIENT:mailto:client@elsewhere.example\r\n";
    s.request("PUT", ANN_EVENT).as_user(ANN).body(event("6T090000Z", "6T100000Z", 1, line)).send().await.status(204);
    assert!(s.app.outbox.status().unwrap().pending.is_empty(), "no email for a client-scheduled attendee either");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delivery_queued_before_a_crash_is_made_at_start() {
    // The queue record is written with the organizer's object; a server
    // that starts with one in its store delivers it.
    let s = server().await;
    let event_text = event("6T090000Z", "6T100000Z", 0, BOB_LINE);
    let obj = slotdav::ical::CalendarObject::parse(event_text.as_bytes()).unwrap();
    let msg = slotdav::scheduling::queue::Message {
        method: slotdav::scheduling::queue::Method::Request,
        to: BOB.into(),
        from: ANN.into(),
        from_address: format!("mailto:{ANN_MAIL}"),
        object: obj.raw().to_string(),
    };
    let delivery = slotdav::scheduling::queue::Delivery::new(vec![msg], t0());
    s.storage.apply(slotdav::storage::RecordBatch { records: vec![delivery.queued()], object: None }, t0()).unwrap();
    s.storage.flush().unwrap();
    let dir = s.stop_keep_data().await;
    let coaches = Config::parse(COACH_TOML, std::path::Path::new("test.toml")).unwrap().coaches;
    let s = TestServer::builder()
        .user_with_email(ANN, ANN_PW, ANN_MAIL)
        .user_with_email(BOB, BOB_PW, BOB_MAIL)
        .config(|c| c.coaches = coaches)
        .data_dir(dir)
        .start_with_clock(Arc::new(ManualClock::new(t0())))
        .await;
    assert!(get(&s, BOB, BOB_COPY).await.text().contains("PARTSTAT=NEEDS-ACTION"));
    assert_eq!(inbox(&s, BOB).await.len(), 1);
    assert!(slotdav::scheduling::queue::QUEUE.scan(&*s.storage, "").unwrap().is_empty(), "delivered once, then dequeued");
}

fn freebusy_request(organizer: &str, attendees: &[&str]) -> String {
    let lines: String = attendees.iter().map(|a| format!("ATTENDEE:{a}\r\n")).collect();
    format!(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Apple Inc.//macOS 14//EN\r\nMETHOD:REQUEST\r\nBEGIN:VFREEBUSY\r\nUID:fb-1\r\nDTSTAMP:20300304T080000Z\r\nDTSTART:20300306T000000Z\r\nDTEND:20300307T000000Z\r\nORGANIZER:{organizer}\r\n{lines}END:VFREEBUSY\r\nEND:VCALENDAR\r\n"
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_outbox_answers_free_busy_for_local_users() {
    let s = server().await;
    s.request("PUT", "/dav/calendars/bob/calendar/own.ics")
        .as_user(BOB)
        .body("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\nBEGIN:VEVENT\r\nUID:own\r\nDTSTAMP:20300301T000000Z\r\nDTSTART:20300306T130000Z\r\nDTEND:20300306T140000Z\r\nSUMMARY:Private\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
        .send()
        .await
        .status(201);
    let outbox = "/dav/principals/ann/outbox/";
    let post = |body: String, ct: &'static str, user: &'static str, url: &'static str| {
        s.request("POST", url).as_user(user).header("Content-Type", ct).body(body).send()
    };
    let r = post(
        freebusy_request(&format!("mailto:{ANN_MAIL}"), &["mailto:BOB@team.example", "mailto:nobody@elsewhere.example", "/dav/principals/bob/"]),
        "text/calendar",
        ANN,
        outbox,
    )
    .await
    .status(200);
    let text = r.text();
    assert!(text.contains("schedule-response"), "{text}");
    let responses = crate::common::split_elements(&text, "response");
    assert_eq!(responses.len(), 3, "{text}");
    assert!(responses[0].contains("mailto:BOB@team.example") && responses[0].contains("2.0;Success"), "{text}");
    let data = unfold(&responses[0].replace("&#13;", "\r").replace("\n", "\n"));
    assert!(data.contains("METHOD:REPLY"), "{text}");
    assert!(data.contains("FREEBUSY;FBTYPE=BUSY:20300306T130000Z/20300306T140000Z"), "{text}");
    assert!(!data.contains("Private"), "free-busy shows no details");
    assert!(responses[1].contains("3.7"), "{text}");
    assert!(responses[2].contains("2.0;Success"), "the principal URL names Bob too: {text}");

    // Preconditions.
    post(freebusy_request("mailto:someone@else.example", &["mailto:bob@team.example"]), "text/calendar", ANN, outbox)
        .await
        .status(403)
        .contains("valid-organizer");
    post(freebusy_request(&format!("mailto:{ANN_MAIL}"), &["mailto:bob@team.example"]).replace("METHOD:REQUEST", "METHOD:PUBLISH"), "text/calendar", ANN, outbox)
        .await
        .status(403)
        .contains("valid-scheduling-message");
    post(freebusy_request(&format!("mailto:{ANN_MAIL}"), &["mailto:bob@team.example"]), "application/json", ANN, outbox)
        .await
        .status(403)
        .contains("supported-calendar-data");
    post(freebusy_request(&format!("mailto:{ANN_MAIL}"), &["mailto:bob@team.example"]), "text/calendar", BOB, outbox)
        .await
        .status(403)
        .contains("need-privileges");
    post("not a calendar".into(), "text/calendar", ANN, outbox).await.status(403);
    // The outbox says it takes POST; anywhere else POST is still not allowed.
    let r = s.request("PUT", outbox).as_user(ANN).body("x").send().await.status(405);
    assert!(r.header("allow").is_some_and(|a| a.contains("POST")), "{}", r.describe());
    post(String::new(), "text/calendar", ANN, "/dav/calendars/ann/calendar/").await.status(405);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deliveries_to_local_users_count_against_the_hourly_cap() {
    let s = TestServer::builder()
        .user_with_email(ANN, ANN_PW, ANN_MAIL)
        .user_with_email(BOB, BOB_PW, BOB_MAIL)
        .config(|c| c.mail.max_messages_per_user_hour = 2)
        .start_with_clock(Arc::new(ManualClock::new(t0())))
        .await;
    for n in 0..4 {
        let body = event("6T090000Z", "6T100000Z", 0, BOB_LINE).replace("UID:review-1", &format!("UID:spam-{n}"));
        s.request("PUT", &format!("/dav/calendars/ann/calendar/spam-{n}.ics")).as_user(ANN).body(body).send().await.status(201);
    }
    assert_eq!(inbox(&s, BOB).await.len(), 2, "two this hour, the rest not delivered");
    s.request("GET", "/dav/calendars/bob/calendar/spam-1.ics").as_user(BOB).send().await.status(200);
    s.request("GET", "/dav/calendars/bob/calendar/spam-2.ics").as_user(BOB).send().await.status(404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invitation_cannot_overwrite_an_event_of_the_attendee_with_the_same_uid() {
    let s = server().await;
    let own = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\nBEGIN:VEVENT\r\nUID:review-1\r\nDTSTAMP:20300301T000000Z\r\nDTSTART:20300306T130000Z\r\nDTEND:20300306T140000Z\r\nSUMMARY:Bob's own\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
    s.request("PUT", "/dav/calendars/bob/calendar/mine.ics").as_user(BOB).body(own).send().await.status(201);
    s.request("PUT", ANN_EVENT).as_user(ANN).body(event("6T090000Z", "6T100000Z", 0, BOB_LINE)).send().await.status(201);
    assert_eq!(get(&s, BOB, "/dav/calendars/bob/calendar/mine.ics").await.text(), own);
    s.request("DELETE", ANN_EVENT).as_user(ANN).send().await.status(204);
    assert_eq!(get(&s, BOB, "/dav/calendars/bob/calendar/mine.ics").await.text(), own, "nor cancel it");
}

/// The outbox's free-busy answer is the same as a free-busy-query on the
/// attendee's home: time outside their declared availability (RFC 7953,
/// the inbox's `calendar-availability`) is BUSY-UNAVAILABLE.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_outbox_free_busy_shows_the_attendees_declared_hours() {
    let s = server().await;
    let availability = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\nBEGIN:VAVAILABILITY\r\nUID:hours\r\nDTSTAMP:20300301T000000Z\r\nDTSTART:20300101T000000Z\r\nBEGIN:AVAILABLE\r\nUID:hours-1\r\nDTSTAMP:20300301T000000Z\r\nDTSTART:20300304T090000Z\r\nDTEND:20300304T170000Z\r\nRRULE:FREQ=DAILY\r\nEND:AVAILABLE\r\nEND:VAVAILABILITY\r\nEND:VCALENDAR\r\n";
    let body = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><A:propertyupdate xmlns:A="DAV:"><A:set><A:prop><B:calendar-availability xmlns:B="urn:ietf:params:xml:ns:caldav">{}</B:calendar-availability></A:prop></A:set></A:propertyupdate>"#,
        availability.replace('&', "&amp;").replace('<', "&lt;")
    );
    s.request("PROPPATCH", "/dav/principals/bob/inbox/").as_user(BOB).header("Content-Type", "text/xml").body(body).send().await.status(207).contains("200");
    let text = s
        .request("POST", "/dav/principals/ann/outbox/")
        .as_user(ANN)
        .header("Content-Type", "text/calendar")
        .body(freebusy_request(&format!("mailto:{ANN_MAIL}"), &["mailto:bob@team.example"]))
        .send()
        .await
        .status(200)
        .text();
    let data = unfold(&text.replace("&#13;", "\r"));
    assert!(data.contains("2.0;Success"), "{text}");
    assert!(
        data.contains("FREEBUSY;FBTYPE=BUSY-UNAVAILABLE:20300306T000000Z/20300306T090000Z,20300306T170000Z/20300307T000000Z"),
        "unavailable before and after his hours: {data}"
    );
}
