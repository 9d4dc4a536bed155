//! The URL layout (RFC 6764 discovery leads here):
//!
//! | URL | resource |
//! |---|---|
//! | `/dav/` | the DAV root |
//! | `/dav/principals/` | the principal collection |
//! | `/dav/principals/NAME/` | a user's principal (RFC 5397) |
//! | `/dav/principals/NAME/inbox/`, `…/outbox/` | their scheduling inbox and outbox (RFC 6638 §2.2, §2.1) |
//! | `/dav/principals/NAME/inbox/MSG` | a message in the inbox (`scheduling::inbox`) |
//! | `/dav/calendars/` | the collection of calendar homes |
//! | `/dav/calendars/NAME/…` | a user's calendar home and all below it, in the store |

use percent_encoding::percent_decode_str;

use crate::http::encode_segment;
use crate::storage::{Node, Storage, StorageError, StorePath};

pub const DAV_ROOT: &str = "/dav/";
pub const PRINCIPALS: &str = "/dav/principals/";
pub const CALENDARS: &str = "/dav/calendars/";


/// A resource addressed by a request URL. `S` is what stands for the
/// stored part: its [`StorePath`] as parsed, or, once the resource is
/// known to exist, the path with its loaded [`Node`] (a [`Target`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DavPath<S = StorePath> {
    Root,
    PrincipalsRoot,
    Principal(String),
    ScheduleInbox(String),
    /// A message in a user's schedule inbox: user, message name.
    ScheduleInboxItem(String, String),
    ScheduleOutbox(String),
    CalendarsRoot,
    Store(S),
}

/// Why a URL path names nothing slotdav serves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathError {
    /// Not below `/dav/`. → 404
    Outside,
    /// A segment that cannot name a resource (`..`, an encoded `/`, NUL,
    /// invalid UTF-8). → 400
    BadSegment,
}

impl DavPath {
    /// Parses the path of a request URI (without query).
    pub fn parse(uri_path: &str) -> Result<DavPath, PathError> {
        let rest = uri_path.strip_prefix("/dav").ok_or(PathError::Outside)?;
        if !(rest.is_empty() || rest.starts_with('/')) {
            return Err(PathError::Outside);
        }
        let mut segments = Vec::new();
        for raw in rest.split('/').filter(|s| !s.is_empty()) {
            let seg = percent_decode_str(raw).decode_utf8().map_err(|_| PathError::BadSegment)?;
            if seg == "." || seg == ".." || seg.contains('/') || seg.contains('\0') {
                return Err(PathError::BadSegment);
            }
            segments.push(seg.into_owned());
        }
        Ok(match segments.first().map(String::as_str) {
            None => DavPath::Root,
            Some("principals") => match segments.len() {
                1 => DavPath::PrincipalsRoot,
                2 => DavPath::Principal(segments[1].clone()),
                3 if segments[2] == "inbox" => DavPath::ScheduleInbox(segments[1].clone()),
                3 if segments[2] == "outbox" => DavPath::ScheduleOutbox(segments[1].clone()),
                4 if segments[2] == "inbox" => DavPath::ScheduleInboxItem(segments[1].clone(), segments[3].clone()),
                _ => return Err(PathError::Outside),
            },
            Some("calendars") => {
                if segments.len() == 1 {
                    DavPath::CalendarsRoot
                } else {
                    DavPath::Store(StorePath::new(segments[1..].to_vec()))
                }
            }
            Some(_) => return Err(PathError::Outside),
        })
    }

    /// The user whose data this is, if any.
    pub fn owner(&self) -> Option<&str> {
        match self {
            DavPath::Principal(u) | DavPath::ScheduleInbox(u) | DavPath::ScheduleOutbox(u) => Some(u),
            DavPath::ScheduleInboxItem(u, _) => Some(u),
            DavPath::Store(p) => Some(p.owner()),
            _ => None,
        }
    }

    /// The href of this resource; collections end in `/`.
    pub fn href(&self, collection: bool) -> String {
        match self {
            DavPath::Root => DAV_ROOT.to_string(),
            DavPath::PrincipalsRoot => PRINCIPALS.to_string(),
            DavPath::Principal(u) => principal_href(u),
            DavPath::ScheduleInbox(u) => format!("{}inbox/", principal_href(u)),
            DavPath::ScheduleOutbox(u) => format!("{}outbox/", principal_href(u)),
            DavPath::ScheduleInboxItem(u, name) => format!("{}inbox/{}", principal_href(u), encode_segment(name)),
            DavPath::CalendarsRoot => CALENDARS.to_string(),
            DavPath::Store(p) => store_href(p, collection),
        }
    }
}

/// A DAV path whose resource exists, with its stored node loaded: what
/// properties are asked of and reports run on.
pub type Target = DavPath<(StorePath, Node)>;

