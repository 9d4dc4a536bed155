//! PUT (RFC 9110 §9.3.4, RFC 4791 §5.3.2): stores a resource verbatim. In a
//! calendar the body must be a valid calendar object resource; its UID and
//! occurrences are indexed in the same write.

use hyper::header::{HeaderValue, CONTENT_TYPE, ETAG};
use hyper::StatusCode;

use super::{store_path, Ctx, DavRequest};
use crate::dav::context::ObjectWrite;
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
    let parent_node = ctx.dav.storage.node(&parent)?.ok_or(DavError::Status(StatusCode::CONFLICT))?;
    let coll = parent_node.collection().ok_or(DavError::Status(StatusCode::CONFLICT))?;
    let mut cond = headers::write_condition(&req.headers);
    // RFC 6638 §3.2.10: If-Schedule-Tag-Match holds when the stored
    // object's Schedule-Tag is the one given; the write is then made on
    // the stored ETag, so nothing changes in between.
    if let Some(tag) = req.headers.get("if-schedule-tag-match").and_then(|v| v.to_str().ok()) {
        let stored = crate::dav::load_object(&*ctx.dav.storage, path)?;
        let etag = ctx.dav.storage.node(path)?.and_then(|n| n.resource().map(|r| r.etag.clone()));
        match (stored, etag) {
            (Some(obj), Some(etag)) if crate::scheduling::itip::schedule_tag(&obj) == tag.trim().trim_matches('"') => {
                cond.if_match.get_or_insert_with(Vec::new).push(etag);
            }
            _ => return Err(DavError::Status(StatusCode::PRECONDITION_FAILED)),
        }
    }
    let content_type = req
        .headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("application/octet-stream")
        .to_string();
    let mut hooked = None;
    let mut schedule_tag = None;
    let mut rewritten = false;
    let write = if coll.calendar {
        if req.body.len() as u64 > ctx.dav.limits.max_resource_size {
            return Err(DavError::forbidden(PropName::caldav("max-resource-size")));
        }
        // RFC 4791 §5.3.2.1: a media type that is not iCalendar, or a body
        // that is not iCalendar at all whatever its label (HTML, JSON, a
        // vCard), is `supported-calendar-data`; broken iCalendar is
        // `valid-calendar-data`; both are checked before any UID rule.
        if !is_calendar_media_type(&content_type) || !opens_as_icalendar(&req.body) {
            return Err(DavError::forbidden(PropName::caldav("supported-calendar-data")));
        }
        let mut object = CalendarObject::parse(&req.body)?;
        object.check_storable()?;
        // RFC 4791 §5.2.6/§5.2.7: CALDAV:min-date-time / max-date-time.
        object.check_date_bounds()?;
        // RFC 4791 §5.3.2.1 `no-uid-conflict`: an existing object is not
        // overwritten by one with another UID.
        if let Some(existing) = ctx.dav.storage.node(path)? {
            if existing.resource().and_then(|r| r.calendar.as_ref()).is_some_and(|c| c.uid != object.uid()) {
                return Err(DavError::no_uid_conflict(path));
            }
        }
        let horizon = chrono::DateTime::from_timestamp(coll.horizon, 0).unwrap_or(chrono::DateTime::<chrono::Utc>::MAX_UTC);
        // Before anything else looks at the object's instances: refuses a
        // recurrence set beyond the budget (CALDAV:max-instances).
        let mut index = object.checked_index_entry(horizon)?;
        // The registered write hooks may refuse the object (RFC 4791
        // §5.3.2.1: the attendee cap) and add records to the same batch:
        // an edit of a booking's event in the coach's app moves, confirms
        // or cancels the booking; an organizer's change is mailed to the
        // attendees (RFC 6638 implicit scheduling).
        let write = ObjectWrite { user: ctx.user, path, calendar: &parent, now: ctx.now, storage: &*ctx.dav.storage };
        ctx.dav.hooks.check_put(&write, &object)?;
        if let Some(changed) = ctx.dav.hooks.stored_form(&write, &object)? {
            index = changed.checked_index_entry(horizon)?;
            object = changed;
            rewritten = true;
        }
        hooked = ctx.dav.hooks.on_put(&write, &object)?;
        schedule_tag = object.organizer().is_some().then(|| crate::scheduling::itip::schedule_tag(&object));
        ResourceWrite {
            bytes: if rewritten { object.raw_bytes().to_vec() } else { req.body.to_vec() },
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
    let (outcome, written) = match hooked {
        None => (ctx.dav.storage.put_resource(path, write, &cond, ctx.now)?, None),
        Some(mut hooked) => {
            let object = Some(ObjectChange::Put { path: path.clone(), write, cond });
            let records = std::mem::take(&mut hooked.records);
            (ctx.dav.storage.apply(RecordBatch { records, object }, ctx.now)?.expect("a put has an outcome"), Some(hooked))
        }
    };
    ctx.durable()?;
    if let Some(hooked) = written {
        hooked.written();
    }
    let mut resp = empty_response(if outcome.created { StatusCode::CREATED } else { StatusCode::NO_CONTENT });
    let etag = HeaderValue::from_str(&quote_etag(&outcome.etag)).expect("hex etag");
    if let Some(tag) = schedule_tag {
        resp.headers_mut().insert("schedule-tag", HeaderValue::from_str(&quote_etag(&tag)).expect("hex tag"));
    }
    // RFC 4791 §5.3.4: no ETag when what is stored is not what was sent.
    if !rewritten {
        resp.headers_mut().insert(ETAG, etag);
    }
    Ok(resp)
}

/// What a PUT into a calendar may be labelled: iCalendar, or nothing more
/// specific than "bytes" (no Content-Type, `application/octet-stream`).
fn is_calendar_media_type(content_type: &str) -> bool {
    let media = content_type.split(';').next().unwrap_or("").trim();
    media.is_empty() || media.eq_ignore_ascii_case("text/calendar") || media.eq_ignore_ascii_case("application/octet-stream")
}

/// Whether a body is iCalendar at all: it opens with `BEGIN:VCALENDAR`
/// (a byte-order mark and leading blank space aside). Only the opening is
/// looked at.
fn opens_as_icalendar(body: &[u8]) -> bool {
    let head = &body[..body.len().min(4096)];
    crate::ical::export::opens_as_vcalendar(&String::from_utf8_lossy(head))
}
