//! Calendar availability (RFC 7953): the VAVAILABILITY component as a
//! model ([`Availability`]: priority, BUSYTYPE, its time range, its
//! AVAILABLE sets), the checks a stored one must pass ([`check`]), and the
//! §4 rules that turn several of them into available and unavailable time
//! ([`resolve`], [`unavailable_periods`]).
//!
//! May import: [`super::expand`] (AVAILABLE sets recur like VEVENTs and are
//! expanded by the same code, on one shared [`RECURRENCE_BUDGET`]),
//! [`super::object`], [`super::component`], [`super::value`],
//! [`super::zone`]. Knows nothing of where the components came from (a
//! calendar object resource or the inbox's `CALDAV:calendar-availability`).
//!
//! # The rules (RFC 7953 §4)
//! - Inside a VAVAILABILITY's range, time is unavailable (its BUSYTYPE,
//!   BUSY-UNAVAILABLE by default) except where one of its AVAILABLE
//!   instances lies. Outside every range nothing is said.
//! - PRIORITY 1 is the highest, 9 the lowest, 0 (or none) is undefined and
//!   ranks below 9. Where ranges overlap, the higher priority decides alone.
//! - Where two of the same priority overlap, time available in either is
//!   available (the RFC leaves the order open; a union never hides a
//!   user's declared hours).

use chrono_tz::Tz;

use super::component::Component;
use super::expand::{expand_within, max_time, min_time, RECURRENCE_BUDGET};
use super::object::CalendarObject;
use super::value::parse_duration;
use super::zone::Zone;
use super::{BusyKind, ComponentKind, Error, Result};
use crate::model::{intersect_spans as intersect, merge_spans as merged, subtract_spans as subtract, TimeRange};

/// One VAVAILABILITY component.
#[derive(Debug, Clone)]
pub struct Availability {
    pub uid: String,
    /// 0 (undefined, the lowest) or 1 (highest) … 9 (lowest).
    pub priority: u8,
    /// What time outside AVAILABLE shows as (default BUSY-UNAVAILABLE).
    pub busytype: BusyKind,
    /// DTSTART..DTEND; an open start or end is the beginning or end of time.
    pub range: TimeRange,
    /// The AVAILABLE sets: the AVAILABLE components sharing one UID (a
    /// master and its RECURRENCE-ID overrides) are one rule.
    pub available: Vec<AvailableRule>,
}

/// One recurrence set of AVAILABLE components (RFC 7953 §3.1).
#[derive(Debug, Clone)]
pub struct AvailableRule {
    /// The AVAILABLE components as VEVENTs of an object of their own, with
    /// the VTIMEZONEs and zones of the object they came from: they recur
    /// exactly as events do.
    set: CalendarObject,
    floating: Zone,
}

/// Available and unavailable time of several VAVAILABILITYs in a window.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Resolved {
    /// The time some VAVAILABILITY speaks about, sorted and merged.
    pub covered: Vec<TimeRange>,
    /// The part of `covered` that is available, sorted and merged.
    pub available: Vec<TimeRange>,
    /// The rest of `covered`, with the BUSYTYPE of what decided it.
    pub unavailable: Vec<(TimeRange, BusyKind)>,
    /// The recurrence budget ran out: some available time may be missing.
    pub exhausted: bool,
}

/// BUSYTYPE (RFC 7953 §3.2); unknown values read as the default.
fn busytype(c: &Component) -> BusyKind {
    match c.prop("BUSYTYPE").map(|p| p.value.trim().to_ascii_uppercase()).as_deref() {
        Some("BUSY") => BusyKind::Busy,
        Some("BUSY-TENTATIVE") => BusyKind::BusyTentative,
        _ => BusyKind::BusyUnavailable,
    }
}

