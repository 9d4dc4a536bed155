//! `POST /book/hold/{id}`: the details form of a hold. Books the held
//! time (or, with `reschedule`, moves that booking to it) and redirects to
//! the manage page; details that do not pass are shown again in the form.
//!
//! May import: `app`, `booking`, [`super::hold`] (the form, shown again),
//! [`super::request`], [`super::respond`].

use hyper::Response;

use crate::app::App;
use crate::booking::service::{BookingError, RescheduleAnswer, StudentDetails};
use crate::http::Body;

use super::errors::PageError;
use super::hold::hold_page;
use super::request::PageRequest;
use super::respond::{enc, redirect};

pub fn confirm(app: &App, req: &PageRequest, hold_id: &str) -> Result<Response<Body>, PageError> {
    let form = req.form();
    req.check_post(app, &form)?;
    let tz_query = form.get("tz").map(|t| format!("?tz={}", enc(t))).unwrap_or_default();
    if let Some(token) = form.get("reschedule") {
        let answer = app.booking.reschedule_or_request(token, hold_id)?;
        let token = app.booking.manage_token(answer.booking());
        let done = match answer {
            RescheduleAnswer::Moved(_) => "moved",
            RescheduleAnswer::Requested { .. } => "requested",
        };
        return Ok(redirect(&manage_location(&token, &tz_query, done)));
    }
    // The page's language is the booking's (issue 12 §5): mails and calendar texts follow it.
    let coach = app.booking.hold_info(hold_id).ok().map(|(_, c, _)| c);
    let tr = super::locale::page_tr(req, coach, None);
    let details = StudentDetails {
        name: form.get("name").cloned().unwrap_or_default(),
        email: form.get("email").cloned().unwrap_or_default(),
        note: form.get("note").cloned().unwrap_or_default(),
        locale: tr.locale,
    };
    // (D) answers to the event type's questions come as `q_{id}` fields.
    let answers: std::collections::BTreeMap<String, String> =
        form.iter().filter_map(|(k, v)| k.strip_prefix("q_").map(|id| (id.to_string(), v.clone()))).collect();
    // (issue 11 §4) the parent or guardian, when the form asks for one
    let guardian = crate::booking::guardian::GuardianInput {
        name: form.get("guardian_name").cloned().unwrap_or_default(),
        email: form.get("guardian_email").cloned().unwrap_or_default(),
    };
    match app.booking.confirm_with_guardian(hold_id, details, &answers, Some(&guardian)) {
        Ok(booking) => {
            let token = app.booking.manage_token(&booking);
            Ok(redirect(&manage_location(&token, &tz_query, "booked")))
        }
        Err(BookingError::InvalidInput { field, reason }) => hold_page(app, req, hold_id, Some((super::errors::invalid_input_text(&tr, field, reason), form))),
        Err(BookingError::InvalidAnswer(a)) => {
            let mut form = form;
            form.insert(super::hold::QUESTION_ERROR.to_string(), a.question.clone());
            hold_page(app, req, hold_id, Some((format!("{}: {}", a.label, a.reason), form)))
        }
        Err(e) => Err(e.into()),
    }
}

/// `/book/manage/{token}` with the zone query (`?tz=…` or empty) and what
/// was `done` ("booked", "moved", "requested").
fn manage_location(token: &str, tz_query: &str, done: &str) -> String {
    let sep = if tz_query.is_empty() { "?" } else { "&" };
    format!("/book/manage/{}{tz_query}{sep}done={done}", enc(token))
}

#[cfg(test)]
mod tests {
    use super::manage_location;

    #[test]
    fn the_manage_page_says_what_was_done() {
        assert_eq!(manage_location("tok", "", "booked"), "/book/manage/tok?done=booked");
        assert_eq!(manage_location("tok", "?tz=UTC", "moved"), "/book/manage/tok?tz=UTC&done=moved");
    }
}
