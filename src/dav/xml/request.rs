//! Request bodies as types (RFC 4918 §14, RFC 4791 §9, RFC 6578 §6,
//! RFC 5689 §5). Each `parse_*` function takes the raw body and returns a
//! typed request, or an [`XmlError`]; it decides nothing else.

use chrono::{DateTime, NaiveDate, Utc};

use super::dom::{self, Element};
use super::{PropName, XmlError, NS_CALDAV, NS_DAV};
use crate::ical::filter::{Collation, CompFilter, ParamFilter, PropFilter, TextMatch};
use crate::ical::render::{CalendarDataRequest, CompSelection, PropSelection};
use crate::model::{OpenTimeRange, TimeRange};

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

/// Parses a PROPFIND body (RFC 4918 §9.1, §14.20). An empty body, or a
/// `DAV:propfind` with none of `prop`/`propname`/`allprop`, is `allprop`.
pub fn parse_propfind(body: &[u8]) -> Result<PropFind, XmlError> {
    let Some(root) = dom::parse(body)? else {
        return Ok(PropFind::AllProp { include: Vec::new() });
    };
    expect_root(&root, NS_DAV, "propfind")?;
    Ok(prop_request(&root).unwrap_or(PropFind::AllProp { include: Vec::new() }))
}

/// Parses a PROPPATCH body (RFC 4918 §9.2, §14.19): every property of every
/// `DAV:set`/`DAV:remove`, in document order.
pub fn parse_proppatch(body: &[u8]) -> Result<Vec<PropPatchOp>, XmlError> {
    let root = require_root(body)?;
    expect_root(&root, NS_DAV, "propertyupdate")?;
    let mut ops = Vec::new();
    for instr in root.elements() {
        let set = instr.is(NS_DAV, "set");
        if !set && !instr.is(NS_DAV, "remove") {
            continue;
        }
        for prop in instr.children_named(NS_DAV, "prop") {
            for p in prop.elements() {
                ops.push(if set {
                    PropPatchOp::Set { name: p.name(), value: p.to_fragment() }
                } else {
                    PropPatchOp::Remove(p.name())
                });
            }
        }
    }
    if ops.is_empty() {
        return Err(XmlError::Unexpected("propertyupdate without properties".into()));
    }
    Ok(ops)
}

/// Parses `DAV:mkcol` (RFC 5689) or `CALDAV:mkcalendar` (RFC 4791 §9.1);
/// both wrap `DAV:set`/`DAV:prop`. An empty body gives the default request.
pub fn parse_mkcol(body: &[u8]) -> Result<MkColRequest, XmlError> {
    let Some(root) = dom::parse(body)? else {
        return Ok(MkColRequest::default());
    };
    if !root.is(NS_DAV, "mkcol") && !root.is(NS_CALDAV, "mkcalendar") {
        return Err(unexpected_root(&root));
    }
    let mut req = MkColRequest::default();
    for set in root.children_named(NS_DAV, "set") {
        for prop in set.children_named(NS_DAV, "prop") {
            for p in prop.elements() {
                if p.is(NS_DAV, "resourcetype") {
                    req.resourcetype = Some(p.elements().map(Element::name).collect());
                } else {
                    req.props.push((p.name(), p.to_fragment()));
                }
            }
        }
    }
    Ok(req)
}

/// Parses a REPORT body, dispatching on the root element (RFC 3253 §3.6).
pub fn parse_report(body: &[u8]) -> Result<Report, XmlError> {
    let root = require_root(body)?;
    let ns = root.ns.as_str();
    let local = root.local.as_str();
    match (ns, local) {
        (NS_CALDAV, "calendar-query") => parse_calendar_query(&root),
        (NS_CALDAV, "calendar-multiget") => Ok(Report::CalendarMultiget {
            props: report_props(&root)?,
            hrefs: root
                .children_named(NS_DAV, "href")
                .map(|h| h.text().trim().to_string())
                .collect(),
        }),
        (NS_CALDAV, "free-busy-query") => {
            let tr = root
                .child(NS_CALDAV, "time-range")
                .ok_or_else(|| XmlError::Unexpected("free-busy-query without time-range".into()))?;
            Ok(Report::FreeBusyQuery { range: closed_range(tr)? })
        }
        (NS_DAV, "sync-collection") => parse_sync_collection(&root),
        (NS_DAV, "expand-property") => {
            let mut props = Vec::new();
            collect_expand_properties(&root, &mut props);
            Ok(Report::ExpandProperty { props })
        }
        (NS_DAV, "principal-search-property-set") => Ok(Report::PrincipalSearchPropertySet),
        (NS_DAV, "principal-property-search") => {
            let matches = root
                .children_named(NS_DAV, "property-search")
                .map(|ps| {
                    let names = ps
                        .children_named(NS_DAV, "prop")
                        .flat_map(|p| p.elements().map(Element::name))
                        .collect();
                    let text = ps.child(NS_DAV, "match").map(|m| m.text()).unwrap_or_default();
                    (names, text)
                })
                .collect();
            let props = root
                .children_named(NS_DAV, "prop")
                .flat_map(|p| p.elements().map(Element::name))
                .collect();
            Ok(Report::PrincipalPropertySearch { matches, props })
        }
        _ => Ok(Report::Unsupported(root.name())),
    }
}

