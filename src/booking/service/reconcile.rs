//! The coach's side of two-way sync: a coach's PUT or DELETE of a
//! booking's event in their bookings calendar moves, confirms or cancels
//! the booking in the same batch as the write. Called through a write
//! hook; the two entry points keep their signatures. A series' VEVENT is
//! handed to the `series` room, which updates each occurrence.

use super::super::coach::CoachConfig;
use super::super::change::{Actor, BookingChange};
use super::super::{Booking, BookingStatus};
use super::records::BookingStore;
use super::{BookingService, ChangeKind, Result};
use crate::ical::CalendarObject;
use crate::model::TimeRange;
use crate::storage::{RecordWrites, StorePath};

impl BookingService {

    /// The text to store instead of a coach's PUT of `object` into
    /// `calendar`, when the coach's object says a cancelled booking is on:
    /// for a series (issue 11 §2), a date whose occurrence the student (or
    /// the coach) already cancelled stays cancelled in what is stored
    /// (`series::series_stored_form`). `None`: stored as sent.
    pub fn stored_form(&self, calendar: &StorePath, object: &CalendarObject) -> Result<Option<String>> {
        let Some((coach, booking)) = self.booking_for_object(calendar, object.uid())? else { return Ok(None) };
        match self.series_of(&booking.id)? {
            Some(series) => self.series_stored_form(coach, &series, object),
            None => Ok(None),
        }
    }

    /// Records to write with a coach's PUT of `object` into `calendar`:
    /// when the object is a booking's event, the booking follows it
    /// (cancelled, confirmed, moved). `None` when it is not a booking.
    pub fn reconcile_put(&self, calendar: &StorePath, object: &CalendarObject) -> Result<Option<RecordWrites>> {
        if let Some(coach) = self.bookings_calendar_owner(calendar) {
            if let Some(records) = self.reconcile_request_put(coach, object)? {
                return Ok(Some(records));
            }
        }
        let Some((coach, mut booking)) = self.booking_for_object(calendar, object.uid())? else { return Ok(None) };
        if let Some(series) = self.series_of(&booking.id)? {
            return Ok(Some(self.reconcile_series_put(coach, &series, object)?));
        }
        let now = self.clock.now();
        let previous = booking.clone();
        let status = object.status().unwrap_or_default();
        let mut kind = None;
        if status == "CANCELLED" {
            if booking.is_active() {
                booking.cancel(Actor::CoachCalendar { coach: coach.user.clone() }, now, self.cancel_notice(coach, &booking));
                kind = Some(declined_or_cancelled(&previous));
            }
        } else if booking.is_active() {
            if status == "CONFIRMED" && booking.status == BookingStatus::Tentative {
                booking.status = BookingStatus::Confirmed;
                kind = Some(ChangeKind::ConfirmedByCoach);
            } else if status == "TENTATIVE" && booking.status == BookingStatus::Confirmed {
                booking.status = BookingStatus::Tentative;
            }
            if let (Some(start), Some(end)) = (object.dtstart(), object.dtend()) {
                if TimeRange::new(start, end) != booking.range {
                    booking.range = TimeRange::new(start, end);
                    kind = Some(ChangeKind::MovedByCoach);
                }
            }
        }
        booking.sequence = booking.sequence.max(object.sequence().max(0) as u32);
        if kind.is_some() {
            booking.sequence = booking.sequence.max(previous.sequence + 1);
        }
        let mut records = BookingStore::update(&coach.user, &booking, &previous);
        if let Some(kind) = kind {
            tracing::info!(reference = %booking.reference, ?kind, "booking follows the coach's calendar");
            let actor = Actor::CoachCalendar { coach: coach.user.clone() };
            records.extend(self.hook_records(&BookingChange { booking: &booking, previous: Some(&previous), kind, actor, coach, now, coach_message: None }));
        }
        Ok(Some(records))
    }

    /// Records to write with a coach's DELETE of a booking's event: the
    /// booking is cancelled.
    pub fn reconcile_delete(&self, calendar: &StorePath, uid: &str) -> Result<Option<RecordWrites>> {
        if let Some(coach) = self.bookings_calendar_owner(calendar) {
            if let Some(records) = self.reconcile_request_delete(coach, uid)? {
                return Ok(Some(records));
            }
        }
        let Some((coach, mut booking)) = self.booking_for_object(calendar, uid)? else { return Ok(None) };
        if let Some(series) = self.series_of(&booking.id)? {
            return Ok(Some(self.reconcile_series_delete(coach, &series)?));
        }
        if !booking.is_active() {
            return Ok(None);
        }
        let now = self.clock.now();
        let previous = booking.clone();
        let actor = Actor::CoachCalendar { coach: coach.user.clone() };
        booking.cancel(actor.clone(), now, self.cancel_notice(coach, &booking));
        booking.sequence += 1;
        let mut records = BookingStore::save(&booking);
        let change = BookingChange { booking: &booking, previous: Some(&previous), kind: declined_or_cancelled(&previous), actor, coach, now, coach_message: None };
        records.extend(self.hook_records(&change));
        tracing::info!(reference = %booking.reference, "booking cancelled: the coach deleted its event");
        Ok(Some(records))
    }

    /// The coach whose bookings calendar `calendar` is.
    fn bookings_calendar_owner(&self, calendar: &StorePath) -> Option<&CoachConfig> {
        self.coaches.iter().find(|c| calendar.len() == 2 && calendar.owner() == c.user && calendar.name() == c.bookings_calendar)
    }

    pub(super) fn booking_for_object(&self, calendar: &StorePath, uid: &str) -> Result<Option<(&CoachConfig, Booking)>> {
        let Some(coach) = self.bookings_calendar_owner(calendar) else {
            return Ok(None);
        };
        let Some(id) = self.bookings().id_by_uid(&coach.user, uid)? else {
            return Ok(None);
        };
        Ok(self.load_booking(&id)?.map(|b| (coach, b)))
    }
}

impl BookingService {
    /// The cancel notice of a booking's event type (zero when the type
    /// is no longer configured): what makes a cancellation late.
    fn cancel_notice(&self, coach: &CoachConfig, booking: &Booking) -> chrono::Duration {
        self.event_type(coach, &booking.event_type).map(|et| et.cancel_notice).unwrap_or_else(|_| chrono::Duration::zero())
    }
}

/// A coach who cancels a booking still waiting for their confirmation
/// declines it; any other cancellation by the coach is a cancellation.
fn declined_or_cancelled(previous: &Booking) -> ChangeKind {
    if previous.status == BookingStatus::Tentative {
        ChangeKind::DeclinedByCoach
    } else {
        ChangeKind::CancelledByCoach
    }
}
