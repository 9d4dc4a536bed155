//! The `CALDAV:filter` of a calendar-query (RFC 4791 §7.8, §9.7): comp-,
//! prop- and param-filters, text-match and time-range, read into the
//! `ical::filter` types that evaluate them.
//!
//! May import: the DOM, [`super::time`], `ical::filter`. The report that
//! carries the filter is assembled in [`super::report`].

use super::super::dom::Element;
use super::super::{XmlError, NS_CALDAV};
use super::time::open_range;
use crate::ical::filter::{self, Collation, CompFilter, ParamFilter, PropFilter, TextMatch};
use crate::model::OpenTimeRange;

/// The filter of a `CALDAV:calendar-query` element (exactly one
/// comp-filter, rooted at VCALENDAR), and its `CALDAV:timezone` text.
///
/// Everything RFC 4791 §9.7 rules out is refused here, before any object
/// is read: nesting iCalendar does not allow, `is-not-defined` beside other
/// conditions, two time-ranges or text-matches in one element, a time-range
/// that is not UTC, is empty or applies to something without time
/// ([`XmlError::InvalidFilter`]); an element in the CalDAV namespace or a
/// component we do not query ([`XmlError::UnsupportedFilter`]); an unknown
/// collation ([`XmlError::UnsupportedCollation`]). Elements of other
/// namespaces are ignored (RFC 4918 §17).
pub(super) fn parse_query_filter(root: &Element) -> Result<(CompFilter, Option<String>), XmlError> {
    let mut filters = root.children_named(NS_CALDAV, "filter");
    let filter_el = filters.next().ok_or_else(|| invalid("calendar-query without filter"))?;
    if filters.next().is_some() {
        return Err(invalid("calendar-query with more than one filter"));
    }
    let mut top = None;
    for c in filter_el.elements().filter(|c| c.ns == NS_CALDAV) {
        match c.local.as_str() {
            "comp-filter" if top.is_none() => top = Some(c),
            "comp-filter" => return Err(invalid("filter with more than one comp-filter")),
            other => return Err(unsupported(format!("CALDAV:{other} in filter"))),
        }
    }
    let top = top.ok_or_else(|| invalid("filter without comp-filter"))?;
    let filter = parse_comp_filter(top, None)?;
    let timezone = root.child(NS_CALDAV, "timezone").map(Element::text);
    Ok((filter, timezone))
}

fn invalid(why: impl Into<String>) -> XmlError {
    XmlError::InvalidFilter(why.into())
}

fn unsupported(why: impl Into<String>) -> XmlError {
    XmlError::UnsupportedFilter(why.into())
}

fn name_attr(el: &Element) -> Result<String, XmlError> {
    match el.attr("name").map(str::trim) {
        Some(n) if !n.is_empty() => Ok(n.to_ascii_uppercase()),
        _ => Err(invalid(format!("{} without name", el.local))),
    }
}

/// A `CALDAV:time-range` inside a filter: a bad value is a bad filter
/// (RFC 4791 §9.9 "MUST be date with UTC time"), → `CALDAV:valid-filter`.
fn filter_range(el: &Element, on: &str) -> Result<OpenTimeRange, XmlError> {
    open_range(el).map_err(|e| match e {
        XmlError::InvalidTimeRange(why) => invalid(format!("time-range on {on}: {why}")),
        other => other,
    })
}

/// `is-not-defined` excludes every other condition of its element
/// (RFC 4791 §9.7.1–§9.7.3: `(is-not-defined | (…))`).
fn not_defined_alone(el: &Element, is_not_defined: bool, has_conditions: bool) -> Result<(), XmlError> {
    if is_not_defined && has_conditions {
        return Err(invalid(format!("is-not-defined beside other conditions in {}", el.local)));
    }
    Ok(())
}

