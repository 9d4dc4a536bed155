//! The waitlist applied to the store (issue 11 §1): joining a full slot,
//! leaving, claiming an offer, and giving freed seats to who waits. An
//! offer is a hold in the hold table (so every slot computation counts
//! it), written with the entry's change and the hooks' records (the
//! offer mail through the outbox, audit, webhooks) in one batch.
//!
//! Seats free up through a booking change (a cancel, a reschedule away,
//! the coach's cancel, decline or move, in the app or on the dashboard):
//! [`BookingService::waitlist_records`] runs inside every change's
//! `hook_records`, so the offer is in the change's batch. A hold or an
//! offer that lapses frees its seat at the next sweep
//! ([`BookingService::sweep_waitlists`], run by `sweep_holds`), which
//! also repairs anything a crash left.
//!
//! Tables: `waitlist`: entry id → postcard [`WaitlistEntry`];
//! `waitlist-slot`: `{coach}/{event type}/{time_key(start)}/{order, 20 digits}/{id}`
//! → entry id, for live entries only, so a slot's list is one prefix scan
//! in join order. Imports the booking rules, storage and model.

use chrono::{DateTime, Utc};

use super::super::change::{Actor, BookingChange, HoldChange, HoldChangeKind};
use super::super::coach::CoachConfig;
use super::super::holds::Hold;
use super::super::policy::EventType;
use super::super::waitlist::{position, to_offer, WaitlistChange, WaitlistChangeKind, WaitlistEntry, WaitlistStatus};
use super::super::{token, Booking};
use super::decisions::validate_student;
use super::records::{HoldRecord, HoldStore};
use super::{BookingError, BookingService, ChangeKind, Result, StudentDetails, WaitlistHook};
use crate::i18n::Locale;
use crate::model::TimeRange;
use crate::storage::table::{self, Table, TableValue};
use crate::storage::{RecordBatch, RecordKey, RecordWrites, StorageError};

const ENTRIES: Table<WaitlistEntry> = Table::new("waitlist");
const T_SLOT: &str = "waitlist-slot";

/// At most this many people wait for one slot (joining needs no password).
pub const MAX_WAITING_PER_SLOT: usize = 100;

impl TableValue for WaitlistEntry {
    const KIND: &'static str = "waitlist entry";
    fn decode(bytes: &[u8]) -> std::result::Result<Self, StorageError> {
        WaitlistEntry::decode(bytes).map_err(|e| StorageError::Backend(format!("corrupt {} record: {e}", Self::KIND)))
    }
}

fn slot_prefix(coach: &str, event_type: &str, start: DateTime<Utc>) -> String {
    format!("{coach}/{event_type}/{}/", table::time_key(start))
}

fn slot_key(e: &WaitlistEntry) -> RecordKey {
    RecordKey::new(T_SLOT, format!("{}{:020}/{}", slot_prefix(&e.coach, &e.event_type, e.range.start), e.order, e.id))
}

/// The writes that store `e`: the entry, and its slot index while live.
fn put_entry(e: &WaitlistEntry) -> RecordWrites {
    let index = if e.status.is_live() { Some(e.id.as_bytes().to_vec()) } else { None };
    vec![ENTRIES.put(e.id.clone(), e), (slot_key(e), index)]
}

impl BookingService {
    /// Registers what a waitlist change writes besides the entry (mail,
    /// audit, webhooks), in the same batch.
    pub fn add_waitlist_hook(&self, hook: std::sync::Arc<WaitlistHook>) {
        self.on_waitlist.lock().unwrap_or_else(|p| p.into_inner()).push(hook);
    }

    fn waitlist_hook_records(&self, coach: &CoachConfig, et: &EventType, entry: &WaitlistEntry, kind: WaitlistChangeKind, position: Option<usize>, now: DateTime<Utc>) -> RecordWrites {
        let status_url = self.waitlist_url(&entry.id);
        let change = WaitlistChange { entry, kind, coach, event_type: et, position, status_url: &status_url, now };
        let hooks = self.on_waitlist.lock().unwrap_or_else(|p| p.into_inner()).clone();
        hooks.iter().flat_map(|h| h(&change)).collect()
    }

    /// The waitlist entry's page (status, leave, claim).
    pub fn waitlist_url(&self, token: &str) -> String {
        format!("{}/book/waitlist/{token}", super::super::links::base(&self.public_url))
    }

