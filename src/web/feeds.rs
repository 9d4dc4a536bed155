//! `GET /feeds/{token}.ics`: a published calendar for subscribers without
//! CalDAV (Outlook internet calendars, webcal). No credentials beyond the
//! secret token; conditional requests answer 304. An unknown token, or a
//! published calendar that is gone, is 404; a storage failure is 500.

use std::sync::Arc;

use bytes::Bytes;
use hyper::header::{HeaderValue, CACHE_CONTROL, CONTENT_TYPE, ETAG, IF_MODIFIED_SINCE, IF_NONE_MATCH, LAST_MODIFIED};
use hyper::{HeaderMap, Method, Response, StatusCode};

use crate::app::App;
use crate::http::{http_date, quote_etag};
use crate::http::{text_response, Body};
use crate::feeds;

pub async fn handle(app: Arc<App>, method: Method, path: String, headers: HeaderMap) -> Response<Body> {
    if method != Method::GET && method != Method::HEAD {
        return text_response(StatusCode::METHOD_NOT_ALLOWED, "Method Not Allowed\n");
    }
    let token = path.trim_start_matches("/feeds/").trim_end_matches(".ics").to_string();
    tokio::task::spawn_blocking(move || serve(&app, &token, &headers, method == Method::GET))
        .await
        .unwrap_or_else(|_| text_response(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error\n"))
}

/// Why a feed is not served.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Unserved {
    /// An unknown (or revoked) token, or a published calendar that is gone. (404)
    NotFound,
    /// The store failed; logged where it happened. (500, never 404)
    Failed,
}

impl Unserved {
    fn into_response(self) -> Response<Body> {
        match self {
            Unserved::NotFound => text_response(StatusCode::NOT_FOUND, "Not Found\n"),
            Unserved::Failed => text_response(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error\n"),
        }
    }
}

/// A step of serving a feed: its value, or why the feed is not served.
fn found<T>(step: &str, result: Result<Option<T>, feeds::FeedError>) -> Result<T, Unserved> {
    match result {
        Ok(Some(v)) => Ok(v),
        Ok(None) => Err(Unserved::NotFound),
        Err(e) => {
            tracing::error!(error = %e, step, "feed failed");
            Err(Unserved::Failed)
        }
    }
}

fn serve(app: &App, token: &str, headers: &HeaderMap, with_body: bool) -> Response<Body> {
    serve_feed(app, token, headers, with_body).unwrap_or_else(Unserved::into_response)
}

fn serve_feed(app: &App, token: &str, headers: &HeaderMap, with_body: bool) -> Result<Response<Body>, Unserved> {
    let now = app.clock.now();
    let storage = &*app.storage;
    let rec = found("lookup", feeds::lookup(storage, token))?;
    let (etag, modified) = found("validators", feeds::validators(storage, &rec, &app.config.feeds, now))?;
    let quoted = quote_etag(&etag);
    let etag_matches = headers
        .get(IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == quoted || t.trim() == "*"));
    let unmodified_since = headers.get(IF_NONE_MATCH).is_none()
        && headers
            .get(IF_MODIFIED_SINCE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| chrono::DateTime::parse_from_rfc2822(&v.replace("GMT", "+0000")).ok())
            .is_some_and(|since| modified.timestamp() <= since.timestamp());
    let mut resp = if etag_matches || unmodified_since {
        let mut r = Response::new(Body::new(Bytes::new()));
        *r.status_mut() = StatusCode::NOT_MODIFIED;
        r
    } else {
        let body = found("render", feeds::render(storage, &rec, &app.config.feeds, now))?;
        let len = body.text.len();
        let mut r = Response::new(Body::new(if with_body { Bytes::from(body.text) } else { Bytes::new() }));
        r.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("text/calendar; charset=utf-8"));
        if !with_body {
            r.headers_mut().insert(hyper::header::CONTENT_LENGTH, HeaderValue::from(len));
        }
        r
    };
    let h = resp.headers_mut();
    h.insert(ETAG, HeaderValue::from_str(&quoted).expect("hex etag"));
    h.insert(LAST_MODIFIED, HeaderValue::from_str(&http_date(modified)).expect("ascii date"));
    h.insert(CACHE_CONTROL, HeaderValue::from_static("private, max-age=60"));
    Ok(resp)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::StorageError;

    #[test]
    fn a_storage_failure_is_500_never_404() {
        assert_eq!(found::<()>("lookup", Err(StorageError::Backend("disk gone".into()).into())), Err(Unserved::Failed));
        assert_eq!(found::<()>("validators", Err(StorageError::NotFound.into())), Err(Unserved::Failed));
        assert_eq!(Unserved::Failed.into_response().status(), StatusCode::INTERNAL_SERVER_ERROR);
    }

    #[test]
    fn a_missing_feed_or_calendar_is_404() {
        assert_eq!(found::<()>("lookup", Ok(None)), Err(Unserved::NotFound));
        assert_eq!(Unserved::NotFound.into_response().status(), StatusCode::NOT_FOUND);
        assert_eq!(found("lookup", Ok(Some(7))), Ok(7));
    }
}
