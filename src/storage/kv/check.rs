//! [`Storage::check_tree`] on the tree: reads every tree record
//! inside one write (so the store holds still), reports each broken
//! invariant of [`crate::storage::check`], and with `repair` applies the
//! fixes as one batch, then recounts usage in a second one.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, Utc};

use super::super::check::{CheckReport, Problem};
use super::super::keys::{self, *};
use super::super::*;
use super::batch::{decode, decode_u64, Staged};
use super::index::index_records;
use super::{KvBackend, KvStore, OrderedTree, TreeWrites};

/// Raw writes a repair stages (`None` removes).
type Fixes = Vec<(Vec<u8>, Option<Vec<u8>>)>;

/// `tag` + path + `0x00` + rest → (path segments, rest). The path may be
/// empty (a home's node); `None` for a key of no such shape.
fn split_key(key: &[u8]) -> Option<(Vec<String>, &[u8])> {
    let rest = key.get(1..)?;
    let zero = rest.iter().position(|b| *b == 0)?;
    let path = std::str::from_utf8(&rest[..zero]).ok()?;
    let segs: Vec<String> = if path.is_empty() { Vec::new() } else { path.split('/').map(str::to_string).collect() };
    if segs.iter().any(String::is_empty) {
        return None;
    }
    Some((segs, &rest[zero + 1..]))
}

fn path_of(segs: Vec<String>) -> Option<StorePath> {
    (!segs.is_empty()).then(|| StorePath::new(segs))
}

/// `(calendar, object name)` of an `O`, `L` or `R` key.
fn object_of(key: &[u8]) -> Option<(StorePath, String)> {
    let (segs, name) = split_key(key)?;
    Some((path_of(segs)?, String::from_utf8(name.to_vec()).ok().filter(|n| !n.is_empty())?))
}

/// `(calendar, object name)` of an `S` key (the name follows 8 bytes of start).
fn span_object_of(key: &[u8]) -> Option<(StorePath, String)> {
    let (segs, rest) = split_key(key)?;
    Some((path_of(segs)?, String::from_utf8(rest.get(8..)?.to_vec()).ok().filter(|n| !n.is_empty())?))
}

struct Pass<'a> {
    tree: &'a dyn OrderedTree,
    repair: bool,
    report: CheckReport,
    fixes: Fixes,
    /// Change-log entries to append: (collection, member, deleted).
    log_fixes: Vec<(StorePath, String, bool)>,
}

impl Pass<'_> {
    fn problem(&mut self, check: &str, what: String, fixable: bool) {
        let mut p = Problem::new(check, what);
        p.repaired = self.repair && fixable;
        self.report.problems.push(p);
    }
}

impl<B: KvBackend> KvStore<B> {
    pub(super) fn check_kv(&self, repair: bool) -> Result<CheckReport> {
        let mut out = None;
        self.backend.write(&mut |tree| {
            out = Some(Self::check_in(tree, repair)?);
            Ok(())
        })?;
        if repair {
            self.backend.flush()?;
        }
        out.ok_or(StorageError::Backend("the check did not run".into()))
    }

    fn check_in(tree: &dyn OrderedTree, repair: bool) -> Result<CheckReport> {
        let mut pass = Pass { tree, repair, report: CheckReport::default(), fixes: Vec::new(), log_fixes: Vec::new() };
        let broken = pass.span_pages()?;
        let nodes = pass.nodes()?;
        let by_uid = pass.objects(&nodes, &broken)?;
        pass.uid_entries(&nodes, &by_uid)?;
        pass.dangling_indexes(&nodes, &broken)?;
        pass.change_logs(&nodes)?;
        let Pass { mut report, fixes, log_fixes, .. } = pass;
        if repair && (!fixes.is_empty() || !log_fixes.is_empty()) {
            let mut st = Staged::new(tree, u64::MAX);
            for (k, v) in fixes {
                match v {
                    Some(v) => st.insert(k, v),
                    None => st.remove(k),
                }
            }
            for (collection, name, deleted) in log_fixes {
                Self::record_change(&mut st, &collection, &name, deleted, Utc::now())?;
            }
            st.commit()?;
        }
        // Listing pages after the repairs above (their batch kept the
        // pages of what it changed): a page that differs from the nodes is
        // written again, with every other page, from the nodes.
        let mismatched = super::pages::mismatched(tree)?;
        for collection in &mismatched {
            let mut p = Problem::new("listing-pages", format!("the listing of {collection} differs from its members"));
            p.repaired = repair;
            report.problems.push(p);
        }
        if repair && !mismatched.is_empty() {
            super::pages::rebuild(tree, true)?;
        }
        // Usage last: the repairs above changed it through their batch.
        let mut pass = Pass { tree, repair, report: CheckReport::default(), fixes: Vec::new(), log_fixes: Vec::new() };
        pass.usage()?;
        let Pass { report: usage_report, fixes, .. } = pass;
        report.merge(usage_report);
        if repair && !fixes.is_empty() {
            let mut st = Staged::new(tree, u64::MAX);
            for (k, v) in fixes {
                match v {
                    Some(v) => st.insert(k, v),
                    None => st.remove(k),
                }
            }
            st.commit()?;
        }
        Ok(report)
    }
}

