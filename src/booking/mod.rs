//! The booking domain: which slots a student may book with a coach, and the
//! rules that keep bookings consistent. The rules (`policy`,
//! `availability`, `slots`, `holds`, `token`) are pure: no HTTP, XML or
//! storage types, and time is always a parameter (`now`). [`service`]
//! applies them to the store: it reads the clock and owns the booking
//! records ([`service`]'s `records` room); its [`service::BookingError`] is
//! what the web pages and the JSON API answer (through `web::errors`).
//!
//! # Brief overview
//! - [`coach`]: [`coach::CoachConfig`]: a coach's rules plus their calendars.
//! - [`policy`]: [`Coach`], [`EventType`], working hours, duration syntax,
//!   cancel/reschedule notice rules.
//! - [`availability`]: availability calendar with working-hours fallback,
//!   busy time ([`BusyTime`], [`BusyDay`]), the coach's local calendar (DST).
//! - [`slots`]: free intervals → bookable [`Slot`]s on the coach-local grid.
//! - [`holds`]: short-lived [`Hold`]s and [`admit`], the check the booking
//!   service runs under its decisions mutex so concurrent requests cannot
//!   overbook.
//! - [`service`]: [`service::BookingService`], the rules applied to the
//!   store and the clock.
//! - [`questions`]: (D) the booking form's questions and the check of answers.
//! - [`pacing`]: (D) weekly/monthly and coach-level caps, breaks.
//! - [`token`]: booking ids, human reference codes, signed manage tokens.
//! - [`links`]: the base of absolute links for the request at hand.
//! - [`fact`]: [`fact::BookingFact`], the few facts of a booking that
//!   analytics reads, kept beside each record.
//! - [`guardian`]: guardians who follow a student's bookings (issue 11 §4).
//! - [`waitlist`]: waitlists of full slots: entries, order, who gets a
//!   freed seat (issue 11 §1).
//! - [`richtext`]: a coach's bio and an event type's description: plain
//!   text or a small Markdown subset, as a block model the pages render.
//! - [`location`]: where an event type's sessions take place (address,
//!   phone, video, a video link per booking) and its iCalendar form.
//! - [`change`]: [`change::BookingChange`] handed to the hooks, the
//!   [`change::Actor`] who made it, a booking's [`change::Outcome`].
//!
//! This module owns the persisted [`Booking`] record and its decoding
//! from older layouts ([`Booking::decode`]).

pub mod availability;
pub mod change;
pub mod coach;
pub mod fact;
pub mod guardian;
pub mod holds;
pub mod links;
pub mod location;
pub mod pacing;
pub mod policy;
pub mod questions;
pub mod richtext;
pub mod series;
pub mod service;
pub mod slots;
pub mod token;
pub mod waitlist;

pub use availability::{BusyDay, BusyTime};
pub use change::{Actor, Attendance, BookingChange, Cancellation, ChangeKind, Outcome};
pub use holds::{admit, Admission, Hold, HoldClient, SlotUnavailable};
pub use policy::{
    by_deadline, can_cancel, can_reschedule, parse_duration, Coach, EventType, Pacing, PolicyError, TimeWindow, TooLate, WorkingHours,
};
pub use slots::{Slot, SlotQuery};

use crate::model::TimeRange;
use chrono::{DateTime, Duration, Utc};
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
    /// A cancel deadline carried over by a reschedule made after the
    /// booking could no longer be cancelled: moving a session must not
    /// reopen its cancellation (issue 14, finding 10). `None`: only the
    /// event type's `cancel_notice` before `range.start` applies. Added
    /// last, so records written before it still decode ([`Booking::decode`]).
    pub cancel_deadline: Option<DateTime<Utc>>,
    /// Who cancelled it and whether the student came. Added after
    /// `cancel_deadline`; older records decode with the default.
    pub outcome: Outcome,
    /// The parent or guardian who follows this booking (issue 11 §4).
    /// Added after `outcome`; older records decode with none.
    pub guardian: Option<guardian::Guardian>,
    /// The language the student booked in, a tag (`de`, `en-US`; issue 12
    /// §5): their mails and the booking's calendar texts are written in
    /// it. Added after `outcome`; older records decode as English (`en`).
    pub locale: String,
}

