//! [`SledStorage`]: the store ([`super::kv::KvStore`]) on one sled tree
//! in the data directory.
//!
//! Writers take one process-wide lock and apply each write as a single
//! atomic sled batch. Readers never lock: sled gives them a consistent view
//! of every key. [`Storage::flush`] makes acknowledged writes durable, one
//! sled flush for every caller waiting at once (group commit, see
//! [`super::flush_group`]).
//!
//! Rooms: this file (opening, the store format, the backend), [`handles`]
//! (the open database and its in-process reopen after a full disk),
//! [`raw`] (record-level access: the backup's snapshot, the restore's
//! loader, format upgrades at open). Only this module names sled.

mod handles;
mod raw;

use std::path::Path;
use std::sync::{Arc, Mutex};

use super::flush_group::{FlushGroup, FlushStats};
use super::keys;
use super::kv::{KvBackend, KvStore, OrderedTree, Rows, TreeWrites};
use super::{Result, StorageError};
use self::handles::Handles;
pub use self::handles::{PROBE_BYTES, REOPEN_EVERY};
pub use self::raw::RawLoader;
pub use super::kv::INITIAL_HORIZON_DAYS;
pub use super::migrate::STORE_FORMAT;

/// sled's page cache when the caller names none ([`SledStorage::open`]);
/// the server passes `[storage] cache` ([`SledStorage::open_with_cache`]).
/// sled's own default (1 GiB) is more than a self-hosted calendar needs.
pub const DEFAULT_CACHE_BYTES: u64 = 256 * 1024 * 1024;

/// The sled-backed store. Cheap to share behind an `Arc`.
pub type SledStorage = KvStore<SledBackend>;

/// The sled database under a data directory, as a [`KvBackend`].
pub struct SledBackend {
    /// The only handles of the sled database, reopened after a full disk.
    handles: Handles,
    write_lock: Mutex<()>,
    /// Whether [`super::Storage::flush`] really syncs (the `durability` setting).
    sync_on_flush: bool,
    /// Concurrent flush callers share one sled flush.
    flushes: FlushGroup,
    /// [`super::Storage::exclusive`]: one process opens a sled store, so
    /// its sections are in-process (and separate per store, for tests
    /// that open many).
    sections: Arc<super::exclusive::LocalExclusive>,
    /// [`KvBackend::owner`].
    owner: String,
}

impl KvStore<SledBackend> {
    /// Opens (or creates) the store in `dir`. `sync_on_flush` false leaves
    /// durability to sled's periodic flush.
    ///
    /// The directory and everything in it are owner-only (see
    /// [`super::files`]): permissions found wider are repaired with a
    /// warning, and the files sled has just made are restricted too.
    pub fn open(dir: &Path, sync_on_flush: bool, flush_every_ms: Option<u64>) -> Result<Self> {
        Self::open_with_cache(dir, sync_on_flush, flush_every_ms, DEFAULT_CACHE_BYTES)
    }

    /// [`SledStorage::open`] with a page cache of `cache_bytes`.
    pub fn open_with_cache(dir: &Path, sync_on_flush: bool, flush_every_ms: Option<u64>, cache_bytes: u64) -> Result<Self> {
        Self::open_inner(dir, sync_on_flush, flush_every_ms, cache_bytes, super::migrate::MIGRATIONS)
    }

    /// [`SledStorage::open`] with another list of format upgrades than
    /// this build's [`super::migrate::MIGRATIONS`] (tests of the upgrade
    /// path). A store older than [`STORE_FORMAT`] is backed up beside
    /// `dir` and migrated before it is used.
    pub fn open_with_migrations(
        dir: &Path,
        sync_on_flush: bool,
        flush_every_ms: Option<u64>,
        migrations: &[super::migrate::Migration],
    ) -> Result<Self> {
        Self::open_inner(dir, sync_on_flush, flush_every_ms, DEFAULT_CACHE_BYTES, migrations)
    }

