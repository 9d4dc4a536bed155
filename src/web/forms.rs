//! Small helpers of the public pages: query and form decoding, the CSRF
//! double-submit cookie.

use std::collections::HashMap;

use hyper::header::{HeaderMap, COOKIE};

/// `key=value&…` (a query string or an urlencoded form) as a map; the last
/// value of a repeated key wins.
pub fn decode(input: &[u8]) -> HashMap<String, String> {
    form_urlencoded::parse(input).into_owned().collect()
}

/// The name of the CSRF cookie. Forms carry the same value in a hidden
/// field; a cross-site form cannot read the cookie to copy it.
pub const CSRF_COOKIE: &str = "slotdav_csrf";

/// The CSRF token of the browser, if its cookie is set.
pub fn csrf_cookie(headers: &HeaderMap) -> Option<String> {
    headers.get_all(COOKIE).iter().filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(';')).find_map(|c| {
        let (k, v) = c.trim().split_once('=')?;
        (k == CSRF_COOKIE && v.len() >= 16 && v.bytes().all(|b| b.is_ascii_alphanumeric())).then(|| v.to_string())
    })
}

/// A fresh random CSRF token.
pub fn new_csrf() -> String {
    use rand::distributions::{Alphanumeric, DistString};
    Alphanumeric.sample_string(&mut rand::thread_rng(), 32)
}

/// The `Set-Cookie` value for a CSRF token.
pub fn csrf_set_cookie(token: &str) -> String {
    format!("{CSRF_COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict")
}

/// True when the form's token equals the cookie's (compared in constant time).
pub fn csrf_ok(headers: &HeaderMap, form_token: Option<&String>) -> bool {
    let (Some(cookie), Some(form)) = (csrf_cookie(headers), form_token) else { return false };
    cookie.len() == form.len() && cookie.bytes().zip(form.bytes()).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csrf_needs_matching_cookie_and_field() {
        let mut h = HeaderMap::new();
        h.insert(COOKIE, format!("a=b; {CSRF_COOKIE}=abcdefghijklmnop1234").parse().unwrap());
        assert!(csrf_ok(&h, Some(&"abcdefghijklmnop1234".to_string())));
        assert!(!csrf_ok(&h, Some(&"abcdefghijklmnop1235".to_string())));
        assert!(!csrf_ok(&h, None));
        assert!(!csrf_ok(&HeaderMap::new(), Some(&"abcdefghijklmnop1234".to_string())));
    }
}
