//! `POST /coach/logout`: ends the session (removed from the store) and
//! tells the browser to forget its cookie.
//!
//! May import: `app`, `auth` (the session store), the helpers of `web`.

use hyper::header::{HeaderValue, SET_COOKIE};
use hyper::Response;

use crate::app::App;
use crate::auth::session::SessionStore;
use crate::http::Body;

use super::{check_csrf, DashboardRequest, LOGIN_PATH};
use crate::web::errors::PageError;
use crate::web::respond::redirect;
use crate::web::session::{clear_cookie, SignedIn};

pub fn logout(app: &App, req: &DashboardRequest, who: &SignedIn) -> Result<Response<Body>, PageError> {
    check_csrf(who, &req.page.form())?;
    SessionStore { storage: &*app.storage }
        .remove(&who.id, app.clock.now())
        .map_err(|e| PageError::Internal(format!("signing out: {e}")))?;
    tracing::info!(user = %who.user.name, "signed out of the dashboard");
    let mut resp = redirect(&format!("{LOGIN_PATH}?signed_out=1"));
    if let Ok(v) = HeaderValue::from_str(&clear_cookie(req.secure)) {
        resp.headers_mut().append(SET_COOKIE, v);
    }
    Ok(resp)
}
