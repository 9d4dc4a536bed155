//! Property tests (issue 17 §1) over generated inputs:
//!
//! - iCalendar: write → parse is the identity on content for generated
//!   component trees (tricky TEXT, multi-valued parameters, long lines that
//!   fold inside multibyte characters), and parse → write → parse is the
//!   identity on every accepted fixture;
//! - PROPPATCH atomicity over HTTP: a random list of set/remove
//!   instructions with one invalid among them changes nothing; without it
//!   every instruction applies, in document order;
//! - sync-collection over HTTP: random PUT/DELETE/MOVE sequences; a model
//!   client that replays each delta (from the previous token) always holds
//!   what a Depth-1 listing shows.
//!
//! Case counts are small so `cargo test` stays fast; the HTTP properties
//! run on one in-process `TestServer`, each case in a fresh calendar.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};

use proptest::prelude::*;
use proptest::test_runner::{Config as ProptestConfig, TestCaseError, TestRunner};
use slotdav::ical::component::parse_components;
use slotdav::ical::write::{normalize, Component, Property};
use slotdav::ical::CalendarObject;

use super::common::*;

// ---------------------------------------------------------------------------
// iCalendar: write → parse → write
// ---------------------------------------------------------------------------

/// TEXT with what the escaping must get right: `\ ; , :` quotes, line
/// breaks of every kind, control characters, carets, and multibyte
/// characters (2, 3 and 4 bytes) so folds land inside them.
fn tricky_text() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            Just("\\".to_string()),
            Just(";".to_string()),
            Just(",".to_string()),
            Just(":".to_string()),
            Just("\"".to_string()),
            Just("^".to_string()),
            Just("\r\n".to_string()),
            Just("\n".to_string()),
            Just("\r".to_string()),
            Just("\u{7}".to_string()),
            Just("\t".to_string()),
            Just("ü".to_string()),
            Just("€".to_string()),
            Just("😀".to_string()),
            "[a-zA-Z0-9 ]{1,12}",
            any::<char>().prop_map(|c| c.to_string()),
        ],
        0..60,
    )
    .prop_map(|parts| parts.concat())
}

fn prop_name() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("SUMMARY".to_string()),
        Just("DESCRIPTION".to_string()),
        Just("LOCATION".to_string()),
        Just("COMMENT".to_string()),
        "X-[A-Z0-9-]{1,20}",
    ]
}

/// A property with a TEXT value and 0–3 parameters of 1–3 values each.
fn text_property() -> impl Strategy<Value = (String, String, Vec<(String, Vec<String>)>)> {
    let param = ("(CN|ALTREP|LANGUAGE|X-[A-Z]{1,8})", prop::collection::vec(tricky_text(), 1..4));
    (prop_name(), tricky_text(), prop::collection::vec(param, 0..4))
}

/// A component tree under VCALENDAR: components with text properties,
/// nested up to two levels.
#[derive(Debug, Clone)]
struct GenComponent {
    name: String,
    props: Vec<(String, String, Vec<(String, Vec<String>)>)>,
    children: Vec<GenComponent>,
}

fn gen_component() -> impl Strategy<Value = GenComponent> {
    let leaf = ("(VEVENT|VTODO|VALARM|X-[A-Z]{1,6})", prop::collection::vec(text_property(), 0..5))
        .prop_map(|(name, props)| GenComponent { name, props, children: vec![] });
    leaf.prop_recursive(2, 8, 3, |inner| {
        ("(VEVENT|VTODO|X-[A-Z]{1,6})", prop::collection::vec(text_property(), 0..4), prop::collection::vec(inner, 0..3))
            .prop_map(|(name, props, children)| GenComponent { name, props, children })
    })
}

fn build(g: &GenComponent) -> Component {
    let mut c = Component::new(&g.name);
    for (name, value, params) in &g.props {
        let mut p = Property::new_text(name, value);
        for (pname, values) in params {
            p.params.push((pname.to_ascii_uppercase(), values.clone()));
        }
        c = c.with(p);
    }
    for ch in &g.children {
        c = c.with_child(build(ch));
    }
    c
}

