//! The schedule inbox and outbox (RFC 6638 §2): GET, HEAD and DELETE of a
//! message in the inbox (`scheduling::inbox`), and POST of a VFREEBUSY
//! request to the outbox (§5), answered per attendee from the busy time
//! of local users' calendars.

use bytes::Bytes;
use hyper::header::{HeaderValue, CONTENT_TYPE, ETAG};
use hyper::{Response, StatusCode};

use super::{Ctx, DavRequest};
use crate::dav::path::DavPath;
use crate::dav::xml::response::{schedule_response, ScheduleRecipient};
use crate::dav::xml::PropName;
use crate::dav::{DavError, DavResult};
use crate::http::{empty_response, quote_etag, Body};
use crate::ical::BusyKind;
use crate::model::TimeRange;
use crate::scheduling::freebusy::{reply, FreeBusyError, FreeBusyRequest};
use crate::scheduling::{inbox, Directory};

/// GET or HEAD of an inbox message.
pub fn get_message(ctx: &Ctx, user: &str, name: &str, with_body: bool) -> DavResult {
    let msg = inbox::get(&*ctx.dav.storage, user, name)?.ok_or(DavError::Status(StatusCode::NOT_FOUND))?;
    let etag = quote_etag(&msg.etag());
    let body = if with_body { Bytes::from(msg.ics) } else { Bytes::new() };
    let mut resp = Response::new(Body::new(body));
    resp.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("text/calendar; charset=utf-8"));
    resp.headers_mut().insert(ETAG, HeaderValue::from_str(&etag).expect("hex etag"));
    Ok(resp)
}

/// DELETE of an inbox message (the client has processed it).
pub fn delete_message(ctx: &Ctx, user: &str, name: &str) -> DavResult {
    if !inbox::remove(&*ctx.dav.storage, user, name)? {
        return Err(DavError::Status(StatusCode::NOT_FOUND));
    }
    ctx.durable()?;
    Ok(empty_response(StatusCode::NO_CONTENT))
}

/// POST to the outbox: a free-busy request (RFC 6638 §5.1). The organizer
/// must be the user; each attendee gets a `CALDAV:response`: local users
/// their busy time, anyone else 3.7 (not a user of this server).
pub fn post_outbox(ctx: &Ctx, req: &DavRequest) -> DavResult {
    let DavPath::ScheduleOutbox(_) = &req.path else { return Err(DavError::Status(StatusCode::METHOD_NOT_ALLOWED)) };
    let content_type = req.headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let media = content_type.split(';').next().unwrap_or("").trim();
    if !media.eq_ignore_ascii_case("text/calendar") {
        return Err(DavError::forbidden(PropName::caldav("supported-calendar-data")));
    }
    let request = FreeBusyRequest::parse(&req.body).map_err(|e| {
        tracing::debug!(error = %e, "outbox POST refused");
        match e {
            FreeBusyError::NotCalendar(_) => DavError::forbidden(PropName::caldav("valid-calendar-data")),
            FreeBusyError::InvalidMessage(_) => DavError::forbidden(PropName::caldav("valid-scheduling-message")),
        }
    })?;
    let dir = Directory::load(&*ctx.dav.storage)?;
    if !dir.is(&request.organizer, &ctx.user.name) {
        return Err(DavError::forbidden(PropName::caldav("valid-organizer")));
    }
    if request.attendees.len() > ctx.dav.limits.max_attendees as usize {
        return Err(DavError::forbidden(PropName::caldav("max-attendees-per-instance")));
    }
    let mut recipients = Vec::new();
    for attendee in &request.attendees {
        let Some(user) = dir.user_for(attendee) else {
            recipients.push(ScheduleRecipient {
                recipient: attendee.clone(),
                request_status: "3.7;Invalid calendar user".into(),
                calendar_data: None,
            });
            continue;
        };
        let periods = busy_of_user(ctx, &user.name, request.range)?;
        recipients.push(ScheduleRecipient {
            recipient: attendee.clone(),
            request_status: "2.0;Success".into(),
            calendar_data: Some(reply(&request, attendee, &periods, ctx.now)),
        });
    }
    let mut resp = Response::new(Body::new(Bytes::from(schedule_response(&recipients))));
    resp.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("application/xml; charset=utf-8"));
    Ok(resp)
}

/// A user's busy time: every calendar of their home (RFC 6638 §9.1: all
/// count, none is marked transparent), invitations they declined left out,
/// and the time outside their declared availability (RFC 7953 §4, the
/// inbox's `calendar-availability` and VAVAILABILITY objects) as
/// BUSY-UNAVAILABLE: the same answer as a free-busy-query on their home.
fn busy_of_user(ctx: &Ctx, user: &str, range: TimeRange) -> DavResult<Vec<(TimeRange, BusyKind)>> {
    let periods = crate::dav::caldav::user_free_busy(ctx, user, range)?;
    Ok(crate::ical::freebusy::busy_periods(
        &periods.iter().map(|(r, k)| crate::ical::Occurrence { range: *r, busy: Some(*k), all_day: false }).collect::<Vec<_>>(),
        range,
    ))
}
