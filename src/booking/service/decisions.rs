//! The decisions: open slots, holds, confirmations, the manage link,
//! cancellation and rescheduling by the student, and the sweep of expired
//! holds. Each decision that must not race takes the service's
//! `decisions` section (`BookingService::decide`) before it reads what it decides on, and lets go of it
//! once its write is applied, before waiting for the write to be on disk
//! ([`BookingService::durable`]): the next decision already sees the write,
//! and concurrent confirmations share one flush (group commit).

use chrono::{DateTime, Duration, Utc};

use super::super::change::{Actor, BookingChange, HoldChange, HoldChangeKind};
use super::super::coach::CoachConfig;
use super::super::guardian::{check_guardian, GuardianInput};
use super::super::holds::{admit, within_client_cap, Admission, Hold, HoldClient};
use super::super::policy::{can_reschedule, EventType};
use super::super::slots::{Slot, SlotQuery};
use super::super::{token, Booking, BookingStatus};
use super::records::{BookingStore, HoldRecord, HoldStore};
use crate::storage::ExclusiveGuard;
use super::{BookingError, BookingService, ChangeKind, Result, StudentDetails};
use crate::ical::{CalendarObject, ComponentKind};
use crate::model::TimeRange;
use crate::storage::{CalendarWrite, ObjectChange, RecordBatch, ResourceWrite, StorePath, WriteCondition};

impl BookingService {
    /// Ends a decision whose write is applied: releases the decisions
    /// lock, then returns once the write is on disk. Holding the lock
    /// through the flush would give every decision its own fsync; released,
    /// decisions that come in meanwhile wait on the same flush. No answer
    /// goes out before its write is durable, and a later write is durable
    /// only with every earlier one, so a decision made on a write that is
    /// not on disk yet is never acknowledged before that write is.
    pub(super) fn durable(&self, decide: ExclusiveGuard) -> Result<()> {
        drop(decide);
        self.storage.flush()?;
        Ok(())
    }

    // ----- slots -----

    /// Open slots of an event type that start within `range`.
    pub fn slots(&self, coach_slug: &str, type_slug: &str, range: TimeRange) -> Result<Vec<Slot>> {
        let coach = self.coach(coach_slug)?;
        let et = self.event_type(coach, type_slug)?;
        self.slots_for(coach, et, range, None, &[])
    }

    /// Open slots, as if the booking `ignore_booking` and the holds
    /// `ignore_holds` were not there.
    pub(super) fn slots_for(
        &self,
        coach: &CoachConfig,
        et: &EventType,
        range: TimeRange,
        ignore_booking: Option<&str>,
        ignore_holds: &[String],
    ) -> Result<Vec<Slot>> {
        self.slots_where(coach, et, range, ignore_booking, &|b| Some(b.id.as_str()) != ignore_booking, &|h| !ignore_holds.contains(&h.id))
    }

    /// Open slots counting only the bookings and holds `keep_booking` and
    /// `keep_hold` keep (the waitlist asks whether a slot is full, or
    /// would open with some of them gone).
    pub(super) fn slots_where(
        &self,
        coach: &CoachConfig,
        et: &EventType,
        range: TimeRange,
        ignore_booking: Option<&str>,
        keep_booking: &dyn Fn(&Booking) -> bool,
        keep_hold: &dyn Fn(&Hold) -> bool,
    ) -> Result<Vec<Slot>> {
        let now = self.clock.now();
        let from = range.start.max(now + et.min_notice);
        let to = range.end.min(now + et.horizon + Duration::seconds(1));
        if from >= to {
            return Ok(Vec::new());
        }
        // Look a little wider for what blocks: buffers and whole local days.
        let margin = et.buffer_before.max(et.buffer_after) + et.duration + Duration::days(2);
        let wide = TimeRange::new(from - margin, to + margin);
        let availability = self.availability_events(coach, wide)?;
        let declared = self.declared_hours(coach, wide)?;
        let (busy_times, busy_days) = self.busy(coach, wide)?;
        // (D) Caps per week/month and breaks count bookings further away.
        let pacing_margin = super::super::pacing::load_margin(&coach.policy);
        let counted = TimeRange::new(from - pacing_margin, to + pacing_margin);
        let bookings: Vec<Booking> = self.bookings_in(coach, counted)?.into_iter().filter(|b| keep_booking(b)).collect();
        let holds: Vec<Hold> = self.active_holds(coach, now)?.into_iter().map(|h| h.hold).filter(|h| keep_hold(h)).collect();
        let query = SlotQuery {
            coach: &coach.policy,
            event_type: et,
            availability: &availability,
            declared: declared.as_ref(),
            busy_times: &busy_times,
            busy_days: &busy_days,
            bookings: &bookings,
            holds: &holds,
            except: ignore_booking,
        };
        Ok(query.slots(TimeRange::new(from, to), now))
    }

