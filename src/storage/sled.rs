//! [`SledStorage`]: the [`Storage`] trait on one sled tree.
//!
//! Writers take one process-wide lock, read what they need, stage their
//! changes in a [`Staged`] overlay and apply it as a single atomic sled
//! batch. Readers never lock: sled gives them a consistent view of every
//! key. [`Storage::flush`] makes acknowledged writes durable.
//!
//! The same batch keeps each user's usage (`Q` records): [`Staged::commit`]
//! adds up the size change of every key it writes under a home and refuses
//! the batch when it would take the user beyond the quota.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use chrono::{DateTime, Utc};
use rand::Rng;
use serde::{de::DeserializeOwned, Serialize};
use sha2::{Digest, Sha256};

use super::keys::{self, *};
use super::*;
use crate::ical::{IndexEntry, Occurrence};

/// Occurrences longer than this are not filed by start time but checked on
/// every query (keeps the start-time scan window short).
const LONG_SPAN_SECS: i64 = 7 * 24 * 3600;
/// How far ahead unbounded series are indexed when a calendar is made.
pub const INITIAL_HORIZON_DAYS: i64 = 2 * 366;

/// sled's page cache. Its default (1 GiB) is more than a self-hosted
/// calendar needs; hot data of 10 000 events fits in a fraction of this.
const CACHE_BYTES: u64 = 128 * 1024 * 1024;

const FLAG_APPROX: u8 = 1;
const FLAG_ALL_DAY: u8 = 2;

/// The sled-backed store. Cheap to share behind an `Arc`.
pub struct SledStorage {
    db: ::sled::Db,
    tree: ::sled::Tree,
    write_lock: Mutex<()>,
    /// Whether [`Storage::flush`] really syncs (the `durability` setting).
    sync_on_flush: bool,
    /// Bytes per user ([`Storage::set_quota`]).
    quota: AtomicU64,
}

impl From<::sled::Error> for StorageError {
    fn from(e: ::sled::Error) -> Self {
        StorageError::Backend(e.to_string())
    }
}

fn encode<T: Serialize>(v: &T) -> Vec<u8> {
    postcard::to_stdvec(v).expect("postcard encodes plain data")
}

fn decode<T: DeserializeOwned>(b: &[u8]) -> Result<T> {
    postcard::from_bytes(b).map_err(|e| StorageError::Backend(format!("corrupt record: {e}")))
}

/// Changes staged by one write operation, readable before they are applied.
struct Staged<'a> {
    tree: &'a ::sled::Tree,
    writes: BTreeMap<Vec<u8>, Option<Vec<u8>>>,
    /// Usage a home may grow to in this batch.
    quota: u64,
}

impl<'a> Staged<'a> {
    fn new(tree: &'a ::sled::Tree, quota: u64) -> Self {
        Staged { tree, writes: BTreeMap::new(), quota }
    }
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        if let Some(v) = self.writes.get(key) {
            return Ok(v.clone());
        }
        Ok(self.tree.get(key)?.map(|v| v.to_vec()))
    }
    fn insert(&mut self, key: Vec<u8>, value: Vec<u8>) {
        self.writes.insert(key, Some(value));
    }
    fn remove(&mut self, key: Vec<u8>) {
        self.writes.insert(key, None);
    }
    /// Keys under `prefix`, as the tree holds them plus staged changes.
    fn scan_keys(&self, prefix: &[u8]) -> Result<Vec<Vec<u8>>> {
        let mut set: BTreeSet<Vec<u8>> = BTreeSet::new();
        for kv in self.tree.scan_prefix(prefix) {
            let (k, _) = kv?;
            set.insert(k.to_vec());
        }
        for (k, v) in self.writes.range(prefix.to_vec()..) {
            if !k.starts_with(prefix) {
                break;
            }
            match v {
                Some(_) => set.insert(k.clone()),
                None => set.remove(k),
            };
        }
        Ok(set.into_iter().collect())
    }
    fn node(&self, path: &StorePath) -> Result<Option<Node>> {
        self.get(&node_key(path))?.map(|b| decode(&b)).transpose()
    }
    fn put_node(&mut self, path: &StorePath, node: &Node) {
        self.insert(node_key(path), encode(node));
    }
    /// Applies the staged writes and the usage they change, as one batch.
    /// Fails with [`StorageError::QuotaExceeded`] (writing nothing) when a
    /// home would grow beyond the quota.
    fn commit(self) -> Result<()> {
        let mut batch = ::sled::Batch::default();
        let mut deltas: BTreeMap<&[u8], i64> = BTreeMap::new();
        for (k, v) in &self.writes {
            let Some(owner) = owner_of(k) else { continue };
            let old = self.tree.get(k)?.map_or(0, |o| k.len() + o.len()) as i64;
            let new = v.as_ref().map_or(0, |v| k.len() + v.len()) as i64;
            *deltas.entry(owner).or_default() += new - old;
        }
        for (owner, delta) in deltas {
            if delta == 0 {
                continue;
            }
            let key = usage_key(owner);
            let used = self.tree.get(&key)?.map_or(0, |v| decode_u64(&v));
            let now_used = used.saturating_add_signed(delta);
            if delta > 0 && now_used > self.quota {
                return Err(StorageError::QuotaExceeded { user: String::from_utf8_lossy(owner).into_owned() });
            }
            if now_used == 0 {
                batch.remove(key);
            } else {
                batch.insert(key, &now_used.to_be_bytes());
            }
        }
        for (k, v) in self.writes {
            match v {
                Some(v) => batch.insert(k, v),
                None => batch.remove(k),
            }
        }
        self.tree.apply_batch(batch)?;
        Ok(())
    }
}

