//! The coach dashboard under `/coach/`: a coach signs in with their
//! slotdav user name and password and sees what waits for them, their
//! upcoming sessions and recent cancellations, and acts on bookings. One
//! file per page:
//!
//! | route | page | file |
//! |---|---|---|
//! | `GET /coach/login` | the sign-in form | [`login`] |
//! | `POST /coach/login` | sign in (the throttled `auth` check) | [`login`] |
//! | `POST /coach/logout` | sign out | [`logout`] |
//! | `GET /coach/` | the day's overview | [`home`] |
//! | `GET /coach/bookings/{reference}` | one booking, its manage link and actions | [`booking`] |
//! | `POST /coach/bookings/{reference}/{action}` | confirm, decline, cancel, attended, no-show, approve-reschedule, decline-reschedule | [`actions`] |
//!
//! Every page but the sign-in form needs a session ([`super::session`]);
//! only configured coaches get one. Every form carries a CSRF token: the
//! session's own, or (on the sign-in form, before there is a session) the
//! booking pages' double-submit cookie. Every POST answers with a
//! redirect. The askama models are in [`pages`].
//!
//! May import: `app`, `auth`, `booking`, `storage` (the user record), the
//! helpers of `web` (errors, forms, request, respond, format).

pub mod actions;
pub mod booking;
pub mod home;
pub mod login;
pub mod logout;
pub mod pages;

use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::{BodyExt, Limited};
use hyper::header::{HeaderValue, SET_COOKIE};
use hyper::{Method, Request, Response, StatusCode};

use crate::app::App;
use crate::booking::coach::CoachConfig;
use crate::http::Body;

use super::errors::PageError;
use super::forms::decode;
use super::request::PageRequest;
use super::respond::{error_page, redirect};
use super::session::{clear_cookie, signed_in, SecureRequest, SignedIn};

/// The most a dashboard form may send.
const MAX_FORM_BYTES: usize = 16 * 1024;

/// The sign-in page's path.
pub const LOGIN_PATH: &str = "/coach/login";

/// A dashboard page and what its path names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Page<'a> {
    LoginForm,
    Login,
    Logout,
    Home,
    Booking { reference: &'a str },
    Action { reference: &'a str, action: actions::Action },
}

/// The page a method and the segments below `/coach/` name.
pub fn page_for<'a>(method: &Method, seg: &[&'a str]) -> Result<Page<'a>, PageError> {
    let get = *method == Method::GET || *method == Method::HEAD;
    let post = *method == Method::POST;
    match *seg {
        [] if get => Ok(Page::Home),
        ["login"] if get => Ok(Page::LoginForm),
        ["login"] if post => Ok(Page::Login),
        ["logout"] if post => Ok(Page::Logout),
        ["bookings", reference] if get => Ok(Page::Booking { reference }),
        ["bookings", reference, action] if post => {
            actions::Action::parse(action).map(|action| Page::Action { reference, action }).ok_or(PageError::NotFound)
        }
        _ if !get && !post => Err(PageError::MethodNotAllowed),
        _ => Err(PageError::NotFound),
    }
}

/// The percent-decoded, non-empty segments of a path below `/coach`.
fn segments(path: &str) -> Vec<String> {
    path.strip_prefix("/coach")
        .unwrap_or("")
        .split('/')
        .filter(|s| !s.is_empty())
        .map(|s| percent_encoding::percent_decode_str(s).decode_utf8_lossy().into_owned())
        .collect()
}

/// A dashboard request: the page request plus whether it came over HTTPS.
pub struct DashboardRequest {
    pub page: PageRequest,
    pub secure: bool,
}

/// Handles `/coach` and everything below it.
pub async fn handle<B>(app: Arc<App>, peer: SocketAddr, req: Request<B>) -> Response<Body>
where
    B: hyper::body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    if req.uri().path() == "/coach" {
        return redirect("/coach/");
    }
    let secure = req.extensions().get::<SecureRequest>().is_some();
    let link_base = req.extensions().get::<crate::booking::links::LinkBase>().map(|b| b.0.clone());
    let (parts, body) = req.into_parts();
    let body = match Limited::new(body, MAX_FORM_BYTES).collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => return error_page(StatusCode::PAYLOAD_TOO_LARGE, "Too much data", "The form sent more data than the dashboard needs.", None),
    };
    let query = decode(parts.uri.query().unwrap_or("").as_bytes());
    let segments = segments(parts.uri.path());
    let request = DashboardRequest { page: PageRequest { method: parts.method, headers: parts.headers, query, body, peer }, secure };
    let seg: Vec<&str> = segments.iter().map(String::as_str).collect();
    match page_for(&request.page.method, &seg) {
        // Signing in waits for the password check, which runs on its own pool.
        Ok(Page::Login) => return login::login(app, &request).await.unwrap_or_else(|e| e.into_response()),
        Err(e) => return e.into_response(),
        Ok(_) => {}
    }
    tokio::task::spawn_blocking(move || {
        let seg: Vec<&str> = segments.iter().map(String::as_str).collect();
        let page = crate::booking::links::with_base(link_base, || dispatch(&app, &request, &seg));
        page.unwrap_or_else(|e| e.into_response())
    })
    .await
    .unwrap_or_else(|_| PageError::Internal("page task failed".into()).into_response())
}