    // ----- holds and bookings -----

    /// Holds the slot of `type_slug` starting at `start` for `client`.
    /// With `reschedule_of`, the hold is for moving that booking. The
    /// client's previous hold of this event type from the same browser
    /// session is released in the same write; beyond
    /// [`BookingLimits::max_holds_per_client`] open holds the answer is
    /// [`BookingError::TooManyHolds`].
    pub fn hold(
        &self,
        coach_slug: &str,
        type_slug: &str,
        start: DateTime<Utc>,
        reschedule_of: Option<&Booking>,
        client: &HoldClient,
    ) -> Result<HoldRecord> {
        let coach = self.coach(coach_slug)?;
        let et = self.event_type(coach, type_slug)?;
        let decide = self.decide()?;
        let now = self.clock.now();
        let range = TimeRange::new(start, start + et.duration);
        let holds = self.all_active_holds(now)?;
        let replaced_holds = same_browser_holds(coach, et, client, &holds);
        let replaced: Vec<String> = replaced_holds.iter().map(|r| r.hold.id.clone()).collect();
        let probe = TimeRange::new(start, start + Duration::seconds(1));
        let open = self.slots_for(coach, et, probe, reschedule_of.map(|b| b.id.as_str()), &replaced)?;
        if !open.iter().any(|s| s.range == range) || self.has_waiting(coach, et, start)? {
            return Err(BookingError::SlotUnavailable);
        }
        let (rec, mut records) = self.place_hold(coach, et, range, reschedule_of, client, now, &holds, &replaced_holds)?;
        records.extend(self.release_series_holds(&replaced)?);
        self.storage.apply(RecordBatch { records, object: None }, now)?;
        self.durable(decide)?;
        Ok(rec)
    }

