//! [`KvStore`]: the [`Storage`] trait on one ordered key-value tree, the
//! layout of [`super::keys`], whatever keeps the tree: sled in a data
//! directory ([`super::sled`]) or a table of PostgreSQL
//! ([`super::postgres`]). A backend ([`KvBackend`]) gives reads a view of
//! the tree ([`OrderedTree`]) and runs each write serialised with every
//! other write of the store, in one atomic step; everything else — the
//! DAV tree, its indexes, change logs, usage and quota, domain records,
//! the checker — is written once, here, on the tree.
//!
//! Writers stage their changes in a [`batch::Staged`] overlay and apply it
//! as a single batch. The same batch keeps each user's usage (`Q`
//! records): `Staged::commit` adds up the size change of every key it
//! writes under a home and refuses the batch when it would take the user
//! beyond the quota.
//!
//! Rooms: this file (the tree and backend traits, the store), [`batch`]
//! (the staged overlay, its commit and usage accounting), [`tree`] (the
//! DAV tree: puts, deletes, copies, change records), [`index`] (the UID
//! and time-range indexes and their queries), [`check`] (the tree's
//! invariants for `slotdav check`). Imports storage's own types, `ical`
//! and `model`; names no backend's types.

mod batch;
mod check;
pub(crate) mod index;
pub(crate) mod pages;
pub(crate) mod spans;
mod tree;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use rand::Rng;

use super::flush_group::FlushStats;
use super::keys::{self, *};
use super::*;
use self::batch::{decode, decode_u64, encode, Staged};
pub(crate) use self::batch::count_usage;

/// How far ahead unbounded series are indexed when a calendar is made.
pub const INITIAL_HORIZON_DAYS: i64 = 2 * 366;

/// One record of the tree: key and value bytes.
pub type Row = (Vec<u8>, Vec<u8>);

/// Records in key order, read lazily (a backend may fetch them in pages).
pub type Rows<'a> = Box<dyn Iterator<Item = Result<Row>> + 'a>;

/// Writes of one batch: `None` removes the key.
pub type TreeWrites = Vec<(Vec<u8>, Option<Vec<u8>>)>;

/// An ordered key-value tree: keys sort bytewise.
pub trait OrderedTree: Send + Sync {
    fn get_key(&self, key: &[u8]) -> Result<Option<Vec<u8>>>;
    /// Calls `f` with the value of `key`, borrowed where the backend can;
    /// false when there is none.
    fn visit_key(&self, key: &[u8], f: &mut dyn FnMut(&[u8])) -> Result<bool> {
        Ok(self.get_key(key)?.map(|v| f(&v)).is_some())
    }
    /// Records with `lo <= key` (and `key < hi` when given), in key order.
    fn range_keys(&self, lo: &[u8], hi: Option<&[u8]>) -> Rows<'_>;
    /// Calls `f` for each record of [`OrderedTree::range_keys`], borrowed
    /// where the backend can (sled: no copy of key or value).
    fn visit_range(&self, lo: &[u8], hi: Option<&[u8]>, f: &mut dyn FnMut(&[u8], &[u8]) -> Result<()>) -> Result<()> {
        for kv in self.range_keys(lo, hi) {
            let (k, v) = kv?;
            f(&k, &v)?;
        }
        Ok(())
    }
    /// How many records [`OrderedTree::range_keys`] holds, without
    /// copying them out (a backend with a query language counts there).
    fn count_range(&self, lo: &[u8], hi: Option<&[u8]>) -> Result<usize> {
        let mut n = 0;
        self.visit_range(lo, hi, &mut |_, _| {
            n += 1;
            Ok(())
        })?;
        Ok(n)
    }
    /// The stores ([`KvBackend::owner`]) that have a connection to the
    /// database now, for leases ([`super::lease`]); `None`: this tree is
    /// one process's own, where no other store is open.
    fn connected_owners(&self) -> Result<Option<std::collections::BTreeSet<String>>> {
        Ok(None)
    }
    /// The last record with `lo <= key <= at` (a listing page's lookup).
    fn last_at_or_below(&self, lo: &[u8], at: &[u8]) -> Result<Option<Row>>;
    /// Applies every write or none.
    fn apply_writes(&self, writes: TreeWrites) -> Result<()>;
}

