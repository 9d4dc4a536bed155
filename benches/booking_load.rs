//! The public booking flow under load (issue 16, target 5): the release
//! binary serving on loopback, a coach with 10,000 busy events, then 100
//! coaches with 1,000 events each, and 16 requests in flight.
//!
//! Run with `cargo bench --bench booking_load`. Each server is the real
//! `slotdav serve` on a temporary data directory with a generated config:
//! `admin` comes from `SLOTDAV_ADMIN_PASSWORD` at the first start, the
//! coaches are added with `slotdav user add` through the admin socket (as
//! README shows), and `[booking]` limits are raised in that config so one
//! loopback address is not throttled. Busy events (single, weekly with
//! EXDATE, all-day, transparent, like `benches/slots.rs`) are stored by
//! CalDAV PUT. Phases, each for `BOOKING_BENCH_SECONDS`:
//!
//! 1. slot listing over the 60-day horizon: JSON API, then the HTML page
//!    (a random week of the horizon);
//! 2. holds of distinct free slots (API);
//! 3. bookings: a hold and its confirm per booking (API); then checks that
//!    no two confirmed bookings overlap, that the coach's bookings calendar
//!    holds exactly the confirmed ones and that the listing offers none of
//!    their times;
//! 4. a second server with 100 coaches × 1,000 events: slot listing of
//!    random coaches, and bookings across coaches.
//!
//! Phases 2 and 3 stop early when the horizon's free slots are used up.
//! For each phase it prints requests, throughput, p50/p99 latency, server
//! CPU per operation (utime + stime of the server from `/proc/PID/stat`,
//! in clock ticks of 10 ms: `_SC_CLK_TCK` is 100 on Linux) and the
//! server's peak RSS (`VmHWM`), then `checks ok` or the failures. Asserts
//! nothing about time.
//!
//! Knobs (environment): `BOOKING_BENCH_SECONDS` (8), `BOOKING_BENCH_EVENTS`
//! (10000), `BOOKING_BENCH_COACHES` (100), `BOOKING_BENCH_COACH_EVENTS`
//! (1000), `BOOKING_BENCH_INFLIGHT` (16). A smoke run:
//! `BOOKING_BENCH_SECONDS=1 BOOKING_BENCH_EVENTS=500 BOOKING_BENCH_COACHES=5 BOOKING_BENCH_COACH_EVENTS=100 cargo bench --bench booking_load`.

use std::future::Future;
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration as StdDuration, Instant};

use base64::Engine;
use bytes::Bytes;
use chrono::{DateTime, Duration, FixedOffset, NaiveDate, Utc};
use http_body_util::{BodyExt, Full};
use hyper::{Method, Request};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const ADMIN_PW: &str = "bench-admin-pw";
const COACH_PW: &str = "bench-coach-pw";
const EVENT_TYPE: &str = "lesson";
const HORIZON_DAYS: i64 = 60;
/// The event type's `buffer_after`, in minutes: two bookings of it are
/// apart by at least this.
const BUFFER_MINUTES: i64 = 10;

fn knob(name: &str, default: u64) -> u64 {
    match std::env::var(name) {
        Ok(v) => v.trim().parse().unwrap_or_else(|_| panic!("{name}={v} is not a number")),
        Err(_) => default,
    }
}

// ---------------------------------------------------------------------------
// The server: the release binary on a temporary data directory
// ---------------------------------------------------------------------------

struct Server {
    child: Child,
    addr: SocketAddr,
    config: PathBuf,
    log: PathBuf,
    _dir: tempfile::TempDir,
}

/// The `[[coach]]` block of coach `user`: the working hours and event type
/// of `benches/slots.rs`, with a 60-day horizon.
fn coach_toml(user: &str) -> String {
    format!(
        r#"
[[coach]]
user = "{user}"
timezone = "Europe/Berlin"
notify_coach = false
working_hours = {{ mon = ["09:00-12:00", "13:00-18:00"], tue = ["09:00-18:00"], wed = ["09:00-18:00"], thu = ["09:00-18:00"], fri = ["09:00-15:00"] }}

[[coach.event_type]]
slug = "{EVENT_TYPE}"
title = "Lesson"
duration = "45m"
slot_interval = "15m"
buffer_after = "{BUFFER_MINUTES}m"
horizon = "{HORIZON_DAYS}d"
"#
    )
}

