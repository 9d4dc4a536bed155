//! The booking domain: which slots a student may book with a coach, and the
//! rules that keep bookings consistent. Pure: no HTTP, XML or storage types,
//! and time is always a parameter (`now`), never read from the clock.
//!
//! # Brief overview
//! - [`coach`]: [`coach::CoachConfig`]: a coach's rules plus their calendars.
//! - [`policy`]: [`Coach`], [`EventType`], working hours, duration syntax,
//!   cancel/reschedule notice rules.
//! - [`availability`]: availability calendar with working-hours fallback,
//!   busy time ([`BusyTime`], [`BusyDay`]), the coach's local calendar (DST).
//! - [`slots`]: free intervals → bookable [`Slot`]s on the coach-local grid.
//! - [`holds`]: short-lived [`Hold`]s and [`admit`], the check the storage
//!   layer runs inside its write lock so concurrent requests cannot overbook.
//! - [`token`]: booking ids, human reference codes, signed manage tokens.
//! - [`links`]: the base of absolute links for the request at hand.
//!
//! This module owns the persisted [`Booking`] record.

pub mod availability;
pub mod coach;
pub mod holds;
pub mod links;
pub mod policy;
pub mod service;
pub mod slots;
pub mod token;

pub use availability::{BusyDay, BusyTime};
pub use holds::{admit, Admission, Hold, SlotUnavailable};
pub use policy::{
    can_cancel, can_reschedule, parse_duration, Coach, EventType, PolicyError, TimeWindow, TooLate, WorkingHours,
};
pub use slots::{Slot, SlotQuery};

use crate::model::TimeRange;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Where a booking stands. Mirrors the VEVENT `STATUS` the booking writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum BookingStatus {
    /// Booked and confirmed (`STATUS:CONFIRMED`).
    Confirmed,
    /// Waiting for the coach to confirm (`STATUS:TENTATIVE`); still holds its seat.
    Tentative,
    /// Cancelled by either side (`STATUS:CANCELLED`); blocks nothing.
    Cancelled,
}

impl BookingStatus {
    /// The status a new booking of `event_type` starts in.
    pub fn initial(event_type: &EventType) -> Self {
        if event_type.requires_confirmation {
            BookingStatus::Tentative
        } else {
            BookingStatus::Confirmed
        }
    }
}

/// A student's booking with a coach, as persisted by storage (postcard).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Booking {
    /// Unguessable id (≥128 random bits, see [`token::new_id`]); signed into manage links.
    pub id: String,
    /// Short code humans read out, e.g. `ABCD-2345` (see [`token::new_reference`]).
    pub reference: String,
    /// The coach's user name.
    pub coach: String,
    /// Slug of the booked [`EventType`].
    pub event_type: String,
    /// When the appointment takes place (without buffers).
    pub range: TimeRange,
    pub student_name: String,
    pub student_email: String,
    pub student_note: Option<String>,
    pub status: BookingStatus,
    /// UID of the VEVENT written into the coach's calendar.
    pub uid: String,
    /// iCalendar `SEQUENCE` of that VEVENT; bumped on every significant change.
    pub sequence: u32,
    pub created_at: DateTime<Utc>,
    /// Price label of the event type at booking time.
    pub price: String,
}

impl Booking {
    /// Confirmed and tentative bookings occupy their slot; cancelled ones do not.
    pub fn is_active(&self) -> bool {
        self.status != BookingStatus::Cancelled
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn booking_round_trips_through_postcard() {
        let t = Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap();
        let booking = Booking {
            id: token::new_id(),
            reference: token::new_reference(),
            coach: "anna".into(),
            event_type: "trial".into(),
            range: TimeRange::new(t, t + chrono::Duration::minutes(30)),
            student_name: "Ben".into(),
            student_email: "ben@example.org".into(),
            student_note: Some("Grammar, please".into()),
            status: BookingStatus::Tentative,
            uid: "b-1@slotdav".into(),
            sequence: 2,
            created_at: t - chrono::Duration::days(1),
            price: "€40".into(),
        };
        let bytes = postcard::to_allocvec(&booking).unwrap();
        assert_eq!(postcard::from_bytes::<Booking>(&bytes).unwrap(), booking);
    }

    #[test]
    fn initial_status_follows_confirmation_policy() {
        let mut et = EventType::new("x", "X", chrono::Duration::minutes(30));
        assert_eq!(BookingStatus::initial(&et), BookingStatus::Confirmed);
        et.requires_confirmation = true;
        assert_eq!(BookingStatus::initial(&et), BookingStatus::Tentative);
    }
}
