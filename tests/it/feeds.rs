//! ICS over HTTP both ways: published feeds (`/feeds/{token}.ics`) and
//! external busy calendars fetched from a local HTTP server that changes,
//! fails, stalls and misbehaves on demand.

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration as StdDuration;

use chrono::{TimeZone, Utc};
use slotdav::clock::ManualClock;
use slotdav::config::Config;
use slotdav::feeds::import::{ImportError, Importer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::common::*;

const BERLIN_TZ: &str = "BEGIN:VTIMEZONE\r\nTZID:Europe/Berlin\r\nBEGIN:DAYLIGHT\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200\r\nTZNAME:CEST\r\nDTSTART:19700329T020000\r\nRRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r\nEND:DAYLIGHT\r\nBEGIN:STANDARD\r\nTZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\nTZNAME:CET\r\nDTSTART:19701025T030000\r\nRRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\n";

fn berlin_event(uid: &str, start: &str, extra: &str) -> String {
    format!(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n{BERLIN_TZ}BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20260101T000000Z\r\nDTSTART;TZID=Europe/Berlin:{start}\r\nDURATION:PT1H\r\nSUMMARY:{uid}\r\n{extra}END:VEVENT\r\nEND:VCALENDAR\r\n"
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_published_feed_holds_every_event_once_and_each_zone_once() {
    let server = TestServer::start().await;
    let cal = "/dav/calendars/alice/calendar";
    server.http.put(ALICE, &format!("{cal}/a.ics"), berlin_event("a", "20261201T090000", "")).await;
    server.http.put(ALICE, &format!("{cal}/b.ics"), berlin_event("b", "20261202T090000", "RRULE:FREQ=WEEKLY;COUNT=3\r\n")).await;
    server
        .http
        .put(ALICE, &format!("{cal}/c.ics"), "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\nBEGIN:VTODO\r\nUID:c\r\nSUMMARY:todo\r\nEND:VTODO\r\nEND:VCALENDAR\r\n")
        .await;
    let feed = slotdav::feeds::create(&*server.storage, ALICE, "calendar", Utc::now()).unwrap();
    let url = format!("/feeds/{}.ics", feed.token);

    let resp = server.request("GET", &url).send().await.status(200);
    assert_eq!(resp.header("content-type"), Some("text/calendar; charset=utf-8"));
    let text = resp.text();
    assert_eq!(text.matches("BEGIN:VTIMEZONE").count(), 1, "{text}");
    assert_eq!(text.matches("BEGIN:VEVENT").count(), 2);
    assert_eq!(text.matches("BEGIN:VTODO").count(), 1);
    for uid in ["UID:a", "UID:b", "UID:c"] {
        assert_eq!(text.matches(uid).count(), 1, "{uid} once");
    }
    assert!(text.contains("REFRESH-INTERVAL;VALUE=DURATION:PT15M"));
    assert!(text.contains("X-PUBLISHED-TTL:PT15M"));
    assert!(text.contains("X-WR-CALNAME:Calendar"));
    // Every object in it parses back with its recurrence.
    for (uid, object) in slotdav::ical::export::split_feed(&text) {
        let obj = slotdav::ical::CalendarObject::parse(object.as_bytes()).unwrap();
        assert_eq!(obj.uid(), uid);
    }

    // Conditional requests: same ETag → 304, a change → new ETag.
    let etag = resp.etag();
    server.request("GET", &url).header("If-None-Match", &etag).send().await.status(304);
    let lm = resp.header("last-modified").unwrap().to_string();
    server.request("GET", &url).header("If-Modified-Since", &lm).send().await.status(304);
    server.http.put(ALICE, &format!("{cal}/d.ics"), berlin_event("d", "20261203T090000", "")).await;
    let after = server.request("GET", &url).header("If-None-Match", &etag).send().await.status(200);
    assert_ne!(after.etag(), etag);
    assert!(after.text().contains("UID:d"));

    // No credentials are needed, and a revoked or unknown token is 404.
    slotdav::feeds::revoke(&*server.storage, &feed.token, Utc::now()).unwrap();
    server.request("GET", &url).send().await.status(404);
    server.request("GET", "/feeds/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA.ics").send().await.status(404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn feed_commands_work_through_the_running_server() {
    let env = BinEnv::new("");
    env.cli(&["user", "add", "carol"], "pw\n").success();
    let server = env.spawn();
    // The home and its default calendar exist once the user has signed in.
    server.request("PROPFIND", "/dav/calendars/carol/").basic("carol", "pw").depth("0").send().await.status(207);
    let out = env.cli(&["feed", "add", "carol", "calendar"], "").success();
    let url = out.stdout.split_whitespace().find(|w| w.contains("/feeds/")).expect("a feed URL").to_string();
    let path = &url[url.find("/feeds/").unwrap()..];
    server.request("GET", path).send().await.status(200).contains("BEGIN:VCALENDAR");
    let listed = env.cli(&["feed", "list", "carol"], "").success();
    assert!(listed.stdout.contains(path), "{}", listed.stdout);
    let token = path.trim_start_matches("/feeds/").trim_end_matches(".ics");
    env.cli(&["feed", "revoke", token], "").success();
    server.request("GET", path).send().await.status(404);
    let missing = env.cli(&["feed", "add", "carol", "nope"], "");
    assert_ne!(missing.code, Some(0));
    assert!(missing.stderr.contains("no calendar"), "{}", missing.stderr);
}

/// What the fake external calendar server answers next.
#[derive(Clone)]
enum Answer {
    Ics(String),
    Status(u16),
    Stall,
}

struct FakeCalendarServer {
    url: String,
    answer: Arc<Mutex<Answer>>,
    hits: Arc<Mutex<Vec<String>>>,
}

impl FakeCalendarServer {
    async fn start(first: Answer) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/calendar.ics", listener.local_addr().unwrap());
        let answer = Arc::new(Mutex::new(first));
        let hits = Arc::new(Mutex::new(Vec::new()));
        let (a, h) = (answer.clone(), hits.clone());
        tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                let (a, h) = (a.clone(), h.clone());
                tokio::spawn(async move {
                    let mut buf = vec![0u8; 8192];
                    let n = stream.read(&mut buf).await.unwrap_or(0);
                    let request = String::from_utf8_lossy(&buf[..n]).to_string();
                    h.lock().unwrap().push(request.clone());
                    let answer = a.lock().unwrap().clone();
                    let response = match answer {
                        Answer::Stall => {
                            tokio::time::sleep(StdDuration::from_secs(10)).await;
                            return;
                        }
                        Answer::Status(code) => format!("HTTP/1.1 {code} Oops\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"),
                        Answer::Ics(body) => {
                            let etag = {
                                use std::hash::{Hash, Hasher};
                                let mut h = std::collections::hash_map::DefaultHasher::new();
                                body.hash(&mut h);
                                format!("\"{:x}\"", h.finish())
                            };
                            if request.lines().any(|l| l.to_ascii_lowercase() == format!("if-none-match: {}", etag.to_ascii_lowercase())) {
                                format!("HTTP/1.1 304 Not Modified\r\nETag: {etag}\r\nConnection: close\r\n\r\n")
                            } else {
                                format!(
                                    "HTTP/1.1 200 OK\r\nContent-Type: text/calendar\r\nETag: {etag}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                                    body.len()
                                )
                            }
                        }
                    };
                    let _ = stream.write_all(response.as_bytes()).await;
                });
            }
        });
        FakeCalendarServer { url, answer, hits }
    }
    fn set(&self, a: Answer) {
        *self.answer.lock().unwrap() = a;
    }
}

/// An Outlook export: Windows zone name, weekly series.
fn outlook_ics(hour: u32) -> String {
    format!(
        "BEGIN:VCALENDAR\r\nPRODID:-//Microsoft Corporation//Outlook 16.0 MIMEDIR//EN\r\nVERSION:2.0\r\nMETHOD:PUBLISH\r\n\
BEGIN:VTIMEZONE\r\nTZID:W. Europe Standard Time\r\nBEGIN:STANDARD\r\nDTSTART:16010101T030000\r\nTZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\nRRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10\r\nEND:STANDARD\r\n\
BEGIN:DAYLIGHT\r\nDTSTART:16010101T020000\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200\r\nRRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3\r\nEND:DAYLIGHT\r\nEND:VTIMEZONE\r\n\
BEGIN:VEVENT\r\nUID:dentist-1\r\nDTSTAMP:20261101T000000Z\r\nDTSTART;TZID=W. Europe Standard Time:20261207T{hour:02}0000\r\nDTEND;TZID=W. Europe Standard Time:20261207T{:02}0000\r\nRRULE:FREQ=WEEKLY;COUNT=3\r\nSUMMARY:Dentist\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
        hour + 1
    )
}

async fn slot_starts(server: &TestServer, day: &str) -> Vec<String> {
    let resp = server
        .request("GET", &format!("/api/v1/coaches/alice/event-types/session/slots?from={day}&to={day}&tz=Europe/Berlin"))
        .send()
        .await
        .status(200);
    let v: serde_json::Value = serde_json::from_str(&resp.text()).unwrap();
    v["slots"].as_array().unwrap().iter().map(|s| s["start"].as_str().unwrap()[11..16].to_string()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn external_busy_calendars_block_slots_and_survive_bad_fetches() {
    let fake = FakeCalendarServer::start(Answer::Ics(outlook_ics(10))).await;
    let toml = format!(
        r#"
[feeds]
fetch_timeout = "1s"
fetch_max_bytes = 20000
[[coach]]
user = "alice"
timezone = "Europe/Berlin"
[coach.working_hours]
mon = ["09:00-17:00"]
[[coach.event_type]]
slug = "session"
title = "Session"
duration = "1h"
[[coach.external_busy]]
url = "{}"
name = "outlook"
"#,
        fake.url
    );
    let parsed = Config::parse(&toml, Path::new("test.toml")).unwrap();
    let clock = Arc::new(ManualClock::new(Utc.with_ymd_and_hms(2026, 12, 1, 8, 0, 0).unwrap()));
    let (coaches, feeds) = (parsed.coaches.clone(), parsed.feeds.clone());
    let server = TestServer::builder()
        .user(ALICE, ALICE_PW)
        .config(move |c| {
            c.coaches = coaches;
            c.feeds = feeds;
        })
        .start_with_clock(clock.clone())
        .await;
    let coach = parsed.coaches[0].clone();
    let source = coach.external_busy[0].clone();
    let importer = Importer::new(server.storage.clone(), clock.clone(), parsed.feeds.clone());

    let monday = "2026-12-07";
    assert!(slot_starts(&server, monday).await.contains(&"10:00".to_string()));
    let report = importer.refresh(&coach, &source).await.unwrap();
    assert_eq!(report.written, 1);
    let starts = slot_starts(&server, monday).await;
    assert!(!starts.contains(&"10:00".to_string()), "the dentist (Windows zone name) blocks 10:00: {starts:?}");
    assert!(starts.contains(&"11:00".to_string()));
    // The recurrence blocks the next Monday too.
    assert!(!slot_starts(&server, "2026-12-14").await.contains(&"10:00".to_string()));

    // The coach sees it in a read-only calendar: writes answer need-privileges.
    server
        .request("PUT", "/dav/calendars/alice/outlook/mine.ics")
        .as_user(ALICE)
        .body(berlin_event("mine", "20261207T150000", ""))
        .send()
        .await
        .status(403)
        .contains("need-privileges");
    server.request("GET", "/dav/calendars/alice/outlook/").as_user(ALICE).send().await.status(200);

    // Unchanged: the ETag is sent back, 304, nothing rewritten.
    assert!(importer.refresh(&coach, &source).await.unwrap().not_modified);
    assert!(fake.hits.lock().unwrap().last().unwrap().to_ascii_lowercase().contains("if-none-match"));

    // The event moves: the old slot is free again, the new one blocked.
    fake.set(Answer::Ics(outlook_ics(14)));
    importer.refresh(&coach, &source).await.unwrap();
    let starts = slot_starts(&server, monday).await;
    assert!(starts.contains(&"10:00".to_string()) && !starts.contains(&"14:00".to_string()), "{starts:?}");

    // Failures keep the last good copy.
    fake.set(Answer::Status(500));
    assert!(matches!(importer.refresh(&coach, &source).await, Err(ImportError::Status(500))));
    fake.set(Answer::Stall);
    assert!(matches!(importer.refresh(&coach, &source).await, Err(ImportError::Timeout)));
    fake.set(Answer::Ics(format!("{}{}", outlook_ics(9), " ".repeat(30_000))));
    assert!(matches!(importer.refresh(&coach, &source).await, Err(ImportError::TooLarge(_))));
    fake.set(Answer::Ics("<html>Sign in to continue</html>".into()));
    assert!(matches!(importer.refresh(&coach, &source).await, Err(ImportError::Invalid(_))));
    assert!(!slot_starts(&server, monday).await.contains(&"14:00".to_string()), "still blocked by the last good copy");

    // An empty calendar from the source frees everything.
    fake.set(Answer::Ics("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\nEND:VCALENDAR\r\n".into()));
    assert_eq!(importer.refresh(&coach, &source).await.unwrap().removed, 1);
    assert!(slot_starts(&server, monday).await.contains(&"14:00".to_string()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn windows_zone_names_work_in_caldav_put_and_queries() {
    let server = TestServer::start().await;
    // No VTIMEZONE: the Windows name alone must resolve (CLDR: Europe/Berlin).
    let ics = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\nBEGIN:VEVENT\r\nUID:w\r\nDTSTAMP:20260101T000000Z\r\nDTSTART;TZID=W. Europe Standard Time:20260706T090000\r\nDTEND;TZID=W. Europe Standard Time:20260706T100000\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
    server.http.put(ALICE, "/dav/calendars/alice/calendar/w.ics", ics).await;
    let query = |start: &str, end: &str| {
        format!(r#"<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><D:getetag/></D:prop><C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT"><C:time-range start="{start}" end="{end}"/></C:comp-filter></C:comp-filter></C:filter></C:calendar-query>"#)
    };
    // 09:00 CEST is 07:00Z.
    let hit = server.request("REPORT", "/dav/calendars/alice/calendar/").as_user(ALICE).depth("1").xml(query("20260706T070000Z", "20260706T071500Z")).send().await.status(207);
    assert!(hit.text().contains("w.ics"), "{}", hit.text());
    let miss = server.request("REPORT", "/dav/calendars/alice/calendar/").as_user(ALICE).depth("1").xml(query("20260706T080000Z", "20260706T090000Z")).send().await.status(207);
    assert!(!miss.text().contains("w.ics"), "{}", miss.text());
}
