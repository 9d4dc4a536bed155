//! Durability: what the server acknowledged is on disk, whether it is
//! killed with SIGKILL or stopped with SIGTERM.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::common::*;

const FILES: &str = "/dav/calendars/admin/files/";
const PW: &str = "crash-admin-pw";

/// Distinct, non-UTF-8 content per (writer, sequence number), large enough
/// that a torn write would show.
fn payload(writer: usize, seq: usize, len: usize) -> Vec<u8> {
    let mut v = format!("writer {writer} seq {seq}\n").into_bytes();
    let mut x: u32 = (writer as u32) * 1_000_003 + seq as u32 + 1;
    while v.len() < len {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        v.push((x & 0xff) as u8);
    }
    v
}

fn spawn(env: &BinEnv) -> BinServer {
    let server = env.spawn_with_env(&[("SLOTDAV_ADMIN_PASSWORD", PW)]);
    server.http.set_password("admin", PW);
    server
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_writes_survive_kill_9() {
    let env = BinEnv::new("");
    let server = spawn(&env);
    server.http.mkcol("admin", FILES).await;
    server.http.mkcol("admin", &format!("{FILES}sub/")).await;
    let mut expected: HashMap<String, Option<Vec<u8>>> = HashMap::new();
    for i in 0..20 {
        let path = format!("{FILES}r{i}.bin");
        let body = payload(0, i, 1000 + i * 997);
        server.http.put("admin", &path, body.clone()).await;
        expected.insert(path, Some(body));
    }
    // Overwrite some, delete some, move one, as the last acts before the kill.
    for i in [3, 7, 11] {
        let path = format!("{FILES}r{i}.bin");
        let body = payload(1, i, 5000);
        server.http.put("admin", &path, body.clone()).await;
        expected.insert(path, Some(body));
    }
    for i in [4, 19] {
        let path = format!("{FILES}r{i}.bin");
        server.request("DELETE", &path).as_user("admin").send().await.status(204);
        expected.insert(path, None);
    }
    let from = format!("{FILES}r5.bin");
    let to = format!("{FILES}sub/r5.bin");
    server.request("MOVE", &from).as_user("admin").destination(&to).send().await.status(201);
    let moved = expected.insert(from, None).unwrap();
    expected.insert(to, moved);
    server
        .request("PROPPATCH", FILES)
        .as_user("admin")
        .xml(r#"<D:propertyupdate xmlns:D="DAV:" xmlns:Z="urn:x-z"><D:set><D:prop><Z:last>written-just-before-kill</Z:last></D:prop></D:set></D:propertyupdate>"#)
        .send()
        .await
        .status(207);

    server.kill9();
    let server = spawn(&env);
    for (path, body) in &expected {
        let r = server.request("GET", path).as_user("admin").send().await;
        match body {
            Some(b) => {
                assert_eq!(r.code(), 200, "{}", r.describe());
                assert!(r.bytes[..] == b[..], "{path}: {} bytes instead of the {} acknowledged", r.bytes.len(), b.len());
            }
            None => assert_eq!(r.code(), 404, "{path} came back: {}", r.describe()),
        }
    }
    server
        .request("PROPFIND", FILES)
        .as_user("admin")
        .depth("0")
        .xml(PROPFIND_ALLPROP)
        .send()
        .await
        .status(207)
        .contains("written-just-before-kill");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_during_writes_loses_nothing_acknowledged_and_tears_nothing() {
    let env = BinEnv::new("");
    let server = spawn(&env);
    server.http.mkcol("admin", FILES).await;
    let acked: Arc<Mutex<HashMap<String, Vec<u8>>>> = Default::default();
    let attempted: Arc<Mutex<HashMap<String, Vec<Vec<u8>>>>> = Default::default();
    let mut writers = Vec::new();
    for w in 0..3 {
        let http = server.http.clone();
        let acked = acked.clone();
        let attempted = attempted.clone();
        writers.push(tokio::spawn(async move {
            for seq in 0.. {
                // Each writer cycles over 8 names, so later writes replace earlier ones.
                let path = format!("{FILES}w{w}-{}.bin", seq % 8);
                let body = payload(w, seq, 20_000 + (seq % 5) * 7_000);
                attempted.lock().unwrap().entry(path.clone()).or_default().push(body.clone());
                let req = http.request("PUT", &path).as_user("admin").body(body.clone());
                let result = tokio::time::timeout(Duration::from_secs(5), req.send_result()).await;
                match result {
                    Ok(Ok(r)) if r.code() == 201 || r.code() == 204 => {
                        acked.lock().unwrap().insert(path, body);
                    }
                    _ => return seq,
                }
            }
            unreachable!()
        }));
    }
    // Let some writes through, then kill mid-stream.
    loop {
        tokio::time::sleep(Duration::from_millis(20)).await;
        if acked.lock().unwrap().len() >= 12 {
            break;
        }
    }
    tokio::time::sleep(Duration::from_millis(150)).await;
    server.kill9();
    for w in writers {
        let _ = w.await;
    }

    let acked = acked.lock().unwrap().clone();
    let attempted = attempted.lock().unwrap().clone();
    assert!(acked.len() >= 12);
    let server = spawn(&env);
    for (path, bodies) in &attempted {
        let r = server.request("GET", path).as_user("admin").send().await;
        match acked.get(path) {
            Some(last_acked) => {
                assert_eq!(r.code(), 200, "acknowledged {path} is gone: {}", r.describe());
                // The last acknowledged version, or a later attempted one
                // (written but not acknowledged before the kill).
                let i = bodies.iter().position(|b| b == last_acked).unwrap();
                assert!(
                    bodies[i..].iter().any(|b| r.bytes[..] == b[..]),
                    "{path}: content is neither the acknowledged version nor a later one ({} bytes)",
                    r.bytes.len()
                );
            }
            None => match r.code() {
                404 => {}
                200 => assert!(bodies.iter().any(|b| r.bytes[..] == b[..]), "{path}: torn content"),
                _ => panic!("{}", r.describe()),
            },
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_shuts_down_cleanly_and_keeps_data() {
    let env = BinEnv::new("durability = \"periodic\"\nflush_every_ms = 60000\n");
    let server = spawn(&env);
    server.http.mkcol("admin", FILES).await;
    let body = payload(9, 9, 30_000);
    server.http.put("admin", &format!("{FILES}kept.bin"), body.clone()).await;
    assert!(env.data_dir.join("admin.sock").exists());
    let log_path = server.log.clone();
    assert_eq!(server.terminate(), Some(0), "exit status after SIGTERM");
    let log = std::fs::read_to_string(log_path).unwrap();
    assert!(!env.data_dir.join("admin.sock").exists(), "admin socket left behind");
    assert!(!log.contains("ERROR"), "{log}");

    // With periodic flushing far away, only the shutdown flush saved the data.
    let server = spawn(&env);
    let got = server.http.get("admin", &format!("{FILES}kept.bin")).await;
    assert!(got[..] == body[..], "data lost across SIGTERM");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_lets_a_request_in_flight_finish() {
    let env = BinEnv::new("");
    let server = spawn(&env);
    server.http.mkcol("admin", FILES).await;
    let addr = server.addr;
    let auth = basic_auth("admin", PW);
    // Start a PUT whose body arrives slowly, then SIGTERM while it is in flight.
    let client = tokio::task::spawn_blocking(move || {
        use std::io::{Read, Write};
        let mut s = std::net::TcpStream::connect(addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
        let body = b"slow body, complete";
        write!(s, "PUT {FILES}slow.txt HTTP/1.1\r\nHost: {addr}\r\nAuthorization: {auth}\r\nContent-Length: {}\r\n\r\n", body.len()).unwrap();
        s.write_all(&body[..5]).unwrap();
        std::thread::sleep(Duration::from_millis(700));
        s.write_all(&body[5..]).unwrap();
        let mut buf = Vec::new();
        let mut chunk = [0u8; 1024];
        while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
            let n = s.read(&mut chunk).unwrap();
            if n == 0 {
                break;
            }
            buf.extend_from_slice(&chunk[..n]);
        }
        String::from_utf8_lossy(&buf).into_owned()
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    let code = tokio::task::spawn_blocking(move || server.terminate()).await.unwrap();
    let head = client.await.unwrap();
    assert!(head.starts_with("HTTP/1.1 201"), "in-flight PUT got: {head:?}");
    assert_eq!(code, Some(0));
    let server = spawn(&env);
    assert_eq!(&server.http.get("admin", &format!("{FILES}slow.txt")).await[..], b"slow body, complete");
}
