//! The storage contract: what every [`Storage`] backend must do, written
//! against the trait (and the domain stores on top of it), never against
//! one backend. [`contract`] runs every check on stores made by a factory;
//! sled is checked by one line at the bottom, and a second backend
//! (PostgreSQL) adds one line beside it.

use std::any::Any;
use std::path::Path;
use std::sync::{Arc, Barrier};

use chrono::{DateTime, Duration, TimeZone, Utc};

use slotdav::booking::service::{BookingError, BookingService};
use slotdav::booking::HoldClient;
use slotdav::clock::{Clock, ManualClock};
use slotdav::config::Config;
use slotdav::ical::{ComponentKind, IndexEntry, Occurrence};
use slotdav::mail::outbox::{MessageKind, OutboxEntry, OutboxStore};
use slotdav::model::TimeRange;
use slotdav::storage::{
    CalendarWrite, ObjectChange, PropChange, RecordBatch, RecordKey, ResourceWrite, SledStorage, Storage, StorageError, StorePath,
    User, WriteCondition,
};

/// A fresh, empty store, and whatever must live as long as it (a
/// temporary directory, a scratch database).
pub struct Fresh {
    pub storage: Arc<dyn Storage>,
    pub _keep: Box<dyn Any>,
}

pub type Factory = fn() -> Fresh;

/// One named contract check.
type Check = (&'static str, fn(Factory));

/// Runs every contract check against stores made by `make`.
pub fn contract(make: Factory) {
    let checks: &[Check] = &[
        ("a batch is all or nothing", batch_is_atomic),
        ("conditional writes", conditional_writes),
        ("UIDs are unique per calendar", uid_unique_per_calendar),
        ("change log and sync revisions", change_log_and_revisions),
        ("time-range candidates", time_range_candidates),
        ("horizon extension", horizon_extension),
        ("copy and move", copy_and_move),
        ("dead properties", dead_properties),
        ("domain records", domain_records),
        ("bounded range scans and user changes with records", range_scans_and_user_changes_with_records),
        ("holds under concurrency", holds_under_concurrency),
        ("outbox order and exactly-once dequeue", outbox_order_and_dequeue),
        ("user removal", user_removal),
        ("usage equals a recount", usage_equals_recount),
        ("listings follow every change of members", listings_follow_members),
        ("concurrent writes stand or fall alone", concurrent_writes_stand_or_fall_alone),
    ];
    for (name, check) in checks {
        eprintln!("storage contract: {name}");
        check(make);
    }
}

#[test]
fn sled_keeps_the_storage_contract() {
    contract(|| {
        let dir = tempfile::tempdir().unwrap();
        let storage = Arc::new(SledStorage::open(dir.path(), false, None).unwrap());
        Fresh { storage, _keep: Box::new(dir) }
    });
}

/// The same contract on PostgreSQL, each store in a fresh schema; runs
/// when `SLOTDAV_TEST_DATABASE_URL` is set (`common::pg`).
#[test]
fn postgres_keeps_the_storage_contract() {
    if !crate::common::pg::enabled() {
        eprintln!("skipped: set {} to run the storage contract on PostgreSQL", crate::common::pg::SWITCH);
        return;
    }
    contract(|| {
        let schema = crate::common::pg::TestSchema::create().expect("switch set");
        let storage = Arc::new(slotdav::storage::PgStorage::connect(&schema.url, 4).unwrap());
        Fresh { storage, _keep: Box::new(schema) }
    });
}

// ---------------------------------------------------------------------------
// helpers
// ---------------------------------------------------------------------------

fn p(s: &[&str]) -> StorePath {
    StorePath::new(s.iter().map(|x| x.to_string()).collect())
}

fn t(h: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 5, 4, 0, 0, 0).unwrap() + Duration::hours(h)
}

fn now() -> DateTime<Utc> {
    t(0)
}

fn none() -> WriteCondition {
    WriteCondition::default()
}

fn occ(start: DateTime<Utc>, end: DateTime<Utc>) -> Occurrence {
    Occurrence { range: TimeRange::new(start, end), busy: Some(slotdav::ical::BusyKind::Busy), all_day: false }
}

fn entry(occurrences: Vec<Occurrence>) -> IndexEntry {
    IndexEntry { occurrences, unbounded: false, floating: false, always_matches: false }
}

fn event(uid: &str, index: IndexEntry) -> ResourceWrite {
    ResourceWrite {
        bytes: format!("BEGIN:VCALENDAR\r\nUID:{uid}\r\nEND:VCALENDAR\r\n").into_bytes(),
        content_type: "text/calendar".into(),
        calendar: Some(CalendarWrite { uid: uid.into(), kind: ComponentKind::Event, index }),
    }
}

fn plain(bytes: &str) -> ResourceWrite {
    ResourceWrite { bytes: bytes.as_bytes().to_vec(), content_type: "text/plain".into(), calendar: None }
}

fn user(name: &str) -> User {
    User { name: name.into(), password_hash: "x".into(), email: None, created: now() }
}

/// A store with user `alice`, her home, a calendar `cal` and a plain
/// collection `files`.
fn alice(make: Factory) -> Fresh {
    let f = make();
    let s = &f.storage;
    s.put_user(&user("alice")).unwrap();
    s.create_collection(&p(&["alice"]), false, vec![], vec![], now()).unwrap();
    s.create_collection(&p(&["alice", "cal"]), true, vec![], vec![], now()).unwrap();
    s.create_collection(&p(&["alice", "files"]), false, vec![], vec![], now()).unwrap();
    f
}

