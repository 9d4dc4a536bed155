//! `CALDAV:calendar-query` (RFC 4791 §7.8). Candidates come from the
//! time-range index when the filter has a time-range; an object is parsed
//! only when the index cannot decide alone or its data must be reshaped.

use hyper::StatusCode;

use super::{ensure_indexed, floating_zone, load_object};
use crate::dav::methods::{Ctx, DavRequest};
use crate::dav::path::Target;
use crate::dav::xml::request::ReportProps;
use crate::dav::{DavError, DavResult};
use crate::dav::xml::response::{Response, ResponseBody};
use crate::dav::xml::{PropName, XmlNode};
use crate::ical::filter::CompFilter;
use crate::ical::ComponentKind;
use crate::storage::{Node, StorePath};

pub fn calendar_query(
    ctx: &Ctx,
    _req: &DavRequest,
    target: &Target,
    props: &ReportProps,
    filter: &CompFilter,
    timezone: Option<String>,
    limit: Option<u32>,
) -> DavResult {
    let tz = timezone.as_deref();
    let mut found: Vec<(StorePath, Node)> = Vec::new();
    match target {
        Target::Store((path, node)) if node.is_calendar() => {
            if !asks_for_a_component_not_held(node, filter) {
                found = matching(ctx, path, filter, tz)?;
            }
        }
        Target::Store((path, node)) if node.resource().is_some_and(|r| r.calendar.is_some()) => {
            let calendar = path.parent().expect("objects live in calendars");
            let floating = floating_zone(ctx, &calendar, tz)?;
            if let Some(obj) = load_object(ctx, path)? {
                if obj.matches(filter, floating) {
                    found.push((path.clone(), node.clone()));
                }
            }
        }
        Target::Store((path, node)) if node.is_collection() => {
            // A home or plain collection: search the calendars directly in it.
            for (name, child) in ctx.dav.storage.children(path)? {
                if child.is_calendar() {
                    found.extend(matching(ctx, &path.child(&name), filter, tz)?);
                }
            }
        }
        _ => return Err(DavError::Status(StatusCode::FORBIDDEN)),
    }
    let truncated = limit.is_some_and(|n| found.len() > n as usize);
    if let Some(n) = limit {
        found.truncate(n as usize);
    }
    let mut ms = crate::dav::multistatus_builder(ctx, &props.props, found.len().min(64));
    for (object_path, object_node) in found {
        ms.push(super::multiget::describe_object(ctx, &object_path, object_node, props, tz)?);
    }
    if truncated {
        // RFC 5323 §5.17 / RFC 6352 §8.6.1: the Request-URI, 507.
        ms.push(Response {
            href: target.href(),
            body: ResponseBody::Status(507),
            error: Some(XmlNode::empty(PropName::dav("number-of-matches-within-limits"))),
        });
    }
    Ok(crate::dav::multistatus_body(ms.finish(None)))
}

/// Does the filter ask for a calendar component the calendar cannot hold
/// (its `supported-calendar-component-set`, RFC 4791 §5.2.3)? Then nothing
/// can match and no object is read. Such a filter is valid, not refused
/// with `CALDAV:valid-filter`: clients ask every calendar for events
/// (python-caldav's `events()` on a task list, which caldav-server-tester
/// uses to see that a calendar exists). `is-not-defined` on such a kind is
/// true of every object and is answered as usual.
fn asks_for_a_component_not_held(calendar: &Node, filter: &CompFilter) -> bool {
    let Some(coll) = calendar.collection() else { return false };
    !coll.components.is_empty()
        && filter
            .comp_filters
            .iter()
            .filter(|c| !c.is_not_defined)
            .filter_map(|c| ComponentKind::from_name(&c.name))
            .any(|kind| !coll.components.contains(&kind))
}

/// The objects of one calendar that match `filter`.
pub fn matching(ctx: &Ctx, calendar: &StorePath, filter: &CompFilter, timezone: Option<&str>) -> DavResult<Vec<(StorePath, Node)>> {
    let storage = &*ctx.dav.storage;
    let tz = floating_zone(ctx, calendar, timezone)?;
    let wanted_kind = filter.component_kind();
    let index_exact = filter.is_index_exact();
    let candidates: Vec<(String, bool)> = match filter.time_range_hint() {
        Some(range) => {
            let range = range.closed();
            ensure_indexed(ctx, calendar, &range)?;
            storage.time_range_candidates(calendar, &range)?.into_iter().map(|c| (c.name, c.exact)).collect()
        }
        None => storage.children(calendar)?.into_iter().map(|(name, _)| (name, false)).collect(),
    };
    let mut out = Vec::new();
    for (name, exact) in candidates {
        let path = calendar.child(&name);
        let Some(node) = storage.node(&path)? else { continue };
        let Some(info) = node.resource().and_then(|r| r.calendar.as_ref()) else { continue };
        if let Some(kind) = wanted_kind {
            if info.kind != kind && index_exact {
                continue;
            }
        }
        let decided = exact && index_exact && wanted_kind.is_some_and(|k| k == info.kind);
        if decided {
            out.push((path, node));
            continue;
        }
        if let Some(obj) = load_object(ctx, &path)? {
            if obj.matches(filter, tz) {
                out.push((path, node));
            }
        }
    }
    Ok(out)
}
