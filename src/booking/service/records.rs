//! The booking service's stores: bookings with their two indexes, and
//! holds, each over the typed record tables of [`crate::storage::table`].
//! This file alone knows their key layouts (listed with every other table
//! in `storage::table`); it imports storage and the booking types, nothing
//! above them.
//!
//! - `booking`: id → postcard [`Booking`] (the first layout read too).
//! - `booking-uid`: `{coach user}/{UID}` → booking id (raw bytes), so a
//!   coach's edit of an event finds its booking.
//! - `coach-booking`: `{coach user}/{start}/{id}` → booking id, `start` as
//!   [`table::time_key`], so a coach's bookings are scanned by start.
//!   Stores written before used 20 decimal digits of unix seconds + 10^12;
//!   [`BookingStore::migrate`] rewrites those keys once, when the service
//!   starts, and marks the store (`meta`: `coach-booking-layout` = `2`).
//! - `booking-fact`: `{coach user}/{id}` → postcard [`BookingFact`], written
//!   with every booking record (`put`, `update`, `save`), so a coach's
//!   analytics read one short prefix scan; made once for stores written
//!   before it ([`BookingStore::migrate_facts`], `meta`: `booking-fact-layout`
//!   = `1`; a new `BookingFact` layout bumps the mark, and every fact is
//!   made again from the records at the next start).
//! - `hold`: hold id → postcard [`HoldRecord`] (the first layout read too).
//! - `meta`: `manage-secret` → the 32 bytes manage links are signed with.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::super::holds::{Hold, HoldClient};
use super::super::fact::BookingFact;
use super::super::Booking;
use crate::model::TimeRange;
use crate::storage::table::{self, RecordWrite, Table, TableValue};
use crate::storage::{RecordKey, RecordWrites, Result, Storage, StorageError};

pub(super) const T_BOOKING_UID: &str = "booking-uid";
pub(super) const T_COACH_BOOKING: &str = "coach-booking";
const T_META: &str = "meta";

pub(super) const BOOKINGS: Table<Booking> = Table::new("booking");
const HOLDS: Table<HoldRecord> = Table::new("hold");
const FACTS: Table<BookingFact> = Table::new("booking-fact");
/// `meta` record marking every booking as having its fact.
const FACT_LAYOUT: &str = "booking-fact-layout";

impl TableValue for BookingFact {
    const KIND: &'static str = "booking fact";
}

/// The write of a booking's fact.
fn fact(booking: &Booking) -> RecordWrite {
    FACTS.put(format!("{}/{}", booking.coach, booking.id), &BookingFact::of(booking))
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
    pub fn decode(bytes: &[u8]) -> super::Result<HoldRecord> {
        Ok(<HoldRecord as TableValue>::decode(bytes)?)
    }
}

impl TableValue for HoldRecord {
    const KIND: &'static str = "hold";
    fn decode(bytes: &[u8]) -> Result<Self> {
        postcard::from_bytes::<HoldRecord>(bytes)
            .or_else(|e| {
                postcard::from_bytes::<HoldRecordV1>(bytes)
                    .map(|v1| HoldRecord { coach: v1.coach, hold: v1.hold, reschedule_of: v1.reschedule_of, client: None })
                    .map_err(|_| e)
            })
            .map_err(|e| StorageError::Backend(format!("corrupt hold record: {e}")))
    }
}

impl TableValue for Booking {
    const KIND: &'static str = "booking";
    fn decode(bytes: &[u8]) -> Result<Self> {
        Booking::decode(bytes).map_err(|e| StorageError::Backend(format!("corrupt booking record: {e}")))
    }
}

/// The sortable start of a `coach-booking` key (see the module doc).
fn start_key(t: DateTime<Utc>) -> String {
    table::time_key(t)
}

/// The start of a `coach-booking` key in the first layout: 20 digits of
/// unix seconds + 10^12.
fn first_layout_start(digits: &str) -> Option<DateTime<Utc>> {
    if digits.len() != 20 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    DateTime::from_timestamp(digits.parse::<i64>().ok()? - 1_000_000_000_000, 0)
}