    /// The hold `client` takes on `range` and the records that place it:
    /// the hold, the removal of `replaced` (the same browser's previous
    /// hold of this event type) and the hold hooks' records. Refused with
    /// [`BookingError::TooManyHolds`] past the client's cap.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn place_hold(
        &self,
        coach: &CoachConfig,
        et: &EventType,
        range: TimeRange,
        reschedule_of: Option<&Booking>,
        client: &HoldClient,
        now: DateTime<Utc>,
        holds: &[HoldRecord],
        replaced_holds: &[&HoldRecord],
    ) -> Result<(HoldRecord, crate::storage::RecordWrites)> {
        let replaced: Vec<String> = replaced_holds.iter().map(|r| r.hold.id.clone()).collect();
        let cap = self.limits.max_holds_per_client;
        if !within_client_cap(client, holds.iter().map(|r| (&r.hold, r.client.as_ref())), &replaced, cap, now) {
            tracing::info!(client = %client.network, limit = cap, "hold refused: too many open holds");
            return Err(BookingError::TooManyHolds { limit: cap });
        }
        let hold = Hold {
            id: token::new_id(),
            event_type: et.slug.clone(),
            range,
            expires_at: now + et.hold_ttl,
            student_email: None,
        };
        let rec = HoldRecord {
            coach: coach.user.clone(),
            hold,
            reschedule_of: reschedule_of.map(|b| b.id.clone()),
            client: Some(client.clone()),
        };
        let mut records = vec![HoldStore::put(&rec)];
        records.extend(replaced.into_iter().map(HoldStore::remove));
        let actor = Actor::Student { email: String::new() };
        for old in replaced_holds {
            records.extend(self.hold_hook_records(&HoldChange { hold: old, kind: HoldChangeKind::Replaced, actor: actor.clone(), now }));
        }
        records.extend(self.hold_hook_records(&HoldChange { hold: &rec, kind: HoldChangeKind::Placed, actor, now }));
        Ok((rec, records))
    }

    /// A hold by id, with its coach and event type.
    pub fn hold_info(&self, hold_id: &str) -> Result<(HoldRecord, &CoachConfig, &EventType)> {
        let rec = self.holds().get(hold_id)?.ok_or(BookingError::HoldNotFound)?;
        let coach = self.coach_by_user(&rec.coach)?;
        let et = self.event_type(coach, &rec.hold.event_type)?;
        Ok((rec, coach, et))
    }

    /// Turns a hold into a booking: the record and the VEVENT in the
    /// coach's bookings calendar are written together.
    pub fn confirm(&self, hold_id: &str, student: StudentDetails) -> Result<Booking> {
        self.confirm_with_answers(hold_id, student, &std::collections::BTreeMap::new())
    }

    /// (D) [`Self::confirm`] with the student's answers to the event type's
    /// questions (question id → answer), checked by
    /// [`crate::booking::questions::check_answers`] and stored in the
    /// `booking-details` table in the booking's batch.
    pub fn confirm_with_answers(&self, hold_id: &str, student: StudentDetails, given: &std::collections::BTreeMap<String, String>) -> Result<Booking> {
        self.confirm_with_guardian(hold_id, student, given, None)
    }

    /// [`Self::confirm_with_answers`] with (issue 11 §4) the guardian the
    /// form or the API gave, checked against the event type's `guardian`
    /// ([`BookingError::InvalidInput`] naming `guardian`) and stored with
    /// the booking.
    pub fn confirm_with_guardian(
        &self,
        hold_id: &str,
        student: StudentDetails,
        given: &std::collections::BTreeMap<String, String>,
        guardian: Option<&GuardianInput>,
    ) -> Result<Booking> {
        let student = validate_student(student)?;
        let guardian = {
            let (_, _, et) = self.hold_info(hold_id)?;
            super::super::questions::check_answers(&et.questions, given).map_err(BookingError::InvalidAnswer)?;
            check_guardian(et.guardian, guardian, &student.email, valid_email)
                .map_err(|r| BookingError::InvalidInput { field: "guardian", reason: r.reason })?
        };
        let decide = self.decide()?;
        let now = self.clock.now();
        let (rec, coach, et) = self.hold_info(hold_id)?;
        let answers = super::super::questions::check_answers(&et.questions, given).map_err(BookingError::InvalidAnswer)?;
        if !rec.hold.is_active(now) {
            return Err(BookingError::HoldExpired);
        }
        if rec.reschedule_of.is_some() {
            return Err(BookingError::HoldNotFound);
        }
        if et.once_per_student && self.has_booking(coach, et, &student.email)? {
            return Err(BookingError::AlreadyBooked);
        }
        let limit = self.limits.max_upcoming_per_email;
        if self.upcoming_bookings(coach, &student.email, now)? >= limit as usize {
            tracing::info!(coach = %coach.user, limit, "booking refused: too many upcoming bookings for one email address");
            return Err(BookingError::TooManyBookings { limit });
        }
        if let Some(sh) = self.series_hold(&rec.hold.id)? {
            return self.confirm_series(decide, rec, sh, coach, et, student, guardian, answers, now);
        }
        // Admission against everything else that is active (not this hold).
        let margin = super::super::pacing::load_margin(&coach.policy);
        let wide = TimeRange::new(rec.hold.range.start - margin, rec.hold.range.end + margin);
        let bookings = self.bookings_in(coach, wide)?;
        let holds: Vec<Hold> =
            self.active_holds(coach, now)?.into_iter().map(|h| h.hold).filter(|h| h.id != rec.hold.id).collect();
        let request = Admission { event_type: et, range: rec.hold.range, student_email: None, replaces: None };
        admit(&coach.policy, &request, &holds, &bookings, now).map_err(|_| BookingError::SlotUnavailable)?;
        let booking = Booking {
            id: token::new_id(),
            reference: token::new_reference(),
            coach: coach.user.clone(),
            event_type: et.slug.clone(),
            range: rec.hold.range,
            student_name: student.name,
            student_email: student.email,
            student_note: Some(student.note).filter(|n| !n.is_empty()),
            status: BookingStatus::initial(et),
            uid: format!("{}@slotdav", token::new_id()),
            sequence: 0,
            created_at: now,
            price: et.price.clone(),
            cancel_deadline: None,
            outcome: Default::default(),
            guardian,
            locale: student.locale.tag().to_string(),
        };
        // (D) The answers are read by the VEVENT and the hooks' mail before they are stored.
        let mut batch = self.with_pending_answers(&booking.id, &answers, || -> Result<RecordBatch> {
            let mut batch = self.booking_batch(coach, et, &booking, None, now)?;
            let actor = Actor::Student { email: booking.student_email.clone() };
            batch.records.extend(self.hook_records(&BookingChange { booking: &booking, previous: None, kind: ChangeKind::Booked, actor, coach, now, coach_message: None }));
            Ok(batch)
        })?;
        batch.records.push(HoldStore::remove(rec.hold.id.clone()));
        if !answers.is_empty() {
            batch.records.push(super::details::put(&booking.id, &super::details::BookingDetails { answers }));
        }
        self.storage.apply(batch, now)?;
        self.durable(decide)?;
        tracing::info!(coach = %coach.user, reference = %booking.reference, "booked");
        Ok(booking)
    }

    fn has_booking(&self, coach: &CoachConfig, et: &EventType, email: &str) -> Result<bool> {
        Ok(self
            .bookings()
            .of_coach(&coach.user)?
            .iter()
            .any(|b| b.is_active() && b.event_type == et.slug && b.student_email.eq_ignore_ascii_case(email)))
    }

    /// Active bookings with `coach` under `email` that have not ended by
    /// `now`; a series counts once (its occurrences share one UID).
    fn upcoming_bookings(&self, coach: &CoachConfig, email: &str, now: DateTime<Utc>) -> Result<usize> {
        Ok(self
            .bookings()
            .of_coach(&coach.user)?
            .iter()
            .filter(|b| b.is_active() && b.range.end > now && b.student_email.eq_ignore_ascii_case(email))
            .map(|b| b.uid.clone())
            .collect::<std::collections::HashSet<_>>()
            .len())
    }

    /// The records and VEVENT that store `booking` (replacing `previous`).
    pub(super) fn booking_batch(&self, coach: &CoachConfig, et: &EventType, booking: &Booking, previous: Option<&Booking>, now: DateTime<Utc>) -> Result<RecordBatch> {
        if let Some(series) = self.series_of(&booking.id)? {
            return self.occurrence_batch(coach, et, &series, booking, previous, now);
        }
        let records = BookingStore::put(&coach.user, booking, previous);
        let calendar = StorePath::home(&coach.user).child(&coach.bookings_calendar);
        let name = self.storage.object_by_uid(&calendar, &booking.uid)?.unwrap_or_else(|| format!("{}.ics", booking.uid.replace('@', "-")));
        let ics = self.booking_ics(coach, et, booking);
        let object = CalendarObject::parse(ics.as_bytes()).map_err(BookingError::InvalidEvent)?;
        let horizon = now + Duration::days(800);
        let write = ResourceWrite {
            bytes: ics.into_bytes(),
            content_type: "text/calendar; charset=utf-8".into(),
            calendar: Some(CalendarWrite { uid: booking.uid.clone(), kind: ComponentKind::Event, index: object.index_entry(horizon) }),
        };
        Ok(RecordBatch { records, object: Some(ObjectChange::Put { path: calendar.child(&name), write, cond: WriteCondition::default() }) })
    }

    pub(super) fn load_booking(&self, id: &str) -> Result<Option<Booking>> {
        Ok(self.bookings().get(id)?)
    }

    /// The manage link's token of a booking.
    pub fn manage_token(&self, booking: &Booking) -> String {
        token::sign(&booking.id, &self.secret)
    }

    pub fn manage_url(&self, booking: &Booking) -> String {
        format!("{}/book/manage/{}", super::super::links::base(&self.public_url), self.manage_token(booking))
    }

    /// The booking a manage token stands for.
    /// The student's or (issue 11 §4) the guardian's token; see
    /// [`BookingService::manage_access`] for whose it is.
    pub fn booking(&self, manage_token: &str) -> Result<Booking> {
        Ok(self.manage_access(manage_token)?.0)
    }

    /// Cancels a booking on the student's request, within the notice rules.
    pub fn cancel(&self, manage_token: &str) -> Result<Booking> {
        let decide = self.decide()?;
        let now = self.clock.now();
        let (mut booking, actor) = self.booking_to_change(manage_token)?;
        if !booking.is_active() {
            return Err(BookingError::BookingCancelled);
        }
        let coach = self.coach_by_user(&booking.coach)?;
        let et = self.event_type(coach, &booking.event_type)?;
        booking.can_cancel(now, et.cancel_notice).map_err(|t| BookingError::TooLate { deadline: t.deadline })?;
        let previous = booking.clone();
        booking.cancel(actor.clone(), now, et.cancel_notice);
        booking.sequence += 1;
        let mut batch = self.booking_batch(coach, et, &booking, Some(&previous), now)?;
        let change = BookingChange { booking: &booking, previous: Some(&previous), kind: ChangeKind::CancelledByStudent, actor, coach, now, coach_message: None };
        batch.records.extend(self.hook_records(&change));
        self.apply_dropping_request(coach, &booking, batch, now)?;
        self.durable(decide)?;
        tracing::info!(reference = %booking.reference, "cancelled by student");
        Ok(booking)
    }

    /// Moves a booking to the slot of a reschedule hold. Same UID, SEQUENCE
    /// incremented. With `reschedule_requires_approval`, the booking stays
    /// and a request waits for the coach ([`BookingService::reschedule_or_request`]).
    pub fn reschedule(&self, manage_token: &str, hold_id: &str) -> Result<Booking> {
        Ok(self.reschedule_or_request(manage_token, hold_id)?.booking().clone())
    }

    /// A student's reschedule: the booking moves, or, for an event type
    /// with `reschedule_requires_approval`, a request for the coach is
    /// written (`requests`).
    pub fn reschedule_or_request(&self, manage_token: &str, hold_id: &str) -> Result<super::RescheduleAnswer> {
        let decide = self.decide()?;
        let now = self.clock.now();
        let (booking, actor) = self.booking_to_change(manage_token)?;
        let (rec, coach, et) = self.hold_info(hold_id)?;
        // A hold may move another occurrence of the token's series.
        let booking = match rec.reschedule_of.as_deref() {
            Some(id) if id == booking.id => booking,
            Some(id) if self.series_of(&booking.id)?.is_some_and(|s| s.occurrences.iter().any(|o| o.booking_id == id)) => {
                self.load_booking(id)?.ok_or(BookingError::BookingNotFound)?
            }
            _ => return Err(BookingError::HoldNotFound),
        };
        if !booking.is_active() {
            return Err(BookingError::BookingCancelled);
        }
        if self.reschedule_request(&booking)?.is_some_and(|r| r.is_pending(now)) {
            return Err(BookingError::ReschedulePending);
        }
        if !rec.hold.is_active(now) {
            return Err(BookingError::HoldExpired);
        }
        can_reschedule(booking.range.start, now, et.reschedule_notice).map_err(|t| BookingError::TooLate { deadline: t.deadline })?;
        let margin = super::super::pacing::load_margin(&coach.policy);
        let wide = TimeRange::new(rec.hold.range.start - margin, rec.hold.range.end + margin);
        let bookings: Vec<Booking> = self.bookings_in(coach, wide)?.into_iter().filter(|b| b.id != booking.id).collect();
        let holds: Vec<Hold> =
            self.active_holds(coach, now)?.into_iter().map(|h| h.hold).filter(|h| h.id != rec.hold.id).collect();
        let request = Admission { event_type: et, range: rec.hold.range, student_email: None, replaces: None };
        admit(&coach.policy, &request, &holds, &bookings, now).map_err(|_| BookingError::SlotUnavailable)?;
        if et.reschedule_requires_approval {
            let request = self.place_request(coach, et, &booking, rec.hold.range, vec![HoldStore::remove(rec.hold.id.clone())], actor, now)?;
            self.durable(decide)?;
            return Ok(super::RescheduleAnswer::Requested { booking, request });
        }
        let previous = booking;
        let booking = previous.moved_by_student(rec.hold.range, now, et.cancel_notice);
        let mut batch = self.booking_batch(coach, et, &booking, Some(&previous), now)?;
        batch.records.push(HoldStore::remove(rec.hold.id.clone()));
        let change = BookingChange { booking: &booking, previous: Some(&previous), kind: ChangeKind::Rescheduled, actor, coach, now, coach_message: None };
        batch.records.extend(self.hook_records(&change));
        self.storage.apply(batch, now)?;
        self.durable(decide)?;
        tracing::info!(reference = %booking.reference, "rescheduled by student");
        Ok(super::RescheduleAnswer::Moved(booking))
    }

    /// Removes expired holds (they already free their slot by themselves;
    /// this only keeps the table small). Each expiry goes to the hold
    /// hooks as the system's doing, in the same batch.
    pub fn sweep_holds(&self) -> Result<usize> {
        // Inside the decisions section: a hold a decision replaces meanwhile
        // is not also swept (two audit entries for one hold).
        let decide = self.decide()?;
        let now = self.clock.now();
        let mut batch = RecordBatch::default();
        let mut n = 0;
        for (key, rec) in self.holds().all()? {
            if !rec.hold.is_active(now) {
                batch.records.push(HoldStore::remove(key));
                let actor = Actor::System { cause: "hold expiry".into() };
                batch.records.extend(self.hold_hook_records(&HoldChange { hold: &rec, kind: HoldChangeKind::Expired, actor, now }));
                n += 1;
            }
        }
        batch.records.extend(self.lapsed_series_holds(now)?);
        if !batch.records.is_empty() {
            self.storage.apply(batch, now)?;
        }
        drop(decide);
        // Offers that lapsed pass on; seats that freed go to who waits.
        if let Err(e) = self.sweep_waitlists() {
            tracing::warn!(error = %e, "sweeping waitlists failed");
        }
        Ok(n)
    }
}