impl Pass<'_> {
    /// Every node, checking its parent and its bytes.
    fn nodes(&mut self) -> Result<BTreeMap<StorePath, Node>> {
        let mut nodes = BTreeMap::new();
        for kv in self.tree.scan_prefix([NODE]) {
            let (k, v) = kv?;
            let Some((mut segs, name)) = split_key(&k) else {
                self.problem("node", format!("a node key of no known shape: {:?}", String::from_utf8_lossy(&k)), false);
                continue;
            };
            segs.push(String::from_utf8_lossy(name).into_owned());
            let Some(path) = path_of(segs).filter(|p| p.segments().iter().all(|s| !s.is_empty())) else {
                self.problem("node", format!("a node key of no known shape: {:?}", String::from_utf8_lossy(&k)), false);
                continue;
            };
            match decode::<Node>(&v) {
                Ok(node) => {
                    nodes.insert(path, node);
                }
                Err(e) => self.problem("node", format!("{}: {e}", path.joined()), false),
            }
        }
        self.report.nodes = nodes.len() as u64;
        let paths: Vec<StorePath> = nodes.keys().cloned().collect();
        for path in paths {
            if let Some(parent) = path.parent() {
                if !nodes.get(&parent).is_some_and(Node::is_collection) {
                    self.problem("node", format!("{}: its parent collection does not exist", path.joined()), false);
                }
            }
            if let Some(r) = nodes[&path].resource() {
                match self.tree.get(keys::path_key(CONTENT, &path))? {
                    None => self.problem("content", format!("{}: the resource has no stored bytes", path.joined()), false),
                    Some(b) if b.len() as u64 != r.length => self.problem(
                        "content",
                        format!("{}: {} bytes stored, its node says {}", path.joined(), b.len(), r.length),
                        false,
                    ),
                    Some(_) => {}
                }
            }
        }
        Ok(nodes)
    }

    /// Occurrence pages that cannot be read as written. A repair removes
    /// every page of such a calendar and tier at once (before the other
    /// checks, which then file its objects' occurrences again); returns
    /// the logical prefixes still broken, which the other checks skip.
    fn span_pages(&mut self) -> Result<BTreeSet<Vec<u8>>> {
        let broken = super::spans::broken(self.tree)?;
        for (prefix, what) in &broken {
            let tier = if prefix.first() == Some(&WEEK_SPAN) { "week" } else { "day" };
            let calendar = String::from_utf8_lossy(&prefix[1..prefix.len().saturating_sub(1)]).into_owned();
            self.problem("occurrence-index", format!("{calendar}: a page of its {tier}-long occurrences is broken: {what}"), true);
        }
        // Occurrences stored as records of their own, as format 1 did:
        // nothing reads them.
        let mut stray = TreeWrites::new();
        for tag in [SPAN, WEEK_SPAN] {
            for kv in self.tree.scan_prefix([tag]) {
                stray.push((kv?.0, None));
            }
        }
        if !stray.is_empty() {
            self.problem("occurrence-index", format!("{} occurrence records stored outside the pages (as by store format 1)", stray.len()), true);
        }
        if !self.repair {
            return Ok(broken.into_keys().collect());
        }
        for prefix in broken.keys() {
            super::spans::remove_pages(self.tree, prefix)?;
        }
        if !stray.is_empty() {
            self.tree.apply_writes(stray)?;
        }
        Ok(BTreeSet::new())
    }

    /// Each calendar object's UID entry and occurrence index. Returns the
    /// objects holding each (calendar, UID).
    fn objects(&mut self, nodes: &BTreeMap<StorePath, Node>, broken: &BTreeSet<Vec<u8>>) -> Result<HashMap<(StorePath, String), Vec<String>>> {
        let mut by_uid: HashMap<(StorePath, String), Vec<String>> = HashMap::new();
        let mut spans: HashMap<StorePath, BTreeMap<String, Vec<(Vec<u8>, Vec<u8>)>>> = HashMap::new();
        for (path, node) in nodes {
            let Some(r) = node.resource() else { continue };
            let Some(parent) = path.parent() else { continue };
            let Some(coll) = nodes.get(&parent).and_then(Node::collection) else { continue };
            let Some(cal) = r.calendar.as_ref().filter(|_| coll.calendar) else { continue };
            self.report.calendar_objects += 1;
            let name = path.name().to_string();
            by_uid.entry((parent.clone(), cal.uid.clone())).or_default().push(name.clone());
            let uid_key = sub_key(UID, &parent, cal.uid.as_bytes());
            if self.tree.get(&uid_key)?.is_none() {
                self.problem("uid-index", format!("{}: no UID-index entry for its UID {}", path.joined(), cal.uid), true);
                self.fixes.push((uid_key, Some(name.as_bytes().to_vec())));
            }
            // Its occurrences, re-derived from the stored bytes.
            let Some(bytes) = self.tree.get(keys::path_key(CONTENT, path))? else { continue };
            let object = match crate::ical::CalendarObject::parse(&bytes) {
                Ok(o) => o,
                Err(e) => {
                    self.problem("occurrence-index", format!("{}: the stored object no longer parses: {e}", path.joined()), false);
                    continue;
                }
            };
            let horizon = DateTime::from_timestamp(coll.horizon, 0).unwrap_or(DateTime::<Utc>::MAX_UTC);
            let head = IndexHead::of(cal.kind, &r.etag, &bytes);
            let expected: BTreeMap<Vec<u8>, Vec<u8>> = index_records(&parent, &name, &object.index_entry(horizon), &head).into_iter().collect();
            if !spans.contains_key(&parent) {
                let mut of_calendar: BTreeMap<String, Vec<(Vec<u8>, Vec<u8>)>> = BTreeMap::new();
                for (tag, _) in SPAN_TIERS {
                    let prefix = keys::prefix(tag, &parent);
                    if broken.contains(&prefix) {
                        continue;
                    }
                    super::spans::visit_all(self.tree, &prefix, &mut |k, v| {
                        if let Some(n) = k.get(prefix.len() + 8..) {
                            of_calendar.entry(String::from_utf8_lossy(n).into_owned()).or_default().push((k.to_vec(), v.to_vec()));
                        }
                        Ok(())
                    })?;
                }
                spans.insert(parent.clone(), of_calendar);
            }
            let mut actual: BTreeMap<Vec<u8>, Vec<u8>> = spans[&parent].get(&name).cloned().unwrap_or_default().into_iter().collect();
            for tag in [OBJECT_INDEX, LONG, UNBOUNDED] {
                let k = sub_key(tag, &parent, name.as_bytes());
                if let Some(v) = self.tree.get(&k)? {
                    actual.insert(k, v.to_vec());
                }
            }
            if actual != expected {
                let occurrences = |m: &BTreeMap<Vec<u8>, Vec<u8>>| m.keys().filter(|k| k.first().is_some_and(|t| *t == SPAN || *t == WEEK_SPAN)).count();
                self.problem(
                    "occurrence-index",
                    format!(
                        "{}: its index ({} occurrences filed) is not what its bytes expand to ({} occurrences)",
                        path.joined(),
                        occurrences(&actual),
                        occurrences(&expected)
                    ),
                    true,
                );
                for k in actual.keys() {
                    self.fixes.push((k.clone(), None));
                }
                for (k, v) in expected {
                    self.fixes.push((k, Some(v)));
                }
            }
        }
        for ((calendar, uid), names) in &by_uid {
            if names.len() > 1 {
                self.problem("uid-index", format!("{}: UID {uid} is held by {} objects: {}", calendar.joined(), names.len(), names.join(", ")), false);
            }
        }
        Ok(by_uid)
    }

    /// Every UID entry names an existing object with that UID.
    fn uid_entries(&mut self, nodes: &BTreeMap<StorePath, Node>, by_uid: &HashMap<(StorePath, String), Vec<String>>) -> Result<()> {
        for kv in self.tree.scan_prefix([UID]) {
            let (k, v) = kv?;
            let Some((segs, uid)) = split_key(&k) else { continue };
            let Some(calendar) = path_of(segs) else { continue };
            let uid = String::from_utf8_lossy(uid).into_owned();
            let name = String::from_utf8_lossy(&v).into_owned();
            let holds = !name.is_empty()
                && nodes
                    .get(&calendar.child(&name))
                    .and_then(Node::resource)
                    .and_then(|r| r.calendar.as_ref())
                    .is_some_and(|c| c.uid == uid);
            if holds {
                continue;
            }
            match by_uid.get(&(calendar.clone(), uid.clone())).and_then(|n| n.first()) {
                Some(real) => {
                    self.problem("uid-index", format!("{}: the entry for UID {uid} names {name:?}, the object is {real}", calendar.joined()), true);
                    self.fixes.push((k.to_vec(), Some(real.as_bytes().to_vec())));
                }
                None => {
                    self.problem("uid-index", format!("{}: the entry for UID {uid} names {name:?}, which has no object with that UID", calendar.joined()), true);
                    self.fixes.push((k.to_vec(), None));
                }
            }
        }
        Ok(())
    }

    /// Index records (`O`, `L`, `R`, and the occurrences `S`, `W`) of
    /// objects that do not exist; occurrences calendar by calendar, past
    /// the broken pages `span_pages` left.
    fn dangling_indexes(&mut self, nodes: &BTreeMap<StorePath, Node>, broken: &BTreeSet<Vec<u8>>) -> Result<()> {
        let tree = self.tree;
        let mut reported: BTreeSet<(StorePath, String)> = BTreeSet::new();
        for tag in [OBJECT_INDEX, LONG, UNBOUNDED] {
            for kv in tree.scan_prefix([tag]) {
                self.dangling(nodes, &kv?.0, object_of, &mut reported);
            }
        }
        for tag in [SPAN, WEEK_SPAN] {
            let mut prefixes: BTreeSet<Vec<u8>> = BTreeSet::new();
            super::spans::visit_prefixes(tree, tag, &mut |p| {
                prefixes.insert(p.to_vec());
            })?;
            for p in prefixes.difference(broken) {
                super::spans::visit_all(tree, p, &mut |k, _| {
                    self.dangling(nodes, k, span_object_of, &mut reported);
                    Ok(())
                })?;
            }
        }
        Ok(())
    }

    /// Reports (once per object) and stages the removal of the index
    /// record `k` when the object `object_of` reads from it does not exist.
    fn dangling(
        &mut self,
        nodes: &BTreeMap<StorePath, Node>,
        k: &[u8],
        object_of: fn(&[u8]) -> Option<(StorePath, String)>,
        reported: &mut BTreeSet<(StorePath, String)>,
    ) {
        let Some((calendar, name)) = object_of(k) else {
            self.problem("occurrence-index", format!("an index key of no known shape: {:?}", String::from_utf8_lossy(k)), true);
            self.fixes.push((k.to_vec(), None));
            return;
        };
        let exists = nodes.get(&calendar).is_some_and(Node::is_calendar)
            && nodes.get(&calendar.child(&name)).and_then(Node::resource).is_some_and(|r| r.calendar.is_some());
        if exists {
            return;
        }
        if reported.insert((calendar.clone(), name.clone())) {
            self.problem("occurrence-index", format!("{}: index records of an object that does not exist", calendar.child(&name).joined()), true);
        }
        self.fixes.push((k.to_vec(), None));
    }

    /// Replaying each collection's change log gives its members.
    fn change_logs(&mut self, nodes: &BTreeMap<StorePath, Node>) -> Result<()> {
        let mut members: BTreeMap<&StorePath, BTreeSet<String>> = BTreeMap::new();
        for path in nodes.keys() {
            if let Some(parent) = path.parent() {
                if let Some((p, _)) = nodes.get_key_value(&parent) {
                    members.entry(p).or_default().insert(path.name().to_string());
                }
            }
        }
        for (path, node) in nodes {
            let Some(coll) = node.collection() else { continue };
            let prefix = keys::prefix(HISTORY, path);
            let mut logged: BTreeMap<String, bool> = BTreeMap::new();
            let mut past = 0;
            for kv in self.tree.scan_prefix(&prefix) {
                let (k, v) = kv?;
                let Some(rev) = k.get(prefix.len()..).and_then(|b| <[u8; 8]>::try_from(b).ok()).map(u64::from_be_bytes) else { continue };
                if rev > coll.revision {
                    past += 1;
                }
                match decode::<(String, bool)>(&v) {
                    Ok((name, deleted)) => {
                        logged.insert(name, deleted);
                    }
                    Err(e) => self.problem("change-log", format!("{} revision {rev}: {e}", path.joined()), false),
                }
            }
            if past > 0 {
                self.problem("change-log", format!("{}: {past} entries past its revision {}", path.joined(), coll.revision), false);
            }
            let replayed: BTreeSet<String> = logged.iter().filter(|(_, deleted)| !**deleted).map(|(n, _)| n.clone()).collect();
            let listed = members.get(path).cloned().unwrap_or_default();
            if replayed != listed {
                let unlogged: Vec<&String> = listed.difference(&replayed).collect();
                let gone: Vec<&String> = replayed.difference(&listed).collect();
                self.problem(
                    "change-log",
                    format!(
                        "{}: replaying the change log gives {} members, the listing has {} (not logged: {unlogged:?}; logged but gone: {gone:?})",
                        path.joined(),
                        replayed.len(),
                        listed.len()
                    ),
                    true,
                );
                for n in unlogged {
                    self.log_fixes.push((path.clone(), n.clone(), false));
                }
                for n in gone {
                    self.log_fixes.push((path.clone(), n.clone(), true));
                }
            }
        }
        Ok(())
    }

    /// Each home's usage record equals the size of its records.
    fn usage(&mut self) -> Result<()> {
        let mut counted: BTreeMap<Vec<u8>, u64> = BTreeMap::new();
        for kv in self.tree.iter() {
            let (k, v) = kv?;
            if let Some(owner) = owner_of(&k) {
                *counted.entry(owner.to_vec()).or_default() += (k.len() + v.len()) as u64;
            }
        }
        let mut recorded: BTreeMap<Vec<u8>, u64> = BTreeMap::new();
        for kv in self.tree.scan_prefix([USAGE]) {
            let (k, v) = kv?;
            recorded.insert(k[1..].to_vec(), decode_u64(&v));
        }
        let owners: BTreeSet<Vec<u8>> = counted.keys().chain(recorded.keys()).cloned().collect();
        for owner in owners {
            let (have, want) = (recorded.get(&owner).copied().unwrap_or(0), counted.get(&owner).copied().unwrap_or(0));
            if have != want {
                self.problem("usage", format!("{}: usage recorded as {have} bytes, its records take {want}", String::from_utf8_lossy(&owner)), true);
                self.fixes.push((usage_key(&owner), (want > 0).then(|| want.to_be_bytes().to_vec())));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_split_into_path_and_rest() {
        let cal = StorePath::new(vec!["alice".into(), "work".into()]);
        assert_eq!(object_of(&sub_key(OBJECT_INDEX, &cal, b"x.ics")), Some((cal.clone(), "x.ics".into())));
        assert_eq!(span_object_of(&span_key(SPAN, &cal, 1_700_000_000, "y.ics")), Some((cal.clone(), "y.ics".into())));
        assert_eq!(split_key(&node_key(&StorePath::home("alice"))), Some((vec![], &b"alice"[..])));
        assert_eq!(split_key(b"Oalice//x\0y"), None, "an empty segment");
        assert_eq!(object_of(b"Ono-zero"), None);
    }
}
