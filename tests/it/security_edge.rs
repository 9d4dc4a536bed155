//! The HTTP edge under attack (issue 14, findings 2, 3, 6 and 9): wrong
//! passwords must not cost memory or tell user names apart and are
//! throttled; idle, slow and too many connections are closed; behind a
//! trusted reverse proxy, limits and links follow the real client.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use serde_json::{json, Value};

use crate::common::*;
use slotdav::clock::ManualClock;
use slotdav::config::Config;
use slotdav::model::IpRange;

const ADMIN_PW: &str = "admin-secret-pw";

/// Peak resident memory of a process, in MiB (VmHWM).
fn peak_rss_mib(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).expect("VmHWM");
    let kb: f64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    kb / 1024.0
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

fn trusting_loopback(c: &mut Config) {
    c.trusted_proxies = vec![IpRange::parse("127.0.0.1").unwrap()];
}

// ---------------------------------------------------------------------------
// Finding 2: memory of wrong passwords
// ---------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn wrong_passwords_keep_the_server_small_and_the_right_one_still_works() {
    // Throttling is set high so every attempt really runs argon2.
    let env = BinEnv::new("[auth]\nfree_failures = 1000\n");
    let server = env.spawn_with_env(&[("SLOTDAV_ADMIN_PASSWORD", ADMIN_PW)]);
    let before = peak_rss_mib(server.pid());
    for i in 0..100 {
        let r = server.request("PROPFIND", "/dav/").basic("admin", &format!("wrong-{i}")).depth("0").send().await;
        assert_eq!(r.code(), 401, "{}", r.describe());
    }
    let after_serial = peak_rss_mib(server.pid());
    let mut tasks = Vec::new();
    for i in 0..32 {
        let http = server.http.clone();
        tasks.push(tokio::spawn(async move {
            http.request("PROPFIND", "/dav/").basic("admin", &format!("parallel-{i}")).depth("0").send().await.code()
        }));
    }
    for t in tasks {
        let code = t.await.unwrap();
        assert!(code == 401 || code == 503, "a wrong password in a crowd: {code}");
    }
    let after_parallel = peak_rss_mib(server.pid());
    eprintln!("peak RSS: start {before:.1} MiB, after 100 serial {after_serial:.1} MiB, after 32 parallel {after_parallel:.1} MiB");
    assert!(after_parallel < 150.0, "peak RSS {after_parallel:.1} MiB after wrong logins (start {before:.1} MiB)");
    server.request("PROPFIND", "/dav/").basic("admin", ADMIN_PW).depth("0").send().await.status(207);
}

fn rss_mib(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).expect("VmRSS");
    let kb: f64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    kb / 1024.0
}

async fn password_checks(server: &BinServer) -> u64 {
    let text = server.request("GET", "/metrics").send().await.status(200).text();
    let line = text.lines().find(|l| l.starts_with("slotdav_password_checks_total ")).unwrap_or_else(|| panic!("no password check counter:\n{text}"));
    line.split_whitespace().nth(1).unwrap().parse::<f64>().unwrap() as u64
}

/// A password check's 19 MiB go back to the system when it ends (they used
/// to stay with the server, two checks' worth for good), and a client that
/// opens many connections at once with new credentials costs one check.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn password_checks_give_their_memory_back_and_a_crowd_of_one_client_costs_one_check() {
    let env = BinEnv::new("[auth]\nfree_failures = 1000\n");
    let server = env.spawn_with_env(&[("SLOTDAV_ADMIN_PASSWORD", ADMIN_PW)]);
    server.request("GET", "/").send().await.status(200);
    let before = rss_mib(server.pid());
    let checks_before = password_checks(&server).await;

    let crowd = |password: String| {
        let http = server.http.clone();
        tokio::spawn(async move { http.request("PROPFIND", "/dav/").basic("admin", &password).depth("0").send().await.code() })
    };
    let right: Vec<_> = (0..16).map(|_| crowd(ADMIN_PW.to_string())).collect();
    for t in right {
        assert_eq!(t.await.unwrap(), 207, "the right password, sixteen connections at once");
    }
    assert_eq!(password_checks(&server).await - checks_before, 1, "sixteen connections with the same new credentials cost one check");

    let wrong: Vec<_> = (0..8).map(|i| crowd(format!("wrong-{i}"))).collect();
    for t in wrong {
        let code = t.await.unwrap();
        assert!(code == 401 || code == 503, "a wrong password in a crowd: {code}");
    }
    assert!(password_checks(&server).await - checks_before >= 3, "different wrong passwords are each checked");
    let after = rss_mib(server.pid());
    eprintln!("RSS before the logins {before:.1} MiB, after {after:.1} MiB");
    assert!(after < before + 16.0, "password checks kept their memory: RSS {before:.1} -> {after:.1} MiB");
}

