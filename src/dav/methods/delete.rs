//! DELETE (RFC 4918 §9.6): a resource, or a collection with everything in
//! it (a Depth other than infinity on a collection is 400); honours
//! If-Match.

use hyper::StatusCode;

use super::{store_path, Ctx, DavRequest};
use crate::dav::context::ObjectWrite;
use crate::dav::headers::{self, Depth};
use crate::dav::{DavError, DavResult};
use crate::http::empty_response;
use crate::storage::{ObjectChange, RecordBatch};

pub fn delete(ctx: &Ctx, req: &DavRequest) -> DavResult {
    let path = store_path(req)?;
    if path.len() < 2 {
        // The home itself goes only with its user.
        return Err(DavError::Status(StatusCode::FORBIDDEN));
    }
    // RFC 4918 §9.6.1: a DELETE of a collection acts as Depth infinity; a
    // client "MUST NOT submit a Depth header … with any value but infinity".
    let depth = headers::depth(&req.headers, Depth::Infinity).ok_or(DavError::Status(StatusCode::BAD_REQUEST))?;
    if depth != Depth::Infinity && ctx.dav.storage.node(path)?.is_some_and(|n| n.is_collection()) {
        return Err(DavError::Status(StatusCode::BAD_REQUEST));
    }
    let cond = headers::write_condition(&req.headers);
    // The write hooks may add records to the same batch: deleting a
    // booking's event in the coach's app cancels the booking; the
    // attendees of an event the user organized get a CANCEL.
    let uid = ctx.dav.storage.node(path)?.and_then(|n| n.resource().and_then(|r| r.calendar.as_ref()).map(|c| c.uid.clone()));
    let hooked = match (&uid, path.parent()) {
        (Some(uid), Some(parent)) => {
            let write = ObjectWrite { user: ctx.user, path, calendar: &parent, now: ctx.now, storage: &*ctx.dav.storage };
            ctx.dav.hooks.on_delete(&write, uid)?
        }
        _ => None,
    };
    let written = match hooked {
        Some(mut hooked) => {
            let object = Some(ObjectChange::Delete { path: path.clone(), cond });
            let records = std::mem::take(&mut hooked.records);
            ctx.dav.storage.apply(RecordBatch { records, object }, ctx.now)?;
            Some(hooked)
        }
        None => {
            ctx.dav.storage.delete(path, &cond, ctx.now)?;
            None
        }
    };
    ctx.durable()?;
    if let Some(hooked) = written {
        hooked.written();
    }
    Ok(empty_response(StatusCode::NO_CONTENT))
}
