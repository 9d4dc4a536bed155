//! `slotdav export` / `slotdav import` (issue 17 §2): a coach's calendar
//! exported from one store (through the running server) and imported into
//! another (on the stopped store, then through the running server) comes
//! back object by object, byte for byte in each component's content
//! lines, and a calendar-query over HTTP finds it; an existing UID is
//! replaced or, with `--skip-existing`, kept; an object a PUT would refuse
//! is refused with its reason while the others go in.

use std::collections::BTreeMap;

use crate::common::*;

const PW: &str = "export-pw";
const NS: &str = r#"xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav""#;

const ZONED: &str = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//client//EN\r\nBEGIN:VTIMEZONE\r\nTZID:Europe/Berlin\r\nBEGIN:STANDARD\r\nDTSTART:19701025T030000\r\nRRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r\nTZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\nEND:STANDARD\r\nBEGIN:DAYLIGHT\r\nDTSTART:19700329T020000\r\nRRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200\r\nEND:DAYLIGHT\r\nEND:VTIMEZONE\r\nBEGIN:VEVENT\r\nUID:zoned@example.org\r\nDTSTAMP:20260101T000000Z\r\nDTSTART;TZID=Europe/Berlin:20270105T090000\r\nDTEND;TZID=Europe/Berlin:20270105T100000\r\nSUMMARY:Lesson in Berlin\\, with a comma\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
const SERIES: &str = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//client//EN\r\nBEGIN:VEVENT\r\nUID:series-1\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20270105T100000Z\r\nDURATION:PT1H\r\nRRULE:FREQ=WEEKLY;COUNT=5\r\nSUMMARY:Weekly\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nUID:series-1\r\nDTSTAMP:20260101T000000Z\r\nRECURRENCE-ID:20270112T100000Z\r\nDTSTART:20270112T140000Z\r\nDURATION:PT1H\r\nSUMMARY:Weekly\\, moved\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
const FOLDED: &str = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//client//EN\r\nBEGIN:VEVENT\r\nUID:folded\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20270301T080000Z\r\nDTEND:20270301T083000Z\r\nDESCRIPTION:A description long enough to be folded by the client that wro\r\n te it\\, with an emoji 🎻 and a line\\nbreak\r\nBEGIN:VALARM\r\nACTION:DISPLAY\r\nDESCRIPTION:soon\r\nTRIGGER:-PT10M\r\nEND:VALARM\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
const TASK: &str = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//client//EN\r\nBEGIN:VTODO\r\nUID:task-1\r\nDTSTAMP:20260101T000000Z\r\nDUE:20270401T170000Z\r\nSUMMARY:Prepare material\r\nEND:VTODO\r\nEND:VCALENDAR\r\n";

/// The top-level components of an object other than VTIMEZONE, each as
/// its content lines (folding kept), by UID.
fn components(text: &str) -> BTreeMap<String, Vec<Vec<String>>> {
    let mut out: BTreeMap<String, Vec<Vec<String>>> = BTreeMap::new();
    let mut depth = 0;
    let mut current: Vec<String> = Vec::new();
    for line in text.split("\r\n").filter(|l| !l.is_empty()) {
        if line.starts_with("BEGIN:") {
            depth += 1;
        }
        if depth >= 2 {
            current.push(line.to_string());
        }
        if line.starts_with("END:") {
            depth -= 1;
            if depth == 1 {
                let component = std::mem::take(&mut current);
                if component[0] != "BEGIN:VTIMEZONE" {
                    let uid = component.iter().find_map(|l| l.strip_prefix("UID:")).unwrap().to_string();
                    out.entry(uid).or_default().push(component);
                }
            }
        }
    }
    out
}

fn setup(user: &str) -> BinEnv {
    let env = BinEnv::new("");
    env.cli(&["user", "add", user], &format!("{PW}\n")).success();
    env
}

fn spawn(env: &BinEnv, user: &str) -> BinServer {
    let server = env.spawn();
    server.http.set_password(user, PW);
    server
}