fn priority(c: &Component) -> Result<u8> {
    match c.prop("PRIORITY") {
        None => Ok(0),
        Some(p) => match p.value.trim().parse::<u8>() {
            Ok(n) if n <= 9 => Ok(n),
            _ => Err(Error::InvalidData(format!("PRIORITY: {:?} is not 0–9", p.value))),
        },
    }
}

/// 1 first, 9 after, 0 (undefined) last.
fn rank(priority: u8) -> u8 {
    if priority == 0 {
        10
    } else {
        priority
    }
}

/// The RFC 7953 §3.1 rules a VAVAILABILITY object (or the inbox property)
/// must meet beyond RFC 4791 §4.1: DURATION only with DTSTART and never
/// with DTEND, a PRIORITY of 0–9, and AVAILABLE children each with a
/// DTSTART and exactly one of DTEND or DURATION, not ending before they
/// start. → `CALDAV:valid-calendar-data`
pub fn check(obj: &CalendarObject) -> Result<()> {
    if obj.kind() != ComponentKind::Availability {
        return Err(Error::ComponentKinds(format!("{} where a VAVAILABILITY was expected", obj.kind().name())));
    }
    for c in obj.components() {
        let start = c.prop("DTSTART");
        if start.is_some_and(|p| obj.date_value(p).is_none()) {
            return Err(Error::InvalidData("VAVAILABILITY: bad DTSTART".into()));
        }
        if c.has("DURATION") && (start.is_none() || c.has("DTEND")) {
            return Err(Error::InvalidData("VAVAILABILITY: DURATION needs DTSTART and excludes DTEND".into()));
        }
        priority(c)?;
        for a in c.children.iter().filter(|a| a.name == "AVAILABLE") {
            let start = a
                .prop("DTSTART")
                .and_then(|p| obj.date_value(p))
                .ok_or_else(|| Error::InvalidData("AVAILABLE without a valid DTSTART".into()))?;
            let end = match (a.prop("DTEND"), a.prop("DURATION")) {
                (Some(e), None) => obj
                    .date_value(e)
                    .ok_or_else(|| Error::InvalidData("AVAILABLE: bad DTEND".into()))?
                    .resolve(Zone::UTC),
                (None, Some(d)) => {
                    let d = parse_duration(&d.value)
                        .filter(|d| d.days >= 0 && d.seconds >= 0)
                        .ok_or_else(|| Error::InvalidData("AVAILABLE: bad DURATION".into()))?;
                    d.add_to(start.local(), start.zone(Zone::UTC))
                }
                _ => return Err(Error::InvalidData("AVAILABLE needs exactly one of DTEND and DURATION".into())),
            };
            if !start.is_floating() && end < start.resolve(Zone::UTC) {
                return Err(Error::InvalidData("AVAILABLE: DTEND before DTSTART".into()));
            }
            for p in a.props.iter().filter(|p| matches!(p.name.as_str(), "RECURRENCE-ID" | "EXDATE")) {
                let ok = if p.name == "EXDATE" {
                    obj.multi_dates(p).len() == p.value.split(',').filter(|v| !v.trim().is_empty()).count()
                } else {
                    obj.date_value(p).is_some()
                };
                if !ok {
                    return Err(Error::InvalidData(format!("AVAILABLE: bad {}", p.name)));
                }
            }
        }
    }
    Ok(())
}

/// True when an instance of the AVAILABLE `available` of `obj` (with the
/// overrides that share its UID) overlaps `range`: RFC 7953 §7.1's
/// time-range test for AVAILABLE, which is VEVENT's.
pub fn available_overlaps(obj: &CalendarObject, available: &Component, range: TimeRange, floating: Zone) -> bool {
    let uid = available.prop("UID").map(|p| p.value.trim());
    let parent = obj.components().find(|c| c.children.iter().any(|ch| std::ptr::eq(ch, available)));
    let siblings: Vec<&Component> = match (parent, uid) {
        (Some(p), Some(uid)) => p
            .children
            .iter()
            .filter(|c| c.name == "AVAILABLE" && c.prop("UID").map(|p| p.value.trim()) == Some(uid))
            .collect(),
        _ => vec![available],
    };
    let set = as_event_set(obj, uid.unwrap_or_default(), siblings.into_iter().cloned().collect());
    let mut left = RECURRENCE_BUDGET;
    let exp = expand_within(&set, range, floating, &mut left);
    exp.instances.iter().any(|i| i.range.overlaps(&range))
}

