//! `DAV:multistatus` (RFC 4918 §13, RFC 6578 §6.4): the response types,
//! the whole-document writer, and [`MultiStatusBuilder`], which streams
//! responses as they are produced.
//!
//! May import: [`super::writer`], [`super::status`].

use super::super::escape::{push_encoded_href, push_text};
use super::super::{PropName, XmlNode, NS_CALDAV, NS_DAV};
use super::status::reason_phrase;
use super::writer::{Namespaces, Writer, XML_DECL};

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
    /// Namespaces known up front: each response is written at once, and
    /// with a sink the text goes out every [`CHUNK`] bytes.
    Streaming { ns: Namespaces, out: String, sink: Option<Box<dyn ChunkSink>> },
    /// `allprop`/`propname`: dead property names are only known once read.
    Collected(MultiStatus),
    /// A streamed answer whose reader is gone: the rest is written nowhere.
    Gone,
}

/// Text a streaming builder hands to its sink at a time: what stays in
/// memory of a listing, however long, is one chunk here and the few the
/// sink holds.
pub const CHUNK: usize = 64 * 1024;

/// Where a streaming [`MultiStatusBuilder`] sends its text as it goes (the
/// DAV surface sends it to the client). The first chunk is the start of the
/// document; [`MultiStatusBuilder::finish`] sends the rest.
pub trait ChunkSink: Send {
    /// Takes the next piece of the document. An error means the text can no
    /// longer reach the client (it hung up): the builder then writes no more.
    fn chunk(&mut self, text: String) -> Result<(), SinkClosed>;
    /// Whether a chunk went out already (else the document may still be
    /// answered whole).
    fn started(&self) -> bool;
    /// The document is complete: nothing follows.
    fn end(&mut self);
}

/// A [`ChunkSink`]'s reader is gone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SinkClosed;

/// What [`MultiStatusBuilder::finish`] leaves to the caller.
#[derive(Debug)]
pub enum Finished {
    /// The whole document: nothing was sent yet.
    Whole(String),
    /// The document went to the sink, all of it (or as much as its reader
    /// took).
    Sent,
}

impl MultiStatusBuilder {
    /// A builder for responses carrying the properties `names` (and live
    /// property values, which only use the DAV, CalDAV and CalendarServer
    /// namespaces); `None` when the names are not known up front.
    pub fn new(names: Option<&[PropName]>, expected_responses: usize) -> Self {
        match names {
            Some(names) => {
                let mut ns = Namespaces::for_live_properties();
                for n in names {
                    ns.collect(&XmlNode::empty(n.clone()));
                }
                let mut w = Writer { out: String::with_capacity(256 + expected_responses * 256), ns: &ns };
                w.out.push_str(XML_DECL);
                w.out.push_str("<D:multistatus");
                w.declarations();
                w.out.push('>');
                let out = w.out;
                MultiStatusBuilder::Streaming { ns, out, sink: None }
            }
            None => MultiStatusBuilder::Collected(MultiStatus::default()),
        }
    }

    /// Sends the text to `sink` from the first full [`CHUNK`] on (a
    /// shorter document stays whole: [`Self::finish`] returns it). Only a
    /// builder that writes as it goes streams; the collected kind ignores
    /// the sink.
    pub fn stream_to(&mut self, to: Box<dyn ChunkSink>) {
        if let MultiStatusBuilder::Streaming { sink, .. } = self {
            *sink = Some(to);
        }
    }

    pub fn push(&mut self, response: Response) {
        match self {
            MultiStatusBuilder::Streaming { ns, out, .. } => {
                let mut w = Writer { out: std::mem::take(out), ns };
                w.response(&response);
                *out = w.out;
                self.send_full_chunk();
            }
            MultiStatusBuilder::Collected(ms) => ms.responses.push(response),
            MultiStatusBuilder::Gone => {}
        }
    }

    /// Hands the text written so far to the sink once it is a chunk long.
    fn send_full_chunk(&mut self) {
        if let MultiStatusBuilder::Streaming { out, sink: Some(s), .. } = self {
            if out.len() >= CHUNK {
                let text = std::mem::replace(out, String::with_capacity(CHUNK + CHUNK / 8));
                if s.chunk(text).is_err() {
                    *self = MultiStatusBuilder::Gone;
                }
            }
        }
    }

    /// Whether every name is one a listing answers from a resource's etag
    /// alone ([`Self::push_resource_etag`]): `DAV:getetag` and
    /// `DAV:resourcetype`, what clients ask of every member when they
    /// list a calendar (PROPFIND Depth 1, an initial sync).
    pub fn etag_listing(names: &[PropName]) -> bool {
        !names.is_empty() && names.iter().all(|n| n.is(NS_DAV, "getetag") || n.is(NS_DAV, "resourcetype"))
    }

