//! Placeholder until the ical branch lands.
use chrono::{DateTime, Utc};
pub fn vfreebusy(_r: crate::model::TimeRange, _p: &[(crate::model::TimeRange, super::BusyKind)], _d: DateTime<Utc>) -> String { todo!() }
