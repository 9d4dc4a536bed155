//! `CALDAV:free-busy-query` (RFC 4791 §7.10): busy time of a calendar (or
//! of every calendar in a home) as one VFREEBUSY, from the index, with the
//! busy periods stored VFREEBUSY components publish.

use bytes::Bytes;
use http_body_util::Full;
use hyper::header::{HeaderValue, CONTENT_TYPE};
use hyper::{Response, StatusCode};

use super::{ensure_indexed, floating_zone, load_object};
use crate::dav::methods::Ctx;
use crate::dav::path::Target;
use crate::dav::{DavError, DavResult};
use crate::ical::BusyKind;
use crate::model::TimeRange;
use crate::storage::StorePath;

pub fn free_busy_query(ctx: &Ctx, target: &Target, range: TimeRange) -> DavResult {
    let Target::Store((path, node)) = target else { return Err(DavError::Status(StatusCode::FORBIDDEN)) };
    let calendars: Vec<StorePath> = if node.is_calendar() {
        vec![path.clone()]
    } else {
        ctx.dav
            .storage
            .children(path)?
            .into_iter()
            .filter(|(_, n)| n.is_calendar())
            .map(|(name, _)| path.child(&name))
            .collect()
    };
    let mut periods: Vec<(TimeRange, BusyKind)> = Vec::new();
    for cal in &calendars {
        periods.extend(busy_periods(ctx, cal, &range)?);
    }
    let body = crate::ical::freebusy::vfreebusy(range, &periods, ctx.now);
    let mut resp = Response::new(Full::new(Bytes::from(body)));
    *resp.status_mut() = StatusCode::OK;
    resp.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("text/calendar; charset=utf-8"));
    Ok(resp)
}

/// Busy periods of one calendar within `range`: from the index, with
/// floating-time objects placed exactly in the calendar's zone.
pub fn busy_periods(ctx: &Ctx, calendar: &StorePath, range: &TimeRange) -> DavResult<Vec<(TimeRange, BusyKind)>> {
    ensure_indexed(ctx, calendar, range)?;
    let mut out = Vec::new();
    let mut approximate = std::collections::BTreeSet::new();
    // Objects with time in the range that is not busy by itself: a stored
    // VFREEBUSY among them publishes busy periods of its own.
    let mut not_busy = std::collections::BTreeSet::new();
    for occ in ctx.dav.storage.occurrences(calendar, range)? {
        if occ.approximate {
            approximate.insert(occ.name);
            continue;
        }
        match occ.occurrence.busy {
            Some(kind) => out.push((occ.occurrence.range, kind)),
            None => {
                not_busy.insert(occ.name);
            }
        }
    }
    for name in not_busy {
        let path = calendar.child(&name);
        let kind = ctx.dav.storage.node(&path)?.and_then(|n| n.resource().and_then(|r| r.calendar.as_ref()).map(|c| c.kind));
        if kind == Some(crate::ical::ComponentKind::FreeBusy) {
            if let Some(obj) = load_object(ctx, &path)? {
                out.extend(obj.published_busy(*range).into_iter().filter_map(|o| Some((o.range, o.busy?))));
            }
        }
    }
    if !approximate.is_empty() {
        let tz = floating_zone(ctx, calendar, None)?;
        for name in approximate {
            if let Some(obj) = load_object(ctx, &calendar.child(&name))? {
                for occ in obj.busy_occurrences(*range, tz).into_iter().chain(obj.published_busy(*range)) {
                    if let Some(kind) = occ.busy {
                        out.push((occ.range, kind));
                    }
                }
            }
        }
    }
    Ok(out)
}
