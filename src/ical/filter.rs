//! CalDAV filters (RFC 4791 §9.7) as domain objects, and their evaluation
//! against a [`CalendarObject`].
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

// ---------------------------------------------------------------------------
// Validity (RFC 4791 §9.7.1, §9.7.2, §9.9): what a filter may say at all.
// The DAV layer applies these while it reads `<C:filter>`, and refuses a
// filter that breaks them with `CALDAV:valid-filter` / `supported-filter`.

/// Components a filter may name: RFC 5545's, RFC 7953's, and X- ones.
/// Any other name is a component the server does not query (→
/// `CALDAV:supported-filter`).
pub fn is_known_component(name: &str) -> bool {
    matches!(
        name,
        "VCALENDAR"
            | "VEVENT"
            | "VTODO"
            | "VJOURNAL"
            | "VFREEBUSY"
            | "VTIMEZONE"
            | "STANDARD"
            | "DAYLIGHT"
            | "VALARM"
            | "VAVAILABILITY"
            | "AVAILABLE"
    ) || is_x_name(name)
}

fn is_x_name(name: &str) -> bool {
    name.len() > 2 && name.starts_with("X-")
}

/// May a comp-filter for `child` be nested in one for `parent` (`None`:
/// directly in `CALDAV:filter`)? The nesting iCalendar allows (RFC 5545
/// §3.4, §3.6; RFC 7953 §3): VCALENDAR at the top and only there; the
/// calendar components in VCALENDAR; VALARM in VEVENT and VTODO;
/// STANDARD/DAYLIGHT in VTIMEZONE and nothing else there; AVAILABLE in
/// VAVAILABILITY; X- components anywhere but in VTIMEZONE, and anything
/// in an X- component.
pub fn may_nest(parent: Option<&str>, child: &str) -> bool {
    let Some(parent) = parent else { return child == "VCALENDAR" };
    if child == "VCALENDAR" || parent == "VTIMEZONE" {
        return parent == "VTIMEZONE" && matches!(child, "STANDARD" | "DAYLIGHT");
    }
    if is_x_name(parent) || is_x_name(child) {
        return true;
    }
    match parent {
        "VCALENDAR" => matches!(child, "VEVENT" | "VTODO" | "VJOURNAL" | "VFREEBUSY" | "VTIMEZONE" | "VAVAILABILITY"),
        "VEVENT" | "VTODO" => child == "VALARM",
        "VAVAILABILITY" => child == "AVAILABLE",
        _ => false,
    }
}

/// Components a time-range may apply to (RFC 4791 §9.9, RFC 7953 §8):
/// not VCALENDAR, VTIMEZONE, STANDARD/DAYLIGHT or X- components, which
/// have no time of their own that §9.9 defines.
pub fn comp_takes_time_range(name: &str) -> bool {
    matches!(name, "VEVENT" | "VTODO" | "VJOURNAL" | "VFREEBUSY" | "VALARM" | "VAVAILABILITY" | "AVAILABLE")
}

/// Properties whose value is a date or date-time, the only ones a
/// prop-filter's time-range may test (RFC 4791 §9.7.2, §9.9).
pub fn prop_takes_time_range(name: &str) -> bool {
    matches!(
        name,
        "DTSTART"
            | "DTEND"
            | "DUE"
            | "COMPLETED"
            | "CREATED"
            | "DTSTAMP"
            | "LAST-MODIFIED"
            | "RECURRENCE-ID"
            | "EXDATE"
            | "RDATE"
    )
}

// ---------------------------------------------------------------------------
// Evaluation

use chrono::Duration;

use super::availability::available_overlaps;
use super::expand::{expand, Instance};
use super::component::Component;
use super::contentline::Property;
use super::object::CalendarObject;
use super::value::{parse_duration, DateValue};
use super::zone::Zone;
use super::ComponentKind;
use crate::model::TimeRange;

/// How far around a VALARM time-range the parent's instances are looked
/// for, when the parent filter has no time-range of its own.
const ALARM_SLACK: Duration = Duration::days(7);

