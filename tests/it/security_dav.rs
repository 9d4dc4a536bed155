//! Issue 14, findings 4 and 5: recurrence work and storage amplification.
//! A calendar object may not make the server compute (or index) without
//! bound, whatever the number of RRULE lines in it; a report may not make
//! it render without bound; and each user's store is limited by a quota
//! (RFC 4331) that counts index entries and dead properties too.

use std::time::{Duration, Instant};

use crate::common::*;

const ADMIN_PW: &str = "sec-dav-admin-pw";
const ADMIN_CAL: &str = "/dav/calendars/admin/calendar/";
const CAL: &str = "/dav/calendars/alice/calendar/";
const HOME: &str = "/dav/calendars/alice/";
const NS: &str = r#"xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav""#;

fn vcalendar(body: &str) -> String {
    format!("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n{body}END:VCALENDAR\r\n")
}

/// One VEVENT with `rules` lines `RRULE:FREQ=SECONDLY;INTERVAL=n`.
fn many_rrules(uid: &str, rules: usize) -> String {
    let mut ev = format!("BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20260101T000000Z\r\nDURATION:PT1S\r\n");
    for n in 1..=rules {
        ev.push_str(&format!("RRULE:FREQ=SECONDLY;INTERVAL={n}\r\n"));
    }
    ev.push_str("END:VEVENT\r\n");
    vcalendar(&ev)
}

/// Peak resident memory of a process in KiB (Linux `VmHWM`).
fn peak_rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("/proc status");
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).expect("VmHWM");
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

fn spawn_admin(env: &BinEnv) -> BinServer {
    let server = env.spawn_with_env(&[("SLOTDAV_ADMIN_PASSWORD", ADMIN_PW)]);
    server.http.set_password("admin", ADMIN_PW);
    server
}

fn expand_query(from: &str, to: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="utf-8"?><C:calendar-query {NS}><D:prop><D:getetag/><C:calendar-data><C:expand start="{from}" end="{to}"/></C:calendar-data></D:prop><C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT"><C:time-range start="{from}" end="{to}"/></C:comp-filter></C:comp-filter></C:filter></C:calendar-query>"#
    )
}

/// Finding 4: 100 and 1000 RRULE lines share one budget. Both objects are
/// refused with `CALDAV:max-instances` in well under 5 s each, and the
/// server process never grows past a couple of hundred MB (before the fix:
/// 12.7 s / 747 MB and 53 s / 4.8 GB in a release build).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_rrule_lines_are_refused_quickly_and_memory_stays_bounded() {
    let env = BinEnv::new("");
    let server = spawn_admin(&env);
    // Provision the home first so its cost is not counted below.
    server.request("PROPFIND", ADMIN_CAL).as_user("admin").depth("0").send().await.status(207);
    for rules in [100, 1000] {
        let started = Instant::now();
        let r = server
            .request("PUT", &format!("{ADMIN_CAL}rules-{rules}.ics"))
            .as_user("admin")
            .header("Content-Type", "text/calendar")
            .body(many_rrules(&format!("rules-{rules}"), rules))
            .send()
            .await;
        let took = started.elapsed();
        r.status(403).contains("max-instances");
        assert!(took < Duration::from_secs(5), "{rules} RRULE lines took {took:?}");
        server.request("GET", &format!("{ADMIN_CAL}rules-{rules}.ics")).as_user("admin").send().await.status(404);
    }
    let peak = peak_rss_kib(server.pid());
    assert!(peak < 200 * 1024, "peak RSS {peak} KiB");
}