impl Server {
    /// Writes the config for `coaches`, starts the server (creating
    /// `admin`), adds the coaches through the admin socket and restarts it
    /// so it provisions their calendars.
    fn start(coaches: &[String]) -> Server {
        let dir = tempfile::tempdir().expect("tempdir");
        let data_dir = dir.path().join("data");
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
        let config = dir.path().join("slotdav.toml");
        // The limits are raised so that one loopback address may keep every
        // hold of the run open and is never throttled.
        let mut text = format!(
            "listen = \"{addr}\"\ndata_dir = \"{}\"\nlog = \"info\"\n\n[booking]\nrate_limit_per_minute = 100000000\nmax_holds_per_client = 1000000\nmax_upcoming_bookings_per_email = 1000000\n",
            data_dir.display()
        );
        for c in coaches {
            text.push_str(&coach_toml(c));
        }
        std::fs::write(&config, text).unwrap();
        let log = dir.path().join("server.log");
        let child = spawn(&config, &log);
        let mut server = Server { child, addr, config, log, _dir: dir };
        server.wait_ready();
        for c in coaches {
            server.cli(&["user", "add", c, "--email", &format!("{c}@example.org")], &format!("{COACH_PW}\n"));
        }
        // A restart provisions the new coaches' calendars.
        server.restart();
        server
    }

    fn restart(&mut self) {
        // SIGTERM and wait: the server drains and flushes.
        unsafe { libc::kill(self.child.id() as i32, libc::SIGTERM) };
        let _ = self.child.wait();
        self.child = spawn(&self.config, &self.log);
        self.wait_ready();
    }

    fn wait_ready(&mut self) {
        let started = Instant::now();
        while TcpStream::connect_timeout(&self.addr, StdDuration::from_millis(200)).is_err() {
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!("slotdav exited with {status}:\n{}", std::fs::read_to_string(&self.log).unwrap_or_default());
            }
            assert!(started.elapsed() < StdDuration::from_secs(60), "slotdav did not listen on {}", self.addr);
            std::thread::sleep(StdDuration::from_millis(25));
        }
    }

    fn cli(&self, args: &[&str], stdin: &str) {
        use std::io::Write;
        let mut child = Command::new(env!("CARGO_BIN_EXE_slotdav"))
            .arg("--config")
            .arg(&self.config)
            .args(args)
            .env("NO_COLOR", "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn slotdav");
        child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "slotdav {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    /// utime + stime of the server so far, in milliseconds.
    fn cpu_ms(&self) -> f64 {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.pid())).expect("/proc/PID/stat");
        // Fields after the command name (which may hold spaces) in parens:
        // state is field 3, utime 14, stime 15.
        let rest = &stat[stat.rfind(')').unwrap() + 2..];
        let fields: Vec<&str> = rest.split_whitespace().collect();
        let ticks: u64 = fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap();
        // _SC_CLK_TCK is 100 on Linux.
        ticks as f64 * 10.0
    }

    /// The server's peak resident set so far (`VmHWM`), in MiB.
    fn peak_rss_mib(&self) -> f64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid())).expect("/proc/PID/status");
        let line = status.lines().find(|l| l.starts_with("VmHWM:")).expect("VmHWM");
        let kib: f64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
        kib / 1024.0
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn spawn(config: &Path, log: &Path) -> Child {
    let log_file = std::fs::OpenOptions::new().create(true).append(true).open(log).unwrap();
    Command::new(env!("CARGO_BIN_EXE_slotdav"))
        .arg("--config")
        .arg(config)
        .arg("serve")
        .env_remove("RUST_LOG")
        .env("SLOTDAV_ADMIN_PASSWORD", ADMIN_PW)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(log_file)
        .spawn()
        .expect("spawn slotdav serve")
}

// ---------------------------------------------------------------------------
// HTTP
// ---------------------------------------------------------------------------

#[derive(Clone)]
struct Http {
    client: Client<HttpConnector, Full<Bytes>>,
    base: String,
}

struct Answer {
    status: u16,
    body: Bytes,
}

impl Answer {
    fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or(serde_json::Value::Null)
    }
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

impl Http {
    fn new(addr: SocketAddr) -> Http {
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        let client = Client::builder(TokioExecutor::new()).pool_max_idle_per_host(64).build(connector);
        Http { client, base: format!("http://{addr}") }
    }

