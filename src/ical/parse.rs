//! Bytes → [`CalendarObject`]: the RFC 4791 §4.1 rules for a calendar
//! object resource (a VCALENDAR, no METHOD, one kind of component, one
//! UID), TZID resolution, and the value and time checks.
//!
//! The top of the reader. May import everything below it: content lines
//! ([`super::contentline`]) → values ([`super::value`]) → components
//! ([`super::component`]) → recurrence rules ([`super::recurrence`]) →
//! zones ([`super::tz`]) → the object ([`super::object`]) → time checks
//! (`validate`). Nothing below imports this file.
//!
//! The reader is our own and deliberately forgiving about what real clients
//! send (LF line ends, folds that split UTF-8 sequences, X- properties), but
//! strict about structure: unbalanced BEGIN/END or garbage lines are refused.
//!
//! The names other modules used from here before the split are re-exported.

use std::collections::HashMap;

use super::contentline::refold_at_char_boundaries;
use super::tz::resolve_tzid;
use super::{ComponentKind, Error, Result};

pub use super::component::{parse_components, Component};
pub use super::contentline::{parse_content_line, unescape_text, Property};
pub use super::object::CalendarObject;
pub use super::value::{
    parse_date_value, parse_duration, parse_local_datetime, DateValue, IcalDuration, PeriodEnd, RDateValue,
};

/// Properties whose values are DATE / DATE-TIME and must parse.
const DATE_PROPS: &[&str] = &["DTSTART", "DTEND", "DUE", "RECURRENCE-ID", "EXDATE", "COMPLETED", "CREATED"];

impl CalendarObject {
    /// Parse and validate a calendar object resource (RFC 4791 §4.1).
    pub fn parse(bytes: &[u8]) -> Result<CalendarObject> {
        let root = parse_components(bytes)?;
        let raw = match std::str::from_utf8(bytes) {
            Ok(s) => s.to_string(),
            Err(_) => String::from_utf8(refold_at_char_boundaries(bytes))
                .map_err(|_| Error::InvalidData("not UTF-8".into()))?,
        };
        if root.name != "VCALENDAR" {
            return Err(Error::InvalidData(format!("root component is {}, not VCALENDAR", root.name)));
        }
        if root.has("METHOD") {
            return Err(Error::MethodPresent);
        }
        let mut kinds: Vec<ComponentKind> = Vec::new();
        for c in &root.children {
            if let Some(k) = ComponentKind::from_name(&c.name) {
                if !kinds.contains(&k) {
                    kinds.push(k);
                }
            }
        }
        let kind = match kinds.as_slice() {
            [k] => *k,
            [] => return Err(Error::ComponentKinds("no VEVENT, VTODO, VJOURNAL or VFREEBUSY".into())),
            many => {
                return Err(Error::ComponentKinds(
                    many.iter().map(|k| k.name()).collect::<Vec<_>>().join(", "),
                ))
            }
        };
        let mut uid: Option<String> = None;
        for c in root.children.iter().filter(|c| c.name == kind.name()) {
            let this = c.prop("UID").map(|p| p.value.trim().to_string()).unwrap_or_default();
            if this.is_empty() {
                return Err(Error::Uid(format!("a {} has no UID", c.name)));
            }
            match &uid {
                None => uid = Some(this),
                Some(u) if *u != this => return Err(Error::Uid(format!("{u} and {this}"))),
                _ => {}
            }
        }
        let uid = uid.unwrap_or_default();

        let raw_bytes = (raw.as_bytes() != bytes).then(|| bytes.to_vec());
        let mut obj = CalendarObject { raw, raw_bytes, root, uid, kind, zones: HashMap::new() };
        obj.resolve_zones();
        obj.check_values()?;
        super::validate::check_times(&obj)?;
        Ok(obj)
    }

    fn resolve_zones(&mut self) {
        let mut tzids: Vec<String> = Vec::new();
        fn collect(c: &Component, out: &mut Vec<String>) {
            for p in &c.props {
                if let Some(t) = p.param("TZID") {
                    if !out.iter().any(|o| o == t) {
                        out.push(t.to_string());
                    }
                }
            }
            for ch in &c.children {
                if ch.name != "VTIMEZONE" {
                    collect(ch, out);
                }
            }
        }
        collect(&self.root, &mut tzids);
        for tzid in tzids {
            let vtz = self
                .root
                .children
                .iter()
                .find(|c| c.name == "VTIMEZONE" && c.prop("TZID").is_some_and(|p| p.value.trim() == tzid));
            let zone = resolve_tzid(&tzid, vtz);
            self.zones.insert(tzid, zone);
        }
    }

