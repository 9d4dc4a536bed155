//! The durable outbox: messages and reminders wait in the store until the
//! worker has handed them to the transport.
//!
//! Tables (all postcard, named as typed [`Table`]s: [`OUTBOX`] behind
//! [`OutboxStore`], [`FAILED`], [`MAIL_STATES`]):
//! - `outbox`: `{due}/{id}` → [`OutboxEntry`], `due` as
//!   [`table::time_key`]; keys sort by when the entry is
//!   next due, so the worker reads from the front and stops at the first
//!   entry in the future.
//! - `outbox-reminder`: `{booking id}/{id}` → the entry's `outbox` key, so a
//!   booking change finds and replaces the reminders it makes obsolete.
//! - `outbox-failed`: `{id}` → [`FailedEntry`], given up on; for the admin.
//! - `outbox-booking`: `{booking id}` → [`BookingMailState`]: the booking's
//!   sequence as the mail layer last saw it (stale reminders are dropped)
//!   and whether the student has been sent an invitation.
//! - `outbox-meta`: `sent`, `dropped` counters (u64, little endian).
//! - `outbox-user-hour`: `{user}` → the hourly count of [`super::quota`].
//!
//! Entries are written by the booking change hook in the same batch as the
//! booking itself. Sending is at least once: a crash between the SMTP
//! server's acceptance and the removal of the entry sends it again (at
//! once: the claim of a store that is gone holds nothing, see
//! `storage::lease`; a live process's claim holds for [`CLAIM_LEASE`]); a
//! normal restart never does.
//! Several processes sharing one store each claim what they send
//! (`Storage::claim_due`, a lease per entry), so none sends a message
//! another is sending; the entry and its claim leave in one batch.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use lettre::address::Envelope;
use lettre::Address;
use serde::{Deserialize, Serialize};

use super::config::MailConfig;
use super::transport::{SendError, Transport};
use crate::clock::Clock;
pub use crate::worker::Worker;
use crate::storage::table::{RecordWrite, Table, TableValue};
use crate::storage::lease::Claim;
use crate::storage::{RecordBatch, RecordKey, Storage, StorageError};

pub const T_OUTBOX: &str = "outbox";
pub const T_REMINDER: &str = "outbox-reminder";
pub const T_FAILED: &str = "outbox-failed";
pub const T_STATE: &str = "outbox-booking";
pub const T_META: &str = "outbox-meta";

/// What a queued message is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum MessageKind {
    /// To the student (or their guardian, issue 11 §4), about a change (with iMIP where it applies).
    Student,
    /// To the coach, about what a student did.
    Coach,
    /// A reminder this many seconds before the session.
    Reminder { offset_secs: i64 },
    /// An iMIP message to an attendee of an event a user organizes
    /// (implicit scheduling, RFC 6638); not tied to a booking.
    Invitation,
    /// To someone on a waitlist (joined, offered, lapsed); `booking_id`
    /// is the waitlist entry's id, not a booking's.
    Waitlist,
}

/// A queued message, formatted and ready to send.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboxEntry {
    pub id: String,
    pub kind: MessageKind,
    pub booking_id: String,
    /// The booking's sequence when the message was made (reminders of an
    /// older sequence are dropped).
    pub sequence: u32,
    pub session_start: DateTime<Utc>,
    pub created: DateTime<Utc>,
    /// When it is (next) due.
    pub due: DateTime<Utc>,
    pub envelope_from: String,
    pub to: String,
    pub subject: String,
    /// Failed attempts so far.
    pub attempts: u32,
    pub last_error: Option<String>,
    /// The RFC 5322 message.
    pub bytes: Vec<u8>,
}

impl OutboxEntry {
    pub fn key(&self) -> RecordKey {
        RecordKey::new(T_OUTBOX, format!("{}/{}", ts_key(self.due), self.id))
    }
}

/// A message given up on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailedEntry {
    pub entry: OutboxEntry,
    pub failed_at: DateTime<Utc>,
    pub reason: String,
}

/// What the mail layer remembers of a booking.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BookingMailState {
    pub sequence: u32,
    pub active: bool,
    /// The student has been sent an iMIP REQUEST.
    pub invited: bool,
}

