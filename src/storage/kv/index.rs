//! The calendar indexes: each object's occurrences filed by start (`S` up
//! to a day long, `W` up to a week: [`keys::SPAN_TIERS`]; logical records
//! kept in the pages of [`spans`]), long and
//! always-matching objects (`L`), unbounded series (`R`) and the
//! object's whole entry (`O`); the time-range queries over them; and the
//! horizon up to which unbounded series are indexed.
//!
//! An `S` value is the occurrence's end (8 bytes), its busy kind, flags,
//! then the object's [`IndexHead`]: its component kind and etag, and
//! whether its text mentions DECLINED (a flag). A value of the first ten
//! bytes alone (written before heads were) reads as an occurrence without
//! a head; [`upgrade_heads`] rewrites such values once per store.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use super::super::keys::{self, *};
use super::super::*;
use super::batch::{decode, encode, Staged};
use super::{spans, KvBackend, KvStore, OrderedTree};
use crate::ical::{ComponentKind, IndexEntry, Occurrence};


const FLAG_APPROX: u8 = 1;
const FLAG_ALL_DAY: u8 = 2;
const FLAG_MENTIONS_DECLINED: u8 = 4;

/// The end, busy kind and flags of an `S` value; a head follows.
const SPAN_FIXED: usize = 10;

/// Marks a store whose `S` values all carry heads ([`upgrade_heads`]).
const HEADS_BUILT: &[u8] = b"Mindex-heads";

impl<B: KvBackend> KvStore<B> {
    /// Stages removal of every index record of one calendar object.
    pub(super) fn unindex(st: &mut Staged, calendar: &StorePath, name: &str) -> Result<()> {
        let okey = sub_key(OBJECT_INDEX, calendar, name.as_bytes());
        if let Some(b) = st.get(&okey)? {
            let entry: IndexEntry = decode(&b)?;
            for occ in &entry.occurrences {
                let (s, e) = (occ.range.start.timestamp(), occ.range.end.timestamp());
                if let Some(tag) = span_tag(s, e) {
                    st.remove(span_key(tag, calendar, s, name));
                }
            }
        }
        st.remove(okey);
        st.remove(sub_key(LONG, calendar, name.as_bytes()));
        st.remove(sub_key(UNBOUNDED, calendar, name.as_bytes()));
        Ok(())
    }

    /// Stages the index records of one calendar object.
    pub(super) fn index(st: &mut Staged, calendar: &StorePath, name: &str, entry: &IndexEntry, head: &IndexHead) {
        for (k, v) in index_records(calendar, name, entry, head) {
            st.insert(k, v);
        }
    }


    pub(super) fn index_candidates(&self, calendar: &StorePath, range: &TimeRange) -> Result<Vec<Candidate>> {
        let mut found: BTreeMap<String, (bool, Option<IndexHead>)> = BTreeMap::new();
        self.index_visit(calendar, range, &mut |name, _, approximate, head| {
            // A name and a head are made once per object, not per occurrence.
            match found.get_mut(name) {
                Some((exact, held)) => {
                    *exact &= !approximate;
                    if held.is_none() {
                        *held = head.and_then(decode_head);
                    }
                }
                None => {
                    found.insert(name.to_string(), (!approximate, head.and_then(decode_head)));
                }
            }
        })?;
        // Objects that match every range: the caller checks them.
        let db = self.db()?;
        for kv in db.scan_prefix(keys::prefix(LONG, calendar)) {
            let (k, _) = kv?;
            let name = String::from_utf8_lossy(&k[keys::prefix(LONG, calendar).len()..]).to_string();
            if let Some(b) = db.get(sub_key(OBJECT_INDEX, calendar, name.as_bytes()))? {
                let entry: IndexEntry = decode(&b)?;
                if entry.always_matches {
                    found.insert(name, (false, None));
                }
            }
        }
        Ok(found.into_iter().map(|(name, (exact, head))| Candidate { name, exact, head }).collect())
    }

