//! WebDAV (RFC 4918) and CalDAV ([`caldav`]) over the store: URL layout,
//! headers, one handler per method, live properties, and [`DavError`], the
//! one place where errors of every layer below become HTTP responses.
//!
//! Handlers run on a [`DavContext`] (store, clock, limits, write hooks),
//! never on the whole app. A surface: may import `http`, `provision`,
//! `ical`, `storage`, `model` and `clock`; never `app`, `booking` or
//! `mail` (their work reaches DAV writes as [`WriteHook`]s).

pub mod caldav;
pub mod context;
pub mod headers;
pub mod methods;
pub mod path;
pub mod props;
pub mod stream;
pub mod xml;

use bytes::Bytes;
use hyper::header::{HeaderValue, CONTENT_TYPE};
use hyper::{Response, StatusCode};

use crate::http::{text_response, Body};
use crate::ical;
use crate::storage::{Storage, StorageError, StorePath};
use xml::{PropName, XmlError, XmlNode};

/// Everything a DAV request can fail with. [`DavError::into_response`] is
/// the only place that turns these into status codes and bodies.
#[derive(Debug, thiserror::Error)]
pub enum DavError {
    /// A plain status without a body beyond its reason.
    #[error("{0}")]
    Status(StatusCode),
    /// A status with a `DAV:error` body naming a pre- or postcondition
    /// (RFC 4918 §16, RFC 4791 §1.3).
    #[error("{status}: precondition {}", condition_name(.condition))]
    Precondition { status: StatusCode, condition: XmlNode },
    /// The request body was not what the method expects.
    #[error(transparent)]
    Xml(#[from] XmlError),
    /// The store said no.
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// A calendar object was refused (RFC 4791 §5.3.2).
    #[error(transparent)]
    Calendar(#[from] ical::Error),
    /// A write hook (a domain service) failed for a reason of its own, not
    /// the client's and not the store's. (500, logged)
    #[error("write hook failed: {0}")]
    Hook(String),
    /// No or wrong credentials.
    #[error("authentication required")]
    Unauthorized { realm: String },
    /// The request body is larger than `max_request_body`.
    #[error("request body too large")]
    TooLarge,
}

/// `<C:no-uid-conflict><D:href>…</D:href></C:no-uid-conflict>`.
fn uid_conflict(existing: &StorePath) -> XmlNode {
    XmlNode::element(PropName::caldav("no-uid-conflict"), vec![XmlNode::href(path::store_href(existing, false))])
}

fn condition_name(node: &XmlNode) -> String {
    match node {
        XmlNode::Element { name, .. } => name.local.clone(),
        _ => "?".into(),
    }
}

impl DavError {
    pub fn precondition(status: StatusCode, name: PropName) -> Self {
        DavError::Precondition { status, condition: XmlNode::empty(name) }
    }
    pub fn forbidden(name: PropName) -> Self {
        Self::precondition(StatusCode::FORBIDDEN, name)
    }
    /// RFC 4791 §5.3.2.1 `CALDAV:no-uid-conflict` naming the object that
    /// holds the UID (or would be overwritten by another one). (409)
    pub fn no_uid_conflict(existing: &StorePath) -> Self {
        DavError::Precondition { status: StatusCode::CONFLICT, condition: uid_conflict(existing) }
    }

    /// The response for this error. 5xx errors are logged with their cause;
    /// the client sees only a generic text.
    pub fn into_response(self) -> Response<Body> {
        use StorageError as S;
        let (status, condition) = match self {
            DavError::Status(s) => (s, None),
            DavError::Precondition { status, condition } => (status, Some(condition)),
            DavError::Xml(e) => match e {
                XmlError::UnsupportedCollation(_) => (StatusCode::FORBIDDEN, Some(XmlNode::empty(PropName::caldav("supported-collation")))),
                XmlError::InvalidFilter(_) | XmlError::UnsupportedFilter(_) | XmlError::UnsupportedCalendarData(_) | XmlError::InvalidTimezone(_) => {
                    tracing::debug!(error = %e, "REPORT refused");
                    let name = match e {
                        XmlError::InvalidFilter(_) => "valid-filter",
                        XmlError::UnsupportedFilter(_) => "supported-filter",
                        XmlError::UnsupportedCalendarData(_) => "supported-calendar-data",
                        _ => "valid-calendar-data",
                    };
                    (StatusCode::FORBIDDEN, Some(XmlNode::empty(PropName::caldav(name))))
                }
                XmlError::ExternalEntities => {
                    (StatusCode::FORBIDDEN, Some(XmlNode::empty(PropName::dav("no-external-entities"))))
                }
                XmlError::InvalidTimeRange(_) | XmlError::Malformed(_) | XmlError::Unexpected(_) => {
                    tracing::debug!(error = %e, "bad request body");
                    (StatusCode::BAD_REQUEST, None)
                }
            },
            DavError::Storage(e) => match e {
                S::NotFound => (StatusCode::NOT_FOUND, None),
                S::ParentMissing | S::ParentNotCollection | S::Conflict(_) => (StatusCode::CONFLICT, None),
                S::AlreadyExists => (StatusCode::METHOD_NOT_ALLOWED, None),
                S::EtagMismatch => (StatusCode::PRECONDITION_FAILED, None),
                S::UidConflict { existing, .. } => (StatusCode::CONFLICT, Some(uid_conflict(&existing))),
                S::WrongCollectionKind => (StatusCode::FORBIDDEN, Some(XmlNode::empty(PropName::caldav("supported-calendar-data")))),
                S::UnsupportedComponent(_) => {
                    (StatusCode::FORBIDDEN, Some(XmlNode::empty(PropName::caldav("supported-calendar-component"))))
                }
                S::QuotaExceeded { .. } => {
                    tracing::debug!(error = %e, "write refused");
                    (StatusCode::INSUFFICIENT_STORAGE, Some(XmlNode::empty(PropName::dav("quota-not-exceeded"))))
                }
                // RFC 4918 §11.5 names no precondition for a full disk.
                S::Full(ref why) => {
                    tracing::warn!(error = %why, "write refused: the disk is full");
                    (StatusCode::INSUFFICIENT_STORAGE, None)
                }
                // The database is out of reach (PostgreSQL): nothing was
                // written; the client may try again shortly.
                S::Unavailable(ref why) => {
                    tracing::warn!(error = %why, "storage unavailable");
                    let mut resp = text_response(StatusCode::SERVICE_UNAVAILABLE, "the store is unavailable; try again shortly\n");
                    resp.headers_mut().insert(hyper::header::RETRY_AFTER, HeaderValue::from_static(STORAGE_RETRY_AFTER));
                    return resp;
                }
                S::Backend(ref msg) => {
                    tracing::error!(error = %msg, "storage failure");
                    (StatusCode::INTERNAL_SERVER_ERROR, None)
                }
            },
            DavError::Hook(msg) => {
                tracing::error!(error = %msg, "write hook failed");
                (StatusCode::INTERNAL_SERVER_ERROR, None)
            }
            DavError::Calendar(e) => {
                tracing::debug!(error = %e, "calendar object refused");
                let name = match e {
                    ical::Error::TooManyInstances { .. } => "max-instances",
                    ical::Error::BeforeMinDateTime(_) => "min-date-time",
                    ical::Error::AfterMaxDateTime(_) => "max-date-time",
                    ical::Error::InvalidData(_) => "valid-calendar-data",
                    ical::Error::MethodPresent | ical::Error::ComponentKinds(_) | ical::Error::Uid(_) => {
                        "valid-calendar-object-resource"
                    }
                };
                (StatusCode::FORBIDDEN, Some(XmlNode::empty(PropName::caldav(name))))
            }
            DavError::Unauthorized { realm } => {
                let mut resp = text_response(StatusCode::UNAUTHORIZED, "authentication required\n");
                let value = format!("Basic realm=\"{}\", charset=\"UTF-8\"", realm.replace('"', ""));
                resp.headers_mut().insert(
                    hyper::header::WWW_AUTHENTICATE,
                    HeaderValue::from_str(&value).unwrap_or(HeaderValue::from_static("Basic realm=\"slotdav\"")),
                );
                // Discovery probes (RFC 6764) send OPTIONS before any
                // credentials: tell them this is CalDAV even so.
                resp.headers_mut().insert("dav", HeaderValue::from_static(methods::DAV_CLASSES));
                return resp;
            }
            DavError::TooLarge => (StatusCode::PAYLOAD_TOO_LARGE, None),
        };
        match condition {
            Some(c) => {
                let mut resp = Response::new(Body::new(Bytes::from(xml::response::error_body(&c))));
                *resp.status_mut() = status;
                resp.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("application/xml; charset=utf-8"));
                resp
            }
            None => text_response(status, &format!("{}\n", status.canonical_reason().unwrap_or(""))),
        }
    }
}

pub type DavResult<T = Response<Body>> = Result<T, DavError>;

/// `Retry-After` (seconds) of a 503 for a store that cannot be reached.
pub const STORAGE_RETRY_AFTER: &str = "5";

pub use context::{DavContext, DavLimits, HookError, ObjectWrite, WriteHook, WriteHooks};

/// The calendar object stored at `path`, parsed; `None` when nothing is
/// stored there (or a collection is) or it no longer parses.
pub fn load_object(storage: &dyn Storage, path: &StorePath) -> Result<Option<ical::CalendarObject>, StorageError> {
    let Some(bytes) = storage.content(path)? else { return Ok(None) };
    Ok(ical::CalendarObject::parse(&bytes).ok())
}

/// A `207 Multi-Status` response with an already written body.
pub fn multistatus_body(done: xml::response::Finished) -> Response<Body> {
    match done {
        xml::response::Finished::Whole(xml) => stream::multistatus_head(Body::new(xml)),
        // Its head and text went out through the request's slot already;
        // this one is dropped.
        xml::response::Finished::Sent => stream::multistatus_head(Body::empty()),
    }
}

/// A builder for a multi-status answer to a request for `props`: written
/// as it goes when the property names are known up front, and then sent
/// to the client as it is written once it passes one chunk
/// ([`stream::StreamedAnswer`]).
pub fn multistatus_builder(ctx: &methods::Ctx, props: &xml::request::PropFind, expected: usize) -> xml::response::MultiStatusBuilder {
    let names = match props {
        xml::request::PropFind::Prop(names) => Some(names.as_slice()),
        _ => None,
    };
    let mut ms = xml::response::MultiStatusBuilder::new(names, expected);
    if let Some(slot) = &ctx.slot {
        ms.stream_to(Box::new(stream::StreamedAnswer::new(slot.clone())));
    }
    ms
}

/// A `207 Multi-Status` response.
pub fn multistatus_response(ms: &xml::response::MultiStatus) -> Response<Body> {
    let mut resp = Response::new(Body::new(Bytes::from(ms.to_xml())));
    *resp.status_mut() = StatusCode::MULTI_STATUS;
    resp.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("application/xml; charset=utf-8"));
    resp
}