/// Finding 4: a weekly series for years and a daily series with a few
/// hundred overrides still store and expand correctly.
#[tokio::test]
async fn legitimate_recurrences_store_and_expand() {
    let server = TestServer::start().await;
    let weekly = vcalendar(
        "BEGIN:VEVENT\r\nUID:weekly\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20260105T090000Z\r\nDURATION:PT1H\r\n\
RRULE:FREQ=WEEKLY;COUNT=520\r\nSUMMARY:lesson\r\nEND:VEVENT\r\n",
    );
    server.http.put(ALICE, &format!("{CAL}weekly.ics"), weekly).await;
    let mut daily = String::from(
        "BEGIN:VEVENT\r\nUID:daily\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20260101T080000Z\r\nDURATION:PT30M\r\n\
RRULE:FREQ=DAILY\r\nSUMMARY:standup\r\nEND:VEVENT\r\n",
    );
    let day0 = chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
    for i in 0..300 {
        let d = (day0 + chrono::Duration::days(i)).format("%Y%m%d");
        daily.push_str(&format!(
            "BEGIN:VEVENT\r\nUID:daily\r\nDTSTAMP:20260101T000000Z\r\nRECURRENCE-ID:{d}T080000Z\r\n\
DTSTART:{d}T100000Z\r\nDURATION:PT30M\r\nSUMMARY:moved\r\nEND:VEVENT\r\n"
        ));
    }
    server.http.put(ALICE, &format!("{CAL}daily.ics"), vcalendar(&daily)).await;
    let r = server
        .request("REPORT", CAL)
        .as_user(ALICE)
        .depth("1")
        .xml(expand_query("20260101T000000Z", "20270101T000000Z"))
        .send()
        .await
        .status(207);
    let text = r.text();
    // 52 weekly lessons in 2026, 365 standups of which 300 moved to 10:00.
    assert_eq!(text.matches("SUMMARY:lesson").count(), 52, "{text:.2000}");
    assert_eq!(text.matches("SUMMARY:moved").count(), 300);
    assert_eq!(text.matches("SUMMARY:standup").count(), 65);
    assert!(text.contains("DTSTART:20260630T100000Z") && text.contains("DTSTART:20261231T080000Z"));
    // A time-range query far ahead still finds the unbounded series.
    let q = format!(
        r#"<C:calendar-query {NS}><D:prop><D:getetag/></D:prop><C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT"><C:time-range start="20400101T000000Z" end="20400102T000000Z"/></C:comp-filter></C:comp-filter></C:filter></C:calendar-query>"#
    );
    let r = server.request("REPORT", CAL).as_user(ALICE).depth("1").xml(q).send().await.status(207);
    assert_eq!(r.hrefs(), vec![format!("{CAL}daily.ics")]);
}

/// Finding 4: an expand REPORT over 2000–2100 of accepted objects (a
/// SECONDLY series with a COUNT, unbounded daily series) is bounded per
/// request: it answers 403 `DAV:number-of-matches-within-limits` instead
/// of rendering hundreds of thousands of instances, in a few seconds and
/// without the process growing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expand_report_over_a_century_is_bounded() {
    let env = BinEnv::new("");
    let server = spawn_admin(&env);
    let secondly = vcalendar(
        "BEGIN:VEVENT\r\nUID:secondly\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20260101T000000Z\r\n\
RRULE:FREQ=SECONDLY;COUNT=20000\r\nEND:VEVENT\r\n",
    );
    server.http.put("admin", &format!("{ADMIN_CAL}secondly.ics"), secondly).await;
    for i in 0..10 {
        let daily = vcalendar(&format!(
            "BEGIN:VEVENT\r\nUID:daily-{i}\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20000101T0{i}0000Z\r\n\
DURATION:PT30M\r\nRRULE:FREQ=DAILY\r\nEND:VEVENT\r\n"
        ));
        server.http.put("admin", &format!("{ADMIN_CAL}daily-{i}.ics"), daily).await;
    }
    let started = Instant::now();
    let r = server
        .request("REPORT", ADMIN_CAL)
        .as_user("admin")
        .depth("1")
        .xml(expand_query("20000101T000000Z", "21000101T000000Z"))
        .send()
        .await;
    let took = started.elapsed();
    r.status(403).contains("number-of-matches-within-limits");
    assert!(took < Duration::from_secs(10), "expand REPORT took {took:?}");
    let peak = peak_rss_kib(server.pid());
    assert!(peak < 250 * 1024, "peak RSS {peak} KiB");
    // A sensible window over the same calendar still answers.
    server
        .request("REPORT", ADMIN_CAL)
        .as_user("admin")
        .depth("1")
        .xml(expand_query("20260301T000000Z", "20260308T000000Z"))
        .send()
        .await
        .status(207)
        .contains("daily-3.ics");
}

// ---------------------------------------------------------------------------
// Finding 5: quota and dead-property limits
// ---------------------------------------------------------------------------

fn quota_props() -> String {
    propfind_props(&["D:quota-used-bytes", "D:quota-available-bytes"])
}

/// `(used, available)` of a collection from PROPFIND.
async fn quota_of(server: &TestServer, path: &str) -> (u64, u64) {
    let r = server.request("PROPFIND", path).as_user(ALICE).depth("0").xml(quota_props()).send().await.status(207);
    let text = r.text();
    let num = |local: &str| -> u64 {
        let v = split_elements(&text, local);
        let v = v.first().unwrap_or_else(|| panic!("no {local}: {text}"));
        v.trim().parse().unwrap_or_else(|_| panic!("{local} = {v:?}: {text}"))
    };
    (num("quota-used-bytes"), num("quota-available-bytes"))
}

fn event(uid: &str, extra: &str) -> String {
    vcalendar(&format!(
        "BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20260105T090000Z\r\nDURATION:PT1H\r\n{extra}END:VEVENT\r\n"
    ))
}

