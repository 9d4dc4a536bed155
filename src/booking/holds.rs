//! Holds and admission: who already occupies which time, and whether one
//! more hold or booking fits.
//!
//! A [`Hold`] reserves a slot for a few minutes while a student fills in the
//! form. [`admit`] is the single admission rule, shared with slot listing:
//! the booking service calls it under its `decisions` mutex (see
//! [`crate::booking::service`]), so two concurrent requests can never both
//! take the last seat.
//!
//! Rules (decided here, used by [`crate::booking::slots`] as well):
//! - Active holds (`now < expires_at`) and non-cancelled bookings occupy time.
//! - One of *the same event type at exactly the same range* takes a seat
//!   (group sessions stay open until `seats` are taken).
//! - Anything else blocks when it overlaps the candidate widened by the
//!   candidate's buffers, or when the candidate overlaps it widened by *its*
//!   event type's buffers.
//! - Daily cap: `max_per_day` limits distinct *sessions* (distinct ranges) of
//!   the event type per coach-local day, counting active holds; joining an
//!   existing group session is always allowed by the cap.
//! - (D) Weekly and monthly caps, the coach's caps across all types and
//!   breaks (`max_consecutive` / `break_after`): [`crate::booking::pacing`].
//!
//! Who holds is a [`HoldClient`]: one client address may keep only a few
//! holds open at once (see [`within_client_cap`]), and a browser's new hold
//! of an event type replaces its previous one, so nobody can sit on every
//! slot (issue 14, finding 8).

use crate::booking::availability::local_date;
use crate::booking::policy::{Coach, EventType};
use crate::booking::Booking;
use crate::model::TimeRange;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use std::net::IpAddr;

/// A short reservation of one slot of one event type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hold {
    /// Unguessable id (see [`crate::booking::token::new_id`]).
    pub id: String,
    /// Slug of the held event type.
    pub event_type: String,
    /// The held slot (without buffers).
    pub range: TimeRange,
    /// The hold lapses at this instant.
    pub expires_at: DateTime<Utc>,
    pub student_email: Option<String>,
}

impl Hold {
    /// A hold on `range` lasting the event type's `hold_ttl` from `now`.
    pub fn new(
        id: String,
        event_type: &EventType,
        range: TimeRange,
        student_email: Option<String>,
        now: DateTime<Utc>,
    ) -> Self {
        Hold { id, event_type: event_type.slug.clone(), range, expires_at: now + event_type.hold_ttl, student_email }
    }

    /// True until `expires_at` (exclusive).
    pub fn is_active(&self, now: DateTime<Utc>) -> bool {
        now < self.expires_at
    }
}

/// Who asked for a hold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HoldClient {
    /// The client's network: an IPv4 address, or the /64 of an IPv6
    /// address (one subscriber's usual allocation), as text.
    pub network: String,
    /// A browser session (a hash of its cookie, never the cookie): a new
    /// hold of the same event type from the same session replaces the
    /// previous one. `None` for API clients.
    pub session: Option<String>,
}

impl HoldClient {
    pub fn new(ip: IpAddr, session: Option<String>) -> Self {
        HoldClient { network: network_of(ip), session }
    }
}

/// The network a client address counts under: IPv4 (also IPv4-mapped IPv6)
/// as is, IPv6 by its /64.
pub fn network_of(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
    }
}

/// True while `client` holds fewer than `cap` of the active `holds` (given
/// with their clients), not counting those with an id in `released`.
pub fn within_client_cap<'a>(
    client: &HoldClient,
    holds: impl IntoIterator<Item = (&'a Hold, Option<&'a HoldClient>)>,
    released: &[String],
    cap: u32,
    now: DateTime<Utc>,
) -> bool {
    let held = holds
        .into_iter()
        .filter(|(h, c)| h.is_active(now) && !released.contains(&h.id) && c.is_some_and(|c| c.network == client.network))
        .count();
    held < cap as usize
}

