//! Response helpers of the pages: an HTML page, an error page, a redirect,
//! the CSRF cookie on a response, and path segments in links.
//!
//! May import: hyper and askama types, the page models ([`super::pages`]),
//! the CSRF cookie format ([`super::forms`]).

use askama::Template;
use bytes::Bytes;
use hyper::header::{HeaderValue, CACHE_CONTROL, CONTENT_TYPE, LOCATION, SET_COOKIE};
use hyper::{Response, StatusCode};

use crate::http::Body;
use crate::i18n::Tr;

use super::errors::PageError;
use super::forms::csrf_set_cookie;
use super::pages::ErrorPage;

/// The error page: `heading`, `message` and an optional link back (in
/// English: the dashboard's).
pub fn error_page(status: StatusCode, heading: &str, message: &str, back: Option<(String, String)>) -> Response<Body> {
    error_page_in(&Tr::default(), status, heading, message, back)
}

/// The error page in a page's language (the texts come translated).
pub fn error_page_in(tr: &Tr, status: StatusCode, heading: &str, message: &str, back: Option<(String, String)>) -> Response<Body> {
    let (back_link, back_label) = match back {
        Some((l, t)) => (Some(l), t),
        None => (None, String::new()),
    };
    let page = ErrorPage { tr: tr.clone(), heading: heading.into(), message: message.into(), back_link, back_label };
    let mut resp = html(page.render().unwrap_or_else(|_| message.to_string()));
    *resp.status_mut() = status;
    resp
}

/// A page that is never cached (it carries holds, tokens, CSRF fields).
pub fn html(body: String) -> Response<Body> {
    let mut resp = Response::new(Body::new(Bytes::from(body)));
    resp.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
    resp.headers_mut().insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

/// Renders a page model; a template failure is a 500 page.
pub fn render(page: impl Template) -> Result<Response<Body>, PageError> {
    page.render().map(html).map_err(|e| PageError::Internal(e.to_string()))
}

/// Sets the CSRF cookie on `resp` when the token is new to this browser.
pub fn with_csrf(mut resp: Response<Body>, token: &str, fresh: bool) -> Response<Body> {
    if fresh {
        if let Ok(v) = HeaderValue::from_str(&csrf_set_cookie(token)) {
            resp.headers_mut().insert(SET_COOKIE, v);
        }
    }
    resp
}

/// 303 See Other to `to` (after a POST).
pub fn redirect(to: &str) -> Response<Body> {
    let mut resp = Response::new(Body::new(Bytes::new()));
    *resp.status_mut() = StatusCode::SEE_OTHER;
    if let Ok(v) = HeaderValue::from_str(to) {
        resp.headers_mut().insert(LOCATION, v);
    }
    resp
}

/// A path segment or query value for a link, percent-encoded.
pub fn enc(s: &str) -> String {
    crate::http::encode_segment(s)
}
