//! DELETE (RFC 4918 §9.6): a resource, or a collection with everything in
//! it; honours If-Match.

use hyper::StatusCode;

use super::{store_path, Ctx, DavRequest};
use crate::dav::headers;
use crate::dav::{DavError, DavResult};
use crate::http::empty_response;
use crate::storage::{ObjectChange, RecordBatch};

pub fn delete(ctx: &Ctx, req: &DavRequest) -> DavResult {
    let path = store_path(req)?;
    if path.len() < 2 {
        // The home itself goes only with its user.
        return Err(DavError::Status(StatusCode::FORBIDDEN));
    }
    let cond = headers::write_condition(&req.headers);
    // Deleting a booking's event in the coach's app cancels the booking,
    // in the same write.
    let uid = ctx.app.storage.node(path)?.and_then(|n| n.resource().and_then(|r| r.calendar.as_ref()).map(|c| c.uid.clone()));
    let mut records = match (&uid, path.parent()) {
        (Some(uid), Some(parent)) => ctx.app.booking.reconcile_delete(&parent, uid).map_err(super::booking_error)?,
        _ => None,
    };
    if records.is_none() && uid.is_some() {
        // Implicit scheduling: the attendees of an event the user
        // organized get a CANCEL.
        let before = super::load_object(ctx, path)?;
        let mail = super::implicit_scheduling(ctx, before.as_ref(), None);
        records = Some(mail).filter(|m| !m.is_empty());
    }
    let wake_mail = records.is_some();
    match records {
        Some(records) => {
            let object = Some(ObjectChange::Delete { path: path.clone(), cond });
            ctx.app.storage.apply(RecordBatch { records, object }, ctx.now)?;
        }
        None => ctx.app.storage.delete(path, &cond, ctx.now)?,
    }
    ctx.durable()?;
    if wake_mail {
        ctx.app.outbox.wake();
    }
    Ok(empty_response(StatusCode::NO_CONTENT))
}
