//! Response bodies: `DAV:multistatus` (RFC 4918 §13, RFC 6578 §6.4) and
//! `DAV:error` (RFC 4918 §16). Namespaces get fixed prefixes (`D`, `C`,
//! `CS`, `ICAL`) and any other namespace a generated one.

use std::collections::HashMap;

use super::escape::{push_attr, push_text};
use super::{PropName, XmlNode, NS_APPLE_ICAL, NS_CALDAV, NS_CALENDARSERVER, NS_DAV};

/// A `DAV:multistatus` body.
#[derive(Debug, Clone, Default)]
pub struct MultiStatus {
    pub responses: Vec<Response>,
    /// `DAV:sync-token` after the responses (RFC 6578).
    pub sync_token: Option<String>,
}

/// One `DAV:response`.
#[derive(Debug, Clone)]
pub struct Response {
    /// Already percent-encoded absolute path.
    pub href: String,
    pub body: ResponseBody,
    /// A `DAV:error` child (e.g. a precondition for this member).
    pub error: Option<XmlNode>,
}

#[derive(Debug, Clone)]
pub enum ResponseBody {
    /// One `DAV:propstat` per status; empty groups are not written.
    PropStats(Vec<PropStat>),
    /// A bare `DAV:status` (e.g. 404 for a missing multiget href or a
    /// removed sync member).
    Status(u16),
}

/// One `DAV:propstat`: properties that share a status. Each node is the
/// property element itself (`<D:getetag>"…"</D:getetag>`), or an empty
/// element for names only.
#[derive(Debug, Clone)]
pub struct PropStat {
    pub status: u16,
    pub props: Vec<XmlNode>,
}

impl MultiStatus {
    /// The whole document, with an XML declaration.
    pub fn to_xml(&self) -> String {
        let mut ns = Namespaces::default();
        let mut estimate = 200;
        for r in &self.responses {
            estimate += 160 + r.href.len();
            if let ResponseBody::PropStats(groups) = &r.body {
                for g in groups {
                    estimate += 90;
                    for p in &g.props {
                        estimate += ns.collect(p);
                    }
                }
            }
            if let Some(e) = &r.error {
                estimate += ns.collect(e);
            }
        }
        let mut w = Writer { out: String::with_capacity(estimate), ns: &ns };
        w.out.push_str(XML_DECL);
        w.out.push_str("<D:multistatus");
        w.declarations();
        w.out.push('>');
        for r in &self.responses {
            w.response(r);
        }
        if let Some(token) = &self.sync_token {
            w.out.push_str("<D:sync-token>");
            push_text(&mut w.out, token);
            w.out.push_str("</D:sync-token>");
        }
        w.out.push_str("</D:multistatus>");
        w.out
    }
}

/// A multi-status body built one response at a time, as the answer is
/// produced: what stays in memory is the text written so far, not a tree
/// per member. Listings of whole collections (PROPFIND Depth 1, initial
/// sync, big calendar-queries) use this when the properties asked for are
/// named, so every namespace can be declared on the root up front.
pub enum MultiStatusBuilder {
    /// Namespaces known up front: each response is written at once.
    Streaming { ns: Namespaces, out: String },
    /// `allprop`/`propname`: dead property names are only known once read.
    Collected(MultiStatus),
}

impl MultiStatusBuilder {
    /// A builder for responses carrying the properties `names` (and live
    /// property values, which only use the DAV, CalDAV and CalendarServer
    /// namespaces); `None` when the names are not known up front.
    pub fn new(names: Option<&[PropName]>, expected_responses: usize) -> Self {
        match names {
            Some(names) => {
                let mut ns = Namespaces { caldav: true, calendarserver: true, ..Default::default() };
                for n in names {
                    ns.collect(&XmlNode::empty(n.clone()));
                }
                let mut w = Writer { out: String::with_capacity(256 + expected_responses * 256), ns: &ns };
                w.out.push_str(XML_DECL);
                w.out.push_str("<D:multistatus");
                w.declarations();
                w.out.push('>');
                let out = w.out;
                MultiStatusBuilder::Streaming { ns, out }
            }
            None => MultiStatusBuilder::Collected(MultiStatus::default()),
        }
    }