    /// The live entries of one slot, in join order.
    fn live_entries(&self, coach: &str, event_type: &str, start: DateTime<Utc>) -> Result<Vec<WaitlistEntry>> {
        let mut out = Vec::new();
        for (_, id) in self.storage.records(T_SLOT, &slot_prefix(coach, event_type, start))? {
            if let Some(e) = ENTRIES.get(&*self.storage, &String::from_utf8_lossy(&id))? {
                if e.status.is_live() {
                    out.push(e);
                }
            }
        }
        Ok(out)
    }

    pub(super) fn has_waiting(&self, coach: &CoachConfig, et: &EventType, start: DateTime<Utc>) -> Result<bool> {
        Ok(et.has_waitlist() && self.live_entries(&coach.user, &et.slug, start)?.iter().any(|e| e.status == WaitlistStatus::Waiting))
    }

    /// Joins the waitlist of the full slot of `type_slug` at `start`.
    /// Returns the entry and its 1-based position.
    pub fn join_waitlist(&self, coach_slug: &str, type_slug: &str, start: DateTime<Utc>, name: &str, email: &str, locale: Locale) -> Result<(WaitlistEntry, usize)> {
        let coach = self.coach(coach_slug)?;
        let et = self.event_type(coach, type_slug)?;
        if !et.has_waitlist() {
            return Err(BookingError::NoWaitlist);
        }
        let student = validate_student(StudentDetails { name: name.into(), email: email.into(), note: String::new(), ..Default::default() })?;
        let decide = self.decisions.lock().unwrap_or_else(|p| p.into_inner());
        let now = self.clock.now();
        let range = TimeRange::new(start, start + et.duration);
        let probe = TimeRange::new(start, start + chrono::Duration::seconds(1));
        let live = self.live_entries(&coach.user, &et.slug, start)?;
        let open = self.slots_for(coach, et, probe, None, &[])?.iter().any(|s| s.range == range);
        if open && !live.iter().any(|e| e.status == WaitlistStatus::Waiting) {
            return Err(BookingError::SlotAvailable);
        }
        // Full, not closed: the slot would be offered without the bookings
        // and holds of this very session.
        let same = |r: TimeRange| r == range;
        let offered = self
            .slots_where(coach, et, probe, None, &|b: &Booking| !(b.event_type == et.slug && same(b.range)), &|h: &Hold| !(h.event_type == et.slug && same(h.range)))?
            .iter()
            .any(|s| s.range == range);
        if !offered {
            return Err(BookingError::NoWaitlist);
        }
        if live.iter().any(|e| e.email.eq_ignore_ascii_case(&student.email)) {
            return Err(BookingError::AlreadyWaiting);
        }
        if live.len() >= MAX_WAITING_PER_SLOT {
            return Err(BookingError::WaitlistFull);
        }
        let entry = WaitlistEntry {
            id: token::new_id(),
            coach: coach.user.clone(),
            event_type: et.slug.clone(),
            range,
            name: student.name,
            email: student.email,
            joined_at: now,
            order: live.iter().map(|e| e.order).max().map_or(1, |o| o + 1),
            status: WaitlistStatus::Waiting,
            locale: locale.tag().to_string(),
        };
        let pos = live.len() + 1;
        let mut records = put_entry(&entry);
        records.extend(self.waitlist_hook_records(coach, et, &entry, WaitlistChangeKind::Joined, Some(pos), now));
        self.storage.apply(RecordBatch { records, object: None }, now)?;
        self.durable(decide)?;
        tracing::info!(coach = %coach.user, start = %start, position = pos, "joined a waitlist");
        Ok((entry, pos))
    }

    /// The slots of `type_slug` starting within `range` that are full
    /// (every seat booked or held) and take a waitlist: those the rules
    /// would offer without the bookings and holds of the session itself.
    pub fn full_slots(&self, coach_slug: &str, type_slug: &str, range: TimeRange) -> Result<Vec<TimeRange>> {
        let coach = self.coach(coach_slug)?;
        let et = self.event_type(coach, type_slug)?;
        if !et.has_waitlist() {
            return Ok(Vec::new());
        }
        let open: Vec<TimeRange> = self.slots_for(coach, et, range, None, &[])?.into_iter().map(|s| s.range).collect();
        let sessions: Vec<TimeRange> = self
            .bookings_in(coach, range)?
            .into_iter()
            .filter(|b| b.event_type == et.slug)
            .map(|b| b.range)
            .chain(self.active_holds(coach, self.clock.now())?.into_iter().filter(|h| h.hold.event_type == et.slug).map(|h| h.hold.range))
            .collect();
        let same = |r: &TimeRange| sessions.contains(r);
        let candidates = self.slots_where(coach, et, range, None, &|b: &Booking| !(b.event_type == et.slug && same(&b.range)), &|h: &Hold| !(h.event_type == et.slug && same(&h.range)))?;
        let mut full = Vec::new();
        for s in candidates {
            let waiting = !open.contains(&s.range) || self.has_waiting(coach, et, s.range.start)?;
            if waiting && same(&s.range) {
                full.push(s.range);
            }
        }
        Ok(full)
    }

