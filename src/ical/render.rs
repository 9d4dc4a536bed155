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
    /// as separate components with RECURRENCE-ID, in UTC, without RRULE.
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
