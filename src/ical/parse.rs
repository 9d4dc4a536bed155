//! Placeholder: owned by the ical helper.
pub struct CalendarObject;
