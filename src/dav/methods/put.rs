//! PUT (RFC 9110 §9.3.4, RFC 4791 §5.3.2): stores a resource verbatim. In a
//! calendar the body must be a valid calendar object resource; its UID and
//! occurrences are indexed in the same write.

use hyper::header::{HeaderValue, CONTENT_TYPE, ETAG};
use hyper::StatusCode;

use super::{store_path, Ctx, DavRequest};
use crate::dav::headers;
use crate::http::quote_etag;
use crate::dav::xml::PropName;
use crate::dav::{DavError, DavResult};
use crate::http::empty_response;
use crate::ical::CalendarObject;
use crate::storage::{CalendarWrite, ObjectChange, RecordBatch, ResourceWrite};

pub fn put(ctx: &Ctx, req: &DavRequest) -> DavResult {
    let path = store_path(req)?;
    let parent = path.parent().ok_or(DavError::Status(StatusCode::METHOD_NOT_ALLOWED))?;
    let parent_node = ctx.app.storage.node(&parent)?.ok_or(DavError::Status(StatusCode::CONFLICT))?;
    let coll = parent_node.collection().ok_or(DavError::Status(StatusCode::CONFLICT))?;
    let mut cond = headers::write_condition(&req.headers);
    // RFC 6638 §3.2: If-Schedule-Tag-Match; our Schedule-Tag is the ETag.
    if let Some(tag) = req.headers.get("if-schedule-tag-match").and_then(|v| v.to_str().ok()) {
        cond.if_match.get_or_insert_with(Vec::new).push(tag.trim().trim_matches('"').to_string());
    }
    let content_type = req
        .headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("application/octet-stream")
        .to_string();
    let mut records = None;
    let mut scheduling = false;
    let write = if coll.calendar {
        if req.body.len() as u64 > ctx.app.config.max_resource_size {
            return Err(DavError::forbidden(PropName::caldav("max-resource-size")));
        }
        let object = CalendarObject::parse(&req.body)?;
        let horizon = chrono::DateTime::from_timestamp(coll.horizon, 0).unwrap_or(chrono::DateTime::<chrono::Utc>::MAX_UTC);
        // Before anything else looks at the object's instances: refuses a
        // recurrence set beyond the budget (CALDAV:max-instances).
        let index = object.checked_index_entry(horizon)?;
        // RFC 4791 §5.3.2.1: so that one write cannot invite the world.
        if crate::mail::scheduling::attendees_per_instance(&object) > ctx.app.config.mail.max_attendees as usize {
            return Err(DavError::forbidden(PropName::caldav("max-attendees-per-instance")));
        }
        // An edit of a booking's event in the coach's app moves, confirms
        // or cancels the booking in the same write.
        records = ctx.app.booking.reconcile_put(&parent, &object).map_err(super::booking_error)?;
        scheduling = object.organizer().is_some();
        if records.is_none() && scheduling {
            // Implicit scheduling (RFC 6638): attendees hear of it by email.
            let before = super::load_object(ctx, path)?;
            let mail = super::implicit_scheduling(ctx, before.as_ref(), Some(&object));
            records = Some(mail).filter(|m| !m.is_empty());
        }
        ResourceWrite {
            bytes: req.body.to_vec(),
            content_type: "text/calendar; charset=utf-8".to_string(),
            calendar: Some(CalendarWrite {
                uid: object.uid().to_string(),
                kind: object.kind(),
                index,
            }),
        }
    } else {
        ResourceWrite { bytes: req.body.to_vec(), content_type, calendar: None }
    };
    let wake_mail = records.is_some();
    let outcome = match records {
        None => ctx.app.storage.put_resource(path, write, &cond, ctx.now)?,
        Some(records) => {
            let object = Some(ObjectChange::Put { path: path.clone(), write, cond });
            ctx.app.storage.apply(RecordBatch { records, object }, ctx.now)?.expect("a put has an outcome")
        }
    };
    ctx.durable()?;
    if wake_mail {
        ctx.app.outbox.wake();
    }
    let mut resp = empty_response(if outcome.created { StatusCode::CREATED } else { StatusCode::NO_CONTENT });
    let etag = HeaderValue::from_str(&quote_etag(&outcome.etag)).expect("hex etag");
    if scheduling {
        resp.headers_mut().insert("schedule-tag", etag.clone());
    }
    resp.headers_mut().insert(ETAG, etag);
    Ok(resp)
}
