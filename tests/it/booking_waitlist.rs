//! Waitlists of full group sessions (issue 11 §1) over real HTTP: joining
//! a full slot, the join and offer mails at a real SMTP sink, a cancel
//! (by the student, by the coach over CalDAV) producing an offer that
//! nobody else can take, a claim, a lapsed offer passing to the next
//! person (ManualClock and the sweep), leaving, and the API's errors.

use std::sync::Arc;

use chrono::{DateTime, Duration, TimeZone, Utc};
use serde_json::{json, Value};

use slotdav::clock::{Clock, ManualClock};
use slotdav::config::Config;
use slotdav::mail::MailTransport;

use crate::common::{TestServer, ALICE, ALICE_PW};
use crate::mail::Sink;

const COACH_TOML: &str = r#"
[[coach]]
user = "alice"
display_name = "Alice Coach"
timezone = "Europe/Berlin"
working_hours = { mon = ["09:00-17:00"], tue = ["09:00-17:00"], wed = ["09:00-17:00"], thu = ["09:00-17:00"], fri = ["09:00-17:00"] }

[[coach.event_type]]
slug = "group"
title = "Group class"
duration = "1h"
seats = 2
waitlist_offer_ttl = "2h"

[[coach.event_type]]
slug = "solo"
title = "Solo lesson"
duration = "1h"
"#;

/// Monday 4 March 2030, 09:00 in Berlin.
fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2030, 3, 4, 8, 0, 0).unwrap()
}

/// Wednesday 6 March 2030, 10:00 in Berlin (UTC+1).
fn slot() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2030, 3, 6, 9, 0, 0).unwrap()
}

async fn server(sink: &Sink, clock: &Arc<ManualClock>) -> TestServer {
    let coaches = Config::parse(COACH_TOML, std::path::Path::new("test.toml")).expect("coach config").coaches;
    let port = sink.port();
    let clock: Arc<dyn Clock> = clock.clone();
    TestServer::builder()
        .user_with_email(ALICE, ALICE_PW, "alice@coach.example")
        .config(move |c| {
            c.coaches = coaches;
            c.mail.transport = MailTransport::Smtp;
            c.mail.smtp_host = "127.0.0.1".into();
            c.mail.smtp_port = port;
            c.mail.smtp_timeout = std::time::Duration::from_secs(5);
        })
        .start_with_clock(clock)
        .await
}

async fn post(s: &TestServer, path: &str, body: Value) -> crate::common::Resp {
    s.request("POST", path).header("Content-Type", "application/json").body(body.to_string()).send().await
}

fn json_of(r: &crate::common::Resp) -> Value {
    serde_json::from_slice(&r.bytes).unwrap_or_else(|e| panic!("not JSON ({e}): {}", r.text()))
}

async fn hold(s: &TestServer, et: &str, start: DateTime<Utc>) -> crate::common::Resp {
    post(s, &format!("/api/v1/coaches/alice/event-types/{et}/holds"), json!({"start": start.to_rfc3339()})).await
}

/// Books the group slot for `email`; returns the booking's manage token.
async fn book(s: &TestServer, name: &str, email: &str) -> String {
    let h = json_of(&hold(s, "group", slot()).await.status(201));
    let r = post(s, &format!("/api/v1/holds/{}/confirm", h["hold_id"].as_str().unwrap()), json!({"name": name, "email": email})).await.status(201);
    json_of(&r)["manage_token"].as_str().unwrap().to_string()
}

async fn join(s: &TestServer, et: &str, name: &str, email: &str) -> crate::common::Resp {
    post(s, &format!("/api/v1/coaches/alice/event-types/{et}/waitlist"), json!({"start": slot().to_rfc3339(), "name": name, "email": email})).await
}

async fn entry(s: &TestServer, token: &str) -> Value {
    json_of(&s.request("GET", &format!("/api/v1/waitlist/{token}")).send().await.status(200))
}

