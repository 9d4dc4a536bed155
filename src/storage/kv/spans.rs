//! Occurrence pages: the occurrences of the time-range index ([`super::index`],
//! tags `S` and `W`) kept up to [`PAGE_MAX`] to a record, so that a query
//! over a month of a busy calendar reads a few hundred records instead of
//! thousands (sled's iterator costs about a microsecond a step).
//!
//! The index is written and read as *logical* records — `S`/`W`, the
//! calendar, `0x00`, the occurrence's start and the object's name, with
//! the value [`super::index`] describes — but no such record is stored.
//! Each calendar's logical records of one tag are cut into pages (`T`
//! records, [`super::super::keys`]): `T`, the logical prefix (tag,
//! calendar, `0x00`), then the page's lower bound — empty for the first
//! page, else the first suffix (start and name) the page held when it was
//! split off. A page holds the records from its bound up to the next
//! page's bound, in order.
//!
//! Pages are written in the batch of the write that changes them
//! ([`apply`], called by `Staged::commit` and by the index upgrade):
//! an object and its occurrences change together or not at all. They
//! count against no quota (the `O` entry they are derived from does).
//! A store of format 1 held the logical records themselves; [`MIGRATION`]
//! cuts them into pages.
//!
//! A page is a version byte (1) and then, per record, the suffix's length
//! (u32 LE), the suffix, the value's length (u32 LE) and the value:
//! decoded by borrowing, without a copy.
//!
//! Imports storage's own types only.

use std::collections::BTreeMap;

use super::super::keys::{owner_of_path, usage_key, SPAN, SPAN_PAGE, WEEK_SPAN};
use super::super::migrate::{Migration, MigrationWrites, RecordSource};
use super::super::*;
use super::batch::decode_u64;
use super::{prefix_end, OrderedTree, TreeWrites};

/// Records a page holds at most; a fuller page is cut into pages of
/// [`PAGE_FILL`]. Every change of an occurrence rewrites its page, and
/// sled keeps each rewrite in its log until it cleans the segment: a page
/// stays small (about 1.4 KiB). Larger pages make scans cheaper and the
/// log larger (docs/performance.md, "Session 10").
pub const PAGE_MAX: usize = 24;

/// Records per page where a page is cut, or pages are written in bulk:
/// room for a few inserts before the next cut.
const PAGE_FILL: usize = PAGE_MAX * 3 / 4;

const VERSION: u8 = 1;

/// Whether `key` is a logical record of the paged index.
pub(super) fn is_paged(key: &[u8]) -> bool {
    matches!(key.first(), Some(&SPAN) | Some(&WEEK_SPAN))
}

/// A logical key split into its prefix (tag, calendar, `0x00`) and the
/// suffix after it.
fn split(key: &[u8]) -> Option<(&[u8], &[u8])> {
    let zero = key.iter().position(|b| *b == 0)?;
    Some(key.split_at(zero + 1))
}

/// The key of a page: `T`, the logical prefix, the page's bound.
fn page_key(prefix: &[u8], bound: &[u8]) -> Vec<u8> {
    let mut k = Vec::with_capacity(1 + prefix.len() + bound.len());
    k.push(SPAN_PAGE);
    k.extend_from_slice(prefix);
    k.extend_from_slice(bound);
    k
}

fn corrupt(what: &str) -> StorageError {
    StorageError::Backend(format!("corrupt occurrence page: {what}"))
}