impl DavPath {
    /// The resource at this path with its node, if it exists. The virtual
    /// resources of a user (principal, inbox, outbox) exist with the user.
    pub fn load(&self, storage: &dyn Storage) -> Result<Option<Target>, StorageError> {
        Ok(match self {
            DavPath::Root => Some(Target::Root),
            DavPath::PrincipalsRoot => Some(Target::PrincipalsRoot),
            DavPath::CalendarsRoot => Some(Target::CalendarsRoot),
            DavPath::Principal(u) => storage.user(u)?.map(|u| Target::Principal(u.name)),
            DavPath::ScheduleInbox(u) => storage.user(u)?.map(|u| Target::ScheduleInbox(u.name)),
            DavPath::ScheduleOutbox(u) => storage.user(u)?.map(|u| Target::ScheduleOutbox(u.name)),
            DavPath::ScheduleInboxItem(u, name) => crate::scheduling::inbox::get(storage, u, name)?
                .map(|_| Target::ScheduleInboxItem(u.clone(), name.clone())),
            DavPath::Store(p) => storage.node(p)?.map(|n| Target::Store((p.clone(), n))),
        })
    }
}

impl Target {
    /// The path alone, without the node.
    pub fn dav_path(&self) -> DavPath {
        match self {
            Target::Root => DavPath::Root,
            Target::PrincipalsRoot => DavPath::PrincipalsRoot,
            Target::Principal(u) => DavPath::Principal(u.clone()),
            Target::ScheduleInbox(u) => DavPath::ScheduleInbox(u.clone()),
            Target::ScheduleOutbox(u) => DavPath::ScheduleOutbox(u.clone()),
            Target::ScheduleInboxItem(u, n) => DavPath::ScheduleInboxItem(u.clone(), n.clone()),
            Target::CalendarsRoot => DavPath::CalendarsRoot,
            Target::Store((p, _)) => DavPath::Store(p.clone()),
        }
    }
    pub fn is_collection(&self) -> bool {
        match self {
            Target::Store((_, n)) => n.is_collection(),
            Target::ScheduleInboxItem(..) => false,
            _ => true,
        }
    }
    pub fn href(&self) -> String {
        self.dav_path().href(self.is_collection())
    }
    pub fn store_path(&self) -> Option<&StorePath> {
        match self {
            Target::Store((p, _)) => Some(p),
            _ => None,
        }
    }
}

pub fn principal_href(user: &str) -> String {
    format!("{PRINCIPALS}{}/", encode_segment(user))
}

pub fn home_href(user: &str) -> String {
    format!("{CALENDARS}{}/", encode_segment(user))
}

/// The href of a stored node.
pub fn store_href(path: &StorePath, collection: bool) -> String {
    let mut s = String::from("/dav/calendars");
    for seg in path.segments() {
        s.push('/');
        s.push_str(&encode_segment(seg));
    }
    if collection {
        s.push('/');
    }
    s
}

/// The path of an href or absolute URL as a client sends it (in a
/// `Destination` header or a multiget `href`): the scheme and authority
/// are dropped, and so are query and fragment.
pub fn href_path(href: &str) -> &str {
    let path = match href.find("://") {
        Some(i) => {
            let after = &href[i + 3..];
            after.find('/').map(|j| &after[j..]).unwrap_or("/")
        }
        None => href,
    };
    path.split(['?', '#']).next().unwrap_or(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_layout() {
        assert_eq!(DavPath::parse("/dav/"), Ok(DavPath::Root));
        assert_eq!(DavPath::parse("/dav"), Ok(DavPath::Root));
        assert_eq!(DavPath::parse("/dav/principals/alice/"), Ok(DavPath::Principal("alice".into())));
        assert_eq!(
            DavPath::parse("/dav/calendars/alice/work/a%20b.ics"),
            Ok(DavPath::Store(StorePath::new(vec!["alice".into(), "work".into(), "a b.ics".into()])))
        );
        assert_eq!(DavPath::parse("/davx/"), Err(PathError::Outside));
        assert_eq!(DavPath::parse("/dav/calendars/alice/../bob/"), Err(PathError::BadSegment));
        assert_eq!(DavPath::parse("/dav/calendars/alice/a%2Fb"), Err(PathError::BadSegment));
    }

    #[test]
    fn hrefs_round_trip_through_parse() {
        let p = StorePath::new(vec!["alice".into(), "cal".into(), "ü x#1.ics".into()]);
        let href = store_href(&p, false);
        assert_eq!(DavPath::parse(&href), Ok(DavPath::Store(p)));
    }

    #[test]
    fn href_path_strips_origin() {
        assert_eq!(href_path("http://127.0.0.1:8008/dav/x/?q#f"), "/dav/x/");
        assert_eq!(href_path("/dav/x"), "/dav/x");
    }
}
