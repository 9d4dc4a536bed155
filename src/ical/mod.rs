//! The iCalendar domain (RFC 5545 as profiled by RFC 4791): validating what
//! a client stores, expanding recurrences, evaluating CalDAV filters,
//! computing free/busy, and shaping calendar data for a response.
//!
//! Nothing in here knows about XML, HTTP or sled, and nothing outside it
//! reads or writes iCalendar text. The bytes a client sent are kept verbatim in [`CalendarObject::raw`]; everything else is derived.
//!
//! # Brief overview
//! The reader, bottom to top; each file imports only the ones above it in
//! this list (checked by a unit test, `layering`):
//! - [`zone`]: the [`zone::Zone`] wall-clock times are placed with;
//! - [`contentline`]: one unfolded line → [`contentline::Property`];
//! - [`value`]: DATE, DATE-TIME, DURATION, PERIOD, UTC-OFFSET values;
//! - [`component`]: the BEGIN/END tree of [`component::Component`]s;
//! - [`recurrence`]: one RRULE stepped on the wall clock;
//! - [`tz`]: TZID / VTIMEZONE → a zone we can compute with;
//! - [`object`]: [`CalendarObject`] and its accessors;
//! - `validate`: no end before the start, no year 0000 (RFC 5545);
//! - [`parse`]: bytes → [`CalendarObject`], enforcing RFC 4791 §4.1.
//!
//! Built on a parsed object:
//! - [`expand`]: RRULE/RDATE/EXDATE/RECURRENCE-ID → concrete [`Occurrence`]s.
//! - [`availability`]: VAVAILABILITY (RFC 7953): the model, its AVAILABLE
//!   sets expanded on one budget, and the priority rules that turn several
//!   of them into available and unavailable time.
//! - `strict`: the RFC 5545 rules a client's new object must meet before it
//!   is stored ([`CalendarObject::check_storable`], PUT only): RRULE parts,
//!   TEXT escapes, control characters, RECURRENCE-IDs, TZIDs.
//! - [`filter`]: [`filter::CompFilter`] and friends (RFC 4791 §9.7) evaluated
//!   against an object.
//! - [`render`]: partial retrieval, `expand` and `limit-recurrence-set`
//!   (RFC 4791 §9.6).
//! - [`freebusy`]: busy periods and the VFREEBUSY answer (RFC 4791 §7.10).
//! - [`export`]: whole calendars as one stream (feeds) and back (imports).
//! - [`write`](mod@write): the only writer of iCalendar text: TEXT escaping, parameter
//!   quoting (RFC 6868), folding. Booking events, iMIP messages, free/busy,
//!   feeds and re-serialised objects all go through it.

// The reader, bottom to top: each file imports only the ones above it in
// this list (see each file's doc comment).
pub mod zone;
pub mod contentline;
pub mod value;
pub mod component;
pub mod recurrence;
pub mod tz;
pub mod object;
mod validate;
pub mod parse;
// What is built on a parsed object.
pub mod expand;
pub mod availability;
mod strict;
pub mod filter;
pub mod render;
pub mod freebusy;
// The writer, and whole-calendar streams built on it.
pub mod write;
pub mod export;
#[cfg(test)]
mod testing;

use crate::model::TimeRange;

pub use object::CalendarObject;

/// The kind of component a calendar object resource holds (RFC 4791 §4.1:
/// one kind per resource, VTIMEZONE aside).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum ComponentKind {
    Event,
    Todo,
    Journal,
    FreeBusy,
    /// A VAVAILABILITY (RFC 7953 §3.1). Appended last: stored nodes encode
    /// the kind by position.
    Availability,
}

impl ComponentKind {
    /// Every kind, in the order stored records number them.
    pub const ALL: [ComponentKind; 5] =
        [ComponentKind::Event, ComponentKind::Todo, ComponentKind::Journal, ComponentKind::FreeBusy, ComponentKind::Availability];

    /// The iCalendar name, e.g. `VEVENT`.
    pub fn name(self) -> &'static str {
        match self {
            ComponentKind::Event => "VEVENT",
            ComponentKind::Todo => "VTODO",
            ComponentKind::Journal => "VJOURNAL",
            ComponentKind::FreeBusy => "VFREEBUSY",
            ComponentKind::Availability => "VAVAILABILITY",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        match name.to_ascii_uppercase().as_str() {
            "VEVENT" => Some(ComponentKind::Event),
            "VTODO" => Some(ComponentKind::Todo),
            "VJOURNAL" => Some(ComponentKind::Journal),
            "VFREEBUSY" => Some(ComponentKind::FreeBusy),
            "VAVAILABILITY" => Some(ComponentKind::Availability),
            _ => None,
        }
    }
}

/// How an occurrence shows in free/busy time (RFC 5545 §3.2.9 FBTYPE).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
pub enum BusyKind {
    Busy,
    BusyTentative,
    BusyUnavailable,
}

/// One concrete instance of a component in absolute time.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Occurrence {
    /// Where the instance lies. For a VTODO or VJOURNAL this is the span
    /// RFC 4791 §9.9 compares against.
    pub range: TimeRange,
    /// `None` when the instance does not block time: TRANSP:TRANSPARENT,
    /// STATUS:CANCELLED, or not a VEVENT.
    pub busy: Option<BusyKind>,
    /// The date (or date-time) value was a DATE: an all-day instance.
    pub all_day: bool,
}