/// `meta` record marking the `coach-booking` keys as [`table::time_key`]s.
const INDEX_LAYOUT: &str = "coach-booking-layout";

pub(super) fn index_key(coach_user: &str, start: DateTime<Utc>, id: &str) -> RecordKey {
    RecordKey::new(T_COACH_BOOKING, format!("{coach_user}/{}/{id}", start_key(start)))
}

/// Bookings and their indexes over any [`Storage`].
pub(super) struct BookingStore<'a> {
    pub storage: &'a dyn Storage,
}

impl BookingStore<'_> {
    pub fn get(&self, id: &str) -> Result<Option<Booking>> {
        BOOKINGS.get(self.storage, id)
    }

    /// The booking whose event in `coach_user`'s calendar has `uid`.
    pub fn id_by_uid(&self, coach_user: &str, uid: &str) -> Result<Option<String>> {
        Ok(self
            .storage
            .record(&RecordKey::new(T_BOOKING_UID, format!("{coach_user}/{uid}")))?
            .map(|id| String::from_utf8_lossy(&id).into_owned()))
    }

    /// Every booking of a coach, by start (those that no longer load are skipped).
    pub fn of_coach(&self, coach_user: &str) -> Result<Vec<Booking>> {
        self.of_coach_where(coach_user, |_| true)
    }

    /// Bookings of a coach that start within `range`, by start.
    pub fn starting_in(&self, coach_user: &str, range: TimeRange) -> Result<Vec<Booking>> {
        let from = format!("{coach_user}/{}", start_key(range.start));
        let to = format!("{coach_user}/{}", start_key(range.end));
        self.of_coach_where(coach_user, |key| key >= from.as_str() && key < to.as_str())
    }

    fn of_coach_where(&self, coach_user: &str, keep: impl Fn(&str) -> bool) -> Result<Vec<Booking>> {
        let mut out = Vec::new();
        for (key, id) in self.storage.records(T_COACH_BOOKING, &format!("{coach_user}/"))? {
            if !keep(&key) {
                continue;
            }
            if let Some(b) = self.get(&String::from_utf8_lossy(&id))? {
                out.push(b);
            }
        }
        Ok(out)
    }

    /// The writes that store a new or changed `booking` of `coach_user`
    /// with its UID and start indexes, replacing `previous`'s start.
    pub fn put(coach_user: &str, booking: &Booking, previous: Option<&Booking>) -> RecordWrites {
        let mut records = vec![
            BOOKINGS.put(booking.id.clone(), booking),
            fact(booking),
            (RecordKey::new(T_BOOKING_UID, format!("{coach_user}/{}", booking.uid)), Some(booking.id.as_bytes().to_vec())),
        ];
        if let Some(prev) = previous {
            records.push((index_key(coach_user, prev.range.start, &prev.id), None));
        }
        records.push((index_key(coach_user, booking.range.start, &booking.id), Some(booking.id.as_bytes().to_vec())));
        records
    }

    /// The writes that store a changed `booking` whose UID stays, moving
    /// its start index from `previous`'s.
    pub fn update(coach_user: &str, booking: &Booking, previous: &Booking) -> RecordWrites {
        vec![
            BOOKINGS.put(booking.id.clone(), booking),
            fact(booking),
            (index_key(coach_user, previous.range.start, &previous.id), None),
            (index_key(coach_user, booking.range.start, &booking.id), Some(booking.id.as_bytes().to_vec())),
        ]
    }

    /// The writes that store a changed `booking` whose start stays.
    pub fn save(booking: &Booking) -> RecordWrites {
        vec![BOOKINGS.put(booking.id.clone(), booking), fact(booking)]
    }

    /// The facts of every booking of a coach (one prefix scan).
    pub fn facts_of(&self, coach_user: &str) -> Result<Vec<BookingFact>> {
        Ok(FACTS.scan(self.storage, &format!("{coach_user}/"))?.into_iter().map(|(_, f)| f).collect())
    }

    /// Writes the fact of every booking of a store written before facts
    /// were kept, once (then marks the store). Returns how many.
    pub fn migrate_facts(&self, now: DateTime<Utc>) -> Result<usize> {
        let marker = RecordKey::new(T_META, FACT_LAYOUT);
        if self.storage.record(&marker)?.as_deref() == Some(&b"1"[..]) {
            return Ok(0);
        }
        let mut records: RecordWrites = BOOKINGS.scan(self.storage, "")?.iter().map(|(_, b)| fact(b)).collect();
        let n = records.len();
        records.push((marker, Some(b"1".to_vec())));
        self.storage.apply(crate::storage::RecordBatch { records, object: None }, now)?;
        self.storage.flush()?;
        if n > 0 {
            tracing::info!(bookings = n, "booking facts written for analytics");
        }
        Ok(n)
    }

    /// Rewrites `coach-booking` keys of the first layout into the current
    /// one, in one batch, and marks the store so later starts only read
    /// the mark. Returns how many keys moved.
    pub fn migrate(&self, now: DateTime<Utc>) -> Result<usize> {
        let marker = RecordKey::new(T_META, INDEX_LAYOUT);
        if self.storage.record(&marker)?.as_deref() == Some(&b"2"[..]) {
            return Ok(0);
        }
        let mut records = Vec::new();
        for (key, id) in self.storage.records(T_COACH_BOOKING, "")? {
            let mut parts = key.splitn(3, '/');
            let (Some(user), Some(start), Some(rest)) = (parts.next(), parts.next(), parts.next()) else { continue };
            let Some(start) = first_layout_start(start) else { continue };
            records.push((RecordKey::new(T_COACH_BOOKING, format!("{user}/{}/{rest}", start_key(start))), Some(id)));
            records.push((RecordKey::new(T_COACH_BOOKING, key), None));
        }
        let moved = records.len() / 2;
        records.push((marker, Some(b"2".to_vec())));
        self.storage.apply(crate::storage::RecordBatch { records, object: None }, now)?;
        self.storage.flush()?;
        if moved > 0 {
            tracing::info!(moved, "booking index keys rewritten to the current layout");
        }
        Ok(moved)
    }

    /// The secret manage links are signed with, made and stored on first use.
    pub fn manage_secret(&self, now: DateTime<Utc>) -> Result<Vec<u8>> {
        let key = RecordKey::new(T_META, "manage-secret");
        if let Some(s) = self.storage.record(&key)? {
            return Ok(s);
        }
        let s: [u8; 32] = rand::random();
        self.storage.apply(crate::storage::RecordBatch { records: vec![(key, Some(s.to_vec()))], object: None }, now)?;
        self.storage.flush()?;
        Ok(s.to_vec())
    }
}

