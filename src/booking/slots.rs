//! Slot computation: free time → the start times a student may pick.
//!
//! Owns the slot grid (every `slot_interval` from the coach's local
//! midnight, on wall-clock time, so DST days keep :00 :15 :30 :45 local) and
//! the order in which the rules apply to each candidate:
//!
//! 1. start inside the query, `now + min_notice <= start <= now + horizon`;
//! 2. `[start, start + duration)` inside one merged availability interval
//!    (availability events, else declared hours or working hours:
//!    [`available_with`]);
//! 3. `[start - buffer_before, end + buffer_after)` clear of busy time;
//! 4. clear of other holds/bookings, with seats left ([`holds::seats_left`]);
//! 5. within the daily cap ([`holds::within_daily_cap`]);
//! 6. (D) within the weekly/monthly and coach-level caps and the coach's
//!    breaks ([`crate::booking::pacing`]).
//!
//! Non-existent local times (spring-forward gap) produce no slot; ambiguous
//! ones (fall back) take the first occurrence.

use crate::booking::availability::{
    available_with, busy_intervals, local_date, local_dates, local_instant, BusyDay, BusyTime, DeclaredHours,
};
use crate::booking::holds::{self, occupancy, Hold, Occupied};
use crate::booking::policy::{Coach, EventType};
use crate::booking::Booking;
use crate::model::TimeRange;
use chrono::offset::LocalResult;
use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

/// One bookable start time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Slot {
    /// The appointment itself, `[start, start + duration)`.
    pub range: TimeRange,
    /// Seats still free (≥ 1; full slots are not returned).
    pub seats_left: u32,
}

/// Everything slot computation reads about one coach and event type.
///
/// Load the inputs over [`SlotQuery::input_range`] of the query so that
/// whole local days, buffers and slots crossing midnight are covered.
#[derive(Debug, Clone, Copy)]
pub struct SlotQuery<'a> {
    pub coach: &'a Coach,
    pub event_type: &'a EventType,
    /// Occurrences from the coach's availability calendar.
    pub availability: &'a [TimeRange],
    /// Working hours the coach declared with VAVAILABILITY (RFC 7953);
    /// where they cover a day they replace `coach.working_hours`.
    pub declared: Option<&'a DeclaredHours>,
    /// Timed busy events (not the VEVENTs written by bookings).
    pub busy_times: &'a [BusyTime],
    /// All-day busy events, as coach-local dates.
    pub busy_days: &'a [BusyDay],
    /// The coach's holds (expired ones are ignored).
    pub holds: &'a [Hold],
    /// The coach's bookings, all event types (cancelled ones are ignored).
    pub bookings: &'a [Booking],
    /// Id of a hold or booking to leave out: the booking being rescheduled,
    /// or the hold being confirmed, so it does not count against itself.
    pub except: Option<&'a str>,
}

impl<'a> SlotQuery<'a> {
    /// The span over which callers should load availability, busy time,
    /// holds and bookings to answer a query for `query`: two days of margin
    /// on each side plus the longest appointment and buffers the coach has.
    pub fn input_range(coach: &Coach, query: TimeRange) -> TimeRange {
        let margin = crate::booking::pacing::load_margin(coach);
        TimeRange::new(query.start - margin, query.end + margin)
    }

    /// Bookable slots whose start lies in `query` (`[from, to)`), sorted.
    pub fn slots(&self, query: TimeRange, now: DateTime<Utc>) -> Vec<Slot> {
        let et = self.event_type;
        if et.duration <= Duration::zero() || et.slot_interval <= Duration::zero() {
            return Vec::new();
        }
        let Some(window) = start_window(et, query, now) else { return Vec::new() };
        let ctx = self.context(window, now);
        local_dates(self.coach.tz, window)
            .flat_map(|date| self.grid(date))
            .filter(|start| window.start <= *start && *start < window.end)
            .filter_map(|start| self.check(&ctx, start))
            .collect()
    }

    /// The slot at exactly `range` if it is offered at `now` (grid, duration
    /// and every rule), e.g. to validate a student's pick before holding it.
    pub fn slot_at(&self, range: TimeRange, now: DateTime<Utc>) -> Option<Slot> {
        if range.duration() != self.event_type.duration {
            return None;
        }
        let probe = TimeRange::new(range.start, range.start + Duration::nanoseconds(1));
        self.slots(probe, now).into_iter().find(|s| s.range == range)
    }

