//! `CALDAV:free-busy-query` (RFC 4791 §7.10): busy time of a calendar (or
//! of every calendar in a home) as one VFREEBUSY, from the index, with the
//! unavailable time of calendar availability (RFC 7953 §4, §7.2.4).
//!
//! What counts as availability: the VAVAILABILITY objects of the calendars
//! asked about and, when the query covers the user (their home), the
//! `CALDAV:calendar-availability` of their scheduling inbox. All of them
//! are resolved together by `ical::availability` (priority, overlap).
//! [`user_free_busy`] is the same answer for a user, for the scheduling
//! outbox's free-busy request. Stored VFREEBUSY components add the busy
//! periods they publish.

use bytes::Bytes;
use hyper::header::{HeaderValue, CONTENT_TYPE};
use hyper::{Response, StatusCode};

use super::{ensure_indexed, floating_zone, load_object};
use crate::http::Body;
use crate::dav::methods::Ctx;
use crate::dav::path::Target;
use crate::dav::{DavError, DavResult};
use crate::ical::availability::{unavailable_periods, Availability};
use crate::ical::zone::Zone;
use crate::ical::BusyKind;
use crate::model::TimeRange;
use crate::storage::{IndexedOccurrence, StorePath};

pub fn free_busy_query(ctx: &Ctx, target: &Target, range: TimeRange) -> DavResult {
    let Target::Store((path, node)) = target else { return Err(DavError::Status(StatusCode::FORBIDDEN)) };
    let periods = if node.is_calendar() {
        calendars_free_busy(ctx, &[path.clone()], None, &range)?
    } else {
        let inbox_of = path.segments().len() == 1;
        calendars_free_busy(ctx, &calendars_in(ctx, path)?, inbox_of.then(|| path.owner()), &range)?
    };
    let body = crate::ical::freebusy::vfreebusy(range, &periods, ctx.now);
    let mut resp = Response::new(Body::new(Bytes::from(body)));
    *resp.status_mut() = StatusCode::OK;
    resp.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("text/calendar; charset=utf-8"));
    Ok(resp)
}

/// The busy and unavailable time of `user` within `range`: every calendar
/// of their home plus their inbox's `calendar-availability`.
pub fn user_free_busy(ctx: &Ctx, user: &str, range: TimeRange) -> DavResult<Vec<(TimeRange, BusyKind)>> {
    let home = StorePath::home(user);
    if ctx.dav.storage.node(&home)?.is_none() {
        return calendars_free_busy(ctx, &[], Some(user), &range);
    }
    calendars_free_busy(ctx, &calendars_in(ctx, &home)?, Some(user), &range)
}

fn calendars_in(ctx: &Ctx, path: &StorePath) -> DavResult<Vec<StorePath>> {
    Ok(ctx
        .dav
        .storage
        .children(path)?
        .into_iter()
        .filter(|(_, n)| n.is_calendar())
        .map(|(name, _)| path.child(&name))
        .collect())
}

/// Busy periods of `calendars` plus the unavailable time of their
/// VAVAILABILITY objects and, with `inbox_of`, that user's inbox property.
fn calendars_free_busy(
    ctx: &Ctx,
    calendars: &[StorePath],
    inbox_of: Option<&str>,
    range: &TimeRange,
) -> DavResult<Vec<(TimeRange, BusyKind)>> {
    let mut periods: Vec<(TimeRange, BusyKind)> = Vec::new();
    let mut availability: Vec<Availability> = Vec::new();
    for cal in calendars {
        // One read of the index serves both. A busy occurrence placed
        // exactly, of an object that cannot be a declined invitation (nearly
        // all of them), is a period as it is read; only the rest is kept
        // and looked at once the index is read.
        ensure_indexed(ctx, cal, range)?;
        let mut rest = Vec::new();
        ctx.dav.storage.visit_occurrences(cal, range, &mut |occ| match occ.occurrence.busy {
            Some(kind) if !occ.approximate && !occ.may_be_declined() => periods.push((occ.occurrence.range, kind)),
            _ => rest.push(occ.to_owned()),
        })?;
        periods.extend(busy_periods(ctx, cal, range, &rest)?);
        availability.extend(availability_objects(ctx, cal, &rest)?);
    }
    if let Some(user) = inbox_of {
        if let Some(text) = crate::dav::props::inbox_availability(&*ctx.dav.storage, user)? {
            // Stored only after it passed the same checks.
            availability.extend(Availability::parse_all(text.as_bytes(), None).unwrap_or_default());
        }
    }
    periods.extend(unavailable_periods(&availability, *range));
    Ok(periods)
}