// ---------------------------------------------------------------------------
// Finding 3: brute force and user-name timing
// ---------------------------------------------------------------------------

#[tokio::test]
async fn repeated_wrong_passwords_are_throttled_but_a_known_good_address_gets_in() {
    let server = TestServer::builder().config(trusting_loopback).start().await;
    let propfind = |addr: &str, user: &str, pw: &str| {
        server.request("PROPFIND", "/dav/").basic(user, pw).depth("0").header("X-Forwarded-For", addr).send()
    };
    let home = "192.0.2.10";
    let attacker = "203.0.113.66";
    propfind(home, ALICE, ALICE_PW).await.status(207);

    let mut codes = Vec::new();
    let mut throttled = None;
    for i in 0..20 {
        let r = propfind(attacker, ALICE, &format!("guess-{i}")).await;
        codes.push(r.code());
        if r.code() == 429 {
            throttled = Some(r);
            break;
        }
    }
    let r = throttled.unwrap_or_else(|| panic!("never throttled: {codes:?}"));
    let retry: u64 = r.header("retry-after").expect("Retry-After").parse().expect("seconds");
    assert!(retry >= 1, "{}", r.describe());
    assert!(codes.len() <= 10, "throttled only after {} guesses: {codes:?}", codes.len());

    // The user is throttled for new addresses, even with the right password …
    propfind("198.51.100.77", ALICE, ALICE_PW).await.status(429);
    // … the attacker's address for every user …
    propfind(attacker, BOB, "whatever").await.status(429);
    // … but Alice's own, known-good address still gets in.
    propfind(home, ALICE, ALICE_PW).await.status(207);
    // Bob, from an address of his own, is not affected.
    propfind("192.0.2.20", BOB, BOB_PW).await.status(207);
}

#[tokio::test]
async fn unknown_and_known_users_take_comparable_time_and_failures_are_logged_for_fail2ban() {
    let env = BinEnv::new("[auth]\nfree_failures = 1000\n");
    let server = env.spawn_with_env(&[("SLOTDAV_ADMIN_PASSWORD", ADMIN_PW)]);
    // Warm up (first connection, first argon2 run).
    server.request("PROPFIND", "/dav/").basic("admin", "warm-up").depth("0").send().await.status(401);
    let (mut known, mut unknown) = (Vec::new(), Vec::new());
    for i in 0..9 {
        let t = Instant::now();
        server.request("PROPFIND", "/dav/").basic("admin", &format!("nope-{i}")).depth("0").send().await.status(401);
        known.push(t.elapsed().as_secs_f64() * 1000.0);
        let t = Instant::now();
        server.request("PROPFIND", "/dav/").basic(&format!("nobody-{i}"), "nope").depth("0").send().await.status(401);
        unknown.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    let (k, u) = (median(known), median(unknown));
    eprintln!("median wrong-password time: known user {k:.1} ms, unknown user {u:.1} ms");
    assert!(u > k / 3.0 && u < k * 3.0, "known {k:.1} ms vs unknown {u:.1} ms");

    let log = server.log_text();
    let line = log.lines().find(|l| l.contains("failed login") && l.contains("nobody-3")).unwrap_or_else(|| panic!("no failure line:\n{log}"));
    // The documented fail2ban filter: `WARN failed login client=<HOST> user=`.
    assert!(line.contains("WARN failed login client=127.0.0.1 user=\"nobody-3\""), "{line}");
    assert!(!line.contains('\u{1b}'), "no colour codes in a log file: {line:?}");
}

// ---------------------------------------------------------------------------
// Finding 6: idle, slow and too many connections
// ---------------------------------------------------------------------------

/// Reads until the server closes the connection (or `limit` passes);
/// returns what was read and how long the connection stayed open.
fn read_until_closed(stream: &mut TcpStream, limit: Duration) -> (String, Duration, bool) {
    let started = Instant::now();
    stream.set_read_timeout(Some(Duration::from_millis(100))).unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => return (String::from_utf8_lossy(&got).into_owned(), started.elapsed(), true),
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock || e.kind() == std::io::ErrorKind::TimedOut => {}
            Err(_) => return (String::from_utf8_lossy(&got).into_owned(), started.elapsed(), true),
        }
        if started.elapsed() > limit {
            return (String::from_utf8_lossy(&got).into_owned(), started.elapsed(), false);
        }
    }
}

