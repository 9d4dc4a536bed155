//! Shaping calendar data for a response (RFC 4791 §9.6): partial retrieval
//! of components and properties, `expand` into single instances, and
//! `limit-recurrence-set`.

use crate::model::TimeRange;

/// `CALDAV:calendar-data` as asked for in a REPORT or PROPFIND.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CalendarDataRequest {
    /// `CALDAV:comp`: which components and properties to return; `None`
    /// returns everything.
    pub comp: Option<CompSelection>,
    /// `CALDAV:expand` (§9.6.5): return the instances overlapping the range
    /// as separate components with RECURRENCE-ID, without RRULE: times with
    /// a zone (or in UTC) as UTC, floating times still floating (see
    /// [`CalendarObject::render_in`]).
    pub expand: Option<TimeRange>,
    /// `CALDAV:limit-recurrence-set` (§9.6.6).
    pub limit_recurrence_set: Option<TimeRange>,
    /// `CALDAV:limit-freebusy-set` (§9.6.7).
    pub limit_freebusy_set: Option<TimeRange>,
}

impl CalendarDataRequest {
    /// True when the stored bytes can be returned as they are.
    pub fn is_verbatim(&self) -> bool {
        self.comp.is_none()
            && self.expand.is_none()
            && self.limit_recurrence_set.is_none()
            && self.limit_freebusy_set.is_none()
    }
}

/// `CALDAV:comp` (§9.6.1).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CompSelection {
    /// Component name, upper case.
    pub name: String,
    /// `CALDAV:allprop`, or no `CALDAV:prop` at all.
    pub all_props: bool,
    pub props: Vec<PropSelection>,
    /// `CALDAV:allcomp`, or no `CALDAV:comp` child at all.
    pub all_comps: bool,
    pub comps: Vec<CompSelection>,
}

/// `CALDAV:prop` inside `CALDAV:comp` (§9.6.4).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PropSelection {
    /// Property name, upper case.
    pub name: String,
    pub novalue: bool,
}

// ---------------------------------------------------------------------------
// Rendering

use chrono::{DateTime, Utc};

use super::expand::{expand, Instance};
use super::component::Component;
use super::contentline::Property;
use super::object::CalendarObject;
use super::value::{parse_date_value, parse_duration};
use super::zone::Zone;
use super::ComponentKind;

/// Recurrence properties dropped from expanded instances.
const RECURRENCE_PROPS: &[&str] = &["RRULE", "RDATE", "EXDATE", "EXRULE", "RECURRENCE-ID"];

impl CalendarObject {
    /// The calendar data a request asks for (RFC 4791 §9.6). Verbatim when
    /// nothing special is asked; otherwise re-serialised by
    /// [`super::write`] (CRLF lines, folded at 75 octets).
    pub fn render(&self, req: &CalendarDataRequest) -> String {
        self.render_in(req, None)
    }

    /// [`CalendarObject::render`], with floating times placed in
    /// `floating_tz` (the query's `CALDAV:timezone`, else the calendar's
    /// `calendar-timezone`; UTC when `None`) to decide which instances
    /// overlap an `expand` or `limit-recurrence-set` range.
    ///
    /// RFC 4791 §9.6.5 converts to UTC only values "with a time zone
    /// reference": an expanded instance of a floating DTSTART keeps a
    /// floating DTSTART, DTEND/DUE and RECURRENCE-ID (its wall-clock
    /// times, no `Z`, no TZID), whatever zone chose it. It is never
    /// relabelled as UTC.
    pub fn render_in(&self, req: &CalendarDataRequest, floating_tz: Option<chrono_tz::Tz>) -> String {
        if req.is_verbatim() {
            return self.raw().to_string();
        }
        let floating = floating_tz.map(Zone::Iana).unwrap_or(Zone::UTC);
        let mut root = self.root().clone();
        if let Some(range) = req.expand {
            root.children = self.expanded_children(range, floating);
        } else if let Some(range) = req.limit_recurrence_set {
            root.children = self.limited_children(range, floating);
        }
        if let Some(range) = req.limit_freebusy_set {
            for c in root.children.iter_mut().filter(|c| c.name == "VFREEBUSY") {
                limit_freebusy(c, range);
            }
        }
        if let Some(sel) = &req.comp {
            root = select(&root, sel);
        }
        root.to_ics()
    }

