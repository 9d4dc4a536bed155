//! The shape of the crate: DAV handlers run without the booking service,
//! and the top-level module graph stays acyclic (issue 9).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use bytes::Bytes;
use chrono::{TimeZone, Utc};
use http_body_util::BodyExt;
use hyper::{HeaderMap, Method, StatusCode};
use slotdav::clock::{Clock, ManualClock};
use slotdav::dav::methods::{handle, DavRequest};
use slotdav::dav::path::DavPath;
use slotdav::dav::xml::PropName;
use slotdav::dav::{DavContext, DavLimits, HookError, ObjectWrite, WriteHook};
use slotdav::ical::CalendarObject;
use slotdav::storage::{RecordWrites, SledStorage, Storage, User};

const EVENT: &str = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\nBEGIN:VEVENT\r\nUID:ctx-1\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20260105T100000Z\r\nDTEND:20260105T110000Z\r\nSUMMARY:plain\r\nORGANIZER:mailto:ann@example.com\r\nATTENDEE:mailto:bob@example.com\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";

fn request(method: &str, path: &str, body: &str) -> DavRequest {
    DavRequest {
        method: Method::from_bytes(method.as_bytes()).unwrap(),
        path: DavPath::parse(path).unwrap(),
        headers: HeaderMap::new(),
        body: Bytes::from(body.to_string()),
    }
}

fn body_text(resp: hyper::Response<slotdav::http::Body>) -> String {
    let bytes = block_on(resp.into_body().collect()).unwrap().to_bytes();
    String::from_utf8(bytes.to_vec()).unwrap()
}

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(f)
}

#[test]
fn dav_handlers_run_on_a_context_without_hooks() {
    let dir = tempfile::tempdir().unwrap();
    let storage: Arc<dyn Storage> = Arc::new(SledStorage::open(dir.path(), false, None).unwrap());
    let clock: Arc<dyn Clock> = Arc::new(ManualClock::new(Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap()));
    let limits = DavLimits { max_resource_size: 1 << 20, max_attendees: 1, max_dead_properties: 8, max_dead_property_bytes: 1024, quota: u64::MAX };
    let dav = DavContext::new(storage.clone(), clock, limits);
    assert!(dav.hooks.is_empty());
    let user = User { name: "ann".into(), password_hash: String::new(), email: Some("ann@example.com".into()), created: Utc::now() };

    let path = "/dav/calendars/ann/calendar/ctx-1.ics";
    let put = handle(&dav, &user, request("PUT", path, EVENT));
    assert_eq!(put.status(), StatusCode::CREATED);
    // An organizer's event: Schedule-Tag is a DAV matter, hooks or not.
    assert!(put.headers().contains_key("schedule-tag"));
    let get = handle(&dav, &user, request("GET", path, ""));
    assert_eq!(get.status(), StatusCode::OK);
    assert_eq!(body_text(get), EVENT);
    // Without hooks no domain records ride along: nothing but the object.
    let two = EVENT.replace("ATTENDEE:mailto:bob@example.com\r\n", "ATTENDEE:mailto:bob@example.com\r\nATTENDEE:mailto:cy@example.com\r\n");
    let put = handle(&dav, &user, request("PUT", path, &two));
    assert_eq!(put.status(), StatusCode::NO_CONTENT, "the attendee cap is a hook's, not plain DAV's");
    assert_eq!(handle(&dav, &user, request("DELETE", path, "")).status(), StatusCode::NO_CONTENT);
    assert_eq!(handle(&dav, &user, request("GET", path, "")).status(), StatusCode::NOT_FOUND);
}

/// A hook that counts what it is asked, and answers `on_put` with
/// (empty) records when `claims` is set.
#[derive(Default)]
struct Probe {
    claims: bool,
    refuses: bool,
    checks: AtomicUsize,
    puts: AtomicUsize,
    deletes: AtomicUsize,
    written: AtomicUsize,
}