/// The records of one page, borrowed from its bytes, in order.
fn decode(page: &[u8]) -> Result<Vec<(&[u8], &[u8])>> {
    let (&version, mut rest) = page.split_first().ok_or_else(|| corrupt("empty"))?;
    if version != VERSION {
        return Err(corrupt(&format!("version {version}")));
    }
    let mut out = Vec::with_capacity(PAGE_MAX);
    fn take<'p>(rest: &mut &'p [u8]) -> Result<&'p [u8]> {
        let (len, tail) = rest.split_first_chunk::<4>().ok_or_else(|| corrupt("cut short"))?;
        let len = u32::from_le_bytes(*len) as usize;
        if tail.len() < len {
            return Err(corrupt("cut short"));
        }
        let (field, tail) = tail.split_at(len);
        *rest = tail;
        Ok(field)
    }
    while !rest.is_empty() {
        let suffix = take(&mut rest)?;
        let value = take(&mut rest)?;
        out.push((suffix, value));
    }
    Ok(out)
}

fn encode<S: AsRef<[u8]>, V: AsRef<[u8]>>(records: &[(S, V)]) -> Vec<u8> {
    let size: usize = records.iter().map(|(s, v)| 8 + s.as_ref().len() + v.as_ref().len()).sum();
    let mut out = Vec::with_capacity(1 + size);
    out.push(VERSION);
    for (s, v) in records {
        for field in [s.as_ref(), v.as_ref()] {
            out.extend_from_slice(&(field.len() as u32).to_le_bytes());
            out.extend_from_slice(field);
        }
    }
    out
}

/// Calls `f` with the suffix and value of each logical record under
/// `prefix` (tag, calendar, `0x00`) whose suffix lies in `lo..hi` (no
/// `hi`: to the end), in order.
pub(super) fn visit(
    tree: &dyn OrderedTree,
    prefix: &[u8],
    lo: &[u8],
    hi: Option<&[u8]>,
    f: &mut dyn FnMut(&[u8], &[u8]) -> Result<()>,
) -> Result<()> {
    let first = page_key(prefix, b"");
    // The page `lo` falls in: the last one whose bound is at or below it.
    let start = tree.last_at_or_below(&first, &page_key(prefix, lo))?.map_or(first.clone(), |(k, _)| k);
    let end = match hi {
        Some(hi) => Some(page_key(prefix, hi)),
        None => prefix_end(&first),
    };
    tree.visit_range(&start, end.as_deref(), &mut |_, page| {
        for (suffix, value) in decode(page)? {
            if suffix >= lo && hi.map_or(true, |hi| suffix < hi) {
                f(suffix, value)?;
            }
        }
        Ok(())
    })
}

/// Calls `f` with the whole key and value of every logical record whose
/// key starts with `within` (a tag, or a tag and calendar and `0x00`).
pub(super) fn visit_all(tree: &dyn OrderedTree, within: &[u8], f: &mut dyn FnMut(&[u8], &[u8]) -> Result<()>) -> Result<()> {
    let from = page_key(within, b"");
    let end = prefix_end(&from);
    tree.visit_range(&from, end.as_deref(), &mut |k, page| {
        let (prefix, _) = split(&k[1..]).ok_or_else(|| corrupt("a key without its calendar"))?;
        let mut key = prefix.to_vec();
        for (suffix, value) in decode(page)? {
            key.truncate(prefix.len());
            key.extend_from_slice(suffix);
            if key.starts_with(within) {
                f(&key, value)?;
            }
        }
        Ok(())
    })
}