    /// Calls `f` with each indexed occurrence overlapping `range`: the
    /// object's name, the occurrence, whether it is approximate, and the
    /// bytes its head is read from ([`decode_head`]; `None` for the long
    /// occurrences, which are filed without one). The core of
    /// [`Storage::visit_occurrences`] and of the candidates above.
    pub(super) fn index_visit(
        &self,
        calendar: &StorePath,
        range: &TimeRange,
        f: &mut dyn FnMut(&str, Occurrence, bool, Option<&[u8]>),
    ) -> Result<()> {
        let (qs, qe) = (range.start.timestamp(), range.end.timestamp().max(range.start.timestamp() + 1));
        let db = self.db()?;
        // Each tier from as far back as its longest occurrence.
        for (tag, longest) in SPAN_TIERS {
            let lo = encode_time(qs.saturating_sub(longest));
            let hi = encode_time(qe);
            spans::visit(&*db, &keys::prefix(tag, calendar), &lo, Some(&hi), &mut |suffix, v| {
                let corrupt = || StorageError::Backend("an occurrence too short to read".into());
                let (start, name) = suffix.split_first_chunk::<8>().ok_or_else(corrupt)?;
                let (end, flags) = v.split_first_chunk::<8>().ok_or_else(corrupt)?;
                let (&busy, &flags) = (flags.first().ok_or_else(corrupt)?, flags.get(1).ok_or_else(corrupt)?);
                let occ_range = TimeRange::new(ts(decode_time(start)), ts(i64::from_be_bytes(*end)));
                if occ_range.overlaps(range) {
                    let occurrence = Occurrence { range: occ_range, busy: decode_busy(busy), all_day: flags & FLAG_ALL_DAY != 0 };
                    f(&stored_str(name), occurrence, flags & FLAG_APPROX != 0, Some(v));
                }
                Ok(())
            })?;
        }
        // Long occurrences are not filed by start: look at each such object.
        let lprefix = keys::prefix(LONG, calendar);
        for kv in db.scan_prefix(&lprefix) {
            let (k, _) = kv?;
            let name = String::from_utf8_lossy(&k[lprefix.len()..]).to_string();
            let Some(b) = db.get(sub_key(OBJECT_INDEX, calendar, name.as_bytes()))? else { continue };
            let entry: IndexEntry = decode(&b)?;
            if entry.always_matches && entry.occurrences.is_empty() {
                // Not indexed occurrence by occurrence (too many, or none
                // placeable): the caller places it exactly.
                f(&name, Occurrence { range: *range, busy: None, all_day: false }, true, None);
                continue;
            }
            for occ in entry.occurrences {
                if span_tag(occ.range.start.timestamp(), occ.range.end.timestamp()).is_none() && occ.range.overlaps(range) {
                    f(&name, occ, entry.floating, None);
                }
            }
        }
        Ok(())
    }

    pub(super) fn index_extend_horizon(&self, calendar: &StorePath, until: DateTime<Utc>, reindex: Reindex<'_>) -> Result<()> {
        let Some(node) = self.get_node(calendar)? else { return Ok(()) };
        let Some(coll) = node.collection() else { return Ok(()) };
        if until.timestamp() <= coll.horizon {
            return Ok(());
        }
        // Counted, but not refused: a query must not fail because moving
        // the horizon indexes more occurrences.
        self.write(u64::MAX, |st| {
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
            let Some(head) = st.node(&path)?.as_ref().and_then(|n| head_of(n, &bytes)) else { continue };
            if let Some(entry) = reindex(&bytes, new_horizon) {
                Self::unindex(st, calendar, &name)?;
                Self::index(st, calendar, &name, &entry, &head);
            }
        }
        coll.horizon = new_horizon.timestamp();
        st.put_node(calendar, &node);
        Ok(())
        })
    }
}