    /// The coach's slots with people on their waitlists, by start: the
    /// event type, the slot, and how many wait (an offer counted too).
    pub fn waitlists_of_coach(&self, coach_user: &str) -> Result<Vec<(String, TimeRange, usize)>> {
        let mut out: Vec<(String, TimeRange, usize)> = Vec::new();
        for (_, id) in self.storage.records(T_SLOT, &format!("{coach_user}/"))? {
            let Some(e) = ENTRIES.get(&*self.storage, &String::from_utf8_lossy(&id))? else { continue };
            match out.iter_mut().find(|(t, r, _)| *t == e.event_type && *r == e.range) {
                Some(row) => row.2 += 1,
                None => out.push((e.event_type.clone(), e.range, 1)),
            }
        }
        out.sort_by_key(|(_, r, _)| r.start);
        Ok(out)
    }

    /// A waitlist entry by token, with its position while live.
    pub fn waitlist_entry(&self, token: &str) -> Result<(WaitlistEntry, Option<usize>)> {
        let entry = ENTRIES.get(&*self.storage, token)?.ok_or(BookingError::WaitlistNotFound)?;
        let pos = if entry.status.is_live() {
            position(&self.live_entries(&entry.coach, &entry.event_type, entry.range.start)?, &entry.id)
        } else {
            None
        };
        Ok((entry, pos))
    }

    /// The coach and event type of an entry.
    pub fn waitlist_context(&self, entry: &WaitlistEntry) -> Result<(&CoachConfig, &EventType)> {
        let coach = self.coach_by_user(&entry.coach)?;
        Ok((coach, self.event_type(coach, &entry.event_type)?))
    }

    /// Leaves the list (or declines a standing offer, which passes on).
    pub fn leave_waitlist(&self, token: &str) -> Result<WaitlistEntry> {
        let decide = self.decisions.lock().unwrap_or_else(|p| p.into_inner());
        let now = self.clock.now();
        let mut entry = ENTRIES.get(&*self.storage, token)?.ok_or(BookingError::WaitlistNotFound)?;
        if !entry.status.is_live() {
            return Ok(entry);
        }
        let (coach, et) = self.waitlist_context(&entry)?;
        let released: Vec<String> = entry.offer_hold().map(str::to_string).into_iter().collect();
        entry.status = WaitlistStatus::Left;
        let mut records = put_entry(&entry);
        records.extend(released.iter().cloned().map(HoldStore::remove));
        records.extend(self.waitlist_hook_records(coach, et, &entry, WaitlistChangeKind::Left, None, now));
        if !released.is_empty() {
            records.extend(self.offer_seats(coach, et, entry.range, None, &released, &[entry.id.clone()], now)?);
        }
        self.storage.apply(RecordBatch { records, object: None }, now)?;
        self.durable(decide)?;
        Ok(entry)
    }

    /// Claims the seat offered to the entry: a booking like any other
    /// (the entry turns `claimed` in the booking's batch).
    pub fn claim_waitlist(&self, token: &str, student: StudentDetails) -> Result<Booking> {
        self.claim_waitlist_with_guardian(token, student, None)
    }

    /// [`Self::claim_waitlist`] with (issue 11 §4) the guardian, as a
    /// hold confirm takes it.
    pub fn claim_waitlist_with_guardian(
        &self,
        token: &str,
        mut student: StudentDetails,
        guardian: Option<&super::super::guardian::GuardianInput>,
    ) -> Result<Booking> {
        let entry = ENTRIES.get(&*self.storage, token)?.ok_or(BookingError::WaitlistNotFound)?;
        let hold_id = match &entry.status {
            WaitlistStatus::Offered { hold_id, expires_at } if *expires_at > self.clock.now() => hold_id.clone(),
            WaitlistStatus::Offered { .. } | WaitlistStatus::Expired => return Err(BookingError::OfferExpired),
            _ => return Err(BookingError::NotOffered),
        };
        if student.name.trim().is_empty() {
            student.name = entry.name.clone();
        }
        if student.email.trim().is_empty() {
            student.email = entry.email.clone();
        }
        if !student.email.trim().eq_ignore_ascii_case(&entry.email) {
            return Err(BookingError::InvalidInput { field: "email", reason: "the offer is for the address that joined the waitlist".into() });
        }
        self.confirm_with_guardian(&hold_id, student, &std::collections::BTreeMap::new(), guardian).map_err(|e| match e {
            BookingError::HoldExpired | BookingError::HoldNotFound => BookingError::OfferExpired,
            e => e,
        })
    }

