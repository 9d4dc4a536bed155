//! The busy occurrences of the coach's calendars, kept between slot
//! computations (issue 16 §5): reading them means an index scan of the
//! calendar and, for every busy object, its bytes (is it an invitation the
//! coach declined?), which was most of a slot page's cost for a coach with
//! 10,000 events.
//!
//! An entry is the calendar's busy occurrences over whole UTC days around
//! what was asked, with each object's declined verdict, under the
//! calendar's `sync_id` and `revision` (bumped in the same store write as
//! every change to a member) and what else the verdict depends on (the
//! coach's zone and user record). A lookup reads the calendar's node and
//! answers only from an entry of that very revision whose days cover the
//! asked range, so an answer is always what reading the store would give.
//! Bounded: a few ranges per calendar and [`MAX_HELD`] occurrences in all.
//!
//! May import: `ical` (the occurrence type), `model`, `storage` paths.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chrono::DateTime;

use crate::ical::Occurrence;
use crate::model::TimeRange;
use crate::storage::StorePath;

/// Occurrences held across every calendar; beyond it the least recently
/// used entries go.
pub const MAX_HELD: usize = 50_000;
/// Loads are whole blocks of this many days since 1970-01-01, so the
/// pages of nearby weeks, the API's horizon and a hold's check share them.
pub const BLOCK_DAYS: i64 = 32;
/// Ranges kept per calendar (the month page, the API's horizon, a hold's
/// few days, …).
pub const RANGES_PER_CALENDAR: usize = 4;

/// One busy occurrence of an object of the calendar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BusyEntry {
    /// The object's resource name in the calendar.
    pub name: String,
    pub occurrence: Occurrence,
    /// An invitation the coach declined: free time.
    pub declined: bool,
}

/// What an entry's contents depend on besides the asked range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Version {
    pub sync_id: u64,
    pub revision: u64,
    /// The coach's zone and the user record the declined verdicts read.
    pub context: String,
}

struct Held {
    version: Version,
    /// Whole blocks of days ([`load_range`]).
    range: TimeRange,
    entries: Arc<Vec<BusyEntry>>,
    used: u64,
}

#[derive(Default)]
struct Inner {
    calendars: HashMap<StorePath, Vec<Held>>,
    held: usize,
    clock: u64,
}

/// See the module documentation.
#[derive(Default)]
pub struct BusyCache {
    inner: Mutex<Inner>,
}

/// `range` widened to whole blocks of [`BLOCK_DAYS`] UTC days: what is
/// loaded for it, so requests made moments apart (their ranges start at
/// "now"), and those of nearby weeks, share one entry.
pub fn load_range(range: TimeRange) -> TimeRange {
    let block = BLOCK_DAYS * 86_400;
    let start = range.start.timestamp().div_euclid(block) * block;
    let end = range.end.timestamp();
    let end = if end.rem_euclid(block) == 0 && range.end.timestamp_subsec_nanos() == 0 { end } else { (end.div_euclid(block) + 1) * block };
    match (DateTime::from_timestamp(start, 0), DateTime::from_timestamp(end, 0)) {
        (Some(s), Some(e)) if s <= range.start && range.end <= e => TimeRange::new(s, e),
        _ => range,
    }
}

impl BusyCache {
    /// The entries of `calendar` at `version` loaded over a range covering
    /// `range` (all of them, also those outside `range`).
    pub fn get(&self, calendar: &StorePath, version: &Version, range: TimeRange) -> Option<Arc<Vec<BusyEntry>>> {
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        inner.clock += 1;
        let now = inner.clock;
        let held = inner.calendars.get_mut(calendar)?;
        let hit = held.iter_mut().find(|h| h.version == *version && h.range.start <= range.start && range.end <= h.range.end)?;
        hit.used = now;
        Some(hit.entries.clone())
    }

    /// Keeps `entries`, loaded over `range` at `version`; entries of other
    /// versions of the calendar go.
    pub fn put(&self, calendar: &StorePath, version: Version, range: TimeRange, entries: Arc<Vec<BusyEntry>>) {
        if entries.len() > MAX_HELD {
            return;
        }
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        inner.clock += 1;
        let now = inner.clock;
        let mut freed = 0;
        let list = inner.calendars.entry(calendar.clone()).or_default();
        list.retain(|h| {
            let keep = h.version == version && !(range.start <= h.range.start && h.range.end <= range.end);
            if !keep {
                freed += h.entries.len();
            }
            keep
        });
        if list.len() >= RANGES_PER_CALENDAR {
            let oldest = list.iter().enumerate().min_by_key(|(_, h)| h.used).map(|(i, _)| i).unwrap_or(0);
            freed += list.remove(oldest).entries.len();
        }
        let added = entries.len();
        list.push(Held { version, range, entries, used: now });
        inner.held = inner.held - freed + added;
        while inner.held > MAX_HELD {
            let Some((path, i)) = inner
                .calendars
                .iter()
                .flat_map(|(p, l)| l.iter().enumerate().map(move |(i, h)| (p, i, h.used)))
                .min_by_key(|(_, _, used)| *used)
                .map(|(p, i, _)| (p.clone(), i))
            else {
                break;
            };
            let list = inner.calendars.get_mut(&path).expect("listed");
            let gone = list.remove(i).entries.len();
            if list.is_empty() {
                inner.calendars.remove(&path);
            }
            inner.held -= gone;
        }
    }

