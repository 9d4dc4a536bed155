//! `DAV:sync-collection` (RFC 6578): what changed in a collection since a
//! token. Tokens name the collection's incarnation and revision; the store
//! keeps a change log, so a delta costs only the changes.

use hyper::StatusCode;

use super::multiget::describe_object;
use crate::dav::methods::propfind::{etag_names, push_etag_listing};
use crate::dav::methods::Ctx;
use crate::dav::path::Target;
use crate::dav::props::{parse_sync_token, sync_token};
use crate::dav::xml::request::ReportProps;
use crate::dav::xml::response::{Response, ResponseBody};
use crate::dav::xml::{PropName, XmlNode};
use crate::dav::{DavError, DavResult};

pub fn sync_collection(ctx: &Ctx, target: &Target, token: &str, limit: Option<u32>, props: &ReportProps) -> DavResult {
    let Target::Store((path, node)) = target else { return Err(DavError::Status(StatusCode::FORBIDDEN)) };
    let coll = node.collection().ok_or(DavError::Status(StatusCode::FORBIDDEN))?;
    let invalid_token = || DavError::forbidden(PropName::dav("valid-sync-token"));
    let since = if token.trim().is_empty() {
        0
    } else {
        parse_sync_token(token.trim(), coll.sync_id).ok_or_else(invalid_token)?
    };
    // An initial sync of names and etags is the current member list: read
    // from the members' heads rather than by replaying the change log
    // (which grows with every change, not with the members). The revision
    // is the one read before the listing, so a member changed meanwhile
    // is reported again by the next sync rather than missed.
    if since == 0 && limit.is_none() && props.calendar_data.is_none() && etag_names(&props.props).is_some() {
        let mut ms = crate::dav::multistatus_builder(ctx, &props.props, 64);
        push_etag_listing(ctx, path, &props.props, &mut ms)?;
        return Ok(crate::dav::multistatus_body(ms.finish(Some(sync_token(coll.sync_id, coll.revision)))));
    }
    let changes = ctx
        .dav
        .storage
        .changes_since(path, since, limit.map(|l| l.max(1) as usize))?
        .ok_or_else(invalid_token)?;
    let mut ms = crate::dav::multistatus_builder(ctx, &props.props, changes.changes.len());
    for change in &changes.changes {
        let member = path.child(&change.name);
        match ctx.dav.storage.node(&member)? {
            Some(n) if !change.deleted => {
                if n.is_collection() {
                    let href = crate::dav::path::store_href(&member, true);
                    let pctx = ctx.props();
                    let mut resp = crate::dav::methods::propfind::describe(&pctx, &Target::Store((member.clone(), n)), &props.props, None)?;
                    resp.href = href;
                    ms.push(resp);
                } else {
                    ms.push(describe_object(ctx, &member, n, props, None)?);
                }
            }
            // Removed members are reported only to a client that may have
            // seen them (not on an initial sync).
            _ if since > 0 => ms.push(Response {
                href: crate::dav::path::store_href(&member, false),
                body: ResponseBody::Status(404),
                error: None,
            }),
            _ => {}
        }
    }
    if changes.truncated {
        ms.push(Response {
            href: target.href(),
            body: ResponseBody::Status(507),
            error: Some(XmlNode::empty(PropName::dav("number-of-matches-within-limits"))),
        });
    }
    Ok(crate::dav::multistatus_body(ms.finish(Some(sync_token(coll.sync_id, changes.revision)))))
}
