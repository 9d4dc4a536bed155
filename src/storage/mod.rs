//! Storage behind a small trait: users, the DAV tree (collections,
//! resources, dead properties), change logs for sync, the time-range
//! index of calendar objects, and domain records that the typed tables of
//! [`table`] give meaning to (bookings, holds, the outbox, feeds …).
//! Storage imports `ical` (index entries) and `model` only, never a domain
//! module; `tests/it/storage_contract.rs` is what every backend must pass.
//!
//! Every operation that changes anything is atomic: it either happens
//! completely or not at all, also across a crash. Storage names facts in
//! its errors ([`StorageError::UidConflict`], [`StorageError::EtagMismatch`])
//! and leaves HTTP status codes to the DAV layer. Only [`sled`](self::sled)
//! names sled types, only [`postgres`](self::postgres) the PostgreSQL
//! driver's; both keep the ordered records of [`kv`].

pub mod backup;
pub mod check;
pub mod copy;
pub mod exclusive;
pub mod files;
pub mod flush_group;
pub mod keys;
pub mod kv;
pub mod lease;
pub mod migrate;
pub mod postgres;
pub mod sled;
pub mod table;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ical::{ComponentKind, IndexEntry};
use crate::model::TimeRange;

pub use self::exclusive::ExclusiveGuard;
pub use self::flush_group::FlushStats;
pub use self::postgres::PgStorage;
pub use self::sled::SledStorage;

/// A place in the DAV tree below `/dav/calendars/`, as decoded segments:
/// `["alice"]` is Alice's calendar home, `["alice", "work"]` a calendar,
/// `["alice", "work", "x.ics"]` an object in it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StorePath(Vec<String>);

impl StorePath {
    /// A path from decoded segments. Segments must be non-empty and contain
    /// neither `/` nor NUL (the DAV layer refuses such URLs earlier).
    pub fn new(segments: Vec<String>) -> Self {
        debug_assert!(segments.iter().all(|s| !s.is_empty() && !s.contains('/') && !s.contains('\0')));
        StorePath(segments)
    }
    pub fn home(user: &str) -> Self {
        StorePath(vec![user.to_string()])
    }
    pub fn segments(&self) -> &[String] {
        &self.0
    }
    pub fn owner(&self) -> &str {
        &self.0[0]
    }
    pub fn name(&self) -> &str {
        self.0.last().map(String::as_str).unwrap_or("")
    }
    pub fn parent(&self) -> Option<StorePath> {
        if self.0.len() <= 1 {
            None
        } else {
            Some(StorePath(self.0[..self.0.len() - 1].to_vec()))
        }
    }
    pub fn child(&self, name: &str) -> StorePath {
        let mut s = self.0.clone();
        s.push(name.to_string());
        StorePath(s)
    }
    pub fn is_within(&self, ancestor: &StorePath) -> bool {
        self.0.len() >= ancestor.0.len() && self.0[..ancestor.0.len()] == ancestor.0[..]
    }
    pub fn len(&self) -> usize {
        self.0.len()
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    /// The path with `from` (a prefix) replaced by `to`.
    pub fn rebase(&self, from: &StorePath, to: &StorePath) -> StorePath {
        let mut s = to.0.clone();
        s.extend_from_slice(&self.0[from.0.len()..]);
        StorePath(s)
    }
    /// Segments joined by `/` (decoded, for logs and keys).
    pub fn joined(&self) -> String {
        self.0.join("/")
    }
}

/// A slotdav account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub name: String,
    /// An argon2id PHC string.
    pub password_hash: String,
    pub email: Option<String>,
    pub created: DateTime<Utc>,
}

/// What a stored node is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum NodeKind {
    Collection(Collection),
    Resource(Resource),
}

/// A collection: a plain WebDAV collection or a calendar.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Collection {
    pub calendar: bool,
    /// Random per creation, so sync tokens of a deleted and re-created
    /// collection are not mistaken for each other.
    pub sync_id: u64,
    /// Bumped on every change to a member; the sync token and ctag.
    pub revision: u64,
    /// Occurrences of unbounded series are indexed up to here (unix seconds).
    pub horizon: i64,
    /// Component kinds a calendar accepts (RFC 4791 §5.2.3); empty = all.
    pub components: Vec<ComponentKind>,
    /// Maintained by slotdav itself (an imported calendar): clients may
    /// read but not change it.
    pub read_only: bool,
}

/// A resource: bytes plus what was derived from them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Resource {
    /// Strong entity tag, without quotes.
    pub etag: String,
    pub content_type: String,
    pub length: u64,
    /// Set for calendar object resources in a calendar.
    pub calendar: Option<CalendarInfo>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CalendarInfo {
    pub uid: String,
    pub kind: ComponentKind,
}

