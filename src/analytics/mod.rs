//! Analytics for coaches and admins: how a period went, week by week,
//! computed from the booking records and the coach's open time (issue 13
//! §2; every figure is defined in docs/analytics.md).
//!
//! Rooms: [`period`] (the chosen days and their weeks in the coach's
//! zone, DST included), [`price`] (price labels read as amounts per
//! currency), [`report`] (the pure computation: records in, [`Report`]
//! out). This file reads the inputs through the booking service
//! ([`BookingService::coach_booking_facts`], [`BookingService::coach_time`]: the
//! same availability and busy time the booking engine uses) and owns
//! [`AnalyticsError`].
//!
//! May import: `booking` (its records, availability and service readers),
//! `model`; never the HTTP surfaces, storage internals or askama.

pub mod period;
pub mod price;
pub mod report;

pub use period::Period;
pub use report::{compute, CoachData, Counts, LeadTime, PriceSum, Report, StudentRow};

use crate::booking::coach::CoachConfig;
use crate::booking::service::{BookingError, BookingService};

/// Why a report could not be made. The pages answer each in
/// `web::analytics` (status noted here).
#[derive(Debug, thiserror::Error)]
pub enum AnalyticsError {
    /// A date in the query is not `YYYY-MM-DD`. (400)
    #[error("`{value}` is not a date like 2026-05-04 (field {field})")]
    BadDate { field: &'static str, value: String },
    /// `to` is before `from`. (400)
    #[error("the period ends before it starts")]
    Reversed,
    /// The period is longer than [`period::MAX_DAYS`]. (400)
    #[error("the period is longer than {max_days} days")]
    TooLong { max_days: i64 },
    /// Reading the bookings or calendars failed. (500)
    #[error(transparent)]
    Booking(#[from] BookingError),
}

/// The report of `period` over `coaches` (one coach, or every coach for
/// an admin), read through the booking service.
pub fn for_coaches(service: &BookingService, coaches: &[&CoachConfig], period: Period) -> Result<Report, AnalyticsError> {
    let mut inputs = Vec::with_capacity(coaches.len());
    for coach in coaches {
        let tz = coach.policy.tz;
        let bookings = service.coach_booking_facts(&coach.user)?;
        let time = service.coach_time(coach, period.range(tz))?;
        let open = report::subtract(&time.available, &time.busy);
        inputs.push((coach, tz, bookings, open));
    }
    let data: Vec<CoachData> =
        inputs.iter().map(|(c, tz, bookings, open)| CoachData { coach: &c.user, tz: *tz, bookings, open }).collect();
    Ok(compute(period, &data))
}
