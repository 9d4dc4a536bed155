//! [`BookingService`]: the booking rules applied to the store. It gathers
//! availability and busy time from the coach's calendars through the
//! time-range index, keeps holds and booking records, and writes each
//! booking's VEVENT into the coach's bookings calendar in the same atomic
//! batch as the record, so the coach's phone and the booking never
//! disagree.
//!
//! Decisions that must not race (hold, confirm, reschedule) run under one
//! lock, so of many concurrent requests for one slot exactly as many
//! succeed as there are seats.
//!
//! [`BookingLimits`] keep one client from occupying the calendar: a few open
//! holds per client address, a browser's new hold of an event type
//! replacing its previous one, and a cap on one email's upcoming bookings.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use super::availability::{BusyDay, BusyTime};
use super::holds::{admit, within_client_cap, Admission, Hold, HoldClient};
use super::policy::{can_reschedule, EventType};
use super::slots::{Slot, SlotQuery};
use super::{token, Booking, BookingStatus};
use crate::clock::Clock;
use super::coach::{BusyCalendars, CoachConfig};
use crate::ical::{CalendarObject, ComponentKind};
use crate::model::TimeRange;
use crate::storage::{
    CalendarWrite, ObjectChange, RecordBatch, RecordKey, RecordWrites, ResourceWrite, Storage, StorageError, StorePath, WriteCondition,
};

const T_BOOKING: &str = "booking";
const T_BOOKING_UID: &str = "booking-uid";
const T_COACH_BOOKING: &str = "coach-booking";
const T_HOLD: &str = "hold";
const T_META: &str = "meta";

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

/// A hold as stored: the domain [`Hold`] plus whose it is.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct HoldRecord {
    pub coach: String,
    pub hold: Hold,
    /// The booking this hold would move, for a reschedule.
    pub reschedule_of: Option<String>,
    /// Who took it; `None` in records written before clients were kept
    /// (decoded by [`HoldRecord::decode`]).
    pub client: Option<HoldClient>,
}

/// [`HoldRecord`] before `client` was added.
#[derive(Deserialize)]
struct HoldRecordV1 {
    coach: String,
    hold: Hold,
    reschedule_of: Option<String>,
}

impl HoldRecord {
    /// Decodes a stored hold, in the current layout or the first one.
    pub fn decode(bytes: &[u8]) -> Result<HoldRecord> {
        postcard::from_bytes::<HoldRecord>(bytes)
            .or_else(|e| {
                postcard::from_bytes::<HoldRecordV1>(bytes)
                    .map(|v1| HoldRecord { coach: v1.coach, hold: v1.hold, reschedule_of: v1.reschedule_of, client: None })
                    .map_err(|_| e)
            })
            .map_err(|e| BookingError::Storage(StorageError::Backend(format!("corrupt hold record: {e}"))))
    }
}

/// What the booking service tells the mail layer about (see
/// [`BookingService::on_change`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeKind {
    Booked,
    Rescheduled,
    CancelledByStudent,
    CancelledByCoach,
    MovedByCoach,
    ConfirmedByCoach,
}

/// Extra records a booking change writes in its batch (the mail outbox);
/// set once at start-up.
pub type ChangeHook = dyn Fn(&Booking, ChangeKind, &CoachConfig, DateTime<Utc>) -> RecordWrites + Send + Sync;

pub struct BookingService {
    storage: Arc<dyn Storage>,
    clock: Arc<dyn Clock>,
    coaches: Vec<CoachConfig>,
    public_url: String,
    secret: Vec<u8>,
    limits: BookingLimits,
    decisions: Mutex<()>,
    on_change: Mutex<Option<Arc<ChangeHook>>>,
}

fn enc<T: Serialize>(v: &T) -> Vec<u8> {
    postcard::to_stdvec(v).expect("plain data encodes")
}


fn ts_key(t: DateTime<Utc>) -> String {
    format!("{:020}", t.timestamp() + 1_000_000_000_000)
}

