//! The audit tables and their key layouts (listed with every other table
//! in `storage::table`):
//!
//! - `audit`: `{at: time_key}/{id}` → postcard [`AuditEntry`]; key order is
//!   time order, so "everything since" and pruning are range scans.
//! - `audit-booking`: `{booking id}/{at}/{id}` → the `audit` key.
//! - `audit-reference`: `{booking reference}/{at}/{id}` → the `audit` key.
//! - `audit-coach`: `{coach user}/{at}/{id}` → the `audit` key.
//!
//! An entry and its index keys are written together ([`writes`]) and
//! pruned together ([`prune`]).

use std::sync::atomic::{AtomicU64, Ordering};

use chrono::{DateTime, Duration, Utc};

use super::{AuditEntry, Subject};
use crate::storage::table::{time_key, Table, TableValue};
use crate::storage::{RecordBatch, RecordKey, RecordWrites, Storage, StorageError};

const T_BY_BOOKING: &str = "audit-booking";
const T_BY_REFERENCE: &str = "audit-reference";
const T_BY_COACH: &str = "audit-coach";

/// The `audit` table.
pub const ENTRIES: Table<AuditEntry> = Table::new("audit");

/// Entries one prune batch removes; [`prune`] runs at most
/// [`PRUNE_BATCHES`] of them per call, so one call stays short however
/// much is due.
pub const PRUNE_BATCH: usize = 500;
pub const PRUNE_BATCHES: usize = 20;

impl TableValue for AuditEntry {
    const KIND: &'static str = "audit";
}

/// A new entry id: ordered within one process, unique across processes.
pub(super) fn new_id() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("{:010x}{:016x}", n & 0xff_ffff_ffff, rand::random::<u64>())
}

fn entry_key(e: &AuditEntry) -> String {
    format!("{}/{}", time_key(e.at), e.id)
}

/// The index keys of an entry.
fn index_keys(e: &AuditEntry) -> Vec<RecordKey> {
    let tail = entry_key(e);
    let mut keys = Vec::new();
    if let Subject::Booking { id, reference } = &e.subject {
        keys.push(RecordKey::new(T_BY_BOOKING, format!("{id}/{tail}")));
        if !reference.is_empty() {
            keys.push(RecordKey::new(T_BY_REFERENCE, format!("{reference}/{tail}")));
        }
    }
    if let Some(c) = &e.coach {
        keys.push(RecordKey::new(T_BY_COACH, format!("{c}/{tail}")));
    }
    keys
}

/// The writes that store `entry` with its index keys, for the batch of
/// the change it records.
pub fn writes(entry: &AuditEntry) -> RecordWrites {
    let key = entry_key(entry);
    let mut out = vec![ENTRIES.put(key.clone(), entry)];
    out.extend(index_keys(entry).into_iter().map(|k| (k, Some(key.clone().into_bytes()))));
    out
}

/// What `slotdav audit` asks for.
#[derive(Debug, Clone)]
pub struct AuditQuery {
    pub coach: Option<String>,
    /// A booking id or reference.
    pub booking: Option<String>,
    pub since: Option<DateTime<Utc>>,
    /// At most this many entries.
    pub limit: usize,
}

impl Default for AuditQuery {
    fn default() -> Self {
        AuditQuery { coach: None, booking: None, since: None, limit: 100_000 }
    }
}

/// Loads the entries an index scan found, in index order.
fn load(storage: &dyn Storage, index: Vec<(String, Vec<u8>)>) -> Result<Vec<AuditEntry>, StorageError> {
    let mut out = Vec::new();
    for (_, key) in index {
        if let Some(e) = ENTRIES.get(storage, &String::from_utf8_lossy(&key))? {
            out.push(e);
        }
    }
    Ok(out)
}

/// The prefix after `{value}/` ends just before `{value}0` ('/' + 1 = '0').
fn prefix_range(value: &str, since: Option<DateTime<Utc>>) -> (String, String) {
    let from = match since {
        Some(t) => format!("{value}/{}", time_key(t)),
        None => format!("{value}/"),
    };
    (from, format!("{value}0"))
}

