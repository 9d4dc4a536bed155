//! Security regressions of the booking surface and of data at rest
//! (issue 14, findings 1, 7, 8 and 10), each over real HTTP:
//!
//! - 1: a booking made with someone else's email address reveals nothing
//!   of that person's bookings (feed, manage page, API);
//! - 7: everything under the data directory is owner-only (0700 / 0600),
//!   whatever the umask, and wider permissions are repaired at start;
//! - 8: one client cannot hold every slot (per-address cap, a browser's
//!   new hold releases its previous one, per-email cap on upcoming bookings);
//! - 10: rescheduling cannot reopen a cancel deadline that has passed.
//!
//! The coach is `alice` in Europe/Berlin, Mon–Fri 09:00–17:00; "now" is
//! Monday 2026-05-04 08:00 Berlin (a [`ManualClock`]) except for the tests
//! of the real binary.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::sync::Arc;

use chrono::{DateTime, Duration, TimeZone, Utc};
use chrono_tz::Tz;
use serde_json::{json, Value};

use slotdav::clock::ManualClock;
use slotdav::config::Config;

use crate::common::*;

const BERLIN: Tz = chrono_tz::Europe::Berlin;
const WEEKDAYS_9_TO_5: &str = r#"{ mon = ["09:00-17:00"], tue = ["09:00-17:00"], wed = ["09:00-17:00"], thu = ["09:00-17:00"], fri = ["09:00-17:00"] }"#;

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 5, 4, 6, 0, 0).unwrap()
}

/// 2026-05-DD at HH:00 Berlin.
fn may(d: u32, h: u32) -> DateTime<Utc> {
    BERLIN.with_ymd_and_hms(2026, 5, d, h, 0, 0).unwrap().with_timezone(&Utc)
}

fn ical_utc(t: DateTime<Utc>) -> String {
    t.format("%Y%m%dT%H%M%SZ").to_string()
}

struct Env {
    server: TestServer,
    clock: Arc<ManualClock>,
}

/// Alice offering `event_types`, with extra `[booking]` lines.
async fn start(booking: &str, event_types: &str) -> Env {
    let text = format!(
        "[booking]\nrate_limit_per_minute = 100000\n{booking}\n[[coach]]\nuser = \"alice\"\ndisplay_name = \"Alice Coach\"\ntimezone = \"Europe/Berlin\"\nworking_hours = {WEEKDAYS_9_TO_5}\n{event_types}"
    );
    let parsed = Config::parse(&text, Path::new("test.toml")).unwrap_or_else(|e| panic!("{e}\n{text}"));
    let clock = Arc::new(ManualClock::new(t0()));
    let server = TestServer::builder().config(move |c| *c = Config { listen: c.listen, data_dir: c.data_dir.clone(), ..parsed }).start_with_clock(clock.clone()).await;
    Env { server, clock }
}

fn lesson(extra: &str) -> String {
    format!("[[coach.event_type]]\nslug = \"lesson\"\ntitle = \"Lesson\"\nduration = \"60m\"\n{extra}\n")
}

fn json_of(r: &Resp) -> Value {
    serde_json::from_slice(&r.bytes).unwrap_or_else(|e| panic!("not JSON ({e}): {}", r.describe()))
}

impl Env {
    async fn post_json(&self, path: &str, body: Value) -> Resp {
        self.server.request("POST", path).header("Content-Type", "application/json").body(body.to_string()).send().await
    }

    async fn hold(&self, start: DateTime<Utc>) -> Resp {
        self.post_json("/api/v1/coaches/alice/event-types/lesson/holds", json!({"start": start.to_rfc3339()})).await
    }

    async fn book(&self, start: DateTime<Utc>, email: &str, note: &str) -> Value {
        let hold = json_of(&self.hold(start).await.status(201));
        let id = hold["hold_id"].as_str().unwrap();
        let r = self.post_json(&format!("/api/v1/holds/{id}/confirm"), json!({"name": "Ben", "email": email, "note": note})).await;
        json_of(&r.status(201))
    }

    async fn get(&self, path: &str) -> Resp {
        self.server.request("GET", path).send().await
    }

    async fn is_open(&self, start: DateTime<Utc>) -> bool {
        let day = start.with_timezone(&BERLIN).format("%Y-%m-%d").to_string();
        let r = self.get(&format!("/api/v1/coaches/alice/event-types/lesson/slots?from={day}&to={day}&tz=UTC")).await.status(200);
        let want = start.to_rfc3339();
        json_of(&r)["slots"].as_array().unwrap().iter().any(|s| s["start"] == want.as_str())
    }