/// Reads one response (headers and a Content-Length body) from a
/// kept-alive connection.
fn read_response(stream: &mut TcpStream) -> String {
    stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let n = stream.read(&mut buf).expect("a response");
        assert!(n > 0, "closed before a response: {:?}", String::from_utf8_lossy(&got));
        got.extend_from_slice(&buf[..n]);
        let text = String::from_utf8_lossy(&got).into_owned();
        if let Some(end) = text.find("\r\n\r\n") {
            let len = text[..end]
                .lines()
                .find_map(|l| l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().parse::<usize>().unwrap()))
                .unwrap_or(0);
            if got.len() >= end + 4 + len {
                return text;
            }
        }
    }
}

async fn short_timeouts() -> TestServer {
    TestServer::builder()
        .config(|c| {
            c.http.header_timeout = Duration::from_secs(1);
            c.http.keep_alive_timeout = Duration::from_secs(2);
            c.http.body_timeout = Duration::from_secs(1);
        })
        .start()
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silent_slow_and_idle_connections_are_closed_after_their_timeouts() {
    let server = short_timeouts().await;
    let addr = server.addr;
    tokio::task::spawn_blocking(move || {
        // Connects and says nothing.
        let mut silent = TcpStream::connect(addr).unwrap();
        // Sends half a request head.
        let mut partial = TcpStream::connect(addr).unwrap();
        partial.write_all(b"GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ").unwrap();
        let (_, open, closed) = read_until_closed(&mut silent, Duration::from_secs(10));
        assert!(closed && open < Duration::from_secs(4), "silent connection open for {open:?}");
        let (_, open, closed) = read_until_closed(&mut partial, Duration::from_secs(10));
        assert!(closed && open < Duration::from_secs(4), "half a head: open for {open:?}");

        // A kept-alive connection: served, then closed once idle for 2 s.
        let mut idle = TcpStream::connect(addr).unwrap();
        idle.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
        assert!(read_response(&mut idle).starts_with("HTTP/1.1 200"));
        std::thread::sleep(Duration::from_millis(1200));
        // Still open after more than header_timeout: idle waits keep_alive_timeout.
        idle.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
        assert!(read_response(&mut idle).starts_with("HTTP/1.1 200"));
        let (_, open, closed) = read_until_closed(&mut idle, Duration::from_secs(10));
        assert!(closed && open > Duration::from_millis(1500) && open < Duration::from_secs(5), "idle connection open for {open:?}");

        // A body that stops arriving: 408.
        let mut slow_body = TcpStream::connect(addr).unwrap();
        slow_body
            .write_all(b"POST /api/v1/holds/x/confirm HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"name\":")
            .unwrap();
        let (text, open, closed) = read_until_closed(&mut slow_body, Duration::from_secs(10));
        assert!(text.starts_with("HTTP/1.1 408"), "{text}");
        assert!(closed && open < Duration::from_secs(4), "slow body: open for {open:?}");
    })
    .await
    .unwrap();
    // The server still answers.
    server.request("GET", "/").send().await.status(200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn at_the_per_client_cap_the_oldest_idle_connection_makes_room_or_the_new_one_is_refused() {
    let server = TestServer::builder()
        .config(|c| {
            c.http.max_connections_per_client = 3;
            c.http.body_timeout = Duration::from_secs(30);
        })
        .start()
        .await;
    let addr = server.addr;
    tokio::task::spawn_blocking(move || {
        let request = |s: &mut TcpStream| {
            s.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
            read_response(s)
        };
        let mut idle: Vec<TcpStream> = (0..3).map(|_| TcpStream::connect(addr).unwrap()).collect();
        for s in idle.iter_mut() {
            assert!(request(s).starts_with("HTTP/1.1 200"));
            std::thread::sleep(Duration::from_millis(20));
        }
        // A fourth connection is served; the oldest idle one is closed.
        let mut fourth = TcpStream::connect(addr).unwrap();
        assert!(request(&mut fourth).starts_with("HTTP/1.1 200"));
        let (_, _, closed) = read_until_closed(&mut idle[0], Duration::from_secs(3));
        assert!(closed, "the oldest idle connection was not closed");
        for s in idle.iter_mut().skip(1) {
            assert!(request(s).starts_with("HTTP/1.1 200"), "a younger idle connection was closed");
        }

        // Three connections busy sending bodies: a new one is refused cleanly.
        let busy: Vec<TcpStream> = (0..3)
            .map(|_| {
                let mut s = TcpStream::connect(addr).unwrap();
                s.write_all(b"POST /api/v1/holds/x/confirm HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{").unwrap();
                s
            })
            .collect();
        std::thread::sleep(Duration::from_millis(300));
        let mut refused = TcpStream::connect(addr).unwrap();
        let _ = refused.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n");
        let (text, _, closed) = read_until_closed(&mut refused, Duration::from_secs(5));
        assert!(text.starts_with("HTTP/1.1 503") && text.contains("retry-after"), "{text}");
        assert!(closed);
        drop(busy);
    })
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn out_of_file_descriptors_the_server_still_answers_without_flooding_the_log() {
    // No per-client cap in the way: all 400 come from 127.0.0.1, and the
    // open-files limit is what runs out.
    let env = BinEnv::new("[http]\nmax_connections_per_client = 1000\n");
    let server = env.spawn_wrapped(&["prlimit", "--nofile=300:300"], &[]);
    let addr: SocketAddr = server.addr;
    let idle: Vec<TcpStream> = (0..400).filter_map(|_| TcpStream::connect(addr).ok()).collect();
    assert!(idle.len() >= 350, "only {} connections", idle.len());
    std::thread::sleep(Duration::from_millis(500));
    let started = Instant::now();
    let r = server.request("GET", "/").send().await;
    let took = started.elapsed();
    r.status(200);
    eprintln!("a request with 400 idle connections at RLIMIT_NOFILE 300 took {took:?}");
    assert!(took < Duration::from_secs(10), "took {took:?}");
    std::thread::sleep(Duration::from_secs(2));
    let log = server.log_text();
    let floods = log.lines().filter(|l| l.contains("accept failed")).count();
    eprintln!("{floods} accept-failure line(s) logged");
    assert!(floods <= 3, "{floods} accept-failure lines:\n{log}");
    drop(idle);
}

// ---------------------------------------------------------------------------
// Finding 9: behind a reverse proxy
// ---------------------------------------------------------------------------

async fn confirm_unknown_hold(server: &TestServer, forwarded_for: &str) -> u16 {
    server
        .request("POST", "/api/v1/holds/no-such-hold/confirm")
        .header("Content-Type", "application/json")
        .header("X-Forwarded-For", forwarded_for)
        .body(json!({"name": "Ben", "email": "ben@example.org"}).to_string())
        .send()
        .await
        .code()
}

#[tokio::test]
async fn behind_a_trusted_proxy_each_client_has_its_own_rate_limit_bucket() {
    let server = TestServer::builder()
        .config(|c| {
            trusting_loopback(c);
            c.rate_limit_per_minute = 2;
        })
        .start()
        .await;
    assert_eq!(confirm_unknown_hold(&server, "198.51.100.1").await, 404);
    assert_eq!(confirm_unknown_hold(&server, "198.51.100.1").await, 404);
    assert_eq!(confirm_unknown_hold(&server, "198.51.100.1").await, 429);
    // Another student behind the same proxy.
    assert_eq!(confirm_unknown_hold(&server, "198.51.100.2").await, 404);
    // A client cannot pick an address left of the proxy's entry.
    assert_eq!(confirm_unknown_hold(&server, "10.9.9.9, 198.51.100.1").await, 429);
}

#[tokio::test]
async fn from_an_untrusted_peer_a_spoofed_forwarded_for_does_not_escape_the_limit() {
    let server = TestServer::builder().config(|c| c.rate_limit_per_minute = 2).start().await;
    assert_eq!(confirm_unknown_hold(&server, "198.51.100.1").await, 404);
    assert_eq!(confirm_unknown_hold(&server, "198.51.100.2").await, 404);
    assert_eq!(confirm_unknown_hold(&server, "198.51.100.3").await, 429);
}

/// Alice as a coach with one 30-minute event type, Mon–Fri 9–17 Berlin;
/// now is Monday 2026-05-04 08:00 Berlin.
async fn coach_server(trust: bool) -> TestServer {
    let text = "[[coach]]\nuser = \"alice\"\ntimezone = \"Europe/Berlin\"\nworking_hours = { mon = [\"09:00-17:00\"], tue = [\"09:00-17:00\"] }\n[[coach.event_type]]\nslug = \"lesson\"\ntitle = \"Lesson\"\nduration = \"30m\"\nmin_notice = \"0m\"\n";
    let parsed = Config::parse(text, Path::new("test.toml")).unwrap();
    let clock = Arc::new(ManualClock::new(Utc.with_ymd_and_hms(2026, 5, 4, 6, 0, 0).unwrap()));
    TestServer::builder()
        .config(move |c| {
            c.coaches = parsed.coaches;
            if trust {
                trusting_loopback(c);
            }
        })
        .start_with_clock(clock)
        .await
}

/// Books 2026-05-05 10:00 Berlin through the proxy headers; returns the
/// manage link written into the coach's calendar event.
async fn book_through_proxy(server: &TestServer) -> String {
    let post = |path: String, body: Value| {
        server
            .request("POST", &path)
            .header("Content-Type", "application/json")
            .header("X-Forwarded-For", "198.51.100.5")
            .header("X-Forwarded-Proto", "https")
            .header("X-Forwarded-Host", "book.example.org")
            .body(body.to_string())
            .send()
    };
    let hold = post("/api/v1/coaches/alice/event-types/lesson/holds".into(), json!({"start": "2026-05-05T10:00:00+02:00"})).await.status(201);
    let hold: Value = serde_json::from_slice(&hold.bytes).unwrap();
    let id = hold["hold_id"].as_str().unwrap().to_string();
    post(format!("/api/v1/holds/{id}/confirm"), json!({"name": "Ben", "email": "ben@example.org"})).await.status(201);
    let listing = server
        .request("PROPFIND", "/dav/calendars/alice/sessions/")
        .as_user(ALICE)
        .depth("1")
        .xml(propfind_props(&["D:getetag"]))
        .send()
        .await
        .status(207);
    let href = listing.hrefs().into_iter().find(|h| h.ends_with(".ics")).expect("the booking's event");
    let ics = String::from_utf8_lossy(&server.http.get(ALICE, &href).await).replace("\r\n ", "");
    let start = ics.find("Manage: ").unwrap_or_else(|| panic!("no manage link:\n{ics}")) + "Manage: ".len();
    ics[start..].split(|c: char| c.is_whitespace() || c == '\\').next().unwrap().to_string()
}

#[tokio::test]
async fn links_follow_the_scheme_and_host_a_trusted_proxy_forwards() {
    let server = coach_server(true).await;
    let link = book_through_proxy(&server).await;
    assert!(link.starts_with("https://book.example.org/book/manage/"), "{link}");
    // The link works (the path is the server's own).
    let path = link.trim_start_matches("https://book.example.org");
    server.request("GET", path).send().await.status(200);
}

#[tokio::test]
async fn links_ignore_forwarded_host_from_an_untrusted_peer() {
    let server = coach_server(false).await;
    let link = book_through_proxy(&server).await;
    assert!(link.starts_with(&format!("{}/book/manage/", server.app.config.public_url)), "{link}");
    assert!(!link.contains("book.example.org"), "{link}");
}