/// AVAILABLE components as the VEVENTs of an object of their own, with the
/// VTIMEZONEs and resolved zones of `obj`.
fn as_event_set(obj: &CalendarObject, uid: &str, available: Vec<Component>) -> CalendarObject {
    let mut children: Vec<Component> = obj.root().children.iter().filter(|c| c.name == "VTIMEZONE").cloned().collect();
    children.extend(available.into_iter().map(|mut c| {
        c.name = "VEVENT".into();
        c
    }));
    CalendarObject {
        raw: String::new(),
        raw_bytes: None,
        root: Component { name: "VCALENDAR".into(), props: Vec::new(), children },
        uid: uid.to_string(),
        kind: ComponentKind::Event,
        zones: obj.zones.clone(),
    }
}

impl Availability {
    /// Every VAVAILABILITY in `obj` (none when it holds another kind),
    /// floating times read in `floating` (UTC when None). `obj` should
    /// have passed [`check`]; what does not parse is left out.
    pub fn all_in(obj: &CalendarObject, floating: Option<Tz>) -> Vec<Availability> {
        if obj.kind() != ComponentKind::Availability {
            return Vec::new();
        }
        let zone = floating.map(Zone::Iana).unwrap_or(Zone::UTC);
        let spans = super::expand::expand(obj, TimeRange::new(min_time(), max_time()), zone);
        let mut out = Vec::new();
        for (idx, c) in obj.components().enumerate() {
            let Some(range) = spans.instances.iter().find(|i| i.component == idx).map(|i| i.range) else { continue };
            let mut groups: Vec<(String, Vec<Component>)> = Vec::new();
            for (n, a) in c.children.iter().filter(|a| a.name == "AVAILABLE").enumerate() {
                let uid = a.prop("UID").map(|p| p.value.trim().to_string()).unwrap_or_else(|| format!("#{n}"));
                match groups.iter_mut().find(|(u, _)| *u == uid) {
                    Some((_, v)) => v.push(a.clone()),
                    None => groups.push((uid, vec![a.clone()])),
                }
            }
            let available = groups
                .into_iter()
                .map(|(uid, comps)| AvailableRule { set: as_event_set(obj, &uid, comps), floating: zone })
                .collect();
            out.push(Availability {
                uid: obj.uid().to_string(),
                priority: priority(c).unwrap_or(0),
                busytype: busytype(c),
                range,
                available,
            });
        }
        out
    }

    /// Parses iCalendar text holding VAVAILABILITY components (the inbox
    /// property's value) and checks it ([`check`]).
    pub fn parse_all(bytes: &[u8], floating: Option<Tz>) -> Result<Vec<Availability>> {
        let obj = CalendarObject::parse(bytes)?;
        check(&obj)?;
        Ok(Availability::all_in(&obj, floating))
    }
}

