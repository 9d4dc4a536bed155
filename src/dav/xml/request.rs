//! Request bodies as types (RFC 4918 §14, RFC 4791 §9, RFC 6578 §6,
//! RFC 5689 §5). Each `parse_*` function takes the raw body and returns a
//! typed request, or an [`XmlError`]; it decides nothing else.

use super::{PropName, XmlError};
use crate::ical::filter::CompFilter;
use crate::ical::render::CalendarDataRequest;
use crate::model::TimeRange;

/// `DAV:propfind` (RFC 4918 §14.20). An empty body means `allprop`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PropFind {
    /// `DAV:allprop`, with the names of `DAV:include` (RFC 4918 §14.8).
    AllProp { include: Vec<PropName> },
    /// `DAV:propname`.
    PropName,
    /// `DAV:prop`: exactly these properties.
    Prop(Vec<PropName>),
}

/// What a REPORT asks to be returned for each resource: a `DAV:prop` list
/// (or allprop/propname), plus how to shape `CALDAV:calendar-data` when it
/// is among them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportProps {
    pub props: PropFind,
    /// Present when `CALDAV:calendar-data` was asked for.
    pub calendar_data: Option<CalendarDataRequest>,
}

/// One instruction of `DAV:propertyupdate` (RFC 4918 §14.19), in document
/// order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PropPatchOp {
    /// `DAV:set`: `value` is the whole property element, serialised as a
    /// self-contained fragment (every namespace it uses declared on it), so
    /// it can be stored and written back verbatim.
    Set { name: PropName, value: String },
    /// `DAV:remove`.
    Remove(PropName),
}

/// The body of MKCALENDAR (RFC 4791 §5.3.1) or extended MKCOL (RFC 5689):
/// the properties to set on the new collection.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MkColRequest {
    /// The `DAV:resourcetype` children, for extended MKCOL.
    pub resourcetype: Option<Vec<PropName>>,
    /// Every other property in `DAV:set`, as for [`PropPatchOp::Set`].
    pub props: Vec<(PropName, String)>,
}

/// `DAV:sync-level` (RFC 6578 §6.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyncLevel {
    One,
    Infinite,
}

/// The REPORTs slotdav understands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Report {
    /// `CALDAV:calendar-query` (RFC 4791 §7.8).
    CalendarQuery {
        props: ReportProps,
        filter: CompFilter,
        /// `CALDAV:timezone`: a VCALENDAR with one VTIMEZONE, for floating time.
        timezone: Option<String>,
    },
    /// `CALDAV:calendar-multiget` (RFC 4791 §7.9). Hrefs as sent (still
    /// percent-encoded).
    CalendarMultiget { props: ReportProps, hrefs: Vec<String> },
    /// `CALDAV:free-busy-query` (RFC 4791 §7.10).
    FreeBusyQuery { range: TimeRange },
    /// `DAV:sync-collection` (RFC 6578 §3.2). An empty token is the initial sync.
    SyncCollection {
        token: String,
        level: SyncLevel,
        limit: Option<u32>,
        props: ReportProps,
    },
    /// `DAV:expand-property` (RFC 3253 §3.8), as Apple Calendar sends for
    /// delegation lookups: the properties asked for, flattened.
    ExpandProperty { props: Vec<PropName> },
    /// `DAV:principal-search-property-set` (RFC 3744 §9.5).
    PrincipalSearchPropertySet,
    /// `DAV:principal-property-search` (RFC 3744 §9.4): match strings per
    /// property, and the properties to return.
    PrincipalPropertySearch {
        matches: Vec<(Vec<PropName>, String)>,
        props: Vec<PropName>,
    },
    /// Any other report: answered 403 with `DAV:supported-report`.
    Unsupported(PropName),
}

pub fn parse_propfind(body: &[u8]) -> Result<PropFind, XmlError> {
    todo!("H2")
}
pub fn parse_proppatch(body: &[u8]) -> Result<Vec<PropPatchOp>, XmlError> {
    todo!("H2")
}
/// Parses `DAV:mkcol` (RFC 5689) or `CALDAV:mkcalendar` (RFC 4791 §9.1);
/// both wrap `DAV:set`/`DAV:prop`. An empty body gives the default request.
pub fn parse_mkcol(body: &[u8]) -> Result<MkColRequest, XmlError> {
    todo!("H2")
}
pub fn parse_report(body: &[u8]) -> Result<Report, XmlError> {
    todo!("H2")
}
