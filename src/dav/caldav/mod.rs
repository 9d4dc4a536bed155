//! CalDAV REPORTs (RFC 4791 §7, RFC 6578, RFC 3744 §9): a typed request in,
//! a multi-status (or VFREEBUSY) out. One file per report; the filters
//! themselves are evaluated by [`crate::ical`], prefiltered through the
//! store's time-range index.

pub(crate) mod freebusy;
mod multiget;
mod principal;
mod query;
mod sync;

use chrono::{DateTime, Utc};
use hyper::StatusCode;

use crate::dav::methods::{Ctx, DavRequest};
use crate::dav::path::Target;
use crate::dav::xml::request::Report;
use crate::dav::xml::{PropName, XmlNode};
use crate::dav::{DavError, DavResult};
use crate::ical::CalendarObject;
use crate::model::TimeRange;
use crate::storage::StorePath;

/// Answers a REPORT on `target`.
pub fn report(ctx: &Ctx, req: &DavRequest, target: &Target, report: Report) -> DavResult {
    let supported = crate::dav::props::supported_reports(target);
    let kind = report_name(&report);
    if !supported.contains(&kind) {
        return Err(DavError::Precondition {
            status: StatusCode::FORBIDDEN,
            condition: XmlNode::empty(PropName::dav("supported-report")),
        });
    }
    match report {
        Report::CalendarQuery { props, filter, timezone } => query::calendar_query(ctx, req, target, &props, &filter, timezone),
        Report::CalendarMultiget { props, hrefs } => multiget::calendar_multiget(ctx, target, &props, &hrefs),
        Report::FreeBusyQuery { range } => freebusy::free_busy_query(ctx, target, range),
        Report::SyncCollection { token, limit, props, .. } => sync::sync_collection(ctx, target, &token, limit, &props),
        Report::ExpandProperty { props } => principal::expand_property(ctx, target, &props),
        Report::PrincipalSearchPropertySet => Ok(principal::search_property_set()),
        Report::PrincipalPropertySearch { matches, props } => principal::property_search(ctx, &matches, &props),
        Report::Unsupported(_) => unreachable!("unsupported reports are not in any supported set"),
    }
}

fn report_name(report: &Report) -> PropName {
    match report {
        Report::CalendarQuery { .. } => PropName::caldav("calendar-query"),
        Report::CalendarMultiget { .. } => PropName::caldav("calendar-multiget"),
        Report::FreeBusyQuery { .. } => PropName::caldav("free-busy-query"),
        Report::SyncCollection { .. } => PropName::dav("sync-collection"),
        Report::ExpandProperty { .. } => PropName::dav("expand-property"),
        Report::PrincipalSearchPropertySet => PropName::dav("principal-search-property-set"),
        Report::PrincipalPropertySearch { .. } => PropName::dav("principal-property-search"),
        Report::Unsupported(name) => name.clone(),
    }
}

/// Makes sure the index of `calendar` covers `range` (unbounded series are
/// indexed up to a horizon that moves on demand).
pub fn ensure_indexed(ctx: &Ctx, calendar: &StorePath, range: &TimeRange) -> DavResult<()> {
    if range.end >= DateTime::<Utc>::MAX_UTC - chrono::Duration::days(1) {
        // An open end: index a generous stretch beyond today.
        let until = ctx.now + chrono::Duration::days(5 * 366);
        return ensure_until(ctx, calendar, until);
    }
    ensure_until(ctx, calendar, range.end)
}

fn ensure_until(ctx: &Ctx, calendar: &StorePath, until: DateTime<Utc>) -> DavResult<()> {
    let reindex = |bytes: &[u8], horizon: DateTime<Utc>| CalendarObject::parse(bytes).ok().map(|o| o.index_entry(horizon));
    ctx.dav.storage.extend_horizon(calendar, until, &reindex)?;
    Ok(())
}

/// The calendar object stored at `path`, parsed (see [`crate::dav::load_object`]).
fn load_object(ctx: &Ctx, path: &StorePath) -> DavResult<Option<CalendarObject>> {
    Ok(crate::dav::load_object(&*ctx.dav.storage, path)?)
}

/// The zone floating times are read in: the request's `CALDAV:timezone`,
/// else the calendar's `calendar-timezone` property.
pub fn floating_zone(ctx: &Ctx, calendar: &StorePath, request_tz: Option<&str>) -> DavResult<Option<chrono_tz::Tz>> {
    if let Some(text) = request_tz {
        if let Some(tz) = crate::ical::tz::zone_from_vcalendar(text) {
            return Ok(Some(tz));
        }
    }
    let stored = ctx.dav.storage.prop(calendar, &PropName::caldav("calendar-timezone").clark())?;
    Ok(stored
        .and_then(|frag| crate::provision::fragment_text(&frag))
        .and_then(|text| crate::ical::tz::zone_from_vcalendar(&text)))
}