    /// Whether every name is one [`Self::push_resource_head`] answers:
    /// those of [`Self::etag_listing`] and `CALDAV:calendar-data` (as
    /// stored), what clients ask of a calendar-query.
    pub fn head_listing(names: &[PropName]) -> bool {
        !names.is_empty()
            && names.iter().all(|n| n.is(NS_DAV, "getetag") || n.is(NS_DAV, "resourcetype") || n.is(NS_CALDAV, "calendar-data"))
    }

    /// The `DAV:response` of a resource (not a collection) for names that
    /// pass [`Self::etag_listing`], written straight from its href and
    /// etag: the same bytes as [`Self::push`] of the response a property
    /// lookup builds (one 200 propstat, names in the order asked,
    /// `<D:resourcetype/>`, the etag quoted), without building it.
    pub fn push_resource_etag(&mut self, href: &str, names: &[PropName], etag: &str) {
        self.push_resource_head(href, names, etag, "");
    }

    /// [`Self::push_resource_etag`] for names that pass
    /// [`Self::head_listing`]: `data` is the `CALDAV:calendar-data` text
    /// (the stored object), escaped here. Both take an `href` that is
    /// percent-encoded as `http::push_segment` writes it.
    pub fn push_resource_head(&mut self, href: &str, names: &[PropName], etag: &str, data: &str) {
        match self {
            MultiStatusBuilder::Streaming { out, .. } => {
                out.push_str("<D:response><D:href>");
                push_encoded_href(out, href);
                out.push_str("</D:href><D:propstat><D:prop>");
                for n in names {
                    match n.local.as_str() {
                        "getetag" => {
                            out.push_str("<D:getetag>\"");
                            push_text(out, etag);
                            out.push_str("\"</D:getetag>");
                        }
                        "calendar-data" => {
                            out.push_str("<C:calendar-data>");
                            push_text(out, data);
                            out.push_str("</C:calendar-data>");
                        }
                        _ => out.push_str("<D:resourcetype/>"),
                    }
                }
                out.push_str("</D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat></D:response>");
                self.send_full_chunk();
            }
            MultiStatusBuilder::Gone => {}
            MultiStatusBuilder::Collected(_) => {
                let props = names
                    .iter()
                    .map(|n| match n.local.as_str() {
                        "getetag" => XmlNode::text_element(n.clone(), format!("\"{etag}\"")),
                        "calendar-data" => XmlNode::text_element(n.clone(), data),
                        _ => XmlNode::empty(n.clone()),
                    })
                    .collect();
                self.push(Response {
                    href: href.to_string(),
                    body: ResponseBody::PropStats(vec![PropStat { status: 200, props }]),
                    error: None,
                });
            }
        }
    }

    /// The end of the document, with a `DAV:sync-token` when given: the
    /// whole text when nothing was streamed, else the rest goes to the sink.
    pub fn finish(self, sync_token: Option<String>) -> Finished {
        match self {
            MultiStatusBuilder::Streaming { mut out, sink, .. } => {
                if let Some(token) = sync_token {
                    out.push_str("<D:sync-token>");
                    push_text(&mut out, &token);
                    out.push_str("</D:sync-token>");
                }
                out.push_str("</D:multistatus>");
                match sink {
                    Some(mut s) if s.started() => {
                        if s.chunk(out).is_ok() {
                            s.end();
                        }
                        Finished::Sent
                    }
                    _ => Finished::Whole(out),
                }
            }
            MultiStatusBuilder::Collected(mut ms) => {
                ms.sync_token = sync_token;
                Finished::Whole(ms.to_xml())
            }
            MultiStatusBuilder::Gone => Finished::Sent,
        }
    }
}