impl BookingService {
    /// Loads (or makes) the signing secret and makes sure every coach's
    /// calendars exist, so they show in the coach's app at once.
    pub fn new(storage: Arc<dyn Storage>, clock: Arc<dyn Clock>, coaches: Vec<CoachConfig>, public_url: String) -> Result<Self> {
        let key = RecordKey::new(T_META, "manage-secret");
        let secret = match storage.record(&key)? {
            Some(s) => s,
            None => {
                let s: [u8; 32] = rand::random();
                storage.apply(RecordBatch { records: vec![(key, Some(s.to_vec()))], object: None }, clock.now())?;
                storage.flush()?;
                s.to_vec()
            }
        };
        let service = BookingService {
            storage,
            clock,
            coaches,
            public_url,
            secret,
            limits: BookingLimits::default(),
            decisions: Mutex::new(()),
            on_change: Mutex::new(None),
        };
        Ok(service)
    }

    /// Replaces the default [`BookingLimits`].
    pub fn with_limits(mut self, limits: BookingLimits) -> Self {
        self.limits = limits;
        self
    }

    /// Registers what a booking change writes besides the booking (mail).
    pub fn set_change_hook(&self, hook: Arc<ChangeHook>) {
        *self.on_change.lock().unwrap_or_else(|p| p.into_inner()) = Some(hook);
    }

    fn hook_records(&self, b: &Booking, kind: ChangeKind, coach: &CoachConfig, now: DateTime<Utc>) -> RecordWrites {
        let hook = self.on_change.lock().unwrap_or_else(|p| p.into_inner()).clone();
        hook.map(|h| h(b, kind, coach, now)).unwrap_or_default()
    }

    pub fn coaches(&self) -> &[CoachConfig] {
        &self.coaches
    }

    pub fn coach(&self, slug: &str) -> Result<&CoachConfig> {
        self.coaches.iter().find(|c| c.slug == slug).ok_or(BookingError::UnknownCoach)
    }

    fn coach_by_user(&self, user: &str) -> Result<&CoachConfig> {
        self.coaches.iter().find(|c| c.user == user).ok_or(BookingError::UnknownCoach)
    }

