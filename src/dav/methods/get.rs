//! GET and HEAD (RFC 9110 §9.3.1): a resource's stored bytes, verbatim,
//! with its strong ETag; conditional requests answer 304 or 412. A
//! collection (or a resource slotdav makes) answers a short fixed page
//! ([`crate::dav::props::page`]), not a listing of its members.

use bytes::Bytes;
use hyper::header::{HeaderValue, CONTENT_LENGTH, CONTENT_TYPE, ETAG, IF_MATCH, IF_NONE_MATCH, LAST_MODIFIED};
use hyper::{Response, StatusCode};

use super::{Ctx, DavRequest};
use crate::http::{http_date, quote_etag, Body};
use crate::dav::path::Target;
use crate::dav::props;
use crate::dav::{DavError, DavResult};
use crate::http::text_response;

pub fn get(ctx: &Ctx, req: &DavRequest, with_body: bool) -> DavResult {
    let target = ctx.target(&req.path)?.ok_or(DavError::Status(StatusCode::NOT_FOUND))?;
    // A collection or a resource slotdav makes (principal, `/dav/`): a
    // short page whose length and type PROPFIND gives as well.
    if let Some(page) = props::page(&target) {
        let mut resp = text_response(StatusCode::OK, page);
        if let Target::Store((_, node)) = &target {
            let modified = HeaderValue::from_str(&http_date(node.modified)).expect("ascii date");
            resp.headers_mut().insert(LAST_MODIFIED, modified);
        }
        return Ok(resp);
    }
    let Target::Store((path, node)) = &target else { return Err(DavError::Status(StatusCode::NOT_FOUND)) };
    let Some(resource) = node.resource() else { return Err(DavError::Status(StatusCode::NOT_FOUND)) };
    let etag = quote_etag(&resource.etag);
    let matches = |v: &str| v.split(',').any(|t| t.trim() == "*" || t.trim() == etag);
    if let Some(v) = req.headers.get(IF_MATCH).and_then(|v| v.to_str().ok()) {
        if !matches(v) {
            return Err(DavError::Status(StatusCode::PRECONDITION_FAILED));
        }
    }
    let not_modified = req.headers.get(IF_NONE_MATCH).and_then(|v| v.to_str().ok()).is_some_and(matches);
    // The bytes are read once: for the body, and for calendar objects to
    // tell whether they carry a Schedule-Tag (RFC 6638 §3.2).
    let wants_bytes = (with_body && !not_modified) || resource.calendar.is_some();
    let bytes = if wants_bytes {
        ctx.dav.storage.content(path)?.ok_or(DavError::Status(StatusCode::NOT_FOUND))?
    } else {
        Vec::new()
    };
    // RFC 6638 §3.2.10: the Schedule-Tag changes only with what scheduling
    // cares about, not with a PARTSTAT reply.
    let schedule_tag = if resource.calendar.is_some() && crate::dav::props::is_scheduling_object(&bytes) {
        crate::ical::CalendarObject::parse(&bytes).ok().map(|o| crate::scheduling::itip::schedule_tag(&o))
    } else {
        None
    };
    let body = if with_body && !not_modified { Bytes::from(bytes) } else { Bytes::new() };
    let mut resp = Response::new(Body::new(body));
    *resp.status_mut() = if not_modified { StatusCode::NOT_MODIFIED } else { StatusCode::OK };
    let h = resp.headers_mut();
    h.insert(ETAG, HeaderValue::from_str(&etag).expect("hex etag"));
    if let Some(tag) = schedule_tag {
        h.insert("schedule-tag", HeaderValue::from_str(&quote_etag(&tag)).expect("hex tag"));
    }
    h.insert(LAST_MODIFIED, HeaderValue::from_str(&http_date(node.modified)).expect("ascii date"));
    if !not_modified {
        h.insert(
            CONTENT_TYPE,
            HeaderValue::from_str(&resource.content_type).unwrap_or(HeaderValue::from_static("application/octet-stream")),
        );
        if !with_body {
            h.insert(CONTENT_LENGTH, HeaderValue::from(resource.length));
        }
    }
    Ok(resp)
}
