//! Change detection: `DAV:sync-collection` (RFC 6578) and the
//! calendarserver `getctag` that older clients poll.

use super::*;

fn sync_body(token: &str, limit: Option<u32>) -> String {
    let token = if token.is_empty() { "<D:sync-token/>".to_string() } else { format!("<D:sync-token>{token}</D:sync-token>") };
    let limit = limit.map(|n| format!("<D:limit><D:nresults>{n}</D:nresults></D:limit>")).unwrap_or_default();
    format!(
        r#"<?xml version="1.0" encoding="utf-8"?><D:sync-collection xmlns:D="DAV:">{token}<D:sync-level>1</D:sync-level>{limit}<D:prop><D:getetag/></D:prop></D:sync-collection>"#
    )
}

/// The multistatus-level sync-token of a sync-collection answer.
fn token_of(r: &Resp) -> String {
    // The response-level one is the last sync-token element (the only one
    // outside the responses).
    let text = r.text();
    let after = text.rfind("</D:response>").map(|i| &text[i..]).unwrap_or(&text);
    split_elements(after, "sync-token").into_iter().next().unwrap_or_else(|| panic!("no sync-token: {text}")).trim().to_string()
}

/// The status code of the response for `href`, when it has a plain status
/// rather than propstats.
fn member_status(r: &Resp, href: &str) -> Option<u16> {
    let text = r.text();
    let resp = split_elements(&text, "response").into_iter().find(|x| split_elements(x, "href").first().is_some_and(|h| h.trim() == href))?;
    if resp.contains("propstat") {
        return None;
    }
    split_elements(&resp, "status").first().and_then(|s| s.split_whitespace().nth(1)).and_then(|c| c.parse().ok())
}

/// RFC 6578 §3.2–3.5: the initial sync lists every member with a token;
/// later syncs list only what was added, changed (with the new ETag) or
/// removed (as 404), and nothing once the client is up to date.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rfc6578_3_initial_and_incremental_sync() {
    let server = TestServer::start().await;
    let (a, b, c) = (format!("{CAL}a.ics"), format!("{CAL}b.ics"), format!("{CAL}c.ics"));
    put_ok(&server, &a, event("sync-a", &["DTSTART:20260601T080000Z"])).await;
    let etag_b = put_ok(&server, &b, event("sync-b", &["DTSTART:20260602T080000Z"])).await;

    let r = report(&server, CAL, sync_body("", None)).await.status(207);
    assert_eq!(sorted_hrefs(&r, &[]), vec![a.clone(), b.clone()], "{}", r.text());
    assert_eq!(prop_text(&r, Some(&b), "getetag").unwrap(), etag_b);
    let t1 = token_of(&r);
    assert_eq!(t1, tokens(&server, CAL).await.0, "the report's token is the collection's sync-token");

    put_ok(&server, &c, event("sync-c", &["DTSTART:20260603T080000Z"])).await;
    let etag_a2 = put_ok(&server, &a, event("sync-a", &["DTSTART:20260601T090000Z", "SUMMARY:changed"])).await;
    server.request("DELETE", &b).as_user(ALICE).send().await.status_in(&[200, 204]);

    let r = report(&server, CAL, sync_body(&t1, None)).await.status(207);
    assert_eq!(sorted_hrefs(&r, &[]), vec![a.clone(), b.clone(), c.clone()], "{}", r.text());
    assert_eq!(prop_text(&r, Some(&a), "getetag").unwrap(), etag_a2);
    assert_eq!(r.prop_status(&c, "getetag"), Some(200));
    assert_eq!(member_status(&r, &b), Some(404), "{}", r.text());
    let t2 = token_of(&r);
    assert_ne!(t1, t2);

    let r = report(&server, CAL, sync_body(&t2, None)).await.status(207);
    assert!(r.hrefs().is_empty(), "{}", r.text());
    assert_eq!(token_of(&r), t2);

    // The old token still works and gives the same delta.
    let r = report(&server, CAL, sync_body(&t1, None)).await.status(207);
    assert_eq!(sorted_hrefs(&r, &[]), vec![a, b, c]);
}