/// Pages that are not as [`apply`] writes them, for `slotdav check`:
/// each broken page's logical prefix (tag, calendar, `0x00`) and what is
/// wrong with it (it does not decode, is empty or over full, or holds a
/// record out of order or outside its bounds).
pub(super) fn broken(tree: &dyn OrderedTree) -> Result<BTreeMap<Vec<u8>, String>> {
    let mut bad: BTreeMap<Vec<u8>, String> = BTreeMap::new();
    // The last record seen, and the prefix it was under.
    let mut last: Option<(Vec<u8>, Vec<u8>)> = None;
    tree.visit_range(&[SPAN_PAGE], Some(&[SPAN_PAGE + 1]), &mut |k, page| {
        let Some((prefix, bound)) = split(&k[1..]).filter(|(p, _)| is_paged(p)) else {
            bad.insert(k[1..].to_vec(), "a page key of no known shape".into());
            return Ok(());
        };
        let what = match decode(page) {
            Err(e) => Some(e.to_string()),
            Ok(records) if records.is_empty() => Some("an empty page".into()),
            Ok(records) if records.len() > PAGE_MAX => Some(format!("a page of {} records", records.len())),
            Ok(records) => {
                let below = last.as_ref().filter(|(p, _)| p.as_slice() == prefix).map(|(_, s)| s.as_slice());
                let mut prev = below;
                let mut wrong = None;
                for (suffix, _) in &records {
                    if prev.is_some_and(|p| p >= *suffix) || *suffix < bound {
                        wrong = Some("records out of order or below the page's bound".to_string());
                    }
                    prev = Some(suffix);
                }
                let end = records.last().map(|(s, _)| s.to_vec()).unwrap_or_default();
                last = Some((prefix.to_vec(), end));
                wrong
            }
        };
        if let Some(what) = what {
            bad.entry(prefix.to_vec()).or_insert(what);
        }
        Ok(())
    })?;
    Ok(bad)
}

/// Calls `f` with the logical prefix (tag, calendar, `0x00`) of each
/// page of `tag`, once per page.
pub(super) fn visit_prefixes(tree: &dyn OrderedTree, tag: u8, f: &mut dyn FnMut(&[u8])) -> Result<()> {
    tree.visit_range(&[SPAN_PAGE, tag], Some(&[SPAN_PAGE, tag + 1]), &mut |k, _| {
        if let Some((prefix, _)) = split(&k[1..]) {
            f(prefix);
        }
        Ok(())
    })
}

/// Removes every page under the logical `prefix` (a repair: the index is
/// then filed again from each object's bytes).
pub(super) fn remove_pages(tree: &dyn OrderedTree, prefix: &[u8]) -> Result<()> {
    let from = page_key(prefix, b"");
    let end = prefix_end(&from);
    let mut writes = TreeWrites::new();
    tree.visit_range(&from, end.as_deref(), &mut |k, _| {
        writes.push((k.to_vec(), None));
        Ok(())
    })?;
    tree.apply_writes(writes)
}

/// `writes` as the tree takes them: the index's logical records turned
/// into the page writes that carry them out ([`apply`]), the rest as they
/// are.
pub(super) fn with_pages(tree: &dyn OrderedTree, writes: BTreeMap<Vec<u8>, Option<Vec<u8>>>) -> Result<TreeWrites> {
    let mut out = apply(tree, writes.iter().map(|(k, v)| (k.as_slice(), v.as_deref())))?;
    out.extend(writes.into_iter().filter(|(k, _)| !is_paged(k)));
    Ok(out)
}

/// The page writes that carry out the logical writes among `writes` (as
/// `tree` holds the pages before them). Other writes are left out.
pub(super) fn apply<'a>(tree: &dyn OrderedTree, writes: impl Iterator<Item = (&'a [u8], Option<&'a [u8]>)>) -> Result<TreeWrites> {
    // Changes per logical prefix: suffix → new value (None: removed).
    let mut changed: BTreeMap<&[u8], BTreeMap<&[u8], Option<&[u8]>>> = BTreeMap::new();
    for (k, v) in writes {
        if !is_paged(k) {
            continue;
        }
        let (prefix, suffix) = split(k).ok_or_else(|| StorageError::Backend("an index key without its calendar".into()))?;
        changed.entry(prefix).or_default().insert(suffix, v);
    }
    let mut out = TreeWrites::new();
    for (prefix, changes) in changed {
        update_prefix(tree, prefix, changes, &mut out)?;
    }
    Ok(out)
}