impl CompFilter {
    /// The time-range of the first-level comp-filter (`VCALENDAR` >
    /// `VEVENT`/`VTODO`/…), for prefiltering through the index.
    pub fn time_range_hint(&self) -> Option<OpenTimeRange> {
        if self.name != "VCALENDAR" {
            return if self.is_not_defined { None } else { self.time_range };
        }
        self.comp_filters
            .iter()
            .filter(|c| !c.is_not_defined)
            .find_map(|c| c.time_range)
    }

    /// The component kind the first-level comp-filter asks for.
    pub fn component_kind(&self) -> Option<ComponentKind> {
        if self.name != "VCALENDAR" {
            return ComponentKind::from_name(&self.name);
        }
        self.comp_filters
            .iter()
            .filter(|c| !c.is_not_defined)
            .find_map(|c| ComponentKind::from_name(&c.name))
    }

    /// True when the filter is just `VCALENDAR` > one component comp-filter
    /// with at most a time-range: then an index hit on a non-floating object
    /// of that kind is the exact answer.
    pub fn is_index_exact(&self) -> bool {
        if self.name != "VCALENDAR"
            || self.is_not_defined
            || self.time_range.is_some()
            || !self.prop_filters.is_empty()
        {
            return false;
        }
        match self.comp_filters.as_slice() {
            [c] => {
                ComponentKind::from_name(&c.name).is_some()
                    && !c.is_not_defined
                    && c.prop_filters.is_empty()
                    && c.comp_filters.is_empty()
            }
            _ => false,
        }
    }

    /// Does `obj` match this (root) filter? See [`CalendarObject::matches`].
    pub fn matches(&self, obj: &CalendarObject, floating_tz: Option<chrono_tz::Tz>) -> bool {
        obj.matches(self, floating_tz)
    }
}

impl TextMatch {
    /// Substring match under the collation, then `negate-condition`.
    pub fn matches(&self, value: &str) -> bool {
        let hit = match self.collation {
            Collation::Octet => value.contains(&self.text),
            Collation::AsciiCasemap => value.to_ascii_lowercase().contains(&self.text.to_ascii_lowercase()),
            Collation::UnicodeCasemap => value.to_lowercase().contains(&self.text.to_lowercase()),
        };
        hit != self.negate
    }
}

impl CalendarObject {
    /// RFC 4791 §9.7 filter evaluation. The root comp-filter must name
    /// VCALENDAR. Floating times are read in `floating_tz` (UTC when None).
    pub fn matches(&self, filter: &CompFilter, floating_tz: Option<chrono_tz::Tz>) -> bool {
        let zone = floating_tz.map(Zone::Iana).unwrap_or(Zone::UTC);
        let ev = Eval { obj: self, zone };
        ev.root(filter)
    }
}

struct Eval<'a> {
    obj: &'a CalendarObject,
    zone: Zone,
}

