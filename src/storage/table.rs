//! Typed domain tables on top of the record door of [`Storage`]
//! (`record`/`records`/`take_record`/`apply`): one [`Table`] per kind of
//! domain record, the one value encoding ([`encode`]/[`decode`], postcard)
//! and the one sortable time key ([`time_key`]).
//!
//! Domain modules (booking, mail, feeds) own their record types and their
//! key layouts and name them with a [`Table`]; storage keeps the bytes and
//! knows nothing of their meaning, so this module imports nothing above
//! storage. A second backend implements the four record operations of the
//! trait; everything here works on any backend unchanged.
//!
//! The record table (the `X` records of [`super::keys`]):
//!
//! | table | key | value | owner |
//! |---|---|---|---|
//! | `booking` | booking id | postcard `Booking` (v1 read too) | `booking::service` |
//! | `booking-uid` | `{coach user}/{UID}` | booking id | `booking::service` |
//! | `coach-booking` | `{coach user}/{start: time_key}/{id}` | booking id | `booking::service` |
//! | `booking-fact` | `{coach user}/{id}` | postcard `BookingFact` | `booking::service` |
//! | `hold` | hold id | postcard `HoldRecord` (v1 read too) | `booking::service` |
//! | `meta` | `manage-secret`; `coach-booking-layout`; `booking-fact-layout` | 32 random bytes; `2`; `1` | `booking::service` |
//! | `health` | `probe` | i64 ms, little endian (`/readyz`'s write) | `app::ops` |
//! | `reschedule-request` | booking id | postcard `RescheduleRequest` | `booking::service` (`requests`) |
//! | `reschedule-request-uid` | `{coach user}/{request UID}` | booking id | `booking::service` (`requests`) |
//! | `series` | series id | postcard `SeriesRecord` | `booking::service::series` |
//! | `booking-series` | booking id | postcard `SeriesLink` | `booking::service::series` |
//! | `series-hold` | lead hold id | postcard `SeriesHold` | `booking::service::series` |
//! | `waitlist` | entry id | postcard `WaitlistEntry` | `booking::service::waitlist` |
//! | `waitlist-slot` | `{coach}/{type}/{time_key(start)}/{order:020}/{id}` | entry id (live entries) | `booking::service::waitlist` |
//! | `outbox` | `{due: time_key}/{id}` | postcard `OutboxEntry` | `mail::outbox` |
//! | `outbox-reminder` | `{booking id}/{id}` | the entry's `outbox` key | `mail::outbox` |
//! | `outbox-failed` | id | postcard `FailedEntry` | `mail::outbox` |
//! | `outbox-booking` | booking id | postcard `BookingMailState` | `mail::outbox` |
//! | `outbox-meta` | `sent`, `dropped` | u64 little endian | `mail::outbox` |
//! | `outbox-user-hour` | user | postcard hourly window | `mail::quota` |
//! | `feed` | hex SHA-256 of the token | postcard `FeedRecord` | `feeds` |
//! | `private-link` | hex SHA-256 of the token | postcard `PrivateLink` | `booking::service::private_links` |
//! | `booking-details` | booking id | postcard `BookingDetails` (answers) | `booking::service::details` |
//! | `import` | `{coach user}/{source}` | postcard import state | `feeds::import` |
//! | `audit` | `{at: time_key}/{id}` | postcard `AuditEntry` | `audit` |
//! | `audit-booking` | `{booking id}/{at}/{id}` | the `audit` key | `audit` |
//! | `audit-reference` | `{reference}/{at}/{id}` | the `audit` key | `audit` |
//! | `audit-coach` | `{coach user}/{at}/{id}` | the `audit` key | `audit` |
//! | `webhook` | `{due: time_key}/{id}` | postcard `Delivery` | `webhooks` |
//! | `webhook-failed` | id | postcard `FailedDelivery` | `webhooks` |
//! | `webhook-meta` | `delivered` | u64 little endian | `webhooks` |
//! | `dashboard-session` | hex SHA-256 of the session id | postcard `Session` | `auth::session` |
//! | `schedule-queue` | `{time_key}-{random}` | postcard `Delivery` | `scheduling::queue` |
//! | `schedule-inbox` | `{user}/{delivery id}-{n}.ics` | postcard `InboxMessage` | `scheduling::inbox` |
//!
//! Every time in a key is a [`time_key`]. The `coach-booking` index was
//! first written with seconds (20 digits, s + 10^12); the booking service
//! rewrites such keys once when it starts (`BookingStore::migrate`).

use std::marker::PhantomData;

