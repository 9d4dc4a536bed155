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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dav::xml::{NS_APPLE_ICAL, NS_CALENDARSERVER};
    use chrono::TimeZone;

    const TB_PROPFIND: &str = include_str!("../../../fixtures/clients/thunderbird/propfind-calendar-props.xml");
    const TB_SYNC_INITIAL: &str = include_str!("../../../fixtures/clients/thunderbird/report-sync-initial.xml");
    const TB_SYNC_INCREMENTAL: &str =
        include_str!("../../../fixtures/clients/thunderbird/report-sync-incremental.xml");
    const TB_MULTIGET: &str = include_str!("../../../fixtures/clients/thunderbird/report-multiget.xml");

    fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, mo, d, h, mi, s).unwrap()
    }

    fn dav(l: &str) -> PropName {
        PropName::dav(l)
    }
    fn cal(l: &str) -> PropName {
        PropName::caldav(l)
    }

    // ---- PROPFIND --------------------------------------------------------

    #[test]
    fn thunderbird_propfind() {
        let pf = parse_propfind(TB_PROPFIND.as_bytes()).unwrap();
        assert_eq!(
            pf,
            PropFind::Prop(vec![
                dav("resourcetype"),
                dav("owner"),
                dav("current-user-principal"),
                dav("current-user-privilege-set"),
                dav("supported-report-set"),
                cal("supported-calendar-component-set"),
                PropName::new(NS_CALENDARSERVER, "getctag"),
            ])
        );
    }

    #[test]
    fn empty_propfind_is_allprop() {
        for body in ["", "   \r\n", "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"] {
            assert_eq!(parse_propfind(body.as_bytes()).unwrap(), PropFind::AllProp { include: vec![] });
        }
    }

    #[test]
    fn propname_and_allprop_with_include() {
        let b = r#"<?xml version="1.0"?><propfind xmlns="DAV:"><propname/></propfind>"#;
        assert_eq!(parse_propfind(b.as_bytes()).unwrap(), PropFind::PropName);
        let b = r#"<D:propfind xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
              <D:allprop/>
              <D:include><C:calendar-description/><D:supported-report-set/></D:include>
            </D:propfind>"#;
        assert_eq!(
            parse_propfind(b.as_bytes()).unwrap(),
            PropFind::AllProp { include: vec![cal("calendar-description"), dav("supported-report-set")] }
        );
    }

    #[test]
    fn apple_style_propfind_with_many_namespaces() {
        let b = r#"<?xml version="1.0" encoding="UTF-8"?>
<A:propfind xmlns:A="DAV:">
  <A:prop>
    <B:calendar-color xmlns:B="http://apple.com/ns/ical/"/>
    <B:calendar-order xmlns:B="http://apple.com/ns/ical/"/>
    <B:getctag xmlns:B="http://calendarserver.org/ns/"/>
    <C:calendar-description xmlns:C="urn:ietf:params:xml:ns:caldav"/>
    <C:supported-calendar-component-set xmlns:C="urn:ietf:params:xml:ns:caldav"/>
    <D:publish-url xmlns:D="http://calendarserver.org/ns/"/>
    <A:displayname/>
    <A:sync-token/>
    <x xmlns="urn:x-example:weird"/>
    <bare xmlns=""/>
  </A:prop>
</A:propfind>"#;
        assert_eq!(
            parse_propfind(b.as_bytes()).unwrap(),
            PropFind::Prop(vec![
                PropName::new(NS_APPLE_ICAL, "calendar-color"),
                PropName::new(NS_APPLE_ICAL, "calendar-order"),
                PropName::new(NS_CALENDARSERVER, "getctag"),
                cal("calendar-description"),
                cal("supported-calendar-component-set"),
                PropName::new(NS_CALENDARSERVER, "publish-url"),
                dav("displayname"),
                dav("sync-token"),
                PropName::new("urn:x-example:weird", "x"),
                PropName::new("", "bare"),
            ])
        );
    }

    #[test]
    fn propfind_wrong_root_or_malformed() {
        assert!(matches!(
            parse_propfind(b"<propfind><prop/></propfind>"),
            Err(XmlError::Unexpected(_))
        ));
        assert!(matches!(
            parse_propfind(b"<D:propertyupdate xmlns:D='DAV:'/>"),
            Err(XmlError::Unexpected(_))
        ));
        for bad in [
            "<D:propfind xmlns:D='DAV:'><D:prop><D:getetag></D:prop></D:propfind>",
            "<D:propfind xmlns:D='DAV:'><D:prop><E:foo/></D:prop></D:propfind>",
            "<D:propfind xmlns:D='DAV:'><D:prop/>",
            "<propfind xmlns='DAV:'><prop><foo></propfind>",
            "garbage",
        ] {
            assert!(matches!(parse_propfind(bad.as_bytes()), Err(XmlError::Malformed(_))), "{bad}");
        }
    }

    // ---- PROPPATCH -------------------------------------------------------

    /// Parses `fragment` in the middle of a document that binds `D` and the
    /// default namespace to something else, and returns the element.
    fn reparse_embedded(fragment: &str) -> Element {
        let doc = format!(
            r#"<D:multistatus xmlns:D="DAV:" xmlns="urn:default-must-not-leak" xmlns:ns1="urn:wrong"><D:prop>{fragment}</D:prop></D:multistatus>"#
        );
        let root = dom::parse(doc.as_bytes()).unwrap().unwrap();
        let el = root.elements().next().unwrap().elements().next().unwrap().clone();
        el
    }

    /// Compares names, attributes and text of two trees (prefixes may differ).
    fn same_tree(a: &Element, b: &Element) {
        assert_eq!(a.name(), b.name());
        let attrs = |e: &Element| {
            let mut v: Vec<_> = e.attrs.iter().map(|x| (x.ns.clone(), x.local.clone(), x.value.clone())).collect();
            v.sort();
            v
        };
        assert_eq!(attrs(a), attrs(b));
        assert_eq!(a.text(), b.text());
        let (ak, bk): (Vec<_>, Vec<_>) = (a.elements().collect(), b.elements().collect());
        assert_eq!(ak.len(), bk.len());
        for (x, y) in ak.iter().zip(bk) {
            same_tree(x, y);
        }
    }

    #[test]
    fn litmus_style_proppatch_round_trips() {
        let body = "<?xml version=\"1.0\" encoding=\"utf-8\" ?>
<propertyupdate xmlns=\"DAV:\" xmlns:odd=\"http://example.com/neon/litmus/\"><set><prop>
<odd:prop0>value0</odd:prop0>
<high-unicode xmlns=\"http://example.com/neon/litmus/\">\u{10000}\u{1F389} &amp; &lt;tag&gt; \u{10FFFF}</high-unicode>
<odd:nested xml:lang=\"en-GB\"><odd:a attr=\"x&quot;y\">1</odd:a><b xmlns=\"\"><c xmlns=\"urn:c\" xmlns:q=\"urn:q\" q:k=\"v\"/></b></odd:nested>
<nons xmlns=\"\">plain</nons>
<D:quoted xmlns:D=\"http://example.com/not-dav\">D is not DAV here</D:quoted>
</prop></set>
<remove><prop><odd:prop1/><prop2 xmlns=\"urn:other\"/></prop></remove>
<set><prop><odd:prop1>again</odd:prop1></prop></set>
</propertyupdate>";
        let ops = parse_proppatch(body.as_bytes()).unwrap();
        let names: Vec<_> = ops
            .iter()
            .map(|o| match o {
                PropPatchOp::Set { name, .. } => format!("set {name}"),
                PropPatchOp::Remove(name) => format!("remove {name}"),
            })
            .collect();
        assert_eq!(
            names,
            [
                "set {http://example.com/neon/litmus/}prop0",
                "set {http://example.com/neon/litmus/}high-unicode",
                "set {http://example.com/neon/litmus/}nested",
                "set {}nons",
                "set {http://example.com/not-dav}quoted",
                "remove {http://example.com/neon/litmus/}prop1",
                "remove {urn:other}prop2",
                "set {http://example.com/neon/litmus/}prop1",
            ]
        );
        // Every fragment, embedded anywhere, is the same element again.
        let original = dom::parse(body.as_bytes()).unwrap().unwrap();
        let mut originals: Vec<&Element> = Vec::new();
        for instr in original.children_named(NS_DAV, "set") {
            for prop in instr.children_named(NS_DAV, "prop") {
                originals.extend(prop.elements());
            }
        }
        let sets: Vec<_> = ops
            .iter()
            .filter_map(|o| match o {
                PropPatchOp::Set { name, value } => Some((name, value)),
                _ => None,
            })
            .collect();
        assert_eq!(sets.len(), originals.len());
        for ((name, value), orig) in sets.iter().zip(originals) {
            let back = reparse_embedded(value);
            assert_eq!(&&back.name(), name, "{value}");
            same_tree(&back, orig);
            assert_eq!(dom::parse(value.as_bytes()).unwrap().unwrap().name(), **name);
        }
        let high = &sets[1].1;
        assert!(high.contains('\u{10000}') && high.contains("&amp; &lt;tag&gt;"), "{high}");
        assert_eq!(reparse_embedded(high).text(), "\u{10000}\u{1F389} & <tag> \u{10FFFF}");
        let nested = reparse_embedded(sets[2].1);
        assert_eq!(nested.lang(), Some("en-GB"));
        assert_eq!(sets[0].1, r#"<odd:prop0 xmlns:odd="http://example.com/neon/litmus/">value0</odd:prop0>"#);
        assert_eq!(sets[3].1, r#"<nons xmlns="">plain</nons>"#);
    }

    #[test]
    fn proppatch_keeps_inherited_lang_and_carriage_returns() {
        let body = "<D:propertyupdate xmlns:D=\"DAV:\" xml:lang=\"fr\"><D:set><D:prop>\
            <D:displayname>a&#13;\nb</D:displayname></D:prop></D:set></D:propertyupdate>";
        let ops = parse_proppatch(body.as_bytes()).unwrap();
        let PropPatchOp::Set { value, .. } = &ops[0] else { panic!() };
        let back = reparse_embedded(value);
        assert_eq!(back.lang(), Some("fr"));
        assert_eq!(back.text(), "a\r\nb");
    }

    #[test]
    fn proppatch_errors() {
        assert!(matches!(parse_proppatch(b""), Err(XmlError::Unexpected(_))));
        assert!(matches!(
            parse_proppatch(b"<D:propfind xmlns:D='DAV:'/>"),
            Err(XmlError::Unexpected(_))
        ));
        assert!(matches!(
            parse_proppatch(b"<D:propertyupdate xmlns:D='DAV:'><D:set><D:prop><x:y/></D:prop></D:set></D:propertyupdate>"),
            Err(XmlError::Malformed(_))
        ));
        assert!(matches!(
            parse_proppatch(b"<D:propertyupdate xmlns:D='DAV:'><D:set><D:prop><D:a></D:b></D:prop></D:set></D:propertyupdate>"),
            Err(XmlError::Malformed(_))
        ));
    }

    // ---- MKCOL / MKCALENDAR ---------------------------------------------

    #[test]
    fn mkcalendar_rfc4791_example() {
        let body = r#"<?xml version="1.0" encoding="utf-8" ?>
   <C:mkcalendar xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
     <D:set>
       <D:prop>
         <D:displayname>Lisa's Events</D:displayname>
         <C:calendar-description xml:lang="en">Calendar restricted to events.</C:calendar-description>
         <C:supported-calendar-component-set><C:comp name="VEVENT"/></C:supported-calendar-component-set>
         <C:calendar-timezone><![CDATA[BEGIN:VCALENDAR
END:VCALENDAR]]></C:calendar-timezone>
       </D:prop>
     </D:set>
   </C:mkcalendar>"#;
        let req = parse_mkcol(body.as_bytes()).unwrap();
        assert_eq!(req.resourcetype, None);
        let names: Vec<_> = req.props.iter().map(|(n, _)| n.clone()).collect();
        assert_eq!(
            names,
            vec![
                dav("displayname"),
                cal("calendar-description"),
                cal("supported-calendar-component-set"),
                cal("calendar-timezone")
            ]
        );
        assert_eq!(req.props[0].1, r#"<D:displayname xmlns:D="DAV:">Lisa's Events</D:displayname>"#);
        let tz = reparse_embedded(&req.props[3].1);
        assert_eq!(tz.text(), "BEGIN:VCALENDAR\nEND:VCALENDAR");
        assert_eq!(reparse_embedded(&req.props[1].1).lang(), Some("en"));
    }

    #[test]
    fn extended_mkcol_resourcetype() {
        let body = r#"<D:mkcol xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:set><D:prop>
            <D:resourcetype><D:collection/><C:calendar/></D:resourcetype>
            <D:displayname>Work</D:displayname></D:prop></D:set></D:mkcol>"#;
        let req = parse_mkcol(body.as_bytes()).unwrap();
        assert_eq!(req.resourcetype, Some(vec![dav("collection"), cal("calendar")]));
        assert_eq!(req.props.len(), 1);
        assert_eq!(parse_mkcol(b"").unwrap(), MkColRequest::default());
        assert!(matches!(parse_mkcol(b"<D:propfind xmlns:D='DAV:'/>"), Err(XmlError::Unexpected(_))));
        assert!(matches!(parse_mkcol(b"<D:mkcol xmlns:D='DAV:'>"), Err(XmlError::Malformed(_))));
    }

    // ---- REPORT: Thunderbird ----------------------------------------------

    #[test]
    fn thunderbird_sync_collection() {
        let props = ReportProps {
            props: PropFind::Prop(vec![dav("getcontenttype"), dav("getetag")]),
            calendar_data: None,
        };
        assert_eq!(
            parse_report(TB_SYNC_INITIAL.as_bytes()).unwrap(),
            Report::SyncCollection { token: String::new(), level: SyncLevel::One, limit: None, props: props.clone() }
        );
        assert_eq!(
            parse_report(TB_SYNC_INCREMENTAL.as_bytes()).unwrap(),
            Report::SyncCollection {
                token: "http://radicale.org/ns/sync/e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
                    .into(),
                level: SyncLevel::One,
                limit: None,
                props,
            }
        );
    }

    #[test]
    fn sync_collection_level_and_limit() {
        let b = r#"<D:sync-collection xmlns:D="DAV:"><D:sync-token>t1</D:sync-token>
            <D:sync-level>infinite</D:sync-level><D:limit><D:nresults> 50 </D:nresults></D:limit>
            <D:prop><D:getetag/></D:prop></D:sync-collection>"#;
        let Report::SyncCollection { token, level, limit, .. } = parse_report(b.as_bytes()).unwrap() else {
            panic!()
        };
        assert_eq!((token.as_str(), level, limit), ("t1", SyncLevel::Infinite, Some(50)));
        let b = r#"<sync-collection xmlns="DAV:"><sync-token/><prop/></sync-collection>"#;
        let Report::SyncCollection { level, .. } = parse_report(b.as_bytes()).unwrap() else { panic!() };
        assert_eq!(level, SyncLevel::One);
        let b = r#"<sync-collection xmlns="DAV:"><sync-token/><sync-level>2</sync-level><prop/></sync-collection>"#;
        assert!(matches!(parse_report(b.as_bytes()), Err(XmlError::Unexpected(_))));
    }

    #[test]
    fn thunderbird_multiget() {
        assert_eq!(
            parse_report(TB_MULTIGET.as_bytes()).unwrap(),
            Report::CalendarMultiget {
                props: ReportProps {
                    props: PropFind::Prop(vec![dav("getetag"), cal("calendar-data")]),
                    calendar_data: Some(CalendarDataRequest::default()),
                },
                hrefs: vec![
                    "/test/tb-scratch-328ade80/tbh-weekly-9bfbe2de.ics".into(),
                    "/test/tb-scratch-328ade80/tbh-utf8-9bfbe2de.ics".into(),
                    "/test/tb-scratch-328ade80/tbh-allday-9bfbe2de.ics".into(),
                ],
            }
        );
    }

    #[test]
    fn multiget_hrefs_are_kept_encoded() {
        let b = r#"<C:calendar-multiget xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
            <D:prop><D:getetag/></D:prop>
            <D:href>
              /cal/a%20b.ics
            </D:href><D:href>/cal/caf%C3%A9&amp;x.ics</D:href></C:calendar-multiget>"#;
        let Report::CalendarMultiget { props, hrefs } = parse_report(b.as_bytes()).unwrap() else { panic!() };
        assert_eq!(hrefs, vec!["/cal/a%20b.ics", "/cal/caf%C3%A9&x.ics"]);
        assert_eq!(props.calendar_data, None);
    }

    // ---- REPORT: RFC 4791 §7.8 calendar-query ------------------------------

    /// §7.8.1-style: partial retrieval of events in a time range.
    #[test]
    fn calendar_query_partial_retrieval() {
        let b = r#"<?xml version="1.0" encoding="utf-8" ?>
<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
  <D:prop>
    <D:getetag/>
    <C:calendar-data>
      <C:comp name="VCALENDAR">
        <C:prop name="VERSION"/>
        <C:comp name="VEVENT">
          <C:prop name="SUMMARY"/>
          <C:prop name="UID"/>
          <C:prop name="DTSTART"/>
          <C:prop name="DESCRIPTION" novalue="yes"/>
        </C:comp>
        <C:comp name="VTIMEZONE"/>
      </C:comp>
    </C:calendar-data>
  </D:prop>
  <C:filter>
    <C:comp-filter name="VCALENDAR">
      <C:comp-filter name="VEVENT">
        <C:time-range start="20060104T000000Z" end="20060105T000000Z"/>
      </C:comp-filter>
    </C:comp-filter>
  </C:filter>
</C:calendar-query>"#;
        let Report::CalendarQuery { props, filter, timezone } = parse_report(b.as_bytes()).unwrap() else {
            panic!()
        };
        assert_eq!(timezone, None);
        assert_eq!(props.props, PropFind::Prop(vec![dav("getetag"), cal("calendar-data")]));
        let cd = props.calendar_data.unwrap();
        let comp = cd.comp.unwrap();
        assert_eq!(comp.name, "VCALENDAR");
        assert!(!comp.all_props && !comp.all_comps);
        assert_eq!(comp.props, vec![PropSelection { name: "VERSION".into(), novalue: false }]);
        assert_eq!(comp.comps.len(), 2);
        let ev = &comp.comps[0];
        assert_eq!(ev.name, "VEVENT");
        assert!(ev.all_comps && !ev.all_props);
        assert_eq!(ev.props[3], PropSelection { name: "DESCRIPTION".into(), novalue: true });
        let tz = &comp.comps[1];
        assert!(tz.all_props && tz.all_comps);
        assert_eq!(
            filter,
            CompFilter {
                name: "VCALENDAR".into(),
                comp_filters: vec![CompFilter {
                    name: "VEVENT".into(),
                    time_range: Some(OpenTimeRange {
                        start: Some(utc(2006, 1, 4, 0, 0, 0)),
                        end: Some(utc(2006, 1, 5, 0, 0, 0)),
                    }),
                    ..Default::default()
                }],
                ..Default::default()
            }
        );
    }

    /// §7.8.2/§7.8.3/§7.8.5-style: expand, limit-recurrence-set and
    /// limit-freebusy-set, and an open-ended time-range.
    #[test]
    fn calendar_query_expand_and_limits() {
        let b = r#"<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
  <D:prop><C:calendar-data>
      <C:expand start="20060103T000000Z" end="20060105T000000Z"/>
      <C:limit-recurrence-set start="20060103T000000Z" end="20060104T000000Z"/>
      <C:limit-freebusy-set start="20060102T000000Z" end="20060103T000000Z"/>
  </C:calendar-data></D:prop>
  <C:filter><C:comp-filter name="vcalendar"><C:comp-filter name="vevent">
      <C:time-range start="20060103T000000Z"/>
  </C:comp-filter></C:comp-filter></C:filter>
</C:calendar-query>"#;
        let Report::CalendarQuery { props, filter, .. } = parse_report(b.as_bytes()).unwrap() else { panic!() };
        let cd = props.calendar_data.unwrap();
        assert_eq!(cd.comp, None);
        assert_eq!(cd.expand, Some(TimeRange::new(utc(2006, 1, 3, 0, 0, 0), utc(2006, 1, 5, 0, 0, 0))));
        assert_eq!(
            cd.limit_recurrence_set,
            Some(TimeRange::new(utc(2006, 1, 3, 0, 0, 0), utc(2006, 1, 4, 0, 0, 0)))
        );
        assert_eq!(
            cd.limit_freebusy_set,
            Some(TimeRange::new(utc(2006, 1, 2, 0, 0, 0), utc(2006, 1, 3, 0, 0, 0)))
        );
        assert_eq!(filter.name, "VCALENDAR");
        assert_eq!(filter.comp_filters[0].name, "VEVENT");
        assert_eq!(
            filter.comp_filters[0].time_range,
            Some(OpenTimeRange { start: Some(utc(2006, 1, 3, 0, 0, 0)), end: None })
        );
    }

    /// §7.8.6/§7.8.7/§7.8.9-style: text-match, param-filter, is-not-defined.
    #[test]
    fn calendar_query_prop_and_param_filters() {
        let b = r#"<C:calendar-query xmlns:C="urn:ietf:params:xml:ns:caldav" xmlns:D="DAV:">
  <D:prop><D:getetag/></D:prop>
  <C:filter>
    <C:comp-filter name="VCALENDAR">
      <C:comp-filter name="VTODO">
        <C:comp-filter name="VALARM"><C:is-not-defined/></C:comp-filter>
        <C:prop-filter name="completed"><C:is-not-defined/></C:prop-filter>
        <C:prop-filter name="ATTENDEE">
          <C:text-match collation="i;ascii-casemap">mailto:lisa@example.com</C:text-match>
          <C:param-filter name="partstat">
            <C:text-match collation="i;octet" negate-condition="yes">NEEDS-ACTION</C:text-match>
          </C:param-filter>
          <C:param-filter name="X-GONE"><C:is-not-defined/></C:param-filter>
        </C:prop-filter>
        <C:prop-filter name="SUMMARY"><C:text-match negate-condition="no">Grüße</C:text-match></C:prop-filter>
        <C:prop-filter name="DTSTART"><C:time-range end="20270101T120000Z"/></C:prop-filter>
      </C:comp-filter>
    </C:comp-filter>
  </C:filter>
  <C:timezone>BEGIN:VCALENDAR&#13;
END:VCALENDAR&#13;
</C:timezone>
</C:calendar-query>"#;
        let Report::CalendarQuery { filter, timezone, props } = parse_report(b.as_bytes()).unwrap() else {
            panic!()
        };
        assert_eq!(props.calendar_data, None);
        assert_eq!(timezone.as_deref(), Some("BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n"));
        let todo = &filter.comp_filters[0];
        assert_eq!(todo.name, "VTODO");
        assert!(todo.comp_filters[0].is_not_defined);
        assert_eq!(todo.comp_filters[0].name, "VALARM");
        let pf = &todo.prop_filters;
        assert_eq!(pf[0], PropFilter { name: "COMPLETED".into(), is_not_defined: true, ..Default::default() });
        assert_eq!(
            pf[1].text_match,
            Some(TextMatch {
                text: "mailto:lisa@example.com".into(),
                collation: Collation::AsciiCasemap,
                negate: false
            })
        );
        assert_eq!(
            pf[1].param_filters[0],
            ParamFilter {
                name: "PARTSTAT".into(),
                is_not_defined: false,
                text_match: Some(TextMatch { text: "NEEDS-ACTION".into(), collation: Collation::Octet, negate: true }),
            }
        );
        assert!(pf[1].param_filters[1].is_not_defined);
        assert_eq!(
            pf[2].text_match,
            Some(TextMatch { text: "Grüße".into(), collation: Collation::AsciiCasemap, negate: false })
        );
        assert_eq!(pf[3].time_range, Some(OpenTimeRange { start: None, end: Some(utc(2027, 1, 1, 12, 0, 0)) }));
    }

    fn query_with_filter(filter: &str) -> Result<Report, XmlError> {
        let b = format!(
            r#"<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><D:getetag/></D:prop>{filter}</C:calendar-query>"#
        );
        parse_report(b.as_bytes())
    }

    #[test]
    fn calendar_query_filter_errors() {
        assert!(matches!(query_with_filter(""), Err(XmlError::InvalidFilter(_))));
        assert!(matches!(query_with_filter("<C:filter/>"), Err(XmlError::InvalidFilter(_))));
        assert!(matches!(
            query_with_filter(r#"<C:filter><C:comp-filter name="VEVENT"/></C:filter>"#),
            Err(XmlError::InvalidFilter(_))
        ));
        assert!(matches!(
            query_with_filter(r#"<C:filter><C:comp-filter/></C:filter>"#),
            Err(XmlError::InvalidFilter(_))
        ));
        for bad in ["20060104T000000", "20060104", "2006-01-04T00:00:00Z", "20061304T000000Z", "20060104T250000Z", "+0060104T000000Z"] {
            let f = format!(
                r#"<C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT"><C:time-range start="{bad}"/></C:comp-filter></C:comp-filter></C:filter>"#
            );
            assert!(matches!(query_with_filter(&f), Err(XmlError::InvalidTimeRange(_))), "{bad}");
        }
        for tr in [
            r#"<C:time-range/>"#,
            r#"<C:time-range start="20060105T000000Z" end="20060104T000000Z"/>"#,
            r#"<C:time-range start="20060105T000000Z" end="20060105T000000Z"/>"#,
        ] {
            let f = format!(r#"<C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT">{tr}</C:comp-filter></C:comp-filter></C:filter>"#);
            assert!(matches!(query_with_filter(&f), Err(XmlError::InvalidTimeRange(_))), "{tr}");
        }
        let f = r#"<C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT"><C:prop-filter name="SUMMARY"><C:text-match collation="i;basic">x</C:text-match></C:prop-filter></C:comp-filter></C:comp-filter></C:filter>"#;
        assert_eq!(query_with_filter(f), Err(XmlError::UnsupportedCollation("i;basic".into())));
        let f = r#"<C:filter><C:comp-filter name="VCALENDAR"/></C:filter>"#;
        assert!(query_with_filter(f).is_ok());
    }

    #[test]
    fn calendar_query_without_prop_and_with_allprop() {
        let b = r#"<C:calendar-query xmlns:C="urn:ietf:params:xml:ns:caldav"><C:filter><C:comp-filter name="VCALENDAR"/></C:filter></C:calendar-query>"#;
        let Report::CalendarQuery { props, .. } = parse_report(b.as_bytes()).unwrap() else { panic!() };
        assert_eq!(props, ReportProps { props: PropFind::Prop(vec![]), calendar_data: None });
        let b = r#"<C:calendar-query xmlns:C="urn:ietf:params:xml:ns:caldav" xmlns:D="DAV:"><D:allprop/><C:filter><C:comp-filter name="VCALENDAR"/></C:filter></C:calendar-query>"#;
        let Report::CalendarQuery { props, .. } = parse_report(b.as_bytes()).unwrap() else { panic!() };
        assert_eq!(props.props, PropFind::AllProp { include: vec![] });
    }

    // ---- other REPORTs -----------------------------------------------------

    #[test]
    fn free_busy_query() {
        let b = r#"<C:free-busy-query xmlns:C="urn:ietf:params:xml:ns:caldav">
            <C:time-range start="20060104T140000Z" end="20060105T220000Z"/></C:free-busy-query>"#;
        assert_eq!(
            parse_report(b.as_bytes()).unwrap(),
            Report::FreeBusyQuery { range: TimeRange::new(utc(2006, 1, 4, 14, 0, 0), utc(2006, 1, 5, 22, 0, 0)) }
        );
        let b = r#"<C:free-busy-query xmlns:C="urn:ietf:params:xml:ns:caldav"/>"#;
        assert!(matches!(parse_report(b.as_bytes()), Err(XmlError::Unexpected(_))));
        let b = r#"<C:free-busy-query xmlns:C="urn:ietf:params:xml:ns:caldav"><C:time-range start="20060104T140000Z"/></C:free-busy-query>"#;
        assert!(matches!(parse_report(b.as_bytes()), Err(XmlError::InvalidTimeRange(_))));
    }

    #[test]
    fn expand_property_is_flattened() {
        let b = r#"<?xml version="1.0" encoding="UTF-8"?>
<A:expand-property xmlns:A="DAV:">
  <A:property name="calendar-proxy-write-for" namespace="http://calendarserver.org/ns/">
    <A:property name="displayname"/>
    <A:property name="principal-URL" namespace="DAV:"/>
    <A:property name="calendar-user-address-set" namespace="urn:ietf:params:xml:ns:caldav"/>
  </A:property>
  <A:property name="displayname"/>
</A:expand-property>"#;
        assert_eq!(
            parse_report(b.as_bytes()).unwrap(),
            Report::ExpandProperty {
                props: vec![
                    PropName::new(NS_CALENDARSERVER, "calendar-proxy-write-for"),
                    dav("displayname"),
                    dav("principal-URL"),
                    cal("calendar-user-address-set"),
                ]
            }
        );
    }

    #[test]
    fn principal_reports() {
        let b = r#"<principal-search-property-set xmlns="DAV:"/>"#;
        assert_eq!(parse_report(b.as_bytes()).unwrap(), Report::PrincipalSearchPropertySet);
        let b = r#"<D:principal-property-search xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav" test="anyof">
  <D:property-search><D:prop><D:displayname/></D:prop><D:match>doE</D:match></D:property-search>
  <D:property-search><D:prop><C:calendar-user-address-set/></D:prop><D:match>mailto:doe@</D:match></D:property-search>
  <D:prop><D:displayname/><C:calendar-home-set/></D:prop>
</D:principal-property-search>"#;
        assert_eq!(
            parse_report(b.as_bytes()).unwrap(),
            Report::PrincipalPropertySearch {
                matches: vec![
                    (vec![dav("displayname")], "doE".into()),
                    (vec![cal("calendar-user-address-set")], "mailto:doe@".into()),
                ],
                props: vec![dav("displayname"), cal("calendar-home-set")],
            }
        );
    }

    #[test]
    fn unknown_reports_are_unsupported() {
        let b = r#"<D:version-tree xmlns:D="DAV:"/>"#;
        assert_eq!(parse_report(b.as_bytes()).unwrap(), Report::Unsupported(dav("version-tree")));
        let b = r#"<calendar-query/>"#;
        assert_eq!(parse_report(b.as_bytes()).unwrap(), Report::Unsupported(PropName::new("", "calendar-query")));
        assert!(matches!(parse_report(b""), Err(XmlError::Unexpected(_))));
    }

    // ---- robustness --------------------------------------------------------

    #[test]
    fn mangled_bodies_never_panic() {
        let mut bodies: Vec<String> = vec![
            TB_PROPFIND.into(),
            TB_SYNC_INITIAL.into(),
            TB_SYNC_INCREMENTAL.into(),
            TB_MULTIGET.into(),
            r#"<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><C:calendar-data><C:comp name="VCALENDAR"><C:comp name="VEVENT"><C:prop name="UID"/></C:comp></C:comp><C:expand start="20060103T000000Z" end="20060105T000000Z"/></C:calendar-data></D:prop><C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT"><C:prop-filter name="X"><C:param-filter name="Y"><C:text-match>z</C:text-match></C:param-filter></C:prop-filter><C:time-range start="20060104T000000Z" end="20060105T000000Z"/></C:comp-filter></C:comp-filter></C:filter><C:timezone>tz</C:timezone></C:calendar-query>"#.into(),
            "<D:propertyupdate xmlns:D=\"DAV:\" xmlns:Z=\"urn:z\"><D:set><D:prop><Z:a xml:lang=\"en\" Z:b=\"c\">\u{10000}&amp;<Z:c/><![CDATA[<x>]]></Z:a></D:prop></D:set><D:remove><D:prop><Z:d/></D:prop></D:remove></D:propertyupdate>".into(),
            r#"<C:mkcalendar xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:set><D:prop><D:resourcetype><D:collection/></D:resourcetype><D:displayname>x</D:displayname></D:prop></D:set></C:mkcalendar>"#.into(),
        ];
        // Deeply nested and odd inputs too.
        bodies.push("<a>".repeat(5000));
        bodies.push(format!("<D:propertyupdate xmlns:D=\"DAV:\"><D:set><D:prop>{}{}</D:prop></D:set></D:propertyupdate>", "<x>".repeat(190), "</x>".repeat(190)));
        let all = |b: &[u8]| {
            let _ = parse_propfind(b);
            let _ = parse_proppatch(b);
            let _ = parse_mkcol(b);
            let _ = parse_report(b);
        };
        for body in &bodies {
            let bytes = body.as_bytes();
            all(bytes);
            let step = if bytes.len() > 2000 { 97 } else { 1 };
            for cut in (0..bytes.len()).step_by(step) {
                all(&bytes[..cut]);
                all(&bytes[cut..]);
            }
            let mut rng: u64 = 0x9E37_79B9_7F4A_7C15;
            for _ in 0..300 {
                let mut m = bytes.to_vec();
                for _ in 0..3 {
                    rng ^= rng << 13;
                    rng ^= rng >> 7;
                    rng ^= rng << 17;
                    let i = (rng as usize) % m.len().max(1);
                    if m.is_empty() {
                        break;
                    }
                    match rng % 4 {
                        0 => m[i] = b"<>/&\"'=: x\xff"[(rng >> 8) as usize % 11],
                        1 => {
                            m.remove(i);
                        }
                        2 => m.insert(i, b'<'),
                        _ => {
                            let j = (rng >> 20) as usize % m.len();
                            m.swap(i, j)
                        }
                    }
                }
                all(&m);
            }
        }
    }
}
