//! The public booking pages under `/book/`: server-rendered HTML that works
//! without JavaScript. Every bad input gets a readable page; every form is
//! CSRF-protected; holds and bookings are rate-limited per client address,
//! one address keeps only a few holds open, and a browser's new hold of an
//! event type releases its previous one (the browser is known by its CSRF
//! cookie, so this works without JavaScript).
//!
//! | route | page |
//! |---|---|
//! | `GET /book/{coach}` | the coach's event types |
//! | `GET /book/{coach}/{type}?week=&tz=&reschedule=` | week of open slots |
//! | `POST /book/{coach}/{type}/hold` | hold a slot → details form |
//! | `GET, POST /book/hold/{id}` | details form; confirm (or move) |
//! | `GET /book/manage/{token}` | the student's booking |
//! | `GET /book/manage/{token}/booking.ics` | "Add to calendar" |
//! | `GET /book/manage/{token}/feed.ics` | the same booking as a subscription |
//! | `POST /book/manage/{token}/cancel` | cancel |

pub mod feeds;
pub mod forms;
pub mod pages;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

use askama::Template;
use bytes::Bytes;
use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use chrono_tz::Tz;
use http_body_util::{BodyExt, Full, Limited};
use hyper::header::{HeaderValue, CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_TYPE, LOCATION, SET_COOKIE};
use hyper::{HeaderMap, Method, Request, Response, StatusCode};

use crate::app::App;
use crate::booking::service::{BookingError, StudentDetails};
use crate::booking::{Booking, BookingStatus, HoldClient};
use crate::http::Body;
use crate::model::TimeRange;
use forms::{csrf_cookie, csrf_ok, csrf_set_cookie, decode, new_csrf};
use pages::*;

/// Handles a request below `/book/`.
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
        Err(_) => return error_page(StatusCode::PAYLOAD_TOO_LARGE, "Too much data", "The form sent more data than a booking needs.", None),
    };
    let query = decode(parts.uri.query().unwrap_or("").as_bytes());
    let path = parts.uri.path().to_string();
    let segments: Vec<String> = path
        .trim_start_matches("/book/")
        .split('/')
        .filter(|s| !s.is_empty())
        .map(|s| percent_encoding::percent_decode_str(s).decode_utf8_lossy().into_owned())
        .collect();
    let request = PageRequest { method: parts.method, headers: parts.headers, query, body, peer };
    tokio::task::spawn_blocking(move || {
        let seg: Vec<&str> = segments.iter().map(String::as_str).collect();
        let page = crate::booking::links::with_base(link_base, || route(&app, &request, &seg));
        page.unwrap_or_else(|e| e.into_response())
    })
    .await
    .unwrap_or_else(|_| error_page(StatusCode::INTERNAL_SERVER_ERROR, "Something went wrong", "Please try again in a moment.", None))
}

struct PageRequest {
    method: Method,
    headers: HeaderMap,
    query: HashMap<String, String>,
    body: Bytes,
    peer: SocketAddr,
}

impl PageRequest {
    fn form(&self) -> HashMap<String, String> {
        decode(&self.body)
    }
    /// The browser's CSRF token, or a new one (set by [`with_csrf`]).
    fn csrf(&self) -> (String, bool) {
        match csrf_cookie(&self.headers) {
            Some(t) => (t, false),
            None => (new_csrf(), true),
        }
    }
}

/// Why a page could not be shown, mapped to a friendly page in one place.
#[derive(Debug)]
enum PageError {
    Booking(BookingError),
    NotFound,
    MethodNotAllowed,
    BadRequest(String),
    Csrf,
    RateLimited,
    Internal(String),
}

impl From<BookingError> for PageError {
    fn from(e: BookingError) -> Self {
        PageError::Booking(e)
    }
}

