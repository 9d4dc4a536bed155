//! Start-up (issue 16 §6): a graceful stop checkpoints the sled store, so
//! the next start reads sled's snapshot instead of every log segment
//! written while the server ran; nothing acknowledged is lost on the way,
//! and a server killed before its checkpoint still starts with all of it.

use crate::common::*;

const PW: &str = "startup-admin-pw";
const FILES: &str = "/dav/calendars/admin/files/";

fn spawn(env: &BinEnv) -> BinServer {
    let server = env.spawn_with_env(&[("SLOTDAV_ADMIN_PASSWORD", PW)]);
    server.http.set_password("admin", PW);
    server
}

async fn write_files(server: &BinServer, from: usize, to: usize) {
    for i in from..to {
        server.http.put("admin", &format!("{FILES}f{i}.txt"), format!("file {i}\n").repeat(50).into_bytes()).await;
    }
}

async fn assert_files(server: &BinServer, count: usize) {
    for i in 0..count {
        let body = server.http.get("admin", &format!("{FILES}f{i}.txt")).await;
        assert_eq!(&body[..], format!("file {i}\n").repeat(50).as_bytes(), "f{i}.txt");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_graceful_stop_checkpoints_the_store_and_the_next_start_has_every_write() {
    if crate::common::pg::skip_on_pg("sled's snapshot; PostgreSQL has nothing to checkpoint") {
        return;
    }
    let env = BinEnv::new("");
    let server = spawn(&env);
    server.http.mkcol("admin", FILES).await;
    write_files(&server, 0, 40).await;
    assert_eq!(server.terminate(), Some(0));
    let log = std::fs::read_dir(env.dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with("server-"))
        .map(|e| std::fs::read_to_string(e.path()).unwrap())
        .collect::<String>();
    assert!(log.contains("store checkpointed for a fast next start"), "{log}");
    let server = spawn(&env);
    assert_files(&server, 40).await;
    // Writes after a checkpointed start survive a kill -9 as ever.
    write_files(&server, 40, 60).await;
    server.kill9();
    let server = spawn(&env);
    assert_files(&server, 60).await;
}
