//! Two real `slotdav serve` processes on one PostgreSQL database behave
//! as one server (issue 10 §3): concurrent holds and confirms spread over
//! both end in exactly `seats` bookings, one VEVENT each and one
//! invitation each at a real SMTP sink (both processes drain the outbox);
//! a PUT acknowledged by one is seen by the other's GET, REPORT and
//! sync-collection (with a token the first issued) at once; concurrent
//! writers on both never make a sync token go back or a change slip past
//! an incremental sync; a changed password or a removed user is refused
//! by the other at once; the admin commands work against the database
//! while both run; `kill -9` of one mid-decision leaves nothing locked.
//! Only with `SLOTDAV_TEST_DATABASE_URL` set: on sled one process owns
//! the store.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::common::pg;
use crate::common::*;
use crate::mail::Sink;

const PW: &str = "two-servers-alice";
const CAL: &str = "/dav/calendars/alice/calendar/";
const SEATS: usize = 3;

/// The coach (a group class of [`SEATS`]), generous limits, `{MAIL}`.
const COACH: &str = "[booking]\nrate_limit_per_minute = 100000\nmax_holds_per_client = 100000\nmax_upcoming_bookings_per_email = 100000\n[[coach]]\nuser = \"alice\"\ntimezone = \"UTC\"\nworking_hours = { mon = [\"00:00-23:59\"], tue = [\"00:00-23:59\"], wed = [\"00:00-23:59\"], thu = [\"00:00-23:59\"], fri = [\"00:00-23:59\"], sat = [\"00:00-23:59\"], sun = [\"00:00-23:59\"] }\n[[coach.event_type]]\nslug = \"group\"\ntitle = \"Group class\"\nduration = \"60m\"\nmin_notice = \"2h\"\nseats = 3\nonce_per_student = false\n{MAIL}";

fn mail(smtp_port: u16) -> String {
    format!("[mail]\ntransport = \"smtp\"\nsmtp_host = \"127.0.0.1\"\nsmtp_port = {smtp_port}\nsmtp_timeout = \"5s\"\nworker_interval = \"1s\"\nretry_backoff = \"1s\"\nretry_backoff_max = \"2s\"\n")
}

/// Two environments (config, data directory) on one schema, and the
/// schema (dropped at the end). `None` without the switch.
fn two_envs(extra: &str) -> Option<(BinEnv, BinEnv)> {
    if !pg::enabled() {
        eprintln!("skipped: two processes share a store only on PostgreSQL (set {})", pg::SWITCH);
        return None;
    }
    let one = BinEnv::new(extra);
    let schema = one.pg.as_ref().expect("the switch is set");
    let two = BinEnv::new(&format!("{extra}{}", schema.toml()));
    Some((one, two))
}

fn spawn(env: &BinEnv) -> BinServer {
    let server = env.spawn();
    server.http.set_password("alice", PW);
    server
}

fn json_of(r: &Resp) -> Value {
    serde_json::from_slice(&r.bytes).unwrap_or_else(|e| panic!("not JSON ({e}): {}", r.describe()))
}

fn sync_token(xml: &str) -> String {
    let start = xml.find("sync-token>").expect("a sync-token") + "sync-token>".len();
    xml[start..].split('<').next().unwrap().to_string()
}