impl PageError {
    fn into_response(self) -> Response<Body> {
        use BookingError as B;
        let (status, heading, message): (StatusCode, &str, String) = match self {
            PageError::NotFound => (StatusCode::NOT_FOUND, "Page not found", "There is nothing at this address.".into()),
            PageError::MethodNotAllowed => (StatusCode::METHOD_NOT_ALLOWED, "Not allowed", "This page cannot be used that way.".into()),
            PageError::BadRequest(m) => (StatusCode::BAD_REQUEST, "Something is missing", m),
            PageError::Csrf => (
                StatusCode::FORBIDDEN,
                "Please try again",
                "The form had expired or came from another site. Go back, reload the page and try again.".into(),
            ),
            PageError::RateLimited => (
                StatusCode::TOO_MANY_REQUESTS,
                "Slow down a little",
                "Too many bookings were tried from your address in the last minute. Please wait a minute.".into(),
            ),
            PageError::Internal(m) => {
                tracing::error!(error = %m, "booking page failed");
                (StatusCode::INTERNAL_SERVER_ERROR, "Something went wrong", "Please try again in a moment.".into())
            }
            PageError::Booking(e) => match e {
                B::UnknownCoach => (StatusCode::NOT_FOUND, "Coach not found", "We could not find this coach. Check the link you were given.".into()),
                B::UnknownEventType => (StatusCode::NOT_FOUND, "Not offered", "This coach does not offer this kind of session.".into()),
                B::SlotUnavailable => (
                    StatusCode::CONFLICT,
                    "This time is gone",
                    "Sorry, someone else just took this time, or it is no longer open. Please pick another one.".into(),
                ),
                B::HoldExpired => (
                    StatusCode::GONE,
                    "Your hold has expired",
                    "We kept the time for you for a few minutes, but that time is up. Please pick a time again.".into(),
                ),
                B::HoldNotFound => (StatusCode::NOT_FOUND, "Hold not found", "This hold does not exist (any more). Please pick a time again.".into()),
                B::BookingNotFound => (StatusCode::NOT_FOUND, "Booking not found", "This link does not belong to a booking. Check the link in your email.".into()),
                B::BookingCancelled => (StatusCode::CONFLICT, "Booking cancelled", "This booking is already cancelled.".into()),
                B::InvalidInput { reason, .. } => (StatusCode::UNPROCESSABLE_ENTITY, "Please check your details", reason),
                B::AlreadyBooked => (
                    StatusCode::CONFLICT,
                    "Already booked",
                    "You already have a booking of this kind with this coach; it can be booked once per person.".into(),
                ),
                B::TooLate { deadline } => (
                    StatusCode::CONFLICT,
                    "Too late to change online",
                    format!("This booking could be changed online until {}. Please contact your coach.", deadline.format("%Y-%m-%d %H:%M UTC")),
                ),
                B::TooManyHolds { limit } => (
                    StatusCode::TOO_MANY_REQUESTS,
                    "Too many open holds",
                    format!(
                        "Your address already holds {limit} times that are not booked yet. Finish one of those bookings, or wait a few minutes until the holds lapse."
                    ),
                ),
                B::TooManyBookings { limit } => (
                    StatusCode::CONFLICT,
                    "Too many bookings",
                    format!("This email address already has {limit} upcoming bookings with this coach. Please contact your coach to book more."),
                ),
                B::Storage(e) => {
                    tracing::error!(error = %e, "booking storage failed");
                    (StatusCode::INTERNAL_SERVER_ERROR, "Something went wrong", "Please try again in a moment.".into())
                }
            },
        };
        error_page(status, heading, &message, None)
    }
}

fn error_page(status: StatusCode, heading: &str, message: &str, back: Option<(String, String)>) -> Response<Body> {
    let (back_link, back_label) = match back {
        Some((l, t)) => (Some(l), t),
        None => (None, String::new()),
    };
    let page = ErrorPage { heading: heading.into(), message: message.into(), back_link, back_label };
    let mut resp = html(page.render().unwrap_or_else(|_| message.to_string()));
    *resp.status_mut() = status;
    resp
}

