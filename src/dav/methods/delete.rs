//! DELETE (RFC 4918 §9.6): a resource, or a collection with everything in
//! it; honours If-Match.

use hyper::StatusCode;

use super::{store_path, Ctx, DavRequest};
use crate::dav::headers;
use crate::dav::{empty_response, DavError, DavResult};

pub fn delete(ctx: &Ctx, req: &DavRequest) -> DavResult {
    let path = store_path(req)?;
    if path.len() < 2 {
        // The home itself goes only with its user.
        return Err(DavError::Status(StatusCode::FORBIDDEN));
    }
    ctx.app.storage.delete(path, &headers::write_condition(&req.headers))?;
    ctx.durable()?;
    Ok(empty_response(StatusCode::NO_CONTENT))
}
