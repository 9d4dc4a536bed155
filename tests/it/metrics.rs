//! Metrics and health over real HTTP (issue 13 §5): `/metrics` is
//! OpenMetrics text that Prometheus reads and its counters move with
//! requests and bookings; who may scrape (the bearer token, or loopback
//! clients only, judged on the real peer or the client a trusted proxy
//! names); `/healthz`; `/readyz` and its two reasons to be 503 (a stale
//! mail-worker heartbeat, a store that refuses writes).

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use chrono::{DateTime, Duration, TimeZone, Utc};
use serde_json::{json, Value};

use slotdav::clock::ManualClock;
use slotdav::config::Config;
use slotdav::ical::ComponentKind;
use slotdav::model::{IpRange, TimeRange};
use slotdav::storage::*;

use crate::common::*;

/// The sled store, refusing every record write while `refuse` is set
/// (a full or read-only disk).
struct RefusingStore {
    inner: Arc<dyn Storage>,
    refuse: Arc<AtomicBool>,
}

impl Storage for RefusingStore {
    fn flush(&self) -> Result<()> {
        self.inner.flush()
    }
    fn size_on_disk(&self) -> Result<u64> {
        self.inner.size_on_disk()
    }
    fn user(&self, name: &str) -> Result<Option<User>> {
        self.inner.user(name)
    }
    fn users(&self) -> Result<Vec<User>> {
        self.inner.users()
    }
    fn put_user(&self, user: &User) -> Result<()> {
        self.inner.put_user(user)
    }
    fn remove_user(&self, name: &str) -> Result<bool> {
        self.inner.remove_user(name)
    }
    fn usage(&self, user: &str) -> Result<u64> {
        self.inner.usage(user)
    }
    fn recount_usage(&self, user: &str) -> Result<u64> {
        self.inner.recount_usage(user)
    }
    fn set_quota(&self, bytes: u64){
        self.inner.set_quota(bytes)
    }
    fn node(&self, path: &StorePath) -> Result<Option<Node>> {
        self.inner.node(path)
    }
    fn children(&self, path: &StorePath) -> Result<Vec<(String, Node)>> {
        self.inner.children(path)
    }
    fn for_each_child(&self, path: &StorePath, f: &mut dyn FnMut(String, Node) -> Result<()>) -> Result<()> {
        self.inner.for_each_child(path, f)
    }
    fn content(&self, path: &StorePath) -> Result<Option<Vec<u8>>> {
        self.inner.content(path)
    }
    fn create_collection(&self, path: &StorePath, calendar: bool, components: Vec<ComponentKind>, props: Vec<(String, String)>, now: DateTime<Utc>) -> Result<Node> {
        self.inner.create_collection(path, calendar, components, props, now)
    }
    fn put_resource(&self, path: &StorePath, write: ResourceWrite, cond: &WriteCondition, now: DateTime<Utc>) -> Result<PutOutcome> {
        self.inner.put_resource(path, write, cond, now)
    }
    fn delete(&self, path: &StorePath, cond: &WriteCondition, now: DateTime<Utc>) -> Result<()> {
        self.inner.delete(path, cond, now)
    }
    fn copy(&self, from: &StorePath, to: &StorePath, overwrite: bool, deep: bool, remove_source: bool, now: DateTime<Utc>) -> Result<bool> {
        self.inner.copy(from, to, overwrite, deep, remove_source, now)
    }
    fn props(&self, path: &StorePath) -> Result<Vec<(String, String)>> {
        self.inner.props(path)
    }
    fn prop(&self, path: &StorePath, clark: &str) -> Result<Option<String>> {
        self.inner.prop(path, clark)
    }
    fn patch_props(&self, path: &StorePath, changes: &[PropChange], now: DateTime<Utc>) -> Result<()> {
        self.inner.patch_props(path, changes, now)
    }
    fn object_by_uid(&self, calendar: &StorePath, uid: &str) -> Result<Option<String>> {
        self.inner.object_by_uid(calendar, uid)
    }
    fn changes_since(&self, collection: &StorePath, revision: u64, limit: Option<usize>) -> Result<Option<ChangeSet>> {
        self.inner.changes_since(collection, revision, limit)
    }
    fn time_range_candidates(&self, calendar: &StorePath, range: &TimeRange) -> Result<Vec<Candidate>> {
        self.inner.time_range_candidates(calendar, range)
    }
    fn visit_occurrences(&self, calendar: &StorePath, range: &TimeRange, f: &mut dyn FnMut(OccurrenceRef<'_>)) -> Result<()> {
        self.inner.visit_occurrences(calendar, range, f)
    }
    fn set_read_only(&self, path: &StorePath, read_only: bool) -> Result<()> {
        self.inner.set_read_only(path, read_only)
    }
    fn extend_horizon(&self, calendar: &StorePath, until: DateTime<Utc>, reindex: Reindex<'_>) -> Result<()> {
        self.inner.extend_horizon(calendar, until, reindex)
    }
    fn record(&self, key: &RecordKey) -> Result<Option<Vec<u8>>> {
        self.inner.record(key)
    }
    fn records(&self, table: &'static str, prefix: &str) -> Result<Vec<(String, Vec<u8>)>> {
        self.inner.records(table, prefix)
    }
    fn take_record(&self, key: &RecordKey) -> Result<Option<Vec<u8>>> {
        self.inner.take_record(key)
    }
    fn apply(&self, batch: RecordBatch, now: DateTime<Utc>) -> Result<Option<PutOutcome>> {
        if self.refuse.load(Ordering::Relaxed) {
            return Err(StorageError::Backend("disk full (test)".into()));
        }
        self.inner.apply(batch, now)
    }
}

const COACH: &str = r#"
[[coach]]
user = "alice"
timezone = "Europe/Berlin"
working_hours = { mon = ["09:00-17:00"], tue = ["09:00-17:00"] }

[[coach.event_type]]
slug = "lesson"
title = "Lesson"
duration = "60m"
"#;

/// Monday 2026-05-04 08:00 Berlin.
fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 5, 4, 6, 0, 0).unwrap()
}

