//! REPORT (RFC 3253 §3.6): parsed here, answered by [`crate::dav::caldav`].

use hyper::StatusCode;

use super::{Ctx, DavRequest};
use crate::dav::xml::request::parse_report;
use crate::dav::{DavError, DavResult};

pub fn report(ctx: &Ctx, req: &DavRequest) -> DavResult {
    let report = parse_report(&req.body)?;
    let target = ctx.target(&req.path)?.ok_or(DavError::Status(StatusCode::NOT_FOUND))?;
    crate::dav::caldav::report(ctx, req, &target, report)
}