/// `CALDAV:comp-filter` (§9.7.1), nested in a comp-filter for `parent`.
fn parse_comp_filter(el: &Element, parent: Option<&str>) -> Result<CompFilter, XmlError> {
    let name = name_attr(el)?;
    if !filter::is_known_component(&name) {
        return Err(unsupported(format!("component {name}")));
    }
    if !filter::may_nest(parent, &name) {
        return Err(match parent {
            None => invalid(format!("filter rooted at {name}, not VCALENDAR")),
            Some(p) => invalid(format!("{name} inside {p}")),
        });
    }
    let mut f = CompFilter { name, ..Default::default() };
    let mut seen_not_defined = false;
    for c in el.elements().filter(|c| c.ns == NS_CALDAV) {
        match c.local.as_str() {
            "is-not-defined" if !seen_not_defined => seen_not_defined = true,
            "is-not-defined" => return Err(invalid(format!("two is-not-defined in {}", el.local))),
            "time-range" if f.time_range.is_some() => return Err(invalid(format!("two time-ranges on {}", f.name))),
            "time-range" if !filter::comp_takes_time_range(&f.name) => {
                return Err(invalid(format!("time-range on {}", f.name)))
            }
            "time-range" => f.time_range = Some(filter_range(c, &f.name)?),
            "prop-filter" => f.prop_filters.push(parse_prop_filter(c)?),
            "comp-filter" => f.comp_filters.push(parse_comp_filter(c, Some(&f.name))?),
            other => return Err(unsupported(format!("CALDAV:{other} in comp-filter {}", f.name))),
        }
    }
    f.is_not_defined = seen_not_defined;
    let conditions = f.time_range.is_some() || !f.prop_filters.is_empty() || !f.comp_filters.is_empty();
    not_defined_alone(el, f.is_not_defined, conditions)?;
    Ok(f)
}

/// `CALDAV:prop-filter` (§9.7.2): `(is-not-defined | ((time-range |
/// text-match)?, param-filter*))`; a time-range only on a date property.
fn parse_prop_filter(el: &Element) -> Result<PropFilter, XmlError> {
    let mut f = PropFilter { name: name_attr(el)?, ..Default::default() };
    let mut seen_not_defined = false;
    for c in el.elements().filter(|c| c.ns == NS_CALDAV) {
        match c.local.as_str() {
            "is-not-defined" if !seen_not_defined => seen_not_defined = true,
            "is-not-defined" => return Err(invalid(format!("two is-not-defined in {}", el.local))),
            "time-range" | "text-match" if f.time_range.is_some() || f.text_match.is_some() => {
                return Err(invalid(format!("more than one time-range or text-match on {}", f.name)))
            }
            "time-range" if !filter::prop_takes_time_range(&f.name) => {
                return Err(invalid(format!("time-range on {}, which is not a date property", f.name)))
            }
            "time-range" => f.time_range = Some(filter_range(c, &f.name)?),
            "text-match" => f.text_match = Some(parse_text_match(c)?),
            "param-filter" => f.param_filters.push(parse_param_filter(c)?),
            other => return Err(unsupported(format!("CALDAV:{other} in prop-filter {}", f.name))),
        }
    }
    f.is_not_defined = seen_not_defined;
    let conditions = f.time_range.is_some() || f.text_match.is_some() || !f.param_filters.is_empty();
    not_defined_alone(el, f.is_not_defined, conditions)?;
    Ok(f)
}

/// `CALDAV:param-filter` (§9.7.3): `(is-not-defined | text-match)?`.
fn parse_param_filter(el: &Element) -> Result<ParamFilter, XmlError> {
    let mut f = ParamFilter { name: name_attr(el)?, ..Default::default() };
    let mut seen_not_defined = false;
    for c in el.elements().filter(|c| c.ns == NS_CALDAV) {
        match c.local.as_str() {
            "is-not-defined" if !seen_not_defined => seen_not_defined = true,
            "is-not-defined" => return Err(invalid(format!("two is-not-defined in {}", el.local))),
            "text-match" if f.text_match.is_some() => return Err(invalid(format!("two text-matches on {}", f.name))),
            "text-match" => f.text_match = Some(parse_text_match(c)?),
            other => return Err(unsupported(format!("CALDAV:{other} in param-filter {}", f.name))),
        }
    }
    f.is_not_defined = seen_not_defined;
    not_defined_alone(el, f.is_not_defined, f.text_match.is_some())?;
    Ok(f)
}