fn names(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

// ---------------------------------------------------------------------------
// the tree
// ---------------------------------------------------------------------------

fn batch_is_atomic(make: Factory) {
    let f = alice(make);
    let s = &f.storage;
    s.put_resource(&p(&["alice", "cal", "a.ics"]), event("u1", entry(vec![occ(t(1), t(2))])), &none(), now()).unwrap();
    // The object change fails (UID taken): the records are not written either.
    let batch = RecordBatch {
        records: vec![(RecordKey::new("booking", "b1"), Some(b"one".to_vec())), (RecordKey::new("hold", "h1"), Some(b"h".to_vec()))],
        object: Some(ObjectChange::Put { path: p(&["alice", "cal", "b.ics"]), write: event("u1", entry(vec![])), cond: none() }),
    };
    assert!(matches!(s.apply(batch, now()), Err(StorageError::UidConflict { .. })));
    assert_eq!(s.record(&RecordKey::new("booking", "b1")).unwrap(), None);
    assert_eq!(s.record(&RecordKey::new("hold", "h1")).unwrap(), None);
    assert!(s.node(&p(&["alice", "cal", "b.ics"])).unwrap().is_none());
    // A failing delete precondition also leaves the records out.
    let batch = RecordBatch {
        records: vec![(RecordKey::new("booking", "b1"), Some(b"one".to_vec()))],
        object: Some(ObjectChange::Delete { path: p(&["alice", "cal", "a.ics"]), cond: WriteCondition { if_match: Some(vec!["nope".into()]), ..none() } }),
    };
    assert!(matches!(s.apply(batch, now()), Err(StorageError::EtagMismatch)));
    assert_eq!(s.record(&RecordKey::new("booking", "b1")).unwrap(), None);
    assert!(s.node(&p(&["alice", "cal", "a.ics"])).unwrap().is_some());
    // A refused write under the quota changes nothing.
    let used = s.usage("alice").unwrap();
    s.set_quota(used + 10);
    let batch = RecordBatch {
        records: vec![(RecordKey::new("booking", "b2"), Some(b"two".to_vec()))],
        object: Some(ObjectChange::Put { path: p(&["alice", "files", "big"]), write: plain(&"x".repeat(100)), cond: none() }),
    };
    assert!(matches!(s.apply(batch, now()), Err(StorageError::QuotaExceeded { .. })));
    assert_eq!(s.record(&RecordKey::new("booking", "b2")).unwrap(), None);
    assert_eq!(s.usage("alice").unwrap(), used);
    s.set_quota(u64::MAX);
    // And a good batch writes everything.
    let batch = RecordBatch {
        records: vec![(RecordKey::new("booking", "b1"), Some(b"one".to_vec()))],
        object: Some(ObjectChange::Put { path: p(&["alice", "cal", "b.ics"]), write: event("u2", entry(vec![])), cond: none() }),
    };
    let outcome = s.apply(batch, now()).unwrap().expect("a put has an outcome");
    assert!(outcome.created);
    assert_eq!(s.record(&RecordKey::new("booking", "b1")).unwrap().as_deref(), Some(&b"one"[..]));
    assert_eq!(s.object_by_uid(&p(&["alice", "cal"]), "u2").unwrap().as_deref(), Some("b.ics"));
}

fn conditional_writes(make: Factory) {
    let f = alice(make);
    let s = &f.storage;
    let path = p(&["alice", "files", "x"]);
    let if_match = |e: &str| WriteCondition { if_match: Some(vec![e.to_string()]), ..none() };
    let if_match_any = WriteCondition { if_match: Some(vec![]), if_match_any: true, ..none() };
    let if_none_match_any = WriteCondition { if_none_match_any: true, ..none() };
    let if_none_match = |e: &str| WriteCondition { if_none_match: vec![e.to_string()], ..none() };

    assert!(matches!(s.put_resource(&path, plain("a"), &if_match_any, now()), Err(StorageError::EtagMismatch)));
    assert!(matches!(s.put_resource(&path, plain("a"), &if_match("e"), now()), Err(StorageError::EtagMismatch)));
    let first = s.put_resource(&path, plain("a"), &if_none_match_any, now()).unwrap();
    assert!(first.created);
    assert!(matches!(s.put_resource(&path, plain("b"), &if_none_match_any, now()), Err(StorageError::EtagMismatch)));
    assert!(matches!(s.put_resource(&path, plain("b"), &if_none_match(&first.etag), now()), Err(StorageError::EtagMismatch)));
    assert!(matches!(s.put_resource(&path, plain("b"), &if_match("other"), now()), Err(StorageError::EtagMismatch)));
    assert_eq!(s.content(&path).unwrap().as_deref(), Some(&b"a"[..]), "refused writes change nothing");
    let second = s.put_resource(&path, plain("b"), &if_match(&first.etag), now()).unwrap();
    assert!(!second.created);
    assert_ne!(second.etag, first.etag, "new bytes, new etag");
    s.put_resource(&path, plain("c"), &if_none_match(&first.etag), now()).unwrap();
    let etag = s.node(&path).unwrap().unwrap().resource().unwrap().etag.clone();
    assert!(matches!(s.delete(&path, &if_match(&first.etag), now()), Err(StorageError::EtagMismatch)));
    s.delete(&path, &if_match(&etag), now()).unwrap();
    assert!(matches!(s.delete(&path, &none(), now()), Err(StorageError::NotFound)));
    // Resources go into existing collections only.
    assert!(matches!(s.put_resource(&p(&["alice", "nope", "x"]), plain("a"), &none(), now()), Err(StorageError::ParentMissing)));
    assert!(matches!(s.put_resource(&p(&["alice", "cal", "x"]), plain("a"), &none(), now()), Err(StorageError::WrongCollectionKind)));
    assert!(matches!(s.create_collection(&p(&["alice", "cal"]), true, vec![], vec![], now()), Err(StorageError::AlreadyExists)));
}

fn uid_unique_per_calendar(make: Factory) {
    let f = alice(make);
    let s = &f.storage;
    let cal = p(&["alice", "cal"]);
    s.create_collection(&p(&["alice", "cal2"]), true, vec![], vec![], now()).unwrap();
    s.put_resource(&cal.child("a.ics"), event("u", entry(vec![])), &none(), now()).unwrap();
    match s.put_resource(&cal.child("b.ics"), event("u", entry(vec![])), &none(), now()) {
        Err(StorageError::UidConflict { uid, existing }) => {
            assert_eq!(uid, "u");
            assert_eq!(existing, cal.child("a.ics"));
        }
        other => panic!("{other:?}"),
    }
    s.put_resource(&p(&["alice", "cal2", "b.ics"]), event("u", entry(vec![])), &none(), now()).expect("another calendar may use it");
    s.put_resource(&cal.child("a.ics"), event("u", entry(vec![])), &none(), now()).expect("the same object keeps its UID");
    // A changed UID frees the old one.
    s.put_resource(&cal.child("a.ics"), event("v", entry(vec![])), &none(), now()).unwrap();
    assert_eq!(s.object_by_uid(&cal, "u").unwrap(), None);
    assert_eq!(s.object_by_uid(&cal, "v").unwrap().as_deref(), Some("a.ics"));
    s.put_resource(&cal.child("b.ics"), event("u", entry(vec![])), &none(), now()).unwrap();
    s.delete(&cal.child("a.ics"), &none(), now()).unwrap();
    assert_eq!(s.object_by_uid(&cal, "v").unwrap(), None, "a deleted object frees its UID");
    // Component sets are kept.
    s.create_collection(&p(&["alice", "todos"]), true, vec![ComponentKind::Todo], vec![], now()).unwrap();
    assert!(matches!(
        s.put_resource(&p(&["alice", "todos", "e.ics"]), event("w", entry(vec![])), &none(), now()),
        Err(StorageError::UnsupportedComponent(ComponentKind::Event))
    ));
}

fn change_log_and_revisions(make: Factory) {
    let f = alice(make);
    let s = &f.storage;
    let cal = p(&["alice", "cal"]);
    let rev = |s: &Arc<dyn Storage>| s.node(&cal).unwrap().unwrap().collection().unwrap().revision;
    let r0 = rev(s);
    s.put_resource(&cal.child("a.ics"), event("a", entry(vec![])), &none(), now()).unwrap();
    s.put_resource(&cal.child("b.ics"), event("b", entry(vec![])), &none(), now()).unwrap();
    let r2 = rev(s);
    assert!(r2 > r0);
    s.put_resource(&cal.child("a.ics"), event("a", entry(vec![occ(t(1), t(2))])), &none(), now()).unwrap();
    s.delete(&cal.child("b.ics"), &none(), now()).unwrap();
    let r4 = rev(s);
    assert!(r4 > r2);

    let all = s.changes_since(&cal, r0, None).unwrap().unwrap();
    assert_eq!(all.revision, r4);
    assert!(!all.truncated);
    let by_name: Vec<(String, bool)> = all.changes.iter().map(|c| (c.name.clone(), c.deleted)).collect();
    assert_eq!(by_name, vec![("a.ics".to_string(), false), ("b.ics".to_string(), true)], "latest state per name, in order");
    let since = s.changes_since(&cal, r2, None).unwrap().unwrap();
    assert_eq!(since.changes.len(), 2);
    let none_new = s.changes_since(&cal, r4, None).unwrap().unwrap();
    assert!(none_new.changes.is_empty());
    assert_eq!(none_new.revision, r4);
    let limited = s.changes_since(&cal, r0, Some(1)).unwrap().unwrap();
    assert!(limited.truncated);
    assert_eq!(limited.changes.len(), 1);
    assert!(limited.revision < r4);
    let rest = s.changes_since(&cal, limited.revision, None).unwrap().unwrap();
    assert_eq!(rest.changes.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(), vec!["b.ics"]);
    assert_eq!(s.changes_since(&cal, r4 + 1, None).unwrap(), None, "an unknown revision");

    // A home records its calendars too.
    let home = p(&["alice"]);
    let home_changes = s.changes_since(&home, 0, None).unwrap().unwrap();
    assert!(home_changes.changes.iter().any(|c| c.name == "cal" && !c.deleted));

    // A re-created collection is a new one: a new sync id, a fresh history.
    let old_sync = s.node(&cal).unwrap().unwrap().collection().unwrap().sync_id;
    s.delete(&cal, &none(), now()).unwrap();
    assert!(s.changes_since(&cal, 0, None).is_err() || s.changes_since(&cal, 0, None).unwrap().is_none());
    s.create_collection(&cal, true, vec![], vec![], now()).unwrap();
    let node = s.node(&cal).unwrap().unwrap();
    let coll = node.collection().unwrap();
    assert_ne!(coll.sync_id, old_sync);
    assert_eq!(coll.revision, 0);
    assert_eq!(s.changes_since(&cal, r4, None).unwrap(), None, "the old token is unknown");
    assert!(s.changes_since(&cal, 0, None).unwrap().unwrap().changes.is_empty());
    assert_eq!(s.object_by_uid(&cal, "a").unwrap(), None, "indexes went with it");
    let home_after = s.changes_since(&home, 0, None).unwrap().unwrap();
    assert!(home_after.changes.iter().any(|c| c.name == "cal" && !c.deleted), "re-created after its deletion");
}

fn time_range_candidates(make: Factory) {
    let f = alice(make);
    let s = &f.storage;
    let cal = p(&["alice", "cal"]);
    s.put_resource(&cal.child("short.ics"), event("short", entry(vec![occ(t(10), t(11))])), &none(), now()).unwrap();
    s.put_resource(&cal.child("later.ics"), event("later", entry(vec![occ(t(50), t(51))])), &none(), now()).unwrap();
    // Thirty days long: starts well before any short window.
    s.put_resource(&cal.child("long.ics"), event("long", entry(vec![occ(t(-24 * 20), t(24 * 10))])), &none(), now()).unwrap();
    let floating = IndexEntry { floating: true, ..entry(vec![occ(t(9), t(13))]) };
    s.put_resource(&cal.child("floating.ics"), event("floating", floating), &none(), now()).unwrap();
    let always = IndexEntry { always_matches: true, ..entry(vec![]) };
    s.put_resource(&cal.child("todo.ics"), event("todo", always), &none(), now()).unwrap();
    // Three days long: starts more than a day before the window (the
    // lookback of day-long occurrences), within a week.
    s.put_resource(&cal.child("trip.ics"), event("trip", entry(vec![occ(t(-48), t(24))])), &none(), now()).unwrap();

    let window = TimeRange::new(t(10) + Duration::minutes(30), t(12));
    let found = s.time_range_candidates(&cal, &window).unwrap();
    let exact: Vec<(&str, bool)> = found.iter().map(|c| (c.name.as_str(), c.exact)).collect();
    assert_eq!(
        exact,
        vec![("floating.ics", false), ("long.ics", true), ("short.ics", true), ("todo.ics", false), ("trip.ics", true)],
        "candidates by name; floating and always-matching ones are checked by the caller"
    );
    let found = s.time_range_candidates(&cal, &TimeRange::new(t(11), t(12))).unwrap();
    assert!(!found.iter().any(|c| c.name == "short.ics"), "end is exclusive");
    let occurrences = s.occurrences(&cal, &window).unwrap();
    let long = occurrences.iter().find(|o| o.name == "long.ics").expect("long occurrences are found");
    assert_eq!(long.occurrence.range, TimeRange::new(t(-24 * 20), t(24 * 10)));
    assert!(occurrences.iter().find(|o| o.name == "floating.ics").unwrap().approximate);
    assert!(!occurrences.iter().any(|o| o.name == "later.ics"));
    // Each occurrence filed by start says its object's kind and etag, so a
    // query the index decides reads no node.
    let found = s.time_range_candidates(&cal, &window).unwrap();
    let short = found.iter().find(|c| c.name == "short.ics").unwrap();
    let head = short.head.as_ref().expect("a short occurrence is filed with its object's head");
    let node_etag = s.node(&cal.child("short.ics")).unwrap().unwrap().resource().unwrap().etag.clone();
    assert_eq!((head.kind, head.etag.as_str(), head.mentions_declined), (ComponentKind::Event, node_etag.as_str(), false));
    assert!(!occurrences.iter().find(|o| o.name == "short.ics").unwrap().may_be_declined());
    // Bytes that say DECLINED (an answered invitation) are flagged for
    // free-busy to read; a new version gets a new etag in the index.
    let mut declined = event("short", entry(vec![occ(t(10), t(11))]));
    declined.bytes = b"BEGIN:VCALENDAR\r\nUID:short\r\nATTENDEE;PARTSTAT=DECLINED:mailto:a@x\r\nEND:VCALENDAR\r\n".to_vec();
    let put = s.put_resource(&cal.child("short.ics"), declined, &none(), now()).unwrap();
    let again = s.occurrences(&cal, &window).unwrap().into_iter().find(|o| o.name == "short.ics").unwrap();
    assert!(again.may_be_declined());
    assert_eq!(again.head.unwrap().etag, put.etag);
    // Far from everything: only the long one and the always-matching one.
    assert!(s.time_range_candidates(&cal, &TimeRange::new(t(23), t(30))).unwrap().iter().any(|c| c.name == "trip.ics"));
    assert!(!s.time_range_candidates(&cal, &TimeRange::new(t(24), t(30))).unwrap().iter().any(|c| c.name == "trip.ics"));
    let far = s.time_range_candidates(&cal, &TimeRange::new(t(24 * 9), t(24 * 9 + 1))).unwrap();
    assert_eq!(names(far.into_iter().map(|c| c.name).collect()), vec!["long.ics", "todo.ics"]);
    // Re-indexing an object replaces its occurrences.
    s.put_resource(&cal.child("short.ics"), event("short", entry(vec![occ(t(60), t(61))])), &none(), now()).unwrap();
    assert!(!s.time_range_candidates(&cal, &window).unwrap().iter().any(|c| c.name == "short.ics"));
    assert!(s.time_range_candidates(&cal, &TimeRange::new(t(60), t(61))).unwrap().iter().any(|c| c.name == "short.ics"));
    s.delete(&cal.child("long.ics"), &none(), now()).unwrap();
    assert!(!s.time_range_candidates(&cal, &window).unwrap().iter().any(|c| c.name == "long.ics"));

    // Many objects (the index keeps occurrences some tens to a record):
    // every range still finds exactly the objects it overlaps, as they
    // come, change and go, and a deleted calendar takes them along.
    let busy = p(&["alice", "busy"]);
    s.create_collection(&busy, true, vec![], vec![], now()).unwrap();
    let hours = |i: i64| (i * 7 % 200, 1 + i % 3);
    for i in 0..150 {
        let (at, len) = hours(i);
        s.put_resource(&busy.child(&format!("e{i:03}.ics")), event(&format!("u{i}"), entry(vec![occ(t(at), t(at + len)), occ(t(at + 300), t(at + 301))])), &none(), now()).unwrap();
    }
    for i in (0..150).step_by(4) {
        s.delete(&busy.child(&format!("e{i:03}.ics")), &none(), now()).unwrap();
    }
    for i in (1..150).step_by(5) {
        s.put_resource(&busy.child(&format!("e{i:03}.ics")), event(&format!("u{i}"), entry(vec![occ(t(400 + i), t(401 + i))])), &none(), now()).unwrap();
    }
    let expected = |range: &TimeRange| -> Vec<String> {
        (0..150)
            // Every fourth deleted, every fifth from the second (re)written.
            .filter(|i| i % 4 != 0 || i % 5 == 1)
            .filter(|i| {
                let (at, len) = hours(*i);
                let spans = if i % 5 == 1 { vec![(400 + i, 401 + i)] } else { vec![(at, at + len), (at + 300, at + 301)] };
                spans.into_iter().any(|(a, b)| TimeRange::new(t(a), t(b)).overlaps(range))
            })
            .map(|i| format!("e{i:03}.ics"))
            .collect()
    };
    for (a, b) in [(0, 1), (5, 30), (0, 200), (150, 320), (299, 302), (400, 560), (-50, 700)] {
        let range = TimeRange::new(t(a), t(b));
        let found: Vec<String> = s.time_range_candidates(&busy, &range).unwrap().into_iter().map(|c| c.name).collect();
        assert_eq!(found, expected(&range), "{a}..{b} hours");
    }
    s.delete(&busy, &none(), now()).unwrap();
    s.create_collection(&busy, true, vec![], vec![], now()).unwrap();
    assert!(s.occurrences(&busy, &TimeRange::new(t(-50), t(700))).unwrap().is_empty(), "the deleted calendar's occurrences went with it");
    let report = s.check_tree(false).unwrap();
    assert!(!report.problems.iter().any(|p| p.what.contains("alice/busy")), "{:?}", report.problems);
}

fn horizon_extension(make: Factory) {
    let f = alice(make);
    let s = &f.storage;
    let cal = p(&["alice", "cal"]);
    let horizon = s.node(&cal).unwrap().unwrap().collection().unwrap().horizon;
    let weekly = |until: DateTime<Utc>| {
        let mut occurrences = Vec::new();
        let mut at = t(10);
        while at < until {
            occurrences.push(occ(at, at + Duration::hours(1)));
            at += Duration::weeks(1);
        }
        IndexEntry { occurrences, unbounded: true, floating: false, always_matches: false }
    };
    let first_horizon = DateTime::from_timestamp(horizon, 0).unwrap();
    s.put_resource(&cal.child("weekly.ics"), event("weekly", weekly(first_horizon)), &none(), now()).unwrap();
    s.put_resource(&cal.child("once.ics"), event("once", entry(vec![occ(t(10), t(11))])), &none(), now()).unwrap();
    let beyond = first_horizon + Duration::days(100);
    let probe = TimeRange::new(beyond - Duration::days(7), beyond);
    assert!(s.occurrences(&cal, &probe).unwrap().is_empty(), "not indexed past the horizon yet");

    let calls = std::sync::Mutex::new(Vec::new());
    let reindex = |bytes: &[u8], until: DateTime<Utc>| {
        calls.lock().unwrap().push(String::from_utf8_lossy(bytes).to_string());
        Some(weekly(until))
    };
    s.extend_horizon(&cal, first_horizon - Duration::days(1), &reindex).unwrap();
    assert!(calls.lock().unwrap().is_empty(), "within the horizon nothing is re-indexed");
    s.extend_horizon(&cal, beyond, &reindex).unwrap();
    assert_eq!(calls.lock().unwrap().len(), 1, "only unbounded series are re-indexed");
    assert!(calls.lock().unwrap()[0].contains("UID:weekly"));
    let new_horizon = s.node(&cal).unwrap().unwrap().collection().unwrap().horizon;
    assert!(new_horizon >= beyond.timestamp());
    let found = s.occurrences(&cal, &probe).unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].name, "weekly.ics");
    s.extend_horizon(&cal, beyond, &reindex).unwrap();
    assert_eq!(calls.lock().unwrap().len(), 1, "a second call within the new horizon does nothing");
}

