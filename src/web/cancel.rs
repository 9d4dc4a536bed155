//! `POST /book/manage/{token}/cancel`: the student cancels; the manage
//! page shows the outcome (409 with the deadline when it is too late).
//!
//! May import: `app`, `booking`, [`super::manage`], [`super::request`].

use hyper::{Response, StatusCode};

use crate::app::App;
use crate::booking::service::BookingError;
use crate::http::Body;

use super::errors::PageError;
use super::manage::{booking_tr, manage_page};
use super::request::PageRequest;

pub fn cancel(app: &App, req: &PageRequest, token: &str) -> Result<Response<Body>, PageError> {
    req.check_csrf(&req.form())?;
    let tr = booking_tr(app, req, token);
    match app.booking.cancel(token) {
        Ok(_) => manage_page(app, req, token, Some((tr.t("manage-cancelled"), "success"))),
        Err(BookingError::TooLate { deadline }) => {
            let mut resp = manage_page(
                app,
                req,
                token,
                Some((tr.t1("manage-too-late-to-cancel", "deadline", deadline.format("%Y-%m-%d %H:%M UTC").to_string()), "error")),
            )?;
            *resp.status_mut() = StatusCode::CONFLICT;
            Ok(resp)
        }
        Err(e) => Err(e.into()),
    }
}
