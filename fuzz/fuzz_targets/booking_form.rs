//! The booking pages' form decoding: an urlencoded body (`web::forms::decode`),
//! the chosen start of a hold form (`web::request::form_start`), the CSRF
//! double-submit check against a cookie header built from the same bytes,
//! and the percent-decoded segments of a booking path (`web::segments`).
#![no_main]

use hyper::header::{HeaderMap, HeaderValue, COOKIE};
use libfuzzer_sys::fuzz_target;
use slotdav::web::forms::{csrf_cookie, csrf_ok, decode};

fuzz_target!(|data: &[u8]| {
    let form = decode(data);
    let _ = slotdav::web::request::form_start(&form);
    let mut headers = HeaderMap::new();
    if let Ok(v) = HeaderValue::from_bytes(data) {
        headers.insert(COOKIE, v);
    }
    let _ = csrf_cookie(&headers);
    let _ = csrf_ok(&headers, form.get("csrf"));
    if let Ok(path) = std::str::from_utf8(data) {
        let _ = slotdav::web::segments(path);
    }
});