    fn check_values(&self) -> Result<()> {
        for c in self.components() {
            for p in &c.props {
                if DATE_PROPS.contains(&p.name.as_str()) {
                    let ok = if p.name == "EXDATE" {
                        self.multi_dates(p).len() == p.value.split(',').filter(|v| !v.trim().is_empty()).count()
                    } else {
                        self.date_value(p).is_some()
                    };
                    if !ok {
                        return Err(Error::InvalidData(format!("{}: bad date value {:?}", p.name, p.value)));
                    }
                }
                if p.name == "DURATION" && parse_duration(&p.value).is_none() {
                    return Err(Error::InvalidData(format!("DURATION: bad value {:?}", p.value)));
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    fn wrap(body: &str) -> String {
        format!("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n{body}END:VCALENDAR\r\n")
    }

    const EVENT: &str = "BEGIN:VEVENT\r\nUID:abc\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20260105T090000Z\r\nDTEND:20260105T100000Z\r\nSUMMARY:Lesson\r\nEND:VEVENT\r\n";

    #[test]
    fn accepts_basic_event_and_keeps_raw() {
        let text = wrap(EVENT);
        let obj = CalendarObject::parse(text.as_bytes()).unwrap();
        assert_eq!(obj.raw(), text);
        assert_eq!(obj.uid(), "abc");
        assert_eq!(obj.kind(), ComponentKind::Event);
        assert_eq!(obj.summary().as_deref(), Some("Lesson"));
        assert_eq!(obj.dtstart(), Some(Utc.with_ymd_and_hms(2026, 1, 5, 9, 0, 0).unwrap()));
        assert_eq!(obj.dtend(), Some(Utc.with_ymd_and_hms(2026, 1, 5, 10, 0, 0).unwrap()));
        assert_eq!(obj.sequence(), 0);
    }

    #[test]
    fn lf_and_folds_splitting_utf8() {
        // "Müller" folded between the two bytes of "ü".
        let mut bytes = b"BEGIN:VCALENDAR\nBEGIN:VEVENT\nUID:u1\nDTSTART:20260105T090000Z\nSUMMARY:M\xc3\n \xbcller\nX-FOO;X-P=\"a:b\":x\nBEGIN:VALARM\nACTION:DISPLAY\nTRIGGER:-PT15M\nEND:VALARM\nEND:VEVENT\nEND:VCALENDAR\n".to_vec();
        let obj = CalendarObject::parse(&bytes).unwrap();
        assert_eq!(obj.summary().as_deref(), Some("Müller"));
        assert_eq!(obj.raw_bytes(), &bytes[..]);
        assert!(obj.raw().contains("SUMMARY:M\n üller"));
        assert_eq!(obj.master().unwrap().prop("X-FOO").unwrap().param("X-P"), Some("a:b"));
        bytes.truncate(10);
        assert!(matches!(CalendarObject::parse(&bytes), Err(Error::InvalidData(_))));
    }

    #[test]
    fn rfc4791_section_4_1_errors() {
        let not_cal = "BEGIN:VEVENT\r\nUID:a\r\nEND:VEVENT\r\n";
        assert!(matches!(CalendarObject::parse(not_cal.as_bytes()), Err(Error::InvalidData(_))));

        let method = wrap(EVENT).replace("VERSION:2.0", "METHOD:REQUEST");
        assert_eq!(CalendarObject::parse(method.as_bytes()).unwrap_err(), Error::MethodPresent);

        let todo = "BEGIN:VTODO\r\nUID:abc\r\nEND:VTODO\r\n";
        let two_kinds = wrap(&format!("{EVENT}{todo}"));
        assert!(matches!(CalendarObject::parse(two_kinds.as_bytes()), Err(Error::ComponentKinds(_))));

        let none = wrap("BEGIN:VTIMEZONE\r\nTZID:UTC\r\nEND:VTIMEZONE\r\n");
        assert!(matches!(CalendarObject::parse(none.as_bytes()), Err(Error::ComponentKinds(_))));

        let other_uid = EVENT.replace("UID:abc", "UID:other").replace("DTSTAMP", "RECURRENCE-ID:20260105T090000Z\r\nDTSTAMP");
        let two_uids = wrap(&format!("{EVENT}{other_uid}"));
        assert!(matches!(CalendarObject::parse(two_uids.as_bytes()), Err(Error::Uid(_))));

        let no_uid = wrap(&EVENT.replace("UID:abc\r\n", ""));
        assert!(matches!(CalendarObject::parse(no_uid.as_bytes()), Err(Error::Uid(_))));

        let bad_date = wrap(&EVENT.replace("20260105T090000Z", "2026-01-05"));
        assert!(matches!(CalendarObject::parse(bad_date.as_bytes()), Err(Error::InvalidData(_))));

        let unbalanced = wrap(EVENT).replace("END:VEVENT", "END:VTODO");
        assert!(matches!(CalendarObject::parse(unbalanced.as_bytes()), Err(Error::InvalidData(_))));
    }

    #[test]
    fn attendees_organizer_status_sequence() {
        let body = "BEGIN:VEVENT\r\nUID:x\r\nDTSTART;VALUE=DATE:20260105\r\nSEQUENCE:3\r\nSTATUS:tentative\r\n\
ORGANIZER;CN=Coach:mailto:coach@example.com\r\nATTENDEE;PARTSTAT=ACCEPTED:mailto:a@example.com\r\n\
ATTENDEE:mailto:b@example.com\r\nEND:VEVENT\r\n";
        let obj = CalendarObject::parse(wrap(body).as_bytes()).unwrap();
        assert_eq!(obj.sequence(), 3);
        assert_eq!(obj.status().as_deref(), Some("TENTATIVE"));
        assert_eq!(obj.organizer().as_deref(), Some("mailto:coach@example.com"));
        assert_eq!(obj.attendees(), vec!["mailto:a@example.com", "mailto:b@example.com"]);
        assert_eq!(obj.dtend(), Some(Utc.with_ymd_and_hms(2026, 1, 6, 0, 0, 0).unwrap()));
        assert!(obj.uses_floating());
    }

    /// Deterministic xorshift so the mangling loop is reproducible.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        fn below(&mut self, n: usize) -> usize {
            (self.next() % n.max(1) as u64) as usize
        }
    }

    const SEEDS: &[&str] = &[
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VTIMEZONE\r\nTZID:Custom\r\nBEGIN:STANDARD\r\nDTSTART:16010101T030000\r\n\
TZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\nRRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10\r\nEND:STANDARD\r\nBEGIN:DAYLIGHT\r\n\
DTSTART:16010101T020000\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200\r\nRRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3\r\nEND:DAYLIGHT\r\n\
END:VTIMEZONE\r\nBEGIN:VEVENT\r\nUID:m1\r\nDTSTART;TZID=Custom:20260105T090000\r\nDTEND;TZID=Custom:20260105T100000\r\n\
RRULE:FREQ=WEEKLY;UNTIL=20260601T000000Z;BYDAY=MO,WE\r\nEXDATE;TZID=Custom:20260107T090000\r\nRDATE;VALUE=PERIOD:20260110T100000Z/PT1H\r\n\
SUMMARY:Lesson\\, piano\r\nATTENDEE;CN=\"A, B\";PARTSTAT=ACCEPTED:mailto:a@b.c\r\nBEGIN:VALARM\r\nTRIGGER;RELATED=END:-PT5M\r\n\
REPEAT:2\r\nDURATION:PT1M\r\nACTION:DISPLAY\r\nEND:VALARM\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nUID:m1\r\n\
RECURRENCE-ID;RANGE=THISANDFUTURE;TZID=Custom:20260112T090000\r\nDTSTART;TZID=Custom:20260112T110000\r\nDURATION:PT2H\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
        "BEGIN:VCALENDAR\nBEGIN:VTODO\nUID:t\nDTSTART;VALUE=DATE:20260105\nDUE;VALUE=DATE:20260110\nRRULE:FREQ=MONTHLY;BYMONTHDAY=-1;COUNT=30\n\
COMPLETED:20260106T000000Z\nEND:VTODO\nEND:VCALENDAR\n",
        "BEGIN:VCALENDAR\nBEGIN:VEVENT\nUID:f\nDTSTART:20260105T090000\nRRULE:FREQ=DAILY;INTERVAL=3;BYHOUR=9,17;UNTIL=20261231\nEND:VEVENT\nEND:VCALENDAR\n",
        "BEGIN:VCALENDAR\nBEGIN:VFREEBUSY\nUID:fb\nDTSTART:20260105T000000Z\nDTEND:20260106T000000Z\nFREEBUSY:20260105T090000Z/PT1H,20260105T120000Z/20260105T130000Z\nEND:VFREEBUSY\nEND:VCALENDAR\n",
    ];

    const JUNK: &[&[u8]] = &[
        b"\r\n", b"\n ", b":", b";", b"=", b"\"", b",", b"Z", b"T", b"0", b"9", b"99999999", b"-", b"P", b"W",
        b"\xc3", b"\xff", b"\xe2\x82", b"BEGIN:VEVENT\r\n", b"END:VEVENT\r\n", b"RRULE:FREQ=SECONDLY\r\n",
        b"RRULE:FREQ=YEARLY;BYSETPOS=-1;BYDAY=MO;INTERVAL=0\r\n", b"DTSTART:00000101T000000Z\r\n",
        b"DTSTART;VALUE=DATE:99991231\r\n", b"DURATION:P9999999999W\r\n", b"TZID=", b"RANGE=THISANDFUTURE",
        b"RECURRENCE-ID:20260105T090000Z\r\n", b"EXDATE:", b"RDATE;VALUE=PERIOD:20260101T000000Z/P", b"UNTIL=2",
    ];

    #[test]
    fn never_panics_on_mangled_input() {
        use crate::ical::filter::*;
        use crate::ical::render::*;
        use crate::model::{OpenTimeRange, TimeRange};
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        let range = TimeRange::new(
            Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap(),
            Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, 0).unwrap(),
        );
        let open = Some(OpenTimeRange { start: Some(range.start), end: Some(range.end) });
        let filter = CompFilter {
            name: "VCALENDAR".into(),
            comp_filters: vec![CompFilter {
                name: "VEVENT".into(),
                time_range: open,
                prop_filters: vec![PropFilter {
                    name: "ATTENDEE".into(),
                    param_filters: vec![ParamFilter { name: "CN".into(), ..Default::default() }],
                    ..Default::default()
                }],
                comp_filters: vec![CompFilter { name: "VALARM".into(), time_range: open, ..Default::default() }],
                ..Default::default()
            }],
            ..Default::default()
        };
        let requests = [
            CalendarDataRequest { expand: Some(range), ..Default::default() },
            CalendarDataRequest { limit_recurrence_set: Some(range), limit_freebusy_set: Some(range), ..Default::default() },
            CalendarDataRequest {
                comp: Some(CompSelection { name: "VCALENDAR".into(), all_comps: true, ..Default::default() }),
                ..Default::default()
            },
        ];
        let mut accepted = 0;
        for round in 0..1500 {
            let mut bytes = SEEDS[round % SEEDS.len()].as_bytes().to_vec();
            for _ in 0..1 + rng.below(4) {
                let at = rng.below(bytes.len() + 1);
                match rng.below(5) {
                    0 => {
                        let end = (at + 1 + rng.below(12)).min(bytes.len());
                        bytes.drain(at..end);
                    }
                    1 | 2 => {
                        let junk = JUNK[rng.below(JUNK.len())];
                        bytes.splice(at..at, junk.iter().copied());
                    }
                    3 => bytes.truncate(at),
                    _ => {
                        let end = (at + rng.below(40)).min(bytes.len());
                        let copy = bytes[at..end].to_vec();
                        let to = rng.below(bytes.len() + 1);
                        bytes.splice(to..to, copy);
                    }
                }
            }
            if let Ok(obj) = CalendarObject::parse(&bytes) {
                accepted += 1;
                let _ = obj.index_entry(range.end);
                let _ = obj.matches(&filter, Some(chrono_tz::Tz::America__New_York));
                let _ = obj.busy_occurrences(range, None);
                let _ = (obj.summary(), obj.dtstart(), obj.dtend(), obj.attendees(), obj.status());
                for r in &requests {
                    let _ = obj.render(r);
                }
            }
        }
        // The loop must have exercised the accepting paths too.
        assert!(accepted > 100, "only {accepted} mangled inputs parsed");
    }
}