/// Every index record of one calendar object (`S`, `L`, `R` and its `O`
/// entry), as [`KvStore::index`] writes them and `check` expects them.
pub(super) fn index_records(calendar: &StorePath, name: &str, entry: &IndexEntry, head: &IndexHead) -> Vec<(Vec<u8>, Vec<u8>)> {
    let mut out = Vec::new();
    let flags = if entry.floating { FLAG_APPROX } else { 0 } | if head.mentions_declined { FLAG_MENTIONS_DECLINED } else { 0 };
    let mut long = entry.always_matches;
    for occ in &entry.occurrences {
        let (s, e) = (occ.range.start.timestamp(), occ.range.end.timestamp());
        let Some(tag) = span_tag(s, e) else {
            long = true;
            continue;
        };
        let mut v = Vec::with_capacity(SPAN_FIXED + 1 + head.etag.len());
        v.extend_from_slice(&e.to_be_bytes());
        v.push(encode_busy(occ.busy));
        v.push(flags | if occ.all_day { FLAG_ALL_DAY } else { 0 });
        v.push(encode_kind(head.kind));
        v.extend_from_slice(head.etag.as_bytes());
        out.push((span_key(tag, calendar, s, name), v));
    }
    if long {
        out.push((sub_key(LONG, calendar, name.as_bytes()), Vec::new()));
    }
    if entry.unbounded {
        out.push((sub_key(UNBOUNDED, calendar, name.as_bytes()), Vec::new()));
    }
    out.push((sub_key(OBJECT_INDEX, calendar, name.as_bytes()), encode(entry)));
    out
}

/// The head of a stored calendar object: from its node and bytes; `None`
/// for a node that is not a calendar object resource.
pub(super) fn head_of(node: &Node, bytes: &[u8]) -> Option<IndexHead> {
    let r = node.resource()?;
    Some(IndexHead::of(r.calendar.as_ref()?.kind, &r.etag, bytes))
}

fn decode_head(v: &[u8]) -> Option<IndexHead> {
    decode_head_ref(v).map(IndexHeadRef::to_owned)
}

/// [`decode_head`], borrowed from the record's bytes.
pub(super) fn decode_head_ref(v: &[u8]) -> Option<IndexHeadRef<'_>> {
    let kind = decode_kind(*v.get(SPAN_FIXED)?)?;
    let etag = std::str::from_utf8(&v[SPAN_FIXED + 1..]).ok()?;
    Some(IndexHeadRef { kind, etag, mentions_declined: v[9] & FLAG_MENTIONS_DECLINED != 0 })
}

/// A component kind in one byte, by its position (as nodes store it).
fn encode_kind(k: ComponentKind) -> u8 {
    ComponentKind::ALL.iter().position(|x| *x == k).expect("every kind is listed") as u8
}

fn decode_kind(b: u8) -> Option<ComponentKind> {
    ComponentKind::ALL.get(b as usize).copied()
}

pub(super) fn encode_busy(b: Option<crate::ical::BusyKind>) -> u8 {
    use crate::ical::BusyKind::*;
    match b {
        None => 0,
        Some(Busy) => 1,
        Some(BusyTentative) => 2,
        Some(BusyUnavailable) => 3,
    }
}

pub(super) fn decode_busy(b: u8) -> Option<crate::ical::BusyKind> {
    use crate::ical::BusyKind::*;
    match b {
        1 => Some(Busy),
        2 => Some(BusyTentative),
        3 => Some(BusyUnavailable),
        _ => None,
    }
}

pub(super) fn ts(secs: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(secs, 0).unwrap_or(DateTime::<Utc>::MAX_UTC)
}

/// Objects whose `S` values one batch of [`upgrade_heads`] rewrites.
const UPGRADE_BATCH: usize = 512;