/// Why a hold or booking cannot be placed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SlotUnavailable {
    /// Another booking or hold (or its buffer) overlaps the slot. (409)
    #[error("the time overlaps another appointment")]
    Conflict,
    /// Every seat of this session is taken or held. (409)
    #[error("all seats of this session are taken")]
    Full,
    /// The event type's daily cap is reached on this coach-local day. (409)
    #[error("no more sessions of this kind on {date}")]
    DailyLimit { date: NaiveDate },
    /// `once_per_student`: the student already has this booking. (409)
    #[error("you have already booked this (booking {booking_id})")]
    AlreadyBooked { booking_id: String },
    /// (D) A weekly or monthly cap (of the event type or the coach), or
    /// the coach's daily cap across all types, is reached. (409)
    #[error("no more sessions in the {} starting {starting}", period.name())]
    PeriodLimit { period: crate::booking::pacing::Period, starting: NaiveDate },
    /// (D) The session would make the coach work longer than
    /// `max_consecutive` without a break of `break_after`. (409)
    #[error("the coach needs a break around this time")]
    BreakNeeded,
}

/// A request for one more hold or booking.
#[derive(Debug, Clone, Copy)]
pub struct Admission<'a> {
    pub event_type: &'a EventType,
    /// The wanted slot (without buffers).
    pub range: TimeRange,
    /// Checked against `once_per_student`; `None` skips that check (a hold
    /// taken before the student typed an address).
    pub student_email: Option<&'a str>,
    /// Id of a hold or booking this request replaces and which therefore
    /// must not count against it: the hold being turned into a booking, or
    /// the booking being rescheduled.
    pub replaces: Option<&'a str>,
}

/// Decides whether `request` fits next to the coach's existing `holds` and
/// `bookings` at `now`. Pass all of the coach's bookings around the slot's
/// local day (for the cap), and for `once_per_student` all of this
/// student's bookings of the event type, past ones included.
///
/// Does not check availability, busy time, notice or horizon: that is
/// [`crate::booking::SlotQuery::slot_at`] (with the same `except` id).
///
/// Typical use by storage, inside one write transaction:
/// - hold: `slot_at(range)` then `admit(replaces: None)`;
/// - confirm a hold: `admit(replaces: Some(hold_id))` (the hold was
///   checked against the calendar when it was taken);
/// - reschedule: `can_reschedule`, `slot_at` with `except: Some(booking_id)`,
///   then `admit(replaces: Some(booking_id))`.
pub fn admit(
    coach: &Coach,
    request: &Admission<'_>,
    holds: &[Hold],
    bookings: &[Booking],
    now: DateTime<Utc>,
) -> Result<(), SlotUnavailable> {
    if let Some(email) = request.student_email {
        once_per_student(request.event_type, email, bookings, request.replaces)?;
    }
    let occupied = occupancy(coach, holds, bookings, now, request.replaces);
    seats_left(request.event_type, request.range, &occupied)?;
    within_daily_cap(coach, request.event_type, request.range, &occupied)?;
    crate::booking::pacing::within_caps(coach, request.event_type, request.range, &occupied)?;
    crate::booking::pacing::within_breaks(coach, request.event_type, request.range, &occupied)
}

/// Refuses when `once_per_student` is set and the student (e-mail compared
/// case-insensitively) has a non-cancelled booking of this event type.
pub fn once_per_student(
    event_type: &EventType,
    email: &str,
    bookings: &[Booking],
    replaces: Option<&str>,
) -> Result<(), SlotUnavailable> {
    if !event_type.once_per_student {
        return Ok(());
    }
    let existing = bookings.iter().find(|b| {
        b.is_active()
            && b.event_type == event_type.slug
            && b.student_email.trim().eq_ignore_ascii_case(email.trim())
            && Some(b.id.as_str()) != replaces
    });
    match existing {
        Some(b) => Err(SlotUnavailable::AlreadyBooked { booking_id: b.id.clone() }),
        None => Ok(()),
    }
}

/// Time taken by one active hold or booking.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Occupied<'a> {
    pub event_type: &'a str,
    /// The appointment itself.
    pub range: TimeRange,
    /// The appointment widened by its event type's buffers.
    pub blocked: TimeRange,
}

