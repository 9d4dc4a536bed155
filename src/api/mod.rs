//! The JSON API under `/api/v1/`: the booking page's operations for other
//! front ends (documented in docs/api.md). Errors are
//! `{"error": code, "message": text}` with a fitting status; booking
//! failures get theirs from [`crate::web::errors::booking_answer`], the
//! table the pages use too.
//!
//! May import: `app`, `booking`, `i18n` (a booking's language), `model`, the response types of `dav`,
//! `web::forms` (query decoding) and `web::errors`; hyper and serde_json.

mod waitlist;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use chrono_tz::Tz;
use http_body_util::{BodyExt, Limited};
use hyper::header::{HeaderValue, CONTENT_TYPE};
use hyper::{Method, Request, Response, StatusCode};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::app::App;
use crate::booking::policy::format_duration;
use crate::booking::service::{BookingError, RescheduleAnswer, StudentDetails};
use crate::booking::guardian::GuardianInput;
use crate::booking::series::SeriesRequest;
use crate::booking::{Booking, BookingStatus, HoldClient};
use crate::http::Body;
use crate::model::TimeRange;
use crate::web::errors::{booking_answer, internal};

/// An API failure: status, machine-readable code, human message.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
    /// Dates of a series that are not free (`"conflicts"`, issue 11 §2).
    conflicts: Option<Vec<DateTime<Utc>>>,
}

impl ApiError {
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError { status, code, message: message.into(), conflicts: None }
    }
    fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }
    fn into_response(self) -> Response<Body> {
        let mut v = json!({"error": self.code, "message": self.message});
        if let Some(c) = self.conflicts {
            v["conflicts"] = json!(c.iter().map(|t| t.to_rfc3339()).collect::<Vec<_>>());
        }
        json_response(self.status, &v)
    }
}

/// Booking failures answer as the pages do: one table,
/// [`crate::web::errors::booking_answer`].
impl From<BookingError> for ApiError {
    fn from(e: BookingError) -> Self {
        let a = booking_answer(&e);
        let mut err = Self::new(a.status, a.code, a.detail);
        if let BookingError::SeriesConflicts { conflicts } = e {
            err.conflicts = Some(conflicts);
        }
        err
    }
}

fn json_response(status: StatusCode, v: &Value) -> Response<Body> {
    let mut resp = Response::new(Body::new(Bytes::from(v.to_string())));
    *resp.status_mut() = status;
    resp.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    if status == StatusCode::SERVICE_UNAVAILABLE {
        // The store is out of reach (`storage_unavailable`): ask again soon.
        resp.headers_mut().insert(hyper::header::RETRY_AFTER, HeaderValue::from_static("5"));
    }
    resp
}

/// Handles a request below `/api/v1/`.
///
/// `peer` is the client's address as the router resolved it (behind a
/// trusted proxy, the client the proxy names).
pub async fn handle<B>(app: Arc<App>, peer: SocketAddr, req: Request<B>) -> Response<Body>
where
    B: hyper::body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let link_base = req.extensions().get::<crate::booking::links::LinkBase>().map(|b| b.0.clone());
    let (parts, body) = req.into_parts();
    let body = match Limited::new(body, 64 * 1024).collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => return ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "too_large", "request body too large").into_response(),
    };
    let query: HashMap<String, String> = crate::web::forms::decode(parts.uri.query().unwrap_or("").as_bytes());
    let segments: Vec<String> = parts
        .uri
        .path()
        .trim_start_matches("/api/v1/")
        .split('/')
        .filter(|s| !s.is_empty())
        .map(|s| percent_encoding::percent_decode_str(s).decode_utf8_lossy().into_owned())
        .collect();
    let method = parts.method;
    tokio::task::spawn_blocking(move || {
        let seg: Vec<&str> = segments.iter().map(String::as_str).collect();
        match crate::booking::links::with_base(link_base, || route(&app, &method, &seg, &query, &body, peer)) {
            Ok((status, v)) => json_response(status, &v),
            Err(e) => e.into_response(),
        }
    })
    .await
    .unwrap_or_else(|_| {
        tracing::error!("api task failed");
        let a = internal();
        ApiError::new(a.status, a.code, a.detail).into_response()
    })
}

