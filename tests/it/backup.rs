//! `slotdav backup` / `slotdav restore` (issue 17 §2) and format upgrades
//! at open (`storage::migrate`), on the real binary: a backup taken
//! through the running server's admin socket while PUTs and bookings keep
//! arriving holds every write acknowledged before it began and restores to
//! a store `slotdav check` finds clean; a damaged backup, a foreign file
//! and a non-empty target are refused with what is wrong; an older store
//! is backed up and migrated once.

use std::os::unix::fs::PermissionsExt;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::common::*;

const PW: &str = "backup-alice-pw";
const CAL: &str = "/dav/calendars/alice/calendar/";
const COACH: &str = "[[coach]]\nuser = \"alice\"\ntimezone = \"UTC\"\nworking_hours = { mon = [\"00:00-23:59\"], tue = [\"00:00-23:59\"], wed = [\"00:00-23:59\"], thu = [\"00:00-23:59\"], fri = [\"00:00-23:59\"], sat = [\"00:00-23:59\"], sun = [\"00:00-23:59\"] }\n[[coach.event_type]]\nslug = \"lesson\"\ntitle = \"Lesson\"\nduration = \"30m\"\nmin_notice = \"2h\"\n";

fn event(uid: &str, n: usize) -> String {
    format!(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//slotdav tests//EN\r\nBEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:2027{:02}{:02}T100000Z\r\nDURATION:PT1H\r\nSUMMARY:{uid}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
        n % 12 + 1,
        n % 28 + 1
    )
}

fn json_of(r: &Resp) -> Value {
    serde_json::from_slice(&r.bytes).unwrap_or_else(|e| panic!("not JSON ({e}): {}", r.describe()))
}

fn setup() -> BinEnv {
    let env = BinEnv::new(COACH);
    env.cli(&["user", "add", "alice", "--email", "alice@example.org"], &format!("{PW}\n")).success();
    env
}

fn spawn(env: &BinEnv) -> BinServer {
    let server = env.spawn();
    server.http.set_password("alice", PW);
    server
}

/// Holds and confirms the `n`th open slot; the manage token, or `None`
/// when the slot was gone.
async fn book(http: &Http, n: usize) -> Option<String> {
    let r = http.request("GET", "/api/v1/coaches/alice/event-types/lesson/slots").send().await.status(200);
    let start = json_of(&r)["slots"][n]["start"].as_str()?.to_string();
    let hold = http
        .request("POST", "/api/v1/coaches/alice/event-types/lesson/holds")
        .header("Content-Type", "application/json")
        .body(json!({"start": start}).to_string())
        .send()
        .await;
    if hold.code() != 201 {
        return None;
    }
    let id = json_of(&hold)["hold_id"].as_str()?.to_string();
    let booked = http
        .request("POST", &format!("/api/v1/holds/{id}/confirm"))
        .header("Content-Type", "application/json")
        .body(json!({"name": "Ben", "email": "ben@example.org"}).to_string())
        .send()
        .await;
    (booked.code() == 201).then(|| json_of(&booked)["manage_token"].as_str().unwrap().to_string())
}