    fn expanded_children(&self, range: TimeRange, floating: Zone) -> Vec<Component> {
        if self.kind() == ComponentKind::Availability {
            // A VAVAILABILITY does not recur (RFC 7953 §3.1) and its
            // AVAILABLE children keep their zones: nothing to expand.
            return self.root().children.clone();
        }
        let exp = expand(self, range, floating);
        let comps: Vec<&Component> = self.components().collect();
        let kind = self.kind();
        let mut out: Vec<Component> = Vec::new();
        let mut instances = exp.instances.iter().peekable();
        for c in &self.root().children {
            if c.name == "VTIMEZONE" {
                continue;
            }
            if c.name != kind.name() {
                out.push(c.clone());
                continue;
            }
            // All instances go where the first main component stood.
            for inst in instances.by_ref() {
                out.push(instance_component(comps[inst.component], inst, kind, floating));
            }
            if let Some(i) = comps.iter().position(|x| std::ptr::eq(*x, c)) {
                if exp.always.contains(&i) {
                    out.push(c.clone());
                }
            }
        }
        out
    }

    fn limited_children(&self, range: TimeRange, floating: Zone) -> Vec<Component> {
        let exp = expand(self, range, floating);
        let overlapping: Vec<usize> = exp.instances.iter().map(|i| i.component).collect();
        let mut out = Vec::new();
        for (i, c) in self.components().enumerate() {
            let keep = match c.prop("RECURRENCE-ID") {
                None => true,
                Some(rid) => {
                    let in_range = self
                        .date_value(rid)
                        .map(|v| v.resolve(floating))
                        .is_some_and(|t| range.start <= t && t < range.end);
                    let future = rid.param("RANGE").is_some_and(|r| r.eq_ignore_ascii_case("THISANDFUTURE"))
                        && self.date_value(rid).is_some_and(|v| v.resolve(floating) < range.end);
                    overlapping.contains(&i) || in_range || future
                }
            };
            if keep {
                out.push(c.clone());
            }
        }
        let kind = self.kind().name();
        let mut result: Vec<Component> = self.root().children.iter().filter(|c| c.name != kind).cloned().collect();
        result.extend(out);
        result
    }
}

fn utc_value(t: DateTime<Utc>) -> String {
    super::write::utc_stamp(t)
}

fn prop(name: &str, params: Vec<(String, Vec<String>)>, value: String) -> Property {
    Property { name: name.into(), params, value }
}

/// A floating DATE-TIME value (RFC 5545 §3.3.5 form 1): no `Z`, no TZID.
fn floating_value(t: chrono::NaiveDateTime) -> String {
    t.format("%Y%m%dT%H%M%S").to_string()
}

/// Is this RECURRENCE-ID (or DTSTART) a floating DATE-TIME?
fn is_floating_prop(p: &Property) -> bool {
    p.param("TZID").is_none() && !p.param("VALUE").is_some_and(|v| v.eq_ignore_ascii_case("DATE")) && !p.value.trim_end().ends_with(['Z', 'z'])
}

