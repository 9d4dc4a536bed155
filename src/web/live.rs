//! `GET /book/{coach}/{type}/times.json?from=YYYY-MM-DD&days=N&tz=&key=&reschedule=`:
//! the open times a slots page shows, for its small script
//! (`templates/live_slots.html`) to see that another student took one
//! without a reload. The answer is `{"starts": [RFC 3339 UTC, …]}` with
//! an ETag of its content; a poll that sends it back in `If-None-Match`
//! gets `304 Not Modified` and no body while nothing changed.
//!
//! **Cost.** One poll is one slot computation over at most
//! [`MAX_LIVE_DAYS`] days (what the page itself computes for its week,
//! no more); the script polls every 20 seconds only while the page is
//! visible, backs off on errors and stops after an hour.
//!
//! May import: `app`, `booking`, `model`, [`super::slots`] (which type the
//! address names), [`super::format`], [`super::locale`] (the language of
//! its error texts), [`super::zones`], hyper, serde_json.

use bytes::Bytes;
use chrono::{DateTime, Duration, Utc};
use hyper::header::{HeaderValue, CACHE_CONTROL, CONTENT_TYPE, ETAG, IF_NONE_MATCH};
use hyper::{HeaderMap, Response, StatusCode};

use crate::app::App;
use crate::http::Body;
use crate::model::TimeRange;

use super::errors::PageError;
use super::format::{local_midnight, page_date};
use super::request::PageRequest;
use super::slots::offered;
use super::zones::{remembered_zone, student_zone};

/// The most days one poll may ask about (a week is what a page shows).
pub const MAX_LIVE_DAYS: i64 = 7;

pub fn open_times(app: &App, req: &PageRequest, coach_slug: &str, type_slug: &str) -> Result<Response<Body>, PageError> {
    let offered = offered(app, req, coach_slug, type_slug)?;
    let tz = student_zone(req.query.get("tz"), remembered_zone(&req.headers), offered.coach.policy.tz).tz;
    let now = app.booking.now();
    let tr = || super::locale::page_tr(req, Some(offered.coach), None);
    let from = page_date(req.query.get("from"), tz, now).ok_or_else(|| PageError::BadRequest(tr().t("live-bad-from")))?;
    let days = match req.query.get("days") {
        None => MAX_LIVE_DAYS,
        Some(d) => d
            .parse::<i64>()
            .ok()
            .filter(|d| (1..=MAX_LIVE_DAYS).contains(d))
            .ok_or_else(|| PageError::BadRequest(tr().t_args("live-bad-days", &[("max", MAX_LIVE_DAYS.into())])))?,
    };
    let range = TimeRange::new(local_midnight(tz, from), local_midnight(tz, from + Duration::days(days)));
    let starts: Vec<DateTime<Utc>> = app.booking.slots(coach_slug, type_slug, range)?.into_iter().map(|s| s.range.start).collect();
    Ok(with_etag(&req.headers, body_of(&starts)))
}

/// The answer for these open times: `{"starts": […]}`, sorted, in UTC.
pub fn body_of(starts: &[DateTime<Utc>]) -> String {
    let mut list: Vec<String> = starts.iter().map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string()).collect();
    list.sort();
    serde_json::json!({ "starts": list }).to_string()
}

/// The ETag of a body: a hash of its bytes.
pub fn etag_of(body: &str) -> String {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(body.as_bytes());
    crate::http::quote_etag(&crate::hex::encode(&digest[..12]))
}

/// True when `If-None-Match` lists `etag` (or is `*`).
fn matches(headers: &HeaderMap, etag: &str) -> bool {
    headers
        .get_all(IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|t| t.trim().trim_start_matches("W/"))
        .any(|t| t == etag || t == "*")
}

/// 200 with the JSON body and its ETag, or 304 when the client has it.
fn with_etag(headers: &HeaderMap, body: String) -> Response<Body> {
    let etag = etag_of(&body);
    let not_modified = matches(headers, &etag);
    let mut resp = Response::new(Body::new(if not_modified { Bytes::new() } else { Bytes::from(body) }));
    if not_modified {
        *resp.status_mut() = StatusCode::NOT_MODIFIED;
    } else {
        resp.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    }
    if let Ok(v) = HeaderValue::from_str(&etag) {
        resp.headers_mut().insert(ETAG, v);
    }
    // Always asked again, never kept by shared caches.
    resp.headers_mut().insert(CACHE_CONTROL, HeaderValue::from_static("private, no-cache"));
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_etag_follows_the_content() {
        let a = etag_of(r#"{"starts":["2026-05-05T07:00:00Z"]}"#);
        assert_eq!(a, etag_of(r#"{"starts":["2026-05-05T07:00:00Z"]}"#));
        assert_ne!(a, etag_of(r#"{"starts":[]}"#));
        assert!(a.starts_with('"') && a.ends_with('"') && a.len() == 26, "{a}");
    }

    #[test]
    fn if_none_match_lists_and_weak_tags() {
        let mut h = HeaderMap::new();
        assert!(!matches(&h, "\"x\""));
        h.insert(IF_NONE_MATCH, "\"y\", W/\"x\"".parse().unwrap());
        assert!(matches(&h, "\"x\""));
        assert!(!matches(&h, "\"z\""));
        h.insert(IF_NONE_MATCH, "*".parse().unwrap());
        assert!(matches(&h, "\"z\""));
    }

    #[test]
    fn a_match_is_304_without_a_body() {
        let body = r#"{"starts":[]}"#.to_string();
        let mut h = HeaderMap::new();
        h.insert(IF_NONE_MATCH, etag_of(&body).parse().unwrap());
        let resp = with_etag(&h, body.clone());
        assert_eq!(resp.status(), StatusCode::NOT_MODIFIED);
        let resp = with_etag(&HeaderMap::new(), body);
        assert_eq!(resp.status(), StatusCode::OK);
        assert!(resp.headers().get(ETAG).is_some());
    }
}
