//! `slotdav check [--repair] [--json]` (issue 17 §2) on the real binary: a
//! store after a mixed workload is clean (through the running server's
//! admin socket and on the stopped store); corruption written behind the
//! server's back (by opening the sled tree directly) is reported with exit
//! status 1, and `--repair` fixes the index problems.

use serde_json::{json, Value};

use crate::common::*;

const PW: &str = "check-alice-pw";
const CAL: &str = "/dav/calendars/alice/calendar/";
const FILES: &str = "/dav/calendars/alice/files/";
const COACH: &str = "[[coach]]\nuser = \"alice\"\ntimezone = \"UTC\"\nworking_hours = { mon = [\"00:00-23:59\"], tue = [\"00:00-23:59\"], wed = [\"00:00-23:59\"], thu = [\"00:00-23:59\"], fri = [\"00:00-23:59\"], sat = [\"00:00-23:59\"], sun = [\"00:00-23:59\"] }\n[[coach.event_type]]\nslug = \"lesson\"\ntitle = \"Lesson\"\nduration = \"30m\"\nmin_notice = \"2h\"\n";

fn event(uid: &str, start: &str, extra: &str) -> String {
    format!(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//slotdav tests//EN\r\nBEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:{start}\r\nDURATION:PT1H\r\nSUMMARY:{uid}\r\n{extra}END:VEVENT\r\nEND:VCALENDAR\r\n"
    )
}

fn json_of(r: &Resp) -> Value {
    serde_json::from_slice(&r.bytes).unwrap_or_else(|e| panic!("not JSON ({e}): {}", r.describe()))
}

async fn post_json(server: &BinServer, path: &str, body: Value) -> Resp {
    server.request("POST", path).header("Content-Type", "application/json").body(body.to_string()).send().await
}

/// Holds and confirms the `n`th open slot; returns the booking JSON.
async fn book(server: &BinServer, n: usize, email: &str) -> Value {
    let r = server.request("GET", "/api/v1/coaches/alice/event-types/lesson/slots").send().await.status(200);
    let start = json_of(&r)["slots"][n]["start"].as_str().expect("an open slot").to_string();
    let hold = json_of(&post_json(server, "/api/v1/coaches/alice/event-types/lesson/holds", json!({"start": start})).await.status(201));
    let id = hold["hold_id"].as_str().unwrap();
    json_of(&post_json(server, &format!("/api/v1/holds/{id}/confirm"), json!({"name": "Ben", "email": email})).await.status(201))
}

async fn put(server: &BinServer, path: &str, body: &str, ct: &str) {
    server.request("PUT", path).as_user("alice").header("Content-Type", ct).body(body.to_string()).send().await.status_in(&[201, 204]);
}