/// RFC 6578 §3.2: a member added and removed between two syncs is either
/// absent or a 404; one removed before the initial sync never appears.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rfc6578_3_2_removed_before_initial_sync_is_not_reported() {
    let server = TestServer::start().await;
    let gone = format!("{CAL}gone.ics");
    put_ok(&server, &gone, event("gone", &["DTSTART:20260601T080000Z"])).await;
    server.request("DELETE", &gone).as_user(ALICE).send().await.status_in(&[200, 204]);
    let r = report(&server, CAL, sync_body("", None)).await.status(207);
    assert!(r.hrefs().is_empty(), "{}", r.text());
}

/// RFC 6578 §3.2, §6.2: a token the server never gave out (or gave for
/// another collection) is 403 with `DAV:valid-sync-token`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rfc6578_3_2_invalid_sync_token() {
    let server = TestServer::start().await;
    mkcalendar(&server, "/dav/calendars/alice/other/").await;
    let (other_token, _) = tokens(&server, "/dav/calendars/alice/other/").await;
    for bad in [
        "http://radicale.org/ns/sync/e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "not a token",
        other_token.as_str(),
        "http://slotdav.org/ns/sync/ffffffffffffffff-99",
    ] {
        let r = report(&server, CAL, sync_body(bad, None)).await;
        assert_eq!(r.code(), 403, "{bad}: {}", r.describe());
        r.contains("<D:error").contains("valid-sync-token");
    }
    // A token from the future of this very collection.
    let (mine, _) = tokens(&server, CAL).await;
    let future = match mine.rsplit_once('-') {
        Some((base, rev)) => format!("{base}-{}", rev.parse::<u64>().unwrap_or(0) + 1000),
        None => format!("{mine}x"),
    };
    let r = report(&server, CAL, sync_body(&future, None)).await;
    assert_eq!(r.code(), 403, "{future}: {}", r.describe());
    r.contains("valid-sync-token");
}

/// RFC 6578 §3.6: with `DAV:limit`, the server answers at most that many
/// members, a 507 response for the collection, and a token from which the
/// client continues until it has everything.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rfc6578_3_6_truncated_results_continue_from_the_token() {
    let server = TestServer::start().await;
    let mut expected = Vec::new();
    for i in 0..5 {
        let path = format!("{CAL}n{i}.ics");
        put_ok(&server, &path, event(&format!("limit-{i}"), &["DTSTART:20260601T080000Z"])).await;
        expected.push(path);
    }
    let mut seen: Vec<String> = Vec::new();
    let mut token = String::new();
    let mut rounds = 0;
    loop {
        rounds += 1;
        assert!(rounds < 10, "no end to truncated syncs");
        let r = report(&server, CAL, sync_body(&token, Some(2))).await.status(207);
        let members = sorted_hrefs(&r, &[CAL]);
        assert!(members.len() <= 2, "limit ignored: {}", r.text());
        let truncated = r.hrefs().iter().any(|h| h == CAL);
        if truncated {
            assert_eq!(member_status(&r, CAL), Some(507), "{}", r.text());
            r.clone().contains("number-of-matches-within-limits");
        }
        seen.extend(members);
        token = token_of(&r);
        if !truncated {
            break;
        }
    }
    assert!(rounds >= 3, "5 members in pages of 2 take 3 rounds, took {rounds}");
    seen.sort();
    seen.dedup();
    assert_eq!(seen, expected);
}