/// One expanded instance as a stand-alone component. Zoned times become
/// UTC; floating ones stay floating (their wall clock, read back from
/// `floating`, the zone the instance was placed in).
fn instance_component(src: &Component, inst: &Instance, kind: ComponentKind, floating: Zone) -> Component {
    let end_name = if kind == ComponentKind::Todo { "DUE" } else { "DTEND" };
    let had_end = src.has(end_name) || src.has("DURATION");
    let date_param = || vec![("VALUE".to_string(), vec!["DATE".to_string()])];
    let mut times: Vec<Property> = Vec::new();
    if inst.recurring {
        // An override's RECURRENCE-ID says how the original instance was
        // written; an instance of the master is written like its DTSTART.
        let rid_floating = src.prop("RECURRENCE-ID").map_or(inst.floating, is_floating_prop);
        times.push(if inst.all_day {
            prop("RECURRENCE-ID", date_param(), inst.recurrence_local.format("%Y%m%d").to_string())
        } else if rid_floating {
            prop("RECURRENCE-ID", vec![], floating_value(inst.recurrence_local))
        } else {
            prop("RECURRENCE-ID", vec![], utc_value(inst.recurrence_id))
        });
    }
    if inst.all_day {
        times.push(prop("DTSTART", date_param(), inst.local_start.format("%Y%m%d").to_string()));
        let days = inst.range.duration().num_days().max(1);
        let end = inst.local_start + chrono::Duration::days(days);
        times.push(prop(end_name, date_param(), end.format("%Y%m%d").to_string()));
    } else if inst.floating {
        times.push(prop("DTSTART", vec![], floating_value(inst.local_start)));
        if had_end || inst.range.end != inst.range.start {
            let end = inst.local_start + (floating.to_local(inst.range.end) - floating.to_local(inst.range.start));
            times.push(prop(end_name, vec![], floating_value(end)));
        }
    } else {
        times.push(prop("DTSTART", vec![], utc_value(inst.range.start)));
        if had_end || inst.range.end != inst.range.start {
            times.push(prop(end_name, vec![], utc_value(inst.range.end)));
        }
    }
    let mut props = Vec::with_capacity(src.props.len() + 3);
    let mut placed = false;
    for p in &src.props {
        let n = p.name.as_str();
        if n == "DTSTART" {
            props.append(&mut times);
            placed = true;
            continue;
        }
        if RECURRENCE_PROPS.contains(&n) || n == end_name || n == "DURATION" {
            continue;
        }
        props.push(p.clone());
    }
    if !placed {
        props.append(&mut times);
    }
    Component { name: src.name.clone(), props, children: src.children.clone() }
}

fn limit_freebusy(c: &mut Component, range: TimeRange) {
    c.props.retain_mut(|p| {
        if p.name != "FREEBUSY" {
            return true;
        }
        let kept: Vec<&str> = p
            .value
            .split(',')
            .filter(|period| {
                let Some((a, b)) = period.split_once('/') else { return false };
                let Some(start) = parse_date_value(a, false, None).map(|v| v.resolve(Zone::UTC)) else {
                    return false;
                };
                let end = if b.starts_with(['P', '+', '-']) {
                    parse_duration(b).map(|d| start + d.as_exact())
                } else {
                    parse_date_value(b, false, None).map(|v| v.resolve(Zone::UTC))
                };
                end.is_some_and(|end| TimeRange::new(start, end).overlaps(&range))
            })
            .collect();
        let keep = !kept.is_empty();
        let joined = kept.join(",");
        p.value = joined;
        keep
    });
}

