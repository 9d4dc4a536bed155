//! When the coach can be booked, before any booking rules apply.
//!
//! Owns the coach's local calendar (local days and wall-clock times mapped
//! to UTC across DST), the fallback from an empty availability calendar to
//! working hours, the busy-time input types ([`BusyTime`], [`BusyDay`]) and
//! interval merging. Events arrive already expanded to [`TimeRange`]s.

use crate::booking::policy::WorkingHours;
use crate::model::{intersect_spans, merge_spans, subtract_spans, TimeRange};
use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;

/// A busy interval from one of the coach's busy calendars (an OPAQUE, not
/// CANCELLED event with a time of day). The caller must leave out the
/// VEVENTs that bookings themselves wrote; those are passed as bookings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BusyTime {
    pub range: TimeRange,
}

/// An all-day busy event: blocks the whole local day in the coach's zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct BusyDay(pub NaiveDate);

/// The UTC instant of a local wall-clock time, for points on the slot grid:
/// ambiguous times (fall back) take the first occurrence, non-existent ones
/// (spring forward gap) are `None`.
pub fn local_instant(tz: Tz, local: NaiveDateTime) -> Option<DateTime<Utc>> {
    tz.from_local_datetime(&local).earliest().map(|t| t.with_timezone(&Utc))
}

/// The first instant whose local wall-clock time is at or after `local`: the
/// same as [`local_instant`] except that a time inside a DST gap maps to the
/// end of the gap. Used for boundaries (midnights, working-hours edges).
pub fn local_boundary(tz: Tz, local: NaiveDateTime) -> DateTime<Utc> {
    if let Some(t) = local_instant(tz, local) {
        return t;
    }
    // Inside a gap: the wall clock jumps forward, so the first valid minute
    // after `local` is the transition itself. Gaps are whole minutes and at
    // most a day long in the tz database.
    (1..=24 * 60)
        .find_map(|m| local_instant(tz, local + Duration::minutes(m)))
        .unwrap_or_else(|| Utc.from_utc_datetime(&local))
}

/// The local calendar day `date` in `tz` as absolute time: 24 hours long on
/// most days, 23 or 25 across DST changes.
pub fn local_day(tz: Tz, date: NaiveDate) -> TimeRange {
    let next = date.succ_opt().unwrap_or(date);
    TimeRange::new(local_boundary(tz, date.into()), local_boundary(tz, next.into()))
}

/// The coach-local date of an instant.
pub fn local_date(tz: Tz, t: DateTime<Utc>) -> NaiveDate {
    t.with_timezone(&tz).date_naive()
}

/// Every local date that intersects `range` (at least the date of `range.start`).
pub fn local_dates(tz: Tz, range: TimeRange) -> impl Iterator<Item = NaiveDate> {
    let first = local_date(tz, range.start);
    let last = if range.end > range.start { local_date(tz, range.end - Duration::nanoseconds(1)) } else { first };
    first.iter_days().take_while(move |d| *d <= last)
}

/// Sorts and merges intervals that overlap or touch; empty ones are dropped.
pub fn merge(ranges: Vec<TimeRange>) -> Vec<TimeRange> {
    merge_spans(ranges)
}

/// Working-hours windows of one local date, as absolute time. A window's
/// edges are local wall-clock times, so 09:00–17:00 stays 09:00–17:00 local
/// on both sides of a DST change.
pub fn working_hours_on(tz: Tz, hours: &WorkingHours, date: NaiveDate) -> Vec<TimeRange> {
    let midnight: NaiveDateTime = date.into();
    hours
        .windows(date.weekday())
        .iter()
        .map(|w| {
            let at = |minute: u16| local_boundary(tz, midnight + Duration::minutes(i64::from(minute)));
            TimeRange::new(at(w.start_minute()), at(w.end_minute()))
        })
        .filter(|r| r.start < r.end)
        .collect()
}

