//! Collections slotdav makes on a user's behalf: a home with its default
//! calendar on first use, a coach's availability and sessions calendars,
//! the mirrors of external calendars. Their display names are stored as
//! `{DAV:}displayname` dead properties, in the fragment form the DAV layer
//! stores every client's dead properties in, so clients read them as their
//! own; [`fragment_text`] reads such a plain-text fragment back.
//!
//! Domain level: used by `dav`, `feeds` and `app`; may import only
//! `storage`, `ical` and `model`.

use chrono::{DateTime, Utc};

use crate::ical::ComponentKind;
use crate::storage::{Storage, StorageError, StorePath};

/// The name of the calendar every new home starts with.
pub const DEFAULT_CALENDAR: &str = "calendar";

/// The Clark name of the display-name property.
pub const DISPLAY_NAME: &str = "{DAV:}displayname";

/// `text` as a stored `{DAV:}displayname` fragment:
/// `<D:displayname xmlns:D="DAV:">R&amp;D</D:displayname>`. Escapes as
/// the XML layer escapes element text (XML 1.0 §2.4): markup characters,
/// and characters XML does not allow replaced by U+FFFD.
pub fn display_name_fragment(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 48);
    out.push_str("<D:displayname xmlns:D=\"DAV:\">");
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\r' | '\n' | '\t' => out.push(c),
            '\u{0}'..='\u{1f}' | '\u{fffe}' | '\u{ffff}' => out.push('\u{FFFD}'),
            _ => out.push(c),
        }
    }
    out.push_str("</D:displayname>");
    out
}

/// The text content of a stored property fragment (`<D:displayname
/// xmlns:D="DAV:">Work &amp; play</D:displayname>` → `Work & play`), for
/// dead properties whose value is plain text. `None` when it has child
/// elements or is not a fragment.
pub fn fragment_text(fragment: &str) -> Option<String> {
    let start = fragment.find('>')? + 1;
    let end = fragment.rfind("</")?;
    let inner = fragment.get(start..end)?;
    if inner.contains('<') {
        return None;
    }
    quick_xml::escape::unescape(inner).ok().map(|s| s.into_owned())
}

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
    let all = vec![ComponentKind::Event, ComponentKind::Todo, ComponentKind::Journal, ComponentKind::Availability];
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
    let props = vec![(DISPLAY_NAME.to_string(), display_name_fragment(display_name))];
    match storage.create_collection(path, true, components, props, now) {
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
        assert_eq!(fragment_text(&stored).as_deref(), Some("R&D <team>"));
    }

    #[test]
    fn display_names_are_written_as_the_xml_layer_writes_them() {
        use crate::dav::xml::{response::fragment, PropName, XmlNode};
        for text in ["Calendar", "R&D <team>", "a\r\nb\tc", "bell\u{7} \u{FFFF}", "Grüße 🎉", "\"q\" 'a'"] {
            let expected = fragment(&XmlNode::text_element(PropName::dav("displayname"), text));
            assert_eq!(display_name_fragment(text), expected, "{text:?}");
        }
    }

    #[test]
    fn fragment_text_decodes_entities_and_refuses_elements() {
        assert_eq!(fragment_text(r#"<D:displayname xmlns:D="DAV:">Work &amp; play</D:displayname>"#).as_deref(), Some("Work & play"));
        assert_eq!(fragment_text(r#"<C:calendar-timezone xmlns:C="urn:ietf:params:xml:ns:caldav">BEGIN:VCALENDAR&#13;
END:VCALENDAR</C:calendar-timezone>"#).as_deref(), Some("BEGIN:VCALENDAR\r\nEND:VCALENDAR"));
        assert_eq!(fragment_text(r#"<x:a xmlns:x="y"><x:b/></x:a>"#), None);
    }
}
