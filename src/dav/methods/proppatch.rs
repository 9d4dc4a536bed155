//! PROPPATCH (RFC 4918 §9.2): all instructions succeed together or none
//! does; the failing ones get their own status, the rest 424.
//!
//! Dead properties are limited in size (`max_dead_property_bytes`) and
//! number per resource (`max_dead_properties`): one beyond either gets
//! 507, the status §9.2.1 gives for "not sufficient space to record the
//! property". A patch beyond the owner's quota is refused as a whole with
//! 507 `DAV:quota-not-exceeded` (RFC 4331).

use std::collections::HashSet;

use hyper::StatusCode;

use super::{Ctx, DavRequest};
use crate::dav::path::Target;
use crate::dav::props;
use crate::dav::xml::request::{parse_proppatch, PropPatchOp};
use crate::dav::xml::response::{MultiStatus, PropStat, Response, ResponseBody};
use crate::dav::xml::{PropName, XmlNode, NS_CALDAV};
use crate::dav::{multistatus_response, DavError, DavResult};
use crate::storage::PropChange;

pub fn proppatch(ctx: &Ctx, req: &DavRequest) -> DavResult {
    let ops = parse_proppatch(&req.body)?;
    let target = ctx.target(&req.path)?.ok_or(DavError::Status(StatusCode::NOT_FOUND))?;
    let writable = matches!(target, Target::Store((..)));
    let mut outcome: Vec<(PropName, u16)> = Vec::new();
    // RFC 4791 §5.2.2: a calendar-timezone that is not one VTIMEZONE is
    // 403 for that property, with `CALDAV:valid-calendar-data`.
    let mut error = None;
    let mut changes = Vec::new();
    let (max_bytes, max_count) = (ctx.dav.limits.max_dead_property_bytes, ctx.dav.limits.max_dead_properties);
    // The dead properties the resource would have after each instruction.
    let mut present: HashSet<String> = match &target {
        Target::Store((path, _)) => ctx.dav.storage.props(path)?.into_iter().map(|(clark, _)| clark).collect(),
        _ => HashSet::new(),
    };
    for op in &ops {
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
    if !failed {
        if let Target::Store((path, _)) = &target {
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
    let ms = MultiStatus {
        responses: vec![Response { href: target.href(), body: ResponseBody::PropStats(groups), error }],
        sync_token: None,
    };
    Ok(multistatus_response(&ms))
}