/// What the generated tree must read back as: names upper case, TEXT and
/// parameter values with line breaks as `\n` and other controls dropped.
fn check_read_back(g: &GenComponent, c: &Component) -> Result<(), TestCaseError> {
    prop_assert_eq!(&c.name, &g.name.to_ascii_uppercase());
    prop_assert_eq!(c.props.len(), g.props.len());
    for ((name, value, params), p) in g.props.iter().zip(&c.props) {
        prop_assert_eq!(&p.name, name);
        prop_assert_eq!(p.text(), normalize(value));
        prop_assert_eq!(p.params.len(), params.len(), "params of {:?}", p);
        for ((pname, values), (rname, rvalues)) in params.iter().zip(&p.params) {
            prop_assert_eq!(rname, &pname.to_ascii_uppercase());
            let expected: Vec<String> = values.iter().map(|v| normalize(v)).collect();
            prop_assert_eq!(rvalues, &expected, "parameter {} of {:?}", pname, p);
        }
    }
    prop_assert_eq!(c.children.len(), g.children.len());
    for (gc, cc) in g.children.iter().zip(&c.children) {
        check_read_back(gc, cc)?;
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// write → parse gives back every name, TEXT value and parameter value
    /// (normalised), and write → parse → write gives the same bytes; every
    /// written line is at most 75 octets.
    #[test]
    fn generated_components_round_trip_through_the_writer(children in prop::collection::vec(gen_component(), 0..4)) {
        let g = GenComponent { name: "VCALENDAR".into(), props: vec![], children };
        let written = build(&g).to_ics();
        prop_assert!(written.split("\r\n").all(|l| l.len() <= 75), "{:?}", written);
        prop_assert!(written.ends_with("\r\n") && !written.replace("\r\n", "").contains(['\r', '\n']));
        let parsed = parse_components(written.as_bytes()).map_err(|e| TestCaseError::fail(format!("{e}: {written:?}")))?;
        check_read_back(&g, &parsed)?;
        let rewritten = parsed.to_ics();
        prop_assert_eq!(&rewritten, &written);
        prop_assert_eq!(parse_components(rewritten.as_bytes()).unwrap(), parsed);
    }

    /// A stored-looking event whose TEXT and parameters are generated reads
    /// back through `CalendarObject::parse` (the PUT path) with the same content.
    #[test]
    fn generated_events_round_trip_through_the_object_parser(summary in tricky_text(), note in tricky_text(), cn in tricky_text()) {
        let event = Component::new("VEVENT")
            .with(Property::new("UID", "prop-1"))
            .with(Property::new("DTSTAMP", "20260101T000000Z"))
            .with(Property::new("DTSTART", "20260105T100000Z"))
            .with(Property::new_text("SUMMARY", &summary))
            .with(Property::new_text("DESCRIPTION", &note))
            .with(Property::new("ORGANIZER", "mailto:a@example.org").with_param("CN", &cn));
        let text = Component::calendar(None).with_child(event).to_ics();
        let obj = CalendarObject::parse(text.as_bytes()).map_err(|e| TestCaseError::fail(format!("{e}: {text:?}")))?;
        let master = obj.master().unwrap();
        prop_assert_eq!(master.prop("SUMMARY").unwrap().text(), normalize(&summary));
        prop_assert_eq!(master.prop("DESCRIPTION").unwrap().text(), normalize(&note));
        let cn = normalize(&cn);
        prop_assert_eq!(master.prop("ORGANIZER").unwrap().param("CN"), Some(cn.as_str()));
    }
}

/// parse → write → parse is the identity on the component tree of every
/// accepted fixture (folded lines, LF-only endings, x-properties, zones).
#[test]
fn accepted_fixtures_round_trip_through_the_writer() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let mut files = Vec::new();
    let mut stack = vec![dir];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "ics") && !p.to_string_lossy().contains("/refused/") {
                files.push(p);
            }
        }
    }
    assert!(files.len() >= 15, "{files:?}");
    for f in files {
        let bytes = std::fs::read(&f).unwrap();
        let tree = parse_components(&bytes).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        let written = tree.to_ics();
        let again = parse_components(written.as_bytes()).unwrap_or_else(|e| panic!("{}: {e}\n{written}", f.display()));
        assert_eq!(again, tree, "{}", f.display());
        if CalendarObject::parse(&bytes).is_ok() {
            CalendarObject::parse(written.as_bytes()).unwrap_or_else(|e| panic!("{} written back: {e}\n{written}", f.display()));
        }
    }
}

// ---------------------------------------------------------------------------
// Over HTTP: one server, a fresh calendar per case
// ---------------------------------------------------------------------------

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap()
}

static CALENDARS: AtomicUsize = AtomicUsize::new(0);

