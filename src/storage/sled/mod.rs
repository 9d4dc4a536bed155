//! [`SledStorage`]: the [`Storage`] trait on one sled tree.
//!
//! Writers take one process-wide lock, read what they need, stage their
//! changes in a [`batch::Staged`] overlay and apply it as a single atomic
//! sled batch. Readers never lock: sled gives them a consistent view of
//! every key. [`Storage::flush`] makes acknowledged writes durable, one
//! sled flush for every caller waiting at once (group commit, see
//! [`super::flush_group`]).
//!
//! The same batch keeps each user's usage (`Q` records): `Staged::commit`
//! adds up the size change of every key it writes under a home and refuses
//! the batch when it would take the user beyond the quota.
//!
//! Rooms: this file (opening, the store format, the trait), [`batch`] (the
//! staged overlay, its commit and usage accounting), [`tree`] (the DAV
//! tree: puts, deletes, copies, change records), [`index`] (the UID and
//! time-range indexes and their queries), [`handles`] (the open database
//! and its in-process reopen after a full disk), [`check`] (the tree's
//! invariants for `slotdav check`), [`raw`] (record-level access: the
//! backup's snapshot, the restore's loader, format upgrades at open).
//! Only this module names sled.

mod batch;
mod check;
mod handles;
mod index;
mod raw;
mod tree;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use chrono::{DateTime, Utc};
use rand::Rng;

use super::flush_group::{FlushGroup, FlushStats};
use super::keys::{self, *};
use super::*;
use self::batch::{count_usage, decode, decode_u64, encode, Staged};
use self::handles::Handles;
pub use self::handles::{PROBE_BYTES, REOPEN_EVERY};
pub use self::raw::RawLoader;
pub use super::migrate::STORE_FORMAT;

/// How far ahead unbounded series are indexed when a calendar is made.
pub const INITIAL_HORIZON_DAYS: i64 = 2 * 366;

/// sled's page cache when the caller names none ([`SledStorage::open`]);
/// the server passes `[storage] cache` ([`SledStorage::open_with_cache`]).
/// sled's own default (1 GiB) is more than a self-hosted calendar needs.
pub const DEFAULT_CACHE_BYTES: u64 = 32 * 1024 * 1024;

/// The sled-backed store. Cheap to share behind an `Arc`.
pub struct SledStorage {
    /// The only handles of the sled database, reopened after a full disk.
    handles: Handles,
    write_lock: Mutex<()>,
    /// Whether [`Storage::flush`] really syncs (the `durability` setting).
    sync_on_flush: bool,
    /// Concurrent [`Storage::flush`] callers share one sled flush.
    flushes: FlushGroup,
    /// Bytes per user ([`Storage::set_quota`]).
    quota: AtomicU64,
}