    pub fn push(&mut self, response: Response) {
        match self {
            MultiStatusBuilder::Streaming { ns, out } => {
                let mut w = Writer { out: std::mem::take(out), ns };
                w.response(&response);
                *out = w.out;
            }
            MultiStatusBuilder::Collected(ms) => ms.responses.push(response),
        }
    }

    /// The whole document, with a `DAV:sync-token` when given.
    pub fn finish(self, sync_token: Option<String>) -> String {
        match self {
            MultiStatusBuilder::Streaming { mut out, .. } => {
                if let Some(token) = sync_token {
                    out.push_str("<D:sync-token>");
                    push_text(&mut out, &token);
                    out.push_str("</D:sync-token>");
                }
                out.push_str("</D:multistatus>");
                out
            }
            MultiStatusBuilder::Collected(mut ms) => {
                ms.sync_token = sync_token;
                ms.to_xml()
            }
        }
    }
}

/// A `DAV:error` document holding one precondition/postcondition element
/// (RFC 4918 §16).
pub fn error_body(condition: &XmlNode) -> String {
    let mut ns = Namespaces::default();
    let estimate = ns.collect(condition) + 120;
    let mut w = Writer { out: String::with_capacity(estimate), ns: &ns };
    w.out.push_str(XML_DECL);
    w.out.push_str("<D:error");
    w.declarations();
    w.out.push('>');
    w.node(condition);
    w.out.push_str("</D:error>");
    w.out
}

/// A standalone document with `node` as root (used for MKCALENDAR/MKCOL
/// response bodies and PROPFIND on single properties in tests). Every
/// namespace is declared on the root element. A `Raw` node is written as it
/// is; a `Text` node gives a document without a root element.
pub fn document(node: &XmlNode) -> String {
    let mut ns = Namespaces::default();
    let estimate = ns.collect(node) + 120;
    let mut w = Writer { out: String::with_capacity(estimate), ns: &ns };
    w.out.push_str(XML_DECL);
    match node {
        XmlNode::Element { name, attrs, children } => w.element(name, attrs, children, true),
        other => w.node(other),
    }
    w.out
}

/// `node` as a self-contained fragment without an XML declaration, every
/// namespace declared on its root: the form dead properties are stored in.
pub fn fragment(node: &XmlNode) -> String {
    let doc = document(node);
    doc.strip_prefix(XML_DECL).map(str::to_string).unwrap_or(doc)
}

/// The reason phrase for a status code: the one HTTP responses carry
/// ([`hyper::StatusCode::canonical_reason`]), else the name of its class.
fn reason_phrase(code: u16) -> &'static str {
    hyper::StatusCode::from_u16(code).ok().and_then(|s| s.canonical_reason()).unwrap_or(match code / 100 {
        1 => "Informational",
        2 => "Success",
        3 => "Redirection",
        4 => "Client Error",
        _ => "Server Error",
    })
}

/// `HTTP/1.1 404 Not Found`, the content of `DAV:status`.
pub fn status_line(code: u16) -> String {
    format!("HTTP/1.1 {code} {}", reason_phrase(code))
}

const XML_DECL: &str = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n";

/// The fixed prefixes and which of them are needed, plus generated
/// prefixes (`ns1`, …) for every other namespace, all declared on the root.
#[derive(Default)]
pub struct Namespaces {
    caldav: bool,
    calendarserver: bool,
    apple_ical: bool,
    /// Other namespaces in first-seen order; the prefix is `ns{index+1}`.
    extra: Vec<String>,
    index: HashMap<String, usize>,
}

