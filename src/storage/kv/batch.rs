//! The staged overlay of one write: reads see staged changes first; the
//! commit applies everything as one batch together with the usage it
//! changes, or refuses it beyond the quota. Also the postcard encoding of
//! the tree's own records and the one-time usage count of an old store.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};

use serde::{de::DeserializeOwned, Serialize};

use super::super::keys::*;
use super::super::*;
use super::OrderedTree;

pub(super) fn encode<T: Serialize>(v: &T) -> Vec<u8> {
    postcard::to_stdvec(v).expect("postcard encodes plain data")
}

pub(super) fn decode<T: DeserializeOwned>(b: &[u8]) -> Result<T> {
    postcard::from_bytes(b).map_err(|e| StorageError::Backend(format!("corrupt record: {e}")))
}


/// Changes staged by one write operation, readable before they are applied.
pub(super) struct Staged<'a> {
    tree: &'a dyn OrderedTree,
    writes: BTreeMap<Vec<u8>, Option<Vec<u8>>>,
    /// Usage a home may grow to in this batch.
    quota: u64,
    /// The size (key and value; 0: absent) of each record this write read
    /// from the tree, so the commit's usage count reads none of them
    /// again (a PUT reads its node, its UID entry and its index entry
    /// before it writes them).
    read: RefCell<BTreeMap<Vec<u8>, usize>>,
}

impl<'a> Staged<'a> {
    pub(super) fn new(tree: &'a dyn OrderedTree, quota: u64) -> Self {
        Staged { tree, writes: BTreeMap::new(), quota, read: RefCell::new(BTreeMap::new()) }
    }
    pub(super) fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        if let Some(v) = self.writes.get(key) {
            return Ok(v.clone());
        }
        let found = self.tree.get(key)?;
        self.read.borrow_mut().insert(key.to_vec(), found.as_ref().map_or(0, |v| key.len() + v.len()));
        Ok(found)
    }
    /// What `key` takes in the tree before this write (key and value).
    fn size_before(&self, key: &[u8]) -> Result<usize> {
        if let Some(size) = self.read.borrow().get(key) {
            return Ok(*size);
        }
        Ok(self.tree.get(key)?.map_or(0, |o| key.len() + o.len()))
    }
    pub(super) fn insert(&mut self, key: Vec<u8>, value: Vec<u8>) {
        self.writes.insert(key, Some(value));
    }
    pub(super) fn remove(&mut self, key: Vec<u8>) {
        self.writes.insert(key, None);
    }
    /// Keys under `prefix`, as the tree holds them plus staged changes
    /// (for the index's occurrences, as their pages hold them:
    /// [`super::spans`]).
    pub(super) fn scan_keys(&self, prefix: &[u8]) -> Result<Vec<Vec<u8>>> {
        let mut set: BTreeSet<Vec<u8>> = BTreeSet::new();
        if super::spans::is_paged(prefix) {
            super::spans::visit_all(self.tree, prefix, &mut |k, _| {
                set.insert(k.to_vec());
                Ok(())
            })?;
        } else {
            for kv in self.tree.scan_prefix(prefix) {
                let (k, _) = kv?;
                set.insert(k.to_vec());
            }
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
    pub(super) fn node(&self, path: &StorePath) -> Result<Option<Node>> {
        self.get(&node_key(path))?.map(|b| decode(&b)).transpose()
    }
    pub(super) fn put_node(&mut self, path: &StorePath, node: &Node) {
        self.insert(node_key(path), encode(node));
    }
    /// Applies the staged writes and the usage they change, as one batch.
    /// Fails with [`StorageError::QuotaExceeded`] (writing nothing) when a
    /// home would grow beyond the quota.
    pub(super) fn commit(self) -> Result<()> {
        if self.writes.is_empty() {
            return Ok(());
        }
        let mut batch: super::TreeWrites = Vec::with_capacity(self.writes.len() + 1);
        let mut deltas: BTreeMap<&[u8], i64> = BTreeMap::new();
        for (k, v) in &self.writes {
            let Some(owner) = owner_of(k) else { continue };
            let old = self.size_before(k)? as i64;
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
                batch.push((key, None));
            } else {
                batch.push((key, Some(now_used.to_be_bytes().to_vec())));
            }
        }
        // The listing pages of the collections whose members change, and
        // the occurrence pages that hold the index's logical records.
        batch.extend(super::pages::apply(self.tree, &self.writes)?);
        batch.extend(super::spans::with_pages(self.tree, self.writes)?);
        self.tree.apply_writes(batch)?;
        Ok(())
    }
}

pub(super) fn decode_u64(b: &[u8]) -> u64 {
    b.try_into().map(u64::from_be_bytes).unwrap_or(0)
}

/// Counts every home's usage once, for a store written before usage was
/// kept (afterwards every batch keeps it up to date).
pub(crate) fn count_usage(tree: &dyn OrderedTree) -> Result<()> {
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
    let mut batch: super::TreeWrites = Vec::new();
    for (owner, bytes) in usage {
        batch.push((usage_key(&owner), Some(bytes.to_be_bytes().to_vec())));
    }
    batch.push((marker.to_vec(), Some(vec![1u8])));
    tree.apply_writes(batch)?;
    Ok(())
}
