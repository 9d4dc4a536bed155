//! Crash at every write (issue 17 §2): a mixed workload (PUT, DELETE,
//! MOVE, PROPPATCH, hold, confirm, cancel, and the outbox sending their
//! mail to a real SMTP sink) against the real binary, killed
//! with SIGKILL at a random moment, many times over. After each kill
//! `slotdav check` must find the stopped store clean, and after the
//! restart every acknowledged change must be there (the one operation in
//! flight at the kill may have happened or not). At the end every
//! acknowledged booking's mail (its invitation, and its cancellation when
//! it was cancelled) must have reached the sink: a kill between queueing
//! and sending loses no message (one cut off after the SMTP answer may be
//! sent twice; the test prints how many were). Bounded by
//! [`BUDGET`]; it prints the cycles, the acknowledged operations and the
//! inconsistencies (always 0, or the test fails) for the lead's notes.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::common::*;
use crate::mail::{Mime, Sink};

const PW: &str = "crash-mixed-alice";
const CAL: &str = "/dav/calendars/alice/calendar/";
/// The coach and the booking limits; `{MAIL}` becomes the `[mail]` table.
const COACH: &str = "[booking]\nrate_limit_per_minute = 100000\nmax_holds_per_client = 100000\nmax_upcoming_bookings_per_email = 100000\n[[coach]]\nuser = \"alice\"\ntimezone = \"UTC\"\nworking_hours = { mon = [\"00:00-23:59\"], tue = [\"00:00-23:59\"], wed = [\"00:00-23:59\"], thu = [\"00:00-23:59\"], fri = [\"00:00-23:59\"], sat = [\"00:00-23:59\"], sun = [\"00:00-23:59\"] }\n[[coach.event_type]]\nslug = \"lesson\"\ntitle = \"Lesson\"\nduration = \"30m\"\nmin_notice = \"2h\"\ncancel_notice = \"1h\"\nonce_per_student = false\n{MAIL}";

/// Mail through the sink, with a worker that looks often and retries soon.
fn config(smtp_port: u16) -> String {
    let mail = format!("[mail]\ntransport = \"smtp\"\nsmtp_host = \"127.0.0.1\"\nsmtp_port = {smtp_port}\nsmtp_timeout = \"5s\"\nworker_interval = \"1s\"\nretry_backoff = \"1s\"\nretry_backoff_max = \"2s\"\nretry_max_attempts = 1000\n");
    COACH.replace("{MAIL}", &mail)
}

/// Time for the whole test; the cycle in progress finishes past it.
const BUDGET: Duration = Duration::from_secs(45);
/// Calendar object names the workload writes, moves and deletes.
const NAMES: usize = 12;

/// A small deterministic generator (xorshift64*), seeded per run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// What may be stored at a place: every state it may be in (more than one
/// only while the operation that changed it was cut off by the kill).
type Acceptable<T> = Vec<T>;

#[derive(Default)]
struct Model {
    /// Object name → acceptable bodies (`None`: absent).
    objects: HashMap<String, Acceptable<Option<String>>>,
    /// The dead property's acceptable values.
    prop: Acceptable<Option<String>>,
    /// Manage token → acceptable statuses.
    bookings: HashMap<String, Acceptable<&'static str>>,
    /// Manage token → the student's address (one per booking).
    emails: HashMap<String, String>,
    acknowledged: u64,
    serial: u64,
}

impl Model {
    fn object(&self, name: &str) -> Option<String> {
        self.objects.get(name).and_then(|a| a.last().cloned()).flatten()
    }
}

