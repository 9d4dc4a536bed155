//! Which part of slotdav answers a URL: discovery redirects, the DAV tree
//! (behind Basic auth), the front page (`GET /`; other methods on `/` are
//! DAV discovery), `/connect` and its Apple profile (behind the same Basic
//! auth check as `/dav/`), the coach dashboard (`/coach/`, its own
//! sign-in and session), the operator's endpoints (`/metrics`,
//! `/healthz`, `/readyz`: [`super::ops`]), the analytics pages
//! (`/coach/analytics`, `/admin/analytics` and their `.csv`, behind
//! [`analytics_viewer`]), the embed scripts under `/static/`, and
//! everything else.
//!
//! Every surface gets the resolved client address (the peer, or the client
//! a trusted proxy names) as its `SocketAddr`, a request body that fails
//! after a pause of `http.body_timeout` (answered here with 408), and, when
//! `public_url` is not set and a trusted proxy gave scheme and host, a
//! [`LinkBase`] in the request's extensions; when a trusted proxy says
//! the client used HTTPS, a `web::session::SecureRequest` there too (the
//! dashboard's cookie is then `Secure`).

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::{BodyExt, Limited};
use hyper::body::Incoming;
use hyper::header::{HeaderValue, AUTHORIZATION, CONNECTION, CONTENT_LENGTH, LOCATION, RETRY_AFTER};
use hyper::{Request, Response, StatusCode};

use super::conn::TimedBody;
use super::proxy::Client;
use super::RequestUser;
use crate::app::App;
use crate::auth::{parse_basic, AuthError};
use crate::booking::links::{self, LinkBase};
use crate::dav::methods::{self, DavRequest};
use crate::dav::path::{DavPath, PathError, DAV_ROOT};
use crate::dav::DavError;
use crate::http::{empty_response, text_response, Body, ResponseSlot};
use crate::storage::User;

/// The body every surface reads.
type ReqBody = TimedBody<Incoming>;

pub async fn route(app: Arc<App>, peer: SocketAddr, client: Client, req: Request<Incoming>) -> Response<Body> {
    let timed_out = Arc::new(AtomicBool::new(false));
    let mut req = req.map(|b| TimedBody::new(b, app.config.http.body_timeout, timed_out.clone()));
    let link_base = client.base_url.clone().filter(|_| !app.config.public_url_set);
    if let Some(base) = &link_base {
        req.extensions_mut().insert(LinkBase(base.clone()));
    }
    if client.via_proxy && client.base_url.as_deref().is_some_and(|b| b.starts_with("https://")) {
        req.extensions_mut().insert(crate::web::session::SecureRequest);
    }
    let client_addr = SocketAddr::new(client.ip, peer.port());
    let resp = dispatch(app, client_addr, link_base, req).await;
    if timed_out.load(Ordering::Relaxed) {
        let mut resp = text_response(StatusCode::REQUEST_TIMEOUT, "Request Timeout: the body stopped arriving.\n");
        resp.headers_mut().insert(CONNECTION, HeaderValue::from_static("close"));
        return resp;
    }
    resp
}

async fn dispatch(app: Arc<App>, client: SocketAddr, link_base: Option<String>, req: Request<ReqBody>) -> Response<Body> {
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
        if is_get(&req) {
            return crate::web::front::front_page(&app, req.headers(), req.uri().query()).unwrap_or_else(|e| e.into_response());
        }
        // A client that starts discovery at the server root.
        return dav(app, client, link_base, DavPath::Root, req).await;
    }
    if path == "/dav" || path.starts_with("/dav/") {
        return match DavPath::parse(&path) {
            Ok(dav_path) => dav(app, client, link_base, dav_path, req).await,
            Err(PathError::Outside) => text_response(StatusCode::NOT_FOUND, "Not Found\n"),
            Err(PathError::BadSegment) => text_response(StatusCode::BAD_REQUEST, "Bad Request\n"),
        };
    }
    if path.starts_with("/feeds/") && path.ends_with(".ics") {
        let (parts, _) = req.into_parts();
        return crate::web::feeds::handle(app, parts.method, path, parts.headers).await;
    }
    if path == "/connect" || path.starts_with("/connect/") {
        return connect(app, client, link_base, &path, req).await;
    }
    if let Some(resp) = super::ops::route(&app, client.ip(), req.method(), &path, req.headers()).await {
        return resp;
    }
    if ANALYTICS_PATHS.contains(&path.as_str()) {
        return analytics(app, client, &path, req).await;
    }
    if path.starts_with("/static/") && is_get(&req) {
        // (issue 12 §6) the embed scripts.
        return crate::web::embed::static_file(&path).unwrap_or_else(|| text_response(StatusCode::NOT_FOUND, "Not Found\n"));
    }
    if path.starts_with("/book/") {
        return crate::web::handle(app, client, req).await;
    }
    if path == "/coach" || path.starts_with("/coach/") {
        return crate::web::dashboard::handle(app, client, req).await;
    }
    if path.starts_with("/api/v1/") {
        return crate::api::handle(app, client, req).await;
    }
    text_response(StatusCode::NOT_FOUND, "Not Found\n")
}