impl SledStorage {
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
                count_usage(tree)
            },
            |db| raw::upgrade(dir, db, migrations, Utc::now()),
        )?;
        super::files::restrict_tree(dir).map_err(|e| io("cannot restrict permissions in", e))?;
        Ok(SledStorage {
            handles,
            write_lock: Mutex::new(()),
            sync_on_flush,
            flushes: FlushGroup::new(),
            quota: AtomicU64::new(u64::MAX),
        })
    }

    /// The open database, for one read (see [`handles`]).
    fn db(&self) -> Result<std::sync::Arc<handles::Db>> {
        self.handles.get()
    }

    /// Runs one write: under the write lock (after reopening a database a
    /// full disk poisoned, when due), `stage` stages its changes in an
    /// overlay checked against `quota`, and they are committed as one batch.
    fn write<T>(&self, quota: u64, stage: impl FnOnce(&mut Staged<'_>) -> Result<T>) -> Result<T> {
        let _g = self.lock();
        let result = self.handles.recover().and_then(|()| {
            let db = self.db()?;
            let mut st = Staged::new(&db.tree, quota);
            let out = stage(&mut st)?;
            st.commit()?;
            Ok(out)
        });
        self.handles.note(result)
    }

    /// [`SledStorage::write`] under the configured quota.
    fn write_quota<T>(&self, stage: impl FnOnce(&mut Staged<'_>) -> Result<T>) -> Result<T> {
        self.write(self.quota.load(Ordering::Relaxed), stage)
    }

    /// Stages domain record writes (`None` removes).
    fn stage_records(st: &mut Staged<'_>, records: RecordWrites) {
        for (key, value) in records {
            let k = keys::record_key(key.table, &key.key);
            match value {
                Some(v) => st.insert(k, v),
                None => st.remove(k),
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, ()> {
        self.write_lock.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn get_node(&self, path: &StorePath) -> Result<Option<Node>> {
        self.db()?.tree.get(node_key(path))?.map(|b| decode(&b)).transpose()
    }

    /// How many times the database was reopened after a full disk.
    pub fn reopens(&self) -> u64 {
        self.handles.reopens()
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

impl Storage for SledStorage {
    fn user(&self, name: &str) -> Result<Option<User>> {
        self.db()?.tree.get(user_key(name))?.map(|b| decode(&b)).transpose()
    }

    fn users(&self) -> Result<Vec<User>> {
        let mut out = Vec::new();
        for kv in self.db()?.tree.scan_prefix([USER]) {
            let (_, v) = kv?;
            out.push(decode(&v)?);
        }
        Ok(out)
    }

    fn put_user(&self, user: &User) -> Result<()> {
        self.write(u64::MAX, |st| {
            st.insert(user_key(&user.name), encode(user));
            Ok(())
        })
    }

    fn remove_user(&self, name: &str) -> Result<bool> {
        self.remove_user_with(name, Vec::new(), Utc::now())
    }

    fn put_user_with(&self, user: &User, records: RecordWrites, _now: DateTime<Utc>) -> Result<()> {
        self.write(u64::MAX, |st| {
            st.insert(user_key(&user.name), encode(user));
            Self::stage_records(st, records);
            Ok(())
        })
    }

    fn remove_user_with(&self, name: &str, records: RecordWrites, _now: DateTime<Utc>) -> Result<bool> {
        self.write_quota(|st| {
            if st.get(&user_key(name))?.is_none() {
                return Ok(false);
            }
            st.remove(user_key(name));
            Self::stage_remove_tree(st, &StorePath::home(name))?;
            Self::stage_records(st, records);
            Ok(true)
        })
    }

    fn usage(&self, user: &str) -> Result<u64> {
        Ok(self.db()?.tree.get(usage_key(user.as_bytes()))?.map_or(0, |v| decode_u64(&v)))
    }

    fn recount_usage(&self, user: &str) -> Result<u64> {
        let mut total = 0u64;
        let db = self.db()?;
        // Every record of a home lies under one of these prefixes.
        for tag in [NODE, CONTENT, PROP, HISTORY, UID, OBJECT_INDEX, SPAN, LONG, UNBOUNDED] {
            for kv in db.tree.scan_prefix([tag]) {
                let (k, v) = kv?;
                if owner_of(&k) == Some(user.as_bytes()) {
                    total += (k.len() + v.len()) as u64;
                }
            }
        }
        Ok(total)
    }

    fn set_quota(&self, bytes: u64) {
        self.quota.store(bytes, Ordering::Relaxed);
    }

    fn node(&self, path: &StorePath) -> Result<Option<Node>> {
        self.get_node(path)
    }

    fn children(&self, path: &StorePath) -> Result<Vec<(String, Node)>> {
        let prefix = children_prefix(path);
        let mut out = Vec::new();
        for kv in self.db()?.tree.scan_prefix(&prefix) {
            let (k, v) = kv?;
            out.push((String::from_utf8_lossy(&k[prefix.len()..]).to_string(), decode(&v)?));
        }
        Ok(out)
    }

    fn for_each_child(&self, path: &StorePath, f: &mut dyn FnMut(String, Node) -> Result<()>) -> Result<()> {
        let prefix = children_prefix(path);
        for kv in self.db()?.tree.scan_prefix(&prefix) {
            let (k, v) = kv?;
            f(String::from_utf8_lossy(&k[prefix.len()..]).to_string(), decode(&v)?)?;
        }
        Ok(())
    }

    fn for_each_member(&self, path: &StorePath, f: &mut dyn FnMut(&str, MemberHead<'_>) -> Result<()>) -> Result<()> {
        let prefix = children_prefix(path);
        for kv in self.db()?.tree.scan_prefix(&prefix) {
            let (k, v) = kv?;
            let name = String::from_utf8_lossy(&k[prefix.len()..]);
            f(&name, tree::member_head(&v)?)?;
        }
        Ok(())
    }

    fn content(&self, path: &StorePath) -> Result<Option<Vec<u8>>> {
        Ok(self.db()?.tree.get(keys::path_key(CONTENT, path))?.map(|v| v.to_vec()))
    }

    fn create_collection(
        &self,
        path: &StorePath,
        calendar: bool,
        components: Vec<ComponentKind>,
        props: Vec<(String, String)>,
        now: DateTime<Utc>,
    ) -> Result<Node> {
        self.write_quota(|st| {
        if st.node(path)?.is_some() {
            return Err(StorageError::AlreadyExists);
        }
        if let Some(parent) = path.parent() {
            match st.node(&parent)? {
                None => return Err(StorageError::ParentMissing),
                Some(p) if !p.is_collection() => return Err(StorageError::ParentNotCollection),
                Some(p) if p.is_calendar() => return Err(StorageError::Conflict("no collections inside a calendar")),
                Some(_) => {}
            }
        }
        let node = Node {
            kind: NodeKind::Collection(Collection {
                calendar,
                sync_id: rand::thread_rng().gen(),
                revision: 0,
                horizon: (now + chrono::Duration::days(INITIAL_HORIZON_DAYS)).timestamp(),
                components,
                read_only: false,
            }),
            created: now,
            modified: now,
        };
        st.put_node(path, &node);
        for (clark, value) in props {
            st.insert(sub_key(PROP, path, clark.as_bytes()), value.into_bytes());
        }
        if let Some(parent) = path.parent() {
            Self::record_change(st, &parent, path.name(), false, now)?;
        }
        Ok(node)
        })
    }

    fn put_resource(&self, path: &StorePath, write: ResourceWrite, cond: &WriteCondition, now: DateTime<Utc>) -> Result<PutOutcome> {
        self.write_quota(|st| Self::stage_put(st, path, write, cond, now))
    }

    fn delete(&self, path: &StorePath, cond: &WriteCondition, now: DateTime<Utc>) -> Result<()> {
        self.write_quota(|st| Self::stage_delete(st, path, cond, now))
    }

    fn copy(&self, from: &StorePath, to: &StorePath, overwrite: bool, deep: bool, remove_source: bool, now: DateTime<Utc>) -> Result<bool> {
        self.write_quota(|st| {
        if st.node(from)?.is_none() {
            return Err(StorageError::NotFound);
        }
        let existed = st.node(to)?.is_some();
        if existed {
            if !overwrite {
                return Err(StorageError::EtagMismatch);
            }
            Self::stage_remove_tree(st, to)?;
        }
        if remove_source {
            // A moved object gives up its UID first, so that a rename inside
            // its calendar is no conflict with itself.
            Self::stage_release_uid(st, from)?;
        }
        Self::stage_copy_tree(st, from, to, deep, now)?;
        if let Some(parent) = to.parent() {
            if st.node(to)?.is_some_and(|n| n.is_collection()) {
                Self::record_change(st, &parent, to.name(), false, now)?;
            }
        }
        if remove_source {
            Self::stage_remove_tree(st, from)?;
            if let Some(parent) = from.parent() {
                Self::record_change(st, &parent, from.name(), true, now)?;
            }
        }
        Ok(existed)
        })
    }

    fn props(&self, path: &StorePath) -> Result<Vec<(String, String)>> {
        let prefix = keys::prefix(PROP, path);
        let mut out = Vec::new();
        for kv in self.db()?.tree.scan_prefix(&prefix) {
            let (k, v) = kv?;
            out.push((
                String::from_utf8_lossy(&k[prefix.len()..]).to_string(),
                String::from_utf8_lossy(&v).to_string(),
            ));
        }
        Ok(out)
    }

    fn prop(&self, path: &StorePath, clark: &str) -> Result<Option<String>> {
        Ok(self
            .db()?
            .tree
            .get(sub_key(PROP, path, clark.as_bytes()))?
            .map(|v| String::from_utf8_lossy(&v).to_string()))
    }

    fn patch_props(&self, path: &StorePath, changes: &[PropChange], now: DateTime<Utc>) -> Result<()> {
        self.write_quota(|st| {
        let mut node = st.node(path)?.ok_or(StorageError::NotFound)?;
        for c in changes {
            match c {
                PropChange::Set(clark, value) => st.insert(sub_key(PROP, path, clark.as_bytes()), value.clone().into_bytes()),
                PropChange::Remove(clark) => st.remove(sub_key(PROP, path, clark.as_bytes())),
            }
        }
        node.modified = now;
        st.put_node(path, &node);
        Ok(())
        })
    }

    fn object_by_uid(&self, calendar: &StorePath, uid: &str) -> Result<Option<String>> {
        Ok(self
            .db()?
            .tree
            .get(sub_key(UID, calendar, uid.as_bytes()))?
            .map(|v| String::from_utf8_lossy(&v).to_string()))
    }

    fn changes_since(&self, collection: &StorePath, revision: u64, limit: Option<usize>) -> Result<Option<ChangeSet>> {
        let db = self.db()?;
        let node: Node = db.tree.get(node_key(collection))?.map(|b| decode(&b)).transpose()?.ok_or(StorageError::NotFound)?;
        let coll = node.collection().ok_or(StorageError::NotFound)?;
        if revision > coll.revision {
            return Ok(None);
        }
        let start = sub_key(HISTORY, collection, &(revision + 1).to_be_bytes());
        let end = sub_key(HISTORY, collection, &(coll.revision + 1).to_be_bytes());
        // Latest state per name, in order of each name's last change.
        let mut latest: BTreeMap<String, (u64, bool)> = BTreeMap::new();
        for kv in db.tree.range(start..end) {
            let (k, v) = kv?;
            let rev = u64::from_be_bytes(k[k.len() - 8..].try_into().expect("8 bytes"));
            let (name, deleted): (String, bool) = decode(&v)?;
            latest.insert(name, (rev, deleted));
        }
        let mut changes: Vec<(u64, MemberChange)> =
            latest.into_iter().map(|(name, (rev, deleted))| (rev, MemberChange { name, deleted })).collect();
        changes.sort_by_key(|(rev, _)| *rev);
        let mut revision_out = coll.revision;
        let mut truncated = false;
        if let Some(limit) = limit {
            if changes.len() > limit {
                truncated = true;
                revision_out = changes[limit - 1].0;
                changes.truncate(limit);
            }
        }
        Ok(Some(ChangeSet { changes: changes.into_iter().map(|(_, c)| c).collect(), revision: revision_out, truncated }))
    }

    fn time_range_candidates(&self, calendar: &StorePath, range: &TimeRange) -> Result<Vec<Candidate>> {
        self.index_candidates(calendar, range)
    }

    fn occurrences(&self, calendar: &StorePath, range: &TimeRange) -> Result<Vec<IndexedOccurrence>> {
        self.index_occurrences(calendar, range)
    }

    fn set_read_only(&self, path: &StorePath, read_only: bool) -> Result<()> {
        self.write_quota(|st| {
            let mut node = st.node(path)?.ok_or(StorageError::NotFound)?;
            match &mut node.kind {
                NodeKind::Collection(c) => c.read_only = read_only,
                NodeKind::Resource(_) => return Err(StorageError::Conflict("not a collection")),
            }
            st.put_node(path, &node);
            Ok(())
        })
    }

    fn extend_horizon(&self, calendar: &StorePath, until: DateTime<Utc>, reindex: Reindex<'_>) -> Result<()> {
        self.index_extend_horizon(calendar, until, reindex)
    }

    fn record(&self, key: &RecordKey) -> Result<Option<Vec<u8>>> {
        Ok(self.db()?.tree.get(keys::record_key(key.table, &key.key))?.map(|v| v.to_vec()))
    }

    fn records(&self, table: &'static str, prefix: &str) -> Result<Vec<(String, Vec<u8>)>> {
        let table_prefix_len = keys::record_key(table, "").len();
        let mut out = Vec::new();
        for kv in self.db()?.tree.scan_prefix(keys::record_key(table, prefix)) {
            let (k, v) = kv?;
            out.push((String::from_utf8_lossy(&k[table_prefix_len..]).to_string(), v.to_vec()));
        }
        Ok(out)
    }

    fn records_between(&self, table: &'static str, from: &str, to: &str, limit: usize) -> Result<Vec<(String, Vec<u8>)>> {
        let table_prefix_len = keys::record_key(table, "").len();
        let mut out = Vec::new();
        if from >= to {
            return Ok(out);
        }
        for kv in self.db()?.tree.range(keys::record_key(table, from)..keys::record_key(table, to)).take(limit) {
            let (k, v) = kv?;
            out.push((String::from_utf8_lossy(&k[table_prefix_len..]).to_string(), v.to_vec()));
        }
        Ok(out)
    }

    fn take_record(&self, key: &RecordKey) -> Result<Option<Vec<u8>>> {
        let k = keys::record_key(key.table, &key.key);
        self.write_quota(|st| {
            let Some(v) = st.get(&k)? else { return Ok(None) };
            st.remove(k);
            Ok(Some(v))
        })
    }

    fn apply(&self, batch: RecordBatch, now: DateTime<Utc>) -> Result<Option<PutOutcome>> {
        self.write_quota(|st| {
        let outcome = match batch.object {
            Some(ObjectChange::Put { path, write, cond }) => Some(Self::stage_put(st, &path, write, &cond, now)?),
            Some(ObjectChange::Delete { path, cond }) => {
                Self::stage_delete(st, &path, &cond, now)?;
                None
            }
            None => None,
        };
        Self::stage_records(st, batch.records);
        Ok(outcome)
        })
    }

    fn apply_objects(&self, objects: Vec<ObjectChange>, records: RecordWrites, now: DateTime<Utc>) -> Result<()> {
        self.write_quota(|st| {
            for object in objects {
                match object {
                    ObjectChange::Put { path, write, cond } => {
                        Self::stage_put(st, &path, write, &cond, now)?;
                    }
                    ObjectChange::Delete { path, cond } => Self::stage_delete(st, &path, &cond, now)?,
                }
            }
            Self::stage_records(st, records);
            Ok(())
        })
    }

    /// Group commit ([`FlushGroup`]): returns once a sled flush that
    /// started after this call has completed, so concurrent writers share
    /// one fsync and none is acknowledged before its write is on disk.
    fn flush(&self) -> Result<()> {
        if self.sync_on_flush {
            let result = self.flushes.flush(|| {
                self.db()?.db.flush()?;
                Ok(())
            });
            self.handles.note(result)?;
        }
        Ok(())
    }

    fn flush_stats(&self) -> FlushStats {
        self.flushes.stats()
    }

    fn check_tree(&self, repair: bool) -> Result<super::check::CheckReport> {
        self.check_sled(repair)
    }

    fn size_on_disk(&self) -> Result<u64> {
        Ok(self.db()?.db.size_on_disk()?)
    }

    fn export_records(&self, each: &mut dyn FnMut(&[u8], &[u8]) -> Result<()>) -> Result<()> {
        self.export_sled(each)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Usage as a full scan counts it.
    fn scanned(s: &SledStorage, user: &str) -> u64 {
        s.db().unwrap().tree.iter().map(|kv| kv.unwrap()).filter(|(k, _)| owner_of(k) == Some(user.as_bytes())).map(|(k, v)| (k.len() + v.len()) as u64).sum()
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
