//! What the booking service lets other domain modules read (analytics
//! today): a coach's booking records, and the coach's open time as the
//! booking engine sees it: the availability calendar (or working hours on
//! days without availability events) and the busy time of the busy
//! calendars, computed exactly as for slots (`calendars`). Reads only;
//! no decision lock.

use super::super::availability::{available, busy_intervals};
use super::super::coach::CoachConfig;
use super::super::fact::BookingFact;
use super::super::Booking;
use super::{BookingService, Result};
use crate::model::TimeRange;

/// A coach's time around a range: when they can be booked (merged,
/// sorted, whole intervals that may reach past the range) and when they
/// are busy (merged; the events of bookings themselves are not busy time
/// here, they count through the booking records).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CoachTime {
    pub available: Vec<TimeRange>,
    pub busy: Vec<TimeRange>,
}

impl BookingService {
    /// Every booking record of the coach with user name `coach_user`
    /// (cancelled ones too), by start.
    pub fn coach_bookings(&self, coach_user: &str) -> Result<Vec<Booking>> {
        Ok(self.bookings().of_coach(coach_user)?)
    }

    /// The [`BookingFact`]s of every booking of the coach `coach_user`
    /// (one prefix scan; what analytics reads).
    pub fn coach_booking_facts(&self, coach_user: &str) -> Result<Vec<BookingFact>> {
        Ok(self.bookings().facts_of(coach_user)?)
    }

    /// The coach's availability and busy time in `range`.
    pub fn coach_time(&self, coach: &CoachConfig, range: TimeRange) -> Result<CoachTime> {
        let events = self.availability_events(coach, range)?;
        let available = available(coach.policy.tz, &coach.policy.working_hours, &events, range);
        let (times, days) = self.busy(coach, range)?;
        Ok(CoachTime { available, busy: busy_intervals(coach.policy.tz, &times, &days) })
    }
}

impl BookingService {
    /// How many holds are active now (the hold table keeps live holds;
    /// expired ones are swept every minute).
    pub fn holds_active(&self) -> Result<usize> {
        Ok(self.all_active_holds(self.clock.now())?.len())
    }
}
