//! Which part of slotdav answers a URL: discovery redirects, the DAV tree
//! (behind Basic auth), and everything else.

use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::{BodyExt, Limited};
use hyper::body::Incoming;
use hyper::header::{HeaderValue, AUTHORIZATION, CONTENT_LENGTH, LOCATION};
use hyper::{Request, Response, StatusCode};

use super::RequestUser;
use crate::app::App;
use crate::auth::parse_basic;
use crate::dav::methods::{self, DavRequest};
use crate::dav::path::{DavPath, PathError, DAV_ROOT};
use crate::dav::{empty_response, text_response, Body, DavError};
use crate::storage::User;

pub async fn route(app: Arc<App>, peer: SocketAddr, req: Request<Incoming>) -> Response<Body> {
    let path = req.uri().path().to_string();
    if path == "/.well-known/caldav" || path == "/.well-known/caldav/" {
        // RFC 6764 §5. 308 keeps method and body: after a 302 some clients
        // replay PROPFIND as GET, and after a 301 python-requests drops the
        // PROPFIND body.
        let mut resp = empty_response(StatusCode::PERMANENT_REDIRECT);
        resp.headers_mut().insert(LOCATION, HeaderValue::from_static(DAV_ROOT));
        return resp;
    }
    if path == "/" {
        if req.method() == hyper::Method::GET || req.method() == hyper::Method::HEAD {
            return text_response(StatusCode::OK, "slotdav: CalDAV at /dav/\n");
        }
        // A client that starts discovery at the server root.
        return dav(app, DavPath::Root, req).await;
    }
    if path == "/dav" || path.starts_with("/dav/") {
        return match DavPath::parse(&path) {
            Ok(dav_path) => dav(app, dav_path, req).await,
            Err(PathError::Outside) => text_response(StatusCode::NOT_FOUND, "Not Found\n"),
            Err(PathError::BadSegment) => text_response(StatusCode::BAD_REQUEST, "Bad Request\n"),
        };
    }
    if path.starts_with("/feeds/") && path.ends_with(".ics") {
        let (parts, _) = req.into_parts();
        return crate::web::feeds::handle(app, parts.method, path, parts.headers).await;
    }
    if path.starts_with("/book/") {
        return crate::web::handle(app, peer, req).await;
    }
    if path.starts_with("/api/v1/") {
        return crate::api::handle(app, peer, req).await;
    }
    text_response(StatusCode::NOT_FOUND, "Not Found\n")
}

/// Authenticates, reads the body within the size limit, and runs the DAV
/// handler on the blocking pool.
async fn dav(app: Arc<App>, path: DavPath, req: Request<Incoming>) -> Response<Body> {
    let user = match authenticate(&app, &req).await {
        Some(u) => u,
        None => return DavError::Unauthorized { realm: app.config.realm.clone() }.into_response(),
    };
    let limit = app.config.max_request_body;
    let declared = req
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let (parts, body) = req.into_parts();
    let body: Bytes = if declared.is_some_and(|n| n > limit) {
        return with_user(DavError::TooLarge.into_response(), &user);
    } else {
        match Limited::new(body, limit as usize).collect().await {
            Ok(collected) => collected.to_bytes(),
            Err(e) if e.downcast_ref::<http_body_util::LengthLimitError>().is_some() => {
                return with_user(DavError::TooLarge.into_response(), &user)
            }
            Err(_) => return with_user(text_response(StatusCode::BAD_REQUEST, "Bad Request\n"), &user),
        }
    };
    let dav_req = DavRequest { method: parts.method, path, headers: parts.headers, body };
    let name = user.name.clone();
    let resp = tokio::task::spawn_blocking(move || methods::handle(&app, &user, dav_req))
        .await
        .unwrap_or_else(|e| {
            tracing::error!(error = %e, "request handler panicked");
            empty_response(StatusCode::INTERNAL_SERVER_ERROR)
        });
    let mut resp = resp;
    resp.extensions_mut().insert(RequestUser(name));
    resp
}

fn with_user(mut resp: Response<Body>, user: &User) -> Response<Body> {
    resp.extensions_mut().insert(RequestUser(user.name.clone()));
    resp
}

/// The user behind a request's Basic credentials, if they are right.
async fn authenticate(app: &Arc<App>, req: &Request<Incoming>) -> Option<User> {
    let header = req.headers().get(AUTHORIZATION)?.to_str().ok()?;
    let (name, password) = parse_basic(header)?;
    let app = app.clone();
    tokio::task::spawn_blocking(move || match app.auth.check(&*app.storage, &name, &password) {
        Ok(Some(_)) => app.storage.user(&name).ok().flatten(),
        Ok(None) => {
            tracing::info!(user = %name, "failed login");
            None
        }
        Err(e) => {
            tracing::error!(error = %e, "credential check failed");
            None
        }
    })
    .await
    .ok()
    .flatten()
}

