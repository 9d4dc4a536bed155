//! A coach's profile (issue 12 §3) and the booking pages on the coach's own
//! website (§6), over real HTTP: the pages show display name, photo, bio
//! (Markdown subset, nothing injected), description, duration, price and
//! location; the photo is served with caching headers and revalidates with
//! 304, a missing one is no photo; a booking's VEVENT (read over CalDAV)
//! has LOCATION and CONFERENCE, the invitation and reminder mails (a real
//! SMTP sink) name the place; `frame-ancestors` follows `embed_origins`
//! on the booking pages only; the embed scripts are served and the
//! dashboard shows the snippet.

use std::path::Path;
use std::sync::Arc;

use chrono::{DateTime, Duration, TimeZone, Utc};
use serde_json::{json, Value};
use tempfile::TempDir;

use slotdav::clock::{Clock, ManualClock};
use slotdav::config::Config;
use slotdav::mail::MailTransport;

use crate::common::*;
use crate::mail::Sink;

const COACH: &str = r#"
[[coach]]
user = "alice"
slug = "anna"
display_name = "Anna Example"
timezone = "UTC"
photo = "photos/anna.png"
bio = """
I teach **piano** and *guitar*. See [my site](https://anna.example/).

<script>alert('bio')</script> and [bad](javascript:alert(1)) and <b onclick="x">bold</b>

- beginners welcome
- lessons in English
"""
working_hours = { mon = ["09:00-17:00"], tue = ["09:00-17:00"], wed = ["09:00-17:00"] }
[[coach.event_type]]
slug = "lesson"
title = "Piano lesson"
duration = "1h"
price = "€40"
description = "We work on **your** pieces."
location = { video_per_booking = "https://meet.example/anna-{room}" }
[[coach.event_type]]
slug = "visit"
title = "Home visit"
duration = "1h"
location = { address = "Music School, Main Street 1, Berlin" }
"#;

/// A tiny PNG (the signature and an IHDR chunk are all the sniffing needs).
const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89";

/// Monday 2030-03-04 at `h`:00 UTC.
fn mon(h: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2030, 3, 4, h, 0, 0).unwrap()
}

fn data_dir_with_photo() -> TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("photos")).unwrap();
    std::fs::write(dir.path().join("photos/anna.png"), PNG).unwrap();
    dir
}

async fn start_with(dir: TempDir, clock: Arc<ManualClock>, configure: impl FnOnce(&mut Config)) -> TestServer {
    let coaches = Config::parse(COACH, Path::new("test.toml")).unwrap_or_else(|e| panic!("{e}")).coaches;
    let clock: Arc<dyn Clock> = clock;
    TestServer::builder()
        .user_with_email(ALICE, ALICE_PW, "alice@coach.example")
        .data_dir(dir)
        .config(move |c| {
            c.coaches = coaches;
            c.rate_limit_per_minute = 100_000;
            configure(c);
        })
        .start_with_clock(clock)
        .await
}

async fn start() -> TestServer {
    start_with(data_dir_with_photo(), Arc::new(ManualClock::new(mon(6))), |_| {}).await
}

async fn post_json(s: &TestServer, path: &str, body: Value) -> Resp {
    s.request("POST", path).header("Content-Type", "application/json").body(body.to_string()).send().await
}

/// Books the lesson at `start`; the API's booking.
async fn book(s: &TestServer, start: DateTime<Utc>) -> Value {
    let r = post_json(s, "/api/v1/coaches/anna/event-types/lesson/holds", json!({"start": start.to_rfc3339()})).await.status(201);
    let hold: Value = serde_json::from_slice(&r.bytes).unwrap();
    let path = format!("/api/v1/holds/{}/confirm", hold["hold_id"].as_str().unwrap());
    let r = post_json(s, &path, json!({"name": "Ben Student", "email": "ben@example.org"})).await.status(201);
    serde_json::from_slice(&r.bytes).unwrap()
}