/// A node of the tree with its timestamps.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Node {
    pub kind: NodeKind,
    #[serde(deserialize_with = "stored_time::deserialize")]
    pub created: DateTime<Utc>,
    #[serde(deserialize_with = "stored_time::deserialize")]
    pub modified: DateTime<Utc>,
}

/// Reading the times of a stored [`Node`] fast. They are written by
/// chrono's own `Serialize` (RFC 3339 text, `2026-05-01T10:00:00.123Z`),
/// which is kept; the usual form is read here digit by digit, anything
/// else by chrono's parser, so every record ever written reads the same.
mod stored_time {
    use chrono::{DateTime, NaiveDate, Utc};
    use serde::de::{Deserializer, Error, Visitor};

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
        struct Text;
        impl Visitor<'_> for Text {
            type Value = DateTime<Utc>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an RFC 3339 date and time")
            }
            fn visit_str<E: Error>(self, s: &str) -> Result<DateTime<Utc>, E> {
                match quick(s.as_bytes()) {
                    Some(t) => Ok(t),
                    None => s.parse::<DateTime<Utc>>().map_err(E::custom),
                }
            }
        }
        d.deserialize_str(Text)
    }

    /// `YYYY-MM-DDTHH:MM:SS[.fraction]Z`, or `None` for any other form.
    pub(super) fn quick(b: &[u8]) -> Option<DateTime<Utc>> {
        if b.len() < 20 || *b.last()? != b'Z' || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || b[13] != b':' || b[16] != b':' {
            return None;
        }
        let num = |r: std::ops::Range<usize>| -> Option<u32> {
            b[r].iter().try_fold(0u32, |n, &c| c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0')))
        };
        let mut nanos = 0;
        let frac = &b[19..b.len() - 1];
        if !frac.is_empty() {
            if frac[0] != b'.' || frac.len() < 2 || frac.len() > 10 {
                return None;
            }
            nanos = num(20..b.len() - 1)? * 10u32.pow(10 - frac.len() as u32);
        }
        let date = NaiveDate::from_ymd_opt(i32::try_from(num(0..4)?).ok()?, num(5..7)?, num(8..10)?)?;
        // Leap seconds (:60) are left to chrono.
        let time = date.and_hms_nano_opt(num(11..13)?, num(14..16)?, num(17..19)?.min(59), nanos)?;
        (num(17..19)? < 60).then(|| time.and_utc())
    }
}

impl Node {
    pub fn collection(&self) -> Option<&Collection> {
        match &self.kind {
            NodeKind::Collection(c) => Some(c),
            NodeKind::Resource(_) => None,
        }
    }
    pub fn resource(&self) -> Option<&Resource> {
        match &self.kind {
            NodeKind::Resource(r) => Some(r),
            NodeKind::Collection(_) => None,
        }
    }
    pub fn is_collection(&self) -> bool {
        self.collection().is_some()
    }
    pub fn is_calendar(&self) -> bool {
        self.collection().is_some_and(|c| c.calendar)
    }
}

/// What a listing of a collection's members needs of one member: whether
/// it is a collection (and a calendar) or a resource with its etag
/// ([`Storage::for_each_member`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemberHead<'a> {
    Collection { calendar: bool },
    /// A resource's strong entity tag, without quotes.
    Resource { etag: &'a str },
}

impl<'a> MemberHead<'a> {
    pub fn of(node: &'a Node) -> Self {
        match &node.kind {
            NodeKind::Collection(c) => MemberHead::Collection { calendar: c.calendar },
            NodeKind::Resource(r) => MemberHead::Resource { etag: &r.etag },
        }
    }
}

/// Conditions a write is made under, checked atomically with it
/// (RFC 4918 §10.4, RFC 7232).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WriteCondition {
    /// `If-Match`: the current etag must be one of these; `Some(vec![])`
    /// with `any` stands for `If-Match: *`.
    pub if_match: Option<Vec<String>>,
    pub if_match_any: bool,
    /// `If-None-Match: *`: the target must not exist.
    pub if_none_match_any: bool,
    /// `If-None-Match` with etags: the current etag must not be one of these.
    pub if_none_match: Vec<String>,
}

/// A resource body to store.
#[derive(Debug, Clone)]
pub struct ResourceWrite {
    pub bytes: Vec<u8>,
    pub content_type: String,
    /// Present for a calendar object resource: its UID, kind and
    /// occurrences, written to the indexes in the same batch.
    pub calendar: Option<CalendarWrite>,
}

