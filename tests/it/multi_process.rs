//! Several processes, one store (issue 10 §3, §5): the storage contract
//! that makes them one server — exclusive sections, claims of due queue
//! entries, job leases — checked on every backend this build has, and
//! `slotdav storage copy`, a whole store into an empty one, checked over
//! HTTP on the copy (bytes, dead properties, sync tokens, records).
//!
//! The checks of two real `slotdav serve` processes on one database need
//! PostgreSQL: they run when `SLOTDAV_TEST_DATABASE_URL` is set and say
//! why they skip otherwise.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use chrono::{TimeZone, Utc};
use slotdav::storage::lease::Claim;
use slotdav::storage::{RecordBatch, RecordKey, SledStorage, Storage};

use crate::common::*;

const EVENT: &str = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//client//EN\r\nBEGIN:VEVENT\r\nUID:copy-1\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20270105T100000Z\r\nDTEND:20270105T110000Z\r\nSUMMARY:Kept\\, byte for byte \u{1f3bb}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
const LATER: &str = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//client//EN\r\nBEGIN:VEVENT\r\nUID:copy-2\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20270106T100000Z\r\nDTEND:20270106T110000Z\r\nSUMMARY:After the copy\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";

fn sled_store() -> (tempfile::TempDir, Arc<dyn Storage>) {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn Storage> = Arc::new(SledStorage::open(dir.path(), true, None).unwrap());
    (dir, store)
}

fn at(minute: u32) -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2030, 1, 1, 12, minute, 0).unwrap()
}

fn queue(store: &dyn Storage, keys: &[&str]) {
    let records = keys.iter().map(|k| (RecordKey::new("outbox", *k), Some(k.as_bytes().to_vec()))).collect();
    store.apply(RecordBatch { records, object: None }, at(0)).unwrap();
}

fn keys(claimed: &[(String, Vec<u8>)]) -> Vec<&str> {
    claimed.iter().map(|(k, _)| k.as_str()).collect()
}

/// Two holders (two processes) claiming one queue: each due entry goes to
/// one of them; an entry leaves with its lease; a dead holder's lease runs
/// out and the entry is claimed again.
fn claims_share_a_queue_without_overlap(store: &dyn Storage) {
    queue(store, &["a/1", "b/2", "c/3", "z/9"]);
    let first = store.claim_due(&Claim { table: "outbox", before: "d", holder: "process-1", now: at(0), until: at(10), limit: 2 }).unwrap();
    assert_eq!(keys(&first), ["a/1", "b/2"], "the earliest due first, at most the limit");
    let second = store.claim_due(&Claim { table: "outbox", before: "d", holder: "process-2", now: at(0), until: at(10), limit: 10 }).unwrap();
    assert_eq!(keys(&second), ["c/3"], "what process 1 holds is skipped; z/9 is not due");
    let again = store.claim_due(&Claim { table: "outbox", before: "d", holder: "process-2", now: at(1), until: at(11), limit: 10 }).unwrap();
    assert_eq!(keys(&again), ["c/3"], "a holder's own claim is renewed, the other's is not taken");

    // Process 1 sends a/1: the entry and its lease leave together.
    store
        .apply(RecordBatch { records: vec![slotdav::storage::lease::release("outbox", "a/1"), (RecordKey::new("outbox", "a/1"), None)], object: None }, at(1))
        .unwrap();
    // Process 1 dies holding b/2: after its lease runs out, process 2 gets it.
    let before_expiry = store.claim_due(&Claim { table: "outbox", before: "d", holder: "process-2", now: at(9), until: at(19), limit: 10 }).unwrap();
    assert_eq!(keys(&before_expiry), ["c/3"], "b/2 is still process 1's");
    let after = store.claim_due(&Claim { table: "outbox", before: "d", holder: "process-2", now: at(10), until: at(20), limit: 10 }).unwrap();
    assert_eq!(keys(&after), ["b/2", "c/3"], "an expired lease is free; the holder's own leases are renewed");
    // A lease of an entry that left without releasing it is cleaned up once expired.
    store.apply(RecordBatch { records: vec![(RecordKey::new("outbox", "c/3"), None)], object: None }, at(11)).unwrap();
    store.claim_due(&Claim { table: "outbox", before: "d", holder: "process-1", now: at(30), until: at(40), limit: 10 }).unwrap();
    let leases: Vec<String> = store.records("lease", "outbox/").unwrap().into_iter().map(|(k, _)| k).collect();
    assert_eq!(leases, ["outbox/b/2"], "c/3's lease went with the expiry, b/2 is claimed again");
}

