//! The booking flow in a real browser: the `slotdav` binary serves a coach
//! (fixtures/booking/browser.toml) and `tests/browser/flow.mjs` drives
//! headless Chromium through it (issue 12 §4: front page to reschedule and
//! cancel, in English and German, at 1280 and 360 px, with and without
//! JavaScript, axe-core and a screenshot on every page), then the coach dashboard (sign in, confirm a
//! request, mark a no-show, sign out) with axe-core on every dashboard
//! page; then `tests/browser/features.mjs` walks a waitlist join and a
//! recurring booking (issue 11 §1, §2), with and without JavaScript, with
//! axe-core on every page.
//!
//! Needs Debian's `chromium` and node; ignored by default. Run with
//! `cargo test --test it booking_browser -- --ignored --nocapture`.
//! Screenshots land in `$SLOTDAV_SCREENSHOTS`, else `target/browser-screenshots/`.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::*;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Runs `cmd` to completion (at most `limit`), returning (success, output).
fn run(mut cmd: Command, limit: Duration) -> (bool, String) {
    let dir = tempfile::tempdir().unwrap();
    let out_path = dir.path().join("out.txt");
    let out = std::fs::File::create(&out_path).unwrap();
    cmd.stdin(Stdio::null()).stdout(out.try_clone().unwrap()).stderr(out);
    let mut child = cmd.spawn().unwrap_or_else(|e| panic!("cannot start {cmd:?}: {e}"));
    let started = Instant::now();
    let status = loop {
        if let Some(st) = child.try_wait().unwrap() {
            break Some(st);
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let text = std::fs::read_to_string(&out_path).unwrap_or_default();
    match status {
        Some(st) => (st.success(), text),
        None => (false, format!("{text}\n(killed after {limit:?})")),
    }
}

fn ensure_playwright(browser_dir: &Path) {
    if browser_dir.join("node_modules/playwright-core").exists() && browser_dir.join("node_modules/axe-core").exists() {
        return;
    }
    let mut npm = Command::new("npm");
    npm.args(["ci", "--no-audit", "--no-fund"]).current_dir(browser_dir);
    let (ok, out) = run(npm, Duration::from_secs(300));
    assert!(ok, "npm ci in tests/browser failed:\n{out}");
}

#[test]
#[ignore = "needs chromium and node; run with: cargo test --test it booking_browser -- --ignored"]
fn a_student_books_and_cancels_in_headless_chromium() {
    let browser_dir = repo().join("tests/browser");
    ensure_playwright(&browser_dir);
    let coach = std::fs::read_to_string(repo().join("fixtures/booking/browser.toml")).unwrap();
    let env = BinEnv::new(&coach);
    // The coach's calendars are made at start-up for users that exist.
    env.cli(&["user", "add", "alice"], "alice-browser-pw\n").success();
    let server = env.spawn();
    let shots = std::env::var_os("SLOTDAV_SCREENSHOTS").map(PathBuf::from).unwrap_or_else(|| repo().join("target/browser-screenshots"));
    let mut node = Command::new("node");
    node.arg("flow.mjs")
        .arg(format!("http://{}", server.addr))
        .arg(&shots)
        .env("SLOTDAV_COACH_USER", "alice")
        .env("SLOTDAV_COACH_PASSWORD", "alice-browser-pw")
        .current_dir(&browser_dir);
    // Eight booking walks and the dashboard: a few minutes on a busy 2-core machine.
    let (ok, out) = run(node, Duration::from_secs(720));
    println!("{out}");
    assert!(ok, "browser flow failed:\n{out}\n--- server log ---\n{}", server.log_text());
    assert!(out.contains(" passed, 0 failed"), "{out}");
    assert!(out.contains("ok   dashboard: mark a no-show"), "the dashboard walk ran: {out}");
    for lang in ["en", "de"] {
        for width in ["1280", "360"] {
            for js in ["js", "nojs"] {
                let walk = format!("{lang}-{width}-{js}");
                assert!(out.contains(&format!("ok   {walk}: reschedule to another time")), "the {walk} walk moved the booking: {out}");
                assert!(out.contains(&format!("ok   {walk}: cancel and see")), "the {walk} walk ran to the end: {out}");
            }
        }
    }

    // issue 11 §1 and §2: a waitlist join and a recurring booking, with
    // and without JavaScript, axe-core on every page (tests/browser/features.mjs).
    let mut node = Command::new("node");
    node.arg("features.mjs").arg(format!("http://{}", server.addr)).arg(&shots).current_dir(&browser_dir);
    let (ok, out) = run(node, Duration::from_secs(240));
    println!("{out}");
    assert!(ok, "browser features walk failed:\n{out}\n--- server log ---\n{}", server.log_text());
    assert!(out.contains(" passed, 0 failed"), "{out}");
    for walk in ["waitlist-js", "waitlist-no-js", "series-js", "series-no-js"] {
        assert!(out.contains(&format!("ok   {walk}: ")), "the {walk} walk ran: {out}");
    }
    assert!(out.contains("ok   series-no-js: cancel one date"), "{out}");
}
