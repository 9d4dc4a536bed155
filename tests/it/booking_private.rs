//! (D) Private event types (issue 11 §7) with the real binary: a type with
//! `private = true` is not listed on the coach's page or in the API, is
//! reachable only through a secret link made by `slotdav link add`, and a
//! wrong or revoked key is the same 404 as a type that does not exist.

use serde_json::{json, Value};

use crate::common::*;

const COACH: &str = r#"
[[coach]]
user = "alice"
display_name = "Alice Coach"
timezone = "UTC"
working_hours = { mon = ["00:00-24:00"], tue = ["00:00-24:00"], wed = ["00:00-24:00"], thu = ["00:00-24:00"], fri = ["00:00-24:00"], sat = ["00:00-24:00"], sun = ["00:00-24:00"] }
[[coach.event_type]]
slug = "consultation"
title = "Free consultation"
duration = "30m"
min_notice = "1h"
[[coach.event_type]]
slug = "paid-lesson"
title = "Paid lesson"
duration = "1h"
min_notice = "1h"
private = true
"#;

fn json_of(r: &Resp) -> Value {
    serde_json::from_slice(&r.bytes).unwrap_or_else(|e| panic!("not JSON ({e}): {}", r.describe()))
}

async fn post_json(server: &BinServer, path: &str, body: Value) -> Resp {
    server.request("POST", path).header("Content-Type", "application/json").body(body.to_string()).send().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_private_type_is_unlisted_bookable_through_its_link_and_gone_once_revoked() {
    let env = BinEnv::new(COACH);
    env.cli(&["user", "add", "alice"], "alice-pw\n").success();
    let server = env.spawn();
    const SLOTS: &str = "/api/v1/coaches/alice/event-types/paid-lesson/slots";

    // Not listed anywhere.
    let listed = json_of(&server.request("GET", "/api/v1/coaches/alice/event-types").send().await.status(200));
    let slugs: Vec<&str> = listed["event_types"].as_array().unwrap().iter().map(|t| t["slug"].as_str().unwrap()).collect();
    assert_eq!(slugs, ["consultation"]);
    server.request("GET", "/book/alice").send().await.status(200).contains("Free consultation").lacks("Paid lesson").lacks("paid-lesson");

    // Without a key, or with a wrong one: exactly what an unknown type answers.
    let unknown = server.request("GET", "/api/v1/coaches/alice/event-types/nope/slots").send().await.status(404);
    for path in [SLOTS.to_string(), format!("{SLOTS}?key=wrong"), format!("{SLOTS}?key={}", "A".repeat(5000))] {
        let r = server.request("GET", &path).send().await.status(404);
        assert_eq!(r.text(), unknown.text(), "{path}");
    }
    let unknown_page = server.request("GET", "/book/alice/nope").send().await.status(404);
    let page = server.request("GET", "/book/alice/paid-lesson?key=wrong").send().await.status(404);
    assert_eq!(page.text(), unknown_page.text());

    // The admin makes a link.
    let out = env.cli(&["link", "add", "alice", "paid-lesson"], "").success();
    let url = out.stdout.split_whitespace().find(|w| w.contains("/book/alice/paid-lesson?key=")).expect("a link").to_string();
    let key = url.split("?key=").nth(1).unwrap().to_string();
    let path = &url[url.find("/book/").unwrap()..];
    let page = server.request("GET", path).send().await.status(200).contains("Paid lesson");
    assert!(page.text().contains(&format!("name=\"key\" value=\"{key}\"")), "the hold forms carry the key");

    let slots = json_of(&server.request("GET", &format!("{SLOTS}?key={key}")).send().await.status(200));
    let start = slots["slots"][0]["start"].as_str().expect("open slots").to_string();
    let holds = "/api/v1/coaches/alice/event-types/paid-lesson/holds";
    post_json(&server, holds, json!({"start": start})).await.status(404);
    post_json(&server, holds, json!({"start": start, "key": "wrong"})).await.status(404);
    // Its waitlist is as hidden as the type: 404, not `no_waitlist`.
    let waitlist = "/api/v1/coaches/alice/event-types/paid-lesson/waitlist";
    let r = post_json(&server, waitlist, json!({"start": start, "name": "Eve", "email": "eve@example.org"})).await.status(404);
    assert_eq!(r.text(), unknown.text(), "the waitlist of a private type leaks nothing");
    let hold = json_of(&post_json(&server, holds, json!({"start": start, "key": key})).await.status(201));
    let confirm = format!("/api/v1/holds/{}/confirm", hold["hold_id"].as_str().unwrap());
    let booking = json_of(&post_json(&server, &confirm, json!({"name": "Ben Student", "email": "ben@example.org"})).await.status(201));
    assert_eq!(booking["event_type"], "paid-lesson", "{booking}");

    // A public type needs no link; the command says so.
    let refused = env.cli(&["link", "add", "alice", "consultation"], "");
    assert_ne!(refused.code, Some(0));
    assert!(refused.stderr.contains("not private"), "{}", refused.stderr);

    // Listed by id (never the token), revoked by token: 404 at once.
    let list = env.cli(&["link", "list", "alice"], "").success();
    assert!(list.stdout.contains("paid-lesson") && !list.stdout.contains(&key), "{}", list.stdout);
    env.cli(&["link", "revoke", &key], "").success();
    server.request("GET", path).send().await.status(404);
    let r = server.request("GET", &format!("{SLOTS}?key={key}")).send().await.status(404);
    assert_eq!(r.text(), unknown.text());
    assert!(env.cli(&["link", "list"], "").success().stdout.contains("no links"));
    assert_ne!(env.cli(&["link", "revoke", &key], "").code, Some(0), "a revoked link cannot be revoked twice");

    // The booking made through the link stays manageable without it.
    let manage = format!("/api/v1/bookings/{}", booking["manage_token"].as_str().unwrap());
    server.request("GET", &manage).send().await.status(200);

    let audit = env.cli(&["audit"], "").success();
    assert!(audit.stdout.contains("link.added") && audit.stdout.contains("link.revoked"), "{}", audit.stdout);
    assert!(audit.stdout.contains("private link to alice/paid-lesson"), "{}", audit.stdout);
}