/// `CALDAV:text-match` (§9.7.5). The text is taken as sent; the
/// collations are those of RFC 4791 §7.5.1 (plus `i;unicode-casemap`), any
/// other is `CALDAV:supported-collation`.
fn parse_text_match(el: &Element) -> Result<TextMatch, XmlError> {
    let collation = match el.attr("collation") {
        None => Collation::default(),
        Some(name) => {
            Collation::from_name(name).ok_or_else(|| XmlError::UnsupportedCollation(name.to_string()))?
        }
    };
    let negate = match el.attr("negate-condition").map(str::trim) {
        None => false,
        Some(v) if v.eq_ignore_ascii_case("no") => false,
        Some(v) if v.eq_ignore_ascii_case("yes") => true,
        Some(other) => return Err(invalid(format!("negate-condition {other:?}"))),
    };
    Ok(TextMatch { text: el.text(), collation, negate })
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::*;
    use crate::dav::xml::request::*;
    use crate::model::OpenTimeRange;

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
BEGIN:VTIMEZONE&#13;
TZID:Z&#13;
BEGIN:STANDARD&#13;
DTSTART:19700101T000000&#13;
TZOFFSETFROM:+0000&#13;
TZOFFSETTO:+0000&#13;
END:STANDARD&#13;
END:VTIMEZONE&#13;
END:VCALENDAR&#13;
</C:timezone>
</C:calendar-query>"#;
        let Report::CalendarQuery { filter, timezone, props, .. } = parse_report(b.as_bytes()).unwrap() else {
            panic!()
        };
        assert_eq!(props.calendar_data, None);
        assert!(timezone.unwrap().contains("TZID:Z\r\n"));
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
            assert!(matches!(query_with_filter(&f), Err(XmlError::InvalidFilter(_))), "{bad}");
        }
        for tr in [
            r#"<C:time-range/>"#,
            r#"<C:time-range start="20060105T000000Z" end="20060104T000000Z"/>"#,
            r#"<C:time-range start="20060105T000000Z" end="20060105T000000Z"/>"#,
        ] {
            let f = format!(r#"<C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT">{tr}</C:comp-filter></C:comp-filter></C:filter>"#);
            assert!(matches!(query_with_filter(&f), Err(XmlError::InvalidFilter(_))), "{tr}");
        }
        let f = r#"<C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT"><C:prop-filter name="SUMMARY"><C:text-match collation="i;basic">x</C:text-match></C:prop-filter></C:comp-filter></C:comp-filter></C:filter>"#;
        assert_eq!(query_with_filter(f), Err(XmlError::UnsupportedCollation("i;basic".into())));
        let f = r#"<C:filter><C:comp-filter name="VCALENDAR"/></C:filter>"#;
        assert!(query_with_filter(f).is_ok());
    }

    /// RFC 4791 §9.7.1: `(is-not-defined | (time-range?, prop-filter*,
    /// comp-filter*))`, nesting as iCalendar allows, time-ranges only where
    /// §9.9 gives them a meaning.
    #[test]
    fn invalid_and_unsupported_filters() {
        let in_cal = |inner: &str| format!(r#"<C:filter><C:comp-filter name="VCALENDAR">{inner}</C:comp-filter></C:filter>"#);
        let tr = r#"<C:time-range start="20060104T000000Z" end="20060105T000000Z"/>"#;
        let invalid = [
            r#"<C:comp-filter name="VALARM"/>"#.to_string(),
            r#"<C:comp-filter name="VEVENT"><C:comp-filter name="VEVENT"/></C:comp-filter>"#.into(),
            r#"<C:comp-filter name="VEVENT"><C:comp-filter name="VALARM"><C:comp-filter name="VEVENT"/></C:comp-filter></C:comp-filter>"#.into(),
            r#"<C:comp-filter name="VTIMEZONE"><C:comp-filter name="VEVENT"/></C:comp-filter>"#.into(),
            r#"<C:comp-filter name="VCALENDAR"/>"#.into(),
            format!(r#"<C:comp-filter name="VEVENT"><C:is-not-defined/>{tr}</C:comp-filter>"#),
            r#"<C:comp-filter name="VEVENT"><C:is-not-defined/><C:prop-filter name="SUMMARY"/></C:comp-filter>"#.into(),
            r#"<C:comp-filter name="VEVENT"><C:prop-filter name="SUMMARY"><C:is-not-defined/><C:text-match>x</C:text-match></C:prop-filter></C:comp-filter>"#.into(),
            r#"<C:comp-filter name="VEVENT"><C:prop-filter name="ATTENDEE"><C:param-filter name="PARTSTAT"><C:is-not-defined/><C:text-match>x</C:text-match></C:param-filter></C:prop-filter></C:comp-filter>"#.into(),
            format!(r#"<C:comp-filter name="VEVENT">{tr}{tr}</C:comp-filter>"#),
            format!(r#"<C:comp-filter name="VEVENT"><C:prop-filter name="SUMMARY">{tr}</C:prop-filter></C:comp-filter>"#),
            format!(r#"<C:comp-filter name="VEVENT"><C:prop-filter name="DTSTART">{tr}<C:text-match>x</C:text-match></C:prop-filter></C:comp-filter>"#),
            format!(r#"<C:comp-filter name="VTIMEZONE">{tr}</C:comp-filter>"#),
            format!(r#"<C:comp-filter name="VTIMEZONE"><C:comp-filter name="STANDARD">{tr}</C:comp-filter></C:comp-filter>"#),
            format!(r#"<C:comp-filter name="X-THING">{tr}</C:comp-filter>"#),
            r#"<C:comp-filter name="VEVENT"><C:prop-filter name="SUMMARY"><C:text-match negate-condition="maybe">x</C:text-match></C:prop-filter></C:comp-filter>"#.into(),
        ];
        for inner in &invalid {
            assert!(matches!(query_with_filter(&in_cal(inner)), Err(XmlError::InvalidFilter(_))), "{inner}");
        }
        let f = format!(r#"<C:filter><C:comp-filter name="VCALENDAR">{tr}</C:comp-filter></C:filter>"#);
        assert!(matches!(query_with_filter(&f), Err(XmlError::InvalidFilter(_))));
        let f = r#"<C:filter><C:comp-filter name="VCALENDAR"/><C:comp-filter name="VCALENDAR"/></C:filter>"#;
        assert!(matches!(query_with_filter(f), Err(XmlError::InvalidFilter(_))));
        for inner in [
            r#"<C:comp-filter name="VPOLL"/>"#,
            r#"<C:comp-filter name="VEVENT"><C:fuzzy-match/></C:comp-filter>"#,
            r#"<C:comp-filter name="VEVENT"><C:prop-filter name="SUMMARY"><C:regex>a.*</C:regex></C:prop-filter></C:comp-filter>"#,
        ] {
            assert!(matches!(query_with_filter(&in_cal(inner)), Err(XmlError::UnsupportedFilter(_))), "{inner}");
        }
        for ok in [
            format!(r#"<C:comp-filter name="VEVENT"><C:prop-filter name="DTSTAMP">{tr}</C:prop-filter><C:comp-filter name="VALARM">{tr}</C:comp-filter></C:comp-filter>"#),
            r#"<C:comp-filter name="VTIMEZONE"><C:comp-filter name="DAYLIGHT"><C:prop-filter name="TZNAME"/></C:comp-filter></C:comp-filter>"#.into(),
            r#"<C:comp-filter name="VTODO"><C:comp-filter name="VALARM"><C:is-not-defined/></C:comp-filter></C:comp-filter>"#.into(),
            r#"<C:comp-filter name="X-THING"><C:comp-filter name="X-INNER"/></C:comp-filter><x:other xmlns:x="urn:x"/>"#.into(),
            r#"<C:comp-filter name="VEVENT"><C:prop-filter name="SUMMARY"><C:text-match negate-condition="YES">x</C:text-match></C:prop-filter></C:comp-filter>"#.into(),
        ] {
            assert!(query_with_filter(&in_cal(&ok)).is_ok(), "{ok}");
        }
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
}
