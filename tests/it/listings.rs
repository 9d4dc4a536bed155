//! Listings at serialisation speed (issue 16): a PROPFIND Depth 1 or an
//! initial sync-collection asking only for `getetag`/`resourcetype` is
//! written straight from each member's stored head. These tests check,
//! over real HTTP, that the answer is the one a client got before: every
//! member's `DAV:response` is byte for byte what a Depth 0 PROPFIND of that
//! member answers (which still builds it property by property), hrefs are
//! percent-encoded the same, member collections keep their resourcetype,
//! and the initial sync's token carries on into deltas.

use crate::caldav::{event, put_ok, report, CAL, HOME};
use crate::common::*;

/// Member names as their hrefs are written: some need percent-encoding.
const NAMES: [&str; 5] = ["plain.ics", "with%20space.ics", "gr%C3%BC%C3%9Fe.ics", "x_y-z.ics", "%E2%82%AC.ics"];

fn prop_body(props: &[&str]) -> String {
    propfind_props(props)
}

/// The `<D:response>…</D:response>` elements of a multistatus, verbatim.
fn responses(xml: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = xml;
    while let Some(i) = rest.find("<D:response>") {
        let end = rest[i..].find("</D:response>").expect("closed response") + i + "</D:response>".len();
        out.push(rest[i..end].to_string());
        rest = &rest[end..];
    }
    out
}

/// The one response of a Depth 0 PROPFIND of `href`.
async fn depth0_response(server: &TestServer, href: &str, body: &str) -> String {
    let r = server.request("PROPFIND", href).as_user(ALICE).depth("0").xml(body.to_string()).send().await.status(207);
    let mut all = responses(&r.text());
    assert_eq!(all.len(), 1, "{}", r.text());
    all.remove(0)
}