impl Namespaces {
    /// Notes the namespaces of `node`'s elements; returns a size estimate.
    fn collect(&mut self, node: &XmlNode) -> usize {
        match node {
            XmlNode::Text(t) => t.len() + t.len() / 16,
            XmlNode::Raw(r) => r.len(),
            XmlNode::Element { name, attrs, children } => {
                match name.ns.as_str() {
                    NS_DAV | "" => {}
                    NS_CALDAV => self.caldav = true,
                    NS_CALENDARSERVER => self.calendarserver = true,
                    NS_APPLE_ICAL => self.apple_ical = true,
                    other => {
                        if !self.index.contains_key(other) {
                            self.index.insert(other.to_string(), self.extra.len());
                            self.extra.push(other.to_string());
                        }
                    }
                }
                let mut size = 2 * (name.local.len() + 6) + 3;
                for (k, v) in attrs {
                    size += k.len() + v.len() + 4;
                }
                for c in children {
                    size += self.collect(c);
                }
                size
            }
        }
    }

    /// The prefix for `ns`; `None` for no namespace. Only namespaces seen by
    /// [`Self::collect`] (and `DAV:`) may be asked for.
    fn prefix(&self, ns: &str) -> Option<Prefix> {
        Some(match ns {
            "" => return None,
            NS_DAV => Prefix::Fixed("D"),
            NS_CALDAV => Prefix::Fixed("C"),
            NS_CALENDARSERVER => Prefix::Fixed("CS"),
            NS_APPLE_ICAL => Prefix::Fixed("ICAL"),
            other => Prefix::Generated(self.index.get(other).copied().unwrap_or(usize::MAX)),
        })
    }
}

enum Prefix {
    Fixed(&'static str),
    Generated(usize),
}

struct Writer<'a> {
    out: String,
    ns: &'a Namespaces,
}