/// Writing one `DAV:response` (and its statuses) with the shared writer.
impl Writer<'_>  {
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
    use super::super::testing::*;
    use crate::dav::xml::*;
    use super::*;

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
    fn an_etag_listing_writes_what_a_built_response_writes() {
        let asked = [
            vec![PropName::dav("resourcetype"), PropName::dav("getetag")],
            vec![PropName::dav("getetag")],
            vec![PropName::dav("getetag"), PropName::dav("resourcetype"), PropName::dav("getetag")],
        ];
        for wanted in &asked {
            assert!(MultiStatusBuilder::etag_listing(wanted));
            let mut fast = MultiStatusBuilder::new(Some(wanted), 2);
            let mut built = MultiStatusBuilder::new(Some(wanted), 2);
            for (href, etag) in [("/dav/calendars/a/b/x%20y.ics", "0af3"), ("/c/a&b%3Cc%3E.ics", "e&<>\"")] {
                fast.push_resource_etag(href, wanted, etag);
                let props = wanted
                    .iter()
                    .map(|n| match n.local.as_str() {
                        "getetag" => XmlNode::text_element(n.clone(), format!("\"{etag}\"")),
                        _ => XmlNode::element(n.clone(), vec![]),
                    })
                    .collect();
                built.push(Response {
                    href: href.into(),
                    body: ResponseBody::PropStats(vec![ok(props)]),
                    error: None,
                });
            }
            let (fast, built) = (whole(fast.finish(Some("tok".into()))), whole(built.finish(Some("tok".into()))));
            assert_eq!(fast, built);
            names(&fast);
        }
        for refused in [vec![], vec![PropName::dav("getcontenttype")], vec![PropName::caldav("getetag")]] {
            assert!(!MultiStatusBuilder::etag_listing(&refused));
        }
    }

    #[test]
    fn a_head_listing_writes_what_a_built_response_writes() {
        let asked = [
            vec![PropName::dav("getetag"), PropName::caldav("calendar-data")],
            vec![PropName::caldav("calendar-data"), PropName::dav("resourcetype"), PropName::dav("getetag")],
            vec![PropName::dav("getetag")],
        ];
        let data = "BEGIN:VCALENDAR\r\nSUMMARY:a & b <c> \"d\"\r\nEND:VCALENDAR\r\n";
        for wanted in &asked {
            assert!(MultiStatusBuilder::head_listing(wanted));
            let mut fast = MultiStatusBuilder::new(Some(wanted), 2);
            let mut built = MultiStatusBuilder::new(Some(wanted), 2);
            for (href, etag) in [("/dav/calendars/a/b/x%20y.ics", "0af3"), ("/c/a&b.ics", "e&<")] {
                fast.push_resource_head(href, wanted, etag, data);
                let props = wanted
                    .iter()
                    .map(|n| match n.local.as_str() {
                        "getetag" => XmlNode::text_element(n.clone(), format!("\"{etag}\"")),
                        "calendar-data" => XmlNode::text_element(n.clone(), data),
                        _ => XmlNode::element(n.clone(), vec![]),
                    })
                    .collect();
                built.push(Response { href: href.into(), body: ResponseBody::PropStats(vec![ok(props)]), error: None });
            }
            assert_eq!(whole(fast.finish(None)), whole(built.finish(None)));
        }
        for refused in [vec![], vec![PropName::dav("getcontenttype"), PropName::dav("getetag")], vec![PropName::dav("calendar-data")]] {
            assert!(!MultiStatusBuilder::head_listing(&refused));
        }
    }

    fn whole(done: Finished) -> String {
        match done {
            Finished::Whole(text) => text,
            Finished::Sent => panic!("nothing was streamed"),
        }
    }

    /// A sink that keeps what it is sent, and may stop taking it.
    #[derive(Clone, Default)]
    struct Kept {
        chunks: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
        ended: std::sync::Arc<std::sync::atomic::AtomicBool>,
        take_at_most: Option<usize>,
    }

    impl ChunkSink for Kept {
        fn chunk(&mut self, text: String) -> Result<(), SinkClosed> {
            let mut chunks = self.chunks.lock().unwrap();
            if self.take_at_most.is_some_and(|n| chunks.len() >= n) {
                return Err(SinkClosed);
            }
            chunks.push(text);
            Ok(())
        }
        fn started(&self) -> bool {
            !self.chunks.lock().unwrap().is_empty()
        }
        fn end(&mut self) {
            self.ended.store(true, std::sync::atomic::Ordering::SeqCst);
        }
    }

    fn listing(members: usize, sink: Option<Kept>) -> Finished {
        let names = [PropName::dav("getetag")];
        let mut ms = MultiStatusBuilder::new(Some(&names), 1);
        if let Some(s) = sink {
            ms.stream_to(Box::new(s));
        }
        for i in 0..members {
            ms.push_resource_etag(&format!("/dav/calendars/a/c/{i}.ics"), &names, &format!("e{i}"));
        }
        ms.finish(Some("tok".into()))
    }

    #[test]
    fn a_streamed_listing_is_the_same_document_in_chunks_of_bounded_size() {
        let kept = Kept::default();
        let done = listing(5_000, Some(kept.clone()));
        assert!(matches!(done, Finished::Sent));
        let chunks = kept.chunks.lock().unwrap();
        assert!(chunks.len() > 5, "{} chunks", chunks.len());
        assert!(chunks.iter().all(|c| c.len() < CHUNK + 1024), "no chunk grows past one response over the chunk size");
        assert!(kept.ended.load(std::sync::atomic::Ordering::SeqCst));
        assert_eq!(chunks.concat(), whole(listing(5_000, None)));
    }

    #[test]
    fn a_short_answer_is_not_streamed() {
        let kept = Kept::default();
        let done = listing(3, Some(kept.clone()));
        assert!(kept.chunks.lock().unwrap().is_empty());
        assert_eq!(whole(done), whole(listing(3, None)));
    }

    #[test]
    fn a_reader_that_hangs_up_gets_nothing_more() {
        let kept = Kept { take_at_most: Some(2), ..Kept::default() };
        assert!(matches!(listing(20_000, Some(kept.clone())), Finished::Sent));
        assert_eq!(kept.chunks.lock().unwrap().len(), 2);
        assert!(!kept.ended.load(std::sync::atomic::Ordering::SeqCst));
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
