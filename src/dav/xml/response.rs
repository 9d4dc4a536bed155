//! Response bodies: `DAV:multistatus` (RFC 4918 §13, RFC 6578 §6.4) and
//! `DAV:error` (RFC 4918 §16). Namespaces get fixed prefixes (`D`, `C`,
//! `CS`, `ICAL`) and any other namespace a generated one.

use super::XmlNode;

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
        todo!("H2")
    }
}

/// A `DAV:error` document holding one precondition/postcondition element.
pub fn error_body(condition: &XmlNode) -> String {
    todo!("H2")
}

/// A standalone document with `node` as root (used for MKCALENDAR/MKCOL
/// response bodies and PROPFIND on single properties in tests).
pub fn document(node: &XmlNode) -> String {
    todo!("H2")
}