/// Partial retrieval (§9.6.1–§9.6.4).
fn select(c: &Component, sel: &CompSelection) -> Component {
    let props = if sel.all_props {
        c.props.clone()
    } else {
        c.props
            .iter()
            .filter_map(|p| {
                let s = sel.props.iter().find(|s| s.name.eq_ignore_ascii_case(&p.name))?;
                let mut p = p.clone();
                if s.novalue {
                    p.value.clear();
                }
                Some(p)
            })
            .collect()
    };
    let children = if sel.all_comps {
        c.children.clone()
    } else {
        c.children
            .iter()
            .filter_map(|ch| {
                let s = sel.comps.iter().find(|s| s.name.eq_ignore_ascii_case(&ch.name))?;
                Some(select(ch, s))
            })
            .collect()
    };
    Component { name: c.name.clone(), props, children }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::ical::testing::{obj, utc};

    const DAILY: &str = "BEGIN:VTIMEZONE\r\nTZID:Europe/Berlin\r\nEND:VTIMEZONE\r\n\
BEGIN:VEVENT\r\nUID:d\r\nDTSTAMP:20260101T000000Z\r\nDTSTART;TZID=Europe/Berlin:20260105T100000\r\n\
DURATION:PT1H\r\nRRULE:FREQ=DAILY;COUNT=10\r\nEXDATE;TZID=Europe/Berlin:20260107T100000\r\nSUMMARY:Daily\r\nEND:VEVENT\r\n\
BEGIN:VEVENT\r\nUID:d\r\nDTSTAMP:20260101T000000Z\r\nRECURRENCE-ID;TZID=Europe/Berlin:20260108T100000\r\n\
DTSTART;TZID=Europe/Berlin:20260108T160000\r\nDTEND;TZID=Europe/Berlin:20260108T170000\r\nSUMMARY:Moved\r\nEND:VEVENT\r\n";

    #[test]
    fn verbatim_when_nothing_asked() {
        let o = obj(DAILY);
        assert_eq!(o.render(&CalendarDataRequest::default()), o.raw());
    }

    #[test]
    fn expand_gives_utc_instances_without_rrule() {
        let o = obj(DAILY);
        let req = CalendarDataRequest { expand: Some(TimeRange::new(utc(1, 5, 0), utc(1, 10, 0))), ..Default::default() };
        let out = o.render(&req);
        assert_eq!(out.matches("BEGIN:VEVENT").count(), 4, "{out}");
        assert!(!out.contains("RRULE") && !out.contains("EXDATE") && !out.contains("VTIMEZONE") && !out.contains("TZID"));
        assert!(out.contains("RECURRENCE-ID:20260105T090000Z\r\nDTSTART:20260105T090000Z\r\nDTEND:20260105T100000Z\r\n"));
        assert!(!out.contains("RECURRENCE-ID:20260107T090000Z"));
        assert!(out.contains("RECURRENCE-ID:20260108T090000Z\r\nDTSTART:20260108T150000Z\r\nDTEND:20260108T160000Z\r\n"));
        assert!(out.contains("SUMMARY:Moved"));
        assert!(out.split_inclusive('\n').all(|l| l.ends_with("\r\n")));
        // Wider range: five instances (Jan 5, 6, 8 moved, 9, 10) before Jan 11.
        let req = CalendarDataRequest { expand: Some(TimeRange::new(utc(1, 1, 0), utc(1, 11, 0))), ..Default::default() };
        let out = o.render(&req);
        assert_eq!(out.matches("BEGIN:VEVENT").count(), 5);
        assert_eq!(out.matches("RECURRENCE-ID:").count(), 5);
    }

    #[test]
    fn limit_recurrence_set_keeps_master_and_overlapping_overrides() {
        let o = obj(DAILY);
        let outside = CalendarDataRequest { limit_recurrence_set: Some(TimeRange::new(utc(1, 12, 0), utc(1, 13, 0))), ..Default::default() };
        let out = o.render(&outside);
        assert!(out.contains("RRULE:FREQ=DAILY;COUNT=10") && !out.contains("Moved"));
        let inside = CalendarDataRequest { limit_recurrence_set: Some(TimeRange::new(utc(1, 8, 0), utc(1, 9, 0))), ..Default::default() };
        assert!(o.render(&inside).contains("Moved"));
    }

    #[test]
    fn partial_retrieval() {
        let o = obj(DAILY);
        let sel = CompSelection {
            name: "VCALENDAR".into(),
            all_props: true,
            comps: vec![CompSelection {
                name: "VEVENT".into(),
                props: vec![
                    PropSelection { name: "SUMMARY".into(), novalue: false },
                    PropSelection { name: "UID".into(), novalue: true },
                ],
                all_comps: true,
                ..Default::default()
            }],
            ..Default::default()
        };
        let out = o.render(&CalendarDataRequest { comp: Some(sel), ..Default::default() });
        assert!(out.starts_with("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n"));
        assert!(out.contains("BEGIN:VEVENT\r\nUID:\r\nSUMMARY:Daily\r\nEND:VEVENT\r\n"), "{out}");
        assert!(!out.contains("DTSTART") && !out.contains("VTIMEZONE"));
    }

    /// RFC 4791 §9.6.5: floating instances stay floating (DTSTART, DTEND
    /// and RECURRENCE-ID without Z); the zone only decides which overlap.
    #[test]
    fn floating_expand_stays_floating() {
        let o = obj("BEGIN:VEVENT\r\nUID:f\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20260401T014500\r\nDTEND:20260401T024500\r\nRRULE:FREQ=DAILY;COUNT=10\r\nEND:VEVENT\r\n");
        let req = CalendarDataRequest { expand: Some(TimeRange::new(utc(4, 3, 0), utc(4, 7, 0))), ..Default::default() };
        let in_utc = o.render_in(&req, None);
        assert_eq!(in_utc.matches("Z\r\n").count(), in_utc.matches("DTSTAMP:").count(), "{in_utc}");
        let rids: Vec<&str> = in_utc.lines().filter(|l| l.starts_with("RECURRENCE-ID")).collect();
        assert_eq!(rids, ["RECURRENCE-ID:20260403T014500", "RECURRENCE-ID:20260404T014500", "RECURRENCE-ID:20260405T014500", "RECURRENCE-ID:20260406T014500"]);
        assert!(in_utc.contains("RECURRENCE-ID:20260405T014500\r\nDTSTART:20260405T014500\r\nDTEND:20260405T024500\r\n"), "{in_utc}");
        // Lord Howe (+11 until 5 April 02:00, then +10:30): 01:45 on the 3rd
        // is 14:45Z on the 2nd, out; the 7th's is 15:15Z on the 6th, in.
        let in_lhi = o.render_in(&req, Some(chrono_tz::Tz::Australia__Lord_Howe));
        let rids: Vec<&str> = in_lhi.lines().filter(|l| l.starts_with("RECURRENCE-ID")).collect();
        assert_eq!(rids, ["RECURRENCE-ID:20260404T014500", "RECURRENCE-ID:20260405T014500", "RECURRENCE-ID:20260406T014500", "RECURRENCE-ID:20260407T014500"]);
        assert!(in_lhi.contains("RECURRENCE-ID:20260405T014500\r\nDTSTART:20260405T014500\r\nDTEND:20260405T024500\r\n"), "{in_lhi}");
        // Zoned instances are still converted to UTC.
        let zoned = obj(DAILY).render_in(&CalendarDataRequest { expand: Some(TimeRange::new(utc(1, 5, 0), utc(1, 6, 0))), ..Default::default() }, Some(chrono_tz::Tz::Australia__Lord_Howe));
        assert!(zoned.contains("RECURRENCE-ID:20260105T090000Z\r\nDTSTART:20260105T090000Z\r\n"), "{zoned}");
    }

    /// An override of a floating series keeps a floating RECURRENCE-ID; one
    /// the client moved to a zoned time is written in UTC.
    #[test]
    fn floating_overrides_keep_their_form() {
        let o = obj("BEGIN:VEVENT\r\nUID:f\r\nDTSTART:20260401T090000\r\nDURATION:PT1H\r\nRRULE:FREQ=DAILY;COUNT=3\r\nEND:VEVENT\r\n\
BEGIN:VEVENT\r\nUID:f\r\nRECURRENCE-ID:20260402T090000\r\nDTSTART:20260402T110000\r\nDURATION:PT1H\r\nSUMMARY:Later\r\nEND:VEVENT\r\n\
BEGIN:VEVENT\r\nUID:f\r\nRECURRENCE-ID:20260403T090000\r\nDTSTART:20260403T070000Z\r\nDURATION:PT1H\r\nSUMMARY:Zoned\r\nEND:VEVENT\r\n");
        let out = o.render(&CalendarDataRequest { expand: Some(TimeRange::new(utc(4, 1, 0), utc(4, 4, 0))), ..Default::default() });
        assert!(out.contains("RECURRENCE-ID:20260401T090000\r\nDTSTART:20260401T090000\r\nDTEND:20260401T100000\r\n"), "{out}");
        assert!(out.contains("RECURRENCE-ID:20260402T090000\r\nDTSTART:20260402T110000\r\nDTEND:20260402T120000\r\n"), "{out}");
        assert!(out.contains("RECURRENCE-ID:20260403T090000\r\nDTSTART:20260403T070000Z\r\nDTEND:20260403T080000Z\r\n"), "{out}");
    }

    #[test]
    fn all_day_expand_stays_dates() {
        let o = obj("BEGIN:VEVENT\r\nUID:a\r\nDTSTART;VALUE=DATE:20260105\r\nDTEND;VALUE=DATE:20260106\r\nRRULE:FREQ=WEEKLY;COUNT=3\r\nEND:VEVENT\r\n");
        let out = o.render(&CalendarDataRequest { expand: Some(TimeRange::new(utc(1, 10, 0), utc(1, 20, 0))), ..Default::default() });
        assert!(out.contains("RECURRENCE-ID;VALUE=DATE:20260112\r\nDTSTART;VALUE=DATE:20260112\r\nDTEND;VALUE=DATE:20260113\r\n"), "{out}");
        assert_eq!(out.matches("BEGIN:VEVENT").count(), 2);
    }
}
