//! The DAV tree as staged writes: conditions on entity tags, resource
//! puts (with their UID and index records), deletes and copies of whole
//! subtrees, and the change records sync reads.

use chrono::{DateTime, Utc};
use rand::Rng;
use sha2::{Digest, Sha256};

use super::super::keys::{self, *};
use super::super::*;
use super::batch::{decode, encode, Staged};
use super::{KvBackend, KvStore};
use crate::ical::IndexEntry;

pub(super) fn etag_of(bytes: &[u8]) -> String {
    crate::hex::encode(&Sha256::digest(bytes)[..16])
}

pub(super) fn check_condition(current: Option<&Node>, cond: &WriteCondition) -> Result<()> {
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

impl<B: KvBackend> KvStore<B> {
    /// Records that `name` in `collection` changed: bumps the revision and
    /// appends to its history.
    pub(super) fn record_change(st: &mut Staged, collection: &StorePath, name: &str, deleted: bool, now: DateTime<Utc>) -> Result<()> {
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


    /// Stages removal of a node and everything below it. Returns the
    /// paths of removed calendar objects' parents (for change records).
    pub(super) fn stage_remove_tree(st: &mut Staged, path: &StorePath) -> Result<()> {
        if let Some(node) = st.node(path)? {
            if node.is_collection() {
                for key in st.scan_keys(&children_prefix(path))? {
                    let name = child_name(&key, path);
                    Self::stage_remove_tree(st, &path.child(&name))?;
                }
                for key in st.scan_keys(&keys::prefix(HISTORY, path))? {
                    st.remove(key);
                }
                for tag in [UID, OBJECT_INDEX, SPAN, WEEK_SPAN, LONG, UNBOUNDED] {
                    for key in st.scan_keys(&keys::prefix(tag, path))? {
                        st.remove(key);
                    }
                }
            } else if let Some(parent) = path.parent() {
                if node.resource().is_some_and(|r| r.calendar.is_some()) {
                    Self::stage_release_uid(st, path)?;
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

    /// Stages the removal of the UID entry of the calendar object at `path`
    /// (none for other nodes), only while it names this object: after a
    /// rename inside the calendar it names the new one.
    pub(super) fn stage_release_uid(st: &mut Staged, path: &StorePath) -> Result<()> {
        let Some(parent) = path.parent() else { return Ok(()) };
        if let Some(cal) = st.node(path)?.and_then(|n| n.resource().and_then(|r| r.calendar.clone())) {
            let uid_key = sub_key(UID, &parent, cal.uid.as_bytes());
            if st.get(&uid_key)?.is_some_and(|n| n == path.name().as_bytes()) {
                st.remove(uid_key);
            }
        }
        Ok(())
    }

    /// Stages a copy of the node at `from` (and with `deep` its subtree) to
    /// `to`, which must not exist. Collections get a fresh sync history.
    pub(super) fn stage_copy_tree(st: &mut Staged, from: &StorePath, to: &StorePath, deep: bool, now: DateTime<Utc>) -> Result<()> {
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
                        // A copied resource logs itself in its new parent; a
                        // collection is logged here, so the copy's change
                        // log lists every member (found by `slotdav check`).
                        if st.node(&to.child(&name))?.is_some_and(|n| n.is_collection()) {
                            Self::record_change(st, to, &name, false, now)?;
                        }
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
                            Self::index(st, &to_parent, to.name(), &entry, &IndexHead::of(cal.kind, &r.etag, &bytes));
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
    pub(super) fn stage_put(st: &mut Staged, path: &StorePath, write: ResourceWrite, cond: &WriteCondition, now: DateTime<Utc>) -> Result<PutOutcome> {
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
        let etag = etag_of(&write.bytes);
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
                Self::index(st, &parent, path.name(), &cal.index, &IndexHead::of(cal.kind, &etag, &write.bytes));
            }
            (None, false) => {}
        }
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
    pub(super) fn stage_delete(st: &mut Staged, path: &StorePath, cond: &WriteCondition, now: DateTime<Utc>) -> Result<()> {
        let current = st.node(path)?.ok_or(StorageError::NotFound)?;
        check_condition(Some(&current), cond)?;
        Self::stage_remove_tree(st, path)?;
        if let Some(parent) = path.parent() {
            Self::record_change(st, &parent, path.name(), true, now)?;
        }
        Ok(())
    }
}

pub(super) fn child_name(key: &[u8], parent: &StorePath) -> String {
    String::from_utf8_lossy(&key[children_prefix(parent).len()..]).to_string()
}

/// The leading fields of a postcard [`Node`], borrowed: postcard writes a
/// struct's fields in order and `NodeKind`'s variant first, so reading
/// only the first field of each variant leaves the rest (times, content
/// type, UID) undecoded. Must follow [`NodeKind`]'s variant order.
#[derive(serde::Deserialize)]
struct NodeHead<'a> {
    #[serde(borrow)]
    kind: KindHead<'a>,
}

#[derive(serde::Deserialize)]
enum KindHead<'a> {
    Collection(CollectionHead),
    Resource(#[serde(borrow)] ResourceHead<'a>),
}

#[derive(serde::Deserialize)]
struct CollectionHead {
    calendar: bool,
}

#[derive(serde::Deserialize)]
struct ResourceHead<'a> {
    etag: &'a str,
}

/// What a listing needs of a stored node, without decoding all of it.
pub(super) fn member_head(bytes: &[u8]) -> Result<MemberHead<'_>> {
    let head: NodeHead<'_> =
        postcard::from_bytes(bytes).map_err(|e| StorageError::Backend(format!("corrupt record: {e}")))?;
    Ok(match head.kind {
        KindHead::Collection(c) => MemberHead::Collection { calendar: c.calendar },
        KindHead::Resource(r) => MemberHead::Resource { etag: r.etag },
    })
}

#[cfg(test)]
mod head_tests {
    use super::*;

    fn node(kind: NodeKind) -> Node {
        let t = DateTime::from_timestamp(1_700_000_000, 0).unwrap();
        Node { kind, created: t, modified: t }
    }

    #[test]
    fn the_head_of_a_stored_node_is_what_the_whole_node_says() {
        let nodes = [
            node(NodeKind::Resource(Resource {
                etag: "0123abcd".into(),
                content_type: "text/calendar; charset=utf-8".into(),
                length: 1234,
                calendar: Some(CalendarInfo { uid: "u@x".into(), kind: crate::ical::ComponentKind::Event }),
            })),
            node(NodeKind::Resource(Resource { etag: String::new(), content_type: "x/y".into(), length: 0, calendar: None })),
            node(NodeKind::Collection(Collection {
                calendar: true,
                sync_id: 7,
                revision: 9,
                horizon: 1,
                components: vec![],
                read_only: false,
            })),
            node(NodeKind::Collection(Collection {
                calendar: false,
                sync_id: 1,
                revision: 0,
                horizon: 0,
                components: vec![],
                read_only: true,
            })),
        ];
        for n in &nodes {
            let bytes = encode(n);
            assert_eq!(member_head(&bytes).unwrap(), MemberHead::of(n));
        }
        assert!(member_head(&[1, 200]).is_err(), "a truncated record is an error, not a panic");
    }
}