fn dispatch(app: &App, req: &DashboardRequest, seg: &[&str]) -> Result<Response<Body>, PageError> {
    let page = page_for(&req.page.method, seg)?;
    if page == Page::LoginForm {
        return login::login_form(app, req);
    }
    let (who, coach) = match require_coach(app, req) {
        Ok(found) => found,
        Err(resp) => return Ok(*resp),
    };
    match page {
        Page::Home => home::home_page(app, req, &who, coach),
        Page::Booking { reference } => booking::booking_page(app, req, &who, coach, reference),
        Page::Action { reference, action } => actions::act(app, req, &who, coach, reference, action),
        Page::Logout => logout::logout(app, req, &who),
        Page::LoginForm | Page::Login => Err(PageError::NotFound),
    }
}

/// The signed-in coach of a request, or the answer for one who is not:
/// a GET goes to the sign-in page, a POST gets a 403 page (nothing is
/// done); a signed-in user who is not a coach gets a 403 page.
fn require_coach<'a>(app: &'a App, req: &DashboardRequest) -> Result<(SignedIn, &'a CoachConfig), Box<Response<Body>>> {
    let Some(who) = signed_in(app, &req.page.headers) else {
        let mut resp = if req.page.method == Method::POST {
            error_page(
                StatusCode::FORBIDDEN,
                "Please sign in again",
                "You are not signed in (any more), so nothing was changed. Sign in and try again.",
                Some((LOGIN_PATH.into(), "Sign in".into())),
            )
        } else {
            redirect(LOGIN_PATH)
        };
        forget_session(&mut resp, req);
        return Err(Box::new(resp));
    };
    match who.coach(app) {
        Some(coach) => Ok((who, coach)),
        None => Err(Box::new(not_a_coach())),
    }
}

/// The page for a user who is not a configured coach.
pub fn not_a_coach() -> Response<Body> {
    error_page(
        StatusCode::FORBIDDEN,
        "No dashboard for this user",
        "The dashboard is for coaches. This user is not set up as a coach on this server; ask the administrator.",
        None,
    )
}

/// Tells the browser to drop a session cookie it sent that is not valid.
fn forget_session(resp: &mut Response<Body>, req: &DashboardRequest) {
    if super::session::session_cookie(&req.page.headers).is_some() {
        if let Ok(v) = HeaderValue::from_str(&clear_cookie(req.secure)) {
            resp.headers_mut().append(SET_COOKIE, v);
        }
    }
}

/// Refuses a form whose CSRF token is not the session's (403).
fn check_csrf(who: &SignedIn, form: &std::collections::HashMap<String, String>) -> Result<(), PageError> {
    match form.get("csrf") {
        Some(token) if crate::auth::session::same_token(token, &who.session.csrf) => Ok(()),
        _ => Err(PageError::Csrf),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn route(method: Method, path: &str) -> Result<Page<'static>, StatusCode> {
        let seg: Vec<&'static str> = segments(path).into_iter().map(|s| &*Box::leak(s.into_boxed_str())).collect();
        page_for(&method, &seg).map_err(|e| e.answer().0)
    }

    #[test]
    fn paths_name_their_pages() {
        use actions::Action;
        assert_eq!(route(Method::GET, "/coach/"), Ok(Page::Home));
        assert_eq!(route(Method::GET, "/coach/login"), Ok(Page::LoginForm));
        assert_eq!(route(Method::POST, "/coach/login"), Ok(Page::Login));
        assert_eq!(route(Method::POST, "/coach/logout"), Ok(Page::Logout));
        assert_eq!(route(Method::GET, "/coach/bookings/ABCD-2345"), Ok(Page::Booking { reference: "ABCD-2345" }));
        assert_eq!(route(Method::POST, "/coach/bookings/R/confirm"), Ok(Page::Action { reference: "R", action: Action::Confirm }));
        assert_eq!(route(Method::POST, "/coach/bookings/R/no-show"), Ok(Page::Action { reference: "R", action: Action::NoShow }));
        assert_eq!(route(Method::POST, "/coach/bookings/R/explode"), Err(StatusCode::NOT_FOUND));
        assert_eq!(route(Method::GET, "/coach/logout"), Err(StatusCode::NOT_FOUND), "signing out is a POST");
        assert_eq!(route(Method::GET, "/coach/bookings/R/confirm"), Err(StatusCode::NOT_FOUND));
        assert_eq!(route(Method::DELETE, "/coach/"), Err(StatusCode::METHOD_NOT_ALLOWED));
    }
}