/// The record layout before `locale`.
#[derive(Deserialize)]
struct BookingV3 {
    id: String,
    reference: String,
    coach: String,
    event_type: String,
    range: TimeRange,
    student_name: String,
    student_email: String,
    student_note: Option<String>,
    status: BookingStatus,
    uid: String,
    sequence: u32,
    created_at: DateTime<Utc>,
    price: String,
    cancel_deadline: Option<DateTime<Utc>>,
    outcome: Outcome,
}

/// The language of bookings made before they had one.
const ENGLISH: &str = "en";

/// The record layout before `outcome`.
#[derive(Deserialize)]
struct BookingV2 {
    id: String,
    reference: String,
    coach: String,
    event_type: String,
    range: TimeRange,
    student_name: String,
    student_email: String,
    student_note: Option<String>,
    status: BookingStatus,
    uid: String,
    sequence: u32,
    created_at: DateTime<Utc>,
    price: String,
    cancel_deadline: Option<DateTime<Utc>>,
}

/// The record layout before `cancel_deadline` (postcard is not
/// self-describing, so a missing trailing field is a decoding error).
#[derive(Deserialize)]
struct BookingV1 {
    id: String,
    reference: String,
    coach: String,
    event_type: String,
    range: TimeRange,
    student_name: String,
    student_email: String,
    student_note: Option<String>,
    status: BookingStatus,
    uid: String,
    sequence: u32,
    created_at: DateTime<Utc>,
    price: String,
}

impl Booking {
    /// Confirmed and tentative bookings occupy their slot; cancelled ones do not.
    pub fn is_active(&self) -> bool {
        self.status != BookingStatus::Cancelled
    }

    /// The last instant the student may cancel online: `cancel_notice`
    /// before the start, or the carried-over deadline if that is earlier.
    pub fn cancel_deadline(&self, cancel_notice: Duration) -> DateTime<Utc> {
        let by_notice = self.range.start - cancel_notice;
        self.cancel_deadline.map_or(by_notice, |carried| carried.min(by_notice))
    }

    /// Whether the student may cancel at `now`.
    pub fn can_cancel(&self, now: DateTime<Utc>, cancel_notice: Duration) -> Result<(), TooLate> {
        policy::by_deadline(self.cancel_deadline(cancel_notice), now)
    }

    /// The booking's state after a student moves it to `range` at `now`:
    /// if it could no longer be cancelled, it keeps that deadline; if it
    /// could, the new time's notice applies (cancelling and booking anew
    /// would have given the same).
    pub fn moved_by_student(&self, range: TimeRange, now: DateTime<Utc>, cancel_notice: Duration) -> Booking {
        let mut moved = self.clone();
        moved.cancel_deadline = self.can_cancel(now, cancel_notice).err().map(|t| t.deadline);
        moved.range = range;
        moved.sequence += 1;
        moved
    }

    /// Decodes a stored record, in the current layout or an older one.
    pub fn decode(bytes: &[u8]) -> Result<Booking, postcard::Error> {
        let current = match postcard::from_bytes::<Booking>(bytes) {
            Ok(b) => return Ok(b),
            Err(e) => e,
        };
        if let Ok(v3) = postcard::from_bytes::<BookingV3>(bytes) {
            return Ok(Booking {
                id: v3.id,
                reference: v3.reference,
                coach: v3.coach,
                event_type: v3.event_type,
                range: v3.range,
                student_name: v3.student_name,
                student_email: v3.student_email,
                student_note: v3.student_note,
                status: v3.status,
                uid: v3.uid,
                sequence: v3.sequence,
                created_at: v3.created_at,
                price: v3.price,
                cancel_deadline: v3.cancel_deadline,
                outcome: v3.outcome,
                guardian: None,
                locale: ENGLISH.into(),
            });
        }
        if let Ok(v2) = postcard::from_bytes::<BookingV2>(bytes) {
            return Ok(Booking {
                id: v2.id,
                reference: v2.reference,
                coach: v2.coach,
                event_type: v2.event_type,
                range: v2.range,
                student_name: v2.student_name,
                student_email: v2.student_email,
                student_note: v2.student_note,
                status: v2.status,
                uid: v2.uid,
                sequence: v2.sequence,
                created_at: v2.created_at,
                price: v2.price,
                cancel_deadline: v2.cancel_deadline,
                outcome: Outcome::default(),
                guardian: None,
                locale: ENGLISH.into(),
            });
        }
        let v1: BookingV1 = postcard::from_bytes(bytes).map_err(|_| current)?;
        Ok(Booking {
            id: v1.id,
            reference: v1.reference,
            coach: v1.coach,
            event_type: v1.event_type,
            range: v1.range,
            student_name: v1.student_name,
            student_email: v1.student_email,
            student_note: v1.student_note,
            status: v1.status,
            uid: v1.uid,
            sequence: v1.sequence,
            created_at: v1.created_at,
            price: v1.price,
            cancel_deadline: None,
            outcome: Outcome::default(),
            guardian: None,
            locale: ENGLISH.into(),
        })
    }