/// Working hours the coach declared in their calendar app (RFC 7953
/// VAVAILABILITY: the inbox's `calendar-availability` and VAVAILABILITY
/// objects in the availability calendar), resolved by
/// `ical::availability::resolve` over the span slots are computed for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeclaredHours {
    /// The time some VAVAILABILITY speaks about (sorted, merged): here
    /// the declared hours replace the TOML `working_hours`.
    pub covered: Vec<TimeRange>,
    /// The available part of `covered` (sorted, merged).
    pub open: Vec<TimeRange>,
}

/// The coach's working time on one local date: the declared hours where
/// a VAVAILABILITY covers the day, the TOML working hours elsewhere.
pub fn working_time_on(tz: Tz, hours: &WorkingHours, declared: Option<&DeclaredHours>, date: NaiveDate) -> Vec<TimeRange> {
    let toml = working_hours_on(tz, hours, date);
    let Some(declared) = declared else { return toml };
    let day = [local_day(tz, date)];
    let mut all = intersect_spans(&declared.open, &day);
    all.extend(subtract_spans(&merge_spans(toml), &declared.covered));
    merge_spans(all)
}

/// When the coach is available around `range`, merged and sorted.
///
/// `events` are the coach's availability-calendar occurrences. For each
/// coach-local day intersecting `range`, if no event intersects that day,
/// the day's working hours apply instead. Events are used in full (not
/// clipped), so callers may rely on whole intervals.
pub fn available(tz: Tz, hours: &WorkingHours, events: &[TimeRange], range: TimeRange) -> Vec<TimeRange> {
    available_with(tz, hours, None, events, range)
}

/// [`available`] with the coach's declared hours: on a day without
/// availability events the working time is [`working_time_on`] (declared
/// hours where a VAVAILABILITY covers it, TOML working hours elsewhere);
/// a day with availability events is open exactly at those events, as
/// before. Busy time is taken away later, whatever the source.
pub fn available_with(
    tz: Tz,
    hours: &WorkingHours,
    declared: Option<&DeclaredHours>,
    events: &[TimeRange],
    range: TimeRange,
) -> Vec<TimeRange> {
    let events: Vec<TimeRange> = events.iter().copied().filter(|e| e.start < e.end).collect();
    let mut all = events.clone();
    for date in local_dates(tz, range) {
        let day = local_day(tz, date);
        if !events.iter().any(|e| e.start < day.end && day.start < e.end) {
            all.extend(working_time_on(tz, hours, declared, date));
        }
    }
    merge(all)
}