/// What one run of the worker did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    pub sent: usize,
    /// Failed temporarily, will be tried again.
    pub retried: usize,
    /// Given up on (permanent failure or too many attempts).
    pub failed: usize,
    /// Reminders no longer wanted (session started, booking changed).
    pub dropped: usize,
}

/// The outbox at a glance.
#[derive(Debug, Clone, Default)]
pub struct OutboxStatus {
    pub pending: Vec<OutboxEntry>,
    pub failed: Vec<FailedEntry>,
    pub sent: u64,
    pub dropped: u64,
}

pub(crate) fn ts_key(t: DateTime<Utc>) -> String {
    crate::storage::table::time_key(t)
}

impl TableValue for OutboxEntry {
    const KIND: &'static str = "outbox";
}

impl TableValue for FailedEntry {
    const KIND: &'static str = "outbox";
}

impl TableValue for BookingMailState {
    const KIND: &'static str = "outbox";
}

/// The `outbox-failed` table: id → [`FailedEntry`].
pub const FAILED: Table<FailedEntry> = Table::new(T_FAILED);
/// The `outbox-booking` table: booking id → [`BookingMailState`].
pub const MAIL_STATES: Table<BookingMailState> = Table::new(T_STATE);

/// The `outbox` table: entries keyed `{due}/{id}` ([`table::time_key`]),
/// so a scan returns them in the order they fall due.
pub const OUTBOX: Table<OutboxEntry> = Table::new(T_OUTBOX);

/// The typed store of queued messages over any [`Storage`].
pub struct OutboxStore<'a> {
    storage: &'a dyn Storage,
}

impl<'a> OutboxStore<'a> {
    pub fn new(storage: &'a dyn Storage) -> Self {
        OutboxStore { storage }
    }
    /// The write that queues `entry`, for the batch of the change it belongs to.
    pub fn enqueue(entry: &OutboxEntry) -> RecordWrite {
        OUTBOX.put(entry.key().key, entry)
    }
    /// Every queued entry, the earliest due first.
    pub fn pending(&self) -> Result<Vec<OutboxEntry>, StorageError> {
        Ok(OUTBOX.scan(self.storage, "")?.into_iter().map(|(_, e)| e).collect())
    }
    /// Removes `entry` from the queue and returns it; of concurrent
    /// callers exactly one gets it.
    pub fn take(&self, entry: &OutboxEntry) -> Result<Option<OutboxEntry>, StorageError> {
        OUTBOX.take(self.storage, &entry.key().key)
    }
}

/// A new entry id: ordered within one process (so messages of one instant
/// leave in the order they were made), unique across processes.
pub(crate) fn new_id(now: DateTime<Utc>) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let r: u64 = rand::random();
    format!("{:016x}{:08x}{:016x}", now.timestamp_micros(), n & 0xffff_ffff, r)
}

fn counter(storage: &dyn Storage, name: &str) -> Result<u64, StorageError> {
    Ok(storage
        .record(&RecordKey::new(T_META, name))?
        .and_then(|b| <[u8; 8]>::try_from(b.as_slice()).ok())
        .map(u64::from_le_bytes)
        .unwrap_or(0))
}

/// Pending, failed and counters, read from the store (works with or
/// without a running server).
pub fn status(storage: &dyn Storage) -> Result<OutboxStatus, StorageError> {
    let pending = OutboxStore::new(storage).pending()?;
    let mut failed: Vec<FailedEntry> = FAILED.scan(storage, "")?.into_iter().map(|(_, f)| f).collect();
    failed.sort_by_key(|f| f.failed_at);
    Ok(OutboxStatus { pending, failed, sent: counter(storage, "sent")?, dropped: counter(storage, "dropped")? })
}