impl WriteHook for Probe {
    fn check_put(&self, write: &ObjectWrite, _object: &CalendarObject) -> Result<(), HookError> {
        assert_eq!(write.calendar.segments().last().map(String::as_str), Some("calendar"));
        self.checks.fetch_add(1, Ordering::SeqCst);
        if self.refuses {
            return Err(HookError::Forbidden(PropName::caldav("max-attendees-per-instance")));
        }
        Ok(())
    }
    fn on_put(&self, write: &ObjectWrite, _object: &CalendarObject) -> Result<Option<RecordWrites>, HookError> {
        // The object before this write is there to compare with.
        let before = write.stored_object()?;
        self.puts.fetch_add(1 + 100 * usize::from(before.is_some()), Ordering::SeqCst);
        Ok(self.claims.then(Vec::new))
    }
    fn on_delete(&self, _write: &ObjectWrite, uid: &str) -> Result<Option<RecordWrites>, HookError> {
        assert_eq!(uid, "ctx-1");
        self.deletes.fetch_add(1, Ordering::SeqCst);
        Ok(self.claims.then(Vec::new))
    }
    fn after_write(&self) {
        self.written.fetch_add(1, Ordering::SeqCst);
    }
}

#[test]
fn write_hooks_are_asked_in_order_and_the_first_with_records_decides() {
    let dir = tempfile::tempdir().unwrap();
    let storage: Arc<dyn Storage> = Arc::new(SledStorage::open(dir.path(), false, None).unwrap());
    let clock: Arc<dyn Clock> = Arc::new(ManualClock::new(Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap()));
    let limits = DavLimits { max_resource_size: 1 << 20, max_attendees: 10, max_dead_properties: 8, max_dead_property_bytes: 1024, quota: u64::MAX };
    let mut dav = DavContext::new(storage, clock, limits);
    let (first, second, third) =
        (Arc::new(Probe::default()), Arc::new(Probe { claims: true, ..Probe::default() }), Arc::new(Probe::default()));
    for hook in [&first, &second, &third] {
        dav.hooks.register(hook.clone());
    }
    let user = User { name: "ann".into(), password_hash: String::new(), email: None, created: Utc::now() };
    let path = "/dav/calendars/ann/calendar/ctx-1.ics";
    assert_eq!(handle(&dav, &user, request("PUT", path, EVENT)).status(), StatusCode::CREATED);
    assert_eq!(handle(&dav, &user, request("PUT", path, EVENT)).status(), StatusCode::NO_CONTENT);
    let count = |p: &Probe| [&p.checks, &p.puts, &p.deletes, &p.written].map(|c| c.load(Ordering::SeqCst));
    // Every hook checks; the second claims both writes, so the third is
    // never asked and only the second hears they were written.
    assert_eq!(count(&first), [2, 102, 0, 0]);
    assert_eq!(count(&second), [2, 102, 0, 2]);
    assert_eq!(count(&third), [2, 0, 0, 0]);
    assert_eq!(handle(&dav, &user, request("DELETE", path, "")).status(), StatusCode::NO_CONTENT);
    assert_eq!(count(&second), [2, 102, 1, 3]);
    assert_eq!(count(&third)[2], 0);

    // A refusal in check_put keeps the object out, with the hook's condition.
    let mut dav = DavContext::new(dav.storage.clone(), dav.clock.clone(), limits);
    dav.hooks.register(Arc::new(Probe { refuses: true, ..Probe::default() }));
    let resp = handle(&dav, &user, request("PUT", path, EVENT));
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    assert!(body_text(resp).contains("max-attendees-per-instance"));
    assert_eq!(handle(&dav, &user, request("GET", path, "")).status(), StatusCode::NOT_FOUND);
}

