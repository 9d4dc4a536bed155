//! Reschedules the coach approves (issue 11 §3): with the event type's
//! `reschedule_requires_approval`, a student's reschedule becomes a
//! [`RescheduleRequest`]. The booking stays where it is; the requested
//! time is held for the request (the slot computation counts it as a hold,
//! [`BookingService::request_holds`]) and a TENTATIVE "Reschedule request"
//! VEVENT with its own UID is written into the coach's bookings calendar,
//! in the same batch as the request record and the hooks' records (the
//! coach's mail).
//!
//! The coach answers in their app or on the dashboard:
//! - approve: STATUS:CONFIRMED on the request event (CalDAV PUT; the PUT's
//!   batch marks the request approved, and [`BookingService::finish_approved_requests`],
//!   run after the write and by the sweep, moves the booking) or
//!   [`BookingService::approve_reschedule`]. The move is one batch: the
//!   booking record and its VEVENT (same UID, SEQUENCE + 1), the request
//!   record and its event removed, the student's update;
//! - decline: deleting or cancelling the request event, or
//!   [`BookingService::decline_reschedule`]; the student is told;
//! - nothing: the request lapses at the requested start minus the event
//!   type's `min_notice` ([`BookingService::sweep_reschedule_requests`],
//!   actor System); the student is told.
//!
//! The student sees the request on the manage page and in the API, and may
//! withdraw it ([`BookingService::withdraw_reschedule`]).
//!
//! Tables (this file alone knows them):
//! - `reschedule-request`: booking id → postcard [`RescheduleRequest`];
//! - `reschedule-request-uid`: `{coach user}/{request UID}` → booking id.
//!
//! Imports: storage, ical (`ical::write`), model, and the booking types.


use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::super::change::{Actor, BookingChange};
use super::super::coach::CoachConfig;
use super::super::holds::Hold;
use super::super::policy::EventType;
use super::super::{token, Booking};
use super::records::HoldRecord;
use super::{BookingError, BookingService, ChangeKind, Result};
use crate::ical::{CalendarObject, ComponentKind};
use crate::model::TimeRange;
use crate::storage::table::{RecordWrite, Table, TableValue};
use crate::storage::{CalendarWrite, ObjectChange, RecordKey, RecordWrites, ResourceWrite, StorePath, WriteCondition};

const REQUESTS: Table<RescheduleRequest> = Table::new("reschedule-request");
const T_REQUEST_UID: &str = "reschedule-request-uid";

/// A student's request to move a booking, waiting for the coach.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RescheduleRequest {
    pub booking_id: String,
    /// The coach's user name.
    pub coach: String,
    /// The booking's event type (the held slot's).
    pub event_type: String,
    /// UID of the request's own VEVENT in the coach's bookings calendar.
    pub uid: String,
    /// The requested time.
    pub range: TimeRange,
    /// Unanswered, it lapses here: the requested start minus `min_notice`.
    pub expires_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    /// The coach set the request event CONFIRMED; the move is pending
    /// ([`BookingService::finish_approved_requests`]).
    pub approved: bool,
}

impl TableValue for RescheduleRequest {
    const KIND: &'static str = "reschedule request";
}

impl RescheduleRequest {
    /// Whether the request still holds its time at `now`: approved ones
    /// until they are applied, others until they lapse.
    pub fn is_pending(&self, now: DateTime<Utc>) -> bool {
        self.approved || now < self.expires_at
    }

    /// The hold the slot computation counts for this request.
    fn as_hold(&self) -> HoldRecord {
        let expires_at = if self.approved { DateTime::<Utc>::MAX_UTC } else { self.expires_at };
        HoldRecord {
            coach: self.coach.clone(),
            hold: Hold {
                id: format!("reschedule-request:{}", self.booking_id),
                event_type: self.event_type.clone(),
                range: self.range,
                expires_at,
                student_email: None,
            },
            reschedule_of: Some(self.booking_id.clone()),
            client: None,
        }
    }

    fn put(&self) -> RecordWrites {
        vec![
            REQUESTS.put(self.booking_id.clone(), self),
            (RecordKey::new(T_REQUEST_UID, format!("{}/{}", self.coach, self.uid)), Some(self.booking_id.as_bytes().to_vec())),
        ]
    }

    fn remove(&self) -> RecordWrites {
        vec![REQUESTS.remove(self.booking_id.clone()), (RecordKey::new(T_REQUEST_UID, format!("{}/{}", self.coach, self.uid)), None)]
    }
}