fn copy_and_move(make: Factory) {
    let f = alice(make);
    let s = &f.storage;
    let cal = p(&["alice", "cal"]);
    let files = p(&["alice", "files"]);
    s.put_resource(&files.child("a"), plain("a"), &none(), now()).unwrap();
    s.put_resource(&files.child("b"), plain("b"), &none(), now()).unwrap();
    s.patch_props(&files.child("a"), &[PropChange::Set("{x:}p".into(), "<p/>".into())], now()).unwrap();

    assert!(!s.copy(&files.child("a"), &files.child("c"), false, true, false, now()).unwrap());
    assert_eq!(s.content(&files.child("c")).unwrap().as_deref(), Some(&b"a"[..]));
    assert_eq!(s.prop(&files.child("c"), "{x:}p").unwrap().as_deref(), Some("<p/>"), "properties are copied");
    assert!(matches!(s.copy(&files.child("a"), &files.child("b"), false, true, false, now()), Err(StorageError::EtagMismatch)));
    assert_eq!(s.content(&files.child("b")).unwrap().as_deref(), Some(&b"b"[..]), "no overwrite, no change");
    assert!(s.copy(&files.child("a"), &files.child("b"), true, true, false, now()).unwrap(), "replaced");
    assert_eq!(s.content(&files.child("b")).unwrap().as_deref(), Some(&b"a"[..]));
    // Move: the source goes.
    assert!(!s.copy(&files.child("b"), &files.child("m"), false, true, true, now()).unwrap());
    assert!(s.node(&files.child("b")).unwrap().is_none());
    assert_eq!(s.content(&files.child("m")).unwrap().as_deref(), Some(&b"a"[..]));
    assert!(matches!(s.copy(&files.child("gone"), &files.child("x"), true, true, false, now()), Err(StorageError::NotFound)));
    assert!(matches!(s.copy(&files.child("a"), &p(&["alice", "nope", "x"]), true, true, false, now()), Err(StorageError::ParentMissing)));

    // A deep copy of a calendar copies its objects with their indexes.
    s.put_resource(&cal.child("e.ics"), event("e", entry(vec![occ(t(1), t(2))])), &none(), now()).unwrap();
    s.copy(&cal, &p(&["alice", "cal-copy"]), false, true, false, now()).unwrap();
    let copy = p(&["alice", "cal-copy"]);
    assert!(s.node(&copy).unwrap().unwrap().is_calendar());
    assert_eq!(s.object_by_uid(&copy, "e").unwrap().as_deref(), Some("e.ics"));
    assert_eq!(s.time_range_candidates(&copy, &TimeRange::new(t(1), t(2))).unwrap().len(), 1);
    assert_ne!(
        s.node(&copy).unwrap().unwrap().collection().unwrap().sync_id,
        s.node(&cal).unwrap().unwrap().collection().unwrap().sync_id
    );
    // Into a calendar whose UID is taken by another object: refused.
    s.put_resource(&copy.child("other.ics"), event("o", entry(vec![])), &none(), now()).unwrap();
    assert!(matches!(s.copy(&copy.child("other.ics"), &cal.child("x.ics"), false, true, false, now()), Ok(false)));
    assert!(matches!(s.copy(&copy.child("e.ics"), &cal.child("y.ics"), false, true, false, now()), Err(StorageError::UidConflict { .. })));
    // A plain resource into a calendar: wrong kind.
    assert!(matches!(s.copy(&files.child("a"), &cal.child("z"), false, true, false, now()), Err(StorageError::WrongCollectionKind)));
    // Moving a calendar object out of the calendar moves its UID too.
    s.copy(&cal.child("x.ics"), &copy.child("x2.ics"), false, true, true, now()).unwrap_err();
    s.copy(&cal.child("e.ics"), &p(&["alice", "cal2-e.ics"]), false, true, true, now()).unwrap();
    assert_eq!(s.object_by_uid(&cal, "e").unwrap(), None);
}