/// `slotdav outbox list`: one line per pending and failed message, then
/// the counters.
pub fn listing(storage: &dyn Storage) -> Result<String, StorageError> {
    let s = status(storage)?;
    let mut out = format!("pending: {}\n", s.pending.len());
    for e in &s.pending {
        let retry = match (&e.last_error, e.attempts) {
            (Some(err), n) => format!("  [{n} failed attempt(s), last: {err}]"),
            (None, _) => String::new(),
        };
        out.push_str(&format!("  {}  due {}  to {}  {:?}{retry}\n", e.id, e.due.format("%Y-%m-%d %H:%M:%SZ"), e.to, e.subject));
    }
    out.push_str(&format!("failed: {}\n", s.failed.len()));
    for f in &s.failed {
        out.push_str(&format!(
            "  {}  failed {}  to {}  {:?}  after {} attempt(s): {}\n",
            f.entry.id,
            f.failed_at.format("%Y-%m-%d %H:%M:%SZ"),
            f.entry.to,
            f.entry.subject,
            f.entry.attempts,
            f.reason
        ));
    }
    out.push_str(&format!("sent: {}\ndropped reminders: {}", s.sent, s.dropped));
    Ok(out)
}

/// Backoff before attempt `attempts + 1`: `base · 2^(attempts-1)`, capped.
pub fn backoff(base: Duration, max: Duration, attempts: u32) -> Duration {
    let factor = 1i64 << attempts.saturating_sub(1).min(30);
    base.checked_mul(factor as i32).filter(|d| *d <= max).unwrap_or(max)
}

/// Extra records written with the removal of a sent entry (the audit
/// trail's "reminder sent"), registered by `app`.
pub type SentHook = dyn Fn(&OutboxEntry, DateTime<Utc>) -> crate::storage::RecordWrites + Send + Sync;

/// The outbox and its sender.
pub struct Outbox {
    storage: Arc<dyn Storage>,
    clock: Arc<dyn Clock>,
    transport: Transport,
    max_attempts: u32,
    backoff: Duration,
    backoff_max: Duration,
    interval: std::time::Duration,
    /// Booking changes wake the worker early.
    wake: Arc<tokio::sync::Notify>,
    /// One run at a time (the worker and tests may both call it).
    running: tokio::sync::Mutex<()>,
    /// What users' calendar writes may still queue this hour.
    quota: super::quota::SendQuota,
    on_sent: std::sync::Mutex<Vec<Arc<SentHook>>>,
    /// The worker's heartbeat, depth and failures, for `/readyz` and `/metrics`.
    health: super::health::WorkerHealth,
}

impl Outbox {
    pub fn new(storage: Arc<dyn Storage>, clock: Arc<dyn Clock>, mail: &MailConfig, data_dir: &std::path::Path) -> Result<Outbox, String> {
        let transport = Transport::from_config(mail, data_dir)?;
        let health = super::health::WorkerHealth::new(mail.worker_interval);
        for (_, failed) in FAILED.scan(&*storage, "").map_err(|e| e.to_string())? {
            health.failed(failed.entry.kind);
        }
        Ok(Outbox {
            health,
            quota: super::quota::SendQuota::new(storage.clone(), mail.max_messages_per_user_hour),
            storage,
            clock,
            transport,
            max_attempts: mail.retry_max_attempts,
            backoff: mail.retry_backoff,
            backoff_max: mail.retry_backoff_max,
            interval: mail.worker_interval,
            wake: Default::default(),
            running: tokio::sync::Mutex::new(()),
            on_sent: std::sync::Mutex::new(Vec::new()),
        })
    }

    /// Registers what a sent message writes besides its removal, in the
    /// same batch.
    pub fn add_sent_hook(&self, hook: Arc<SentHook>) {
        self.on_sent.lock().unwrap_or_else(|p| p.into_inner()).push(hook);
    }

    /// The hourly cap on implicit-scheduling messages per user.
    pub fn quota(&self) -> &super::quota::SendQuota {
        &self.quota
    }

    pub fn storage(&self) -> &Arc<dyn Storage> {
        &self.storage
    }

    /// Asks the worker to look at the outbox soon.
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    pub fn status(&self) -> Result<OutboxStatus, StorageError> {
        status(&*self.storage)
    }

    /// The worker's heartbeat, the depth it last counted, failures by kind.
    pub fn health(&self) -> &super::health::WorkerHealth {
        &self.health
    }

