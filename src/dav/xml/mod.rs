//! The WebDAV/CalDAV wire format: typed request bodies ([`request`]) and
//! multi-status and error bodies ([`response`]). Parsing only turns bytes into
//! types; it makes no decisions. Nothing outside `dav` and `caldav` sees
//! quick-xml.

mod dom;
mod escape;
pub mod request;
pub mod response;

use std::fmt;

/// `DAV:` (RFC 4918).
pub const NS_DAV: &str = "DAV:";
/// `urn:ietf:params:xml:ns:caldav` (RFC 4791).
pub const NS_CALDAV: &str = "urn:ietf:params:xml:ns:caldav";
/// Apple's CalendarServer extensions (getctag).
pub const NS_CALENDARSERVER: &str = "http://calendarserver.org/ns/";
/// Apple iCal extensions (calendar-color, calendar-order).
pub const NS_APPLE_ICAL: &str = "http://apple.com/ns/ical/";

/// An XML element name: namespace URI plus local name. The namespace is the
/// empty string for elements in no namespace.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PropName {
    pub ns: String,
    pub local: String,
}

impl PropName {
    pub fn new(ns: &str, local: &str) -> Self {
        PropName { ns: ns.to_string(), local: local.to_string() }
    }
    pub fn dav(local: &str) -> Self {
        Self::new(NS_DAV, local)
    }
    pub fn caldav(local: &str) -> Self {
        Self::new(NS_CALDAV, local)
    }
    pub fn is(&self, ns: &str, local: &str) -> bool {
        self.ns == ns && self.local == local
    }
    /// Clark notation, `{ns}local`: the key dead properties are stored under.
    pub fn clark(&self) -> String {
        format!("{{{}}}{}", self.ns, self.local)
    }
    pub fn from_clark(s: &str) -> Option<Self> {
        let rest = s.strip_prefix('{')?;
        let (ns, local) = rest.split_once('}')?;
        Some(PropName::new(ns, local))
    }
}

impl fmt::Display for PropName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.clark())
    }
}

/// A small XML tree used for property values in responses: live properties
/// are built from these, dead properties carry their stored XML as
/// [`XmlNode::Raw`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum XmlNode {
    Element {
        name: PropName,
        /// Attributes in no namespace, e.g. `name="VEVENT"`.
        attrs: Vec<(String, String)>,
        children: Vec<XmlNode>,
    },
    /// Character data (escaped on output).
    Text(String),
    /// A self-contained, well-formed XML fragment (every prefix it uses is
    /// declared inside it), written out unchanged. Dead properties round-trip
    /// through this.
    Raw(String),
}

impl XmlNode {
    pub fn element(name: PropName, children: Vec<XmlNode>) -> Self {
        XmlNode::Element { name, attrs: Vec::new(), children }
    }
    pub fn text_element(name: PropName, text: impl Into<String>) -> Self {
        XmlNode::Element { name, attrs: Vec::new(), children: vec![XmlNode::Text(text.into())] }
    }
    pub fn empty(name: PropName) -> Self {
        XmlNode::element(name, Vec::new())
    }
    /// `<D:href>…</D:href>`; the caller passes an already percent-encoded path.
    pub fn href(path: impl Into<String>) -> Self {
        XmlNode::text_element(PropName::dav("href"), path)
    }
    pub fn with_attr(mut self, key: &str, value: &str) -> Self {
        if let XmlNode::Element { attrs, .. } = &mut self {
            attrs.push((key.to_string(), value.to_string()));
        }
        self
    }
}

/// Why a request body could not be understood. → 400 Bad Request
/// (or the precondition named by the variant).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum XmlError {
    /// Not well-formed XML, or not UTF-8.
    #[error("malformed XML: {0}")]
    Malformed(String),
    /// Well-formed, but not the element the method expects, or a required
    /// child is missing.
    #[error("unexpected XML: {0}")]
    Unexpected(String),
    /// A `text-match` with a collation the server does not support.
    /// → 403 `CALDAV:supported-collation`
    #[error("unsupported collation {0}")]
    UnsupportedCollation(String),
    /// A time-range outside a filter (free-busy-query, `expand`,
    /// `limit-recurrence-set`, `limit-freebusy-set`) whose value is not a
    /// UTC date-time, or start ≥ end. → 400 (inside a filter it is
    /// [`XmlError::InvalidFilter`])
    #[error("invalid time-range: {0}")]
    InvalidTimeRange(String),
    /// A `CALDAV:filter` that is not valid per RFC 4791 §9.7 (root is not
    /// VCALENDAR, components nested where iCalendar does not allow them,
    /// `is-not-defined` beside conditions, a time-range that is not UTC or
    /// is empty, or on a component or property without time). → 403
    /// `CALDAV:valid-filter`
    #[error("invalid filter: {0}")]
    InvalidFilter(String),
    /// A document type declaration that declares entities or names an
    /// external subset: nothing is fetched or expanded.
    /// → 403 `DAV:no-external-entities` (RFC 4918 §16)
    #[error("entity declarations and external DTDs are not accepted")]
    ExternalEntities,
    /// A filter element, or a component, the server does not query
    /// (RFC 4791 §7.7). → 403 `CALDAV:supported-filter`
    #[error("unsupported filter: {0}")]
    UnsupportedFilter(String),
    /// `CALDAV:calendar-data` asking for a media type or version the server
    /// does not return (RFC 4791 §9.6). → 403 `CALDAV:supported-calendar-data`
    #[error("unsupported calendar-data: {0}")]
    UnsupportedCalendarData(String),
    /// A `CALDAV:timezone` that is not an iCalendar object with exactly
    /// one VTIMEZONE (RFC 4791 §9.8). → 403 `CALDAV:valid-calendar-data`
    #[error("invalid timezone: {0}")]
    InvalidTimezone(String),
}
