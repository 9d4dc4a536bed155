//! Who may do what: Basic authentication, and the wall between users.
//! Bob must never read, change or learn about anything of Alice's, by any
//! method, URL spelling or Destination.

use crate::common::*;

const SECRET: &str = "alice-secret-7f3a9c";
const FILES: &str = "/dav/calendars/alice/files/";
const SECRET_PATH: &str = "/dav/calendars/alice/files/secret.txt";
const PROP_SECRET: &str = "alice-prop-secret-19e2";

const SYNC_REPORT: &str = r#"<?xml version="1.0" encoding="utf-8"?><D:sync-collection xmlns:D="DAV:"><D:sync-token/><D:sync-level>1</D:sync-level><D:prop><D:getetag/></D:prop></D:sync-collection>"#;
const PROPPATCH_BODY: &str = r#"<D:propertyupdate xmlns:D="DAV:" xmlns:Z="urn:x-z"><D:set><D:prop><Z:p>written-by-intruder</Z:p></D:prop></D:set></D:propertyupdate>"#;

/// One method as the matrix sends it.
#[derive(Clone, Copy, Debug)]
struct Op {
    method: &'static str,
    depth: Option<&'static str>,
    body: &'static str,
    content_type: Option<&'static str>,
    /// Destination for COPY/MOVE.
    destination: Option<&'static str>,
}

const fn op(method: &'static str) -> Op {
    Op { method, depth: None, body: "", content_type: None, destination: None }
}

fn ops(destination: &'static str) -> Vec<Op> {
    vec![
        op("OPTIONS"),
        Op { depth: Some("0"), body: PROPFIND_ALLPROP_STATIC, content_type: Some("application/xml"), ..op("PROPFIND") },
        Op { depth: Some("1"), body: PROPFIND_ALLPROP_STATIC, content_type: Some("application/xml"), ..op("PROPFIND") },
        op("GET"),
        op("HEAD"),
        Op { body: "overwritten-by-intruder", content_type: Some("text/plain"), ..op("PUT") },
        op("DELETE"),
        op("MKCOL"),
        Op { body: PROPPATCH_BODY, content_type: Some("application/xml"), ..op("PROPPATCH") },
        Op { destination: Some(destination), ..op("COPY") },
        Op { destination: Some(destination), ..op("MOVE") },
        Op { depth: Some("0"), body: SYNC_REPORT, content_type: Some("application/xml"), ..op("REPORT") },
    ]
}

const PROPFIND_ALLPROP_STATIC: &str = r#"<?xml version="1.0" encoding="utf-8"?><D:propfind xmlns:D="DAV:"><D:allprop/></D:propfind>"#;

enum Creds<'a> {
    None,
    Basic(&'a str, &'a str),
}

async fn send(server: &TestServer, op: Op, path: &str, creds: Creds<'_>) -> Resp {
    let mut req = server.request(op.method, path);
    if let Creds::Basic(u, p) = creds {
        req = req.basic(u, p);
    }
    if let Some(d) = op.depth {
        req = req.depth(d);
    }
    if let Some(ct) = op.content_type {
        req = req.header("Content-Type", ct);
    }
    if let Some(dest) = op.destination {
        req = req.destination(dest);
    }
    req.body(op.body).send().await
}

/// Alice with a plain collection holding a secret resource with a secret
/// dead property.
async fn alice_with_secret() -> TestServer {
    alice_with_secret_in(TestServer::start().await).await
}

async fn alice_with_secret_in(server: TestServer) -> TestServer {
    server.http.mkcol(ALICE, FILES).await;
    server.http.put(ALICE, SECRET_PATH, SECRET).await;
    server
        .request("PROPPATCH", SECRET_PATH)
        .as_user(ALICE)
        .xml(format!(
            r#"<D:propertyupdate xmlns:D="DAV:" xmlns:Z="urn:x-z"><D:set><D:prop><Z:note>{PROP_SECRET}</Z:note></D:prop></D:set></D:propertyupdate>"#
        ))
        .send()
        .await
        .status(207);
    // Bob exists and has a home with one resource of his own.
    server.http.put(BOB, "/dav/calendars/bob/mine.txt", "bob's own").await;
    server
}