use chrono::{DateTime, Utc};
use serde::{de::DeserializeOwned, Serialize};

use super::{RecordKey, Result, Storage, StorageError};

/// The one encoding of domain record values: postcard.
pub fn encode<T: Serialize>(v: &T) -> Vec<u8> {
    postcard::to_stdvec(v).expect("plain data encodes")
}

/// Decodes a record value; `what` names the record kind in the error.
pub fn decode<T: DeserializeOwned>(bytes: &[u8], what: &str) -> Result<T> {
    postcard::from_bytes(bytes).map_err(|e| StorageError::Backend(format!("corrupt {what} record: {e}")))
}

/// The one sortable time key of domain tables: microseconds since the
/// epoch plus 10^18, as 24 decimal digits, so that string order is time
/// order for every instant after about 29 700 BC (10^18 µs before 1970).
pub fn time_key(t: DateTime<Utc>) -> String {
    format!("{:024}", t.timestamp_micros() as i128 + 1_000_000_000_000_000_000)
}

/// A value a [`Table`] stores: encoded with [`encode`]; a kind with older
/// layouts on disk overrides [`TableValue::decode`] to read them too.
pub trait TableValue: Serialize + DeserializeOwned {
    /// Names the kind in errors.
    const KIND: &'static str;
    fn decode(bytes: &[u8]) -> Result<Self> {
        decode(bytes, Self::KIND)
    }
}

/// One domain table of typed values, keyed by strings that sort bytewise.
#[derive(Debug)]
pub struct Table<V> {
    name: &'static str,
    _value: PhantomData<fn() -> V>,
}

impl<V> Clone for Table<V> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<V> Copy for Table<V> {}

/// One record write of a batch (`None` removes), as [`super::RecordBatch`] takes it.
pub type RecordWrite = (RecordKey, Option<Vec<u8>>);

impl<V: TableValue> Table<V> {
    pub const fn new(name: &'static str) -> Self {
        Table { name, _value: PhantomData }
    }
    pub fn name(&self) -> &'static str {
        self.name
    }
    pub fn key(&self, key: impl Into<String>) -> RecordKey {
        RecordKey::new(self.name, key)
    }
    pub fn get(&self, storage: &dyn Storage, key: &str) -> Result<Option<V>> {
        storage.record(&self.key(key))?.map(|b| V::decode(&b)).transpose()
    }
    /// Records whose key starts with `prefix`, in key order.
    pub fn scan(&self, storage: &dyn Storage, prefix: &str) -> Result<Vec<(String, V)>> {
        storage.records(self.name, prefix)?.into_iter().map(|(k, b)| Ok((k, V::decode(&b)?))).collect()
    }
    /// At most `limit` records with `from <= key < to`, in key order.
    pub fn scan_between(&self, storage: &dyn Storage, from: &str, to: &str, limit: usize) -> Result<Vec<(String, V)>> {
        storage.records_between(self.name, from, to, limit)?.into_iter().map(|(k, b)| Ok((k, V::decode(&b)?))).collect()
    }
    /// Removes a record and returns it; of concurrent takers of one key
    /// exactly one gets it.
    pub fn take(&self, storage: &dyn Storage, key: &str) -> Result<Option<V>> {
        storage.take_record(&self.key(key))?.map(|b| V::decode(&b)).transpose()
    }
    /// The write that stores `value` under `key`, for a batch.
    pub fn put(&self, key: impl Into<String>, value: &V) -> RecordWrite {
        (self.key(key), Some(encode(value)))
    }
    /// The write that removes `key`, for a batch.
    pub fn remove(&self, key: impl Into<String>) -> RecordWrite {
        (self.key(key), None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn time_keys_sort_as_time_and_match_the_outbox_layout_on_disk() {
        let times = [
            Utc.with_ymd_and_hms(1901, 1, 1, 0, 0, 0).unwrap(),
            DateTime::from_timestamp(-1, 999_999_000).unwrap(),
            DateTime::from_timestamp(0, 0).unwrap(),
            DateTime::from_timestamp(0, 1_000).unwrap(),
            Utc.with_ymd_and_hms(2026, 5, 4, 9, 0, 0).unwrap(),
            Utc.with_ymd_and_hms(9999, 12, 31, 23, 59, 59).unwrap(),
        ];
        for w in times.windows(2) {
            assert!(time_key(w[0]) < time_key(w[1]), "{} {}", w[0], w[1]);
        }
        assert_eq!(time_key(DateTime::from_timestamp(0, 0).unwrap()), "000001000000000000000000");
        assert!(times.iter().all(|t| time_key(*t).len() == 24));
    }
}