/// A periodic job runs once per lease among all holders.
fn a_job_runs_once_per_interval(store: &dyn Storage) {
    assert!(store.take_job("minute-sweep", "process-1", at(0), at(1)).unwrap());
    assert!(!store.take_job("minute-sweep", "process-2", at(0), at(1)).unwrap(), "taken this interval");
    assert!(!store.take_job("minute-sweep", "process-1", at(0), at(1)).unwrap(), "not twice by the same process either");
    assert!(store.take_job("other-job", "process-2", at(0), at(1)).unwrap(), "jobs are separate");
    assert!(store.take_job("minute-sweep", "process-2", at(1), at(2)).unwrap(), "free again once the interval is over");
}

/// Of many threads in one scope, one at a time is inside.
fn exclusive_sections_admit_one_at_a_time(store: Arc<dyn Storage>) {
    let inside = Arc::new(AtomicUsize::new(0));
    let most = Arc::new(AtomicUsize::new(0));
    let threads: Vec<_> = (0..6)
        .map(|_| {
            let (store, inside, most) = (store.clone(), inside.clone(), most.clone());
            std::thread::spawn(move || {
                for _ in 0..20 {
                    let _guard = store.exclusive("booking-decisions").unwrap();
                    let n = inside.fetch_add(1, Ordering::SeqCst) + 1;
                    most.fetch_max(n, Ordering::SeqCst);
                    std::thread::sleep(Duration::from_micros(200));
                    inside.fetch_sub(1, Ordering::SeqCst);
                }
            })
        })
        .collect();
    threads.into_iter().for_each(|t| t.join().unwrap());
    assert_eq!(most.load(Ordering::SeqCst), 1);
}

#[test]
fn sled_keeps_the_shared_store_contract() {
    let (_dir, store) = sled_store();
    claims_share_a_queue_without_overlap(&*store);
    a_job_runs_once_per_interval(&*store);
    exclusive_sections_admit_one_at_a_time(store);
}

/// Two stores in one process (tests, a copy) do not share sections: one
/// held in store A does not block store B.
#[test]
fn sections_of_two_sled_stores_are_separate() {
    let (_a_dir, a) = sled_store();
    let (_b_dir, b) = sled_store();
    let _held = a.exclusive("booking-decisions").unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _g = b.exclusive("booking-decisions").unwrap();
        tx.send(()).unwrap();
    });
    rx.recv_timeout(Duration::from_secs(10)).expect("store B's section is free while A's is held");
}

fn sync_token(xml: &str) -> String {
    let start = xml.find("sync-token>").expect("a sync-token") + "sync-token>".len();
    xml[start..].split('<').next().unwrap().to_string()
}

