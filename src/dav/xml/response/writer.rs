//! The XML writer behind every response body: [`Namespaces`] gives the
//! fixed prefixes (`D`, `C`, `CS`, `ICAL`) and a generated one (`ns1`, …)
//! to any other namespace, all declared on the root; [`Writer`] writes
//! [`XmlNode`]s with them, escaped.
//!
//! A leaf: it imports only `dav::xml`'s names and escaping.

use std::collections::HashMap;

use super::super::escape::{push_attr, push_text};
use super::super::{PropName, XmlNode, NS_APPLE_ICAL, NS_CALDAV, NS_CALENDARSERVER, NS_DAV};

pub(super) const XML_DECL: &str = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n";

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
    /// Starts with the CalDAV and CalendarServer prefixes, which live
    /// property values may use, already declared.
    pub(super) fn for_live_properties() -> Namespaces {
        Namespaces { caldav: true, calendarserver: true, ..Default::default() }
    }

    /// Notes the namespaces of `node`'s elements; returns a size estimate.
    pub(super) fn collect(&mut self, node: &XmlNode) -> usize {
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

pub(super) struct Writer<'a> {
    pub(super) out: String,
    pub(super) ns: &'a Namespaces,
}

impl Writer<'_> {
    /// The `xmlns:` attributes of the root element. No default namespace is
    /// ever declared, so unprefixed element names are in no namespace.
    pub(super) fn declarations(&mut self) {
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

    pub(super) fn qname(&mut self, name: &PropName) {
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

    pub(super) fn node(&mut self, node: &XmlNode) {
        match node {
            XmlNode::Text(t) => push_text(&mut self.out, t),
            XmlNode::Raw(r) => self.out.push_str(r),
            XmlNode::Element { name, attrs, children } => self.element(name, attrs, children, false),
        }
    }

    pub(super) fn element(&mut self, name: &PropName, attrs: &[(String, String)], children: &[XmlNode], root: bool) {
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
}