fn sync_body(token: &str) -> String {
    format!(r#"<D:sync-collection xmlns:D="DAV:"><D:sync-token>{token}</D:sync-token><D:sync-level>1</D:sync-level><D:prop><D:getetag/></D:prop></D:sync-collection>"#)
}

/// The revision a sync token names (its last number).
fn revision_of(token: &str) -> u64 {
    token.rsplit(|c: char| !c.is_ascii_digit()).find(|s| !s.is_empty()).and_then(|s| s.parse().ok()).unwrap_or_else(|| panic!("no revision in {token}"))
}

fn event(uid: &str, day: u32) -> String {
    format!(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//slotdav tests//EN\r\nBEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:203006{day:02}T100000Z\r\nDURATION:PT1H\r\nSUMMARY:{uid}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
}

const QUERY: &str = r#"<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><D:getetag/></D:prop><C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT"><C:time-range start="20300610T000000Z" end="20300611T000000Z"/></C:comp-filter></C:comp-filter></C:filter></C:calendar-query>"#;

/// Holds for one slot fired at both processes at once: exactly `seats`
/// succeed; their confirms, each at the other process and all at once,
/// make exactly `seats` bookings; the bookings calendar has one VEVENT per
/// booking and each student gets exactly one invitation at the sink,
/// though both processes run the outbox worker.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn holds_and_confirms_at_two_processes_make_exactly_seats_bookings_and_one_message_each() {
    let sink = Sink::start().await;
    let Some((env1, env2)) = two_envs(&COACH.replace("{MAIL}", &mail(sink.port()))) else { return };
    env1.cli(&["user", "add", "alice", "--email", "alice@example.org"], &format!("{PW}\n")).success();
    let servers = Arc::new([spawn(&env1), spawn(&env2)]);
    let slots = json_of(&servers[0].request("GET", "/api/v1/coaches/alice/event-types/group/slots").send().await.status(200));
    let start = slots["slots"][0]["start"].as_str().unwrap_or_else(|| panic!("a slot: {slots}")).to_string();

    let mut tasks = Vec::new();
    for i in 0..12 {
        let (servers, start) = (servers.clone(), start.clone());
        tasks.push(tokio::spawn(async move {
            let s = &servers[i % 2];
            let r = s.request("POST", "/api/v1/coaches/alice/event-types/group/holds").header("Content-Type", "application/json").body(json!({ "start": start }).to_string()).send().await;
            assert!(r.code() == 201 || r.code() == 409, "a hold is placed or refused as taken, never {}", r.describe());
            (r.code() == 201).then(|| (i, json_of(&r)["hold_id"].as_str().unwrap().to_string()))
        }));
    }
    let mut holds = Vec::new();
    for t in tasks {
        holds.extend(t.await.unwrap());
    }
    assert_eq!(holds.len(), SEATS, "holds placed across two processes for a slot of {SEATS} seats");

    let mut tasks = Vec::new();
    for (i, id) in holds {
        let servers = servers.clone();
        tasks.push(tokio::spawn(async move {
            let s = &servers[(i + 1) % 2];
            let email = format!("student{i}@example.org");
            // Each confirm twice, at both processes at once: one wins.
            let a = s.request("POST", &format!("/api/v1/holds/{id}/confirm")).header("Content-Type", "application/json").body(json!({"name": "Ben", "email": email}).to_string()).send();
            let other = &servers[i % 2];
            let b = other.request("POST", &format!("/api/v1/holds/{id}/confirm")).header("Content-Type", "application/json").body(json!({"name": "Ben", "email": email}).to_string()).send();
            let (a, b) = tokio::join!(a, b);
            let ok = [&a, &b].iter().filter(|r| r.code() == 201 || r.code() == 200).count();
            assert_eq!(ok, 1, "one confirm of a hold wins: {} / {}", a.describe(), b.describe());
            for r in [&a, &b] {
                assert!(r.code() < 500, "{}", r.describe());
            }
            email
        }));
    }
    let mut emails = Vec::new();
    for t in tasks {
        emails.push(t.await.unwrap());
    }

    let listing = servers[1].request("PROPFIND", "/dav/calendars/alice/sessions/").as_user("alice").depth("1").xml(propfind_props(&["D:getetag"])).send().await.status(207);
    let events: Vec<String> = listing.hrefs().into_iter().filter(|h| h.ends_with(".ics")).collect();
    assert_eq!(events.len(), SEATS, "one VEVENT per booking: {events:?}");
    let mut uids = BTreeSet::new();
    for href in &events {
        let body = servers[0].request("GET", href).as_user("alice").send().await.status(200).text();
        assert_eq!(body.matches("BEGIN:VEVENT").count(), 1, "{body}");
        uids.insert(body.split("\r\n").find_map(|l| l.strip_prefix("UID:")).unwrap().to_string());
    }
    assert_eq!(uids.len(), SEATS);

    // Both workers run; each invitation goes out once.
    let deadline = Instant::now() + Duration::from_secs(30);
    while emails.iter().any(|e| sink.to(e).is_empty()) {
        assert!(Instant::now() < deadline, "invitations not delivered: {:?}", sink.messages().iter().map(|m| m.rcpt.clone()).collect::<Vec<_>>());
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // Give a second worker time to send anything twice.
    tokio::time::sleep(Duration::from_secs(3)).await;
    for e in &emails {
        assert_eq!(sink.to(e).len(), 1, "one message to {e} from two processes");
    }
}

/// A PUT acknowledged by one process is there on the other at once: GET
/// (same ETag), a time-range REPORT, and a sync-collection with a token
/// the first process issued; then a password changed through one process
/// is refused by the other at once, and a removed user too. The admin
/// commands (`user list`, `outbox list`) answer from the database while
/// both run.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_and_credentials_are_shared_at_once() {
    let Some((env1, env2)) = two_envs("") else { return };
    env1.cli(&["user", "add", "alice", "--email", "alice@example.org"], &format!("{PW}\n")).success();
    let (a, b) = (spawn(&env1), spawn(&env2));
    let listing = a.request("REPORT", CAL).as_user("alice").xml(sync_body("")).send().await.status(207).text();
    let token = sync_token(&listing);
    for n in 0..5 {
        let put = a.request("PUT", &format!("{CAL}e{n}.ics")).as_user("alice").header("Content-Type", "text/calendar").body(event(&format!("u{n}"), 10)).send().await.status(201);
        let got = b.request("GET", &format!("{CAL}e{n}.ics")).as_user("alice").send().await.status(200);
        assert_eq!(got.etag(), put.etag(), "the other process serves the write at once");
        let report = b.request("REPORT", CAL).as_user("alice").depth("1").xml(QUERY).send().await.status(207);
        assert!(report.text().contains(&format!("e{n}.ics")), "{}", report.text());
    }
    let delta = b.request("REPORT", CAL).as_user("alice").xml(sync_body(&token)).send().await.status(207).text();
    for n in 0..5 {
        assert!(delta.contains(&format!("e{n}.ics")), "a token of one process is valid on the other: {delta}");
    }

    // Admin commands against the database, both servers up: through one
    // server's admin.sock or the database directly, the same answer.
    let listed = env2.cli(&["user", "list"], "").success();
    assert!(listed.stdout.contains("alice"), "{listed:?}");
    env1.cli(&["outbox", "list"], "").success();

    // A new password through process one: the old one is refused by two.
    env1.cli(&["user", "passwd", "alice"], "a-new-password\n").success();
    b.request("GET", &format!("{CAL}e0.ics")).as_user("alice").send().await.status(401);
    b.request("GET", &format!("{CAL}e0.ics")).basic("alice", "a-new-password").send().await.status(200);
    a.request("GET", &format!("{CAL}e0.ics")).basic("alice", "a-new-password").send().await.status(200);
    // A removed user: refused by both at once.
    env2.cli(&["user", "remove", "alice"], "").success();
    a.request("GET", &format!("{CAL}e0.ics")).basic("alice", "a-new-password").send().await.status(401);
    b.request("GET", &format!("{CAL}e0.ics")).basic("alice", "a-new-password").send().await.status(401);
}

/// Writers at both processes PUT into one calendar while a reader syncs
/// incrementally at both in turn: the tokens it gets never go back, and
/// the changes it collects are every acknowledged write — a revision
/// committed out of order would let a change slip behind a token already
/// handed out. The final initial sync lists every resource.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sync_tokens_never_go_back_or_skip_a_change_with_two_writing_processes() {
    let Some((env1, env2)) = two_envs("") else { return };
    env1.cli(&["user", "add", "alice", "--email", "alice@example.org"], &format!("{PW}\n")).success();
    let servers = Arc::new([spawn(&env1), spawn(&env2)]);
    servers[0].request("PUT", &format!("{CAL}seed.ics")).as_user("alice").header("Content-Type", "text/calendar").body(event("seed", 1)).send().await.status(201);
    let mut token = sync_token(&servers[1].request("REPORT", CAL).as_user("alice").xml(sync_body("")).send().await.status(207).text());
    let acked: Arc<Mutex<BTreeSet<String>>> = Arc::default();
    let etags: Arc<Mutex<Vec<String>>> = Arc::default();
    let mut writers = Vec::new();
    for w in 0..4 {
        let (servers, acked, etags) = (servers.clone(), acked.clone(), etags.clone());
        writers.push(tokio::spawn(async move {
            for n in 0..15 {
                let name = format!("w{w}-{n}.ics");
                let r = servers[w % 2].request("PUT", &format!("{CAL}{name}")).as_user("alice").header("Content-Type", "text/calendar").body(event(&format!("w{w}-{n}"), 1 + (n as u32 % 28))).send().await.status(201);
                etags.lock().unwrap().push(r.etag());
                acked.lock().unwrap().insert(name);
            }
        }));
    }
    let mut seen = BTreeSet::new();
    let mut last = revision_of(&token);
    let mut round = 0usize;
    loop {
        let done = writers.iter().all(|w| w.is_finished());
        let delta = servers[round % 2].request("REPORT", CAL).as_user("alice").xml(sync_body(&token)).send().await.status(207).text();
        token = sync_token(&delta);
        let rev = revision_of(&token);
        assert!(rev >= last, "a sync token went back: {last} then {rev}");
        last = rev;
        for href in split_elements(&delta, "href") {
            if let Some(name) = href.rsplit('/').next().filter(|n| n.starts_with('w')) {
                seen.insert(name.trim_end_matches("</D:href>").to_string());
            }
        }
        round += 1;
        if done {
            break;
        }
    }
    for w in writers {
        w.await.unwrap();
    }
    let acked = acked.lock().unwrap().clone();
    assert_eq!(acked.len(), 60);
    let missed: Vec<_> = acked.difference(&seen).collect();
    assert!(missed.is_empty(), "changes no incremental sync reported ({round} rounds): {missed:?}");
    let etags = etags.lock().unwrap().clone();
    assert_eq!(etags.iter().collect::<BTreeSet<_>>().len(), etags.len(), "an ETag repeated across resources");
    let full = servers[0].request("REPORT", CAL).as_user("alice").xml(sync_body("")).send().await.status(207).text();
    for name in &acked {
        assert!(full.contains(name.as_str()), "{name} missing from the listing");
    }
}