/// When a request for `range` of `et` lapses.
pub fn request_expiry(et: &EventType, range: TimeRange) -> DateTime<Utc> {
    range.start - et.min_notice
}

/// The request's VEVENT in the coach's bookings calendar: TENTATIVE at
/// the requested time, its own UID, saying what approving it does.
pub fn request_vcalendar(et: &EventType, b: &Booking, req: &RescheduleRequest, manage_hint: &str, now: DateTime<Utc>) -> String {
    use crate::ical::write::{Component, Property};
    let description = format!(
        "{} asks to move booking {} ({}) from {} to this time.\nSet this event to confirmed to approve, or delete it to decline.\n{manage_hint}",
        b.student_name,
        b.reference,
        et.title,
        b.range.start.format("%Y-%m-%d %H:%M UTC"),
    );
    let event = Component::new("VEVENT")
        .with(Property::new_text("UID", &req.uid))
        .with(Property::utc("DTSTAMP", now))
        .with(Property::utc("DTSTART", req.range.start))
        .with(Property::utc("DTEND", req.range.end))
        .with(Property::new_text("SUMMARY", &format!("Reschedule request: {}: {}", et.title, b.student_name)))
        .with(Property::new_text("DESCRIPTION", &description))
        .with(Property::new("STATUS", "TENTATIVE"))
        .with(Property::new("SEQUENCE", "0"))
        .with(Property::new_text("X-SLOTDAV-REFERENCE", &b.reference));
    Component::calendar(None).with_child(event).to_ics()
}

/// What `slotdav check` finds wrong with the stored requests: a request
/// of a booking that is gone, or whose event is not in the coach's
/// bookings calendar (or does not parse). A request of a
/// cancelled booking or past its expiry is only waiting for the sweep.
pub(super) fn check_requests(
    storage: &dyn crate::storage::Storage,
    bookings: &[Booking],
    bookings_calendar: &dyn Fn(&str) -> Option<String>,
) -> crate::storage::Result<Vec<String>> {
    let mut problems = Vec::new();
    for (id, req) in REQUESTS.scan(storage, "")? {
        let who = format!("reschedule request of booking {id}");
        if !bookings.iter().any(|b| b.id == req.booking_id) {
            problems.push(format!("{who}: the booking does not exist"));
            continue;
        }
        let Some(name) = bookings_calendar(&req.coach) else { continue };
        let calendar = StorePath::home(&req.coach).child(&name);
        let object = match storage.object_by_uid(&calendar, &req.uid)? {
            Some(n) => storage.content(&calendar.child(&n))?,
            None => None,
        };
        match object.map(|bytes| CalendarObject::parse(&bytes)) {
            None => problems.push(format!("{who}: its event (UID {}) is not in {}", req.uid, calendar.joined())),
            Some(Err(e)) => problems.push(format!("{who}: its event does not parse: {e}")),
            // The coach may have edited it in their app; approving uses the request's time.
            Some(Ok(_)) => {}
        }
    }
    Ok(problems)
}

/// The answer to a student's reschedule.
#[derive(Debug, Clone)]
pub enum RescheduleAnswer {
    /// The booking moved.
    Moved(Booking),
    /// The coach is asked; the booking (unchanged) and the request.
    Requested { booking: Booking, request: RescheduleRequest },
}

impl RescheduleAnswer {
    pub fn booking(&self) -> &Booking {
        match self {
            RescheduleAnswer::Moved(b) | RescheduleAnswer::Requested { booking: b, .. } => b,
        }
    }
}

impl BookingService {
    /// The pending reschedule request of a booking, if any.
    pub fn reschedule_request(&self, booking: &Booking) -> Result<Option<RescheduleRequest>> {
        Ok(REQUESTS.get(&*self.storage, &booking.id)?)
    }

    /// Every stored request (a small table: one per booking at most).
    fn all_requests(&self) -> Result<Vec<RescheduleRequest>> {
        Ok(REQUESTS.scan(&*self.storage, "")?.into_iter().map(|(_, r)| r).collect())
    }

    /// Pending requests as holds: the slot computation and admission
    /// count them like any hold.
    pub(super) fn request_holds(&self, now: DateTime<Utc>) -> Result<Vec<HoldRecord>> {
        Ok(self.all_requests()?.into_iter().filter(|r| r.is_pending(now)).map(|r| r.as_hold()).collect())
    }