/// Applies one calendar's changes of one tag to the pages they fall in.
fn update_prefix(tree: &dyn OrderedTree, prefix: &[u8], changes: BTreeMap<&[u8], Option<&[u8]>>, out: &mut TreeWrites) -> Result<()> {
    let first = page_key(prefix, b"");
    // Changes grouped by page: the suffixes are in order, so a page's
    // changes come one after another.
    let mut by_page: Vec<(Vec<u8>, Option<Vec<u8>>, Vec<(&[u8], Option<&[u8]>)>)> = Vec::new();
    for (suffix, value) in changes {
        let found = tree.last_at_or_below(&first, &page_key(prefix, suffix))?;
        let page = found.as_ref().map_or(first.as_slice(), |(k, _)| k.as_slice());
        if let Some((last, _, list)) = by_page.last_mut() {
            if last.as_slice() == page {
                list.push((suffix, value));
                continue;
            }
        }
        let (page, stored) = match found {
            Some((k, v)) => (k, Some(v)),
            None => (first.clone(), None),
        };
        by_page.push((page, stored, vec![(suffix, value)]));
    }
    for (page, stored, list) in by_page {
        let mut records: Vec<(Vec<u8>, Vec<u8>)> = match &stored {
            Some(v) => decode(v)?.into_iter().map(|(s, v)| (s.to_vec(), v.to_vec())).collect(),
            None => Vec::new(),
        };
        let mut dirty = false;
        for (suffix, value) in list {
            let at = records.binary_search_by(|(s, _)| s.as_slice().cmp(suffix));
            match (at, value) {
                (Ok(i), Some(v)) if records[i].1 != v => {
                    records[i].1 = v.to_vec();
                    dirty = true;
                }
                (Ok(_), Some(_)) => {}
                (Err(i), Some(v)) => {
                    records.insert(i, (suffix.to_vec(), v.to_vec()));
                    dirty = true;
                }
                (Ok(i), None) => {
                    records.remove(i);
                    dirty = true;
                }
                (Err(_), None) => {}
            }
        }
        if dirty {
            write_page(prefix, page, &records, out);
        }
    }
    Ok(())
}

/// Writes a page back under its key: removed when empty, cut into pages
/// of [`PAGE_FILL`] (each after the first under its first suffix) when
/// over [`PAGE_MAX`].
fn write_page(prefix: &[u8], key: Vec<u8>, records: &[(Vec<u8>, Vec<u8>)], out: &mut TreeWrites) {
    if records.is_empty() {
        out.push((key, None));
    } else if records.len() <= PAGE_MAX {
        out.push((key, Some(encode(records))));
    } else {
        push_pages(prefix, key, records, out);
    }
}

/// Writes `records` as pages of [`PAGE_FILL`]: the first under
/// `first_key`, each further one under the first suffix it holds.
fn push_pages<S: AsRef<[u8]>, V: AsRef<[u8]>>(prefix: &[u8], first_key: Vec<u8>, records: &[(S, V)], out: &mut TreeWrites) {
    for (i, part) in records.chunks(PAGE_FILL).enumerate() {
        let key = if i == 0 { first_key.clone() } else { page_key(prefix, part[0].0.as_ref()) };
        out.push((key, Some(encode(part))));
    }
}

/// Format 1 → 2: the logical `S` and `W` records a store of format 1
/// holds, cut into pages; the bytes they took are taken off their
/// owners' usage (pages count against none).
pub const MIGRATION: Migration = Migration { from: 1, what: "the time-range index's occurrences kept in pages", apply: cut_into_pages };

/// Records one part of [`MIGRATION`] moves: the part, its pages and the
/// records' removal are held in memory at once.
const MIGRATION_PART: usize = 8192;