// ---------------------------------------------------------------------------
// Shared helpers

fn require_root(body: &[u8]) -> Result<Element, XmlError> {
    dom::parse(body)?.ok_or_else(|| XmlError::Unexpected("empty body".into()))
}

fn unexpected_root(root: &Element) -> XmlError {
    XmlError::Unexpected(format!("unexpected root element {}", root.name()))
}

fn expect_root(root: &Element, ns: &str, local: &str) -> Result<(), XmlError> {
    if root.is(ns, local) {
        Ok(())
    } else {
        Err(unexpected_root(root))
    }
}

/// The first of `DAV:prop`, `DAV:propname`, `DAV:allprop` (+ `DAV:include`)
/// among `parent`'s children.
fn prop_request(parent: &Element) -> Option<PropFind> {
    parent.elements().find_map(|e| {
        if e.ns != NS_DAV {
            return None;
        }
        match e.local.as_str() {
            "prop" => Some(PropFind::Prop(e.elements().map(Element::name).collect())),
            "propname" => Some(PropFind::PropName),
            "allprop" => Some(PropFind::AllProp {
                include: parent
                    .children_named(NS_DAV, "include")
                    .flat_map(|i| i.elements().map(Element::name))
                    .collect(),
            }),
            _ => None,
        }
    })
}

/// The properties a REPORT asks for. Without any of `prop`/`allprop`/
/// `propname`, no properties (only hrefs are reported).
fn report_props(root: &Element) -> Result<ReportProps, XmlError> {
    let props = prop_request(root).unwrap_or(PropFind::Prop(Vec::new()));
    let calendar_data = match root.child(NS_DAV, "prop").and_then(|p| p.child(NS_CALDAV, "calendar-data")) {
        Some(cd) if matches!(props, PropFind::Prop(_)) => Some(parse_calendar_data(cd)?),
        _ => None,
    };
    Ok(ReportProps { props, calendar_data })
}

// ---------------------------------------------------------------------------
// Time values (RFC 4791 §9.9: "date with UTC time", RFC 5545 §3.3.5 form 2)

/// Parses `YYYYMMDDTHHMMSSZ`.
fn parse_utc(value: &str) -> Result<DateTime<Utc>, XmlError> {
    let bad = || XmlError::InvalidTimeRange(format!("{value:?} is not a UTC date-time"));
    let v = value.trim().as_bytes();
    let digits = |r: std::ops::Range<usize>| -> Option<u32> {
        v.get(r)?.iter().try_fold(0u32, |acc, b| b.is_ascii_digit().then(|| acc * 10 + u32::from(b - b'0')))
    };
    if v.len() != 16 || v[8] != b'T' || v[15] != b'Z' {
        return Err(bad());
    }
    let (y, mo, d) = (digits(0..4).ok_or_else(bad)?, digits(4..6).ok_or_else(bad)?, digits(6..8).ok_or_else(bad)?);
    let (h, mi, s) = (digits(9..11).ok_or_else(bad)?, digits(11..13).ok_or_else(bad)?, digits(13..15).ok_or_else(bad)?);
    let date = NaiveDate::from_ymd_opt(y as i32, mo, d).ok_or_else(bad)?;
    let dt = date.and_hms_opt(h, mi, s).ok_or_else(bad)?;
    Ok(dt.and_utc())
}

fn attr_time(el: &Element, name: &str) -> Result<Option<DateTime<Utc>>, XmlError> {
    el.attr(name).map(parse_utc).transpose()
}