fn etag_of(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let mut s = String::with_capacity(32);
    for b in &digest[..16] {
        s.push_str(&format!("{b:02x}"));
    }
    s
}

fn check_condition(current: Option<&Node>, cond: &WriteCondition) -> Result<()> {
    let etag = current.and_then(|n| n.resource()).map(|r| r.etag.as_str());
    if cond.if_none_match_any && current.is_some() {
        return Err(StorageError::EtagMismatch);
    }
    if let Some(e) = etag {
        if cond.if_none_match.iter().any(|t| t == e) {
            return Err(StorageError::EtagMismatch);
        }
    }
    if cond.if_match_any && current.is_none() {
        return Err(StorageError::EtagMismatch);
    }
    if let Some(list) = &cond.if_match {
        match etag {
            Some(e) if list.iter().any(|t| t == e) => {}
            _ => return Err(StorageError::EtagMismatch),
        }
    }
    Ok(())
}

impl SledStorage {
    /// Opens (or creates) the store in `dir`. `sync_on_flush` false leaves
    /// durability to sled's periodic flush.
    ///
    /// The directory and everything in it are owner-only (see
    /// [`super::files`]): permissions found wider are repaired with a
    /// warning, and the files sled has just made are restricted too.
    pub fn open(dir: &Path, sync_on_flush: bool, flush_every_ms: Option<u64>) -> Result<Self> {
        let io = |what: &str, e: std::io::Error| StorageError::Backend(format!("{what} {}: {e}", dir.display()));
        super::files::create_private_dir(dir).map_err(|e| io("cannot create", e))?;
        for r in super::files::restrict_tree(dir).map_err(|e| io("cannot restrict permissions in", e))? {
            tracing::warn!(path = %r.path.display(), mode = format!("{:o}", r.mode), "permissions were wider than owner-only; repaired");
        }
        super::files::create_private_dir(&dir.join("db")).map_err(|e| io("cannot create db in", e))?;
        let db = ::sled::Config::new()
            .path(dir.join("db"))
            .cache_capacity(CACHE_BYTES)
            .flush_every_ms(flush_every_ms)
            .open()?;
        let tree = db.open_tree("slotdav")?;
        check_format(&tree)?;
        super::files::restrict_tree(dir).map_err(|e| io("cannot restrict permissions in", e))?;
        count_usage(&tree)?;
        Ok(SledStorage { db, tree, write_lock: Mutex::new(()), sync_on_flush, quota: AtomicU64::new(u64::MAX) })
    }

