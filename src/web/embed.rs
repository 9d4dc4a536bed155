//! The booking pages on the coach's own website (issue 12 §6): the
//! snippets the dashboard shows (an iframe sized by `postMessage`, and a
//! plain link button for sites without scripts; `templates/embed_*.html`),
//! the two first-party scripts (`/static/embed.js` for the coach's page,
//! `/static/frame.js` on the booking pages (coach, week, details form, manage page), which posts its height when framed),
//! and the frame policy of the booking pages: `Content-Security-Policy:
//! frame-ancestors` from `embed_origins` (none: `'none'`, plus
//! `X-Frame-Options: DENY` for browsers without CSP). docs/embed.md tells
//! coaches how to use it.
//!
//! May import: `http`, askama and hyper types.

use askama::Template;
use bytes::Bytes;
use hyper::header::{HeaderValue, CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS};
use hyper::{Response, StatusCode};

use crate::http::Body;

/// The script the coach's page loads to size the frame.
pub const EMBED_SCRIPT_PATH: &str = "/static/embed.js";
/// The script every page loads; it posts the page's height when framed.
pub const FRAME_SCRIPT_PATH: &str = "/static/frame.js";

const EMBED_JS: &str = include_str!("../../static/embed.js");
const FRAME_JS: &str = include_str!("../../static/frame.js");

/// `frame-ancestors` for the booking pages: `'none'` without
/// `embed_origins`, else `'self'` and those origins (validated by `config`).
pub fn frame_policy(embed_origins: &[String]) -> String {
    if embed_origins.is_empty() {
        "frame-ancestors 'none'".to_string()
    } else {
        format!("frame-ancestors 'self' {}", embed_origins.join(" "))
    }
}

/// Sets the booking pages' frame policy on `resp`.
pub fn with_frame_policy(mut resp: Response<Body>, embed_origins: &[String]) -> Response<Body> {
    if let Ok(v) = HeaderValue::from_str(&frame_policy(embed_origins)) {
        resp.headers_mut().insert(CONTENT_SECURITY_POLICY, v);
    }
    if embed_origins.is_empty() {
        resp.headers_mut().insert(X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    }
    resp
}

/// `GET /static/…`: the two scripts; anything else is `None` (404).
pub fn static_file(path: &str) -> Option<Response<Body>> {
    let body = match path {
        EMBED_SCRIPT_PATH => EMBED_JS,
        FRAME_SCRIPT_PATH => FRAME_JS,
        _ => return None,
    };
    let mut resp = Response::new(Body::new(Bytes::from_static(body.as_bytes())));
    *resp.status_mut() = StatusCode::OK;
    let h = resp.headers_mut();
    h.insert(CONTENT_TYPE, HeaderValue::from_static("text/javascript; charset=utf-8"));
    h.insert(CACHE_CONTROL, HeaderValue::from_static("public, max-age=3600"));
    h.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    Some(resp)
}

#[derive(Template)]
#[template(path = "embed_snippet.html")]
struct FrameSnippet<'a> {
    page_url: &'a str,
    script_url: &'a str,
    /// "Book a session with …" in the coach's language.
    label: &'a str,
}

#[derive(Template)]
#[template(path = "embed_link.html")]
struct LinkSnippet<'a> {
    page_url: &'a str,
    label: &'a str,
}

/// The two snippets for a coach whose booking page is `page_url` on the
/// server at `base` (no trailing slash): (self-sizing iframe, link button),
/// their text in the language of the coach's pages (`tr`).
pub fn snippets(tr: &crate::i18n::Tr, base: &str, page_url: &str, coach_name: &str) -> (String, String) {
    let script_url = format!("{base}{EMBED_SCRIPT_PATH}");
    let label = tr.t1("embed-book-with", "coach", coach_name);
    let frame = FrameSnippet { page_url, script_url: &script_url, label: &label }.render().unwrap_or_default();
    let link = LinkSnippet { page_url, label: &label }.render().unwrap_or_default();
    (frame.trim().to_string(), link.trim().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_frame_policy_follows_embed_origins() {
        assert_eq!(frame_policy(&[]), "frame-ancestors 'none'");
        let origins = ["https://coach.example".to_string(), "https://*.school.example".to_string()];
        assert_eq!(frame_policy(&origins), "frame-ancestors 'self' https://coach.example https://*.school.example");
    }

    #[test]
    fn snippets_escape_the_coachs_name_and_name_the_script() {
        let (frame, link) = snippets(&crate::i18n::Tr::default(), "https://book.example", "https://book.example/book/anna", "Anna \"<b>\"");
        assert!(frame.contains("src=\"https://book.example/static/embed.js\""), "{frame}");
        assert!(frame.contains("data-slotdav-embed src=\"https://book.example/book/anna\""), "{frame}");
        assert!(!frame.contains("<b>") && !link.contains("<b>"), "{frame}\n{link}");
        assert!(link.starts_with("<a href=\"https://book.example/book/anna\""), "{link}");
    }

    #[test]
    fn snippets_speak_the_coachs_language() {
        let de = crate::i18n::Tr::new(crate::i18n::Locale::from_stored("de"));
        let (frame, link) = snippets(&de, "https://book.example", "https://book.example/book/anna", "Anna");
        assert!(frame.contains("title=\"Einen Termin bei Anna buchen\"") && link.contains(">Einen Termin bei Anna buchen</a>"), "{frame}\n{link}");
    }
}