/// RFC 7953 §4 over `window`: which time the VAVAILABILITYs declare
/// available and which unavailable (see the module's rules). All
/// AVAILABLE sets share one [`RECURRENCE_BUDGET`]; once it is spent the
/// rest count as not available and [`Resolved::exhausted`] says so.
pub fn resolve(list: &[Availability], window: TimeRange) -> Resolved {
    let mut order: Vec<&Availability> = list.iter().filter(|a| a.range.overlaps(&window)).collect();
    order.sort_by_key(|a| rank(a.priority));
    let mut out = Resolved::default();
    let mut left = RECURRENCE_BUDGET;
    let mut claimed: Vec<TimeRange> = Vec::new();
    let mut available: Vec<TimeRange> = Vec::new();
    let mut unavailable: Vec<(TimeRange, BusyKind)> = Vec::new();
    let mut at = 0;
    while at < order.len() {
        let r = rank(order[at].priority);
        let group: Vec<&Availability> = order[at..].iter().take_while(|a| rank(a.priority) == r).copied().collect();
        at += group.len();
        let mut territories = Vec::new();
        let mut open = Vec::new();
        for a in &group {
            let own = merged(vec![TimeRange::new(a.range.start.max(window.start), a.range.end.min(window.end))]);
            let territory = subtract(&own, &claimed);
            if territory.is_empty() {
                territories.push(territory);
                continue;
            }
            let mut spans = Vec::new();
            for rule in &a.available {
                if left == 0 {
                    out.exhausted = true;
                    break;
                }
                left -= 1;
                let exp = expand_within(&rule.set, window, rule.floating, &mut left);
                out.exhausted |= exp.exhausted || exp.capped;
                spans.extend(exp.instances.iter().map(|i| i.range));
            }
            open.extend(intersect(&merged(spans), &territory));
            territories.push(territory);
        }
        let open = merged(open);
        for (a, territory) in group.iter().zip(&territories) {
            unavailable.extend(subtract(territory, &open).into_iter().map(|t| (t, a.busytype)));
        }
        available.extend(open);
        claimed = merged(claimed.into_iter().chain(territories.into_iter().flatten()).collect());
    }
    // One list per BUSYTYPE, merged: same-priority overlaps and
    // neighbouring pieces of different priorities come out as one span.
    let mut merged_unavailable = Vec::new();
    for kind in [BusyKind::Busy, BusyKind::BusyTentative, BusyKind::BusyUnavailable] {
        let spans = unavailable.iter().filter(|(_, k)| *k == kind).map(|(r, _)| *r).collect();
        merged_unavailable.extend(merged(spans).into_iter().map(|r| (r, kind)));
    }
    merged_unavailable.sort_by_key(|(r, k)| (r.start, *k, r.end));
    out.covered = claimed;
    out.available = merged(available);
    out.unavailable = merged_unavailable;
    out
}