    fn bookings_calendar_path(&self, coach: &CoachConfig) -> StorePath {
        StorePath::home(&coach.user).child(&coach.bookings_calendar)
    }

    pub(super) fn request_by_uid(&self, coach: &CoachConfig, uid: &str) -> Result<Option<RescheduleRequest>> {
        let Some(id) = self.storage.record(&RecordKey::new(T_REQUEST_UID, format!("{}/{uid}", coach.user)))? else {
            return Ok(None);
        };
        Ok(REQUESTS.get(&*self.storage, &String::from_utf8_lossy(&id))?)
    }

    /// The booking as the request would make it (for the change hooks).
    fn proposed(booking: &Booking, req: &RescheduleRequest) -> Booking {
        let mut b = booking.clone();
        b.range = req.range;
        b
    }

    /// Writes a new request for `booking` to `range` (called by the
    /// student's reschedule under the decisions lock); `extra` are the
    /// records that go with it (the used hold's removal); `actor` is who
    /// asked (the student, or their guardian through the guardian's link).
    pub(super) fn place_request(
        &self,
        coach: &CoachConfig,
        et: &EventType,
        booking: &Booking,
        range: TimeRange,
        extra: Vec<RecordWrite>,
        actor: Actor,
        now: DateTime<Utc>,
    ) -> Result<RescheduleRequest> {
        if range == booking.range {
            return Err(BookingError::InvalidInput { field: "start", reason: "this is the time the session is booked for already".into() });
        }
        let expires_at = request_expiry(et, range);
        if expires_at <= now {
            return Err(BookingError::SlotUnavailable);
        }
        let req = RescheduleRequest {
            booking_id: booking.id.clone(),
            coach: coach.user.clone(),
            event_type: et.slug.clone(),
            uid: format!("{}@slotdav-request", token::new_id()),
            range,
            expires_at,
            created_at: now,
            approved: false,
        };
        let ics = request_vcalendar(et, booking, &req, "", now);
        let object = CalendarObject::parse(ics.as_bytes()).map_err(BookingError::InvalidEvent)?;
        let write = ResourceWrite {
            bytes: ics.into_bytes(),
            content_type: "text/calendar; charset=utf-8".into(),
            calendar: Some(CalendarWrite { uid: req.uid.clone(), kind: ComponentKind::Event, index: object.index_entry(now + chrono::Duration::days(800)) }),
        };
        let path = self.bookings_calendar_path(coach).child(&format!("{}.ics", req.uid.replace('@', "-")));
        let mut records = req.put();
        records.extend(extra);
        let proposed = Self::proposed(booking, &req);
        records.extend(self.hook_records(&BookingChange {
            booking: &proposed,
            previous: Some(booking),
            kind: ChangeKind::RescheduleRequested,
            actor,
            coach,
            now,
            coach_message: None,
        }));
        self.storage.apply(crate::storage::RecordBatch { records, object: Some(ObjectChange::Put { path, write, cond: WriteCondition::default() }) }, now)?;
        tracing::info!(reference = %booking.reference, "reschedule requested");
        Ok(req)
    }

    /// Applies a booking change's `batch`; when the change leaves the
    /// booking inactive (cancelled, declined) its pending request goes in
    /// the same write, with its event.
    pub(super) fn apply_dropping_request(&self, coach: &CoachConfig, booking: &Booking, batch: crate::storage::RecordBatch, now: DateTime<Utc>) -> Result<()> {
        let request = if booking.is_active() { None } else { self.reschedule_request(booking)? };
        let Some(req) = request else {
            self.storage.apply(batch, now)?;
            return Ok(());
        };
        let mut records = batch.records;
        records.extend(req.remove());
        let mut objects: Vec<ObjectChange> = batch.object.into_iter().collect();
        objects.extend(self.request_event_removal(coach, &req)?);
        self.storage.apply_objects(objects, records, now)?;
        Ok(())
    }

    /// The deletion of a request's event, if it is still there.
    fn request_event_removal(&self, coach: &CoachConfig, req: &RescheduleRequest) -> Result<Option<ObjectChange>> {
        let cal = self.bookings_calendar_path(coach);
        Ok(self.storage.object_by_uid(&cal, &req.uid)?.map(|name| ObjectChange::Delete { path: cal.child(&name), cond: WriteCondition::default() }))
    }