    fn open_inner(
        dir: &Path,
        sync_on_flush: bool,
        flush_every_ms: Option<u64>,
        cache_bytes: u64,
        migrations: &[super::migrate::Migration],
    ) -> Result<Self> {
        let io = |what: &str, e: std::io::Error| StorageError::Backend(format!("{what} {}: {e}", dir.display()));
        super::files::create_private_dir(dir).map_err(|e| io("cannot create", e))?;
        for r in super::files::restrict_tree(dir).map_err(|e| io("cannot restrict permissions in", e))? {
            tracing::warn!(path = %r.path.display(), mode = format!("{:o}", r.mode), "permissions were wider than owner-only; repaired");
        }
        super::files::create_private_dir(&dir.join("db")).map_err(|e| io("cannot create db in", e))?;
        let handles = Handles::open(
            dir,
            flush_every_ms,
            cache_bytes,
            |tree| {
                check_format(tree)?;
                super::kv::count_usage(tree)?;
                super::kv::pages::rebuild(tree, false)?;
                super::kv::index::upgrade_heads(tree, false)
            },
            |db| raw::upgrade(dir, db, migrations, chrono::Utc::now()),
        )?;
        super::files::restrict_tree(dir).map_err(|e| io("cannot restrict permissions in", e))?;
        Ok(KvStore::with_backend(SledBackend {
            handles,
            write_lock: Mutex::new(()),
            sync_on_flush,
            flushes: FlushGroup::new(),
            sections: super::exclusive::LocalExclusive::new(),
            owner: super::kv::new_owner(),
        }))
    }

    /// How many times the database was reopened after a full disk.
    pub fn reopens(&self) -> u64 {
        self.backend.handles.reopens()
    }
}

impl SledBackend {
    fn lock(&self) -> std::sync::MutexGuard<'_, ()> {
        self.write_lock.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl KvBackend for SledBackend {
    fn reader(&self) -> Result<Arc<dyn OrderedTree>> {
        Ok(self.handles.get()?)
    }

    /// Under the write lock (after reopening a database a full disk
    /// poisoned, when due).
    fn write(&self, run: &mut dyn FnMut(&dyn OrderedTree) -> Result<()>) -> Result<()> {
        let _g = self.lock();
        let result = self.handles.recover().and_then(|()| {
            let db = self.handles.get()?;
            run(&db.tree)
        });
        self.handles.note(result)
    }

    /// Group commit ([`FlushGroup`]): returns once a sled flush that
    /// started after this call has completed, so concurrent writers share
    /// one fsync and none is acknowledged before its write is on disk.
    fn flush(&self) -> Result<()> {
        if self.sync_on_flush {
            let result = self.flushes.flush(|| {
                self.handles.get()?.db.flush()?;
                Ok(())
            });
            self.handles.note(result)?;
        }
        Ok(())
    }

    fn flush_stats(&self) -> FlushStats {
        self.flushes.stats()
    }

    /// Reopens the database under the write lock, so sled writes its
    /// snapshot ([`Handles::checkpoint`]).
    fn checkpoint(&self) -> Result<()> {
        let _g = self.lock();
        self.handles.checkpoint()
    }

    fn size_on_disk(&self) -> Result<u64> {
        Ok(self.handles.get()?.db.size_on_disk()?)
    }

    fn exclusive(&self, scope: &str) -> Result<super::ExclusiveGuard> {
        Ok(self.sections.enter(scope))
    }

    /// One process opens a sled store, so a lease of any other owner was
    /// left by a process that died ([`super::lease`]).
    fn owner(&self) -> &str {
        &self.owner
    }

    /// The whole tree in key order, under the write lock, so no write
    /// lands in between (writers wait until it is done; readers do not).
    fn export(&self, each: &mut dyn FnMut(&[u8], &[u8]) -> Result<()>) -> Result<()> {
        let _g = self.lock();
        let db = self.handles.get()?;
        for kv in db.tree.iter() {
            let (k, v) = kv?;
            each(&k, &v)?;
        }
        Ok(())
    }
}

impl OrderedTree for ::sled::Tree {
    fn get_key(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        Ok(self.get(key)?.map(|v| v.to_vec()))
    }
    fn visit_key(&self, key: &[u8], f: &mut dyn FnMut(&[u8])) -> Result<bool> {
        Ok(self.get(key)?.map(|v| f(&v)).is_some())
    }
    fn range_keys(&self, lo: &[u8], hi: Option<&[u8]>) -> Rows<'_> {
        let rows = match hi {
            Some(hi) => self.range(lo.to_vec()..hi.to_vec()),
            None => self.range(lo.to_vec()..),
        };
        Box::new(rows.map(|kv| kv.map(|(k, v)| (k.to_vec(), v.to_vec())).map_err(StorageError::from)))
    }
    fn visit_range(&self, lo: &[u8], hi: Option<&[u8]>, f: &mut dyn FnMut(&[u8], &[u8]) -> Result<()>) -> Result<()> {
        let rows = match hi {
            Some(hi) => self.range(lo..hi),
            None => self.range(lo..),
        };
        for kv in rows {
            let (k, v) = kv?;
            f(&k, &v)?;
        }
        Ok(())
    }
    fn last_at_or_below(&self, lo: &[u8], at: &[u8]) -> Result<Option<super::kv::Row>> {
        match self.range(lo..=at).next_back() {
            Some(kv) => {
                let (k, v) = kv?;
                Ok(Some((k.to_vec(), v.to_vec())))
            }
            None => Ok(None),
        }
    }
    fn apply_writes(&self, writes: TreeWrites) -> Result<()> {
        let mut batch = ::sled::Batch::default();
        for (k, v) in writes {
            match v {
                Some(v) => batch.insert(k, v),
                None => batch.remove(k),
            }
        }
        self.apply_batch(batch)?;
        Ok(())
    }
}

