//! CalDAV REPORTs (RFC 4791 §7, RFC 6578, RFC 3744 §9): a typed request in,
//! a multi-status (or VFREEBUSY) out. One file per report; the filters
//! themselves are evaluated by [`crate::ical`], prefiltered through the
//! store's time-range index. Here too the preconditions every REPORT
//! shares: `DAV:supported-report` (RFC 3253 §3.6) and the
//! `CALDAV:min-date-time` / `max-date-time` bounds of its time ranges.

pub(crate) mod freebusy;
mod multiget;
mod principal;
mod query;
mod sync;

pub use freebusy::user_free_busy;

use chrono::{DateTime, Utc};
use hyper::StatusCode;

use crate::dav::methods::{Ctx, DavRequest};
use crate::dav::path::Target;
use crate::dav::xml::request::{Report, ReportProps};
use crate::dav::xml::{PropName, XmlNode};
use crate::dav::{DavError, DavResult};
use crate::ical::CalendarObject;
use crate::ical::filter::CompFilter;
use crate::model::{OpenTimeRange, TimeRange};
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
    check_date_bounds(&report)?;
    match report {
        Report::CalendarQuery { props, filter, timezone, limit } => {
            query::calendar_query(ctx, req, target, &props, &filter, timezone, limit)
        }
        Report::CalendarMultiget { props, hrefs } => multiget::calendar_multiget(ctx, target, &props, &hrefs),
        Report::FreeBusyQuery { range } => freebusy::free_busy_query(ctx, target, range),
        Report::SyncCollection { token, limit, props, .. } => sync::sync_collection(ctx, target, &token, limit, &props),
        Report::ExpandProperty { props } => principal::expand_property(ctx, target, &props),
        Report::PrincipalSearchPropertySet => Ok(principal::search_property_set()),
        Report::PrincipalPropertySearch { matches, props } => principal::property_search(ctx, &matches, &props),
        Report::Unsupported(_) => unreachable!("unsupported reports are not in any supported set"),
    }
}

/// RFC 4791 §7.8, §7.9, §7.10 preconditions `CALDAV:min-date-time` and
/// `CALDAV:max-date-time`: every start or end a REPORT names (filter
/// time-ranges, `expand`, `limit-recurrence-set`, `limit-freebusy-set`,
/// the free-busy range) lies within the bounds announced on calendars
/// (`ical::expand::min_date_time` ..= `max_date_time`). A request beyond
/// them is refused (403), not clamped, as the RFC has it; an open end is
/// not a value and is fine.
fn check_date_bounds(report: &Report) -> DavResult<()> {
    let mut values: Vec<DateTime<Utc>> = Vec::new();
    let closed = |r: &TimeRange, out: &mut Vec<DateTime<Utc>>| out.extend([r.start, r.end]);
    let data = |props: &ReportProps, out: &mut Vec<DateTime<Utc>>| {
        if let Some(cd) = &props.calendar_data {
            for r in [cd.expand, cd.limit_recurrence_set, cd.limit_freebusy_set].iter().flatten() {
                closed(r, out);
            }
        }
    };
    match report {
        Report::CalendarQuery { props, filter, .. } => {
            data(props, &mut values);
            filter_times(filter, &mut values);
        }
        Report::CalendarMultiget { props, .. } | Report::SyncCollection { props, .. } => data(props, &mut values),
        Report::FreeBusyQuery { range } => values.extend([range.start, range.end]),
        _ => {}
    }
    let (min, max) = (crate::ical::expand::min_date_time(), crate::ical::expand::max_date_time());
    if values.iter().any(|t| *t < min) {
        return Err(DavError::forbidden(PropName::caldav("min-date-time")));
    }
    if values.iter().any(|t| *t > max) {
        return Err(DavError::forbidden(PropName::caldav("max-date-time")));
    }
    Ok(())
}

fn filter_times(f: &CompFilter, out: &mut Vec<DateTime<Utc>>) {
    let mut open = |r: &Option<OpenTimeRange>| {
        if let Some(r) = r {
            out.extend(r.start.into_iter().chain(r.end));
        }
    };
    open(&f.time_range);
    for p in &f.prop_filters {
        open(&p.time_range);
    }
    for c in &f.comp_filters {
        filter_times(c, out);
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

/// Is `fragment`, a stored or sent `CALDAV:calendar-timezone` property
/// (its XML fragment), an iCalendar object with exactly one VTIMEZONE
/// (RFC 4791 §5.2.2)? PROPPATCH and MKCALENDAR refuse any other value with
/// `CALDAV:valid-calendar-data`.
pub fn is_valid_calendar_timezone(fragment: &str) -> bool {
    crate::provision::fragment_text(fragment).is_some_and(|text| crate::ical::tz::is_timezone_calendar(&text))
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