    pub fn event_type<'a>(&self, coach: &'a CoachConfig, slug: &str) -> Result<&'a EventType> {
        coach.policy.event_type(slug).ok_or(BookingError::UnknownEventType)
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    pub fn public_url(&self) -> &str {
        &self.public_url
    }

    // ----- reading the coach's calendars -----

    /// The coach's calendars that count as busy.
    fn busy_calendars(&self, coach: &CoachConfig) -> Result<Vec<StorePath>> {
        let home = StorePath::home(&coach.user);
        let names: Vec<String> = match &coach.busy_calendars {
            BusyCalendars::All => self
                .storage
                .children(&home)?
                .into_iter()
                .filter(|(name, n)| n.is_calendar() && *name != coach.availability_calendar)
                .map(|(name, _)| name)
                .collect(),
            BusyCalendars::Only(list) => {
                let mut names = list.clone();
                names.extend(coach.external_busy.iter().map(|e| e.name.clone()));
                names
            }
        };
        Ok(names.into_iter().map(|n| home.child(&n)).collect())
    }

    /// Indexed occurrences of a calendar in `range`, with floating-time
    /// objects placed exactly in the coach's zone.
    fn occurrences(&self, coach: &CoachConfig, calendar: &StorePath, range: TimeRange) -> Result<Vec<(String, crate::ical::Occurrence)>> {
        let reindex = |bytes: &[u8], horizon: DateTime<Utc>| CalendarObject::parse(bytes).ok().map(|o| o.index_entry(horizon));
        self.storage.extend_horizon(calendar, range.end, &reindex)?;
        let mut out = Vec::new();
        let mut exact_needed = HashSet::new();
        for occ in self.storage.occurrences(calendar, &range)? {
            if occ.approximate && !occ.occurrence.all_day {
                exact_needed.insert(occ.name);
            } else {
                out.push((occ.name, occ.occurrence));
            }
        }
        for name in exact_needed {
            let Some(bytes) = self.storage.content(&calendar.child(&name))? else { continue };
            let Ok(obj) = CalendarObject::parse(&bytes) else { continue };
            for inst in obj.expand(range, Some(coach.policy.tz)).instances {
                let busy = obj.busy_occurrences(inst.range, Some(coach.policy.tz)).into_iter().next().and_then(|o| o.busy);
                out.push((
                    name.clone(),
                    crate::ical::Occurrence { range: inst.range, busy, all_day: inst.all_day },
                ));
            }
        }
        Ok(out)
    }

    /// Bookable time from the availability calendar in `range`.
    fn availability_events(&self, coach: &CoachConfig, range: TimeRange) -> Result<Vec<TimeRange>> {
        let cal = StorePath::home(&coach.user).child(&coach.availability_calendar);
        if self.storage.node(&cal)?.is_none() {
            return Ok(Vec::new());
        }
        let tz = coach.policy.tz;
        Ok(self
            .occurrences(coach, &cal, range)?
            .into_iter()
            .map(|(_, occ)| match occ.all_day_dates() {
                Some((first, end)) if occ.all_day => TimeRange::new(
                    super::availability::local_day(tz, first).start,
                    super::availability::local_day(tz, end).start,
                ),
                _ => occ.range,
            })
            .collect())
    }

    /// Busy time in `range`: timed busy events and all-day busy days,
    /// except the events of bookings themselves (they count through the
    /// booking records, which know about seats).
    fn busy(&self, coach: &CoachConfig, range: TimeRange) -> Result<(Vec<BusyTime>, Vec<BusyDay>)> {
        let booking_uids = self.booking_uids(coach)?;
        let mut times = Vec::new();
        let mut days = Vec::new();
        for cal in self.busy_calendars(coach)? {
            if self.storage.node(&cal)?.is_none() {
                continue;
            }
            let is_bookings = cal.name() == coach.bookings_calendar;
            for (name, occ) in self.occurrences(coach, &cal, range)? {
                if occ.busy.is_none() {
                    continue;
                }
                if is_bookings && booking_uids.contains(&name) {
                    continue;
                }
                match occ.all_day_dates().filter(|_| occ.all_day) {
                    Some((first, end)) => {
                        let mut d = first;
                        while d < end {
                            days.push(BusyDay(d));
                            d = d.succ_opt().unwrap_or(end);
                        }
                    }
                    None => times.push(BusyTime { range: occ.range }),
                }
            }
        }
        Ok((times, days))
    }

    /// Names of objects in the bookings calendar that are booking events.
    fn booking_uids(&self, coach: &CoachConfig) -> Result<HashSet<String>> {
        let cal = StorePath::home(&coach.user).child(&coach.bookings_calendar);
        let mut names = HashSet::new();
        for (uid, _) in self.storage.records(T_BOOKING_UID, &format!("{}/", coach.user))? {
            let uid = uid.split_once('/').map(|(_, u)| u.to_string()).unwrap_or(uid);
            if let Some(name) = self.storage.object_by_uid(&cal, &uid)? {
                names.insert(name);
            }
        }
        Ok(names)
    }

    /// Active bookings of a coach that start within `range`.
    fn bookings_in(&self, coach: &CoachConfig, range: TimeRange) -> Result<Vec<Booking>> {
        let mut out = Vec::new();
        let from = format!("{}/{}", coach.user, ts_key(range.start));
        let to = format!("{}/{}", coach.user, ts_key(range.end));
        for (key, id) in self.storage.records(T_COACH_BOOKING, &format!("{}/", coach.user))? {
            if key < from || key >= to {
                continue;
            }
            if let Some(b) = self.load_booking(&String::from_utf8_lossy(&id))? {
                if b.is_active() {
                    out.push(b);
                }
            }
        }
        Ok(out)
    }

    fn active_holds(&self, coach: &CoachConfig, now: DateTime<Utc>) -> Result<Vec<HoldRecord>> {
        Ok(self.all_active_holds(now)?.into_iter().filter(|rec| rec.coach == coach.user).collect())
    }

    /// Active holds of every coach.
    fn all_active_holds(&self, now: DateTime<Utc>) -> Result<Vec<HoldRecord>> {
        let mut out = Vec::new();
        for (_, bytes) in self.storage.records(T_HOLD, "")? {
            let rec = HoldRecord::decode(&bytes)?;
            if rec.hold.is_active(now) {
                out.push(rec);
            }
        }
        Ok(out)
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
    fn slots_for(
        &self,
        coach: &CoachConfig,
        et: &EventType,
        range: TimeRange,
        ignore_booking: Option<&str>,
        ignore_holds: &[String],
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
        let (busy_times, busy_days) = self.busy(coach, wide)?;
        let bookings: Vec<Booking> =
            self.bookings_in(coach, wide)?.into_iter().filter(|b| Some(b.id.as_str()) != ignore_booking).collect();
        let holds: Vec<Hold> =
            self.active_holds(coach, now)?.into_iter().map(|h| h.hold).filter(|h| !ignore_holds.contains(&h.id)).collect();
        let query = SlotQuery {
            coach: &coach.policy,
            event_type: et,
            availability: &availability,
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
        let _decide = self.decisions.lock().unwrap_or_else(|p| p.into_inner());
        let now = self.clock.now();
        let range = TimeRange::new(start, start + et.duration);
        let holds = self.all_active_holds(now)?;
        let replaced: Vec<String> = holds
            .iter()
            .filter(|r| r.coach == coach.user && r.hold.event_type == et.slug)
            .filter(|r| client.session.is_some() && r.client.as_ref().and_then(|c| c.session.as_ref()) == client.session.as_ref())
            .map(|r| r.hold.id.clone())
            .collect();
        let probe = TimeRange::new(start, start + Duration::seconds(1));
        let open = self.slots_for(coach, et, probe, reschedule_of.map(|b| b.id.as_str()), &replaced)?;
        if !open.iter().any(|s| s.range == range) {
            return Err(BookingError::SlotUnavailable);
        }
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
        let mut records = vec![(RecordKey::new(T_HOLD, rec.hold.id.clone()), Some(enc(&rec)))];
        records.extend(replaced.into_iter().map(|id| (RecordKey::new(T_HOLD, id), None)));
        self.storage.apply(RecordBatch { records, object: None }, now)?;
        self.storage.flush()?;
        Ok(rec)
    }

    /// A hold by id, with its coach and event type.
    pub fn hold_info(&self, hold_id: &str) -> Result<(HoldRecord, &CoachConfig, &EventType)> {
        let bytes = self.storage.record(&RecordKey::new(T_HOLD, hold_id))?.ok_or(BookingError::HoldNotFound)?;
        let rec = HoldRecord::decode(&bytes)?;
        let coach = self.coach_by_user(&rec.coach)?;
        let et = self.event_type(coach, &rec.hold.event_type)?;
        Ok((rec, coach, et))
    }

    /// Turns a hold into a booking: the record and the VEVENT in the
    /// coach's bookings calendar are written together.
    pub fn confirm(&self, hold_id: &str, student: StudentDetails) -> Result<Booking> {
        let student = validate_student(student)?;
        let _decide = self.decisions.lock().unwrap_or_else(|p| p.into_inner());
        let now = self.clock.now();
        let (rec, coach, et) = self.hold_info(hold_id)?;
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
        // Admission against everything else that is active (not this hold).
        let wide = TimeRange::new(rec.hold.range.start - Duration::days(2), rec.hold.range.end + Duration::days(2));
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
        };
        let mut batch = self.booking_batch(coach, et, &booking, None, now)?;
        batch.records.push((RecordKey::new(T_HOLD, rec.hold.id.clone()), None));
        batch.records.extend(self.hook_records(&booking, ChangeKind::Booked, coach, now));
        self.storage.apply(batch, now)?;
        self.storage.flush()?;
        tracing::info!(coach = %coach.user, reference = %booking.reference, "booked");
        Ok(booking)
    }

    fn has_booking(&self, coach: &CoachConfig, et: &EventType, email: &str) -> Result<bool> {
        for (_, id) in self.storage.records(T_COACH_BOOKING, &format!("{}/", coach.user))? {
            if let Some(b) = self.load_booking(&String::from_utf8_lossy(&id))? {
                if b.is_active() && b.event_type == et.slug && b.student_email.eq_ignore_ascii_case(email) {
                    return Ok(true);
                }
            }
        }
        Ok(false)
    }

    /// Active bookings with `coach` under `email` that have not ended by `now`.
    fn upcoming_bookings(&self, coach: &CoachConfig, email: &str, now: DateTime<Utc>) -> Result<usize> {
        let mut n = 0;
        for (_, id) in self.storage.records(T_COACH_BOOKING, &format!("{}/", coach.user))? {
            if let Some(b) = self.load_booking(&String::from_utf8_lossy(&id))? {
                if b.is_active() && b.range.end > now && b.student_email.eq_ignore_ascii_case(email) {
                    n += 1;
                }
            }
        }
        Ok(n)
    }

    /// The records and VEVENT that store `booking` (replacing `previous`).
    fn booking_batch(&self, coach: &CoachConfig, et: &EventType, booking: &Booking, previous: Option<&Booking>, now: DateTime<Utc>) -> Result<RecordBatch> {
        let mut records = vec![
            (RecordKey::new(T_BOOKING, booking.id.clone()), Some(enc(booking))),
            (RecordKey::new(T_BOOKING_UID, format!("{}/{}", coach.user, booking.uid)), Some(booking.id.as_bytes().to_vec())),
        ];
        if let Some(prev) = previous {
            records.push((RecordKey::new(T_COACH_BOOKING, format!("{}/{}/{}", coach.user, ts_key(prev.range.start), prev.id)), None));
        }
        records.push((
            RecordKey::new(T_COACH_BOOKING, format!("{}/{}/{}", coach.user, ts_key(booking.range.start), booking.id)),
            Some(booking.id.as_bytes().to_vec()),
        ));
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

    fn load_booking(&self, id: &str) -> Result<Option<Booking>> {
        let Some(bytes) = self.storage.record(&RecordKey::new(T_BOOKING, id))? else { return Ok(None) };
        Booking::decode(&bytes)
            .map(Some)
            .map_err(|e| BookingError::Storage(StorageError::Backend(format!("corrupt booking record: {e}"))))
    }

    /// The manage link's token of a booking.
    pub fn manage_token(&self, booking: &Booking) -> String {
        token::sign(&booking.id, &self.secret)
    }

    pub fn manage_url(&self, booking: &Booking) -> String {
        format!("{}/book/manage/{}", super::links::base(&self.public_url), self.manage_token(booking))
    }

    /// The booking a manage token stands for.
    pub fn booking(&self, manage_token: &str) -> Result<Booking> {
        let id = token::verify(manage_token, &self.secret).ok_or(BookingError::BookingNotFound)?;
        self.load_booking(&id)?.ok_or(BookingError::BookingNotFound)
    }

    /// Cancels a booking on the student's request, within the notice rules.
    pub fn cancel(&self, manage_token: &str) -> Result<Booking> {
        let _decide = self.decisions.lock().unwrap_or_else(|p| p.into_inner());
        let now = self.clock.now();
        let mut booking = self.booking(manage_token)?;
        if !booking.is_active() {
            return Err(BookingError::BookingCancelled);
        }
        let coach = self.coach_by_user(&booking.coach)?;
        let et = self.event_type(coach, &booking.event_type)?;
        booking.can_cancel(now, et.cancel_notice).map_err(|t| BookingError::TooLate { deadline: t.deadline })?;
        let previous = booking.clone();
        booking.status = BookingStatus::Cancelled;
        booking.sequence += 1;
        let mut batch = self.booking_batch(coach, et, &booking, Some(&previous), now)?;
        batch.records.extend(self.hook_records(&booking, ChangeKind::CancelledByStudent, coach, now));
        self.storage.apply(batch, now)?;
        self.storage.flush()?;
        tracing::info!(reference = %booking.reference, "cancelled by student");
        Ok(booking)
    }

    /// Moves a booking to the slot of a reschedule hold. Same UID, SEQUENCE
    /// incremented.
    pub fn reschedule(&self, manage_token: &str, hold_id: &str) -> Result<Booking> {
        let _decide = self.decisions.lock().unwrap_or_else(|p| p.into_inner());
        let now = self.clock.now();
        let booking = self.booking(manage_token)?;
        if !booking.is_active() {
            return Err(BookingError::BookingCancelled);
        }
        let (rec, coach, et) = self.hold_info(hold_id)?;
        if rec.reschedule_of.as_deref() != Some(booking.id.as_str()) {
            return Err(BookingError::HoldNotFound);
        }
        if !rec.hold.is_active(now) {
            return Err(BookingError::HoldExpired);
        }
        can_reschedule(booking.range.start, now, et.reschedule_notice).map_err(|t| BookingError::TooLate { deadline: t.deadline })?;
        let wide = TimeRange::new(rec.hold.range.start - Duration::days(2), rec.hold.range.end + Duration::days(2));
        let bookings: Vec<Booking> = self.bookings_in(coach, wide)?.into_iter().filter(|b| b.id != booking.id).collect();
        let holds: Vec<Hold> =
            self.active_holds(coach, now)?.into_iter().map(|h| h.hold).filter(|h| h.id != rec.hold.id).collect();
        let request = Admission { event_type: et, range: rec.hold.range, student_email: None, replaces: None };
        admit(&coach.policy, &request, &holds, &bookings, now).map_err(|_| BookingError::SlotUnavailable)?;
        let previous = booking;
        let booking = previous.moved_by_student(rec.hold.range, now, et.cancel_notice);
        let mut batch = self.booking_batch(coach, et, &booking, Some(&previous), now)?;
        batch.records.push((RecordKey::new(T_HOLD, rec.hold.id.clone()), None));
        batch.records.extend(self.hook_records(&booking, ChangeKind::Rescheduled, coach, now));
        self.storage.apply(batch, now)?;
        self.storage.flush()?;
        tracing::info!(reference = %booking.reference, "rescheduled by student");
        Ok(booking)
    }

    /// Removes expired holds (they already free their slot by themselves;
    /// this only keeps the table small).
    pub fn sweep_holds(&self) -> Result<usize> {
        let now = self.clock.now();
        let mut batch = RecordBatch::default();
        for (key, bytes) in self.storage.records(T_HOLD, "")? {
            let rec = HoldRecord::decode(&bytes)?;
            if !rec.hold.is_active(now) {
                batch.records.push((RecordKey::new(T_HOLD, key), None));
            }
        }
        let n = batch.records.len();
        if n > 0 {
            self.storage.apply(batch, now)?;
        }
        Ok(n)
    }

    // ----- the coach's side (two-way sync) -----

    /// Records to write with a coach's PUT of `object` into `calendar`:
    /// when the object is a booking's event, the booking follows it
    /// (cancelled, confirmed, moved). `None` when it is not a booking.
    pub fn reconcile_put(&self, calendar: &StorePath, object: &CalendarObject) -> Result<Option<RecordWrites>> {
        let Some((coach, mut booking)) = self.booking_for_object(calendar, object.uid())? else { return Ok(None) };
        let now = self.clock.now();
        let previous = booking.clone();
        let status = object.status().unwrap_or_default();
        let mut kind = None;
        if status == "CANCELLED" {
            if booking.is_active() {
                booking.status = BookingStatus::Cancelled;
                kind = Some(ChangeKind::CancelledByCoach);
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
        let mut records = vec![
            (RecordKey::new(T_BOOKING, booking.id.clone()), Some(enc(&booking))),
            (RecordKey::new(T_COACH_BOOKING, format!("{}/{}/{}", coach.user, ts_key(previous.range.start), previous.id)), None),
            (
                RecordKey::new(T_COACH_BOOKING, format!("{}/{}/{}", coach.user, ts_key(booking.range.start), booking.id)),
                Some(booking.id.as_bytes().to_vec()),
            ),
        ];
        if let Some(kind) = kind {
            tracing::info!(reference = %booking.reference, ?kind, "booking follows the coach's calendar");
            records.extend(self.hook_records(&booking, kind, coach, now));
        }
        Ok(Some(records))
    }

    /// Records to write with a coach's DELETE of a booking's event: the
    /// booking is cancelled.
    pub fn reconcile_delete(&self, calendar: &StorePath, uid: &str) -> Result<Option<RecordWrites>> {
        let Some((coach, mut booking)) = self.booking_for_object(calendar, uid)? else { return Ok(None) };
        if !booking.is_active() {
            return Ok(None);
        }
        let now = self.clock.now();
        booking.status = BookingStatus::Cancelled;
        booking.sequence += 1;
        let mut records = vec![(RecordKey::new(T_BOOKING, booking.id.clone()), Some(enc(&booking)))];
        records.extend(self.hook_records(&booking, ChangeKind::CancelledByCoach, coach, now));
        tracing::info!(reference = %booking.reference, "booking cancelled: the coach deleted its event");
        Ok(Some(records))
    }

    fn booking_for_object(&self, calendar: &StorePath, uid: &str) -> Result<Option<(&CoachConfig, Booking)>> {
        let Some(coach) = self.coaches.iter().find(|c| {
            calendar.len() == 2 && calendar.owner() == c.user && calendar.name() == c.bookings_calendar
        }) else {
            return Ok(None);
        };
        let Some(id) = self.storage.record(&RecordKey::new(T_BOOKING_UID, format!("{}/{uid}", coach.user)))? else {
            return Ok(None);
        };
        Ok(self.load_booking(&String::from_utf8_lossy(&id))?.map(|b| (coach, b)))
    }

    // ----- iCalendar -----

    /// The booking's VEVENT as stored in the coach's calendar (and sent in
    /// invitations): ORGANIZER the coach, ATTENDEE the student.
    pub fn booking_ics(&self, coach: &CoachConfig, et: &EventType, b: &Booking) -> String {
        booking_vcalendar(coach, et, b, &self.coach_email(coach), &self.manage_url(b), None, self.clock.now())
    }

    pub fn coach_email(&self, coach: &CoachConfig) -> String {
        self.storage
            .user(&coach.user)
            .ok()
            .flatten()
            .and_then(|u| u.email)
            .unwrap_or_else(|| format!("{}@localhost", coach.user))
    }
}

/// A VCALENDAR holding one booking's VEVENT. With `method`, an iMIP
/// message (RFC 6047) rather than a stored object.
pub fn booking_vcalendar(
    coach: &CoachConfig,
    et: &EventType,
    b: &Booking,
    coach_email: &str,
    manage_url: &str,
    method: Option<&str>,
    now: DateTime<Utc>,
) -> String {
    use crate::ical::write::{Component, Property};
    let status = match b.status {
        BookingStatus::Confirmed => "CONFIRMED",
        BookingStatus::Tentative => "TENTATIVE",
        BookingStatus::Cancelled => "CANCELLED",
    };
    let mut description = String::new();
    if let Some(note) = &b.student_note {
        description.push_str(&format!("Note from {}: {note}\n\n", b.student_name));
    }
    description.push_str(&format!("Booking {} · {}\nManage: {manage_url}", b.reference, et.price));
    let event = Component::new("VEVENT")
        .with(Property::new_text("UID", &b.uid))
        .with(Property::utc("DTSTAMP", now))
        .with(Property::utc("DTSTART", b.range.start))
        .with(Property::utc("DTEND", b.range.end))
        .with(Property::new_text("SUMMARY", &format!("{}: {}", et.title, b.student_name)))
        .with(Property::new_text("DESCRIPTION", &description))
        .with(Property::new("STATUS", status))
        .with(Property::new("SEQUENCE", &b.sequence.to_string()))
        .with(Property::new("ORGANIZER", &format!("mailto:{coach_email}")).with_param("CN", &coach.display_name))
        .with(
            Property::new("ATTENDEE", &format!("mailto:{}", b.student_email))
                .with_param("CN", &b.student_name)
                .with_param("ROLE", "REQ-PARTICIPANT")
                .with_param("PARTSTAT", if b.status == BookingStatus::Cancelled { "DECLINED" } else { "ACCEPTED" }),
        )
        .with(Property::new_text("X-SLOTDAV-REFERENCE", &b.reference));
    Component::calendar(method).with_child(event).to_ics()
}

fn validate_student(s: StudentDetails) -> Result<StudentDetails> {
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
    Ok(StudentDetails { name, email, note })
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

    /// Holds written before `client` was kept still decode (they live
    /// minutes, but an upgrade must not turn them into 500s).
    #[test]
    fn a_hold_record_of_the_first_layout_decodes_without_a_client() {
        use chrono::TimeZone;
        let t = Utc.with_ymd_and_hms(2026, 5, 4, 9, 0, 0).unwrap();
        let hold = Hold { id: "h1".into(), event_type: "x".into(), range: TimeRange::new(t, t + Duration::hours(1)), expires_at: t, student_email: None };
        let old = postcard::to_stdvec(&("anna".to_string(), hold.clone(), Some("b1".to_string()))).unwrap();
        let rec = HoldRecord::decode(&old).unwrap();
        assert_eq!((rec.coach.as_str(), &rec.hold, rec.reschedule_of.as_deref(), rec.client), ("anna", &hold, Some("b1"), None));
        let client = HoldClient::new("192.0.2.1".parse().unwrap(), Some("s".into()));
        let new = enc(&HoldRecord { client: Some(client.clone()), ..rec });
        assert_eq!(HoldRecord::decode(&new).unwrap().client, Some(client));
        assert!(HoldRecord::decode(&old[..old.len() - 2]).is_err());
    }

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
        let s = validate_student(StudentDetails { name: " Ann\r\nBcc: x ".into(), email: "ann@example.org".into(), note: "hi".into() }).unwrap();
        assert_eq!(s.name, "Ann Bcc: x");
        assert!(validate_student(StudentDetails { name: "".into(), email: "ann@example.org".into(), note: "".into() }).is_err());
    }
}