fn dead_properties(make: Factory) {
    let f = alice(make);
    let s = &f.storage;
    let files = p(&["alice", "files"]);
    s.create_collection(&files.child("d"), false, vec![], vec![("{DAV:}displayname".into(), "D".into())], now()).unwrap();
    let d = files.child("d");
    assert_eq!(s.prop(&d, "{DAV:}displayname").unwrap().as_deref(), Some("D"));
    s.patch_props(&d, &[PropChange::Set("{x:}a".into(), "<a>1</a>".into()), PropChange::Set("{x:}b".into(), "2".into())], now()).unwrap();
    s.patch_props(&d, &[PropChange::Remove("{DAV:}displayname".into()), PropChange::Set("{x:}a".into(), "3".into())], now()).unwrap();
    let mut props = s.props(&d).unwrap();
    props.sort();
    assert_eq!(props, vec![("{x:}a".to_string(), "3".to_string()), ("{x:}b".to_string(), "2".to_string())]);
    assert!(matches!(s.patch_props(&files.child("nope"), &[PropChange::Remove("{x:}a".into())], now()), Err(StorageError::NotFound)));
    s.delete(&d, &none(), now()).unwrap();
    s.create_collection(&d, false, vec![], vec![], now()).unwrap();
    assert!(s.props(&d).unwrap().is_empty(), "properties go with their node");
}