#[derive(Debug, Clone)]
pub struct CalendarWrite {
    pub uid: String,
    pub kind: ComponentKind,
    pub index: IndexEntry,
}

/// The outcome of a successful PUT.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PutOutcome {
    pub created: bool,
    pub etag: String,
}

/// The property of a user's home that holds their scheduling inbox's
/// `CALDAV:calendar-availability` (RFC 7953 §7.2.4): the iCalendar text
/// as the client sent it (not an XML fragment). The inbox has no node of
/// its own, so the value lives on the home and counts against its quota;
/// `dav` hides the name from the home's dead properties, and the booking
/// service reads it as the coach's working hours.
pub const INBOX_AVAILABILITY_PROP: &str = "{http://slotdav.org/ns/private}inbox-calendar-availability";

/// At most this many VAVAILABILITY objects of one calendar are used per
/// query ([`availability_objects`]); more is not a working-hours setup, and
/// the booking page that reads them is public.
pub const MAX_AVAILABILITY_OBJECTS: usize = 64;

/// The names of a calendar's VAVAILABILITY objects (RFC 7953) whose range
/// meets `range`, found through the time-range index (they never block
/// time, so only non-busy entries are looked at), sorted, at most
/// [`MAX_AVAILABILITY_OBJECTS`].
pub fn availability_objects(storage: &dyn Storage, calendar: &StorePath, range: &TimeRange) -> Result<Vec<String>> {
    availability_among(storage, calendar, &storage.occurrences(calendar, range)?)
}

/// [`availability_objects`] among occurrences of `calendar` already read.
pub fn availability_among(storage: &dyn Storage, calendar: &StorePath, occurrences: &[IndexedOccurrence]) -> Result<Vec<String>> {
    let mut names: Vec<(&str, Option<ComponentKind>)> = occurrences
        .iter()
        .filter(|o| o.occurrence.busy.is_none())
        .map(|o| (o.name.as_str(), o.head.as_ref().map(|h| h.kind)))
        .collect();
    names.sort_by_key(|n| n.0);
    names.dedup_by(|a, b| a.0 == b.0);
    let mut out = Vec::new();
    for (name, kind) in names {
        let kind = match kind {
            Some(k) => Some(k),
            None => {
                let node = storage.node(&calendar.child(name))?;
                node.as_ref().and_then(|n| n.resource()).and_then(|r| r.calendar.as_ref()).map(|c| c.kind)
            }
        };
        if kind == Some(ComponentKind::Availability) {
            out.push(name.to_string());
            if out.len() >= MAX_AVAILABILITY_OBJECTS {
                break;
            }
        }
    }
    Ok(out)
}

/// A change to a dead property.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PropChange {
    /// Clark name and the stored XML fragment.
    Set(String, String),
    Remove(String),
}

/// One entry of a sync-collection answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberChange {
    pub name: String,
    pub deleted: bool,
}

/// The members that changed since a sync token, and the new token's revision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeSet {
    pub changes: Vec<MemberChange>,
    pub revision: u64,
    /// True when `limit` cut the list short; `revision` then covers only the
    /// returned changes.
    pub truncated: bool,
}

/// An indexed occurrence of an object, as the time-range index returns it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexedOccurrence {
    pub name: String,
    pub occurrence: crate::ical::Occurrence,
    /// The span was widened for floating time: the object must be checked
    /// exactly before it is counted as a match.
    pub approximate: bool,
    /// What the index knows of the object beside its times; `None` for an
    /// object filed without it (a long or always-matching one): read its
    /// node.
    pub head: Option<IndexHead>,
}

/// What the time-range index files beside each occurrence, so that a
/// query answered from the index reads neither the object's node nor,
/// unless it asks for the data, its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexHead {
    pub kind: crate::ical::ComponentKind,
    /// The object's etag, without quotes (its node's).
    pub etag: String,
    /// The object's text says DECLINED somewhere: it may be an invitation
    /// its calendar's owner declined, which free-busy must look at. False
    /// means it certainly is not.
    pub mentions_declined: bool,
}

impl IndexHead {
    /// The head of an object of `kind` with these bytes and etag.
    pub fn of(kind: crate::ical::ComponentKind, etag: &str, bytes: &[u8]) -> IndexHead {
        IndexHead { kind, etag: etag.to_string(), mentions_declined: crate::ical::mentions_declined(bytes) }
    }
}