/// What the load acknowledged, with when.
#[derive(Default)]
struct Acknowledged {
    puts: Vec<(Instant, String, String)>,
    bookings: Vec<(Instant, String)>,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_under_write_load_restores_every_acknowledged_write_and_checks_clean() {
    if crate::common::pg::skip_on_pg("restore writes a sled data directory (the sled backup format)") {
        return;
    }
    let env = setup();
    let server = spawn(&env);
    let http = server.http.clone();
    let acked = Arc::new(Mutex::new(Acknowledged::default()));
    let stop = Arc::new(AtomicBool::new(false));
    let mut load = Vec::new();
    for writer in 0..3 {
        let (http, acked, stop) = (http.clone(), acked.clone(), stop.clone());
        load.push(tokio::spawn(async move {
            let mut i = 0;
            while !stop.load(Ordering::SeqCst) {
                let (path, body) = (format!("{CAL}w{writer}-{i}.ics"), event(&format!("w{writer}-{i}"), i));
                let r = http.request("PUT", &path).as_user("alice").header("Content-Type", "text/calendar").body(body.clone()).send().await;
                assert_eq!(r.code(), 201, "{}", r.describe());
                acked.lock().unwrap().puts.push((Instant::now(), path, body));
                i += 1;
            }
        }));
    }
    {
        let (http, acked, stop) = (http.clone(), acked.clone(), stop.clone());
        load.push(tokio::spawn(async move {
            let mut n = 0;
            while !stop.load(Ordering::SeqCst) {
                if let Some(token) = book(&http, n).await {
                    acked.lock().unwrap().bookings.push((Instant::now(), token));
                }
                n += 1;
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let file = env.dir.path().join("store.slotdav-backup");
    let began = Instant::now();
    let out = {
        let (config, file) = (env.config.clone(), file.clone());
        tokio::task::spawn_blocking(move || {
            let mut cmd = std::process::Command::new(bin());
            cmd.arg("--config").arg(&config).arg("backup").arg(&file);
            run_with_stdin(cmd, "")
        })
        .await
        .unwrap()
    };
    // Writes go on while the backup is written and after.
    tokio::time::sleep(Duration::from_millis(300)).await;
    stop.store(true, Ordering::SeqCst);
    for task in load {
        task.await.unwrap();
    }
    let out = out.success();
    assert!(out.stdout.contains("backed up") && out.stdout.contains("records"), "{out:?}");
    assert!(server.log_text().contains("Backup"), "the running server took it: {}", server.log_text());
    let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "owner-only");

    let acked = std::mem::take(&mut *acked.lock().unwrap());
    let puts: Vec<_> = acked.puts.iter().filter(|(at, ..)| *at < began).collect();
    let bookings: Vec<_> = acked.bookings.iter().filter(|(at, _)| *at < began).collect();
    assert!(puts.len() >= 10 && !bookings.is_empty(), "load before the backup: {} PUTs, {} bookings", puts.len(), bookings.len());
    assert!(acked.puts.len() > puts.len(), "PUTs were acknowledged after the backup began too");

    let restored = BinEnv::new(COACH);
    let out = restored.cli(&["restore", file.to_str().unwrap()], "").success();
    assert!(out.stdout.contains("restored"), "{out:?}");
    let check = restored.cli(&["check"], "");
    assert_eq!(check.code, Some(0), "the restored store is consistent: {check:?}");

    let copy = spawn(&restored);
    for (_, path, body) in &puts {
        let r = copy.request("GET", path).as_user("alice").send().await.status(200);
        assert_eq!(r.text(), *body, "{path}");
    }
    for (_, token) in &bookings {
        copy.request("GET", &format!("/api/v1/bookings/{token}")).send().await.status(200);
    }
    eprintln!(
        "backup under load: {} PUTs and {} bookings acknowledged before it began, all restored ({} PUTs in all)",
        puts.len(),
        bookings.len(),
        acked.puts.len()
    );
}

/// A backup taken of a stopped store, and a copy of it with `edit` made.
fn stopped_backup(edit: impl FnOnce(&mut Vec<u8>)) -> (BinEnv, std::path::PathBuf, std::path::PathBuf) {
    let env = setup();
    let file = env.dir.path().join("good.slotdav-backup");
    env.cli(&["backup", file.to_str().unwrap()], "").success();
    let mut bytes = std::fs::read(&file).unwrap();
    edit(&mut bytes);
    let bad = env.dir.path().join("bad.slotdav-backup");
    std::fs::write(&bad, bytes).unwrap();
    (env, file, bad)
}

#[test]
fn a_damaged_backup_is_refused_and_nothing_is_restored() {
    let flip_last = |b: &mut Vec<u8>| {
        let last = b.len() - 1;
        b[last] ^= 0x20;
    };
    let truncate = |b: &mut Vec<u8>| b.truncate(b.len() - 3);
    let foreign = |b: &mut Vec<u8>| *b = b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n".to_vec();
    let recount = |b: &mut Vec<u8>| {
        let text = String::from_utf8_lossy(&b[..200]).to_string();
        let at = text.find("records ").unwrap() + "records ".len();
        b[at + 19] = if b[at + 19] == b'9' { b'8' } else { b[at + 19] + 1 };
    };
    let cases: [(&str, &dyn Fn(&mut Vec<u8>), &str); 4] = [
        ("a changed byte", &flip_last, "SHA-256"),
        ("a cut-short file", &truncate, "damaged"),
        ("another file", &foreign, "is not a slotdav backup"),
        ("a wrong count", &recount, "records, its header says"),
    ];
    for (what, edit, says) in cases {
        let (env, _, bad) = stopped_backup(edit);
        let target = env.dir.path().join("restored");
        let out = env.cli(&["restore", bad.to_str().unwrap(), "--data-dir", target.to_str().unwrap()], "");
        assert_eq!(out.code, Some(1), "{what}: {out:?}");
        assert!(out.stderr.contains("restore refused") && out.stderr.contains(says), "{what}: {}", out.stderr);
        assert!(!target.exists(), "{what}: nothing is made live");
        let leftovers: Vec<_> = std::fs::read_dir(env.dir.path()).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().to_string()).filter(|n| n.contains("restoring")).collect();
        assert!(leftovers.is_empty(), "{what}: {leftovers:?}");
    }
}

#[test]
fn a_restore_refuses_a_non_empty_directory_and_fills_an_empty_one() {
    if crate::common::pg::skip_on_pg("restore writes a sled data directory (the sled backup format)") {
        return;
    }
    let (env, good, _) = stopped_backup(|_| {});
    let out = env.cli(&["restore", good.to_str().unwrap(), "--data-dir", env.data_dir.to_str().unwrap()], "");
    assert_eq!(out.code, Some(1), "{out:?}");
    assert!(out.stderr.contains("is not empty"), "{}", out.stderr);
    let parent = env.dir.path().join("shared");
    std::fs::create_dir(&parent).unwrap();
    std::fs::set_permissions(&parent, std::fs::Permissions::from_mode(0o755)).unwrap();
    let empty = parent.join("empty");
    std::fs::create_dir(&empty).unwrap();
    env.cli(&["restore", good.to_str().unwrap(), "--data-dir", empty.to_str().unwrap()], "").success();
    let mode = std::fs::metadata(&empty).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o700);
    assert_eq!(std::fs::metadata(&parent).unwrap().permissions().mode() & 0o777, 0o755, "the parent keeps its mode");
    let storage = slotdav::storage::SledStorage::open(&empty, true, None).unwrap();
    use slotdav::storage::Storage;
    assert!(storage.user("alice").unwrap().is_some(), "the user came back");
}

/// Format upgrades: a store set back to the format before this build's,
/// opened with a test migration from it.
mod upgrade {
    use super::*;
    use slotdav::storage::migrate::{Migration, MigrationWrites, RecordSource, STORE_FORMAT};
    use slotdav::storage::{SledStorage, Storage};

    static RUNS: AtomicUsize = AtomicUsize::new(0);

    /// Renames every user's email to upper case (a record rewrite) and
    /// leaves a marker record.
    fn mark(source: &dyn RecordSource, writes: &mut MigrationWrites) -> slotdav::storage::Result<()> {
        RUNS.fetch_add(1, Ordering::SeqCst);
        let mut seen = 0;
        source.scan(b"U", &mut |_, _| {
            seen += 1;
            Ok(())
        })?;
        writes.put(b"Xmigration-test\0done".to_vec(), seen.to_string().into_bytes());
        Ok(())
    }

    fn fails(_: &dyn RecordSource, writes: &mut MigrationWrites) -> slotdav::storage::Result<()> {
        writes.put(b"Xmigration-test\0half".to_vec(), b"x".to_vec());
        Err(slotdav::storage::StorageError::Backend("the test migration fails".into()))
    }

    fn set_format(dir: &std::path::Path, format: u32) {
        let db = sled::open(dir.join("db")).unwrap();
        let tree = db.open_tree("slotdav").unwrap();
        tree.insert(b"Mformat", &format.to_be_bytes()).unwrap();
        db.flush().unwrap();
    }

    fn format_of(dir: &std::path::Path) -> u32 {
        let db = sled::open(dir.join("db")).unwrap();
        let v = db.open_tree("slotdav").unwrap().get(b"Mformat").unwrap().unwrap();
        u32::from_be_bytes(v.as_ref().try_into().unwrap())
    }

    fn backups_beside(dir: &std::path::Path) -> Vec<String> {
        std::fs::read_dir(dir.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
            .filter(|n| n.ends_with(".slotdav-backup"))
            .collect()
    }

    #[test]
    fn an_older_store_is_backed_up_then_migrated_once() {
        if crate::common::pg::skip_on_pg("the store format of a sled data directory and its migration at open") {
            return;
        }
        let env = setup();
        let dir = env.data_dir.clone();
        set_format(&dir, STORE_FORMAT - 1);
        let list = [Migration { from: STORE_FORMAT - 1, what: "test: mark the store", apply: mark }];
        let before = RUNS.load(Ordering::SeqCst);
        let storage = SledStorage::open_with_migrations(&dir, true, None, &list).expect("the older store opens");
        assert_eq!(RUNS.load(Ordering::SeqCst), before + 1, "the migration ran");
        let marker = storage.record(&slotdav::storage::RecordKey::new("migration-test", "done")).unwrap();
        assert_eq!(marker.as_deref(), Some(&b"1"[..]), "its writes are in the store");
        drop(storage);
        assert_eq!(format_of(&dir), STORE_FORMAT, "the number was bumped with it");
        let backups = backups_beside(&dir);
        assert_eq!(backups.len(), 1, "{backups:?}");
        assert!(backups[0].starts_with(&format!("data.format-{}.", STORE_FORMAT - 1)), "{backups:?}");
        let header = slotdav::storage::backup::read_header(&dir.parent().unwrap().join(&backups[0])).unwrap();
        assert_eq!(header.store_format, STORE_FORMAT - 1, "the backup is of the store before the upgrade");

        drop(SledStorage::open_with_migrations(&dir, true, None, &list).expect("it opens again"));
        assert_eq!(RUNS.load(Ordering::SeqCst), before + 1, "a second open does nothing");
        assert_eq!(backups_beside(&dir).len(), 1, "and takes no second backup");
        let check = env.cli(&["check"], "");
        assert_eq!(check.code, Some(0), "{check:?}");
    }

    #[test]
    fn a_failing_migration_leaves_the_store_whole_in_its_old_format() {
        let env = setup();
        let dir = env.data_dir.clone();
        set_format(&dir, STORE_FORMAT - 1);
        let list = [Migration { from: STORE_FORMAT - 1, what: "test: fails", apply: fails }];
        let err = SledStorage::open_with_migrations(&dir, true, None, &list).err().expect("refused").to_string();
        assert!(err.contains("the test migration fails") && err.contains("still whole"), "{err}");
        assert_eq!(format_of(&dir), STORE_FORMAT - 1);
        let db = sled::open(dir.join("db")).unwrap();
        assert!(db.open_tree("slotdav").unwrap().get(b"Xmigration-test\0half").unwrap().is_none(), "none of its writes");
    }

    #[test]
    fn a_store_newer_than_the_binary_is_refused_by_number() {
        if crate::common::pg::skip_on_pg("the store format of a sled data directory (PostgreSQL: schema_migrations, see postgres::schema)") {
            return;
        }
        let env = setup();
        set_format(&env.data_dir, STORE_FORMAT + 1);
        let out = env.cli(&["user", "list"], "");
        assert_ne!(out.code, Some(0));
        assert!(out.stderr.contains(&format!("format {}, newer than this slotdav (format {STORE_FORMAT})", STORE_FORMAT + 1)), "{}", out.stderr);
    }
}