fn domain_records(make: Factory) {
    let fresh = make();
    let s = &fresh.storage;
    let key = |k: &str| RecordKey::new("table", k);
    s.apply(
        RecordBatch {
            records: vec![(key("b/2"), Some(b"2".to_vec())), (key("a/1"), Some(b"1".to_vec())), (key("b/1"), Some(b"3".to_vec()))],
            object: None,
        },
        now(),
    )
    .unwrap();
    s.apply(RecordBatch { records: vec![(RecordKey::new("other", "b/9"), Some(vec![]))], object: None }, now()).unwrap();
    let b: Vec<String> = s.records("table", "b/").unwrap().into_iter().map(|(k, _)| k).collect();
    assert_eq!(b, vec!["b/1", "b/2"], "prefix scans in key order, within one table");
    assert_eq!(s.records("table", "").unwrap().len(), 3);
    s.apply(RecordBatch { records: vec![(key("b/1"), None)], object: None }, now()).unwrap();
    assert_eq!(s.record(&key("b/1")).unwrap(), None);
    assert_eq!(s.record(&key("b/2")).unwrap().as_deref(), Some(&b"2"[..]));
}

/// `records_between` (audit queries, pruning, the webhook queue) and the
/// user writes that carry domain records (an admin change and its audit
/// entry).
fn range_scans_and_user_changes_with_records(make: Factory) {
    let fresh = make();
    let s = &fresh.storage;
    let key = |k: &str| RecordKey::new("table", k);
    let records = ["a/1", "b/1", "b/2", "b/3", "c/1"].iter().map(|k| (key(k), Some(k.as_bytes().to_vec()))).collect();
    s.apply(RecordBatch { records, object: None }, now()).unwrap();
    s.apply(RecordBatch { records: vec![(RecordKey::new("other", "b/15"), Some(vec![]))], object: None }, now()).unwrap();
    let keys = |from: &str, to: &str, limit: usize| -> Vec<String> {
        s.records_between("table", from, to, limit).unwrap().into_iter().map(|(k, _)| k).collect()
    };
    assert_eq!(keys("b/", "b0", 10), ["b/1", "b/2", "b/3"], "from inclusive, to exclusive, one table");
    assert_eq!(keys("b/2", "c", 10), ["b/2", "b/3"]);
    assert_eq!(keys("", "~", 2), ["a/1", "b/1"], "at most `limit`, from the front");
    assert!(keys("c", "b", 10).is_empty());

    let audit = |name: &str| vec![(RecordKey::new("audit", name), Some(b"entry".to_vec()))];
    s.put_user_with(&user("carol"), audit("added"), now()).unwrap();
    assert!(s.user("carol").unwrap().is_some());
    assert!(s.record(&RecordKey::new("audit", "added")).unwrap().is_some());
    assert!(s.remove_user_with("carol", audit("removed"), now()).unwrap());
    assert!(s.user("carol").unwrap().is_none());
    assert!(s.record(&RecordKey::new("audit", "removed")).unwrap().is_some());
    assert!(!s.remove_user_with("nobody", audit("nobody"), now()).unwrap());
    assert!(s.record(&RecordKey::new("audit", "nobody")).unwrap().is_none(), "nothing written for no user");
}

fn holds_under_concurrency(make: Factory) {
    let f = make();
    let s = f.storage.clone();
    let text = r#"
[[coach]]
user = "alice"
timezone = "Europe/Berlin"
working_hours = { mon = ["09:00-17:00"], tue = ["09:00-17:00"] }
[[coach.event_type]]
slug = "group"
title = "Group"
duration = "60m"
seats = 3
min_notice = "0m"
"#;
    let config = Config::parse(text, Path::new("contract.toml")).unwrap_or_else(|e| panic!("{e}"));
    let clock: Arc<dyn Clock> = Arc::new(ManualClock::new(t(-24 * 3)));
    s.put_user(&user("alice")).unwrap();
    let service = Arc::new(BookingService::new(s.clone(), clock, config.coaches.clone(), "http://localhost".into()).unwrap());
    let slot = t(9) - Duration::hours(2); // Monday 09:00 in Berlin
    const THREADS: usize = 8;
    let barrier = Arc::new(Barrier::new(THREADS));
    let handles: Vec<_> = (0..THREADS)
        .map(|i| {
            let service = service.clone();
            let barrier = barrier.clone();
            std::thread::spawn(move || {
                let client = HoldClient::new(format!("10.0.0.{i}").parse().unwrap(), Some(format!("s{i}")));
                barrier.wait();
                service.hold("alice", "group", slot, None, &client)
            })
        })
        .collect();
    let results: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    let won = results.iter().filter(|r| r.is_ok()).count();
    assert_eq!(won, 3, "exactly `seats` holds: {:?}", results.iter().map(|r| r.as_ref().err().map(|e| e.to_string())).collect::<Vec<_>>());
    assert!(results.iter().filter_map(|r| r.as_ref().err()).all(|e| matches!(e, BookingError::SlotUnavailable)));
    assert_eq!(s.records("hold", "").unwrap().len(), 3, "the store holds exactly the winners");
}

