//! `POST /book/manage/{token}/withdraw-request`: the student withdraws
//! their pending reschedule request (issue 11 §3); the manage page shows
//! the outcome.
//!
//! May import: `app`, `booking`, [`super::manage`], [`super::request`].

use hyper::Response;

use crate::app::App;
use crate::http::Body;

use super::errors::PageError;
use super::manage::{booking_tr, manage_page};
use super::request::PageRequest;

pub fn withdraw(app: &App, req: &PageRequest, token: &str) -> Result<Response<Body>, PageError> {
    req.check_csrf(&req.form())?;
    app.booking.withdraw_reschedule(token)?;
    let tr = booking_tr(app, req, token);
    manage_page(app, req, token, Some((tr.t("manage-request-withdrawn"), "success")))
}