/// `/connect` (for anyone) and the pages under it that are the signed-in
/// user's own (Basic credentials, checked and throttled as for `/dav/`).
async fn connect(app: Arc<App>, client: SocketAddr, link_base: Option<String>, path: &str, req: Request<ReqBody>) -> Response<Body> {
    use crate::web::connect::{apple_profile_response, connect_page, feed_links_page, APPLE_PROFILE_PATH, FEEDS_PATH};
    use crate::web::errors::PageError;
    if path != "/connect" && path != "/connect/" && path != APPLE_PROFILE_PATH && path != FEEDS_PATH {
        return PageError::NotFound.into_response();
    }
    if !is_get(&req) {
        return PageError::MethodNotAllowed.into_response();
    }
    let base = link_base.unwrap_or_else(|| app.config.public_url.clone());
    if path == "/connect" || path == "/connect/" {
        return connect_page(&app, &base, req.headers(), req.uri().query()).unwrap_or_else(|e| e.into_response());
    }
    let user = match authenticate(&app, client, &req).await {
        Ok(u) => u,
        Err(e) => return auth_error_response(&app, e),
    };
    let resp = if path == APPLE_PROFILE_PATH {
        apple_profile_response(&app.config.site_name, &base, &user.name)
    } else {
        let name = user.name.clone();
        let (headers, query) = (req.headers().clone(), req.uri().query().map(str::to_string));
        tokio::task::spawn_blocking(move || feed_links_page(&app, &base, &name, &headers, query.as_deref()))
            .await
            .unwrap_or_else(|_| Err(PageError::Internal("page task failed".into())))
    };
    with_user(resp.unwrap_or_else(|e| e.into_response()), &user)
}

/// The analytics pages and their downloads (`web::analytics`).
/// The admins' pages are also under `/coach/admin/`, where the dashboard's
/// session cookie (`Path=/coach`) is sent.
const ANALYTICS_PATHS: [&str; 6] = [
    "/coach/analytics",
    "/coach/analytics.csv",
    "/coach/admin/analytics",
    "/coach/admin/analytics.csv",
    "/admin/analytics",
    "/admin/analytics.csv",
];

/// The analytics pages: the viewer signed in ([`analytics_viewer`]), then
/// `web::analytics` on the blocking pool.
async fn analytics(app: Arc<App>, client: SocketAddr, path: &str, req: Request<ReqBody>) -> Response<Body> {
    use crate::web::errors::PageError;
    if !is_get(&req) {
        return PageError::MethodNotAllowed.into_response();
    }
    let user = match analytics_viewer(&app, client, &req).await {
        Ok(u) => u,
        Err(resp) => return resp,
    };
    let (path, query, name) = (path.to_string(), req.uri().query().unwrap_or("").to_string(), user.name.clone());
    let resp = tokio::task::spawn_blocking(move || crate::web::analytics::handle(&app, &name, &path, &query))
        .await
        .unwrap_or_else(|_| PageError::Internal("page task failed".into()).into_response());
    with_user(resp, &user)
}