fn sync_body(token: &str) -> String {
    format!(r#"<D:sync-collection xmlns:D="DAV:"><D:sync-token>{token}</D:sync-token><D:sync-level>1</D:sync-level><D:prop><D:getetag/></D:prop></D:sync-collection>"#)
}

fn copy_cli(from: &std::path::Path, to: &std::path::Path) -> CliOutput {
    let mut cmd = std::process::Command::new(bin());
    cmd.args(["storage", "copy", "--from"]).arg(from).arg("--to").arg(to);
    run_with_stdin(cmd, "")
}

/// A store copied with `slotdav storage copy` serves the same calendar:
/// the object byte for byte, its dead property, a sync token of the
/// original (valid, and the next delta names only what changed after),
/// and the domain records; the copy printed per-kind counts and checksums.
/// A target that is not empty is refused and left alone.
#[tokio::test]
async fn storage_copy_carries_a_whole_store_sync_tokens_included() {
    if pg::skip_on_pg("copies the sled data directory a TestServer wrote; sled → PostgreSQL → sled is its own test") {
        return;
    }
    let server = TestServer::start().await;
    server.request("MKCALENDAR", "/dav/calendars/alice/work/").as_user(ALICE).send().await.status(201);
    server.request("PUT", "/dav/calendars/alice/work/a.ics").as_user(ALICE).body(EVENT).send().await.status(201);
    let patch = r#"<D:propertyupdate xmlns:D="DAV:" xmlns:X="urn:example:x"><D:set><D:prop><X:colour>teal</X:colour></D:prop></D:set></D:propertyupdate>"#;
    server.request("PROPPATCH", "/dav/calendars/alice/work/a.ics").as_user(ALICE).xml(patch).send().await.status(207);
    let listing = server.request("REPORT", "/dav/calendars/alice/work/").as_user(ALICE).xml(sync_body("")).send().await.status(207).text();
    let token = sync_token(&listing);
    server.storage.apply(RecordBatch { records: vec![(RecordKey::new("feed", "copied-token"), Some(b"feed record".to_vec()))], object: None }, Utc::now()).unwrap();
    let source = server.stop_keep_data().await;

    let target = tempfile::tempdir().unwrap();
    let out = copy_cli(source.path(), target.path()).success();
    assert!(out.stdout.contains("counts and checksums agree"), "{out:?}");
    for kind in ["users", "contents", "dead-properties", "change-log", "time-range-index", "record:feed"] {
        let line = out.stdout.lines().find(|l| l.starts_with(kind)).unwrap_or_else(|| panic!("no {kind} line: {}", out.stdout));
        assert!(line.contains("sha256 ") && !line.contains(" 0  "), "{line}");
    }

    // Into a store that is no longer empty: refused, nothing changed.
    let again = copy_cli(source.path(), target.path());
    assert_eq!(again.code, Some(1), "{again:?}");
    assert!(again.stderr.contains("empty"), "{again:?}");

    let copy = TestServer::builder().data_dir(target).start().await;
    let body = copy.request("GET", "/dav/calendars/alice/work/a.ics").as_user(ALICE).send().await.status(200);
    assert_eq!(body.text(), EVENT, "the object's bytes are the same");
    let props = r#"<D:propfind xmlns:D="DAV:" xmlns:X="urn:example:x"><D:prop><X:colour/></D:prop></D:propfind>"#;
    copy.request("PROPFIND", "/dav/calendars/alice/work/a.ics").as_user(ALICE).depth("0").xml(props).send().await.status(207).contains("teal");
    copy.request("PUT", "/dav/calendars/alice/work/b.ics").as_user(ALICE).body(LATER).send().await.status(201);
    let delta = copy.request("REPORT", "/dav/calendars/alice/work/").as_user(ALICE).xml(sync_body(&token)).send().await.status(207).text();
    assert!(delta.contains("b.ics") && !delta.contains("a.ics"), "the original's token names only the change after it: {delta}");
    assert_eq!(copy.storage.record(&RecordKey::new("feed", "copied-token")).unwrap().as_deref(), Some(&b"feed record"[..]));
    drop(source);
}

/// A source that is not a store the copy can open is a clear error, not a
/// panic (exit status 2).
#[test]
fn storage_copy_names_a_store_it_cannot_open() {
    let file = tempfile::NamedTempFile::new().unwrap();
    let target = tempfile::tempdir().unwrap();
    let out = copy_cli(file.path(), target.path());
    assert_eq!(out.code, Some(2), "{out:?}");
    assert!(out.stderr.contains("cannot"), "{out:?}");
}

/// The same contract on PostgreSQL, where the sections are advisory locks
/// and the leases are shared by every process on the database.
#[test]
fn postgres_keeps_the_shared_store_contract() {
    let Some(schema) = pg::TestSchema::create() else {
        eprintln!("skipped: {} is not set (no PostgreSQL to run on)", pg::SWITCH);
        return;
    };
    let store: Arc<dyn Storage> = Arc::new(slotdav::storage::PgStorage::connect(&schema.url, 4).unwrap());
    claims_share_a_queue_without_overlap(&*store);
    a_job_runs_once_per_interval(&*store);
    exclusive_sections_admit_one_at_a_time(store.clone());
    drop(store);
}

/// Two stores on one database (as two processes would have): what one
/// claims the other does not get, a job taken by one is refused to the
/// other.
#[test]
fn two_postgres_stores_on_one_database_share_claims_and_jobs() {
    let Some(schema) = pg::TestSchema::create() else {
        eprintln!("skipped: {} is not set (no PostgreSQL to run on)", pg::SWITCH);
        return;
    };
    let one = slotdav::storage::PgStorage::connect(&schema.url, 4).unwrap();
    let two = slotdav::storage::PgStorage::connect(&schema.url, 4).unwrap();
    queue(&one, &["a/1", "b/2"]);
    let first = one.claim_due(&Claim { table: "outbox", before: "d", holder: "process-1", now: at(0), until: at(10), limit: 1 }).unwrap();
    let second = two.claim_due(&Claim { table: "outbox", before: "d", holder: "process-2", now: at(0), until: at(10), limit: 10 }).unwrap();
    assert_eq!((keys(&first), keys(&second)), (vec!["a/1"], vec!["b/2"]));
    assert!(one.take_job("feed-import/alice/work", "process-1", at(0), at(15)).unwrap());
    assert!(!two.take_job("feed-import/alice/work", "process-2", at(1), at(16)).unwrap());
}

/// sled → PostgreSQL → sled: every record arrives, the checksums printed
/// on the way agree, and the store that comes back serves the object.
#[tokio::test]
async fn storage_copy_sled_to_postgres_and_back() {
    let Some(schema) = pg::TestSchema::create() else {
        eprintln!("skipped: {} is not set (no PostgreSQL to run on)", pg::SWITCH);
        return;
    };
    let source = tempfile::tempdir().unwrap();
    {
        let store = SledStorage::open(source.path(), true, None).unwrap();
        store.put_user(&slotdav::storage::User { name: "alice".into(), password_hash: password_hash(ALICE_PW), email: None, created: Utc::now() }).unwrap();
        store.apply(RecordBatch { records: vec![(RecordKey::new("booking", "b-1"), Some(vec![0, 1, 2, 255]))], object: None }, Utc::now()).unwrap();
    }
    let there = copy_cli_specs(&source.path().display().to_string(), &schema.url).success();
    let back_dir = tempfile::tempdir().unwrap();
    let back = copy_cli_specs(&schema.url, &back_dir.path().display().to_string()).success();
    let tallies = |out: &CliOutput| out.stdout.lines().filter(|l| l.contains("sha256")).map(str::to_string).collect::<Vec<_>>();
    assert_eq!(tallies(&there), tallies(&back), "{there:?}\n{back:?}");
    let into_full = copy_cli_specs(&source.path().display().to_string(), &schema.url);
    assert_eq!(into_full.code, Some(1), "a database that holds a store is refused: {into_full:?}");
    let store = SledStorage::open(back_dir.path(), true, None).unwrap();
    assert!(store.user("alice").unwrap().is_some());
    assert_eq!(store.record(&RecordKey::new("booking", "b-1")).unwrap(), Some(vec![0, 1, 2, 255]));
}

fn copy_cli_specs(from: &str, to: &str) -> CliOutput {
    let mut cmd = std::process::Command::new(bin());
    cmd.args(["storage", "copy", "--from", from, "--to", to]);
    run_with_stdin(cmd, "")
}

/// A claim made by a store that is closed since (its process was killed
/// with its claims in hand) does not hold its entries for the lease's ten
/// minutes: the next store to open claims them at once. On sled the next
/// open of the directory is the only live store; on PostgreSQL the closed
/// store has no connection left (`pg_stat_activity`), while a live one's
/// claims still hold.
fn a_closed_stores_claims_are_free_at_once(open: &dyn Fn() -> Arc<dyn Storage>) {
    let first = open();
    queue(&*first, &["a/1", "b/2"]);
    let claimed = first.claim_due(&Claim { table: "outbox", before: "z", holder: "dies", now: at(0), until: at(10), limit: 10 }).unwrap();
    assert_eq!(keys(&claimed), vec!["a/1", "b/2"]);
    drop(first);
    // PostgreSQL ends the closed store's sessions a moment after their
    // sockets close.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let next = open();
    loop {
        let again = next.claim_due(&Claim { table: "outbox", before: "z", holder: "next", now: at(1), until: at(11), limit: 10 }).unwrap();
        if keys(&again) == vec!["a/1", "b/2"] {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "a closed store's claims still held: {:?}", keys(&again));
        std::thread::sleep(Duration::from_millis(100));
    }
    // The claims of a store that is open hold.
    let other = open();
    assert!(other.claim_due(&Claim { table: "outbox", before: "z", holder: "other", now: at(2), until: at(12), limit: 10 }).unwrap().is_empty(), "an open store's claims hold for another");
    drop(other);
    drop(next);
}

#[test]
fn a_closed_sled_stores_claims_are_free_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().to_path_buf();
    // On sled a second open of one directory is refused while the first
    // is open, so "another open store" is the same one reopened by itself:
    // only the first half applies.
    let first: Arc<dyn Storage> = Arc::new(SledStorage::open(&path, true, None).unwrap());
    queue(&*first, &["a/1", "b/2"]);
    assert_eq!(keys(&first.claim_due(&Claim { table: "outbox", before: "z", holder: "dies", now: at(0), until: at(10), limit: 10 }).unwrap()), vec!["a/1", "b/2"]);
    drop(first);
    let next: Arc<dyn Storage> = Arc::new(SledStorage::open(&path, true, None).unwrap());
    assert_eq!(keys(&next.claim_due(&Claim { table: "outbox", before: "z", holder: "next", now: at(1), until: at(11), limit: 10 }).unwrap()), vec!["a/1", "b/2"], "the dead store's claims are free");
    assert!(next.claim_due(&Claim { table: "outbox", before: "z", holder: "other", now: at(2), until: at(12), limit: 10 }).unwrap().is_empty(), "a live holder's claims hold in the open store");
}

