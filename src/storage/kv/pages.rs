//! Listing pages: each collection's members by name, a page of up to
//! [`PAGE_MAX`] names and heads (etag, or collection kind) per record, so
//! that a listing of a calendar reads about N / 36 records instead of N.
//!
//! A listing (PROPFIND Depth 1 of etags, an initial sync) needs of each
//! member only its name and [`MemberHead`]. Reading those from the `N`
//! records costs a step of the backend's iterator per member (sled: about
//! a microsecond, most of a listing's time); a page holds many of them in
//! one record, decoded borrowed.
//!
//! Layout (`G` records, [`super::super::keys`]): `G`, the collection's
//! path, `0x00`, the page's lower bound — the empty name for the first
//! page, else the first name the page held when it was split off. A page
//! holds the members from its bound up to the next page's bound. Pages are
//! derived data, written in the same batch as the nodes they describe
//! ([`apply`], called by `Staged::commit`): a member's node and its page
//! entry change together or not at all. They count against no quota.
//! [`rebuild`] writes them from the nodes (a store from before pages, an
//! import, `slotdav check --repair`).

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::super::keys::{LISTING, NODE};
use super::super::*;
use super::batch::encode;
use super::{prefix_end, OrderedTree, TreeWrites};

/// Names a page holds at most; a fuller page is split in halves. Every
/// write of a member rewrites its page, so a page is kept small (about
/// 2 KiB of names and etags): a listing of 10,000 members still reads
/// only about 300 records.
pub const PAGE_MAX: usize = 48;

/// The `M` record saying every collection's pages are written.
const BUILT: &[u8] = b"Mlisting-pages";

/// One member in a page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Entry<'a> {
    #[serde(borrow)]
    name: Cow<'a, str>,
    /// 0: a resource (with its etag), 1: a collection, 2: a calendar.
    kind: u8,
    #[serde(borrow)]
    etag: Cow<'a, str>,
}

impl<'a> Entry<'a> {
    fn of(name: &'a str, head: MemberHead<'a>) -> Self {
        match head {
            MemberHead::Resource { etag } => Entry { name: Cow::Borrowed(name), kind: 0, etag: Cow::Borrowed(etag) },
            MemberHead::Collection { calendar } => {
                Entry { name: Cow::Borrowed(name), kind: if calendar { 2 } else { 1 }, etag: Cow::Borrowed("") }
            }
        }
    }

    fn head(&self) -> MemberHead<'_> {
        match self.kind {
            0 => MemberHead::Resource { etag: &self.etag },
            k => MemberHead::Collection { calendar: k == 2 },
        }
    }

    fn into_owned(self) -> Entry<'static> {
        Entry { name: Cow::Owned(self.name.into_owned()), kind: self.kind, etag: Cow::Owned(self.etag.into_owned()) }
    }
}

/// Prefix of a collection's page keys (the collection as a joined path).
fn page_prefix(collection: &[u8]) -> Vec<u8> {
    let mut k = Vec::with_capacity(collection.len() + 2);
    k.push(LISTING);
    k.extend_from_slice(collection);
    k.push(0);
    k
}

/// A node key split into its parent's joined path and its name; `None`
/// for a home (filed under the empty parent), which no listing lists.
fn parent_and_name(node_key: &[u8]) -> Option<(&[u8], &[u8])> {
    let rest = node_key.strip_prefix(&[NODE])?;
    let sep = rest.iter().position(|b| *b == 0)?;
    (sep > 0).then(|| (&rest[..sep], &rest[sep + 1..]))
}

/// Calls `f` with each member of the collection at `path`, in name order.
pub(super) fn for_each_member(
    tree: &dyn OrderedTree,
    path: &StorePath,
    f: &mut dyn FnMut(&str, MemberHead<'_>) -> Result<()>,
) -> Result<()> {
    let prefix = page_prefix(path.joined().as_bytes());
    let end = prefix_end(&prefix);
    tree.visit_range(&prefix, end.as_deref(), &mut |_, v| {
        let entries: Vec<Entry<'_>> = decode_page(v)?;
        for e in &entries {
            f(&e.name, e.head())?;
        }
        Ok(())
    })
}

fn decode_page(v: &[u8]) -> Result<Vec<Entry<'_>>> {
    postcard::from_bytes(v).map_err(|e| StorageError::Backend(format!("corrupt listing page: {e}")))
}

