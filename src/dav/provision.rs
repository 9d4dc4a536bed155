//! Collections slotdav makes on a user's behalf: a home with its default
//! calendar on first use, a coach's availability and sessions calendars,
//! the mirrors of external calendars. Their display names are stored as
//! dead properties, written by the XML layer like any client's.

use chrono::{DateTime, Utc};

use super::xml::{response::fragment, PropName, XmlNode};
use crate::ical::ComponentKind;
use crate::storage::{Storage, StorageError, StorePath};

/// The name of the calendar every new home starts with.
pub const DEFAULT_CALENDAR: &str = "calendar";

/// Creates `user`'s home, and in a new home the default calendar.
pub fn home(storage: &dyn Storage, user: &str, now: DateTime<Utc>) -> Result<(), StorageError> {
    let home = StorePath::home(user);
    if storage.node(&home)?.is_some() {
        return Ok(());
    }
    match storage.create_collection(&home, false, vec![], vec![], now) {
        Ok(_) | Err(StorageError::AlreadyExists) => {}
        Err(e) => return Err(e),
    }
    let all = vec![ComponentKind::Event, ComponentKind::Todo, ComponentKind::Journal];
    calendar(storage, &home.child(DEFAULT_CALENDAR), "Calendar", all, now)?;
    storage.flush()?;
    tracing::info!(user, "provisioned calendar home");
    Ok(())
}

/// Creates a calendar with a display name unless something exists at `path`.
pub fn calendar(
    storage: &dyn Storage,
    path: &StorePath,
    display_name: &str,
    components: Vec<ComponentKind>,
    now: DateTime<Utc>,
) -> Result<(), StorageError> {
    if storage.node(path)?.is_some() {
        return Ok(());
    }
    let name = PropName::dav("displayname");
    let value = fragment(&XmlNode::text_element(name.clone(), display_name));
    match storage.create_collection(path, true, components, vec![(name.clark(), value)], now) {
        Ok(_) | Err(StorageError::AlreadyExists) => Ok(()),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::SledStorage;

    #[test]
    fn a_new_home_gets_the_default_calendar_once_with_an_escaped_name() {
        let dir = tempfile::tempdir().unwrap();
        let storage = SledStorage::open(dir.path(), false, None).unwrap();
        let now = Utc::now();
        home(&storage, "ann", now).unwrap();
        home(&storage, "ann", now).unwrap();
        let cal = StorePath::home("ann").child(DEFAULT_CALENDAR);
        assert!(storage.node(&cal).unwrap().unwrap().is_calendar());
        let other = StorePath::home("ann").child("r&d");
        calendar(&storage, &other, "R&D <team>", vec![], now).unwrap();
        let stored = storage.prop(&other, "{DAV:}displayname").unwrap().unwrap();
        assert_eq!(crate::dav::xml::fragment_text(&stored).as_deref(), Some("R&D <team>"));
    }
}