    /// A staging area for one write under the quota.
    fn stage(&self) -> Staged<'_> {
        Staged::new(&self.tree, self.quota.load(Ordering::Relaxed))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, ()> {
        self.write_lock.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn get_node(&self, path: &StorePath) -> Result<Option<Node>> {
        self.tree.get(node_key(path))?.map(|b| decode(&b)).transpose()
    }

    /// Records that `name` in `collection` changed: bumps the revision and
    /// appends to its history.
    fn record_change(st: &mut Staged, collection: &StorePath, name: &str, deleted: bool, now: DateTime<Utc>) -> Result<()> {
        let Some(mut node) = st.node(collection)? else { return Ok(()) };
        if let NodeKind::Collection(c) = &mut node.kind {
            c.revision += 1;
            let rev = c.revision;
            st.insert(
                sub_key(HISTORY, collection, &rev.to_be_bytes()),
                encode(&(name.to_string(), deleted)),
            );
            node.modified = now;
            st.put_node(collection, &node);
        }
        Ok(())
    }

    /// Stages removal of every index record of one calendar object.
    fn unindex(st: &mut Staged, calendar: &StorePath, name: &str) -> Result<()> {
        let okey = sub_key(OBJECT_INDEX, calendar, name.as_bytes());
        if let Some(b) = st.get(&okey)? {
            let entry: IndexEntry = decode(&b)?;
            for occ in &entry.occurrences {
                st.remove(span_key(calendar, occ.range.start.timestamp(), name));
            }
        }
        st.remove(okey);
        st.remove(sub_key(LONG, calendar, name.as_bytes()));
        st.remove(sub_key(UNBOUNDED, calendar, name.as_bytes()));
        Ok(())
    }

    /// Stages the index records of one calendar object.
    fn index(st: &mut Staged, calendar: &StorePath, name: &str, entry: &IndexEntry) {
        let mut long = entry.always_matches;
        for occ in &entry.occurrences {
            let (s, e) = (occ.range.start.timestamp(), occ.range.end.timestamp());
            if e - s > LONG_SPAN_SECS {
                long = true;
                continue;
            }
            let mut v = Vec::with_capacity(10);
            v.extend_from_slice(&e.to_be_bytes());
            v.push(encode_busy(occ.busy));
            v.push(if entry.floating { FLAG_APPROX } else { 0 } | if occ.all_day { FLAG_ALL_DAY } else { 0 });
            st.insert(span_key(calendar, s, name), v);
        }
        if long {
            st.insert(sub_key(LONG, calendar, name.as_bytes()), Vec::new());
        }
        if entry.unbounded {
            st.insert(sub_key(UNBOUNDED, calendar, name.as_bytes()), Vec::new());
        }
        st.insert(sub_key(OBJECT_INDEX, calendar, name.as_bytes()), encode(entry));
    }

    /// Stages removal of a node and everything below it. Returns the
    /// paths of removed calendar objects' parents (for change records).
    fn stage_remove_tree(st: &mut Staged, path: &StorePath) -> Result<()> {
        if let Some(node) = st.node(path)? {
            if node.is_collection() {
                for key in st.scan_keys(&children_prefix(path))? {
                    let name = child_name(&key, path);
                    Self::stage_remove_tree(st, &path.child(&name))?;
                }
                for key in st.scan_keys(&keys::prefix(HISTORY, path))? {
                    st.remove(key);
                }
                for tag in [UID, OBJECT_INDEX, SPAN, LONG, UNBOUNDED] {
                    for key in st.scan_keys(&keys::prefix(tag, path))? {
                        st.remove(key);
                    }
                }
            } else if let Some(parent) = path.parent() {
                if let Some(cal) = &node.resource().and_then(|r| r.calendar.clone()) {
                    st.remove(sub_key(UID, &parent, cal.uid.as_bytes()));
                    Self::unindex(st, &parent, path.name())?;
                }
            }
            st.remove(keys::path_key(CONTENT, path));
            for key in st.scan_keys(&keys::prefix(PROP, path))? {
                st.remove(key);
            }
            st.remove(node_key(path));
        }
        Ok(())
    }

    /// Stages a copy of the node at `from` (and with `deep` its subtree) to
    /// `to`, which must not exist. Collections get a fresh sync history.
    fn stage_copy_tree(st: &mut Staged, from: &StorePath, to: &StorePath, deep: bool, now: DateTime<Utc>) -> Result<()> {
        let Some(mut node) = st.node(from)? else { return Err(StorageError::NotFound) };
        let to_parent = to.parent().ok_or(StorageError::Conflict("cannot copy onto a home"))?;
        let dest_parent = st.node(&to_parent)?.ok_or(StorageError::ParentMissing)?;
        if !dest_parent.is_collection() {
            return Err(StorageError::ParentNotCollection);
        }
        node.created = now;
        node.modified = now;
        match &mut node.kind {
            NodeKind::Collection(c) => {
                c.sync_id = rand::thread_rng().gen();
                c.revision = 0;
                st.put_node(to, &node);
                if deep {
                    for key in st.scan_keys(&children_prefix(from))? {
                        let name = child_name(&key, from);
                        Self::stage_copy_tree(st, &from.child(&name), &to.child(&name), true, now)?;
                    }
                }
            }
            NodeKind::Resource(r) => {
                let bytes = st.get(&keys::path_key(CONTENT, from))?.unwrap_or_default();
                let from_parent = from.parent().expect("resources have parents");
                if let Some(cal) = &r.calendar {
                    if let Some(dest) = dest_parent.collection().filter(|c| c.calendar) {
                        if !dest.components.is_empty() && !dest.components.contains(&cal.kind) {
                            return Err(StorageError::UnsupportedComponent(cal.kind));
                        }
                    }
                    if dest_parent.is_calendar() {
                        if let Some(existing) = st.get(&sub_key(UID, &to_parent, cal.uid.as_bytes()))? {
                            let existing = String::from_utf8_lossy(&existing).to_string();
                            if existing != to.name() {
                                return Err(StorageError::UidConflict { uid: cal.uid.clone(), existing: to_parent.child(&existing) });
                            }
                        }
                        st.insert(sub_key(UID, &to_parent, cal.uid.as_bytes()), to.name().as_bytes().to_vec());
                        if let Some(b) = st.get(&sub_key(OBJECT_INDEX, &from_parent, from.name().as_bytes()))? {
                            let entry: IndexEntry = decode(&b)?;
                            Self::index(st, &to_parent, to.name(), &entry);
                        }
                    } else {
                        r.calendar = None;
                    }
                } else if dest_parent.is_calendar() {
                    return Err(StorageError::WrongCollectionKind);
                }
                st.insert(keys::path_key(CONTENT, to), bytes);
                st.put_node(to, &node);
                Self::record_change(st, &to_parent, to.name(), false, now)?;
            }
        }
        for key in st.scan_keys(&keys::prefix(PROP, from))? {
            if let Some(v) = st.get(&key)? {
                let clark = &key[keys::prefix(PROP, from).len()..];
                st.insert(sub_key(PROP, to, clark), v);
            }
        }
        Ok(())
    }
    /// Stages a resource write under `cond` (see [`Storage::put_resource`]).
    fn stage_put(st: &mut Staged, path: &StorePath, write: ResourceWrite, cond: &WriteCondition, now: DateTime<Utc>) -> Result<PutOutcome> {
        let parent = path.parent().ok_or(StorageError::Conflict("a home is a collection"))?;
        let parent_node = match st.node(&parent)? {
            None => return Err(StorageError::ParentMissing),
            Some(p) => p,
        };
        let Some(coll) = parent_node.collection() else { return Err(StorageError::ParentNotCollection) };
        let current = st.node(path)?;
        if current.as_ref().is_some_and(|n| n.is_collection()) {
            return Err(StorageError::Conflict("a collection exists at this path"));
        }
        check_condition(current.as_ref(), cond)?;
        match (&write.calendar, coll.calendar) {
            (None, true) | (Some(_), false) => return Err(StorageError::WrongCollectionKind),
            (Some(cal), true) => {
                if !coll.components.is_empty() && !coll.components.contains(&cal.kind) {
                    return Err(StorageError::UnsupportedComponent(cal.kind));
                }
                let uid_key = sub_key(UID, &parent, cal.uid.as_bytes());
                if let Some(existing) = st.get(&uid_key)? {
                    let existing = String::from_utf8_lossy(&existing).to_string();
                    if existing != path.name() {
                        return Err(StorageError::UidConflict { uid: cal.uid.clone(), existing: parent.child(&existing) });
                    }
                }
                // A changed UID frees the old one.
                if let Some(old) = current.as_ref().and_then(|n| n.resource()).and_then(|r| r.calendar.as_ref()) {
                    if old.uid != cal.uid {
                        st.remove(sub_key(UID, &parent, old.uid.as_bytes()));
                    }
                }
                st.insert(uid_key, path.name().as_bytes().to_vec());
                Self::unindex(st, &parent, path.name())?;
                Self::index(st, &parent, path.name(), &cal.index);
            }
            (None, false) => {}
        }
        let etag = etag_of(&write.bytes);
        let node = Node {
            kind: NodeKind::Resource(Resource {
                etag: etag.clone(),
                content_type: write.content_type,
                length: write.bytes.len() as u64,
                calendar: write.calendar.map(|c| CalendarInfo { uid: c.uid, kind: c.kind }),
            }),
            created: current.as_ref().map(|n| n.created).unwrap_or(now),
            modified: now,
        };
        st.put_node(path, &node);
        st.insert(keys::path_key(CONTENT, path), write.bytes);
        Self::record_change(st, &parent, path.name(), false, now)?;
        Ok(PutOutcome { created: current.is_none(), etag })
    }

    /// Stages deletion of a node and its subtree under `cond`.
    fn stage_delete(st: &mut Staged, path: &StorePath, cond: &WriteCondition, now: DateTime<Utc>) -> Result<()> {
        let current = st.node(path)?.ok_or(StorageError::NotFound)?;
        check_condition(Some(&current), cond)?;
        Self::stage_remove_tree(st, path)?;
        if let Some(parent) = path.parent() {
            Self::record_change(st, &parent, path.name(), true, now)?;
        }
        Ok(())
    }
}

/// The layout of records this build reads and writes. Bump it when a
/// record's encoding changes, and teach [`check_format`] to migrate.
pub const STORE_FORMAT: u32 = 1;

/// Marks a new store with [`STORE_FORMAT`]; refuses a store written in
/// another format rather than misreading its records.
fn check_format(tree: &::sled::Tree) -> Result<()> {
    let key = [META, b'f', b'o', b'r', b'm', b'a', b't'];
    match tree.get(key)? {
        Some(v) if v.as_ref() == STORE_FORMAT.to_be_bytes() => Ok(()),
        Some(v) => Err(StorageError::Backend(format!(
            "the store was written in format {:?}, this slotdav reads format {STORE_FORMAT}",
            v.as_ref()
        ))),
        None if tree.is_empty() => {
            tree.insert(key, &STORE_FORMAT.to_be_bytes())?;
            Ok(())
        }
        None => Err(StorageError::Backend(format!(
            "the store was written by a development build before store formats were marked; this slotdav reads format {STORE_FORMAT}"
        ))),
    }
}

fn decode_u64(b: &[u8]) -> u64 {
    b.try_into().map(u64::from_be_bytes).unwrap_or(0)
}

/// Counts every home's usage once, for a store written before usage was
/// kept (afterwards every batch keeps it up to date).
fn count_usage(tree: &::sled::Tree) -> Result<()> {
    let marker = [META, b'u', b's', b'a', b'g', b'e'];
    if tree.get(marker)?.is_some() {
        return Ok(());
    }
    let mut usage: BTreeMap<Vec<u8>, u64> = BTreeMap::new();
    for kv in tree.iter() {
        let (k, v) = kv?;
        if let Some(owner) = owner_of(&k) {
            *usage.entry(owner.to_vec()).or_default() += (k.len() + v.len()) as u64;
        }
    }
    let mut batch = ::sled::Batch::default();
    for (owner, bytes) in usage {
        batch.insert(usage_key(&owner), &bytes.to_be_bytes());
    }
    batch.insert(&marker, &[1u8]);
    tree.apply_batch(batch)?;
    Ok(())
}

fn encode_busy(b: Option<crate::ical::BusyKind>) -> u8 {
    use crate::ical::BusyKind::*;
    match b {
        None => 0,
        Some(Busy) => 1,
        Some(BusyTentative) => 2,
        Some(BusyUnavailable) => 3,
    }
}

fn decode_busy(b: u8) -> Option<crate::ical::BusyKind> {
    use crate::ical::BusyKind::*;
    match b {
        1 => Some(Busy),
        2 => Some(BusyTentative),
        3 => Some(BusyUnavailable),
        _ => None,
    }
}

fn child_name(key: &[u8], parent: &StorePath) -> String {
    String::from_utf8_lossy(&key[children_prefix(parent).len()..]).to_string()
}

fn ts(secs: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(secs, 0).unwrap_or(DateTime::<Utc>::MAX_UTC)
}

impl Storage for SledStorage {
    fn user(&self, name: &str) -> Result<Option<User>> {
        self.tree.get(user_key(name))?.map(|b| decode(&b)).transpose()
    }

