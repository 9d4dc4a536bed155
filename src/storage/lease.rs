//! Leases, so that several processes sharing one store do a piece of work
//! once: a worker **claims** the due entries of a queue (the mail outbox,
//! the webhook queue) before it sends them, and a periodic job (the hold
//! sweep, a feed refresh) **takes its job lease** before it runs.
//!
//! A lease is a `lease` record: `{table}/{entry key}` or `job/{name}` →
//! [`Lease`] (who holds it, until when). A claimed entry leaves the queue
//! in the same batch that removes its lease ([`release`]); a lease whose
//! holder died simply expires, and the entry is claimed again (sending
//! stays at least once, never twice in the normal case). A job lease is
//! not released: it runs out after the job's interval, and the next
//! process to ask after that runs the job.
//!
//! The defaults of [`super::Storage::claim_due`] and
//! [`super::Storage::take_job`] are [`claim_due_in_section`] and
//! [`take_job_in_section`]: read and write the lease records inside the
//! store's exclusive section of the table or job, so they are right on any
//! backend whose [`super::Storage::exclusive`] holds across processes.
//!
//! A claim also names the store that made it (`owner`: one opened store,
//! [`LeaseRecords::owner`]). A lease whose owner is **gone** is no lease,
//! whatever its `until` says ([`LeaseRecords::gone`]): on sled, which one
//! process opens, every owner but the open store is a process that died
//! (a `kill -9` leaves its claims to the next start, not for ten
//! minutes); on PostgreSQL, an owner is gone once it has no connection to
//! the database (`pg_stat_activity`), which is the moment a killed
//! process's connections close. Backends that cannot tell keep leases
//! until they run out.
//!
//! Imports storage's own types only.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::OnceLock;

use super::table::{decode, encode};
use super::{RecordBatch, RecordKey, RecordWrites, Result, Storage};

pub const T_LEASE: &str = "lease";

/// Who holds a lease and until when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lease {
    pub holder: String,
    pub until: DateTime<Utc>,
    /// The store that claimed it ([`LeaseRecords::owner`]); empty: unknown.
    pub owner: String,
}

/// This process's name as a lease holder: the pid and 64 random bits, so
/// two processes (also on two machines, or after a restart with the same
/// pid) never share one.
pub fn process_holder() -> &'static str {
    static HOLDER: OnceLock<String> = OnceLock::new();
    HOLDER.get_or_init(|| format!("{}-{:016x}", std::process::id(), rand::random::<u64>()))
}

/// The lease record of a queue entry.
pub fn entry_lease_key(table: &str, key: &str) -> RecordKey {
    RecordKey::new(T_LEASE, format!("{table}/{key}"))
}

/// The write that releases the lease of a claimed entry, for the batch in
/// which the entry leaves the queue (or moves to a new key).
pub fn release(table: &str, key: &str) -> (RecordKey, Option<Vec<u8>>) {
    (entry_lease_key(table, key), None)
}

/// The lease record of a periodic job.
pub fn job_lease_key(job: &str) -> RecordKey {
    RecordKey::new(T_LEASE, format!("job/{job}"))
}

/// What a worker claims ([`super::Storage::claim_due`]): the entries of
/// `table` with keys below `before`, in key order, at most `limit`, that
/// no other holder has a live lease on at `now`, each then leased to
/// `holder` until `until`.
#[derive(Debug, Clone, Copy)]
pub struct Claim<'a> {
    pub table: &'static str,
    pub before: &'a str,
    pub holder: &'a str,
    pub now: DateTime<Utc>,
    pub until: DateTime<Utc>,
    pub limit: usize,
}

fn live_elsewhere(lease: &Lease, holder: &str, now: DateTime<Utc>) -> bool {
    lease.holder != holder && lease.until > now
}