async fn calendar_with_members(server: &TestServer) -> Vec<String> {
    let mut hrefs = Vec::new();
    for (i, name) in NAMES.iter().enumerate() {
        let href = format!("{CAL}{name}");
        put_ok(server, &href, event(&format!("listing-{i}"), &[&format!("DTSTART:2026060{}T080000Z", i + 1)])).await;
        hrefs.push(href);
    }
    hrefs
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn propfind_depth1_etag_listing_answers_each_member_as_depth0_does() {
    let server = TestServer::start().await;
    calendar_with_members(&server).await;
    for props in [vec!["D:getetag"], vec!["D:resourcetype", "D:getetag"], vec!["D:getetag", "D:resourcetype"]] {
        let body = prop_body(&props);
        let r = server.request("PROPFIND", CAL).as_user(ALICE).depth("1").xml(body.clone()).send().await.status(207);
        let listed = responses(&r.text());
        assert_eq!(listed.len(), NAMES.len() + 1, "{}", r.text());
        // The calendar itself first, then its members.
        assert_eq!(listed[0], depth0_response(&server, CAL, &body).await);
        for resp in &listed[1..] {
            let href = split_elements(resp, "href").remove(0);
            assert!(href.starts_with(CAL) && href.len() > CAL.len(), "{resp}");
            assert_eq!(*resp, depth0_response(&server, &href, &body).await, "member {href}");
        }
        let mut hrefs: Vec<String> = listed[1..].iter().map(|x| split_elements(x, "href").remove(0)).collect();
        hrefs.sort();
        let mut expected: Vec<String> = NAMES.iter().map(|n| format!("{CAL}{n}")).collect();
        expected.sort();
        assert_eq!(hrefs, expected);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plain_collection_lists_files_and_member_collections_alike() {
    let server = TestServer::start().await;
    let files = format!("{HOME}files/");
    server.http.mkcol(ALICE, &files).await;
    server.http.mkcol(ALICE, &format!("{files}sub/")).await;
    server.http.put(ALICE, &format!("{files}note%20one.txt"), "hello").await;
    let body = prop_body(&["D:resourcetype", "D:getetag"]);
    let r = server.request("PROPFIND", &files).as_user(ALICE).depth("1").xml(body.clone()).send().await.status(207);
    let listed = responses(&r.text());
    assert_eq!(listed.len(), 3, "{}", r.text());
    for resp in &listed {
        let href = split_elements(resp, "href").remove(0);
        assert_eq!(*resp, depth0_response(&server, &href, &body).await, "member {href}");
    }
    let sub = listed.iter().find(|x| x.contains("/sub/")).expect("the member collection is listed");
    assert!(sub.contains("<D:collection/>") && sub.contains("404"), "a collection has no etag: {sub}");
    // The home lists its calendars (collections) the same way.
    let r = server.request("PROPFIND", HOME).as_user(ALICE).depth("1").xml(body.clone()).send().await.status(207);
    for resp in responses(&r.text()) {
        let href = split_elements(&resp, "href").remove(0);
        assert_eq!(resp, depth0_response(&server, &href, &body).await, "member {href}");
    }
}

fn sync_body(token: &str, props: &str) -> String {
    let token = if token.is_empty() { "<D:sync-token/>".to_string() } else { format!("<D:sync-token>{token}</D:sync-token>") };
    format!(
        r#"<?xml version="1.0" encoding="utf-8"?><D:sync-collection xmlns:D="DAV:">{token}<D:sync-level>1</D:sync-level><D:prop>{props}</D:prop></D:sync-collection>"#
    )
}

fn token_after_responses(xml: &str) -> String {
    let tail = xml.rfind("</D:response>").map(|i| &xml[i..]).unwrap_or(xml);
    split_elements(tail, "sync-token").remove(0).trim().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_initial_sync_lists_current_members_with_the_collections_token() {
    let server = TestServer::start().await;
    let hrefs = calendar_with_members(&server).await;
    // Changes before the initial sync: one member changed twice, one gone.
    put_ok(&server, &hrefs[0], event("listing-0", &["DTSTART:20260601T090000Z"])).await;
    server.request("DELETE", &hrefs[1]).as_user(ALICE).send().await.status_in(&[200, 204]);
    let body = sync_body("", "<D:getetag/>");
    let r = report(&server, CAL, body).await.status(207);
    let text = r.text();
    let listed = responses(&text);
    assert_eq!(listed.len(), NAMES.len() - 1, "each current member once, the removed one not at all: {text}");
    let getetag = prop_body(&["D:getetag"]);
    for resp in &listed {
        let href = split_elements(resp, "href").remove(0);
        assert_ne!(href, hrefs[1]);
        assert_eq!(*resp, depth0_response(&server, &href, &getetag).await, "member {href}");
    }
    let token = token_after_responses(&text);
    let prop = server
        .request("PROPFIND", CAL)
        .as_user(ALICE)
        .depth("0")
        .xml(prop_body(&["D:sync-token"]))
        .send()
        .await
        .status(207);
    assert_eq!(split_elements(&prop.text(), "sync-token").remove(0).trim(), token);

    // The token carries on: a delta has only what changed after it.
    let added = format!("{CAL}added.ics");
    put_ok(&server, &added, event("listing-added", &["DTSTART:20260610T080000Z"])).await;
    server.request("DELETE", &hrefs[2]).as_user(ALICE).send().await.status_in(&[200, 204]);
    let r = report(&server, CAL, sync_body(&token, "<D:getetag/>")).await.status(207);
    let mut changed = r.hrefs();
    changed.sort();
    let mut expected = vec![added, hrefs[2].clone()];
    expected.sort();
    assert_eq!(changed, expected, "{}", r.text());
    assert_eq!(r.prop_status(&hrefs[2], "getetag"), None, "the removed member is a bare 404");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_initial_sync_asking_for_more_than_etags_still_answers_it() {
    let server = TestServer::start().await;
    calendar_with_members(&server).await;
    let r = report(&server, CAL, sync_body("", "<D:getetag/><D:getcontenttype/>")).await.status(207);
    let listed = responses(&r.text());
    assert_eq!(listed.len(), NAMES.len());
    assert!(listed.iter().all(|x| x.contains("text/calendar")), "{}", r.text());
}

/// A listing longer than one chunk goes out while it is written
/// (chunked, no `Content-Length`), and is still the whole document: every
/// member once, the sync token at the end. Answers of a page or two stay
/// whole, with their length.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_listing_is_streamed_and_arrives_whole() {
    let server = TestServer::start().await;
    const MEMBERS: usize = 1_200; // about 280 kB of multistatus: several chunks
    for i in 0..MEMBERS {
        put_ok(&server, &format!("{CAL}m{i:05}.ics"), event(&format!("stream-{i}"), &["DTSTART:20260601T080000Z"])).await;
    }
    let body = prop_body(&["D:getetag"]);
    let r = server.request("PROPFIND", CAL).as_user(ALICE).depth("1").xml(body.clone()).send().await.status(207);
    assert_eq!(r.header("content-length"), None, "a long listing is not built whole first");
    assert_eq!(r.header("transfer-encoding"), Some("chunked"));
    let text = r.text();
    assert!(text.trim_end().ends_with("</D:multistatus>"), "the document is complete");
    let listed = responses(&text);
    assert_eq!(listed.len(), MEMBERS + 1);
    for i in [0, MEMBERS / 2, MEMBERS - 1] {
        let href = format!("{CAL}m{i:05}.ics");
        assert!(listed.contains(&depth0_response(&server, &href, &body).await), "{href} listed as Depth 0 answers it");
    }
    let sync = report(&server, CAL, sync_body("", "<D:getetag/>")).await.status(207);
    assert_eq!(sync.header("transfer-encoding"), Some("chunked"));
    let text = sync.text();
    assert_eq!(responses(&text).len(), MEMBERS);
    assert!(text.contains("<D:sync-token>"), "the token follows the members");

    let short = server.request("PROPFIND", "/dav/calendars/alice/").as_user(ALICE).depth("1").xml(body).send().await.status(207);
    assert!(short.header("content-length").is_some(), "a short answer keeps its length");
}
