//! What a coach does on the dashboard: confirm a request, decline it,
//! cancel a booking with a message to the student, mark the student
//! attended or absent after the start. Each runs inside the decisions section
//! and writes the booking record and the booking's VEVENT in the
//! coach's bookings calendar in one batch ([`BookingService::booking_batch`],
//! the same STATUS and SEQUENCE rules as the coach's own edits in their
//! calendar app, `reconcile`), with the change hooks' records
//! ([`Actor::CoachDashboard`]), then waits for the write to be durable.
//!
//! Also the reads the dashboard lists: a coach's bookings, and one
//! booking by its reference (another coach's is [`BookingError::NotYours`]).

use chrono::{DateTime, Utc};

use super::super::change::{Actor, Attendance, BookingChange};
use super::super::coach::CoachConfig;
use super::super::policy::EventType;
use super::super::{Booking, BookingStatus};
use super::{BookingError, BookingService, ChangeKind, Result};

/// The longest message a coach may send with a cancellation, in characters.
pub const MAX_COACH_MESSAGE: usize = 2000;

impl BookingService {
    /// Every booking of the coach whose user is `coach_user`, by start.
    pub fn bookings_of_coach(&self, coach_user: &str) -> Result<Vec<Booking>> {
        let coach = self.coach_by_user(coach_user)?;
        Ok(self.bookings().of_coach(&coach.user)?)
    }

    /// The booking with `reference` (case does not matter), if it is
    /// `coach_user`'s: another coach's is [`BookingError::NotYours`], no
    /// booking at all [`BookingError::BookingNotFound`].
    pub fn coach_booking(&self, coach_user: &str, reference: &str) -> Result<Booking> {
        let coach = self.coach_by_user(coach_user)?;
        let find = |user: &str| -> Result<Option<Booking>> {
            Ok(self.bookings().of_coach(user)?.into_iter().find(|b| b.reference.eq_ignore_ascii_case(reference.trim())))
        };
        if let Some(b) = find(&coach.user)? {
            return Ok(b);
        }
        for other in self.coaches.iter().filter(|c| c.user != coach.user) {
            if find(&other.user)?.is_some() {
                return Err(BookingError::NotYours);
            }
        }
        Err(BookingError::BookingNotFound)
    }

    /// Confirms a booking that waits for the coach (Tentative → Confirmed).
    pub fn confirm_by_coach(&self, coach_user: &str, reference: &str) -> Result<Booking> {
        self.coach_change(coach_user, reference, None, |b, _, _| {
            if b.status != BookingStatus::Tentative {
                return Err(if b.is_active() { BookingError::NotAwaitingConfirmation } else { BookingError::BookingCancelled });
            }
            b.status = BookingStatus::Confirmed;
            b.sequence += 1;
            Ok(ChangeKind::ConfirmedByCoach)
        })
    }

    /// Declines a booking that waits for the coach: it is cancelled and
    /// the student gets a "Declined" mail (with `message`, if any).
    pub fn decline_by_coach(&self, coach_user: &str, reference: &str, message: Option<&str>) -> Result<Booking> {
        let message = clean_message(message)?;
        self.coach_change(coach_user, reference, message.as_deref(), |b, et, now| {
            if b.status != BookingStatus::Tentative {
                return Err(if b.is_active() { BookingError::NotAwaitingConfirmation } else { BookingError::BookingCancelled });
            }
            b.cancel(Actor::CoachDashboard { coach: b.coach.clone() }, now, et.cancel_notice);
            b.sequence += 1;
            Ok(ChangeKind::DeclinedByCoach)
        })
    }

    /// Cancels a booking; the student's mail carries `message`. A booking
    /// still waiting for confirmation is declined, as a cancellation of
    /// it in the calendar app would.
    pub fn cancel_by_coach(&self, coach_user: &str, reference: &str, message: Option<&str>) -> Result<Booking> {
        let message = clean_message(message)?;
        self.coach_change(coach_user, reference, message.as_deref(), |b, et, now| {
            if !b.is_active() {
                return Err(BookingError::BookingCancelled);
            }
            let kind = if b.status == BookingStatus::Tentative { ChangeKind::DeclinedByCoach } else { ChangeKind::CancelledByCoach };
            b.cancel(Actor::CoachDashboard { coach: b.coach.clone() }, now, et.cancel_notice);
            b.sequence += 1;
            Ok(kind)
        })
    }

    /// Records whether the student came; only once the session has
    /// started, and not for a cancelled booking. No mail.
    pub fn mark_attendance(&self, coach_user: &str, reference: &str, attendance: Attendance) -> Result<Booking> {
        self.coach_change(coach_user, reference, None, |b, _, now| {
            if !b.is_active() {
                return Err(BookingError::BookingCancelled);
            }
            if now < b.range.start {
                return Err(BookingError::NotStarted { start: b.range.start });
            }
            b.outcome.attendance = Some(attendance);
            Ok(ChangeKind::AttendanceMarked)
        })
    }

    /// Applies one dashboard change to the booking `reference` of
    /// `coach_user`: `change` edits the booking (or refuses) and names
    /// the kind of change.
    fn coach_change(
        &self,
        coach_user: &str,
        reference: &str,
        message: Option<&str>,
        change: impl FnOnce(&mut Booking, &EventType, DateTime<Utc>) -> Result<ChangeKind>,
    ) -> Result<Booking> {
        let decide = self.decide()?;
        let now = self.clock.now();
        let coach: &CoachConfig = self.coach_by_user(coach_user)?;
        let mut booking = self.coach_booking(coach_user, reference)?;
        let et = self.event_type(coach, &booking.event_type)?;
        let previous = booking.clone();
        let kind = change(&mut booking, et, now)?;
        let mut batch = self.booking_batch(coach, et, &booking, Some(&previous), now)?;
        let actor = Actor::CoachDashboard { coach: coach.user.clone() };
        let record = BookingChange { booking: &booking, previous: Some(&previous), kind, actor, coach, now, coach_message: message };
        batch.records.extend(self.hook_records(&record));
        self.apply_dropping_request(coach, &booking, batch, now)?;
        self.durable(decide)?;
        tracing::info!(reference = %booking.reference, ?kind, "booking changed on the dashboard");
        Ok(booking)
    }
}

/// A coach's message without control characters (line breaks stay),
/// trimmed; `None` when empty. Longer than [`MAX_COACH_MESSAGE`]:
/// [`BookingError::InvalidInput`].
pub(super) fn clean_message(message: Option<&str>) -> Result<Option<String>> {
    let Some(m) = message else { return Ok(None) };
    let cleaned: String = m.replace("\r\n", "\n").chars().filter(|c| !c.is_control() || *c == '\n').collect();
    let cleaned = cleaned.trim().to_string();
    if cleaned.chars().count() > MAX_COACH_MESSAGE {
        return Err(BookingError::InvalidInput { field: "message", reason: format!("the message is longer than {MAX_COACH_MESSAGE} characters") });
    }
    Ok(Some(cleaned).filter(|m| !m.is_empty()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_lose_control_characters_and_empty_ones_are_none() {
        assert_eq!(clean_message(Some(" Sorry,\r\nI am ill.\u{7} ")).unwrap().as_deref(), Some("Sorry,\nI am ill."));
        assert_eq!(clean_message(Some("  \n ")).unwrap(), None);
        assert_eq!(clean_message(None).unwrap(), None);
        let long = "x".repeat(MAX_COACH_MESSAGE + 1);
        assert!(matches!(clean_message(Some(&long)), Err(BookingError::InvalidInput { field: "message", .. })));
    }
}