async fn fresh_calendar(server: &TestServer) -> String {
    let path = format!("/dav/calendars/{ALICE}/prop-{}/", CALENDARS.fetch_add(1, Ordering::Relaxed));
    server.request("MKCALENDAR", &path).as_user(ALICE).send().await.status(201);
    path
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

fn xml_unescape(s: &str) -> String {
    s.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&apos;", "'").replace("&amp;", "&")
}

// ---------------------------------------------------------------------------
// PROPPATCH atomicity
// ---------------------------------------------------------------------------

const DEAD: [&str; 5] = ["alpha", "beta", "gamma", "delta", "epsilon"];

#[derive(Debug, Clone)]
enum Instruction {
    Set(usize, String),
    Remove(usize),
}

#[derive(Debug, Clone, Copy)]
enum Invalid {
    /// A protected live property (403 `cannot-modify-protected-property`).
    Protected,
    /// A `calendar-timezone` that is not iCalendar (403).
    BadTimezone,
    /// A value beyond `max_dead_property_bytes` (507).
    TooLarge,
}

fn instruction() -> impl Strategy<Value = Instruction> {
    prop_oneof![
        (0..DEAD.len(), "[a-z0-9 &<>üé€😀]{0,16}").prop_map(|(i, v)| Instruction::Set(i, v)),
        (0..DEAD.len()).prop_map(Instruction::Remove),
    ]
}

fn instruction_xml(i: &Instruction) -> String {
    match i {
        Instruction::Set(n, v) => format!("<D:set><D:prop><X:{}>{}</X:{}></D:prop></D:set>", DEAD[*n], xml_escape(v), DEAD[*n]),
        Instruction::Remove(n) => format!("<D:remove><D:prop><X:{}/></D:prop></D:remove>", DEAD[*n]),
    }
}

fn invalid_xml(kind: Invalid) -> String {
    match kind {
        Invalid::Protected => "<D:set><D:prop><D:getetag>\"x\"</D:getetag></D:prop></D:set>".into(),
        Invalid::BadTimezone => "<D:set><D:prop><C:calendar-timezone>not a calendar</C:calendar-timezone></D:prop></D:set>".into(),
        Invalid::TooLarge => format!("<D:set><D:prop><X:huge>{}</X:huge></D:prop></D:set>", "x".repeat(20 * 1024)),
    }
}

fn proppatch_body(parts: &[String]) -> String {
    format!(
        r#"<?xml version="1.0" encoding="utf-8"?><D:propertyupdate xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav" xmlns:X="urn:x-slotdav:prop">{}</D:propertyupdate>"#,
        parts.concat()
    )
}

/// The dead properties of the pool on `path`: name → value (None = absent).
async fn dead_props(server: &TestServer, path: &str) -> Result<Vec<Option<String>>, TestCaseError> {
    let asked: String = DEAD.iter().map(|n| format!("<X:{n}/>")).collect();
    let body = format!(r#"<?xml version="1.0" encoding="utf-8"?><D:propfind xmlns:D="DAV:" xmlns:X="urn:x-slotdav:prop"><D:prop>{asked}<X:huge/></D:prop></D:propfind>"#);
    let r = server.request("PROPFIND", path).as_user(ALICE).depth("0").xml(body).send().await;
    prop_assert_eq!(r.code(), 207, "{}", r.describe());
    let text = r.text();
    let mut out = vec![None; DEAD.len()];
    for propstat in split_elements(&text, "propstat") {
        let ok = split_elements(&propstat, "status").first().is_some_and(|s| s.contains(" 200 "));
        if !ok {
            continue;
        }
        for (i, n) in DEAD.iter().enumerate() {
            if let Some(v) = split_elements(&propstat, n).into_iter().next() {
                out[i] = Some(xml_unescape(&v));
            } else if propstat.contains(&format!(":{n}/>")) {
                out[i] = Some(String::new());
            }
        }
        prop_assert!(!propstat.contains("huge"), "the invalid property was stored: {}", text);
    }
    Ok(out)
}

/// RFC 4918 §9.2: instructions apply all together or not at all. With one
/// invalid instruction anywhere among random set/remove instructions the
/// properties are what they were (the others answered 424); without it
/// every instruction applies in document order.
#[test]
fn proppatch_applies_all_instructions_or_none() {
    let rt = runtime();
    let server = rt.block_on(TestServer::start());
    let strategy = (
        prop::collection::vec(instruction(), 0..5),
        prop::collection::vec(instruction(), 1..8),
        prop::option::of((prop_oneof![Just(Invalid::Protected), Just(Invalid::BadTimezone), Just(Invalid::TooLarge)], any::<prop::sample::Index>())),
    );
    let mut runner = TestRunner::new(ProptestConfig { cases: 40, failure_persistence: None, ..ProptestConfig::default() });
    runner
        .run(&strategy, |(setup, patch, invalid)| {
            rt.block_on(async {
                let cal = fresh_calendar(&server).await;
                let mut model: Vec<Option<String>> = vec![None; DEAD.len()];
                if !setup.is_empty() {
                    let parts: Vec<String> = setup.iter().map(instruction_xml).collect();
                    server.request("PROPPATCH", &cal).as_user(ALICE).xml(proppatch_body(&parts)).send().await.status(207);
                    apply(&mut model, &setup);
                }
                let before = dead_props(&server, &cal).await?;
                prop_assert_eq!(&before, &model, "setup applied");
                let mut parts: Vec<String> = patch.iter().map(instruction_xml).collect();
                if let Some((kind, at)) = invalid {
                    parts.insert(at.index(parts.len() + 1), invalid_xml(kind));
                }
                let r = server.request("PROPPATCH", &cal).as_user(ALICE).xml(proppatch_body(&parts)).send().await;
                prop_assert_eq!(r.code(), 207, "{}", r.describe());
                let after = dead_props(&server, &cal).await?;
                if invalid.is_some() {
                    prop_assert_eq!(&after, &before, "an invalid instruction changed something: {}", r.text());
                    prop_assert!(r.text().contains("424"), "the valid instructions are 424: {}", r.text());
                } else {
                    apply(&mut model, &patch);
                    prop_assert_eq!(&after, &model, "{}", r.text());
                    prop_assert!(!r.text().contains("424"), "{}", r.text());
                }
                Ok(())
            })
        })
        .unwrap();
}

fn apply(model: &mut [Option<String>], instructions: &[Instruction]) {
    for i in instructions {
        match i {
            Instruction::Set(n, v) => model[*n] = Some(v.clone()),
            Instruction::Remove(n) => model[*n] = None,
        }
    }
}

// ---------------------------------------------------------------------------
// sync-collection deltas
// ---------------------------------------------------------------------------

const MEMBERS: usize = 4;

#[derive(Debug, Clone)]
enum Change {
    Put(usize),
    Delete(usize),
    Move(usize, usize),
    /// Sync now (with the previous token) and compare.
    Sync,
}

fn change() -> impl Strategy<Value = Change> {
    prop_oneof![
        4 => (0..MEMBERS).prop_map(Change::Put),
        2 => (0..MEMBERS).prop_map(Change::Delete),
        2 => (0..MEMBERS, 0..MEMBERS).prop_map(|(a, b)| Change::Move(a, b)),
        1 => Just(Change::Sync),
    ]
}

fn event(uid: &str, revision: usize) -> String {
    format!(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//slotdav tests//EN\r\nBEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20260601T{:02}0000Z\r\nDURATION:PT30M\r\nSUMMARY:revision {revision}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
        revision % 24
    )
}

fn sync_body(token: &str) -> String {
    let token = if token.is_empty() { "<D:sync-token/>".to_string() } else { format!("<D:sync-token>{token}</D:sync-token>") };
    format!(r#"<?xml version="1.0" encoding="utf-8"?><D:sync-collection xmlns:D="DAV:">{token}<D:sync-level>1</D:sync-level><D:prop><D:getetag/></D:prop></D:sync-collection>"#)
}

/// The responses of a multistatus: href → Some(ETag) for a member with its
/// `getetag`, None for a plain 404 (removed).
fn members(r: &Resp) -> Result<Vec<(String, Option<String>)>, TestCaseError> {
    let mut out = Vec::new();
    for resp in split_elements(&r.text(), "response") {
        let href = split_elements(&resp, "href").into_iter().next().unwrap_or_default().trim().to_string();
        if resp.contains("propstat") {
            let etag = split_elements(&resp, "getetag").into_iter().next().map(|e| xml_unescape(e.trim()));
            prop_assert!(etag.is_some(), "a member without getetag: {}", resp);
            out.push((href, etag));
        } else {
            let status = split_elements(&resp, "status").into_iter().next().unwrap_or_default();
            prop_assert!(status.contains(" 404 "), "a response that is neither a member nor a 404: {}", resp);
            out.push((href, None));
        }
    }
    Ok(out)
}

/// The multistatus-level sync-token (the one after the last response).
fn token_of(r: &Resp) -> String {
    let text = r.text();
    let after = text.rfind("</D:response>").map(|i| &text[i..]).unwrap_or(&text);
    split_elements(after, "sync-token").into_iter().next().unwrap_or_default().trim().to_string()
}

/// Syncs from `token`, applies the delta to `model`, checks it against a
/// Depth-1 listing, and returns the new token.
async fn sync_and_compare(server: &TestServer, cal: &str, token: &str, model: &mut BTreeMap<String, String>) -> Result<String, TestCaseError> {
    let r = server.request("REPORT", cal).as_user(ALICE).depth("1").xml(sync_body(token)).send().await;
    prop_assert_eq!(r.code(), 207, "{}", r.describe());
    for (href, etag) in members(&r)? {
        prop_assert!(href != cal, "the collection itself in a sync delta: {}", r.text());
        match etag {
            Some(e) => model.insert(href, e),
            None => model.remove(&href),
        };
    }
    let new_token = token_of(&r);
    prop_assert!(!new_token.is_empty(), "no sync-token: {}", r.text());
    let listing = server
        .request("PROPFIND", cal)
        .as_user(ALICE)
        .depth("1")
        .xml(r#"<?xml version="1.0" encoding="utf-8"?><D:propfind xmlns:D="DAV:"><D:prop><D:getetag/></D:prop></D:propfind>"#)
        .send()
        .await;
    prop_assert_eq!(listing.code(), 207, "{}", listing.describe());
    let full: BTreeMap<String, String> =
        members(&listing)?.into_iter().filter(|(h, _)| h != cal).map(|(h, e)| (h, e.unwrap_or_default())).collect();
    prop_assert_eq!(&*model, &full, "delta from {:?}: {}", token, r.text());
    Ok(new_token)
}

/// RFC 6578: whatever happens between two syncs, a client that applies
/// each delta to what it had ends up with exactly the collection's members
/// and their current ETags.
#[test]
fn sync_deltas_replayed_by_a_client_equal_the_listing() {
    let rt = runtime();
    let server = rt.block_on(TestServer::start());
    let mut runner = TestRunner::new(ProptestConfig { cases: 64, failure_persistence: None, ..ProptestConfig::default() });
    let uids = AtomicUsize::new(0);
    runner
        .run(&prop::collection::vec(change(), 1..14), |changes| {
            rt.block_on(async {
                let cal = fresh_calendar(&server).await;
                let href = |i: usize| format!("{cal}m{i}.ics");
                // Which UID lives at which member (a PUT keeps the UID of
                // what it replaces; a MOVE carries it along).
                let mut at: BTreeMap<usize, String> = BTreeMap::new();
                let mut model = BTreeMap::new();
                let mut token = sync_and_compare(&server, &cal, "", &mut model).await?;
                for (revision, c) in changes.iter().enumerate() {
                    match *c {
                        Change::Put(i) => {
                            let uid = at.entry(i).or_insert_with(|| format!("sync-{}", uids.fetch_add(1, Ordering::Relaxed))).clone();
                            server.http.put(ALICE, &href(i), event(&uid, revision)).await;
                        }
                        Change::Delete(i) => {
                            let r = server.request("DELETE", &href(i)).as_user(ALICE).send().await;
                            let expected: &[u16] = if at.remove(&i).is_some() { &[200, 204] } else { &[404] };
                            prop_assert!(expected.contains(&r.code()), "{}", r.describe());
                        }
                        Change::Move(a, b) => {
                            let r = server.request("MOVE", &href(a)).as_user(ALICE).destination(&href(b)).send().await;
                            let expected: &[u16] = match (at.contains_key(&a), a == b) {
                                (false, _) => &[404],
                                (true, true) => &[403, 409, 204],
                                // RFC 4791 §5.3.2.1: overwriting an object with
                                // one of another UID is `no-uid-conflict`.
                                (true, false) if at.contains_key(&b) => &[403, 409],
                                (true, false) => &[201],
                            };
                            prop_assert!(expected.contains(&r.code()), "{}", r.describe());
                            if a != b && r.code() < 300 {
                                let uid = at.remove(&a).unwrap();
                                at.insert(b, uid);
                            }
                        }
                        Change::Sync => token = sync_and_compare(&server, &cal, &token, &mut model).await?,
                    }
                }
                sync_and_compare(&server, &cal, &token, &mut model).await?;
                // A fresh client (empty token) sees the same.
                let mut fresh = BTreeMap::new();
                sync_and_compare(&server, &cal, "", &mut fresh).await?;
                prop_assert_eq!(fresh, model);
                Ok(())
            })
        })
        .unwrap();
}
