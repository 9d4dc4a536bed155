//! The computation: booking records and a coach's open time in, a
//! [`Report`] out: per week and in total, the sessions booked, held,
//! cancelled (by whom, late), no-shows and attended, new and returning
//! students, consultations that turned into paid sessions, utilisation,
//! the lead time from booking to session, the busiest hours of the week
//! and the prices of held sessions summed per currency. docs/analytics.md
//! defines each figure. Pure: time comes in with the data; one pass over
//! the bookings plus a sort per student, so 10,000 bookings take
//! milliseconds (`benches/analytics.rs`).

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Datelike, Duration, NaiveDate, Timelike, Utc};
use chrono_tz::Tz;

use super::period::Period;
use super::price::parse_price;
use crate::booking::availability::merge;
use crate::booking::fact::{BookingFact, CancelledBy};
use crate::booking::Attendance;
use crate::model::TimeRange;

/// One coach's input: their zone, the facts of every booking they have
/// (all time: a student's first booking may lie before the period), and
/// their open time around the period (availability minus busy time).
pub struct CoachData<'a> {
    pub coach: &'a str,
    pub tz: Tz,
    pub bookings: &'a [BookingFact],
    pub open: &'a [TimeRange],
}

/// The counts of one week (or of the whole period).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counts {
    /// Bookings made (by `created_at`).
    pub booked: u32,
    /// Sessions starting then that were not cancelled.
    pub held: u32,
    /// Bookings cancelled then (by the cancellation's time; records from
    /// before cancellations were recorded: by the session's start).
    pub cancelled: u32,
    pub cancelled_by_student: u32,
    pub cancelled_by_coach: u32,
    /// Cancelled after the event type's cancel deadline.
    pub cancelled_late: u32,
    /// Held sessions the coach marked as no-show / attended.
    pub no_shows: u32,
    pub attended: u32,
    /// Students whose first booking with the coach was made then.
    pub new_students: u32,
    /// Other students who booked then.
    pub returning_students: u32,
    /// First paid bookings made then by a student who had booked a free
    /// session before.
    pub conversions: u32,
    /// Time of held sessions (overlapping group sessions once).
    pub booked_minutes: i64,
    /// Open time: availability minus busy time.
    pub available_minutes: i64,
}

impl Counts {
    /// Booked ÷ available time, `None` without available time.
    pub fn utilisation(&self) -> Option<f64> {
        (self.available_minutes > 0).then(|| self.booked_minutes as f64 / self.available_minutes as f64)
    }

    fn add(&mut self, o: &Counts) {
        self.booked += o.booked;
        self.held += o.held;
        self.cancelled += o.cancelled;
        self.cancelled_by_student += o.cancelled_by_student;
        self.cancelled_by_coach += o.cancelled_by_coach;
        self.cancelled_late += o.cancelled_late;
        self.no_shows += o.no_shows;
        self.attended += o.attended;
        self.new_students += o.new_students;
        self.returning_students += o.returning_students;
        self.conversions += o.conversions;
        self.booked_minutes += o.booked_minutes;
        self.available_minutes += o.available_minutes;
    }
}

/// One student of one coach in the period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StudentRow {
    pub coach: String,
    /// Lower-cased: how students are told apart.
    pub email: String,
    /// The name on their latest booking.
    pub name: String,
    /// Their first booking with the coach, ever.
    pub first_booked: DateTime<Utc>,
    /// Bookings they made in the period.
    pub booked: u32,
    pub held: u32,
    pub cancelled: u32,
    pub no_shows: u32,
    /// Their first booking falls in the period.
    pub new: bool,
    /// They turned a free session into a paid one in the period.
    pub converted: bool,
}

/// Lead time from booking to session, over the bookings made in the period.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LeadTime {
    pub samples: usize,
    pub median: Option<Duration>,
    pub p90: Option<Duration>,
}

/// The prices of held sessions added up in one currency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PriceSum {
    /// A symbol (`€`), a code, or empty for bare numbers.
    pub currency: String,
    pub cents: i64,
    pub sessions: u32,
}

