//! The waitlist endpoints of the JSON API (issue 11 §1, docs/api.md):
//! join a full slot, read an entry, claim its offer, leave. Failures go
//! through `web::errors::booking_answer` like every booking failure.

use hyper::StatusCode;
use serde::Deserialize;
use serde_json::json;

use super::{booking_json, parse_json, parse_start, ApiError, ApiResult};
use crate::app::App;
use crate::booking::service::StudentDetails;
use crate::booking::waitlist::{WaitlistEntry, WaitlistStatus};

#[derive(Deserialize)]
struct JoinBody {
    start: String,
    name: String,
    email: String,
    /// A private event type's secret link token (issue 11 §7).
    #[serde(default)]
    key: Option<String>,
    /// (issue 12 §5) The language of their mails (`en`, `en-US`, `de`,
    /// `fr`, `es`); the coach's `language` when absent.
    #[serde(default)]
    language: Option<String>,
}

/// `POST /coaches/{coach}/event-types/{type}/waitlist` → 201 `{waitlist_token, position}`.
pub(super) fn join(app: &App, coach: &str, et: &str, body: &[u8]) -> ApiResult {
    let req: JoinBody = parse_json(body)?;
    // A private type's waitlist is as hidden as the type: its link's key or 404.
    app.booking.visible_event_type(app.booking.coach(coach)?, et, req.key.as_deref())?;
    let locale = match req.language.as_deref() {
        Some(tag) => crate::i18n::Locale::from_tag(tag).ok_or_else(|| ApiError::bad_request(format!("language `{tag}` is not one of en, en-US, de, fr, es")))?,
        None => app.booking.coach(coach)?.language,
    };
    let (entry, position) = app.booking.join_waitlist(coach, et, parse_start(&req.start)?, &req.name, &req.email, locale)?;
    Ok((StatusCode::CREATED, json!({"waitlist_token": entry.id, "position": position})))
}

/// `GET /waitlist/{token}` → `{status, position, offer_expires_at}`.
pub(super) fn show(app: &App, token: &str) -> ApiResult {
    let (entry, position) = app.booking.waitlist_entry(token)?;
    Ok((StatusCode::OK, entry_json(app, &entry, position)))
}

fn entry_json(app: &App, e: &WaitlistEntry, position: Option<usize>) -> serde_json::Value {
    let tz = crate::booking::coach::by_user(app.booking.coaches(), &e.coach).map(|c| c.policy.tz).unwrap_or(chrono_tz::UTC);
    // An offer whose time is up reads as expired before the sweep notes it.
    let (status, expires) = match &e.status {
        WaitlistStatus::Offered { expires_at, .. } if *expires_at <= app.booking.now() => ("expired", None),
        WaitlistStatus::Offered { expires_at, .. } => ("offered", Some(expires_at.with_timezone(&tz).to_rfc3339())),
        s => (s.name(), None),
    };
    json!({
        "status": status,
        "position": position,
        "offer_expires_at": expires,
        "start": e.range.start.with_timezone(&tz).to_rfc3339(),
        "end": e.range.end.with_timezone(&tz).to_rfc3339(),
        "event_type": e.event_type,
    })
}

#[derive(Deserialize, Default)]
struct ClaimBody {
    #[serde(default)]
    name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    note: String,
    /// (issue 11 §4) as in a hold confirm
    #[serde(default)]
    guardian: Option<ClaimGuardian>,
}

#[derive(Deserialize)]
struct ClaimGuardian {
    #[serde(default)]
    name: String,
    #[serde(default)]
    email: String,
}

/// `POST /waitlist/{token}/claim`: the answer of a hold confirm (201 with
/// the booking and its manage token).
pub(super) fn claim(app: &App, token: &str, body: &[u8]) -> ApiResult {
    let req: ClaimBody = if body.iter().all(u8::is_ascii_whitespace) { ClaimBody::default() } else { parse_json(body)? };
    let guardian = req.guardian.map(|g| crate::booking::guardian::GuardianInput { name: g.name, email: g.email });
    let student = StudentDetails { name: req.name, email: req.email, note: req.note, ..Default::default() };
    let b = app.booking.claim_waitlist_with_guardian(token, student, guardian.as_ref())?;
    let manage = app.booking.manage_token(&b);
    Ok((StatusCode::CREATED, booking_json(app, &b, Some(manage))))
}

/// `POST /waitlist/{token}/leave` → the entry, now `left`.
pub(super) fn leave(app: &App, token: &str) -> ApiResult {
    let entry = app.booking.leave_waitlist(token)?;
    Ok((StatusCode::OK, entry_json(app, &entry, None)))
}
