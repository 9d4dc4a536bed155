//! REPORT bodies (RFC 3253 §3.6): [`parse_report`] dispatches on the root
//! element. Here: the report types, the properties a report asks for,
//! calendar-multiget and free-busy-query (RFC 4791 §7.9, §7.10),
//! sync-collection (RFC 6578 §6.1–6.4), expand-property (RFC 3253 §3.8)
//! and the principal reports (RFC 3744 §9.4, §9.5). calendar-query's filter
//! and calendar-data have their own files and know nothing of reports.
//!
//! May import: the DOM, the sibling parsers below it ([`super::propfind`],
//! [`super::filter`], [`super::calendar_data`], [`super::time`]),
//! the `ical` request types they produce.

use super::super::dom::Element;
use super::super::{PropName, XmlError, NS_CALDAV, NS_DAV};
use super::calendar_data::parse_calendar_data;
use super::filter::parse_query_filter;
use super::propfind::{prop_request, PropFind};
use super::require_root;
use super::time::closed_range;
use crate::ical::filter::CompFilter;
use crate::ical::render::CalendarDataRequest;
use crate::model::TimeRange;

/// What a REPORT asks to be returned for each resource: a `DAV:prop` list
/// (or allprop/propname), plus how to shape `CALDAV:calendar-data` when it
/// is among them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportProps {
    pub props: PropFind,
    /// Present when `CALDAV:calendar-data` was asked for.
    pub calendar_data: Option<CalendarDataRequest>,
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
        /// `CALDAV:limit` / `CALDAV:nresults`: at most this many responses
        /// (as CardDAV's `addressbook-query`, RFC 6352 §8.6.1, and
        /// CalendarServer have it); more matches are cut with 507
        /// `DAV:number-of-matches-within-limits` for the Request-URI.
        limit: Option<u32>,
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

/// Parses a REPORT body, dispatching on the root element (RFC 3253 §3.6).
pub fn parse_report(body: &[u8]) -> Result<Report, XmlError> {
    let root = require_root(body)?;
    let ns = root.ns.as_str();
    let local = root.local.as_str();
    match (ns, local) {
        (NS_CALDAV, "calendar-query") => {
            let props = report_props(&root)?;
            let (filter, timezone) = parse_query_filter(&root)?;
            if let Some(tz) = &timezone {
                if !crate::ical::tz::is_timezone_calendar(tz) {
                    return Err(XmlError::InvalidTimezone("CALDAV:timezone is not a VCALENDAR with one VTIMEZONE".into()));
                }
            }
            let limit = match root.child(NS_CALDAV, "limit") {
                None => None,
                Some(l) => {
                    let n = l.child(NS_CALDAV, "nresults").ok_or_else(|| XmlError::Unexpected("limit without nresults".into()))?;
                    Some(n.text().trim().parse::<u32>().map_err(|_| XmlError::Unexpected(format!("nresults {:?}", n.text())))?)
                }
            };
            Ok(Report::CalendarQuery { props, filter, timezone, limit })
        }
        (NS_CALDAV, "calendar-multiget") => Ok(Report::CalendarMultiget {
            props: report_props(&root)?,
            hrefs: root
                .children_named(NS_DAV, "href")
                .map(|h| h.text().trim().to_string())
                .collect(),
        }),
        // §7.10, §9.11: exactly one time-range, with start and end (400
        // otherwise: the body is malformed, there is no filter to be invalid).
        (NS_CALDAV, "free-busy-query") => {
            let mut ranges = root.children_named(NS_CALDAV, "time-range");
            let tr = ranges
                .next()
                .ok_or_else(|| XmlError::Unexpected("free-busy-query without time-range".into()))?;
            if ranges.next().is_some() {
                return Err(XmlError::Unexpected("free-busy-query with more than one time-range".into()));
            }
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

/// The properties a REPORT asks for. Without any of `prop`/`allprop`/
/// `propname`, no properties (only hrefs are reported).
pub(super) fn report_props(root: &Element) -> Result<ReportProps, XmlError> {
    let props = prop_request(root).unwrap_or(PropFind::Prop(Vec::new()));
    let calendar_data = match root.child(NS_DAV, "prop").and_then(|p| p.child(NS_CALDAV, "calendar-data")) {
        Some(cd) if matches!(props, PropFind::Prop(_)) => Some(parse_calendar_data(cd)?),
        _ => None,
    };
    Ok(ReportProps { props, calendar_data })
}

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
    use super::super::testing::*;
    use super::*;
    use crate::dav::xml::NS_CALENDARSERVER;

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
}