    /// A browser's CSRF cookie and token, from the slots page.
    async fn browser(&self) -> (String, String) {
        let r = self.get("/book/alice/lesson?week=2026-05-04").await.status(200);
        let cookie = r.header("set-cookie").and_then(|c| c.split(';').next()).unwrap().to_string();
        let csrf = cookie.split_once('=').unwrap().1.to_string();
        (cookie, csrf)
    }

    async fn html_hold(&self, start: DateTime<Utc>, cookie: &str, csrf: &str) -> Resp {
        let body = form_urlencoded::Serializer::new(String::new())
            .append_pair("csrf", csrf)
            .append_pair("start", &start.to_rfc3339())
            .append_pair("tz", "Europe/Berlin")
            .finish();
        self.server
            .request("POST", "/book/alice/lesson/hold")
            .header("Content-Type", "application/x-www-form-urlencoded")
            .header("Cookie", cookie)
            .body(body)
            .send()
            .await
    }
}

// ---------------------------------------------------------------------------
// Finding 1: an email address typed into a form proves nothing
// ---------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn booking_with_a_victims_email_reveals_nothing_of_the_victims_bookings() {
    let env = start("", &lesson("")).await;
    let victim = env.book(may(5, 9), "victim@example.org", "Victim's private note").await;
    let victim_token = victim["manage_token"].as_str().unwrap().to_string();
    let victim_ref = victim["reference"].as_str().unwrap().to_string();
    let attacker = env.book(may(6, 14), "Victim@Example.org", "hi").await;
    let token = attacker["manage_token"].as_str().unwrap().to_string();

    let secrets = [victim_token.as_str(), victim_ref.as_str(), "private note", &ical_utc(may(5, 9))];
    // The attacker's feed, manage page and API view.
    let feed = env.get(&format!("/book/manage/{token}/feed.ics")).await.status(200);
    assert!(feed.text().contains(&ical_utc(may(6, 14))), "the feed shows the attacker's own booking: {}", feed.text());
    let page = env.get(&format!("/book/manage/{token}?tz=Europe/Berlin")).await.status(200);
    let ics = env.get(&format!("/book/manage/{token}/booking.ics")).await.status(200);
    let api = env.get(&format!("/api/v1/bookings/{token}")).await.status(200);
    for resp in [feed, page, ics, api] {
        for secret in secrets {
            let resp = resp.clone();
            assert!(!resp.text().contains(secret), "{} reveals {secret:?}: {}", resp.path, resp.text());
        }
    }
    // Everything the attacker can do with their own token leaves the
    // victim's booking alone.
    env.post_json(&format!("/api/v1/bookings/{token}/reschedule"), json!({"start": may(7, 10).to_rfc3339()})).await.status(200);
    env.post_json(&format!("/api/v1/bookings/{token}/cancel"), json!({})).await.status(200);
    let still = json_of(&env.get(&format!("/api/v1/bookings/{victim_token}")).await.status(200));
    assert_eq!(still["status"], "confirmed");
    assert_eq!(still["start"], "2026-05-05T09:00:00+02:00");
    // The victim's own feed still shows the victim's booking.
    env.get(&format!("/book/manage/{victim_token}/feed.ics")).await.status(200).contains(&ical_utc(may(5, 9)));
}

