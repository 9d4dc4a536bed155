//! [`BookingService`]: the booking rules applied to the store. It gathers
//! availability and busy time from the coach's calendars through the
//! time-range index, keeps holds and booking records, and writes each
//! booking's VEVENT into the coach's bookings calendar in the same atomic
//! batch as the record, so the coach's phone and the booking never
//! disagree. Unlike the pure rules beside it (`policy`, `slots`, `holds`),
//! the service reads the clock and the store.
//!
//! Decisions that must not race (hold, confirm, reschedule, cancel, the
//! coach's dashboard actions, series, waitlists, reschedule requests, the
//! sweeps) run inside the store's exclusive section [`DECISIONS_SCOPE`]
//! (`Storage::exclusive`, taken by [`BookingService::decide`]), so of many
//! concurrent requests for one slot, in every process sharing the store,
//! exactly as many succeed as there are seats; the store's batch then
//! writes each decision atomically. One scope for every coach, not one per
//! coach: the per-client hold cap and the waitlist sweep span coaches.
//!
//! [`BookingLimits`] keep one client from occupying the calendar: a few open
//! holds per client address, a browser's new hold of an event type
//! replacing its previous one, and a cap on one email's upcoming bookings.
//!
//! Rooms: this file (the service, its errors and its hook), [`calendars`]
//! (reading the coach's calendars), [`readers`] (bookings and open time
//! for analytics), [`decisions`] (slots, holds, bookings,
//! cancel, reschedule), [`coach_actions`] (what the coach does on the
//! dashboard: confirm, decline, cancel with a message, attendance),
//! [`reconcile`] (the coach's edits in their calendar),
//! [`event`] (the booking's VEVENT), [`requests`] (reschedules the
//! coach approves, issue 11 §3), [`series`] (recurring sessions:
//! the series records, holding and booking every date, the coach's edits
//! of the series' VEVENT), [`guardians`] (issue 11 §4: the guardian's
//! manage link, read-only or not), [`records`] (the booking and hold
//! stores and their key layouts), [`check`] (the bookings' invariants for
//! `slotdav check`), [`busy_cache`] (the busy occurrences of the coach's
//! calendars kept between slot computations, by calendar revision). Imports: storage, ical, model, clock and
//! the booking rules; nothing of the HTTP surfaces or mail.

mod busy_cache;
mod calendars;
mod check;
mod coach_actions;
mod decisions;
mod event;
mod guardians;
mod readers;
/// (D) private event types' secret links.
pub mod private_links;
/// (D) a booking's answers to the form's questions.
pub mod details;
mod reconcile;
mod records;
mod requests;
mod series;
mod waitlist;

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};

use super::coach::CoachConfig;
use super::policy::EventType;
use super::change::{BookingChange, HoldChange};
use crate::clock::Clock;
use crate::storage::{ExclusiveGuard, RecordWrites, Storage, StorageError};

pub use super::change::ChangeKind;
pub use self::check::{booking_exists, check_bookings};
pub use self::coach_actions::MAX_COACH_MESSAGE;
pub use self::decisions::valid_email;
pub use self::event::booking_vcalendar;
pub use self::readers::CoachTime;
pub use self::records::HoldRecord;
pub use self::requests::{RescheduleAnswer, RescheduleRequest};
pub use self::series::{KeptOccurrence, OccurrenceView, SeriesCancellation, SeriesMove, SeriesRecord};
pub use self::event::series_vcalendar;
pub use self::waitlist::MAX_WAITING_PER_SLOT;
use self::records::BookingStore;