/// Files the head of every calendar object beside its occurrences, and
/// each occurrence under its tier, once per store (one from before heads
/// and tiers), or again when `force`d (after an import): each object's
/// occurrences are filed again from its `O` entry, node and bytes, in
/// batches, before the store serves; it is marked when all are done, so
/// an interrupted upgrade carries on at the next open.
pub fn upgrade_heads(tree: &dyn OrderedTree, force: bool) -> Result<()> {
    if !force && tree.get_key(HEADS_BUILT)?.is_some() {
        return Ok(());
    }
    let started = std::time::Instant::now();
    let mut objects: Vec<(Vec<u8>, Vec<u8>)> = Vec::new();
    tree.visit_range(&[OBJECT_INDEX], Some(&[OBJECT_INDEX + 1]), &mut |k, _| {
        if let Some(zero) = k.iter().position(|b| *b == 0) {
            objects.push((k[1..zero].to_vec(), k[zero + 1..].to_vec()));
        }
        Ok(())
    })?;
    if !force && !objects.is_empty() {
        tracing::info!(objects = objects.len(), "filing each calendar object's etag and kind in its index (once, for a store from before them)");
    }
    for chunk in objects.chunks(UPGRADE_BATCH) {
        let mut writes: BTreeMap<Vec<u8>, Option<Vec<u8>>> = BTreeMap::new();
        for (parent, name) in chunk {
            let (parent, name) = (String::from_utf8_lossy(parent), String::from_utf8_lossy(name));
            let calendar = StorePath::new(parent.split('/').map(str::to_string).collect());
            let path = calendar.child(&name);
            let Some(entry) = tree.get_key(&sub_key(OBJECT_INDEX, &calendar, name.as_bytes()))? else { continue };
            let entry: IndexEntry = decode(&entry)?;
            let Some(node) = tree.get_key(&node_key(&path))? else { continue };
            let node: Node = decode(&node)?;
            let Some(bytes) = tree.get_key(&keys::path_key(CONTENT, &path))? else { continue };
            let Some(head) = head_of(&node, &bytes) else { continue };
            // Filed before tiers, an occurrence of up to a week is under
            // `S` whatever its length.
            for occ in &entry.occurrences {
                for (tag, _) in SPAN_TIERS {
                    writes.insert(span_key(tag, &calendar, occ.range.start.timestamp(), &name), None);
                }
            }
            for (k, v) in index_records(&calendar, &name, &entry, &head) {
                writes.insert(k, Some(v));
            }
        }
        tree.apply_writes(spans::with_pages(tree, writes)?)?;
    }
    tree.apply_writes(vec![(HEADS_BUILT.to_vec(), Some(vec![1]))])?;
    if !force {
        tracing::info!(objects = objects.len(), ms = started.elapsed().as_millis() as u64, "index heads written");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_span_value_carries_its_head_and_one_from_before_heads_reads_without() {
        let cal = StorePath::new(vec!["alice".into(), "cal".into()]);
        let (s, e) = (ts(1_800_000_000), ts(1_800_003_600));
        let entry = IndexEntry {
            occurrences: vec![Occurrence { range: TimeRange::new(s, e), busy: Some(crate::ical::BusyKind::BusyTentative), all_day: false }],
            unbounded: false,
            floating: false,
            always_matches: false,
        };
        for kind in ComponentKind::ALL {
            let head = IndexHead { kind, etag: "0123abcd".into(), mentions_declined: kind == ComponentKind::Todo };
            let records = index_records(&cal, "x.ics", &entry, &head);
            let (k, v) = records.iter().find(|(k, _)| k[0] == SPAN).expect("an hour is filed under the first tier");
            assert!(k.ends_with(b"x.ics"));
            assert_eq!(decode_head(v), Some(head.clone()));
            assert_eq!(i64::from_be_bytes(v[..8].try_into().unwrap()), e.timestamp());
            assert_eq!(decode_busy(v[8]), Some(crate::ical::BusyKind::BusyTentative));
            assert_eq!(decode_head(&v[..SPAN_FIXED]), None, "a value written before heads");
        }
    }
}