/// The record reads and writes a claim or a job lease needs: the store
/// itself inside an exclusive section ([`claim_due_in_section`]), or one
/// write of a store whose writes are serialised already (the kv store's
/// tree inside its write).
pub trait LeaseRecords {
    fn get(&self, key: &RecordKey) -> Result<Option<Vec<u8>>>;
    fn scan(&self, table: &'static str, prefix: &str) -> Result<Vec<(String, Vec<u8>)>>;
    fn between(&self, table: &'static str, from: &str, to: &str, limit: usize) -> Result<Vec<(String, Vec<u8>)>>;
    fn write(&self, writes: RecordWrites, now: DateTime<Utc>) -> Result<()>;
    /// The store these records are written through, as a lease's `owner`
    /// (empty: unknown, never [`LeaseRecords::gone`]).
    fn owner(&self) -> &str {
        ""
    }
    /// Whether the store `owner` names is known to be closed (its process
    /// died): its leases are then no leases.
    fn gone(&self, _owner: &str) -> Result<bool> {
        Ok(false)
    }
}

/// A store's record operations as [`LeaseRecords`].
struct StoreRecords<'a, S: ?Sized>(&'a S);

impl<S: Storage + ?Sized> LeaseRecords for StoreRecords<'_, S> {
    fn get(&self, key: &RecordKey) -> Result<Option<Vec<u8>>> {
        self.0.record(key)
    }
    fn scan(&self, table: &'static str, prefix: &str) -> Result<Vec<(String, Vec<u8>)>> {
        self.0.records(table, prefix)
    }
    fn between(&self, table: &'static str, from: &str, to: &str, limit: usize) -> Result<Vec<(String, Vec<u8>)>> {
        self.0.records_between(table, from, to, limit)
    }
    fn write(&self, writes: RecordWrites, now: DateTime<Utc>) -> Result<()> {
        self.0.apply(RecordBatch { records: writes, object: None }, now).map(|_| ())
    }
}

/// [`Storage::claim_due`] on the record operations, inside the store's
/// exclusive section for the table ([`claim_due_on`]).
pub fn claim_due_in_section<S: Storage + ?Sized>(storage: &S, claim: &Claim<'_>) -> Result<Vec<(String, Vec<u8>)>> {
    let _section = storage.exclusive(&format!("claim/{}", claim.table))?;
    claim_due_on(&StoreRecords(storage), claim)
}

/// The claim itself, on records nobody else changes meanwhile (see
/// [`Claim`]). Leases of entries that are gone and have run out are
/// removed on the way.
pub fn claim_due_on(records: &dyn LeaseRecords, claim: &Claim<'_>) -> Result<Vec<(String, Vec<u8>)>> {
    let Claim { table, before, holder, now, until, limit } = *claim;
    let prefix = format!("{table}/");
    let mut leases = BTreeMap::new();
    for (key, bytes) in records.scan(T_LEASE, &prefix)? {
        // An unreadable lease is no lease.
        if let Ok(lease) = decode::<Lease>(&bytes, "lease") {
            leases.insert(key[prefix.len()..].to_string(), lease);
        }
    }
    let mut dead = Vec::new();
    for (key, lease) in &leases {
        if live_elsewhere(lease, holder, now) && !lease.owner.is_empty() && lease.owner != records.owner() && records.gone(&lease.owner)? {
            dead.push(key.clone());
        }
    }
    for key in dead {
        leases.remove(&key);
    }
    let held_elsewhere = leases.values().filter(|l| live_elsewhere(l, holder, now)).count();
    let due = records.between(table, "", before, limit.saturating_add(held_elsewhere))?;
    let mut writes = Vec::new();
    let mut claimed = Vec::new();
    for (key, bytes) in due {
        if claimed.len() >= limit {
            break;
        }
        if leases.get(&key).is_some_and(|l| live_elsewhere(l, holder, now)) {
            continue;
        }
        let lease = Lease { holder: holder.to_string(), until, owner: records.owner().to_string() };
        writes.push((entry_lease_key(table, &key), Some(encode(&lease))));
        leases.remove(&key);
        claimed.push((key, bytes));
    }
    for (key, lease) in &leases {
        if lease.until <= now && records.get(&RecordKey::new(table, key.clone()))?.is_none() {
            writes.push(release(table, key));
        }
    }
    if !writes.is_empty() {
        records.write(writes, now)?;
    }
    Ok(claimed)
}

/// [`Storage::take_job`] on the record operations, inside the store's
/// exclusive section for the job ([`take_job_on`]).
pub fn take_job_in_section<S: Storage + ?Sized>(
    storage: &S,
    job: &str,
    holder: &str,
    now: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Result<bool> {
    let _section = storage.exclusive(&format!("job/{job}"))?;
    take_job_on(&StoreRecords(storage), job, holder, now, until)
}

/// The job lease itself, on records nobody else changes meanwhile: true
/// (and the lease now `holder`'s until `until`) when nobody holds it now.
pub fn take_job_on(records: &dyn LeaseRecords, job: &str, holder: &str, now: DateTime<Utc>, until: DateTime<Utc>) -> Result<bool> {
    let key = job_lease_key(job);
    if let Some(bytes) = records.get(&key)? {
        if let Ok(lease) = decode::<Lease>(&bytes, "lease") {
            if lease.until > now {
                return Ok(false);
            }
        }
    }
    let lease = Lease { holder: holder.to_string(), until, owner: records.owner().to_string() };
    records.write(vec![(key, Some(encode(&lease)))], now)?;
    Ok(true)
}