fn outbox_entry(i: usize, due: DateTime<Utc>) -> OutboxEntry {
    OutboxEntry {
        id: format!("id{i}"),
        kind: MessageKind::Student,
        booking_id: "b".into(),
        sequence: 0,
        session_start: due,
        created: now(),
        due,
        envelope_from: "a@example.org".into(),
        to: "b@example.org".into(),
        subject: format!("m{i}"),
        attempts: 0,
        last_error: None,
        bytes: vec![],
    }
}

fn outbox_order_and_dequeue(make: Factory) {
    let fresh = make();
    let s = &fresh.storage;
    let store = OutboxStore::new(s.as_ref());
    // Due times across digit-count and sign boundaries sort by time.
    let dues = [t(5), t(-24 * 365 * 60), t(0) + Duration::microseconds(1), t(0), t(1_000_000)];
    let writes = dues.iter().enumerate().map(|(i, due)| OutboxStore::enqueue(&outbox_entry(i, *due))).collect();
    s.apply(RecordBatch { records: writes, object: None }, now()).unwrap();
    let order: Vec<String> = store.pending().unwrap().into_iter().map(|e| e.subject).collect();
    assert_eq!(order, vec!["m1", "m3", "m2", "m0", "m4"]);
    // Dequeue: each entry goes exactly once, even with two takers.
    let entries = store.pending().unwrap();
    let taken = std::sync::atomic::AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for _ in 0..2 {
            scope.spawn(|| {
                for e in &entries {
                    if let Some(got) = store.take(e).unwrap() {
                        assert_eq!(&got, e);
                        taken.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    }
                }
            });
        }
    });
    assert_eq!(taken.into_inner(), dues.len(), "every entry is taken once");
    assert!(store.pending().unwrap().is_empty());
}

fn user_removal(make: Factory) {
    let f = alice(make);
    let s = &f.storage;
    s.put_user(&user("bob")).unwrap();
    s.create_collection(&p(&["bob"]), false, vec![], vec![], now()).unwrap();
    s.put_resource(&p(&["bob", "x"]), plain("bob's"), &none(), now()).unwrap();
    let cal = p(&["alice", "cal"]);
    s.put_resource(&cal.child("e.ics"), event("e", entry(vec![occ(t(1), t(2))])), &none(), now()).unwrap();
    s.put_resource(&p(&["alice", "files", "f"]), plain("f"), &none(), now()).unwrap();
    s.patch_props(&cal, &[PropChange::Set("{x:}a".into(), "1".into())], now()).unwrap();
    assert!(s.remove_user("alice").unwrap());
    assert!(!s.remove_user("alice").unwrap(), "gone already");
    assert!(s.user("alice").unwrap().is_none());
    assert!(s.node(&p(&["alice"])).unwrap().is_none());
    assert!(s.node(&cal).unwrap().is_none());
    assert!(s.content(&p(&["alice", "files", "f"])).unwrap().is_none());
    assert!(s.props(&cal).unwrap().is_empty());
    assert_eq!(s.object_by_uid(&cal, "e").unwrap(), None);
    assert!(s.time_range_candidates(&cal, &TimeRange::new(t(1), t(2))).unwrap().is_empty());
    assert_eq!(s.usage("alice").unwrap(), 0);
    assert_eq!(s.users().unwrap().into_iter().map(|u| u.name).collect::<Vec<_>>(), vec!["bob"]);
    assert_eq!(s.content(&p(&["bob", "x"])).unwrap().as_deref(), Some(&b"bob's"[..]), "others keep theirs");
}

fn usage_equals_recount(make: Factory) {
    let f = alice(make);
    let s = &f.storage;
    let cal = p(&["alice", "cal"]);
    let check = |what: &str| assert_eq!(s.usage("alice").unwrap(), s.recount_usage("alice").unwrap(), "after {what}");
    check("making collections");
    s.put_resource(&cal.child("e.ics"), event("e", entry(vec![occ(t(1), t(2)), occ(t(-24 * 30), t(0))])), &none(), now()).unwrap();
    check("a put");
    s.put_resource(&cal.child("e.ics"), event("e2", entry(vec![occ(t(3), t(4))])), &none(), now()).unwrap();
    check("a replacing put");
    s.patch_props(&cal, &[PropChange::Set("{x:}a".into(), "z".repeat(200))], now()).unwrap();
    check("a proppatch");
    s.copy(&cal, &p(&["alice", "c2"]), false, true, false, now()).unwrap();
    check("a copy");
    s.copy(&p(&["alice", "c2"]), &p(&["alice", "c3"]), false, true, true, now()).unwrap();
    check("a move");
    s.apply(RecordBatch { records: vec![(RecordKey::new("booking", "x"), Some(vec![1; 100]))], object: Some(ObjectChange::Delete { path: cal.child("e.ics"), cond: none() }) }, now()).unwrap();
    check("a batch with records");
    s.delete(&p(&["alice", "c3"]), &none(), now()).unwrap();
    check("a delete");
    assert!(s.usage("alice").unwrap() > 0);
}

/// What `for_each_member` lists, as (name, etag or collection kind).
fn listed(s: &dyn Storage, path: &StorePath) -> Vec<(String, String)> {
    let mut out = Vec::new();
    s.for_each_member(path, &mut |name, head| {
        out.push((name.to_string(), format!("{head:?}")));
        Ok(())
    })
    .unwrap();
    out
}

/// The members as their nodes say, in the same form.
fn children_of(s: &dyn Storage, path: &StorePath) -> Vec<(String, String)> {
    s.children(path)
        .unwrap()
        .into_iter()
        .map(|(name, node)| (name, format!("{:?}", slotdav::storage::MemberHead::of(&node))))
        .collect()
}