    /// Sends everything due now (by the clock): each entry once; a
    /// temporary failure is retried after a backoff, a permanent one (or
    /// the last allowed attempt) moves the entry to `outbox-failed`.
    pub async fn run_due(&self) -> Result<Report, StorageError> {
        let _one = self.running.lock().await;
        let now = self.clock.now();
        let mut report = Report::default();
        // Keys are `{due}/{id}` in due order: everything due by now sorts
        // below `{ts_key(now)}0` ('/' < '0').
        let before = format!("{}0", ts_key(now));
        let holder = crate::storage::lease::process_holder();
        // Counted, not read: the outbox holds every future reminder too.
        let depth = self.storage.count_records(T_OUTBOX, "")?;
        loop {
            // Claimed for this process: another one sharing the store skips
            // these until they leave the queue (or the lease runs out).
            // Each handled entry leaves the due range, so a full batch is
            // followed by the next.
            let claim = Claim { table: T_OUTBOX, before: &before, holder, now, until: now + CLAIM_LEASE, limit: CLAIM_BATCH };
            let claimed = self.storage.claim_due(&claim)?;
            let full = claimed.len() == CLAIM_BATCH;
            for (key, bytes) in claimed {
                let entry = match OutboxEntry::decode(&bytes) {
                    Ok(e) => e,
                    Err(e) => {
                        tracing::error!(key, error = %e, "unreadable outbox entry; moving it aside");
                        let records = vec![crate::storage::lease::release(T_OUTBOX, &key), (RecordKey::new(T_OUTBOX, key), None)];
                        self.storage.apply(RecordBatch { records, object: None }, now)?;
                        continue;
                    }
                };
                if let MessageKind::Reminder { .. } = entry.kind {
                    if !self.reminder_wanted(&entry, now)? {
                        self.finish(&entry, now, "dropped")?;
                        report.dropped += 1;
                        tracing::info!(id = %entry.id, to = %entry.to, "reminder dropped: the session has started or changed");
                        continue;
                    }
                }
                let result = match envelope(&entry) {
                    Ok(env) => self.transport.send(&env, &entry.bytes).await,
                    Err(e) => Err(SendError::Permanent(e)),
                };
                match result {
                    Ok(()) => {
                        self.finish(&entry, now, "sent")?;
                        report.sent += 1;
                        tracing::info!(id = %entry.id, to = %entry.to, subject = %entry.subject, "mail sent");
                    }
                    Err(SendError::Temporary(reason)) if entry.attempts + 1 < self.max_attempts => {
                        let mut next = entry.clone();
                        next.attempts += 1;
                        next.last_error = Some(reason.clone());
                        next.due = now + backoff(self.backoff, self.backoff_max, next.attempts);
                        let mut records = vec![released(&entry), (entry.key(), None), OUTBOX.put(next.key().key, &next)];
                        if let MessageKind::Reminder { .. } = entry.kind {
                            records.push((reminder_index_key(&entry), Some(next.key().key.into_bytes())));
                        }
                        self.storage.apply(RecordBatch { records, object: None }, now)?;
                        report.retried += 1;
                        tracing::warn!(id = %entry.id, to = %entry.to, attempts = next.attempts, retry_at = %next.due, %reason, "mail not sent; will retry");
                    }
                    Err(e) => {
                        let reason = match &e {
                            SendError::Temporary(r) => format!("gave up after {} attempts; last: {r}", entry.attempts + 1),
                            SendError::Permanent(r) => r.clone(),
                        };
                        let mut last = entry.clone();
                        last.attempts += 1;
                        last.last_error = Some(reason.clone());
                        let failed = FailedEntry { entry: last, failed_at: now, reason: reason.clone() };
                        let mut records = vec![released(&entry), (entry.key(), None), FAILED.put(entry.id.clone(), &failed)];
                        if let MessageKind::Reminder { .. } = entry.kind {
                            records.push((reminder_index_key(&entry), None));
                        }
                        self.storage.apply(RecordBatch { records, object: None }, now)?;
                        self.health.failed(entry.kind);
                        report.failed += 1;
                        tracing::error!(id = %entry.id, to = %entry.to, %reason, "mail failed; see `slotdav outbox list`");
                    }
                }
            }
            if !full {
                break;
            }
        }
        // A backlog went down one SMTP session; none idles between runs.
        self.transport.close_idle().await;
        self.health.set_depth(depth.saturating_sub(report.sent + report.failed + report.dropped));
        if report != Report::default() {
            self.storage.flush()?;
        }
        Ok(report)
    }

