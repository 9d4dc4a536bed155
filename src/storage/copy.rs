//! `slotdav storage copy`: a whole store into another, empty one (sled ⇄
//! PostgreSQL, or sled → sled), record for record, then checked.
//!
//! The records are the store's own, in [`Storage::export_records`]' form
//! (the key layout of [`super::keys`], values byte for byte): users, the
//! DAV tree with every resource's bytes, dead properties, change logs and
//! revisions (so sync tokens stay valid), the indexes, usage, and every
//! domain record (bookings, holds, the outbox, feed tokens …). The source
//! streams them from one thread, the target loads them
//! ([`Storage::import_records`]) on another through a bounded channel, so
//! memory stays bounded whatever the store's size. The target must be
//! empty (nothing but the store-format record a fresh store has, which the
//! source's replaces); the copy is then exported from the target and its [`Tally`]
//! (count and SHA-256 per kind of record) compared with the source's.
//!
//! Imports storage's own types only.

use std::collections::BTreeMap;
use std::sync::mpsc;

use sha2::{Digest, Sha256};

use super::keys;
use super::{Storage, StorageError};

/// Records in flight between the source's reader and the target's loader.
const IN_FLIGHT: usize = 1024;

/// Why a copy did not happen or did not verify.
#[derive(Debug, thiserror::Error)]
pub enum CopyError {
    #[error("the target already holds a store ({0} records found); copy only into an empty one")]
    TargetNotEmpty(u64),
    #[error("the copy does not match its source: {0}")]
    Mismatch(String),
    #[error("{0}")]
    Store(#[from] StorageError),
}

/// Records of one kind: how many, and the SHA-256 of their lengths, keys
/// and values in key order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KindTally {
    pub records: u64,
    pub sha256: String,
}

/// Counts and checksums of a store's records by kind (`users`, `contents`,
/// `record:booking` …), as of one instant.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tally {
    pub kinds: BTreeMap<String, KindTally>,
}

impl Tally {
    pub fn records(&self) -> u64 {
        self.kinds.values().map(|k| k.records).sum()
    }

    /// One line per kind: name, count, checksum.
    pub fn describe(&self) -> String {
        let mut out = String::new();
        for (kind, t) in &self.kinds {
            out.push_str(&format!("{kind:<28} {:>10}  sha256 {}\n", t.records, t.sha256));
        }
        out.push_str(&format!("{:<28} {:>10}\n", "total", self.records()));
        out
    }
}

/// Adds records up into a [`Tally`].
#[derive(Default)]
struct Counter {
    kinds: BTreeMap<String, (u64, Sha256)>,
}

impl Counter {
    fn add(&mut self, key: &[u8], value: &[u8]) {
        let (n, hash) = self.kinds.entry(kind_of(key)).or_default();
        *n += 1;
        hash.update((key.len() as u64).to_be_bytes());
        hash.update(key);
        hash.update((value.len() as u64).to_be_bytes());
        hash.update(value);
    }

    fn tally(self) -> Tally {
        let kinds = self
            .kinds
            .into_iter()
            .map(|(k, (records, hash))| (k, KindTally { records, sha256: crate::hex::encode(&hash.finalize()) }))
            .collect();
        Tally { kinds }
    }
}

/// The kind a record key names: its tag's, or `record:{table}` for a
/// domain record.
pub fn kind_of(key: &[u8]) -> String {
    let Some((&tag, rest)) = key.split_first() else {
        return "empty key".into();
    };
    let name = match tag {
        keys::USER => "users",
        keys::NODE => "nodes",
        keys::CONTENT => "contents",
        keys::PROP => "dead-properties",
        keys::HISTORY => "change-log",
        keys::UID => "uid-index",
        keys::OBJECT_INDEX => "object-index",
        keys::SPAN_PAGE => "time-range-index",
        // Stored only by a store of format 1.
        keys::SPAN | keys::WEEK_SPAN => "time-range-index-records",
        keys::LONG => "long-index",
        keys::UNBOUNDED => "unbounded-index",
        keys::META => "meta",
        keys::USAGE => "usage",
        keys::RECORD => {
            let end = rest.iter().position(|b| *b == 0).unwrap_or(rest.len());
            return format!("record:{}", String::from_utf8_lossy(&rest[..end]));
        }
        other => return format!("tag {:?}", other as char),
    };
    name.to_string()
}

/// The counts and checksums of every record of `storage` (one export).
pub fn tally(storage: &dyn Storage) -> Result<Tally, StorageError> {
    let mut counter = Counter::default();
    storage.export_records(&mut |k, v| {
        counter.add(k, v);
        Ok(())
    })?;
    Ok(counter.tally())
}

/// Copies every record of `from` into `to`, which must hold none, and
/// checks that `to` then holds exactly them. Returns the tally both agree on.
pub fn copy(from: &dyn Storage, to: &dyn Storage) -> Result<Tally, CopyError> {
    let found = count(to)?;
    if found > 0 {
        return Err(CopyError::TargetNotEmpty(found));
    }
    let (tx, rx) = mpsc::sync_channel::<(Vec<u8>, Vec<u8>)>(IN_FLIGHT);
    let (source, loaded) = std::thread::scope(|scope| {
        let reader = scope.spawn(move || {
            let mut counter = Counter::default();
            let result = from.export_records(&mut |k, v| {
                counter.add(k, v);
                tx.send((k.to_vec(), v.to_vec())).map_err(|_| StorageError::Backend("the target stopped loading".into()))
            });
            result.map(|()| counter.tally())
        });
        let loaded = to.import_records(&mut || Ok(rx.recv().ok()));
        // Unblock a reader still sending to a loader that failed.
        drop(rx);
        let source = reader.join().unwrap_or_else(|_| Err(StorageError::Backend("the source's reader panicked".into())));
        (source, loaded)
    });
    // The loader's error explains a reader that was cut off, so it goes first.
    let loaded = loaded?;
    let source = source?;
    if loaded != source.records() {
        return Err(CopyError::Mismatch(format!("{} records read, {loaded} loaded", source.records())));
    }
    let target = tally(to)?;
    if target != source {
        let differ: Vec<&str> = source
            .kinds
            .keys()
            .chain(target.kinds.keys())
            .filter(|k| source.kinds.get(*k) != target.kinds.get(*k))
            .map(|k| k.as_str())
            .collect();
        return Err(CopyError::Mismatch(format!("these kinds differ: {}", differ.join(", "))));
    }
    Ok(target)
}

/// How many records `storage` holds besides its metadata (`M`: the store
/// format a freshly opened store writes, which the copy's own replaces).
fn count(storage: &dyn Storage) -> Result<u64, StorageError> {
    let mut n = 0u64;
    storage.export_records(&mut |k, _| {
        if k.first() != Some(&keys::META) {
            n += 1;
        }
        Ok(())
    })?;
    Ok(n)
}
