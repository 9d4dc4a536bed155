//! OPTIONS (RFC 4918 §9.1, RFC 4791 §5.1): the DAV compliance classes and
//! the allowed methods.

use hyper::header::{HeaderValue, ALLOW};
use hyper::StatusCode;

use super::{Ctx, DavRequest, ResourceKind};
use crate::dav::DavResult;
use crate::http::empty_response;

/// Compliance classes: 1 and 3 (no locking, so not 2), CalDAV, implicit
/// scheduling (RFC 6638, invitations go out by email), extended MKCOL
/// (RFC 5689).
pub const DAV_CLASSES: &str = "1, 3, calendar-access, calendar-auto-schedule, extended-mkcol";

pub fn options(_ctx: &Ctx, _req: &DavRequest, kind: ResourceKind) -> DavResult {
    let mut resp = empty_response(StatusCode::OK);
    let h = resp.headers_mut();
    h.insert("dav", HeaderValue::from_static(DAV_CLASSES));
    h.insert(ALLOW, HeaderValue::from_static(kind.options_methods()));
    Ok(resp)
}