fn with_coach(c: &mut Config) {
    c.coaches = Config::parse(COACH, Path::new("test.toml")).unwrap().coaches;
}

/// Every line is a comment or `name{labels} value` with a number, and
/// the exposition ends with `# EOF`. Returns the samples.
fn parse_exposition(text: &str) -> Vec<(String, f64)> {
    assert!(text.ends_with("# EOF\n"), "{text}");
    let mut samples = Vec::new();
    for line in text.lines() {
        if line.starts_with('#') {
            assert!(line.starts_with("# HELP ") || line.starts_with("# TYPE ") || line.starts_with("# UNIT ") || line == "# EOF", "{line}");
            continue;
        }
        let (series, value) = line.rsplit_once(' ').unwrap_or_else(|| panic!("no value: {line}"));
        let name_end = series.find('{').unwrap_or(series.len());
        let name = &series[..name_end];
        assert!(!name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':'), "bad name: {line}");
        if name_end < series.len() {
            let labels = &series[name_end..];
            assert!(labels.starts_with('{') && labels.ends_with('}'), "bad labels: {line}");
            for pair in labels[1..labels.len() - 1].split("\",").filter(|p| !p.is_empty()) {
                let (k, v) = pair.split_once("=\"").unwrap_or_else(|| panic!("bad label {pair}: {line}"));
                assert!(k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'), "bad label name: {line}");
                assert!(!v.contains('\n'), "{line}");
            }
        }
        let v: f64 = value.parse().unwrap_or_else(|_| panic!("bad value: {line}"));
        samples.push((series.to_string(), v));
    }
    samples
}

fn sample(samples: &[(String, f64)], series: &str) -> f64 {
    samples.iter().find(|(s, _)| s == series).map(|(_, v)| *v).unwrap_or(0.0)
}

