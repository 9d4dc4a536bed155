//! The durable queue of deliveries to local users. A write of a
//! scheduling object puts one [`Delivery`] in the same batch as the object
//! (so an acknowledged PUT never loses it); [`LocalDelivery::run`] carries
//! queued deliveries out once the write is durable — the invitation into
//! the attendee's default calendar and inbox, the reply into the
//! organizer's copy and inbox — and removes each from the queue after its
//! writes are durable. Run again at start-up for what a crash left;
//! carrying one out twice writes the same objects and inbox names again.
//!
//! Table `schedule-queue`: key `{time_key}/{id}`, value postcard
//! [`Delivery`].

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::ical::CalendarObject;
use crate::storage::table::{time_key, RecordWrite, Table, TableValue};
use crate::storage::{CalendarWrite, RecordBatch, ResourceWrite, Storage, StorageError, StorePath, WriteCondition};

use super::directory::Directory;
use super::inbox::{self, InboxMessage};
use super::itip;

/// An iTIP method between local users.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Method {
    Request,
    Cancel,
    Reply,
}

/// One message to one local user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    pub method: Method,
    /// The user it is for.
    pub to: String,
    /// The user who sent it, and their calendar user address as the object
    /// names them.
    pub from: String,
    pub from_address: String,
    /// The sender's object as stored (no METHOD).
    pub object: String,
}

/// The messages of one write.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delivery {
    pub id: String,
    pub created: DateTime<Utc>,
    pub messages: Vec<Message>,
}

impl TableValue for Delivery {
    const KIND: &'static str = "scheduling delivery";
}

pub const QUEUE: Table<Delivery> = Table::new("schedule-queue");

impl Delivery {
    /// A delivery whose id sorts after every id this process made before,
    /// even at the same clock reading, so inboxes list in delivery order.
    pub fn new(messages: Vec<Message>, now: DateTime<Utc>) -> Delivery {
        static LAST: Mutex<i64> = Mutex::new(i64::MIN);
        let micros = {
            let mut last = LAST.lock().unwrap_or_else(|e| e.into_inner());
            *last = now.timestamp_micros().max(last.saturating_add(1));
            *last
        };
        let at = DateTime::from_timestamp_micros(micros).unwrap_or(now);
        let id = format!("{}-{:016x}", time_key(at), rand::random::<u64>());
        Delivery { id, created: now, messages }
    }
    /// The write that queues it, for the batch of the object's write.
    pub fn queued(&self) -> RecordWrite {
        QUEUE.put(self.id.clone(), self)
    }
}

/// Carries out queued deliveries, one run at a time.
pub struct LocalDelivery {
    storage: Arc<dyn Storage>,
    running: Mutex<()>,
}

impl LocalDelivery {
    pub fn new(storage: Arc<dyn Storage>) -> LocalDelivery {
        LocalDelivery { storage, running: Mutex::new(()) }
    }

    /// Delivers everything queued; returns how many deliveries were done.
    pub fn run(&self, now: DateTime<Utc>) -> Result<usize, StorageError> {
        let _one_at_a_time = self.running.lock().unwrap_or_else(|e| e.into_inner());
        let storage = &*self.storage;
        let queued = QUEUE.scan(storage, "")?;
        if queued.is_empty() {
            return Ok(0);
        }
        let dir = Directory::load(storage)?;
        for (key, delivery) in &queued {
            for (i, m) in delivery.messages.iter().enumerate() {
                let name = format!("{}-{i}.ics", delivery.id);
                deliver(storage, &dir, m, &name, now)?;
            }
            storage.flush()?;
            storage.apply(RecordBatch { records: vec![QUEUE.remove(key.clone())], object: None }, now)?;
        }
        storage.flush()?;
        Ok(queued.len())
    }
}

/// The calendars of `user` a copy may be in (written by clients).
fn find_copy(storage: &dyn Storage, user: &str, uid: &str) -> Result<Option<StorePath>, StorageError> {
    let home = StorePath::home(user);
    for (name, node) in storage.children(&home)? {
        if node.collection().is_some_and(|c| c.calendar && !c.read_only) {
            let cal = home.child(&name);
            if let Some(object) = storage.object_by_uid(&cal, uid)? {
                return Ok(Some(cal.child(&object)));
            }
        }
    }
    Ok(None)
}

/// Where a new invitation goes: the default calendar, made again when the
/// user removed it (never another of theirs: a coach's availability
/// calendar would turn the invitation into bookable time).
fn new_copy_calendar(storage: &dyn Storage, user: &str, now: DateTime<Utc>) -> Result<StorePath, StorageError> {
    use crate::ical::ComponentKind;
    let default = StorePath::home(user).child(crate::provision::DEFAULT_CALENDAR);
    let all = vec![ComponentKind::Event, ComponentKind::Todo, ComponentKind::Journal];
    crate::provision::calendar(storage, &default, "Calendar", all, now)?;
    Ok(default)
}

/// The resource name of a new copy: the UID when it is a plain name.
fn object_name(uid: &str) -> String {
    let plain = !uid.is_empty() && uid.len() <= 120 && uid.chars().all(|c| c.is_ascii_alphanumeric() || "-_.@".contains(c));
    if plain && !uid.starts_with('.') {
        format!("{uid}.ics")
    } else {
        format!("{}.ics", crate::hex::encode(&Sha256::digest(uid.as_bytes())[..16]))
    }
}