/// A listing (read from its pages of members) says exactly what the
/// members' own records say after puts, overwrites, deletes, copies and
/// moves — in a calendar big enough to take many pages, and in a home
/// that holds collections — and the checker finds nothing to repair.
fn listings_follow_members(make: Factory) {
    let f = alice(make);
    let s = &*f.storage;
    let files = p(&["alice", "files"]);
    let cal = p(&["alice", "cal"]);
    let home = p(&["alice"]);
    // Names in a scrambled order, so pages split in the middle too.
    let names: Vec<String> = (0..700).map(|i| format!("{:03}-{i}.ics", (i * 379) % 1000)).collect();
    for n in &names {
        s.put_resource(&files.child(n), plain(n), &none(), now()).unwrap();
    }
    for i in 0..40 {
        s.put_resource(&cal.child(&format!("e{i}.ics")), event(&format!("e{i}"), entry(vec![occ(t(1), t(2))])), &none(), now()).unwrap();
    }
    assert_eq!(listed(s, &files), children_of(s, &files));
    assert_eq!(listed(s, &files).len(), 700);
    for n in names.iter().step_by(3) {
        s.put_resource(&files.child(n), plain("changed"), &none(), now()).unwrap();
    }
    for n in names.iter().skip(1).step_by(2) {
        s.delete(&files.child(n), &none(), now()).unwrap();
    }
    assert_eq!(listed(s, &files), children_of(s, &files), "after overwrites and deletes");
    s.copy(&files, &p(&["alice", "files-copy"]), false, true, false, now()).unwrap();
    s.copy(&cal.child("e0.ics"), &p(&["alice", "cal2"]).child("moved.ics"), false, true, true, now()).unwrap_err();
    s.create_collection(&p(&["alice", "cal2"]), true, vec![], vec![], now()).unwrap();
    s.copy(&cal.child("e0.ics"), &p(&["alice", "cal2"]).child("moved.ics"), false, true, true, now()).unwrap();
    for c in [&files, &p(&["alice", "files-copy"]), &cal, &p(&["alice", "cal2"]), &home] {
        assert_eq!(listed(s, c), children_of(s, c), "{c:?}");
    }
    assert_eq!(listed(s, &cal).len(), 39, "the moved event left its calendar's listing");
    assert!(listed(s, &home).iter().any(|(n, h)| n == "cal" && h.contains("calendar: true")));
    for n in &names {
        let _ = s.delete(&files.child(n), &none(), now());
    }
    assert!(listed(s, &files).is_empty(), "an emptied collection lists nothing");
    s.put_resource(&files.child("again.ics"), plain("again"), &none(), now()).unwrap();
    assert_eq!(listed(s, &files), children_of(s, &files));
    // (The fake events' bytes are no calendar: the checker says so, and
    // only that.)
    let report = s.check_tree(false).unwrap();
    let listing: Vec<_> = report.problems.iter().filter(|p| p.check == "listing-pages").collect();
    assert!(listing.is_empty(), "{listing:?}");
}

/// A store with a daily series of an hour and a three-day event, written
/// as this build writes them; returns the objects' etags. The caller then
/// turns it into what a store of format 1 from before index heads held
/// ([`format_1_spans`]).
fn store_from_before_heads(s: &dyn Storage) -> Vec<String> {
    let cal = p(&["alice", "cal"]);
    s.put_user(&user("alice")).unwrap();
    s.create_collection(&p(&["alice"]), false, vec![], vec![], now()).unwrap();
    s.create_collection(&cal, true, vec![], vec![], now()).unwrap();
    let horizon = DateTime::from_timestamp(s.node(&cal).unwrap().unwrap().collection().unwrap().horizon, 0).unwrap();
    let mut etags = Vec::new();
    for (name, times) in [
        ("daily", "DTSTART:20260504T100000Z\r\nDTEND:20260504T110000Z\r\nRRULE:FREQ=DAILY;COUNT=3"),
        ("trip", "DTSTART:20260504T100000Z\r\nDTEND:20260507T100000Z"),
    ] {
        let text = format!(
            "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\nBEGIN:VEVENT\r\nUID:{name}\r\nDTSTAMP:20260101T000000Z\r\n{times}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
        );
        let index = slotdav::ical::CalendarObject::parse(text.as_bytes()).unwrap().index_entry(horizon);
        let write = ResourceWrite {
            bytes: text.into_bytes(),
            content_type: "text/calendar".into(),
            calendar: Some(CalendarWrite { uid: name.into(), kind: ComponentKind::Event, index }),
        };
        etags.push(s.put_resource(&cal.child(&format!("{name}.ics")), write, &none(), now()).unwrap().etag);
    }
    etags
}

/// The occurrence records a store of format 1 from before index heads
/// held for [`store_from_before_heads`]: one per occurrence, every one up
/// to a week under `S` (key: tag, calendar, `0x00`, the start as a biased
/// i64 BE, the name), values of ten bytes (end as i64 BE, busy kind 1,
/// flags 0), stored as records of their own; and the bytes they took,
/// which the owner's usage counted.
fn format_1_spans() -> (Vec<(Vec<u8>, Vec<u8>)>, u64) {
    let hour = |h: i64| t(h).timestamp();
    let mut records = Vec::new();
    for (name, start, end) in [("daily.ics", 10, 11), ("daily.ics", 34, 35), ("daily.ics", 58, 59), ("trip.ics", 10, 82)] {
        let mut k = b"Salice/cal\0".to_vec();
        k.extend_from_slice(&((hour(start) as u64) ^ (1 << 63)).to_be_bytes());
        k.extend_from_slice(name.as_bytes());
        let mut v = hour(end).to_be_bytes().to_vec();
        v.extend_from_slice(&[1, 0]);
        records.push((k, v));
    }
    let bytes = records.iter().map(|(k, v)| (k.len() + v.len()) as u64).sum();
    (records, bytes)
}

/// The sled database of a store just dropped, opened behind its back:
/// once sled's background threads of the dropped store have let go of its
/// lock (they may take a moment on a loaded machine).
fn open_raw(dir: &Path) -> sled::Db {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        match sled::open(dir.join("db")) {
            Ok(db) => return db,
            Err(e) if e.to_string().contains("could not acquire lock") && std::time::Instant::now() < deadline => {
                std::thread::sleep(std::time::Duration::from_millis(50));
            }
            Err(e) => panic!("{e}"),
        }
    }
}

/// The store of [`store_from_before_heads`] after its upgrade: every
/// occurrence has its head again, the three-day event is found from two
/// days into it, and the checker finds the index as the bytes say.
fn assert_upgraded(s: &dyn Storage, etags: &[String]) {
    let cal = p(&["alice", "cal"]);
    let occurrences = s.occurrences(&cal, &TimeRange::new(t(0), t(24 * 7))).unwrap();
    assert_eq!(occurrences.len(), 4, "{occurrences:?}");
    for o in &occurrences {
        let head = o.head.as_ref().expect("the head is filed again at open");
        let etag = if o.name == "daily.ics" { &etags[0] } else { &etags[1] };
        assert_eq!((head.kind, head.etag.as_str(), head.mentions_declined), (ComponentKind::Event, etag.as_str(), false));
    }
    let later = s.time_range_candidates(&cal, &TimeRange::new(t(24 * 2 + 12), t(24 * 2 + 13))).unwrap();
    assert_eq!(later.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(), vec!["trip.ics"]);
    let report = s.check_tree(false).unwrap();
    assert!(report.problems.is_empty(), "{:?}", report.problems);
}