    async fn send(&self, method: &str, path: &str, headers: &[(&str, String)], body: impl Into<Bytes>) -> Answer {
        let mut req = Request::builder().method(Method::from_bytes(method.as_bytes()).unwrap()).uri(format!("{}{path}", self.base));
        for (k, v) in headers {
            req = req.header(*k, v);
        }
        let req = req.body(Full::new(body.into())).unwrap();
        match self.client.request(req).await {
            Ok(resp) => {
                let status = resp.status().as_u16();
                match resp.into_body().collect().await {
                    Ok(b) => Answer { status, body: b.to_bytes() },
                    Err(e) => Answer { status: 0, body: Bytes::from(format!("body: {e}")) },
                }
            }
            Err(e) => Answer { status: 0, body: Bytes::from(format!("request: {e}")) },
        }
    }

    async fn get(&self, path: &str) -> Answer {
        self.send("GET", path, &[], Bytes::new()).await
    }

    async fn post_json(&self, path: &str, body: serde_json::Value) -> Answer {
        self.send("POST", path, &[("content-type", "application/json".into())], body.to_string()).await
    }
}

fn basic(user: &str) -> String {
    format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{user}:{COACH_PW}")))
}

// ---------------------------------------------------------------------------
// The load loop
// ---------------------------------------------------------------------------

/// What one operation came to.
enum Outcome {
    Ok,
    /// An answer the API documents for a race (409), counted apart.
    Conflict,
    Failed(String),
    /// No work left (free slots used up): the worker stops.
    Exhausted,
}

type Op = Arc<dyn Fn(u64) -> Pin<Box<dyn Future<Output = Outcome> + Send>> + Send + Sync>;

struct Row {
    phase: String,
    ops: u64,
    conflicts: u64,
    failures: Vec<String>,
    seconds: f64,
    p50: f64,
    p99: f64,
    cpu_ms_per_op: f64,
    peak_rss_mib: f64,
}

/// Runs `op(0)`, `op(1)`, … at `inflight` at once for `seconds` (or until
/// an operation reports the work exhausted) and measures them.
async fn phase(server: &Server, name: &str, seconds: f64, inflight: usize, op: Op) -> Row {
    let next = Arc::new(AtomicU64::new(0));
    let latencies = Arc::new(Mutex::new(Vec::new()));
    let failures = Arc::new(Mutex::new(Vec::new()));
    let conflicts = Arc::new(AtomicU64::new(0));
    // Progress, and the pid to attach a profiler to (`perf record -p`).
    eprintln!("booking_load: {name} (server pid {})", server.pid());
    let cpu_before = server.cpu_ms();
    let started = Instant::now();
    let deadline = started + StdDuration::from_secs_f64(seconds);
    let mut workers = Vec::new();
    for _ in 0..inflight {
        let (next, latencies, failures, conflicts, op) = (next.clone(), latencies.clone(), failures.clone(), conflicts.clone(), op.clone());
        workers.push(tokio::spawn(async move {
            let mut mine = Vec::new();
            while Instant::now() < deadline {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let t = Instant::now();
                let outcome = op(i).await;
                let took = t.elapsed();
                match outcome {
                    Outcome::Ok => {}
                    Outcome::Conflict => {
                        conflicts.fetch_add(1, Ordering::Relaxed);
                    }
                    Outcome::Failed(why) => failures.lock().unwrap().push(why),
                    Outcome::Exhausted => break,
                }
                mine.push(took);
            }
            latencies.lock().unwrap().extend(mine);
        }));
    }
    for w in workers {
        w.await.unwrap();
    }
    let elapsed = started.elapsed().as_secs_f64();
    let cpu = server.cpu_ms() - cpu_before;
    let mut lat = std::mem::take(&mut *latencies.lock().unwrap());
    lat.sort();
    let pct = |q: f64| if lat.is_empty() { 0.0 } else { lat[((lat.len() as f64 - 1.0) * q).round() as usize].as_secs_f64() * 1000.0 };
    let ops = lat.len() as u64;
    let failures = std::mem::take(&mut *failures.lock().unwrap());
    Row {
        phase: name.to_string(),
        ops,
        conflicts: conflicts.load(Ordering::Relaxed),
        failures,
        seconds: elapsed,
        p50: pct(0.5),
        p99: pct(0.99),
        cpu_ms_per_op: if ops == 0 { 0.0 } else { cpu / ops as f64 },
        peak_rss_mib: server.peak_rss_mib(),
    }
}

