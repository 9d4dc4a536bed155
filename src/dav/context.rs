//! [`DavContext`]: everything the DAV handlers may use — the store, the
//! clock, the limits they enforce and announce, and the [`WriteHooks`]
//! that domain services register to take part in calendar writes.
//!
//! A write hook is how work that is not WebDAV's (a booking that follows
//! its event, the email that implicit scheduling sends) rides along with a
//! PUT or DELETE, in the same storage batch, without `dav` naming the
//! services that do it. `app` registers the hooks; `dav` only calls them.
//! May import `storage`, `ical`, `clock`, `model` and the rest of `dav`.

use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::xml::PropName;
use super::DavError;
use crate::clock::Clock;
use crate::ical::CalendarObject;
use crate::storage::{RecordWrites, Storage, StorageError, StorePath, User};

/// The store, clock, limits and hooks of the DAV surface.
pub struct DavContext {
    pub storage: Arc<dyn Storage>,
    pub clock: Arc<dyn Clock>,
    pub limits: DavLimits,
    pub hooks: WriteHooks,
}

impl DavContext {
    /// A context with no write hooks: plain CalDAV over `storage`.
    pub fn new(storage: Arc<dyn Storage>, clock: Arc<dyn Clock>, limits: DavLimits) -> Self {
        DavContext { storage, clock, limits, hooks: WriteHooks::default() }
    }
}

/// The limits DAV requests are held to, and announced as live properties.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DavLimits {
    /// Largest calendar object (`CALDAV:max-resource-size`).
    pub max_resource_size: u64,
    /// Attendees per instance, announced as
    /// `CALDAV:max-attendees-per-instance` (a hook enforces it).
    pub max_attendees: u32,
    /// Dead properties per resource, and bytes per dead property.
    pub max_dead_properties: usize,
    pub max_dead_property_bytes: u64,
    /// Bytes each user may store (`u64::MAX`: no quota).
    pub quota: u64,
}

/// The calendar object write a hook is asked about.
pub struct ObjectWrite<'a> {
    /// Who writes: the authenticated user.
    pub user: &'a User,
    /// The object's path, and the calendar it is in.
    pub path: &'a StorePath,
    pub calendar: &'a StorePath,
    pub now: DateTime<Utc>,
    pub(super) storage: &'a dyn Storage,
}

impl ObjectWrite<'_> {
    /// The object stored at the path before this write, parsed.
    pub fn stored_object(&self) -> Result<Option<CalendarObject>, StorageError> {
        super::load_object(self.storage, self.path)
    }
}

/// Why a hook refused a write or could not decide.
#[derive(Debug, thiserror::Error)]
pub enum HookError {
    /// The write breaks a precondition. → 403 with that condition
    /// (e.g. `CALDAV:max-attendees-per-instance`).
    #[error("precondition {}", .0.local)]
    Forbidden(PropName),
    /// The store failed or said no; keeps its meaning (→ `DavError::Storage`).
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// Anything else. → 500
    #[error("{0}")]
    Failed(String),
}

impl From<HookError> for DavError {
    fn from(e: HookError) -> Self {
        match e {
            HookError::Forbidden(name) => DavError::forbidden(name),
            HookError::Storage(s) => DavError::Storage(s),
            HookError::Failed(msg) => DavError::Hook(msg),
        }
    }
}

/// A domain service's part in writes of calendar objects. Each method has
/// a default that does nothing.
pub trait WriteHook: Send + Sync {
    /// May refuse `object` before anything is decided (every hook is asked).
    fn check_put(&self, _write: &ObjectWrite, _object: &CalendarObject) -> Result<(), HookError> {
        Ok(())
    }
    /// The text to store instead of `object` (RFC 6638 §3.2: the server
    /// notes SCHEDULE-STATUS on the organizer's attendees); `None`: as
    /// sent. A PUT whose object was changed answers without an ETag
    /// (RFC 4791 §5.3.4).
    fn stored_form(&self, _write: &ObjectWrite, _object: &CalendarObject) -> Result<Option<String>, HookError> {
        Ok(None)
    }
    /// Records to write in the same batch as `object`; `None`: not this
    /// hook's business, ask the next.
    fn on_put(&self, _write: &ObjectWrite, _object: &CalendarObject) -> Result<Option<RecordWrites>, HookError> {
        Ok(None)
    }
    /// Records to write in the same batch as the deletion of the object
    /// with `uid`; `None`: ask the next hook.
    fn on_delete(&self, _write: &ObjectWrite, _uid: &str) -> Result<Option<RecordWrites>, HookError> {
        Ok(None)
    }
    /// Called once the records this hook returned are durable.
    fn after_write(&self) {}
}

/// The registered hooks, asked in order; the first that returns records
/// for a write decides it.
#[derive(Default, Clone)]
pub struct WriteHooks {
    hooks: Vec<Arc<dyn WriteHook>>,
}

/// The records a hook returned, and which hook to tell once they are durable.
pub struct HookRecords {
    pub records: RecordWrites,
    hook: Arc<dyn WriteHook>,
}

impl HookRecords {
    /// Tells the hook that its records are durable.
    pub fn written(&self) {
        self.hook.after_write();
    }
}

impl WriteHooks {
    /// Adds a hook after those already registered.
    pub fn register(&mut self, hook: Arc<dyn WriteHook>) {
        self.hooks.push(hook);
    }

    pub fn is_empty(&self) -> bool {
        self.hooks.is_empty()
    }

    pub(super) fn check_put(&self, write: &ObjectWrite, object: &CalendarObject) -> Result<(), HookError> {
        self.hooks.iter().try_for_each(|h| h.check_put(write, object))
    }

    /// The stored form of `object` after every hook had its say, if any changed it.
    pub(super) fn stored_form(&self, write: &ObjectWrite, object: &CalendarObject) -> Result<Option<CalendarObject>, HookError> {
        let mut changed: Option<CalendarObject> = None;
        for hook in &self.hooks {
            if let Some(text) = hook.stored_form(write, changed.as_ref().unwrap_or(object))? {
                match CalendarObject::parse(text.as_bytes()) {
                    Ok(o) => changed = Some(o),
                    Err(e) => return Err(HookError::Failed(format!("a hook wrote an object that does not parse: {e}"))),
                }
            }
        }
        Ok(changed)
    }

    pub(super) fn on_put(&self, write: &ObjectWrite, object: &CalendarObject) -> Result<Option<HookRecords>, HookError> {
        for hook in &self.hooks {
            if let Some(records) = hook.on_put(write, object)? {
                return Ok(Some(HookRecords { records, hook: hook.clone() }));
            }
        }
        Ok(None)
    }

    pub(super) fn on_delete(&self, write: &ObjectWrite, uid: &str) -> Result<Option<HookRecords>, HookError> {
        for hook in &self.hooks {
            if let Some(records) = hook.on_delete(write, uid)? {
                return Ok(Some(HookRecords { records, hook: hook.clone() }));
            }
        }
        Ok(None)
    }
}
