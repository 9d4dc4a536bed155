//! Generic WebDAV (RFC 4918) behaviour on plain collections in a calendar
//! home: what any WebDAV client would notice.

use std::io::{Read, Write};
use std::time::Duration;

use crate::common::*;

const HOME: &str = "/dav/calendars/alice/";
const FILES: &str = "/dav/calendars/alice/files/";

/// Bytes that are not UTF-8 and include NUL, CR/LF and high bytes.
fn binary_payload(len: usize) -> Vec<u8> {
    (0..len).map(|i| ((i * 31 + 7) % 256) as u8).chain([0u8, 0xff, 0xfe, b'\r', b'\n', 0x80]).collect()
}

async fn server_with_files() -> TestServer {
    let server = TestServer::start().await;
    server.http.mkcol(ALICE, FILES).await;
    server
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn options_advertises_dav_classes_and_allowed_methods() {
    let server = server_with_files().await;
    let r = server.request("OPTIONS", FILES).as_user(ALICE).send().await.status(200);
    let dav: Vec<String> = r.header("dav").expect("DAV header").split(',').map(|s| s.trim().to_string()).collect();
    for class in ["1", "3", "calendar-access"] {
        assert!(dav.iter().any(|c| c == class), "DAV: {dav:?} lacks {class}");
    }
    assert!(!dav.iter().any(|c| c == "2"), "no LOCK support, so no class 2: {dav:?}");
    let allow = r.header("allow").expect("Allow header").to_string();
    for m in ["OPTIONS", "GET", "PUT", "DELETE", "PROPFIND", "PROPPATCH", "MKCOL", "COPY", "MOVE", "REPORT"] {
        assert!(allow.split(',').any(|a| a.trim() == m), "Allow: {allow} lacks {m}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn propfind_depth_0_and_1() {
    let server = server_with_files().await;
    let etag = server.http.put(ALICE, &format!("{FILES}a.bin"), binary_payload(100)).await;
    let body = propfind_props(&["D:getetag", "D:getcontentlength", "D:resourcetype", "D:displayname"]);

    let r = server.request("PROPFIND", FILES).as_user(ALICE).depth("0").xml(body.clone()).send().await.status(207);
    assert_eq!(r.hrefs(), vec![FILES.to_string()]);
    assert_eq!(r.prop_status(FILES, "resourcetype"), Some(200));
    assert_eq!(r.prop_status(FILES, "displayname"), Some(404), "{}", r.text());

    let r = server.request("PROPFIND", FILES).as_user(ALICE).depth("1").xml(body).send().await.status(207);
    let file = format!("{FILES}a.bin");
    assert_eq!(r.hrefs(), vec![FILES.to_string(), file.clone()]);
    assert_eq!(r.prop_status(&file, "getetag"), Some(200));
    // The ETag in PROPFIND is the one PUT and GET give.
    r.contains(etag.trim_matches('"')).contains(">106<");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn propfind_without_body_is_allprop() {
    let server = server_with_files().await;
    server.http.put(ALICE, &format!("{FILES}a.txt"), "hello").await;
    server
        .request("PROPFIND", &format!("{FILES}a.txt"))
        .as_user(ALICE)
        .depth("0")
        .send()
        .await
        .status(207)
        .contains("getetag")
        .contains("getcontentlength");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn propfind_propname_lists_names_without_values() {
    let server = server_with_files().await;
    let file = format!("{FILES}a.txt");
    server.http.put(ALICE, &file, "hello").await;
    server
        .request("PROPPATCH", &file)
        .as_user(ALICE)
        .xml(r#"<D:propertyupdate xmlns:D="DAV:" xmlns:Z="urn:x-example:zoo"><D:set><D:prop><Z:animal>zebra-value</Z:animal></D:prop></D:set></D:propertyupdate>"#)
        .send()
        .await
        .status(207);
    let r = server.request("PROPFIND", &file).as_user(ALICE).depth("0").xml(PROPFIND_PROPNAME).send().await.status(207);
    let r = r.contains("getetag").contains("getcontentlength").contains("animal").contains("urn:x-example:zoo");
    r.lacks("zebra-value").lacks("hello").lacks("</ns").lacks("</Z:");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn propfind_allprop_includes_live_and_dead_properties() {
    let server = server_with_files().await;
    let file = format!("{FILES}a.txt");
    let etag = server.http.put(ALICE, &file, "hello").await;
    server
        .request("PROPPATCH", &file)
        .as_user(ALICE)
        .xml(r#"<D:propertyupdate xmlns:D="DAV:" xmlns:Z="urn:x-example:zoo"><D:set><D:prop><Z:animal>zebra-value</Z:animal></D:prop></D:set></D:propertyupdate>"#)
        .send()
        .await
        .status(207);
    let r = server.request("PROPFIND", &file).as_user(ALICE).depth("0").xml(PROPFIND_ALLPROP).send().await.status(207);
    assert_eq!(r.prop_status(&file, "getetag"), Some(200), "{}", r.text());
    r.contains(etag.trim_matches('"')).contains("zebra-value").contains("urn:x-example:zoo").contains(">5</");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn propfind_depth_infinity_is_refused() {
    let server = server_with_files().await;
    for depth in [Some("infinity"), Some("Infinity"), None] {
        let mut req = server.request("PROPFIND", FILES).as_user(ALICE).xml(PROPFIND_ALLPROP);
        if let Some(d) = depth {
            req = req.depth(d);
        }
        req.send().await.status(403).contains("propfind-finite-depth");
    }
    server.request("PROPFIND", FILES).as_user(ALICE).depth("2").xml(PROPFIND_ALLPROP).send().await.status(400);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn proppatch_dead_properties_in_odd_namespaces_round_trip() {
    let server = server_with_files().await;
    // A namespace with characters that need escaping, one reused with two
    // prefixes, a default namespace, an attribute and nested markup.
    let set = r#"<?xml version="1.0" encoding="utf-8"?>
<D:propertyupdate xmlns:D="DAV:" xmlns:Z="http://example.com/ns/?a=1;b=ü" xmlns:Y="http://example.com/ns/?a=1;b=ü">
  <D:set><D:prop>
    <Z:colour>ultra &lt;violet&gt; &amp; ünïcödé</Z:colour>
    <Y:nested><Y:inner kind="x">1</Y:inner><Y:inner kind="y"/></Y:nested>
    <plain xmlns="urn:x-default-ns">default-ns-value</plain>
  </D:prop></D:set>
</D:propertyupdate>"#;
    let r = server.request("PROPPATCH", FILES).as_user(ALICE).xml(set).send().await.status(207);
    for name in ["colour", "nested", "plain"] {
        assert_eq!(r.prop_status(FILES, name), Some(200), "{name}: {}", r.text());
    }

    let ask = r#"<D:propfind xmlns:D="DAV:" xmlns:Q="http://example.com/ns/?a=1;b=ü"><D:prop><Q:colour/><Q:nested/><P:plain xmlns:P="urn:x-default-ns"/><Q:never-set/></D:prop></D:propfind>"#;
    let r = server.request("PROPFIND", FILES).as_user(ALICE).depth("0").xml(ask).send().await.status(207);
    assert_eq!(r.prop_status(FILES, "colour"), Some(200), "{}", r.text());
    assert_eq!(r.prop_status(FILES, "never-set"), Some(404), "{}", r.text());
    let r = r
        .contains("ultra &lt;violet&gt; &amp; ünïcödé")
        .contains("default-ns-value")
        .contains("kind=\"x\"")
        .contains("kind=\"y\"")
        .contains("http://example.com/ns/?a=1;b=ü");
    let _ = r;

    // Remove one, overwrite another, in one request.
    let update = r#"<D:propertyupdate xmlns:D="DAV:" xmlns:Z="http://example.com/ns/?a=1;b=ü">
  <D:remove><D:prop><Z:nested/></D:prop></D:remove>
  <D:set><D:prop><Z:colour>green</Z:colour></D:prop></D:set>
</D:propertyupdate>"#;
    server.request("PROPPATCH", FILES).as_user(ALICE).xml(update).send().await.status(207);
    let r = server.request("PROPFIND", FILES).as_user(ALICE).depth("0").xml(ask).send().await.status(207);
    assert_eq!(r.prop_status(FILES, "nested"), Some(404), "{}", r.text());
    assert_eq!(r.prop_status(FILES, "colour"), Some(200), "{}", r.text());
    r.contains(">green<").lacks("violet").contains("default-ns-value");
}

/// Namespace URIs are attribute values: `&amp;` in the request means `&`,
/// and the answer must declare the same namespace (escaped once).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn namespace_uris_with_ampersands_round_trip() {
    let server = server_with_files().await;
    let set = r#"<D:propertyupdate xmlns:D="DAV:" xmlns:Z="http://example.com/ns/?a=1&amp;b=2"><D:set><D:prop><Z:colour>teal</Z:colour></D:prop></D:set></D:propertyupdate>"#;
    server.request("PROPPATCH", FILES).as_user(ALICE).xml(set).send().await.status(207);
    let ask = r#"<D:propfind xmlns:D="DAV:" xmlns:Q="http://example.com/ns/?a=1&amp;b=2"><D:prop><Q:colour/><Q:never-set/></D:prop></D:propfind>"#;
    let r = server.request("PROPFIND", FILES).as_user(ALICE).depth("0").xml(ask).send().await.status(207);
    assert_eq!(r.prop_status(FILES, "colour"), Some(200), "{}", r.text());
    r.contains("teal").contains("\"http://example.com/ns/?a=1&amp;b=2\"").lacks("&amp;amp;");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn proppatch_is_all_or_nothing() {
    let server = server_with_files().await;
    let body = r#"<D:propertyupdate xmlns:D="DAV:" xmlns:Z="urn:x-example:zoo">
  <D:set><D:prop><Z:animal>okapi</Z:animal><D:getetag>"forged"</D:getetag></D:prop></D:set>
</D:propertyupdate>"#;
    let r = server.request("PROPPATCH", FILES).as_user(ALICE).xml(body).send().await.status(207);
    assert_eq!(r.prop_status(FILES, "getetag"), Some(403), "{}", r.text());
    assert_eq!(r.prop_status(FILES, "animal"), Some(424), "{}", r.text());

    let ask = propfind_props(&["Z:animal xmlns:Z=\"urn:x-example:zoo\""]);
    let r = server.request("PROPFIND", FILES).as_user(ALICE).depth("0").xml(ask).send().await.status(207);
    assert_eq!(r.prop_status(FILES, "animal"), Some(404), "the failed PROPPATCH stored a property: {}", r.text());
    r.lacks("okapi");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mkcol_creates_once_needs_a_parent_and_refuses_unknown_bodies() {
    let server = TestServer::start().await;
    server.request("MKCOL", FILES).as_user(ALICE).send().await.status(201);
    server.request("MKCOL", FILES).as_user(ALICE).send().await.status(405);
    server.request("MKCOL", &format!("{FILES}no/such/")).as_user(ALICE).send().await.status(409);
    server
        .request("MKCOL", &format!("{FILES}text/"))
        .as_user(ALICE)
        .header("Content-Type", "text/plain")
        .body("make it so")
        .send()
        .await
        .status(415);
    // None of the refused ones exist.
    for p in ["no/", "no/such/", "text/"] {
        server.request("PROPFIND", &format!("{FILES}{p}")).as_user(ALICE).depth("0").send().await.status(404);
    }
    // MKCOL on an existing resource is 405 as well.
    server.http.put(ALICE, &format!("{FILES}r"), "x").await;
    server.request("MKCOL", &format!("{FILES}r")).as_user(ALICE).send().await.status(405);
    // Inside a resource: 409.
    server.request("MKCOL", &format!("{FILES}r/sub/")).as_user(ALICE).send().await.status(409);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn put_get_head_are_byte_exact() {
    let server = server_with_files().await;
    let path = format!("{FILES}blob.bin");
    let payload = binary_payload(70_000);
    let r = server
        .request("PUT", &path)
        .as_user(ALICE)
        .header("Content-Type", "application/x-test-bytes")
        .body(payload.clone())
        .send()
        .await
        .status(201);
    let put_etag = r.etag();
    assert!(put_etag.starts_with('"') && put_etag.ends_with('"'), "strong ETag expected: {put_etag}");

    let r = server.request("GET", &path).as_user(ALICE).send().await.status(200);
    assert_eq!(&r.bytes[..], &payload[..], "GET returned different bytes");
    assert_eq!(r.etag(), put_etag);
    assert_eq!(r.header("content-type"), Some("application/x-test-bytes"));
    assert!(r.header("last-modified").is_some(), "{}", r.describe());

    let r = server.request("HEAD", &path).as_user(ALICE).send().await.status(200);
    assert!(r.bytes.is_empty());
    assert_eq!(r.etag(), put_etag);
    assert_eq!(r.header("content-length"), Some(payload.len().to_string().as_str()));

    // Replacing: 204, a new ETag, the new bytes.
    let r = server.request("PUT", &path).as_user(ALICE).body(b"\x00short".to_vec()).send().await.status(204);
    assert_ne!(r.etag(), put_etag);
    assert_eq!(&server.http.get(ALICE, &path).await[..], b"\x00short");

    // An empty body is a valid resource.
    server.request("PUT", &format!("{FILES}empty")).as_user(ALICE).send().await.status(201);
    let r = server.request("GET", &format!("{FILES}empty")).as_user(ALICE).send().await.status(200);
    assert!(r.bytes.is_empty());

    // A name that needs percent-encoding.
    let odd = format!("{FILES}a%20b%23c%C3%BC.txt");
    server.http.put(ALICE, &odd, "odd").await;
    assert_eq!(&server.http.get(ALICE, &odd).await[..], b"odd");
    let r = server.request("PROPFIND", FILES).as_user(ALICE).depth("1").send().await.status(207);
    assert!(r.hrefs().contains(&odd), "{:?}", r.hrefs());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn put_into_missing_collection_is_409() {
    let server = server_with_files().await;
    server.request("PUT", &format!("{FILES}nope/x")).as_user(ALICE).body("x").send().await.status(409);
    server.request("GET", &format!("{FILES}nope/x")).as_user(ALICE).send().await.status(404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conditional_requests() {
    let server = server_with_files().await;
    let path = format!("{FILES}c.txt");
    let etag = server.http.put(ALICE, &path, "version 1").await;

    // If-Match with a wrong tag: 412, unchanged.
    for wrong in ["\"nope\"", "W/\"nope\"", &format!("W/{etag}")] {
        server.request("PUT", &path).as_user(ALICE).header("If-Match", wrong).body("version 2").send().await.status(412);
        server.request("DELETE", &path).as_user(ALICE).header("If-Match", wrong).send().await.status(412);
    }
    assert_eq!(&server.http.get(ALICE, &path).await[..], b"version 1");

    // If-None-Match: * on an existing resource: 412, unchanged.
    server.request("PUT", &path).as_user(ALICE).header("If-None-Match", "*").body("version 2").send().await.status(412);
    assert_eq!(&server.http.get(ALICE, &path).await[..], b"version 1");
    // … and on a new one: created.
    server.request("PUT", &format!("{FILES}new.txt")).as_user(ALICE).header("If-None-Match", "*").body("n").send().await.status(201);
    // If-Match on a missing resource: 412, not created.
    server.request("PUT", &format!("{FILES}missing.txt")).as_user(ALICE).header("If-Match", "*").body("m").send().await.status(412);
    server.request("GET", &format!("{FILES}missing.txt")).as_user(ALICE).send().await.status(404);

    // If-Match with the right tag (in a list): written.
    let r = server
        .request("PUT", &path)
        .as_user(ALICE)
        .header("If-Match", &format!("\"other\", {etag}"))
        .body("version 2")
        .send()
        .await
        .status(204);
    let etag2 = r.etag();

    // GET If-None-Match with the current tag: 304 without a body; an old tag: 200.
    let r = server.request("GET", &path).as_user(ALICE).header("If-None-Match", &etag2).send().await.status(304);
    assert!(r.bytes.is_empty());
    assert_eq!(r.etag(), etag2);
    let r = server.request("GET", &path).as_user(ALICE).header("If-None-Match", &etag).send().await.status(200);
    assert_eq!(&r.bytes[..], b"version 2");
    // GET If-Match with an old tag: 412.
    server.request("GET", &path).as_user(ALICE).header("If-Match", &etag).send().await.status(412);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn copy_and_move_resources() {
    let server = server_with_files().await;
    let a = format!("{FILES}a.txt");
    let b = format!("{FILES}b.txt");
    let c = format!("{FILES}c.txt");
    server.http.put(ALICE, &a, "AAA").await;
    server.http.put(ALICE, &b, "BBB").await;

    // COPY onto an existing resource with Overwrite: F → 412, both unchanged.
    server.request("COPY", &a).as_user(ALICE).destination(&b).header("Overwrite", "F").send().await.status(412);
    assert_eq!(&server.http.get(ALICE, &b).await[..], b"BBB");
    // MOVE the same → 412, source still there.
    server.request("MOVE", &a).as_user(ALICE).destination(&b).header("Overwrite", "F").send().await.status(412);
    assert_eq!(&server.http.get(ALICE, &a).await[..], b"AAA");

    // COPY to a new name: 201; Overwrite T onto existing: 204.
    server.request("COPY", &a).as_user(ALICE).destination(&c).send().await.status(201);
    assert_eq!(&server.http.get(ALICE, &c).await[..], b"AAA");
    server.request("COPY", &a).as_user(ALICE).destination(&b).header("Overwrite", "T").send().await.status(204);
    assert_eq!(&server.http.get(ALICE, &b).await[..], b"AAA");
    assert_eq!(&server.http.get(ALICE, &a).await[..], b"AAA", "COPY must keep the source");

    // MOVE: source gone, destination has the bytes.
    server.http.put(ALICE, &a, "moved bytes").await;
    server.request("MOVE", &a).as_user(ALICE).destination(&b).send().await.status(204);
    server.request("GET", &a).as_user(ALICE).send().await.status(404);
    assert_eq!(&server.http.get(ALICE, &b).await[..], b"moved bytes");

    // A relative Destination works too.
    server.request("MOVE", &b).as_user(ALICE).header("Destination", &format!("{FILES}d.txt")).send().await.status(201);
    assert_eq!(&server.http.get(ALICE, &format!("{FILES}d.txt")).await[..], b"moved bytes");

    // Destination parent missing → 409, nothing changes.
    server.request("COPY", &c).as_user(ALICE).destination(&format!("{FILES}no/c.txt")).send().await.status(409);
    server.request("MOVE", &c).as_user(ALICE).destination(&format!("{FILES}no/c.txt")).send().await.status(409);
    assert_eq!(&server.http.get(ALICE, &c).await[..], b"AAA");

    // Missing source → 404.
    server.request("COPY", &format!("{FILES}ghost")).as_user(ALICE).destination(&c).send().await.status(404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn copy_keeps_dead_properties() {
    let server = server_with_files().await;
    let a = format!("{FILES}a.txt");
    let b = format!("{FILES}b.txt");
    server.http.put(ALICE, &a, "AAA").await;
    server
        .request("PROPPATCH", &a)
        .as_user(ALICE)
        .xml(r#"<D:propertyupdate xmlns:D="DAV:" xmlns:Z="urn:x-example:zoo"><D:set><D:prop><Z:animal>tapir</Z:animal></D:prop></D:set></D:propertyupdate>"#)
        .send()
        .await
        .status(207);
    server.request("COPY", &a).as_user(ALICE).destination(&b).send().await.status(201);
    let ask = propfind_props(&["Z:animal xmlns:Z=\"urn:x-example:zoo\""]);
    let r = server.request("PROPFIND", &b).as_user(ALICE).depth("0").xml(ask).send().await.status(207);
    assert_eq!(r.prop_status(&b, "animal"), Some(200), "{}", r.text());
    r.contains("tapir");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn copy_and_move_collections() {
    let server = server_with_files().await;
    let dir = format!("{FILES}dir/");
    server.http.mkcol(ALICE, &dir).await;
    server.http.mkcol(ALICE, &format!("{dir}sub/")).await;
    server.http.put(ALICE, &format!("{dir}x"), "X").await;
    server.http.put(ALICE, &format!("{dir}sub/y"), "Y").await;

    // Depth 0: the collection without members.
    let shallow = format!("{FILES}shallow/");
    server.request("COPY", &dir).as_user(ALICE).destination(&shallow).depth("0").send().await.status(201);
    let r = server.request("PROPFIND", &shallow).as_user(ALICE).depth("1").send().await.status(207);
    assert_eq!(r.hrefs(), vec![shallow.clone()]);

    // Depth infinity (the default): everything.
    let deep = format!("{FILES}deep/");
    server.request("COPY", &dir).as_user(ALICE).destination(&deep).send().await.status(201);
    assert_eq!(&server.http.get(ALICE, &format!("{deep}x")).await[..], b"X");
    assert_eq!(&server.http.get(ALICE, &format!("{deep}sub/y")).await[..], b"Y");

    // Copying into itself is refused and changes nothing.
    let r = server.request("COPY", &dir).as_user(ALICE).destination(&format!("{dir}sub/inner/")).send().await;
    assert!(r.code() >= 400, "{}", r.describe());
    server.request("GET", &format!("{dir}sub/inner/x")).as_user(ALICE).send().await.status(404);

    // MOVE a collection: all of it goes.
    let moved = format!("{FILES}moved/");
    server.request("MOVE", &dir).as_user(ALICE).destination(&moved).send().await.status(201);
    assert_eq!(&server.http.get(ALICE, &format!("{moved}sub/y")).await[..], b"Y");
    server.request("GET", &format!("{dir}sub/y")).as_user(ALICE).send().await.status(404);
    server.request("PROPFIND", &dir).as_user(ALICE).depth("0").send().await.status(404);

    // MOVE with Overwrite: T onto an existing collection replaces it wholly.
    server.request("MOVE", &moved).as_user(ALICE).destination(&deep).header("Overwrite", "T").send().await.status(204);
    assert_eq!(&server.http.get(ALICE, &format!("{deep}sub/y")).await[..], b"Y");
    server.request("PROPFIND", &moved).as_user(ALICE).depth("0").send().await.status(404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delete_removes_a_collection_recursively() {
    let server = server_with_files().await;
    let dir = format!("{FILES}dir/");
    server.http.mkcol(ALICE, &dir).await;
    server.http.mkcol(ALICE, &format!("{dir}sub/")).await;
    server.http.put(ALICE, &format!("{dir}sub/deep.txt"), "deep").await;
    server
        .request("PROPPATCH", &format!("{dir}sub/"))
        .as_user(ALICE)
        .xml(r#"<D:propertyupdate xmlns:D="DAV:" xmlns:Z="urn:x-z"><D:set><D:prop><Z:p>stale-prop</Z:p></D:prop></D:set></D:propertyupdate>"#)
        .send()
        .await
        .status(207);

    server.request("DELETE", &dir).as_user(ALICE).send().await.status(204);
    server.request("GET", &format!("{dir}sub/deep.txt")).as_user(ALICE).send().await.status(404);
    server.request("PROPFIND", &format!("{dir}sub/")).as_user(ALICE).depth("0").send().await.status(404);
    server.request("DELETE", &dir).as_user(ALICE).send().await.status(404);

    // Re-creating the same names starts empty: no members, no old properties.
    server.http.mkcol(ALICE, &dir).await;
    server.http.mkcol(ALICE, &format!("{dir}sub/")).await;
    let r = server.request("PROPFIND", &format!("{dir}sub/")).as_user(ALICE).depth("1").xml(PROPFIND_ALLPROP).send().await.status(207);
    assert_eq!(r.hrefs(), vec![format!("{dir}sub/")]);
    r.lacks("stale-prop");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_body_over_the_limit_is_413() {
    let server = TestServer::builder().config(|c| c.max_request_body = 1024).start().await;
    server.http.mkcol(ALICE, FILES).await;
    let path = format!("{FILES}big");
    server.request("PUT", &path).as_user(ALICE).body(vec![b'x'; 1025]).send().await.status(413);
    server.request("GET", &path).as_user(ALICE).send().await.status(404);
    server.request("PUT", &path).as_user(ALICE).body(vec![b'x'; 1024]).send().await.status(201);
    // A PROPFIND body over the limit too.
    let mut huge = String::from(r#"<D:propfind xmlns:D="DAV:"><D:prop>"#);
    while huge.len() < 2000 {
        huge.push_str("<D:getetag/>");
    }
    huge.push_str("</D:prop></D:propfind>");
    server.request("PROPFIND", FILES).as_user(ALICE).depth("0").xml(huge).send().await.status(413);

    // Chunked, without Content-Length: the server must still stop at the limit.
    let mut stream = std::net::TcpStream::connect(server.addr).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let chunk = vec![b'y'; 600];
    let mut req = format!(
        "PUT {FILES}chunked HTTP/1.1\r\nHost: {}\r\nAuthorization: {}\r\nTransfer-Encoding: chunked\r\n\r\n",
        server.addr,
        basic_auth(ALICE, ALICE_PW)
    )
    .into_bytes();
    for _ in 0..3 {
        req.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
        req.extend_from_slice(&chunk);
        req.extend_from_slice(b"\r\n");
    }
    req.extend_from_slice(b"0\r\n\r\n");
    let (status, _, _) = tokio::task::spawn_blocking(move || {
        stream.write_all(&req).unwrap();
        read_response(&mut stream)
    })
    .await
    .unwrap();
    assert_eq!(status, 413);
    server.request("GET", &format!("{FILES}chunked")).as_user(ALICE).send().await.status(404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_xml_is_400() {
    let server = server_with_files().await;
    let bodies: [&[u8]; 4] = [
        b"<D:propfind xmlns:D=\"DAV:\"><D:prop><D:getetag></D:propfind>",
        b"<D:propfind xmlns:D=\"DAV:\"><D:prop><X:unbound/></D:prop></D:propfind>",
        b"this is not xml at all",
        b"<D:propfind xmlns:D=\"DAV:\"><D:prop>\xff\xfe</D:prop></D:propfind>",
    ];
    for body in bodies {
        let r = server.request("PROPFIND", FILES).as_user(ALICE).depth("0").xml(body.to_vec()).send().await;
        assert_eq!(r.code(), 400, "{}\nbody sent: {}", r.describe(), String::from_utf8_lossy(body));
    }
    server.request("PROPPATCH", FILES).as_user(ALICE).xml("<D:propertyupdate xmlns:D=\"DAV:\"><D:set>").send().await.status(400);
    server.request("REPORT", FILES).as_user(ALICE).xml("<<<").send().await.status(400);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_method_is_refused() {
    let server = server_with_files().await;
    let r = server.request("BREW", FILES).as_user(ALICE).body("coffee").send().await;
    assert!(r.code() == 405 || r.code() == 501, "{}", r.describe());
    // … and does not touch anything.
    let r = server.request("PROPFIND", FILES).as_user(ALICE).depth("1").send().await.status(207);
    assert_eq!(r.hrefs(), vec![FILES.to_string()]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_home_gets_a_default_calendar() {
    let server = TestServer::start().await;
    let body = propfind_props(&["D:resourcetype", "D:displayname"]);
    let r = server.request("PROPFIND", HOME).as_user(ALICE).depth("1").xml(body).send().await.status(207);
    let cal = format!("{HOME}calendar/");
    assert_eq!(r.hrefs(), vec![HOME.to_string(), cal.clone()]);
    let text = r.text();
    let responses = split_elements(&text, "response");
    let cal_response = responses.iter().find(|resp| resp.contains(&cal)).unwrap();
    let resourcetype = split_elements(cal_response, "resourcetype").into_iter().next().expect("resourcetype");
    assert!(resourcetype.contains(":calendar/>") && resourcetype.contains(":collection/>"), "{text}");
    let home_response = responses.iter().find(|resp| !resp.contains(&cal)).unwrap();
    let home_type = split_elements(home_response, "resourcetype").into_iter().next().expect("resourcetype");
    assert!(!home_type.contains(":calendar/>"), "the home is not a calendar: {text}");

    // Deleted by the user, it stays deleted (provisioning is once).
    server.request("DELETE", &cal).as_user(ALICE).send().await.status(204);
    let r = server.request("PROPFIND", HOME).as_user(ALICE).depth("1").send().await.status(207);
    assert_eq!(r.hrefs(), vec![HOME.to_string()]);
}

/// Reads one HTTP/1.1 response with Content-Length (or none) from a stream.
fn read_response(stream: &mut std::net::TcpStream) -> (u16, String, Vec<u8>) {
    let mut buf = Vec::new();
    let mut byte = [0u8; 1];
    while !buf.ends_with(b"\r\n\r\n") {
        let n = stream.read(&mut byte).expect("read head");
        assert!(n == 1, "connection closed in the head: {}", String::from_utf8_lossy(&buf));
        buf.push(byte[0]);
    }
    let head = String::from_utf8(buf).unwrap();
    let status: u16 = head.split_whitespace().nth(1).unwrap().parse().unwrap();
    let len = head
        .lines()
        .find_map(|l| l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().parse::<usize>().unwrap()))
        .unwrap_or(0);
    let mut body = vec![0u8; len];
    stream.read_exact(&mut body).expect("read body");
    (status, head, body)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_requests_share_one_connection() {
    let server = server_with_files().await;
    server.http.put(ALICE, &format!("{FILES}k.txt"), "keep-alive").await;
    let addr = server.addr;
    let auth = basic_auth(ALICE, ALICE_PW);
    tokio::task::spawn_blocking(move || {
        let mut stream = std::net::TcpStream::connect(addr).unwrap();
        stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let get = format!("GET {FILES}k.txt HTTP/1.1\r\nHost: {addr}\r\nAuthorization: {auth}\r\n\r\n");
        stream.write_all(get.as_bytes()).unwrap();
        let (status, head, body) = read_response(&mut stream);
        assert_eq!(status, 200, "{head}");
        assert_eq!(body, b"keep-alive");
        assert!(!head.to_ascii_lowercase().contains("connection: close"), "{head}");
        // Second request on the same socket; a 401 must not close it either.
        stream.write_all(format!("GET {FILES}k.txt HTTP/1.1\r\nHost: {addr}\r\n\r\n").as_bytes()).unwrap();
        let (status, _, _) = read_response(&mut stream);
        assert_eq!(status, 401);
        let propfind = PROPFIND_ALLPROP;
        stream
            .write_all(
                format!(
                    "PROPFIND {FILES} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: {auth}\r\nDepth: 1\r\nContent-Type: application/xml\r\nContent-Length: {}\r\n\r\n{propfind}",
                    propfind.len()
                )
                .as_bytes(),
            )
            .unwrap();
        let (status, _, body) = read_response(&mut stream);
        assert_eq!(status, 207);
        assert!(String::from_utf8_lossy(&body).contains("k.txt"));
    })
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn put_onto_a_collection_is_refused_and_keeps_its_members() {
    let server = server_with_files().await;
    let dir = format!("{FILES}dir/");
    server.http.mkcol(ALICE, &dir).await;
    server.http.put(ALICE, &format!("{dir}inner.txt"), "inner").await;
    for path in [dir.clone(), dir.trim_end_matches('/').to_string()] {
        let r = server.request("PUT", &path).as_user(ALICE).body("flat").send().await;
        assert!([405, 409].contains(&r.code()), "{}", r.describe());
    }
    assert_eq!(&server.http.get(ALICE, &format!("{dir}inner.txt")).await[..], b"inner");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn copy_and_move_refuse_bad_headers() {
    let server = server_with_files().await;
    let a = format!("{FILES}a.txt");
    server.http.put(ALICE, &a, "A").await;
    // No Destination.
    server.request("COPY", &a).as_user(ALICE).send().await.status(400);
    // An Overwrite that is neither T nor F.
    server.request("COPY", &a).as_user(ALICE).destination(&format!("{FILES}b.txt")).header("Overwrite", "maybe").send().await.status(400);
    server.request("GET", &format!("{FILES}b.txt")).as_user(ALICE).send().await.status(404);
    // Onto itself.
    let r = server.request("MOVE", &a).as_user(ALICE).destination(&a).send().await;
    assert_eq!(r.code(), 403, "{}", r.describe());
    assert_eq!(&server.http.get(ALICE, &a).await[..], b"A");
}

const SYNC_INITIAL: &str = r#"<?xml version="1.0" encoding="utf-8"?><D:sync-collection xmlns:D="DAV:"><D:sync-token/><D:sync-level>1</D:sync-level><D:prop><D:getetag/></D:prop></D:sync-collection>"#;

fn sync_request(token: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="utf-8"?><D:sync-collection xmlns:D="DAV:"><D:sync-token>{token}</D:sync-token><D:sync-level>1</D:sync-level><D:prop><D:getetag/></D:prop></D:sync-collection>"#
    )
}

fn sync_token_of(r: &Resp) -> String {
    split_elements(&r.text(), "sync-token").into_iter().next().unwrap_or_else(|| panic!("no sync-token: {}", r.describe()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_collection_on_a_plain_collection_reports_changes() {
    let server = server_with_files().await;
    let f = |n: &str| format!("{FILES}{n}");
    server.http.put(ALICE, &f("a"), "A").await;
    server.http.put(ALICE, &f("b"), "B").await;
    let r = server.request("REPORT", FILES).as_user(ALICE).depth("0").xml(SYNC_INITIAL).send().await.status(207);
    let mut hrefs = r.hrefs();
    hrefs.sort();
    assert_eq!(hrefs, vec![f("a"), f("b")]);
    let token1 = sync_token_of(&r);

    // Nothing changed: nothing reported, same token.
    let r = server.request("REPORT", FILES).as_user(ALICE).depth("0").xml(sync_request(&token1)).send().await.status(207);
    assert!(r.hrefs().is_empty(), "{}", r.text());
    assert_eq!(sync_token_of(&r), token1);

    // Change a, delete b, add c, move c to d, copy a to e.
    server.http.put(ALICE, &f("a"), "A2").await;
    server.request("DELETE", &f("b")).as_user(ALICE).send().await.status(204);
    server.http.put(ALICE, &f("c"), "C").await;
    server.request("MOVE", &f("c")).as_user(ALICE).destination(&f("d")).send().await.status(201);
    server.request("COPY", &f("a")).as_user(ALICE).destination(&f("e")).send().await.status(201);
    let r = server.request("REPORT", FILES).as_user(ALICE).depth("0").xml(sync_request(&token1)).send().await.status(207);
    let text = r.text();
    let mut hrefs = r.hrefs();
    hrefs.sort();
    hrefs.dedup();
    assert_eq!(hrefs, vec![f("a"), f("b"), f("c"), f("d"), f("e")], "{text}");
    for gone in ["b", "c"] {
        let resp = split_elements(&text, "response").into_iter().find(|x| x.contains(&format!("{}<", f(gone)))).unwrap();
        assert!(resp.contains("404"), "{gone} should be reported deleted: {text}");
    }
    let token2 = sync_token_of(&r);
    assert_ne!(token1, token2);

    // A token of another (re-created) collection is refused.
    server.request("DELETE", FILES).as_user(ALICE).send().await.status(204);
    server.http.mkcol(ALICE, FILES).await;
    server
        .request("REPORT", FILES)
        .as_user(ALICE)
        .depth("0")
        .xml(sync_request(&token2))
        .send()
        .await
        .status(403)
        .contains("valid-sync-token");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_body_is_never_read_as_a_second_request() {
    let server = TestServer::builder().config(|c| c.max_request_body = 1024).start().await;
    server.http.mkcol(ALICE, FILES).await;
    let addr = server.addr;
    let auth = basic_auth(ALICE, ALICE_PW);
    // The oversized body is itself a complete request to create a file.
    let inner = format!("PUT {FILES}smuggled HTTP/1.1\r\nHost: {addr}\r\nAuthorization: {auth}\r\nContent-Length: 3\r\n\r\nbad");
    let mut body = inner.clone().into_bytes();
    body.resize(2048, b' ');
    body[inner.len()..].fill(b'\n');
    let (status, follow_up) = tokio::task::spawn_blocking(move || {
        let mut s = std::net::TcpStream::connect(addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let head = format!("PUT {FILES}outer HTTP/1.1\r\nHost: {addr}\r\nAuthorization: {auth}\r\nContent-Length: {}\r\n\r\n", body.len());
        s.write_all(head.as_bytes()).unwrap();
        let _ = s.write_all(&body);
        let (status, _, _) = read_response(&mut s);
        // Whatever comes next on this connection must not be an answer to the smuggled PUT.
        let mut rest = Vec::new();
        let _ = s.read_to_end(&mut rest);
        (status, String::from_utf8_lossy(&rest).into_owned())
    })
    .await
    .unwrap();
    assert_eq!(status, 413);
    assert!(!follow_up.contains("HTTP/1.1 201"), "the body was run as a request: {follow_up}");
    server.request("GET", &format!("{FILES}smuggled")).as_user(ALICE).send().await.status(404);
    server.request("GET", &format!("{FILES}outer")).as_user(ALICE).send().await.status(404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn percent_encoded_destination_is_decoded() {
    let server = server_with_files().await;
    let a = format!("{FILES}a.txt");
    server.http.put(ALICE, &a, "A").await;
    server.request("COPY", &a).as_user(ALICE).destination(&format!("{FILES}with%20space%C3%A9.txt")).send().await.status(201);
    let r = server.request("PROPFIND", FILES).as_user(ALICE).depth("1").send().await.status(207);
    assert!(r.hrefs().contains(&format!("{FILES}with%20space%C3%A9.txt")), "{:?}", r.hrefs());
    assert_eq!(&server.http.get(ALICE, &format!("{FILES}with%20space%C3%A9.txt")).await[..], b"A");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn extended_mkcol_sets_properties() {
    let server = TestServer::start().await;
    let body = r#"<?xml version="1.0" encoding="utf-8"?>
<D:mkcol xmlns:D="DAV:" xmlns:Z="urn:x-z"><D:set><D:prop>
  <D:resourcetype><D:collection/></D:resourcetype>
  <D:displayname>My Files</D:displayname>
  <Z:colour>amber</Z:colour>
</D:prop></D:set></D:mkcol>"#;
    server.request("MKCOL", FILES).as_user(ALICE).xml(body).send().await.status(201);
    let r = server
        .request("PROPFIND", FILES)
        .as_user(ALICE)
        .depth("0")
        .xml(propfind_props(&["D:displayname", "D:resourcetype", "Z:colour xmlns:Z=\"urn:x-z\""]))
        .send()
        .await
        .status(207);
    r.contains("My Files").contains("amber").lacks(":calendar/>");
}
