//! The bookings' invariants, for `slotdav check` (composed with the tree's
//! and the outbox's by `admin`):
//! - every active booking has its VEVENT in the coach's bookings calendar
//!   (found by UID), with its STATUS and times; a cancelled booking's event
//!   may be gone (the coach deleted it), but if it is there it says
//!   CANCELLED;
//! - an occurrence of a series (issue 11 §2) agrees with its instance of
//!   the series' VEVENT (by RECURRENCE-ID): an active one is there with
//!   its times and status, a cancelled one is gone (EXDATE) or says
//!   CANCELLED; the series' one `booking-uid` entry names its first
//!   occurrence;
//! - every `booking-uid` entry names an existing booking with that coach
//!   and UID, and every booking has its entry;
//! - every `coach-booking` entry names an existing booking starting then,
//!   and every booking has its entry.
//!
//! A repair rebuilds the two indexes from the booking records (adding
//! missing entries, dropping those that point nowhere); it never changes
//! a booking or its event.

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, Utc};

use super::super::{Booking, BookingStatus};
use super::records::{index_key, BOOKINGS, T_BOOKING_UID, T_COACH_BOOKING};
use super::series::{SeriesRecord, SERIES};
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
    // (issue 11 §2) Occurrences of a series: booking id → (series, RECURRENCE-ID).
    let mut in_series: HashMap<String, (SeriesRecord, DateTime<Utc>)> = HashMap::new();
    for (_, series) in SERIES.scan(storage, "")? {
        for o in &series.occurrences {
            in_series.insert(o.booking_id.clone(), (series.clone(), o.recurrence_id));
        }
    }
    for b in &bookings {
        let who = format!("booking {} ({})", b.reference, b.id);
        match in_series.get(&b.id) {
            // A series has one `booking-uid` entry: its first occurrence.
            Some((series, _)) => {
                wanted_uid.insert((format!("{}/{}", b.coach, b.uid), series.occurrences[0].booking_id.clone()));
            }
            None => {
                wanted_uid.insert((format!("{}/{}", b.coach, b.uid), b.id.clone()));
            }
        }
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
        if let Some((series, rid)) = in_series.get(&b.id) {
            if let Some(what) = occurrence_disagrees(&event, series, *rid, b, want) {
                problem(&mut report, format!("{who}: {what}"), false);
            }
            continue;
        }
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

/// How an occurrence of `series` (booked for `rid`) disagrees with the
/// series' VEVENT `event`, if it does. Also used by the series' tests.
pub(super) fn occurrence_disagrees(event: &CalendarObject, series: &SeriesRecord, rid: DateTime<Utc>, b: &Booking, want: &str) -> Option<String> {
    let (first, last) = (*series.starts.first()?, *series.starts.last()?);
    let window = crate::model::TimeRange::new(first - chrono::Duration::days(400), last + chrono::Duration::days(400));
    let expansion = event.expand(window, None);
    let components: Vec<_> = event.components().collect();
    let instance = expansion.instances.iter().find(|i| i.recurrence_id == rid);
    let status = instance
        .and_then(|i| components.get(i.component))
        .and_then(|c| c.prop("STATUS"))
        .map(|p| p.value.trim().to_ascii_uppercase())
        .or_else(|| event.status())
        .unwrap_or_else(|| "CONFIRMED".into());
    match instance {
        None if b.is_active() => Some(format!("its occurrence of {rid} is not in the series' VEVENT")),
        None => None,
        Some(_) if !b.is_active() && status != "CANCELLED" => Some(format!("is cancelled, its occurrence of {rid} says STATUS:{status}")),
        Some(_) if !b.is_active() => None,
        Some(_) if status != want => Some(format!("is {want}, its occurrence of {rid} says STATUS:{status}")),
        Some(i) if i.range != b.range => Some(format!("is at {} – {}, its occurrence at {} – {}", b.range.start, b.range.end, i.range.start, i.range.end)),
        Some(_) => None,
    }
}