// ---------------------------------------------------------------------------
// Finding 10: rescheduling does not reopen the cancel deadline
// ---------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rescheduling_a_booking_past_its_cancel_deadline_keeps_it_uncancellable() {
    let env = start("", &lesson("cancel_notice = \"24h\"\nreschedule_notice = \"12h\"")).await;
    let b = env.book(may(5, 9), "ben@example.org", "").await; // cancel until Mon 09:00 Berlin
    let token = b["manage_token"].as_str().unwrap().to_string();
    env.get(&format!("/book/manage/{token}?tz=Europe/Berlin"))
        .await
        .status(200)
        .contains("Cancel this booking")
        .contains("can be cancelled online until 4 May 09:00");
    env.clock.advance(Duration::minutes(11 * 60 + 18)); // 13.7 h before the session
    let r = env.post_json(&format!("/api/v1/bookings/{token}/cancel"), json!({})).await.status(409);
    assert_eq!(json_of(&r)["error"], "too_late");

    // Moving it a week on is allowed (reschedule notice 12 h)…
    let r = env.post_json(&format!("/api/v1/bookings/{token}/reschedule"), json!({"start": may(12, 9).to_rfc3339()})).await.status(200);
    assert_eq!(json_of(&r)["start"], "2026-05-12T09:00:00+02:00");
    // …but it stays as uncancellable as it was.
    let r = env.post_json(&format!("/api/v1/bookings/{token}/cancel"), json!({})).await.status(409);
    let err = json_of(&r);
    assert_eq!(err["error"], "too_late");
    assert!(err["message"].as_str().unwrap().contains("2026-05-04 07:00"), "{err}");
    let booking = json_of(&env.get(&format!("/api/v1/bookings/{token}")).await.status(200));
    assert_eq!(booking["status"], "confirmed");
    assert_eq!(booking["cancel_deadline"], "2026-05-04T09:00:00+02:00");
    // The manage page shows the original deadline and no cancel button.
    env.get(&format!("/book/manage/{token}?tz=Europe/Berlin"))
        .await
        .status(200)
        .lacks("Cancel this booking")
        .contains("can no longer be cancelled online (that was possible until 4 May 09:00)");
    // Moving it again does not help either.
    env.post_json(&format!("/api/v1/bookings/{token}/reschedule"), json!({"start": may(13, 9).to_rfc3339()})).await.status(200);
    env.post_json(&format!("/api/v1/bookings/{token}/cancel"), json!({})).await.status(409);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rescheduling_a_cancellable_booking_keeps_the_new_slots_cancel_window() {
    let env = start("", &lesson("cancel_notice = \"24h\"")).await;
    let b = env.book(may(6, 9), "ben@example.org", "").await;
    let token = b["manage_token"].as_str().unwrap().to_string();
    env.post_json(&format!("/api/v1/bookings/{token}/reschedule"), json!({"start": may(13, 9).to_rfc3339()})).await.status(200);
    env.clock.set(may(6, 10)); // past the first slot's deadline, well before the new one's
    env.post_json(&format!("/api/v1/bookings/{token}/cancel"), json!({})).await.status(200);
}