type ApiResult = Result<(StatusCode, Value), ApiError>;

fn route(app: &App, method: &Method, seg: &[&str], query: &HashMap<String, String>, body: &[u8], peer: SocketAddr) -> ApiResult {
    let get = *method == Method::GET;
    let post = *method == Method::POST;
    let limited = |app: &App| {
        if app.rate_limit.allow(peer.ip()) {
            Ok(())
        } else {
            Err(ApiError::new(StatusCode::TOO_MANY_REQUESTS, "rate_limited", "too many requests from this address; wait a minute"))
        }
    };
    match seg {
        ["coaches", coach, "event-types"] if get => event_types(app, coach),
        ["coaches", coach, "event-types", et, "slots"] if get => slots(app, coach, et, query),
        ["coaches", coach, "event-types", et, "holds"] if post => {
            limited(app)?;
            hold(app, coach, et, body, peer)
        }
        ["holds", id, "confirm"] if post => {
            limited(app)?;
            confirm(app, id, body)
        }
        ["bookings", token] if get => Ok((StatusCode::OK, booking_json(app, &app.booking.booking(token)?, None))),
        ["bookings", token, "cancel"] if post => cancel(app, token, body),
        ["bookings", token, "reschedule-request", "withdraw"] if post => {
            let b = app.booking.withdraw_reschedule(token)?;
            Ok((StatusCode::OK, booking_json(app, &b, None)))
        }
        ["bookings", token, "reschedule"] if post => {
            limited(app)?;
            reschedule(app, token, body, peer)
        }
        // waitlists (part A)
        ["coaches", coach, "event-types", et, "waitlist"] if post => {
            limited(app)?;
            waitlist::join(app, coach, et, body)
        }
        ["waitlist", token] if get => waitlist::show(app, token),
        ["waitlist", token, "claim"] if post => {
            limited(app)?;
            waitlist::claim(app, token, body)
        }
        ["waitlist", token, "leave"] if post => waitlist::leave(app, token),
        _ => Err(ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such endpoint")),
    }
}

fn event_types(app: &App, coach_slug: &str) -> ApiResult {
    let coach = app.booking.coach(coach_slug)?;
    // (D) private types are reachable only through their secret links.
    let types: Vec<Value> = app
        .booking
        .listed_event_types(coach)
        .map(|t| {
            json!({
                "slug": t.slug,
                "title": t.title,
                "duration": format_duration(t.duration),
                "duration_minutes": t.duration.num_minutes(),
                "seats": t.seats,
                "price": t.price,
                "requires_confirmation": t.requires_confirmation,
                // (issue 11 §4) "off" | "optional" | "required"
                "guardian": t.guardian.name(),
            })
        })
        .collect();
    Ok((StatusCode::OK, json!({"coach": coach.slug, "name": coach.display_name, "timezone": coach.policy.tz.name(), "event_types": types})))
}

fn zone(query: &HashMap<String, String>, fallback: Tz) -> Result<Tz, ApiError> {
    match query.get("tz") {
        Some(z) => z.parse().map_err(|_| ApiError::bad_request(format!("`{z}` is not an IANA time zone like Europe/Berlin"))),
        None => Ok(fallback),
    }
}

fn slots(app: &App, coach_slug: &str, type_slug: &str, query: &HashMap<String, String>) -> ApiResult {
    let coach = app.booking.coach(coach_slug)?;
    app.booking.visible_event_type(coach, type_slug, query.get("key").map(String::as_str))?;
    let tz = zone(query, coach.policy.tz)?;
    let date = |key: &str| -> Result<Option<NaiveDate>, ApiError> {
        query
            .get(key)
            .map(|v| NaiveDate::parse_from_str(v, "%Y-%m-%d").map_err(|_| ApiError::bad_request(format!("`{key}` must be a date YYYY-MM-DD"))))
            .transpose()
    };
    let today = app.booking.now().with_timezone(&tz).date_naive();
    let from = date("from")?.unwrap_or(today);
    let to = date("to")?.unwrap_or(from + Duration::days(6));
    if to < from || (to - from).num_days() > 366 {
        return Err(ApiError::bad_request("`to` must be on or after `from`, at most a year later"));
    }
    let day_start = |d: NaiveDate| crate::booking::availability::local_day(tz, d).start;
    let range = TimeRange::new(day_start(from), day_start(to + Duration::days(1)));
    let list: Vec<Value> = app
        .booking
        .slots(coach_slug, type_slug, range)?
        .into_iter()
        .map(|s| {
            json!({
                "start": s.range.start.with_timezone(&tz).to_rfc3339(),
                "end": s.range.end.with_timezone(&tz).to_rfc3339(),
                "seats_left": s.seats_left,
            })
        })
        .collect();
    Ok((StatusCode::OK, json!({"timezone": tz.name(), "slots": list})))
}

fn parse_json<'a, T: Deserialize<'a>>(body: &'a [u8]) -> Result<T, ApiError> {
    serde_json::from_slice(body).map_err(|e| ApiError::bad_request(format!("invalid JSON body: {e}")))
}

fn parse_start(s: &str) -> Result<DateTime<Utc>, ApiError> {
    DateTime::parse_from_rfc3339(s)
        .map(|d| d.with_timezone(&Utc))
        .map_err(|_| ApiError::bad_request("`start` must be an RFC 3339 date-time with offset"))
}

#[derive(Deserialize)]
struct StartBody {
    start: String,
    /// (D) A private event type's secret link token.
    #[serde(default)]
    key: Option<String>,
    /// A series (issue 11 §2): `{"every": "1w", "count": 8, "skip": [START…]}`.
    #[serde(default)]
    repeat: Option<RepeatBody>,
    /// For a reschedule: the occurrence of a series to move.
    #[serde(default)]
    occurrence: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RepeatBody {
    every: String,
    count: u32,
    #[serde(default)]
    skip: Vec<String>,
}

fn series_request(r: &RepeatBody) -> Result<SeriesRequest, ApiError> {
    let every_weeks = crate::booking::series::parse_every(&r.every)
        .map_err(|reason| ApiError::from(BookingError::InvalidInput { field: "every", reason }))?;
    if r.skip.len() > 52 {
        return Err(BookingError::InvalidInput { field: "skip", reason: "at most 52 dates".into() }.into());
    }
    let skip = r.skip.iter().map(|s| parse_start(s)).collect::<Result<_, _>>()?;
    Ok(SeriesRequest { every_weeks, count: r.count, skip })
}

fn ranges_json(ranges: &[TimeRange], tz: Tz) -> Value {
    json!(ranges
        .iter()
        .map(|r| json!({"start": r.start.with_timezone(&tz).to_rfc3339(), "end": r.end.with_timezone(&tz).to_rfc3339()}))
        .collect::<Vec<_>>())
}

/// API clients count by address only (no browser session): each hold is
/// one of the address's `max_holds_per_client` (a series hold is one).
fn hold(app: &App, coach: &str, et: &str, body: &[u8], peer: SocketAddr) -> ApiResult {
    let req: StartBody = parse_json(body)?;
    let coach_config = app.booking.coach(coach)?;
    app.booking.visible_event_type(coach_config, et, req.key.as_deref())?;
    let start = parse_start(&req.start)?;
    let client = HoldClient::new(peer.ip(), None);
    let Some(repeat) = &req.repeat else {
        let rec = app.booking.hold(coach, et, start, None, &client)?;
        return Ok((StatusCode::CREATED, json!({"hold_id": rec.hold.id, "expires_at": rec.hold.expires_at.to_rfc3339()})));
    };
    let (rec, ranges) = app.booking.hold_series(coach, et, start, &series_request(repeat)?, &client)?;
    let tz = app.booking.coach(coach).map(|c| c.policy.tz).unwrap_or(chrono_tz::UTC);
    Ok((
        StatusCode::CREATED,
        json!({"hold_id": rec.hold.id, "expires_at": rec.hold.expires_at.to_rfc3339(), "occurrences": ranges_json(&ranges, tz)}),
    ))
}

#[derive(Deserialize, Default)]
struct CancelBody {
    #[serde(default)]
    occurrence: Option<String>,
}

/// Cancels a booking; for a series, `{"occurrence": START}` cancels that
/// occurrence and no body (or no `occurrence`) every one still ahead
/// except those inside the cancel notice, which stay and are listed in
/// `"kept": [{"start", "end", "deadline"}]`.
fn cancel(app: &App, token: &str, body: &[u8]) -> ApiResult {
    let req: CancelBody = if body.iter().all(u8::is_ascii_whitespace) { CancelBody::default() } else { parse_json(body)? };
    let occurrence = req.occurrence.as_deref().map(parse_start).transpose()?;
    let done = app.booking.cancel_series_detailed(token, occurrence)?;
    let mut v = booking_json(app, &done.booking, None);
    if v.get("occurrences").is_some() {
        v["kept"] = kept_json(app, &done.booking, &done.kept);
    }
    Ok((StatusCode::OK, v))
}

/// The dates of a series a change of "all remaining" left as they were
/// (inside the notice): `[{"start", "end", "deadline"}]`.
fn kept_json(app: &App, b: &Booking, kept: &[crate::booking::service::KeptOccurrence]) -> Value {
    let tz = crate::booking::coach::by_user(app.booking.coaches(), &b.coach).map(|c| c.policy.tz).unwrap_or(chrono_tz::UTC);
    json!(kept
        .iter()
        .map(|k| json!({
            "start": k.booking.range.start.with_timezone(&tz).to_rfc3339(),
            "end": k.booking.range.end.with_timezone(&tz).to_rfc3339(),
            "deadline": k.deadline.with_timezone(&tz).to_rfc3339(),
        }))
        .collect::<Vec<_>>())
}

#[derive(Deserialize)]
struct ConfirmBody {
    name: String,
    email: String,
    #[serde(default)]
    note: String,
    /// (D) Answers to the event type's questions: id → string (a checkbox
    /// may be `true`/`false`).
    #[serde(default)]
    answers: std::collections::BTreeMap<String, Value>,
    /// (issue 12 §5) The student's language for their mails and the
    /// booking's calendar texts (`en`, `en-US`, `de`, `fr`, `es`); the
    /// coach's `language` when absent.
    #[serde(default)]
    language: Option<String>,
    /// (issue 11 §4) The parent or guardian who follows the booking.
    #[serde(default)]
    guardian: Option<GuardianBody>,
}

/// `"guardian": {"name", "email"}` of a confirm body.
#[derive(Deserialize)]
struct GuardianBody {
    #[serde(default)]
    name: String,
    #[serde(default)]
    email: String,
}

fn confirm(app: &App, hold_id: &str, body: &[u8]) -> ApiResult {
    let req: ConfirmBody = parse_json(body)?;
    let answers = req
        .answers
        .into_iter()
        .map(|(id, v)| {
            let text = match v {
                Value::String(s) => s,
                Value::Bool(true) => "yes".into(),
                Value::Bool(false) | Value::Null => String::new(),
                Value::Number(n) => n.to_string(),
                _ => return Err(ApiError::bad_request(format!("answer `{id}` must be a string or a boolean"))),
            };
            Ok((id, text))
        })
        .collect::<Result<_, _>>()?;
    let guardian = req.guardian.map(|g| GuardianInput { name: g.name, email: g.email });
    let locale = match req.language.as_deref() {
        Some(tag) => crate::i18n::Locale::from_tag(tag).ok_or_else(|| ApiError::bad_request(format!("language `{tag}` is not one of en, en-US, de, fr, es")))?,
        None => app.booking.hold_info(hold_id)?.1.language,
    };
    let student = StudentDetails { name: req.name, email: req.email, note: req.note, locale };
    let b = app.booking.confirm_with_guardian(hold_id, student, &answers, guardian.as_ref())?;
    let token = app.booking.manage_token(&b);
    Ok((StatusCode::CREATED, booking_json(app, &b, Some(token))))
}

fn reschedule(app: &App, token: &str, body: &[u8], peer: SocketAddr) -> ApiResult {
    let req: StartBody = parse_json(body)?;
    // (issue 11 §4) a read-only guardian link holds nothing: 403 `read_only`
    let (booking, _) = app.booking.booking_to_change(token)?;
    // A series' occurrence is moved by naming it; without one, every date
    // still ahead moves (those inside the notice stay: `kept`).
    let booking = match req.occurrence.as_deref().map(parse_start).transpose()? {
        Some(t) => app.booking.occurrence_of(&booking, t)?,
        None if app.booking.series_occurrences(&booking)?.is_some() => {
            let done = app.booking.reschedule_series(token, parse_start(&req.start)?)?;
            let mut v = booking_json(app, &done.booking, None);
            v["kept"] = kept_json(app, &done.booking, &done.kept);
            return Ok((StatusCode::OK, v));
        }
        None => booking,
    };
    let coach = crate::booking::coach::by_user(app.booking.coaches(), &booking.coach).ok_or(BookingError::UnknownCoach)?;
    let et = app.booking.event_type(coach, &booking.event_type)?;
    if let Err(t) = crate::booking::can_reschedule(booking.range.start, app.booking.now(), et.reschedule_notice) {
        return Err(BookingError::TooLate { deadline: t.deadline }.into());
    }
    let client = HoldClient::new(peer.ip(), None);
    let rec = app.booking.hold(&coach.slug, &et.slug, parse_start(&req.start)?, Some(&booking), &client)?;
    match app.booking.reschedule_or_request(token, &rec.hold.id)? {
        RescheduleAnswer::Moved(moved) => Ok((StatusCode::OK, booking_json(app, &moved, None))),
        // issue 11 §3 (C): the coach is asked; the booking stays.
        RescheduleAnswer::Requested { booking, request } => {
            let tz = coach.policy.tz;
            Ok((
                StatusCode::ACCEPTED,
                json!({
                    "status": "requested",
                    "reference": booking.reference,
                    "start": request.range.start.with_timezone(&tz).to_rfc3339(),
                    "end": request.range.end.with_timezone(&tz).to_rfc3339(),
                    "expires_at": request.expires_at.with_timezone(&tz).to_rfc3339(),
                    "booking": booking_json(app, &booking, None),
                }),
            ))
        }
    }
}

/// The pending reschedule request of a booking as the API shows it, or
/// null (issue 11 §3).
fn reschedule_request_json(app: &App, b: &Booking, tz: chrono_tz::Tz) -> Value {
    match app.booking.reschedule_request(b) {
        Ok(Some(r)) if r.is_pending(app.booking.now()) => json!({
            "start": r.range.start.with_timezone(&tz).to_rfc3339(),
            "end": r.range.end.with_timezone(&tz).to_rfc3339(),
            "expires_at": r.expires_at.with_timezone(&tz).to_rfc3339(),
        }),
        Ok(_) => Value::Null,
        Err(e) => {
            tracing::warn!(error = %e, reference = %b.reference, "cannot read the reschedule request");
            Value::Null
        }
    }
}

fn booking_json(app: &App, b: &Booking, token: Option<String>) -> Value {
    let coach = crate::booking::coach::by_user(app.booking.coaches(), &b.coach);
    let tz = coach.map(|c| c.policy.tz).unwrap_or(chrono_tz::UTC);
    let cancel_deadline = coach
        .and_then(|c| c.policy.event_type(&b.event_type))
        .map(|et| b.cancel_deadline(et.cancel_notice).with_timezone(&tz).to_rfc3339());
    let status = match b.status {
        BookingStatus::Confirmed => "confirmed",
        BookingStatus::Tentative => "tentative",
        BookingStatus::Cancelled => "cancelled",
    };
    let mut v = json!({
        "reference": b.reference,
        "status": status,
        "start": b.range.start.with_timezone(&tz).to_rfc3339(),
        "end": b.range.end.with_timezone(&tz).to_rfc3339(),
        "event_type": b.event_type,
        "name": b.student_name,
        "email": b.student_email,
        "price": b.price,
        "sequence": b.sequence,
        "cancel_deadline": cancel_deadline,
        "reschedule_request": reschedule_request_json(app, b, tz),
    });
    if let Ok(Some(occurrences)) = app.booking.series_occurrences(b) {
        v["occurrences"] = json!(occurrences
            .iter()
            .map(|o| json!({
                "start": o.booking.range.start.with_timezone(&tz).to_rfc3339(),
                "end": o.booking.range.end.with_timezone(&tz).to_rfc3339(),
                "status": status_name(o.booking.status),
            }))
            .collect::<Vec<_>>());
    }
    if let Some(t) = token {
        v["manage_token"] = json!(t);
    }
    // (D) answers to the form's questions, by question id
    let answers: serde_json::Map<String, Value> = app.booking.answers_of(&b.id).unwrap_or_default().into_iter().map(|(k, a)| (k, Value::String(a))).collect();
    v["answers"] = Value::Object(answers);
    // (issue 11 §4) the guardian who follows the booking
    if let Some(g) = &b.guardian {
        v["guardian"] = json!({"name": g.name, "email": g.email});
    }
    v
}

fn status_name(s: BookingStatus) -> &'static str {
    match s {
        BookingStatus::Confirmed => "confirmed",
        BookingStatus::Tentative => "tentative",
        BookingStatus::Cancelled => "cancelled",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::StorageError;

    #[test]
    fn booking_errors_keep_their_codes_and_texts() {
        let e = ApiError::from(BookingError::SlotUnavailable);
        assert_eq!((e.status, e.code, e.message.as_str()), (StatusCode::CONFLICT, "slot_unavailable", "this time is no longer available"));
        let e = ApiError::from(BookingError::InvalidInput { field: "email", reason: "no @".into() });
        assert_eq!((e.status, e.code, e.message.as_str()), (StatusCode::UNPROCESSABLE_ENTITY, "invalid_email", "invalid email: no @"));
    }

    #[test]
    fn storage_failures_are_5xx_with_generic_or_readable_texts() {
        let e = ApiError::from(BookingError::Storage(StorageError::Backend("/var/lib/slotdav: EIO".into())));
        assert_eq!((e.status, e.code, e.message.as_str()), (StatusCode::INTERNAL_SERVER_ERROR, "internal", "something went wrong"));
        let e = ApiError::from(BookingError::Storage(StorageError::QuotaExceeded { user: "alice".into() }));
        assert_eq!((e.status, e.code), (StatusCode::INSUFFICIENT_STORAGE, "quota_exceeded"));
    }

    #[test]
    fn a_zone_must_be_iana_and_defaults_to_the_coachs() {
        let q = |tz: &str| HashMap::from([("tz".to_string(), tz.to_string())]);
        assert_eq!(zone(&HashMap::new(), chrono_tz::Europe::Berlin).unwrap(), chrono_tz::Europe::Berlin);
        assert_eq!(zone(&q("Asia/Tokyo"), chrono_tz::UTC).unwrap(), chrono_tz::Asia::Tokyo);
        let e = zone(&q("CEST+2"), chrono_tz::UTC).unwrap_err();
        assert_eq!((e.status, e.code), (StatusCode::BAD_REQUEST, "bad_request"));
    }

    #[test]
    fn a_start_needs_an_offset() {
        assert!(parse_start("2026-05-05T09:00:00+02:00").is_ok());
        assert_eq!(parse_start("2026-05-05T09:00:00").unwrap_err().code, "bad_request");
    }

    #[test]
    fn bad_json_is_400() {
        let e = parse_json::<StartBody>(b"{\"begin\": 1}").err().expect("refused");
        assert_eq!(e.status, StatusCode::BAD_REQUEST);
        assert!(e.message.starts_with("invalid JSON body"), "{}", e.message);
    }
}
