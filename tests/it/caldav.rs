//! CalDAV (RFC 4791, RFC 6578, RFC 6764, RFC 5689) over real HTTP: what
//! Apple Calendar, Thunderbird, DAVx5, python-caldav and vdirsyncer rely on.
//! One module per area; this file holds what they share.

#[path = "caldav_clients.rs"]
mod clients;
#[path = "caldav_collections.rs"]
mod collections;
#[path = "caldav_discovery.rs"]
mod discovery;
#[path = "caldav_method_preconditions.rs"]
mod method_preconditions;
#[path = "caldav_preconditions.rs"]
mod preconditions;
#[path = "caldav_put.rs"]
mod put;
#[path = "caldav_report_preconditions.rs"]
mod report_preconditions;
#[path = "caldav_reports.rs"]
mod reports;
#[path = "caldav_sync.rs"]
mod sync;

use crate::common::*;

pub const PRINCIPAL: &str = "/dav/principals/alice/";
pub const HOME: &str = "/dav/calendars/alice/";
/// The calendar every home starts with.
pub const CAL: &str = "/dav/calendars/alice/calendar/";

pub const NS_DECLS: &str = r#"xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav" xmlns:CS="http://calendarserver.org/ns/" xmlns:ICAL="http://apple.com/ns/ical/""#;

/// The bytes of a file under `fixtures/`.
pub fn fixture(rel: &str) -> Vec<u8> {
    let path = format!("{}/fixtures/{rel}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("fixture {path}: {e}"))
}

/// A fixture as text.
pub fn fixture_text(rel: &str) -> String {
    String::from_utf8(fixture(rel)).expect("fixture is UTF-8")
}

/// A VCALENDAR around `components` (each already CRLF-terminated).
pub fn vcalendar(components: &[String]) -> String {
    let mut s = String::from("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//slotdav tests//EN\r\n");
    for c in components {
        s.push_str(c);
    }
    s.push_str("END:VCALENDAR\r\n");
    s
}

/// A component of `kind` (`VEVENT`, `VTODO`…) with UID, DTSTAMP and `props`.
pub fn component(kind: &str, uid: &str, props: &[&str]) -> String {
    let mut s = format!("BEGIN:{kind}\r\nUID:{uid}\r\nDTSTAMP:20260101T000000Z\r\n");
    for p in props {
        s.push_str(p);
        s.push_str("\r\n");
    }
    s.push_str(&format!("END:{kind}\r\n"));
    s
}

/// A calendar object with one VEVENT.
pub fn event(uid: &str, props: &[&str]) -> String {
    vcalendar(&[component("VEVENT", uid, props)])
}

/// A calendar object with one VTODO.
pub fn todo(uid: &str, props: &[&str]) -> String {
    vcalendar(&[component("VTODO", uid, props)])
}

/// `PUT` with `Content-Type: text/calendar`, not checking the status.
pub async fn put_ics(server: &TestServer, path: &str, body: impl Into<Vec<u8>>) -> Resp {
    server
        .request("PUT", path)
        .as_user(ALICE)
        .header("Content-Type", "text/calendar; charset=utf-8")
        .body(body)
        .send()
        .await
}

/// `PUT` of a calendar object that must be accepted (201 or 204).
pub async fn put_ok(server: &TestServer, path: &str, body: impl Into<Vec<u8>>) -> String {
    let r = put_ics(server, path, body).await;
    assert!(r.code() == 201 || r.code() == 204, "{}", r.describe());
    r.etag()
}

/// `REPORT` with Depth 1 on `path` as alice.
pub async fn report(server: &TestServer, path: &str, body: impl Into<Vec<u8>>) -> Resp {
    server.request("REPORT", path).as_user(ALICE).depth("1").xml(body).send().await
}

/// `PROPFIND` as alice.
pub async fn propfind(server: &TestServer, path: &str, depth: &str, body: impl Into<Vec<u8>>) -> Resp {
    server.request("PROPFIND", path).as_user(ALICE).depth(depth).xml(body).send().await
}

/// A calendar-query asking for getetag (and calendar-data when `data`),
/// with `filter` inside `<C:filter>`.
pub fn calendar_query(data: &str, filter: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="utf-8"?><C:calendar-query {NS_DECLS}><D:prop><D:getetag/>{data}</D:prop><C:filter>{filter}</C:filter></C:calendar-query>"#
    )
}

/// A calendar-query for VEVENTs overlapping `[start, end)`.
pub fn event_time_range_query(start: &str, end: &str) -> String {
    calendar_query(
        "",
        &format!(r#"<C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT"><C:time-range start="{start}" end="{end}"/></C:comp-filter></C:comp-filter>"#),
    )
}

/// The inner text of the first element with local name `local` in
/// `xml` within the response for `href` (or anywhere when `href` is None),
/// with the XML entities of calendar data decoded.
pub fn prop_text(r: &Resp, href: Option<&str>, local: &str) -> Option<String> {
    let text = r.text();
    let scope = match href {
        None => text,
        Some(h) => split_elements(&text, "response")
            .into_iter()
            .find(|resp| split_elements(resp, "href").first().map(|x| x.trim() == h).unwrap_or(false))?,
    };
    split_elements(&scope, local).into_iter().next().map(|s| unescape(&s))
}

/// XML character data as text.
pub fn unescape(s: &str) -> String {
    s.replace("&#13;", "\r")
        .replace("&#xD;", "\r")
        .replace("&#xd;", "\r")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

/// The hrefs of a multistatus, sorted, without the ones in `except`.
pub fn sorted_hrefs(r: &Resp, except: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = r.hrefs().into_iter().filter(|h| !except.contains(&h.as_str())).collect();
    v.sort();
    v
}

/// The sync-token and getctag of a collection.
pub async fn tokens(server: &TestServer, path: &str) -> (String, String) {
    let r = propfind(server, path, "0", propfind_props(&["D:sync-token", "CS:getctag"])).await.status(207);
    let sync = prop_text(&r, Some(path), "sync-token").expect("sync-token");
    let ctag = prop_text(&r, Some(path), "getctag").expect("getctag");
    (sync.trim().to_string(), ctag.trim().to_string())
}

/// MKCALENDAR without a body, expecting 201.
pub async fn mkcalendar(server: &TestServer, path: &str) {
    server.request("MKCALENDAR", path).as_user(ALICE).send().await.status(201);
}
