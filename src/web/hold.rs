//! Holding a slot: `POST /book/{coach}/{type}/hold` takes the picked
//! time for a few minutes and redirects to `GET /book/hold/{id}`, the
//! details form (or, when moving a booking, the "move to this time?"
//! question). The form posts to [`super::confirm`].
//!
//! May import: `app`, `booking`, the page models, [`super::format`],
//! [`super::request`], [`super::respond`].

use std::collections::HashMap;

use hyper::{Method, Response, StatusCode};

use crate::app::App;
use crate::booking::service::BookingError;
use crate::http::Body;

use super::errors::PageError;
use super::format::{price_in, when_in};
use super::pages::{HoldPage, QuestionField, QuestionOption};

/// (D) The form-map key under which [`super::confirm`] names the question
/// whose answer was refused (never a field a browser sends: not `q_…`).
pub const QUESTION_ERROR: &str = " question-error";
use super::request::{form_start, PageRequest};
use super::respond::{enc, redirect, render, with_csrf};

pub fn hold(app: &App, req: &PageRequest, coach_slug: &str, type_slug: &str) -> Result<Response<Body>, PageError> {
    let form = req.form();
    req.check_post(app, &form)?;
    let start = form_start(&form)?;
    let reschedule = match form.get("reschedule") {
        // (issue 11 §4) a read-only guardian link cannot move the booking
        Some(token) => Some(app.booking.booking_to_change(token)?.0),
        None => None,
    };
    // (D) A private type needs its secret link's key, or a booking of it being moved.
    let coach = app.booking.coach(coach_slug)?;
    if !reschedule.as_ref().is_some_and(|b| b.coach == coach.user && b.event_type == type_slug) {
        app.booking.visible_event_type(coach, type_slug, form.get("key").map(String::as_str))?;
    }
    let rec = app.booking.hold(coach_slug, type_slug, start, reschedule.as_ref(), &req.hold_client())?;
    Ok(redirect(&hold_location(&rec.hold.id, form.get("tz"), form.get("reschedule"))))
}

/// `/book/hold/{id}`, keeping the student's zone and the booking being moved.
fn hold_location(hold_id: &str, tz: Option<&String>, reschedule: Option<&String>) -> String {
    let mut to = format!("/book/hold/{}", enc(hold_id));
    if let Some(tz) = tz {
        to.push_str(&format!("?tz={}", enc(tz)));
    }
    if let Some(token) = reschedule {
        to.push_str(if to.contains('?') { "&" } else { "?" });
        to.push_str(&format!("reschedule={}", enc(token)));
    }
    to
}

/// The details form of a hold; with `error`, shown again (422) with the
/// message and what the student typed.
pub fn hold_page(app: &App, req: &PageRequest, hold_id: &str, error: Option<(String, HashMap<String, String>)>) -> Result<Response<Body>, PageError> {
    hold_page_with(app, req, hold_id, error, None, None)
}

/// [`hold_page`] with the page's parameters given (else the error's form
/// or the query) and the repeat form's last attempt (issue 11 §2,
/// [`super::series_form`]).
pub fn hold_page_with(
    app: &App,
    req: &PageRequest,
    hold_id: &str,
    error: Option<(String, HashMap<String, String>)>,
    params: Option<HashMap<String, String>>,
    attempt: Option<&super::series_form::RepeatAttempt>,
) -> Result<Response<Body>, PageError> {
    let (rec, coach, et) = app.booking.hold_info(hold_id)?;
    if !rec.hold.is_active(app.booking.now()) {
        return Err(BookingError::HoldExpired.into());
    }
    let params = params.or_else(|| error.as_ref().map(|(_, f)| f.clone())).unwrap_or_else(|| req.query.clone());
    let tz = super::zones::student_zone(params.get("tz"), super::zones::remembered_zone(&req.headers), coach.policy.tz).tz;
    let reschedule_token = params.get("reschedule").cloned().filter(|_| rec.reschedule_of.is_some());
    let moved = match (&rec.reschedule_of, &reschedule_token) {
        (Some(_), Some(token)) => app.booking.booking(token).ok().map(|b| crate::i18n::Locale::from_stored(&b.locale)),
        _ => None,
    };
    let tr = super::locale::page_tr_at(req, &format!("/book/hold/{}", enc(hold_id)), Some(coach), moved);
    let (csrf, fresh) = req.csrf();
    let field = |k: &str| params.get(k).cloned().unwrap_or_default();
    let page = HoldPage {
        about: super::profile::EventAbout::of(&tr, et),
        title: if reschedule_token.is_some() { tr.t1("hold-move-title", "title", &et.title) } else { tr.t2("session-with", "title", &et.title, "coach", &coach.display_name) },
        when: when_in(&tr, rec.hold.range, tz),
        tz: tz.name().to_string(),
        expires: crate::i18n::dates::time(tr.locale, &rec.hold.expires_at.with_timezone(&tz)),
        action: format!("/book/hold/{}", enc(hold_id)),
        csrf: csrf.clone(),
        error: error.as_ref().map(|(m, _)| m.clone()),
        name: field("name"),
        email: field("email"),
        note: field("note"),
        price: price_in(&tr, &et.price),
        submit_label: match (&reschedule_token, et.reschedule_requires_approval) {
            // issue 11 §3 (C): the coach approves the move.
            (Some(_), true) => tr.t("hold-submit-ask-move"),
            (Some(_), false) => tr.t("hold-submit-move"),
            (None, _) => tr.t("hold-submit-book"),
        },
        // (D) the event type's questions
        questions: et
            .questions
            .iter()
            .map(|q| {
                let name = format!("q_{}", q.id);
                let value = field(&name);
                QuestionField {
                    dom_id: format!("q-{}", q.id),
                    label: q.label.clone(),
                    kind: q.kind.name(),
                    required: q.required,
                    options: q.options.iter().map(|o| QuestionOption { value: o.clone(), selected: *o == value }).collect(),
                    checked: !value.is_empty(),
                    max_length: q.limit(),
                    error: (params.get(QUESTION_ERROR) == Some(&q.id)).then(|| error.as_ref().map(|(m, _)| m.clone()).unwrap_or_default()),
                    value,
                    name,
                }
            })
            .collect(),
        // (issue 11 §4) the parent or guardian, asked when the type says so
        guardian_asked: reschedule_token.is_none() && et.guardian.asks(),
        guardian_required: et.guardian == crate::booking::guardian::GuardianPolicy::Required,
        guardian_name: field("guardian_name"),
        guardian_email: field("guardian_email"),
        // issue 11 §2: "every N weeks, K times", when the type repeats.
        series: super::series_form::series_fields(app, &tr, &rec, et, tz, attempt)?.filter(|_| reschedule_token.is_none()),
        reschedule_token,
        tr,
    };
    let mut resp = with_csrf(render(page)?, &csrf, fresh);
    if req.method == Method::POST {
        *resp.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(resp)
}

#[cfg(test)]
mod tests {
    use super::hold_location;

    #[test]
    fn the_hold_page_keeps_zone_and_reschedule() {
        let s = |v: &str| v.to_string();
        assert_eq!(hold_location("h1", None, None), "/book/hold/h1");
        assert_eq!(hold_location("h1", Some(&s("Europe/Berlin")), None), "/book/hold/h1?tz=Europe%2FBerlin");
        assert_eq!(hold_location("h1", None, Some(&s("t"))), "/book/hold/h1?reschedule=t");
        assert_eq!(hold_location("h1", Some(&s("UTC")), Some(&s("t"))), "/book/hold/h1?tz=UTC&reschedule=t");
    }
}
