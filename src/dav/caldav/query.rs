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
use crate::dav::path::store_href;
use crate::dav::xml::request::PropFind;
use crate::dav::xml::{PropName, XmlNode};
use crate::ical::filter::CompFilter;
use crate::ical::ComponentKind;
use crate::storage::{stored_str, IndexHead, Node, StorePath};

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
    let mut ms = crate::dav::multistatus_builder(ctx, &props.props, 64);
    // Each match is described and written as it is found (the answer
    // streams): nothing holds the whole result. One past the limit says
    // the result was truncated.
    let mut answered = 0usize;
    let mut truncated = false;
    let from_head = super::multiget::answered_from_head(props);
    let head_names: &[PropName] = match &props.props {
        PropFind::Prop(names) => names,
        _ => &[],
    };
    // The href of the calendar last answered from, for the next match in it.
    let mut base: Option<(StorePath, String)> = None;
    let mut href = String::new();
    let mut answer = |found: Match| -> DavResult<bool> {
        if limit.is_some_and(|n| answered >= n as usize) {
            truncated = true;
            return Ok(false);
        }
        let response = match found {
            Match::Indexed(path, head) if from_head => {
                // Written straight from the index's head and the bytes,
                // borrowed from the store.
                let calendar = path.parent().expect("objects live in calendars");
                if base.as_ref().is_none_or(|(c, _)| *c != calendar) {
                    let text = store_href(&calendar, true);
                    base = Some((calendar, text));
                }
                href.clear();
                href.push_str(&base.as_ref().expect("just set").1);
                crate::http::push_segment(&mut href, path.name());
                if props.calendar_data.is_none() {
                    ms.push_resource_head(&href, head_names, &head.etag, "");
                } else {
                    let found = ctx.dav.storage.visit_content(&path, &mut |bytes| {
                        ms.push_resource_head(&href, head_names, &head.etag, &stored_str(bytes));
                    })?;
                    if !found {
                        return Ok(true);
                    }
                }
                answered += 1;
                return Ok(true);
            }
            Match::Indexed(path, _) => match ctx.dav.storage.node(&path)? {
                Some(node) => Some(super::multiget::describe_object(ctx, &path, node, props, tz)?),
                None => None,
            },
            Match::Node(path, node) => Some(super::multiget::describe_object(ctx, &path, node, props, tz)?),
        };
        // None: deleted since the index was read.
        if let Some(r) = response {
            ms.push(r);
            answered += 1;
        }
        Ok(true)
    };
    match target {
        Target::Store((path, node)) if node.is_calendar() => {
            if !asks_for_a_component_not_held(node, filter) {
                for_each_match(ctx, path, filter, tz, &mut answer)?;
            }
        }
        Target::Store((path, node)) if node.resource().is_some_and(|r| r.calendar.is_some()) => {
            let calendar = path.parent().expect("objects live in calendars");
            let floating = floating_zone(ctx, &calendar, tz)?;
            if let Some(obj) = load_object(ctx, path)? {
                if obj.matches(filter, floating) {
                    answer(Match::Node(path.clone(), node.clone()))?;
                }
            }
        }
        Target::Store((path, node)) if node.is_collection() => {
            // A home or plain collection: search the calendars directly in it.
            for (name, child) in ctx.dav.storage.children(path)? {
                if child.is_calendar() && !for_each_match(ctx, &path.child(&name), filter, tz, &mut answer)? {
                    break;
                }
            }
        }
        _ => return Err(DavError::Status(StatusCode::FORBIDDEN)),
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

/// An object that matches a query: with its node, or only with what the
/// time-range index filed of it (the index alone decided the match).
pub enum Match {
    Node(StorePath, Node),
    Indexed(StorePath, IndexHead),
}

/// Calls `f` with each object of one calendar that matches `filter`, in
/// name order, until it returns `false`; whether it never did.
pub fn for_each_match(
    ctx: &Ctx,
    calendar: &StorePath,
    filter: &CompFilter,
    timezone: Option<&str>,
    f: &mut dyn FnMut(Match) -> DavResult<bool>,
) -> DavResult<bool> {
    let storage = &*ctx.dav.storage;
    let tz = floating_zone(ctx, calendar, timezone)?;
    let wanted_kind = filter.component_kind();
    let index_exact = filter.is_index_exact();
    let mut consider = |name: &str, exact: bool, node: Option<Node>, head: Option<IndexHead>| -> DavResult<bool> {
        let path = calendar.child(name);
        // The index's head says the kind: no node is read for an object
        // the index decides, in or out.
        if let Some(head) = head.filter(|_| index_exact) {
            if wanted_kind.is_some_and(|k| k != head.kind) {
                return Ok(true);
            }
            if exact && wanted_kind.is_some() {
                return f(Match::Indexed(path, head));
            }
        }
        let node = match node {
            Some(n) => n,
            None => match storage.node(&path)? {
                Some(n) => n,
                None => return Ok(true),
            },
        };
        let Some(info) = node.resource().and_then(|r| r.calendar.as_ref()) else { return Ok(true) };
        if let Some(kind) = wanted_kind {
            if info.kind != kind && index_exact {
                return Ok(true);
            }
        }
        let decided = exact && index_exact && wanted_kind.is_some_and(|k| k == info.kind);
        if decided {
            return f(Match::Node(path, node));
        }
        match load_object(ctx, &path)? {
            Some(obj) if obj.matches(filter, tz) => f(Match::Node(path, node)),
            _ => Ok(true),
        }
    };
    match filter.time_range_hint() {
        Some(range) => {
            let range = range.closed();
            ensure_indexed(ctx, calendar, &range)?;
            for c in storage.time_range_candidates(calendar, &range)? {
                if !consider(&c.name, c.exact, None, c.head)? {
                    return Ok(false);
                }
            }
        }
        None => {
            // Every member, read as the store lists them (one at a time).
            let mut going = true;
            let mut failed = None;
            storage.for_each_child(calendar, &mut |name, node| {
                if going {
                    match consider(&name, false, Some(node), None) {
                        Ok(more) => going = more,
                        Err(e) => {
                            failed = Some(e);
                            going = false;
                        }
                    }
                }
                Ok(())
            })?;
            if let Some(e) = failed {
                return Err(e);
            }
            return Ok(going);
        }
    }
    Ok(true)
}
