//! Whole calendars as `.ics` files: `slotdav export` writes each calendar
//! of a user as one VCALENDAR (its objects merged, each VTIMEZONE once:
//! [`ical::export::merge_calendar`]); `slotdav import` splits a file into
//! one object per UID ([`ical::export::split_feed`]), checks each as a PUT
//! does (`check_storable`, the date bounds, the recurrence budget) and
//! stores it through [`Storage::put_resource`] with its index entry, so
//! UID index, time-range index, quota and the change log (sync) are right.
//! An object whose UID the calendar already has replaces it in place (or
//! is kept, with `skip_existing`); the report names every UID refused and
//! why.
//!
//! An import is plain CalDAV storage: no write hook runs, so nothing is
//! scheduled or mailed (a coach moving in does not re-invite everyone) and
//! a booking's event imported into a bookings calendar is not reconciled.
//!
//! Imports `ical`, `provision`, `storage`, `hex`.

use std::collections::BTreeMap;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::ical::{self, CalendarObject, ComponentKind};
use crate::provision;
use crate::storage::{CalendarWrite, ResourceWrite, Storage, StorageError, StorePath, WriteCondition};

/// The largest file `slotdav import` reads (64 MiB: a hundred thousand
/// events and more).
pub const MAX_IMPORT_BYTES: u64 = 64 * 1024 * 1024;

/// Why an export or an import did not happen at all.
#[derive(Debug, thiserror::Error)]
pub enum TransferError {
    #[error("no user `{0}`")]
    NoUser(String),
    #[error("`{0}` has no calendar `{1}`")]
    NoCalendar(String, String),
    #[error("{0}/{1} is not a calendar")]
    NotACalendar(String, String),
    #[error("{0}/{1} is read-only (a mirror of an external calendar)")]
    ReadOnly(String, String),
    #[error("`{0}` is not a valid calendar name")]
    BadName(String),
    #[error("{} is not an iCalendar file (it does not open with BEGIN:VCALENDAR)", .0.display())]
    NotICalendar(PathBuf),
    #[error("{} is larger than {MAX_IMPORT_BYTES} bytes", .0.display())]
    TooLarge(PathBuf),
    #[error("{what} {}: {source}", path.display())]
    Io { what: &'static str, path: PathBuf, source: std::io::Error },
    #[error("the store: {0}")]
    Storage(#[from] StorageError),
}

type Result<T> = std::result::Result<T, TransferError>;

/// One calendar written by [`export`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportedCalendar {
    pub calendar: String,
    pub file: PathBuf,
    pub objects: usize,
}

/// Writes `user`'s calendars (or only `calendar`) into `out_dir`, one
/// `USER-CALENDAR.ics` each (owner-only, replaced atomically).
pub fn export(storage: &dyn Storage, user: &str, calendar: Option<&str>, out_dir: &Path) -> Result<Vec<ExportedCalendar>> {
    if storage.user(user)?.is_none() {
        return Err(TransferError::NoUser(user.into()));
    }
    let home = StorePath::home(user);
    let names: Vec<String> = match calendar {
        Some(name) => {
            check_name(name)?;
            match storage.node(&home.child(name))? {
                None => return Err(TransferError::NoCalendar(user.into(), name.into())),
                Some(n) if !n.is_calendar() => return Err(TransferError::NotACalendar(user.into(), name.into())),
                Some(_) => vec![name.to_string()],
            }
        }
        None if storage.node(&home)?.is_none() => Vec::new(),
        None => storage.children(&home)?.into_iter().filter(|(_, n)| n.is_calendar()).map(|(name, _)| name).collect(),
    };
    // A missing folder is made owner-only; an existing one (the working
    // directory) keeps its mode.
    if !out_dir.exists() {
        crate::storage::files::create_private_dir(out_dir).map_err(|source| TransferError::Io { what: "cannot create", path: out_dir.into(), source })?;
    }
    let mut out = Vec::new();
    for name in names {
        let path = home.child(&name);
        let mut objects = Vec::new();
        for (member, node) in storage.children(&path)? {
            if node.resource().is_some_and(|r| r.calendar.is_some()) {
                if let Some(bytes) = storage.content(&path.child(&member))? {
                    objects.push(String::from_utf8_lossy(&bytes).into_owned());
                }
            }
        }
        let title = storage
            .prop(&path, provision::DISPLAY_NAME)?
            .and_then(|f| provision::fragment_text(&f))
            .unwrap_or_else(|| name.clone());
        let text = ical::export::merge_calendar(objects.iter().map(String::as_str), &title);
        let file = out_dir.join(format!("{user}-{name}.ics"));
        write_private(&file, text.as_bytes())?;
        out.push(ExportedCalendar { calendar: name, file, objects: objects.len() });
    }
    Ok(out)
}

/// Writes `bytes` to `file` through a temporary file and a rename.
fn write_private(file: &Path, bytes: &[u8]) -> Result<()> {
    let io = |what, path: &Path| {
        let path = path.to_path_buf();
        move |source| TransferError::Io { what, path, source }
    };
    let temp = file.with_extension("ics.partial");
    let mut f = std::fs::OpenOptions::new().write(true).create(true).truncate(true).mode(crate::storage::files::FILE_MODE).open(&temp).map_err(io("cannot create", &temp))?;
    f.write_all(bytes).and_then(|()| f.sync_all()).map_err(io("cannot write", &temp))?;
    std::fs::rename(&temp, file).map_err(io("cannot rename to", file))
}

/// What [`import`] did with each object of the file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportReport {
    /// UIDs stored as new objects.
    pub imported: Vec<String>,
    /// UIDs that replaced the calendar's object with that UID.
    pub replaced: Vec<String>,
    /// UIDs the calendar had, kept (`skip_existing`).
    pub kept: Vec<String>,
    /// UIDs refused, with the reason (as a PUT would have refused them).
    pub refused: Vec<(String, String)>,
}