impl Eval<'_> {
    fn root(&self, f: &CompFilter) -> bool {
        if !f.name.eq_ignore_ascii_case("VCALENDAR") {
            return false;
        }
        if f.is_not_defined {
            return false;
        }
        let root = self.obj.root();
        if let Some(tr) = f.time_range {
            let exp = expand(self.obj, tr.closed(), self.zone);
            if exp.instances.is_empty() && exp.always.is_empty() {
                return false;
            }
        }
        f.prop_filters.iter().all(|pf| self.prop(root, pf))
            && f.comp_filters.iter().all(|cf| self.top(cf))
    }

    /// A comp-filter on the children of VCALENDAR.
    fn top(&self, f: &CompFilter) -> bool {
        let name = f.name.to_ascii_uppercase();
        let root = self.obj.root();
        let exists = root.children.iter().any(|c| c.name == name);
        if f.is_not_defined {
            return !exists;
        }
        if !exists {
            return false;
        }
        if name != self.obj.kind().name() {
            // VTIMEZONE (or a kind the object does not hold): time-range is
            // not evaluated for these.
            return root
                .children
                .iter()
                .filter(|c| c.name == name)
                .any(|c| self.rest(c, f, None));
        }
        let comps: Vec<&Component> = self.obj.components().collect();
        let window = match (f.time_range, nested_time_range(f)) {
            (Some(tr), _) => Some(tr.closed()),
            (None, Some(inner)) => {
                let w = inner.closed();
                Some(TimeRange::new(
                    w.start.checked_sub_signed(ALARM_SLACK).unwrap_or(w.start),
                    w.end.checked_add_signed(ALARM_SLACK).unwrap_or(w.end),
                ))
            }
            (None, None) => None,
        };
        match window {
            None => comps.iter().any(|c| self.rest(c, f, None)),
            Some(w) => {
                let exp = expand(self.obj, w, self.zone);
                exp.always.iter().any(|&i| self.rest(comps[i], f, None))
                    || exp.instances.iter().any(|inst| {
                        let in_range = f.time_range.is_none_or(|tr| inst.range.overlaps(&tr.closed()));
                        in_range && self.rest(comps[inst.component], f, Some(inst))
                    })
            }
        }
    }

    /// prop-filters and nested comp-filters of `f` against `c`.
    fn rest(&self, c: &Component, f: &CompFilter, inst: Option<&Instance>) -> bool {
        f.prop_filters.iter().all(|pf| self.prop(c, pf))
            && f.comp_filters.iter().all(|sub| self.nested(c, sub, inst))
    }

    /// A comp-filter below the first level (VALARM, or anything else).
    fn nested(&self, parent: &Component, f: &CompFilter, inst: Option<&Instance>) -> bool {
        let name = f.name.to_ascii_uppercase();
        let mut children = parent.children.iter().filter(|c| c.name == name).peekable();
        if f.is_not_defined {
            return children.peek().is_none();
        }
        children.any(|c| {
            let timed = match f.time_range {
                None => true,
                // RFC 7953 §7.1: an AVAILABLE overlaps like a VEVENT.
                Some(tr) if name == "AVAILABLE" => available_overlaps(self.obj, c, tr.closed(), self.zone),
                Some(tr) if name == "VALARM" => match inst {
                    Some(i) => alarm_triggers(self.obj, c, i, self.zone)
                        .iter()
                        .any(|t| TimeRange::new(*t, *t).overlaps(&tr.closed())),
                    None => false,
                },
                Some(_) => true,
            };
            timed && self.rest(c, f, inst)
        })
    }

    fn prop(&self, c: &Component, f: &PropFilter) -> bool {
        let name = f.name.to_ascii_uppercase();
        let mut props = c.props.iter().filter(|p| p.name == name).peekable();
        if f.is_not_defined {
            return props.peek().is_none();
        }
        props.any(|p| {
            if let Some(tr) = f.time_range {
                let Some(span) = self.prop_span(p) else { return false };
                if !span.overlaps(&tr.closed()) {
                    return false;
                }
            }
            if let Some(tm) = &f.text_match {
                if !tm.matches(&p.text()) {
                    return false;
                }
            }
            f.param_filters.iter().all(|pf| param_matches(p, pf))
        })
    }

    /// A date-time property as a span: an instant, or a whole day for DATE.
    fn prop_span(&self, p: &Property) -> Option<TimeRange> {
        let v = self.obj.date_value(p)?;
        let start = v.resolve(self.zone);
        Some(match v {
            DateValue::Date(_) => TimeRange::new(start, v.zone(self.zone).to_utc(v.local() + Duration::days(1))),
            _ => TimeRange::new(start, start),
        })
    }
}

fn nested_time_range(f: &CompFilter) -> Option<OpenTimeRange> {
    f.comp_filters
        .iter()
        .find_map(|c| c.time_range.or_else(|| nested_time_range(c)))
}

fn param_matches(p: &Property, f: &ParamFilter) -> bool {
    let name = f.name.to_ascii_uppercase();
    let values: Vec<&String> = p.params.iter().filter(|(n, _)| *n == name).flat_map(|(_, v)| v).collect();
    if f.is_not_defined {
        return values.is_empty();
    }
    if values.is_empty() {
        return false;
    }
    match &f.text_match {
        None => true,
        Some(tm) => values.iter().any(|v| tm.matches(v)),
    }
}