/// A tree as a format migration reads it ([`migrate::RecordSource`]).
struct MigrationSource<'a>(&'a dyn OrderedTree);

impl migrate::RecordSource for MigrationSource<'_> {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        self.0.get_key(key)
    }

    fn scan(&self, prefix: &[u8], each: &mut dyn FnMut(&[u8], &[u8]) -> Result<()>) -> Result<()> {
        let end = prefix_end(prefix);
        self.0.visit_range(prefix, end.as_deref(), each)
    }

    fn first(&self, prefix: &[u8], limit: usize) -> Result<Vec<Row>> {
        let end = prefix_end(prefix);
        self.0.range_keys(prefix, end.as_deref()).take(limit).collect()
    }

    fn apply(&self, writes: migrate::MigrationWrites) -> Result<()> {
        self.0.apply_writes(writes.into_writes().collect())
    }
}

/// Runs `migration` on `tree` and applies its writes together with the
/// format number `migration.from + 1` as one batch: the number moves only
/// once the whole migration has run (one that applies parts as it goes
/// leaves a store it can run over again), and the caller makes it
/// durable.
pub(crate) fn migrate_tree(tree: &dyn OrderedTree, migration: &migrate::Migration) -> Result<()> {
    let mut writes = migrate::MigrationWrites::default();
    (migration.apply)(&MigrationSource(tree), &mut writes)?;
    let mut batch: TreeWrites = writes.into_writes().filter(|(k, _)| k.as_slice() != FORMAT_KEY).collect();
    batch.push((FORMAT_KEY.to_vec(), Some((migration.from + 1).to_be_bytes().to_vec())));
    tree.apply_writes(batch)
}

/// The first key after every key that starts with `prefix` (`None`: no
/// such key, the prefix is all `0xFF`).
pub fn prefix_end(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < 0xFF {
            end.push(last + 1);
            return Some(end);
        }
    }
    None
}

impl dyn OrderedTree + '_ {
    pub fn get<K: AsRef<[u8]>>(&self, key: K) -> Result<Option<Vec<u8>>> {
        self.get_key(key.as_ref())
    }
    pub fn scan_prefix<K: AsRef<[u8]>>(&self, prefix: K) -> Rows<'_> {
        let prefix = prefix.as_ref();
        let end = prefix_end(prefix);
        self.range_keys(prefix, end.as_deref())
    }
    pub fn range(&self, r: std::ops::Range<Vec<u8>>) -> Rows<'_> {
        if r.start >= r.end {
            return Box::new(std::iter::empty());
        }
        self.range_keys(&r.start, Some(&r.end))
    }
    pub fn iter(&self) -> Rows<'_> {
        self.range_keys(&[], None)
    }
    pub fn is_empty(&self) -> Result<bool> {
        Ok(self.iter().next().transpose()?.is_none())
    }
}

/// What keeps the tree.
pub trait KvBackend: Send + Sync + 'static {
    /// A view for reads outside writes.
    fn reader(&self) -> Result<Arc<dyn OrderedTree>>;
    /// Runs one write: `run` reads through the view it is handed (which
    /// sees every write before it and none at the same time, in any
    /// process sharing the store) and applies its batch through it; an
    /// error from `run` leaves nothing written.
    fn write(&self, run: &mut dyn FnMut(&dyn OrderedTree) -> Result<()>) -> Result<()>;
    /// [`Storage::flush`].
    fn flush(&self) -> Result<()>;
    fn flush_stats(&self) -> FlushStats {
        FlushStats::default()
    }
    /// [`Storage::checkpoint`].
    fn checkpoint(&self) -> Result<()> {
        Ok(())
    }
    fn size_on_disk(&self) -> Result<u64> {
        Ok(0)
    }
    /// [`Storage::export_records`]: every record at one instant.
    fn export(&self, each: &mut dyn FnMut(&[u8], &[u8]) -> Result<()>) -> Result<()>;
    /// [`Storage::exclusive`]; the default holds within this process only
    /// (right when one process opens the tree).
    fn exclusive(&self, scope: &str) -> Result<ExclusiveGuard> {
        Ok(super::exclusive::process_wide().enter(scope))
    }
    /// This opened store's name as a lease owner ([`super::lease`]):
    /// random per open.
    fn owner(&self) -> &str;
}