/// A `CALDAV:time-range` in a filter (§9.9): either end may be missing, but
/// not both; start must be before end.
fn open_range(el: &Element) -> Result<OpenTimeRange, XmlError> {
    let start = attr_time(el, "start")?;
    let end = attr_time(el, "end")?;
    match (start, end) {
        (None, None) => Err(XmlError::InvalidTimeRange("time-range without start or end".into())),
        (Some(s), Some(e)) if s >= e => Err(XmlError::InvalidTimeRange(format!("start {s} is not before end {e}"))),
        _ => Ok(OpenTimeRange { start, end }),
    }
}

/// An element with required `start` and `end` (free-busy-query, expand,
/// limit-recurrence-set, limit-freebusy-set).
fn closed_range(el: &Element) -> Result<TimeRange, XmlError> {
    let missing = |a: &str| XmlError::InvalidTimeRange(format!("{} without {a}", el.local));
    let start = attr_time(el, "start")?.ok_or_else(|| missing("start"))?;
    let end = attr_time(el, "end")?.ok_or_else(|| missing("end"))?;
    if start >= end {
        return Err(XmlError::InvalidTimeRange(format!("start {start} is not before end {end}")));
    }
    Ok(TimeRange::new(start, end))
}

// ---------------------------------------------------------------------------
// calendar-query (RFC 4791 §7.8, §9.5, §9.7)

fn parse_calendar_query(root: &Element) -> Result<Report, XmlError> {
    let props = report_props(root)?;
    let filter_el = root
        .child(NS_CALDAV, "filter")
        .ok_or_else(|| XmlError::InvalidFilter("calendar-query without filter".into()))?;
    let mut comps = filter_el.children_named(NS_CALDAV, "comp-filter");
    let top = comps
        .next()
        .ok_or_else(|| XmlError::InvalidFilter("filter without comp-filter".into()))?;
    if comps.next().is_some() {
        return Err(XmlError::InvalidFilter("filter with more than one comp-filter".into()));
    }
    let filter = parse_comp_filter(top)?;
    if filter.name != "VCALENDAR" {
        return Err(XmlError::InvalidFilter(format!("filter rooted at {}, not VCALENDAR", filter.name)));
    }
    let timezone = root.child(NS_CALDAV, "timezone").map(Element::text);
    Ok(Report::CalendarQuery { props, filter, timezone })
}

fn name_attr(el: &Element) -> Result<String, XmlError> {
    match el.attr("name").map(str::trim) {
        Some(n) if !n.is_empty() => Ok(n.to_ascii_uppercase()),
        _ => Err(XmlError::InvalidFilter(format!("{} without name", el.local))),
    }
}

/// `CALDAV:comp-filter` (§9.7.1).
fn parse_comp_filter(el: &Element) -> Result<CompFilter, XmlError> {
    let mut f = CompFilter { name: name_attr(el)?, ..Default::default() };
    for c in el.elements().filter(|c| c.ns == NS_CALDAV) {
        match c.local.as_str() {
            "is-not-defined" => f.is_not_defined = true,
            "time-range" => f.time_range = Some(open_range(c)?),
            "prop-filter" => f.prop_filters.push(parse_prop_filter(c)?),
            "comp-filter" => f.comp_filters.push(parse_comp_filter(c)?),
            _ => {}
        }
    }
    Ok(f)
}

/// `CALDAV:prop-filter` (§9.7.2).
fn parse_prop_filter(el: &Element) -> Result<PropFilter, XmlError> {
    let mut f = PropFilter { name: name_attr(el)?, ..Default::default() };
    for c in el.elements().filter(|c| c.ns == NS_CALDAV) {
        match c.local.as_str() {
            "is-not-defined" => f.is_not_defined = true,
            "time-range" => f.time_range = Some(open_range(c)?),
            "text-match" => f.text_match = Some(parse_text_match(c)?),
            "param-filter" => f.param_filters.push(parse_param_filter(c)?),
            _ => {}
        }
    }
    Ok(f)
}

/// `CALDAV:param-filter` (§9.7.3).
fn parse_param_filter(el: &Element) -> Result<ParamFilter, XmlError> {
    let mut f = ParamFilter { name: name_attr(el)?, ..Default::default() };
    for c in el.elements().filter(|c| c.ns == NS_CALDAV) {
        match c.local.as_str() {
            "is-not-defined" => f.is_not_defined = true,
            "text-match" => f.text_match = Some(parse_text_match(c)?),
            _ => {}
        }
    }
    Ok(f)
}

