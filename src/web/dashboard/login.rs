//! `GET /coach/login` (the sign-in form) and `POST /coach/login`: the user
//! name and password go through the same throttled check as the calendar
//! app's Basic credentials (`auth::Authenticator::login`, so the per-user
//! and per-address back-off applies). A coach gets a new session (a new
//! id on every sign-in; the browser's previous session ends) and is sent
//! to the dashboard; a wrong user name
//! or password gets the form again with one message for both; a user who
//! is not a coach gets a 403 page and no session.
//!
//! The form's CSRF token is the booking pages' double-submit cookie (there
//! is no session yet).
//!
//! May import: `app`, `auth`, `booking` (which users are coaches), the
//! dashboard's models and the helpers of `web`.

use std::sync::Arc;

use hyper::header::{HeaderValue, RETRY_AFTER, SET_COOKIE};
use hyper::{Response, StatusCode};

use crate::app::App;
use crate::auth::session::SessionStore;
use crate::auth::AuthError;
use crate::http::Body;

use super::pages::LoginPage;
use super::{not_a_coach, DashboardRequest};
use crate::web::errors::PageError;
use crate::web::respond::{error_page, redirect, render, with_csrf};
use crate::web::session::{set_cookie, signed_in};

/// The sign-in form; a browser that is signed in already goes to the dashboard.
pub fn login_form(app: &App, req: &DashboardRequest) -> Result<Response<Body>, PageError> {
    if signed_in(app, &req.page.headers).is_some_and(|who| who.coach(app).is_some()) {
        return Ok(redirect("/coach/"));
    }
    let (message, class) = if req.page.query.contains_key("signed_out") { (Some("You are signed out."), "success") } else { (None, "") };
    form(app, req, message, class, String::new(), StatusCode::OK)
}

fn form(app: &App, req: &DashboardRequest, message: Option<&str>, class: &str, user: String, status: StatusCode) -> Result<Response<Body>, PageError> {
    let (csrf, fresh) = req.page.csrf();
    let page = LoginPage {
        site_name: app.config.site_name.clone(),
        csrf: csrf.clone(),
        message: message.map(str::to_string),
        message_class: class.to_string(),
        user,
    };
    let mut resp = with_csrf(render(page)?, &csrf, fresh);
    *resp.status_mut() = status;
    Ok(resp)
}

/// Signs in.
pub async fn login(app: Arc<App>, req: &DashboardRequest) -> Result<Response<Body>, PageError> {
    let fields = req.page.form();
    req.page.check_csrf(&fields)?;
    let name = fields.get("user").map(|s| s.trim().to_string()).unwrap_or_default();
    let password = fields.get("password").cloned().unwrap_or_default();
    if name.is_empty() || password.is_empty() {
        return form(&app, req, Some("Please give your user name and your password."), "error", name, StatusCode::BAD_REQUEST);
    }
    let user = match app.auth.login(app.storage.clone(), req.page.peer.ip(), name.clone(), password).await {
        Ok(user) => user,
        Err(AuthError::Rejected) => {
            return form(&app, req, Some("The user name or the password is wrong. Please try again."), "error", name, StatusCode::FORBIDDEN)
        }
        Err(AuthError::Throttled { retry_after }) => {
            return Ok(wait_page(StatusCode::TOO_MANY_REQUESTS, "Too many attempts", "Too many failed sign-ins. Please wait a while, then try again.", retry_after))
        }
        Err(AuthError::Busy { retry_after }) => {
            return Ok(wait_page(StatusCode::SERVICE_UNAVAILABLE, "Busy", "Too many sign-ins at once. Please try again in a moment.", retry_after))
        }
        Err(AuthError::Storage(e)) => return Err(PageError::Internal(format!("sign-in: {e}"))),
    };
    if crate::booking::coach::by_user(app.booking.coaches(), &user.name).is_none() {
        tracing::info!(user = %user.name, "dashboard sign-in refused: not a coach");
        return Ok(not_a_coach());
    }
    let store = app.clone();
    let previous = crate::web::session::session_cookie(&req.page.headers);
    let (id, session) = tokio::task::spawn_blocking(move || {
        let now = store.clock.now();
        SessionStore { storage: &*store.storage }.create_replacing(&user, now, store.config.dashboard, previous.as_deref())
    })
    .await
    .map_err(|e| PageError::Internal(format!("sign-in task: {e}")))?
    .map_err(|e| PageError::Internal(format!("storing the session: {e}")))?;
    tracing::info!(user = %session.user, "signed in to the dashboard");
    let mut resp = redirect("/coach/");
    let max_age = (session.expires - app.clock.now()).num_seconds();
    if let Ok(v) = HeaderValue::from_str(&set_cookie(&id, max_age, req.secure)) {
        resp.headers_mut().append(SET_COOKIE, v);
    }
    Ok(resp)
}

fn wait_page(status: StatusCode, heading: &str, message: &str, retry_after: std::time::Duration) -> Response<Body> {
    let mut resp = error_page(status, heading, message, Some((super::LOGIN_PATH.into(), "Back to sign-in".into())));
    let secs = retry_after.as_secs_f64().ceil().max(1.0) as u64;
    resp.headers_mut().insert(RETRY_AFTER, HeaderValue::from(secs));
    resp
}