// ---------------------------------------------------------------------------
// Finding 8: one client cannot hold every slot
// ---------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_address_can_hold_only_a_few_slots_at_once() {
    let env = start("", &lesson("")).await; // default max_holds_per_client = 3
    for h in [9, 10, 11] {
        env.hold(may(5, h)).await.status(201);
    }
    let r = env.hold(may(5, 12)).await.status(429);
    assert_eq!(json_of(&r)["error"], "too_many_holds");
    assert!(env.is_open(may(5, 12)).await, "the refused hold took nothing");
    let (cookie, csrf) = env.browser().await;
    env.html_hold(may(5, 13), &cookie, &csrf).await.status(429).contains("Too many open holds");
    // Held slots come back when the holds lapse, and the cap with them.
    env.clock.advance(Duration::minutes(11));
    env.hold(may(5, 12)).await.status(201);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_browsers_new_hold_releases_its_previous_hold_of_the_same_event_type() {
    let env = start("", &lesson("")).await;
    let (cookie, csrf) = env.browser().await;
    let first = env.html_hold(may(5, 9), &cookie, &csrf).await.status(303);
    assert!(!env.is_open(may(5, 9)).await);
    env.html_hold(may(5, 10), &cookie, &csrf).await.status(303);
    assert!(env.is_open(may(5, 9)).await, "the first hold was released");
    assert!(!env.is_open(may(5, 10)).await, "the second hold holds");
    let first_hold = first.header("location").unwrap().to_string();
    env.get(&first_hold).await.status(404).contains("Hold not found");
    // Another browser (same address) keeps its own hold.
    let (other, other_csrf) = env.browser().await;
    env.html_hold(may(5, 11), &other, &other_csrf).await.status(303);
    assert!(!env.is_open(may(5, 10)).await && !env.is_open(may(5, 11)).await);
    // Others can take the released slot.
    env.book(may(5, 9), "eve@example.org", "").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_email_can_have_only_so_many_upcoming_bookings() {
    let env = start("max_upcoming_bookings_per_email = 2", &lesson("")).await;
    env.book(may(5, 9), "ben@example.org", "").await;
    let second = env.book(may(5, 10), "ben@example.org", "").await;
    let hold = json_of(&env.hold(may(5, 11)).await.status(201));
    let id = hold["hold_id"].as_str().unwrap();
    let path = format!("/api/v1/holds/{id}/confirm");
    let r = env.post_json(&path, json!({"name": "Ben", "email": "BEN@example.org"})).await.status(409);
    assert_eq!(json_of(&r)["error"], "too_many_bookings");
    // Cancelling one frees a place.
    let token = second["manage_token"].as_str().unwrap();
    env.post_json(&format!("/api/v1/bookings/{token}/cancel"), json!({})).await.status(200);
    env.post_json(&path, json!({"name": "Ben", "email": "ben@example.org"})).await.status(201);
}

// ---------------------------------------------------------------------------
// Finding 7: the data directory is owner-only
// ---------------------------------------------------------------------------

/// Every path below `dir` (and `dir` itself) whose mode is not 0700 for a
/// directory or 0600 for anything else.
fn too_open(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(p) = stack.pop() {
        let meta = std::fs::symlink_metadata(&p).unwrap();
        let mode = meta.permissions().mode() & 0o777;
        let want = if meta.is_dir() { 0o700 } else { 0o600 };
        if mode != want {
            out.push(format!("{} {:o}", p.display(), mode));
        }
        if meta.is_dir() {
            stack.extend(std::fs::read_dir(&p).unwrap().map(|e| e.unwrap().path()));
        }
    }
    out
}

const BIN_COACH: &str = "[[coach]]\nuser = \"alice\"\ntimezone = \"UTC\"\nworking_hours = { mon = [\"00:00-23:59\"], tue = [\"00:00-23:59\"], wed = [\"00:00-23:59\"], thu = [\"00:00-23:59\"], fri = [\"00:00-23:59\"], sat = [\"00:00-23:59\"], sun = [\"00:00-23:59\"] }\n[[coach.event_type]]\nslug = \"lesson\"\ntitle = \"Lesson\"\nduration = \"30m\"\nmin_notice = \"2h\"\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_store_and_mail_are_owner_only_whatever_the_umask() {
    let env = BinEnv::new(BIN_COACH);
    env.cli(&["user", "add", "alice"], "alice-pw-0123\n").success();
    let server = env.spawn_in_shell("umask 000");
    assert_eq!(too_open(&env.data_dir), Vec::<String>::new(), "after start");

    let http = &server.http;
    let r = http.request("GET", "/api/v1/coaches/alice/event-types/lesson/slots").send().await.status(200);
    let start = json_of(&r)["slots"][0]["start"].as_str().expect("an open slot").to_string();
    let hold = http
        .request("POST", "/api/v1/coaches/alice/event-types/lesson/holds")
        .header("Content-Type", "application/json")
        .body(json!({"start": start}).to_string())
        .send()
        .await
        .status(201);
    let id = json_of(&hold)["hold_id"].as_str().unwrap().to_string();
    http.request("POST", &format!("/api/v1/holds/{id}/confirm"))
        .header("Content-Type", "application/json")
        .body(json!({"name": "Ben", "email": "ben@example.org"}).to_string())
        .send()
        .await
        .status(201);
    let mail_out = env.data_dir.join("mail-out");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while std::fs::read_dir(&mail_out).map(|d| d.count()).unwrap_or(0) == 0 {
        assert!(std::time::Instant::now() < deadline, "no .eml written: {}", server.log_text());
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(too_open(&env.data_dir), Vec::<String>::new(), "after a booking wrote mail");
    assert_eq!(server.terminate(), Some(0));
    assert_eq!(too_open(&env.data_dir), Vec::<String>::new(), "after shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_world_readable_data_directory_is_repaired_with_a_warning() {
    let env = BinEnv::new("");
    std::fs::create_dir_all(env.data_dir.join("mail-out")).unwrap();
    std::fs::write(env.data_dir.join("mail-out/old.eml"), "Subject: manage link\r\n\r\nhttp://x/book/manage/t\r\n").unwrap();
    for (p, mode) in [("", 0o755), ("mail-out", 0o755), ("mail-out/old.eml", 0o644)] {
        std::fs::set_permissions(env.data_dir.join(p), std::fs::Permissions::from_mode(mode)).unwrap();
    }
    let server = env.spawn_in_shell("umask 022");
    assert_eq!(too_open(&env.data_dir), Vec::<String>::new());
    let log = server.log_text();
    assert!(log.contains("WARN") && log.contains("permissions") && log.contains("old.eml"), "{log}");
}