    /// The records that end a request without moving the booking, with
    /// the hooks' records for `kind` (declined, lapsed, withdrawn).
    fn ending_records(
        &self,
        coach: &CoachConfig,
        booking: &Booking,
        req: &RescheduleRequest,
        kind: ChangeKind,
        actor: Actor,
        message: Option<&str>,
        now: DateTime<Utc>,
    ) -> RecordWrites {
        let mut records = req.remove();
        if booking.is_active() {
            let proposed = Self::proposed(booking, req);
            records.extend(self.hook_records(&BookingChange { booking: &proposed, previous: Some(booking), kind, actor, coach, now, coach_message: message }));
        }
        records
    }

    /// Ends a request without moving the booking: its event goes, in the
    /// same batch as the records.
    fn end_request(
        &self,
        coach: &CoachConfig,
        booking: &Booking,
        req: &RescheduleRequest,
        kind: ChangeKind,
        actor: Actor,
        message: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let records = self.ending_records(coach, booking, req, kind, actor, message, now);
        let objects: Vec<ObjectChange> = self.request_event_removal(coach, req)?.into_iter().collect();
        self.storage.apply_objects(objects, records, now)?;
        Ok(())
    }

    /// Moves the booking to the request's time: the booking record and its
    /// VEVENT, the request and its event removed, the student's update,
    /// all in one batch. Returns the moved booking.
    fn apply_approval(&self, coach: &CoachConfig, booking: &Booking, req: &RescheduleRequest, actor: Actor, now: DateTime<Utc>) -> Result<Booking> {
        let et = self.event_type(coach, &booking.event_type)?;
        // The cancel deadline is the one of when the student asked.
        let moved = booking.moved_by_student(req.range, req.created_at, et.cancel_notice);
        let batch = self.booking_batch(coach, et, &moved, Some(booking), now)?;
        let mut records = batch.records;
        records.extend(req.remove());
        records.extend(self.hook_records(&BookingChange {
            booking: &moved,
            previous: Some(booking),
            kind: ChangeKind::RescheduleApproved,
            actor,
            coach,
            now,
            coach_message: None,
        }));
        let mut objects: Vec<ObjectChange> = self.request_event_removal(coach, req)?.into_iter().collect();
        objects.extend(batch.object);
        self.storage.apply_objects(objects, records, now)?;
        tracing::info!(reference = %moved.reference, "reschedule approved: the booking moved");
        Ok(moved)
    }

    /// The coach's pending request on the booking `reference`.
    fn coach_request(&self, coach_user: &str, reference: &str) -> Result<(&CoachConfig, Booking, RescheduleRequest)> {
        let coach = self.coach_by_user(coach_user)?;
        let booking = self.coach_booking(coach_user, reference)?;
        let req = self.reschedule_request(&booking)?.filter(|r| r.is_pending(self.clock.now())).ok_or(BookingError::NoRescheduleRequest)?;
        if !booking.is_active() {
            return Err(BookingError::BookingCancelled);
        }
        Ok((coach, booking, req))
    }

    /// The coach approves a booking's reschedule request on the dashboard.
    pub fn approve_reschedule(&self, coach_user: &str, reference: &str) -> Result<Booking> {
        let decide = self.decisions.lock().unwrap_or_else(|p| p.into_inner());
        let now = self.clock.now();
        let (coach, booking, req) = self.coach_request(coach_user, reference)?;
        let moved = self.apply_approval(coach, &booking, &req, Actor::CoachDashboard { coach: coach.user.clone() }, now)?;
        self.durable(decide)?;
        Ok(moved)
    }

    /// The coach declines a booking's reschedule request on the
    /// dashboard; the student's mail carries `message`.
    pub fn decline_reschedule(&self, coach_user: &str, reference: &str, message: Option<&str>) -> Result<Booking> {
        let message = super::coach_actions::clean_message(message)?;
        let decide = self.decisions.lock().unwrap_or_else(|p| p.into_inner());
        let now = self.clock.now();
        let (coach, booking, req) = self.coach_request(coach_user, reference)?;
        let actor = Actor::CoachDashboard { coach: coach.user.clone() };
        self.end_request(coach, &booking, &req, ChangeKind::RescheduleDeclined, actor, message.as_deref(), now)?;
        self.durable(decide)?;
        tracing::info!(reference = %booking.reference, "reschedule declined on the dashboard");
        Ok(booking)
    }