impl OrderedTree for handles::Db {
    fn get_key(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        self.tree.get_key(key)
    }
    fn visit_key(&self, key: &[u8], f: &mut dyn FnMut(&[u8])) -> Result<bool> {
        self.tree.visit_key(key, f)
    }
    fn range_keys(&self, lo: &[u8], hi: Option<&[u8]>) -> Rows<'_> {
        self.tree.range_keys(lo, hi)
    }
    fn visit_range(&self, lo: &[u8], hi: Option<&[u8]>, f: &mut dyn FnMut(&[u8], &[u8]) -> Result<()>) -> Result<()> {
        self.tree.visit_range(lo, hi, f)
    }
    fn last_at_or_below(&self, lo: &[u8], at: &[u8]) -> Result<Option<super::kv::Row>> {
        self.tree.last_at_or_below(lo, at)
    }
    fn apply_writes(&self, writes: TreeWrites) -> Result<()> {
        self.tree.apply_writes(writes)
    }
}

/// Marks a new store with [`STORE_FORMAT`]; refuses a store written in
/// another format rather than misreading its records (an older one was
/// upgraded before this runs, see [`raw::upgrade`]).
fn check_format(tree: &::sled::Tree) -> Result<()> {
    match raw::format_of(tree)? {
        Some(STORE_FORMAT) => Ok(()),
        Some(found) if found > STORE_FORMAT => Err(StorageError::Backend(format!(
            "the store is in format {found}, newer than this slotdav (format {STORE_FORMAT}): run the slotdav that wrote it, or restore a backup taken before the upgrade"
        ))),
        Some(found) => Err(StorageError::Backend(format!("the store is in format {found}, and this slotdav (format {STORE_FORMAT}) cannot upgrade it"))),
        None if tree.is_empty() => {
            tree.insert(keys::FORMAT_KEY, &STORE_FORMAT.to_be_bytes())?;
            Ok(())
        }
        None => Err(StorageError::Backend(format!(
            "the store was written by a development build before store formats were marked; this slotdav reads format {STORE_FORMAT}"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::keys::*;
    use crate::storage::*;
    use chrono::Utc;

    /// Usage as a full scan counts it.
    fn scanned(s: &SledStorage, user: &str) -> u64 {
        s.db().unwrap().iter().map(|kv| kv.unwrap()).filter(|(k, _)| owner_of(k) == Some(user.as_bytes())).map(|(k, v)| (k.len() + v.len()) as u64).sum()
    }

    fn p(s: &[&str]) -> StorePath {
        StorePath::new(s.iter().map(|x| x.to_string()).collect())
    }

    /// Several object changes and records are one write: all or nothing.
    #[test]
    fn apply_objects_writes_every_change_or_none() {
        let dir = tempfile::tempdir().unwrap();
        let s = SledStorage::open(dir.path(), false, None).unwrap();
        let now = Utc::now();
        let file = |n: usize| ResourceWrite { bytes: vec![b'x'; n], content_type: "a/b".into(), calendar: None };
        s.create_collection(&p(&["alice"]), false, vec![], vec![], now).unwrap();
        s.create_collection(&p(&["alice", "f"]), false, vec![], vec![], now).unwrap();
        s.put_resource(&p(&["alice", "f", "old"]), file(10), &WriteCondition::default(), now).unwrap();
        let key = RecordKey::new("meta", "k");
        let changes = |cond: WriteCondition| {
            vec![
                ObjectChange::Put { path: p(&["alice", "f", "new"]), write: file(20), cond: WriteCondition::default() },
                ObjectChange::Delete { path: p(&["alice", "f", "old"]), cond },
            ]
        };
        let refused = WriteCondition { if_match: Some(vec!["\"nope\"".into()]), ..Default::default() };
        assert!(s.apply_objects(changes(refused), vec![(key.clone(), Some(b"v".to_vec()))], now).is_err());
        assert!(s.node(&p(&["alice", "f", "new"])).unwrap().is_none(), "nothing of a refused write");
        assert!(s.node(&p(&["alice", "f", "old"])).unwrap().is_some());
        assert_eq!(s.record(&key).unwrap(), None);
        s.apply_objects(changes(WriteCondition::default()), vec![(key.clone(), Some(b"v".to_vec()))], now).unwrap();
        assert!(s.node(&p(&["alice", "f", "new"])).unwrap().is_some());
        assert!(s.node(&p(&["alice", "f", "old"])).unwrap().is_none());
        assert_eq!(s.record(&key).unwrap(), Some(b"v".to_vec()));
    }

    /// A count is of the table and prefix asked for, not of a table
    /// whose name starts the same (`outbox` and `outbox-failed`).
    #[test]
    fn count_records_counts_what_records_returns() {
        let dir = tempfile::tempdir().unwrap();
        let s = SledStorage::open(dir.path(), false, None).unwrap();
        let now = Utc::now();
        let mut records = Vec::new();
        for i in 0..30 {
            records.push((RecordKey::new("outbox", format!("{:02}/{i}", i % 3)), Some(vec![b'x'; 4096])));
            records.push((RecordKey::new("outbox-failed", format!("{i}")), Some(b"f".to_vec())));
        }
        s.apply(RecordBatch { records, object: None }, now).unwrap();
        for (table, prefix) in [("outbox", ""), ("outbox", "01/"), ("outbox-failed", ""), ("outbox", "9"), ("nothing", "")] {
            assert_eq!(s.count_records(table, prefix).unwrap(), s.records(table, prefix).unwrap().len(), "{table} {prefix}");
        }
        assert_eq!(s.count_records("outbox", "").unwrap(), 30);
        assert_eq!(s.count_records("outbox", "01/").unwrap(), 10);
    }

    #[test]
    fn usage_follows_every_kind_of_write_and_the_quota_refuses_growth_only() {
        let dir = tempfile::tempdir().unwrap();
        let s = SledStorage::open(dir.path(), false, None).unwrap();
        let now = Utc::now();
        let file = |n: usize| ResourceWrite { bytes: vec![b'x'; n], content_type: "a/b".into(), calendar: None };
        s.create_collection(&p(&["alice"]), false, vec![], vec![], now).unwrap();
        s.create_collection(&p(&["alice", "f"]), false, vec![], vec![("{DAV:}displayname".into(), "F".into())], now).unwrap();
        s.create_collection(&p(&["bob"]), false, vec![], vec![], now).unwrap();
        s.put_resource(&p(&["alice", "f", "a"]), file(1000), &WriteCondition::default(), now).unwrap();
        s.copy(&p(&["alice", "f"]), &p(&["alice", "g"]), false, true, false, now).unwrap();
        s.copy(&p(&["alice", "g", "a"]), &p(&["alice", "g", "b"]), false, true, true, now).unwrap();
        s.patch_props(&p(&["alice", "g"]), &[PropChange::Set("{x:}y".into(), "z".repeat(300))], now).unwrap();
        s.delete(&p(&["alice", "f", "a"]), &WriteCondition::default(), now).unwrap();
        assert_eq!(s.usage("alice").unwrap(), scanned(&s, "alice"));
        assert_eq!(s.usage("bob").unwrap(), scanned(&s, "bob"));
        let used = s.usage("alice").unwrap();
        s.set_quota(used + 500);
        let err = s.put_resource(&p(&["alice", "f", "big"]), file(600), &WriteCondition::default(), now).unwrap_err();
        assert!(matches!(err, StorageError::QuotaExceeded { ref user } if user == "alice"), "{err}");
        assert_eq!(s.usage("alice").unwrap(), used, "a refused write changes nothing");
        assert!(s.node(&p(&["alice", "f", "big"])).unwrap().is_none());
        s.delete(&p(&["alice", "g", "b"]), &WriteCondition::default(), now).expect("freeing bytes always works");
        s.put_user(&User { name: "alice".into(), password_hash: String::new(), email: None, created: now }).unwrap();
        assert!(s.remove_user("alice").unwrap());
        assert_eq!(s.usage("alice").unwrap(), 0);
        assert_eq!(scanned(&s, "alice"), 0);
        drop(s);
        let s = SledStorage::open(dir.path(), false, None).unwrap();
        assert_eq!(s.usage("bob").unwrap(), scanned(&s, "bob"), "kept across a reopen");
    }

    /// The log position sled's newest snapshot covers (its files are
    /// named `snap.<position in hex>`).
    fn snapshot_position(dir: &Path) -> u64 {
        std::fs::read_dir(dir.join("db"))
            .unwrap()
            .filter_map(|e| e.ok()?.file_name().to_str()?.strip_prefix("snap.").and_then(|h| u64::from_str_radix(h, 16).ok()))
            .max()
            .unwrap_or(0)
    }

    /// sled writes its snapshot only when a database opens; without a
    /// checkpoint the next open reads every log segment written since.
    #[test]
    fn a_checkpoint_writes_sleds_snapshot_and_the_store_keeps_working() {
        let dir = tempfile::tempdir().unwrap();
        let s = SledStorage::open(dir.path(), true, None).unwrap();
        let now = Utc::now();
        let file = |i: usize| ResourceWrite { bytes: format!("object {i}").repeat(40).into_bytes(), content_type: "a/b".into(), calendar: None };
        s.create_collection(&p(&["alice"]), false, vec![], vec![], now).unwrap();
        s.create_collection(&p(&["alice", "f"]), false, vec![], vec![], now).unwrap();
        for i in 0..300 {
            s.put_resource(&p(&["alice", "f", &format!("r{i}")]), file(i), &WriteCondition::default(), now).unwrap();
        }
        s.flush().unwrap();
        let opened_at = snapshot_position(dir.path());
        s.checkpoint().unwrap();
        let checkpointed = snapshot_position(dir.path());
        assert!(checkpointed > opened_at, "the snapshot moved from {opened_at:#x} to {checkpointed:#x}");
        assert_eq!(s.node(&p(&["alice", "f", "r299"])).unwrap().and_then(|n| n.resource().map(|r| r.length)), Some(file(299).bytes.len() as u64));
        s.put_resource(&p(&["alice", "f", "after"]), file(1), &WriteCondition::default(), now).expect("writes go on after a checkpoint");
        s.flush().unwrap();
        drop(s);
        let s = SledStorage::open(dir.path(), true, None).unwrap();
        assert_eq!(s.children(&p(&["alice", "f"])).unwrap().len(), 301);
        assert_eq!(s.usage("alice").unwrap(), scanned(&s, "alice"));
    }

    #[test]
    fn a_store_reopens_and_a_foreign_format_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        drop(SledStorage::open(dir.path(), true, None).unwrap());
        drop(SledStorage::open(dir.path(), true, None).expect("same format reopens"));
        {
            let db = ::sled::open(dir.path().join("db")).unwrap();
            let tree = db.open_tree("slotdav").unwrap();
            tree.insert([META, b'f', b'o', b'r', b'm', b'a', b't'], &99u32.to_be_bytes()).unwrap();
            db.flush().unwrap();
        }
        let err = SledStorage::open(dir.path(), true, None).err().expect("format 99 is refused").to_string();
        assert!(err.contains("format"), "{err}");
    }
}