/// A new [`KvBackend::owner`] name.
pub fn new_owner() -> String {
    format!("{:016x}", rand::random::<u64>())
}

/// Records an import hands the tree per write ([`Storage::import_records`]).
const IMPORT_BATCH: usize = 1024;

/// The store on a backend. Cheap to share behind an `Arc`.
pub struct KvStore<B> {
    pub(crate) backend: B,
    /// Bytes per user ([`Storage::set_quota`]).
    quota: AtomicU64,
}

impl<B: KvBackend> KvStore<B> {
    pub fn with_backend(backend: B) -> Self {
        KvStore { backend, quota: AtomicU64::new(u64::MAX) }
    }

    /// The backend (its pool, its handles) for modules of storage that add
    /// operations of their own.
    pub fn backend(&self) -> &B {
        &self.backend
    }

    /// The tree, for one read.
    pub(crate) fn db(&self) -> Result<Arc<dyn OrderedTree>> {
        self.backend.reader()
    }

    /// Runs one write: `stage` stages its changes in an overlay checked
    /// against `quota`, and they are committed as one batch.
    fn write<T>(&self, quota: u64, stage: impl FnOnce(&mut Staged<'_>) -> Result<T>) -> Result<T> {
        let mut stage = Some(stage);
        let mut out = None;
        self.backend.write(&mut |tree| {
            let stage = stage.take().ok_or(StorageError::Backend("a write ran twice".into()))?;
            let mut st = Staged::new(tree, quota);
            let v = stage(&mut st)?;
            st.commit()?;
            out = Some(v);
            Ok(())
        })?;
        out.ok_or(StorageError::Backend("a write did not run".into()))
    }

    /// [`KvStore::write`] under the configured quota.
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

    fn get_node(&self, path: &StorePath) -> Result<Option<Node>> {
        self.db()?.get(node_key(path))?.map(|b| decode(&b)).transpose()
    }
}

impl<B: KvBackend> Storage for KvStore<B> {
    fn user(&self, name: &str) -> Result<Option<User>> {
        self.db()?.get(user_key(name))?.map(|b| decode(&b)).transpose()
    }