/// RFC 4331: used and available bytes on the home and its calendars follow
/// PUT and DELETE, survive a restart, and are not part of allprop.
#[tokio::test]
async fn quota_properties_follow_writes_and_survive_restart() {
    let server = TestServer::builder().config(|c| c.quota = 1024 * 1024).start().await;
    let (used0, avail0) = quota_of(&server, HOME).await;
    assert_eq!(used0 + avail0, 1024 * 1024);
    assert!(used0 > 0, "a provisioned home uses some bytes");
    let body = event("q1", &format!("DESCRIPTION:{}\r\n", "x".repeat(20_000)));
    server.http.put(ALICE, &format!("{CAL}q1.ics"), body).await;
    let (used1, avail1) = quota_of(&server, HOME).await;
    assert!(used1 >= used0 + 20_000 && used1 < used0 + 22_000, "{used0} → {used1}");
    assert_eq!(used1 + avail1, 1024 * 1024);
    assert_eq!(quota_of(&server, CAL).await, (used1, avail1), "a calendar shows its owner's quota");
    server.request("DELETE", &format!("{CAL}q1.ics")).as_user(ALICE).send().await.status(204);
    let (used2, _) = quota_of(&server, HOME).await;
    assert!(used2 < used0 + 200, "deleting gives the bytes back: {used0} → {used1} → {used2}");
    server
        .request("PROPFIND", HOME)
        .as_user(ALICE)
        .depth("0")
        .xml(PROPFIND_ALLPROP)
        .send()
        .await
        .status(207)
        .lacks("quota-used-bytes");
    let app = server.app.clone();
    let storage = server.storage.clone();
    drop((app, storage));
    let dir = server.stop_keep_data().await;
    let server = TestServer::builder().config(|c| c.quota = 1024 * 1024).data_dir(dir).start().await;
    assert_eq!(quota_of(&server, HOME).await.0, used2, "usage survives a restart");
}

/// A PUT, COPY or MKCALENDAR beyond the quota is 507 with
/// `DAV:quota-not-exceeded`, and nothing is written.
#[tokio::test]
async fn writes_beyond_quota_are_507_and_write_nothing() {
    let server = TestServer::builder().config(|c| c.quota = 64 * 1024).start().await;
    server.request("PROPFIND", HOME).as_user(ALICE).depth("0").xml(quota_props()).send().await.status(207);
    let big = event("big", &format!("DESCRIPTION:{}\r\n", "y".repeat(70_000)));
    server
        .request("PUT", &format!("{CAL}big.ics"))
        .as_user(ALICE)
        .header("Content-Type", "text/calendar")
        .body(big)
        .send()
        .await
        .status(507)
        .contains("quota-not-exceeded");
    server.request("GET", &format!("{CAL}big.ics")).as_user(ALICE).send().await.status(404);
    // 40 KB fits once; a copy of it does not.
    let medium = event("medium", &format!("DESCRIPTION:{}\r\n", "z".repeat(40_000)));
    server.http.put(ALICE, &format!("{CAL}medium.ics"), medium).await;
    let (used, _) = quota_of(&server, HOME).await;
    server
        .request("MKCALENDAR", "/dav/calendars/alice/other/")
        .as_user(ALICE)
        .send()
        .await
        .status(201);
    server
        .request("COPY", &format!("{CAL}medium.ics"))
        .as_user(ALICE)
        .destination("/dav/calendars/alice/other/medium.ics")
        .send()
        .await
        .status(507)
        .contains("quota-not-exceeded");
    server.request("GET", "/dav/calendars/alice/other/medium.ics").as_user(ALICE).send().await.status(404);
    assert!(quota_of(&server, HOME).await.0 < used + 1000);
    // Bob has his own quota.
    server.http.put(BOB, "/dav/calendars/bob/calendar/b.ics", event("b", "")).await;
}

