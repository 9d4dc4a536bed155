//! HTTP plumbing every surface shares (`dav`, `web`, `api`, feeds, `server`):
//! the response body type, small response builders, the HTTP forms of
//! dates, entity tags and path segments, and the per-address rate limiter.
//!
//! Sits below the surfaces and above nothing but std and the HTTP crates:
//! it may import no `crate::` module.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};


use hyper::header::{HeaderValue, CONTENT_TYPE};
use hyper::{Response, StatusCode};
use percent_encoding::{utf8_percent_encode, AsciiSet, CONTROLS};

mod body;
pub use body::{Body, BodyAborted, BodyWriter, ReaderGone, ResponseSlot};

/// A short `text/plain` response.
pub fn text_response(status: StatusCode, text: &str) -> Response<Body> {
    let mut resp = Response::new(Body::new(text.to_string()));
    *resp.status_mut() = status;
    resp.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
    resp
}

/// An empty response with a status.
pub fn empty_response(status: StatusCode) -> Response<Body> {
    let mut resp = Response::new(Body::empty());
    *resp.status_mut() = status;
    resp
}

/// A quoted strong entity tag for headers and `DAV:getetag`.
pub fn quote_etag(etag: &str) -> String {
    format!("\"{etag}\"")
}

/// An HTTP date (RFC 7231 §7.1.1.1).
pub fn http_date(t: chrono::DateTime<chrono::Utc>) -> String {
    t.format("%a, %d %b %Y %H:%M:%S GMT").to_string()
}

/// Characters escaped in a path segment of an href.
const SEGMENT: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'/')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'[')
    .add(b'\\')
    .add(b']')
    .add(b'^')
    .add(b'`')
    .add(b'{')
    .add(b'|')
    .add(b'}');

/// A path segment percent-encoded for an href or URL.
pub fn encode_segment(s: &str) -> String {
    utf8_percent_encode(s, SEGMENT).to_string()
}

/// Appends `s` percent-encoded as [`encode_segment`] does, without a
/// string of its own (listings write thousands of hrefs).
pub fn push_segment(out: &mut String, s: &str) {
    // Most names need no escape: then the encoder lends the name back.
    match std::borrow::Cow::from(utf8_percent_encode(s, SEGMENT)) {
        std::borrow::Cow::Borrowed(plain) => out.push_str(plain),
        std::borrow::Cow::Owned(encoded) => out.push_str(&encoded),
    }
}

/// At most `per_minute` requests per client address in any fixed minute.
pub struct RateLimiter {
    per_minute: u32,
    windows: Mutex<HashMap<IpAddr, (Instant, u32)>>,
}

impl RateLimiter {
    pub fn new(per_minute: u32) -> Self {
        RateLimiter { per_minute, windows: Mutex::new(HashMap::new()) }
    }

    /// Counts a request; false when the address is over its limit.
    pub fn allow(&self, ip: IpAddr) -> bool {
        let now = Instant::now();
        let mut map = self.windows.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() > 10_000 {
            map.retain(|_, (start, _)| now.duration_since(*start) < Duration::from_secs(60));
        }
        let entry = map.entry(ip).or_insert((now, 0));
        if now.duration_since(entry.0) >= Duration::from_secs(60) {
            *entry = (now, 0);
        }
        entry.1 += 1;
        entry.1 <= self.per_minute
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_limit_counts_per_address() {
        let rl = RateLimiter::new(2);
        let a: IpAddr = "127.0.0.1".parse().unwrap();
        let b: IpAddr = "127.0.0.2".parse().unwrap();
        assert!(rl.allow(a) && rl.allow(a));
        assert!(!rl.allow(a));
        assert!(rl.allow(b));
    }

    #[test]
    fn dates_etags_and_segments() {
        let t = chrono::DateTime::from_timestamp(784111777, 0).unwrap();
        assert_eq!(http_date(t), "Sun, 06 Nov 1994 08:49:37 GMT");
        assert_eq!(quote_etag("ab12"), "\"ab12\"");
        assert_eq!(encode_segment("a b/ü#"), "a%20b%2F%C3%BC%23");
    }
}