/// A sled store of format 1 written before index heads (every occurrence
/// up to a week a record of its own under `S`, its values ending after
/// the flags, the store unmarked) gets its occurrences into pages and its
/// heads at its next open.
#[test]
fn a_sled_store_of_format_1_from_before_index_heads_is_upgraded_at_its_next_open() {
    let dir = tempfile::tempdir().unwrap();
    let etags = store_from_before_heads(&SledStorage::open(dir.path(), false, None).unwrap());
    {
        let db = open_raw(dir.path());
        let tree = db.open_tree("slotdav").unwrap();
        let pages: Vec<_> = tree.scan_prefix(b"T").map(|kv| kv.unwrap().0).collect();
        assert_eq!(pages.len(), 2, "a page of day-long and one of week-long occurrences");
        for k in pages {
            tree.remove(k).unwrap();
        }
        let (records, bytes) = format_1_spans();
        for (k, v) in records {
            tree.insert(k, v).unwrap();
        }
        let used = u64::from_be_bytes(tree.get(b"Qalice").unwrap().unwrap().as_ref().try_into().unwrap());
        tree.insert(b"Qalice", &(used + bytes).to_be_bytes()).unwrap();
        tree.insert(b"Mformat", &1u32.to_be_bytes()).unwrap();
        tree.remove(b"Mindex-heads").unwrap();
        db.flush().unwrap();
    }
    assert_upgraded(&SledStorage::open(dir.path(), false, None).unwrap(), &etags);
    let mine = format!("{}.format-1.", dir.path().file_name().unwrap().to_string_lossy());
    let backups: Vec<_> = std::fs::read_dir(dir.path().parent().unwrap())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with(&mine))
        .collect();
    assert!(!backups.is_empty(), "a backup was taken before the upgrade");
    for b in backups {
        let _ = std::fs::remove_file(b.path());
    }
}

/// A page of occurrences cut short behind the store's back is reported
/// by the checker (and the other pages still read), and a repair files
/// the calendar's occurrences again from the objects' bytes.
#[test]
fn a_broken_occurrence_page_is_reported_and_a_repair_files_its_occurrences_again() {
    let dir = tempfile::tempdir().unwrap();
    let etags = store_from_before_heads(&SledStorage::open(dir.path(), false, None).unwrap());
    {
        let db = open_raw(dir.path());
        let tree = db.open_tree("slotdav").unwrap();
        let first = b"TSalice/cal\0";
        let page = tree.get(first).unwrap().expect("the day-long occurrences' page");
        tree.insert(first, &page[..page.len() - 3]).unwrap();
        db.flush().unwrap();
    }
    let s = SledStorage::open(dir.path(), false, None).unwrap();
    let found = s.check_tree(false).unwrap();
    let broken: Vec<_> = found.problems.iter().filter(|p| p.what.contains("alice/cal: a page of its day-long occurrences is broken")).collect();
    assert_eq!(broken.len(), 1, "{:?}", found.problems);
    assert!(!broken[0].repaired);
    let repaired = s.check_tree(true).unwrap();
    assert!(repaired.problems.iter().all(|p| p.repaired), "{:?}", repaired.problems);
    assert_upgraded(&s, &etags);
}

/// The same upgrade of a store on PostgreSQL, at its next connect.
#[test]
fn a_postgres_store_of_format_1_from_before_index_heads_is_upgraded_at_its_next_connect() {
    if !crate::common::pg::enabled() {
        eprintln!("skipped: set {} to run it", crate::common::pg::SWITCH);
        return;
    }
    let schema = crate::common::pg::TestSchema::create().expect("switch set");
    let etags = store_from_before_heads(&slotdav::storage::PgStorage::connect(&schema.url, 2).unwrap());
    let table = format!("{}.slotdav_records", schema.name);
    let hex = |b: &[u8]| b.iter().map(|x| format!("{x:02x}")).collect::<String>();
    let (records, bytes) = format_1_spans();
    let inserts: String = records
        .iter()
        .map(|(k, v)| format!("INSERT INTO {table} (k, v) VALUES ('\\x{}'::bytea, '\\x{}'::bytea);", hex(k), hex(v)))
        .collect();
    crate::common::pg::admin_exec(format!(
        "DELETE FROM {table} WHERE get_byte(k, 0) = 84; {inserts} \
         UPDATE {table} SET v = int8send(('x' || encode(v, 'hex'))::bit(64)::bigint + {bytes}) WHERE k = convert_to('Qalice', 'UTF8'); \
         UPDATE {table} SET v = '\\x00000001'::bytea WHERE k = convert_to('Mformat', 'UTF8'); \
         DELETE FROM {table} WHERE k = convert_to('Mindex-heads', 'UTF8');"
    ));
    assert_upgraded(&slotdav::storage::PgStorage::connect(&schema.url, 2).unwrap(), &etags);
}

/// Writers on many threads at once (PostgreSQL runs them in shared
/// transactions, each under a savepoint: `storage::postgres::group`): every
/// write that succeeds is there with its UID and occurrence indexed, every
/// refused one (a UID already taken) leaves nothing, each gets a revision
/// of its own, and the usage count stays exact. Where the backend counts
/// its commits, the writes shared them.
fn concurrent_writes_stand_or_fall_alone(make: Factory) {
    const THREADS: usize = 16;
    const EACH: usize = 8;
    let f = alice(make);
    let s = &f.storage;
    let cal = p(&["alice", "cal"]);
    let revision = |s: &Arc<dyn Storage>| s.node(&cal).unwrap().unwrap().collection().unwrap().revision;
    let r0 = revision(s);
    let before = s.flush_stats();
    let barrier = Barrier::new(THREADS);
    let hour = |i: usize, j: usize| t((i * EACH + j) as i64);
    std::thread::scope(|scope| {
        for i in 0..THREADS {
            let (s, cal, barrier) = (s.clone(), cal.clone(), &barrier);
            scope.spawn(move || {
                barrier.wait();
                for j in 0..EACH {
                    let uid = format!("u{i}-{j}");
                    let at = hour(i, j);
                    let write = || event(&uid, entry(vec![occ(at, at + Duration::minutes(30))]));
                    s.put_resource(&cal.child(&format!("{uid}.ics")), write(), &none(), now()).expect("a new UID");
                    match s.put_resource(&cal.child(&format!("dup-{uid}.ics")), write(), &none(), now()) {
                        Err(StorageError::UidConflict { .. }) => {}
                        other => panic!("a taken UID must be refused: {other:?}"),
                    }
                }
            });
        }
    });
    let names: Vec<String> = s.children(&cal).unwrap().into_iter().map(|(name, _)| name).collect();
    assert_eq!(names.len(), THREADS * EACH, "every accepted write and none of the refused: {names:?}");
    for i in 0..THREADS {
        for j in 0..EACH {
            let uid = format!("u{i}-{j}");
            assert_eq!(s.object_by_uid(&cal, &uid).unwrap(), Some(format!("{uid}.ics")));
            let found: Vec<String> = s.time_range_candidates(&cal, &TimeRange::new(hour(i, j), hour(i, j) + Duration::hours(1))).unwrap().into_iter().map(|c| c.name).collect();
            assert_eq!(found, vec![format!("{uid}.ics")]);
        }
    }
    let changes = s.changes_since(&cal, r0, None).unwrap().unwrap();
    assert_eq!(changes.changes.len(), THREADS * EACH);
    assert_eq!(changes.revision, revision(s));
    assert!(changes.changes.iter().all(|c| !c.deleted && !c.name.starts_with("dup-")));
    assert_eq!(s.usage("alice").unwrap(), s.recount_usage("alice").unwrap());
    let after = s.flush_stats();
    let (commits, writes) = (after.flushes - before.flushes, after.waiters - before.waiters);
    if writes > 0 {
        assert!(commits < writes, "{writes} concurrent writes took {commits} commits");
    }
}