/// Everything the analytics pages and downloads show.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    pub period: Period,
    /// One row per week, by Monday.
    pub weeks: Vec<(NaiveDate, Counts)>,
    pub totals: Counts,
    pub lead_time: LeadTime,
    /// Held sessions by local weekday (Monday first) and hour of start.
    pub hours: [[u32; 24]; 7],
    pub prices: Vec<PriceSum>,
    /// Held sessions whose price label is no number.
    pub unpriced_sessions: u32,
    /// Students who booked, or had a session, in the period, by coach
    /// and email.
    pub students: Vec<StudentRow>,
}

/// Computes the report of `period` over one or more coaches (an admin's
/// view adds them up week by week).
pub fn compute(period: Period, coaches: &[CoachData]) -> Report {
    let mondays = period.mondays();
    let mut report = Report {
        period,
        weeks: mondays.iter().map(|m| (*m, Counts::default())).collect(),
        totals: Counts::default(),
        lead_time: LeadTime::default(),
        hours: [[0; 24]; 7],
        prices: Vec::new(),
        unpriced_sessions: 0,
        students: Vec::new(),
    };
    let mut leads: Vec<Duration> = Vec::new();
    let mut prices: BTreeMap<String, (i64, u32)> = BTreeMap::new();
    for coach in coaches {
        add_coach(&mut report, &mut leads, &mut prices, coach);
    }
    for (_, week) in &report.weeks {
        report.totals.add(week);
    }
    report.lead_time = lead_time(&mut leads);
    report.prices = prices.into_iter().map(|(currency, (cents, sessions))| PriceSum { currency, cents, sessions }).collect();
    report.students.sort_by(|a, b| (&a.coach, &a.email).cmp(&(&b.coach, &b.email)));
    report
}

fn add_coach(report: &mut Report, leads: &mut Vec<Duration>, prices: &mut BTreeMap<String, (i64, u32)>, data: &CoachData) {
    let weeks = report.period.weeks(data.tz);
    let whole = report.period.range(data.tz);
    let week_of = |t: DateTime<Utc>| -> Option<usize> {
        if t < whole.start || t >= whole.end {
            return None;
        }
        Some(weeks.partition_point(|(_, r)| r.end <= t))
    };
    let rows = &mut report.weeks;
    let mut held_ranges: Vec<Vec<TimeRange>> = vec![Vec::new(); weeks.len()];
    // Students of this coach, by lower-cased email.
    let mut by_student: HashMap<String, Vec<&BookingFact>> = HashMap::new();
    for b in data.bookings {
        by_student.entry(b.email.trim().to_lowercase()).or_default().push(b);
        let (created, range) = (b.created_at(), b.range());
        if let Some(w) = week_of(created) {
            rows[w].1.booked += 1;
            leads.push((range.start - created).max(Duration::zero()));
        }
        if let Some(c) = &b.cancelled {
            let at = DateTime::from_timestamp_millis(c.at_ms).unwrap_or(range.start);
            if let Some(w) = week_of(at) {
                let row = &mut rows[w].1;
                row.cancelled += 1;
                row.cancelled_by_student += u32::from(c.by == CancelledBy::Student);
                row.cancelled_by_coach += u32::from(c.by == CancelledBy::Coach);
                row.cancelled_late += u32::from(c.late);
            }
            continue;
        }
        let Some(w) = week_of(range.start) else { continue };
        let row = &mut rows[w].1;
        row.held += 1;
        match b.attendance {
            Some(Attendance::NoShow) => row.no_shows += 1,
            Some(Attendance::Attended) => row.attended += 1,
            None => {}
        }
        held_ranges[w].push(range);
        let local = range.start.with_timezone(&data.tz);
        report.hours[local.weekday().num_days_from_monday() as usize][local.hour() as usize] += 1;
        match parse_price(&b.price) {
            Some(p) if !p.is_free() => {
                let sum = prices.entry(p.currency).or_default();
                sum.0 += p.cents;
                sum.1 += 1;
            }
            Some(_) => {}
            None => report.unpriced_sessions += 1,
        }
    }
    // Time: held sessions (group sessions once) and open time, per week.
    let open = merge(data.open.to_vec());
    for (w, (_, range)) in weeks.iter().enumerate() {
        let held = merge(held_ranges[w].iter().map(|r| clip(*r, *range)).collect());
        rows[w].1.booked_minutes += held.iter().map(|r| r.duration().num_minutes()).sum::<i64>();
        rows[w].1.available_minutes += overlap_minutes(&open, *range);
    }
    // Students: new or returning, conversions.
    for (email, mut list) in by_student {
        list.sort_by_key(|b| (b.created_ms, b.start_ms));
        let first = list[0];
        let first_week = week_of(first.created_at());
        let mut booked_weeks: Vec<usize> = list.iter().filter_map(|b| week_of(b.created_at())).collect();
        booked_weeks.dedup();
        for w in &booked_weeks {
            if Some(*w) == first_week {
                rows[*w].1.new_students += 1;
            } else {
                rows[*w].1.returning_students += 1;
            }
        }
        let conversion = conversion(&list);
        let converted_week = conversion.and_then(|b| week_of(b.created_at()));
        if let Some(w) = converted_week {
            rows[w].1.conversions += 1;
        }
        let booked_in = |b: &BookingFact| week_of(b.created_at()).is_some();
        let held_in = |b: &BookingFact| !b.is_cancelled() && week_of(b.range().start).is_some();
        let in_period: Vec<&BookingFact> = list.iter().copied().filter(|b| booked_in(b) || held_in(b)).collect();
        if in_period.is_empty() {
            continue;
        }
        let held: Vec<&BookingFact> = in_period.iter().copied().filter(|b| held_in(b)).collect();
        report.students.push(StudentRow {
            coach: data.coach.to_string(),
            name: list.last().map(|b| b.name.clone()).unwrap_or_default(),
            email,
            first_booked: first.created_at(),
            booked: in_period.iter().filter(|b| booked_in(b)).count() as u32,
            held: held.len() as u32,
            cancelled: in_period.iter().filter(|b| b.is_cancelled() && booked_in(b)).count() as u32,
            no_shows: held.iter().filter(|b| b.attendance == Some(Attendance::NoShow)).count() as u32,
            new: first_week.is_some(),
            converted: converted_week.is_some(),
        });
    }
}

