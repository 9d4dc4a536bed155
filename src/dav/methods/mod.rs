//! One file per HTTP method. [`handle`] authorises the request against the
//! URL layout, provisions a user's home on first use, refuses a method the
//! resource does not take ([`ResourceKind`]: 405 with an exact `Allow`),
//! evaluates the `If` header, and dispatches.
//!
//! Handlers are plain synchronous functions: the store is synchronous and
//! fast, and the server runs each DAV request on the blocking pool.

mod copymove;
mod delete;
mod get;
mod mkcol;
mod options;

pub use options::DAV_CLASSES;
#[doc(hidden)]
pub use copymove::same_server;
pub mod propfind;
mod proppatch;
mod put;
mod report;
mod schedule;

use bytes::Bytes;
use chrono::{DateTime, Utc};
use hyper::header::{HeaderValue, ALLOW, CACHE_CONTROL};
use hyper::{HeaderMap, Method, Response, StatusCode};

use super::path::DavPath;
use super::path::Target;
use super::props::PropContext;
use super::xml::{PropName, XmlNode};
use super::context::DavContext;
use super::{DavError, DavResult};
use crate::http::{Body, ResponseSlot};
use crate::storage::{StorePath, User};

/// A DAV request whose body has been read and whose user is known.
pub struct DavRequest {
    pub method: Method,
    pub path: DavPath,
    pub headers: HeaderMap,
    pub body: Bytes,
}

/// What every handler gets: the DAV context and the authenticated user.
pub struct Ctx<'a> {
    pub dav: &'a DavContext,
    pub user: &'a User,
    pub now: DateTime<Utc>,
    /// Recurrence instances this request has expanded into its answer so
    /// far (bounded per request by `caldav`).
    pub instances: std::cell::Cell<usize>,
    /// Where a long multi-status answer is sent as it is written
    /// ([`crate::dav::stream`]); `None`: every answer is returned whole.
    pub slot: Option<ResponseSlot>,
}

impl<'a> Ctx<'a> {
    pub fn props(&self) -> PropContext<'_> {
        PropContext {
            storage: &*self.dav.storage,
            user: &self.user.name,
            user_email: self.user.email.as_deref(),
            max_resource_size: self.dav.limits.max_resource_size,
            max_attendees: self.dav.limits.max_attendees,
            quota: self.dav.limits.quota,
        }
    }

    /// Makes every write so far durable before it is acknowledged.
    pub fn durable(&self) -> DavResult<()> {
        self.dav.storage.flush()?;
        Ok(())
    }

    /// The resource at a DAV path, if it exists.
    pub fn target(&self, path: &DavPath) -> DavResult<Option<Target>> {
        Ok(path.load(&*self.dav.storage)?)
    }
}

pub use crate::provision::DEFAULT_CALENDAR;

/// Handles one authenticated DAV request; every answer is returned whole.
pub fn handle(dav: &DavContext, user: &User, req: DavRequest) -> Response<Body> {
    answer(dav, user, req, None)
}

/// Handles one authenticated DAV request, sending a long multi-status
/// answer through `slot` while it is written; the response returned is
/// then the one the slot drops (the first one given is sent), so the
/// caller gives the slot the returned response in any case. Runs on the
/// blocking pool, inside the runtime.
pub fn handle_streamed(dav: &DavContext, user: &User, req: DavRequest, slot: ResponseSlot) -> Response<Body> {
    answer(dav, user, req, Some(slot))
}

fn answer(dav: &DavContext, user: &User, req: DavRequest, slot: Option<ResponseSlot>) -> Response<Body> {
    let ctx = Ctx { dav, user, now: dav.clock.now(), instances: std::cell::Cell::new(0), slot };
    let path = req.path.clone();
    let mkcalendar = req.method.as_str() == "MKCALENDAR";
    let mut resp = match dispatch(&ctx, req) {
        Ok(resp) => resp,
        Err(e) => e.into_response(),
    };
    // RFC 9110 §15.5.6: a 405 names the methods the resource does allow.
    if resp.status() == StatusCode::METHOD_NOT_ALLOWED && !resp.headers().contains_key(ALLOW) {
        let kind = ResourceKind::of(&ctx, &path).unwrap_or(ResourceKind::Missing);
        resp.headers_mut().insert(ALLOW, HeaderValue::from_static(kind.methods()));
    }
    // RFC 4791 §5.3.1: MKCALENDAR answers are not cached.
    if mkcalendar {
        resp.headers_mut().insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    }
    resp
}