    fn users(&self) -> Result<Vec<User>> {
        let mut out = Vec::new();
        for kv in self.db()?.scan_prefix([USER]) {
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
        Ok(self.db()?.get(usage_key(user.as_bytes()))?.map_or(0, |v| decode_u64(&v)))
    }

    fn recount_usage(&self, user: &str) -> Result<u64> {
        let mut total = 0u64;
        let db = self.db()?;
        // Every record of a home lies under one of these prefixes.
        for tag in [NODE, CONTENT, PROP, HISTORY, UID, OBJECT_INDEX, LONG, UNBOUNDED] {
            for kv in db.scan_prefix([tag]) {
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
        for kv in self.db()?.scan_prefix(&prefix) {
            let (k, v) = kv?;
            out.push((String::from_utf8_lossy(&k[prefix.len()..]).to_string(), decode(&v)?));
        }
        Ok(out)
    }

    fn for_each_child(&self, path: &StorePath, f: &mut dyn FnMut(String, Node) -> Result<()>) -> Result<()> {
        let prefix = children_prefix(path);
        for kv in self.db()?.scan_prefix(&prefix) {
            let (k, v) = kv?;
            f(String::from_utf8_lossy(&k[prefix.len()..]).to_string(), decode(&v)?)?;
        }
        Ok(())
    }

    /// Only the head of each member's record is decoded
    /// ([`tree::member_head`]), borrowed from the backend's bytes.
    fn for_each_member(&self, path: &StorePath, f: &mut dyn FnMut(&str, MemberHead<'_>) -> Result<()>) -> Result<()> {
        pages::for_each_member(&*self.db()?, path, f)
    }

    fn content(&self, path: &StorePath) -> Result<Option<Vec<u8>>> {
        self.db()?.get(keys::path_key(CONTENT, path))
    }

    fn visit_content(&self, path: &StorePath, f: &mut dyn FnMut(&[u8])) -> Result<bool> {
        self.db()?.visit_key(&keys::path_key(CONTENT, path), f)
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
        for kv in self.db()?.scan_prefix(&prefix) {
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
            .get(sub_key(UID, calendar, uid.as_bytes()))?
            .map(|v| String::from_utf8_lossy(&v).to_string()))
    }

    fn changes_since(&self, collection: &StorePath, revision: u64, limit: Option<usize>) -> Result<Option<ChangeSet>> {
        let db = self.db()?;
        let node: Node = db.get(node_key(collection))?.map(|b| decode(&b)).transpose()?.ok_or(StorageError::NotFound)?;
        let coll = node.collection().ok_or(StorageError::NotFound)?;
        if revision > coll.revision {
            return Ok(None);
        }
        let start = sub_key(HISTORY, collection, &(revision + 1).to_be_bytes());
        let end = sub_key(HISTORY, collection, &(coll.revision + 1).to_be_bytes());
        // Latest state per name, in order of each name's last change.
        let mut latest: BTreeMap<String, (u64, bool)> = BTreeMap::new();
        for kv in db.range(start..end) {
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

    fn visit_occurrences(&self, calendar: &StorePath, range: &TimeRange, f: &mut dyn FnMut(OccurrenceRef<'_>)) -> Result<()> {
        self.index_visit(calendar, range, &mut |name, occurrence, approximate, head| {
            f(OccurrenceRef { name, occurrence, approximate, head: head.and_then(index::decode_head_ref) })
        })
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
        Ok(self.db()?.get(keys::record_key(key.table, &key.key))?.map(|v| v.to_vec()))
    }

    fn records(&self, table: &'static str, prefix: &str) -> Result<Vec<(String, Vec<u8>)>> {
        let table_prefix_len = keys::record_key(table, "").len();
        let mut out = Vec::new();
        for kv in self.db()?.scan_prefix(keys::record_key(table, prefix)) {
            let (k, v) = kv?;
            out.push((String::from_utf8_lossy(&k[table_prefix_len..]).to_string(), v.to_vec()));
        }
        Ok(out)
    }

    fn count_records(&self, table: &'static str, prefix: &str) -> Result<usize> {
        let lo = keys::record_key(table, prefix);
        let hi = prefix_end(&lo);
        self.db()?.count_range(&lo, hi.as_deref())
    }

    fn records_between(&self, table: &'static str, from: &str, to: &str, limit: usize) -> Result<Vec<(String, Vec<u8>)>> {
        let table_prefix_len = keys::record_key(table, "").len();
        let mut out = Vec::new();
        if from >= to {
            return Ok(out);
        }
        for kv in self.db()?.range(keys::record_key(table, from)..keys::record_key(table, to)).take(limit) {
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

    /// Returns once every write applied before it is durable (sled: a
    /// group-committed flush; PostgreSQL: already so at commit).
    fn flush(&self) -> Result<()> {
        self.backend.flush()
    }

    fn flush_stats(&self) -> FlushStats {
        self.backend.flush_stats()
    }

    fn checkpoint(&self) -> Result<()> {
        self.backend.checkpoint()
    }

    fn check_tree(&self, repair: bool) -> Result<super::check::CheckReport> {
        self.check_kv(repair)
    }

    fn size_on_disk(&self) -> Result<u64> {
        self.backend.size_on_disk()
    }

    fn export_records(&self, each: &mut dyn FnMut(&[u8], &[u8]) -> Result<()>) -> Result<()> {
        self.backend.export(each)
    }

    /// One write of the backend (PostgreSQL: one transaction; sled: under
    /// the write lock, [`IMPORT_BATCH`] records a batch), refused when the
    /// tree holds anything but store metadata (`M`), then flushed.
    fn import_records(&self, next: &mut dyn FnMut() -> Result<Option<(Vec<u8>, Vec<u8>)>>) -> Result<u64> {
        let mut loaded = 0u64;
        self.backend.write(&mut |tree| {
            loaded = 0;
            if let Some(row) = tree.iter().find(|r| r.as_ref().map_or(true, |(k, _)| k.first() != Some(&META))) {
                let (k, _) = row?;
                return Err(StorageError::Backend(format!("the store is not empty (it holds {})", String::from_utf8_lossy(&k))));
            }
            let mut writes = TreeWrites::new();
            while let Some((k, v)) = next()? {
                writes.push((k, Some(v)));
                loaded += 1;
                if writes.len() >= IMPORT_BATCH {
                    tree.apply_writes(std::mem::take(&mut writes))?;
                }
            }
            tree.apply_writes(writes)?;
            // The pages imported describe the source's nodes, if it had
            // them at all: written again from the nodes imported; and the
            // source's index may be from before heads.
            pages::rebuild(tree, true)?;
            index::upgrade_heads(tree, true)
        })?;
        self.backend.flush()?;
        Ok(loaded)
    }

    fn exclusive(&self, scope: &str) -> Result<ExclusiveGuard> {
        self.backend.exclusive(scope)
    }

    /// In one write of the backend, which every write of every process
    /// waits for: no section, no connection of its own.
    fn claim_due(&self, claim: &super::lease::Claim<'_>) -> Result<Vec<(String, Vec<u8>)>> {
        let mut claimed = Vec::new();
        self.backend.write(&mut |tree| {
            claimed = super::lease::claim_due_on(&TreeRecords::new(tree, self.backend.owner()), claim)?;
            Ok(())
        })?;
        Ok(claimed)
    }

    /// In one write of the backend, as [`Storage::claim_due`].
    fn take_job(&self, job: &str, holder: &str, now: DateTime<Utc>, until: DateTime<Utc>) -> Result<bool> {
        let mut taken = false;
        self.backend.write(&mut |tree| {
            taken = super::lease::take_job_on(&TreeRecords::new(tree, self.backend.owner()), job, holder, now, until)?;
            Ok(())
        })?;
        Ok(taken)
    }
}

/// Domain records on the tree of one write, for the leases
/// ([`super::lease::LeaseRecords`]). Records belong to no home, so they
/// are written without usage accounting, as `Staged` would.
struct TreeRecords<'a> {
    tree: &'a dyn OrderedTree,
    owner: &'a str,
    /// [`OrderedTree::connected_owners`], asked once when first needed.
    connected: std::cell::RefCell<Option<Option<std::collections::BTreeSet<String>>>>,
}

impl<'a> TreeRecords<'a> {
    fn new(tree: &'a dyn OrderedTree, owner: &'a str) -> Self {
        TreeRecords { tree, owner, connected: Default::default() }
    }

    fn rows(&self, table: &str, rows: Rows<'_>, limit: usize) -> Result<Vec<(String, Vec<u8>)>> {
        let prefix = keys::record_key(table, "");
        rows.take(limit)
            .map(|row| row.map(|(k, v)| (String::from_utf8_lossy(&k[prefix.len()..]).into_owned(), v)))
            .collect()
    }
}

impl super::lease::LeaseRecords for TreeRecords<'_> {
    fn get(&self, key: &RecordKey) -> Result<Option<Vec<u8>>> {
        (self.tree as &dyn OrderedTree).get(keys::record_key(key.table, &key.key))
    }
    fn scan(&self, table: &'static str, prefix: &str) -> Result<Vec<(String, Vec<u8>)>> {
        self.rows(table, self.tree.scan_prefix(keys::record_key(table, prefix)), usize::MAX)
    }
    fn between(&self, table: &'static str, from: &str, to: &str, limit: usize) -> Result<Vec<(String, Vec<u8>)>> {
        self.rows(table, self.tree.range(keys::record_key(table, from)..keys::record_key(table, to)), limit)
    }
    fn write(&self, writes: RecordWrites, _now: DateTime<Utc>) -> Result<()> {
        self.tree.apply_writes(writes.into_iter().map(|(k, v)| (keys::record_key(k.table, &k.key), v)).collect())
    }
    fn owner(&self) -> &str {
        self.owner
    }
    /// On a tree of one process's own (sled) every other owner is a
    /// process that died; on a shared database, one without a connection.
    fn gone(&self, owner: &str) -> Result<bool> {
        if owner == self.owner {
            return Ok(false);
        }
        let mut connected = self.connected.borrow_mut();
        if connected.is_none() {
            *connected = Some(self.tree.connected_owners()?);
        }
        Ok(match connected.as_ref().and_then(Option::as_ref) {
            None => true,
            Some(live) => !live.contains(owner),
        })
    }
}
