//! `CALDAV:calendar-data` in a request (RFC 4791 §9.6): which components
//! and properties to return, and `expand` / `limit-recurrence-set` /
//! `limit-freebusy-set`, read into `ical::render::CalendarDataRequest`.
//!
//! May import: the DOM, [`super::time`], `ical::render`.

use super::super::dom::Element;
use super::super::{XmlError, NS_CALDAV};
use super::time::closed_range;
use crate::ical::render::{CalendarDataRequest, CompSelection, PropSelection};

/// `CALDAV:calendar-data` in a request. Its `content-type` and `version`
/// (default `text/calendar` and `2.0`, §9.6) must name what we return:
/// anything else is [`XmlError::UnsupportedCalendarData`]
/// (`CALDAV:supported-calendar-data`, §7.5 precondition of calendar-query
/// and calendar-multiget).
pub(super) fn parse_calendar_data(el: &Element) -> Result<CalendarDataRequest, XmlError> {
    if let Some(ct) = el.attr("content-type") {
        let media = ct.split(';').next().unwrap_or("").trim();
        if !media.eq_ignore_ascii_case("text/calendar") {
            return Err(XmlError::UnsupportedCalendarData(format!("content-type {ct:?}")));
        }
    }
    if let Some(version) = el.attr("version") {
        if version.trim() != "2.0" {
            return Err(XmlError::UnsupportedCalendarData(format!("version {version:?}")));
        }
    }
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

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::*;
    use crate::dav::xml::request::*;
    use crate::ical::filter::CompFilter;
    use crate::model::{OpenTimeRange, TimeRange};

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
        let Report::CalendarQuery { props, filter, timezone, .. } = parse_report(b.as_bytes()).unwrap() else {
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

    /// RFC 4791 §9.6: `content-type` and `version` of what is asked for.
    #[test]
    fn calendar_data_media_type_and_version() {
        let q = |attrs: &str| {
            let b = format!(
                r#"<C:calendar-multiget xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><C:calendar-data {attrs}/></D:prop><D:href>/x.ics</D:href></C:calendar-multiget>"#
            );
            parse_report(b.as_bytes())
        };
        for ok in ["", r#"content-type="text/calendar""#, r#"content-type="TEXT/Calendar; charset=utf-8" version="2.0""#] {
            assert!(q(ok).is_ok(), "{ok}");
        }
        for bad in [r#"content-type="application/calendar+json""#, r#"content-type="text/calendar" version="1.0""#, r#"version="3""#] {
            assert!(matches!(q(bad), Err(XmlError::UnsupportedCalendarData(_))), "{bad}");
        }
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
}