/// Holds over any [`Storage`].
pub(super) struct HoldStore<'a> {
    pub storage: &'a dyn Storage,
}

impl HoldStore<'_> {
    pub fn get(&self, id: &str) -> Result<Option<HoldRecord>> {
        HOLDS.get(self.storage, id)
    }
    /// Every stored hold, active or not, with its id.
    pub fn all(&self) -> Result<Vec<(String, HoldRecord)>> {
        HOLDS.scan(self.storage, "")
    }
    pub fn put(rec: &HoldRecord) -> RecordWrite {
        HOLDS.put(rec.hold.id.clone(), rec)
    }
    pub fn remove(id: impl Into<String>) -> RecordWrite {
        HOLDS.remove(id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

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
        let new = crate::storage::table::encode(&HoldRecord { client: Some(client.clone()), ..rec });
        assert_eq!(HoldRecord::decode(&new).unwrap().client, Some(client));
        assert!(HoldRecord::decode(&old[..old.len() - 2]).is_err());
    }

    /// Index keys written now must be found (and removed when a booking
    /// moves) by every later release: their layout is fixed.
    #[test]
    fn the_coach_booking_index_layout_is_pinned() {
        use chrono::TimeZone;
        let t = Utc.with_ymd_and_hms(2026, 5, 4, 9, 0, 0).unwrap();
        let key = index_key("alice", t, "b1");
        assert_eq!((key.table, key.key.as_str()), ("coach-booking", "alice/000001001777885200000000/b1"));
        assert!(index_key("alice", t - Duration::days(20_000), "x").key < key.key);
        assert_eq!(first_layout_start("00000001001777885200"), Some(t));
        assert_eq!(first_layout_start(&start_key(t)), None);
    }

    /// A store written with the first index layout is migrated once: its
    /// bookings are found by start and moved without stale keys.
    #[test]
    fn index_keys_of_the_first_layout_are_migrated_once() {
        use chrono::TimeZone;
        let dir = tempfile::tempdir().unwrap();
        let storage = crate::storage::SledStorage::open(dir.path(), false, None).unwrap();
        let t = Utc.with_ymd_and_hms(2026, 5, 4, 9, 0, 0).unwrap();
        let old = |user: &str, start: DateTime<Utc>, id: &str| {
            (RecordKey::new(T_COACH_BOOKING, format!("{user}/{:020}/{id}", start.timestamp() + 1_000_000_000_000)), Some(id.as_bytes().to_vec()))
        };
        let mut booking = crate::booking::holds::tests::booking("b1", "x", TimeRange::new(t, t + Duration::hours(1)), "s@x.org");
        booking.coach = "alice".into();
        let records = vec![
            old("alice", t, "b1"),
            old("alice", t + Duration::days(400), "b2"),
            BOOKINGS.put("b1", &booking),
        ];
        storage.apply(crate::storage::RecordBatch { records, object: None }, t).unwrap();
        let store = BookingStore { storage: &storage };
        assert_eq!(store.migrate(t).unwrap(), 2);
        assert_eq!(store.migrate(t).unwrap(), 0, "once");
        let keys: Vec<String> = storage.records(T_COACH_BOOKING, "").unwrap().into_iter().map(|(k, _)| k).collect();
        assert_eq!(keys, vec![index_key("alice", t, "b1").key, index_key("alice", t + Duration::days(400), "b2").key]);
        let found = store.starting_in("alice", TimeRange::new(t - Duration::hours(1), t + Duration::hours(1))).unwrap();
        assert_eq!(found.iter().map(|b| b.id.as_str()).collect::<Vec<_>>(), vec!["b1"]);
        let mut moved = booking.clone();
        moved.range = TimeRange::new(t + Duration::days(1), t + Duration::days(1) + Duration::hours(1));
        storage.apply(crate::storage::RecordBatch { records: BookingStore::update("alice", &moved, &booking), object: None }, t).unwrap();
        assert_eq!(storage.records(T_COACH_BOOKING, "alice/").unwrap().len(), 2, "the old start's key went");
    }

    /// Bookings stored before facts were kept get theirs once; every
    /// later write of a booking writes its fact in the same batch.
    #[test]
    fn facts_are_made_once_for_older_stores_and_kept_with_every_write() {
        use chrono::TimeZone;
        let dir = tempfile::tempdir().unwrap();
        let storage = crate::storage::SledStorage::open(dir.path(), false, None).unwrap();
        let t = Utc.with_ymd_and_hms(2026, 5, 4, 9, 0, 0).unwrap();
        let mut old = crate::booking::holds::tests::booking("b1", "x", TimeRange::new(t, t + Duration::hours(1)), "a@x.org");
        old.coach = "alice".into();
        storage.apply(crate::storage::RecordBatch { records: vec![BOOKINGS.put("b1", &old)], object: None }, t).unwrap();
        let store = BookingStore { storage: &storage };
        assert!(store.facts_of("alice").unwrap().is_empty());
        assert_eq!(store.migrate_facts(t).unwrap(), 1);
        assert_eq!(store.migrate_facts(t).unwrap(), 0, "once");
        assert_eq!(store.facts_of("alice").unwrap(), vec![BookingFact::of(&old)]);
        let mut new = old.clone();
        new.id = "b2".into();
        storage.apply(crate::storage::RecordBatch { records: BookingStore::put("alice", &new, None), object: None }, t).unwrap();
        new.outcome.attendance = Some(crate::booking::Attendance::NoShow);
        storage.apply(crate::storage::RecordBatch { records: BookingStore::save(&new), object: None }, t).unwrap();
        let facts = store.facts_of("alice").unwrap();
        assert_eq!(facts.len(), 2);
        assert!(facts.contains(&BookingFact::of(&new)));
    }
}