    /// Candidate starts of one local day: local midnight + k × interval,
    /// on wall-clock time, skipping times that do not exist.
    fn grid(&self, date: NaiveDate) -> impl Iterator<Item = DateTime<Utc>> + 'a {
        grid_of(self.coach.tz, self.event_type.slot_interval, date)
    }

    /// Merged availability, busy time and occupancy around `window`.
    fn context(&self, window: TimeRange, now: DateTime<Utc>) -> Context<'a> {
        let coach = self.coach;
        let around = TimeRange::new(window.start, window.end + self.event_type.duration);
        Context {
            available: available_with(coach.tz, &coach.working_hours, self.declared, self.availability, around),
            busy: busy_intervals(coach.tz, self.busy_times, self.busy_days),
            occupied: occupancy(coach, self.holds, self.bookings, now, self.except),
        }
    }

    /// Applies rules 2–5 to the candidate starting at `start`.
    fn check(&self, ctx: &Context<'_>, start: DateTime<Utc>) -> Option<Slot> {
        let et = self.event_type;
        let range = TimeRange::new(start, start + et.duration);
        if !inside_any(&ctx.available, range) || overlaps_any(&ctx.busy, holds::widen(range, et)) {
            return None;
        }
        let seats_left = holds::seats_left(et, range, &ctx.occupied).ok()?;
        holds::within_daily_cap(self.coach, et, range, &ctx.occupied).ok()?;
        crate::booking::pacing::within_caps(self.coach, et, range, &ctx.occupied).ok()?;
        crate::booking::pacing::within_breaks(self.coach, et, range, &ctx.occupied).ok()?;
        Some(Slot { range, seats_left })
    }
}

/// Candidate starts of local day `date` in `tz` every `step` from local
/// midnight, as [`local_instant`] maps them. On a day whose UTC offset does
/// not change (every day but a few a year) that is the local time minus
/// the offset, without asking the zone again for each of them: this was
/// a fifth of a 60-day slot listing.
pub fn grid_of(tz: Tz, step: Duration, date: NaiveDate) -> impl Iterator<Item = DateTime<Utc>> {
    let midnight: NaiveDateTime = date.into();
    let next_midnight: NaiveDateTime = date.succ_opt().unwrap_or(date).into();
    // A steady day with a whole-second step: unix seconds, 24 hours long.
    let steady = steady_offset(tz, date)
        .filter(|_| step.subsec_nanos() == 0 && step.num_seconds() > 0)
        .and_then(|offset| midnight.checked_sub_signed(offset))
        .map(|start| (start.and_utc().timestamp(), step.num_seconds()));
    let one_by_one = (0..)
        .take_while(move |_| steady.is_none())
        .map_while(move |k: i32| step.checked_mul(k).and_then(|off| midnight.checked_add_signed(off)))
        .take_while(move |local| *local < next_midnight)
        .filter_map(move |local| local_instant(tz, local));
    let by_seconds = steady.into_iter().flat_map(|(start, step)| {
        (0..).map(move |k: i64| k * step).take_while(|off| *off < 86_400).filter_map(move |off| DateTime::from_timestamp(start + off, 0))
    });
    by_seconds.chain(one_by_one)
}

/// The UTC offset of local day `date` in `tz` when the day has one offset
/// throughout: its wall-clock times every three hours from midnight to the
/// next midnight each exist once, all with the same offset (zones change
/// offset at most once a day, and never back within three hours).
/// `None` on a day with a change: its times are mapped one by one.
pub fn steady_offset(tz: Tz, date: NaiveDate) -> Option<Duration> {
    let midnight: NaiveDateTime = date.into();
    let mut offset = None;
    for hours in (0..=24).step_by(3) {
        let local = midnight.checked_add_signed(Duration::hours(hours))?;
        let LocalResult::Single(t) = tz.from_local_datetime(&local) else { return None };
        let this = local - t.with_timezone(&Utc).naive_utc();
        if offset.is_some_and(|o| o != this) {
            return None;
        }
        offset = Some(this);
    }
    offset
}

/// Inputs prepared once per query.
struct Context<'a> {
    /// Sorted, merged.
    available: Vec<TimeRange>,
    /// Sorted, merged.
    busy: Vec<TimeRange>,
    occupied: Vec<Occupied<'a>>,
}

/// Where starts may lie: `query` ∩ `[now + min_notice, now + horizon]`, as a
/// half-open range (the horizon is inclusive, hence the extra nanosecond).
fn start_window(et: &EventType, query: TimeRange, now: DateTime<Utc>) -> Option<TimeRange> {
    let earliest = query.start.max(now + et.min_notice);
    let latest = query.end.min(now + et.horizon + Duration::nanoseconds(1));
    (earliest < latest).then(|| TimeRange::new(earliest, latest))
}

/// True if `range` lies inside one of the sorted, merged `intervals`.
fn inside_any(intervals: &[TimeRange], range: TimeRange) -> bool {
    let i = intervals.partition_point(|a| a.end <= range.start);
    intervals.get(i).is_some_and(|a| a.contains(&range))
}

/// True if `range` overlaps one of the sorted, merged `intervals`.
fn overlaps_any(intervals: &[TimeRange], range: TimeRange) -> bool {
    let i = intervals.partition_point(|a| a.end <= range.start);
    intervals.get(i).is_some_and(|a| a.overlaps(&range))
}

/// The coach-local date a slot belongs to (for grouping in a UI).
pub fn slot_date(coach: &Coach, slot: &Slot) -> NaiveDate {
    local_date(coach.tz, slot.range.start)
}

#[cfg(test)]
mod tests;
