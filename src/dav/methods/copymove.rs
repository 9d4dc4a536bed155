//! COPY and MOVE (RFC 4918 §9.8, §9.9): Destination, Overwrite and Depth.
//! Within one user's home only.

use hyper::StatusCode;

use super::{store_path, Ctx, DavRequest};
use crate::dav::headers::{self, Depth};
use crate::dav::path::{href_path, DavPath};
use crate::dav::{DavError, DavResult};
use crate::http::empty_response;

pub fn copy_or_move(ctx: &Ctx, req: &DavRequest, is_move: bool) -> DavResult {
    let from = store_path(req)?;
    if from.len() < 2 {
        return Err(DavError::Status(StatusCode::FORBIDDEN));
    }
    let destination = req
        .headers
        .get("destination")
        .and_then(|v| v.to_str().ok())
        .ok_or(DavError::Status(StatusCode::BAD_REQUEST))?;
    let to = match DavPath::parse(href_path(destination)) {
        Ok(DavPath::Store(p)) if p.owner() == ctx.user.name && p.len() >= 2 => p,
        Ok(_) => return Err(DavError::Status(StatusCode::FORBIDDEN)),
        Err(_) => return Err(DavError::Status(StatusCode::BAD_GATEWAY)),
    };
    super::guard_writable(ctx, &to)?;
    let overwrite = headers::overwrite(&req.headers).ok_or(DavError::Status(StatusCode::BAD_REQUEST))?;
    let depth = headers::depth(&req.headers, Depth::Infinity).ok_or(DavError::Status(StatusCode::BAD_REQUEST))?;
    let source = ctx.dav.storage.node(from)?.ok_or(DavError::Status(StatusCode::NOT_FOUND))?;
    if source.is_collection() && (depth == Depth::One || (is_move && depth != Depth::Infinity)) {
        return Err(DavError::Status(StatusCode::BAD_REQUEST));
    }
    if to == *from || to.is_within(from) {
        return Err(DavError::Status(StatusCode::FORBIDDEN));
    }
    // RFC 4791 §5.3.2.1 `no-uid-conflict`: an object is not overwritten by
    // one with another UID. (Without Overwrite the store answers 412.)
    if overwrite {
        let uid_of = |n: &crate::storage::Node| n.resource().and_then(|r| r.calendar.as_ref()).map(|c| c.uid.clone());
        if let (Some(new), Some(old)) = (uid_of(&source), ctx.dav.storage.node(&to)?.as_ref().and_then(uid_of)) {
            if new != old {
                return Err(DavError::no_uid_conflict(&to));
            }
        }
    }
    let replaced = ctx.dav.storage.copy(from, &to, overwrite, depth == Depth::Infinity, is_move, ctx.now)?;
    ctx.durable()?;
    Ok(empty_response(if replaced { StatusCode::NO_CONTENT } else { StatusCode::CREATED }))
}
