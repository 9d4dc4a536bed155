//! Calendar user addresses of slotdav users (RFC 6638 §2.4.1): the
//! `mailto:` of their email (compared without case) and their principal
//! URL (`…/dav/principals/NAME/`, absolute or not).

use percent_encoding::percent_decode_str;

use crate::storage::{Storage, StorageError, User};

/// Where principal URLs live (the DAV layer's URL layout).
const PRINCIPALS: &str = "/dav/principals/";

/// The users of this server, to resolve addresses against.
pub struct Directory {
    users: Vec<User>,
}

impl Directory {
    pub fn load(storage: &dyn Storage) -> Result<Directory, StorageError> {
        Ok(Directory { users: storage.users()? })
    }

    pub fn from_users(users: Vec<User>) -> Directory {
        Directory { users }
    }

    /// The user an address names, if any.
    pub fn user_for(&self, address: &str) -> Option<&User> {
        let a = address.trim();
        if let Some(email) = super::itip::mailto(a) {
            return self.users.iter().find(|u| u.email.as_deref().is_some_and(|e| e.eq_ignore_ascii_case(email.trim())));
        }
        let name = principal_name(a)?;
        self.users.iter().find(|u| u.name == name)
    }

    /// Whether `address` names the user `name`.
    pub fn is(&self, address: &str, name: &str) -> bool {
        self.user_for(address).is_some_and(|u| u.name == name)
    }

    /// The address to write for a user: `mailto:` of their email, else
    /// their principal URL.
    pub fn address_of(user: &User) -> String {
        match &user.email {
            Some(e) => format!("mailto:{e}"),
            None => format!("{PRINCIPALS}{}/", user.name),
        }
    }
}

/// The user name in a principal URL (`http://h/dav/principals/ann/` or
/// `/dav/principals/ann`).
fn principal_name(address: &str) -> Option<String> {
    let at = address.find(PRINCIPALS)?;
    let rest = address[at + PRINCIPALS.len()..].trim_end_matches('/');
    if rest.is_empty() || rest.contains('/') {
        return None;
    }
    percent_decode_str(rest).decode_utf8().ok().map(|s| s.into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;

    fn user(name: &str, email: Option<&str>) -> User {
        User { name: name.into(), password_hash: String::new(), email: email.map(Into::into), created: Utc::now() }
    }

    #[test]
    fn addresses_resolve_by_email_without_case_or_by_principal_url() {
        let d = Directory::from_users(vec![user("ann", Some("Ann@Example.org")), user("bo", None)]);
        assert_eq!(d.user_for("mailto:ann@example.ORG").map(|u| u.name.as_str()), Some("ann"));
        assert_eq!(d.user_for("MAILTO:ann@example.org").map(|u| u.name.as_str()), Some("ann"));
        assert_eq!(d.user_for("http://h:1/dav/principals/bo/").map(|u| u.name.as_str()), Some("bo"));
        assert_eq!(d.user_for("/dav/principals/bo").map(|u| u.name.as_str()), Some("bo"));
        assert!(d.user_for("mailto:someone@else.org").is_none());
        assert!(d.user_for("/dav/principals/bo/inbox/").is_none());
        assert!(d.is("mailto:ann@example.org", "ann"));
        assert_eq!(Directory::address_of(&user("bo", None)), "/dav/principals/bo/");
    }
}