impl IndexedOccurrence {
    /// Whether the object may be an invitation someone declined: only
    /// then does free-busy read it to ask whether its owner did.
    pub fn may_be_declined(&self) -> bool {
        self.head.as_ref().is_none_or(|h| h.mentions_declined)
    }
}

/// Stored bytes as text, borrowed when they are UTF-8 (they are, for
/// every object PUT checked and every name a path gave), else with
/// replacement characters. `str::from_utf8` checks them: its ASCII fast
/// path is several times quicker than `String::from_utf8_lossy` on
/// calendar text (a week's REPORT spent an eighth of its CPU in the
/// latter).
pub fn stored_str(bytes: &[u8]) -> std::borrow::Cow<'_, str> {
    match std::str::from_utf8(bytes) {
        Ok(text) => std::borrow::Cow::Borrowed(text),
        Err(_) => String::from_utf8_lossy(bytes),
    }
}

/// An [`IndexedOccurrence`] as [`Storage::visit_occurrences`] lends it:
/// borrowed from the index, so that reading a month of 30,000
/// occurrences allocates nothing per occurrence.
#[derive(Debug, Clone)]
pub struct OccurrenceRef<'a> {
    pub name: &'a str,
    pub occurrence: crate::ical::Occurrence,
    pub approximate: bool,
    pub head: Option<IndexHeadRef<'a>>,
}

/// An [`IndexHead`] borrowed from the index.
#[derive(Debug, Clone, Copy)]
pub struct IndexHeadRef<'a> {
    pub kind: crate::ical::ComponentKind,
    pub etag: &'a str,
    pub mentions_declined: bool,
}

impl IndexHeadRef<'_> {
    pub fn to_owned(self) -> IndexHead {
        IndexHead { kind: self.kind, etag: self.etag.to_string(), mentions_declined: self.mentions_declined }
    }
}

impl OccurrenceRef<'_> {
    /// As [`IndexedOccurrence::may_be_declined`].
    pub fn may_be_declined(&self) -> bool {
        self.head.as_ref().is_none_or(|h| h.mentions_declined)
    }

    pub fn to_owned(self) -> IndexedOccurrence {
        IndexedOccurrence {
            name: self.name.to_string(),
            occurrence: self.occurrence,
            approximate: self.approximate,
            head: self.head.map(IndexHeadRef::to_owned),
        }
    }
}

/// A candidate of a time-range query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub name: String,
    /// The index alone decides the match; false for floating-time objects
    /// and for objects that match every range.
    pub exact: bool,
    /// As [`IndexedOccurrence::head`].
    pub head: Option<IndexHead>,
}

/// What can go wrong in storage, in storage's own words.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// The target does not exist. → 404
    #[error("not found")]
    NotFound,
    /// The parent collection of the target does not exist. → 409
    #[error("parent collection does not exist")]
    ParentMissing,
    /// The parent of the target is a resource, not a collection. → 409
    #[error("parent is not a collection")]
    ParentNotCollection,
    /// Something already exists where a collection was to be made. → 405
    #[error("already exists")]
    AlreadyExists,
    /// If-Match / If-None-Match did not hold. → 412
    #[error("precondition on the entity tag failed")]
    EtagMismatch,
    /// Another object in the calendar has this UID. → 409 `CALDAV:no-uid-conflict`
    #[error("UID {uid} already used by {existing:?}")]
    UidConflict { uid: String, existing: StorePath },
    /// A calendar object resource was put outside a calendar, or a plain
    /// resource into a calendar. → 403 `CALDAV:calendar-collection-location-ok`
    /// or `CALDAV:supported-calendar-data`
    #[error("wrong kind of resource for this collection")]
    WrongCollectionKind,
    /// The component kind is not in the calendar's component set. → 403
    /// `CALDAV:supported-calendar-component`
    #[error("component {0:?} not supported by this calendar")]
    UnsupportedComponent(ComponentKind),
    /// A collection cannot be overwritten by a resource here, or similar. → 409
    #[error("conflict: {0}")]
    Conflict(&'static str),
    /// The write would take `user` beyond their quota (RFC 4331). → 507
    /// `DAV:quota-not-exceeded`
    #[error("quota of {user} exceeded")]
    QuotaExceeded { user: String },
    /// The disk (or the filesystem's quota) under the data directory is
    /// full: nothing of the write was acknowledged. Reads still work, and
    /// writes work again once space is freed (the sled backend reopens its
    /// database in-process). → 507 Insufficient Storage
    #[error("the disk is full: {0}")]
    Full(String),
    /// The database cannot be reached (the PostgreSQL backend: refused,
    /// lost or timed-out connections). Nothing of the write was applied;
    /// the pool reconnects by itself. → 503 with `Retry-After`
    #[error("the database is unavailable: {0}")]
    Unavailable(String),
    /// The store itself failed (I/O, corruption). → 500
    #[error("storage failure: {0}")]
    Backend(String),
}