fn print_row(r: &Row) {
    println!(
        "| {:<44} | {:>7} | {:>5} | {:>8.0} | {:>7.2} | {:>7.2} | {:>8.3} | {:>7.1} |",
        r.phase,
        r.ops,
        r.conflicts,
        r.ops as f64 / r.seconds,
        r.p50,
        r.p99,
        r.cpu_ms_per_op,
        r.peak_rss_mib
    );
}

fn print_header() {
    println!("| {:<44} | {:>7} | {:>5} | {:>8} | {:>7} | {:>7} | {:>8} | {:>7} |", "phase", "ops", "409", "ops/s", "p50 ms", "p99 ms", "CPU ms", "RSS MiB");
    println!("|{:-<46}|{:->9}|{:->7}|{:->10}|{:->9}|{:->9}|{:->10}|{:->9}|", "", "", "", "", "", "", "", "");
}

// ---------------------------------------------------------------------------
// The calendar
// ---------------------------------------------------------------------------

fn stamp(t: DateTime<Utc>) -> String {
    t.format("%Y%m%dT%H%M%SZ").to_string()
}

/// Busy event `i` of a coach: kind chosen by `i`, time by `rng`, somewhere
/// in four years of history and one year ahead (the mix of
/// `benches/slots.rs`).
fn busy_event(i: usize, rng: &mut StdRng, now: DateTime<Utc>) -> String {
    let day = rng.gen_range(-4 * 365i64..365);
    let start = (now + Duration::days(day)).date_naive().and_hms_opt(rng.gen_range(6..21), [0, 15, 30, 45][rng.gen_range(0..4)], 0).unwrap().and_utc();
    let len = Duration::minutes([30, 45, 60, 90, 120][rng.gen_range(0..5)]);
    let timed = |extra: &str| format!("DTSTART:{}\r\nDTEND:{}\r\n{extra}", stamp(start), stamp(start + len));
    let body = match i % 100 {
        0..=3 => {
            let end = if i % 1000 == 0 { String::new() } else { ";COUNT=8".to_string() };
            timed(&format!("RRULE:FREQ=WEEKLY{end}\r\nEXDATE:{}\r\nSUMMARY:Weekly {i}\r\n", stamp(start + Duration::weeks(2))))
        }
        4..=5 => {
            let d = start.date_naive();
            format!(
                "DTSTART;VALUE=DATE:{}\r\nDTEND;VALUE=DATE:{}\r\nSUMMARY:Day off {i}\r\n",
                d.format("%Y%m%d"),
                (d + Duration::days(rng.gen_range(1..3))).format("%Y%m%d")
            )
        }
        6..=15 => timed(&format!("TRANSP:TRANSPARENT\r\nSUMMARY:Reminder {i}\r\n")),
        _ => timed(&format!("SUMMARY:Meeting {i}\r\n")),
    };
    format!(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//slotdav booking_load//EN\r\nBEGIN:VEVENT\r\nUID:load-{i}@example.org\r\nDTSTAMP:20260101T000000Z\r\n{body}END:VEVENT\r\nEND:VCALENDAR\r\n"
    )
}

const CALENDARS: [&str; 3] = ["calendar", "work", "family"];

/// Makes the coaches' extra calendars and PUTs `per_coach` busy events
/// into each (spread over their calendars), `inflight` at once.
async fn seed(server: &Server, http: &Http, coaches: &[String], per_coach: usize, inflight: usize) -> Row {
    for c in coaches {
        for cal in &CALENDARS[1..] {
            let a = http.send("MKCALENDAR", &format!("/dav/calendars/{c}/{cal}/"), &[("authorization", basic(c))], Bytes::new()).await;
            assert_eq!(a.status, 201, "MKCALENDAR {c}/{cal}: {}", a.text());
        }
    }
    let now = Utc::now();
    let total = (coaches.len() * per_coach) as u64;
    let name = format!("seed: CalDAV PUT, {} × {per_coach} events", coaches.len());
    let coaches: Arc<Vec<String>> = Arc::new(coaches.to_vec());
    let op: Op = {
        let http = http.clone();
        Arc::new(move |n| {
            let (http, coaches) = (http.clone(), coaches.clone());
            Box::pin(async move {
                if n >= total {
                    return Outcome::Exhausted;
                }
                let (c, i) = ((n as usize) % coaches.len(), (n as usize) / coaches.len());
                let coach = &coaches[c];
                let mut rng = StdRng::seed_from_u64(n);
                let ics = busy_event(i, &mut rng, now);
                let path = format!("/dav/calendars/{coach}/{}/e{i}.ics", CALENDARS[i % CALENDARS.len()]);
                let headers = [("authorization", basic(coach)), ("content-type", "text/calendar; charset=utf-8".into()), ("if-none-match", "*".into())];
                let a = http.send("PUT", &path, &headers, ics).await;
                if a.status == 201 {
                    Outcome::Ok
                } else {
                    Outcome::Failed(format!("PUT {path}: {} {}", a.status, a.text()))
                }
            })
        })
    };
    phase(server, &name, 1.0e7, inflight, op).await
}