async fn scrape(server: &TestServer) -> Vec<(String, f64)> {
    let r = server.request("GET", "/metrics").send().await.status(200);
    assert_eq!(r.header("content-type"), Some("application/openmetrics-text; version=1.0.0; charset=utf-8"));
    parse_exposition(&r.text())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_parse_and_move_with_requests_and_bookings() {
    let server = TestServer::builder().config(with_coach).start_with_clock(Arc::new(ManualClock::new(t0()))).await;
    let before = scrape(&server).await;
    let book_ok = r#"slotdav_http_requests_total{method="GET",route="book",status="2xx"}"#;
    server.request("GET", "/book/alice").send().await.status(200);
    server.request("GET", "/book/nobody").send().await.status(404);
    server.request("PROPFIND", "/dav/").as_user(ALICE).depth("0").send().await.status(207);
    let start = Utc.with_ymd_and_hms(2026, 5, 5, 7, 0, 0).unwrap();
    let hold: Value = serde_json::from_slice(
        &server
            .request("POST", "/api/v1/coaches/alice/event-types/lesson/holds")
            .header("Content-Type", "application/json")
            .body(json!({"start": start.to_rfc3339()}).to_string())
            .send()
            .await
            .status(201)
            .bytes,
    )
    .unwrap();
    let after_hold = scrape(&server).await;
    assert_eq!(sample(&after_hold, "slotdav_holds_active"), 1.0);
    server
        .request("POST", &format!("/api/v1/holds/{}/confirm", hold["hold_id"].as_str().unwrap()))
        .header("Content-Type", "application/json")
        .body(json!({"name": "Ann", "email": "ann@example.org"}).to_string())
        .send()
        .await
        .status(201);
    let after = scrape(&server).await;
    assert_eq!(sample(&after, book_ok) - sample(&before, book_ok), 1.0);
    assert_eq!(sample(&after, r#"slotdav_http_requests_total{method="GET",route="book",status="4xx"}"#), 1.0);
    assert_eq!(sample(&after, r#"slotdav_http_requests_total{method="PROPFIND",route="dav",status="2xx"}"#), 1.0);
    assert_eq!(sample(&after, r#"slotdav_http_requests_total{method="POST",route="api",status="2xx"}"#), 2.0);
    assert_eq!(sample(&before, r#"slotdav_booking_changes_total{outcome="booked"}"#), 0.0);
    assert_eq!(sample(&after, r#"slotdav_booking_changes_total{outcome="booked"}"#), 1.0);
    assert_eq!(sample(&after, "slotdav_holds_active"), 0.0, "the hold became the booking");
    assert!(sample(&after, r#"slotdav_http_request_duration_seconds_count{method="GET",route="book"}"#) >= 2.0);
    assert!(sample(&after, "slotdav_store_size_bytes") > 0.0);
    assert!(after.iter().any(|(s, _)| s.starts_with("slotdav_outbox_depth")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_configured_token_is_required_from_everyone() {
    let server = TestServer::builder().config(|c| c.metrics_token = Some("s3cret-token-0123456789".into())).start().await;
    let r = server.request("GET", "/metrics").send().await.status(401);
    assert!(r.header("www-authenticate").is_some_and(|h| h.starts_with("Bearer")));
    server.request("GET", "/metrics").header("Authorization", "Bearer wrong-token-0123456789").send().await.status(401);
    server.request("GET", "/metrics").as_user(ALICE).send().await.status(401);
    let r = server.request("GET", "/metrics").header("Authorization", "Bearer s3cret-token-0123456789").send().await.status(200);
    parse_exposition(&r.text());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_token_only_loopback_clients_may_scrape() {
    // Behind a trusted proxy on loopback, the client it names counts.
    let proxied = TestServer::builder().config(|c| c.trusted_proxies = vec![IpRange::parse("127.0.0.1").unwrap()]).start().await;
    proxied.request("GET", "/metrics").header("X-Forwarded-For", "198.51.100.7").send().await.status(403);
    proxied.request("GET", "/metrics").header("X-Forwarded-For", "127.0.0.1").send().await.status(200);
    proxied.request("GET", "/metrics").send().await.status(200);
    // From an untrusted peer a forwarded address is ignored: the real peer (loopback) counts.
    let direct = TestServer::start().await;
    direct.request("GET", "/metrics").header("X-Forwarded-For", "198.51.100.7").send().await.status(200);
    direct.request("POST", "/metrics").send().await.status(405);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn healthz_answers_while_the_process_is_up() {
    let server = TestServer::start().await;
    let r = server.request("GET", "/healthz").send().await.status(200);
    assert_eq!(r.text(), "ok\n");
}

async fn readyz(server: &TestServer) -> (u16, String) {
    let r = server.request("GET", "/readyz").send().await;
    (r.code(), r.text())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readyz_needs_a_live_mail_worker_and_a_writable_store() {
    let clock = Arc::new(ManualClock::new(t0()));
    let refuse = Arc::new(AtomicBool::new(false));
    let switch = refuse.clone();
    let server = TestServer::builder()
        .wrap_storage(move |inner| Arc::new(RefusingStore { inner, refuse: switch }))
        .start_with_clock(clock.clone())
        .await;
    let (code, text) = readyz(&server).await;
    assert_eq!((code, text.as_str()), (503, "not ready: the mail worker is not running\n"));
    let worker = server.app.outbox.spawn_worker();
    let mut ready = (0, String::new());
    for _ in 0..50 {
        ready = readyz(&server).await;
        if ready.0 == 200 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(ready, (200, "ready\n".to_string()));
    refuse.store(true, Ordering::Relaxed);
    let (code, text) = readyz(&server).await;
    assert_eq!(code, 503);
    assert!(text.contains("the store refuses writes"), "{text}");
    server.request("GET", "/healthz").send().await.status(200);
    refuse.store(false, Ordering::Relaxed);
    assert_eq!(readyz(&server).await.0, 200);
    // The worker stops beating: after its grace period the server is not ready.
    worker.stop().await;
    clock.advance(Duration::minutes(10));
    let (code, text) = readyz(&server).await;
    assert_eq!(code, 503);
    assert!(text.contains("the mail worker last ran 600s ago"), "{text}");
}

/// The outbox's depth and its failures by kind, as the worker counted
/// them: a booking's mail to an SMTP server that is not there is given up
/// on after one attempt.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outbox_depth_and_failures_by_kind_follow_the_worker() {
    let port = free_port();
    let server = TestServer::builder()
        .config(move |c| {
            with_coach(c);
            c.mail.transport = slotdav::mail::MailTransport::Smtp;
            c.mail.smtp_host = "127.0.0.1".into();
            c.mail.smtp_port = port;
            c.mail.smtp_tls = slotdav::mail::SmtpTls::None;
            c.mail.retry_max_attempts = 1;
        })
        .start_with_clock(Arc::new(ManualClock::new(t0())))
        .await;
    let start = Utc.with_ymd_and_hms(2026, 5, 5, 7, 0, 0).unwrap();
    let post = |path: String, body: Value| server.request("POST", &path).header("Content-Type", "application/json").body(body.to_string());
    let hold: Value =
        serde_json::from_slice(&post("/api/v1/coaches/alice/event-types/lesson/holds".into(), json!({"start": start.to_rfc3339()})).send().await.status(201).bytes)
            .unwrap();
    post(format!("/api/v1/holds/{}/confirm", hold["hold_id"].as_str().unwrap()), json!({"name": "Ann", "email": "ann@example.org"}))
        .send()
        .await
        .status(201);
    let queued = server.app.outbox.status().unwrap().pending.len();
    assert!(queued >= 1, "the booking queued the student's mail");
    assert_eq!(sample(&scrape(&server).await, r#"slotdav_outbox_failed{kind="student"}"#), 0.0);
    let report = server.app.outbox.run_due().await.unwrap();
    assert!(report.failed >= 1, "{report:?}");
    let after = scrape(&server).await;
    assert_eq!(sample(&after, r#"slotdav_outbox_failed{kind="student"}"#), 1.0);
    assert_eq!(sample(&after, "slotdav_outbox_depth"), (queued - report.failed - report.sent - report.dropped) as f64);
}

/// An ICS server on loopback answering every request with `status`.
async fn ics_server(status: &'static str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                let _ = stream.read(&mut buf).await;
                let body = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nBEGIN:VEVENT\r\nUID:x\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20260505T080000Z\r\nDTEND:20260505T090000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
                let resp = format!("HTTP/1.1 {status}\r\ncontent-type: text/calendar\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}", body.len());
                let _ = stream.write_all(resp.as_bytes()).await;
            });
        }
    });
    format!("http://{addr}/cal.ics")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn external_calendar_fetches_are_counted_by_result() {
    let clock = Arc::new(ManualClock::new(t0()));
    let server = TestServer::builder().config(with_coach).start_with_clock(clock.clone()).await;
    let coach = server.app.config.coaches[0].clone();
    let metrics = server.app.metrics.clone();
    let importer = slotdav::feeds::import::Importer::new(server.storage.clone(), clock, server.app.config.feeds.clone())
        .observe_fetches(Arc::new(move |result| metrics.feed_fetch(result)));
    let ok = slotdav::booking::coach::ExternalBusy { url: ics_server("200 OK").await, name: "outside".into(), refresh: Duration::minutes(15) };
    let broken = slotdav::booking::coach::ExternalBusy { url: ics_server("500 Oops").await, name: "broken".into(), refresh: Duration::minutes(15) };
    importer.refresh(&coach, &ok).await.unwrap();
    assert!(importer.refresh(&coach, &broken).await.is_err());
    let samples = scrape(&server).await;
    assert_eq!(sample(&samples, r#"slotdav_feed_fetches_total{result="imported"}"#), 1.0);
    assert_eq!(sample(&samples, r#"slotdav_feed_fetches_total{result="failed"}"#), 1.0);
}