/// Alice's data is exactly as [`alice_with_secret`] left it.
async fn assert_alice_untouched(server: &TestServer) {
    let r = server.request("GET", SECRET_PATH).as_user(ALICE).send().await.status(200);
    assert_eq!(r.text(), SECRET);
    let r = server.request("PROPFIND", FILES).as_user(ALICE).depth("1").xml(PROPFIND_ALLPROP).send().await.status(207);
    assert_eq!(r.hrefs(), vec![FILES.to_string(), SECRET_PATH.to_string()], "alice's collection changed");
    r.contains(PROP_SECRET).lacks("written-by-intruder");
    let r = server.request("PROPFIND", "/dav/calendars/alice/").as_user(ALICE).depth("1").send().await.status(207);
    assert_eq!(
        r.hrefs(),
        vec!["/dav/calendars/alice/".to_string(), "/dav/calendars/alice/calendar/".to_string(), FILES.to_string()],
        "alice's home changed"
    );
    let r = server.request("PROPFIND", "/dav/calendars/alice/").as_user(ALICE).depth("0").xml(PROPFIND_ALLPROP).send().await.status(207);
    r.lacks("written-by-intruder");
}

/// Alice's URLs as Bob might try them: home, principal, collections,
/// the resource, and spellings that decode to them.
const ALICE_TARGETS: &[&str] = &[
    "/dav/calendars/alice/",
    "/dav/calendars/alice",
    "/dav/principals/alice/",
    "/dav/calendars/alice/calendar/",
    FILES,
    SECRET_PATH,
    "/dav/calendars/alice/files/new-by-intruder/",
    "/dav/calendars/%61lice/files/secret.txt",
    "/dav/calendars/ALICE/files/secret.txt",
    "/dav/calendars/bob/../alice/files/secret.txt",
    "/dav/calendars/bob/%2e%2e/alice/files/secret.txt",
    "/dav/calendars/bob/..%2falice/files/secret.txt",
    "/dav//calendars//alice//files//secret.txt",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_credentials_everything_is_401_with_a_basic_challenge() {
    let server = alice_with_secret().await;
    let paths = ["/", "/dav/", "/dav/principals/", "/dav/calendars/", "/dav/principals/alice/", FILES, SECRET_PATH];
    for path in paths {
        for op in ops("/dav/calendars/alice/files/copy.txt") {
            if path == "/" && (op.method == "GET" || op.method == "HEAD") {
                continue; // the server root has a public info page
            }
            let r = send(&server, op, path, Creds::None).await;
            assert_eq!(r.code(), 401, "{}", r.describe());
            let challenge = r.header("www-authenticate").unwrap_or_else(|| panic!("no challenge: {}", r.describe()));
            assert!(challenge.starts_with("Basic realm=\""), "{challenge}");
            assert!(!r.text().contains(SECRET) && !r.text().contains("secret.txt"), "{}", r.describe());
        }
    }
    assert_alice_untouched(&server).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_or_malformed_credentials_are_401() {
    // Dozens of wrong passwords in a row: raise the throttle, whose own
    // tests are in security_edge.
    let server = alice_with_secret_in(TestServer::builder().config(|c| c.auth.free_failures = 1000).start().await).await;
    let bad: &[(&str, &str)] = &[(ALICE, "wrong"), (ALICE, ""), (ALICE, &format!("{ALICE_PW} ")), ("nobody", ALICE_PW), ("Alice", ALICE_PW), ("", "")];
    for op in ops("/dav/calendars/alice/files/copy.txt") {
        for (u, p) in bad {
            let r = send(&server, op, SECRET_PATH, Creds::Basic(u, p)).await;
            assert_eq!(r.code(), 401, "{u}:{p}: {}", r.describe());
            assert!(r.header("www-authenticate").is_some_and(|c| c.starts_with("Basic realm=")), "{}", r.describe());
            assert!(!r.text().contains(SECRET));
        }
    }
    // Headers that are not valid Basic credentials.
    for header in ["Basic", "Basic !!!", "Bearer abc", "Basic YWxpY2U=", "Digest username=\"alice\""] {
        let r = server.request("GET", SECRET_PATH).header("Authorization", header).send().await;
        assert_eq!(r.code(), 401, "{header}: {}", r.describe());
    }
    // A right password after wrong ones still works.
    server.request("GET", SECRET_PATH).as_user(ALICE).send().await.status(200);
    assert_alice_untouched(&server).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bob_cannot_reach_anything_of_alices() {
    let server = alice_with_secret().await;
    for path in ALICE_TARGETS {
        for op in ops("/dav/calendars/bob/stolen.txt") {
            let r = send(&server, op, path, Creds::Basic(BOB, BOB_PW)).await;
            assert!(
                [400, 403, 404].contains(&r.code()),
                "bob {} {path}: expected 400/403/404: {}",
                op.method,
                r.describe()
            );
            let text = r.text();
            assert!(!text.contains(SECRET) && !text.contains(PROP_SECRET), "bob saw alice's data: {}", r.describe());
            assert!(!text.contains("secret.txt"), "bob learned alice's resource name: {}", r.describe());
            server.request("GET", "/dav/calendars/bob/stolen.txt").as_user(BOB).send().await.status(404);
        }
    }
    assert_alice_untouched(&server).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn copy_and_move_never_cross_into_or_out_of_alices_home() {
    let server = alice_with_secret().await;
    let host = server.http.base.clone();
    // Into Alice's home, from Bob's own resource, in several spellings.
    let into = [
        format!("{host}/dav/calendars/alice/files/stolen.txt"),
        format!("{host}{SECRET_PATH}"),
        "/dav/calendars/alice/files/stolen.txt".to_string(),
        "http://elsewhere.example/dav/calendars/alice/files/stolen.txt".to_string(),
        format!("{host}/dav/calendars/%61lice/files/stolen.txt"),
        format!("{host}/dav/calendars/bob/../alice/files/stolen.txt"),
        format!("{host}/dav/calendars/alice/"),
        format!("{host}/dav/calendars/alice/new-collection/"),
        format!("{host}/dav/principals/alice/"),
    ];
    for method in ["COPY", "MOVE"] {
        for dest in &into {
            for overwrite in ["T", "F"] {
                let r = server
                    .request(method, "/dav/calendars/bob/mine.txt")
                    .as_user(BOB)
                    .header("Destination", dest)
                    .header("Overwrite", overwrite)
                    .send()
                    .await;
                // 502 is what the server answers for a Destination it cannot map.
                assert!((r.code() >= 400 && r.code() < 500) || r.code() == 502, "bob {method} to {dest}: {}", r.describe());
                assert!(!r.text().contains(SECRET));
            }
        }
    }
    // Bob still has his resource (no MOVE happened).
    assert_eq!(&server.http.get(BOB, "/dav/calendars/bob/mine.txt").await[..], b"bob's own");

    // Out of Alice's home into Bob's.
    for method in ["COPY", "MOVE"] {
        for src in [SECRET_PATH, FILES, "/dav/calendars/%61lice/files/secret.txt"] {
            let r = server.request(method, src).as_user(BOB).destination("/dav/calendars/bob/loot").send().await;
            assert!([403, 404].contains(&r.code()), "bob {method} {src}: {}", r.describe());
            assert!(!r.text().contains(SECRET));
            server.request("GET", "/dav/calendars/bob/loot").as_user(BOB).send().await.status(404);
            server.request("PROPFIND", "/dav/calendars/bob/loot/").as_user(BOB).depth("0").send().await.status(404);
        }
    }
    // Alice cannot push into Bob's home either.
    let r = server.request("COPY", SECRET_PATH).as_user(ALICE).destination("/dav/calendars/bob/gift.txt").send().await;
    assert!(r.code() >= 400 && r.code() < 500, "{}", r.describe());
    server.request("GET", "/dav/calendars/bob/gift.txt").as_user(BOB).send().await.status(404);

    assert_alice_untouched(&server).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shared_collections_list_only_the_users_own_things() {
    let server = alice_with_secret().await;
    for path in ["/dav/", "/dav/principals/", "/dav/calendars/", "/"] {
        let r = server.request("PROPFIND", path).as_user(BOB).depth("1").xml(PROPFIND_ALLPROP).send().await.status(207);
        assert!(!r.text().contains("alice"), "bob sees alice in {path}: {}", r.text());
    }
    // Searching principals for Alice finds nothing for Bob.
    let search = r#"<D:principal-property-search xmlns:D="DAV:"><D:property-search><D:prop><D:displayname/></D:prop><D:match>ali</D:match></D:property-search><D:prop><D:displayname/></D:prop></D:principal-property-search>"#;
    let r = server.request("REPORT", "/dav/principals/").as_user(BOB).depth("0").xml(search).send().await;
    assert!(!r.text().contains("alice"), "{}", r.describe());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alice_can_do_everything_on_her_own() {
    let server = alice_with_secret().await;
    let s = &server;
    let f = |p: &str| format!("{FILES}{p}");
    s.request("OPTIONS", FILES).as_user(ALICE).send().await.status(200);
    s.request("OPTIONS", "/dav/principals/alice/").as_user(ALICE).send().await.status(200);
    s.request("PROPFIND", FILES).as_user(ALICE).depth("0").send().await.status(207);
    s.request("PROPFIND", FILES).as_user(ALICE).depth("1").send().await.status(207).contains("secret.txt");
    s.request("PROPFIND", "/dav/principals/alice/").as_user(ALICE).depth("0").send().await.status(207);
    s.request("PROPFIND", "/dav/calendars/alice/").as_user(ALICE).depth("1").send().await.status(207);
    s.request("GET", SECRET_PATH).as_user(ALICE).send().await.status(200).contains(SECRET);
    s.request("HEAD", SECRET_PATH).as_user(ALICE).send().await.status(200);
    s.request("PUT", &f("new.txt")).as_user(ALICE).body("new").send().await.status(201);
    s.request("PROPPATCH", &f("new.txt")).as_user(ALICE).xml(PROPPATCH_BODY).send().await.status(207);
    s.request("MKCOL", &f("sub/")).as_user(ALICE).send().await.status(201);
    s.request("COPY", &f("new.txt")).as_user(ALICE).destination(&f("sub/copy.txt")).send().await.status(201);
    s.request("MOVE", &f("sub/copy.txt")).as_user(ALICE).destination(&f("moved.txt")).send().await.status(201);
    s.request("REPORT", FILES).as_user(ALICE).depth("0").xml(SYNC_REPORT).send().await.status(207).contains("moved.txt");
    s.request("DELETE", &f("moved.txt")).as_user(ALICE).send().await.status(204);
    s.request("DELETE", &f("sub/")).as_user(ALICE).send().await.status(204);
    s.request("GET", &f("moved.txt")).as_user(ALICE).send().await.status(404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn well_known_caldav_redirects_permanently_to_dav() {
    let server = TestServer::start().await;
    for path in ["/.well-known/caldav", "/.well-known/caldav/"] {
        for method in ["GET", "PROPFIND", "OPTIONS"] {
            for authed in [false, true] {
                let mut req = server.request(method, path);
                if authed {
                    req = req.as_user(ALICE);
                }
                let r = req.send().await;
                assert!(r.code() == 301 || r.code() == 308, "{}", r.describe());
                let location = r.header("location").unwrap_or_else(|| panic!("no Location: {}", r.describe()));
                assert!(location == "/dav/" || location == format!("{}/dav/", server.http.base), "{location}");
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn discovery_from_root_finds_the_current_user_principal() {
    let server = TestServer::start().await;
    let body = propfind_props(&["D:current-user-principal", "D:principal-URL", "C:calendar-home-set"]);
    for (user, principal) in [(ALICE, "/dav/principals/alice/"), (BOB, "/dav/principals/bob/")] {
        for path in ["/", "/dav/", "/dav"] {
            let r = server.request("PROPFIND", path).as_user(user).depth("0").xml(body.clone()).send().await.status(207);
            let text = r.text();
            let cup = split_elements(&text, "current-user-principal").into_iter().next().unwrap_or_else(|| panic!("{text}"));
            assert!(cup.contains(principal), "{path}: {text}");
        }
        let r = server.request("PROPFIND", principal).as_user(user).depth("0").xml(body.clone()).send().await.status(207);
        let text = r.text();
        let home = split_elements(&text, "calendar-home-set").into_iter().next().unwrap_or_else(|| panic!("{text}"));
        assert!(home.contains(&format!("/dav/calendars/{user}/")), "{text}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn passwords_with_colons_and_non_ascii_work() {
    let pw = "pä:ss wörd:✓";
    let server = TestServer::builder().user("carol", pw).start().await;
    server.request("PROPFIND", "/dav/principals/carol/").basic("carol", pw).depth("0").send().await.status(207);
    server.request("PROPFIND", "/dav/principals/carol/").basic("carol", "pä").depth("0").send().await.status(401);
    server.request("PROPFIND", "/dav/principals/carol/").basic("carol", "pä:ss wörd").depth("0").send().await.status(401);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn other_users_cannot_be_told_apart_from_missing_ones() {
    let server = alice_with_secret().await;
    for method in ["PROPFIND", "GET", "PUT", "MKCOL", "DELETE"] {
        let mut codes = Vec::new();
        for who in ["alice", "nobody-at-all"] {
            for path in [format!("/dav/principals/{who}/"), format!("/dav/calendars/{who}/"), format!("/dav/calendars/{who}/files/")] {
                let r = server.request(method, &path).as_user(BOB).depth("0").send().await;
                codes.push((path, r.code(), r.text()));
            }
        }
        let (alice, nobody) = codes.split_at(3);
        for (a, n) in alice.iter().zip(nobody) {
            assert_eq!((a.1, &a.2), (n.1, &n.2), "{method}: {} and {} answer differently", a.0, n.0);
        }
    }
}
