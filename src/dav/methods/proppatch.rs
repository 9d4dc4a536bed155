//! PROPPATCH (RFC 4918 §9.2): all instructions succeed together or none
//! does; the failing ones get their own status, the rest 424. A protected
//! property among them is 403 with `DAV:cannot-modify-protected-property`
//! in the response (§16).
//!
//! Dead properties are limited in size (`max_dead_property_bytes`) and
//! number per resource (`max_dead_properties`): one beyond either gets
//! 507, the status §9.2.1 gives for "not sufficient space to record the
//! property". A patch beyond the owner's quota is refused as a whole with
//! 507 `DAV:quota-not-exceeded` (RFC 4331).
//!
//! The scheduling inbox has one writable property,
//! `CALDAV:calendar-availability` (RFC 7953 §7.2.4): its value must be
//! iCalendar data with VAVAILABILITY components that pass
//! `ical::availability::check` (else 403 for it, with
//! `CALDAV:valid-calendar-data` in the response's `DAV:error`), and is stored, as text, on the owner's home
//! (`storage::INBOX_AVAILABILITY_PROP`), under the same limits and quota.

use std::collections::HashSet;

use hyper::StatusCode;

use super::{Ctx, DavRequest};
use crate::dav::path::Target;
use crate::dav::props;
use crate::dav::xml::request::{parse_proppatch, PropPatchOp};
use crate::dav::xml::response::{MultiStatus, PropStat, Response, ResponseBody};
use crate::dav::xml::{PropName, XmlNode, NS_CALDAV};
use crate::dav::{multistatus_response, DavError, DavResult};
use crate::ical::availability;
use crate::ical::CalendarObject;
use crate::storage::{PropChange, StorePath, INBOX_AVAILABILITY_PROP};

pub fn proppatch(ctx: &Ctx, req: &DavRequest) -> DavResult {
    let ops = parse_proppatch(&req.body)?;
    let target = ctx.target(&req.path)?.ok_or(DavError::Status(StatusCode::NOT_FOUND))?;
    let inbox = match &target {
        Target::ScheduleInbox(user) => Some(StorePath::home(user)),
        _ => None,
    };
    // Where the changes are stored: the resource itself, or for the inbox
    // its owner's home.
    let store_at = match &target {
        Target::Store((path, _)) => Some(path.clone()),
        _ => inbox.clone(),
    };
    let mut outcome: Vec<(PropName, u16)> = Vec::new();
    let mut invalid_availability = false;
    // RFC 4791 §5.2.2: a calendar-timezone that is not one VTIMEZONE is
    // 403 for that property, with `CALDAV:valid-calendar-data`.
    let mut error = None;
    let mut changes = Vec::new();
    let (max_bytes, max_count) = (ctx.dav.limits.max_dead_property_bytes, ctx.dav.limits.max_dead_properties);
    // The dead properties the resource would have after each instruction.
    let mut present: HashSet<String> = match &store_at {
        Some(path) => ctx.dav.storage.props(path)?.into_iter().map(|(clark, _)| clark).collect(),
        None => HashSet::new(),
    };
    for op in &ops {
        if inbox.is_some() {
            let status = inbox_op(op, &mut present, &mut changes, max_bytes, max_count);
            invalid_availability |= status == 403 && matches!(op, PropPatchOp::Set { name, .. } if props::is_calendar_availability(name));
            outcome.push((op_name(op).clone(), status));
            continue;
        }
        let writable = matches!(target, Target::Store((..)));
        let (name, change) = match op {
            PropPatchOp::Set { name, value } => (name, PropChange::Set(name.clark(), value.clone())),
            PropPatchOp::Remove(name) => (name, PropChange::Remove(name.clark())),
        };
        let status = if !writable || props::is_protected(name) {
            403
        } else if let PropPatchOp::Set { name, value } = op {
            if name.is(NS_CALDAV, "calendar-timezone") && !crate::dav::caldav::is_valid_calendar_timezone(value) {
                error = Some(XmlNode::empty(PropName::caldav("valid-calendar-data")));
                403
            } else if value.len() as u64 > max_bytes || (!present.contains(&name.clark()) && present.len() >= max_count) {
                507
            } else {
                present.insert(name.clark());
                200
            }
        } else {
            present.remove(&name.clark());
            200
        };
        outcome.push((name.clone(), status));
        changes.push(change);
    }
    let failed = outcome.iter().any(|(_, s)| *s != 200);
    // RFC 4918 §16 `DAV:cannot-modify-protected-property`, named in the
    // response when a protected property is among the refused ones.
    let protected = ops.iter().any(|op| match op {
        PropPatchOp::Set { name, .. } | PropPatchOp::Remove(name) => props::is_protected(name),
    });
    let protected_error = protected.then(|| XmlNode::empty(PropName::dav("cannot-modify-protected-property")));
    if !failed {
        if let Some(path) = &store_at {
            ctx.dav.storage.patch_props(path, &changes, ctx.now)?;
            ctx.durable()?;
        }
    }
    // Group by status, each name once, in the order of the request.
    let mut groups: Vec<PropStat> = Vec::new();
    for (name, status) in outcome {
        let status = if failed && status == 200 { 424 } else { status };
        let node = XmlNode::empty(name);
        match groups.iter_mut().find(|g| g.status == status) {
            Some(g) => {
                if !g.props.contains(&node) {
                    g.props.push(node)
                }
            }
            None => groups.push(PropStat { status, props: vec![node] }),
        }
    }
    // RFC 7953 §7.2.4 names the precondition a bad value fails.
    let error = error.or_else(|| invalid_availability.then(|| XmlNode::empty(PropName::caldav("valid-calendar-data")))).or(protected_error);
    let ms = MultiStatus {
        responses: vec![Response { href: target.href(), body: ResponseBody::PropStats(groups), error }],
        sync_token: None,
    };
    Ok(multistatus_response(&ms))
}

fn op_name(op: &PropPatchOp) -> &PropName {
    match op {
        PropPatchOp::Set { name, .. } | PropPatchOp::Remove(name) => name,
    }
}

/// One instruction on the scheduling inbox: only
/// `CALDAV:calendar-availability` may be set (when valid) or removed.
fn inbox_op(
    op: &PropPatchOp,
    present: &mut HashSet<String>,
    changes: &mut Vec<PropChange>,
    max_bytes: u64,
    max_count: usize,
) -> u16 {
    let key = INBOX_AVAILABILITY_PROP.to_string();
    match op {
        PropPatchOp::Set { name, value } if props::is_calendar_availability(name) => {
            let Some(text) = crate::provision::fragment_text(value) else { return 403 };
            let valid = CalendarObject::parse(text.as_bytes()).and_then(|obj| availability::check(&obj)).is_ok();
            if !valid {
                403
            } else if text.len() as u64 > max_bytes || (!present.contains(&key) && present.len() >= max_count) {
                507
            } else {
                present.insert(key.clone());
                changes.push(PropChange::Set(key, text));
                200
            }
        }
        PropPatchOp::Remove(name) if props::is_calendar_availability(name) => {
            present.remove(&key);
            changes.push(PropChange::Remove(key));
            200
        }
        _ => 403,
    }
}
