//! The `CALDAV:filter` of a calendar-query (RFC 4791 §7.8, §9.7): comp-,
//! prop- and param-filters, text-match and time-range, read into the
//! `ical::filter` types that evaluate them.
//!
//! May import: the DOM, [`super::time`], `ical::filter`. The report that
//! carries the filter is assembled in [`super::report`].

use super::super::dom::Element;
use super::super::{XmlError, NS_CALDAV};
use super::time::open_range;
use crate::ical::filter::{Collation, CompFilter, ParamFilter, PropFilter, TextMatch};

/// The filter of a `CALDAV:calendar-query` element (exactly one
/// comp-filter, rooted at VCALENDAR), and its `CALDAV:timezone` text.
pub(super) fn parse_query_filter(root: &Element) -> Result<(CompFilter, Option<String>), XmlError> {
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
    Ok((filter, timezone))
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
}
