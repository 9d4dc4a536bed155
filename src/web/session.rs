//! Who is signed in to the coach dashboard: the session cookie, checked
//! against the sessions in the store ([`crate::auth::session`]) on every
//! request. [`signed_in`] is the one check every signed-in page makes
//! (the dashboard's; analytics may call it too).
//!
//! The cookie `slotdav_session` is `HttpOnly; SameSite=Lax; Path=/coach`,
//! and `Secure` when the request came over TLS, i.e. from a trusted proxy
//! that said `X-Forwarded-Proto: https` (or `Forwarded: proto=https`):
//! the router marks such requests with [`SecureRequest`].
//!
//! May import: `app`, `auth` (the session store), `booking` (which users
//! are coaches), `storage` (the user record), hyper's header types.

use hyper::header::{HeaderMap, COOKIE};

use crate::app::App;
use crate::auth::session::{Session, SessionStore};
use crate::booking::coach::CoachConfig;
use crate::storage::User;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "slotdav_session";

/// Where the session cookie is sent.
pub const COOKIE_PATH: &str = "/coach";

/// In a request's extensions when the client reached us over HTTPS (set
/// by the router from what a trusted proxy forwarded).
#[derive(Debug, Clone, Copy)]
pub struct SecureRequest;

/// A signed-in request: the session, its user, and the cookie's id.
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub id: String,
    pub session: Session,
    pub user: User,
}

impl SignedIn {
    /// The coach this user is, if they are one (else no dashboard).
    pub fn coach<'a>(&self, app: &'a App) -> Option<&'a CoachConfig> {
        crate::booking::coach::by_user(app.booking.coaches(), &self.user.name)
    }
}

/// The session id the browser sent, if any.
pub fn session_cookie(headers: &HeaderMap) -> Option<String> {
    headers.get_all(COOKIE).iter().filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(';')).find_map(|c| {
        let (k, v) = c.trim().split_once('=')?;
        (k == SESSION_COOKIE && crate::auth::session::well_formed(v)).then(|| v.to_string())
    })
}

/// The signed-in user of a request: a live session whose user still
/// exists with the password they signed in with. Reads the store (call it
/// off the async threads). A store failure counts as not signed in (and
/// is logged).
pub fn signed_in(app: &App, headers: &HeaderMap) -> Option<SignedIn> {
    let id = session_cookie(headers)?;
    match (SessionStore { storage: &*app.storage }).check(&id, app.clock.now()) {
        Ok(found) => found.map(|(session, user)| SignedIn { id, session, user }),
        Err(e) => {
            tracing::error!(error = %e, "cannot read dashboard sessions");
            None
        }
    }
}

/// The user of [`signed_in`], for pages that need only that.
pub fn signed_in_user(app: &App, headers: &HeaderMap) -> Option<User> {
    signed_in(app, headers).map(|s| s.user)
}

/// The `Set-Cookie` value that hands the browser a session id.
pub fn set_cookie(id: &str, max_age_secs: i64, secure: bool) -> String {
    format!(
        "{SESSION_COOKIE}={id}; Path={COOKIE_PATH}; Max-Age={}; HttpOnly; SameSite=Lax{}",
        max_age_secs.max(0),
        if secure { "; Secure" } else { "" }
    )
}

/// The `Set-Cookie` value that makes the browser forget its session.
pub fn clear_cookie(secure: bool) -> String {
    set_cookie("", 0, secure)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cookie_has_its_attributes_and_only_well_formed_ids_are_read() {
        let id = "a".repeat(64);
        assert_eq!(set_cookie(&id, 60, false), format!("slotdav_session={id}; Path=/coach; Max-Age=60; HttpOnly; SameSite=Lax"));
        assert!(set_cookie(&id, 60, true).ends_with("; Secure"));
        assert!(clear_cookie(false).contains("Max-Age=0"));
        let mut h = HeaderMap::new();
        h.insert(COOKIE, format!("x=1; {SESSION_COOKIE}={id}").parse().unwrap());
        assert_eq!(session_cookie(&h), Some(id));
        h.insert(COOKIE, format!("{SESSION_COOKIE}=short").parse().unwrap());
        assert_eq!(session_cookie(&h), None);
    }
}