/// The top-level modules each file of `src/` names through `crate::`
/// paths, in code before its first `#[cfg(test)]` (as
/// `/work/tools/modgraph.py` reads them).
fn module_graph() -> BTreeMap<String, BTreeSet<String>> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut stack = vec![root.clone()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if !name.ends_with(".rs") || name == "tests.rs" {
                continue;
            }
            let rel = path.strip_prefix(&root).unwrap();
            let first = rel.components().next().unwrap().as_os_str().to_string_lossy().into_owned();
            let module = first.strip_suffix(".rs").unwrap_or(&first).to_string();
            let text = std::fs::read_to_string(&path).unwrap();
            let code = text.split("#[cfg(test)]").next().unwrap();
            let targets = edges.entry(module.clone()).or_default();
            for (i, _) in code.match_indices("crate::") {
                let rest = &code[i + "crate::".len()..];
                let names: Vec<&str> = if let Some(group) = rest.strip_prefix('{') {
                    group.split('}').next().unwrap().split(',').map(|s| s.trim()).collect()
                } else {
                    vec![rest]
                };
                for n in names {
                    let ident: String = n.chars().take_while(|c| c.is_ascii_lowercase() || *c == '_').collect();
                    if !ident.is_empty() && ident != module {
                        targets.insert(ident);
                    }
                }
            }
        }
    }
    edges
}

/// A cycle in `edges`, if there is one, as the modules along it.
fn find_cycle(edges: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        v: &str,
        edges: &BTreeMap<String, BTreeSet<String>>,
        state: &mut BTreeMap<String, u8>,
        path: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        state.insert(v.to_string(), 1);
        path.push(v.to_string());
        for w in edges.get(v).into_iter().flatten() {
            match state.get(w.as_str()) {
                Some(1) => {
                    let start = path.iter().position(|p| p == w).unwrap();
                    let mut cycle = path[start..].to_vec();
                    cycle.push(w.clone());
                    return Some(cycle);
                }
                Some(_) => {}
                None => {
                    if let Some(c) = visit(w, edges, state, path) {
                        return Some(c);
                    }
                }
            }
        }
        path.pop();
        state.insert(v.to_string(), 2);
        None
    }
    let mut state = BTreeMap::new();
    for v in edges.keys() {
        if !state.contains_key(v.as_str()) {
            if let Some(c) = visit(v, edges, &mut state, &mut Vec::new()) {
                return Some(c);
            }
        }
    }
    None
}

#[test]
fn the_top_level_module_graph_has_no_cycle() {
    let edges = module_graph();
    assert!(edges.contains_key("dav") && edges.contains_key("server"), "read the crate: {edges:?}");
    if let Some(cycle) = find_cycle(&edges) {
        panic!("top-level module cycle: {}", cycle.join(" -> "));
    }
    // The layer rules ARCHITECTURE.md states for the surfaces' plumbing.
    for lower in ["http", "metrics", "provision", "model", "clock", "storage", "ical", "scheduling", "booking", "analytics", "mail", "feeds", "auth", "audit", "webhooks", "calendar_files", "i18n"] {
        for upper in ["dav", "web", "api", "server", "app", "config", "admin"] {
            assert!(!edges.get(lower).is_some_and(|t| t.contains(upper)), "{lower} must not import {upper}");
        }
    }
    assert!(!edges["dav"].contains("booking") && !edges["dav"].contains("mail") && !edges["dav"].contains("app"));
    // (issue 12 §5) The student's language sits at the bottom: pages, mails and the booking domain use it; it uses nothing.
    assert!(edges.get("i18n").is_some_and(|t| t.is_empty()), "i18n imports nothing of the crate: {:?}", edges.get("i18n"));
    // The booking service reaches the audit trail and webhooks only through its hooks.
    for lower in ["booking", "storage", "mail"] {
        for room in ["audit", "webhooks"] {
            assert!(!edges.get(lower).is_some_and(|t| t.contains(room)), "{lower} must not import {room}");
        }
    }
}

#[test]
fn the_cycle_finder_finds_a_cycle() {
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    edges.entry("a".into()).or_default().insert("b".into());
    edges.entry("b".into()).or_default().insert("c".into());
    assert_eq!(find_cycle(&edges), None);
    edges.entry("c".into()).or_default().insert("a".into());
    assert_eq!(find_cycle(&edges), Some(vec!["a".into(), "b".into(), "c".into(), "a".into()]));
}
