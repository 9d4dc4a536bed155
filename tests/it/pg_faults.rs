//! The PostgreSQL backend when the database fails (issue 10, "Durability
//! and faults"): a restart of PostgreSQL in the middle of a PUT load loses
//! no acknowledged write and the server reconnects by itself; while the
//! database is down, DAV answers 503 with `Retry-After` and the booking
//! API `storage_unavailable`; a server killed with `kill -9` under load
//! leaves nothing locked for the next one. Each test runs the real binary
//! on a private cluster of its own (`common::pg::PrivateCluster`), and
//! only when `SLOTDAV_TEST_DATABASE_URL` is set.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};


use crate::common::pg::{self, PrivateCluster};
use crate::common::*;

const FILES: &str = "/dav/calendars/admin/files/";
const PW: &str = "pg-faults-admin-pw";

fn setup() -> Option<(PrivateCluster, BinEnv)> {
    if !pg::enabled() {
        eprintln!("skipped: set {} to run the PostgreSQL fault tests", pg::SWITCH);
        return None;
    }
    let cluster = PrivateCluster::start()?;
    let env = BinEnv::new(&format!("[storage]\nurl = \"{}\"\npool_size = 4\n", cluster.url()));
    Some((cluster, env))
}

fn spawn(env: &BinEnv) -> BinServer {
    let server = env.spawn_with_env(&[("SLOTDAV_ADMIN_PASSWORD", PW)]);
    server.http.set_password("admin", PW);
    server
}

fn body(writer: usize, seq: usize) -> Vec<u8> {
    format!("writer {writer} seq {seq}\n{}", "x".repeat(200 + seq % 97)).into_bytes()
}

/// PUTs from four writers while PostgreSQL restarts: every 2xx is there
/// afterwards, byte for byte, and writes succeed again without a restart
/// of slotdav.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_postgres_restart_under_put_load_loses_no_acknowledged_write() {
    let Some((cluster, env)) = setup() else { return };
    let server = spawn(&env);
    server.http.mkcol("admin", FILES).await;
    let acked: Arc<Mutex<Vec<(String, Vec<u8>)>>> = Arc::default();
    let refused = Arc::new(Mutex::new(0usize));
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut writers = Vec::new();
    for w in 0..4 {
        let http = server.http.clone();
        let (acked, refused, stop) = (acked.clone(), refused.clone(), stop.clone());
        writers.push(tokio::spawn(async move {
            let mut seq = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let path = format!("{FILES}w{w}-{seq}.txt");
                let b = body(w, seq);
                match http.request("PUT", &path).as_user("admin").body(b.clone()).send_result().await {
                    Ok(r) if r.code() == 201 || r.code() == 204 => acked.lock().unwrap().push((path, b)),
                    Ok(r) => {
                        assert_eq!(r.code(), 503, "PUT during a restart: {}", r.describe());
                        assert!(r.header("retry-after").is_some(), "{}", r.describe());
                        *refused.lock().unwrap() += 1;
                    }
                    Err(_) => *refused.lock().unwrap() += 1,
                }
                seq += 1;
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(800)).await;
    let before = acked.lock().unwrap().len();
    let cluster = Arc::new(cluster);
    let c = cluster.clone();
    let started = Instant::now();
    tokio::task::spawn_blocking(move || c.restart()).await.unwrap();
    eprintln!("PostgreSQL restarted in {:?}", started.elapsed());
    let after_restart = acked.lock().unwrap().len();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for w in writers {
        w.await.unwrap();
    }
    let acked = acked.lock().unwrap().clone();
    assert!(before > 0, "writes before the restart");
    assert!(acked.len() > after_restart, "writes succeed again after the restart without restarting slotdav");
    for (path, b) in &acked {
        let got = server.http.get("admin", path).await;
        assert_eq!(got.as_ref(), b.as_slice(), "{path}");
    }
    eprintln!("{} acknowledged, {} refused during the restart", acked.len(), refused.lock().unwrap());
}

/// With the database stopped, DAV answers 503 with `Retry-After` and the
/// booking API `storage_unavailable`; once it is back, the same server
/// answers again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_database_is_503_with_retry_after_until_it_is_back() {
    let Some((cluster, env)) = setup() else { return };
    let server = spawn(&env);
    server.http.mkcol("admin", FILES).await;
    server.http.put("admin", &format!("{FILES}a.txt"), "before").await;
    let cluster = Arc::new(cluster);
    let c = cluster.clone();
    tokio::task::spawn_blocking(move || c.stop()).await.unwrap();
    let r = server.request("PUT", &format!("{FILES}b.txt")).as_user("admin").body("while down").send().await;
    assert_eq!(r.code(), 503, "{}", r.describe());
    assert!(r.header("retry-after").is_some(), "{}", r.describe());
    let r = server.request("GET", &format!("{FILES}a.txt")).as_user("admin").send().await;
    assert!(r.code() == 503 || r.code() == 401, "{}", r.describe());
    let c = cluster.clone();
    tokio::task::spawn_blocking(move || c.start_again()).await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let r = server.request("PUT", &format!("{FILES}b.txt")).as_user("admin").body("after").send().await;
        if r.code() == 201 {
            break;
        }
        assert!(Instant::now() < deadline, "no reconnect: {}", r.describe());
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(server.http.get("admin", &format!("{FILES}a.txt")).await.as_ref(), b"before");
    assert_eq!(server.http.get("admin", &format!("{FILES}b.txt")).await.as_ref(), b"after");
}

/// `kill -9` of a server in the middle of writes: PostgreSQL rolls back
/// what it had open and releases its locks, so the next server writes at
/// once, and what the first acknowledged is there.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_under_load_leaves_nothing_locked() {
    let Some((_cluster, env)) = setup() else { return };
    let server = spawn(&env);
    server.http.mkcol("admin", FILES).await;
    let http = server.http.clone();
    let acked: Arc<Mutex<Vec<(String, Vec<u8>)>>> = Arc::default();
    let a = acked.clone();
    let load = tokio::spawn(async move {
        for seq in 0.. {
            let path = format!("{FILES}k{seq}.txt");
            let b = body(9, seq);
            match http.request("PUT", &path).as_user("admin").body(b.clone()).send_result().await {
                Ok(r) if r.code() == 201 => a.lock().unwrap().push((path, b)),
                _ => break,
            }
        }
    });
    tokio::time::sleep(Duration::from_millis(700)).await;
    server.kill9();
    let _ = load.await;
    let server = spawn(&env);
    let started = Instant::now();
    let r = server.request("PUT", &format!("{FILES}after.txt")).as_user("admin").body("after").send().await;
    assert_eq!(r.code(), 201, "{}", r.describe());
    assert!(started.elapsed() < Duration::from_secs(5), "the write waited {:?} for a lock", started.elapsed());
    let acked = acked.lock().unwrap().clone();
    assert!(!acked.is_empty());
    for (path, b) in &acked {
        assert_eq!(server.http.get("admin", path).await.as_ref(), b.as_slice(), "{path}");
    }
}