/// What went wrong with a booking request, in the student's terms. The
/// pages and the JSON API answer them through one table,
/// `web::errors::booking_answer`; the status each becomes is noted here.
#[derive(Debug, thiserror::Error)]
pub enum BookingError {
    /// No coach with this slug (or the booking's coach is gone). (404)
    #[error("no such coach")]
    UnknownCoach,
    /// The coach offers no event type with this slug. (404)
    #[error("no such event type")]
    UnknownEventType,
    /// The time is taken, held, or not offered (any more). (409)
    #[error("this time is no longer available")]
    SlotUnavailable,
    /// Some dates of a series are not free (issue 11 §2); the student may
    /// skip them and try again. (409 `slot_unavailable` with `conflicts`)
    #[error("some dates of this series are not available")]
    SeriesConflicts { conflicts: Vec<DateTime<Utc>> },
    /// The hold's few minutes are over. (410)
    #[error("the hold has expired")]
    HoldExpired,
    /// No such hold, or it cannot be used this way. (404)
    #[error("no such hold")]
    HoldNotFound,
    /// The manage token names no booking. (404)
    #[error("no such booking")]
    BookingNotFound,
    /// The booking is already cancelled. (409)
    #[error("the booking is cancelled")]
    BookingCancelled,
    /// (D) An answer to a booking form question does not pass. (422
    /// `invalid_input`, the message names the question)
    #[error("question `{}` ({}): {}", .0.question, .0.label, .0.reason)]
    InvalidAnswer(crate::booking::questions::AnswerError),
    /// A student's detail does not pass; `field` names it. (422)
    #[error("invalid {field}: {reason}")]
    InvalidInput { field: &'static str, reason: String },
    /// The event type is once per student and this email has one. (409)
    #[error("you already have a booking of this kind with this coach")]
    AlreadyBooked,
    /// The notice period for a change is over. (409)
    #[error("too late: changes were possible until {deadline}")]
    TooLate { deadline: DateTime<Utc> },
    /// The client address already keeps `limit` holds open
    /// ([`BookingLimits::max_holds_per_client`]). (429)
    #[error("too many open holds from your address (at most {limit}); book or let one lapse first")]
    TooManyHolds { limit: u32 },
    /// The email address already has `limit` upcoming bookings with this
    /// coach ([`BookingLimits::max_upcoming_per_email`]). (409)
    #[error("this email address already has {limit} upcoming bookings with this coach")]
    TooManyBookings { limit: u32 },
    /// The booking's VEVENT, as we generated it, does not parse: our bug,
    /// not the student's. (500)
    #[error("generated booking event is invalid: {0}")]
    InvalidEvent(#[source] crate::ical::Error),
    /// The booking belongs to another coach than the signed-in one. (403)
    #[error("this booking belongs to another coach")]
    NotYours,
    /// The coach confirmed or declined a booking that is not waiting for
    /// confirmation. (409)
    #[error("the booking is not waiting for confirmation")]
    NotAwaitingConfirmation,
    /// Attendance was marked before the session started. (409)
    #[error("the session has not started yet (it starts at {start})")]
    NotStarted { start: DateTime<Utc> },
    /// A reschedule request of this booking already waits for the coach;
    /// withdraw it first (issue 11 §3). (409)
    #[error("a reschedule request already waits for the coach; withdraw it first")]
    ReschedulePending,
    /// There is no pending reschedule request to approve, decline or
    /// withdraw. (409)
    #[error("there is no pending reschedule request")]
    NoRescheduleRequest,
    // --- waitlists (issue 11 §1, part A) ---
    /// A waitlist join for a slot that can be booked now. (409 `slot_available`)
    #[error("this time can be booked now; no need to wait")]
    SlotAvailable,
    /// This email already waits for this slot. (409 `already_waiting`)
    #[error("you are already on the waitlist for this time")]
    AlreadyWaiting,
    /// The event type takes no waitlist, or the time is not a slot it
    /// offers at all. (409 `no_waitlist`)
    #[error("there is no waitlist for this time")]
    NoWaitlist,
    /// The slot's list has [`waitlist::MAX_WAITING_PER_SLOT`] people. (409 `waitlist_full`)
    #[error("the waitlist for this time is full")]
    WaitlistFull,
    /// No waitlist entry has this token. (404)
    #[error("no such waitlist entry")]
    WaitlistNotFound,
    /// A claim while no seat is offered to this entry. (409 `not_offered`)
    #[error("no seat is offered to you (yet)")]
    NotOffered,
    /// A claim after the offer lapsed. (410 `offer_expired`)
    #[error("the offer has expired")]
    OfferExpired,
    // --- end waitlists ---
    /// (issue 11 §4) A guardian's manage link of an event type with
    /// `guardian_can_manage = false` tried to cancel or move the booking.
    /// (403 `read_only`)
    #[error("this link shows the booking only; it cannot change it")]
    ReadOnly,
    /// The store refused or failed: a full home (`QuotaExceeded`, 507)
    /// or a storage failure (500). Never a 4xx.
    #[error(transparent)]
    Storage(#[from] StorageError),
}

pub type Result<T> = std::result::Result<T, BookingError>;

/// A student's details for a confirmation.
#[derive(Debug, Clone, Default)]
pub struct StudentDetails {
    pub name: String,
    pub email: String,
    pub note: String,
    /// The language the student booked in (issue 12 §5): their mails and
    /// the booking's calendar texts use it.
    pub locale: crate::i18n::Locale,
}

/// Caps that keep one client from occupying a coach's calendar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BookingLimits {
    /// Open holds one client network (IPv4 address, IPv6 /64) may keep.
    pub max_holds_per_client: u32,
    /// Upcoming (not yet ended, not cancelled) bookings one email address
    /// may have with one coach.
    pub max_upcoming_per_email: u32,
}

impl Default for BookingLimits {
    fn default() -> Self {
        BookingLimits { max_holds_per_client: 3, max_upcoming_per_email: 10 }
    }
}

/// Extra records a booking change writes in its batch (mail, audit,
/// webhooks); registered at start-up, each by the layer that owns them.
pub type ChangeHook = dyn Fn(&BookingChange) -> RecordWrites + Send + Sync;

/// Extra records a hold change writes in its batch (the audit trail).
pub type HoldHook = dyn Fn(&HoldChange) -> RecordWrites + Send + Sync;

/// Extra records a waitlist change writes in its batch (mail, audit,
/// webhooks), registered with [`BookingService::add_waitlist_hook`].
pub type WaitlistHook = dyn Fn(&super::waitlist::WaitlistChange) -> RecordWrites + Send + Sync;

/// The exclusive section every booking decision runs in.
pub const DECISIONS_SCOPE: &str = "booking-decisions";

pub struct BookingService {
    storage: Arc<dyn Storage>,
    clock: Arc<dyn Clock>,
    coaches: Vec<CoachConfig>,
    public_url: String,
    secret: Vec<u8>,
    limits: BookingLimits,
    on_change: Mutex<Vec<Arc<ChangeHook>>>,
    on_hold: Mutex<Vec<Arc<HoldHook>>>,
    /// (D) Answers of a booking being confirmed, while its batch (and the
    /// hooks' mail) is built: not in the store yet.
    pending_answers: Mutex<Option<(String, Vec<(String, String)>)>>,
    /// (issue 11 §2) The series a decision is writing, while its change
    /// hooks run (before the batch is applied), so mail sees the series.
    staged_series: Mutex<Option<(series::SeriesRecord, Vec<super::Booking>)>>,
    on_waitlist: Mutex<Vec<Arc<WaitlistHook>>>,
    /// Busy occurrences of the coaches' calendars by revision (issue 16 §5).
    busy_cache: busy_cache::BusyCache,
}

impl BookingService {
    /// Loads (or makes) the signing secret of manage links. The coaches'
    /// calendars are made by provisioning in `app`, not here.
    pub fn new(storage: Arc<dyn Storage>, clock: Arc<dyn Clock>, coaches: Vec<CoachConfig>, public_url: String) -> Result<Self> {
        let bookings = BookingStore { storage: &*storage };
        bookings.migrate(clock.now())?;
        bookings.migrate_facts(clock.now())?;
        let secret = bookings.manage_secret(clock.now())?;
        let service = BookingService {
            storage,
            clock,
            coaches,
            public_url,
            secret,
            limits: BookingLimits::default(),
            on_change: Mutex::new(Vec::new()),
            on_hold: Mutex::new(Vec::new()),
            pending_answers: Mutex::new(None),
            staged_series: Mutex::new(None),
            on_waitlist: Mutex::new(Vec::new()),
            busy_cache: busy_cache::BusyCache::default(),
        };
        Ok(service)
    }

    /// Enters the decisions' exclusive section: what the caller reads from
    /// now on was committed before, by any process, and no other decision
    /// runs until the guard is dropped (after the decision's batch is
    /// applied, see [`BookingService::durable`]).
    pub(super) fn decide(&self) -> Result<ExclusiveGuard> {
        Ok(self.storage.exclusive(DECISIONS_SCOPE)?)
    }

    /// Replaces the default [`BookingLimits`].
    pub fn with_limits(mut self, limits: BookingLimits) -> Self {
        self.limits = limits;
        self
    }

    /// Registers what a booking change writes besides the booking (each
    /// hook's records go into the change's batch, in registration order).
    pub fn add_change_hook(&self, hook: Arc<ChangeHook>) {
        self.on_change.lock().unwrap_or_else(|p| p.into_inner()).push(hook);
    }

    fn hook_records(&self, change: &BookingChange) -> RecordWrites {
        let hooks = self.on_change.lock().unwrap_or_else(|p| p.into_inner()).clone();
        let mut records: RecordWrites = hooks.iter().flat_map(|h| h(change)).collect();
        // The waitlist follows every booking change in the same batch.
        records.extend(self.waitlist_records(change));
        records
    }

    /// Registers what a hold change (placed, replaced, expired) writes
    /// besides the hold, in the same batch.
    pub fn add_hold_hook(&self, hook: Arc<HoldHook>) {
        self.on_hold.lock().unwrap_or_else(|p| p.into_inner()).push(hook);
    }

    fn hold_hook_records(&self, change: &HoldChange) -> RecordWrites {
        let hooks = self.on_hold.lock().unwrap_or_else(|p| p.into_inner()).clone();
        hooks.iter().flat_map(|h| h(change)).collect()
    }

    pub fn coaches(&self) -> &[CoachConfig] {
        &self.coaches
    }

    pub fn coach(&self, slug: &str) -> Result<&CoachConfig> {
        self.coaches.iter().find(|c| c.slug == slug).ok_or(BookingError::UnknownCoach)
    }

    fn coach_by_user(&self, user: &str) -> Result<&CoachConfig> {
        super::coach::by_user(&self.coaches, user).ok_or(BookingError::UnknownCoach)
    }

    pub fn event_type<'a>(&self, coach: &'a CoachConfig, slug: &str) -> Result<&'a EventType> {
        coach.policy.event_type(slug).ok_or(BookingError::UnknownEventType)
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// (D) The event type a visitor asks for, if they may see it: a
    /// `private` type only with a live secret link's token (`key`); without
    /// one it is [`BookingError::UnknownEventType`], exactly as a type that
    /// does not exist, so nothing leaks. Every public entry that names an
    /// event type (the slots, a new hold) asks this first.
    pub fn visible_event_type<'a>(&self, coach: &'a CoachConfig, slug: &str, key: Option<&str>) -> Result<&'a EventType> {
        let et = self.event_type(coach, slug)?;
        if !et.private {
            return Ok(et);
        }
        match key {
            Some(key) if private_links::grants(&*self.storage, &coach.user, &et.slug, key)? => Ok(et),
            _ => Err(BookingError::UnknownEventType),
        }
    }

    /// (D) Runs `build` while `answers` stand as the answers of the booking
    /// `booking_id` for [`Self::answers_of`] (its VEVENT and its hooks' mail
    /// read them before they are stored, in the same batch).
    pub(super) fn with_pending_answers<T>(&self, booking_id: &str, answers: &[(String, String)], build: impl FnOnce() -> T) -> T {
        *self.pending_answers.lock().unwrap_or_else(|p| p.into_inner()) = Some((booking_id.to_string(), answers.to_vec()));
        let out = build();
        *self.pending_answers.lock().unwrap_or_else(|p| p.into_inner()) = None;
        out
    }

    /// (D) A booking's answers to its questions, as (question id, answer).
    pub fn answers_of(&self, booking_id: &str) -> Result<Vec<(String, String)>> {
        if let Some((id, answers)) = &*self.pending_answers.lock().unwrap_or_else(|p| p.into_inner()) {
            if id == booking_id {
                return Ok(answers.clone());
            }
        }
        Ok(details::get(&*self.storage, booking_id)?.answers)
    }

    /// (D) The event types listed to everyone (not `private`).
    pub fn listed_event_types<'a>(&self, coach: &'a CoachConfig) -> impl Iterator<Item = &'a EventType> {
        coach.policy.event_types.iter().filter(|t| !t.private)
    }

    pub fn public_url(&self) -> &str {
        &self.public_url
    }
}