impl ImportReport {
    /// The report for the admin: the counts, then one line per refusal.
    pub fn text(&self) -> String {
        let mut out = format!(
            "imported {}, replaced {}, kept {}, refused {}",
            self.imported.len(),
            self.replaced.len(),
            self.kept.len(),
            self.refused.len()
        );
        for (uid, why) in &self.refused {
            out.push_str(&format!("\nrefused {uid}: {why}"));
        }
        out
    }
}

/// Reads the `.ics` file `file` into `user`'s `calendar` ([`import_text`]).
pub fn import_file(storage: &dyn Storage, user: &str, calendar: &str, file: &Path, skip_existing: bool, now: DateTime<Utc>) -> Result<ImportReport> {
    let io = |what| move |source| TransferError::Io { what, path: file.to_path_buf(), source };
    if std::fs::metadata(file).map_err(io("cannot read"))?.len() > MAX_IMPORT_BYTES {
        return Err(TransferError::TooLarge(file.into()));
    }
    let bytes = std::fs::read(file).map_err(io("cannot read"))?;
    let text = String::from_utf8_lossy(&bytes);
    if !ical::export::opens_as_vcalendar(&text) {
        return Err(TransferError::NotICalendar(file.into()));
    }
    import_text(storage, user, calendar, &text, skip_existing, now)
}

/// Splits `text` into objects by UID and stores each valid one in
/// `user`'s `calendar` (made, with the home, when missing).
pub fn import_text(storage: &dyn Storage, user: &str, calendar: &str, text: &str, skip_existing: bool, now: DateTime<Utc>) -> Result<ImportReport> {
    check_name(calendar)?;
    if storage.user(user)?.is_none() {
        return Err(TransferError::NoUser(user.into()));
    }
    let path = StorePath::home(user).child(calendar);
    let node = match storage.node(&path)? {
        Some(n) => n,
        None => {
            provision::home(storage, user, now)?;
            let all = vec![ComponentKind::Event, ComponentKind::Todo, ComponentKind::Journal, ComponentKind::Availability];
            provision::calendar(storage, &path, calendar, all, now)?;
            storage.node(&path)?.ok_or(StorageError::NotFound)?
        }
    };
    let coll = node.collection().filter(|c| c.calendar).ok_or_else(|| TransferError::NotACalendar(user.into(), calendar.into()))?;
    if coll.read_only {
        return Err(TransferError::ReadOnly(user.into(), calendar.into()));
    }
    let horizon = DateTime::from_timestamp(coll.horizon, 0).unwrap_or(DateTime::<Utc>::MAX_UTC);
    let mut report = ImportReport::default();
    // Names given in this import, so two UIDs never share one.
    let mut taken: BTreeMap<String, ()> = BTreeMap::new();
    for (uid, object_text) in ical::export::split_feed(text) {
        let object = match checked(&object_text, &uid, horizon) {
            Ok(o) => o,
            Err(why) => {
                report.refused.push((uid, why));
                continue;
            }
        };
        let existing = storage.object_by_uid(&path, &uid)?;
        if existing.is_some() && skip_existing {
            report.kept.push(uid);
            continue;
        }
        let name = match &existing {
            Some(name) => name.clone(),
            None => match free_name(storage, &path, &uid, &taken)? {
                Some(name) => name,
                None => {
                    report.refused.push((uid, "no free resource name for it".into()));
                    continue;
                }
            },
        };
        let write = ResourceWrite {
            bytes: object_text.into_bytes(),
            content_type: "text/calendar; charset=utf-8".into(),
            calendar: Some(CalendarWrite { uid: uid.clone(), kind: object.0, index: object.1 }),
        };
        match storage.put_resource(&path.child(&name), write, &WriteCondition::default(), now) {
            Ok(_) => {
                taken.insert(name, ());
                if existing.is_some() {
                    report.replaced.push(uid);
                } else {
                    report.imported.push(uid);
                }
            }
            Err(e @ (StorageError::QuotaExceeded { .. } | StorageError::UidConflict { .. } | StorageError::Conflict(_))) => {
                report.refused.push((uid, e.to_string()));
            }
            Err(StorageError::UnsupportedComponent(kind)) => report.refused.push((uid, format!("the calendar does not take {kind:?} components"))),
            Err(e) => return Err(e.into()),
        }
    }
    storage.flush()?;
    Ok(report)
}

