//! The durable queue of webhook deliveries, beside the mail outbox in the
//! same store (listed with every other table in `storage::table`):
//!
//! - `webhook`: `{due: time_key}/{id}` → [`Delivery`]; key order is due
//!   order, so the worker reads from the front.
//! - `webhook-failed`: `{id}` → [`FailedDelivery`], given up on (kept for
//!   `slotdav outbox list`).
//! - `webhook-meta`: `delivered` → u64 little endian.
//!
//! A delivery is written by the booking change hook in the same batch as
//! the change; its body is fixed then, so every attempt sends the same
//! bytes under the same `Idempotency-Key`.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::storage::table::{time_key, Table, TableValue};
use crate::storage::{RecordKey, Storage, StorageError};

pub const T_QUEUE: &str = "webhook";
pub const T_FAILED: &str = "webhook-failed";
pub const T_META: &str = "webhook-meta";

/// One event on its way to one webhook.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delivery {
    /// The event's id: the body's `id` and the `Idempotency-Key`.
    pub id: String,
    /// The `[[webhook]]` it goes to (its `url`; the secret and attempts
    /// are read from the configuration when it is sent).
    pub url: String,
    /// e.g. `booking.created`.
    pub event: String,
    /// The booking's reference, for the listing.
    pub reference: String,
    pub created: DateTime<Utc>,
    /// When it is (next) due.
    pub due: DateTime<Utc>,
    /// Failed attempts so far.
    pub attempts: u32,
    pub last_error: Option<String>,
    /// The JSON body.
    pub body: Vec<u8>,
}

impl Delivery {
    pub fn key(&self) -> String {
        format!("{}/{}", time_key(self.due), self.id)
    }
}

/// A delivery given up on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailedDelivery {
    pub delivery: Delivery,
    pub failed_at: DateTime<Utc>,
    pub reason: String,
}

impl TableValue for Delivery {
    const KIND: &'static str = "webhook delivery";
}
impl TableValue for FailedDelivery {
    const KIND: &'static str = "failed webhook delivery";
}

pub const QUEUE: Table<Delivery> = Table::new(T_QUEUE);
pub const FAILED: Table<FailedDelivery> = Table::new(T_FAILED);

/// The `delivered` counter's key.
pub fn delivered_key() -> RecordKey {
    RecordKey::new(T_META, "delivered")
}

pub fn delivered(storage: &dyn Storage) -> Result<u64, StorageError> {
    Ok(storage
        .record(&delivered_key())?
        .and_then(|b| <[u8; 8]>::try_from(b.as_slice()).ok())
        .map(u64::from_le_bytes)
        .unwrap_or(0))
}

/// Deliveries due at `now`, the earliest first, at most `limit`.
pub fn due(storage: &dyn Storage, now: DateTime<Utc>, limit: usize) -> Result<Vec<(String, Vec<u8>)>, StorageError> {
    // `{due}/…` ≤ now: every key below `{time_key(now)}0` ('/' < '0').
    storage.records_between(T_QUEUE, "", &format!("{}0", time_key(now)), limit)
}

/// How long a process may take to deliver what it claimed before another
/// process may claim it again (a POST times out well before).
pub const CLAIM_LEASE: chrono::Duration = chrono::Duration::minutes(5);

/// Claims the deliveries due at `now` for this process ([`Storage::claim_due`]):
/// the earliest first, at most `limit`, none another process is delivering.
/// Each leaves the queue in a batch with [`released`].
pub fn claim(storage: &dyn Storage, now: DateTime<Utc>, limit: usize) -> Result<Vec<(String, Vec<u8>)>, StorageError> {
    let holder = crate::storage::lease::process_holder();
    let before = format!("{}0", time_key(now));
    storage.claim_due(&crate::storage::lease::Claim { table: T_QUEUE, before: &before, holder, now, until: now + CLAIM_LEASE, limit })
}

/// The write releasing this process's claim on the delivery at `key`.
pub fn released(key: &str) -> (crate::storage::RecordKey, Option<Vec<u8>>) {
    crate::storage::lease::release(T_QUEUE, key)
}

/// Queued and failed deliveries, and the delivered count.
pub struct QueueStatus {
    pub pending: Vec<Delivery>,
    pub failed: Vec<FailedDelivery>,
    pub delivered: u64,
}

pub fn status(storage: &dyn Storage) -> Result<QueueStatus, StorageError> {
    let pending = QUEUE.scan(storage, "")?.into_iter().map(|(_, d)| d).collect();
    let mut failed: Vec<FailedDelivery> = FAILED.scan(storage, "")?.into_iter().map(|(_, f)| f).collect();
    failed.sort_by_key(|f| f.failed_at);
    Ok(QueueStatus { pending, failed, delivered: delivered(storage)? })
}

/// The webhook part of `slotdav outbox list`.
pub fn listing(storage: &dyn Storage) -> Result<String, StorageError> {
    let s = status(storage)?;
    let mut out = format!("webhooks pending: {}\n", s.pending.len());
    for d in &s.pending {
        let retry = match (&d.last_error, d.attempts) {
            (Some(err), n) => format!("  [{n} failed attempt(s), last: {err}]"),
            (None, _) => String::new(),
        };
        out.push_str(&format!("  {}  due {}  {}  {} {}{retry}\n", d.id, d.due.format("%Y-%m-%d %H:%M:%SZ"), d.url, d.event, d.reference));
    }
    out.push_str(&format!("webhooks failed: {}\n", s.failed.len()));
    for f in &s.failed {
        out.push_str(&format!(
            "  {}  failed {}  {}  {} {}  after {} attempt(s): {}\n",
            f.delivery.id,
            f.failed_at.format("%Y-%m-%d %H:%M:%SZ"),
            f.delivery.url,
            f.delivery.event,
            f.delivery.reference,
            f.delivery.attempts,
            f.reason
        ));
    }
    out.push_str(&format!("webhooks delivered: {}", s.delivered));
    Ok(out)
}