/// Writers on eight threads of one store while every connection to the
/// database is cut, again and again (`pg_terminate_backend`): each write
/// either succeeds and is there afterwards, byte for byte, or fails as
/// [`StorageError::Unavailable`] (503 on every surface), never as a
/// storage failure (500). Concurrent writes share a transaction
/// (`storage::postgres::group`), so a cut connection fails a whole group:
/// the writers waiting on its commit fail the same way as the one that saw
/// the connection go.
#[test]
fn a_cut_connection_fails_every_write_of_its_group_as_unavailable() {
    use slotdav::storage::{PgStorage, ResourceWrite, Storage, StorageError, StorePath, User, WriteCondition};
    if !pg::enabled() {
        eprintln!("skipped: set {} to run the PostgreSQL fault tests", pg::SWITCH);
        return;
    }
    let Some(cluster) = PrivateCluster::start() else { return };
    let storage = Arc::new(PgStorage::connect(&cluster.url(), 4).unwrap());
    let now = chrono::Utc::now();
    let home = StorePath::new(vec!["alice".into()]);
    let files = home.child("files");
    storage.put_user(&User { name: "alice".into(), password_hash: "x".into(), email: None, created: now }).unwrap();
    storage.create_collection(&home, false, vec![], vec![], now).unwrap();
    storage.create_collection(&files, false, vec![], vec![], now).unwrap();
    let stop = std::sync::atomic::AtomicBool::new(false);
    let (acked, unavailable) = (Mutex::new(Vec::new()), Mutex::new(0usize));
    std::thread::scope(|scope| {
        for w in 0..8 {
            let (storage, files, stop, acked, unavailable) = (&storage, &files, &stop, &acked, &unavailable);
            scope.spawn(move || {
                let mut seq = 0;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    let path = files.child(&format!("w{w}-{seq}.txt"));
                    let bytes = body(w, seq);
                    let write = ResourceWrite { bytes: bytes.clone(), content_type: "text/plain".into(), calendar: None };
                    match storage.put_resource(&path, write, &WriteCondition::default(), now) {
                        Ok(_) => acked.lock().unwrap().push((path, bytes)),
                        Err(StorageError::Unavailable(_)) => *unavailable.lock().unwrap() += 1,
                        Err(e) => panic!("a write while connections are cut fails as unavailable, not {e:?}"),
                    }
                    seq += 1;
                }
            });
        }
        for _ in 0..30 {
            std::thread::sleep(Duration::from_millis(40));
            cluster.exec("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()");
        }
        std::thread::sleep(Duration::from_millis(300));
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
    });
    let (acked, unavailable) = (acked.into_inner().unwrap(), unavailable.into_inner().unwrap());
    eprintln!("{} writes acknowledged, {unavailable} unavailable", acked.len());
    assert!(unavailable > 0, "cutting the connections failed some writes");
    for (path, bytes) in &acked {
        let got = storage.content(path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
        assert_eq!(got.as_deref(), Some(bytes.as_slice()), "{path:?}");
    }
}