async fn send_mail(s: &TestServer) {
    s.app.outbox.run_due().await.expect("outbox run");
}

fn error_code(r: &crate::common::Resp) -> String {
    json_of(r)["error"].as_str().unwrap_or_default().to_string()
}

/// A full session: two booked, two join; the first cancel offers the seat
/// to the first in line by mail, the seat cannot be taken by anyone else,
/// and the claim books it.
#[tokio::test]
async fn a_cancel_in_a_full_group_session_offers_the_seat_to_the_first_waiting_who_claims_it() {
    let sink = Sink::start().await;
    let clock = Arc::new(ManualClock::new(t0()));
    let s = server(&sink, &clock).await;
    let ann = book(&s, "Ann", "ann@example.org").await;
    book(&s, "Bob", "bob@example.org").await;
    assert_eq!(error_code(&hold(&s, "group", slot()).await.status(409)), "slot_unavailable");

    let carl = json_of(&join(&s, "group", "Carl", "carl@example.org").await.status(201));
    assert_eq!(carl["position"], 1);
    let dora = json_of(&join(&s, "group", "Dora", "dora@example.org").await.status(201));
    assert_eq!(dora["position"], 2);
    assert_eq!(error_code(&join(&s, "group", "Carl", "CARL@example.org").await.status(409)), "already_waiting");
    let (carl, dora) = (carl["waitlist_token"].as_str().unwrap().to_string(), dora["waitlist_token"].as_str().unwrap().to_string());
    let e = entry(&s, &carl).await;
    assert_eq!((e["status"].as_str(), e["position"].as_u64()), (Some("waiting"), Some(1)));
    assert!(e["offer_expires_at"].is_null());

    send_mail(&s).await;
    let joined = sink.to("dora@example.org");
    assert_eq!(joined.len(), 1);
    assert!(joined[0].subject().starts_with("Waitlist: Group class with Alice Coach"), "{}", joined[0].subject());
    let text = &joined[0].all().into_iter().find(|p| p.body.contains("number 2")).expect("position in the mail").body;
    assert!(text.contains(&format!("/book/waitlist/{dora}")), "leave link: {text}");

    // Ann cancels: Carl is offered her seat, in the cancel's batch.
    post(&s, &format!("/api/v1/bookings/{ann}/cancel"), json!({})).await.status(200);
    let e = entry(&s, &carl).await;
    assert_eq!(e["status"], "offered");
    let q = slotdav::audit::AuditQuery { coach: Some("alice".into()), ..Default::default() };
    let actions: Vec<String> = slotdav::audit::query(&*s.storage, &q).unwrap().0.into_iter().map(|e| e.action).collect();
    assert_eq!(actions.iter().filter(|a| *a == "waitlist.joined").count(), 2, "{actions:?}");
    assert_eq!(actions.iter().filter(|a| *a == "waitlist.offered").count(), 1, "{actions:?}");
    let expires = DateTime::parse_from_rfc3339(e["offer_expires_at"].as_str().unwrap()).unwrap();
    assert_eq!(expires.with_timezone(&Utc), t0() + Duration::hours(2));
    assert_eq!(entry(&s, &dora).await["status"], "waiting");
    // The offered seat is held: nobody else can book it.
    assert_eq!(error_code(&hold(&s, "group", slot()).await.status(409)), "slot_unavailable");
    let slots = json_of(&s.request("GET", "/api/v1/coaches/alice/event-types/group/slots?from=2030-03-06&to=2030-03-06").send().await.status(200));
    assert!(!slots.to_string().contains(r#""start":"2030-03-06T10:00:00+01:00""#), "the offered slot is not open: {slots}");

    send_mail(&s).await;
    let offer = sink.to("carl@example.org");
    let offer = offer.iter().find(|m| m.subject().starts_with("A seat is free")).expect("offer mail");
    assert!(offer.all().iter().any(|p| p.body.contains(&format!("/book/waitlist/{carl}"))), "claim link");

    // Dora has no offer; Carl claims his.
    assert_eq!(error_code(&post(&s, &format!("/api/v1/waitlist/{dora}/claim"), json!({})).await.status(409)), "not_offered");
    assert_eq!(
        error_code(&post(&s, &format!("/api/v1/waitlist/{carl}/claim"), json!({"name": "Eve", "email": "eve@example.org"})).await.status(422)),
        "invalid_email"
    );
    let booked = json_of(&post(&s, &format!("/api/v1/waitlist/{carl}/claim"), json!({})).await.status(201));
    assert_eq!(booked["status"], "confirmed");
    assert_eq!(booked["email"], "carl@example.org");
    assert!(booked["manage_token"].is_string());
    assert_eq!(entry(&s, &carl).await["status"], "claimed");
    assert_eq!(entry(&s, &dora).await["position"], 1);
    send_mail(&s).await;
    assert!(sink.to("carl@example.org").iter().any(|m| m.subject().starts_with("Booked: Group class")), "a booking like any other");
    // Full again.
    assert_eq!(error_code(&hold(&s, "group", slot()).await.status(409)), "slot_unavailable");
}

/// An offer that lapses goes to the next person; the first can no
/// longer claim (410) and is told by mail.
#[tokio::test]
async fn an_expired_offer_passes_to_the_next_person() {
    let sink = Sink::start().await;
    let clock = Arc::new(ManualClock::new(t0()));
    let s = server(&sink, &clock).await;
    let ann = book(&s, "Ann", "ann@example.org").await;
    book(&s, "Bob", "bob@example.org").await;
    let carl = json_of(&join(&s, "group", "Carl", "carl@example.org").await.status(201))["waitlist_token"].as_str().unwrap().to_string();
    let dora = json_of(&join(&s, "group", "Dora", "dora@example.org").await.status(201))["waitlist_token"].as_str().unwrap().to_string();
    post(&s, &format!("/api/v1/bookings/{ann}/cancel"), json!({})).await.status(200);
    assert_eq!(entry(&s, &carl).await["status"], "offered");

    clock.advance(Duration::hours(2) + Duration::minutes(1));
    assert_eq!(entry(&s, &carl).await["status"], "expired", "an offer past its time reads expired");
    s.app.booking.sweep_holds().expect("sweep");
    assert_eq!(entry(&s, &carl).await["status"], "expired");
    assert_eq!(entry(&s, &dora).await["status"], "offered");
    assert_eq!(error_code(&post(&s, &format!("/api/v1/waitlist/{carl}/claim"), json!({})).await.status(410)), "offer_expired");
    json_of(&post(&s, &format!("/api/v1/waitlist/{dora}/claim"), json!({})).await.status(201));

    send_mail(&s).await;
    let carl_mail: Vec<String> = sink.to("carl@example.org").iter().map(|m| m.subject()).collect();
    assert!(carl_mail.iter().any(|s| s.starts_with("Waitlist ended")), "{carl_mail:?}");
    let dora_mail: Vec<String> = sink.to("dora@example.org").iter().map(|m| m.subject()).collect();
    assert!(dora_mail.iter().any(|s| s.starts_with("A seat is free")), "{dora_mail:?}");
}

/// Declining (leaving with an offer) passes it on at once; with the list
/// empty the slot opens to everyone; the coach deleting a booking over
/// CalDAV frees a seat for the waitlist too.
#[tokio::test]
async fn leaving_passes_the_offer_on_and_an_empty_list_opens_the_slot_and_a_coach_delete_offers() {
    let sink = Sink::start().await;
    let clock = Arc::new(ManualClock::new(t0()));
    let s = server(&sink, &clock).await;
    let ann = book(&s, "Ann", "ann@example.org").await;
    book(&s, "Bob", "bob@example.org").await;
    let carl = json_of(&join(&s, "group", "Carl", "carl@example.org").await.status(201))["waitlist_token"].as_str().unwrap().to_string();
    let dora = json_of(&join(&s, "group", "Dora", "dora@example.org").await.status(201))["waitlist_token"].as_str().unwrap().to_string();
    post(&s, &format!("/api/v1/bookings/{ann}/cancel"), json!({})).await.status(200);
    assert_eq!(entry(&s, &carl).await["status"], "offered");
    let left = json_of(&post(&s, &format!("/api/v1/waitlist/{carl}/leave"), json!({})).await.status(200));
    assert_eq!(left["status"], "left");
    assert_eq!(entry(&s, &dora).await["status"], "offered");
    post(&s, &format!("/api/v1/waitlist/{dora}/leave"), json!({})).await.status(200);
    // Nobody waits: the seat is open to anyone, and joining is refused.
    assert_eq!(error_code(&join(&s, "group", "Eve", "eve@example.org").await.status(409)), "slot_available");
    let eve = json_of(&hold(&s, "group", slot()).await.status(201));
    post(&s, &format!("/api/v1/holds/{}/confirm", eve["hold_id"].as_str().unwrap()), json!({"name": "Eve", "email": "eve@example.org"})).await.status(201);

    // Full again; Fred waits; the coach deletes Eve's event in their app.
    let fred = json_of(&join(&s, "group", "Fred", "fred@example.org").await.status(201))["waitlist_token"].as_str().unwrap().to_string();
    send_mail(&s).await;
    let invite = sink.to("eve@example.org").into_iter().find_map(|m| m.calendar()).expect("eve's invitation").1;
    let name = format!("{}.ics", invite.uid().replace('@', "-"));
    s.request("DELETE", &format!("/dav/calendars/alice/sessions/{name}")).as_user(ALICE).send().await.status(204);
    assert_eq!(entry(&s, &fred).await["status"], "offered");
}

#[tokio::test]
async fn waitlist_requests_that_cannot_be_met_are_clear_errors() {
    let sink = Sink::start().await;
    let clock = Arc::new(ManualClock::new(t0()));
    let s = server(&sink, &clock).await;
    assert_eq!(error_code(&join(&s, "group", "Carl", "carl@example.org").await.status(409)), "slot_available");
    let h = json_of(&hold(&s, "solo", slot()).await.status(201));
    post(&s, &format!("/api/v1/holds/{}/confirm", h["hold_id"].as_str().unwrap()), json!({"name": "Ann", "email": "ann@example.org"})).await.status(201);
    assert_eq!(error_code(&join(&s, "solo", "Carl", "carl@example.org").await.status(409)), "no_waitlist", "one-to-one: no waitlist by default");
    assert_eq!(error_code(&join(&s, "group", "Carl", "not-an-address").await.status(422)), "invalid_email");
    assert_eq!(s.request("GET", "/api/v1/waitlist/nope").send().await.status(404).code(), 404);
    assert_eq!(error_code(&post(&s, "/api/v1/waitlist/nope/claim", json!({})).await.status(404)), "waitlist_not_found");
    // A time the coach does not offer at all has no waitlist either.
    let night = json!({"start": (slot() + Duration::hours(12)).to_rfc3339(), "name": "Carl", "email": "carl@example.org"});
    assert_eq!(error_code(&post(&s, "/api/v1/coaches/alice/event-types/group/waitlist", night).await.status(409)), "no_waitlist");
    post(&s, "/api/v1/coaches/alice/event-types/group/waitlist", json!({"start": "soon"})).await.status(400);
}

async fn form_post(s: &TestServer, path: &str, cookie: &str, fields: &[(&str, &str)]) -> crate::common::Resp {
    let body: String = fields
        .iter()
        .map(|(k, v)| format!("{k}={}", percent_encoding::utf8_percent_encode(v, percent_encoding::NON_ALPHANUMERIC)))
        .collect::<Vec<_>>()
        .join("&");
    s.request("POST", path).header("Content-Type", "application/x-www-form-urlencoded").header("Cookie", cookie).body(body).send().await
}

/// The pages, without JavaScript: the slots page offers "join the
/// waitlist" on a full session, the place's page shows the position, then
/// the offer with a claim form that books and leads to the manage page.
#[tokio::test]
async fn the_pages_join_a_full_session_show_the_place_and_claim_the_offer() {
    let sink = Sink::start().await;
    let clock = Arc::new(ManualClock::new(t0()));
    let s = server(&sink, &clock).await;
    let ann = book(&s, "Ann", "ann@example.org").await;
    book(&s, "Bob", "bob@example.org").await;

    let r = s.request("GET", "/book/alice/group?week=2030-03-04&tz=Europe/Berlin").send().await.status(200);
    let cookie = r.header("set-cookie").and_then(|c| c.split(';').next()).expect("csrf cookie").to_string();
    let page = r.text();
    assert!(page.contains("Join the waitlist for Wed 6 Mar 10:00"), "join form on the full session");
    assert!(page.contains(r#"action="/book/alice/group/waitlist""#));
    let csrf = cookie.split_once('=').unwrap().1.to_string();
    let start = slot().to_rfc3339();
    // Without the CSRF token the form is refused.
    form_post(&s, "/book/alice/group/waitlist", &cookie, &[("start", &start), ("name", "Carl"), ("email", "carl@example.org")]).await.status(403);
    let r = form_post(&s, "/book/alice/group/waitlist", &cookie, &[("csrf", &csrf), ("start", &start), ("tz", "Europe/Berlin"), ("name", "Carl"), ("email", "carl@example.org")])
        .await
        .status(303);
    let place = r.header("location").expect("redirect to the place").to_string();
    assert!(place.starts_with("/book/waitlist/"), "{place}");
    let page = s.request("GET", &place).header("Cookie", &cookie).send().await.status(200).text();
    assert!(page.contains("number 1") && page.contains("Leave the waitlist"), "{page}");

    post(&s, &format!("/api/v1/bookings/{ann}/cancel"), json!({})).await.status(200);
    let page = s.request("GET", &place).header("Cookie", &cookie).send().await.status(200).text();
    assert!(page.contains("Claim my place") && page.contains("kept for you until"), "{page}");
    let token = place.trim_start_matches("/book/waitlist/").split('?').next().unwrap();
    let r = form_post(&s, &format!("/book/waitlist/{token}/claim"), &cookie, &[("csrf", &csrf)]).await.status(303);
    assert!(r.header("location").unwrap().starts_with("/book/manage/"), "claimed into a booking");
    let page = s.request("GET", &place).header("Cookie", &cookie).send().await.status(200).text();
    assert!(page.contains("You have booked this session"), "{page}");
}

fn cookie_pairs(r: &crate::common::Resp) -> Vec<String> {
    r.headers.get_all("set-cookie").iter().map(|v| v.to_str().unwrap().split(';').next().unwrap().to_string()).collect()
}

/// The coach's dashboard shows how many wait for each full session, and a
/// student moving away from a full session offers the seat.
#[tokio::test]
async fn the_dashboard_counts_who_waits_and_a_reschedule_away_offers_the_seat() {
    let sink = Sink::start().await;
    let clock = Arc::new(ManualClock::new(t0()));
    let s = server(&sink, &clock).await;
    let ann = book(&s, "Ann", "ann@example.org").await;
    book(&s, "Bob", "bob@example.org").await;
    let carl = json_of(&join(&s, "group", "Carl", "carl@example.org").await.status(201))["waitlist_token"].as_str().unwrap().to_string();
    json_of(&join(&s, "group", "Dora", "dora@example.org").await.status(201));

    let form = s.request("GET", "/coach/login").send().await.status(200);
    let mut cookies = cookie_pairs(&form);
    let text = form.text();
    let csrf = text.split("name=\"csrf\" value=\"").nth(1).and_then(|v| v.split('"').next()).unwrap().to_string();
    let body = format!("csrf={csrf}&user={ALICE}&password={ALICE_PW}");
    let r = s
        .request("POST", "/coach/login")
        .header("Content-Type", "application/x-www-form-urlencoded")
        .header("Cookie", &cookies.join("; "))
        .body(body)
        .send()
        .await
        .status(303);
    cookies.extend(cookie_pairs(&r));
    let home = s.request("GET", "/coach/").header("Cookie", &cookies.join("; ")).send().await.status(200).text();
    let section = home.split("id=\"waitlists-heading\"").nth(1).expect("a waitlists section");
    assert!(section.contains("Group class") && section.contains("<td>2</td>"), "{section}");

    // Ann moves to 11:00: her 10:00 seat goes to Carl.
    let later = (slot() + Duration::hours(1)).to_rfc3339();
    post(&s, &format!("/api/v1/bookings/{ann}/reschedule"), json!({"start": later})).await.status(200);
    assert_eq!(entry(&s, &carl).await["status"], "offered");
}

/// (issue 12 §5) A place on the list keeps the language it was taken in:
/// the join and offer mails of a German page join are German, those of an
/// API join with `"language": "fr"` French; the coach writes English.
/// Before, every waitlist mail was in the coach's language. An unknown
/// language is a 400.
#[tokio::test]
async fn waitlist_mails_are_in_the_language_the_place_was_taken_in() {
    let sink = Sink::start().await;
    let clock = Arc::new(ManualClock::new(t0()));
    let s = server(&sink, &clock).await;
    let ann = book(&s, "Ann", "ann@example.org").await;
    book(&s, "Bob", "bob@example.org").await;
    // Carl joins on the German page.
    let page = s.request("GET", "/book/alice/group?week=2030-03-04&lang=de").send().await.status(200);
    let cookies: Vec<String> = page.headers.get_all("set-cookie").iter().map(|v| v.to_str().unwrap().split(';').next().unwrap().to_string()).collect();
    let csrf = cookies.iter().find_map(|c| c.strip_prefix("slotdav_csrf=")).expect("csrf cookie").to_string();
    let mut body = form_urlencoded::Serializer::new(String::new());
    body.append_pair("csrf", &csrf).append_pair("start", &slot().to_rfc3339()).append_pair("name", "Carl").append_pair("email", "carl@example.org");
    let r = s
        .request("POST", "/book/alice/group/waitlist")
        .header("Content-Type", "application/x-www-form-urlencoded")
        .header("Cookie", &cookies.join("; "))
        .body(body.finish())
        .send()
        .await
        .status(303);
    let carl_page = r.header("location").unwrap().to_string();
    let page = s.request("GET", &carl_page).send().await.status(200).text();
    assert!(page.contains("lang=\"de\""), "the place's page speaks German without a cookie: {page}");
    let r = post(&s, "/api/v1/coaches/alice/event-types/group/waitlist", json!({"start": slot().to_rfc3339(), "name": "Dora", "email": "dora@example.org", "language": "fr"})).await;
    json_of(&r.status(201));
    let r = post(&s, "/api/v1/coaches/alice/event-types/group/waitlist", json!({"start": slot().to_rfc3339(), "name": "Eve", "email": "eve@example.org", "language": "klingon"})).await;
    assert_eq!(r.code(), 400, "{}", r.text());
    send_mail(&s).await;
    let carl = sink.to("carl@example.org");
    assert!(carl[0].subject().starts_with("Warteliste: Group class mit Alice Coach"), "{}", carl[0].subject());
    let dora = sink.to("dora@example.org");
    assert!(dora[0].subject().starts_with("Liste d'attente : Group class avec Alice Coach"), "{}", dora[0].subject());
    post(&s, &format!("/api/v1/bookings/{ann}/cancel"), json!({})).await.status(200);
    send_mail(&s).await;
    assert!(sink.to("carl@example.org").iter().any(|m| m.subject().starts_with("Ein Platz ist frei: Group class mit Alice Coach")), "a German offer mail");
}