    /// Occurrences held now.
    #[cfg(test)]
    fn held(&self) -> usize {
        self.inner.lock().unwrap().held
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone, Utc};

    fn t(d: u32, h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 5, d, h, 0, 0).unwrap()
    }

    fn version(revision: u64) -> Version {
        Version { sync_id: 7, revision, context: "Europe/Berlin|alice".into() }
    }

    fn entries(n: usize) -> Arc<Vec<BusyEntry>> {
        Arc::new(
            (0..n)
                .map(|i| BusyEntry {
                    name: format!("e{i}.ics"),
                    occurrence: Occurrence { range: TimeRange::new(t(4, 9), t(4, 10)), busy: None, all_day: false },
                    declined: false,
                })
                .collect(),
        )
    }

    fn cal(name: &str) -> StorePath {
        StorePath::home("alice").child(name)
    }

    #[test]
    fn load_ranges_are_whole_blocks_covering_the_range() {
        let day = |n: i64| DateTime::from_timestamp(n * 86_400, 0).unwrap();
        // 2026-05-04 is day 20577 since 1970; its block is days 20576..20608.
        assert_eq!(t(4, 0), day(20577));
        let block = TimeRange::new(day(20576), day(20608));
        assert_eq!(load_range(TimeRange::new(t(4, 6), t(6, 13))), block);
        assert_eq!(load_range(TimeRange::new(day(20576), day(20608))), block);
        let r = TimeRange::new(t(4, 6) + Duration::seconds(1), t(4, 6) + Duration::seconds(2));
        assert_eq!(load_range(r), block);
        assert_eq!(load_range(TimeRange::new(t(4, 6), day(20608) + Duration::nanoseconds(1))), TimeRange::new(day(20576), day(20640)));
        // Nothing to round at the ends of time.
        let all = TimeRange::new(DateTime::<Utc>::MIN_UTC, DateTime::<Utc>::MAX_UTC);
        assert_eq!(load_range(all), all);
    }

    #[test]
    fn answers_only_the_same_version_over_a_covered_range() {
        let cache = BusyCache::default();
        let day = TimeRange::new(t(4, 0), t(8, 0));
        cache.put(&cal("work"), version(3), day, entries(2));
        assert_eq!(cache.get(&cal("work"), &version(3), TimeRange::new(t(5, 6), t(6, 6))).map(|e| e.len()), Some(2));
        assert!(cache.get(&cal("work"), &version(4), TimeRange::new(t(5, 6), t(6, 6))).is_none(), "a newer revision");
        let other_context = Version { context: "UTC|alice".into(), ..version(3) };
        assert!(cache.get(&cal("work"), &other_context, TimeRange::new(t(5, 6), t(6, 6))).is_none());
        assert!(cache.get(&cal("work"), &version(3), TimeRange::new(t(5, 6), t(9, 6))).is_none(), "beyond the loaded days");
        assert!(cache.get(&cal("family"), &version(3), TimeRange::new(t(5, 6), t(6, 6))).is_none());
        // A new revision replaces the old ones.
        cache.put(&cal("work"), version(4), day, entries(1));
        assert!(cache.get(&cal("work"), &version(3), TimeRange::new(t(5, 6), t(6, 6))).is_none());
        assert_eq!(cache.held(), 1);
    }

    #[test]
    fn holds_a_few_ranges_per_calendar_and_a_bounded_total() {
        let cache = BusyCache::default();
        for d in 1..=(RANGES_PER_CALENDAR as u32 + 2) {
            cache.put(&cal("work"), version(1), TimeRange::new(t(d, 0), t(d + 1, 0)), entries(10));
        }
        assert_eq!(cache.held(), RANGES_PER_CALENDAR * 10);
        assert!(cache.get(&cal("work"), &version(1), TimeRange::new(t(1, 1), t(1, 2))).is_none(), "the oldest went");
        let last = RANGES_PER_CALENDAR as u32 + 2;
        assert!(cache.get(&cal("work"), &version(1), TimeRange::new(t(last, 1), t(last, 2))).is_some());
        // A range covering held ones replaces them.
        cache.put(&cal("work"), version(1), TimeRange::new(t(1, 0), t(20, 0)), entries(5));
        assert_eq!(cache.held(), 5);

        let big = MAX_HELD / 2 + 1;
        cache.put(&cal("a"), version(1), TimeRange::new(t(1, 0), t(2, 0)), entries(big));
        cache.put(&cal("b"), version(1), TimeRange::new(t(1, 0), t(2, 0)), entries(big));
        assert!(cache.held() <= MAX_HELD, "{}", cache.held());
        assert!(cache.get(&cal("b"), &version(1), TimeRange::new(t(1, 1), t(1, 2))).is_some(), "the newest stays");
        cache.put(&cal("c"), version(1), TimeRange::new(t(1, 0), t(2, 0)), entries(MAX_HELD + 1));
        assert!(cache.get(&cal("c"), &version(1), TimeRange::new(t(1, 1), t(1, 2))).is_none(), "too big to keep");
    }
}