/// Version `serial` of an object with `uid` (an object keeps its UID while
/// it exists, wherever it is moved; a new one gets a new UID).
fn event(uid: &str, serial: u64) -> String {
    let day = 1 + serial % 28;
    format!(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//slotdav tests//EN\r\nBEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:202706{day:02}T100000Z\r\nDURATION:PT1H\r\nSUMMARY:version {serial}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
}

fn uid_of(body: &str) -> String {
    body.split("\r\n").find_map(|l| l.strip_prefix("UID:")).expect("a UID").to_string()
}

fn json_of(r: &Resp) -> Value {
    serde_json::from_slice(&r.bytes).unwrap_or_else(|e| panic!("not JSON ({e}): {}", r.describe()))
}

/// A response, `None` when the server died under it; never a 5xx.
fn answered(r: Result<Resp, String>) -> Option<Resp> {
    let r = r.ok()?;
    assert!(r.code() < 500, "a 5xx under the crash workload: {}", r.describe());
    Some(r)
}

async fn post_json(server: &BinServer, path: &str, body: Value) -> Option<Resp> {
    answered(server.request("POST", path).header("Content-Type", "application/json").body(body.to_string()).send_result().await)
}

/// One random operation; returns false once the server is gone. The model
/// gets the new state as acceptable before the request and loses the old
/// one only once it was acknowledged.
async fn step(server: &BinServer, rng: &mut Rng, m: &mut Model) -> bool {
    m.serial += 1;
    let serial = m.serial;
    let name = format!("e{}.ics", rng.below(NAMES as u64));
    match rng.below(10) {
        0..=3 => {
            let uid = m.object(&name).map_or_else(|| format!("obj-{serial}"), |b| uid_of(&b));
            let body = event(&uid, serial);
            m.objects.entry(name.clone()).or_insert_with(|| vec![None]).push(Some(body.clone()));
            let Some(r) = answered(server.request("PUT", &format!("{CAL}{name}")).as_user("alice").header("Content-Type", "text/calendar").body(body.clone()).send_result().await) else { return false };
            assert!(matches!(r.code(), 201 | 204), "{}", r.describe());
            m.objects.insert(name, vec![Some(body)]);
        }
        4 => {
            if m.object(&name).is_none() {
                return true;
            }
            m.objects.get_mut(&name).unwrap().push(None);
            let Some(r) = answered(server.request("DELETE", &format!("{CAL}{name}")).as_user("alice").send_result().await) else { return false };
            assert_eq!(r.code(), 204, "{}", r.describe());
            m.objects.insert(name, vec![None]);
        }
        5 => {
            let to = format!("e{}.ics", rng.below(NAMES as u64));
            let Some(body) = m.object(&name) else { return true };
            if to == name || m.object(&to).is_some() {
                return true;
            }
            // Atomic: both places change together, or neither does.
            m.objects.get_mut(&name).unwrap().push(None);
            m.objects.entry(to.clone()).or_insert_with(|| vec![None]).push(Some(body.clone()));
            let Some(r) = answered(server.request("MOVE", &format!("{CAL}{name}")).as_user("alice").destination(&format!("{CAL}{to}")).send_result().await)
            else {
                return false;
            };
            assert_eq!(r.code(), 201, "{}", r.describe());
            m.objects.insert(name, vec![None]);
            m.objects.insert(to, vec![Some(body)]);
        }
        6 => {
            let value = format!("step-{serial}");
            m.prop.push(Some(value.clone()));
            let xml = format!(r#"<D:propertyupdate xmlns:D="DAV:" xmlns:Z="urn:x-z"><D:set><D:prop><Z:step>{value}</Z:step></D:prop></D:set></D:propertyupdate>"#);
            let Some(r) = answered(server.request("PROPPATCH", CAL).as_user("alice").xml(xml).send_result().await) else { return false };
            assert_eq!(r.code(), 207, "{}", r.describe());
            m.prop = vec![Some(value)];
        }
        7 | 8 => {
            let Some(r) = answered(server.request("GET", "/api/v1/coaches/alice/event-types/lesson/slots").send_result().await) else { return false };
            let slots = json_of(&r.status(200))["slots"].as_array().cloned().unwrap_or_default();
            let Some(slot) = slots.get(rng.below(slots.len().clamp(1, 40) as u64) as usize) else { return true };
            let Some(r) = post_json(server, "/api/v1/coaches/alice/event-types/lesson/holds", json!({"start": slot["start"]})).await else { return false };
            if r.code() != 201 {
                assert_eq!(r.code(), 409, "a hold: {}", r.describe());
                return true;
            }
            m.acknowledged += 1;
            let id = json_of(&r)["hold_id"].as_str().unwrap().to_string();
            let Some(r) = post_json(server, &format!("/api/v1/holds/{id}/confirm"), json!({"name": "Ben", "email": format!("s{serial}@example.org")})).await else { return false };
            assert_eq!(r.code(), 201, "a confirmation: {}", r.describe());
            let token = json_of(&r)["manage_token"].as_str().unwrap().to_string();
            m.emails.insert(token.clone(), format!("s{serial}@example.org"));
            m.bookings.insert(token, vec!["confirmed"]);
        }
        _ => {
            let Some(token) = m.bookings.iter().find(|(_, s)| s.as_slice() == ["confirmed"]).map(|(t, _)| t.clone()) else { return true };
            m.bookings.get_mut(&token).unwrap().push("cancelled");
            let Some(r) = post_json(server, &format!("/api/v1/bookings/{token}/cancel"), json!({})).await else { return false };
            assert_eq!(r.code(), 200, "a cancellation: {}", r.describe());
            m.bookings.insert(token, vec!["cancelled"]);
        }
    }
    m.acknowledged += 1;
    true
}

/// After a restart: every place is in one of its acceptable states, which
/// becomes its only state. Returns how many were not.
async fn verify(server: &BinServer, m: &mut Model) -> usize {
    let mut wrong = 0;
    for (name, acceptable) in m.objects.iter_mut() {
        let r = server.request("GET", &format!("{CAL}{name}")).as_user("alice").send().await;
        let found = match r.code() {
            200 => Some(r.text()),
            404 => None,
            _ => panic!("{}", r.describe()),
        };
        if acceptable.contains(&found) {
            *acceptable = vec![found];
        } else {
            eprintln!("crash_mixed: {name} is {:?}, acknowledged {:?}", found.as_deref().map(|b| &b[..b.len().min(200)]), acceptable.last());
            wrong += 1;
        }
    }
    let r = server.request("PROPFIND", CAL).as_user("alice").depth("0").xml(r#"<D:propfind xmlns:D="DAV:" xmlns:Z="urn:x-z"><D:prop><Z:step/></D:prop></D:propfind>"#).send().await.status(207);
    let text = r.text();
    let found = text.find("step-").map(|i| text[i..].split('<').next().unwrap().to_string());
    if m.prop.is_empty() || m.prop.contains(&found) {
        m.prop = vec![found];
    } else {
        eprintln!("crash_mixed: the dead property is {found:?}, acknowledged {:?}", m.prop.last());
        wrong += 1;
    }
    for (token, acceptable) in m.bookings.iter_mut() {
        let r = server.request("GET", &format!("/api/v1/bookings/{token}")).send().await.status(200);
        let status = json_of(&r)["status"].as_str().unwrap().to_string();
        match acceptable.iter().find(|s| **s == status) {
            Some(s) => *acceptable = vec![*s],
            None => {
                eprintln!("crash_mixed: booking {token} is {status}, acknowledged {:?}", acceptable.last());
                wrong += 1;
            }
        }
    }
    wrong
}

/// The iTIP method of a message's calendar part (`REQUEST`, `CANCEL` …).
fn itip_method(mime: &Mime) -> Option<String> {
    if let Some(line) = mime.body.lines().find_map(|l| l.trim_end().strip_prefix("METHOD:")) {
        return Some(line.to_string());
    }
    mime.parts.iter().find_map(itip_method)
}

/// Waits (bounded) until every acknowledged booking's messages reached the
/// sink: an invitation for each, and a cancellation for each cancelled
/// one. Returns the messages still missing and how many arrived twice.
async fn mail_delivered(sink: &Sink, m: &Model) -> (usize, usize) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let messages = sink.messages();
        let mut lost = 0;
        let mut twice = 0;
        for (token, email) in &m.emails {
            let methods: Vec<String> = messages.iter().filter(|r| r.rcpt.iter().any(|a| a == email)).filter_map(|r| itip_method(&Mime::parse(&r.data))).collect();
            let requests = methods.iter().filter(|m| *m == "REQUEST").count();
            let cancels = methods.iter().filter(|m| *m == "CANCEL").count();
            let cancelled = m.bookings.get(token).is_some_and(|s| s.as_slice() == ["cancelled"]);
            lost += usize::from(requests == 0) + usize::from(cancelled && cancels == 0);
            twice += requests.saturating_sub(1) + cancels.saturating_sub(1);
        }
        if lost == 0 || Instant::now() > deadline {
            return (lost, twice);
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// For the failure message: the addresses still waiting for mail, what
/// the outbox holds for them, and what the server said about mail.
fn explain_lost_mail(env: &BinEnv, server: &BinServer, sink: &Sink, m: &Model) {
    let messages = sink.messages();
    let missing: Vec<&String> = m.emails.values().filter(|email| !messages.iter().any(|r| r.rcpt.iter().any(|a| a == *email))).collect();
    eprintln!("crash_mixed: {} addresses got nothing, e.g. {:?}", missing.len(), &missing[..missing.len().min(5)]);
    let outbox = env.cli(&["outbox", "list"], "");
    for line in outbox.stdout.lines().filter(|l| missing.iter().any(|e| l.contains(e.as_str()))).take(10) {
        eprintln!("crash_mixed: outbox: {line}");
    }
    eprintln!("crash_mixed: outbox list: {} lines, first: {:?}", outbox.stdout.lines().count(), outbox.stdout.lines().take(5).collect::<Vec<_>>());
    let log = server.log_text();
    let sent: Vec<&str> = log.lines().filter(|l| l.contains("mail sent")).collect();
    eprintln!("crash_mixed: the last server sent {} messages, first {:?}, last {:?}", sent.len(), sent.first().map(|l| &l[..l.len().min(40)]), sent.last().map(|l| &l[..l.len().min(40)]));
    for line in log.lines().filter(|l| l.contains("mail") || l.contains("outbox")).filter(|l| !l.contains("mail sent")).take(20) {
        eprintln!("crash_mixed: log: {line}");
    }
    for line in log.lines().rev().take(5) {
        eprintln!("crash_mixed: log tail: {}", &line[..line.len().min(300)]);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_acknowledged_change_survives_kill_9_at_random_points_of_a_mixed_workload() {
    let sink = Sink::start().await;
    let env = BinEnv::new(&config(sink.port()));
    env.cli(&["user", "add", "alice", "--email", "alice@example.org"], &format!("{PW}\n")).success();
    let seed = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() as u64 | 1;
    println!("crash_mixed: seed {seed}");
    let mut rng = Rng(seed);
    let mut m = Model { prop: vec![None], ..Default::default() };
    let started = Instant::now();
    let (mut cycles, mut inconsistencies) = (0u64, 0usize);
    while started.elapsed() < BUDGET {
        let server = env.spawn();
        server.http.set_password("alice", PW);
        inconsistencies += verify(&server, &mut m).await;
        let pid = server.pid();
        let delay = Duration::from_millis(50 + rng.below(700));
        let killer = std::thread::spawn(move || {
            std::thread::sleep(delay);
            let _ = std::process::Command::new("kill").arg("-9").arg(pid.to_string()).status();
        });
        let until = Instant::now() + Duration::from_secs(5);
        while Instant::now() < until && step(&server, &mut rng, &mut m).await {}
        killer.join().unwrap();
        drop(server);
        cycles += 1;
        let check = env.cli(&["check"], "");
        assert_eq!(check.code, Some(0), "cycle {cycles}: slotdav check after kill -9 (seed {seed}):\n{}\n{}", check.stdout, check.stderr);
    }
    let server = env.spawn();
    server.http.set_password("alice", PW);
    inconsistencies += verify(&server, &mut m).await;
    let (lost, twice) = mail_delivered(&sink, &m).await;
    if lost > 0 {
        explain_lost_mail(&env, &server, &sink, &m);
    }
    println!(
        "crash_mixed: {cycles} cycles, {} acknowledged operations, {inconsistencies} inconsistencies; mail: {} bookings, {lost} messages lost, {twice} sent twice",
        m.acknowledged,
        m.emails.len()
    );
    assert_eq!(lost, 0, "acknowledged bookings whose mail never arrived (seed {seed})");
    assert_eq!(inconsistencies, 0, "seed {seed}");
    assert!(cycles >= 5 && m.acknowledged >= 50, "too little work to mean anything: {cycles} cycles, {} operations", m.acknowledged);
}
