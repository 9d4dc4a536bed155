//! PROPFIND (RFC 4918 §9.1): properties of a resource and, with Depth 1,
//! of its members. Depth infinity is refused (`DAV:propfind-finite-depth`).

use hyper::StatusCode;

use super::{Ctx, DavRequest};
use crate::dav::headers::{self, Depth};
use crate::dav::path::{store_href, Target};
use crate::dav::props::{self, PropContext};
use crate::dav::xml::request::{parse_propfind, PropFind};
use crate::dav::xml::response::{MultiStatusBuilder, PropStat, Response, ResponseBody};
use crate::dav::xml::{PropName, XmlNode};
use crate::dav::{multistatus_body, multistatus_builder, DavError, DavResult};
use crate::storage::{MemberHead, StorageError, StorePath};

pub fn propfind(ctx: &Ctx, req: &DavRequest) -> DavResult {
    let depth = headers::depth(&req.headers, Depth::Infinity).ok_or(DavError::Status(StatusCode::BAD_REQUEST))?;
    if depth == Depth::Infinity {
        return Err(DavError::forbidden(PropName::dav("propfind-finite-depth")));
    }
    let request = parse_propfind(&req.body)?;
    let target = ctx.target(&req.path)?.ok_or(DavError::Status(StatusCode::NOT_FOUND))?;
    let pctx = ctx.props();
    let mut ms = multistatus_builder(ctx, &request, 1);
    ms.push(describe(&pctx, &target, &request, None)?);
    if depth == Depth::One {
        match &target {
            // A stored collection may hold thousands of members: describe
            // each as it comes from the store.
            Target::Store((path, node)) if node.is_collection() && etag_names(&request).is_some() => {
                push_etag_listing(ctx, path, &request, &mut ms)?;
            }
            Target::Store((path, node)) if node.is_collection() => {
                let mut failed = None;
                ctx.dav.storage.for_each_child(path, &mut |name, child| {
                    match describe(&pctx, &Target::Store((path.child(&name), child)), &request, None) {
                        Ok(r) => ms.push(r),
                        Err(e) => failed = Some(e),
                    }
                    Ok(())
                })?;
                if let Some(e) = failed {
                    return Err(e);
                }
            }
            _ => {
                for t in members(ctx, &target)? {
                    ms.push(describe(&pctx, &t, &request, None)?);
                }
            }
        }
    }
    Ok(multistatus_body(ms.finish(None)))
}

/// The names asked for when they are only names a listing answers from
/// each member's etag ([`MultiStatusBuilder::etag_listing`]).
pub fn etag_names(request: &PropFind) -> Option<&[PropName]> {
    match request {
        PropFind::Prop(names) if MultiStatusBuilder::etag_listing(names) => Some(names),
        _ => None,
    }
}