    /// Marks the booking cancelled by `by` at `now`; `late` when after
    /// the cancel deadline of `cancel_notice`.
    pub fn cancel(&mut self, by: Actor, now: DateTime<Utc>, cancel_notice: Duration) {
        let late = now > self.cancel_deadline(cancel_notice);
        self.status = BookingStatus::Cancelled;
        self.outcome.cancelled = Some(Cancellation { at: now, by, late });
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
            cancel_deadline: Some(t - chrono::Duration::hours(3)),
            outcome: Outcome {
                cancelled: Some(Cancellation { at: t, by: Actor::CoachDashboard { coach: "anna".into() }, late: true }),
                attendance: Some(Attendance::NoShow),
            },
            guardian: Some(guardian::Guardian { name: "Pat Parent".into(), email: "pat@example.org".into() }),
            locale: "de".into(),
        };
        let bytes = postcard::to_allocvec(&booking).unwrap();
        assert_eq!(Booking::decode(&bytes).unwrap(), booking);
    }

    /// Records written before `locale` existed (issue 12 §5) decode as
    /// English, with everything else kept.
    #[test]
    fn a_record_of_the_third_layout_decodes_as_english() {
        let t = Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap();
        let mut booking = holds::tests::booking("b1", "trial", TimeRange::new(t, t + chrono::Duration::minutes(30)), "ben@example.org");
        booking.cancel_deadline = Some(t);
        booking.outcome.attendance = Some(Attendance::Attended);
        booking.locale = "fr".into();
        let mut bytes = postcard::to_allocvec(&booking).unwrap();
        bytes.truncate(bytes.len() - postcard::to_allocvec(&booking.locale).unwrap().len());
        assert_eq!(Booking::decode(&bytes).unwrap(), Booking { locale: "en".into(), ..booking.clone() });
        assert_eq!(Booking::decode(&postcard::to_allocvec(&booking).unwrap()).unwrap().locale, "fr");
    }

    /// Records written before `cancel_deadline` existed still decode.
    #[test]
    fn a_record_of_the_first_layout_decodes_without_a_carried_deadline() {
        let t = Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap();
        let mut booking = holds::tests::booking("b1", "trial", TimeRange::new(t, t + chrono::Duration::minutes(30)), "ben@example.org");
        booking.cancel_deadline = Some(t);
        let mut bytes = postcard::to_allocvec(&booking).unwrap();
        bytes.truncate(bytes.len() - postcard::to_allocvec(&booking.guardian).unwrap().len() - postcard::to_allocvec(&booking.locale).unwrap().len());
        bytes.truncate(bytes.len() - postcard::to_allocvec(&booking.outcome).unwrap().len());
        bytes.truncate(bytes.len() - postcard::to_allocvec(&booking.cancel_deadline).unwrap().len());
        assert_eq!(Booking::decode(&bytes).unwrap(), Booking { cancel_deadline: None, ..booking });
        assert!(Booking::decode(&bytes[..bytes.len() - 1]).is_err());
    }

    /// Records written before `outcome` existed decode with the default.
    #[test]
    fn a_record_of_the_second_layout_decodes_with_no_outcome() {
        let t = Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap();
        let mut booking = holds::tests::booking("b1", "trial", TimeRange::new(t, t + chrono::Duration::minutes(30)), "ben@example.org");
        booking.cancel_deadline = Some(t);
        booking.outcome.attendance = Some(Attendance::Attended);
        let mut bytes = postcard::to_allocvec(&booking).unwrap();
        bytes.truncate(bytes.len() - postcard::to_allocvec(&booking.guardian).unwrap().len() - postcard::to_allocvec(&booking.locale).unwrap().len());
        bytes.truncate(bytes.len() - postcard::to_allocvec(&booking.outcome).unwrap().len());
        assert_eq!(Booking::decode(&bytes).unwrap(), Booking { outcome: Outcome::default(), ..booking });
    }

    /// Records written before `guardian` existed decode without one, and
    /// keep their outcome.
    #[test]
    fn a_record_of_the_third_layout_decodes_without_a_guardian() {
        let t = Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap();
        let mut booking = holds::tests::booking("b1", "trial", TimeRange::new(t, t + chrono::Duration::minutes(30)), "ben@example.org");
        booking.outcome.attendance = Some(Attendance::NoShow);
        let mut bytes = postcard::to_allocvec(&booking).unwrap();
        bytes.truncate(bytes.len() - postcard::to_allocvec(&booking.guardian).unwrap().len());
        assert_eq!(Booking::decode(&bytes).unwrap(), booking);
        let with = Booking { guardian: Some(guardian::Guardian { name: "Pat".into(), email: "pat@x.org".into() }), ..booking };
        assert_eq!(Booking::decode(&postcard::to_allocvec(&with).unwrap()).unwrap(), with);
    }

    #[test]
    fn a_cancellation_after_the_deadline_is_late() {
        let start = Utc.with_ymd_and_hms(2026, 5, 5, 7, 0, 0).unwrap();
        let notice = chrono::Duration::hours(24);
        let mut b = holds::tests::booking("b1", "x", TimeRange::new(start, start + chrono::Duration::hours(1)), "a@x.org");
        b.cancel(Actor::CoachCalendar { coach: "anna".into() }, start - chrono::Duration::hours(2), notice);
        assert_eq!(b.status, BookingStatus::Cancelled);
        assert!(b.outcome.cancelled.as_ref().unwrap().late);
        let mut early = holds::tests::booking("b2", "x", TimeRange::new(start, start + chrono::Duration::hours(1)), "a@x.org");
        early.cancel(Actor::Student { email: "a@x.org".into() }, start - chrono::Duration::hours(30), notice);
        assert!(!early.outcome.cancelled.as_ref().unwrap().late);
    }

    #[test]
    fn moving_a_booking_past_its_cancel_deadline_keeps_that_deadline() {
        let start = Utc.with_ymd_and_hms(2026, 5, 5, 7, 0, 0).unwrap();
        let notice = chrono::Duration::hours(24);
        let b = holds::tests::booking("b1", "x", TimeRange::new(start, start + chrono::Duration::hours(1)), "a@x.org");
        let later = TimeRange::new(start + chrono::Duration::days(7), start + chrono::Duration::days(7) + chrono::Duration::hours(1));
        // Still cancellable: the new time's notice applies.
        let early = b.moved_by_student(later, start - chrono::Duration::hours(30), notice);
        assert_eq!(early.cancel_deadline(notice), later.start - notice);
        // Too late to cancel: the old deadline stays, across further moves.
        let late = b.moved_by_student(later, start - chrono::Duration::hours(13), notice);
        assert_eq!(late.cancel_deadline(notice), start - notice);
        assert!(late.can_cancel(start - chrono::Duration::hours(13), notice).is_err());
        let again = late.moved_by_student(b.range, start - chrono::Duration::hours(12), notice);
        assert_eq!(again.cancel_deadline(notice), start - notice);
        assert_eq!(again.sequence, 2);
    }

    #[test]
    fn initial_status_follows_confirmation_policy() {
        let mut et = EventType::new("x", "X", chrono::Duration::minutes(30));
        assert_eq!(BookingStatus::initial(&et), BookingStatus::Confirmed);
        et.requires_confirmation = true;
        assert_eq!(BookingStatus::initial(&et), BookingStatus::Tentative);
    }
}