fn dispatch(ctx: &Ctx, req: DavRequest) -> DavResult {
    crate::provision::home(&*ctx.dav.storage, &ctx.user.name, ctx.now)?;
    // A user reaches only their own principal and home.
    if let Some(owner) = req.path.owner() {
        if owner != ctx.user.name {
            return Err(DavError::forbidden(PropName::dav("need-privileges")));
        }
    }
    let method = req.method.as_str();
    if !KNOWN_METHODS.contains(&method) {
        return Err(DavError::Status(StatusCode::NOT_IMPLEMENTED));
    }
    // A method the resource does not take is 405 before anything else
    // looks at the request, so `Allow` is exact. A missing resource is left
    // to the handlers: most methods answer 404 there, not 405; MKCALENDAR
    // on an existing one is 403 `resource-must-be-null` (RFC 4791 §5.3.1).
    let kind = ResourceKind::of(ctx, &req.path)?;
    let takes = kind.methods().split(", ").any(|m| m == method);
    if !takes && kind != ResourceKind::Missing && !(method == "MKCALENDAR" && matches!(req.path, DavPath::Store(_))) {
        return Err(DavError::Status(StatusCode::METHOD_NOT_ALLOWED));
    }
    if matches!(method, "PUT" | "DELETE" | "PROPPATCH" | "MKCOL" | "MKCALENDAR" | "MOVE") {
        if let DavPath::Store(path) = &req.path {
            guard_writable(ctx, path)?;
        }
    }
    check_if_header(ctx, &req)?;
    // The schedule inbox's messages and the outbox (RFC 6638 §2).
    match (&req.path, method) {
        (DavPath::ScheduleInboxItem(u, name), "GET" | "HEAD") => return schedule::get_message(ctx, u, name, method == "GET"),
        (DavPath::ScheduleInboxItem(u, name), "DELETE") => return schedule::delete_message(ctx, u, name),
        (DavPath::ScheduleOutbox(_), "POST") => return schedule::post_outbox(ctx, &req),
        _ => {}
    }
    match method {
        "OPTIONS" => options::options(ctx, &req, kind),
        "PROPFIND" => propfind::propfind(ctx, &req),
        "PROPPATCH" => proppatch::proppatch(ctx, &req),
        "GET" => get::get(ctx, &req, true),
        "HEAD" => get::get(ctx, &req, false),
        "PUT" => put::put(ctx, &req),
        "DELETE" => delete::delete(ctx, &req),
        "MKCOL" => mkcol::mkcol(ctx, &req, false),
        "MKCALENDAR" => mkcol::mkcol(ctx, &req, true),
        "COPY" => copymove::copy_or_move(ctx, &req, false),
        "MOVE" => copymove::copy_or_move(ctx, &req, true),
        "REPORT" => report::report(ctx, &req),
        _ => Err(DavError::Status(StatusCode::METHOD_NOT_ALLOWED)),
    }
}

/// Methods slotdav knows (others are 501). LOCK, UNLOCK (no DAV class 2),
/// ACL, PATCH and POST are taken by no resource: 405.
const KNOWN_METHODS: &[&str] = &[
    "OPTIONS", "GET", "HEAD", "PUT", "DELETE", "PROPFIND", "PROPPATCH", "MKCOL", "MKCALENDAR", "COPY", "MOVE", "REPORT",
    "POST", "PATCH", "LOCK", "UNLOCK", "ACL",
];

/// What a request URL names, as far as the methods it takes go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResourceKind {
    /// `/dav/`, `/dav/principals/`, `/dav/calendars/`, a principal, its
    /// inbox: made by slotdav, read and queried only.
    Virtual,
    /// A scheduling outbox (RFC 6638 §2.1): read, queried, and POSTed
    /// free-busy requests (§5).
    Outbox,
    /// A message in a scheduling inbox: read and removed.
    InboxMessage,
    /// A user's calendar home: it goes only with its user.
    Home,
    /// A calendar or plain collection inside a home.
    Collection,
    /// A stored resource (a calendar object or any file).
    Object,
    /// Nothing stored there yet.
    Missing,
}

impl ResourceKind {
    pub fn of(ctx: &Ctx, path: &DavPath) -> DavResult<Self> {
        let p = match path {
            DavPath::Store(p) => p,
            DavPath::ScheduleOutbox(_) => return Ok(ResourceKind::Outbox),
            DavPath::ScheduleInboxItem(..) => return Ok(ResourceKind::InboxMessage),
            _ => return Ok(ResourceKind::Virtual),
        };
        Ok(match ctx.dav.storage.node(p)? {
            None => ResourceKind::Missing,
            Some(_) if p.len() < 2 => ResourceKind::Home,
            Some(n) if n.is_collection() => ResourceKind::Collection,
            Some(_) => ResourceKind::Object,
        })
    }