// ---------------------------------------------------------------------------
// The booking flow
// ---------------------------------------------------------------------------

#[derive(Clone, Copy, Debug)]
struct Slot {
    start: DateTime<FixedOffset>,
    end: DateTime<FixedOffset>,
}

fn slots_path(coach: &str, from: NaiveDate) -> String {
    let to = from + Duration::days(HORIZON_DAYS);
    format!("/api/v1/coaches/{coach}/event-types/{EVENT_TYPE}/slots?from={from}&to={to}")
}

fn today() -> NaiveDate {
    Utc::now().with_timezone(&chrono_tz::Europe::Berlin).date_naive()
}

/// The open slots of `coach` over the horizon.
async fn open_slots(http: &Http, coach: &str) -> Vec<Slot> {
    let a = http.get(&slots_path(coach, today())).await;
    assert_eq!(a.status, 200, "slots of {coach}: {}", a.text());
    let v = a.json();
    v["slots"]
        .as_array()
        .expect("slots array")
        .iter()
        .map(|s| Slot {
            start: DateTime::parse_from_rfc3339(s["start"].as_str().unwrap()).unwrap(),
            end: DateTime::parse_from_rfc3339(s["end"].as_str().unwrap()).unwrap(),
        })
        .collect()
}

/// Slots of which no two overlap, including the buffer after each: every
/// one of them can be booked whatever happens to the others.
fn separate(mut slots: Vec<Slot>) -> Vec<Slot> {
    slots.sort_by_key(|s| s.start);
    let mut out: Vec<Slot> = Vec::new();
    for s in slots {
        if out.last().is_none_or(|l| s.start >= l.end + Duration::minutes(BUFFER_MINUTES)) {
            out.push(s);
        }
    }
    out
}

/// A booking the server confirmed.
#[derive(Clone, Debug)]
struct Confirmed {
    coach: String,
    start: DateTime<FixedOffset>,
    end: DateTime<FixedOffset>,
}

async fn hold(http: &Http, coach: &str, slot: &Slot) -> Result<String, Outcome> {
    let a = http.post_json(&format!("/api/v1/coaches/{coach}/event-types/{EVENT_TYPE}/holds"), serde_json::json!({"start": slot.start.to_rfc3339()})).await;
    match a.status {
        201 => Ok(a.json()["hold_id"].as_str().unwrap_or_default().to_string()),
        409 if a.json()["error"] == "slot_unavailable" => Err(Outcome::Conflict),
        s => Err(Outcome::Failed(format!("hold {coach} {}: {s} {}", slot.start, a.text()))),
    }
}

/// The error codes a confirm may answer 409 with in a race (docs/api.md).
const CONFIRM_409: [&str; 3] = ["slot_unavailable", "already_booked", "too_many_bookings"];

async fn hold_and_confirm(http: &Http, coach: &str, slot: &Slot, n: u64, booked: &Mutex<Vec<Confirmed>>) -> Outcome {
    let id = match hold(http, coach, slot).await {
        Ok(id) => id,
        Err(o) => return o,
    };
    let body = serde_json::json!({"name": format!("Student {n}"), "email": format!("student{n}@example.org")});
    let a = http.post_json(&format!("/api/v1/holds/{id}/confirm"), body).await;
    match a.status {
        201 => {
            let v = a.json();
            let time = |k: &str| DateTime::parse_from_rfc3339(v[k].as_str().unwrap_or_default());
            match (time("start"), time("end")) {
                (Ok(start), Ok(end)) if start == slot.start => {
                    booked.lock().unwrap().push(Confirmed { coach: coach.to_string(), start, end });
                    Outcome::Ok
                }
                _ => Outcome::Failed(format!("confirm {coach} {}: 201 {}", slot.start, a.text())),
            }
        }
        409 if CONFIRM_409.iter().any(|c| a.json()["error"] == *c) => Outcome::Conflict,
        s => Outcome::Failed(format!("confirm {coach} {}: {s} {}", slot.start, a.text())),
    }
}