    /// The student withdraws their pending request.
    pub fn withdraw_reschedule(&self, manage_token: &str) -> Result<Booking> {
        let decide = self.decisions.lock().unwrap_or_else(|p| p.into_inner());
        let now = self.clock.now();
        let (booking, actor) = self.booking_to_change(manage_token)?;
        let req = self.reschedule_request(&booking)?.filter(|r| r.is_pending(now) && !r.approved).ok_or(BookingError::NoRescheduleRequest)?;
        let coach = self.coach_by_user(&booking.coach)?;
        self.end_request(coach, &booking, &req, ChangeKind::RescheduleWithdrawn, actor, None, now)?;
        self.durable(decide)?;
        tracing::info!(reference = %booking.reference, "reschedule request withdrawn");
        Ok(booking)
    }

    /// Moves the bookings whose requests the coach approved in their app
    /// (run after such a write, and by the sweep after a crash between).
    pub fn finish_approved_requests(&self) -> Result<usize> {
        let decide = self.decisions.lock().unwrap_or_else(|p| p.into_inner());
        let now = self.clock.now();
        let mut n = 0;
        for req in self.all_requests()?.into_iter().filter(|r| r.approved) {
            let Ok(coach) = self.coach_by_user(&req.coach) else { continue };
            let Some(booking) = self.load_booking(&req.booking_id)? else { continue };
            if !booking.is_active() {
                self.storage.apply_objects(self.request_event_removal(coach, &req)?.into_iter().collect(), req.remove(), now)?;
                continue;
            }
            self.apply_approval(coach, &booking, &req, Actor::CoachCalendar { coach: coach.user.clone() }, now)?;
            n += 1;
        }
        if n > 0 {
            self.durable(decide)?;
        }
        Ok(n)
    }

    /// Lapses unanswered requests past their expiry (actor System; the
    /// student is told), drops those of bookings no longer active, and
    /// finishes approved ones. Returns how many requests it ended.
    pub fn sweep_reschedule_requests(&self) -> Result<usize> {
        let mut n = self.finish_approved_requests()?;
        let decide = self.decisions.lock().unwrap_or_else(|p| p.into_inner());
        let now = self.clock.now();
        for req in self.all_requests()?.into_iter().filter(|r| !r.approved) {
            let Ok(coach) = self.coach_by_user(&req.coach) else { continue };
            let booking = self.load_booking(&req.booking_id)?;
            match booking {
                Some(b) if b.is_active() && now < req.expires_at => continue,
                Some(b) => {
                    let actor = Actor::System { cause: "reschedule request lapsed".into() };
                    self.end_request(coach, &b, &req, ChangeKind::RescheduleLapsed, actor, None, now)?;
                    tracing::info!(reference = %b.reference, "reschedule request lapsed");
                }
                None => self.storage.apply_objects(self.request_event_removal(coach, &req)?.into_iter().collect(), req.remove(), now)?,
            }
            n += 1;
        }
        if n > 0 {
            self.durable(decide)?;
        }
        Ok(n)
    }

    /// The coach's PUT of a request's event: STATUS:CONFIRMED approves it
    /// (the move follows the write, [`BookingService::finish_approved_requests`]),
    /// CANCELLED declines it; anything else is stored as the coach wrote it.
    /// `None`: the object is no request's.
    pub(super) fn reconcile_request_put(&self, coach: &CoachConfig, object: &CalendarObject) -> Result<Option<RecordWrites>> {
        let Some(mut req) = self.request_by_uid(coach, object.uid())? else { return Ok(None) };
        let now = self.clock.now();
        let Some(booking) = self.load_booking(&req.booking_id)? else { return Ok(Some(req.remove())) };
        match object.status().unwrap_or_default().as_str() {
            "CONFIRMED" if !req.approved && booking.is_active() => {
                req.approved = true;
                tracing::info!(reference = %booking.reference, "reschedule approved in the coach's calendar");
                Ok(Some(req.put()))
            }
            "CANCELLED" => {
                let actor = Actor::CoachCalendar { coach: coach.user.clone() };
                Ok(Some(self.ending_records(coach, &booking, &req, ChangeKind::RescheduleDeclined, actor, None, now)))
            }
            _ => Ok(Some(Vec::new())),
        }
    }