/// Stores `text` as a calendar object at `path`. A refusal the store
/// gives for this user's data (quota, component set) is logged and the
/// delivery goes on; a failing store stops it.
fn write_object(storage: &dyn Storage, path: &StorePath, text: &str, now: DateTime<Utc>) -> Result<bool, StorageError> {
    let Ok(obj) = CalendarObject::parse(text.as_bytes()) else {
        tracing::warn!(path = %path.joined(), "scheduling copy does not parse; not delivered");
        return Ok(false);
    };
    let Some(parent) = path.parent() else { return Ok(false) };
    let Some(coll) = storage.node(&parent)?.and_then(|n| n.collection().cloned()) else { return Ok(false) };
    let horizon = DateTime::from_timestamp(coll.horizon, 0).unwrap_or(DateTime::<Utc>::MAX_UTC);
    let write = ResourceWrite {
        bytes: text.as_bytes().to_vec(),
        content_type: "text/calendar; charset=utf-8".into(),
        calendar: Some(CalendarWrite { uid: obj.uid().to_string(), kind: obj.kind(), index: obj.index_entry(horizon) }),
    };
    match storage.put_resource(path, write, &WriteCondition::default(), now) {
        Ok(_) => Ok(true),
        Err(StorageError::Backend(e)) => Err(StorageError::Backend(e)),
        Err(e) => {
            tracing::warn!(path = %path.joined(), error = %e, "scheduling copy refused by the store; not delivered");
            Ok(false)
        }
    }
}

fn to_inbox(storage: &dyn Storage, user: &str, name: &str, ics: String, now: DateTime<Utc>) -> Result<(), StorageError> {
    let records = inbox::deliver(storage, user, name, &InboxMessage { ics, delivered: now })?;
    storage.apply(RecordBatch { records, object: None }, now)?;
    Ok(())
}

fn deliver(storage: &dyn Storage, dir: &Directory, m: &Message, name: &str, now: DateTime<Utc>) -> Result<(), StorageError> {
    let Ok(obj) = CalendarObject::parse(m.object.as_bytes()) else { return Ok(()) };
    if storage.user(&m.to)?.is_none() {
        return Ok(());
    }
    crate::provision::home(storage, &m.to, now)?;
    let existing = find_copy(storage, &m.to, obj.uid())?;
    let stored = match &existing {
        Some(p) => storage.content(p)?.and_then(|b| CalendarObject::parse(&b).ok()),
        None => None,
    };
    let is_to = |a: &str| dir.is(a, &m.to);
    // A REQUEST or CANCEL changes only a copy of the sender's own event:
    // an object of the recipient's with the same UID that someone else
    // organizes (or nobody) is left alone.
    let senders = |o: &CalendarObject| o.organizer().is_some_and(|a| dir.is(&a, &m.from));
    if matches!(m.method, Method::Request | Method::Cancel) && existing.is_some() && !stored.as_ref().is_some_and(senders) {
        tracing::warn!(to = %m.to, uid = %obj.uid(), "the recipient has an object with this UID that the sender does not organize; not changed");
        return Ok(());
    }
    match m.method {
        Method::Request => {
            let copy = itip::attendee_copy(&obj, stored.as_ref(), &is_to);
            let path = match existing {
                Some(p) => p,
                None => new_copy_calendar(storage, &m.to, now)?.child(&object_name(obj.uid())),
            };
            if stored.as_ref().is_none_or(|s| s.raw() != copy) {
                write_object(storage, &path, &copy, now)?;
            }
            to_inbox(storage, &m.to, name, itip::message(&obj, "REQUEST"), now)?;
        }
        Method::Cancel => {
            if let (Some(path), Some(s)) = (&existing, &stored) {
                if s.status().as_deref() != Some("CANCELLED") {
                    write_object(storage, path, &itip::cancelled_copy(s), now)?;
                }
            }
            if let Ok(c) = CalendarObject::parse(itip::cancelled_copy(&obj).as_bytes()) {
                to_inbox(storage, &m.to, name, itip::message(&c, "CANCEL"), now)?;
            }
        }
        Method::Reply => {
            let is_sender = |a: &str| dir.is(a, &m.from) || itip::same_address(a, &m.from_address);
            let partstat = itip::partstat_of(&obj, &is_sender).unwrap_or_else(|| "NEEDS-ACTION".into());
            // Only into the organizer's own copy of an event they organize.
            let organizes = |o: &CalendarObject| o.organizer().is_some_and(|a| is_to(&a));
            if let (Some(path), Some(s)) = (&existing, stored.as_ref().filter(|s| organizes(s))) {
                let merged = itip::merge_reply(s, &is_sender, &partstat, "2.0");
                if merged != s.raw() {
                    write_object(storage, path, &merged, now)?;
                }
            }
            to_inbox(storage, &m.to, name, itip::reply(&obj, &is_sender, now), now)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copies_are_named_by_a_plain_uid_or_its_digest() {
        assert_eq!(object_name("abc-1@ex.org"), "abc-1@ex.org.ics");
        assert_eq!(object_name("a/b").len(), 32 + 4);
        assert_ne!(object_name("a/b"), object_name("a/c"));
        assert!(!object_name("..").starts_with('.'));
    }
}