/// Checks after the bookings: per coach no two overlap, the coach's
/// bookings calendar holds exactly that many events, and the slot listing
/// offers none of their times.
async fn check_bookings(http: &Http, booked: &[Confirmed], coaches: &[String], failures: &mut Vec<String>) {
    for c in coaches {
        let mut mine: Vec<&Confirmed> = booked.iter().filter(|b| &b.coach == c).collect();
        mine.sort_by_key(|b| b.start);
        for w in mine.windows(2) {
            if w[1].start < w[0].end {
                failures.push(format!("{c}: bookings overlap: {:?} and {:?}", w[0], w[1]));
            }
        }
        let a = http.send("PROPFIND", &format!("/dav/calendars/{c}/sessions/"), &[("authorization", basic(c)), ("depth", "1".into())], Bytes::new()).await;
        let events = a.text().matches(".ics</").count();
        if a.status != 207 || events != mine.len() {
            failures.push(format!("{c}: the sessions calendar holds {events} events (PROPFIND {}), {} bookings were confirmed", a.status, mine.len()));
        }
        if !mine.is_empty() {
            for s in open_slots(http, c).await {
                if let Some(b) = mine.iter().find(|b| s.start < b.end && b.start < s.end) {
                    failures.push(format!("{c}: slot {} is offered over booking {:?}", s.start, b));
                    break;
                }
            }
        }
    }
}

async fn slot_listing(server: &Server, http: &Http, name: &str, coaches: Arc<Vec<String>>, html: bool, seconds: f64, inflight: usize) -> Row {
    let today = today();
    let http = http.clone();
    let op: Op = Arc::new(move |n| {
        let (http, coaches) = (http.clone(), coaches.clone());
        Box::pin(async move {
            let mut rng = StdRng::seed_from_u64(n);
            let coach = &coaches[rng.gen_range(0..coaches.len())];
            let (path, expect) = if html {
                // A random week of the horizon, as a student pages through it.
                let week = today + Duration::days(rng.gen_range(0..HORIZON_DAYS));
                (format!("/book/{coach}/{EVENT_TYPE}?week={week}"), "</html>")
            } else {
                (slots_path(coach, today), "\"slots\":[")
            };
            let a = http.get(&path).await;
            if a.status == 200 && a.text().contains(expect) {
                Outcome::Ok
            } else {
                Outcome::Failed(format!("GET {path}: {} {}", a.status, a.text().chars().take(300).collect::<String>()))
            }
        })
    });
    phase(server, name, seconds, inflight, op).await
}

/// Holds every one of `slots` (pairs of coach and slot) once.
async fn holds(server: &Server, http: &Http, name: &str, slots: Arc<Vec<(String, Slot)>>, seconds: f64, inflight: usize) -> Row {
    let http = http.clone();
    let op: Op = Arc::new(move |n| {
        let (http, slots) = (http.clone(), slots.clone());
        Box::pin(async move {
            let Some((coach, slot)) = slots.get(n as usize) else { return Outcome::Exhausted };
            match hold(&http, coach, slot).await {
                Ok(_) => Outcome::Ok,
                Err(o) => o,
            }
        })
    });
    phase(server, name, seconds, inflight, op).await
}

/// Books every one of `slots` once (hold, then confirm).
async fn bookings(server: &Server, http: &Http, name: &str, slots: Arc<Vec<(String, Slot)>>, booked: Arc<Mutex<Vec<Confirmed>>>, seconds: f64, inflight: usize) -> Row {
    let http = http.clone();
    let op: Op = Arc::new(move |n| {
        let (http, slots, booked) = (http.clone(), slots.clone(), booked.clone());
        Box::pin(async move {
            let Some((coach, slot)) = slots.get(n as usize) else { return Outcome::Exhausted };
            hold_and_confirm(&http, coach, slot, n, &booked).await
        })
    });
    phase(server, name, seconds, inflight, op).await
}

