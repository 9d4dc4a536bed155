//! The `slotdav` binary as an admin uses it: user management with and
//! without a running server, configuration errors, and the first start.

use std::time::Duration;

use crate::common::*;

/// PROPFIND on the user's principal: 207 when the credentials work.
async fn login_status(http: &Http, user: &str, password: &str) -> u16 {
    http.request("PROPFIND", &format!("/dav/principals/{user}/")).basic(user, password).depth("0").send().await.code()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn user_commands_work_on_a_stopped_server() {
    let env = BinEnv::new("");
    let out = env.cli(&["user", "add", "carol", "--email", "carol@example.org"], "first-pw\n").success();
    assert!(out.stdout.contains("carol"), "{out:?}");
    assert!(!out.stdout.contains("first-pw") && !out.stderr.contains("first-pw"), "password echoed: {out:?}");

    let out = env.cli(&["user", "list"], "").success();
    let line = out.stdout.lines().find(|l| l.starts_with("carol")).unwrap_or_else(|| panic!("{out:?}"));
    assert!(line.contains("carol@example.org"), "{line}");

    // Adding the same name again fails; so do invalid names and empty passwords.
    let out = env.cli(&["user", "add", "carol"], "other\n");
    assert_ne!(out.code, Some(0), "{out:?}");
    let out = env.cli(&["user", "add", "../evil"], "pw\n");
    assert_ne!(out.code, Some(0), "{out:?}");
    let out = env.cli(&["user", "add", "dave"], "\n");
    assert_ne!(out.code, Some(0), "empty password accepted: {out:?}");
    let out = env.cli(&["user", "list"], "").success();
    assert!(!out.stdout.contains("dave") && !out.stdout.contains("evil"), "{out:?}");

    env.cli(&["user", "passwd", "carol"], "second-pw\n").success();
    let out = env.cli(&["user", "passwd", "nobody"], "x\n");
    assert_ne!(out.code, Some(0), "{out:?}");

    // The server picks up what the CLI wrote; no admin is created since a user exists.
    let server = env.spawn();
    assert_eq!(login_status(&server.http, "carol", "second-pw").await, 207);
    assert_eq!(login_status(&server.http, "carol", "first-pw").await, 401);
    assert!(!server.log_text().contains("created user `admin`"), "{}", server.log_text());
    assert_eq!(server.terminate(), Some(0));

    env.cli(&["user", "remove", "carol"], "").success();
    let out = env.cli(&["user", "list"], "").success();
    assert!(!out.stdout.contains("carol"), "{out:?}");
    let out = env.cli(&["user", "remove", "carol"], "");
    assert_ne!(out.code, Some(0), "{out:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn user_commands_reach_a_running_server_through_the_admin_socket() {
    let env = BinEnv::new("");
    let server = env.spawn_with_env(&[("SLOTDAV_ADMIN_PASSWORD", "admin-pw")]);
    let http = &server.http;
    assert_eq!(login_status(http, "erin", "erin-pw").await, 401);

    // The store is held by the server: these only work through the socket.
    let out = tokio::task::spawn_blocking({
        let env_config = env.config.clone();
        move || {
            let mut cmd = std::process::Command::new(bin());
            cmd.arg("--config").arg(env_config).args(["user", "add", "erin", "--email", "erin@example.org"]);
            run_with_stdin(cmd, "erin-pw\n")
        }
    })
    .await
    .unwrap()
    .success();
    assert!(out.stdout.contains("erin"), "{out:?}");
    assert_eq!(login_status(http, "erin", "erin-pw").await, 207, "new user cannot log in without a restart");
    // Erin has a working home at once.
    http.request("PUT", "/dav/calendars/erin/note.txt").basic("erin", "erin-pw").body("hi").send().await.status(201);

    let out = env.cli(&["user", "list"], "").success();
    assert!(out.stdout.lines().any(|l| l.starts_with("erin") && l.contains("erin@example.org")), "{out:?}");
    assert!(out.stdout.lines().any(|l| l.starts_with("admin")), "{out:?}");

    env.cli(&["user", "passwd", "erin"], "erin-new-pw\n").success();
    assert_eq!(login_status(http, "erin", "erin-new-pw").await, 207);
    assert_eq!(login_status(http, "erin", "erin-pw").await, 401, "the old password still works after passwd");

    env.cli(&["user", "remove", "erin"], "").success();
    assert_eq!(login_status(http, "erin", "erin-new-pw").await, 401, "a removed user can still log in");
    let out = env.cli(&["user", "list"], "").success();
    assert!(!out.stdout.contains("erin"), "{out:?}");

    // Re-adding the name gives an empty home, not erin's old data.
    env.cli(&["user", "add", "erin"], "erin-3\n").success();
    http.request("GET", "/dav/calendars/erin/note.txt").basic("erin", "erin-3").send().await.status(404);

    assert_eq!(server.terminate(), Some(0));
    assert!(!env.data_dir.join("admin.sock").exists(), "admin socket left behind");
}

fn assert_config_refused(extra_lines: &str, key: &str, line: usize) {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("bad.toml");
    let data = dir.path().join("data");
    let text = format!("data_dir = \"{}\"\nrealm = \"x\"\n{extra_lines}", data.display());
    std::fs::write(&config, &text).unwrap();
    for args in [&["serve"][..], &["user", "list"][..], &[][..]] {
        let mut cmd = std::process::Command::new(bin());
        cmd.arg("--config").arg(&config).args(args);
        let out = run_with_stdin(cmd, "");
        assert!(out.code.is_some() && out.code != Some(0), "{args:?} accepted\n{text}\n{out:?}");
        assert!(out.stderr.contains(key), "stderr does not name `{key}`: {out:?}");
        assert!(out.stderr.contains(&format!("line {line}")), "stderr does not name line {line}: {out:?}");
    }
    assert!(!data.join("db").exists(), "a store was created despite the bad config");
}

#[test]
fn bad_config_files_are_refused_naming_key_and_line() {
    assert_config_refused("listen = \"127.0.0.1:1\"\nlistne = 3\n", "listne", 4);
    assert_config_refused("\nmax_request_body = \"big\"\n", "max_request_body", 4);
    assert_config_refused("listen = \"localhost\"\n", "listen", 3);
    assert_config_refused("durability = \"sometimes\"\n", "durability", 3);
    assert_config_refused("flush_every_ms = -1\n", "flush_every_ms", 3);
}

#[test]
fn a_missing_config_file_is_an_error() {
    let mut cmd = std::process::Command::new(bin());
    cmd.arg("--config").arg("/nonexistent/slotdav.toml").arg("serve");
    let out = run_with_stdin(cmd, "");
    assert!(out.code.is_some() && out.code != Some(0), "{out:?}");
    assert!(out.stderr.contains("/nonexistent/slotdav.toml"), "{out:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn first_start_uses_slotdav_admin_password() {
    let env = BinEnv::new("");
    let server = env.spawn_with_env(&[("SLOTDAV_ADMIN_PASSWORD", "from-the-env-42")]);
    assert_eq!(login_status(&server.http, "admin", "from-the-env-42").await, 207);
    assert_eq!(login_status(&server.http, "admin", "something-else").await, 401);
    assert!(!server.log_text().contains("from-the-env-42"), "the password was logged:\n{}", server.log_text());
    assert_eq!(server.terminate(), Some(0));

    // A second start with another value does not reset the password.
    let server = env.spawn_with_env(&[("SLOTDAV_ADMIN_PASSWORD", "changed-later")]);
    assert_eq!(login_status(&server.http, "admin", "from-the-env-42").await, 207);
    assert_eq!(login_status(&server.http, "admin", "changed-later").await, 401);
}

/// The password from the first-start log line "… with password XXX …".
fn generated_password(log: &str) -> Option<String> {
    let rest = &log[log.find("with password ")? + "with password ".len()..];
    let pw: String = rest.chars().take_while(|c| c.is_ascii_alphanumeric()).collect();
    (!pw.is_empty()).then_some(pw)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn first_start_without_a_password_logs_a_random_one_once() {
    let env = BinEnv::new("");
    let server = env.spawn();
    // The line is written before the port opens, but give the log a moment.
    let mut log = server.log_text();
    for _ in 0..50 {
        if generated_password(&log).is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
        log = server.log_text();
    }
    let password = generated_password(&log).unwrap_or_else(|| panic!("no generated password in the log:\n{log}"));
    assert!(password.len() >= 12, "weak generated password {password:?}");
    assert_eq!(log.matches(&password).count(), 1, "{log}");
    assert_eq!(login_status(&server.http, "admin", &password).await, 207);
    assert_eq!(server.terminate(), Some(0));

    let server = env.spawn();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let log = server.log_text();
    assert!(!log.contains(&password) && generated_password(&log).is_none(), "printed again:\n{log}");
    assert_eq!(login_status(&server.http, "admin", &password).await, 207);

    // Another fresh store gets another password.
    let other = BinEnv::new("");
    let server2 = other.spawn();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let pw2 = generated_password(&server2.log_text()).expect("password");
    assert_ne!(pw2, password);
}

/// Issue 12: with no configuration file slotdav runs in try-it mode: a
/// sample booking page for `admin` in the machine's zone, bookable end to
/// end, mail as `.eml` files, and a log that says where everything is.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_config_file_admin_has_a_bookable_sample_page() {
    use serde_json::{json, Value};
    let env = BinEnv::new("");
    let server = env.spawn_without_config(&[("TZ", "Europe/Berlin")]);
    let http = &server.http;
    let base = format!("http://{}", server.addr);

    // The log names the calendar-app URL, the booking page and the password.
    let log = server.log_text();
    assert!(log.contains(&format!("{base}/dav/")), "{log}");
    assert!(log.contains(&format!("{base}/book/admin")), "{log}");
    let password = log
        .split("user `admin`, password ")
        .nth(1)
        .and_then(|rest| rest.split(|c: char| !c.is_ascii_alphanumeric()).next())
        .unwrap_or_else(|| panic!("no password in the try-it line:\n{log}"))
        .to_string();
    assert_eq!(login_status(http, "admin", &password).await, 207);

    http.request("GET", "/book/admin").send().await.status(200).contains("Intro call");
    let types: Value = serde_json::from_slice(&http.request("GET", "/api/v1/coaches/admin/event-types").send().await.status(200).bytes).unwrap();
    assert_eq!(types["timezone"], "Europe/Berlin", "the machine's zone (TZ) is the coach's: {types}");
    assert_eq!(types["event_types"][0]["duration_minutes"], 30, "{types}");

    let today = chrono::Utc::now().date_naive();
    let path = format!("/api/v1/coaches/admin/event-types/intro/slots?from={today}&to={}", today + chrono::Duration::days(13));
    let slots: Value = serde_json::from_slice(&http.request("GET", &path).send().await.status(200).bytes).unwrap();
    let start = slots["slots"][0]["start"].as_str().unwrap_or_else(|| panic!("no open slot in two weeks: {slots}")).to_string();
    let post = |path: String, body: Value| async move {
        http.request("POST", &path).header("Content-Type", "application/json").body(body.to_string()).send().await
    };
    let hold = post("/api/v1/coaches/admin/event-types/intro/holds".into(), json!({"start": start})).await.status(201);
    let hold: Value = serde_json::from_slice(&hold.bytes).unwrap();
    let confirm = format!("/api/v1/holds/{}/confirm", hold["hold_id"].as_str().unwrap());
    post(confirm, json!({"name": "New Student", "email": "new.student@example.org"})).await.status(201);

    let mail_out = env.dir.path().join("slotdav-data").join("mail-out");
    let started = std::time::Instant::now();
    let eml = loop {
        let found = std::fs::read_dir(&mail_out).into_iter().flatten().flatten().map(|e| e.path()).find(|p| {
            p.extension().is_some_and(|x| x == "eml") && std::fs::read_to_string(p).is_ok_and(|t| t.contains("new.student@example.org"))
        });
        if let Some(p) = found {
            break p;
        }
        assert!(started.elapsed() < Duration::from_secs(30), "no .eml for the student in {}", mail_out.display());
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(std::fs::read_to_string(eml).unwrap().contains("Intro call"));

    // The sample coach is listed on the front page.
    http.request("GET", "/").send().await.status(200).contains("href=\"/book/admin\"");
    assert_eq!(server.terminate(), Some(0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_a_config_file_there_is_no_sample_page() {
    let env = BinEnv::new("");
    let server = env.spawn_with_env(&[("SLOTDAV_ADMIN_PASSWORD", "admin-pw")]);
    server.http.request("GET", "/book/admin").send().await.status(404);
    server.http.request("GET", "/").send().await.status(200).lacks("/book/admin");
    assert!(!server.log_text().contains("try-it"), "{}", server.log_text());
    assert_eq!(server.terminate(), Some(0));
}