/// The hrefs a calendar-query for `component` (within 2027 when `ranged`) finds.
async fn query(server: &BinServer, user: &str, calendar: &str, component: &str, ranged: bool) -> Vec<String> {
    let range = if ranged { r#"<C:time-range start="20270101T000000Z" end="20280101T000000Z"/>"# } else { "" };
    let body = format!(
        r#"<C:calendar-query {NS}><D:prop><D:getetag/></D:prop><C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="{component}">{range}</C:comp-filter></C:comp-filter></C:filter></C:calendar-query>"#
    );
    let mut hrefs = server.request("REPORT", &format!("/dav/calendars/{user}/{calendar}/")).as_user(user).depth("1").xml(body).send().await.status(207).hrefs();
    hrefs.sort();
    hrefs
}

/// Every component of a calendar, by UID, read over HTTP.
async fn calendar_components(server: &BinServer, user: &str, calendar: &str) -> BTreeMap<String, Vec<Vec<String>>> {
    let mut hrefs = query(server, user, calendar, "VEVENT", false).await;
    hrefs.extend(query(server, user, calendar, "VTODO", false).await);
    let mut all = BTreeMap::new();
    for href in hrefs {
        let text = server.request("GET", &href).as_user(user).send().await.status(200).text();
        all.extend(components(&text));
    }
    all
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_calendar_exported_from_one_store_imports_into_another_object_by_object() {
    let from = setup("ann");
    let source = spawn(&from, "ann");
    for (name, body) in [("zoned.ics", ZONED), ("series.ics", SERIES), ("folded.ics", FOLDED), ("task.ics", TASK)] {
        source
            .request("PUT", &format!("/dav/calendars/ann/calendar/{name}"))
            .as_user("ann")
            .header("Content-Type", "text/calendar")
            .body(body)
            .send()
            .await
            .status(201);
    }
    let out_dir = from.dir.path().join("exported");
    let out = from.cli(&["export", "ann", "--out", out_dir.to_str().unwrap()], "").success();
    assert!(out.stdout.contains("calendar\t4 objects"), "through the running server: {out:?}");
    let file = out_dir.join("ann-calendar.ics");
    let exported = std::fs::read_to_string(&file).unwrap();
    assert_eq!(exported.matches("BEGIN:VCALENDAR").count(), 1, "one VCALENDAR: {exported}");
    assert_eq!(exported.matches("BEGIN:VTIMEZONE").count(), 1, "{exported}");
    let expected = calendar_components(&source, "ann", "calendar").await;
    assert_eq!(expected.len(), 4);
    assert_eq!(components(&exported), expected, "the file holds every component as stored");

    // Into another store, while it is stopped: a coach moving in.
    let to = setup("bob");
    let out = to.cli(&["import", "bob", "work", file.to_str().unwrap()], "").success();
    assert!(out.stdout.contains("imported 4, replaced 0, kept 0, refused 0"), "{out:?}");
    let target = spawn(&to, "bob");
    assert_eq!(calendar_components(&target, "bob", "work").await, expected, "object by object, byte for byte");
    assert_eq!(query(&target, "bob", "work", "VEVENT", true).await.len(), 3, "the time-range index has them");
    assert_eq!(query(&target, "bob", "work", "VTODO", true).await.len(), 1);
    let in_2026 = format!(
        r#"<C:calendar-query {NS}><D:prop><D:getetag/></D:prop><C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT"><C:time-range start="20270112T133000Z" end="20270112T150000Z"/></C:comp-filter></C:comp-filter></C:filter></C:calendar-query>"#
    );
    let moved = target.request("REPORT", "/dav/calendars/bob/work/").as_user("bob").depth("1").xml(in_2026).send().await.status(207).hrefs();
    assert_eq!(moved.len(), 1, "the moved instance of the series is found at its new time: {moved:?}");

    // Again, through the running server: existing UIDs are kept, or replaced.
    let kept = to.cli(&["import", "bob", "work", file.to_str().unwrap(), "--skip-existing"], "").success();
    assert!(kept.stdout.contains("imported 0, replaced 0, kept 4, refused 0"), "{kept:?}");
    let sync_before = target.request("PROPFIND", "/dav/calendars/bob/work/").as_user("bob").depth("0").xml(propfind_props(&["D:sync-token"])).send().await.status(207).text();
    let replaced = to.cli(&["import", "bob", "work", file.to_str().unwrap()], "").success();
    assert!(replaced.stdout.contains("imported 0, replaced 4, kept 0, refused 0"), "{replaced:?}");
    let sync_after = target.request("PROPFIND", "/dav/calendars/bob/work/").as_user("bob").depth("0").xml(propfind_props(&["D:sync-token"])).send().await.status(207).text();
    assert_ne!(sync_before, sync_after, "a replaced object moves the sync token");
    assert_eq!(calendar_components(&target, "bob", "work").await, expected, "replacing keeps one object per UID");
    assert_eq!(target.request("PROPFIND", "/dav/calendars/bob/work/").as_user("bob").depth("1").xml(propfind_props(&["D:getetag"])).send().await.status(207).hrefs().len(), 5, "the calendar and its 4 objects");

    let check = to.cli(&["check"], "");
    assert_eq!(check.code, Some(0), "indexes and usage are right: {check:?}");
}

#[test]
fn an_import_refuses_what_a_put_would_and_says_why() {
    let env = setup("cy");
    let bad_end = "BEGIN:VEVENT\r\nUID:ends-early\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20270105T100000Z\r\nDTEND:20270105T090000Z\r\nEND:VEVENT\r\n";
    let bad_rule = "BEGIN:VEVENT\r\nUID:bad-rule\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20270105T100000Z\r\nRRULE:FREQ=SOMETIMES\r\nEND:VEVENT\r\n";
    let good = "BEGIN:VEVENT\r\nUID:fine/with a slash\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20270105T100000Z\r\nDURATION:PT1H\r\nEND:VEVENT\r\n";
    let file = env.dir.path().join("mixed.ics");
    std::fs::write(&file, format!("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//x//EN\r\n{bad_end}{bad_rule}{good}END:VCALENDAR\r\n")).unwrap();
    let out = env.cli(&["import", "cy", "calendar", file.to_str().unwrap()], "").success();
    assert!(out.stdout.contains("imported 1, replaced 0, kept 0, refused 2"), "{out:?}");
    assert!(out.stdout.contains("refused ends-early: "), "{}", out.stdout);
    assert!(out.stdout.contains("refused bad-rule: "), "{}", out.stdout);

    let html = env.dir.path().join("page.ics");
    std::fs::write(&html, "<html>not a calendar</html>").unwrap();
    let out = env.cli(&["import", "cy", "calendar", html.to_str().unwrap()], "");
    assert_eq!(out.code, Some(1));
    assert!(out.stderr.contains("is not an iCalendar file"), "{}", out.stderr);
    let out = env.cli(&["import", "nobody", "calendar", file.to_str().unwrap()], "");
    assert!(out.stderr.contains("no user `nobody`"), "{}", out.stderr);
    let out = env.cli(&["export", "cy", "missing"], "");
    assert!(out.stderr.contains("has no calendar `missing`"), "{}", out.stderr);
    let check = env.cli(&["check"], "");
    assert_eq!(check.code, Some(0), "{check:?}");

    // An existing folder (here: a shared one) keeps its mode; the file is owner-only.
    use std::os::unix::fs::PermissionsExt;
    let shared = env.dir.path().join("shared");
    std::fs::create_dir(&shared).unwrap();
    std::fs::set_permissions(&shared, std::fs::Permissions::from_mode(0o755)).unwrap();
    env.cli(&["export", "cy", "calendar", "--out", shared.to_str().unwrap()], "").success();
    assert_eq!(std::fs::metadata(&shared).unwrap().permissions().mode() & 0o777, 0o755);
    assert_eq!(std::fs::metadata(shared.join("cy-calendar.ics")).unwrap().permissions().mode() & 0o777, 0o600);
}