/// When a VALARM fires for one instance (RFC 5545 §3.8.6.3, REPEAT and
/// DURATION included; RFC 4791 §9.9 VALARM rules, best effort).
pub fn alarm_triggers(obj: &CalendarObject, alarm: &Component, inst: &Instance, floating: Zone) -> Vec<chrono::DateTime<chrono::Utc>> {
    let Some(trigger) = alarm.prop("TRIGGER") else { return Vec::new() };
    let first = if trigger.param("VALUE").is_some_and(|v| v.eq_ignore_ascii_case("DATE-TIME")) {
        match obj.date_value(trigger) {
            Some(v) => v.resolve(floating),
            None => return Vec::new(),
        }
    } else {
        let Some(d) = parse_duration(&trigger.value) else { return Vec::new() };
        let base = if trigger.param("RELATED").is_some_and(|r| r.eq_ignore_ascii_case("END")) {
            inst.range.end
        } else {
            inst.range.start
        };
        base.checked_add_signed(d.as_exact()).unwrap_or(base)
    };
    let mut out = vec![first];
    let repeat: i64 = alarm.prop("REPEAT").and_then(|p| p.value.trim().parse().ok()).unwrap_or(0);
    if let Some(step) = alarm.prop("DURATION").and_then(|p| parse_duration(&p.value)) {
        let step = step.as_exact();
        let mut t = first;
        for _ in 0..repeat.clamp(0, 100) {
            match t.checked_add_signed(step) {
                Some(n) => {
                    t = n;
                    out.push(t)
                }
                None => break,
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{DateTime, TimeZone, Utc};

    use crate::ical::testing::{obj, utc};

    fn tr(s: DateTime<Utc>, e: DateTime<Utc>) -> Option<OpenTimeRange> {
        Some(OpenTimeRange { start: Some(s), end: Some(e) })
    }

    fn cal(inner: CompFilter) -> CompFilter {
        CompFilter { name: "VCALENDAR".into(), comp_filters: vec![inner], ..Default::default() }
    }

    fn comp(name: &str) -> CompFilter {
        CompFilter { name: name.into(), ..Default::default() }
    }

    fn event_in(s: DateTime<Utc>, e: DateTime<Utc>) -> CompFilter {
        cal(CompFilter { time_range: tr(s, e), ..comp("VEVENT") })
    }

    fn text(prop: &str, t: &str, collation: Collation, negate: bool) -> CompFilter {
        cal(CompFilter {
            prop_filters: vec![PropFilter {
                name: prop.into(),
                text_match: Some(TextMatch { text: t.into(), collation, negate }),
                ..Default::default()
            }],
            ..comp("VEVENT")
        })
    }

    const WEEKLY: &str = "BEGIN:VEVENT\r\nUID:w\r\nDTSTART;TZID=Europe/Berlin:20260105T090000\r\n\
DTEND;TZID=Europe/Berlin:20260105T100000\r\nRRULE:FREQ=WEEKLY;COUNT=10\r\nEXDATE;TZID=Europe/Berlin:20260112T090000\r\n\
SUMMARY:Klavierstunde Ärger\r\nATTENDEE;PARTSTAT=NEEDS-ACTION;CN=Ann:mailto:ann@example.com\r\n\
BEGIN:VALARM\r\nACTION:DISPLAY\r\nDESCRIPTION:x\r\nTRIGGER:-PT15M\r\nEND:VALARM\r\nEND:VEVENT\r\n\
BEGIN:VEVENT\r\nUID:w\r\nRECURRENCE-ID;TZID=Europe/Berlin:20260119T090000\r\nDTSTART;TZID=Europe/Berlin:20260120T140000\r\n\
DTEND;TZID=Europe/Berlin:20260120T150000\r\nSUMMARY:Moved\r\nEND:VEVENT\r\n";

    #[test]
    fn recurring_time_range_any_instance_with_exdate_and_override() {
        let o = obj(WEEKLY);
        // 2nd instance (Jan 12) is excluded.
        assert!(!o.matches(&event_in(utc(1, 12, 0), utc(1, 13, 0)), None));
        // 3rd instance moved from Jan 19 08:00Z to Jan 20 13:00Z.
        assert!(!o.matches(&event_in(utc(1, 19, 0), utc(1, 20, 0)), None));
        assert!(o.matches(&event_in(utc(1, 20, 13), utc(1, 20, 14)), None));
        // A later instance, far from the first.
        assert!(o.matches(&event_in(utc(3, 2, 8), utc(3, 2, 9)), None));
        // Half-open: ends exactly when the instance starts.
        assert!(!o.matches(&event_in(utc(1, 5, 7), utc(1, 5, 8)), None));
        // After COUNT.
        assert!(!o.matches(&event_in(utc(6, 1, 0), utc(7, 1, 0)), None));
        // Open-ended range.
        let open = cal(CompFilter { time_range: Some(OpenTimeRange { start: Some(utc(3, 1, 0)), end: None }), ..comp("VEVENT") });
        assert!(o.matches(&open, None));
    }

    #[test]
    fn text_match_collations_and_negate() {
        let o = obj(WEEKLY);
        assert!(o.matches(&text("SUMMARY", "KLAVIER", Collation::AsciiCasemap, false), None));
        assert!(!o.matches(&text("SUMMARY", "KLAVIER", Collation::Octet, false), None));
        assert!(o.matches(&text("SUMMARY", "Klavier", Collation::Octet, false), None));
        // Non-ASCII case folding only under unicode-casemap.
        assert!(!o.matches(&text("SUMMARY", "ärger", Collation::AsciiCasemap, false), None));
        assert!(o.matches(&text("SUMMARY", "ärger", Collation::UnicodeCasemap, false), None));
        // negate-condition: the master does not contain "Moved" → true.
        assert!(o.matches(&text("SUMMARY", "Moved", Collation::AsciiCasemap, true), None));
        let single = obj("BEGIN:VEVENT\r\nUID:s\r\nDTSTART:20260105T090000Z\r\nSUMMARY:Moved\r\nEND:VEVENT\r\n");
        assert!(!single.matches(&text("SUMMARY", "moved", Collation::AsciiCasemap, true), None));
        assert!(!single.matches(&text("NOPE", "x", Collation::AsciiCasemap, true), None));
    }

    #[test]
    fn param_filter_and_is_not_defined() {
        let o = obj(WEEKLY);
        let pf = |param: ParamFilter| {
            cal(CompFilter {
                prop_filters: vec![PropFilter { name: "ATTENDEE".into(), param_filters: vec![param], ..Default::default() }],
                ..comp("VEVENT")
            })
        };
        let partstat = |t: &str| ParamFilter {
            name: "PARTSTAT".into(),
            text_match: Some(TextMatch { text: t.into(), collation: Collation::AsciiCasemap, negate: false }),
            ..Default::default()
        };
        assert!(o.matches(&pf(partstat("needs-action")), None));
        assert!(!o.matches(&pf(partstat("ACCEPTED")), None));
        assert!(!o.matches(&pf(ParamFilter { name: "CN".into(), is_not_defined: true, ..Default::default() }), None));
        assert!(o.matches(&pf(ParamFilter { name: "ROLE".into(), is_not_defined: true, ..Default::default() }), None));

        let prop_undef = |name: &str| {
            cal(CompFilter {
                prop_filters: vec![PropFilter { name: name.into(), is_not_defined: true, ..Default::default() }],
                ..comp("VEVENT")
            })
        };
        assert!(o.matches(&prop_undef("LOCATION"), None));
        assert!(!o.matches(&prop_undef("SUMMARY"), None));
        assert!(o.matches(&cal(CompFilter { is_not_defined: true, ..comp("VTODO") }), None));
        assert!(!o.matches(&cal(CompFilter { is_not_defined: true, ..comp("VEVENT") }), None));
        assert!(!o.matches(&cal(comp("VTODO")), None));
        assert!(o.matches(&cal(comp("VEVENT")), None));
        assert!(!o.matches(&comp("VEVENT"), None), "root must be VCALENDAR");
    }

    #[test]
    fn valarm_time_range() {
        let o = obj(WEEKLY);
        let alarm = |s, e| {
            cal(CompFilter { comp_filters: vec![CompFilter { time_range: tr(s, e), ..comp("VALARM") }], ..comp("VEVENT") })
        };
        // First instance 08:00Z, alarm 07:45Z.
        let t = Utc.with_ymd_and_hms(2026, 1, 5, 7, 45, 0).unwrap();
        assert!(o.matches(&alarm(t, utc(1, 5, 8)), None));
        assert!(!o.matches(&alarm(utc(1, 5, 8), utc(1, 5, 9)), None));
    }

    #[test]
    fn todo_rules_rfc4791_9_9() {
        let no_dates = obj("BEGIN:VTODO\r\nUID:t\r\nSUMMARY:a\r\nEND:VTODO\r\n");
        let todo_in = |s, e| cal(CompFilter { time_range: tr(s, e), ..comp("VTODO") });
        assert!(no_dates.matches(&todo_in(utc(1, 1, 0), utc(1, 2, 0)), None));
        let due = obj("BEGIN:VTODO\r\nUID:t\r\nDTSTART:20260105T090000Z\r\nDUE:20260107T090000Z\r\nEND:VTODO\r\n");
        assert!(due.matches(&todo_in(utc(1, 6, 0), utc(1, 6, 1)), None));
        assert!(!due.matches(&todo_in(utc(1, 8, 0), utc(1, 9, 0)), None));
        let created = obj("BEGIN:VTODO\r\nUID:t\r\nCREATED:20260105T090000Z\r\nEND:VTODO\r\n");
        assert!(created.matches(&todo_in(utc(6, 1, 0), utc(6, 2, 0)), None));
        assert!(!created.matches(&todo_in(utc(1, 1, 0), utc(1, 2, 0)), None));
    }

    #[test]
    fn floating_uses_the_given_zone() {
        let o = obj("BEGIN:VEVENT\r\nUID:f\r\nDTSTART:20260105T090000\r\nDTEND:20260105T100000\r\nEND:VEVENT\r\n");
        let f = event_in(utc(1, 5, 8), utc(1, 5, 9));
        assert!(o.matches(&f, Some(chrono_tz::Tz::Europe__Berlin)));
        assert!(!o.matches(&f, None));
    }

    #[test]
    fn prop_time_range_on_date_time_property() {
        let o = obj("BEGIN:VEVENT\r\nUID:d\r\nDTSTART:20260105T090000Z\r\nDTSTAMP:20260101T120000Z\r\nEND:VEVENT\r\n");
        let f = |s, e| {
            cal(CompFilter {
                prop_filters: vec![PropFilter { name: "DTSTAMP".into(), time_range: tr(s, e), ..Default::default() }],
                ..comp("VEVENT")
            })
        };
        assert!(o.matches(&f(utc(1, 1, 12), utc(1, 1, 13)), None));
        assert!(!o.matches(&f(utc(1, 1, 13), utc(1, 1, 14)), None));
    }

    /// RFC 4791 §9.7.1: the nesting a filter may name, and where a
    /// time-range can apply.
    #[test]
    fn nesting_and_time_range_rules() {
        assert!(may_nest(None, "VCALENDAR"));
        assert!(!may_nest(None, "VEVENT"));
        assert!(may_nest(Some("VCALENDAR"), "VEVENT") && may_nest(Some("VCALENDAR"), "VTIMEZONE"));
        assert!(!may_nest(Some("VCALENDAR"), "VALARM"));
        assert!(!may_nest(Some("VCALENDAR"), "VCALENDAR"));
        assert!(may_nest(Some("VEVENT"), "VALARM") && may_nest(Some("VTODO"), "VALARM"));
        assert!(!may_nest(Some("VEVENT"), "VEVENT") && !may_nest(Some("VALARM"), "VEVENT"));
        assert!(!may_nest(Some("VJOURNAL"), "VALARM"));
        assert!(may_nest(Some("VTIMEZONE"), "STANDARD") && may_nest(Some("VTIMEZONE"), "DAYLIGHT"));
        assert!(!may_nest(Some("VTIMEZONE"), "VEVENT") && !may_nest(Some("VTIMEZONE"), "X-RULES"));
        assert!(!may_nest(Some("VEVENT"), "STANDARD"));
        assert!(may_nest(Some("VEVENT"), "X-THING") && may_nest(Some("X-THING"), "VEVENT"));
        assert!(may_nest(Some("VAVAILABILITY"), "AVAILABLE") && !may_nest(Some("VEVENT"), "AVAILABLE"));
        for name in ["VEVENT", "VTODO", "VJOURNAL", "VFREEBUSY", "VALARM"] {
            assert!(comp_takes_time_range(name), "{name}");
        }
        for name in ["VCALENDAR", "VTIMEZONE", "STANDARD", "DAYLIGHT", "X-THING"] {
            assert!(!comp_takes_time_range(name), "{name}");
        }
        assert!(prop_takes_time_range("DTSTART") && prop_takes_time_range("LAST-MODIFIED"));
        assert!(!prop_takes_time_range("SUMMARY") && !prop_takes_time_range("UID"));
        assert!(is_known_component("X-ANYTHING") && is_known_component("VAVAILABILITY"));
        assert!(!is_known_component("VPOLL") && !is_known_component("X-"));
    }

    #[test]
    fn hints_and_exactness() {
        let f = event_in(utc(1, 1, 0), utc(2, 1, 0));
        assert_eq!(f.time_range_hint(), tr(utc(1, 1, 0), utc(2, 1, 0)));
        assert_eq!(f.component_kind(), Some(ComponentKind::Event));
        assert!(f.is_index_exact());
        assert!(cal(comp("VTODO")).is_index_exact());
        assert!(!text("SUMMARY", "x", Collation::Octet, false).is_index_exact());
        assert!(!cal(CompFilter { is_not_defined: true, ..comp("VEVENT") }).is_index_exact());
        assert_eq!(cal(comp("VTODO")).time_range_hint(), None);
    }
}

#[cfg(test)]
mod collection_tests {
    //! A small collection in the spirit of RFC 4791 Appendix B (our own
    //! objects), queried with a time-range the way clients do.
    use super::*;
    use chrono::{TimeZone, Utc};

    const OBJECTS: &[(&str, &str)] = &[
        ("single-utc", "BEGIN:VEVENT\nUID:1\nDTSTART:20260210T120000Z\nDTEND:20260210T130000Z\nEND:VEVENT\n"),
        ("all-day", "BEGIN:VEVENT\nUID:2\nDTSTART;VALUE=DATE:20260211\nEND:VEVENT\n"),
        ("duration", "BEGIN:VEVENT\nUID:3\nDTSTART:20260209T230000Z\nDURATION:PT2H\nEND:VEVENT\n"),
        ("instant", "BEGIN:VEVENT\nUID:4\nDTSTART:20260212T000000Z\nEND:VEVENT\n"),
        ("floating", "BEGIN:VEVENT\nUID:5\nDTSTART:20260210T080000\nDTEND:20260210T090000\nEND:VEVENT\n"),
        (
            "recurring-moved-in",
            "BEGIN:VEVENT\nUID:6\nDTSTART:20260101T100000Z\nDURATION:PT1H\nRRULE:FREQ=MONTHLY;COUNT=3\nEND:VEVENT\n\
BEGIN:VEVENT\nUID:6\nRECURRENCE-ID:20260301T100000Z\nDTSTART:20260210T100000Z\nDURATION:PT1H\nEND:VEVENT\n",
        ),
        ("todo-due", "BEGIN:VTODO\nUID:7\nDUE:20260210T170000Z\nEND:VTODO\n"),
        ("before", "BEGIN:VEVENT\nUID:8\nDTSTART:20260209T100000Z\nDTEND:20260210T000000Z\nEND:VEVENT\n"),
    ];

    #[test]
    fn event_query_over_a_collection() {
        let range = OpenTimeRange {
            start: Some(Utc.with_ymd_and_hms(2026, 2, 10, 0, 0, 0).unwrap()),
            end: Some(Utc.with_ymd_and_hms(2026, 2, 12, 0, 0, 0).unwrap()),
        };
        let filter = CompFilter {
            name: "VCALENDAR".into(),
            comp_filters: vec![CompFilter { name: "VEVENT".into(), time_range: Some(range), ..Default::default() }],
            ..Default::default()
        };
        let hits: Vec<&str> = OBJECTS
            .iter()
            .filter(|(_, body)| {
                let text = format!("BEGIN:VCALENDAR\nVERSION:2.0\n{body}END:VCALENDAR\n");
                CalendarObject::parse(text.as_bytes()).unwrap().matches(&filter, None)
            })
            .map(|(name, _)| *name)
            .collect();
        assert_eq!(hits, vec!["single-utc", "all-day", "duration", "floating", "recurring-moved-in"]);
    }
}