impl StorageError {
    /// The error for a failed file operation: [`StorageError::Full`] for
    /// ENOSPC and EDQUOT, [`StorageError::Backend`] for anything else.
    pub fn from_io(what: &str, e: &std::io::Error) -> Self {
        if is_storage_full(e) {
            StorageError::Full(format!("{what}: {e}"))
        } else {
            StorageError::Backend(format!("{what}: {e}"))
        }
    }
}

/// Whether an I/O error says the disk or the user's filesystem quota is
/// full (ENOSPC 28, EDQUOT 122 on Linux), by kind or by OS error number.
pub fn is_storage_full(e: &std::io::Error) -> bool {
    matches!(e.kind(), std::io::ErrorKind::StorageFull | std::io::ErrorKind::QuotaExceeded)
        || matches!(e.raw_os_error(), Some(28) | Some(122))
}

pub type Result<T> = std::result::Result<T, StorageError>;

/// A record of a domain table (bookings, holds, outbox …): storage keeps
/// the bytes and knows nothing of their meaning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordKey {
    /// Table name, e.g. `booking`.
    pub table: &'static str,
    /// Key within the table; keys sort bytewise, so a prefix scan finds
    /// related records.
    pub key: String,
}

impl RecordKey {
    pub fn new(table: &'static str, key: impl Into<String>) -> Self {
        RecordKey { table, key: key.into() }
    }
}

/// A calendar object change that belongs to a [`RecordBatch`].
#[derive(Debug, Clone)]
pub enum ObjectChange {
    Put { path: StorePath, write: ResourceWrite, cond: WriteCondition },
    Delete { path: StorePath, cond: WriteCondition },
}

/// Writes of domain records: `None` removes the record.
pub type RecordWrites = Vec<(RecordKey, Option<Vec<u8>>)>;

/// Record writes and at most one object change, applied atomically.
#[derive(Debug, Clone, Default)]
pub struct RecordBatch {
    /// `None` removes the record.
    pub records: RecordWrites,
    pub object: Option<ObjectChange>,
}

/// Re-index callback for [`Storage::extend_horizon`]: bytes → occurrences
/// up to the given horizon, or `None` when the bytes no longer parse.
pub type Reindex<'a> = &'a dyn Fn(&[u8], DateTime<Utc>) -> Option<IndexEntry>;

/// The storage operations slotdav needs. Each write is one atomic batch,
/// and is durable once [`Storage::flush`] returns.
pub trait Storage: Send + Sync {
    // --- users ---
    fn user(&self, name: &str) -> Result<Option<User>>;
    fn users(&self) -> Result<Vec<User>>;
    /// Creates or replaces a user record.
    fn put_user(&self, user: &User) -> Result<()>;
    /// Removes a user and everything in their home. False if there was no such user.
    fn remove_user(&self, name: &str) -> Result<bool>;
    /// Bytes every record in a user's home takes: resources, dead
    /// properties, indexes, change logs (kept up to date by every write).
    fn usage(&self, user: &str) -> Result<u64>;
    /// Counts `user`'s usage afresh from every record of their home: the
    /// number [`Storage::usage`] must always equal (for checks and repair).
    fn recount_usage(&self, user: &str) -> Result<u64>;
    /// Sets the quota writes are checked against (`u64::MAX`: none). A
    /// write that adds bytes to a home beyond it fails with
    /// [`StorageError::QuotaExceeded`]; writes that free bytes always pass.
    fn set_quota(&self, bytes: u64);