/// The page writes that keep every collection's pages in step with the
/// node writes among `writes` (as `tree` holds the pages before them).
pub(super) fn apply(tree: &dyn OrderedTree, writes: &BTreeMap<Vec<u8>, Option<Vec<u8>>>) -> Result<TreeWrites> {
    // Member changes per collection: name → new head (None: removed).
    let mut changed: BTreeMap<&[u8], BTreeMap<&[u8], Option<Entry<'_>>>> = BTreeMap::new();
    let start = vec![NODE];
    for (k, v) in writes.range(start..) {
        if k.first() != Some(&NODE) {
            break;
        }
        let Some((parent, name)) = parent_and_name(k) else { continue };
        let entry = match v {
            Some(v) => {
                let name = std::str::from_utf8(name).map_err(|_| StorageError::Backend("a member name that is not UTF-8".into()))?;
                Some(Entry::of(name, super::tree::member_head(v)?))
            }
            None => None,
        };
        changed.entry(parent).or_default().insert(name, entry);
    }
    let mut out = TreeWrites::new();
    for (collection, members) in changed {
        update_collection(tree, collection, members, &mut out)?;
    }
    Ok(out)
}

/// Applies one collection's member changes to the pages they fall in.
fn update_collection(
    tree: &dyn OrderedTree,
    collection: &[u8],
    members: BTreeMap<&[u8], Option<Entry<'_>>>,
    out: &mut TreeWrites,
) -> Result<()> {
    let prefix = page_prefix(collection);
    // The page each changed name falls in: the last page key at or below
    // prefix + name (none: the first page, whose bound is the empty name).
    let mut by_page: BTreeMap<Vec<u8>, (Option<Vec<u8>>, Vec<(&[u8], Option<Entry<'_>>)>)> = BTreeMap::new();
    for (name, entry) in members {
        let mut key = prefix.clone();
        key.extend_from_slice(name);
        let (page_key, stored) = match tree.last_at_or_below(&prefix, &key)? {
            Some((k, v)) => (k, Some(v)),
            None => (prefix.clone(), None),
        };
        let slot = by_page.entry(page_key).or_insert_with(|| (stored, Vec::new()));
        slot.1.push((name, entry));
    }
    for (page_key, (stored, changes)) in by_page {
        let mut entries: Vec<Entry<'static>> = match &stored {
            Some(v) => decode_page(v)?.into_iter().map(Entry::into_owned).collect(),
            None => Vec::new(),
        };
        for (name, entry) in changes {
            let at = entries.binary_search_by(|e| e.name.as_bytes().cmp(name));
            match (at, entry) {
                (Ok(i), Some(e)) => entries[i] = e.into_owned(),
                (Err(i), Some(e)) => entries.insert(i, e.into_owned()),
                (Ok(i), None) => {
                    entries.remove(i);
                }
                (Err(_), None) => {}
            }
        }
        write_page(&prefix, page_key, entries, out);
    }
    Ok(())
}

/// Writes a page back under its key: removed when empty, split in halves
/// (each new half under its first name) when over [`PAGE_MAX`].
fn write_page(prefix: &[u8], page_key: Vec<u8>, entries: Vec<Entry<'static>>, out: &mut TreeWrites) {
    if entries.is_empty() {
        out.push((page_key, None));
        return;
    }
    if entries.len() <= PAGE_MAX {
        out.push((page_key, Some(encode(&entries))));
        return;
    }
    push_pages(prefix, page_key, &entries, PAGE_MAX / 2, out);
}

/// Writes `entries` as pages of `per_page` names: the first under
/// `first_key`, each further one under the first name it holds.
fn push_pages(prefix: &[u8], first_key: Vec<u8>, entries: &[Entry<'_>], per_page: usize, out: &mut TreeWrites) {
    let mut key = first_key;
    for part in entries.chunks(per_page) {
        if key.is_empty() {
            key = prefix.to_vec();
            key.extend_from_slice(part[0].name.as_bytes());
        }
        out.push((std::mem::take(&mut key), Some(encode(&part))));
    }
}

/// Writes every collection's pages from its nodes, once per store (a
/// store from before pages), or again when `force`d (after an import, or
/// a repair): old pages are removed first, all in one batch.
pub fn rebuild(tree: &dyn OrderedTree, force: bool) -> Result<()> {
    if !force && tree.get_key(BUILT)?.is_some() {
        return Ok(());
    }
    let started = std::time::Instant::now();
    if !force {
        tracing::info!("writing the listing pages of every collection (once, for a store from before them)");
    }
    let mut members = 0usize;
    let mut writes = TreeWrites::new();
    for row in tree.range_keys(&[LISTING], Some(&[LISTING + 1])) {
        let (k, _) = row?;
        writes.push((k, None));
    }
    let mut collection: Option<Vec<u8>> = None;
    let mut entries: Vec<Entry<'static>> = Vec::new();
    let flush = |collection: &[u8], entries: &mut Vec<Entry<'static>>, writes: &mut TreeWrites| {
        let prefix = page_prefix(collection);
        push_pages(&prefix, prefix.clone(), entries, PAGE_MAX * 3 / 4, writes);
        entries.clear();
    };
    tree.visit_range(&[NODE], Some(&[NODE + 1]), &mut |k, v| {
        let Some((parent, name)) = parent_and_name(k) else { return Ok(()) };
        if collection.as_deref() != Some(parent) {
            if let Some(c) = collection.take() {
                flush(&c, &mut entries, &mut writes);
            }
            collection = Some(parent.to_vec());
        }
        let name = String::from_utf8_lossy(name).into_owned();
        let head = super::tree::member_head(v)?;
        entries.push(Entry::of(&name, head).into_owned());
        members += 1;
        Ok(())
    })?;
    if let Some(c) = collection.take() {
        flush(&c, &mut entries, &mut writes);
    }
    writes.push((BUILT.to_vec(), Some(vec![1])));
    tree.apply_writes(writes)?;
    tracing::info!(members, ms = started.elapsed().as_millis() as u64, "listing pages written");
    Ok(())
}

/// Whether the pages say what the nodes say, for `slotdav check`: the
/// collections whose listing differs from their members.
pub(super) fn mismatched(tree: &dyn OrderedTree) -> Result<Vec<String>> {
    let mut from_nodes: BTreeMap<Vec<u8>, Vec<Entry<'static>>> = BTreeMap::new();
    tree.visit_range(&[NODE], Some(&[NODE + 1]), &mut |k, v| {
        if let Some((parent, name)) = parent_and_name(k) {
            let name = String::from_utf8_lossy(name).into_owned();
            from_nodes.entry(parent.to_vec()).or_default().push(Entry::of(&name, super::tree::member_head(v)?).into_owned());
        }
        Ok(())
    })?;
    let mut from_pages: BTreeMap<Vec<u8>, Vec<Entry<'static>>> = BTreeMap::new();
    tree.visit_range(&[LISTING], Some(&[LISTING + 1]), &mut |k, v| {
        let rest = &k[1..];
        let sep = rest.iter().position(|b| *b == 0).unwrap_or(rest.len());
        from_pages.entry(rest[..sep].to_vec()).or_default().extend(decode_page(v)?.into_iter().map(Entry::into_owned));
        Ok(())
    })?;
    let mut bad = Vec::new();
    for c in from_nodes.keys().chain(from_pages.keys()).collect::<std::collections::BTreeSet<_>>() {
        if from_nodes.get(c) != from_pages.get(c) {
            bad.push(String::from_utf8_lossy(c).into_owned());
        }
    }
    Ok(bad)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_node_key_names_its_parent_and_member() {
        let k = super::super::keys::node_key(&StorePath::home("alice").child("cal").child("a.ics"));
        assert_eq!(parent_and_name(&k), Some((&b"alice/cal"[..], &b"a.ics"[..])));
        assert_eq!(parent_and_name(&super::super::keys::node_key(&StorePath::home("alice"))), None);
    }

    #[test]
    fn an_over_full_page_splits_under_the_first_names_of_its_halves() {
        let prefix = page_prefix(b"alice/cal");
        let entries: Vec<Entry<'static>> = (0..PAGE_MAX + 1)
            .map(|i| Entry { name: Cow::Owned(format!("{i:04}.ics")), kind: 0, etag: Cow::Owned(format!("e{i}")) })
            .collect();
        let mut out = TreeWrites::new();
        write_page(&prefix, prefix.clone(), entries.clone(), &mut out);
        assert_eq!(out.len(), 3, "{PAGE_MAX} + 1 names: two halves and the one left over");
        assert_eq!(out[0].0, prefix);
        let mut second = prefix.clone();
        second.extend_from_slice(format!("{:04}.ics", PAGE_MAX / 2).as_bytes());
        assert_eq!(out[1].0, second);
        let back: Vec<Entry<'_>> = out.iter().flat_map(|(_, v)| decode_page(v.as_ref().unwrap()).unwrap().into_iter().map(Entry::into_owned).collect::<Vec<_>>()).collect();
        assert_eq!(back, entries);
    }
}
