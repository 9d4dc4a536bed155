//! `CALDAV:free-busy-query` (RFC 4791 §7.10): busy time of a calendar (or
//! of every calendar in a home) as one VFREEBUSY, from the index.

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
/// floating-time objects placed exactly in the calendar's zone, and
/// invitations the calendar's owner declined left out (RFC 6638 §5).
pub fn busy_periods(ctx: &Ctx, calendar: &StorePath, range: &TimeRange) -> DavResult<Vec<(TimeRange, BusyKind)>> {
    ensure_indexed(ctx, calendar, range)?;
    let mut out = Vec::new();
    let mut approximate = std::collections::BTreeSet::new();
    let owner = ctx.dav.storage.user(calendar.owner())?;
    let mut declined = std::collections::HashMap::new();
    for occ in ctx.dav.storage.occurrences(calendar, range)? {
        if occ.occurrence.busy.is_some() {
            if let Some(owner) = &owner {
                if !declined.contains_key(&occ.name) {
                    let d = crate::scheduling::freebusy::declined(&*ctx.dav.storage, owner, &calendar.child(&occ.name))?;
                    declined.insert(occ.name.clone(), d);
                }
                if declined[&occ.name] {
                    continue;
                }
            }
        }
        if occ.approximate {
            approximate.insert(occ.name);
            continue;
        }
        if let Some(kind) = occ.occurrence.busy {
            out.push((occ.occurrence.range, kind));
        }
    }
    if !approximate.is_empty() {
        let tz = floating_zone(ctx, calendar, None)?;
        for name in approximate {
            if let Some(obj) = load_object(ctx, &calendar.child(&name))? {
                for occ in obj.busy_occurrences(*range, tz) {
                    if let Some(kind) = occ.busy {
                        out.push((occ.range, kind));
                    }
                }
            }
        }
    }
    Ok(out)
}