#[test]
fn a_closed_postgres_stores_claims_are_free_at_once() {
    let Some(schema) = pg::TestSchema::create() else {
        eprintln!("skipped: {} is not set (no PostgreSQL to run on)", pg::SWITCH);
        return;
    };
    let url = schema.url.clone();
    a_closed_stores_claims_are_free_at_once(&|| Arc::new(slotdav::storage::PgStorage::connect(&url, 2).unwrap()));
}

/// Several processes starting at once on an empty database: every one
/// opens the store (the second waits for the first's migrations, it does
/// not fail or apply them twice); a database migrated by a newer slotdav
/// is refused with both numbers named.
#[test]
fn postgres_migrations_run_once_when_processes_start_together_and_a_newer_schema_is_refused() {
    let Some(schema) = pg::TestSchema::create() else {
        eprintln!("skipped: {} is not set (no PostgreSQL to run on)", pg::SWITCH);
        return;
    };
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let url = schema.url.clone();
            std::thread::spawn(move || slotdav::storage::PgStorage::connect(&url, 1).map(|_| ()).map_err(|e| e.to_string()))
        })
        .collect();
    for t in threads {
        t.join().unwrap().expect("every process starting at once opens the store");
    }
    let newest = slotdav::storage::postgres::schema::MIGRATIONS.len();
    // Applied once each: a second insert of a version would have failed
    // on the table's primary key, and a missing one would be applied now.
    let store = slotdav::storage::PgStorage::connect(&schema.url, 1).unwrap();
    drop(store);
    pg::admin_exec(format!("INSERT INTO {}.schema_migrations (version) VALUES ({})", schema.name, newest + 5));
    let err = slotdav::storage::PgStorage::connect(&schema.url, 1).map(|_| ()).unwrap_err().to_string();
    assert!(err.contains(&format!("migration {}", newest + 5)) && err.contains("newer"), "{err}");
}

/// sled lets go of a directory's lock only once its background flusher has
/// stopped, a moment after the store is dropped: an open of a store this
/// process is closing waits for it (and `a_closed_sled_stores_claims_are_free_at_once`
/// no longer fails now and then on a loaded machine); a store that stays
/// open is still refused.
#[test]
fn an_open_waits_a_moment_for_a_store_this_process_is_closing() {
    if crate::common::pg::skip_on_pg("sled's directory lock") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let first = SledStorage::open(dir.path(), true, None).unwrap();
    let closer = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(300));
        drop(first);
    });
    let second = SledStorage::open(dir.path(), true, None);
    closer.join().unwrap();
    assert!(second.is_ok(), "{:?}", second.err());
    let held = second.unwrap();
    let third = SledStorage::open(dir.path(), true, None);
    assert!(third.as_ref().err().is_some_and(|e| e.to_string().contains("could not acquire lock")), "{:?}", third.err());
    drop(held);
}