/// The separate free slots of `coaches`, shuffled, split in two: for the
/// holds and for the bookings.
async fn bookable(http: &Http, coaches: &[String], seed: u64) -> (Vec<(String, Slot)>, Vec<(String, Slot)>) {
    let mut all = Vec::new();
    for c in coaches {
        all.extend(separate(open_slots(http, c).await).into_iter().map(|s| (c.clone(), s)));
    }
    let mut rng = StdRng::seed_from_u64(seed);
    for i in (1..all.len()).rev() {
        all.swap(i, rng.gen_range(0..=i));
    }
    let second = all.split_off(all.len() / 2);
    (all, second)
}

fn main() {
    let seconds = knob("BOOKING_BENCH_SECONDS", 8) as f64;
    let events = knob("BOOKING_BENCH_EVENTS", 10_000) as usize;
    let many = knob("BOOKING_BENCH_COACHES", 100) as usize;
    let per_coach = knob("BOOKING_BENCH_COACH_EVENTS", 1_000) as usize;
    let inflight = knob("BOOKING_BENCH_INFLIGHT", 16) as usize;
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let mut rows = Vec::new();
    let mut failures = Vec::new();
    println!("booking_load: {inflight} in flight, {seconds} s a phase; server CPU per operation from /proc (10 ms ticks), peak RSS = VmHWM");

    rt.block_on(async {
        // One coach with `events` busy events.
        let coaches = vec!["coach".to_string()];
        let server = Server::start(&coaches);
        let http = Http::new(server.addr);
        rows.push(seed(&server, &http, &coaches, events, inflight).await);
        let (to_hold, to_book) = bookable(&http, &coaches, 1).await;
        let label = |what: &str| format!("{what}, 1 coach × {events} events");
        let coaches = Arc::new(coaches);
        rows.push(slot_listing(&server, &http, &label("slots API 60 days"), coaches.clone(), false, seconds, inflight).await);
        rows.push(slot_listing(&server, &http, &label("slots page, a week"), coaches.clone(), true, seconds, inflight).await);
        rows.push(holds(&server, &http, &label("hold"), Arc::new(to_hold), seconds, inflight).await);
        let booked = Arc::new(Mutex::new(Vec::new()));
        rows.push(bookings(&server, &http, &label("hold + confirm"), Arc::new(to_book), booked.clone(), seconds, inflight).await);
        let booked = booked.lock().unwrap().clone();
        check_bookings(&http, &booked, &coaches, &mut failures).await;
        drop(server);

        // `many` coaches with `per_coach` busy events each.
        let coaches: Vec<String> = (0..many).map(|i| format!("coach{i:03}")).collect();
        let server = Server::start(&coaches);
        let http = Http::new(server.addr);
        rows.push(seed(&server, &http, &coaches, per_coach, inflight).await);
        let (_, to_book) = bookable(&http, &coaches, 2).await;
        let label = |what: &str| format!("{what}, {many} coaches × {per_coach}");
        let coaches = Arc::new(coaches);
        rows.push(slot_listing(&server, &http, &label("slots API 60 days"), coaches.clone(), false, seconds, inflight).await);
        rows.push(slot_listing(&server, &http, &label("slots page, a week"), coaches.clone(), true, seconds, inflight).await);
        let booked = Arc::new(Mutex::new(Vec::new()));
        rows.push(bookings(&server, &http, &label("hold + confirm"), Arc::new(to_book), booked.clone(), seconds, inflight).await);
        let booked = booked.lock().unwrap().clone();
        check_bookings(&http, &booked, &coaches, &mut failures).await;
    });

    println!();
    print_header();
    for r in &rows {
        print_row(r);
    }
    println!();
    println!("ops: requests (hold + confirm: bookings, two requests each); 409: documented conflicts among them; CPU ms: server CPU per op");
    for r in &rows {
        for f in r.failures.iter().take(5) {
            failures.push(format!("{}: {f}", r.phase));
        }
        if r.failures.len() > 5 {
            failures.push(format!("{}: … {} failures in all", r.phase, r.failures.len()));
        }
        if r.ops == 0 {
            failures.push(format!("{}: no operation ran", r.phase));
        }
    }
    if failures.is_empty() {
        println!("checks ok");
    } else {
        for f in &failures {
            println!("FAILED: {f}");
        }
        println!("checks failed ({})", failures.len());
        std::process::exit(1);
    }
}