/// Dead properties are limited in size and number (RFC 4918 §9.2: 507 for
/// the property in the multistatus, the rest 424), and nothing is stored.
#[tokio::test]
async fn oversized_and_too_many_dead_properties_are_refused() {
    let server = TestServer::start().await;
    let patch = |props: &str| {
        format!(r#"<?xml version="1.0" encoding="utf-8"?><D:propertyupdate {NS} xmlns:X="urn:x"><D:set><D:prop>{props}</D:prop></D:set></D:propertyupdate>"#)
    };
    // 1 MB: well inside max_request_body (10 MB), far beyond the property limit.
    let name = "n".repeat(1024 * 1024);
    let r = server
        .request("PROPPATCH", CAL)
        .as_user(ALICE)
        .xml(patch(&format!("<D:displayname>{name}</D:displayname><X:small>ok</X:small>")))
        .send()
        .await
        .status(207);
    assert_eq!(r.prop_status(CAL, "displayname"), Some(507), "{}", r.text());
    assert_eq!(r.prop_status(CAL, "small"), Some(424));
    let many: String = (0..5000).map(|i| format!("<X:p{i}>v</X:p{i}>")).collect();
    let r = server.request("PROPPATCH", CAL).as_user(ALICE).xml(patch(&many)).send().await.status(207);
    assert!(r.text().contains("507"), "{}", r.text());
    let r = server
        .request("PROPFIND", CAL)
        .as_user(ALICE)
        .depth("0")
        .xml(PROPFIND_PROPNAME)
        .send()
        .await
        .status(207)
        .lacks("p4999")
        .lacks("small");
    assert!(!r.text().contains(&name[..1000]));
    // An ordinary display name still works.
    let r = server
        .request("PROPPATCH", CAL)
        .as_user(ALICE)
        .xml(patch("<D:displayname>Work</D:displayname>"))
        .send()
        .await
        .status(207);
    assert_eq!(r.prop_status(CAL, "displayname"), Some(200));
}

/// A 189-byte SECONDLY object no longer costs megabytes of index: the
/// unbounded one is refused, and a long SECONDLY series with a COUNT is
/// indexed in a few bytes (checked on every query instead).
#[tokio::test]
async fn secondly_objects_do_not_amplify_storage() {
    let server = TestServer::builder().config(|c| c.quota = 100 * 1024 * 1024).start().await;
    let (used0, _) = quota_of(&server, HOME).await;
    let unbounded = vcalendar("BEGIN:VEVENT\r\nUID:s\r\nDTSTART:20260101T000000Z\r\nRRULE:FREQ=SECONDLY\r\nEND:VEVENT\r\n");
    server
        .request("PUT", &format!("{CAL}s.ics"))
        .as_user(ALICE)
        .header("Content-Type", "text/calendar")
        .body(unbounded)
        .send()
        .await
        .status(403)
        .contains("max-instances");
    let counted = vcalendar("BEGIN:VEVENT\r\nUID:c\r\nDTSTART:20260101T000000Z\r\nRRULE:FREQ=SECONDLY;COUNT=20000\r\nEND:VEVENT\r\n");
    server.http.put(ALICE, &format!("{CAL}c.ics"), counted).await;
    let (used1, _) = quota_of(&server, HOME).await;
    assert!(used1 - used0 < 10_000, "a SECONDLY series added {} bytes", used1 - used0);
    // It is still found by a time-range query.
    let q = format!(
        r#"<C:calendar-query {NS}><D:prop><D:getetag/></D:prop><C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT"><C:time-range start="20260101T030000Z" end="20260101T030001Z"/></C:comp-filter></C:comp-filter></C:filter></C:calendar-query>"#
    );
    let r = server.request("REPORT", CAL).as_user(ALICE).depth("1").xml(q).send().await.status(207);
    assert_eq!(r.hrefs(), vec![format!("{CAL}c.ics")]);
}

/// Finding 4, the overrides' side: checking that each RECURRENCE-ID names an
/// instance expands the master once for all overrides, not once per
/// override (2,000 overrides of a SECONDLY series used to mean 2,000
/// expansions of up to 10,000 instances each before the object was even
/// looked at by the recurrence budget).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_overrides_are_checked_with_one_expansion() {
    let server = TestServer::start().await;
    let mut body = String::from(
        "BEGIN:VEVENT\r\nUID:overrides\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20260101T000000Z\r\nDURATION:PT1S\r\nRRULE:FREQ=SECONDLY\r\nEND:VEVENT\r\n",
    );
    for n in 0..2000 {
        body.push_str(&format!(
            "BEGIN:VEVENT\r\nUID:overrides\r\nDTSTAMP:20260101T000000Z\r\nRECURRENCE-ID:20260102T{:02}{:02}00Z\r\nDTSTART:20260102T{:02}{:02}00Z\r\nDURATION:PT1S\r\nSUMMARY:moved\r\nEND:VEVENT\r\n",
            n / 60 % 24,
            n % 60,
            n / 60 % 24,
            n % 60
        ));
    }
    let started = Instant::now();
    let r = server
        .request("PUT", "/dav/calendars/alice/calendar/overrides.ics")
        .as_user(ALICE)
        .header("Content-Type", "text/calendar")
        .body(vcalendar(&body))
        .send()
        .await;
    let took = started.elapsed();
    r.status(403);
    assert!(took < Duration::from_secs(5), "2000 overrides took {took:?}");
}