    fn users(&self) -> Result<Vec<User>> {
        let mut out = Vec::new();
        for kv in self.tree.scan_prefix([USER]) {
            let (_, v) = kv?;
            out.push(decode(&v)?);
        }
        Ok(out)
    }

    fn put_user(&self, user: &User) -> Result<()> {
        let _g = self.lock();
        self.tree.insert(user_key(&user.name), encode(user))?;
        Ok(())
    }

    fn remove_user(&self, name: &str) -> Result<bool> {
        let _g = self.lock();
        let mut st = self.stage();
        if st.get(&user_key(name))?.is_none() {
            return Ok(false);
        }
        st.remove(user_key(name));
        Self::stage_remove_tree(&mut st, &StorePath::home(name))?;
        st.commit()?;
        Ok(true)
    }

    fn usage(&self, user: &str) -> Result<u64> {
        Ok(self.tree.get(usage_key(user.as_bytes()))?.map_or(0, |v| decode_u64(&v)))
    }

    fn recount_usage(&self, user: &str) -> Result<u64> {
        let mut total = 0u64;
        // Every record of a home lies under one of these prefixes.
        for tag in [NODE, CONTENT, PROP, HISTORY, UID, OBJECT_INDEX, SPAN, LONG, UNBOUNDED] {
            for kv in self.tree.scan_prefix([tag]) {
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
        for kv in self.tree.scan_prefix(&prefix) {
            let (k, v) = kv?;
            out.push((String::from_utf8_lossy(&k[prefix.len()..]).to_string(), decode(&v)?));
        }
        Ok(out)
    }

    fn for_each_child(&self, path: &StorePath, f: &mut dyn FnMut(String, Node) -> Result<()>) -> Result<()> {
        let prefix = children_prefix(path);
        for kv in self.tree.scan_prefix(&prefix) {
            let (k, v) = kv?;
            f(String::from_utf8_lossy(&k[prefix.len()..]).to_string(), decode(&v)?)?;
        }
        Ok(())
    }

    fn content(&self, path: &StorePath) -> Result<Option<Vec<u8>>> {
        Ok(self.tree.get(keys::path_key(CONTENT, path))?.map(|v| v.to_vec()))
    }

    fn create_collection(
        &self,
        path: &StorePath,
        calendar: bool,
        components: Vec<ComponentKind>,
        props: Vec<(String, String)>,
        now: DateTime<Utc>,
    ) -> Result<Node> {
        let _g = self.lock();
        let mut st = self.stage();
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
            Self::record_change(&mut st, &parent, path.name(), false, now)?;
        }
        st.commit()?;
        Ok(node)
    }

    fn put_resource(&self, path: &StorePath, write: ResourceWrite, cond: &WriteCondition, now: DateTime<Utc>) -> Result<PutOutcome> {
        let _g = self.lock();
        let mut st = self.stage();
        let outcome = Self::stage_put(&mut st, path, write, cond, now)?;
        st.commit()?;
        Ok(outcome)
    }

    fn delete(&self, path: &StorePath, cond: &WriteCondition, now: DateTime<Utc>) -> Result<()> {
        let _g = self.lock();
        let mut st = self.stage();
        Self::stage_delete(&mut st, path, cond, now)?;
        st.commit()
    }

    fn copy(&self, from: &StorePath, to: &StorePath, overwrite: bool, deep: bool, remove_source: bool, now: DateTime<Utc>) -> Result<bool> {
        let _g = self.lock();
        let mut st = self.stage();
        if st.node(from)?.is_none() {
            return Err(StorageError::NotFound);
        }
        let existed = st.node(to)?.is_some();
        if existed {
            if !overwrite {
                return Err(StorageError::EtagMismatch);
            }
            Self::stage_remove_tree(&mut st, to)?;
        }
        Self::stage_copy_tree(&mut st, from, to, deep, now)?;
        if let Some(parent) = to.parent() {
            if st.node(to)?.is_some_and(|n| n.is_collection()) {
                Self::record_change(&mut st, &parent, to.name(), false, now)?;
            }
        }
        if remove_source {
            Self::stage_remove_tree(&mut st, from)?;
            if let Some(parent) = from.parent() {
                Self::record_change(&mut st, &parent, from.name(), true, now)?;
            }
        }
        st.commit()?;
        Ok(existed)
    }

    fn props(&self, path: &StorePath) -> Result<Vec<(String, String)>> {
        let prefix = keys::prefix(PROP, path);
        let mut out = Vec::new();
        for kv in self.tree.scan_prefix(&prefix) {
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
            .tree
            .get(sub_key(PROP, path, clark.as_bytes()))?
            .map(|v| String::from_utf8_lossy(&v).to_string()))
    }

    fn patch_props(&self, path: &StorePath, changes: &[PropChange], now: DateTime<Utc>) -> Result<()> {
        let _g = self.lock();
        let mut st = self.stage();
        let mut node = st.node(path)?.ok_or(StorageError::NotFound)?;
        for c in changes {
            match c {
                PropChange::Set(clark, value) => st.insert(sub_key(PROP, path, clark.as_bytes()), value.clone().into_bytes()),
                PropChange::Remove(clark) => st.remove(sub_key(PROP, path, clark.as_bytes())),
            }
        }
        node.modified = now;
        st.put_node(path, &node);
        st.commit()
    }

    fn object_by_uid(&self, calendar: &StorePath, uid: &str) -> Result<Option<String>> {
        Ok(self
            .tree
            .get(sub_key(UID, calendar, uid.as_bytes()))?
            .map(|v| String::from_utf8_lossy(&v).to_string()))
    }

    fn changes_since(&self, collection: &StorePath, revision: u64, limit: Option<usize>) -> Result<Option<ChangeSet>> {
        let node = self.get_node(collection)?.ok_or(StorageError::NotFound)?;
        let coll = node.collection().ok_or(StorageError::NotFound)?;
        if revision > coll.revision {
            return Ok(None);
        }
        let start = sub_key(HISTORY, collection, &(revision + 1).to_be_bytes());
        let end = sub_key(HISTORY, collection, &(coll.revision + 1).to_be_bytes());
        // Latest state per name, in order of each name's last change.
        let mut latest: BTreeMap<String, (u64, bool)> = BTreeMap::new();
        for kv in self.tree.range(start..end) {
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
        let mut found: BTreeMap<String, bool> = BTreeMap::new();
        for occ in self.occurrences(calendar, range)? {
            let exact = found.entry(occ.name).or_insert(true);
            *exact &= !occ.approximate;
        }
        // Objects that match every range: the caller checks them.
        for kv in self.tree.scan_prefix(keys::prefix(LONG, calendar)) {
            let (k, _) = kv?;
            let name = String::from_utf8_lossy(&k[keys::prefix(LONG, calendar).len()..]).to_string();
            if let Some(b) = self.tree.get(sub_key(OBJECT_INDEX, calendar, name.as_bytes()))? {
                let entry: IndexEntry = decode(&b)?;
                if entry.always_matches {
                    found.insert(name, false);
                }
            }
        }
        Ok(found.into_iter().map(|(name, exact)| Candidate { name, exact }).collect())
    }

    fn occurrences(&self, calendar: &StorePath, range: &TimeRange) -> Result<Vec<IndexedOccurrence>> {
        let (qs, qe) = (range.start.timestamp(), range.end.timestamp().max(range.start.timestamp() + 1));
        let prefix = keys::prefix(SPAN, calendar);
        let mut lo = prefix.clone();
        lo.extend_from_slice(&encode_time(qs.saturating_sub(LONG_SPAN_SECS)));
        let mut hi = prefix.clone();
        hi.extend_from_slice(&encode_time(qe));
        let mut out = Vec::new();
        for kv in self.tree.range(lo..hi) {
            let (k, v) = kv?;
            let start = decode_time(&k[prefix.len()..prefix.len() + 8]);
            let end = i64::from_be_bytes(v[..8].try_into().expect("8 bytes"));
            let occ_range = TimeRange::new(ts(start), ts(end));
            if !occ_range.overlaps(range) {
                continue;
            }
            out.push(IndexedOccurrence {
                name: String::from_utf8_lossy(&k[prefix.len() + 8..]).to_string(),
                occurrence: Occurrence { range: occ_range, busy: decode_busy(v[8]), all_day: v[9] & FLAG_ALL_DAY != 0 },
                approximate: v[9] & FLAG_APPROX != 0,
            });
        }
        // Long occurrences are not filed by start: look at each such object.
        let lprefix = keys::prefix(LONG, calendar);
        for kv in self.tree.scan_prefix(&lprefix) {
            let (k, _) = kv?;
            let name = String::from_utf8_lossy(&k[lprefix.len()..]).to_string();
            let Some(b) = self.tree.get(sub_key(OBJECT_INDEX, calendar, name.as_bytes()))? else { continue };
            let entry: IndexEntry = decode(&b)?;
            if entry.always_matches && entry.occurrences.is_empty() {
                // Not indexed occurrence by occurrence (too many, or none
                // placeable): the caller places it exactly.
                out.push(IndexedOccurrence {
                    name: name.clone(),
                    occurrence: Occurrence { range: *range, busy: None, all_day: false },
                    approximate: true,
                });
                continue;
            }
            for occ in entry.occurrences {
                if occ.range.end.timestamp() - occ.range.start.timestamp() > LONG_SPAN_SECS && occ.range.overlaps(range) {
                    out.push(IndexedOccurrence { name: name.clone(), occurrence: occ, approximate: entry.floating });
                }
            }
        }
        Ok(out)
    }

    fn set_read_only(&self, path: &StorePath, read_only: bool) -> Result<()> {
        let _g = self.lock();
        let mut st = self.stage();
        let mut node = st.node(path)?.ok_or(StorageError::NotFound)?;
        match &mut node.kind {
            NodeKind::Collection(c) => c.read_only = read_only,
            NodeKind::Resource(_) => return Err(StorageError::Conflict("not a collection")),
        }
        st.put_node(path, &node);
        st.commit()
    }

    fn extend_horizon(&self, calendar: &StorePath, until: DateTime<Utc>, reindex: Reindex<'_>) -> Result<()> {
        let Some(node) = self.get_node(calendar)? else { return Ok(()) };
        let Some(coll) = node.collection() else { return Ok(()) };
        if until.timestamp() <= coll.horizon {
            return Ok(());
        }
        let _g = self.lock();
        // Counted, but not refused: a query must not fail because moving
        // the horizon indexes more occurrences.
        let mut st = Staged::new(&self.tree, u64::MAX);
        let Some(mut node) = st.node(calendar)? else { return Ok(()) };
        let NodeKind::Collection(coll) = &mut node.kind else { return Ok(()) };
        if until.timestamp() <= coll.horizon {
            return Ok(());
        }
        // Move well past what was asked, so a client paging forward does
        // not re-index on every request.
        let new_horizon = until + chrono::Duration::days(366);
        let uprefix = keys::prefix(UNBOUNDED, calendar);
        for key in st.scan_keys(&uprefix)? {
            let name = String::from_utf8_lossy(&key[uprefix.len()..]).to_string();
            let path = calendar.child(&name);
            let Some(bytes) = st.get(&keys::path_key(CONTENT, &path))? else { continue };
            if let Some(entry) = reindex(&bytes, new_horizon) {
                Self::unindex(&mut st, calendar, &name)?;
                Self::index(&mut st, calendar, &name, &entry);
            }
        }
        coll.horizon = new_horizon.timestamp();
        st.put_node(calendar, &node);
        st.commit()
    }

    fn record(&self, key: &RecordKey) -> Result<Option<Vec<u8>>> {
        Ok(self.tree.get(keys::record_key(key.table, &key.key))?.map(|v| v.to_vec()))
    }

    fn records(&self, table: &'static str, prefix: &str) -> Result<Vec<(String, Vec<u8>)>> {
        let table_prefix_len = keys::record_key(table, "").len();
        let mut out = Vec::new();
        for kv in self.tree.scan_prefix(keys::record_key(table, prefix)) {
            let (k, v) = kv?;
            out.push((String::from_utf8_lossy(&k[table_prefix_len..]).to_string(), v.to_vec()));
        }
        Ok(out)
    }

    fn take_record(&self, key: &RecordKey) -> Result<Option<Vec<u8>>> {
        let _g = self.lock();
        let k = keys::record_key(key.table, &key.key);
        let Some(v) = self.tree.get(&k)? else { return Ok(None) };
        let mut st = self.stage();
        st.remove(k);
        st.commit()?;
        Ok(Some(v.to_vec()))
    }

    fn apply(&self, batch: RecordBatch, now: DateTime<Utc>) -> Result<Option<PutOutcome>> {
        let _g = self.lock();
        let mut st = self.stage();
        let outcome = match batch.object {
            Some(ObjectChange::Put { path, write, cond }) => Some(Self::stage_put(&mut st, &path, write, &cond, now)?),
            Some(ObjectChange::Delete { path, cond }) => {
                Self::stage_delete(&mut st, &path, &cond, now)?;
                None
            }
            None => None,
        };
        for (key, value) in batch.records {
            let k = keys::record_key(key.table, &key.key);
            match value {
                Some(v) => st.insert(k, v),
                None => st.remove(k),
            }
        }
        st.commit()?;
        Ok(outcome)
    }

    fn flush(&self) -> Result<()> {
        if self.sync_on_flush {
            self.db.flush()?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Usage as a full scan counts it.
    fn scanned(s: &SledStorage, user: &str) -> u64 {
        s.tree.iter().map(|kv| kv.unwrap()).filter(|(k, _)| owner_of(k) == Some(user.as_bytes())).map(|(k, v)| (k.len() + v.len()) as u64).sum()
    }

    fn p(s: &[&str]) -> StorePath {
        StorePath::new(s.iter().map(|x| x.to_string()).collect())
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
