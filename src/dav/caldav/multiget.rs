//! `CALDAV:calendar-multiget` (RFC 4791 §7.9): named objects, 404 for the
//! ones that do not exist.

use super::{floating_zone, load_object};
use crate::dav::methods::propfind::{describe, stored_text};
use crate::dav::methods::Ctx;
use crate::dav::path::{href_path, DavPath};
use crate::dav::path::Target;
use crate::dav::xml::request::ReportProps;
use crate::dav::xml::request::PropFind;
use crate::dav::xml::response::{MultiStatusBuilder, Response, ResponseBody};
use crate::dav::xml::PropName;
use crate::dav::{DavError, DavResult};
use crate::ical::CalendarObject;
use crate::storage::{Node, StorageError, StorePath};

/// At most this many instances are expanded into one REPORT answer
/// (`CALDAV:expand`, RFC 4791 §9.6.5); beyond it the request is refused
/// with 403 `DAV:number-of-matches-within-limits`, as CalendarServer does,
/// rather than rendering an answer of unbounded size.
pub const MAX_REPORT_INSTANCES: usize = 20_000;

/// Counts the instances `obj` expands to in `req`'s expand range against
/// the request's [`MAX_REPORT_INSTANCES`].
fn charge_instances(
    ctx: &Ctx,
    obj: &CalendarObject,
    req: &crate::ical::render::CalendarDataRequest,
    floating: Option<chrono_tz::Tz>,
) -> DavResult<()> {
    let Some(range) = req.expand else { return Ok(()) };
    let exp = obj.expand(range, floating);
    let total = ctx.instances.get() + exp.instances.len();
    ctx.instances.set(total);
    if exp.capped || exp.exhausted || total > MAX_REPORT_INSTANCES {
        tracing::debug!(total, "expand REPORT refused: too many instances");
        return Err(DavError::forbidden(PropName::dav("number-of-matches-within-limits")));
    }
    Ok(())
}

/// RFC 4791 §7.9: the hrefs name objects within the scope of the
/// Request-URI (the collection, at any depth, or the object itself); one
/// outside it, like one that does not exist, is a 404 response of its own.
/// A multiget without any href is malformed (§9.10: `DAV:href+`), 400.
pub fn calendar_multiget(ctx: &Ctx, target: &Target, props: &ReportProps, hrefs: &[String]) -> DavResult {
    if hrefs.is_empty() {
        return Err(DavError::Status(hyper::StatusCode::BAD_REQUEST));
    }
    let scope = target.store_path();
    let mut ms = crate::dav::multistatus_builder(ctx, &props.props, hrefs.len());
    for href in hrefs {
        let path = match DavPath::parse(href_path(href)) {
            Ok(DavPath::Store(p)) if p.owner() == ctx.user.name && scope.is_some_and(|s| p.is_within(s)) => p,
            _ => {
                ms.push(Response { href: href.clone(), body: ResponseBody::Status(404), error: None });
                continue;
            }
        };
        match ctx.dav.storage.node(&path)? {
            Some(node) if node.resource().is_some() => ms.push(describe_object(ctx, &path, node, props, None)?),
            _ => ms.push(Response { href: href.clone(), body: ResponseBody::Status(404), error: None }),
        }
    }
    Ok(crate::dav::multistatus_body(ms.finish(None)))
}

/// The `DAV:response` for one object, with calendar-data shaped as asked.
/// Floating times of an `expand` or `limit-recurrence-set` are placed in
/// `request_tz` (a calendar-query's `CALDAV:timezone`), else in the
/// calendar's `calendar-timezone` (RFC 4791 §9.6.5, §7.3).
pub fn describe_object(
    ctx: &Ctx,
    path: &StorePath,
    node: Node,
    props: &ReportProps,
    request_tz: Option<&str>,
) -> DavResult<Response> {
    let is_object = node.resource().and_then(|r| r.calendar.as_ref()).is_some();
    // Parsed once, and its expansion counted before anything is rendered.
    let mut floating = None;
    let reshaped = match &props.calendar_data {
        Some(req) if !req.is_verbatim() && is_object => {
            if req.expand.is_some() || req.limit_recurrence_set.is_some() {
                if let Some(calendar) = path.parent() {
                    floating = floating_zone(ctx, &calendar, request_tz)?;
                }
            }
            let obj = load_object(ctx, path)?;
            if let Some(obj) = &obj {
                charge_instances(ctx, obj, req, floating)?;
            }
            Some(obj)
        }
        _ => None,
    };
    let target = Target::Store((path.clone(), node));
    let pctx = ctx.props();
    let shape = |t: &Target| -> Result<Option<String>, StorageError> {
        let Target::Store((p, n)) = t else { return Ok(None) };
        if n.resource().and_then(|r| r.calendar.as_ref()).is_none() {
            return Ok(None);
        }
        match (&props.calendar_data, &reshaped) {
            (Some(req), Some(obj)) if !req.is_verbatim() => Ok(obj.as_ref().map(|o| o.render_in(req, floating))),
            (Some(req), None) if !req.is_verbatim() => {
                Ok(load_object(ctx, p).ok().flatten().map(|o| o.render(req)))
            }
            _ => Ok(ctx.dav.storage.content(p)?.map(stored_text)),
        }
    };
    describe(&pctx, &target, &props.props, Some(&shape))
}

/// Whether a REPORT asking for `props` is answered for an object from its
/// index head and stored bytes alone, without its node: it names only
/// `DAV:getetag`, `DAV:resourcetype` and `CALDAV:calendar-data` as
/// stored ([`MultiStatusBuilder::head_listing`]), what clients ask of a
/// calendar-query.
pub fn answered_from_head(props: &ReportProps) -> bool {
    let PropFind::Prop(names) = &props.props else { return false };
    props.calendar_data.as_ref().map_or(true, |r| r.is_verbatim()) && MultiStatusBuilder::head_listing(names)
}
