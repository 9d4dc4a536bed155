//! (D) Caps and breaks (issue 11 §6): how many sessions fit in a coach's
//! local day, week and month, and how long they may run back to back.
//!
//! Owns [`Period`] (the coach-local day, week — Monday first — and calendar
//! month a session belongs to), [`within_caps`] (an event type's
//! `max_per_day`/`max_per_week`/`max_per_month` and the coach's
//! [`Pacing`] caps across all types), [`within_breaks`] (`max_consecutive`
//! without a gap of `break_after`) and [`load_margin`] (how far around a
//! slot callers must load bookings for these rules to see them).
//!
//! Pure: time is a parameter, nothing reads the clock or the store. Joining
//! an existing group session never counts as a new session and never
//! lengthens a run. Imports only the booking rules beside it
//! (`availability`, `holds`, `policy`) and `model`.

use crate::booking::availability::local_date;
use crate::booking::holds::{widen, Occupied, SlotUnavailable};
use crate::booking::policy::{Coach, EventType};
use crate::model::TimeRange;
use chrono::{Datelike, Duration, NaiveDate};

/// A span of the coach's local calendar that a cap counts sessions in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Period {
    Day,
    /// Monday to Sunday.
    Week,
    /// A calendar month.
    Month,
}

impl Period {
    /// The first local date of the period that contains `date`.
    pub fn start_of(self, date: NaiveDate) -> NaiveDate {
        match self {
            Period::Day => date,
            Period::Week => date - Duration::days(i64::from(date.weekday().num_days_from_monday())),
            Period::Month => date.with_day(1).unwrap_or(date),
        }
    }

    /// The word used in messages ("day", "week", "month").
    pub fn name(self) -> &'static str {
        match self {
            Period::Day => "day",
            Period::Week => "week",
            Period::Month => "month",
        }
    }
}

/// Checks the event type's caps (per day, week and month: distinct sessions
/// of this type) and the coach's (distinct sessions of any type) for a new
/// session at `range`. A range this type already has a session at is a
/// seat in it and always passes.
pub fn within_caps(
    coach: &Coach,
    event_type: &EventType,
    range: TimeRange,
    occupied: &[Occupied<'_>],
) -> Result<(), SlotUnavailable> {
    if occupied.iter().any(|o| o.event_type == event_type.slug && o.range == range) {
        return Ok(());
    }
    let date = local_date(coach.tz, range.start);
    let type_caps = [(Period::Day, event_type.max_per_day), (Period::Week, event_type.max_per_week), (Period::Month, event_type.max_per_month)];
    for (period, cap) in type_caps {
        let Some(cap) = cap else { continue };
        if sessions_in(coach, period, date, occupied, Some(&event_type.slug)) >= cap as usize {
            return Err(match period {
                Period::Day => SlotUnavailable::DailyLimit { date },
                _ => SlotUnavailable::PeriodLimit { period, starting: period.start_of(date) },
            });
        }
    }
    let pacing = &coach.pacing;
    let coach_caps = [(Period::Day, pacing.max_per_day), (Period::Week, pacing.max_per_week), (Period::Month, pacing.max_per_month)];
    for (period, cap) in coach_caps {
        let Some(cap) = cap else { continue };
        if sessions_in(coach, period, date, occupied, None) >= cap as usize {
            return Err(SlotUnavailable::PeriodLimit { period, starting: period.start_of(date) });
        }
    }
    Ok(())
}

/// Distinct sessions (event type and range) starting in the local `period`
/// around `date`, of one type or (`None`) of all.
fn sessions_in(coach: &Coach, period: Period, date: NaiveDate, occupied: &[Occupied<'_>], only: Option<&str>) -> usize {
    let start = period.start_of(date);
    let mut sessions: Vec<(&str, TimeRange)> = occupied
        .iter()
        .filter(|o| only.is_none_or(|slug| o.event_type == slug))
        .filter(|o| period.start_of(local_date(coach.tz, o.range.start)) == start)
        .map(|o| (o.event_type, o.range))
        .collect();
    sessions.sort();
    sessions.dedup();
    sessions.len()
}

/// Checks `max_consecutive`: the run the new session at `range` (widened by
/// its buffers) would belong to, chained with everything `occupied` through
/// gaps shorter than `break_after`, lasts at most `max_consecutive`.
pub fn within_breaks(
    coach: &Coach,
    event_type: &EventType,
    range: TimeRange,
    occupied: &[Occupied<'_>],
) -> Result<(), SlotUnavailable> {
    let pacing = &coach.pacing;
    let Some(longest) = pacing.max_consecutive else { return Ok(()) };
    if occupied.iter().any(|o| o.event_type == event_type.slug && o.range == range) {
        return Ok(());
    }
    let candidate = widen(range, event_type);
    let mut blocks: Vec<TimeRange> = occupied.iter().map(|o| o.blocked).collect();
    blocks.push(candidate);
    blocks.sort_by_key(|b| (b.start, b.end));
    let run = runs(&blocks, pacing.break_after).into_iter().find(|run| run.start <= candidate.start && candidate.end <= run.end);
    match run {
        Some(run) if run.end - run.start > longest => Err(SlotUnavailable::BreakNeeded),
        _ => Ok(()),
    }
}

/// Chains sorted `blocks` into runs: a block starting less than `gap` after
/// the run's end so far (or overlapping it) extends the run.
pub fn runs(blocks: &[TimeRange], gap: Duration) -> Vec<TimeRange> {
    let mut out: Vec<TimeRange> = Vec::new();
    for b in blocks {
        match out.last_mut() {
            Some(run) if b.start < run.end + gap || b.start <= run.end => {
                if b.end > run.end {
                    *run = TimeRange::new(run.start, b.end);
                }
            }
            _ => out.push(*b),
        }
    }
    out
}

/// How far before and after a slot callers must load bookings and holds so
/// that the caps and breaks see every session they count: whole local
/// months with a month cap, weeks with a week cap, the longest run allowed
/// with a break rule; never less than two days (the daily cap, buffers).
pub fn load_margin(coach: &Coach) -> Duration {
    let types = coach.event_types.iter();
    let longest = types.clone().map(|e| e.duration + e.buffer_before.max(e.buffer_after)).max().unwrap_or_else(Duration::zero);
    let pacing = &coach.pacing;
    let month = pacing.max_per_month.is_some() || types.clone().any(|e| e.max_per_month.is_some());
    let week = pacing.max_per_week.is_some() || types.clone().any(|e| e.max_per_week.is_some());
    let mut margin = Duration::days(2);
    if month {
        margin = margin.max(Duration::days(33));
    } else if week {
        margin = margin.max(Duration::days(9));
    }
    if let Some(run) = pacing.max_consecutive {
        margin = margin.max(run + pacing.break_after + Duration::days(1));
    }
    margin + longest
}

#[cfg(test)]
mod tests;