/// The holds of `et` the same browser session took before (a new one
/// replaces them).
pub(super) fn same_browser_holds<'h>(coach: &CoachConfig, et: &EventType, client: &HoldClient, holds: &'h [HoldRecord]) -> Vec<&'h HoldRecord> {
    holds
        .iter()
        .filter(|r| r.coach == coach.user && r.hold.event_type == et.slug)
        .filter(|r| client.session.is_some() && r.client.as_ref().and_then(|c| c.session.as_ref()) == client.session.as_ref())
        .collect()
}

pub(super) fn validate_student(s: StudentDetails) -> Result<StudentDetails> {
    let clean = |t: &str| t.chars().filter(|c| !c.is_control() || *c == '\n').collect::<String>().trim().to_string();
    let name = clean(&s.name).replace('\n', " ");
    let email = s.email.trim().to_string();
    let note = clean(&s.note);
    if name.is_empty() || name.chars().count() > 200 {
        return Err(BookingError::InvalidInput { field: "name", reason: "please give your name (at most 200 characters)".into() });
    }
    if !valid_email(&email) {
        return Err(BookingError::InvalidInput { field: "email", reason: format!("`{email}` is not an email address") });
    }
    if note.chars().count() > 2000 {
        return Err(BookingError::InvalidInput { field: "note", reason: "the note is longer than 2000 characters".into() });
    }
    Ok(StudentDetails { name, email, note, locale: s.locale })
}

/// A plain `local@domain.tld` address without spaces or header-breaking
/// characters.
pub fn valid_email(email: &str) -> bool {
    if email.len() > 254 || email.chars().any(|c| c.is_whitespace() || c.is_control() || "<>()[],;:\"\\".contains(c)) {
        return false;
    }
    let Some((local, domain)) = email.rsplit_once('@') else { return false };
    !local.is_empty() && domain.contains('.') && !domain.starts_with('.') && !domain.ends_with('.') && !domain.contains('@')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_validation() {
        assert!(valid_email("ann@example.org"));
        assert!(!valid_email("ann@example"));
        assert!(!valid_email("ann example@x.org"));
        assert!(!valid_email("ann@x.org\r\nBcc: eve@x.org"));
        assert!(!valid_email("@x.org"));
    }

    #[test]
    fn student_details_are_cleaned() {
        let s = validate_student(StudentDetails { name: " Ann\r\nBcc: x ".into(), email: "ann@example.org".into(), note: "hi".into(), ..Default::default() }).unwrap();
        assert_eq!(s.name, "Ann Bcc: x");
        assert!(validate_student(StudentDetails { name: "".into(), email: "ann@example.org".into(), note: "".into(), ..Default::default() }).is_err());
    }
}