/// `CALDAV:text-match` (§9.7.5). The text is taken as sent.
fn parse_text_match(el: &Element) -> Result<TextMatch, XmlError> {
    let collation = match el.attr("collation") {
        None => Collation::default(),
        Some(name) => {
            Collation::from_name(name).ok_or_else(|| XmlError::UnsupportedCollation(name.to_string()))?
        }
    };
    let negate = el.attr("negate-condition").is_some_and(|v| v.trim() == "yes");
    Ok(TextMatch { text: el.text(), collation, negate })
}

// ---------------------------------------------------------------------------
// calendar-data (RFC 4791 §9.6)

fn parse_calendar_data(el: &Element) -> Result<CalendarDataRequest, XmlError> {
    let mut req = CalendarDataRequest::default();
    for c in el.elements().filter(|c| c.ns == NS_CALDAV) {
        match c.local.as_str() {
            "comp" => req.comp = Some(parse_comp_selection(c)?),
            "expand" => req.expand = Some(closed_range(c)?),
            "limit-recurrence-set" => req.limit_recurrence_set = Some(closed_range(c)?),
            "limit-freebusy-set" => req.limit_freebusy_set = Some(closed_range(c)?),
            _ => {}
        }
    }
    Ok(req)
}

/// `CALDAV:comp` (§9.6.1): no `prop` children means all properties, no
/// `comp` children all components.
fn parse_comp_selection(el: &Element) -> Result<CompSelection, XmlError> {
    let name = match el.attr("name").map(str::trim) {
        Some(n) if !n.is_empty() => n.to_ascii_uppercase(),
        _ => return Err(XmlError::Unexpected("CALDAV:comp without name".into())),
    };
    let mut sel = CompSelection { name, ..Default::default() };
    let mut saw_prop = false;
    let mut saw_comp = false;
    for c in el.elements().filter(|c| c.ns == NS_CALDAV) {
        match c.local.as_str() {
            "allprop" => sel.all_props = true,
            "allcomp" => sel.all_comps = true,
            "prop" => {
                saw_prop = true;
                let name = match c.attr("name").map(str::trim) {
                    Some(n) if !n.is_empty() => n.to_ascii_uppercase(),
                    _ => return Err(XmlError::Unexpected("CALDAV:prop without name".into())),
                };
                let novalue = c.attr("novalue").is_some_and(|v| v.trim() == "yes");
                sel.props.push(PropSelection { name, novalue });
            }
            "comp" => {
                saw_comp = true;
                sel.comps.push(parse_comp_selection(c)?);
            }
            _ => {}
        }
    }
    if !saw_prop {
        sel.all_props = true;
    }
    if !saw_comp {
        sel.all_comps = true;
    }
    Ok(sel)
}

// ---------------------------------------------------------------------------
// sync-collection (RFC 6578 §6.1–6.4) and expand-property (RFC 3253 §3.8)

fn parse_sync_collection(root: &Element) -> Result<Report, XmlError> {
    let token = root.child(NS_DAV, "sync-token").map(|t| t.text().trim().to_string()).unwrap_or_default();
    let level = match root.child(NS_DAV, "sync-level").map(|l| l.text()) {
        None => SyncLevel::One,
        Some(l) => match l.trim() {
            "1" => SyncLevel::One,
            "infinite" | "infinity" => SyncLevel::Infinite,
            other => return Err(XmlError::Unexpected(format!("sync-level {other:?}"))),
        },
    };
    let limit = match root.child(NS_DAV, "limit").and_then(|l| l.child(NS_DAV, "nresults")) {
        None => None,
        Some(n) => Some(
            n.text()
                .trim()
                .parse::<u32>()
                .map_err(|_| XmlError::Unexpected(format!("nresults {:?}", n.text())))?,
        ),
    };
    Ok(Report::SyncCollection { token, level, limit, props: report_props(root)? })
}

fn collect_expand_properties(el: &Element, out: &mut Vec<PropName>) {
    for p in el.children_named(NS_DAV, "property") {
        if let Some(local) = p.attr("name") {
            let name = PropName::new(p.attr("namespace").unwrap_or(NS_DAV), local);
            if !out.contains(&name) {
                out.push(name);
            }
        }
        collect_expand_properties(p, out);
    }
}