/// Every member of the collection at `path` for a request that
/// [`etag_names`] accepts, in name order, straight from the store's
/// member heads: a resource's response is written from its name and etag
/// (the same bytes [`describe`] gives); a member collection, rare in a
/// calendar, is described as usual.
pub fn push_etag_listing(ctx: &Ctx, path: &StorePath, request: &PropFind, ms: &mut MultiStatusBuilder) -> DavResult<()> {
    let names = etag_names(request).expect("asked for an etag listing");
    let pctx = ctx.props();
    let base = store_href(path, true);
    let mut href = String::with_capacity(base.len() + 64);
    let mut failed = None;
    ctx.dav.storage.for_each_member(path, &mut |name, head| {
        match head {
            MemberHead::Resource { etag } => {
                href.clear();
                href.push_str(&base);
                crate::http::push_segment(&mut href, name);
                ms.push_resource_etag(&href, names, etag);
            }
            MemberHead::Collection { .. } => {
                let child = path.child(name);
                if let Some(node) = ctx.dav.storage.node(&child)? {
                    match describe(&pctx, &Target::Store((child, node)), request, None) {
                        Ok(r) => ms.push(r),
                        Err(e) => failed = Some(e),
                    }
                }
            }
        }
        Ok(())
    })?;
    match failed {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

/// The members of a collection that a Depth 1 request lists.
pub fn members(ctx: &Ctx, target: &Target) -> DavResult<Vec<Target>> {
    Ok(match target {
        Target::Root => vec![Target::PrincipalsRoot, Target::CalendarsRoot],
        Target::PrincipalsRoot => vec![Target::Principal(ctx.user.name.clone())],
        Target::CalendarsRoot => {
            let home = crate::storage::StorePath::home(&ctx.user.name);
            match ctx.dav.storage.node(&home)? {
                Some(n) => vec![Target::Store((home, n))],
                None => vec![],
            }
        }
        Target::ScheduleInbox(u) => crate::scheduling::inbox::list(&*ctx.dav.storage, u)?
            .into_iter()
            .map(|(name, _)| Target::ScheduleInboxItem(u.clone(), name))
            .collect(),
        Target::Principal(_) | Target::ScheduleOutbox(_) | Target::ScheduleInboxItem(..) => vec![],
        Target::Store((path, node)) if node.is_collection() => ctx
            .dav
            .storage
            .children(path)?
            .into_iter()
            .map(|(name, n)| Target::Store((path.child(&name), n)))
            .collect(),
        Target::Store((..)) => vec![],
    })
}

/// Renders `CALDAV:calendar-data` for a target (a REPORT's shaping of it).
pub type CalendarDataShaper<'a> = &'a dyn Fn(&Target) -> Result<Option<String>, StorageError>;

/// One `DAV:response` for a target. `calendar_data` renders
/// `CALDAV:calendar-data` when asked for (REPORTs pass a closure that
/// shapes it; PROPFIND returns the stored bytes).
pub fn describe(
    pctx: &PropContext,
    target: &Target,
    request: &PropFind,
    calendar_data: Option<CalendarDataShaper<'_>>,
) -> DavResult<Response> {
    let mut found: Vec<XmlNode> = Vec::new();
    let mut missing: Vec<XmlNode> = Vec::new();
    match request {
        PropFind::PropName => {
            let mut names = props::live_names(target);
            names.extend(props::dead(pctx.storage, target)?.into_iter().map(|(n, _)| n));
            names.dedup();
            found.extend(names.into_iter().map(XmlNode::empty));
        }
        PropFind::AllProp { include } => {
            let dead = props::dead(pctx.storage, target)?;
            for name in props::allprop_names(target) {
                if dead.iter().any(|(n, _)| *n == name) {
                    continue;
                }
                if let Some(v) = props::live(pctx, target, &name)? {
                    found.push(v);
                }
            }
            found.extend(dead.into_iter().map(|(_, raw)| XmlNode::Raw(raw)));
            for name in include {
                if let Some(v) = props::live(pctx, target, name)? {
                    found.push(v);
                }
            }
        }
        PropFind::Prop(names) => {
            for name in names {
                if name.is(crate::dav::xml::NS_CALDAV, "calendar-data") {
                    let data = match calendar_data {
                        Some(f) => f(target)?,
                        None => raw_calendar_data(pctx, target)?,
                    };
                    match data {
                        Some(text) => found.push(XmlNode::text_element(name.clone(), text)),
                        None => missing.push(XmlNode::empty(name.clone())),
                    }
                    continue;
                }
                match props::get(pctx, target, name)? {
                    Some(v) => found.push(v),
                    None => missing.push(XmlNode::empty(name.clone())),
                }
            }
        }
    }
    let mut propstats = Vec::new();
    if !found.is_empty() || missing.is_empty() {
        propstats.push(PropStat { status: 200, props: found });
    }
    if !missing.is_empty() {
        propstats.push(PropStat { status: 404, props: missing });
    }
    Ok(Response { href: target.href(), body: ResponseBody::PropStats(propstats), error: None })
}

/// The stored bytes of a calendar object, as text.
fn raw_calendar_data(pctx: &PropContext, target: &Target) -> Result<Option<String>, StorageError> {
    match target {
        Target::Store((path, node)) if node.resource().is_some_and(|r| r.calendar.is_some()) => {
            Ok(pctx.storage.content(path)?.map(stored_text))
        }
        _ => Ok(None),
    }
}

/// Stored bytes as text: moved when they are UTF-8 (they are, for every
/// object PUT checked), else with replacement characters.
pub fn stored_text(bytes: Vec<u8>) -> String {
    String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}
