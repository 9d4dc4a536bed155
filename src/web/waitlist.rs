//! The waitlist's pages (issue 11 §1): `POST /book/{coach}/{type}/waitlist`
//! joins a full session (the form on the slots page) and redirects to
//! `GET /book/waitlist/{token}`, the place's page: position, or the
//! standing offer with a claim form, and a leave (decline) button;
//! `POST …/claim` books the offered place and redirects to the manage
//! page; `POST …/leave` leaves. Works without JavaScript.
//!
//! May import: `app`, `booking`, the page models, [`super::request`],
//! [`super::respond`].

use hyper::Response;

use crate::app::App;
use crate::booking::service::StudentDetails;
use crate::booking::waitlist::WaitlistStatus;
use crate::http::Body;

use super::errors::PageError;
use super::format::zone;
use super::locale::page_tr;
use crate::i18n::dates;
use super::pages::WaitlistPage;
use super::request::{form_start, PageRequest};
use super::respond::{enc, redirect, render, with_csrf};

/// `POST /book/{coach}/{type}/waitlist`.
pub fn join(app: &App, req: &PageRequest, coach: &str, event_type: &str) -> Result<Response<Body>, PageError> {
    let form = req.form();
    req.check_post(app, &form)?;
    // A private type's waitlist is as hidden as the type: its link's key or 404.
    app.booking.visible_event_type(app.booking.coach(coach)?, event_type, form.get("key").map(String::as_str))?;
    let start = form_start(&form)?;
    let name = form.get("name").cloned().unwrap_or_default();
    let email = form.get("email").cloned().unwrap_or_default();
    let locale = page_tr(req, Some(app.booking.coach(coach)?), None).locale;
    let (entry, _) = app.booking.join_waitlist(coach, event_type, start, &name, &email, locale)?;
    Ok(redirect(&format!("/book/waitlist/{}{}", enc(&entry.id), tz_query(&form))))
}

fn tz_query(form: &std::collections::HashMap<String, String>) -> String {
    form.get("tz").map(|t| format!("?tz={}", enc(t))).unwrap_or_default()
}

/// `GET /book/waitlist/{token}`.
pub fn waitlist_page(app: &App, req: &PageRequest, token: &str, notice: Option<String>) -> Result<Response<Body>, PageError> {
    let (entry, position) = app.booking.waitlist_entry(token)?;
    let (coach, et) = app.booking.waitlist_context(&entry)?;
    let tz = zone(req.query.get("tz"), coach.policy.tz);
    let joined_in = crate::i18n::Locale::from_tag(&entry.locale);
    let tr = super::locale::page_tr_at(req, &format!("/book/waitlist/{}", enc(token)), Some(coach), joined_in);
    let now = app.booking.now();
    let (status, offer_expires) = match &entry.status {
        WaitlistStatus::Offered { expires_at, .. } if *expires_at <= now => ("expired", String::new()),
        WaitlistStatus::Offered { expires_at, .. } => ("offered", dates::day_time(tr.locale, &expires_at.with_timezone(&tz))),
        s => (s.name(), String::new()),
    };
    let base = format!("/book/waitlist/{}", enc(token));
    let (csrf, fresh) = req.csrf();
    let page = WaitlistPage {
        title: et.title.clone(),
        coach_name: coach.display_name.clone(),
        when: format!("{}, {}", dates::long_date(tr.locale, entry.range.start.with_timezone(&tz).date_naive()), dates::time(tr.locale, &entry.range.start.with_timezone(&tz))),
        tz: tz.name().to_string(),
        status: status.to_string(),
        position,
        offer_expires,
        claim_action: format!("{base}/claim"),
        leave_action: format!("{base}/leave"),
        csrf: csrf.clone(),
        notice,
        // (issue 11 §4) the claim is a booking: it asks for the guardian too
        guardian_asked: et.guardian.asks(),
        guardian_required: et.guardian == crate::booking::guardian::GuardianPolicy::Required,
        guardian_name: String::new(),
        guardian_email: String::new(),
        tr,
    };
    Ok(with_csrf(render(page)?, &csrf, fresh))
}

/// `POST /book/waitlist/{token}/claim`: books the offered place.
pub fn claim(app: &App, req: &PageRequest, token: &str) -> Result<Response<Body>, PageError> {
    let form = req.form();
    req.check_post(app, &form)?;
    let (entry, _) = app.booking.waitlist_entry(token)?;
    let coach = app.booking.waitlist_context(&entry)?.0;
    let locale = page_tr(req, Some(coach), None).locale;
    let details = StudentDetails { name: String::new(), email: String::new(), note: form.get("note").cloned().unwrap_or_default(), locale };
    // (issue 11 §4) the guardian, when the claim form carries one
    let guardian = crate::booking::guardian::GuardianInput {
        name: form.get("guardian_name").cloned().unwrap_or_default(),
        email: form.get("guardian_email").cloned().unwrap_or_default(),
    };
    // A refused guardian is said on the claim page, like the booking form does.
    let booking = match app.booking.claim_waitlist_with_guardian(token, details, Some(&guardian)) {
        Ok(b) => b,
        Err(e @ crate::booking::service::BookingError::InvalidInput { .. }) => {
            let tr = page_tr(req, Some(coach), None);
            let (_, _, text) = PageError::from(e).answer_in(&tr);
            let mut resp = waitlist_page(app, req, token, Some(text))?;
            *resp.status_mut() = hyper::StatusCode::UNPROCESSABLE_ENTITY;
            return Ok(resp);
        }
        Err(e) => return Err(e.into()),
    };
    Ok(redirect(&format!("/book/manage/{}?done=booked", enc(&app.booking.manage_token(&booking)))))
}

/// `POST /book/waitlist/{token}/leave`.
pub fn leave(app: &App, req: &PageRequest, token: &str) -> Result<Response<Body>, PageError> {
    req.check_csrf(&req.form())?;
    app.booking.leave_waitlist(token)?;
    let (entry, _) = app.booking.waitlist_entry(token)?;
    let tr = page_tr(req, Some(app.booking.waitlist_context(&entry)?.0), None);
    waitlist_page(app, req, token, Some(tr.t("waitlist-left")))
}