fn html(body: String) -> Response<Body> {
    let mut resp = Response::new(Full::new(Bytes::from(body)));
    resp.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
    resp.headers_mut().insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

fn render(page: impl Template) -> Result<Response<Body>, PageError> {
    page.render().map(html).map_err(|e| PageError::Internal(e.to_string()))
}

fn with_csrf(mut resp: Response<Body>, token: &str, fresh: bool) -> Response<Body> {
    if fresh {
        if let Ok(v) = HeaderValue::from_str(&csrf_set_cookie(token)) {
            resp.headers_mut().insert(SET_COOKIE, v);
        }
    }
    resp
}

fn redirect(to: &str) -> Response<Body> {
    let mut resp = Response::new(Full::new(Bytes::new()));
    *resp.status_mut() = StatusCode::SEE_OTHER;
    if let Ok(v) = HeaderValue::from_str(to) {
        resp.headers_mut().insert(LOCATION, v);
    }
    resp
}

fn enc(s: &str) -> String {
    crate::http::encode_segment(s)
}

fn route(app: &App, req: &PageRequest, seg: &[&str]) -> Result<Response<Body>, PageError> {
    let get = req.method == Method::GET || req.method == Method::HEAD;
    let post = req.method == Method::POST;
    match seg {
        ["hold", id] if get => hold_page(app, req, id, None),
        ["hold", id] if post => confirm(app, req, id),
        ["manage", token] if get => manage_page(app, req, token, None),
        ["manage", token, "booking.ics"] if get => booking_ics(app, token),
        ["manage", token, "feed.ics"] if get => student_feed(app, token),
        ["manage", token, "cancel"] if post => cancel(app, req, token),
        [coach] if get => coach_page(app, coach),
        [coach, et] if get => slots_page(app, req, coach, et),
        [coach, et, "hold"] if post => hold(app, req, coach, et),
        [] => Err(PageError::NotFound),
        _ if !get && !post => Err(PageError::MethodNotAllowed),
        _ => Err(PageError::NotFound),
    }
}

/// The student's zone: `tz` if it names a zone, else the coach's.
fn zone(param: Option<&String>, fallback: Tz) -> Tz {
    param.and_then(|z| z.parse().ok()).unwrap_or(fallback)
}

/// "30 min", "1 h", "1 h 30 min", "2 days" for a page.
fn human_duration(d: Duration) -> String {
    let mins = d.num_minutes();
    match (mins / 1440, mins % 1440 / 60, mins % 60) {
        (days, 0, 0) if days > 0 => format!("{days} day{}", if days == 1 { "" } else { "s" }),
        (0, 0, m) => format!("{m} min"),
        (0, h, 0) => format!("{h} h"),
        (0, h, m) => format!("{h} h {m} min"),
        _ => format!("{} h", mins / 60),
    }
}

fn fmt_when(range: TimeRange, tz: Tz) -> String {
    let s = range.start.with_timezone(&tz);
    let e = range.end.with_timezone(&tz);
    format!("{} – {}", s.format("%A %-d %B %Y, %H:%M"), e.format("%H:%M"))
}

fn coach_page(app: &App, slug: &str) -> Result<Response<Body>, PageError> {
    let coach = app.booking.coach(slug)?;
    let cards = coach
        .policy
        .event_types
        .iter()
        .map(|t| EventTypeCard {
            title: t.title.clone(),
            duration: human_duration(t.duration),
            price: if t.price.is_empty() { "free".into() } else { t.price.clone() },
            seats: t.seats,
            group: t.seats > 1,
            link: format!("/book/{}/{}", enc(&coach.slug), enc(&t.slug)),
        })
        .collect();
    render(CoachPage { coach_name: coach.display_name.clone(), event_types: cards })
}

/// The Monday of the week `week` (a date) or of today, in `tz`.
fn week_start(param: Option<&String>, tz: Tz, now: DateTime<Utc>) -> NaiveDate {
    let day = param
        .and_then(|w| NaiveDate::parse_from_str(w, "%Y-%m-%d").ok())
        .unwrap_or_else(|| now.with_timezone(&tz).date_naive());
    day - Duration::days(day.weekday().num_days_from_monday() as i64)
}

fn local_midnight(tz: Tz, d: NaiveDate) -> DateTime<Utc> {
    crate::booking::availability::local_day(tz, d).start
}

fn slots_page(app: &App, req: &PageRequest, coach_slug: &str, type_slug: &str) -> Result<Response<Body>, PageError> {
    let svc = &app.booking;
    let coach = svc.coach(coach_slug)?;
    let et = svc.event_type(coach, type_slug)?;
    let tz = zone(req.query.get("tz"), coach.policy.tz);
    let reschedule = match req.query.get("reschedule") {
        Some(token) => Some((token.clone(), svc.booking(token)?)),
        None => None,
    };
    let monday = week_start(req.query.get("week"), tz, svc.now());
    let range = TimeRange::new(local_midnight(tz, monday), local_midnight(tz, monday + Duration::days(7)));
    let slots = svc.slots(coach_slug, type_slug, range)?;
    let mut days: Vec<DayRow> = (0..7)
        .map(|i| DayRow { label: (monday + Duration::days(i)).format("%a %-d %b").to_string(), slots: Vec::new() })
        .collect();
    for slot in slots {
        let local = slot.range.start.with_timezone(&tz);
        let idx = (local.date_naive() - monday).num_days();
        if let Some(day) = usize::try_from(idx).ok().and_then(|i| days.get_mut(i)) {
            day.slots.push(SlotButton {
                start: slot.range.start.to_rfc3339(),
                label: local.format("%H:%M").to_string(),
                seats_note: if et.seats > 1 { format!("{} of {} places left", slot.seats_left, et.seats) } else { String::new() },
            });
        }
    }
    let base = format!("/book/{}/{}", enc(&coach.slug), enc(&et.slug));
    let extra = reschedule.as_ref().map(|(t, _)| format!("&reschedule={}", enc(t))).unwrap_or_default();
    let link = |d: NaiveDate| format!("{base}?week={}&tz={}{extra}", d.format("%Y-%m-%d"), enc(tz.name()));
    let (csrf, fresh) = req.csrf();
    let page = SlotsPage {
        title: et.title.clone(),
        coach_name: coach.display_name.clone(),
        coach_link: format!("/book/{}", enc(&coach.slug)),
        duration: human_duration(et.duration),
        price: if et.price.is_empty() { "free".into() } else { et.price.clone() },
        tz: tz.name().to_string(),
        has_tz_param: req.query.contains_key("tz"),
        zones: chrono_tz::TZ_VARIANTS.iter().map(|z| ZoneOption { name: z.name(), selected: *z == tz }).collect(),
        week: monday.format("%Y-%m-%d").to_string(),
        week_label: format!("{} – {}", monday.format("%-d %b"), (monday + Duration::days(6)).format("%-d %b %Y")),
        // No way back into weeks that are over.
        prev_link: (monday > week_start(None, tz, svc.now())).then(|| link(monday - Duration::days(7))),
        next_link: link(monday + Duration::days(7)),
        days,
        hold_action: format!("{base}/hold"),
        csrf: csrf.clone(),
        rescheduling: reschedule.is_some(),
        reschedule_reference: reschedule.as_ref().map(|(_, b)| b.reference.clone()).unwrap_or_default(),
        reschedule_token: reschedule.map(|(t, _)| t),
    };
    Ok(with_csrf(render(page)?, &csrf, fresh))
}

fn check_post(app: &App, req: &PageRequest, form: &HashMap<String, String>) -> Result<(), PageError> {
    if !csrf_ok(&req.headers, form.get("csrf")) {
        return Err(PageError::Csrf);
    }
    if !app.rate_limit.allow(req.peer.ip()) {
        return Err(PageError::RateLimited);
    }
    Ok(())
}

fn hold(app: &App, req: &PageRequest, coach_slug: &str, type_slug: &str) -> Result<Response<Body>, PageError> {
    let form = req.form();
    check_post(app, req, &form)?;
    let start = form
        .get("start")
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .ok_or_else(|| PageError::BadRequest("No time was chosen. Go back and pick a time.".into()))?
        .with_timezone(&Utc);
    let reschedule = match form.get("reschedule") {
        Some(token) => Some(app.booking.booking(token)?),
        None => None,
    };
    let rec = app.booking.hold(coach_slug, type_slug, start, reschedule.as_ref(), &hold_client(req))?;
    let mut to = format!("/book/hold/{}", enc(&rec.hold.id));
    if let Some(tz) = form.get("tz") {
        to.push_str(&format!("?tz={}", enc(tz)));
    }
    if let Some(token) = form.get("reschedule") {
        to.push_str(if to.contains('?') { "&" } else { "?" });
        to.push_str(&format!("reschedule={}", enc(token)));
    }
    Ok(redirect(&to))
}

/// Who is holding: the client address and the browser session (its CSRF
/// cookie, which [`check_post`] has required; stored only as a hash), so a
/// browser's new hold of an event type replaces its previous one.
fn hold_client(req: &PageRequest) -> HoldClient {
    use sha2::Digest;
    let session = csrf_cookie(&req.headers).map(|c| {
        let digest = sha2::Sha256::digest(format!("slotdav hold session\0{c}").as_bytes());
        digest.iter().take(16).map(|b| format!("{b:02x}")).collect::<String>()
    });
    HoldClient::new(req.peer.ip(), session)
}

fn hold_page(app: &App, req: &PageRequest, hold_id: &str, error: Option<(String, HashMap<String, String>)>) -> Result<Response<Body>, PageError> {
    let (rec, coach, et) = app.booking.hold_info(hold_id)?;
    if !rec.hold.is_active(app.booking.now()) {
        return Err(BookingError::HoldExpired.into());
    }
    let params = error.as_ref().map(|(_, f)| f.clone()).unwrap_or_else(|| req.query.clone());
    let tz = zone(params.get("tz"), coach.policy.tz);
    let reschedule_token = params.get("reschedule").cloned().filter(|_| rec.reschedule_of.is_some());
    let (csrf, fresh) = req.csrf();
    let field = |k: &str| params.get(k).cloned().unwrap_or_default();
    let page = HoldPage {
        title: if reschedule_token.is_some() { format!("Move your {} to this time?", et.title) } else { format!("{} with {}", et.title, coach.display_name) },
        when: fmt_when(rec.hold.range, tz),
        tz: tz.name().to_string(),
        expires: rec.hold.expires_at.with_timezone(&tz).format("%H:%M").to_string(),
        action: format!("/book/hold/{}", enc(hold_id)),
        csrf: csrf.clone(),
        error: error.map(|(m, _)| m),
        name: field("name"),
        email: field("email"),
        note: field("note"),
        price: if et.price.is_empty() { "free".into() } else { et.price.clone() },
        submit_label: if reschedule_token.is_some() { "Move my booking".into() } else { "Book".into() },
        reschedule_token,
    };
    let mut resp = with_csrf(render(page)?, &csrf, fresh);
    if req.method == Method::POST {
        *resp.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(resp)
}

fn confirm(app: &App, req: &PageRequest, hold_id: &str) -> Result<Response<Body>, PageError> {
    let form = req.form();
    check_post(app, req, &form)?;
    let tz_query = form.get("tz").map(|t| format!("?tz={}", enc(t))).unwrap_or_default();
    if let Some(token) = form.get("reschedule") {
        let booking = app.booking.reschedule(token, hold_id)?;
        let token = app.booking.manage_token(&booking);
        let sep = if tz_query.is_empty() { "?" } else { "&" };
        return Ok(redirect(&format!("/book/manage/{}{tz_query}{sep}done=moved", enc(&token))));
    }
    let details = StudentDetails {
        name: form.get("name").cloned().unwrap_or_default(),
        email: form.get("email").cloned().unwrap_or_default(),
        note: form.get("note").cloned().unwrap_or_default(),
    };
    match app.booking.confirm(hold_id, details) {
        Ok(booking) => {
            let token = app.booking.manage_token(&booking);
            let sep = if tz_query.is_empty() { "?" } else { "&" };
            Ok(redirect(&format!("/book/manage/{}{tz_query}{sep}done=booked", enc(&token))))
        }
        Err(BookingError::InvalidInput { reason, .. }) => hold_page(app, req, hold_id, Some((reason, form))),
        Err(e) => Err(e.into()),
    }
}

fn manage_page(app: &App, req: &PageRequest, token: &str, message: Option<(String, &str)>) -> Result<Response<Body>, PageError> {
    let svc = &app.booking;
    let booking = svc.booking(token)?;
    let coach = app.booking.coaches().iter().find(|c| c.user == booking.coach).ok_or(BookingError::UnknownCoach)?;
    let et = svc.event_type(coach, &booking.event_type)?;
    let tz = zone(req.query.get("tz"), coach.policy.tz);
    let now = svc.now();
    let message = message.or_else(|| match req.query.get("done").map(String::as_str) {
        Some("booked") if booking.status == BookingStatus::Tentative => {
            Some(("Your request is in. The coach will confirm it; you will get an email.".into(), "success"))
        }
        Some("booked") => Some(("You are booked. A confirmation is on its way to your inbox.".into(), "success")),
        Some("moved") => Some(("Your booking has been moved.".into(), "success")),
        _ => None,
    });
    let cancel_ok = booking.can_cancel(now, et.cancel_notice);
    let resched_ok = crate::booking::can_reschedule(booking.range.start, now, et.reschedule_notice);
    let (csrf, fresh) = req.csrf();
    let token_enc = enc(token);
    let page = BookingPage {
        heading: match booking.status {
            BookingStatus::Cancelled => "Booking cancelled".into(),
            BookingStatus::Tentative => "Booking requested".into(),
            BookingStatus::Confirmed => "Your booking".into(),
        },
        message: message.as_ref().map(|(m, _)| m.clone()),
        message_class: message.map(|(_, c)| c.to_string()).unwrap_or_default(),
        title: et.title.clone(),
        coach_name: coach.display_name.clone(),
        when: fmt_when(booking.range, tz),
        tz: tz.name().to_string(),
        status: status_text(&booking).into(),
        reference: booking.reference.clone(),
        student_name: booking.student_name.clone(),
        price: if booking.price.is_empty() { "free".into() } else { booking.price.clone() },
        active: booking.is_active(),
        ics_link: format!("/book/manage/{token_enc}/booking.ics"),
        feed_link: format!("/book/manage/{token_enc}/feed.ics"),
        can_reschedule: resched_ok.is_ok(),
        reschedule_link: format!(
            "/book/{}/{}?tz={}&reschedule={token_enc}&week={}",
            enc(&coach.slug),
            enc(&et.slug),
            enc(tz.name()),
            booking.range.start.with_timezone(&tz).format("%Y-%m-%d")
        ),
        reschedule_closed: deadline_text("moved", resched_ok.err().map(|t| t.deadline), tz),
        can_cancel: cancel_ok.is_ok(),
        cancel_open: match cancel_ok {
            Ok(()) => format!(
                "This booking can be cancelled online until {}.",
                booking.cancel_deadline(et.cancel_notice).with_timezone(&tz).format("%-d %B %H:%M")
            ),
            Err(_) => String::new(),
        },
        cancel_action: format!("/book/manage/{token_enc}/cancel?tz={}", enc(tz.name())),
        cancel_closed: deadline_text("cancelled", cancel_ok.err().map(|t| t.deadline), tz),
        csrf: csrf.clone(),
        has_tz_param: req.query.contains_key("tz"),
    };
    Ok(with_csrf(render(page)?, &csrf, fresh))
}

fn status_text(b: &Booking) -> &'static str {
    match b.status {
        BookingStatus::Confirmed => "Confirmed",
        BookingStatus::Tentative => "Waiting for the coach to confirm",
        BookingStatus::Cancelled => "Cancelled",
    }
}

fn deadline_text(what: &str, deadline: Option<DateTime<Utc>>, tz: Tz) -> String {
    match deadline {
        Some(d) => format!(
            "This booking can no longer be {what} online (that was possible until {}). Please contact your coach.",
            d.with_timezone(&tz).format("%-d %B %H:%M")
        ),
        None => String::new(),
    }
}

fn cancel(app: &App, req: &PageRequest, token: &str) -> Result<Response<Body>, PageError> {
    let form = req.form();
    if !csrf_ok(&req.headers, form.get("csrf")) {
        return Err(PageError::Csrf);
    }
    match app.booking.cancel(token) {
        Ok(_) => manage_page(app, req, token, Some(("Your booking is cancelled.".into(), "success"))),
        Err(BookingError::TooLate { deadline }) => {
            let mut resp = manage_page(
                app,
                req,
                token,
                Some((format!("It is too late to cancel online: that was possible until {}.", deadline.format("%Y-%m-%d %H:%M UTC")), "error")),
            )?;
            *resp.status_mut() = StatusCode::CONFLICT;
            Ok(resp)
        }
        Err(e) => Err(e.into()),
    }
}

/// The booking of this manage token as a calendar subscription, so the
/// student's (or a parent's) calendar app follows moves and cancellation.
/// Only this booking: bookings are never looked up by email address,
/// which anyone can type into the form (issue 14, finding 1). A
/// cancelled booking leaves an empty feed, so subscribers drop it.
fn student_feed(app: &App, token: &str) -> Result<Response<Body>, PageError> {
    let booking = app.booking.booking(token)?;
    let coach = app.booking.coaches().iter().find(|c| c.user == booking.coach).ok_or(BookingError::UnknownCoach)?;
    let mut texts = Vec::new();
    if booking.is_active() {
        if let Ok(et) = app.booking.event_type(coach, &booking.event_type) {
            texts.push(app.booking.booking_ics(coach, et, &booking));
        }
    }
    let name = format!("{} – session with {}", booking.student_name, coach.display_name);
    let header = crate::ical::export::FeedHeader { name: &name, refresh_secs: app.config.feeds.refresh.num_seconds() };
    let ics = crate::ical::export::merge_feed(texts.iter().map(String::as_str), &header);
    let mut resp = Response::new(Full::new(Bytes::from(ics)));
    resp.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("text/calendar; charset=utf-8"));
    resp.headers_mut().insert(CACHE_CONTROL, HeaderValue::from_static("private, max-age=60"));
    Ok(resp)
}

fn booking_ics(app: &App, token: &str) -> Result<Response<Body>, PageError> {
    let booking = app.booking.booking(token)?;
    let coach = app.booking.coaches().iter().find(|c| c.user == booking.coach).ok_or(BookingError::UnknownCoach)?;
    let et = app.booking.event_type(coach, &booking.event_type)?;
    let ics = app.booking.booking_ics(coach, et, &booking);
    let mut resp = Response::new(Full::new(Bytes::from(ics)));
    resp.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("text/calendar; charset=utf-8"));
    resp.headers_mut().insert(CONTENT_DISPOSITION, HeaderValue::from_static("attachment; filename=\"booking.ics\""));
    Ok(resp)
}
