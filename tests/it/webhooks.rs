//! Webhooks (issue 13 §4) delivered over real HTTP to a receiver started
//! in the test (a small hyper server on 127.0.0.1:0 that records each
//! request and answers what it is told): the signature verifies with the
//! secret, the body has the documented schema, a 500 or a redirect is
//! retried after the backoff (a ManualClock) and delivered once, a healthy
//! receiver gets each event exactly once, the coach and events filters
//! hold, and a delivery given up on shows as failed in `outbox list`.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use chrono::{DateTime, Duration, TimeZone, Utc};
use hmac::{Hmac, Mac};
use http_body_util::{BodyExt, Full};
use serde_json::{json, Value};
use sha2::Sha256;

use slotdav::admin::{self, AdminCommand};
use slotdav::clock::{Clock, ManualClock};
use slotdav::config::Config;
use slotdav::webhooks::DeliveryReport;

use crate::common::{Resp, TestServer, ALICE};

const SECRET: &str = "whsec_0123456789abcdef";

// ---------------------------------------------------------------------------
// The receiver
// ---------------------------------------------------------------------------

#[derive(Debug, Clone)]
struct Received {
    path: String,
    headers: hyper::HeaderMap,
    body: Bytes,
}

impl Received {
    fn header(&self, name: &str) -> &str {
        self.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_else(|| panic!("no {name} header: {self:?}"))
    }
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("JSON body")
    }
}

#[derive(Default)]
struct ReceiverState {
    requests: Vec<Received>,
    /// Statuses to answer next (then 200).
    answers: VecDeque<u16>,
    /// Wait this long before answering.
    delay: Option<std::time::Duration>,
}

struct Receiver {
    addr: SocketAddr,
    state: Arc<Mutex<ReceiverState>>,
    task: tokio::task::JoinHandle<()>,
}

impl Receiver {
    async fn start() -> Receiver {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let state: Arc<Mutex<ReceiverState>> = Default::default();
        let st = state.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else { return };
                let st = st.clone();
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
                        let st = st.clone();
                        async move {
                            let path = req.uri().path().to_string();
                            let headers = req.headers().clone();
                            let body = req.into_body().collect().await.map(|b| b.to_bytes()).unwrap_or_default();
                            let (status, delay) = {
                                let mut s = st.lock().unwrap();
                                s.requests.push(Received { path, headers, body });
                                (s.answers.pop_front().unwrap_or(200), s.delay)
                            };
                            if let Some(d) = delay {
                                tokio::time::sleep(d).await;
                            }
                            let mut resp = hyper::Response::new(Full::new(Bytes::from_static(b"ok")));
                            *resp.status_mut() = hyper::StatusCode::from_u16(status).unwrap();
                            if (300..400).contains(&status) {
                                resp.headers_mut().insert("location", hyper::header::HeaderValue::from_static("/elsewhere"));
                            }
                            Ok::<_, std::convert::Infallible>(resp)
                        }
                    });
                    let io = hyper_util::rt::TokioIo::new(stream);
                    let _ = hyper::server::conn::http1::Builder::new().serve_connection(io, service).await;
                });
            }
        });
        Receiver { addr, state, task }
    }
    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }
    fn requests(&self) -> Vec<Received> {
        self.state.lock().unwrap().requests.clone()
    }
    fn to(&self, path: &str) -> Vec<Received> {
        self.requests().into_iter().filter(|r| r.path == path).collect()
    }
    fn answer(&self, statuses: &[u16]) {
        self.state.lock().unwrap().answers.extend(statuses);
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.task.abort();
    }
}

// ---------------------------------------------------------------------------
// The server
// ---------------------------------------------------------------------------

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
price = "40"

[[coach.event_type]]
slug = "consult"
title = "Consultation"
duration = "30m"
requires_confirmation = true

[[coach]]
user = "zoe"
timezone = "Europe/Berlin"

[[coach.event_type]]
slug = "lesson"
title = "Lesson"
duration = "60m"
"#;

/// Monday 2030-03-04 09:00 Berlin.
fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2030, 3, 4, 8, 0, 0).unwrap()
}