    /// The coach's DELETE of a request's event: it is declined.
    pub(super) fn reconcile_request_delete(&self, coach: &CoachConfig, uid: &str) -> Result<Option<RecordWrites>> {
        let Some(req) = self.request_by_uid(coach, uid)? else { return Ok(None) };
        let now = self.clock.now();
        let Some(booking) = self.load_booking(&req.booking_id)? else { return Ok(Some(req.remove())) };
        if req.approved {
            // Approved already; the move is pending and will remove the event anyway.
            return Ok(Some(Vec::new()));
        }
        let actor = Actor::CoachCalendar { coach: coach.user.clone() };
        tracing::info!(reference = %booking.reference, "reschedule declined: the coach deleted the request");
        Ok(Some(self.ending_records(coach, &booking, &req, ChangeKind::RescheduleDeclined, actor, None, now)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone};

    fn request(approved: bool) -> RescheduleRequest {
        let t = Utc.with_ymd_and_hms(2026, 5, 4, 9, 0, 0).unwrap();
        RescheduleRequest {
            booking_id: "b1".into(),
            coach: "anna".into(),
            event_type: "lesson".into(),
            uid: "r1@slotdav-request".into(),
            range: TimeRange::new(t, t + Duration::hours(1)),
            expires_at: t - Duration::hours(2),
            created_at: t - Duration::days(1),
            approved,
        }
    }

    #[test]
    fn a_request_lapses_at_its_start_minus_min_notice_unless_approved() {
        let mut et = EventType::new("lesson", "Lesson", Duration::hours(1));
        et.min_notice = Duration::hours(2);
        let r = request(false);
        assert_eq!(request_expiry(&et, r.range), r.expires_at);
        assert!(r.is_pending(r.expires_at - Duration::seconds(1)));
        assert!(!r.is_pending(r.expires_at));
        assert!(request(true).is_pending(r.range.end + Duration::days(1)), "approved: held until applied");
    }

    #[test]
    fn a_request_holds_its_time_for_its_booking() {
        let r = request(false);
        let h = r.as_hold();
        assert_eq!((h.hold.range, h.hold.expires_at, h.reschedule_of.as_deref(), h.coach.as_str()), (r.range, r.expires_at, Some("b1"), "anna"));
        assert!(h.hold.is_active(r.expires_at - Duration::seconds(1)));
        assert!(!h.hold.is_active(r.expires_at));
        assert!(request(true).as_hold().hold.is_active(r.range.end + Duration::days(100)));
    }

    #[test]
    fn the_request_record_round_trips_and_its_event_is_tentative_with_its_own_uid() {
        let r = request(false);
        let bytes = crate::storage::table::encode(&r);
        assert_eq!(<RescheduleRequest as TableValue>::decode(&bytes).unwrap(), r);
        let et = EventType::new("lesson", "Lesson", Duration::hours(1));
        let b = crate::booking::holds::tests::booking("b1", "lesson", TimeRange::new(r.range.start - Duration::days(1), r.range.end - Duration::days(1)), "s@x.org");
        let ics = request_vcalendar(&et, &b, &r, "", r.created_at);
        let o = CalendarObject::parse(ics.as_bytes()).unwrap();
        assert_eq!((o.uid(), o.status(), o.dtstart(), o.dtend()), ("r1@slotdav-request", Some("TENTATIVE".to_string()), Some(r.range.start), Some(r.range.end)));
        assert!(ics.contains("SUMMARY:Reschedule request: Lesson"));
        assert_ne!(o.uid(), b.uid);
    }

    /// For random sequences of requests, approvals (dashboard and
    /// calendar app), declines, withdrawals, cancellations and time
    /// passing with the sweep: no time is ever taken twice (bookings and
    /// pending requests of one seat never overlap), every booking record
    /// agrees with its VEVENT (`slotdav check`), and the bookings calendar
    /// holds exactly the bookings' events and the pending requests' ones.
    mod sequences {
        use std::sync::Arc;

        use proptest::prelude::*;

        use crate::booking::holds::HoldClient;
        use super::*;
        use crate::clock::{Clock, ManualClock};
        use crate::storage::{RecordBatch, Storage};

        const COACH: &str = r#"
[[coach]]
user = "anna"
display_name = "Anna"
timezone = "UTC"
working_hours = { mon = ["08:00-18:00"], tue = ["08:00-18:00"], wed = ["08:00-18:00"], thu = ["08:00-18:00"], fri = ["08:00-18:00"] }

[[coach.event_type]]
slug = "lesson"
title = "Lesson"
duration = "60m"
min_notice = "1h"
reschedule_requires_approval = true
"#;

        #[derive(Debug, Clone)]
        enum Op {
            Request { booking: usize, hour: u32 },
            ApproveOnDashboard(usize),
            ApproveInCalendar(usize),
            DeclineInCalendar(usize),
            Decline(usize),
            Withdraw(usize),
            Cancel(usize),
            Pass { minutes: i64 },
        }

        fn op() -> impl Strategy<Value = Op> {
            prop_oneof![
                3 => (0..3usize, 8..17u32).prop_map(|(booking, hour)| Op::Request { booking, hour }),
                1 => (0..3usize).prop_map(Op::ApproveOnDashboard),
                1 => (0..3usize).prop_map(Op::ApproveInCalendar),
                1 => (0..3usize).prop_map(Op::DeclineInCalendar),
                1 => (0..3usize).prop_map(Op::Decline),
                1 => (0..3usize).prop_map(Op::Withdraw),
                1 => (0..3usize).prop_map(Op::Cancel),
                1 => (30..300i64).prop_map(|minutes| Op::Pass { minutes }),
            ]
        }

        fn wed(hour: u32) -> DateTime<Utc> {
            Utc.with_ymd_and_hms(2030, 3, 6, hour, 0, 0).unwrap()
        }

        struct World {
            _dir: tempfile::TempDir,
            app: crate::app::App,
            clock: Arc<ManualClock>,
            tokens: Vec<String>,
        }

        fn world() -> World {
            let dir = tempfile::tempdir().unwrap();
            let clock = Arc::new(ManualClock::new(wed(6)));
            let storage: Arc<dyn Storage> = Arc::new(crate::storage::SledStorage::open(dir.path(), false, None).unwrap());
            let user = crate::storage::User { name: "anna".into(), password_hash: "x".into(), email: Some("anna@example.org".into()), created: clock.now() };
            storage.put_user(&user).unwrap();
            let mut config = crate::config::Config::parse(COACH, std::path::Path::new("c.toml")).unwrap();
            config.data_dir = dir.path().to_path_buf();
            let dyn_clock: Arc<dyn Clock> = clock.clone();
            let app = crate::app::App::new(storage, config, dyn_clock).unwrap();
            let mut tokens = Vec::new();
            for hour in [9, 11, 13] {
                let client = HoldClient::new("192.0.2.1".parse().unwrap(), None);
                let hold = app.booking.hold("anna", "lesson", wed(hour), None, &client).unwrap();
                let student = crate::booking::service::StudentDetails { name: "S".into(), email: format!("s{hour}@example.org"), note: String::new(), ..Default::default() };
                tokens.push(app.booking.manage_token(&app.booking.confirm(&hold.hold.id, student).unwrap()));
            }
            World { _dir: dir, app, clock, tokens }
        }

        impl World {
            fn coach(&self) -> &CoachConfig {
                self.app.booking.coach("anna").unwrap()
            }
            fn reference(&self, i: usize) -> String {
                self.app.booking.booking(&self.tokens[i]).unwrap().reference
            }
            fn request(&self, i: usize) -> Option<RescheduleRequest> {
                self.app.booking.reschedule_request(&self.app.booking.booking(&self.tokens[i]).unwrap()).unwrap()
            }
            /// The coach's app writes the request event with `status`.
            fn coach_edits_request(&self, i: usize, status: &str) {
                let Some(req) = self.request(i) else { return };
                let svc = &self.app.booking;
                let cal = svc.bookings_calendar_path(self.coach());
                let Some(name) = svc.storage.object_by_uid(&cal, &req.uid).unwrap() else { return };
                let text = String::from_utf8(svc.storage.content(&cal.child(&name)).unwrap().unwrap()).unwrap();
                let text = text.replace("STATUS:TENTATIVE", &format!("STATUS:{status}"));
                let object = CalendarObject::parse(text.as_bytes()).unwrap();
                let Some(records) = svc.reconcile_put(&cal, &object).unwrap() else { return };
                let write = ResourceWrite {
                    calendar: Some(CalendarWrite { uid: req.uid.clone(), kind: ComponentKind::Event, index: object.index_entry(wed(6) + chrono::Duration::days(800)) }),
                    bytes: text.into_bytes(),
                    content_type: "text/calendar".into(),
                };
                let put = ObjectChange::Put { path: cal.child(&name), write, cond: WriteCondition::default() };
                svc.storage.apply(RecordBatch { records, object: Some(put) }, self.clock.now()).unwrap();
                svc.finish_approved_requests().unwrap();
            }

            fn apply(&self, op: &Op) {
                let svc = &self.app.booking;
                // Refusals (taken, too late, nothing waits) are answers, not failures;
                // a storage error or an invalid event would be.
                let ok = |r: Result<()>| match r {
                    Err(BookingError::Storage(e)) => panic!("{op:?}: {e}"),
                    Err(BookingError::InvalidEvent(e)) => panic!("{op:?}: {e}"),
                    _ => {}
                };
                match op {
                    Op::Request { booking, hour } => ok((|| {
                        let b = svc.booking(&self.tokens[*booking])?;
                        let client = HoldClient::new("192.0.2.2".parse().unwrap(), None);
                        let hold = svc.hold("anna", "lesson", wed(*hour), Some(&b), &client)?;
                        svc.reschedule_or_request(&self.tokens[*booking], &hold.hold.id).map(|_| ())
                    })()),
                    Op::ApproveOnDashboard(i) => ok(svc.approve_reschedule("anna", &self.reference(*i)).map(|_| ())),
                    Op::ApproveInCalendar(i) => self.coach_edits_request(*i, "CONFIRMED"),
                    Op::DeclineInCalendar(i) => self.coach_edits_request(*i, "CANCELLED"),
                    Op::Decline(i) => ok(svc.decline_reschedule("anna", &self.reference(*i), None).map(|_| ())),
                    Op::Withdraw(i) => ok(svc.withdraw_reschedule(&self.tokens[*i]).map(|_| ())),
                    Op::Cancel(i) => ok(svc.cancel(&self.tokens[*i]).map(|_| ())),
                    Op::Pass { minutes } => {
                        self.clock.advance(chrono::Duration::minutes(*minutes));
                        svc.sweep_holds().unwrap();
                        svc.sweep_reschedule_requests().unwrap();
                    }
                }
            }

            fn check(&self, after: &Op) {
                let svc = &self.app.booking;
                let now = self.clock.now();
                let coach = self.coach();
                let bookings: Vec<Booking> = self.tokens.iter().map(|t| svc.booking(t).unwrap()).collect();
                // (time, whose): a request may overlap its own booking, nothing else.
                let mut taken: Vec<(TimeRange, &str)> = bookings.iter().filter(|b| b.is_active()).map(|b| (b.range, b.id.as_str())).collect();
                let requests: Vec<RescheduleRequest> = svc.all_requests().unwrap();
                for r in &requests {
                    let b = bookings.iter().find(|b| b.id == r.booking_id).unwrap();
                    assert!(b.is_active(), "after {after:?}: a request of a cancelled booking stays");
                    assert!(r.approved || now < r.expires_at + chrono::Duration::minutes(300), "after {after:?}: a lapsed request stays");
                    assert!(!r.approved, "after {after:?}: an approval was not applied");
                    assert_ne!(r.range, b.range, "after {after:?}: a request for the booked time");
                    if r.is_pending(now) {
                        taken.push((r.range, b.id.as_str()));
                    }
                }
                for (i, (a, a_of)) in taken.iter().enumerate() {
                    for (b, b_of) in &taken[i + 1..] {
                        let overlap = a.start < b.end && b.start < a.end;
                        assert!(!overlap || a_of == b_of, "after {after:?}: {a:?} and {b:?} overlap");
                    }
                }
                let calendars = |user: &str| (user == "anna").then(|| coach.bookings_calendar.clone());
                let report = crate::booking::service::check_bookings(&*svc.storage, &calendars, false, now).unwrap();
                assert!(report.problems.is_empty(), "after {after:?}: {:?}", report.problems);
                // A request event the coach cancelled in their app stays as they wrote it.
                let cal = svc.bookings_calendar_path(coach);
                let objects = svc
                    .storage
                    .children(&cal)
                    .unwrap()
                    .into_iter()
                    .filter(|(name, _)| {
                        let text = String::from_utf8(svc.storage.content(&cal.child(name)).unwrap().unwrap()).unwrap();
                        !(text.contains("SUMMARY:Reschedule request") && text.contains("STATUS:CANCELLED"))
                    })
                    .count();
                assert_eq!(objects, bookings.len() + requests.len(), "after {after:?}: the calendar holds the bookings' and the requests' events");
            }
        }

        proptest! {
            #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]
            #[test]
            fn requests_never_double_book_and_bookings_agree_with_their_events(ops in proptest::collection::vec(op(), 1..10)) {
                let w = world();
                for op in &ops {
                    w.apply(op);
                    w.check(op);
                }
            }
        }
    }
}
