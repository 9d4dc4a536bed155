//! [`CalendarObject`]: a stored calendar object resource — the bytes as
//! sent plus the component tree and resolved zones derived from them — and
//! its read-only accessors (UID, kind, master, DTSTART/DTEND, attendees,
//! date values read in the object's zones).
//!
//! May import: [`super::component`], [`super::contentline`],
//! [`super::value`], [`super::zone`]. Built by [`super::parse`]; expanded
//! by [`super::expand`].

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};

use super::component::Component;
use super::contentline::Property;
use super::value::{parse_date_value, parse_duration, DateValue, PeriodEnd, RDateValue};
use super::zone::Zone;
use super::ComponentKind;

/// A stored calendar object resource: the bytes as sent plus what we derived
/// from them.
#[derive(Debug, Clone)]
pub struct CalendarObject {
    pub(super) raw: String,
    pub(super) raw_bytes: Option<Vec<u8>>,
    pub(super) root: Component,
    pub(super) uid: String,
    pub(super) kind: ComponentKind,
    /// TZID → resolved zone (None: unknown, read as floating).
    pub(super) zones: HashMap<String, Option<Zone>>,
}

impl CalendarObject {
    /// The object as text: exactly the bytes the client sent, except when a
    /// line fold split a UTF-8 sequence (then the fold is moved before that
    /// character so the text is valid UTF-8; the content is unchanged).
    pub fn raw(&self) -> &str {
        &self.raw
    }

    /// The bytes exactly as the client sent them.
    pub fn raw_bytes(&self) -> &[u8] {
        self.raw_bytes.as_deref().unwrap_or(self.raw.as_bytes())
    }

    pub fn uid(&self) -> &str {
        &self.uid
    }

    pub fn kind(&self) -> ComponentKind {
        self.kind
    }

    /// The VCALENDAR component tree.
    pub fn root(&self) -> &Component {
        &self.root
    }

    /// The VEVENT/VTODO/… components (master and overrides), in order.
    pub fn components(&self) -> impl Iterator<Item = &Component> {
        let name = self.kind.name();
        self.root.children.iter().filter(move |c| c.name == name)
    }

    /// The component without RECURRENCE-ID, if any.
    pub fn master(&self) -> Option<&Component> {
        self.components().find(|c| !c.has("RECURRENCE-ID"))
    }

    /// The master, or the first override when there is no master.
    fn main(&self) -> Option<&Component> {
        self.master().or_else(|| self.components().next())
    }

    fn main_text(&self, name: &str) -> Option<String> {
        self.main()?.prop(name).map(|p| p.text())
    }

    pub fn summary(&self) -> Option<String> {
        self.main_text("SUMMARY")
    }

    /// STATUS, upper case.
    pub fn status(&self) -> Option<String> {
        self.main_text("STATUS").map(|s| s.trim().to_ascii_uppercase())
    }

    pub fn sequence(&self) -> i64 {
        self.main()
            .and_then(|c| c.prop("SEQUENCE"))
            .and_then(|p| p.value.trim().parse().ok())
            .unwrap_or(0)
    }

    /// Master DTSTART; floating and DATE values are read in UTC.
    pub fn dtstart(&self) -> Option<DateTime<Utc>> {
        let c = self.main()?;
        Some(self.date_value(c.prop("DTSTART")?)?.resolve(Zone::UTC))
    }

    /// Master end: DTEND (or DUE), else DTSTART + DURATION, else the
    /// RFC 4791 §9.9 default (one day for a DATE, the start otherwise).
    pub fn dtend(&self) -> Option<DateTime<Utc>> {
        let c = self.main()?;
        let end_name = if self.kind == ComponentKind::Todo { "DUE" } else { "DTEND" };
        if let Some(e) = c.prop(end_name).and_then(|p| self.date_value(p)) {
            return Some(e.resolve(Zone::UTC));
        }
        let start = self.date_value(c.prop("DTSTART")?)?;
        if let Some(d) = c.prop("DURATION").and_then(|p| parse_duration(&p.value)) {
            return Some(d.add_to(start.local(), start.zone(Zone::UTC)));
        }
        if start.is_date() {
            return Some(start.resolve(Zone::UTC) + Duration::days(1));
        }
        Some(start.resolve(Zone::UTC))
    }

    /// ATTENDEE values (calendar user addresses, e.g. `mailto:a@b.c`).
    pub fn attendees(&self) -> Vec<String> {
        self.main()
            .map(|c| c.props_named("ATTENDEE").map(|p| p.value.trim().to_string()).collect())
            .unwrap_or_default()
    }

    /// ATTENDEE properties with their parameters (PARTSTAT, CN, …).
    pub fn attendee_props(&self) -> Vec<&Property> {
        self.main().map(|c| c.props_named("ATTENDEE").collect()).unwrap_or_default()
    }

