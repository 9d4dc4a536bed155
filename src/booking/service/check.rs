//! The bookings' invariants, for `slotdav check` (composed with the tree's
//! and the outbox's by `admin`):
//! - every active booking has its VEVENT in the coach's bookings calendar
//!   (found by UID), with its STATUS and times; a cancelled booking's event
//!   may be gone (the coach deleted it), but if it is there it says
//!   CANCELLED;
//! - every `booking-uid` entry names an existing booking with that coach
//!   and UID, and every booking has its entry;
//! - every `coach-booking` entry names an existing booking starting then,
//!   and every booking has its entry.
//!
//! A repair rebuilds the two indexes from the booking records (adding
//! missing entries, dropping those that point nowhere); it never changes
//! a booking or its event.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};

use super::super::{Booking, BookingStatus};
use super::records::{index_key, BOOKINGS, T_BOOKING_UID, T_COACH_BOOKING};
use crate::ical::CalendarObject;
use crate::storage::check::{CheckReport, Problem};
use crate::storage::{RecordBatch, RecordKey, RecordWrites, Result, Storage, StorePath};

/// Whether a booking record with this id exists (for the outbox's check).
pub fn booking_exists(storage: &dyn Storage, id: &str) -> Result<bool> {
    Ok(storage.record(&RecordKey::new(BOOKINGS.name(), id))?.is_some())
}

/// Checks every booking record against its event and indexes; with
/// `repair`, rebuilds the indexes. `bookings_calendar` names a coach's
/// bookings calendar (from the configuration; `None` for a user who is no
/// coach any more, whose bookings' events are then not looked for).
pub fn check_bookings(
    storage: &dyn Storage,
    bookings_calendar: &dyn Fn(&str) -> Option<String>,
    repair: bool,
    now: DateTime<Utc>,
) -> Result<CheckReport> {
    let mut report = CheckReport::default();
    let mut fixes: RecordWrites = Vec::new();
    let problem = |report: &mut CheckReport, what: String, fixable: bool| {
        let mut p = Problem::new("booking", what);
        p.repaired = repair && fixable;
        report.problems.push(p);
    };
    let mut bookings: Vec<Booking> = Vec::new();
    for (id, bytes) in storage.records(BOOKINGS.name(), "")? {
        report.records += 1;
        match Booking::decode(&bytes) {
            Ok(b) => bookings.push(b),
            Err(e) => problem(&mut report, format!("booking {id}: the record does not decode: {e}"), false),
        }
    }
    let uid_entries: BTreeSet<(String, String)> = storage.records(T_BOOKING_UID, "")?.into_iter().map(|(k, v)| (k, String::from_utf8_lossy(&v).into_owned())).collect();
    let start_entries: BTreeSet<(String, String)> =
        storage.records(T_COACH_BOOKING, "")?.into_iter().map(|(k, v)| (k, String::from_utf8_lossy(&v).into_owned())).collect();
    let mut wanted_uid: BTreeSet<(String, String)> = BTreeSet::new();
    let mut wanted_start: BTreeSet<(String, String)> = BTreeSet::new();
    for b in &bookings {
        let who = format!("booking {} ({})", b.reference, b.id);
        wanted_uid.insert((format!("{}/{}", b.coach, b.uid), b.id.clone()));
        wanted_start.insert((index_key(&b.coach, b.range.start, &b.id).key, b.id.clone()));
        let Some(calendar_name) = bookings_calendar(&b.coach) else { continue };
        let calendar = StorePath::home(&b.coach).child(&calendar_name);
        let object = match storage.object_by_uid(&calendar, &b.uid)? {
            Some(name) => storage.content(&calendar.child(&name))?,
            None => None,
        };
        let Some(bytes) = object else {
            if b.is_active() {
                problem(&mut report, format!("{who}: its VEVENT (UID {}) is not in {}", b.uid, calendar.joined()), false);
            }
            continue;
        };
        let event = match CalendarObject::parse(&bytes) {
            Ok(e) => e,
            Err(e) => {
                problem(&mut report, format!("{who}: its VEVENT does not parse: {e}"), false);
                continue;
            }
        };
        let want = match b.status {
            BookingStatus::Confirmed => "CONFIRMED",
            BookingStatus::Tentative => "TENTATIVE",
            BookingStatus::Cancelled => "CANCELLED",
        };
        let status = event.status().unwrap_or_else(|| "CONFIRMED".into());
        if status != want {
            problem(&mut report, format!("{who} is {want}, its VEVENT says STATUS:{status}"), false);
        }
        if b.is_active() && (event.dtstart() != Some(b.range.start) || event.dtend() != Some(b.range.end)) {
            problem(
                &mut report,
                format!("{who} is at {} – {}, its VEVENT at {:?} – {:?}", b.range.start, b.range.end, event.dtstart(), event.dtend()),
                false,
            );
        }
    }
    // issue 11 §3 (C): each reschedule request names a booking and has its event.
    for what in super::requests::check_requests(storage, &bookings, bookings_calendar)? {
        problem(&mut report, what, false);
    }
    for (table, have, want) in [(T_BOOKING_UID, &uid_entries, &wanted_uid), (T_COACH_BOOKING, &start_entries, &wanted_start)] {
        for (key, id) in have.difference(want) {
            problem(&mut report, format!("{table} entry {key} names booking {id:?}, which does not match it"), true);
            fixes.push((RecordKey::new(table, key.clone()), None));
        }
        for (key, id) in want.difference(have) {
            if have.iter().any(|(k, _)| k == key) {
                continue; // reported above, and rewritten here
            }
            problem(&mut report, format!("booking {id} has no {table} entry {key}"), true);
        }
        for (key, id) in want.difference(have) {
            fixes.push((RecordKey::new(table, key.clone()), Some(id.as_bytes().to_vec())));
        }
    }
    if repair && !fixes.is_empty() {
        // Removals first, so that a rewritten key keeps its new value.
        fixes.sort_by_key(|(_, v)| v.is_some());
        storage.apply(RecordBatch { records: fixes, object: None }, now)?;
        storage.flush()?;
    }
    Ok(report)
}