    /// The waitlist records of a booking change, for its batch: a booking
    /// of a slot takes its booker off that slot's list (`claimed`); a seat
    /// a change frees goes to the first who waits.
    pub(super) fn waitlist_records(&self, change: &BookingChange) -> RecordWrites {
        let result = (|| -> Result<RecordWrites> {
            let b = change.booking;
            let coach = change.coach;
            let Some(et) = coach.policy.event_type(&b.event_type) else { return Ok(Vec::new()) };
            let mut records = Vec::new();
            if b.is_active() && matches!(change.kind, ChangeKind::Booked | ChangeKind::Rescheduled | ChangeKind::MovedByCoach) {
                for mut e in self.live_entries(&coach.user, &et.slug, b.range.start)? {
                    if e.range == b.range && e.email.eq_ignore_ascii_case(&b.student_email) {
                        records.extend(e.offer_hold().map(|h| HoldStore::remove(h.to_string())));
                        e.status = WaitlistStatus::Claimed { booking_id: b.id.clone() };
                        records.extend(put_entry(&e));
                        records.extend(self.waitlist_hook_records(coach, et, &e, WaitlistChangeKind::Claimed, None, change.now));
                    }
                }
            }
            let freed = match change.previous {
                Some(prev) if prev.is_active() && (!b.is_active() || prev.range != b.range) => Some(prev.range),
                _ => None,
            };
            if let Some(range) = freed {
                records.extend(self.offer_seats(coach, et, range, Some(&b.id), &[], &[], change.now)?);
            }
            Ok(records)
        })();
        result.unwrap_or_else(|e| {
            tracing::warn!(error = %e, "cannot update the waitlist with a booking change; the sweep will");
            Vec::new()
        })
    }

    /// Offers the seats of the slot `range` that are open without the
    /// booking `ignore_booking` and the holds `ignore_holds` to the first
    /// entries that wait (not `skip`): a hold for each, until the offer
    /// lapses, and the hooks' records (the claim mail).
    #[allow(clippy::too_many_arguments)]
    fn offer_seats(&self, coach: &CoachConfig, et: &EventType, range: TimeRange, ignore_booking: Option<&str>, ignore_holds: &[String], skip: &[String], now: DateTime<Utc>) -> Result<RecordWrites> {
        if !et.has_waitlist() {
            return Ok(Vec::new());
        }
        let live: Vec<WaitlistEntry> = self.live_entries(&coach.user, &et.slug, range.start)?.into_iter().filter(|e| !skip.contains(&e.id)).collect();
        if !live.iter().any(|e| e.status == WaitlistStatus::Waiting) {
            return Ok(Vec::new());
        }
        let Some(expires_at) = et.offer_expiry(range.start, now) else { return Ok(Vec::new()) };
        let probe = TimeRange::new(range.start, range.start + chrono::Duration::seconds(1));
        let seats = self
            .slots_for(coach, et, probe, ignore_booking, ignore_holds)?
            .into_iter()
            .find(|s| s.range == range)
            .map_or(0, |s| s.seats_left);
        let mut records = Vec::new();
        for e in to_offer(&live, seats) {
            let hold = Hold { id: token::new_id(), event_type: et.slug.clone(), range, expires_at, student_email: Some(e.email.clone()) };
            let rec = HoldRecord { coach: coach.user.clone(), hold, reschedule_of: None, client: None };
            let mut e = e.clone();
            e.status = WaitlistStatus::Offered { hold_id: rec.hold.id.clone(), expires_at };
            records.push(HoldStore::put(&rec));
            records.extend(put_entry(&e));
            let actor = Actor::System { cause: "waitlist offer".into() };
            records.extend(self.hold_hook_records(&HoldChange { hold: &rec, kind: HoldChangeKind::Placed, actor, now }));
            records.extend(self.waitlist_hook_records(coach, et, &e, WaitlistChangeKind::Offered, None, now));
            tracing::info!(coach = %coach.user, start = %range.start, "waitlist offer made");
        }
        Ok(records)
    }