/// Busy intervals as absolute time: timed busy events plus whole local days.
pub fn busy_intervals(tz: Tz, times: &[BusyTime], days: &[BusyDay]) -> Vec<TimeRange> {
    let timed = times.iter().map(|b| b.range);
    let all_day = days.iter().map(|d| local_day(tz, d.0));
    merge(timed.chain(all_day).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono_tz::Europe::Berlin;

    fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap()
    }

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn local_days_are_23_and_25_hours_across_dst() {
        assert_eq!(local_day(Berlin, date(2026, 3, 29)).duration(), Duration::hours(23));
        assert_eq!(local_day(Berlin, date(2026, 10, 25)).duration(), Duration::hours(25));
        assert_eq!(local_day(Berlin, date(2026, 6, 1)).start, utc(2026, 5, 31, 22, 0));
    }

    #[test]
    fn gap_times_skip_or_snap_forward() {
        let gap = date(2026, 3, 29).and_hms_opt(2, 30, 0).unwrap();
        assert_eq!(local_instant(Berlin, gap), None);
        assert_eq!(local_boundary(Berlin, gap), utc(2026, 3, 29, 1, 0));
        let twice = date(2026, 10, 25).and_hms_opt(2, 30, 0).unwrap();
        assert_eq!(local_instant(Berlin, twice), Some(utc(2026, 10, 25, 0, 30)));
    }

    #[test]
    fn midnight_in_gap_starts_day_at_transition() {
        // America/Santiago springs forward at 24:00 → 01:00 (2026-09-06).
        let tz: Tz = "America/Santiago".parse().unwrap();
        let day = local_day(tz, date(2026, 9, 6));
        assert_eq!(day.duration(), Duration::hours(23));
        assert_eq!(day.start.with_timezone(&tz).date_naive(), date(2026, 9, 6));
    }

    #[test]
    fn merges_touching_and_overlapping() {
        let r = |a, b| TimeRange::new(utc(2026, 1, 5, a, 0), utc(2026, 1, 5, b, 0));
        assert_eq!(merge(vec![r(13, 14), r(9, 10), r(10, 11), r(12, 13), r(15, 15)]), vec![r(9, 11), r(12, 14)]);
        assert_eq!(merge(vec![r(9, 17), r(10, 11)]), vec![r(9, 17)]);
    }

    #[test]
    fn working_hours_apply_only_on_days_without_events() {
        let hours = WorkingHours::parse([("mon", vec!["09:00-12:00"]), ("tue", vec!["09:00-12:00"])]).unwrap();
        // Monday 2026-01-05 and Tuesday 2026-01-06 in Berlin (UTC+1).
        let event = TimeRange::new(utc(2026, 1, 6, 15, 0), utc(2026, 1, 6, 16, 0));
        let week = TimeRange::new(utc(2026, 1, 4, 23, 0), utc(2026, 1, 11, 23, 0));
        let got = available(Berlin, &hours, &[event], week);
        assert_eq!(got, vec![TimeRange::new(utc(2026, 1, 5, 8, 0), utc(2026, 1, 5, 11, 0)), event]);
    }

    #[test]
    fn declared_hours_replace_working_hours_where_they_cover() {
        let hours = WorkingHours::parse([("mon", vec!["09:00-17:00"]), ("tue", vec!["09:00-17:00"])]).unwrap();
        // A VAVAILABILITY covering Monday 2026-01-05 only (Berlin, UTC+1),
        // open 14:00–16:00 local.
        let monday = local_day(Berlin, date(2026, 1, 5));
        let declared = DeclaredHours { covered: vec![monday], open: vec![TimeRange::new(utc(2026, 1, 5, 13, 0), utc(2026, 1, 5, 15, 0))] };
        let two_days = TimeRange::new(utc(2026, 1, 4, 23, 0), utc(2026, 1, 6, 23, 0));
        assert_eq!(
            available_with(Berlin, &hours, Some(&declared), &[], two_days),
            vec![
                TimeRange::new(utc(2026, 1, 5, 13, 0), utc(2026, 1, 5, 15, 0)),
                // Tuesday is not covered: the TOML hours still apply.
                TimeRange::new(utc(2026, 1, 6, 8, 0), utc(2026, 1, 6, 16, 0)),
            ]
        );
        // Declared hours on a day the TOML leaves free (Wednesday) count too.
        let wednesday = local_day(Berlin, date(2026, 1, 7));
        let wed = DeclaredHours { covered: vec![wednesday], open: vec![TimeRange::new(utc(2026, 1, 7, 9, 0), utc(2026, 1, 7, 10, 0))] };
        assert_eq!(available_with(Berlin, &hours, Some(&wed), &[], wednesday), wed.open);
        // Covered with nothing open: no working time at all that day.
        let closed = DeclaredHours { covered: vec![monday], open: vec![] };
        assert!(available_with(Berlin, &hours, Some(&closed), &[], monday).is_empty());
    }

    #[test]
    fn availability_events_still_decide_their_day() {
        let hours = WorkingHours::parse([("mon", vec!["09:00-17:00"])]).unwrap();
        let monday = local_day(Berlin, date(2026, 1, 5));
        let declared = DeclaredHours { covered: vec![monday], open: vec![TimeRange::new(utc(2026, 1, 5, 13, 0), utc(2026, 1, 5, 15, 0))] };
        let event = TimeRange::new(utc(2026, 1, 5, 18, 0), utc(2026, 1, 5, 19, 0));
        assert_eq!(available_with(Berlin, &hours, Some(&declared), &[event], monday), vec![event]);
    }

    #[test]
    fn all_day_busy_covers_the_local_day() {
        let busy = busy_intervals(Berlin, &[], &[BusyDay(date(2026, 3, 29))]);
        assert_eq!(busy, vec![TimeRange::new(utc(2026, 3, 28, 23, 0), utc(2026, 3, 29, 22, 0))]);
    }
}