/// Moves the records in parts of [`MIGRATION_PART`], in key order, each
/// part with its usage as one write: the records of a calendar and tier
/// in a part become pages, the first under the part's first suffix. A
/// page's bound need not be empty (a lookup below the first bound starts
/// at the first page), so the pages of the parts follow one another
/// whether or not the migration ran before and stopped half way.
fn cut_into_pages(source: &dyn RecordSource, _: &mut MigrationWrites) -> Result<()> {
    for tag in [SPAN, WEEK_SPAN] {
        loop {
            let part = source.first(&[tag], MIGRATION_PART)?;
            if part.is_empty() {
                break;
            }
            let mut writes = MigrationWrites::default();
            let mut freed: BTreeMap<Vec<u8>, u64> = BTreeMap::new();
            let mut by_prefix: BTreeMap<&[u8], Vec<(&[u8], &[u8])>> = BTreeMap::new();
            for (k, v) in &part {
                let (prefix, suffix) = split(k).ok_or_else(|| StorageError::Backend("an index key without its calendar".into()))?;
                by_prefix.entry(prefix).or_default().push((suffix, v));
                if let Some(owner) = owner_of_path(&k[1..]) {
                    *freed.entry(owner.to_vec()).or_default() += (k.len() + v.len()) as u64;
                }
                writes.remove(k.clone());
            }
            for (prefix, records) in by_prefix {
                let mut pages = TreeWrites::new();
                push_pages(prefix, page_key(prefix, records[0].0), &records, &mut pages);
                for (k, v) in pages {
                    writes.put(k, v.expect("pages are written"));
                }
            }
            for (owner, bytes) in freed {
                let key = usage_key(&owner);
                let used = source.get(&key)?.map_or(0, |v| decode_u64(&v));
                match used.saturating_sub(bytes) {
                    0 => writes.remove(key),
                    left => writes.put(key, left.to_be_bytes().to_vec()),
                }
            }
            source.apply(writes)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::sync::Mutex;

    /// An ordered tree in memory: enough of [`OrderedTree`] for pages.
    #[derive(Default)]
    struct MemTree(Mutex<BTreeMap<Vec<u8>, Vec<u8>>>);

    impl OrderedTree for MemTree {
        fn get_key(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
            Ok(self.0.lock().unwrap().get(key).cloned())
        }
        fn range_keys(&self, lo: &[u8], hi: Option<&[u8]>) -> super::super::Rows<'_> {
            let map = self.0.lock().unwrap();
            let rows: Vec<_> = map
                .range(lo.to_vec()..)
                .take_while(|(k, _)| hi.map_or(true, |hi| k.as_slice() < hi))
                .map(|(k, v)| Ok((k.clone(), v.clone())))
                .collect();
            Box::new(rows.into_iter())
        }
        fn last_at_or_below(&self, lo: &[u8], at: &[u8]) -> Result<Option<super::super::Row>> {
            let map = self.0.lock().unwrap();
            Ok(map.range(lo.to_vec()..=at.to_vec()).next_back().map(|(k, v)| (k.clone(), v.clone())))
        }
        fn apply_writes(&self, writes: TreeWrites) -> Result<()> {
            let mut map = self.0.lock().unwrap();
            for (k, v) in writes {
                match v {
                    Some(v) => map.insert(k, v),
                    None => map.remove(&k),
                };
            }
            Ok(())
        }
    }

    fn key(tag: u8, cal: &str, suffix: &[u8]) -> Vec<u8> {
        let mut k = vec![tag];
        k.extend_from_slice(cal.as_bytes());
        k.push(0);
        k.extend_from_slice(suffix);
        k
    }

    fn logical(tree: &MemTree, within: &[u8]) -> BTreeMap<Vec<u8>, Vec<u8>> {
        let mut out = BTreeMap::new();
        visit_all(tree, within, &mut |k, v| {
            out.insert(k.to_vec(), v.to_vec());
            Ok(())
        })
        .unwrap();
        out
    }

    #[test]
    fn a_page_decodes_to_what_was_encoded_and_a_cut_short_one_is_an_error() {
        let records = vec![(b"a".to_vec(), b"".to_vec()), (b"bb".to_vec(), vec![0u8; 300])];
        let page = encode(&records);
        let back: Vec<(Vec<u8>, Vec<u8>)> = decode(&page).unwrap().into_iter().map(|(s, v)| (s.to_vec(), v.to_vec())).collect();
        assert_eq!(back, records);
        assert!(decode(&page[..page.len() - 1]).is_err());
        assert!(decode(&[2]).is_err(), "another version");
        assert!(decode(&[]).is_err());
    }

    #[test]
    fn a_full_page_is_cut_under_the_first_suffixes_of_its_parts() {
        let tree = MemTree::default();
        let writes: Vec<(Vec<u8>, Option<Vec<u8>>)> =
            (0..=PAGE_MAX as u32).map(|i| (key(SPAN, "a/c", &i.to_be_bytes()), Some(vec![i as u8]))).collect();
        let out = apply(&tree, writes.iter().map(|(k, v)| (k.as_slice(), v.as_deref()))).unwrap();
        assert_eq!(out.len(), 2, "{} records: a page of {PAGE_FILL} and the rest", PAGE_MAX + 1);
        assert_eq!(out[0].0, page_key(b"Sa/c\0", b""));
        assert_eq!(out[1].0, page_key(b"Sa/c\0", &(PAGE_FILL as u32).to_be_bytes()));
        tree.apply_writes(out).unwrap();
        assert_eq!(logical(&tree, b"S").len(), PAGE_MAX + 1);
        assert!(logical(&tree, b"W").is_empty());
    }

    proptest! {
        /// Whatever is inserted and removed, in whatever batches, the
        /// pages hold what a plain ordered map would, no page is over
        /// full, and a range visit sees exactly the map's range.
        #[test]
        fn pages_hold_what_an_ordered_map_holds(
            batches in prop::collection::vec(prop::collection::vec((0u8..2, 0u16..300, any::<bool>(), 0u8..4), 1..60), 1..25),
            lo in 0u16..300,
            len in 0u16..300,
        ) {
            let tree = MemTree::default();
            let mut model: BTreeMap<Vec<u8>, Vec<u8>> = BTreeMap::new();
            for batch in batches {
                let mut writes: BTreeMap<Vec<u8>, Option<Vec<u8>>> = BTreeMap::new();
                for (cal, at, put, v) in batch {
                    let k = key(if v == 3 { WEEK_SPAN } else { SPAN }, ["a/x", "a/y"][cal as usize], &at.to_be_bytes());
                    writes.insert(k, put.then(|| vec![v; at as usize % 7]));
                }
                for (k, v) in &writes {
                    match v {
                        Some(v) => model.insert(k.clone(), v.clone()),
                        None => model.remove(k),
                    };
                }
                let out = apply(&tree, writes.iter().map(|(k, v)| (k.as_slice(), v.as_deref()))).unwrap();
                tree.apply_writes(out).unwrap();
            }
            prop_assert_eq!(logical(&tree, b""), model.clone());
            for page in tree.0.lock().unwrap().values() {
                let n = decode(page).unwrap().len();
                prop_assert!(n >= 1 && n <= PAGE_MAX, "a page of {}", n);
            }
            let (lo, hi) = (lo.to_be_bytes(), lo.saturating_add(len).to_be_bytes());
            let mut seen = Vec::new();
            visit(&tree, b"Sa/x\0", &lo, Some(&hi), &mut |s, v| {
                seen.push((s.to_vec(), v.to_vec()));
                Ok(())
            }).unwrap();
            let want: Vec<(Vec<u8>, Vec<u8>)> = model
                .range(key(SPAN, "a/x", &lo)..key(SPAN, "a/x", &hi))
                .map(|(k, v)| (k[b"Sa/x\0".len()..].to_vec(), v.clone()))
                .collect();
            prop_assert_eq!(seen, want);
        }
    }

    #[test]
    fn the_migration_cuts_old_records_into_pages_and_frees_their_usage() {
        /// A store as a migration sees it, applying its parts.
        struct Source<'a>(&'a MemTree);
        impl RecordSource for Source<'_> {
            fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
                self.0.get_key(key)
            }
            fn scan(&self, prefix: &[u8], each: &mut dyn FnMut(&[u8], &[u8]) -> Result<()>) -> Result<()> {
                let end = prefix_end(prefix);
                self.0.visit_range(prefix, end.as_deref(), each)
            }
            fn first(&self, prefix: &[u8], limit: usize) -> Result<Vec<super::super::Row>> {
                let end = prefix_end(prefix);
                self.0.range_keys(prefix, end.as_deref()).take(limit).collect()
            }
            fn apply(&self, writes: MigrationWrites) -> Result<()> {
                self.0.apply_writes(writes.into_writes().collect())
            }
        }
        // More records than one part moves, over two owners and tiers; an
        // earlier run stopped after its first part (its pages are there
        // and its records gone).
        let tree = MemTree::default();
        let mut spans = BTreeMap::new();
        let n = MIGRATION_PART as u32 * 2 + 100;
        for i in 0..n {
            let k = key(if i % 10 == 0 { WEEK_SPAN } else { SPAN }, if i % 2 == 0 { "alice/cal" } else { "bob/cal" }, &i.to_be_bytes());
            spans.insert(k.clone(), vec![1u8; 12]);
        }
        let alice: u64 = spans.iter().filter(|(k, _)| k[1..].starts_with(b"alice")).map(|(k, v)| (k.len() + v.len()) as u64).sum();
        tree.apply_writes(spans.iter().map(|(k, v)| (k.clone(), Some(v.clone()))).collect()).unwrap();
        tree.apply_writes(vec![(usage_key(b"alice"), Some((alice + 500).to_be_bytes().to_vec())), (usage_key(b"bob"), Some(7u64.to_be_bytes().to_vec()))]).unwrap();
        let first_part = spans.keys().filter(|k| k[0] == SPAN).take(MIGRATION_PART / 2).cloned().collect::<Vec<_>>();
        {
            // What the first run's first part did, at half the size.
            let mut writes = MigrationWrites::default();
            let prefix_a = b"Salice/cal\0".as_slice();
            let records: Vec<(Vec<u8>, Vec<u8>)> = first_part.iter().filter(|k| k.starts_with(prefix_a)).map(|k| (k[prefix_a.len()..].to_vec(), spans[k].clone())).collect();
            let mut pages = TreeWrites::new();
            push_pages(prefix_a, page_key(prefix_a, &records[0].0), &records, &mut pages);
            for (k, v) in pages {
                writes.put(k, v.unwrap());
            }
            for k in first_part.iter().filter(|k| k.starts_with(prefix_a)) {
                writes.remove(k.clone());
            }
            let freed: u64 = first_part.iter().filter(|k| k.starts_with(prefix_a)).map(|k| (k.len() + 12) as u64).sum();
            writes.put(usage_key(b"alice"), (alice + 500 - freed).to_be_bytes().to_vec());
            Source(&tree).apply(writes).unwrap();
        }
        cut_into_pages(&Source(&tree), &mut MigrationWrites::default()).unwrap();
        assert_eq!(logical(&tree, b""), spans, "every occurrence is in a page, once");
        let map = tree.0.lock().unwrap();
        assert!(!map.keys().any(|k| is_paged(k)), "no logical record is left stored");
        assert_eq!(map.get(&usage_key(b"alice")), Some(&500u64.to_be_bytes().to_vec()));
        assert_eq!(map.get(&usage_key(b"bob")), None, "more freed than was counted: none left");
        drop(map);
        assert!(broken(&tree).unwrap().is_empty(), "{:?}", broken(&tree).unwrap());
        // The pages take changes as any others.
        let k = key(SPAN, "alice/cal", &3u32.to_be_bytes());
        let out = apply(&tree, [(k.as_slice(), None)].into_iter()).unwrap();
        tree.apply_writes(out).unwrap();
        assert!(!logical(&tree, b"S").contains_key(&k));
    }
}