/// The booking VEVENTs of alice's sessions calendar, unfolded.
async fn sessions_calendar(s: &TestServer) -> String {
    s.request("REPORT", "/dav/calendars/alice/sessions/")
        .as_user(ALICE)
        .depth("1")
        .xml(r#"<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><C:calendar-data/></D:prop><C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT"/></C:comp-filter></C:filter></C:calendar-query>"#)
        .send()
        .await
        .status(207)
        .text()
        .replace("\r\n ", "")
        .replace("\n ", "")
}

/// The per-booking video link the pages and mails show.
fn video_link(text: &str) -> String {
    let at = text.find("https://meet.example/anna-").unwrap_or_else(|| panic!("no video link in {text}"));
    text[at..].chars().take_while(|c| c.is_ascii_alphanumeric() || ":/.-".contains(*c)).collect()
}

#[tokio::test]
async fn the_coach_page_shows_name_photo_and_a_safely_rendered_bio() {
    let s = start().await;
    let page = s.request("GET", "/book/anna").send().await.status(200).text();
    assert!(page.contains("Anna Example"), "{page}");
    assert!(page.contains("<img class=\"profile-photo\" src=\"/book/anna/photo.img\" alt=\"Photo of Anna Example\""), "{page}");
    assert!(page.contains("I teach <strong>piano</strong> and <em>guitar</em>."), "{page}");
    assert!(page.contains("<a href=\"https://anna.example/\""), "{page}");
    assert!(page.contains("<ul><li>beginners welcome</li><li>lessons in English</li></ul>"), "{page}");
    // Nothing in the bio becomes markup.
    assert!(page.contains("&#60;script&#62;alert("), "{page}");
    assert!(!page.contains("<script>alert"), "{page}");
    assert!(!page.contains("href=\"javascript:"), "{page}");
    assert!(page.contains("[bad](javascript:alert(1))"), "the refused link stays text: {page}");
    assert!(!page.contains("<b onclick"), "{page}");
    // The event types with their description and where they happen.
    assert!(page.contains("We work on <strong>your</strong> pieces."), "{page}");
    assert!(page.contains("Video call") && page.contains("In person"), "{page}");
}

#[tokio::test]
async fn the_event_type_page_and_the_booking_steps_show_description_duration_price_and_location() {
    let s = start().await;
    let slots = s.request("GET", "/book/anna/visit?week=2030-03-04&tz=UTC").send().await.status(200).text();
    assert!(slots.contains("Anna Example") && slots.contains("/book/anna/photo.img"), "{slots}");
    assert!(slots.contains("<dt>Where</dt><dd>In person: <span class=\"note\">Music School, Main Street 1, Berlin</span></dd>"), "{slots}");
    assert!(slots.contains("<dt>Duration</dt><dd>1 h</dd>"), "{slots}");
    let lesson = s.request("GET", "/book/anna/lesson?week=2030-03-04&tz=UTC").send().await.status(200).text();
    assert!(lesson.contains("We work on <strong>your</strong> pieces."), "{lesson}");
    assert!(lesson.contains("€40"), "{lesson}");
    assert!(lesson.contains("Video call: <span class=\"note\">your own link comes with your booking</span>"), "{lesson}");

    // The details form (a hold) shows them too.
    let r = post_json(&s, "/api/v1/coaches/anna/event-types/lesson/holds", json!({"start": mon(10).to_rfc3339()})).await.status(201);
    let hold: Value = serde_json::from_slice(&r.bytes).unwrap();
    let form = s.request("GET", &format!("/book/hold/{}", hold["hold_id"].as_str().unwrap())).send().await.status(200).text();
    assert!(form.contains("We work on <strong>your</strong> pieces.") && form.contains("Video call"), "{form}");

    // The booking's page has its own video link.
    let booking = book(&s, mon(11)).await;
    let manage = s.request("GET", &format!("/book/manage/{}", booking["manage_token"].as_str().unwrap())).send().await.status(200).text();
    let link = video_link(&manage);
    assert!(manage.contains(&format!("<dt>Where</dt><dd>Video call: <a href=\"{link}\"")), "{manage}");
}

#[tokio::test]
async fn the_photo_has_caching_headers_and_revalidates_with_304() {
    let s = start().await;
    let r = s.request("GET", "/book/anna/photo.img").send().await.status(200);
    assert_eq!(r.header("content-type"), Some("image/png"));
    assert_eq!(r.bytes.as_ref(), PNG);
    assert!(r.header("cache-control").is_some_and(|c| c.contains("max-age=")), "{}", r.describe());
    let etag = r.header("etag").expect("etag").to_string();
    let modified = r.header("last-modified").expect("last-modified").to_string();
    let again = s.request("GET", "/book/anna/photo.img").header("If-None-Match", &etag).send().await.status(304);
    assert!(again.bytes.is_empty());
    assert_eq!(again.header("etag"), Some(etag.as_str()));
    s.request("GET", "/book/anna/photo.img").header("If-Modified-Since", &modified).send().await.status(304);
    s.request("GET", "/book/anna/photo.img").header("If-None-Match", "\"other\"").send().await.status(200);

    // A replaced photo is a new entity tag.
    let mut other = PNG.to_vec();
    other.extend_from_slice(b"more");
    std::fs::write(s.data_dir().join("photos/anna.png"), &other).unwrap();
    let r = s.request("GET", "/book/anna/photo.img").header("If-None-Match", &etag).send().await.status(200);
    assert_ne!(r.header("etag"), Some(etag.as_str()));

    // Not an image (by its bytes, whatever its name): no photo, never a 500.
    std::fs::write(s.data_dir().join("photos/anna.png"), b"<svg onload=alert(1)>").unwrap();
    s.request("GET", "/book/anna/photo.img").send().await.status(404);
    let page = s.request("GET", "/book/anna").send().await.status(200).text();
    assert!(!page.contains("photo.img"), "{page}");
}

#[tokio::test]
async fn a_missing_photo_is_no_photo_and_the_page_still_works() {
    let s = start_with(tempfile::tempdir().unwrap(), Arc::new(ManualClock::new(mon(6))), |_| {}).await;
    let page = s.request("GET", "/book/anna").send().await.status(200).text();
    assert!(page.contains("Anna Example") && !page.contains("<img"), "{page}");
    s.request("GET", "/book/anna/photo.img").send().await.status(404);
    s.request("GET", "/book/anna/lesson?week=2030-03-04").send().await.status(200);
}

#[tokio::test]
async fn the_booked_vevent_has_location_and_conference_over_caldav() {
    let s = start().await;
    let booking = book(&s, mon(10)).await;
    let manage = s.request("GET", &format!("/book/manage/{}", booking["manage_token"].as_str().unwrap())).send().await.status(200).text();
    let link = video_link(&manage);
    let cal = sessions_calendar(&s).await;
    assert!(cal.contains(&format!("LOCATION:{link}")), "{cal}");
    assert!(cal.contains(&format!("CONFERENCE;VALUE=URI;FEATURE=VIDEO;LABEL=Video call:{link}")), "{cal}");
    // Another booking gets a room of its own.
    let second = book(&s, mon(12)).await;
    let other = s.request("GET", &format!("/book/manage/{}", second["manage_token"].as_str().unwrap())).send().await.status(200).text();
    assert_ne!(video_link(&other), link);
    // The student's .ics download carries it too.
    let ics = s.request("GET", &format!("/book/manage/{}/booking.ics", booking["manage_token"].as_str().unwrap())).send().await.status(200).text();
    assert!(ics.replace("\r\n ", "").contains(&format!("CONFERENCE;VALUE=URI;FEATURE=VIDEO;LABEL=Video call:{link}")), "{ics}");
}

#[tokio::test]
async fn the_invitation_and_the_reminder_name_the_place() {
    let sink = Sink::start().await;
    let clock = Arc::new(ManualClock::new(mon(6)));
    let port = sink.port();
    let s = start_with(data_dir_with_photo(), clock.clone(), move |c| {
        c.mail.transport = MailTransport::Smtp;
        c.mail.smtp_host = "127.0.0.1".into();
        c.mail.smtp_port = port;
        c.mail.smtp_timeout = std::time::Duration::from_secs(5);
    })
    .await;
    let start = mon(6) + Duration::days(2) + Duration::hours(4);
    let booking = book(&s, start).await;
    let manage = s.request("GET", &format!("/book/manage/{}", booking["manage_token"].as_str().unwrap())).send().await.status(200).text();
    let link = video_link(&manage);
    s.app.outbox.run_due().await.expect("outbox run");
    let to_student = sink.to("ben@example.org");
    assert_eq!(to_student.len(), 1, "the invitation");
    let parts: Vec<String> = to_student[0].all().iter().map(|p| p.body.replace("\r\n ", "").replace("=\r\n", "")).collect();
    let all = parts.join("\n");
    assert!(all.contains(&format!("Where: Video call: {link}")), "{all}");
    assert!(all.contains(&format!("CONFERENCE;VALUE=URI;FEATURE=VIDEO;LABEL=Video call:{link}")), "the iMIP part: {all}");
    assert!(all.contains(&format!("LOCATION:{link}")), "{all}");

    // The reminder a day before.
    clock.set(start - Duration::hours(23));
    s.app.outbox.run_due().await.expect("outbox run");
    let to_student = sink.to("ben@example.org");
    assert_eq!(to_student.len(), 2, "the reminder");
    let reminder: String = to_student[1].all().iter().map(|p| p.body.replace("=\r\n", "")).collect::<Vec<_>>().join("\n");
    assert!(reminder.contains(&format!("Where: Video call: {link}")), "{reminder}");
}

#[tokio::test]
async fn frame_ancestors_follow_embed_origins_on_the_booking_pages_only() {
    let s = start().await;
    for path in ["/book/anna", "/book/anna/lesson", "/book/manage/nope"] {
        let r = s.request("GET", path).send().await;
        assert_eq!(r.header("content-security-policy"), Some("frame-ancestors 'none'"), "{path}");
        assert_eq!(r.header("x-frame-options"), Some("DENY"), "{path}");
    }
    let dashboard = s.request("GET", "/coach/login").send().await;
    assert_eq!(dashboard.header("content-security-policy"), None, "the dashboard keeps its own headers");
    let dav = s.request("PROPFIND", "/dav/").as_user(ALICE).depth("0").send().await;
    assert_eq!(dav.header("content-security-policy"), None);
    s.stop().await;

    let origins = vec!["https://anna.example".to_string(), "https://*.school.example".to_string()];
    let s = start_with(data_dir_with_photo(), Arc::new(ManualClock::new(mon(6))), move |c| c.embed_origins = origins).await;
    let r = s.request("GET", "/book/anna").send().await.status(200);
    assert_eq!(r.header("content-security-policy"), Some("frame-ancestors 'self' https://anna.example https://*.school.example"));
    assert_eq!(r.header("x-frame-options"), None, "X-Frame-Options cannot name origins; CSP decides");
}

#[test]
fn embed_origins_are_validated_in_the_config() {
    let ok = Config::parse("embed_origins = [\"https://Anna.example/\", \"http://localhost:8080\", \"https://*.school.example\"]\n", Path::new("x.toml")).unwrap();
    assert_eq!(ok.embed_origins, ["https://anna.example", "http://localhost:8080", "https://*.school.example"]);
    assert!(Config::default().embed_origins.is_empty());
    for bad in ["anna.example", "https://anna.example/path", "https://a.example; script-src *", "https://a .example", "https://a.example:99999", "javascript:alert(1)"] {
        let err = Config::parse(&format!("embed_origins = [{bad:?}]\n"), Path::new("x.toml")).unwrap_err().to_string();
        assert!(err.contains("embed_origins") && err.contains("line 1"), "{bad}: {err}");
    }
}

#[tokio::test]
async fn the_embed_scripts_are_served_and_every_page_loads_the_frame_script() {
    let s = start().await;
    let r = s.request("GET", "/static/embed.js").send().await.status(200);
    assert_eq!(r.header("content-type"), Some("text/javascript; charset=utf-8"));
    assert!(r.text().contains("data-slotdav-embed") && r.text().contains("addEventListener(\"message\""), "{}", r.text());
    let r = s.request("GET", "/static/frame.js").send().await.status(200);
    assert!(r.text().contains("postMessage"), "{}", r.text());
    s.request("GET", "/static/other.js").send().await.status(404);
    s.request("GET", "/static/../Cargo.toml").send().await.status(404);
    let page = s.request("GET", "/book/anna").send().await.status(200).text();
    assert!(page.contains("<script src=\"/static/frame.js\" defer></script>"), "{page}");
}

#[tokio::test]
async fn the_dashboard_shows_the_embed_snippet() {
    let s = start().await;
    let login = s.request("GET", "/coach/login").send().await.status(200);
    let cookie = login.header("set-cookie").expect("csrf cookie").split(';').next().unwrap().to_string();
    let html = login.text();
    let at = html.find("name=\"csrf\" value=\"").expect("csrf field") + "name=\"csrf\" value=\"".len();
    let csrf = html[at..].split('"').next().unwrap().to_string();
    let body = format!("csrf={csrf}&user={ALICE}&password={ALICE_PW}");
    let r = s
        .request("POST", "/coach/login")
        .header("Cookie", &cookie)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .status(303);
    let session = r
        .headers
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().split(';').next().unwrap().to_string())
        .find(|c| c.starts_with("slotdav_session="))
        .expect("session cookie");
    let home = s.request("GET", "/coach/").header("Cookie", &format!("{cookie}; {session}")).send().await.status(200).text();
    assert!(home.contains("Put this on your website"), "{home}");
    assert!(home.contains("&#60;iframe data-slotdav-embed src="), "{home}");
    assert!(!home.contains("<iframe"), "the snippet is shown as text: {home}");
    assert!(home.contains("/static/embed.js"), "{home}");
    assert!(home.contains("/book/anna"), "{home}");
    assert!(home.contains("Book a session with Anna Example"), "{home}");
}