/// What the time-range index stores about one object: its occurrences up to
/// a horizon. Built by [`CalendarObject::index_entry`], written by storage in
/// the same transaction as the object.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct IndexEntry {
    /// Occurrences that start before the horizon, sorted by start.
    pub occurrences: Vec<Occurrence>,
    /// The recurrence set goes on past the horizon (an RRULE with neither
    /// COUNT nor UNTIL, or one that ends after it): the entry must be
    /// rebuilt when a query reaches further.
    pub unbounded: bool,
    /// Some instance uses floating time: its true position depends on the
    /// time zone of the query, so these spans were widened by ±14 hours
    /// and the index is only a prefilter for this object.
    pub floating: bool,
    /// The object has an instance that the index cannot place (e.g. a VTODO
    /// with neither DTSTART nor DUE matches every range per §9.9): such an
    /// object is a candidate for every time-range query.
    pub always_matches: bool,
}

/// Why a calendar object resource was refused. Each variant names the
/// RFC 4791 §5.3.2 precondition the DAV layer reports.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// Not parsable as iCalendar, or not a VCALENDAR. → `CALDAV:valid-calendar-data`
    #[error("not valid iCalendar data: {0}")]
    InvalidData(String),
    /// A METHOD property is present (RFC 4791 §4.1). → `CALDAV:valid-calendar-object-resource`
    #[error("calendar object resources must not carry METHOD")]
    MethodPresent,
    /// More than one kind of component, or none at all.
    /// → `CALDAV:valid-calendar-object-resource`
    #[error("a calendar object resource holds exactly one kind of component: {0}")]
    ComponentKinds(String),
    /// Components with different UIDs, or a component without UID.
    /// → `CALDAV:valid-calendar-object-resource`
    #[error("all components must share one UID: {0}")]
    Uid(String),
    /// The recurrence set needs more work than one object may cost
    /// ([`expand::RECURRENCE_BUDGET`] steps up to the index horizon,
    /// whatever the number of RRULE lines). → 403 `CALDAV:max-instances`
    /// (RFC 4791 §5.3.2.1)
    #[error("the recurrence set generates too many instances (budget {limit})")]
    TooManyInstances { limit: usize },
    /// A DATE or DATE-TIME value before [`expand::min_date_time`].
    /// → 403 `CALDAV:min-date-time` (RFC 4791 §5.3.2.1)
    #[error("a time value before min-date-time: {0}")]
    BeforeMinDateTime(String),
    /// A DATE or DATE-TIME value at or after [`expand::max_date_time`].
    /// → 403 `CALDAV:max-date-time` (RFC 4791 §5.3.2.1)
    #[error("a time value after max-date-time: {0}")]
    AfterMaxDateTime(String),
}

pub type Result<T> = std::result::Result<T, Error>;

/// Whether `DECLINED` (any case) occurs in `bytes`: looked for only
/// around an `L` (its fourth letter, rare in calendar text), found with
/// SIMD, since the index files the answer beside every object (free-busy
/// looks at an object only when it is true).
pub fn mentions_declined(bytes: &[u8]) -> bool {
    memchr::memchr2_iter(b'L', b'l', bytes)
        .any(|i| i >= 3 && bytes.get(i - 3..i + 5).is_some_and(|w| w.eq_ignore_ascii_case(b"DECLINED")))
}

#[cfg(test)]
mod declined_tests {
    use super::*;

    #[test]
    fn declined_is_found_in_any_case_anywhere() {
        for (text, found) in [
            ("ATTENDEE;PARTSTAT=DECLINED:mailto:a@x", true),
            ("partstat=declined", true),
            ("DECLINED", true),
            ("xxDeClInEd", true),
            ("DECLINE", false),
            ("ddddeclinedd", true),
            ("D", false),
            ("", false),
            ("PARTSTAT=ACCEPTED;DELEGATED-TO=x", false),
        ] {
            assert_eq!(mentions_declined(text.as_bytes()), found, "{text}");
            assert_eq!(text.as_bytes().windows(8).any(|w| w.eq_ignore_ascii_case(b"DECLINED")), found, "{text}");
        }
    }
}

/// The reader and writer files import one way only: each file may name
/// the files before it in [`layering::ORDER`], never one after it.
#[cfg(test)]
mod layering {
    /// Bottom to top.
    pub const ORDER: &[&str] = &[
        "zone", "contentline", "value", "component", "recurrence", "tz", "object", "validate", "parse", "expand",
        "availability", "strict", "filter", "write", "render", "freebusy", "export",
    ];

    #[test]
    fn ical_files_import_downward_only() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/src/ical/");
        for (at, name) in ORDER.iter().enumerate() {
            let text = std::fs::read_to_string(format!("{dir}{name}.rs")).unwrap();
            // Unit tests may reach up (they build objects to test with), and
            // comments may point anywhere.
            let code: String = text
                .split("#[cfg(test)]")
                .next()
                .unwrap()
                .lines()
                .filter(|l| !l.trim_start().starts_with("//"))
                .collect::<Vec<_>>()
                .join("\n");
            for prefix in ["super::", "crate::ical::"] {
                for (i, _) in code.match_indices(prefix) {
                    let rest = &code[i + prefix.len()..];
                    let used: String = rest.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
                    if let Some(pos) = ORDER.iter().position(|m| *m == used) {
                        assert!(pos < at, "ical/{name}.rs imports {used}, which is above it");
                    }
                }
            }
        }
        let files = std::fs::read_dir(dir).unwrap().count();
        // Every file is placed (mod.rs and testing.rs aside).
        assert_eq!(files, ORDER.len() + 2, "a new ical file needs a place in ORDER");
    }
}