    /// Lapsed offers pass on, entries whose slot can no longer be booked
    /// expire, and open seats go to who waits. Run by `sweep_holds`.
    /// Returns how many entries changed.
    pub fn sweep_waitlists(&self) -> Result<usize> {
        let decide = self.decisions.lock().unwrap_or_else(|p| p.into_inner());
        let now = self.clock.now();
        let mut slots: Vec<(String, String, DateTime<Utc>)> = Vec::new();
        for (_, id) in self.storage.records(T_SLOT, "")? {
            if let Some(e) = ENTRIES.get(&*self.storage, &String::from_utf8_lossy(&id))? {
                let slot = (e.coach.clone(), e.event_type.clone(), e.range.start);
                if slots.last() != Some(&slot) {
                    slots.push(slot);
                }
            }
        }
        let mut changed = 0;
        for (coach_user, type_slug, start) in slots {
            let Ok(coach) = self.coach_by_user(&coach_user) else { continue };
            let Ok(et) = self.event_type(coach, &type_slug) else { continue };
            let mut records = Vec::new();
            let mut released = Vec::new();
            let mut done = Vec::new();
            for mut e in self.live_entries(&coach.user, &et.slug, start)? {
                let lapsed = match &e.status {
                    WaitlistStatus::Offered { hold_id, expires_at } => {
                        *expires_at <= now || !HoldStore { storage: &*self.storage }.get(hold_id)?.is_some_and(|h| h.hold.is_active(now))
                    }
                    _ => now >= start - et.min_notice,
                };
                if lapsed {
                    if let Some(h) = e.offer_hold() {
                        released.push(h.to_string());
                        records.push(HoldStore::remove(h.to_string()));
                    }
                    e.status = WaitlistStatus::Expired;
                    records.extend(put_entry(&e));
                    records.extend(self.waitlist_hook_records(coach, et, &e, WaitlistChangeKind::Expired, None, now));
                    done.push(e.id.clone());
                    changed += 1;
                }
            }
            let range = TimeRange::new(start, start + et.duration);
            let offers = self.offer_seats(coach, et, range, None, &released, &done, now)?;
            changed += offers.iter().filter(|(k, _)| k.table == ENTRIES.name()).count();
            records.extend(offers);
            if !records.is_empty() {
                self.storage.apply(RecordBatch { records, object: None }, now)?;
            }
        }
        self.durable(decide)?;
        Ok(changed)
    }
}

#[cfg(test)]
mod tests {
    //! The waitlist's invariant under random sequences of holds, confirms,
    //! cancels, joins, leaves, claims and time passing: no slot is ever
    //! over its seats (bookings + holds, offers included), and no seat is
    //! offered to two people (each standing offer has its own live hold,
    //! and offers + bookings never exceed the seats).
    use std::sync::Arc;

    use chrono::{Duration, TimeZone, Utc};
    use proptest::prelude::*;

    use super::super::super::holds::HoldClient;
    use super::*;
    use crate::clock::{Clock, ManualClock};
    use crate::storage::{SledStorage, Storage, StorePath, User};

    const SEATS: usize = 2;
    const TOML: &str = r#"
[[coach]]
user = "alice"
timezone = "Europe/Berlin"
working_hours = { mon = ["09:00-17:00"], tue = ["09:00-17:00"], wed = ["09:00-17:00"] }
[[coach.event_type]]
slug = "group"
title = "Group"
duration = "1h"
seats = 2
hold_ttl = "10m"
waitlist_offer_ttl = "30m"
"#;