/// What a PUT checks (RFC 4791 §4.1, RFC 5545 as `check_storable` has it,
/// min/max-date-time, the recurrence budget): the kind and index entry,
/// or why not.
fn checked(text: &str, uid: &str, horizon: DateTime<Utc>) -> std::result::Result<(ComponentKind, ical::IndexEntry), String> {
    let object = CalendarObject::parse(text.as_bytes()).map_err(|e| e.to_string())?;
    object.check_storable().map_err(|e| e.to_string())?;
    object.check_date_bounds().map_err(|e| e.to_string())?;
    if object.uid() != uid {
        return Err(format!("its UID reads as `{}`", object.uid()));
    }
    let index = object.checked_index_entry(horizon).map_err(|e| e.to_string())?;
    Ok((object.kind(), index))
}

/// A resource name for a new object: `UID.ics` when the UID is a plain
/// name, else a digest of it; `None` when both are in use.
fn free_name(storage: &dyn Storage, calendar: &StorePath, uid: &str, taken: &BTreeMap<String, ()>) -> Result<Option<String>> {
    let plain = uid.len() <= 200 && !uid.is_empty() && uid.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.@".contains(&b)) && !uid.starts_with('.');
    let digest = format!("{}.ics", &crate::hex::encode(&Sha256::digest(uid.as_bytes()))[..32]);
    let candidates = if plain { vec![format!("{uid}.ics"), digest] } else { vec![digest] };
    for name in candidates {
        if !taken.contains_key(&name) && storage.node(&calendar.child(&name))?.is_none() {
            return Ok(Some(name));
        }
    }
    Ok(None)
}

/// A calendar name is one path segment.
fn check_name(name: &str) -> Result<()> {
    if name.is_empty() || name.contains('/') || name.contains('\0') || name == "." || name == ".." {
        return Err(TransferError::BadName(name.into()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::{SledStorage, User};

    #[test]
    fn new_objects_are_named_after_a_plain_uid_else_its_digest() {
        let dir = tempfile::tempdir().unwrap();
        let storage = SledStorage::open(dir.path(), false, None).unwrap();
        let cal = StorePath::home("ann").child("work");
        let none = BTreeMap::new();
        assert_eq!(free_name(&storage, &cal, "abc-1@example.org", &none).unwrap().as_deref(), Some("abc-1@example.org.ics"));
        let odd = free_name(&storage, &cal, "a/b c", &none).unwrap().unwrap();
        assert!(odd.len() == 36 && odd.ends_with(".ics") && !odd.contains('/'), "{odd}");
        let mut taken = BTreeMap::new();
        taken.insert("x.ics".to_string(), ());
        assert_ne!(free_name(&storage, &cal, "x", &taken).unwrap().as_deref(), Some("x.ics"), "a name this import gave is not reused");
        for bad in ["", "a/b", "..", "."] {
            assert!(matches!(check_name(bad), Err(TransferError::BadName(_))), "{bad:?}");
        }
    }

    #[test]
    fn an_import_into_a_read_only_or_missing_users_calendar_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let storage = SledStorage::open(dir.path(), false, None).unwrap();
        let now = Utc::now();
        let text = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n";
        assert!(matches!(import_text(&storage, "ann", "work", text, false, now), Err(TransferError::NoUser(_))));
        storage.put_user(&User { name: "ann".into(), password_hash: String::new(), email: None, created: now }).unwrap();
        provision::home(&storage, "ann", now).unwrap();
        let mirror = StorePath::home("ann").child("mirror");
        provision::calendar(&storage, &mirror, "m", vec![], now).unwrap();
        storage.set_read_only(&mirror, true).unwrap();
        assert!(matches!(import_text(&storage, "ann", "mirror", text, false, now), Err(TransferError::ReadOnly(..))));
        let report = import_text(&storage, "ann", "new", text, false, now).unwrap();
        assert_eq!(report, ImportReport::default(), "an empty file makes the calendar and imports nothing");
        assert!(storage.node(&StorePath::home("ann").child("new")).unwrap().is_some_and(|n| n.is_calendar()));
    }
}
