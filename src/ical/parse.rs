//! Placeholder until the ical branch lands.
use chrono::{DateTime, Utc};
use super::{ComponentKind, IndexEntry, Occurrence};
use crate::model::TimeRange;
pub struct CalendarObject;
impl CalendarObject {
    pub fn parse(_b: &[u8]) -> super::Result<Self> { todo!() }
    pub fn uid(&self) -> &str { todo!() }
    pub fn kind(&self) -> ComponentKind { todo!() }
    pub fn index_entry(&self, _h: DateTime<Utc>) -> IndexEntry { todo!() }
    pub fn matches(&self, _f: &super::filter::CompFilter, _tz: Option<chrono_tz::Tz>) -> bool { todo!() }
    pub fn render(&self, _r: &super::render::CalendarDataRequest) -> String { todo!() }
    pub fn occurrences(&self, _r: &TimeRange, _tz: Option<chrono_tz::Tz>) -> Vec<Occurrence> { todo!() }
}
impl super::filter::CompFilter {
    pub fn time_range_hint(&self) -> Option<crate::model::OpenTimeRange> { todo!() }
    pub fn is_index_exact(&self) -> bool { todo!() }
    pub fn component_kind(&self) -> Option<ComponentKind> { todo!() }
}