/// The VAVAILABILITY objects among `occurrences` of one calendar (at most
/// `storage::MAX_AVAILABILITY_OBJECTS`).
fn availability_objects(ctx: &Ctx, calendar: &StorePath, occurrences: &[IndexedOccurrence]) -> DavResult<Vec<Availability>> {
    let tz = floating_zone(ctx, calendar, None)?;
    let mut out = Vec::new();
    for name in crate::storage::availability_among(&*ctx.dav.storage, calendar, occurrences)? {
        if let Some(obj) = load_object(ctx, &calendar.child(&name))? {
            out.extend(Availability::all_in(&obj, tz));
        }
    }
    Ok(out)
}

/// Busy periods of one calendar within `range`, from its `occurrences`
/// there (the index's): floating-time objects placed exactly in the
/// calendar's zone, and invitations the calendar's owner declined left
/// out (RFC 6638 §5). An object is read only when the index cannot say.
fn busy_periods(ctx: &Ctx, calendar: &StorePath, range: &TimeRange, occurrences: &[IndexedOccurrence]) -> DavResult<Vec<(TimeRange, BusyKind)>> {
    let mut out = Vec::new();
    // Objects the index places only roughly (floating time), each with
    // whether all of those occurrences are all-day events: their dates are
    // exact in the index, and are placed in the calendar's zone without
    // reading the object.
    let mut approximate: std::collections::BTreeMap<&str, bool> = std::collections::BTreeMap::new();
    let mut all_day = Vec::new();
    // Objects with time in the range that is not busy by itself: a stored
    // VFREEBUSY among them publishes busy periods of its own.
    let mut not_busy = std::collections::BTreeSet::new();
    let owner = ctx.dav.storage.user(calendar.owner())?;
    let mut declined = std::collections::HashMap::new();
    let mut not_busy_kinds = std::collections::HashMap::new();
    for occ in occurrences {
        if occ.occurrence.busy.is_some() && occ.may_be_declined() {
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
            let by_dates = occ.occurrence.all_day && occ.head.as_ref().is_some_and(|h| h.kind == crate::ical::ComponentKind::Event);
            *approximate.entry(occ.name.as_str()).or_insert(true) &= by_dates;
            if by_dates {
                all_day.push(occ);
            }
            continue;
        }
        match occ.occurrence.busy {
            Some(kind) => out.push((occ.occurrence.range, kind)),
            None => {
                not_busy.insert(occ.name.as_str());
                if let Some(head) = &occ.head {
                    not_busy_kinds.insert(occ.name.as_str(), head.kind);
                }
            }
        }
    }
    for name in not_busy {
        let path = calendar.child(name);
        let kind = match not_busy_kinds.get(name) {
            Some(k) => Some(*k),
            None => ctx.dav.storage.node(&path)?.and_then(|n| n.resource().and_then(|r| r.calendar.as_ref()).map(|c| c.kind)),
        };
        if kind == Some(crate::ical::ComponentKind::FreeBusy) {
            if let Some(obj) = load_object(ctx, &path)? {
                out.extend(obj.published_busy(*range).into_iter().filter_map(|o| Some((o.range, o.busy?))));
            }
        }
    }
    if !approximate.is_empty() {
        let tz = floating_zone(ctx, calendar, None)?;
        let zone = tz.map_or(Zone::UTC, Zone::Iana);
        for occ in all_day.into_iter().filter(|o| approximate[o.name.as_str()]) {
            let (Some(kind), Some((first, end))) = (occ.occurrence.busy, occ.occurrence.all_day_dates()) else { continue };
            let midnight = |d: chrono::NaiveDate| zone.to_utc(d.and_time(chrono::NaiveTime::MIN));
            let exact = TimeRange::new(midnight(first), midnight(end));
            if exact.overlaps(range) {
                out.push((exact, kind));
            }
        }
        for name in approximate.into_iter().filter(|(_, by_dates)| !by_dates).map(|(name, _)| name) {
            if let Some(obj) = load_object(ctx, &calendar.child(name))? {
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