/// Active holds and bookings as [`Occupied`] time, skipping `except` (by id).
/// Unknown event types (since removed from config) get no buffers.
pub fn occupancy<'a>(
    coach: &Coach,
    holds: &'a [Hold],
    bookings: &'a [Booking],
    now: DateTime<Utc>,
    except: Option<&str>,
) -> Vec<Occupied<'a>> {
    let holds = holds
        .iter()
        .filter(|h| h.is_active(now) && Some(h.id.as_str()) != except)
        .map(|h| (h.event_type.as_str(), h.range));
    let bookings = bookings
        .iter()
        .filter(|b| b.is_active() && Some(b.id.as_str()) != except)
        .map(|b| (b.event_type.as_str(), b.range));
    holds
        .chain(bookings)
        .map(|(slug, range)| {
            let blocked = match coach.event_type(slug) {
                Some(et) => widen(range, et),
                None => range,
            };
            Occupied { event_type: slug, range, blocked }
        })
        .collect()
}

/// `range` widened by the event type's buffers.
pub fn widen(range: TimeRange, event_type: &EventType) -> TimeRange {
    TimeRange::new(range.start - event_type.buffer_before, range.end + event_type.buffer_after)
}

/// Seats still free for `event_type` at exactly `range`, or why none are.
/// Never negative: over-full sessions (e.g. after a policy change) are `Full`.
pub fn seats_left(event_type: &EventType, range: TimeRange, occupied: &[Occupied<'_>]) -> Result<u32, SlotUnavailable> {
    let widened = widen(range, event_type);
    let mut taken: u32 = 0;
    for o in occupied {
        if o.event_type == event_type.slug && o.range == range {
            taken = taken.saturating_add(1);
        } else if widened.overlaps(&o.range) || range.overlaps(&o.blocked) {
            return Err(SlotUnavailable::Conflict);
        }
    }
    match event_type.seats.checked_sub(taken) {
        Some(left) if left > 0 => Ok(left),
        _ => Err(SlotUnavailable::Full),
    }
}

/// Distinct sessions of `event_type` starting on coach-local `date`.
pub fn sessions_on(
    coach: &Coach,
    event_type: &EventType,
    date: NaiveDate,
    occupied: &[Occupied<'_>],
) -> Vec<TimeRange> {
    let mut sessions: Vec<TimeRange> = occupied
        .iter()
        .filter(|o| o.event_type == event_type.slug && local_date(coach.tz, o.range.start) == date)
        .map(|o| o.range)
        .collect();
    sessions.sort();
    sessions.dedup();
    sessions
}

/// Checks `max_per_day` for a session at `range` (joining an existing
/// session never counts as a new one).
pub fn within_daily_cap(
    coach: &Coach,
    event_type: &EventType,
    range: TimeRange,
    occupied: &[Occupied<'_>],
) -> Result<(), SlotUnavailable> {
    let Some(cap) = event_type.max_per_day else { return Ok(()) };
    let date = local_date(coach.tz, range.start);
    let sessions = sessions_on(coach, event_type, date, occupied);
    if sessions.contains(&range) || sessions.len() < cap as usize {
        Ok(())
    } else {
        Err(SlotUnavailable::DailyLimit { date })
    }
}

/// Holds that lapsed by `now`; what a sweeper deletes.
pub fn expired(holds: &[Hold], now: DateTime<Utc>) -> impl Iterator<Item = &Hold> {
    holds.iter().filter(move |h| !h.is_active(now))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::booking::{BookingStatus, WorkingHours};
    use chrono::{Duration, TimeZone};

    fn t(h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 5, 4, h, m, 0).unwrap()
    }

    fn r(h1: u32, m1: u32, h2: u32, m2: u32) -> TimeRange {
        TimeRange::new(t(h1, m1), t(h2, m2))
    }

    fn coach(event_types: Vec<EventType>) -> Coach {
        Coach {
            name: "anna".into(),
            tz: chrono_tz::Europe::Berlin,
            working_hours: WorkingHours::default(),
            event_types,
            pacing: Default::default(),
        }
    }

    fn group() -> EventType {
        let mut et = EventType::new("group", "Group", Duration::hours(1));
        et.seats = 3;
        et
    }

    fn hold(id: &str, slug: &str, range: TimeRange, expires_at: DateTime<Utc>) -> Hold {
        Hold { id: id.into(), event_type: slug.into(), range, expires_at, student_email: None }
    }

    pub(crate) fn booking(id: &str, slug: &str, range: TimeRange, email: &str) -> Booking {
        Booking {
            id: id.into(),
            reference: "ABCD-2345".into(),
            coach: "anna".into(),
            event_type: slug.into(),
            range,
            student_name: "S".into(),
            student_email: email.into(),
            student_note: None,
            status: BookingStatus::Confirmed,
            uid: format!("{id}@test"),
            sequence: 0,
            created_at: t(0, 0),
            price: String::new(),
            cancel_deadline: None,
            outcome: Default::default(),
            guardian: None,
            locale: "en".into(),
        }
    }

    fn ask<'a>(et: &'a EventType, range: TimeRange, email: Option<&'a str>) -> Admission<'a> {
        Admission { event_type: et, range, student_email: email, replaces: None }
    }

    #[test]
    fn clients_count_by_ipv4_address_or_ipv6_slash_64() {
        let a = |s: &str| network_of(s.parse().unwrap());
        assert_eq!(a("192.0.2.7"), "192.0.2.7");
        assert_eq!(a("::ffff:192.0.2.7"), "192.0.2.7");
        assert_eq!(a("2001:db8:1:2:aaaa::1"), a("2001:db8:1:2:bbbb::2"));
        assert_ne!(a("2001:db8:1:2::1"), a("2001:db8:1:3::1"));
    }

    #[test]
    fn client_cap_counts_active_unreleased_holds_of_the_network() {
        let me = HoldClient::new("192.0.2.7".parse().unwrap(), None);
        let other = HoldClient::new("192.0.2.8".parse().unwrap(), None);
        let h: Vec<Hold> = (0..3).map(|i| hold(&format!("h{i}"), "x", r(9 + i, 0, 10 + i, 0), t(8, 10))).collect();
        let mine = |n: usize| h.iter().take(n).map(|h| (h, Some(&me))).collect::<Vec<_>>();
        assert!(within_client_cap(&me, mine(2), &[], 3, t(8, 0)));
        assert!(!within_client_cap(&me, mine(3), &[], 3, t(8, 0)));
        assert!(within_client_cap(&me, mine(3), &["h0".to_string()], 3, t(8, 0)));
        assert!(within_client_cap(&me, mine(3), &[], 3, t(8, 10)), "lapsed holds do not count");
        assert!(within_client_cap(&other, mine(3), &[], 3, t(8, 0)));
        assert!(within_client_cap(&me, h.iter().map(|h| (h, None)), &[], 1, t(8, 0)), "holds of unknown clients do not count");
    }

    #[test]
    fn hold_expires_at_ttl() {
        let et = EventType::new("x", "X", Duration::minutes(30));
        let h = Hold::new("h".into(), &et, r(9, 0, 9, 30), None, t(8, 0));
        assert!(h.is_active(t(8, 9)));
        assert!(!h.is_active(t(8, 10)));
        assert_eq!(expired(&[h], t(8, 10)).count(), 1);
    }

    #[test]
    fn group_session_fills_seat_by_seat() {
        let et = group();
        let c = coach(vec![et.clone()]);
        let slot = r(9, 0, 10, 0);
        let mut holds = vec![hold("h1", "group", slot, t(8, 10))];
        let bookings = vec![booking("b1", "group", slot, "a@x")];
        assert_eq!(admit(&c, &ask(&et, slot, None), &holds, &bookings, t(8, 0)), Ok(()));
        holds.push(hold("h2", "group", slot, t(8, 10)));
        assert_eq!(admit(&c, &ask(&et, slot, None), &holds, &bookings, t(8, 0)), Err(SlotUnavailable::Full));
        // Once the holds expire the seats come back.
        assert_eq!(admit(&c, &ask(&et, slot, None), &holds, &bookings, t(8, 10)), Ok(()));
        // Confirming hold h2 does not count h2 against itself.
        let confirm = Admission { replaces: Some("h2"), ..ask(&et, slot, None) };
        assert_eq!(admit(&c, &confirm, &holds, &bookings, t(8, 0)), Ok(()));
    }

    #[test]
    fn other_times_and_types_block_fully() {
        let et = group();
        let mut other = EventType::new("solo", "Solo", Duration::minutes(30));
        other.buffer_after = Duration::minutes(15);
        let c = coach(vec![et.clone(), other]);
        let now = t(0, 0);
        // Same type, shifted by 30 minutes: a different session, blocks.
        let shifted = vec![booking("b", "group", r(9, 30, 10, 30), "a@x")];
        assert_eq!(admit(&c, &ask(&et, r(9, 0, 10, 0), None), &[], &shifted, now), Err(SlotUnavailable::Conflict));
        // Other type ending 08:45 with a 15-minute buffer after: blocks 09:00? No, touches.
        let solo = vec![booking("b", "solo", r(8, 15, 8, 45), "a@x")];
        assert_eq!(admit(&c, &ask(&et, r(9, 0, 10, 0), None), &[], &solo, now), Ok(()));
        let solo = vec![booking("b", "solo", r(8, 30, 9, 0), "a@x")];
        assert_eq!(admit(&c, &ask(&et, r(9, 0, 10, 0), None), &[], &solo, now), Err(SlotUnavailable::Conflict));
        // Cancelled bookings block nothing.
        let mut cancelled = booking("b", "solo", r(9, 0, 9, 30), "a@x");
        cancelled.status = BookingStatus::Cancelled;
        assert_eq!(admit(&c, &ask(&et, r(9, 0, 10, 0), None), &[], &[cancelled], now), Ok(()));
    }

    #[test]
    fn own_buffers_keep_distance_from_others() {
        let mut et = EventType::new("x", "X", Duration::minutes(30));
        et.buffer_before = Duration::minutes(10);
        let c = coach(vec![et.clone()]);
        let before = vec![hold("h", "unknown", r(8, 0, 8, 55), t(23, 0))];
        assert_eq!(admit(&c, &ask(&et, r(9, 0, 9, 30), None), &before, &[], t(0, 0)), Err(SlotUnavailable::Conflict));
    }

    #[test]
    fn once_per_student_refuses_second_booking() {
        let mut et = EventType::new("trial", "Trial", Duration::minutes(30));
        et.once_per_student = true;
        let c = coach(vec![et.clone()]);
        let bookings = vec![booking("b1", "trial", r(9, 0, 9, 30), "Ben@Example.org")];
        let err = admit(&c, &ask(&et, r(11, 0, 11, 30), Some("ben@example.org")), &[], &bookings, t(0, 0));
        assert_eq!(err, Err(SlotUnavailable::AlreadyBooked { booking_id: "b1".into() }));
        assert_eq!(admit(&c, &ask(&et, r(11, 0, 11, 30), Some("eve@example.org")), &[], &bookings, t(0, 0)), Ok(()));
        // Rescheduling b1 itself is fine.
        let moving = Admission { replaces: Some("b1"), ..ask(&et, r(11, 0, 11, 30), Some("ben@example.org")) };
        assert_eq!(admit(&c, &moving, &[], &bookings, t(0, 0)), Ok(()));
    }

    #[test]
    fn daily_cap_counts_sessions_and_allows_joining() {
        let mut et = group();
        et.max_per_day = Some(1);
        let c = coach(vec![et.clone()]);
        let bookings =
            vec![booking("b1", "group", r(9, 0, 10, 0), "a@x"), booking("b2", "group", r(9, 0, 10, 0), "b@x")];
        assert_eq!(admit(&c, &ask(&et, r(9, 0, 10, 0), None), &[], &bookings, t(0, 0)), Ok(()));
        let date = NaiveDate::from_ymd_opt(2026, 5, 4).unwrap();
        assert_eq!(
            admit(&c, &ask(&et, r(14, 0, 15, 0), None), &[], &bookings, t(0, 0)),
            Err(SlotUnavailable::DailyLimit { date })
        );
    }

    #[test]
    fn seats_never_negative_when_overfull() {
        let et = EventType::new("x", "X", Duration::hours(1));
        let c = coach(vec![et.clone()]);
        let slot = r(9, 0, 10, 0);
        let bookings = vec![booking("b1", "x", slot, "a@x"), booking("b2", "x", slot, "b@x")];
        let occupied = occupancy(&c, &[], &bookings, t(0, 0), None);
        assert_eq!(seats_left(&et, slot, &occupied), Err(SlotUnavailable::Full));
    }
}