/// A student's conversion: their first paid booking (a price label that
/// is a number above zero, not cancelled) made after a free booking
/// ("free" or zero, not cancelled). `list` is by `created_at`, then start.
fn conversion<'a>(list: &[&'a BookingFact]) -> Option<&'a BookingFact> {
    let price = |b: &BookingFact| parse_price(&b.price).filter(|_| !b.is_cancelled());
    let first_free = list.iter().position(|b| price(b).is_some_and(|p| p.is_free()))?;
    let first_paid = list.iter().position(|b| price(b).is_some_and(|p| !p.is_free()))?;
    (first_paid > first_free).then(|| list[first_paid])
}

fn clip(r: TimeRange, to: TimeRange) -> TimeRange {
    TimeRange::new(r.start.max(to.start), r.end.min(to.end).max(r.start.max(to.start)))
}

/// Minutes of the merged `ranges` inside `within`.
fn overlap_minutes(ranges: &[TimeRange], within: TimeRange) -> i64 {
    let first = ranges.partition_point(|r| r.end <= within.start);
    ranges[first..]
        .iter()
        .take_while(|r| r.start < within.end)
        .map(|r| clip(*r, within).duration().num_minutes())
        .sum()
}

/// `open` minus `busy`: both merged and sorted.
pub fn subtract(open: &[TimeRange], busy: &[TimeRange]) -> Vec<TimeRange> {
    let mut out = Vec::new();
    let mut b = 0;
    for r in open {
        let mut start = r.start;
        while b < busy.len() && busy[b].end <= start {
            b += 1;
        }
        let mut i = b;
        while i < busy.len() && busy[i].start < r.end {
            if busy[i].start > start {
                out.push(TimeRange::new(start, busy[i].start));
            }
            start = start.max(busy[i].end);
            i += 1;
        }
        if start < r.end {
            out.push(TimeRange::new(start, r.end));
        }
    }
    out
}

/// Median and 90th percentile (nearest rank).
fn lead_time(samples: &mut [Duration]) -> LeadTime {
    if samples.is_empty() {
        return LeadTime::default();
    }
    samples.sort_unstable();
    let rank = |q: f64| samples[((q * samples.len() as f64).ceil() as usize).clamp(1, samples.len()) - 1];
    LeadTime { samples: samples.len(), median: Some(rank(0.5)), p90: Some(rank(0.9)) }
}

#[cfg(test)]
mod tests;