/// The unavailable time of `list` within `range` (RFC 7953 §4), each span
/// with its FBTYPE, for free/busy answers: the free-busy-query REPORT and
/// the schedule outbox's VFREEBUSY reply.
pub fn unavailable_periods(list: &[Availability], range: TimeRange) -> Vec<(TimeRange, BusyKind)> {
    resolve(list, range).unavailable
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{DateTime, TimeZone, Utc};

    fn at(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, h, min, 0).unwrap()
    }

    fn cal(body: &str) -> String {
        format!("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\n{body}END:VCALENDAR\r\n")
    }

    fn parse(body: &str) -> Vec<Availability> {
        Availability::parse_all(cal(body).as_bytes(), None).unwrap()
    }

    fn refused(body: &str) -> bool {
        Availability::parse_all(cal(body).as_bytes(), None).is_err()
    }

    fn vavail(uid: &str, props: &str, available: &str) -> String {
        format!("BEGIN:VAVAILABILITY\r\nUID:{uid}\r\nDTSTAMP:20260101T000000Z\r\n{props}{available}END:VAVAILABILITY\r\n")
    }

    fn available(uid: &str, lines: &str) -> String {
        format!("BEGIN:AVAILABLE\r\nUID:{uid}\r\nDTSTAMP:20260101T000000Z\r\n{lines}END:AVAILABLE\r\n")
    }

    const BERLIN: &str = "BEGIN:VTIMEZONE\r\nTZID:Europe/Berlin\r\nEND:VTIMEZONE\r\n";

    #[test]
    fn defaults_and_open_ended_range() {
        let a = parse(&vavail("u", "", &available("a", "DTSTART:20260105T090000Z\r\nDTEND:20260105T100000Z\r\n")));
        assert_eq!(a.len(), 1);
        assert_eq!((a[0].priority, a[0].busytype), (0, BusyKind::BusyUnavailable));
        assert_eq!(a[0].range, TimeRange::new(min_time(), max_time()));
        let day = TimeRange::new(at(2026, 1, 5, 0, 0), at(2026, 1, 6, 0, 0));
        assert_eq!(
            unavailable_periods(&a, day),
            vec![
                (TimeRange::new(at(2026, 1, 5, 0, 0), at(2026, 1, 5, 9, 0)), BusyKind::BusyUnavailable),
                (TimeRange::new(at(2026, 1, 5, 10, 0), at(2026, 1, 6, 0, 0)), BusyKind::BusyUnavailable),
            ]
        );
        // Open end only: nothing before DTSTART is said.
        let b = parse(&vavail("u", "DTSTART:20260105T120000Z\r\nBUSYTYPE:BUSY\r\n", ""));
        let r = resolve(&b, day);
        assert_eq!(r.covered, vec![TimeRange::new(at(2026, 1, 5, 12, 0), at(2026, 1, 6, 0, 0))]);
        assert_eq!(r.unavailable, vec![(r.covered[0], BusyKind::Busy)]);
        assert!(r.available.is_empty());
    }

    #[test]
    fn higher_priority_overrides_where_ranges_overlap() {
        // Low (priority 0): 9–17 every day of January. High (1): a week
        // off, 12–13 only.
        let low = vavail(
            "low",
            "DTSTART:20260101T000000Z\r\nDTEND:20260201T000000Z\r\n",
            &available("l", "DTSTART:20260101T090000Z\r\nDTEND:20260101T170000Z\r\nRRULE:FREQ=DAILY\r\n"),
        );
        let high = vavail(
            "high",
            "PRIORITY:1\r\nDTSTART:20260112T000000Z\r\nDTEND:20260119T000000Z\r\nBUSYTYPE:BUSY\r\n",
            &available("h", "DTSTART:20260112T120000Z\r\nDTEND:20260112T130000Z\r\nRRULE:FREQ=DAILY\r\n"),
        );
        let mut list = parse(&low);
        list.extend(parse(&high));
        let day = |d| TimeRange::new(at(2026, 1, d, 0, 0), at(2026, 1, d + 1, 0, 0));
        let r = resolve(&list, day(11));
        assert_eq!(r.available, vec![TimeRange::new(at(2026, 1, 11, 9, 0), at(2026, 1, 11, 17, 0))]);
        let r = resolve(&list, day(13));
        assert_eq!(r.available, vec![TimeRange::new(at(2026, 1, 13, 12, 0), at(2026, 1, 13, 13, 0))]);
        assert_eq!(
            r.unavailable,
            vec![
                (TimeRange::new(at(2026, 1, 13, 0, 0), at(2026, 1, 13, 12, 0)), BusyKind::Busy),
                (TimeRange::new(at(2026, 1, 13, 13, 0), at(2026, 1, 14, 0, 0)), BusyKind::Busy),
            ]
        );
        // The order of the list does not matter; PRIORITY does.
        list.reverse();
        assert_eq!(resolve(&list, day(13)).available, vec![TimeRange::new(at(2026, 1, 13, 12, 0), at(2026, 1, 13, 13, 0))]);
        // 9 outranks 0 (undefined).
        let nine = high.replace("PRIORITY:1", "PRIORITY:9");
        let mut list = parse(&low);
        list.extend(parse(&nine));
        assert_eq!(resolve(&list, day(13)).available, vec![TimeRange::new(at(2026, 1, 13, 12, 0), at(2026, 1, 13, 13, 0))]);
    }

    #[test]
    fn same_priority_overlaps_are_a_union() {
        let a = vavail("a", "PRIORITY:5\r\n", &available("a1", "DTSTART:20260105T090000Z\r\nDTEND:20260105T100000Z\r\n"));
        let b = vavail("b", "PRIORITY:5\r\n", &available("b1", "DTSTART:20260105T140000Z\r\nDURATION:PT1H\r\n"));
        let mut list = parse(&a);
        list.extend(parse(&b));
        let r = resolve(&list, TimeRange::new(at(2026, 1, 5, 0, 0), at(2026, 1, 6, 0, 0)));
        assert_eq!(
            r.available,
            vec![
                TimeRange::new(at(2026, 1, 5, 9, 0), at(2026, 1, 5, 10, 0)),
                TimeRange::new(at(2026, 1, 5, 14, 0), at(2026, 1, 5, 15, 0)),
            ]
        );
        // Both say the rest is unavailable: once, not twice.
        assert_eq!(
            r.unavailable,
            vec![
                (TimeRange::new(at(2026, 1, 5, 0, 0), at(2026, 1, 5, 9, 0)), BusyKind::BusyUnavailable),
                (TimeRange::new(at(2026, 1, 5, 10, 0), at(2026, 1, 5, 14, 0)), BusyKind::BusyUnavailable),
                (TimeRange::new(at(2026, 1, 5, 15, 0), at(2026, 1, 6, 0, 0)), BusyKind::BusyUnavailable),
            ]
        );
    }

    /// Weekday 09:00–17:00 local, starting before the DST change: the
    /// hours stay 09:00–17:00 on the wall clock the week after.
    fn weekdays_in(tzid: &str, vtz: &str) -> Vec<Availability> {
        let body = format!(
            "{vtz}{}",
            vavail(
                "w",
                &format!("DTSTART;TZID={tzid}:20260301T000000\r\n"),
                &available(
                    "wd",
                    &format!(
                        "DTSTART;TZID={tzid}:20260302T090000\r\nDTEND;TZID={tzid}:20260302T170000\r\n\
RRULE:FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR\r\n"
                    ),
                ),
            )
        );
        parse(&body)
    }

    #[test]
    fn weekly_hours_keep_the_wall_clock_across_dst_in_berlin() {
        let list = weekdays_in("Europe/Berlin", BERLIN);
        // Friday 27 March (CET, UTC+1) and Monday 30 March (CEST, UTC+2).
        let week = TimeRange::new(at(2026, 3, 27, 0, 0), at(2026, 3, 31, 0, 0));
        assert_eq!(
            resolve(&list, week).available,
            vec![
                TimeRange::new(at(2026, 3, 27, 8, 0), at(2026, 3, 27, 16, 0)),
                TimeRange::new(at(2026, 3, 30, 7, 0), at(2026, 3, 30, 15, 0)),
            ]
        );
    }

    #[test]
    fn weekly_hours_keep_the_wall_clock_across_dst_in_new_york() {
        let list = weekdays_in("America/New_York", "BEGIN:VTIMEZONE\r\nTZID:America/New_York\r\nEND:VTIMEZONE\r\n");
        // Friday 6 March (EST, UTC−5) and Monday 9 March (EDT, UTC−4).
        let week = TimeRange::new(at(2026, 3, 6, 0, 0), at(2026, 3, 10, 0, 0));
        let r = resolve(&list, week);
        assert_eq!(
            r.available,
            vec![
                TimeRange::new(at(2026, 3, 6, 14, 0), at(2026, 3, 6, 22, 0)),
                TimeRange::new(at(2026, 3, 9, 13, 0), at(2026, 3, 9, 21, 0)),
            ]
        );
        // The weekend in between is unavailable from end to start.
        assert!(r.unavailable.contains(&(TimeRange::new(at(2026, 3, 6, 22, 0), at(2026, 3, 9, 13, 0)), BusyKind::BusyUnavailable)));
    }

    #[test]
    fn available_rrule_with_exdate_and_an_override() {
        let lines = "DTSTART;TZID=Europe/Berlin:20260105T090000\r\nDTEND;TZID=Europe/Berlin:20260105T120000\r\n\
RRULE:FREQ=DAILY;COUNT=5\r\nEXDATE;TZID=Europe/Berlin:20260107T090000\r\n";
        let moved = "RECURRENCE-ID;TZID=Europe/Berlin:20260108T090000\r\nDTSTART;TZID=Europe/Berlin:20260108T140000\r\n\
DTEND;TZID=Europe/Berlin:20260108T150000\r\n";
        let body = format!("{BERLIN}{}", vavail("x", "", &format!("{}{}", available("r", lines), available("r", moved))));
        let list = parse(&body);
        assert_eq!(list[0].available.len(), 1, "master and override are one set");
        let r = resolve(&list, TimeRange::new(at(2026, 1, 5, 0, 0), at(2026, 1, 12, 0, 0)));
        assert_eq!(
            r.available,
            vec![
                TimeRange::new(at(2026, 1, 5, 8, 0), at(2026, 1, 5, 11, 0)),
                TimeRange::new(at(2026, 1, 6, 8, 0), at(2026, 1, 6, 11, 0)),
                TimeRange::new(at(2026, 1, 8, 13, 0), at(2026, 1, 8, 14, 0)),
                TimeRange::new(at(2026, 1, 9, 8, 0), at(2026, 1, 9, 11, 0)),
            ]
        );
    }

    #[test]
    fn malformed_availability_is_refused() {
        let ok = available("a", "DTSTART:20260105T090000Z\r\nDTEND:20260105T100000Z\r\n");
        assert!(!refused(&vavail("u", "", &ok)));
        assert!(refused(&vavail("u", "", &available("a", "DTEND:20260105T100000Z\r\n"))));
        assert!(refused(&vavail("u", "", &available("a", "DTSTART:20260105T090000Z\r\n"))));
        assert!(refused(&vavail("u", "", &available("a", "DTSTART:20260105T090000Z\r\nDTEND:20260105T080000Z\r\n"))));
        assert!(refused(&vavail("u", "", &available("a", "DTSTART:20260105T090000Z\r\nDTEND:20260105T100000Z\r\nDURATION:PT1H\r\n"))));
        assert!(refused(&vavail("u", "", &available("a", "DTSTART:2026-01-05\r\nDURATION:PT1H\r\n"))));
        assert!(refused(&vavail("u", "PRIORITY:10\r\n", &ok)));
        assert!(refused(&vavail("u", "DURATION:P1W\r\n", &ok)));
        assert!(refused(&vavail("u", "DTSTART:20260105T000000Z\r\nDTEND:20260104T000000Z\r\n", &ok)));
        // Not availability at all.
        assert!(refused("BEGIN:VEVENT\r\nUID:e\r\nDTSTART:20260105T090000Z\r\nEND:VEVENT\r\n"));
        assert!(Availability::parse_all(b"not calendar data", None).is_err());
    }

    #[test]
    fn expand_keeps_a_vavailability_as_it_is() {
        use crate::ical::render::CalendarDataRequest;
        let body = format!(
            "{BERLIN}{}",
            vavail("r", "", &available("a", "DTSTART;TZID=Europe/Berlin:20260105T090000\r\nDURATION:PT8H\r\nRRULE:FREQ=DAILY\r\n"))
        );
        let obj = CalendarObject::parse(cal(&body).as_bytes()).unwrap();
        let req = CalendarDataRequest { expand: Some(TimeRange::new(at(2026, 1, 5, 0, 0), at(2026, 1, 7, 0, 0))), ..Default::default() };
        let out = obj.render(&req);
        assert!(out.contains("BEGIN:VTIMEZONE") && out.contains("RRULE:FREQ=DAILY"), "{out}");
        assert!(!out.contains("10000101"), "{out}");
    }

    #[test]
    fn mangled_availability_never_panics() {
        let seed = cal(&format!(
            "{BERLIN}{}",
            vavail(
                "m",
                "PRIORITY:3\r\nBUSYTYPE:BUSY-TENTATIVE\r\nDTSTART:20260101T000000Z\r\nDURATION:P30D\r\n",
                &format!(
                    "{}{}",
                    available("a", "DTSTART;TZID=Europe/Berlin:20260105T090000\r\nDTEND;TZID=Europe/Berlin:20260105T170000\r\nRRULE:FREQ=WEEKLY;BYDAY=MO,FR\r\nEXDATE;TZID=Europe/Berlin:20260109T090000\r\nRDATE:20260110T100000Z\r\n"),
                    available("a", "RECURRENCE-ID;TZID=Europe/Berlin:20260112T090000\r\nDTSTART;TZID=Europe/Berlin:20260112T120000\r\nDURATION:PT1H\r\n")
                )
            )
        ));
        let junk: &[&str] = &["\r\n", ":", ";", "Z", "T", "0", "-", "P", "BEGIN:AVAILABLE\r\n", "END:AVAILABLE\r\n", "RRULE:FREQ=SECONDLY\r\n", "PRIORITY:99\r\n", "DTEND:20250101T000000Z\r\n", "TZID="];
        let mut x: u64 = 0x2545_F491_4F6C_DD1D;
        let mut next = |n: usize| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x % n.max(1) as u64) as usize
        };
        let window = TimeRange::new(at(2026, 1, 1, 0, 0), at(2026, 2, 1, 0, 0));
        use crate::ical::filter::CompFilter;
        use crate::model::OpenTimeRange;
        let open = Some(OpenTimeRange { start: Some(window.start), end: Some(window.end) });
        let filter = CompFilter {
            name: "VCALENDAR".into(),
            comp_filters: vec![CompFilter {
                name: "VAVAILABILITY".into(),
                time_range: open,
                comp_filters: vec![CompFilter { name: "AVAILABLE".into(), time_range: open, ..Default::default() }],
                ..Default::default()
            }],
            ..Default::default()
        };
        let mut parsed = 0;
        for _ in 0..600 {
            let mut text = seed.clone().into_bytes();
            for _ in 0..1 + next(3) {
                let at = next(text.len());
                if next(2) == 0 {
                    let end = (at + 1 + next(10)).min(text.len());
                    text.drain(at..end);
                } else {
                    let j = junk[next(junk.len())];
                    text.splice(at..at, j.bytes());
                }
            }
            if let Ok(obj) = CalendarObject::parse(&text) {
                let _ = obj.check_storable();
                let _ = obj.index_entry(window.end);
                let _ = obj.matches(&filter, Some(chrono_tz::Tz::Europe__Berlin));
                let _ = obj.render(&crate::ical::render::CalendarDataRequest { expand: Some(window), ..Default::default() });
                let _ = check(&obj);
                let list = Availability::all_in(&obj, Some(chrono_tz::Tz::America__New_York));
                parsed += list.len();
                let _ = resolve(&list, window);
                for c in obj.components() {
                    for a in &c.children {
                        let _ = available_overlaps(&obj, a, window, Zone::UTC);
                    }
                }
            }
        }
        assert!(parsed > 100, "only {parsed} parsed");
    }

    #[test]
    fn many_rules_share_one_budget() {
        // 200 AVAILABLE sets stepping every minute since 1990: each alone
        // is within the budget, all together are not.
        let many: String = (0..200)
            .map(|n| available(&format!("m{n}"), "DTSTART:19900101T000000Z\r\nDURATION:PT1S\r\nRRULE:FREQ=MINUTELY\r\n"))
            .collect();
        let list = parse(&vavail("u", "", &many));
        let started = std::time::Instant::now();
        let r = resolve(&list, TimeRange::new(at(2026, 1, 5, 0, 0), at(2026, 1, 6, 0, 0)));
        assert!(r.exhausted);
        assert!(started.elapsed() < std::time::Duration::from_secs(5), "{:?}", started.elapsed());
    }
}