/// Calendar objects, a moved and a deleted one, a recurring series, a
/// plain collection copied deep, dead properties, bookings confirmed and
/// cancelled, and a hold.
async fn mixed_workload(server: &BinServer) {
    for i in 0..6 {
        put(server, &format!("{CAL}e{i}.ics"), &event(&format!("uid-{i}"), &format!("2027040{}T100000Z", i + 1), ""), "text/calendar").await;
    }
    put(server, &format!("{CAL}weekly.ics"), &event("weekly", "20270105T090000Z", "RRULE:FREQ=WEEKLY\r\n"), "text/calendar").await;
    put(server, &format!("{CAL}long.ics"), &event("long", "20270501T000000Z", "RRULE:FREQ=DAILY;COUNT=3\r\n").replace("PT1H", "P10D"), "text/calendar").await;
    put(server, &format!("{CAL}e1.ics"), &event("uid-1", "20270420T100000Z", "LOCATION:moved\r\n"), "text/calendar").await;
    server.request("DELETE", &format!("{CAL}e2.ics")).as_user("alice").send().await.status(204);
    server.request("MOVE", &format!("{CAL}e3.ics")).as_user("alice").destination(&format!("{CAL}renamed.ics")).send().await.status(201);
    server.request("MKCOL", FILES).as_user("alice").send().await.status(201);
    server.request("MKCOL", &format!("{FILES}sub/")).as_user("alice").send().await.status(201);
    put(server, &format!("{FILES}sub/a.txt"), "hello", "text/plain").await;
    server.request("COPY", FILES).as_user("alice").destination("/dav/calendars/alice/copied/").depth("infinity").send().await.status(201);
    server
        .request("PROPPATCH", CAL)
        .as_user("alice")
        .xml(r#"<D:propertyupdate xmlns:D="DAV:" xmlns:Z="urn:x-z"><D:set><D:prop><Z:colour>blue</Z:colour></D:prop></D:set></D:propertyupdate>"#)
        .send()
        .await
        .status(207);
    book(server, 0, "ben@example.org").await;
    let cancelled = book(server, 100, "cy@example.org").await;
    let token = cancelled["manage_token"].as_str().unwrap();
    post_json(server, &format!("/api/v1/bookings/{token}/cancel"), json!({})).await.status(200);
    let r = server.request("GET", "/api/v1/coaches/alice/event-types/lesson/slots").send().await.status(200);
    let start = json_of(&r)["slots"][6]["start"].as_str().unwrap().to_string();
    post_json(server, "/api/v1/coaches/alice/event-types/lesson/holds", json!({"start": start})).await.status(201);
}

fn spawn(env: &BinEnv) -> BinServer {
    let server = env.spawn();
    server.http.set_password("alice", PW);
    server
}

fn setup() -> BinEnv {
    let env = BinEnv::new(COACH);
    env.cli(&["user", "add", "alice", "--email", "alice@example.org"], &format!("{PW}\n")).success();
    env
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_after_a_mixed_workload_checks_clean_online_and_offline() {
    let env = setup();
    let server = spawn(&env);
    mixed_workload(&server).await;

    let online = env.cli(&["check"], "");
    assert_eq!(online.code, Some(0), "through the running server: {online:?}");
    assert!(online.stdout.contains(": 0 problems"), "{}", online.stdout);
    assert_eq!(server.terminate(), Some(0));

    let offline = env.cli(&["check", "--json"], "");
    assert_eq!(offline.code, Some(0), "on the stopped store: {offline:?}");
    let report: Value = serde_json::from_str(offline.stdout.trim()).expect("JSON report");
    assert_eq!(report["problems"], json!([]), "{report}");
    assert!(report["nodes"].as_u64().unwrap() >= 12, "{report}");
    assert!(report["calendar_objects"].as_u64().unwrap() >= 9, "the bookings' events too: {report}");
    assert!(report["records"].as_u64().unwrap() >= 2, "{report}");
}

/// The sled tree of a stopped server, opened behind its back.
fn open_tree(env: &BinEnv) -> (sled::Db, sled::Tree) {
    let db = sled::open(env.data_dir.join("db")).expect("the stopped store opens");
    let tree = db.open_tree("slotdav").unwrap();
    (db, tree)
}

/// The records of an occurrence page (`storage::kv::spans`: a version
/// byte, then per record its suffix and value, each after its length as
/// u32 LE).
fn page_records(page: &[u8]) -> Vec<(Vec<u8>, Vec<u8>)> {
    fn take(rest: &mut &[u8]) -> Vec<u8> {
        let len = u32::from_le_bytes(rest[..4].try_into().unwrap()) as usize;
        let field = rest[4..4 + len].to_vec();
        *rest = &rest[4 + len..];
        field
    }
    assert_eq!(page[0], 1, "page version");
    let mut rest = &page[1..];
    let mut out = Vec::new();
    while !rest.is_empty() {
        let suffix = take(&mut rest);
        out.push((suffix, take(&mut rest)));
    }
    out
}

fn page_of(records: &[(Vec<u8>, Vec<u8>)]) -> Vec<u8> {
    let mut out = vec![1u8];
    for (s, v) in records {
        for field in [s, v] {
            out.extend_from_slice(&(field.len() as u32).to_le_bytes());
            out.extend_from_slice(field);
        }
    }
    out
}

fn key(tag: u8, path: &str, rest: &[u8]) -> Vec<u8> {
    let mut k = vec![tag];
    k.extend_from_slice(path.as_bytes());
    k.push(0);
    k.extend_from_slice(rest);
    k
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn corrupted_indexes_are_reported_and_repaired_and_a_booking_without_its_event_is_reported() {
    if crate::common::pg::skip_on_pg("corrupts records in the stopped sled files") {
        return;
    }
    let env = setup();
    let server = spawn(&env);
    mixed_workload(&server).await;
    let booking = book(&server, 8, "dee@example.org").await;
    let reference = booking["reference"].as_str().expect("reference").to_string();
    assert_eq!(server.terminate(), Some(0));

    {
        let (db, tree) = open_tree(&env);
        // A missing UID entry, one that names no object, an occurrence of
        // an object that does not exist, an object whose occurrences are
        // gone, and a wrong usage record.
        assert!(tree.remove(key(b'I', "alice/calendar", b"uid-0")).unwrap().is_some());
        tree.insert(key(b'I', "alice/calendar", b"ghost-uid"), &b"ghost.ics"[..]).unwrap();
        // The calendar's day-long occurrences are in pages under
        // `T S alice/calendar 0`.
        let mut span = 1_900_000_000u64.to_be_bytes().to_vec();
        span[0] ^= 0x80;
        span.extend_from_slice(b"ghost.ics");
        let pages = [&b"T"[..], &key(b'S', "alice/calendar", b"")].concat();
        let mut e4 = 0;
        let found: Vec<_> = tree.scan_prefix(&pages).map(|kv| kv.unwrap()).collect();
        for (i, (k, v)) in found.iter().enumerate() {
            let mut records = page_records(v);
            let before = records.len();
            records.retain(|(suffix, _)| !suffix.ends_with(b"e4.ics"));
            e4 += before - records.len();
            if i == found.len() - 1 {
                // The last page: every start from its bound on (2030 is
                // after all of them).
                records.push((span.clone(), vec![0u8; 10]));
            }
            tree.insert(k, page_of(&records)).unwrap();
        }
        assert_eq!(e4, 1, "e4.ics has one occurrence filed");
        // …and an occurrence stored as a record of its own, as store
        // format 1 kept them: nothing reads it.
        span[0] ^= 0x01;
        tree.insert(key(b'S', "alice/calendar", &span), &[0u8; 10][..]).unwrap();
        tree.insert(b"Qalice", &1u64.to_be_bytes()[..]).unwrap();
        // Domain indexes pointing nowhere: a booking UID entry and a
        // reminder entry.
        tree.insert(key(b'X', "booking-uid", b"alice/no-such-uid"), &b"no-such-booking"[..]).unwrap();
        tree.insert(key(b'X', "outbox-reminder", b"no-such-booking/r1"), &b"000/r1"[..]).unwrap();
        db.flush().unwrap();
    }

    let found = env.cli(&["check"], "");
    assert_eq!(found.code, Some(1), "{found:?}");
    for needle in [
        "uid-index: alice/calendar/e0.ics: no UID-index entry for its UID uid-0",
        "uid-index: alice/calendar: the entry for UID ghost-uid names \"ghost.ics\"",
        "occurrence-index: alice/calendar/ghost.ics: index records of an object that does not exist",
        "occurrence-index: alice/calendar/e4.ics: its index (0 occurrences filed) is not what its bytes expand to (1 occurrences)",
        "occurrence-index: 1 occurrence records stored outside the pages",
        "usage: alice: usage recorded as 1 bytes",
        "booking: booking-uid entry alice/no-such-uid names booking \"no-such-booking\"",
        "outbox: reminder entry no-such-booking/r1 points to message 000/r1, which is not queued",
    ] {
        assert!(found.stdout.contains(needle), "missing {needle:?} in:\n{}", found.stdout);
    }
    assert!(found.stdout.contains(": 8 problems"), "{}", found.stdout);

    let repaired = env.cli(&["check", "--repair"], "");
    assert_eq!(repaired.code, Some(1), "problems were found (and repaired): {repaired:?}");
    assert!(repaired.stdout.contains("8 problems, 8 repaired"), "{}", repaired.stdout);
    let again = env.cli(&["check"], "");
    assert_eq!(again.code, Some(0), "clean after the repair: {again:?}");

    // The repaired indexes serve the server: the object is found by its
    // UID (a second object with it is refused) and by time range.
    let server = spawn(&env);
    let r = server.request("PUT", &format!("{CAL}dup.ics")).as_user("alice").header("Content-Type", "text/calendar").body(event("uid-0", "20270401T100000Z", "")).send().await;
    assert_eq!(r.code(), 409, "uid-0 is indexed again: {}", r.describe());
    let query = r#"<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><D:getetag/></D:prop><C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT"><C:time-range start="20270405T000000Z" end="20270406T000000Z"/></C:comp-filter></C:comp-filter></C:filter></C:calendar-query>"#;
    let r = server.request("REPORT", CAL).as_user("alice").depth("1").xml(query).send().await.status(207);
    assert!(r.text().contains("e4.ics"), "e4.ics is found by time again: {}", r.text());
    assert_eq!(server.terminate(), Some(0));

    // A booking whose event was removed behind its back: reported, and a
    // repair does not invent the event.
    {
        let (db, tree) = open_tree(&env);
        let prefix = key(b'N', "alice/sessions", b"");
        let mut removed = 0;
        for k in tree.scan_prefix(&prefix).keys().map(|k| k.unwrap()).collect::<Vec<_>>() {
            let content = [&b"C"[..], b"alice/sessions/", &k[prefix.len()..]].concat();
            let text = String::from_utf8(tree.get(&content).unwrap().unwrap().to_vec()).unwrap();
            if text.contains(&reference) || text.contains("dee@example.org") {
                tree.remove(&k).unwrap();
                tree.remove(&content).unwrap();
                removed += 1;
            }
        }
        assert_eq!(removed, 1, "the booking's event was found");
        db.flush().unwrap();
    }
    let found = env.cli(&["check", "--json"], "");
    assert_eq!(found.code, Some(1), "{found:?}");
    let report: Value = serde_json::from_str(found.stdout.trim()).unwrap();
    let problems = report["problems"].as_array().unwrap();
    assert!(
        problems.iter().any(|p| p["check"] == "booking" && p["what"].as_str().unwrap().contains(&reference) && p["what"].as_str().unwrap().contains("is not in alice/sessions")),
        "{report}"
    );
    let repaired = env.cli(&["check", "--repair"], "");
    assert_eq!(repaired.code, Some(1));
    let after = env.cli(&["check", "--json"], "");
    let report: Value = serde_json::from_str(after.stdout.trim()).unwrap();
    let left: Vec<&Value> = report["problems"].as_array().unwrap().iter().collect();
    assert_eq!(left.len(), 1, "only the booking is left: {report}");
    assert_eq!(left[0]["check"], "booking");
}

#[test]
fn a_check_that_cannot_open_the_store_exits_2() {
    if crate::common::pg::skip_on_pg("makes the sled files unopenable") {
        return;
    }
    let env = BinEnv::new("");
    std::fs::create_dir_all(&env.data_dir).unwrap();
    std::fs::write(env.data_dir.join("db"), "not a directory").unwrap();
    let out = env.cli(&["check"], "");
    assert_eq!(out.code, Some(2), "{out:?}");
    assert!(out.stderr.contains("check failed"), "{}", out.stderr);
}