    pub fn organizer(&self) -> Option<String> {
        self.main()?.prop("ORGANIZER").map(|p| p.value.trim().to_string())
    }

    /// The zone a TZID parameter stands for (None: floating).
    pub fn zone_for(&self, p: &Property) -> Option<Zone> {
        let tzid = p.param("TZID")?;
        self.zones.get(tzid).copied().flatten()
    }

    /// A single DATE / DATE-TIME property value.
    pub fn date_value(&self, p: &Property) -> Option<DateValue> {
        parse_date_value(&p.value, p.param("VALUE").is_some_and(|v| v.eq_ignore_ascii_case("DATE")), self.zone_for(p))
    }

    /// Every value of a comma-separated DATE / DATE-TIME list (EXDATE),
    /// skipping the ones that do not parse.
    pub fn multi_dates(&self, p: &Property) -> Vec<DateValue> {
        let is_date = p.param("VALUE").is_some_and(|v| v.eq_ignore_ascii_case("DATE"));
        let zone = self.zone_for(p);
        p.value
            .split(',')
            .filter(|v| !v.trim().is_empty())
            .filter_map(|v| parse_date_value(v, is_date, zone))
            .collect()
    }

    /// The values of an RDATE property (dates, date-times or periods).
    pub fn rdates(&self, p: &Property) -> Vec<RDateValue> {
        let is_date = p.param("VALUE").is_some_and(|v| v.eq_ignore_ascii_case("DATE"));
        let zone = self.zone_for(p);
        let mut out = Vec::new();
        for v in p.value.split(',') {
            let v = v.trim();
            if let Some((a, b)) = v.split_once('/') {
                let Some(start) = parse_date_value(a, false, zone) else { continue };
                let end = if b.starts_with(['P', 'p', '+', '-']) {
                    parse_duration(b).map(PeriodEnd::Duration)
                } else {
                    parse_date_value(b, false, zone).map(PeriodEnd::End)
                };
                if let Some(end) = end {
                    out.push(RDateValue::Period(start, end));
                }
            } else if let Some(d) = parse_date_value(v, is_date, zone) {
                out.push(RDateValue::At(d));
            }
        }
        out
    }

    /// The properties that shape a recurrence set (RRULE, RDATE, EXDATE,
    /// RECURRENCE-ID) in every component, VTIMEZONE included, in order:
    /// two objects with equal lists recur alike.
    pub fn recurrence_props(&self) -> Vec<&Property> {
        fn collect<'a>(c: &'a Component, out: &mut Vec<&'a Property>) {
            out.extend(c.props.iter().filter(|p| matches!(p.name.as_str(), "RRULE" | "EXDATE" | "RDATE" | "RECURRENCE-ID")));
            for child in &c.children {
                collect(child, out);
            }
        }
        let mut out = Vec::new();
        collect(&self.root, &mut out);
        out
    }

    /// True when some component of the object uses floating time (incl.
    /// DATE values, and TZIDs we could not place).
    pub fn uses_floating(&self) -> bool {
        self.components().any(|c| {
            ["DTSTART", "DTEND", "DUE", "RECURRENCE-ID"]
                .iter()
                .filter_map(|n| c.prop(n))
                .any(|p| self.date_value(p).is_some_and(|d| d.is_floating()))
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::ical::testing::obj;

    #[test]
    fn recurrence_props_cover_every_rule_line_unfolded() {
        let rule = "RRULE:FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR;UNTIL=20261231T000000Z;WKST=MO;BYHOUR=9\r\n";
        let a = obj(&format!("BEGIN:VEVENT\r\nUID:r\r\nDTSTART:20260105T090000Z\r\n{rule}EXDATE:20260106T090000Z\r\nEND:VEVENT\r\n"));
        let names: Vec<&str> = a.recurrence_props().iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["RRULE", "EXDATE"]);
        // The same rule folded differently recurs alike; a change after the fold does not.
        let folded = rule.replace("WKST", "\r\n WKST");
        let b = obj(&format!("BEGIN:VEVENT\r\nUID:r\r\nDTSTART:20260105T090000Z\r\n{folded}EXDATE:20260106T090000Z\r\nEND:VEVENT\r\n"));
        assert_eq!(a.recurrence_props(), b.recurrence_props());
        let changed = folded.replace("BYHOUR=9", "BYHOUR=10");
        let c = obj(&format!("BEGIN:VEVENT\r\nUID:r\r\nDTSTART:20260105T090000Z\r\n{changed}EXDATE:20260106T090000Z\r\nEND:VEVENT\r\n"));
        assert_ne!(a.recurrence_props(), c.recurrence_props());
    }
}