    #[derive(Debug, Clone)]
    enum Op {
        Book(u8),
        Hold(u8),
        Cancel(u8),
        Join(u8),
        Leave(u8),
        Claim(u8),
        Pass(u8),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            (0u8..6).prop_map(Op::Book),
            (0u8..6).prop_map(Op::Hold),
            (0u8..6).prop_map(Op::Cancel),
            (0u8..6).prop_map(Op::Join),
            (0u8..6).prop_map(Op::Leave),
            (0u8..6).prop_map(Op::Claim),
            (1u8..40).prop_map(Op::Pass),
        ]
    }

    fn check(service: &BookingService, start: DateTime<Utc>) {
        let now = service.now();
        let coach = service.coach("alice").unwrap();
        let range = TimeRange::new(start, start + Duration::hours(1));
        let booked = service.bookings_in(coach, range).unwrap().into_iter().filter(|b| b.range == range).count();
        let holds: Vec<HoldRecord> = service.active_holds(coach, now).unwrap().into_iter().filter(|h| h.hold.range == range).collect();
        assert!(booked + holds.len() <= SEATS, "over its seats: {booked} booked, {} held", holds.len());
        let live = service.live_entries("alice", "group", start).unwrap();
        let offered: Vec<&str> = live.iter().filter_map(|e| match &e.status {
            WaitlistStatus::Offered { hold_id, expires_at } if *expires_at > now => Some(hold_id.as_str()),
            _ => None,
        }).collect();
        let mut distinct = offered.clone();
        distinct.sort();
        distinct.dedup();
        assert_eq!(distinct.len(), offered.len(), "one hold offered to two people");
        for h in &offered {
            assert!(holds.iter().any(|r| r.hold.id == *h), "a standing offer without its hold");
        }
        assert!(booked + offered.len() <= SEATS, "more offers than free seats");
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]
        #[test]
        fn no_seat_is_offered_twice_and_no_slot_is_over_its_seats(ops in proptest::collection::vec(op(), 1..40)) {
            let dir = tempfile::tempdir().unwrap();
            let storage: Arc<dyn Storage> = Arc::new(SledStorage::open(dir.path(), false, None).unwrap());
            let t0 = Utc.with_ymd_and_hms(2030, 3, 4, 8, 0, 0).unwrap();
            storage.put_user(&User { name: "alice".into(), password_hash: "x".into(), email: None, created: t0 }).unwrap();
            let config = crate::config::Config::parse(TOML, std::path::Path::new("t.toml")).unwrap();
            let coach = &config.coaches[0];
            crate::provision::home(&*storage, "alice", t0).unwrap();
            let home = StorePath::home("alice");
            crate::provision::calendar(&*storage, &home.child(&coach.availability_calendar), "A", vec![crate::ical::ComponentKind::Event], t0).unwrap();
            crate::provision::calendar(&*storage, &home.child(&coach.bookings_calendar), "S", vec![crate::ical::ComponentKind::Event], t0).unwrap();
            let clock = Arc::new(ManualClock::new(t0));
            let dyn_clock: Arc<dyn Clock> = clock.clone();
            let service = BookingService::new(storage, dyn_clock, config.coaches.clone(), "http://localhost".into()).unwrap();
            let start = t0 + Duration::hours(3); // Monday 12:00 in Berlin
            let mut manage: Vec<Option<String>> = vec![None; 6];
            let mut tokens: Vec<Option<String>> = vec![None; 6];
            let email = |i: u8| format!("s{i}@example.org");
            for op in ops {
                match op {
                    Op::Book(i) | Op::Hold(i) => {
                        let client = HoldClient::new(format!("10.0.0.{i}").parse().unwrap(), None);
                        if let Ok(rec) = service.hold("alice", "group", start, None, &client) {
                            if matches!(op, Op::Book(_)) {
                                let details = StudentDetails { name: format!("S{i}"), email: email(i), note: String::new(), ..Default::default() };
                                if let Ok(b) = service.confirm(&rec.hold.id, details) {
                                    manage[i as usize] = Some(service.manage_token(&b));
                                }
                            }
                        }
                    }
                    Op::Cancel(i) => {
                        if let Some(t) = &manage[i as usize] {
                            let _ = service.cancel(t);
                        }
                    }
                    Op::Join(i) => {
                        if let Ok((e, _)) = service.join_waitlist("alice", "group", start, &format!("S{i}"), &email(i), Locale::default()) {
                            tokens[i as usize] = Some(e.id);
                        }
                    }
                    Op::Leave(i) => {
                        if let Some(t) = &tokens[i as usize] {
                            service.leave_waitlist(t).unwrap();
                        }
                    }
                    Op::Claim(i) => {
                        if let Some(t) = &tokens[i as usize] {
                            if let Ok(b) = service.claim_waitlist(t, StudentDetails::default()) {
                                manage[i as usize] = Some(service.manage_token(&b));
                            }
                        }
                    }
                    Op::Pass(m) => {
                        clock.advance(Duration::minutes(m as i64));
                        service.sweep_holds().unwrap();
                    }
                }
                check(&service, start);
            }
        }
    }
}