/// `kill -9` of one process in the middle of booking decisions (each
/// inside the decisions' section, an advisory lock on PostgreSQL) leaves
/// nothing locked: the other process decides at once, and every hold the
/// killed one acknowledged is there.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_of_one_process_mid_decision_leaves_the_other_deciding() {
    let Some((env1, env2)) = two_envs(&COACH.replace("{MAIL}", "")) else { return };
    env1.cli(&["user", "add", "alice", "--email", "alice@example.org"], &format!("{PW}\n")).success();
    let (a, b) = (spawn(&env1), spawn(&env2));
    let slots = json_of(&a.request("GET", "/api/v1/coaches/alice/event-types/group/slots").send().await.status(200));
    let starts: Vec<String> = slots["slots"].as_array().unwrap().iter().map(|s| s["start"].as_str().unwrap().to_string()).collect();
    assert!(starts.len() > 40, "{} slots", starts.len());
    let http = a.http.clone();
    let load_starts = starts.clone();
    let load = tokio::spawn(async move {
        let mut acked = Vec::new();
        for start in load_starts.iter().skip(1).cycle().take(400) {
            match http.request("POST", "/api/v1/coaches/alice/event-types/group/holds").header("Content-Type", "application/json").body(json!({ "start": start }).to_string()).send_result().await {
                Ok(r) if r.code() == 201 => acked.push(serde_json::from_slice::<Value>(&r.bytes).unwrap()["hold_id"].as_str().unwrap().to_string()),
                Ok(_) => {}
                Err(_) => break,
            }
        }
        acked
    });
    tokio::time::sleep(Duration::from_millis(600)).await;
    a.kill9();
    let acked = load.await.unwrap();
    assert!(!acked.is_empty(), "holds before the kill");
    let started = Instant::now();
    b.request("POST", "/api/v1/coaches/alice/event-types/group/holds").header("Content-Type", "application/json").body(json!({ "start": starts[0] }).to_string()).send().await.status(201);
    assert!(started.elapsed() < Duration::from_secs(5), "the decision waited {:?} for a dead process's lock", started.elapsed());
    // The killed process's acknowledged holds are there: the other
    // confirms them (the last few; each is a booking with its mail).
    for (n, id) in acked.iter().rev().take(10).enumerate() {
        let r = b.request("POST", &format!("/api/v1/holds/{id}/confirm")).header("Content-Type", "application/json").body(json!({"name": "Ben", "email": format!("k{n}@example.org")}).to_string()).send().await;
        assert_eq!(r.code(), 201, "an acknowledged hold of the killed process: {}", r.describe());
    }
}
