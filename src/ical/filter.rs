//! CalDAV filters (RFC 4791 §9.7) as domain objects, and their evaluation
//! against a [`CalendarObject`](super::CalendarObject).
//!
//! The DAV layer parses `<C:filter>` into these types; storage uses
//! [`CompFilter::time_range_hint`] to prefilter through the time-range index;
//! the final answer always comes from [`CompFilter::matches`].

use crate::model::OpenTimeRange;

/// `CALDAV:comp-filter` (RFC 4791 §9.7.1). The root filter names VCALENDAR.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CompFilter {
    /// Component name, upper case (`VCALENDAR`, `VEVENT`, `VALARM`, …).
    pub name: String,
    pub is_not_defined: bool,
    pub time_range: Option<OpenTimeRange>,
    pub prop_filters: Vec<PropFilter>,
    pub comp_filters: Vec<CompFilter>,
}

/// `CALDAV:prop-filter` (RFC 4791 §9.7.2).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PropFilter {
    /// Property name, upper case.
    pub name: String,
    pub is_not_defined: bool,
    pub time_range: Option<OpenTimeRange>,
    pub text_match: Option<TextMatch>,
    pub param_filters: Vec<ParamFilter>,
}

/// `CALDAV:param-filter` (RFC 4791 §9.7.3).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ParamFilter {
    /// Parameter name, upper case.
    pub name: String,
    pub is_not_defined: bool,
    pub text_match: Option<TextMatch>,
}

/// `CALDAV:text-match` (RFC 4791 §9.7.5): substring match under a collation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextMatch {
    pub text: String,
    pub collation: Collation,
    pub negate: bool,
}

/// The collations a server must support (RFC 4791 §7.5.1) plus
/// `i;unicode-casemap` (RFC 5051).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Collation {
    #[default]
    AsciiCasemap,
    UnicodeCasemap,
    Octet,
}

impl Collation {
    /// The collation for a `collation` attribute value, or `None` when the
    /// server does not support it (→ `CALDAV:supported-collation`).
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "i;ascii-casemap" => Some(Collation::AsciiCasemap),
            "i;unicode-casemap" => Some(Collation::UnicodeCasemap),
            "i;octet" => Some(Collation::Octet),
            _ => None,
        }
    }
}
