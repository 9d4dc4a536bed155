//! A page request as the handlers see it (method, headers, decoded query,
//! body, client address), the checks every POST passes (CSRF, rate limit),
//! and who is holding a slot.
//!
//! May import: `app` (the rate limiter), `booking` (`HoldClient`), the form
//! helpers of [`super::forms`], hyper's header types.

use std::collections::HashMap;
use std::net::SocketAddr;

use bytes::Bytes;
use chrono::{DateTime, Utc};
use hyper::{HeaderMap, Method};

use crate::app::App;
use crate::booking::HoldClient;

use super::errors::PageError;
use super::forms::{csrf_cookie, csrf_ok, decode, new_csrf};

pub struct PageRequest {
    pub method: Method,
    pub headers: HeaderMap,
    pub query: HashMap<String, String>,
    pub body: Bytes,
    pub peer: SocketAddr,
}

impl PageRequest {
    /// The urlencoded form in the body.
    pub fn form(&self) -> HashMap<String, String> {
        decode(&self.body)
    }

    /// The browser's CSRF token, or a new one (set by
    /// [`super::respond::with_csrf`]).
    pub fn csrf(&self) -> (String, bool) {
        match csrf_cookie(&self.headers) {
            Some(t) => (t, false),
            None => (new_csrf(), true),
        }
    }

    /// Refuses a form without the browser's CSRF token (403).
    pub fn check_csrf(&self, form: &HashMap<String, String>) -> Result<(), PageError> {
        if csrf_ok(&self.headers, form.get("csrf")) {
            Ok(())
        } else {
            Err(PageError::Csrf)
        }
    }

    /// The checks of a POST that holds or books: CSRF, then the
    /// per-address rate limit (429).
    pub fn check_post(&self, app: &App, form: &HashMap<String, String>) -> Result<(), PageError> {
        self.check_csrf(form)?;
        if !app.rate_limit.allow(self.peer.ip()) {
            return Err(PageError::RateLimited);
        }
        Ok(())
    }

    /// Who is holding: the client address and the browser session (its
    /// CSRF cookie, which [`PageRequest::check_post`] has required; stored
    /// only as a hash), so a browser's new hold of an event type replaces
    /// its previous one.
    pub fn hold_client(&self) -> HoldClient {
        HoldClient::new(self.peer.ip(), csrf_cookie(&self.headers).map(|c| session_of(&c)))
    }
}

/// The stored name of a browser session: a hash of its CSRF cookie.
fn session_of(csrf: &str) -> String {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(format!("slotdav hold session\0{csrf}").as_bytes());
    crate::hex::encode(&digest[..16])
}

/// The chosen slot's start in a hold form (`start`, RFC 3339).
pub fn form_start(form: &HashMap<String, String>) -> Result<DateTime<Utc>, PageError> {
    form.get("start")
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .map(|d| d.with_timezone(&Utc))
        .ok_or_else(|| PageError::BadRequest("No time was chosen. Go back and pick a time.".into()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn form(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn a_hold_form_needs_a_start_with_offset() {
        let t = Utc.with_ymd_and_hms(2026, 5, 5, 7, 0, 0).unwrap();
        assert_eq!(form_start(&form(&[("start", "2026-05-05T09:00:00+02:00")])).unwrap(), t);
        assert_eq!(form_start(&form(&[("start", "2026-05-05T07:00:00Z")])).unwrap(), t);
        for bad in [form(&[]), form(&[("start", "2026-05-05T09:00:00")]), form(&[("start", "tomorrow")])] {
            assert!(matches!(form_start(&bad), Err(PageError::BadRequest(_))), "{bad:?}");
        }
    }

    #[test]
    fn forms_decode_plus_and_percent_and_keep_the_last_value() {
        let f = decode(b"name=Pat+O%27Neil&note=a%26b&name=Pat+Two");
        assert_eq!(f.get("name").map(String::as_str), Some("Pat Two"));
        assert_eq!(f.get("note").map(String::as_str), Some("a&b"));
    }

    #[test]
    fn the_session_is_a_hash_not_the_cookie() {
        let s = session_of("abcdefghijklmnop1234");
        assert_eq!(s.len(), 32);
        assert!(!s.contains("abcdefghijklmnop"));
        assert_eq!(s, session_of("abcdefghijklmnop1234"));
        assert_ne!(s, session_of("abcdefghijklmnop1235"));
    }
}