/// Wednesday 2030-03-06 at `h`:00 Berlin (UTC+1).
fn wed(h: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2030, 3, 6, h - 1, 0, 0).unwrap()
}

/// `[[webhook]]` blocks: (url, events, extra lines).
async fn server(clock: &Arc<ManualClock>, hooks: &[(String, &[&str], &str)]) -> TestServer {
    let mut text = COACH.to_string();
    for (url, events, extra) in hooks {
        let events: Vec<String> = events.iter().map(|e| format!("{e:?}")).collect();
        text.push_str(&format!("\n[[webhook]]\nurl = {url:?}\nsecret = {SECRET:?}\nevents = [{}]\n{extra}\n", events.join(", ")));
    }
    let parsed = Config::parse(&text, Path::new("test.toml")).unwrap_or_else(|e| panic!("{e}\n{text}"));
    let clock: Arc<dyn Clock> = clock.clone();
    TestServer::builder()
        .config(|c| {
            c.coaches = parsed.coaches;
            c.webhooks = parsed.webhooks;
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

/// Books through the JSON API; returns the API's booking.
async fn book(s: &TestServer, et: &str, start: DateTime<Utc>) -> Value {
    let r = post_json(s, &format!("/api/v1/coaches/alice/event-types/{et}/holds"), json!({"start": start.to_rfc3339()})).await.status(201);
    let hold_id = json_of(&r)["hold_id"].as_str().unwrap().to_string();
    let r = post_json(s, &format!("/api/v1/holds/{hold_id}/confirm"), json!({"name": "Ben Student", "email": "ben@example.org"})).await;
    json_of(&r.status(201))
}

async fn run(s: &TestServer) -> DeliveryReport {
    s.app.webhooks.run_due().await.expect("webhook run")
}

fn outbox_list(s: &TestServer) -> String {
    admin::execute(&*s.storage, AdminCommand::OutboxList, s.app.clock.now()).expect("outbox list")
}

/// Checks `Slotdav-Signature` as docs/webhooks.md tells a receiver to.
fn verify(r: &Received, secret: &str) -> i64 {
    let sig = r.header("slotdav-signature");
    let (t, v1) = sig.strip_prefix("t=").and_then(|s| s.split_once(",v1=")).unwrap_or_else(|| panic!("bad signature header {sig}"));
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(t.as_bytes());
    mac.update(b".");
    mac.update(&r.body);
    assert_eq!(v1, slotdav::hex::encode(&mac.finalize().into_bytes()), "signature over t.body with the secret");
    t.parse().unwrap()
}

// ---------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_booking_is_posted_once_signed_with_the_documented_schema() {
    let receiver = Receiver::start().await;
    let clock = Arc::new(ManualClock::new(t0()));
    let s = server(&clock, &[(receiver.url("/hook"), &["booking.created", "booking.cancelled"], "")]).await;
    let b = book(&s, "lesson", wed(10)).await;
    assert_eq!(s.app.webhooks.status().unwrap().pending.len(), 1, "queued with the booking");

    // Woken twice at once: still one POST.
    let (a, c) = tokio::join!(run(&s), run(&s));
    assert_eq!(a.delivered + c.delivered, 1, "{a:?} {c:?}");
    assert_eq!(run(&s).await, DeliveryReport::default());
    let got = receiver.requests();
    assert_eq!(got.len(), 1, "{got:?}");
    let r = &got[0];
    assert_eq!(r.header("content-type"), "application/json");
    assert_eq!(verify(r, SECRET), t0().timestamp());
    let body = r.json();
    assert_eq!(r.header("idempotency-key"), body["id"].as_str().unwrap());
    assert_eq!(body["type"], "booking.created");
    assert_eq!(body["version"], 1);
    assert_eq!(body["created_at"], "2030-03-04T08:00:00Z");
    let data = &body["data"];
    assert_eq!(data["reference"], b["reference"]);
    assert_eq!(data["coach"], ALICE);
    assert_eq!(data["event_type"], "lesson");
    assert_eq!(data["start"], "2030-03-06T09:00:00Z");
    assert_eq!(data["end"], "2030-03-06T10:00:00Z");
    assert_eq!(data["status"], "confirmed");
    assert_eq!(data["student"], json!({"name": "Ben Student", "email": "ben@example.org"}));
    assert_eq!(data["actor"], "student");

    let token = b["manage_token"].as_str().unwrap();
    post_json(&s, &format!("/api/v1/bookings/{token}/cancel"), json!({})).await.status(200);
    assert_eq!(run(&s).await.delivered, 1);
    let got = receiver.requests();
    assert_eq!(got.len(), 2);
    let cancelled = got[1].json();
    assert_eq!((cancelled["type"].as_str(), cancelled["data"]["status"].as_str()), (Some("booking.cancelled"), Some("cancelled")));
    assert_ne!(cancelled["id"], body["id"]);
    assert!(outbox_list(&s).contains("webhooks delivered: 2"), "{}", outbox_list(&s));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_500_is_retried_after_the_backoff_and_delivered_once() {
    let receiver = Receiver::start().await;
    receiver.answer(&[500]);
    let clock = Arc::new(ManualClock::new(t0()));
    let s = server(&clock, &[(receiver.url("/hook"), &["booking.created"], "retry_backoff = \"1m\"")]).await;
    book(&s, "lesson", wed(10)).await;
    assert_eq!(run(&s).await, DeliveryReport { retried: 1, ..Default::default() });
    let list = outbox_list(&s);
    assert!(list.contains("webhooks pending: 1") && list.contains("[1 failed attempt(s), last: HTTP 500]"), "{list}");
    assert_eq!(run(&s).await, DeliveryReport::default(), "not due before the backoff");
    clock.advance(Duration::seconds(61));
    assert_eq!(run(&s).await, DeliveryReport { delivered: 1, ..Default::default() });
    assert_eq!(run(&s).await, DeliveryReport::default());
    let got = receiver.requests();
    assert_eq!(got.len(), 2, "one failed attempt, one delivery");
    assert_eq!(got[0].body, got[1].body, "the same event");
    assert_eq!(got[0].header("idempotency-key"), got[1].header("idempotency-key"));
    assert_eq!(verify(&got[1], SECRET), (t0() + Duration::seconds(61)).timestamp(), "signed at the attempt");
    assert!(outbox_list(&s).contains("webhooks pending: 0"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redirects_and_timeouts_are_failures_and_only_the_configured_url_is_contacted() {
    let receiver = Receiver::start().await;
    receiver.answer(&[302]);
    let clock = Arc::new(ManualClock::new(t0()));
    let s = server(&clock, &[(receiver.url("/hook"), &["booking.created"], "timeout = \"1s\"")]).await;
    book(&s, "lesson", wed(10)).await;
    assert_eq!(run(&s).await.retried, 1);
    assert!(receiver.to("/elsewhere").is_empty(), "the redirect was not followed");
    assert!(outbox_list(&s).contains("redirects are not followed"), "{}", outbox_list(&s));

    receiver.state.lock().unwrap().delay = Some(std::time::Duration::from_secs(3));
    clock.advance(Duration::hours(2));
    assert_eq!(run(&s).await.retried, 1, "no answer within the timeout");
    assert!(outbox_list(&s).contains("no answer within 1s"), "{}", outbox_list(&s));
    receiver.state.lock().unwrap().delay = None;
    clock.advance(Duration::hours(2));
    assert_eq!(run(&s).await.delivered, 1);
    assert!(receiver.requests().iter().all(|r| r.path == "/hook"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_coach_and_events_filters_choose_who_is_told() {
    let receiver = Receiver::start().await;
    let clock = Arc::new(ManualClock::new(t0()));
    let hooks = [
        (receiver.url("/alice"), &["booking.created", "booking.confirmed"][..], "coach = \"alice\""),
        (receiver.url("/zoe"), &["booking.created"][..], "coach = \"zoe\""),
        (receiver.url("/cancelled"), &["booking.cancelled", "waitlist.offered"][..], ""),
    ];
    let s = server(&clock, &hooks).await;
    let b = book(&s, "consult", wed(10)).await;
    run(&s).await;
    assert_eq!(receiver.to("/alice").len(), 1);
    assert!(receiver.to("/zoe").is_empty(), "another coach's webhook");
    assert!(receiver.to("/cancelled").is_empty(), "not subscribed to booking.created");
    assert_eq!(receiver.to("/alice")[0].json()["data"]["status"], "tentative");

    // The coach confirms in their calendar app: booking.confirmed.
    let r = s
        .request("PROPFIND", "/dav/calendars/alice/sessions/")
        .as_user(ALICE)
        .depth("1")
        .xml(crate::common::propfind_props(&["D:getetag"]))
        .send()
        .await
        .status(207);
    let href = r.hrefs().into_iter().find(|h| h.ends_with(".ics")).expect("the booking's event");
    let ics = String::from_utf8_lossy(&s.http.get(ALICE, &href).await).to_string();
    let confirmed = ics.replace("STATUS:TENTATIVE", "STATUS:CONFIRMED");
    assert_ne!(confirmed, ics);
    s.request("PUT", &href).as_user(ALICE).header("Content-Type", "text/calendar").body(confirmed).send().await.status(204);
    run(&s).await;
    let alice = receiver.to("/alice");
    assert_eq!(alice.len(), 2);
    let body = alice[1].json();
    assert_eq!((body["type"].as_str(), body["data"]["status"].as_str(), body["data"]["actor"].as_str()), (Some("booking.confirmed"), Some("confirmed"), Some("coach-calendar")));

    let token = b["manage_token"].as_str().unwrap();
    post_json(&s, &format!("/api/v1/bookings/{token}/cancel"), json!({})).await.status(200);
    run(&s).await;
    assert_eq!(receiver.to("/cancelled").len(), 1);
    assert_eq!(receiver.to("/alice").len(), 2, "alice's webhook does not want cancellations");
    assert!(receiver.to("/zoe").is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delivery_is_given_up_after_max_attempts_and_listed_as_failed() {
    let receiver = Receiver::start().await;
    receiver.answer(&[500, 503, 500]);
    let clock = Arc::new(ManualClock::new(t0()));
    let s = server(&clock, &[(receiver.url("/hook"), &["booking.created"], "max_attempts = 2\nretry_backoff = \"10s\"")]).await;
    let b = book(&s, "lesson", wed(10)).await;
    assert_eq!(run(&s).await.retried, 1);
    clock.advance(Duration::seconds(11));
    assert_eq!(run(&s).await, DeliveryReport { failed: 1, ..Default::default() });
    clock.advance(Duration::days(1));
    assert_eq!(run(&s).await, DeliveryReport::default(), "given up: never tried again");
    assert_eq!(receiver.requests().len(), 2);
    let list = outbox_list(&s);
    assert!(list.contains("webhooks pending: 0") && list.contains("webhooks failed: 1"), "{list}");
    let line = list.lines().find(|l| l.contains(b["reference"].as_str().unwrap())).expect("the failed delivery is listed");
    assert!(line.contains("booking.created") && line.contains("after 2 attempt(s)") && line.contains("HTTP 503"), "{line}");
}

/// The delivery is queued in the booking's batch: a booking the store
/// refuses queues nothing, so nothing is announced that did not happen.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_booking_queues_no_delivery() {
    let receiver = Receiver::start().await;
    let clock = Arc::new(ManualClock::new(t0()));
    let s = server(&clock, &[(receiver.url("/hook"), &["booking.created"], "")]).await;
    let r = post_json(&s, "/api/v1/coaches/alice/event-types/lesson/holds", json!({"start": wed(10).to_rfc3339()})).await.status(201);
    let hold_id = json_of(&r)["hold_id"].as_str().unwrap().to_string();
    s.storage.set_quota(0);
    post_json(&s, &format!("/api/v1/holds/{hold_id}/confirm"), json!({"name": "Ben Student", "email": "ben@example.org"})).await.status(507);
    assert!(s.app.webhooks.status().unwrap().pending.is_empty());
    assert_eq!(run(&s).await, DeliveryReport::default());
    assert!(receiver.requests().is_empty());
}
