//! One file per HTTP method. [`handle`] authorises the request against the
//! URL layout, provisions a user's home on first use, and dispatches.
//!
//! Handlers are plain synchronous functions: the store is synchronous and
//! fast, and the server runs each DAV request on the blocking pool.

mod copymove;
mod delete;
mod get;
mod mkcol;
mod options;

pub use options::DAV_CLASSES;
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
use crate::http::Body;
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

/// Handles one authenticated DAV request.
pub fn handle(dav: &DavContext, user: &User, req: DavRequest) -> Response<Body> {
    let ctx = Ctx { dav, user, now: dav.clock.now(), instances: std::cell::Cell::new(0) };
    let path = req.path.clone();
    let mkcalendar = req.method.as_str() == "MKCALENDAR";
    let mut resp = match dispatch(&ctx, req) {
        Ok(resp) => resp,
        Err(e) => e.into_response(),
    };
    // RFC 9110 §15.5.6: a 405 names the methods the resource does allow.
    if resp.status() == StatusCode::METHOD_NOT_ALLOWED && !resp.headers().contains_key(ALLOW) {
        let exists = matches!(&path, DavPath::Store(p) if ctx.dav.storage.node(p).ok().flatten().is_some());
        resp.headers_mut().insert(ALLOW, HeaderValue::from_static(allowed_methods_of(&path, exists)));
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
    if matches!(req.method.as_str(), "PUT" | "DELETE" | "PROPPATCH" | "MKCOL" | "MKCALENDAR" | "MOVE") {
        if let DavPath::Store(path) = &req.path {
            guard_writable(ctx, path)?;
        }
    }
    // The schedule inbox's messages and the outbox (RFC 6638 §2).
    match (&req.path, req.method.as_str()) {
        (DavPath::ScheduleInboxItem(u, name), "GET" | "HEAD") => return schedule::get_message(ctx, u, name, req.method == Method::GET),
        (DavPath::ScheduleInboxItem(u, name), "DELETE") => return schedule::delete_message(ctx, u, name),
        (DavPath::ScheduleOutbox(_), "POST") => return schedule::post_outbox(ctx, &req),
        _ => {}
    }
    match req.method.as_str() {
        "OPTIONS" => options::options(ctx, &req),
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
        "POST" | "PATCH" | "LOCK" | "UNLOCK" | "ACL" => Err(DavError::Status(StatusCode::METHOD_NOT_ALLOWED)),
        _ => Err(DavError::Status(StatusCode::NOT_IMPLEMENTED)),
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

/// The methods a resource allows (the `Allow` header, RFC 9110 §10.2.1).
pub fn allowed_methods(path: &DavPath) -> &'static str {
    match path {
        DavPath::Store(p) if p.len() > 1 => {
            "OPTIONS, GET, HEAD, PUT, DELETE, PROPFIND, PROPPATCH, MKCOL, MKCALENDAR, COPY, MOVE, REPORT"
        }
        DavPath::Store(_) => "OPTIONS, GET, HEAD, PROPFIND, PROPPATCH, MKCOL, MKCALENDAR, REPORT",
        // RFC 6638 §5: a free-busy request is POSTed to the outbox.
        DavPath::ScheduleOutbox(_) => "OPTIONS, PROPFIND, REPORT, POST",
        DavPath::ScheduleInboxItem(..) => "OPTIONS, GET, HEAD, DELETE, PROPFIND",
        _ => "OPTIONS, PROPFIND, REPORT",
    }
}

/// The methods a resource allows, knowing whether it exists: an existing
/// one cannot be made again (MKCOL, MKCALENDAR), a missing one has nothing
/// to read (RFC 4918 §9.3.1: MKCOL on an existing resource is 405).
fn allowed_methods_of(path: &DavPath, exists: bool) -> &'static str {
    match path {
        DavPath::Store(p) if p.len() > 1 && exists => {
            "OPTIONS, GET, HEAD, PUT, DELETE, PROPFIND, PROPPATCH, COPY, MOVE, REPORT"
        }
        DavPath::Store(p) if p.len() > 1 => "OPTIONS, PUT, MKCOL, MKCALENDAR",
        DavPath::Store(_) => "OPTIONS, GET, HEAD, PROPFIND, PROPPATCH, REPORT",
        _ => allowed_methods(path),
    }
}