    /// The methods the resource takes: the `Allow` header of a 405
    /// (RFC 9110 §10.2.1).
    pub fn methods(self) -> &'static str {
        match self {
            ResourceKind::Virtual | ResourceKind::Home => "OPTIONS, GET, HEAD, PROPFIND, PROPPATCH, REPORT",
            ResourceKind::Outbox => "OPTIONS, GET, HEAD, POST, PROPFIND, PROPPATCH, REPORT",
            ResourceKind::InboxMessage => "OPTIONS, GET, HEAD, DELETE, PROPFIND",
            ResourceKind::Collection => "OPTIONS, GET, HEAD, DELETE, PROPFIND, PROPPATCH, COPY, MOVE, REPORT",
            ResourceKind::Object => "OPTIONS, GET, HEAD, PUT, DELETE, PROPFIND, PROPPATCH, COPY, MOVE, REPORT",
            ResourceKind::Missing => "OPTIONS, PUT, MKCOL, MKCALENDAR",
        }
    }

    /// What OPTIONS announces: the resource's own methods, and on a
    /// collection of a home also those that make members in it (clients
    /// look for PUT and MKCALENDAR there before offering to create).
    pub fn options_methods(self) -> &'static str {
        match self {
            ResourceKind::Home => "OPTIONS, GET, HEAD, PUT, PROPFIND, PROPPATCH, MKCOL, MKCALENDAR, REPORT",
            ResourceKind::Collection => {
                "OPTIONS, GET, HEAD, PUT, DELETE, PROPFIND, PROPPATCH, MKCOL, MKCALENDAR, COPY, MOVE, REPORT"
            }
            other => other.methods(),
        }
    }
}

/// RFC 4918 §10.4: an `If` header that does not hold is 412, one that does
/// not parse 400. State tokens never hold (no locks); entity tags are
/// compared with the request resource's, or a tagged resource's of the
/// user's own home.
fn check_if_header(ctx: &Ctx, req: &DavRequest) -> DavResult<()> {
    let Some(header) = super::headers::if_header(&req.headers).map_err(|_| DavError::Status(StatusCode::BAD_REQUEST))?
    else {
        return Ok(());
    };
    let etag_at = |path: &DavPath| -> Option<String> {
        let DavPath::Store(p) = path else { return None };
        if p.owner() != ctx.user.name {
            return None;
        }
        ctx.dav.storage.node(p).ok().flatten().and_then(|n| n.resource().map(|r| r.etag.clone()))
    };
    let etag_of = |tag: Option<&str>| match tag {
        None => etag_at(&req.path),
        Some(t) => DavPath::parse(super::path::href_path(t)).ok().and_then(|p| etag_at(&p)),
    };
    if header.holds(&etag_of) {
        Ok(())
    } else {
        Err(DavError::Status(StatusCode::PRECONDITION_FAILED))
    }
}

/// Refuses changes in or to a read-only (imported) calendar with 403
/// `DAV:need-privileges` (RFC 3744 §7.1.1).
pub fn guard_writable(ctx: &Ctx, path: &StorePath) -> DavResult<()> {
    let read_only = |p: &StorePath| -> DavResult<bool> {
        Ok(ctx.dav.storage.node(p)?.and_then(|n| n.collection().map(|c| c.read_only)).unwrap_or(false))
    };
    let locked = if read_only(path)? {
        Some(path.clone())
    } else {
        match path.parent() {
            Some(parent) if read_only(&parent)? => Some(parent),
            _ => None,
        }
    };
    match locked {
        None => Ok(()),
        Some(collection) => Err(DavError::Precondition {
            status: StatusCode::FORBIDDEN,
            condition: XmlNode::element(
                PropName::dav("need-privileges"),
                vec![XmlNode::element(
                    PropName::dav("resource"),
                    vec![
                        XmlNode::href(super::path::store_href(&collection, true)),
                        XmlNode::element(PropName::dav("privilege"), vec![XmlNode::empty(PropName::dav("write"))]),
                    ],
                )],
            ),
        }),
    }
}

/// The store path of a request, or 405 for the virtual resources (root,
/// principals) that cannot be written.
fn store_path(req: &DavRequest) -> DavResult<&StorePath> {
    match &req.path {
        DavPath::Store(p) => Ok(p),
        _ => Err(DavError::Status(StatusCode::METHOD_NOT_ALLOWED)),
    }
}