/// calendarserver's getctag and RFC 6578's sync-token change with every
/// PUT and DELETE in the collection, and not when it is only read.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn getctag_and_sync_token_change_on_every_write_only() {
    let server = TestServer::start().await;
    let obj = format!("{CAL}ctag.ics");
    let mut seen = vec![tokens(&server, CAL).await];
    let check_new = |seen: &mut Vec<(String, String)>, now: (String, String), what: &str| {
        for old in seen.iter() {
            assert_ne!(old.0, now.0, "sync-token unchanged after {what}");
            assert_ne!(old.1, now.1, "getctag unchanged after {what}");
        }
        seen.push(now);
    };

    put_ok(&server, &obj, event("ctag", &["DTSTART:20260601T080000Z"])).await;
    check_new(&mut seen, tokens(&server, CAL).await, "PUT (create)");
    put_ok(&server, &obj, event("ctag", &["DTSTART:20260601T090000Z"])).await;
    check_new(&mut seen, tokens(&server, CAL).await, "PUT (modify)");

    // Reads change nothing.
    let before = tokens(&server, CAL).await;
    server.http.get(ALICE, &obj).await;
    server.request("HEAD", &obj).as_user(ALICE).send().await.status(200);
    propfind(&server, CAL, "1", propfind_props(&["D:getetag"])).await.status(207);
    report(&server, CAL, event_time_range_query("20260101T000000Z", "20270101T000000Z")).await.status(207);
    report(&server, CAL, sync_body("", None)).await.status(207);
    assert_eq!(tokens(&server, CAL).await, before, "a read changed the tokens");

    server.request("DELETE", &obj).as_user(ALICE).send().await.status_in(&[200, 204]);
    check_new(&mut seen, tokens(&server, CAL).await, "DELETE");

    // A refused PUT changes nothing either.
    let before = tokens(&server, CAL).await;
    put_ics(&server, &obj, "garbage").await.status(403);
    assert_eq!(tokens(&server, CAL).await, before, "a refused PUT changed the tokens");

    // Writes elsewhere do not touch this calendar.
    mkcalendar(&server, "/dav/calendars/alice/elsewhere/").await;
    put_ok(&server, "/dav/calendars/alice/elsewhere/x.ics", event("elsewhere", &["DTSTART:20260601T080000Z"])).await;
    assert_eq!(tokens(&server, CAL).await, before, "a write in another calendar changed the tokens");
}

/// RFC 6578 §3.2: a calendar deleted and made again under the same name
/// is a new collection; tokens of the old one are invalid for it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rfc6578_3_2_tokens_do_not_survive_recreation() {
    let server = TestServer::start().await;
    let cal = "/dav/calendars/alice/phoenix/";
    mkcalendar(&server, cal).await;
    put_ok(&server, &format!("{cal}a.ics"), event("phoenix-a", &["DTSTART:20260601T080000Z"])).await;
    let (old, _) = tokens(&server, cal).await;
    server.request("DELETE", cal).as_user(ALICE).send().await.status_in(&[200, 204]);
    mkcalendar(&server, cal).await;
    let r = report(&server, cal, sync_body(&old, None)).await;
    assert_eq!(r.code(), 403, "an old token must not give an empty delta: {}", r.describe());
    r.contains("valid-sync-token");
}

/// RFC 6578 §3.6 with removals in the log: truncation still ends with
/// every change reported once the client follows the tokens.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rfc6578_3_6_truncated_incremental_sync_with_removals() {
    let server = TestServer::start().await;
    for i in 0..4 {
        put_ok(&server, &format!("{CAL}r{i}.ics"), event(&format!("rm-{i}"), &["DTSTART:20260601T080000Z"])).await;
    }
    let (t0, _) = tokens(&server, CAL).await;
    for i in 0..3 {
        server.request("DELETE", &format!("{CAL}r{i}.ics")).as_user(ALICE).send().await.status_in(&[200, 204]);
    }
    put_ok(&server, &format!("{CAL}r9.ics"), event("rm-9", &["DTSTART:20260601T080000Z"])).await;
    let mut token = t0;
    let mut removed = Vec::new();
    let mut added = Vec::new();
    for _ in 0..10 {
        let r = report(&server, CAL, sync_body(&token, Some(1))).await.status(207);
        for h in sorted_hrefs(&r, &[CAL]) {
            match member_status(&r, &h) {
                Some(404) => removed.push(h),
                _ => added.push(h),
            }
        }
        token = token_of(&r);
        if !r.hrefs().iter().any(|h| h == CAL) {
            break;
        }
    }
    removed.sort();
    assert_eq!(removed, (0..3).map(|i| format!("{CAL}r{i}.ics")).collect::<Vec<_>>());
    assert_eq!(added, vec![format!("{CAL}r9.ics")]);
}