/// Who is looking at an analytics page: the dashboard's signed-in coach
/// (session cookie), else Basic credentials, checked and throttled as for
/// `/dav/` (scripts fetching the CSV). A browser with neither is sent to
/// the dashboard's sign-in form.
async fn analytics_viewer(app: &Arc<App>, client: SocketAddr, req: &Request<ReqBody>) -> Result<User, Response<Body>> {
    if let Some(user) = crate::web::session::signed_in_user(app, req.headers()) {
        return Ok(user);
    }
    if req.headers().get(hyper::header::AUTHORIZATION).is_none() && req.uri().path().starts_with("/coach/") {
        let mut resp = empty_response(StatusCode::SEE_OTHER);
        resp.headers_mut().insert(hyper::header::LOCATION, hyper::header::HeaderValue::from_static("/coach/login"));
        return Err(resp);
    }
    authenticate(app, client, req).await.map_err(|e| auth_error_response(app, e))
}

/// GET or HEAD (a HEAD is answered as a GET without the body).
fn is_get<B>(req: &Request<B>) -> bool {
    req.method() == hyper::Method::GET || req.method() == hyper::Method::HEAD
}

/// Authenticates, reads the body within the size limit, and runs the DAV
/// handler on the blocking pool.
async fn dav(app: Arc<App>, client: SocketAddr, link_base: Option<String>, path: DavPath, req: Request<ReqBody>) -> Response<Body> {
    let user = match authenticate(&app, client, &req).await {
        Ok(u) => u,
        Err(e) => return auth_error_response(&app, e),
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
    // The handler gives its response to the slot: a long multi-status as
    // soon as its first chunk is written, the rest while hyper sends it.
    let (slot, response) = ResponseSlot::new();
    let handler = tokio::task::spawn_blocking(move || {
        let resp = links::with_base(link_base, || methods::handle_streamed(&app.dav, &user, dav_req, slot.clone()));
        slot.send(resp);
    });
    let mut resp = match response.await {
        Ok(resp) => resp,
        Err(_) => {
            if let Err(e) = handler.await {
                tracing::error!(error = %e, "request handler panicked");
            }
            empty_response(StatusCode::INTERNAL_SERVER_ERROR)
        }
    };
    resp.extensions_mut().insert(RequestUser(name));
    resp
}

fn with_user(mut resp: Response<Body>, user: &User) -> Response<Body> {
    resp.extensions_mut().insert(RequestUser(user.name.clone()));
    resp
}

/// The user behind a request's Basic credentials, if they are right.
async fn authenticate(app: &Arc<App>, client: SocketAddr, req: &Request<ReqBody>) -> Result<User, AuthError> {
    let credentials = req.headers().get(AUTHORIZATION).and_then(|h| h.to_str().ok()).and_then(parse_basic);
    let Some((name, password)) = credentials else { return Err(AuthError::Rejected) };
    app.auth.login(app.storage.clone(), client.ip(), name, password).await
}

/// The one place login failures become responses.
fn auth_error_response(app: &App, e: AuthError) -> Response<Body> {
    let (status, text, retry_after) = match e {
        AuthError::Rejected => return DavError::Unauthorized { realm: app.config.realm.clone() }.into_response(),
        AuthError::Throttled { retry_after } => {
            (StatusCode::TOO_MANY_REQUESTS, "Too many failed logins. Try again later.\n", retry_after)
        }
        AuthError::Busy { retry_after } => (StatusCode::SERVICE_UNAVAILABLE, "Too many logins at once. Try again shortly.\n", retry_after),
        // The database is out of reach: the credentials could not be
        // checked, so not 401 but "come back" (as every storage surface).
        AuthError::Storage(crate::storage::StorageError::Unavailable(why)) => {
            tracing::warn!(error = %why, "credential check failed: the store is unavailable");
            (StatusCode::SERVICE_UNAVAILABLE, "The store is unavailable. Try again shortly.\n", std::time::Duration::from_secs(5))
        }
        AuthError::Storage(e) => {
            tracing::error!(error = %e, "credential check failed");
            return text_response(StatusCode::INTERNAL_SERVER_ERROR, "Something went wrong\n");
        }
    };
    let mut resp = text_response(status, text);
    let secs = retry_after.as_secs_f64().ceil().max(1.0) as u64;
    resp.headers_mut().insert(RETRY_AFTER, HeaderValue::from(secs));
    resp
}