    // --- the tree ---
    fn node(&self, path: &StorePath) -> Result<Option<Node>>;
    /// Direct members of a collection, by name.
    fn children(&self, path: &StorePath) -> Result<Vec<(String, Node)>>;
    /// Calls `f` for each direct member in name order without collecting
    /// them first (for listings of big collections).
    fn for_each_child(&self, path: &StorePath, f: &mut dyn FnMut(String, Node) -> Result<()>) -> Result<()>;
    /// Calls `f` for each direct member in name order with only what a
    /// listing of names and etags needs ([`MemberHead`]), borrowed from
    /// the stored record where the backend can (sled decodes nothing
    /// else). The default goes through [`Storage::for_each_child`].
    fn for_each_member(&self, path: &StorePath, f: &mut dyn FnMut(&str, MemberHead<'_>) -> Result<()>) -> Result<()> {
        self.for_each_child(path, &mut |name, node| f(&name, MemberHead::of(&node)))
    }
    fn content(&self, path: &StorePath) -> Result<Option<Vec<u8>>>;
    /// Calls `f` with the stored bytes of a resource, borrowed from the
    /// backend where it can (no copy per object of a report); false when
    /// there are none.
    fn visit_content(&self, path: &StorePath, f: &mut dyn FnMut(&[u8])) -> Result<bool> {
        Ok(self.content(path)?.map(|b| f(&b)).is_some())
    }
    /// Makes a collection; its parent must exist (except for a home).
    fn create_collection(
        &self,
        path: &StorePath,
        calendar: bool,
        components: Vec<ComponentKind>,
        props: Vec<(String, String)>,
        now: DateTime<Utc>,
    ) -> Result<Node>;
    /// Creates or replaces a resource under `cond`.
    fn put_resource(
        &self,
        path: &StorePath,
        write: ResourceWrite,
        cond: &WriteCondition,
        now: DateTime<Utc>,
    ) -> Result<PutOutcome>;
    /// Deletes a resource or a whole collection under `cond`.
    fn delete(&self, path: &StorePath, cond: &WriteCondition, now: DateTime<Utc>) -> Result<()>;
    /// Copies (or moves, when `remove_source`) a node and, with `deep`, all
    /// below it. Returns true when the destination existed and was replaced.
    fn copy(
        &self,
        from: &StorePath,
        to: &StorePath,
        overwrite: bool,
        deep: bool,
        remove_source: bool,
        now: DateTime<Utc>,
    ) -> Result<bool>;

    // --- dead properties ---
    fn props(&self, path: &StorePath) -> Result<Vec<(String, String)>>;
    fn prop(&self, path: &StorePath, clark: &str) -> Result<Option<String>>;
    /// Applies all changes or none.
    fn patch_props(&self, path: &StorePath, changes: &[PropChange], now: DateTime<Utc>) -> Result<()>;

    // --- calendars ---
    /// The object holding `uid` in a calendar, if any.
    fn object_by_uid(&self, calendar: &StorePath, uid: &str) -> Result<Option<String>>;
    /// Changes since `revision`, or `None` when that revision is unknown
    /// (→ `DAV:valid-sync-token`).
    fn changes_since(&self, collection: &StorePath, revision: u64, limit: Option<usize>) -> Result<Option<ChangeSet>>;
    /// Objects that may overlap `range`, from the index.
    fn time_range_candidates(&self, calendar: &StorePath, range: &TimeRange) -> Result<Vec<Candidate>>;
    /// Calls `f` with each indexed occurrence overlapping `range`, for
    /// free/busy and booking, borrowed from the index. `f` must not call
    /// the store: a backend may be in the middle of a read.
    fn visit_occurrences(&self, calendar: &StorePath, range: &TimeRange, f: &mut dyn FnMut(OccurrenceRef<'_>)) -> Result<()>;
    /// [`Storage::visit_occurrences`], collected.
    fn occurrences(&self, calendar: &StorePath, range: &TimeRange) -> Result<Vec<IndexedOccurrence>> {
        let mut out = Vec::new();
        self.visit_occurrences(calendar, range, &mut |occ| out.push(occ.to_owned()))?;
        Ok(out)
    }
    /// Marks a collection as maintained by slotdav (clients cannot write it).
    fn set_read_only(&self, path: &StorePath, read_only: bool) -> Result<()>;
    /// Makes sure unbounded series are indexed at least up to `until`,
    /// re-indexing them with `reindex` when the horizon must move.
    fn extend_horizon(&self, calendar: &StorePath, until: DateTime<Utc>, reindex: Reindex<'_>) -> Result<()>;

    // --- domain records ---
    fn record(&self, key: &RecordKey) -> Result<Option<Vec<u8>>>;
    /// Records of `table` whose key starts with `prefix`, in key order.
    fn records(&self, table: &'static str, prefix: &str) -> Result<Vec<(String, Vec<u8>)>>;
    /// How many records [`Storage::records`] would return, without
    /// reading them out (the outbox's depth, every worker run).
    fn count_records(&self, table: &'static str, prefix: &str) -> Result<usize> {
        Ok(self.records(table, prefix)?.len())
    }
    /// Removes a record and returns what it held, atomically: of
    /// concurrent callers for one key exactly one gets the value.
    fn take_record(&self, key: &RecordKey) -> Result<Option<Vec<u8>>>;
    /// Applies record writes and the object change together, or nothing.
    /// Returns the outcome of an object PUT.
    fn apply(&self, batch: RecordBatch, now: DateTime<Utc>) -> Result<Option<PutOutcome>>;

    /// Like [`Storage::apply`] with several object changes (a booking's
    /// event moved and a reschedule request's event removed, issue 11
    /// §3), all in one atomic write. The default applies them one batch
    /// after another (the records with the last); a backend with batches
    /// makes it one.
    fn apply_objects(&self, objects: Vec<ObjectChange>, records: RecordWrites, now: DateTime<Utc>) -> Result<()> {
        let mut objects = objects.into_iter().peekable();
        if objects.peek().is_none() {
            return self.apply(RecordBatch { records, object: None }, now).map(|_| ());
        }
        let mut records = Some(records);
        while let Some(object) = objects.next() {
            let last = objects.peek().is_none();
            let records = if last { records.take().unwrap_or_default() } else { Vec::new() };
            self.apply(RecordBatch { records, object: Some(object) }, now)?;
        }
        Ok(())
    }

    /// Records of `table` with `from <= key < to`, in key order, at most
    /// `limit` of them: a bounded range scan (audit queries and pruning).
    /// The default filters [`Storage::records`]; a backend with ordered
    /// keys answers it without reading the rest of the table.
    fn records_between(&self, table: &'static str, from: &str, to: &str, limit: usize) -> Result<Vec<(String, Vec<u8>)>> {
        Ok(self
            .records(table, "")?
            .into_iter()
            .filter(|(k, _)| k.as_str() >= from && k.as_str() < to)
            .take(limit)
            .collect())
    }

    /// Creates or replaces a user and applies `records` in the same atomic
    /// write (an admin change and its audit entry). The default is two
    /// writes; a backend with batches makes it one.
    fn put_user_with(&self, user: &User, records: RecordWrites, now: DateTime<Utc>) -> Result<()> {
        self.put_user(user)?;
        self.apply(RecordBatch { records, object: None }, now).map(|_| ())
    }

    /// [`Storage::remove_user`], applying `records` in the same atomic
    /// write when the user existed (nothing is written otherwise).
    fn remove_user_with(&self, name: &str, records: RecordWrites, now: DateTime<Utc>) -> Result<bool> {
        if !self.remove_user(name)? {
            return Ok(false);
        }
        self.apply(RecordBatch { records, object: None }, now)?;
        Ok(true)
    }

    /// Blocks until every write applied before this call is on disk.
    /// Concurrent callers may share one sync (group commit).
    fn flush(&self) -> Result<()>;

    /// Verifies the DAV tree's invariants ([`check`]) and, with `repair`,
    /// fixes what can be fixed without touching a user's object. A backend
    /// without a checker says so.
    fn check_tree(&self, repair: bool) -> Result<check::CheckReport> {
        let _ = repair;
        Err(StorageError::Backend("this store has no checker".into()))
    }

    /// How many syncs [`Storage::flush`] ran for how many callers (zero
    /// for a backend that does not count).
    fn flush_stats(&self) -> FlushStats {
        FlushStats::default()
    }

    /// Prepares the store for a fast next start; `serve` calls it once it
    /// has stopped serving. sled writes a snapshot of its page table only
    /// when a database is opened, and an open reads every log segment
    /// written since the last snapshot: after a long run, seconds for a
    /// store of 100,000 events. So the sled store closes and reopens its
    /// database here (under the write lock; it takes as long as that
    /// read), and the next start reads the snapshot instead. A start after
    /// a crash still reads the log. No-op by default.
    fn checkpoint(&self) -> Result<()> {
        Ok(())
    }

    /// Bytes the store takes on disk (`/metrics`); zero for a backend
    /// that does not know.
    fn size_on_disk(&self) -> Result<u64> {
        Ok(0)
    }

    /// Hands every record of the store (key and value bytes, in key order)
    /// to `each`, all as of one instant: no write is applied while it runs
    /// (a backup, [`backup`]). `each` may fail and so end it. A backend
    /// that cannot say so.
    fn export_records(&self, each: &mut dyn FnMut(&[u8], &[u8]) -> Result<()>) -> Result<()> {
        let _ = each;
        Err(StorageError::Backend("this store cannot be backed up".into()))
    }

    /// Loads records in [`Storage::export_records`]' form (key and value
    /// bytes, in key order) into this store, which must be empty (a
    /// `slotdav storage copy`, [`copy`]). `next` yields them one by one and
    /// `None` at the end; the store is durable when this returns. A backend
    /// that cannot say so.
    fn import_records(&self, next: &mut dyn FnMut() -> Result<Option<(Vec<u8>, Vec<u8>)>>) -> Result<u64> {
        let _ = next;
        Err(StorageError::Backend("this store cannot be loaded".into()))
    }

    // --- several processes on one store (issue 10 §3) ---

    /// Enters the exclusive section `scope`: of all callers of one scope,
    /// in every process that shares this store, one at a time holds the
    /// returned guard. Whatever the holder reads was committed before it
    /// entered. The default is an in-process lock per scope
    /// ([`exclusive::process_wide`]), right for a store only one process
    /// opens; a shared database takes a lock of its own.
    fn exclusive(&self, scope: &str) -> Result<ExclusiveGuard> {
        Ok(exclusive::process_wide().enter(scope))
    }

    /// Claims the due entries of a queue table that no other holder has a
    /// live lease on ([`lease::Claim`] says which), leasing each to the
    /// claim's holder. The entry leaves the queue in a batch with
    /// [`lease::release`]. The default keeps the leases as records inside
    /// [`Storage::exclusive`].
    fn claim_due(&self, claim: &lease::Claim<'_>) -> Result<Vec<(String, Vec<u8>)>> {
        lease::claim_due_in_section(self, claim)
    }

    /// Takes the lease of the periodic job `job` until `until` when no one
    /// holds it now: true means "run it", false "another process has, this
    /// interval". The default keeps it as a record inside
    /// [`Storage::exclusive`].
    fn take_job(&self, job: &str, holder: &str, now: DateTime<Utc>, until: DateTime<Utc>) -> Result<bool> {
        lease::take_job_in_section(self, job, holder, now, until)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_times_read_as_chrono_reads_them() {
        let times = [
            "2026-05-01T10:00:00Z",
            "2026-05-01T10:00:00.5Z",
            "2026-05-01T10:00:00.123456789Z",
            "1970-01-01T00:00:00Z",
            "9999-12-31T23:59:59.999999999Z",
            "2016-12-31T23:59:60Z",
            "2026-05-01T10:00:00+02:00",
            "2026-05-01 10:00:00Z",
            "+10000-01-01T00:00:00Z",
        ];
        for t in times {
            let node = Node {
                kind: NodeKind::Collection(Collection {
                    calendar: false,
                    sync_id: 1,
                    revision: 2,
                    horizon: 3,
                    components: vec![],
                    read_only: false,
                }),
                created: Utc::now(),
                modified: Utc::now(),
            };
            // The record as chrono's serializer would have written `t`.
            let mut bytes = postcard::to_stdvec(&node.kind).unwrap();
            for _ in 0..2 {
                bytes.extend(postcard::to_stdvec(t).unwrap());
            }
            let ours: std::result::Result<Node, _> = postcard::from_bytes(&bytes);
            let chronos = t.parse::<DateTime<Utc>>();
            match (ours, chronos) {
                (Ok(n), Ok(c)) => assert_eq!((n.created, n.modified), (c, c), "{t}"),
                (Err(_), Err(_)) => {}
                (o, c) => panic!("{t}: ours {o:?}, chrono {c:?}"),
            }
        }
        let now = Utc::now();
        let node = Node { kind: NodeKind::Collection(Collection { calendar: true, sync_id: 0, revision: 0, horizon: 0, components: vec![], read_only: true }), created: now, modified: now };
        let back: Node = postcard::from_bytes(&postcard::to_stdvec(&node).unwrap()).unwrap();
        assert_eq!(back, node);
        assert!(stored_time::quick(b"2026-02-30T00:00:00Z").is_none());
        assert!(stored_time::quick(b"2026-05-01T10:00:00.Z").is_none());
    }

    #[test]
    fn enospc_and_edquot_are_a_full_disk_other_io_errors_are_not() {
        for e in [std::io::Error::from_raw_os_error(28), std::io::Error::from_raw_os_error(122), std::io::Error::from(std::io::ErrorKind::StorageFull)] {
            assert!(is_storage_full(&e), "{e:?}");
            assert!(matches!(StorageError::from_io("write", &e), StorageError::Full(_)), "{e:?}");
        }
        // sled clones an I/O error as kind + text, so the kind must do.
        let cloned = std::io::Error::new(std::io::Error::from_raw_os_error(28).kind(), "No space left on device (os error 28)");
        assert!(is_storage_full(&cloned));
        for e in [std::io::Error::from_raw_os_error(5), std::io::Error::from(std::io::ErrorKind::PermissionDenied)] {
            assert!(!is_storage_full(&e), "{e:?}");
            assert!(matches!(StorageError::from_io("write", &e), StorageError::Backend(_)), "{e:?}");
        }
    }
}