    /// A reminder is sent while its session has not started and the
    /// booking is still the one it was made for.
    fn reminder_wanted(&self, entry: &OutboxEntry, now: DateTime<Utc>) -> Result<bool, StorageError> {
        if now >= entry.session_start {
            return Ok(false);
        }
        let state = MAIL_STATES.get(&*self.storage, &entry.booking_id)?;
        Ok(state.is_some_and(|s| s.active && s.sequence == entry.sequence))
    }

    /// Removes a handled entry and counts it.
    fn finish(&self, entry: &OutboxEntry, now: DateTime<Utc>, counter_name: &'static str) -> Result<(), StorageError> {
        let n = counter(&*self.storage, counter_name)? + 1;
        let mut records = vec![released(entry), (entry.key(), None), (RecordKey::new(T_META, counter_name), Some(n.to_le_bytes().to_vec()))];
        if let MessageKind::Reminder { .. } = entry.kind {
            records.push((reminder_index_key(entry), None));
        }
        if counter_name == "sent" {
            let hooks = self.on_sent.lock().unwrap_or_else(|p| p.into_inner()).clone();
            records.extend(hooks.iter().flat_map(|h| h(entry, now)));
        }
        self.storage.apply(RecordBatch { records, object: None }, now)
            .map(|_| ())
    }

    /// Runs [`Outbox::run_due`] every `worker_interval` (and soon after a
    /// booking change) until stopped.
    pub fn spawn_worker(self: &Arc<Self>) -> Worker {
        let outbox = self.clone();
        Worker::spawn(self.interval, self.wake.clone(), move || {
            let outbox = outbox.clone();
            async move {
                outbox.health.beat(outbox.clock.now());
                match outbox.run_due().await {
                    Ok(r) if r != Report::default() => tracing::debug!(?r, "outbox run"),
                    Ok(_) => {}
                    Err(e) => tracing::error!(error = %e, "outbox run failed"),
                }
            }
        })
    }
}

/// How long this process may take to send what it claimed before another
/// process sharing the store may claim it again (an SMTP exchange times
/// out well before).
pub const CLAIM_LEASE: Duration = Duration::minutes(10);

/// Entries claimed per claim (a run claims until nothing more is due).
const CLAIM_BATCH: usize = 256;

/// The write releasing this process's claim on `entry`, in the batch in
/// which it leaves the queue or moves to its next due time.
fn released(entry: &OutboxEntry) -> (RecordKey, Option<Vec<u8>>) {
    crate::storage::lease::release(T_OUTBOX, &entry.key().key)
}

pub(crate) fn reminder_index_key(entry: &OutboxEntry) -> RecordKey {
    RecordKey::new(T_REMINDER, format!("{}/{}", entry.booking_id, entry.id))
}

fn envelope(entry: &OutboxEntry) -> Result<Envelope, String> {
    let from: Address = entry.envelope_from.parse().map_err(|e| format!("bad sender address: {e}"))?;
    let to: Address = entry.to.parse().map_err(|e| format!("bad recipient address: {e}"))?;
    Envelope::new(Some(from), vec![to]).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let b = Duration::minutes(1);
        let m = Duration::minutes(10);
        assert_eq!(backoff(b, m, 1), Duration::minutes(1));
        assert_eq!(backoff(b, m, 2), Duration::minutes(2));
        assert_eq!(backoff(b, m, 4), Duration::minutes(8));
        assert_eq!(backoff(b, m, 5), Duration::minutes(10));
        assert_eq!(backoff(b, m, 200), Duration::minutes(10));
    }

    #[test]
    fn keys_sort_by_time() {
        let a = DateTime::from_timestamp(-5, 0).unwrap();
        let b = DateTime::from_timestamp(5, 0).unwrap();
        let c = DateTime::from_timestamp(50_000_000_000, 0).unwrap();
        assert!(ts_key(a) < ts_key(b) && ts_key(b) < ts_key(c));
        assert_eq!(ts_key(a).len(), ts_key(c).len());
    }
}
