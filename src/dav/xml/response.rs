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

/// The reason phrase for a status code (RFC 9110 §15, RFC 4918 §11).
pub fn reason_phrase(code: u16) -> &'static str {
    match code {
        100 => "Continue",
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        204 => "No Content",
        207 => "Multi-Status",
        301 => "Moved Permanently",
        302 => "Found",
        304 => "Not Modified",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        409 => "Conflict",
        410 => "Gone",
        412 => "Precondition Failed",
        413 => "Content Too Large",
        415 => "Unsupported Media Type",
        422 => "Unprocessable Content",
        423 => "Locked",
        424 => "Failed Dependency",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        507 => "Insufficient Storage",
        _ => match code / 100 {
            1 => "Informational",
            2 => "Success",
            3 => "Redirection",
            4 => "Client Error",
            _ => "Server Error",
        },
    }
}

/// `HTTP/1.1 404 Not Found`, the content of `DAV:status`.
pub fn status_line(code: u16) -> String {
    format!("HTTP/1.1 {code} {}", reason_phrase(code))
}

const XML_DECL: &str = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n";

/// The fixed prefixes and which of them are needed, plus generated
/// prefixes (`ns1`, …) for every other namespace, all declared on the root.
#[derive(Default)]
struct Namespaces {
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