/// Every entry about one booking (by its id), oldest first: what the
/// dashboard shows on a booking's page.
pub fn for_booking(storage: &dyn Storage, booking_id: &str) -> Result<Vec<AuditEntry>, StorageError> {
    if booking_id.contains('/') {
        return Ok(Vec::new());
    }
    load(storage, storage.records(T_BY_BOOKING, &format!("{booking_id}/"))?)
}

/// The entries `q` selects, oldest first, and whether `q.limit` cut them.
/// Each branch is one bounded index or range scan.
pub fn query(storage: &dyn Storage, q: &AuditQuery) -> Result<(Vec<AuditEntry>, bool), StorageError> {
    let limit = q.limit.max(1);
    let since_ok = |e: &AuditEntry| q.since.is_none_or(|s| e.at >= s);
    let coach_ok = |e: &AuditEntry| q.coach.as_ref().is_none_or(|c| e.coach.as_ref() == Some(c));
    let mut entries = if let Some(b) = q.booking.as_deref().filter(|b| !b.contains('/')) {
        // By id, else by reference, then by the id that reference names
        // (entries written without a reference, e.g. a reminder sent).
        let (from, to) = prefix_range(b, q.since);
        let mut found = storage.records_between(T_BY_BOOKING, &from, &to, limit + 1)?;
        if found.is_empty() {
            let by_ref = load(storage, storage.records_between(T_BY_REFERENCE, &format!("{b}/"), &format!("{b}0"), 1)?)?;
            if let Some(Subject::Booking { id, .. }) = by_ref.first().map(|e| &e.subject) {
                let (from, to) = prefix_range(id, q.since);
                found = storage.records_between(T_BY_BOOKING, &from, &to, limit + 1)?;
            }
        }
        load(storage, found)?.into_iter().filter(|e| coach_ok(e)).collect::<Vec<_>>()
    } else if q.booking.is_some() {
        Vec::new()
    } else if let Some(c) = q.coach.as_deref().filter(|c| !c.contains('/')) {
        let (from, to) = prefix_range(c, q.since);
        load(storage, storage.records_between(T_BY_COACH, &from, &to, limit + 1)?)?
    } else if q.coach.is_some() {
        Vec::new()
    } else {
        let from = q.since.map(time_key).unwrap_or_default();
        ENTRIES
            .scan_between(storage, &from, "~", limit + 1)?
            .into_iter()
            .map(|(_, e)| e)
            .collect()
    };
    entries.retain(|e| since_ok(e));
    let truncated = entries.len() > limit;
    entries.truncate(limit);
    Ok((entries, truncated))
}

/// Removes entries older than `retention` before `now` with their index
/// keys, in batches of [`PRUNE_BATCH`], at most [`PRUNE_BATCHES`] per call
/// (the next call goes on). Returns how many went.
pub fn prune(storage: &dyn Storage, now: DateTime<Utc>, retention: Duration) -> Result<usize, StorageError> {
    let cutoff = time_key(now - retention);
    let mut removed = 0;
    for _ in 0..PRUNE_BATCHES {
        let due = storage.records_between(ENTRIES.name(), "", &cutoff, PRUNE_BATCH)?;
        if due.is_empty() {
            break;
        }
        let mut records = RecordWrites::new();
        for (key, bytes) in &due {
            if let Ok(e) = <AuditEntry as TableValue>::decode(bytes) {
                records.extend(index_keys(&e).into_iter().map(|k| (k, None)));
            }
            records.push(ENTRIES.remove(key.clone()));
        }
        removed += due.len();
        storage.apply(RecordBatch { records, object: None }, now)?;
        if due.len() < PRUNE_BATCH {
            break;
        }
    }
    if removed > 0 {
        storage.flush()?;
        tracing::info!(removed, "audit entries past audit_retention pruned");
    }
    Ok(removed)
}