impl Writer<'_> {
    /// The `xmlns:` attributes of the root element. No default namespace is
    /// ever declared, so unprefixed element names are in no namespace.
    fn declarations(&mut self) {
        self.out.push_str(" xmlns:D=\"DAV:\"");
        if self.ns.caldav {
            self.out.push_str(" xmlns:C=\"urn:ietf:params:xml:ns:caldav\"");
        }
        if self.ns.calendarserver {
            self.out.push_str(" xmlns:CS=\"http://calendarserver.org/ns/\"");
        }
        if self.ns.apple_ical {
            self.out.push_str(" xmlns:ICAL=\"http://apple.com/ns/ical/\"");
        }
        for (i, ns) in self.ns.extra.iter().enumerate() {
            self.out.push_str(" xmlns:ns");
            self.out.push_str(&(i + 1).to_string());
            self.out.push_str("=\"");
            push_attr(&mut self.out, ns);
            self.out.push('"');
        }
    }

    fn qname(&mut self, name: &PropName) {
        match self.ns.prefix(&name.ns) {
            None => {}
            Some(Prefix::Fixed(p)) => {
                self.out.push_str(p);
                self.out.push(':');
            }
            Some(Prefix::Generated(i)) => {
                self.out.push_str("ns");
                self.out.push_str(&(i.wrapping_add(1)).to_string());
                self.out.push(':');
            }
        }
        self.out.push_str(&name.local);
    }

    fn node(&mut self, node: &XmlNode) {
        match node {
            XmlNode::Text(t) => push_text(&mut self.out, t),
            XmlNode::Raw(r) => self.out.push_str(r),
            XmlNode::Element { name, attrs, children } => self.element(name, attrs, children, false),
        }
    }

    fn element(&mut self, name: &PropName, attrs: &[(String, String)], children: &[XmlNode], root: bool) {
        self.out.push('<');
        self.qname(name);
        if root {
            self.declarations();
        }
        for (k, v) in attrs {
            self.out.push(' ');
            self.out.push_str(k);
            self.out.push_str("=\"");
            push_attr(&mut self.out, v);
            self.out.push('"');
        }
        if children.is_empty() {
            self.out.push_str("/>");
            return;
        }
        self.out.push('>');
        for c in children {
            self.node(c);
        }
        self.out.push_str("</");
        self.qname(name);
        self.out.push('>');
    }

    fn status(&mut self, code: u16) {
        self.out.push_str("<D:status>HTTP/1.1 ");
        self.out.push_str(&code.to_string());
        self.out.push(' ');
        self.out.push_str(reason_phrase(code));
        self.out.push_str("</D:status>");
    }

    fn response(&mut self, r: &Response) {
        self.out.push_str("<D:response><D:href>");
        push_text(&mut self.out, &r.href);
        self.out.push_str("</D:href>");
        match &r.body {
            ResponseBody::Status(code) => self.status(*code),
            ResponseBody::PropStats(groups) => {
                let mut written = false;
                for g in groups.iter().filter(|g| !g.props.is_empty()) {
                    self.out.push_str("<D:propstat><D:prop>");
                    for p in &g.props {
                        self.node(p);
                    }
                    self.out.push_str("</D:prop>");
                    self.status(g.status);
                    self.out.push_str("</D:propstat>");
                    written = true;
                }
                if !written {
                    // RFC 4918 requires at least one propstat.
                    self.out.push_str("<D:propstat><D:prop/>");
                    self.status(200);
                    self.out.push_str("</D:propstat>");
                }
            }
        }
        if let Some(err) = &r.error {
            match err {
                XmlNode::Element { name, .. } if name.is(NS_DAV, "error") => self.node(err),
                _ => {
                    self.out.push_str("<D:error>");
                    self.node(err);
                    self.out.push_str("</D:error>");
                }
            }
        }
        self.out.push_str("</D:response>");
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn status_lines_agree_with_http_responses() {
        assert_eq!(super::status_line(413), "HTTP/1.1 413 Payload Too Large");
        assert_eq!(super::status_line(422), "HTTP/1.1 422 Unprocessable Entity");
        assert_eq!(super::status_line(507), "HTTP/1.1 507 Insufficient Storage");
        assert_eq!(super::status_line(299), "HTTP/1.1 299 Success");
    }

    use super::*;
    use crate::dav::xml::dom::{self, Element};
    use crate::dav::xml::request::{parse_proppatch, PropPatchOp};
    use quick_xml::events::Event;
    use quick_xml::name::ResolveResult;
    use quick_xml::NsReader;

    /// Every element of `xml` as (namespace, local name), resolved by
    /// quick-xml; panics if the document is not well-formed.
    fn names(xml: &str) -> Vec<(String, String)> {
        let mut r = NsReader::from_str(xml);
        r.config_mut().check_end_names = true;
        let mut out = Vec::new();
        let mut depth = 0i32;
        loop {
            let (res, ev) = r.read_resolved_event().expect("well-formed");
            match ev {
                Event::Start(ref e) | Event::Empty(ref e) => {
                    let ns = match res {
                        ResolveResult::Bound(n) => String::from_utf8(n.0.to_vec()).unwrap(),
                        ResolveResult::Unbound => String::new(),
                        ResolveResult::Unknown(p) => panic!("undeclared prefix {p:?} in {xml}"),
                    };
                    out.push((ns, String::from_utf8(e.local_name().as_ref().to_vec()).unwrap()));
                    if matches!(ev, Event::Start(_)) {
                        depth += 1;
                    }
                }
                Event::End(_) => depth -= 1,
                Event::Eof => break,
                _ => {}
            }
        }
        assert_eq!(depth, 0, "unclosed elements in {xml}");
        out
    }

    fn root(xml: &str) -> Element {
        dom::parse(xml.as_bytes()).expect("well-formed").expect("a root element")
    }

    fn n(ns: &str, l: &str) -> (String, String) {
        (ns.to_string(), l.to_string())
    }

    fn ok(props: Vec<XmlNode>) -> PropStat {
        PropStat { status: 200, props }
    }

    #[test]
    fn multistatus_with_many_namespaces() {
        let ms = MultiStatus {
            responses: vec![
                Response {
                    href: "/cal/a%20b.ics".into(),
                    body: ResponseBody::PropStats(vec![
                        ok(vec![
                            XmlNode::text_element(PropName::dav("getetag"), "\"abc\""),
                            XmlNode::text_element(PropName::caldav("calendar-data"), "BEGIN:VCALENDAR\r\nSUMMARY:a & b <c>\r\nEND:VCALENDAR\r\n"),
                            XmlNode::text_element(PropName::new(NS_CALENDARSERVER, "getctag"), "1"),
                            XmlNode::text_element(PropName::new(NS_APPLE_ICAL, "calendar-color"), "#FF0000"),
                            XmlNode::element(
                                PropName::dav("resourcetype"),
                                vec![XmlNode::empty(PropName::dav("collection")), XmlNode::empty(PropName::caldav("calendar"))],
                            ),
                            XmlNode::element(
                                PropName::caldav("supported-calendar-component-set"),
                                vec![XmlNode::empty(PropName::caldav("comp")).with_attr("name", "VEVENT")],
                            ),
                        ]),
                        PropStat {
                            status: 404,
                            props: vec![
                                XmlNode::empty(PropName::new("urn:x-one", "a")),
                                XmlNode::empty(PropName::new("urn:x-two", "b")),
                                XmlNode::empty(PropName::new("", "nons")),
                                XmlNode::empty(PropName::new("urn:x-one", "c")),
                            ],
                        },
                        PropStat { status: 403, props: vec![] },
                    ]),
                    error: None,
                },
                Response { href: "/cal/gone.ics".into(), body: ResponseBody::Status(404), error: None },
            ],
            sync_token: Some("urn:slotdav:sync:7".into()),
        };
        let xml = ms.to_xml();
        assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<D:multistatus xmlns:D=\"DAV:\""));
        assert!(!xml.contains("xmlns=\""), "no default namespace may be declared: {xml}");
        let all = names(&xml);
        for expected in [
            n(NS_DAV, "multistatus"),
            n(NS_CALDAV, "calendar-data"),
            n(NS_CALENDARSERVER, "getctag"),
            n(NS_APPLE_ICAL, "calendar-color"),
            n("urn:x-one", "a"),
            n("urn:x-two", "b"),
            n("", "nons"),
            n("urn:x-one", "c"),
            n(NS_DAV, "sync-token"),
        ] {
            assert!(all.contains(&expected), "{expected:?} missing in {xml}");
        }
        assert_eq!(xml.matches("xmlns:ns").count(), 2);
        assert!(!xml.contains("403"), "empty groups are skipped");
        assert!(xml.contains("<D:status>HTTP/1.1 200 OK</D:status>"));
        assert!(xml.contains("<D:status>HTTP/1.1 404 Not Found</D:status>"));
        assert!(xml.contains("<C:comp name=\"VEVENT\"/>"));

        let doc = root(&xml);
        let first = doc.elements().next().unwrap();
        assert_eq!(first.child(NS_DAV, "href").unwrap().text(), "/cal/a%20b.ics");
        let prop = first.child(NS_DAV, "propstat").unwrap().child(NS_DAV, "prop").unwrap();
        assert_eq!(
            prop.child(NS_CALDAV, "calendar-data").unwrap().text(),
            "BEGIN:VCALENDAR\r\nSUMMARY:a & b <c>\r\nEND:VCALENDAR\r\n"
        );
        let second = doc.elements().nth(1).unwrap();
        assert_eq!(second.child(NS_DAV, "status").unwrap().text(), "HTTP/1.1 404 Not Found");
        assert_eq!(doc.child(NS_DAV, "sync-token").unwrap().text(), "urn:slotdav:sync:7");
    }

    #[test]
    fn dead_property_fragments_are_embedded_verbatim() {
        let body = "<propertyupdate xmlns=\"DAV:\"><set><prop>\
            <D:weird xmlns:D=\"urn:not-dav\" xmlns:ns1=\"urn:also-odd\"><ns1:x>\u{10348} &amp; &lt;</ns1:x></D:weird>\
            <plain xmlns=\"\">p</plain><def xmlns=\"urn:def\"><child/></def></prop></set></propertyupdate>";
        let ops = parse_proppatch(body.as_bytes()).unwrap();
        let raws: Vec<XmlNode> = ops
            .iter()
            .map(|o| match o {
                PropPatchOp::Set { value, .. } => XmlNode::Raw(value.clone()),
                _ => unreachable!(),
            })
            .collect();
        let ms = MultiStatus {
            responses: vec![Response {
                href: "/cal/".into(),
                body: ResponseBody::PropStats(vec![ok(raws), PropStat {
                    status: 404,
                    props: vec![XmlNode::empty(PropName::new("urn:x", "after"))],
                }]),
                error: None,
            }],
            sync_token: None,
        };
        let xml = ms.to_xml();
        let all = names(&xml);
        for expected in [
            n("urn:not-dav", "weird"),
            n("urn:also-odd", "x"),
            n("", "plain"),
            n("urn:def", "def"),
            n("urn:def", "child"),
            n("urn:x", "after"),
            n(NS_DAV, "status"),
        ] {
            assert!(all.contains(&expected), "{expected:?} missing in {xml}");
        }
        let doc = root(&xml);
        let prop = doc.elements().next().unwrap().child(NS_DAV, "propstat").unwrap().child(NS_DAV, "prop").unwrap();
        assert_eq!(prop.child("urn:not-dav", "weird").unwrap().child("urn:also-odd", "x").unwrap().text(), "\u{10348} & <");
    }

    #[test]
    fn all_empty_propstats_still_give_a_valid_response() {
        for groups in [vec![], vec![PropStat { status: 404, props: vec![] }]] {
            let ms = MultiStatus {
                responses: vec![Response { href: "/x".into(), body: ResponseBody::PropStats(groups), error: None }],
                sync_token: None,
            };
            let xml = ms.to_xml();
            names(&xml);
            assert!(xml.contains("<D:propstat><D:prop/><D:status>HTTP/1.1 200 OK</D:status></D:propstat>"), "{xml}");
        }
        let empty = MultiStatus::default().to_xml();
        assert_eq!(names(&empty), vec![n(NS_DAV, "multistatus")]);
    }

    #[test]
    fn response_error_element() {
        let cond = XmlNode::element(PropName::caldav("no-uid-conflict"), vec![XmlNode::href("/cal/other.ics")]);
        let wrapped = XmlNode::element(PropName::dav("error"), vec![XmlNode::empty(PropName::dav("need-privileges"))]);
        let ms = MultiStatus {
            responses: vec![
                Response { href: "/a".into(), body: ResponseBody::Status(409), error: Some(cond) },
                Response { href: "/b".into(), body: ResponseBody::Status(403), error: Some(wrapped) },
            ],
            sync_token: None,
        };
        let xml = ms.to_xml();
        let all = names(&xml);
        assert_eq!(all.iter().filter(|x| **x == n(NS_DAV, "error")).count(), 2, "{xml}");
        assert!(all.contains(&n(NS_CALDAV, "no-uid-conflict")));
        assert!(xml.contains(
            "<D:status>HTTP/1.1 409 Conflict</D:status><D:error><C:no-uid-conflict><D:href>/cal/other.ics</D:href></C:no-uid-conflict></D:error>"
        ));
    }

    #[test]
    fn error_body_declares_the_condition_namespace() {
        let cond = XmlNode::element(PropName::caldav("no-uid-conflict"), vec![XmlNode::href("/x")]);
        let xml = error_body(&cond);
        assert_eq!(
            xml,
            "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<D:error xmlns:D=\"DAV:\" xmlns:C=\"urn:ietf:params:xml:ns:caldav\"><C:no-uid-conflict><D:href>/x</D:href></C:no-uid-conflict></D:error>"
        );
        let xml = error_body(&XmlNode::empty(PropName::new("urn:x-custom", "too-busy")));
        assert_eq!(names(&xml), vec![n(NS_DAV, "error"), n("urn:x-custom", "too-busy")]);
        let xml = error_body(&XmlNode::empty(PropName::dav("lock-token-submitted")));
        assert_eq!(names(&xml), vec![n(NS_DAV, "error"), n(NS_DAV, "lock-token-submitted")]);
    }

    #[test]
    fn document_declares_all_namespaces_on_the_root() {
        let node = XmlNode::element(
            PropName::dav("mkcol-response"),
            vec![XmlNode::element(
                PropName::dav("propstat"),
                vec![
                    XmlNode::element(
                        PropName::dav("prop"),
                        vec![
                            XmlNode::empty(PropName::caldav("calendar-timezone")),
                            XmlNode::empty(PropName::new("urn:x", "y")),
                            XmlNode::text_element(PropName::new("", "z"), "a\"b'c"),
                        ],
                    ),
                    XmlNode::text_element(PropName::dav("status"), status_line(200)),
                ],
            )
            .with_attr("note", "q\"<&>")],
        );
        let xml = document(&node);
        assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<D:mkcol-response xmlns:D=\"DAV:\" xmlns:C="));
        let all = names(&xml);
        assert_eq!(all[0], n(NS_DAV, "mkcol-response"));
        assert!(all.contains(&n("urn:x", "y")) && all.contains(&n("", "z")));
        let doc = root(&xml);
        assert_eq!(doc.elements().next().unwrap().attr("note"), Some("q\"<&>"));
        // A root in a foreign namespace gets its generated prefix declared on itself.
        let xml = document(&XmlNode::text_element(PropName::new("urn:only", "r"), "t"));
        assert_eq!(names(&xml), vec![n("urn:only", "r")]);
    }

    #[test]
    fn status_texts() {
        for (code, text) in [
            (200, "OK"),
            (201, "Created"),
            (204, "No Content"),
            (403, "Forbidden"),
            (404, "Not Found"),
            (409, "Conflict"),
            (412, "Precondition Failed"),
            (424, "Failed Dependency"),
            (507, "Insufficient Storage"),
            (500, "Internal Server Error"),
        ] {
            assert_eq!(status_line(code), format!("HTTP/1.1 {code} {text}"));
        }
    }

    #[test]
    fn control_characters_do_not_break_the_document() {
        let ms = MultiStatus {
            responses: vec![Response {
                href: "/a\u{1}".into(),
                body: ResponseBody::PropStats(vec![ok(vec![XmlNode::text_element(
                    PropName::dav("displayname"),
                    "bell\u{7} nul\u{0} ]]> fffe\u{FFFE}",
                )])]),
                error: None,
            }],
            sync_token: None,
        };
        names(&ms.to_xml());
        assert!(ms.to_xml().contains("]]&gt;"));
    }

    #[test]
    fn ten_thousand_responses_are_fast() {
        let ical = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:x\r\nSUMMARY:Tom & Jerry <3\r\nDTSTART:20270101T100000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n".repeat(8);
        let ms = MultiStatus {
            responses: (0..10_000)
                .map(|i| Response {
                    href: format!("/cal/event-{i}.ics"),
                    body: ResponseBody::PropStats(vec![ok(vec![
                        XmlNode::text_element(PropName::dav("getetag"), format!("\"{i}\"")),
                        XmlNode::text_element(PropName::caldav("calendar-data"), ical.clone()),
                    ])]),
                    error: None,
                })
                .collect(),
            sync_token: Some("t".into()),
        };
        let t = std::time::Instant::now();
        let xml = ms.to_xml();
        let took = t.elapsed();
        assert!(xml.len() > 10_000 * ical.len());
        assert!(took < std::time::Duration::from_secs(3), "took {took:?}");
        assert_eq!(xml.matches("<D:response>").count(), 10_000);
    }
}
